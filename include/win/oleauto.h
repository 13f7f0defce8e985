/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <oleauto.h> as Windows automation code expects it: the BSTR and VARIANT API of
 * OLE Automation (oleaut32 on Windows; libdcom here, src/oleaut) over the types of
 * <oaidl.h>, the V_* accessors and VariantChangeType's flags.  <objbase.h> includes it.
 */
#ifndef DCOM_WIN_OLEAUTO_H
#define DCOM_WIN_OLEAUTO_H

#include <windows.h>
#include <oaidl.h>

#ifndef WINOLEAUTAPI
#define WINOLEAUTAPI DCOM_EXPORT HRESULT STDAPICALLTYPE
#define WINOLEAUTAPI_(type) DCOM_EXPORT type STDAPICALLTYPE
#endif

/* VariantChangeType(Ex) flags */
#define VARIANT_NOVALUEPROP 0x01
#define VARIANT_ALPHABOOL 0x02
#define VARIANT_NOUSEROVERRIDE 0x04
#define VARIANT_CALENDAR_HIJRI 0x08
#define VARIANT_LOCALBOOL 0x10
#define VARIANT_CALENDAR_THAI 0x20
#define VARIANT_CALENDAR_GREGORIAN 0x40
#define VARIANT_USE_NLS 0x80

/* The locales callers pass as lcid; coercions use the invariant rules whatever it is. */
#ifndef LOCALE_SYSTEM_DEFAULT
#define LOCALE_SYSTEM_DEFAULT 0x0800
#define LOCALE_USER_DEFAULT 0x0400
#define LOCALE_NEUTRAL 0x0000
#define LOCALE_INVARIANT 0x007f
#endif

/* The VARIANT accessors (the nameless unions of <oaidl.h> make them plain members). */
#define V_VT(X) ((X)->vt)
#define V_ISBYREF(X) (V_VT(X) & VT_BYREF)
#define V_ISARRAY(X) (V_VT(X) & VT_ARRAY)
#define V_ISVECTOR(X) (V_VT(X) & VT_VECTOR)
#define V_NONE(X) V_I2(X)
#define V_UI1(X) ((X)->bVal)
#define V_UI1REF(X) ((X)->pbVal)
#define V_I1(X) ((X)->cVal)
#define V_I1REF(X) ((X)->pcVal)
#define V_I2(X) ((X)->iVal)
#define V_I2REF(X) ((X)->piVal)
#define V_UI2(X) ((X)->uiVal)
#define V_UI2REF(X) ((X)->puiVal)
#define V_I4(X) ((X)->lVal)
#define V_I4REF(X) ((X)->plVal)
#define V_UI4(X) ((X)->ulVal)
#define V_UI4REF(X) ((X)->pulVal)
#define V_I8(X) ((X)->llVal)
#define V_I8REF(X) ((X)->pllVal)
#define V_UI8(X) ((X)->ullVal)
#define V_UI8REF(X) ((X)->pullVal)
#define V_INT(X) ((X)->intVal)
#define V_INTREF(X) ((X)->pintVal)
#define V_UINT(X) ((X)->uintVal)
#define V_UINTREF(X) ((X)->puintVal)
#define V_R4(X) ((X)->fltVal)
#define V_R4REF(X) ((X)->pfltVal)
#define V_R8(X) ((X)->dblVal)
#define V_R8REF(X) ((X)->pdblVal)
#define V_CY(X) ((X)->cyVal)
#define V_CYREF(X) ((X)->pcyVal)
#define V_DATE(X) ((X)->date)
#define V_DATEREF(X) ((X)->pdate)
#define V_BSTR(X) ((X)->bstrVal)
#define V_BSTRREF(X) ((X)->pbstrVal)
#define V_DISPATCH(X) ((X)->pdispVal)
#define V_DISPATCHREF(X) ((X)->ppdispVal)
#define V_ERROR(X) ((X)->scode)
#define V_ERRORREF(X) ((X)->pscode)
#define V_BOOL(X) ((X)->boolVal)
#define V_BOOLREF(X) ((X)->pboolVal)
#define V_UNKNOWN(X) ((X)->punkVal)
#define V_UNKNOWNREF(X) ((X)->ppunkVal)
#define V_VARIANTREF(X) ((X)->pvarVal)
#define V_ARRAY(X) ((X)->parray)
#define V_ARRAYREF(X) ((X)->pparray)
#define V_BYREF(X) ((X)->byref)
#define V_DECIMAL(X) ((X)->decVal)
#define V_DECIMALREF(X) ((X)->pdecVal)
#define V_RECORD(X) ((X)->pvRecord)
#define V_RECORDINFO(X) ((X)->pRecInfo)

