/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The object exporter ([MS-DCOM] 3.1.1): one per apartment (its OXID), a stub manager per
 * exported object (its OID) holding one IPID per interface with the public and private
 * references clients hold, IRemUnknown2 at each exporter's ipidRemUnknown, and the
 * process's listener (ncalrpc and TCP, started on the first marshal) whose ORPC calls
 * are dispatched by IPID to the generated stubs, in the object's apartment: an STA
 * object's calls run on its thread (posted to it; it runs them while it pumps), an MTA
 * object's on the RPC worker that received them.
 *
 * IPIDs, OIDs and OXIDs are random (getrandom): an IPID is the only handle a client has
 * on an interface, so it must not be guessable.  One lock guards the tables; objects'
 * methods (QueryInterface, Release) are never called under it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "com/remote-internal.h"
#include "com/resolver.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "oleaut/oleaut-internal.h"
#include "orpc_stub.h"
#include "oxidreg_stub.h"
#include "unknwn_stub.h"
#include "rpc/rpc-internal.h"

static LOG_CHANNEL(com);

#define IPID_BUCKETS 1024
#define MAX_PS 512
#define MAX_QI_IIDS 256                 /* interfaces one RemQueryInterface may ask for */
#define MAX_PUBLIC_REFS 0x40000000u     /* per IPID: beyond it RemAddRef fails */
/* [MS-DCOM] 2.2.18.2: a client ignores STDOBJREF flags other than SORF_NOPING; this one
   marks a TABLESTRONG marshal's data, so that releasing it gives back the right kind */
#define SORFP_TABLESTRONG 0x0001u

struct ifstub;
struct stubmgr;

struct exporter {
        struct exporter *next;
        struct com_apartment *apt;      /* held */
        OXID oxid;
        IPID ipid_remunk;
        IRemUnknown2 remunk;
        bool registered;                /* with rpcss */
        struct ifstub *remunk_stub;
        /* 1 while its apartment lives, and 1 for each call in it (taken under the lock,
           given back without it): the last one frees it */
        atomic_uint busy;
        unsigned n_objects;             /* stub managers: in the MTA they keep it alive */
};

struct stubmgr {
        struct stubmgr *next;
        struct exporter *ex;
        IUnknown *unk;                  /* the identity, held */
        OID oid;
        bool noping;
        bool pinged;                    /* the OID is registered with rpcss for pings */
        unsigned table_strong;          /* TABLESTRONG marshals not released */
        unsigned table_weak;            /* TABLEWEAK marshals not released */
        unsigned locks;                 /* CoLockObjectExternal */
        struct extq *extq;              /* the object has IExternalConnection: its calls */
        bool ext_connected;             /* what it was last told */
        unsigned local_proxies;         /* proxy managers of this process's other apartments */
        struct ifstub *ifs;
};

struct ifstub {
        struct ifstub *hnext;           /* the IPID hash chain */
        struct ifstub *next;            /* the stub manager's */
        struct stubmgr *sm;             /* NULL for an exporter's IRemUnknown */
        struct exporter *ex;
        IPID ipid;
        IID iid;
        IUnknown *itf;                  /* the interface pointer, held (not for IRemUnknown) */
        const struct com_ps *ps;        /* NULL: IUnknown (its calls go to IRemUnknown) */
        uint32_t public_refs, private_refs;     /* private_refs: the sum of privs' */
        struct privref *privs;          /* private references, per client identity */
};

/*
 * [MS-DCOM] 1.3.6: "private references can be released only by the client identity that
 * requested them" -- a client with secure references (EOAC_SECURE_REFS) holds these, so
 * that no other client can release the object from under it.  At most MAX_PRIVREF_HOLDERS
 * identities per IPID.
 */
struct privref {
        struct privref *next;
        uint32_t refs;
        char who[96];                   /* com_call_principal()'s key */
};
#define MAX_PRIVREF_HOLDERS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct exporter *exporters;
static struct stubmgr *objects;
static struct ifstub *ipids[IPID_BUCKETS];
static struct rpc_server *srv;
static char lrpc_ep[40];
static char lrpc_path[256];                     /* its socket, removed at exit */
static bool unlink_registered;
static DUALSTRINGARRAY *own_bindings;           /* where this process's objects are called */
static DUALSTRINGARRAY *resolver_bindings;      /* rpcss's, for OBJREFs' saResAddr */
static uint8_t min_level;                       /* 0: not set, LegacyAuthenticationLevel's */
static pthread_t rundown_thread;
static bool rundown_started;

/* --- the proxy/stub registry --------------------------------------------------------------- */

static pthread_mutex_t ps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct com_ps ps_table[MAX_PS];
static unsigned n_ps;

int com_ps_register(const void *proxy_vtbl, const struct ndr_interface *iface) {
        int r = 0;

        if (!proxy_vtbl || !iface)
                return -EINVAL;
        pthread_mutex_lock(&ps_lock);
        for (unsigned i = 0; i < n_ps; i++)
                if (dcom_guid_equal(&ps_table[i].iid, &iface->uuid)) {
                        r = ps_table[i].iface == iface ? 1 : -EEXIST;
                        break;
                }
        if (r == 0 && n_ps >= MAX_PS)
                r = -ENOSPC;
        if (r == 0)
                ps_table[n_ps++] = (struct com_ps){ iface->uuid, proxy_vtbl, iface };
        pthread_mutex_unlock(&ps_lock);
        return r < 0 ? r : 0;
}

bool com_ps_is_proxy_vtbl(const void *vtbl) {
        bool found = false;

        pthread_mutex_lock(&ps_lock);
        for (unsigned i = 0; i < n_ps && !found; i++)
                found = ps_table[i].proxy_vtbl == vtbl;
        pthread_mutex_unlock(&ps_lock);
        return found;
}

static void ps_builtin(void) {
        com_ps_register(&IRemUnknown_ProxyVtbl, &IRemUnknown_p_interface);
        com_ps_register(&IRemUnknown2_ProxyVtbl, &IRemUnknown2_p_interface);
        /* class objects: CoGetClassObject from another process or host */
        com_ps_register(&IClassFactory_ProxyVtbl, &IClassFactory_p_interface);
        /* IDispatch (and BSTR's and VARIANT's wire forms): every object that has it */
        oleaut_ps_register();
}

static const struct com_ps *ps_lookup(const IID *iid) {
        const struct com_ps *found = NULL;

        pthread_mutex_lock(&ps_lock);
        for (unsigned i = 0; i < n_ps; i++)
                if (dcom_guid_equal(&ps_table[i].iid, iid)) {
                        found = &ps_table[i];
                        break;
                }
        pthread_mutex_unlock(&ps_lock);
        return found;
}

/*
 * Built in or registered in this process, else from the interface's proxy/stub library
 * (HKCR\Interface\{iid}\ProxyStubClsid32, psfactory.c), which then stays registered
 * here: each IID is looked up in the registry until it is found once.
 */
const struct com_ps *com_ps_find(const IID *iid) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        const struct com_ps *found;

        pthread_once(&once, ps_builtin);
        if ((found = ps_lookup(iid)))
                return found;
        if (IsEqualIID(iid, &IID_IUnknown) || com_ps_load(iid) < 0)
                return NULL;
        return ps_lookup(iid);
}

/* --- identifiers and tables ------------------------------------------------------------------ */

static void random_bytes(void *p, size_t n) {
        uint8_t *b = p;
        size_t got = 0;

        while (got < n) {
                ssize_t k = getrandom(b + got, n - got, 0);
                if (k > 0)
                        got += (size_t)k;
        }
}

static uint64_t random_id(void) {
        uint64_t v;
        do
                random_bytes(&v, sizeof v);
        while (!v);
        return v;
}

static void random_ipid(IPID *ipid) {
        random_bytes(ipid, sizeof *ipid);
        /* a version 4 UUID, as Windows' are well-formed UUIDs too */
        ipid->Data3 = (uint16_t)((ipid->Data3 & 0x0fff) | 0x4000);
        ipid->Data4[0] = (uint8_t)((ipid->Data4[0] & 0x3f) | 0x80);
}

static unsigned ipid_hash(const IPID *ipid) {
        return (ipid->Data1 ^ ipid->Data2 ^ (uint32_t)ipid->Data4[7] << 3) % IPID_BUCKETS;
}

static struct ifstub *ipid_find_locked(const IPID *ipid) {
        for (struct ifstub *s = ipids[ipid_hash(ipid)]; s; s = s->hnext)
                if (dcom_guid_equal(&s->ipid, ipid))
                        return s;
        return NULL;
}

