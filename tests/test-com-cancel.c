/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Call cancellation (src/com/cancel.c over src/rpc/cancel.c): a thread's call to an
 * object in another process, waiting in a method that watches CoTestCancel, cancelled
 * from another thread with CoCancelCall or the call's ICancelMethodCalls -- over ncalrpc
 * and TCP, from the MTA and from an STA (whose call a helper thread makes while it
 * pumps); the enable count; threads and calls that cannot be cancelled; a thread's own
 * cancel object.  test-rpc-server cancel_token checks the runtime's half: a cancel that
 * came before the request went out.
 */
#define COBJMACROS
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <objbase.h>

#include "cancel_stub.h"
#include "com/remote-internal.h"
#include "rpc/auth/accounts.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

__attribute__((constructor)) static void short_ping_period(void) {
        setenv("OPENDCOM_PING_PERIOD_MS", "200", 0);
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void register_ps(void) {
        ASSERT_OK(com_ps_register(&ISlowCall_ProxyVtbl, &ISlowCall_p_interface));
}

/* --- the server process ------------------------------------------------------------------- */

static int entered_fd = -1;            /* the child's: a byte to the parent as Wait begins */
static atomic_long last_first_hr, last_seen;

static HRESULT STDMETHODCALLTYPE slow_qi(ISlowCall *This, REFIID riid, void **ppv) {
        if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_ISlowCall)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE slow_ref(ISlowCall *This) {
        return 2;       /* static */
}

static HRESULT STDMETHODCALLTYPE slow_wait(ISlowCall *This, LONG ms, LONG *seen) {
        uint64_t end = now_ms() + (uint64_t)ms;
        HRESULT first = CoTestCancel(), hr = first;

        atomic_store(&last_first_hr, first);
        atomic_store(&last_seen, 0);
        xwrite(entered_fd, "w", 1);
        while (hr != RPC_E_CALL_CANCELED && now_ms() < end) {
                usleep(5000);
                hr = CoTestCancel();
        }
        *seen = hr == RPC_E_CALL_CANCELED;
        atomic_store(&last_seen, *seen);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE slow_last(ISlowCall *This, LONG *first_hr, LONG *seen) {
        *first_hr = (LONG)atomic_load(&last_first_hr);
        *seen = (LONG)atomic_load(&last_seen);
        return S_OK;
}

static const ISlowCallVtbl slow_vtbl = { slow_qi, slow_ref, slow_ref, slow_wait, slow_last };
static ISlowCall slow = { &slow_vtbl };

static void server_main(int in, int out) {
        uint8_t buf[2048];
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        char cmd;

        entered_fd = out;
        register_ps();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        /* unauthenticated callers over TCP too (the machine's default asks for connect) */
        ASSERT_OK(CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_NONE,
                                       RPC_C_IMP_LEVEL_IDENTIFY, NULL, EOAC_NONE, NULL));
        /* outside a call: nothing to test */
        ASSERT_EQ(CoTestCancel(), RPC_E_CALL_COMPLETE);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ISlowCall, (IUnknown *)&slow, MSHCTX_LOCAL, NULL,
                                     MSHLFLAGS_TABLESTRONG));
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        ASSERT_LE(len, sizeof buf);
        memcpy(buf, GlobalLock(h), len);
        xwrite(out, &len, sizeof len);
        xwrite(out, buf, len);
        while (read(in, &cmd, 1) == 1 && cmd != 'q')
                ;
        IStream_Release(stm);
        CoUninitialize();
        _exit(0);
}

static pid_t server_pid;
static int to_server, from_server;
static uint8_t objref[2048];
static uint32_t objref_len;

static void server_start(void) {
        int a[2], b[2];

        rpcss_start();
        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        server_pid = fork();
        ASSERT_GE(server_pid, 0);
        if (server_pid == 0) {
                close(a[1]);
                close(b[0]);
                server_main(a[0], b[1]);
        }
        close(a[0]);
        close(b[1]);
        to_server = a[1];
        from_server = b[0];
        xread(from_server, &objref_len, sizeof objref_len);
        ASSERT_LE(objref_len, sizeof objref);
        xread(from_server, objref, objref_len);
        register_ps();
}

static void server_stop(void) {
        int status;

        xwrite(to_server, "q", 1);
        ASSERT_EQ(waitpid(server_pid, &status, 0), server_pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(to_server);
        close(from_server);
        rpcss_stop();           /* each case starts its own */
}

/* A proxy of the server's object for the calling thread's apartment. */
static ISlowCall *proxy(void) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ISlowCall *p = NULL;
        IStream *stm;

        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, objref, objref_len, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_ISlowCall, (void **)&p));
        IStream_Release(stm);
        return p;
}

