/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC client: a binding handle (a string binding plus the connection it keeps), on
 * which dcomidl's generated client stubs run -- struct rpc_binding starts with the
 * struct ndr_binding they take as handle_t.  A call connects if needed (ncacn_ip_tcp or
 * ncalrpc; a binding without an endpoint asks the endpoint mapper, through ept_map, on
 * port 135 or ncalrpc:[epmapper]), binds the interface's presentation context (bind
 * first, alter_context after), sends the request in fragments of the negotiated size,
 * and reassembles the response.  One call at a time per binding; the connection is
 * reused until it fails.  Errors: the transport's (-ECONNREFUSED: the RPC server is
 * unavailable; -ECONNRESET: the call failed), -ETIMEDOUT, -EPROTO for a peer breaking
 * the protocol, -EREMOTEIO for a fault (rpc_binding_fault() has its status);
 * rpc_binding_status() gives the RPC_STATUS a Windows caller would see.
 */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/errno-status.h"
#include "ndr/ndr-internal.h"
#include "epm_stub.h"

#include "client-internal.h"

static LOG_CHANNEL(rpc);

/* --- binding handles ---------------------------------------------------------------------- */

static int client_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                       struct ndr_push *in, struct ndr_pull *out, struct arena *arena);

_Thread_local struct rpc_trips client_trips[RPC_PROTSEQ_LRPC + 1];

/* Where a binding handle's calls go (ndr_binding_iface_ctx): ncalrpc reaches this
   machine -- this very process when the socket's listener is ours, as the server decides
   it of us (server.c conn_start) -- and TCP, as far as we know, another.  Before its
   first connection a binding's [in] pointers go as to another process: the server takes
   those from itself as well (not the other way round). */
static pid_t self_pid;          /* getpid(), kept: a system call otherwise */

static enum ndr_iface_ctx binding_iface_ctx(const struct ndr_binding *nb) {
        const struct rpc_binding *b = nb->ctx;

        if (b->sb.protseq != RPC_PROTSEQ_LRPC)
                return NDR_IFACE_REMOTE;
        /* (a forked child holding its parent's connection is not the listener) */
        pid_t p = __atomic_load_n(&b->peer_pid, __ATOMIC_ACQUIRE);
        return p && p == __atomic_load_n(&self_pid, __ATOMIC_RELAXED) ? NDR_IFACE_INPROC
                                                                       : NDR_IFACE_LOCAL;
}

