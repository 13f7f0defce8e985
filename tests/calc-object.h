/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An automation object in C for the type library tests: tests/typelib/calc.idl's dual
 * interface ICalc by hand (its vtable in the order widl gives it), its IDispatch half
 * answered by DispGetIDsOfNames/DispInvoke over the type description in tinfo.  Fail
 * sets an error object (source "Calc.Object", description "it failed on purpose", help
 * context 77) and returns its argument; Concat keeps its optional argument in last_b.
 */
#ifndef OPENDCOM_TESTS_CALC_OBJECT_H
#define OPENDCOM_TESTS_CALC_OBJECT_H

#include <math.h>
#include <string.h>

#include <objbase.h>

static const GUID IID_ICalc = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x04 } };

typedef struct ICalc ICalc;
typedef struct ICalcVtbl {
        HRESULT (STDMETHODCALLTYPE *QueryInterface)(ICalc *, REFIID, void **);
        ULONG (STDMETHODCALLTYPE *AddRef)(ICalc *);
        ULONG (STDMETHODCALLTYPE *Release)(ICalc *);
        HRESULT (STDMETHODCALLTYPE *GetTypeInfoCount)(ICalc *, UINT *);
        HRESULT (STDMETHODCALLTYPE *GetTypeInfo)(ICalc *, UINT, LCID, ITypeInfo **);
        HRESULT (STDMETHODCALLTYPE *GetIDsOfNames)(ICalc *, REFIID, LPOLESTR *, UINT, LCID, DISPID *);
        HRESULT (STDMETHODCALLTYPE *Invoke)(ICalc *, DISPID, REFIID, LCID, WORD, DISPPARAMS *,
                                            VARIANT *, EXCEPINFO *, UINT *);
        HRESULT (STDMETHODCALLTYPE *Add)(ICalc *, LONG, LONG, LONG *);
        HRESULT (STDMETHODCALLTYPE *get_Name)(ICalc *, BSTR *);
        HRESULT (STDMETHODCALLTYPE *put_Name)(ICalc *, BSTR);
        HRESULT (STDMETHODCALLTYPE *Concat)(ICalc *, BSTR, VARIANT, BSTR *);
        HRESULT (STDMETHODCALLTYPE *Scale)(ICalc *, double, LONG, double *);
        HRESULT (STDMETHODCALLTYPE *Sum)(ICalc *, SAFEARRAY *, LONG *);
        HRESULT (STDMETHODCALLTYPE *Fail)(ICalc *, LONG);
        HRESULT (STDMETHODCALLTYPE *Locale)(ICalc *, LONG, LONG, LONG *);
        HRESULT (STDMETHODCALLTYPE *Swap)(ICalc *, LONG *, LONG *);
        HRESULT (STDMETHODCALLTYPE *Mix)(ICalc *, BYTE, SHORT, float, double, VARIANT_BOOL,
                                         LONGLONG, LONG, LONG, LONG, double, VARIANT, LONG,
                                         double *);
        HRESULT (STDMETHODCALLTYPE *Paint)(ICalc *, LONG, LONG, LONG *);
        HRESULT (STDMETHODCALLTYPE *Echo)(ICalc *, VARIANT, VARIANT *);
} ICalcVtbl;

struct ICalc {
        const ICalcVtbl *lpVtbl;
};

struct calc {
        ICalc ICalc_iface;
        LONG refs;
        BSTR name;
        ITypeInfo *tinfo;       /* its dispinterface view */
        VARIANT last_b;         /* what Concat's optional argument was */
};

static struct calc *impl(ICalc *i) {
        return (struct calc *)i;
}

