/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The automation types that are not plain numbers -- CY, DECIMAL and DATE -- and the
 * Var*From* conversions between them and the rest, with the results Windows' oleaut32
 * gives (as Wine's dlls/oleaut32/tests/vartype.c and vartest.c record them):
 *
 *   CY ([MS-OAUT] 2.2.24): a 64-bit integer counting ten-thousandths.  From a double,
 *   d * 10000 rounded half to even; outside the int64 range DISP_E_OVERFLOW.  To an
 *   integer, rounded half to even.
 *   DECIMAL ([MS-OAUT] 2.2.26): a 96-bit magnitude, a scale 0-28 (powers of ten to
 *   divide by) and a sign byte (0 or 0x80); any other scale or sign is E_INVALIDARG.
 *   From R8 with 15 significant digits, from R4 with 7 (trailing zeros dropped).
 *   DATE ([MS-OAUT] 2.2.25): days since 1899-12-30 00:00 as a double, the fraction the
 *   time of day -- for a negative date the fraction counts forward from the day's
 *   midnight too (-1.25 is 1899-12-29 06:00).  Valid from 100-01-01 (-657434) to
 *   9999-12-31 (2958465 and the day's fraction); numbers outside DISP_E_OVERFLOW.
 *
 * Strings use the invariant number format ('.' and ','); dates the US English forms
 * ("1/2/2000 3:04:05 PM"; VarDateFromStr also reads "2000-01-02" and English month names
 * and their three-letter abbreviations: "5 December 2026", "Dec 5, 2026 10:00 AM",
 * "2-Jan-1970", "Jan 2" -- this year's -- and "Jan 35" -- 1 January 1935), whatever lcid
 * says.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "oleaut/oleaut-internal.h"

__extension__ typedef unsigned __int128 u128;

#define DEC_MAX_SCALE 28
#define MAG96_MAX (((u128)1 << 96) - 1)
#define DATE_MIN (-657434.0)
#define DATE_MAX 2958465.0

static u128 pow10_u128(unsigned n) {
        u128 r = 1;
        while (n--)
                r *= 10;
        return r;
}

/* --- DECIMAL internals ---------------------------------------------------------------- */

static bool dec_valid(const DECIMAL *d) {
        return d->scale <= DEC_MAX_SCALE && (d->sign & 0x7f) == 0;
}

static u128 dec_mag(const DECIMAL *d) {
        return ((u128)d->Hi32 << 64) | d->Lo64;
}

static void dec_set(DECIMAL *d, bool neg, unsigned scale, u128 mag) {
        d->wReserved = 0;
        d->scale = (BYTE)scale;
        d->sign = neg ? DECIMAL_NEG : 0;
        d->Hi32 = (ULONG)(mag >> 64);
        d->Lo64 = (ULONGLONG)mag;
}

/* mag / 10^n rounded half to even. */
static u128 div_round_even(u128 mag, unsigned n) {
        if (!n)
                return mag;
        u128 p = pow10_u128(n), q = mag / p, r = mag % p, half = p / 2;
        if (r > half || (r == half && (q & 1)))
                q++;
        return q;
}

/*
 * A decimal number as text, blanks around it: a sign, digits with ',' grouping, a '.'
 * fraction, an exponent.  Digits beyond 96 bits of the fraction are rounded away.
 */
static HRESULT dec_from_ascii(const char *s, size_t n, DECIMAL *ret) {
        size_t i = 0;
        bool neg = false, digits = false, point = false;
        u128 mag = 0;
        int scale = 0;
        bool dropped_nonzero = false;
        int first_dropped = -1;

        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        if (i < n && (s[i] == '+' || s[i] == '-'))
                neg = s[i++] == '-';
        for (; i < n; i++) {
                char c = s[i];
                if (c >= '0' && c <= '9') {
                        digits = true;
                        if (mag * 10 + (unsigned)(c - '0') <= MAG96_MAX) {   /* mag < 2^96 */
                                mag = mag * 10 + (unsigned)(c - '0');
                                if (point)
                                        scale++;
                        } else if (point) {
                                if (first_dropped < 0)
                                        first_dropped = c - '0';
                                else if (c != '0')
                                        dropped_nonzero = true;
                        } else {
                                return DISP_E_OVERFLOW;
                        }
                } else if (c == ',' && digits && !point) {
                        continue;
                } else if (c == '.' && !point) {
                        point = true;
                } else {
                        break;
                }
        }
        if (!digits)
                return DISP_E_TYPEMISMATCH;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                int e = 0, esign = 1;
                bool edigits = false;
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        esign = s[i++] == '-' ? -1 : 1;
                for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                        if (e < 10000)
                                e = e * 10 + (s[i] - '0');
                        edigits = true;
                }
                if (!edigits)
                        return DISP_E_TYPEMISMATCH;
                scale -= esign * e;
        }
        if (i != n)
                return DISP_E_TYPEMISMATCH;
        /* the first digit that did not fit rounds what did, half to even */
        if (first_dropped > 5 || (first_dropped == 5 && (dropped_nonzero || (mag & 1))))
                mag++;
        while (scale < 0) {
                if (mag > MAG96_MAX / 10)
                        return mag ? DISP_E_OVERFLOW : (dec_set(ret, neg, 0, 0), S_OK);
                mag *= 10;
                scale++;
        }
        if (scale > DEC_MAX_SCALE) {
                if (scale - DEC_MAX_SCALE > 38)
                        mag = 0;
                else
                        mag = div_round_even(mag, (unsigned)(scale - DEC_MAX_SCALE));
                scale = DEC_MAX_SCALE;
        }
        if (mag > MAG96_MAX)
                return DISP_E_OVERFLOW;
        dec_set(ret, neg, (unsigned)scale, mag);
        return S_OK;
}

/* Drops the trailing zeros of the fraction. */
static void dec_trim(DECIMAL *d) {
        u128 mag = dec_mag(d);
        unsigned scale = d->scale;
        while (scale && mag && mag % 10 == 0) {
                mag /= 10;
                scale--;
        }
        if (!mag)
                scale = 0;
        dec_set(d, d->sign != 0, scale, mag);
}

/* A BSTR's text as ASCII (what is not ASCII becomes '?', which nothing accepts). */
static HRESULT ascii_of(const OLECHAR *s, char *buf, size_t size, size_t *ret_len) {
        size_t n = 0;
        if (!s)
                return DISP_E_TYPEMISMATCH;
        while (s[n]) {
                if (n + 1 >= size)
                        return DISP_E_TYPEMISMATCH;
                buf[n] = s[n] < 0x80 ? (char)s[n] : '?';
                n++;
        }
        buf[n] = 0;
        *ret_len = n;
        return S_OK;
}

static HRESULT bstr_from_ascii(const char *s, BSTR *ret) {
        OLECHAR w[96];
        size_t n = strlen(s);
        if (n > sizeof w / sizeof w[0])
                return E_FAIL;
        for (size_t i = 0; i < n; i++)
                w[i] = (OLECHAR)(unsigned char)s[i];
        *ret = SysAllocStringLen(w, (UINT)n);
        return *ret ? S_OK : E_OUTOFMEMORY;
}

/* "-123.45": the digits of mag with the point scale places from the right. */
static void format_scaled(bool neg, u128 mag, unsigned scale, char *out) {
        char digits[48];
        int n = 0;
        bool zero = !mag;
        do {
                digits[n++] = (char)('0' + (int)(mag % 10));
                mag /= 10;
        } while (mag);
        while (n <= (int)scale)
                digits[n++] = '0';
        /* the fraction without its trailing zeros */
        unsigned keep = scale;
        while (keep && digits[scale - keep] == '0')
                keep--;
        char *p = out;
        if (neg && !zero)                       /* no "-0" */
                *p++ = '-';
        for (int i = n - 1; i >= (int)scale; i--)
                *p++ = digits[i];
        if (keep) {
                *p++ = '.';
                for (unsigned i = 0; i < keep; i++)
                        *p++ = digits[scale - 1 - i];
        }
        *p = 0;
}

/* --- CY -------------------------------------------------------------------------------- */

HRESULT VarCyFromR8(double dblIn, CY *pCyOut) {
        double r = nearbyint(dblIn * 10000.0);          /* half to even */
        if (!pCyOut)
                return E_INVALIDARG;
        if (isnan(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0)
                return DISP_E_OVERFLOW;
        pCyOut->int64 = (LONGLONG)r;
        return S_OK;
}

HRESULT VarCyFromR4(FLOAT fltIn, CY *pCyOut) {
        return VarCyFromR8(fltIn, pCyOut);
}

HRESULT VarCyFromDate(DATE dateIn, CY *pCyOut) {
        return VarCyFromR8(dateIn, pCyOut);
}

/*
 * Windows refuses the outermost whole numbers, +-922337203685477, though their CY
 * (+-9223372036854770000) would fit: integers convert from -922337203685476 to
 * 922337203685476.
 */
#define CY_WHOLE_MAX (INT64_MAX / 10000 - 1)

HRESULT VarCyFromI8(LONG64 llIn, CY *pCyOut) {
        if (!pCyOut)
                return E_INVALIDARG;
        if (llIn > CY_WHOLE_MAX || llIn < -CY_WHOLE_MAX)
                return DISP_E_OVERFLOW;
        pCyOut->int64 = llIn * 10000;
        return S_OK;
}

HRESULT VarCyFromUI8(ULONG64 ullIn, CY *pCyOut) {
        if (ullIn > (ULONG64)CY_WHOLE_MAX)
                return DISP_E_OVERFLOW;
        return VarCyFromI8((LONG64)ullIn, pCyOut);
}

HRESULT VarCyFromI4(LONG lIn, CY *pCyOut) {
        return VarCyFromI8(lIn, pCyOut);
}

HRESULT VarCyFromUI4(ULONG ulIn, CY *pCyOut) {
        return VarCyFromI8(ulIn, pCyOut);
}

HRESULT VarCyFromI2(SHORT sIn, CY *pCyOut) {
        return VarCyFromI8(sIn, pCyOut);
}

HRESULT VarCyFromUI2(USHORT usIn, CY *pCyOut) {
        return VarCyFromI8(usIn, pCyOut);
}

HRESULT VarCyFromI1(CHAR cIn, CY *pCyOut) {
        return VarCyFromI8((signed char)cIn, pCyOut);
}

HRESULT VarCyFromUI1(BYTE bIn, CY *pCyOut) {
        return VarCyFromI8(bIn, pCyOut);
}

HRESULT VarCyFromBool(VARIANT_BOOL boolIn, CY *pCyOut) {
        return VarCyFromI8(boolIn, pCyOut);     /* every value, not just -1/0 (Windows) */
}

HRESULT VarCyFromDec(const DECIMAL *pdecIn, CY *pCyOut) {
        if (!pdecIn || !pCyOut)
                return E_INVALIDARG;
        if (!dec_valid(pdecIn))
                return E_INVALIDARG;
        u128 mag = dec_mag(pdecIn);
        bool neg = pdecIn->sign != 0;
        if (!pdecIn->scale) {                   /* a whole number: VarCyFromI8's range */
                if (mag > CY_WHOLE_MAX)
                        return DISP_E_OVERFLOW;
                return VarCyFromI8(neg ? -(LONG64)mag : (LONG64)mag, pCyOut);
        }
        if (pdecIn->scale <= 4)
                mag *= pow10_u128(4u - pdecIn->scale);  /* < 2^96 * 10^4: fits */
        else
                mag = div_round_even(mag, pdecIn->scale - 4u);
        if (mag > (neg ? (u128)1 << 63 : (u128)INT64_MAX))
                return DISP_E_OVERFLOW;
        pCyOut->int64 = neg ? (LONGLONG)(0 - (uint64_t)mag) : (LONGLONG)mag;
        return S_OK;
}

HRESULT VarCyFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, CY *pCyOut) {
        char buf[128];
        size_t n;
        DECIMAL d;
        HRESULT hr;

        (void)lcid;
        (void)dwFlags;
        if (!pCyOut)
                return E_INVALIDARG;
        if (FAILED(hr = ascii_of(strIn, buf, sizeof buf, &n)) ||
            FAILED(hr = dec_from_ascii(buf, n, &d)))
                return hr;
        return VarCyFromDec(&d, pCyOut);
}

HRESULT VarR8FromCy(CY cyIn, double *pDblOut) {
        if (!pDblOut)
                return E_INVALIDARG;
        *pDblOut = (double)cyIn.int64 / 10000.0;
        return S_OK;
}

HRESULT VarR4FromCy(CY cyIn, FLOAT *pFltOut) {
        if (!pFltOut)
                return E_INVALIDARG;
        *pFltOut = (FLOAT)((double)cyIn.int64 / 10000.0);
        return S_OK;
}

HRESULT VarI8FromCy(CY cyIn, LONG64 *pi64Out) {
        if (!pi64Out)
                return E_INVALIDARG;
        LONG64 q = cyIn.int64 / 10000, r = cyIn.int64 % 10000;
        /* half to even; r has the sign of the value */
        if (r > 5000 || (r == 5000 && (q & 1)))
                q++;
        else if (r < -5000 || (r == -5000 && (q & 1)))
                q--;
        *pi64Out = q;
        return S_OK;
}

HRESULT VarI4FromCy(CY cyIn, LONG *plOut) {
        LONG64 v;
        if (!plOut)
                return E_INVALIDARG;
        VarI8FromCy(cyIn, &v);
        if (v < INT32_MIN || v > INT32_MAX)
                return DISP_E_OVERFLOW;
        *plOut = (LONG)v;
        return S_OK;
}

HRESULT VarBstrFromCy(CY cyIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut) {
        char buf[48];

        (void)lcid;
        (void)dwFlags;
        if (!pbstrOut)
                return E_INVALIDARG;
        bool neg = cyIn.int64 < 0;
        u128 mag = neg ? (u128)(0 - (uint64_t)cyIn.int64) : (u128)cyIn.int64;
        format_scaled(neg, mag, 4, buf);
        return bstr_from_ascii(buf, pbstrOut);
}

/* --- DECIMAL --------------------------------------------------------------------------- */

HRESULT VarDecFromI8(LONG64 llIn, DECIMAL *pDecOut) {
        if (!pDecOut)
                return E_INVALIDARG;
        dec_set(pDecOut, llIn < 0, 0, llIn < 0 ? (u128)(0 - (uint64_t)llIn) : (u128)llIn);
        return S_OK;
}

HRESULT VarDecFromUI8(ULONG64 ullIn, DECIMAL *pDecOut) {
        if (!pDecOut)
                return E_INVALIDARG;
        dec_set(pDecOut, false, 0, ullIn);
        return S_OK;
}

HRESULT VarDecFromI4(LONG lIn, DECIMAL *pDecOut) {
        return VarDecFromI8(lIn, pDecOut);
}

HRESULT VarDecFromUI4(ULONG ulIn, DECIMAL *pDecOut) {
        return VarDecFromI8(ulIn, pDecOut);
}

HRESULT VarDecFromI2(SHORT sIn, DECIMAL *pDecOut) {
        return VarDecFromI8(sIn, pDecOut);
}

HRESULT VarDecFromUI2(USHORT usIn, DECIMAL *pDecOut) {
        return VarDecFromI8(usIn, pDecOut);
}

HRESULT VarDecFromI1(CHAR cIn, DECIMAL *pDecOut) {
        return VarDecFromI8((signed char)cIn, pDecOut);
}

HRESULT VarDecFromUI1(BYTE bIn, DECIMAL *pDecOut) {
        return VarDecFromI8(bIn, pDecOut);
}

HRESULT VarDecFromBool(VARIANT_BOOL bIn, DECIMAL *pDecOut) {
        return VarDecFromI8(bIn ? -1 : 0, pDecOut);     /* reduced to -1/0 (Windows) */
}

/* A double with digits significant digits, its trailing zeros dropped. */
static HRESULT dec_from_double(double d, int digits, DECIMAL *ret) {
        char buf[64];
        if (!isfinite(d))
                return DISP_E_OVERFLOW;
        int n = snprintf(buf, sizeof buf, "%.*e", digits - 1, d);
        if (n < 0 || (size_t)n >= sizeof buf)
                return E_FAIL;
        HRESULT hr = dec_from_ascii(buf, (size_t)n, ret);
        if (SUCCEEDED(hr))
                dec_trim(ret);
        return hr;
}

HRESULT VarDecFromR8(double dblIn, DECIMAL *pDecOut) {
        if (!pDecOut)
                return E_INVALIDARG;
        return dec_from_double(dblIn, 15, pDecOut);
}

HRESULT VarDecFromR4(FLOAT fltIn, DECIMAL *pDecOut) {
        if (!pDecOut)
                return E_INVALIDARG;
        return dec_from_double(fltIn, 7, pDecOut);
}

HRESULT VarDecFromDate(DATE dateIn, DECIMAL *pDecOut) {
        return VarDecFromR8(dateIn, pDecOut);
}

HRESULT VarDecFromCy(CY cyIn, DECIMAL *pDecOut) {
        if (!pDecOut)
                return E_INVALIDARG;
        bool neg = cyIn.int64 < 0;
        dec_set(pDecOut, neg, 4, neg ? (u128)(0 - (uint64_t)cyIn.int64) : (u128)cyIn.int64);
        return S_OK;
}

HRESULT VarDecFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, DECIMAL *pDecOut) {
        char buf[128];
        size_t n;
        HRESULT hr;

        (void)lcid;
        (void)dwFlags;
        if (!pDecOut)
                return E_INVALIDARG;
        if (FAILED(hr = ascii_of(strIn, buf, sizeof buf, &n)) ||
            FAILED(hr = dec_from_ascii(buf, n, pDecOut)))
                return hr;
        dec_trim(pDecOut);                      /* "4294967296.0" has scale 0 (Windows) */
        return S_OK;
}

