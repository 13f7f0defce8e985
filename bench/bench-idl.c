/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's generated stubs side by side with Samba's pidl-generated libndr on the same
 * data: the response of SAMR's user enumeration (samr_EnumDomainUsers, opnum 13),
 * 10,000 entries {uint32 rid; counted UTF-16 name}, the shape of samr_SamArray.
 *
 * Ours: samr-enum.idl through dcomidl_stub_gen.  The generated type functions are
 * static, so we measure through the client stub over a loopback binding standing in
 * for the RPC runtime (as tests/test-dcomidl-stubs.c does): the client pushes the small
 * request, the server's generated dispatch pulls it, calls the implementation (which
 * returns the prepared array) and pushes the response; the client stub pulls it into
 * midl_user_allocate() memory, which we then free entry by entry with midl_user_free().
 * Fresh buffers and arenas every call, as the stubs make for themselves.
 * Samba: ndr_table_samr's NDR_OUT push and pull of samr_EnumDomainUsers with a fresh
 * talloc context per operation (freed with one talloc_free), see bench-idl-pidl.c.
 *
 Entries pidl-X-10k then dcomidl-X-10k, Samba's the baseline of ours (so the printed
 * ratio is ours / pidl, below 1 when ours is faster), for X in
 *      push      ours: request pulled + dispatch + response pushed; pidl: NDR_OUT push
 *      pull      ours: the client stub pulling a stored response, then the frees;
 *                pidl: NDR_OUT pull of the stored blob, then talloc_free
 *      pushpull  both, the measure; ours is the whole loopback call
 * and pidl-charset-10k, the UTF-8 <-> UTF-16 conversions inside pidl's numbers
 * (lsa_String keeps UTF-8 in memory; our WCHAR * is the wire's UTF-16).  The closing
 * lines print pidl / ours per pair (the goal: pushpull >= 1.5x).  Before measuring,
 * both sides' results are checked against the source data, and the two response stubs
 * are compared byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-idl-pidl.h"
#include "bench.h"
#include "samr-enum_stub.h"

#define ENTRIES 10000
#define NAME_MAX_CHARS 16

struct ctx {
        SAMPR_ENUMERATION_BUFFER src;   /* what the server returns */
        struct ndr_binding binding;
        /* the loopback's server side, alive until the client stub has pulled */
        struct ndr_push sout;
        struct arena sarena;
        bool replay;                    /* answer with wire instead of calling the server */
        uint8_t req[64];                /* the request stub, for the push entry */
        size_t req_len;
        uint8_t *wire;                  /* our response stub, for the pull entry */
        size_t wire_len;
        struct pidl_bench *pidl;
};

static struct ctx *server_ctx;

static LONG impl_enum(ULONG *resume, ULONG uac, ULONG max, SAMPR_ENUMERATION_BUFFER **buffer,
                      ULONG *count) {
        *resume = 0;
        *buffer = &server_ctx->src;
        *count = server_ctx->src.EntriesRead;
        return 0;
}

static const struct BenchSam_v1_0_epv server_epv = { impl_enum };

/* The server's half of a call: request bytes in, c->sout holds the response. */
static int serve(struct ctx *c, const uint8_t *req, size_t len, uint16_t opnum) {
        struct ndr_pull sin;
        int r;

        ndr_push_init(&c->sout, 0);
        arena_init(&c->sarena, 0);
        r = ndr_pull_init(&sin, req, len, NULL, &c->sarena);
        if (r < 0)
                return r;
        struct ndr_server_call call = {
                .in = &sin, .out = &c->sout, .arena = &c->sarena, .impl = &server_epv,
        };
        return BenchSam_v1_0_dispatch(&call, opnum);
}

static void serve_done(struct ctx *c) {
        ndr_push_free(&c->sout);
        arena_reset(&c->sarena);
}

static int loop_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct ctx *c = b->ctx;
        int r;

        r = ndr_push_error(in);
        if (r < 0)
                return r;
        if (c->replay)
                return ndr_pull_init(out, c->wire, c->wire_len, NULL, arena);
        if (c->req_len == 0 && in->buf.len <= sizeof c->req) {
                memcpy(c->req, in->buf.data, in->buf.len);
                c->req_len = in->buf.len;
        }
        r = serve(c, in->buf.data, in->buf.len, opnum);
        if (r < 0)
                return r;
        /* the client pulls straight from the server's buffer: no copy on the "wire" */
        return ndr_pull_init(out, c->sout.buf.data, c->sout.buf.len, NULL, arena);
}

