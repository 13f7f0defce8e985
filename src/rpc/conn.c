/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's connection-oriented protocol engine ([C706] 12, [MS-RPCE] 3.3.1): bytes
 * in, PDUs out, no sockets -- server.c feeds it what a connection reads and writes back
 * what it produces, and the fuzzer feeds it directly.
 *
 * A connection binds presentation contexts (bind, then alter_context), answering each
 * ([C706] 12.6.3.1 p_cont_def_result): NDR 2.0 accepted, anything else (NDR64) declined,
 * [MS-RPCE] 3.3.1.5.3's bind time feature negotiation acknowledged.  It joins an
 * association group (new with a random id, or the one a bind names over the same
 * transport), which owns the context handles of its calls -- each tied to the interface
 * that made it, held by one call at a time -- and runs them down when its last
 * connection goes.  Requests are reassembled
 * per call_id (bounded in number and bytes, alloc_hint never trusted), dispatched to the
 * registered interface's generated stub with a capped arena, and the response is cut
 * into fragments of the negotiated size.  Malformed input is answered with a fault or a
 * bind_nak where the protocol has one, and otherwise closes the connection; nothing a
 * peer sends makes memory grow past the bounds below.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "rpc/rpc-server.h"
#ifdef DCOM_HAVE_GSSAPI
#include "rpc/auth/gss-rpc.h"
#endif

static LOG_CHANNEL(rpc);

#define SERVER_MAX_FRAG 5840            /* what Windows offers on TCP */
#define MUST_RECV_FRAG 1432             /* [C706] 12.6.3.1: the least a peer may offer */
#define MAX_PARTIAL_CALLS 8             /* requests being reassembled at once */
#define MAX_REQUEST_STUB (4u << 20)     /* one request's stub, reassembled */
#define CALL_ARENA_MAX (16u << 20)      /* one call's [in] and [out] data */
#define MAX_RESPONSE_STUB (16u << 20)
#define MAX_HANDLES_PER_ASSOC 4096

/* --- association groups and their context handles ([C706] 12.4, ndr_context_handle) ------ */

/*
 * A context handle is shared by every connection of its association group, and those
 * connections' calls run on pool threads at once: a handle is reference counted (one
 * for the group's table, one per call holding it) and a call holds it "busy" from the
 * lookup of its [in] value to the end of the call, so that calls on one handle run one
 * after the other (as Windows serializes them) and no call frees an object another one
 * is using.
 */
struct ctx_handle {
        struct ctx_handle *next;
        GUID uuid;
        void *obj;
        void (*rundown)(void *obj);
        const struct ndr_interface *iface;      /* the interface whose call made it */
        unsigned refs;                          /* the table's + the calls' (a->lock) */
        bool busy;                              /* a call holds it */
};

#define CALL_MAX_HANDLES 8              /* context handles one call may hold */

/* A call's view of its group's table: what it holds, released when the call ends. */
struct call_contexts {
        struct ndr_context_table table;
        struct rpc_assoc *assoc;
        const struct ndr_interface *iface;
        struct ctx_handle *held[CALL_MAX_HANDLES];
        unsigned n_held;
};

static struct call_contexts *call_contexts_of(struct ndr_context_table *t) {
        return CONTAINING_RECORD(t, struct call_contexts, table);
}

static struct ctx_handle *handle_find_locked(struct rpc_assoc *a, const GUID *uuid,
                                             struct ctx_handle ***ret_pp) {
        struct ctx_handle **pp;

        for (pp = &a->handles; *pp; pp = &(*pp)->next)
                if (dcom_guid_equal(&(*pp)->uuid, uuid))
                        break;
        if (ret_pp)
                *ret_pp = pp;
        return *pp;
}

static bool call_holds(const struct call_contexts *cc, const struct ctx_handle *h) {
        for (unsigned i = 0; i < cc->n_held; i++)
                if (cc->held[i] == h)
                        return true;
        return false;
}

/*
 * An [in] handle: -ESTALE (nca_s_fault_context_mismatch) for one the group does not
 * have, or that another interface made; a handle busy in another call is waited for,
 * unless this call already holds one (two calls each waiting for the other's handle
 * would never end), which is a context mismatch too.
 */
static int call_lookup(struct ndr_context_table *t, const struct ndr_context_handle *wire,
                       void **ret) {
        struct call_contexts *cc = call_contexts_of(t);
        struct rpc_assoc *a = cc->assoc;
        int r;

        pthread_mutex_lock(&a->lock);
        for (;;) {
                struct ctx_handle *h = handle_find_locked(a, &wire->uuid, NULL);

                r = -ESTALE;
                if (!h || h->iface != cc->iface)
                        break;
                if (call_holds(cc, h)) {
                        *ret = h->obj;
                        r = 0;
                        break;
                }
                if (!h->busy) {
                        if (cc->n_held >= CALL_MAX_HANDLES)
                                break;
                        h->busy = true;
                        h->refs++;
                        cc->held[cc->n_held++] = h;
                        *ret = h->obj;
                        r = 0;
                        break;
                }
                if (cc->n_held)
                        break;
                /* h may be closed meanwhile: it is looked up again when woken */
                pthread_cond_wait(&a->released, &a->lock);
        }
        pthread_mutex_unlock(&a->lock);
        return r;
}

static void handle_unref_locked(struct ctx_handle *h) {
        if (--h->refs == 0)
                dcom_free(h);
}

