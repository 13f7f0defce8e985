/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-com-psdll: a library whose class object is a hand-written IPSFactoryBuffer, not one
 * <rpcproxy.h>'s DLLDATA_ROUTINES made.  COM takes proxies and stubs only from a
 * ProxyFileInfo, so it must refuse this one cleanly (and release it) rather than call it.
 * Its CreateProxy/CreateStub count the calls they get: the test reads the count through
 * foreign_ps_state() and expects none.
 */
#include <objbase.h>

static LONG refs, calls;

static HRESULT STDMETHODCALLTYPE f_qi(IPSFactoryBuffer *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IPSFactoryBuffer)) {
                *ppv = This;
                __atomic_add_fetch(&refs, 1, __ATOMIC_SEQ_CST);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE f_addref(IPSFactoryBuffer *This) {
        return (ULONG)__atomic_add_fetch(&refs, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE f_release(IPSFactoryBuffer *This) {
        return (ULONG)__atomic_sub_fetch(&refs, 1, __ATOMIC_SEQ_CST);
}

static HRESULT STDMETHODCALLTYPE f_create_proxy(IPSFactoryBuffer *This, IUnknown *outer,
                                                REFIID riid, IRpcProxyBuffer **proxy, void **ppv) {
        __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
        *proxy = NULL;
        *ppv = NULL;
        return E_FAIL;
}

static HRESULT STDMETHODCALLTYPE f_create_stub(IPSFactoryBuffer *This, REFIID riid,
                                               IUnknown *server, IRpcStubBuffer **stub) {
        __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
        *stub = NULL;
        return E_FAIL;
}

static const IPSFactoryBufferVtbl vtbl = {f_qi, f_addref, f_release, f_create_proxy, f_create_stub};
static IPSFactoryBuffer factory = {&vtbl};

__attribute__((visibility("default"))) STDAPI DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                                                void **ppv);
__attribute__((visibility("default"))) LONG foreign_ps_state(void);

__attribute__((visibility("default"))) STDAPI DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                                                void **ppv) {
        return f_qi(&factory, riid, ppv);
}

/* calls * 1000 + references held: 0 once COM has looked at it and let it go */
__attribute__((visibility("default"))) LONG foreign_ps_state(void) {
        return __atomic_load_n(&calls, __ATOMIC_SEQ_CST) * 1000 +
               __atomic_load_n(&refs, __ATOMIC_SEQ_CST);
}