static void ipid_insert_locked(struct ifstub *s) {
        unsigned h = ipid_hash(&s->ipid);
        s->hnext = ipids[h];
        ipids[h] = s;
}

static struct privref *privref_find_locked(struct ifstub *s, const char *who, bool create) {
        unsigned n = 0;

        for (struct privref *p = s->privs; p; p = p->next, n++)
                if (strcmp(p->who, who) == 0)
                        return p;
        if (!create || n >= MAX_PRIVREF_HOLDERS)
                return NULL;
        struct privref *p = calloc(1, sizeof *p);
        if (!p)
                return NULL;
        snprintf(p->who, sizeof p->who, "%s", who);
        p->next = s->privs;
        s->privs = p;
        return p;
}

/* Every private reference gone (the IPID goes, or its clients stopped pinging). */
static void privrefs_clear_locked(struct ifstub *s) {
        for (struct privref *p = s->privs, *next; p; p = next) {
                next = p->next;
                free(p);
        }
        s->privs = NULL;
        s->private_refs = 0;
}

static void ipid_remove_locked(struct ifstub *s) {
        for (struct ifstub **p = &ipids[ipid_hash(&s->ipid)]; *p; p = &(*p)->hnext)
                if (*p == s) {
                        *p = s->hnext;
                        return;
                }
}

static struct stubmgr *stubmgr_find_locked(IUnknown *unk) {
        for (struct stubmgr *m = objects; m; m = m->next)
                if (m->unk == unk)
                        return m;
        return NULL;
}

static struct stubmgr *stubmgr_by_oid_locked(const struct exporter *ex, OID oid) {
        for (struct stubmgr *m = objects; m; m = m->next)
                if (m->ex == ex && m->oid == oid)
                        return m;
        return NULL;
}

/*
 * The calls decided for one object's IExternalConnection, made in the order they were
 * decided: one thread at a time delivers them (draining), each outside the lock -- an STA
 * object's on the STA's thread.  At most one call waits: calls alternate (Add, Release,
 * Add...), so a new one and the undelivered one before it cancel out -- the object hears
 * nothing of a connection that came and went, or went and came back, before it was told,
 * and no peer can make the queue grow.  Held by the stub manager and by the thread
 * draining it; everything but conn is under the lock.
 */
struct extq {
        IExternalConnection *conn;      /* held (and so the object) */
        struct com_apartment *apt;      /* held: the object's, where conn's last Release goes */
        IUnknown *id;                   /* the object's identity, while conn holds it */
        bool pending, pending_add, pending_closes;      /* the call waiting */
        unsigned refs;
        bool draining;
        /* its stub manager went while a thread empties it: a new stub manager for the
           object takes it over, so that the object's calls stay in order */
        bool orphan;
        struct extq *orphan_next;
};
static struct extq *orphans;
#define MAX_DRAINS 16

/* What a stub manager going away leaves to release outside the lock. */
struct dead {
        struct extq *drain[MAX_DRAINS]; /* queues this thread empties */
        unsigned n_drain;
        IUnknown *ptrs[64];
        struct com_apartment *apts[64];         /* each one's apartment, held */
        unsigned n;
        OXID oxid[16];
        OID oid[16];
        unsigned n_oids;
        struct com_apartment *mta_release;      /* its last object went: the MTA's hold */
        struct dead *more;
};

/* false: no memory, p was released here (rather than leaked) and apt not taken */
static bool dead_add(struct dead *d, IUnknown *p, struct com_apartment *apt) {
        while (d->n == 64) {
                if (!d->more && !(d->more = calloc(1, sizeof *d->more))) {
                        p->lpVtbl->Release(p);
                        return false;
                }
                d = d->more;
        }
        atomic_fetch_add(&apt->ref, 1);
        d->apts[d->n] = apt;
        d->ptrs[d->n++] = p;
        return true;
}

static void release_task(void *p) {
        ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
}

/* A reference of an object's given back in its apartment: an STA's on its thread. */
static void release_in(IUnknown *p, struct com_apartment *apt) {
        if (apt->type == APTTYPE_MTA || pthread_equal(apt->owner, pthread_self()) ||
            com_apartment_post(apt, release_task, p) < 0)
                p->lpVtbl->Release(p);  /* the MTA, its own thread, or an STA gone */
        com_apartment_release(apt);
}

/* An OID rpcss is to forget, told once the lock is dropped. */
static void dead_add_oid(struct dead *d, OXID oxid, OID oid) {
        while (d->n_oids == 16) {
                if (!d->more && !(d->more = calloc(1, sizeof *d->more)))
                        return;         /* no memory: rpcss runs it down after three periods */
                d = d->more;
        }
        d->oxid[d->n_oids] = oxid;
        d->oid[d->n_oids++] = oid;
}

static void extq_drain(struct extq *q) {
        for (;;) {
                pthread_mutex_lock(&lock);
                bool call = q->pending, add = q->pending_add, closes = q->pending_closes;
                bool last = false;
                q->pending = false;
                if (!call) {
                        q->draining = false;
                        last = --q->refs == 0;  /* its stub manager went meanwhile */
                        if (last && q->orphan) {
                                struct extq **pp = &orphans;
                                while (*pp != q)
                                        pp = &(*pp)->orphan_next;
                                *pp = q->orphan_next;
                        }
                }
                pthread_mutex_unlock(&lock);
                if (!call) {
                        if (last) {
                                release_in((IUnknown *)q->conn, q->apt);        /* and q->apt */
                                free(q);
                        }
                        return;
                }
                if (add)
                        q->conn->lpVtbl->AddConnection(q->conn, EXTCONN_STRONG, 0);
                else
                        q->conn->lpVtbl->ReleaseConnection(q->conn, EXTCONN_STRONG, 0, closes);
        }
}

static void extq_drain_task(void *p) {
        extq_drain(p);
}

/*
 * The queue of a new stub manager for the object id: the one a stub manager of it left
 * while a thread still empties it, so that its calls keep their order, or a new one
 * (taking *conn) -- NULL when there is no memory (the object is then told nothing).
 */
static struct extq *extq_get_locked(IUnknown *id, IExternalConnection **conn,
                                    struct com_apartment *apt) {
        struct extq *q;

        for (struct extq **pp = &orphans; (q = *pp); pp = &q->orphan_next)
                if (q->id == id) {
                        *pp = q->orphan_next;
                        q->orphan = false;
                        q->refs++;
                        return q;       /* *conn stays the caller's to release */
                }
        if (!(q = calloc(1, sizeof *q)))
                return NULL;
        q->conn = *conn;
        *conn = NULL;
        q->apt = apt;
        atomic_fetch_add(&apt->ref, 1);
        q->id = id;
        q->refs = 1;
        return q;
}

/*
 * The object's strong external references -- clients' public and private references,
 * TABLESTRONG marshals, CoLockObjectExternal -- went from none to some (AddConnection) or
 * from some to none (ReleaseConnection; closes is its fLastReleaseCloses), as Windows tells
 * an object that has IExternalConnection: a local server counts its clients with it.
 * TABLEWEAK marshals are no connection.  The call waits in the object's queue (or cancels
 * the one waiting there); a thread that finds nobody delivering does so: on an STA's own
 * thread (a posted task) for an STA object, else this thread once the lock is dropped
 * (dead_release).
 */
static void ext_tell_locked(struct stubmgr *m, struct dead *d, bool strong, bool closes) {
        struct extq *q = m->extq;
        struct com_apartment *apt = m->ex->apt;

        if (!q || strong == m->ext_connected)
                return;
        m->ext_connected = strong;
        if (q->pending) {
                q->pending = false;     /* the opposite call, not yet made: both go */
                return;
        }
        q->pending = true;
        q->pending_add = strong;
        q->pending_closes = closes;
        if (q->draining)
                return;         /* the thread delivering makes this call in its turn */
        q->draining = true;
        q->refs++;
        if (apt->type != APTTYPE_MTA && !pthread_equal(apt->owner, pthread_self()) &&
            com_apartment_post(apt, extq_drain_task, q) == 0)
                return;
        /* the MTA, the STA's own thread, or an STA closing: from here */
        while (d->n_drain == MAX_DRAINS) {
                if (!d->more && !(d->more = calloc(1, sizeof *d->more))) {
                        /* no memory: delivered by whoever decides the next call */
                        q->draining = false;
                        q->refs--;
                        return;
                }
                d = d->more;
        }
        d->drain[d->n_drain++] = q;
}

