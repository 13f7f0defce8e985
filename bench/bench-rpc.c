/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC null call -- one [in] long, one [out] long (tests/dcomidl/rpctest.idl's
 * RtNull) -- through the generated client stub, the runtime's client, the server's
 * protocol engine and the generated server stub, over loopback TCP and over ncalrpc
 * (a Unix socket), next to the raw-socket ping-pong floors of the same size measured in
 * the same run.  Then 1, 2, 4 and 8 clients at once, each on its own connection,
 * against as many raw ping-pong clients (a raw echo server with a thread per
 * connection), best of three alternating runs.  Targets (issue 6): <= 1.05x the raw
 * TCP round trip, <= 1.10x the raw Unix one, two-client throughput >= 0.9x raw.  The
 * server runs in a forked child.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "rpc/rpc-internal.h"
#include "rpc/auth/accounts.h"
#include "rpctest_stub.h"

#define MSG 32          /* about a null call's request (28 B) and response (32 B) */

static LONG rt_null(handle_t h, LONG x, LONG *y) {
        *y = x + 1;
        return 0;
}

static LONG rt_echo(handle_t h, ULONG n, const BYTE *data, BYTE *back) {
        memcpy(back, data, n);
        return 0;
}

static LONG rt_owner(handle_t h, int64_t *owner, ULONG *ps) {
        *owner = 0;
        *ps = 0;
        return 0;
}

static const struct RpcTest_v1_1_epv epv = { rt_null, rt_echo, rt_owner };

struct srv_ctx {
        int ready[2], control[2];
        uint16_t port;
        char lrpc[32];
};

/* The child: serve until the parent closes the control pipe. */
static int serve(void *arg) {
        struct srv_ctx *c = arg;
        struct rpc_server *srv = rpc_server_new();
        char byte = 1;

        close(c->ready[0]);
        close(c->control[1]);
        if (!srv || rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &epv) < 0 ||
            rpc_server_listen_tcp(srv, "127.0.0.1", c->port, NULL) < 0 ||
            rpc_server_listen_lrpc(srv, c->lrpc, 0600) < 0)
                return -1;
        if (write(c->ready[1], &byte, 1) != 1)
                return -1;
        while (read(c->control[0], &byte, 1) > 0)
                ;
        rpc_server_free(srv);
        return 0;
}

static int null_call(void *ctx, uint64_t n) {
        struct rpc_binding *b = ctx;
        LONG y, ret;

        for (uint64_t i = 0; i < n; i++) {
                int r = RpcTest_RtNull((handle_t)b, (LONG)i, &y, &ret);
                if (r < 0)
                        return r;
                if (y != (LONG)i + 1)
                        return -EPROTO;
        }
        return 0;
}

/* --- several clients at once ---------------------------------------------------------- */

#define MAX_CLIENTS 8
static const unsigned client_counts[] = { 1, 2, 4, 8 };

struct pair {
        int (*fn)(void *ctx, uint64_t n);
        void *ctx;
        uint64_t n;
        int r;
};

static void *pair_main(void *arg) {
        struct pair *p = arg;
        p->r = p->fn(p->ctx, p->n);
        return NULL;
}

/* ops/s of k threads running fn, n times each, on their own contexts. */
static double k_clients(int (*fn)(void *, uint64_t), void **ctx, unsigned k, uint64_t n) {
        struct pair p[MAX_CLIENTS];
        pthread_t t[MAX_CLIENTS];
        uint64_t t0 = bench_now_ns();

        for (unsigned i = 0; i < k; i++) {
                p[i] = (struct pair){ fn, ctx[i], n, 0 };
                pthread_create(&t[i], NULL, pair_main, &p[i]);
        }
        for (unsigned i = 0; i < k; i++)
                pthread_join(t[i], NULL);
        for (unsigned i = 0; i < k; i++)
                if (p[i].r < 0)
                        return 0;
        return (double)k * (double)n / ((double)(bench_now_ns() - t0) / 1e9);
}

/* A raw echo server for MAX_CLIENTS connections (one thread each), and its clients. */
struct raw_ctx {
        int lfd;
};

static void *echo_main(void *arg) {
        int fd = (int)(intptr_t)arg;
        uint8_t buf[MSG];
        while (bench_read_full(fd, buf, MSG) == 0 && bench_write_full(fd, buf, MSG) == 0)
                ;
        close(fd);
        return NULL;
}

