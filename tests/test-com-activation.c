/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation through the real services (rpcss and dcomlaunch in the test's OPENDCOM_ROOT):
 * CoCreateInstanceEx and CoGetClassObject with CLSCTX_LOCAL_SERVER start a registered
 * LocalServer32 (tests/act-server) with -Embedding, which registers its class object;
 * the object comes back as a proxy.  REGCLS_MULTIPLEUSE shares one process,
 * REGCLS_SINGLEUSE makes one per activation; a server exits with its last object and
 * the next activation starts another; errors a user can act on (REGDB_E_CLASSNOTREG,
 * CO_E_SERVER_EXEC_FAILURE, RPC_S_SERVER_UNAVAILABLE promptly without dcomlaunch);
 * servers killed mid-activation, rpcss restarted (its servers register again), a class
 * registration of another process's OXID refused; the round trips of activating a running
 * server (the reply's OXID bindings used: no ResolveOxid2); and, as root,
 * CLSCTX_REMOTE_SERVER with COSERVERINFO and NTLM credentials over TCP.  DllSurrogate: an
 * in-process component (tests/surrogate-component.so) whose AppID has an empty
 * DllSurrogate is served by a dcomsurrogate process, which ends with its last object.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>
#include <sddl.h>

#include "com/remote-internal.h"
#include "com/resolver.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "obj_stub.h"
#include "rpc/auth/accounts.h"
#include "rpc/rpc-internal.h"
#include "rpcss-run.h"
#include "test.h"

/* the test's classes: one per behaviour of act-server */
#define CLSID_FMT "{7a3d2c10-5b6e-4f81-9c2d-0e1f2a3b4c%02x}"
enum { C_MULTI = 1, C_SINGLE, C_EXIT, C_HANG, C_SLOW, C_UNREG };

static pid_t launch_pid;
static pid_t surrogate_pid;     /* the last dcomsurrogate seen, killed at exit if left */

/* A short ping period for every process of the test: servers call rpcss (and so notice
   a restart) every quarter period. */
__attribute__((constructor)) static void short_ping_period(void) {
        setenv("OPENDCOM_PING_PERIOD_MS", "200", 0);
}

static void launcher_stop(void) {
        if (launch_pid > 0) {
                kill(launch_pid, SIGTERM);
                waitpid(launch_pid, NULL, 0);
                launch_pid = 0;
        }
}

static void launcher_start(void) {
        static bool registered;
        char exe[512], path[256];

        snprintf(exe, sizeof exe, "%s/services/dcomlaunch", test_build_dir());
        launch_pid = fork();
        ASSERT_GE(launch_pid, 0);
        if (launch_pid == 0) {
                execl(exe, "dcomlaunch", "--foreground", (char *)NULL);
                _exit(127);
        }
        if (!registered)
                registered = atexit(launcher_stop) == 0;
        /* up when its socket is there */
        snprintf(path, sizeof path, "%s/run/dcomlaunch", test_state_dir());
        for (int i = 0; access(path, F_OK) != 0; i++) {
                ASSERT_LT(i, 500);
                usleep(10000);
        }
}

static void clsid_of(int which, CLSID *ret, char *s, size_t size) {
        WCHAR w[40];

        snprintf(s, size, CLSID_FMT, which);
        for (size_t i = 0; i < 39; i++)
                w[i] = (WCHAR)(unsigned char)s[i];
        w[38] = 0;
        ASSERT_OK(CLSIDFromString(w, ret));
}

static void set_sz(const char *key, const char *value) {
        WCHAR *wk = NULL, *wv = NULL;

        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(value, strlen(value), &wv, NULL));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, wk, NULL, REG_SZ, wv,
                                  (DWORD)((dcom_utf16_len(wv) + 1) * sizeof(WCHAR))), ERROR_SUCCESS);
        free(wk);
        free(wv);
}

/* HKCR\CLSID\{...}\LocalServer32 = "act-server {clsid} mode" */
static void register_class(int which, const char *mode) {
        char id[64], key[128], cmd[768];
        CLSID c;

        clsid_of(which, &c, id, sizeof id);
        snprintf(key, sizeof key, "CLSID\\%s\\LocalServer32", id);
        snprintf(cmd, sizeof cmd, "\"%s/tests/act-server\" %s %s", test_build_dir(), id, mode);
        set_sz(key, cmd);
}

static void kill_servers(void);

static void setup(void) {
        static bool done;

        if (done)
                return;
        done = true;
        test_state_dir();
        atexit(kill_servers);
        register_class(C_MULTI, "multi");
        register_class(C_SINGLE, "single");
        register_class(C_EXIT, "exit");
        register_class(C_HANG, "hang");
        register_class(C_SLOW, "slow");
        setenv("OPENDCOM_LAUNCH_TIMEOUT_MS", "2000", 1);
        rpcss_start();
        launcher_start();
        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
}

static HRESULT create(int which, IObjTest2 **ret) {
        char id[64];
        CLSID c;

        clsid_of(which, &c, id, sizeof id);
        return CoCreateInstance(&c, NULL, CLSCTX_LOCAL_SERVER, &IID_IObjTest2, (void **)ret);
}

