/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cloaking (EOAC_STATIC_CLOAKING, EOAC_DYNAMIC_CLOAKING) over ncalrpc: a middle tier
 * (root) impersonates its caller (daemon, uid 1) and calls a third process, which says
 * whom the kernel named (SO_PEERCRED).  Without cloaking the third sees the middle tier
 * (uid 0) -- even when its first call comes from the impersonating thread; with dynamic cloaking (per proxy or process-wide) the caller while
 * impersonating and the middle tier after it reverts; with static cloaking the identity
 * the proxy blanket was set under, or that of the first call when the capability is the
 * process's, for every later call.
 */
#define COBJMACROS
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "obj_stub.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

#define UID_CALLER 1            /* daemon */

/*
 * geteuid() counted per thread (this definition takes the place of libc's for the whole
 * test, the library linked in included): the proxy's fast path makes none.
 */
static _Thread_local unsigned geteuid_calls;

uid_t geteuid(void) {
        geteuid_calls++;
        return (uid_t)syscall(SYS_geteuid);
}

struct objref_buf {
        uint32_t len;
        uint8_t b[2048];
};

static void send_objref(int fd, IUnknown *obj) {
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IObjTest2, obj, MSHCTX_LOCAL, NULL,
                                     MSHLFLAGS_TABLESTRONG));
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(fd, &len, sizeof len);
        xwrite(fd, GlobalLock(h), len);
        GlobalUnlock(h);
}

static void recv_objref(int fd, struct objref_buf *o) {
        xread(fd, &o->len, sizeof o->len);
        ASSERT_LE(o->len, sizeof o->b);
        xread(fd, o->b, o->len);
}

static IObjTest2 *unmarshal(const struct objref_buf *o) {
        IStream *stm;
        IObjTest2 *p = NULL;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, o->b, o->len, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p));
        IStream_Release(stm);
        return p;
}

/* --- the objects ------------------------------------------------------------------------------ */

static IObjTest2 *third;                /* the middle tier's proxy to the third process */

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_ref(IObjTest2 *This) {
        return 2;
}

/* The third process's Add: the uid the kernel named for this call's connection. */
static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        char who[64];
        unsigned uid;
        com_call_principal(who, sizeof who);
        if (sscanf(who, "uid:%u", &uid) != 1)
                return E_UNEXPECTED;
        *sum = (LONG)uid;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **g) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_get(IObjTest2 *This, LONG *v) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_put(IObjTest2 *This, LONG v) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT seen_by_third(IObjTest2 *p, LONG *y) {
        return IObjTest2_Add(p, 0, 0, y);
}

static HRESULT set_cloaking(IObjTest2 *p, DWORD caps) {
        return CoSetProxyBlanket((IUnknown *)p, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_NONE, NULL,
                                 RPC_C_AUTHN_LEVEL_CONNECT, RPC_C_IMP_LEVEL_IMPERSONATE, NULL,
                                 caps);
}

/*
 * The middle tier's Twice(x): whom the third process sees when it calls
 *   0  impersonating, through the plain proxy (the process's capabilities)
 *   1  impersonating, through a copy with EOAC_DYNAMIC_CLOAKING
 *   2  not impersonating, through that copy
 *   3  through a copy given EOAC_STATIC_CLOAKING while impersonating, called after
 *      reverting
 *   4  not impersonating, through the plain proxy
 */
static IObjTest2 *dyn_copy;

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        HRESULT hr = S_OK;
        IObjTest2 *s = NULL;

        if (x != 2 && x != 4 && FAILED(hr = CoImpersonateClient()))
                return hr;
        if (x == 3) {
                hr = CoCopyProxy((IUnknown *)third, (IUnknown **)&s);
                if (SUCCEEDED(hr))
                        hr = set_cloaking(s, EOAC_STATIC_CLOAKING);
        }
        if (x != 2 && x != 4)
                CoRevertToSelf();
        if (x == 0 || x == 4) {
                if (x == 0 && FAILED(hr = CoImpersonateClient()))
                        return hr;
                hr = seen_by_third(third, y);
                CoRevertToSelf();
        } else if (x == 1 || x == 2) {
                if (x == 1 && FAILED(hr = CoImpersonateClient()))
                        return hr;
                hr = seen_by_third(dyn_copy, y);
                CoRevertToSelf();
        } else if (x == 3 && SUCCEEDED(hr)) {
                hr = seen_by_third(s, y);       /* as the middle tier now: still the caller */
        }
        if (s)
                IObjTest2_Release(s);
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        return o_qi(This, riid, ppv);
}