static HRESULT STDMETHODCALLTYPE c_qi(ICalc *i, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
            IsEqualIID(riid, &IID_ICalc)) {
                *ppv = i;
                impl(i)->refs++;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE c_addref(ICalc *i) {
        return (ULONG)++impl(i)->refs;
}

static ULONG STDMETHODCALLTYPE c_release(ICalc *i) {
        return (ULONG)--impl(i)->refs;
}

static HRESULT STDMETHODCALLTYPE c_count(ICalc *i, UINT *n) {
        (void)i;
        *n = 1;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_typeinfo(ICalc *i, UINT n, LCID lcid, ITypeInfo **ret) {
        (void)lcid;
        if (n)
                return DISP_E_BADINDEX;
        *ret = impl(i)->tinfo;
        ITypeInfo_AddRef(*ret);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_ids(ICalc *i, REFIID riid, LPOLESTR *names, UINT n, LCID lcid,
                                       DISPID *ids) {
        (void)riid; (void)lcid;
        return DispGetIDsOfNames(impl(i)->tinfo, names, n, ids);
}

static HRESULT STDMETHODCALLTYPE c_invoke(ICalc *i, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                          DISPPARAMS *dp, VARIANT *res, EXCEPINFO *ei, UINT *ae) {
        (void)riid; (void)lcid;
        return DispInvoke(i, impl(i)->tinfo, id, flags, dp, res, ei, ae);
}

static HRESULT STDMETHODCALLTYPE c_add(ICalc *i, LONG a, LONG b, LONG *sum) {
        (void)i;
        *sum = a + b;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_name(ICalc *i, BSTR *r) {
        static const OLECHAR empty[] = { 0 };
        *r = SysAllocString(impl(i)->name ? impl(i)->name : empty);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_put_name(ICalc *i, BSTR v) {
        SysFreeString(impl(i)->name);
        impl(i)->name = SysAllocString(v);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_concat(ICalc *i, BSTR a, VARIANT b, BSTR *r) {
        VARIANT s;

        VariantClear(&impl(i)->last_b);
        VariantCopy(&impl(i)->last_b, &b);
        VariantInit(&s);
        if (V_VT(&b) == VT_ERROR) {
                *r = SysAllocString(a);
                return S_OK;
        }
        if (VariantChangeType(&s, &b, 0, VT_BSTR) < 0)
                return E_INVALIDARG;
        UINT na = SysStringLen(a), nb = SysStringLen(V_BSTR(&s));
        *r = SysAllocStringLen(NULL, na + nb);
        memcpy(*r, a, na * sizeof(OLECHAR));
        memcpy(*r + na, V_BSTR(&s), nb * sizeof(OLECHAR));
        VariantClear(&s);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_scale(ICalc *i, double x, LONG f, double *r) {
        (void)i;
        *r = x * f;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_sum(ICalc *i, SAFEARRAY *sa, LONG *r) {
        LONG lo, hi, v;

        (void)i;
        *r = 0;
        SafeArrayGetLBound(sa, 1, &lo);
        SafeArrayGetUBound(sa, 1, &hi);
        for (LONG k = lo; k <= hi; k++) {
                SafeArrayGetElement(sa, &k, &v);
                *r += v;
        }
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_fail(ICalc *i, LONG code) {
        ICreateErrorInfo *cei;
        IErrorInfo *ei;

        (void)i;
        if (code >= 0)
                return S_OK;
        CreateErrorInfo(&cei);
        ICreateErrorInfo_SetSource(cei, (LPOLESTR)OLESTR("Calc.Object"));
        ICreateErrorInfo_SetDescription(cei, (LPOLESTR)OLESTR("it failed on purpose"));
        ICreateErrorInfo_SetHelpContext(cei, 77);
        ICreateErrorInfo_QueryInterface(cei, &IID_IErrorInfo, (void **)&ei);
        SetErrorInfo(0, ei);
        IErrorInfo_Release(ei);
        ICreateErrorInfo_Release(cei);
        return code;
}

static HRESULT STDMETHODCALLTYPE c_locale(ICalc *i, LONG a, LONG lcid, LONG *r) {
        (void)i;
        *r = a * 0x10000 + lcid;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_swap(ICalc *i, LONG *a, LONG *b) {
        LONG t = *a;

        (void)i;
        *a = *b;
        *b = t;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_mix(ICalc *i, BYTE b, SHORT s, float f, double d,
                                       VARIANT_BOOL flag, LONGLONG big, LONG l1, LONG l2, LONG l3,
                                       double d2, VARIANT v, LONG l4, double *r) {
        (void)i;
        if (V_VT(&v) != VT_I4)
                return E_INVALIDARG;
        /* each argument weighted, so that one in the wrong place shows */
        *r = b * 1.0 + s * 10.0 + f * 100.0 + d * 1000.0 + (flag ? 10000.0 : 0) +
             (double)big + l1 * 1e5 + l2 * 1e6 + l3 * 1e7 + d2 * 1e8 + V_I4(&v) * 1e9 + l4 * 1e10;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_paint(ICalc *i, LONG c, LONG h, LONG *r) {
        (void)i;
        *r = c * 100 + h;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_echo(ICalc *i, VARIANT v, VARIANT *r) {
        (void)i;
        return VariantCopy(r, &v);
}

static const ICalcVtbl calc_vtbl = {
        c_qi, c_addref, c_release, c_count, c_typeinfo, c_ids, c_invoke, c_add, c_get_name,
        c_put_name, c_concat, c_scale, c_sum, c_fail, c_locale, c_swap, c_mix, c_paint, c_echo,
};

#endif /* OPENDCOM_TESTS_CALC_OBJECT_H */
