/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The public RPC API (<rpc.h>) through libdcom.so only, with MIDL-shaped stubs
 * (tests/data/rpcapi/rpcapi.idl), and the statuses Windows gives: a malformed string
 * binding is RPC_S_INVALID_STRING_BINDING when it is parsed; a protocol sequence we do
 * not speak RPC_S_PROTSEQ_NOT_SUPPORTED; a host that does not resolve
 * RPC_S_SERVER_UNAVAILABLE (raised by the call, caught by RpcExcept); an interface the
 * endpoint mapper does not know EPT_S_NOT_REGISTERED at RpcEpResolveBinding; a manager's
 * RpcRaiseException comes back as the client's exception; a security callback's refusal is
 * access denied; RpcMgmtStopServerListening (from a call) makes RpcServerListen return, and
 * calls are refused while the server does not listen; impersonation takes the caller's
 * identity over ncalrpc and is refused without one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rpcapi.h"
#include "rpcapi-unknown.h"
#include "test.h"

void *__RPC_USER midl_user_allocate(size_t size) {
        return malloc(size);
}

void __RPC_USER midl_user_free(void *p) {
        free(p);
}

/* --- the server's manager routines (an explicit EPV: the client stubs have the names) --- */

static LONG srv_echo(handle_t h, LONG v) {
        return v + 1;
}

static void srv_raise(handle_t h, LONG status) {
        RpcRaiseException(status);
}

static LONG srv_impersonate(handle_t h, ULONG *uid) {
        RPC_STATUS st = RpcImpersonateClient(h);

        *uid = (ULONG)geteuid();
        if (st == RPC_S_OK && RpcRevertToSelf() != RPC_S_OK)
                return -1;
        return st;
}

static LONG srv_attributes(handle_t h, char **who, ULONG *protseq) {
        RPC_CALL_ATTRIBUTES_V2_A a;
        unsigned char name[300];

        memset(&a, 0, sizeof a);
        a.Version = 2;
        a.Flags = RPC_QUERY_NO_AUTH_REQUIRED | RPC_QUERY_CLIENT_PRINCIPAL_NAME;
        a.ClientPrincipalName = name;
        a.ClientPrincipalNameBufferLength = sizeof name;
        RPC_STATUS st = RpcServerInqCallAttributesA(h, &a);
        if (st != RPC_S_OK)
                return st;
        *protseq = a.ProtocolSequence;
        *who = midl_user_allocate(strlen((char *)name) + 1);
        if (!*who)
                return ERROR_OUTOFMEMORY;
        strcpy(*who, (char *)name);
        return RPC_S_OK;
}

static void srv_stop(handle_t h) {
        RpcMgmtStopServerListening(NULL);
}

static atomic_int lingering;            /* Linger calls in progress */
static atomic_int linger_entered;       /* Linger calls that reached the manager */
static atomic_int cancels_seen;         /* ... that saw their cancel */
static atomic_bool linger_release;      /* the test is done with them */

static LONG srv_linger(handle_t h, LONG ms, LONG test) {
        LONG r = 0;

        atomic_fetch_add(&linger_entered, 1);
        atomic_fetch_add(&lingering, 1);
        for (LONG waited = 0; waited < ms && !atomic_load(&linger_release); waited += 5) {
                if (test && RpcTestCancel() == RPC_S_OK) {
                        atomic_fetch_add(&cancels_seen, 1);
                        r = 1;
                        break;
                }
                usleep(5000);
        }
        atomic_fetch_sub(&lingering, 1);
        return r;
}

static RpcApiTest_v1_0_epv_t epv = { srv_echo, srv_raise, srv_impersonate, srv_attributes,
                                     srv_stop, srv_linger };

static atomic_int callback_calls;
static atomic_bool callback_refuses;

/* RpcServerRegisterIf2's security callback: Context is the call's binding handle. */
static RPC_STATUS RPC_ENTRY callback(RPC_IF_HANDLE iface, void *ctx) {
        RPC_CALL_ATTRIBUTES_V2_A a;

        atomic_fetch_add(&callback_calls, 1);
        memset(&a, 0, sizeof a);
        a.Version = 2;
        a.Flags = RPC_QUERY_NO_AUTH_REQUIRED;
        if (iface != RpcApiTest_v1_0_s_ifspec || RpcServerInqCallAttributesA(ctx, &a) != RPC_S_OK)
                return ERROR_INVALID_PARAMETER;
        return atomic_load(&callback_refuses) ? ERROR_ACCESS_DENIED : RPC_S_OK;
}

static char tcp_port[16], lrpc_name[64];

