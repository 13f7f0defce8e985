/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * COM remoting end to end: OBJREFs both ways (every truncation refused), an object in an
 * STA called from the MTA through a proxy (the call runs on the STA's thread), and an
 * object in another process (with the real rpcss resolving its OXID) called through a
 * proxy over ncalrpc and over TCP: methods with strings and arrays, remote
 * QueryInterface, COM identity across unmarshals, references given back when the last
 * proxy goes, CoDisconnectObject (RPC_E_DISCONNECTED), a server that dies.
 */
#define COBJMACROS
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <objbase.h>
#include <sddl.h>

#include "com/objref.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "orpc_stub.h"
#include "rpc/auth/accounts.h"
#include "com/remote-internal.h"
#include "obj_stub.h"
#include "remote_stub.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

/* A short ping period for every process of the test (rpcss, servers, clients): the
   period is read once per process. */
__attribute__((constructor)) static void short_ping_period(void) {
        setenv("OPENDCOM_PING_PERIOD_MS", "200", 0);
}

static uint64_t test_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- OBJREF and DUALSTRINGARRAY ------------------------------------------------------------ */

static DUALSTRINGARRAY *sample_dsa(void) {
        struct dsa_builder b;
        DUALSTRINGARRAY *d = NULL;

        dsa_builder_init(&b);
        ASSERT_OK(dsa_builder_add_string(&b, DSA_TOWER_TCP, "127.0.0.1[1234]"));
        ASSERT_OK(dsa_builder_add_string(&b, DSA_TOWER_TCP, "host.example"));
        ASSERT_OK(dsa_builder_add_security(&b, 10, ""));
        ASSERT_OK(dsa_builder_add_security(&b, 16, "host/x@R"));
        ASSERT_OK(dsa_builder_finish(&b, &d));
        return d;
}

TEST(dsa_build_and_read) {
        DUALSTRINGARRAY *d = sample_dsa(), *e = NULL;
        char s[64];
        uint16_t t;
        struct dsa_builder b;

        ASSERT_OK(dsa_check(d));
        ASSERT_OK(dsa_string_binding(d, 0, &t, s, sizeof s));
        ASSERT_EQ(t, DSA_TOWER_TCP);
        ASSERT_STR_EQ(s, "127.0.0.1[1234]");
        ASSERT_OK(dsa_string_binding(d, 1, &t, s, sizeof s));
        ASSERT_STR_EQ(s, "host.example");
        ASSERT_EQ(dsa_string_binding(d, 2, &t, s, sizeof s), -ENOENT);
        ASSERT_OK(dsa_security_binding(d, 1, &t, s, sizeof s));
        ASSERT_EQ(t, 16);
        ASSERT_STR_EQ(s, "host/x@R");
        /* [MS-DCOM] 2.2.19: the security offset lies past the string part's double NUL */
        ASSERT_EQ(d->aStringArray[d->wSecurityOffset - 1], 0);
        ASSERT_EQ(d->aStringArray[d->wSecurityOffset - 2], 0);
        /* empty: two NULs each */
        dsa_builder_init(&b);
        ASSERT_OK(dsa_builder_finish(&b, &e));
        ASSERT_EQ(e->wNumEntries, 4);
        ASSERT_EQ(e->wSecurityOffset, 2);
        ASSERT_OK(dsa_check(e));
        /* a security offset past the end, or strings not terminated in their part */
        d->wSecurityOffset = d->wNumEntries;
        ASSERT_EQ(dsa_check(d), -EBADMSG);
        d->wSecurityOffset = 3;
        ASSERT_EQ(dsa_check(d), -EBADMSG);
        free(d);
        free(e);
}

static void roundtrip(struct objref *o) {
        struct buf b;
        struct objref p;
        size_t used;

        buf_init(&b, 0);
        ASSERT_OK(objref_write(&b, o));
        ASSERT_OK(objref_parse(b.data, b.len, &p, &used));
        ASSERT_EQ(used, b.len);
        ASSERT_EQ(p.flags, o->flags);
        ASSERT_TRUE(dcom_guid_equal(&p.iid, &o->iid));
        if (o->flags != OBJREF_CUSTOM) {
                ASSERT_EQ(p.std.oxid, o->std.oxid);
                ASSERT_EQ(p.std.oid, o->std.oid);
                ASSERT_EQ(p.std.cPublicRefs, o->std.cPublicRefs);
                ASSERT_TRUE(dcom_guid_equal(&p.std.ipid, &o->std.ipid));
                ASSERT_EQ(dsa_size(p.res), dsa_size(o->res));
                ASSERT_EQ(memcmp(p.res, o->res, dsa_size(o->res)), 0);
        }
        if (o->flags == OBJREF_CUSTOM || o->flags == OBJREF_EXTENDED) {
                ASSERT_EQ(p.data_len, o->data_len);
                ASSERT_EQ(memcmp(p.data, o->data, o->data_len), 0);
        }
        objref_clear(&p);
        /* every truncation is refused, never read past */
        for (size_t n = 0; n < b.len; n++) {
                uint8_t *cut = malloc(n ? n : 1);
                memcpy(cut, b.data, n);
                if (o->flags == OBJREF_CUSTOM && n >= 48)
                        ; /* the custom data runs to the end: any length of it parses */
                else
                        ASSERT_LT(objref_parse(cut, n, &p, NULL), 0);
                if (o->flags == OBJREF_CUSTOM && n >= 48)
                        objref_clear(&p);
                free(cut);
        }
        buf_free(&b);
}

TEST(objref_forms) {
        uint8_t data[5] = { 1, 2, 3, 4, 5 };
        struct objref o = {
                .flags = OBJREF_STANDARD, .iid = IID_IUnknown,
                .std = { 0, 5, 0x1122334455667788ull, 0x99aabbccddeeff00ull, { 1, 2, 3, { 4 } } },
        };

        o.res = sample_dsa();
        roundtrip(&o);
        o.flags = OBJREF_HANDLER;
        o.clsid = IID_IStream;
        roundtrip(&o);
        o.flags = OBJREF_EXTENDED;
        o.data = data;
        o.data_len = sizeof data;
        o.ext_id = IID_IMarshal;
        roundtrip(&o);
        o.flags = OBJREF_CUSTOM;
        roundtrip(&o);
        free(o.res);
}

TEST(objref_rejects) {
        uint8_t b[64] = { 0x4d, 0x45, 0x4f, 0x57, 1, 0, 0, 0 };
        struct objref o;

        /* GUID_NULL iid, a bad signature, an unknown form */
        ASSERT_EQ(objref_parse(b, sizeof b, &o, NULL), -EBADMSG);
        b[8] = 1;
        b[0] = 0;
        ASSERT_EQ(objref_parse(b, sizeof b, &o, NULL), -EBADMSG);
        b[0] = 0x4d;
        b[4] = 0x10;
        ASSERT_EQ(objref_parse(b, sizeof b, &o, NULL), -EPROTONOSUPPORT);
        /* a DUALSTRINGARRAY claiming more than is there */
        b[4] = 1;
        b[64 - 24 + 0] = 0;
        memset(b + 24, 0, 40);
        ASSERT_LT(objref_parse(b, sizeof b, &o, NULL), 0);
}

/* --- an object ------------------------------------------------------------------------------ */

struct obj {
        IObjTest2 IObjTest2_iface;
        atomic_int refs;
        LONG value;
        pthread_t last_thread;
        atomic_int calls;
        /* an STA object: its IUnknown methods must run on its thread only */
        bool check_home;
        pthread_t home;
        atomic_int foreign;
        /* with a handler: IStdMarshalInfo names it (NULL: GetClassForHandler fails) */
        IStdMarshalInfo IStdMarshalInfo_iface;
        bool has_info;
        const CLSID *handler;
        IUnknown *ftm;                  /* the free-threaded marshaler it aggregates, or NULL */
        /* with IExternalConnection: what COM told it */
        IExternalConnection IExternalConnection_iface;
        bool has_extconn;
        atomic_int connections, ext_adds, ext_releases;
        atomic_int ext_min, ext_max;            /* the count's extremes as told */
        atomic_int last_closes;                 /* -1: never told */
};

static void home_check(IObjTest2 *This);

static struct obj *impl(IObjTest2 *i) {
        return (struct obj *)i;
}

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        home_check(This);
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2)) {
                *ppv = This;
                atomic_fetch_add(&impl(This)->refs, 1);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_IStdMarshalInfo) && impl(This)->has_info) {
                *ppv = &impl(This)->IStdMarshalInfo_iface;
                atomic_fetch_add(&impl(This)->refs, 1);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_IExternalConnection) && impl(This)->has_extconn) {
                *ppv = &impl(This)->IExternalConnection_iface;
                atomic_fetch_add(&impl(This)->refs, 1);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_IMarshal) && impl(This)->ftm)
                return IUnknown_QueryInterface(impl(This)->ftm, riid, ppv);
        *ppv = NULL;
        return E_NOINTERFACE;
}

static void home_check(IObjTest2 *This) {
        struct obj *o = impl(This);
        if (o->check_home && !pthread_equal(pthread_self(), o->home))
                atomic_fetch_add(&o->foreign, 1);
}

