/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Negotiate (auth_type 9): SPNEGO choosing Kerberos (MIT's, gss-rpc.c) or NTLM (ours,
 * ntlm.c, wrapped here) -- see negotiate.h for the choice and the wire.  A context is a
 * small router: which mechanism, the inner provider's context, and for NTLM the SPNEGO
 * state around it (the legs, the mechTypes the mechListMICs sign).  Per-PDU protection
 * and the caller's identity are the inner provider's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "rpc/auth/negotiate.h"
#include "rpc/auth/ntlm.h"
#include "rpc/auth/providers.h"
#ifdef DCOM_HAVE_GSSAPI
#include "rpc/auth/gss-rpc.h"
#define HAVE_KERBEROS true
#else
#define HAVE_KERBEROS false
#endif

static LOG_CHANNEL(rpc);

#define MAX_TOKEN (64 * 1024)

static const uint8_t ntlmssp_signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

enum state {
        WANT_NEGOTIATE,    /* server: the client's NEGOTIATE, in a NegTokenResp */
        WANT_AUTHENTICATE, /* server: the AUTHENTICATE; client: the CHALLENGE */
        WANT_COMPLETED,    /* client: accept-completed and the server's mechListMIC */
        DONE,
        FAILED,
};

struct negotiate {
        bool initiator;
        enum negotiate_mech mech;
        bool spnego;                      /* NTLM inside SPNEGO (else raw NTLMSSP tokens) */
        const struct rpc_auth_ops *inner; /* rpc_ntlm_ops or rpc_gss_spnego_ops */
        void *ctx;                        /* the inner provider's context */
        enum state state;
        bool mic_required;   /* the server chose NTLM over the client's first
                                choice, or asked for the MIC (request-mic) */
        bool mic_sent;       /* client: a mechListMIC went with the AUTHENTICATE */
        uint8_t *mech_types; /* the DER MechTypeList: what the MICs sign */
        size_t mech_types_len;
        uint8_t *last_in; /* server: the token that completed the context */
        size_t last_in_len;
        char failure[512];
};

static struct negotiate *negotiate_new(bool initiator) {
        struct negotiate *n = dcom_calloc(1, sizeof *n);

        if (n)
                n->initiator = initiator;
        return n;
}

static void neg_free(void *ctx) {
        struct negotiate *n = ctx;

        if (!n)
                return;
        if (n->inner && n->ctx)
                n->inner->free(n->ctx);
        dcom_free(n->mech_types);
        dcom_free(n->last_in);
        explicit_bzero(n, sizeof *n);
        dcom_free(n);
}

static struct ntlm_ctx *ntlm_of(const struct negotiate *n) {
        return n->mech == NEGOTIATE_NTLM ? rpc_ntlm_context(n->ctx) : NULL;
}

/* Why it failed, naming the NTLM user once the AUTHENTICATE said who. */
static int fail(struct negotiate *n, int err, const char *why) {
        struct ntlm_ctx *c = ntlm_of(n);
        const struct ntlm_identity *id = c ? ntlm_identity(c) : NULL;

        if (id && id->user[0])
                snprintf(n->failure, sizeof n->failure,
                         "NTLM user '%.100s\\%.100s' in SPNEGO: %.200s", id->client_domain,
                         id->user, why);
        else
                snprintf(n->failure, sizeof n->failure, "SPNEGO: %.200s", why);
        n->state = FAILED;
        return err == -ENOMEM ? err : -EACCES;
}

/* The inner provider failed: its reason stands (the runtime asks failure()). */
static int inner_failed(struct negotiate *n, int err) {
        n->failure[0] = 0;
        n->state = FAILED;
        return err == -ENOMEM ? err : -EACCES;
}

static int keep(uint8_t **p, size_t *plen, const uint8_t *in, size_t len) {
        uint8_t *copy = dcom_malloc(len ? len : 1);

        if (!copy)
                return -ENOMEM;
        if (len)
                memcpy(copy, in, len);
        dcom_free(*p);
        *p = copy;
        *plen = len;
        return 0;
}

