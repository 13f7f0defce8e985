/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Negotiate (auth_type 9, SPNEGO) falling back to NTLM: no Kerberos here (the keytab
 * KRB5_KTNAME names is missing, no server principal is named), so both sides use NTLM
 * inside SPNEGO (src/rpc/auth/negotiate.c).  In one process, with accounts of the real
 * store in this test's own OPENDCOM_ROOT:
 *   - our client against our server over TCP and ncalrpc at CONNECT, PKT_INTEGRITY and
 *     PKT_PRIVACY: 200 KiB each way, a second interface on the connection, the caller as
 *     NTLM names it (the account, machine-SID-RID) with auth_type 9; a per-call Negotiate
 *     context beside the binding's; a wrong password, an unknown user, a disabled
 *     account denied while the server keeps serving;
 *   - with GSSAPI: a server principal named but no KDC to ask (a private krb5.conf whose
 *     KDC does not answer): the client falls back to NTLM; without a password it cannot;
 *   - the provider alone: the four SPNEGO legs and their tokens, the mechListMICs both
 *     ways and what [MS-SPNG] 3.3.5.1 asks of the RC4 state after them (the first PDU
 *     signed as if no MIC had been made, its sequence number 1), a changed or missing
 *     mechListMIC refused either way, the server choosing NTLM when the client preferred
 *     Kerberos (request-mic, the MIC then mandatory), raw NTLMSSP under auth_type 9, the
 *     last token re-sent (reuse) or another one (refused), the server's choice table, and
 *     hostile tokens.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "mgmt_stub.h"
#include "rpc/auth/accounts.h"
#include "rpc/auth/negotiate.h"
#include "rpc/auth/ntlm.h"
#include "rpc/auth/providers.h"
#include "rpc/auth/spnego.h"
#include "rpc/rpc-internal.h"
#include "rpctest_stub.h"
#include "rpctest-calls.h"
#include "test.h"
#ifdef DCOM_HAVE_GSSAPI
#include "rpc/auth/gss-rpc.h"
#endif

#define ACCESS_DENIED 5

static struct {
        uint8_t level, type;
        struct rpc_identity id;
        int id_r;
} seen;

static bool timing;     /* cost: the call alone (NTLM's identity reads the account store) */

static LONG rt_null(handle_t h, LONG x, LONG *y) {
        void *ctx;

        rpc_call_auth(h, &seen.type, &seen.level, &ctx);
        if (!timing)
                seen.id_r = rpc_call_identity(h, &seen.id);
        *y = x + 1;
        return 0;
}

static LONG rt_echo(handle_t h, ULONG n, const BYTE *data, BYTE *back) {
        for (ULONG i = 0; i < n; i++)
                back[i] = (BYTE)(data[i] ^ 0x5a);
        return (LONG)n;
}

static LONG rt_owner(handle_t h, int64_t *owner, ULONG *protseq) {
        *owner = (int64_t)rpc_call_owner(h);
        *protseq = rpc_call_protseq(h);
        return 0;
}

static const struct RpcTest_v1_1_epv rt_epv = {rt_null, rt_echo, rt_owner};

static struct rpc_server *srv;
static char tcp_binding[64], lrpc_binding[64];
static char audit_log[16384];

static void audit(const char *line) {
        size_t n = strlen(audit_log);
        snprintf(audit_log + n, sizeof audit_log - n, "%s\n", line);
}

TEST(setup) {
        char keytab[300], name[32];
        uint16_t port;

        /* no Kerberos: a keytab that does not exist, no server principal named */
        snprintf(keytab, sizeof keytab, "FILE:%s/no-such.keytab", test_state_dir());
        setenv("KRB5_KTNAME", keytab, 1);
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        ASSERT_OK(accounts_set_password("bob", "Secret-2"));
        ASSERT_OK(accounts_set_password("carol", "Secret-3"));
        ASSERT_OK(accounts_set_disabled("carol", true));
        ASSERT_OK(rpc_auth_register_defaults());
        ASSERT_TRUE(rpc_auth_find(RPC_AUTHN_GSS_NEGOTIATE) == &rpc_negotiate_ops);
        rpc_set_audit_hook(audit);
        srv = rpc_server_new();
        ASSERT_NOT_NULL(srv);
        ASSERT_OK(rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &rt_epv));
        ASSERT_OK(rpc_server_listen_tcp(srv, "127.0.0.1", 0, &port));
        snprintf(tcp_binding, sizeof tcp_binding, "ncacn_ip_tcp:127.0.0.1[%u]", port);
        snprintf(name, sizeof name, "negotiate-%d", (int)getpid());
        ASSERT_OK(rpc_server_listen_lrpc(srv, name, 0600));
        snprintf(lrpc_binding, sizeof lrpc_binding, "ncalrpc:[%s]", name);
}

/* --- our client against our server ----------------------------------------------------------- */

static struct rpc_binding *bind_as(const char *s, uint8_t level, const char *user,
                                   const char *password) {
        struct rpc_binding *b;
        struct rpc_auth_identity id = {.user = user, .domain = "WORKGROUP", .password = password};

        ASSERT_OK(rpc_binding_from_string(s, &b));
        rpc_binding_set_timeout(b, 10000);
        ASSERT_OK(rpc_binding_set_auth(b, level, RPC_AUTHN_GSS_NEGOTIATE, &id));
        return b;
}