static ULONG STDMETHODCALLTYPE o_addref(IObjTest2 *This) {
        home_check(This);
        return (ULONG)atomic_fetch_add(&impl(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE o_release(IObjTest2 *This) {
        home_check(This);
        return (ULONG)atomic_fetch_sub(&impl(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        impl(This)->last_thread = pthread_self();
        atomic_fetch_add(&impl(This)->calls, 1);
        *sum = a + b;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        size_t n = 0;
        while (name[n])
                n++;
        *greeting = midl_user_allocate((n + 2) * sizeof(WCHAR));
        if (!*greeting)
                return E_OUTOFMEMORY;
        (*greeting)[0] = '>';
        memcpy(*greeting + 1, name, (n + 1) * sizeof(WCHAR));
        return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        LONG s = 0;
        for (ULONG i = 0; i < n; i++)
                s += v[i];
        *ret = s;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_get_value(IObjTest2 *This, LONG *v) {
        *v = impl(This)->value;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_value(IObjTest2 *This, LONG v) {
        impl(This)->value = v;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        p->a *= 2;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        *y = 2 * x;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        return o_qi(This, riid, ppv);
}

static const IObjTest2Vtbl obj_vtbl = {
        o_qi, o_addref, o_release, o_add, o_greet, o_sum, o_get_value, o_put_value, o_pair, o_fail,
        o_twice, o_peer,
};

static struct obj *obj_from_info(IStdMarshalInfo *i) {
        return (struct obj *)((char *)i - offsetof(struct obj, IStdMarshalInfo_iface));
}

static HRESULT STDMETHODCALLTYPE smi_qi(IStdMarshalInfo *i, REFIID riid, void **ppv) {
        return o_qi(&obj_from_info(i)->IObjTest2_iface, riid, ppv);
}

static ULONG STDMETHODCALLTYPE smi_addref(IStdMarshalInfo *i) {
        return (ULONG)atomic_fetch_add(&obj_from_info(i)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE smi_release(IStdMarshalInfo *i) {
        return (ULONG)atomic_fetch_sub(&obj_from_info(i)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE smi_handler(IStdMarshalInfo *i, DWORD dest, void *dest_data,
                                             CLSID *clsid) {
        struct obj *o = obj_from_info(i);
        if (!o->handler)
                return E_NOTIMPL;
        *clsid = *o->handler;
        return S_OK;
}

static const IStdMarshalInfoVtbl smi_vtbl = { smi_qi, smi_addref, smi_release, smi_handler };

static struct obj *obj_from_ext(IExternalConnection *i) {
        return (struct obj *)((char *)i - offsetof(struct obj, IExternalConnection_iface));
}

static HRESULT STDMETHODCALLTYPE ext_qi(IExternalConnection *i, REFIID riid, void **ppv) {
        return o_qi(&obj_from_ext(i)->IObjTest2_iface, riid, ppv);
}

static ULONG STDMETHODCALLTYPE ext_addref(IExternalConnection *i) {
        return o_addref(&obj_from_ext(i)->IObjTest2_iface);
}

static ULONG STDMETHODCALLTYPE ext_release(IExternalConnection *i) {
        return o_release(&obj_from_ext(i)->IObjTest2_iface);
}

static DWORD STDMETHODCALLTYPE ext_add(IExternalConnection *i, DWORD type, DWORD reserved) {
        struct obj *o = obj_from_ext(i);
        home_check(&o->IObjTest2_iface);
        ASSERT_EQ(type, EXTCONN_STRONG);
        ASSERT_EQ(reserved, 0);
        atomic_fetch_add(&o->ext_adds, 1);
        int n = atomic_fetch_add(&o->connections, 1) + 1;
        for (int m = atomic_load(&o->ext_max); n > m && !atomic_compare_exchange_weak(&o->ext_max, &m, n);)
                ;
        return (DWORD)n;
}

static DWORD STDMETHODCALLTYPE ext_rel(IExternalConnection *i, DWORD type, DWORD reserved,
                                       BOOL closes) {
        struct obj *o = obj_from_ext(i);
        home_check(&o->IObjTest2_iface);
        ASSERT_EQ(type, EXTCONN_STRONG);
        ASSERT_EQ(reserved, 0);
        atomic_fetch_add(&o->ext_releases, 1);
        atomic_store(&o->last_closes, closes ? 1 : 0);
        int n = atomic_fetch_sub(&o->connections, 1) - 1;
        for (int m = atomic_load(&o->ext_min); n < m && !atomic_compare_exchange_weak(&o->ext_min, &m, n);)
                ;
        return (DWORD)n;
}

static const IExternalConnectionVtbl ext_vtbl = { ext_qi, ext_addref, ext_release, ext_add, ext_rel };

static void obj_init(struct obj *o) {
        memset(o, 0, sizeof *o);
        o->IObjTest2_iface.lpVtbl = &obj_vtbl;
        o->IStdMarshalInfo_iface.lpVtbl = &smi_vtbl;
        o->IExternalConnection_iface.lpVtbl = &ext_vtbl;
        atomic_init(&o->refs, 1);
        atomic_init(&o->last_closes, -1);
}

static void register_ps(void) {
        ASSERT_OK(com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface));
        ASSERT_OK(com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface));
}

/* The OBJREF a marshal wrote, as bytes. */
static size_t stream_bytes(IStream *stm, uint8_t *out, size_t size) {
        HGLOBAL h;
        STATSTG st;
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        ASSERT_LE(st.cbSize.QuadPart, size);
        memcpy(out, GlobalLock(h), (size_t)st.cbSize.QuadPart);
        GlobalUnlock(h);
        return (size_t)st.cbSize.QuadPart;
}

static IStream *stream_of(const uint8_t *p, size_t n) {
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, p, (ULONG)n, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        return stm;
}

/* Checks what a client sees of the object through p. */
static void exercise(IObjTest2 *p) {
        LONG v = 0;
        WCHAR *g = NULL;
        LONG nums[4] = { 1, 2, 3, 4 };
        IObjTest *base = NULL;
        IUnknown *u1 = NULL, *u2 = NULL;

        ASSERT_OK(IObjTest2_Add(p, 40, 2, &v));
        ASSERT_EQ(v, 42);
        ASSERT_EQ(IObjTest2_Greet(p, u"bob", &g), S_FALSE);
        ASSERT_TRUE(g && g[0] == '>' && g[1] == 'b' && g[4] == 0);
        midl_user_free(g);
        ASSERT_OK(IObjTest2_Sum(p, 4, nums, &v));
        ASSERT_EQ(v, 10);
        ASSERT_OK(IObjTest2_put_Value(p, 7));
        ASSERT_OK(IObjTest2_get_Value(p, &v));
        ASSERT_EQ(v, 7);
        ASSERT_EQ(IObjTest2_Fail(p, E_ACCESSDENIED), E_ACCESSDENIED);
        /* remote QueryInterface, and identity */
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IObjTest, (void **)&base));
        ASSERT_OK(IObjTest_Add(base, 1, 1, &v));
        ASSERT_EQ(v, 2);
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IUnknown, (void **)&u1));
        ASSERT_OK(IObjTest_QueryInterface(base, &IID_IUnknown, (void **)&u2));
        ASSERT_TRUE((void *)(u1) == (void *)(u2));
        ASSERT_EQ(IObjTest2_QueryInterface(p, &IID_IStream, (void **)&u2), E_NOINTERFACE);
        IUnknown_Release(u1);
        IUnknown_Release(u1);
        IObjTest_Release(base);
}

/* --- across apartments of one process ---------------------------------------------------------- */

struct sta_ctx {
        struct obj obj;
        uint8_t objref[2048];
        size_t len;
        HANDLE ready, done;
        pthread_t thread;
};

static void *sta_main(void *arg) {
        struct sta_ctx *c = arg;
        IStream *stm;
        DWORD idx;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        obj_init(&c->obj);
        c->thread = pthread_self();
        c->obj.home = pthread_self();
        c->obj.check_home = true;
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&c->obj.IObjTest2_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
        c->len = stream_bytes(stm, c->objref, sizeof c->objref);
        IStream_Release(stm);
        SetEvent(c->ready);
        /* the STA serves its calls while it waits */
        ASSERT_OK(CoWaitForMultipleHandles(0, 20000, 1, &c->done, &idx));
        CoUninitialize();
        return NULL;
}

/* A stream that takes nothing: every write fails (a full medium), the rest is refused. */
static HRESULT STDMETHODCALLTYPE full_qi(IStream *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IStream)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE full_addref(IStream *This) {
        return 2;
}

static ULONG STDMETHODCALLTYPE full_release(IStream *This) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE full_read(IStream *This, void *pv, ULONG cb, ULONG *got) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_write(IStream *This, const void *pv, ULONG cb, ULONG *put) {
        if (put)
                *put = 0;
        return STG_E_MEDIUMFULL;
}

static HRESULT STDMETHODCALLTYPE full_seek(IStream *This, LARGE_INTEGER move, DWORD origin,
                                           ULARGE_INTEGER *pos) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_set_size(IStream *This, ULARGE_INTEGER size) {
        return STG_E_MEDIUMFULL;
}

static HRESULT STDMETHODCALLTYPE full_copy_to(IStream *This, IStream *to, ULARGE_INTEGER cb,
                                              ULARGE_INTEGER *got, ULARGE_INTEGER *put) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_commit(IStream *This, DWORD flags) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_revert(IStream *This) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_lock(IStream *This, ULARGE_INTEGER off, ULARGE_INTEGER cb,
                                           DWORD type) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_stat(IStream *This, STATSTG *st, DWORD flags) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE full_clone(IStream *This, IStream **ret) {
        *ret = NULL;
        return E_NOTIMPL;
}

static const IStreamVtbl full_vtbl = {
        full_qi, full_addref, full_release, full_read, full_write, full_seek, full_set_size,
        full_copy_to, full_commit, full_revert, full_lock, full_lock, full_stat, full_clone,
};

TEST(cross_apartment) {
        struct sta_ctx c;
        pthread_t t;
        IObjTest2 *p = NULL;
        IStream *stm;
        DWORD idx;
        LONG v;

        register_ps();
        memset(&c, 0, sizeof c);
        c.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(pthread_create(&t, NULL, sta_main, &c));
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &c.ready, &idx));

        stm = stream_of(c.objref, c.len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        /* another apartment: a proxy, and the call runs on the object's thread */
        ASSERT_TRUE(p != &c.obj.IObjTest2_iface);
        ASSERT_OK(IObjTest2_Add(p, 1, 2, &v));
        ASSERT_EQ(v, 3);
        ASSERT_TRUE(pthread_equal(c.obj.last_thread, c.thread));
        exercise(p);
        /* the proxy marshaled into a stream that takes nothing: the references its OBJREF
           would have carried go back (else the object outlives everyone: checked below) */
        IStream full = { &full_vtbl };
        for (int i = 0; i < 3; i++)
                ASSERT_HR_EQ(CoMarshalInterface(&full, &IID_IObjTest2, (IUnknown *)p, MSHCTX_LOCAL,
                                                NULL, MSHLFLAGS_NORMAL), STG_E_MEDIUMFULL);
        IObjTest2_Release(p);
        /* the proxy's last release gave every public reference back: the exporter holds
           the object no more while its apartment lives */
        ASSERT_EQ(atomic_load(&c.obj.refs), 1);
        SetEvent(c.done);
        pthread_join(t, NULL);
        /* every reference the exporter took is back: only the creator's remains */
        ASSERT_EQ(atomic_load(&c.obj.refs), 1);
        /* and none was taken or given back off the STA's own thread */
        ASSERT_EQ(atomic_load(&c.obj.foreign), 0);
        CloseHandle(c.ready);
        CloseHandle(c.done);
        CoUninitialize();
}

/* --- across processes (rpcss resolves the OXID) ----------------------------------------------- */

/*
 * The server process: marshals its object twice (MSHCTX_LOCAL) and sends both OBJREFs,
 * then obeys one-byte commands: 'r' reports its reference count, 'd' disconnects the
 * object, 'q' quits.
 */
/* The server's CoInitializeSecurity authentication services (-2: it does not call it). */
static LONG server_n_svc = -2;
static SOLE_AUTHENTICATION_SERVICE server_svcs[2];

static _Noreturn void server_main(int in, int out) {
        struct obj o;
        IStream *stm;
        uint8_t buf[2048];
        uint32_t len;
        char cmd;

        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        if (server_n_svc != -2) {
                /* no descriptor: anyone the machine lets in, with one of these services */
                DWORD n = 99;
                SOLE_AUTHENTICATION_SERVICE *got = NULL;
                ASSERT_OK(CoInitializeSecurity(NULL, server_n_svc, server_svcs, NULL,
                                               RPC_C_AUTHN_LEVEL_CONNECT, RPC_C_IMP_LEVEL_IDENTIFY,
                                               NULL, EOAC_NONE, NULL));
                ASSERT_OK(CoQueryAuthenticationServices(&n, &got));
                ASSERT_EQ(n, server_n_svc < 0 ? n : (DWORD)server_n_svc);
                if (server_n_svc > 0)
                        ASSERT_EQ(got[0].dwAuthnSvc, server_svcs[0].dwAuthnSvc);
                CoTaskMemFree(got);
        }
        obj_init(&o);
        for (int i = 0; i < 2; i++) {
                ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
                ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&o.IObjTest2_iface,
                                             MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
                len = (uint32_t)stream_bytes(stm, buf, sizeof buf);
                IStream_Release(stm);
                xwrite(out, &len, sizeof len);
                xwrite(out, buf, len);
        }
        while (read(in, &cmd, 1) == 1) {
                int32_t r = atomic_load(&o.refs);
                if (cmd == 'r')
                        xwrite(out, &r, sizeof r);
                else if (cmd == 'd')
                        CoDisconnectObject((IUnknown *)&o.IObjTest2_iface, 0);
                else
                        break;
                if (cmd == 'd')
                        xwrite(out, &r, sizeof r);
        }
        CoUninitialize();
        _exit(0);
}

/* A forked child running main (which does not return) with the pipes' other ends. */
static pid_t fork_peer(void (*main_fn)(int in, int out), int *to, int *from) {
        int a[2], b[2];
        pid_t pid;

        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(a[1]);
                close(b[0]);
                main_fn(a[0], b[1]);
                _exit(0);
        }
        close(a[0]);
        close(b[1]);
        *to = a[1];
        *from = b[0];
        return pid;
}

static pid_t server_start(int *to, int *from) {
        return fork_peer(server_main, to, from);
}

static IObjTest2 *unmarshal_from(int from) {
        uint8_t buf[2048];
        uint32_t len;
        IObjTest2 *p = NULL;
        IStream *stm;

        xread(from, &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(from, buf, len);
        stm = stream_of(buf, len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        return p;
}

static int32_t server_refs(int to, int from) {
        int32_t r;
        xwrite(to, "r", 1);
        xread(from, &r, sizeof r);
        return r;
}

TEST(cross_process) {
        int to, from, status;
        pid_t pid;
        IObjTest2 *p, *q;
        IUnknown *u1, *u2;
        LONG v;

        rpcss_start();
        pid = server_start(&to, &from);
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        p = unmarshal_from(from);
        q = unmarshal_from(from);
        exercise(p);
        /* the same object twice: one proxy manager, one identity */
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IUnknown, (void **)&u1));
        ASSERT_OK(IObjTest2_QueryInterface(q, &IID_IUnknown, (void **)&u2));
        ASSERT_TRUE((void *)(u1) == (void *)(u2));
        ASSERT_TRUE((void *)(p) == (void *)(q));
        IUnknown_Release(u1);
        IUnknown_Release(u2);
        ASSERT_GT(server_refs(to, from), 1);
        IObjTest2_Release(q);
        IObjTest2_Release(p);
        /* the last proxy gave the references back: the exporter let the object go */
        ASSERT_EQ(server_refs(to, from), 1);

        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(to);
        close(from);
        (void)v;
        CoUninitialize();
        rpcss_stop();
}

/* What a proxy manager answers of its own: IClientSecurity and IMultiQI. */
TEST(proxy_manager_interfaces) {
        int to, from, status;
        pid_t pid;
        IObjTest2 *p;
        IClientSecurity *cs = NULL;
        IMultiQI *mq = NULL;
        IUnknown *u1 = NULL, *u2 = NULL, *copy = NULL;
        LONG v = 0;

        rpcss_start();
        pid = server_start(&to, &from);
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        p = unmarshal_from(from);
        IObjTest2 *second = unmarshal_from(from);       /* (the server sends two) */
        IObjTest2_Release(second);

        /* IClientSecurity: the blanket functions as methods, on the same identity */
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IClientSecurity, (void **)&cs));
        ASSERT_OK(IClientSecurity_QueryInterface(cs, &IID_IUnknown, (void **)&u1));
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IUnknown, (void **)&u2));
        ASSERT_TRUE((void *)u1 == (void *)u2);
        IUnknown_Release(u2);
        DWORD level = 99, svc = 99, caps = 99;
        ASSERT_OK(IClientSecurity_QueryBlanket(cs, (IUnknown *)p, &svc, NULL, NULL, &level, NULL,
                                               NULL, &caps));
        ASSERT_TRUE(level <= RPC_C_AUTHN_LEVEL_PKT_PRIVACY);
        ASSERT_EQ(caps, 0);
        ASSERT_OK(IClientSecurity_SetBlanket(cs, (IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE,
                                             NULL, RPC_C_AUTHN_LEVEL_CONNECT,
                                             RPC_C_IMP_LEVEL_IDENTIFY, NULL, EOAC_NONE));
        ASSERT_OK(IClientSecurity_QueryBlanket(cs, (IUnknown *)p, &svc, NULL, NULL, &level, NULL,
                                               NULL, NULL));
        ASSERT_EQ(level, RPC_C_AUTHN_LEVEL_CONNECT);
        ASSERT_EQ(svc, RPC_C_AUTHN_WINNT);
        ASSERT_EQ(IClientSecurity_SetBlanket(cs, (IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE,
                                             NULL, 7, RPC_C_IMP_LEVEL_IDENTIFY, NULL, EOAC_NONE),
                  E_INVALIDARG);
        ASSERT_OK(IClientSecurity_CopyProxy(cs, (IUnknown *)p, &copy));
        ASSERT_TRUE(copy && (void *)copy != (void *)p);
        ASSERT_OK(IObjTest2_Add((IObjTest2 *)copy, 2, 3, &v));
        ASSERT_EQ(v, 5);
        IUnknown_Release(copy);
        /* the manager's own pointers are no interface proxies */
        ASSERT_EQ(IClientSecurity_QueryBlanket(cs, (IUnknown *)cs, &svc, NULL, NULL, &level, NULL,
                                               NULL, NULL), E_NOINTERFACE);

        /* IMultiQI: several at once, one found locally, one remotely, one nowhere */
        ASSERT_OK(IClientSecurity_QueryInterface(cs, &IID_IMultiQI, (void **)&mq));
        MULTI_QI q[4] = {
                { &IID_IObjTest, NULL, E_FAIL }, { &IID_IObjTest2, NULL, E_FAIL },
                { &IID_IStream, NULL, E_FAIL }, { &IID_IUnknown, NULL, E_FAIL },
        };
        ASSERT_EQ(IMultiQI_QueryMultipleInterfaces(mq, 4, q), CO_S_NOTALLINTERFACES);
        ASSERT_OK(q[0].hr);
        ASSERT_OK(q[1].hr);
        ASSERT_EQ(q[2].hr, E_NOINTERFACE);
        ASSERT_TRUE(q[2].pItf == NULL);
        ASSERT_OK(q[3].hr);
        ASSERT_TRUE((void *)q[1].pItf == (void *)p);
        ASSERT_TRUE((void *)q[3].pItf == (void *)u1);
        ASSERT_OK(IObjTest_Add((IObjTest *)q[0].pItf, 20, 22, &v));
        ASSERT_EQ(v, 42);
        for (int k = 0; k < 4; k++)
                if (q[k].pItf)
                        IUnknown_Release(q[k].pItf);
        MULTI_QI none = { &IID_IStream, NULL, S_OK };
        ASSERT_EQ(IMultiQI_QueryMultipleInterfaces(mq, 1, &none), E_NOINTERFACE);
        ASSERT_EQ(IMultiQI_QueryMultipleInterfaces(mq, 0, q), E_INVALIDARG);
        MULTI_QI all = { &IID_IObjTest, NULL, E_FAIL };
        ASSERT_EQ(IMultiQI_QueryMultipleInterfaces(mq, 1, &all), S_OK);
        IUnknown_Release(all.pItf);

        IMultiQI_Release(mq);
        IClientSecurity_Release(cs);
        IUnknown_Release(u1);
        IObjTest2_Release(p);
        /* every reference those pointers held went back with the last one */
        ASSERT_EQ(server_refs(to, from), 1);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(to);
        close(from);
        CoUninitialize();
        rpcss_stop();
}

TEST(disconnect_and_death) {
        int to, from, status;
        pid_t pid;
        IObjTest2 *p, *q;
        int32_t r;
        LONG v = 0;

        rpcss_start();
        pid = server_start(&to, &from);
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        p = unmarshal_from(from);
        q = unmarshal_from(from);
        ASSERT_OK(IObjTest2_Add(p, 1, 1, &v));
        ASSERT_TRUE(CoIsHandlerConnected((IUnknown *)p));
        /* the server disconnects its object: calls get RPC_E_DISCONNECTED */
        xwrite(to, "d", 1);
        xread(from, &r, sizeof r);
        ASSERT_TRUE(CoIsHandlerConnected((IUnknown *)p));      /* nobody has been told yet */
        /* a remote QueryInterface learns it too (its exporter no longer knows the IPID) */
        IUnknown *other = NULL;
        ASSERT_TRUE(FAILED(IObjTest2_QueryInterface(p, &IID_IObjTest, (void **)&other)));
        ASSERT_TRUE(other == NULL);
        ASSERT_FALSE(CoIsHandlerConnected((IUnknown *)p));
        ASSERT_EQ(IObjTest2_Add(p, 1, 1, &v), RPC_E_DISCONNECTED);
        /* what the call learned is the object's: every pointer to it knows */
        ASSERT_FALSE(CoIsHandlerConnected((IUnknown *)p));
        ASSERT_FALSE(CoIsHandlerConnected((IUnknown *)q));
        IUnknown *ident = NULL;
        ASSERT_OK(IObjTest2_QueryInterface(q, &IID_IUnknown, (void **)&ident));
        ASSERT_FALSE(CoIsHandlerConnected(ident));
        IUnknown_Release(ident);
        /* an object that is not a proxy is connected; no object is not */
        IStream *local = NULL;
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &local));
        ASSERT_TRUE(CoIsHandlerConnected((IUnknown *)local));
        IStream_Release(local);
        ASSERT_FALSE(CoIsHandlerConnected(NULL));
        IObjTest2_Release(q);
        IObjTest2_Release(p);

        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);

        /* a server that dies under its clients: a clear failure at once, not a hang */
        pid = server_start(&to, &from);
        p = unmarshal_from(from);
        q = unmarshal_from(from);
        ASSERT_OK(IObjTest2_Add(p, 1, 1, &v));
        kill(pid, SIGKILL);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        uint64_t t0 = test_now_ms();
        HRESULT hr = IObjTest2_Add(p, 1, 1, &v);
        ASSERT_TRUE(hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) ||
                    hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) || hr == RPC_E_SERVER_DIED_DNE);
        ASSERT_LT(test_now_ms() - t0, 5000);
        IObjTest2_Release(q);
        IObjTest2_Release(p);
        close(to);
        close(from);
        CoUninitialize();
        rpcss_stop();
}

