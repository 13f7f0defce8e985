/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile input for the NDR engine: truncation at every byte, counts larger than the
 * buffer, inconsistent offset/actual_count, NULL [ref], unknown union arms, range
 * violations, deep nesting and the allocation cap.  Each must be a negative errno --
 * never a crash, a read past the buffer (ASan) or a large allocation.
 */
#include "ndr/ndr-internal.h"
#include "ndr-sample.h"
#include "test.h"

static int pull_bytes(const uint8_t *data, size_t size, struct arena *a,
                      int (*fn)(struct ndr_pull *ndr, void *out), void *out) {
        struct ndr_pull pull;
        int r = ndr_pull_init(&pull, data, size, NULL, a);

        return r < 0 ? r : fn(&pull, out);
}

static int pull_request(struct ndr_pull *ndr, void *out) {
        return ndr_pull_sample_request(ndr, out);
}

static int pull_list(struct ndr_pull *ndr, void *out) {
        return ndr_pull_sample_list(ndr, NDR_SCALARS | NDR_BUFFERS, out);
}

static int pull_union(struct ndr_pull *ndr, void *out) {
        return ndr_pull_sample_union(ndr, NDR_SCALARS | NDR_BUFFERS, out);
}

static int pull_node(struct ndr_pull *ndr, void *out) {
        return ndr_pull_sample_node(ndr, NDR_SCALARS | NDR_BUFFERS, out);
}

static int pull_wstring(struct ndr_pull *ndr, void *out) {
        return ndr_pull_wstring(ndr, out, NULL);
}

static int pull_cvs(struct ndr_pull *ndr, void *out) {
        return ndr_pull_sample_cvs(ndr, NDR_SCALARS | NDR_BUFFERS, out);
}

static void push_sample_request(struct ndr_push *push, uint32_t n) {
        static const uint16_t name[] = { 'n', 'a', 'm', 'e', 0 };
        static const uint16_t cbuf[] = { 1, 2 };
        static const uint8_t obj[] = { 1, 2, 3 };
        static CVS *cvs;
        static SAMPLE_IP *ip;
        struct ndr_sample_item items[2] = { { 1, (uint16_t *)name }, { 2, NULL } };
        struct ndr_sample_node nodes[2] = { { 1, &nodes[1] }, { 2, NULL } };
        struct ndr_sample_pair pair = { 1, 2 };
        uint32_t v = 5, *pv = &v;
        struct ndr_sample_request r = {
                .list = { 2, items }, .head = nodes, .u = { .level = 1, .u.num = 3 }, .pp = &pv,
                .full = { &pair, &pair }, .cvs = NULL, .obj = NULL,
                .d = 1.5, .h64 = 7, .b = true, .e = 2, .n = n,
        };

        if (!cvs) {
                cvs = ndr_sample_cvs_new(2, 2, cbuf);
                ip = ndr_sample_ip_new(obj, sizeof obj);
        }
        r.cvs = cvs;
        r.obj = ip;
        ndr_push_init(push, 0);
        ndr_push_sample_request(push, &r);
}

TEST(truncated_everywhere) {
        struct ndr_sample_request out;
        struct ndr_push push;
        struct arena a;

        push_sample_request(&push, 9);
        ASSERT_OK(ndr_push_error(&push));
        arena_init(&a, 0);
        ASSERT_OK(pull_bytes(push.buf.data, push.buf.len, &a, pull_request, &out));
        for (size_t len = 0; len < push.buf.len; len++) {
                /* An exact-size heap copy, so ASan sees any read one past the end. */
                uint8_t *copy = malloc(len ? len : 1);
                ASSERT_NOT_NULL(copy);
                memcpy(copy, push.buf.data, len);
                arena_reset(&a);
                ASSERT_ERRNO(pull_bytes(copy, len, &a, pull_request, &out), -EBADMSG);
                free(copy);
        }
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(truncated_primitives_keep_cursor) {
        static const uint8_t three[] = { 1, 2, 3 };
        struct ndr_pull pull;
        struct arena a;
        uint32_t v;
        uint64_t h;
        GUID g;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, three, 3, NULL, &a));
        ASSERT_ERRNO(ndr_pull_uint32(&pull, &v), -EBADMSG);
        ASSERT_ERRNO(ndr_pull_hyper(&pull, &h), -EBADMSG);
        ASSERT_ERRNO(ndr_pull_guid(&pull, &g), -EBADMSG);
        ASSERT_EQ(pull.offset, 0);
        ASSERT_OK(ndr_pull_skip(&pull, 1));
        ASSERT_ERRNO(ndr_pull_align(&pull, 8), -EBADMSG);       /* pad past the end */
        ASSERT_ERRNO(ndr_pull_skip(&pull, SIZE_MAX), -EBADMSG);
        ASSERT_ERRNO(ndr_pull_need(&pull, 3), -EBADMSG);
        ASSERT_OK(ndr_pull_need(&pull, 2));
        ASSERT_OK(ndr_pull_init(&pull, NULL, 100, NULL, &a));    /* no data: size 0 */
        ASSERT_ERRNO(ndr_pull_uint32(&pull, &v), -EBADMSG);
        arena_done(&a);
}

