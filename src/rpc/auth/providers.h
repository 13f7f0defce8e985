/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The built-in security providers (src/rpc/auth), registered with the runtime's table
 * by rpc_auth_register_defaults() (rpc-internal.h): each provider file exports its ops
 * and providers.c registers them.
 */
#ifndef DCOM_RPC_AUTH_PROVIDERS_H
#define DCOM_RPC_AUTH_PROVIDERS_H

#include "rpc/rpc-internal.h"

/* NTLM, auth_type 10 (ntlm-rpc.c) */
extern const struct rpc_auth_ops rpc_ntlm_ops;
void rpc_ntlm_use_account_store(void);

#endif /* DCOM_RPC_AUTH_PROVIDERS_H */