#define APPID_REMOTE u"{4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f}"

/* This test program's AppID through its executable's name (seed 003), with an access
   permission for every authenticated user -- or no mapping (on = false). */
static void access_for_authenticated_users(bool on) {
        PSECURITY_DESCRIPTOR sd = NULL;
        ULONG len = 0;

        if (!on) {
                ASSERT_EQ(RegDeleteTreeW(HKEY_CLASSES_ROOT, u"AppID\\test-com-remote"), ERROR_SUCCESS);
                ASSERT_EQ(RegDeleteTreeW(HKEY_CLASSES_ROOT, u"AppID\\" APPID_REMOTE), ERROR_SUCCESS);
                return;
        }
        ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorW(
                u"O:BAG:BAD:(A;;CCDCLC;;;AU)(A;;CCDCLC;;;SY)(A;;CCDCLC;;;BA)", SDDL_REVISION_1,
                &sd, &len));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, u"AppID\\test-com-remote", u"AppID", REG_SZ,
                                  APPID_REMOTE, sizeof APPID_REMOTE), ERROR_SUCCESS);
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, u"AppID\\" APPID_REMOTE, u"AccessPermission",
                                  REG_BINARY, sd, len), ERROR_SUCCESS);
        LocalFree(sd);
}

/*
 * Over TCP, as another machine would call: NTLM at PKT_PRIVACY passes once the process's
 * AppID (HKCR\AppID\test-com-remote) grants remote access; without it the process keeps
 * Windows' default access permission (its own user, SYSTEM, Administrators) and refuses
 * the account.  Unauthenticated and anonymous callers are refused either way.
 */
TEST(cross_process_tcp_ntlm) {
        int to, from, status;
        pid_t pid;
        IObjTest2 *p;
        LONG v = 0;

        if (geteuid() != 0)
                SKIP("the NTLM account store is root's");
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        rpcss_start();
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        com_proxy_set_tcp_only(true);

        /* no AppID for the server process: alice, authenticated, is not its user */
        pid = server_start(&to, &from);
        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, "alice", "",
                                   "Secret-1");
        p = unmarshal_from(from);
        ASSERT_EQ(IObjTest2_Add(p, 1, 1, &v), E_ACCESSDENIED);
        IObjTest2_Release(p);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);

        access_for_authenticated_users(true);
        pid = server_start(&to, &from);
        /* no credentials: the exporter (LegacyAuthenticationLevel's connect) refuses */
        com_proxy_set_default_auth(0, 0, NULL, NULL, NULL);
        p = unmarshal_from(from);
        ASSERT_EQ(IObjTest2_Add(p, 1, 1, &v), E_ACCESSDENIED);
        /* CoSetProxyBlanket: this proxy's calls in a sealed NTLM context of their own */
        SEC_WINNT_AUTH_IDENTITY_W id = {
                .User = (unsigned short *)u"alice", .UserLength = 5,
                .Domain = (unsigned short *)u"", .DomainLength = 0,
                .Password = (unsigned short *)u"Secret-1", .PasswordLength = 8,
                .Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE,
        };
        DWORD level = 0, svc = 0;
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IDENTIFY, &id, 0));
        ASSERT_OK(CoQueryProxyBlanket((IUnknown *)p, &svc, NULL, NULL, &level, NULL, NULL, NULL));
        ASSERT_EQ(level, RPC_C_AUTHN_LEVEL_PKT_PRIVACY);
        ASSERT_EQ(svc, RPC_C_AUTHN_WINNT);
        ASSERT_OK(IObjTest2_Add(p, 1, 1, &v));
        ASSERT_EQ(v, 2);
        /* ANONYMOUS LOGON over the network: authenticated, and still refused */
        SEC_WINNT_AUTH_IDENTITY_W anon = {
                .User = (unsigned short *)u"", .Domain = (unsigned short *)u"",
                .Password = (unsigned short *)u"", .Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE,
        };
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IDENTIFY, &anon, 0));
        ASSERT_EQ(IObjTest2_Add(p, 1, 1, &v), E_ACCESSDENIED);
        id.PasswordLength = 3;          /* "Sec": a wrong password */
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IDENTIFY, &id, 0));
        ASSERT_TRUE(FAILED(IObjTest2_Add(p, 1, 1, &v)));
        IObjTest2_Release(p);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);

        pid = server_start(&to, &from);
        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, "alice", "",
                                   "Secret-1");
        p = unmarshal_from(from);
        exercise(p);
        /* a blanket without an identity (auth info NULL: the process's own, as the
           connection has it) at no more than the connection's level: the connection's
           security -- CALL (sent as PKT) and PKT_PRIVACY alike */
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_CALL, RPC_C_IMP_LEVEL_IDENTIFY, NULL, 0));
        ASSERT_OK(IObjTest2_Add(p, 1, 1, &v));
        ASSERT_EQ(v, 2);
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IDENTIFY, NULL, 0));
        ASSERT_OK(IObjTest2_Add(p, 2, 2, &v));
        ASSERT_EQ(v, 4);
        /* RPC_C_AUTHN_DEFAULT: the connection's service */
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, RPC_C_IMP_LEVEL_IDENTIFY, NULL, 0));
        ASSERT_OK(IObjTest2_Add(p, 3, 3, &v));
        ASSERT_EQ(v, 6);
        IObjTest2_Release(p);
        p = unmarshal_from(from);       /* (the macro evaluates its argument twice) */
        IObjTest2_Release(p);
        ASSERT_EQ(server_refs(to, from), 1);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(to);
        close(from);

        /* a blanket without an identity above its connection's level (CONNECT here): a
           security context of its own, with the connection's credentials */
        pid = server_start(&to, &from);
        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_CONNECT, RPC_AUTHN_WINNT, "alice", "",
                                   "Secret-1");
        p = unmarshal_from(from);
        ASSERT_OK(IObjTest2_Add(p, 1, 1, &v));
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IDENTIFY, NULL, 0));
        ASSERT_OK(IObjTest2_Add(p, 4, 4, &v));
        ASSERT_EQ(v, 8);
        IObjTest2_Release(p);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);
        com_proxy_set_tcp_only(false);
        com_proxy_set_default_auth(0, 0, NULL, NULL, NULL);
        access_for_authenticated_users(false);
        CoUninitialize();
        rpcss_stop();
}

/*
 * CoInitializeSecurity's authentication services: a server that lists only Kerberos
 * refuses an NTLM caller, one that lists NTLM takes it, one that lists none takes no
 * authenticated call; CoQueryAuthenticationServices gives the list back (in the child).
 */
TEST(authentication_services) {
        int to, from, status;
        pid_t pid;
        IObjTest2 *p;
        LONG v = 0;
        static const struct {
                LONG n;
                DWORD svc;
                HRESULT want;
                unsigned n_adv;                 /* the OBJREF's security bindings */
                uint16_t adv[2];
        } cases[] = {
                { 1, RPC_C_AUTHN_GSS_KERBEROS, E_ACCESSDENIED, 1, { 16 } },
                { 1, RPC_C_AUTHN_WINNT, S_OK, 1, { 10 } },
                { 0, 0, E_ACCESSDENIED, 0, { 0 } },
                { -1, 0, S_OK, 2, { 10, 9 } },
        };

        if (geteuid() != 0)
                SKIP("the NTLM account store is root's");
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        rpcss_start();
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        com_proxy_set_tcp_only(true);
        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, "alice", "",
                                   "Secret-1");
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                server_n_svc = cases[i].n;
                server_svcs[0] = (SOLE_AUTHENTICATION_SERVICE){ cases[i].svc, RPC_C_AUTHZ_NONE,
                                                                NULL, S_OK };
                pid = server_start(&to, &from);
                printf("case %zu: %ld service(s), %lu\n", i, (long)cases[i].n,
                       (unsigned long)cases[i].svc);
                /* the exporter advertises the services it takes calls with: its OXID's
                   bindings, as rpcss's ResolveOxid2 gives them ([MS-DCOM] 3.1.2.5.1.6) */
                uint8_t buf[2048];
                uint32_t len;
                struct objref o;
                uint16_t svc;
                char princ[64], sb[64];
                unsigned n_adv = 0;
                xread(from, &len, sizeof len);
                ASSERT_LE(len, sizeof buf);
                xread(from, buf, len);
                ASSERT_OK(objref_parse(buf, len, &o, NULL));
                struct rpc_binding *rb = NULL;
                snprintf(sb, sizeof sb, "ncacn_ip_tcp:127.0.0.1[%s]", rpcss_port);
                ASSERT_OK(rpc_binding_from_string(sb, &rb));
                DUALSTRINGARRAY *d = NULL;
                IPID ipid;
                DWORD hint = 0;
                COMVERSION ver = { 0, 0 };
                error_status_t st = 99;
                unsigned short tcp_only[1] = { 7 };
                OXID oxid = o.std.oxid;
                ASSERT_OK(IObjectExporter_ResolveOxid2((handle_t)rb, &oxid, 1, tcp_only, &d, &ipid,
                                                       &hint, &ver, &st));
                ASSERT_EQ(st, 0);
                for (; dsa_security_binding(d, n_adv, &svc, princ, sizeof princ) >= 0; n_adv++)
                        if (n_adv < cases[i].n_adv)
                                ASSERT_EQ(svc, cases[i].adv[n_adv]);
                ASSERT_EQ(n_adv, cases[i].n_adv);
                midl_user_free(d);
                rpc_binding_free(rb);
                objref_clear(&o);
                IStream *stm = stream_of(buf, len);
                ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
                IStream_Release(stm);
                IObjTest2 *second = unmarshal_from(from);
                IObjTest2_Release(second);
                ASSERT_HR_EQ(IObjTest2_Add(p, 40, 2, &v), cases[i].want);
                if (cases[i].want == S_OK)
                        ASSERT_EQ(v, 42);
                IObjTest2_Release(p);
                xwrite(to, "q", 1);
                ASSERT_EQ(waitpid(pid, &status, 0), pid);
                ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                close(to);
                close(from);
        }
        server_n_svc = -2;
        com_proxy_set_tcp_only(false);
        com_proxy_set_default_auth(0, 0, NULL, NULL, NULL);
        CoUninitialize();
        rpcss_stop();
}

/*
 * Secure references ([MS-DCOM] 1.3.6): one client (alice, a child process) holds the
 * object; another (bob, this process) sends a RemRelease of far more public and private
 * references than it holds.  With EOAC_SECURE_REFS alice's proxy holds a private
 * reference, which only alice may release: her calls go on, and when she lets go the
 * object goes.  Without it she holds public references, which anyone may release: bob's
 * RemRelease disconnects her object -- the attack secure references are for.  A process
 * that never calls CoInitializeSecurity takes secure references when the machine's
 * LegacySecureReferences is "Y".
 */
enum { SECURE_EOAC, SECURE_LEGACY, SECURE_NONE };

