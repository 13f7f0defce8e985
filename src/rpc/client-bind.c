/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC client's bind and alter_context ([C706] 12.6.4.3-4, [MS-RPCE] 3.3.1.5):
 * presentation contexts, security context legs (auth3 or alter_context) and bind time
 * feature negotiation.
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "epm_stub.h"

#include "client-internal.h"

static LOG_CHANNEL(rpc);

/* --- bind / alter_context ---------------------------------------------------------------------- */

/* An interface is bound once per abstract syntax (a bind follows only a miss): the first
   match is the only one. */
int client_context_match(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t *ret) {
        for (unsigned i = 0; i < b->n_ctx; i++)
                if (b->ctx[i].iface == iface ||
                    (dcom_guid_equal(&b->ctx[i].iface->uuid, &iface->uuid) &&
                     b->ctx[i].iface->ver_major == iface->ver_major &&
                     b->ctx[i].iface->ver_minor == iface->ver_minor)) {
                        *ret = b->ctx[i].id;
                        return 0;
                }
        return -ENOENT;
}

static uint16_t get_u16(const uint8_t *p, bool be) {
        return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p, bool be) {
        return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                  : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                            (uint32_t)p[3] << 24;
}

/*
 * A security context's auth_context_id: new for each one the process opens, as Windows
 * counts them, so that a capture tool (or a server) never sees two contexts of ours
 * under one id.
 */
static uint32_t next_auth_context_id(void) {
        static _Atomic uint32_t next;
        uint32_t id = atomic_fetch_add(&next, 1);

        if (id == 0) {          /* the first: start somewhere unpredictable */
                uint32_t seed = 0;
                if (getrandom(&seed, sizeof seed, 0) == (ssize_t)sizeof seed)
                        atomic_store(&next, (seed & 0xffff) + 2);
                id = (seed & 0xffff) + 1;
        }
        return id;
}

/* [MS-RPCE] 2.2.2.10: rpc_auth_3, the handshake's last leg; the server does not answer. */
static int send_auth3(struct rpc_binding *b, const struct rpc_sec_ref *sec, uint32_t call_id,
                      const struct buf *tok) {
        struct buf out;
        int r;

        buf_init(&out, 0);
        size_t start = rpc_pdu_begin(&out, RPC_PTYPE_AUTH3, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG,
                                     call_id);
        rpc_put_u32(&out, 0);                   /* pad */
        rpc_sec_put_trailer(&out, start, start, 4, sec, tok->data, tok->len);
        r = rpc_pdu_end(&out, start);
        if (r >= 0)
                r = out.error ? -ENOMEM : client_send_all(b, out.data, out.len);
        buf_free(&out);
        return r;
}

/* A bind or alter_context PDU for iface as context id, with sec's token when given. */
static int put_bind(struct buf *out, struct rpc_binding *b, bool alter, uint32_t call_id,
                    const struct ndr_interface *iface, uint16_t id, const struct rpc_sec_ref *sec,
                    const struct buf *tok) {
        size_t start = rpc_pdu_begin(out, alter ? RPC_PTYPE_ALTER_CONTEXT : RPC_PTYPE_BIND,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                                             (sec && !alter ? RPC_PFC_SUPPORT_HEADER_SIGN : 0),
                                     call_id);
        rpc_put_u16(out, CLIENT_MAX_FRAG);      /* max_xmit_frag */
        rpc_put_u16(out, CLIENT_MAX_FRAG);      /* max_recv_frag */
        rpc_put_u32(out, b->assoc_group);
        buf_put_u8(out, 1);                     /* one presentation context */
        buf_put_u8(out, 0);
        rpc_put_u16(out, 0);
        rpc_put_u16(out, id);
        buf_put_u8(out, 1);                     /* one transfer syntax: NDR 2.0 */
        buf_put_u8(out, 0);
        struct rpc_syntax_id as = { iface->uuid, iface->ver_major, iface->ver_minor };
        rpc_put_syntax(out, &as);
        rpc_put_syntax(out, &rpc_syntax_ndr20);
        if (sec)
                rpc_sec_put_trailer(out, start, start, 4, sec, tok->data, tok->len);
        return rpc_pdu_end(out, start);
}

