/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Debug channels: off by default, switched on by DCOM_DEBUG, one formatted line each. */
#include <fcntl.h>
#include <regex.h>
#include <unistd.h>

#include "base/log.h"
#include "test.h"

static LOG_CHANNEL(rpc);
static LOG_CHANNEL(ndr);
static LOG_CHANNEL(com);

static int saved_fd = -1;
static char path[] = "/tmp/dcom-test-log-XXXXXX";

static void capture_begin(void) {
        int fd = mkstemp(path);
        ASSERT_GE(fd, 0);
        saved_fd = dup(STDERR_FILENO);
        ASSERT_GE(saved_fd, 0);
        ASSERT_GE(dup2(fd, STDERR_FILENO), 0);
        close(fd);
}

/* Restores stderr and returns what was written (static buffer). */
static const char *capture_end(void) {
        static char out[8192];
        ssize_t n;
        int fd;

        ASSERT_GE(dup2(saved_fd, STDERR_FILENO), 0);
        close(saved_fd);
        fd = open(path, O_RDONLY);
        ASSERT_GE(fd, 0);
        n = read(fd, out, sizeof out - 1);
        ASSERT_GE(n, 0);
        out[n] = 0;
        close(fd);
        unlink(path);
        memcpy(path + strlen(path) - 6, "XXXXXX", 6);
        return out;
}

static void set_debug(const char *v) {
        if (v)
                setenv("DCOM_DEBUG", v, 1);
        else
                unsetenv("DCOM_DEBUG");
        log_reload();
}

TEST(off_by_default) {
        set_debug(NULL);
        capture_begin();
        log_debug(rpc, "invisible %d", 1);
        log_debug(ndr, "invisible %d", 2);
        ASSERT_STR_EQ(capture_end(), "");
        ASSERT_FALSE(log_enabled(&log_channel_rpc));
}

TEST(named_channels) {
        set_debug("rpc,com");
        capture_begin();
        log_debug(rpc, "bind from %s", "127.0.0.1");
        log_debug(ndr, "not shown");
        log_debug(com, "shown too");
        const char *out = capture_end();
        ASSERT_TRUE(strstr(out, "rpc: test_named_channels: bind from 127.0.0.1\n") != NULL);
        ASSERT_TRUE(strstr(out, "com: test_named_channels: shown too\n") != NULL);
        ASSERT_NULL(strstr(out, "not shown"));
}

TEST(line_format) {
        regex_t re;
        char pid[32];

        set_debug("ndr");
        capture_begin();
        log_debug(ndr, "count %u", 7u);
        const char *out = capture_end();
        /* 2026-11-21T05:30:00.123456Z [tid] ndr: func: msg */
        ASSERT_EQ(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "
                              "\\[[0-9]+\\] ndr: test_line_format: count 7\n$",
                          REG_EXTENDED), 0);
        if (regexec(&re, out, 0, NULL, 0) != 0)
                test_fail(__FILE__, __LINE__, "unexpected line: \"%s\"", out);
        regfree(&re);
        /* The main thread's id is the pid. */
        snprintf(pid, sizeof pid, "[%d]", (int)getpid());
        ASSERT_TRUE(strstr(out, pid) != NULL);
}

TEST(all_and_negation) {
        set_debug("all,-ndr");
        ASSERT_TRUE(log_enabled(&log_channel_rpc));
        ASSERT_TRUE(log_enabled(&log_channel_com));
        ASSERT_FALSE(log_enabled(&log_channel_ndr));
        set_debug(" RPC , ,junk-that-is-far-too-long-to-be-a-channel-name-at-all");
        ASSERT_TRUE(log_enabled(&log_channel_rpc));     /* names are case-insensitive */
        ASSERT_FALSE(log_enabled(&log_channel_com));
        set_debug("");
        ASSERT_FALSE(log_enabled(&log_channel_rpc));
}

TEST(long_messages_truncate_and_preserve_errno) {
        char big[3000];

        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        set_debug("rpc");
        capture_begin();
        errno = EPROTO;
        log_debug(rpc, "%s", big);
        ASSERT_EQ(errno, EPROTO);
        const char *out = capture_end();
        size_t len = strlen(out);
        ASSERT_LT(len, 1025);
        ASSERT_EQ(out[len - 1], '\n');
        set_debug(NULL);
}