TEST(counts_larger_than_buffer) {
        /* Conformance 0xFFFFFFFF and four bytes: refused before any allocation. */
        static const uint8_t huge[] = { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4 };
        /* ITEM_LIST with count = conformance = 0x10000000, one item present. */
        static const uint8_t list[] = {
                0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x10,
                0x01, 0, 0, 0, 0, 0, 0, 0,
        };
        struct ndr_sample_list l;
        struct ndr_pull pull;
        struct arena a;
        uint8_t *p;
        uint32_t len;
        uint16_t *ws;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, huge, sizeof huge, NULL, &a));
        ASSERT_ERRNO(ndr_pull_conformant_bytes(&pull, &p, &len), -EBADMSG);
        ASSERT_EQ(pull.offset, 0);
        ASSERT_ERRNO(ndr_pull_interface_pointer(&pull, 0, &p, &len), -EBADMSG);
        ASSERT_ERRNO(pull_bytes(list, sizeof list, &a, pull_list, &l), -EBADMSG);
        ASSERT_EQ(a.used, 0);
        /* Element size times count overflows 32 bits: still just too big. */
        ASSERT_OK(ndr_pull_init(&pull, huge, sizeof huge, NULL, &a));
        ASSERT_ERRNO(ndr_pull_check_count(&pull, UINT32_MAX, SIZE_MAX / 2, 8), -EBADMSG);
        /* A wide string claiming 0x40000000 characters. */
        static const uint8_t ws_big[] = { 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 'a', 0, 0, 0 };
        ASSERT_ERRNO(pull_bytes(ws_big, sizeof ws_big, &a, pull_wstring, &ws), -EBADMSG);
        ASSERT_EQ(a.used, 0);
        arena_done(&a);
}