static void check_alice(uint8_t level) {
        ASSERT_EQ(seen.type, RPC_AUTHN_GSS_NEGOTIATE);
        ASSERT_EQ(seen.level, level);
        ASSERT_OK(seen.id_r);
        ASSERT_STR_EQ(seen.id.user, "alice"); /* the account's own spelling */
        ASSERT_FALSE(seen.id.anonymous);
        ASSERT_EQ(strncmp(seen.id.sid, "S-1-5-21-", 9), 0);
}

static void calls_at(const char *s, uint8_t level) {
        struct rpc_binding *b = bind_as(s, level, "Alice", "Secret-1");
        LONG y = 0, ret = -1;

        memset(&seen, 0, sizeof seen);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 41, &y, &ret));
        ASSERT_EQ(y, 42);
        check_alice(level);

        rpctest_echo((handle_t)b, 200 * 1024);

        /* another interface on the connection: alter_context, the same security context */
        rpctest_second_interface((handle_t)b);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_EQ(y, 2);
        check_alice(level);
        rpc_binding_free(b);
}

TEST(levels_tcp) {
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_CONNECT);
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
}

TEST(levels_lrpc) {
        calls_at(lrpc_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        calls_at(lrpc_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
}

/* A refused NTLM leg inside SPNEGO comes in an alter_context: its fault ends the bind. */
static void denied(uint8_t level, const char *user, const char *password) {
        struct rpc_binding *b = bind_as(tcp_binding, level, user, password);
        LONG y = 0, ret = -1;
        int r = RpcTest_RtNull((handle_t)b, 1, &y, &ret);

        ASSERT_TRUE(r == -EACCES || (r == -EREMOTEIO && rpc_binding_fault(b) == ACCESS_DENIED));
        ASSERT_HR_EQ(rpc_binding_status(b, r), RPC_S_ACCESS_DENIED);
        rpc_binding_free(b);
}

TEST(refusals) {
        audit_log[0] = 0;
        denied(RPC_AUTHN_LEVEL_PKT_PRIVACY, "alice", "wrong");
        denied(RPC_AUTHN_LEVEL_CONNECT, "alice", "wrong");
        denied(RPC_AUTHN_LEVEL_PKT_INTEGRITY, "mallory", "Secret-1");
        denied(RPC_AUTHN_LEVEL_PKT_INTEGRITY, "carol", "Secret-3");
        /* the audit names the provider, the user and the reason */
        ASSERT_TRUE(strstr(audit_log, "Negotiate") != NULL);
        ASSERT_TRUE(strstr(audit_log, "alice") != NULL);
        ASSERT_TRUE(strstr(audit_log, "wrong password") != NULL);
        ASSERT_TRUE(strstr(audit_log, "unknown user") != NULL);
        ASSERT_TRUE(strstr(audit_log, "account disabled") != NULL);
        /* no user or password: nothing to offer without Kerberos */
        struct rpc_binding *b;
        LONG y = 0, ret = -1;
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        ASSERT_OK(rpc_binding_set_auth(b, RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_GSS_NEGOTIATE,
                                       &(struct rpc_auth_identity){.user = "", .password = ""}));
        ASSERT_TRUE(RpcTest_RtNull((handle_t)b, 1, &y, &ret) < 0);
        rpc_binding_free(b);
        /* and the server goes on serving */
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
}

/* A per-call Negotiate context (bob, sealed) beside the binding's (alice, signed). */
TEST(per_call_security) {
        struct rpc_auth_identity bob = {.user = "bob", .password = "Secret-2"};
        struct rpc_call_handle h, plain;
        struct rpc_binding *b =
                bind_as(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "alice", "Secret-1");
        LONG y = 0, ret = -1;

        rpc_call_handle_init(&h, b, NULL);
        rpc_call_handle_init(&plain, b, NULL);
        ASSERT_OK(rpc_call_handle_set_auth(&h, RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_GSS_NEGOTIATE,
                                           &bob));
        for (int round = 0; round < 3; round++) {
                ASSERT_OK(RpcTest_RtNull((handle_t)&plain, 1, &y, &ret));
                ASSERT_STR_EQ(seen.id.user, "alice");
                ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
                ASSERT_OK(RpcTest_RtNull((handle_t)&h, 2, &y, &ret));
                ASSERT_STR_EQ(seen.id.user, "bob");
                ASSERT_EQ(seen.type, RPC_AUTHN_GSS_NEGOTIATE);
                ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_PRIVACY);
        }
        rpc_binding_free(b);
}

#ifdef DCOM_HAVE_GSSAPI
/*
 * A server principal named, but no KDC to be had: a private krb5.conf whose realm's KDC
 * is a closed port of this machine.  Kerberos is unavailable, so NTLM; without a
 * password there is nothing to fall back to.
 */
TEST(kerberos_unavailable) {
        char conf[300];
        FILE *f;

        snprintf(conf, sizeof conf, "%s/krb5.conf", test_state_dir());
        f = fopen(conf, "w");
        ASSERT_NOT_NULL(f);
        fprintf(f, "[libdefaults]\n default_realm = NOWHERE.TEST\n dns_lookup_kdc = false\n"
                   " dns_lookup_realm = false\n udp_preference_limit = 1\n"
                   "[realms]\n NOWHERE.TEST = {\n  kdc = 127.0.0.1:9\n }\n");
        fclose(f);
        setenv("KRB5_CONFIG", conf, 1);
        setenv("KRB5CCNAME", "FILE:/nonexistent/ccache", 1);
        ASSERT_OK(rpc_gss_set_target("host/localhost@NOWHERE.TEST"));

        /* a password for a realm without a KDC: NTLM, at every level */
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_CONNECT);
        /* the binding's own target the same */
        struct rpc_binding *b;
        LONG y = 0, ret = -1;
        ASSERT_OK(rpc_gss_set_target(NULL));
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        ASSERT_OK(rpc_binding_set_auth(b, RPC_AUTHN_LEVEL_PKT_INTEGRITY, RPC_AUTHN_GSS_NEGOTIATE,
                                       &(struct rpc_auth_identity){.user = "alice",
                                                                   .password = "Secret-1",
                                                                   .target = "RPCSS/localhost"}));
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        check_alice(RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        rpc_binding_free(b);
        /* no password, no tickets: Kerberos' failure stands (no NTLM without a password) */
        ASSERT_OK(rpc_gss_set_target("host/localhost@NOWHERE.TEST"));
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        ASSERT_OK(rpc_binding_set_auth(b, RPC_AUTHN_LEVEL_PKT_INTEGRITY, RPC_AUTHN_GSS_NEGOTIATE,
                                       &(struct rpc_auth_identity){.user = "alice"}));
        ASSERT_ERRNO(RpcTest_RtNull((handle_t)b, 1, &y, &ret), -EACCES);
        rpc_binding_free(b);
        ASSERT_OK(rpc_gss_set_target(NULL));
        unsetenv("KRB5_CONFIG");
        unsetenv("KRB5CCNAME");
}
#endif

/*
 * What it costs (printed, not asserted: this build has sanitizers and the machine may be
 * busy): medians of a bind with its first call, and of a null call, NTLM beside
 * Negotiate over NTLM (one more round trip: the AUTHENTICATE in an alter_context).
 */
static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_double);
        return v[n / 2];
}

