/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <rpcndr.h>: the NDR types MIDL-generated code and Windows RPC programs use (hyper,
 * boolean, byte, small, MIDL_uhyper, error_status_t) and midl_user_allocate /
 * midl_user_free, which -- as on Windows -- the program defines: client stubs give it
 * [out] data allocated with midl_user_allocate (the program frees it with midl_user_free),
 * and a server's manager routines return [out] data allocated with it, which the server
 * stub frees with midl_user_free once the response is marshaled.  The runtime itself
 * allocates client [out] data with malloc(): the program's pair must be malloc-compatible
 * (malloc/free, or wrappers around them).
 */
#ifndef DCOM_WIN_RPCNDR_H
#define DCOM_WIN_RPCNDR_H

#include <stddef.h>
#include <stdint.h>

#include <rpc.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef DCOM_RPCNDR_TYPES_DEFINED
#define DCOM_RPCNDR_TYPES_DEFINED
typedef unsigned char boolean;
typedef unsigned char byte;
typedef signed char small;
typedef int64_t hyper;
typedef uint64_t MIDL_uhyper;
typedef unsigned char cs_byte;
#endif

#define __RPCNDR_H_VERSION__ 500
#define TARGET_IS_NT50_OR_LATER 1

/* What MIDL-generated prototypes of [call_as] stubs name (Windows' <rpcndr.h> and
   <rpcdcep.h> declare them; the message itself is opaque here). */
#ifndef __IRpcStubBuffer_FWD_DEFINED__
#define __IRpcStubBuffer_FWD_DEFINED__
typedef struct IRpcStubBuffer IRpcStubBuffer;
#endif
#ifndef __IRpcChannelBuffer_FWD_DEFINED__
#define __IRpcChannelBuffer_FWD_DEFINED__
typedef struct IRpcChannelBuffer IRpcChannelBuffer;
#endif
typedef struct _RPC_MESSAGE RPC_MESSAGE, *PRPC_MESSAGE;

/* Defined by the program (Windows' contract). */
void *__RPC_USER midl_user_allocate(size_t size);
void __RPC_USER midl_user_free(void *p);

/*
 * For generated MIDL-shaped client stubs: the RPC_STATUS a call that failed with err (a
 * negative errno of the runtime's) has on binding h -- the server's fault, or what the
 * transport met; the stub raises it.
 */
DCOM_EXPORT RPC_STATUS dcom_rpc_call_status(handle_t h, int err);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_WIN_RPCNDR_H */
