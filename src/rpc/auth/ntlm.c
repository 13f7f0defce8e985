/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM ([MS-NLMP]) for both sides; see ntlm.h.  Section numbers are [MS-NLMP]'s.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <nettle/arcfour.h>
#include <nettle/des.h>
#include <nettle/hmac.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#include <nettle/memops.h>

#include "base/alloc.h"
#include "base/base-internal.h"
#include "base/log.h"
#include "dcom/utf16.h"
#include "rpc/auth/ntlm.h"

static LOG_CHANNEL(rpc);

static const uint8_t signature[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

/* 2.2.2.1 AV_PAIR ids */
enum {
        MSV_AV_EOL = 0,
        MSV_AV_NB_COMPUTER_NAME = 1,
        MSV_AV_NB_DOMAIN_NAME = 2,
        MSV_AV_DNS_COMPUTER_NAME = 3,
        MSV_AV_DNS_DOMAIN_NAME = 4,
        MSV_AV_FLAGS = 6,
        MSV_AV_TIMESTAMP = 7,
};
#define MSV_AV_FLAG_MIC 0x2u

/* What our side grants or asks for; everything else is left out. */
#define FLAGS_SUPPORTED                                                                       \
        (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN |        \
         NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |    \
         NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_IDENTIFY |            \
         NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_128 |  \
         NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_56 | NTLMSSP_NEGOTIATE_ANONYMOUS)

/* 2.2.2.10 VERSION: 6.1 build 7601, NTLMSSP_REVISION_W2K3 */
static const uint8_t our_version[8] = { 6, 1, 0xb1, 0x1d, 0, 0, 0, 15 };

struct ntlm_ctx {
        bool server;
        bool established;
        uint32_t flags;
        uint8_t server_challenge[8];
        uint8_t *neg, *chal, *auth;     /* the messages, for the MIC and reuse */
        size_t neg_len, chal_len, auth_len;
        uint8_t session_key[16];        /* ExportedSessionKey */
        uint8_t sign_out[16], sign_in[16];
        /* HMAC-MD5 keyed with them once: each message then costs its own MD5 blocks and
           the outer one, not the two of the keys' pads again (nettle's digest leaves the
           context keyed for the next message) */
        struct hmac_md5_ctx mac_out, mac_in;
        uint8_t seal_key_out[16], seal_key_in[16];      /* for ntlm_reset_crypto() */
        struct arcfour_ctx seal_out, seal_in;
        uint32_t seq_out, seq_in;
        bool mic;                       /* the AUTHENTICATE carried a MIC (3.1.5.1.2) */
        struct ntlm_identity id;
        /* client */
        char *user, *domain;
        uint8_t nt_hash[16];
        bool anonymous;
};

/* --- settings --------------------------------------------------------------------------- */

static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ntlm_settings settings;
static bool settings_set;

static void default_settings(struct ntlm_settings *s) {
        char host[256] = "";
        size_t i;

        memset(s, 0, sizeof *s);
        if (gethostname(host, sizeof host - 1) < 0 || !host[0])
                strcpy(host, "localhost");
        snprintf(s->dns_computer, sizeof s->dns_computer, "%s", host);
        /* NetBIOS: the first label, upper case, at most 15 characters */
        for (i = 0; i < 15 && host[i] && host[i] != '.'; i++)
                s->computer[i] = (char)toupper((unsigned char)host[i]);
        s->computer[i] = 0;
        memcpy(s->domain, s->computer, sizeof s->domain);
        const char *dot = strchr(host, '.');
        snprintf(s->dns_domain, sizeof s->dns_domain, "%s", dot ? dot + 1 : "");
}

void ntlm_get_settings(struct ntlm_settings *ret) {
        pthread_mutex_lock(&settings_lock);
        if (!settings_set) {
                default_settings(&settings);
                settings_set = true;
        }
        *ret = settings;
        pthread_mutex_unlock(&settings_lock);
}

void ntlm_set_settings(const struct ntlm_settings *s) {
        pthread_mutex_lock(&settings_lock);
        settings = *s;
        settings_set = true;
        pthread_mutex_unlock(&settings_lock);
}

/* --- primitives ------------------------------------------------------------------------- */

static void hmac_md5(const uint8_t key[16], const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen, uint8_t out[16]) {
        struct hmac_md5_ctx h;

        hmac_md5_set_key(&h, 16, key);
        if (alen)
                hmac_md5_update(&h, alen, a);
        if (blen)
                hmac_md5_update(&h, blen, b);
        hmac_md5_digest(&h, 16, out);
}

static void rc4_once(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out) {
        struct arcfour_ctx rc4;

        arcfour_set_key(&rc4, 16, key);
        arcfour_crypt(&rc4, len, out, in);
}

static void put_u16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 2.2.1: a field's (Len, MaxLen, Offset) at off, checked against the message. */
static int get_field(const uint8_t *m, size_t len, size_t off, const uint8_t **ret,
                     size_t *ret_len) {
        if (off + 8 > len)
                return -EBADMSG;
        size_t n = get_u16(m + off), o = get_u32(m + off + 4);
        if (n == 0) {
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        if (o > len || n > len - o)
                return -EBADMSG;
        *ret = m + o;
        *ret_len = n;
        return 0;
}

/* UTF-16LE bytes to UTF-8 in a buffer of NTLM_NAME_MAX + 1. */
static int utf16le_to_name(const uint8_t *p, size_t n, char out[NTLM_NAME_MAX + 1]) {
        WCHAR w[NTLM_MAX_MESSAGE / 2];
        char *s;
        size_t slen;
        int r;

        out[0] = 0;
        if (n % 2 || n / 2 > ELEMENTSOF(w))
                return -EBADMSG;
        if (n == 0)
                return 0;
        for (size_t i = 0; i < n / 2; i++)
                w[i] = get_u16(p + 2 * i);
        r = dcom_utf16_to_utf8(w, n / 2, &s, &slen);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (slen > NTLM_NAME_MAX || memchr(s, 0, slen)) {
                dcom_free(s);
                return -EBADMSG;
        }
        memcpy(out, s, slen + 1);
        dcom_free(s);
        return 0;
}

/* UTF-8 to UTF-16LE appended to b, upper-cased if asked; its byte length. */
static int put_utf16le(struct buf *b, const char *s, bool upper, size_t *ret_len) {
        WCHAR *w;
        size_t n;
        int r = dcom_utf8_to_utf16(s, strlen(s), &w, &n);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                buf_put_u16le(b, upper ? dcom_utf16_toupper(w[i]) : w[i]);
        dcom_free(w);
        if (ret_len)
                *ret_len = 2 * n;
        return b->error ? -ENOMEM : 0;
}

int ntlm_nt_hash(const char *password, uint8_t ret[16]) {
        struct md4_ctx ctx;
        WCHAR *w;
        uint8_t *le;
        size_t n;
        int r;

        r = dcom_utf8_to_utf16(password, strlen(password), &w, &n);
        if (r < 0)
                return r;
        le = dcom_malloc(2 * n + 1);
        if (!le) {
                explicit_bzero(w, n * sizeof *w);
                dcom_free(w);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                le[2 * i] = (uint8_t)(w[i] & 0xff);
                le[2 * i + 1] = (uint8_t)(w[i] >> 8);
        }
        md4_init(&ctx);
        md4_update(&ctx, 2 * n, le);
        md4_digest(&ctx, MD4_DIGEST_SIZE, ret);
        /* no copy of the password outlives the call */
        explicit_bzero(&ctx, sizeof ctx);
        explicit_bzero(le, 2 * n);
        explicit_bzero(w, n * sizeof *w);
        dcom_free(le);
        dcom_free(w);
        return 0;
}

/* 3.3.2 NTOWFv2 = HMAC_MD5(NT hash, UNICODE(Uppercase(User) || UserDom)), from the raw
   UTF-16LE user and domain of the message (the server) or from UTF-8 (the client). */
static void ntowf_v2_raw(const uint8_t nt_hash[16], const uint8_t *user, size_t ulen,
                         const uint8_t *dom, size_t dlen, uint8_t out[16]) {
        struct hmac_md5_ctx h;

        hmac_md5_set_key(&h, 16, nt_hash);
        for (size_t i = 0; i + 1 < ulen; i += 2) {
                uint8_t u[2];
                put_u16(u, dcom_utf16_toupper(get_u16(user + i)));
                hmac_md5_update(&h, 2, u);
        }
        if (dlen)
                hmac_md5_update(&h, dlen, dom);
        hmac_md5_digest(&h, 16, out);
}

/* 3.4.5.2 SIGNKEY and 3.4.5.3 SEALKEY (extended session security) */
static void derive_keys(struct ntlm_ctx *c) {
        static const char cs_sign[] = "session key to client-to-server signing key magic constant";
        static const char sc_sign[] = "session key to server-to-client signing key magic constant";
        static const char cs_seal[] = "session key to client-to-server sealing key magic constant";
        static const char sc_seal[] = "session key to server-to-client sealing key magic constant";
        uint8_t csign[16], ssign[16], cseal[16], sseal[16];
        size_t klen = c->flags & NTLMSSP_NEGOTIATE_128 ? 16 : c->flags & NTLMSSP_NEGOTIATE_56 ? 7 : 5;
        struct md5_ctx m;

        /* the magic constants are hashed with their terminating NUL */
        md5_init(&m);
        md5_update(&m, 16, c->session_key);
        md5_update(&m, sizeof cs_sign, (const uint8_t *)cs_sign);
        md5_digest(&m, 16, csign);
        md5_init(&m);
        md5_update(&m, 16, c->session_key);
        md5_update(&m, sizeof sc_sign, (const uint8_t *)sc_sign);
        md5_digest(&m, 16, ssign);
        md5_init(&m);
        md5_update(&m, klen, c->session_key);
        md5_update(&m, sizeof cs_seal, (const uint8_t *)cs_seal);
        md5_digest(&m, 16, cseal);
        md5_init(&m);
        md5_update(&m, klen, c->session_key);
        md5_update(&m, sizeof sc_seal, (const uint8_t *)sc_seal);
        md5_digest(&m, 16, sseal);

        memcpy(c->sign_out, c->server ? ssign : csign, 16);
        memcpy(c->sign_in, c->server ? csign : ssign, 16);
        hmac_md5_set_key(&c->mac_out, 16, c->sign_out);
        hmac_md5_set_key(&c->mac_in, 16, c->sign_in);
        memcpy(c->seal_key_out, c->server ? sseal : cseal, 16);
        memcpy(c->seal_key_in, c->server ? cseal : sseal, 16);
        arcfour_set_key(&c->seal_out, 16, c->seal_key_out);
        arcfour_set_key(&c->seal_in, 16, c->seal_key_in);
        c->seq_out = c->seq_in = 0;
        explicit_bzero(csign, 16);
        explicit_bzero(ssign, 16);
        explicit_bzero(cseal, 16);
        explicit_bzero(sseal, 16);
}

static uint64_t filetime_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return ((uint64_t)ts.tv_sec + 11644473600ull) * 10000000ull + (uint64_t)ts.tv_nsec / 100;
}

static uint8_t *memdup_or_null(const uint8_t *p, size_t n) {
        return dcom_memdup(p, n ? n : 1);
}

/* --- the server ------------------------------------------------------------------------ */

static void put_av(struct buf *b, uint16_t id, const char *s) {
        size_t at = b->len, n = 0;

        buf_put_u16le(b, id);
        buf_put_u16le(b, 0);
        if (put_utf16le(b, s, false, &n) < 0 || b->error)
                return;
        put_u16(b->data + at + 2, (uint16_t)n);
}

/* 2.2.1.1 NEGOTIATE_MESSAGE in, 2.2.1.2 CHALLENGE_MESSAGE out (3.2.5.1.1) */
int ntlm_server_start(const uint8_t *m, size_t len, struct buf *out, struct ntlm_ctx **ret) {
        struct ntlm_settings s;
        struct ntlm_ctx *c;
        uint32_t want, flags;

        /* impacket sends 32 bytes (no Version), Samba and Windows 40 */
        if (len < 16 || len > NTLM_MAX_MESSAGE || memcmp(m, signature, 8) != 0 ||
            get_u32(m + 8) != 1)
                return -EBADMSG;
        want = get_u32(m + 12);
        if (!(want & NTLMSSP_NEGOTIATE_UNICODE)) {
                log_debug(rpc, "ntlm: client does not offer Unicode");
                return -EACCES;
        }
        if (!(want & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) && !(want & NTLMSSP_NEGOTIATE_NTLM))
                return -EACCES;
        ntlm_get_settings(&s);
        flags = (want & FLAGS_SUPPORTED) | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_TARGET_INFO;
        if (want & NTLMSSP_REQUEST_TARGET)
                flags |= NTLMSSP_TARGET_TYPE_SERVER;
        /* keys of 56 or 40 bits are a downgrade someone in the middle can force (by
           taking the flag out): signing or sealing needs 128 (Windows' NtlmMinServerSec) */
        if ((flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) &&
            !(flags & NTLMSSP_NEGOTIATE_128)) {
                log_debug(rpc, "ntlm: client offers no 128-bit keys");
                return -EACCES;
        }

        c = dcom_calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->server = true;
        c->flags = flags;
        if (getrandom(c->server_challenge, 8, 0) != 8) {
                dcom_free(c);
                return -EIO;
        }
        c->neg = memdup_or_null(m, len);
        c->neg_len = len;

        /* 2.2.1.2: header (56 bytes with Version), then TargetName and TargetInfo */
        struct buf tn, ti;
        buf_init(&tn, 0);
        buf_init(&ti, 0);
        if (flags & NTLMSSP_REQUEST_TARGET)
                put_utf16le(&tn, s.domain, false, NULL);
        put_av(&ti, MSV_AV_NB_DOMAIN_NAME, s.domain);
        put_av(&ti, MSV_AV_NB_COMPUTER_NAME, s.computer);
        put_av(&ti, MSV_AV_DNS_DOMAIN_NAME, s.dns_domain[0] ? s.dns_domain : s.domain);
        put_av(&ti, MSV_AV_DNS_COMPUTER_NAME, s.dns_computer);
        buf_put_u16le(&ti, MSV_AV_TIMESTAMP);
        buf_put_u16le(&ti, 8);
        buf_put_u64le(&ti, filetime_now());
        buf_put_u16le(&ti, MSV_AV_EOL);
        buf_put_u16le(&ti, 0);

        size_t start = out->len;
        uint8_t *h = buf_extend(out, 56);
        if (h) {
                memset(h, 0, 56);
                memcpy(h, signature, 8);
                put_u32(h + 8, 2);
                put_u16(h + 12, (uint16_t)tn.len);
                put_u16(h + 14, (uint16_t)tn.len);
                put_u32(h + 16, 56);
                put_u32(h + 20, flags);
                memcpy(h + 24, c->server_challenge, 8);
                put_u16(h + 40, (uint16_t)ti.len);
                put_u16(h + 42, (uint16_t)ti.len);
                put_u32(h + 44, (uint32_t)(56 + tn.len));
                memcpy(h + 48, our_version, 8);
        }
        buf_append(out, tn.data, tn.len);
        buf_append(out, ti.data, ti.len);
        bool err = tn.error || ti.error || out->error;
        buf_free(&tn);
        buf_free(&ti);
        if (!err)
                c->chal = memdup_or_null(out->data + start, out->len - start);
        if (err || !c->neg || !c->chal) {
                ntlm_free(c);
                return -ENOMEM;
        }
        c->chal_len = out->len - start;
        *ret = c;
        return 0;
}

/* The value of AV pair id in a list of len bytes, or NULL; -EBADMSG if malformed. */
static int av_find(const uint8_t *p, size_t len, uint16_t id, const uint8_t **ret,
                   size_t *ret_len) {
        size_t off = 0;

        *ret = NULL;
        *ret_len = 0;
        for (;;) {
                if (off + 4 > len)
                        return -EBADMSG;        /* no MsvAvEOL */
                uint16_t aid = get_u16(p + off), alen = get_u16(p + off + 2);
                if (alen > len - off - 4)
                        return -EBADMSG;
                if (aid == MSV_AV_EOL)
                        return 0;
                if (aid == id && !*ret) {
                        *ret = p + off + 4;
                        *ret_len = alen;
                }
                off += 4 + (size_t)alen;
        }
}

/* DES with a 7-byte key (2.2.2.9 DESL's building block; 3.3.1). */
static void des7(const uint8_t k7[7], const uint8_t in[8], uint8_t out[8]) {
        uint8_t k[8];
        struct des_ctx d;

        k[0] = k7[0];
        k[1] = (uint8_t)(k7[0] << 7 | k7[1] >> 1);
        k[2] = (uint8_t)(k7[1] << 6 | k7[2] >> 2);
        k[3] = (uint8_t)(k7[2] << 5 | k7[3] >> 3);
        k[4] = (uint8_t)(k7[3] << 4 | k7[4] >> 4);
        k[5] = (uint8_t)(k7[4] << 3 | k7[5] >> 5);
        k[6] = (uint8_t)(k7[5] << 2 | k7[6] >> 6);
        k[7] = (uint8_t)(k7[6] << 1);
        des_fix_parity(8, k, k);
        des_set_key(&d, k);             /* a weak key still encrypts */
        des_encrypt(&d, 8, out, in);
        explicit_bzero(&d, sizeof d);
}

/* 6 DESL(K, D) */
static void desl(const uint8_t k[16], const uint8_t d[8], uint8_t out[24]) {
        uint8_t k3[7] = { k[14], k[15], 0, 0, 0, 0, 0 };

        des7(k, d, out);
        des7(k + 7, d, out + 8);
        des7(k3, d, out + 16);
}

/*
 * NTLMv1 (3.3.1), and the NTLM2 session response with extended session security:
 * the response and the key exchange key (3.4.5.1 KXKEY).
 */
static int check_v1(const struct ntlm_ctx *c, const uint8_t nt_hash[16], const uint8_t *nt,
                    const uint8_t *lm, size_t lm_len, uint8_t kxkey[16]) {
        uint8_t expect[24], sbk[16], chal[8];
        struct md4_ctx md4;
        bool ess = c->flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;

        if (ess && lm_len != 24)
                return -EACCES;
        if (ess) {
                struct md5_ctx m;
                uint8_t d[16];
                md5_init(&m);
                md5_update(&m, 8, c->server_challenge);
                md5_update(&m, 8, lm);
                md5_digest(&m, 16, d);
                memcpy(chal, d, 8);
        } else {
                memcpy(chal, c->server_challenge, 8);
        }
        desl(nt_hash, chal, expect);
        if (!memeql_sec(expect, nt, 24))
                return -EACCES;
        md4_init(&md4);
        md4_update(&md4, 16, nt_hash);
        md4_digest(&md4, 16, sbk);
        if (ess)
                hmac_md5(sbk, c->server_challenge, 8, lm, 8, kxkey);
        else
                memcpy(kxkey, sbk, 16);
        explicit_bzero(sbk, 16);
        return 0;
}

int ntlm_server_finish(struct ntlm_ctx *c, const uint8_t *m, size_t len, const char **ret_reason) {
        const uint8_t *lm, *nt, *dom, *user, *ws, *ekey;
        size_t lm_len, nt_len, dom_len, user_len, ws_len, ekey_len;
        struct ntlm_settings s;
        struct ntlm_account_info acct;
        uint8_t kxkey[16], ntowf[16], proof[16];
        const char *why = "malformed AUTHENTICATE message";
        bool mic_present = false;
        int r;

        *ret_reason = why;
        if (!c->server)
                return -EINVAL;
        if (c->established) {
                /* Samba re-sends its AUTHENTICATE on alter_context: the same bytes are reuse */
                if (c->auth && len == c->auth_len && memcmp(m, c->auth, len) == 0)
                        return -EALREADY;
                *ret_reason = "a second, different AUTHENTICATE on an established context";
                return -EACCES;
        }
        if (len < 64 || len > NTLM_MAX_MESSAGE || memcmp(m, signature, 8) != 0 ||
            get_u32(m + 8) != 3)
                return -EBADMSG;
        if (get_field(m, len, 12, &lm, &lm_len) < 0 || get_field(m, len, 20, &nt, &nt_len) < 0 ||
            get_field(m, len, 28, &dom, &dom_len) < 0 ||
            get_field(m, len, 36, &user, &user_len) < 0 ||
            get_field(m, len, 44, &ws, &ws_len) < 0 ||
            get_field(m, len, 52, &ekey, &ekey_len) < 0)
                return -EBADMSG;
        /* the client's final flags can only take away what the challenge granted */
        uint32_t aflags = get_u32(m + 60);
        uint32_t keep = NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL |
                        NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56 |
                        NTLMSSP_NEGOTIATE_ALWAYS_SIGN;
        c->flags &= ~keep | (aflags & keep);
        if ((c->flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) &&
            !(c->flags & NTLMSSP_NEGOTIATE_128)) {
                *ret_reason = "no 128-bit keys";
                return -EACCES;
        }

        memset(&c->id, 0, sizeof c->id);
        if (utf16le_to_name(dom, dom_len, c->id.client_domain) < 0 ||
            utf16le_to_name(user, user_len, c->id.user) < 0 ||
            utf16le_to_name(ws, ws_len, c->id.workstation) < 0)
                return -EBADMSG;
        ntlm_get_settings(&s);

        if (user_len == 0 && nt_len == 0 && (lm_len == 0 || (lm_len == 1 && lm[0] == 0))) {
                /* 3.3.2: anonymous: no responses, SessionBaseKey Z(16) */
                c->id.anonymous = true;
                snprintf(c->id.domain, sizeof c->id.domain, "NT AUTHORITY");
                snprintf(c->id.user, sizeof c->id.user, "ANONYMOUS LOGON");
                memset(kxkey, 0, 16);
        } else {
                if (!s.lookup) {
                        *ret_reason = "no account store";
                        return -EACCES;
                }
                r = s.lookup(c->id.user, &acct);
                if (r < 0) {
                        *ret_reason = r == -ENOENT ? "unknown user" : "account store unreadable";
                        return -EACCES;
                }
                if (acct.disabled) {
                        explicit_bzero(&acct, sizeof acct);
                        *ret_reason = "account disabled";
                        return -EACCES;
                }
                if (nt_len == 24) {
                        if (!s.allow_v1) {
                                explicit_bzero(&acct, sizeof acct);
                                *ret_reason = "NTLMv1 refused (enable it with "
                                              "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa "
                                              "LmCompatibilityLevel <= 4)";
                                return -EACCES;
                        }
                        r = check_v1(c, acct.nt_hash, nt, lm, lm_len, kxkey);
                        c->id.v1 = true;
                } else if (nt_len >= 16 + 28) {
                        /* 3.3.2: NTProofStr || temp; temp = 1, 1, Z(6), time, challenge, Z(4), AV pairs, Z(4) */
                        const uint8_t *blob = nt + 16;
                        size_t blob_len = nt_len - 16;
                        if (blob[0] != 1 || blob[1] != 1)
                                r = -EBADMSG;
                        else {
                                ntowf_v2_raw(acct.nt_hash, user, user_len, dom, dom_len, ntowf);
                                hmac_md5(ntowf, c->server_challenge, 8, blob, blob_len, proof);
                                r = memeql_sec(proof, nt, 16) ? 0 : -EACCES;
                                if (r == 0)
                                        hmac_md5(ntowf, proof, 16, NULL, 0, kxkey); /* SessionBaseKey = KXKEY */
                                const uint8_t *fl;
                                size_t fl_len;
                                if (r == 0 && av_find(blob + 28, blob_len - 28, MSV_AV_FLAGS, &fl, &fl_len) >= 0 &&
                                    fl && fl_len == 4 && (get_u32(fl) & MSV_AV_FLAG_MIC))
                                        mic_present = true;
                        }
                        explicit_bzero(ntowf, 16);
                } else {
                        r = -EBADMSG;
                }
                c->id.rid = acct.rid;
                /* [MS-NLMP] 2.2.2.5: an identify-level token was asked for */
                c->id.identify = (c->flags & NTLMSSP_NEGOTIATE_IDENTIFY) != 0;
                snprintf(c->id.user, sizeof c->id.user, "%s", acct.name);
                snprintf(c->id.domain, sizeof c->id.domain, "%s", s.domain);
                explicit_bzero(&acct, sizeof acct);
                if (r == -EACCES)
                        *ret_reason = "wrong password";
                if (r < 0)
                        return r;
        }

        /* 3.2.5.1.2: the exported session key */
        if (c->flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
                if (ekey_len != 16) {
                        explicit_bzero(kxkey, 16);
                        return -EBADMSG;
                }
                rc4_once(kxkey, ekey, 16, c->session_key);
        } else {
                memcpy(c->session_key, kxkey, 16);
        }
        explicit_bzero(kxkey, 16);

        if (mic_present) {
                /* 3.1.5.1.2: HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE
                   with the MIC zeroed); the MIC follows the Version at 72 */
                uint8_t mic[16], zero[16] = { 0 };
                struct hmac_md5_ctx h;
                if (len < 88) {
                        *ret_reason = "MIC missing";
                        return -EACCES;
                }
                hmac_md5_set_key(&h, 16, c->session_key);
                hmac_md5_update(&h, c->neg_len, c->neg);
                hmac_md5_update(&h, c->chal_len, c->chal);
                hmac_md5_update(&h, 72, m);
                hmac_md5_update(&h, 16, zero);
                hmac_md5_update(&h, len - 88, m + 88);
                hmac_md5_digest(&h, 16, mic);
                if (!memeql_sec(mic, m + 72, 16)) {
                        *ret_reason = "bad MIC";
                        return -EACCES;
                }
        }
        derive_keys(c);
        c->mic = mic_present;
        c->auth = memdup_or_null(m, len);
        if (!c->auth)
                return -ENOMEM;
        c->auth_len = len;
        c->established = true;
        *ret_reason = NULL;
        return 0;
}

/* --- the client ------------------------------------------------------------------------ */

#define CLIENT_FLAGS                                                                          \
        (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN |        \
         NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |    \
         NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_VERSION |             \
         NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_56)

int ntlm_client_start(const char *user, const char *domain, const char *password,
                      const uint8_t *nt_hash, struct buf *out, struct ntlm_ctx **ret) {
        return ntlm_client_start_ex(user, domain, password, nt_hash, 0, out, ret);
}

int ntlm_client_start_ex(const char *user, const char *domain, const char *password,
                         const uint8_t *nt_hash, uint32_t extra_flags, struct buf *out,
                         struct ntlm_ctx **ret) {
        struct ntlm_ctx *c;
        int r = 0;

        if (!user || strlen(user) > NTLM_NAME_MAX || (domain && strlen(domain) > NTLM_NAME_MAX))
                return -EINVAL;
        c = dcom_calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->anonymous = !user[0];
        c->user = dcom_strdup(user);
        c->domain = dcom_strdup(domain ? domain : "");
        if (!c->user || !c->domain)
                r = -ENOMEM;
        else if (nt_hash)
                memcpy(c->nt_hash, nt_hash, 16);
        else if (!c->anonymous)
                r = ntlm_nt_hash(password ? password : "", c->nt_hash);
        if (r < 0) {
                ntlm_free(c);
                return r;
        }
        c->flags = CLIENT_FLAGS | (c->anonymous ? NTLMSSP_NEGOTIATE_ANONYMOUS : 0) |
                   (extra_flags & NTLMSSP_NEGOTIATE_IDENTIFY);

        /* 2.2.1.1: 40 bytes, no domain or workstation, with Version */
        size_t start = out->len;
        uint8_t *h = buf_extend(out, 40);
        if (!h) {
                ntlm_free(c);
                return -ENOMEM;
        }
        memset(h, 0, 40);
        memcpy(h, signature, 8);
        put_u32(h + 8, 1);
        put_u32(h + 12, c->flags);
        put_u32(h + 20, 40);
        put_u32(h + 28, 40);
        memcpy(h + 32, our_version, 8);
        c->neg = memdup_or_null(out->data + start, 40);
        if (!c->neg) {
                ntlm_free(c);
                return -ENOMEM;
        }
        c->neg_len = 40;
        *ret = c;
        return 0;
}

int ntlm_client_finish(struct ntlm_ctx *c, const uint8_t *m, size_t len, struct buf *out) {
        const uint8_t *tn, *ti, *ts;
        size_t tn_len, ti_len = 0, ts_len;
        uint8_t cchal[8], ntowf[16], proof[16], sbk[16], enc[16];
        struct ntlm_settings s;
        struct buf nt, lm, payload;
        uint64_t now;
        int r;

        if (c->server || c->established)
                return -EINVAL;
        if (len < 32 || len > NTLM_MAX_MESSAGE || memcmp(m, signature, 8) != 0 ||
            get_u32(m + 8) != 2)
                return -EBADMSG;
        if (get_field(m, len, 12, &tn, &tn_len) < 0)
                return -EBADMSG;
        uint32_t sflags = get_u32(m + 20);
        memcpy(c->server_challenge, m + 24, 8);
        ti = NULL;
        if ((sflags & NTLMSSP_NEGOTIATE_TARGET_INFO) &&
            (len < 48 || get_field(m, len, 40, &ti, &ti_len) < 0))
                return -EBADMSG;
        if (!(sflags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) ||
            !(sflags & NTLMSSP_NEGOTIATE_UNICODE))
                return -EACCES;         /* NTLMv2 with ESS or nothing */
        if (!(sflags & NTLMSSP_NEGOTIATE_128))
                return -EACCES;         /* 56 or 40 bits: a downgrade (NtlmMinClientSec) */
        c->flags &= sflags;             /* what both sides have, Version included */
        c->chal = memdup_or_null(m, len);
        if (!c->chal)
                return -ENOMEM;
        c->chal_len = len;
        ntlm_get_settings(&s);

        if (getrandom(cchal, 8, 0) != 8 || getrandom(c->session_key, 16, 0) != 16)
                return -EIO;
        buf_init(&nt, NTLM_MAX_MESSAGE);
        buf_init(&lm, NTLM_MAX_MESSAGE);
        buf_init(&payload, NTLM_MAX_MESSAGE);
        bool mic = false;
        if (c->anonymous) {
                buf_put_u8(&lm, 0);     /* 3.3.2: LmChallengeResponse Z(1), no NT response */
                memset(sbk, 0, 16);
        } else {
                struct buf ub, db;
                buf_init(&ub, 0);
                buf_init(&db, 0);
                r = put_utf16le(&ub, c->user, false, NULL);
                if (r >= 0)
                        r = put_utf16le(&db, c->domain, false, NULL);
                if (r >= 0)
                        ntowf_v2_raw(c->nt_hash, ub.data, ub.len, db.data, db.len, ntowf);
                buf_free(&ub);
                buf_free(&db);
                if (r < 0)
                        goto fail;
                if (ti && av_find(ti, ti_len, MSV_AV_TIMESTAMP, &ts, &ts_len) >= 0 && ts &&
                    ts_len == 8) {
                        now = (uint64_t)get_u32(ts) | (uint64_t)get_u32(ts + 4) << 32;
                        mic = true;     /* 3.1.5.1.2: a server timestamp asks for a MIC */
                } else {
                        now = filetime_now();
                }
                /* temp: the client's blob, with the server's AV pairs (+ MsvAvFlags) */
                buf_put_u8(&nt, 1);
                buf_put_u8(&nt, 1);
                buf_append(&nt, "\0\0\0\0\0\0", 6);
                buf_put_u64le(&nt, now);
                buf_append(&nt, cchal, 8);
                buf_put_u32le(&nt, 0);
                if (ti) {
                        size_t off = 0;
                        while (off + 4 <= ti_len) {
                                uint16_t id = get_u16(ti + off), n = get_u16(ti + off + 2);
                                if (id == MSV_AV_EOL || n > ti_len - off - 4)
                                        break;
                                if (id != MSV_AV_FLAGS)
                                        buf_append(&nt, ti + off, 4 + (size_t)n);
                                off += 4 + (size_t)n;
                        }
                }
                if (mic) {
                        buf_put_u16le(&nt, MSV_AV_FLAGS);
                        buf_put_u16le(&nt, 4);
                        buf_put_u32le(&nt, MSV_AV_FLAG_MIC);
                }
                buf_put_u32le(&nt, 0);  /* MsvAvEOL */
                buf_put_u32le(&nt, 0);  /* Z(4) */
                if (nt.error) {
                        r = -ENOMEM;
                        goto fail;
                }
                hmac_md5(ntowf, c->server_challenge, 8, nt.data, nt.len, proof);
                /* NtChallengeResponse = NTProofStr || temp */
                uint8_t *p = buf_extend(&nt, 16);
                if (!p) {
                        r = -ENOMEM;
                        goto fail;
                }
                memmove(nt.data + 16, nt.data, nt.len - 16);
                memcpy(nt.data, proof, 16);
                if (mic) {
                        static const uint8_t z24[24];
                        buf_append(&lm, z24, 24);
                } else {
                        uint8_t l[16];
                        hmac_md5(ntowf, c->server_challenge, 8, cchal, 8, l);
                        buf_append(&lm, l, 16);
                        buf_append(&lm, cchal, 8);
                }
                hmac_md5(ntowf, proof, 16, NULL, 0, sbk);
                explicit_bzero(ntowf, 16);
        }
        /* 3.1.5.1.2: key exchange: a random session key, sent under the KXKEY */
        if (c->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
                rc4_once(sbk, c->session_key, 16, enc);
        else
                memcpy(c->session_key, sbk, 16);
        explicit_bzero(sbk, 16);

        /* 2.2.1.3: the header (88 bytes: Version and MIC), then the payload */
        size_t start = out->len;
        uint8_t *h = buf_extend(out, 88);
        if (!h) {
                r = -ENOMEM;
                goto fail;
        }
        memset(h, 0, 88);
        memcpy(h, signature, 8);
        put_u32(h + 8, 3);
        size_t off = 88, n;
        struct buf *pl = &payload;
#define PUT_FIELD(at_, ptr_, n_)                                                              \
        do {                                                                                  \
                put_u16(out->data + start + (at_), (uint16_t)(n_));                           \
                put_u16(out->data + start + (at_) + 2, (uint16_t)(n_));                       \
                put_u32(out->data + start + (at_) + 4, (uint32_t)(off + pl->len));            \
                buf_append(pl, (ptr_), (n_));                                                 \
        } while (0)
        {
                struct buf tmp;
                buf_init(&tmp, 0);
                put_utf16le(&tmp, c->anonymous ? "" : c->domain, false, &n);
                PUT_FIELD(28, tmp.data, tmp.len);
                buf_clear(&tmp);
                put_utf16le(&tmp, c->user, false, &n);
                PUT_FIELD(36, tmp.data, tmp.len);
                buf_clear(&tmp);
                put_utf16le(&tmp, s.computer, false, &n);
                PUT_FIELD(44, tmp.data, tmp.len);
                buf_free(&tmp);
        }
        PUT_FIELD(12, lm.data, lm.len);
        PUT_FIELD(20, nt.data, nt.len);
        if (c->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
                PUT_FIELD(52, enc, 16);
        else
                PUT_FIELD(52, enc, 0);
#undef PUT_FIELD
        put_u32(out->data + start + 60, c->flags);
        if (c->flags & NTLMSSP_NEGOTIATE_VERSION)
                memcpy(out->data + start + 64, our_version, 8);
        buf_append(out, payload.data, payload.len);
        if (out->error || payload.error || lm.error) {
                r = -ENOMEM;
                goto fail;
        }
        if (mic) {
                struct hmac_md5_ctx hm;
                uint8_t d[16];
                hmac_md5_set_key(&hm, 16, c->session_key);
                hmac_md5_update(&hm, c->neg_len, c->neg);
                hmac_md5_update(&hm, c->chal_len, c->chal);
                hmac_md5_update(&hm, out->len - start, out->data + start);
                hmac_md5_digest(&hm, 16, d);
                memcpy(out->data + start + 72, d, 16);
        }
        derive_keys(c);
        c->mic = mic;
        c->established = true;
        r = 0;
fail:
        buf_free(&nt);
        buf_free(&lm);
        buf_free(&payload);
        return r;
}

/* --- after the handshake ---------------------------------------------------------------- */

void ntlm_free(struct ntlm_ctx *c) {
        if (!c)
                return;
        dcom_free(c->neg);
        dcom_free(c->chal);
        dcom_free(c->auth);
        dcom_free(c->user);
        dcom_free(c->domain);
        explicit_bzero(c, sizeof *c);
        dcom_free(c);
}

/*
 * A server context whose logon another process verified (dcomlsa, lsa-proto.h): the flags
 * and exported session key it agreed, the identity it found, and the AUTHENTICATE bytes
 * (so a second identical one is recognised as reuse).  Signing and sealing go on here.
 */
int ntlm_server_import(uint32_t flags, const uint8_t session_key[16], bool mic,
                       const struct ntlm_identity *id, const uint8_t *auth, size_t auth_len,
                       struct ntlm_ctx **ret) {
        struct ntlm_ctx *c;

        if (auth_len == 0 || auth_len > NTLM_MAX_MESSAGE ||
            ((flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL)) &&
             !(flags & NTLMSSP_NEGOTIATE_128)))
                return -EINVAL;
        c = dcom_calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->server = true;
        c->flags = flags & FLAGS_SUPPORTED;
        memcpy(c->session_key, session_key, 16);
        c->mic = mic;
        c->id = *id;
        c->auth = memdup_or_null(auth, auth_len);
        if (!c->auth) {
                ntlm_free(c);
                return -ENOMEM;
        }
        c->auth_len = auth_len;
        derive_keys(c);
        c->established = true;
        *ret = c;
        return 0;
}

void ntlm_test_set_challenge(struct ntlm_ctx *c, const uint8_t challenge[8]) {
        memcpy(c->server_challenge, challenge, 8);
}

bool ntlm_established(const struct ntlm_ctx *c) {
        return c && c->established;
}

uint32_t ntlm_flags(const struct ntlm_ctx *c) {
        return c->flags;
}

const struct ntlm_identity *ntlm_identity(const struct ntlm_ctx *c) {
        return &c->id;
}

int ntlm_session_key(const struct ntlm_ctx *c, uint8_t ret[16]) {
        if (!c->established)
                return -ENOTCONN;
        memcpy(ret, c->session_key, 16);
        return 0;
}

/* 3.4.4.2 MAC with extended session security: the checksum before its encryption,
   HMAC_MD5(SigningKey, seq || message) with h keyed with SigningKey */
static void mac(struct hmac_md5_ctx *h, uint32_t seq, const uint8_t *msg, size_t len,
                uint8_t out[8]) {
        uint8_t s[4], d[16];

        put_u32(s, seq);
        hmac_md5_update(h, 4, s);
        if (len)
                hmac_md5_update(h, len, msg);
        hmac_md5_digest(h, 16, d);
        memcpy(out, d, 8);
}

static void put_sig(struct ntlm_ctx *c, const uint8_t cksum[8], uint8_t sig[16]) {
        put_u32(sig, 1);
        if (c->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
                arcfour_crypt(&c->seal_out, 8, sig + 4, cksum);
        else
                memcpy(sig + 4, cksum, 8);
        put_u32(sig + 12, c->seq_out);
        c->seq_out++;
}

static int check_sig(struct ntlm_ctx *c, const uint8_t *msg, size_t len, const uint8_t sig[16]) {
        uint8_t want[8], got[8];

        mac(&c->mac_in, c->seq_in, msg, len, want);
        if (c->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
                arcfour_crypt(&c->seal_in, 8, got, sig + 4);
        else
                memcpy(got, sig + 4, 8);
        /* version 1 and the expected sequence number: a replayed, reordered or dropped
           message fails here as surely as a forged one */
        if (get_u32(sig) != 1 || get_u32(sig + 12) != c->seq_in || !memeql_sec(want, got, 8))
                return -EACCES;
        c->seq_in++;
        return 0;
}

int ntlm_sign(struct ntlm_ctx *c, const uint8_t *msg, size_t len, uint8_t sig[16]) {
        uint8_t cksum[8];

        if (!c->established)
                return -ENOTCONN;
        mac(&c->mac_out, c->seq_out, msg, len, cksum);
        put_sig(c, cksum, sig);
        return 0;
}

int ntlm_verify(struct ntlm_ctx *c, const uint8_t *msg, size_t len, const uint8_t sig[16]) {
        if (!c->established)
                return -ENOTCONN;
        return check_sig(c, msg, len, sig);
}

int ntlm_seal(struct ntlm_ctx *c, uint8_t *data, size_t data_len, const uint8_t *msg,
              size_t len, uint8_t sig[16]) {
        uint8_t cksum[8];

        if (!c->established)
                return -ENOTCONN;
        /* 3.4.3: the checksum over the plaintext; the RC4 stream encrypts the data, then
           the checksum */
        mac(&c->mac_out, c->seq_out, msg, len, cksum);
        arcfour_crypt(&c->seal_out, data_len, data, data);
        put_sig(c, cksum, sig);
        return 0;
}

int ntlm_unseal(struct ntlm_ctx *c, uint8_t *data, size_t data_len, const uint8_t *msg,
                size_t len, const uint8_t sig[16]) {
        if (!c->established)
                return -ENOTCONN;
        arcfour_crypt(&c->seal_in, data_len, data, data);
        return check_sig(c, msg, len, sig);
}

/* --- inside SPNEGO ([MS-SPNG]) ------------------------------------------------------------ */

bool ntlm_mic_present(const struct ntlm_ctx *c) {
        return c && c->established && c->mic;
}

/* The sealing handles back to their first state: RC4 keyed afresh, sequence numbers kept. */
static void rekey(struct ntlm_ctx *c, bool out, bool in) {
        if (out)
                arcfour_set_key(&c->seal_out, 16, c->seal_key_out);
        if (in)
                arcfour_set_key(&c->seal_in, 16, c->seal_key_in);
}

void ntlm_reset_crypto(struct ntlm_ctx *c) {
        if (c && c->established)
                rekey(c, true, true);
}

int ntlm_spnego_mic_sign(struct ntlm_ctx *c, const uint8_t *mech_types, size_t len,
                         uint8_t sig[NTLM_SIGNATURE_SIZE]) {
        int r = ntlm_sign(c, mech_types, len, sig);

        /* [MS-SPNG] 3.3.5.1: the first message signed afterwards sees the handle the MIC
           saw; the sequence number goes on (as Samba: only a context that checked no MIC
           resets its sequence numbers, and it has used none) */
        if (r >= 0)
                rekey(c, true, false);
        return r;
}

int ntlm_spnego_mic_verify(struct ntlm_ctx *c, const uint8_t *mech_types, size_t len,
                           const uint8_t *sig, size_t sig_len) {
        int r;

        if (!c->established)
                return -ENOTCONN;
        if (sig_len != NTLM_SIGNATURE_SIZE)
                return -EACCES;
        r = check_sig(c, mech_types, len, sig);
        /* whether it verified or not: a failed check ends the context anyway */
        rekey(c, false, true);
        return r;
}