TEST(cost) {
        static const uint8_t levels[] = { RPC_AUTHN_LEVEL_CONNECT, RPC_AUTHN_LEVEL_PKT_INTEGRITY,
                                          RPC_AUTHN_LEVEL_PKT_PRIVACY };
        static const char *const names[] = { "connect", "integrity", "privacy" };
        static double binds[21], calls[1001];
        struct rpc_auth_identity id = { .user = "alice", .domain = "WORKGROUP",
                                        .password = "Secret-1" };
        LONG y = 0, ret = -1;

        timing = true;
        for (int k = 0; k < 2; k++) {
                uint8_t type = k ? RPC_AUTHN_GSS_NEGOTIATE : RPC_AUTHN_WINNT;
                printf("# %s, medians:", k ? "Negotiate (NTLM)" : "NTLM");
                for (size_t i = 0; i < sizeof levels; i++) {
                        struct rpc_binding *b = NULL;
                        for (size_t n = 0; n < sizeof binds / sizeof binds[0]; n++) {
                                rpc_binding_free(b);
                                ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
                                ASSERT_OK(rpc_binding_set_auth(b, levels[i], type, &id));
                                double t0 = now_us();
                                ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
                                binds[n] = now_us() - t0;
                        }
                        for (size_t n = 0; n < sizeof calls / sizeof calls[0]; n++) {
                                double t0 = now_us();
                                ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
                                calls[n] = now_us() - t0;
                        }
                        printf(" %s: bind %.0f us, call %.1f us;", names[i],
                               median(binds, sizeof binds / sizeof binds[0]),
                               median(calls, sizeof calls / sizeof calls[0]));
                        rpc_binding_free(b);
                }
                printf("\n");
        }
        timing = false;
}

/* --- the provider alone ---------------------------------------------------------------------- */

static const struct rpc_auth_ops *ops = &rpc_negotiate_ops;

struct legs {
        void *client, *server;
        struct buf t[5]; /* init, bind_ack, alter_context, alter_ctx_resp, last */
};

static void legs_free(struct legs *l) {
        if (l->client)
                ops->free(l->client);
        if (l->server)
                ops->free(l->server);
        for (int i = 0; i < 5; i++)
                buf_free(&l->t[i]);
}

/* The first two legs; kerberos: the real provider (no keys, no target here) or NTLM alone. */
static void start_pair(struct legs *l, const char *password) {
        struct rpc_auth_identity id = {
                .user = "alice", .domain = "WORKGROUP", .password = password};
        bool done = true;

        memset(l, 0, sizeof *l);
        for (int i = 0; i < 5; i++)
                buf_init(&l->t[i], 0);
        ASSERT_OK(ops->init(&l->client, &id, &l->t[0], &done));
        ASSERT_FALSE(done);
        ASSERT_EQ(negotiate_mech_of(l->client), NEGOTIATE_NTLM);
        ASSERT_OK(ops->accept(&l->server, l->t[0].data, l->t[0].len, &l->t[1], &done));
        ASSERT_FALSE(done);
        ASSERT_EQ(negotiate_mech_of(l->server), NEGOTIATE_NTLM);
        ASSERT_OK(ops->init_step(l->client, l->t[1].data, l->t[1].len, &l->t[2], &done));
        ASSERT_FALSE(done);
}

