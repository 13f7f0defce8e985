/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The endpoint mapper ([C706] appendix O; [MS-RPCE] 2.2.1.2, 3.1.2): the map of
 * (object, tower) entries that servers register, and the seven methods of ept v3.0 over
 * it, as the generated server stub calls them (epm_server_epv).
 *
 * The map is an array of entries in registration order, each with a sequence number that
 * never repeats.  A lookup or map that does not fit in one reply keeps a context handle
 * holding its criteria and the sequence number to resume at -- a cursor, not a snapshot:
 * a handle costs the same whatever the map holds, and entries added or removed between
 * calls are simply seen or not seen, never twice.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "epm-server.h"

static LOG_CHANNEL(rpc);

struct entry {
        uint64_t seq;                   /* registration order: the paging cursor */
        uint64_t owner;                 /* the association that registered it; 0: in process */
        uid_t uid;                      /* who registered it (the kernel's word; -1: remote) */
        pid_t pid;
        GUID object;
        struct rpc_tower_info info;     /* its pointers go into tower[] */
        uint16_t n_floors;
        uint8_t protos[RPC_TOWER_MAX_FLOORS];   /* each floor's protocol id */
        char annotation[EPM_ANNOTATION_SIZE];
        size_t tower_len;
        uint8_t tower[];
};

/* How many lookup/map handles one owner (other than 0) holds open. */
struct owner_handles {
        uint64_t owner;
        unsigned n;                     /* > 0: an owner holding none has no slot */
};

static struct {
        pthread_mutex_t lock;
        struct entry **v;               /* n entries, ascending seq */
        size_t n, cap;
        uint64_t next_seq;
        unsigned open_handles, max_handles, max_handles_per_owner;
        struct owner_handles *owners;   /* n_owners, unordered; NULL while none holds one */
        size_t n_owners, cap_owners;
        bool remote_mgmt;
} db = {
        .lock = PTHREAD_MUTEX_INITIALIZER, .next_seq = 1, .max_handles = EPM_MAX_OPEN_HANDLES,
        .max_handles_per_owner = EPM_MAX_HANDLES_PER_OWNER,
};

/* The owner of calls from outside the runtime (epm_set_foreign_call_owner; tests). */
static _Atomic uint64_t foreign_owner;

/* --- entries ----------------------------------------------------------------------------- */

static void set_annotation(char dst[EPM_ANNOTATION_SIZE], const char *src) {
        size_t n = src ? strnlen(src, EPM_ANNOTATION_SIZE - 1) : 0;

        memset(dst, 0, EPM_ANNOTATION_SIZE);
        if (n)
                memcpy(dst, src, n);
}

/* A new entry for a tower (copied); not in the map yet.  -EBADMSG, -E2BIG, -ENOMEM. */
static int entry_new(const GUID *object, const uint8_t *tower, size_t len, const char *annotation,
                     uint64_t owner, struct entry **ret) {
        struct rpc_tower t;
        struct entry *e;
        int r;

        if (!tower)
                return -EBADMSG;
        if (len > RPC_TOWER_MAX_SIZE)
                return -E2BIG;
        r = rpc_tower_parse(tower, len, &t);
        if (r < 0)
                return r;
        e = dcom_calloc(1, sizeof *e + t.len);
        if (!e)
                return -ENOMEM;
        memcpy(e->tower, tower, t.len);  /* trailing bytes past the floors are dropped */
        e->tower_len = t.len;
        /* parse again over our copy so that info points into it */
        r = rpc_tower_parse(e->tower, e->tower_len, &t);
        if (r >= 0)
                r = rpc_tower_decode(&t, &e->info);
        /* [C706] L: an endpoint map entry names its endpoint in floor 4 */
        if (r >= 0 && t.n_floors < 4)
                r = -EBADMSG;
        if (r < 0) {
                dcom_free(e);
                return r;
        }
        e->n_floors = t.n_floors;
        for (unsigned i = 0; i < t.n_floors; i++)
                e->protos[i] = t.floors[i].lhs[0];
        e->object = object ? *object : GUID_NULL;
        e->owner = owner;
        e->uid = geteuid();             /* in process; ept_insert sets its caller's */
        e->pid = getpid();
        set_annotation(e->annotation, annotation);
        *ret = e;
        return 0;
}

static bool syntax_equal(const struct rpc_tower_syntax *a, const struct rpc_tower_syntax *b) {
        return dcom_guid_equal(&a->uuid, &b->uuid) && a->major == b->major && a->minor == b->minor;
}

/* The same protocol sequence: floors 3 and 4 ([C706] L: RPC protocol and transport). */
static bool same_protocols(const struct entry *a, const struct entry *b) {
        return a->protos[2] == b->protos[2] && a->protos[3] == b->protos[3];
}

/*
 * [C706] ept_insert: replace "replaces any existing elements with the same interface
 * (uuid and major version), object and protocol sequence", whatever their endpoint --
 * of the same owner only.  An entry belongs to the association (the process) that
 * registered it, as Windows' endpoint mapper scopes entries to the registering process:
 * another local user must not redirect a server's clients, and a second instance of a
 * server must not take the first one's entries with it when it exits.
 */
static bool replaces(const struct entry *e, const struct entry *old) {
        return e->owner == old->owner && dcom_guid_equal(&e->object, &old->object) &&
               dcom_guid_equal(&e->info.iface.uuid, &old->info.iface.uuid) &&
               e->info.iface.major == old->info.iface.major &&
               syntax_equal(&e->info.xfer, &old->info.xfer) && same_protocols(e, old);
}

