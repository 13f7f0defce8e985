/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CY, DECIMAL and DATE through the public library: the Var*From* conversions,
 * SystemTimeToVariantTime/VariantTimeToSystemTime and VariantChangeType to and from
 * them, against the values Windows gives as Wine's dlls/oleaut32/tests/vartype.c and
 * vartest.c record them (each group names the test it takes its values from), and
 * the edges the layouts set ([MS-OAUT] 2.2.24 CY, 2.2.25 DATE, 2.2.26 DECIMAL).
 */
#include <math.h>
#include <time.h>
#include <string.h>

#include <objbase.h>

#include "test.h"

#define CY_MAX_WHOLE 922337203685476LL

static CY cy(LONGLONG v) {
        CY c;
        c.int64 = v;
        return c;
}

static DECIMAL dec(BYTE scale, BYTE sign, ULONG hi, ULONGLONG lo) {
        DECIMAL d;
        memset(&d, 0, sizeof d);
        d.scale = scale;
        d.sign = sign;
        d.Hi32 = hi;
        d.Lo64 = lo;
        return d;
}

#define ASSERT_DEC(d, scl, sgn, hi, lo)                                                 \
        do {                                                                            \
                ASSERT_EQ((d).scale, scl);                                              \
                ASSERT_EQ((d).sign, sgn);                                               \
                ASSERT_EQ((d).Hi32, hi);                                                \
                ASSERT_EQ((int64_t)(d).Lo64, (int64_t)(ULONGLONG)(lo));                 \
        } while (0)

/* A BSTR from ASCII, and a BSTR's text as ASCII. */
static BSTR bstr(const char *s) {
        OLECHAR w[128];
        size_t n = strlen(s);
        for (size_t i = 0; i < n; i++)
                w[i] = (OLECHAR)s[i];
        return SysAllocStringLen(w, (UINT)n);
}

static const char *ascii(BSTR b) {
        static char buf[128];
        UINT n = SysStringLen(b);
        for (UINT i = 0; i < n && i < sizeof buf - 1; i++)
                buf[i] = (char)b[i];
        buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = 0;
        return buf;
}

#define ASSERT_BSTR(hr_expr, want)                                                      \
        do {                                                                            \
                BSTR b_ = NULL;                                                         \
                ASSERT_HR_EQ(hr_expr(&b_), S_OK);                                       \
                ASSERT_STR_EQ(ascii(b_), want);                                         \
                SysFreeString(b_);                                                      \
        } while (0)

/* --- CY ------------------------------------------------------------------------------- */

TEST(cy_from_integers) {
        CY c;

        /* test_VarCyFromI4, _UI4, _I8, _UI8, _Bool */
        ASSERT_HR_EQ(VarCyFromI4(-1, &c), S_OK);
        ASSERT_EQ(c.int64, -10000);
        ASSERT_HR_EQ(VarCyFromI4(0x7fffffff, &c), S_OK);
        ASSERT_EQ(c.Hi, 0x1387);
        ASSERT_EQ(c.Lo, 0xffffd8f0u);
        ASSERT_HR_EQ(VarCyFromI4(-2147483647 - 1, &c), S_OK);
        ASSERT_EQ((ULONG)c.Hi, 0xffffec78u);
        ASSERT_EQ(c.Lo, 0);
        ASSERT_HR_EQ(VarCyFromUI4(0x80000000u, &c), S_OK);
        ASSERT_EQ(c.Hi, 5000);
        ASSERT_EQ(c.Lo, 0);
        /* the outermost whole numbers overflow though their CY would fit */
        ASSERT_HR_EQ(VarCyFromI8(CY_MAX_WHOLE, &c), S_OK);
        ASSERT_EQ((ULONG)c.Hi, 2147483647u);
        ASSERT_EQ(c.Lo, 4294951488u);
        ASSERT_HR_EQ(VarCyFromI8(CY_MAX_WHOLE + 1, &c), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarCyFromI8(-CY_MAX_WHOLE, &c), S_OK);
        ASSERT_EQ((ULONG)c.Hi, 2147483648u);
        ASSERT_EQ(c.Lo, 15808);
        ASSERT_HR_EQ(VarCyFromI8(-CY_MAX_WHOLE - 1, &c), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarCyFromUI8(CY_MAX_WHOLE, &c), S_OK);
        ASSERT_HR_EQ(VarCyFromUI8(CY_MAX_WHOLE + 1, &c), DISP_E_OVERFLOW);
        for (int i = -32768; i < 32768; i += 257) {
                ASSERT_HR_EQ(VarCyFromBool((VARIANT_BOOL)i, &c), S_OK);
                ASSERT_EQ(c.int64, (LONGLONG)i * 10000);
        }
        ASSERT_HR_EQ(VarCyFromI1(-128, &c), S_OK);
        ASSERT_EQ(c.int64, -1280000);
        ASSERT_HR_EQ(VarCyFromUI2(65535, &c), S_OK);
        ASSERT_EQ(c.int64, 655350000);
}

TEST(cy_from_reals) {
        /* test_VarCyFromR4/R8/Date: four places, half to even, of the float's double */
        static const struct { float f; LONGLONG want; } r[] = {
                { -1.5f, -15000 }, { -0.6f, -6000 }, { -0.5f, -5000 }, { -0.4f, -4000 },
                { 0.4f, 4000 }, { 0.5f, 5000 }, { 0.6f, 6000 }, { 1.5f, 15000 },
                { 1.00009f, 10001 }, { -1.00001f, -10000 }, { -1.00005f, -10000 },
                { -0.00009f, -1 }, { -0.00005f, 0 }, { -0.00001f, 0 }, { 0.00001f, 0 },
                { 0.00005f, 0 }, { 0.00009f, 1 }, { -1.00009f, -10001 },
        };
        CY c;

        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
                ASSERT_HR_EQ(VarCyFromR4(r[i].f, &c), S_OK);
                ASSERT_EQ(c.int64, r[i].want);
                ASSERT_HR_EQ(VarCyFromR8(r[i].f, &c), S_OK);
                ASSERT_EQ(c.int64, r[i].want);
                ASSERT_HR_EQ(VarCyFromDate(r[i].f, &c), S_OK);
                ASSERT_EQ(c.int64, r[i].want);
        }
        /* halves of the last place go to even: 0.00005 -> 0, 0.00025 -> 0.0002,
         * 0.00035 -> 0.0004; but the double nearest 0.00015 is below the half (its
         * product with 10000 is 1.4999999999999998): 0.0001 (the string gives 0.0002) */
        ASSERT_HR_EQ(VarCyFromR8(0.00005, &c), S_OK);
        ASSERT_EQ(c.int64, 0);
        ASSERT_HR_EQ(VarCyFromR8(0.00025, &c), S_OK);
        ASSERT_EQ(c.int64, 2);
        ASSERT_HR_EQ(VarCyFromR8(0.00035, &c), S_OK);
        ASSERT_EQ(c.int64, 4);
        ASSERT_HR_EQ(VarCyFromR8(-0.00025, &c), S_OK);
        ASSERT_EQ(c.int64, -2);
        ASSERT_HR_EQ(VarCyFromR8(0.00015, &c), S_OK);
        ASSERT_EQ(c.int64, 1);
        ASSERT_HR_EQ(VarCyFromR8(-0.0, &c), S_OK);
        ASSERT_EQ(c.int64, 0);
        ASSERT_HR_EQ(VarCyFromR8(4611686018427387648.0, &c), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarCyFromR8(-4611686018427388416.1, &c), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarCyFromDate(4611686018427387648.0, &c), DISP_E_OVERFLOW);
        /* the edge: 922337203685477.5807 is no double; 922337203685477.5 rounds past it */
        ASSERT_HR_EQ(VarCyFromR8(922337203685477.0, &c), S_OK);
        ASSERT_HR_EQ(VarCyFromR8(922337203685477.5807, &c), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarCyFromR8(-922337203685477.5807, &c), S_OK);     /* INT64_MIN */
        ASSERT_EQ(c.int64, INT64_MIN);
        ASSERT_HR_EQ(VarCyFromR8(NAN, &c), DISP_E_OVERFLOW);
}

