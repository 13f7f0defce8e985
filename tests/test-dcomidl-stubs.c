/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's NDR stubs for a plain RPC interface: tests/dcomidl/stub.idl goes through
 * dcomidl_stub_gen; this file implements the server's entry point vector in C and
 * calls every method through client stub -> request bytes -> server dispatch ->
 * implementation -> response bytes -> client stub, over a loopback binding that stands
 * in for the RPC runtime.  The request and response stubs of several calls are checked
 * byte for byte against NDR 2.0 vectors computed by hand ([C706] chapter 14, the
 * conventions of test-ndr.c); malformed traffic must fail cleanly (ASan-clean), every
 * allocation of a call may fail (out-of-memory loop), and context handles go through a
 * small table standing in for the runtime's.
 */
#include "stub_stub.h"
#include "test.h"

/* --- the server ------------------------------------------------------------------------ */

static unsigned calls;

static LONG impl_add(handle_t h, LONG a, LONG b, LONG *sum) {
        ASSERT_NOT_NULL(h);     /* the server binding handle: the call */
        calls++;
        *sum = a + b;
        return a - b;
}

static int64_t impl_scalars(signed char s, short sh, ULONG ul, int64_t hy, BYTE by, char c,
                            unsigned char bo, float fl, double db, STUB_COLOR color,
                            STUB_MODE mode, double *dout, STUB_MODE *mout, short *io) {
        calls++;
        ASSERT_EQ(s, -2);
        ASSERT_EQ(sh, 0x1234);
        ASSERT_EQ(ul, 0xdeadbeef);
        ASSERT_EQ(hy, 0x0102030405060708);
        ASSERT_EQ(by, 0xab);
        ASSERT_EQ(c, 'x');
        ASSERT_EQ(bo, 1);
        ASSERT_TRUE(fl == 1.5f);
        ASSERT_TRUE(db == 2.5);
        ASSERT_EQ(color, STUB_GREEN);
        ASSERT_EQ(mode, STUB_SLOW);
        ASSERT_EQ(*io, 5);
        *dout = -0.5;
        *mout = STUB_FAST;
        *io = (short)(*io * 3);
        return -3;
}

static void impl_nothing(ULONG n, short k) {
        calls++;
}

static ULONG impl_wlen(const WCHAR *s, char *opt) {
        ULONG n = 0;
        calls++;
        while (s[n])
                n++;
        return n * 100 + (opt ? (ULONG)strlen(opt) : 99);
}

static error_status_t impl_greet(const char *name, WCHAR **greeting, char **echo) {
        size_t n = strlen(name);
        calls++;
        *greeting = midl_user_allocate((n + 4) * sizeof **greeting);
        *echo = midl_user_allocate(n + 1);
        if (!*greeting || !*echo) {
                midl_user_free(*greeting);
                midl_user_free(*echo);
                *greeting = NULL;
                *echo = NULL;
                return 8;       /* ERROR_NOT_ENOUGH_MEMORY */
        }
        (*greeting)[0] = 'h';
        (*greeting)[1] = 'i';
        (*greeting)[2] = ' ';
        for (size_t i = 0; i <= n; i++)
                (*greeting)[3 + i] = (WCHAR)name[i];
        memcpy(*echo, name, n + 1);
        return n == 0 ? 0x16c9a012 : 0;
}

static const LONG *sum_v;      /* where the last StubSum's array was */

static LONG impl_sum(ULONG n, const LONG *v, short fixed[3]) {
        LONG t = 0;
        calls++;
        sum_v = v;
        for (ULONG i = 0; i < n; i++)
                t += v[i];
        return t + fixed[0] + fixed[1] + fixed[2];
}

static void impl_fill(ULONG n, short *buf, BYTE b4[4]) {
        calls++;
        for (ULONG i = 0; i < n; i++)
                buf[i] = (short)(i * i);
        for (int i = 0; i < 4; i++)
                b4[i] = (BYTE)(b4[i] + 1);
}

static LONG impl_maybe(LONG *p, LONG *q) {
        calls++;
        if (q)
                *q += 1;
        return p ? *p : -1;
}

static LONG impl_item(STUB_ITEM item, STUB_ITEM *more, STUB_POINT *pt) {
        LONG t = (LONG)item.count;
        calls++;
        for (ULONG i = 0; i < item.count; i++)
                t += item.values[i];
        if (item.name)
                t += 1000 * item.name[0];
        if (item.note)
                t += 100000 * item.note[0];
        if (more)
                t += (LONG)more->id * 1000000;
        t += item.tag[0] + item.tag[1] + item.tag[2] - 6 + (LONG)item.at.y - 2 + item.at.x - 1;
        pt->x = (short)(pt->x + 1);
        pt->y *= 2;
        return t;
}

static LONG value_of(const STUB_VALUE *v) {
        switch (v->kind) {
        case 1: return v->u.l;
        case 2: return (LONG)v->u.d;
        case 3: return v->u.s ? (LONG)strlen(v->u.s) : -1;
        case 4: return v->u.pt.x + (LONG)v->u.pt.y;
        default: return 0;
        }
}

static LONG impl_value(STUB_VALUE v, STUB_VALUE *w) {
        calls++;
        return v.kind * 1000 + value_of(&v) + (w ? w->kind * 100000 + value_of(w) * 10000 : 0);
}

