/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real rpcss for a test: in the test's own OPENDCOM_ROOT, on a free loopback port
 * (exported as OPENDCOM_EPM_PORT for the test's clients), stopped by PID at exit.
 */
#ifndef OPENDCOM_TESTS_RPCSS_RUN_H
#define OPENDCOM_TESTS_RPCSS_RUN_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
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

static void rpcss_stop(void) {
        if (rpcss_pid > 0) {
                kill(rpcss_pid, SIGTERM);
                waitpid(rpcss_pid, NULL, 0);
                rpcss_pid = 0;
        }
}

/* Starts it and returns when ncalrpc:[epmapper] answers. */
static void rpcss_start(void) {
        const char *bdir = getenv("TEST_BUILD_DIR");
        char exe[512];
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int fd;

        ASSERT_NOT_NULL(bdir);
        snprintf(exe, sizeof exe, "%s/services/rpcss", bdir);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
        close(fd);
        snprintf(rpcss_port, sizeof rpcss_port, "%u", ntohs(sa.sin_port));
        setenv("OPENDCOM_EPM_PORT", rpcss_port, 1);

        rpcss_pid = fork();
        ASSERT_GE(rpcss_pid, 0);
        if (rpcss_pid == 0) {
                execl(exe, "rpcss", "--port", rpcss_port, "--listen", "127.0.0.1", "--foreground",
                      (char *)NULL);
                _exit(127);
        }
        atexit(rpcss_stop);
        ASSERT_OK(rpc_lrpc_path("epmapper", un.sun_path, sizeof un.sun_path));
        for (int i = 0;; i++) {
                fd = socket(AF_UNIX, SOCK_STREAM, 0);
                if (connect(fd, (struct sockaddr *)&un, sizeof un) == 0) {
                        close(fd);
                        break;
                }
                close(fd);
                ASSERT_LT(i, 500);              /* 5 s */
                ASSERT_EQ(waitpid(rpcss_pid, NULL, WNOHANG), 0);
                usleep(10000);
        }
}

#endif /* OPENDCOM_TESTS_RPCSS_RUN_H */