static LONG server_pid(IObjTest2 *p) {
        LONG v = 0;
        ASSERT_OK(IObjTest2_get_Value(p, &v));
        return v;
}

static bool alive(pid_t pid) {
        return kill(pid, 0) == 0;
}

/* Waits for a process (not our child) to end. */
static void wait_gone(pid_t pid) {
        for (int i = 0; alive(pid); i++) {
                ASSERT_LT(i, 500);
                usleep(10000);
        }
}

static bool ours(pid_t pid);

/* The act-server process of this test started for mode (by its command line), or 0. */
static pid_t find_server_of(const char *mode, const char *clsid);

static pid_t find_server(const char *mode) {
        return find_server_of(mode, NULL);
}

/* The same, for one class (its CLSID, as the command line names it) when clsid is set. */
static pid_t find_server_of(const char *mode, const char *clsid) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        pid_t found = 0;

        while (d && !found && (e = readdir(d))) {
                char path[300], buf[1024];
                pid_t pid = (pid_t)atoi(e->d_name);
                if (pid <= 0)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
                FILE *f = fopen(path, "r");
                if (!f)
                        continue;
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[n] = 0;
                /* argv[0] NUL argv[1] NUL argv[2] ... */
                const char *a0 = buf, *a1 = a0 + strlen(a0) + 1, *a2 = a1 < buf + n ? a1 + strlen(a1) + 1 : a1;
                size_t l0 = strlen(a0);
                if (l0 >= 10 && strcmp(a0 + l0 - 10, "act-server") == 0 && a2 < buf + n &&
                    strcmp(a2, mode) == 0 && (!clsid || strcasecmp(a1, clsid) == 0) && ours(pid))
                        found = pid;
        }
        if (d)
                closedir(d);
        return found;
}

/* Whether process pid runs in this test's state directory. */
static bool ours(pid_t pid) {
        char path[64], want[512], buf[8192];
        size_t n;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
        snprintf(want, sizeof want, "OPENDCOM_ROOT=%s", test_state_dir());
        if (!(f = fopen(path, "r")))
                return false;
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t i = 0; i < n && memchr(buf + i, 0, n - i); i += strlen(buf + i) + 1)
                if (strcmp(buf + i, want) == 0)
                        return true;
        return false;
}

/* At exit: the servers dcomlaunch started for this test and still running (their
   output is the test's: the harness would wait for them). */
