/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VARIANT ([MS-OAUT] 2.2.29, oleaut32's Variant* API): initialization, clearing, deep
 * copies and VariantChangeType's coercions between the types automation code passes
 * around -- EMPTY, NULL, the integers, R4, R8, BOOL, BSTR, ERROR, UNKNOWN, DISPATCH and
 * references to them -- with Windows' results: DISP_E_OVERFLOW for a value outside the
 * target's range (floating point rounds half to even first, as Windows does), BOOL as
 * -1/0 (and to the unsigned types as -1 truncated), numbers to and from strings in the
 * invariant locale whatever lcid says, DISP_E_TYPEMISMATCH for what does not convert.
 * CY, DATE and DECIMAL convert as the Var*From* functions of vartype.c do (CY and
 * DECIMAL exactly to and from integers and strings, DATE as its double, dates as
 * strings in the US English form).  Arrays convert only to their own type, and a record
 * (VT_RECORD) only to a record (a copy); anything else is DISP_E_TYPEMISMATCH.
 * A VT_ARRAY VARIANT owns its SAFEARRAY: VariantClear destroys it, VariantCopy copies
 * it (SafeArrayCopy).  A VT_RECORD one owns its record (CoTaskMem) and holds its
 * IRecordInfo: VariantClear calls RecordClear, frees the block and releases the
 * IRecordInfo (never RecordDestroy, as Wine's tests show of Windows); VariantCopy sizes a
 * new block with GetSize and fills it with RecordCopy.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oleaut/oleaut-internal.h"

/* --- types ------------------------------------------------------------------------------ */

/* A type a VARIANT may hold (flags included), as VariantClear/VariantCopy accept it. */
static HRESULT check_vt(VARTYPE vt) {
        VARTYPE base = vt & VT_TYPEMASK;

        if (vt & (VT_VECTOR | VT_RESERVED))
                return DISP_E_BADVARTYPE;
        if (base == 15 || (base > VT_UINT && base != VT_RECORD))
                return DISP_E_BADVARTYPE;
        if ((vt & (VT_BYREF | VT_ARRAY)) && base <= VT_NULL)
                return DISP_E_BADVARTYPE;
        return S_OK;
}

void VariantInit(VARIANTARG *pvarg) {
        if (pvarg)
                V_VT(pvarg) = VT_EMPTY;         /* the rest is left alone, as on Windows */
}

HRESULT VariantClear(VARIANTARG *pvarg) {
        HRESULT hr;

        if (!pvarg)
                return E_INVALIDARG;
        if (FAILED(hr = check_vt(V_VT(pvarg))))
                return hr;
        if ((V_VT(pvarg) & (VT_ARRAY | VT_BYREF)) == VT_ARRAY) {
                /* a locked array stays (and leaks, as on Windows); the VARIANT is emptied */
                hr = SafeArrayDestroy(V_ARRAY(pvarg));
                V_VT(pvarg) = VT_EMPTY;
                return hr;
        }
        switch (V_VT(pvarg)) {
        case VT_BSTR:
                SysFreeString(V_BSTR(pvarg));
                break;
        case VT_UNKNOWN:
        case VT_DISPATCH:
                if (V_UNKNOWN(pvarg))
                        V_UNKNOWN(pvarg)->lpVtbl->Release(V_UNKNOWN(pvarg));
                break;
        case VT_RECORD:
                if (V_RECORDINFO(pvarg)) {
                        IRecordInfo *ri = V_RECORDINFO(pvarg);
                        if (V_RECORD(pvarg))
                                ri->lpVtbl->RecordClear(ri, V_RECORD(pvarg));
                        /* read again: RecordClear may have changed it (Wine's tests do) */
                        CoTaskMemFree(V_RECORD(pvarg));
                        V_RECORD(pvarg) = NULL;
                        ri->lpVtbl->Release(ri);
                }
                break;
        default:
                break;          /* values, and what a VT_BYREF one points at is not ours */
        }
        V_VT(pvarg) = VT_EMPTY;
        return S_OK;
}

/* v: a shallow copy of src, a VT_RECORD; given its own record and a hold on the IRecordInfo. */
static HRESULT copy_record(VARIANT *v, const VARIANT *src) {
        IRecordInfo *ri = V_RECORDINFO(src);
        ULONG size;
        HRESULT hr;

        if (!ri)
                return V_RECORD(src) ? E_INVALIDARG : S_OK;
        V_RECORD(v) = NULL;
        if (V_RECORD(src)) {
                if (FAILED(hr = ri->lpVtbl->GetSize(ri, &size)))
                        return hr;
                void *p = CoTaskMemAlloc(size ? size : 1);
                if (!p)
                        return E_OUTOFMEMORY;
                memset(p, 0, size);
                if (FAILED(hr = ri->lpVtbl->RecordCopy(ri, V_RECORD(src), p))) {
                        CoTaskMemFree(p);
                        return hr;
                }
                V_RECORD(v) = p;
        }
        ri->lpVtbl->AddRef(ri);
        return S_OK;
}

HRESULT VariantCopy(VARIANTARG *pvargDest, const VARIANTARG *pvargSrc) {
        HRESULT hr;

        if (!pvargDest || !pvargSrc)
                return E_INVALIDARG;
        if (FAILED(hr = check_vt(V_VT(pvargSrc))))
                return hr;
        if (pvargDest == pvargSrc)
                return S_OK;
        if (FAILED(hr = VariantClear(pvargDest)))
                return hr;
        VARIANT v = *pvargSrc;
        if ((V_VT(&v) & (VT_ARRAY | VT_BYREF)) == VT_ARRAY) {
                if (FAILED(hr = SafeArrayCopy(V_ARRAY(pvargSrc), &V_ARRAY(&v))))
                        return hr;
        } else if (V_VT(&v) == VT_BSTR && V_BSTR(&v)) {
                V_BSTR(&v) = SysAllocStringByteLen((LPCSTR)V_BSTR(pvargSrc),
                                                   SysStringByteLen(V_BSTR(pvargSrc)));
                if (!V_BSTR(&v))
                        return E_OUTOFMEMORY;
        } else if ((V_VT(&v) == VT_UNKNOWN || V_VT(&v) == VT_DISPATCH) && V_UNKNOWN(&v)) {
                V_UNKNOWN(&v)->lpVtbl->AddRef(V_UNKNOWN(&v));
        } else if (V_VT(&v) == VT_RECORD && FAILED(hr = copy_record(&v, pvargSrc))) {
                return hr;
        }
        *pvargDest = v;
        return S_OK;
}

/* The value a VT_BYREF VARIANT points at, as a by-value VARIANT (nothing copied deeply). */
static HRESULT deref(const VARIANT *src, VARIANT *ret) {
        VARTYPE vt = V_VT(src) & VT_TYPEMASK;
        const void *p = V_BYREF(src);
        VARIANT v;

        if (!p)
                return E_INVALIDARG;
        memset(&v, 0, sizeof v);
        if (V_VT(src) & VT_ARRAY) {
                V_VT(&v) = V_VT(src) & ~VT_BYREF;
                memcpy(&V_ARRAY(&v), p, sizeof(SAFEARRAY *));
                *ret = v;
                return S_OK;
        }
        V_VT(&v) = vt;
        switch (vt) {
        case VT_I1: case VT_UI1: memcpy(&V_UI1(&v), p, 1); break;
        case VT_I2: case VT_UI2: case VT_BOOL: memcpy(&V_I2(&v), p, 2); break;
        case VT_I4: case VT_UI4: case VT_INT: case VT_UINT: case VT_ERROR: case VT_R4:
                memcpy(&V_I4(&v), p, 4);
                break;
        case VT_I8: case VT_UI8: case VT_R8: case VT_DATE: case VT_CY:
                memcpy(&V_I8(&v), p, 8);
                break;
        case VT_BSTR: case VT_UNKNOWN: case VT_DISPATCH:
                memcpy(&V_BYREF(&v), p, sizeof(void *));
                break;
        case VT_DECIMAL:
                memcpy(&V_DECIMAL(&v), p, sizeof(DECIMAL));
                V_VT(&v) = VT_DECIMAL;
                break;
        case VT_RECORD:         /* by reference the same two pointers: the record is not ours */
                V_RECORD(&v) = V_RECORD(src);
                V_RECORDINFO(&v) = V_RECORDINFO(src);
                break;
        case VT_VARIANT:
                v = *(const VARIANT *)p;
                if (V_VT(&v) & VT_BYREF)        /* one level of indirection only */
                        return E_INVALIDARG;
                break;
        default:
                return E_INVALIDARG;
        }
        *ret = v;
        return S_OK;
}

HRESULT VariantCopyInd(VARIANT *pvarDest, const VARIANTARG *pvargSrc) {
        VARIANT v;
        HRESULT hr;

        if (!pvarDest || !pvargSrc)
                return E_INVALIDARG;
        if (!(V_VT(pvargSrc) & VT_BYREF))
                return VariantCopy(pvarDest, pvargSrc);
        if (FAILED(check_vt(V_VT(pvargSrc))))
                return E_INVALIDARG;
        if (FAILED(hr = deref(pvargSrc, &v)))
                return hr;
        /* v shares the referent's BSTR or interface: VariantCopy makes them its own */
        VARIANT copy;
        V_VT(&copy) = VT_EMPTY;
        if (FAILED(hr = VariantCopy(&copy, &v)))
                return hr;
        if (pvarDest != pvargSrc && FAILED(hr = VariantClear(pvarDest))) {
                VariantClear(&copy);
                return hr;
        }
        *pvarDest = copy;               /* in place: the reference is simply replaced */
        return S_OK;
}

/* --- coercion -------------------------------------------------------------------------- */

/* A number on its way between types. */
struct num {
        enum { N_INT, N_UINT, N_REAL } kind;
        int64_t i;
        uint64_t u;
        double d;
};

static bool is_space(OLECHAR c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * A number written in the invariant locale: blanks around it, a sign, digits with ','
 * grouping, a '.' fraction, an exponent; or &H (hex) / &O (octal) digits.
 */
static HRESULT num_from_str(BSTR s, struct num *ret) {
        UINT n = SysStringLen(s), i = 0;
        char buf[128];
        size_t k = 0;
        bool digits = false, real = false;

        while (i < n && is_space(s[i]))
                i++;
        while (n > i && is_space(s[n - 1]))
                n--;
        if (i >= n)
                return DISP_E_TYPEMISMATCH;
        if (s[i] == '&' && i + 1 < n && (s[i + 1] == 'H' || s[i + 1] == 'h' ||
                                          s[i + 1] == 'O' || s[i + 1] == 'o')) {
                unsigned base = (s[i + 1] == 'H' || s[i + 1] == 'h') ? 16 : 8;
                uint64_t v = 0;
                i += 2;
                if (i >= n)
                        return DISP_E_TYPEMISMATCH;
                for (; i < n; i++) {
                        OLECHAR c = s[i];
                        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
                                     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a') + 10u :
                                     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A') + 10u : 99u;
                        if (d >= base)
                                return DISP_E_TYPEMISMATCH;
                        if (v > (UINT64_MAX - d) / base)
                                return DISP_E_OVERFLOW;
                        v = v * base + d;
                }
                /* Windows reads &H digits as a two's complement of the value's size */
                ret->kind = N_INT;
                ret->i = v <= 0xffff ? (int16_t)v : v <= 0xffffffffu ? (int32_t)v : (int64_t)v;
                return S_OK;
        }
        if (s[i] == '+' || s[i] == '-')
                buf[k++] = (char)s[i++];
        for (; i < n && k < sizeof buf - 1; i++) {
                OLECHAR c = s[i];
                if (c >= '0' && c <= '9') {
                        buf[k++] = (char)c;
                        digits = true;
                } else if (c == ',' && digits && !real) {
                        continue;       /* grouping */
                } else if (c == '.' && !real) {
                        buf[k++] = '.';
                        real = true;
                } else {
                        break;
                }
        }
        if (!digits)
                return DISP_E_TYPEMISMATCH;
        if (i < n && (s[i] == 'e' || s[i] == 'E' || s[i] == 'd' || s[i] == 'D')) {
                buf[k++] = 'e';
                real = true;
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-') && k < sizeof buf - 1)
                        buf[k++] = (char)s[i++];
                bool exp_digits = false;
                for (; i < n && s[i] >= '0' && s[i] <= '9' && k < sizeof buf - 1; i++) {
                        buf[k++] = (char)s[i];
                        exp_digits = true;
                }
                if (!exp_digits)
                        return DISP_E_TYPEMISMATCH;
        }
        if (i != n)
                return DISP_E_TYPEMISMATCH;
        buf[k] = 0;
        if (!real) {
                char *end;
                errno = 0;
                if (buf[0] == '-') {
                        long long v = strtoll(buf, &end, 10);
                        if (!errno && !*end) {
                                ret->kind = N_INT;
                                ret->i = v;
                                return S_OK;
                        }
                } else {
                        unsigned long long v = strtoull(buf, &end, 10);
                        if (!errno && !*end) {
                                ret->kind = N_UINT;
                                ret->u = v;
                                return S_OK;
                        }
                }
        }
        ret->kind = N_REAL;
        ret->d = strtod(buf, NULL);
        if (isinf(ret->d))
                return DISP_E_OVERFLOW;
        return S_OK;
}

/* "True"/"False" (any case) or a number. */
static HRESULT bool_from_str(BSTR s, VARIANT_BOOL *ret) {
        static const char *const words[] = { "true", "false" };
        UINT n = SysStringLen(s), i = 0;

        while (i < n && is_space(s[i]))
                i++;
        while (n > i && is_space(s[n - 1]))
                n--;
        for (int w = 0; w < 2; w++) {
                size_t len = strlen(words[w]);
                if (n - i != len)
                        continue;
                size_t j = 0;
                while (j < len && (s[i + j] | 0x20) == words[w][j])
                        j++;
                if (j == len) {
                        *ret = w == 0 ? VARIANT_TRUE : VARIANT_FALSE;
                        return S_OK;
                }
        }
        struct num x;
        HRESULT hr = num_from_str(s, &x);
        if (FAILED(hr))
                return hr;
        *ret = (x.kind == N_REAL ? x.d != 0 : x.kind == N_INT ? x.i != 0 : x.u != 0)
                       ? VARIANT_TRUE : VARIANT_FALSE;
        return S_OK;
}

/*
 * A by-value numeric, BOOL or EMPTY VARIANT as a number; S_FALSE when it is none.
 * CY and DECIMAL become integers rounded half to even when integer is set (exact, as
 * Windows rounds them), doubles otherwise; DATE is its double.  A DECIMAL with a bad
 * scale or sign is E_INVALIDARG.
 */
static HRESULT num_from_variant(const VARIANT *v, bool integer, struct num *ret) {
        HRESULT hr;

        ret->kind = N_INT;
        switch (V_VT(v)) {
        case VT_CY:
                if (integer) {
                        VarI8FromCy(V_CY(v), &ret->i);
                } else {
                        ret->kind = N_REAL;
                        VarR8FromCy(V_CY(v), &ret->d);
                }
                break;
        case VT_DATE:
                ret->kind = N_REAL;
                ret->d = V_DATE(v);
                break;
        case VT_DECIMAL:
                if (integer && (hr = VarI8FromDec(&V_DECIMAL(v), &ret->i)) == S_OK)
                        break;
                /* past INT64: the double, which to_int() finds too large (or rounds for UI8) */
                ret->kind = N_REAL;
                if (FAILED(hr = VarR8FromDec(&V_DECIMAL(v), &ret->d)))
                        return hr;
                break;
        case VT_EMPTY: ret->i = 0; break;
        case VT_I1: ret->i = (signed char)V_I1(v); break;     /* (CHAR: plain char) */
        case VT_I2: ret->i = V_I2(v); break;
        case VT_BOOL: ret->i = V_BOOL(v); break;
        case VT_I4: case VT_INT: ret->i = V_I4(v); break;
        case VT_I8: ret->i = V_I8(v); break;
        case VT_UI1: ret->i = V_UI1(v); break;
        case VT_UI2: ret->i = V_UI2(v); break;
        case VT_UI4: case VT_UINT: ret->i = V_UI4(v); break;
        case VT_UI8:
                ret->kind = N_UINT;
                ret->u = V_UI8(v);
                break;
        case VT_R4:
                ret->kind = N_REAL;
                ret->d = V_R4(v);
                break;
        case VT_R8:
                ret->kind = N_REAL;
                ret->d = V_R8(v);
                break;
        default:
                return S_FALSE;
        }
        return S_OK;
}

/* x as an integer in [lo, hi] (hi_u for the unsigned 64-bit target). */
static HRESULT to_int(const struct num *x, int64_t lo, uint64_t hi, uint64_t *ret) {
        if (x->kind == N_REAL) {
                /* round half to even (the default rounding mode), then range-check */
                double r = nearbyint(x->d);
                if (isnan(r) || r < (double)lo || r >= ldexp((double)(hi / 2 + 1), 1))
                        return DISP_E_OVERFLOW;
                if (r < 0) {
                        *ret = (uint64_t)(int64_t)r;
                        return S_OK;
                }
                if ((uint64_t)r > hi)
                        return DISP_E_OVERFLOW;
                *ret = (uint64_t)r;
                return S_OK;
        }
        if (x->kind == N_UINT) {
                if (x->u > hi)
                        return DISP_E_OVERFLOW;
                *ret = x->u;
                return S_OK;
        }
        if (x->i < lo || (x->i >= 0 && (uint64_t)x->i > hi))
                return DISP_E_OVERFLOW;
        *ret = (uint64_t)x->i;
        return S_OK;
}

static double to_real(const struct num *x) {
        return x->kind == N_REAL ? x->d : x->kind == N_UINT ? (double)x->u : (double)x->i;
}

static HRESULT bstr_from_num(const VARIANT *src, BSTR *ret) {
        char buf[64];
        int n;

        switch (V_VT(src)) {
        case VT_EMPTY:
                buf[0] = 0;
                n = 0;
                break;
        case VT_R4:
                n = snprintf(buf, sizeof buf, "%.7G", (double)V_R4(src));
                break;
        case VT_R8:
                n = snprintf(buf, sizeof buf, "%.15G", V_R8(src));
                break;
        case VT_UI8:
                n = snprintf(buf, sizeof buf, "%" PRIu64, (uint64_t)V_UI8(src));
                break;
        case VT_CY:
                return VarBstrFromCy(V_CY(src), LOCALE_INVARIANT, 0, ret);
        case VT_DATE:
                return VarBstrFromDate(V_DATE(src), LOCALE_INVARIANT, 0, ret);
        case VT_DECIMAL:
                return VarBstrFromDec(&V_DECIMAL(src), LOCALE_INVARIANT, 0, ret);
        default: {
                struct num x;
                if (num_from_variant(src, true, &x) != S_OK)
                        return DISP_E_TYPEMISMATCH;
                n = snprintf(buf, sizeof buf, "%" PRId64, x.i);
                break;
        }
        }
        if (n < 0 || (size_t)n >= sizeof buf)
                return E_FAIL;
        OLECHAR w[64];
        for (int i = 0; i < n; i++)
                w[i] = (OLECHAR)(unsigned char)buf[i];
        *ret = SysAllocStringLen(w, (UINT)n);
        return *ret ? S_OK : E_OUTOFMEMORY;
}

static HRESULT coerce(VARIANT *dst, const VARIANT *src, LCID lcid, USHORT flags, VARTYPE vt);

/* To CY, DECIMAL or DATE (vt) from a by-value VARIANT of another type. */
static HRESULT coerce_wide(VARIANT *dst, const VARIANT *src, VARTYPE vt) {
        VARTYPE from = V_VT(src);
        struct num x;
        HRESULT hr;

        /* the conversions that keep more than a double would */
        if (from == VT_BSTR) {
                if (vt == VT_CY)
                        return VarCyFromStr(V_BSTR(src), LOCALE_INVARIANT, 0, &V_CY(dst));
                if (vt == VT_DECIMAL)
                        hr = VarDecFromStr(V_BSTR(src), LOCALE_INVARIANT, 0, &V_DECIMAL(dst));
                else
                        hr = VarDateFromStr(V_BSTR(src), LOCALE_INVARIANT, 0, &V_DATE(dst));
                V_VT(dst) = vt;         /* DECIMAL's wReserved is the VARIANT's vt */
                return hr;
        }
        if (vt == VT_CY && from == VT_DECIMAL)
                return VarCyFromDec(&V_DECIMAL(src), &V_CY(dst));
        if (vt == VT_CY && from == VT_BOOL)
                return VarCyFromBool(V_BOOL(src), &V_CY(dst));
        if (vt == VT_DECIMAL && (from == VT_CY || from == VT_R4 || from == VT_BOOL)) {
                hr = from == VT_CY ? VarDecFromCy(V_CY(src), &V_DECIMAL(dst))
                   : from == VT_R4 ? VarDecFromR4(V_R4(src), &V_DECIMAL(dst))
                                   : VarDecFromBool(V_BOOL(src), &V_DECIMAL(dst));
                V_VT(dst) = vt;
                return hr;
        }
        if ((hr = num_from_variant(src, false, &x)) != S_OK)
                return FAILED(hr) ? hr : DISP_E_TYPEMISMATCH;
        switch (vt) {
        case VT_CY:
                return x.kind == N_INT ? VarCyFromI8(x.i, &V_CY(dst))
                     : x.kind == N_UINT ? VarCyFromUI8(x.u, &V_CY(dst))
                                        : VarCyFromR8(x.d, &V_CY(dst));
        case VT_DECIMAL:
                hr = x.kind == N_INT ? VarDecFromI8(x.i, &V_DECIMAL(dst))
                   : x.kind == N_UINT ? VarDecFromUI8(x.u, &V_DECIMAL(dst))
                                      : VarDecFromR8(x.d, &V_DECIMAL(dst));
                V_VT(dst) = vt;
                return hr;
        default:
                if (x.kind == N_UINT && x.u > INT64_MAX)
                        return DISP_E_OVERFLOW;
                return x.kind == N_REAL ? VarDateFromR8(x.d, &V_DATE(dst))
                                        : VarDateFromI8(x.kind == N_INT ? x.i : (LONG64)x.u,
                                                        &V_DATE(dst));
        }
}

/* An object's value: its DISPID_VALUE property ([MS-OAUT] 3.1.4.4.2). */
static HRESULT value_property(IDispatch *disp, LCID lcid, VARIANT *ret) {
        DISPPARAMS none = { NULL, NULL, 0, 0 };

        if (!disp)
                return DISP_E_TYPEMISMATCH;
        V_VT(ret) = VT_EMPTY;
        return disp->lpVtbl->Invoke(disp, DISPID_VALUE, &IID_NULL, lcid, DISPATCH_PROPERTYGET,
                                    &none, ret, NULL, NULL);
}

static HRESULT coerce(VARIANT *dst, const VARIANT *src, LCID lcid, USHORT flags, VARTYPE vt) {
        VARTYPE from = V_VT(src);
        struct num x;
        uint64_t u = 0;         /* what dst gets when to_int() refuses: 0, never stack garbage */
        HRESULT hr;

        if (from == vt)
                return VariantCopy(dst, src);
        /* an object converts through its value unless the caller forbids it */
        if (from == VT_DISPATCH && vt != VT_UNKNOWN && vt != VT_EMPTY && vt != VT_NULL) {
                VARIANT val;
                if (flags & VARIANT_NOVALUEPROP)
                        return DISP_E_TYPEMISMATCH;
                if (FAILED(hr = value_property(V_DISPATCH(src), lcid, &val)))
                        return hr;
                hr = V_VT(&val) == VT_DISPATCH ? DISP_E_TYPEMISMATCH
                                               : coerce(dst, &val, lcid, flags, vt);
                VariantClear(&val);
                return hr;
        }
        V_VT(dst) = vt;
        switch (vt) {
        case VT_EMPTY:
        case VT_NULL:
                if (from == VT_ERROR || (from == VT_NULL && vt == VT_EMPTY))
                        return DISP_E_TYPEMISMATCH;
                return S_OK;
        case VT_UNKNOWN:
                if (from != VT_DISPATCH)
                        return DISP_E_TYPEMISMATCH;
                V_UNKNOWN(dst) = NULL;
                if (!V_DISPATCH(src))
                        return S_OK;
                return V_DISPATCH(src)->lpVtbl->QueryInterface(V_DISPATCH(src), &IID_IUnknown,
                                                               (void **)&V_UNKNOWN(dst));
        case VT_DISPATCH:
                if (from != VT_UNKNOWN)
                        return DISP_E_TYPEMISMATCH;
                V_DISPATCH(dst) = NULL;
                if (!V_UNKNOWN(src))
                        return S_OK;
                return V_UNKNOWN(src)->lpVtbl->QueryInterface(V_UNKNOWN(src), &IID_IDispatch,
                                                              (void **)&V_DISPATCH(dst));
        case VT_BSTR:
                if (from == VT_BOOL && (flags & VARIANT_ALPHABOOL)) {
                        static const OLECHAR t[] = { 'T', 'r', 'u', 'e' };
                        static const OLECHAR f[] = { 'F', 'a', 'l', 's', 'e' };
                        V_BSTR(dst) = V_BOOL(src) ? SysAllocStringLen(t, 4) : SysAllocStringLen(f, 5);
                        return V_BSTR(dst) ? S_OK : E_OUTOFMEMORY;
                }
                return bstr_from_num(src, &V_BSTR(dst));
        case VT_BOOL:
                if (from == VT_BSTR)
                        return bool_from_str(V_BSTR(src), &V_BOOL(dst));
                if ((hr = num_from_variant(src, false, &x)) != S_OK)
                        return FAILED(hr) ? hr : DISP_E_TYPEMISMATCH;
                V_BOOL(dst) = (x.kind == N_REAL ? x.d != 0 : x.kind == N_INT ? x.i != 0 : x.u != 0)
                                      ? VARIANT_TRUE : VARIANT_FALSE;
                return S_OK;
        case VT_R4:
        case VT_R8:
                if (from == VT_BSTR ? FAILED(hr = num_from_str(V_BSTR(src), &x))
                                    : (hr = num_from_variant(src, false, &x)) != S_OK)
                        return FAILED(hr) ? hr : DISP_E_TYPEMISMATCH;
                if (vt == VT_R8) {
                        V_R8(dst) = to_real(&x);
                } else {
                        double d = to_real(&x);
                        if (fabs(d) > FLT_MAX && !isinf(d))
                                return DISP_E_OVERFLOW;
                        V_R4(dst) = (float)d;
                }
                return S_OK;
        case VT_CY:
        case VT_DECIMAL:
        case VT_DATE:
                return coerce_wide(dst, src, vt);
        case VT_I1: case VT_I2: case VT_I4: case VT_INT: case VT_I8:
        case VT_UI1: case VT_UI2: case VT_UI4: case VT_UINT: case VT_UI8:
                break;
        default:
                return DISP_E_TYPEMISMATCH;
        }
        /* the integers */
        if (from == VT_BSTR) {
                if (FAILED(hr = num_from_str(V_BSTR(src), &x)))
                        return hr;
        } else if ((hr = num_from_variant(src, true, &x)) != S_OK) {
                return FAILED(hr) ? hr : DISP_E_TYPEMISMATCH;
        }
        /* BOOL to UI1/UI2/UI4 keeps the bits of -1 (255, 65535, ...), as Windows does */
        if (from == VT_BOOL && vt != VT_UI8 && (vt == VT_UI1 || vt == VT_UI2 || vt == VT_UI4 ||
                                               vt == VT_UINT)) {
                if (vt == VT_UI1)
                        V_UI1(dst) = (BYTE)V_BOOL(src);
                else if (vt == VT_UI2)
                        V_UI2(dst) = (USHORT)V_BOOL(src);
                else
                        V_UI4(dst) = (ULONG)(LONG)V_BOOL(src);
                return S_OK;
        }
        switch (vt) {
        case VT_I1:
                hr = to_int(&x, INT8_MIN, INT8_MAX, &u);
                V_I1(dst) = (CHAR)(int8_t)u;
                break;
        case VT_I2:
                hr = to_int(&x, INT16_MIN, INT16_MAX, &u);
                V_I2(dst) = (SHORT)u;
                break;
        case VT_I4:
        case VT_INT:
                hr = to_int(&x, INT32_MIN, INT32_MAX, &u);
                V_I4(dst) = (LONG)u;
                break;
        case VT_I8:
                hr = to_int(&x, INT64_MIN, INT64_MAX, &u);
                V_I8(dst) = (LONGLONG)u;
                break;
        case VT_UI1:
                hr = to_int(&x, 0, UINT8_MAX, &u);
                V_UI1(dst) = (BYTE)u;
                break;
        case VT_UI2:
                hr = to_int(&x, 0, UINT16_MAX, &u);
                V_UI2(dst) = (USHORT)u;
                break;
        case VT_UI4:
        case VT_UINT:
                hr = to_int(&x, 0, UINT32_MAX, &u);
                V_UI4(dst) = (ULONG)u;
                break;
        default:
                hr = to_int(&x, 0, UINT64_MAX, &u);
                V_UI8(dst) = u;
                break;
        }
        return hr;
}

HRESULT VariantChangeTypeEx(VARIANTARG *pvargDest, const VARIANTARG *pvarSrc, LCID lcid,
                            USHORT wFlags, VARTYPE vt) {
        VARIANT src, out;
        HRESULT hr;

        if (!pvargDest || !pvarSrc)
                return E_INVALIDARG;
        if (FAILED(hr = check_vt(V_VT(pvarSrc))))
                return hr;
        if (vt & VT_BYREF)
                return DISP_E_TYPEMISMATCH;
        /* a VARIANT is a type, but nothing converts to one; a record only from a record */
        if (vt == VT_VARIANT)
                return DISP_E_TYPEMISMATCH;
        if ((vt == VT_RECORD) != ((V_VT(pvarSrc) & ~VT_BYREF) == VT_RECORD))
                return DISP_E_TYPEMISMATCH;
        if (vt == VT_RECORD) {
                /* the same record type: a copy (the source says which type that is) */
                V_VT(&out) = VT_EMPTY;
                if (FAILED(hr = VariantCopyInd(&out, pvarSrc)))
                        return hr;
                if (FAILED(hr = VariantClear(pvargDest))) {
                        VariantClear(&out);
                        return hr;
                }
                *pvargDest = out;
                return S_OK;
        }
        if (FAILED(hr = check_vt(vt)))
                return DISP_E_BADVARTYPE;
        /* an array converts only to its own type (a copy) */
        if (((V_VT(pvarSrc) & ~VT_BYREF) != vt) && ((V_VT(pvarSrc) | vt) & VT_ARRAY))
                return DISP_E_TYPEMISMATCH;
        /* a private by-value copy: the source may be a reference, or the destination */
        V_VT(&src) = VT_EMPTY;
        if (FAILED(hr = VariantCopyInd(&src, pvarSrc)))
                return hr;
        V_VT(&out) = VT_EMPTY;
        hr = coerce(&out, &src, lcid, wFlags, vt);
        VariantClear(&src);
        if (FAILED(hr))
                return hr;
        if (FAILED(hr = VariantClear(pvargDest))) {
                VariantClear(&out);
                return hr;
        }
        *pvargDest = out;
        return S_OK;
}

HRESULT VariantChangeType(VARIANTARG *pvargDest, const VARIANTARG *pvarSrc, USHORT wFlags,
                          VARTYPE vt) {
        return VariantChangeTypeEx(pvargDest, pvarSrc, LOCALE_USER_DEFAULT, wFlags, vt);
}