static void impl_read(ULONG max, BYTE buf[], ULONG *len) {
        calls++;
        *len = max < 3 ? max : 3;
        memcpy(buf, "xyz", *len);
        if (max == 0)
                *len = 1;       /* a buggy server: more than the buffer holds */
}

static LONG impl_arm(short level, STUB_ARM *arm, STUB_HOLDER h) {
        LONG t = level * 100 + h.which * 10;
        calls++;
        if (level == 1)
                t += arm->l;
        else if (level == 2 || level == 3)
                t += arm->s ? arm->s[0] : -1;
        if (h.which == 1)
                t += h.arm.l * 1000;
        else if (h.which == 2 || h.which == 3)
                t += (h.arm.s ? h.arm.s[0] : -1) * 1000;
        return t;
}

static LONG impl_open(LONG start, STUB_CTX *ctx) {
        LONG *counter = malloc(sizeof *counter);
        calls++;
        if (!counter)
                return -1;
        *counter = start;
        *ctx = counter;
        return 0;
}

static LONG impl_bump(STUB_CTX ctx, LONG by) {
        calls++;
        return *(LONG *)ctx += by;
}

static void impl_close(STUB_CTX *ctx) {
        calls++;
        free(*ctx);
        *ctx = NULL;
}

static const struct Stub_v1_2_epv server_epv = {
        impl_add, impl_scalars, impl_nothing, impl_wlen, impl_greet, impl_sum, impl_fill,
        impl_maybe, impl_item, impl_value, impl_read, impl_arm, impl_open, impl_bump, impl_close,
};

/* The runtime's context handle table, in small: handle i + 1 in Data1, four slots. */
struct table {
        struct ndr_context_table ops;
        void *objs[4];
};

static int table_lookup(struct ndr_context_table *t, const struct ndr_context_handle *wire,
                        void **ret) {
        struct table *tb = (struct table *)t;
        uint32_t i = wire->uuid.Data1 - 1;
        if (i >= 4 || !tb->objs[i])
                return -EBADMSG;        /* nca_s_fault_context_mismatch */
        *ret = tb->objs[i];
        return 0;
}

static int table_store(struct ndr_context_table *t, void *ctx, struct ndr_context_handle *wire,
                       void (*rundown)(void *)) {
        struct table *tb = (struct table *)t;
        uint32_t i = wire->uuid.Data1 - 1;

        if (!ndr_context_handle_is_null(wire)) {
                ASSERT_LT(i, 4);
                tb->objs[i] = ctx;
                if (!ctx)
                        memset(wire, 0, sizeof *wire);
                return 0;
        }
        if (!ctx)
                return 0;
        for (i = 0; i < 4 && tb->objs[i]; i++)
                ;
        if (i == 4)
                return -ENOSPC;
        tb->objs[i] = ctx;
        wire->uuid.Data1 = i + 1;
        return 0;
}

/* MIDL's rundown convention: the runtime's table would call it at association end */
void STUB_CTX_rundown(void *ctx) {
        free(ctx);
}

static struct table table = { { table_lookup, table_store }, { NULL } };

/* --- the loopback binding ---------------------------------------------------------------- */

struct loop {
        uint8_t req[1024], resp[1024];
        size_t req_len, resp_len;
        size_t resp_cut;                /* > 0: the response is cut to this many bytes */
        const uint8_t *fake;            /* sent instead of the server's response */
        size_t fake_len;
        int server_r;
};

static int loop_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct loop *l = b->ctx;
        struct ndr_pull sin;
        struct ndr_push sout;
        struct arena sarena;
        int r;

        ASSERT_TRUE(memcmp(&iface->uuid, &Stub_v1_2_s_interface.uuid, sizeof iface->uuid) == 0);
        ASSERT_EQ(iface->ver_major, 1);
        ASSERT_EQ(iface->ver_minor, 2);
        ASSERT_EQ(iface->n_ops, 15);
        ASSERT_OK(ndr_push_error(in));
        ASSERT_LE(in->buf.len, sizeof l->req);
        l->req_len = in->buf.len;
        if (in->buf.len)
                memcpy(l->req, in->buf.data, in->buf.len);

        arena_init(&sarena, 0);
        ndr_push_init(&sout, 0);
        ASSERT_OK(ndr_pull_init(&sin, l->req, l->req_len, NULL, &sarena));
        struct ndr_server_call call = {
                .in = &sin, .out = &sout, .arena = &sarena, .impl = &server_epv,
                .contexts = &table.ops,
        };
        r = l->server_r = Stub_v1_2_dispatch(&call, opnum);
        if (r >= 0 && l->fake) {
                l->resp_len = l->fake_len;
                memcpy(l->resp, l->fake, l->fake_len);
        } else if (r >= 0) {
                ASSERT_LE(sout.buf.len, sizeof l->resp);
                l->resp_len = sout.buf.len;
                if (sout.buf.len)
                        memcpy(l->resp, sout.buf.data, sout.buf.len);
        }
        ndr_push_free(&sout);
        arena_reset(&sarena);
        if (r < 0)
                return r;
        size_t n = l->resp_cut ? l->resp_cut : l->resp_len;
        /* the response lives in the client's arena, exactly n bytes (ASan sees overreads) */
        uint8_t *p = arena_alloc(arena, n ? n : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, l->resp, n);
        return ndr_pull_init(out, p, n, NULL, arena);
}