/*
 * A leg of a handshake that needs more than three ([MS-RPCE] 3.3.1.5.2; SPNEGO's
 * fourth): tok goes to the server in an alter_context for iface's context id, and its
 * answer (from the alter_context_resp) to the provider, whose next token replaces tok.
 */
static int sec_leg(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t id,
                   struct rpc_sec_ref *sec, struct buf *tok, bool *done) {
        uint32_t call_id = b->next_call_id++;
        struct rpc_pdu pdu;
        struct buf out;
        int r;

        log_debug(rpc, "%s: another leg, in an alter_context", sec->ops->name);
        buf_init(&out, 0);
        r = put_bind(&out, b, true, call_id, iface, id, sec, tok);
        if (r >= 0)
                r = client_send_all(b, out.data, out.len);
        buf_free(&out);
        if (r < 0)
                return r;
        client_trips[b->sb.protseq].binds++;
        if ((r = client_recv_pdu(b, &pdu)) < 0)
                return r;
        if (pdu.hdr.call_id != call_id || pdu.hdr.ptype != RPC_PTYPE_ALTER_CONTEXT_RESP ||
            !pdu.has_auth || pdu.sec.auth_type != sec->type || pdu.sec.auth_context_id != sec->id)
                return pdu.hdr.ptype == RPC_PTYPE_FAULT ? -EACCES : -EPROTO;
        buf_clear(tok);
        return sec->ops->init_step(sec->ctx, pdu.auth, pdu.auth_len, tok, done);
}

/*
 * A bind (or, once bound, an alter_context) for iface: a new presentation context, or
 * *ret's existing one again when reuse.  With sec (its ctx NULL) it also opens that
 * security context for who ([MS-RPCE] 3.3.1.5.2): the provider's first token in the
 * sec_trailer, its answer from the bind_ack / alter_context_resp, the last leg in an
 * AUTH3 -- the binding's own context on the first bind, a per-call one later.
 */
