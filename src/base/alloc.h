/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one allocator every layer calls.  It is malloc underneath, with a hook so tests
 * can fail the Nth allocation from now (SQLite's malloc tests) and check that every
 * error path cleans up.  The library never aborts on out-of-memory: it reports -ENOMEM
 * or E_OUTOFMEMORY.
 */
#ifndef DCOM_BASE_ALLOC_H
#define DCOM_BASE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

void *dcom_malloc(size_t size);
void *dcom_calloc(size_t n, size_t size);
void *dcom_realloc(void *p, size_t size);
/* realloc of n * size with overflow check. */
void *dcom_reallocarray(void *p, size_t n, size_t size);
void dcom_free(void *p);
char *dcom_strdup(const char *s);
void *dcom_memdup(const void *p, size_t n);

/*
 * Fault injection: after alloc_fail_at(n), the nth allocation call from now fails
 * (n = 1 is the very next one) and so does every later one while `sticky` is set.
 * alloc_fail_at(0) switches injection off.  alloc_fail_fired() tells whether an
 * injected failure happened since the last alloc_fail_at().  Process-wide.
 */
void alloc_fail_at(unsigned long n, bool sticky);
bool alloc_fail_fired(void);
/* Whether injection is on (a failure is still to come): caches of memory step aside. */
bool alloc_fail_armed(void);

#endif /* DCOM_BASE_ALLOC_H */
