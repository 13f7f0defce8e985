/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An RPC server written as on Windows, built against an installed OpenDCOM with
 * `pkg-config --cflags --libs dcom` and dcomidl's stubs (hello.h, hello_s.c): it serves
 * examples/hello/hello.idl on a TCP port and an ncalrpc endpoint, registers both with the
 * local endpoint mapper (rpcss), and runs until SIGTERM/SIGINT -- its entries vanish from
 * the mapper when it exits.
 *
 *      hello-server [--port N] [--listen ADDR]
 *
 * --listen sets OPENDCOM_RPC_LISTEN, OpenDCOM's way to bind ncacn_ip_tcp to one address
 * (Windows binds every address); the default here is 127.0.0.1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* POSIX and glibc beyond C11: signals, setenv, explicit_bzero */
#endif
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hello.h"

/* Windows' contract: the program provides the allocator of [out] data. */
void *__RPC_USER midl_user_allocate(size_t size) {
        return malloc(size);
}

void __RPC_USER midl_user_free(void *p) {
        free(p);
}

/* The manager routines: RpcServerRegisterIf(..., NULL) serves the functions of these names. */
LONG HelloSay(handle_t h, const char *name, char **greeting) {
        RPC_CALL_ATTRIBUTES_V2_A attrs;
        unsigned char who[600];
        size_t n = strlen(name) + sizeof who + 128;

        memset(&attrs, 0, sizeof attrs);
        attrs.Version = 2;
        attrs.Flags = RPC_QUERY_NO_AUTH_REQUIRED | RPC_QUERY_CLIENT_PRINCIPAL_NAME;
        attrs.ClientPrincipalName = who;
        attrs.ClientPrincipalNameBufferLength = sizeof who;
        if (RpcServerInqCallAttributesA(h, &attrs) != RPC_S_OK)
                return ERROR_ACCESS_DENIED;
        *greeting = midl_user_allocate(n);      /* the stub frees it once sent */
        if (!*greeting)
                return ERROR_OUTOFMEMORY;
        int len = snprintf(*greeting, n, "Hello, %s! (from hello-server %d over %s)", name,
                           (int)getpid(),
                           attrs.ProtocolSequence == RPC_PROTSEQ_TCP ? "ncacn_ip_tcp" : "ncalrpc");
        /* an authenticated caller: who it is, as the security provider vouches */
        if (attrs.AuthenticationService != RPC_C_AUTHN_NONE && len > 0)
                snprintf(*greeting + len, n - (size_t)len, ", to %s (authentication service %u, level %u)",
                         (const char *)who, (unsigned)attrs.AuthenticationService,
                         (unsigned)attrs.AuthenticationLevel);
        return 0;
}

/*
 * a + b for any a and b a client sends.  Signed overflow is undefined behaviour in C (and
 * the server's to avoid: the client chooses the operands), so the sum is checked before
 * it is computed, and one that does not fit in a LONG is an error, not a wrapped value.
 */
LONG HelloAdd(handle_t h, LONG a, LONG b, LONG *sum) {
        if ((b > 0 && a > INT32_MAX - b) || (b < 0 && a < INT32_MIN - b)) {
                *sum = 0;
                return ERROR_ARITHMETIC_OVERFLOW;
        }
        *sum = a + b;
        return 0;
}

static int fail(const char *what, RPC_STATUS st) {
        fprintf(stderr, "hello-server: %s failed: status %ld\n", what, (long)st);
        return 1;
}

int main(int argc, char **argv) {
        const char *addr = "127.0.0.1", *port = NULL;
        RPC_BINDING_VECTOR *bindings = NULL;
        char lrpc[32], tcp_port[16] = "";
        sigset_t sigs;
        RPC_STATUS st;
        int sig;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
                        port = argv[++i];
                } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
                        addr = argv[++i];
                } else {
                        fprintf(stderr, "usage: hello-server [--port N] [--listen ADDR]\n");
                        return 2;
                }
        }
        if (port && strcmp(port, "0") == 0)
                port = NULL;    /* a dynamic port */
        setenv("OPENDCOM_RPC_LISTEN", addr, 1);
        /* before the runtime starts its threads: the signals come to sigwait below */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        snprintf(lrpc, sizeof lrpc, "hello-%d", (int)getpid());
        st = port ? RpcServerUseProtseqEpA((RPC_CSTR) "ncacn_ip_tcp", RPC_C_PROTSEQ_MAX_REQS_DEFAULT,
                                           (RPC_CSTR)port, NULL)
                  : RpcServerUseProtseqA((RPC_CSTR) "ncacn_ip_tcp", RPC_C_PROTSEQ_MAX_REQS_DEFAULT,
                                         NULL);
        if (st != RPC_S_OK)
                return fail("RpcServerUseProtseq(ncacn_ip_tcp)", st);
        st = RpcServerUseProtseqEpA((RPC_CSTR) "ncalrpc", RPC_C_PROTSEQ_MAX_REQS_DEFAULT,
                                    (RPC_CSTR)lrpc, NULL);
        if (st != RPC_S_OK)
                return fail("RpcServerUseProtseqEp(ncalrpc)", st);
        st = RpcServerRegisterIf(Hello_v1_0_s_ifspec, NULL, NULL);
        if (st != RPC_S_OK)
                return fail("RpcServerRegisterIf", st);

        /* the TCP port we got: the endpoint of the ncacn_ip_tcp binding */
        st = RpcServerInqBindings(&bindings);
        if (st != RPC_S_OK)
                return fail("RpcServerInqBindings", st);
        for (ULONG i = 0; i < bindings->Count; i++) {
                RPC_CSTR s = NULL, ps = NULL, ep = NULL;
                if (RpcBindingToStringBindingA(bindings->BindingH[i], &s) == RPC_S_OK &&
                    RpcStringBindingParseA(s, NULL, &ps, NULL, &ep, NULL) == RPC_S_OK &&
                    strcmp((char *)ps, "ncacn_ip_tcp") == 0)
                        snprintf(tcp_port, sizeof tcp_port, "%s", (char *)ep);
                RpcStringFreeA(&s);
                RpcStringFreeA(&ps);
                RpcStringFreeA(&ep);
        }
        st = RpcEpRegisterA(Hello_v1_0_s_ifspec, bindings, NULL,
                            (RPC_CSTR) "OpenDCOM hello example");
        if (st != RPC_S_OK)
                fprintf(stderr, "hello-server: not registered with the endpoint mapper (status "
                                "%ld): is rpcss running?\n", (long)st);
        RpcBindingVectorFree(&bindings);

        st = RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE);
        if (st != RPC_S_OK)
                return fail("RpcServerListen", st);
        printf("hello-server: pid %d, ncacn_ip_tcp:%s[%s] and ncalrpc:[%s]\n", (int)getpid(), addr,
               tcp_port, lrpc);
        fflush(stdout);

        sigwait(&sigs, &sig);
        RpcMgmtStopServerListening(NULL);
        RpcMgmtWaitServerListen();
        RpcServerUnregisterIf(NULL, NULL, TRUE);
        printf("hello-server: stopped\n");
        return 0;
}