#ifdef __cplusplus
extern "C" {
#endif

/*
 * BSTR: a UTF-16 string whose byte length sits in the 4 bytes before it, with a NUL
 * after it that the length does not count; it may hold NULs.  A NULL BSTR is the empty
 * string to every function here.  The Sys* functions allocate and free them.
 */
WINOLEAUTAPI_(BSTR) SysAllocString(const OLECHAR *psz);
WINOLEAUTAPI_(BSTR) SysAllocStringLen(const OLECHAR *str, UINT cch);
WINOLEAUTAPI_(BSTR) SysAllocStringByteLen(LPCSTR psz, UINT len);
WINOLEAUTAPI_(INT) SysReAllocString(BSTR *pbstr, const OLECHAR *psz);
WINOLEAUTAPI_(INT) SysReAllocStringLen(BSTR *pbstr, const OLECHAR *psz, UINT len);
WINOLEAUTAPI_(void) SysFreeString(BSTR bstrString);
WINOLEAUTAPI_(UINT) SysStringLen(BSTR pbstr);
WINOLEAUTAPI_(UINT) SysStringByteLen(BSTR bstr);

/*
 * VARIANT: VariantClear frees what a VARIANT owns (a BSTR, a reference to an interface;
 * not what a VT_BYREF one points at) and leaves VT_EMPTY; VariantCopy makes a deep copy,
 * VariantCopyInd one with the VT_BYREF indirection followed; VariantChangeType(Ex)
 * coerces with Windows' rules (DISP_E_TYPEMISMATCH, DISP_E_OVERFLOW, DISP_E_BADVARTYPE),
 * numbers and strings in the invariant locale whatever lcid says.
 */
WINOLEAUTAPI_(void) VariantInit(VARIANTARG *pvarg);
WINOLEAUTAPI VariantClear(VARIANTARG *pvarg);
WINOLEAUTAPI VariantCopy(VARIANTARG *pvargDest, const VARIANTARG *pvargSrc);
WINOLEAUTAPI VariantCopyInd(VARIANT *pvarDest, const VARIANTARG *pvargSrc);
WINOLEAUTAPI VariantChangeType(VARIANTARG *pvargDest, const VARIANTARG *pvarSrc, USHORT wFlags,
                               VARTYPE vt);
WINOLEAUTAPI VariantChangeTypeEx(VARIANTARG *pvargDest, const VARIANTARG *pvarSrc, LCID lcid,
                                 USHORT wFlags, VARTYPE vt);

/*
 * CY, DECIMAL and DATE (src/oleaut/vartype.c), as Windows converts them:
 * CY ([MS-OAUT] 2.2.24) counts ten-thousandths in 64 bits -- from a double d * 10000
 * rounded half to even, to an integer rounded half to even; DECIMAL ([MS-OAUT] 2.2.26)
 * is a 96-bit magnitude, a scale 0-28 and a sign byte 0/DECIMAL_NEG (others are
 * E_INVALIDARG) -- from R8 with 15 significant digits, from R4 with 7; DATE ([MS-OAUT]
 * 2.2.25) counts days from 1899-12-30 with the time of day as the fraction (forward
 * from midnight for negative dates too: -1.25 is 1899-12-29 06:00), valid from
 * 100-01-01 (-657434) to 9999-12-31.  A value outside the target's range is
 * DISP_E_OVERFLOW.  Strings: the invariant number format; dates in the US English form
 * ("1/2/2000 3:04:05 PM", "12:00:00 AM" for 0; VarDateFromStr also reads ISO
 * "2000-01-02", a time alone, and English month names or their abbreviations:
 * "5 December 2026", "Dec 5, 2026 10:00 AM"), whatever lcid says.
 */
#ifndef DCOM_SYSTEMTIME_DEFINED
#define DCOM_SYSTEMTIME_DEFINED
typedef struct _SYSTEMTIME {
        WORD wYear;
        WORD wMonth;
        WORD wDayOfWeek;
        WORD wDay;
        WORD wHour;
        WORD wMinute;
        WORD wSecond;
        WORD wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;
#endif

WINOLEAUTAPI VarCyFromUI1(BYTE bIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromI1(CHAR cIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromI2(SHORT sIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromUI2(USHORT usIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromI4(LONG lIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromUI4(ULONG ulIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromI8(LONG64 llIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromUI8(ULONG64 ullIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromR4(FLOAT fltIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromR8(double dblIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromDate(DATE dateIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromBool(VARIANT_BOOL boolIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromDec(const DECIMAL *pdecIn, CY *pCyOut);
WINOLEAUTAPI VarCyFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, CY *pCyOut);
WINOLEAUTAPI VarR4FromCy(CY cyIn, FLOAT *pFltOut);
WINOLEAUTAPI VarR8FromCy(CY cyIn, double *pDblOut);
WINOLEAUTAPI VarI4FromCy(CY cyIn, LONG *plOut);
WINOLEAUTAPI VarI8FromCy(CY cyIn, LONG64 *pi64Out);
WINOLEAUTAPI VarBstrFromCy(CY cyIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);

WINOLEAUTAPI VarDecFromUI1(BYTE bIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromI1(CHAR cIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromI2(SHORT sIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromUI2(USHORT usIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromI4(LONG lIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromUI4(ULONG ulIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromI8(LONG64 llIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromUI8(ULONG64 ullIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromR4(FLOAT fltIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromR8(double dblIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromDate(DATE dateIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromBool(VARIANT_BOOL bIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromCy(CY cyIn, DECIMAL *pDecOut);
WINOLEAUTAPI VarDecFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, DECIMAL *pDecOut);
WINOLEAUTAPI VarR8FromDec(const DECIMAL *pDecIn, double *pDblOut);
WINOLEAUTAPI VarI4FromDec(const DECIMAL *pdecIn, LONG *plOut);
WINOLEAUTAPI VarI8FromDec(const DECIMAL *pdecIn, LONG64 *pi64Out);
WINOLEAUTAPI VarBstrFromDec(const DECIMAL *pDecIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);

WINOLEAUTAPI VarDateFromI4(LONG lIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromI8(LONG64 llIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromR4(FLOAT fltIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromR8(double dblIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromBool(VARIANT_BOOL boolIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromCy(CY cyIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromDec(const DECIMAL *pdecIn, DATE *pdateOut);
WINOLEAUTAPI VarDateFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, DATE *pdateOut);
WINOLEAUTAPI VarR8FromDate(DATE dateIn, double *pdblOut);
WINOLEAUTAPI VarBstrFromDate(DATE dateIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);
/* TRUE/FALSE; the milliseconds are ignored one way and 0 the other (Windows) */
WINOLEAUTAPI_(INT) SystemTimeToVariantTime(LPSYSTEMTIME lpSystemTime, double *pvtime);
WINOLEAUTAPI_(INT) VariantTimeToSystemTime(double vtime, LPSYSTEMTIME lpSystemTime);

/*
 * The other conversions between the integers, R4, R8, BOOL, DATE, CY, DECIMAL and
 * strings (src/oleaut/varconv.c): each is VariantChangeTypeEx's, with its rules and
 * errors (DISP_E_OVERFLOW, DISP_E_TYPEMISMATCH); a From-string one takes the coercion's
 * lcid and flags (VARIANT_ALPHABOOL, VARIANT_LOCALBOOL...), a To-string one gives a BSTR
 * the caller frees.
 */
WINOLEAUTAPI VarUI1FromI1(CHAR vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromI2(SHORT vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromUI2(USHORT vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromI4(LONG vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromUI4(ULONG vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromI8(LONG64 vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromUI8(ULONG64 vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromR4(FLOAT vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromR8(double vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromBool(VARIANT_BOOL vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromDate(DATE vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromCy(CY vIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromDec(const DECIMAL *pdecIn, BYTE *pOut);
WINOLEAUTAPI VarUI1FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, BYTE *pOut);
WINOLEAUTAPI VarI1FromUI1(BYTE vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromI2(SHORT vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromUI2(USHORT vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromI4(LONG vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromUI4(ULONG vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromI8(LONG64 vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromUI8(ULONG64 vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromR4(FLOAT vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromR8(double vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromBool(VARIANT_BOOL vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromDate(DATE vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromCy(CY vIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromDec(const DECIMAL *pdecIn, CHAR *pOut);
WINOLEAUTAPI VarI1FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, CHAR *pOut);
WINOLEAUTAPI VarI2FromUI1(BYTE vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromI1(CHAR vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromUI2(USHORT vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromI4(LONG vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromUI4(ULONG vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromI8(LONG64 vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromUI8(ULONG64 vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromR4(FLOAT vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromR8(double vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromBool(VARIANT_BOOL vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromDate(DATE vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromCy(CY vIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromDec(const DECIMAL *pdecIn, SHORT *pOut);
WINOLEAUTAPI VarI2FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, SHORT *pOut);
WINOLEAUTAPI VarUI2FromUI1(BYTE vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromI1(CHAR vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromI2(SHORT vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromI4(LONG vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromUI4(ULONG vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromI8(LONG64 vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromUI8(ULONG64 vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromR4(FLOAT vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromR8(double vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromBool(VARIANT_BOOL vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromDate(DATE vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromCy(CY vIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromDec(const DECIMAL *pdecIn, USHORT *pOut);
WINOLEAUTAPI VarUI2FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, USHORT *pOut);
WINOLEAUTAPI VarI4FromUI1(BYTE vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromI1(CHAR vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromI2(SHORT vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromUI2(USHORT vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromUI4(ULONG vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromI8(LONG64 vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromUI8(ULONG64 vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromR4(FLOAT vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromR8(double vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromBool(VARIANT_BOOL vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromDate(DATE vIn, LONG *pOut);
WINOLEAUTAPI VarI4FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, LONG *pOut);
WINOLEAUTAPI VarUI4FromUI1(BYTE vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromI1(CHAR vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromI2(SHORT vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromUI2(USHORT vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromI4(LONG vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromI8(LONG64 vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromUI8(ULONG64 vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromR4(FLOAT vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromR8(double vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromBool(VARIANT_BOOL vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromDate(DATE vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromCy(CY vIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromDec(const DECIMAL *pdecIn, ULONG *pOut);
WINOLEAUTAPI VarUI4FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, ULONG *pOut);
WINOLEAUTAPI VarI8FromUI1(BYTE vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromI1(CHAR vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromI2(SHORT vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromUI2(USHORT vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromI4(LONG vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromUI4(ULONG vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromUI8(ULONG64 vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromR4(FLOAT vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromR8(double vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromBool(VARIANT_BOOL vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromDate(DATE vIn, LONG64 *pOut);
WINOLEAUTAPI VarI8FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, LONG64 *pOut);
WINOLEAUTAPI VarUI8FromUI1(BYTE vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromI1(CHAR vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromI2(SHORT vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromUI2(USHORT vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromI4(LONG vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromUI4(ULONG vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromI8(LONG64 vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromR4(FLOAT vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromR8(double vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromBool(VARIANT_BOOL vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromDate(DATE vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromCy(CY vIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromDec(const DECIMAL *pdecIn, ULONG64 *pOut);
WINOLEAUTAPI VarUI8FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, ULONG64 *pOut);
WINOLEAUTAPI VarR4FromUI1(BYTE vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromI1(CHAR vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromI2(SHORT vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromUI2(USHORT vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromI4(LONG vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromUI4(ULONG vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromI8(LONG64 vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromUI8(ULONG64 vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromR8(double vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromBool(VARIANT_BOOL vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromDate(DATE vIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromDec(const DECIMAL *pdecIn, FLOAT *pOut);
WINOLEAUTAPI VarR4FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, FLOAT *pOut);
WINOLEAUTAPI VarR8FromUI1(BYTE vIn, double *pOut);
WINOLEAUTAPI VarR8FromI1(CHAR vIn, double *pOut);
WINOLEAUTAPI VarR8FromI2(SHORT vIn, double *pOut);
WINOLEAUTAPI VarR8FromUI2(USHORT vIn, double *pOut);
WINOLEAUTAPI VarR8FromI4(LONG vIn, double *pOut);
WINOLEAUTAPI VarR8FromUI4(ULONG vIn, double *pOut);
WINOLEAUTAPI VarR8FromI8(LONG64 vIn, double *pOut);
WINOLEAUTAPI VarR8FromUI8(ULONG64 vIn, double *pOut);
WINOLEAUTAPI VarR8FromR4(FLOAT vIn, double *pOut);
WINOLEAUTAPI VarR8FromBool(VARIANT_BOOL vIn, double *pOut);
WINOLEAUTAPI VarR8FromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, double *pOut);
WINOLEAUTAPI VarBoolFromUI1(BYTE vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromI1(CHAR vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromI2(SHORT vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromUI2(USHORT vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromI4(LONG vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromUI4(ULONG vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromI8(LONG64 vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromUI8(ULONG64 vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromR4(FLOAT vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromR8(double vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromDate(DATE vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromCy(CY vIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromDec(const DECIMAL *pdecIn, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBoolFromStr(const OLECHAR *strIn, LCID lcid, ULONG dwFlags, VARIANT_BOOL *pOut);
WINOLEAUTAPI VarBstrFromUI1(BYTE vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromI1(CHAR vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromI2(SHORT vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromUI2(USHORT vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromI4(LONG vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromUI4(ULONG vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromI8(LONG64 vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromUI8(ULONG64 vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromR4(FLOAT vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromR8(double vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarBstrFromBool(VARIANT_BOOL vIn, LCID lcid, ULONG dwFlags, BSTR *pOut);
WINOLEAUTAPI VarDateFromUI1(BYTE vIn, DATE *pOut);
WINOLEAUTAPI VarDateFromI1(CHAR vIn, DATE *pOut);
WINOLEAUTAPI VarDateFromI2(SHORT vIn, DATE *pOut);
WINOLEAUTAPI VarDateFromUI2(USHORT vIn, DATE *pOut);
WINOLEAUTAPI VarDateFromUI4(ULONG vIn, DATE *pOut);
WINOLEAUTAPI VarDateFromUI8(ULONG64 vIn, DATE *pOut);

/* The flags of the Var<To>From<From> functions (VarBstrFromBool: "True"/"False", and
   the localized words with VAR_LOCALBOOL -- English here, as every locale is). */
#ifndef VAR_TIMEVALUEONLY
#define VAR_TIMEVALUEONLY 0x001
#define VAR_DATEVALUEONLY 0x002
#define VAR_VALIDDATE 0x004
#define VAR_CALENDAR_HIJRI 0x008
#define VAR_LOCALBOOL 0x010
#define VAR_FORMAT_NOSUBSTITUTE 0x020
#define VAR_FOURDIGITYEARS 0x040
#define VAR_CALENDAR_THAI 0x080
#define VAR_CALENDAR_GREGORIAN 0x100
#endif
#ifndef LOCALE_NOUSEROVERRIDE
#define LOCALE_NOUSEROVERRIDE 0x80000000
#endif

/* Two BSTRs joined (NULL is the empty string; their bytes, an odd one kept), and
   compared: VARCMP_LT, _EQ or _GT.  With lcid 0 by UTF-16 code unit (binary), else as
   a collation would -- letters by their upper case first, then lower before upper --
   and NORM_IGNORECASE leaves case out; case is ASCII's, whatever the locale. */
#ifndef VARCMP_LT
#define VARCMP_LT 0
#define VARCMP_EQ 1
#define VARCMP_GT 2
#define VARCMP_NULL 3
#endif
#ifndef NORM_IGNORECASE
#define NORM_IGNORECASE 0x00000001
#endif
WINOLEAUTAPI VarBstrCat(BSTR bstrLeft, BSTR bstrRight, BSTR *pbstrResult);
WINOLEAUTAPI VarBstrCmp(BSTR bstrLeft, BSTR bstrRight, LCID lcid, ULONG dwFlags);

/*
 * SAFEARRAY ([MS-OAUT] 2.2.30): a descriptor (cDims bounds, kept last dimension first)
 * and its data.  Arrays of BSTR, VARIANT, IUnknown* and IDispatch* own their elements:
 * SafeArrayDestroy(Data) frees them, SafeArrayCopy/CopyData copy them deeply, and
 * Get/PutElement copy one (PutElement takes the BSTR or interface pointer itself, a
 * pointer to the value otherwise).  A locked array (SafeArrayLock, AccessData) is not
 * destroyed or resized: DISP_E_ARRAYISLOCKED.  An index outside the bounds is
 * DISP_E_BADINDEX, a NULL argument E_INVALIDARG.  VT_RECORD arrays (FADF_RECORD) need the
 * IRecordInfo (SafeArrayCreateEx, SafeArraySetRecordInfo): elements are cleared and
 * copied with it, and GetElement/PutElement copy a record into an initialized one.
 */
WINOLEAUTAPI SafeArrayAllocDescriptor(UINT cDims, SAFEARRAY **ppsaOut);
WINOLEAUTAPI SafeArrayAllocDescriptorEx(VARTYPE vt, UINT cDims, SAFEARRAY **ppsaOut);
WINOLEAUTAPI SafeArrayAllocData(SAFEARRAY *psa);
WINOLEAUTAPI_(SAFEARRAY *) SafeArrayCreate(VARTYPE vt, UINT cDims, SAFEARRAYBOUND *rgsabound);
WINOLEAUTAPI_(SAFEARRAY *) SafeArrayCreateEx(VARTYPE vt, UINT cDims, SAFEARRAYBOUND *rgsabound,
                                             PVOID pvExtra);
WINOLEAUTAPI_(SAFEARRAY *) SafeArrayCreateVector(VARTYPE vt, LONG lLbound, ULONG cElements);
WINOLEAUTAPI_(SAFEARRAY *) SafeArrayCreateVectorEx(VARTYPE vt, LONG lLbound, ULONG cElements,
                                                   PVOID pvExtra);
WINOLEAUTAPI SafeArrayDestroy(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayDestroyData(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayDestroyDescriptor(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayLock(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayUnlock(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayAccessData(SAFEARRAY *psa, void **ppvData);
WINOLEAUTAPI SafeArrayUnaccessData(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayPtrOfIndex(SAFEARRAY *psa, LONG *rgIndices, void **ppvData);
WINOLEAUTAPI SafeArrayGetElement(SAFEARRAY *psa, LONG *rgIndices, void *pv);
WINOLEAUTAPI SafeArrayPutElement(SAFEARRAY *psa, LONG *rgIndices, void *pv);
WINOLEAUTAPI SafeArrayRedim(SAFEARRAY *psa, SAFEARRAYBOUND *psaboundNew);
WINOLEAUTAPI SafeArrayCopy(SAFEARRAY *psa, SAFEARRAY **ppsaOut);
WINOLEAUTAPI SafeArrayCopyData(SAFEARRAY *psaSource, SAFEARRAY *psaTarget);
WINOLEAUTAPI_(UINT) SafeArrayGetDim(SAFEARRAY *psa);
WINOLEAUTAPI_(UINT) SafeArrayGetElemsize(SAFEARRAY *psa);
WINOLEAUTAPI SafeArrayGetLBound(SAFEARRAY *psa, UINT nDim, LONG *plLbound);
WINOLEAUTAPI SafeArrayGetUBound(SAFEARRAY *psa, UINT nDim, LONG *plUbound);
WINOLEAUTAPI SafeArrayGetVartype(SAFEARRAY *psa, VARTYPE *pvt);
WINOLEAUTAPI SafeArraySetIID(SAFEARRAY *psa, REFGUID guid);
WINOLEAUTAPI SafeArrayGetIID(SAFEARRAY *psa, GUID *pguid);
WINOLEAUTAPI SafeArraySetRecordInfo(SAFEARRAY *psa, IRecordInfo *prinfo);
WINOLEAUTAPI SafeArrayGetRecordInfo(SAFEARRAY *psa, IRecordInfo **prinfo);

/*
 * Records (user-defined types; src/oleaut/recinfo.c): an IRecordInfo over a TKIND_RECORD
 * type description -- or an alias of one -- (E_INVALIDARG for another kind of type), or
 * over the record of that GUID in the registered type library (LoadRegTypeLib).  A
 * VARIANT holds one as VT_RECORD (pvRecord in CoTaskMem, pRecInfo held): VariantClear
 * clears and frees it, VariantCopy makes a new one (RecordCopy).  A SAFEARRAY holds them
 * when made by SafeArrayCreateEx(VT_RECORD, ..., the IRecordInfo) (FADF_RECORD).
 */
WINOLEAUTAPI GetRecordInfoFromTypeInfo(ITypeInfo *pTypeInfo, IRecordInfo **ppRecInfo);
WINOLEAUTAPI GetRecordInfoFromGuids(REFGUID rGuidTypeLib, ULONG uVerMajor, ULONG uVerMinor,
                                    LCID lcid, REFGUID rGuidTypeInfo, IRecordInfo **ppRecInfo);

/*
 * Error objects: CreateErrorInfo makes one (ICreateErrorInfo; QueryInterface for
 * IErrorInfo), SetErrorInfo puts it in the calling thread's slot, GetErrorInfo takes it
 * out (S_FALSE and NULL when the slot is empty).  A method of a remote object that fails
 * with error info set has it carried back to the caller's thread ([MS-DCOM] 2.2.21.1).
 */
WINOLEAUTAPI CreateErrorInfo(ICreateErrorInfo **pperrinfo);
WINOLEAUTAPI SetErrorInfo(ULONG dwReserved, IErrorInfo *perrinfo);
WINOLEAUTAPI GetErrorInfo(ULONG dwReserved, IErrorInfo **pperrinfo);

/*
 * Type libraries ([MS-OAUT] 2.2.49 ff.; src/oleaut/typelib.c): MSFT-format .tlb files as
 * midl and widl write them, read whole and checked when loaded (a malformed file is
 * TYPE_E_CANTLOADLIBRARY, one that is not a type library TYPE_E_INVDATAREAD).  The
 * registry keys (HKCR\TypeLib, HKCR\Interface) are Windows'; the platform key is
 * "win64"/"win32" after the library's SYSKIND, LP64 lookups trying "win64" first.
 * The descriptions GetTypeAttr, GetFuncDesc, GetVarDesc and GetLibAttr hand out belong
 * to the library and stay valid while the caller holds its ITypeInfo/ITypeLib.
 * LoadTypeLib (and REGKIND_DEFAULT) never register; REGKIND_REGISTER does.  A file may be
 * a .tlb or a PE image with the library as TYPELIB resource 1 ("x.dll\\2": resource 2).
 */
typedef enum tagREGKIND {
        REGKIND_DEFAULT,
        REGKIND_REGISTER,
        REGKIND_NONE
} REGKIND;

WINOLEAUTAPI LoadTypeLib(LPCOLESTR szFile, ITypeLib **pptlib);
WINOLEAUTAPI LoadTypeLibEx(LPCOLESTR szFile, REGKIND regkind, ITypeLib **pptlib);
WINOLEAUTAPI LoadRegTypeLib(REFGUID rguid, WORD wVerMajor, WORD wVerMinor, LCID lcid,
                            ITypeLib **pptlib);
WINOLEAUTAPI QueryPathOfRegTypeLib(REFGUID guid, USHORT wMaj, USHORT wMin, LCID lcid,
                                   BSTR *lpbstrPathName);
WINOLEAUTAPI RegisterTypeLib(ITypeLib *ptlib, const OLECHAR *szFullPath,
                             const OLECHAR *szHelpDir);
WINOLEAUTAPI UnRegisterTypeLib(REFGUID libID, WORD wVerMajor, WORD wVerMinor, LCID lcid,
                               SYSKIND syskind);

/*
 * The IDispatch helpers: an object's IDispatch by its type description (ITypeInfo::Invoke
 * does the call, with Windows' coercions and errors; see src/oleaut/dispinvoke.c).
 */
typedef struct tagPARAMDATA {
        OLECHAR *szName;
        VARTYPE vt;
} PARAMDATA, *LPPARAMDATA;

typedef struct tagMETHODDATA {
        OLECHAR *szName;
        PARAMDATA *ppdata;
        DISPID dispid;
        UINT iMeth;
        CALLCONV cc;
        UINT cArgs;
        WORD wFlags;
        VARTYPE vtReturn;
} METHODDATA, *LPMETHODDATA;

typedef struct tagINTERFACEDATA {
        METHODDATA *pmethdata;
        UINT cMembers;
} INTERFACEDATA, *LPINTERFACEDATA;

#ifndef MEMBERID_NIL
#define MEMBERID_NIL DISPID_UNKNOWN
#endif

/* An object's value (its DISPID_VALUE property) converted: Var<To>FromDisp. */
WINOLEAUTAPI VarUI1FromDisp(IDispatch *pdispIn, LCID lcid, BYTE *pbOut);
WINOLEAUTAPI VarI1FromDisp(IDispatch *pdispIn, LCID lcid, CHAR *pcOut);
WINOLEAUTAPI VarI2FromDisp(IDispatch *pdispIn, LCID lcid, SHORT *psOut);
WINOLEAUTAPI VarUI2FromDisp(IDispatch *pdispIn, LCID lcid, USHORT *puiOut);
WINOLEAUTAPI VarI4FromDisp(IDispatch *pdispIn, LCID lcid, LONG *plOut);
WINOLEAUTAPI VarUI4FromDisp(IDispatch *pdispIn, LCID lcid, ULONG *pulOut);
WINOLEAUTAPI VarI8FromDisp(IDispatch *pdispIn, LCID lcid, LONG64 *pi64Out);
WINOLEAUTAPI VarUI8FromDisp(IDispatch *pdispIn, LCID lcid, ULONG64 *pi64Out);
WINOLEAUTAPI VarR4FromDisp(IDispatch *pdispIn, LCID lcid, FLOAT *pfltOut);
WINOLEAUTAPI VarR8FromDisp(IDispatch *pdispIn, LCID lcid, double *pdblOut);
WINOLEAUTAPI VarDateFromDisp(IDispatch *pdispIn, LCID lcid, DATE *pdateOut);
WINOLEAUTAPI VarCyFromDisp(IDispatch *pdispIn, LCID lcid, CY *pcyOut);
WINOLEAUTAPI VarBoolFromDisp(IDispatch *pdispIn, LCID lcid, VARIANT_BOOL *pboolOut);
WINOLEAUTAPI VarDecFromDisp(IDispatch *pdispIn, LCID lcid, DECIMAL *pdecOut);
WINOLEAUTAPI VarBstrFromDisp(IDispatch *pdispIn, LCID lcid, ULONG dwFlags, BSTR *pbstrOut);

WINOLEAUTAPI DispGetIDsOfNames(ITypeInfo *ptinfo, OLECHAR **rgszNames, UINT cNames,
                               DISPID *rgdispid);
WINOLEAUTAPI DispInvoke(void *_this, ITypeInfo *ptinfo, DISPID dispidMember, WORD wFlags,
                        DISPPARAMS *pparams, VARIANT *pvarResult, EXCEPINFO *pexcepinfo,
                        UINT *puArgErr);
WINOLEAUTAPI CreateStdDispatch(IUnknown *punkOuter, void *pvThis, ITypeInfo *ptinfo,
                               IUnknown **ppunkStdDisp);
WINOLEAUTAPI CreateDispTypeInfo(INTERFACEDATA *pidata, LCID lcid, ITypeInfo **pptinfo);
WINOLEAUTAPI DispCallFunc(void *pvInstance, ULONG_PTR oVft, CALLCONV cc, VARTYPE vtReturn,
                          UINT cActuals, VARTYPE *prgvt, VARIANTARG **prgpvarg,
                          VARIANT *pvargResult);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_WIN_OLEAUTO_H */
