/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation (issue 14): CoCreateInstanceEx of a class whose local server is already
 * running, to the first call returning, then Release -- next to a null ORPC call into
 * that server and the raw-socket floors measured in the same run:
 *
 *   orpc-null-lrpc           IOrpcBench::Null() on the activated object (ncalrpc)
 *   activation-lrpc          CLSCTX_LOCAL_SERVER: RemoteCreateInstance on rpcss, the first
 *                            call (Null), Release, with nothing of the server held -- a new
 *                            connection to its exporter each time
 *   activation-lrpc-held     the same while another object of the server is held: its OXID
 *                            and connection are known
 *   orpc-null-tcp, activation-tcp
 *                            the same over TCP: CLSCTX_REMOTE_SERVER, COSERVERINFO 127.0.0.1,
 *                            COAUTHINFO with an NTLM account at PKT_PRIVACY (as root only:
 *                            the account store is root's; skipped otherwise)
 *   activation-cold-lrpc     a class with no server running (REGCLS_SINGLEUSE: each
 *                            activation launches one through dcomlaunch) -- process launch
 *                            until the first call returns; each server is gone before the
 *                            next activation (untimed)
 *
 * Round trips are counted on the caller's thread (rpc_client_trips): connections, binds
 * (a handshake's legs) and requests of one activation, by transport.  Issue 14's goal: at
 * most 3 round trips after authentication.  The server is this program again, run as
 * LocalServer32 with --server (dcomlaunch adds -Embedding); rpcss and dcomlaunch run in a
 * private OPENDCOM_ROOT.  Compare ratios from runs with --pin (scripts/run-bench).
 */
#define COBJMACROS
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <objbase.h>

#include "bench.h"
#include "bench-services.h"
#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "orpc-bench_stub.h"
#include "rpc/auth/accounts.h"
#include "rpc/rpc-internal.h"

#define CLSID_WARM "{5c0e9a41-2b7d-4e63-8f15-a9d0c3b2e701}"     /* REGCLS_MULTIPLEUSE */
#define CLSID_COLD "{5c0e9a41-2b7d-4e63-8f15-a9d0c3b2e702}"     /* REGCLS_SINGLEUSE */
#define ACCOUNT "root"
#define ACCOUNT_PASSWORD "Bench-Activation-1"
#define SERVER_MAX_LIFE_S 900           /* a server outliving a crashed benchmark ends */

/* --- the server (--server {clsid} multi|single) --------------------------------------- */

struct obj {
        IOrpcBench IOrpcBench_iface;
        atomic_int refs;
};

static HANDLE server_done;

static HRESULT STDMETHODCALLTYPE o_qi(IOrpcBench *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IOrpcBench)) {
                *ppv = iface;
                atomic_fetch_add(&((struct obj *)iface)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_addref(IOrpcBench *iface) {
        return (ULONG)atomic_fetch_add(&((struct obj *)iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE o_release(IOrpcBench *iface) {
        int n = atomic_fetch_sub(&((struct obj *)iface)->refs, 1) - 1;

        if (n == 0) {
                free(iface);
                if (CoReleaseServerProcess() == 0)
                        SetEvent(server_done);
        }
        return (ULONG)n;
}

static HRESULT STDMETHODCALLTYPE o_null(IOrpcBench *iface) {
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_bytes(IOrpcBench *iface, ULONG n, const BYTE *p) {
        return E_NOTIMPL;
}

/* Here: the server's pid, so that the client can wait for a cold server to be gone. */
static HRESULT STDMETHODCALLTYPE o_echo(IOrpcBench *iface, LONG x, LONG *y) {
        *y = (LONG)getpid();
        return S_OK;
}

static const IOrpcBenchVtbl obj_vtbl = { o_qi, o_addref, o_release, o_null, o_bytes, o_echo };

static HRESULT STDMETHODCALLTYPE cf_qi(IClassFactory *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cf_addref(IClassFactory *iface) {
        return 2;
}

static ULONG STDMETHODCALLTYPE cf_release(IClassFactory *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_create(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                           void **ppv) {
        struct obj *o;
        HRESULT hr;

        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        if (!(o = calloc(1, sizeof *o)))
                return E_OUTOFMEMORY;
        o->IOrpcBench_iface.lpVtbl = &obj_vtbl;
        atomic_init(&o->refs, 1);
        CoAddRefServerProcess();
        hr = o_qi(&o->IOrpcBench_iface, riid, ppv);
        o_release(&o->IOrpcBench_iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cf_lock(IClassFactory *iface, BOOL lock) {
        if (lock)
                CoAddRefServerProcess();
        else if (CoReleaseServerProcess() == 0)
                SetEvent(server_done);
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = { cf_qi, cf_addref, cf_release, cf_create, cf_lock };
static IClassFactory factory = { &cf_vtbl };

static int clsid_parse(const char *s, CLSID *ret) {
        WCHAR w[40];
        size_t i;

        for (i = 0; s[i] && i < 39; i++)
                w[i] = (WCHAR)(unsigned char)s[i];
        w[i] = 0;
        return FAILED(CLSIDFromString(w, ret)) ? -EINVAL : 0;
}

static int server_main(int argc, char **argv) {
        DWORD cookie, idx;
        CLSID clsid;
        HRESULT hr;

        if (argc < 4 || clsid_parse(argv[2], &clsid) < 0) {
                fprintf(stderr, "bench-activation: --server {CLSID} multi|single\n");
                return 2;
        }
        if (com_ps_register(&IOrpcBench_ProxyVtbl, &IOrpcBench_p_interface) < 0 ||
            !(server_done = CreateEventW(NULL, TRUE, FALSE, NULL)) ||
            FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 1;
        hr = CoRegisterClassObject(&clsid, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER,
                                   strcmp(argv[3], "single") == 0 ? REGCLS_SINGLEUSE
                                                                  : REGCLS_MULTIPLEUSE,
                                   &cookie);
        if (FAILED(hr)) {
                fprintf(stderr, "bench-activation: server: CoRegisterClassObject: 0x%08x\n",
                        (unsigned)hr);
                return 1;
        }
        CoWaitForMultipleHandles(0, SERVER_MAX_LIFE_S * 1000u, 1, &server_done, &idx);
        CoRevokeClassObject(cookie);
        CoUninitialize();
        return 0;
}

/* --- the client ----------------------------------------------------------------------- */

/* HKCR\CLSID\{clsid}\LocalServer32 = "this program" --server {clsid} mode */
static int register_class(const char *clsid, const char *mode) {
        char exe[PATH_MAX], key[128], cmd[PATH_MAX + 128];
        WCHAR *wk = NULL, *wv = NULL;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        int r = -ENOMEM;

        if (n < 0)
                return -errno;
        exe[n] = 0;
        snprintf(key, sizeof key, "CLSID\\%s\\LocalServer32", clsid);
        snprintf(cmd, sizeof cmd, "\"%s\" --server %s %s", exe, clsid, mode);
        if (dcom_utf8_to_utf16(key, strlen(key), &wk, NULL) >= 0 &&
            dcom_utf8_to_utf16(cmd, strlen(cmd), &wv, NULL) >= 0)
                r = RegSetKeyValueW(HKEY_CLASSES_ROOT, wk, NULL, REG_SZ, wv,
                                    (DWORD)((dcom_utf16_len(wv) + 1) * sizeof(WCHAR))) ==
                                    ERROR_SUCCESS ? 0 : -EIO;
        free(wk);
        free(wv);
        return r;
}

/* What an activation asks for: the class, where, with which credentials. */
struct act {
        CLSID clsid;
        DWORD clsctx;
        COSERVERINFO *server;           /* NULL: this machine */
        pid_t last_pid;                 /* the server of the last operation (cold) */
};

/* CoCreateInstanceEx, the first call (Echo: the server's pid), Release -- or, with
   ret_keep, the object kept there instead. */
static int activate_once(struct act *a, IOrpcBench **ret_keep) {
        MULTI_QI qi = { &IID_IOrpcBench, NULL, 0 };
        LONG pid = 0;
        HRESULT hr = CoCreateInstanceEx(&a->clsid, NULL, a->clsctx, a->server, 1, &qi);

        if (FAILED(hr) || FAILED(qi.hr))
                return -EIO;
        hr = IOrpcBench_Echo((IOrpcBench *)qi.pItf, 0, &pid);
        if (ret_keep)
                *ret_keep = (IOrpcBench *)qi.pItf;
        else
                IOrpcBench_Release((IOrpcBench *)qi.pItf);
        if (FAILED(hr))
                return -EPROTO;
        a->last_pid = (pid_t)pid;
        return 0;
}

static int activations(void *ctx, uint64_t n) {
        for (uint64_t i = 0; i < n; i++) {
                int r = activate_once(ctx, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether pid is gone (or a zombie its parent has yet to reap). */
static bool process_gone(pid_t pid) {
        char path[64], buf[512];
        FILE *f;
        bool gone = true;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        if ((f = fopen(path, "r"))) {
                const char *p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
                gone = p && p[1] == ' ' && p[2] == 'Z';
                fclose(f);
        }
        return gone;
}

/* prepare of the cold entry: the last server gone, so that each activation launches one
   on an otherwise idle machine. */
static int wait_server_gone(void *ctx) {
        struct act *a = ctx;

        for (int i = 0; a->last_pid > 0 && !process_gone(a->last_pid); i++) {
                if (i >= 5000)
                        return -ETIMEDOUT;      /* 5 s */
                usleep(1000);
        }
        a->last_pid = 0;
        return 0;
}

static int null_calls(void *ctx, uint64_t n) {
        IOrpcBench *p = ctx;

        for (uint64_t i = 0; i < n; i++)
                if (IOrpcBench_Null(p) != S_OK)
                        return -EPROTO;
        return 0;
}

/* The round trips of one operation (on this thread), printed as a comment line. */
struct trips {
        struct rpc_trips lrpc, tcp;
};

static void trips_count(struct act *a, const char *name, struct trips *ret) {
        struct rpc_trips l0, t0;

        memset(ret, 0, sizeof *ret);
        rpc_client_trips(RPC_PROTSEQ_LRPC, &l0);
        rpc_client_trips(RPC_PROTSEQ_TCP, &t0);
        IOrpcBench *p = NULL;
        if (activate_once(a, &p) < 0) {
                fprintf(stderr, "bench-activation: %s: the activation fails\n", name);
                return;
        }
        rpc_client_trips(RPC_PROTSEQ_LRPC, &ret->lrpc);
        rpc_client_trips(RPC_PROTSEQ_TCP, &ret->tcp);
        IOrpcBench_Release(p);          /* its RemRelease (and bind) is not the activation's */
        ret->lrpc.connects -= l0.connects;
        ret->lrpc.binds -= l0.binds;
        ret->lrpc.requests -= l0.requests;
        ret->tcp.connects -= t0.connects;
        ret->tcp.binds -= t0.binds;
        ret->tcp.requests -= t0.requests;
        printf("# %-22s round trips to the first call: %" PRIu64 " (ncalrpc: %" PRIu64
               " binds, %" PRIu64 " requests, %" PRIu64 " connections; TCP: %" PRIu64
               " binds, %" PRIu64 " requests, %" PRIu64 " connections); %" PRIu64
               " after the binds\n",
               name, ret->lrpc.binds + ret->lrpc.requests + ret->tcp.binds + ret->tcp.requests,
               ret->lrpc.binds, ret->lrpc.requests, ret->lrpc.connects, ret->tcp.binds,
               ret->tcp.requests, ret->tcp.connects, ret->lrpc.requests + ret->tcp.requests);
        fflush(stdout);
}

/* The server of a class kept running without a proxy of ours (IClassFactory::LockServer). */
static HRESULT lock_server(struct act *a, BOOL lock) {
        IClassFactory *cf = NULL;
        HRESULT hr = CoGetClassObject(&a->clsid, a->clsctx, a->server, &IID_IClassFactory,
                                      (void **)&cf);

        if (SUCCEEDED(hr)) {
                hr = IClassFactory_LockServer(cf, lock);
                IClassFactory_Release(cf);
        }
        return hr;
}

/* orpc-null-X, activation-X-held, activation-X; the server locked meanwhile.  0, or a
   negative errno when the activation fails. */
static int warm_entries(struct bench *b, struct act *a, const char *t, const char *floor) {
        char null_name[BENCH_NAME_MAX], name[BENCH_NAME_MAX];
        MULTI_QI qi = { &IID_IOrpcBench, NULL, 0 };
        struct trips k;
        HRESULT hr;

        snprintf(null_name, sizeof null_name, "orpc-null-%s", t);
        hr = CoCreateInstanceEx(&a->clsid, NULL, a->clsctx, a->server, 1, &qi);
        if (FAILED(hr) || FAILED(qi.hr)) {
                fprintf(stderr, "bench-activation: activation over %s: 0x%08x\n", t,
                        (unsigned)(FAILED(hr) ? hr : qi.hr));
                return -EIO;
        }
        IOrpcBench *p = (IOrpcBench *)qi.pItf;
        bench_run(b, &(struct bench_spec){ .name = null_name, .fn = null_calls, .ctx = p,
                                            .batch = 1, .baseline = floor }, NULL);

        snprintf(name, sizeof name, "activation-%s-held", t);
        if (bench_enabled(b, name)) {
                trips_count(a, name, &k);
                bench_run(b, &(struct bench_spec){ .name = name, .fn = activations, .ctx = a,
                                                    .batch = 1, .baseline = null_name }, NULL);
        }

        /* nothing of the server held: the OXID comes from the activation's reply */
        hr = lock_server(a, TRUE);
        IOrpcBench_Release(p);
        snprintf(name, sizeof name, "activation-%s", t);
        if (FAILED(hr)) {
                fprintf(stderr, "bench-activation: LockServer: 0x%08x\n", (unsigned)hr);
                return -EIO;
        }
        if (bench_enabled(b, name)) {
                trips_count(a, name, &k);
                bench_run(b, &(struct bench_spec){ .name = name, .fn = activations, .ctx = a,
                                                    .batch = 1, .baseline = null_name }, NULL);
        }
        lock_server(a, FALSE);          /* the server ends */
        return 0;
}

static void ratio(struct bench *b, const char *name, const char *base) {
        const struct bench_result *r = bench_find(b, name), *f = bench_find(b, base);

        if (r && f && f->median_ns > 0)
                printf("# %-22s %8.2fx %s\n", name, r->median_ns / f->median_ns, base);
}

static void summary(struct bench *b) {
        ratio(b, "activation-lrpc", "orpc-null-lrpc");
        ratio(b, "activation-lrpc", "floor-unix-64B");
        ratio(b, "activation-lrpc-held", "orpc-null-lrpc");
        ratio(b, "activation-tcp", "orpc-null-tcp");
        ratio(b, "activation-tcp", "floor-tcp-64B");
        ratio(b, "activation-tcp-held", "orpc-null-tcp");
        ratio(b, "activation-cold-lrpc", "activation-lrpc");
        ratio(b, "activation-cold-lrpc", "floor-unix-64B");
}

int main(int argc, char **argv) {
        if (argc > 1 && strcmp(argv[1], "--server") == 0)
                return server_main(argc, argv);

        struct bench *b = bench_new(argc, argv,
                                    "DCOM activation of a running and of a launched local server "
                                    "vs a null ORPC call and raw sockets");
        char root[64];
        pid_t rpcss = -1, launcher = -1;
        bool have_root = false, com = false;
        struct act warm = { .clsctx = CLSCTX_LOCAL_SERVER }, cold = { .clsctx = CLSCTX_LOCAL_SERVER };
        int status = 0;

        /* the floors first: their children must not inherit the connections under test */
        if (bench_floor_unix(b, 64, NULL) < 0 || bench_floor_tcp(b, 64, NULL) < 0)
                status = 1;
        if (bench_root_new("bench-activation", root, sizeof root) < 0) {
                status = 1;
                goto out;
        }
        have_root = true;
        /* the services, forked before COM starts threads in this process */
        if (bench_rpcss_start(b, &rpcss) < 0 || bench_dcomlaunch_start(b, &launcher) < 0 ||
            register_class(CLSID_WARM, "multi") < 0 || register_class(CLSID_COLD, "single") < 0 ||
            clsid_parse(CLSID_WARM, &warm.clsid) < 0 || clsid_parse(CLSID_COLD, &cold.clsid) < 0) {
                fprintf(stderr, "bench-activation: cannot set up rpcss, dcomlaunch and the classes\n");
                status = 1;
                goto out;
        }
        if (com_ps_register(&IOrpcBench_ProxyVtbl, &IOrpcBench_p_interface) < 0 ||
            FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED))) {
                fprintf(stderr, "bench-activation: cannot initialize COM\n");
                status = 1;
                goto out;
        }
        com = true;

        if (warm_entries(b, &warm, "lrpc", "floor-unix-64B") < 0)
                status = 1;

        if (geteuid() != 0) {
                printf("# activation-tcp: skipped (the NTLM account store is root's)\n");
        } else if (accounts_set_password(ACCOUNT, ACCOUNT_PASSWORD) < 0) {
                fprintf(stderr, "bench-activation: cannot make the NTLM account\n");
                status = 1;
        } else {
                COAUTHIDENTITY id = {
                        .User = (unsigned short *)u"" ACCOUNT, .UserLength = sizeof ACCOUNT - 1,
                        .Domain = (unsigned short *)u"", .DomainLength = 0,
                        .Password = (unsigned short *)u"" ACCOUNT_PASSWORD,
                        .PasswordLength = sizeof ACCOUNT_PASSWORD - 1,
                        .Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE,
                };
                COAUTHINFO ai = {
                        .dwAuthnSvc = RPC_C_AUTHN_WINNT,
                        .dwAuthnLevel = RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
                        .dwImpersonationLevel = RPC_C_IMP_LEVEL_IDENTIFY, .pAuthIdentityData = &id,
                };
                COSERVERINFO si = { .pwszName = (LPWSTR)u"127.0.0.1", .pAuthInfo = &ai };
                struct act tcp = { .clsid = warm.clsid, .clsctx = CLSCTX_REMOTE_SERVER,
                                   .server = &si };
                if (warm_entries(b, &tcp, "tcp", "floor-tcp-64B") < 0)
                        status = 1;
        }

        if (bench_enabled(b, "activation-cold-lrpc")) {
                struct trips k;
                trips_count(&cold, "activation-cold-lrpc", &k);
                bench_run(b, &(struct bench_spec){ .name = "activation-cold-lrpc",
                                                    .fn = activations, .ctx = &cold, .batch = 1,
                                                    .baseline = "activation-lrpc",
                                                    .prepare = wait_server_gone }, NULL);
                wait_server_gone(&cold);
        }
        summary(b);
out:
        if (com)
                CoUninitialize();
        if (bench_service_stop(b, launcher) < 0 || bench_service_stop(b, rpcss) < 0)
                status = 1;
        if (have_root)
                bench_root_remove(root);
        if (bench_finish(b) != 0)
                status = 1;
        return status;
}