static void kill_servers(void) {
        for (const char *const *m = (const char *const[]){ "multi", "single", "hang", "slow", NULL };
             *m; m++)
                for (pid_t p; (p = find_server(*m)) > 0;) {
                        kill(p, SIGKILL);
                        wait_gone(p);
                }
        if (surrogate_pid > 0 && alive(surrogate_pid))
                kill(surrogate_pid, SIGKILL);
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

TEST(local_server_launched_and_shared) {
        IObjTest2 *a, *b;
        LONG sum = 0;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(create(C_MULTI, &a));
        ASSERT_TRUE(com_proxy_is_proxy((IUnknown *)a));
        ASSERT_OK(IObjTest2_Add(a, 40, 2, &sum));
        ASSERT_EQ(sum, 42);
        LONG pid = server_pid(a);
        ASSERT_TRUE(pid > 0 && pid != getpid());
        /* REGCLS_MULTIPLEUSE: the running server makes the second object */
        ASSERT_OK(create(C_MULTI, &b));
        ASSERT_EQ(server_pid(b), pid);
        ASSERT_TRUE((void *)a != (void *)b);
        IObjTest2_Release(a);
        ASSERT_TRUE(alive(pid));
        /* the last object gone, the server exits (CoReleaseServerProcess) */
        IObjTest2_Release(b);
        wait_gone(pid);
        /* and the next activation starts another */
        ASSERT_OK(create(C_MULTI, &a));
        ASSERT_TRUE(server_pid(a) != pid);
        IObjTest2_Release(a);

        /* CoGetClassObject: the class object itself, then an instance from it */
        char id[64];
        CLSID c;
        IClassFactory *cf = NULL;
        clsid_of(C_MULTI, &c, id, sizeof id);
        ASSERT_OK(CoGetClassObject(&c, CLSCTX_LOCAL_SERVER, NULL, &IID_IClassFactory, (void **)&cf));
        ASSERT_OK(IClassFactory_CreateInstance(cf, NULL, &IID_IObjTest2, (void **)&a));
        ASSERT_OK(IObjTest2_Add(a, 1, 2, &sum));
        ASSERT_EQ(sum, 3);
        IObjTest2_Release(a);
        IClassFactory_Release(cf);

        /* CLSCTX_REMOTE_SERVER naming this machine: a local activation, as on Windows */
        COSERVERINFO here = { .pwszName = (LPWSTR)u"localhost" };
        MULTI_QI one = { &IID_IObjTest2, NULL, 0 };
        ASSERT_OK(CoCreateInstanceEx(&c, NULL, CLSCTX_REMOTE_SERVER, &here, 1, &one));
        ASSERT_OK(IObjTest2_Add((IObjTest2 *)one.pItf, 2, 2, &sum));
        ASSERT_EQ(sum, 4);
        one.pItf->lpVtbl->Release(one.pItf);

        /* MULTI_QI: several interfaces in one activation, one missing */
        MULTI_QI qi[3] = { { &IID_IObjTest2, NULL, 0 }, { &IID_IObjTest, NULL, 0 },
                           { &IID_IClassFactory, NULL, 0 } };
        ASSERT_EQ(CoCreateInstanceEx(&c, NULL, CLSCTX_LOCAL_SERVER, NULL, 3, qi), CO_S_NOTALLINTERFACES);
        ASSERT_OK(qi[0].hr);
        ASSERT_OK(qi[1].hr);
        ASSERT_EQ(qi[2].hr, E_NOINTERFACE);
        ASSERT_NULL(qi[2].pItf);
        /* COM identity: both proxies are one object */
        IUnknown *u0, *u1;
        ASSERT_OK(qi[0].pItf->lpVtbl->QueryInterface(qi[0].pItf, &IID_IUnknown, (void **)&u0));
        ASSERT_OK(qi[1].pItf->lpVtbl->QueryInterface(qi[1].pItf, &IID_IUnknown, (void **)&u1));
        ASSERT_TRUE(u0 == u1);
        u0->lpVtbl->Release(u0);
        u1->lpVtbl->Release(u1);
        qi[0].pItf->lpVtbl->Release(qi[0].pItf);
        qi[1].pItf->lpVtbl->Release(qi[1].pItf);
        CoUninitialize();
}

/* The round trips this thread made since *before (rpc_client_trips), by transport. */
static struct rpc_trips trips_since(enum rpc_protseq p, const struct rpc_trips *before) {
        struct rpc_trips now;

        rpc_client_trips(p, &now);
        return (struct rpc_trips){ now.connects - before->connects, now.binds - before->binds,
                                   now.requests - before->requests };
}

/*
 * Issue 14's goal: activating a running server is the SCM's round trip and then the
 * object's.  The reply carries the OXID's bindings, so no ResolveOxid2 follows -- it
 * would go to the resolver the OBJREF names, rpcss's TCP address: nothing over TCP.
 */
TEST(running_server_activation_asks_no_resolver) {
        IClassFactory *cf = NULL;
        IObjTest2 *p = NULL;
        struct rpc_trips lrpc0, tcp0;
        char id[64];
        CLSID c;
        LONG sum = 0;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        clsid_of(C_MULTI, &c, id, sizeof id);
        /* the server running and locked, and no proxy of ours left on its OXID */
        ASSERT_OK(CoGetClassObject(&c, CLSCTX_LOCAL_SERVER, NULL, &IID_IClassFactory, (void **)&cf));
        ASSERT_OK(IClassFactory_LockServer(cf, TRUE));
        IClassFactory_Release(cf);

        rpc_client_trips(RPC_PROTSEQ_LRPC, &lrpc0);
        rpc_client_trips(RPC_PROTSEQ_TCP, &tcp0);
        ASSERT_OK(create(C_MULTI, &p));
        ASSERT_OK(IObjTest2_Add(p, 40, 2, &sum));
        struct rpc_trips lrpc = trips_since(RPC_PROTSEQ_LRPC, &lrpc0);
        struct rpc_trips tcp = trips_since(RPC_PROTSEQ_TCP, &tcp0);
        ASSERT_EQ(sum, 42);
        /* RemoteCreateInstance on rpcss, Add on the exporter: each a new connection and
           its bind (ncalrpc: the kernel names the caller, no handshake) */
        ASSERT_EQ(lrpc.requests, 2u);
        ASSERT_EQ(lrpc.binds, 2u);
        ASSERT_EQ(lrpc.connects, 2u);
        ASSERT_EQ(tcp.connects + tcp.binds + tcp.requests, 0u);
        /* another activation while the OXID is known: its connection serves it too */
        IObjTest2 *q = NULL;
        rpc_client_trips(RPC_PROTSEQ_LRPC, &lrpc0);
        ASSERT_OK(create(C_MULTI, &q));
        ASSERT_OK(IObjTest2_Add(q, 1, 2, &sum));
        lrpc = trips_since(RPC_PROTSEQ_LRPC, &lrpc0);
        ASSERT_EQ(lrpc.requests, 2u);
        ASSERT_EQ(lrpc.binds, 1u);
        LONG pid = server_pid(p);
        IObjTest2_Release(q);
        IObjTest2_Release(p);
        /* unlocked, the server goes */
        ASSERT_OK(CoGetClassObject(&c, CLSCTX_LOCAL_SERVER, NULL, &IID_IClassFactory, (void **)&cf));
        ASSERT_OK(IClassFactory_LockServer(cf, FALSE));
        IClassFactory_Release(cf);
        wait_gone(pid);
        CoUninitialize();
}

TEST(single_use_gets_a_process_each) {
        IObjTest2 *a, *b;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(create(C_SINGLE, &a));
        ASSERT_OK(create(C_SINGLE, &b));
        LONG pa = server_pid(a), pb = server_pid(b);
        ASSERT_TRUE(pa != pb);
        IObjTest2_Release(a);
        IObjTest2_Release(b);
        wait_gone(pa);
        wait_gone(pb);
        CoUninitialize();
}

TEST(errors_a_user_can_act_on) {
        IObjTest2 *p = NULL;
        char id[64];
        CLSID c;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        /* a class nobody registered */
        ASSERT_EQ(create(C_UNREG, &p), REGDB_E_CLASSNOTREG);
        ASSERT_NULL(p);
        /* a server that exits before registering: promptly, not after the timeout */
        uint64_t t0 = now_ms();
        ASSERT_EQ(create(C_EXIT, &p), CO_E_SERVER_EXEC_FAILURE);
        ASSERT_LT(now_ms() - t0, 1500u);
        /* one that never registers: after the launch timeout (2 s here) */
        t0 = now_ms();
        ASSERT_EQ(create(C_HANG, &p), CO_E_SERVER_EXEC_FAILURE);
        ASSERT_GE(now_ms() - t0, 1900u);
        /* an in-process-only request for a local server's class */
        clsid_of(C_MULTI, &c, id, sizeof id);
        ASSERT_EQ(CoCreateInstance(&c, NULL, CLSCTX_INPROC_SERVER, &IID_IObjTest2, (void **)&p),
                  REGDB_E_CLASSNOTREG);
        /* rpcss keeps serving */
        ASSERT_OK(create(C_MULTI, &p));
        IObjTest2_Release(p);
        CoUninitialize();
}

/* ---- DllSurrogate: an in-process component served by dcomsurrogate ------------------- */

enum { C_SURR = 0x20, C_INPROC_ONLY, C_SURR_MISSING };

static void set_named(const char *key, const char *name, const char *value) {
        WCHAR *wk = NULL, *wn = NULL, *wv = NULL;

        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(name, strlen(name), &wn, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(value, strlen(value), &wv, NULL));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, wk, wn, REG_SZ, wv,
                                  (DWORD)((dcom_utf16_len(wv) + 1) * sizeof(WCHAR))), ERROR_SUCCESS);
        free(wk);
        free(wn);
        free(wv);
}

