/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The class table: class objects a process offers with CoRegisterClassObject.  Today
 * in-process lookups (CoGetClassObject / CoCreateInstance in the same process) find
 * them; the activation service will hand them to other processes through the same
 * table.  The rules are combaseapi.h's REGCLS documentation:
 *
 *  - REGCLS_MULTIPLEUSE with CLSCTX_LOCAL_SERVER also serves CLSCTX_INPROC_SERVER
 *    lookups in this process; REGCLS_MULTI_SEPARATE serves only the contexts named.
 *  - REGCLS_SINGLEUSE: after one CLSCTX_LOCAL_SERVER connection the class object leaves
 *    public view (later lookups go on to the registry).
 *  - REGCLS_SUSPENDED, CoSuspendClassObjects: not offered to CLSCTX_LOCAL_SERVER
 *    activation until CoResumeClassObjects.
 *  - A registration belongs to the registering thread's apartment: lookups from that
 *    apartment find it (from another one it would need a proxy -- remoting); it is
 *    revoked from that apartment, and goes when the apartment does.
 *  - The same class twice for overlapping contexts: CO_E_OBJISREG.
 *
 * CoAddRefServerProcess / CoReleaseServerProcess keep the process-wide count a local
 * server uses to know when to exit; reaching zero suspends the class objects so no new
 * activation races the exit.
 */
#include "com/com-internal.h"

static LOG_CHANNEL(com);

struct com_class_reg {
        struct com_class_reg *next;
        CLSID clsid;
        IUnknown *unk;
        DWORD clsctx;                   /* as registered */
        DWORD flags;                    /* REGCLS_* */
        DWORD cookie;
        struct com_apartment *apt;
        bool suspended;                 /* REGCLS_SUSPENDED or CoSuspendClassObjects */
        bool used;                      /* SINGLEUSE: handed out to a local-server client */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct com_class_reg *table;
static DWORD next_cookie = 1;
static ULONG server_refs;

/* The contexts a registration answers. */
static DWORD served_contexts(const struct com_class_reg *r) {
        DWORD ctx = r->clsctx;
        if ((r->flags & REGCLS_MULTIPLEUSE) && (ctx & CLSCTX_LOCAL_SERVER))
                ctx |= CLSCTX_INPROC_SERVER;
        return ctx;
}

/*
 * The apartment a thread's registrations and lookups belong to, held for the call (an
 * implicit-MTA thread's MTA may end meanwhile; the pointer must not be reused).
 */
static struct com_apartment *caller_apartment(void) {
        return com_apartment_get();
}

HRESULT WINAPI CoRegisterClassObject(REFCLSID rclsid, IUnknown *unk, DWORD clsctx, DWORD flags,
                                     DWORD *cookie) {
        struct com_apartment *apt;
        struct com_class_reg *r;
        HRESULT hr = S_OK;

        if (!cookie)
                return E_INVALIDARG;
        *cookie = 0;
        if (!rclsid || !unk || !(clsctx & (CLSCTX_INPROC_SERVER | CLSCTX_INPROC_HANDLER |
                                           CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER)))
                return E_INVALIDARG;
        if (flags & ~(DWORD)(REGCLS_MULTIPLEUSE | REGCLS_MULTI_SEPARATE | REGCLS_SUSPENDED |
                             REGCLS_SURROGATE | REGCLS_AGILE))
                return E_INVALIDARG;
        if (!(apt = caller_apartment()))
                return CO_E_NOTINITIALIZED;
        r = dcom_calloc(1, sizeof *r);
        if (!r) {
                com_apartment_release(apt);
                return E_OUTOFMEMORY;
        }
        r->clsid = *rclsid;
        r->unk = unk;
        r->clsctx = clsctx;
        r->flags = flags;
        r->apt = apt;
        r->suspended = flags & REGCLS_SUSPENDED;
        /* the table's reference exists before anyone can find (and revoke) the entry */
        unk->lpVtbl->AddRef(unk);

        pthread_mutex_lock(&table_lock);
        if (apt->classes_gone)
                hr = CO_E_NOTINITIALIZED;       /* its apartment ended meanwhile */
        for (struct com_class_reg *o = table; o && hr == S_OK; o = o->next)
                if (o->apt == apt && IsEqualCLSID(&o->clsid, rclsid) &&
                    (served_contexts(o) & served_contexts(r))) {
                        char id[DCOM_GUID_STRING_REG];
                        dcom_guid_format(rclsid, DCOM_GUID_FORMAT_REGISTRY, id);
                        log_debug(com, "class %s is already registered (cookie %u)", id,
                                  (unsigned)o->cookie);
                        hr = CO_E_OBJISREG;
                }
        if (hr == S_OK) {
                r->cookie = next_cookie++;
                if (next_cookie == 0)
                        next_cookie = 1;
                r->next = table;
                table = r;
                *cookie = r->cookie;
        }
        pthread_mutex_unlock(&table_lock);
        if (hr != S_OK) {
                dcom_free(r);
                unk->lpVtbl->Release(unk);
        }
        com_apartment_release(apt);
        return hr;
}

HRESULT WINAPI CoRevokeClassObject(DWORD cookie) {
        struct com_apartment *apt = caller_apartment();
        IUnknown *unk = NULL;
        HRESULT hr = E_INVALIDARG;

        if (!apt)
                return CO_E_NOTINITIALIZED;
        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg **pp = &table; *pp; pp = &(*pp)->next) {
                struct com_class_reg *r = *pp;
                if (r->cookie != cookie)
                        continue;
                if (r->apt != apt) {
                        hr = RPC_E_WRONG_THREAD;
                        break;
                }
                *pp = r->next;
                unk = r->unk;
                dcom_free(r);
                hr = S_OK;
                break;
        }
        pthread_mutex_unlock(&table_lock);
        com_apartment_release(apt);
        /* released outside the lock: the class object's destructor may call back into COM */
        if (unk)
                unk->lpVtbl->Release(unk);
        return hr;
}

