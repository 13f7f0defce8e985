/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM layer's part of generated object-interface code: the installed
 * <dcom/orpc-stub.h>, and what only the library's channel calls.
 */
#ifndef DCOM_COM_ORPC_STUB_INTERNAL_H
#define DCOM_COM_ORPC_STUB_INTERNAL_H

#include "dcom/orpc-stub.h"
#include "ndr/ndr-stub.h"

/*
 * The channel's word on a call that failed with a fault (-EREMOTEIO): its status, for
 * this thread's next com_stub_hresult() -- an HRESULT the server faulted with
 * (RPC_E_DISCONNECTED) comes back as it is, an nca_s_ code as its RPC_STATUS.
 */
void com_set_call_fault(uint32_t status);
/* That status, left for com_stub_hresult(). */
uint32_t com_call_fault_peek(void);

/*
 * [MS-DCOM] 1.3.5: the causality ID of the incoming call this thread runs, false when it
 * runs none -- the COM library's (security.c sets it at the process's first incoming
 * call); NULL before that, and in a program that links generated code without the
 * library: every call then gets a new one.
 */
extern bool (*com_orpc_causality_hook)(GUID *ret);
/* The thread's logical thread ID (the running call's causality ID, else the thread's
   own), and the thread's own set by the application (IComThreadingInfo). */
HRESULT com_logical_thread_id(GUID *ret);
void com_set_logical_thread_id(const GUID *id);
/* The causality ID of a request's stub (its ORPCTHIS, in the peer's byte order). */
bool com_orpc_cid_of(const uint8_t *stub, size_t len, bool big_endian, GUID *cid);

#endif /* DCOM_COM_ORPC_STUB_INTERNAL_H */
