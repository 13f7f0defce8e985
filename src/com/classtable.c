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
#include <stdlib.h>

#include "com/remote-internal.h"
#include "com/resolver.h"

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
        bool offered;                   /* registered with rpcss for activation */
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

/* A registration other processes may activate through rpcss. */
static bool offerable(DWORD clsctx, DWORD flags) {
        return (clsctx & CLSCTX_LOCAL_SERVER) && !(flags & REGCLS_SUSPENDED);
}

/*
 * Offers the registration of cookie to activation: its apartment's exporter registered
 * with rpcss, then the class.  Without rpcss the class object stays this process's own
 * (in-process lookups find it) and DCOM_DEBUG=com says so.
 */
static void offer(DWORD cookie) {
        struct com_apartment *apt = NULL;
        CLSID clsid;
        DWORD flags = 0;
        OXID oxid;
        HRESULT hr;
        int r;

        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg *x = table; x; x = x->next)
                if (x->cookie == cookie && !x->offered && !x->suspended && !x->used) {
                        apt = x->apt;
                        atomic_fetch_add(&apt->ref, 1);
                        clsid = x->clsid;
                        flags = x->flags;
                        x->offered = true;      /* claimed: a second offer does nothing */
                }
        pthread_mutex_unlock(&table_lock);
        if (!apt)
                return;
        hr = com_exporter_offer(apt, &oxid);
        r = SUCCEEDED(hr) ? com_resolver_register_class(oxid, &clsid, cookie, flags) : -ECONNREFUSED;
        com_apartment_release(apt);
        if (r < 0) {
                char id[DCOM_GUID_STRING_REG];
                dcom_guid_format(&clsid, DCOM_GUID_FORMAT_REGISTRY, id);
                log_debug(com, "class %s (cookie %u) not offered to activation: rpcss: %s", id,
                          (unsigned)cookie, strerror(-r));
                pthread_mutex_lock(&table_lock);
                for (struct com_class_reg *x = table; x; x = x->next)
                        if (x->cookie == cookie)
                                x->offered = false;
                pthread_mutex_unlock(&table_lock);
        }
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
        } else if (offerable(clsctx, flags)) {
                offer(*cookie);
        }
        com_apartment_release(apt);
        return hr;
}

HRESULT WINAPI CoRevokeClassObject(DWORD cookie) {
        struct com_apartment *apt = caller_apartment();
        IUnknown *unk = NULL;
        bool offered = false;
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
                offered = r->offered;
                dcom_free(r);
                hr = S_OK;
                break;
        }
        pthread_mutex_unlock(&table_lock);
        com_apartment_release(apt);
        if (offered)
                com_resolver_revoke_class(cookie);
        /* released outside the lock: the class object's destructor may call back into COM */
        if (unk)
                unk->lpVtbl->Release(unk);
        return hr;
}

#define MAX_COOKIES 256                 /* offered or withdrawn per call; more: the next call */

/*
 * Suspends (withdraws from rpcss what was offered) or resumes (offers what may be) every
 * registration.
 */
static void set_suspended(bool suspended) {
        DWORD cookies[MAX_COOKIES];
        unsigned n = 0;

        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg *r = table; r; r = r->next) {
                r->suspended = suspended;
                bool change = suspended ? r->offered
                                        : offerable(r->clsctx, 0) && !r->offered && !r->used;
                if (change && n < MAX_COOKIES) {
                        cookies[n++] = r->cookie;
                        if (suspended)
                                r->offered = false;
                }
        }
        pthread_mutex_unlock(&table_lock);
        for (unsigned i = 0; i < n; i++) {
                if (suspended)
                        com_resolver_revoke_class(cookies[i]);
                else
                        offer(cookies[i]);
        }
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
        pthread_mutex_unlock(&table_lock);
        if (n == 0)
                set_suspended(true);    /* no new activation races the exit */
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

bool com_class_table_registered_inproc(const CLSID *clsid) {
        bool found = false;

        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg *r = table; r && !found; r = r->next)
                found = IsEqualCLSID(&r->clsid, clsid) && (r->clsctx & CLSCTX_INPROC_SERVER);
        pthread_mutex_unlock(&table_lock);
        return found;
}

void com_class_table_apartment_gone(struct com_apartment *apt) {
        for (;;) {
                IUnknown *unk = NULL;
                DWORD withdraw = 0;
                pthread_mutex_lock(&table_lock);
                apt->classes_gone = true;       /* a registration racing the end is refused */
                for (struct com_class_reg **pp = &table; *pp; pp = &(*pp)->next) {
                        struct com_class_reg *r = *pp;
                        if (r->apt != apt)
                                continue;
                        *pp = r->next;
                        unk = r->unk;
                        if (r->offered)
                                withdraw = r->cookie;
                        log_debug(com, "apartment ending: class object %u revoked",
                                  (unsigned)r->cookie);
                        dcom_free(r);
                        break;
                }
                pthread_mutex_unlock(&table_lock);
                if (!unk)
                        return;
                if (withdraw)
                        com_resolver_revoke_class(withdraw);
                unk->lpVtbl->Release(unk);
        }
}

/* --- activation from rpcss (objact) ---------------------------------------------------------- */

struct act_job {
        IUnknown *unk;                  /* the class object, held */
        bool class_object;
        DWORD dest, n;
        const IID *iids;
        HRESULT *results;
        uint8_t **blobs;
        size_t *lens;
        HRESULT hr;
        bool done;
        pthread_mutex_t m;
        pthread_cond_t c;
};

