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

#endif /* DCOM_COM_ORPC_STUB_INTERNAL_H */