TEST(cy_to_numbers) {
        /* test_VarR8FromCy */
        static const double r[] = { -32769, -32768, -1, 0, 1, 32767, 32768,
                                    -1.5, -0.6, -0.5, -0.4, 0.4, 0.5, 0.6, 1.5 };
        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
                double d;
                ASSERT_HR_EQ(VarR8FromCy(cy((LONGLONG)(r[i] * 10000)), &d), S_OK);
                ASSERT_TRUE(d == r[i]);
        }
        /* test_VarI4FromCy: half to even, and the range */
        static const struct { double v; LONG want; } i4[] = {
                { -1.5, -2 }, { -0.6, -1 }, { -0.5, 0 }, { -0.4, 0 }, { 0.4, 0 },
                { 0.5, 0 }, { 0.6, 1 }, { 1.5, 2 }, { 2.5, 2 }, { -2.5, -2 },
        };
        LONG l;
        for (size_t i = 0; i < sizeof i4 / sizeof i4[0]; i++) {
                ASSERT_HR_EQ(VarI4FromCy(cy((LONGLONG)(i4[i].v * 10000)), &l), S_OK);
                ASSERT_EQ(l, i4[i].want);
        }
        ASSERT_HR_EQ(VarI4FromCy(cy(2147483647LL * 10000), &l), S_OK);
        ASSERT_EQ(l, 2147483647);
        ASSERT_HR_EQ(VarI4FromCy(cy(2147483648LL * 10000), &l), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarI4FromCy(cy(-2147483648LL * 10000), &l), S_OK);
        ASSERT_HR_EQ(VarI4FromCy(cy(-2147483649LL * 10000), &l), DISP_E_OVERFLOW);
        LONG64 ll;
        ASSERT_HR_EQ(VarI8FromCy(cy(INT64_MAX), &ll), S_OK);
        ASSERT_EQ(ll, 922337203685478LL);               /* .5807 rounds up */
        ASSERT_HR_EQ(VarI8FromCy(cy(INT64_MIN), &ll), S_OK);
        ASSERT_EQ(ll, -922337203685478LL);
}

TEST(cy_strings) {
        CY c;
        BSTR s;
        static const struct { const char *s; HRESULT hr; LONGLONG want; } in[] = {
                { "1.5", S_OK, 15000 }, { "-1234.5678", S_OK, -12345678 }, { " 7 ", S_OK, 70000 },
                { "1,000.25", S_OK, 10002500 }, { "0.00005", S_OK, 0 }, { "0.00015", S_OK, 2 },
                { "1e2", S_OK, 1000000 }, { "922337203685476", S_OK, 9223372036854760000LL },
                { "922337203685477.5807", S_OK, INT64_MAX },
                { "922337203685477.5808", DISP_E_OVERFLOW, 0 },
                { "-922337203685477.5808", S_OK, INT64_MIN },
                { "abc", DISP_E_TYPEMISMATCH, 0 }, { "", DISP_E_TYPEMISMATCH, 0 },
                { "1.2.3", DISP_E_TYPEMISMATCH, 0 },
        };
        for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
                s = bstr(in[i].s);
                HRESULT hr = VarCyFromStr(s, LOCALE_INVARIANT, 0, &c);
                SysFreeString(s);
                if (hr != in[i].hr)
                        test_fail(__FILE__, __LINE__, "\"%s\": 0x%08x, want 0x%08x", in[i].s,
                                  (unsigned)hr, (unsigned)in[i].hr);
                if (hr == S_OK)
                        ASSERT_EQ(c.int64, in[i].want);
        }
        ASSERT_HR_EQ(VarCyFromStr(NULL, LOCALE_INVARIANT, 0, &c), DISP_E_TYPEMISMATCH);
        static const struct { LONGLONG v; const char *s; } out[] = {
                { 15000, "1.5" }, { -12345678, "-1234.5678" }, { 0, "0" }, { 10000, "1" },
                { 5000, "0.5" }, { -1, "-0.0001" }, { INT64_MAX, "922337203685477.5807" },
                { INT64_MIN, "-922337203685477.5808" },
        };
        for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
                ASSERT_HR_EQ(VarBstrFromCy(cy(out[i].v), LOCALE_INVARIANT, 0, &s), S_OK);
                ASSERT_STR_EQ(ascii(s), out[i].s);
                SysFreeString(s);
        }
}

/* --- DECIMAL -------------------------------------------------------------------------- */

TEST(dec_from_numbers) {
        DECIMAL d;

        /* test_VarDecFromI4/I8/UI8/Bool */
        for (int i = -32768; i < 32768; i += 255) {
                ASSERT_HR_EQ(VarDecFromI4(i, &d), S_OK);
                if (i < 0)
                        ASSERT_DEC(d, 0, 0x80, 0, -i);
                else
                        ASSERT_DEC(d, 0, 0, 0, i);
        }
        ASSERT_HR_EQ(VarDecFromI8(INT64_MIN, &d), S_OK);
        ASSERT_DEC(d, 0, 0x80, 0, 0x8000000000000000ULL);
        ASSERT_HR_EQ(VarDecFromUI8(UINT64_MAX, &d), S_OK);
        ASSERT_DEC(d, 0, 0, 0, UINT64_MAX);
        ASSERT_HR_EQ(VarDecFromBool(-5, &d), S_OK);      /* reduced to -1 */
        ASSERT_DEC(d, 0, 0x80, 0, 1);
        ASSERT_HR_EQ(VarDecFromBool(0, &d), S_OK);
        ASSERT_DEC(d, 0, 0, 0, 0);
        /* test_VarDecFromR4/R8/Date: the shortest decimal of 7 (R4) or 15 (R8) digits */
        static const struct { double v; BYTE sign; ULONGLONG lo; } r[] = {
                { -0.6, 0x80, 6 }, { -0.5, 0x80, 5 }, { -0.4, 0x80, 4 }, { 0.4, 0, 4 },
                { 0.5, 0, 5 }, { 0.6, 0, 6 },
        };
        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
                ASSERT_HR_EQ(VarDecFromR4((float)r[i].v, &d), S_OK);
                ASSERT_DEC(d, 1, r[i].sign, 0, r[i].lo);
                ASSERT_HR_EQ(VarDecFromR8(r[i].v, &d), S_OK);
                ASSERT_DEC(d, 1, r[i].sign, 0, r[i].lo);
                ASSERT_HR_EQ(VarDecFromDate(r[i].v, &d), S_OK);
                ASSERT_DEC(d, 1, r[i].sign, 0, r[i].lo);
        }
        ASSERT_HR_EQ(VarDecFromR8(0.0, &d), S_OK);
        ASSERT_DEC(d, 0, 0, 0, 0);
        ASSERT_HR_EQ(VarDecFromR8(0.1, &d), S_OK);        /* not 0.1000000000000000055... */
        ASSERT_DEC(d, 1, 0, 0, 1);
        ASSERT_HR_EQ(VarDecFromR4(0.1f, &d), S_OK);
        ASSERT_DEC(d, 1, 0, 0, 1);
        ASSERT_HR_EQ(VarDecFromR8(1e20, &d), S_OK);
        ASSERT_DEC(d, 0, 0, 5, 0x6bc75e2d63100000ULL);
        ASSERT_HR_EQ(VarDecFromR8(1e29, &d), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarDecFromR8(INFINITY, &d), DISP_E_OVERFLOW);
        /* test_VarDecFromCy: scale 4 */
        ASSERT_HR_EQ(VarDecFromCy(cy(-10000), &d), S_OK);
        ASSERT_DEC(d, 4, 0x80, 0, 10000);
        ASSERT_HR_EQ(VarDecFromCy(cy(0), &d), S_OK);
        ASSERT_DEC(d, 4, 0, 0, 0);
        ASSERT_HR_EQ(VarDecFromCy(cy(5000), &d), S_OK);
        ASSERT_DEC(d, 4, 0, 0, 5000);
}