/* The process's server: TCP (loopback, a dynamic port) and ncalrpc, listening. */
static void server_up(void) {
        static bool done;

        if (!done) {
                RPC_BINDING_VECTOR *v = NULL;
                test_state_dir();
                setenv("OPENDCOM_RPC_LISTEN", "127.0.0.1", 1);
                snprintf(lrpc_name, sizeof lrpc_name, "rpcapi-%d", (int)getpid());
                ASSERT_EQ(RpcServerUseProtseqA((RPC_CSTR) "ncacn_ip_tcp", 10, NULL), RPC_S_OK);
                ASSERT_EQ(RpcServerUseProtseqEpA((RPC_CSTR) "ncalrpc", 10, (RPC_CSTR)lrpc_name, NULL),
                          RPC_S_OK);
                /* the same endpoint twice */
                ASSERT_EQ(RpcServerUseProtseqEpA((RPC_CSTR) "ncalrpc", 10, (RPC_CSTR)lrpc_name, NULL),
                          RPC_S_DUPLICATE_ENDPOINT);
                ASSERT_EQ(RpcServerRegisterIf(RpcApiTest_v1_0_s_ifspec, NULL, &epv), RPC_S_OK);
                ASSERT_EQ(RpcServerRegisterIf(RpcApiTest_v1_0_s_ifspec, NULL, &epv),
                          RPC_S_ALREADY_REGISTERED);
                /* a client's ifspec serves nothing */
                ASSERT_EQ(RpcServerRegisterIf(RpcApiTest_v1_0_c_ifspec, NULL, &epv), RPC_S_UNKNOWN_IF);
                ASSERT_EQ(RpcServerInqBindings(&v), RPC_S_OK);
                ASSERT_EQ(v->Count, 2);
                for (ULONG i = 0; i < v->Count; i++) {
                        RPC_CSTR s = NULL, ps = NULL, ep = NULL;
                        ASSERT_EQ(RpcBindingToStringBindingA(v->BindingH[i], &s), RPC_S_OK);
                        ASSERT_EQ(RpcStringBindingParseA(s, NULL, &ps, NULL, &ep, NULL), RPC_S_OK);
                        if (strcmp((char *)ps, "ncacn_ip_tcp") == 0)
                                snprintf(tcp_port, sizeof tcp_port, "%s", (char *)ep);
                        else
                                ASSERT_STR_EQ((char *)ep, lrpc_name);
                        RpcStringFreeA(&s);
                        RpcStringFreeA(&ps);
                        RpcStringFreeA(&ep);
                }
                ASSERT_EQ(RpcBindingVectorFree(&v), RPC_S_OK);
                ASSERT_NULL(v);
                ASSERT_GT(atoi(tcp_port), 0);
                done = true;
        }
        if (RpcMgmtIsServerListening(NULL) != RPC_S_OK)
                ASSERT_EQ(RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE), RPC_S_OK);
}

static RPC_BINDING_HANDLE bind_to(const char *protseq) {
        RPC_CSTR s = NULL;
        RPC_BINDING_HANDLE b = NULL;
        bool tcp = strcmp(protseq, "ncacn_ip_tcp") == 0;

        ASSERT_EQ(RpcStringBindingComposeA(NULL, (RPC_CSTR)protseq,
                                           (RPC_CSTR)(tcp ? "127.0.0.1" : NULL),
                                           (RPC_CSTR)(tcp ? tcp_port : lrpc_name), NULL, &s),
                  RPC_S_OK);
        ASSERT_EQ(RpcBindingFromStringBindingA(s, &b), RPC_S_OK);
        RpcStringFreeA(&s);
        return b;
}

/* The call's exception status, or RPC_S_OK. */
static RPC_STATUS echo_status(RPC_BINDING_HANDLE b, LONG v, LONG want) {
        volatile RPC_STATUS st = RPC_S_OK;
        volatile LONG got = 0;

        RpcTryExcept {
                got = Echo(b, v);
        }
        RpcExcept(EXCEPTION_EXECUTE_HANDLER) {
                st = RpcExceptionCode();
        }
        RpcEndExcept;
        if (st == RPC_S_OK)
                ASSERT_EQ(got, want);
        return st;
}

/* Windows' sizes ([MS-RPCE] 2.2.1.1, [MS-DTYP]): long is 32 bits there */
_Static_assert(sizeof(RPC_STATUS) == 4, "RPC_STATUS");
_Static_assert(sizeof(error_status_t) == 4, "error_status_t");
_Static_assert(sizeof(hyper) == 8 && sizeof(MIDL_uhyper) == 8, "hyper");
_Static_assert(sizeof(RPC_IF_ID) == 20, "RPC_IF_ID");

