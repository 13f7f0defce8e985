/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM (src/rpc/auth/ntlm.c) against [MS-NLMP] 4.2's test vectors -- the NT hash, an
 * NTLMv2 AUTHENTICATE built from 4.2.4's values verified by our server, its exported
 * session key, and 4.2.4.4's sealed "Plaintext" and signature -- then our client against
 * our server: the identity, signing and sealing both ways, replayed, reordered and
 * tampered messages refused, the MIC checked, wrong passwords, unknown and disabled
 * users, anonymous, NTLMv1 (4.2.2's response) and the NTLM2 session response refused by
 * default and accepted when enabled, and malformed messages.  And NTLM inside SPNEGO
 * ([MS-SPNG] 3.3.5.1) on 4.2.4's keys: the mechListMICs both ways, computed here with
 * nettle as the spec defines them, and the first sealed message after them -- 4.2.4.4's
 * very ciphertext (the RC4 handle keyed afresh), its sequence number 1.
 */
#include <stdio.h>

#include <nettle/arcfour.h>
#include <nettle/hmac.h>
#include <nettle/md5.h>

#include "rpc/auth/ntlm.h"
#include "test.h"

static void unhex(const char *s, uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                ASSERT_EQ(sscanf(s + 2 * i, "%2x", &v), 1);
                out[i] = (uint8_t)v;
        }
}

static uint8_t password_hash[16];
static bool user_disabled;

/* One account: "User" with password "Password" (the spec's). */
static int lookup(const char *user, struct ntlm_account_info *ret) {
        if (strcasecmp(user, "user") != 0)
                return -ENOENT;
        memset(ret, 0, sizeof *ret);
        memcpy(ret->nt_hash, password_hash, 16);
        ret->rid = 1000;
        ret->disabled = user_disabled;
        strcpy(ret->name, "User");
        return 0;
}

static void setup(bool allow_v1) {
        struct ntlm_settings s;

        ntlm_get_settings(&s);
        strcpy(s.computer, "SERVER");
        strcpy(s.domain, "DOMAIN");
        s.allow_v1 = allow_v1;
        s.lookup = lookup;
        ntlm_set_settings(&s);
        ASSERT_OK(ntlm_nt_hash("Password", password_hash));
        user_disabled = false;
}

TEST(nt_hash) {
        uint8_t h[16], want[16];

        ASSERT_OK(ntlm_nt_hash("Password", h));
        unhex("a4f49c406510bdcab6824ee7c30fd852", want, 16);   /* 4.2.2.1.2 */
        ASSERT_MEM_EQ(h, want, 16);
        ASSERT_TRUE(ntlm_nt_hash("\xff", h) < 0);          /* not UTF-8 */
}

/* A NEGOTIATE as impacket sends it: 32 bytes, no Version. */
static const uint8_t impacket_negotiate[32] = {
        'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x35, 0x82, 0x88, 0xe0,
};

