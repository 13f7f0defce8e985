/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <rpc.h>: what a Windows RPC program includes -- the DCE/RPC API (<rpcdce.h>), the status
 * codes (<dcom/winerror.h>: RPC_S_*, EPT_S_*, RPC_X_*) and the exception macros that
 * MIDL-shaped client stubs raise through.
 *
 * RpcTryExcept / RpcExcept(filter) / RpcEndExcept are portable C here, not structured
 * exception handling: setjmp at RpcTryExcept, longjmp from RpcRaiseException (a generated
 * client stub whose call failed raises the call's RPC_STATUS; a manager routine may raise
 * one, which the server sends back as the call's fault).  What that means for a program:
 *   - a local variable changed inside the try block and read in RpcExcept or after it
 *     must be volatile (C11 7.13.2.1: otherwise its value there is indeterminate);
 *   - leave a try block only by reaching RpcExcept: return, goto, break or longjmp out of
 *     it leaves its frame on this thread's stack of handlers (the next raise would land
 *     in a function that has returned).  Return from inside RpcExcept's block instead;
 *   - the filter runs after the stack has unwound to the try block (SEH runs it first),
 *     so it sees RpcExceptionCode() but no deeper frame; EXCEPTION_CONTINUE_SEARCH (0)
 *     passes the exception on to the enclosing block, anything else handles it
 *     (EXCEPTION_CONTINUE_EXECUTION cannot resume a longjmp: it counts as handled);
 *   - only RpcRaiseException raises: a crash (SIGSEGV) is not an RPC exception;
 *   - an exception no block handles ends the process (abort), as an unhandled one does
 *     on Windows, after one line on standard error naming the status;
 *   - blocks nest up to 64 deep per thread (RpcTryExcept and RpcTryFinally together).
 * RpcTryFinally / RpcFinally / RpcEndFinally: the finally block runs when the try block
 * ends, normally or by an exception, which then goes on to the enclosing handler once
 * the finally block has run; RpcAbnormalTermination() (only inside RpcFinally's block)
 * tells which.  The same rules hold: volatile locals, leave the try block only by its
 * end.
 */
#ifndef DCOM_WIN_RPC_H
#define DCOM_WIN_RPC_H

#include <setjmp.h>

#include <dcom/types.h>
#include <dcom/winerror.h>
#include <rpcdce.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __RPC_FAR
#define __RPC_FAR
#endif

/* RPC_CALL_ATTRIBUTES_V2's ProtocolSequence (here rather than in <rpcdce.h>, which COM
   code gets through <objbase.h>, so that these names stay out of its way) */
#define RPC_PROTSEQ_TCP 0x1
#define RPC_PROTSEQ_NMP 0x2
#define RPC_PROTSEQ_LRPC 0x3
#define RPC_PROTSEQ_HTTP 0x4

#ifndef EXCEPTION_EXECUTE_HANDLER
#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)
#endif

/* Raises status to the innermost RpcTryExcept block of this thread. */
DCOM_EXPORT __attribute__((noreturn)) void RPC_ENTRY RpcRaiseException(RPC_STATUS exception);

/* The machinery behind the macros: a per-thread stack of jump buffers. */
DCOM_EXPORT jmp_buf *dcom_rpc_try_enter(void);
DCOM_EXPORT void dcom_rpc_try_leave(void);
DCOM_EXPORT RPC_STATUS dcom_rpc_exception_code(void);
DCOM_EXPORT int dcom_rpc_exception_filter(int filter);

#define RpcTryExcept                                            \
        {                                                       \
                if (setjmp(*dcom_rpc_try_enter()) == 0) {
#define RpcExcept(expr)                                         \
                        dcom_rpc_try_leave();                   \
                } else if (dcom_rpc_exception_filter(expr)) {
#define RpcEndExcept                                            \
                }                                               \
        }
#define RpcExceptionCode() dcom_rpc_exception_code()

#define RpcTryFinally                                           \
        {                                                       \
                volatile int dcom_rpc_abnormal_ = 0;            \
                volatile RPC_STATUS dcom_rpc_code_ = 0;         \
                if (setjmp(*dcom_rpc_try_enter()) == 0) {
#define RpcFinally                                              \
                        dcom_rpc_try_leave();                   \
                } else {                                        \
                        dcom_rpc_abnormal_ = 1;                 \
                        dcom_rpc_code_ = dcom_rpc_exception_code(); \
                }                                               \
                {
#define RpcEndFinally                                           \
                }                                               \
                if (dcom_rpc_abnormal_)                         \
                        RpcRaiseException(dcom_rpc_code_);      \
        }
#define RpcAbnormalTermination() (dcom_rpc_abnormal_)

#ifdef __cplusplus
}
#endif

#endif /* DCOM_WIN_RPC_H */
