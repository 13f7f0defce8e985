/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test's pipe to a process it forked (its server or its client): whole writes and
 * whole reads -- a pipe may hand a read less than asked -- or the test fails.  One copy
 * for every test that talks to a forked peer.
 */
#ifndef OPENDCOM_TESTS_TEST_PIPE_H
#define OPENDCOM_TESTS_TEST_PIPE_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "test.h"

static inline void xwrite(int fd, const void *p, size_t n) {
        ASSERT_EQ(write(fd, p, n), (ssize_t)n);
}

static inline void xread(int fd, void *p, size_t n) {
        size_t got = 0;

        while (got < n) {
                ssize_t k = read(fd, (uint8_t *)p + got, n - got);
                ASSERT_GT(k, 0);
                got += (size_t)k;
        }
}

#endif /* OPENDCOM_TESTS_TEST_PIPE_H */