static void put16(uint8_t *p, size_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* An AUTHENTICATE from parts (user/domain as ASCII, turned into UTF-16LE). */
static size_t make_auth(uint8_t *m, uint32_t flags, const uint8_t *lm, size_t lm_len,
                        const uint8_t *nt, size_t nt_len, const char *dom, const char *user,
                        const uint8_t *ekey, size_t ekey_len) {
        size_t off = 88;
        memset(m, 0, 88);
        memcpy(m, "NTLMSSP", 8);
        put32(m + 8, 3);
#define FIELD(at, data, n)                                                                    \
        do {                                                                                  \
                put16(m + (at), (n));                                                         \
                put16(m + (at) + 2, (n));                                                     \
                put32(m + (at) + 4, (uint32_t)off);                                           \
                if ((n) != 0)                                                                 \
                        memcpy(m + off, (data), (n));                                         \
                off += (n);                                                                   \
        } while (0)
        uint8_t w[128];
        size_t k;
        for (k = 0; dom[k]; k++) {
                w[2 * k] = (uint8_t)dom[k];
                w[2 * k + 1] = 0;
        }
        FIELD(28, w, 2 * k);
        for (k = 0; user[k]; k++) {
                w[2 * k] = (uint8_t)user[k];
                w[2 * k + 1] = 0;
        }
        FIELD(36, w, 2 * k);
        FIELD(44, w, 0);
        FIELD(12, lm, lm_len);
        FIELD(20, nt, nt_len);
        FIELD(52, ekey, ekey_len);
#undef FIELD
        put32(m + 60, flags);
        return off;
}

static const uint32_t v2_flags = NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM |
                                 NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
                                 NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH |
                                 NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL;

/* [MS-NLMP] 4.2.4: the spec's NTLMv2 exchange, verified by our server. */
/* 4.2.4's AUTHENTICATE for a server context given 4.2.4's challenge: its length. */
static size_t spec_auth(uint8_t m[1024]) {
        uint8_t av[36], proof[16], ekey[16], nt[256];


        /* temp = 01 01 Z(6) time(0) ClientChallenge(aa*8) Z(4) AV pairs Z(4) */
        unhex("02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000", av, 36);
        size_t n = 0;
        nt[n++] = 1;
        nt[n++] = 1;
        memset(nt + n, 0, 14);
        n += 14;
        memset(nt + n, 0xaa, 8);
        n += 8;
        memset(nt + n, 0, 4);
        n += 4;
        memcpy(nt + n, av, 36);
        n += 36;
        memset(nt + n, 0, 4);
        n += 4;
        unhex("68cd0ab851e51c96aabc927bebef6a1c", proof, 16);   /* 4.2.4.2.2 */
        memmove(nt + 16, nt, n);
        memcpy(nt, proof, 16);
        n += 16;
        unhex("c5dad2544fc9799094ce1ce90bc9d03e", ekey, 16);    /* 4.2.4.2.3 */
        uint8_t lm[24];
        unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", lm, 24);     /* 4.2.4.2.1 */
        return make_auth(m, v2_flags, lm, 24, nt, n, "Domain", "User", ekey, 16);
}

/* A server context with 4.2.4's challenge, before the AUTHENTICATE. */
static struct ntlm_ctx *spec_server(void) {
        struct ntlm_ctx *c;
        struct buf chal;
        uint8_t sc[8];

        buf_init(&chal, 0);
        ASSERT_OK(ntlm_server_start(impacket_negotiate, sizeof impacket_negotiate, &chal, &c));
        unhex("0123456789abcdef", sc, 8);
        ntlm_test_set_challenge(c, sc);
        buf_free(&chal);
        return c;
}

TEST(spec_ntlmv2_vectors) {
        struct ntlm_ctx *c;
        uint8_t m[1024], key[16], want[16];
        const char *why;

        setup(false);
        c = spec_server();
        size_t len = spec_auth(m);

        /* a wrong proof first: refused, the context not established */
        m[88 + 12 + 8 + 24 + 3] ^= 1;   /* inside NTProofStr: after domain, user and lm */
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EACCES);
        ASSERT_STR_EQ(why, "wrong password");
        ASSERT_FALSE(ntlm_established(c));
        m[88 + 12 + 8 + 24 + 3] ^= 1;
        ASSERT_OK(ntlm_server_finish(c, m, len, &why));
        ASSERT_TRUE(ntlm_established(c));
        ASSERT_OK(ntlm_session_key(c, key));
        memset(want, 0x55, 16);                                 /* RandomSessionKey */
        ASSERT_MEM_EQ(key, want, 16);
        ASSERT_STR_EQ(ntlm_identity(c)->user, "User");
        ASSERT_STR_EQ(ntlm_identity(c)->domain, "DOMAIN");
        ASSERT_STR_EQ(ntlm_identity(c)->client_domain, "Domain");
        ASSERT_EQ(ntlm_identity(c)->rid, 1000);
        /* the same AUTHENTICATE again: reuse (Samba on alter_context); another: refused */
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EALREADY);
        m[len - 1] ^= 1;
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EACCES);

        /* 4.2.4.4: the client's sealed "Plaintext" (UTF-16) and its signature */
        uint8_t data[18], sig[16], plain[18];
        unhex("54e50165bf1936dc996020c1811b0f06fb5f", data, 18);
        unhex("010000007fb38ec5c55d497600000000", sig, 16);
        for (int i = 0; i < 9; i++) {
                plain[2 * i] = (uint8_t)"Plaintext"[i];
                plain[2 * i + 1] = 0;
        }
        ASSERT_OK(ntlm_unseal(c, data, 18, data, 18, sig));
        ASSERT_MEM_EQ(data, plain, 18);
        /* the same signature again: the sequence number moved on */
        ASSERT_ERRNO(ntlm_verify(c, data, 18, sig), -EACCES);
        ntlm_free(c);
}