HRESULT VarR8FromDec(const DECIMAL *pDecIn, double *pDblOut) {
        if (!pDecIn || !pDblOut)
                return E_INVALIDARG;
        if (!dec_valid(pDecIn))
                return E_INVALIDARG;
        double d = (double)dec_mag(pDecIn);
        if (pDecIn->scale)
                d /= (double)pow10_u128(pDecIn->scale);
        *pDblOut = pDecIn->sign ? -d : d;
        return S_OK;
}

HRESULT VarI8FromDec(const DECIMAL *pdecIn, LONG64 *pi64Out) {
        if (!pdecIn || !pi64Out)
                return E_INVALIDARG;
        if (!dec_valid(pdecIn))
                return E_INVALIDARG;
        u128 mag = div_round_even(dec_mag(pdecIn), pdecIn->scale);
        bool neg = pdecIn->sign != 0;
        if (mag > (neg ? (u128)1 << 63 : (u128)INT64_MAX))
                return DISP_E_OVERFLOW;
        *pi64Out = neg ? (LONG64)(0 - (uint64_t)mag) : (LONG64)mag;
        return S_OK;
}

HRESULT VarI4FromDec(const DECIMAL *pdecIn, LONG *plOut) {
        LONG64 v;
        HRESULT hr;
        if (!plOut)
                return E_INVALIDARG;
        if (FAILED(hr = VarI8FromDec(pdecIn, &v)))
                return hr;
        if (v < INT32_MIN || v > INT32_MAX)
                return DISP_E_OVERFLOW;
        *plOut = (LONG)v;
        return S_OK;
}

