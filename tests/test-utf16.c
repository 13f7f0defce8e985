/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-8 <-> UTF-16 conversion (strict), the one decoder of surrogate pairs and UTF-8
 * encoder the registry's .reg files and the reg tool use, and the registry's
 * case-insensitive compare.
 */
#include <dcom/utf16.h>

#include "base/alloc.h"
#include "base/utf16.h"
#include "test.h"

static void roundtrip(const char *u8, size_t len, const WCHAR *expect, size_t units) {
        WCHAR *w;
        char *back;
        size_t n, m;

        ASSERT_OK(dcom_utf8_to_utf16(u8, len, &w, &n));
        ASSERT_EQ(n, units);
        ASSERT_MEM_EQ(w, expect, units * sizeof(WCHAR));
        ASSERT_EQ(w[n], 0);
        ASSERT_OK(dcom_utf16_to_utf8(w, n, &back, &m));
        ASSERT_EQ(m, len);
        ASSERT_MEM_EQ(back, u8, len);
        free(w);
        free(back);
}

TEST(valid_conversions) {
        roundtrip("", 0, (const WCHAR[]){ 0 }, 0);
        roundtrip("A", 1, u"A", 1);
        roundtrip("\xc3\xa9", 2, u"\u00e9", 1);                         /* é */
        roundtrip("\xe2\x82\xac", 3, u"\u20ac", 1);                     /* € */
        roundtrip("\xef\xbf\xbf", 3, (const WCHAR[]){ 0xFFFF }, 1);     /* noncharacter: valid */
        roundtrip("\xf0\x9f\x98\x80", 4, (const WCHAR[]){ 0xD83D, 0xDE00 }, 2);
        roundtrip("\xf4\x8f\xbf\xbf", 4, (const WCHAR[]){ 0xDBFF, 0xDFFF }, 2); /* U+10FFFF */
        roundtrip("a\0b", 3, (const WCHAR[]){ 'a', 0, 'b' }, 3);        /* NUL is data */
        roundtrip("HKLM\\Software", 13, u"HKLM\\Software", 13);
}

