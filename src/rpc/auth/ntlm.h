/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM ([MS-NLMP]): the three messages for both sides, NTLMv2 with extended session
 * security, key exchange and 128/56/40-bit keys, anonymous, and the connection-oriented
 * message integrity and confidentiality of 3.4 (RC4 state carried from message to
 * message, one sequence number per direction).  NTLMv1 -- including the "NTLM2 session
 * response" j-Interop-lineage clients send -- is refused unless enabled
 * (ntlm_settings.allow_v1, Windows' LmCompatibilityLevel <= 4 in spirit).
 *
 * Cryptography is nettle's (MD4, MD5, HMAC-MD5, ARCFOUR, DES): no cipher of our own.
 *
 * The server looks accounts up through ntlm_settings.lookup (the local account store,
 * src/rpc/auth/accounts.c, by default); it never sees a password, only the NT hash.
 * Every message parser is bounds-checked: a field's offset and length must lie inside
 * the message, strings are UTF-16LE of even length, AV pairs must end with MsvAvEOL.
 */
#ifndef DCOM_RPC_AUTH_NTLM_H
#define DCOM_RPC_AUTH_NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"

/* NegotiateFlags ([MS-NLMP] 2.2.2.5) */
#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLMSSP_NEGOTIATE_OEM 0x00000002u
#define NTLMSSP_REQUEST_TARGET 0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN 0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL 0x00000020u
#define NTLMSSP_NEGOTIATE_DATAGRAM 0x00000040u
#define NTLMSSP_NEGOTIATE_LM_KEY 0x00000080u
#define NTLMSSP_NEGOTIATE_NTLM 0x00000200u
#define NTLMSSP_NEGOTIATE_ANONYMOUS 0x00000800u
#define NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED 0x00001000u
#define NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define NTLMSSP_TARGET_TYPE_DOMAIN 0x00010000u
#define NTLMSSP_TARGET_TYPE_SERVER 0x00020000u
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLMSSP_NEGOTIATE_IDENTIFY 0x00100000u
#define NTLMSSP_REQUEST_NON_NT_SESSION_KEY 0x00400000u
#define NTLMSSP_NEGOTIATE_TARGET_INFO 0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u
#define NTLMSSP_NEGOTIATE_128 0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH 0x40000000u
#define NTLMSSP_NEGOTIATE_56 0x80000000u

#define NTLM_SIGNATURE_SIZE 16
#define NTLM_MAX_MESSAGE 4096           /* larger tokens are refused before parsing */
#define NTLM_NAME_MAX 256               /* user, domain, workstation: UTF-8 bytes */

/* An account as the server's lookup gives it. */
struct ntlm_account_info {
        uint8_t nt_hash[16];
        uint32_t rid;                   /* local account: machine SID + rid */
        bool disabled;
        char name[NTLM_NAME_MAX + 1];   /* the account's own spelling */
};

struct ntlm_settings {
        char computer[16];              /* NetBIOS computer name, upper case */
        char domain[16];                /* NetBIOS domain; local accounts: the computer's */
        char dns_computer[256];
        char dns_domain[256];
        bool allow_v1;                  /* accept NTLMv1 / NTLM2 session responses */
        /* the account of a user name (UTF-8); 0, -ENOENT, or another negative errno */
        int (*lookup)(const char *user, struct ntlm_account_info *ret);
};

/* The process's settings: defaults from the host name and the local account store. */
void ntlm_get_settings(struct ntlm_settings *ret);
void ntlm_set_settings(const struct ntlm_settings *s);

/* Who authenticated (the server's view), valid once established. */
struct ntlm_identity {
        char user[NTLM_NAME_MAX + 1];   /* the account's spelling; "" anonymous */
        char domain[NTLM_NAME_MAX + 1]; /* the authority: our NetBIOS domain, or "NT AUTHORITY" */
        char client_domain[NTLM_NAME_MAX + 1];  /* what the client said */
        char workstation[NTLM_NAME_MAX + 1];
        bool anonymous;
        bool v1;                        /* an NTLMv1 response was accepted */
        uint32_t rid;
        bool identify;                  /* the client asked NEGOTIATE_IDENTIFY */
        char sid[80];                   /* the account's SID when dcomlsa verified the logon */
};

struct ntlm_ctx;

/*
 * Server: a NEGOTIATE_MESSAGE in, the CHALLENGE_MESSAGE out.  -EBADMSG for a malformed
 * message, -EACCES for one we refuse (no Unicode, no extended session security),
 * -ENOMEM.
 */
int ntlm_server_start(const uint8_t *negotiate, size_t len, struct buf *challenge,
                      struct ntlm_ctx **ret);
/*
 * Server: the AUTHENTICATE_MESSAGE.  0: established; -EACCES wrong password, unknown or
 * disabled user, NTLMv1 refused, bad MIC (*ret_reason says which, for the log line);
 * -EBADMSG malformed; -EALREADY a second AUTHENTICATE identical to the first (reuse).
 */
int ntlm_server_finish(struct ntlm_ctx *c, const uint8_t *auth, size_t len,
                       const char **ret_reason);

/*
 * Client: user and domain (UTF-8) with a password (UTF-8) or an NT hash; user "" (and
 * no password) is anonymous.  The NEGOTIATE_MESSAGE goes to out.
 */
int ntlm_client_start(const char *user, const char *domain, const char *password,
                      const uint8_t *nt_hash, struct buf *out, struct ntlm_ctx **ret);
/* The same with NTLMSSP_NEGOTIATE_IDENTIFY in extra_flags for an identify-level client. */
int ntlm_client_start_ex(const char *user, const char *domain, const char *password,
                         const uint8_t *nt_hash, uint32_t extra_flags, struct buf *out,
                         struct ntlm_ctx **ret);
/* Client: the CHALLENGE_MESSAGE in, the AUTHENTICATE_MESSAGE (with a MIC) out. */
int ntlm_client_finish(struct ntlm_ctx *c, const uint8_t *challenge, size_t len, struct buf *out);

/*
 * Server: an established context from a logon dcomlsa verified (lsa-client.c): 0,
 * -EINVAL (no 128-bit keys with signing, no AUTHENTICATE bytes), -ENOMEM.
 */
int ntlm_server_import(uint32_t flags, const uint8_t session_key[16], bool mic,
                       const struct ntlm_identity *id, const uint8_t *auth, size_t auth_len,
                       struct ntlm_ctx **ret);

void ntlm_free(struct ntlm_ctx *c);

bool ntlm_established(const struct ntlm_ctx *c);
uint32_t ntlm_flags(const struct ntlm_ctx *c);
const struct ntlm_identity *ntlm_identity(const struct ntlm_ctx *c);
/* The exported session key ([MS-NLMP] 3.1.5.1), 16 bytes; -ENOTCONN before the end. */
int ntlm_session_key(const struct ntlm_ctx *c, uint8_t ret[16]);

/*
 * Message integrity ([MS-NLMP] 3.4.4.2, with extended session security): the signature
 * of msg in sig, the sequence number advanced.  ntlm_verify checks one made by the
 * peer: -EACCES for a bad checksum or an unexpected sequence number.
 */
int ntlm_sign(struct ntlm_ctx *c, const uint8_t *msg, size_t len, uint8_t sig[NTLM_SIGNATURE_SIZE]);
int ntlm_verify(struct ntlm_ctx *c, const uint8_t *msg, size_t len,
                const uint8_t sig[NTLM_SIGNATURE_SIZE]);

/*
 * Confidentiality ([MS-NLMP] 3.4.3) as DCE/RPC uses it: data (inside msg, or anywhere)
 * is encrypted in place and the signature computed over msg with data in plaintext;
 * ntlm_unseal decrypts data in place and then checks the signature over msg.
 */
int ntlm_seal(struct ntlm_ctx *c, uint8_t *data, size_t data_len, const uint8_t *msg,
              size_t len, uint8_t sig[NTLM_SIGNATURE_SIZE]);
int ntlm_unseal(struct ntlm_ctx *c, uint8_t *data, size_t data_len, const uint8_t *msg,
                size_t len, const uint8_t sig[NTLM_SIGNATURE_SIZE]);

/*
 * NTLM inside SPNEGO ([MS-SPNG] 3.1.5.1, 3.2.5.1, 3.3.5.1; src/rpc/auth/negotiate.c).
 *
 * ntlm_mic_present: the AUTHENTICATE carried a MIC (the server's view: its MsvAvFlags
 * said so; the client's: it sent one) -- and then a mechListMIC is mandatory.
 *
 * The mechListMIC is NTLM's signature (ntlm_sign) of the DER MechTypeList, with the
 * context's own keys and sequence numbers.  [MS-SPNG] 3.3.5.1 ("NTLM RC4 Key State for
 * MechListMIC and First Signed Message"): the first message signed or sealed afterwards
 * uses the RC4 handle as it was before the mechListMIC, so each direction's handle is
 * keyed afresh once its mechListMIC is made or checked; the sequence numbers go on
 * (the first PDU after the exchange carries 1), as Windows and Samba do.
 * ntlm_spnego_mic_verify: 0, -EACCES (a bad signature, a wrong size or sequence).
 * ntlm_reset_crypto: both handles keyed afresh, sequence numbers kept.
 */
bool ntlm_mic_present(const struct ntlm_ctx *c);
int ntlm_spnego_mic_sign(struct ntlm_ctx *c, const uint8_t *mech_types, size_t len,
                         uint8_t sig[NTLM_SIGNATURE_SIZE]);
int ntlm_spnego_mic_verify(struct ntlm_ctx *c, const uint8_t *mech_types, size_t len,
                           const uint8_t *sig, size_t sig_len);
void ntlm_reset_crypto(struct ntlm_ctx *c);

/* Tests: the server's challenge replaced by a known one (the spec's vectors). */
void ntlm_test_set_challenge(struct ntlm_ctx *c, const uint8_t challenge[8]);

/* NTOWFv1: MD4 of the UTF-16LE password.  0 or -EINVAL (not UTF-8), -ENOMEM. */
int ntlm_nt_hash(const char *password, uint8_t ret[16]);

#endif /* DCOM_RPC_AUTH_NTLM_H */