/* [MS-NLMP] 3.4.4.2: a signature with sequence number seq, its checksum encrypted by rc4. */
static void spec_sig(const uint8_t sign_key[16], struct arcfour_ctx *rc4, uint32_t seq,
                     const uint8_t *msg, size_t len, uint8_t out[16]) {
        struct hmac_md5_ctx h;
        uint8_t s[4] = { (uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16),
                         (uint8_t)(seq >> 24) };
        uint8_t d[16];

        hmac_md5_set_key(&h, 16, sign_key);
        hmac_md5_update(&h, 4, s);
        hmac_md5_update(&h, len, msg);
        hmac_md5_digest(&h, 16, d);
        memcpy(out, "\1\0\0\0", 4);
        arcfour_crypt(rc4, 8, out + 4, d);
        memcpy(out + 12, s, 4);
}

static void md5_key(const uint8_t session[16], const char *magic, uint8_t out[16]) {
        struct md5_ctx m;

        md5_init(&m);
        md5_update(&m, 16, session);
        md5_update(&m, strlen(magic) + 1, (const uint8_t *)magic);
        md5_digest(&m, 16, out);
}

/*
 * [MS-SPNG] 3.3.5.1 on 4.2.4's keys: the client's mechListMIC checked, ours made, both
 * as the spec computes them; then each direction's first sealed message encrypted by an
 * RC4 handle keyed afresh -- the client's is 4.2.4.4's ciphertext byte for byte -- and
 * signed with sequence number 1.
 */