TEST(string_bindings) {
        /* without UNICODE, the unsuffixed names are the A forms */
        ASSERT_TRUE(RpcStringBindingCompose == RpcStringBindingComposeA);
        ASSERT_TRUE(RpcBindingFromStringBinding == RpcBindingFromStringBindingA);
        ASSERT_TRUE(RpcServerUseProtseqEp == RpcServerUseProtseqEpA);

        RPC_CSTR s = NULL, obj = NULL, ps = NULL, addr = NULL, ep = NULL, opt = NULL;
        RPC_BINDING_HANDLE b = (RPC_BINDING_HANDLE)1;

        ASSERT_EQ(RpcStringBindingComposeA((RPC_CSTR) "3f1c6a52-8d47-4e0b-9b6e-52a7c0d4e911",
                                           (RPC_CSTR) "ncacn_ip_tcp", (RPC_CSTR) "host.example",
                                           (RPC_CSTR) "1234", (RPC_CSTR) "opt=1", &s),
                  RPC_S_OK);
        ASSERT_STR_EQ((char *)s, "3f1c6a52-8d47-4e0b-9b6e-52a7c0d4e911@ncacn_ip_tcp:host.example[1234,opt=1]");
        ASSERT_EQ(RpcStringBindingParseA(s, &obj, &ps, &addr, &ep, &opt), RPC_S_OK);
        ASSERT_STR_EQ((char *)obj, "3f1c6a52-8d47-4e0b-9b6e-52a7c0d4e911");
        ASSERT_STR_EQ((char *)ps, "ncacn_ip_tcp");
        ASSERT_STR_EQ((char *)addr, "host.example");
        ASSERT_STR_EQ((char *)ep, "1234");
        ASSERT_STR_EQ((char *)opt, "opt=1");
        RPC_CSTR *all[] = { &s, &obj, &ps, &addr, &ep, &opt };
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
                ASSERT_EQ(RpcStringFreeA(all[i]), RPC_S_OK);
                ASSERT_NULL(*all[i]);
        }
        /* parsing a protocol sequence we do not speak is fine: only its syntax counts */
        ASSERT_EQ(RpcStringBindingParseA((RPC_CSTR) "ncacn_np:srv[\\pipe\\x]", NULL, &ps, NULL, &ep,
                                         NULL),
                  RPC_S_OK);
        ASSERT_STR_EQ((char *)ps, "ncacn_np");
        ASSERT_STR_EQ((char *)ep, "\\pipe\\x");
        RpcStringFreeA(&ps);
        RpcStringFreeA(&ep);

        /* malformed: refused when parsed, not at the first call */
        static const char *const bad[] = {
                "ncacn_ip_tcp",                         /* no ':' */
                "ncacn_ip_tcp:127.0.0.1[135",           /* '[' not closed */
                "ncacn_ip_tcp:127.0.0.1[135]x",         /* text after ']' */
                "not-a-uuid@ncacn_ip_tcp:127.0.0.1",    /* object UUID */
                ":127.0.0.1[135]",                      /* no protocol sequence */
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                ASSERT_EQ(RpcStringBindingParseA((RPC_CSTR)bad[i], NULL, &ps, NULL, NULL, NULL),
                          RPC_S_INVALID_STRING_BINDING);
                ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR)bad[i], &b),
                          RPC_S_INVALID_STRING_BINDING);
        }
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_ip_tcp:127.0.0.1[port]", &b),
                  RPC_S_INVALID_STRING_BINDING);
        ASSERT_EQ(b, (RPC_BINDING_HANDLE)1);            /* untouched on failure */

        /* the W forms: UTF-16 in and out */
        RPC_WSTR w = NULL, wps = NULL;
        ASSERT_EQ(RpcStringBindingComposeW(NULL, (RPC_WSTR)u"ncalrpc", NULL, (RPC_WSTR)u"ep", NULL, &w),
                  RPC_S_OK);
        ASSERT_MEM_EQ(w, u"ncalrpc:[ep]", sizeof u"ncalrpc:[ep]");
        ASSERT_EQ(RpcStringBindingParseW(w, NULL, &wps, NULL, NULL, NULL), RPC_S_OK);
        ASSERT_MEM_EQ(wps, u"ncalrpc", sizeof u"ncalrpc");
        ASSERT_EQ(RpcBindingFromStringBindingW((RPC_WSTR)u"ncalrpc:[ep", &b),
                  RPC_S_INVALID_STRING_BINDING);
        RpcStringFreeW(&w);
        RpcStringFreeW(&wps);

        /* UUIDs */
        UUID u, back;
        RPC_STATUS st;
        ASSERT_EQ(UuidCreate(&u), RPC_S_OK);
        ASSERT_EQ(UuidToStringA(&u, &s), RPC_S_OK);
        ASSERT_EQ(UuidFromStringA(s, &back), RPC_S_OK);
        ASSERT_TRUE(UuidEqual(&u, &back, &st));
        RpcStringFreeA(&s);
        ASSERT_EQ(UuidFromStringA((RPC_CSTR) "3f1c6a52-8d47", &back), RPC_S_INVALID_STRING_UUID);
        ASSERT_EQ(UuidFromStringA(NULL, &back), RPC_S_OK);
        ASSERT_TRUE(UuidIsNil(&back, &st));
}

TEST(protseq_not_supported) {
        RPC_BINDING_HANDLE b = NULL;

        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_np:srv[\\pipe\\hello]", &b),
                  RPC_S_PROTSEQ_NOT_SUPPORTED);
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncadg_ip_udp:127.0.0.1[135]", &b),
                  RPC_S_PROTSEQ_NOT_SUPPORTED);
        ASSERT_NULL(b);
        ASSERT_EQ(RpcServerUseProtseqEpA((RPC_CSTR) "ncacn_np", 10, (RPC_CSTR) "\\pipe\\hello", NULL),
                  RPC_S_PROTSEQ_NOT_SUPPORTED);
        ASSERT_EQ(RpcServerUseProtseqA((RPC_CSTR) "no_such_protseq", 10, NULL),
                  RPC_S_INVALID_RPC_PROTSEQ);
        /* a security descriptor would not be applied: refused, not ignored */
        char sd[20] = { 1 };
        ASSERT_EQ(RpcServerUseProtseqA((RPC_CSTR) "ncalrpc", 10, sd), RPC_S_CANNOT_SUPPORT);
}

