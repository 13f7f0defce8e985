/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Proxy/stub libraries the Windows way (src/com/psfactory.c, <rpcproxy.h>): a library
 * built from dcomidl's obj_p.c, remote_p.c and dlldata.c (tests/meson.build: psdll) is
 * registered with regsvr -- HKCR\Interface\{iid}\ProxyStubClsid32 and the factory's
 * InprocServer32, checked key by key -- and then a server process and a client process,
 * neither linking any proxy code (this test links libdcom.so and the IDL's headers and
 * IIDs only), call an object across processes over ncalrpc through it: methods with
 * strings, arrays and structures, an [iid_is] interface pointer out, remote
 * QueryInterface, and a callback into the client through an interface pointer passed
 * [in].  An unregistered IID, a ProxyStubClsid32 whose library has no DllGetClassObject,
 * one whose library is missing and one whose library does not know the CLSID give
 * E_NOINTERFACE to QueryInterface on a proxy and REGDB_E_IIDNOTREG to CoMarshalInterface,
 * as does a library whose class object is a hand-written IPSFactoryBuffer (let go, never
 * called);
 * regsvr /u takes the keys away.
 *     test-com-psdll  (env: PSDLL = the library, NOEXPORTS = a library without exports,
 *                      FOREIGNPS = tests/psdll/foreign-ps.c's library)
 */
#define COBJMACROS
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>
#include <rpc.h>

#include "obj.h"
#include "remote.h"
#include "test.h"

static const IID IID_Unregistered = {
        0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x40, 0x11}};
static const IID IID_NoExports = {
        0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x40, 0x12}};
static const IID IID_NoLibrary = {
        0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x40, 0x13}};
static const IID IID_NotPs = {
        0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x40, 0x14}};
static const IID IID_Foreign = {
        0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x40, 0x15}};

/* no proxy/stub: unregistered, a library without DllGetClassObject, a missing library, a
   proxy/stub library that does not know that CLSID, a hand-written IPSFactoryBuffer */
static const IID *const bad_iids[] = {&IID_Unregistered, &IID_NoExports, &IID_NoLibrary, &IID_NotPs,
                                      &IID_Foreign};

static void xwrite(int fd, const void *p, size_t n) {
        ASSERT_EQ(write(fd, p, n), (ssize_t)n);
}

static void xread(int fd, void *p, size_t n) {
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, (char *)p + got, n - got);
                ASSERT_GT(k, 0);
                got += (size_t)k;
        }
}

/* --- the processes: rpcss, regsvr ------------------------------------------------------------- */

static pid_t rpcss_pid;

static void rpcss_stop(void) {
        if (rpcss_pid > 0) {
                kill(rpcss_pid, SIGTERM);
                waitpid(rpcss_pid, NULL, 0);
                rpcss_pid = 0;
        }
}

/* rpcss on a free loopback port, answering on ncalrpc (its endpoint mapper) before we go on. */
static void rpcss_start(void) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        char exe[512], port[16];
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
        close(fd);
        snprintf(port, sizeof port, "%u", ntohs(sa.sin_port));
        setenv("OPENDCOM_EPM_PORT", port, 1);
        snprintf(exe, sizeof exe, "%s/services/rpcss", getenv("TEST_BUILD_DIR"));
        rpcss_pid = fork();
        ASSERT_GE(rpcss_pid, 0);
        if (rpcss_pid == 0) {
                execl(exe, "rpcss", "--port", port, "--listen", "127.0.0.1", "--foreground",
                      (char *)NULL);
                _exit(127);
        }
        atexit(rpcss_stop);
        for (int i = 0;; i++) {
                RPC_BINDING_HANDLE b = NULL;
                RPC_STATUS st = RpcBindingFromStringBindingA((RPC_CSTR) "ncalrpc:[epmapper]", &b);
                if (st == RPC_S_OK)
                        st = RpcMgmtIsServerListening(b);
                if (b)
                        RpcBindingFree(&b);
                if (st == RPC_S_OK)
                        break;
                ASSERT_LT(i, 500); /* 5 s */
                ASSERT_EQ(waitpid(rpcss_pid, NULL, WNOHANG), 0);
                usleep(10000);
        }
}