static void put_resp(struct buf *out, int state, bool supported, const struct spnego_bytes *token,
                     const uint8_t *mic) {
        struct spnego_resp r = {
                .neg_state = state,
                .supported_mech =
                        supported ? (struct spnego_bytes){spnego_oid_ntlm, sizeof spnego_oid_ntlm}
                                  : (struct spnego_bytes){NULL, 0},
                .response_token = token ? *token : (struct spnego_bytes){NULL, 0},
                .mech_list_mic = mic ? (struct spnego_bytes){mic, NTLM_SIGNATURE_SIZE}
                                     : (struct spnego_bytes){NULL, 0},
        };
        spnego_write_resp(out, &r);
}

/* --- the server -------------------------------------------------------------------------- */

static bool is_kerberos(const struct spnego_bytes *oid) {
        return SPNEGO_OID_IS(oid, spnego_oid_krb5) || SPNEGO_OID_IS(oid, spnego_oid_ms_krb5);
}

enum negotiate_mech negotiate_choose(const struct spnego_init *init, bool have_keys, bool kerberos,
                                     int *ret_ntlm_index) {
        int ntlm = SPNEGO_MECH_INDEX(init, spnego_oid_ntlm);
        bool krb_offered = false;

        *ret_ntlm_index = -1;
        if (init->n_mechs == 0)
                return NEGOTIATE_NONE;
        /* Kerberos when the client prefers it and we can accept it */
        if (kerberos && have_keys && is_kerberos(&init->mechs[0]))
                return NEGOTIATE_KERBEROS;
        /* else NTLM, when offered (first or not) */
        if (ntlm >= 0) {
                *ret_ntlm_index = ntlm;
                return NEGOTIATE_NTLM;
        }
        /* else MIT, which takes Kerberos further down the list or says why not */
        for (unsigned i = 0; i < init->n_mechs; i++)
                krb_offered |= is_kerberos(&init->mechs[i]);
        return kerberos && krb_offered ? NEGOTIATE_KERBEROS : NEGOTIATE_NONE;
}

#ifdef DCOM_HAVE_GSSAPI
static int accept_kerberos(struct negotiate *n, const uint8_t *in, size_t len, struct buf *out,
                           bool *done) {
        int r = rpc_gss_spnego_ops.accept(&n->ctx, in, len, out, done);

        if (r < 0)
                return r; /* gss-rpc.c audited it, naming the principal */
        n->mech = NEGOTIATE_KERBEROS;
        n->inner = &rpc_gss_spnego_ops;
        return 0;
}
#endif

/* The server's first NTLM leg: a NEGOTIATE in, the CHALLENGE out (in SPNEGO or raw). */
static int ntlm_negotiate(struct negotiate *n, const uint8_t *neg, size_t len, struct buf *chal) {
        bool d = false;
        int r = rpc_ntlm_ops.accept(&n->ctx, neg, len, chal, &d);

        if (r < 0)
                return fail(n, r, "NEGOTIATE message refused");
        n->state = WANT_AUTHENTICATE;
        return 0;
}