static void secure_refs_round(int how) {
        bool secure = how != SECURE_NONE;
        int to, from, status, ctl[2], res[2];
        pid_t pid, victim;
        IObjTest2 *p;
        LONG v = 0;
        char c;
        HRESULT hr;

        pid = server_start(&to, &from);
        ASSERT_OK(pipe(ctl));
        ASSERT_OK(pipe(res));
        victim = fork();
        ASSERT_GE(victim, 0);
        if (victim == 0) {
                /* a process of its own: its security is settled afresh */
                close(ctl[1]);
                close(res[0]);
                SOLE_AUTHENTICATION_INFO ai;
                SEC_WINNT_AUTH_IDENTITY_W alice = {
                        .User = (unsigned short *)u"alice", .UserLength = 5,
                        .Domain = (unsigned short *)u"", .DomainLength = 0,
                        .Password = (unsigned short *)u"Secret-1", .PasswordLength = 8,
                        .Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE,
                };
                ai = (SOLE_AUTHENTICATION_INFO){ RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, &alice };
                SOLE_AUTHENTICATION_LIST list = { 1, &ai };
                if (how == SECURE_LEGACY)
                        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT,
                                                   "alice", "", "Secret-1");
                else if (FAILED(CoInitializeSecurity(NULL, -1, NULL, NULL,
                                                     RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
                                                     RPC_C_IMP_LEVEL_IDENTIFY, &list,
                                                     secure ? EOAC_SECURE_REFS : EOAC_NONE, NULL)))
                        _exit(10);
                p = unmarshal_from(from);
                if (FAILED(IObjTest2_Add(p, 1, 1, &v)) || v != 2)
                        _exit(11);
                xwrite(res[1], "h", 1);                 /* held */
                xread(ctl[0], &c, 1);                   /* bob has struck */
                hr = IObjTest2_Add(p, 2, 2, &v);
                xwrite(res[1], &hr, sizeof hr);
                xread(ctl[0], &c, 1);                   /* bob has called too */
                IObjTest2_Release(p);
                xwrite(res[1], "r", 1);                 /* released */
                xread(ctl[0], &c, 1);
                _exit(0);
        }
        close(ctl[0]);
        close(res[1]);
        xread(res[0], &c, 1);
        /* bob: the second OBJREF, then a RemRelease beyond anything he holds */
        p = unmarshal_from(from);
        ASSERT_OK(IObjTest2_Add(p, 3, 3, &v));
        ASSERT_OK(com_proxy_rem_release((IUnknown *)p, 100000, 100000));
        xwrite(ctl[1], "g", 1);
        xread(res[0], &hr, sizeof hr);
        if (secure) {
                ASSERT_OK(hr);                          /* alice's private reference held */
                ASSERT_OK(IObjTest2_Add(p, 4, 4, &v));  /* and bob's proxy still calls */
        } else {
                ASSERT_HR_EQ(hr, RPC_E_DISCONNECTED);   /* released from under her */
        }
        xwrite(ctl[1], "c", 1);
        xread(res[0], &c, 1);
        IObjTest2_Release(p);
        /* alice's and bob's references gone: only the object's own is left */
        ASSERT_EQ(server_refs(to, from), 1);
        xwrite(ctl[1], "q", 1);
        ASSERT_EQ(waitpid(victim, &status, 0), victim);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);
        close(ctl[1]);
        close(res[0]);
}

TEST(secure_references) {
        if (geteuid() != 0)
                SKIP("the NTLM account store is root's");
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        ASSERT_OK(accounts_set_password("bob", "Secret-2"));
        rpcss_start();
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        com_proxy_set_tcp_only(true);
        access_for_authenticated_users(true);
        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, "bob", "",
                                   "Secret-2");
        secure_refs_round(SECURE_EOAC);
        secure_refs_round(SECURE_NONE);
        ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole",
                                  u"LegacySecureReferences", REG_SZ, u"Y", sizeof u"Y"),
                  ERROR_SUCCESS);
        secure_refs_round(SECURE_LEGACY);
        ASSERT_EQ(RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole",
                                     u"LegacySecureReferences"), ERROR_SUCCESS);
        com_proxy_set_tcp_only(false);
        com_proxy_set_default_auth(0, 0, NULL, NULL, NULL);
        access_for_authenticated_users(false);
        CoUninitialize();
        rpcss_stop();
}

/*
 * Garbage collection ([MS-DCOM] 3.2.6, 3.1.2.5.1.3): a client holding a proxy pings and
 * keeps the object; a client killed with SIGKILL stops pinging, and three ping periods
 * later the exporter has given its references up.
 */
TEST(pinging_and_rundown) {
        int to, from, ready[2], status;
        pid_t pid, client;
        IObjTest2 *p;
        uint8_t buf[2048];
        uint32_t len;
        LONG v = 0;
        char c;

        rpcss_start();
        pid = server_start(&to, &from);
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        p = unmarshal_from(from);
        /* the second OBJREF goes to a client that is then killed */
        xread(from, &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(from, buf, len);
        usleep(1500 * 1000);                    /* seven periods: the behaviour under test */
        ASSERT_OK(IObjTest2_Add(p, 2, 2, &v));
        ASSERT_EQ(v, 4);
        ASSERT_GT(server_refs(to, from), 1);
        IObjTest2_Release(p);
        ASSERT_GT(server_refs(to, from), 1);    /* the second OBJREF's references */

        ASSERT_OK(pipe(ready));
        client = fork();
        ASSERT_GE(client, 0);
        if (client == 0) {
                IObjTest2 *q = NULL;
                IStream *stm = stream_of(buf, len);
                ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&q));
                ASSERT_OK(IObjTest2_Add(q, 1, 1, &v));
                xwrite(ready[1], "k", 1);
                for (;;)
                        pause();
        }
        xread(ready[0], &c, 1);
        ASSERT_GT(server_refs(to, from), 1);
        usleep(800 * 1000);                     /* it pings meanwhile */
        ASSERT_GT(server_refs(to, from), 1);
        kill(client, SIGKILL);
        waitpid(client, NULL, 0);
        int i;
        for (i = 0; i < 100 && server_refs(to, from) > 1; i++)
                usleep(50 * 1000);
        ASSERT_LT(i, 100);                      /* run down within 5 s */

        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);
        close(ready[0]);
        close(ready[1]);
        CoUninitialize();
        rpcss_stop();
}

/* --- the Global Interface Table, thread streams, the standard marshaler ---------------------- */

struct git_ctx {
        struct obj obj;
        IGlobalInterfaceTable *git;
        DWORD cookie;
        IStream *thread_stream;
        HANDLE ready, done;
        pthread_t thread;
};

static void *git_sta(void *arg) {
        struct git_ctx *c = arg;
        IObjTest2 *back = NULL;
        DWORD idx;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        obj_init(&c->obj);
        c->thread = pthread_self();
        ASSERT_OK(IGlobalInterfaceTable_RegisterInterfaceInGlobal(
                c->git, (IUnknown *)&c->obj.IObjTest2_iface, &IID_IObjTest2, &c->cookie));
        /* in its own apartment the table gives the object itself */
        ASSERT_OK(IGlobalInterfaceTable_GetInterfaceFromGlobal(c->git, c->cookie, &IID_IObjTest2,
                                                                (void **)&back));
        ASSERT_TRUE(back == &c->obj.IObjTest2_iface);
        IObjTest2_Release(back);
        ASSERT_OK(CoMarshalInterThreadInterfaceInStream(&IID_IObjTest2,
                                                        (IUnknown *)&c->obj.IObjTest2_iface,
                                                        &c->thread_stream));
        SetEvent(c->ready);
        ASSERT_OK(CoWaitForMultipleHandles(0, 20000, 1, &c->done, &idx));
        CoUninitialize();
        return NULL;
}

TEST(global_interface_table) {
        struct git_ctx c;
        pthread_t t;
        IObjTest2 *p = NULL, *q = NULL;
        IGlobalInterfaceTable *git2 = NULL;
        DWORD idx;
        LONG v = 0;

        register_ps();
        memset(&c, 0, sizeof c);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoCreateInstance(&CLSID_StdGlobalInterfaceTable, NULL, CLSCTX_INPROC_SERVER,
                                   &IID_IGlobalInterfaceTable, (void **)&c.git));
        ASSERT_OK(CoCreateInstance(&CLSID_StdGlobalInterfaceTable, NULL, CLSCTX_INPROC_SERVER,
                                   &IID_IGlobalInterfaceTable, (void **)&git2));
        ASSERT_TRUE(c.git == git2);             /* one per process */
        c.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(pthread_create(&t, NULL, git_sta, &c));
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &c.ready, &idx));

        /* from another apartment: a proxy, each time, calls on the STA's thread */
        ASSERT_OK(IGlobalInterfaceTable_GetInterfaceFromGlobal(c.git, c.cookie, &IID_IObjTest2,
                                                                (void **)&p));
        ASSERT_TRUE(p != &c.obj.IObjTest2_iface);
        ASSERT_OK(IObjTest2_Add(p, 5, 6, &v));
        ASSERT_EQ(v, 11);
        ASSERT_TRUE(pthread_equal(c.obj.last_thread, c.thread));
        ASSERT_OK(CoGetInterfaceAndReleaseStream(c.thread_stream, &IID_IObjTest2, (void **)&q));
        ASSERT_TRUE(p == q);                    /* one object, one proxy */
        IObjTest2_Release(q);
        IObjTest2_Release(p);
        ASSERT_OK(IGlobalInterfaceTable_RevokeInterfaceFromGlobal(c.git, c.cookie));
        ASSERT_EQ(IGlobalInterfaceTable_GetInterfaceFromGlobal(c.git, c.cookie, &IID_IObjTest2,
                                                                (void **)&p), E_INVALIDARG);
        ASSERT_EQ(IGlobalInterfaceTable_RevokeInterfaceFromGlobal(c.git, c.cookie), E_INVALIDARG);
        SetEvent(c.done);
        pthread_join(t, NULL);
        ASSERT_EQ(atomic_load(&c.obj.refs), 1);
        CloseHandle(c.ready);
        CloseHandle(c.done);
        CoUninitialize();
}

/* An object with its own marshaler: its OBJREF_CUSTOM names its unmarshal class, whose
   instance reads the object's data back (here: the value). */
static const CLSID CLSID_ValueUnmarshaler = {
        0x5a1e7c2b, 0x3d4f, 0x4e6a, { 0x9b, 0x8c, 0x1d, 0x2e, 0x3f, 0x40, 0x51, 0x62 }
};

struct custom {
        IObjTest2 IObjTest2_iface;
        IMarshal IMarshal_iface;
        atomic_int refs;
        LONG value;
};

static struct custom *custom_from_marshal(IMarshal *m) {
        return (struct custom *)((char *)m - offsetof(struct custom, IMarshal_iface));
}

static HRESULT STDMETHODCALLTYPE c_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        struct custom *c = (struct custom *)This;
        if (IsEqualIID(riid, &IID_IMarshal))
                *ppv = &c->IMarshal_iface;
        else if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest2))
                *ppv = This;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&c->refs, 1);
        return S_OK;
}

