/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's bind, alter_context and auth3 ([C706] 12.6.4.3-4, [MS-RPCE] 3.3.1.5):
 * presentation contexts, bind time feature negotiation, association groups joined, and
 * the security contexts a connection's binds set up.
 */
#include <errno.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <arpa/inet.h>

#include "conn-internal.h"

static LOG_CHANNEL(rpc);

/* --- security contexts ([MS-RPCE] 3.3.1.5.2) ----------------------------------------------- */

/* The peer as an audit line names it. */
void conn_peer_name(const struct rpc_conn *c, char *buf, size_t size) {
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
void conn_audit_sec_failure(const struct rpc_conn *c, const struct rpc_auth_ops *ops, void *ctx,
                       const char *what, int err) {
        const char *why = ops && ctx && ops->failure ? ops->failure(ctx) : NULL;
        char peer[64];

        conn_peer_name(c, peer, sizeof peer);
        rpc_audit("access denied to %s: %s, %s: %s", peer, ops ? ops->name : "unknown provider",
                  what, why ? why : strerror(-err));
}

struct rpc_sec *conn_sec_find(struct rpc_conn *c, uint32_t id) {
        for (unsigned i = 0; i < c->n_sec; i++)
                if (c->sec[i].id == id && !c->sec[i].retired)
                        return &c->sec[i];
        return NULL;
}

/*
 * The token of a bind, alter_context or AUTH3 for its auth_context_id: a new context
 * (accept) or the next leg of one (step); what the provider answers goes to tok.
 * -EPROTONOSUPPORT: no provider for the type; -ENOSPC: too many contexts; -EDOM: the
 * level CALL; -EACCES and the provider's errors otherwise.
 */
static int sec_token(struct rpc_conn *c, const struct rpc_pdu *pdu, struct buf *tok,
                     struct rpc_sec **ret) {
        const struct rpc_auth_ops *ops = rpc_auth_find(pdu->sec.auth_type);
        struct rpc_sec *s = conn_sec_find(c, pdu->sec.auth_context_id);
        bool done = false;
        int r;

        /* the level first: an invalid one is refused as such (a bind_nak "not
           specified"), whatever the type, as Windows does */
        if (pdu->sec.auth_level < RPC_AUTHN_LEVEL_CONNECT ||
            pdu->sec.auth_level > RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return -EACCES;
        if (!ops)
                return -EPROTONOSUPPORT;
        /* [MS-RPCE] 2.2.1.1.8: on a connection CALL is PKT, and a client sends PKT
           (rpc_authn_level_client); a bind at CALL is refused "invalid checksum", as
           Windows does (Samba's raw_protocol test_spnego_call_bind) */
        if (pdu->sec.auth_level == RPC_AUTHN_LEVEL_CALL)
                return -EDOM;
        /* from PKT every PDU is signed: a provider that cannot sign cannot give it */
        if (pdu->sec.auth_level >= RPC_AUTHN_LEVEL_PKT &&
            (!ops->sign || !ops->verify || !ops->verifier_size))
                return -EACCES;
        /* a context keeps the type and level its handshake began with: a leg that
           changes them fails the context (an alter_context's is answered with a fault and
           the connection closed; an AUTH3's shows on the next request) */
        if (s && (s->type != pdu->sec.auth_type || s->level != pdu->sec.auth_level)) {
                s->failed = true;
                return -EACCES;
        }
        if (s && s->failed)
                return -EACCES;         /* one try per context: no password guessing on it */
        if (s) {
                /* an AUTH3 has no answer: the provider is told so (out NULL), so that it
                   makes nothing the client would never see (SPNEGO's mechListMIC, whose
                   signing would move the sequence numbers on) */
                r = s->ops->step(s->ctx, pdu->auth, pdu->auth_len,
                                 pdu->hdr.ptype == RPC_PTYPE_AUTH3 ? NULL : tok, &done);
                if (r < 0)
                        conn_audit_sec_failure(c, s->ops, s->ctx, "authentication", r);
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
                        conn_audit_sec_failure(c, ops, NULL, "security context refused", r);
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
        /* what the caller is may have changed (its level, its identity once done): calls
           under it are another caller's from now on */
        s->serial = rpc_serial_next();
        *ret = s;
        return r;
}

struct rpc_sec_ref conn_sec_ref(const struct rpc_sec *s) {
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

int conn_handle_bind(struct rpc_conn *c, const struct rpc_pdu *pdu, struct buf *out) {
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
        struct thread_scratch *scratch = conn_thread_scratch();
        struct rpc_bind *b;
        int r;

        if (alter && !c->bound) {
                conn_put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                return -EPROTO;
        }
        if (!scratch)
                return -ENOMEM;
        b = &scratch->bind;
        r = rpc_bind_parse(pdu, b);
        if (r == -E2BIG) {
                conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED);
                return alter ? -EPROTO : 0;
        }
        if (r < 0) {
                if (alter) {
                        conn_put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                        return -EPROTO;
                }
                conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                return 0;
        }
        /* one bind time feature negotiation a bind: two are refused, and the connection
           closed, as Windows does (Samba's raw_protocol test_no_auth_bind_time_twice) */
        if (!alter) {
                unsigned n_btfn = 0;
                for (unsigned i = 0; i < b->n_contexts; i++)
                        n_btfn += rpc_syntax_is_btfn(&b->contexts[i].transfer[0], NULL);
                if (n_btfn > 1) {
                        log_debug(rpc, "bind with %u feature negotiations", n_btfn);
                        conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return -EPROTO;
                }
        }
        /* an alter_context adds presentation contexts but does not change one: a context
           id bound to another interface or version is a protocol error, refused before
           any security token is looked at, as Windows does (Samba's raw_protocol
           test_spnego_change_abstract).  (A bind again replaces them: see rebind.) */
        if (alter) {
                for (unsigned i = 0; i < b->n_contexts; i++) {
                        const struct rpc_pres_context *pc = &b->contexts[i];
                        const struct rpc_if_reg *reg = rpc_server_find_if(c->srv, &pc->abstract);
                        for (unsigned k = 0; reg && k < c->n_ctx; k++)
                                if (c->ctx[k].id == pc->context_id &&
                                    (c->ctx[k].reg != reg ||
                                     c->ctx[k].ver_minor != pc->abstract.ver_minor)) {
                                        log_debug(rpc, "alter_context changes context %u",
                                                  pc->context_id);
                                        conn_put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR,
                                                       true);
                                        return -EPROTO;
                                }
                }
        }
        if (rebind && b->assoc_group_id && b->assoc_group_id != c->assoc->id) {
                log_debug(rpc, "bind again on a connection, to another association group");
                conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                return -EPROTO;
        }
        /* [MS-RPCE] 2.2.2.3, 3.3.1.5.2.2: header signing, from the first bind or
           alter_context that offers it (an alter_context may, when the bind did not, as
           Windows takes it), for every security context of the connection from then on;
           the answer to a PDU offering it says it is granted.  It only ever turns on: no
           PDU can take it away */
        bool hdr_offer = pdu->hdr.pfc_flags & RPC_PFC_SUPPORT_HEADER_SIGN;
        if (rebind && pdu->has_auth && pdu->sec.auth_type != 0) {
                struct rpc_sec *old = conn_sec_find(c, pdu->sec.auth_context_id);
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
                                conn_put_fault(out, pdu->hdr.call_id, 0, ERROR_ACCESS_DENIED, true);
                                return -EACCES;
                        }
                        conn_put_bind_nak(out, pdu->hdr.call_id,
                                     r == -EPROTONOSUPPORT
                                             ? RPC_BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED
                                     : r == -ENOSPC ? RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED
                                     : r == -EDOM   ? RPC_BIND_NAK_INVALID_CHECKSUM
                                                    : RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return 0;
                }
        }
        if (!alter && !rebind) {
                /* [C706] 12.6.3.1: both sides must offer at least MustRecvFragSize */
                if (b->max_xmit_frag < MUST_RECV_FRAG || b->max_recv_frag < MUST_RECV_FRAG) {
                        buf_free(&tok);
                        conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return 0;
                }
                c->assoc = conn_assoc_join(c->srv, b->assoc_group_id, c->protseq, &c->who);
                if (!c->assoc) {
                        buf_free(&tok);
                        log_debug(rpc, "bind to unknown association group 0x%x", b->assoc_group_id);
                        conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_REASON_NOT_SPECIFIED);
                        return 0;
                }
                /* [MS-RPCE] 3.3.1.5.2: each side uses the smaller of the two offers */
                c->max_xmit = b->max_recv_frag < SERVER_MAX_FRAG ? b->max_recv_frag : SERVER_MAX_FRAG;
                c->max_recv = b->max_xmit_frag < SERVER_MAX_FRAG ? b->max_xmit_frag : SERVER_MAX_FRAG;
                c->bound = true;
        }

        /* granted with the answer that says so, not before (a refused bind grants nothing);
           a context this PDU began is among those it now covers */
        if (hdr_offer && !c->hdr_sign) {
                c->hdr_sign = true;
                for (unsigned i = 0; i < c->n_sec; i++)
                        if (c->sec[i].ops->header_signing)
                                c->sec[i].ops->header_signing(c->sec[i].ctx, true);
        }
        size_t start = rpc_pdu_begin(out, alter ? RPC_PTYPE_ALTER_CONTEXT_RESP : RPC_PTYPE_BIND_ACK,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                                             (hdr_offer ? RPC_PFC_SUPPORT_HEADER_SIGN : 0),
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
                if (!alter && rpc_syntax_is_btfn(&pc->transfer[0], &btfn)) {
                        /* [MS-RPCE] 3.3.1.5.3: ack, with the features we support: more than
                           one security context on a connection (0x1: conn_sec_find's
                           auth_context_ids), keeping the connection when a call is orphaned
                           (0x2).  As Windows does, the context's first transfer syntax
                           decides, whatever follows it; only a bind negotiates (an
                           alter_context's such context is refused as any other) */
                        result = RPC_RESULT_NEGOTIATE_ACK;
                        reason = btfn & 0x3;
                } else if (reg && ndr20) {
                        if (c->n_ctx < RPC_MAX_CONTEXTS || conn_context_if(c, pc->context_id)) {
                                result = RPC_RESULT_ACCEPTANCE;
                                reason = 0;
                                ts = &rpc_syntax_ndr20;
                                bool found = false;
                                for (unsigned k = 0; k < c->n_ctx; k++)
                                        if (c->ctx[k].id == pc->context_id) {
                                                c->ctx[k].reg = reg;
                                                c->ctx[k].ver_minor = pc->abstract.ver_minor;
                                                found = true;
                                        }
                                if (!found) {
                                        c->ctx[c->n_ctx].id = pc->context_id;
                                        c->ctx[c->n_ctx].reg = reg;
                                        c->ctx[c->n_ctx].ver_minor = pc->abstract.ver_minor;
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
        /* a leg of a handshake is answered with a sec_trailer, its token empty when the
           provider has nothing more to say (NTLM's AUTHENTICATE in an alter_context): so
           Windows answers (Samba's raw_protocol test_ntlmssp_multi_auth_*) */
        if (sec) {
                struct rpc_sec_ref ref = conn_sec_ref(sec);
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
                        conn_put_fault(out, pdu->hdr.call_id, 0, NCA_S_PROTO_ERROR, true);
                else
                        conn_put_bind_nak(out, pdu->hdr.call_id, RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED);
                return -EPROTO;
        }
        return r;
}

/* AUTH3 ([MS-RPCE] 2.2.2.10): the last leg, no reply.  A failure is answered on the next
   request (a fault), not by closing: impacket spins on a closed connection. */
int conn_handle_auth3(struct rpc_conn *c, const struct rpc_pdu *pdu) {
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