int negotiate_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done,
                     bool kerberos) {
        struct negotiate *n = negotiate_new(false);
        struct spnego_init init;
        int r, idx;

        if (!n)
                return -ENOMEM;
        n->inner = &rpc_ntlm_ops;
        n->mech = NEGOTIATE_NTLM;
        *done = false;
        if (spnego_parse_init(in, len, &init) < 0) {
                if (len >= 8 && memcmp(in, ntlmssp_signature, 8) == 0) {
                        /* raw NTLMSSP under auth_type 9: plain NTLM throughout */
                        r = ntlm_negotiate(n, in, len, out);
                        goto out;
                }
                n->mech = NEGOTIATE_KERBEROS; /* MIT refuses it, saying why */
                goto kerberos;
        }
        bool have_keys = false;
#ifdef DCOM_HAVE_GSSAPI
        if (kerberos && is_kerberos(&init.mechs[0]))
                have_keys = rpc_gss_have_keys();
#endif
        n->mech = negotiate_choose(&init, have_keys, kerberos && HAVE_KERBEROS, &idx);
        if (n->mech == NEGOTIATE_KERBEROS)
                goto kerberos;
        if (n->mech != NEGOTIATE_NTLM) {
                log_debug(rpc, "Negotiate: neither Kerberos nor NTLM offered");
                r = -EACCES;
                goto out;
        }

        /* NTLM inside SPNEGO; the list as the client sent it is what the MICs sign */
        n->spnego = true;
        r = keep(&n->mech_types, &n->mech_types_len, init.mech_types.p, init.mech_types.len);
        if (r < 0)
                goto out;
        if (idx == 0 && init.mech_token.p) {
                /* the client's first choice, its optimistic token a NEGOTIATE */
                struct buf chal;
                buf_init(&chal, MAX_TOKEN);
                r = ntlm_negotiate(n, init.mech_token.p, init.mech_token.len, &chal);
                if (r >= 0) {
                        struct spnego_bytes t = {chal.data, chal.len};
                        put_resp(out, SPNEGO_ACCEPT_INCOMPLETE, true, &t, NULL);
                }
                buf_free(&chal);
        } else {
                /* NTLM was not the client's first choice (or came without a token): ask
                   for its NEGOTIATE; RFC 4178 5: a downgrade makes the MIC mandatory */
                n->mic_required = idx != 0;
                put_resp(out, idx != 0 ? SPNEGO_REQUEST_MIC : SPNEGO_ACCEPT_INCOMPLETE, true, NULL,
                         NULL);
                n->state = WANT_NEGOTIATE;
                log_debug(rpc, "Negotiate: NTLM, the client's choice number %d", idx + 1);
        }
        goto out;

kerberos:
#ifdef DCOM_HAVE_GSSAPI
        if (kerberos) {
                r = accept_kerberos(n, in, len, out, done);
                if (r < 0) {
                        n->inner = NULL;
                        n->ctx = NULL;
                }
                goto out;
        }
#endif
        log_debug(rpc, "Negotiate: a token we cannot take without Kerberos");
        r = -EACCES;
out:
        if (r >= 0 && out->error)
                r = out->error;
        if (r < 0) {
                if (n->failure[0])
                        log_debug(rpc, "Negotiate: %s", n->failure);
                neg_free(n);
                return r == -ENOMEM ? r : -EACCES;
        }
        *ret = n;
        return 0;
}

static int neg_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        return negotiate_accept(ret, in, len, out, done, HAVE_KERBEROS);
}

/* The AUTHENTICATE, and the mechListMICs: the client's checked, ours made -- unless our
   answer goes nowhere (answered false: the token came in an AUTH3), when making it would
   move our RC4 handle and sequence number where the client's never go. */
static int server_authenticate(struct negotiate *n, const struct spnego_resp *resp, bool answered,
                               struct buf *out) {
        bool d = false;
        int r = rpc_ntlm_ops.step(n->ctx, resp->response_token.p, resp->response_token.len, out,
                                  &d);
        struct ntlm_ctx *c = ntlm_of(n);
        uint8_t mic[NTLM_SIGNATURE_SIZE];

        if (r < 0)
                return inner_failed(n, r);
        if (!d || !c || !ntlm_established(c))
                return fail(n, -EACCES, "NTLM did not complete");
        /* [MS-SPNG] 3.2.5.1: mandatory after a downgrade, or when the AUTHENTICATE had a
           MIC and signing was negotiated (Samba at CONNECT sends neither); checked
           whenever sent */
        bool sign = ntlm_flags(c) & NTLMSSP_NEGOTIATE_SIGN;
        bool need = n->mic_required || (sign && ntlm_mic_present(c)) || resp->mech_list_mic.p;
        if (resp->mech_list_mic.p) {
                if (ntlm_spnego_mic_verify(c, n->mech_types, n->mech_types_len,
                                           resp->mech_list_mic.p, resp->mech_list_mic.len) < 0)
                        return fail(n, -EACCES, "bad mechListMIC");
        } else if (need) {
                return fail(n, -EACCES,
                            "mechListMIC missing (the AUTHENTICATE had a MIC, or NTLM "
                            "was not the client's first choice)");
        }
        need &= answered;
        if (need && ntlm_spnego_mic_sign(c, n->mech_types, n->mech_types_len, mic) < 0)
                return fail(n, -EACCES, "cannot sign the mechListMIC");
        put_resp(out, SPNEGO_ACCEPT_COMPLETED, false, NULL, need ? mic : NULL);
        n->state = DONE;
        return 0;
}