HRESULT VarBstrFromDec(const DECIMAL *pDecIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut) {
        char buf[48];

        (void)lcid;
        (void)dwFlags;
        if (!pDecIn || !pbstrOut)
                return E_INVALIDARG;
        if (!dec_valid(pDecIn))
                return E_INVALIDARG;
        format_scaled(pDecIn->sign != 0, dec_mag(pDecIn), pDecIn->scale, buf);
        return bstr_from_ascii(buf, pbstrOut);
}

/* --- DATE ------------------------------------------------------------------------------ */

HRESULT VarDateFromR8(double dblIn, DATE *pdateOut) {
        if (!pdateOut)
                return E_INVALIDARG;
        /* the last day's fraction is in, the day before the first is not */
        if (isnan(dblIn) || dblIn <= DATE_MIN - 1.0 || dblIn >= DATE_MAX + 1.0)
                return DISP_E_OVERFLOW;
        *pdateOut = dblIn;
        return S_OK;
}

HRESULT VarDateFromR4(FLOAT fltIn, DATE *pdateOut) {
        return VarDateFromR8(fltIn, pdateOut);
}

HRESULT VarDateFromI8(LONG64 llIn, DATE *pdateOut) {
        if (!pdateOut)
                return E_INVALIDARG;
        if (llIn < (LONG64)DATE_MIN || llIn > (LONG64)DATE_MAX)
                return DISP_E_OVERFLOW;
        *pdateOut = (DATE)llIn;
        return S_OK;
}

