/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Global memory: kernel32's Global* functions, for the handle-based blocks Windows APIs
 * pass around (CreateStreamOnHGlobal's, stream.c).  A GMEM_FIXED block is its own handle,
 * the address of its data.  A GMEM_MOVEABLE block has a handle apart from its data, which
 * GlobalLock turns into a pointer and which stays the same when GlobalReAlloc moves the
 * data; a moveable block of size 0 has no data at all (Windows' "discarded" block).
 *
 * Every live block is registered, so a freed or foreign handle is refused -- GlobalSize
 * 0, GlobalLock NULL, GlobalFree returns it -- rather than followed, as Windows does: a
 * stream whose owner freed its HGLOBAL must answer E_OUTOFMEMORY, not touch freed memory.
 * Moveable handles have Windows' shape (an odd multiple of the pointer size) and are
 * addresses in a reserved, inaccessible range: never a fixed block's address, a fault if
 * used as a pointer, and handed out round-robin, so a stale handle does not soon alias a
 * newer block.  One mutex guards the registry; the data itself is the caller's to share.
 */
#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>

#include "com/com-internal.h"

struct global_block {
        HGLOBAL handle;                 /* == data for a fixed block */
        void *data;                     /* NULL: a moveable block of size 0 */
        size_t size;                    /* as asked for (GlobalSize) */
        unsigned locks;                 /* GlobalLock count of a moveable block */
        bool moveable;
        struct global_block *next_by_handle;
        struct global_block *next_by_data;      /* moveable blocks with data only */
};

/* Moveable handles: 4 Mi slots (64 MiB of address space on 64-bit, none of memory). */
#define TOKEN_STRIDE (2 * sizeof(void *))
#define TOKEN_SLOTS ((size_t)1 << 22)
#define MIN_BUCKETS 64

static struct {
        pthread_mutex_t lock;
        struct global_block **by_handle, **by_data;     /* chained, n_buckets each */
        size_t n_buckets, n_blocks;
        char *tokens;                   /* the reserved range; NULL until first needed */
        size_t next_token;
} globals = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t bucket_of(const void *p, size_t n_buckets) {
        uint64_t x = (uintptr_t)p;

        x ^= x >> 33;
        x *= UINT64_C(0xff51afd7ed558ccd);
        x ^= x >> 33;
        return (size_t)x & (n_buckets - 1);
}

static struct global_block *find_handle(const void *h) {
        if (!h || !globals.n_buckets)
                return NULL;
        for (struct global_block *b = globals.by_handle[bucket_of(h, globals.n_buckets)]; b;
             b = b->next_by_handle)
                if (b->handle == h)
                        return b;
        return NULL;
}

static struct global_block *find_data(const void *p) {
        if (!p || !globals.n_buckets)
                return NULL;
        for (struct global_block *b = globals.by_data[bucket_of(p, globals.n_buckets)]; b;
             b = b->next_by_data)
                if (b->data == p)
                        return b;
        return NULL;
}

static void link_handle(struct global_block *b) {
        struct global_block **head = &globals.by_handle[bucket_of(b->handle, globals.n_buckets)];

        b->next_by_handle = *head;
        *head = b;
}

static void unlink_handle(struct global_block *b) {
        struct global_block **p = &globals.by_handle[bucket_of(b->handle, globals.n_buckets)];

        while (*p != b)
                p = &(*p)->next_by_handle;
        *p = b->next_by_handle;
}

/* Only moveable blocks with data are found by their data (fixed ones by their handle). */
static void link_data(struct global_block *b) {
        struct global_block **head;

        if (!b->moveable || !b->data)
                return;
        head = &globals.by_data[bucket_of(b->data, globals.n_buckets)];
        b->next_by_data = *head;
        *head = b;
}

static void unlink_data(struct global_block *b) {
        struct global_block **p;

        if (!b->moveable || !b->data)
                return;
        p = &globals.by_data[bucket_of(b->data, globals.n_buckets)];
        while (*p != b)
                p = &(*p)->next_by_data;
        *p = b->next_by_data;
}

/*
 * Room for one more block: the tables exist, and double when they hold more blocks than
 * buckets.  Failing to grow only makes chains longer; failing to create them fails.
 */
static int reserve_block(void) {
        size_t n = globals.n_buckets ? globals.n_buckets * 2 : MIN_BUCKETS;
        struct global_block **h, **d, *b, *next;

        if (globals.n_buckets && globals.n_blocks < globals.n_buckets)
                return 0;
        h = dcom_calloc(n, sizeof(*h));
        d = dcom_calloc(n, sizeof(*d));
        if (!h || !d) {
                dcom_free(h);
                dcom_free(d);
                return globals.n_buckets ? 0 : -ENOMEM;
        }
        for (size_t i = 0; i < globals.n_buckets; i++)
                for (b = globals.by_handle[i]; b; b = next) {
                        next = b->next_by_handle;
                        b->next_by_handle = h[bucket_of(b->handle, n)];
                        h[bucket_of(b->handle, n)] = b;
                }
        for (size_t i = 0; i < globals.n_buckets; i++)
                for (b = globals.by_data[i]; b; b = next) {
                        next = b->next_by_data;
                        b->next_by_data = d[bucket_of(b->data, n)];
                        d[bucket_of(b->data, n)] = b;
                }
        dcom_free(globals.by_handle);
        dcom_free(globals.by_data);
        globals.by_handle = h;
        globals.by_data = d;
        globals.n_buckets = n;
        return 0;
}

/* A moveable handle no live block has: the next free slot of the reserved range. */
static HGLOBAL new_token(void) {
        if (!globals.tokens) {
                void *p = mmap(NULL, TOKEN_SLOTS * TOKEN_STRIDE, PROT_NONE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (p == MAP_FAILED)
                        return NULL;
                globals.tokens = p;
        }
        for (size_t tries = 0; tries < TOKEN_SLOTS; tries++) {
                HGLOBAL h = globals.tokens + globals.next_token * TOKEN_STRIDE + sizeof(void *);

                globals.next_token = (globals.next_token + 1) % TOKEN_SLOTS;
                if (!find_handle(h))
                        return h;
        }
        return NULL;
}

/* Zeroes what a block gained: GMEM_ZEROINIT's promise for GlobalReAlloc. */
static void zero_growth(void *data, size_t old_size, size_t new_size, UINT flags) {
        if ((flags & GMEM_ZEROINIT) && new_size > old_size)
                memset((char *)data + old_size, 0, new_size - old_size);
}

HGLOBAL WINAPI GlobalAlloc(UINT flags, SIZE_T bytes) {
        struct global_block *b;
        HGLOBAL ret = NULL;

        b = dcom_calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        b->moveable = flags & GMEM_MOVEABLE;
        b->size = bytes;
        if (!b->moveable || bytes) {
                b->data = flags & GMEM_ZEROINIT ? dcom_calloc(1, bytes) : dcom_malloc(bytes);
                if (!b->data)
                        goto out_free_block;
        }

        pthread_mutex_lock(&globals.lock);
        if (reserve_block() < 0)
                goto out_unlock;
        b->handle = b->moveable ? new_token() : b->data;
        if (!b->handle)
                goto out_unlock;
        link_handle(b);
        link_data(b);
        globals.n_blocks++;
        ret = b->handle;
out_unlock:
        pthread_mutex_unlock(&globals.lock);
        if (ret)
                return ret;
        dcom_free(b->data);
out_free_block:
        dcom_free(b);
        return NULL;
}

/*
 * GMEM_MODIFY changes only the kind: with GMEM_MOVEABLE a fixed block becomes moveable
 * (a new handle; the data stays put), otherwise nothing changes.  A fixed block grows in
 * place when its allocation has room, else moves only with GMEM_MOVEABLE (a new handle,
 * its new address).  A moveable block keeps its handle; its data moves unless it is
 * locked and GMEM_MOVEABLE is not given, and size 0 drops its data (not while locked).
 */
HGLOBAL WINAPI GlobalReAlloc(HGLOBAL mem, SIZE_T bytes, UINT flags) {
        struct global_block *b;
        HGLOBAL ret = NULL;
        void *data;

        pthread_mutex_lock(&globals.lock);
        b = find_handle(mem);
        if (!b)
                goto out_unlock;

        if (flags & GMEM_MODIFY) {
                if ((flags & GMEM_MOVEABLE) && !b->moveable) {
                        HGLOBAL h = new_token();

                        if (!h)
                                goto out_unlock;
                        unlink_handle(b);
                        b->handle = h;
                        b->moveable = true;
                        link_handle(b);
                        link_data(b);
                }
                ret = b->handle;
                goto out_unlock;
        }

        if (!b->moveable) {
                if (bytes <= malloc_usable_size(b->data)) {
                        zero_growth(b->data, b->size, bytes, flags);
                        b->size = bytes;
                        ret = b->handle;
                        goto out_unlock;
                }
                if (!(flags & GMEM_MOVEABLE))
                        goto out_unlock;
                data = dcom_malloc(bytes);
                if (!data)
                        goto out_unlock;
                memcpy(data, b->data, b->size);        /* bytes > usable size >= size */
                zero_growth(data, b->size, bytes, flags);
                unlink_handle(b);
                dcom_free(b->data);
                b->handle = b->data = data;
                b->size = bytes;
                link_handle(b);
                ret = b->handle;
                goto out_unlock;
        }

        if (bytes == 0) {
                if (b->locks)
                        goto out_unlock;
                unlink_data(b);
                dcom_free(b->data);
                b->data = NULL;
                b->size = 0;
                ret = b->handle;
                goto out_unlock;
        }
        if (b->data && b->locks && !(flags & GMEM_MOVEABLE)) {
                if (bytes > malloc_usable_size(b->data))
                        goto out_unlock;
                data = b->data;
        } else {
                data = dcom_realloc(b->data, bytes);
                if (!data)
                        goto out_unlock;
        }
        unlink_data(b);
        b->data = data;
        zero_growth(b->data, b->size, bytes, flags);
        b->size = bytes;
        link_data(b);
        ret = b->handle;
out_unlock:
        pthread_mutex_unlock(&globals.lock);
        return ret;
}

/* NULL on success (and for NULL); the handle itself when it is no live block's. */
HGLOBAL WINAPI GlobalFree(HGLOBAL mem) {
        struct global_block *b;

        if (!mem)
                return NULL;
        pthread_mutex_lock(&globals.lock);
        b = find_handle(mem);
        if (b) {
                unlink_handle(b);
                unlink_data(b);
                globals.n_blocks--;
        }
        pthread_mutex_unlock(&globals.lock);
        if (!b)
                return mem;
        dcom_free(b->data);
        dcom_free(b);
        return NULL;
}

/* A fixed block's address; a moveable block's data, counting the lock (NULL if size 0). */
LPVOID WINAPI GlobalLock(HGLOBAL mem) {
        struct global_block *b;
        void *ret = NULL;

        pthread_mutex_lock(&globals.lock);
        b = find_handle(mem);
        if (b && b->data) {
                if (b->moveable)
                        b->locks++;
                ret = b->data;
        }
        pthread_mutex_unlock(&globals.lock);
        return ret;
}

/*
 * Whether a moveable block is still locked after this unlock: FALSE when this was its
 * last lock or it was not locked.  Fixed blocks and unknown handles answer TRUE, as on
 * Windows.
 */
BOOL WINAPI GlobalUnlock(HGLOBAL mem) {
        struct global_block *b;
        BOOL ret = TRUE;

        pthread_mutex_lock(&globals.lock);
        b = find_handle(mem);
        if (b && b->moveable) {
                if (b->locks)
                        b->locks--;
                ret = b->locks != 0;
        }
        pthread_mutex_unlock(&globals.lock);
        return ret;
}

/* The size asked for; 0 for a moveable block without data and for unknown handles. */
SIZE_T WINAPI GlobalSize(HGLOBAL mem) {
        struct global_block *b;
        SIZE_T ret = 0;

        pthread_mutex_lock(&globals.lock);
        b = find_handle(mem);
        if (b && b->data)
                ret = b->size;
        pthread_mutex_unlock(&globals.lock);
        return ret;
}

/* The handle of a block, from its handle or from the pointer GlobalLock gave; else NULL. */
HGLOBAL WINAPI GlobalHandle(LPCVOID mem) {
        struct global_block *b;
        HGLOBAL ret = NULL;

        pthread_mutex_lock(&globals.lock);
        b = find_handle(mem);
        if (!b)
                b = find_data(mem);
        if (b)
                ret = b->handle;
        pthread_mutex_unlock(&globals.lock);
        return ret;
}