static void establish(struct legs *l) {
        bool done = false;

        start_pair(l, "Secret-1");
        ASSERT_EQ(ops->verifier_size(l->server, RPC_AUTHN_LEVEL_PKT_PRIVACY), 0);
        ASSERT_OK(ops->step(l->server, l->t[2].data, l->t[2].len, &l->t[3], &done));
        ASSERT_TRUE(done);
        ASSERT_EQ(ops->verifier_size(l->client, RPC_AUTHN_LEVEL_PKT_PRIVACY), 0);
        ASSERT_OK(ops->init_step(l->client, l->t[3].data, l->t[3].len, &l->t[4], &done));
        ASSERT_TRUE(done);
        ASSERT_EQ(l->t[4].len, 0);
}

TEST(provider_tokens) {
        struct spnego_init init;
        struct spnego_resp r;
        struct rpc_identity who;
        struct legs l;

        establish(&l);
        /* bind: NegTokenInit, NTLMSSP alone, a NEGOTIATE inside */
        ASSERT_OK(spnego_parse_init(l.t[0].data, l.t[0].len, &init));
        ASSERT_EQ(init.n_mechs, 1);
        ASSERT_TRUE(SPNEGO_OID_IS(&init.mechs[0], spnego_oid_ntlm));
        ASSERT_NOT_NULL(init.mech_token.p);
        ASSERT_MEM_EQ(init.mech_token.p, "NTLMSSP\0\1\0\0\0", 12);
        /* bind_ack: accept-incomplete, supportedMech NTLMSSP, the CHALLENGE */
        ASSERT_OK(spnego_parse_resp(l.t[1].data, l.t[1].len, &r));
        ASSERT_EQ(r.neg_state, SPNEGO_ACCEPT_INCOMPLETE);
        ASSERT_TRUE(SPNEGO_OID_IS(&r.supported_mech, spnego_oid_ntlm));
        ASSERT_MEM_EQ(r.response_token.p, "NTLMSSP\0\2\0\0\0", 12);
        ASSERT_NULL(r.mech_list_mic.p);
        /* alter_context: the AUTHENTICATE (with a MIC: our server sends a timestamp) and
           the mechListMIC, an NTLM signature with sequence number 0 */
        ASSERT_OK(spnego_parse_resp(l.t[2].data, l.t[2].len, &r));
        ASSERT_EQ(r.neg_state, SPNEGO_NO_STATE);
        ASSERT_NULL(r.supported_mech.p);
        ASSERT_MEM_EQ(r.response_token.p, "NTLMSSP\0\3\0\0\0", 12);
        ASSERT_EQ(r.mech_list_mic.len, 16);
        ASSERT_MEM_EQ(r.mech_list_mic.p, "\1\0\0\0", 4);
        ASSERT_MEM_EQ(r.mech_list_mic.p + 12, "\0\0\0\0", 4);
        /* alter_context_resp: accept-completed and the server's mechListMIC */
        ASSERT_OK(spnego_parse_resp(l.t[3].data, l.t[3].len, &r));
        ASSERT_EQ(r.neg_state, SPNEGO_ACCEPT_COMPLETED);
        ASSERT_NULL(r.response_token.p);
        ASSERT_EQ(r.mech_list_mic.len, 16);
        ASSERT_MEM_EQ(r.mech_list_mic.p + 12, "\0\0\0\0", 4);
        /* who the server says it is: NTLM's account */
        ASSERT_OK(ops->inq_identity(l.server, &who));
        ASSERT_STR_EQ(who.user, "alice");
        ASSERT_EQ(strncmp(who.sid, "S-1-5-21-", 9), 0);
        ASSERT_ERRNO(ops->inq_identity(l.client, &who), -ENOTCONN);
        /* the last token again (a peer re-sending it on alter_context): reuse; another
           one: refused */
        bool done = false;
        buf_clear(&l.t[4]);
        ASSERT_OK(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[4], &done));
        ASSERT_TRUE(done);
        ASSERT_EQ(l.t[4].len, 0);
        ASSERT_ERRNO(ops->step(l.server, l.t[0].data, l.t[0].len, &l.t[4], &done), -EACCES);
        legs_free(&l);
}

/* A request-shaped PDU: 24 bytes of header, a 48-byte stub, the sec_trailer, 16 bytes of
   verifier. */
#define STUB_OFF 24
#define STUB_LEN 48
#define PDU_LEN  (STUB_OFF + STUB_LEN + 8 + 16)
static void make_pdu(uint8_t *pdu, uint8_t seed) {
        for (size_t i = 0; i < STUB_OFF; i++)
                pdu[i] = (uint8_t)(0x05 + i);
        for (size_t i = 0; i < STUB_LEN; i++)
                pdu[STUB_OFF + i] = (uint8_t)(seed + i * 7);
        memcpy(pdu + STUB_OFF + STUB_LEN, "\x09\x06\x00\x00\x01\x00\x00\x00", 8);
        memset(pdu + PDU_LEN - 16, 0, 16);
}

static int sign(void *ctx, uint8_t level, uint8_t *pdu) {
        return ops->sign(ctx, level, pdu, PDU_LEN, pdu + STUB_OFF, STUB_LEN, pdu + PDU_LEN - 16,
                         16);
}

static int verify(void *ctx, uint8_t level, uint8_t *pdu) {
        return ops->verify(ctx, level, pdu, PDU_LEN, pdu + STUB_OFF, STUB_LEN, pdu + PDU_LEN - 16,
                           16);
}

/*
 * [MS-SPNG] 3.3.5.1: after the mechListMICs the RC4 handles start afresh and the
 * sequence numbers go on -- the first PDU each way carries 1, and its checksum is
 * encrypted with the RC4 stream's first bytes, as the MIC's was.
 */