static void self_pid_reset(void) {
        __atomic_store_n(&self_pid, getpid(), __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void binding_kind_register(void) {
        self_pid_reset();
        (void)pthread_atfork(NULL, NULL, self_pid_reset);
        ndr_binding_kind_register(client_call, binding_iface_ctx);
}

void rpc_client_trips(enum rpc_protseq protseq, struct rpc_trips *ret) {
        *ret = (unsigned)protseq <= RPC_PROTSEQ_LRPC ? client_trips[protseq] : (struct rpc_trips){ 0 };
}

int rpc_binding_from_string(const char *s, struct rpc_binding **ret) {
        struct rpc_binding *b = dcom_calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        r = rpc_string_binding_parse(s, &b->sb);
        if (r < 0) {
                dcom_free(b);
                return r;
        }
        b->nb.call = client_call;
        b->nb.ctx = b;
        b->fd = -1;
        b->timeout_ms = 30000;
        b->next_call_id = 1;
        b->next_ctx_id = 0;
        pthread_mutex_init(&b->lock, NULL);
        *ret = b;
        return 0;
}

static void free_secret(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                dcom_free(s);
        }
}

static void sec_end(struct rpc_binding *b) {
        if (b->sec.ctx)
                b->sec.ops->free(b->sec.ctx);
        b->sec.ctx = NULL;
        for (unsigned i = 0; i < b->n_extra; i++) {
                struct client_sec *e = &b->extra[i];
                if (e->ref.ctx)
                        e->ref.ops->free(e->ref.ctx);
                dcom_free(e->user);
                dcom_free(e->domain);
                free_secret(e->password);
        }
        b->n_extra = 0;
}

void client_disconnect(struct rpc_binding *b) {
        if (b->fd >= 0)
                close(b->fd);
        b->fd = -1;
        __atomic_store_n(&b->peer_pid, 0, __ATOMIC_RELEASE);
        b->hdr_sign = b->hdr_offered = false;
        sec_end(b);     /* a security context lives and dies with its connection */
        b->n_ctx = 0;
        b->next_ctx_id = 0;
        b->bound = false;
        if (b->in_group) {
                char key[400];
                client_group_key(b, key, sizeof key);
                client_group_left(key, b->assoc_group);
                b->in_group = false;
        }
        /* the association group ended with its last connection: a new connection must
           not ask to join it (a restarted server would refuse, or worse, know the id) */
        b->assoc_group = 0;
}

bool rpc_binding_connection_lost(struct rpc_binding *b) {
        bool lost = true;

        pthread_mutex_lock(&b->lock);
        if (b->fd >= 0) {
                uint8_t c;
                ssize_t n = recv(b->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
                lost = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
                if (lost)
                        client_disconnect(b);
        }
        pthread_mutex_unlock(&b->lock);
        return lost;
}

uint32_t rpc_binding_assoc_group(struct rpc_binding *b) {
        uint32_t g;

        pthread_mutex_lock(&b->lock);
        g = b->fd >= 0 && b->bound ? b->assoc_group : 0;
        pthread_mutex_unlock(&b->lock);
        return g;
}

static void auth_clear(struct rpc_binding *b) {
        free_secret(b->auth_password);
        dcom_free(b->auth_user);
        dcom_free(b->auth_domain);
        dcom_free(b->auth_target);
        b->auth_password = b->auth_user = b->auth_domain = b->auth_target = NULL;
        b->auth_level = b->auth_type = 0;
}

int rpc_binding_set_auth(struct rpc_binding *b, uint8_t level, uint8_t authn_svc,
                         const struct rpc_auth_identity *id) {
        const struct rpc_auth_ops *ops = NULL;
        int r = 0;

        if (!b || level > RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return -EINVAL;
        if (level > RPC_AUTHN_LEVEL_NONE) {
                rpc_auth_register_defaults();
                ops = rpc_auth_find(authn_svc);
                if (!ops || !ops->init || !ops->init_step)
                        return -EPROTONOSUPPORT;
        }
        pthread_mutex_lock(&b->lock);
        client_disconnect(b);
        auth_clear(b);
        if (ops) {
                b->auth_level = level < RPC_AUTHN_LEVEL_CONNECT ? RPC_AUTHN_LEVEL_CONNECT
                                                                : rpc_authn_level_client(level);
                b->auth_type = authn_svc;
                b->auth_user = dcom_strdup(id && id->user ? id->user : "");
                b->auth_domain = dcom_strdup(id && id->domain ? id->domain : "");
                b->auth_password = dcom_strdup(id && id->password ? id->password : "");
                if (id && id->target)
                        b->auth_target = dcom_strdup(id->target);
                b->auth_imp = id ? id->imp_level : 0;
                if (!b->auth_user || !b->auth_domain || !b->auth_password ||
                    (id && id->target && !b->auth_target)) {
                        auth_clear(b);
                        r = -ENOMEM;
                }
        }
        pthread_mutex_unlock(&b->lock);
        return r;
}

void rpc_binding_free(struct rpc_binding *b) {
        if (!b)
                return;
        client_disconnect(b);
        auth_clear(b);
        pthread_mutex_destroy(&b->lock);
        rpc_reader_free(&b->rd);
        buf_free(&b->sendbuf);
        dcom_free(b);
}

void rpc_binding_set_timeout(struct rpc_binding *b, unsigned ms) {
        pthread_mutex_lock(&b->lock);
        b->timeout_ms = ms;
        if (b->fd >= 0) {
                client_set_timeouts(b->fd, ms);
                b->rcvtimeo_ms = ms;
        }
        pthread_mutex_unlock(&b->lock);
}

uint32_t rpc_binding_fault(const struct rpc_binding *b) {
        return b->fault;
}

const struct rpc_string_binding *rpc_binding_string(const struct rpc_binding *b) {
        return &b->sb;
}

RPC_STATUS rpc_binding_status(const struct rpc_binding *b, int err) {
        if (err == -EREMOTEIO && b)     /* the fault the server sent */
                return dcom_status_from_fault(b->fault);
        return dcom_rpc_status_from_errno(err);
}

/* --- calls -------------------------------------------------------------------------------- */

/*
 * Signed or sealed fragments (made in the send buffer) go out in batches of about
 * 256 KiB: one send() per fragment of a 1 MiB request was 180 system calls (and as many
 * wake-ups of the server), most of its time.  Plain ones go 64 fragments a sendmsg
 * (rpc_frag_write).
 */
#define SEND_BATCH (256u << 10)

static int send_one(void *ctx, const uint8_t *p, size_t n) {
        return client_send_all(ctx, p, n);
}

static int send_gathered(void *ctx, struct iovec *iov, int n) {
        return client_sendv_all(ctx, iov, n);
}

/* What a call asks for besides the binding: its object UUID, its own security. */
struct call_opts {
        const GUID *object;             /* NULL: none */
        uint8_t auth_level, auth_type;  /* auth_level 0: the binding's security */
        const struct rpc_auth_identity *auth;
        struct rpc_cancel_token *cancel;        /* the layer above's (cancel.c); NULL */
        bool *sent;                     /* set once the request may have left (NULL: not asked) */
};

static bool same_str(const char *a, const char *b) {
        return strcmp(a ? a : "", b ? b : "") == 0;
}

/*
 * The security context of a call with its own security: one of the connection's, or a
 * new one opened by an alter_context for iface's presentation context ([MS-RPCE]
 * 3.3.1.5.2: a connection holds several, each under its own auth_context_id).
 */
static int call_sec(struct rpc_binding *b, const struct call_opts *o,
                    const struct ndr_interface *iface, uint16_t ctx_id,
                    struct rpc_sec_ref **ret) {
        const char *user = o->auth ? o->auth->user : NULL, *dom = o->auth ? o->auth->domain : NULL;
        const char *pw = o->auth ? o->auth->password : NULL;
        struct client_sec *e;
        int r;

        /* the same identity -- password included: another password is another logon */
        uint8_t imp = o->auth ? o->auth->imp_level : 0;
        if (b->auth_level && b->sec.ctx && b->sec.type == o->auth_type &&
            b->sec.level == o->auth_level && b->auth_imp == imp && same_str(b->auth_user, user) &&
            same_str(b->auth_domain, dom) && same_str(b->auth_password, pw)) {
                *ret = &b->sec;
                return 0;
        }
        for (unsigned i = 0; i < b->n_extra; i++) {
                e = &b->extra[i];
                if (e->ref.type == o->auth_type && e->ref.level == o->auth_level &&
                    e->imp == imp && same_str(e->user, user) && same_str(e->domain, dom) &&
                    same_str(e->password, pw)) {
                        *ret = &e->ref;
                        return 0;
                }
        }
        if (b->n_extra >= CLIENT_MAX_SEC)
                return -ENOSPC;
        e = &b->extra[b->n_extra];
        memset(e, 0, sizeof *e);
        e->user = dcom_strdup(user ? user : "");
        e->domain = dcom_strdup(dom ? dom : "");
        e->password = dcom_strdup(pw ? pw : "");
        if (!e->user || !e->domain || !e->password) {
                dcom_free(e->user);
                dcom_free(e->domain);
                free_secret(e->password);
                return -ENOMEM;
        }
        e->ref.type = o->auth_type;
        e->ref.level = o->auth_level;
        e->imp = imp;
        b->n_extra++;
        r = client_bind_context(b, iface, &ctx_id, true, &e->ref, o->auth);
        if (r < 0)
                return r;       /* the connection goes, and the half-made context with it */
        *ret = &e->ref;
        return 0;
}

/*
 * Whether a plain request of stub_len bytes is one fragment: the fragment writer's
 * reckoning (rpc_frag_writev), for a stub nothing is added to.
 */
static bool plain_one_fragment(uint16_t max_xmit, const GUID *object, size_t stub_len) {
        size_t head = RPC_CO_HEADER_SIZE + 8 + (object ? 16 : 0);

        return stub_len <= rpc_frag_room(max_xmit, head, 0) && head + stub_len <= UINT16_MAX;
}

/* A small request is copied behind its header and goes out in one send(); a larger one
   goes out from the push buffer, behind its header, in one sendmsg (no copy). */
#define PLAIN_COPY_MAX 1024

/*
 * The common request -- one fragment, nothing to sign or seal, the stub in one piece --
 * sent without the fragment writer: its header made on the stack, the stub sent from
 * where the NDR push left it.  The bytes are the fragment writer's (rpc_frag_writev).
 */
static int send_plain_request(struct rpc_binding *b, uint32_t call_id, uint16_t ctx_id,
                              uint16_t opnum, const GUID *object, const uint8_t *stub,
                              size_t stub_len) {
        uint8_t pdu[PLAIN_COPY_MAX];
        size_t head = RPC_CO_HEADER_SIZE + 8 + (object ? 16 : 0);
        uint8_t flags = RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG | (object ? RPC_PFC_OBJECT_UUID : 0);

        rpc_hdr_write(pdu, RPC_PTYPE_REQUEST, flags, (uint16_t)(head + stub_len), 0, call_id);
        /* [C706] 12.6.4.9: alloc_hint (the whole stub), p_cont_id, opnum, the object */
        dcom_put_le64(pdu + 16, (uint64_t)stub_len | (uint64_t)ctx_id << 32 | (uint64_t)opnum << 48);
        if (object)
                dcom_guid_to_wire(object, pdu + 24);
        if (head + stub_len <= sizeof pdu) {
                if (stub_len)
                        memcpy(pdu + head, stub, stub_len);
                return client_send_all(b, pdu, head + stub_len);
        }
        struct iovec iov[2] = { { pdu, head }, { (void *)(uintptr_t)stub, stub_len } };
        return client_sendv_all(b, iov, 2);
}

/*
 * Any other request: its fragments made by the fragment writer (rpc_frag_writev), which
 * gathers them in the binding's send buffer and sends them SEND_BATCH at a time from where
 * they were made (a single fragment at once); unprotected, only their headers are made
 * there, and the stub goes out from in (sendmsg).  *ret_cs: the call's cancel slot, once
 * anything of it may have gone out.
 */
static int send_fragments(struct rpc_binding *b, struct ndr_push *in,
                          const struct rpc_frag_spec *f, size_t stub_len,
                          struct rpc_cancel_token *cancel, struct cancel_slot **ret_cs) {
        struct buf pdu = b->sendbuf;    /* kept across calls */
        int r;

        /* the stub's pieces: buf's bytes and the arrays referenced between them */
        struct iovec few[8], *pieces = few;
        size_t n_pieces = ndr_push_stub_iov(in, few, 8);
        if (n_pieces > 8) {
                if (!(pieces = dcom_reallocarray(NULL, n_pieces, sizeof *pieces)))
                        return -ENOMEM;
                ndr_push_stub_iov(in, pieces, n_pieces);
        }
        buf_clear(&pdu);
        *ret_cs = rpc_cancel_begin(b->fd, f->call_id, cancel);
        r = rpc_frag_writev(&pdu, f, pieces, (int)n_pieces, stub_len);
        if (pieces != few)
                dcom_free(pieces);
        if (pdu.cap > 65536 || pdu.error) {
                buf_free(&pdu);
                buf_init(&pdu, 0);
        }
        b->sendbuf = pdu;
        return r;
}

static int do_call(struct rpc_binding *b, const struct call_opts *o,
                   const struct ndr_interface *iface, uint16_t opnum, struct ndr_push *in,
                   struct ndr_pull *out, struct arena *arena) {
        const GUID *object = o->object;
        struct rpc_sec_ref *sec = &b->sec;
        uint16_t ctx_id;
        int r;

        if ((r = client_ensure_connected(b, iface)) < 0)
                return r;
        if (client_context_for(b, iface, &ctx_id) < 0) {
                /* the first bind opens the binding's own security context */
                struct rpc_auth_identity who = {
                        .user = b->auth_user, .domain = b->auth_domain,
                        .password = b->auth_password, .target = b->auth_target,
                        .imp_level = b->auth_imp,
                };
                bool open = !b->bound && b->auth_level;
                bool first = !b->bound, shared = false;
                char key[400];
                if (first && !b->unique) {
                        client_group_key(b, key, sizeof key);
                        if (!b->assoc_group && (b->assoc_group = client_group_find(key)))
                                shared = true;
                }
                if (open) {
                        b->sec.type = b->auth_type;
                        b->sec.level = b->auth_level;
                }
                r = client_bind_context(b, iface, &ctx_id, false, open ? &b->sec : NULL, &who);
                if (r == -ECONNREFUSED && shared) {
                        /* the server forgot the group: a new one, on the same connection */
                        log_debug(rpc, "association group 0x%x gone: a new one", b->assoc_group);
                        client_group_set(key, 0);
                        b->assoc_group = 0;
                        if (open)
                                sec_end(b);
                        r = client_bind_context(b, iface, &ctx_id, false, open ? &b->sec : NULL, &who);
                }
                if (r < 0)
                        return r;
                if (first && !b->unique) {
                        client_group_set(key, b->assoc_group);
                        b->in_group = b->assoc_group != 0;
                }
        }
        if (o->auth_level && (r = call_sec(b, o, iface, ctx_id, &sec)) < 0)
                return r;

        /* the request, in fragments ([C706] 12.6.4.9) */
        uint32_t call_id = b->next_call_id++;
        bool protect = sec->ops && rpc_sec_protects(sec);      /* (no provider: the common call) */
        /* signed or sealed, the stub is made whole: the provider works in place */
        if (protect && (r = ndr_push_flatten(in)) < 0)
                return r;
        /* the request's own bytes, as they were before the trailer: what a call made again
           with the same request (a message filter's retry) starts from */
        size_t in_len = in->buf.len;
        if (protect) {
                /* [MS-RPCE] 2.2.2.13: the verification trailer ends the stub */
                struct rpc_vt_call vt = {
                        .abstract = { iface->uuid, iface->ver_major, iface->ver_minor },
                        .transfer = rpc_syntax_ndr20,
                        .call_id = call_id, .context_id = ctx_id, .opnum = opnum,
                        .header_signing = b->hdr_offered,
                };
                memcpy(vt.drep, ndr_drep_le, 4);
                rpc_sec_vt_append(&in->buf, in->base, &vt);
                if (in->buf.error)
                        return -ENOMEM;
        }
        size_t stub_len = ndr_push_offset(in);
        struct cancel_slot *cs = NULL;
        /* from here some of it may reach the server (a send that fails part way) */
        if (o->sent)
                *o->sent = true;
        if (!protect && !in->n_refs && plain_one_fragment(b->max_xmit, object, stub_len)) {
                cs = rpc_cancel_begin(b->fd, call_id, o->cancel);
                r = send_plain_request(b, call_id, ctx_id, opnum, object,
                                       stub_len ? in->buf.data + in->base : NULL, stub_len);
        } else {
                struct rpc_frag_spec f = {
                        .ptype = RPC_PTYPE_REQUEST, .call_id = call_id, .context_id = ctx_id,
                        .opnum = opnum, .object = object, .max_xmit = b->max_xmit, .sec = sec,
                        .emit = send_one, .emit_ctx = b, .flush_at = SEND_BATCH,
                        .emitv = send_gathered,
                };
                r = send_fragments(b, in, &f, stub_len, o->cancel, &cs);
        }
        in->buf.len = in_len;           /* (the trailer was this call's, written out) */
        if (r >= 0)
                r = rpc_cancel_sent(cs, &b->deadline_ms);
        if (r < 0)
                return rpc_cancel_end(cs, r);
        client_trips[b->sb.protseq].requests++;

        /* the response, reassembled in the call's arena */
        struct buf resp = { .max = NDR_CLIENT_CALL_MAX };       /* buf_init's, without a call */
        uint8_t drep[4];
        for (bool first = true;; first = false) {
                struct rpc_pdu p;
                if ((r = client_recv_pdu(b, &p)) < 0)
                        break;
                if (p.hdr.ptype == RPC_PTYPE_SHUTDOWN) {
                        r = -ECONNRESET;        /* [C706] 12.6.4.11: the server is closing */
                        break;
                }
                if (p.hdr.call_id != call_id) {
                        r = -EPROTO;
                        break;
                }
                if (p.hdr.ptype == RPC_PTYPE_FAULT) {
                        r = rpc_fault_parse(&p) < 0 ? -EPROTO : -EREMOTEIO;
                        if (r == -EREMOTEIO)
                                b->fault = p.status;
                        b->fault_protected = protect;
                        break;
                }
                if (p.hdr.ptype != RPC_PTYPE_RESPONSE || rpc_response_parse(&p) < 0 ||
                    (first && !(p.hdr.pfc_flags & RPC_PFC_FIRST_FRAG))) {
                        r = -EPROTO;
                        break;
                }
                if (protect && rpc_sec_open_fragment(&p, (uint8_t *)p.raw, sec) < 0) {
                        /* the receive buffer is ours: opened in place */
                        log_debug(rpc, "response %u failed verification", call_id);
                        r = -EACCES;
                        break;
                }
                if (first)
                        memcpy(drep, p.hdr.drep, 4);
                if (first && (p.hdr.pfc_flags & RPC_PFC_LAST_FRAG)) {
                        /* one fragment (the common case): straight into the arena */
                        uint8_t *copy = arena_alloc(arena, p.stub_len ? p.stub_len : 1);
                        if (!copy) {
                                r = -ENOMEM;
                                break;
                        }
                        memcpy(copy, p.stub_len ? p.stub : (const uint8_t *)"", p.stub_len);
                        /* (resp is still empty: nothing to free) */
                        return rpc_cancel_end(cs, ndr_pull_init(out, copy, p.stub_len, drep, arena));
                }
                buf_append(&resp, p.stub, p.stub_len);
                if (resp.error) {
                        r = -E2BIG;
                        break;
                }
                if (p.hdr.pfc_flags & RPC_PFC_LAST_FRAG)
                        break;
        }
        if (r >= 0) {
                uint8_t *stub_copy = arena_alloc(arena, resp.len ? resp.len : 1);
                if (!stub_copy)
                        r = -ENOMEM;
                else {
                        memcpy(stub_copy, resp.data ? resp.data : (const uint8_t *)"", resp.len);
                        r = ndr_pull_init(out, stub_copy, resp.len, drep, arena);
                }
        }
        buf_free(&resp);
        return rpc_cancel_end(cs, r);
}

/* One call on b, with object as PFC_OBJECT_UUID (NULL: none); b->lock is taken. */
static int binding_call(struct rpc_binding *b, const struct call_opts *o,
                        const struct ndr_interface *iface, uint16_t opnum, struct ndr_push *in,
                        struct ndr_pull *out, struct arena *arena, uint32_t *ret_fault) {
        int r;

        pthread_mutex_lock(&b->lock);
        /* one clock read per call: the deadline and the quiet-connection check share it */
        b->call_start_ms = dcom_monotonic_ms();
        b->deadline_ms = b->timeout_ms ? b->call_start_ms + b->timeout_ms : 0;
        if (b->fd >= 0 && b->rcvtimeo_ms != b->timeout_ms) {
                client_set_timeouts(b->fd, b->timeout_ms);     /* a previous call lowered it */
                b->rcvtimeo_ms = b->timeout_ms;
        }
        r = do_call(b, o, iface, opnum, in, out, arena);
        b->last_use_ms = b->call_start_ms;      /* a long call only makes the check likelier */
        /* a fault leaves the connection usable; anything else ends it -- and so does a
           fault to a signed or sealed call: faults carry no verifier we check, so one
           forged in the middle must not leave the sequence numbers out of step */
        if (r < 0 && ((r != -EREMOTEIO && r != -ENXIO) || b->fault_protected))
                client_disconnect(b);
        b->fault_protected = false;
        b->last_error = r;
        if (ret_fault)
                *ret_fault = r == -EREMOTEIO ? b->fault : 0;
        pthread_mutex_unlock(&b->lock);
        return r;
}

static int client_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                       struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        struct rpc_binding *b = nb->ctx;

        struct call_opts o = { .object = b->sb.has_object ? &b->sb.object : NULL };

        return binding_call(b, &o, iface, opnum, in, out, arena, NULL);
}

/* --- per-call handles ---------------------------------------------------------------------- */

static int handle_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                       struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        struct rpc_call_handle *h = nb->ctx;
        struct call_opts o = {
                .object = h->has_object ? &h->object
                          : h->b->sb.has_object ? &h->b->sb.object : NULL,
                .auth_level = h->auth_level, .auth_type = h->auth_type, .auth = &h->auth,
                .cancel = h->cancel, .sent = &h->sent,
        };

        h->fault = 0;
        h->sent = false;
        h->last_error = binding_call(h->b, &o, iface, opnum, in, out, arena, &h->fault);
        return h->last_error;
}

int rpc_call_handle_set_auth(struct rpc_call_handle *h, uint8_t level, uint8_t authn_svc,
                             const struct rpc_auth_identity *id) {
        const struct rpc_auth_ops *ops;

        if (level == RPC_AUTHN_LEVEL_NONE || level == 0) {
                h->auth_level = 0;
                return 0;
        }
        /* below PKT (CALL is sent as PKT) a request carries no verifier naming its context */
        level = rpc_authn_level_client(level);
        if (level < RPC_AUTHN_LEVEL_PKT || level > RPC_AUTHN_LEVEL_PKT_PRIVACY || !id)
                return -EINVAL;
        rpc_auth_register_defaults();
        ops = rpc_auth_find(authn_svc);
        if (!ops || !ops->init || !ops->init_step)
                return -EPROTONOSUPPORT;
        h->auth_level = level;
        h->auth_type = authn_svc;
        h->auth = *id;
        return 0;
}

void rpc_call_handle_init(struct rpc_call_handle *h, struct rpc_binding *b, const GUID *object) {
        memset(h, 0, sizeof *h);
        h->nb.call = handle_call;
        h->nb.ctx = h;
        h->b = b;
        if (object) {
                h->has_object = true;
                h->object = *object;
        }
}

/* --- for the public API (api.c) ------------------------------------------------------------ */

bool rpc_binding_is(const void *h) {
        return h && ((const struct ndr_binding *)h)->call == client_call;
}

int rpc_binding_resolve(struct rpc_binding *b, const struct ndr_interface *iface) {
        char ep[64];
        int r;

        if (b->sb.endpoint[0])
                return 0;
        r = client_resolve_endpoint(b, iface, ep, sizeof ep);
        if (r < 0)
                return r;
        pthread_mutex_lock(&b->lock);
        snprintf(b->sb.endpoint, sizeof b->sb.endpoint, "%s", ep);
        pthread_mutex_unlock(&b->lock);
        return 0;
}

void rpc_binding_set_object(struct rpc_binding *b, const GUID *object) {
        pthread_mutex_lock(&b->lock);
        b->sb.has_object = object && !dcom_guid_is_null(object);
        b->sb.object = b->sb.has_object ? *object : (GUID){ 0 };
        pthread_mutex_unlock(&b->lock);
}

void rpc_binding_reset_endpoint(struct rpc_binding *b) {
        pthread_mutex_lock(&b->lock);
        client_disconnect(b);
        b->sb.endpoint[0] = 0;
        pthread_mutex_unlock(&b->lock);
}

int rpc_binding_copy(struct rpc_binding *b, struct rpc_binding **ret) {
        struct rpc_binding *c;
        char *s;
        int r;

        s = rpc_string_binding_compose(&b->sb);
        if (!s)
                return -ENOMEM;
        r = rpc_binding_from_string(s, &c);
        free(s);
        if (r < 0)
                return r;
        pthread_mutex_lock(&b->lock);
        c->timeout_ms = b->timeout_ms;
        c->unique = b->unique;
        uint8_t level = b->auth_level, type = b->auth_type;
        struct rpc_auth_identity id = { b->auth_user, b->auth_domain, b->auth_password,
                                        b->auth_target, b->auth_imp };
        r = level ? rpc_binding_set_auth(c, level, type, &id) : 0;
        pthread_mutex_unlock(&b->lock);
        if (r < 0) {
                rpc_binding_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int rpc_binding_auth_identity(struct rpc_binding *b, char *user, char *domain, char *password,
                              size_t size) {
        int r = -ENOENT;

        pthread_mutex_lock(&b->lock);
        if (b->auth_level && b->auth_user && b->auth_domain && b->auth_password &&
            strlen(b->auth_user) < size && strlen(b->auth_domain) < size &&
            strlen(b->auth_password) < size) {
                strcpy(user, b->auth_user);
                strcpy(domain, b->auth_domain);
                strcpy(password, b->auth_password);
                r = 0;
        }
        pthread_mutex_unlock(&b->lock);
        return r;
}

void rpc_binding_auth_info(struct rpc_binding *b, uint8_t *ret_level, uint8_t *ret_type) {
        pthread_mutex_lock(&b->lock);
        *ret_level = b->auth_level;
        *ret_type = b->auth_type;
        pthread_mutex_unlock(&b->lock);
}