static ULONG STDMETHODCALLTYPE c_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&((struct custom *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE c_release(IObjTest2 *This) {
        struct custom *c = (struct custom *)This;
        int r = atomic_fetch_sub(&c->refs, 1) - 1;
        if (!r)
                free(c);
        return (ULONG)r;
}

static HRESULT STDMETHODCALLTYPE c_get_value(IObjTest2 *This, LONG *v) {
        *v = ((struct custom *)This)->value;
        return S_OK;
}

static const IObjTest2Vtbl custom_vtbl = {
        c_qi, c_addref, c_release, o_add, o_greet, o_sum, c_get_value, o_put_value, o_pair, o_fail,
        o_twice, o_peer,
};

static HRESULT STDMETHODCALLTYPE m_qi(IMarshal *m, REFIID riid, void **ppv) {
        return c_qi(&custom_from_marshal(m)->IObjTest2_iface, riid, ppv);
}

static ULONG STDMETHODCALLTYPE m_addref(IMarshal *m) {
        return c_addref(&custom_from_marshal(m)->IObjTest2_iface);
}

static ULONG STDMETHODCALLTYPE m_release(IMarshal *m) {
        return c_release(&custom_from_marshal(m)->IObjTest2_iface);
}

static HRESULT STDMETHODCALLTYPE m_class(IMarshal *m, REFIID riid, void *pv, DWORD d, void *dd,
                                         DWORD f, CLSID *clsid) {
        *clsid = CLSID_ValueUnmarshaler;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE m_size(IMarshal *m, REFIID riid, void *pv, DWORD d, void *dd,
                                        DWORD f, DWORD *size) {
        *size = sizeof(LONG);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE m_marshal(IMarshal *m, IStream *stm, REFIID riid, void *pv, DWORD d,
                                           void *dd, DWORD f) {
        LONG v = custom_from_marshal(m)->value;
        return IStream_Write(stm, &v, sizeof v, NULL);
}

static struct custom *custom_new(LONG value);

static HRESULT STDMETHODCALLTYPE m_unmarshal(IMarshal *m, IStream *stm, REFIID riid, void **ppv) {
        LONG v;
        ULONG got = 0;
        HRESULT hr = IStream_Read(stm, &v, sizeof v, &got);
        if (FAILED(hr) || got != sizeof v)
                return RPC_E_INVALID_OBJREF;
        struct custom *c = custom_new(v);
        hr = c_qi(&c->IObjTest2_iface, riid, ppv);
        c_release(&c->IObjTest2_iface);
        return hr;
}

static atomic_int custom_data_released;   /* ReleaseMarshalData calls */

static HRESULT STDMETHODCALLTYPE m_release_data(IMarshal *m, IStream *stm) {
        LONG v;
        atomic_fetch_add(&custom_data_released, 1);
        return IStream_Read(stm, &v, sizeof v, NULL);
}

static HRESULT STDMETHODCALLTYPE m_disconnect(IMarshal *m, DWORD r) {
        return S_OK;
}

static const IMarshalVtbl custom_marshal_vtbl = {
        m_qi, m_addref, m_release, m_class, m_size, m_marshal, m_unmarshal, m_release_data,
        m_disconnect,
};

static struct custom *custom_new(LONG value) {
        struct custom *c = calloc(1, sizeof *c);
        ASSERT_NOT_NULL(c);
        c->IObjTest2_iface.lpVtbl = &custom_vtbl;
        c->IMarshal_iface.lpVtbl = &custom_marshal_vtbl;
        atomic_init(&c->refs, 1);
        c->value = value;
        return c;
}

/* the unmarshaler's class object: its instances are blank customs */
static HRESULT STDMETHODCALLTYPE ucf_qi(IClassFactory *f, REFIID riid, void **ppv) {
        *ppv = f;
        return S_OK;
}

static ULONG STDMETHODCALLTYPE ucf_ref(IClassFactory *f) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE ucf_create(IClassFactory *f, IUnknown *outer, REFIID riid, void **ppv) {
        struct custom *c = custom_new(0);
        HRESULT hr = c_qi(&c->IObjTest2_iface, riid, ppv);
        c_release(&c->IObjTest2_iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE ucf_lock(IClassFactory *f, BOOL l) {
        return S_OK;
}

static const IClassFactoryVtbl ucf_vtbl = { ucf_qi, ucf_ref, ucf_ref, ucf_create, ucf_lock };
static IClassFactory ucf = { &ucf_vtbl };

/* --- IExternalConnection: what COM tells an object of its strong external references ------ */

static IStream *marshaled(struct obj *o, DWORD flags) {
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&o->IObjTest2_iface,
                                     MSHCTX_INPROC, NULL, flags));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        return stm;
}

static void rewound(IStream *stm) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
}

/* Threads of the MTA marshaling, releasing, locking and unlocking one object at once. */
static void *ext_churn(void *arg) {
        struct obj *o = arg;
        IUnknown *unk = (IUnknown *)&o->IObjTest2_iface;
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        for (int i = 0; i < 500; i++) {
                IStream *stm = marshaled(o, i % 3 ? MSHLFLAGS_NORMAL : MSHLFLAGS_TABLESTRONG);
                ASSERT_OK(CoReleaseMarshalData(stm));
                IStream_Release(stm);
                ASSERT_OK(CoLockObjectExternal(unk, TRUE, TRUE));
                ASSERT_OK(CoLockObjectExternal(unk, FALSE, i % 2));
        }
        CoUninitialize();
        return NULL;
}

/* Waits (5 s at most) for the object's connection count to become n. */
static void connections_become(struct obj *o, int n) {
        uint64_t t0 = test_now_ms();
        while (atomic_load(&o->connections) != n && test_now_ms() - t0 < 5000)
                usleep(1000);
        ASSERT_EQ(atomic_load(&o->connections), n);
}

struct ext_sta {
        struct obj obj;
        uint8_t normal[2048], weak[2048];
        size_t n_normal, n_weak;
        HANDLE ready, again, done;
};

/* An STA object marshaled NORMAL and TABLEWEAK; 'again' marshals it NORMAL once more (data
   nobody takes); 'done' ends the apartment. */
static void *ext_sta_main(void *arg) {
        struct ext_sta *c = arg;
        HANDLE h[2] = { c->done, c->again };
        IStream *stm;
        DWORD idx;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        c->obj.home = pthread_self();
        c->obj.check_home = true;
        stm = marshaled(&c->obj, MSHLFLAGS_NORMAL);
        c->n_normal = stream_bytes(stm, c->normal, sizeof c->normal);
        IStream_Release(stm);
        stm = marshaled(&c->obj, MSHLFLAGS_TABLEWEAK);
        c->n_weak = stream_bytes(stm, c->weak, sizeof c->weak);
        IStream_Release(stm);
        SetEvent(c->ready);
        for (;;) {
                ASSERT_OK(CoWaitForMultipleHandles(0, 20000, 2, h, &idx));
                if (idx == 0)
                        break;
                ResetEvent(c->again);
                stm = marshaled(&c->obj, MSHLFLAGS_NORMAL);
                IStream_Release(stm);
                SetEvent(c->ready);
        }
        /* the weak data is given back before the end; the NORMAL data of 'again' is not */
        stm = stream_of(c->weak, c->n_weak);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        CoUninitialize();
        return NULL;
}

TEST(external_connection) {
        struct obj o;
        IStream *stm, *stm2;
        IObjTest2 *p = NULL, *q = NULL;

        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        obj_init(&o);
        o.has_extconn = true;

        /* NORMAL: a connection; its data released: closed (fLastReleaseCloses TRUE) */
        stm = marshaled(&o, MSHLFLAGS_NORMAL);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.last_closes), 1);

        /* NORMAL unmarshaled in its own apartment: the object itself, released without
           closing (FALSE) */
        stm = marshaled(&o, MSHLFLAGS_NORMAL);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        ASSERT_TRUE(p == &o.IObjTest2_iface);
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.last_closes), 0);
        IObjTest2_Release(p);

        /* TABLEWEAK is no connection, and its release tells nothing */
        int adds = atomic_load(&o.ext_adds), rels = atomic_load(&o.ext_releases);
        stm = marshaled(&o, MSHLFLAGS_TABLEWEAK);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IObjTest2_Release(p);
        rewound(stm);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.ext_adds), adds);
        ASSERT_EQ(atomic_load(&o.ext_releases), rels);

        /* TABLESTRONG: one connection however often it is unmarshaled, until its data goes */
        stm = marshaled(&o, MSHLFLAGS_TABLESTRONG);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        for (int i = 0; i < 2; i++) {
                rewound(stm);
                ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
                IObjTest2_Release(p);
        }
        ASSERT_EQ(atomic_load(&o.connections), 1);
        rewound(stm);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.last_closes), 1);

        /* both kinds of table data at once: the weak one does not count, and each release
           takes its own kind (the strong one's ends the connection, whatever the order) */
        stm = marshaled(&o, MSHLFLAGS_TABLEWEAK);
        stm2 = marshaled(&o, MSHLFLAGS_TABLESTRONG);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_OK(CoReleaseMarshalData(stm2));
        IStream_Release(stm2);
        ASSERT_EQ(atomic_load(&o.connections), 0);

        /* CoLockObjectExternal is a connection; fLastUnlockReleases is fLastReleaseCloses */
        IUnknown *unk = (IUnknown *)&o.IObjTest2_iface;
        ASSERT_OK(CoLockObjectExternal(unk, TRUE, TRUE));
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_OK(CoLockObjectExternal(unk, FALSE, TRUE));
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.last_closes), 1);
        ASSERT_OK(CoLockObjectExternal(unk, TRUE, TRUE));
        ASSERT_OK(CoLockObjectExternal(unk, FALSE, FALSE));
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.last_closes), 0);
        /* a lock and a marshal: one connection, which the last of them ends */
        adds = atomic_load(&o.ext_adds);
        ASSERT_OK(CoLockObjectExternal(unk, TRUE, TRUE));
        stm = marshaled(&o, MSHLFLAGS_NORMAL);
        ASSERT_EQ(atomic_load(&o.ext_adds), adds + 1);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_OK(CoLockObjectExternal(unk, FALSE, TRUE));
        ASSERT_EQ(atomic_load(&o.connections), 0);

        /* CoDisconnectObject tells it nothing, and gives back every reference it took */
        stm = marshaled(&o, MSHLFLAGS_NORMAL);
        rels = atomic_load(&o.ext_releases);
        ASSERT_OK(CoDisconnectObject(unk, 0));
        ASSERT_EQ(atomic_load(&o.ext_releases), rels);
        ASSERT_EQ(atomic_load(&o.connections), 1);
        ASSERT_EQ(atomic_load(&o.refs), 1);
        IStream_Release(stm);
        atomic_store(&o.connections, 0);

        /* four threads at once on one stub manager (a TABLEWEAK marshal keeps it, and is no
           connection): its calls arrive in the order decided, so the object's count never
           leaves 0..1 (a Release overtaking its Add made it -1, two Adds in a row 2), and
           ends at 0 */
        obj_init(&o);
        o.has_extconn = true;
        stm = marshaled(&o, MSHLFLAGS_TABLEWEAK);
        pthread_t churn[4];
        for (int i = 0; i < 4; i++)
                ASSERT_OK(pthread_create(&churn[i], NULL, ext_churn, &o));
        for (int i = 0; i < 4; i++)
                pthread_join(churn[i], NULL);
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.ext_min), 0);
        ASSERT_EQ(atomic_load(&o.ext_max), 1);
        ASSERT_EQ(atomic_load(&o.ext_adds), atomic_load(&o.ext_releases));
        ASSERT_GT(atomic_load(&o.ext_adds), 0);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.refs), 1);
        /* the same without the TABLEWEAK keeper: stub managers come and go (each last
           release ends one), and a new one takes over the queue the old one left while
           its calls are still on their way -- still 0..1 */
        obj_init(&o);
        o.has_extconn = true;
        for (int i = 0; i < 4; i++)
                ASSERT_OK(pthread_create(&churn[i], NULL, ext_churn, &o));
        for (int i = 0; i < 4; i++)
                pthread_join(churn[i], NULL);
        ASSERT_EQ(atomic_load(&o.connections), 0);
        ASSERT_EQ(atomic_load(&o.ext_min), 0);
        ASSERT_EQ(atomic_load(&o.ext_max), 1);
        ASSERT_EQ(atomic_load(&o.ext_adds), atomic_load(&o.ext_releases));
        ASSERT_OK(CoDisconnectObject(unk, 0));
        ASSERT_EQ(atomic_load(&o.refs), 1);

        /* an object without IExternalConnection is told nothing: the class test's own */
        obj_init(&o);
        stm = marshaled(&o, MSHLFLAGS_NORMAL);
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&o.ext_adds), 0);
        ASSERT_EQ(atomic_load(&o.refs), 1);

        /* an STA's object, called from this MTA: told on its own thread; a proxy's
           references (RemAddRef, RemRelease) are connections too */
        struct ext_sta c;
        pthread_t t;
        DWORD idx;
        memset(&c, 0, sizeof c);
        obj_init(&c.obj);
        c.obj.has_extconn = true;
        c.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.again = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(pthread_create(&t, NULL, ext_sta_main, &c));
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &c.ready, &idx));
        ResetEvent(c.ready);
        ASSERT_EQ(atomic_load(&c.obj.connections), 1);
        stm = stream_of(c.normal, c.n_normal);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        ASSERT_TRUE(p != &c.obj.IObjTest2_iface);
        LONG v;
        ASSERT_OK(IObjTest2_Add(p, 1, 2, &v));
        ASSERT_EQ(atomic_load(&c.obj.connections), 1);
        IObjTest2_Release(p);
        connections_become(&c.obj, 0);
        ASSERT_EQ(atomic_load(&c.obj.last_closes), 1);
        /* the weak data unmarshaled here: the proxy asks for references of its own */
        stm = stream_of(c.weak, c.n_weak);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&q));
        IStream_Release(stm);
        connections_become(&c.obj, 1);
        IObjTest2_Release(q);
        connections_become(&c.obj, 0);
        /* the apartment ends with a client's references out: told, without closing */
        SetEvent(c.again);
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &c.ready, &idx));
        ASSERT_EQ(atomic_load(&c.obj.connections), 1);
        SetEvent(c.done);
        pthread_join(t, NULL);
        ASSERT_EQ(atomic_load(&c.obj.connections), 0);
        ASSERT_EQ(atomic_load(&c.obj.last_closes), 0);
        ASSERT_EQ(atomic_load(&c.obj.ext_adds), atomic_load(&c.obj.ext_releases));
        ASSERT_EQ(atomic_load(&c.obj.foreign), 0);
        ASSERT_EQ(atomic_load(&c.obj.refs), 1);
        CloseHandle(c.ready);
        CloseHandle(c.again);
        CloseHandle(c.done);
        CoUninitialize();
}

