/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of the server's protocol engine (conn*.c) share.
 */
#ifndef RPC_CONN_INTERNAL_H
#define RPC_CONN_INTERNAL_H

#include "rpc/rpc-server.h"

/* The largest fragment we send or receive ([C706] 12.6.3.1: frag_length is 16 bits; a
   multiple of 8): each side takes the smaller offer, so Windows (5840 on TCP) and impacket
   (4280) get theirs, and two OpenDCOM peers move a 1 MiB stub in 17 fragments, not 180
   (issue 13: a fragment costs a header to make, parse and account, and a read) */
#define SERVER_MAX_FRAG 65528
#define MUST_RECV_FRAG 1432             /* [C706] 12.6.3.1: the least a peer may offer */
#define MAX_PARTIAL_CALLS 8             /* requests being reassembled at once */
#define MAX_REQUEST_STUB (4u << 20)     /* one request's stub, reassembled */
#define SPARE_STUB_MIN (64u << 10)      /* a reassembly buffer kept for the next call ... */
#define SPARE_STUB_MAX (2u << 20)       /* ... bulk calls', not every size's */
#define CALL_ARENA_MAX (16u << 20)      /* one call's [in] and [out] data */
#define MAX_RESPONSE_STUB (16u << 20)
#define MAX_HANDLES_PER_ASSOC 4096

struct ctx_handle;

#define CALL_MAX_HANDLES 8              /* context handles one call may hold */

/* A call's view of its group's table: what it holds, released when the call ends. */
struct call_contexts {
        struct ndr_context_table table;
        struct rpc_assoc *assoc;
        const struct ndr_interface *iface;
        struct ctx_handle *held[CALL_MAX_HANDLES];
        unsigned n_held;
};

/* a pool thread's scratch space: one bind's tables, a small first arena, a PDU buffer */
struct thread_scratch {
        struct rpc_bind bind;
        _Alignas(16) uint8_t arena[4096];
        bool arena_busy;
        uint8_t *pdu;
};

/* conn-assoc.c */
int conn_call_lookup(struct ndr_context_table *t, const struct ndr_context_handle *wire,
                void **ret);
int conn_call_store(struct ndr_context_table *t, void *obj, struct ndr_context_handle *wire,
               void (*rundown)(void *));
void conn_call_contexts_release(struct call_contexts *cc);
struct rpc_assoc *conn_assoc_join(struct rpc_server *srv, uint32_t id, enum rpc_protseq protseq,
                             const struct rpc_peer *who);
void conn_assoc_leave(struct rpc_assoc *a);

/* conn.c */
const struct rpc_if_reg *conn_context_if(struct rpc_conn *c, uint16_t id);
struct thread_scratch *conn_thread_scratch(void);
void conn_put_fault(struct buf *out, uint32_t call_id, uint16_t ctx_id, uint32_t status,
               bool did_not_execute);
void conn_put_bind_nak(struct buf *out, uint32_t call_id, uint16_t reason);

/* conn-bind.c */
void conn_peer_name(const struct rpc_conn *c, char *buf, size_t size);
void conn_audit_sec_failure(const struct rpc_conn *c, const struct rpc_auth_ops *ops, void *ctx,
                       const char *what, int err);
struct rpc_sec *conn_sec_find(struct rpc_conn *c, uint32_t id);
struct rpc_sec_ref conn_sec_ref(const struct rpc_sec *s);
int conn_handle_bind(struct rpc_conn *c, const struct rpc_pdu *pdu, struct buf *out);
int conn_handle_auth3(struct rpc_conn *c, const struct rpc_pdu *pdu);

#endif /* RPC_CONN_INTERNAL_H */
