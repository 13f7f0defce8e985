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
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/errno-status.h"
#include "conn-internal.h"

static LOG_CHANNEL(rpc);

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

static void spare_free(struct rpc_conn *c) {
        server_partial_give(c, c->spare_stub.cap);
        buf_free(&c->spare_stub);
}

uint64_t rpc_serial_next(void) {
        static uint64_t next;
        return __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
}

struct rpc_conn *rpc_conn_new(struct rpc_server *srv, enum rpc_protseq protseq) {
        struct rpc_conn *c = dcom_calloc(1, sizeof *c);

        if (!c)
                return NULL;
        c->srv = srv;
        c->serial = rpc_serial_next();
        c->fd = -1;
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
        spare_free(c);
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
        spare_free(c);
        if (c->assoc)
                conn_assoc_leave(c->assoc);
        if (c->resp_ready)
                ndr_push_free(&c->resp);
        for (unsigned i = 0; i < c->n_sec; i++)
                c->sec[i].ops->free(c->sec[i].ctx);
        rpc_reader_free(&c->rd);
        dcom_free(c);
}

const struct rpc_if_reg *conn_context_if(struct rpc_conn *c, uint16_t id) {
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
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
/* the key's value, for the call path (a pointer a thread: no pthread_once and
   pthread_getspecific a call) */
static _Thread_local struct thread_scratch *scratch_mirror;

static void scratch_free(void *p) {
        struct thread_scratch *ts = p;

        /* (run on the exiting thread itself) */
        scratch_mirror = NULL;
        dcom_free(ts->pdu);
        dcom_free(ts);
}

static void scratch_key_make(void) {
        (void)pthread_key_create(&scratch_key, scratch_free);
}

struct thread_scratch *conn_thread_scratch(void) {
        struct thread_scratch *ts = scratch_mirror;

        if (ts)
                return ts;
        pthread_once(&scratch_once, scratch_key_make);
        ts = pthread_getspecific(scratch_key);
        if (!ts && (ts = dcom_calloc(1, sizeof *ts)) && pthread_setspecific(scratch_key, ts) != 0) {
                dcom_free(ts);
                ts = NULL;
        }
        scratch_mirror = ts;
        return ts;
}

/* --- writing PDUs ---------------------------------------------------------------------- */

void conn_put_fault(struct buf *out, uint32_t call_id, uint16_t ctx_id, uint32_t status,
               bool did_not_execute) {
        size_t start = rpc_pdu_begin(out, RPC_PTYPE_FAULT,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                                             (did_not_execute ? RPC_PFC_DID_NOT_EXECUTE : 0),
                                     call_id);
        /* [C706] 12.6.4.7: alloc_hint, p_cont_id, cancel_count, reserved, status, reserved2.
           Windows' faults carry a non-zero alloc_hint, which Samba's raw_protocol suite
           checks (Samba's server sends 24): so do ours */
        rpc_put_u32(out, 24);
        rpc_put_u16(out, ctx_id);
        buf_put_u8(out, 0);
        buf_put_u8(out, 0);
        rpc_put_u32(out, status);
        rpc_put_u32(out, 0);
        rpc_pdu_end(out, start);
        log_debug(rpc, "fault 0x%08x for call %u", status, call_id);
}

void conn_put_bind_nak(struct buf *out, uint32_t call_id, uint16_t reason) {
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

/* --- requests ------------------------------------------------------------------------------ */

/*
 * Cuts the response stub into fragments of at most max_xmit bytes ([C706] 12.6.4.10).
 * Signed, each fragment's stub is a multiple of 16 bytes but the last, which is padded
 * to one ([MS-RPCE] 2.2.2.11).  A provider failing to sign gets the call a fault instead:
 * what is in out of the response is taken back, never sent unsigned or unsealed.
 * Negative when the response will not reach the peer (that fault, or out of memory).
 */
static int put_response(struct rpc_conn *c, struct buf *out, uint32_t call_id, uint16_t ctx_id,
                        const uint8_t *stub, size_t len, struct rpc_sec *sec) {
        const size_t head = RPC_CO_HEADER_SIZE + 8;
        struct rpc_sec_ref ref = sec ? conn_sec_ref(sec) : (struct rpc_sec_ref){ 0 };

        /* a response names its presentation context by the id's low byte, as Windows'
           do (and Samba's server: its raw_protocol suite checks it on contexts above 255) */
        ctx_id &= 0xff;
        /* the common response, one fragment with nothing to sign or seal, made here
           ([C706] 12.6.4.10: alloc_hint, p_cont_id, cancel_count, reserved, stub) */
        if (len <= rpc_frag_room(c->max_xmit, head, 0) && (!sec || !rpc_sec_protects(&ref))) {
                uint8_t *p = buf_extend(out, head + len);
                if (!p)
                        return out->error ? out->error : -ENOMEM;
                rpc_hdr_write(p, RPC_PTYPE_RESPONSE, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG,
                              (uint16_t)(head + len), 0, call_id);
                dcom_put_le32(p + RPC_CO_HEADER_SIZE, (uint32_t)len);
                p[RPC_CO_HEADER_SIZE + 4] = (uint8_t)ctx_id;
                p[RPC_CO_HEADER_SIZE + 5] = (uint8_t)(ctx_id >> 8);
                p[RPC_CO_HEADER_SIZE + 6] = 0;
                p[RPC_CO_HEADER_SIZE + 7] = 0;
                if (len)
                        memcpy(p + head, stub, len);
                return 0;
        }
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
                conn_put_fault(out, call_id, ctx_id, ERROR_ACCESS_DENIED, false);
        }
        /* out of memory: out->error, the server closes the connection */
        return r < 0 ? r : out->error;
}

static void dispatch(struct rpc_conn *c, struct buf *out, uint32_t call_id, uint16_t ctx_id,
                     uint16_t opnum, const GUID *object, const uint8_t drep[4], const uint8_t *stub,
                     size_t len, struct rpc_sec *sec) {
        const struct rpc_if_reg *reg = conn_context_if(c, ctx_id);
        struct rpc_call_info info = { .conn = c, .call_id = call_id, .sec = sec };
        struct call_contexts cc = {
                .table = { conn_call_lookup, conn_call_store }, .assoc = c->assoc,
                .iface = reg ? reg->iface : NULL,
        };
        struct ndr_pull in;
        struct ndr_push *resp = &c->resp;       /* the last call's buffer, kept */
        struct arena a;
        uint32_t obj_fault = 0;
        int r;

        if (!reg) {
                /* no such context: the fault names none (0), as Windows' does */
                conn_put_fault(out, call_id, 0, NCA_S_UNK_IF, true);
                return;
        }
        if (opnum >= reg->iface->n_ops || (!reg->invoke && !reg->iface->ops[opnum].dispatch)) {
                conn_put_fault(out, call_id, ctx_id, NCA_S_OP_RNG_ERROR, true);
                return;
        }
        /* the interface's minimum level (RpcServerRegisterIf2's security callback in
           spirit): below it, access denied and nothing runs */
        uint8_t level = sec ? sec->level : RPC_AUTHN_LEVEL_NONE;
        /* ncalrpc: the kernel names the peer and nobody sits between us and it, so an
           unauthenticated local call counts as PKT_PRIVACY (as Windows' ALPC calls do) */
        if (!sec && c->protseq == RPC_PROTSEQ_LRPC)
                level = RPC_AUTHN_LEVEL_PKT_PRIVACY;
        /* (PKT is verified as PKT_INTEGRITY, and counts as PKT; a bind at CALL is refused) */
        if (level < reg->min_level) {
                char peer[64];
                conn_peer_name(c, peer, sizeof peer);
                rpc_audit("access denied to %s: %s at level %u, interface %s requires %u", peer,
                          sec ? sec->ops->name : "unauthenticated", level, reg->iface->name,
                          reg->min_level);
                conn_put_fault(out, call_id, ctx_id, ERROR_ACCESS_DENIED, true);
                return;
        }
        if (object) {
                info.object = *object;
                info.has_object = true;
        }
        struct rpc_sec_ref ref = sec ? conn_sec_ref(sec) : (struct rpc_sec_ref){ 0 };
        if (sec && rpc_sec_protects(&ref)) {
                /* [MS-RPCE] 2.2.2.13: a verification trailer, when there is one, must
                   describe this very call -- the abstract syntax as the client bound it
                   (a v1.0 client of a v1.1 interface names v1.0); the stub ends where
                   it begins */
                uint16_t minor = reg->iface->ver_minor;
                for (unsigned i = 0; i < c->n_ctx; i++)
                        if (c->ctx[i].id == ctx_id)
                                minor = c->ctx[i].ver_minor;
                struct rpc_vt_call vt = {
                        .abstract = { reg->iface->uuid, reg->iface->ver_major, minor },
                        .transfer = rpc_syntax_ndr20,
                        .call_id = call_id, .context_id = ctx_id, .opnum = opnum,
                        .header_signing = c->hdr_sign,
                };
                memcpy(vt.drep, drep, 4);
                size_t n;
                int vr = rpc_sec_vt_check(stub, len, &vt, &n);
                if (vr < 0) {
                        char peer[64];
                        conn_peer_name(c, peer, sizeof peer);
                        rpc_audit("access denied to %s: %s, call %u: verification trailer %s", peer,
                                  sec->ops->name, call_id, vr == -EACCES ? "does not match the call"
                                                                         : "malformed");
                        conn_put_fault(out, call_id, ctx_id, ERROR_ACCESS_DENIED, true);
                        return;
                }
                if (n != len)
                        log_debug(rpc, "call %u: verification trailer checked", call_id);
                len = n;
        }
        /* the thread's scratch memory serves small calls without malloc (a call that
           runs while another is dispatched on this thread, should that ever be, takes
           the heap) */
        struct thread_scratch *ts = conn_thread_scratch();
        bool own_arena = ts && !ts->arena_busy;
        if (own_arena) {
                ts->arena_busy = true;
                arena_init_buf(&a, ts->arena, sizeof ts->arena, CALL_ARENA_MAX);
        } else {
                arena_init(&a, CALL_ARENA_MAX);
        }
        /* (a connection's calls are dispatched one at a time: its buffer is this call's) */
        if (c->resp_ready)
                ndr_push_reset(resp);
        else
                ndr_push_init(resp, MAX_RESPONSE_STUB);
        c->resp_ready = false;          /* until it is known to be worth keeping */
        r = ndr_pull_init(&in, stub, len, drep, &a);
        /* the server's side owns the interface pointers it handles (ndr-internal.h) */
        in.release_ifaces = true;
        /* stub (the reader's buffer, the thread's scratch or the reassembled call) is
           writable and outlives the call: [in] arrays may point into it */
        in.in_alias = true;
        resp->release_ifaces = true;
        in.iface_src = resp->iface_dest = c->iface_ctx;
        if (r >= 0) {
                struct ndr_server_call call = {
                        .in = &in, .out = resp, .arena = &a, .impl = reg->epv,
                        .contexts = &cc.table, .runtime = &info,
                        .iface = reg->iface, .opnum = opnum,
                };
                r = reg->invoke ? reg->invoke(&call, opnum, reg->invoke_ctx, &obj_fault)
                                : reg->iface->ops[opnum].dispatch(&call);
        }
        /* the stub may return between its lookup and its store: handles go back here */
        conn_call_contexts_release(&cc);
        __atomic_add_fetch(&c->srv->stats.calls_in, 1, __ATOMIC_RELAXED);
        bool sent = false;
        if (obj_fault)          /* an object interface's own fault status */
                conn_put_fault(out, call_id, ctx_id, obj_fault, false);
        else if (r < 0)
                conn_put_fault(out, call_id, ctx_id, dcom_fault_from_errno(r), false);
        else
                sent = put_response(c, out, call_id, ctx_id, resp->buf.data, resp->buf.len, sec) >= 0;
        /* an answer that does not go out: what was marshaled into it is released (once
           sent, its interface pointers are the peer's) */
        if (!sent)
                ndr_push_iface_unsend(resp);
        /* keep a modest response buffer for the next call; give a big one back */
        if (resp->buf.cap <= 65536 && !resp->buf.error)
                c->resp_ready = true;
        else
                ndr_push_free(resp);
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

/*
 * A call's record goes; the buffer of a call that ran (kept: dispatched), of the size
 * bulk calls use and no more than twice what it held (not what a lying alloc_hint had
 * reserved), is kept for the connection's next drain, budgeted for its capacity (what
 * the call held as its stub, the rest taken now).
 */
static void partial_end(struct rpc_conn *c, struct rpc_partial *p, bool kept) {
        size_t len = p->stub.len, cap = p->stub.cap;

        c->partial_bytes -= len;
        if (kept && !c->spare_stub.data && p->stub.data && !p->stub.error &&
            cap >= SPARE_STUB_MIN && cap <= SPARE_STUB_MAX && cap / 2 <= len &&
            server_partial_take(c, cap - len)) {
                c->spare_stub = p->stub;
                c->spare_stub.len = 0;
        } else {
                server_partial_give(c, len);
                buf_free(&p->stub);
        }
        *p = c->partial[--c->n_partial];
}

static void partial_drop(struct rpc_conn *c, struct rpc_partial *p) {
        partial_end(c, p, false);
}

/* A call set up for its first fragment to come in place, dropped with nothing of it
   appended: the buffer it took from the connection's spare, as it was, goes back to
   being the spare (budgeted again) for the call that does come.  (Not one a plan grew or
   allocated: only a call that ran leaves a spare, of its size.) */
static void partial_forget(struct rpc_conn *c, struct rpc_partial *p) {
        if (!c->spare_stub.data && p->stub.data && !p->stub.error && !p->stub.len &&
            p->spare_cap && p->stub.cap == p->spare_cap &&
            server_partial_take(c, p->stub.cap)) {
                c->spare_stub = p->stub;
                buf_init(&p->stub, 0);
        }
        partial_drop(c, p);
}

/* A call's record, from its first fragment's request header (the caller checked there
   is room: MAX_PARTIAL_CALLS). */
static struct rpc_partial *partial_new(struct rpc_conn *c, const struct rpc_pdu *pdu,
                                       struct rpc_sec *sec, uint64_t since_ms) {
        struct rpc_partial *p = &c->partial[c->n_partial++];

        memset(p, 0, sizeof *p);
        p->call_id = pdu->hdr.call_id;
        p->since_ms = since_ms;
        p->context_id = pdu->context_id;
        p->opnum = pdu->opnum;
        p->has_object = pdu->has_object;
        p->object = pdu->object;
        p->sec = sec;
        memcpy(p->drep, pdu->hdr.drep, 4);
        buf_init(&p->stub, MAX_REQUEST_STUB);
        return p;
}

/*
 * [MS-RPCE] 3.3.1.5.2: at CONNECT the requests may carry no verifier (impacket sends no
 * sec_trailer at all; PKT is signed, 2.2.1.1.8, and a bind at CALL refused): such a
 * request has the connection's established CONNECT context (NULL: none) -- not one a bind again replaced: the caller is who the
 * context that replaced it names, once that is established.  A context that failed
 * leaves the connection's calls refused (impacket loops on a closed socket: the answer
 * is a fault, not a close): -EACCES.
 */
static int unverified_sec(struct rpc_conn *c, struct rpc_sec **ret) {
        for (unsigned i = 0; i < c->n_sec; i++)
                if (c->sec[i].done && !c->sec[i].failed && !c->sec[i].retired &&
                    c->sec[i].level < RPC_AUTHN_LEVEL_PKT) {
                        *ret = &c->sec[i];
                        return 0;
                }
        for (unsigned i = 0; i < c->n_sec; i++)
                if (c->sec[i].failed)
                        return -EACCES;
        *ret = NULL;
        return 0;
}

/*
 * A protected request fragment verified (and unsealed) under sec, in a copy: the input
 * may be read-only.  A forged, replayed or reordered PDU: audited, negative -- the caller
 * faults (a security package error, as Windows: Samba's raw_protocol
 * test_spnego_integrity_bind_none) and the connection closes (its RC4 state is lost).
 */
static int open_protected(struct rpc_conn *c, struct rpc_pdu *pdu, struct rpc_sec *sec) {
        struct rpc_sec_ref ref = conn_sec_ref(sec);
        struct thread_scratch *ts = conn_thread_scratch();

        if (ts && !ts->pdu)
                ts->pdu = dcom_malloc(UINT16_MAX);
        if (!ts || !ts->pdu)
                return -ENOMEM;
        memcpy(ts->pdu, pdu->raw, pdu->hdr.frag_length);
        int r = rpc_sec_open_fragment(pdu, ts->pdu, &ref);
        if (r < 0) {
                conn_audit_sec_failure(c, sec->ops, sec->ctx, "request verification", r);
                log_debug(rpc, "request %u failed verification", pdu->hdr.call_id);
        }
        return r;
}

static int handle_request(struct rpc_conn *c, struct rpc_pdu *pdu, struct buf *out) {
        uint32_t call_id = pdu->hdr.call_id;
        uint8_t flags = pdu->hdr.pfc_flags;
        struct rpc_partial *p;

        c->no_direct_first = false;     /* a request through the reader: the next first
                                           fragment may come in place again */
        if (!c->bound) {
                conn_put_fault(out, call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        if (rpc_request_parse(pdu) < 0) {
                conn_put_fault(out, call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        struct rpc_sec *sec = NULL;
        p = partial_find(c, call_id);
        if (!(flags & RPC_PFC_FIRST_FRAG)) {
                /* a later fragment belongs to its call: its context id, opnum and
                   sec_trailer's fields are not looked at, it is verified under the first
                   fragment's security context, as Windows does (Samba's raw_protocol
                   test_ntlmssp_multi_auth_first1_last*); one of a call we never saw start
                   is a protocol error -- on the call being reassembled, if one is -- and
                   closes the connection */
                if (!p) {
                        struct rpc_partial *q = c->n_partial == 1 ? &c->partial[0] : NULL;
                        conn_put_fault(out, q ? q->call_id : call_id, q ? q->context_id : 0,
                                       NCA_S_PROTO_ERROR, false);
                        return -EPROTO;
                }
                if (memcmp(pdu->hdr.drep, p->drep, 4) != 0) {
                        conn_put_fault(out, call_id, p->context_id, NCA_S_PROTO_ERROR, true);
                        partial_drop(c, p);
                        return -EPROTO;
                }
                sec = p->sec;
                /* its context failed or was replaced since the call began: the call is
                   refused, as every call under it now is */
                if (sec && (sec->failed || sec->retired)) {
                        conn_put_fault(out, call_id, p->context_id, ERROR_ACCESS_DENIED, false);
                        partial_drop(c, p);
                        return -EACCES;
                }
                struct rpc_sec_ref ref = conn_sec_ref(sec);
                bool protects = sec && rpc_sec_protects(&ref);
                struct rpc_sec *now;
                if (!protects && unverified_sec(c, &now) < 0) {
                        /* a context of the connection failed meanwhile: its calls are
                           refused (the connection stays, as for a whole request) */
                        conn_put_fault(out, call_id, p->context_id, ERROR_ACCESS_DENIED, true);
                        partial_drop(c, p);
                        return 0;
                }
                if (protects) {
                        if (!pdu->has_auth) {
                                conn_put_fault(out, call_id, p->context_id, NCA_S_PROTO_ERROR, false);
                                partial_drop(c, p);
                                return -EPROTO;
                        }
                        pdu->sec.auth_type = sec->type;
                        pdu->sec.auth_level = sec->level;
                        pdu->sec.auth_context_id = sec->id;
                        int r = open_protected(c, pdu, sec);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                conn_put_fault(out, call_id, p->context_id, RPC_S_SEC_PKG_ERROR, false);
                                partial_drop(c, p);
                                return -EACCES;
                        }
                }
        } else if (p) {
                /* a call begun again: the fault goes to the one being reassembled (its
                   context), a security package error when the new first fragment names
                   another established context, as Windows answers (Samba's raw_protocol
                   test_ntlmssp_multi_auth_first1_firstSame*) */
                uint32_t status = NCA_S_PROTO_ERROR;
                if (pdu->has_auth && pdu->context_id == p->context_id) {
                        struct rpc_sec *other = conn_sec_find(c, pdu->sec.auth_context_id);
                        if (other && other->done && !other->failed && other != p->sec)
                                status = RPC_S_SEC_PKG_ERROR;
                }
                conn_put_fault(out, call_id, p->context_id, status, false);
                partial_drop(c, p);
                return -EPROTO;
        } else if (!(flags & RPC_PFC_LAST_FRAG) && c->n_partial >= MAX_PARTIAL_CALLS) {
                conn_put_fault(out, call_id, pdu->context_id, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        } else if (pdu->has_auth) {
                /* a verifier names an established context, by its id, type and level (one
                   of type none names none): otherwise access denied, and the connection
                   closes -- the fault without "did not execute", as Windows answers
                   (Samba's raw_protocol test_auth_none_*_request) */
                sec = conn_sec_find(c, pdu->sec.auth_context_id);
                if (sec && !sec->done && !sec->failed) {
                        /* a handshake not finished: a protocol error, not executed, the
                           connection closed, as Windows (Samba's raw_protocol
                           test_spnego_unfinished_request) */
                        conn_put_fault(out, call_id, 0, NCA_S_PROTO_ERROR, true);
                        return -EPROTO;
                }
                if (!sec || sec->failed || sec->type != pdu->sec.auth_type ||
                    sec->level != pdu->sec.auth_level) {
                        conn_put_fault(out, call_id, pdu->context_id, ERROR_ACCESS_DENIED, false);
                        return -EACCES;
                }
                struct rpc_sec_ref ref = conn_sec_ref(sec);
                int r = rpc_sec_protects(&ref) ? open_protected(c, pdu, sec) : 0;
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        conn_put_fault(out, call_id, pdu->context_id, RPC_S_SEC_PKG_ERROR, false);
                        return -EACCES;
                }
        } else if (unverified_sec(c, &sec) < 0) {
                conn_put_fault(out, call_id, pdu->context_id, ERROR_ACCESS_DENIED, true);
                return 0;
        }
        /* the common case: one fragment, dispatched straight from the input */
        if ((flags & RPC_PFC_FIRST_FRAG) && (flags & RPC_PFC_LAST_FRAG)) {
                dispatch(c, out, call_id, pdu->context_id, pdu->opnum,
                         pdu->has_object ? &pdu->object : NULL, pdu->hdr.drep, pdu->stub,
                         pdu->stub_len, sec);
                return 0;
        }
        if (flags & RPC_PFC_FIRST_FRAG)
                p = partial_new(c, pdu, sec, dcom_monotonic_ms());
        if (pdu->stub_len > MAX_REQUEST_STUB - p->stub.len ||
            pdu->stub_len > RPC_CONN_MAX_PARTIAL_BYTES - c->partial_bytes ||
            !server_partial_take(c, pdu->stub_len)) {
                /* past the call's, the connection's or the whole server's bound */
                conn_put_fault(out, call_id, p->context_id, NCA_S_FAULT_REMOTE_NO_MEMORY, true);
                partial_drop(c, p);
                return -EPROTO;
        }
        buf_append(&p->stub, pdu->stub, pdu->stub_len);
        if (p->stub.error) {
                server_partial_give(c, pdu->stub_len);
                conn_put_fault(out, call_id, p->context_id, NCA_S_FAULT_REMOTE_NO_MEMORY, true);
                partial_drop(c, p);
                return -EPROTO;
        }
        c->partial_bytes += pdu->stub_len;
        /* what the next fragments should look like, for server.c to receive them in
           place: the same size and header, as many as alloc_hint says are left */
        p->frag_length = pdu->hdr.frag_length;
        p->plain = !pdu->has_auth;
        p->left = pdu->alloc_hint > pdu->stub_len ? pdu->alloc_hint - (uint32_t)pdu->stub_len : 0;
        if (flags & RPC_PFC_LAST_FRAG) {
                dispatch(c, out, call_id, p->context_id, p->opnum, p->has_object ? &p->object : NULL,
                         p->drep, p->stub.data, p->stub.len, p->sec);
                partial_end(c, p, true);
        }
        return 0;
}

/* --- fragments received in place ------------------------------------------------------------ */

/*
 * A fragmented request's later fragments, received straight into the call's reassembly
 * buffer: server.c lays the next fragments out as the last one predicts them (the same
 * frag_length and header, alloc_hint's bytes left, each header to its own place and each
 * stub where it belongs in the call) and reads them with one recvmsg; each fragment is
 * then checked as handle_request would check it -- and taken from the budgets -- once its
 * header is in, and appended once its stub is.  A fragment that is not what was
 * predicted, or not whole in time, goes through the reader with everything after it,
 * and gets the usual answer.  Only unprotected calls qualify (no verifier to check), and
 * the reservation never goes past what reassembly would grow to anyway (the stub's own
 * size again, at least a fragment), nor past the call's bound.
 */
int rpc_conn_direct_plan(struct rpc_conn *c, size_t max, struct rpc_direct_plan *pl) {
        struct rpc_partial *p;
        size_t room, grow;

        if (!c->bound || c->n_partial != 1)
                return 0;
        p = &c->partial[0];
        pl->hdr_len = RPC_CO_HEADER_SIZE + 8 + (p->has_object ? 16 : 0);
        if (!p->plain || !p->left || p->frag_length <= pl->hdr_len || p->no_direct ||
            p->stub.len >= MAX_REQUEST_STUB || p->stub.error)
                return 0;
        pl->body_max = p->frag_length - pl->hdr_len;
        pl->left = p->left;
        pl->taken = 0;
        /* a call with nothing in its buffer yet (its first fragment to come in place)
           takes the connection's spare: the stub lands in the memory the last bulk call
           warmed.  No longer the spare, it is the reassembly's (as if grown: the drain
           trims it back at its end); its budget given back before the room is taken */
        if (!p->stub.data && c->spare_stub.data) {
                server_partial_give(c, c->spare_stub.cap);
                p->stub = c->spare_stub;
                p->stub.max = MAX_REQUEST_STUB;
                p->spare_cap = p->stub.cap;
                buf_init(&c->spare_stub, 0);
        }
        /* what reassembly would grow to anyway ... */
        grow = p->stub.len > pl->body_max ? p->stub.len : pl->body_max;
        room = pl->left;
        if (room > max)
                room = max;
        if (room > MAX_REQUEST_STUB - p->stub.len)
                room = MAX_REQUEST_STUB - p->stub.len;
        /* ... or all that alloc_hint says is left (one recvmsg, no realloc copying the
           stub as it doubles), taken from the connection's and the server's budgets for
           as long as it is reserved (rpc_conn_direct_done gives back what did not come
           and trims the buffer back to what reassembly would hold) */
        if (room > grow) {
                if (room <= RPC_CONN_MAX_PARTIAL_BYTES - c->partial_bytes &&
                    server_partial_take(c, room))
                        pl->taken = room;
                else
                        room = grow < room ? grow : room;
        }
        if (buf_reserve(&p->stub, room) < 0) {
                /* the optimistic room only: reassembly needs less, so the call goes on
                   without a drain (buf_reserve leaves the buffer as it was) */
                server_partial_give(c, pl->taken);
                pl->taken = 0;
                if (p->stub.error == -ENOMEM && room > grow)
                        p->stub.error = 0;
                return 0;
        }
        pl->room = room;
        pl->base = p->stub.data + p->stub.len;
        pl->call_id = p->call_id;
        return 1;
}

/* A request fragment's header alone (hdr_len bytes into h, which pdu then points
   into), parsed as a PDU with an empty stub: no auth trailer.  0, or -EBADMSG. */
static int request_header_parse(uint8_t h[RPC_CO_HEADER_SIZE + 8 + 16], const uint8_t *hdr,
                                size_t hdr_len, struct rpc_pdu *pdu) {
        memcpy(h, hdr, hdr_len);
        h[8] = (uint8_t)hdr_len;
        h[9] = (uint8_t)(hdr_len >> 8);
        if (rpc_pdu_parse(h, hdr_len, pdu) < 0 || pdu->hdr.ptype != RPC_PTYPE_REQUEST ||
            pdu->has_auth || rpc_request_parse(pdu) < 0)
                return -EBADMSG;
        return 0;
}

int rpc_conn_direct_check(struct rpc_conn *c, const uint8_t *hdr, struct rpc_direct_plan *pl,
                          size_t body_len, bool last) {
        struct rpc_partial *p = partial_find(c, pl->call_id);
        uint8_t h[RPC_CO_HEADER_SIZE + 8 + 16];
        struct rpc_pdu pdu;
        struct rpc_sec *sec;

        if (!p || pl->hdr_len > sizeof h)
                return 0;
        if ((size_t)(hdr[8] | hdr[9] << 8) != pl->hdr_len + body_len || (hdr[4] & 0xf0) != 0x10)
                return 0;       /* not the size predicted (or big-endian: let the reader) */
        if (request_header_parse(h, hdr, pl->hdr_len, &pdu) < 0)
                return 0;
        if (p->guessed) {
                /* a guess's first fragment (rpc_conn_direct_predict): the call is the one
                   it names, checked below as any first fragment in place is */
                p->call_id = pl->call_id = pdu.hdr.call_id;
                p->context_id = pdu.context_id;
                p->opnum = pdu.opnum;
                p->object = pdu.has_object ? pdu.object : (GUID){ 0 };
                memcpy(p->drep, pdu.hdr.drep, 4);
                if (unverified_sec(c, &p->sec) < 0)
                        return 0;
        }
        if (pdu.hdr.call_id != pl->call_id ||
            !(pdu.hdr.pfc_flags & RPC_PFC_FIRST_FRAG) != !p->fresh ||
            !(pdu.hdr.pfc_flags & RPC_PFC_LAST_FRAG) != !last ||
            !(pdu.hdr.pfc_flags & RPC_PFC_OBJECT_UUID) != !p->has_object ||
            pl->hdr_len + body_len > c->max_recv ||
            pdu.context_id != p->context_id || pdu.opnum != p->opnum ||
            memcmp(pdu.hdr.drep, p->drep, 4) != 0 ||
            unverified_sec(c, &sec) < 0 || sec != p->sec)
                return 0;
        if (body_len > MAX_REQUEST_STUB - p->stub.len ||
            body_len > RPC_CONN_MAX_PARTIAL_BYTES - c->partial_bytes)
                return 0;
        if (pl->taken >= body_len)
                pl->taken -= body_len;          /* reserved with the plan */
        else if (!server_partial_take(c, body_len))
                return 0;
        /* what handle_request learns from a fragment, its alloc_hint for the next plan,
           once the fragment is appended */
        pl->next_left = pdu.alloc_hint > body_len ? pdu.alloc_hint - (uint32_t)body_len : 0;
        __atomic_add_fetch(&c->srv->stats.pkts_in, 1, __ATOMIC_RELAXED);
        return 1;
}

void rpc_conn_direct_abort(struct rpc_conn *c, size_t body_len) {
        server_partial_give(c, body_len);
}

void rpc_conn_direct_done(struct rpc_conn *c, struct rpc_direct_plan *pl) {
        server_partial_give(c, pl->taken);
        pl->taken = 0;
}

void rpc_conn_direct_stop(struct rpc_conn *c, uint32_t call_id) {
        struct rpc_partial *p = partial_find(c, call_id);

        if (p && p->fresh) {
                /* nothing of it appended: its first fragment through the reader, which
                   sets the call up again (and answers what it should); a guess that was
                   wrong is not made again until a call's first fragment comes in place */
                if (p->guessed) {
                        c->predict.valid = false;
                        __atomic_add_fetch(&c->srv->stats.guesses_missed, 1, __ATOMIC_RELAXED);
                }
                partial_forget(c, p);
                c->no_direct_first = true;
        } else if (p)
                p->no_direct = true;
}

void rpc_conn_direct_end(struct rpc_conn *c) {
        for (unsigned i = 0; i < c->n_partial; i++) {
                struct rpc_partial *p = &c->partial[i];

                if (!p->fresh)
                        continue;
                if (p->guessed)
                        /* nothing came for the guess (what did went to the reader, the
                           guess stopped): the buffer stays, the next event guesses again */
                        partial_forget(c, p);
                else
                        rpc_conn_direct_stop(c, p->call_id);
                return;
        }
}

/* [C706] 12.6.4.9: a request's first fragment, when more follow, by its header alone
   (rpc_conn_direct_first): what handle_request would check before appending its stub. */
int rpc_conn_direct_first(struct rpc_conn *c) {
        const uint8_t *d = c->rd.buf + c->rd.off;
        size_t have = rpc_reader_pending(&c->rd), hdr_len, frag_length;
        uint8_t h[RPC_CO_HEADER_SIZE + 8 + 16];
        struct rpc_partial *p;
        struct rpc_sec *sec;
        struct rpc_pdu pdu;

        if (!c->bound || c->n_partial || c->no_direct_first || have < RPC_CO_HEADER_SIZE + 8)
                return 0;
        hdr_len = RPC_CO_HEADER_SIZE + 8 + ((d[3] & RPC_PFC_OBJECT_UUID) ? 16 : 0);
        frag_length = (size_t)(d[8] | d[9] << 8);
        /* little-endian headers only (as the later fragments'), started and not whole */
        if (have < hdr_len || d[2] != RPC_PTYPE_REQUEST || (d[4] & 0xf0) != 0x10 ||
            frag_length <= hdr_len || have >= frag_length || frag_length > c->max_recv)
                return 0;
        if (request_header_parse(h, d, hdr_len, &pdu) < 0 ||
            (pdu.hdr.pfc_flags & (RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG)) != RPC_PFC_FIRST_FRAG ||
            pdu.alloc_hint <= frag_length - hdr_len || unverified_sec(c, &sec) < 0)
                return 0;
        p = partial_new(c, &pdu, sec, c->rd.since_ms);  /* since its first byte */
        /* the prediction: this very fragment, then the others alloc_hint says follow */
        p->frag_length = (uint16_t)frag_length;
        p->plain = true;
        p->left = pdu.alloc_hint;
        p->fresh = true;
        return 1;
}

int rpc_conn_direct_predict(struct rpc_conn *c) {
        struct rpc_partial *p;

        if (!c->predict.valid || !c->bound || c->n_partial || c->no_direct_first ||
            !c->spare_stub.data || rpc_reader_pending(&c->rd))
                return 0;
        p = &c->partial[c->n_partial++];
        memset(p, 0, sizeof *p);
        p->call_id = c->predict.call_id + 1;    /* until its fragment says which it is */
        p->since_ms = dcom_monotonic_ms();
        p->has_object = c->predict.has_object;
        buf_init(&p->stub, MAX_REQUEST_STUB);
        p->frag_length = c->predict.frag_length;
        p->plain = true;
        p->left = c->predict.alloc_hint;
        p->fresh = true;
        p->guessed = true;
        return 1;
}

void rpc_conn_direct_trim(struct rpc_conn *c, const struct rpc_direct_plan *pl) {
        struct rpc_partial *p = partial_find(c, pl->call_id);

        /* (a call with nothing appended is dropped next, rpc_conn_direct_end: a guess
           keeps its buffer whole for the next) */
        if (!p || !p->stub.data || p->fresh)
                return;
        /* no more room than reassembly would have grown: a peer whose alloc_hint
           promised more than it sent holds no more memory than one that did not */
        size_t keep = p->stub.len > pl->body_max ? 2 * p->stub.len : p->stub.len + pl->body_max;
        if (p->stub.cap > keep) {
                uint8_t *q = dcom_realloc(p->stub.data, keep);
                if (q) {
                        p->stub.data = q;
                        p->stub.cap = keep;
                }
        }
}

void rpc_conn_direct_commit(struct rpc_conn *c, const struct rpc_direct_plan *pl, size_t body_len,
                            bool last, struct buf *out) {
        struct rpc_partial *p = partial_find(c, pl->call_id);

        if (!p)
                return;         /* cannot happen: checked, and nothing ran in between */
        p->stub.len += body_len;
        c->partial_bytes += body_len;
        p->left = (uint32_t)pl->next_left;
        if (p->fresh && pl->next_left) {
                /* a first fragment in place: the next call is guessed to be alike */
                c->predict.valid = true;
                c->predict.has_object = p->has_object;
                c->predict.frag_length = (uint16_t)(pl->hdr_len + body_len);
                c->predict.alloc_hint = (uint32_t)(pl->next_left + body_len);
                c->predict.call_id = p->call_id;
        }
        if (p->guessed)
                __atomic_add_fetch(&c->srv->stats.calls_guessed, 1, __ATOMIC_RELAXED);
        p->fresh = false;
        p->guessed = false;
        __atomic_add_fetch(&c->srv->stats.stub_in_place, body_len, __ATOMIC_RELAXED);
        if (last) {
                dispatch(c, out, p->call_id, p->context_id, p->opnum,
                         p->has_object ? &p->object : NULL, p->drep, p->stub.data, p->stub.len,
                         p->sec);
                partial_end(c, p, true);
        }
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
                conn_put_fault(out, pdu.hdr.call_id, 0, NCA_S_PROTO_ERROR, false);
                return -EPROTO;
        }
        switch (pdu.hdr.ptype) {
        case RPC_PTYPE_BIND:
        case RPC_PTYPE_ALTER_CONTEXT:
        {
                r = conn_handle_bind(c, &pdu, out);
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
                return conn_handle_auth3(c, &pdu);
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

/*
 * The common PDU, taken from the reader without the general parse: a whole request in
 * one fragment, little-endian with ASCII characters and IEEE floats, no auth trailer, on
 * a bound connection with no security context and no call in pieces -- what a plain
 * call's every request is.  It gets exactly what rpc_reader_next, handle_pdu and
 * handle_request would give it (the same checks: [C706] 12.6.3.1 the header, 12.6.4.9
 * the request's fields); 0 when it is not such a PDU (nothing taken), 1 when handled.
 */
static int fast_request(struct rpc_conn *c, struct buf *out) {
        struct rpc_reader *rd = &c->rd;
        size_t have = rd->len - rd->off;

        if (have < RPC_CO_HEADER_SIZE + 8 || !c->bound || c->n_partial || c->n_sec)
                return 0;
        const uint8_t *p = rd->buf + rd->off;
        if (p[0] != 5 || p[1] > 1 || p[2] != RPC_PTYPE_REQUEST ||
            (p[3] & (uint8_t)~RPC_PFC_OBJECT_UUID) != (RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG) ||
            dcom_get_le32(p + 4) != 0x10 || p[10] || p[11])
                return 0;
        size_t len = (size_t)(p[8] | p[9] << 8);
        bool object = p[3] & RPC_PFC_OBJECT_UUID;
        size_t head = RPC_CO_HEADER_SIZE + 8 + (object ? 16 : 0);
        if (len > have || len < head || len > c->max_recv)
                return 0;       /* not whole, short (a fault) or too long (a fault) */
        rd->off += len;
        if (rd->off < rd->len)
                rd->since_ms = dcom_monotonic_ms();     /* the next one has begun */
        __atomic_add_fetch(&c->srv->stats.pkts_in, 1, __ATOMIC_RELAXED);
        c->no_direct_first = false;
        GUID obj;
        if (object)
                dcom_guid_from_wire(p + RPC_CO_HEADER_SIZE + 8, &obj);
        const uint8_t *q = p + RPC_CO_HEADER_SIZE;      /* alloc_hint, p_cont_id, opnum */
        dispatch(c, out, dcom_get_le32(p + 12), (uint16_t)(q[4] | q[5] << 8),
                 (uint16_t)(q[6] | q[7] << 8), object ? &obj : NULL, p + 4, p + head,
                 len - head, NULL);
        return 1;
}

int rpc_conn_process(struct rpc_conn *c, struct buf *out) {
        const uint8_t *pdu;
        size_t len;
        int r;

        for (;;) {
                if (fast_request(c, out))
                        continue;
                if ((r = rpc_reader_next(&c->rd, &pdu, &len)) <= 0)
                        return r;
                if ((r = handle_pdu(c, pdu, len, out)) < 0)
                        return r;
        }
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
