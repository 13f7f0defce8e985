/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of the RPC client (client*.c) share: the binding handle.
 */
#ifndef RPC_CLIENT_INTERNAL_H
#define RPC_CLIENT_INTERNAL_H

#include "rpc/rpc-internal.h"

/* offered both ways in a bind; the server's smaller max_recv_frag bounds what we send
   (the server's conn-internal.h SERVER_MAX_FRAG) */
#define CLIENT_MAX_FRAG 65528
#define CLIENT_MAX_CONTEXTS 16
#define CLIENT_MAX_SEC 4                /* per-call security contexts beyond the binding's */

struct rpc_binding {
        struct ndr_binding nb;          /* first: the generated stubs' handle_t */
        struct rpc_string_binding sb;
        unsigned timeout_ms;
        uint64_t deadline_ms;           /* the call's end (CLOCK_MONOTONIC); 0: none */
        unsigned rcvtimeo_ms;           /* what the socket's SO_RCVTIMEO holds */
        uint64_t call_start_ms;         /* this call's start */
        uint64_t last_use_ms;           /* the previous call's start on this connection */
        pthread_mutex_t lock;
        int fd;                         /* -1: not connected */
        /* atomic: over ncalrpc, the pid of the process listening on the socket connected
           to (the kernel's word, SO_PEERCRED, as of its listen()); 0: none known */
        pid_t peer_pid;
        uint32_t next_call_id;
        uint16_t max_xmit, max_recv;
        uint32_t assoc_group;
        bool unique;                    /* RPC_C_OPT_UNIQUE_BINDING: an association of its own */
        bool in_group;                  /* counted in the shared groups' table */
        char ep[64];                    /* the endpoint connected to */
        struct {
                const struct ndr_interface *iface;
                uint16_t id;
        } ctx[CLIENT_MAX_CONTEXTS];
        unsigned n_ctx;
        uint16_t next_ctx_id;
        bool bound;                     /* bind_ack seen: more contexts by alter_context */
        uint32_t fault;                 /* the last fault's status */
        int last_error;
        /* security (rpc_binding_set_auth): the identity, and the connection's context */
        uint8_t auth_level, auth_type;  /* auth_level 0: none */
        char *auth_user, *auth_domain, *auth_password, *auth_target;
        uint8_t auth_imp;                       /* RPC_C_IMP_LEVEL_* of its identity */
        struct rpc_sec_ref sec;         /* sec.ctx non-NULL: negotiated on this connection */
        /* more security contexts on the connection, for per-call security (rpc_call_handle):
           each opened by an alter_context with its own auth_context_id */
        struct client_sec {
                struct rpc_sec_ref ref;
                char *user, *domain, *password; /* the identity it was opened for */
                uint8_t imp;
        } extra[CLIENT_MAX_SEC];
        unsigned n_extra;
        bool hdr_offered;               /* our bind offered PFC_SUPPORT_HEADER_SIGN */
        bool hdr_sign;                  /* the server answered PFC_SUPPORT_HEADER_SIGN */
        bool fault_protected;           /* the last call's fault came to a protected call */
        struct rpc_reader rd;           /* received bytes, framed into PDUs (reader.c) */
        struct buf sendbuf;             /* request PDUs, kept across calls */
};

/* rpc_client_trips()' counts, by enum rpc_protseq */
extern _Thread_local struct rpc_trips client_trips[RPC_PROTSEQ_LRPC + 1];

/* client.c */
void client_disconnect(struct rpc_binding *b);

/* client-connect.c */
int client_send_all(struct rpc_binding *b, const uint8_t *p, size_t n);
int client_sendv_all(struct rpc_binding *b, struct iovec *iov, int n);
int client_recv_pdu(struct rpc_binding *b, struct rpc_pdu *pdu);
void client_set_timeouts(int fd, unsigned ms);
/* A connection quiet this long is checked before a call reuses it (client_connect_checked). */
#define CLIENT_REUSE_CHECK_MS 1000
/* Connects b, or reconnects it when its quiet connection turns out closed. */
int client_connect_checked(struct rpc_binding *b, const struct ndr_interface *iface);
/* b connected for a call: on a connection in use (the common call), nothing to do. */
static inline int client_ensure_connected(struct rpc_binding *b, const struct ndr_interface *iface) {
        if (b->fd >= 0 && b->call_start_ms - b->last_use_ms < CLIENT_REUSE_CHECK_MS)
                return 0;
        return client_connect_checked(b, iface);
}
void client_group_key(const struct rpc_binding *b, char *key, size_t size);
uint32_t client_group_find(const char *key);
void client_group_left(const char *key, uint32_t group);
void client_group_set(const char *key, uint32_t group);
int client_resolve_endpoint(struct rpc_binding *b, const struct ndr_interface *iface,
                     char *ret, size_t size);

/* client-bind.c */
/* The presentation context bound for iface (one per abstract syntax): -ENOENT if none. */
int client_context_match(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t *ret);
/* The same, inline for the common call, whose interface is bound by this very pointer. */
static inline int client_context_for(struct rpc_binding *b, const struct ndr_interface *iface,
                                     uint16_t *ret) {
        for (unsigned i = 0; i < b->n_ctx; i++)
                if (b->ctx[i].iface == iface) {
                        *ret = b->ctx[i].id;
                        return 0;
                }
        return client_context_match(b, iface, ret);
}
int client_bind_context(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t *ret,
                 bool reuse, struct rpc_sec_ref *sec, const struct rpc_auth_identity *who);

#endif /* RPC_CLIENT_INTERNAL_H */
