/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SPNEGO's two tokens ([RFC 4178] 4.2, [MS-SPNG] 2.2) and the GSS framing of a Kerberos
 * AP-REQ ([RFC 1964] 1.1, [RFC 2743] 3.1) -- just enough DER to read and rewrite what
 * DCE/RPC clients send, not a general ASN.1 codec.  MIT's SPNEGO mechanism negotiates
 * Kerberos itself (gss-rpc.c); this is for what it cannot take as it comes (impacket's
 * GSS-framed AP-REQ in a DCE-style context), for choosing between Kerberos and NTLM, and
 * for NTLM inside SPNEGO, which is ours (negotiate.c).
 *
 * Parsing is bounds-checked DER: definite lengths only (at most 4 length bytes, the
 * shortest form not required), every element inside its parent, the fields of a
 * sequence in tag order, nothing after the token.  Parsed fields point into the input.
 */
#ifndef DCOM_RPC_AUTH_SPNEGO_H
#define DCOM_RPC_AUTH_SPNEGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define SPNEGO_MAX_MECHS 16

/* Object identifiers' contents (no tag, no length). */
extern const uint8_t spnego_oid_spnego[6];      /* 1.3.6.1.5.5.2 */
extern const uint8_t spnego_oid_krb5[9];        /* 1.2.840.113554.1.2.2 */
extern const uint8_t spnego_oid_ms_krb5[9];     /* 1.2.840.48018.1.2.2 (Windows' mistake) */
extern const uint8_t spnego_oid_ntlm[10];       /* 1.3.6.1.4.1.311.2.2.10 */

struct spnego_bytes {
        const uint8_t *p;               /* NULL: absent */
        size_t len;
};

/* NegTokenInit inside the InitialContextToken (0x60, the SPNEGO OID, [0]). */
struct spnego_init {
        struct spnego_bytes mech_types; /* the whole MechTypeList (30 ...): what a
                                           mechListMIC signs */
        struct spnego_bytes mechs[SPNEGO_MAX_MECHS];    /* each OID's contents */
        unsigned n_mechs;
        struct spnego_bytes req_flags;  /* [1]'s contents (a BIT STRING), kept as is */
        struct spnego_bytes mech_token; /* [2] OCTET STRING's contents */
        struct spnego_bytes mech_list_mic;      /* [3] OCTET STRING's contents */
};

enum {
        SPNEGO_ACCEPT_COMPLETED = 0,
        SPNEGO_ACCEPT_INCOMPLETE = 1,
        SPNEGO_REJECT = 2,
        SPNEGO_REQUEST_MIC = 3,
        SPNEGO_NO_STATE = -1,
};

/* NegTokenResp ([1]). */
struct spnego_resp {
        int neg_state;                  /* SPNEGO_NO_STATE when absent */
        struct spnego_bytes supported_mech;     /* the OID's contents */
        struct spnego_bytes response_token;
        struct spnego_bytes mech_list_mic;
};

/* 0, or -EBADMSG for anything but one well-formed token filling len. */
int spnego_parse_init(const uint8_t *p, size_t len, struct spnego_init *ret);
int spnego_parse_resp(const uint8_t *p, size_t len, struct spnego_resp *ret);

/* Appends the token (mech_types as given, or built from mechs when mech_types.p is
   NULL); the buffer's sticky error on failure (-ENOMEM, -E2BIG past 64 KiB). */
void spnego_write_init(struct buf *out, const struct spnego_init *v);
void spnego_write_resp(struct buf *out, const struct spnego_resp *v);

bool spnego_oid_is(const struct spnego_bytes *oid, const uint8_t *want, size_t want_len);
#define SPNEGO_OID_IS(b, o) spnego_oid_is((b), (o), sizeof(o))

/* The MechTypeList of n OIDs, a DER SEQUENCE OF OID (what a mechListMIC signs). */
void spnego_write_mech_types(struct buf *out, const struct spnego_bytes *mechs, unsigned n);
/* Where a mechanism stands in a NegTokenInit's list (0: the initiator's preferred), or -1. */
int spnego_mech_index(const struct spnego_init *v, const uint8_t *oid, size_t oid_len);
#define SPNEGO_MECH_INDEX(v, o) spnego_mech_index((v), (o), sizeof(o))

/*
 * A Kerberos AP-REQ in its GSS framing (0x60, the Kerberos OID or Microsoft's, TOK_ID
 * 01 00): the AP-REQ inside (ret points into p); -EBADMSG when p is something else (a
 * raw AP-REQ, as DCE style sends it, included).
 */
int spnego_krb5_unframe(const uint8_t *p, size_t len, struct spnego_bytes *ret);

#endif /* DCOM_RPC_AUTH_SPNEGO_H */