TEST(dec_to_numbers) {
        DECIMAL d;
        double r;
        CY c;
        LONG l;

        /* CONVERT_BADDEC: a scale past 28 or a sign other than 0/0x80 */
        static const BYTE bad[][2] = { { 29, 0 }, { 0, 0x1 }, { 0, 0x40 }, { 0, 0x7f } };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                d = dec(bad[i][0], bad[i][1], 0, 0);
                ASSERT_HR_EQ(VarR8FromDec(&d, &r), E_INVALIDARG);
                ASSERT_HR_EQ(VarCyFromDec(&d, &c), E_INVALIDARG);
                ASSERT_HR_EQ(VarI4FromDec(&d, &l), E_INVALIDARG);
                DATE t;
                ASSERT_HR_EQ(VarDateFromDec(&d, &t), E_INVALIDARG);
        }
        /* test_VarR8FromDec */
        d = dec(0, 0x80, 0, 32768);
        ASSERT_HR_EQ(VarR8FromDec(&d, &r), S_OK);
        ASSERT_TRUE(r == -32768.0);
        d = dec(2, 0x80, 0, 3276800);
        ASSERT_HR_EQ(VarR8FromDec(&d, &r), S_OK);
        ASSERT_TRUE(r == -32768.0);
        d = dec(2, 0, 0, 3276700);
        ASSERT_HR_EQ(VarR8FromDec(&d, &r), S_OK);
        ASSERT_TRUE(r == 32767.0);
        d = dec(0, 0, 1, 0);
        ASSERT_HR_EQ(VarR8FromDec(&d, &r), S_OK);
        ASSERT_TRUE(r == 18446744073709551616.0);
        /* test_VarCyFromDec */
        static const struct { BYTE scale, sign; ULONGLONG lo; LONGLONG want; } cyv[] = {
                { 0, 0x80, 1, -10000 }, { 0, 0, 0, 0 }, { 0, 0, 1, 10000 }, { 2, 0, 100, 10000 },
                { 2, 0x80, 100, -10000 }, { 2, 0x80, 1, -100 }, { 2, 0, 1, 100 },
                { 2, 0, 999, 99900 }, { 2, 0x80, 999, -99900 }, { 2, 0, 1500, 150000 },
                { 2, 0x80, 1500, -150000 },
                { 5, 0, 5, 0 }, { 5, 0, 15, 2 }, { 5, 0x80, 25, -2 },  /* half to even */
        };
        for (size_t i = 0; i < sizeof cyv / sizeof cyv[0]; i++) {
                d = dec(cyv[i].scale, cyv[i].sign, 0, cyv[i].lo);
                ASSERT_HR_EQ(VarCyFromDec(&d, &c), S_OK);
                ASSERT_EQ(c.int64, cyv[i].want);
        }
        d = dec(0, 0, 0, ((ULONGLONG)214748 << 32) | 1566804068u);
        ASSERT_HR_EQ(VarCyFromDec(&d, &c), S_OK);
        ASSERT_EQ(c.int64, CY_MAX_WHOLE * 10000);
        d = dec(0, 0, 0, ((ULONGLONG)214748 << 32) | 1566804069u);
        ASSERT_HR_EQ(VarCyFromDec(&d, &c), DISP_E_OVERFLOW);
        d = dec(0, 0, 1, 0);
        ASSERT_HR_EQ(VarCyFromDec(&d, &c), DISP_E_OVERFLOW);
        /* to integers: half to even (as from R8 and CY) */
        d = dec(1, 0, 0, 25);
        ASSERT_HR_EQ(VarI4FromDec(&d, &l), S_OK);
        ASSERT_EQ(l, 2);
        d = dec(1, 0x80, 0, 35);
        ASSERT_HR_EQ(VarI4FromDec(&d, &l), S_OK);
        ASSERT_EQ(l, -4);
        d = dec(0, 0, 0, 0x80000000u);
        ASSERT_HR_EQ(VarI4FromDec(&d, &l), DISP_E_OVERFLOW);
        d = dec(0, 0x80, 0, 0x80000000u);
        ASSERT_HR_EQ(VarI4FromDec(&d, &l), S_OK);
        ASSERT_EQ(l, INT32_MIN);
}

TEST(dec_strings) {
        DECIMAL d;
        BSTR s;

        /* test_VarDecFromStr */
        static const struct { const char *s; BYTE scale, sign; ULONG hi; ULONGLONG lo; } in[] = {
                { "-1", 0, 0x80, 0, 1 }, { "0", 0, 0, 0, 0 }, { "1", 0, 0, 0, 1 },
                { "0.5", 1, 0, 0, 5 }, { "4294967296", 0, 0, 0, 1ULL << 32 },
                { "18446744073709551616", 0, 0, 1, 0 }, { "4294967296.0", 0, 0, 0, 1ULL << 32 },
                { "18446744073709551616.0", 0, 0, 1, 0 },
                { "79228162514264337593543950335", 0, 0, 0xffffffffu, UINT64_MAX },
                { "-1,234.5678", 4, 0x80, 0, 12345678 },
                { "0.0000000000000000000000000001", 28, 0, 0, 1 },
        };
        for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
                s = bstr(in[i].s);
                ASSERT_HR_EQ(VarDecFromStr(s, LOCALE_INVARIANT, 0, &d), S_OK);
                SysFreeString(s);
                ASSERT_DEC(d, in[i].scale, in[i].sign, in[i].hi, in[i].lo);
        }
        ASSERT_HR_EQ(VarDecFromStr(NULL, LOCALE_INVARIANT, 0, &d), DISP_E_TYPEMISMATCH);
        s = bstr("79228162514264337593543950336");
        ASSERT_HR_EQ(VarDecFromStr(s, LOCALE_INVARIANT, 0, &d), DISP_E_OVERFLOW);
        SysFreeString(s);
        s = bstr("x1");
        ASSERT_HR_EQ(VarDecFromStr(s, LOCALE_INVARIANT, 0, &d), DISP_E_TYPEMISMATCH);
        SysFreeString(s);

        /* test_VarBstrFromDec: the fraction's trailing zeros go */
        static const struct { BYTE scale, sign; ULONG hi; ULONGLONG lo; const char *s; } out[] = {
                { 0, 0, 0, 0, "0" }, { 0, 0, 0, 1, "1" }, { 1, 0, 0, 10, "1" },
                { 2, 0, 0, 100, "1" }, { 3, 0, 0, 1000, "1" }, { 1, 0, 0, 15, "1.5" },
                { 2, 0, 0, 150, "1.5" }, { 3, 0, 0, 1500, "1.5" }, { 1, 0x80, 0, 15, "-1.5" },
                { 0, 0, 0, 0xffffffffu, "4294967295" }, { 0, 0, 0, 1ULL << 32, "4294967296" },
                { 0, 0, 0, UINT64_MAX, "18446744073709551615" },
                { 0, 0, 1, 0, "18446744073709551616" },
                { 0, 0, 0xffffffffu, UINT64_MAX, "79228162514264337593543950335" },
                { 28, 0, 0, 1, "0.0000000000000000000000000001" }, { 4, 0x80, 0, 5, "-0.0005" },
        };
        for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
                d = dec(out[i].scale, out[i].sign, out[i].hi, out[i].lo);
                ASSERT_HR_EQ(VarBstrFromDec(&d, LOCALE_INVARIANT, 0, &s), S_OK);
                ASSERT_STR_EQ(ascii(s), out[i].s);
                SysFreeString(s);
        }
}

/* --- DATE ----------------------------------------------------------------------------- */