HRESULT VarDateFromI4(LONG lIn, DATE *pdateOut) {
        return VarDateFromI8(lIn, pdateOut);
}

HRESULT VarDateFromBool(VARIANT_BOOL boolIn, DATE *pdateOut) {
        return VarDateFromI8(boolIn, pdateOut);
}

HRESULT VarDateFromCy(CY cyIn, DATE *pdateOut) {
        double d;
        VarR8FromCy(cyIn, &d);
        return VarDateFromR8(d, pdateOut);
}

HRESULT VarDateFromDec(const DECIMAL *pdecIn, DATE *pdateOut) {
        double d;
        HRESULT hr = VarR8FromDec(pdecIn, &d);
        return FAILED(hr) ? hr : VarDateFromR8(d, pdateOut);
}

HRESULT VarR8FromDate(DATE dateIn, double *pdblOut) {
        if (!pdblOut)
                return E_INVALIDARG;
        *pdblOut = dateIn;
        return S_OK;
}

/* Days from 1899-12-30 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468 + 25569;   /* 1970-01-01 is 25569 */
}

static void civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d) {
        z += 719468 - 25569;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        unsigned d = doy - (153 * mp + 2) / 5 + 1;
        unsigned m = mp < 10 ? mp + 3 : mp - 9;
        *ret_y = (int)(yoe + era * 400 + (m <= 2));
        *ret_m = m;
        *ret_d = d;
}

