/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The harness's main(): runs every TEST() of the executable in declaration order,
 * printing one line per case.  See test.h.
 */
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#include "test.h"

static struct test_case *cases_head;
static const char *current = "(setup)";

/*
 * Kept in declaration order (file, then line): the order constructors run in is the
 * linker's, and a link-time-optimised build reorders them.
 */
void test_register(struct test_case *tc) {
        struct test_case **p = &cases_head;

        while (*p && (strcmp((*p)->file, tc->file) < 0 ||
                      (strcmp((*p)->file, tc->file) == 0 && (*p)->line < tc->line)))
                p = &(*p)->next;
        tc->next = *p;
        *p = tc;
}

void test_fail(const char *file, int line, const char *fmt, ...) {
        va_list ap;

        fflush(stdout);
        fprintf(stderr, "FAIL %s\n%s:%d: assertion failed: ", current, file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

void test_skip(const char *reason) {
        printf("SKIP %s: %s\n", current, reason);
        fflush(stdout);
        exit(77);
}

void test_dump_mem(const char *label, const void *p, size_t n) {
        const uint8_t *b = p;

        fprintf(stderr, "  %s (%zu bytes):", label, n);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s%02x", i % 16 == 0 ? "\n    " : " ", b[i]);
        fputc('\n', stderr);
}

void test_fail_mem(const char *file, int line, const char *expr_a, const char *expr_b,
                   const void *a, const void *b, size_t n) {
        const uint8_t *x = a, *y = b;
        size_t i = 0;

        while (i < n && x[i] == y[i])
                i++;
        fflush(stdout);
        fprintf(stderr, "FAIL %s\n%s:%d: assertion failed: %s == %s (first difference at byte %zu)\n",
                current, file, line, expr_a, expr_b, i);
        test_dump_mem("left", a, n);
        test_dump_mem("right", b, n);
        exit(1);
}

static char state_dir[64];
static pid_t state_owner;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static void state_cleanup(void) {
        if (state_dir[0] && getpid() == state_owner && !getenv("TEST_KEEP_STATE"))
                nftw(state_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *test_state_dir(void) {
        if (!state_dir[0]) {
                snprintf(state_dir, sizeof state_dir, "/tmp/dcom-test-XXXXXX");
                if (!mkdtemp(state_dir))
                        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
                state_owner = getpid();
                setenv("OPENDCOM_ROOT", state_dir, 1);
                atexit(state_cleanup);
        }
        return state_dir;
}

const char *test_data_dir(void) {
        const char *d = getenv("TEST_DATA_DIR");
        return d ? d : "tests/data";
}

const char *test_build_dir(void) {
        const char *d = getenv("TEST_BUILD_DIR");
        return d ? d : ".";
}

static void on_alarm(int sig) {
        static const char msg[] = "FAIL: test timed out\n";
        (void)sig;
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(1);
}

int main(int argc, char **argv) {
        const char *t = getenv("TEST_TIMEOUT");
        unsigned timeout = t ? (unsigned)strtoul(t, NULL, 10) : 60;
        unsigned count = 0;

        signal(SIGALRM, on_alarm);
        alarm(timeout);
        /* No test may touch the machine's real state: every run gets a private root. */
        test_state_dir();
        setvbuf(stdout, NULL, _IOLBF, 0);

        for (struct test_case *tc = cases_head; tc; tc = tc->next) {
                /* Optional filter: run only the cases named on the command line. */
                if (argc > 1) {
                        bool wanted = false;
                        for (int i = 1; i < argc; i++)
                                wanted |= strcmp(argv[i], tc->name) == 0;
                        if (!wanted)
                                continue;
                }
                current = tc->name;
                tc->fn();
                printf("ok %s\n", tc->name);
                count++;
        }
        current = "(teardown)";
        printf("%u cases ok\n", count);
        return 0;
}