static void ext_sync_locked(struct stubmgr *m, struct dead *d, bool closes) {
        if (!m->extq)
                return;         /* the object has no IExternalConnection */
        bool strong = m->table_strong || m->locks;

        for (struct ifstub *s = m->ifs; s && !strong; s = s->next)
                strong = s->public_refs || s->private_refs;
        ext_tell_locked(m, d, strong, closes);
}

static void dead_release(struct dead *d) {
        for (struct dead *x = d; x; x = x->more)
                for (unsigned i = 0; i < x->n_drain; i++)
                        extq_drain(x->drain[i]);
        if (d->mta_release)
                com_mta_usage(d->mta_release, false);   /* may end the MTA: not under the lock */
        for (struct dead *x = d, *next; x; x = next) {
                next = x->more;
                for (unsigned i = 0; i < x->n; i++)
                        release_in(x->ptrs[i], x->apts[i]);
                for (unsigned i = 0; i < x->n_oids; i++)
                        com_resolver_remove_oids(x->oxid[i], &x->oid[i], 1);
                if (x != d)
                        free(x);
        }
}

/* The object leaves: every IPID goes (calls get RPC_E_DISCONNECTED), its references too. */
static void stubmgr_disconnect_locked(struct stubmgr *m, struct dead *d) {
        for (struct stubmgr **p = &objects; *p; p = &(*p)->next)
                if (*p == m) {
                        *p = m->next;
                        break;
                }
        for (struct ifstub *s = m->ifs, *next; s; s = next) {
                next = s->next;
                ipid_remove_locked(s);
                privrefs_clear_locked(s);
                dead_add(d, s->itf, m->ex->apt);
                free(s);
        }
        if (m->pinged)
                dead_add_oid(d, m->ex->oxid, m->oid);
        struct extq *q = m->extq;
        if (q && --q->refs == 0) {
                /* nobody is delivering (a call waiting, only if memory ran out, is dropped);
                   conn goes in its apartment; q's hold on that is given back here, never
                   the last one: dead_add took another, or (no memory) the exporter holds
                   its apartment -- q's is that one but for an object re-exported from
                   another apartment, whose hold is then kept (a leak, on no memory only) */
                if (dead_add(d, (IUnknown *)q->conn, q->apt) || q->apt == m->ex->apt)
                        atomic_fetch_sub(&q->apt->ref, 1);
                free(q);
        } else if (q) {
                q->orphan = true;
                q->orphan_next = orphans;
                orphans = q;
        }
        dead_add(d, m->unk, m->ex->apt);
        if (--m->ex->n_objects == 0 && m->ex->apt->type == APTTYPE_MTA && !d->mta_release)
                d->mta_release = m->ex->apt;
        log_debug(com, "object %016llx disconnected", (unsigned long long)m->oid);
        free(m);
}

/* Its strong references went down (closes: IExternalConnection's fLastReleaseCloses); when
   no client, table marshal or lock holds it any more, it goes. */
static void stubmgr_check_locked(struct stubmgr *m, struct dead *d, bool closes) {
        ext_sync_locked(m, d, closes);
        if (m->table_strong || m->table_weak || m->locks)
                return;
        for (struct ifstub *s = m->ifs; s; s = s->next)
                if (s->public_refs || s->private_refs)
                        return;
        stubmgr_disconnect_locked(m, d);
}

/* --- IRemUnknown2 ([MS-DCOM] 3.1.1.5.6, 3.1.1.5.7) --------------------------------------- */

static struct exporter *impl_from_IRemUnknown2(IRemUnknown2 *iface) {
        return (struct exporter *)((char *)iface - offsetof(struct exporter, remunk));
}

static HRESULT STDMETHODCALLTYPE ru_QueryInterface(IRemUnknown2 *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRemUnknown) ||
            IsEqualIID(riid, &IID_IRemUnknown2)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ru_AddRef(IRemUnknown2 *iface) {
        return 2;       /* lives with its exporter */
}

static ULONG STDMETHODCALLTYPE ru_Release(IRemUnknown2 *iface) {
        return 1;
}

/* The object of an IPID of ex's, AddRef'd (its identity), or NULL. */
static IUnknown *object_of(struct exporter *ex, const IPID *ipid, struct stubmgr **ret_sm) {
        IUnknown *unk = NULL;

        pthread_mutex_lock(&lock);
        struct ifstub *s = ipid_find_locked(ipid);
        if (s && s->sm && s->ex == ex) {
                unk = s->sm->unk;
                unk->lpVtbl->AddRef(unk);
                *ret_sm = s->sm;
        }
        pthread_mutex_unlock(&lock);
        return unk;
}

/* The IPID of sm's interface iid (made for itf, whose reference it then keeps), with refs
   more public references; the std a client gets for it.  Under the lock. */
static HRESULT ifstub_get_locked(struct stubmgr *sm, const IID *iid, IUnknown **itf, uint32_t refs,
                                 STDOBJREF *std) {
        struct ifstub *s;
        const struct com_ps *ps = NULL;

        for (s = sm->ifs; s; s = s->next)
                if (dcom_guid_equal(&s->iid, iid))
                        break;
        if (!s) {
                if (!IsEqualIID(iid, &IID_IUnknown) && !(ps = com_ps_find(iid)))
                        return REGDB_E_IIDNOTREG;
                s = calloc(1, sizeof *s);
                if (!s)
                        return E_OUTOFMEMORY;
                s->sm = sm;
                s->ex = sm->ex;
                s->iid = *iid;
                s->ps = ps;
                s->itf = *itf;
                *itf = NULL;            /* the stub keeps the reference */
                random_ipid(&s->ipid);
                s->next = sm->ifs;
                sm->ifs = s;
                ipid_insert_locked(s);
        }
        if (refs > MAX_PUBLIC_REFS - s->public_refs)
                return E_OUTOFMEMORY;
        s->public_refs += refs;
        std->flags = sm->noping ? SORF_NOPING : 0;
        std->cPublicRefs = refs;
        std->oxid = sm->ex->oxid;
        std->oid = sm->oid;
        std->ipid = s->ipid;
        return S_OK;
}

static int register_iface(const IID *iid);

/* [MS-DCOM] 3.1.1.5.6.1.1 */
static HRESULT STDMETHODCALLTYPE ru_RemQueryInterface(IRemUnknown2 *iface, REFIPID ripid, ULONG cRefs,
                                                      unsigned short cIids, IID *iids,
                                                      REMQIRESULT **ppQIResults) {
        struct exporter *ex = impl_from_IRemUnknown2(iface);
        struct stubmgr *sm;
        REMQIRESULT *res;
        IUnknown *unk;

        *ppQIResults = NULL;
        if (!cIids || cIids > MAX_QI_IIDS || cRefs > MAX_PUBLIC_REFS)
                return E_INVALIDARG;
        res = midl_user_allocate(cIids * sizeof *res);
        if (!res)
                return E_OUTOFMEMORY;
        memset(res, 0, cIids * sizeof *res);
        if (!(unk = object_of(ex, ripid, &sm))) {
                midl_user_free(res);
                return RPC_E_INVALID_OBJECT;
        }
        for (unsigned i = 0; i < cIids; i++) {
                IUnknown *itf = NULL;
                HRESULT hr = unk->lpVtbl->QueryInterface(unk, &iids[i], (void **)&itf);
                if (SUCCEEDED(hr) && register_iface(&iids[i]) < 0)
                        hr = REGDB_E_IIDNOTREG;
                if (SUCCEEDED(hr)) {
                        pthread_mutex_lock(&lock);
                        struct dead d = { .n = 0 };
                        if (stubmgr_find_locked(unk) == sm) {
                                hr = ifstub_get_locked(sm, &iids[i], &itf, cRefs, &res[i].std);
                                ext_sync_locked(sm, &d, false);
                        } else {
                                hr = CO_E_OBJNOTCONNECTED;      /* disconnected meanwhile */
                        }
                        pthread_mutex_unlock(&lock);
                        dead_release(&d);
                }
                if (itf)
                        itf->lpVtbl->Release(itf);
                res[i].hResult = hr;
        }
        unk->lpVtbl->Release(unk);
        *ppQIResults = res;
        return S_OK;
}