/* tests/surrogate-component.so as the class's InprocServer32; with an AppID whose
   DllSurrogate is surrogate unless that is NULL. */
static void register_inproc(int which, const char *surrogate) {
        char id[64], appid[64], key[160], path[600];
        CLSID c;

        clsid_of(which, &c, id, sizeof id);
        snprintf(key, sizeof key, "CLSID\\%s\\InprocServer32", id);
        snprintf(path, sizeof path, "%s/tests/surrogate-component.so", test_build_dir());
        set_sz(key, path);
        set_named(key, "ThreadingModel", "Both");
        if (!surrogate)
                return;
        snprintf(appid, sizeof appid, "{7a3d2c10-5b6e-4f81-9c2d-0e1f2a3b4d%02x}", which);
        snprintf(key, sizeof key, "CLSID\\%s", id);
        set_named(key, "AppID", appid);
        snprintf(key, sizeof key, "AppID\\%s", appid);
        set_named(key, "DllSurrogate", surrogate);
}

static HRESULT create_disp(int which, DWORD clsctx, IDispatch **ret) {
        char id[64];
        CLSID c;

        clsid_of(which, &c, id, sizeof id);
        return CoCreateInstance(&c, NULL, clsctx, &IID_IDispatch, (void **)ret);
}

static DISPID disp_id(IDispatch *d, const char *name) {
        WCHAR w[32], *names[1] = { w };
        DISPID id = DISPID_UNKNOWN;
        size_t i;

        for (i = 0; name[i] && i < 31; i++)
                w[i] = (WCHAR)(unsigned char)name[i];
        w[i] = 0;
        ASSERT_OK(IDispatch_GetIDsOfNames(d, &IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id));
        return id;
}

/* The object's Value property: the pid of the process it lives in. */
static LONG disp_value(IDispatch *d) {
        DISPPARAMS dp = { NULL, NULL, 0, 0 };
        VARIANT r;

        VariantInit(&r);
        ASSERT_OK(IDispatch_Invoke(d, disp_id(d, "Value"), &IID_NULL, LOCALE_USER_DEFAULT,
                                   DISPATCH_PROPERTYGET, &dp, &r, NULL, NULL));
        ASSERT_EQ(V_VT(&r), VT_I4);
        return V_I4(&r);
}

static LONG disp_add(IDispatch *d, LONG a, LONG b) {
        VARIANT args[2], r;
        DISPPARAMS dp = { args, NULL, 2, 0 };

        V_VT(&args[0]) = VT_I4;         /* last argument first */
        V_I4(&args[0]) = b;
        V_VT(&args[1]) = VT_I4;
        V_I4(&args[1]) = a;
        VariantInit(&r);
        ASSERT_OK(IDispatch_Invoke(d, disp_id(d, "Add"), &IID_NULL, LOCALE_USER_DEFAULT,
                                   DISPATCH_METHOD, &dp, &r, NULL, NULL));
        ASSERT_EQ(V_VT(&r), VT_I4);
        return V_I4(&r);
}

/* Whether pid's program (argv[0]) ends in name. */
static bool runs(pid_t pid, const char *name) {
        char path[64], buf[1024];
        FILE *f;
        size_t n;

        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        if (!(f = fopen(path, "r")))
                return false;
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        n = strlen(buf);
        return n >= strlen(name) && strcmp(buf + n - strlen(name), name) == 0;
}