/* A date's day (1899-12-30 is 0) and its time of day in whole seconds, rounded. */
static bool date_split(DATE date, int64_t *ret_day, unsigned *ret_sec) {
        if (isnan(date) || date <= DATE_MIN - 1.0 || date >= DATE_MAX + 1.0)
                return false;
        double whole = trunc(date);
        double frac = fabs(date - whole);       /* forward from midnight, for -1.25 too */
        int64_t day = (int64_t)whole;
        /* -0.25 is 1899-12-30 06:00, as 0.25 is */
        double secs = floor(frac * 86400.0 + 0.5);     /* half a second rounds up */
        if (secs >= 86400) {
                secs -= 86400;
                day++;
        }
        if (day < (int64_t)DATE_MIN || day > (int64_t)DATE_MAX)
                return false;
        *ret_day = day;
        *ret_sec = (unsigned)secs;
        return true;
}

INT VariantTimeToSystemTime(double vtime, LPSYSTEMTIME lpSystemTime) {
        int64_t day;
        unsigned sec, m, d;
        int y;

        if (!lpSystemTime || !date_split(vtime, &day, &sec))
                return FALSE;
        civil_from_days(day, &y, &m, &d);
        lpSystemTime->wYear = (WORD)y;
        lpSystemTime->wMonth = (WORD)m;
        lpSystemTime->wDay = (WORD)d;
        /* 1899-12-30 (day 0) was a Saturday */
        lpSystemTime->wDayOfWeek = (WORD)(((day % 7) + 7 + 6) % 7);
        lpSystemTime->wHour = (WORD)(sec / 3600);
        lpSystemTime->wMinute = (WORD)(sec / 60 % 60);
        lpSystemTime->wSecond = (WORD)(sec % 60);
        lpSystemTime->wMilliseconds = 0;
        return TRUE;
}

