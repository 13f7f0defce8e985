/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The allocator hook fails exactly the Nth allocation, once or from then on. */
#include "base/alloc.h"
#include "test.h"

TEST(fail_nth_once) {
        void *p[5];

        alloc_fail_at(3, false);
        for (int i = 0; i < 5; i++)
                p[i] = dcom_malloc(8);
        ASSERT_TRUE(alloc_fail_fired());
        alloc_fail_at(0, false);
        ASSERT_NOT_NULL(p[0]);
        ASSERT_NOT_NULL(p[1]);
        ASSERT_NULL(p[2]);
        ASSERT_NOT_NULL(p[3]);
        ASSERT_NOT_NULL(p[4]);
        for (int i = 0; i < 5; i++)
                dcom_free(p[i]);
}

TEST(fail_sticky) {
        void *a, *b, *c;

        alloc_fail_at(2, true);
        a = dcom_malloc(1);
        b = dcom_calloc(1, 1);
        c = dcom_strdup("x");
        alloc_fail_at(0, false);
        ASSERT_NOT_NULL(a);
        ASSERT_NULL(b);
        ASSERT_NULL(c);
        dcom_free(a);
}

TEST(off_by_default) {
        alloc_fail_at(0, false);
        void *p = dcom_malloc(1);
        ASSERT_NOT_NULL(p);
        ASSERT_FALSE(alloc_fail_fired());
        dcom_free(p);
}

TEST(reallocarray_overflow) {
        ASSERT_NULL(dcom_reallocarray(NULL, SIZE_MAX / 2, 4));
        void *p = dcom_reallocarray(NULL, 4, 4);
        ASSERT_NOT_NULL(p);
        dcom_free(p);
}

TEST(memdup) {
        char *s = dcom_strdup("hello");
        ASSERT_STR_EQ(s, "hello");
        dcom_free(s);
}