TEST(dll_surrogate_hosts_an_inproc_component) {
        IDispatch *a = NULL, *b = NULL;

        setup();
        register_inproc(C_SURR, "");
        register_inproc(C_INPROC_ONLY, NULL);
        register_inproc(C_SURR_MISSING, "/nonexistent/surrogate");
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));

        /* in process, the component is still loaded here */
        ASSERT_OK(create_disp(C_SURR, CLSCTX_INPROC_SERVER, &a));
        ASSERT_EQ(disp_value(a), (LONG)getpid());
        IDispatch_Release(a);

        /* as a local server: a proxy to an object in a dcomsurrogate process, called
           through IDispatch; a second activation shares the surrogate */
        ASSERT_OK(create_disp(C_SURR, CLSCTX_LOCAL_SERVER, &a));
        pid_t host = (pid_t)disp_value(a);
        surrogate_pid = host;
        ASSERT_TRUE(host > 0 && host != getpid());
        ASSERT_TRUE(runs(host, "/dcomsurrogate"));
        ASSERT_TRUE(ours(host));
        ASSERT_EQ(disp_add(a, 40, 2), 42);
        ASSERT_OK(create_disp(C_SURR, CLSCTX_LOCAL_SERVER, &b));
        ASSERT_EQ(disp_value(b), (LONG)host);
        IDispatch_Release(b);
        /* one object left: the surrogate stays */
        usleep(1500 * 1000);
        ASSERT_TRUE(alive(host));
        ASSERT_EQ(disp_add(a, 1, 2), 3);
        /* the last one gone: so is the surrogate, and the next activation starts another */
        IDispatch_Release(a);
        wait_gone(host);
        ASSERT_OK(create_disp(C_SURR, CLSCTX_LOCAL_SERVER, &a));
        pid_t host2 = (pid_t)disp_value(a);
        surrogate_pid = host2;
        ASSERT_TRUE(host2 != host && host2 != getpid());
        IDispatch_Release(a);
        wait_gone(host2);

        /* an InprocServer32 without DllSurrogate stays in-process only */
        a = NULL;
        ASSERT_EQ(create_disp(C_INPROC_ONLY, CLSCTX_LOCAL_SERVER, &a), REGDB_E_CLASSNOTREG);
        ASSERT_NULL(a);
        /* a DllSurrogate naming no program (dcomlaunch logs which) */
        HRESULT hr = create_disp(C_SURR_MISSING, CLSCTX_LOCAL_SERVER, &a);
        ASSERT_TRUE(hr == CO_E_SERVER_EXEC_FAILURE || hr == CO_E_APPNOTFOUND);
        ASSERT_NULL(a);
        CoUninitialize();
}

TEST(kills_leave_nothing_half_done) {
        IObjTest2 *p = NULL;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        /* the server SIGKILLed while it makes the object: rpcss starts another one (or, out
           of attempts, fails); nothing of the dead one is used */
        int fds[2];
        ASSERT_OK(pipe(fds));
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                /* finds the slow server by its command line and kills it mid-CreateInstance */
                for (int i = 0; i < 300; i++) {
                        usleep(10000);
                        pid_t s = find_server("slow");
                        if (s > 0) {
                                usleep(300000);         /* registered, inside CreateInstance */
                                if (write(fds[1], &s, sizeof s) != sizeof s)
                                        _exit(1);
                                _exit(kill(s, SIGKILL) == 0 ? 0 : 1);
                        }
                }
                _exit(1);
        }
        HRESULT hr = create(C_SLOW, &p);
        int status;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pid_t killed = 0;
        ASSERT_EQ(read(fds[0], &killed, sizeof killed), (ssize_t)sizeof killed);
        close(fds[0]);
        close(fds[1]);
        if (SUCCEEDED(hr)) {
                ASSERT_TRUE(server_pid(p) != killed);
                IObjTest2_Release(p);
                p = NULL;
        }

        /* dcomlaunch gone: RPC_S_SERVER_UNAVAILABLE, promptly */
        launcher_stop();
        uint64_t t0 = now_ms();
        ASSERT_EQ(create(C_MULTI, &p), HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE));
        ASSERT_LT(now_ms() - t0, 1000u);
        launcher_start();
        ASSERT_OK(create(C_MULTI, &p));
        LONG pid = server_pid(p);

        /* rpcss killed and started again: the running server registers its class again
           (its next call to rpcss, at most a quarter ping period later) and is reused */
        kill(rpcss_pid, SIGKILL);
        waitpid(rpcss_pid, NULL, 0);
        rpcss_pid = 0;
        IObjTest2 *q = NULL;
        ASSERT_EQ(create(C_MULTI, &q), HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE));
        rpcss_start();
        /* A few quarters of the 200 ms ping period: the time the server is given to
           register again.  Not a poll: a CoCreateInstance before that would have a new
           server started, and the test is that the running one is reused. */
        usleep(500000);
        ASSERT_OK(create(C_MULTI, &q));
        ASSERT_EQ(server_pid(q), pid);
        IObjTest2_Release(q);
        IObjTest2_Release(p);
        wait_gone(pid);
        CoUninitialize();
}