/*
 * The date of a calendar day and time: a day of 0 (or past the month's end) rolls into
 * the month before (after); years 0-99 are 1900-1999; the time of day may not pass 24h.
 */
static HRESULT date_from_parts(int y, unsigned m, unsigned d, unsigned h, unsigned mi,
                               unsigned s, DATE *ret) {
        if (m < 1 || m > 12 || d > 31 || h > 23 || mi > 59 || s > 59)
                return E_INVALIDARG;
        if (y >= 0 && y < 100)
                y += 1900;
        int64_t day = days_from_civil(y, m, 1) + (int64_t)d - 1;
        if (day < (int64_t)DATE_MIN || day > (int64_t)DATE_MAX)
                return E_INVALIDARG;
        double t = (h * 3600 + mi * 60 + s) / 86400.0;
        *ret = day >= 0 ? (double)day + t : (double)day - t;
        return S_OK;
}

INT SystemTimeToVariantTime(LPSYSTEMTIME lpSystemTime, double *pvtime) {
        if (!lpSystemTime || !pvtime)
                return FALSE;
        const SYSTEMTIME *st = lpSystemTime;
        if ((SHORT)st->wYear < 0)
                return FALSE;
        /* the milliseconds are ignored, as on Windows */
        return date_from_parts(st->wYear, st->wMonth, st->wDay, st->wHour, st->wMinute,
                               st->wSecond, pvtime) == S_OK;
}

