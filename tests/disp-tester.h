/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An automation object for the IDispatch tests (test-oleaut-remote in another process,
 * orpc-serve for impacket): late-bound members by name, case-insensitive, each taking
 * and returning what a test needs to see cross the wire --
 *      1 Add(a, b)          I4 + I4 -> I4 (arguments coerced, as automation servers do)
 *      2 Greet(name)        BSTR -> BSTR ">name"
 *      3 Not(b)             BOOL -> BOOL
 *      4 Half(d)            R8 -> R8
 *      5 IsEmpty(v)         anything -> BOOL (VT_EMPTY or not)
 *      6 Twice(x, [out] y)  I4, VT_BYREF|VT_I4 -> *y = 2x, no result
 *      7 Self()             -> VT_DISPATCH (this object)
 *      8 Unknown()          -> VT_UNKNOWN (this object)
 *      9 Fail()             -> DISP_E_EXCEPTION, EXCEPINFO {source "tester",
 *                              description "it failed", scode E_FAIL}
 *     10 Value              property: get -> I4, put (DISPID_PROPERTYPUT named) <- I4
 *     11 Reverse(a)         a one-dimensional VT_ARRAY (by value or VT_BYREF) -> the same
 *                           type, its elements in reverse order, the same lower bound
 *     12 Raise(d)           BSTR -> E_FAIL with an error object set (SetErrorInfo):
 *                           source "tester", description d, GUID IID_IDispatch, help
 *                           file "tester.hlp", context 42
 *     13 Stretch(r)         a VT_RECORD (by value or VT_BYREF) -> a copy of it; its field
 *                           "x", if it is a VT_I4, doubled first (in the caller's record
 *                           when by reference)
 * It answers ISupportErrorInfo for IDispatch.
 * Anything else is DISP_E_UNKNOWNNAME / DISP_E_MEMBERNOTFOUND; a wrong argument count
 * DISP_E_BADPARAMCOUNT; an argument that does not coerce DISP_E_TYPEMISMATCH with its
 * index in puArgErr.  Its reference count and calls are atomics a test can read.
 */
#ifndef OPENDCOM_TESTS_DISP_TESTER_H
#define OPENDCOM_TESTS_DISP_TESTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <objbase.h>

struct tester {
        IDispatch IDispatch_iface;
        ISupportErrorInfo ISupportErrorInfo_iface;
        atomic_int refs;
        atomic_int calls;
        LONG value;
};

static struct tester *tester_from(IDispatch *iface) {
        return (struct tester *)((char *)iface - offsetof(struct tester, IDispatch_iface));
}

