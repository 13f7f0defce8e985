/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The free-threaded marshaler (CoCreateFreeThreadedMarshaler, CLSID_InProcFreeMarshaler):
 * an IMarshal an object aggregates to say "any thread of this process may call me
 * directly".  Marshaled for another apartment of the process (MSHCTX_INPROC, and
 * MSHCTX_CROSSCTX) it writes the interface pointer itself, which unmarshals to the same
 * pointer -- no proxy; for any other destination it hands the object to the standard
 * marshaler, as Windows' does (learn.microsoft.com, "CoCreateFreeThreadedMarshaler").
 *
 * The data, in an OBJREF_CUSTOM naming CLSID_InProcFreeMarshaler: the marshal flags (4
 * bytes), the pointer (8), and 16 bytes that Windows leaves to the implementation -- here
 * a secret drawn once per process.  Whoever unmarshals a pointer must be this process:
 * the data carries an address, so the unmarshaler refuses data without the secret, and
 * an address this process's marshaler did not hand out in data still outstanding (a
 * table of them, counted); CoUnmarshalInterface refuses this class outright in what a
 * peer sent (marshal.c): a remote caller must never name an address to be called
 * through.
 *
 * References: MSHLFLAGS_NORMAL data holds one, handed over by the unmarshal (or given
 * back by CoReleaseMarshalData); TABLESTRONG data holds one until CoReleaseMarshalData,
 * each unmarshal taking one of its own; TABLEWEAK data holds none (the object must live
 * while the table entry does, as with the standard marshaler's weak entries).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "com/com-internal.h"
#include "com/remote-internal.h"

static LOG_CHANNEL(com);

/* 0000033A-0000-0000-C000-000000000046 */
DCOM_EXPORT const CLSID CLSID_InProcFreeMarshaler = {
        0x0000033a, 0x0000, 0x0000, { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 }
};

#define FTM_DATA_SIZE 28        /* flags, pointer, secret */

static uint8_t secret[16];
static bool secret_ok;
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;

static void secret_init(void) {
        size_t got = 0;

        while (got < sizeof secret) {
                ssize_t n = getrandom(secret + got, sizeof secret - got, 0);
                if (n < 0 && errno != EINTR)
                        return;
                if (n > 0)
                        got += (size_t)n;
        }
        secret_ok = true;
}

/* The addresses in data outstanding: marshaled, not yet unmarshaled (NORMAL) or released. */
#define LIVE_BUCKETS 64

struct live {
        struct live *next;
        uint64_t addr;
        unsigned long n;                /* data outstanding with it */
};

static struct live *live[LIVE_BUCKETS];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static struct live **live_find_locked(uint64_t addr) {
        struct live **pp = &live[(addr >> 4 ^ addr >> 12) % LIVE_BUCKETS];

        while (*pp && (*pp)->addr != addr)
                pp = &(*pp)->next;
        return pp;
}

static bool live_add(uint64_t addr) {
        pthread_mutex_lock(&live_lock);
        struct live **pp = live_find_locked(addr);
        if (!*pp && (*pp = calloc(1, sizeof **pp)))
                (*pp)->addr = addr;
        bool ok = *pp != NULL;
        if (ok)
                (*pp)->n++;
        pthread_mutex_unlock(&live_lock);
        return ok;
}

/* Whether addr is in data outstanding; take: that data is used up (one count less). */
static bool live_check(uint64_t addr, bool take) {
        pthread_mutex_lock(&live_lock);
        struct live **pp = live_find_locked(addr), *l = *pp;
        if (l && take && --l->n == 0) {
                *pp = l->next;
                free(l);
        }
        pthread_mutex_unlock(&live_lock);
        return l != NULL;
}

/*
 * An IMarshal aggregated into an object (the free-threaded marshaler here,
 * CoGetStdMarshalEx's standard marshaler in marshal.c): the non-delegating IUnknown the
 * outer object holds, and an IMarshal whose IUnknown methods are the outer object's (COM's
 * aggregation rule).  The aggregate holds no reference on its outer object; without one
 * (outer NULL) it is its own.
 */
static struct com_marshal_agg *agg_from_inner(IUnknown *iface) {
        return CONTAINING_RECORD(iface, struct com_marshal_agg, inner);
}

struct com_marshal_agg *com_marshal_agg_of(IMarshal *iface) {
        return CONTAINING_RECORD(iface, struct com_marshal_agg, IMarshal_iface);
}

static HRESULT STDMETHODCALLTYPE inner_QueryInterface(IUnknown *iface, REFIID riid, void **ppv) {
        struct com_marshal_agg *a = agg_from_inner(iface);

        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown))
                *ppv = &a->inner;
        else if (IsEqualIID(riid, &IID_IMarshal))
                *ppv = &a->IMarshal_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        ((IUnknown *)*ppv)->lpVtbl->AddRef((IUnknown *)*ppv);
        return S_OK;
}

