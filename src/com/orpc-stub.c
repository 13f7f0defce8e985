/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM layer's part of generated object-interface code (<dcom/orpc-stub.h>): ORPCTHIS
 * made and checked ([MS-DCOM] 2.2.13), a channel's failure as the HRESULT a caller sees.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/base-internal.h"
#include "com/orpc-stub.h"
#include "dcom/com.h"
#include "dcom/guid.h"
#include "dcom/ncastatus.h"
#include "dcom/status.h"

/*
 * Causality IDs, one per outgoing call: random like any GUID, drawn from a per-thread
 * pool that one getrandom() fills for 32 of them (a system call per call cost ~5% of a
 * null ORPC call); a forked child refills its own -- told by a generation that fork
 * moves on in the child (getpid() is a system call too: it was the third of a null
 * call's client, next to send and recv).
 */
static _Thread_local struct {
        uint8_t b[32 * 16];
        unsigned used;
        unsigned gen;
} cid_pool = { .used = 32 };

static unsigned fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_child(void) {
        __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void fork_register(void) {
        pthread_atfork(NULL, NULL, fork_child);
}

/* The pool refilled, once in 32 calls: out of line, so that the others save no registers. */
__attribute__((noinline)) static int refill_cids(unsigned gen) {
        size_t got = 0;

        /* every thread's first ID comes here: the fork handler is in place before any pool
           holds IDs a child could repeat */
        pthread_once(&fork_once, fork_register);
        while (got < sizeof cid_pool.b) {
                ssize_t n = getrandom(cid_pool.b + got, sizeof cid_pool.b - got, 0);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0)
                        got += (size_t)n;
        }
        cid_pool.used = 0;
        cid_pool.gen = gen;
        return 0;
}

static int next_cid(GUID *ret) {
        unsigned gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
        int r;

        if ((cid_pool.used >= 32 || cid_pool.gen != gen) && (r = refill_cids(gen)) < 0)
                return r;
        uint8_t *b = cid_pool.b + 16 * cid_pool.used++;
        b[7] = (uint8_t)((b[7] & 0x0F) | 0x40);         /* RFC 4122 version 4 */
        b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(ret, b, sizeof *ret);    /* a little-endian GUID is its own wire form */
#else
        dcom_guid_from_wire(b, ret);
#endif
        return 0;
}

bool (*com_orpc_causality_hook)(GUID *ret);

/*
 * The thread's logical thread ID outside any incoming call (learn.microsoft.com,
 * CoGetCurrentLogicalThreadId): made when first asked for -- and again in a child of
 * fork(), which must not share its parent's -- or set by the application
 * (IComThreadingInfo::SetCurrentLogicalThreadId, `set`).
 */
static _Thread_local struct {
        GUID id;
        unsigned gen;           /* fork_gen when made */
        bool has, set;
} logical;

/* whether any thread ever set its own: until then a call reads no thread-local for it */
static bool logical_used;

static int logical_id(GUID *ret) {
        unsigned gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
        int r;

        if (!logical.has || (!logical.set && logical.gen != gen)) {
                if ((r = next_cid(&logical.id)) < 0)
                        return r;
                logical.has = true;
                logical.gen = gen;
        }
        *ret = logical.id;
        return 0;
}

int com_orpc_this_init(ORPCTHIS *t) {
        memset(t, 0, sizeof *t);
        t->version.MajorVersion = COM_MAJOR_VERSION;
        t->version.MinorVersion = COM_MINOR_VERSION;
        /* [MS-DCOM] 1.3.5: a call made while the thread runs an incoming one carries that
           call's causality ID; any other "a new CID" -- unless the application set the
           thread's logical thread ID, which its calls then carry (Wine uses a thread's
           own ID for all of them; the specification's rule is the one followed here) */
        bool (*in_call)(GUID *) = __atomic_load_n(&com_orpc_causality_hook, __ATOMIC_RELAXED);
        if (in_call && in_call(&t->cid))
                return 0;
        if (__atomic_load_n(&logical_used, __ATOMIC_RELAXED) && logical.set)
                return logical_id(&t->cid);
        return next_cid(&t->cid);
}

HRESULT com_logical_thread_id(GUID *ret) {
        bool (*in_call)(GUID *) = __atomic_load_n(&com_orpc_causality_hook, __ATOMIC_RELAXED);
        int r;

        if (in_call && in_call(ret))
                return S_OK;
        return (r = logical_id(ret)) < 0 ? dcom_hresult_from_errno(r) : S_OK;
}

void com_set_logical_thread_id(const GUID *id) {
        logical.id = *id;
        logical.has = logical.set = true;
        __atomic_store_n(&logical_used, true, __ATOMIC_RELAXED);
}

/* [MS-DCOM] 2.2.13.3: an ORPCTHIS begins a request's stub, its cid at offset 12 */
bool com_orpc_cid_of(const uint8_t *stub, size_t len, bool big_endian, GUID *cid) {
        if (len < 28)
                return false;
        const uint8_t *p = stub + 12;
        if (big_endian) {
                cid->Data1 = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
                cid->Data2 = (uint16_t)(p[4] << 8 | p[5]);
                cid->Data3 = (uint16_t)(p[6] << 8 | p[7]);
                memcpy(cid->Data4, p + 8, 8);
        } else {
                dcom_guid_from_wire(p, cid);
        }
        return true;
}

HRESULT WINAPI CoGetCurrentLogicalThreadId(GUID *id) {
        if (!id)
                return E_INVALIDARG;
        return com_logical_thread_id(id);
}

int com_orpc_this_check(const ORPCTHIS *t) {
        /* [MS-DCOM] 1.7: the major version is 5; minor versions only add capabilities */
        return t->version.MajorVersion == COM_MAJOR_VERSION ? 0 : -EPROTONOSUPPORT;
}

static _Thread_local uint32_t call_fault;

void com_set_call_fault(uint32_t status) {
        call_fault = status;
}

uint32_t com_call_fault_peek(void) {
        return call_fault;
}

/* CoTaskMemAlloc's memory is dcom_malloc's (src/com/helpers/memory.c). */
void com_stub_free(void *p) {
        dcom_free(p);
}

HRESULT com_stub_hresult(int err) {
        uint32_t f;

        switch (err < 0 ? -err : err) {
        case EREMOTEIO:         /* a fault: its status, if the channel told it */
                f = call_fault;
                call_fault = 0;
                if (f & 0x80000000u)
                        return (HRESULT)f;      /* an HRESULT already (RPC_E_DISCONNECTED) */
                if (f == NCA_S_FAULT_CANCEL)
                        return RPC_E_CALL_CANCELED;     /* the server gave up, cancelled */
                if (f)
                        return HRESULT_FROM_WIN32(dcom_status_from_fault(f));
                return dcom_hresult_from_errno(err);
        case ECANCELED:         /* abandoned by its cancel (CoCancelCall: cancel.c) */
                return RPC_E_CALL_CANCELED;
        case EBADMSG:
        case ERANGE:
        case E2BIG:
        case ELOOP:
                return HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA);
        case EINVAL:
                return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
        default:
                return dcom_hresult_from_errno(err);
        }
}
