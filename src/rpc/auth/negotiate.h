/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Negotiate (auth_type 9, RPC_C_AUTHN_GSS_NEGOTIATE: SPNEGO, [RFC 4178], [MS-SPNG]) for
 * both sides: Kerberos when a ticket can be had, NTLM otherwise (negotiate.c; the ops
 * are rpc_negotiate_ops, providers.h).  Kerberos goes to MIT's SPNEGO as it comes
 * (gss-rpc.c); NTLM inside SPNEGO is ours (ntlm.c), since MIT's SPNEGO cannot use it.
 *
 * The server decides in one place, negotiate_choose(), from the NegTokenInit's mechTypes
 * read with our DER reader: Kerberos when the client prefers it (listed first) and the
 * keytab holds keys; otherwise NTLM when the client offers NTLMSSP -- with its optimistic
 * token when NTLM is its first choice, else a NegTokenResp request-mic asking for a
 * NEGOTIATE (the mechListMIC then mandatory, RFC 4178 5); otherwise MIT, to refuse with
 * its reason.  A raw NTLMSSP NEGOTIATE under auth_type 9 (no SPNEGO) is plain NTLM, as
 * Windows' and Samba's Negotiate take it.
 *
 * The client tries Kerberos first (MIT's SPNEGO, as before); when no Kerberos can be had
 * (no server principal named, no realm or KDC, no tickets, a server or user the KDC does
 * not know) and it has a user name and a password, it offers NTLMSSP alone.  A refusal
 * by the KDC (a wrong password, an expired account) is not an absence and ends there.
 *
 * NTLM inside SPNEGO, on the wire:
 *   bind            NegTokenInit { mechTypes, mechToken NEGOTIATE }
 *   bind_ack        NegTokenResp { accept-incomplete, supportedMech NTLMSSP, CHALLENGE }
 *   alter_context   NegTokenResp { AUTHENTICATE, mechListMIC }
 *   alter_ctx_resp  NegTokenResp { accept-completed, mechListMIC }
 * The mechListMICs are NTLM signatures of the DER mechTypes ([MS-SPNG] 3.1.5.1), sent
 * whenever the AUTHENTICATE carried a MIC or the server asked; each direction's RC4
 * handle is then keyed afresh ([MS-SPNG] 3.3.5.1), sequence numbers going on.  The
 * caller is NTLM's (the account, machine-SID-RID).
 */
#ifndef DCOM_RPC_AUTH_NEGOTIATE_H
#define DCOM_RPC_AUTH_NEGOTIATE_H

#include <stdbool.h>

#include "rpc/auth/spnego.h"
#include "rpc/rpc-internal.h"

enum negotiate_mech {
        NEGOTIATE_NONE = 0, /* nothing we can use: refused */
        NEGOTIATE_KERBEROS, /* MIT's SPNEGO */
        NEGOTIATE_NTLM,     /* ours, inside SPNEGO */
};

/*
 * The server's choice for a NegTokenInit: have_keys -- the keytab holds keys -- and
 * kerberos -- built with GSSAPI.  *ret_ntlm_index: NTLMSSP's place in the list (0: the
 * client's first choice, its mechToken usable), with NEGOTIATE_NTLM.
 */
enum negotiate_mech negotiate_choose(const struct spnego_init *init, bool have_keys, bool kerberos,
                                     int *ret_ntlm_index);

/*
 * rpc_negotiate_ops' accept and init with Kerberos allowed or not (not: NTLM alone, as a
 * build without GSSAPI has it -- for tests and the fuzzer, which keep MIT out).
 */
int negotiate_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done,
                     bool kerberos);
int negotiate_init(void **ret, const struct rpc_auth_identity *id, struct buf *out, bool *done,
                   bool kerberos);
/* The mechanism a context of rpc_negotiate_ops uses (NEGOTIATE_NONE: none yet). */
enum negotiate_mech negotiate_mech_of(void *ctx);

#endif /* DCOM_RPC_AUTH_NEGOTIATE_H */