static int neg_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct negotiate *n = ctx;
        struct spnego_resp resp;
        int r;

        if (n->initiator || !n->inner)
                return -EINVAL;
        if (n->mech == NEGOTIATE_KERBEROS || !n->spnego)
                return n->inner->step(n->ctx, in, len, out, done);
        *done = false;
        switch (n->state) {
        case DONE:
                /* the same last token again (a peer re-sending it on alter_context) */
                if (n->last_in && len == n->last_in_len && memcmp(in, n->last_in, len) == 0) {
                        *done = true;
                        return 0;
                }
                return fail(n, -EACCES, "a new token for an established context");
        case FAILED:
                return -EACCES;
        default:
                break;
        }
        if (spnego_parse_resp(in, len, &resp) < 0)
                return fail(n, -EACCES, "malformed NegTokenResp");
        if (resp.neg_state == SPNEGO_REJECT)
                return fail(n, -EACCES, "the client rejected the negotiation");
        if (resp.supported_mech.p && !SPNEGO_OID_IS(&resp.supported_mech, spnego_oid_ntlm))
                return fail(n, -EACCES, "the client switched mechanisms");
        if (!resp.response_token.p)
                return fail(n, -EACCES, "no NTLM message in the NegTokenResp");
        if (n->state == WANT_NEGOTIATE) {
                struct buf chal;
                if (!out)
                        return fail(n, -EACCES, "a NEGOTIATE where no answer can go (AUTH3)");
                buf_init(&chal, MAX_TOKEN);
                r = ntlm_negotiate(n, resp.response_token.p, resp.response_token.len, &chal);
                if (r >= 0) {
                        struct spnego_bytes t = {chal.data, chal.len};
                        put_resp(out, SPNEGO_ACCEPT_INCOMPLETE, false, &t, NULL);
                }
                buf_free(&chal);
                return r;
        }
        /* WANT_AUTHENTICATE */
        struct buf tmp;
        buf_init(&tmp, MAX_TOKEN);
        r = server_authenticate(n, &resp, out != NULL, &tmp);
        if (r >= 0)
                r = keep(&n->last_in, &n->last_in_len, in, len);
        if (r >= 0) {
                if (out)
                        buf_append(out, tmp.data, tmp.len);
                *done = true;
        }
        buf_free(&tmp);
        return r;
}

/* --- the client -------------------------------------------------------------------------- */

/* NTLM needs a name and a password (a Kerberos client without them uses its cache). */
static bool ntlm_usable(const struct rpc_auth_identity *id) {
        return id && id->user && id->user[0] && id->password && id->password[0];
}

static int client_ntlm(struct negotiate *n, const struct rpc_auth_identity *id, struct buf *out) {
        static const struct spnego_bytes ntlm_mech = {spnego_oid_ntlm, sizeof spnego_oid_ntlm};
        struct buf neg, types;
        bool d = false;
        int r;

        n->mech = NEGOTIATE_NTLM;
        n->spnego = true;
        n->inner = &rpc_ntlm_ops;
        buf_init(&neg, MAX_TOKEN);
        buf_init(&types, MAX_TOKEN);
        r = rpc_ntlm_ops.init(&n->ctx, id, &neg, &d);
        if (r < 0) {
                buf_free(&neg);
                buf_free(&types);
                return r;
        }
        /* NTLMSSP alone: the mechTypes our MIC will sign */
        spnego_write_mech_types(&types, &ntlm_mech, 1);
        r = types.error ? types.error : neg.error;
        if (r >= 0)
                r = keep(&n->mech_types, &n->mech_types_len, types.data, types.len);
        if (r >= 0) {
                struct spnego_init init = {
                        .mech_types = {n->mech_types, n->mech_types_len},
                        .mech_token = {neg.data, neg.len},
                };
                spnego_write_init(out, &init);
                r = out->error;
        }
        buf_free(&neg);
        buf_free(&types);
        n->state = WANT_AUTHENTICATE;
        return r;
}