TEST(provider_per_pdu) {
        for (int k = 0; k < 2; k++) {
                uint8_t level = k ? RPC_AUTHN_LEVEL_PKT_INTEGRITY : RPC_AUTHN_LEVEL_PKT_PRIVACY;
                uint8_t pdu[PDU_LEN], plain[PDU_LEN], copy[PDU_LEN];
                struct legs l;

                establish(&l);
                ASSERT_EQ(ops->verifier_size(l.client, level), 16);
                ASSERT_EQ(ops->verifier_size(l.server, level), 16);
                for (int round = 0; round < 3; round++) {
                        for (int dir = 0; dir < 2; dir++) {
                                void *from = dir ? l.server : l.client,
                                     *to = dir ? l.client : l.server;
                                make_pdu(pdu, (uint8_t)(round * 2 + dir));
                                memcpy(plain, pdu, PDU_LEN);
                                ASSERT_OK(sign(from, level, pdu));
                                ASSERT_EQ(pdu[PDU_LEN - 4], round + 1); /* SeqNum */
                                memcpy(copy, pdu, PDU_LEN);
                                ASSERT_OK(verify(to, level, pdu));
                                ASSERT_MEM_EQ(pdu, plain, PDU_LEN - 16);
                        }
                }
                /* a replay (the last check: a failed one leaves the RC4 stream behind,
                   and the runtime closes the connection) */
                memcpy(pdu, copy, PDU_LEN);
                ASSERT_ERRNO(verify(l.client, level, pdu), -EACCES);
                legs_free(&l);
        }
        /* NTLM signs the whole PDU, header included */
        struct legs l;
        uint8_t pdu[PDU_LEN];
        establish(&l);
        make_pdu(pdu, 1);
        pdu[3] ^= 1;
        ASSERT_OK(sign(l.client, RPC_AUTHN_LEVEL_PKT_INTEGRITY, pdu));
        pdu[3] ^= 1;
        ASSERT_ERRNO(verify(l.server, RPC_AUTHN_LEVEL_PKT_INTEGRITY, pdu), -EACCES);
        legs_free(&l);
}

/* Rewrites a NegTokenResp with another mechListMIC (NULL: none). */
static void with_mic(struct buf *tok, const uint8_t *mic, size_t mic_len) {
        struct spnego_resp r;
        struct buf out;

        ASSERT_OK(spnego_parse_resp(tok->data, tok->len, &r));
        r.mech_list_mic = (struct spnego_bytes){mic, mic_len};
        buf_init(&out, 0);
        spnego_write_resp(&out, &r);
        ASSERT_OK(out.error);
        buf_clear(tok);
        buf_append(tok, out.data, out.len);
        buf_free(&out);
}

TEST(provider_mic_refusals) {
        struct spnego_resp r;
        struct legs l;
        uint8_t mic[16];
        bool done;

        /* the client's mechListMIC changed: refused, the server saying why */
        start_pair(&l, "Secret-1");
        ASSERT_OK(spnego_parse_resp(l.t[2].data, l.t[2].len, &r));
        memcpy(mic, r.mech_list_mic.p, 16);
        mic[7] ^= 1;
        with_mic(&l.t[2], mic, 16);
        ASSERT_ERRNO(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done), -EACCES);
        ASSERT_TRUE(strstr(ops->failure(l.server), "bad mechListMIC") != NULL);
        ASSERT_TRUE(strstr(ops->failure(l.server), "alice") != NULL);
        /* nothing to protect PDUs with, no caller */
        struct rpc_identity who;
        ASSERT_ERRNO(ops->inq_identity(l.server, &who), -ENOTCONN);
        ASSERT_EQ(ops->verifier_size(l.server, RPC_AUTHN_LEVEL_PKT_INTEGRITY), 0);
        legs_free(&l);

        /* none at all although the AUTHENTICATE had a MIC: refused ([MS-SPNG] 3.2.5.1) */
        start_pair(&l, "Secret-1");
        with_mic(&l.t[2], NULL, 0);
        ASSERT_ERRNO(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done), -EACCES);
        ASSERT_TRUE(strstr(ops->failure(l.server), "mechListMIC missing") != NULL);
        legs_free(&l);

        /* the wrong size */
        start_pair(&l, "Secret-1");
        with_mic(&l.t[2], mic, 12);
        ASSERT_ERRNO(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done), -EACCES);
        legs_free(&l);

        /* the server's mechListMIC changed, or missing: the client refuses */
        for (int k = 0; k < 2; k++) {
                start_pair(&l, "Secret-1");
                ASSERT_OK(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done));
                ASSERT_TRUE(done);
                ASSERT_OK(spnego_parse_resp(l.t[3].data, l.t[3].len, &r));
                memcpy(mic, r.mech_list_mic.p, 16);
                mic[13] ^= 1;
                with_mic(&l.t[3], k ? NULL : mic, k ? 0 : 16);
                ASSERT_ERRNO(ops->init_step(l.client, l.t[3].data, l.t[3].len, &l.t[4], &done),
                             -EACCES);
                ASSERT_TRUE(strstr(ops->failure(l.client), "mechListMIC") != NULL);
                ASSERT_EQ(ops->verifier_size(l.client, RPC_AUTHN_LEVEL_PKT_INTEGRITY), 0);
                legs_free(&l);
        }

        /* a wrong password: NTLM's refusal, named */
        start_pair(&l, "wrong");
        ASSERT_ERRNO(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done), -EACCES);
        ASSERT_TRUE(strstr(ops->failure(l.server), "wrong password") != NULL);
        legs_free(&l);
}

