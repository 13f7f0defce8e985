/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the public RPC API's two halves share: api.c (clients, bindings, exceptions, UUIDs)
 * and api-server.c (the process's server, manager routines' calls).
 */
#ifndef DCOM_RPC_API_H
#define DCOM_RPC_API_H

#include <rpc.h>

/* Windows' RPC_PROTSEQ_* (call attributes) under other names: the runtime's enum
   rpc_protseq has the same ones. */
#define WIN_RPC_PROTSEQ_TCP 0x1
#define WIN_RPC_PROTSEQ_LRPC 0x3
#undef RPC_PROTSEQ_TCP
#undef RPC_PROTSEQ_NMP
#undef RPC_PROTSEQ_LRPC
#undef RPC_PROTSEQ_HTTP

#include "rpc/rpc-internal.h"

/* errno -> RPC_STATUS for binding strings and handles (RPC_S_INVALID_STRING_BINDING...). */
RPC_STATUS rpc_api_status(int err);
/* UTF-16 <-> UTF-8 copies (malloc; NULL stays NULL); *st says why one failed. */
char *rpc_api_from_w(const WCHAR *s, RPC_STATUS *st);
WCHAR *rpc_api_to_w(const char *s, RPC_STATUS *st);
/* The exception stack's depth, and cutting it back (a manager routine that raised). */
unsigned rpc_api_try_depth(void);
void rpc_api_try_unwind(unsigned depth);
/* Server-side binding handles (a call's, or RpcServerInqBindings'): api-server.c. */
RPC_STATUS rpc_api_server_binding_string(RPC_BINDING_HANDLE h, RPC_CSTR *ret);
RPC_STATUS rpc_api_server_object(RPC_BINDING_HANDLE h, UUID *ret);

#endif /* DCOM_RPC_API_H */