TEST(invalid_utf8) {
        static const struct {
                const char *s;
                const char *why;
        } bad[] = {
                { "\x80", "lone continuation" },
                { "\xbf", "lone continuation" },
                { "\xc0\x80", "overlong NUL" },
                { "\xc1\xbf", "overlong 2-byte" },
                { "\xe0\x80\xaf", "overlong 3-byte" },
                { "\xe0\x9f\xbf", "overlong 3-byte, top" },
                { "\xf0\x80\x80\xaf", "overlong 4-byte" },
                { "\xf0\x8f\xbf\xbf", "overlong 4-byte, top" },
                { "\xed\xa0\x80", "encoded high surrogate" },
                { "\xed\xbf\xbf", "encoded low surrogate" },
                { "\xed\xa0\xbd\xed\xb8\x80", "CESU-8 pair" },
                { "\xf4\x90\x80\x80", "above U+10FFFF" },
                { "\xf5\x80\x80\x80", "lead byte F5" },
                { "\xff", "byte FF" },
                { "\xfe", "byte FE" },
                { "\xc3", "truncated 2-byte" },
                { "\xe2\x82", "truncated 3-byte" },
                { "\xf0\x9f\x98", "truncated 4-byte" },
                { "a\xc3(", "bad continuation" },
                { "\xe2\x28\xa1", "bad second byte" },
                { "\xe2\x82\x28", "bad third byte" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                WCHAR *w = (WCHAR *)0x1;
                int r = dcom_utf8_to_utf16(bad[i].s, strlen(bad[i].s), &w, NULL);
                if (r != -EILSEQ)
                        test_fail(__FILE__, __LINE__, "accepted %s (case %zu): r=%d", bad[i].why, i, r);
                ASSERT_TRUE(w == (WCHAR *)0x1);         /* untouched on failure */
        }
}

TEST(invalid_utf16) {
        static const WCHAR lone_high[] = { 'a', 0xD800, 'b' };
        static const WCHAR lone_low[] = { 0xDC00 };
        static const WCHAR high_at_end[] = { 'x', 0xDBFF };
        static const WCHAR reversed[] = { 0xDC00, 0xD800 };
        static const WCHAR two_high[] = { 0xD800, 0xD800, 0xDC00 };
        char *s = NULL;

        ASSERT_ERRNO(dcom_utf16_to_utf8(lone_high, 3, &s, NULL), -EILSEQ);
        ASSERT_ERRNO(dcom_utf16_to_utf8(lone_low, 1, &s, NULL), -EILSEQ);
        ASSERT_ERRNO(dcom_utf16_to_utf8(high_at_end, 2, &s, NULL), -EILSEQ);
        ASSERT_ERRNO(dcom_utf16_to_utf8(reversed, 2, &s, NULL), -EILSEQ);
        ASSERT_ERRNO(dcom_utf16_to_utf8(two_high, 3, &s, NULL), -EILSEQ);
        ASSERT_NULL(s);
        /* A pair cut by the length is unpaired too. */
        static const WCHAR pair[] = { 0xD83D, 0xDE00 };
        ASSERT_ERRNO(dcom_utf16_to_utf8(pair, 1, &s, NULL), -EILSEQ);
        ASSERT_OK(dcom_utf16_to_utf8(pair, 2, &s, NULL));
        ASSERT_STR_EQ(s, "\xf0\x9f\x98\x80");
        free(s);
}

/* dcom_utf16_decode(): a pair is one code point, an unpaired surrogate -1 past one unit. */
TEST(utf16_decode) {
        static const WCHAR s[] = { 'a', 0xD83D, 0xDE00, 0xDC00, 0xD800, 'b', 0xDBFF, 0xDFFF, 0xD800 };
        static const int32_t cp[] = { 'a', 0x1F600, -1, -1, 'b', 0x10FFFF, -1 };
        static const size_t at[] = { 1, 3, 4, 5, 6, 8, 9 };
        size_t i = 0;

        for (size_t k = 0; k < sizeof cp / sizeof cp[0]; k++) {
                ASSERT_EQ(dcom_utf16_decode(s, sizeof s / sizeof s[0], &i), cp[k]);
                ASSERT_EQ(i, at[k]);
        }
        /* a pair cut by the length: the high surrogate alone */
        i = 1;
        ASSERT_EQ(dcom_utf16_decode(s, 2, &i), -1);
        ASSERT_EQ(i, 2);
        /* the edges of the BMP around the surrogates */
        static const WCHAR edge[] = { 0xD7FF, 0xE000, 0xFFFF, 0 };
        i = 0;
        ASSERT_EQ(dcom_utf16_decode(edge, 4, &i), 0xD7FF);
        ASSERT_EQ(dcom_utf16_decode(edge, 4, &i), 0xE000);
        ASSERT_EQ(dcom_utf16_decode(edge, 4, &i), 0xFFFF);
        ASSERT_EQ(dcom_utf16_decode(edge, 4, &i), 0);
        ASSERT_EQ(i, 4);
}

TEST(utf16_valid) {
        static const WCHAR pair[] = { 'x', 0xD83D, 0xDE00 };
        static const WCHAR lone_high[] = { 'x', 0xD83D, 'y' };
        static const WCHAR reversed[] = { 0xDE00, 0xD83D };

        ASSERT_TRUE(dcom_utf16_valid(pair, 3));
        ASSERT_TRUE(dcom_utf16_valid(pair, 0));
        ASSERT_FALSE(dcom_utf16_valid(pair, 2));
        ASSERT_FALSE(dcom_utf16_valid(lone_high, 3));
        ASSERT_FALSE(dcom_utf16_valid(reversed, 2));
        ASSERT_FALSE(dcom_utf16_valid(reversed + 1, 1));
}

/* dcom_utf8_encode(): each length's first and last code point. */
TEST(utf8_encode) {
        static const struct {
                uint32_t cp;
                const char *u8;
        } v[] = {
                { 0, "" }, { 0x7F, "\x7f" }, { 0x80, "\xc2\x80" }, { 0x7FF, "\xdf\xbf" },
                { 0x800, "\xe0\xa0\x80" }, { 0xFFFD, "\xef\xbf\xbd" }, { 0xFFFF, "\xef\xbf\xbf" },
                { 0x10000, "\xf0\x90\x80\x80" }, { 0x10FFFF, "\xf4\x8f\xbf\xbf" },
        };
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
                uint8_t o[4];
                size_t n = dcom_utf8_encode(v[k].cp, o);
                size_t want = v[k].cp ? strlen(v[k].u8) : 1;
                ASSERT_EQ(n, want);
                ASSERT_MEM_EQ(o, v[k].cp ? v[k].u8 : "\0", want);
        }
}

