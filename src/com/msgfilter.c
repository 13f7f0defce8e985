/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An STA's message filter (CoRegisterMessageFilter, IMessageFilter; learn.microsoft.com,
 * "IMessageFilter"): the apartment's own thread registers it, and it is asked on that
 * thread -- about each call that comes in for the apartment's objects before the call
 * runs (HandleInComingCall: run it, reject it -- RPC_E_CALL_REJECTED -- or ask the
 * caller to retry later -- RPC_E_SERVERCALL_RETRYLATER), and about each call of the
 * apartment that its callee rejected or deferred (RetryRejectedCall: give up, as
 * RPC_E_CALL_REJECTED, or try again at once or after that many milliseconds, the
 * apartment serving its own calls meanwhile).  Without a filter an incoming call runs,
 * and a rejection reaches the caller as it came.  IUnknown's calls (IRemUnknown) are
 * not filtered; MessagePending concerns window messages, which these apartments lack.
 *
 * Whether a call that comes in is nested -- part of the causality ([MS-DCOM] 1.3.5) of
 * the call the STA is waiting for -- is told by the two calls' causality IDs.
 */
#define COBJMACROS
#include <string.h>

#include "com/com-internal.h"
#include "com/orpc-stub.h"
#include "dcom/guid.h"
#include "rpc/rpc-internal.h"

HRESULT WINAPI CoRegisterMessageFilter(IMessageFilter *filter, IMessageFilter **old) {
        struct com_apartment *a = com_current_apartment();
        IMessageFilter *prev;

        if (old)
                *old = NULL;
        if (!a || a->type == APTTYPE_MTA)
                return CO_E_NOT_SUPPORTED;      /* an STA's only */
        if (filter)
                IMessageFilter_AddRef(filter);
        prev = a->filter.filter;
        a->filter.filter = filter;
        if (old)
                *old = prev;
        else if (prev)
                IMessageFilter_Release(prev);
        return S_OK;
}

void com_filter_apartment_gone(struct com_apartment *a) {
        IMessageFilter *f = a->filter.filter;

        a->filter.filter = NULL;
        if (f)
                IMessageFilter_Release(f);
}

void com_filter_wait_begin(struct com_apartment *a, const uint8_t *stub, size_t len,
                           struct com_filter_wait *w) {
        w->saved_depth = a->filter.waiting;
        w->saved_cid = a->filter.cid;
        w->saved_since = a->filter.since_ms;
        /* (our own request: little-endian) */
        if (!com_orpc_cid_of(stub, len, false, &a->filter.cid))
                memset(&a->filter.cid, 0, sizeof a->filter.cid);
        a->filter.since_ms = dcom_monotonic_ms();
        a->filter.waiting++;
}

void com_filter_wait_end(struct com_apartment *a, const struct com_filter_wait *w) {
        a->filter.waiting = w->saved_depth;
        a->filter.cid = w->saved_cid;
        a->filter.since_ms = w->saved_since;
}

uint32_t com_filter_incoming(struct com_apartment *a, IUnknown *unk, const IID *iid,
                             uint16_t opnum, const struct ndr_pull *in) {
        IMessageFilter *f = a->filter.filter;
        INTERFACEINFO info = { unk, *iid, opnum };
        DWORD type = CALLTYPE_TOPLEVEL, ticks = 0;
        GUID cid;

        if (!f)
                return 0;
        if (a->filter.waiting) {
                bool nested = com_orpc_cid_of(in->data, in->size, in->big_endian, &cid) &&
                              dcom_guid_equal(&cid, &a->filter.cid);
                type = nested ? CALLTYPE_NESTED : CALLTYPE_TOPLEVEL_CALLPENDING;
                ticks = (DWORD)(dcom_monotonic_ms() - a->filter.since_ms);
        }
        IMessageFilter_AddRef(f);       /* it may revoke itself meanwhile */
        DWORD r = IMessageFilter_HandleInComingCall(f, type, NULL, ticks, &info);
        IMessageFilter_Release(f);
        if (r == SERVERCALL_REJECTED)
                return (uint32_t)RPC_E_CALL_REJECTED;
        if (r == SERVERCALL_RETRYLATER)
                return (uint32_t)RPC_E_SERVERCALL_RETRYLATER;
        return 0;
}

/* Whether CoCancelCall asked for the call (then its fault is RPC_E_CALL_CANCELED). */
static bool cancelled(struct rpc_cancel_token *cancel) {
        if (!cancel || !atomic_load(&cancel->requested))
                return false;
        com_set_call_fault((uint32_t)RPC_E_CALL_CANCELED);
        return true;
}

bool com_filter_retry(uint32_t fault, uint64_t *first_ms, struct rpc_cancel_token *cancel) {
        struct com_apartment *a = com_current_apartment();
        IMessageFilter *f;
        DWORD r;

        if (fault != (uint32_t)RPC_E_SERVERCALL_RETRYLATER && fault != (uint32_t)RPC_E_CALL_REJECTED)
                return false;
        if (!a || a->type == APTTYPE_MTA || !(f = a->filter.filter))
                return false;
        if (!*first_ms)         /* (a filter registered while the call was out) */
                *first_ms = dcom_monotonic_ms();
        IMessageFilter_AddRef(f);
        r = IMessageFilter_RetryRejectedCall(f, NULL, (DWORD)(dcom_monotonic_ms() - *first_ms),
                                             fault == (uint32_t)RPC_E_SERVERCALL_RETRYLATER
                                                     ? SERVERCALL_RETRYLATER : SERVERCALL_REJECTED);
        IMessageFilter_Release(f);
        if (r == (DWORD)-1) {
                /* given up: the call ends as rejected, whichever it was */
                com_set_call_fault((uint32_t)RPC_E_CALL_REJECTED);
                return false;
        }
        if (r >= 100) {
                /* "wait" that long, the apartment serving its calls meanwhile, and
                   watching for a CoCancelCall (in slices of 50 ms) */
                HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
                uint64_t until = dcom_monotonic_ms() + r;
                DWORD idx;
                for (uint64_t now; never && !cancelled(cancel) && (now = dcom_monotonic_ms()) < until;)
                        CoWaitForMultipleHandles(0, (DWORD)(until - now < 50 ? until - now : 50), 1,
                                                 &never, &idx);
                if (never)
                        CloseHandle(never);
        }
        return !cancelled(cancel);
}