/* The server's Wait has begun (within 10 s: a call that failed never gets there). */
static void wait_entered(void) {
        struct pollfd pfd = { .fd = from_server, .events = POLLIN };
        char c;
        ASSERT_EQ(poll(&pfd, 1, 10000), 1);
        xread(from_server, &c, 1);
        ASSERT_EQ(c, 'w');
}

/* --- a caller thread ------------------------------------------------------------------------ */

struct caller {
        DWORD apt;              /* COINIT_* */
        int enable;             /* CoEnableCallCancellation calls first (-1: enable, disable) */
        LONG ms;
        _Atomic DWORD tid;
        HRESULT hr;
        LONG seen;
        uint64_t took_ms;
        pthread_t thread;
};

static void *caller_main(void *arg) {
        struct caller *c = arg;

        ASSERT_OK(CoInitializeEx(NULL, c->apt));
        ISlowCall *p = proxy();
        if (c->enable < 0) {
                ASSERT_OK(CoEnableCallCancellation(NULL));
                ASSERT_OK(CoDisableCallCancellation(NULL));
        }
        for (int i = 0; i < c->enable; i++)
                ASSERT_OK(CoEnableCallCancellation(NULL));
        atomic_store(&c->tid, GetCurrentThreadId());
        uint64_t t0 = now_ms();
        c->seen = -1;
        c->hr = ISlowCall_Wait(p, c->ms, &c->seen);
        c->took_ms = now_ms() - t0;
        ISlowCall_Release(p);
        CoUninitialize();
        return NULL;
}

static void caller_start(struct caller *c, DWORD apt, int enable, LONG ms) {
        c->apt = apt;
        c->enable = enable;
        c->ms = ms;
        atomic_init(&c->tid, 0);
        ASSERT_EQ(pthread_create(&c->thread, NULL, caller_main, c), 0);
        wait_entered();
        ASSERT_NE(atomic_load(&c->tid), 0);
}

static void caller_join(struct caller *c) {
        ASSERT_EQ(pthread_join(c->thread, NULL), 0);
}

/* What the server's last Wait saw. */
static void last_wait(LONG *first_hr, LONG *seen) {
        ISlowCall *p = proxy();
        ASSERT_OK(ISlowCall_LastWait(p, first_hr, seen));
        ISlowCall_Release(p);
}

/* --- the cases -------------------------------------------------------------------------------- */

/* A waiting call cancelled with CoCancelCall(tid, 0): abandoned at once, the server told. */
static void cancel_now(DWORD apt) {
        struct caller c;
        LONG first, seen;

        caller_start(&c, apt, 1, 10000);
        ASSERT_EQ(CoCancelCall(atomic_load(&c.tid), 0), S_OK);
        caller_join(&c);
        ASSERT_EQ(c.hr, RPC_E_CALL_CANCELED);
        ASSERT_LT(c.took_ms, 5000);
        /* the server saw the cancel (its method ends early); the same proxy's OXID works
           again (a new connection) */
        for (int i = 0;; i++) {
                last_wait(&first, &seen);
                if (seen == 1)
                        break;
                ASSERT_LT(i, 400);
                usleep(10000);
        }
        ASSERT_EQ(first, RPC_S_CALLPENDING);
}

TEST(cancel_mta_call_ncalrpc) {
        server_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        cancel_now(COINIT_MULTITHREADED);
        CoUninitialize();
        server_stop();
}

/* Over TCP as another machine calls: NTLM at PKT_PRIVACY (the co_cancel and orphaned
   PDUs carry no verifier, as Windows' do not). */
TEST(cancel_mta_call_tcp_ntlm) {
        if (geteuid() != 0)
                SKIP("the NTLM account store is root's");
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        server_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        com_proxy_set_tcp_only(true);
        com_proxy_set_default_auth(RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, "alice", "",
                                   "Secret-1");
        cancel_now(COINIT_MULTITHREADED);
        com_proxy_set_default_auth(0, 0, NULL, NULL, NULL);
        com_proxy_set_tcp_only(false);
        CoUninitialize();
        server_stop();
}

/* An STA's call is made by a helper thread while the STA pumps: the cancel reaches it. */
TEST(cancel_sta_call) {
        server_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        cancel_now(COINIT_APARTMENTTHREADED);
        CoUninitialize();
        server_stop();
}

/* With time to answer, the server's answer is the call's: it saw the cancel and returned. */
TEST(cancel_with_time_to_answer) {
        struct caller c;

        server_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        caller_start(&c, COINIT_MULTITHREADED, 1, 10000);
        ASSERT_EQ(CoCancelCall(atomic_load(&c.tid), 30), S_OK);
        caller_join(&c);
        ASSERT_EQ(c.hr, S_OK);
        ASSERT_EQ(c.seen, 1);
        ASSERT_LT(c.took_ms, 5000);
        /* INFINITE: as long as the server takes */
        caller_start(&c, COINIT_MULTITHREADED, 1, 10000);
        ASSERT_EQ(CoCancelCall(atomic_load(&c.tid), INFINITE), S_OK);
        caller_join(&c);
        ASSERT_EQ(c.hr, S_OK);
        ASSERT_EQ(c.seen, 1);
        ASSERT_LT(c.took_ms, 5000);
        CoUninitialize();
        server_stop();
}

