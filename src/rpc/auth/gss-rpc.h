/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kerberos (auth_type 16) and Kerberos inside SPNEGO (the Kerberos half of Negotiate,
 * auth_type 9) through MIT Kerberos' GSSAPI (gss-rpc.c); built only when the build finds
 * krb5-gssapi (DCOM_HAVE_GSSAPI).  Negotiate itself -- Kerberos when a ticket can be had,
 * NTLM otherwise -- is negotiate.c's rpc_negotiate_ops (providers.h).
 */
#ifndef DCOM_RPC_AUTH_GSS_RPC_H
#define DCOM_RPC_AUTH_GSS_RPC_H

#include "rpc/auth/providers.h"
#include "rpc/rpc-internal.h"

extern const struct rpc_auth_ops rpc_krb5_ops;          /* RPC_AUTHN_GSS_KERBEROS */
/* MIT's SPNEGO with Kerberos alone inside: what rpc_negotiate_ops hands a context to
   when Kerberos is chosen (not registered by itself) */
extern const struct rpc_auth_ops rpc_gss_spnego_ops;

/*
 * A client's credentials (struct rpc_auth_identity): user "" and password "" take the
 * credential cache's default principal (KRB5CCNAME, kinit); a user -- "name" with domain
 * as the realm (upper-cased), or "name@REALM" -- without a password that principal's
 * tickets from the cache collection; a user with a password new tickets from the KDC
 * (kept in memory with the context).
 *
 * The server's principal (RpcBindingSetAuthInfoEx's ServerPrincName): "host/fqdn@REALM"
 * or "RPCSS/fqdn" (a Kerberos name; no realm: the default one), "service@host"
 * (host-based), or a bare host name (host@NAME).  A binding names it in its
 * rpc_auth_identity.target; this names it for every Kerberos or Negotiate context the
 * process's clients open without one from then on; NULL forgets it.  Without either a
 * Kerberos client context refuses to start (and Negotiate uses NTLM).  0 or -ENOMEM.
 */
int rpc_gss_set_target(const char *target);
/* This thread's outgoing Kerberos contexts without credentials of their own use cred (a
   delegated credential, the rpc_auth_ops.delegated of a call's context); NULL: none. */
void rpc_gss_thread_delegate(void *cred);

/*
 * rpc_gss_spnego_ops' init, saying also, when it fails, whether that is because Kerberos
 * cannot be had here (*ret_unavailable: no server named, no realm or KDC to ask, no
 * tickets, a server or user the KDC does not know) rather than a refusal (a wrong
 * password, an expired account): Negotiate falls back to NTLM in the first case only.
 */
int rpc_gss_spnego_init(void **ret, const struct rpc_auth_identity *id, struct buf *out,
                        bool *done, bool *ret_unavailable);

/* Server: whether the keytab (KRB5_KTNAME, else the system's) holds keys to accept
   Kerberos with. */
bool rpc_gss_have_keys(void);

#endif /* DCOM_RPC_AUTH_GSS_RPC_H */