TEST(spec_spnego_mic) {
        static const uint8_t types[] = { 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
                                         0x82, 0x37, 0x02, 0x02, 0x0a };      /* { NTLMSSP } */
        uint8_t m[1024], csign[16], cseal[16], ssign[16], sseal[16], session[16], mic[16],
                want[16], data[18], plain[18], sig[16], skip[18] = { 0 };
        struct arcfour_ctx rc4;
        struct ntlm_ctx *c;
        const char *why;

        setup(false);
        c = spec_server();
        size_t len = spec_auth(m);
        ASSERT_OK(ntlm_server_finish(c, m, len, &why));
        ASSERT_FALSE(ntlm_mic_present(c));      /* 4.2.4's AUTHENTICATE has none */
        memset(session, 0x55, 16);
        unhex("4788dc861b4782f35d43fd98fe1a2d39", csign, 16);   /* 4.2.4.4 */
        unhex("59f600973cc4960a25480a7c196e4c58", cseal, 16);
        md5_key(session, "session key to server-to-client signing key magic constant", ssign);
        md5_key(session, "session key to server-to-client sealing key magic constant", sseal);

        /* the client's mechListMIC: sequence number 0, a fresh handle */
        arcfour_set_key(&rc4, 16, cseal);
        spec_sig(csign, &rc4, 0, types, sizeof types, mic);
        mic[5] ^= 1;
        ASSERT_ERRNO(ntlm_spnego_mic_verify(c, types, sizeof types, mic, 16), -EACCES);
        ntlm_free(c);
        c = spec_server();
        ASSERT_OK(ntlm_server_finish(c, m, len, &why));
        mic[5] ^= 1;
        ASSERT_ERRNO(ntlm_spnego_mic_verify(c, types, sizeof types, mic, 12), -EACCES);
        ntlm_free(c);
        c = spec_server();
        ASSERT_OK(ntlm_server_finish(c, m, len, &why));
        ASSERT_OK(ntlm_spnego_mic_verify(c, types, sizeof types, mic, 16));
        /* ours: the server's keys, sequence number 0, a fresh handle */
        ASSERT_OK(ntlm_spnego_mic_sign(c, types, sizeof types, mic));
        arcfour_set_key(&rc4, 16, sseal);
        spec_sig(ssign, &rc4, 0, types, sizeof types, want);
        ASSERT_MEM_EQ(mic, want, 16);

        /* the client's first sealed "Plaintext": 4.2.4.4's ciphertext (the RC4 handle as
           the MIC found it), sequence number 1 */
        for (int i = 0; i < 9; i++) {
                plain[2 * i] = (uint8_t)"Plaintext"[i];
                plain[2 * i + 1] = 0;
        }
        unhex("54e50165bf1936dc996020c1811b0f06fb5f", data, 18);
        arcfour_set_key(&rc4, 16, cseal);
        arcfour_crypt(&rc4, 18, skip, skip);            /* the data's part of the stream */
        spec_sig(csign, &rc4, 1, plain, 18, sig);
        ASSERT_OK(ntlm_unseal(c, data, 18, data, 18, sig));
        ASSERT_MEM_EQ(data, plain, 18);
        /* and ours the same way: a fresh handle, sequence number 1 */
        uint8_t expect[18];
        arcfour_set_key(&rc4, 16, sseal);
        arcfour_crypt(&rc4, 18, expect, plain);
        spec_sig(ssign, &rc4, 1, plain, 18, want);
        memcpy(data, plain, 18);
        ASSERT_OK(ntlm_seal(c, data, 18, plain, 18, sig));
        ASSERT_MEM_EQ(data, expect, 18);
        ASSERT_MEM_EQ(sig, want, 16);

        /* ntlm_reset_crypto: both handles afresh, sequence numbers kept (2 next) */
        ntlm_reset_crypto(c);
        arcfour_set_key(&rc4, 16, sseal);
        spec_sig(ssign, &rc4, 2, plain, 18, want);
        ASSERT_OK(ntlm_sign(c, plain, 18, sig));
        ASSERT_MEM_EQ(sig, want, 16);
        ntlm_free(c);
}

struct pair {
        struct ntlm_ctx *cli, *srv;
};

static int handshake(const char *user, const char *dom, const char *pw, struct pair *p,
                     const char **why) {
        struct buf neg, chal, auth;
        int r;

        buf_init(&neg, 0);
        buf_init(&chal, 0);
        buf_init(&auth, 0);
        ASSERT_OK(ntlm_client_start(user, dom, pw, NULL, &neg, &p->cli));
        ASSERT_EQ(neg.len, 40);                 /* Samba's and Windows' size, with Version */
        ASSERT_OK(ntlm_server_start(neg.data, neg.len, &chal, &p->srv));
        ASSERT_OK(ntlm_client_finish(p->cli, chal.data, chal.len, &auth));
        r = ntlm_server_finish(p->srv, auth.data, auth.len, why);
        buf_free(&neg);
        buf_free(&chal);
        buf_free(&auth);
        return r;
}

static void pair_free(struct pair *p) {
        ntlm_free(p->cli);
        ntlm_free(p->srv);
}