static void free_result(SAMPR_ENUMERATION_BUFFER *e) {
        if (!e)
                return;
        if (e->Buffer)
                for (ULONG i = 0; i < e->EntriesRead; i++)
                        midl_user_free(e->Buffer[i].Name.Buffer);
        midl_user_free(e->Buffer);
        midl_user_free(e);
}

/* One call through the client stub; *ret_buf is the caller's to free. */
static int call(struct ctx *c, SAMPR_ENUMERATION_BUFFER **ret_buf) {
        ULONG resume = 7, count = 0;
        LONG status = -1;
        int r;

        *ret_buf = NULL;
        r = BenchSam_BenchSamEnum(&c->binding, &resume, 0x10, 0xffffffff, ret_buf, &count, &status);
        if (!c->replay)
                serve_done(c);
        if (r < 0)
                return r;
        if (status != 0 || resume != 0 || !*ret_buf || count != (*ret_buf)->EntriesRead)
                return -EPROTO;
        return 0;
}

static int ours_push(void *p, uint64_t n) {
        struct ctx *c = p;

        for (uint64_t i = 0; i < n; i++) {
                int r = serve(c, c->req, c->req_len, 0);
                serve_done(c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int ours_call(struct ctx *c, uint64_t n, bool replay) {
        c->replay = replay;
        for (uint64_t i = 0; i < n; i++) {
                SAMPR_ENUMERATION_BUFFER *e;
                int r = call(c, &e);
                free_result(e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int ours_pull(void *p, uint64_t n) {
        return ours_call(p, n, true);
}

static int ours_pushpull(void *p, uint64_t n) {
        return ours_call(p, n, false);
}

#define PIDL_FN(name)                                                   \
        static int pidl_##name(void *p, uint64_t n) {                   \
                struct ctx *c = p;                                      \
                for (uint64_t i = 0; i < n; i++) {                      \
                        int r = pidl_bench_##name(c->pidl);             \
                        if (r < 0)                                      \
                                return r;                               \
                }                                                       \
                return 0;                                               \
        }
PIDL_FN(push)
PIDL_FN(pull)
PIDL_FN(pushpull)
PIDL_FN(charset)

/* A loopback call's result against the source, and our response stub kept in c->wire. */
static int check_ours(struct ctx *c) {
        SAMPR_ENUMERATION_BUFFER *e;
        int r;

        c->replay = false;
        r = call(c, &e);
        if (r < 0)
                goto out;
        r = -EPROTO;
        if (e->EntriesRead != c->src.EntriesRead || !e->Buffer)
                goto out;
        for (ULONG i = 0; i < e->EntriesRead; i++) {
                const RPC_UNICODE_STRING *got = &e->Buffer[i].Name, *want = &c->src.Buffer[i].Name;

                if (e->Buffer[i].RelativeId != c->src.Buffer[i].RelativeId ||
                    got->Length != want->Length || got->MaximumLength != want->MaximumLength ||
                    !got->Buffer || memcmp(got->Buffer, want->Buffer, want->Length) != 0)
                        goto out;
        }
        /* the response alone, for the pull entry */
        r = serve(c, c->req, c->req_len, 0);
        if (r >= 0) {
                c->wire = malloc(c->sout.buf.len);
                c->wire_len = c->sout.buf.len;
                r = c->wire ? 0 : -ENOMEM;
                if (c->wire)
                        memcpy(c->wire, c->sout.buf.data, c->wire_len);
        }
        serve_done(c);
        if (r >= 0) {
                /* and once more from the stored bytes */
                free_result(e);
                c->replay = true;
                r = call(c, &e);
        }
out:
        free_result(e);
        return r;
}

/* Prints how the two response stubs compare; -EPROTO if they differ. */
static int compare_wire(const struct ctx *c) {
        const uint8_t *pw;
        size_t plen, i;

        pidl_bench_wire(c->pidl, &pw, &plen);
        for (i = 0; i < plen && i < c->wire_len && pw[i] == c->wire[i]; i++)
                ;
        if (i == plen && i == c->wire_len) {
                printf("response stubs: %zu bytes each, identical (dcomidl and pidl)\n", plen);
                return 0;
        }
        printf("response stubs DIFFER: dcomidl %zu bytes, pidl %zu bytes, first difference at "
               "offset %zu\n", c->wire_len, plen, i);
        return -EPROTO;
}

static void speedup(const struct bench *b, const char *what, double goal) {
        char pn[BENCH_NAME_MAX], on[BENCH_NAME_MAX];
        const struct bench_result *p, *o;

        snprintf(pn, sizeof pn, "pidl-%s-10k", what);
        snprintf(on, sizeof on, "dcomidl-%s-10k", what);
        p = bench_find(b, pn);
        o = bench_find(b, on);
        if (!p || !o || o->median_ns <= 0)
                return;
        double x = p->median_ns / o->median_ns;

        printf("  %-9s pidl %9.0f ns, dcomidl %9.0f ns: pidl / dcomidl = %.2fx", what, p->median_ns,
               o->median_ns, x);
        if (goal > 0)
                printf(" (goal >= %.1fx: %s)", goal, x >= goal ? "met" : "NOT met");
        printf("\n");
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv,
                                    "dcomidl stubs vs Samba pidl: samr_EnumDomainUsers, 10,000 entries");
        static WCHAR wnames[ENTRIES][NAME_MAX_CHARS];
        static char names[ENTRIES][NAME_MAX_CHARS];
        static const char *name_ptrs[ENTRIES];
        static uint32_t rids[ENTRIES];
        struct ctx c = { .binding = { loop_call, &c } };
        int r = -ENOMEM;

        server_ctx = &c;
        c.src.EntriesRead = ENTRIES;
        c.src.Buffer = calloc(ENTRIES, sizeof *c.src.Buffer);
        if (!c.src.Buffer)
                goto out;
        for (uint32_t i = 0; i < ENTRIES; i++) {
                /* "user0" ... "user9999": 5 to 8 characters, so the padding varies */
                int len = snprintf(names[i], sizeof names[i], "user%u", i);

                for (int k = 0; k < len; k++)
                        wnames[i][k] = (WCHAR)names[i][k];
                rids[i] = 1000 + i;
                name_ptrs[i] = names[i];
                c.src.Buffer[i] = (SAMPR_RID_ENUMERATION){
                        .RelativeId = rids[i],
                        .Name = { (USHORT)(2 * len), (USHORT)(2 * len), wnames[i] },
                };
        }
        c.pidl = pidl_bench_new(ENTRIES, rids, name_ptrs);
        if (!c.pidl)
                goto out;

        if ((r = check_ours(&c)) < 0 || (r = pidl_bench_check(c.pidl)) < 0 ||
            (r = compare_wire(&c)) < 0)
                goto out;

        bench_run(b, &(struct bench_spec){ .name = "pidl-push-10k", .fn = pidl_push, .ctx = &c,
                                           .bytes = c.wire_len }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "dcomidl-push-10k", .fn = ours_push,
                                           .ctx = &c, .bytes = c.wire_len,
                                           .baseline = "pidl-push-10k" }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "pidl-pull-10k", .fn = pidl_pull, .ctx = &c,
                                           .bytes = c.wire_len }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "dcomidl-pull-10k", .fn = ours_pull,
                                           .ctx = &c, .bytes = c.wire_len,
                                           .baseline = "pidl-pull-10k" }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "pidl-pushpull-10k", .fn = pidl_pushpull,
                                           .ctx = &c, .bytes = c.wire_len }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "dcomidl-pushpull-10k", .fn = ours_pushpull,
                                           .ctx = &c, .bytes = c.wire_len,
                                           .baseline = "pidl-pushpull-10k" }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "pidl-charset-10k", .fn = pidl_charset,
                                           .ctx = &c, .baseline = "pidl-pushpull-10k" }, NULL);

        printf("median time, pidl / dcomidl (above 1: dcomidl faster):\n");
        speedup(b, "push", 0);
        speedup(b, "pull", 0);
        speedup(b, "pushpull", 1.5);
        r = 0;
out:
        if (r < 0)
                fprintf(stderr, "bench-idl: setup failed: %s\n", strerror(-r));
        pidl_bench_free(c.pidl);
        free(c.wire);
        free(c.src.Buffer);
        int status = bench_finish(b);
        return r < 0 ? 1 : status;
}
