/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation wrappers with a fault-injection hook.  The hook costs one relaxed atomic
 * load when off, so it stays compiled into release builds: tests exercise the very
 * code users run.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

static atomic_ulong fail_countdown;     /* 0 = injection off */
static atomic_bool fail_sticky;
static atomic_bool fail_fired;

void alloc_fail_at(unsigned long n, bool sticky) {
        atomic_store(&fail_sticky, sticky);
        atomic_store(&fail_fired, false);
        atomic_store(&fail_countdown, n);
}

bool alloc_fail_fired(void) {
        return atomic_load(&fail_fired);
}

bool alloc_fail_armed(void) {
        return atomic_load_explicit(&fail_countdown, memory_order_relaxed) != 0;
}

/* True when this allocation is to fail. */
static bool inject(void) {
        unsigned long c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);

        if (c == 0)
                return false;
        for (;;) {
                if (c == 1) {
                        /* The Nth call: fail it, and stay at 1 if sticky. */
                        if (!atomic_load(&fail_sticky))
                                atomic_compare_exchange_strong(&fail_countdown, &c, 0);
                        atomic_store(&fail_fired, true);
                        return true;
                }
                if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
                        return false;
                if (c == 0)
                        return false;
        }
}

void *dcom_malloc(size_t size) {
        if (inject()) {
                errno = ENOMEM;
                return NULL;
        }
        return malloc(size ? size : 1);
}

void *dcom_calloc(size_t n, size_t size) {
        if (inject()) {
                errno = ENOMEM;
                return NULL;
        }
        return calloc(n ? n : 1, size ? size : 1);
}

void *dcom_realloc(void *p, size_t size) {
        if (inject()) {
                errno = ENOMEM;
                return NULL;
        }
        return realloc(p, size ? size : 1);
}

void *dcom_reallocarray(void *p, size_t n, size_t size) {
        if (size && n > SIZE_MAX / size) {
                errno = ENOMEM;
                return NULL;
        }
        return dcom_realloc(p, n * size);
}

void dcom_free(void *p) {
        free(p);
}

void *dcom_memdup(const void *p, size_t n) {
        void *q = dcom_malloc(n);

        if (q && n)
                memcpy(q, p, n);
        return q;
}

char *dcom_strdup(const char *s) {
        return dcom_memdup(s, strlen(s) + 1);
}
