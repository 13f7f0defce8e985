/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Global Interface Table (CLSID_StdGlobalInterfaceTable): an interface pointer
 * registered once, fetched by cookie from any apartment of the process -- a table-strong
 * marshal (MSHLFLAGS_TABLESTRONG, MSHCTX_INPROC) per entry, unmarshaled on each Get
 * (the object itself in its own apartment, a proxy elsewhere), released on Revoke.
 * And the marshaling helpers built on the same idea: CoMarshalInterThreadInterfaceInStream,
 * CoGetInterfaceAndReleaseStream; the built-in classes CoGetClassObject knows.
 */
#include <pthread.h>
#include <stdlib.h>

#include "com/accesscontrol.h"
#include "com/remote-internal.h"

/* 00000323-0000-0000-C000-000000000046 */
DCOM_EXPORT const CLSID CLSID_StdGlobalInterfaceTable = {
        0x00000323, 0x0000, 0x0000, { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 }
};

#define GIT_MAX 65536

struct git_entry {
        DWORD cookie;
        IStream *stm;           /* the table marshal */
        IID iid;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct git_entry *entries;
static unsigned n_entries, cap_entries;
static DWORD next_cookie = 0x100;

static struct git_entry *find_locked(DWORD cookie) {
        for (unsigned i = 0; i < n_entries; i++)
                if (entries[i].cookie == cookie)
                        return &entries[i];
        return NULL;
}

static HRESULT rewind_stream(IStream *stm) {
        LARGE_INTEGER zero = { 0 };
        return stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL);
}

static HRESULT STDMETHODCALLTYPE git_QueryInterface(IGlobalInterfaceTable *iface, REFIID riid,
                                                    void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IGlobalInterfaceTable)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE git_AddRef(IGlobalInterfaceTable *iface) {
        return 2;       /* one per process, for its lifetime */
}

static ULONG STDMETHODCALLTYPE git_Release(IGlobalInterfaceTable *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE git_Register(IGlobalInterfaceTable *iface, IUnknown *unk,
                                              REFIID riid, DWORD *cookie) {
        IStream *stm;
        HRESULT hr;

        if (!unk || !riid || !cookie)
                return E_INVALIDARG;
        *cookie = 0;
        if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &stm)))
                return hr;
        hr = CoMarshalInterface(stm, riid, unk, MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG);
        if (FAILED(hr)) {
                stm->lpVtbl->Release(stm);
                return hr;
        }
        pthread_mutex_lock(&lock);
        if (n_entries == cap_entries) {
                unsigned nc = cap_entries ? cap_entries * 2 : 16;
                struct git_entry *ne = nc <= GIT_MAX ? realloc(entries, nc * sizeof *ne) : NULL;
                if (!ne) {
                        pthread_mutex_unlock(&lock);
                        rewind_stream(stm);
                        CoReleaseMarshalData(stm);
                        stm->lpVtbl->Release(stm);
                        return E_OUTOFMEMORY;
                }
                entries = ne;
                cap_entries = nc;
        }
        do
                *cookie = next_cookie++;
        while (!*cookie || find_locked(*cookie));
        entries[n_entries++] = (struct git_entry){ *cookie, stm, *riid };
        pthread_mutex_unlock(&lock);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE git_Revoke(IGlobalInterfaceTable *iface, DWORD cookie) {
        struct git_entry *e, gone;

        pthread_mutex_lock(&lock);
        if (!(e = find_locked(cookie))) {
                pthread_mutex_unlock(&lock);
                return E_INVALIDARG;
        }
        gone = *e;
        *e = entries[--n_entries];
        pthread_mutex_unlock(&lock);
        rewind_stream(gone.stm);
        CoReleaseMarshalData(gone.stm);
        gone.stm->lpVtbl->Release(gone.stm);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE git_Get(IGlobalInterfaceTable *iface, DWORD cookie, REFIID riid,
                                         void **ppv) {
        IStream *stm = NULL;
        HRESULT hr;

        if (!ppv)
                return E_INVALIDARG;
        *ppv = NULL;
        pthread_mutex_lock(&lock);
        struct git_entry *e = find_locked(cookie);
        /* a clone: its own position, so that Gets from several threads do not collide */
        hr = e ? e->stm->lpVtbl->Clone(e->stm, &stm) : E_INVALIDARG;
        pthread_mutex_unlock(&lock);
        if (FAILED(hr))
                return hr;
        if (SUCCEEDED(hr = rewind_stream(stm)))
                hr = CoUnmarshalInterface(stm, riid, ppv);
        stm->lpVtbl->Release(stm);
        return hr;
}

static const IGlobalInterfaceTableVtbl git_vtbl = {
        git_QueryInterface, git_AddRef, git_Release, git_Register, git_Revoke, git_Get,
};

static IGlobalInterfaceTable std_git = { &git_vtbl };

/* --- the built-in classes' factory -------------------------------------------------------- */

static HRESULT git_create(const IID *riid, void **ppv) {
        return git_QueryInterface(&std_git, riid, ppv);
}

/* One class object per built-in class: static (references count nothing), no aggregation. */
struct builtin_cf {
        IClassFactory IClassFactory_iface;
        const CLSID *clsid;
        HRESULT (*create)(const IID *riid, void **ppv);
};

static HRESULT STDMETHODCALLTYPE cf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cf_AddRef(IClassFactory *iface) {
        return 2;
}

static ULONG STDMETHODCALLTYPE cf_Release(IClassFactory *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_CreateInstance(IClassFactory *iface, IUnknown *outer,
                                                   REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        return CONTAINING_RECORD(iface, struct builtin_cf, IClassFactory_iface)->create(riid, ppv);
}

static HRESULT STDMETHODCALLTYPE cf_LockServer(IClassFactory *iface, BOOL lock_it) {
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = {
        cf_QueryInterface, cf_AddRef, cf_Release, cf_CreateInstance, cf_LockServer,
};

static struct builtin_cf builtins[] = {
        { { &cf_vtbl }, &CLSID_StdGlobalInterfaceTable, git_create },
        { { &cf_vtbl }, &CLSID_StdMarshal, com_std_marshal_create },
        { { &cf_vtbl }, &CLSID_InProcFreeMarshaler, com_ftm_create },
        { { &cf_vtbl }, &CLSID_DCOMAccessControl, com_access_control_create },
};

HRESULT com_builtin_class_object(const CLSID *clsid, const IID *riid, void **ppv) {
        for (size_t i = 0; i < ELEMENTSOF(builtins); i++)
                if (IsEqualCLSID(clsid, builtins[i].clsid))
                        return cf_QueryInterface(&builtins[i].IClassFactory_iface, riid, ppv);
        return REGDB_E_CLASSNOTREG;
}

/* --- passing an interface pointer to another thread ---------------------------------------- */

HRESULT WINAPI CoMarshalInterThreadInterfaceInStream(REFIID riid, IUnknown *unk, IStream **ret) {
        IStream *stm;
        HRESULT hr;

        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &stm)))
                return hr;
        hr = CoMarshalInterface(stm, riid, unk, MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL);
        if (SUCCEEDED(hr))
                hr = rewind_stream(stm);
        if (FAILED(hr)) {
                stm->lpVtbl->Release(stm);
                return hr;
        }
        *ret = stm;
        return S_OK;
}

HRESULT WINAPI CoGetInterfaceAndReleaseStream(IStream *stm, REFIID riid, void **ppv) {
        HRESULT hr;

        if (!stm)
                return E_INVALIDARG;
        hr = CoUnmarshalInterface(stm, riid, ppv);
        stm->lpVtbl->Release(stm);
        return hr;
}
