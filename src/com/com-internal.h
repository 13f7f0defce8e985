/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM library's internals: apartments (apartment.c), the in-process activation path
 * and its library cache (activate.c), the class table (classtable.c).
 */
#ifndef DCOM_COM_INTERNAL_H
#define DCOM_COM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <objbase.h>

#include "base/base-internal.h"

/* --- apartments ---------------------------------------------------------------------------- */

/*
 * An apartment: the MTA (one per process, alive while a thread is in it) or an STA
 * (one per thread that asked for it).  Work posted to an STA -- later: incoming calls --
 * runs on its thread while that thread pumps (CoWaitForMultipleHandles, com_pump).
 */
struct com_task {
        struct com_task *next;
        void (*fn)(void *ctx);
        void *ctx;
};

struct com_apartment {
        APTTYPE type;                   /* APTTYPE_STA, APTTYPE_MAINSTA or APTTYPE_MTA */
        pthread_t owner;                /* an STA's thread */
        unsigned refs;                  /* threads in it (MTA), 1 for an STA */
        pthread_mutex_t lock;
        struct com_task *head, **tail;  /* posted work, FIFO */
        int wake;                       /* eventfd: posted work or a stop */
        bool closing;
        bool classes_gone;              /* its registrations revoked (classtable.c's lock) */
        atomic_uint ref;                /* its existence + com_apartment_get() holders */
        /* its object context (context.c): the interfaces' vtables, nothing else */
        struct {
                const void *threading, *callback;
        } context;
        /* an STA's message filter and the call it waits for (msgfilter.c): its thread's */
        struct {
                IMessageFilter *filter;
                unsigned waiting;               /* outgoing calls it waits for, nested */
                GUID cid;                       /* the innermost one's causality ID */
                uint64_t since_ms;              /* ... and when it began */
        } filter;
};

/* msgfilter.c: the STA's filter let go (its end); an outgoing call waited for (saving
   the outer one's); the filter's word on a call coming in (0: run it, else the fault to
   answer); whether a call the callee rejected is tried again (false: not, its fault as
   it is, or RPC_E_CALL_REJECTED when the filter gave up). */
struct com_filter_wait {
        unsigned saved_depth;
        GUID saved_cid;
        uint64_t saved_since;
};
void com_filter_apartment_gone(struct com_apartment *a);
void com_filter_wait_begin(struct com_apartment *a, const uint8_t *stub, size_t len,
                           struct com_filter_wait *w);
void com_filter_wait_end(struct com_apartment *a, const struct com_filter_wait *w);
struct ndr_pull;
uint32_t com_filter_incoming(struct com_apartment *a, IUnknown *unk, const IID *iid,
                             uint16_t opnum, const struct ndr_pull *in);
struct rpc_cancel_token;
/* cancel: the call's cancel token (NULL: not cancellable); a CoCancelCall while the call
   waits to go again ends it with RPC_E_CALL_CANCELED */
bool com_filter_retry(uint32_t fault, uint64_t *first_ms, struct rpc_cancel_token *cancel);

/* context.c: an apartment's object context, set up with it. */
void com_context_init(struct com_apartment *apt);

/* The calling thread's apartment (NULL: not initialized; implicit MTA not counted). */
struct com_apartment *com_current_apartment(void);
/* cancel.c: CoUninitialize's last call on this thread turns call cancellation off. */
void com_cancel_uninitialized(void);
/*
 * The caller's apartment -- its own, or the MTA for a thread that never initialized
 * while one exists (the implicit MTA) -- held: the memory stays valid until
 * com_apartment_release(), even if the apartment ends meanwhile.  NULL: none.
 */
struct com_apartment *com_apartment_get(void);
void com_apartment_release(struct com_apartment *apt);
/*
 * Queues fn(ctx) on an STA the caller holds (its own, or one from com_apartment_get()):
 * -ESHUTDOWN when it is going, -EINVAL for the MTA (it has no thread to run it), -ENOMEM.
 */
int com_apartment_post(struct com_apartment *apt, void (*fn)(void *), void *ctx);
/*
 * A hold on the MTA (add) or its release: objects exported from the MTA keep it alive
 * as threads in it do (CoIncrementMTAUsage in spirit); the last release ends it.  No-op
 * for an STA.  The caller holds a (com_apartment_get) reference to a.
 */
void com_mta_usage(struct com_apartment *a, bool add);
/* Runs the posted work of the caller's STA; waits up to timeout_ms (-1 forever) for some. */
int com_pump(int timeout_ms);

/* --- activation ----------------------------------------------------------------------------- */

/* A class object registered with CoRegisterClassObject, for clsctx, or NULL. */
HRESULT com_class_table_get(const CLSID *clsid, DWORD clsctx, REFIID riid, void **ppv);
/* Whether this process registered clsid itself for in-process use (CLSCTX_INPROC_SERVER
   given to CoRegisterClassObject: not a local server's class serving in-process too). */
bool com_class_table_registered_inproc(const CLSID *clsid);
/* "PREFIX{GUID}SUFFIX" as UTF-16 in buf (128 WCHARs), a registry key (psfactory.c). */
void com_guid_key(WCHAR *buf, const char *prefix, const GUID *g, const char *suffix);
/* The class object of clsid's InprocServer32 library in any apartment, or none
   (activate.c; for proxy/stub factories). */
HRESULT com_inproc_class_object_any(const CLSID *clsid, REFIID riid, void **ppv);
/* Revokes the registrations of an apartment that is going (CoUninitialize). */
void com_class_table_apartment_gone(struct com_apartment *apt);
/* Disconnects the objects an apartment that is going exported, revokes its OXID. */
void com_exporter_apartment_gone(struct com_apartment *apt);

#endif /* DCOM_COM_INTERNAL_H */