/* The same binding: interface, transfer syntax, protocols and endpoint (not the host). */
static bool same_binding(const struct entry *a, const struct entry *b) {
        return syntax_equal(&a->info.iface, &b->info.iface) &&
               syntax_equal(&a->info.xfer, &b->info.xfer) && same_protocols(a, b) &&
               a->info.endpoint_len == b->info.endpoint_len &&
               (a->info.endpoint_len == 0 ||
                memcmp(a->info.endpoint, b->info.endpoint, a->info.endpoint_len) == 0);
}

static void remove_at_locked(size_t i) {
        dcom_free(db.v[i]);
        memmove(db.v + i, db.v + i + 1, (db.n - i - 1) * sizeof *db.v);
        db.n--;
}

static size_t owner_count_locked(uint64_t owner) {
        size_t n = 0;

        for (size_t i = 0; i < db.n; i++)
                n += db.v[i]->owner == owner;
        return n;
}

/*
 * Room for k more entries of owner, counted without the replacements and duplicates
 * they may turn out to be (a conservative check that keeps a batch all-or-nothing).
 */
static int reserve_locked(size_t k, uint64_t owner) {
        if (k > EPM_MAX_ENTRIES - db.n)
                return -ENOSPC;
        if (owner != 0 && owner_count_locked(owner) + k > EPM_MAX_ENTRIES_PER_OWNER)
                return -ENOSPC;
        if (db.n + k > db.cap) {
                size_t cap = db.cap ? db.cap : 16;
                struct entry **v;

                while (cap < db.n + k)
                        cap *= 2;
                if (cap > EPM_MAX_ENTRIES)
                        cap = EPM_MAX_ENTRIES;
                v = dcom_reallocarray(db.v, cap, sizeof *v);
                if (!v)
                        return -ENOMEM;
                db.v = v;
                db.cap = cap;
        }
        return 0;
}

/* Takes e (room reserved). */
static void insert_locked(struct entry *e, bool replace) {
        for (size_t i = 0; i < db.n; i++) {
                struct entry *old = db.v[i];

                if (old->owner == e->owner && dcom_guid_equal(&old->object, &e->object) &&
                    old->tower_len == e->tower_len &&
                    memcmp(old->tower, e->tower, e->tower_len) == 0) {
                        /* the same element again: only the annotation changes */
                        memcpy(old->annotation, e->annotation, EPM_ANNOTATION_SIZE);
                        dcom_free(e);
                        return;
                }
        }
        if (replace)
                for (size_t i = db.n; i-- > 0;)
                        if (replaces(e, db.v[i]))
                                remove_at_locked(i);
        e->seq = db.next_seq++;
        db.v[db.n++] = e;
        log_debug(rpc, "epm: registered %s[%.*s] (owner %llu, uid %d, pid %d), %zu entries",
                  rpc_tower_protseq_name(&e->info) ? rpc_tower_protseq_name(&e->info) : "?",
                  e->info.transport == RPC_TOWER_PROTO_UNIX ? (int)e->info.endpoint_len : 0,
                  e->info.endpoint ? (const char *)e->info.endpoint : "",
                  (unsigned long long)e->owner, (int)e->uid, (int)e->pid, db.n);
}

/* Inserts k prepared entries, all or none.  Takes them in every case. */
static int insert_batch(struct entry **v, size_t k, uint64_t owner, bool replace) {
        int r;

        pthread_mutex_lock(&db.lock);
        r = reserve_locked(k, owner);
        if (r >= 0)
                for (size_t i = 0; i < k; i++) {
                        insert_locked(v[i], replace);
                        v[i] = NULL;
                }
        pthread_mutex_unlock(&db.lock);
        for (size_t i = 0; i < k; i++)
                dcom_free(v[i]);
        return r;
}

int epm_insert_tower(const GUID *object, const uint8_t *tower, size_t len,
                     const char *annotation, uint64_t owner, bool replace) {
        struct entry *e;
        int r;

        r = entry_new(object, tower, len, annotation, owner, &e);
        if (r < 0)
                return r;
        return insert_batch(&e, 1, owner, replace);
}

static int build_tower(const struct ndr_interface *iface, enum rpc_protseq protseq,
                       const char *endpoint, uint8_t **ret, size_t *ret_len) {
        struct rpc_tower_syntax s;

        if (!iface)
                return -EINVAL;
        s.uuid = iface->uuid;
        s.major = iface->ver_major;
        s.minor = iface->ver_minor;
        return rpc_tower_build(&s, protseq, endpoint, NULL, ret, ret_len);
}

int epm_register(const struct ndr_interface *iface, const GUID *object, enum rpc_protseq protseq,
                 const char *endpoint, const char *annotation, uint64_t owner) {
        uint8_t *tower;
        size_t len;
        int r;

        r = build_tower(iface, protseq, endpoint, &tower, &len);
        if (r < 0)
                return r == -E2BIG ? -EINVAL : r;
        /* RpcEpRegister: replace */
        r = epm_insert_tower(object, tower, len, annotation, owner, true);
        dcom_free(tower);
        return r;
}

int epm_unregister(const struct ndr_interface *iface, const GUID *object,
                   enum rpc_protseq protseq, const char *endpoint) {
        struct entry *key;
        uint8_t *tower;
        size_t len;
        int r;

        r = build_tower(iface, protseq, endpoint, &tower, &len);
        if (r < 0)
                return r == -E2BIG ? -EINVAL : r;
        r = entry_new(object, tower, len, NULL, 0, &key);
        dcom_free(tower);
        if (r < 0)
                return r;
        r = -ENOENT;
        pthread_mutex_lock(&db.lock);
        for (size_t i = db.n; i-- > 0;)
                if (dcom_guid_equal(&db.v[i]->object, &key->object) && same_binding(db.v[i], key)) {
                        remove_at_locked(i);
                        r = 0;
                }
        pthread_mutex_unlock(&db.lock);
        dcom_free(key);
        return r;
}

