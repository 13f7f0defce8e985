/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Var<To>From<From> conversions of <oleauto.h> between the integers, R4, R8, BOOL,
 * DATE, CY, DECIMAL and strings that vartype.c does not have itself: each is
 * VariantChangeTypeEx from one type to the other, so the rules -- rounding half to even,
 * DISP_E_OVERFLOW outside the target's range, DISP_E_TYPEMISMATCH for a string that is
 * no number, "True"/"False" with VARIANT_ALPHABOOL, VARIANT_LOCALBOOL -- are the same
 * as a VARIANT's.  A From-string conversion takes dwFlags and lcid as the coercion's
 * (the invariant rules whatever the locale, as VariantChangeTypeEx); NULL is
 * DISP_E_TYPEMISMATCH; a NULL output E_INVALIDARG.  A To-string conversion's BSTR is the
 * caller's (SysFreeString).
 */
#include <string.h>

#include <oleauto.h>
#include <dcom/utf16.h>

/* src converted to vt, with these functions' VAR_* and LOCALE_* flags as the coercion's
   VARIANT_* ones (the others mean nothing to it); *d then holds the value (a BSTR the
   caller takes) */
static HRESULT change(const VARIANT *src, LCID lcid, ULONG flags, VARTYPE vt, VARIANT *d) {
        USHORT f = 0;

        if (flags & VAR_LOCALBOOL)
                f |= VARIANT_LOCALBOOL;
        if (flags & VAR_CALENDAR_HIJRI)
                f |= VARIANT_CALENDAR_HIJRI;
        if (flags & VAR_CALENDAR_THAI)
                f |= VARIANT_CALENDAR_THAI;
        if (flags & VAR_CALENDAR_GREGORIAN)
                f |= VARIANT_CALENDAR_GREGORIAN;
        if (flags & LOCALE_NOUSEROVERRIDE)
                f |= VARIANT_NOUSEROVERRIDE;
        /* a string to a BOOL: "True" and "False" as well as numbers (VarBoolFromStr) */
        if (vt == VT_BOOL && V_VT(src) == VT_BSTR)
                f |= VARIANT_ALPHABOOL;
        VariantInit(d);
        return VariantChangeTypeEx(d, src, lcid, f, vt);
}

#define FROM_VALUE(TN, TC, TVT, TACC, SN, SC, SVT, SACC)                                       \
        HRESULT Var##TN##From##SN(SC vIn, TC *pOut) {                                           \
                VARIANT s, d;                                                                   \
                HRESULT hr;                                                                     \
                if (!pOut)                                                                      \
                        return E_INVALIDARG;                                                    \
                V_VT(&s) = SVT;                                                                 \
                SACC(&s) = vIn;                                                                 \
                if (SUCCEEDED(hr = change(&s, LOCALE_USER_DEFAULT, 0, TVT, &d)))                \
                        *pOut = TACC(&d);                                                       \
                return hr;                                                                      \
        }

#define FROM_DEC(TN, TC, TVT, TACC)                                                             \
        HRESULT Var##TN##FromDec(const DECIMAL *pdecIn, TC *pOut) {                             \
                VARIANT s, d;                                                                   \
                HRESULT hr;                                                                     \
                if (!pOut || !pdecIn)                                                           \
                        return E_INVALIDARG;                                                    \
                V_DECIMAL(&s) = *pdecIn;                                                        \
                V_VT(&s) = VT_DECIMAL;  /* after: the DECIMAL overlays vt */                    \
                if (SUCCEEDED(hr = change(&s, LOCALE_USER_DEFAULT, 0, TVT, &d)))                \
                        *pOut = TACC(&d);                                                       \
                return hr;                                                                      \
        }