static int call_store(struct ndr_context_table *t, void *obj, struct ndr_context_handle *wire,
                      void (*rundown)(void *)) {
        struct call_contexts *cc = call_contexts_of(t);
        struct rpc_assoc *a = cc->assoc;
        struct ctx_handle **pp, *h = NULL;
        bool fresh = false;
        int r = 0;

        pthread_mutex_lock(&a->lock);
        if (!ndr_context_handle_is_null(wire))
                h = handle_find_locked(a, &wire->uuid, &pp);
        if (h) {
                if (h->iface != cc->iface) {
                        r = -ESTALE;
                } else if (obj) {
                        h->obj = obj;
                } else {        /* closed: out of the table; freed when no call holds it */
                        *pp = h->next;
                        h->next = NULL;
                        a->n_handles--;
                        handle_unref_locked(h);
                        memset(wire, 0, sizeof *wire);
                }
        } else if (!obj) {
                memset(wire, 0, sizeof *wire);
        } else if (!ndr_context_handle_is_null(wire)) {
                r = -ESTALE;
        } else {
                fresh = true;
                if (a->n_handles >= MAX_HANDLES_PER_ASSOC) {
                        r = -ENOSPC;
                } else if (!(h = dcom_calloc(1, sizeof *h))) {
                        r = -ENOMEM;
                } else if ((r = dcom_guid_generate(&h->uuid)) < 0) {
                        dcom_free(h);
                } else {
                        h->obj = obj;
                        h->rundown = rundown;
                        h->iface = cc->iface;
                        h->refs = 1;
                        h->next = a->handles;
                        a->handles = h;
                        a->n_handles++;
                        wire->attributes = 0;
                        wire->uuid = h->uuid;
                }
        }
        pthread_mutex_unlock(&a->lock);
        /* a new object the table cannot keep would leak: it is run down at once */
        if (r < 0 && fresh && rundown)
                rundown(obj);
        return r;
}

/* The call ended: its handles are free for the next call (and freed if closed). */
static void call_contexts_release(struct call_contexts *cc) {
        struct rpc_assoc *a = cc->assoc;

        if (!cc->n_held)
                return;
        pthread_mutex_lock(&a->lock);
        for (unsigned i = 0; i < cc->n_held; i++) {
                cc->held[i]->busy = false;
                handle_unref_locked(cc->held[i]);
        }
        cc->n_held = 0;
        pthread_cond_broadcast(&a->released);
        pthread_mutex_unlock(&a->lock);
}

/*
 * A fresh group id: random, so that a peer cannot guess another client's group and join
 * it (ids were sequential), never 0 and not in use.  srv->lock held.
 */
static int assoc_new_id_locked(struct rpc_server *srv, uint32_t *ret) {
        for (int tries = 0; tries < 16; tries++) {
                uint32_t id;
                struct rpc_assoc *a;

                if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
                        return -EIO;
                id &= 0x7fffffff;       /* positive: some peers keep it in an int */
                for (a = srv->assocs; a && a->id != id; a = a->next)
                        ;
                if (id && !a) {
                        *ret = id;
                        return 0;
                }
        }
        return -EAGAIN;
}