TEST(client_and_server) {
        struct pair p;
        const char *why;
        uint8_t k1[16], k2[16], sig[16], msg[64], orig[64];

        setup(false);
        ASSERT_OK(handshake("user", "ANYDOMAIN", "Password", &p, &why));
        ASSERT_TRUE(ntlm_established(p.cli));
        ASSERT_OK(ntlm_session_key(p.cli, k1));
        ASSERT_OK(ntlm_session_key(p.srv, k2));
        ASSERT_MEM_EQ(k1, k2, 16);
        ASSERT_STR_EQ(ntlm_identity(p.srv)->user, "User");     /* the account's spelling */
        ASSERT_FALSE(ntlm_identity(p.srv)->anonymous);
        uint32_t f = ntlm_flags(p.srv);
        ASSERT_TRUE(f & NTLMSSP_NEGOTIATE_128);
        ASSERT_TRUE(f & NTLMSSP_NEGOTIATE_KEY_EXCH);
        ASSERT_TRUE(f & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY);

        for (int i = 0; i < 64; i++)
                orig[i] = msg[i] = (uint8_t)(i * 7);
        /* many messages each way, interleaved: RC4 state and sequence numbers carried */
        for (int round = 0; round < 5; round++) {
                ASSERT_OK(ntlm_sign(p.cli, msg, 64, sig));
                ASSERT_OK(ntlm_verify(p.srv, msg, 64, sig));
                ASSERT_OK(ntlm_seal(p.srv, msg + 16, 32, msg, 64, sig));
                ASSERT_FALSE(memcmp(msg, orig, 64) == 0);
                ASSERT_OK(ntlm_unseal(p.cli, msg + 16, 32, msg, 64, sig));
                ASSERT_MEM_EQ(msg, orig, 64);
                ASSERT_OK(ntlm_seal(p.cli, msg + 16, 32, msg, 64, sig));
                ASSERT_OK(ntlm_unseal(p.srv, msg + 16, 32, msg, 64, sig));
                ASSERT_MEM_EQ(msg, orig, 64);
        }
        /* a tampered message, header byte (signed, not sealed) */
        ASSERT_OK(ntlm_sign(p.cli, msg, 64, sig));
        msg[0] ^= 1;
        ASSERT_ERRNO(ntlm_verify(p.srv, msg, 64, sig), -EACCES);
        pair_free(&p);

        /* a dropped message: the next one's sequence number is refused */
        ASSERT_OK(handshake("User", "", "Password", &p, &why));
        ASSERT_OK(ntlm_sign(p.cli, msg, 64, sig));
        ASSERT_OK(ntlm_sign(p.cli, msg, 64, sig));
        ASSERT_ERRNO(ntlm_verify(p.srv, msg, 64, sig), -EACCES);
        pair_free(&p);
}

TEST(refusals) {
        struct pair p;
        const char *why;

        setup(false);
        ASSERT_ERRNO(handshake("User", "", "wrong", &p, &why), -EACCES);
        ASSERT_STR_EQ(why, "wrong password");
        ASSERT_FALSE(ntlm_established(p.srv));
        pair_free(&p);
        ASSERT_ERRNO(handshake("nobody", "", "Password", &p, &why), -EACCES);
        ASSERT_STR_EQ(why, "unknown user");
        pair_free(&p);
        user_disabled = true;
        ASSERT_ERRNO(handshake("User", "", "Password", &p, &why), -EACCES);
        ASSERT_STR_EQ(why, "account disabled");
        pair_free(&p);
        user_disabled = false;

        /* anonymous */
        ASSERT_OK(handshake("", "", NULL, &p, &why));
        ASSERT_TRUE(ntlm_identity(p.srv)->anonymous);
        ASSERT_STR_EQ(ntlm_identity(p.srv)->user, "ANONYMOUS LOGON");
        pair_free(&p);
}