TEST(unresolvable_host) {
        RPC_BINDING_HANDLE b = NULL;

        /* nothing is looked up before the first call, as on Windows */
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_ip_tcp:no-such-host.invalid[4321]",
                                               &b),
                  RPC_S_OK);
        ASSERT_EQ(echo_status(b, 1, 2), RPC_S_SERVER_UNAVAILABLE);
        ASSERT_EQ(RpcBindingFree(&b), RPC_S_OK);
        ASSERT_NULL(b);
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_ip_tcp:no-such-host.invalid", &b),
                  RPC_S_OK);
        ASSERT_EQ(RpcEpResolveBinding(b, RpcApiTest_v1_0_c_ifspec), RPC_S_SERVER_UNAVAILABLE);
        RpcBindingFree(&b);
        /* and a call without a binding at all */
        ASSERT_EQ(echo_status(NULL, 1, 2), RPC_S_INVALID_BINDING);
}

static pid_t rpcss_pid;

static void rpcss_stop(void) {
        if (rpcss_pid > 0) {
                kill(rpcss_pid, SIGTERM);
                waitpid(rpcss_pid, NULL, 0);
                rpcss_pid = 0;
        }
}

/* rpcss in the test's state directory on a free port (OPENDCOM_EPM_PORT), answering. */
static void rpcss_start(void) {
        char exe[512], port[16], sb[64];

        test_state_dir();
        ASSERT_OK(setenv("OPENDCOM_RPC_LISTEN", "127.0.0.1", 1));
        snprintf(exe, sizeof exe, "%s/services/rpcss", getenv("TEST_BUILD_DIR"));
        /* a port free now (bound and let go), not one guessed from the pid */
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t salen = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &salen));
        close(fd);
        snprintf(port, sizeof port, "%u", (unsigned)ntohs(sa.sin_port));
        setenv("OPENDCOM_EPM_PORT", port, 1);
        rpcss_pid = fork();
        ASSERT_GE(rpcss_pid, 0);
        if (rpcss_pid == 0) {
                execl(exe, "rpcss", "--port", port, "--listen", "127.0.0.1", "--foreground",
                      (char *)NULL);
                _exit(127);
        }
        atexit(rpcss_stop);
        /* both its endpoints answer the management interface */
        snprintf(sb, sizeof sb, "ncacn_ip_tcp:127.0.0.1[%s]", port);
        const char *const mappers[] = { sb, "ncalrpc:[epmapper]" };
        for (int k = 0; k < 2; k++) {
                RPC_BINDING_HANDLE b = NULL;
                ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR)mappers[k], &b), RPC_S_OK);
                for (int i = 0; RpcMgmtIsServerListening(b) != RPC_S_OK; i++) {
                        ASSERT_LT(i, 500);      /* 5 s */
                        ASSERT_EQ(waitpid(rpcss_pid, NULL, WNOHANG), 0);
                        usleep(10000);
                }
                RpcBindingFree(&b);
        }
}

TEST(endpoint_mapper) {
        RPC_BINDING_HANDLE b = NULL;
        RPC_CSTR s = NULL;

        rpcss_start();
        /* an interface nobody registered: EPT_S_NOT_REGISTERED, from the resolution and
           from a call that needs one */
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_ip_tcp:127.0.0.1", &b), RPC_S_OK);
        ASSERT_EQ(RpcEpResolveBinding(b, RpcApiUnknown_v1_0_c_ifspec), EPT_S_NOT_REGISTERED);
        volatile RPC_STATUS st = RPC_S_OK;
        RpcTryExcept {
                Nothing(b);
        }
        RpcExcept(RpcExceptionCode() == EPT_S_NOT_REGISTERED) {
                st = RpcExceptionCode();
        }
        RpcEndExcept;
        ASSERT_EQ(st, EPT_S_NOT_REGISTERED);
        RpcBindingFree(&b);

        /* ours, registered: found at its port, over TCP and ncalrpc */
        server_up();
        ASSERT_EQ(RpcEpRegisterA(RpcApiTest_v1_0_s_ifspec, NULL, NULL, (RPC_CSTR) "test-rpc-api"),
                  RPC_S_OK);
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_ip_tcp:127.0.0.1", &b), RPC_S_OK);
        ASSERT_EQ(RpcEpResolveBinding(b, RpcApiTest_v1_0_c_ifspec), RPC_S_OK);
        ASSERT_EQ(RpcBindingToStringBindingA(b, &s), RPC_S_OK);
        char want[64];
        snprintf(want, sizeof want, "ncacn_ip_tcp:127.0.0.1[%s]", tcp_port);
        ASSERT_STR_EQ((char *)s, want);
        RpcStringFreeA(&s);
        ASSERT_EQ(echo_status(b, 41, 42), RPC_S_OK);
        RpcBindingFree(&b);
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncalrpc:", &b), RPC_S_OK);
        ASSERT_EQ(echo_status(b, 1, 2), RPC_S_OK);      /* ept_map at the call */
        RpcBindingFree(&b);

        /* unregistered: not found again */
        ASSERT_EQ(RpcEpUnregister(RpcApiTest_v1_0_s_ifspec, NULL, NULL), RPC_S_OK);
        ASSERT_EQ(RpcEpUnregister(RpcApiTest_v1_0_s_ifspec, NULL, NULL), EPT_S_NOT_REGISTERED);
        ASSERT_EQ(RpcBindingFromStringBindingA((RPC_CSTR) "ncacn_ip_tcp:127.0.0.1", &b), RPC_S_OK);
        ASSERT_EQ(RpcEpResolveBinding(b, RpcApiTest_v1_0_c_ifspec), EPT_S_NOT_REGISTERED);
        RpcBindingFree(&b);
        rpcss_stop();
}