TEST(date_numbers) {
        DATE t;
        double r;

        /* test_VarDateFromI4/I8/UI4: 100-01-01 (-657434) to 9999-12-31 (2958465) */
        ASSERT_HR_EQ(VarDateFromI4(-657435, &t), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarDateFromI4(-657434, &t), S_OK);
        ASSERT_TRUE(t == -657434.0);
        ASSERT_HR_EQ(VarDateFromI4(2958465, &t), S_OK);
        ASSERT_TRUE(t == 2958465.0);
        ASSERT_HR_EQ(VarDateFromI4(2958466, &t), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarDateFromI8(2958466, &t), DISP_E_OVERFLOW);
        /* test_VarDateFromR4/R8/Bool/Cy/Dec */
        ASSERT_HR_EQ(VarDateFromR4(1.5f, &t), S_OK);
        ASSERT_TRUE(t == 1.5);
        ASSERT_HR_EQ(VarDateFromR8(-1.0, &t), S_OK);
        ASSERT_TRUE(t == -1.0);
        ASSERT_HR_EQ(VarDateFromR8(2958465.99, &t), S_OK);      /* the last day's time */
        ASSERT_HR_EQ(VarDateFromR8(2958466.0, &t), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarDateFromR8(-657434.99, &t), S_OK);
        ASSERT_HR_EQ(VarDateFromR8(-657435.0, &t), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarDateFromBool(VARIANT_TRUE, &t), S_OK);
        ASSERT_TRUE(t == -1.0);
        ASSERT_HR_EQ(VarDateFromCy(cy(-15000), &t), S_OK);
        ASSERT_TRUE(t == -1.5);
        ASSERT_HR_EQ(VarDateFromCy(cy(-6000), &t), S_OK);
        ASSERT_TRUE(t == -0.6);
        DECIMAL d = dec(2, 0x80, 0, 3276800);
        ASSERT_HR_EQ(VarDateFromDec(&d, &t), S_OK);
        ASSERT_TRUE(t == -32768.0);
        ASSERT_HR_EQ(VarR8FromDate(-1.25, &r), S_OK);
        ASSERT_TRUE(r == -1.25);
}

static void check_st(double t, int y, int m, int d, int h, int mi, int s, int dow) {
        SYSTEMTIME st;
        memset(&st, 0xff, sizeof st);
        if (!VariantTimeToSystemTime(t, &st))
                test_fail(__FILE__, __LINE__, "VariantTimeToSystemTime(%.17g) failed", t);
        if (st.wYear != y || st.wMonth != m || st.wDay != d || st.wHour != h ||
            st.wMinute != mi || st.wSecond != s || st.wMilliseconds != 0 ||
            (dow >= 0 && st.wDayOfWeek != dow))
                test_fail(__FILE__, __LINE__, "%.17g: %d-%d-%d %d:%d:%d.%d dow %d", t, st.wYear,
                          st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond,
                          st.wMilliseconds, st.wDayOfWeek);
}

TEST(date_systemtime) {
        SYSTEMTIME st;
        double t;

        /* test_VariantTimeToSystemTime, and test_VarUdateFromDate's values */
        check_st(29221.0, 1980, 1, 1, 0, 0, 0, 2);
        check_st(29222.0, 1980, 1, 2, 0, 0, 0, 3);
        check_st(33238.0, 1990, 12, 31, 0, 0, 0, 1);
        check_st(0.0, 1899, 12, 30, 0, 0, 0, 6);
        check_st(-657434.0, 100, 1, 1, 0, 0, 0, 5);
        check_st(2958465.0, 9999, 12, 31, 0, 0, 0, 5);
        check_st(29221.25, 1980, 1, 1, 6, 0, 0, 2);
        check_st(29221.33333333, 1980, 1, 1, 8, 0, 0, 2);
        check_st(29221.5, 1980, 1, 1, 12, 0, 0, 2);
        check_st(29221.9888884444, 1980, 1, 1, 23, 44, 0, 2);  /* rounded to the second */
        check_st(29221.7508765432, 1980, 1, 1, 18, 1, 16, 2);
        /* negative dates: the day before, the fraction forward from its midnight */
        check_st(-1.25, 1899, 12, 29, 6, 0, 0, 5);
        check_st(-0.25, 1899, 12, 30, 6, 0, 0, 6);
        check_st(-1.9999999, 1899, 12, 30, 0, 0, 0, 6);          /* rounds into 12-30 */
        ASSERT_FALSE(VariantTimeToSystemTime(-657435.0, &st));
        ASSERT_FALSE(VariantTimeToSystemTime(2958466.0, &st));
        ASSERT_FALSE(VariantTimeToSystemTime(2958465.999999999, &st));  /* 10000-01-01 */
        ASSERT_FALSE(VariantTimeToSystemTime(NAN, &st));

        /* test_SystemTimeToVariantTime and test_VarDateFromUdate's values */
        static const struct { WORD d, m, y, h, mi, s, ms; INT ok; double t; } in[] = {
                { 1, 1, 1980, 0, 0, 0, 0, TRUE, 29221.0 },
                { 2, 1, 1980, 0, 0, 0, 0, TRUE, 29222.0 },
                { 0, 1, 1980, 0, 0, 0, 0, TRUE, 29220.0 },     /* day 0: the day before */
                { 1, 13, 1980, 0, 0, 0, 0, FALSE, 0 },
                { 31, 12, 90, 0, 0, 0, 0, TRUE, 33238.0 },     /* year < 100: 1900 + year */
                { 30, 12, 1899, 0, 0, 0, 0, TRUE, 0.0 },
                { 1, 1, 100, 0, 0, 0, 0, TRUE, -657434.0 },
                { 31, 12, 9999, 0, 0, 0, 0, TRUE, 2958465.0 },
                { 1, 1, 10000, 0, 0, 0, 0, FALSE, 0 },
                { 1, 1, 1980, 18, 1, 16, 0, TRUE, 29221.75087962963 },
                { 1, 1, 1980, 18, 1, 16, 999, TRUE, 29221.75087962963 },  /* ms ignored */
                { 29, 12, 1899, 6, 0, 0, 0, TRUE, -1.25 },
        };
        for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
                memset(&st, 0, sizeof st);
                st.wYear = in[i].y;
                st.wMonth = in[i].m;
                st.wDay = in[i].d;
                st.wHour = in[i].h;
                st.wMinute = in[i].mi;
                st.wSecond = in[i].s;
                st.wMilliseconds = in[i].ms;
                t = -99;
                INT ok = SystemTimeToVariantTime(&st, &t);
                if (ok != in[i].ok || (ok && fabs(t - in[i].t) > 1e-11))
                        test_fail(__FILE__, __LINE__, "%d-%d-%d: %d %.17g, want %d %.17g", in[i].y,
                                  in[i].m, in[i].d, ok, t, in[i].ok, in[i].t);
        }
}