/* A hand-made client: NTLM's own messages, wrapped as spnego.h writes them. */
static void put_init(struct buf *out, const struct spnego_bytes *mechs, unsigned n,
                     const uint8_t *tok, size_t tok_len) {
        struct spnego_init v = {.n_mechs = n, .mech_token = {tok, tok_len}};

        memcpy(v.mechs, mechs, n * sizeof *mechs);
        spnego_write_init(out, &v);
        ASSERT_OK(out->error);
}

static void put_resp(struct buf *out, const uint8_t *tok, size_t tok_len, const uint8_t *mic) {
        struct spnego_resp v = {
                .neg_state = SPNEGO_NO_STATE,
                .response_token = {tok, tok_len},
                .mech_list_mic = {mic, mic ? 16 : 0},
        };

        spnego_write_resp(out, &v);
        ASSERT_OK(out->error);
}

/*
 * The client prefers Kerberos (an optimistic AP-REQ of sorts first) and offers NTLM too;
 * this server has no keys: it chooses NTLM, asks for its NEGOTIATE with request-mic, and
 * then insists on the mechListMIC -- over the list as the client sent it.
 */
TEST(provider_downgrade) {
        static const struct spnego_bytes mechs[] = {
                {spnego_oid_ms_krb5, sizeof spnego_oid_ms_krb5},
                {spnego_oid_krb5, sizeof spnego_oid_krb5},
                {spnego_oid_ntlm, sizeof spnego_oid_ntlm},
        };
        static const uint8_t ap_req[] = {0x60, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04};

        for (int with = 0; with < 2; with++) {
                struct buf t1, t2, t3, t4, t5, t6, neg, auth, types;
                struct ntlm_ctx *cli;
                struct spnego_resp r;
                void *server = NULL;
                bool done = true;
                uint8_t mic[16];

                buf_init(&t1, 0);
                buf_init(&t2, 0);
                buf_init(&t3, 0);
                buf_init(&t4, 0);
                buf_init(&t5, 0);
                buf_init(&t6, 0);
                buf_init(&neg, 0);
                buf_init(&auth, 0);
                buf_init(&types, 0);
                put_init(&t1, mechs, 3, ap_req, sizeof ap_req);
                ASSERT_OK(ops->accept(&server, t1.data, t1.len, &t2, &done));
                ASSERT_FALSE(done);
                ASSERT_EQ(negotiate_mech_of(server), NEGOTIATE_NTLM);
                ASSERT_OK(spnego_parse_resp(t2.data, t2.len, &r));
                ASSERT_EQ(r.neg_state, SPNEGO_REQUEST_MIC);
                ASSERT_TRUE(SPNEGO_OID_IS(&r.supported_mech, spnego_oid_ntlm));
                ASSERT_NULL(r.response_token.p);
                /* the NEGOTIATE, then the CHALLENGE */
                ASSERT_OK(ntlm_client_start("alice", "WORKGROUP", "Secret-1", NULL, &neg, &cli));
                put_resp(&t3, neg.data, neg.len, NULL);
                ASSERT_OK(ops->step(server, t3.data, t3.len, &t4, &done));
                ASSERT_FALSE(done);
                ASSERT_OK(spnego_parse_resp(t4.data, t4.len, &r));
                ASSERT_EQ(r.neg_state, SPNEGO_ACCEPT_INCOMPLETE);
                ASSERT_OK(ntlm_client_finish(cli, r.response_token.p, r.response_token.len, &auth));
                /* the AUTHENTICATE, with the MIC over the three OIDs -- or without */
                spnego_write_mech_types(&types, mechs, 3);
                ASSERT_OK(ntlm_spnego_mic_sign(cli, types.data, types.len, mic));
                put_resp(&t5, auth.data, auth.len, with ? mic : NULL);
                if (!with) {
                        ASSERT_ERRNO(ops->step(server, t5.data, t5.len, &t6, &done), -EACCES);
                        ASSERT_TRUE(strstr(ops->failure(server), "mechListMIC missing") != NULL);
                } else {
                        ASSERT_OK(ops->step(server, t5.data, t5.len, &t6, &done));
                        ASSERT_TRUE(done);
                        ASSERT_OK(spnego_parse_resp(t6.data, t6.len, &r));
                        ASSERT_EQ(r.neg_state, SPNEGO_ACCEPT_COMPLETED);
                        ASSERT_OK(ntlm_spnego_mic_verify(cli, types.data, types.len,
                                                         r.mech_list_mic.p, r.mech_list_mic.len));
                        /* then a sealed PDU each way, as Samba's would be */
                        uint8_t pdu[PDU_LEN], plain[PDU_LEN];
                        make_pdu(pdu, 7);
                        memcpy(plain, pdu, PDU_LEN);
                        ASSERT_OK(ntlm_seal(cli, pdu + STUB_OFF, STUB_LEN, pdu, PDU_LEN - 16,
                                            pdu + PDU_LEN - 16));
                        ASSERT_OK(verify(server, RPC_AUTHN_LEVEL_PKT_PRIVACY, pdu));
                        ASSERT_MEM_EQ(pdu, plain, PDU_LEN - 16);
                        ASSERT_OK(sign(server, RPC_AUTHN_LEVEL_PKT_PRIVACY, pdu));
                        ASSERT_OK(ntlm_unseal(cli, pdu + STUB_OFF, STUB_LEN, pdu, PDU_LEN - 16,
                                              pdu + PDU_LEN - 16));
                        ASSERT_MEM_EQ(pdu, plain, PDU_LEN - 16);
                }
                ntlm_free(cli);
                ops->free(server);
                buf_free(&t1);
                buf_free(&t2);
                buf_free(&t3);
                buf_free(&t4);
                buf_free(&t5);
                buf_free(&t6);
                buf_free(&neg);
                buf_free(&auth);
                buf_free(&types);
        }
}