/* regsvr [/u] /s LIBRARY: its exit code. */
static int regsvr(const char *lib, bool unregister) {
        char exe[512];
        int status;
        pid_t pid;

        snprintf(exe, sizeof exe, "%s/tools/regsvr/regsvr", getenv("TEST_BUILD_DIR"));
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                if (unregister)
                        execl(exe, "regsvr", "/u", "/s", lib, (char *)NULL);
                else
                        execl(exe, "regsvr", "/s", lib, (char *)NULL);
                _exit(127);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* HKCR\PREFIX{guid}SUFFIX's default value, as UTF-8 in buf; false when absent. */
static bool hkcr_value(const char *prefix, const GUID *g, const char *suffix, char *buf,
                       size_t size) {
        char s[160];
        WCHAR key[160], val[512], id[39];
        DWORD n = sizeof val;
        size_t k = 0;

        StringFromGUID2(g, id, 39);
        snprintf(s, sizeof s, "%s", prefix);
        for (size_t i = 0; s[i]; i++)
                key[k++] = (WCHAR)s[i];
        for (size_t i = 0; id[i]; i++)
                key[k++] = id[i];
        for (size_t i = 0; suffix[i]; i++)
                key[k++] = (WCHAR)suffix[i];
        key[k] = 0;
        if (RegGetValueW(HKEY_CLASSES_ROOT, key, NULL, RRF_RT_REG_SZ, NULL, val, &n) !=
            ERROR_SUCCESS)
                return false;
        for (k = 0; val[k] && k + 1 < size; k++)
                buf[k] = (char)val[k];
        buf[k] = 0;
        return true;
}

static void guid_str(const GUID *g, char *buf) {
        WCHAR id[39];
        StringFromGUID2(g, id, 39);
        for (int i = 0; i < 39; i++)
                buf[i] = (char)id[i];
}

static void set_hkcr(const char *key, const char *value) {
        WCHAR k[200], v[600];
        size_t i;
        for (i = 0; key[i]; i++)
                k[i] = (WCHAR)key[i];
        k[i] = 0;
        for (i = 0; value[i]; i++)
                v[i] = (WCHAR)(unsigned char)value[i];
        v[i] = 0;
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, k, NULL, REG_SZ, v,
                                  (DWORD)((i + 1) * sizeof(WCHAR))),
                  ERROR_SUCCESS);
}

/* HKCR\Interface\{iid}\ProxyStubClsid32 -> {clsid}, whose InprocServer32 is path. */
static void register_broken(const IID *iid, const CLSID *clsid, const char *path) {
        char key[200], c[39], i[39];

        guid_str(iid, i);
        guid_str(clsid, c);
        snprintf(key, sizeof key, "Interface\\%s\\ProxyStubClsid32", i);
        set_hkcr(key, c);
        snprintf(key, sizeof key, "CLSID\\%s\\InprocServer32", c);
        set_hkcr(key, path);
}

/* --- the objects --------------------------------------------------------------------------------
 */

/* The server's: IObjTest2 and ICaller, one identity. */
struct server_obj {
        IObjTest2 IObjTest2_iface;
        ICaller ICaller_iface;
        atomic_int refs;
        LONG value;
};

static struct server_obj *impl_from_IObjTest2(IObjTest2 *iface) {
        return (struct server_obj *)((char *)iface - offsetof(struct server_obj, IObjTest2_iface));
}

static struct server_obj *impl_from_ICaller(ICaller *iface) {
        return (struct server_obj *)((char *)iface - offsetof(struct server_obj, ICaller_iface));
}

static HRESULT so_qi(struct server_obj *o, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2))
                *ppv = &o->IObjTest2_iface;
        else if (IsEqualIID(riid, &IID_ICaller))
                *ppv = &o->ICaller_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&o->refs, 1);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        return so_qi(impl_from_IObjTest2(This), riid, ppv);
}