TEST(remote_server_over_tcp_with_ntlm) {
        IObjTest2 *p = NULL;
        char id[64];
        CLSID c;

        if (geteuid() != 0)
                SKIP("the NTLM account store is root's");
        setup();
        ASSERT_OK(accounts_set_password("actuser", "Act-Secret-1"));
        /* the account's Unix user: root's own name runs the server as the launching user */
        ASSERT_OK(accounts_set_password("root", "Root-Secret-1"));
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        clsid_of(C_MULTI, &c, id, sizeof id);
        COAUTHIDENTITY ident = {
                .User = (unsigned short *)u"root", .UserLength = 4,
                .Domain = (unsigned short *)u"", .DomainLength = 0,
                .Password = (unsigned short *)u"Root-Secret-1", .PasswordLength = 13,
                .Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE,
        };
        COAUTHINFO ai = {
                .dwAuthnSvc = RPC_C_AUTHN_WINNT, .dwAuthnLevel = RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
                .dwImpersonationLevel = RPC_C_IMP_LEVEL_IDENTIFY, .pAuthIdentityData = &ident,
        };
        /* an address, not this machine's name: the TCP path another host takes */
        COSERVERINFO si = { .pwszName = (LPWSTR)u"127.0.0.1", .pAuthInfo = &ai };
        MULTI_QI qi = { &IID_IObjTest2, NULL, 0 };
        com_proxy_set_tcp_only(true);
        struct rpc_trips tcp0;
        rpc_client_trips(RPC_PROTSEQ_TCP, &tcp0);
        ASSERT_OK(CoCreateInstanceEx(&c, NULL, CLSCTX_REMOTE_SERVER, &si, 1, &qi));
        p = (IObjTest2 *)qi.pItf;
        LONG sum = 0;
        ASSERT_OK(IObjTest2_Add(p, 20, 22, &sum));
        ASSERT_EQ(sum, 42);
        /* rpcss's connection and its NTLM bind, RemoteCreateInstance; the exporter's
           connection and its NTLM bind -- the activation's credentials, which the proxy's
           blanket names too --, Add: no ResolveOxid2 between them */
        struct rpc_trips tcp = trips_since(RPC_PROTSEQ_TCP, &tcp0);
        ASSERT_EQ(tcp.connects, 2u);
        ASSERT_EQ(tcp.requests, 2u);
        ASSERT_EQ(tcp.binds, 2u);
        /* RPC_C_IMP_LEVEL_IDENTIFY (COAUTHINFO's): the server sees who calls but may not
           act as the caller; with IMPERSONATE on the proxy's blanket it may */
        WCHAR *g = NULL;
        char *u8 = NULL;
        ASSERT_OK(IObjTest2_Greet(p, u"who", &g));
        ASSERT_OK(dcom_utf16_to_utf8(g, dcom_utf16_len(g), &u8, NULL));
        ASSERT_NOT_NULL(strstr(u8, "\\root level 6 impersonated 0x80070542 after 0"));
        free(u8);
        CoTaskMemFree(g);
        /* ... on a copy of the proxy (CoCopyProxy): its blanket only, the original's stays */
        IObjTest2 *copy = NULL;
        ASSERT_OK(CoCopyProxy((IUnknown *)p, (IUnknown **)&copy));
        ASSERT_TRUE((void *)copy != (void *)p);
        ASSERT_OK(CoSetProxyBlanket((IUnknown *)copy, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
                                    RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_IMP_LEVEL_IMPERSONATE,
                                    &ident, 0));
        DWORD imp = 0;
        ASSERT_OK(CoQueryProxyBlanket((IUnknown *)copy, NULL, NULL, NULL, NULL, &imp, NULL, NULL));
        ASSERT_EQ(imp, (DWORD)RPC_C_IMP_LEVEL_IMPERSONATE);
        ASSERT_OK(IObjTest2_Greet(copy, u"who", &g));
        ASSERT_OK(dcom_utf16_to_utf8(g, dcom_utf16_len(g), &u8, NULL));
        ASSERT_NOT_NULL(strstr(u8, "\\root level 6 impersonated 0 after 0"));
        free(u8);
        CoTaskMemFree(g);
        ASSERT_OK(IObjTest2_Greet(p, u"who", &g));
        ASSERT_OK(dcom_utf16_to_utf8(g, dcom_utf16_len(g), &u8, NULL));
        ASSERT_NOT_NULL(strstr(u8, "impersonated 0x80070542"));
        free(u8);
        CoTaskMemFree(g);
        /* the copy's QueryInterface is the object's identity's */
        IUnknown *u1 = NULL, *u2 = NULL;
        ASSERT_OK(IObjTest2_QueryInterface(copy, &IID_IUnknown, (void **)&u1));
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IUnknown, (void **)&u2));
        ASSERT_TRUE(u1 == u2);
        IUnknown_Release(u1);
        IUnknown_Release(u2);
        IObjTest2_Release(copy);
        ASSERT_EQ(CoCopyProxy(NULL, (IUnknown **)&copy), E_INVALIDARG);
        /* IRemUnknown's calls carry the credentials too: a remote QueryInterface */
        IObjTest *t = NULL;
        ASSERT_OK(IObjTest2_QueryInterface(p, &IID_IObjTest, (void **)&t));
        IObjTest_Release(t);

        /* CoGetClassObject with COSERVERINFO: the class object over there */
        IClassFactory *cf = NULL;
        ASSERT_OK(CoGetClassObject(&c, CLSCTX_REMOTE_SERVER, &si, &IID_IClassFactory, (void **)&cf));
        ASSERT_NOT_NULL(cf);
        ASSERT_OK(IClassFactory_LockServer(cf, TRUE));
        ASSERT_OK(IClassFactory_LockServer(cf, FALSE));
        IClassFactory_Release(cf);
        pid_t served = (pid_t)server_pid(p);
        IObjTest2_Release(p);
        /* every reference given back (the blanket's own context's too): the server ends */
        wait_gone(served);

        /* an account that is no Unix user, and the class has no RunAs: refused */
        ident.User = (unsigned short *)u"actuser";
        ident.UserLength = 7;
        ident.Password = (unsigned short *)u"Act-Secret-1";
        ident.PasswordLength = 12;
        qi.pItf = NULL;
        ASSERT_EQ(CoCreateInstanceEx(&c, NULL, CLSCTX_REMOTE_SERVER, &si, 1, &qi), E_ACCESSDENIED);
        /* a wrong password: the activation is refused by the authentication */
        ident.PasswordLength = 3;
        ASSERT_TRUE(FAILED(CoCreateInstanceEx(&c, NULL, CLSCTX_REMOTE_SERVER, &si, 1, &qi)));
        com_proxy_set_tcp_only(false);
        CoUninitialize();
}