/* [MS-DCOM] 3.1.1.5.6.1.2: private references are the caller's own (1.3.6) */
static HRESULT STDMETHODCALLTYPE ru_RemAddRef(IRemUnknown2 *iface, unsigned short cInterfaceRefs,
                                              REMINTERFACEREF InterfaceRefs[], HRESULT *pResults) {
        struct exporter *ex = impl_from_IRemUnknown2(iface);
        struct dead d = { .n = 0 };
        HRESULT all = S_OK;
        char who[96];

        com_call_principal(who, sizeof who);
        pthread_mutex_lock(&lock);
        for (unsigned i = 0; i < cInterfaceRefs; i++) {
                struct ifstub *s = ipid_find_locked(&InterfaceRefs[i].ipid);
                uint32_t pub = InterfaceRefs[i].cPublicRefs, priv = InterfaceRefs[i].cPrivateRefs;
                struct privref *p = NULL;
                HRESULT hr = S_OK;
                if (!s || s->ex != ex || !s->sm)
                        hr = E_INVALIDARG;
                else if (pub > MAX_PUBLIC_REFS - s->public_refs ||
                         priv > MAX_PUBLIC_REFS - s->private_refs ||
                         (priv && !(p = privref_find_locked(s, who, true))))
                        hr = E_OUTOFMEMORY;
                else {
                        s->public_refs += pub;
                        s->private_refs += priv;
                        if (p)
                                p->refs += priv;
                        ext_sync_locked(s->sm, &d, false);
                }
                if (pResults)
                        pResults[i] = hr;
                if (FAILED(hr))
                        all = S_FALSE;
        }
        pthread_mutex_unlock(&lock);
        dead_release(&d);
        return all;
}

/* [MS-DCOM] 3.1.1.5.6.1.3: a client releases only the private references it holds */
static HRESULT STDMETHODCALLTYPE ru_RemRelease(IRemUnknown2 *iface, unsigned short cInterfaceRefs,
                                               REMINTERFACEREF InterfaceRefs[]) {
        struct exporter *ex = impl_from_IRemUnknown2(iface);
        struct dead d = { .n = 0 };
        char who[96];

        com_call_principal(who, sizeof who);
        pthread_mutex_lock(&lock);
        for (unsigned i = 0; i < cInterfaceRefs; i++) {
                struct ifstub *s = ipid_find_locked(&InterfaceRefs[i].ipid);
                if (!s || s->ex != ex || !s->sm)
                        continue;
                uint32_t pub = InterfaceRefs[i].cPublicRefs, priv = InterfaceRefs[i].cPrivateRefs;
                s->public_refs -= pub < s->public_refs ? pub : s->public_refs;
                struct privref *p = priv ? privref_find_locked(s, who, false) : NULL;
                if (p) {
                        uint32_t n = priv < p->refs ? priv : p->refs;
                        p->refs -= n;
                        s->private_refs -= n;
                        if (!p->refs) {
                                struct privref **pp = &s->privs;
                                while (*pp != p)
                                        pp = &(*pp)->next;
                                *pp = p->next;
                                free(p);
                        }
                } else if (priv) {
                        log_debug(com, "RemRelease of %u private references on an IPID by %s, "
                                  "who holds none: ignored", (unsigned)priv, who[0] ? who : "?");
                }
                stubmgr_check_locked(s->sm, &d, true);
        }
        pthread_mutex_unlock(&lock);
        dead_release(&d);
        return S_OK;
}

/* [MS-DCOM] 3.1.1.5.7.1.1: each interface as an OBJREF of its own */
static HRESULT STDMETHODCALLTYPE ru_RemQueryInterface2(IRemUnknown2 *iface, REFIPID ripid,
                                                       unsigned short cIids, IID *iids, HRESULT *phr,
                                                       PMInterfacePointer *ppMIF) {
        struct exporter *ex = impl_from_IRemUnknown2(iface);
        struct stubmgr *sm;
        IUnknown *unk;

        if (!cIids || cIids > MAX_QI_IIDS)
                return E_INVALIDARG;
        for (unsigned i = 0; i < cIids; i++) {
                phr[i] = E_NOINTERFACE;
                ppMIF[i] = NULL;
        }
        if (!(unk = object_of(ex, ripid, &sm)))
                return RPC_E_INVALID_OBJECT;
        for (unsigned i = 0; i < cIids; i++) {
                struct objref o;
                struct buf b;
                HRESULT hr = com_export(unk, &iids[i], MSHCTX_DIFFERENTMACHINE, MSHLFLAGS_NORMAL, &o);
                if (FAILED(hr)) {
                        phr[i] = hr;
                        continue;
                }
                buf_init(&b, NDR_OBJREF_MAX);
                if (objref_write(&b, &o) >= 0 &&
                    (ppMIF[i] = midl_user_allocate(offsetof(MInterfacePointer, abData) + b.len))) {
                        ppMIF[i]->ulCntData = (ULONG)b.len;
                        memcpy(ppMIF[i]->abData, b.data, b.len);
                        phr[i] = S_OK;
                } else {
                        com_export_release(&o.std, o.std.cPublicRefs, true);
                        phr[i] = E_OUTOFMEMORY;
                }
                buf_free(&b);
                objref_clear(&o);
        }
        unk->lpVtbl->Release(unk);
        return S_OK;
}

static const IRemUnknown2Vtbl remunk_vtbl = {
        ru_QueryInterface, ru_AddRef, ru_Release, ru_RemQueryInterface, ru_RemAddRef,
        ru_RemRelease, ru_RemQueryInterface2,
};

static void exporter_free(struct exporter *ex) {
        free(ex->remunk_stub);
        free(ex);
}

/* --- ORPC calls ([MS-DCOM] 3.1.1.5.4) ---------------------------------------------------------- */

/*
 * A call for an STA object, run on the STA's thread: the interface pointer is looked up
 * and AddRef'd there, not on the RPC worker -- an STA object's reference count is its
 * thread's alone (it need not be atomic), and its last Release runs there too.
 */
struct sta_call {
        const struct ndr_interface *iface;
        IPID ipid;
        struct ndr_server_call *call;
        uint16_t opnum;
        uint32_t fault;
        int r;
        bool done;
        pthread_mutex_t m;
        pthread_cond_t c;
};

static bool is_remunk_iid(const GUID *g);

static void sta_run(void *ctx) {
        struct sta_call *sc = ctx;
        IUnknown *itf = NULL, *s_unk = NULL;
        bool held = false;
        int r = 0;

        pthread_mutex_lock(&lock);
        struct ifstub *s = ipid_find_locked(&sc->ipid);
        if (s && (s->sm ? dcom_guid_equal(&s->iid, &sc->iface->uuid) : is_remunk_iid(&sc->iface->uuid))) {
                itf = s->itf;
                if ((held = s->sm != NULL)) {
                        itf->lpVtbl->AddRef(itf);
                        s_unk = s->sm->unk;     /* the identity: alive while itf is held */
                }
        }
        pthread_mutex_unlock(&lock);
        uint32_t refused = 0;
        /* the apartment's message filter admits an object's call, or not (IRemUnknown's
           are not its to refuse) */
        if (itf && held)
                refused = com_filter_incoming(com_current_apartment(), s_unk, &sc->iface->uuid,
                                              sc->opnum, sc->call->in);
        if (!itf) {
                sc->fault = (uint32_t)RPC_E_DISCONNECTED;       /* disconnected meanwhile */
        } else if (refused) {
                sc->fault = refused;
                itf->lpVtbl->Release(itf);
        } else {
                sc->call->impl = itf;
                void *cc = com_call_enter(sc->call);
                if (cc) {
                        com_errorext_begin();
                        r = sc->iface->ops[sc->opnum].dispatch(sc->call);
                        if (r >= 0)
                                com_errorext_response(sc->call->out);
                        else    /* no answer: what it marshaled is given back here */
                                ndr_push_iface_unsend(sc->call->out);
                        com_call_leave(cc);
                } else {
                        sc->fault = (uint32_t)E_OUTOFMEMORY;    /* no context: not run */
                }
                /* what the call pulled is given up here, in the object's apartment: the
                   response holds copies, the arena's contents are done with */
                arena_reset(sc->call->arena);
                if (held)
                        itf->lpVtbl->Release(itf);
        }
        pthread_mutex_lock(&sc->m);
        sc->r = r;
        sc->done = true;
        pthread_cond_signal(&sc->c);
        pthread_mutex_unlock(&sc->m);
}