HRESULT VarBstrFromDate(DATE dateIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut) {
        char buf[64], *p = buf;
        int64_t day;
        unsigned sec, m, d;
        int y;

        (void)lcid;
        (void)dwFlags;
        if (!pbstrOut)
                return E_INVALIDARG;
        if (!date_split(dateIn, &day, &sec))
                return E_INVALIDARG;
        civil_from_days(day, &y, &m, &d);
        /* the date unless it is day 0, the time unless it is midnight; 0.0 is "12:00:00 AM" */
        if (day != 0)
                p += sprintf(p, "%u/%u/%d", m, d, y);
        if (day != 0 && sec)
                *p++ = ' ';
        if (sec || day == 0) {
                unsigned h = sec / 3600;
                sprintf(p, "%u:%02u:%02u %s", h % 12 ? h % 12 : 12, sec / 60 % 60, sec % 60,
                        h < 12 ? "AM" : "PM");
        }
        return bstr_from_ascii(buf, pbstrOut);
}

/* "12", advancing *i; -1 when there is no number. */
static long read_uint(const char *s, size_t n, size_t *i) {
        long v = 0;
        size_t start = *i;
        while (*i < n && s[*i] >= '0' && s[*i] <= '9' && v < 100000)
                v = v * 10 + (s[(*i)++] - '0');
        return *i == start ? -1 : v;
}

/* "H:MM[:SS][ AM|PM]" from s[*i]; false when it is not one. */
static bool read_time(const char *s, size_t n, size_t *i, unsigned *ret_sec) {
        long h = read_uint(s, n, i), mi, sec = 0;
        if (h < 0 || *i >= n || s[*i] != ':')
                return false;
        (*i)++;
        if ((mi = read_uint(s, n, i)) < 0)
                return false;
        if (*i < n && s[*i] == ':') {
                (*i)++;
                if ((sec = read_uint(s, n, i)) < 0)
                        return false;
        }
        while (*i < n && s[*i] == ' ')
                (*i)++;
        if (*i < n && (s[*i] == 'A' || s[*i] == 'a' || s[*i] == 'P' || s[*i] == 'p')) {
                bool pm = s[*i] == 'P' || s[*i] == 'p';
                (*i)++;
                if (*i < n && (s[*i] == 'M' || s[*i] == 'm'))
                        (*i)++;
                if (h <= 12) {                  /* past 12 the hour wins (Windows) */
                        if (h == 12)
                                h = 0;
                        if (pm)
                                h += 12;
                }
        }
        if (h > 23 || mi > 59 || sec > 59)
                return false;
        *ret_sec = (unsigned)(h * 3600 + mi * 60 + sec);
        return true;
}

/* An English month's name or its first three letters at s[*i], any case: 1-12, 0 if none. */
static int read_month(const char *s, size_t n, size_t *i) {
        static const char *const names[] = {
                "january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december",
        };
        size_t len = 0;

        while (*i + len < n && ((s[*i + len] | 0x20) >= 'a' && (s[*i + len] | 0x20) <= 'z'))
                len++;
        for (int m = 0; m < 12 && len >= 3; m++) {
                if ((len == 3 || len == strlen(names[m])) && !strncasecmp(s + *i, names[m], len)) {
                        *i += len;
                        return m + 1;
                }
        }
        return 0;
}

/* A year as written: two digits are 1930-2029, as Windows reads them. */
static long full_year(long y, size_t digits) {
        return digits <= 2 ? y + (y < 30 ? 2000 : 1900) : y;
}

/*
 * A date with a month name, from s[*i] (Wine's tests of VarDateFromStr record Windows'
 * answers for en-US): the month and one or two numbers in either order, separated by
 * blanks, ',', '-' or '/' -- day then year ("2 January, 1970", "Jan 2 1970", "2-Jan-1970").
 * One number is a day of this year's month when it can be one ("Jan 2"), else the year
 * (the 1st of the month: "Jan 35" is 1 January 1935).  *i is left where a time may start.
 * 1 when read, 0 when there is no month name (another form), -1 when malformed.
 */