TEST(date_strings) {
        DATE t;
        BSTR s;

        /* test_VarDateFromStr (en-US) */
        static const struct { const char *s; HRESULT hr; double t; } in[] = {
                { "1/2/1970", S_OK, 25570.0 }, { "1-2-1970", S_OK, 25570.0 },
                { "1970-01-02", S_OK, 25570.0 }, { "12/30/1899", S_OK, 0.0 },
                { "1/2/2000 3:04:05 PM", S_OK, 36527.0 + (15 * 3600 + 4 * 60 + 5) / 86400.0 },
                { "1/2/70", S_OK, 25570.0 },
                { "0:40", S_OK, 0.02777777777777778 }, { "3:5", S_OK, 0.1284722222222222 },
                { "00:00 AM", S_OK, 0.0 }, { "12:59 AM", S_OK, 0.04097222222222222 },
                { "12:59 A", S_OK, 0.04097222222222222 }, { "00:00 pm", S_OK, 0.5 },
                { "00:00 p", S_OK, 0.5 }, { "12:59 pm", S_OK, 0.5409722222222222 },
                { "13:00 AM", S_OK, 0.5416666666666666 }, { "13:00 PM", S_OK, 0.5416666666666666 },
                { "12/29/1899 6:00:00 AM", S_OK, -1.25 },
                { "True", DISP_E_TYPEMISMATCH, 0 }, { "0", DISP_E_TYPEMISMATCH, 0 },
                { "1", DISP_E_TYPEMISMATCH, 0 }, { "0:60", DISP_E_TYPEMISMATCH, 0 },
                { "24:00", DISP_E_TYPEMISMATCH, 0 }, { "1;2;3", DISP_E_TYPEMISMATCH, 0 },
                { "2/30/2000", DISP_E_TYPEMISMATCH, 0 }, { "", DISP_E_TYPEMISMATCH, 0 },
                /* English month names and abbreviations, any case, day and year either side */
                { "2 January, 1970", S_OK, 25570.0 }, { "2 January 1970", S_OK, 25570.0 },
                { "2 Jan 1970", S_OK, 25570.0 }, { "2/Jan/1970", S_OK, 25570.0 },
                { "2-Jan-1970", S_OK, 25570.0 }, { "January 2, 1970", S_OK, 25570.0 },
                { "jan 2 70", S_OK, 25570.0 }, { "2 JANUARY 1970", S_OK, 25570.0 },
                { "5 December 2026", S_OK, 46361.0 },
                { "Dec 5, 2026 10:00 AM", S_OK, 46361.0 + 10 / 24.0 },
                { "5 Dec 2026 22:30:15", S_OK, 46361.0 + (22 * 3600 + 30 * 60 + 15) / 86400.0 },
                { "Feb 29 2000", S_OK, 36585.0 }, { "29 february 2000 12:00 PM", S_OK, 36585.5 },
                /* a number that cannot be the day is the year, on the 1st */
                { "Jan 35", S_OK, 12785.0 }, { "35 Jan", S_OK, 12785.0 },
                { "Jan-35", S_OK, 12785.0 }, { "35-Jan", S_OK, 12785.0 },
                { "Jan/35", S_OK, 12785.0 }, { "35/Jan", S_OK, 12785.0 },
                { "December 2026", S_OK, 46357.0 },
                /* not dates */
                { "Jan", DISP_E_TYPEMISMATCH, 0 }, { "Ja 2 1970", DISP_E_TYPEMISMATCH, 0 },
                { "Janu 2 1970", DISP_E_TYPEMISMATCH, 0 }, { "Foo 2 1970", DISP_E_TYPEMISMATCH, 0 },
                { "Jan Feb 2", DISP_E_TYPEMISMATCH, 0 }, { "1 2 Jan", DISP_E_TYPEMISMATCH, 0 },
                { "Feb 30 2000", DISP_E_TYPEMISMATCH, 0 }, { "2 Jan 1970 x", DISP_E_TYPEMISMATCH, 0 },
                { "2 Jan 1970 25:00", DISP_E_TYPEMISMATCH, 0 },
                { "Jan 2 1970 3", DISP_E_TYPEMISMATCH, 0 },
        };
        for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
                s = bstr(in[i].s);
                t = -99;
                HRESULT hr = VarDateFromStr(s, LOCALE_INVARIANT, 0, &t);
                SysFreeString(s);
                if (hr != in[i].hr || (hr == S_OK && fabs(t - in[i].t) > 1e-11))
                        test_fail(__FILE__, __LINE__, "\"%s\": 0x%08x %.17g, want 0x%08x %.17g",
                                  in[i].s, (unsigned)hr, t, (unsigned)in[i].hr, in[i].t);
        }
        ASSERT_HR_EQ(VarDateFromStr(NULL, LOCALE_INVARIANT, 0, &t), DISP_E_TYPEMISMATCH);

        /* a month and one day: that day of this year (Wine's MKRELDATE) */
        time_t now = time(NULL);
        struct tm tm;
        SYSTEMTIME st;
        double jan2;
        localtime_r(&now, &tm);
        memset(&st, 0, sizeof st);
        st.wYear = (WORD)(tm.tm_year + 1900);
        st.wMonth = 1;
        st.wDay = 2;
        ASSERT_EQ(SystemTimeToVariantTime(&st, &jan2), TRUE);
        static const char *const rel[] = { "Jan 2", "2 Jan", "january 2", "2-Jan" };
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                s = bstr(rel[i]);
                t = -99;
                ASSERT_HR_EQ(VarDateFromStr(s, 0x409, 0, &t), S_OK);
                SysFreeString(s);
                if (t != jan2)
                        test_fail(__FILE__, __LINE__, "\"%s\": %.17g, want %.17g", rel[i], t, jan2);
        }

        /* test_VarDateChangeTypeEx's 25570 is "1/2/1970"; time alone, date and time */
        static const struct { double t; const char *s; } out[] = {
                { 25570.0, "1/2/1970" }, { 0.0, "12:00:00 AM" }, { 0.5, "12:00:00 PM" },
                { 1.0, "12/31/1899" }, { 36527.0 + (15 * 3600 + 4 * 60 + 5) / 86400.0,
                                         "1/2/2000 3:04:05 PM" },
                { -1.25, "12/29/1899 6:00:00 AM" }, { 2958465.0, "12/31/9999" },
                { -657434.0, "1/1/100" },
        };
        for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
                ASSERT_HR_EQ(VarBstrFromDate(out[i].t, LOCALE_INVARIANT, 0, &s), S_OK);
                ASSERT_STR_EQ(ascii(s), out[i].s);
                SysFreeString(s);
        }
        ASSERT_HR_EQ(VarBstrFromDate(2958466.0, LOCALE_INVARIANT, 0, &s), E_INVALIDARG);
}

/* --- VariantChangeType ---------------------------------------------------------------- */

static HRESULT change(VARIANT *out, const VARIANT *in, VARTYPE vt) {
        VariantInit(out);
        return VariantChangeTypeEx(out, in, LOCALE_INVARIANT, 0, vt);
}

TEST(change_common) {
        /* COMMON_TYPETEST: 1 of every numeric type is CY 1, DECIMAL 1 (scale 0), DATE 1.0 */
        static const VARTYPE types[] = { VT_I1, VT_UI1, VT_I2, VT_UI2, VT_I4, VT_UI4, VT_INT,
                                         VT_UINT, VT_I8, VT_UI8, VT_R4, VT_R8, VT_CY, VT_DATE,
                                         VT_DECIMAL };
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                VARIANT v, o;
                memset(&v, 0, sizeof v);
                switch (types[i]) {
                case VT_R4: V_R4(&v) = 1.0f; break;
                case VT_R8: case VT_DATE: V_R8(&v) = 1.0; break;
                case VT_CY: V_CY(&v).int64 = 10000; break;
                case VT_DECIMAL: V_DECIMAL(&v).Lo64 = 1; break;
                case VT_I8: case VT_UI8: V_I8(&v) = 1; break;
                default: V_I4(&v) = 1; break;  /* little-endian: 1 in every width */
                }
                V_VT(&v) = types[i];
                ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
                ASSERT_EQ(V_VT(&o), VT_CY);
                ASSERT_EQ(V_CY(&o).int64, 10000);
                ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), S_OK);
                ASSERT_EQ(V_VT(&o), VT_DECIMAL);
                if (types[i] == VT_CY)  /* VarDecFromCy keeps scale 4 */
                        ASSERT_DEC(V_DECIMAL(&o), 4, 0, 0, 10000);
                else
                        ASSERT_DEC(V_DECIMAL(&o), 0, 0, 0, 1);
                ASSERT_HR_EQ(change(&o, &v, VT_DATE), S_OK);
                ASSERT_EQ(V_VT(&o), VT_DATE);
                ASSERT_TRUE(V_DATE(&o) == 1.0);
                ASSERT_HR_EQ(change(&o, &v, VT_BOOL), S_OK);
                ASSERT_EQ(V_BOOL(&o), VARIANT_TRUE);
                ASSERT_HR_EQ(change(&o, &v, VT_I4), S_OK);
                ASSERT_EQ(V_I4(&o), 1);
                ASSERT_HR_EQ(change(&o, &v, VT_UI8), S_OK);
                ASSERT_EQ(V_UI8(&o), 1);
                ASSERT_HR_EQ(change(&o, &v, VT_R8), S_OK);
                ASSERT_TRUE(V_R8(&o) == 1.0);
                if (types[i] != VT_DATE) {
                        ASSERT_HR_EQ(change(&o, &v, VT_BSTR), S_OK);
                        ASSERT_STR_EQ(ascii(V_BSTR(&o)), "1");
                        VariantClear(&o);
                }
                ASSERT_HR_EQ(change(&o, &v, VT_ERROR), DISP_E_TYPEMISMATCH);
                ASSERT_HR_EQ(change(&o, &v, VT_UNKNOWN), DISP_E_TYPEMISMATCH);
        }
}

