/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's built-in string typedefs on the wire: tests/strings.idl declares
 * parameters and members as LPOLESTR, LPCOLESTR, LPWSTR, LPCWSTR, LPSTR and LPCSTR
 * without [string], and they must travel as Windows' wtypes.idl makes them travel
 * (typedef [string] OLECHAR *LPOLESTR; ...): conformant varying strings, [C706] 14.3.4
 * -- max_count, offset 0, actual_count, each counting the terminator, then the
 * characters (UTF-16LE for the wide ones) with the terminator.  A top-level [in] one is
 * a [ref] pointer with no wire form; [out] LPOLESTR *, a [unique] parameter, a
 * structure member and an array element carry a referent ID first (0 for NULL), the
 * string following in the deferred part.  The vectors are computed by hand; widl
 * compiles the same declarations (with Wine's wtypes.idl) to FC_RP/FC_UP -> FC_C_WSTRING
 * or FC_C_CSTRING, the same bytes.  Client stub -> bytes -> server dispatch ->
 * implementation -> bytes -> client stub, as test-dcomidl-stubs2.c does it.
 */
#include "strings_stub.h"
#include "test.h"

/* --- the server ------------------------------------------------------------------------ */

static unsigned calls;

static size_t wlen(const WCHAR *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static WCHAR *wdup_prefixed(WCHAR c, const WCHAR *s) {
        size_t n = wlen(s);
        WCHAR *d = midl_user_allocate((n + 2) * sizeof *d);
        if (!d)
                return NULL;
        d[0] = c;
        memcpy(d + 1, s, (n + 1) * sizeof *d);
        return d;
}

static LONG impl_in(LPOLESTR s, LPCSTR a) {
        calls++;
        return (LONG)(wlen(s) * 100 + strlen(a));
}

static LONG impl_out(LPCOLESTR s, LPOLESTR *ret) {
        calls++;
        *ret = wdup_prefixed('>', s);
        return *ret ? 0 : -1;
}

static LONG impl_unique(LPCWSTR s) {
        calls++;
        return s ? (LONG)wlen(s) : -1;
}

static LONG impl_rec(STR_REC *in, STR_REC *out) {
        calls++;
        out->n = in->n + 1;
        out->w = in->w ? wdup_prefixed('<', in->w) : NULL;
        out->a = NULL;
        if (in->a) {
                size_t n = strlen(in->a);
                if ((out->a = midl_user_allocate(n + 1)))
                        memcpy(out->a, in->a, n + 1);
        }
        return (in->w ? 1 : 0) + (in->a ? 2 : 0);
}

static const WCHAR one[] = { 'a', 0 }, two[] = { 'b', 'c', 0 }, three[] = { 'd', 'e', 'f', 0 };

/* IEnumString::Next: up to celt strings, as many as there are */
static LONG impl_next(ULONG celt, LPOLESTR *rgelt, ULONG *fetched) {
        static const WCHAR *const all[] = { one, two, three };
        ULONG n = celt < 2 ? celt : 2;
        calls++;
        for (ULONG i = 0; i < n; i++)
                if (!(rgelt[i] = wdup_prefixed('*', all[i])))
                        return -1;
        *fetched = n;
        return n == celt ? 0 : 1;       /* S_OK, S_FALSE */
}

static const struct StrTypes_v1_0_epv epv = {
        impl_in, impl_in, impl_out, impl_out, impl_unique, impl_rec, impl_next,
};

/* --- the loopback binding ------------------------------------------------------------------ */

struct loop {
        uint8_t req[4096], resp[4096];
        size_t req_len, resp_len;
        size_t resp_cut;
};

static struct loop lp;

static int dispatch(uint16_t opnum, const uint8_t *req, size_t len, struct ndr_push *out) {
        struct ndr_pull sin;
        struct arena sarena;
        int r;

        arena_init(&sarena, 1 << 20);
        ASSERT_OK(ndr_pull_init(&sin, req, len, NULL, &sarena));
        struct ndr_server_call call = {
                .in = &sin, .out = out, .arena = &sarena, .impl = &epv,
        };
        r = StrTypes_v1_0_dispatch(&call, opnum);
        arena_reset(&sarena);
        return r;
}

static int loop_call(struct ndr_binding *bd, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct loop *l = bd->ctx;
        struct ndr_push sout;
        int r;

        ASSERT_OK(ndr_push_error(in));
        ASSERT_LE(in->buf.len, sizeof l->req);
        l->req_len = in->buf.len;
        if (in->buf.len)
                memcpy(l->req, in->buf.data, in->buf.len);
        ndr_push_init(&sout, 0);
        r = dispatch(opnum, l->req, l->req_len, &sout);
        if (r >= 0) {
                ASSERT_LE(sout.buf.len, sizeof l->resp);
                l->resp_len = sout.buf.len;
                if (sout.buf.len)
                        memcpy(l->resp, sout.buf.data, sout.buf.len);
        }
        ndr_push_free(&sout);
        if (r < 0)
                return r;
        size_t n = l->resp_cut ? l->resp_cut : l->resp_len;
        uint8_t *p = arena_alloc(arena, n ? n : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, l->resp, n);
        return ndr_pull_init(out, p, n, NULL, arena);
}

static struct ndr_binding binding = { .call = loop_call, .ctx = &lp };

#define EXPECT_BYTES(buf, len, want)                                                    \
        do {                                                                            \
                ASSERT_EQ((len), sizeof(want));                                         \
                ASSERT_MEM_EQ((buf), want, sizeof(want));                               \
        } while (0)

/* Every proper prefix of the last request is refused, and the implementation never runs. */
static void truncations(uint16_t opnum) {
        uint8_t full[4096];
        size_t n = lp.req_len;
        struct ndr_push out;

        memcpy(full, lp.req, n);
        calls = 0;
        for (size_t i = 0; i < n; i++) {
                uint8_t *cut = malloc(i ? i : 1);
                ASSERT_NOT_NULL(cut);
                memcpy(cut, full, i);
                ndr_push_init(&out, 0);
                ASSERT_ERRNO(dispatch(opnum, cut, i, &out), -EBADMSG);
                ndr_push_free(&out);
                free(cut);
        }
        ASSERT_EQ(calls, 0);
}

/* --- [in]: top-level [ref], no referent ID --------------------------------------------- */

TEST(in_strings) {
        static const uint8_t req[] = {
                0x03, 0, 0, 0,                  /* LPOLESTR s: max_count */
                0x00, 0, 0, 0,                  /* offset */
                0x03, 0, 0, 0,                  /* actual_count, the terminator counted */
                'h', 0, 'i', 0, 0, 0,           /* UTF-16LE */
                0, 0,                           /* pad to 4 */
                0x04, 0, 0, 0,                  /* LPCSTR a */
                0x00, 0, 0, 0,
                0x04, 0, 0, 0,
                'a', 'b', 'c', 0,
        };
        static const uint8_t resp[] = { 0xcb, 0, 0, 0 };       /* 2 * 100 + 3 */
        WCHAR hi[] = { 'h', 'i', 0 };
        LONG ret = 0;

        calls = 0;
        ASSERT_OK(StrTypes_StrIn(&binding, hi, "abc", &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 203);
        ASSERT_EQ(calls, 1);
        truncations(0);

        /* [string] written out as well: one string level, the same bytes */
        ASSERT_OK(StrTypes_StrInExplicit(&binding, hi, "abc", &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 203);
        truncations(1);

        /* the empty string: the terminator alone */
        static const uint8_t empty[] = {
                0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0,
                0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0,
        };
        WCHAR nothing[] = { 0 };
        ASSERT_OK(StrTypes_StrIn(&binding, nothing, "", &ret));
        EXPECT_BYTES(lp.req, lp.req_len, empty);
        ASSERT_EQ(ret, 0);

        /* a [ref] string cannot be NULL: the client refuses to send it */
        ASSERT_ERRNO(StrTypes_StrIn(&binding, NULL, "abc", &ret), -EINVAL);
}

TEST(in_string_refused) {
        /* the same request as in_strings' for s = L"h" and a = "a", then broken ways */
        static const struct {
                uint8_t b[40];
                size_t n;
        } bad[] = {
                /* well-formed: accepted */
                { { 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'h', 0, 0, 0,
                    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0 }, 30 },
                /* actual_count past max_count */
                { { 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'h', 0, 'i', 0, 0, 0, 0, 0,
                    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0 }, 34 },
                /* no terminator */
                { { 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'h', 0, 'i', 0,
                    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0 }, 30 },
                /* a NUL before the last character */
                { { 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
                    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0 }, 30 },
                /* a nonzero offset */
                { { 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'h', 0, 0, 0,
                    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0 }, 30 },
                /* actual_count 0: not even a terminator */
                { { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0 }, 26 },
        };
        struct ndr_push out;

        calls = 0;
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                ndr_push_init(&out, 0);
                if (i == 0)
                        ASSERT_OK(dispatch(0, bad[i].b, bad[i].n, &out));
                else
                        ASSERT_ERRNO(dispatch(0, bad[i].b, bad[i].n, &out), -EBADMSG);
                ndr_push_free(&out);
        }
        ASSERT_EQ(calls, 1);
}

/* --- [out] LPOLESTR *: a [unique] referent ---------------------------------------------- */

TEST(out_string) {
        static const uint8_t req[] = {
                0x02, 0, 0, 0, 0x00, 0, 0, 0, 0x02, 0, 0, 0, 'x', 0, 0, 0,
        };
        static const uint8_t resp[] = {
                0x00, 0x00, 0x02, 0x00,         /* *ret: referent ID */
                0x03, 0, 0, 0,                  /* max_count */
                0x00, 0, 0, 0,                  /* offset */
                0x03, 0, 0, 0,                  /* actual_count */
                '>', 0, 'x', 0, 0, 0,
                0, 0,                           /* pad to 4 */
                0x00, 0, 0, 0,                  /* the return value */
        };
        WCHAR x[] = { 'x', 0 };
        LPOLESTR s = NULL;
        LONG ret = -1;

        ASSERT_OK(StrTypes_StrOut(&binding, x, &s, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 0);
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(wlen(s), 2);
        ASSERT_EQ(s[0], '>');
        ASSERT_EQ(s[1], 'x');
        midl_user_free(s);              /* the caller's, from midl_user_allocate */
        truncations(2);

        /* explicit [string]: the same request and response */
        s = NULL;
        ASSERT_OK(StrTypes_StrOutExplicit(&binding, x, &s, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        midl_user_free(s);

        /* a truncated response: an error, and nothing left allocated */
        for (size_t cut = 1; cut < sizeof resp; cut++) {
                lp.resp_cut = cut;
                s = (LPOLESTR)x;
                ASSERT_ERRNO(StrTypes_StrOut(&binding, x, &s, &ret), -EBADMSG);
                ASSERT_NULL(s);
        }
        lp.resp_cut = 0;
}

/* --- [in, unique]: a referent ID, 0 for NULL ------------------------------------------- */

TEST(unique_string) {
        static const uint8_t req[] = {
                0x00, 0x00, 0x02, 0x00,
                0x04, 0, 0, 0, 0x00, 0, 0, 0, 0x04, 0, 0, 0,
                'a', 0, 'b', 0, 'c', 0, 0, 0,
        };
        static const uint8_t null_req[] = { 0, 0, 0, 0 };
        WCHAR abc[] = { 'a', 'b', 'c', 0 };
        LONG ret = 0;

        ASSERT_OK(StrTypes_StrUnique(&binding, abc, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 3);
        truncations(4);
        ASSERT_OK(StrTypes_StrUnique(&binding, NULL, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, null_req);
        ASSERT_EQ(ret, -1);
}

/* --- structure members: embedded [unique] pointers, strings deferred ----------------- */

TEST(struct_members) {
        static const uint8_t req[] = {
                0x00, 0x00, 0x02, 0x00,         /* w: referent ID */
                0x04, 0x00, 0x02, 0x00,         /* a: referent ID */
                0x07, 0, 0, 0,                  /* n */
                0x03, 0, 0, 0, 0x00, 0, 0, 0, 0x03, 0, 0, 0,    /* *w */
                'a', 0, 'b', 0, 0, 0,
                0, 0,
                0x02, 0, 0, 0, 0x00, 0, 0, 0, 0x02, 0, 0, 0,    /* *a */
                'z', 0,
        };
        static const uint8_t resp[] = {
                0x00, 0x00, 0x02, 0x00,         /* out->w */
                0x04, 0x00, 0x02, 0x00,         /* out->a */
                0x08, 0, 0, 0,                  /* out->n */
                0x04, 0, 0, 0, 0x00, 0, 0, 0, 0x04, 0, 0, 0,
                '<', 0, 'a', 0, 'b', 0, 0, 0,
                0x02, 0, 0, 0, 0x00, 0, 0, 0, 0x02, 0, 0, 0,
                'z', 0,
                0, 0,
                0x03, 0, 0, 0,                  /* the return value */
        };
        WCHAR ab[] = { 'a', 'b', 0 };
        char z[] = "z";
        STR_REC in = { ab, z, 7 }, out = { 0 };
        LONG ret = 0;

        ASSERT_OK(StrTypes_StrRec(&binding, &in, &out, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 3);
        ASSERT_EQ(out.n, 8);
        ASSERT_NOT_NULL(out.w);
        ASSERT_EQ(wlen(out.w), 3);
        ASSERT_EQ(out.w[0], '<');
        ASSERT_STR_EQ(out.a, "z");
        midl_user_free(out.w);
        midl_user_free(out.a);
        truncations(5);

        /* NULL members: a zero referent ID each, nothing deferred */
        static const uint8_t null_req[] = {
                0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0,
        };
        STR_REC none = { NULL, NULL, 5 };
        memset(&out, 0x55, sizeof out);
        ASSERT_OK(StrTypes_StrRec(&binding, &none, &out, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, null_req);
        ASSERT_EQ(ret, 0);
        ASSERT_NULL(out.w);
        ASSERT_NULL(out.a);
        ASSERT_EQ(out.n, 6);
}

/* --- IEnumString::Next's shape: a varying array of [unique] string pointers ------------- */

TEST(array_of_strings) {
        static const uint8_t req[] = { 0x03, 0, 0, 0 };        /* celt */
        static const uint8_t resp[] = {
                0x03, 0, 0, 0,                  /* max_count = celt */
                0x00, 0, 0, 0, 0x02, 0, 0, 0,   /* offset, actual_count = *fetched */
                0x00, 0x00, 0x02, 0x00,         /* rgelt[0] */
                0x04, 0x00, 0x02, 0x00,         /* rgelt[1] */
                0x03, 0, 0, 0, 0x00, 0, 0, 0, 0x03, 0, 0, 0,    /* *rgelt[0] */
                '*', 0, 'a', 0, 0, 0,
                0, 0,
                0x04, 0, 0, 0, 0x00, 0, 0, 0, 0x04, 0, 0, 0,    /* *rgelt[1] */
                '*', 0, 'b', 0, 'c', 0, 0, 0,
                0x02, 0, 0, 0,                  /* *fetched */
                0x01, 0, 0, 0,                  /* S_FALSE */
        };
        LPOLESTR v[3] = { NULL, NULL, NULL };
        ULONG fetched = 0;
        LONG ret = 0;

        ASSERT_OK(StrTypes_StrNext(&binding, 3, v, &fetched, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 1);
        ASSERT_EQ(fetched, 2);
        ASSERT_NOT_NULL(v[0]);
        ASSERT_NOT_NULL(v[1]);
        ASSERT_EQ(wlen(v[0]), 2);
        ASSERT_EQ(v[0][1], 'a');
        ASSERT_EQ(wlen(v[1]), 3);
        ASSERT_EQ(v[1][2], 'c');
        ASSERT_NULL(v[2]);
        midl_user_free(v[0]);
        midl_user_free(v[1]);

        /* a truncated response: all or nothing */
        for (size_t cut = 1; cut < sizeof resp; cut++) {
                lp.resp_cut = cut;
                v[0] = v[1] = NULL;
                ASSERT_ERRNO(StrTypes_StrNext(&binding, 3, v, &fetched, &ret), -EBADMSG);
                ASSERT_NULL(v[0]);
                ASSERT_NULL(v[1]);
        }
        lp.resp_cut = 0;
}