/* Runs the call on the STA's thread (it runs posted work while it pumps). */
static int run_in_sta(struct com_apartment *apt, const struct ndr_interface *iface, const IPID *ipid,
                      uint16_t opnum, struct ndr_server_call *call, uint32_t *ret_fault) {
        struct sta_call sc = { .iface = iface, .ipid = *ipid, .call = call, .opnum = opnum };
        int r;

        pthread_mutex_init(&sc.m, NULL);
        pthread_cond_init(&sc.c, NULL);
        r = com_apartment_post(apt, sta_run, &sc);
        if (r < 0) {
                *ret_fault = (uint32_t)RPC_E_DISCONNECTED;      /* the apartment is gone */
        } else {
                pthread_mutex_lock(&sc.m);
                while (!sc.done)
                        pthread_cond_wait(&sc.c, &sc.m);
                pthread_mutex_unlock(&sc.m);
                r = sc.r;
                if (sc.fault)
                        *ret_fault = sc.fault;
        }
        pthread_cond_destroy(&sc.c);
        pthread_mutex_destroy(&sc.m);
        return r;
}

static bool is_remunk_iid(const GUID *g) {
        return dcom_guid_equal(g, &IID_IRemUnknown) || dcom_guid_equal(g, &IID_IRemUnknown2);
}

/*
 * Who may call objects of this process: the machine's access restriction, then the
 * process's access permission and authentication level (CoInitializeSecurity's, else its
 * AppID's, else the machine's defaults: src/com/security.c).  Refusals are audited.
 */
static bool caller_allowed(struct ndr_server_call *call) {
        return com_security_check_call(call);
}

/* The runtime's invoke hook for every object interface: ctx is the interface's stubs. */
static int orpc_invoke(struct ndr_server_call *call, uint16_t opnum, void *ctx, uint32_t *ret_fault) {
        const struct ndr_interface *iface = ctx;
        const GUID *ipid = rpc_call_object(call);

        if (!caller_allowed(call)) {
                *ret_fault = ERROR_ACCESS_DENIED;
                return 0;
        }
        struct com_apartment *apt = NULL;
        struct exporter *ex = NULL;
        IUnknown *itf = NULL;
        bool ok = false, held = false;
        int r;

        bool sta = false;

        pthread_mutex_lock(&lock);
        struct ifstub *s = ipid ? ipid_find_locked(ipid) : NULL;
        if (s && (s->sm ? dcom_guid_equal(&s->iid, &iface->uuid) : is_remunk_iid(&iface->uuid))) {
                ok = true;
                itf = s->itf;
                ex = s->ex;
                atomic_fetch_add_explicit(&ex->busy, 1, memory_order_relaxed);
                apt = ex->apt;
                sta = apt->type != APTTYPE_MTA && !pthread_equal(apt->owner, pthread_self());
                /* an STA object's reference is taken on its own thread (sta_run) */
                if (!sta && (held = s->sm != NULL))
                        itf->lpVtbl->AddRef(itf);
                atomic_fetch_add(&apt->ref, 1);
        }
        pthread_mutex_unlock(&lock);
        if (!ok) {
                /* an IPID we do not have, or one of another interface */
                *ret_fault = (uint32_t)RPC_E_DISCONNECTED;
                return 0;
        }
        call->impl = itf;
        if (opnum < 3 || !iface->ops[opnum].dispatch)
                r = -EOPNOTSUPP;        /* IUnknown's methods go to IRemUnknown */
        else if (sta)
                r = run_in_sta(apt, iface, ipid, opnum, call, ret_fault);
        else {
                void *cc = com_call_enter(call);
                if (cc) {
                        com_errorext_begin();
                        r = iface->ops[opnum].dispatch(call);
                        if (r >= 0)     /* [MS-DCOM] 2.2.21.1: the method's error object */
                                com_errorext_response(call->out);
                        else    /* a fault goes back: what the stub marshaled is undone */
                                ndr_push_iface_unsend(call->out);
                        com_call_leave(cc);
                } else {
                        *ret_fault = (uint32_t)E_OUTOFMEMORY;   /* no context: not run */
                        r = 0;
                }
        }
        /* [MS-DCOM] 3.1.1.5.4: another major version, or a higher minor one */
        if (r == -EPROTONOSUPPORT)
                *ret_fault = (uint32_t)RPC_E_VERSION_MISMATCH;
        if (held)
                itf->lpVtbl->Release(itf);
        com_apartment_release(apt);
        /* (its apartment gone meanwhile, this was the last call in it) */
        if (atomic_fetch_sub_explicit(&ex->busy, 1, memory_order_acq_rel) == 1)
                exporter_free(ex);
        return r;
}

/* Lets the listener take calls to iid's interface (its stubs registered). */
static int register_iface(const IID *iid) {
        const struct com_ps *ps;

        if (IsEqualIID(iid, &IID_IUnknown))
                return 0;
        if (!(ps = com_ps_find(iid)))
                return -ENOENT;
        if (!srv)
                return -ENOTCONN;
        return rpc_server_register_object_if(srv, ps->iface, min_level, orpc_invoke,
                                             (void *)ps->iface);
}

static const struct objact_v1_0_epv objact_epv;

/* --- listening ------------------------------------------------------------------------------- */

static void add_addr(struct dsa_builder *b, const char *addr, uint16_t port) {
        char s[96];

        snprintf(s, sizeof s, "%s[%u]", addr, port);
        dsa_builder_add_string(b, DSA_TOWER_TCP, s);
}

/*
 * An address list: the environment variable (comma-separated; tests, private instances)
 * or else HKLM\Software\OpenDCOM\Remoting's REG_MULTI_SZ value; "" when neither.
 */
static void address_setting(const char *env, const WCHAR *value, char *out, size_t size) {
        const char *e = getenv(env);
        WCHAR w[1024];
        DWORD n = sizeof w;

        out[0] = 0;
        if (e && *e) {
                snprintf(out, size, "%s", e);
                return;
        }
        if (RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Remoting", value,
                         RRF_RT_REG_MULTI_SZ, NULL, w, &n) != ERROR_SUCCESS)
                return;
        size_t len = 0;
        for (const WCHAR *p = w; p < w + n / 2 && *p; p += dcom_utf16_len(p) + 1) {
                char *u;
                if (dcom_utf16_to_utf8(p, dcom_utf16_len(p), &u, NULL) < 0)
                        continue;
                len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s",
                                        len ? "," : "", u);
                free(u);
                if (len >= size) {
                        out[size - 1] = 0;
                        break;
                }
        }
}

/*
 * The addresses clients may reach us at: the advertised list (names or addresses: NAT,
 * multi-homed hosts) when set, else those we listen on -- every address of the host's
 * interfaces when we listen on all.
 */
static void advertise(struct dsa_builder *b, const char *listen, uint16_t port) {
        char adv[512];
        address_setting("OPENDCOM_ORPC_ADVERTISE", u"AdvertisedAddresses", adv, sizeof adv);
        const char *list = *adv ? adv : listen;
        struct ifaddrs *ifa;

        if (list && *list) {
                char tmp[512];
                snprintf(tmp, sizeof tmp, "%s", list);
                for (char *save, *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
                        add_addr(b, t, port);
                return;
        }
        if (getifaddrs(&ifa) < 0)
                return;
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                char s[INET6_ADDRSTRLEN];
                if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
                        continue;
                if (i->ifa_addr->sa_family == AF_INET)
                        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, s, sizeof s);
                else if (i->ifa_addr->sa_family == AF_INET6 &&
                         !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
                        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, s, sizeof s);
                else
                        continue;
                add_addr(b, s, port);
        }
        freeifaddrs(ifa);
}

/*
 * A child of fork() has none of the parent's threads, listener or clients: it starts
 * afresh (the parent's objects stay the parent's; what the tables held is left behind).
 */
static void atfork_child(void) {
        pthread_mutex_init(&lock, NULL);
        exporters = NULL;
        objects = NULL;
        memset(ipids, 0, sizeof ipids);
        srv = NULL;
        own_bindings = NULL;
        resolver_bindings = NULL;
        rundown_started = false;
        lrpc_path[0] = 0;       /* the parent's socket is the parent's to remove */
}

static void atfork_register(void) {
        pthread_atfork(NULL, NULL, atfork_child);
}

/* The ncalrpc socket goes with the process (a server that exits without stopping). */
static void unlink_socket(void) {
        if (lrpc_path[0] && srv)
                unlink(lrpc_path);
}

/*
 * The listener, on the first marshal ([MS-DCOM] 3.1.1.3: listening is deferred until
 * then): ncalrpc:[OLE<random>] for this machine, TCP on a dynamic port on the
 * ListenAddresses (OPENDCOM_ORPC_LISTEN) or on every address.
 */