/* Another local user cannot put a class in rpcss's table behind this process's OXID (its
   activations would come to us), nor ask this process's exporter for instances. */
TEST(class_registration_of_another_user_refused) {
        struct dsa_builder b;
        DUALSTRINGARRAY *d = NULL;
        IPID ipid = { 0x1234, 0, 0, { 0 } };
        OXID oxid = 0x0123456789abcdefull;
        char id[64];
        CLSID c;
        int res[2], status;

        if (geteuid() != 0)
                SKIP("needs root to run a process as nobody");
        setup();
        ASSERT_OK(chmod(test_state_dir(), 0755));
        dsa_builder_init(&b);
        ASSERT_OK(dsa_builder_add_string(&b, DSA_TOWER_LRPC, "OLE0000000000000001"));
        ASSERT_OK(dsa_builder_add_security(&b, 10, ""));
        ASSERT_OK(dsa_builder_finish(&b, &d));
        ASSERT_OK(com_resolver_register_oxid(oxid, &ipid, 2, d, NULL));
        clsid_of(C_MULTI, &c, id, sizeof id);
        ASSERT_OK(pipe(res));
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                int r = -1;
                if (setgid(65534) == 0 && setuid(65534) == 0)
                        r = com_resolver_register_class(oxid, &c, 1, REGCLS_MULTIPLEUSE);
                if (write(res[1], &r, sizeof r) != sizeof r)
                        _exit(2);
                _exit(0);
        }
        int r = 0;
        ASSERT_EQ(read(res[0], &r, sizeof r), (ssize_t)sizeof r);
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_EQ(r, -EACCES);          /* the OXID is root's: ERROR_ACCESS_DENIED */
        close(res[0]);
        close(res[1]);
        ASSERT_OK(com_resolver_revoke_oxid(oxid));
        free(d);
}

/* --- launch and access permissions (issue 15) ------------------------------------------------ */

enum { C_SEC = 0x30 };
#define APPID_SEC "{7a3d2c10-5b6e-4f81-9c2d-0e1f2a3b4e30}"

/* A REG_BINARY security descriptor from SDDL (through <sddl.h>, as Windows code does). */
static void set_sddl(const char *key, const char *name, const char *sddl) {
        PSECURITY_DESCRIPTOR sd = NULL;
        ULONG len = 0;
        WCHAR *wk = NULL, *wn = NULL;

        ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1,
                                                                         &sd, &len));
        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(name, strlen(name), &wn, NULL));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, wk, wn, REG_BINARY, sd, len), ERROR_SUCCESS);
        LocalFree(sd);
        free(wk);
        free(wn);
}

static void delete_value(const char *key, const char *name) {
        WCHAR *wk = NULL, *wn = NULL;
        HKEY k;

        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(name, strlen(name), &wn, NULL));
        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, wk, 0, KEY_ALL_ACCESS, &k) == ERROR_SUCCESS) {
                RegDeleteValueW(k, wn);
                RegCloseKey(k);
        }
        free(wk);
        free(wn);
}

