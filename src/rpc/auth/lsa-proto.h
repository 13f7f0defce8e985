/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire between a server process and dcomlsa, the local security authority that
 * verifies NTLM logons for processes that may not read the account store (every one but
 * root's).  It plays the part of Windows' LSASS for AcceptSecurityContext: the whole
 * server side of the NTLM exchange runs inside dcomlsa -- it makes the challenge, keeps
 * it, checks the response against the NT hash -- and hands back only what the process
 * needs to carry on: the negotiated flags, the exported session key and who logged on.
 * The hash never leaves dcomlsa; since the challenge is dcomlsa's own and used once, a
 * response captured on the network cannot be replayed through it for a session key.
 *
 * A Unix SOCK_SEQPACKET socket "dcomlsa" in the machine's runtime directory, one logon
 * per connection (the connection is the context), each message one packet of at most
 * LSA_MAX_PACKET bytes, integers little-endian:
 *
 *   process -> dcomlsa   { u32 version = 1; u32 kind = NEGOTIATE; NEGOTIATE_MESSAGE }
 *   dcomlsa -> process   { u32 kind = NEGOTIATE; i32 status; CHALLENGE_MESSAGE if 0 }
 *   process -> dcomlsa   { u32 version = 1; u32 kind = AUTHENTICATE; AUTHENTICATE_MESSAGE }
 *   dcomlsa -> process   { u32 kind = AUTHENTICATE; i32 status; then
 *                            status 0:  u32 flags; u8 session_key[16]; u8 bits
 *                                       (LSA_BIT_*); u32 rid; and five strings, each
 *                                       u16 length + UTF-8 bytes: user, domain,
 *                                       client_domain, workstation, sid
 *                            otherwise: one string, the reason (for the log line) }
 *   and dcomlsa closes the connection.
 *
 * status is 0 or a negative errno: -EACCES refused (wrong password, unknown or disabled
 * account, NTLMv1 refused, bad MIC), -EBADMSG a malformed NTLM message, -EAGAIN the
 * account is locked after repeated failures or dcomlsa is at its limits.
 *
 * The codecs are inline so that the service, the client (lsa-client.c) and the fuzz
 * target share one definition.
 */
#ifndef DCOM_RPC_AUTH_LSA_PROTO_H
#define DCOM_RPC_AUTH_LSA_PROTO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rpc/auth/ntlm.h"

#define LSA_SOCKET_NAME "dcomlsa"
#define LSA_PROTO_VERSION 1u
#define LSA_KIND_NEGOTIATE 1u
#define LSA_KIND_AUTHENTICATE 2u
#define LSA_REQUEST_HEADER 8
#define LSA_REPLY_HEADER 8
/* an NTLM message (NTLM_MAX_MESSAGE) or a result, with its header */
#define LSA_MAX_PACKET (NTLM_MAX_MESSAGE + 64)
#define LSA_MAX_STRING 256

#define LSA_BIT_MIC 0x1u
#define LSA_BIT_ANONYMOUS 0x2u
#define LSA_BIT_V1 0x4u
#define LSA_BIT_IDENTIFY 0x8u

/* What a logon gives the process: enough to sign, seal and name the caller. */
struct lsa_result {
        uint32_t flags;                 /* the negotiated NTLMSSP_* flags */
        uint8_t session_key[16];        /* ExportedSessionKey ([MS-NLMP] 3.1.5.1) */
        bool mic;
        struct ntlm_identity id;        /* id.sid: S-1-5-21-...-RID; "" anonymous */
};

static inline void lsa_put_u32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t lsa_get_u32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A request's header: 0 and the NTLM message, or -EBADMSG / -EPROTONOSUPPORT. */
static inline int lsa_request_decode(const uint8_t *p, size_t len, uint32_t *ret_kind,
                                     const uint8_t **ret_msg, size_t *ret_msg_len) {
        if (len < LSA_REQUEST_HEADER || len > LSA_MAX_PACKET)
                return -EBADMSG;
        if (lsa_get_u32(p) != LSA_PROTO_VERSION)
                return -EPROTONOSUPPORT;
        uint32_t kind = lsa_get_u32(p + 4);
        if (kind != LSA_KIND_NEGOTIATE && kind != LSA_KIND_AUTHENTICATE)
                return -EBADMSG;
        if (len - LSA_REQUEST_HEADER > NTLM_MAX_MESSAGE)
                return -EBADMSG;
        *ret_kind = kind;
        *ret_msg = p + LSA_REQUEST_HEADER;
        *ret_msg_len = len - LSA_REQUEST_HEADER;
        return 0;
}

/* A string at *off: u16 length + bytes (no NUL inside, at most LSA_MAX_STRING). */
static inline size_t lsa_put_string(uint8_t *p, size_t off, size_t cap, const char *s) {
        size_t n = strnlen(s, LSA_MAX_STRING);

        if (off + 2 + n > cap)
                return 0;
        p[off] = (uint8_t)n;
        p[off + 1] = (uint8_t)(n >> 8);
        memcpy(p + off + 2, s, n);
        return off + 2 + n;
}

static inline int lsa_get_string(const uint8_t *p, size_t len, size_t *off, char *out,
                                 size_t out_size) {
        if (*off + 2 > len)
                return -EBADMSG;
        size_t n = (size_t)p[*off] | (size_t)p[*off + 1] << 8;
        if (n > LSA_MAX_STRING || n >= out_size || n > len - *off - 2 ||
            memchr(p + *off + 2, 0, n))
                return -EBADMSG;
        memcpy(out, p + *off + 2, n);
        out[n] = 0;
        *off += 2 + n;
        return 0;
}

/* The successful AUTHENTICATE reply into out (LSA_MAX_PACKET bytes); its length, 0 if
   it does not fit (it always does: five strings of LSA_MAX_STRING at most). */
static inline size_t lsa_result_encode(const struct lsa_result *r, uint8_t *out) {
        size_t off;

        lsa_put_u32(out, LSA_KIND_AUTHENTICATE);
        lsa_put_u32(out + 4, 0);
        lsa_put_u32(out + 8, r->flags);
        memcpy(out + 12, r->session_key, 16);
        out[28] = (uint8_t)((r->mic ? LSA_BIT_MIC : 0) | (r->id.anonymous ? LSA_BIT_ANONYMOUS : 0) |
                            (r->id.v1 ? LSA_BIT_V1 : 0) | (r->id.identify ? LSA_BIT_IDENTIFY : 0));
        lsa_put_u32(out + 29, r->id.rid);
        off = 33;
        off = off ? lsa_put_string(out, off, LSA_MAX_PACKET, r->id.user) : 0;
        off = off ? lsa_put_string(out, off, LSA_MAX_PACKET, r->id.domain) : 0;
        off = off ? lsa_put_string(out, off, LSA_MAX_PACKET, r->id.client_domain) : 0;
        off = off ? lsa_put_string(out, off, LSA_MAX_PACKET, r->id.workstation) : 0;
        off = off ? lsa_put_string(out, off, LSA_MAX_PACKET, r->id.sid) : 0;
        return off;
}

/*
 * A reply of the kind expected.  0: for NEGOTIATE the CHALLENGE message in
 * *ret_msg and *ret_msg_len, for AUTHENTICATE the result in *ret.  A refusal: its negative
 * errno with the reason in reason (reason_size bytes).  -EBADMSG: malformed.
 */
static inline int lsa_reply_decode(const uint8_t *p, size_t len, uint32_t kind,
                                   const uint8_t **ret_msg, size_t *ret_msg_len,
                                   struct lsa_result *ret, char *reason, size_t reason_size) {
        if (len < LSA_REPLY_HEADER || len > LSA_MAX_PACKET || lsa_get_u32(p) != kind)
                return -EBADMSG;
        int32_t status = (int32_t)lsa_get_u32(p + 4);
        size_t off = LSA_REPLY_HEADER;

        if (status > 0 || status < -4095)
                return -EBADMSG;
        if (status < 0) {
                if (reason_size)
                        reason[0] = 0;
                if (len > LSA_REPLY_HEADER && reason_size &&
                    lsa_get_string(p, len, &off, reason, reason_size) < 0)
                        return -EBADMSG;
                return status;
        }
        if (kind == LSA_KIND_NEGOTIATE) {
                if (len == LSA_REPLY_HEADER || len - LSA_REPLY_HEADER > NTLM_MAX_MESSAGE)
                        return -EBADMSG;
                *ret_msg = p + LSA_REPLY_HEADER;
                *ret_msg_len = len - LSA_REPLY_HEADER;
                return 0;
        }
        struct lsa_result r;
        memset(&r, 0, sizeof r);
        if (len < 33)
                return -EBADMSG;
        r.flags = lsa_get_u32(p + 8);
        memcpy(r.session_key, p + 12, 16);
        uint8_t bits = p[28];
        if (bits & ~(LSA_BIT_MIC | LSA_BIT_ANONYMOUS | LSA_BIT_V1 | LSA_BIT_IDENTIFY))
                return -EBADMSG;
        r.mic = bits & LSA_BIT_MIC;
        r.id.anonymous = bits & LSA_BIT_ANONYMOUS;
        r.id.v1 = bits & LSA_BIT_V1;
        r.id.identify = bits & LSA_BIT_IDENTIFY;
        r.id.rid = lsa_get_u32(p + 29);
        off = 33;
        if (lsa_get_string(p, len, &off, r.id.user, sizeof r.id.user) < 0 ||
            lsa_get_string(p, len, &off, r.id.domain, sizeof r.id.domain) < 0 ||
            lsa_get_string(p, len, &off, r.id.client_domain, sizeof r.id.client_domain) < 0 ||
            lsa_get_string(p, len, &off, r.id.workstation, sizeof r.id.workstation) < 0 ||
            lsa_get_string(p, len, &off, r.id.sid, sizeof r.id.sid) < 0 || off != len)
                return -EBADMSG;
        *ret = r;
        return 0;
}

/*
 * The user name an AUTHENTICATE_MESSAGE claims ([MS-NLMP] 2.2.1.3, UserNameFields at 36),
 * ASCII-folded (other UTF-16 units as '?'), for dcomlsa's lockout check before it verifies
 * anything; "" when the field is absent or out of bounds.
 */
static inline void lsa_claimed_user(const uint8_t *m, size_t len, char out[NTLM_NAME_MAX + 1]) {
        out[0] = 0;
        if (len < 44)
                return;
        size_t n = (size_t)m[36] | (size_t)m[37] << 8;
        size_t off = lsa_get_u32(m + 40);
        if (n == 0 || n % 2 || off > len || n > len - off)
                return;
        size_t k = 0;
        for (size_t i = 0; i + 1 < n && k < NTLM_NAME_MAX; i += 2)
                out[k++] = m[off + i + 1] == 0 && m[off + i] ? (char)m[off + i] : '?';
        out[k] = 0;
}

#endif /* DCOM_RPC_AUTH_LSA_PROTO_H */
