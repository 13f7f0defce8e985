/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NDR engine: the first byte picks a type and the data representation, the rest is
 * pulled as that type (tests/ndr-sample: dcomidl's code for sample.idl's types and
 * Request's server stub; strings, arrays, interface pointers).  Whatever parses is pushed again (little-endian); those
 * bytes must pull back to an equal value and push to the very same bytes.  The arena
 * is capped, so hostile counts must fail cleanly instead of exhausting memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndr/ndr-internal.h"
#include "ndr-sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* assert() that survives NDEBUG: the checks have side effects. */
#define CHECK(x)                                                                        \
        do {                                                                            \
                if (!(x)) {                                                             \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
                        abort();                                                        \
                }                                                                       \
        } while (0)

#define ARENA_CAP (1024 * 1024)

enum kind {
        K_REQUEST,
        K_LIST,
        K_NODE,
        K_UNION,
        K_FULL,
        K_CVS,
        K_STRINGS,
        K_OBJREF,
        K_FNODE,
        K_COUNT,
};

union value {
        struct ndr_sample_request req;
        struct ndr_sample_list list;
        struct ndr_sample_node node;
        struct ndr_sample_union un;
        struct ndr_sample_full full;
        CVS *cvs;
        FNODE fnode;
        struct {
                char *s;
                uint16_t *ws;
                uint32_t slen, wslen;
                uint16_t fixed[8];
                uint32_t flen;
        } str;
        struct {
                uint8_t *p;
                uint32_t len;
        } obj;
};

static int pull_kind(struct ndr_pull *ndr, enum kind k, union value *v) {
        const int all = NDR_SCALARS | NDR_BUFFERS;
        int r;

        memset(v, 0, sizeof *v);
        switch (k) {
        case K_REQUEST:
                return ndr_pull_sample_request(ndr, &v->req);
        case K_LIST:
                return ndr_pull_sample_list(ndr, all, &v->list);
        case K_NODE:
                return ndr_pull_sample_node(ndr, all, &v->node);
        case K_UNION:
                return ndr_pull_sample_union(ndr, all, &v->un);
        case K_FULL:
                return ndr_pull_sample_full(ndr, all, &v->full);
        case K_CVS:
                return ndr_pull_sample_cvs(ndr, all, &v->cvs);
        case K_STRINGS:
                if ((r = ndr_pull_string(ndr, &v->str.s, &v->str.slen)) < 0 ||
                    (r = ndr_pull_wstring(ndr, &v->str.ws, &v->str.wslen)) < 0)
                        return r;
                return ndr_pull_wstring_fixed(ndr, v->str.fixed, 8, &v->str.flen);
        case K_OBJREF:
                return ndr_pull_interface_pointer(ndr, 64 * 1024, &v->obj.p, &v->obj.len);
        case K_FNODE:
                return ndr_pull_sample_fnode(ndr, all, &v->fnode);
        default:
                return -EINVAL;
        }
}

static int push_kind(struct ndr_push *ndr, enum kind k, const union value *v) {
        const int all = NDR_SCALARS | NDR_BUFFERS;

        switch (k) {
        case K_REQUEST:
                return ndr_push_sample_request(ndr, &v->req);
        case K_LIST:
                return ndr_push_sample_list(ndr, all, &v->list);
        case K_NODE:
                return ndr_push_sample_node(ndr, all, &v->node);
        case K_UNION:
                return ndr_push_sample_union(ndr, all, &v->un);
        case K_FULL:
                return ndr_push_sample_full(ndr, all, &v->full);
        case K_CVS:
                return ndr_push_sample_cvs(ndr, all, v->cvs);
        case K_STRINGS:
                ndr_push_string_n(ndr, v->str.s, v->str.slen);
                ndr_push_wstring_n(ndr, v->str.ws, v->str.wslen);
                return ndr_push_wstring_fixed(ndr, v->str.fixed, 8);
        case K_OBJREF:
                return ndr_push_interface_pointer(ndr, v->obj.p, v->obj.len);
        case K_FNODE:
                return ndr_push_sample_fnode(ndr, all, &v->fnode);
        default:
                return -EINVAL;
        }
}

static bool equal_kind(enum kind k, const union value *a, const union value *b) {
        switch (k) {
        case K_REQUEST:
                return ndr_sample_request_equal(&a->req, &b->req);
        case K_LIST:
                return ndr_sample_list_equal(&a->list, &b->list);
        case K_NODE:
                return ndr_sample_node_equal(&a->node, &b->node);
        case K_UNION: {
                /* Compare through a request with only the union set. */
                struct ndr_sample_request ra = { .u = a->un }, rb = { .u = b->un };
                return ndr_sample_request_equal(&ra, &rb);
        }
        case K_FULL: {
                struct ndr_sample_request ra = { .full = a->full }, rb = { .full = b->full };
                return ndr_sample_request_equal(&ra, &rb);
        }
        case K_CVS:
                return ndr_sample_cvs_equal(a->cvs, b->cvs);
        case K_FNODE: {
                /* [ptr] referents may alias, so the list may close into a cycle: walk both
                 * in step, each node's value and where it was first met alike. */
                enum { STEPS = 2 * NDR_MAX_DEPTH_DEFAULT };
                const FNODE *xs[STEPS], *ys[STEPS];
                const FNODE *x = &a->fnode, *y = &b->fnode;
                for (int i = 0; i < STEPS && x && y; i++, x = x->next, y = y->next) {
                        int fx = i, fy = i;
                        xs[i] = x;
                        ys[i] = y;
                        for (int j = 0; j < i; j++) {
                                if (fx == i && xs[j] == x)
                                        fx = j;
                                if (fy == i && ys[j] == y)
                                        fy = j;
                        }
                        if (x->value != y->value || fx != fy)
                                return false;
                        if (fx != i)
                                return true;    /* the same cycle closed in both */
                }
                return !x == !y;
        }
        case K_STRINGS:
                return a->str.slen == b->str.slen && memcmp(a->str.s, b->str.s, a->str.slen + 1) == 0 &&
                       a->str.wslen == b->str.wslen &&
                       memcmp(a->str.ws, b->str.ws, 2 * ((size_t)a->str.wslen + 1)) == 0 &&
                       a->str.flen == b->str.flen &&
                       memcmp(a->str.fixed, b->str.fixed, 2 * ((size_t)a->str.flen + 1)) == 0;
        case K_OBJREF:
                return a->obj.len == b->obj.len &&
                       (!a->obj.len || memcmp(a->obj.p, b->obj.p, a->obj.len) == 0);
        default:
                return false;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static union value v1, v2;
        struct ndr_push push1, push2;
        struct ndr_pull pull;
        struct arena a, a2;
        uint8_t drep[4] = { NDR_DREP_INT_LITTLE, 0, 0, 0 };
        enum kind k;

        if (size < 1)
                return 0;
        k = (enum kind)((data[0] & 0x7F) % K_COUNT);
        if (data[0] & 0x80)
                drep[0] = NDR_DREP_INT_BIG;
        data++;
        size--;

        arena_init(&a, ARENA_CAP);
        if (ndr_pull_init(&pull, data, size, drep, &a) < 0 || pull_kind(&pull, k, &v1) < 0) {
                /* (a failed pull leaves its depth where it stopped: the pull is dead) */
                CHECK(pull.offset <= pull.size);
                arena_done(&a);
                return 0;
        }
        CHECK(pull.depth == 0);

        ndr_push_init(&push1, 0);
        int r = push_kind(&push1, k, &v1);
        /* Everything pulled is pushable (the FULL arm aside, nothing is refused). */
        CHECK(r >= 0);
        /* The second pull gets an arena of its own: what a pull allocates can depend on
         * counts that cost no wire bytes (a conformant-varying structure is allocated for
         * its max_count, as MIDL's stubs do), so two pulls of one input need not fit in
         * one cap together. */
        arena_init(&a2, ARENA_CAP);
        CHECK(ndr_pull_init(&pull, push1.buf.data, push1.buf.len, NULL, &a2) == 0);
        CHECK(pull_kind(&pull, k, &v2) >= 0);
        CHECK(pull.offset == pull.size);
        CHECK(equal_kind(k, &v1, &v2));

        ndr_push_init(&push2, 0);
        CHECK(push_kind(&push2, k, &v2) >= 0);
        CHECK(push2.buf.len == push1.buf.len);
        CHECK(memcmp(push2.buf.data, push1.buf.data, push1.buf.len) == 0);
        /* A little-endian input that parsed in full is its own canonical form... unless
         * it had non-zero pad bytes, non-canonical referent IDs or trailing bytes. */
        ndr_push_free(&push2);
        ndr_push_free(&push1);
        arena_done(&a2);
        arena_done(&a);
        return 0;
}