static int read_named_date(const char *s, size_t n, size_t *i, long *y, long *m, long *d) {
        struct { long v; size_t digits; } num[2];
        int nn = 0, month = 0, month_at = -1, count = 0;
        size_t j = *i;

        for (;;) {
                size_t at = j;
                if (count) {
                        bool sep = false;
                        while (j < n && s[j] == ' ') {
                                j++;
                                sep = true;
                        }
                        if (j < n && (s[j] == ',' || s[j] == '-' || s[j] == '/')) {
                                j++;
                                sep = true;
                                while (j < n && s[j] == ' ')
                                        j++;
                        }
                        if (!sep) {
                                j = at;
                                break;
                        }
                }
                if (j < n && ((s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z')) {
                        int mo = read_month(s, n, &j);
                        if (!mo || month) {
                                j = at;         /* AM/PM or another word: not the date's */
                                break;
                        }
                        month = mo;
                        month_at = count++;
                        continue;
                }
                if (j < n && s[j] >= '0' && s[j] <= '9' && nn < 2) {
                        size_t start = j;
                        long v = read_uint(s, n, &j);
                        if (j < n && (s[j] == ':' || (s[j] >= '0' && s[j] <= '9'))) {
                                j = at;         /* a time's hour (or a number too long) */
                                break;
                        }
                        num[nn].v = v;
                        num[nn++].digits = j - start;
                        count++;
                        continue;
                }
                j = at;
                break;
        }
        if (!month)
                return 0;
        if (!nn || (nn == 2 && month_at == 2))
                return -1;                      /* a month alone; "1 2 Jan" */
        *m = month;
        if (nn == 2) {
                *d = num[0].v;
                *y = full_year(num[1].v, num[1].digits);
        } else {
                time_t now = time(NULL);
                struct tm tm;
                int64_t first, next;
                localtime_r(&now, &tm);
                long this_year = tm.tm_year + 1900;
                first = days_from_civil(this_year, (unsigned)month, 1);
                next = month == 12 ? days_from_civil(this_year + 1, 1, 1) :
                                     days_from_civil(this_year, (unsigned)month + 1, 1);
                if (num[0].digits <= 2 && num[0].v >= 1 && num[0].v <= next - first) {
                        *d = num[0].v;
                        *y = this_year;
                } else {
                        *d = 1;
                        *y = full_year(num[0].v, num[0].digits);
                }
        }
        *i = j;
        return 1;
}

HRESULT VarDateFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, DATE *pdateOut) {
        char s[128];
        size_t n, i = 0;
        HRESULT hr;
        long y = 1899, m = 12, d = 30;
        unsigned sec = 0;
        bool have_date = false, have_time = false;

        (void)lcid;
        (void)dwFlags;
        if (!pdateOut)
                return E_INVALIDARG;
        if (FAILED(hr = ascii_of(strIn, s, sizeof s, &n)))
                return hr;
        while (i < n && s[i] == ' ')
                i++;
        while (n > i && s[n - 1] == ' ')
                n--;
        size_t mark = i;
        int named = read_named_date(s, n, &i, &y, &m, &d);
        if (named < 0)
                return DISP_E_TYPEMISMATCH;
        long a = named ? -1 : read_uint(s, n, &i);
        size_t a_len = i - mark;
        if (named) {
                have_date = true;
                while (i < n && s[i] == ' ')
                        i++;
        } else if (a >= 0 && i < n && (s[i] == '/' || s[i] == '-')) {
                char sep = s[i++];
                long b = read_uint(s, n, &i), c;
                if (b < 0 || i >= n || s[i] != sep)
                        return DISP_E_TYPEMISMATCH;
                i++;
                size_t cstart = i;
                if ((c = read_uint(s, n, &i)) < 0)
                        return DISP_E_TYPEMISMATCH;
                if (sep == '-' && a_len == 4) {
                        y = a;                  /* ISO 8601: 2000-01-02 */
                        m = b;
                        d = c;
                } else {
                        m = a;                  /* US: 1/2/2000 */
                        d = b;
                        y = c;
                        if (i - cstart <= 2)    /* two digits: 1930-2029 */
                                y += y < 30 ? 2000 : 1900;
                }
                have_date = true;
                if (i < n && (s[i] == ' ' || s[i] == 'T'))
                        i++;
                while (i < n && s[i] == ' ')
                        i++;
        } else {
                i = mark;
        }
        if (i < n) {
                if (!read_time(s, n, &i, &sec))
                        return DISP_E_TYPEMISMATCH;
                have_time = true;
        }
        if (i != n || (!have_date && !have_time))
                return DISP_E_TYPEMISMATCH;
        if (m < 1 || m > 12 || d < 1 || d > 31 || y < 100 || y > 9999)
                return DISP_E_TYPEMISMATCH;
        /* the day must exist in its month */
        int yy;
        unsigned mm, dd;
        int64_t day = days_from_civil(y, (unsigned)m, (unsigned)d);
        civil_from_days(day, &yy, &mm, &dd);
        if (mm != (unsigned)m)
                return DISP_E_TYPEMISMATCH;
        double t = sec / 86400.0;
        *pdateOut = day >= 0 ? (double)day + t : (double)day - t;
        return S_OK;
}