TEST(variance_inconsistent) {
        static const struct {
                uint32_t max, offset, actual;
        } bad[] = {
                { 4, 0, 5 },                    /* actual > max */
                { 4, 3, 2 },                    /* offset + actual > max */
                { 4, 5, 0 },                    /* offset > max */
                { 4, 0xFFFFFFFF, 2 },           /* offset + actual wraps */
                { 0xFFFFFFFF, 0xFFFFFFFF, 2 },
        };
        struct ndr_pull pull;
        struct arena a;
        uint32_t off, act;

        arena_init(&a, 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct ndr_push push;
                ndr_push_init(&push, 0);
                ndr_push_variance(&push, bad[i].offset, bad[i].actual);
                ASSERT_OK(ndr_pull_init(&pull, push.buf.data, push.buf.len, NULL, &a));
                ASSERT_ERRNO(ndr_pull_variance(&pull, bad[i].max, &off, &act), -EBADMSG);
                ASSERT_EQ(pull.offset, 0);
                ndr_push_free(&push);
        }

        /* Strings: offset must be 0, actual_count >= 1 and <= max, terminator present. */
        static const uint8_t s_offset[] = { 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 0, 0 };
        static const uint8_t s_zero[] = { 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        static const uint8_t s_over[] = { 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 0, 0 };
        static const uint8_t s_noterm[] = { 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 'b', 0 };
        uint16_t *ws;
        ASSERT_ERRNO(pull_bytes(s_offset, sizeof s_offset, &a, pull_wstring, &ws), -EBADMSG);
        ASSERT_ERRNO(pull_bytes(s_zero, sizeof s_zero, &a, pull_wstring, &ws), -EBADMSG);
        ASSERT_ERRNO(pull_bytes(s_over, sizeof s_over, &a, pull_wstring, &ws), -EBADMSG);
        ASSERT_ERRNO(pull_bytes(s_noterm, sizeof s_noterm, &a, pull_wstring, &ws), -EBADMSG);
        /* An embedded NUL could not round-trip (push measures up to the first NUL). */
        static const uint8_t s_nul[] = { 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 0, 0, 0, 0 };
        ASSERT_ERRNO(pull_bytes(s_nul, sizeof s_nul, &a, pull_wstring, &ws), -EBADMSG);
        char *cs;
        static const uint8_t c_noterm[] = { 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 'b' };
        ASSERT_OK(ndr_pull_init(&pull, c_noterm, sizeof c_noterm, NULL, &a));
        ASSERT_ERRNO(ndr_pull_string(&pull, &cs, NULL), -EBADMSG);
        ASSERT_EQ(pull.offset, 0);
        uint16_t fixed[2];
        static const uint8_t f_over[] = { 0, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 'b', 0, 0, 0 };
        ASSERT_OK(ndr_pull_init(&pull, f_over, sizeof f_over, NULL, &a));
        ASSERT_ERRNO(ndr_pull_wstring_fixed(&pull, fixed, 2, NULL), -EBADMSG);

        /* size_is/length_is disagreeing with the counts: a CVS with size 4 but max_count 5. */
        static const uint8_t cvs_bad_size[] = {
                5, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'a', 0,
        };
        static const uint8_t cvs_bad_length[] = {
                4, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'a', 0,
        };
        CVS *cvs;
        ASSERT_ERRNO(pull_bytes(cvs_bad_size, sizeof cvs_bad_size, &a, pull_cvs, &cvs), -EBADMSG);
        ASSERT_ERRNO(pull_bytes(cvs_bad_length, sizeof cvs_bad_length, &a, pull_cvs, &cvs), -EBADMSG);
        /* ITEM_LIST whose conformance differs from count. */
        static const uint8_t list_mismatch[] = {
                2, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 3, 0, 0, 0,
                1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
        };
        struct ndr_sample_list l;
        ASSERT_ERRNO(pull_bytes(list_mismatch, sizeof list_mismatch, &a, pull_list, &l), -EBADMSG);
        arena_done(&a);
}

TEST(null_ref_and_bad_arm) {
        static const uint8_t zero[] = { 0, 0, 0, 0 };
        static const uint8_t arm7[] = { 7, 0, 0, 0, 1, 0, 0, 0 };
        static const uint8_t objref_mismatch[] = { 4, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3, 4 };
        struct ndr_sample_union u;
        struct ndr_pull pull;
        struct arena a;
        uint32_t id, len;
        uint8_t *p;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, zero, sizeof zero, NULL, &a));
        ASSERT_ERRNO(ndr_pull_ref_ptr(&pull, &id), -EBADMSG);
        ASSERT_EQ(pull.offset, 0);
        ASSERT_OK(ndr_pull_unique_ptr(&pull, &id));     /* the same bytes are a NULL [unique] */
        ASSERT_EQ(id, 0);
        ASSERT_ERRNO(pull_bytes(arm7, sizeof arm7, &a, pull_union, &u), -EBADMSG);
        ASSERT_OK(ndr_pull_init(&pull, objref_mismatch, sizeof objref_mismatch, NULL, &a));
        ASSERT_ERRNO(ndr_pull_interface_pointer(&pull, 0, &p, &len), -EBADMSG);
        arena_done(&a);
}