/*
 * The AUTHENTICATE in an AUTH3 (a step whose answer goes nowhere: out NULL): the server
 * checks the client's mechListMIC but makes none of its own, so that its RC4 handle and
 * sequence number stay where the client, who will never see one, expects them.
 */
TEST(provider_auth3) {
        static const struct spnego_bytes ntlm = {spnego_oid_ntlm, sizeof spnego_oid_ntlm};
        struct buf t1, t2, neg, auth, types, t3;
        struct ntlm_ctx *cli;
        struct spnego_resp r;
        void *server = NULL;
        bool done = true;
        uint8_t mic[16], pdu[PDU_LEN], plain[PDU_LEN];

        buf_init(&t1, 0);
        buf_init(&t2, 0);
        buf_init(&t3, 0);
        buf_init(&neg, 0);
        buf_init(&auth, 0);
        buf_init(&types, 0);
        ASSERT_OK(ntlm_client_start("alice", "WORKGROUP", "Secret-1", NULL, &neg, &cli));
        put_init(&t1, &ntlm, 1, neg.data, neg.len);
        ASSERT_OK(ops->accept(&server, t1.data, t1.len, &t2, &done));
        ASSERT_OK(spnego_parse_resp(t2.data, t2.len, &r));
        ASSERT_OK(ntlm_client_finish(cli, r.response_token.p, r.response_token.len, &auth));
        spnego_write_mech_types(&types, &ntlm, 1);
        ASSERT_OK(ntlm_spnego_mic_sign(cli, types.data, types.len, mic));
        put_resp(&t3, auth.data, auth.len, mic);
        ASSERT_OK(ops->step(server, t3.data, t3.len, NULL, &done));
        ASSERT_TRUE(done);
        /* client to server: sequence number 1; server to client: 0, a fresh handle */
        make_pdu(pdu, 9);
        memcpy(plain, pdu, PDU_LEN);
        ASSERT_OK(ntlm_seal(cli, pdu + STUB_OFF, STUB_LEN, pdu, PDU_LEN - 16, pdu + PDU_LEN - 16));
        ASSERT_EQ(pdu[PDU_LEN - 4], 1);
        ASSERT_OK(verify(server, RPC_AUTHN_LEVEL_PKT_PRIVACY, pdu));
        ASSERT_OK(sign(server, RPC_AUTHN_LEVEL_PKT_PRIVACY, pdu));
        ASSERT_EQ(pdu[PDU_LEN - 4], 0);
        ASSERT_OK(
                ntlm_unseal(cli, pdu + STUB_OFF, STUB_LEN, pdu, PDU_LEN - 16, pdu + PDU_LEN - 16));
        ASSERT_MEM_EQ(pdu, plain, PDU_LEN - 16);
        /* a NEGOTIATE cannot come where no CHALLENGE can go back */
        void *s2 = NULL;
        static const struct spnego_bytes two[] = {{spnego_oid_krb5, sizeof spnego_oid_krb5},
                                                  {spnego_oid_ntlm, sizeof spnego_oid_ntlm}};
        buf_clear(&t1);
        buf_clear(&t2);
        put_init(&t1, two, 2, NULL, 0);
        ASSERT_OK(ops->accept(&s2, t1.data, t1.len, &t2, &done));
        buf_clear(&t3);
        put_resp(&t3, neg.data, neg.len, NULL);
        ASSERT_ERRNO(ops->step(s2, t3.data, t3.len, NULL, &done), -EACCES);
        ops->free(s2);
        ntlm_free(cli);
        ops->free(server);
        buf_free(&t1);
        buf_free(&t2);
        buf_free(&t3);
        buf_free(&neg);
        buf_free(&auth);
        buf_free(&types);
}

/* Raw NTLMSSP under auth_type 9 (no SPNEGO), as Windows' and Samba's Negotiate take it. */
TEST(provider_raw_ntlmssp) {
        struct buf neg, chal, auth, none;
        struct ntlm_ctx *cli;
        struct rpc_identity who;
        void *server = NULL;
        bool done = true;

        buf_init(&neg, 0);
        buf_init(&chal, 0);
        buf_init(&auth, 0);
        buf_init(&none, 0);
        ASSERT_OK(ntlm_client_start("alice", "WORKGROUP", "Secret-1", NULL, &neg, &cli));
        ASSERT_OK(ops->accept(&server, neg.data, neg.len, &chal, &done));
        ASSERT_FALSE(done);
        ASSERT_MEM_EQ(chal.data, "NTLMSSP\0\2\0\0\0", 12);
        ASSERT_OK(ntlm_client_finish(cli, chal.data, chal.len, &auth));
        ASSERT_OK(ops->step(server, auth.data, auth.len, &none, &done));
        ASSERT_TRUE(done);
        ASSERT_EQ(none.len, 0);
        ASSERT_OK(ops->inq_identity(server, &who));
        ASSERT_STR_EQ(who.user, "alice");
        /* no mechListMIC here: the first PDU carries sequence number 0 */
        uint8_t pdu[PDU_LEN];
        make_pdu(pdu, 3);
        ASSERT_OK(ntlm_sign(cli, pdu, PDU_LEN - 16, pdu + PDU_LEN - 16));
        ASSERT_OK(verify(server, RPC_AUTHN_LEVEL_PKT_INTEGRITY, pdu));
        ntlm_free(cli);
        ops->free(server);
        buf_free(&neg);
        buf_free(&chal);
        buf_free(&auth);
        buf_free(&none);
}

