/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server side of the runtime, shared by conn.c (the protocol engine) and server.c
 * (registration, listeners, the event loop and its thread pool).
 */
#ifndef DCOM_RPC_SERVER_H
#define DCOM_RPC_SERVER_H

#include <pthread.h>
#include <sys/types.h>

#include "rpc/rpc-internal.h"

#define RPC_MAX_CONTEXTS 64                     /* presentation contexts per connection */
#define RPC_SERVER_MAX_ASSOCS 4096
#define RPC_CONN_MAX_PARTIAL_BYTES (8u << 20)   /* reassembly, all calls of a connection */
#define RPC_SERVER_MAX_PARTIAL_BYTES (256u << 20)       /* reassembly, the whole server */
#define RPC_MAX_BIND_NAKS 4                     /* refused binds before the connection goes */
#define RPC_SERVER_MAX_IFS 256

struct rpc_if_reg {
        const struct ndr_interface *iface;      /* syntax id, opnum table (generated) */
        const void *epv;                        /* the implementation */
        uint8_t min_level;                      /* calls below this auth_level are refused */
        /* object (ORPC) interfaces: the call goes to invoke instead of ops[opnum] */
        int (*invoke)(struct ndr_server_call *call, uint16_t opnum, void *ctx,
                      uint32_t *ret_fault);
        void *invoke_ctx;
};

struct rpc_assoc {
        struct rpc_assoc *next;
        struct rpc_server *srv;
        uint32_t id;                            /* assoc_group_id (random), the owner key */
        enum rpc_protseq protseq;               /* its first connection's: others must match */
        struct rpc_peer who;                    /* its first connection's peer: others must match */
        unsigned refs;                          /* connections (srv->lock) */
        pthread_mutex_t lock;                   /* the handles */
        pthread_cond_t released;                /* a call let go of its handles */
        struct ctx_handle *handles;
        unsigned n_handles;
};

#define RPC_MAX_SEC_CONTEXTS 8                  /* security contexts per connection */

struct rpc_sec {                                /* one auth_context_id's context */
        uint32_t id;
        uint8_t type, level;
        const struct rpc_auth_ops *ops;
        void *ctx;
        bool done;                              /* established */
        bool failed;                            /* a later step failed: calls are refused */
        bool retired;                           /* replaced by a bind again (its id reused) */
        uint64_t serial;                        /* renewed by every step (rpc_call_caller_key) */
};

struct rpc_partial {                            /* a request being reassembled */
        uint32_t call_id;
        uint64_t since_ms;                      /* its first fragment's arrival */
        struct rpc_sec *sec;
        uint16_t context_id, opnum;
        bool has_object;
        GUID object;
        uint8_t drep[4];
        struct buf stub;
        /* its last fragment's: what the next ones should be (rpc_conn_direct_plan) */
        uint16_t frag_length;
        bool plain;                             /* no auth trailer */
        uint32_t left;                          /* stub bytes to come, by alloc_hint */
        bool no_direct;                         /* a fragment did not come whole in a drain:
                                                   the rest through the reader */
        bool fresh;                             /* set up by rpc_conn_direct_first: its
                                                   first fragment is yet to come in place */
        bool guessed;                           /* set up by rpc_conn_direct_predict: its
                                                   header is the last call's, its call id,
                                                   context, operation and object to be
                                                   learnt from its first fragment */
        size_t spare_cap;                       /* its buffer is the connection's spare
                                                   (rpc_conn_direct_plan), this size */
};

struct rpc_conn {
        struct rpc_server *srv;
        uint64_t serial;                        /* rpc_call_caller_key of its unauthenticated calls */
        int fd;                                 /* server.c's socket, for peeking; -1: none */
        struct rpc_assoc *assoc;
        enum rpc_protseq protseq;
        struct sockaddr_storage local, peer;
        socklen_t local_len, peer_len;
        struct rpc_peer who;                    /* the peer's credentials or address */
        uint8_t iface_ctx;                      /* enum ndr_iface_ctx: who, for COM */
        char sec_addr[64];                      /* bind_ack's sec_addr: port or endpoint */
        bool bound;
        bool no_direct_first;                   /* a first fragment did not come whole in a
                                                   drain: through the reader, until a request
                                                   is handled */
        uint16_t max_xmit, max_recv;            /* negotiated fragment sizes */
        struct {
                uint16_t id;
                uint16_t ver_minor;             /* the version the client bound (<= reg's) */
                const struct rpc_if_reg *reg;
        } ctx[RPC_MAX_CONTEXTS];
        unsigned n_ctx;
        struct rpc_reader rd;                   /* received bytes, framed into PDUs */
        unsigned bind_naks;                     /* binds refused on this connection */
        bool hdr_sign;                          /* PFC_SUPPORT_HEADER_SIGN negotiated */
        struct rpc_partial partial[8];
        unsigned n_partial;
        size_t partial_bytes;
        /* the last reassembled call's buffer, for the next drain (a bulk caller's stubs
           land in the same warm memory, not in a new allocation each call): taken from
           the server's reassembly budget for its capacity, given back when a call takes
           it (rpc_conn_direct_plan) or by rpc_conn_trim */
        struct buf spare_stub;
        /* the last call whose first fragment came in place: the next one is predicted
           to look like it (rpc_conn_direct_predict) until one does not */
        struct {
                bool valid, has_object;
                uint16_t frag_length;
                uint32_t alloc_hint, call_id;
        } predict;
        struct rpc_sec sec[RPC_MAX_SEC_CONTEXTS];
        unsigned n_sec;
        struct ndr_push resp;                   /* the last response's buffer, reused */
        bool resp_ready;
        /* a bind's parse, a signed PDU's copy and a call's first arena chunk are the
           processing thread's (conn.c), not the connection's: an idle connection holds
           none of them (see rpc_conn_trim) */
};