TEST(custom_and_standard_marshalers) {
        struct custom *c;
        IObjTest2 *p = NULL;
        IMarshal *std = NULL;
        IStream *stm;
        uint8_t bytes[256];
        size_t n;
        DWORD cookie;
        CLSID clsid;
        LONG v = 0;
        LARGE_INTEGER zero = { .QuadPart = 0 };

        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoRegisterClassObject(&CLSID_ValueUnmarshaler, (IUnknown *)&ucf,
                                        CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie));
        c = custom_new(1234);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&c->IObjTest2_iface,
                                     MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
        n = stream_bytes(stm, bytes, sizeof bytes);
        /* [MS-DCOM] 2.2.18.6: OBJREF_CUSTOM, the unmarshaler's CLSID, then its data */
        ASSERT_EQ(n, 24u + 16 + 8 + 4);
        ASSERT_EQ(bytes[4], OBJREF_CUSTOM);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        ASSERT_TRUE(p != &c->IObjTest2_iface);  /* a copy made by the unmarshaler */
        ASSERT_OK(IObjTest2_get_Value(p, &v));
        ASSERT_EQ(v, 1234);
        IObjTest2_Release(p);
        IStream_Release(stm);

        /* the standard marshaler as an object: an OBJREF_STANDARD like CoMarshalInterface's */
        struct obj o;
        obj_init(&o);
        ASSERT_OK(CoGetStandardMarshal(&IID_IObjTest2, (IUnknown *)&o.IObjTest2_iface, MSHCTX_INPROC,
                                       NULL, MSHLFLAGS_NORMAL, &std));
        ASSERT_OK(IMarshal_GetUnmarshalClass(std, &IID_IObjTest2, &o, MSHCTX_INPROC, NULL,
                                             MSHLFLAGS_NORMAL, &clsid));
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_StdMarshal));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IMarshal_MarshalInterface(std, stm, &IID_IObjTest2, &o, MSHCTX_INPROC, NULL,
                                            MSHLFLAGS_NORMAL));
        n = stream_bytes(stm, bytes, sizeof bytes);
        ASSERT_EQ(bytes[4], OBJREF_STANDARD);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        ASSERT_TRUE(p == &o.IObjTest2_iface);   /* same apartment: the object itself */
        IObjTest2_Release(p);
        IStream_Release(stm);
        IMarshal_Release(std);
        ASSERT_EQ(atomic_load(&o.refs), 1);

        /* a table-strong marshal: unmarshaled twice, kept until CoReleaseMarshalData */
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&o.IObjTest2_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG));
        for (int i = 0; i < 2; i++) {
                ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
                ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
                IObjTest2_Release(p);
        }
        ASSERT_GT(atomic_load(&o.refs), 1);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoReleaseMarshalData(stm));
        ASSERT_EQ(atomic_load(&o.refs), 1);
        IStream_Release(stm);

        /* CoLockObjectExternal keeps a stub manager; CoDisconnectObject ends it */
        ASSERT_OK(CoLockObjectExternal((IUnknown *)&o.IObjTest2_iface, TRUE, TRUE));
        ASSERT_GT(atomic_load(&o.refs), 1);
        ASSERT_OK(CoLockObjectExternal((IUnknown *)&o.IObjTest2_iface, FALSE, TRUE));
        ASSERT_EQ(atomic_load(&o.refs), 1);

        /*
         * CoGetStdMarshalEx(SMEXF_SERVER): the standard marshaler aggregated into the object,
         * whose IMarshal (QueryInterface'd through the object) marshals the object in the
         * standard form; its IUnknown methods are the object's, its inner IUnknown its own.
         */
        IUnknown *inner = (IUnknown *)1;
        ASSERT_HR_EQ(CoGetStdMarshalEx(NULL, SMEXF_SERVER, &inner), E_INVALIDARG);
        ASSERT_NULL(inner);
        ASSERT_HR_EQ(CoGetStdMarshalEx((IUnknown *)&o.IObjTest2_iface, 0, &inner), E_INVALIDARG);
        ASSERT_HR_EQ(CoGetStdMarshalEx((IUnknown *)&o.IObjTest2_iface, SMEXF_SERVER | SMEXF_HANDLER,
                                       &inner), E_INVALIDARG);
        ASSERT_HR_EQ(CoGetStdMarshalEx((IUnknown *)&o.IObjTest2_iface, SMEXF_SERVER, NULL),
                     E_INVALIDARG);
        ASSERT_HR_EQ(CoGetStdMarshalEx((IUnknown *)&o.IObjTest2_iface, SMEXF_HANDLER, &inner),
                     E_NOTIMPL);
        ASSERT_NULL(inner);
        ASSERT_OK(CoGetStdMarshalEx((IUnknown *)&o.IObjTest2_iface, SMEXF_SERVER, &inner));
        ASSERT_EQ(atomic_load(&o.refs), 1);             /* no reference on the outer object */
        o.ftm = inner;                                  /* the object's IMarshal: the aggregate's */
        ASSERT_OK(IObjTest2_QueryInterface(&o.IObjTest2_iface, &IID_IMarshal, (void **)&std));
        ASSERT_EQ(atomic_load(&o.refs), 2);             /* counted on the object */
        IUnknown *id = NULL;
        ASSERT_OK(IMarshal_QueryInterface(std, &IID_IUnknown, (void **)&id));
        ASSERT_TRUE(id == (IUnknown *)&o.IObjTest2_iface);     /* the object's identity */
        IUnknown_Release(id);
        ASSERT_OK(IMarshal_GetUnmarshalClass(std, &IID_IObjTest2, &o, MSHCTX_INPROC, NULL,
                                             MSHLFLAGS_NORMAL, &clsid));
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_StdMarshal));
        for (int direct = 0; direct < 2; direct++) {
                /* through CoMarshalInterface (which finds the IMarshal), then by hand */
                ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
                if (direct)
                        ASSERT_OK(IMarshal_MarshalInterface(std, stm, &IID_IObjTest2, NULL,
                                                            MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
                else
                        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&o.IObjTest2_iface,
                                                     MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
                n = stream_bytes(stm, bytes, sizeof bytes);
                ASSERT_EQ(bytes[4], OBJREF_STANDARD);
                ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
                ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
                ASSERT_TRUE(p == &o.IObjTest2_iface);
                IObjTest2_Release(p);
                IStream_Release(stm);
        }
        /* a table marshal, disconnected through the aggregate's IMarshal */
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&o.IObjTest2_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG));
        ASSERT_GT(atomic_load(&o.refs), 2);
        ASSERT_OK(IMarshal_DisconnectObject(std, 0));
        ASSERT_EQ(atomic_load(&o.refs), 2);
        IStream_Release(stm);
        IMarshal_Release(std);
        std = NULL;
        ASSERT_EQ(atomic_load(&o.refs), 1);
        o.ftm = NULL;
        ASSERT_EQ(IUnknown_Release(inner), 0u);        /* the aggregate goes with its owner */

        /* IStdMarshalInfo ([MS-DCOM] 2.2.18.5): an OBJREF_HANDLER, the handler's CLSID after
           the STDOBJREF; without a handler class, the standard form */
        static const CLSID handler = { 0x0e1d2c3b, 0x4a59, 0x6877, { 1, 2, 3, 4, 5, 6, 7, 8 } };
        struct obj h;
        obj_init(&h);
        h.has_info = true;
        h.handler = &handler;
        for (int with = 1; with >= 0; with--) {
                h.handler = with ? &handler : NULL;
                ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
                ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&h.IObjTest2_iface,
                                             MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
                n = stream_bytes(stm, bytes, sizeof bytes);
                ASSERT_EQ(bytes[4], with ? OBJREF_HANDLER : OBJREF_STANDARD);
                if (with) {
                        GUID wire;
                        memcpy(&wire, bytes + 24 + 40, sizeof wire);     /* little-endian host */
                        ASSERT_TRUE(IsEqualCLSID(&wire, &handler));
                }
                ASSERT_GT(n, 24u + 40 + (with ? 16 : 0));
                ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
                ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
                ASSERT_TRUE(p == &h.IObjTest2_iface);   /* our own object, handler or not */
                IObjTest2_Release(p);
                IStream_Release(stm);
        }
        ASSERT_EQ(atomic_load(&h.refs), 1);

        ASSERT_OK(CoRevokeClassObject(cookie));
        c_release(&c->IObjTest2_iface);
        CoUninitialize();
}


/* --- the modal loop: a callback into an STA that is waiting for its own call ------------- */

struct callme {
        ICallMe ICallMe_iface;
        atomic_int refs;
        pthread_t ran_on;
};

static HRESULT STDMETHODCALLTYPE cm_qi(ICallMe *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ICallMe)) {
                *ppv = This;
                atomic_fetch_add(&((struct callme *)This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cm_addref(ICallMe *This) {
        return (ULONG)atomic_fetch_add(&((struct callme *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE cm_release(ICallMe *This) {
        return (ULONG)atomic_fetch_sub(&((struct callme *)This)->refs, 1) - 1;
}

/* [MS-DCOM] 1.3.5: the causality IDs the object and the callback ran under */
static GUID cid_in_object, cid_in_callback;

static HRESULT STDMETHODCALLTYPE cm_ping(ICallMe *This, LONG x, LONG *y) {
        ((struct callme *)This)->ran_on = pthread_self();
        CoGetCurrentLogicalThreadId(&cid_in_callback);
        *y = x + 1;
        return S_OK;
}

static const ICallMeVtbl callme_vtbl = { cm_qi, cm_addref, cm_release, cm_ping };

struct caller {
        ICaller ICaller_iface;
        atomic_int refs;
};

static HRESULT STDMETHODCALLTYPE cr_qi(ICaller *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ICaller)) {
                *ppv = This;
                atomic_fetch_add(&((struct caller *)This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cr_addref(ICaller *This) {
        return (ULONG)atomic_fetch_add(&((struct caller *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE cr_release(ICaller *This) {
        return (ULONG)atomic_fetch_sub(&((struct caller *)This)->refs, 1) - 1;
}

/* the object (in the MTA) calls back the caller's object (in its STA) */
static HRESULT STDMETHODCALLTYPE cr_callback(ICaller *This, ICallMe *cb, LONG x, LONG *y) {
        CoGetCurrentLogicalThreadId(&cid_in_object);
        return cb ? ICallMe_Ping(cb, x, y) : E_POINTER;
}

static IUnknown *value_of_seen;         /* the pointer ValueOf was handed */

static HRESULT STDMETHODCALLTYPE cr_valueof(ICaller *This, IUnknown *obj, LONG *v) {
        IObjTest2 *t;
        HRESULT hr;

        value_of_seen = obj;
        if (!obj)
                return E_POINTER;
        if (FAILED(hr = IUnknown_QueryInterface(obj, &IID_IObjTest2, (void **)&t)))
                return hr;
        hr = IObjTest2_get_Value(t, v);
        IObjTest2_Release(t);
        return hr;
}

static IUnknown *same_seen;             /* the pointer Same was handed */

static HRESULT STDMETHODCALLTYPE cr_same(ICaller *This, IUnknown *obj, IUnknown **same) {
        same_seen = obj;
        if (obj)
                IUnknown_AddRef(obj);
        *same = obj;
        return S_OK;
}

static const ICallerVtbl caller_vtbl = { cr_qi, cr_addref, cr_release, cr_callback, cr_valueof,
                                         cr_same };

struct modal_ctx {
        uint8_t objref[2048];
        size_t len;
        struct callme cm;
        pthread_t thread;
        LONG y;
        HRESULT hr;
        int refs_after;
        GUID own_before;                /* the STA's logical thread ID outside any call */
};

static void *modal_sta(void *arg) {
        struct modal_ctx *c = arg;
        ICaller *p = NULL;
        IStream *stm;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        c->thread = pthread_self();
        c->cm.ICallMe_iface.lpVtbl = &callme_vtbl;
        atomic_init(&c->cm.refs, 1);
        stm = stream_of(c->objref, c->len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_ICaller, (void **)&p));
        IStream_Release(stm);
        ASSERT_OK(CoGetCurrentLogicalThreadId(&c->own_before));
        /* without the modal loop this call waits for itself */
        c->hr = ICaller_CallBack(p, &c->cm.ICallMe_iface, 20, &c->y);
        /* the server gave up the [in] pointer it got (its proxy released, our stub
           manager gone) before it answered */
        c->refs_after = atomic_load(&c->cm.refs);
        ICaller_Release(p);
        CoUninitialize();
        return NULL;
}

TEST(sta_callback_modal_loop) {
        struct modal_ctx c;
        struct caller obj = { { &caller_vtbl }, 1 };
        pthread_t t;
        IStream *stm;

        ASSERT_OK(com_ps_register(&ICallMe_ProxyVtbl, &ICallMe_p_interface));
        ASSERT_OK(com_ps_register(&ICaller_ProxyVtbl, &ICaller_p_interface));
        rpcss_start();
        memset(&c, 0, sizeof c);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ICaller, (IUnknown *)&obj.ICaller_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
        c.len = stream_bytes(stm, c.objref, sizeof c.objref);
        IStream_Release(stm);
        ASSERT_OK(pthread_create(&t, NULL, modal_sta, &c));
        pthread_join(t, NULL);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.y, 21);
        ASSERT_TRUE(pthread_equal(c.cm.ran_on, c.thread));     /* on the STA's own thread */
        /* [MS-DCOM] 1.3.5: the callback, made while the object ran the STA's call, carried
           that call's causality ID; the STA's call, made outside any, got a new one */
        ASSERT_TRUE(IsEqualGUID(&cid_in_object, &cid_in_callback));
        ASSERT_FALSE(IsEqualGUID(&cid_in_object, &GUID_NULL));
        ASSERT_FALSE(IsEqualGUID(&cid_in_object, &c.own_before));
        ASSERT_EQ(c.refs_after, 1);
        ASSERT_EQ(atomic_load(&c.cm.refs), 1);
        ASSERT_EQ(atomic_load(&obj.refs), 1);
        CoUninitialize();
        rpcss_stop();
}

/* Interface pointers in calls marshal as CoMarshalInterface does: an object's own
   marshaler (OBJREF_CUSTOM, unmarshaled by its class in the callee's apartment) and an
   object's handler (OBJREF_HANDLER) -- an [in] IUnknown * across apartments. */
struct value_ctx {
        uint8_t objref[2048];
        size_t len;
        IUnknown *arg;
        LONG v;
        HRESULT hr;
        bool same_too;                  /* Same(arg) after ValueOf */
        IUnknown *same;                 /* what it answered */
};

static void *value_sta(void *arg) {
        struct value_ctx *c = arg;
        ICaller *p = NULL;
        IStream *stm;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        stm = stream_of(c->objref, c->len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_ICaller, (void **)&p));
        IStream_Release(stm);
        c->hr = ICaller_ValueOf(p, c->arg, &c->v);
        if (SUCCEEDED(c->hr) && c->same_too) {
                c->same = NULL;
                c->hr = ICaller_Same(p, c->arg, &c->same);
        }
        ICaller_Release(p);
        CoUninitialize();
        return NULL;
}

TEST(marshalers_in_calls) {
        struct caller obj = { { &caller_vtbl }, 1 };
        struct value_ctx c;
        DWORD cookie;
        pthread_t t;
        IStream *stm;

        register_ps();
        ASSERT_OK(com_ps_register(&ICallMe_ProxyVtbl, &ICallMe_p_interface));
        ASSERT_OK(com_ps_register(&ICaller_ProxyVtbl, &ICaller_p_interface));
        rpcss_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoRegisterClassObject(&CLSID_ValueUnmarshaler, (IUnknown *)&ucf,
                                        CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie));
        memset(&c, 0, sizeof c);
        /* a table-strong marshal: each STA below unmarshals it */
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ICaller, (IUnknown *)&obj.ICaller_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG));
        c.len = stream_bytes(stm, c.objref, sizeof c.objref);

        /* a custom-marshaled object: the callee gets the copy its unmarshaler makes */
        struct custom *cu = custom_new(77);
        c.arg = (IUnknown *)&cu->IObjTest2_iface;
        value_of_seen = NULL;
        ASSERT_OK(pthread_create(&t, NULL, value_sta, &c));
        pthread_join(t, NULL);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.v, 77);
        ASSERT_TRUE(value_of_seen != NULL && value_of_seen != c.arg);
        ASSERT_EQ(atomic_load(&cu->refs), 1);   /* nothing of the original kept */

        /* a peer names an unmarshaler this process did not register (nor is it in
           CATID_Marshaler): refused, nothing created */
        ASSERT_OK(CoRevokeClassObject(cookie));
        ASSERT_OK(pthread_create(&t, NULL, value_sta, &c));
        pthread_join(t, NULL);
        ASSERT_TRUE(FAILED(c.hr));
        ASSERT_EQ(atomic_load(&cu->refs), 1);
        ASSERT_OK(CoRegisterClassObject(&CLSID_ValueUnmarshaler, (IUnknown *)&ucf,
                                        CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie));
        c_release(&cu->IObjTest2_iface);

        /* an object aggregating the free-threaded marshaler goes to another apartment
           of the process as itself, [in] and [out] -- as through
           CoMarshalInterThreadInterfaceInStream: a call from one apartment to another
           marshals for MSHCTX_INPROC (Windows' NdrProxyInitialize asks the channel) */
        struct obj fo;
        obj_init(&fo);
        fo.value = 9;
        ASSERT_OK(CoCreateFreeThreadedMarshaler((IUnknown *)&fo.IObjTest2_iface, &fo.ftm));
        c.arg = (IUnknown *)&fo.IObjTest2_iface;
        c.same_too = true;
        value_of_seen = same_seen = NULL;
        ASSERT_OK(pthread_create(&t, NULL, value_sta, &c));
        pthread_join(t, NULL);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.v, 9);
        ASSERT_TRUE(value_of_seen == c.arg);
        ASSERT_TRUE(same_seen == c.arg);
        ASSERT_TRUE(c.same == c.arg);           /* back as itself, no proxy */
        IUnknown_Release(c.same);
        c.same_too = false;
        IUnknown_Release(fo.ftm);
        ASSERT_EQ(atomic_load(&fo.refs), 1);    /* every marshal's reference handed back */

        /* an object with a handler: its OBJREF_HANDLER (the STA marshals it as its own)
           gives the MTA a proxy to it -- OpenDCOM loads no handler class in-process */
        static const CLSID handler = { 0x0e1d2c3b, 0x4a59, 0x6877, { 1, 2, 3, 4, 5, 6, 7, 9 } };
        struct obj h;
        obj_init(&h);
        h.value = 5;
        h.has_info = true;
        h.handler = &handler;
        c.arg = (IUnknown *)&h.IObjTest2_iface;
        ASSERT_OK(pthread_create(&t, NULL, value_sta, &c));
        pthread_join(t, NULL);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.v, 5);
        ASSERT_TRUE(value_of_seen != NULL && value_of_seen != c.arg);
        ASSERT_EQ(atomic_load(&h.refs), 1);

        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        ASSERT_EQ(atomic_load(&obj.refs), 1);
        ASSERT_OK(CoRevokeClassObject(cookie));
        CoUninitialize();
        rpcss_stop();
}

/*
 * A call between apartments that fails before the callee takes its [in] interface
 * pointer (the callee disconnected): the free-threaded object's data, which has no
 * rundown, is given back by the caller -- its reference too.
 */
struct failed_ctx {
        uint8_t objref[2048];
        size_t len;
        IUnknown *arg;
        pthread_mutex_t m;
        pthread_cond_t cv;
        int step;                       /* 1: the proxy is made; 2: the callee is gone */
        HRESULT hr;
};

static void failed_step(struct failed_ctx *c, int set, int wait) {
        pthread_mutex_lock(&c->m);
        if (set)
                c->step = set;
        pthread_cond_broadcast(&c->cv);
        while (wait && c->step < wait)
                pthread_cond_wait(&c->cv, &c->m);
        pthread_mutex_unlock(&c->m);
}

static void *failed_sta(void *arg) {
        struct failed_ctx *c = arg;
        IUnknown *same = NULL;
        ICaller *p = NULL;
        IStream *stm;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        stm = stream_of(c->objref, c->len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_ICaller, (void **)&p));
        IStream_Release(stm);
        failed_step(c, 1, 2);
        c->hr = ICaller_Same(p, c->arg, &same);
        ASSERT_NULL(same);
        ICaller_Release(p);
        CoUninitialize();
        return NULL;
}

TEST(failed_call_gives_back_inproc_data) {
        struct caller obj = { { &caller_vtbl }, 1 };
        struct failed_ctx c;
        struct obj fo;
        pthread_t t;
        IStream *stm;

        register_ps();
        ASSERT_OK(com_ps_register(&ICallMe_ProxyVtbl, &ICallMe_p_interface));
        ASSERT_OK(com_ps_register(&ICaller_ProxyVtbl, &ICaller_p_interface));
        rpcss_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        memset(&c, 0, sizeof c);
        pthread_mutex_init(&c.m, NULL);
        pthread_cond_init(&c.cv, NULL);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ICaller, (IUnknown *)&obj.ICaller_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
        c.len = stream_bytes(stm, c.objref, sizeof c.objref);
        IStream_Release(stm);
        obj_init(&fo);
        ASSERT_OK(CoCreateFreeThreadedMarshaler((IUnknown *)&fo.IObjTest2_iface, &fo.ftm));
        c.arg = (IUnknown *)&fo.IObjTest2_iface;
        same_seen = NULL;
        ASSERT_OK(pthread_create(&t, NULL, failed_sta, &c));
        failed_step(&c, 0, 1);
        ASSERT_OK(CoDisconnectObject((IUnknown *)&obj.ICaller_iface, 0));
        failed_step(&c, 2, 0);
        pthread_join(t, NULL);
        ASSERT_TRUE(FAILED(c.hr));
        ASSERT_NULL(same_seen);                 /* never called */
        IUnknown_Release(fo.ftm);
        ASSERT_EQ(atomic_load(&fo.refs), 1);    /* the marshal's reference given back */
        ASSERT_EQ(atomic_load(&obj.refs), 1);
        pthread_cond_destroy(&c.cv);
        pthread_mutex_destroy(&c.m);
        CoUninitialize();
        rpcss_stop();
}

/* HKLM\Software\OpenDCOM\Remoting AdvertisedAddresses: what clients are told (NAT). */
TEST(advertised_addresses) {
        int to, from, status;
        pid_t pid;
        uint8_t buf[2048];
        uint32_t len;
        struct objref o;
        struct rpc_binding *b;
        char sb[64], addr[128];
        DUALSTRINGARRAY *dsa = NULL;
        IPID ipid;
        DWORD hint = 0;
        COMVERSION ver;
        error_status_t st = 1;
        unsigned short tcp = DSA_TOWER_TCP;
        uint16_t tower;
        bool found = false;
        static const WCHAR names[] = u"dcom.example.test\0" u"192.0.2.7\0";

        ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Remoting",
                                  u"AdvertisedAddresses", REG_MULTI_SZ, names, sizeof names),
                  ERROR_SUCCESS);
        rpcss_start();
        pid = server_start(&to, &from);
        xread(from, &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(from, buf, len);
        ASSERT_OK(objref_parse(buf, len, &o, NULL));
        snprintf(sb, sizeof sb, "ncacn_ip_tcp:127.0.0.1[%s]", rpcss_port);
        ASSERT_OK(rpc_binding_from_string(sb, &b));
        ASSERT_OK(IObjectExporter_ResolveOxid2(b, &o.std.oxid, 1, &tcp, &dsa, &ipid, &hint, &ver, &st));
        ASSERT_EQ(st, 0);
        for (unsigned i = 0; dsa_string_binding(dsa, i, &tower, addr, sizeof addr) >= 0; i++) {
                ASSERT_EQ(tower, DSA_TOWER_TCP);
                ASSERT_TRUE(strncmp(addr, "dcom.example.test[", 18) == 0 ||
                            strncmp(addr, "192.0.2.7[", 10) == 0);
                found = true;
        }
        ASSERT_TRUE(found);
        midl_user_free(dsa);
        rpc_binding_free(b);
        objref_clear(&o);
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);
        HKEY k;
        ASSERT_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Remoting", 0, KEY_ALL_ACCESS,
                                &k), ERROR_SUCCESS);
        ASSERT_EQ(RegDeleteValueW(k, u"AdvertisedAddresses"), ERROR_SUCCESS);
        RegCloseKey(k);
        rpcss_stop();
}