TEST(exceptions) {
        server_up();
        RPC_BINDING_HANDLE b = bind_to("ncacn_ip_tcp");
        volatile RPC_STATUS st = RPC_S_OK;
        volatile int inner = 0, outer = 0;

        /* a manager's RpcRaiseException is the client's exception */
        RpcTryExcept {
                Raise(b, ERROR_INVALID_DATA);
                st = 1;
        }
        RpcExcept(EXCEPTION_EXECUTE_HANDLER) {
                st = RpcExceptionCode();
        }
        RpcEndExcept;
        ASSERT_EQ(st, ERROR_INVALID_DATA);

        /* a filter answering EXCEPTION_CONTINUE_SEARCH passes it to the enclosing block */
        RpcTryExcept {
                RpcTryExcept {
                        Raise(b, RPC_S_CALL_FAILED);
                }
                RpcExcept(RpcExceptionCode() == ERROR_INVALID_DATA) {
                        inner = 1;
                }
                RpcEndExcept;
        }
        RpcExcept(EXCEPTION_EXECUTE_HANDLER) {
                outer = (int)RpcExceptionCode();
        }
        RpcEndExcept;
        ASSERT_EQ(inner, 0);
        ASSERT_EQ(outer, RPC_S_CALL_FAILED);

        /* RpcRaiseException in the client itself, and the stack is whole again after */
        RpcTryExcept {
                RpcRaiseException(12345);
        }
        RpcExcept(1) {
                st = RpcExceptionCode();
        }
        RpcEndExcept;
        ASSERT_EQ(st, 12345);
        ASSERT_EQ(echo_status(b, 6, 7), RPC_S_OK);

        /* RpcTryFinally: the finally block runs both ways; an exception goes on after it */
        volatile int finally_ran = 0, abnormal = -1;
        RpcTryFinally {
                st = echo_status(b, 1, 2);
        }
        RpcFinally {
                finally_ran++;
                abnormal = RpcAbnormalTermination();
        }
        RpcEndFinally;
        ASSERT_EQ(finally_ran, 1);
        ASSERT_EQ(abnormal, 0);
        st = RPC_S_OK;
        RpcTryExcept {
                RpcTryFinally {
                        Raise(b, ERROR_INVALID_DATA);
                        finally_ran = 100;      /* not reached */
                }
                RpcFinally {
                        finally_ran++;
                        abnormal = RpcAbnormalTermination();
                        /* an exception handled inside the finally block leaves the first */
                        RpcTryExcept {
                                RpcRaiseException(RPC_S_CALL_FAILED);
                        }
                        RpcExcept(1) {
                        }
                        RpcEndExcept;
                }
                RpcEndFinally;
                st = 1;                         /* not reached: the exception goes on */
        }
        RpcExcept(EXCEPTION_EXECUTE_HANDLER) {
                st = RpcExceptionCode();
        }
        RpcEndExcept;
        ASSERT_EQ(finally_ran, 2);
        ASSERT_EQ(abnormal, 1);
        ASSERT_EQ(st, ERROR_INVALID_DATA);
        ASSERT_EQ(echo_status(b, 6, 7), RPC_S_OK);
        RpcBindingFree(&b);
}

/* --- cancellation -------------------------------------------------------------------------- */

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct canceller {
        RPC_BINDING_HANDLE b;
        LONG ms, test;
        long own_timeout;               /* RpcMgmtSetCancelTimeout first; -2: not set */
        volatile LONG result;
        volatile RPC_STATUS status;
        uint64_t elapsed_ms;
};

static void *linger_thread(void *p) {
        struct canceller *c = p;
        uint64_t t0 = now_ms();

        if (c->own_timeout != -2)
                RpcMgmtSetCancelTimeout(c->own_timeout);
        c->status = RPC_S_OK;
        RpcTryExcept {
                c->result = Linger(c->b, c->ms, c->test);
        }
        RpcExcept(EXCEPTION_EXECUTE_HANDLER) {
                c->status = RpcExceptionCode();
        }
        RpcEndExcept;
        c->elapsed_ms = now_ms() - t0;
        return NULL;
}

/* Starts c's call on a thread, waits until the server runs it, and cancels it. */
static pthread_t start_and_cancel(struct canceller *c, int ex, long timeout) {
        pthread_t t;
        int before = atomic_load(&lingering);

        ASSERT_EQ(pthread_create(&t, NULL, linger_thread, c), 0);
        for (uint64_t until = now_ms() + 5000; atomic_load(&lingering) == before;) {
                ASSERT_LT(now_ms(), until);
                usleep(1000);
        }
        ASSERT_EQ(ex ? RpcCancelThreadEx((void *)(uintptr_t)t, timeout)
                     : RpcCancelThread((void *)(uintptr_t)t),
                  RPC_S_OK);
        return t;
}