/* tests/sec-client as uid: its output lines, in out. */
static void run_client(uid_t uid, const char *clsid, char *out, size_t size) {
        char exe[512], u[16];
        int p[2], status;
        size_t n = 0;

        snprintf(exe, sizeof exe, "%s/tests/sec-client", test_build_dir());
        snprintf(u, sizeof u, "%u", (unsigned)uid);
        ASSERT_OK(pipe(p));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                dup2(p[1], 1);
                close(p[0]);
                execl(exe, "sec-client", u, clsid, (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                ssize_t k = read(p[0], out + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        out[n] = 0;
        close(p[0]);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * As root, a client running as nobody against a class whose AppID runs its server as root:
 * LaunchPermission refuses or grants the launch (a deny ACE before any allow); with launch
 * but without access permission (no HKCR\AppID\<exe> mapping: the server process applies
 * the default access permission, SELF and SYSTEM) the first call is refused; with the
 * mapping and an AccessPermission naming nobody the calls run, and the server sees its
 * caller (CoQueryClientBlanket) and impersonates it (CoImpersonateClient: nobody's uid on
 * that thread only, root again after CoRevertToSelf).  Activation of a running server
 * needs activation permission, a new one launch permission.
 */
TEST(launch_and_access_permissions) {
        char id[64], key[128], out[2048], app[96];
        CLSID c;

        if (geteuid() != 0)
                SKIP("needs root to run a client as nobody");
        setup();
        ASSERT_OK(chmod(test_state_dir(), 0755));
        clsid_of(C_SEC, &c, id, sizeof id);
        register_class(C_SEC, "multi");
        snprintf(key, sizeof key, "CLSID\\%s", id);
        set_named(key, "AppID", APPID_SEC);
        snprintf(app, sizeof app, "AppID\\%s", APPID_SEC);
        set_named(app, "RunAs", "root");

        /* the default launch permission (Administrators, SYSTEM, INTERACTIVE): a local
           user is INTERACTIVE; LaunchPermission naming only Administrators refuses it */
        set_sddl(app, "LaunchPermission", "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)");
        run_client(65534, id, out, sizeof out);
        ASSERT_STR_EQ(out, "create 0x80070005\n");
        ASSERT_EQ(find_server_of("multi", id), 0);
        /* a deny ACE wins over an allow for everyone */
        set_sddl(app, "LaunchPermission",
                 "O:BAG:BAD:(D;;CCDCLCSWRP;;;S-1-22-1-65534)(A;;CCDCLCSWRP;;;WD)");
        run_client(65534, id, out, sizeof out);
        ASSERT_STR_EQ(out, "create 0x80070005\n");

        /* launch granted, access not: the server starts, the first call is refused */
        set_sddl(app, "LaunchPermission", "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;S-1-22-1-65534)");
        run_client(65534, id, out, sizeof out);
        ASSERT_TRUE(strncmp(out, "create 0x00000000\nadd 0x80070005 0\n", 35) == 0);
        pid_t first = find_server_of("multi", id);
        ASSERT_GT(first, 0);
        wait_gone(first);       /* its object released: the server ends */

        /* the executable's mapping (seed 003) and an access permission for nobody */
        set_named("AppID\\act-server", "AppID", APPID_SEC);
        set_sddl(app, "AccessPermission", "O:BAG:BAD:(A;;CCDCLC;;;BA)(A;;CCDC;;;S-1-22-1-65534)");
        run_client(65534, id, out, sizeof out);
        ASSERT_TRUE(strncmp(out, "create 0x00000000\nadd 0x00000000 42\n", 36) == 0);
        ASSERT_NOT_NULL(strstr(out, "greet 0x00000000 "));
        ASSERT_NOT_NULL(strstr(out, "nobody level 6 impersonated 65534 after 0\n"));

        /* activation of a running server: activation permission, not launch */
        IObjTest2 *p = NULL;
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoCreateInstance(&c, NULL, CLSCTX_LOCAL_SERVER, &IID_IObjTest2, (void **)&p));
        pid_t running = (pid_t)server_pid(p);
        /* a call context kept past its call (AddRef'd) answers RPC_E_CALL_COMPLETE */
        WCHAR *g = NULL;
        char *u8 = NULL;
        ASSERT_OK(IObjTest2_Greet(p, u"keep", &g));
        CoTaskMemFree(g);
        ASSERT_OK(IObjTest2_Greet(p, u"kept", &g));
        ASSERT_OK(dcom_utf16_to_utf8(g, dcom_utf16_len(g), &u8, NULL));
        ASSERT_STR_EQ(u8, "kept 0x80010117 0x80010117");
        free(u8);
        CoTaskMemFree(g);
        set_sddl(app, "LaunchPermission", "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDC;;;S-1-22-1-65534)");
        run_client(65534, id, out, sizeof out);
        ASSERT_STR_EQ(out, "create 0x80070005\n");
        set_sddl(app, "LaunchPermission", "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCSW;;;S-1-22-1-65534)");
        run_client(65534, id, out, sizeof out);
        ASSERT_TRUE(strncmp(out, "create 0x00000000\nadd 0x00000000 42\n", 36) == 0);
        ASSERT_EQ((pid_t)server_pid(p), running);
        IObjTest2_Release(p);
        wait_gone(running);
        /* ... and with no server running, that is not enough to start one */
        run_client(65534, id, out, sizeof out);
        ASSERT_STR_EQ(out, "create 0x80070005\n");
        CoUninitialize();

        delete_value("AppID\\act-server", "AppID");
        delete_value(app, "LaunchPermission");
        delete_value(app, "AccessPermission");
}