/* --- ThreadingModel: an object made in an apartment that fits, the caller given a proxy -- */

static const CLSID CLSID_XaptObject = {
        0x6f3b2a10, 0x9c4d, 0x4b7e, { 0x8a, 0x1f, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71 }
};

static void register_xapt(const char *model) {
        const char *bdir = getenv("TEST_BUILD_DIR");
        char path[512];
        WCHAR wpath[512], wmodel[32];
        static const WCHAR key[] = u"CLSID\\{6F3B2A10-9C4D-4B7E-8A1F-2C3D4E5F6071}\\InprocServer32";

        ASSERT_NOT_NULL(bdir);
        snprintf(path, sizeof path, "%s/tests/xapt-component.so", bdir);
        size_t i;
        for (i = 0; path[i]; i++)
                wpath[i] = (WCHAR)path[i];
        wpath[i] = 0;
        for (i = 0; model[i]; i++)
                wmodel[i] = (WCHAR)model[i];
        wmodel[i] = 0;
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, NULL, REG_SZ, wpath, (DWORD)(2 * (dcom_utf16_len(wpath) + 1))),
                  ERROR_SUCCESS);
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, u"ThreadingModel", REG_SZ, wmodel,
                                  (DWORD)(2 * (dcom_utf16_len(wmodel) + 1))),
                  ERROR_SUCCESS);
}

struct xapt_case {
        DWORD coinit;
        HRESULT hr;
        LONG caller_tid, object_tid, sum;
};

static void *xapt_thread(void *arg) {
        struct xapt_case *c = arg;
        IObjTest2 *p = NULL;

        ASSERT_OK(CoInitializeEx(NULL, c->coinit));
        c->caller_tid = (LONG)syscall(SYS_gettid);
        c->hr = CoCreateInstance(&CLSID_XaptObject, NULL, CLSCTX_INPROC_SERVER, &IID_IObjTest2,
                                 (void **)&p);
        if (SUCCEEDED(c->hr)) {
                ASSERT_OK(IObjTest2_Add(p, 20, 22, &c->sum));
                ASSERT_OK(IObjTest2_get_Value(p, &c->object_tid));
                IObjTest2_Release(p);
        }
        CoUninitialize();
        return NULL;
}

static struct xapt_case xapt_run(const char *model, DWORD coinit) {
        struct xapt_case c = { .coinit = coinit, .hr = E_FAIL };
        pthread_t t;

        register_xapt(model);
        ASSERT_OK(pthread_create(&t, NULL, xapt_thread, &c));
        pthread_join(t, NULL);
        return c;
}

TEST(threading_model_proxies) {
        struct xapt_case c;

        register_ps();
        /* Free from an STA: made in the MTA, called there */
        c = xapt_run("Free", COINIT_APARTMENTTHREADED);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.sum, 42);
        ASSERT_TRUE(c.object_tid != c.caller_tid);
        /* Apartment from the MTA: made in the host STA, every call on its one thread */
        c = xapt_run("Apartment", COINIT_MULTITHREADED);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.sum, 42);
        ASSERT_TRUE(c.object_tid != c.caller_tid);
        struct xapt_case d = xapt_run("Apartment", COINIT_MULTITHREADED);
        ASSERT_OK(d.hr);
        ASSERT_EQ(d.object_tid, c.object_tid);
        /* fitting: the object itself, on the caller's thread */
        c = xapt_run("Both", COINIT_APARTMENTTHREADED);
        ASSERT_OK(c.hr);
        ASSERT_EQ(c.object_tid, c.caller_tid);
}

/* Another local user cannot call the objects of this one (SELF and root only). */
TEST(other_local_user_refused) {
        int to, from, status, res[2];
        pid_t pid, child;
        uint8_t buf[2048];
        uint32_t len;

        if (geteuid() != 0)
                SKIP("needs root to run a client as nobody");
        const char *root = getenv("OPENDCOM_ROOT");
        ASSERT_NOT_NULL(root);
        ASSERT_OK(chmod(root, 0755));
        rpcss_start();
        pid = server_start(&to, &from);
        for (int i = 0; i < 2; i++) {           /* both OBJREFs; the child gets the last */
                xread(from, &len, sizeof len);
                ASSERT_LE(len, sizeof buf);
                xread(from, buf, len);
        }
        ASSERT_OK(pipe(res));
        child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                IObjTest2 *p = NULL;
                LONG v = 0;
                HRESULT hr;
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(3);
                IStream *stm = stream_of(buf, len);
                hr = CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p);
                if (SUCCEEDED(hr))
                        hr = IObjTest2_Add(p, 1, 1, &v);
                xwrite(res[1], &hr, sizeof hr);
                _exit(0);
        }
        HRESULT hr;
        xread(res[0], &hr, sizeof hr);
        ASSERT_EQ(hr, E_ACCESSDENIED);       /* let in by the socket, refused per call */
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_GT(server_refs(to, from), 1);    /* the OBJREFs' references: still there */
        xwrite(to, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(to);
        close(from);
        close(res[0]);
        close(res[1]);
        rpcss_stop();
}

/* An object held through a proxy of this process's is not run down: we do not ping
   ourselves, and the OID's other clients going must not disconnect it. */
TEST(local_proxies_survive_rundown) {
        struct sta_ctx c;
        pthread_t t;
        IObjTest2 *p = NULL;
        IStream *stm;
        DWORD idx;
        LONG v;

        register_ps();
        rpcss_start();
        memset(&c, 0, sizeof c);
        c.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(pthread_create(&t, NULL, sta_main, &c));
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &c.ready, &idx));
        stm = stream_of(c.objref, c.len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        /* the same object marshaled for another process (its OID now pinged), that
           reference given back, and nobody pinging for seven periods */
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&c.obj.IObjTest2_iface,
                                     MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoReleaseMarshalData(stm));
        IStream_Release(stm);
        usleep(1500 * 1000);
        ASSERT_OK(IObjTest2_Add(p, 1, 2, &v));
        ASSERT_EQ(v, 3);
        IObjTest2_Release(p);
        SetEvent(c.done);
        pthread_join(t, NULL);
        ASSERT_EQ(atomic_load(&c.obj.refs), 1);
        CloseHandle(c.ready);
        CloseHandle(c.done);
        CoUninitialize();
        rpcss_stop();
}

/* A host that never answers a connection (its SYNs dropped: here a listener whose backlog
   is full) fails the call within the binding's timeout, not the kernel's two minutes. */
TEST(unanswered_connect_times_out) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof sa;
        int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[8];
        struct rpc_binding *b;
        char sb[64];
        error_status_t st = 0;

        ASSERT_OK(bind(lfd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(lfd, (struct sockaddr *)&sa, &sl));
        ASSERT_OK(listen(lfd, 0));
        for (int i = 0; i < 8; i++) {   /* fill the accept queue; later SYNs are dropped */
                fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
        }
        usleep(100 * 1000);
        snprintf(sb, sizeof sb, "ncacn_ip_tcp:127.0.0.1[%u]", ntohs(sa.sin_port));
        ASSERT_OK(rpc_binding_from_string(sb, &b));
        rpc_binding_set_timeout(b, 700);
        uint64_t t0 = test_now_ms();
        ASSERT_LT(IObjectExporter_ServerAlive(b, &st), 0);
        ASSERT_LT(test_now_ms() - t0, 5000);
        rpc_binding_free(b);
        for (int i = 0; i < 8; i++)
                close(fill[i]);
        close(lfd);
}

