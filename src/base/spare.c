/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each thread's spare blocks: memory a hot path frees at the end of one call and
 * allocates again at the start of the next -- a proxy's request buffer, an incoming
 * call's context -- kept in a slot of the thread instead of going back to malloc.  One
 * block per slot; the thread's exit frees them.  While a test injects allocation
 * failures (alloc_fail_at) no block is handed out, so that the allocations it counts
 * happen as they would without the slots.
 */
#include <pthread.h>

#include "base/base-internal.h"

static _Thread_local struct {
        void *p;
        size_t size;
} slots[DCOM_SPARE_SLOTS];
static _Thread_local bool keyed;        /* key set: the thread's exit frees the slots */
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int key_err;

static void slots_free(void *unused) {
        (void)unused;
        for (unsigned i = 0; i < DCOM_SPARE_SLOTS; i++) {
                dcom_free(slots[i].p);
                slots[i].p = NULL;
        }
        keyed = false;          /* a block kept by a later destructor keys it again */
}

static void key_init(void) {
        key_err = pthread_key_create(&key, slots_free);
}

void *dcom_spare_take(unsigned slot, size_t *ret_size) {
        void *p = slots[slot].p;

        if (!p || alloc_fail_armed())
                return NULL;
        slots[slot].p = NULL;
        if (ret_size)
                *ret_size = slots[slot].size;
        return p;
}

/* The thread's first block kept: its exit is to free the slots.  Out of line: keeping a
   block then saves no registers. */
__attribute__((noinline)) static bool key_thread(void) {
        pthread_once(&once, key_init);
        /* any value but NULL: destructors run only for those */
        if (key_err || pthread_setspecific(key, &keyed) != 0)
                return false;
        keyed = true;
        return true;
}

bool dcom_spare_keep(unsigned slot, void *p, size_t size) {
        if (!p || slots[slot].p || (!keyed && !key_thread()))
                return false;
        slots[slot].p = p;
        slots[slot].size = size;
        return true;
}
