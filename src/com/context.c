/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The object context (CoGetObjectContext, CoGetContextToken): on Windows a context is
 * a part of an apartment with its own properties (COM+ services); here each apartment
 * is one context, and its object lives in the apartment's memory (the interfaces'
 * pointers are the apartment's `context` fields).  It answers IComThreadingInfo --
 * the caller's apartment and thread type, and the logical thread ID its calls carry
 * ([MS-DCOM] 1.3.5, orpc-stub.c) -- and IContextCallback, which runs a function in
 * the apartment: at once on a thread of it, on its own thread for an STA (the caller
 * waits, pumping if it is an STA), on a thread of the MTA for the MTA.  A reference
 * holds the apartment's memory, not the apartment: a callback into an apartment that
 * ended fails with RPC_E_DISCONNECTED.
 */
#define COBJMACROS
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>

#include "com/com-internal.h"
#include "com/orpc-stub.h"

static struct com_apartment *from_threading(IComThreadingInfo *iface) {
        return (struct com_apartment *)((char *)iface - offsetof(struct com_apartment, context.threading));
}

static struct com_apartment *from_callback(IContextCallback *iface) {
        return (struct com_apartment *)((char *)iface - offsetof(struct com_apartment, context.callback));
}

static HRESULT context_qi(struct com_apartment *a, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IComThreadingInfo))
                *ppv = &a->context.threading;
        else if (IsEqualIID(riid, &IID_IContextCallback))
                *ppv = &a->context.callback;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&a->ref, 1);
        return S_OK;
}

static ULONG context_addref(struct com_apartment *a) {
        return atomic_fetch_add(&a->ref, 1) + 1;
}

static ULONG context_release(struct com_apartment *a) {
        ULONG left = atomic_load(&a->ref) - 1;   /* (a count to show, not to trust) */

        com_apartment_release(a);
        return left;
}

/* --- IComThreadingInfo ----------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE ti_qi(IComThreadingInfo *iface, REFIID riid, void **ppv) {
        return context_qi(from_threading(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE ti_addref(IComThreadingInfo *iface) {
        return context_addref(from_threading(iface));
}

static ULONG STDMETHODCALLTYPE ti_release(IComThreadingInfo *iface) {
        return context_release(from_threading(iface));
}

/* the caller's apartment (learn.microsoft.com: "in which the caller is executing") */
static HRESULT STDMETHODCALLTYPE ti_apartment_type(IComThreadingInfo *iface, APTTYPE *type) {
        APTTYPEQUALIFIER q;

        if (!type)
                return E_INVALIDARG;
        return CoGetApartmentType(type, &q);
}