/* One interface marshaled for the client: the OBJREF's bytes (malloc'd). */
static HRESULT marshal_one(IUnknown *obj, const IID *iid, DWORD dest, uint8_t **ret, size_t *len) {
        IStream *stm = NULL;
        HGLOBAL g = NULL;
        HRESULT hr;

        /* for another process only: what is marshaled for this one (MSHCTX_INPROC,
           MSHCTX_CROSSCTX) may be an address (the free-threaded marshaler's) */
        if (dest != MSHCTX_LOCAL && dest != MSHCTX_NOSHAREDMEM && dest != MSHCTX_DIFFERENTMACHINE)
                return E_INVALIDARG;

        hr = CreateStreamOnHGlobal(NULL, TRUE, &stm);
        if (SUCCEEDED(hr))
                hr = CoMarshalInterface(stm, iid, obj, dest, NULL, MSHLFLAGS_NORMAL);
        if (SUCCEEDED(hr))
                hr = GetHGlobalFromStream(stm, &g);
        if (SUCCEEDED(hr)) {
                ULARGE_INTEGER pos;
                LARGE_INTEGER zero = { .QuadPart = 0 };
                hr = stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_CUR, &pos);
                void *p = SUCCEEDED(hr) ? GlobalLock(g) : NULL;
                if (p) {
                        *len = (size_t)pos.QuadPart;
                        *ret = malloc(*len ? *len : 1);
                        if (*ret)
                                memcpy(*ret, p, *len);
                        else
                                hr = E_OUTOFMEMORY;
                        GlobalUnlock(g);
                } else if (SUCCEEDED(hr)) {
                        hr = E_OUTOFMEMORY;
                }
        }
        if (stm)
                stm->lpVtbl->Release(stm);
        return hr;
}

/* In the class object's apartment: the instance (or the class object), each interface. */
static void act_run(void *ctx) {
        struct act_job *j = ctx;
        IUnknown *obj = NULL;
        DWORD got = 0;
        HRESULT hr;

        if (j->class_object) {
                hr = j->unk->lpVtbl->QueryInterface(j->unk, &j->iids[0], (void **)&obj);
        } else {
                IClassFactory *cf = NULL;
                hr = j->unk->lpVtbl->QueryInterface(j->unk, &IID_IClassFactory, (void **)&cf);
                if (SUCCEEDED(hr)) {
                        hr = cf->lpVtbl->CreateInstance(cf, NULL, &j->iids[0], (void **)&obj);
                        cf->lpVtbl->Release(cf);
                }
        }
        if (SUCCEEDED(hr)) {
                for (DWORD i = 0; i < j->n; i++) {
                        j->results[i] = marshal_one(obj, &j->iids[i], j->dest, &j->blobs[i],
                                                    &j->lens[i]);
                        got += SUCCEEDED(j->results[i]);
                }
                obj->lpVtbl->Release(obj);      /* the marshaled references keep it */
                hr = got == j->n ? S_OK : got ? CO_S_NOTALLINTERFACES : j->results[0];
        }
        pthread_mutex_lock(&j->m);
        j->hr = hr;
        j->done = true;
        pthread_cond_signal(&j->c);
        pthread_mutex_unlock(&j->m);
}

HRESULT com_class_table_activate(DWORD cookie, const CLSID *clsid, bool class_object, DWORD dest,
                                 DWORD n, const IID *iids, HRESULT *results, uint8_t **blobs,
                                 size_t *lens) {
        struct act_job j = {
                .class_object = class_object, .dest = dest, .n = n, .iids = iids,
                .results = results, .blobs = blobs, .lens = lens, .hr = E_UNEXPECTED,
        };
        struct com_apartment *apt = NULL;
        bool single = false;

        pthread_mutex_lock(&table_lock);
        for (struct com_class_reg *r = table; r; r = r->next) {
                if (r->cookie != cookie || !IsEqualCLSID(&r->clsid, clsid) ||
                    !(r->clsctx & CLSCTX_LOCAL_SERVER) || r->suspended || r->used)
                        continue;
                if (!(r->flags & (REGCLS_MULTIPLEUSE | REGCLS_MULTI_SEPARATE))) {
                        r->used = true;         /* REGCLS_SINGLEUSE: this one activation */
                        r->offered = false;
                        single = true;
                }
                j.unk = r->unk;
                j.unk->lpVtbl->AddRef(j.unk);
                apt = r->apt;
                atomic_fetch_add(&apt->ref, 1);
                break;
        }
        pthread_mutex_unlock(&table_lock);
        if (!apt)
                return CO_E_OBJNOTREG;
        if (single)
                com_resolver_revoke_class(cookie);      /* rpcss forgot it; so do our replays */
        pthread_mutex_init(&j.m, NULL);
        pthread_cond_init(&j.c, NULL);
        if (apt->type == APTTYPE_MTA || pthread_equal(apt->owner, pthread_self())) {
                act_run(&j);
        } else if (com_apartment_post(apt, act_run, &j) < 0) {
                j.hr = CO_E_SERVER_STOPPING;
        } else {
                pthread_mutex_lock(&j.m);
                while (!j.done)
                        pthread_cond_wait(&j.c, &j.m);
                pthread_mutex_unlock(&j.m);
        }
        pthread_cond_destroy(&j.c);
        pthread_mutex_destroy(&j.m);
        j.unk->lpVtbl->Release(j.unk);
        com_apartment_release(apt);
        return j.hr;
}
