/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Samba's rpcecho interface (tests/data/rpcecho/rpcecho.idl) served with the public RPC
 * API and dcomidl's MIDL-shaped server stubs, for smbtorture's rpc.echo suite
 * (tests/interop/test-interop-echo.py): an independent client exercising NDR (unions,
 * enums, conformant arrays and structures, strings, pointer chains, 200 KB arrays in
 * fragments), both data representations, authentication and concurrent calls on one
 * connection.
 *
 *      echo-server [--port N]
 *
 * Listens on 127.0.0.1 (ncacn_ip_tcp, port N or a dynamic one) and on ncalrpc:[echo-PID],
 * prints one line with both, and runs until SIGTERM/SIGINT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* POSIX and glibc beyond C11: signals, setenv */
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rpcecho.h"

#define STATUS_INVALID_LEVEL ((NTSTATUS)0xc0000148)
#define SLEEP_MAX 30            /* seconds: a call may hold a thread no longer */

void *__RPC_USER midl_user_allocate(size_t size) {
        return malloc(size);
}

void __RPC_USER midl_user_free(void *p) {
        free(p);
}

void echo_AddOne(handle_t h, ULONG in_data, ULONG *out_data) {
        (void)h;
        *out_data = in_data + 1;        /* unsigned: 0xffffffff + 1 is 0 */
}

void echo_EchoData(handle_t h, ULONG len, unsigned char in_data[], unsigned char out_data[]) {
        (void)h;
        if (len)
                memcpy(out_data, in_data, len);
}

void echo_SinkData(handle_t h, ULONG len, unsigned char data[]) {
        (void)h, (void)len, (void)data;
}

void echo_SourceData(handle_t h, ULONG len, unsigned char data[]) {
        (void)h;
        for (ULONG i = 0; i < len; i++)
                data[i] = (unsigned char)(i & 0xff);
}

void echo_TestCall(handle_t h, WCHAR *s1, WCHAR **s2) {
        size_t n = 0;

        (void)h;
        while (s1[n])
                n++;
        *s2 = midl_user_allocate((n + 1) * sizeof(WCHAR));
        if (!*s2)
                RpcRaiseException(RPC_S_OUT_OF_MEMORY);
        memcpy(*s2, s1, (n + 1) * sizeof(WCHAR));
}

NTSTATUS echo_TestCall2(handle_t h, unsigned short level, echo_Info *info) {
        (void)h;
        memset(info, 0, sizeof *info);
        switch (level) {
        case 1: info->info1.v = 10; break;
        case 2: info->info2.v = 20; break;
        case 3: info->info3.v = 30; break;
        case 4: info->info4.v = 40; break;
        case 5: info->info5.v1 = 50; info->info5.v2 = 60; break;
        case 6: info->info6.v1 = 70; info->info6.info1.v = 80; break;
        case 7: info->info7.v1 = 80; info->info7.info4.v = 90; break;
        default:
                /* no arm for the level: the stub cannot send the union, so a fault */
                RpcRaiseException(RPC_S_INVALID_TAG);
        }
        return 0;
}

ULONG echo_TestSleep(handle_t h, ULONG seconds) {
        (void)h;
        if (seconds > SLEEP_MAX)
                seconds = SLEEP_MAX;
        struct timespec ts = { .tv_sec = (time_t)seconds };
        while (nanosleep(&ts, &ts) != 0)
                ;
        return seconds;
}

void echo_TestEnum(handle_t h, echo_Enum1 *foo1, echo_Enum2 *foo2, echo_Enum3 *foo3) {
        (void)h, (void)foo1, (void)foo3;
        foo2->e1 = ECHO_ENUM2;
}

/* Samba's doubles the array; a MIDL manager may not grow an [in, out] conformant
   structure (the stub refuses to send past what it allocated), so it is zeroed in place. */
void echo_TestSurrounding(handle_t h, echo_Surrounding *data) {
        (void)h;
        memset(data->surrounding, 0, data->x * sizeof data->surrounding[0]);
}

unsigned short echo_TestDoublePointer(handle_t h, unsigned short ***data) {
        (void)h;
        return data && *data && **data ? ***data : 0;
}

static int fail(const char *what, RPC_STATUS st) {
        fprintf(stderr, "echo-server: %s failed: status %ld\n", what, (long)st);
        return 1;
}

int main(int argc, char **argv) {
        const char *port = NULL;
        char lrpc[32];
        sigset_t sigs;
        RPC_STATUS st;
        int sig;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
                        port = argv[++i];
                } else {
                        fprintf(stderr, "usage: echo-server [--port N]\n");
                        return 2;
                }
        }
        setenv("OPENDCOM_RPC_LISTEN", "127.0.0.1", 1);
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        snprintf(lrpc, sizeof lrpc, "echo-%d", (int)getpid());
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
        st = RpcServerRegisterIf(rpcecho_v1_0_s_ifspec, NULL, NULL);
        if (st != RPC_S_OK)
                return fail("RpcServerRegisterIf", st);

        RPC_BINDING_VECTOR *bindings = NULL;
        char tcp_port[16] = "";
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
        /* in the local endpoint mapper when one runs (smbtorture maps rpcecho through it) */
        st = RpcEpRegisterA(rpcecho_v1_0_s_ifspec, bindings, NULL, (RPC_CSTR) "rpcecho");
        if (st != RPC_S_OK)
                fprintf(stderr, "echo-server: not in the endpoint mapper (status %ld)\n", (long)st);
        RpcBindingVectorFree(&bindings);

        st = RpcServerListen(1, RPC_C_LISTEN_MAX_CALLS_DEFAULT, TRUE);
        if (st != RPC_S_OK)
                return fail("RpcServerListen", st);
        printf("echo-server: pid %d, ncacn_ip_tcp:127.0.0.1[%s] and ncalrpc:[%s]\n", (int)getpid(),
               tcp_port, lrpc);
        fflush(stdout);

        sigwait(&sigs, &sig);
        RpcMgmtStopServerListening(NULL);
        RpcMgmtWaitServerListen();
        RpcServerUnregisterIf(NULL, NULL, TRUE);
        return 0;
}
