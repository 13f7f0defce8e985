/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The free-threaded marshaler (src/com/ftm.c): an object aggregating it is handed to
 * other apartments of the process as itself -- through CoMarshalInterThreadInterfaceInStream,
 * the Global Interface Table and CoMarshalInterface(MSHCTX_INPROC) -- with each marshal
 * flag's references, and the standard way anywhere else; its data is refused when it is
 * not this process's (a forged secret, a forged address) and whenever a peer sent it.
 * Against what Wine's conformance tests record for Windows (dlls/ole32/tests/marshal.c,
 * test_freethreadedmarshaler: the unmarshal class, the size, the references).
 */
#define COBJMACROS

#include <pthread.h>
#include <stdatomic.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "rpcss-run.h"
#include "test.h"

/* --- an object that aggregates the marshaler: an IClassFactory (proxies built in) ------- */

struct obj {
        IClassFactory IClassFactory_iface;
        atomic_int refs;
        IUnknown *ftm;                  /* the marshaler's own IUnknown */
};

static struct obj *impl(IClassFactory *iface) {
        return CONTAINING_RECORD(iface, struct obj, IClassFactory_iface);
}

static HRESULT STDMETHODCALLTYPE o_qi(IClassFactory *iface, REFIID riid, void **ppv) {
        struct obj *o = impl(iface);

        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                atomic_fetch_add(&o->refs, 1);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_IMarshal))
                return IUnknown_QueryInterface(o->ftm, riid, ppv);
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_addref(IClassFactory *iface) {
        return (ULONG)atomic_fetch_add(&impl(iface)->refs, 1) + 1;
}

/* The object is the test's: its last reference frees nothing. */
static ULONG STDMETHODCALLTYPE o_release(IClassFactory *iface) {
        return (ULONG)atomic_fetch_sub(&impl(iface)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE o_create(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                          void **ppv) {
        *ppv = NULL;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_lock(IClassFactory *iface, BOOL lock) {
        return S_OK;
}

static const IClassFactoryVtbl obj_vtbl = { o_qi, o_addref, o_release, o_create, o_lock };

static void obj_init(struct obj *o) {
        o->IClassFactory_iface.lpVtbl = &obj_vtbl;
        atomic_init(&o->refs, 1);
        ASSERT_HR_EQ(CoCreateFreeThreadedMarshaler((IUnknown *)&o->IClassFactory_iface, &o->ftm), S_OK);
        ASSERT_NOT_NULL(o->ftm);
}

static void obj_done(struct obj *o) {
        ASSERT_EQ(IUnknown_Release(o->ftm), 0u);
        ASSERT_EQ(atomic_load(&o->refs), 1);
}

static int refs(struct obj *o) {
        return atomic_load(&o->refs);
}

static IStream *new_stream(void) {
        IStream *s = NULL;

        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &s), S_OK);
        return s;
}

static void rewind_stream(IStream *s) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_HR_EQ(IStream_Seek(s, zero, STREAM_SEEK_SET, NULL), S_OK);
}

/* The stream's bytes (at most n). */
static ULONG stream_bytes(IStream *s, uint8_t *out, ULONG n) {
        ULONG got = 0;

        rewind_stream(s);
        ASSERT_HR_EQ(IStream_Read(s, out, n, &got), S_OK);
        return got;
}

static IStream *stream_of(const uint8_t *p, ULONG n) {
        IStream *s = new_stream();

        ASSERT_HR_EQ(IStream_Write(s, p, n, NULL), S_OK);
        rewind_stream(s);
        return s;
}

/* --- the cases -------------------------------------------------------------------------- */