TEST(provider_choice) {
        static const struct spnego_bytes krb = {spnego_oid_krb5, sizeof spnego_oid_krb5},
                                         ms = {spnego_oid_ms_krb5, sizeof spnego_oid_ms_krb5},
                                         ntlm = {spnego_oid_ntlm, sizeof spnego_oid_ntlm};
        static const uint8_t negoex_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                             0x82, 0x37, 0x02, 0x02, 0x1e};
        static const struct spnego_bytes negoex = {negoex_oid, sizeof negoex_oid};
        struct spnego_init v = {0};
        int idx;

        /* Windows' list: Kerberos first */
        v.n_mechs = 4;
        v.mechs[0] = ms, v.mechs[1] = krb, v.mechs[2] = negoex, v.mechs[3] = ntlm;
        ASSERT_EQ(negotiate_choose(&v, true, true, &idx), NEGOTIATE_KERBEROS);
        ASSERT_EQ(negotiate_choose(&v, false, true, &idx), NEGOTIATE_NTLM);
        ASSERT_EQ(idx, 3);
        ASSERT_EQ(negotiate_choose(&v, true, false, &idx), NEGOTIATE_NTLM);
        /* NTLM preferred: NTLM, keys or not */
        v.n_mechs = 2;
        v.mechs[0] = ntlm, v.mechs[1] = krb;
        ASSERT_EQ(negotiate_choose(&v, true, true, &idx), NEGOTIATE_NTLM);
        ASSERT_EQ(idx, 0);
        /* Kerberos alone: MIT's to take or refuse; without GSSAPI nothing */
        v.n_mechs = 1;
        v.mechs[0] = krb;
        ASSERT_EQ(negotiate_choose(&v, false, true, &idx), NEGOTIATE_KERBEROS);
        ASSERT_EQ(negotiate_choose(&v, true, false, &idx), NEGOTIATE_NONE);
        v.mechs[0] = negoex;
        ASSERT_EQ(negotiate_choose(&v, true, true, &idx), NEGOTIATE_NONE);
        /* NEGOEX first, then NTLM: NTLM (a downgrade, request-mic) */
        v.n_mechs = 2;
        v.mechs[1] = ntlm;
        ASSERT_EQ(negotiate_choose(&v, true, true, &idx), NEGOTIATE_NTLM);
        ASSERT_EQ(idx, 1);
}

/* Hostile tokens: refused, nothing kept. */
TEST(provider_garbage) {
        static const uint8_t junk[][24] = {
                {0x60, 0x82, 0xff, 0xff},                  /* a GSS header, cut short */
                {0xa1, 0x03, 0x30, 0x01, 0x00},            /* a NegTokenResp, empty */
                {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 3}, /* raw, but an AUTHENTICATE */
                {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1}, /* raw NEGOTIATE, cut short */
                {0},
        };
        struct buf out;
        bool done;
        void *ctx = NULL;

        buf_init(&out, 0);
        for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
                ASSERT_ERRNO(ops->accept(&ctx, junk[i], sizeof junk[i], &out, &done), -EACCES);
                ASSERT_ERRNO(negotiate_accept(&ctx, junk[i], sizeof junk[i], &out, &done, false),
                             -EACCES);
        }
        ASSERT_NULL(ctx);
        /* neither Kerberos nor NTLM offered */
        static const uint8_t negoex_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                             0x82, 0x37, 0x02, 0x02, 0x1e};
        struct spnego_bytes m = {negoex_oid, sizeof negoex_oid};
        struct buf t;
        buf_init(&t, 0);
        put_init(&t, &m, 1, (const uint8_t *)"x", 1);
        ASSERT_ERRNO(negotiate_accept(&ctx, t.data, t.len, &out, &done, false), -EACCES);
        ASSERT_NULL(ctx);
        buf_free(&t);

        /* tokens out of turn, and garbage in each leg */
        struct legs l;
        start_pair(&l, "Secret-1");
        ASSERT_ERRNO(ops->step(l.server, junk[1], 5, &l.t[3], &done), -EACCES);
        ASSERT_ERRNO(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done), -EACCES);
        legs_free(&l);
        start_pair(&l, "Secret-1");
        ASSERT_ERRNO(ops->init_step(l.client, l.t[1].data, l.t[1].len, &l.t[4], &done), -EACCES);
        legs_free(&l);
        start_pair(&l, "Secret-1");
        /* the server's first answer where its last belongs: not accept-completed */
        ASSERT_OK(ops->step(l.server, l.t[2].data, l.t[2].len, &l.t[3], &done));
        ASSERT_ERRNO(ops->init_step(l.client, junk[0], 4, &l.t[4], &done), -EACCES);
        legs_free(&l);
        buf_free(&out);
}

TEST(zz_stop) {
        rpc_server_free(srv);
}
