/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An in-process component for test-com-activation's DllSurrogate cases: its objects are
 * the automation object of disp-tester.h (IDispatch, whose proxy/stub is built in), each
 * with Value = the pid of the process it lives in, so that a test sees the object is in
 * a surrogate.  DllCanUnloadNow says S_OK when no object and no LockServer lock remain
 * -- what the surrogate host waits for before it ends.
 */
#include <stdlib.h>
#include <unistd.h>

#include "disp-tester.h"

static atomic_int live, locks;
static IDispatchVtbl obj_vtbl;

static ULONG STDMETHODCALLTYPE obj_release(IDispatch *iface) {
        struct tester *t = tester_from(iface);
        int n = atomic_fetch_sub(&t->refs, 1) - 1;

        if (n == 0) {
                free(t);
                atomic_fetch_sub(&live, 1);
        }
        return (ULONG)n;
}

__attribute__((constructor)) static void vtbl_init(void) {
        obj_vtbl = tester_vtbl;
        obj_vtbl.Release = obj_release;
}

static HRESULT STDMETHODCALLTYPE cf_qi(IClassFactory *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cf_addref(IClassFactory *iface) {
        return 2;
}

static ULONG STDMETHODCALLTYPE cf_release(IClassFactory *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_create(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                           void **ppv) {
        struct tester *t;
        HRESULT hr;

        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        t = malloc(sizeof *t);
        if (!t)
                return E_OUTOFMEMORY;
        tester_init(t);
        t->IDispatch_iface.lpVtbl = &obj_vtbl;
        t->value = (LONG)getpid();
        atomic_fetch_add(&live, 1);
        hr = tester_qi(&t->IDispatch_iface, riid, ppv);
        obj_release(&t->IDispatch_iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cf_lock(IClassFactory *iface, BOOL lock) {
        atomic_fetch_add(&locks, lock ? 1 : -1);
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = { cf_qi, cf_addref, cf_release, cf_create, cf_lock };
static IClassFactory factory = { &cf_vtbl };

__attribute__((visibility("default"))) HRESULT WINAPI DllGetClassObject(REFCLSID clsid,
                                                                        REFIID riid, void **ppv);
__attribute__((visibility("default"))) HRESULT WINAPI DllCanUnloadNow(void);

__attribute__((visibility("default"))) HRESULT WINAPI DllGetClassObject(REFCLSID clsid,
                                                                        REFIID riid, void **ppv) {
        (void)clsid;    /* every class the test registers with this library */
        return cf_qi(&factory, riid, ppv);
}

__attribute__((visibility("default"))) HRESULT WINAPI DllCanUnloadNow(void) {
        return atomic_load(&live) == 0 && atomic_load(&locks) == 0 ? S_OK : S_FALSE;
}