static const IObjTest2Vtbl obj_vtbl = {
        o_qi, o_ref, o_ref, o_add, o_greet, o_sum, o_get, o_put, o_pair, o_fail, o_twice, o_peer,
};

static IObjTest2 the_obj = { &obj_vtbl };

static void register_ps(void) {
        ASSERT_OK(com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface));
        ASSERT_OK(com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface));
}

/* A server: CoInitializeSecurity with caps and no descriptor (anyone may call), its
   object's OBJREF out; with a third OBJREF given, the middle tier.  Runs until killed. */
static bool mid_over_tcp;               /* the middle tier reaches the third over TCP */
static bool mid_in_sta;                 /* the middle tier's object lives in an STA */

static pid_t server(DWORD caps, const struct objref_buf *to_call, int *ret_from) {
        int p[2];
        ASSERT_OK(pipe(p));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(p[0]);
                register_ps();
                ASSERT_OK(CoInitializeEx(NULL, to_call && mid_in_sta ? COINIT_APARTMENTTHREADED
                                                                     : COINIT_MULTITHREADED));
                ASSERT_HR_EQ(CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_CONNECT,
                                                  RPC_C_IMP_LEVEL_IMPERSONATE, NULL, caps, NULL),
                             S_OK);
                if (to_call) {
                        com_proxy_set_tcp_only(mid_over_tcp);
                        third = unmarshal(to_call);
                        ASSERT_OK(CoCopyProxy((IUnknown *)third, (IUnknown **)&dyn_copy));
                        ASSERT_OK(set_cloaking(dyn_copy, EOAC_DYNAMIC_CLOAKING));
                }
                send_objref(p[1], (IUnknown *)&the_obj);
                if (to_call && mid_in_sta) {
                        /* the STA runs its calls while it waits (on nothing) */
                        HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
                        DWORD idx;
                        for (;;)
                                CoWaitForMultipleHandles(0, INFINITE, 1, &never, &idx);
                }
                for (;;)
                        pause();
        }
        close(p[1]);
        *ret_from = p[0];
        return pid;
}

/* The caller (daemon): Twice(x) for each x, whom the third saw each time. */
static void as_caller(const struct objref_buf *mid, const LONG *xs, unsigned n, HRESULT *hrs,
                      LONG *ys) {
        int res[2];
        ASSERT_OK(pipe(res));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(res[0]);
                if (setgroups(0, NULL) < 0 || setgid(UID_CALLER) < 0 || setuid(UID_CALLER) < 0)
                        _exit(3);
                register_ps();
                ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
                IObjTest2 *p = unmarshal(mid);
                for (unsigned i = 0; i < n; i++) {
                        LONG y = -1;
                        HRESULT hr = IObjTest2_Twice(p, xs[i], &y);
                        xwrite(res[1], &hr, sizeof hr);
                        xwrite(res[1], &y, sizeof y);
                }
                _exit(0);
        }
        close(res[1]);
        for (unsigned i = 0; i < n; i++) {
                xread(res[0], &hrs[i], sizeof hrs[i]);
                xread(res[0], &ys[i], sizeof ys[i]);
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(res[0]);
}

static void stop(pid_t pid, int fd) {
        int status;
        kill(pid, SIGTERM);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(fd);
}

static void run_hr(DWORD mid_caps, const LONG *xs, unsigned n, const LONG *want,
                   HRESULT want_hr) {
        struct objref_buf t, m;
        int tf, mf;
        HRESULT hrs[8];
        LONG ys[8];

        pid_t tp = server(EOAC_NONE, NULL, &tf);
        recv_objref(tf, &t);
        pid_t mp = server(mid_caps, &t, &mf);
        recv_objref(mf, &m);
        as_caller(&m, xs, n, hrs, ys);
        for (unsigned i = 0; i < n; i++) {
                printf("# caps 0x%x, case %d: 0x%08x, the third saw uid %d\n", (unsigned)mid_caps,
                       (int)xs[i], (unsigned)hrs[i], (int)ys[i]);
                ASSERT_HR_EQ(hrs[i], want_hr);
                if (want_hr == S_OK)
                        ASSERT_EQ(ys[i], want[i]);
        }
        stop(mp, mf);
        stop(tp, tf);
}