static int listen_locked(void) {
        struct dsa_builder b;
        uint64_t rnd = random_id();
        char listen[512];
        uint16_t port = 0;
        int r;

        static pthread_once_t once = PTHREAD_ONCE_INIT;

        if (srv)
                return 0;
        pthread_once(&once, atfork_register);
        /* the process's security is settled by its first marshal ([MS-DCOM] 3.1.1.3;
           CoInitializeSecurity after this is RPC_E_TOO_LATE) */
        if (!min_level)
                min_level = com_security_authn_level();
        /* the AppID's static endpoint (Endpoints "ncacn_ip_tcp,0,PORT"), else a dynamic port */
        port = com_security_tcp_port();
        rpc_auth_register_defaults();
        address_setting("OPENDCOM_ORPC_LISTEN", u"ListenAddresses", listen, sizeof listen);
        if (!(srv = rpc_server_new()))
                return -ENOMEM;
        snprintf(lrpc_ep, sizeof lrpc_ep, "OLE%016llX", (unsigned long long)rnd);
        /* open to every local user: rpcss (its own account) asks for activations here,
           and every call is checked by the kernel's word on its caller (caller_allowed,
           objact_create) -- the socket's mode decides nothing */
        r = rpc_server_listen_lrpc(srv, lrpc_ep, 0666);
        if (r >= 0) {
                if (*listen) {
                        char tmp[512];
                        snprintf(tmp, sizeof tmp, "%s", listen);
                        for (char *save, *t = strtok_r(tmp, ", ", &save); t && r >= 0;
                             t = strtok_r(NULL, ", ", &save))
                                r = rpc_server_listen_tcp(srv, t, port, &port);
                } else {
                        r = rpc_server_listen_tcp(srv, NULL, port, &port);
                }
        }
        if (r >= 0) {
                dsa_builder_init(&b);
                advertise(&b, listen, port);
                dsa_builder_add_string(&b, DSA_TOWER_LRPC, lrpc_ep);
                /* [MS-DCOM] 2.2.19.3: the services a client may authenticate with --
                   those the process takes calls with (CoInitializeSecurity's list) */
                uint8_t svcs[16];
                unsigned n_svcs = com_security_advertised_svcs(svcs, 16);
                for (unsigned i = 0; i < n_svcs; i++)
                        dsa_builder_add_security(&b, svcs[i], "");
                r = dsa_builder_finish(&b, &own_bindings);
        }
        /* rpcss's activation requests (objact), local only: checked per call */
        if (r >= 0)
                r = rpc_server_register_if(srv, &objact_v1_0_s_interface, &objact_epv);
        if (r >= 0)
                r = rpc_server_register_object_if(srv, &IRemUnknown_p_interface, min_level,
                                                  orpc_invoke, (void *)&IRemUnknown_p_interface);
        if (r >= 0)
                r = rpc_server_register_object_if(srv, &IRemUnknown2_p_interface, min_level,
                                                  orpc_invoke, (void *)&IRemUnknown2_p_interface);
        if (r < 0) {
                log_debug(com, "the object exporter cannot listen: %s", strerror(-r));
                rpc_server_free(srv);
                srv = NULL;
                free(own_bindings);
                own_bindings = NULL;
                return r;
        }
        log_debug(com, "object exporter listening: ncalrpc:[%s], TCP port %u", lrpc_ep, port);
        if (rpc_lrpc_path(lrpc_ep, lrpc_path, sizeof lrpc_path) >= 0 && !unlink_registered)
                unlink_registered = atexit(unlink_socket) == 0;
        return 0;
}

int com_exporter_local_binding(char *buf, size_t size) {
        int r;

        pthread_mutex_lock(&lock);
        r = listen_locked();
        if (r >= 0)
                snprintf(buf, size, "ncalrpc:[%s]", lrpc_ep);
        pthread_mutex_unlock(&lock);
        return r;
}

/* --- exporters --------------------------------------------------------------------------------- */

static struct exporter *exporter_get_locked(struct com_apartment *apt) {
        struct exporter *ex;

        for (ex = exporters; ex; ex = ex->next)
                if (ex->apt == apt)
                        return ex;
        if (!(ex = calloc(1, sizeof *ex)) || !(ex->remunk_stub = calloc(1, sizeof *ex->remunk_stub))) {
                free(ex);
                return NULL;
        }
        atomic_fetch_add(&apt->ref, 1);
        atomic_init(&ex->busy, 1);
        ex->apt = apt;
        ex->oxid = random_id();
        ex->remunk.lpVtbl = &remunk_vtbl;
        random_ipid(&ex->ipid_remunk);
        ex->remunk_stub->ex = ex;
        ex->remunk_stub->ipid = ex->ipid_remunk;
        ex->remunk_stub->iid = IID_IRemUnknown2;
        ex->remunk_stub->itf = (IUnknown *)&ex->remunk;
        ipid_insert_locked(ex->remunk_stub);
        ex->next = exporters;
        exporters = ex;
        return ex;
}

bool com_exporter_is_local(OXID oxid) {
        bool found = false;

        pthread_mutex_lock(&lock);
        for (struct exporter *ex = exporters; ex; ex = ex->next)
                if (ex->oxid == oxid)
                        found = true;
        pthread_mutex_unlock(&lock);
        return found;
}

bool com_exporter_oxid_info(OXID oxid, IPID *ret_ipid_remunk, uint32_t *ret_hint) {
        bool found = false;

        pthread_mutex_lock(&lock);
        for (struct exporter *ex = exporters; ex; ex = ex->next)
                if (ex->oxid == oxid) {
                        *ret_ipid_remunk = ex->ipid_remunk;
                        *ret_hint = min_level;
                        found = true;
                }
        pthread_mutex_unlock(&lock);
        return found;
}

/* The authentication hint clients get ([MS-DCOM] 3.1.2.5.1.1: the level the exporter wants) */
static uint32_t authn_hint(void) {
        return min_level;
}

static void *rundown_main(void *arg);

static void start_rundown_locked(void);

/* Registers ex with rpcss so that other processes and machines resolve its OXID. */
static HRESULT register_locked(struct exporter *ex) {
        DUALSTRINGARRAY *res = NULL;
        int r;

        if (ex->registered)
                return S_OK;
        r = com_resolver_register_oxid(ex->oxid, &ex->ipid_remunk, authn_hint(), own_bindings, &res);
        if (r < 0) {
                log_debug(com, "registering OXID %016llx with rpcss: %s",
                          (unsigned long long)ex->oxid, strerror(-r));
                return HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
        }
        ex->registered = true;
        if (res) {
                free(resolver_bindings);
                resolver_bindings = res;
        }
        start_rundown_locked();
        return S_OK;
}

static void start_rundown_locked(void) {
        bool paused = com_impersonation_pause();        /* the process's, not a caller's */
        bool made = !rundown_started && pthread_create(&rundown_thread, NULL, rundown_main, NULL) == 0;
        com_impersonation_resume(paused);
        if (made) {
                pthread_detach(rundown_thread);
                rundown_started = true;
        }
}

/*
 * Registers the caller's apartment's exporter with rpcss before com_export takes the
 * lock: the call to rpcss (up to its timeout when rpcss is slow) then holds up no ORPC
 * call of the process.  Two threads doing it at once both ask; the second answer
 * (EEXIST) is as good as the first.  An object exported earlier from another
 * apartment is registered by com_export itself, under the lock.
 */
static void preregister(struct com_apartment *apt) {
        struct exporter *ex;
        DUALSTRINGARRAY *res = NULL;
        OXID oxid;
        IPID ipid;
        int r;

        pthread_mutex_lock(&lock);
        if (listen_locked() < 0 || !(ex = exporter_get_locked(apt)) || ex->registered) {
                pthread_mutex_unlock(&lock);
                return;
        }
        oxid = ex->oxid;
        ipid = ex->ipid_remunk;
        const DUALSTRINGARRAY *bindings = own_bindings;         /* set once, while listening */
        pthread_mutex_unlock(&lock);
        r = com_resolver_register_oxid(oxid, &ipid, authn_hint(), bindings, &res);
        pthread_mutex_lock(&lock);
        if (r >= 0 || r == -EEXIST) {
                bool found = false;
                for (ex = exporters; ex; ex = ex->next)
                        if (ex->oxid == oxid) {
                                found = true;
                                if (!ex->registered) {
                                        ex->registered = true;
                                        start_rundown_locked();
                                }
                        }
                if (!found && r >= 0) {
                        /* the apartment ended meanwhile: its OXID goes again */
                        pthread_mutex_unlock(&lock);
                        com_resolver_revoke_oxid(oxid);
                        free(res);
                        return;
                }
                if (res) {
                        free(resolver_bindings);
                        resolver_bindings = res;
                        res = NULL;
                }
        }
        pthread_mutex_unlock(&lock);
        free(res);
}

