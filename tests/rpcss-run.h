/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real rpcss for a test: in the test's own OPENDCOM_ROOT, on a free loopback port
 * (exported as OPENDCOM_EPM_PORT for the test's clients), stopped by PID at exit.  One
 * copy for every test that runs it (test-com-remote, test-oxid-resolver,
 * test-rpc-epm-local).
 */
#ifndef OPENDCOM_TESTS_RPCSS_RUN_H
#define OPENDCOM_TESTS_RPCSS_RUN_H

#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc/rpc-internal.h"
#include "test.h"

static pid_t rpcss_pid;
static char rpcss_port[16];
static const char *rpcss_user;  /* set by a test (which runs as root): rpcss runs as that user */

static void rpcss_stop(void) {
        if (rpcss_pid > 0) {
                kill(rpcss_pid, SIGTERM);
                waitpid(rpcss_pid, NULL, 0);
                rpcss_pid = 0;
        }
}

/* A free loopback port for rpcss, kept for the process's later starts (restarts). */
static void rpcss_pick_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
        close(fd);
        snprintf(rpcss_port, sizeof rpcss_port, "%u", ntohs(sa.sin_port));
}

/* Starts it (on the port picked, or a new one) and returns when both its ncalrpc
   endpoint and its TCP port answer. */
static void rpcss_start(void) {
        static bool registered;
        const char *bdir = getenv("TEST_BUILD_DIR");
        char exe[512];
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sockaddr_un un = { .sun_family = AF_UNIX };

        ASSERT_NOT_NULL(bdir);
        snprintf(exe, sizeof exe, "%s/services/rpcss", bdir);
        if (!rpcss_port[0])
                rpcss_pick_port();
        sa.sin_port = htons((uint16_t)atoi(rpcss_port));
        setenv("OPENDCOM_EPM_PORT", rpcss_port, 1);

        rpcss_pid = fork();
        ASSERT_GE(rpcss_pid, 0);
        if (rpcss_pid == 0) {
                if (rpcss_user) {
                        struct passwd *pw = getpwnam(rpcss_user);
                        if (!pw || setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                                _exit(126);
                }
                execl(exe, "rpcss", "--port", rpcss_port, "--listen", "127.0.0.1", "--foreground",
                      (char *)NULL);
                _exit(127);
        }
        if (!registered)
                registered = atexit(rpcss_stop) == 0;
        ASSERT_OK(rpc_lrpc_path("epmapper", un.sun_path, sizeof un.sun_path));
        for (int i = 0;; i++) {
                int u = socket(AF_UNIX, SOCK_STREAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
                bool up = connect(u, (struct sockaddr *)&un, sizeof un) == 0 &&
                          connect(t, (struct sockaddr *)&sa, sizeof sa) == 0;
                close(u);
                close(t);
                if (up)
                        break;
                ASSERT_LT(i, 500);              /* 5 s */
                ASSERT_EQ(waitpid(rpcss_pid, NULL, WNOHANG), 0);
                usleep(10000);
        }
}

#endif /* OPENDCOM_TESTS_RPCSS_RUN_H */
