/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IEnumString (idl/objidl.idl) through dcomidl's proxy and stub, as COM code uses it:
 * an enumerator in C hands out strings from CoTaskMemAlloc, the caller frees them with
 * CoTaskMemFree.  Next's LPOLESTR *rgelt is an array of [unique] pointers to [string]s
 * (LPOLESTR is wtypes.idl's typedef [string] OLECHAR *), so each string must arrive
 * whole -- empty, non-ASCII, a surrogate pair -- and the stub, which owns the [out]
 * strings once they are marshaled, must free them (LeakSanitizer watches the
 * apartment test, where object and caller share a process).  Checked across apartments
 * (an STA hosting the object, the MTA calling through a proxy) and across processes
 * (the real rpcss resolving the OXID): Next with fewer strings left than asked for
 * (S_FALSE), Skip, Reset, and Clone returning a second enumerator through the proxy.
 */
#define COBJMACROS
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "objidl_stub.h"
#include "rpcss-run.h"
#include "test.h"

/*
 * ISequentialStream's [local] Read and Write and their wire forms RemoteRead and
 * RemoteWrite ([call_as]): MIDL leaves the two halves to the application (Windows has
 * them in ole32).  This test calls neither; objidl_p.c needs them to link.
 */
HRESULT STDMETHODCALLTYPE ISequentialStream_Read_Proxy(ISequentialStream *This, void *pv, ULONG cb,
                                                        ULONG *pcbRead) {
        ULONG n = 0;
        HRESULT hr = ISequentialStream_RemoteRead_Proxy(This, pv, cb, &n);

        if (pcbRead)
                *pcbRead = n;
        return hr;
}

HRESULT STDMETHODCALLTYPE ISequentialStream_Read_Stub(ISequentialStream *This, BYTE *pv, ULONG cb,
                                                       ULONG *pcbRead) {
        return ISequentialStream_Read(This, pv, cb, pcbRead);
}

HRESULT STDMETHODCALLTYPE ISequentialStream_Write_Proxy(ISequentialStream *This, const void *pv,
                                                         ULONG cb, ULONG *pcbWritten) {
        ULONG n = 0;
        HRESULT hr = ISequentialStream_RemoteWrite_Proxy(This, pv, cb, &n);

        if (pcbWritten)
                *pcbWritten = n;
        return hr;
}

HRESULT STDMETHODCALLTYPE ISequentialStream_Write_Stub(ISequentialStream *This, const BYTE *pv,
                                                        ULONG cb, ULONG *pcbWritten) {
        return ISequentialStream_Write(This, pv, cb, pcbWritten);
}

/* --- the enumerator ------------------------------------------------------------------------ */

static const WCHAR *const items[] = {
        u"alpha", u"", u"\u00e9t\u00e9", u"\U0001F600 smile", u"omega",
};
#define N_ITEMS ((ULONG)(sizeof items / sizeof *items))

static size_t wlen(const WCHAR *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static bool wequal(const WCHAR *a, const WCHAR *b) {
        size_t n = wlen(a);
        return n == wlen(b) && memcmp(a, b, n * sizeof *a) == 0;
}

struct enumstr {
        IEnumString IEnumString_iface;
        atomic_int refs;
        ULONG pos;
        bool heap;                      /* a clone: freed with its last reference */
};

static atomic_int live_clones;

static struct enumstr *impl_from_IEnumString(IEnumString *iface) {
        return (struct enumstr *)((char *)iface - offsetof(struct enumstr, IEnumString_iface));
}

static HRESULT STDMETHODCALLTYPE es_qi(IEnumString *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumString)) {
                *ppv = iface;
                IEnumString_AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE es_addref(IEnumString *iface) {
        return (ULONG)atomic_fetch_add(&impl_from_IEnumString(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE es_release(IEnumString *iface) {
        struct enumstr *e = impl_from_IEnumString(iface);
        int r = atomic_fetch_sub(&e->refs, 1) - 1;

        if (r == 0 && e->heap) {
                atomic_fetch_sub(&live_clones, 1);
                free(e);
        }
        return (ULONG)r;
}

/* COM's rule: the strings are the caller's, from CoTaskMemAlloc. */
static HRESULT STDMETHODCALLTYPE es_next(IEnumString *iface, ULONG celt, LPOLESTR *rgelt,
                                         ULONG *fetched) {
        struct enumstr *e = impl_from_IEnumString(iface);
        ULONG i;

        for (i = 0; i < celt && e->pos < N_ITEMS; i++, e->pos++) {
                size_t n = wlen(items[e->pos]) + 1;
                rgelt[i] = CoTaskMemAlloc(n * sizeof(WCHAR));
                if (!rgelt[i]) {
                        while (i--)
                                CoTaskMemFree(rgelt[i]);
                        return E_OUTOFMEMORY;
                }
                memcpy(rgelt[i], items[e->pos], n * sizeof(WCHAR));
        }
        if (fetched)
                *fetched = i;
        return i == celt ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE es_skip(IEnumString *iface, ULONG celt) {
        struct enumstr *e = impl_from_IEnumString(iface);
        ULONG left = N_ITEMS - e->pos;

        e->pos += celt < left ? celt : left;
        return celt <= left ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE es_reset(IEnumString *iface) {
        impl_from_IEnumString(iface)->pos = 0;
        return S_OK;
}

static const IEnumStringVtbl es_vtbl;

static HRESULT STDMETHODCALLTYPE es_clone(IEnumString *iface, IEnumString **ret) {
        struct enumstr *c = calloc(1, sizeof *c);

        *ret = NULL;
        if (!c)
                return E_OUTOFMEMORY;
        c->IEnumString_iface.lpVtbl = &es_vtbl;
        atomic_init(&c->refs, 1);
        c->pos = impl_from_IEnumString(iface)->pos;
        c->heap = true;
        atomic_fetch_add(&live_clones, 1);
        *ret = &c->IEnumString_iface;
        return S_OK;
}

static const IEnumStringVtbl es_vtbl = {
        es_qi, es_addref, es_release, es_next, es_skip, es_reset, es_clone,
};

static void enumstr_init(struct enumstr *e) {
        memset(e, 0, sizeof *e);
        e->IEnumString_iface.lpVtbl = &es_vtbl;
        atomic_init(&e->refs, 1);
}

static void register_ps(void) {
        ASSERT_OK(com_ps_register(&IEnumString_ProxyVtbl, &IEnumString_p_interface));
}

/* --- what a caller sees ---------------------------------------------------------------------- */

/* Next(celt) from the current position: want strings, as the object holds them. */
static void expect_next(IEnumString *p, ULONG celt, ULONG first, ULONG want, HRESULT hr) {
        LPOLESTR got[N_ITEMS + 2];
        ULONG fetched = 12345;

        ASSERT_LE(celt, N_ITEMS + 2);
        memset(got, 0, sizeof got);
        ASSERT_HR_EQ(IEnumString_Next(p, celt, got, &fetched), hr);
        ASSERT_EQ(fetched, want);
        for (ULONG i = 0; i < want; i++) {
                ASSERT_NOT_NULL(got[i]);
                ASSERT_TRUE(wequal(got[i], items[first + i]));
                CoTaskMemFree(got[i]);
        }
        for (ULONG i = want; i < celt; i++)
                ASSERT_NULL(got[i]);
}

static void exercise(IEnumString *p) {
        IEnumString *c = NULL;

        expect_next(p, 2, 0, 2, S_OK);          /* "alpha" and the empty string */
        expect_next(p, 1, 2, 1, S_OK);          /* non-ASCII */
        expect_next(p, 5, 3, 2, S_FALSE);       /* a surrogate pair; fewer than asked for */
        expect_next(p, 1, 0, 0, S_FALSE);       /* the end */
        ASSERT_HR_EQ(IEnumString_Reset(p), S_OK);
        ASSERT_HR_EQ(IEnumString_Skip(p, 3), S_OK);
        expect_next(p, 1, 3, 1, S_OK);
        /* a second enumerator where the first one is, itself through a proxy */
        ASSERT_HR_EQ(IEnumString_Clone(p, &c), S_OK);
        ASSERT_NOT_NULL(c);
        expect_next(c, 2, 4, 1, S_FALSE);
        expect_next(p, 1, 4, 1, S_OK);          /* the original did not move */
        ASSERT_HR_EQ(IEnumString_Skip(p, 1), S_FALSE);
        IEnumString_Release(c);
        /* a large batch, every element a referent of its own */
        ASSERT_HR_EQ(IEnumString_Reset(p), S_OK);
        expect_next(p, N_ITEMS + 2, 0, N_ITEMS, S_FALSE);
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

static size_t marshal(IEnumString *e, DWORD ctx, uint8_t *out, size_t size) {
        IStream *stm;
        size_t n;

        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IEnumString, (IUnknown *)e, ctx, NULL,
                                     MSHLFLAGS_NORMAL));
        n = stream_bytes(stm, out, size);
        IStream_Release(stm);
        return n;
}

static IEnumString *unmarshal(const uint8_t *p, size_t n) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        IEnumString *e = NULL;
        IStream *stm;

        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, p, (ULONG)n, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IEnumString, (void **)&e));
        IStream_Release(stm);
        return e;
}

/* --- across apartments of one process ------------------------------------------------------- */

struct sta_ctx {
        struct enumstr e;
        uint8_t objref[2048];
        size_t len;
        HANDLE ready, done;
};

static void *sta_main(void *arg) {
        struct sta_ctx *c = arg;
        DWORD idx;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        enumstr_init(&c->e);
        c->len = marshal(&c->e.IEnumString_iface, MSHCTX_INPROC, c->objref, sizeof c->objref);
        SetEvent(c->ready);
        /* the STA serves its calls while it waits */
        ASSERT_OK(CoWaitForMultipleHandles(0, 20000, 1, &c->done, &idx));
        CoUninitialize();
        return NULL;
}

TEST(cross_apartment) {
        struct sta_ctx c;
        IEnumString *p;
        pthread_t t;
        DWORD idx;

        /* Clone's [out] interface pointer is marshaled by the stub, which registers the
           apartment's OXID with rpcss */
        rpcss_start();
        register_ps();
        memset(&c, 0, sizeof c);
        c.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        c.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(pthread_create(&t, NULL, sta_main, &c));
        ASSERT_OK(CoWaitForMultipleHandles(0, 10000, 1, &c.ready, &idx));
        p = unmarshal(c.objref, c.len);
        ASSERT_TRUE(p != &c.e.IEnumString_iface);      /* a proxy */
        exercise(p);
        IEnumString_Release(p);
        SetEvent(c.done);
        pthread_join(t, NULL);
        /* every reference the exporter took is back, the clone is gone */
        ASSERT_EQ(atomic_load(&c.e.refs), 1);
        ASSERT_EQ(atomic_load(&live_clones), 0);
        CloseHandle(c.ready);
        CloseHandle(c.done);
        CoUninitialize();
        rpcss_stop();
}

/* --- across processes (rpcss resolves the OXID) ---------------------------------------------- */

static void xwrite(int fd, const void *p, size_t n) {
        ASSERT_EQ(write(fd, p, n), (ssize_t)n);
}

static void xread(int fd, void *p, size_t n) {
        size_t got = 0;

        while (got < n) {
                ssize_t k = read(fd, (uint8_t *)p + got, n - got);
                ASSERT_GT(k, 0);
                got += (size_t)k;
        }
}

/* The server process: marshals its enumerator, sends the OBJREF, and on 'q' reports
   its reference count and the clones still alive, then quits. */
static _Noreturn void server_main(int in, int out) {
        struct enumstr e;
        uint8_t buf[2048];
        uint32_t len;
        int32_t st[2];
        char cmd;

        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        enumstr_init(&e);
        len = (uint32_t)marshal(&e.IEnumString_iface, MSHCTX_LOCAL, buf, sizeof buf);
        xwrite(out, &len, sizeof len);
        xwrite(out, buf, len);
        ASSERT_EQ(read(in, &cmd, 1), 1);
        st[0] = atomic_load(&e.refs);
        st[1] = atomic_load(&live_clones);
        xwrite(out, st, sizeof st);
        CoUninitialize();
        _exit(0);
}

TEST(cross_process) {
        uint8_t buf[2048];
        int a[2], b[2], status;
        int32_t st[2];
        uint32_t len;
        IEnumString *p;
        pid_t pid;

        rpcss_start();
        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(a[1]);
                close(b[0]);
                server_main(a[0], b[1]);
        }
        close(a[0]);
        close(b[1]);
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        xread(b[0], &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(b[0], buf, len);
        p = unmarshal(buf, len);
        exercise(p);
        IEnumString_Release(p);
        xwrite(a[1], "q", 1);
        xread(b[0], st, sizeof st);
        ASSERT_EQ(st[0], 1);            /* the proxy's references are back */
        ASSERT_EQ(st[1], 0);            /* the clone was released */
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(a[1]);
        close(b[0]);
        CoUninitialize();
        rpcss_stop();
}