/* A call cannot be cancelled unless its thread enabled cancellation before it began. */
TEST(not_cancellable) {
        struct caller c;
        LONG first, seen;

        server_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        /* never enabled */
        caller_start(&c, COINIT_MULTITHREADED, 0, 300);
        ASSERT_EQ(CoCancelCall(atomic_load(&c.tid), 0), CO_E_CANCEL_DISABLED);
        caller_join(&c);
        ASSERT_EQ(c.hr, S_OK);
        ASSERT_EQ(c.seen, 0);
        /* enabled, then disabled again before the call */
        caller_start(&c, COINIT_MULTITHREADED, -1, 300);
        ASSERT_EQ(CoCancelCall(atomic_load(&c.tid), 0), CO_E_CANCEL_DISABLED);
        ICancelMethodCalls *cm = NULL;
        ASSERT_EQ(CoGetCancelObject(atomic_load(&c.tid), &IID_ICancelMethodCalls, (void **)&cm),
                  CO_E_CANCEL_DISABLED);
        ASSERT_NULL(cm);
        caller_join(&c);
        ASSERT_EQ(c.hr, S_OK);
        ASSERT_EQ(c.seen, 0);
        last_wait(&first, &seen);
        ASSERT_EQ(first, RPC_S_CALLPENDING);
        ASSERT_EQ(seen, 0);
        CoUninitialize();
        server_stop();
}

/* The call's cancel object: TestCancel before and after, Cancel twice, and after the end. */
TEST(cancel_object) {
        struct caller c;
        ICancelMethodCalls *cm = NULL;
        IUnknown *u = NULL;

        server_start();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        /* a call that ends on its own: its object says so (2 s: time to look while it
           waits, on a loaded machine too) */
        caller_start(&c, COINIT_MULTITHREADED, 1, 2000);
        ASSERT_OK(CoGetCancelObject(atomic_load(&c.tid), &IID_ICancelMethodCalls, (void **)&cm));
        ASSERT_EQ(ICancelMethodCalls_TestCancel(cm), RPC_S_CALLPENDING);
        ASSERT_EQ(CoGetCancelObject(atomic_load(&c.tid), &IID_IStream, (void **)&u), E_NOINTERFACE);
        ASSERT_NULL(u);
        caller_join(&c);
        ASSERT_EQ(c.hr, S_OK);
        ASSERT_EQ(ICancelMethodCalls_TestCancel(cm), RPC_E_CALL_COMPLETE);
        ASSERT_EQ(ICancelMethodCalls_Cancel(cm, 0), RPC_E_CALL_COMPLETE);
        ICancelMethodCalls_Release(cm);

        /* a call cancelled through its object */
        caller_start(&c, COINIT_MULTITHREADED, 2, 10000);
        ASSERT_OK(CoGetCancelObject(atomic_load(&c.tid), &IID_IUnknown, (void **)&u));
        ASSERT_OK(IUnknown_QueryInterface(u, &IID_ICancelMethodCalls, (void **)&cm));
        IUnknown_Release(u);
        ASSERT_EQ(ICancelMethodCalls_Cancel(cm, 0), S_OK);
        ASSERT_EQ(ICancelMethodCalls_TestCancel(cm), RPC_E_CALL_CANCELED);
        ASSERT_EQ(ICancelMethodCalls_Cancel(cm, 0), RPC_E_CALL_CANCELED);
        caller_join(&c);
        ASSERT_EQ(c.hr, RPC_E_CALL_CANCELED);
        ASSERT_EQ(ICancelMethodCalls_TestCancel(cm), RPC_E_CALL_CANCELED);
        ICancelMethodCalls_Release(cm);
        CoUninitialize();
        server_stop();
}