#define FROM_STR(TN, TC, TVT, TACC)                                                             \
        HRESULT Var##TN##FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, TC *pOut) {    \
                VARIANT s, d;                                                                   \
                HRESULT hr;                                                                     \
                if (!pOut)                                                                      \
                        return E_INVALIDARG;                                                    \
                if (!strIn)                                                                     \
                        return DISP_E_TYPEMISMATCH;                                             \
                V_VT(&s) = VT_BSTR;                                                             \
                if (!(V_BSTR(&s) = SysAllocString(strIn)))                                      \
                        return E_OUTOFMEMORY;                                                   \
                hr = change(&s, lcid, dwFlags, TVT, &d);                                        \
                SysFreeString(V_BSTR(&s));                                                      \
                if (SUCCEEDED(hr))                                                              \
                        *pOut = TACC(&d);                                                       \
                return hr;                                                                      \
        }

#define TO_BSTR(SN, SC, SVT, SACC)                                                              \
        HRESULT VarBstrFrom##SN(SC vIn, LCID lcid, ULONG dwFlags, BSTR *pOut) {                 \
                VARIANT s, d;                                                                   \
                HRESULT hr;                                                                     \
                if (!pOut)                                                                      \
                        return E_INVALIDARG;                                                    \
                V_VT(&s) = SVT;                                                                 \
                SACC(&s) = vIn;                                                                 \
                if (SUCCEEDED(hr = change(&s, lcid, dwFlags, VT_BSTR, &d)))                     \
                        *pOut = V_BSTR(&d);                                                     \
                return hr;                                                                      \
        }

FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, I4, LONG, VT_I4, V_I4)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, R8, double, VT_R8, V_R8)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(UI1, BYTE, VT_UI1, V_UI1, Cy, CY, VT_CY, V_CY)
FROM_DEC(UI1, BYTE, VT_UI1, V_UI1)
FROM_STR(UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, I4, LONG, VT_I4, V_I4)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, R8, double, VT_R8, V_R8)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(I1, CHAR, VT_I1, V_I1, Cy, CY, VT_CY, V_CY)
FROM_DEC(I1, CHAR, VT_I1, V_I1)
FROM_STR(I1, CHAR, VT_I1, V_I1)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, I4, LONG, VT_I4, V_I4)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, R8, double, VT_R8, V_R8)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(I2, SHORT, VT_I2, V_I2, Cy, CY, VT_CY, V_CY)
FROM_DEC(I2, SHORT, VT_I2, V_I2)
FROM_STR(I2, SHORT, VT_I2, V_I2)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, I4, LONG, VT_I4, V_I4)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, R8, double, VT_R8, V_R8)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(UI2, USHORT, VT_UI2, V_UI2, Cy, CY, VT_CY, V_CY)
FROM_DEC(UI2, USHORT, VT_UI2, V_UI2)
FROM_STR(UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(I4, LONG, VT_I4, V_I4, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(I4, LONG, VT_I4, V_I4, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(I4, LONG, VT_I4, V_I4, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(I4, LONG, VT_I4, V_I4, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(I4, LONG, VT_I4, V_I4, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(I4, LONG, VT_I4, V_I4, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(I4, LONG, VT_I4, V_I4, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(I4, LONG, VT_I4, V_I4, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(I4, LONG, VT_I4, V_I4, R8, double, VT_R8, V_R8)
FROM_VALUE(I4, LONG, VT_I4, V_I4, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(I4, LONG, VT_I4, V_I4, Date, DATE, VT_DATE, V_DATE)
FROM_STR(I4, LONG, VT_I4, V_I4)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, I4, LONG, VT_I4, V_I4)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, R8, double, VT_R8, V_R8)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(UI4, ULONG, VT_UI4, V_UI4, Cy, CY, VT_CY, V_CY)
FROM_DEC(UI4, ULONG, VT_UI4, V_UI4)
FROM_STR(UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, I4, LONG, VT_I4, V_I4)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, R8, double, VT_R8, V_R8)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(I8, LONG64, VT_I8, V_I8, Date, DATE, VT_DATE, V_DATE)
FROM_STR(I8, LONG64, VT_I8, V_I8)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, I4, LONG, VT_I4, V_I4)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, R8, double, VT_R8, V_R8)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(UI8, ULONG64, VT_UI8, V_UI8, Cy, CY, VT_CY, V_CY)
FROM_DEC(UI8, ULONG64, VT_UI8, V_UI8)
FROM_STR(UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, I4, LONG, VT_I4, V_I4)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, R8, double, VT_R8, V_R8)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_VALUE(R4, FLOAT, VT_R4, V_R4, Date, DATE, VT_DATE, V_DATE)
FROM_DEC(R4, FLOAT, VT_R4, V_R4)
FROM_STR(R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(R8, double, VT_R8, V_R8, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(R8, double, VT_R8, V_R8, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(R8, double, VT_R8, V_R8, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(R8, double, VT_R8, V_R8, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(R8, double, VT_R8, V_R8, I4, LONG, VT_I4, V_I4)
FROM_VALUE(R8, double, VT_R8, V_R8, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(R8, double, VT_R8, V_R8, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(R8, double, VT_R8, V_R8, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(R8, double, VT_R8, V_R8, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(R8, double, VT_R8, V_R8, Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_STR(R8, double, VT_R8, V_R8)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, I4, LONG, VT_I4, V_I4)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, I8, LONG64, VT_I8, V_I8)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, UI8, ULONG64, VT_UI8, V_UI8)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, R4, FLOAT, VT_R4, V_R4)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, R8, double, VT_R8, V_R8)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, Date, DATE, VT_DATE, V_DATE)
FROM_VALUE(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL, Cy, CY, VT_CY, V_CY)
FROM_DEC(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_STR(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
TO_BSTR(UI1, BYTE, VT_UI1, V_UI1)
TO_BSTR(I1, CHAR, VT_I1, V_I1)
TO_BSTR(I2, SHORT, VT_I2, V_I2)
TO_BSTR(UI2, USHORT, VT_UI2, V_UI2)
TO_BSTR(I4, LONG, VT_I4, V_I4)
TO_BSTR(UI4, ULONG, VT_UI4, V_UI4)
TO_BSTR(I8, LONG64, VT_I8, V_I8)
TO_BSTR(UI8, ULONG64, VT_UI8, V_UI8)
TO_BSTR(R4, FLOAT, VT_R4, V_R4)
TO_BSTR(R8, double, VT_R8, V_R8)
FROM_VALUE(Date, DATE, VT_DATE, V_DATE, UI1, BYTE, VT_UI1, V_UI1)
FROM_VALUE(Date, DATE, VT_DATE, V_DATE, I1, CHAR, VT_I1, V_I1)
FROM_VALUE(Date, DATE, VT_DATE, V_DATE, I2, SHORT, VT_I2, V_I2)
FROM_VALUE(Date, DATE, VT_DATE, V_DATE, UI2, USHORT, VT_UI2, V_UI2)
FROM_VALUE(Date, DATE, VT_DATE, V_DATE, UI4, ULONG, VT_UI4, V_UI4)
FROM_VALUE(Date, DATE, VT_DATE, V_DATE, UI8, ULONG64, VT_UI8, V_UI8)

/* Not VARIANT's "-1"/"0": "True" or "False", whatever the flags (VAR_LOCALBOOL's words
   are these in every locale here) */
HRESULT VarBstrFromBool(VARIANT_BOOL vIn, LCID lcid, ULONG dwFlags, BSTR *pOut) {
        static const OLECHAR t[] = { 'T', 'r', 'u', 'e', 0 }, f[] = { 'F', 'a', 'l', 's', 'e', 0 };

        (void)lcid;
        (void)dwFlags;
        if (!pOut)
                return E_INVALIDARG;
        *pOut = SysAllocString(vIn ? t : f);
        return *pOut ? S_OK : E_OUTOFMEMORY;
}

HRESULT VarBstrCat(BSTR bstrLeft, BSTR bstrRight, BSTR *pbstrResult) {
        UINT l = SysStringByteLen(bstrLeft), r = SysStringByteLen(bstrRight);
        BSTR out;

        if (!pbstrResult)
                return E_INVALIDARG;
        *pbstrResult = NULL;
        if (l > 0x7ffffff0u - r)
                return E_OUTOFMEMORY;
        /* (SysAllocStringByteLen ends the bytes with a NUL character) */
        if (!(out = SysAllocStringByteLen(NULL, l + r)))
                return E_OUTOFMEMORY;
        if (l)
                memcpy(out, bstrLeft, l);
        if (r)
                memcpy((char *)out + l, bstrRight, r);
        *pbstrResult = out;
        return S_OK;
}

HRESULT VarBstrCmp(BSTR bstrLeft, BSTR bstrRight, LCID lcid, ULONG dwFlags) {
        UINT l = SysStringLen(bstrLeft), r = SysStringLen(bstrRight), n = l < r ? l : r;
        int tie = 0;

        for (UINT i = 0; i < n; i++) {
                OLECHAR a = bstrLeft[i], b = bstrRight[i];
                if (a == b)
                        continue;
                if (!lcid)              /* binary */
                        return a < b ? VARCMP_LT : VARCMP_GT;
                /* a unit's case folded with the Unicode table the registry uses ("é"
                   and "É" differ only by case), not only ASCII's */
                OLECHAR ua = dcom_utf16_toupper(a), ub = dcom_utf16_toupper(b);
                if (ua != ub)
                        return ua < ub ? VARCMP_LT : VARCMP_GT;
                /* only case differs: lower before upper, decided if nothing else is */
                if (!tie && !(dwFlags & NORM_IGNORECASE))
                        tie = ua != a ? -1 : 1; /* a is the lower case one: less */
        }
        if (l != r)
                return l < r ? VARCMP_LT : VARCMP_GT;
        return tie < 0 ? VARCMP_LT : tie > 0 ? VARCMP_GT : VARCMP_EQ;
}

/*
 * Var<To>FromDisp: an object's value -- its DISPID_VALUE property, got with
 * IDispatch::Invoke in lcid -- converted as VariantChangeTypeEx does; a NULL object, or one
 * whose value is itself an object, is DISP_E_TYPEMISMATCH; the Invoke's failure is the
 * result.
 */
#define FROM_DISP(TN, TC, TVT, TACC)                                                            \
        HRESULT Var##TN##FromDisp(IDispatch *pdispIn, LCID lcid, TC *pOut) {                    \
                VARIANT s, d;                                                                   \
                HRESULT hr;                                                                     \
                if (!pOut)                                                                      \
                        return E_INVALIDARG;                                                    \
                V_VT(&s) = VT_DISPATCH;                                                         \
                V_DISPATCH(&s) = pdispIn;                                                       \
                if (SUCCEEDED(hr = change(&s, lcid, 0, TVT, &d)))                               \
                        *pOut = TACC(&d);                                                       \
                return hr;                                                                      \
        }

FROM_DISP(UI1, BYTE, VT_UI1, V_UI1)
FROM_DISP(I1, CHAR, VT_I1, V_I1)
FROM_DISP(I2, SHORT, VT_I2, V_I2)
FROM_DISP(UI2, USHORT, VT_UI2, V_UI2)
FROM_DISP(I4, LONG, VT_I4, V_I4)
FROM_DISP(UI4, ULONG, VT_UI4, V_UI4)
FROM_DISP(I8, LONG64, VT_I8, V_I8)
FROM_DISP(UI8, ULONG64, VT_UI8, V_UI8)
FROM_DISP(R4, FLOAT, VT_R4, V_R4)
FROM_DISP(R8, double, VT_R8, V_R8)
FROM_DISP(Date, DATE, VT_DATE, V_DATE)
FROM_DISP(Cy, CY, VT_CY, V_CY)
FROM_DISP(Bool, VARIANT_BOOL, VT_BOOL, V_BOOL)
FROM_DISP(Dec, DECIMAL, VT_DECIMAL, V_DECIMAL)
TO_BSTR(Disp, IDispatch *, VT_DISPATCH, V_DISPATCH)
