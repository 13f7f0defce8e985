/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-call arena: alignment, growth, the cap, deferred destructors, OOM paths. */
#include "base/alloc.h"
#include "base/arena.h"
#include "test.h"

TEST(alignment_and_growth) {
        struct arena a;
        uint8_t *prev = NULL;

        arena_init(&a, 0);
        for (size_t i = 1; i < 3000; i += 7) {
                uint8_t *p = arena_alloc(&a, i);
                ASSERT_NOT_NULL(p);
                ASSERT_EQ((uintptr_t)p % ARENA_ALIGN, 0);
                memset(p, 0xAB, i);     /* ASan: the whole block is ours */
                ASSERT_TRUE(p != prev);
                prev = p;
        }
        /* Big blocks get their own chunks and stay usable. */
        uint8_t *big = arena_alloc(&a, 1 << 20);
        ASSERT_NOT_NULL(big);
        memset(big, 1, 1 << 20);
        uint8_t *small = arena_alloc(&a, 16);
        ASSERT_NOT_NULL(small);
        arena_reset(&a);
        ASSERT_EQ(a.used, 0);
        ASSERT_NOT_NULL(arena_alloc(&a, 10));   /* reusable after reset */
        arena_done(&a);
}

TEST(zero_and_arrays) {
        struct arena a;

        arena_init(&a, 0);
        uint32_t *z = arena_zalloc(&a, 64 * sizeof(uint32_t));
        ASSERT_NOT_NULL(z);
        for (int i = 0; i < 64; i++)
                ASSERT_EQ(z[i], 0);
        ASSERT_NULL(arena_alloc_array(&a, SIZE_MAX / 4, 8));
        ASSERT_NULL(arena_alloc(&a, SIZE_MAX));
        char *s = arena_strndup(&a, "abcdef", 3);
        ASSERT_STR_EQ(s, "abc");
        uint8_t bytes[] = { 1, 2, 3 };
        uint8_t *d = arena_memdup(&a, bytes, 3);
        ASSERT_MEM_EQ(d, bytes, 3);
        arena_done(&a);
}

TEST(limit) {
        struct arena a;

        arena_init(&a, 1000);
        ASSERT_NOT_NULL(arena_alloc(&a, 500));
        ASSERT_FALSE(a.over_limit);
        ASSERT_NULL(arena_alloc(&a, 600));
        ASSERT_TRUE(a.over_limit);
        ASSERT_NOT_NULL(arena_alloc(&a, 400));
        ASSERT_NULL(arena_alloc(&a, 1 << 30));
        arena_reset(&a);
        ASSERT_FALSE(a.over_limit);
        ASSERT_NOT_NULL(arena_alloc(&a, 900));
        arena_done(&a);
}

static int order[8];
static int n_order;

static void record(void *p) {
        order[n_order++] = *(int *)p;
}

TEST(deferred_destructors_run_in_reverse) {
        static int ids[3] = { 1, 2, 3 };
        struct arena a;

        n_order = 0;
        arena_init(&a, 0);
        for (int i = 0; i < 3; i++)
                ASSERT_OK(arena_defer(&a, record, &ids[i]));
        ASSERT_EQ(n_order, 0);
        arena_reset(&a);
        ASSERT_EQ(n_order, 3);
        ASSERT_EQ(order[0], 3);
        ASSERT_EQ(order[1], 2);
        ASSERT_EQ(order[2], 1);
        arena_reset(&a);        /* destructors run once */
        ASSERT_EQ(n_order, 3);
        arena_done(&a);
}

TEST(defer_failure_destroys_at_once) {
        static int id = 7;
        struct arena a;

        n_order = 0;
        arena_init(&a, 0);
        alloc_fail_at(1, false);
        ASSERT_ERRNO(arena_defer(&a, record, &id), -ENOMEM);
        alloc_fail_at(0, false);
        ASSERT_EQ(n_order, 1);
        ASSERT_EQ(order[0], 7);
        arena_done(&a);
        ASSERT_EQ(n_order, 1);
}

TEST(caller_buffer) {
        _Alignas(16) uint8_t stack[512];
        struct arena a;

        arena_init_buf(&a, stack, sizeof stack, 0);
        alloc_fail_at(1, true);         /* nothing below may reach malloc */
        void *p = arena_alloc(&a, 100);
        void *q = arena_alloc(&a, 100);
        alloc_fail_at(0, false);
        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(q);
        ASSERT_TRUE((uint8_t *)p >= stack && (uint8_t *)p < stack + sizeof stack);
        /* Past the buffer, chunks come from the heap; reset keeps the buffer. */
        ASSERT_NOT_NULL(arena_alloc(&a, 4000));
        arena_reset(&a);
        alloc_fail_at(1, true);
        ASSERT_NOT_NULL(arena_alloc(&a, 100));
        alloc_fail_at(0, false);
        arena_done(&a);
}

/* A "call" that allocates several blocks and a heap object freed by a destructor. */
struct oom_ctx {
        struct arena a;
};

static int build_call(void *ctx) {
        struct oom_ctx *c = ctx;
        int r = 0;

        arena_init(&c->a, 0);
        for (int i = 0; i < 20; i++) {
                char *heap = dcom_strdup("owned by the arena");
                if (!heap) {
                        r = -ENOMEM;
                        break;
                }
                r = arena_defer(&c->a, dcom_free, heap);
                if (r < 0)
                        break;
                if (!arena_alloc(&c->a, 300 * (size_t)i + 1)) {
                        r = -ENOMEM;
                        break;
                }
        }
        arena_done(&c->a);
        return r;
}

TEST(oom_loop) {
        struct oom_ctx c;
        unsigned points = ASSERT_OOM_LOOP(build_call, NULL, &c);
        ASSERT_GT(points, 20);
}
