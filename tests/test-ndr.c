/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NDR engine round trips.  Every expected byte vector below was written by hand from
 * the rules of [C706] chapter 14 (alignment 14.2.2, arrays 14.3.3, strings 14.3.4,
 * pointers 14.3.10-12, unions 14.3.8) -- not produced by our own push -- then pushed,
 * compared, pulled back and compared again.
 */
#include "ndr/ndr-internal.h"
#include "ndr-sample.h"
#include "test.h"

static const GUID guid1 = { 0x12345678, 0x1234, 0x5678, { 1, 2, 3, 4, 5, 6, 7, 8 } };
#define GUID1_WIRE 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7, 8

/* Pushes with fn, checks the bytes against want, returns a pull over our copy. */
#define PUSH_EXPECT(push, want)                                                         \
        do {                                                                            \
                ASSERT_OK(ndr_push_error(push));                                        \
                ASSERT_EQ((push)->buf.len, sizeof(want));                               \
                ASSERT_MEM_EQ((push)->buf.data, want, sizeof(want));                    \
        } while (0)

TEST(primitives) {
        static const uint8_t want[] = {
                0x01,                                   /* uint8 at 0 */
                0x00, 0x03, 0x02,                       /* pad, uint16 at 2 */
                0x07, 0x06, 0x05, 0x04,                 /* uint32 at 4 */
                0x10, 0x0F, 0x0E, 0x0D, 0x0C, 0x0B, 0x0A, 0x09, /* hyper at 8 */
                0x00, 0x00, 0x80, 0x3F,                 /* float 1.0 at 16 */
                0x00, 0x00, 0x00, 0x00,                 /* pad to 8 */
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, /* double 1.0 at 24 */
                0x01,                                   /* boolean at 32 */
                0x00, 0x05, 0x00,                       /* pad, enum16 5 at 34 */
                0x07, 0x00, 0x00, 0x00,                 /* v1_enum at 36 */
                GUID1_WIRE,                             /* GUID at 40 */
                0xFF,                                   /* int8 -1 at 56 */
                0x00, 0xFE, 0xFF,                       /* int16 -2 */
                0xFD, 0xFF, 0xFF, 0xFF,                 /* int32 -3 at 60 */
                0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* int64 -4 at 64 */
        };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ndr_push_uint8(&push, 1);
        ndr_push_uint16(&push, 0x0203);
        ndr_push_uint32(&push, 0x04050607);
        ndr_push_hyper(&push, 0x090A0B0C0D0E0F10);
        ndr_push_float(&push, 1.0f);
        ndr_push_double(&push, 1.0);
        ndr_push_boolean(&push, true);
        ndr_push_enum16(&push, 5);
        ndr_push_v1_enum(&push, 7);
        ndr_push_guid(&push, &guid1);
        ndr_push_int8(&push, -1);
        ndr_push_int16(&push, -2);
        ndr_push_int32(&push, -3);
        ndr_push_int64(&push, -4);
        PUSH_EXPECT(&push, want);

        uint8_t u8;
        uint16_t u16;
        uint32_t u32, e;
        uint64_t u64;
        float f;
        double d;
        bool b;
        GUID g;
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, ndr_drep_le, &a));
        ASSERT_OK(ndr_pull_uint8(&pull, &u8));
        ASSERT_EQ(u8, 1);
        ASSERT_OK(ndr_pull_uint16(&pull, &u16));
        ASSERT_EQ(u16, 0x0203);
        ASSERT_OK(ndr_pull_uint32(&pull, &u32));
        ASSERT_EQ(u32, 0x04050607);
        ASSERT_OK(ndr_pull_hyper(&pull, &u64));
        ASSERT_EQ(u64, 0x090A0B0C0D0E0F10);
        ASSERT_OK(ndr_pull_float(&pull, &f));
        ASSERT_TRUE(f == 1.0f);
        ASSERT_OK(ndr_pull_double(&pull, &d));
        ASSERT_TRUE(d == 1.0);
        ASSERT_OK(ndr_pull_boolean(&pull, &b));
        ASSERT_TRUE(b);
        ASSERT_OK(ndr_pull_enum16(&pull, &e));
        ASSERT_EQ(e, 5);
        ASSERT_OK(ndr_pull_v1_enum(&pull, &e));
        ASSERT_EQ(e, 7);
        ASSERT_OK(ndr_pull_guid(&pull, &g));
        ASSERT_TRUE(dcom_guid_equal(&g, &guid1));
        ASSERT_OK(ndr_pull_int8(&pull, &i8));
        ASSERT_EQ(i8, -1);
        ASSERT_OK(ndr_pull_int16(&pull, &i16));
        ASSERT_EQ(i16, -2);
        ASSERT_OK(ndr_pull_int32(&pull, &i32));
        ASSERT_EQ(i32, -3);
        ASSERT_OK(ndr_pull_int64(&pull, &i64));
        ASSERT_EQ(i64, -4);
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(big_endian_drep) {
        static const uint8_t be[] = {
                0x01, 0x02, 0x03, 0x04,                 /* uint32 */
                0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5, 6, 7, 8, /* GUID */
                0xEE, 0xEE, 0xEE, 0xEE,                 /* pad to 8 (any content) */
                0x3F, 0xF0, 0, 0, 0, 0, 0, 0,           /* double 1.0 at 24 */
                0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                0x00, 'a', 0x00, 'b', 0x00, 0x00,       /* [string] wchar "ab" */
        };
        static const uint8_t drep_be[4] = { 0x00, 0x00, 0, 0 };
        struct ndr_pull pull;
        struct arena a;
        uint32_t u32, len;
        uint16_t *s;
        double d;
        GUID g;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, be, sizeof be, drep_be, &a));
        ASSERT_TRUE(pull.big_endian);
        ASSERT_OK(ndr_pull_uint32(&pull, &u32));
        ASSERT_EQ(u32, 0x01020304);
        ASSERT_OK(ndr_pull_guid(&pull, &g));
        ASSERT_TRUE(dcom_guid_equal(&g, &guid1));
        ASSERT_OK(ndr_pull_double(&pull, &d));
        ASSERT_TRUE(d == 1.0);
        ASSERT_OK(ndr_pull_wstring(&pull, &s, &len));
        ASSERT_EQ(len, 2);
        ASSERT_TRUE(s[0] == 'a' && s[1] == 'b' && s[2] == 0);
        arena_done(&a);

        /* [C706] 14.2.5: EBCDIC and non-IEEE floats are refused up front. */
        ASSERT_ERRNO(ndr_pull_init(&pull, be, sizeof be, (const uint8_t[4]){ 0x11, 0, 0, 0 }, &a),
                     -EPROTONOSUPPORT);
        ASSERT_ERRNO(ndr_pull_init(&pull, be, sizeof be, (const uint8_t[4]){ 0x10, 1, 0, 0 }, &a),
                     -EPROTONOSUPPORT);
}