TEST(cancel) {
        server_up();
        const char *protseqs[] = { "ncacn_ip_tcp", "ncalrpc" };

        /* outside a call there is nothing to test, and nothing to cancel */
        ASSERT_EQ(RpcTestCancel(), RPC_S_NO_CALL_ACTIVE);
        ASSERT_EQ(RpcCancelThread((void *)(uintptr_t)pthread_self()), RPC_S_OK);
        ASSERT_EQ(RpcCancelThreadEx((void *)(uintptr_t)pthread_self(), -5), RPC_S_INVALID_TIMEOUT);

        for (unsigned i = 0; i < 2; i++) {
                RPC_BINDING_HANDLE b = bind_to(protseqs[i]);
                ASSERT_EQ(echo_status(b, 1, 2), RPC_S_OK);

                /* RpcCancelThread waits for ever: the server sees the cancel (co_cancel)
                   and its answer is the call's */
                int seen = atomic_load(&cancels_seen);
                struct canceller c = { .b = b, .ms = 10000, .test = 1, .own_timeout = -2 };
                pthread_t t = start_and_cancel(&c, 0, 0);
                pthread_join(t, NULL);
                ASSERT_EQ(c.status, RPC_S_OK);
                ASSERT_EQ(c.result, 1);
                ASSERT_EQ(atomic_load(&cancels_seen), seen + 1);
                ASSERT_LT(c.elapsed_ms, 5000);
                ASSERT_EQ(echo_status(b, 3, 4), RPC_S_OK);      /* the connection is fine */

                /* timeout 0: abandoned at once, RPC_S_CALL_CANCELLED; the binding works on */
                struct canceller c0 = { .b = b, .ms = 10000, .test = 0, .own_timeout = -2 };
                t = start_and_cancel(&c0, 1, 0);
                pthread_join(t, NULL);
                ASSERT_EQ(c0.status, RPC_S_CALL_CANCELLED);
                ASSERT_LT(c0.elapsed_ms, 5000);
                ASSERT_EQ(echo_status(b, 5, 6), RPC_S_OK);

                /* the thread's own timeout (RpcMgmtSetCancelTimeout 1 s): a server that
                   does not look is given a second, then the call is abandoned */
                struct canceller c1 = { .b = b, .ms = 10000, .test = 0, .own_timeout = 1 };
                uint64_t t0 = now_ms();
                t = start_and_cancel(&c1, 0, 0);
                uint64_t cancelled_at = now_ms();
                pthread_join(t, NULL);
                ASSERT_EQ(c1.status, RPC_S_CALL_CANCELLED);
                ASSERT_GE(now_ms() - cancelled_at, 900);
                ASSERT_LT(now_ms() - t0, 6000);

                /* RpcCancelThreadEx's timeout, with a server that looks: it answers in time */
                seen = atomic_load(&cancels_seen);
                struct canceller c2 = { .b = b, .ms = 10000, .test = 1, .own_timeout = -2 };
                t = start_and_cancel(&c2, 1, 30);
                pthread_join(t, NULL);
                ASSERT_EQ(c2.status, RPC_S_OK);
                ASSERT_EQ(c2.result, 1);
                ASSERT_EQ(atomic_load(&cancels_seen), seen + 1);

                /* an uncancelled call is not cancelled */
                struct canceller c3 = { .b = b, .ms = 20, .test = 1, .own_timeout = -2 };
                linger_thread(&c3);
                ASSERT_EQ(c3.status, RPC_S_OK);
                ASSERT_EQ(c3.result, 0);
                RpcBindingFree(&b);
        }
        /* the abandoned calls' server routines end now */
        atomic_store(&linger_release, true);
        for (uint64_t until = now_ms() + 5000; atomic_load(&lingering);) {
                ASSERT_LT(now_ms(), until);
                usleep(1000);
        }
        atomic_store(&linger_release, false);
}

/* RpcServerListen's MaxCalls: calls beyond it wait in line for one to leave its manager. */
TEST(max_calls) {
        server_up();
        ASSERT_EQ(RpcMgmtStopServerListening(NULL), RPC_S_OK);
        ASSERT_EQ(RpcMgmtWaitServerListen(), RPC_S_OK);
        ASSERT_EQ(RpcServerListen(3, 2, TRUE), RPC_S_MAX_CALLS_TOO_SMALL);
        ASSERT_EQ(RpcServerListen(1, 2, TRUE), RPC_S_OK);

        enum { N = 5 };
        struct canceller c[N];
        pthread_t t[N];
        for (int i = 0; i < N; i++) {
                c[i] = (struct canceller){ .b = bind_to("ncacn_ip_tcp"), .ms = 20000,
                                           .own_timeout = -2 };
                ASSERT_EQ(pthread_create(&t[i], NULL, linger_thread, &c[i]), 0);
        }
        for (uint64_t until = now_ms() + 5000; atomic_load(&lingering) < 2;) {
                ASSERT_LT(now_ms(), until);
                usleep(1000);
        }
        /* two run, three wait however long we look */
        for (int i = 0; i < 30; i++) {
                ASSERT_EQ(atomic_load(&lingering), 2);
                usleep(10000);
        }
        atomic_store(&linger_release, true);
        for (int i = 0; i < N; i++) {
                pthread_join(t[i], NULL);
                ASSERT_EQ(c[i].status, RPC_S_OK);
                RpcBindingFree(&c[i].b);
        }
        atomic_store(&linger_release, false);

        /* calls waiting in line when the server stops listening do not run after it */
        ASSERT_EQ(RpcMgmtStopServerListening(NULL), RPC_S_OK);
        ASSERT_EQ(RpcMgmtWaitServerListen(), RPC_S_OK);
        ASSERT_EQ(RpcServerListen(1, 1, TRUE), RPC_S_OK);
        int entered = atomic_load(&linger_entered);
        for (int i = 0; i < 3; i++) {
                c[i] = (struct canceller){ .b = bind_to("ncacn_ip_tcp"), .ms = 20000,
                                           .own_timeout = -2 };
                ASSERT_EQ(pthread_create(&t[i], NULL, linger_thread, &c[i]), 0);
        }
        for (uint64_t until = now_ms() + 5000; atomic_load(&lingering) < 1;) {
                ASSERT_LT(now_ms(), until);
                usleep(1000);
        }
        usleep(200000);                 /* the other two reach the line */
        ASSERT_EQ(atomic_load(&lingering), 1);
        ASSERT_EQ(RpcMgmtStopServerListening(NULL), RPC_S_OK);
        atomic_store(&linger_release, true);
        ASSERT_EQ(RpcMgmtWaitServerListen(), RPC_S_OK);
        int ok_calls = 0, refused = 0;
        for (int i = 0; i < 3; i++) {
                pthread_join(t[i], NULL);
                ok_calls += c[i].status == RPC_S_OK;
                refused += c[i].status == RPC_S_SERVER_TOO_BUSY;
                RpcBindingFree(&c[i].b);
        }
        atomic_store(&linger_release, false);
        ASSERT_EQ(ok_calls, 1);
        ASSERT_EQ(refused, 2);
        ASSERT_EQ(atomic_load(&linger_entered), entered + 1);

        /* back to the default: no bound of its own */
        server_up();
}

