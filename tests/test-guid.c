/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GUID text forms, wire layout, ordering, hashing and generation. */
#include <dcom/guid.h>

#include "test.h"

/* IID_IRemoteSCMActivator, as every DCOM activation names it. */
static const GUID scm = { 0x000001A0, 0x0000, 0x0000, { 0xC0, 0, 0, 0, 0, 0, 0, 0x46 } };

TEST(parse_forms) {
        GUID g;

        ASSERT_OK(dcom_guid_parse("{000001A0-0000-0000-C000-000000000046}", &g));
        ASSERT_TRUE(dcom_guid_equal(&g, &scm));
        ASSERT_OK(dcom_guid_parse("000001a0-0000-0000-c000-000000000046", &g));
        ASSERT_TRUE(dcom_guid_equal(&g, &scm));
        ASSERT_OK(dcom_guid_parse("{e1af8308-5D1F-11c9-91A4-08002B14A0FA}", &g));
        ASSERT_EQ(g.Data1, 0xe1af8308);
        ASSERT_EQ(g.Data2, 0x5d1f);
        ASSERT_EQ(g.Data3, 0x11c9);
        ASSERT_EQ(g.Data4[0], 0x91);
        ASSERT_EQ(g.Data4[7], 0xfa);
}

TEST(format_forms) {
        char buf[DCOM_GUID_STRING_REG];
        GUID g;

        ASSERT_STR_EQ(dcom_guid_format(&scm, DCOM_GUID_FORMAT_REGISTRY, buf),
                      "{000001A0-0000-0000-C000-000000000046}");
        ASSERT_STR_EQ(dcom_guid_format(&scm, DCOM_GUID_FORMAT_BARE, buf),
                      "000001a0-0000-0000-c000-000000000046");
        ASSERT_EQ(strlen(buf) + 1, DCOM_GUID_STRING_BARE);
        ASSERT_STR_EQ(dcom_guid_format(&GUID_NULL, DCOM_GUID_FORMAT_REGISTRY, buf),
                      "{00000000-0000-0000-0000-000000000000}");
        ASSERT_OK(dcom_guid_parse(buf, &g));
        ASSERT_TRUE(dcom_guid_is_null(&g));
}

TEST(parse_rejects) {
        static const char *const bad[] = {
                "",
                "{}",
                "000001A0-0000-0000-C000-00000000004",          /* one digit short */
                "000001A0-0000-0000-C000-0000000000460",        /* one digit long */
                "{000001A0-0000-0000-C000-000000000046",        /* no closing brace */
                "000001A0-0000-0000-C000-000000000046}",        /* no opening brace */
                "(000001A0-0000-0000-C000-000000000046)",
                "{000001A0-0000-0000-C000-000000000046}x",
                " 000001A0-0000-0000-C000-000000000046",
                "000001A0-0000-0000-C000-00000000004 ",
                "000001A0-0000-0000-C000-00000000004G",
                "000001A0_0000-0000-C000-000000000046",
                "000001A00000-0000-C000-0-00000000046",
                "+00001A0-0000-0000-C000-000000000046",
                "0x0001A0-0000-0000-C000-000000000046",
                "000001A0-0000-0000-C000000000000046",
                "{000001A0-0000-0000-C000-000000000046}}",
        };
        GUID g = scm;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                int r = dcom_guid_parse(bad[i], &g);
                if (r != -EINVAL)
                        test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        }
        ASSERT_TRUE(dcom_guid_equal(&g, &scm));         /* untouched on failure */
        ASSERT_ERRNO(dcom_guid_parse(NULL, &g), -EINVAL);
        /* An embedded NUL inside the counted form is not a digit. */
        ASSERT_ERRNO(dcom_guid_parse_n("000001A0-0000-0000-C000-00000000\0""046", 36, &g), -EINVAL);
        /* Counted parsing needs no terminator. */
        ASSERT_OK(dcom_guid_parse_n("000001A0-0000-0000-C000-000000000046trailing", 36, &g));
}

TEST(wire_layout) {
        /* [MS-DTYP] 2.3.4.2: Data1..3 little-endian, Data4 in order. */
        static const uint8_t expect[16] = {
                0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11,
                0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa,
        };
        uint8_t w[16];
        GUID g, h;

        ASSERT_OK(dcom_guid_parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa", &g));
        dcom_guid_to_wire(&g, w);
        ASSERT_MEM_EQ(w, expect, 16);
        dcom_guid_from_wire(expect, &h);
        ASSERT_TRUE(dcom_guid_equal(&g, &h));
}

TEST(compare_orders_like_text) {
        GUID a, b;

        ASSERT_OK(dcom_guid_parse("00000001-0000-0000-0000-000000000000", &a));
        ASSERT_OK(dcom_guid_parse("00000000-ffff-ffff-ffff-ffffffffffff", &b));
        ASSERT_GT(dcom_guid_compare(&a, &b), 0);
        ASSERT_LT(dcom_guid_compare(&b, &a), 0);
        ASSERT_OK(dcom_guid_parse("00000000-0000-0000-0000-000000000001", &a));
        ASSERT_OK(dcom_guid_parse("00000000-0000-0000-0100-000000000000", &b));
        ASSERT_LT(dcom_guid_compare(&a, &b), 0);
        ASSERT_EQ(dcom_guid_compare(&a, &a), 0);
}

TEST(hash_spreads_well_known_iids) {
        /* 256 IIDs of the form 000001xx-0000-0000-C000-000000000046 land in >= 200 of
         * 256 buckets (an ideal hash gives ~162 distinct... for random; we ask for the
         * low byte to matter, so count distinct low bytes). */
        bool seen[256] = { false };
        unsigned distinct = 0;

        for (unsigned i = 0; i < 256; i++) {
                GUID g = scm;
                g.Data1 = 0x100 + i;
                uint64_t h = dcom_guid_hash(&g);
                if (!seen[h & 0xff]) {
                        seen[h & 0xff] = true;
                        distinct++;
                }
        }
        ASSERT_GT(distinct, 140);
        GUID c = scm;
        ASSERT_EQ(dcom_guid_hash(&c), dcom_guid_hash(&scm));
}

TEST(generate_v4) {
        GUID a, b;
        char buf[DCOM_GUID_STRING_REG];

        ASSERT_OK(dcom_guid_generate(&a));
        ASSERT_OK(dcom_guid_generate(&b));
        ASSERT_FALSE(dcom_guid_equal(&a, &b));
        ASSERT_EQ(a.Data3 >> 12, 4);                    /* version 4 */
        ASSERT_EQ(a.Data4[0] & 0xC0, 0x80);             /* RFC 4122 variant */
        dcom_guid_format(&a, DCOM_GUID_FORMAT_BARE, buf);
        ASSERT_EQ(buf[14], '4');
}