struct rpc_call_info {                          /* ndr_server_call.runtime */
        struct rpc_conn *conn;
        uint32_t call_id;
        bool has_object;
        GUID object;
        struct rpc_sec *sec;                    /* NULL: unauthenticated */
};

struct rpc_listener;
struct rpc_sconn;
struct rpc_refuser;
struct rpc_peer_count;

#define RPC_PEER_BUCKETS 256

struct rpc_server {
        pthread_mutex_t lock;                   /* everything below */
        struct rpc_if_reg ifs[RPC_SERVER_MAX_IFS];
        unsigned n_ifs;
        struct rpc_assoc *assocs;
        unsigned n_assocs;
        struct rpc_stats stats;
        struct rpc_listener *listeners;
        struct rpc_sconn *conns;                /* every connection served (server.c) */
        unsigned n_conns;                       /* n_tcp + n_lrpc */
        unsigned n_tcp, max_tcp, n_lrpc, max_lrpc;      /* separate budgets */
        unsigned n_leaving[2];                  /* evicted or expired, not yet closed */
        struct rpc_peer_count *peers[RPC_PEER_BUCKETS]; /* connections per address / user */
        struct rpc_refuser *refusers;           /* "too busy" answers waiting for a bind */
        unsigned n_refusers;
        /* the event loop: one epoll set served by a pool of threads (server.c) */
        int epfd, timerfd, wakefd;
        unsigned threads, idle_threads;         /* the pool; idle ones wait in epoll_wait */
        unsigned min_threads, max_threads;
        unsigned peak_threads;
        unsigned lingering, max_lingerers;      /* threads waiting on their connection */
        unsigned accepting;                     /* threads inside a listener's accept loop */
        unsigned sweep_ms;                      /* the deadline sweep's period */
        bool pool_quit;
        pthread_cond_t pool_gone;               /* a pool thread or a connection ended */
        unsigned bind_timeout_ms, idle_timeout_ms;
        unsigned pdu_timeout_ms, call_timeout_ms;       /* a PDU, a fragmented call: whole in time */
        unsigned max_per_peer;                  /* TCP connections from one address */
        size_t partial_bytes, max_partial_bytes;        /* reassembly of every connection */
        bool stopping;
        struct rpc_binding *epm;                /* our registrations' connection */
        struct {                                /* what we registered, to do it again */
                const struct ndr_interface *iface;
                char annotation[64];
        } regs[RPC_SERVER_MAX_IFS];
        unsigned n_regs;
        pthread_t epm_watch;                    /* re-registers after an rpcss restart */
        bool watching;
        pthread_cond_t watch_wake;
};

/* The registered interface for an abstract syntax: same uuid and major version, the
   client's minor version at most ours ([C706] 12.6.3.1). */
const struct rpc_if_reg *rpc_server_find_if(struct rpc_server *srv,
                                            const struct rpc_syntax_id *abstract);

struct rpc_conn *rpc_conn_new(struct rpc_server *srv, enum rpc_protseq protseq);
void rpc_conn_free(struct rpc_conn *c);
/*
 * When what the connection has started receiving must be complete (the monotonic ms of
 * the earliest deadline: a PDU split across reads within pdu_ms of its first byte, a
 * fragmented request within call_ms of its first fragment); 0 when nothing is pending.
 * A peer trickling bytes cannot hold a connection past it.
 */
uint64_t rpc_conn_deadline(const struct rpc_conn *c, unsigned pdu_ms, unsigned call_ms);
/*
 * Nothing pending: gives back what only a PDU or call in progress needs (the receive
 * buffer, a large response buffer), so that an idle connection costs its structure.
 */
void rpc_conn_trim(struct rpc_conn *c);
/*
 * Handles every whole PDU the connection's reader holds (the server recv()s straight into
 * rpc_reader_room(&c->rd, ...)); what it answers is appended to out.  0, or a negative
 * errno after which the connection is closed (once out is sent).
 */