void epm_forget_owner(uint64_t owner) {
        size_t removed = 0;

        if (owner == 0)
                return;
        pthread_mutex_lock(&db.lock);
        for (size_t i = db.n; i-- > 0;)
                if (db.v[i]->owner == owner) {
                        remove_at_locked(i);
                        removed++;
                }
        pthread_mutex_unlock(&db.lock);
        if (removed)
                log_debug(rpc, "epm: owner %llu gone, %zu entries removed",
                          (unsigned long long)owner, removed);
}

void epm_reset(void) {
        pthread_mutex_lock(&db.lock);
        for (size_t i = 0; i < db.n; i++)
                dcom_free(db.v[i]);
        dcom_free(db.v);
        db.v = NULL;
        db.n = db.cap = 0;
        db.remote_mgmt = false;
        db.max_handles = EPM_MAX_OPEN_HANDLES;
        db.max_handles_per_owner = EPM_MAX_HANDLES_PER_OWNER;
        /* open handles are the runtime's to run down; their owners' counts stay */
        pthread_mutex_unlock(&db.lock);
        foreign_owner = 0;
}

void epm_set_remote_management(bool allow) {
        pthread_mutex_lock(&db.lock);
        db.remote_mgmt = allow;
        pthread_mutex_unlock(&db.lock);
}

size_t epm_count(void) {
        size_t n;

        pthread_mutex_lock(&db.lock);
        n = db.n;
        pthread_mutex_unlock(&db.lock);
        return n;
}

void epm_set_max_handles(unsigned max) {
        pthread_mutex_lock(&db.lock);
        db.max_handles = max ? max : EPM_MAX_OPEN_HANDLES;
        pthread_mutex_unlock(&db.lock);
}

void epm_set_max_handles_per_owner(unsigned max) {
        pthread_mutex_lock(&db.lock);
        db.max_handles_per_owner = max ? max : EPM_MAX_HANDLES_PER_OWNER;
        pthread_mutex_unlock(&db.lock);
}

void epm_set_foreign_call_owner(uint64_t owner) {
        foreign_owner = owner;
}

unsigned epm_open_handles_of(uint64_t owner) {
        unsigned n = 0;

        pthread_mutex_lock(&db.lock);
        for (size_t i = 0; i < db.n_owners; i++)
                if (db.owners[i].owner == owner)
                        n = db.owners[i].n;
        pthread_mutex_unlock(&db.lock);
        return n;
}

unsigned epm_open_handles(void) {
        unsigned n;

        pthread_mutex_lock(&db.lock);
        n = db.open_handles;
        pthread_mutex_unlock(&db.lock);
        return n;
}

void epm_list_free(struct epm_entry_info *v, size_t n) {
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                dcom_free(v[i].tower);
        dcom_free(v);
}