static HRESULT STDMETHODCALLTYPE ti_thread_type(IComThreadingInfo *iface, THDTYPE *type) {
        APTTYPEQUALIFIER q;
        APTTYPE apt;
        HRESULT hr;

        if (!type)
                return E_INVALIDARG;
        if (FAILED(hr = CoGetApartmentType(&apt, &q)))
                return hr;
        /* an STA's thread runs its apartment's calls while it waits; an MTA's blocks */
        *type = apt == APTTYPE_MTA ? THDTYPE_BLOCKMESSAGES : THDTYPE_PROCESSMESSAGES;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ti_get_logical(IComThreadingInfo *iface, GUID *id) {
        if (!id)
                return E_INVALIDARG;
        return com_logical_thread_id(id);
}

static HRESULT STDMETHODCALLTYPE ti_set_logical(IComThreadingInfo *iface, REFGUID id) {
        APTTYPEQUALIFIER q;
        APTTYPE apt;

        if (!id)
                return E_INVALIDARG;
        if (FAILED(CoGetApartmentType(&apt, &q)))
                return RPC_E_WRONG_THREAD;      /* "not executing in an apartment" */
        com_set_logical_thread_id(id);
        return S_OK;
}

static const IComThreadingInfoVtbl threading_vtbl = {
        ti_qi, ti_addref, ti_release, ti_apartment_type, ti_thread_type, ti_get_logical,
        ti_set_logical,
};

/* --- IContextCallback ------------------------------------------------------------------------ */

struct ctxcall {
        struct com_apartment *apt;
        PFNCONTEXTCALL fn;
        ComCallData *param;
        HRESULT hr;
        HANDLE done;
};

/* On the apartment's own thread (an STA's queue). */
static void ctxcall_run(void *arg) {
        struct ctxcall *c = arg;

        /* (an STA that is ending runs what was posted with its apartment gone) */
        c->hr = com_current_apartment() == c->apt ? c->fn(c->param) : RPC_E_DISCONNECTED;
        SetEvent(c->done);
}

/* A thread that joins the MTA for the call -- the apartment's, if it still is. */
static void *ctxcall_mta(void *arg) {
        struct ctxcall *c = arg;

        if (SUCCEEDED(CoInitializeEx(NULL, COINIT_MULTITHREADED))) {
                c->hr = com_current_apartment() == c->apt ? c->fn(c->param) : RPC_E_DISCONNECTED;
                CoUninitialize();
        } else {
                c->hr = E_OUTOFMEMORY;
        }
        SetEvent(c->done);
        return NULL;
}

static HRESULT STDMETHODCALLTYPE cb_qi(IContextCallback *iface, REFIID riid, void **ppv) {
        return context_qi(from_callback(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE cb_addref(IContextCallback *iface) {
        return context_addref(from_callback(iface));
}

static ULONG STDMETHODCALLTYPE cb_release(IContextCallback *iface) {
        return context_release(from_callback(iface));
}

static HRESULT STDMETHODCALLTYPE cb_call(IContextCallback *iface, PFNCONTEXTCALL fn,
                                         ComCallData *param, REFIID riid, int method,
                                         IUnknown *unk) {
        struct com_apartment *a = from_callback(iface), *own;
        struct ctxcall c = { a, fn, param, S_OK, NULL };
        DWORD idx;
        pthread_t t;
        int r;

        if (!fn)
                return E_INVALIDARG;
        own = com_apartment_get();
        /* riid, method: the call the callback stands for (COM+ interception, none here) */
        (void)riid;
        (void)method;
        (void)unk;
        if (own == a) {                 /* already there */
                com_apartment_release(own);
                return fn(param);
        }
        com_apartment_release(own);
        if (!(c.done = CreateEventW(NULL, TRUE, FALSE, NULL)))
                return E_OUTOFMEMORY;
        if (a->type == APTTYPE_MTA) {
                r = pthread_create(&t, NULL, ctxcall_mta, &c);
                if (r == 0)
                        pthread_detach(t);
        } else {
                r = com_apartment_post(a, ctxcall_run, &c);
        }
        if (r != 0) {
                CloseHandle(c.done);
                return r == -ESHUTDOWN ? RPC_E_DISCONNECTED : E_OUTOFMEMORY;
        }
        /* an STA caller keeps running its own apartment's calls meanwhile; c is the
           callback's until it is done, whatever the wait says */
        while (CoWaitForMultipleHandles(0, INFINITE, 1, &c.done, &idx) != S_OK)
                usleep(1000);
        CloseHandle(c.done);
        return c.hr;
}

static const IContextCallbackVtbl callback_vtbl = { cb_qi, cb_addref, cb_release, cb_call };

void com_context_init(struct com_apartment *a) {
        a->context.threading = &threading_vtbl;
        a->context.callback = &callback_vtbl;
}

/*
 * learn.microsoft.com, CoDisconnectContext: "the default context cannot be disconnected"
 * (CO_E_NOTSUPPORTED).  Here every apartment is its own default context, and there is no
 * other kind; CoDisconnectObject disconnects objects one by one.
 */
HRESULT WINAPI CoDisconnectContext(DWORD dwTimeout) {
        struct com_apartment *a = com_apartment_get();

        (void)dwTimeout;
        if (!a)
                return CO_E_NOTINITIALIZED;
        com_apartment_release(a);
        return CO_E_NOT_SUPPORTED;
}

HRESULT WINAPI CoGetObjectContext(REFIID riid, void **ppv) {
        struct com_apartment *a;
        HRESULT hr;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (!riid)
                return E_INVALIDARG;
        if (!(a = com_apartment_get()))
                return CO_E_NOTINITIALIZED;
        hr = context_qi(a, riid, ppv);
        com_apartment_release(a);
        return hr;
}

HRESULT WINAPI CoGetContextToken(ULONG_PTR *token) {
        struct com_apartment *a;

        if (!token)
                return E_POINTER;
        if (!(a = com_apartment_get())) {
                *token = 0;
                return CO_E_NOTINITIALIZED;
        }
        /* the context's IUnknown, not referenced: valid while the apartment is */
        *token = (ULONG_PTR)&a->context.threading;
        com_apartment_release(a);
        return S_OK;
}
