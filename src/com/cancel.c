/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Call cancellation (learn.microsoft.com: CoEnableCallCancellation, CoCancelCall,
 * CoGetCancelObject, CoSetCancelObject, CoTestCancel, ICancelMethodCalls): another thread
 * cancels a thread's synchronous call to an object in another process or machine while
 * it waits.
 *
 * A thread that enabled cancellation has an entry here (made by its first
 * CoEnableCallCancellation or CoSetCancelObject, gone with the thread).  Each outgoing
 * call of such a thread pushes a frame on the entry's stack (proxy.c, around the call;
 * an STA's calls nest while it waits); a frame is cancellable when the thread had
 * cancellation enabled as the call began.  In a process where no thread ever enabled
 * it, a call pays one load of a global (com_cancel_used_); otherwise a thread-local too.
 *
 * The call itself is cancelled by the RPC runtime (src/rpc/cancel.c): the frame's token
 * travels with the call (rpc_call_handle's `cancel`), and the canceller stores the
 * token's timeout, then `requested`, then asks the runtime to cancel the thread that makes
 * the call on the wire -- the caller, or an STA's helper thread (proxy.c outcall_main).
 * The runtime sends the server a co_cancel (CoTestCancel sees it there), waits the
 * timeout for the answer, then abandons the call: orphaned, its connection closed, the
 * call failed with -ECANCELED, which the proxy returns as RPC_E_CALL_CANCELED
 * (orpc-stub.c com_stub_hresult).  A cancel that comes before the request went out is
 * seen by the runtime once it is out.
 *
 * Calls to objects of this process -- direct, or through an apartment's queue -- are not
 * on the wire and are not cancellable: their threads have no frame (E_NOINTERFACE).
 */
#define COBJMACROS
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "com/com-internal.h"
#include "com/remote-internal.h"

struct cancel_thread {
        struct cancel_thread *next;             /* threads.list */
        DWORD tid;
        unsigned enabled;                       /* CoEnableCallCancellation's count */
        struct com_cancel_call *top;            /* the innermost call waiting */
        IUnknown *custom;                       /* CoSetCancelObject's, referenced */
};

/* Every field of every entry, and the frames on their stacks, under the lock. */
static struct {
        pthread_mutex_t lock;
        struct cancel_thread *list;
        /* frames numbered process-wide: a cancel object held past its call never names
           a call of a later thread that got the same thread ID */
        uint64_t calls;
        pthread_key_t key;
        pthread_once_t once;
} threads = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

_Thread_local struct cancel_thread *com_cancel_self_;
int com_cancel_used_;

DWORD WINAPI GetCurrentThreadId(void) {
        return (DWORD)gettid();
}

static void thread_gone(void *p) {
        struct cancel_thread *t = p;
        IUnknown *custom;

        com_cancel_self_ = NULL;
        pthread_mutex_lock(&threads.lock);
        for (struct cancel_thread **pp = &threads.list; *pp; pp = &(*pp)->next)
                if (*pp == t) {
                        *pp = t->next;
                        break;
                }
        custom = t->custom;
        pthread_mutex_unlock(&threads.lock);
        if (custom)
                IUnknown_Release(custom);
        free(t);
}

static void threads_init(void) {
        pthread_key_create(&threads.key, thread_gone);
}

/* This thread's entry, made on first use; NULL: no memory. */
static struct cancel_thread *self_get(void) {
        struct cancel_thread *t = com_cancel_self_;

        if (t)
                return t;
        pthread_once(&threads.once, threads_init);
        if (!(t = calloc(1, sizeof *t)))
                return NULL;
        t->tid = GetCurrentThreadId();
        if (pthread_setspecific(threads.key, t) != 0) {
                free(t);
                return NULL;
        }
        pthread_mutex_lock(&threads.lock);
        t->next = threads.list;
        threads.list = t;
        pthread_mutex_unlock(&threads.lock);
        com_cancel_self_ = t;
        /* (this thread reads it back in order; another has no entry to find) */
        __atomic_store_n(&com_cancel_used_, 1, __ATOMIC_RELAXED);
        return t;
}

static struct cancel_thread *find_locked(DWORD tid) {
        struct cancel_thread *t = threads.list;

        while (t && t->tid != tid)
                t = t->next;
        return t;
}

/* --- the frames (proxy.c) ------------------------------------------------------------------- */

bool com_cancel_enter_(struct com_cancel_call *cc) {
        struct cancel_thread *t = com_cancel_self_;

        pthread_mutex_lock(&threads.lock);
        cc->prev = t->top;
        cc->number = ++threads.calls;
        cc->cancellable = t->enabled > 0;
        cc->cancelled = false;
        cc->rpc_thread = pthread_self();
        atomic_init(&cc->token.timeout_s, RPC_CANCEL_INFINITE);
        atomic_init(&cc->token.requested, false);
        t->top = cc;
        pthread_mutex_unlock(&threads.lock);
        return true;
}

void com_cancel_leave(struct com_cancel_call *cc) {
        struct cancel_thread *t = com_cancel_self_;

        pthread_mutex_lock(&threads.lock);
        /* nested calls end first: cc is the top (unlinked wherever it is, regardless) */
        for (struct com_cancel_call **pp = &t->top; *pp; pp = &(*pp)->prev)
                if (*pp == cc) {
                        *pp = cc->prev;
                        break;
                }
        pthread_mutex_unlock(&threads.lock);
}

void com_cancel_set_rpc_thread(struct com_cancel_call *cc, pthread_t thread) {
        pthread_mutex_lock(&threads.lock);
        cc->rpc_thread = thread;
        pthread_mutex_unlock(&threads.lock);
}

/* The frame numbered `number` on t's stack, if it is still there. */
static struct com_cancel_call *frame_locked(struct cancel_thread *t, uint64_t number) {
        for (struct com_cancel_call *cc = t ? t->top : NULL; cc; cc = cc->prev)
                if (cc->number == number)
                        return cc;
        return NULL;
}

/* --- the cancel object of a call -------------------------------------------------------------- */

struct canceller {
        ICancelMethodCalls ICancelMethodCalls_iface;
        atomic_uint refs;
        DWORD tid;
        uint64_t number;                /* the frame of the call it cancels */
        bool cancelled;                 /* threads.lock: its Cancel took */
};

static struct canceller *impl_from(ICancelMethodCalls *iface) {
        return (struct canceller *)((char *)iface - offsetof(struct canceller, ICancelMethodCalls_iface));
}

static HRESULT STDMETHODCALLTYPE cm_qi(ICancelMethodCalls *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_ICancelMethodCalls)) {
                ICancelMethodCalls_AddRef(iface);
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cm_addref(ICancelMethodCalls *iface) {
        return atomic_fetch_add(&impl_from(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE cm_release(ICancelMethodCalls *iface) {
        struct canceller *c = impl_from(iface);
        unsigned left = atomic_fetch_sub(&c->refs, 1) - 1;

        if (!left)
                free(c);
        return left;
}

static HRESULT STDMETHODCALLTYPE cm_cancel(ICancelMethodCalls *iface, ULONG seconds) {
        struct canceller *c = impl_from(iface);
        /* INFINITE: wait for the answer for ever (no timer) */
        long timeout = seconds == INFINITE ? RPC_CANCEL_INFINITE : (long)seconds;
        HRESULT hr;

        pthread_mutex_lock(&threads.lock);
        struct com_cancel_call *cc = frame_locked(find_locked(c->tid), c->number);
        if (!cc) {
                hr = c->cancelled ? RPC_E_CALL_CANCELED : RPC_E_CALL_COMPLETE;
        } else if (!cc->cancellable) {
                hr = CO_E_CANCEL_DISABLED;
        } else if (cc->cancelled) {
                hr = RPC_E_CALL_CANCELED;
        } else {
                /* the token first, then the thread's call: one of the two finds the call
                   (src/rpc/cancel.c rpc_cancel_sent) */
                atomic_store(&cc->token.timeout_s, timeout);
                atomic_store(&cc->token.requested, true);
                cc->cancelled = c->cancelled = true;
                /* the frame lives while the lock is held: the caller leaves under it */
                rpc_cancel_thread(cc->rpc_thread, timeout);
                hr = S_OK;
        }
        pthread_mutex_unlock(&threads.lock);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cm_test(ICancelMethodCalls *iface) {
        struct canceller *c = impl_from(iface);
        HRESULT hr;

        pthread_mutex_lock(&threads.lock);
        struct com_cancel_call *cc = frame_locked(find_locked(c->tid), c->number);
        if (c->cancelled || (cc && cc->cancelled))      /* by this object or another */
                hr = RPC_E_CALL_CANCELED;
        else
                hr = cc ? RPC_S_CALLPENDING : RPC_E_CALL_COMPLETE;
        pthread_mutex_unlock(&threads.lock);
        return hr;
}

static const ICancelMethodCallsVtbl canceller_vtbl = {
        cm_qi, cm_addref, cm_release, cm_cancel, cm_test,
};

/* --- the API ---------------------------------------------------------------------------------- */

HRESULT WINAPI CoEnableCallCancellation(void *reserved) {
        struct cancel_thread *t = self_get();

        (void)reserved;
        if (!t)
                return E_OUTOFMEMORY;
        pthread_mutex_lock(&threads.lock);
        if (t->enabled == UINT_MAX) {
                pthread_mutex_unlock(&threads.lock);
                return E_UNEXPECTED;
        }
        t->enabled++;
        pthread_mutex_unlock(&threads.lock);
        return S_OK;
}

HRESULT WINAPI CoDisableCallCancellation(void *reserved) {
        struct cancel_thread *t = com_cancel_self_;
        HRESULT hr = CO_E_CANCEL_DISABLED;

        (void)reserved;
        if (!t)
                return hr;
        pthread_mutex_lock(&threads.lock);
        if (t->enabled) {
                t->enabled--;
                hr = S_OK;
        }
        pthread_mutex_unlock(&threads.lock);
        return hr;
}

/* CoUninitialize's last call on this thread: cancellation is off again. */
void com_cancel_uninitialized(void) {
        struct cancel_thread *t = com_cancel_self_;

        if (!t)
                return;
        pthread_mutex_lock(&threads.lock);
        t->enabled = 0;
        pthread_mutex_unlock(&threads.lock);
}

HRESULT WINAPI CoGetCancelObject(DWORD thread_id, REFIID riid, void **ppv) {
        struct canceller *c;
        IUnknown *custom = NULL;
        HRESULT hr;

        if (!ppv || !riid)
                return E_INVALIDARG;
        *ppv = NULL;
        if (!thread_id)
                thread_id = GetCurrentThreadId();
        pthread_mutex_lock(&threads.lock);
        struct cancel_thread *t = find_locked(thread_id);
        if (t && t->custom) {
                custom = t->custom;
                IUnknown_AddRef(custom);
                pthread_mutex_unlock(&threads.lock);
                hr = IUnknown_QueryInterface(custom, riid, ppv);
                IUnknown_Release(custom);
                return hr;
        }
        if (!t || (!t->top && !t->enabled))
                hr = CO_E_CANCEL_DISABLED;      /* not enabled (or never on the thread) */
        else if (!t->top)
                hr = E_NOINTERFACE;             /* no call waiting */
        else if (!t->top->cancellable)
                hr = CO_E_CANCEL_DISABLED;
        else if (!(c = calloc(1, sizeof *c)))
                hr = E_OUTOFMEMORY;
        else {
                c->ICancelMethodCalls_iface.lpVtbl = &canceller_vtbl;
                atomic_init(&c->refs, 1);
                c->tid = thread_id;
                c->number = t->top->number;
                pthread_mutex_unlock(&threads.lock);
                hr = cm_qi(&c->ICancelMethodCalls_iface, riid, ppv);
                cm_release(&c->ICancelMethodCalls_iface);
                return hr;
        }
        pthread_mutex_unlock(&threads.lock);
        return hr;
}

HRESULT WINAPI CoSetCancelObject(IUnknown *cancel) {
        struct cancel_thread *t = cancel ? self_get() : com_cancel_self_;
        IUnknown *old;

        if (!t)
                return cancel ? E_OUTOFMEMORY : S_OK;
        if (cancel)
                IUnknown_AddRef(cancel);
        pthread_mutex_lock(&threads.lock);
        old = t->custom;
        t->custom = cancel;
        pthread_mutex_unlock(&threads.lock);
        if (old)
                IUnknown_Release(old);
        return S_OK;
}

HRESULT WINAPI CoCancelCall(DWORD thread_id, ULONG timeout_s) {
        ICancelMethodCalls *c;
        HRESULT hr = CoGetCancelObject(thread_id, &IID_ICancelMethodCalls, (void **)&c);

        if (FAILED(hr))
                return hr;
        hr = ICancelMethodCalls_Cancel(c, timeout_s);
        ICancelMethodCalls_Release(c);
        return hr;
}