TEST(change_values) {
        VARIANT v, o;

        /* CY to integers: half to even; out of range DISP_E_OVERFLOW */
        V_VT(&v) = VT_CY;
        V_CY(&v).int64 = 25000;
        ASSERT_HR_EQ(change(&o, &v, VT_I2), S_OK);
        ASSERT_EQ(V_I2(&o), 2);
        V_CY(&v).int64 = -15000;
        ASSERT_HR_EQ(change(&o, &v, VT_I1), S_OK);
        ASSERT_EQ(V_I1(&o), -2);
        ASSERT_HR_EQ(change(&o, &v, VT_UI4), DISP_E_OVERFLOW);
        V_CY(&v).int64 = 2560000;
        ASSERT_HR_EQ(change(&o, &v, VT_UI1), DISP_E_OVERFLOW);
        V_CY(&v).int64 = INT64_MAX;
        ASSERT_HR_EQ(change(&o, &v, VT_I8), S_OK);
        ASSERT_EQ(V_I8(&o), 922337203685478LL);
        ASSERT_HR_EQ(change(&o, &v, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(V_BSTR(&o)), "922337203685477.5807");
        VariantClear(&o);
        V_CY(&v).int64 = 0;
        ASSERT_HR_EQ(change(&o, &v, VT_BOOL), S_OK);
        ASSERT_EQ(V_BOOL(&o), VARIANT_FALSE);
        /* to CY */
        V_VT(&v) = VT_R8;
        V_R8(&v) = 1e300;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), DISP_E_OVERFLOW);
        V_R8(&v) = 0.00025;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, 2);
        V_VT(&v) = VT_BOOL;
        V_BOOL(&v) = VARIANT_TRUE;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, -10000);
        ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), S_OK);
        ASSERT_DEC(V_DECIMAL(&o), 0, 0x80, 0, 1);
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), S_OK);
        ASSERT_TRUE(V_DATE(&o) == -1.0);
        V_VT(&v) = VT_I8;
        V_I8(&v) = CY_MAX_WHOLE + 1;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), DISP_E_OVERFLOW);
        V_VT(&v) = VT_UI8;
        V_UI8(&v) = UINT64_MAX;
        ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), S_OK);
        ASSERT_DEC(V_DECIMAL(&o), 0, 0, 0, UINT64_MAX);
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), DISP_E_OVERFLOW);
        /* EMPTY is 0; NULL and ERROR do not convert */
        V_VT(&v) = VT_EMPTY;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, 0);
        ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), S_OK);
        ASSERT_DEC(V_DECIMAL(&o), 0, 0, 0, 0);
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), S_OK);
        ASSERT_TRUE(V_DATE(&o) == 0.0);
        V_VT(&v) = VT_NULL;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), DISP_E_TYPEMISMATCH);
        V_VT(&v) = VT_ERROR;
        V_ERROR(&v) = DISP_E_PARAMNOTFOUND;
        ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(change(&o, &v, VT_CY), DISP_E_TYPEMISMATCH);

        /* DECIMAL sources: exact to CY and integers, a bad one E_INVALIDARG */
        memset(&v, 0, sizeof v);
        V_DECIMAL(&v) = dec(2, 0x80, 0, 150);
        V_VT(&v) = VT_DECIMAL;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, -15000);
        ASSERT_HR_EQ(change(&o, &v, VT_I4), S_OK);
        ASSERT_EQ(V_I4(&o), -2);
        ASSERT_HR_EQ(change(&o, &v, VT_R8), S_OK);
        ASSERT_TRUE(V_R8(&o) == -1.5);
        ASSERT_HR_EQ(change(&o, &v, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(V_BSTR(&o)), "-1.5");
        VariantClear(&o);
        V_DECIMAL(&v) = dec(0, 0, 0xffffffffu, UINT64_MAX);
        V_VT(&v) = VT_DECIMAL;
        ASSERT_HR_EQ(change(&o, &v, VT_I8), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, &v, VT_UI8), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, &v, VT_CY), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, &v, VT_R8), S_OK);
        ASSERT_TRUE(V_R8(&o) == 79228162514264337593543950335.0);
        V_DECIMAL(&v) = dec(29, 0, 0, 1);
        V_VT(&v) = VT_DECIMAL;
        ASSERT_HR_EQ(change(&o, &v, VT_I4), E_INVALIDARG);
        ASSERT_HR_EQ(change(&o, &v, VT_R8), E_INVALIDARG);

        /* DATE: its double, rounded half to even to integers */
        V_VT(&v) = VT_DATE;
        V_DATE(&v) = 2.5;
        ASSERT_HR_EQ(change(&o, &v, VT_I4), S_OK);
        ASSERT_EQ(V_I4(&o), 2);
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, 25000);
        V_DATE(&v) = 25570.0;
        ASSERT_HR_EQ(change(&o, &v, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(V_BSTR(&o)), "1/2/1970");
        VariantClear(&o);
        V_VT(&v) = VT_R8;
        V_R8(&v) = 2958466.0;
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), DISP_E_OVERFLOW);

        /* strings */
        V_VT(&v) = VT_BSTR;
        V_BSTR(&v) = bstr("-1234.5678");
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, -12345678);
        ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), S_OK);
        ASSERT_EQ(V_VT(&o), VT_DECIMAL);
        ASSERT_DEC(V_DECIMAL(&o), 4, 0x80, 0, 12345678);
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), DISP_E_TYPEMISMATCH);
        SysFreeString(V_BSTR(&v));
        V_BSTR(&v) = bstr("1/2/2000 3:04:05 PM");
        ASSERT_HR_EQ(change(&o, &v, VT_DATE), S_OK);
        ASSERT_TRUE(fabs(V_DATE(&o) - (36527.0 + 54245 / 86400.0)) < 1e-11);
        SysFreeString(V_BSTR(&v));

        /* by reference, as the other types */
        DECIMAL d = dec(1, 0, 0, 15);
        V_VT(&v) = VT_DECIMAL | VT_BYREF;
        V_DECIMALREF(&v) = &d;
        ASSERT_HR_EQ(change(&o, &v, VT_CY), S_OK);
        ASSERT_EQ(V_CY(&o).int64, 15000);
        CY c = cy(-5000);
        V_VT(&v) = VT_CY | VT_BYREF;
        V_CYREF(&v) = &c;
        ASSERT_HR_EQ(change(&o, &v, VT_DECIMAL), S_OK);
        ASSERT_DEC(V_DECIMAL(&o), 4, 0x80, 0, 5000);
        DATE t = -1.25;
        V_VT(&v) = VT_DATE | VT_BYREF;
        V_DATEREF(&v) = &t;
        ASSERT_HR_EQ(change(&o, &v, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(V_BSTR(&o)), "12/29/1899 6:00:00 AM");
        VariantClear(&o);
}

/* The rest of the conversion matrix (varconv.c): a sample of each row, its edges and
   its errors, and the BSTR helpers. */