static ULONG STDMETHODCALLTYPE o_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&impl_from_IObjTest2(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE o_release(IObjTest2 *This) {
        return (ULONG)atomic_fetch_sub(&impl_from_IObjTest2(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        *sum = (LONG)((uint32_t)a + (uint32_t)b);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        size_t n = 0;
        while (name[n])
                n++;
        *greeting = CoTaskMemAlloc((n + 2) * sizeof(WCHAR));
        if (!*greeting)
                return E_OUTOFMEMORY;
        (*greeting)[0] = '>';
        memcpy(*greeting + 1, name, (n + 1) * sizeof(WCHAR));
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        uint32_t s = 0;
        for (ULONG i = 0; i < n; i++)
                s += (uint32_t)v[i];
        *ret = (LONG)s;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_get_value(IObjTest2 *This, LONG *v) {
        *v = impl_from_IObjTest2(This)->value;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_value(IObjTest2 *This, LONG v) {
        impl_from_IObjTest2(This)->value = v;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        p->a = (LONG)((uint32_t)p->a * 2u);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        *y = (LONG)((uint32_t)x * 2u);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        return o_qi(This, riid, ppv);
}

static const IObjTest2Vtbl obj_vtbl = {
        o_qi,        o_addref,    o_release, o_add,  o_greet, o_sum,
        o_get_value, o_put_value, o_pair,    o_fail, o_twice, o_peer,
};

static HRESULT STDMETHODCALLTYPE c_qi(ICaller *This, REFIID riid, void **ppv) {
        return so_qi(impl_from_ICaller(This), riid, ppv);
}

static ULONG STDMETHODCALLTYPE c_addref(ICaller *This) {
        return (ULONG)atomic_fetch_add(&impl_from_ICaller(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE c_release(ICaller *This) {
        return (ULONG)atomic_fetch_sub(&impl_from_ICaller(This)->refs, 1) - 1;
}

/* Calls the client back through the ICallMe it passed: cb->Ping(x) + 1. */
static HRESULT STDMETHODCALLTYPE c_callback(ICaller *This, ICallMe *cb, LONG x, LONG *y) {
        LONG v = 0;
        HRESULT hr;

        if (!cb)
                return E_POINTER;
        hr = ICallMe_Ping(cb, x, &v);
        *y = (LONG)((uint32_t)v + 1u);
        return hr;
}

/* obj's IObjTest2 Value, through the proxy the library made for it */
static HRESULT STDMETHODCALLTYPE c_valueof(ICaller *This, IUnknown *obj, LONG *v) {
        IObjTest2 *t;
        HRESULT hr;

        if (!obj || !v)
                return E_POINTER;
        if (FAILED(hr = IUnknown_QueryInterface(obj, &IID_IObjTest2, (void **)&t)))
                return hr;
        hr = IObjTest2_get_Value(t, v);
        IObjTest2_Release(t);
        return hr;
}

static HRESULT STDMETHODCALLTYPE c_same(ICaller *This, IUnknown *obj, IUnknown **same) {
        if (!same)
                return E_POINTER;
        if (obj)
                IUnknown_AddRef(obj);
        *same = obj;
        return S_OK;
}

static const ICallerVtbl caller_vtbl = {c_qi, c_addref, c_release, c_callback, c_valueof, c_same};

/* The client's ICallMe (it also answers to the test IIDs without a proxy, for marshaling). */
struct callme {
        ICallMe ICallMe_iface;
        atomic_int refs, pings;
};

static HRESULT STDMETHODCALLTYPE cm_qi(ICallMe *This, REFIID riid, void **ppv) {
        struct callme *c = (struct callme *)This;
        bool bad = false;
        for (size_t i = 0; i < sizeof bad_iids / sizeof *bad_iids; i++)
                bad |= IsEqualIID(riid, bad_iids[i]);
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ICallMe) || bad) {
                *ppv = This;
                atomic_fetch_add(&c->refs, 1);
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

static HRESULT STDMETHODCALLTYPE cm_ping(ICallMe *This, LONG x, LONG *y) {
        atomic_fetch_add(&((struct callme *)This)->pings, 1);
        *y = (LONG)((uint32_t)x * 10u);
        return S_OK;
}

static const ICallMeVtbl callme_vtbl = {cm_qi, cm_addref, cm_release, cm_ping};

/* --- the server process ---------------------------------------------------------------------- */

/* Marshals its object for another process, sends the OBJREF, serves until told 'q'. */
static _Noreturn void server_main(int in, int out) {
        static struct server_obj o = {{&obj_vtbl}, {&caller_vtbl}, 1, 0};
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        char cmd;
        int code = 0;

        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)) ||
            FAILED(CreateStreamOnHGlobal(NULL, TRUE, &stm)) ||
            FAILED(CoMarshalInterface(stm, &IID_IObjTest2, (IUnknown *)&o.IObjTest2_iface,
                                      MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL)) ||
            FAILED(GetHGlobalFromStream(stm, &h)) ||
            FAILED(IStream_Stat(stm, &st, STATFLAG_NONAME)))
                _exit(2);
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(out, &len, sizeof len);
        xwrite(out, GlobalLock(h), len);
        GlobalUnlock(h);
        IStream_Release(stm);
        while (read(in, &cmd, 1) == 1) {
                if (cmd == 'r') {
                        int32_t r = atomic_load(&o.refs);
                        xwrite(out, &r, sizeof r);
                } else {
                        break;
                }
        }
        CoUninitialize();
        _exit(code);
}

/* --- the test -------------------------------------------------------------------------------- */

static const char *psdll(void) {
        const char *p = getenv("PSDLL");
        ASSERT_NOT_NULL(p);
        return p;
}

TEST(regsvr_registers_the_library) {
        char v[512], c[39];

        ASSERT_EQ(regsvr(psdll(), false), 0);
        /* every interface of both IDL files; the factory's CLSID is the first IID (MIDL's) */
        guid_str(&IID_IObjTest, c);
        ASSERT_TRUE(hkcr_value("Interface\\", &IID_IObjTest2, "", v, sizeof v));
        ASSERT_STR_EQ(v, "IObjTest2");
        ASSERT_TRUE(hkcr_value("Interface\\", &IID_IObjTest2, "\\NumMethods", v, sizeof v));
        ASSERT_STR_EQ(v, "12");
        ASSERT_TRUE(hkcr_value("Interface\\", &IID_IObjTest2, "\\ProxyStubClsid32", v, sizeof v));
        ASSERT_STR_EQ(v, c);
        ASSERT_TRUE(hkcr_value("Interface\\", &IID_ICallMe, "\\NumMethods", v, sizeof v));
        ASSERT_STR_EQ(v, "4");
        ASSERT_TRUE(hkcr_value("Interface\\", &IID_ICaller, "\\ProxyStubClsid32", v, sizeof v));
        ASSERT_STR_EQ(v, c);
        ASSERT_TRUE(hkcr_value("CLSID\\", &IID_IObjTest, "", v, sizeof v));
        ASSERT_STR_EQ(v, "PSFactoryBuffer");
        ASSERT_TRUE(hkcr_value("CLSID\\", &IID_IObjTest, "\\InprocServer32", v, sizeof v));
        char *real = realpath(psdll(), NULL);
        ASSERT_NOT_NULL(real);
        ASSERT_STR_EQ(v, real);
        free(real);

        /* registrations that lead nowhere useful */
        static const CLSID c1 = {
                0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x41, 0x01}};
        static const CLSID c2 = {
                0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x41, 0x02}};
        static const CLSID c3 = {
                0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x41, 0x03}};
        char path[600];
        ASSERT_NOT_NULL(getenv("NOEXPORTS"));
        register_broken(&IID_NoExports, &c1, getenv("NOEXPORTS"));
        snprintf(path, sizeof path, "%s.missing", psdll());
        register_broken(&IID_NoLibrary, &c2, path);
        /* the proxy/stub library under a CLSID its DllGetClassObject does not know */
        register_broken(&IID_NotPs, &c3, psdll());
        static const CLSID c4 = {
                0x5e1f0c2a, 0x77d4, 0x4b1e, {0x9a, 0x31, 0x0c, 0x6e, 0x52, 0x8d, 0x41, 0x04}};
        ASSERT_NOT_NULL(getenv("FOREIGNPS"));
        register_broken(&IID_Foreign, &c4, getenv("FOREIGNPS"));
}

/*
 * A process whose threads all need ICallMe's stub at once, before anything of the test
 * loaded it (forked before the other cases): they all get it however the lookups and the
 * library's load interleave (ASan watches the tables).  Before that, the same process
 * found no stub while the library was not registered.
 */
#define RACERS 8

static void *racer(void *arg) {
        struct callme *cb = arg;
        LARGE_INTEGER zero = {0};
        IStream *stm = NULL;
        HRESULT hr;

        hr = CreateStreamOnHGlobal(NULL, TRUE, &stm);
        if (SUCCEEDED(hr))
                hr = CoMarshalInterface(stm, &IID_ICallMe, (IUnknown *)&cb->ICallMe_iface,
                                        MSHCTX_INPROC, NULL, MSHLFLAGS_TABLESTRONG);
        if (SUCCEEDED(hr) && SUCCEEDED(hr = IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL)))
                hr = CoReleaseMarshalData(stm);
        if (stm)
                IStream_Release(stm);
        return (void *)(intptr_t)hr;
}

TEST(concurrent_first_lookups) {
        int to[2], from[2], status;
        char c;
        pid_t pid;

        /* first without the library: the miss is remembered a while (psfactory.c) and a
           registration by another process is seen once that while is over */
        ASSERT_EQ(regsvr(psdll(), true), 0);
        ASSERT_OK(pipe(to));
        ASSERT_OK(pipe(from));
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                static struct callme cb = {{&callme_vtbl}, 1, 0};
                pthread_t t[RACERS];
                int bad = 0;
                if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                        _exit(2);
                if ((HRESULT)(intptr_t)racer(&cb) != REGDB_E_IIDNOTREG)
                        _exit(3);
                if (write(from[1], "n", 1) != 1 || read(to[0], &c, 1) != 1)
                        _exit(4);
                usleep(1100 * 1000); /* NEG_TTL_MS */
                for (int i = 0; i < RACERS; i++)
                        if (pthread_create(&t[i], NULL, racer, &cb) != 0)
                                _exit(5);
                for (int i = 0; i < RACERS; i++) {
                        void *r;
                        pthread_join(t[i], &r);
                        bad += (HRESULT)(intptr_t)r != S_OK;
                }
                CoUninitialize();
                _exit(bad ? 1 : 0);
        }
        close(to[0]);
        close(from[1]);
        xread(from[0], &c, 1);
        ASSERT_EQ(regsvr(psdll(), false), 0);
        xwrite(to[1], "g", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        close(to[1]);
        close(from[0]);
}

TEST(calls_across_processes_through_the_library) {
        struct callme cb = {{&callme_vtbl}, 1, 0};
        int a[2], b[2], status;
        uint8_t buf[2048];
        uint32_t len;
        IObjTest2 *p = NULL;
        IObjTest *peer = NULL;
        ICaller *caller = NULL;
        IUnknown *u1 = NULL, *u2 = NULL;
        IStream *stm;
        WCHAR *g = NULL;
        LONG v = 0, arr[4] = {1, 2, 3, 4};
        LARGE_INTEGER zero = {0};
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
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);

        xread(b[0], &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(b[0], buf, len);
        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &stm), S_OK);
        ASSERT_HR_EQ(IStream_Write(stm, buf, len, NULL), S_OK);
        ASSERT_HR_EQ(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL), S_OK);
        ASSERT_HR_EQ(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p), S_OK);
        IStream_Release(stm);

        /* methods: scalars, strings, a conformant array, a structure, an HRESULT */
        ASSERT_HR_EQ(IObjTest2_Add(p, 40, 2, &v), S_OK);
        ASSERT_EQ(v, 42);
        ASSERT_HR_EQ(IObjTest2_Greet(p, u"psdll", &g), S_OK);
        ASSERT_NOT_NULL(g);
        ASSERT_TRUE(g[0] == '>' && g[1] == 'p' && g[6] == 0);
        CoTaskMemFree(g);
        ASSERT_HR_EQ(IObjTest2_Sum(p, 4, arr, &v), S_OK);
        ASSERT_EQ(v, 10);
        ASSERT_HR_EQ(IObjTest2_put_Value(p, 7), S_OK);
        ASSERT_HR_EQ(IObjTest2_get_Value(p, &v), S_OK);
        ASSERT_EQ(v, 7);
        OBJ_PAIR pair = {21, NULL};
        ASSERT_HR_EQ(IObjTest2_Pair(p, &pair), S_OK);
        ASSERT_EQ(pair.a, 42);
        ASSERT_HR_EQ(IObjTest2_Fail(p, E_ACCESSDENIED), E_ACCESSDENIED);
        ASSERT_HR_EQ(IObjTest2_Twice(p, 21, &v), S_OK);
        ASSERT_EQ(v, 42);

        /* an [iid_is] interface pointer out: a proxy of the base interface, one identity */
        ASSERT_HR_EQ(IObjTest2_Peer(p, &IID_IObjTest, (void **)&peer), S_OK);
        ASSERT_NOT_NULL(peer);
        ASSERT_HR_EQ(IObjTest_Add(peer, 1, 2, &v), S_OK);
        ASSERT_EQ(v, 3);
        ASSERT_HR_EQ(IObjTest2_QueryInterface(p, &IID_IUnknown, (void **)&u1), S_OK);
        ASSERT_HR_EQ(IObjTest_QueryInterface(peer, &IID_IUnknown, (void **)&u2), S_OK);
        ASSERT_TRUE((void *)u1 == (void *)u2);
        IUnknown_Release(u1);
        IUnknown_Release(u2);
        IObjTest_Release(peer);

        /* remote QueryInterface, then a callback into this process through an [in] pointer:
           both sides need ICallMe's proxy or stub from the library */
        ASSERT_HR_EQ(IObjTest2_QueryInterface(p, &IID_ICaller, (void **)&caller), S_OK);
        ASSERT_HR_EQ(ICaller_CallBack(caller, &cb.ICallMe_iface, 4, &v), S_OK);
        ASSERT_EQ(v, 41);
        ASSERT_EQ(atomic_load(&cb.pings), 1);
        ICaller_Release(caller);

        /* no proxy for an interface nobody registered, nor through a broken registration:
           E_NOINTERFACE before any call to the server (DCOM_DEBUG=com says why) */
        for (size_t i = 0; i < sizeof bad_iids / sizeof *bad_iids; i++) {
                u1 = (IUnknown *)&cb;
                ASSERT_HR_EQ(IObjTest2_QueryInterface(p, bad_iids[i], (void **)&u1), E_NOINTERFACE);
                ASSERT_NULL(u1);
        }
        ASSERT_HR_EQ(IObjTest2_Add(p, 1, 1, &v), S_OK); /* and the proxy still works */
        /* the hand-written factory was asked for and let go, never called */
        void *foreign = dlopen(getenv("FOREIGNPS"), RTLD_NOW | RTLD_NOLOAD);
        ASSERT_NOT_NULL(foreign);
        LONG (*state)(void);
        *(void **)&state = dlsym(foreign, "foreign_ps_state");
        ASSERT_NOT_NULL(state);
        ASSERT_EQ(state(), 0);
        dlclose(foreign);

        IObjTest2_Release(p);
        xwrite(a[1], "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(a[1]);
        close(b[0]);
        CoUninitialize();
}