TEST(aggregated_marshaler) {
        struct obj o;
        IMarshal *m;
        CLSID clsid;
        DWORD size;
        ULONG n;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        obj_init(&o);
        ASSERT_HR_EQ(IClassFactory_QueryInterface(&o.IClassFactory_iface, &IID_IMarshal, (void **)&m), S_OK);
        /* its IUnknown is the object's */
        ASSERT_EQ(refs(&o), 2);
        IUnknown *unk = NULL;
        ASSERT_HR_EQ(IMarshal_QueryInterface(m, &IID_IUnknown, (void **)&unk), S_OK);
        ASSERT_TRUE(unk == (IUnknown *)&o.IClassFactory_iface);
        IUnknown_Release(unk);

        ASSERT_HR_EQ(IMarshal_GetUnmarshalClass(m, &IID_IClassFactory, &o.IClassFactory_iface,
                                                MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL, &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_InProcFreeMarshaler));
        ASSERT_HR_EQ(IMarshal_GetUnmarshalClass(m, &IID_IClassFactory, &o.IClassFactory_iface,
                                                MSHCTX_CROSSCTX, NULL, MSHLFLAGS_NORMAL, &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_InProcFreeMarshaler));
        ASSERT_HR_EQ(IMarshal_GetUnmarshalClass(m, &IID_IClassFactory, &o.IClassFactory_iface,
                                                MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL, &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_StdMarshal));
        ASSERT_HR_EQ(IMarshal_GetUnmarshalClass(m, &IID_IClassFactory, &o.IClassFactory_iface,
                                                MSHCTX_DIFFERENTMACHINE, NULL, MSHLFLAGS_NORMAL, &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_StdMarshal));
        /* Windows: 28 bytes in process (Wine's test_freethreadedmarshaler) */
        ASSERT_HR_EQ(IMarshal_GetMarshalSizeMax(m, &IID_IClassFactory, &o.IClassFactory_iface,
                                                MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL, &size), S_OK);
        ASSERT_EQ(size, 28u);
        ASSERT_HR_EQ(CoGetMarshalSizeMax(&n, &IID_IClassFactory, (IUnknown *)&o.IClassFactory_iface,
                                         MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL), S_OK);
        ASSERT_GE(n, 28u + 40u);
        ASSERT_HR_EQ(IMarshal_DisconnectObject(m, 0), S_OK);
        IMarshal_Release(m);
        ASSERT_EQ(refs(&o), 1);

        /* without an outer object it is an object of its own */
        IUnknown *alone;
        ASSERT_HR_EQ(CoCreateFreeThreadedMarshaler(NULL, &alone), S_OK);
        ASSERT_HR_EQ(IUnknown_QueryInterface(alone, &IID_IMarshal, (void **)&m), S_OK);
        ASSERT_HR_EQ(IMarshal_QueryInterface(m, &IID_IUnknown, (void **)&unk), S_OK);
        ASSERT_TRUE(unk == alone);
        IUnknown_Release(unk);
        IMarshal_Release(m);
        ASSERT_EQ(IUnknown_Release(alone), 0u);
        ASSERT_HR_EQ(CoCreateFreeThreadedMarshaler(NULL, NULL), E_INVALIDARG);
        obj_done(&o);
        CoUninitialize();
}

/* Each marshal flag's references: NORMAL holds one until unmarshaled or released,
   TABLESTRONG one until released (each unmarshal takes its own), TABLEWEAK none. */
TEST(references_by_flag) {
        struct obj o;
        IClassFactory *cf;
        IStream *s;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        obj_init(&o);

        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IClassFactory, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL), S_OK);
        ASSERT_EQ(refs(&o), 2);
        rewind_stream(s);
        ASSERT_HR_EQ(CoUnmarshalInterface(s, &IID_IClassFactory, (void **)&cf), S_OK);
        ASSERT_TRUE(cf == &o.IClassFactory_iface);     /* the object itself: no proxy */
        ASSERT_EQ(refs(&o), 2);
        /* NORMAL data is used up: a second unmarshal of the same bytes is refused (its
           reference was handed over already) */
        IUnknown *again = NULL;
        rewind_stream(s);
        ASSERT_HR_EQ(CoUnmarshalInterface(s, &IID_IClassFactory, (void **)&again), CO_E_OBJNOTCONNECTED);
        ASSERT_NULL(again);
        IClassFactory_Release(cf);
        ASSERT_EQ(refs(&o), 1);
        IStream_Release(s);

        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IClassFactory, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL), S_OK);
        rewind_stream(s);
        ASSERT_HR_EQ(CoReleaseMarshalData(s), S_OK);
        ASSERT_EQ(refs(&o), 1);
        IStream_Release(s);

        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IUnknown, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG), S_OK);
        ASSERT_EQ(refs(&o), 2);
        for (int i = 0; i < 2; i++) {
                IUnknown *unk;
                rewind_stream(s);
                ASSERT_HR_EQ(CoUnmarshalInterface(s, &IID_IClassFactory, (void **)&unk), S_OK);
                ASSERT_TRUE(unk == (IUnknown *)&o.IClassFactory_iface);
                ASSERT_EQ(refs(&o), 3);
                IUnknown_Release(unk);
        }
        rewind_stream(s);
        ASSERT_HR_EQ(CoReleaseMarshalData(s), S_OK);
        ASSERT_EQ(refs(&o), 1);
        IStream_Release(s);

        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IClassFactory, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_TABLEWEAK), S_OK);
        ASSERT_EQ(refs(&o), 1);
        rewind_stream(s);
        ASSERT_HR_EQ(CoUnmarshalInterface(s, &IID_IClassFactory, (void **)&cf), S_OK);
        ASSERT_EQ(refs(&o), 2);
        IClassFactory_Release(cf);
        rewind_stream(s);
        ASSERT_HR_EQ(CoReleaseMarshalData(s), S_OK);
        ASSERT_EQ(refs(&o), 1);
        IStream_Release(s);

        /* an interface the object does not have: refused at marshal, nothing held */
        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IStream, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL), E_NOINTERFACE);
        ASSERT_EQ(refs(&o), 1);
        IStream_Release(s);
        obj_done(&o);
        CoUninitialize();
}