HRESULT com_exporter_offer(struct com_apartment *apt, OXID *ret) {
        struct exporter *ex;
        HRESULT hr = S_OK;

        preregister(apt);
        pthread_mutex_lock(&lock);
        if (listen_locked() < 0)
                hr = HRESULT_FROM_WIN32(RPC_S_OUT_OF_RESOURCES);
        else if (!(ex = exporter_get_locked(apt)))
                hr = E_OUTOFMEMORY;
        else if (SUCCEEDED(hr = register_locked(ex)))
                *ret = ex->oxid;
        pthread_mutex_unlock(&lock);
        return hr;
}

/* --- objact: rpcss asks for instances of our registered classes ---------------------------- */

/* rpcss's user: the owner of its ncalrpc:[epmapper] socket.  That socket is in the
   machine's runtime directory, where only root and rpcss's account can create one
   (src/rpc/server.c, rpc_lrpc_path): it is not planted by a stranger -- and should
   someone have made that directory writable, its owner must be the directory's too. */
static bool is_rpcss_user(uid_t uid) {
        char path[256];
        struct stat st, dir;

        if (rpc_lrpc_path("epmapper", path, sizeof path) < 0 || lstat(path, &st) < 0 ||
            !S_ISSOCK(st.st_mode) || st.st_uid != uid)
                return false;
        *strrchr(path, '/') = 0;
        return uid == 0 || (stat(path, &dir) == 0 && dir.st_uid == uid);
}

static HRESULT objact_create(handle_t h, ULONG cookie, GUID *clsid, ULONG class_object, ULONG dest,
                             ULONG n, IID *iids, HRESULT *results, PMInterfacePointer *ifaces) {
        struct rpc_peer peer;
        uint8_t **blobs;
        size_t *lens;
        HRESULT hr;

        for (ULONG i = 0; i < n; i++) {
                results[i] = E_NOINTERFACE;
                ifaces[i] = NULL;
        }
        if (rpc_call_protseq(h) != RPC_PROTSEQ_LRPC || rpc_call_peer(h, &peer) < 0 ||
            !peer.has_cred ||
            (peer.uid != geteuid() && peer.uid != 0 && !is_rpcss_user(peer.uid))) {
                rpc_audit("activation request refused: local user %u is not rpcss's",
                          (unsigned)peer.uid);
                return E_ACCESSDENIED;
        }
        if (!clsid || !iids || n == 0)
                return E_INVALIDARG;
        blobs = calloc(n, sizeof *blobs);
        lens = calloc(n, sizeof *lens);
        if (!blobs || !lens) {
                free(blobs);
                free(lens);
                return E_OUTOFMEMORY;
        }
        hr = com_class_table_activate(cookie, clsid, class_object != 0, dest, n, iids, results,
                                      blobs, lens);
        for (ULONG i = 0; i < n; i++) {
                if (blobs[i] && SUCCEEDED(results[i])) {
                        /* the reply's memory: the call's arena */
                        MInterfacePointer *mip = midl_user_allocate(sizeof *mip + lens[i]);
                        if (mip) {
                                mip->ulCntData = (ULONG)lens[i];
                                memcpy(mip->abData, blobs[i], lens[i]);
                                ifaces[i] = mip;
                        } else {
                                results[i] = E_OUTOFMEMORY;
                        }
                }
                free(blobs[i]);
        }
        free(blobs);
        free(lens);
        return hr;
}

static const struct objact_v1_0_epv objact_epv = { .ObjactCreate = objact_create };

/* com_export, or (as_lock) CoLockObjectExternal's: the stub manager counts a lock, the
   OBJREF gets no references */
static HRESULT export_object(IUnknown *unk, const IID *iid, DWORD dest, DWORD mshlflags,
                             bool as_lock, struct objref *o) {
        struct com_apartment *apt = com_apartment_get();
        IUnknown *id = NULL, *itf = NULL;
        struct exporter *ex;
        struct stubmgr *sm;
        HRESULT hr;
        uint32_t refs = as_lock || (mshlflags & (MSHLFLAGS_TABLESTRONG | MSHLFLAGS_TABLEWEAK))
                                ? 0 : COM_MARSHAL_REFS;
        bool created = false;
        bool add_oid = false;
        IExternalConnection *extconn = NULL;
        struct dead d = { .n = 0 };

        memset(o, 0, sizeof *o);
        if (!apt)
                return CO_E_NOTINITIALIZED;
        hr = unk->lpVtbl->QueryInterface(unk, &IID_IUnknown, (void **)&id);
        if (FAILED(hr))
                goto out_apt;
        hr = id->lpVtbl->QueryInterface(id, iid, (void **)&itf);
        if (FAILED(hr))
                goto out_id;
        if (dest != MSHCTX_INPROC)
                preregister(apt);       /* rpcss asked without the lock, in the common case */
        com_ps_find(iid);               /* a proxy/stub library is loaded without the lock */
        bool asked = false;
again:
        pthread_mutex_lock(&lock);
        if (listen_locked() < 0) {
                hr = HRESULT_FROM_WIN32(RPC_S_OUT_OF_RESOURCES);
                goto out_unlock;
        }
        if (register_iface(iid) < 0) {
                hr = REGDB_E_IIDNOTREG;
                goto out_unlock;
        }
        sm = stubmgr_find_locked(id);
        if (!sm && !asked) {
                /* a new stub manager keeps the object's IExternalConnection, if it has one:
                   asked without the lock (object code), then looked up again */
                pthread_mutex_unlock(&lock);
                if (FAILED(id->lpVtbl->QueryInterface(id, &IID_IExternalConnection,
                                                      (void **)&extconn)))
                        extconn = NULL;
                asked = true;
                goto again;
        }
        if (!sm) {
                /* the object lives in the apartment that exports it first */
                if (!(ex = exporter_get_locked(apt)) || !(sm = calloc(1, sizeof *sm))) {
                        hr = E_OUTOFMEMORY;
                        goto out_unlock;
                }
                sm->ex = ex;
                sm->unk = id;
                id->lpVtbl->AddRef(id);
                if (extconn)
                        sm->extq = extq_get_locked(id, &extconn, ex->apt);
                /* objects exported from the MTA keep it alive, as its threads do */
                if (ex->n_objects++ == 0)
                        com_mta_usage(ex->apt, true);
                sm->oid = random_id();
                created = true;
                sm->noping = mshlflags & MSHLFLAGS_NOPING;
                sm->next = objects;
                objects = sm;
        }
        ex = sm->ex;
        if (dest != MSHCTX_INPROC && FAILED(hr = register_locked(ex))) {
                if (created)
                        stubmgr_check_locked(sm, &d, true);     /* with nothing: gone again */
                goto out_unlock;
        }
        /* the bindings first: nothing is counted for a marshal that cannot be written */
        o->res = dsa_dup(dest != MSHCTX_INPROC && resolver_bindings ? resolver_bindings
                                                                      : own_bindings);
        hr = o->res ? ifstub_get_locked(sm, iid, &itf, refs, &o->std) : E_OUTOFMEMORY;
        if (FAILED(hr) && created)
                stubmgr_check_locked(sm, &d, false);    /* with nothing: gone again */
        if (SUCCEEDED(hr)) {
                if (as_lock) {
                        sm->locks++;
                } else if (mshlflags & MSHLFLAGS_TABLESTRONG) {
                        sm->table_strong++;
                        o->std.flags |= SORFP_TABLESTRONG;
                } else if (mshlflags & MSHLFLAGS_TABLEWEAK) {
                        sm->table_weak++;
                }
                ext_sync_locked(sm, &d, false);
                if (!sm->noping && !sm->pinged && dest != MSHCTX_INPROC) {
                        sm->pinged = true;
                        add_oid = true;
                }
                o->flags = OBJREF_STANDARD;
                o->iid = *iid;
        }
        if (add_oid && SUCCEEDED(hr)) {
                OXID oxid = ex->oxid;
                OID oid = sm->oid;
                pthread_mutex_unlock(&lock);
                if (com_resolver_add_oids(oxid, &oid, 1) < 0)
                        log_debug(com, "rpcss does not take OID %016llx for pinging",
                                  (unsigned long long)oid);
                goto out_itf;
        }
out_unlock:
        pthread_mutex_unlock(&lock);
out_itf:
        dead_release(&d);
        if (itf)
                itf->lpVtbl->Release(itf);
out_id:
        if (extconn)
                extconn->lpVtbl->Release(extconn);
        id->lpVtbl->Release(id);
out_apt:
        com_apartment_release(apt);
        if (FAILED(hr))
                objref_clear(o);
        return hr;
}