#define EXPECT_BYTES(buf, len, want)                                                    \
        do {                                                                            \
                ASSERT_EQ((len), sizeof(want));                                         \
                ASSERT_MEM_EQ((buf), want, sizeof(want));                               \
        } while (0)

static struct loop lp;
static struct ndr_binding binding = { .call = loop_call, .ctx = &lp };

/* --- (1) base types ---------------------------------------------------------------------- */

TEST(add_bytes) {
        static const uint8_t req[] = { 0x28, 0, 0, 0, 0x02, 0, 0, 0 };
        static const uint8_t resp[] = { 0x2a, 0, 0, 0, 0x26, 0, 0, 0 };
        LONG sum = 0, ret = 0;

        ASSERT_OK(Stub_StubAdd(&binding, 40, 2, &sum, &ret));
        ASSERT_EQ(sum, 42);
        ASSERT_EQ(ret, 38);
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        /* the return value may be ignored */
        ASSERT_OK(Stub_StubAdd(&binding, -1, 1, &sum, NULL));
        ASSERT_EQ(sum, 0);
        /* a NULL [out, ref] is the caller's error, caught before anything is sent */
        calls = 0;
        ASSERT_ERRNO(Stub_StubAdd(&binding, 1, 1, NULL, &ret), -EINVAL);
        ASSERT_EQ(calls, 0);
}