static HRESULT STDMETHODCALLTYPE tester_qi(IDispatch *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
                *ppv = iface;
                atomic_fetch_add(&tester_from(iface)->refs, 1);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_ISupportErrorInfo)) {
                *ppv = &tester_from(iface)->ISupportErrorInfo_iface;
                atomic_fetch_add(&tester_from(iface)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE tester_addref(IDispatch *iface) {
        return (ULONG)atomic_fetch_add(&tester_from(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE tester_release(IDispatch *iface) {
        return (ULONG)atomic_fetch_sub(&tester_from(iface)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE tester_count(IDispatch *iface, UINT *n) {
        if (!n)
                return E_INVALIDARG;
        *n = 0;         /* no type information (yet) */
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tester_typeinfo(IDispatch *iface, UINT i, LCID lcid,
                                                 ITypeInfo **ret) {
        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        return i ? DISP_E_BADINDEX : E_NOTIMPL;
}

static const char *const tester_names[] = {
        NULL, "Add", "Greet", "Not", "Half", "IsEmpty", "Twice", "Self", "Unknown", "Fail", "Value",
        "Reverse", "Raise", "Stretch",
};
#define TESTER_MEMBERS 13

static bool tester_name_is(const OLECHAR *w, const char *name) {
        size_t i = 0;

        for (; w[i] && name[i]; i++) {
                OLECHAR a = w[i], b = (OLECHAR)name[i];
                if (a >= 'a' && a <= 'z')
                        a -= 'a' - 'A';
                if (b >= 'a' && b <= 'z')
                        b -= 'a' - 'A';
                if (a != b)
                        return false;
        }
        return !w[i] && !name[i];
}

static HRESULT STDMETHODCALLTYPE tester_ids(IDispatch *iface, REFIID riid, LPOLESTR *names,
                                            UINT n, LCID lcid, DISPID *ids) {
        HRESULT hr = S_OK;

        if (!IsEqualIID(riid, &IID_NULL))
                return DISP_E_UNKNOWNINTERFACE;
        if (n && (!names || !ids))
                return E_INVALIDARG;
        for (UINT i = 0; i < n; i++) {
                ids[i] = DISPID_UNKNOWN;
                /* the member's name first; no named parameters */
                for (DISPID d = 1; i == 0 && d <= TESTER_MEMBERS && names[0]; d++)
                        if (tester_name_is(names[0], tester_names[d]))
                                ids[0] = d;
                if (ids[i] == DISPID_UNKNOWN)
                        hr = DISP_E_UNKNOWNNAME;
        }
        return hr;
}

/* Argument i (in call order) of dp coerced to vt into *ret. */
static HRESULT tester_arg(DISPPARAMS *dp, UINT i, VARTYPE vt, VARIANT *ret, UINT *argerr) {
        UINT pos = dp->cArgs - 1 - i;   /* rgvarg holds them last first */
        HRESULT hr;

        VariantInit(ret);
        hr = VariantChangeType(ret, &dp->rgvarg[pos], 0, vt);
        if (FAILED(hr) && argerr)
                *argerr = pos;
        return hr;
}

static BSTR tester_bstr(const char *s) {
        OLECHAR w[64];
        UINT n = 0;

        while (s[n] && n < 63) {
                w[n] = (OLECHAR)s[n];
                n++;
        }
        return SysAllocStringLen(w, n);
}

static HRESULT tester_call(IDispatch *iface, DISPID id, REFIID riid, WORD flags, DISPPARAMS *dp,
                           VARIANT *result, EXCEPINFO *ei, UINT *argerr) {
        struct tester *t = tester_from(iface);
        static const UINT want[] = { 0, 2, 1, 1, 1, 1, 2, 0, 0, 0, 0, 1, 1, 1 };
        VARIANT a, b;
        HRESULT hr;

        atomic_fetch_add(&t->calls, 1);
        if (!IsEqualIID(riid, &IID_NULL))
                return DISP_E_UNKNOWNINTERFACE;
        if (!dp)
                return E_INVALIDARG;
        if (id < 1 || id > TESTER_MEMBERS)
                return DISP_E_MEMBERNOTFOUND;
        VariantInit(result);
        if (id == 10) {                 /* the Value property */
                if (flags & DISPATCH_PROPERTYPUT) {
                        if (dp->cArgs != 1 || dp->cNamedArgs != 1 ||
                            dp->rgdispidNamedArgs[0] != DISPID_PROPERTYPUT)
                                return DISP_E_BADPARAMCOUNT;
                        if (FAILED(hr = tester_arg(dp, 0, VT_I4, &a, argerr)))
                                return hr;
                        t->value = V_I4(&a);
                        return S_OK;
                }
                if (dp->cArgs)
                        return DISP_E_BADPARAMCOUNT;
                V_VT(result) = VT_I4;
                V_I4(result) = t->value;
                return S_OK;
        }
        if (!(flags & DISPATCH_METHOD))
                return DISP_E_MEMBERNOTFOUND;
        if (dp->cNamedArgs)
                return DISP_E_NONAMEDARGS;
        if (dp->cArgs != want[id])
                return DISP_E_BADPARAMCOUNT;
        switch (id) {
        case 1:
                if (FAILED(hr = tester_arg(dp, 0, VT_I4, &a, argerr)) ||
                    FAILED(hr = tester_arg(dp, 1, VT_I4, &b, argerr)))
                        return hr;
                V_VT(result) = VT_I4;
                V_I4(result) = (LONG)((uint32_t)V_I4(&a) + (uint32_t)V_I4(&b));
                return S_OK;
        case 2: {
                if (FAILED(hr = tester_arg(dp, 0, VT_BSTR, &a, argerr)))
                        return hr;
                UINT n = SysStringLen(V_BSTR(&a));
                BSTR s = SysAllocStringLen(NULL, n + 1);
                if (s) {
                        s[0] = '>';
                        if (n)          /* a NULL BSTR is the empty string */
                                memcpy(s + 1, V_BSTR(&a), n * sizeof(OLECHAR));
                }
                VariantClear(&a);
                if (!s)
                        return E_OUTOFMEMORY;
                V_VT(result) = VT_BSTR;
                V_BSTR(result) = s;
                return S_OK;
        }
        case 3:
                if (FAILED(hr = tester_arg(dp, 0, VT_BOOL, &a, argerr)))
                        return hr;
                V_VT(result) = VT_BOOL;
                V_BOOL(result) = V_BOOL(&a) ? VARIANT_FALSE : VARIANT_TRUE;
                return S_OK;
        case 4:
                if (FAILED(hr = tester_arg(dp, 0, VT_R8, &a, argerr)))
                        return hr;
                V_VT(result) = VT_R8;
                V_R8(result) = V_R8(&a) / 2;
                return S_OK;
        case 5:
                V_VT(result) = VT_BOOL;
                V_BOOL(result) = V_VT(&dp->rgvarg[0]) == VT_EMPTY ? VARIANT_TRUE : VARIANT_FALSE;
                return S_OK;
        case 6: {
                VARIANT *out = &dp->rgvarg[0];          /* the last argument */
                if (V_VT(out) != (VT_I4 | VT_BYREF) || !V_I4REF(out)) {
                        if (argerr)
                                *argerr = 0;
                        return DISP_E_TYPEMISMATCH;
                }
                if (FAILED(hr = tester_arg(dp, 0, VT_I4, &a, argerr)))
                        return hr;
                *V_I4REF(out) = (LONG)((uint32_t)V_I4(&a) * 2u);
                return S_OK;
        }
        case 7:
        case 8:
                V_VT(result) = id == 7 ? VT_DISPATCH : VT_UNKNOWN;
                V_DISPATCH(result) = iface;
                tester_addref(iface);
                return S_OK;
        case 9:
                if (ei) {
                        memset(ei, 0, sizeof *ei);
                        ei->bstrSource = tester_bstr("tester");
                        ei->bstrDescription = tester_bstr("it failed");
                        ei->scode = E_FAIL;
                }
                return DISP_E_EXCEPTION;
        case 11: {
                VARIANT *arg = &dp->rgvarg[0];
                /* an array, or a reference to one: only then is the union a SAFEARRAY */
                SAFEARRAY *in = !(V_VT(arg) & VT_ARRAY) ? NULL
                                : V_VT(arg) & VT_BYREF ? (V_ARRAYREF(arg) ? *V_ARRAYREF(arg) : NULL)
                                                       : V_ARRAY(arg);
                SAFEARRAY *out;
                uint8_t *cells;
                if (!(V_VT(arg) & VT_ARRAY) || !in || SafeArrayGetDim(in) != 1) {
                        if (argerr)
                                *argerr = 0;
                        return DISP_E_TYPEMISMATCH;
                }
                if (FAILED(hr = SafeArrayCopy(in, &out)))
                        return hr;
                /* whole cells swapped: the copy's BSTRs and VARIANTs stay owned once */
                size_t n = out->rgsabound[0].cElements, sz = out->cbElements;
                uint8_t tmp[32];
                if (sz > sizeof tmp || FAILED(hr = SafeArrayAccessData(out, (void **)&cells))) {
                        SafeArrayDestroy(out);
                        return sz > sizeof tmp ? DISP_E_TYPEMISMATCH : hr;
                }
                for (size_t i = 0; i < n / 2; i++) {
                        memcpy(tmp, cells + i * sz, sz);
                        memcpy(cells + i * sz, cells + (n - 1 - i) * sz, sz);
                        memcpy(cells + (n - 1 - i) * sz, tmp, sz);
                }
                SafeArrayUnaccessData(out);
                V_VT(result) = V_VT(arg) & ~VT_BYREF;
                V_ARRAY(result) = out;
                return S_OK;
        }
        case 12: {
                ICreateErrorInfo *cei;
                IErrorInfo *info;
                OLECHAR src[] = { 't', 'e', 's', 't', 'e', 'r', 0 };
                OLECHAR hlp[] = { 't', 'e', 's', 't', 'e', 'r', '.', 'h', 'l', 'p', 0 };
                if (FAILED(hr = tester_arg(dp, 0, VT_BSTR, &a, argerr)))
                        return hr;
                if (SUCCEEDED(hr = CreateErrorInfo(&cei))) {
                        cei->lpVtbl->SetSource(cei, src);
                        cei->lpVtbl->SetDescription(cei, V_BSTR(&a));
                        cei->lpVtbl->SetGUID(cei, &IID_IDispatch);
                        cei->lpVtbl->SetHelpFile(cei, hlp);
                        cei->lpVtbl->SetHelpContext(cei, 42);
                        if (SUCCEEDED(hr = cei->lpVtbl->QueryInterface(cei, &IID_IErrorInfo,
                                                                           (void **)&info))) {
                                SetErrorInfo(0, info);
                                info->lpVtbl->Release(info);
                        }
                        cei->lpVtbl->Release(cei);
                }
                VariantClear(&a);
                return FAILED(hr) ? hr : E_FAIL;
        }
        case 13: {
                VARIANT *arg = &dp->rgvarg[0], x;
                OLECHAR xname[] = { 'x', 0 };
                IRecordInfo *ri = V_RECORDINFO(arg);
                if ((V_VT(arg) & ~VT_BYREF) != VT_RECORD || !ri || !V_RECORD(arg)) {
                        if (argerr)
                                *argerr = 0;
                        return DISP_E_TYPEMISMATCH;
                }
                VariantInit(&x);
                if (SUCCEEDED(ri->lpVtbl->GetField(ri, V_RECORD(arg), xname, &x)) &&
                    V_VT(&x) == VT_I4) {
                        V_I4(&x) = (LONG)((uint32_t)V_I4(&x) * 2);
                        ri->lpVtbl->PutField(ri, INVOKE_PROPERTYPUT, V_RECORD(arg), xname, &x);
                }
                VariantClear(&x);
                return VariantCopyInd(result, arg);
        }
        }
        return DISP_E_MEMBERNOTFOUND;
}

static HRESULT STDMETHODCALLTYPE tester_invoke(IDispatch *iface, DISPID id, REFIID riid,
                                               LCID lcid, WORD flags, DISPPARAMS *dp,
                                               VARIANT *result, EXCEPINFO *ei, UINT *argerr) {
        VARIANT dummy;

        if (result)
                return tester_call(iface, id, riid, flags, dp, result, ei, argerr);
        /* the caller wants no result: whatever the member returns is freed here */
        VariantInit(&dummy);
        HRESULT hr = tester_call(iface, id, riid, flags, dp, &dummy, ei, argerr);
        VariantClear(&dummy);
        return hr;
}

static const IDispatchVtbl tester_vtbl = {
        tester_qi, tester_addref, tester_release, tester_count, tester_typeinfo, tester_ids,
        tester_invoke,
};

static struct tester *tester_from_sei(ISupportErrorInfo *iface) {
        return (struct tester *)((char *)iface - offsetof(struct tester, ISupportErrorInfo_iface));
}

static HRESULT STDMETHODCALLTYPE tester_sei_qi(ISupportErrorInfo *iface, REFIID riid, void **ppv) {
        return tester_qi(&tester_from_sei(iface)->IDispatch_iface, riid, ppv);
}

static ULONG STDMETHODCALLTYPE tester_sei_addref(ISupportErrorInfo *iface) {
        return tester_addref(&tester_from_sei(iface)->IDispatch_iface);
}

static ULONG STDMETHODCALLTYPE tester_sei_release(ISupportErrorInfo *iface) {
        return tester_release(&tester_from_sei(iface)->IDispatch_iface);
}

static HRESULT STDMETHODCALLTYPE tester_sei_supports(ISupportErrorInfo *iface, REFIID riid) {
        return IsEqualIID(riid, &IID_IDispatch) ? S_OK : S_FALSE;
}

static const ISupportErrorInfoVtbl tester_sei_vtbl = {
        tester_sei_qi, tester_sei_addref, tester_sei_release, tester_sei_supports,
};

static void tester_init(struct tester *t) {
        t->IDispatch_iface.lpVtbl = &tester_vtbl;
        t->ISupportErrorInfo_iface.lpVtbl = &tester_sei_vtbl;
        atomic_init(&t->refs, 1);
        atomic_init(&t->calls, 0);
        t->value = 0;
}

#endif /* OPENDCOM_TESTS_DISP_TESTER_H */