int client_bind_context(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t *ret,
                 bool reuse, struct rpc_sec_ref *sec, const struct rpc_auth_identity *who) {
        bool alter = b->bound;
        uint16_t id = reuse ? *ret : b->next_ctx_id;
        struct buf out;
        struct rpc_pdu pdu;
        int r;

        if (!reuse && b->n_ctx >= CLIENT_MAX_CONTEXTS)
                return -ENOSPC;
        uint32_t call_id = b->next_call_id++;
        buf_init(&out, 0);
        /* the first bind of an authenticated binding opens its security context
           ([MS-RPCE] 3.3.1.5.2): the provider's first token in the bind's sec_trailer */
        struct buf tok;
        buf_init(&tok, 64 * 1024);
        bool sec_start = sec && !sec->ctx;
        if (sec_start) {
                const struct rpc_auth_ops *ops = rpc_auth_find(sec->type);
                bool done = false;
                if (!ops || !ops->init) {
                        buf_free(&out);
                        return -EPROTONOSUPPORT;
                }
                r = ops->init(&sec->ctx, who, &tok, &done);
                if (r < 0 || tok.error) {
                        buf_free(&tok);
                        buf_free(&out);
                        return r < 0 ? r : -ENOMEM;
                }
                sec->ops = ops;
                sec->id = next_auth_context_id();
        }
        /* [MS-RPCE] 2.2.2.3: an authenticated bind offers header signing */
        if (!alter)
                b->hdr_offered = sec_start;
        r = put_bind(&out, b, alter, call_id, iface, id, sec_start ? sec : NULL, &tok);
        buf_free(&tok);
        if (r >= 0)
                r = client_send_all(b, out.data, out.len);
        buf_free(&out);
        if (r < 0)
                return r;
        client_trips[b->sb.protseq].binds++;
        if ((r = client_recv_pdu(b, &pdu)) < 0)
                return r;
        if (pdu.hdr.call_id != call_id) {
                log_debug(rpc, "answer to bind %u for call %u", call_id, pdu.hdr.call_id);
                return -EPROTO;
        }
        /* the body's integers in the sender's data representation ([C706] 14.1) */
        bool be = (pdu.hdr.drep[0] & 0xf0) == 0;
        if (pdu.hdr.ptype == RPC_PTYPE_BIND_NAK) {
                uint16_t reason = pdu.body_len >= 2 ? get_u16(pdu.body, be) : 0;
                log_debug(rpc, "bind_nak, reason %u", reason);
                return reason == RPC_BIND_NAK_TEMPORARY_CONGESTION ? -EBUSY : -ECONNREFUSED;
        }
        if (pdu.hdr.ptype == RPC_PTYPE_FAULT) {
                if (rpc_fault_parse(&pdu) >= 0)
                        b->fault = pdu.status;
                /* a bind that was opening a security context and failed: the connection
                   goes with the half-made context, never to be bound again without it */
                return sec_start ? -EACCES : -EREMOTEIO;
        }
        if (pdu.hdr.ptype != (alter ? RPC_PTYPE_ALTER_CONTEXT_RESP : RPC_PTYPE_BIND_ACK))
                return -EPROTO;
        /* bind_ack: max_xmit, max_recv, assoc_group, sec_addr, pad, results */
        const uint8_t *p = pdu.body, *end = pdu.body + pdu.body_len;
        if (end - p < 10)
                return -EPROTO;
        uint16_t mx = get_u16(p, be), mr = get_u16(p + 2, be);
        uint32_t ag = get_u32(p + 4, be);
        uint16_t sl = get_u16(p + 8, be);
        p += 10;
        if ((size_t)(end - p) < sl)
                return -EPROTO;
        p += sl;
        size_t off = (size_t)(p - pdu.raw);
        p += (4 - (off & 3)) & 3;
        if (end - p < 4 + 24 || p[0] < 1)
                return -EPROTO;
        uint16_t result = get_u16(p + 4, be);
        if (sec_start) {
                /* the server's answer to our token; the last leg goes in an AUTH3 */
                bool done = false;
                if (!alter)
                        b->hdr_sign = pdu.hdr.pfc_flags & RPC_PFC_SUPPORT_HEADER_SIGN;
                if (!pdu.has_auth || pdu.sec.auth_type != sec->type ||
                    pdu.sec.auth_context_id != sec->id) {
                        log_debug(rpc, "%s without the security provider's answer",
                                  alter ? "alter_context_resp" : "bind_ack");
                        return -EACCES;
                }
                buf_init(&tok, 64 * 1024);
                /* whether its verifiers cover the header: what the bind_ack answered */
                if (sec->ops->header_signing)
                        sec->ops->header_signing(sec->ctx, b->hdr_sign);
                r = sec->ops->init_step(sec->ctx, pdu.auth, pdu.auth_len, &tok, &done);
                /* more legs (the provider not done with a token to send): alter_contexts;
                   the last token, the provider done, goes in an AUTH3 */
                for (unsigned legs = 0; r >= 0 && !done && tok.len; legs++)
                        r = legs < 4 ? sec_leg(b, iface, id, sec, &tok, &done) : -EPROTO;
                if (r >= 0 && tok.len)
                        r = send_auth3(b, sec, call_id, &tok);
                buf_free(&tok);
                if (r < 0) {
                        const char *why = sec->ops->failure ? sec->ops->failure(sec->ctx) : NULL;
                        log_debug(rpc, "%s: %s", sec->ops->name, why ? why : strerror(-r));
                        return r == -ENOMEM ? r : -EACCES;
                }
        }
        if (!alter) {
                /* what we send is bounded by what the server receives: its max_recv_frag
                   ([C706] 12.6.3.1, at least MustRecvFragSize) */
                if (mr < 1432)
                        return -EPROTO;
                b->max_xmit = mr < CLIENT_MAX_FRAG ? mr : CLIENT_MAX_FRAG;
                b->max_recv = mx;
                b->assoc_group = ag;
                b->bound = true;
        }
        if (!reuse)
                b->next_ctx_id++;
        if (result != RPC_RESULT_ACCEPTANCE) {
                log_debug(rpc, "presentation context rejected: result %u reason %u", result,
                          get_u16(p + 6, be));
                return -ENXIO;  /* RPC_S_UNKNOWN_IF */
        }
        if (!reuse) {
                b->ctx[b->n_ctx].iface = iface;
                b->ctx[b->n_ctx].id = id;
                b->n_ctx++;
        }
        *ret = id;
        return 0;
}
