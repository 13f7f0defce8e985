/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kerberos (auth_type 16) and Negotiate (auth_type 9, SPNEGO) through MIT Kerberos'
 * GSSAPI (gss-rpc.c); built only when the build finds krb5-gssapi (DCOM_HAVE_GSSAPI).
 */
#ifndef DCOM_RPC_AUTH_GSS_RPC_H
#define DCOM_RPC_AUTH_GSS_RPC_H

#include "rpc/rpc-internal.h"

extern const struct rpc_auth_ops rpc_krb5_ops;          /* RPC_AUTHN_GSS_KERBEROS */
extern const struct rpc_auth_ops rpc_negotiate_ops;     /* RPC_AUTHN_GSS_NEGOTIATE */

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
 * client context refuses to start.  0 or -ENOMEM.
 */
int rpc_gss_set_target(const char *target);

#endif /* DCOM_RPC_AUTH_GSS_RPC_H */