int rpc_conn_process(struct rpc_conn *c, struct buf *out);
/*
 * Feeds bytes a connection received; what it answers is appended to out.  0, or a
 * negative errno after which the connection is closed (once out is sent).
 */
int rpc_conn_input(struct rpc_conn *c, const uint8_t *data, size_t len, struct buf *out);

/*
 * A fragmented request's next fragments received in place (server.c conn_drain):
 * rpc_conn_direct_plan() says what they should be -- hdr_len bytes of header each, then
 * a stub of body_max bytes (left in all, the last one shorter), which go one after the
 * other to base, room bytes reserved there (at most max) -- or 0: receive them the usual
 * way.  As each fragment's header comes in, rpc_conn_direct_check() says whether it is
 * the fragment predicted, of body_len bytes (last: the call's last), and takes it from
 * the reassembly budgets (1), or not (0: it and what follows go through the reader,
 * rpc_conn_input); once its stub is in, rpc_conn_direct_commit() appends it to its call
 * (which runs at the last fragment, its answer in out); one that never comes whole is
 * given back with rpc_conn_direct_abort(), and rpc_conn_direct_done() ends each plan
 * (before what did not come goes to the reader): the room reserved and not used is given
 * back; rpc_conn_direct_trim(), once the plans are over, shrinks the call's buffer back
 * to what reassembly would have grown to (the stub's size again, at least a fragment).
 */
struct rpc_direct_plan {
        uint32_t call_id;
        size_t hdr_len, body_max, left, room;
        uint8_t *base;
        size_t next_left;                       /* the checked fragment's alloc_hint says */
        size_t taken;                           /* of room, taken from the budgets, unused */
};
int rpc_conn_direct_plan(struct rpc_conn *c, size_t max, struct rpc_direct_plan *pl);
int rpc_conn_direct_check(struct rpc_conn *c, const uint8_t *hdr, struct rpc_direct_plan *pl,
                          size_t body_len, bool last);
void rpc_conn_direct_commit(struct rpc_conn *c, const struct rpc_direct_plan *pl, size_t body_len,
                            bool last, struct buf *out);
void rpc_conn_direct_abort(struct rpc_conn *c, size_t body_len);
void rpc_conn_direct_done(struct rpc_conn *c, struct rpc_direct_plan *pl);
void rpc_conn_direct_trim(struct rpc_conn *c, const struct rpc_direct_plan *pl);
/* A fragment of the call did not come whole in time: no more drains for it (a peer
   trickling a fragment would have its bytes copied in and out at every event).  A call
   whose first fragment had not come (rpc_conn_direct_first) is dropped: that fragment
   goes through the reader as any other, and no first fragment is received in place
   until a request has been handled. */
void rpc_conn_direct_stop(struct rpc_conn *c, uint32_t call_id);
/*
 * A request's first fragment received in place as its later ones are: when the reader
 * holds the start of a large one (its header, part of its stub: the server's first read
 * of a PDU takes at most a few KiB), and alloc_hint says more fragments follow, the call
 * is set up as its first fragment would set it up, with nothing appended yet, and 1 is
 * returned: the drain that follows (rpc_conn_direct_plan) predicts that fragment itself,
 * checks it as it checks the others, and receives its stub straight into the call's
 * buffer.  0: not such a fragment, or not now (the reader takes it, the usual way).
 * rpc_conn_direct_end() drops a call whose first fragment did not come.
 */
int rpc_conn_direct_first(struct rpc_conn *c);
/*
 * A bulk caller's next call received in place from its first byte: when the connection
 * is idle (nothing in the reader, no call begun), holds the spare buffer of its last call
 * and that call's first fragment came in place, the next is predicted to look like it
 * (its fragment size, object flag and alloc_hint), and a call is set up with that guess
 * -- nothing of it known yet -- and 1 returned: the drain that follows reads the first
 * read of the call straight into the layout the guess predicts, and the first fragment's
 * header, when it comes, is checked as rpc_conn_direct_first checks one (its call id,
 * context, operation and object taken from it).  Bytes that are not such a fragment go
 * to the reader with everything after them (one copy, the usual answers), and no guess
 * is made again until a call's first fragment comes in place.  A guess nothing came for
 * is forgotten (rpc_conn_direct_end), the spare buffer kept.  0: no guess.
 */
int rpc_conn_direct_predict(struct rpc_conn *c);
void rpc_conn_direct_end(struct rpc_conn *c);

/* An association group ended (conn.c -> the owner-end hook). */
void rpc_owner_ended(uint64_t owner);

/* Whether a co_cancel or orphaned PDU for call_id waits behind the request (cancel.c). */
bool rpc_conn_cancelled(const struct rpc_conn *c, uint32_t call_id);

#endif /* DCOM_RPC_SERVER_H */