static void run(DWORD mid_caps, const LONG *xs, unsigned n, const LONG *want) {
        run_hr(mid_caps, xs, n, want, S_OK);
}

static void setup(void) {
        if (geteuid() != 0)
                SKIP("needs root: the middle tier impersonates daemon");
        ASSERT_OK(chmod(test_state_dir(), 0755));
        if (!rpcss_pid)
                rpcss_start();
}

/* Per proxy: none (the first method call is the impersonating thread's), dynamic, static. */
TEST(cloaking_per_proxy) {
        setup();
        static const LONG xs[] = { 0, 1, 2, 0, 3, 4, 1 };
        static const LONG want[] = { 0, UID_CALLER, 0, 0, UID_CALLER, 0, UID_CALLER };
        run(EOAC_NONE, xs, 7, want);
}

/* The middle tier in an STA: its outgoing calls are made by a thread of their own while
   the STA pumps -- born with the call's identity, not the STA's impersonated one. */
TEST(cloaking_from_an_sta) {
        setup();
        static const LONG xs[] = { 0, 1, 2, 3, 0 };
        static const LONG want[] = { 0, UID_CALLER, 0, UID_CALLER, 0 };
        mid_in_sta = true;
        run(EOAC_NONE, xs, 5, want);
        mid_in_sta = false;
}

/* Process-wide dynamic cloaking: the plain proxy follows the thread. */
TEST(cloaking_process_dynamic) {
        setup();
        static const LONG xs[] = { 0, 4, 0 };
        static const LONG want[] = { UID_CALLER, 0, UID_CALLER };
        run(EOAC_DYNAMIC_CLOAKING, xs, 3, want);
}

/* Over TCP the caller's credentials are not the middle tier's to present: a cloaked call
   as the caller is refused (SEC_E_NO_CREDENTIALS) -- it never goes out as the process. */
TEST(cloaking_over_tcp_refused) {
        setup();
        static const LONG xs[] = { 1, 1 };
        static const LONG want[] = { 0, 0 };
        mid_over_tcp = true;
        run_hr(EOAC_NONE, xs, 2, want, SEC_E_NO_CREDENTIALS);
        mid_over_tcp = false;
}

/*
 * The common call -- a thread not impersonating, a proxy with no blanket, a process
 * without cloaking -- asks the kernel nothing about identities: no geteuid() on the
 * calling thread over 200 calls; a copy given dynamic cloaking takes the slow path.
 */
TEST(no_cloaking_no_geteuid) {
        setup();
        struct objref_buf t;
        int tf, res[2];
        unsigned counts[2] = { 99, 0 };

        pid_t tp = server(EOAC_NONE, NULL, &tf);
        recv_objref(tf, &t);
        ASSERT_OK(pipe(res));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                IObjTest2 *p, *copy;
                LONG y = -1;
                close(res[0]);
                register_ps();
                ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
                p = unmarshal(&t);
                ASSERT_OK(seen_by_third(p, &y));        /* the connection opened */
                geteuid_calls = 0;
                for (int i = 0; i < 200; i++)
                        ASSERT_OK(seen_by_third(p, &y));
                counts[0] = geteuid_calls;
                ASSERT_OK(CoCopyProxy((IUnknown *)p, (IUnknown **)&copy));
                ASSERT_OK(set_cloaking(copy, EOAC_DYNAMIC_CLOAKING));
                geteuid_calls = 0;
                ASSERT_OK(seen_by_third(copy, &y));
                counts[1] = geteuid_calls;
                xwrite(res[1], counts, sizeof counts);
                _exit(0);
        }
        close(res[1]);
        xread(res[0], counts, sizeof counts);
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(res[0]);
        printf("# geteuid() on the calling thread: %u in 200 plain calls, %u in a cloaked one\n",
               counts[0], counts[1]);
        ASSERT_EQ(counts[0], 0u);
        ASSERT_GT(counts[1], 0u);
        stop(tp, tf);
}

/* Process-wide static cloaking: the first call's identity (the caller's) for every later
   call, impersonating or not. */
TEST(cloaking_process_static) {
        setup();
        static const LONG xs[] = { 0, 4, 0 };
        static const LONG want[] = { UID_CALLER, UID_CALLER, UID_CALLER };
        run(EOAC_STATIC_CLOAKING, xs, 3, want);
        rpcss_stop();
}