int negotiate_init(void **ret, const struct rpc_auth_identity *id, struct buf *out, bool *done,
                   bool kerberos) {
        struct negotiate *n = negotiate_new(true);
        int r = -EACCES;

        if (!n)
                return -ENOMEM;
        *done = false;
#ifdef DCOM_HAVE_GSSAPI
        if (kerberos) {
                bool unavailable = false;
                size_t start = out->len;
                r = rpc_gss_spnego_init(&n->ctx, id, out, done, &unavailable);
                if (r >= 0) {
                        n->mech = NEGOTIATE_KERBEROS;
                        n->inner = &rpc_gss_spnego_ops;
                        *ret = n;
                        return 0;
                }
                n->ctx = NULL;
                out->len = start;
                if (!unavailable || !ntlm_usable(id)) {
                        neg_free(n);
                        return r;
                }
                log_debug(rpc, "Negotiate: no Kerberos to be had, NTLM instead");
        }
#endif
        if (ntlm_usable(id))
                r = client_ntlm(n, id, out);
        else
                log_debug(rpc, "Negotiate: no Kerberos, and no user and password for NTLM");
        if (r < 0) {
                neg_free(n);
                return r;
        }
        *done = false;
        *ret = n;
        return 0;
}

static int neg_init(void **ret, const struct rpc_auth_identity *id, struct buf *out, bool *done) {
        return negotiate_init(ret, id, out, done, HAVE_KERBEROS);
}

/* The CHALLENGE in, the AUTHENTICATE and our mechListMIC out. */
static int client_challenge(struct negotiate *n, const struct spnego_resp *resp, struct buf *out) {
        struct buf auth;
        uint8_t mic[NTLM_SIGNATURE_SIZE];
        bool d = false;
        int r;

        if (resp->neg_state != SPNEGO_ACCEPT_INCOMPLETE && resp->neg_state != SPNEGO_REQUEST_MIC)
                return fail(n, -EACCES,
                            resp->neg_state == SPNEGO_REJECT
                                    ? "the server rejected NTLM"
                                    : "the server did not continue the negotiation");
        if (resp->supported_mech.p && !SPNEGO_OID_IS(&resp->supported_mech, spnego_oid_ntlm))
                return fail(n, -EACCES, "the server chose a mechanism we did not offer");
        if (!resp->response_token.p)
                return fail(n, -EACCES, "no CHALLENGE from the server");
        n->mic_required |= resp->neg_state == SPNEGO_REQUEST_MIC;
        buf_init(&auth, MAX_TOKEN);
        r = rpc_ntlm_ops.init_step(n->ctx, resp->response_token.p, resp->response_token.len, &auth,
                                   &d);
        if (r < 0) {
                buf_free(&auth);
                return inner_failed(n, r);
        }
        struct ntlm_ctx *c = ntlm_of(n);
        /* [MS-SPNG] 3.1.5.1: with a MIC in the AUTHENTICATE (a server that sent a
           timestamp: every one today) and signing, or when asked */
        n->mic_sent = n->mic_required ||
                      ((ntlm_flags(c) & NTLMSSP_NEGOTIATE_SIGN) && ntlm_mic_present(c));
        if (n->mic_sent && ntlm_spnego_mic_sign(c, n->mech_types, n->mech_types_len, mic) < 0) {
                buf_free(&auth);
                return fail(n, -EACCES, "cannot sign the mechListMIC");
        }
        struct spnego_bytes t = {auth.data, auth.len};
        put_resp(out, SPNEGO_NO_STATE, false, &t, n->mic_sent ? mic : NULL);
        r = auth.error ? auth.error : out->error;
        buf_free(&auth);
        if (r < 0)
                return fail(n, r, "out of memory");
        n->state = WANT_COMPLETED;
        return 0;
}

/* The server's last word: accept-completed, and its mechListMIC checked. */
static int client_completed(struct negotiate *n, const struct spnego_resp *resp) {
        struct ntlm_ctx *c = ntlm_of(n);

        if (resp->neg_state != SPNEGO_ACCEPT_COMPLETED)
                return fail(n, -EACCES,
                            resp->neg_state == SPNEGO_REJECT ? "the server rejected us"
                                                             : "the server did not complete");
        if (resp->response_token.p && resp->response_token.len)
                return fail(n, -EACCES, "an NTLM message after the AUTHENTICATE");
        if (resp->mech_list_mic.p) {
                if (ntlm_spnego_mic_verify(c, n->mech_types, n->mech_types_len,
                                           resp->mech_list_mic.p, resp->mech_list_mic.len) < 0)
                        return fail(n, -EACCES, "the server's mechListMIC is wrong");
        } else if (n->mic_sent) {
                return fail(n, -EACCES, "the server sent no mechListMIC");
        }
        n->state = DONE;
        return 0;
}

