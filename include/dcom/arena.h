/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-call arena: a bump allocator over a list of chunks, plus destructors deferred
 * until the arena is reset.  Unmarshaled [in] data and a call's temporaries live here
 * and die with the call in one sweep (STYLE.md section 4).  A cap on the bytes an
 * arena may hand out bounds what one hostile request can make us allocate.
 *
 * Public because generated stubs (<dcom/ndr-stub.h>) keep one on their stack.
 */
#ifndef DCOM_ARENA_H
#define DCOM_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <dcom/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct arena_chunk;
struct arena_dtor;

struct arena {
        struct arena_chunk *chunk;      /* current chunk; older ones follow ->prev */
        struct arena_dtor *dtors;       /* LIFO list, itself allocated in the arena */
        void *first;                    /* caller's initial buffer, never freed */
        size_t first_size;
        size_t used;                    /* bytes handed out (for the cap) */
        size_t limit;                   /* 0 = no cap */
        bool over_limit;                /* an allocation failed because of the cap */
};

#define ARENA_ALIGN 16

/* An empty arena; limit caps the bytes handed out (0 for none). Allocates nothing yet. */
DCOM_EXPORT void arena_init(struct arena *a, size_t limit);
/*
 * Same, with buf (size bytes, e.g. on the caller's stack) as the first chunk so that
 * small calls never reach malloc.  buf must outlive the arena.
 */
DCOM_EXPORT void arena_init_buf(struct arena *a, void *buf, size_t size, size_t limit);

/* size bytes aligned to ARENA_ALIGN, or NULL (out of memory, or over the cap). */
DCOM_EXPORT void *arena_alloc(struct arena *a, size_t size);
DCOM_EXPORT void *arena_zalloc(struct arena *a, size_t size);
/* n * size bytes, NULL on multiplication overflow too. */
DCOM_EXPORT void *arena_alloc_array(struct arena *a, size_t n, size_t size);
DCOM_EXPORT void *arena_memdup(struct arena *a, const void *p, size_t size);
DCOM_EXPORT char *arena_strndup(struct arena *a, const char *s, size_t n);

/*
 * Runs fn(p) when the arena is reset or freed, in reverse order of registration.  If
 * the registration itself cannot be allocated, fn(p) runs at once and -ENOMEM is
 * returned: the object never leaks, and the caller fails its operation.
 */
DCOM_EXPORT int arena_defer(struct arena *a, void (*fn)(void *p), void *p);

/* Runs the deferred destructors and frees every chunk; the arena can be reused. */
DCOM_EXPORT void arena_reset(struct arena *a);
/* Whether p points into memory a handed out (walks its chunks). */
DCOM_EXPORT bool arena_owns(const struct arena *a, const void *p);
#define arena_done arena_reset

#ifdef __cplusplus
}
#endif

#endif /* DCOM_ARENA_H */
