/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OLE Automation's wire (issue 16): a VARIANT holding a 10,000-element SAFEARRAY
 * ([MS-OAUT] 2.2.29, 2.2.30) pushed and pulled back -- an array of VARIANTs (VT_I4 and
 * VT_BSTR in turn) and an array of BSTRs ("item-NNNNN") -- the pulled array freed each
 * time, as a call's arena does.  Each beside memcpy of as many bytes as its wire form
 * takes, measured in the same run (the marshaling ceiling), and printed per element.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <objbase.h>

#include "bench.h"
#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"

#define ELEMENTS 10000

struct ctx {
        const struct ndr_user_marshal *um;
        struct ndr_push push;
        struct arena arena;
        VARIANT v;
        VARIANT back;           /* the pulled copy: the arena frees it, so it outlives a call */
};

static int push_pull(void *p, uint64_t n) {
        struct ctx *c = p;
        struct ndr_pull pull;

        for (uint64_t i = 0; i < n; i++) {
                ndr_push_reset(&c->push);
                if (ndr_push_user_marshal(&c->push, c->um, NDR_SCALARS | NDR_BUFFERS, &c->v) < 0)
                        return -ENOMEM;
                arena_reset(&c->arena);         /* frees the previous pull's array */
                ndr_pull_init(&pull, c->push.buf.data, c->push.buf.len, NULL, &c->arena);
                if (ndr_pull_user_marshal(&pull, c->um, NDR_SCALARS | NDR_BUFFERS, &c->back) < 0)
                        return -EBADMSG;
        }
        return 0;
}

static BSTR item(unsigned i) {
        char s[16];
        OLECHAR w[16];
        int n = snprintf(s, sizeof s, "item-%05u", i);

        for (int k = 0; k < n; k++)
                w[k] = (OLECHAR)s[k];
        return SysAllocStringLen(w, (UINT)n);
}

/* One entry: c->v's array pushed and pulled, beside memcpy of its wire size. */
static int measure(struct bench *b, struct ctx *c, const char *name) {
        const struct bench_result *res;
        char base[BENCH_NAME_MAX];
        int r;

        if ((r = push_pull(c, 1)) < 0)
                return r;
        size_t wire = c->push.buf.len;
        bench_memcpy(b, wire, NULL);
        bench_size_name(base, "memcpy", wire);
        bench_run(b, &(struct bench_spec){ .name = name, .fn = push_pull, .ctx = c, .bytes = wire,
                                           .baseline = base }, &res);
        if (res)
                printf("  %-28s %.1f ns per element (%zu wire bytes, %.1f per element)\n",
                       res->name, res->median_ns / ELEMENTS, wire, (double)wire / ELEMENTS);
        return 0;
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv, "SAFEARRAY in a VARIANT: 10,000 elements "
                                    "marshaled and unmarshaled");
        struct ctx c = { 0 };
        SAFEARRAY *vars, *strs;
        int r = 0;

        oleaut_user_marshal_register();
        c.um = ndr_user_marshal_find("VARIANT");
        ndr_push_init(&c.push, 0);
        arena_init(&c.arena, 0);
        vars = SafeArrayCreateVector(VT_VARIANT, 0, ELEMENTS);
        strs = SafeArrayCreateVector(VT_BSTR, 0, ELEMENTS);
        if (!vars || !strs) {
                fprintf(stderr, "bench-oaut: out of memory\n");
                return 1;
        }
        for (unsigned i = 0; i < ELEMENTS; i++) {
                VARIANT *e = &((VARIANT *)vars->pvData)[i];
                if (i & 1) {
                        V_VT(e) = VT_BSTR;
                        V_BSTR(e) = item(i);
                } else {
                        V_VT(e) = VT_I4;
                        V_I4(e) = (LONG)i;
                }
                ((BSTR *)strs->pvData)[i] = item(i);
        }

        V_VT(&c.v) = VT_ARRAY | VT_VARIANT;
        V_ARRAY(&c.v) = vars;
        if (bench_enabled(b, "oaut-variants-10k") && (r = measure(b, &c, "oaut-variants-10k")) < 0)
                goto out;
        V_VT(&c.v) = VT_ARRAY | VT_BSTR;
        V_ARRAY(&c.v) = strs;
        if (bench_enabled(b, "oaut-bstrs-10k") && (r = measure(b, &c, "oaut-bstrs-10k")) < 0)
                goto out;
out:
        if (r < 0)
                fprintf(stderr, "bench-oaut: marshaling failed: %s\n", strerror(-r));
        arena_done(&c.arena);
        ndr_push_free(&c.push);
        SafeArrayDestroy(vars);
        SafeArrayDestroy(strs);
        int status = bench_finish(b);
        return r < 0 ? 1 : status;
}
