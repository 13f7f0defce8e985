/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IClassFactory's [local] methods and their [call_as] wire forms (idl/unknwn.idl), as
 * MIDL leaves them to the proxy DLL's author: the proxy side turns CreateInstance into
 * RemoteCreateInstance (no aggregation across processes: CLASS_E_NOAGGREGATION), the
 * stub side calls the object's CreateInstance without an outer object.  LockServer
 * travels as it is.
 */
#include "unknwn_stub.h"

HRESULT STDMETHODCALLTYPE IClassFactory_CreateInstance_Proxy(IClassFactory *This, IUnknown *outer,
                                                             REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        return IClassFactory_RemoteCreateInstance_Proxy(This, riid, (IUnknown **)ppv);
}

HRESULT STDMETHODCALLTYPE IClassFactory_CreateInstance_Stub(IClassFactory *This, REFIID riid,
                                                            IUnknown **ppv) {
        return This->lpVtbl->CreateInstance(This, NULL, riid, (void **)ppv);
}

HRESULT STDMETHODCALLTYPE IClassFactory_LockServer_Proxy(IClassFactory *This, BOOL lock) {
        return IClassFactory_RemoteLockServer_Proxy(This, lock);
}

HRESULT STDMETHODCALLTYPE IClassFactory_LockServer_Stub(IClassFactory *This, BOOL lock) {
        return This->lpVtbl->LockServer(This, lock);
}
