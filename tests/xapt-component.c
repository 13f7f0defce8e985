/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An in-process component for test-com-remote's ThreadingModel cases: its object
 * implements IObjTest2 (tests/dcomidl/obj.idl) and answers get_Value with the id of the
 * thread the call runs on, so that the test sees where its calls go.  No library
 * dependency: vtables and IIDs only, as a component built anywhere.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <objbase.h>

#include "obj.h"

/* IUnknown's IID of its own: the component links to nothing */
static const IID iid_unknown = { 0, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };

struct xobj {
        IObjTest2 IObjTest2_iface;
        atomic_int refs;
};

static HRESULT STDMETHODCALLTYPE x_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        if (!memcmp(riid, &iid_unknown, sizeof(IID)) || !memcmp(riid, &IID_IObjTest, sizeof(IID)) ||
            !memcmp(riid, &IID_IObjTest2, sizeof(IID))) {
                *ppv = This;
                atomic_fetch_add(&((struct xobj *)This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE x_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&((struct xobj *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE x_release(IObjTest2 *This) {
        struct xobj *o = (struct xobj *)This;
        int r = atomic_fetch_sub(&o->refs, 1) - 1;
        if (!r)
                free(o);
        return (ULONG)r;
}

static HRESULT STDMETHODCALLTYPE x_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        *sum = (LONG)((uint32_t)a + (uint32_t)b);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE x_get_value(IObjTest2 *This, LONG *v) {
        *v = (LONG)syscall(SYS_gettid);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE x_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        *greeting = NULL;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE x_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE x_put_value(IObjTest2 *This, LONG v) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE x_pair(IObjTest2 *This, OBJ_PAIR *p) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE x_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT STDMETHODCALLTYPE x_twice(IObjTest2 *This, LONG x, LONG *y) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE x_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        return x_qi(This, riid, ppv);
}

static const IObjTest2Vtbl vtbl = {
        x_qi, x_addref, x_release, x_add, x_greet, x_sum, x_get_value, x_put_value, x_pair,
        x_fail, x_twice, x_peer,
};

static HRESULT STDMETHODCALLTYPE cf_qi(IClassFactory *This, REFIID riid, void **ppv) {
        *ppv = This;
        return S_OK;
}

static ULONG STDMETHODCALLTYPE cf_ref(IClassFactory *This) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_create(IClassFactory *This, IUnknown *outer, REFIID riid, void **ppv) {
        struct xobj *o = calloc(1, sizeof *o);
        HRESULT hr;
        if (!o)
                return E_OUTOFMEMORY;
        o->IObjTest2_iface.lpVtbl = &vtbl;
        atomic_init(&o->refs, 1);
        hr = x_qi(&o->IObjTest2_iface, riid, ppv);
        x_release(&o->IObjTest2_iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cf_lock(IClassFactory *This, BOOL lock) {
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = { cf_qi, cf_ref, cf_ref, cf_create, cf_lock };
static IClassFactory factory = { &cf_vtbl };

__attribute__((visibility("default"))) HRESULT DllGetClassObject(REFCLSID clsid, REFIID riid,
                                                                 void **ppv);
__attribute__((visibility("default"))) HRESULT DllCanUnloadNow(void);

__attribute__((visibility("default"))) HRESULT DllGetClassObject(REFCLSID clsid, REFIID riid,
                                                                 void **ppv) {
        (void)clsid;
        return cf_qi(&factory, riid, ppv);
}

__attribute__((visibility("default"))) HRESULT DllCanUnloadNow(void) {
        return S_FALSE;
}
