/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SPNEGO's tokens and the Kerberos GSS framing on hostile bytes (src/rpc/auth/spnego.c):
 * the input is read as a NegTokenInit, as a NegTokenResp and as a framed AP-REQ.  What
 * parses must be written back and parse again to the same fields (the server rewrites
 * impacket's NegTokenInit that way), with the mechanism list kept whole or rebuilt from
 * its OIDs; what does not parse is an error, never a crash, a read out of bounds or a
 * leak.
 *
 * Then Negotiate's NTLM inside SPNEGO (src/rpc/auth/negotiate.c, Kerberos left out:
 * MIT is not ours to fuzz) takes the same bytes at every leg where a peer's token
 * arrives: the server's choice from a NegTokenInit (or raw NTLMSSP), the server waiting
 * for a NEGOTIATE (after choosing NTLM over the client's first choice) or for the
 * AUTHENTICATE and its mechListMIC (answered, or in an AUTH3), the client waiting for
 * the CHALLENGE or for accept-completed and the server's mechListMIC, and an
 * established server given a token again.  A NegTokenResp whose responseToken is empty
 * is also spliced with the real NTLM message of that leg, so that the mechListMIC checks
 * see a genuine AUTHENTICATE (or CHALLENGE) with hostile SPNEGO around it.  Each leg
 * ends in a refusal or an established context -- never a crash, an out-of-bounds read or
 * a leak.  Last, the mechListMIC on NTLM's own: signed on one side, checked on the
 * other, the next sealed message still agreeing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/auth/negotiate.h"
#include "rpc/auth/ntlm.h"
#include "rpc/auth/providers.h"
#include "rpc/auth/spnego.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct spnego_bytes *a, const struct spnego_bytes *b) {
        if (!a->p || !b->p)
                return !a->p && !b->p;
        return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

#define CHECK(x)                                                                        \
        do {                                                                            \
                if (!(x))                                                               \
                        abort();                                                        \
        } while (0)

static bool inside(const struct spnego_bytes *b, const uint8_t *data, size_t size) {
        return !b->p || (b->p >= data && b->len <= size && (size_t)(b->p - data) <= size - b->len);
}

static void init_round_trip(const uint8_t *data, size_t size) {
        struct spnego_init a, b;
        struct buf out;

        if (spnego_parse_init(data, size, &a) < 0)
                return;
        CHECK(a.n_mechs >= 1 && a.n_mechs <= SPNEGO_MAX_MECHS);
        CHECK(inside(&a.mech_types, data, size) && inside(&a.mech_token, data, size) &&
              inside(&a.mech_list_mic, data, size) && inside(&a.req_flags, data, size));
        for (int rebuild = 0; rebuild < 2; rebuild++) {
                struct spnego_init w = a;
                if (rebuild)
                        w.mech_types = (struct spnego_bytes){ NULL, 0 };
                buf_init(&out, 0);
                spnego_write_init(&out, &w);
                if (!out.error) {
                        CHECK(spnego_parse_init(out.data, out.len, &b) == 0);
                        CHECK(b.n_mechs == a.n_mechs);
                        for (unsigned i = 0; i < a.n_mechs; i++)
                                CHECK(same(&a.mechs[i], &b.mechs[i]));
                        CHECK(same(&a.req_flags, &b.req_flags));
                        CHECK(same(&a.mech_token, &b.mech_token));
                        CHECK(same(&a.mech_list_mic, &b.mech_list_mic));
                        if (!rebuild)
                                CHECK(same(&a.mech_types, &b.mech_types));
                }
                buf_free(&out);
        }
        /* what the server does with impacket's token: the framed AP-REQ made raw */
        struct spnego_bytes raw;
        if (a.mech_token.p && spnego_krb5_unframe(a.mech_token.p, a.mech_token.len, &raw) == 0) {
                a.mech_token = raw;
                buf_init(&out, 0);
                spnego_write_init(&out, &a);
                if (!out.error)
                        CHECK(spnego_parse_init(out.data, out.len, &b) == 0 &&
                              same(&b.mech_token, &raw));
                buf_free(&out);
        }
}

static void resp_round_trip(const uint8_t *data, size_t size) {
        struct spnego_resp a, b;
        struct buf out;

        if (spnego_parse_resp(data, size, &a) < 0)
                return;
        CHECK(a.neg_state >= SPNEGO_NO_STATE && a.neg_state <= SPNEGO_REQUEST_MIC);
        CHECK(inside(&a.supported_mech, data, size) && inside(&a.response_token, data, size) &&
              inside(&a.mech_list_mic, data, size));
        buf_init(&out, 0);
        spnego_write_resp(&out, &a);
        if (!out.error) {
                CHECK(spnego_parse_resp(out.data, out.len, &b) == 0);
                CHECK(b.neg_state == a.neg_state);
                CHECK(same(&a.supported_mech, &b.supported_mech));
                CHECK(same(&a.response_token, &b.response_token));
                CHECK(same(&a.mech_list_mic, &b.mech_list_mic));
        }
        buf_free(&out);
}

/* --- Negotiate: NTLM inside SPNEGO ------------------------------------------------------ */

static const struct rpc_auth_ops *const ops = &rpc_negotiate_ops;
static uint8_t hash[16];
static struct buf pref_krb5;    /* a NegTokenInit preferring Kerberos, offering NTLM second */

/* One account, in memory: no account store, no file. */
static int lookup(const char *user, struct ntlm_account_info *ret) {
        if (strcmp(user, "alice") != 0)
                return -ENOENT;
        memset(ret, 0, sizeof *ret);
        memcpy(ret->nt_hash, hash, 16);
        ret->rid = 1000;
        strcpy(ret->name, "alice");
        return 0;
}

static void setup(void) {
        static bool done;
        struct ntlm_settings s;

        if (done)
                return;
        ntlm_nt_hash("Secret-1", hash);
        ntlm_get_settings(&s);
        s.lookup = lookup;
        ntlm_set_settings(&s);
        struct spnego_init v = { .n_mechs = 2 };
        v.mechs[0] = (struct spnego_bytes){ spnego_oid_krb5, sizeof spnego_oid_krb5 };
        v.mechs[1] = (struct spnego_bytes){ spnego_oid_ntlm, sizeof spnego_oid_ntlm };
        buf_init(&pref_krb5, 0);
        spnego_write_init(&pref_krb5, &v);
        done = true;
}

/* The choice table on whatever parses: an index inside the list, with NTLM only. */
static void choose(const uint8_t *data, size_t size) {
        struct spnego_init init;
        int idx;

        if (spnego_parse_init(data, size, &init) < 0)
                return;
        for (int k = 0; k < 4; k++) {
                enum negotiate_mech m = negotiate_choose(&init, k & 1, k & 2, &idx);
                CHECK(m == NEGOTIATE_NTLM ? idx >= 0 && (unsigned)idx < init.n_mechs : idx == -1);
                CHECK(m != NEGOTIATE_KERBEROS || (k & 2));
        }
}

/* A token of the input's making: as it is, or (spliced) its NegTokenResp fields around
   the real NTLM message when its responseToken is empty. */
static void token(struct buf *out, const uint8_t *data, size_t size, bool splice,
                  const struct buf *real) {
        struct spnego_resp r;

        buf_clear(out);
        if (!splice) {
                buf_append(out, data, size);
                return;
        }
        if (spnego_parse_resp(data, size, &r) < 0 || !r.response_token.p || r.response_token.len)
                return;
        /* the real message's own NegTokenResp: its responseToken */
        struct spnego_resp rr;
        if (spnego_parse_resp(real->data, real->len, &rr) < 0)
                return;
        r.response_token = rr.response_token;
        spnego_write_resp(out, &r);
}

struct pair {
        void *client, *server;
        struct buf t[4];
};

static void pair_free(struct pair *p) {
        if (p->client)
                ops->free(p->client);
        if (p->server)
                ops->free(p->server);
        for (int i = 0; i < 4; i++)
                buf_free(&p->t[i]);
}

/* The real exchange up to leg n (1: bind_ack made; 2: the client's AUTHENTICATE made; 3:
   the server done).  False when it could not be had (out of memory: nothing to test). */
static bool exchange(struct pair *p, int n) {
        struct rpc_auth_identity id = { .user = "alice", .domain = "WORKGROUP",
                                        .password = "Secret-1" };
        bool done;

        memset(p, 0, sizeof *p);
        for (int i = 0; i < 4; i++)
                buf_init(&p->t[i], 0);
        if (negotiate_init(&p->client, &id, &p->t[0], &done, false) < 0 ||
            negotiate_accept(&p->server, p->t[0].data, p->t[0].len, &p->t[1], &done, false) < 0)
                return false;
        if (n >= 2 && ops->init_step(p->client, p->t[1].data, p->t[1].len, &p->t[2], &done) < 0)
                return false;
        if (n >= 3 && ops->step(p->server, p->t[2].data, p->t[2].len, &p->t[3], &done) < 0)
                return false;
        return true;
}

/* After a leg, whatever the context says of itself must hold together. */
static void poke(void *ctx) {
        uint8_t pdu[96] = { 5, 0, 0, 3, 0x10 };
        size_t v = ops->verifier_size(ctx, 6);

        (void)ops->failure(ctx);
        if (v == 16) {
                /* established: a PDU of its own is signed and sealed (not checked: the peer
                   holds the other keys) */
                CHECK(ops->sign(ctx, 6, pdu, sizeof pdu, pdu + 24, 48, pdu + 80, 16) == 0);
        } else {
                CHECK(v == 0);
                CHECK(ops->verify(ctx, 6, pdu, sizeof pdu, pdu + 24, 48, pdu + 80, 16) < 0);
        }
}

static void negotiate_legs(const uint8_t *data, size_t size) {
        struct buf out, tok;
        void *ctx = NULL;
        bool done;

        setup();
        buf_init(&out, 0);
        buf_init(&tok, 0);
        /* the server's first leg: a NegTokenInit or raw NTLMSSP */
        if (negotiate_accept(&ctx, data, size, &out, &done, false) == 0) {
                CHECK(!done && negotiate_mech_of(ctx) == NEGOTIATE_NTLM);
                poke(ctx);
                ops->free(ctx);
        }
        ctx = NULL;
        /* the server after choosing NTLM over Kerberos: the client's NEGOTIATE next */
        {
                buf_clear(&out);
                int r = negotiate_accept(&ctx, pref_krb5.data, pref_krb5.len, &out, &done, false);
                if (r == 0) {
                        buf_clear(&out);
                        if (ops->step(ctx, data, size, &out, &done) == 0)
                                CHECK(!done);
                        poke(ctx);
                        ops->free(ctx);
                }
                ctx = NULL;
        }
        for (int splice = 0; splice < 2; splice++) {
                struct pair p;
                /* the server waiting for the AUTHENTICATE and the mechListMIC */
                if (exchange(&p, 2)) {
                        token(&tok, data, size, splice, &p.t[2]);
                        buf_clear(&out);
                        /* in an AUTH3 (size odd), no answer goes back: out NULL */
                        struct buf *answer = size & 1 ? NULL : &out;
                        if (tok.len && ops->step(p.server, tok.data, tok.len, answer, &done) == 0)
                                CHECK(done);
                        poke(p.server);
                }
                pair_free(&p);
                /* the client waiting for the CHALLENGE */
                if (exchange(&p, 1)) {
                        token(&tok, data, size, splice, &p.t[1]);
                        buf_clear(&out);
                        if (tok.len &&
                            ops->init_step(p.client, tok.data, tok.len, &out, &done) == 0)
                                CHECK(!done && out.len > 0);
                        poke(p.client);
                }
                pair_free(&p);
        }
        /* the client waiting for accept-completed; the server done, given a token again */
        {
                struct pair p;
                if (exchange(&p, 3)) {
                        buf_clear(&out);
                        if (ops->init_step(p.client, data, size, &out, &done) == 0)
                                CHECK(done && out.len == 0);
                        poke(p.client);
                        buf_clear(&out);
                        if (ops->step(p.server, data, size, &out, &done) == 0)
                                CHECK(done && size == p.t[2].len);
                        poke(p.server);
                }
                pair_free(&p);
        }
        buf_free(&out);
        buf_free(&tok);
}

/*
 * The mechListMIC on NTLM's own: any bytes as the mechTypes, signed by one side, verify
 * on the other -- and after it both RC4 handles start afresh, so a PDU signed next
 * verifies too; a MIC of the input's making is simply refused.
 */
static void mic_round_trip(const uint8_t *data, size_t size) {
        struct ntlm_ctx *cli = NULL, *srv = NULL;
        struct buf neg, chal, auth;
        const char *why;
        uint8_t sig[16], pdu[64] = { 1, 2, 3 };

        buf_init(&neg, 0);
        buf_init(&chal, 0);
        buf_init(&auth, 0);
        if (ntlm_client_start("alice", "", "Secret-1", NULL, &neg, &cli) == 0 &&
            ntlm_server_start(neg.data, neg.len, &chal, &srv) == 0 &&
            ntlm_client_finish(cli, chal.data, chal.len, &auth) == 0 &&
            ntlm_server_finish(srv, auth.data, auth.len, &why) == 0) {
                CHECK(ntlm_mic_present(cli) && ntlm_mic_present(srv));
                if (size >= 16 && data[0] & 1) {
                        CHECK(ntlm_spnego_mic_verify(srv, data + 16, size - 16, data, 16) < 0);
                } else {
                        CHECK(ntlm_spnego_mic_sign(cli, data, size, sig) == 0);
                        CHECK(ntlm_spnego_mic_verify(srv, data, size, sig, 16) == 0);
                        CHECK(ntlm_seal(cli, pdu + 8, 24, pdu, 48, pdu + 48) == 0);
                        CHECK(ntlm_unseal(srv, pdu + 8, 24, pdu, 48, pdu + 48) == 0);
                        CHECK(pdu[0] == 1 && pdu[1] == 2 && pdu[2] == 3);
                }
        }
        ntlm_free(cli);
        ntlm_free(srv);
        buf_free(&neg);
        buf_free(&chal);
        buf_free(&auth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct spnego_bytes raw;

        init_round_trip(data, size);
        resp_round_trip(data, size);
        if (spnego_krb5_unframe(data, size, &raw) == 0)
                CHECK(inside(&raw, data, size) && raw.len >= 2 && raw.p[0] == 0x6e);
        choose(data, size);
        negotiate_legs(data, size);
        mic_round_trip(data, size);
        return 0;
}