bool rpc_peer_same(const struct rpc_peer *a, const struct rpc_peer *b) {
        if (a->has_cred || b->has_cred)
                return a->has_cred && b->has_cred && a->uid == b->uid;
        return a->family == b->family && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/*
 * Joins group id (0: a new one); NULL if the id is unknown, belongs to another
 * transport or another peer (a TCP peer must not join a local client's group, nor
 * another local user join it: the group owns the local client's endpoint
 * registrations), or memory is short.
 */
static struct rpc_assoc *assoc_join(struct rpc_server *srv, uint32_t id, enum rpc_protseq protseq,
                                    const struct rpc_peer *who) {
        struct rpc_assoc *a = NULL;

        pthread_mutex_lock(&srv->lock);
        if (id) {
                for (a = srv->assocs; a && a->id != id; a = a->next)
                        ;
                if (a && (a->protseq != protseq || !rpc_peer_same(&a->who, who)))
                        a = NULL;
                if (a)
                        a->refs++;
        } else if (srv->n_assocs < RPC_SERVER_MAX_ASSOCS && (a = dcom_calloc(1, sizeof *a))) {
                if (assoc_new_id_locked(srv, &a->id) < 0) {
                        dcom_free(a);
                        a = NULL;
                } else {
                        a->refs = 1;
                        a->srv = srv;
                        a->protseq = protseq;
                        a->who = *who;
                        pthread_mutex_init(&a->lock, NULL);
                        pthread_cond_init(&a->released, NULL);
                        a->next = srv->assocs;
                        srv->assocs = a;
                        srv->n_assocs++;
                }
        }
        pthread_mutex_unlock(&srv->lock);
        return a;
}

/*
 * The last connection of a group gone: its open context handles are run down.  No call
 * of the group is in flight then (a connection is freed by the thread that ran its last
 * call, and this is the last one, ending), so no handle is held.
 */
static void assoc_leave(struct rpc_assoc *a) {
        struct rpc_server *srv = a->srv;
        bool last;

        pthread_mutex_lock(&srv->lock);
        last = --a->refs == 0;
        if (last) {
                struct rpc_assoc **pp;
                for (pp = &srv->assocs; *pp && *pp != a; pp = &(*pp)->next)
                        ;
                if (*pp)
                        *pp = a->next;
                srv->n_assocs--;
        }
        pthread_mutex_unlock(&srv->lock);
        if (!last)
                return;
        while (a->handles) {
                struct ctx_handle *h = a->handles;
                a->handles = h->next;
                assert(h->refs == 1 && !h->busy);
                if (h->rundown)
                        h->rundown(h->obj);
                dcom_free(h);
        }
        rpc_owner_ended(a->id);
        pthread_cond_destroy(&a->released);
        pthread_mutex_destroy(&a->lock);
        dcom_free(a);
}

/* --- connections --------------------------------------------------------------------------- */

/* The server's reassembly budget, shared by every connection (srv->lock). */
static bool server_partial_take(struct rpc_conn *c, size_t n) {
        struct rpc_server *srv = c->srv;
        bool ok;

        if (!srv)
                return true;
        pthread_mutex_lock(&srv->lock);
        ok = srv->partial_bytes <= srv->max_partial_bytes &&
             n <= srv->max_partial_bytes - srv->partial_bytes;  /* the bound may have been lowered */
        if (ok)
                srv->partial_bytes += n;
        pthread_mutex_unlock(&srv->lock);
        return ok;
}

static void server_partial_give(struct rpc_conn *c, size_t n) {
        if (!c->srv || !n)
                return;
        pthread_mutex_lock(&c->srv->lock);
        c->srv->partial_bytes -= n;
        pthread_mutex_unlock(&c->srv->lock);
}


struct rpc_conn *rpc_conn_new(struct rpc_server *srv, enum rpc_protseq protseq) {
        struct rpc_conn *c = dcom_calloc(1, sizeof *c);

        if (!c)
                return NULL;
        c->srv = srv;
        c->protseq = protseq;
        c->max_xmit = MUST_RECV_FRAG;
        c->max_recv = SERVER_MAX_FRAG;
        return c;
}

uint64_t rpc_conn_deadline(const struct rpc_conn *c, unsigned pdu_ms, unsigned call_ms) {
        uint64_t d = 0;

        if (rpc_reader_pending(&c->rd))
                d = c->rd.since_ms + pdu_ms;
        for (unsigned i = 0; i < c->n_partial; i++)
                if (!d || c->partial[i].since_ms + call_ms < d)
                        d = c->partial[i].since_ms + call_ms;
        return d;
}

void rpc_conn_trim(struct rpc_conn *c) {
        if (rpc_reader_pending(&c->rd) || c->n_partial)
                return;
        rpc_reader_free(&c->rd);
        /* a small response buffer stays for the next call; a grown one goes */
        if (c->resp_ready && c->resp.buf.cap > 4096) {
                ndr_push_free(&c->resp);
                c->resp_ready = false;
        }
}

void rpc_conn_free(struct rpc_conn *c) {
        if (!c)
                return;
        for (unsigned i = 0; i < c->n_partial; i++) {
                server_partial_give(c, c->partial[i].stub.len);
                buf_free(&c->partial[i].stub);
        }
        if (c->assoc)
                assoc_leave(c->assoc);
        if (c->resp_ready)
                ndr_push_free(&c->resp);
        for (unsigned i = 0; i < c->n_sec; i++)
                c->sec[i].ops->free(c->sec[i].ctx);
        rpc_reader_free(&c->rd);
        dcom_free(c);
}

static const struct rpc_if_reg *context_if(struct rpc_conn *c, uint16_t id) {
        for (unsigned i = 0; i < c->n_ctx; i++)
                if (c->ctx[i].id == id)
                        return c->ctx[i].reg;
        return NULL;
}

/*
 * What a PDU's processing needs only while it runs belongs to the thread running it
 * (a connection's PDUs are processed by one thread at a time, and a thread processes
 * one PDU at a time), so that idle connections hold none of it: the parse of a bind
 * (~3.5 KiB), a call's first arena chunk, a copy of a signed PDU to verify and unseal
 * (64 KiB, on first use).  Allocated the first time a thread needs it, freed with the
 * thread -- not thread-local storage, which every thread of a program linking the
 * library would carry.
 */
struct thread_scratch {
        struct rpc_bind bind;
        _Alignas(16) uint8_t arena[4096];
        bool arena_busy;
        uint8_t *pdu;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) {
        struct thread_scratch *ts = p;

        dcom_free(ts->pdu);
        dcom_free(ts);
}

static void scratch_key_make(void) {
        (void)pthread_key_create(&scratch_key, scratch_free);
}

static struct thread_scratch *thread_scratch(void) {
        struct thread_scratch *ts;

        pthread_once(&scratch_once, scratch_key_make);
        ts = pthread_getspecific(scratch_key);
        if (!ts && (ts = dcom_calloc(1, sizeof *ts)) && pthread_setspecific(scratch_key, ts) != 0) {
                dcom_free(ts);
                ts = NULL;
        }
        return ts;
}

/* --- writing PDUs ---------------------------------------------------------------------- */

static void put_fault(struct buf *out, uint32_t call_id, uint16_t ctx_id, uint32_t status,
                      bool did_not_execute) {
        size_t start = rpc_pdu_begin(out, RPC_PTYPE_FAULT,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                                             (did_not_execute ? RPC_PFC_DID_NOT_EXECUTE : 0),
                                     call_id);
        /* [C706] 12.6.4.7: alloc_hint, p_cont_id, cancel_count, reserved, status, reserved2 */
        rpc_put_u32(out, 0);
        rpc_put_u16(out, ctx_id);
        buf_put_u8(out, 0);
        buf_put_u8(out, 0);
        rpc_put_u32(out, status);
        rpc_put_u32(out, 0);
        rpc_pdu_end(out, start);
        log_debug(rpc, "fault 0x%08x for call %u", status, call_id);
}

static void put_bind_nak(struct buf *out, uint32_t call_id, uint16_t reason) {
        size_t start = rpc_pdu_begin(out, RPC_PTYPE_BIND_NAK,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, call_id);
        /* [C706] 12.6.4.4: provider_reject_reason, versions supported (5.0) */
        rpc_put_u16(out, reason);
        buf_put_u8(out, 1);
        buf_put_u8(out, 5);
        buf_put_u8(out, 0);
        rpc_put_align(out, start, 4);
        rpc_pdu_end(out, start);
}

/* --- security contexts ([MS-RPCE] 3.3.1.5.2) ----------------------------------------------- */

/* The peer as an audit line names it. */
static void peer_name(const struct rpc_conn *c, char *buf, size_t size) {
        if (c->who.has_cred)
                snprintf(buf, size, "local uid %u pid %d", (unsigned)c->who.uid, (int)c->who.pid);
        else if (c->who.family == AF_INET || c->who.family == AF_INET6)
                inet_ntop(c->who.family, c->who.addr, buf, (socklen_t)size);
        else
                snprintf(buf, size, "unknown peer");
}

static void (*_Atomic audit_hook)(const char *line);

void rpc_set_audit_hook(void (*hook)(const char *line)) {
        audit_hook = hook;
}

void rpc_audit(const char *fmt, ...) {
        void (*hook)(const char *) = audit_hook;
        char line[1280];          /* denials name who, what, which descriptor and the grant */
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        /* names a peer chose (user, domain, workstation) cannot forge log lines */
        for (char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        va_end(ap);
        if (hook)
                hook(line);
        else
                log_debug(rpc, "%s", line);
}

/* A security context failed: one audit line, who and why. */
static void audit_sec_failure(const struct rpc_conn *c, const struct rpc_auth_ops *ops, void *ctx,
                              const char *what, int err) {
        const char *why = ops && ctx && ops->failure ? ops->failure(ctx) : NULL;
        char peer[64];

        peer_name(c, peer, sizeof peer);
        rpc_audit("access denied to %s: %s, %s: %s", peer, ops ? ops->name : "unknown provider",
                  what, why ? why : strerror(-err));
}

static struct rpc_sec *sec_find(struct rpc_conn *c, uint32_t id) {
        for (unsigned i = 0; i < c->n_sec; i++)
                if (c->sec[i].id == id && !c->sec[i].retired)
                        return &c->sec[i];
        return NULL;
}

/*
 * The token of a bind, alter_context or AUTH3 for its auth_context_id: a new context
 * (accept) or the next leg of one (step); what the provider answers goes to tok.
 * -EPROTONOSUPPORT: no provider for the type; -ENOSPC: too many contexts; -EACCES and
 * the provider's errors otherwise.
 */
static int sec_token(struct rpc_conn *c, const struct rpc_pdu *pdu, struct buf *tok,
                     struct rpc_sec **ret) {
        const struct rpc_auth_ops *ops = rpc_auth_find(pdu->sec.auth_type);
        struct rpc_sec *s = sec_find(c, pdu->sec.auth_context_id);
        bool done = false;
        int r;

        if (!ops)
                return -EPROTONOSUPPORT;
        if (pdu->sec.auth_level < RPC_AUTHN_LEVEL_CONNECT ||
            pdu->sec.auth_level > RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return -EACCES;
        if (s && s->type != pdu->sec.auth_type)
                return -EACCES;
        if (s && s->done && s->level != pdu->sec.auth_level)
                return -EACCES;         /* an established context keeps its level */
        if (s && s->failed)
                return -EACCES;         /* one try per context: no password guessing on it */
        if (s) {
                /* an AUTH3 has no answer: the provider is told so (out NULL), so that it
                   makes nothing the client would never see (SPNEGO's mechListMIC, whose
                   signing would move the sequence numbers on) */
                r = s->ops->step(s->ctx, pdu->auth, pdu->auth_len,
                                 pdu->hdr.ptype == RPC_PTYPE_AUTH3 ? NULL : tok, &done);
                if (r < 0)
                        audit_sec_failure(c, s->ops, s->ctx, "authentication", r);
        } else if (pdu->hdr.ptype == RPC_PTYPE_AUTH3) {
                /* [MS-RPCE] 2.2.2.10: AUTH3 ends a handshake a bind or alter_context began */
                return -EACCES;
        } else {
                if (c->n_sec >= RPC_MAX_SEC_CONTEXTS)
                        return -ENOSPC;
                /* one handshake at a time per connection: a context not yet established
                   holds a logon of the security provider (dcomlsa's, for a process that
                   cannot read the accounts), and a peer must not pile them up */
                for (unsigned i = 0; i < c->n_sec; i++)
                        if (!c->sec[i].done && !c->sec[i].failed)
                                return -ENOSPC;
                s = &c->sec[c->n_sec];
                memset(s, 0, sizeof *s);
                r = ops->accept(&s->ctx, pdu->auth, pdu->auth_len, tok, &done);
                if (r < 0) {
                        audit_sec_failure(c, ops, NULL, "security context refused", r);
                        return r;
                }
                s->id = pdu->sec.auth_context_id;
                s->type = pdu->sec.auth_type;
                s->ops = ops;
                c->n_sec++;
                /* whether its verifiers cover the header (the bind decided it) */
                if (ops->header_signing)
                        ops->header_signing(s->ctx, c->hdr_sign);
        }
        /* the level changes only with a step that succeeded: a failed (or hostile) token
           must not downgrade an established context */
        if (r < 0) {
                s->failed = true;
        } else {
                s->level = pdu->sec.auth_level;
                if (done)
                        s->done = true;
        }
        *ret = s;
        return r;
}

static struct rpc_sec_ref sec_ref(const struct rpc_sec *s) {
        struct rpc_sec_ref r = { NULL, NULL, 0, 0, 0 };

        if (s) {
                r.ops = s->ops;
                r.ctx = s->ctx;
                r.type = s->type;
                r.level = s->level;
                r.id = s->id;
        }
        return r;
}

/* --- bind / alter_context ----------------------------------------------------------------- */

static int handle_bind(struct rpc_conn *c, const struct rpc_pdu *pdu, struct buf *out) {
        bool alter = pdu->hdr.ptype == RPC_PTYPE_ALTER_CONTEXT;
        /*
         * A bind on a bound connection: impacket sends one for every DCOMConnection
         * activation (dcomrt's bind() before each RemoteCreateInstance), with a new
         * handshake under the auth_context_id it used before.  It is taken as an
         * alter_context answered with a bind_ack: the association stays, contexts are
         * added or replaced, and a security context under that id starts over (the old
         * one is retired, not freed: calls in flight may still hold it; the contexts a
         * connection may have bound this).
         */
        bool rebind = !alter && c->bound;
        struct thread_scratch *scratch = thread_scratch();
        struct rpc_bind *b;
        int r;

        if (alter && !c->bound) {
                put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        if (!scratch)
                return -ENOMEM;
        b = &scratch->bind;
        r = rpc_bind_parse(pdu, b);
        if (r == -E2BIG) {
                put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED);
                return alter ? -EPROTO : 0;
        }
        if (r < 0) {
                if (alter) {
                        put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                        return -EPROTO;
                }
                put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                return 0;
        }
        if (rebind && b->assoc_group_id && b->assoc_group_id != c->assoc->id) {
                log_debug(rpc, "bind again on a connection, to another association group");
                put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                return -EPROTO;
        }
        /* [MS-RPCE] 2.2.2.3, 3.3.1.5.2.2: header signing, when the client offers it */
        if (!alter && !rebind && (pdu->hdr.pfc_flags & RPC_PFC_SUPPORT_HEADER_SIGN))
                c->hdr_sign = true;
        if (rebind && pdu->has_auth && pdu->sec.auth_type != 0) {
                struct rpc_sec *old = sec_find(c, pdu->sec.auth_context_id);
                if (old)
                        old->retired = true;
        }
        /* an auth verifier: its security provider's token ([MS-RPCE] 3.3.1.5.2) */
        struct rpc_sec *sec = NULL;
        struct buf tok;
        buf_init(&tok, 64 * 1024);
        if (pdu->has_auth && pdu->sec.auth_type != 0) {
                r = sec_token(c, pdu, &tok, &sec);
                if (r < 0 || tok.error) {
                        buf_free(&tok);
                        log_debug(rpc, "bind auth type %u: %s", pdu->sec.auth_type, strerror(-r));
                        if (alter) {
                                put_fault(out, pdu->hdr.call_id, 0, ERROR_ACCESS_DENIED, true);
                                return -EACCES;
                        }
                        put_bind_nak(out, pdu->hdr.call_id,
                                     r == -EPROTONOSUPPORT
                                             ? RPC_BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED
                                             : r == -ENOSPC ? RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED
                                                            : RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return 0;
                }
        }
        if (!alter && !rebind) {
                /* [C706] 12.6.3.1: both sides must offer at least MustRecvFragSize */
                if (b->max_xmit_frag < MUST_RECV_FRAG || b->max_recv_frag < MUST_RECV_FRAG) {
                        buf_free(&tok);
                        put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return 0;
                }
                c->assoc = assoc_join(c->srv, b->assoc_group_id, c->protseq, &c->who);
                if (!c->assoc) {
                        buf_free(&tok);
                        log_debug(rpc, "bind to unknown association group 0x%x", b->assoc_group_id);
                        put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return 0;
                }
                /* [MS-RPCE] 3.3.1.5.2: each side uses the smaller of the two offers */
                c->max_xmit = b->max_recv_frag < SERVER_MAX_FRAG ? b->max_recv_frag : SERVER_MAX_FRAG;
                c->max_recv = b->max_xmit_frag < SERVER_MAX_FRAG ? b->max_xmit_frag : SERVER_MAX_FRAG;
                c->bound = true;
        }

        size_t start = rpc_pdu_begin(out, alter ? RPC_PTYPE_ALTER_CONTEXT_RESP : RPC_PTYPE_BIND_ACK,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                                             (!alter && c->hdr_sign ? RPC_PFC_SUPPORT_HEADER_SIGN : 0),
                                     pdu->hdr.call_id);
        rpc_put_u16(out, c->max_xmit);
        rpc_put_u16(out, c->max_recv);
        rpc_put_u32(out, c->assoc->id);
        /* sec_addr ([C706] port_any_t): the port (TCP) or endpoint name, NUL-terminated;
           an alter_context_resp has none */
        const char *sec_addr = alter ? "" : c->sec_addr;
        size_t sl = alter ? 0 : strlen(sec_addr) + 1;
        rpc_put_u16(out, (uint16_t)sl);
        buf_append(out, sec_addr, sl);
        rpc_put_align(out, start, 4);
        buf_put_u8(out, (uint8_t)b->n_contexts);
        buf_put_u8(out, 0);
        rpc_put_u16(out, 0);
        for (unsigned i = 0; i < b->n_contexts; i++) {
                const struct rpc_pres_context *pc = &b->contexts[i];
                const struct rpc_if_reg *reg = rpc_server_find_if(c->srv, &pc->abstract);
                uint16_t result = RPC_RESULT_PROVIDER_REJECTION;
                uint16_t reason = RPC_REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED;
                const struct rpc_syntax_id *ts = NULL;
                uint16_t btfn;
                bool ndr20 = false;

                for (unsigned k = 0; k < pc->n_transfer; k++)
                        if (memcmp(&pc->transfer[k], &rpc_syntax_ndr20, sizeof rpc_syntax_ndr20) == 0)
                                ndr20 = true;
                if (pc->n_transfer == 1 && rpc_syntax_is_btfn(&pc->transfer[0], &btfn)) {
                        /* [MS-RPCE] 3.3.1.5.3: ack, with the features we support: keep the
                           connection when a call is orphaned (0x2) */
                        result = RPC_RESULT_NEGOTIATE_ACK;
                        reason = btfn & 0x2;
                } else if (reg && ndr20) {
                        if (c->n_ctx < RPC_MAX_CONTEXTS || context_if(c, pc->context_id)) {
                                result = RPC_RESULT_ACCEPTANCE;
                                reason = 0;
                                ts = &rpc_syntax_ndr20;
                                bool found = false;
                                for (unsigned k = 0; k < c->n_ctx; k++)
                                        if (c->ctx[k].id == pc->context_id) {
                                                c->ctx[k].reg = reg;
                                                found = true;
                                        }
                                if (!found) {
                                        c->ctx[c->n_ctx].id = pc->context_id;
                                        c->ctx[c->n_ctx].reg = reg;
                                        c->n_ctx++;
                                }
                        } else {
                                reason = RPC_REASON_LOCAL_LIMIT_EXCEEDED;
                        }
                } else if (reg) {
                        reason = RPC_REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED;
                }
                rpc_put_u16(out, result);
                rpc_put_u16(out, reason);
                static const struct rpc_syntax_id none;
                rpc_put_syntax(out, ts ? ts : &none);
        }
        if (sec && tok.len) {
                struct rpc_sec_ref ref = sec_ref(sec);
                rpc_sec_put_trailer(out, start, start, 4, &ref, tok.data, tok.len);
        }
        buf_free(&tok);
        r = rpc_pdu_end(out, start);
        if (r < 0 && !out->error) {
                /* more than a PDU holds (a provider's huge token): refused, never sent
                   with a frag_length that wrapped; the connection's state has moved on,
                   so it is closed after the refusal */
                log_debug(rpc, "%s too big: %s", alter ? "alter_context_resp" : "bind_ack",
                          strerror(-r));
                out->len = start;
                if (alter)
                        put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                else
                        put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED);
                return -EPROTO;
        }
        return r;
}

/* AUTH3 ([MS-RPCE] 2.2.2.10): the last leg, no reply.  A failure is answered on the next
   request (a fault), not by closing: impacket spins on a closed connection. */
static int handle_auth3(struct rpc_conn *c, const struct rpc_pdu *pdu) {
        struct rpc_sec *sec = NULL;
        struct buf tok;

        if (!c->bound || !pdu->has_auth)
                return -EPROTO;
        buf_init(&tok, 64 * 1024);
        int r = sec_token(c, pdu, &tok, &sec);
        buf_free(&tok);
        if (r < 0)
                log_debug(rpc, "AUTH3 for context %u: %s", pdu->sec.auth_context_id, strerror(-r));
        return 0;
}

/* --- requests ------------------------------------------------------------------------------ */

/* The fault status for a stub's or the dispatch's error ([MS-RPCE] 3.1.1.5.5). */
static uint32_t fault_status(int err) {
        switch (err) {
        case -EOPNOTSUPP:
                return NCA_S_OP_RNG_ERROR;
        case -ESTALE:
                return NCA_S_FAULT_CONTEXT_MISMATCH;
        case -EACCES:
        case -EPERM:
                return ERROR_ACCESS_DENIED;
        case -E2BIG:
        case -ENOMEM:
        case -ENOSPC:
                return NCA_S_FAULT_REMOTE_NO_MEMORY;
        case -EPROTONOSUPPORT:
                return NCA_S_RPC_VERSION_MISMATCH;
        default:        /* -EBADMSG, -ERANGE, -ELOOP: the stub data */
                return dcom_fault_from_status(RPC_X_BAD_STUB_DATA);
        }
}

/*
 * Cuts the response stub into fragments of at most max_xmit bytes ([C706] 12.6.4.10).
 * Signed, each fragment's stub is a multiple of 16 bytes but the last, which is padded
 * to one ([MS-RPCE] 2.2.2.11).  A provider failing to sign gets the call a fault instead:
 * what is in out of the response is taken back, never sent unsigned or unsealed.
 */
static void put_response(struct rpc_conn *c, struct buf *out, uint32_t call_id, uint16_t ctx_id,
                         const uint8_t *stub, size_t len, struct rpc_sec *sec) {
        struct rpc_sec_ref ref = sec_ref(sec);
        struct rpc_frag_spec f = {
                .ptype = RPC_PTYPE_RESPONSE, .call_id = call_id, .context_id = ctx_id,
                .max_xmit = c->max_xmit, .sec = &ref,
        };
        size_t resp_start = out->len;
        int r = rpc_frag_write(out, &f, stub, len);

        if (r == -EACCES) {
                /* what is in out of the response is taken back: never sent unsigned */
                log_debug(rpc, "call %u: signing the response failed", call_id);
                out->len = resp_start;
                put_fault(out, call_id, ctx_id, ERROR_ACCESS_DENIED, false);
        }
        /* out of memory: out->error, the server closes the connection */
}

static void dispatch(struct rpc_conn *c, struct buf *out, uint32_t call_id, uint16_t ctx_id,
                     uint16_t opnum, const GUID *object, const uint8_t drep[4], const uint8_t *stub,
                     size_t len, struct rpc_sec *sec) {
        const struct rpc_if_reg *reg = context_if(c, ctx_id);
        struct rpc_call_info info = { .conn = c, .call_id = call_id, .sec = sec };
        struct call_contexts cc = {
                .table = { call_lookup, call_store }, .assoc = c->assoc,
                .iface = reg ? reg->iface : NULL,
        };
        struct ndr_pull in;
        struct ndr_push resp;
        struct arena a;
        uint32_t obj_fault = 0;
        int r;

        if (!reg) {
                put_fault(out, call_id, ctx_id, NCA_S_UNK_IF, true);
                return;
        }
        if (opnum >= reg->iface->n_ops || (!reg->invoke && !reg->iface->ops[opnum].dispatch)) {
                put_fault(out, call_id, ctx_id, NCA_S_OP_RNG_ERROR, true);
                return;
        }
        /* the interface's minimum level (RpcServerRegisterIf2's security callback in
           spirit): below it, access denied and nothing runs */
        uint8_t level = sec ? sec->level : RPC_AUTHN_LEVEL_NONE;
        /* ncalrpc: the kernel names the peer and nobody sits between us and it, so an
           unauthenticated local call counts as PKT_PRIVACY (as Windows' ALPC calls do) */
        if (!sec && c->protseq == RPC_PROTSEQ_LRPC)
                level = RPC_AUTHN_LEVEL_PKT_PRIVACY;
        /* at CALL and PKT our providers verify no PDU: they count as CONNECT */
        if (level == RPC_AUTHN_LEVEL_CALL || level == RPC_AUTHN_LEVEL_PKT)
                level = RPC_AUTHN_LEVEL_CONNECT;
        if (level < reg->min_level) {
                char peer[64];
                peer_name(c, peer, sizeof peer);
                rpc_audit("access denied to %s: %s at level %u, interface %s requires %u", peer,
                          sec ? sec->ops->name : "unauthenticated", level, reg->iface->name,
                          reg->min_level);
                put_fault(out, call_id, ctx_id, ERROR_ACCESS_DENIED, true);
                return;
        }
        if (object) {
                info.object = *object;
                info.has_object = true;
        }
        struct rpc_sec_ref ref = sec_ref(sec);
        if (rpc_sec_protects(&ref)) {
                /* [MS-RPCE] 2.2.2.13: a verification trailer, when there is one, must
                   describe this very call; the stub ends where it begins */
                struct rpc_vt_call vt = {
                        .abstract = { reg->iface->uuid, reg->iface->ver_major, reg->iface->ver_minor },
                        .transfer = rpc_syntax_ndr20,
                        .call_id = call_id, .context_id = ctx_id, .opnum = opnum,
                        .header_signing = c->hdr_sign,
                };
                memcpy(vt.drep, drep, 4);
                size_t n;
                int vr = rpc_sec_vt_check(stub, len, &vt, &n);
                if (vr < 0) {
                        char peer[64];
                        peer_name(c, peer, sizeof peer);
                        rpc_audit("access denied to %s: %s, call %u: verification trailer %s", peer,
                                  sec->ops->name, call_id, vr == -EACCES ? "does not match the call"
                                                                         : "malformed");
                        put_fault(out, call_id, ctx_id, ERROR_ACCESS_DENIED, true);
                        return;
                }
                if (n != len)
                        log_debug(rpc, "call %u: verification trailer checked", call_id);
                len = n;
        }
        /* the thread's scratch memory serves small calls without malloc (a call that
           runs while another is dispatched on this thread, should that ever be, takes
           the heap) */
        struct thread_scratch *ts = thread_scratch();
        bool own_arena = ts && !ts->arena_busy;
        if (own_arena) {
                ts->arena_busy = true;
                arena_init_buf(&a, ts->arena, sizeof ts->arena, CALL_ARENA_MAX);
        } else {
                arena_init(&a, CALL_ARENA_MAX);
        }
        if (c->resp_ready) {
                resp = c->resp;
                ndr_push_reset(&resp);
        } else {
                ndr_push_init(&resp, MAX_RESPONSE_STUB);
        }
        r = ndr_pull_init(&in, stub, len, drep, &a);
        /* the server's side owns the interface pointers it handles (ndr-internal.h) */
        in.release_ifaces = true;
        resp.release_ifaces = true;
        if (r >= 0) {
                struct ndr_server_call call = {
                        .in = &in, .out = &resp, .arena = &a, .impl = reg->epv,
                        .contexts = &cc.table, .runtime = &info,
                };
                r = reg->invoke ? reg->invoke(&call, opnum, reg->invoke_ctx, &obj_fault)
                                : reg->iface->ops[opnum].dispatch(&call);
        }
        /* the stub may return between its lookup and its store: handles go back here */
        call_contexts_release(&cc);
        __atomic_add_fetch(&c->srv->stats.calls_in, 1, __ATOMIC_RELAXED);
        if (obj_fault)          /* an object interface's own fault status */
                put_fault(out, call_id, ctx_id, obj_fault, false);
        else if (r < 0)
                put_fault(out, call_id, ctx_id, fault_status(r), false);
        else
                put_response(c, out, call_id, ctx_id, resp.buf.data, resp.buf.len, sec);
        /* keep a modest response buffer for the next call; give a big one back */
        if (resp.buf.cap <= 65536 && !resp.buf.error) {
                c->resp = resp;
                c->resp_ready = true;
        } else {
                ndr_push_free(&resp);
                c->resp_ready = false;
        }
        arena_reset(&a);
        if (own_arena)
                ts->arena_busy = false;
}

static struct rpc_partial *partial_find(struct rpc_conn *c, uint32_t call_id) {
        for (unsigned i = 0; i < c->n_partial; i++)
                if (c->partial[i].call_id == call_id)
                        return &c->partial[i];
        return NULL;
}

static void partial_drop(struct rpc_conn *c, struct rpc_partial *p) {
        c->partial_bytes -= p->stub.len;
        server_partial_give(c, p->stub.len);
        buf_free(&p->stub);
        *p = c->partial[--c->n_partial];
}

static int handle_request(struct rpc_conn *c, struct rpc_pdu *pdu, struct buf *out) {
        uint32_t call_id = pdu->hdr.call_id;
        uint8_t flags = pdu->hdr.pfc_flags;
        struct rpc_partial *p;

        if (!c->bound) {
                put_fault(out, call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        if (rpc_request_parse(pdu) < 0) {
                put_fault(out, call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        struct rpc_sec *sec = NULL;
        if (pdu->has_auth && pdu->sec.auth_type != 0) {
                sec = sec_find(c, pdu->sec.auth_context_id);
                if (!sec || !sec->done || sec->failed || sec->type != pdu->sec.auth_type ||
                    sec->level != pdu->sec.auth_level) {
                        put_fault(out, call_id, pdu->context_id, ERROR_ACCESS_DENIED, true);
                        return 0;
                }
                struct rpc_sec_ref ref = sec_ref(sec);
                if (rpc_sec_protects(&ref)) {
                        /* verified (and unsealed) in a copy: the input may be read-only */
                        struct thread_scratch *ts = thread_scratch();
                        if (ts && !ts->pdu)
                                ts->pdu = dcom_malloc(UINT16_MAX);
                        if (!ts || !ts->pdu)
                                return -ENOMEM;
                        uint8_t *scratch = ts->pdu;
                        memcpy(scratch, pdu->raw, pdu->hdr.frag_length);
                        int r = rpc_sec_open_fragment(pdu, scratch, &ref);
                        if (r < 0) {
                                /* a forged, replayed or reordered PDU: the fault, then the
                                   connection closes (its RC4 state is lost anyway) */
                                audit_sec_failure(c, sec->ops, sec->ctx, "request verification", r);
                                log_debug(rpc, "request %u failed verification", call_id);
                                put_fault(out, call_id, pdu->context_id, ERROR_ACCESS_DENIED, true);
                                return -EACCES;
                        }
                }
        }
        if (!sec && !pdu->has_auth) {
                /* [MS-RPCE] 3.3.1.5.2: at CONNECT, CALL and PKT the requests carry no
                   verifier (impacket sends no sec_trailer at all): the call has the
                   connection's established context of such a level */
                for (unsigned i = 0; i < c->n_sec && !sec; i++)
                        if (c->sec[i].done && !c->sec[i].failed &&
                            c->sec[i].level < RPC_AUTHN_LEVEL_PKT_INTEGRITY)
                                sec = &c->sec[i];
                /* a context that failed leaves its connection's calls refused (impacket
                   loops on a closed socket: the answer is a fault, not a close) */
                for (unsigned i = 0; i < c->n_sec && !sec; i++)
                        if (c->sec[i].failed) {
                                put_fault(out, call_id, pdu->context_id, ERROR_ACCESS_DENIED, true);
                                return 0;
                        }
        }
        p = partial_find(c, call_id);
        /* the common case: one fragment, dispatched straight from the input */
        if ((flags & RPC_PFC_FIRST_FRAG) && (flags & RPC_PFC_LAST_FRAG) && !p) {
                dispatch(c, out, call_id, pdu->context_id, pdu->opnum,
                         pdu->has_object ? &pdu->object : NULL, pdu->hdr.drep, pdu->stub,
                         pdu->stub_len, sec);
                return 0;
        }
        if (flags & RPC_PFC_FIRST_FRAG) {
                if (p || c->n_partial >= MAX_PARTIAL_CALLS) {
                        put_fault(out, call_id, pdu->context_id, NCA_S_PROTO_ERROR, true);
                        return -EPROTO;
                }
                p = &c->partial[c->n_partial++];
                memset(p, 0, sizeof *p);
                p->call_id = call_id;
                p->since_ms = dcom_monotonic_ms();
                p->context_id = pdu->context_id;
                p->opnum = pdu->opnum;
                p->has_object = pdu->has_object;
                p->object = pdu->object;
                p->sec = sec;
                memcpy(p->drep, pdu->hdr.drep, 4);
                buf_init(&p->stub, MAX_REQUEST_STUB);
        } else if (!p || p->context_id != pdu->context_id || p->opnum != pdu->opnum ||
                   p->sec != sec) {
                /* a fragment out of order, or of a call we never saw start */
                put_fault(out, call_id, pdu->context_id, NCA_S_PROTO_ERROR, true);
                if (p)
                        partial_drop(c, p);
                return -EPROTO;
        }
        if (pdu->stub_len > MAX_REQUEST_STUB - p->stub.len ||
            pdu->stub_len > RPC_CONN_MAX_PARTIAL_BYTES - c->partial_bytes ||
            !server_partial_take(c, pdu->stub_len)) {
                /* past the call's, the connection's or the whole server's bound */
                put_fault(out, call_id, pdu->context_id, NCA_S_FAULT_REMOTE_NO_MEMORY, true);
                partial_drop(c, p);
                return -EPROTO;
        }
        buf_append(&p->stub, pdu->stub, pdu->stub_len);
        if (p->stub.error) {
                server_partial_give(c, pdu->stub_len);
                put_fault(out, call_id, pdu->context_id, NCA_S_FAULT_REMOTE_NO_MEMORY, true);
                partial_drop(c, p);
                return -EPROTO;
        }
        c->partial_bytes += pdu->stub_len;
        if (flags & RPC_PFC_LAST_FRAG) {
                dispatch(c, out, call_id, p->context_id, p->opnum, p->has_object ? &p->object : NULL,
                         p->drep, p->stub.data, p->stub.len, p->sec);
                partial_drop(c, p);
        }
        return 0;
}

/* --- the engine ------------------------------------------------------------------------------ */

static int handle_pdu(struct rpc_conn *c, const uint8_t *data, size_t len, struct buf *out) {
        struct rpc_pdu pdu;
        int r = rpc_pdu_parse(data, len, &pdu);

        if (r < 0)
                return r;
        __atomic_add_fetch(&c->srv->stats.pkts_in, 1, __ATOMIC_RELAXED);
        if (c->bound && len > c->max_recv) {
                log_debug(rpc, "fragment of %zu bytes, %u negotiated", len, c->max_recv);
                put_fault(out, pdu.hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        switch (pdu.hdr.ptype) {
        case RPC_PTYPE_BIND:
        case RPC_PTYPE_ALTER_CONTEXT:
        {
                r = handle_bind(c, &pdu, out);
                /* a bind answered with bind_nak leaves the connection unbound; a peer
                   retrying again and again (guessing association groups, say) is cut off */
                if (r >= 0 && pdu.hdr.ptype == RPC_PTYPE_BIND && !c->bound &&
                    ++c->bind_naks >= RPC_MAX_BIND_NAKS) {
                        log_debug(rpc, "closing a connection: %u binds refused", c->bind_naks);
                        return -EPROTO;
                }
                return r;
        }
        case RPC_PTYPE_REQUEST:
                return handle_request(c, &pdu, out);
        case RPC_PTYPE_AUTH3:
                return handle_auth3(c, &pdu);
        case RPC_PTYPE_CO_CANCEL:
                return 0;       /* calls run to completion */
        case RPC_PTYPE_ORPHANED: {
                struct rpc_partial *p = partial_find(c, pdu.hdr.call_id);
                if (p)
                        partial_drop(c, p);
                return 0;
        }
        default:
                /* a server never receives responses, acks or shutdown */
                log_debug(rpc, "unexpected PDU type %u", pdu.hdr.ptype);
                return -EPROTO;
        }
}

int rpc_conn_process(struct rpc_conn *c, struct buf *out) {
        const uint8_t *pdu;
        size_t len;
        int r;

        while ((r = rpc_reader_next(&c->rd, &pdu, &len)) > 0)
                if ((r = handle_pdu(c, pdu, len, out)) < 0)
                        return r;
        return r;
}

int rpc_conn_input(struct rpc_conn *c, const uint8_t *data, size_t len, struct buf *out) {
        while (len > 0) {
                uint8_t *room;
                size_t n;
                int r = rpc_reader_room(&c->rd, &room, &n);

                if (r < 0)
                        return r;
                if (n > len)
                        n = len;
                memcpy(room, data, n);
                rpc_reader_filled(&c->rd, n);
                data += n;
                len -= n;
                if ((r = rpc_conn_process(c, out)) < 0)
                        return r;
        }
        return 0;
}

/* --- what a call's handle_t tells ------------------------------------------------------------ */

static const struct rpc_call_info *info_of(void *h) {
        const struct ndr_server_call *call = h;
        return call ? call->runtime : NULL;
}

uint64_t rpc_call_owner(void *h) {
        const struct rpc_call_info *i = info_of(h);
        return i && i->conn && i->conn->assoc ? i->conn->assoc->id : 0;
}

enum rpc_protseq rpc_call_protseq(void *h) {
        const struct rpc_call_info *i = info_of(h);
        return i && i->conn ? i->conn->protseq : RPC_PROTSEQ_NONE;
}

int rpc_call_local_addr(void *h, struct sockaddr_storage *ret, socklen_t *ret_len) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->conn || !i->conn->local_len)
                return -EINVAL;
        *ret = i->conn->local;
        *ret_len = i->conn->local_len;
        return 0;
}

int rpc_call_identity(void *h, struct rpc_identity *ret) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->sec || !i->sec->done || !i->sec->ops->inq_identity)
                return -ENODATA;
        return i->sec->ops->inq_identity(i->sec->ctx, ret);
}

int rpc_call_delegate(void *h) {
        const struct rpc_call_info *i = info_of(h);
        void *cred = NULL;
        int r;

        if (!i || !i->sec || !i->sec->done || !i->sec->ops->delegated)
                return -ENOKEY;
        r = i->sec->ops->delegated(i->sec->ctx, &cred);
        if (r < 0)
                return r;
#ifdef DCOM_HAVE_GSSAPI
        rpc_gss_thread_delegate(cred);
        return 0;
#else
        return -ENOKEY;
#endif
}

void rpc_call_undelegate(void) {
#ifdef DCOM_HAVE_GSSAPI
        rpc_gss_thread_delegate(NULL);
#endif
}

int rpc_call_peer(void *h, struct rpc_peer *ret) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->conn)
                return -EINVAL;
        *ret = i->conn->who;
        return 0;
}

const GUID *rpc_call_object(void *h) {
        const struct rpc_call_info *i = info_of(h);
        return i && i->has_object ? &i->object : NULL;
}

int rpc_call_auth(void *h, uint8_t *ret_type, uint8_t *ret_level, void **ret_ctx) {
        const struct rpc_call_info *i = info_of(h);

        if (!i)
                return -EINVAL;
        *ret_type = i->sec ? i->sec->type : 0;
        *ret_level = i->sec ? i->sec->level : RPC_AUTHN_LEVEL_NONE;
        *ret_ctx = i->sec ? i->sec->ctx : NULL;
        return 0;
}
