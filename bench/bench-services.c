/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss and dcomlaunch for the COM benchmarks, in a private OPENDCOM_ROOT (see
 * bench-services.h).
 */
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-services.h"
#include "launch-client.h"
#include "rpc/rpc-internal.h"

int bench_root_new(const char *name, char *root, size_t size) {
        snprintf(root, size, "/tmp/%s-XXXXXX", name);
        if (!mkdtemp(root) || setenv("OPENDCOM_ROOT", root, 1) < 0) {
                int r = -errno;
                fprintf(stderr, "%s: the state directory: %s\n", name, strerror(errno));
                return r;
        }
        return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(p);
}

void bench_root_remove(const char *root) {
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int bench_build_path(const char *rel, char *buf, size_t size) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

        if (n < 0)
                return -errno;
        exe[n] = 0;
        snprintf(buf, size, "%s/../%s", dirname(exe), rel);
        if (access(buf, X_OK) < 0) {
                int r = -errno;
                fprintf(stderr, "bench: %s: %s (build it first)\n", buf, strerror(errno));
                return r;
        }
        return 0;
}

struct service {
        char exe[PATH_MAX + 32];
        char port[16];                  /* rpcss's; "" for dcomlaunch */
};

static int service_exec(void *arg) {
        struct service *c = arg;

        /* its notices are not the benchmark's output; errors still go to stderr */
        if (!freopen("/dev/null", "w", stdout))
                return -errno;
        if (c->port[0])
                execl(c->exe, "rpcss", "--port", c->port, "--listen", "127.0.0.1", "--foreground",
                      (char *)NULL);
        else
                execl(c->exe, "dcomlaunch", "--foreground", (char *)NULL);
        return -errno;
}

static uint16_t free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        uint16_t port = 0;

        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
                port = ntohs(sa.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

/* Forks the service and waits (5 s at most) until its Unix socket path answers. */
static int service_start(struct bench *b, struct service *c, const char *path, pid_t *ret_pid) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int r;

        snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
        r = bench_fork(b, service_exec, c, ret_pid);
        if (r < 0)
                return r;
        for (int i = 0; i < 500; i++) {
                siginfo_t si = { .si_pid = 0 };
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un) == 0) {
                        close(fd);
                        return 0;
                }
                if (fd >= 0)
                        close(fd);
                /* exited (not reaped: bench_reap does that) */
                if (waitid(P_PID, (id_t)*ret_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                    si.si_pid)
                        break;
                usleep(10000);
        }
        fprintf(stderr, "bench: %s did not start\n", c->exe);
        bench_reap(b, *ret_pid);
        *ret_pid = -1;
        return -ECONNREFUSED;
}

int bench_rpcss_start(struct bench *b, pid_t *ret_pid) {
        struct service c = { .port = "" };
        char path[108];
        uint16_t port = free_port();
        int r;

        if (!port)
                return -EADDRNOTAVAIL;
        if ((r = bench_build_path("services/rpcss", c.exe, sizeof c.exe)) < 0)
                return r;
        snprintf(c.port, sizeof c.port, "%u", port);
        setenv("OPENDCOM_EPM_PORT", c.port, 1);
        if ((r = rpc_lrpc_path("epmapper", path, sizeof path)) < 0)
                return r;
        return service_start(b, &c, path, ret_pid);
}

int bench_dcomlaunch_start(struct bench *b, pid_t *ret_pid) {
        struct service c = { .port = "" };
        char path[108];
        int r;

        if ((r = bench_build_path("services/dcomlaunch", c.exe, sizeof c.exe)) < 0)
                return r;
        if ((r = launch_socket_path(path, sizeof path)) < 0)
                return r;
        return service_start(b, &c, path, ret_pid);
}

int bench_service_stop(struct bench *b, pid_t pid) {
        if (pid <= 0)
                return 0;
        kill(pid, SIGTERM);
        return bench_reap(b, pid);
}
