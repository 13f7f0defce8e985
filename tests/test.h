/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test harness.  Each tests/test-*.c is one executable made of TEST() cases that
 * run in order; the first failed assertion prints where, what, and both operands,
 * then exits 1.  SKIP() exits 77 (Meson's "skipped") with the reason.  Every run is
 * bounded by an alarm (TEST_TIMEOUT seconds, default 60) besides Meson's own timeout.
 */
#ifndef DCOM_TEST_H
#define DCOM_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
        const char *name;
        void (*fn)(void);
        const char *file;
        int line;
        struct test_case *next;
};

void test_register(struct test_case *tc);
_Noreturn void test_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
_Noreturn void test_skip(const char *reason);
void test_dump_mem(const char *label, const void *p, size_t n);
_Noreturn void test_fail_mem(const char *file, int line, const char *expr_a, const char *expr_b,
                             const void *a, const void *b, size_t n);

#define TEST(name)                                                                      \
        static void test_##name(void);                                                  \
        static struct test_case test_case_##name = {                                    \
                #name, test_##name, __FILE__, __LINE__, NULL                            \
        };                                                                              \
        __attribute__((constructor)) static void test_register_##name(void) {          \
                test_register(&test_case_##name);                                       \
        }                                                                               \
        static void test_##name(void)

#define SKIP(reason) test_skip(reason)

/* Integer comparisons: both operands as int64_t, printed in decimal and hex. */
#define ASSERT_CMP_(a, op, b)                                                           \
        do {                                                                            \
                int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                           \
                if (!(a_ op b_))                                                        \
                        test_fail(__FILE__, __LINE__,                                   \
                                  "%s %s %s\n  left:  %" PRId64 " (0x%" PRIx64 ")\n"    \
                                  "  right: %" PRId64 " (0x%" PRIx64 ")",               \
                                  #a, #op, #b, a_, (uint64_t)a_, b_, (uint64_t)b_);     \
        } while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b)

/* HRESULTs and other 32-bit codes compared as uint32_t, printed in hex. */
#define ASSERT_HR_EQ(a, b)                                                              \
        do {                                                                            \
                uint32_t a_ = (uint32_t)(a), b_ = (uint32_t)(b);                        \
                if (a_ != b_)                                                           \
                        test_fail(__FILE__, __LINE__,                                   \
                                  "%s == %s\n  left:  0x%08" PRIX32 "\n  right: 0x%08" PRIX32, \
                                  #a, #b, a_, b_);                                      \
        } while (0)

#define ASSERT_TRUE(x)                                                                  \
        do {                                                                            \
                if (!(x))                                                               \
                        test_fail(__FILE__, __LINE__, "%s is false", #x);               \
        } while (0)
#define ASSERT_FALSE(x)                                                                 \
        do {                                                                            \
                if (x)                                                                  \
                        test_fail(__FILE__, __LINE__, "%s is true", #x);                \
        } while (0)

#define ASSERT_NULL(p)                                                                  \
        do {                                                                            \
                const void *p_ = (p);                                                   \
                if (p_)                                                                 \
                        test_fail(__FILE__, __LINE__, "%s is %p, expected NULL", #p, p_); \
        } while (0)
#define ASSERT_NOT_NULL(p)                                                              \
        do {                                                                            \
                if (!(p))                                                               \
                        test_fail(__FILE__, __LINE__, "%s is NULL", #p);                \
        } while (0)

#define ASSERT_STR_EQ(a, b)                                                             \
        do {                                                                            \
                const char *a_ = (a), *b_ = (b);                                        \
                if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
                        test_fail(__FILE__, __LINE__,                                   \
                                  "%s == %s\n  left:  \"%s\"\n  right: \"%s\"",         \
                                  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
        } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                          \
        do {                                                                            \
                size_t n_ = (n);                                                        \
                if (memcmp((a), (b), n_) != 0)                                          \
                        test_fail_mem(__FILE__, __LINE__, #a, #b, (a), (b), n_);        \
        } while (0)

/* r >= 0 (our internal convention), else prints the negative errno by name. */
#define ASSERT_OK(r)                                                                    \
        do {                                                                            \
                int64_t r_ = (int64_t)(r);                                              \
                if (r_ < 0)                                                             \
                        test_fail(__FILE__, __LINE__, "%s failed: %" PRId64 " (%s)",    \
                                  #r, r_, strerror((int)-r_));                          \
        } while (0)

/* r is exactly -err. */
#define ASSERT_ERRNO(r, err)                                                            \
        do {                                                                            \
                int64_t r_ = (int64_t)(r), e_ = (int64_t)(err);                         \
                if (r_ != e_)                                                           \
                        test_fail(__FILE__, __LINE__,                                   \
                                  "%s == %s\n  left:  %" PRId64 " (%s)\n  right: %" PRId64 " (%s)", \
                                  #r, #err, r_, r_ < 0 ? strerror((int)-r_) : "success", \
                                  e_, e_ < 0 ? strerror((int)-e_) : "success");         \
        } while (0)

/*
 * Out-of-memory loop (SQLite's malloc tests): runs fn(ctx) with allocation N failing,
 * for N = 1, 2, ... until a run makes fewer than N allocations.  Each failing run must
 * return a negative errno (and, under ASan, leak nothing); the final run must succeed.
 * Between runs, reset(ctx) (may be NULL) restores the starting state.  Returns the
 * number of allocation points exercised.
 */
unsigned test_oom_loop_(const char *file, int line, const char *what,
                        int (*fn)(void *ctx), void (*reset)(void *ctx), void *ctx);
#define ASSERT_OOM_LOOP(fn, reset, ctx) test_oom_loop_(__FILE__, __LINE__, #fn, fn, reset, ctx)

/*
 * A fresh private state directory for this test process: created on first call,
 * exported as OPENDCOM_ROOT (so every library call and child process uses it) and
 * removed at exit by the process that created it.
 */
const char *test_state_dir(void);

/* Directory of test data (tests/data) and the build dir, from Meson's environment. */
const char *test_data_dir(void);
const char *test_build_dir(void);

#endif /* DCOM_TEST_H */