TEST(utf16_len) {
        ASSERT_EQ(dcom_utf16_len(u""), 0);
        ASSERT_EQ(dcom_utf16_len(u"Ole"), 3);
}

static int convert_once(void *ctx) {
        static const char s[] = "Software\\Microsoft\\Ole \xe2\x82\xac";
        WCHAR *w;
        char *back;
        int r;

        (void)ctx;
        r = dcom_utf8_to_utf16(s, sizeof s - 1, &w, NULL);
        if (r < 0)
                return r;
        r = dcom_utf16_to_utf8(w, dcom_utf16_len(w), &back, NULL);
        free(w);
        if (r < 0)
                return r;
        free(back);
        return 0;
}

TEST(oom) {
        ASSERT_EQ(ASSERT_OOM_LOOP(convert_once, NULL, NULL), 2);
}

TEST(toupper_table) {
        ASSERT_EQ(dcom_utf16_toupper('a'), 'A');
        ASSERT_EQ(dcom_utf16_toupper('z'), 'Z');
        ASSERT_EQ(dcom_utf16_toupper('A'), 'A');
        ASSERT_EQ(dcom_utf16_toupper('0'), '0');
        ASSERT_EQ(dcom_utf16_toupper('\\'), '\\');
        ASSERT_EQ(dcom_utf16_toupper(0x00E9), 0x00C9);          /* é -> É */
        ASSERT_EQ(dcom_utf16_toupper(0x00FF), 0x0178);          /* ÿ -> Ÿ */
        ASSERT_EQ(dcom_utf16_toupper(0x03C3), 0x03A3);          /* σ -> Σ */
        ASSERT_EQ(dcom_utf16_toupper(0x03C2), 0x03A3);          /* final ς -> Σ */
        ASSERT_EQ(dcom_utf16_toupper(0x0430), 0x0410);          /* Cyrillic а -> А */
        ASSERT_EQ(dcom_utf16_toupper(0xFF41), 0xFF21);          /* fullwidth a -> A */
        ASSERT_EQ(dcom_utf16_toupper(0x00DF), 0x00DF);          /* ß: no one-to-one upper */
        ASSERT_EQ(dcom_utf16_toupper(0x0131), 0x0131);          /* dotless i stays non-ASCII */
        ASSERT_EQ(dcom_utf16_toupper(0x017F), 0x017F);          /* long s likewise */
        ASSERT_EQ(dcom_utf16_toupper(0x0069), 0x0049);          /* i -> I, no Turkish rule */
        ASSERT_EQ(dcom_utf16_toupper(0xD800), 0xD800);          /* surrogates untouched */

        /* Over the whole BMP: idempotent, and never maps non-ASCII into ASCII. */
        for (uint32_t c = 0; c <= 0xFFFF; c++) {
                WCHAR u = dcom_utf16_toupper((WCHAR)c);
                if (dcom_utf16_toupper(u) != u)
                        test_fail(__FILE__, __LINE__, "toupper not idempotent at U+%04X", c);
                if (c >= 0x80 && u < 0x80)
                        test_fail(__FILE__, __LINE__, "U+%04X maps into ASCII", c);
                if (c >= 0xD800 && c <= 0xDFFF && u != c)
                        test_fail(__FILE__, __LINE__, "surrogate U+%04X mapped", c);
        }
}

TEST(casecmp) {
        ASSERT_EQ(dcom_utf16_casecmp(u"Software", 8, u"SOFTWARE", 8), 0);
        ASSERT_EQ(dcom_utf16_casecmp(u"CLSID", 5, u"clsid", 5), 0);
        ASSERT_EQ(dcom_utf16_casecmp(u"\u00e9t\u00e9", 3, u"\u00c9T\u00c9", 3), 0);
        ASSERT_LT(dcom_utf16_casecmp(u"AppID", 5, u"AppIDs", 6), 0);
        ASSERT_GT(dcom_utf16_casecmp(u"b", 1, u"A", 1), 0);
        ASSERT_LT(dcom_utf16_casecmp(u"a", 1, u"B", 1), 0);
        ASSERT_NE(dcom_utf16_casecmp(u"Stra\u00dfe", 6, u"STRASSE", 7), 0);
        ASSERT_NE(dcom_utf16_casecmp(u"\u0131", 1, u"I", 1), 0);
        ASSERT_EQ(dcom_utf16_casecmp(u"", 0, u"", 0), 0);
}