/* The exporter has no stub for them either: REGDB_E_IIDNOTREG, as Windows answers. */
TEST(marshaling_without_a_stub) {
        struct callme cb = {{&callme_vtbl}, 1, 0};
        IStream *stm;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CreateStreamOnHGlobal(NULL, TRUE, &stm), S_OK);
        for (size_t i = 0; i < sizeof bad_iids / sizeof *bad_iids; i++)
                ASSERT_HR_EQ(CoMarshalInterface(stm, bad_iids[i], (IUnknown *)&cb.ICallMe_iface,
                                                MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL),
                             REGDB_E_IIDNOTREG);
        IStream_Release(stm);
        CoUninitialize();
}

/* --- the factory's proxies and stubs on a channel of the caller's ------------------------- */

/* A channel whose SendReceive hands the message to a stub buffer in this process, as a
   program with its own transport would; it keeps what the proxy sent. */
struct testchan {
        IRpcChannelBuffer IRpcChannelBuffer_iface;
        atomic_int refs;
        IRpcStubBuffer *stub;
        uint8_t req[32768];
        ULONG req_len, method;
        int buffers;                    /* GetBuffer minus FreeBuffer */
};

static struct testchan *tc_from(IRpcChannelBuffer *iface) {
        return (struct testchan *)iface;
}