TEST(scalars_bytes) {
        static const uint8_t req[] = {
                0xfe, 0x00,                     /* small -2, pad */
                0x34, 0x12,                     /* short */
                0xef, 0xbe, 0xad, 0xde,         /* unsigned long */
                8, 7, 6, 5, 4, 3, 2, 1,         /* hyper at 8 */
                0xab, 'x', 0x01, 0x00,          /* byte, char, boolean, pad */
                0x00, 0x00, 0xc0, 0x3f,         /* float 1.5 */
                0, 0, 0, 0, 0, 0, 0x04, 0x40,   /* double 2.5 at 24 */
                0x02, 0, 0, 0,                  /* [v1_enum] STUB_GREEN */
                0x07, 0,                        /* enum (16 bits) STUB_SLOW */
                0x05, 0,                        /* [in, out] short */
        };
        static const uint8_t resp[] = {
                0, 0, 0, 0, 0, 0, 0xe0, 0xbf,   /* double -0.5 */
                0x03, 0,                        /* STUB_FAST */
                0x0f, 0,                        /* short 15 */
                0, 0, 0, 0,                     /* pad to 8 */
                0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* hyper -3 */
        };
        double d = 0;
        STUB_MODE m = STUB_SLOW;
        short io = 5;
        int64_t ret = 0;

        ASSERT_OK(Stub_StubScalars(&binding, -2, 0x1234, 0xdeadbeef, 0x0102030405060708, 0xab, 'x',
                                   1, 1.5f, 2.5, STUB_GREEN, STUB_SLOW, &d, &m, &io, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_TRUE(d == -0.5);
        ASSERT_EQ(m, STUB_FAST);
        ASSERT_EQ(io, 15);
        ASSERT_EQ(ret, -3);
}

TEST(void_method_and_range) {
        static const uint8_t req[] = { 0x64, 0, 0, 0, 0xfb, 0xff };
        calls = 0;
        ASSERT_OK(Stub_StubNothing(&binding, 100, -5));
        ASSERT_EQ(calls, 1);
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(lp.resp_len, 0);
        /* [range] is the server's check: the implementation never sees the value */
        ASSERT_ERRNO(Stub_StubNothing(&binding, 101, 0), -ERANGE);
        ASSERT_ERRNO(Stub_StubNothing(&binding, 0, 0), -ERANGE);
        ASSERT_ERRNO(Stub_StubNothing(&binding, 1, 6), -ERANGE);
        ASSERT_ERRNO(Stub_StubNothing(&binding, 1, -6), -ERANGE);
        ASSERT_EQ(calls, 1);
}

/* --- (2) strings -------------------------------------------------------------------------- */

TEST(wstring_in_bytes) {
        /* L"abc": max 4, offset 0, actual 4, 'a'0 'b'0 'c'0 0 0; then a NULL [unique] */
        static const uint8_t req[] = {
                0x04, 0, 0, 0, 0x00, 0, 0, 0, 0x04, 0, 0, 0,
                'a', 0, 'b', 0, 'c', 0, 0, 0,
                0, 0, 0, 0,
        };
        static const uint8_t req2[] = {
                0x04, 0, 0, 0, 0x00, 0, 0, 0, 0x04, 0, 0, 0,
                'a', 0, 'b', 0, 'c', 0, 0, 0,
                0x00, 0x00, 0x02, 0x00,         /* referent ID 0x00020000 */
                0x03, 0, 0, 0, 0x00, 0, 0, 0, 0x03, 0, 0, 0, 'h', 'i', 0,
        };
        static const uint8_t resp[] = { 0x2d, 0x01, 0, 0 };   /* 301 */
        static const WCHAR abc[] = { 'a', 'b', 'c', 0 };
        ULONG ret = 0;

        ASSERT_OK(Stub_StubWLen(&binding, abc, NULL, &ret));
        ASSERT_EQ(ret, 399);
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_OK(Stub_StubWLen(&binding, abc, "hi", &ret));
        ASSERT_EQ(ret, 302);
        EXPECT_BYTES(lp.req, lp.req_len, req2);
        ASSERT_OK(Stub_StubWLen(&binding, (const WCHAR[]){ 'x', 'y', 'z', 0 }, "h", &ret));
        ASSERT_EQ(ret, 301);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        /* NULL for a [ref] string */
        ASSERT_ERRNO(Stub_StubWLen(&binding, NULL, NULL, &ret), -EINVAL);
}

TEST(string_out) {
        static const uint8_t req[] = { 0x04, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 'b', 'o', 'b', 0 };
        static const uint8_t resp[] = {
                0x00, 0x00, 0x02, 0x00,
                0x07, 0, 0, 0, 0, 0, 0, 0, 0x07, 0, 0, 0,
                'h', 0, 'i', 0, ' ', 0, 'b', 0, 'o', 0, 'b', 0, 0, 0,
                0, 0,                           /* pad */
                0x04, 0x00, 0x02, 0x00,
                0x04, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 'b', 'o', 'b', 0,
                0, 0, 0, 0,                     /* error_status_t */
        };
        static const WCHAR want[] = { 'h', 'i', ' ', 'b', 'o', 'b', 0 };
        WCHAR *g = NULL;
        char *e = NULL;
        error_status_t st = 1;

        ASSERT_OK(Stub_StubGreet(&binding, "bob", &g, &e, &st));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(st, 0);
        ASSERT_NOT_NULL(g);
        ASSERT_MEM_EQ(g, want, sizeof want);
        ASSERT_STR_EQ(e, "bob");
        midl_user_free(g);
        midl_user_free(e);

        ASSERT_OK(Stub_StubGreet(&binding, "", &g, &e, &st));
        ASSERT_HR_EQ(st, 0x16c9a012);
        ASSERT_EQ(g[2], ' ');
        ASSERT_EQ(g[3], 0);
        ASSERT_STR_EQ(e, "");
        midl_user_free(g);
        midl_user_free(e);
}

/* --- (3) arrays ---------------------------------------------------------------------------- */

TEST(arrays_bytes) {
        static const uint8_t req[] = {
                0x03, 0, 0, 0,                  /* n */
                0x03, 0, 0, 0,                  /* conformance */
                0x01, 0, 0, 0, 0x02, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
                0x0a, 0x00, 0x14, 0x00, 0x1e, 0x00,     /* short fixed[3]: no conformance */
        };
        static const uint8_t resp[] = { 0x3e, 0, 0, 0 };
        const LONG v[] = { 1, 2, -1 };
        short fixed[3] = { 10, 20, 30 };
        LONG ret = 0;

        ASSERT_OK(Stub_StubSum(&binding, 3, v, fixed, &ret));
        ASSERT_EQ(ret, 62);
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        /* an empty conformant array: the conformance alone; NULL is not allowed ([ref]) */
        ASSERT_OK(Stub_StubSum(&binding, 0, v, fixed, &ret));
        ASSERT_EQ(ret, 60);
        ASSERT_EQ(lp.req_len, 14);
        ASSERT_ERRNO(Stub_StubSum(&binding, 0, NULL, fixed, &ret), -EINVAL);
}

TEST(array_out_bytes) {
        static const uint8_t req[] = { 0x04, 0, 0, 0, 1, 2, 3, 4 };
        static const uint8_t resp[] = {
                0x04, 0, 0, 0, 0, 0, 1, 0, 4, 0, 9, 0,  /* conformance, 0 1 4 9 */
                2, 3, 4, 5,
        };
        short buf[4] = { 0 };
        BYTE b4[4] = { 1, 2, 3, 4 };

        ASSERT_OK(Stub_StubFill(&binding, 4, buf, b4));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(buf[3], 9);
        ASSERT_EQ(b4[0], 2);
        ASSERT_EQ(b4[3], 5);
}

TEST(varying_out_bytes) {
        static const uint8_t req[] = { 0x05, 0, 0, 0 };
        static const uint8_t resp[] = {
                0x05, 0, 0, 0,                          /* max_count */
                0x00, 0, 0, 0, 0x03, 0, 0, 0,           /* offset, actual_count */
                'x', 'y', 'z', 0,                       /* pad */
                0x03, 0, 0, 0,                          /* *len */
        };
        BYTE buf[5] = { 0 };
        ULONG len = 0;

        ASSERT_OK(Stub_StubRead(&binding, 5, buf, &len));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(len, 3);
        ASSERT_MEM_EQ(buf, "xyz", 3);
        ASSERT_EQ(buf[3], 0);
        /* the server's length_is beyond its size_is is refused on its side */
        ASSERT_ERRNO(Stub_StubRead(&binding, 0, buf, &len), -EINVAL);
        ASSERT_ERRNO(lp.server_r, -EINVAL);
}

/* --- (5) [unique] pointers ---------------------------------------------------------------- */

TEST(unique_pointers) {
        static const uint8_t req[] = {
                0, 0, 0, 0,                     /* p: NULL */
                0x00, 0x00, 0x02, 0x00, 0x07, 0, 0, 0,  /* q */
        };
        static const uint8_t resp[] = { 0x00, 0x00, 0x02, 0x00, 0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
        LONG p = 5, q = 7, ret = 0;

        ASSERT_OK(Stub_StubMaybe(&binding, NULL, &q, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(q, 8);
        ASSERT_EQ(ret, -1);
        ASSERT_OK(Stub_StubMaybe(&binding, &p, NULL, &ret));
        ASSERT_EQ(ret, 5);
        ASSERT_EQ(lp.resp_len, 8);
}

/* --- (4) structures ------------------------------------------------------------------------ */

static const WCHAR ab[] = { 'a', 'b', 0 };
static const LONG item_values[] = { 5, 6 };

static STUB_ITEM sample_item(void) {
        STUB_ITEM it = { .id = 7, .name = (WCHAR *)ab, .at = { 1, 2 }, .tag = { 1, 2, 3 },
                         .count = 2, .values = (LONG *)item_values, .note = (char *)"n" };
        return it;
}

TEST(struct_bytes) {
        static const uint8_t req[] = {
                /* STUB_ITEM's scalars, 8-aligned */
                0x07, 0, 0, 0,                          /* id */
                0x00, 0x00, 0x02, 0x00,                 /* name: referent 0x20000 */
                0x01, 0x00, 0, 0, 0, 0, 0, 0,           /* at.x, pad */
                0x02, 0, 0, 0, 0, 0, 0, 0,              /* at.y */
                0x01, 0x02, 0x03, 0x00,                 /* tag[3], pad */
                0x02, 0, 0, 0,                          /* count */
                0x04, 0x00, 0x02, 0x00,                 /* values: referent 0x20004 */
                0x08, 0x00, 0x02, 0x00,                 /* note: referent 0x20008 */
                /* its pointees, in member order */
                0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'a', 0, 'b', 0, 0, 0,
                0, 0,                                   /* pad */
                0x02, 0, 0, 0, 0x05, 0, 0, 0, 0x06, 0, 0, 0,
                0x02, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 'n', 0,
                0, 0,                                   /* pad */
                0, 0, 0, 0,                             /* more: NULL */
                0, 0, 0, 0,                             /* pad to 8 */
                0x03, 0x00, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0,        /* *pt */
        };
        static const uint8_t resp[] = {
                0x04, 0x00, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0,
                0xb5, 0x53, 0xa9, 0x00,                 /* 13 + 97000 + 11000000 = 0xa953b5 */
        };
        STUB_ITEM it = sample_item();
        STUB_POINT pt = { 3, 4 };
        LONG ret = 0;

        ASSERT_OK(Stub_StubItem(&binding, it, NULL, &pt, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 13 + 97000 + 11000000);
        ASSERT_EQ(pt.x, 4);
        ASSERT_EQ(pt.y, 8);

        /* the [unique] one, NULL members */
        STUB_ITEM more = { .id = 3, .at = { 1, 2 }, .tag = { 1, 2, 3 } };
        it.name = NULL;
        it.note = NULL;
        ASSERT_OK(Stub_StubItem(&binding, it, &more, &pt, &ret));
        ASSERT_EQ(ret, 13 + 3000000);
        ASSERT_EQ(pt.x, 5);
        ASSERT_EQ(pt.y, 16);
        /* size_is(count) disagreeing with the conformance the client sent cannot happen;
           a count the pointer does not back would be read out of bounds: not tested */
        ASSERT_ERRNO(Stub_StubItem(&binding, it, NULL, NULL, &ret), -EINVAL);
}

/* --- (6) encapsulated unions ------------------------------------------------------------------ */

TEST(union_bytes) {
        static const uint8_t req_d[] = {
                0x02, 0x00, 0, 0, 0, 0, 0, 0,           /* kind 2, pad to the arms' 8 */
                0, 0, 0, 0, 0, 0, 0xf0, 0x3f,           /* d = 1.0 */
                0, 0, 0, 0,                             /* w: NULL */
        };
        static const uint8_t req_s[] = {
                0x03, 0x00, 0, 0,                       /* kind 3, pad to the pointer's 4 */
                0x00, 0x00, 0x02, 0x00,                 /* s: referent (no trailing pad) */
                0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'h', 'i', 0,
                0,                                      /* pad */
                0, 0, 0, 0,                             /* w: NULL */
        };
        static const uint8_t req_empty[] = {
                0x09, 0x00, 0, 0,                       /* default: nothing follows */
                0x00, 0x00, 0x02, 0x00,                 /* w: the first referent */
                0x01, 0x00, 0, 0, 0x07, 0, 0, 0,        /* *w: kind 1, pad, l = 7 */
        };
        STUB_VALUE v = { .kind = 2, .u.d = 1.0 }, w = { .kind = 1, .u.l = 7 };
        LONG ret = 0;

        ASSERT_OK(Stub_StubValue(&binding, v, NULL, &ret));
        ASSERT_EQ(ret, 2001);
        EXPECT_BYTES(lp.req, lp.req_len, req_d);
        v.kind = 3;
        v.u.s = (char *)"hi";
        ASSERT_OK(Stub_StubValue(&binding, v, NULL, &ret));
        ASSERT_EQ(ret, 3002);
        EXPECT_BYTES(lp.req, lp.req_len, req_s);
        v.kind = 9;
        ASSERT_OK(Stub_StubValue(&binding, v, &w, &ret));
        ASSERT_EQ(ret, 9000 + 100000 + 70000);
        EXPECT_BYTES(lp.req, lp.req_len, req_empty);
        v.kind = 4;
        v.u.pt.x = 2;
        v.u.pt.y = 40;
        ASSERT_OK(Stub_StubValue(&binding, v, NULL, &ret));
        ASSERT_EQ(ret, 4042);
}

static int dispatch_bytes(const uint8_t *data, size_t len, uint32_t opnum);

TEST(nonencapsulated_union_bytes) {
        static const uint8_t req[] = {
                0x01, 0x00,                             /* level */
                0x01, 0x00,                             /* *arm: discriminant (its own 2) */
                0x05, 0, 0, 0,                          /* arm->l */
                0x02, 0x00,                             /* h.which */
                0x02, 0x00,                             /* h.arm: discriminant */
                0x00, 0x00, 0x02, 0x00,                 /* h.arm.s: referent */
                0x02, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 'x', 0, 0, 0,
        };
        static const WCHAR x[] = { 'x', 0 };
        STUB_ARM arm = { .l = 5 };
        STUB_HOLDER h = { .which = 2, .arm.s = (WCHAR *)x };
        LONG ret = 0;

        ASSERT_OK(Stub_StubArm(&binding, 1, &arm, h, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 100 + 5 + 20 + 'x' * 1000);
        h.which = 7;            /* [default]: nothing */
        arm.s = (WCHAR *)x;
        ASSERT_OK(Stub_StubArm(&binding, 3, &arm, h, &ret));
        ASSERT_EQ(ret, 300 + 'x' + 70);

        /* the discriminant on the wire must be the switch_is value */
        uint8_t bad[sizeof req];
        memcpy(bad, req, sizeof req);
        bad[2] = 0x03;          /* *arm's discriminant */
        calls = 0;
        ASSERT_ERRNO(dispatch_bytes(bad, sizeof bad, 11), -EBADMSG);
        ASSERT_EQ(calls, 0);
}

/* --- (7) context handles ------------------------------------------------------------------ */

TEST(context_handles) {
        static const uint8_t open_resp[] = {
                0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* handle 1 */
                0, 0, 0, 0,                                                     /* S_OK */
        };
        static const uint8_t bump_req[] = {
                0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0x05, 0, 0, 0,
        };
        static const uint8_t closed[20] = { 0 };
        STUB_CTX c = NULL, c2 = NULL;
        LONG ret = -1;

        ASSERT_OK(Stub_StubOpen(&binding, 10, &c, &ret));
        ASSERT_EQ(ret, 0);
        ASSERT_NOT_NULL(c);
        EXPECT_BYTES(lp.resp, lp.resp_len, open_resp);
        ASSERT_OK(Stub_StubOpen(&binding, 100, &c2, &ret));
        ASSERT_TRUE(c2 != c);

        ASSERT_OK(Stub_StubBump(&binding, c, 5, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, bump_req);
        ASSERT_EQ(ret, 15);
        ASSERT_OK(Stub_StubBump(&binding, c2, 1, &ret));
        ASSERT_EQ(ret, 101);

        ASSERT_OK(Stub_StubClose(&binding, &c));
        ASSERT_NULL(c);
        EXPECT_BYTES(lp.resp, lp.resp_len, closed);
        /* the closed handle is unknown to the server now: a NULL one too */
        ASSERT_ERRNO(Stub_StubBump(&binding, NULL, 1, &ret), -EBADMSG);
        calls = 0;
        ASSERT_ERRNO(dispatch_bytes(bump_req, sizeof bump_req, 13), -EOPNOTSUPP);  /* no table */
        ASSERT_EQ(calls, 0);
        ASSERT_OK(Stub_StubClose(&binding, &c2));
        ASSERT_NULL(c2);
        ASSERT_NULL(table.objs[0]);
        ASSERT_NULL(table.objs[1]);
}

/* --- dispatch and malformed traffic ------------------------------------------------------- */

static int dispatch_capped(const uint8_t *data, size_t len, uint32_t opnum, size_t cap) {
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        uint8_t *copy = malloc(len ? len : 1);
        int r;

        ASSERT_NOT_NULL(copy);
        if (len)
                memcpy(copy, data, len);
        arena_init(&a, cap);
        ndr_push_init(&out, 0);
        ASSERT_OK(ndr_pull_init(&in, copy, len, NULL, &a));
        struct ndr_server_call call = { .in = &in, .out = &out, .arena = &a, .impl = &server_epv };
        r = Stub_v1_2_dispatch(&call, opnum);
        ndr_push_free(&out);
        arena_reset(&a);
        free(copy);
        return r;
}

static int dispatch_bytes(const uint8_t *data, size_t len, uint32_t opnum) {
        return dispatch_capped(data, len, opnum, 0);
}

/*
 * StubSum's request (opnum 5) dispatched as the RPC runtime does (in_alias: the request
 * outlives the call), from a heap copy at offset shift in the given byte order: 62, and
 * where the implementation saw the array.
 */
static LONG sum_from(const uint8_t *req, size_t len, const uint8_t *drep, size_t shift,
                     bool in_alias, ptrdiff_t *ret_at) {
        uint8_t *copy = malloc(len + shift);
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        LONG ret = 0;

        ASSERT_NOT_NULL(copy);
        memcpy(copy + shift, req, len);
        arena_init(&a, 0);
        ndr_push_init(&out, 0);
        ASSERT_OK(ndr_pull_init(&in, copy + shift, len, drep, &a));
        in.in_alias = in_alias;
        struct ndr_server_call call = { .in = &in, .out = &out, .arena = &a, .impl = &server_epv };
        sum_v = NULL;
        ASSERT_OK(Stub_v1_2_dispatch(&call, 5));
        ASSERT_EQ(out.buf.len, 4);
        ret = (LONG)(out.buf.data[0] | out.buf.data[1] << 8 | out.buf.data[2] << 16 |
                     (uint32_t)out.buf.data[3] << 24);
        ASSERT_NOT_NULL(sum_v);
        *ret_at = (const uint8_t *)sum_v - (copy + shift);
        ndr_push_free(&out);
        arena_reset(&a);
        free(copy);     /* after the call: an array left pointing here would be caught */
        return ret;
}

/* An [in] array of scalars points into the request only when its bytes are the host's. */
TEST(in_array_alias) {
        static const uint8_t le[] = {
                0x03, 0, 0, 0, 0x03, 0, 0, 0,
                0x01, 0, 0, 0, 0x02, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
                0x0a, 0x00, 0x14, 0x00, 0x1e, 0x00,
        };
        static const uint8_t be[] = {
                0, 0, 0, 0x03, 0, 0, 0, 0x03,
                0, 0, 0, 0x01, 0, 0, 0, 0x02, 0xff, 0xff, 0xff, 0xff,
                0x00, 0x0a, 0x00, 0x14, 0x00, 0x1e,
        };
        static const uint8_t drep_be[4] = { 0x00, 0x00, 0, 0 };
        ptrdiff_t at;

        /* little-endian and aligned: the array is the request's bytes 8.. */
        ASSERT_EQ(sum_from(le, sizeof le, NULL, 0, true, &at), 62);
        ASSERT_EQ(at, 8);
        /* the runtime does not allow it: a copy */
        ASSERT_EQ(sum_from(le, sizeof le, NULL, 0, false, &at), 62);
        ASSERT_TRUE(at < 0 || at >= (ptrdiff_t)sizeof le);
        /* misaligned in memory: a copy, the same values */
        ASSERT_EQ(sum_from(le, sizeof le, NULL, 1, true, &at), 62);
        ASSERT_TRUE(at < 0 || at >= (ptrdiff_t)sizeof le);
        /* big-endian: swapped into a copy */
        ASSERT_EQ(sum_from(be, sizeof be, drep_be, 0, true, &at), 62);
        ASSERT_TRUE(at < 0 || at >= (ptrdiff_t)sizeof be);
        /* too short for its conformance: refused either way, nothing read past the end */
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        arena_init(&a, 0);
        ndr_push_init(&out, 0);
        uint8_t *cut = malloc(12);
        ASSERT_NOT_NULL(cut);
        memcpy(cut, le, 12);
        ASSERT_OK(ndr_pull_init(&in, cut, 12, NULL, &a));
        in.in_alias = true;
        struct ndr_server_call call = { .in = &in, .out = &out, .arena = &a, .impl = &server_epv };
        ASSERT_ERRNO(Stub_v1_2_dispatch(&call, 5), -EBADMSG);
        ndr_push_free(&out);
        arena_reset(&a);
        free(cut);
}

TEST(interface_table) {
        ASSERT_EQ(Stub_v1_2_s_interface.n_ops, 15);
        ASSERT_STR_EQ(Stub_v1_2_s_interface.name, "Stub");
        ASSERT_STR_EQ(Stub_v1_2_s_interface.ops[4].name, "StubGreet");
        ASSERT_EQ(Stub_v1_2_s_interface.uuid.Data1, 0x0a1b2c3d);
        ASSERT_EQ(Stub_v1_2_s_interface.uuid.Data4[7], 0xf9);
}

TEST(opnum_out_of_range) {
        ASSERT_ERRNO(dispatch_bytes(NULL, 0, 15), -EOPNOTSUPP);
        ASSERT_ERRNO(dispatch_bytes(NULL, 0, 0xffffffff), -EOPNOTSUPP);
        ASSERT_OK(dispatch_bytes((const uint8_t[]){ 1, 0, 0, 0, 0, 0 }, 6, 2));
}

static void truncations(uint32_t opnum) {
        uint8_t full[1024];
        size_t n = lp.req_len;

        memcpy(full, lp.req, n);
        ASSERT_OK(dispatch_bytes(full, n, opnum));
        calls = 0;
        for (size_t i = 0; i < n; i++)
                ASSERT_ERRNO(dispatch_bytes(full, i, opnum), -EBADMSG);
        ASSERT_EQ(calls, 0);
}

TEST(truncated_requests) {
        LONG sum, ret;
        double d;
        STUB_MODE m;
        short io = 5;
        int64_t h;
        ULONG u;
        WCHAR *g;
        char *e;
        error_status_t st;
        const LONG v[] = { 1, 2, 3 };
        short fixed[3] = { 1, 2, 3 }, buf[2];
        BYTE b4[4] = { 0 };
        LONG q = 1;

        ASSERT_OK(Stub_StubAdd(&binding, 1, 2, &sum, &ret));
        truncations(0);
        ASSERT_OK(Stub_StubScalars(&binding, -2, 0x1234, 0xdeadbeef, 0x0102030405060708, 0xab, 'x',
                                   1, 1.5f, 2.5, STUB_GREEN, STUB_SLOW, &d, &m, &io, &h));
        truncations(1);
        ASSERT_OK(Stub_StubWLen(&binding, (const WCHAR[]){ 'a', 0 }, "opt", &u));
        truncations(3);
        ASSERT_OK(Stub_StubGreet(&binding, "bob", &g, &e, &st));
        midl_user_free(g);
        midl_user_free(e);
        truncations(4);
        ASSERT_OK(Stub_StubSum(&binding, 3, v, fixed, &ret));
        truncations(5);
        ASSERT_OK(Stub_StubFill(&binding, 2, buf, b4));
        truncations(6);
        ASSERT_OK(Stub_StubMaybe(&binding, &q, &q, &ret));
        truncations(7);
        STUB_ITEM it = sample_item();
        STUB_POINT pt = { 0, 0 };
        ASSERT_OK(Stub_StubItem(&binding, it, &it, &pt, &ret));
        truncations(8);
        STUB_VALUE val = { .kind = 3, .u.s = (char *)"str" };
        ASSERT_OK(Stub_StubValue(&binding, val, &val, &ret));
        truncations(9);
        BYTE rbuf[4];
        ULONG rlen;
        ASSERT_OK(Stub_StubRead(&binding, 4, rbuf, &rlen));
        truncations(10);
        STUB_ARM arm = { .l = 1 };
        STUB_HOLDER hold = { .which = 3, .arm.s = (WCHAR *)(const WCHAR[]){ 'q', 0 } };
        ASSERT_OK(Stub_StubArm(&binding, 1, &arm, hold, &ret));
        truncations(11);
}

TEST(bad_requests) {
        /* size_is(n) = 3 but the conformance says 2 */
        static const uint8_t mismatch[] = {
                0x03, 0, 0, 0, 0x02, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        };
        /* a string count far beyond the stub */
        static const uint8_t huge[] = {
                0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 'a', 0, 0, 0,
        };
        /* a v1_enum... and a 16-bit enum above 32767 */
        uint8_t scal[40] = { 0 };
        scal[36] = 0xff;
        scal[37] = 0xff;

        /* StubFill: the server allocates [out, size_is(n)] from n; the call arena's cap bounds it */
        static const uint8_t fill_huge[] = { 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4 };

        calls = 0;
        ASSERT_ERRNO(dispatch_capped(fill_huge, sizeof fill_huge, 6, 1 << 20), -E2BIG);
        ASSERT_ERRNO(dispatch_bytes(mismatch, sizeof mismatch, 5), -EBADMSG);
        ASSERT_ERRNO(dispatch_bytes(huge, sizeof huge, 4), -EBADMSG);
        ASSERT_ERRNO(dispatch_bytes(scal, sizeof scal, 1), -ERANGE);
        ASSERT_EQ(calls, 0);
}

/* --- out of memory: every allocation of a call, client and server, fails in turn --- */

static int greet_and_item_once(void *ctx) {
        WCHAR *g = NULL;
        char *e = NULL;
        error_status_t st = 0;
        STUB_ITEM it = sample_item();
        STUB_POINT pt = { 1, 1 };
        LONG ret;
        int r;

        (void)ctx;
        r = Stub_StubGreet(&binding, "bob", &g, &e, &st);
        if (r < 0)
                return r;
        ASSERT_TRUE(st == 8 || (g && e));
        midl_user_free(g);
        midl_user_free(e);
        if (st == 8)
                return -ENOMEM;         /* the server's allocation failed */
        return Stub_StubItem(&binding, it, &it, &pt, &ret);
}

TEST(out_of_memory) {
        unsigned points = ASSERT_OOM_LOOP(greet_and_item_once, NULL, NULL);
        ASSERT_GT(points, 5);
}

TEST(truncated_responses) {
        WCHAR *g = (WCHAR *)1;
        char *e = (char *)1;
        error_status_t st;
        size_t full;
        short buf[4];
        BYTE b4[4] = { 0 };

        ASSERT_OK(Stub_StubGreet(&binding, "bob", &g, &e, &st));
        midl_user_free(g);
        midl_user_free(e);
        full = lp.resp_len;
        for (size_t cut = 1; cut < full; cut++) {
                lp.resp_cut = cut;
                ASSERT_ERRNO(Stub_StubGreet(&binding, "bob", &g, &e, &st), -EBADMSG);
                ASSERT_NULL(g);         /* nothing left allocated */
                ASSERT_NULL(e);
        }
        lp.resp_cut = 3;
        ASSERT_ERRNO(Stub_StubFill(&binding, 4, buf, b4), -EBADMSG);
        /* a response whose actual_count exceeds the caller's size_is */
        static const uint8_t lying[] = {
                0x02, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'x', 'y', 'z', 0, 3, 0, 0, 0,
        };
        BYTE two[2];
        ULONG len;
        lp.resp_cut = 0;
        lp.fake = lying;
        lp.fake_len = sizeof lying;
        ASSERT_ERRNO(Stub_StubRead(&binding, 2, two, &len), -EBADMSG);
        lp.fake = NULL;
        ASSERT_OK(Stub_StubRead(&binding, 2, two, &len));
        ASSERT_EQ(len, 2);
        lp.resp_cut = 0;
}