/* A stream nesting standard-marshaler wrappers without end is refused, not recursed. */
TEST(nested_wrappers_refused) {
        IStream *stm;
        void *p = NULL;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        struct objref o = { .flags = OBJREF_CUSTOM, .iid = IID_IUnknown, .clsid = CLSID_StdMarshal };
        struct buf b;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        buf_init(&b, 0);
        ASSERT_OK(objref_write(&b, &o));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        for (int i = 0; i < 10000; i++)
                ASSERT_OK(IStream_Write(stm, b.data, (ULONG)b.len, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_EQ(CoUnmarshalInterface(stm, &IID_IUnknown, &p), RPC_E_INVALID_OBJREF);
        ASSERT_TRUE(p == NULL);
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_EQ(CoReleaseMarshalData(stm), RPC_E_INVALID_OBJREF);
        IStream_Release(stm);
        buf_free(&b);
        CoUninitialize();
}

/* --- message filters (CoRegisterMessageFilter) ------------------------------------------------ */

struct mfilter {
        IMessageFilter IMessageFilter_iface;
        atomic_int refs;
        atomic_int reject_n;            /* calls to refuse next ... */
        DWORD reject_with;              /* ... with this */
        atomic_int incoming;
        DWORD last_type, last_method;
        IID last_iid;
        bool last_has_unk;
        atomic_int retries;
        DWORD retry_answer;
        DWORD last_reject_type;
        DWORD reject_types[8];          /* each RetryRejectedCall's dwRejectType */
        DWORD ticks[8];                 /* ... and dwTickCount */
        atomic_int reject_delay_ms;     /* the incoming call waits this long to be refused */
};

static struct mfilter *mf_impl(IMessageFilter *f) {
        return (struct mfilter *)f;
}

static HRESULT STDMETHODCALLTYPE mf_qi(IMessageFilter *f, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMessageFilter)) {
                *ppv = f;
                atomic_fetch_add(&mf_impl(f)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE mf_addref(IMessageFilter *f) {
        return (ULONG)atomic_fetch_add(&mf_impl(f)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE mf_release(IMessageFilter *f) {
        return (ULONG)atomic_fetch_sub(&mf_impl(f)->refs, 1) - 1;
}

static DWORD STDMETHODCALLTYPE mf_incoming(IMessageFilter *f, DWORD type, HTASK caller, DWORD ticks,
                                           LPINTERFACEINFO info) {
        struct mfilter *m = mf_impl(f);

        atomic_fetch_add(&m->incoming, 1);
        m->last_type = type;
        m->last_method = info->wMethod;
        m->last_iid = info->iid;
        m->last_has_unk = info->pUnk != NULL;
        if (atomic_load(&m->reject_n) > 0) {
                atomic_fetch_sub(&m->reject_n, 1);
                if (atomic_load(&m->reject_delay_ms))
                        usleep((useconds_t)atomic_load(&m->reject_delay_ms) * 1000);
                return m->reject_with;
        }
        return SERVERCALL_ISHANDLED;
}

static DWORD STDMETHODCALLTYPE mf_retry(IMessageFilter *f, HTASK callee, DWORD ticks, DWORD type) {
        struct mfilter *m = mf_impl(f);

        int n = atomic_fetch_add(&m->retries, 1);
        if (n < 8) {
                m->reject_types[n] = type;
                m->ticks[n] = ticks;
        }
        m->last_reject_type = type;
        return m->retry_answer;
}

static DWORD STDMETHODCALLTYPE mf_pending(IMessageFilter *f, HTASK callee, DWORD ticks, DWORD type) {
        return PENDINGMSG_WAITDEFPROCESS;
}

static const IMessageFilterVtbl mfilter_vtbl = { mf_qi, mf_addref, mf_release, mf_incoming,
                                                 mf_retry, mf_pending };

static void mfilter_init(struct mfilter *m) {
        memset(m, 0, sizeof *m);
        m->IMessageFilter_iface.lpVtbl = &mfilter_vtbl;
        atomic_init(&m->refs, 1);
}

/* The object's STA, with its filter. */
struct filtered_sta {
        struct sta_ctx s;
        struct mfilter f;
};

static void *filtered_sta_main(void *arg) {
        struct filtered_sta *c = arg;
        IMessageFilter *old = (IMessageFilter *)1;

        /* registered before sta_main's CoInitializeEx would be too early: an STA's only */
        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        ASSERT_OK(CoRegisterMessageFilter(&c->f.IMessageFilter_iface, &old));
        ASSERT_TRUE(old == NULL);
        sta_main(&c->s);                /* (its own CoInitializeEx nests in ours) */
        CoUninitialize();
        return NULL;
}

/* A client STA with its own filter: calls the object, and an MTA object that calls back. */
struct filtered_client {
        uint8_t objref[2048];
        size_t len;
        uint8_t caller_ref[2048];
        size_t caller_len;
        struct mfilter f;
        struct mfilter *server;
        struct callme cm;
        HRESULT hr_retried, hr_given_up, hr_waited, hr_callback, hr_cancelled, hr_cancel;
        uint64_t waited_ms, cancelled_ms;
        atomic_uint tid;
        int refs_left;
};

/* CoCancelCall of the client's call once it waits to go again */
static void *cancel_soon(void *arg) {
        struct filtered_client *c = arg;
        usleep(200 * 1000);
        c->hr_cancel = CoCancelCall(atomic_load(&c->tid), 0);
        return NULL;
}

static void *filtered_client_main(void *arg) {
        struct filtered_client *c = arg;
        IObjTest2 *p = NULL;
        ICaller *caller = NULL;
        IStream *stm;
        LONG v = 0;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        ASSERT_OK(CoRegisterMessageFilter(&c->f.IMessageFilter_iface, NULL));
        stm = stream_of(c->objref, c->len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        /* deferred twice, tried again at once each time */
        c->server->reject_with = SERVERCALL_RETRYLATER;
        atomic_store(&c->server->reject_n, 2);
        c->f.retry_answer = 0;
        c->hr_retried = IObjTest2_Add(p, 40, 2, &v);
        /* rejected, and given up */
        c->server->reject_with = SERVERCALL_REJECTED;
        atomic_store(&c->server->reject_n, 1);
        c->f.retry_answer = (DWORD)-1;
        c->hr_given_up = IObjTest2_Add(p, 1, 1, &v);
        /* deferred, tried again after 150 ms */
        c->server->reject_with = SERVERCALL_RETRYLATER;
        atomic_store(&c->server->reject_n, 1);
        c->f.retry_answer = 150;
        uint64_t t0 = test_now_ms();
        c->hr_waited = IObjTest2_Add(p, 2, 3, &v);
        c->waited_ms = test_now_ms() - t0;
        ASSERT_EQ(v, 5);
        /* deferred after 200 ms in the callee: RetryRejectedCall's tick count is the time
           since the call was made, that first attempt included */
        c->server->reject_with = SERVERCALL_RETRYLATER;
        atomic_store(&c->server->reject_delay_ms, 200);
        atomic_store(&c->server->reject_n, 1);
        c->f.retry_answer = 0;
        ASSERT_OK(IObjTest2_Add(p, 3, 4, &v));
        ASSERT_EQ(v, 7);
        atomic_store(&c->server->reject_delay_ms, 0);
        /* deferred, to go again in 20 s: a CoCancelCall while it waits ends it */
        ASSERT_OK(CoEnableCallCancellation(NULL));
        atomic_store(&c->tid, GetCurrentThreadId());
        c->server->reject_with = SERVERCALL_RETRYLATER;
        atomic_store(&c->server->reject_n, 1);
        c->f.retry_answer = 20000;
        pthread_t canceller;
        ASSERT_OK(pthread_create(&canceller, NULL, cancel_soon, c));
        t0 = test_now_ms();
        c->hr_cancelled = IObjTest2_Add(p, 2, 3, &v);
        c->cancelled_ms = test_now_ms() - t0;
        pthread_join(canceller, NULL);
        ASSERT_OK(CoDisableCallCancellation(NULL));
        IObjTest2_Release(p);

        /* a callback made while the object runs our call is nested in it */
        c->cm.ICallMe_iface.lpVtbl = &callme_vtbl;
        atomic_init(&c->cm.refs, 1);
        stm = stream_of(c->caller_ref, c->caller_len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_ICaller, (void **)&caller));
        IStream_Release(stm);
        c->hr_callback = ICaller_CallBack(caller, &c->cm.ICallMe_iface, 1, &v);
        ICaller_Release(caller);
        CoUninitialize();
        c->refs_left = atomic_load(&c->f.refs);         /* CoUninitialize let it go */
        return NULL;
}

TEST(message_filters) {
        struct filtered_sta *srv = calloc(1, sizeof *srv);
        struct filtered_client *cl = calloc(1, sizeof *cl);
        struct caller obj = { { &caller_vtbl }, 1 };
        IMessageFilter *old = NULL;
        IObjTest2 *p = NULL;
        IStream *stm;
        pthread_t ts, tc;
        LONG v = 0;

        ASSERT_OK(com_ps_register(&ICallMe_ProxyVtbl, &ICallMe_p_interface));
        ASSERT_OK(com_ps_register(&ICaller_ProxyVtbl, &ICaller_p_interface));
        rpcss_start();
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        mfilter_init(&srv->f);
        mfilter_init(&cl->f);
        /* the MTA has no message filter */
        ASSERT_HR_EQ(CoRegisterMessageFilter(&cl->f.IMessageFilter_iface, &old), CO_E_NOT_SUPPORTED);
        ASSERT_TRUE(old == NULL);

        srv->s.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        srv->s.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(pthread_create(&ts, NULL, filtered_sta_main, srv));
        DWORD idx;
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &srv->s.ready, &idx));
        stm = stream_of(srv->s.objref, srv->s.len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);

        /* a caller without a filter (the MTA) hears the refusal as it came */
        srv->f.reject_with = SERVERCALL_RETRYLATER;
        atomic_store(&srv->f.reject_n, 1);
        ASSERT_HR_EQ(IObjTest2_Add(p, 1, 2, &v), RPC_E_SERVERCALL_RETRYLATER);
        ASSERT_EQ(atomic_load(&srv->f.incoming), 1);
        ASSERT_EQ(srv->f.last_type, CALLTYPE_TOPLEVEL);
        ASSERT_EQ(srv->f.last_method, 3);               /* IObjTest::Add */
        ASSERT_TRUE(IsEqualIID(&srv->f.last_iid, &IID_IObjTest2));
        ASSERT_TRUE(srv->f.last_has_unk);
        ASSERT_EQ(atomic_load(&srv->s.obj.calls), 0);   /* it did not run */
        ASSERT_OK(IObjTest2_Add(p, 1, 2, &v));
        ASSERT_EQ(v, 3);
        ASSERT_EQ(atomic_load(&srv->f.incoming), 2);

        /* a client STA with a filter: its rejected calls go again as it says */
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)p, MSHCTX_INPROC, NULL,
                                     MSHLFLAGS_NORMAL));
        cl->len = stream_bytes(stm, cl->objref, sizeof cl->objref);
        IStream_Release(stm);
        cl->server = &srv->f;
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ICaller, (IUnknown *)&obj.ICaller_iface,
                                     MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL));
        cl->caller_len = stream_bytes(stm, cl->caller_ref, sizeof cl->caller_ref);
        IStream_Release(stm);
        ASSERT_OK(pthread_create(&tc, NULL, filtered_client_main, cl));
        pthread_join(tc, NULL);
        ASSERT_OK(cl->hr_retried);
        /* 2 + 1 (given up) + 1 (waited) + 1 (deferred late) + 1 (cancelled while waiting) */
        ASSERT_EQ(atomic_load(&cl->f.retries), 6);
        ASSERT_HR_EQ(cl->hr_given_up, RPC_E_CALL_REJECTED);
        ASSERT_EQ(cl->f.reject_types[0], SERVERCALL_RETRYLATER);
        ASSERT_EQ(cl->f.reject_types[1], SERVERCALL_RETRYLATER);
        ASSERT_EQ(cl->f.reject_types[2], SERVERCALL_REJECTED);
        ASSERT_EQ(cl->f.reject_types[3], SERVERCALL_RETRYLATER);
        ASSERT_LT(cl->f.ticks[0], 1000);
        ASSERT_GE(cl->f.ticks[4], 190);         /* the late deferral's: since the call */
        ASSERT_LT(cl->f.ticks[4], 5000);
        ASSERT_OK(cl->hr_waited);
        ASSERT_GE(cl->waited_ms, 140);
        ASSERT_OK(cl->hr_cancel);
        ASSERT_HR_EQ(cl->hr_cancelled, RPC_E_CALL_CANCELED);
        ASSERT_GE(cl->cancelled_ms, 150);
        ASSERT_LT(cl->cancelled_ms, 5000);
        /* the callback into the client's STA came while it waited for its own call, with
           that call's causality: nested */
        ASSERT_OK(cl->hr_callback);
        ASSERT_GE(atomic_load(&cl->f.incoming), 1);
        ASSERT_EQ(cl->f.last_type, CALLTYPE_NESTED);
        ASSERT_EQ(cl->refs_left, 1);

        IObjTest2_Release(p);
        SetEvent(srv->s.done);
        pthread_join(ts, NULL);
        ASSERT_EQ(atomic_load(&srv->f.refs), 1);        /* the STA's end let it go */
        CloseHandle(srv->s.ready);
        CloseHandle(srv->s.done);
        free(srv);
        free(cl);
        CoUninitialize();
        rpcss_stop();
}

/* --- a call whose request never went ---------------------------------------------------------- */

/* The child: an ICaller marshaled for this machine; it waits to be killed. */
static _Noreturn void caller_server_main(int in, int out) {
        struct caller obj = { { &caller_vtbl }, 1 };
        uint8_t buf[2048];
        IStream *stm;
        char cmd;

        ASSERT_OK(com_ps_register(&ICallMe_ProxyVtbl, &ICallMe_p_interface));
        ASSERT_OK(com_ps_register(&ICaller_ProxyVtbl, &ICaller_p_interface));
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ICaller, (IUnknown *)&obj.ICaller_iface,
                                     MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
        uint32_t len = (uint32_t)stream_bytes(stm, buf, sizeof buf);
        IStream_Release(stm);
        xwrite(out, &len, sizeof len);
        xwrite(out, buf, len);
        while (read(in, &cmd, 1) == 1)
                ;
        _exit(0);
}

/*
 * A call that fails before its request went -- its server gone, the proxy's reconnect
 * refused -- gives back the interface pointers marshaled into it at once: a
 * custom-marshaled object's data is released (ReleaseMarshalData), which nothing else
 * would ever do (custom data has no rundown); a standard one's references likewise.
 */
TEST(unsent_request_gives_back_its_marshals) {
        int to, from, status;
        uint8_t buf[2048];
        uint32_t len;
        ICaller *p = NULL;
        DWORD cookie;
        LONG v = 0;

        register_ps();
        ASSERT_OK(com_ps_register(&ICallMe_ProxyVtbl, &ICallMe_p_interface));
        ASSERT_OK(com_ps_register(&ICaller_ProxyVtbl, &ICaller_p_interface));
        rpcss_start();
        pid_t pid = fork_peer(caller_server_main, &to, &from);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoRegisterClassObject(&CLSID_ValueUnmarshaler, (IUnknown *)&ucf,
                                        CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie));
        xread(from, &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(from, buf, len);
        IStream *stm = stream_of(buf, len);
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_ICaller, (void **)&p));
        IStream_Release(stm);

        ASSERT_EQ(kill(pid, SIGKILL), 0);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        struct custom *cu = custom_new(5);
        atomic_store(&custom_data_released, 0);
        /* the first call may find the old connection (its request may have gone: kept);
           the next ones find no server to connect to: nothing went, all is given back */
        for (int i = 0; i < 4; i++)
                ASSERT_TRUE(FAILED(ICaller_ValueOf(p, (IUnknown *)&cu->IObjTest2_iface, &v)));
        ASSERT_GE(atomic_load(&custom_data_released), 3);
        ASSERT_EQ(atomic_load(&cu->refs), 1);   /* (custom data holds no reference) */
        c_release(&cu->IObjTest2_iface);

        ICaller_Release(p);
        ASSERT_OK(CoRevokeClassObject(cookie));
        close(to);
        close(from);
        CoUninitialize();
        rpcss_stop();
}