/* --- across apartments: the pointer itself arrives in an STA ----------------------------- */

struct sta_job {
        IStream *stm;                   /* CoMarshalInterThreadInterfaceInStream's */
        DWORD cookie;                   /* the GIT's */
        IClassFactory *want;
        HRESULT hr_stream, hr_git;
        bool same_stream, same_git;
};

static void *sta_main(void *arg) {
        struct sta_job *j = arg;
        IGlobalInterfaceTable *git;
        IClassFactory *cf = NULL;

        if (FAILED(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED)))
                return NULL;
        j->hr_stream = CoGetInterfaceAndReleaseStream(j->stm, &IID_IClassFactory, (void **)&cf);
        j->same_stream = cf == j->want;
        if (cf)
                IClassFactory_Release(cf);
        cf = NULL;
        j->hr_git = CoCreateInstance(&CLSID_StdGlobalInterfaceTable, NULL, CLSCTX_INPROC_SERVER,
                                     &IID_IGlobalInterfaceTable, (void **)&git);
        if (SUCCEEDED(j->hr_git)) {
                j->hr_git = IGlobalInterfaceTable_GetInterfaceFromGlobal(git, j->cookie,
                                                                         &IID_IClassFactory, (void **)&cf);
                j->same_git = cf == j->want;
                if (cf)
                        IClassFactory_Release(cf);
                IGlobalInterfaceTable_Release(git);
        }
        CoUninitialize();
        return NULL;
}

TEST(another_apartment_gets_the_object) {
        struct obj o;
        struct sta_job j = { 0 };
        IGlobalInterfaceTable *git;
        pthread_t t;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        obj_init(&o);
        j.want = &o.IClassFactory_iface;
        ASSERT_HR_EQ(CoMarshalInterThreadInterfaceInStream(&IID_IClassFactory,
                                                           (IUnknown *)&o.IClassFactory_iface, &j.stm), S_OK);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_StdGlobalInterfaceTable, NULL, CLSCTX_INPROC_SERVER,
                                      &IID_IGlobalInterfaceTable, (void **)&git), S_OK);
        ASSERT_HR_EQ(IGlobalInterfaceTable_RegisterInterfaceInGlobal(git, (IUnknown *)&o.IClassFactory_iface,
                                                                     &IID_IClassFactory, &j.cookie), S_OK);
        ASSERT_EQ(pthread_create(&t, NULL, sta_main, &j), 0);
        ASSERT_EQ(pthread_join(t, NULL), 0);
        ASSERT_HR_EQ(j.hr_stream, S_OK);
        ASSERT_TRUE(j.same_stream);
        ASSERT_HR_EQ(j.hr_git, S_OK);
        ASSERT_TRUE(j.same_git);
        ASSERT_HR_EQ(IGlobalInterfaceTable_RevokeInterfaceFromGlobal(git, j.cookie), S_OK);
        IGlobalInterfaceTable_Release(git);
        ASSERT_EQ(refs(&o), 1);
        obj_done(&o);
        CoUninitialize();
}

/* --- data that is not this process's ----------------------------------------------------- */