TEST(wstring_abc) {
        /* The brief's example: max 4, offset 0, actual 4, 'a'0 'b'0 'c'0 0 0. */
        static const uint8_t want[] = {
                0x04, 0, 0, 0, 0x00, 0, 0, 0, 0x04, 0, 0, 0,
                'a', 0, 'b', 0, 'c', 0, 0, 0,           /* 20 bytes: no pad before */
                0x2A, 0, 0, 0,
        };
        /* An odd char string then a uint32: 3 pad bytes. */
        static const uint8_t want_c[] = {
                0x03, 0, 0, 0, 0x00, 0, 0, 0, 0x03, 0, 0, 0, 'h', 'i', 0,
                0x00, 0x2A, 0, 0, 0,
        };
        static const uint16_t abc[] = { 'a', 'b', 'c', 0 };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;
        uint16_t *s;
        char *cs;
        uint32_t len, v;

        ndr_push_init(&push, 0);
        ndr_push_wstring(&push, abc);
        ndr_push_uint32(&push, 42);
        PUSH_EXPECT(&push, want);

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_wstring(&pull, &s, &len));
        ASSERT_EQ(len, 3);
        ASSERT_MEM_EQ(s, abc, sizeof abc);
        ASSERT_OK(ndr_pull_uint32(&pull, &v));
        ASSERT_EQ(v, 42);

        ndr_push_reset(&push);
        ndr_push_string(&push, "hi");
        ndr_push_uint32(&push, 42);
        PUSH_EXPECT(&push, want_c);
        ASSERT_OK(ndr_pull_init(&pull, want_c, sizeof want_c, NULL, &a));
        ASSERT_OK(ndr_pull_string(&pull, &cs, &len));
        ASSERT_STR_EQ(cs, "hi");
        ASSERT_EQ(len, 2);
        ASSERT_OK(ndr_pull_uint32(&pull, &v));
        ASSERT_EQ(v, 42);

        /* [string] in a fixed array (varying only): wchar_t name[8] holding "ab". */
        static const uint8_t want_f[] = { 0, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 'b', 0, 0, 0 };
        uint16_t fixed[8];
        ndr_push_reset(&push);
        ndr_push_wstring_fixed(&push, (const uint16_t[]){ 'a', 'b', 0 }, 8);
        PUSH_EXPECT(&push, want_f);
        ASSERT_OK(ndr_pull_init(&pull, want_f, sizeof want_f, NULL, &a));
        ASSERT_OK(ndr_pull_wstring_fixed(&pull, fixed, 8, &len));
        ASSERT_EQ(len, 2);
        ASSERT_TRUE(fixed[0] == 'a' && fixed[1] == 'b' && fixed[2] == 0);

        /* char name[4] holding "abc": 3 + NUL fills it; "abcd" does not fit. */
        static const uint8_t want_cf[] = { 0, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 0 };
        char cfixed[4];
        ndr_push_reset(&push);
        ndr_push_string_fixed(&push, "abc", 4);
        PUSH_EXPECT(&push, want_cf);
        ASSERT_OK(ndr_pull_init(&pull, want_cf, sizeof want_cf, NULL, &a));
        ASSERT_OK(ndr_pull_string_fixed(&pull, cfixed, 4, &len));
        ASSERT_STR_EQ(cfixed, "abc");
        ASSERT_OK(ndr_pull_init(&pull, want_cf, sizeof want_cf, NULL, &a));
        ASSERT_ERRNO(ndr_pull_string_fixed(&pull, cfixed, 3, &len), -EBADMSG);
        ndr_push_reset(&push);
        ASSERT_ERRNO(ndr_push_string_fixed(&push, "abcd", 4), -EINVAL);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(arrays_and_checks) {
        /* Conformant byte array, then a varying uint32 array [length_is(2), first_is(1)] of 4. */
        static const uint8_t want[] = {
                0x03, 0, 0, 0, 0xAA, 0xBB, 0xCC,
                0x00,                                   /* pad */
                0x01, 0, 0, 0, 0x02, 0, 0, 0,           /* offset 1, actual 2 */
                0x11, 0, 0, 0, 0x22, 0, 0, 0,
        };
        static const uint8_t bytes[] = { 0xAA, 0xBB, 0xCC };
        static const uint32_t vals[] = { 0x11, 0x22 };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;
        uint8_t *p;
        uint32_t len, off, act, got[2];

        ndr_push_init(&push, 0);
        ndr_push_conformant_bytes(&push, bytes, 3);
        ndr_push_variance(&push, 1, 2);
        ndr_push_uint32_array(&push, vals, 2);
        PUSH_EXPECT(&push, want);

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_conformant_bytes(&pull, &p, &len));
        ASSERT_EQ(len, 3);
        ASSERT_MEM_EQ(p, bytes, 3);
        ASSERT_OK(ndr_pull_variance(&pull, 4, &off, &act));
        ASSERT_OK(ndr_check_length_is(off, act, 1, 2));
        ASSERT_OK(ndr_check_last_is(off, act, 1, 2));
        ASSERT_ERRNO(ndr_check_length_is(off, act, 0, 2), -EBADMSG);
        ASSERT_OK(ndr_pull_check_count(&pull, act, 4, 4));
        ASSERT_OK(ndr_pull_uint32_array(&pull, got, act));
        ASSERT_MEM_EQ(got, vals, sizeof vals);

        ASSERT_OK(ndr_check_size_is(5, 5));
        ASSERT_ERRNO(ndr_check_size_is(5, 6), -EBADMSG);
        ASSERT_OK(ndr_check_max_is(5, 4));
        ASSERT_ERRNO(ndr_check_max_is(5, 5), -EBADMSG);
        ASSERT_ERRNO(ndr_check_max_is(0, UINT32_MAX), -EBADMSG);
        ASSERT_OK(ndr_check_last_is(0, 0, 0, UINT64_MAX));     /* last_is -1: nothing */
        ASSERT_OK(ndr_check_last_is(0, 0, 0, UINT32_MAX));
        ASSERT_ERRNO(ndr_check_last_is(0, 1, 0, UINT64_MAX), -EBADMSG);
        ASSERT_ERRNO(ndr_check_last_is(5, 0, 5, 2), -EBADMSG); /* below first_is - 1 */
        ASSERT_OK(ndr_check_last_is(3, 0, 3, 2));      /* last_is = first_is - 1: nothing */
        ASSERT_OK(ndr_check_range(5, 1, 100));
        ASSERT_ERRNO(ndr_check_range(0, 1, 100), -ERANGE);
        ASSERT_ERRNO(ndr_check_range(101, 1, 100), -ERANGE);
        ASSERT_ERRNO(ndr_check_range_signed(-5, -4, 4), -ERANGE);
        ASSERT_OK(ndr_check_range_signed(-4, -4, 4));
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(item_struct_with_unique_wstring) {
        static const uint16_t ab[] = { 'a', 'b', 0 };
        static const uint8_t want[] = {
                0x07, 0, 0, 0,                          /* id */
                0x00, 0x00, 0x02, 0x00,                 /* referent ID 0x00020000 */
                0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'a', 0, 'b', 0, 0, 0,
        };
        struct ndr_sample_item in = { 7, (uint16_t *)ab }, out;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_item(&push, NDR_SCALARS | NDR_BUFFERS, &in));
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_sample_item(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_EQ(out.id, 7);
        ASSERT_MEM_EQ(out.name, ab, sizeof ab);
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(array_of_structs_deferred) {
        /* [C706] 14.3.12.3: both structures' scalars, then both strings; NULL name = 0. */
        static const uint16_t x[] = { 'x', 0 }, yz[] = { 'y', 'z', 0 };
        struct ndr_sample_item items[3] = { { 1, (uint16_t *)x }, { 2, NULL }, { 3, (uint16_t *)yz } };
        struct ndr_sample_list in = { 3, items }, out;
        static const uint8_t want[] = {
                0x03, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,  /* count, items -> 0x20000 */
                0x03, 0, 0, 0,                          /* conformance */
                0x01, 0, 0, 0, 0x04, 0x00, 0x02, 0x00,  /* item 0: id, name -> 0x20004 */
                0x02, 0, 0, 0, 0x00, 0x00, 0x00, 0x00,  /* item 1: id, NULL */
                0x03, 0, 0, 0, 0x08, 0x00, 0x02, 0x00,  /* item 2: id, name -> 0x20008 */
                0x02, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 'x', 0, 0, 0,
                0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'y', 0, 'z', 0, 0, 0,
        };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_list(&push, NDR_SCALARS | NDR_BUFFERS, &in));
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_sample_list(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_TRUE(ndr_sample_list_equal(&in, &out));
        ASSERT_NULL(out.items[1].name);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(pointer_to_pointer) {
        static const uint8_t want[] = { 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x02, 0x00, 0x2A, 0, 0, 0 };
        static const uint8_t want_inner_null[] = { 0x00, 0x00, 0x02, 0x00, 0, 0, 0, 0 };
        uint32_t v = 42, *pv = &v, **got;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_pp(&push, &pv));
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_sample_pp(&pull, &got));
        ASSERT_EQ(**got, 42);

        pv = NULL;
        ndr_push_reset(&push);
        ASSERT_OK(ndr_push_sample_pp(&push, &pv));
        PUSH_EXPECT(&push, want_inner_null);
        ASSERT_OK(ndr_pull_init(&pull, want_inner_null, sizeof want_inner_null, NULL, &a));
        ASSERT_OK(ndr_pull_sample_pp(&pull, &got));
        ASSERT_NOT_NULL(got);
        ASSERT_NULL(*got);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(linked_list) {
        struct ndr_sample_node n3 = { 3, NULL }, n2 = { 2, &n3 }, n1 = { 1, &n2 }, out;
        static const uint8_t want[] = {
                0x01, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,
                0x02, 0, 0, 0, 0x04, 0x00, 0x02, 0x00,
                0x03, 0, 0, 0, 0x00, 0x00, 0x00, 0x00,
        };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_node(&push, NDR_SCALARS | NDR_BUFFERS, &n1));
        PUSH_EXPECT(&push, want);
        ASSERT_EQ(push.depth, 0);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_sample_node(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_TRUE(ndr_sample_node_equal(&n1, &out));
        ASSERT_EQ(pull.depth, 0);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(unions) {
        static const uint16_t hi[] = { 'h', 'i', 0 };
        struct ndr_sample_union u1 = { .level = 1, .u.num = 9 },
                                u2 = { .level = 2, .u.str = (uint16_t *)hi },
                                u3 = { .level = 3, .u.guid = guid1 }, out;
        static const uint8_t want1[] = { 0x01, 0x00, 0x00, 0x00, 0x09, 0, 0, 0 };
        static const uint8_t want2[] = {
                0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
                0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'h', 0, 'i', 0, 0, 0,
        };
        static const uint8_t want3[] = { 0x03, 0x00, 0x00, 0x00, GUID1_WIRE };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        arena_init(&a, 0);
        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_union(&push, NDR_SCALARS | NDR_BUFFERS, &u1));
        PUSH_EXPECT(&push, want1);
        ASSERT_OK(ndr_pull_init(&pull, want1, sizeof want1, NULL, &a));
        ASSERT_OK(ndr_pull_sample_union(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_EQ(out.level, 1);
        ASSERT_EQ(out.u.num, 9);

        ndr_push_reset(&push);
        ASSERT_OK(ndr_push_sample_union(&push, NDR_SCALARS | NDR_BUFFERS, &u2));
        PUSH_EXPECT(&push, want2);
        ASSERT_OK(ndr_pull_init(&pull, want2, sizeof want2, NULL, &a));
        ASSERT_OK(ndr_pull_sample_union(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_EQ(out.level, 2);
        ASSERT_MEM_EQ(out.u.str, hi, sizeof hi);

        ndr_push_reset(&push);
        ASSERT_OK(ndr_push_sample_union(&push, NDR_SCALARS | NDR_BUFFERS, &u3));
        PUSH_EXPECT(&push, want3);
        ASSERT_OK(ndr_pull_init(&pull, want3, sizeof want3, NULL, &a));
        ASSERT_OK(ndr_pull_sample_union(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_TRUE(dcom_guid_equal(&out.u.guid, &guid1));

        /* Non-encapsulated ([switch_is] of a parameter): the discriminant, of the
         * union's switch_type, leads the arm; a pull checks it against switch_is. */
        static const uint8_t want_arm[] = { 0x01, 0x00, 0x00, 0x00, 0x09, 0, 0, 0 };
        union ndr_sample_arm arm = { .num = 9 };
        ndr_push_reset(&push);
        ASSERT_OK(ndr_push_sample_arm(&push, NDR_SCALARS | NDR_BUFFERS, 1, &arm));
        PUSH_EXPECT(&push, want_arm);
        memset(&arm, 0, sizeof arm);
        ASSERT_OK(ndr_pull_init(&pull, want_arm, sizeof want_arm, NULL, &a));
        ASSERT_OK(ndr_pull_sample_arm(&pull, NDR_SCALARS | NDR_BUFFERS, 1, &arm));
        ASSERT_EQ(arm.num, 9);
        ASSERT_OK(ndr_pull_init(&pull, want_arm, sizeof want_arm, NULL, &a));
        ASSERT_ERRNO(ndr_pull_sample_arm(&pull, NDR_SCALARS | NDR_BUFFERS, 4, &arm), -EBADMSG);

        /* Pushing an arm that does not exist is the caller's error. */
        ndr_push_reset(&push);
        out.level = 9;
        ASSERT_ERRNO(ndr_push_sample_union(&push, NDR_SCALARS, &out), -EINVAL);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(full_pointers_alias) {
        struct ndr_sample_pair p = { 5, 6 }, q = { 7, 8 };
        struct ndr_sample_full same = { &p, &p }, diff = { &p, &q }, out;
        /* The same object: one referent ID twice, its referent shipped once. */
        static const uint8_t want_same[] = {
                0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x05, 0, 0, 0, 0x06, 0, 0, 0,
        };
        static const uint8_t want_diff[] = {
                0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x02, 0x00,
                0x05, 0, 0, 0, 0x06, 0, 0, 0, 0x07, 0, 0, 0, 0x08, 0, 0, 0,
        };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        arena_init(&a, 0);
        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_full(&push, NDR_SCALARS | NDR_BUFFERS, &same));
        PUSH_EXPECT(&push, want_same);
        ASSERT_OK(ndr_pull_init(&pull, want_same, sizeof want_same, NULL, &a));
        ASSERT_OK(ndr_pull_sample_full(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_TRUE(out.a == out.b);
        ASSERT_EQ(out.a->x, 5);
        ASSERT_EQ(out.a->y, 6);
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);

        ndr_push_reset(&push);
        ASSERT_OK(ndr_push_sample_full(&push, NDR_SCALARS | NDR_BUFFERS, &diff));
        PUSH_EXPECT(&push, want_diff);
        ASSERT_OK(ndr_pull_init(&pull, want_diff, sizeof want_diff, NULL, &a));
        ASSERT_OK(ndr_pull_sample_full(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_TRUE(out.a != out.b);
        ASSERT_EQ(out.b->x, 7);

        /* Many distinct objects: the map grows and keeps every ID. */
        struct ndr_sample_pair many[100];
        ndr_push_reset(&push);
        for (int i = 0; i < 100; i++)
                ndr_push_full_ptr(&push, &many[i]);
        for (int i = 0; i < 100; i++)
                ndr_push_full_ptr(&push, &many[i]);
        ASSERT_OK(ndr_push_error(&push));
        ASSERT_EQ(push.buf.len, 800);
        ASSERT_MEM_EQ(push.buf.data, push.buf.data + 400, 400);
        ASSERT_OK(ndr_pull_init(&pull, push.buf.data, push.buf.len, NULL, &a));
        static const char pair_tag = 0;
        void *first[100], *again;
        for (int i = 0; i < 100; i++)
                ASSERT_OK(ndr_pull_full_ptr(&pull, &pair_tag, 8, &first[i]));
        for (int i = 0; i < 100; i++) {
                ASSERT_OK(ndr_pull_full_ptr(&pull, &pair_tag, 8, &again));
                ASSERT_TRUE(again == first[i]);
        }
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(ref_pointers) {
        static const uint8_t want[] = { 0x00, 0x00, 0x02, 0x00 };
        uint32_t v = 1, id;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_check_ref(&push, &v));       /* top level: nothing on the wire */
        ASSERT_EQ(push.buf.len, 0);
        ASSERT_OK(ndr_push_ref_ptr(&push, &v));
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_ref_ptr(&pull, &id));
        ASSERT_EQ(id, 0x00020000);
        ASSERT_ERRNO(ndr_push_ref_ptr(&push, NULL), -EINVAL);
        ASSERT_ERRNO(ndr_push_uint8(&push, 1), -EINVAL);        /* sticky */
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(conformant_varying_struct_hoisted) {
        uint16_t buf[3] = { 'a', 'b', 'c' };
        CVS *in = ndr_sample_cvs_new(10, 3, buf), *out;
        /* [C706] 14.3.7.2: max_count first, then the members, then offset/actual + data. */
        static const uint8_t want[] = {
                0x0A, 0, 0, 0, 0x0A, 0, 0, 0, 0x03, 0, 0, 0,
                0x00, 0, 0, 0, 0x03, 0, 0, 0, 'a', 0, 'b', 0, 'c', 0,
        };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_cvs(&push, NDR_SCALARS | NDR_BUFFERS, in));
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_sample_cvs(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_EQ(out->size, 10);
        ASSERT_EQ(out->length, 3);
        ASSERT_MEM_EQ(out->buf, buf, sizeof buf);
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        ndr_push_free(&push);
        arena_done(&a);
        free(in);
}

TEST(context_handle_and_interface_pointer) {
        struct ndr_context_handle h = { 1, guid1 }, got;
        static const uint8_t objref[] = { 'M', 'E', 'O', 'W', 1, 0, 0, 0 };
        static const uint8_t want[] = {
                0x01, 0, 0, 0, GUID1_WIRE,
                0x08, 0, 0, 0, 0x08, 0, 0, 0, 'M', 'E', 'O', 'W', 1, 0, 0, 0,
        };
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;
        uint8_t *p;
        uint32_t len;

        ndr_push_init(&push, 0);
        ndr_push_context_handle(&push, &h);
        ndr_push_interface_pointer(&push, objref, sizeof objref);
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_context_handle(&pull, &got));
        ASSERT_EQ(got.attributes, 1);
        ASSERT_TRUE(dcom_guid_equal(&got.uuid, &guid1));
        ASSERT_FALSE(ndr_context_handle_is_null(&got));
        ASSERT_OK(ndr_pull_interface_pointer(&pull, 4096, &p, &len));
        ASSERT_EQ(len, 8);
        ASSERT_MEM_EQ(p, objref, 8);
        ASSERT_TRUE(p < (uint8_t *)want || p >= (uint8_t *)want + sizeof want);  /* a copy */
        ASSERT_TRUE(ndr_context_handle_is_null(&(struct ndr_context_handle){ 0 }));
        ndr_push_free(&push);
        arena_done(&a);
}

/* A toy [user_marshal] type: a heap string shipped as uint16 length + bytes. */
struct toy {
        char *s;
};
static unsigned toy_frees;

static size_t toy_size(const void *obj) {
        return 2 + strlen(((const struct toy *)obj)->s);
}

static int toy_push(struct ndr_push *ndr, int ndr_flags, const void *obj) {
        const struct toy *t = obj;
        size_t n = strlen(t->s);

        if (!(ndr_flags & NDR_SCALARS))
                return 0;
        ndr_push_uint16(ndr, (uint16_t)n);
        return ndr_push_bytes(ndr, t->s, n);
}

static int toy_pull(struct ndr_pull *ndr, int ndr_flags, void *obj) {
        struct toy *t = obj;
        uint16_t n;
        int r;

        if (!(ndr_flags & NDR_SCALARS))
                return 0;
        if ((r = ndr_pull_uint16(ndr, &n)) < 0 || (r = ndr_pull_need(ndr, n)) < 0)
                return r;
        t->s = dcom_malloc((size_t)n + 1);
        if (!t->s)
                return -ENOMEM;
        t->s[n] = 0;
        return ndr_pull_bytes(ndr, t->s, n);
}

static void toy_free(void *obj) {
        struct toy *t = obj;

        if (t->s)
                toy_frees++;
        dcom_free(t->s);
        t->s = NULL;
}

static const struct ndr_user_marshal toy_um = {
        .name = "TOY", .mem_size = sizeof(struct toy),
        .size = toy_size, .push = toy_push, .pull = toy_pull, .free = toy_free,
};

TEST(user_marshal) {
        static const uint8_t want[] = { 0x03, 0x00, 'c', 'a', 't' };
        struct toy in = { (char *)"cat" }, out;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        ASSERT_OK(ndr_user_marshal_register(&toy_um));
        ASSERT_OK(ndr_user_marshal_register(&toy_um));  /* idempotent */
        ASSERT_ERRNO(ndr_user_marshal_register(&(struct ndr_user_marshal){
                             .name = "TOY", .push = toy_push, .pull = toy_pull }), -EEXIST);
        const struct ndr_user_marshal *um = ndr_user_marshal_find("TOY");
        ASSERT_TRUE(um == &toy_um);
        ASSERT_NULL(ndr_user_marshal_find("VARIANT"));

        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_user_marshal(&push, um, NDR_SCALARS | NDR_BUFFERS, &in));
        PUSH_EXPECT(&push, want);
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, want, sizeof want, NULL, &a));
        ASSERT_OK(ndr_pull_user_marshal(&pull, um, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_STR_EQ(out.s, "cat");
        ASSERT_EQ(toy_frees, 0);
        arena_reset(&a);                /* the pulled object dies with the call */
        ASSERT_EQ(toy_frees, 1);
        ndr_push_free(&push);
        arena_done(&a);
}

TEST(user_marshal_user_memory) {
        static const uint8_t two[] = { 0x03, 0x00, 'c', 'a', 't', 0x03, 0x00, 'd', 'o' };
        const struct ndr_user_marshal *um = &toy_um;
        struct toy out[2];
        struct ndr_pull pull;
        struct arena a;

        ASSERT_OK(ndr_user_marshal_register(&toy_um));
        /* a client's [out] object: the caller's once committed, not freed with the arena */
        toy_frees = 0;
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, two, 5, NULL, &a));
        ndr_pull_user_memory(&pull);
        ASSERT_OK(ndr_pull_user_marshal(&pull, um, NDR_SCALARS | NDR_BUFFERS, &out[0]));
        ndr_pull_user_commit(&pull);
        arena_reset(&a);
        ASSERT_EQ(toy_frees, 0);
        ASSERT_STR_EQ(out[0].s, "cat");
        toy_free(&out[0]);
        /* a failed pull frees what it had pulled, on rollback only */
        toy_frees = 0;
        ASSERT_OK(ndr_pull_init(&pull, two, sizeof two, NULL, &a));
        ndr_pull_user_memory(&pull);
        ASSERT_OK(ndr_pull_user_marshal(&pull, um, NDR_SCALARS | NDR_BUFFERS, &out[0]));
        ASSERT_ERRNO(ndr_pull_user_marshal(&pull, um, NDR_SCALARS | NDR_BUFFERS, &out[1]), -EBADMSG);
        ASSERT_EQ(toy_frees, 0);
        ndr_pull_user_rollback(&pull);
        ASSERT_EQ(toy_frees, 1);
        ASSERT_NULL(out[0].s);
        arena_done(&a);
}

TEST(stub_offset_alignment) {
        /* Alignment counts from the stub, not from a PDU header already in the buffer. */
        struct ndr_push push;

        ndr_push_init(&push, 0);
        ndr_push_bytes(&push, "HDR", 3);
        ndr_push_start_stub(&push);
        ndr_push_uint8(&push, 1);
        ndr_push_uint32(&push, 2);
        ASSERT_OK(ndr_push_error(&push));
        ASSERT_EQ(push.buf.len, 3 + 8);
        ASSERT_EQ(ndr_push_offset(&push), 8);
        ASSERT_EQ(push.buf.data[3 + 4], 2);
        ndr_push_free(&push);
}

/* One push of: a byte, a large user-marshal object (copied), BIG bytes, a byte, BIG/2
   uint16s, a byte, BIG/4 uint32s, a small byte array, a trailing uint32. */
static void push_mix(struct ndr_push *p, const uint8_t *b, const uint16_t *w, const uint32_t *d,
                     size_t big) {
        struct toy t = { malloc(big + 1) };

        if (!t.s) {
                ndr_push_fail(p, -ENOMEM);
                return;
        }
        memset(t.s, 'x', big);
        t.s[big] = 0;
        ndr_push_uint8(p, 1);
        ndr_push_user_marshal(p, &toy_um, NDR_SCALARS | NDR_BUFFERS, &t);
        free(t.s);      /* a routine's temporary: the push must not point at it */
        ndr_push_conformance(p, (uint32_t)big);
        ndr_push_bytes(p, b, big);
        ndr_push_uint8(p, 2);
        ndr_push_uint16_array(p, w, big / 2);
        ndr_push_uint8(p, 3);
        ndr_push_uint32_array(p, d, big / 4);
        ndr_push_bytes(p, b, 5);
        ndr_push_uint32(p, 0xabcdef01);
}

TEST(push_by_reference) {
        /* A client's large [in] arrays are referenced, not copied: the stub's pieces and
           its flattened form are byte for byte what a copying push makes. */
        const size_t big = NDR_PUSH_REF_MIN;
        uint8_t *b = malloc(big);
        uint16_t *w = malloc(big);
        uint32_t *d = malloc(big);
        struct ndr_push copy, ref;
        struct iovec iov[16];

        ASSERT_NOT_NULL(b);
        ASSERT_NOT_NULL(w);
        ASSERT_NOT_NULL(d);
        for (size_t i = 0; i < big; i++)
                b[i] = (uint8_t)(i * 7);
        for (size_t i = 0; i < big / 2; i++)
                w[i] = (uint16_t)(i * 31);
        for (size_t i = 0; i < big / 4; i++)
                d[i] = (uint32_t)(i * 2654435761u);
        ASSERT_OK(ndr_user_marshal_register(&toy_um));
        ndr_push_init(&copy, 0);
        push_mix(&copy, b, w, d, big);
        ASSERT_OK(ndr_push_error(&copy));
        ASSERT_EQ(copy.n_refs, 0);

        ndr_push_init(&ref, 0);
        ndr_push_bytes(&ref, "HDR", 3);         /* a header before the stub */
        ndr_push_start_stub(&ref);
        ndr_push_by_reference(&ref);
        push_mix(&ref, b, w, d, big);
        ASSERT_OK(ndr_push_error(&ref));
        ASSERT_EQ(ref.n_refs, 3);       /* the three big arrays; not the small one, not
                                           what the user-marshal routine pushed */
        ASSERT_EQ(ref.ref_bytes, 3 * big);
        ASSERT_EQ(ndr_push_offset(&ref), copy.buf.len);
        ASSERT_EQ(ref.buf.len - 3 + ref.ref_bytes, copy.buf.len);
        /* the pieces, concatenated, are the stub */
        size_t k = ndr_push_stub_iov(&ref, iov, 16);
        ASSERT_EQ(k, 7);                        /* buf, ref, buf, ref, buf, ref, buf */
        ASSERT_EQ(ndr_push_stub_iov(&ref, iov, 2), 7);  /* only 2 filled, the count all */
        size_t off = 0;
        for (size_t i = 0; i < k; i++) {
                ASSERT_LE(off + iov[i].iov_len, copy.buf.len);
                ASSERT_MEM_EQ(copy.buf.data + off, iov[i].iov_base, iov[i].iov_len);
                off += iov[i].iov_len;
        }
        ASSERT_EQ(off, copy.buf.len);
        ASSERT_TRUE(iov[1].iov_base == b);      /* referenced where it lies */
        /* flattened: the whole stub in buf, the header kept */
        ASSERT_OK(ndr_push_flatten(&ref));
        ASSERT_EQ(ref.n_refs, 0);
        ASSERT_EQ(ref.buf.len, 3 + copy.buf.len);
        ASSERT_MEM_EQ(ref.buf.data, "HDR", 3);
        ASSERT_MEM_EQ(ref.buf.data + 3, copy.buf.data, copy.buf.len);
        ASSERT_EQ(ndr_push_offset(&ref), copy.buf.len);
        ASSERT_OK(ndr_push_flatten(&ref));      /* nothing left to do */

        /* a user-marshal routine after a referenced array: the stub is made whole first
           (routines patch what they pushed at ndr_push_offset()s) */
        static const struct toy small = { (char *)"cat" };
        ndr_push_reset(&ref);
        ndr_push_bytes(&ref, b, big);
        ASSERT_EQ(ref.n_refs, 1);
        ASSERT_OK(ndr_push_user_marshal(&ref, &toy_um, NDR_SCALARS | NDR_BUFFERS, &small));
        ASSERT_EQ(ref.n_refs, 0);
        ASSERT_EQ(ref.buf.len, big + 5);
        ASSERT_MEM_EQ(ref.buf.data, b, big);
        static const uint8_t cat[] = { 3, 0, 'c', 'a', 't' };
        ASSERT_MEM_EQ(ref.buf.data + big, cat, sizeof cat);

        /* a reset push references again; the growth cap counts referenced bytes */
        ndr_push_reset(&ref);
        ASSERT_EQ(ndr_push_offset(&ref), 0);
        ndr_push_bytes(&ref, b, big);
        ASSERT_EQ(ref.n_refs, 1);
        ndr_push_free(&ref);
        ndr_push_init(&ref, big + 3);
        ndr_push_by_reference(&ref);
        ndr_push_bytes(&ref, b, 4);
        ndr_push_bytes(&ref, b, big);
        ASSERT_ERRNO(ndr_push_error(&ref), -E2BIG);
        ndr_push_free(&ref);
        /* ... and so do the bytes copied after a reference */
        ndr_push_init(&ref, big + 3);
        ndr_push_by_reference(&ref);
        ndr_push_bytes(&ref, b, big);
        ASSERT_OK(ndr_push_error(&ref));
        ndr_push_uint32(&ref, 1);
        ASSERT_ERRNO(ndr_push_error(&ref), -E2BIG);
        ndr_push_free(&ref);
        /* an interface pointer's OBJREF is copied, however large */
        ndr_push_init(&ref, 0);
        ndr_push_by_reference(&ref);
        ASSERT_OK(ndr_push_interface_pointer(&ref, b, (uint32_t)big));
        ASSERT_EQ(ref.n_refs, 0);
        ASSERT_EQ(ref.buf.len, 8 + big);
        ndr_push_free(&ref);
        ndr_push_free(&copy);
        free(b);
        free(w);
        free(d);
}

static void fill_request(struct ndr_sample_request *r, struct ndr_sample_item *items,
                         struct ndr_sample_node *nodes, struct ndr_sample_pair *pair,
                         uint32_t **pp) {
        static const uint16_t n0[] = { 'o', 'n', 'e', 0 }, n2[] = { 't', 'h', 'r', 'e', 'e', 0 };
        static const uint16_t cbuf[] = { 1, 2, 3, 4 };
        static const uint8_t obj[] = { 'M', 'E', 'O', 'W', 1, 0, 0, 0, 9 };
        static CVS *cvs;
        static SAMPLE_IP *ip;

        if (!cvs) {
                cvs = ndr_sample_cvs_new(6, 4, cbuf);
                ip = ndr_sample_ip_new(obj, sizeof obj);
        }
        memset(r, 0, sizeof *r);
        r->handle = (struct ndr_context_handle){ 0, guid1 };
        items[0] = (struct ndr_sample_item){ 1, (uint16_t *)n0 };
        items[1] = (struct ndr_sample_item){ 2, NULL };
        items[2] = (struct ndr_sample_item){ 3, (uint16_t *)n2 };
        r->list = (struct ndr_sample_list){ 3, items };
        nodes[0] = (struct ndr_sample_node){ 10, &nodes[1] };
        nodes[1] = (struct ndr_sample_node){ 20, NULL };
        r->head = &nodes[0];
        r->u = (struct ndr_sample_union){ .level = 2, .u.str = (uint16_t *)n0 };
        r->pp = pp;
        *pair = (struct ndr_sample_pair){ 3, 4 };
        r->full = (struct ndr_sample_full){ pair, pair };
        r->cvs = cvs;
        r->obj = ip;
        r->d = -2.5;
        r->h64 = 0x1122334455667788;
        r->b = true;
        r->e = 3;
        r->n = 50;
}

TEST(request_round_trip) {
        struct ndr_sample_request in, out;
        struct ndr_sample_item items[3];
        struct ndr_sample_node nodes[2];
        struct ndr_sample_pair pair;
        uint32_t v = 77, *pv = &v;
        struct ndr_push push, again;
        struct ndr_pull pull;
        struct arena a;

        fill_request(&in, items, nodes, &pair, &pv);
        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_request(&push, &in));
        arena_init(&a, 64 * 1024);
        ASSERT_OK(ndr_pull_init(&pull, push.buf.data, push.buf.len, NULL, &a));
        ASSERT_OK(ndr_pull_sample_request(&pull, &out));
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        ASSERT_TRUE(ndr_sample_request_equal(&in, &out));
        ndr_push_init(&again, 0);
        ASSERT_OK(ndr_push_sample_request(&again, &out));
        ASSERT_EQ(again.buf.len, push.buf.len);
        ASSERT_MEM_EQ(again.buf.data, push.buf.data, push.buf.len);
        ndr_push_free(&again);
        ndr_push_free(&push);
        arena_done(&a);
}

/* OOM loop: every allocation a pull makes goes through dcom_malloc. */
struct oom_ctx {
        const uint8_t *data;
        size_t size;
        struct arena a;
};

static int pull_request_once(void *p) {
        struct oom_ctx *c = p;
        struct ndr_sample_request out;
        struct ndr_pull pull;
        int r;

        arena_init(&c->a, 0);
        r = ndr_pull_init(&pull, c->data, c->size, NULL, &c->a);
        if (r >= 0)
                r = ndr_pull_sample_request(&pull, &out);
        arena_done(&c->a);
        return r;
}

static int push_request_once(void *p) {
        struct ndr_sample_request in;
        struct ndr_sample_item items[3];
        struct ndr_sample_node nodes[2];
        struct ndr_sample_pair pair;
        uint32_t v = 77, *pv = &v;
        struct ndr_push push;
        int r;

        (void)p;
        fill_request(&in, items, nodes, &pair, &pv);
        ndr_push_init(&push, 0);
        r = ndr_push_sample_request(&push, &in);
        ndr_push_free(&push);
        return r;
}

TEST(oom_loop) {
        struct ndr_sample_request in;
        struct ndr_sample_item items[3];
        struct ndr_sample_node nodes[2];
        struct ndr_sample_pair pair;
        uint32_t v = 77, *pv = &v;
        struct ndr_push push;
        struct oom_ctx c;

        fill_request(&in, items, nodes, &pair, &pv);
        ndr_push_init(&push, 0);
        ASSERT_OK(ndr_push_sample_request(&push, &in));
        c.data = push.buf.data;
        c.size = push.buf.len;
        unsigned n = ASSERT_OOM_LOOP(pull_request_once, NULL, &c);
        ASSERT_GT(n, 0);
        n = ASSERT_OOM_LOOP(push_request_once, NULL, NULL);
        ASSERT_GT(n, 0);
        ndr_push_free(&push);
}

/*
 * IDispatch::GetIDsOfNames request ([MS-OAUT] 3.1.4.3, opnum 5) as a stub pulls it:
 *      [in] ORPCTHIS *this; [in] REFIID riid;
 *      [in, size_is(cNames)] LPOLESTR *rgszNames; [in, range(0, 16384)] UINT cNames;
 *      [in] LCID lcid;
 * The interop notes record that impacket's names arrive NUL-terminated and that its pad
 * bytes are 0xBF/0xCE rather than zero; the bytes below are written by hand that way.
 */
static const uint8_t getidsofnames_req[] = {
        0x05, 0x00, 0x07, 0x00,                         /* ORPCTHIS.version 5.7 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* flags, reserved1 */
        GUID1_WIRE,                                     /* cid */
        0x00, 0x00, 0x00, 0x00,                         /* extensions: NULL */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* riid = IID_NULL */
        0x02, 0x00, 0x00, 0x00,                         /* rgszNames: conformance 2 */
        0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x02, 0x00, /* two unique referent IDs */
        0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'G', 0, 'o', 0, 0, 0, /* "Go" */
        0xBF, 0xCE,                                     /* impacket's pad bytes */
        0x04, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 'B', 0, 'a', 0, 'r', 0, 0, 0, /* "Bar" */
        0x02, 0x00, 0x00, 0x00,                         /* cNames */
        0x09, 0x04, 0x00, 0x00,                         /* lcid 0x409 */
};

struct getids_in {
        uint16_t ver_major, ver_minor;
        uint32_t flags;
        GUID cid, riid;
        uint16_t **names;
        uint32_t cnames, lcid;
};

static int pull_getids(struct ndr_pull *ndr, struct getids_in *r) {
        uint32_t reserved, ext, max, id;
        int e;

        if ((e = ndr_pull_uint16(ndr, &r->ver_major)) < 0 ||
            (e = ndr_pull_uint16(ndr, &r->ver_minor)) < 0 ||
            (e = ndr_pull_uint32(ndr, &r->flags)) < 0 || (e = ndr_pull_uint32(ndr, &reserved)) < 0 ||
            (e = ndr_pull_guid(ndr, &r->cid)) < 0 || (e = ndr_pull_unique_ptr(ndr, &ext)) < 0)
                return e;
        if (ext)
                return -EOPNOTSUPP;     /* not needed for this test */
        if ((e = ndr_pull_guid(ndr, &r->riid)) < 0 || (e = ndr_pull_conformance(ndr, &max)) < 0)
                return e;
        void *p;
        if ((e = ndr_pull_array_alloc(ndr, max, 4, 4, sizeof *r->names, &p)) < 0)
                return e;
        r->names = p;
        for (uint32_t i = 0; i < max; i++) {
                if ((e = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return e;
                r->names[i] = id ? NDR_PTR_PENDING : NULL;
        }
        for (uint32_t i = 0; i < max; i++)
                if (r->names[i] && (e = ndr_pull_wstring(ndr, &r->names[i], NULL)) < 0)
                        return e;
        if ((e = ndr_pull_uint32(ndr, &r->cnames)) < 0 ||
            (e = ndr_check_range(r->cnames, 0, 16384)) < 0 ||
            (e = ndr_check_size_is(max, r->cnames)) < 0)
                return e;
        return ndr_pull_uint32(ndr, &r->lcid);
}

static int push_getids(struct ndr_push *ndr, const struct getids_in *r) {
        ndr_push_uint16(ndr, r->ver_major);
        ndr_push_uint16(ndr, r->ver_minor);
        ndr_push_uint32(ndr, r->flags);
        ndr_push_uint32(ndr, 0);
        ndr_push_guid(ndr, &r->cid);
        ndr_push_unique_ptr(ndr, NULL);
        ndr_push_guid(ndr, &r->riid);
        ndr_push_check_ref(ndr, r->names);
        ndr_push_conformance(ndr, r->cnames);
        for (uint32_t i = 0; i < r->cnames; i++)
                ndr_push_unique_ptr(ndr, r->names[i]);
        for (uint32_t i = 0; i < r->cnames; i++)
                if (r->names[i])
                        ndr_push_wstring(ndr, r->names[i]);
        ndr_push_uint32(ndr, r->cnames);
        return ndr_push_uint32(ndr, r->lcid);
}

TEST(getidsofnames_request) {
        static const uint16_t go[] = { 'G', 'o', 0 }, bar[] = { 'B', 'a', 'r', 0 };
        uint8_t canonical[sizeof getidsofnames_req];
        struct getids_in in;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, getidsofnames_req, sizeof getidsofnames_req, ndr_drep_le, &a));
        ASSERT_OK(pull_getids(&pull, &in));
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        ASSERT_EQ(in.ver_major, 5);
        ASSERT_EQ(in.ver_minor, 7);
        ASSERT_TRUE(dcom_guid_equal(&in.cid, &guid1));
        ASSERT_TRUE(dcom_guid_is_null(&in.riid));
        ASSERT_EQ(in.cnames, 2);
        ASSERT_MEM_EQ(in.names[0], go, sizeof go);
        ASSERT_MEM_EQ(in.names[1], bar, sizeof bar);
        ASSERT_EQ(in.lcid, 0x409);

        /* We push the same bytes, with zero padding. */
        memcpy(canonical, getidsofnames_req, sizeof canonical);
        canonical[78] = canonical[79] = 0;
        ndr_push_init(&push, 0);
        ASSERT_OK(push_getids(&push, &in));
        PUSH_EXPECT(&push, canonical);
        ndr_push_free(&push);
        arena_done(&a);
}

/*
 * The same request as impacket 0.10.0 (Debian python3-impacket) encodes it, captured
 * offline from IDispatch_GetIDsOfNames().getData() with cid
 * 11223344-5566-7788-99aa-bbccddeeff00: its referent IDs (0xa6, 0x4bd0) and pad
 * bytes (0xab) are its own; the values must come out the same, and our re-push differs
 * only in those.
 */
static const uint8_t getidsofnames_impacket[] = {
        0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x88, 0x77, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
        0x00, 0x00, 0x00, 0x00,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x02, 0x00, 0x00, 0x00, 0xa6, 0x00, 0x00, 0x00, 0xd0, 0x4b, 0x00, 0x00,
        0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'G', 0, 'o', 0, 0, 0, 0xab, 0xab,
        0x04, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 'B', 0, 'a', 0, 'r', 0, 0, 0,
        0x02, 0x00, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00,
};

TEST(getidsofnames_from_impacket) {
        static const uint16_t go[] = { 'G', 'o', 0 }, bar[] = { 'B', 'a', 'r', 0 };
        uint8_t ours[sizeof getidsofnames_impacket];
        struct getids_in in;
        struct ndr_push push;
        struct ndr_pull pull;
        struct arena a;
        GUID cid;

        ASSERT_EQ(sizeof getidsofnames_impacket, 108);
        ASSERT_OK(dcom_guid_parse("11223344-5566-7788-99aa-bbccddeeff00", &cid));
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, getidsofnames_impacket, sizeof getidsofnames_impacket,
                                ndr_drep_le, &a));
        ASSERT_OK(pull_getids(&pull, &in));
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        ASSERT_TRUE(dcom_guid_equal(&in.cid, &cid));
        ASSERT_EQ(in.cnames, 2);
        ASSERT_MEM_EQ(in.names[0], go, sizeof go);
        ASSERT_MEM_EQ(in.names[1], bar, sizeof bar);
        ASSERT_EQ(in.lcid, 0x409);

        memcpy(ours, getidsofnames_impacket, sizeof ours);
        ours[52] = 0x00, ours[53] = 0x00, ours[54] = 0x02;             /* 0x00020000 */
        ours[56] = 0x04, ours[57] = 0x00, ours[58] = 0x02;             /* 0x00020004 */
        ours[78] = ours[79] = 0;                                        /* zero padding */
        ndr_push_init(&push, 0);
        ASSERT_OK(push_getids(&push, &in));
        PUSH_EXPECT(&push, ours);
        ndr_push_free(&push);
        arena_done(&a);
}

/*
 * ndr_pull_alias (a server's [in] arrays pointing into the request): only when the pull
 * allows it, bytes always, wider elements only little-endian and aligned in memory;
 * otherwise NULL with the cursor where it was, so that the copy pulls from there.
 */
TEST(pull_alias) {
        /* 8-byte aligned storage: the offsets below decide the memory alignment */
        uint64_t store[4];
        uint8_t *buf = (uint8_t *)store;
        static const uint8_t drep_be[4] = { 0x00, 0x00, 0, 0 };
        struct ndr_pull pull;
        struct arena a;
        uint8_t *p;

        for (unsigned i = 0; i < sizeof store; i++)
                buf[i] = (uint8_t)i;
        arena_init(&a, 0);

        /* not allowed: NULL, nothing taken */
        ASSERT_OK(ndr_pull_init(&pull, buf, sizeof store, NULL, &a));
        ASSERT_NULL(ndr_pull_alias(&pull, 4, 1));
        ASSERT_EQ(pull.offset, 0);

        /* bytes: where they lie, the cursor past them */
        pull.in_alias = true;
        ASSERT_OK(ndr_pull_skip(&pull, 1));
        p = ndr_pull_alias(&pull, 5, 1);
        ASSERT_TRUE(p == buf + 1);
        ASSERT_EQ(pull.offset, 6);
        /* 32-bit elements: aligned first (offset 8 of the stub), then 3 of them */
        p = ndr_pull_alias(&pull, 3, 4);
        ASSERT_TRUE(p == buf + 8);
        ASSERT_EQ(pull.offset, 20);
        /* past the end: NULL, nothing taken (the copy's pull reports the short stub) */
        ASSERT_NULL(ndr_pull_alias(&pull, 4, 4));
        ASSERT_NULL(ndr_pull_alias(&pull, UINT32_MAX, 8));
        ASSERT_EQ(pull.offset, 20);
        /* none: NULL (the copy allocates its one element) */
        ASSERT_NULL(ndr_pull_alias(&pull, 0, 1));

        /* a stub starting at an odd address: 16-bit elements aligned in the stub are not in
           memory -- copied */
        ASSERT_OK(ndr_pull_init(&pull, buf + 1, sizeof store - 1, NULL, &a));
        pull.in_alias = true;
        ASSERT_NULL(ndr_pull_alias(&pull, 2, 2));
        ASSERT_EQ(pull.offset, 0);
        ASSERT_TRUE(ndr_pull_alias(&pull, 2, 1) == buf + 1);    /* bytes all the same */

        /* big-endian: wider elements byte-swapped by the copy, bytes still aliased */
        ASSERT_OK(ndr_pull_init(&pull, buf, sizeof store, drep_be, &a));
        pull.in_alias = true;
        ASSERT_NULL(ndr_pull_alias(&pull, 2, 4));
        ASSERT_EQ(pull.offset, 0);
        ASSERT_TRUE(ndr_pull_alias(&pull, 3, 1) == buf);

        /* user mode (the caller frees what it pulled): never */
        ASSERT_OK(ndr_pull_init(&pull, buf, sizeof store, NULL, &a));
        pull.in_alias = true;
        ndr_pull_user_memory(&pull);
        ASSERT_NULL(ndr_pull_alias(&pull, 3, 1));
        ndr_pull_user_rollback(&pull);
        arena_done(&a);
}

/*
 * <dcom/ndr.h>'s inline scalars (the macros) against the exported functions (the names in
 * parentheses), at every offset of every stub size from 0 to 24 bytes, little- and
 * big-endian: the same result, value and offset -- and a failed pull leaves the offset.
 */
TEST(inline_scalars_match_functions) {
        static const uint8_t drep_be[4] = { 0x00, 0x00, 0x00, 0x00 };
        uint8_t buf[24];
        struct arena a;

        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)(0x11 * (i + 1));
        arena_init(&a, 0);
        for (int be = 0; be < 2; be++)
                for (size_t size = 0; size <= sizeof buf; size++)
                        for (size_t off = 0; off <= size; off++) {
                                struct ndr_pull x, y;
                                uint16_t h1 = 1, h2 = 1;
                                uint32_t w1 = 1, w2 = 1;
                                int32_t i1 = 1, i2 = 1;
                                GUID g1 = GUID_NULL, g2 = GUID_NULL;

                                ASSERT_OK(ndr_pull_init(&x, buf, size, be ? drep_be : NULL, &a));
                                y = x;
                                x.offset = y.offset = off;
                                ASSERT_EQ(ndr_pull_uint16(&x, &h1), (ndr_pull_uint16)(&y, &h2));
                                ASSERT_EQ(x.offset, y.offset);
                                ASSERT_EQ(h1, h2);
                                ASSERT_EQ(ndr_pull_uint32(&x, &w1), (ndr_pull_uint32)(&y, &w2));
                                ASSERT_EQ(x.offset, y.offset);
                                ASSERT_EQ(w1, w2);
                                ASSERT_EQ(ndr_pull_int32(&x, &i1), (ndr_pull_int32)(&y, &i2));
                                ASSERT_EQ(x.offset, y.offset);
                                ASSERT_EQ(i1, i2);
                                ASSERT_EQ(ndr_pull_unique_ptr(&x, &w1),
                                          (ndr_pull_unique_ptr)(&y, &w2));
                                ASSERT_EQ(x.offset, y.offset);
                                ASSERT_EQ(w1, w2);
                                ASSERT_EQ(ndr_pull_guid(&x, &g1), (ndr_pull_guid)(&y, &g2));
                                ASSERT_EQ(x.offset, y.offset);
                                ASSERT_MEM_EQ(&g1, &g2, sizeof g1);
                        }
        arena_done(&a);

        /* pushes: into a buffer with room, one that must grow, one capped, one after an
           error, one with a referenced array before it -- the same bytes either way */
        for (size_t pre = 0; pre < 8; pre++)
                for (size_t max = 0; max <= 48; max += 12) {
                        struct ndr_push x, y;
                        static const uint8_t big[NDR_PUSH_REF_MIN];

                        ndr_push_init(&x, max);
                        ndr_push_init(&y, max);
                        if (pre == 7) {
                                ndr_push_by_reference(&x);
                                ndr_push_by_reference(&y);
                                ndr_push_bytes(&x, big, sizeof big);
                                (ndr_push_bytes)(&y, big, sizeof big);
                        }
                        for (size_t i = 0; i < pre % 7; i++) {
                                ndr_push_uint8(&x, 0xAA);
                                ndr_push_uint8(&y, 0xAA);
                        }
                        for (int round = 0; round < 3; round++) {
                                ASSERT_EQ(ndr_push_uint16(&x, 0x0102), (ndr_push_uint16)(&y, 0x0102));
                                ASSERT_EQ(ndr_push_uint32(&x, 0x03040506),
                                          (ndr_push_uint32)(&y, 0x03040506));
                                ASSERT_EQ(ndr_push_int32(&x, -7), (ndr_push_int32)(&y, -7));
                                ASSERT_EQ(ndr_push_guid(&x, &guid1), (ndr_push_guid)(&y, &guid1));
                                ASSERT_EQ(ndr_push_unique_ptr(&x, round ? &x : NULL),
                                          (ndr_push_unique_ptr)(&y, round ? &y : NULL));
                        }
                        ASSERT_EQ(ndr_push_error(&x), ndr_push_error(&y));
                        ASSERT_EQ(x.buf.len, y.buf.len);
                        ASSERT_EQ(x.ref_bytes, y.ref_bytes);
                        if (x.buf.len)
                                ASSERT_MEM_EQ(x.buf.data, y.buf.data, x.buf.len);
                        ASSERT_EQ(x.next_ref_id, y.next_ref_id);
                        ndr_push_free(&x);
                        ndr_push_free(&y);
                }

        /* the referent ID that wraps: both hand out the last one, then start over */
        struct ndr_push x, y;
        ndr_push_init(&x, 0);
        ndr_push_init(&y, 0);
        x.next_ref_id = y.next_ref_id = UINT32_MAX - NDR_REF_ID_STEP + 1;
        ASSERT_OK(ndr_push_unique_ptr(&x, &x));
        ASSERT_OK((ndr_push_unique_ptr)(&y, &y));
        ASSERT_EQ(x.next_ref_id, NDR_REF_ID_STEP);
        ASSERT_EQ(y.next_ref_id, NDR_REF_ID_STEP);
        ASSERT_MEM_EQ(x.buf.data, y.buf.data, 4);
        ndr_push_free(&x);
        ndr_push_free(&y);
}

/*
 * A generated structure's run of fixed-size members (ndr_push_fixed + ndr_put_*,
 * ndr_pull_fixed + ndr_get_*) against the member-by-member calls: the same bytes pushed
 * in every state of the buffer, the same values and cursor pulled in either byte order,
 * the same -EBADMSG when short.
 */
TEST(fixed_runs_match_calls) {
        static const uint8_t drep_be[4] = { 0x00, 0x00, 0x00, 0x00 };
        uint8_t buf[40];
        struct arena a;

        for (size_t pre = 0; pre < 8; pre++)
                for (size_t max = 0; max <= 48; max += 12) {
                        struct ndr_push x, y;
                        static const uint8_t big[NDR_PUSH_REF_MIN];

                        ndr_push_init(&x, max);
                        ndr_push_init(&y, max);
                        if (pre == 7) {
                                ndr_push_by_reference(&x);
                                ndr_push_by_reference(&y);
                                ndr_push_bytes(&x, big, sizeof big);
                                ndr_push_bytes(&y, big, sizeof big);
                        }
                        for (size_t i = 0; i < pre % 7; i++) {
                                ndr_push_uint8(&x, 0xAA);
                                ndr_push_uint8(&y, 0xAA);
                        }
                        for (int round = 0; round < 3; round++) {
                                /* uint16, pad, uint32, GUID, [unique], byte, pad, hyper */
                                uint8_t *q = ndr_push_fixed(&x, 8, 40);
                                if (q) {
                                        ndr_put_uint16(q, 0x0102);
                                        memset(q + 2, 0, 2);
                                        ndr_put_uint32(q + 4, 0x03040506);
                                        ndr_put_guid(q + 8, &guid1);
                                        ndr_put_uint32(q + 24, ndr_push_unique_id(&x, round ? &x : NULL));
                                        ndr_put_uint8(q + 28, 0x77);
                                        memset(q + 29, 0, 3);
                                        ndr_put_uint64(q + 32, 0x1122334455667788ull);
                                }
                                (ndr_push_align)(&y, 8);
                                (ndr_push_uint16)(&y, 0x0102);
                                (ndr_push_uint32)(&y, 0x03040506);
                                (ndr_push_guid)(&y, &guid1);
                                (ndr_push_unique_ptr)(&y, round ? &y : NULL);
                                (ndr_push_uint8)(&y, 0x77);
                                (ndr_push_hyper)(&y, 0x1122334455667788ull);
                        }
                        ASSERT_EQ(ndr_push_error(&x), ndr_push_error(&y));
                        if (!ndr_push_error(&x)) {
                                ASSERT_EQ(x.buf.len, y.buf.len);
                                ASSERT_MEM_EQ(x.buf.data, y.buf.data, x.buf.len);
                                ASSERT_EQ(x.next_ref_id, y.next_ref_id);
                        }
                        ndr_push_free(&x);
                        ndr_push_free(&y);
                }

        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)(0x13 * (i + 1));
        arena_init(&a, 0);
        for (int be = 0; be < 2; be++)
                for (size_t size = 0; size <= sizeof buf; size++)
                        for (size_t off = 0; off <= size; off++) {
                                struct ndr_pull x, y;
                                const uint8_t *p = NULL;
                                uint16_t h = 0;
                                uint32_t w = 0, id = 0;
                                uint8_t b = 0;
                                uint64_t d = 0;
                                GUID g = GUID_NULL, gx = GUID_NULL;
                                int r;

                                ASSERT_OK(ndr_pull_init(&x, buf, size, be ? drep_be : NULL, &a));
                                y = x;
                                x.offset = y.offset = off;
                                r = ndr_pull_fixed(&x, 8, 40, &p);
                                if (r < 0) {
                                        ASSERT_EQ(r, -EBADMSG);
                                        ASSERT_EQ(x.offset, off);       /* unmoved */
                                        ASSERT_TRUE((ndr_pull_align)(&y, 8) < 0 ||
                                                    (ndr_pull_skip)(&y, 40) < 0);
                                        continue;
                                }
                                ASSERT_OK((ndr_pull_uint16)(&y, &h));
                                ASSERT_EQ(ndr_get_uint16(&x, p), h);
                                ASSERT_OK((ndr_pull_uint32)(&y, &w));
                                ASSERT_EQ(ndr_get_uint32(&x, p + 4), w);
                                ASSERT_OK((ndr_pull_guid)(&y, &g));
                                ndr_get_guid(&x, p + 8, &gx);
                                ASSERT_MEM_EQ(&gx, &g, sizeof g);
                                ASSERT_OK((ndr_pull_unique_ptr)(&y, &id));
                                ASSERT_EQ(ndr_get_uint32(&x, p + 24), id);
                                ASSERT_OK((ndr_pull_uint8)(&y, &b));
                                ASSERT_EQ(ndr_get_uint8(&x, p + 28), b);
                                ASSERT_OK((ndr_pull_hyper)(&y, &d));
                                ASSERT_EQ(ndr_get_uint64(&x, p + 32), d);
                                ASSERT_EQ(x.offset, y.offset);
                        }
        arena_done(&a);
}

/* A generated structure's run pulled from a big-endian peer: the linked list's bytes
   with each integer swapped. */
TEST(linked_list_big_endian) {
        static const uint8_t drep_be[4] = { 0x00, 0x00, 0x00, 0x00 };
        static const uint8_t be[] = {
                0, 0, 0, 0x01, 0x00, 0x02, 0x00, 0x00,
                0, 0, 0, 0x02, 0x00, 0x02, 0x00, 0x04,
                0, 0, 0, 0x03, 0x00, 0x00, 0x00, 0x00,
        };
        struct ndr_sample_node n3 = { 3, NULL }, n2 = { 2, &n3 }, n1 = { 1, &n2 }, out;
        struct ndr_pull pull;
        struct arena a;

        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pull, be, sizeof be, drep_be, &a));
        ASSERT_OK(ndr_pull_sample_node(&pull, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_TRUE(ndr_sample_node_equal(&n1, &out));
        ASSERT_EQ(ndr_pull_remaining(&pull), 0);
        /* short by one byte: refused */
        arena_reset(&a);
        ASSERT_OK(ndr_pull_init(&pull, be, sizeof be - 1, drep_be, &a));
        ASSERT_ERRNO(ndr_pull_sample_node(&pull, NDR_SCALARS | NDR_BUFFERS, &out), -EBADMSG);
        arena_done(&a);
}