int epm_list(struct epm_entry_info **ret, size_t *ret_n) {
        struct epm_entry_info *v = NULL;
        size_t n = 0;
        int r = 0;

        pthread_mutex_lock(&db.lock);
        if (db.n) {
                v = dcom_calloc(db.n, sizeof *v);
                if (!v)
                        r = -ENOMEM;
        }
        for (; r >= 0 && n < db.n; n++) {
                const struct entry *e = db.v[n];
                struct epm_entry_info *o = &v[n];

                o->tower = dcom_memdup(e->tower, e->tower_len);
                if (!o->tower) {
                        r = -ENOMEM;
                        break;
                }
                o->tower_len = e->tower_len;
                o->object = e->object;
                o->iface = e->info.iface;
                o->protseq = rpc_tower_protseq_name(&e->info);
                if (rpc_tower_endpoint_string(&e->info, o->endpoint, sizeof o->endpoint) < 0)
                        o->endpoint[0] = 0;
                memcpy(o->annotation, e->annotation, EPM_ANNOTATION_SIZE);
                o->owner = e->owner;
                o->uid = e->uid;
                o->pid = e->pid;
        }
        pthread_mutex_unlock(&db.lock);
        if (r < 0) {
                epm_list_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* --- context handles --------------------------------------------------------------------- */

enum {
        HANDLE_LOOKUP = 0x4b4c5045,     /* "EPLK" */
        HANDLE_MAP = 0x504d5045,        /* "EPMP" */
};

struct lookup_criteria {
        uint32_t inquiry_type, vers_option;
        GUID object;
        struct rpc_tower_syntax ifid;
};

/* An ept_lookup_handle_t: where a lookup or map resumes. */
struct epm_handle {
        uint32_t magic;
        uint64_t owner;                 /* the association that opened it; 0: in process */
        uint64_t next_seq;              /* the first entry not yet considered */
        unsigned pass;                  /* ept_map: 0 entries for the object, 1 nil ones */
        GUID object;                    /* ept_map's */
        struct lookup_criteria lookup;
        size_t map_len;
        uint8_t map_tower[];            /* ept_map's request tower */
};

static struct owner_handles *owner_find_locked(uint64_t owner) {
        for (size_t i = 0; i < db.n_owners; i++)
                if (db.owners[i].owner == owner)
                        return &db.owners[i];
        return NULL;
}

/* One more handle held by owner (not 0).  0 or -ENOMEM. */
static int owner_hold_locked(uint64_t owner) {
        struct owner_handles *o = owner_find_locked(owner);

        if (!o) {
                /* at most one slot per open handle: bounded by max_handles */
                if (db.n_owners == db.cap_owners) {
                        size_t cap = db.cap_owners ? db.cap_owners * 2 : 16;
                        struct owner_handles *v = dcom_reallocarray(db.owners, cap, sizeof *v);

                        if (!v)
                                return -ENOMEM;
                        db.owners = v;
                        db.cap_owners = cap;
                }
                o = &db.owners[db.n_owners++];
                o->owner = owner;
                o->n = 0;
        }
        o->n++;
        return 0;
}

static void owner_release_locked(uint64_t owner) {
        struct owner_handles *o = owner_find_locked(owner);

        assert(o && o->n > 0);
        if (--o->n > 0)
                return;
        *o = db.owners[--db.n_owners];
        if (db.n_owners == 0) {
                dcom_free(db.owners);
                db.owners = NULL;
                db.cap_owners = 0;
        }
}

/*
 * A new handle for owner (db.lock held), or NULL: without memory, when owner already
 * holds max_handles_per_owner, or when every client together holds max_handles.  The
 * runtime's own limit per association group (thousands of context handles) bounds
 * neither: each lookup handle is the endpoint mapper's memory, and a client opening
 * them in bulk must not leave other clients unable to page.  A client beyond its share
 * gets ept_s_no_memory for new lookups only; its open handles, and everyone else's,
 * keep paging.  Owner 0 (calls in process, or from outside the runtime) is bounded by
 * the total alone, as its entries are.
 */
static struct epm_handle *handle_new(uint32_t magic, const uint8_t *map_tower, size_t map_len,
                                     uint64_t owner) {
        struct owner_handles *o = owner ? owner_find_locked(owner) : NULL;
        struct epm_handle *hd;

        if (db.open_handles >= db.max_handles) {
                log_debug(rpc, "epm: %u lookup handles open: owner %llu refused one",
                          db.open_handles, (unsigned long long)owner);
                return NULL;
        }
        if (o && o->n >= db.max_handles_per_owner) {
                log_debug(rpc, "epm: owner %llu holds %u lookup handles: refused another",
                          (unsigned long long)owner, o->n);
                return NULL;
        }
        hd = dcom_calloc(1, sizeof *hd + map_len);
        if (!hd)
                return NULL;
        if (owner && owner_hold_locked(owner) < 0) {
                dcom_free(hd);
                return NULL;
        }
        hd->magic = magic;
        hd->owner = owner;
        if (map_len)
                memcpy(hd->map_tower, map_tower, map_len);
        hd->map_len = map_len;
        db.open_handles++;
        return hd;
}

static void handle_free_locked(struct epm_handle *hd) {
        if (!hd)
                return;
        if (hd->owner)
                owner_release_locked(hd->owner);
        hd->magic = 0;
        dcom_free(hd);
        db.open_handles--;
}

/* MIDL's rundown: the client's association ended with the handle open. */
void ept_lookup_handle_t_rundown(void *ctx) {
        struct epm_handle *hd = ctx;

        if (!hd || (hd->magic != HANDLE_LOOKUP && hd->magic != HANDLE_MAP))
                return;
        pthread_mutex_lock(&db.lock);
        handle_free_locked(hd);
        pthread_mutex_unlock(&db.lock);
}

/* --- the methods -------------------------------------------------------------------------- */

/* [MS-RPCE] 3.1.2: the map changes only for local callers unless configured otherwise. */
static bool call_is_local(handle_t h) {
        return !h || rpc_call_protseq(h) == RPC_PROTSEQ_LRPC;
}

static bool may_manage(handle_t h) {
        bool remote;

        pthread_mutex_lock(&db.lock);
        remote = db.remote_mgmt;
        pthread_mutex_unlock(&db.lock);
        return remote || call_is_local(h);
}

/*
 * Who changes the map.  An entry may be replaced or deleted by its owner (the
 * association that registered it) or by an administrator: this process itself (h NULL,
 * or a call from outside the runtime, which has owner 0 like the entries registered in
 * process), root, or the user the endpoint mapper runs as, over ncalrpc, where the
 * kernel vouches for the caller's uid (SO_PEERCRED).  A remote caller (remote management
 * on) is never an administrator.
 */
struct caller {
        uint64_t owner;
        bool admin;
        uid_t uid;                      /* (uid_t)-1: not known (remote) */
        pid_t pid;
};

/*
 * The caller's owner key: its association group (rpc_call_owner), 0 for a direct call
 * (h NULL).  A call from outside the runtime (a test's own struct ndr_server_call, no
 * runtime state) has no association: it is foreign_owner's, 0 unless a test set one.
 */
static uint64_t call_owner(handle_t h) {
        const struct ndr_server_call *call = h;

        if (call && !call->runtime)
                return foreign_owner;
        return rpc_call_owner(h);
}

static struct caller caller_of(handle_t h) {
        struct caller c = { .owner = call_owner(h), .uid = (uid_t)-1 };
        struct rpc_peer p;

        if (!h || rpc_call_peer(h, &p) < 0) {
                c.admin = true;
                c.uid = geteuid();
                c.pid = getpid();
        } else if (p.has_cred) {
                c.admin = p.uid == 0 || p.uid == geteuid();
                c.uid = p.uid;
                c.pid = p.pid;
        }
        return c;
}

static bool may_change(const struct caller *c, const struct entry *e) {
        return c->admin || e->owner == c->owner;
}

/* The ept_entry_t's tower as a twr_t from midl_user_allocate(). */
static twr_t *twr_new(size_t len) {
        size_t size = offsetof(twr_t, tower_octet_string) + len;
        twr_t *t = midl_user_allocate(size < sizeof(twr_t) ? sizeof(twr_t) : size);

        if (t)
                t->tower_length = (unsigned32)len;
        return t;
}

static twr_t *twr_dup(const uint8_t *data, size_t len) {
        twr_t *t = twr_new(len);

        if (t)
                memcpy(t->tower_octet_string, data, len);
        return t;
}

/*
 * The IPv4 address a TCP call reached us at, for towers registered on every address
 * (host floor 0.0.0.0): a listing then names an address the client can use, as
 * Windows' endpoint mapper does.  false over ncalrpc or IPv6-only.
 */
static bool call_ipv4(handle_t h, uint8_t ip[4]) {
        struct sockaddr_storage ss;
        socklen_t len;

        if (rpc_call_protseq(h) != RPC_PROTSEQ_TCP || rpc_call_local_addr(h, &ss, &len) < 0)
                return false;
        if (ss.ss_family == AF_INET) {
                memcpy(ip, &((const struct sockaddr_in *)&ss)->sin_addr, 4);
        } else if (ss.ss_family == AF_INET6 &&
                   IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)&ss)->sin6_addr)) {
                memcpy(ip, ((const struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr + 12, 4);
        } else {
                return false;
        }
        return memcmp(ip, "\0\0\0\0", 4) != 0;
}

/* An entry's tower for a listing: its own, with a wildcard host floor made ip. */
static twr_t *lookup_tower(const struct entry *e, const uint8_t *ip) {
        struct rpc_tower t;
        int n;

        if (!ip || rpc_tower_parse(e->tower, e->tower_len, &t) < 0 || t.n_floors < 5 ||
            t.floors[4].lhs[0] != RPC_TOWER_PROTO_IP || t.floors[4].rhs_len != 4 ||
            memcmp(t.floors[4].rhs, "\0\0\0\0", 4) != 0)
                return twr_dup(e->tower, e->tower_len);
        t.floors[4].rhs = ip;
        n = rpc_tower_encode(&t, NULL, 0);
        if (n < 0)
                return NULL;
        twr_t *w = twr_new((size_t)n);
        if (w && rpc_tower_encode(&t, w->tower_octet_string, (size_t)n) != n) {
                midl_user_free(w);
                w = NULL;
        }
        return w;
}

static void impl_insert(handle_t h, unsigned32 num_ents, ept_entry_t entries[], boolean32 replace,
                        error_status_t *status) {
        struct caller who = caller_of(h);
        uint64_t owner = who.owner;
        struct entry **v;
        int r = 0;

        if (!may_manage(h)) {
                *status = EPT_S_CANT_PERFORM_OP_DCE;
                return;
        }
        if (num_ents == 0) {
                *status = EPT_S_OK;
                return;
        }
        if (num_ents > EPM_MAX_ENTRIES) {
                *status = EPT_S_NO_MEMORY_DCE;
                return;
        }
        v = dcom_calloc(num_ents, sizeof *v);
        if (!v) {
                *status = EPT_S_NO_MEMORY_DCE;
                return;
        }
        for (unsigned32 i = 0; i < num_ents && r >= 0; i++) {
                const twr_t *t = entries[i].tower;

                /* annotation: a [string] of at most 64 chars, NUL included (the stub checks) */
                r = t ? entry_new(&entries[i].object, t->tower_octet_string, t->tower_length,
                                  entries[i].annotation, owner, &v[i])
                      : -EBADMSG;
                if (r >= 0) {
                        v[i]->uid = who.uid;
                        v[i]->pid = who.pid;
                }
        }
        if (r >= 0)
                r = insert_batch(v, num_ents, owner, replace != 0);
        else
                for (unsigned32 i = 0; i < num_ents; i++)
                        dcom_free(v[i]);
        dcom_free(v);
        *status = dcom_ept_status_from_errno(r);
}

static bool key_matches(const struct entry *e, const struct entry *key, bool match_object) {
        return (!match_object || dcom_guid_equal(&e->object, &key->object)) &&
               same_binding(e, key);
}

/* Removes the entries like key (object and binding) that who may change. */
static size_t delete_locked(const struct entry *key, bool match_object, const struct caller *who) {
        size_t removed = 0;

        for (size_t i = db.n; i-- > 0;) {
                const struct entry *e = db.v[i];

                if (may_change(who, e) && key_matches(e, key, match_object)) {
                        remove_at_locked(i);
                        removed++;
                }
        }
        return removed;
}

/*
 * Whether entries like key exist: 0 when who may delete one of them, -EACCES when
 * there are some but all are someone else's, -ENOENT when there are none.
 */
static int check_delete_locked(const struct entry *key, bool match_object,
                               const struct caller *who) {
        int r = -ENOENT;

        for (size_t i = 0; i < db.n; i++)
                if (key_matches(db.v[i], key, match_object)) {
                        if (may_change(who, db.v[i]))
                                return 0;
                        r = -EACCES;
                }
        return r;
}

static void log_denied(const char *op, const struct caller *who) {
        log_debug(rpc, "epm: %s refused: uid %d pid %d (owner %llu) may not change another's "
                       "entries", op, (int)who->uid, (int)who->pid,
                  (unsigned long long)who->owner);
}

/*
 * [C706] ept_delete: removes the elements given (object and tower).  All or none: when
 * one of them is not in the map, nothing is removed (ept_s_not_registered).  A caller
 * with an owner removes only its own entries.
 */
static void impl_delete(handle_t h, unsigned32 num_ents, ept_entry_t entries[],
                        error_status_t *status) {
        struct caller who = caller_of(h);
        struct entry **v;
        int r = 0;

        if (!may_manage(h)) {
                *status = EPT_S_CANT_PERFORM_OP_DCE;
                return;
        }
        if (num_ents > EPM_MAX_ENTRIES) {
                *status = EPT_S_NOT_REGISTERED_DCE;
                return;
        }
        v = dcom_calloc(num_ents ? num_ents : 1, sizeof *v);
        if (!v) {
                *status = EPT_S_NO_MEMORY_DCE;
                return;
        }
        for (unsigned32 i = 0; i < num_ents && r >= 0; i++) {
                const twr_t *t = entries[i].tower;

                r = t ? entry_new(&entries[i].object, t->tower_octet_string, t->tower_length,
                                  NULL, 0, &v[i])
                      : -EBADMSG;
        }
        if (r >= 0) {
                pthread_mutex_lock(&db.lock);
                for (unsigned32 i = 0; i < num_ents && r >= 0; i++)
                        r = check_delete_locked(v[i], true, &who);
                for (unsigned32 i = 0; i < num_ents && r >= 0; i++)
                        delete_locked(v[i], true, &who);
                pthread_mutex_unlock(&db.lock);
                if (r == -EACCES)
                        log_denied("ept_delete", &who);
        }
        for (unsigned32 i = 0; i < num_ents; i++)
                dcom_free(v[i]);
        dcom_free(v);
        *status = dcom_ept_status_from_errno(r);
}

/* [C706] ept_lookup vers_option, [MS-RPCE] 2.2.1.2.4 */
static bool version_matches(const struct rpc_tower_syntax *have,
                            const struct rpc_tower_syntax *want, uint32_t vers_option) {
        switch (vers_option) {
        case rpc_c_vers_all:
                return true;
        case rpc_c_vers_compatible:
                return have->major == want->major && have->minor >= want->minor;
        case rpc_c_vers_exact:
                return have->major == want->major && have->minor == want->minor;
        case rpc_c_vers_major_only:
                return have->major == want->major;
        case rpc_c_vers_upto:
                return have->major < want->major ||
                       (have->major == want->major && have->minor <= want->minor);
        }
        return false;
}

static bool lookup_matches(const struct entry *e, const struct lookup_criteria *c) {
        bool by_if = c->inquiry_type == rpc_c_ep_match_by_if ||
                     c->inquiry_type == rpc_c_ep_match_by_both;
        bool by_obj = c->inquiry_type == rpc_c_ep_match_by_obj ||
                      c->inquiry_type == rpc_c_ep_match_by_both;

        if (by_if && (!dcom_guid_equal(&e->info.iface.uuid, &c->ifid.uuid) ||
                      !version_matches(&e->info.iface, &c->ifid, c->vers_option)))
                return false;
        if (by_obj && !dcom_guid_equal(&e->object, &c->object))
                return false;
        return true;
}

/*
 * [C706] ept_lookup, [MS-RPCE] 2.2.1.2.4: up to max_ents matching elements from where the
 * handle left off.  The handle stays open while more remain and comes back null with the
 * last of them; nothing (more) to return is ept_s_not_registered with a null handle.  A
 * handle is opened only for a reply that has entries and leaves some behind: a lookup
 * answered in full, or with nothing, holds nothing open.
 *
 * max_ents 0 ([MS-RPCE]: range(0,500)) asks for nothing, so nothing comes back and the
 * lookup ends there: no entries, ept_s_not_registered, a null handle (the caller's, if
 * it gave one, is closed).  Samba's endpoint mapper answers max_ents 0 the same way
 * (count 0: handle closed, EPMAPPER_STATUS_NO_MORE_ENTRIES, which is
 * ept_s_not_registered), and clients page with max_ents > 0 (impacket's hept_lookup and
 * so rpcdump.py ask 500, smbtorture 10); a handle that says "more remain" for a reply
 * that can never carry any would only be a handle for the taking.
 */
static void impl_lookup(handle_t h, unsigned32 inquiry_type, uuid_p_t object,
                        rpc_if_id_p_t interface_id, unsigned32 vers_option,
                        ept_lookup_handle_t *entry_handle, unsigned32 max_ents,
                        unsigned32 *num_ents, ept_entry_t entries[], error_status_t *status) {
        struct epm_handle *hd = *entry_handle;
        struct lookup_criteria c;
        uint64_t start = 0, resume = 0;
        unsigned32 n = 0;
        bool more = false, oom = false;
        uint8_t ip[4];
        bool have_ip = call_ipv4(h, ip);
        uint64_t owner = call_owner(h);

        *num_ents = 0;
        if (!hd) {
                memset(&c, 0, sizeof c);
                if (inquiry_type > rpc_c_ep_match_by_both ||
                    ((inquiry_type == rpc_c_ep_match_by_if ||
                      inquiry_type == rpc_c_ep_match_by_both) &&
                     (vers_option < rpc_c_vers_all || vers_option > rpc_c_vers_upto))) {
                        *status = EPT_S_CANT_PERFORM_OP_DCE;
                        return;
                }
                c.inquiry_type = inquiry_type;
                c.vers_option = vers_option;
                /* a null object or interface is the nil one */
                c.object = object ? *object : GUID_NULL;
                if (interface_id) {
                        c.ifid.uuid = interface_id->uuid;
                        c.ifid.major = interface_id->vers_major;
                        c.ifid.minor = interface_id->vers_minor;
                }
        }

        /* a handle's state is read and written under the lock, like the map */
        pthread_mutex_lock(&db.lock);
        if (hd && hd->magic != HANDLE_LOOKUP) {
                pthread_mutex_unlock(&db.lock);
                *status = EPT_S_CANT_PERFORM_OP_DCE;
                return;
        }
        if (max_ents == 0) {
                handle_free_locked(hd);
                pthread_mutex_unlock(&db.lock);
                *entry_handle = NULL;
                *status = EPT_S_NOT_REGISTERED_DCE;
                return;
        }
        if (hd) {
                c = hd->lookup;
                start = hd->next_seq;
        }
        for (size_t i = 0; i < db.n; i++) {
                const struct entry *e = db.v[i];

                if (e->seq < start || !lookup_matches(e, &c))
                        continue;
                if (n == max_ents) {
                        more = true;
                        resume = e->seq;
                        break;
                }
                entries[n].object = e->object;
                memcpy(entries[n].annotation, e->annotation, EPM_ANNOTATION_SIZE);
                entries[n].tower = lookup_tower(e, have_ip ? ip : NULL);
                if (!entries[n].tower) {
                        oom = true;
                        break;
                }
                n++;
        }
        if (oom) {
                for (unsigned32 i = 0; i < n; i++)
                        midl_user_free(entries[i].tower);
                n = 0;
                *status = EPT_S_NO_MEMORY_DCE;  /* the handle stays as it was */
        } else if (more) {
                if (!hd)
                        hd = handle_new(HANDLE_LOOKUP, NULL, 0, owner);
                if (hd) {
                        hd->lookup = c;
                        hd->next_seq = resume;
                        *entry_handle = hd;
                        *status = EPT_S_OK;
                } else {
                        for (unsigned32 i = 0; i < n; i++)
                                midl_user_free(entries[i].tower);
                        n = 0;
                        *status = EPT_S_NO_MEMORY_DCE;
                }
        } else {
                handle_free_locked(hd);
                *entry_handle = NULL;
                *status = n ? EPT_S_OK : EPT_S_NOT_REGISTERED_DCE;
        }
        pthread_mutex_unlock(&db.lock);
        *num_ents = n;
}

/*
 * [C706] ept_map, [MS-RPCE] 2.2.1.2.5: the interface (uuid, major, minor at least the one
 * asked), transfer syntax and protocol sequence (floors 3 and 4) of the map tower; first
 * the elements registered for the object, then those registered with the nil object,
 * which serve any object.
 */
static bool map_matches(const struct entry *e, const struct rpc_tower_info *want,
                        const struct rpc_tower *wt, const GUID *object, unsigned pass) {
        if (pass == 0 ? !dcom_guid_equal(&e->object, object) : !dcom_guid_is_null(&e->object))
                return false;
        return dcom_guid_equal(&e->info.iface.uuid, &want->iface.uuid) &&
               e->info.iface.major == want->iface.major &&
               e->info.iface.minor >= want->iface.minor &&
               syntax_equal(&e->info.xfer, &want->xfer) && wt->n_floors >= 4 &&
               e->protos[2] == wt->floors[2].lhs[0] && e->protos[3] == wt->floors[3].lhs[0];
}

/*
 * The tower returned: the entry's floors 1-4 (its interface version, its endpoint), then
 * the request's host floors ([MS-RPCE] 3.1.2: the client's network address stands), or
 * the entry's own when the request has none.
 */
static twr_t *map_result(const struct entry *e, const struct rpc_tower *req) {
        struct rpc_tower et, out;
        twr_t *t;
        int n;

        if (rpc_tower_parse(e->tower, e->tower_len, &et) < 0)
                return NULL;            /* cannot happen: parsed when inserted */
        out = et;
        if (req->n_floors > 4) {
                out.n_floors = req->n_floors;
                for (unsigned i = 4; i < req->n_floors; i++)
                        out.floors[i] = req->floors[i];
        }
        n = rpc_tower_encode(&out, NULL, 0);
        if (n < 0)
                return NULL;
        t = twr_new((size_t)n);
        if (t && rpc_tower_encode(&out, t->tower_octet_string, (size_t)n) != n) {
                midl_user_free(t);
                t = NULL;
        }
        return t;
}

static void impl_map(handle_t h, uuid_p_t object, twr_p_t map_tower,
                     ept_lookup_handle_t *entry_handle, unsigned32 max_towers,
                     unsigned32 *num_towers, twr_p_t towers[], error_status_t *status) {
        struct epm_handle *hd = *entry_handle;
        const uint8_t *req;
        size_t req_len;
        struct rpc_tower rt;
        struct rpc_tower_info ri;
        GUID obj;
        unsigned pass, resume_pass = 0;
        uint64_t start, resume_seq = 0;
        unsigned32 n = 0;
        bool more = false, oom = false;
        uint64_t owner = call_owner(h);

        *num_towers = 0;
        /* a handle's state is read and written under the lock */
        pthread_mutex_lock(&db.lock);
        if (hd && hd->magic != HANDLE_MAP) {
                *status = EPT_S_CANT_PERFORM_OP_DCE;
                goto out_unlock;
        }
        /* max_towers 0: nothing asked, nothing returned, the map ends, as for ept_lookup's
           max_ents 0 (Samba answers max_towers 0 with no_more_entries too) */
        if (max_towers == 0) {
                handle_free_locked(hd);
                *entry_handle = NULL;
                *status = EPT_S_NOT_REGISTERED_DCE;
                goto out_unlock;
        }
        if (hd) {
                /* the criteria of the first call; the tower sent again is not looked at */
                req = hd->map_tower;
                req_len = hd->map_len;
                obj = hd->object;
                pass = hd->pass;
                start = hd->next_seq;
        } else {
                if (!map_tower || map_tower->tower_length > RPC_TOWER_MAX_SIZE) {
                        *status = EPT_S_CANT_PERFORM_OP_DCE;
                        goto out_unlock;
                }
                req = map_tower->tower_octet_string;
                req_len = map_tower->tower_length;
                obj = object ? *object : GUID_NULL;
                pass = dcom_guid_is_null(&obj) ? 1 : 0;
                start = 0;
        }
        if (rpc_tower_parse(req, req_len, &rt) < 0 || rpc_tower_decode(&rt, &ri) < 0 ||
            rt.n_floors < 4) {
                /* hostile or unknown: nothing can match it */
                *status = EPT_S_NOT_REGISTERED_DCE;
                goto out_unlock;
        }

        for (; pass < 2 && !more && !oom; pass++, start = 0) {
                for (size_t i = 0; i < db.n; i++) {
                        const struct entry *e = db.v[i];

                        if (e->seq < start || !map_matches(e, &ri, &rt, &obj, pass))
                                continue;
                        if (n == max_towers) {
                                more = true;
                                resume_pass = pass;
                                resume_seq = e->seq;
                                break;
                        }
                        towers[n] = map_result(e, &rt);
                        if (!towers[n]) {
                                oom = true;
                                break;
                        }
                        n++;
                }
        }
        if (oom) {
                for (unsigned32 i = 0; i < n; i++) {
                        midl_user_free(towers[i]);
                        towers[i] = NULL;
                }
                n = 0;
                *status = EPT_S_NO_MEMORY_DCE;
        } else if (more) {
                if (!hd) {
                        hd = handle_new(HANDLE_MAP, req, rt.len, owner);
                        if (hd)
                                hd->object = obj;
                }
                if (hd) {
                        hd->pass = resume_pass;
                        hd->next_seq = resume_seq;
                        *entry_handle = hd;
                        *status = EPT_S_OK;
                } else {
                        for (unsigned32 i = 0; i < n; i++) {
                                midl_user_free(towers[i]);
                                towers[i] = NULL;
                        }
                        n = 0;
                        *status = EPT_S_NO_MEMORY_DCE;
                }
        } else {
                handle_free_locked(hd);
                *entry_handle = NULL;
                *status = n ? EPT_S_OK : EPT_S_NOT_REGISTERED_DCE;
        }
        *num_towers = n;
out_unlock:
        pthread_mutex_unlock(&db.lock);
}

static void impl_lookup_handle_free(handle_t h, ept_lookup_handle_t *entry_handle,
                                    error_status_t *status) {
        struct epm_handle *hd = *entry_handle;

        (void)h;
        if (hd && hd->magic != HANDLE_LOOKUP && hd->magic != HANDLE_MAP) {
                *status = EPT_S_CANT_PERFORM_OP_DCE;
                return;
        }
        pthread_mutex_lock(&db.lock);
        handle_free_locked(hd);
        pthread_mutex_unlock(&db.lock);
        *entry_handle = NULL;
        *status = EPT_S_OK;
}

/* [C706] ept_inq_object: the endpoint mapper's object; ours is the nil UUID. */
static void impl_inq_object(handle_t h, uuid_t *ept_object, error_status_t *status) {
        (void)h;
        *ept_object = GUID_NULL;
        *status = EPT_S_OK;
}

/*
 * [C706] ept_mgmt_delete: removes the elements with this tower (interface, protocols,
 * endpoint), and this object when object_speced.  [MS-RPCE] 3.1.2: Windows refuses it
 * remotely (access denied); so do we unless remote management is on.
 */
static void impl_mgmt_delete(handle_t h, boolean32 object_speced, uuid_p_t object,
                             twr_p_t tower, error_status_t *status) {
        struct caller who = caller_of(h);
        struct entry *key;
        size_t removed;
        int r;

        if (!may_manage(h)) {
                *status = EPT_S_ACCESS_DENIED;
                return;
        }
        if (!tower) {
                *status = EPT_S_INVALID_ENTRY_DCE;
                return;
        }
        r = entry_new(object_speced ? object : NULL, tower->tower_octet_string,
                      tower->tower_length, NULL, 0, &key);
        if (r < 0) {
                *status = EPT_S_INVALID_ENTRY_DCE;
                return;
        }
        pthread_mutex_lock(&db.lock);
        r = check_delete_locked(key, object_speced != 0, &who);
        removed = delete_locked(key, object_speced != 0, &who);
        pthread_mutex_unlock(&db.lock);
        dcom_free(key);
        if (r == -EACCES && !removed)
                log_denied("ept_mgmt_delete", &who);
        *status = removed ? EPT_S_OK : r == -EACCES ? EPT_S_ACCESS_DENIED : EPT_S_NOT_REGISTERED_DCE;
}

const struct epm_v3_0_epv epm_server_epv = {
        .ept_insert = impl_insert,
        .ept_delete = impl_delete,
        .ept_lookup = impl_lookup,
        .ept_map = impl_map,
        .ept_lookup_handle_free = impl_lookup_handle_free,
        .ept_inq_object = impl_inq_object,
        .ept_mgmt_delete = impl_mgmt_delete,
};