HRESULT com_export(IUnknown *unk, const IID *iid, DWORD dest, DWORD mshlflags, struct objref *o) {
        return export_object(unk, iid, dest, mshlflags, false, o);
}

HRESULT com_export_unmarshal_local(const STDOBJREF *std, const IID *iid, bool release, void **ret) {
        struct com_apartment *apt = com_apartment_get();
        struct dead d = { .n = 0 };
        IUnknown *unk = NULL;
        HRESULT hr = CO_E_OBJNOTCONNECTED;

        *ret = NULL;
        pthread_mutex_lock(&lock);
        struct ifstub *s = ipid_find_locked(&std->ipid);
        if (s && s->sm && s->sm->oid == std->oid && s->ex->oxid == std->oxid) {
                struct com_apartment *home = s->ex->apt;
                if (home == apt || (home->type == APTTYPE_MTA && (!apt || apt->type == APTTYPE_MTA))) {
                        unk = s->sm->unk;
                        unk->lpVtbl->AddRef(unk);
                        hr = S_OK;
                } else {
                        hr = S_FALSE;   /* another apartment: a proxy */
                }
                if (release) {
                        uint32_t n = std->cPublicRefs;
                        if (hr == S_OK) {
                                s->public_refs -= n < s->public_refs ? n : s->public_refs;
                                stubmgr_check_locked(s->sm, &d, false);
                        }
                }
        }
        pthread_mutex_unlock(&lock);
        dead_release(&d);
        if (apt)
                com_apartment_release(apt);
        if (hr != S_OK)
                return hr;
        hr = unk->lpVtbl->QueryInterface(unk, iid, ret);
        unk->lpVtbl->Release(unk);
        return hr;
}

HRESULT com_export_release(const STDOBJREF *std, unsigned refs, bool rollback) {
        struct dead d = { .n = 0 };
        HRESULT hr = CO_E_OBJNOTCONNECTED;

        pthread_mutex_lock(&lock);
        struct ifstub *s = ipid_find_locked(&std->ipid);
        if (s && s->sm && s->sm->oid == std->oid) {
                if (refs)
                        s->public_refs -= refs < s->public_refs ? refs : s->public_refs;
                else {
                        /* a table marshal's data released */
                        unsigned *n = std->flags & SORFP_TABLESTRONG ? &s->sm->table_strong
                                                                     : &s->sm->table_weak;
                        if (*n)
                                (*n)--;
                }
                stubmgr_check_locked(s->sm, &d, !rollback);
                hr = S_OK;
        }
        pthread_mutex_unlock(&lock);
        dead_release(&d);
        return hr;
}

void com_export_local_proxy(OXID oxid, OID oid, bool add) {
        pthread_mutex_lock(&lock);
        for (struct exporter *ex = exporters; ex; ex = ex->next) {
                if (ex->oxid != oxid)
                        continue;
                struct stubmgr *m = stubmgr_by_oid_locked(ex, oid);
                if (m && (add || m->local_proxies))
                        m->local_proxies += add ? 1 : -1;
        }
        pthread_mutex_unlock(&lock);
}

HRESULT com_export_disconnect(IUnknown *unk) {
        struct dead d = { .n = 0 };
        IUnknown *id;

        if (FAILED(unk->lpVtbl->QueryInterface(unk, &IID_IUnknown, (void **)&id)))
                return S_OK;
        pthread_mutex_lock(&lock);
        struct stubmgr *m = stubmgr_find_locked(id);
        if (m)
                stubmgr_disconnect_locked(m, &d);
        pthread_mutex_unlock(&lock);
        id->lpVtbl->Release(id);
        dead_release(&d);
        return S_OK;
}

HRESULT com_export_lock(IUnknown *unk, bool lck, bool last_unlock_releases) {
        struct objref o;
        struct dead d = { .n = 0 };
        IUnknown *id;
        HRESULT hr = S_OK;

        if (FAILED(hr = unk->lpVtbl->QueryInterface(unk, &IID_IUnknown, (void **)&id)))
                return hr;
        if (lck) {
                /* its stub manager (made if need be) counts the lock; nobody gets references */
                hr = export_object(id, &IID_IUnknown, MSHCTX_INPROC, 0, true, &o);
                if (SUCCEEDED(hr))
                        objref_clear(&o);
        } else {
                pthread_mutex_lock(&lock);
                struct stubmgr *m = stubmgr_find_locked(id);
                if (m && m->locks) {
                        m->locks--;
                        if (last_unlock_releases)
                                stubmgr_check_locked(m, &d, true);
                        else
                                ext_sync_locked(m, &d, false);
                }
                pthread_mutex_unlock(&lock);
        }
        id->lpVtbl->Release(id);
        dead_release(&d);
        return hr;
}

/* The apartment ends (CoUninitialize): its objects are disconnected, its OXID revoked. */
void com_exporter_apartment_gone(struct com_apartment *apt) {
        struct dead d = { .n = 0 };
        struct exporter *gone = NULL;

        pthread_mutex_lock(&lock);
        for (struct stubmgr *m = objects, *next; m; m = next) {
                next = m->next;
                if (m->ex->apt != apt)
                        continue;
                /* the object is told its clients are gone, but not to close: Windows' */
                ext_tell_locked(m, &d, false, false);
                stubmgr_disconnect_locked(m, &d);
        }
        for (struct exporter **p = &exporters; *p; p = &(*p)->next)
                if ((*p)->apt == apt) {
                        gone = *p;
                        *p = gone->next;
                        ipid_remove_locked(gone->remunk_stub);
                        break;
                }
        pthread_mutex_unlock(&lock);
        dead_release(&d);
        if (gone) {
                pthread_mutex_lock(&lock);
                bool registered = gone->registered;
                pthread_mutex_unlock(&lock);
                if (registered)
                        com_resolver_revoke_oxid(gone->oxid);
                com_apartment_release(gone->apt);
                /* a call may still be running in it: the last one frees it */
                if (atomic_fetch_sub_explicit(&gone->busy, 1, memory_order_acq_rel) == 1)
                        exporter_free(gone);
        }
}

/* --- garbage collection ([MS-DCOM] 3.1.1.5.2.3 / 3.2.6): rpcss names the OIDs nobody pings - */

void com_exporter_rundown_now(void) {
        OXID ox[64];
        unsigned n = 0;

        pthread_mutex_lock(&lock);
        for (struct exporter *ex = exporters; ex && n < 64; ex = ex->next)
                if (ex->registered)
                        ox[n++] = ex->oxid;
        pthread_mutex_unlock(&lock);
        for (unsigned i = 0; i < n; i++) {
                OID *oids = NULL;
                unsigned k = 0;
                struct dead d = { .n = 0 };
                OID again[64];
                unsigned n_again = 0;
                if (com_resolver_rundown(ox[i], &oids, &k) < 0)
                        continue;
                pthread_mutex_lock(&lock);
                for (struct exporter *ex = exporters; ex; ex = ex->next) {
                        if (ex->oxid != ox[i])
                                continue;
                        for (unsigned j = 0; j < k; j++) {
                                struct stubmgr *m = stubmgr_by_oid_locked(ex, oids[j]);
                                if (!m)
                                        continue;
                                log_debug(com, "OID %016llx ran down: no client pings it",
                                          (unsigned long long)oids[j]);
                                if (m->local_proxies) {
                                        /* our own apartments do not ping: it stays, and
                                           rpcss is to watch it again for the others */
                                        if (n_again < 64)
                                                again[n_again++] = m->oid;
                                        continue;
                                }
                                m->pinged = false;      /* rpcss has forgotten it */
                                for (struct ifstub *s = m->ifs; s; s = s->next) {
                                        s->public_refs = 0;
                                        privrefs_clear_locked(s);
                                }
                                stubmgr_check_locked(m, &d, true);
                        }
                }
                pthread_mutex_unlock(&lock);
                dead_release(&d);
                if (n_again)
                        com_resolver_add_oids(ox[i], again, n_again);
                free(oids);
        }
}

static void *rundown_main(void *arg) {
        (void)arg;
        for (;;) {
                unsigned ms = com_ping_period_ms() / 4;
                usleep((useconds_t)(ms ? ms : 1) * 1000);
                com_exporter_rundown_now();
        }
        return NULL;
}
