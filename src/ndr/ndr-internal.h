/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NDR layer's private header: the public engine (<dcom/ndr.h>, which generated stubs
 * call) plus what only src/ndr uses -- the full pointers' map.
 */
#ifndef DCOM_NDR_INTERNAL_H
#define DCOM_NDR_INTERNAL_H

#include <dcom/ndr.h>
#include <dcom/ndr-stub.h>

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

/*
 * The COM layer's interface pointer hooks told where the OBJREF goes or comes from (the
 * stub's iface_dest, iface_src); used instead of the public hooks' marshal and
 * unmarshal when set.  Not in <dcom/ndr.h>: a program's hooks stay as they were.
 */
struct ndr_iface_ctx_hooks {
        int (*marshal_to)(const GUID *iid, void *obj, enum ndr_iface_ctx dest, struct arena *a,
                          uint8_t **ret_objref, uint32_t *ret_len);
        int (*unmarshal_from)(const GUID *iid, const uint8_t *objref, uint32_t len,
                              enum ndr_iface_ctx src, void **ret_obj);
        /* a failed call's request: gives back what its OBJREF holds if nobody took it
           (only data that knows whether it was taken: the free-threaded marshaler's) */
        void (*release_untaken)(const uint8_t *objref, uint32_t len);
};
/*
 * A client's request for another apartment of this process (iface_dest INPROC) keeps
 * what it marshaled; the call failed: each OBJREF's release_untaken (the others may be
 * the callee's already).  The records go with ndr_push_free.
 */
void ndr_push_iface_failed_(struct ndr_push *ndr);
void ndr_set_iface_ctx_hooks(const struct ndr_iface_ctx_hooks *hooks);
/*
 * The library's own bindings: those whose call is call say where they go with ctx(b).
 * Registered by their modules' constructors (at most NDR_BINDING_KINDS).
 */
#define NDR_BINDING_KINDS 8
void ndr_binding_kind_register(int (*call)(struct ndr_binding *, const struct ndr_interface *,
                                           uint16_t, struct ndr_push *, struct ndr_pull *,
                                           struct arena *),
                               enum ndr_iface_ctx (*ctx)(const struct ndr_binding *b));

#endif /* DCOM_NDR_INTERNAL_H */