TEST(call_attributes_and_callback) {
        server_up();
        RPC_BINDING_HANDLE tcp = bind_to("ncacn_ip_tcp"), local = bind_to("ncalrpc");
        char *who = NULL;
        ULONG ps = 0;

        ASSERT_EQ(Attributes(tcp, &who, &ps), RPC_S_OK);
        ASSERT_EQ(ps, RPC_PROTSEQ_TCP);
        ASSERT_STR_EQ(who, "");                 /* unauthenticated */
        midl_user_free(who);
        ASSERT_EQ(Attributes(local, &who, &ps), RPC_S_OK);
        ASSERT_EQ(ps, RPC_PROTSEQ_LRPC);
        midl_user_free(who);

        /* this server's interfaces: ours and the management interface */
        RPC_IF_ID_VECTOR *ids = NULL;
        bool ours = false;
        ASSERT_EQ(RpcMgmtInqIfIds(NULL, &ids), RPC_S_OK);
        for (ULONG i = 0; i < ids->Count; i++) {
                RPC_IF_ID id;
                ASSERT_EQ(RpcIfInqId(RpcApiTest_v1_0_s_ifspec, &id), RPC_S_OK);
                ours |= memcmp(&ids->IfId[i]->Uuid, &id.Uuid, sizeof id.Uuid) == 0;
        }
        ASSERT_TRUE(ours);
        RpcIfIdVectorFree(&ids);
        ASSERT_EQ(RpcMgmtInqIfIds(tcp, &ids), RPC_S_OK);       /* the same, asked remotely */
        ASSERT_GE(ids->Count, 2);
        RpcIfIdVectorFree(&ids);

        /* a security callback: run for every call, its refusal is access denied; without
           RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH an unauthenticated TCP call never reaches it */
        ASSERT_EQ(RpcServerUnregisterIf(RpcApiTest_v1_0_s_ifspec, NULL, TRUE), RPC_S_OK);
        ASSERT_EQ(echo_status(local, 1, 2), RPC_S_UNKNOWN_IF);
        ASSERT_EQ(RpcServerRegisterIf2(RpcApiTest_v1_0_s_ifspec, NULL, &epv, 0, 10, 0, callback),
                  RPC_S_OK);
        local = (RpcBindingFree(&local), bind_to("ncalrpc"));
        tcp = (RpcBindingFree(&tcp), bind_to("ncacn_ip_tcp"));
        ASSERT_EQ(echo_status(local, 1, 2), RPC_S_OK);
        ASSERT_EQ(atomic_load(&callback_calls), 1);
        ASSERT_EQ(echo_status(tcp, 1, 2), ERROR_ACCESS_DENIED);
        ASSERT_EQ(atomic_load(&callback_calls), 1);
        atomic_store(&callback_refuses, true);
        ASSERT_EQ(echo_status(local, 1, 2), ERROR_ACCESS_DENIED);
        ASSERT_EQ(atomic_load(&callback_calls), 2);
        atomic_store(&callback_refuses, false);

        /* RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH, RPC_IF_ALLOW_LOCAL_ONLY */
        ASSERT_EQ(RpcServerUnregisterIf(RpcApiTest_v1_0_s_ifspec, NULL, TRUE), RPC_S_OK);
        ASSERT_EQ(RpcServerRegisterIf2(RpcApiTest_v1_0_s_ifspec, NULL, &epv,
                                       RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH, 10, 0, callback),
                  RPC_S_OK);
        local = (RpcBindingFree(&local), bind_to("ncalrpc"));
        tcp = (RpcBindingFree(&tcp), bind_to("ncacn_ip_tcp"));
        ASSERT_EQ(echo_status(tcp, 1, 2), RPC_S_OK);
        ASSERT_EQ(atomic_load(&callback_calls), 3);
        ASSERT_EQ(RpcServerUnregisterIf(RpcApiTest_v1_0_s_ifspec, NULL, TRUE), RPC_S_OK);
        ASSERT_EQ(RpcServerRegisterIfEx(RpcApiTest_v1_0_s_ifspec, NULL, &epv,
                                        RPC_IF_ALLOW_LOCAL_ONLY, 10, NULL),
                  RPC_S_OK);
        local = (RpcBindingFree(&local), bind_to("ncalrpc"));
        tcp = (RpcBindingFree(&tcp), bind_to("ncacn_ip_tcp"));
        ASSERT_EQ(echo_status(tcp, 1, 2), ERROR_ACCESS_DENIED);
        ASSERT_EQ(echo_status(local, 1, 2), RPC_S_OK);
        /* what is not supported is refused, not ignored */
        UUID type = { 1, 0, 0, { 0 } };
        ASSERT_EQ(RpcServerRegisterIf3(RpcApiUnknown_v1_0_s_ifspec, NULL, NULL, 0, 10, 0, NULL,
                                       &type),
                  RPC_S_CANNOT_SUPPORT);
        ASSERT_EQ(RpcServerRegisterIf(RpcApiUnknown_v1_0_s_ifspec, &type, NULL), RPC_S_CANNOT_SUPPORT);
        ASSERT_EQ(RpcServerRegisterIfEx(RpcApiUnknown_v1_0_s_ifspec, NULL, NULL, RPC_IF_OLE, 10, NULL),
                  RPC_S_CANNOT_SUPPORT);
        ASSERT_EQ(RpcServerUnregisterIf(RpcApiTest_v1_0_s_ifspec, NULL, TRUE), RPC_S_OK);
        ASSERT_EQ(RpcServerRegisterIf(RpcApiTest_v1_0_s_ifspec, NULL, &epv), RPC_S_OK);
        RpcBindingFree(&local);
        RpcBindingFree(&tcp);
}

