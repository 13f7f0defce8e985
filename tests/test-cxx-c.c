/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-cxx's C half: the same objects seen from C, through IFooVtbl and COBJMACROS. */
#define COBJMACROS
#include <oleauto.h>

#include "test-cxx.h"

int cxx_test_call_from_c(IDispatch *d) {
        IUnknown *u = NULL;
        UINT n = 99;
        DISPID id = 0;
        LPOLESTR name = (LPOLESTR)OLESTR("GREET");
        if (IDispatch_QueryInterface(d, &IID_IUnknown, (void **)&u) != S_OK || !u)
                return 1;
        if (IUnknown_Release(u) != 1)
                return 2;
        if (IDispatch_QueryInterface(d, &IID_IStream, (void **)&u) != E_NOINTERFACE || u)
                return 3;
        if (IDispatch_GetTypeInfoCount(d, &n) != S_OK || n != 0)
                return 4;
        if (IDispatch_GetIDsOfNames(d, &IID_NULL, &name, 1, 0, &id) != S_OK || id != 7)
                return 5;
        VARIANT arg, res;
        VariantInit(&res);
        V_VT(&arg) = VT_BSTR;
        V_BSTR(&arg) = SysAllocString(OLESTR("C"));
        DISPPARAMS dp = { &arg, NULL, 1, 0 };
        HRESULT hr = IDispatch_Invoke(d, id, &IID_NULL, 0, DISPATCH_METHOD, &dp, &res, NULL, NULL);
        VariantClear(&arg);
        if (hr != S_OK || V_VT(&res) != VT_BSTR || SysStringLen(V_BSTR(&res)) != 9 ||
            V_BSTR(&res)[7] != u'C')
                return 6;
        VariantClear(&res);
        return 0;
}

static LONG factory_refs = 1;

static HRESULT STDMETHODCALLTYPE cf_QueryInterface(IClassFactory *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = This;
                IClassFactory_AddRef(This);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cf_AddRef(IClassFactory *This) {
        (void)This;
        return (ULONG)InterlockedIncrement(&factory_refs);
}

static ULONG STDMETHODCALLTYPE cf_Release(IClassFactory *This) {
        (void)This;
        return (ULONG)InterlockedDecrement(&factory_refs);
}

static HRESULT STDMETHODCALLTYPE cf_CreateInstance(IClassFactory *This, IUnknown *outer,
                                                   REFIID riid, void **ppv) {
        if (outer)
                return CLASS_E_NOAGGREGATION;
        return IClassFactory_QueryInterface(This, riid, ppv);
}

static HRESULT STDMETHODCALLTYPE cf_LockServer(IClassFactory *This, BOOL lock) {
        (void)This;
        (void)lock;
        return E_NOTIMPL;
}

static const IClassFactoryVtbl cf_vtbl = {
        cf_QueryInterface, cf_AddRef, cf_Release, cf_CreateInstance, cf_LockServer,
};
static IClassFactory c_factory = { &cf_vtbl };

IClassFactory *cxx_test_c_factory(void) {
        return &c_factory;
}

LONG cxx_test_c_factory_refs(void) {
        return factory_refs;
}