static HRESULT STDMETHODCALLTYPE tc_qi(IRpcChannelBuffer *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRpcChannelBuffer)) {
                *ppv = This;
                atomic_fetch_add(&tc_from(This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE tc_addref(IRpcChannelBuffer *This) {
        return (ULONG)atomic_fetch_add(&tc_from(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE tc_release(IRpcChannelBuffer *This) {
        return (ULONG)atomic_fetch_sub(&tc_from(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE tc_getbuffer(IRpcChannelBuffer *This, RPCOLEMESSAGE *msg,
                                              REFIID riid) {
        ASSERT_TRUE(IsEqualIID(riid, &IID_IObjTest2));
        msg->Buffer = malloc(msg->cbBuffer ? msg->cbBuffer : 1);
        if (!msg->Buffer)
                return E_OUTOFMEMORY;
        tc_from(This)->buffers++;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tc_sendreceive(IRpcChannelBuffer *This, RPCOLEMESSAGE *msg,
                                                ULONG *status) {
        struct testchan *c = tc_from(This);
        void *req = msg->Buffer;
        HRESULT hr;

        ASSERT_LE(msg->cbBuffer, sizeof c->req);
        memcpy(c->req, msg->Buffer, msg->cbBuffer);
        c->req_len = msg->cbBuffer;
        c->method = msg->iMethod;
        ASSERT_EQ(msg->dataRepresentation, 0x10);
        *status = 0;
        hr = IRpcStubBuffer_Invoke(c->stub, msg, This);   /* the reply replaces the request */
        if (FAILED(hr)) {
                msg->Buffer = req;      /* the caller's to free (FreeBuffer) */
                return hr;
        }
        free(req);
        c->buffers--;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tc_freebuffer(IRpcChannelBuffer *This, RPCOLEMESSAGE *msg) {
        free(msg->Buffer);
        msg->Buffer = NULL;
        tc_from(This)->buffers--;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tc_getdestctx(IRpcChannelBuffer *This, DWORD *ctx, void **data) {
        *ctx = MSHCTX_INPROC;
        *data = NULL;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tc_isconnected(IRpcChannelBuffer *This) {
        return S_OK;
}

static const IRpcChannelBufferVtbl testchan_vtbl = {
        tc_qi, tc_addref, tc_release, tc_getbuffer, tc_sendreceive, tc_freebuffer, tc_getdestctx,
        tc_isconnected,
};

/* An outer unknown aggregating a proxy: counts what the interface's IUnknown sends it. */
struct outer {
        IUnknown IUnknown_iface;
        atomic_int refs, qis;
};

static HRESULT STDMETHODCALLTYPE ou_qi(IUnknown *This, REFIID riid, void **ppv) {
        atomic_fetch_add(&((struct outer *)This)->qis, 1);
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ou_addref(IUnknown *This) {
        return (ULONG)atomic_fetch_add(&((struct outer *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ou_release(IUnknown *This) {
        return (ULONG)atomic_fetch_sub(&((struct outer *)This)->refs, 1) - 1;
}

static const IUnknownVtbl outer_vtbl = {ou_qi, ou_addref, ou_release};

/* A message for the stub: method m, n bytes of b (drep: ours unless given). */
static HRESULT invoke_raw(IRpcStubBuffer *stub, struct testchan *c, ULONG m, const void *b,
                          ULONG n, ULONG drep) {
        RPCOLEMESSAGE msg = {0};
        HRESULT hr;

        msg.dataRepresentation = drep;
        msg.iMethod = m;
        msg.cbBuffer = n;
        msg.Buffer = malloc(n ? n : 1);
        ASSERT_NOT_NULL(msg.Buffer);
        memcpy(msg.Buffer, b, n);
        void *req = msg.Buffer;
        c->buffers++;
        hr = IRpcStubBuffer_Invoke(stub, &msg, &c->IRpcChannelBuffer_iface);
        free(req);
        c->buffers--;
        if (SUCCEEDED(hr))
                IRpcChannelBuffer_FreeBuffer(&c->IRpcChannelBuffer_iface, &msg);
        return hr;
}

/*
 * IPSFactoryBuffer's CreateStub and CreateProxy (the library's factory, found through
 * CoGetPSClsid as Windows' proxy manager finds it): an object called through the proxy on
 * a channel of the test's own -- the message the channel sees is the method's NDR alone,
 * without ORPCTHIS -- with strings, a large array, [in, out] structures, the method's
 * HRESULT; disconnected proxies and stubs; hostile messages to Invoke; aggregation.
 */
TEST(factory_buffers_on_a_channel) {
        struct server_obj so = {{&obj_vtbl}, {&caller_vtbl}, 1, 5};
        static struct testchan tc;
        tc = (struct testchan){.IRpcChannelBuffer_iface = {&testchan_vtbl}, .refs = 1};
        struct outer ou = {.IUnknown_iface = {&outer_vtbl}, .refs = 1};
        IPSFactoryBuffer *psf = NULL;
        IRpcStubBuffer *stub = NULL, *s2;
        IRpcProxyBuffer *pb = NULL;
        IObjTest2 *px = NULL;
        CLSID clsid;
        LONG v = 0;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CoGetPSClsid(&IID_IObjTest2, &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &IID_IObjTest));
        ASSERT_HR_EQ(CoGetPSClsid(&IID_Unregistered, &clsid), REGDB_E_IIDNOTREG);
        ASSERT_HR_EQ(CoGetPSClsid(NULL, &clsid), E_INVALIDARG);
        ASSERT_HR_EQ(CoGetClassObject(&IID_IObjTest, CLSCTX_INPROC_SERVER, NULL,
                                      &IID_IPSFactoryBuffer, (void **)&psf),
                     S_OK);

        /* the stub, connected to the object (a reference of its own) */
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateStub(psf, &IID_Unregistered, (IUnknown *)&so, &stub),
                     E_NOINTERFACE);
        ASSERT_NULL(stub);
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateStub(psf, &IID_IObjTest2,
                                                 (IUnknown *)&so.IObjTest2_iface, &stub),
                     S_OK);
        ASSERT_EQ(atomic_load(&so.refs), 2);
        ASSERT_EQ(IRpcStubBuffer_CountRefs(stub), 1);
        s2 = IRpcStubBuffer_IsIIDSupported(stub, &IID_IObjTest2);
        ASSERT_TRUE(s2 == stub);
        IRpcStubBuffer_Release(s2);
        ASSERT_NULL(IRpcStubBuffer_IsIIDSupported(stub, &IID_ICaller));
        tc.stub = stub;

        /* the proxy: not connected, its calls fail; connected, they go through the channel */
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateProxy(psf, NULL, &IID_Unregistered, &pb, (void **)&px),
                     E_NOINTERFACE);
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateProxy(psf, NULL, &IID_IObjTest2, &pb, (void **)&px),
                     S_OK);
        ASSERT_HR_EQ(IObjTest2_Add(px, 1, 2, &v), CO_E_OBJNOTCONNECTED);
        ASSERT_HR_EQ(IRpcProxyBuffer_Connect(pb, &tc.IRpcChannelBuffer_iface), S_OK);
        ASSERT_EQ(atomic_load(&tc.refs), 2);
        ASSERT_HR_EQ(IObjTest2_Add(px, 40, 2, &v), S_OK);
        ASSERT_EQ(v, 42);
        /* what a Windows channel sees: the method's NDR, no ORPCTHIS */
        static const uint8_t add_ndr[] = {40, 0, 0, 0, 2, 0, 0, 0};
        ASSERT_EQ(tc.method, 3);
        ASSERT_EQ(tc.req_len, sizeof add_ndr);
        ASSERT_MEM_EQ(tc.req, add_ndr, sizeof add_ndr);
        WCHAR *g = NULL;
        ASSERT_HR_EQ(IObjTest2_Greet(px, u"bob", &g), S_OK);
        ASSERT_NOT_NULL(g);
        ASSERT_TRUE(g[0] == '>' && g[1] == 'b' && g[2] == 'o' && g[3] == 'b' && !g[4]);
        CoTaskMemFree(g);
        /* 24 KiB of [in] array: referenced by the proxy's push, whole in the channel's buffer */
        enum { N = 6000 };
        LONG *arr = malloc(N * sizeof *arr), sum = 0;
        ASSERT_NOT_NULL(arr);
        uint32_t want = 0;
        for (int i = 0; i < N; i++) {
                arr[i] = i * 3 - 7;
                want += (uint32_t)arr[i];
        }
        ASSERT_HR_EQ(IObjTest2_Sum(px, N, arr, &sum), S_OK);
        ASSERT_EQ((uint32_t)sum, want);
        ASSERT_EQ(tc.req_len, 4 + 4 + N * 4);
        ASSERT_MEM_EQ(tc.req + 8, arr, N * 4);
        free(arr);
        ASSERT_HR_EQ(IObjTest2_put_Value(px, 77), S_OK);
        ASSERT_HR_EQ(IObjTest2_get_Value(px, &v), S_OK);
        ASSERT_EQ(v, 77);
        OBJ_PAIR pair = {21, NULL};
        ASSERT_HR_EQ(IObjTest2_Pair(px, &pair), S_OK);
        ASSERT_EQ(pair.a, 42);
        ASSERT_HR_EQ(IObjTest2_Fail(px, E_ACCESSDENIED), E_ACCESSDENIED);
        ASSERT_HR_EQ(IObjTest2_Twice(px, 8, &v), S_OK);
        ASSERT_EQ(v, 16);
        ASSERT_EQ(tc.buffers, 0);       /* every buffer freed */

        /* hostile messages to the stub: clear errors, the object never called */
        static const uint8_t four[4] = {1, 0, 0, 0};
        ASSERT_HR_EQ(invoke_raw(stub, &tc, 1, add_ndr, sizeof add_ndr, 0x10), RPC_E_INVALIDMETHOD);
        ASSERT_HR_EQ(invoke_raw(stub, &tc, 99, add_ndr, sizeof add_ndr, 0x10), RPC_E_INVALIDMETHOD);
        ASSERT_HR_EQ(invoke_raw(stub, &tc, 3, four, sizeof four, 0x10),
                     HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA));
        ASSERT_HR_EQ(invoke_raw(stub, &tc, 3, add_ndr, sizeof add_ndr, 0x00),
                     RPC_E_INVALID_DATAPACKET);
        /* Sum: n 1000 with an array of 1 */
        static const uint8_t lying_sum[] = {0xe8, 3, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0};
        ASSERT_HR_EQ(invoke_raw(stub, &tc, 5, lying_sum, sizeof lying_sum, 0x10),
                     HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA));
        ASSERT_HR_EQ(invoke_raw(stub, &tc, 3, add_ndr, sizeof add_ndr, 0x10), S_OK);
        ASSERT_EQ(tc.buffers, 0);

        /* the stub disconnected: its object let go, calls refused; connected again */
        IRpcStubBuffer_Disconnect(stub);
        ASSERT_EQ(atomic_load(&so.refs), 1);
        ASSERT_EQ(IRpcStubBuffer_CountRefs(stub), 0);
        ASSERT_HR_EQ(IObjTest2_Add(px, 1, 2, &v), CO_E_OBJNOTCONNECTED);
        ASSERT_HR_EQ(IRpcStubBuffer_Connect(stub, (IUnknown *)&so.IObjTest2_iface), S_OK);
        ASSERT_HR_EQ(IObjTest2_Add(px, 1, 2, &v), S_OK);
        ASSERT_EQ(v, 3);

        /* the proxy disconnected: the channel let go, calls fail */
        IRpcProxyBuffer_Disconnect(pb);
        ASSERT_EQ(atomic_load(&tc.refs), 1);
        ASSERT_HR_EQ(IObjTest2_Add(px, 1, 2, &v), CO_E_OBJNOTCONNECTED);
        IObjTest2_Release(px);          /* ppv's reference: on the proxy buffer (no outer) */
        ASSERT_EQ(IRpcProxyBuffer_Release(pb), 0);

        /* aggregated: the interface's IUnknown is the outer object's */
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateProxy(psf, &ou.IUnknown_iface, &IID_IObjTest2, &pb,
                                                  (void **)&px),
                     S_OK);
        ASSERT_EQ(atomic_load(&ou.refs), 2);    /* ppv's */
        void *other = NULL;
        ASSERT_HR_EQ(IObjTest2_QueryInterface(px, &IID_ICaller, &other), E_NOINTERFACE);
        ASSERT_EQ(atomic_load(&ou.qis), 1);
        ASSERT_HR_EQ(IRpcProxyBuffer_Connect(pb, &tc.IRpcChannelBuffer_iface), S_OK);
        ASSERT_HR_EQ(IObjTest2_Twice(px, 21, &v), S_OK);
        ASSERT_EQ(v, 42);
        IObjTest2_Release(px);
        ASSERT_EQ(atomic_load(&ou.refs), 1);
        ASSERT_EQ(IRpcProxyBuffer_Release(pb), 0);      /* lets the channel go */
        ASSERT_EQ(atomic_load(&tc.refs), 1);

        ASSERT_EQ(IRpcStubBuffer_Release(stub), 0);
        ASSERT_EQ(atomic_load(&so.refs), 1);
        IPSFactoryBuffer_Release(psf);
        CoUninitialize();
}

TEST(regsvr_unregisters_the_library) {
        char v[512];

        ASSERT_EQ(regsvr(psdll(), true), 0);
        ASSERT_FALSE(hkcr_value("Interface\\", &IID_IObjTest2, "\\ProxyStubClsid32", v, sizeof v));
        ASSERT_FALSE(hkcr_value("Interface\\", &IID_ICallMe, "", v, sizeof v));
        ASSERT_FALSE(hkcr_value("CLSID\\", &IID_IObjTest, "\\InprocServer32", v, sizeof v));
        /* a library without DllRegisterServer: regsvr's exit code 4 */
        ASSERT_EQ(regsvr(getenv("NOEXPORTS"), false), 4);
}

/* DllRegisterServer inside the caller's registry transaction is part of it: rolled back. */
TEST(register_inside_a_transaction) {
        HRESULT (*reg)(void);
        char v[512];
        void *lib = dlopen(psdll(), RTLD_NOW | RTLD_LOCAL);

        ASSERT_NOT_NULL(lib);
        *(void **)&reg = dlsym(lib, "DllRegisterServer");
        ASSERT_NOT_NULL(reg);
        ASSERT_EQ(dcom_reg_begin(), ERROR_SUCCESS);
        ASSERT_HR_EQ(reg(), S_OK);
        ASSERT_TRUE(hkcr_value("Interface\\", &IID_ICaller, "\\ProxyStubClsid32", v, sizeof v));
        ASSERT_EQ(dcom_reg_rollback(), ERROR_SUCCESS);
        ASSERT_FALSE(hkcr_value("Interface\\", &IID_ICaller, "\\ProxyStubClsid32", v, sizeof v));
        ASSERT_FALSE(hkcr_value("CLSID\\", &IID_IObjTest, "\\InprocServer32", v, sizeof v));
        dlclose(lib);
}
