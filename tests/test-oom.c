/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ASSERT_OOM_LOOP (test.h): fails the n-th allocation of the base allocator for n = 1, 2,
 * ... until a run allocates no more.  Separate from test.c because it reaches into the
 * static base layer: tests of the public libdcom.so link test.c alone.
 */
#include <stdbool.h>

#include "test.h"
#include "base/alloc.h"

unsigned test_oom_loop_(const char *file, int line, const char *what,
                        int (*fn)(void *ctx), void (*reset)(void *ctx), void *ctx) {
        for (unsigned long n = 1;; n++) {
                int r;

                if (reset)
                        reset(ctx);
                alloc_fail_at(n, false);
                r = fn(ctx);
                bool fired = alloc_fail_fired();
                alloc_fail_at(0, false);

                if (!fired) {
                        if (r < 0)
                                test_fail(file, line, "%s failed (%d) with no allocation failing", what, r);
                        if (reset)
                                reset(ctx);
                        return (unsigned)(n - 1);
                }
                if (r >= 0)
                        test_fail(file, line, "%s returned %d although allocation %lu failed", what, r, n);
                if (n > 1000000)
                        test_fail(file, line, "%s: more than a million allocation points", what);
        }
}