static int raw_serve(void *arg) {
        struct raw_ctx *c = arg;
        pthread_t t[MAX_CLIENTS];
        for (int i = 0; i < MAX_CLIENTS; i++) {
                int fd = accept(c->lfd, NULL, NULL);
                int one = 1;
                if (fd < 0)
                        return -1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                pthread_create(&t[i], NULL, echo_main, (void *)(intptr_t)fd);
        }
        for (int i = 0; i < MAX_CLIENTS; i++)
                pthread_join(t[i], NULL);
        return 0;
}

static int raw_ping(void *ctx, uint64_t n) {
        int fd = (int)(intptr_t)ctx;
        uint8_t buf[MSG] = { 0 };
        for (uint64_t i = 0; i < n; i++) {
                int r = bench_write_full(fd, buf, MSG);
                if (r < 0 || (r = bench_read_full(fd, buf, MSG)) < 0)
                        return r;
        }
        return 0;
}

static int tcp_connect(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        bench_set_io_timeout(fd, BENCH_IO_TIMEOUT_MS);
        return fd;
}

static uint16_t free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
            getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
                return 0;
        close(fd);
        return ntohs(sa.sin_port);
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv, "RPC null call: ncacn_ip_tcp and ncalrpc vs raw sockets");
        struct srv_ctx sc;
        char tcp_floor[BENCH_NAME_MAX], unix_floor[BENCH_NAME_MAX], s[96];
        pid_t pid;
        uint64_t pairs_n = 10000;       /* calls per client; --iterations N: N (the smoke test) */

        for (int i = 1; i + 1 < argc; i++)
                if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--iterations") == 0)
                        pairs_n = strtoull(argv[i + 1], NULL, 10);

        bench_size_name(tcp_floor, "floor-tcp", MSG);
        bench_size_name(unix_floor, "floor-unix", MSG);
        /* kept up: the null calls are measured in turns with them */
        struct bench_floor *ftcp = NULL, *funix = NULL;
        bench_floor_open(b, true, MSG, MSG,
                         "rpc-null-tcp,rpc-null-tcp-ntlm-integrity,rpc-null-tcp-ntlm-privacy",
                         &ftcp);
        bench_floor_open(b, false, MSG, MSG, "rpc-null-lrpc", &funix);

        /* the raw echo server for 1..8 clients, forked before any connection is open (see
           bench_fork); its clients connect once the RPC server is forked too */
        bool clients = bench_enabled(b, "clients") || bench_enabled(b, "two-clients");
        struct raw_ctx rc = { -1 };
        struct sockaddr_in raw_sa = { .sin_family = AF_INET,
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        pid_t raw_pid = -1;
        if (clients) {
                socklen_t sl = sizeof raw_sa;
                rc.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (rc.lfd < 0 || bind(rc.lfd, (struct sockaddr *)&raw_sa, sizeof raw_sa) < 0 ||
                    listen(rc.lfd, MAX_CLIENTS) < 0 ||
                    getsockname(rc.lfd, (struct sockaddr *)&raw_sa, &sl) < 0 ||
                    bench_fork(b, raw_serve, &rc, &raw_pid) < 0)
                        raw_pid = -1;
        }

        /* an NTLM account for the authenticated calls, in a private state directory */
        char root[] = "/tmp/bench-rpc-XXXXXX";
        bool own_root = !getenv("OPENDCOM_ROOT");
        if (own_root && (!mkdtemp(root) || setenv("OPENDCOM_ROOT", root, 1) < 0))
                return 1;
        if (accounts_set_password("bench", "bench-Passw0rd") < 0) {
                fprintf(stderr, "bench-rpc: cannot add the NTLM account\n");
                return 1;
        }

        /* the RPC server in a child */
        memset(&sc, 0, sizeof sc);
        sc.port = free_port();
        snprintf(sc.lrpc, sizeof sc.lrpc, "bench-rpc-%d", (int)getpid());
        if (pipe(sc.ready) < 0 || pipe(sc.control) < 0)
                return 1;
        if (bench_fork(b, serve, &sc, &pid) < 0)
                return 1;
        close(sc.ready[1]);
        close(sc.control[0]);
        char byte;
        if (read(sc.ready[0], &byte, 1) != 1) {
                fprintf(stderr, "bench-rpc: the server did not start\n");
                bench_reap(b, pid);
                return 1;
        }

        struct rpc_binding *tcp = NULL, *lrpc = NULL;
        snprintf(s, sizeof s, "ncacn_ip_tcp:127.0.0.1[%u]", sc.port);
        rpc_binding_from_string(s, &tcp);
        snprintf(s, sizeof s, "ncalrpc:[%s]", sc.lrpc);
        rpc_binding_from_string(s, &lrpc);
        if (!tcp || !lrpc)
                return 1;
        bench_run(b, &(struct bench_spec){ .name = "rpc-null-tcp", .fn = null_call, .ctx = tcp,
                                            .baseline = tcp_floor,
                                            .pair = bench_floor_pair(ftcp) }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "rpc-null-lrpc", .fn = null_call, .ctx = lrpc,
                                            .baseline = unix_floor,
                                            .pair = bench_floor_pair(funix) }, NULL);
        /* NTLM: the whole PDU signed (PKT_INTEGRITY), and the stub sealed (PKT_PRIVACY) */
        static const struct { const char *name; uint8_t level; } sec[] = {
                { "rpc-null-tcp-ntlm-integrity", RPC_AUTHN_LEVEL_PKT_INTEGRITY },
                { "rpc-null-tcp-ntlm-privacy", RPC_AUTHN_LEVEL_PKT_PRIVACY },
        };
        for (size_t i = 0; i < sizeof sec / sizeof sec[0]; i++) {
                struct rpc_binding *a = NULL;
                struct rpc_auth_identity id = { .user = "bench", .password = "bench-Passw0rd" };
                snprintf(s, sizeof s, "ncacn_ip_tcp:127.0.0.1[%u]", sc.port);
                if (rpc_binding_from_string(s, &a) < 0 ||
                    rpc_binding_set_auth(a, sec[i].level, RPC_AUTHN_WINNT, &id) < 0 ||
                    null_call(a, 10) < 0) {
                        fprintf(stderr, "bench-rpc: %s: the authenticated call failed\n", sec[i].name);
                        rpc_binding_free(a);
                        continue;
                }
                bench_run(b, &(struct bench_spec){ .name = sec[i].name, .fn = null_call, .ctx = a,
                                                    .baseline = tcp_floor,
                                                    .pair = bench_floor_pair(ftcp) }, NULL);
                rpc_binding_free(a);
        }
        /*
         * 1..8 clients, each with its own connection (a binding each), against as many
         * raw clients: for each count, raw and RPC one after the other, three times, the
         * best of each -- on a machine shared with other work, a run measured alone
         * swings by 2x either way.
         */
        if (clients && raw_pid > 0) {
                void *bs[MAX_CLIENTS] = { NULL }, *fds[MAX_CLIENTS];
                bool ok = true;
                snprintf(s, sizeof s, "ncacn_ip_tcp:127.0.0.1[%u]", sc.port);
                for (int i = 0; i < MAX_CLIENTS; i++) {
                        struct rpc_binding *cb = NULL;
                        int fd = tcp_connect(ntohs(raw_sa.sin_port));
                        fds[i] = (void *)(intptr_t)fd;
                        ok = ok && fd >= 0 && raw_ping(fds[i], 1000) == 0;
                        ok = ok && rpc_binding_from_string(s, &cb) >= 0 && null_call(cb, 1000) >= 0;
                        bs[i] = cb;
                }
                for (size_t k = 0; ok && k < ELEMENTSOF(client_counts); k++) {
                        double raw = 0, rpc = 0;
                        for (int round = 0; round < 3; round++) {
                                double x = k_clients(raw_ping, fds, client_counts[k], pairs_n);
                                double y = k_clients(null_call, bs, client_counts[k], pairs_n);
                                raw = x > raw ? x : raw;
                                rpc = y > rpc ? y : rpc;
                        }
                        printf("clients-%u: rpc %.0f calls/s, raw %.0f round trips/s: %.2fx raw\n",
                               client_counts[k], rpc, raw, raw > 0 ? rpc / raw : 0);
                }
                for (int i = 0; i < MAX_CLIENTS; i++) {
                        rpc_binding_free(bs[i]);
                        if ((intptr_t)fds[i] >= 0)
                                close((int)(intptr_t)fds[i]);
                }
        }
        if (raw_pid > 0)
                bench_reap(b, raw_pid);
        if (rc.lfd >= 0)
                close(rc.lfd);
        rpc_binding_free(tcp);
        rpc_binding_free(lrpc);
        close(sc.control[1]);   /* the server's signal to stop */
        bench_reap(b, pid);
        /* the floors last, the later first: every child forked after one holds it */
        bench_floor_close(b, funix);
        bench_floor_close(b, ftcp);
        if (own_root) {
                char cmd[64];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
                if (system(cmd) != 0)
                        fprintf(stderr, "bench-rpc: could not remove %s\n", root);
        }
        return bench_finish(b);
}