static ULONG STDMETHODCALLTYPE inner_AddRef(IUnknown *iface) {
        return atomic_fetch_add(&agg_from_inner(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE inner_Release(IUnknown *iface) {
        struct com_marshal_agg *a = agg_from_inner(iface);
        ULONG r = atomic_fetch_sub(&a->refs, 1) - 1;

        if (!r)
                free(a);
        return r;
}

static const IUnknownVtbl inner_vtbl = { inner_QueryInterface, inner_AddRef, inner_Release };

HRESULT STDMETHODCALLTYPE com_marshal_agg_QueryInterface(IMarshal *iface, REFIID riid, void **ppv) {
        IUnknown *outer = com_marshal_agg_of(iface)->outer;
        return outer->lpVtbl->QueryInterface(outer, riid, ppv);
}

ULONG STDMETHODCALLTYPE com_marshal_agg_AddRef(IMarshal *iface) {
        IUnknown *outer = com_marshal_agg_of(iface)->outer;
        return outer->lpVtbl->AddRef(outer);
}

ULONG STDMETHODCALLTYPE com_marshal_agg_Release(IMarshal *iface) {
        IUnknown *outer = com_marshal_agg_of(iface)->outer;
        return outer->lpVtbl->Release(outer);
}

HRESULT com_marshal_agg_new(const IMarshalVtbl *vtbl, IUnknown *outer, IUnknown **ret) {
        struct com_marshal_agg *a;

        *ret = NULL;
        if (!(a = calloc(1, sizeof *a)))
                return E_OUTOFMEMORY;
        a->inner.lpVtbl = &inner_vtbl;
        a->IMarshal_iface.lpVtbl = vtbl;
        atomic_init(&a->refs, 1);
        a->outer = outer ? outer : &a->inner;
        *ret = &a->inner;
        return S_OK;
}

/* --- the free-threaded marshaler ----------------------------------------------------------- */

static bool in_process(DWORD dest) {
        return dest == MSHCTX_INPROC || dest == MSHCTX_CROSSCTX;
}

static HRESULT STDMETHODCALLTYPE ftm_GetUnmarshalClass(IMarshal *iface, REFIID riid, void *pv,
                                                       DWORD dest, void *dest_data,
                                                       DWORD mshlflags, CLSID *clsid) {
        if (!clsid)
                return E_POINTER;
        *clsid = in_process(dest) ? CLSID_InProcFreeMarshaler : CLSID_StdMarshal;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ftm_GetMarshalSizeMax(IMarshal *iface, REFIID riid, void *pv,
                                                       DWORD dest, void *dest_data,
                                                       DWORD mshlflags, DWORD *size) {
        IMarshal *std;
        HRESULT hr;

        if (!size)
                return E_POINTER;
        if (in_process(dest)) {
                *size = FTM_DATA_SIZE;
                return S_OK;
        }
        if (FAILED(hr = CoGetStandardMarshal(riid, pv, dest, dest_data, mshlflags, &std)))
                return hr;
        hr = std->lpVtbl->GetMarshalSizeMax(std, riid, pv, dest, dest_data, mshlflags, size);
        std->lpVtbl->Release(std);
        return hr;
}

static HRESULT STDMETHODCALLTYPE ftm_MarshalInterface(IMarshal *iface, IStream *stm, REFIID riid,
                                                      void *pv, DWORD dest, void *dest_data,
                                                      DWORD mshlflags) {
        uint8_t data[FTM_DATA_SIZE];
        IUnknown *obj;
        IMarshal *std;
        HRESULT hr;

        if (!stm || !pv || !riid)
                return E_INVALIDARG;
        if (!in_process(dest)) {
                if (FAILED(hr = CoGetStandardMarshal(riid, pv, dest, dest_data, mshlflags, &std)))
                        return hr;
                hr = std->lpVtbl->MarshalInterface(std, stm, riid, pv, dest, dest_data, mshlflags);
                std->lpVtbl->Release(std);
                return hr;
        }
        pthread_once(&secret_once, secret_init);
        if (!secret_ok)
                return E_UNEXPECTED;
        if (FAILED(hr = ((IUnknown *)pv)->lpVtbl->QueryInterface(pv, riid, (void **)&obj)))
                return hr;
        uint64_t addr = (uint64_t)(uintptr_t)obj;
        dcom_put_le32(data, mshlflags);
        dcom_put_le64(data + 4, addr);
        memcpy(data + 12, secret, sizeof secret);
        if (!live_add(addr)) {
                obj->lpVtbl->Release(obj);
                return E_OUTOFMEMORY;
        }
        hr = stm->lpVtbl->Write(stm, data, sizeof data, NULL);
        if (FAILED(hr))
                live_check(addr, true);
        /* the data keeps the reference, but for a weak table entry */
        if (FAILED(hr) || (mshlflags & MSHLFLAGS_TABLEWEAK))
                obj->lpVtbl->Release(obj);
        return FAILED(hr) ? STG_E_MEDIUMFULL : S_OK;
}

/* The data from the stream, checked: this process's, and an address it handed out in
   data still outstanding.  A release uses the data up, and so does the unmarshal of
   NORMAL data (table data stays for more). */
static HRESULT read_data(IStream *stm, bool release, DWORD *ret_flags, IUnknown **ret_obj) {
        uint8_t data[FTM_DATA_SIZE];
        ULONG got = 0;
        HRESULT hr;

        if (!stm)
                return E_INVALIDARG;
        hr = stm->lpVtbl->Read(stm, data, sizeof data, &got);
        if (FAILED(hr) || got != sizeof data)
                return STG_E_READFAULT;
        pthread_once(&secret_once, secret_init);
        uint64_t addr = dcom_get_le64(data + 4);
        DWORD flags = dcom_get_le32(data);
        if (!secret_ok || memcmp(data + 12, secret, sizeof secret) != 0 || !addr ||
            (uint64_t)(uintptr_t)addr != addr) {
                log_debug(com, "free-threaded marshal data not made by this process: refused");
                return CO_E_OBJNOTCONNECTED;
        }
        bool table = flags & (MSHLFLAGS_TABLESTRONG | MSHLFLAGS_TABLEWEAK);
        if (!live_check(addr, release || !table)) {
                log_debug(com, "free-threaded marshal data with an address not handed out: refused");
                return CO_E_OBJNOTCONNECTED;
        }
        *ret_flags = flags;
        *ret_obj = (IUnknown *)(uintptr_t)addr;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ftm_UnmarshalInterface(IMarshal *iface, IStream *stm, REFIID riid,
                                                        void **ppv) {
        IUnknown *obj;
        DWORD flags;
        HRESULT hr;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (FAILED(hr = read_data(stm, false, &flags, &obj)))
                return hr;
        hr = obj->lpVtbl->QueryInterface(obj, riid ? riid : &IID_IUnknown, ppv);
        /* normal data hands its reference over with the pointer */
        if (!(flags & (MSHLFLAGS_TABLESTRONG | MSHLFLAGS_TABLEWEAK)))
                obj->lpVtbl->Release(obj);
        return hr;
}

static HRESULT STDMETHODCALLTYPE ftm_ReleaseMarshalData(IMarshal *iface, IStream *stm) {
        IUnknown *obj;
        DWORD flags;
        HRESULT hr;

        if (FAILED(hr = read_data(stm, true, &flags, &obj)))
                return hr;
        if (!(flags & MSHLFLAGS_TABLEWEAK))
                obj->lpVtbl->Release(obj);
        return S_OK;
}

/* In process nothing is exported; what the standard marshaler exported for other
   processes is cut off as CoDisconnectObject does it for any object. */
static HRESULT STDMETHODCALLTYPE ftm_DisconnectObject(IMarshal *iface, DWORD reserved) {
        struct com_marshal_agg *a = com_marshal_agg_of(iface);

        return a->outer != &a->inner ? com_export_disconnect(a->outer) : S_OK;
}

static const IMarshalVtbl ftm_vtbl = {
        com_marshal_agg_QueryInterface, com_marshal_agg_AddRef, com_marshal_agg_Release,
        ftm_GetUnmarshalClass, ftm_GetMarshalSizeMax,
        ftm_MarshalInterface, ftm_UnmarshalInterface, ftm_ReleaseMarshalData, ftm_DisconnectObject,
};

HRESULT WINAPI CoCreateFreeThreadedMarshaler(IUnknown *outer, IUnknown **ret) {
        if (!ret)
                return E_INVALIDARG;
        return com_marshal_agg_new(&ftm_vtbl, outer, ret);
}

/* An instance of CLSID_InProcFreeMarshaler (the built-in factory's, git.c): an unmarshaler. */
HRESULT com_ftm_create(const IID *riid, void **ppv) {
        IUnknown *unk;
        HRESULT hr;

        if (FAILED(hr = CoCreateFreeThreadedMarshaler(NULL, &unk)))
                return hr;
        hr = unk->lpVtbl->QueryInterface(unk, riid, ppv);
        unk->lpVtbl->Release(unk);
        return hr;
}
