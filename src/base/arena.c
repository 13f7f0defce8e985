/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arena allocator.  Chunks grow geometrically from 1 KiB to 64 KiB; a request larger
 * than a quarter of the next chunk gets a chunk of its own so a big array does not
 * waste the tail of the current one.  Destructor records are themselves arena memory,
 * so deferring costs one bump allocation.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"

struct arena_chunk {
        struct arena_chunk *prev;
        size_t size;                    /* usable bytes after the header */
        size_t off;                     /* next free byte */
        _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_dtor {
        struct arena_dtor *next;
        void (*fn)(void *p);
        void *p;
};

/* A first chunk of 1 KiB with its header: the largest block glibc's per-thread cache
   serves (1032 bytes), so the small calls' arenas cost a cached malloc and free. */
#define CHUNK_MIN (1024 - sizeof(struct arena_chunk))
#define CHUNK_MAX (64 * 1024)

void arena_init(struct arena *a, size_t limit) {
        *a = (struct arena){ .limit = limit };
}

void arena_init_buf(struct arena *a, void *buf, size_t size, size_t limit) {
        /* The buffer becomes a chunk header plus data, if it is big enough to matter. */
        uintptr_t p = ((uintptr_t)buf + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
        size_t skip = p - (uintptr_t)buf;
        if (size < skip + sizeof(struct arena_chunk) + ARENA_ALIGN) {
                arena_init(a, limit);
                return;
        }
        struct arena_chunk *c = (struct arena_chunk *)p;
        c->prev = NULL;
        c->size = size - skip - sizeof(struct arena_chunk);
        c->off = 0;
        *a = (struct arena){ .chunk = c, .first = c, .first_size = size, .limit = limit };
}

static size_t round_up(size_t n) {
        return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* A request the current chunk cannot hold (or none yet): a new chunk for it.  Not inlined:
   arena_alloc's common case then saves no registers for it. */
__attribute__((noinline)) static void *alloc_chunk(struct arena *a, size_t need) {
        struct arena_chunk *c = a->chunk, *n;
        size_t next = c && (void *)c != a->first ? c->size * 2 : CHUNK_MIN;

        if (next > CHUNK_MAX)
                next = CHUNK_MAX;
        if (need > next / 4) {
                /*
                 * A big request gets a chunk of its own, slipped behind the
                 * current one, which keeps serving small requests.
                 */
                n = dcom_malloc(sizeof(struct arena_chunk) + need);
                if (!n)
                        return NULL;
                n->size = n->off = need;
                if (c) {
                        n->prev = c->prev;
                        c->prev = n;
                } else {
                        n->prev = NULL;
                        a->chunk = n;
                }
                a->used += need;
                return n->data;
        }
        n = dcom_malloc(sizeof(struct arena_chunk) + next);
        if (!n)
                return NULL;
        n->size = next;
        n->off = need;
        n->prev = c;
        a->chunk = n;
        a->used += need;
        return n->data;
}

void *arena_alloc(struct arena *a, size_t size) {
        struct arena_chunk *c = a->chunk;
        size_t need;

        if (size > SIZE_MAX / 2)
                return NULL;
        need = round_up(size ? size : 1);
        if (a->limit && (need > a->limit || a->used > a->limit - need)) {
                a->over_limit = true;
                return NULL;
        }
        /* the common case, room in the chunk: a bump of two counters */
        if (!c || c->size - c->off < need)
                return alloc_chunk(a, need);
        void *p = c->data + c->off;
        c->off += need;
        a->used += need;
        return p;
}

void *arena_zalloc(struct arena *a, size_t size) {
        void *p = arena_alloc(a, size);

        if (p)
                memset(p, 0, size);
        return p;
}

void *arena_alloc_array(struct arena *a, size_t n, size_t size) {
        if (size && n > SIZE_MAX / size)
                return NULL;
        return arena_alloc(a, n * size);
}

void *arena_memdup(struct arena *a, const void *p, size_t size) {
        void *q = arena_alloc(a, size);

        if (q && size)
                memcpy(q, p, size);
        return q;
}

char *arena_strndup(struct arena *a, const char *s, size_t n) {
        size_t len = strnlen(s, n);
        char *q = arena_alloc(a, len + 1);

        if (q) {
                memcpy(q, s, len);
                q[len] = 0;
        }
        return q;
}

int arena_defer(struct arena *a, void (*fn)(void *p), void *p) {
        struct arena_dtor *d = arena_alloc(a, sizeof *d);

        if (!d) {
                fn(p);
                return -ENOMEM;
        }
        d->fn = fn;
        d->p = p;
        d->next = a->dtors;
        a->dtors = d;
        return 0;
}

bool arena_owns(const struct arena *a, const void *p) {
        uintptr_t x = (uintptr_t)p;

        for (const struct arena_chunk *c = a->chunk; c; c = c->prev)
                if (x >= (uintptr_t)c->data && x < (uintptr_t)c->data + c->off)
                        return true;
        return false;
}

/* What arena_reset does beyond emptying the caller's buffer: destructors, heap chunks. */
__attribute__((noinline)) static void reset_slow(struct arena *a) {
        /* Destructors first: they may still read arena memory. */
        while (a->dtors) {
                struct arena_dtor *d = a->dtors;
                a->dtors = d->next;
                d->fn(d->p);
        }
        struct arena_chunk *c = a->chunk;
        while (c) {
                struct arena_chunk *prev = c->prev;
                if ((void *)c != a->first)
                        dcom_free(c);
                c = prev;
        }
        if (a->first) {
                struct arena_chunk *f = a->first;
                f->off = 0;
                f->prev = NULL;
                a->chunk = f;
        } else
                a->chunk = NULL;
        a->used = 0;
        a->over_limit = false;
}

void arena_reset(struct arena *a) {
        struct arena_chunk *f = a->first;

        /* the common call's arena: only its own buffer used, nothing to destroy */
        if (f && a->chunk == f && !f->prev && !a->dtors) {
                f->off = 0;
                a->used = 0;
                a->over_limit = false;
                return;
        }
        reset_slow(a);
}
