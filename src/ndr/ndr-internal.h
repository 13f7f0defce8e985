/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NDR layer's private header: the public engine (<dcom/ndr.h>, which generated stubs
 * call) plus what only src/ndr uses -- the full pointers' map.
 */
#ifndef DCOM_NDR_INTERNAL_H
#define DCOM_NDR_INTERNAL_H

#include <dcom/ndr.h>

#include "base/base-internal.h"

/* The map's operations, for src/ndr only (the arena is NULL on the push side). */
uintptr_t *ndr_map_find_(struct ndr_ptr_map *m, uintptr_t key);
int ndr_map_insert_(struct ndr_ptr_map *m, struct arena *a, uintptr_t key, uintptr_t val);
void ndr_map_free_(struct ndr_ptr_map *m);
/*
 * In user-memory mode: fn(obj) if the pull is rolled back (an interface pointer a client
 * unmarshaled before a later part of the response failed).  -ENOMEM, having run fn(obj)
 * at once, when it cannot be recorded.
 */
int ndr_pull_user_on_rollback_(struct ndr_pull *ndr, void (*fn)(void *obj), void *obj);
/* Forgets the response's record of what was marshaled into it (ndr_push_reset/_free). */
void ndr_push_marshaled_forget_(struct ndr_push *ndr);

#endif /* DCOM_NDR_INTERNAL_H */
