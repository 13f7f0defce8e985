/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * errno (either sign) -> status, from status.c's one table: what each function gives, and
 * for which errno, is described there.  dcom_hresult_from_errno() is the public one
 * (<dcom/status.h>).  Its own header, not base-internal.h: only the places where an
 * internal error leaves for a caller or a peer include it.
 */
#ifndef DCOM_BASE_ERRNO_STATUS_H
#define DCOM_BASE_ERRNO_STATUS_H

#include <stdint.h>

#include <dcom/status.h>

/* a client call's or binding operation's RPC_STATUS */
RPC_STATUS dcom_rpc_status_from_errno(int err);
/* the string-binding functions' (RpcStringBindingParse, RpcBindingFromStringBinding...) */
RPC_STATUS dcom_string_binding_status_from_errno(int err);
/* creating a listener's (RpcServerUseProtseqEp...) */
RPC_STATUS dcom_endpoint_status_from_errno(int err);
/* the fault a server sends for a stub's or the dispatch's error */
uint32_t dcom_fault_from_errno(int err);
/* the endpoint mapper's error_status_t */
uint32_t dcom_ept_status_from_errno(int err);

/* The endpoint mapper's error_status_t values on the wire (DCE's, as Windows' endpoint
   mapper sends them) */
#define EPT_S_OK 0x00000000u
#define EPT_S_ACCESS_DENIED 0x00000005u                 /* ERROR_ACCESS_DENIED */
#define EPT_S_CANT_PERFORM_OP_DCE 0x16c9a0cdu
#define EPT_S_NO_MEMORY_DCE 0x16c9a0ceu
#define EPT_S_INVALID_ENTRY_DCE 0x16c9a0d3u
#define EPT_S_NOT_REGISTERED_DCE 0x16c9a0d6u

#endif /* DCOM_BASE_ERRNO_STATUS_H */
