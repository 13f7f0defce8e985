/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The built-in security providers (src/rpc/auth), registered with the runtime's table
 * by rpc_auth_register_defaults() (rpc-internal.h): each provider file exports its ops
 * and providers.c registers them.
 */
#ifndef DCOM_RPC_AUTH_PROVIDERS_H
#define DCOM_RPC_AUTH_PROVIDERS_H

#include "rpc/rpc-internal.h"

struct ntlm_ctx;

/* NTLM, auth_type 10 (ntlm-rpc.c) */
extern const struct rpc_auth_ops rpc_ntlm_ops;
void rpc_ntlm_use_account_store(void);
/* The NTLM context inside a context of rpc_ntlm_ops (Negotiate signs its mechListMIC
   with it), or NULL. */
struct ntlm_ctx *rpc_ntlm_context(void *ctx);

/* Negotiate, auth_type 9 (negotiate.c): SPNEGO with Kerberos (MIT's, gss-rpc.c) when a
   ticket can be had, NTLM (ours) otherwise -- registered with or without GSSAPI. */
extern const struct rpc_auth_ops rpc_negotiate_ops;

#endif /* DCOM_RPC_AUTH_PROVIDERS_H */