TEST(mic) {
        struct buf neg, chal, auth;
        struct ntlm_ctx *cli, *srv;
        const char *why;

        setup(false);
        buf_init(&neg, 0);
        buf_init(&chal, 0);
        buf_init(&auth, 0);
        ASSERT_OK(ntlm_client_start("User", "", "Password", NULL, &neg, &cli));
        ASSERT_OK(ntlm_server_start(neg.data, neg.len, &chal, &srv));
        ASSERT_OK(ntlm_client_finish(cli, chal.data, chal.len, &auth));
        auth.data[72] ^= 1;             /* the MIC (our client sends one: the server gave a timestamp) */
        ASSERT_ERRNO(ntlm_server_finish(srv, auth.data, auth.len, &why), -EACCES);
        ASSERT_STR_EQ(why, "bad MIC");
        ntlm_free(cli);
        ntlm_free(srv);
        buf_free(&neg);
        buf_free(&chal);
        buf_free(&auth);
}

/* [MS-NLMP] 4.2.2 (NTLMv1) and 4.2.3 (NTLM2 session response) */
TEST(ntlmv1) {
        uint8_t sc[8], nt[24], lm[24], m[1024], ekey[16] = { 0 };
        struct ntlm_ctx *c;
        struct buf chal;
        const char *why;
        uint32_t flags_v1 = NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM;

        unhex("0123456789abcdef", sc, 8);
        unhex("67c43011f30298a2ad35ece64f16331c44bdbed927841f94", nt, 24);
        memset(lm, 0, 24);
        for (int allow = 0; allow < 2; allow++) {
                setup(allow);
                buf_init(&chal, 0);
                /* a NEGOTIATE without extended session security */
                uint8_t neg[32];
                memcpy(neg, impacket_negotiate, 32);
                put32(neg + 12, flags_v1);
                ASSERT_OK(ntlm_server_start(neg, 32, &chal, &c));
                ntlm_test_set_challenge(c, sc);
                size_t len = make_auth(m, flags_v1, lm, 24, nt, 24, "Domain", "User", ekey, 0);
                if (!allow) {
                        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EACCES);
                        ASSERT_NOT_NULL(strstr(why, "LmCompatibilityLevel"));
                } else {
                        ASSERT_OK(ntlm_server_finish(c, m, len, &why));
                        ASSERT_TRUE(ntlm_identity(c)->v1);
                }
                ntlm_free(c);
                buf_free(&chal);
        }

        /* the NTLM2 session response: j-Interop and node-dcom's default */
        uint32_t flags_ess = flags_v1 | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
        unhex("7537f803ae367128ca458204bde7caf81e97ed2683267232", nt, 24);
        memset(lm, 0, 24);
        memset(lm, 0xaa, 8);
        for (int allow = 0; allow < 2; allow++) {
                setup(allow);
                buf_init(&chal, 0);
                uint8_t neg[32];
                memcpy(neg, impacket_negotiate, 32);
                put32(neg + 12, flags_ess);
                ASSERT_OK(ntlm_server_start(neg, 32, &chal, &c));
                ntlm_test_set_challenge(c, sc);
                size_t len = make_auth(m, flags_ess, lm, 24, nt, 24, "Domain", "User", ekey, 0);
                if (!allow)
                        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EACCES);
                else
                        ASSERT_OK(ntlm_server_finish(c, m, len, &why));
                /* a wrong v1 response is refused either way */
                ntlm_free(c);
                buf_free(&chal);
        }
        setup(true);
        buf_init(&chal, 0);
        ASSERT_OK(ntlm_server_start(impacket_negotiate, 32, &chal, &c));
        ntlm_test_set_challenge(c, sc);
        nt[5] ^= 1;
        size_t len = make_auth(m, flags_ess, lm, 24, nt, 24, "Domain", "User", ekey, 0);
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EACCES);
        ntlm_free(c);
        buf_free(&chal);
}