TEST(range_violations) {
        static const uint8_t enum_big[] = { 0x00, 0x80 };
        struct ndr_sample_request out;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;
        uint32_t e;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, enum_big, sizeof enum_big, NULL, &a));
        ASSERT_ERRNO(ndr_pull_enum16(&pull, &e), -ERANGE);
        ndr_push_init(&push, 0);
        ASSERT_ERRNO(ndr_push_enum16(&push, 0x8000), -ERANGE);
        ndr_push_free(&push);
        ndr_push_init(&push, 0);
        ASSERT_ERRNO(ndr_push_union_level(&push, 2, 0x10000), -ERANGE);
        ndr_push_free(&push);

        /* [range(1, 100)] n: checked where it is unmarshaled, as MIDL's stubs do -- the
         * client sends what it is given, the server stub refuses it. */
        push_sample_request(&push, 0);
        ASSERT_OK(ndr_push_error(&push));
        ASSERT_ERRNO(pull_bytes(push.buf.data, push.buf.len, &a, pull_request, &out), -ERANGE);
        ndr_push_free(&push);
        push_sample_request(&push, 100);
        ASSERT_OK(ndr_push_error(&push));
        push.buf.data[push.buf.len - 4] = 101;
        ASSERT_ERRNO(pull_bytes(push.buf.data, push.buf.len, &a, pull_request, &out), -ERANGE);
        push.buf.data[push.buf.len - 4] = 0;
        ASSERT_ERRNO(pull_bytes(push.buf.data, push.buf.len, &a, pull_request, &out), -ERANGE);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(deep_nesting) {
        /* 100000 list nodes, each {value, referent ID}: capped long before the stack. */
        size_t n = 100000;
        uint8_t *data = malloc(n * 8);
        struct ndr_sample_node head;
        struct ndr_pull pull;
        struct arena a;

        ASSERT_NOT_NULL(data);
        for (size_t i = 0; i < n; i++) {
                memcpy(data + 8 * i, &(uint32_t){ (uint32_t)i }, 4);
                memcpy(data + 8 * i + 4, &(uint32_t){ 0x20000 + 4 * (uint32_t)i }, 4);
        }
        arena_init(&a, 0);
        ASSERT_ERRNO(pull_bytes(data, n * 8, &a, pull_node, &head), -ELOOP);

        /* Each pointer followed nests one level: a 65-node list (64 links) passes with the
         * default cap; 66 nodes do not. */
        memset(data + 8 * 64 + 4, 0, 4);
        arena_reset(&a);
        ASSERT_OK(ndr_pull_init(&pull, data, 65 * 8, NULL, &a));
        ASSERT_OK(ndr_pull_sample_node(&pull, NDR_SCALARS | NDR_BUFFERS, &head));
        ASSERT_EQ(pull.depth, 0);
        memcpy(data + 8 * 64 + 4, &(uint32_t){ 1 }, 4);
        memset(data + 8 * 65 + 4, 0, 4);
        ASSERT_ERRNO(pull_bytes(data, 66 * 8, &a, pull_node, &head), -ELOOP);
        /* The cap is the caller's to raise. */
        ASSERT_OK(ndr_pull_init(&pull, data, 66 * 8, NULL, &a));
        pull.max_depth = 100;
        ASSERT_OK(ndr_pull_sample_node(&pull, NDR_SCALARS | NDR_BUFFERS, &head));

        /* The same through [ptr] (full) pointers: distinct referents, as deep. */
        for (size_t i = 0; i < n; i++)
                memcpy(data + 8 * i + 4, &(uint32_t){ 0x20000 + 4 * (uint32_t)i }, 4);
        struct ndr_sample_fnode fhead;
        arena_reset(&a);
        ASSERT_OK(ndr_pull_init(&pull, data, n * 8, NULL, &a));
        ASSERT_ERRNO(ndr_pull_sample_fnode(&pull, NDR_SCALARS | NDR_BUFFERS, &fhead), -ELOOP);
        struct ndr_sample_fnode *chain = calloc(100, sizeof *chain);
        ASSERT_NOT_NULL(chain);
        for (int i = 0; i < 99; i++)
                chain[i].next = &chain[i + 1];
        struct ndr_push fpush;
        ndr_push_init(&fpush, 0);
        ASSERT_ERRNO(ndr_push_sample_fnode(&fpush, NDR_SCALARS | NDR_BUFFERS, chain), -ELOOP);
        ASSERT_EQ(fpush.depth, 0);
        ndr_push_free(&fpush);
        free(chain);

        /* Push: a cycle through unique pointers ends at the cap, not in a stack overflow. */
        struct ndr_sample_node cyc = { 1, &cyc };
        struct ndr_push push;
        ndr_push_init(&push, 0);
        ASSERT_ERRNO(ndr_push_sample_node(&push, NDR_SCALARS | NDR_BUFFERS, &cyc), -ELOOP);
        ASSERT_EQ(push.depth, 0);
        ndr_push_free(&push);
        free(data);
        arena_done(&a);
}

