/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An RPC server on the OpenDCOM runtime: it serves examples/hello/hello.idl on a TCP
 * port and an ncalrpc socket, registers both with the local endpoint mapper (rpcss),
 * and runs until SIGTERM/SIGINT -- its entries vanish from the mapper when it exits.
 *
 *      hello-server [--port N] [--listen ADDR]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dcom/winerror.h>

#include "hello_stub.h"
#include "rpc/rpc-internal.h"

static LONG say(handle_t h, const char *name, char **greeting) {
        size_t n = strlen(name) + 64;

        *greeting = midl_user_allocate(n);      /* the call's memory: no free needed */
        if (!*greeting)
                return ERROR_OUTOFMEMORY;
        snprintf(*greeting, n, "Hello, %s! (from hello-server %d over %s)", name, (int)getpid(),
                 rpc_call_protseq(h) == RPC_PROTSEQ_TCP ? "ncacn_ip_tcp" : "ncalrpc");
        /* an authenticated caller: who it is, as the security provider vouches */
        struct rpc_identity id;
        if (rpc_call_identity(h, &id) >= 0) {
                char *more = midl_user_allocate(n + 600);
                if (!more)
                        return ERROR_OUTOFMEMORY;
                snprintf(more, n + 600, "%s, to %s\\%s (%s)", *greeting, id.domain, id.user, id.sid);
                *greeting = more;
        }
        return 0;
}

/*
 * a + b for any a and b a client sends.  Signed overflow is undefined behaviour in C (and
 * the server's to avoid: the client chooses the operands), so the sum is checked before
 * it is computed, and one that does not fit in a LONG is an error, not a wrapped value.
 */
static LONG add(handle_t h, LONG a, LONG b, LONG *sum) {
        if ((b > 0 && a > INT32_MAX - b) || (b < 0 && a < INT32_MIN - b)) {
                *sum = 0;
                return ERROR_ARITHMETIC_OVERFLOW;
        }
        *sum = a + b;
        return 0;
}

static const struct Hello_v1_0_epv hello_epv = { say, add };

/* Security refusals (a wrong password, a bad signature...): one line each, who and why. */
static void audit(const char *line) {
        fprintf(stderr, "hello-server: %s\n", line);
}

int main(int argc, char **argv) {
        const char *addr = "127.0.0.1";
        unsigned port = 0;
        uint16_t bound;
        char lrpc[32];
        sigset_t sigs;
        int sig, r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
                        port = (unsigned)atoi(argv[++i]);
                else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
                        addr = argv[++i];
                else {
                        fprintf(stderr, "usage: hello-server [--port N] [--listen ADDR]\n");
                        return 2;
                }
        }
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        rpc_set_audit_hook(audit);
        struct rpc_server *srv = rpc_server_new();
        if (!srv)
                return 1;
        snprintf(lrpc, sizeof lrpc, "hello-%d", (int)getpid());
        if ((r = rpc_server_register_if(srv, &Hello_v1_0_s_interface, &hello_epv)) < 0 ||
            (r = rpc_server_listen_tcp(srv, addr, (uint16_t)port, &bound)) < 0 ||
            (r = rpc_server_listen_lrpc(srv, lrpc, 0666)) < 0) {
                fprintf(stderr, "hello-server: %s\n", strerror(-r));
                rpc_server_free(srv);
                return 1;
        }
        r = rpc_server_register_ep(srv, &Hello_v1_0_s_interface, "OpenDCOM hello example");
        if (r < 0)
                fprintf(stderr, "hello-server: not registered with the endpoint mapper (%s): "
                        "is rpcss running?\n", strerror(-r));
        printf("hello-server: pid %d, ncacn_ip_tcp:%s[%u] and ncalrpc:[%s]\n", (int)getpid(), addr,
               bound, lrpc);
        fflush(stdout);
        sigwait(&sigs, &sig);
        rpc_server_free(srv);
        printf("hello-server: stopped\n");
        return 0;
}