TEST(impersonation) {
        server_up();
        RPC_BINDING_HANDLE tcp = bind_to("ncacn_ip_tcp"), local = bind_to("ncalrpc");
        ULONG uid = 12345;

        /* an unauthenticated TCP caller has no identity to take: the thread stays the
           server's and says so */
        ASSERT_EQ(Impersonate(tcp, &uid), RPC_S_NO_CONTEXT_AVAILABLE);
        ASSERT_EQ(uid, geteuid());
        /* over ncalrpc the kernel names the caller: ourselves here */
        ASSERT_EQ(Impersonate(local, &uid), RPC_S_OK);
        ASSERT_EQ(uid, geteuid());
        /* outside a call there is nobody to impersonate */
        ASSERT_EQ(RpcImpersonateClient(NULL), RPC_S_NO_CALL_ACTIVE);
        ASSERT_EQ(RpcRevertToSelf(), RPC_S_NO_CALL_ACTIVE);
        RpcBindingFree(&tcp);
        RpcBindingFree(&local);
}

static void *listen_main(void *arg) {
        *(RPC_STATUS *)arg = RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, FALSE);
        return NULL;
}

TEST(listen_and_stop) {
        RPC_STATUS listen_st = -1;
        pthread_t t;

        server_up();
        /* end the listening server_up began */
        ASSERT_EQ(RpcServerListen(1, 10, TRUE), RPC_S_ALREADY_LISTENING);
        ASSERT_EQ(RpcMgmtStopServerListening(NULL), RPC_S_OK);
        ASSERT_EQ(RpcMgmtWaitServerListen(), RPC_S_OK);
        ASSERT_EQ(RpcMgmtIsServerListening(NULL), RPC_S_NOT_LISTENING);
        ASSERT_EQ(RpcMgmtStopServerListening(NULL), RPC_S_NOT_LISTENING);
        ASSERT_EQ(RpcMgmtWaitServerListen(), RPC_S_NOT_LISTENING);

        /* not listening: calls are refused (the client may try again) */
        RPC_BINDING_HANDLE b = bind_to("ncacn_ip_tcp");
        ASSERT_EQ(echo_status(b, 1, 2), RPC_S_SERVER_TOO_BUSY);

        /* RpcServerListen waits; a call stopping it makes it return */
        ASSERT_OK(pthread_create(&t, NULL, listen_main, &listen_st));
        for (int i = 0; RpcMgmtIsServerListening(NULL) != RPC_S_OK; i++) {
                ASSERT_LT(i, 500);
                usleep(10000);
        }
        ASSERT_EQ(echo_status(b, 1, 2), RPC_S_OK);
        volatile RPC_STATUS st = RPC_S_OK;
        RpcTryExcept {
                Stop(b);
        }
        RpcExcept(1) {
                st = RpcExceptionCode();
        }
        RpcEndExcept;
        ASSERT_EQ(st, RPC_S_OK);
        ASSERT_OK(pthread_join(t, NULL));
        ASSERT_EQ(listen_st, RPC_S_OK);
        ASSERT_EQ(RpcMgmtIsServerListening(NULL), RPC_S_NOT_LISTENING);
        ASSERT_EQ(echo_status(b, 1, 2), RPC_S_SERVER_TOO_BUSY);
        /* the management interface may not be told to stop from outside */
        ASSERT_EQ(RpcMgmtStopServerListening(b), ERROR_ACCESS_DENIED);
        RpcBindingFree(&b);
}