TEST(forged_data_refused) {
        struct obj o;
        uint8_t bytes[256];
        IStream *s;
        IUnknown *unk = NULL;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        obj_init(&o);
        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IClassFactory, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG), S_OK);
        ULONG n = stream_bytes(s, bytes, sizeof bytes);
        /* the OBJREF_CUSTOM (24 + 24 bytes) and the 28 bytes of data */
        ASSERT_EQ(n, 48u + 28u);
        ASSERT_EQ(bytes[4], 4);                         /* OBJREF_CUSTOM */
        GUID clsid;
        memcpy(&clsid, bytes + 24, sizeof clsid);       /* a little-endian machine's layout */
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_InProcFreeMarshaler));
        ASSERT_EQ(bytes[48], MSHLFLAGS_TABLESTRONG);

        /* another secret: refused, nothing called */
        uint8_t forged[sizeof bytes];
        memcpy(forged, bytes, n);
        forged[48 + 12] ^= 1;
        IStream *f = stream_of(forged, n);
        ASSERT_HR_EQ(CoUnmarshalInterface(f, &IID_IUnknown, (void **)&unk), CO_E_OBJNOTCONNECTED);
        ASSERT_NULL(unk);
        rewind_stream(f);
        ASSERT_HR_EQ(CoReleaseMarshalData(f), CO_E_OBJNOTCONNECTED);
        IStream_Release(f);
        /* an address of someone's choosing with a wrong secret: refused before it is read */
        memcpy(forged, bytes, n);
        memset(forged + 48 + 4, 0x41, 8);
        memset(forged + 48 + 12, 0, 16);
        f = stream_of(forged, n);
        ASSERT_HR_EQ(CoUnmarshalInterface(f, &IID_IUnknown, (void **)&unk), CO_E_OBJNOTCONNECTED);
        IStream_Release(f);
        /* the secret with an address this process did not hand out (what a fuzzer that
           sees memcmp's operands, or code that read the secret, could make): refused
           before the address is used */
        memcpy(forged, bytes, n);
        memset(forged + 48 + 4, 0x41, 6);
        f = stream_of(forged, n);
        ASSERT_HR_EQ(CoUnmarshalInterface(f, &IID_IUnknown, (void **)&unk), CO_E_OBJNOTCONNECTED);
        ASSERT_NULL(unk);
        rewind_stream(f);
        ASSERT_HR_EQ(CoReleaseMarshalData(f), CO_E_OBJNOTCONNECTED);
        IStream_Release(f);
        /* cut short */
        f = stream_of(bytes, n - 1);
        ASSERT_TRUE(FAILED(CoUnmarshalInterface(f, &IID_IUnknown, (void **)&unk)));
        ASSERT_NULL(unk);
        IStream_Release(f);

        /* this process's own data, as a peer's: refused (a peer must never name an
           address), whatever the registry says */
        f = stream_of(bytes, n);
        ASSERT_HR_EQ(com_unmarshal_from_peer(f, &IID_IUnknown, (void **)&unk), E_ACCESSDENIED);
        ASSERT_NULL(unk);
        IStream_Release(f);
        ASSERT_EQ(refs(&o), 2);

        rewind_stream(s);
        ASSERT_HR_EQ(CoReleaseMarshalData(s), S_OK);
        IStream_Release(s);
        ASSERT_EQ(refs(&o), 1);
        obj_done(&o);
        CoUninitialize();
}

/* Marshaled for another process: the standard marshaler's OBJREF, called through a proxy
   (here the exporter's own unmarshal in process). */
TEST(other_processes_get_the_standard_marshal) {
        struct obj o;
        uint8_t bytes[1024];
        IStream *s;

        rpcss_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        obj_init(&o);
        s = new_stream();
        ASSERT_HR_EQ(CoMarshalInterface(s, &IID_IClassFactory, (IUnknown *)&o.IClassFactory_iface,
                                        MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL), S_OK);
        ULONG n = stream_bytes(s, bytes, sizeof bytes);
        ASSERT_GT(n, 24u);
        ASSERT_EQ(bytes[4], 1);                         /* OBJREF_STANDARD */
        rewind_stream(s);
        ASSERT_HR_EQ(CoReleaseMarshalData(s), S_OK);
        IStream_Release(s);

        /* an activation's reply is marshaled for another process whatever context the
           request names: asked for MSHCTX_INPROC (the object's address, the process's
           secret), the server refuses (rpcss also names the context itself) */
        static const CLSID clsid = { 0x3f1a2b3c, 0x4d5e, 0x4f60, { 1, 2, 3, 4, 5, 6, 7, 8 } };
        DWORD cookie;
        HRESULT res = S_OK;
        uint8_t *blob = NULL;
        size_t blob_len = 0;
        ASSERT_HR_EQ(CoRegisterClassObject(&clsid, (IUnknown *)&o.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &cookie), S_OK);
        for (DWORD dest = MSHCTX_INPROC; dest <= MSHCTX_CROSSCTX; dest++) {
                HRESULT hr = com_class_table_activate(cookie, &clsid, true, dest, 1, &IID_IClassFactory,
                                                      &res, &blob, &blob_len);
                ASSERT_TRUE(FAILED(hr) || FAILED(res));
                ASSERT_NULL(blob);
        }
        ASSERT_HR_EQ(com_class_table_activate(cookie, &clsid, true, MSHCTX_LOCAL, 1, &IID_IClassFactory,
                                              &res, &blob, &blob_len), S_OK);
        ASSERT_HR_EQ(res, S_OK);
        ASSERT_NOT_NULL(blob);
        ASSERT_GT(blob_len, 24u);
        ASSERT_EQ(blob[4], 1);                          /* OBJREF_STANDARD */
        s = stream_of(blob, (ULONG)blob_len);
        ASSERT_HR_EQ(CoReleaseMarshalData(s), S_OK);
        IStream_Release(s);
        free(blob);
        ASSERT_HR_EQ(CoRevokeClassObject(cookie), S_OK);

        ASSERT_HR_EQ(CoDisconnectObject((IUnknown *)&o.IClassFactory_iface, 0), S_OK);
        CoUninitialize();
        ASSERT_EQ(refs(&o), 1);
        obj_done(&o);
        rpcss_stop();
}