/* 56- and 40-bit keys are a downgrade someone in the middle forces: refused both ways. */
TEST(no_weak_keys) {
        struct ntlm_ctx *c;
        struct buf chal, neg, out;
        uint8_t m[40];

        setup(false);
        buf_init(&chal, 0);
        memcpy(m, impacket_negotiate, 32);
        put32(m + 12, 0xe0888235u & ~NTLMSSP_NEGOTIATE_128);   /* 128 taken out */
        ASSERT_ERRNO(ntlm_server_start(m, 32, &chal, &c), -EACCES);
        put32(m + 12, 0xe0888235u & ~(NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56));
        ASSERT_ERRNO(ntlm_server_start(m, 32, &chal, &c), -EACCES);
        /* the client refuses a CHALLENGE that grants no 128-bit keys */
        ASSERT_OK(ntlm_server_start(impacket_negotiate, 32, &chal, &c));
        uint32_t f = (uint32_t)chal.data[20] | (uint32_t)chal.data[21] << 8 |
                     (uint32_t)chal.data[22] << 16 | (uint32_t)chal.data[23] << 24;
        put32(chal.data + 20, f & ~NTLMSSP_NEGOTIATE_128);
        struct ntlm_ctx *cli;
        buf_init(&neg, 0);
        buf_init(&out, 0);
        ASSERT_OK(ntlm_client_start("User", "", "Password", NULL, &neg, &cli));
        ASSERT_ERRNO(ntlm_client_finish(cli, chal.data, chal.len, &out), -EACCES);
        ntlm_free(cli);
        ntlm_free(c);
        buf_free(&neg);
        buf_free(&out);
        buf_free(&chal);
}

TEST(malformed) {
        struct ntlm_ctx *c;
        struct buf chal;
        const char *why;
        uint8_t m[256];

        setup(false);
        buf_init(&chal, 0);
        ASSERT_ERRNO(ntlm_server_start(impacket_negotiate, 15, &chal, &c), -EBADMSG);
        memcpy(m, impacket_negotiate, 32);
        m[8] = 2;
        ASSERT_ERRNO(ntlm_server_start(m, 32, &chal, &c), -EBADMSG);
        memcpy(m, impacket_negotiate, 32);
        m[12] &= (uint8_t)~1;           /* no Unicode */
        ASSERT_ERRNO(ntlm_server_start(m, 32, &chal, &c), -EACCES);

        ASSERT_OK(ntlm_server_start(impacket_negotiate, 32, &chal, &c));
        /* a field pointing past the end, odd-length names, a truncated header */
        size_t len = make_auth(m, v2_flags, NULL, 0, NULL, 0, "D", "U", NULL, 0);
        put32(m + 36 + 4, 250);
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EBADMSG);
        len = make_auth(m, v2_flags, NULL, 0, NULL, 0, "D", "U", NULL, 0);
        put16(m + 36, 1);
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EBADMSG);
        ASSERT_ERRNO(ntlm_server_finish(c, m, 40, &why), -EBADMSG);
        /* an NT response too short for NTLMv2 */
        uint8_t nt[30] = { 0 };
        len = make_auth(m, v2_flags, NULL, 0, nt, 30, "D", "User", NULL, 0);
        ASSERT_ERRNO(ntlm_server_finish(c, m, len, &why), -EBADMSG);
        ASSERT_FALSE(ntlm_established(c));
        ntlm_free(c);

        /* a CHALLENGE the client cannot use */
        struct ntlm_ctx *cli;
        struct buf neg, out;
        buf_init(&neg, 0);
        buf_init(&out, 0);
        ASSERT_OK(ntlm_client_start("User", "", "Password", NULL, &neg, &cli));
        ASSERT_ERRNO(ntlm_client_finish(cli, chal.data, 20, &out), -EBADMSG);
        ntlm_free(cli);
        buf_free(&neg);
        buf_free(&out);
        buf_free(&chal);
}