TEST(conversion_matrix) {
        LONG l = 0;
        BYTE b = 0;
        SHORT sh = 0;
        ULONG ul = 0;
        LONG64 ll = 0;
        ULONG64 ull = 0;
        FLOAT f = 0;
        double d = 0;
        VARIANT_BOOL vb = 0;
        CHAR c = 0;             /* Windows' I1: plain char */
        USHORT us = 0;
        DATE dt = 0;
        BSTR s = NULL;

        /* integers from integers: in range, and past it */
        ASSERT_OK(VarI4FromUI1(200, &l));
        ASSERT_EQ(l, 200);
        ASSERT_OK(VarUI1FromI4(255, &b));
        ASSERT_EQ(b, 255);
        ASSERT_HR_EQ(VarUI1FromI4(256, &b), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(VarUI1FromI2(-1, &b), DISP_E_OVERFLOW);
        ASSERT_OK(VarI2FromI8(-32768, &sh));
        ASSERT_EQ(sh, -32768);
        ASSERT_HR_EQ(VarI2FromUI4(40000, &sh), DISP_E_OVERFLOW);
        ASSERT_OK(VarUI4FromI8(4294967295LL, &ul));
        ASSERT_EQ(ul, 4294967295u);
        ASSERT_HR_EQ(VarUI4FromI4(-1, &ul), DISP_E_OVERFLOW);
        ASSERT_OK(VarI1FromI4(-128, &c));
        ASSERT_EQ((signed char)c, -128);
        ASSERT_OK(VarI4FromI1(c, &l));
        ASSERT_EQ(l, -128);
        ASSERT_OK(VarUI2FromI4(65535, &us));
        ASSERT_EQ(us, 65535);
        ASSERT_OK(VarUI8FromI4(7, &ull));
        ASSERT_EQ(ull, 7u);
        ASSERT_OK(VarI8FromUI8(9223372036854775807ULL, &ll));
        ASSERT_EQ(ll, 9223372036854775807LL);
        /* from reals: rounded half to even */
        ASSERT_OK(VarI4FromR8(2.5, &l));
        ASSERT_EQ(l, 2);
        ASSERT_OK(VarI4FromR8(3.5, &l));
        ASSERT_EQ(l, 4);
        ASSERT_OK(VarI4FromR4(-1.5f, &l));
        ASSERT_EQ(l, -2);
        ASSERT_HR_EQ(VarI4FromR8(3e9, &l), DISP_E_OVERFLOW);
        ASSERT_OK(VarR8FromI4(-7, &d));
        ASSERT_TRUE(d == -7.0);
        ASSERT_OK(VarR4FromR8(0.5, &f));
        ASSERT_TRUE(f == 0.5f);
        /* booleans: any non-zero is VARIANT_TRUE, which is -1 as a number */
        ASSERT_OK(VarBoolFromI4(42, &vb));
        ASSERT_EQ(vb, VARIANT_TRUE);
        ASSERT_OK(VarBoolFromR8(0.0, &vb));
        ASSERT_EQ(vb, VARIANT_FALSE);
        ASSERT_OK(VarI4FromBool(VARIANT_TRUE, &l));
        ASSERT_EQ(l, -1);
        /* DECIMAL, CY and DATE sources */
        DECIMAL dc = dec(1, DECIMAL_NEG, 0, 125);       /* -12.5 */
        ASSERT_OK(VarI2FromDec(&dc, &sh));
        ASSERT_EQ(sh, -12);
        ASSERT_HR_EQ(VarI2FromDec(NULL, &sh), E_INVALIDARG);
        ASSERT_OK(VarI2FromCy(cy(15000), &sh));          /* 1.5 */
        ASSERT_EQ(sh, 2);
        ASSERT_OK(VarI4FromDate(36526.75, &l));         /* 2000-01-01 18:00 */
        ASSERT_EQ(l, 36527);
        ASSERT_OK(VarDateFromUI2(2, &dt));
        ASSERT_TRUE(dt == 2.0);
        /* from strings: numbers, booleans, and what is neither */
        BSTR in = bstr("  -123 ");
        ASSERT_OK(VarI4FromStr(in, LOCALE_USER_DEFAULT, 0, &l));
        ASSERT_EQ(l, -123);
        SysFreeString(in);
        in = bstr("1.25");
        ASSERT_OK(VarR8FromStr(in, LOCALE_INVARIANT, 0, &d));
        ASSERT_TRUE(d == 1.25);
        SysFreeString(in);
        in = bstr("300");
        ASSERT_HR_EQ(VarUI1FromStr(in, LOCALE_INVARIANT, 0, &b), DISP_E_OVERFLOW);
        SysFreeString(in);
        in = bstr("twelve");
        ASSERT_HR_EQ(VarI4FromStr(in, LOCALE_INVARIANT, 0, &l), DISP_E_TYPEMISMATCH);
        SysFreeString(in);
        in = bstr("True");
        ASSERT_OK(VarBoolFromStr(in, LOCALE_INVARIANT, 0, &vb));
        ASSERT_EQ(vb, VARIANT_TRUE);
        SysFreeString(in);
        in = bstr("0");
        ASSERT_OK(VarBoolFromStr(in, LOCALE_INVARIANT, 0, &vb));
        ASSERT_EQ(vb, VARIANT_FALSE);
        SysFreeString(in);
        ASSERT_HR_EQ(VarI4FromStr(NULL, LOCALE_INVARIANT, 0, &l), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(VarI4FromUI1(1, NULL), E_INVALIDARG);
        /* to strings */
        ASSERT_OK(VarBstrFromI4(-42, LOCALE_USER_DEFAULT, 0, &s));
        ASSERT_STR_EQ(ascii(s), "-42");
        SysFreeString(s);
        ASSERT_OK(VarBstrFromR8(0.5, LOCALE_INVARIANT, 0, &s));
        ASSERT_STR_EQ(ascii(s), "0.5");
        SysFreeString(s);
        /* a BOOL's words, not VARIANT's -1 */
        ASSERT_OK(VarBstrFromBool(VARIANT_TRUE, LOCALE_INVARIANT, 0, &s));
        ASSERT_STR_EQ(ascii(s), "True");
        SysFreeString(s);
        ASSERT_OK(VarBstrFromBool(VARIANT_FALSE, LOCALE_INVARIANT, VAR_LOCALBOOL, &s));
        ASSERT_STR_EQ(ascii(s), "False");
        SysFreeString(s);
        ASSERT_OK(VarBstrFromUI8(18446744073709551615ULL, LOCALE_INVARIANT, 0, &s));
        ASSERT_STR_EQ(ascii(s), "18446744073709551615");
        SysFreeString(s);

        /* VarBstrCat and VarBstrCmp */
        BSTR x = bstr("abc"), y = bstr("ABD"), z = NULL;
        ASSERT_OK(VarBstrCat(x, y, &z));
        ASSERT_STR_EQ(ascii(z), "abcABD");
        ASSERT_EQ(SysStringLen(z), 6);
        SysFreeString(z);
        ASSERT_OK(VarBstrCat(NULL, NULL, &z));
        ASSERT_EQ(SysStringLen(z), 0);
        SysFreeString(z);
        ASSERT_HR_EQ(VarBstrCat(x, y, NULL), E_INVALIDARG);
        /* a byte string keeps its odd byte */
        BSTR odd = SysAllocStringByteLen("xyz", 3);
        ASSERT_OK(VarBstrCat(odd, odd, &z));
        ASSERT_EQ(SysStringByteLen(z), 6);
        ASSERT_MEM_EQ(z, "xyzxyz", 6);
        SysFreeString(z);
        SysFreeString(odd);
        /* binary with lcid 0; as a collation otherwise: letters first, then case */
        ASSERT_EQ(VarBstrCmp(x, y, 0, 0), VARCMP_GT);                      /* 'a' > 'A' */
        ASSERT_EQ(VarBstrCmp(x, y, LOCALE_INVARIANT, 0), VARCMP_LT);       /* c < D */
        ASSERT_EQ(VarBstrCmp(x, y, LOCALE_INVARIANT, NORM_IGNORECASE), VARCMP_LT);
        BSTR X = bstr("ABC");
        ASSERT_EQ(VarBstrCmp(x, X, LOCALE_INVARIANT, 0), VARCMP_LT);       /* lower first */
        ASSERT_EQ(VarBstrCmp(X, x, LOCALE_INVARIANT, 0), VARCMP_GT);
        ASSERT_EQ(VarBstrCmp(x, X, LOCALE_INVARIANT, NORM_IGNORECASE), VARCMP_EQ);
        SysFreeString(X);
        /* beyond ASCII: U+00E9 and U+00C9 (e and E with acute) differ only by case, as do
           U+03B1 and U+0391 (alpha); U+00E9 still sorts after every unaccented letter */
        static const OLECHAR e_acute[] = { 0x00e9, 'x', 0 }, E_acute[] = { 0x00c9, 'x', 0 },
                             alpha[] = { 0x03b1, 0 }, Alpha[] = { 0x0391, 0 };
        BSTR e1 = SysAllocString(e_acute), e2 = SysAllocString(E_acute);
        BSTR a1 = SysAllocString(alpha), a2 = SysAllocString(Alpha);
        ASSERT_EQ(VarBstrCmp(e1, e2, LOCALE_INVARIANT, NORM_IGNORECASE), VARCMP_EQ);
        ASSERT_EQ(VarBstrCmp(e1, e2, LOCALE_INVARIANT, 0), VARCMP_LT);     /* lower first */
        ASSERT_EQ(VarBstrCmp(e1, e2, 0, 0), VARCMP_GT);                    /* binary */
        ASSERT_EQ(VarBstrCmp(a1, a2, LOCALE_INVARIANT, NORM_IGNORECASE), VARCMP_EQ);
        ASSERT_EQ(VarBstrCmp(e1, x, LOCALE_INVARIANT, NORM_IGNORECASE), VARCMP_GT);
        /* U+00FF (y with diaeresis) is lower case, its upper U+0178 a larger unit: the
           lower still sorts first */
        static const OLECHAR y_d[] = { 0x00ff, 0 }, Y_d[] = { 0x0178, 0 };
        BSTR y1 = SysAllocString(y_d), y2 = SysAllocString(Y_d);
        ASSERT_EQ(VarBstrCmp(y1, y2, LOCALE_INVARIANT, 0), VARCMP_LT);
        ASSERT_EQ(VarBstrCmp(y2, y1, LOCALE_INVARIANT, 0), VARCMP_GT);
        ASSERT_EQ(VarBstrCmp(y1, y2, LOCALE_INVARIANT, NORM_IGNORECASE), VARCMP_EQ);
        SysFreeString(y1);
        SysFreeString(y2);
        SysFreeString(e1);
        SysFreeString(e2);
        SysFreeString(a1);
        SysFreeString(a2);
        ASSERT_EQ(VarBstrCmp(x, x, LOCALE_INVARIANT, 0), VARCMP_EQ);
        ASSERT_EQ(VarBstrCmp(NULL, x, LOCALE_INVARIANT, 0), VARCMP_LT);
        ASSERT_EQ(VarBstrCmp(NULL, NULL, LOCALE_INVARIANT, 0), VARCMP_EQ);
        SysFreeString(x);
        SysFreeString(y);
}

/* --- Var<To>FromDisp: an object's value property --------------------------------------------- */

struct valobj {
        IDispatch IDispatch_iface;
        VARIANT value;
        HRESULT fail;           /* Invoke's answer, when set */
        LCID last_lcid;
        int invokes;
};

static struct valobj *valobj_of(IDispatch *d) {
        return (struct valobj *)d;
}

static HRESULT STDMETHODCALLTYPE vo_qi(IDispatch *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE vo_addref(IDispatch *This) {
        return 2;
}

static ULONG STDMETHODCALLTYPE vo_release(IDispatch *This) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE vo_count(IDispatch *This, UINT *n) {
        *n = 0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE vo_typeinfo(IDispatch *This, UINT i, LCID lcid, ITypeInfo **ti) {
        *ti = NULL;
        return DISP_E_BADINDEX;
}

static HRESULT STDMETHODCALLTYPE vo_ids(IDispatch *This, REFIID riid, LPOLESTR *names, UINT n,
                                        LCID lcid, DISPID *ids) {
        return DISP_E_UNKNOWNNAME;
}

static HRESULT STDMETHODCALLTYPE vo_invoke(IDispatch *This, DISPID id, REFIID riid, LCID lcid,
                                           WORD flags, DISPPARAMS *dp, VARIANT *res,
                                           EXCEPINFO *ei, UINT *argerr) {
        struct valobj *o = valobj_of(This);
        o->invokes++;
        o->last_lcid = lcid;
        ASSERT_EQ(id, DISPID_VALUE);
        ASSERT_TRUE(flags & DISPATCH_PROPERTYGET);
        ASSERT_TRUE(dp && dp->cArgs == 0);
        if (o->fail)
                return o->fail;
        return VariantCopy(res, &o->value);
}

static const IDispatchVtbl valobj_vtbl = {
        vo_qi, vo_addref, vo_release, vo_count, vo_typeinfo, vo_ids, vo_invoke,
};

TEST(conversions_from_an_object) {
        struct valobj o;
        IDispatch *d = &o.IDispatch_iface;
        LONG l = 0;
        BYTE b = 0;
        double r8 = 0;
        VARIANT_BOOL vb = 0;
        DECIMAL dec;
        CY cy;
        BSTR s = NULL;

        memset(&o, 0, sizeof o);
        o.IDispatch_iface.lpVtbl = &valobj_vtbl;
        V_VT(&o.value) = VT_BSTR;
        V_BSTR(&o.value) = SysAllocString(u"12.5");
        ASSERT_OK(VarI4FromDisp(d, 0x0409, &l));
        ASSERT_EQ(l, 12);                       /* half to even */
        ASSERT_EQ(o.last_lcid, 0x0409);
        ASSERT_OK(VarR8FromDisp(d, LOCALE_USER_DEFAULT, &r8));
        ASSERT_TRUE(r8 == 12.5);
        ASSERT_OK(VarCyFromDisp(d, LOCALE_USER_DEFAULT, &cy));
        ASSERT_EQ(cy.int64, 125000);
        ASSERT_OK(VarDecFromDisp(d, LOCALE_USER_DEFAULT, &dec));
        ASSERT_EQ(dec.scale, 1);
        ASSERT_EQ(dec.Lo64, 125);
        ASSERT_OK(VarBstrFromDisp(d, LOCALE_USER_DEFAULT, 0, &s));
        ASSERT_TRUE(s && SysStringLen(s) == 4 && s[2] == '.');
        SysFreeString(s);
        VariantClear(&o.value);

        V_VT(&o.value) = VT_I4;
        V_I4(&o.value) = 300;
        ASSERT_HR_EQ(VarUI1FromDisp(d, LOCALE_USER_DEFAULT, &b), DISP_E_OVERFLOW);
        ASSERT_OK(VarBoolFromDisp(d, LOCALE_USER_DEFAULT, &vb));
        ASSERT_EQ(vb, VARIANT_TRUE);
        LONG64 i8 = 0;
        ASSERT_OK(VarI8FromDisp(d, LOCALE_USER_DEFAULT, &i8));
        ASSERT_EQ(i8, 300);

        /* no value, or an object as the value: a type mismatch; Invoke's failure as is */
        ASSERT_HR_EQ(VarI4FromDisp(NULL, LOCALE_USER_DEFAULT, &l), DISP_E_TYPEMISMATCH);
        V_VT(&o.value) = VT_DISPATCH;
        V_DISPATCH(&o.value) = d;
        ASSERT_HR_EQ(VarI4FromDisp(d, LOCALE_USER_DEFAULT, &l), DISP_E_TYPEMISMATCH);
        o.fail = DISP_E_MEMBERNOTFOUND;
        ASSERT_HR_EQ(VarR8FromDisp(d, LOCALE_USER_DEFAULT, &r8), DISP_E_MEMBERNOTFOUND);
        ASSERT_HR_EQ(VarI4FromDisp(d, LOCALE_USER_DEFAULT, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(VarBstrFromDisp(d, LOCALE_USER_DEFAULT, 0, NULL), E_INVALIDARG);
        ASSERT_EQ(o.invokes, 10);     /* none for a NULL object or output */
}