TEST(allocation_cap) {
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;
        uint8_t *p, big[8192];
        uint32_t len;

        memset(big, 'x', sizeof big);
        ndr_push_init(&push, 0);
        ndr_push_conformant_bytes(&push, big, sizeof big);
        ndr_push_interface_pointer(&push, big, sizeof big);
        ASSERT_OK(ndr_push_error(&push));

        arena_init(&a, 4096);
        ASSERT_OK(ndr_pull_init(&pull, push.buf.data, push.buf.len, NULL, &a));
        ASSERT_ERRNO(ndr_pull_conformant_bytes(&pull, &p, &len), -E2BIG);
        ASSERT_EQ(pull.offset, 0);
        arena_reset(&a);
        a.limit = 0;
        ASSERT_OK(ndr_pull_conformant_bytes(&pull, &p, &len));
        /* The MInterfacePointer's own cap. */
        ASSERT_ERRNO(ndr_pull_interface_pointer(&pull, 4096, &p, &len), -E2BIG);
        ASSERT_OK(ndr_pull_interface_pointer(&pull, sizeof big, &p, &len));
        arena_done(&a);

        /* Many small strings: the cap counts the total, not each allocation. */
        struct ndr_sample_item items[200];
        static const uint16_t name[] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 0 };
        for (int i = 0; i < 200; i++)
                items[i] = (struct ndr_sample_item){ (uint32_t)i, (uint16_t *)name };
        struct ndr_sample_list l = { 200, items }, out;
        ndr_push_reset(&push);
        ASSERT_OK(ndr_push_sample_list(&push, NDR_SCALARS | NDR_BUFFERS, &l));
        arena_init(&a, 4096);
        ASSERT_ERRNO(pull_bytes(push.buf.data, push.buf.len, &a, pull_list, &out), -E2BIG);
        arena_done(&a);
        arena_init(&a, 64 * 1024);
        ASSERT_OK(pull_bytes(push.buf.data, push.buf.len, &a, pull_list, &out));
        arena_done(&a);
        ndr_push_free(&push);

        /* The push side's cap is the buffer's. */
        ndr_push_init(&push, 1024);
        ASSERT_ERRNO(ndr_push_bytes(&push, big, sizeof big), -E2BIG);
        ndr_push_free(&push);
}

/* Regressions found in review. */
TEST(review_regressions) {
        static const char small_tag = 0, big_tag = 0;
        static const uint8_t two_ids[] = { 0x04, 0x00, 0x02, 0x00, 0x04, 0x00, 0x02, 0x00 };
        static const uint8_t enum_bad[] = { 0xff, 0xff };
        static const uint8_t drep_bad[4] = { 0x20, 0x00, 0x00, 0x00 };
        struct ndr_pull pull;
        struct arena a;
        void *p, *q;
        uint32_t e;

        /* One referent ID for two pointer types (or sizes): refused, not aliased. */
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, two_ids, sizeof two_ids, NULL, &a));
        ASSERT_OK(ndr_pull_full_ptr(&pull, &small_tag, 4, &p));
        ASSERT_ERRNO(ndr_pull_full_ptr(&pull, &big_tag, 4, &q), -EBADMSG);
        ASSERT_ERRNO(ndr_pull_full_ptr(&pull, &small_tag, 2048, &q), -EBADMSG);
        ASSERT_EQ(pull.offset, 4);              /* the cursor did not move */
        ASSERT_OK(ndr_pull_full_ptr(&pull, &small_tag, 4, &q));
        ASSERT_TRUE(p == q);
        arena_done(&a);

        /* An out-of-range enum leaves the cursor. */
        ASSERT_OK(ndr_pull_init(&pull, enum_bad, sizeof enum_bad, NULL, &a));
        ASSERT_ERRNO(ndr_pull_enum16(&pull, &e), -ERANGE);
        ASSERT_EQ(pull.offset, 0);

        /* Only integer representations 0 and 1 exist. */
        ASSERT_ERRNO(ndr_pull_init(&pull, enum_bad, sizeof enum_bad, drep_bad, &a), -EPROTONOSUPPORT);

        /* A push that already failed still enters and leaves (generated code walks on
           to release what its pointees hold); its error stays. */
        struct ndr_push push;
        ndr_push_init(&push, 2);
        ndr_push_uint32(&push, 1);              /* over the 2-byte cap */
        ASSERT_EQ(ndr_push_enter(&push), 0);
        ASSERT_EQ(push.depth, 1);
        ndr_push_leave(&push);
        ASSERT_EQ(push.depth, 0);
        ASSERT_ERRNO(ndr_push_error(&push), -E2BIG);
        ndr_push_free(&push);
        arena_done(&a);
}