/* The enable count, a thread with no call, CoUninitialize, bad arguments. */
static void *counts_main(void *arg) {
        HRESULT *hr = arg;
        void *p = (void *)1;

        /* this thread has never enabled: nothing to disable, nothing to cancel */
        ASSERT_EQ(CoDisableCallCancellation(NULL), CO_E_CANCEL_DISABLED);
        ASSERT_EQ(CoCancelCall(0, 0), CO_E_CANCEL_DISABLED);
        ASSERT_OK(CoEnableCallCancellation(NULL));
        ASSERT_OK(CoEnableCallCancellation(NULL));
        /* enabled, but no call waiting: no cancel object */
        ASSERT_EQ(CoCancelCall(GetCurrentThreadId(), 0), E_NOINTERFACE);
        ASSERT_EQ(CoGetCancelObject(0, &IID_ICancelMethodCalls, &p), E_NOINTERFACE);
        ASSERT_NULL(p);
        ASSERT_EQ(CoGetCancelObject(0, &IID_ICancelMethodCalls, NULL), E_INVALIDARG);
        ASSERT_OK(CoDisableCallCancellation(NULL));
        ASSERT_OK(CoDisableCallCancellation(NULL));
        ASSERT_EQ(CoDisableCallCancellation(NULL), CO_E_CANCEL_DISABLED);
        /* CoUninitialize's last call turns it off */
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoEnableCallCancellation(NULL));
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED) == S_FALSE ? S_OK : E_FAIL);
        CoUninitialize();
        ASSERT_OK(CoDisableCallCancellation(NULL));     /* still on after the inner one */
        ASSERT_OK(CoEnableCallCancellation(NULL));
        CoUninitialize();
        ASSERT_EQ(CoDisableCallCancellation(NULL), CO_E_CANCEL_DISABLED);
        /* outside a call, CoTestCancel has no call to ask about */
        ASSERT_EQ(CoTestCancel(), RPC_E_CALL_COMPLETE);
        *hr = S_OK;
        return NULL;
}

TEST(enable_counts) {
        HRESULT hr = E_FAIL;
        pthread_t t;

        ASSERT_EQ(pthread_create(&t, NULL, counts_main, &hr), 0);
        ASSERT_EQ(pthread_join(t, NULL), 0);
        ASSERT_OK(hr);
        /* a thread that is gone (or never was) has nothing to cancel */
        ASSERT_EQ(CoCancelCall(0x7ffffff0u, 0), CO_E_CANCEL_DISABLED);
}

/* A thread's own cancel object (CoSetCancelObject) takes CoCancelCall's requests. */
struct custom {
        ICancelMethodCalls ICancelMethodCalls_iface;
        atomic_int refs, cancels;
        ULONG seconds;
};

static struct custom *custom_from(ICancelMethodCalls *iface) {
        return (struct custom *)iface;
}

static HRESULT STDMETHODCALLTYPE custom_qi(ICancelMethodCalls *This, REFIID riid, void **ppv) {
        if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_ICancelMethodCalls)) {
                atomic_fetch_add(&custom_from(This)->refs, 1);
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE custom_addref(ICancelMethodCalls *This) {
        return (ULONG)atomic_fetch_add(&custom_from(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE custom_release(ICancelMethodCalls *This) {
        return (ULONG)atomic_fetch_sub(&custom_from(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE custom_cancel(ICancelMethodCalls *This, ULONG seconds) {
        atomic_fetch_add(&custom_from(This)->cancels, 1);
        custom_from(This)->seconds = seconds;
        return RPC_E_CALL_COMPLETE;
}

static HRESULT STDMETHODCALLTYPE custom_test(ICancelMethodCalls *This) {
        return RPC_S_CALLPENDING;
}

static const ICancelMethodCallsVtbl custom_vtbl = {
        custom_qi, custom_addref, custom_release, custom_cancel, custom_test,
};

static void *custom_main(void *arg) {
        struct custom *cu = arg;

        ASSERT_OK(CoSetCancelObject((IUnknown *)&cu->ICancelMethodCalls_iface));
        ASSERT_EQ(atomic_load(&cu->refs), 2);
        /* no call, and cancellation never enabled: the thread's own object answers */
        ASSERT_EQ(CoCancelCall(GetCurrentThreadId(), 7), RPC_E_CALL_COMPLETE);
        ASSERT_EQ(atomic_load(&cu->cancels), 1);
        ASSERT_EQ(cu->seconds, 7);
        ASSERT_OK(CoSetCancelObject(NULL));
        ASSERT_EQ(atomic_load(&cu->refs), 1);
        ASSERT_EQ(CoCancelCall(GetCurrentThreadId(), 7), CO_E_CANCEL_DISABLED);
        ASSERT_EQ(atomic_load(&cu->cancels), 1);
        /* set and left set: the thread's end lets it go */
        ASSERT_OK(CoSetCancelObject((IUnknown *)&cu->ICancelMethodCalls_iface));
        return NULL;
}

TEST(own_cancel_object) {
        struct custom cu = { .ICancelMethodCalls_iface = { &custom_vtbl } };
        pthread_t t;

        atomic_init(&cu.refs, 1);
        atomic_init(&cu.cancels, 0);
        ASSERT_EQ(pthread_create(&t, NULL, custom_main, &cu), 0);
        ASSERT_EQ(pthread_join(t, NULL), 0);
        ASSERT_EQ(atomic_load(&cu.refs), 1);
}