static void set_suspended(bool suspended) {
        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg *r = table; r; r = r->next)
                r->suspended = suspended;
        pthread_mutex_unlock(&table_lock);
}

static HRESULT suspend_all(bool suspended) {
        struct com_apartment *apt = caller_apartment();
        if (!apt)
                return CO_E_NOTINITIALIZED;
        set_suspended(suspended);
        com_apartment_release(apt);
        return S_OK;
}

HRESULT WINAPI CoResumeClassObjects(void) {
        return suspend_all(false);
}

HRESULT WINAPI CoSuspendClassObjects(void) {
        return suspend_all(true);
}

ULONG WINAPI CoAddRefServerProcess(void) {
        pthread_mutex_lock(&table_lock);
        ULONG n = ++server_refs;
        pthread_mutex_unlock(&table_lock);
        return n;
}

ULONG WINAPI CoReleaseServerProcess(void) {
        pthread_mutex_lock(&table_lock);
        ULONG n = server_refs ? --server_refs : 0;
        if (n == 0)
                for (struct com_class_reg *r = table; r; r = r->next)
                        r->suspended = true;
        pthread_mutex_unlock(&table_lock);
        return n;
}

HRESULT com_class_table_get(const CLSID *clsid, DWORD clsctx, REFIID riid, void **ppv) {
        struct com_apartment *apt = caller_apartment();
        IUnknown *unk = NULL;

        *ppv = NULL;
        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg *r = table; r; r = r->next) {
                if (r->apt != apt || !IsEqualCLSID(&r->clsid, clsid))
                        continue;
                DWORD ctx = served_contexts(r) & clsctx;
                /* a suspended or used-up registration still serves in-process lookups */
                if (r->suspended || r->used)
                        ctx &= ~(DWORD)CLSCTX_LOCAL_SERVER;
                if (!ctx)
                        continue;
                if (!(ctx & ~(DWORD)CLSCTX_LOCAL_SERVER) && !(r->flags & REGCLS_MULTIPLEUSE) &&
                    !(r->flags & REGCLS_MULTI_SEPARATE))
                        r->used = true;         /* REGCLS_SINGLEUSE, one local connection */
                unk = r->unk;
                unk->lpVtbl->AddRef(unk);
                break;
        }
        pthread_mutex_unlock(&table_lock);
        com_apartment_release(apt);
        if (!unk)
                return REGDB_E_CLASSNOTREG;
        HRESULT hr = unk->lpVtbl->QueryInterface(unk, riid, ppv);
        unk->lpVtbl->Release(unk);
        return hr;
}

void com_class_table_apartment_gone(struct com_apartment *apt) {
        for (;;) {
                IUnknown *unk = NULL;
                pthread_mutex_lock(&table_lock);
                apt->classes_gone = true;       /* a registration racing the end is refused */
                for (struct com_class_reg **pp = &table; *pp; pp = &(*pp)->next) {
                        struct com_class_reg *r = *pp;
                        if (r->apt != apt)
                                continue;
                        *pp = r->next;
                        unk = r->unk;
                        log_debug(com, "apartment ending: class object %u revoked",
                                  (unsigned)r->cookie);
                        dcom_free(r);
                        break;
                }
                pthread_mutex_unlock(&table_lock);
                if (!unk)
                        return;
                unk->lpVtbl->Release(unk);
        }
}