static int neg_init_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct negotiate *n = ctx;
        struct spnego_resp resp;
        int r;

        if (!n->initiator || !n->inner)
                return -EINVAL;
        if (n->mech == NEGOTIATE_KERBEROS)
                return n->inner->init_step(n->ctx, in, len, out, done);
        *done = false;
        if (n->state == DONE && len == 0) {
                *done = true;
                return 0;
        }
        if (n->state != WANT_AUTHENTICATE && n->state != WANT_COMPLETED)
                return fail(n, -EACCES, "a token for a finished negotiation");
        if (spnego_parse_resp(in, len, &resp) < 0)
                return fail(n, -EACCES, "malformed NegTokenResp from the server");
        if (n->state == WANT_AUTHENTICATE)
                return client_challenge(n, &resp, out);
        r = client_completed(n, &resp);
        if (r >= 0)
                *done = true;
        return r;
}

/* --- per PDU, and who the peer is ------------------------------------------------------ */

/* The inner context once it can protect PDUs (NTLM: established, and inside SPNEGO the
   negotiation complete; Kerberos: gss-rpc.c says for itself). */
static bool ready(const struct negotiate *n) {
        if (!n->inner || !n->ctx)
                return false;
        if (n->mech == NEGOTIATE_KERBEROS)
                return true;
        return ntlm_established(ntlm_of(n)) && (!n->spnego || n->state == DONE);
}

static int neg_verify(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                      size_t stub_len, const uint8_t *verifier, size_t verifier_len) {
        struct negotiate *n = ctx;

        if (!ready(n))
                return -EACCES;
        return n->inner->verify(n->ctx, level, pdu, len, stub, stub_len, verifier, verifier_len);
}

static int neg_sign(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                    size_t stub_len, uint8_t *verifier, size_t verifier_len) {
        struct negotiate *n = ctx;

        if (!ready(n))
                return -EINVAL;
        return n->inner->sign(n->ctx, level, pdu, len, stub, stub_len, verifier, verifier_len);
}

static size_t neg_verifier_size(void *ctx, uint8_t level) {
        struct negotiate *n = ctx;

        return ready(n) ? n->inner->verifier_size(n->ctx, level) : 0;
}

static void neg_header_signing(void *ctx, bool on) {
        struct negotiate *n = ctx;

        /* NTLM's verifier always covers the whole PDU */
        if (n->inner && n->ctx && n->inner->header_signing)
                n->inner->header_signing(n->ctx, on);
}

static int neg_identity(void *ctx, struct rpc_identity *ret) {
        struct negotiate *n = ctx;

        if (n->initiator || !ready(n) || !n->inner->inq_identity)
                return -ENOTCONN;
        return n->inner->inq_identity(n->ctx, ret);
}

static int neg_delegated(void *ctx, void **ret_cred) {
        struct negotiate *n = ctx;

        if (n->initiator || !ready(n) || !n->inner->delegated)
                return -ENOKEY;
        return n->inner->delegated(n->ctx, ret_cred);
}

static const char *neg_failure(void *ctx) {
        struct negotiate *n = ctx;

        if (!n)
                return NULL;
        if (n->failure[0])
                return n->failure;
        return n->inner && n->ctx && n->inner->failure ? n->inner->failure(n->ctx) : NULL;
}

enum negotiate_mech negotiate_mech_of(void *ctx) {
        struct negotiate *n = ctx;

        return n ? n->mech : NEGOTIATE_NONE;
}

const struct rpc_auth_ops rpc_negotiate_ops = {
        .auth_type = RPC_AUTHN_GSS_NEGOTIATE,
        .name = "Negotiate",
        .accept = neg_accept,
        .step = neg_step,
        .verify = neg_verify,
        .sign = neg_sign,
        .verifier_size = neg_verifier_size,
        .free = neg_free,
        .init = neg_init,
        .init_step = neg_init_step,
        .inq_identity = neg_identity,
        .failure = neg_failure,
        .header_signing = neg_header_signing,
        .delegated = neg_delegated,
};
