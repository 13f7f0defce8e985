/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hello example's server (examples/hello) as users run it, under this build's
 * sanitizers: HelloAdd is defined for every pair of LONGs a client may send.  The
 * review found INT_MAX + 1 overflowing a signed int in the server (undefined behaviour,
 * which UBSan reports); the sum is now checked, and one that does not fit is
 * ERROR_ARITHMETIC_OVERFLOW with sum 0.  The server runs with UBSan halting on the
 * first error, so an overflow left in it ends the process and fails the calls.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dcom/winerror.h>

#include "hello_stub.h"
#include "rpc/rpc-internal.h"
#include "test.h"

static pid_t server_pid;
static FILE *server_out;

static void stop_server(void) {
        if (server_pid > 0) {
                kill(server_pid, SIGTERM);
                waitpid(server_pid, NULL, 0);
                server_pid = 0;
        }
}

/* examples/hello-server on a free loopback port; its first line of output in line. */
static void start_server(char *line, size_t size) {
        const char *bdir = getenv("TEST_BUILD_DIR");
        char exe[512];
        int out[2];

        ASSERT_NOT_NULL(bdir);
        snprintf(exe, sizeof exe, "%s/examples/hello-server", bdir);
        ASSERT_OK(access(exe, X_OK));
        ASSERT_OK(pipe(out));
        server_pid = fork();
        ASSERT_GE(server_pid, 0);
        if (server_pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                close(out[0]);
                close(out[1]);
                /* whatever runs the test: undefined behaviour ends the server */
                setenv("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1", 1);
                execl(exe, "hello-server", "--port", "0", "--listen", "127.0.0.1", (char *)NULL);
                _exit(127);
        }
        atexit(stop_server);
        close(out[1]);
        server_out = fdopen(out[0], "r");
        ASSERT_NOT_NULL(server_out);
        /* "hello-server: pid N, ncacn_ip_tcp:127.0.0.1[PORT] and ncalrpc:[hello-N]"; it
           warns (stderr) that no rpcss runs in this test's OPENDCOM_ROOT */
        ASSERT_NOT_NULL(fgets(line, (int)size, server_out));
}

/* The server's words, between "prefix" and the next "]". */
static void field(const char *line, const char *prefix, char *ret, size_t size) {
        const char *p = strstr(line, prefix), *end;

        if (!p)
                test_fail(__FILE__, __LINE__, "no \"%s\" in \"%s\"", prefix, line);
        p += strlen(prefix);
        end = strchr(p, ']');
        ASSERT_NOT_NULL(end);
        ASSERT_LT((size_t)(end - p), size);
        memcpy(ret, p, (size_t)(end - p));
        ret[end - p] = 0;
}

static const LONG edges[] = {
        INT32_MIN, INT32_MIN + 1, -65536, -2, -1, 0, 1, 2, 65536, INT32_MAX - 1, INT32_MAX,
};

/* HelloAdd(a, b) over b: the sum when it fits in a LONG, ERROR_ARITHMETIC_OVERFLOW else. */
static void check_add(struct rpc_binding *b, LONG x, LONG y) {
        int64_t want = (int64_t)x + y;
        LONG sum = 12345, ret = 12345;

        ASSERT_OK(Hello_HelloAdd((handle_t)b, x, y, &sum, &ret));
        if (want < INT32_MIN || want > INT32_MAX) {
                ASSERT_EQ(ret, ERROR_ARITHMETIC_OVERFLOW);
                ASSERT_EQ(sum, 0);
        } else {
                ASSERT_EQ(ret, 0);
                ASSERT_EQ(sum, want);
        }
}

TEST(add_is_defined_for_every_input) {
        char line[256], port[16], lrpc[64], sb[128];
        struct rpc_binding *tcp, *local;
        char *greeting = NULL;
        LONG sum = 0, ret = 1;
        int status;

        start_server(line, sizeof line);
        field(line, "ncacn_ip_tcp:127.0.0.1[", port, sizeof port);
        field(line, "ncalrpc:[", lrpc, sizeof lrpc);
        snprintf(sb, sizeof sb, "ncacn_ip_tcp:127.0.0.1[%s]", port);
        ASSERT_OK(rpc_binding_from_string(sb, &tcp));
        snprintf(sb, sizeof sb, "ncalrpc:[%s]", lrpc);
        ASSERT_OK(rpc_binding_from_string(sb, &local));
        rpc_binding_set_timeout(tcp, 10000);
        rpc_binding_set_timeout(local, 10000);

        /* the example's own call, and the review's */
        ASSERT_OK(Hello_HelloAdd((handle_t)tcp, 40, 2, &sum, &ret));
        ASSERT_EQ(ret, 0);
        ASSERT_EQ(sum, 42);
        ASSERT_OK(Hello_HelloAdd((handle_t)tcp, INT32_MAX, 1, &sum, &ret));
        ASSERT_EQ(ret, ERROR_ARITHMETIC_OVERFLOW);
        ASSERT_EQ(sum, 0);
        ASSERT_OK(Hello_HelloAdd((handle_t)local, INT32_MIN, -1, &sum, &ret));
        ASSERT_EQ(ret, ERROR_ARITHMETIC_OVERFLOW);
        ASSERT_EQ(sum, 0);
        /* every pair of edge values, both ways round */
        for (size_t i = 0; i < ELEMENTSOF(edges); i++)
                for (size_t j = 0; j < ELEMENTSOF(edges); j++)
                        check_add(i % 2 ? tcp : local, edges[i], edges[j]);

        /* the server is still there, and says so */
        ASSERT_OK(Hello_HelloSay((handle_t)tcp, "test", &greeting, &ret));
        ASSERT_EQ(ret, 0);
        ASSERT_NOT_NULL(greeting);
        ASSERT_TRUE(strncmp(greeting, "Hello, test! (from hello-server ", 32) == 0);
        midl_user_free(greeting);
        rpc_binding_free(tcp);
        rpc_binding_free(local);

        /* and stops cleanly: no sanitizer ended it */
        ASSERT_OK(kill(server_pid, SIGTERM));
        ASSERT_EQ(waitpid(server_pid, &status, 0), server_pid);
        server_pid = 0;
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        ASSERT_NOT_NULL(fgets(line, sizeof line, server_out));
        ASSERT_STR_EQ(line, "hello-server: stopped\n");
        fclose(server_out);
}
