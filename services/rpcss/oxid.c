/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OXID resolver ([MS-DCOM] 3.1.2): IObjectExporter for remote and local clients --
 * OXID resolution, ping sets, aliveness -- over the OXIDs and OIDs this machine's
 * exporters register through the private oxidreg interface (oxid.h has the model and
 * the bounds).
 *
 * Four hash tables under one mutex: OXIDs, OIDs, ping sets (each with a table of the
 * OIDs it holds) and peers (the quotas of a local user or a remote address).  An OID an
 * exporter removes while sets still hold it stays in the OID table, dead (no OXID),
 * until the last set lets it go: a set's members point at entries, never at freed
 * memory, and an OID registered again takes its old entry back with the sets holding it.
 * Expired sets are swept lazily, at most every eighth of a ping period, before the
 * calls that depend on them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "oxid.h"
#include "scm.h"
#include "rpc/rpc-internal.h"
#ifdef DCOM_HAVE_GSSAPI
#include "rpc/auth/gss-rpc.h"
#endif

static LOG_CHANNEL(oxid);

#define COM_VERSION_MAJOR 5
#define COM_VERSION_MINOR 7
#define TOWER_TCP 7                     /* ncacn_ip_tcp ([C706] appendix I) */
#define AUTHN_WINNT 10
#define AUTHN_GSS_NEGOTIATE 9
#define AUTHN_GSS_KERBEROS 16
#define AUTHZ_NONE 0xffff               /* [MS-DCOM] 2.2.19.4: Reserved, 0xffff */
#define EPM_WELL_KNOWN_PORT 135
#define ADDRS_REFRESH_MS 30000
#define MAX_OWN_ADDRS 64

/* --- a chained hash table of 64-bit keys (intrusive; keys may repeat) ------------------------- */

struct hnode {
        struct hnode *next;
        uint64_t key;
};

struct htab {
        struct hnode **b;
        size_t nb, n;                   /* nb: 0 or a power of two */
};

static size_t bucket_of(uint64_t key, size_t nb) {
        return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 29) & (nb - 1);
}

static struct hnode *ht_find(const struct htab *t, uint64_t key) {
        if (!t->nb)
                return NULL;
        for (struct hnode *h = t->b[bucket_of(key, t->nb)]; h; h = h->next)
                if (h->key == key)
                        return h;
        return NULL;
}

/* Doubles the buckets; without memory the chains just get longer. */
static void ht_grow(struct htab *t) {
        size_t nb = t->nb ? t->nb * 2 : 16;
        struct hnode **b = dcom_calloc(nb, sizeof *b);

        if (!b)
                return;
        for (size_t i = 0; i < t->nb; i++)
                for (struct hnode *h = t->b[i], *next; h; h = next) {
                        size_t j = bucket_of(h->key, nb);
                        next = h->next;
                        h->next = b[j];
                        b[j] = h;
                }
        dcom_free(t->b);
        t->b = b;
        t->nb = nb;
}

/* -ENOMEM only while the table has no buckets at all. */
static int ht_add(struct htab *t, struct hnode *h) {
        if (t->n >= t->nb)
                ht_grow(t);
        if (!t->nb)
                return -ENOMEM;
        size_t j = bucket_of(h->key, t->nb);
        h->next = t->b[j];
        t->b[j] = h;
        t->n++;
        return 0;
}

static void ht_del(struct htab *t, struct hnode *h) {
        for (struct hnode **p = &t->b[bucket_of(h->key, t->nb)]; *p; p = &(*p)->next)
                if (*p == h) {
                        *p = h->next;
                        t->n--;
                        return;
                }
}

static void ht_free(struct htab *t) {
        dcom_free(t->b);
        *t = (struct htab){ 0 };
}

/* Every node of t, which the body may delete (next is read first). */
#define HT_FOREACH(t, h, next)                                                          \
        for (size_t i_##h = 0; i_##h < (t)->nb; i_##h++)                                \
                for (struct hnode *h = (t)->b[i_##h], *next; h && ((next = h->next), 1); h = next)

/* --- the tables ([MS-DCOM] 3.1.2.1) ----------------------------------------------------------- */

/* A local user (registrations, ping sets) or a remote address (ping sets). */
struct peer {
        struct hnode h;                 /* key: peer_key() */
        struct rpc_peer who;
        unsigned n_oxids, n_sets;
        size_t n_oids, n_held;
};

struct oid_ent;

struct oxid_ent {
        struct hnode h;                 /* key: the OXID */
        uint64_t owner;                 /* the association that registered it */
        struct peer *user;
        IPID ipid;
        uint32_t hint;
        DUALSTRINGARRAY *bindings;
        struct oid_ent *oids;           /* a list, n_oids long */
        unsigned n_oids;
};

struct oid_ent {
        struct hnode h;                 /* key: the OID */
        struct oid_ent *prev, *next;    /* in ox->oids */
        struct oxid_ent *ox;            /* NULL: removed, kept while sets hold it */
        unsigned held;                  /* sets holding it */
        uint64_t since_ms;              /* added, or last held by a pinged set */
};

struct member {
        struct hnode h;                 /* key: the OID */
        struct oid_ent *o;
};

struct pset {
        struct hnode h;                 /* key: the SETID */
        struct peer *peer;              /* who made it */
        uint16_t seq;
        uint64_t pinged_ms;
        struct htab members;
};

static struct {
        pthread_mutex_t lock;
        struct htab oxids, oids, sets, peers;
        size_t n_live_oids, n_held;
        unsigned period_ms;
        uint64_t swept_ms;
        /* our own bindings (ServerAlive2) */
        uint16_t port;
        char *addrs[MAX_OWN_ADDRS];     /* --listen's, when not a wildcard */
        unsigned n_addrs;
        DUALSTRINGARRAY *own;           /* built lazily, again every ADDRS_REFRESH_MS */
        uint64_t own_ms;
} db = { .lock = PTHREAD_MUTEX_INITIALIZER, .port = EPM_WELL_KNOWN_PORT, .period_ms = 120000 };

static uint64_t expiry_ms(void) {
        return 3ull * db.period_ms;     /* [MS-DCOM] 3.1.2.2: three ping periods */
}

/* --- peers ------------------------------------------------------------------------------------ */

static uint64_t peer_key(const struct rpc_peer *p) {
        uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a over the family and address */

        if (p->has_cred)
                return (1ull << 63) | (uint64_t)p->uid;
        h = (h ^ (uint64_t)p->family) * 0x100000001b3ull;
        for (size_t i = 0; i < sizeof p->addr; i++)
                h = (h ^ p->addr[i]) * 0x100000001b3ull;
        return h & ~(1ull << 63);
}

/* The caller's peer: the kernel's uid over ncalrpc, the address over TCP. */
static struct rpc_peer caller_peer(handle_t h) {
        struct rpc_peer p;

        if (rpc_call_peer(h, &p) < 0)
                memset(&p, 0, sizeof p);
        return p;
}

/*
 * Whom a remote ping set counts against: the caller's network, not its exact address --
 * a /24 for IPv4, a /64 for IPv6, which one attacker holds as easily as one address --
 * so that a range of addresses cannot fill the table of sets.
 */
static struct rpc_peer ping_peer(handle_t h) {
        struct rpc_peer p = caller_peer(h);

        if (!p.has_cred && p.family == AF_INET)
                p.addr[3] = 0;
        else if (!p.has_cred && p.family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)p.addr))
                p.addr[15] = 0;                 /* an IPv4 caller of a dual-stack listener */
        else if (!p.has_cred && p.family == AF_INET6)
                memset(p.addr + 8, 0, 8);
        return p;
}

static struct peer *peer_get_locked(const struct rpc_peer *who) {
        uint64_t key = peer_key(who);
        struct peer *p;

        if (db.peers.nb)
                for (struct hnode *h = db.peers.b[bucket_of(key, db.peers.nb)]; h; h = h->next) {
                        p = CONTAINING_RECORD(h, struct peer, h);
                        if (h->key == key && rpc_peer_same(&p->who, who))
                                return p;
                }
        p = dcom_calloc(1, sizeof *p);
        if (!p)
                return NULL;
        p->h.key = key;
        p->who = *who;
        if (ht_add(&db.peers, &p->h) < 0) {
                dcom_free(p);
                return NULL;
        }
        return p;
}

/* Frees a peer that holds nothing any more. */
static void peer_put_locked(struct peer *p) {
        if (p && !p->n_oxids && !p->n_sets && !p->n_oids && !p->n_held) {
                ht_del(&db.peers, &p->h);
                dcom_free(p);
        }
}

/* --- OIDs ------------------------------------------------------------------------------------- */

static struct oid_ent *oid_find_locked(OID oid) {
        struct hnode *h = ht_find(&db.oids, oid);
        return h ? CONTAINING_RECORD(h, struct oid_ent, h) : NULL;
}

/* A live OID: registered and not removed. */
static struct oid_ent *oid_live_locked(OID oid) {
        struct oid_ent *o = oid_find_locked(oid);
        return o && o->ox ? o : NULL;
}

/* Frees an OID no OXID and no set holds. */
static void oid_put_locked(struct oid_ent *o) {
        if (!o->ox && !o->held) {
                ht_del(&db.oids, &o->h);
                dcom_free(o);
        }
}

/* The OID leaves its OXID (removed, run down, revoked); sets may still hold it. */
static void oid_remove_locked(struct oid_ent *o) {
        struct oxid_ent *ox = o->ox;

        if (o->prev)
                o->prev->next = o->next;
        else
                ox->oids = o->next;
        if (o->next)
                o->next->prev = o->prev;
        o->prev = o->next = NULL;
        ox->n_oids--;
        ox->user->n_oids--;
        db.n_live_oids--;
        o->ox = NULL;
        oid_put_locked(o);
}

/* Adds oid to ox (room checked); the same OID again only starts its grace anew. */
static int oid_add_locked(struct oxid_ent *ox, OID oid, uint64_t now) {
        struct oid_ent *o = oid_find_locked(oid);

        if (o && o->ox) {
                if (o->ox != ox)
                        return -EEXIST;
                o->since_ms = now;
                return 0;
        }
        if (!o) {
                o = dcom_calloc(1, sizeof *o);
                if (!o)
                        return -ENOMEM;
                o->h.key = oid;
                if (ht_add(&db.oids, &o->h) < 0) {
                        dcom_free(o);
                        return -ENOMEM;
                }
        }
        /* new, or removed and still held by sets: those sets hold it again */
        o->ox = ox;
        o->since_ms = now;
        o->prev = NULL;
        o->next = ox->oids;
        if (ox->oids)
                ox->oids->prev = o;
        ox->oids = o;
        ox->n_oids++;
        ox->user->n_oids++;
        db.n_live_oids++;
        return 0;
}

/* Whether nobody holds the OID and its grace is over ([MS-DCOM] 3.1.2.6). */
static bool oid_due(const struct oid_ent *o, uint64_t now) {
        return o->held == 0 && now - o->since_ms >= expiry_ms();
}

/* --- OXIDs ------------------------------------------------------------------------------------ */

static struct oxid_ent *oxid_find_locked(OXID oxid) {
        struct hnode *h = ht_find(&db.oxids, oxid);
        return h ? CONTAINING_RECORD(h, struct oxid_ent, h) : NULL;
}

static void oxid_free_locked(struct oxid_ent *ox) {
        struct peer *user = ox->user;

        while (ox->oids)
                oid_remove_locked(ox->oids);
        ht_del(&db.oxids, &ox->h);
        user->n_oxids--;
        dcom_free(ox->bindings);
        dcom_free(ox);
        peer_put_locked(user);
}

void oxid_forget_owner(uint64_t owner) {
        unsigned n = 0;

        if (owner == 0)
                return;
        pthread_mutex_lock(&db.lock);
        HT_FOREACH(&db.oxids, h, next) {
                struct oxid_ent *ox = CONTAINING_RECORD(h, struct oxid_ent, h);
                if (ox->owner == owner) {
                        oxid_free_locked(ox);
                        n++;
                }
        }
        pthread_mutex_unlock(&db.lock);
        if (n)
                log_debug(oxid, "owner %llu gone: %u OXIDs revoked", (unsigned long long)owner, n);
}

/* --- ping sets -------------------------------------------------------------------------------- */

static struct member *member_find(const struct pset *s, OID oid) {
        struct hnode *h = ht_find(&s->members, oid);
        return h ? CONTAINING_RECORD(h, struct member, h) : NULL;
}

static int member_add_locked(struct pset *s, struct oid_ent *o) {
        struct member *m = dcom_malloc(sizeof *m);

        if (!m)
                return -ENOMEM;
        m->h.key = o->h.key;
        m->o = o;
        if (ht_add(&s->members, &m->h) < 0) {
                dcom_free(m);
                return -ENOMEM;
        }
        o->held++;
        s->peer->n_held++;
        db.n_held++;
        return 0;
}

/* The set lets the OID go: held by a set pinged at pinged_ms until now. */
static void member_del_locked(struct pset *s, struct member *m) {
        struct oid_ent *o = m->o;

        ht_del(&s->members, &m->h);
        dcom_free(m);
        if (o->since_ms < s->pinged_ms)
                o->since_ms = s->pinged_ms;
        o->held--;
        s->peer->n_held--;
        db.n_held--;
        oid_put_locked(o);
}

static void set_free_locked(struct pset *s) {
        struct peer *p = s->peer;

        HT_FOREACH(&s->members, h, next)
                member_del_locked(s, CONTAINING_RECORD(h, struct member, h));
        ht_free(&s->members);
        ht_del(&db.sets, &s->h);
        p->n_sets--;
        dcom_free(s);
        peer_put_locked(p);
}

/* [MS-DCOM] 3.1.2.6: sets not pinged for three periods go, and their hold on the OIDs. */
static void sweep_locked(uint64_t now) {
        unsigned n = 0;
        uint64_t every = db.period_ms / 8 ? db.period_ms / 8 : 1;

        if (now - db.swept_ms < every)
                return;
        db.swept_ms = now;
        HT_FOREACH(&db.sets, h, next) {
                struct pset *s = CONTAINING_RECORD(h, struct pset, h);
                if (now - s->pinged_ms >= expiry_ms()) {
                        set_free_locked(s);
                        n++;
                }
        }
        if (n)
                log_debug(oxid, "%u ping sets expired, %zu left", n, db.sets.n);
}

static struct pset *set_find_locked(SETID id) {
        struct hnode *h = ht_find(&db.sets, id);
        return h ? CONTAINING_RECORD(h, struct pset, h) : NULL;
}

/* A new set with a random SETID nobody can guess (it is all a ping needs). */
static struct pset *set_new_locked(struct peer *p, uint64_t now) {
        struct pset *s = dcom_calloc(1, sizeof *s);
        uint64_t id = 0;

        if (!s)
                return NULL;
        while (id == 0 || set_find_locked(id))
                if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id) {
                        dcom_free(s);
                        return NULL;
                }
        s->h.key = id;
        s->peer = p;
        s->pinged_ms = now;
        if (ht_add(&db.sets, &s->h) < 0) {
                dcom_free(s);
                return NULL;
        }
        p->n_sets++;
        return s;
}

/* --- DUALSTRINGARRAY ([MS-DCOM] 2.2.19) ------------------------------------------------------- */

static size_t dsa_size(size_t entries) {
        size_t n = offsetof(DUALSTRINGARRAY, aStringArray) + 2 * entries;
        return n < sizeof(DUALSTRINGARRAY) ? sizeof(DUALSTRINGARRAY) : n;
}

/* Skips one binding from a[i] (wTowerId or wAuthnSvc, then head more units, then a
   NUL-terminated string) within end; false when it runs past end. */
static bool skip_binding(const uint16_t *a, size_t *i, size_t end, size_t head) {
        *i += 1 + head;
        while (*i < end && a[*i])
                (*i)++;
        if (*i >= end)
                return false;
        (*i)++;
        return true;
}

/*
 * Well formed: string bindings (wTowerId, address, NUL) ended by a 0 before
 * wSecurityOffset, security bindings (wAuthnSvc, wAuthzSvc, principal, NUL) ended by a 0
 * before wNumEntries, and nothing but zeros after each terminator.
 */
static bool dsa_valid(const DUALSTRINGARRAY *d) {
        const uint16_t *a = d->aStringArray;
        size_t n = d->wNumEntries, sec = d->wSecurityOffset, i = 0;

        if (sec > n || n > OXID_MAX_BINDINGS)
                return false;
        while (i < sec && a[i])
                if (!skip_binding(a, &i, sec, 0))
                        return false;
        if (i >= sec)
                return false;
        for (; i < sec; i++)
                if (a[i])
                        return false;
        while (i < n && a[i]) {
                if (i + 1 >= n || !skip_binding(a, &i, n, 1))
                        return false;
        }
        if (i >= n)
                return false;
        for (; i < n; i++)
                if (a[i])
                        return false;
        return true;
}

static bool protseq_wanted(uint16_t tower, uint16_t n, const uint16_t *want) {
        if (n == 0)
                return true;            /* no preference: everything */
        for (uint16_t i = 0; i < n; i++)
                if (want[i] == tower)
                        return true;
        return false;
}

/* d's string bindings of the requested protocol sequences and all its security bindings,
   from midl_user_allocate(); NULL without memory. */
static DUALSTRINGARRAY *dsa_filter(const DUALSTRINGARRAY *d, uint16_t n_want,
                                   const uint16_t *want) {
        const uint16_t *a = d->aStringArray;
        size_t sec = d->wSecurityOffset, n = d->wNumEntries;
        DUALSTRINGARRAY *r = midl_user_allocate(dsa_size(n + 1));
        size_t i = 0, k = 0;

        if (!r)
                return NULL;
        while (i < sec && a[i]) {
                size_t start = i;
                skip_binding(a, &i, sec, 0);    /* valid: checked at registration */
                if (protseq_wanted(a[start], n_want, want)) {
                        memcpy(&r->aStringArray[k], &a[start], (i - start) * 2);
                        k += i - start;
                }
        }
        r->aStringArray[k++] = 0;
        if (k == 1)
                r->aStringArray[k++] = 0;       /* none: the two zeros of an empty list */
        r->wSecurityOffset = (unsigned short)k;
        memcpy(&r->aStringArray[k], &a[sec], (n - sec) * 2);
        r->wNumEntries = (unsigned short)(k + n - sec);
        return r;
}

static DUALSTRINGARRAY *dsa_copy(const DUALSTRINGARRAY *d) {
        DUALSTRINGARRAY *r = midl_user_allocate(dsa_size(d->wNumEntries));

        if (r)
                memcpy(r, d, dsa_size(d->wNumEntries));
        return r;
}

/* --- our own bindings ------------------------------------------------------------------------- */

/* Every address of the host's interfaces that are up: others first, loopback last. */
static unsigned host_addrs(char (*out)[INET6_ADDRSTRLEN], unsigned max) {
        struct ifaddrs *ifs, *i;
        unsigned n = 0;

        if (getifaddrs(&ifs) < 0)
                return 0;
        for (int loop = 0; loop < 2; loop++)
                for (i = ifs; i; i = i->ifa_next) {
                        char s[INET6_ADDRSTRLEN];
                        bool lo = i->ifa_flags & IFF_LOOPBACK;
                        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || lo != (loop == 1))
                                continue;
                        if (i->ifa_addr->sa_family == AF_INET) {
                                inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
                                          s, sizeof s);
                        } else if (i->ifa_addr->sa_family == AF_INET6) {
                                const struct in6_addr *a6 =
                                        &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                                /* a link-local address means nothing without its zone */
                                if (IN6_IS_ADDR_LINKLOCAL(a6) || IN6_IS_ADDR_V4MAPPED(a6))
                                        continue;
                                inet_ntop(AF_INET6, a6, s, sizeof s);
                        } else {
                                continue;
                        }
                        bool dup = false;
                        for (unsigned j = 0; j < n && !dup; j++)
                                dup = strcmp(out[j], s) == 0;
                        if (!dup && n < max)
                                memcpy(out[n++], s, sizeof s);
                }
        freeifaddrs(ifs);
        return n;
}

static void put_ascii(uint16_t *a, size_t *k, const char *s) {
        while (*s)
                a[(*k)++] = (uint8_t)*s++;
        a[(*k)++] = 0;
}

/*
 * [MS-DCOM] 2.2.19: tower 7 and "address" for each address we listen at -- with
 * "[port]" when it is not 135, as [MS-DCOM] 2.2.19.3 assumes for a resolver -- then
 * the security providers callers may use, without a principal name.
 */
static DUALSTRINGARRAY *own_build(void) {
        char addrs[MAX_OWN_ADDRS][INET6_ADDRSTRLEN];
        unsigned n = 0;
        uint16_t svcs[3];
        unsigned n_svcs = 0;

        if (db.n_addrs)
                for (; n < db.n_addrs; n++)
                        snprintf(addrs[n], sizeof addrs[n], "%s", db.addrs[n]);
        else
                n = host_addrs(addrs, MAX_OWN_ADDRS);
#ifdef DCOM_HAVE_GSSAPI
        if (rpc_gss_have_keys()) {
                svcs[n_svcs++] = AUTHN_GSS_NEGOTIATE;
                svcs[n_svcs++] = AUTHN_GSS_KERBEROS;
        }
#endif
        svcs[n_svcs++] = AUTHN_WINNT;

        DUALSTRINGARRAY *d = dcom_malloc(dsa_size(OXID_MAX_BINDINGS));
        if (!d)
                return NULL;
        uint16_t *a = d->aStringArray;
        size_t k = 0;
        /* room for every security binding (3 units each) and the terminators */
        size_t room = OXID_MAX_BINDINGS - 3 * n_svcs - 3;
        for (unsigned i = 0; i < n; i++) {
                char s[INET6_ADDRSTRLEN + 8];
                /* the precision says what gcc -O3 cannot see: addrs[i] is one address */
                if (db.port == EPM_WELL_KNOWN_PORT)
                        snprintf(s, sizeof s, "%.*s", INET6_ADDRSTRLEN - 1, addrs[i]);
                else
                        snprintf(s, sizeof s, "%.*s[%u]", INET6_ADDRSTRLEN - 1, addrs[i], db.port);
                if (k + strlen(s) + 2 > room)
                        break;
                a[k++] = TOWER_TCP;
                put_ascii(a, &k, s);
        }
        a[k++] = 0;
        if (k == 1)
                a[k++] = 0;
        d->wSecurityOffset = (unsigned short)k;
        for (unsigned i = 0; i < n_svcs; i++) {
                a[k++] = svcs[i];
                a[k++] = AUTHZ_NONE;
                a[k++] = 0;             /* no principal name */
        }
        a[k++] = 0;
        d->wNumEntries = (unsigned short)k;
        return d;
}

/* Our bindings, from midl_user_allocate(); NULL without memory. */
static DUALSTRINGARRAY *own_bindings_locked(void) {
        uint64_t now = dcom_monotonic_ms();

        if (!db.own || (!db.n_addrs && now - db.own_ms >= ADDRS_REFRESH_MS)) {
                DUALSTRINGARRAY *d = own_build();
                if (d) {
                        dcom_free(db.own);
                        db.own = d;
                        db.own_ms = now;
                }
        }
        return db.own ? dsa_copy(db.own) : NULL;
}

int oxid_init(uint16_t port, const char *const *addrs, unsigned n_addrs, unsigned ping_period_ms) {
        int r = 0;

        pthread_mutex_lock(&db.lock);
        db.port = port;
        db.period_ms = ping_period_ms ? ping_period_ms : 120000;
        for (unsigned i = 0; i < db.n_addrs; i++)
                dcom_free(db.addrs[i]);
        db.n_addrs = 0;
        for (unsigned i = 0; i < n_addrs && db.n_addrs < MAX_OWN_ADDRS; i++) {
                /* a wildcard means every address of the host */
                if (strcmp(addrs[i], "0.0.0.0") == 0 || strcmp(addrs[i], "::") == 0) {
                        for (unsigned j = 0; j < db.n_addrs; j++)
                                dcom_free(db.addrs[j]);
                        db.n_addrs = 0;
                        break;
                }
                if (!(db.addrs[db.n_addrs] = dcom_strdup(addrs[i]))) {
                        r = -ENOMEM;
                        break;
                }
                db.n_addrs++;
        }
        dcom_free(db.own);
        db.own = NULL;
        pthread_mutex_unlock(&db.lock);
        return r;
}

void oxid_reset(void) {
        pthread_mutex_lock(&db.lock);
        HT_FOREACH(&db.sets, h, next)
                set_free_locked(CONTAINING_RECORD(h, struct pset, h));
        HT_FOREACH(&db.oxids, h, next)
                oxid_free_locked(CONTAINING_RECORD(h, struct oxid_ent, h));
        ht_free(&db.sets);
        ht_free(&db.oxids);
        ht_free(&db.oids);
        ht_free(&db.peers);
        dcom_free(db.own);
        db.own = NULL;
        pthread_mutex_unlock(&db.lock);
}

/* --- IObjectExporter ([MS-DCOM] 3.1.2.5.1) ---------------------------------------------------- */

/* 3.1.2.5.1.1 and 3.1.2.5.1.5: any caller may resolve (no permission is checked). */
static error_status_t resolve(OXID *pOxid, unsigned short n_want, const unsigned short *want,
                              DUALSTRINGARRAY **ppdsa, IPID *ipid, DWORD *hint) {
        error_status_t st = 0;

        *ppdsa = NULL;
        memset(ipid, 0, sizeof *ipid);
        *hint = 0;
        if (!pOxid)
                return OR_INVALID_OXID;
        pthread_mutex_lock(&db.lock);
        struct oxid_ent *ox = oxid_find_locked(*pOxid);
        if (!ox) {
                st = OR_INVALID_OXID;
        } else if (!(*ppdsa = dsa_filter(ox->bindings, n_want, want))) {
                st = ERROR_OUTOFMEMORY;
        } else {
                *ipid = ox->ipid;
                *hint = ox->hint;
        }
        pthread_mutex_unlock(&db.lock);
        log_debug(oxid, "ResolveOxid %016llx: %u", (unsigned long long)*pOxid, (unsigned)st);
        return st;
}

static error_status_t or_resolve_oxid(handle_t h, OXID *pOxid, unsigned short n_want,
                                      unsigned short *want, DUALSTRINGARRAY **ppdsa, IPID *ipid,
                                      DWORD *hint) {
        return resolve(pOxid, n_want, want, ppdsa, ipid, hint);
}

static error_status_t or_resolve_oxid2(handle_t h, OXID *pOxid, unsigned short n_want,
                                       unsigned short *want, DUALSTRINGARRAY **ppdsa, IPID *ipid,
                                       DWORD *hint, COMVERSION *ver) {
        ver->MajorVersion = COM_VERSION_MAJOR;
        ver->MinorVersion = COM_VERSION_MINOR;
        return resolve(pOxid, n_want, want, ppdsa, ipid, hint);
}

/* 3.1.2.5.1.2 */
static error_status_t or_simple_ping(handle_t h, SETID *pSetId) {
        error_status_t st = OR_INVALID_SET;
        uint64_t now = dcom_monotonic_ms();

        pthread_mutex_lock(&db.lock);
        sweep_locked(now);
        struct pset *s = pSetId ? set_find_locked(*pSetId) : NULL;
        if (s) {
                s->pinged_ms = now;
                st = 0;
        }
        pthread_mutex_unlock(&db.lock);
        return st;
}

/* How many of oids are live and not in s (NULL: a new set) -- an upper bound of what
   adding them takes (an OID named twice counts twice). */
static size_t count_new(const struct pset *s, const OID *oids, unsigned short n) {
        size_t k = 0;

        for (unsigned short i = 0; i < n; i++)
                k += oid_live_locked(oids[i]) && !(s && member_find(s, oids[i]));
        return k;
}

static bool room_to_hold(const struct pset *s, const struct peer *p, size_t k) {
        return (s ? s->members.n : 0) + k <= OXID_MAX_SET_OIDS &&
               p->n_held + k <= OXID_MAX_HELD_PER_PEER && db.n_held + k <= OXID_MAX_HELD;
}

/*
 * 3.1.2.5.1.3.  Beyond the letter of the spec: an OID of AddToSet that is not registered
 * fails the call with OR_INVALID_OID (as the spec says) only after the rest of the call
 * -- the other OIDs, DelFromSet, the ping itself -- took effect, so that one OID run
 * down under a client does not cost it the others; and a ComplexPing with an old
 * sequence number, which changes nothing, still counts as a ping.  Clients' sequence
 * numbers are otherwise not checked (impacket's first is 0 like its SETID).
 */
static error_status_t or_complex_ping(handle_t h, SETID *pSetId, unsigned short seq,
                                      unsigned short n_add, unsigned short n_del, OID add[],
                                      OID del[], unsigned short *backoff) {
        struct rpc_peer who = ping_peer(h);
        uint64_t now = dcom_monotonic_ms();
        error_status_t st = 0;
        bool invalid = false;
        struct pset *s;

        *backoff = 0;                   /* [MS-DCOM] <55>: Windows sends 0 */
        if (!pSetId)
                return ERROR_INVALID_PARAMETER;
        if (!add)
                n_add = 0;
        if (!del)
                n_del = 0;
        pthread_mutex_lock(&db.lock);
        sweep_locked(now);
        if (*pSetId == 0) {
                struct peer *p = peer_get_locked(&who);
                size_t k = count_new(NULL, add, n_add);
                if (!p) {
                        st = ERROR_OUTOFMEMORY;
                } else if (p->n_sets >= OXID_MAX_SETS_PER_PEER || db.sets.n >= OXID_MAX_SETS ||
                           !room_to_hold(NULL, p, k)) {
                        st = RPC_S_OUT_OF_RESOURCES;
                } else if (!(s = set_new_locked(p, now))) {
                        st = ERROR_OUTOFMEMORY;
                } else {
                        s->seq = seq;
                        /* OIDs not registered are left out, as 3.1.2.5.1.3 says */
                        for (unsigned short i = 0; i < n_add && st == 0; i++) {
                                struct oid_ent *o = oid_live_locked(add[i]);
                                if (o && !member_find(s, add[i]) && member_add_locked(s, o) < 0)
                                        st = ERROR_OUTOFMEMORY;
                        }
                        *pSetId = s->h.key;
                }
                if (p)
                        peer_put_locked(p);
                goto out;
        }
        s = set_find_locked(*pSetId);
        if (!s) {
                st = OR_INVALID_SET;
                goto out;
        }
        s->pinged_ms = now;
        if ((int16_t)(s->seq - seq) > 0)
                goto out;               /* an old request, come late: nothing to change */
        if (!room_to_hold(s, s->peer, count_new(s, add, n_add))) {
                st = RPC_S_OUT_OF_RESOURCES;
                goto out;
        }
        for (unsigned short i = 0; i < n_add && st == 0; i++) {
                struct oid_ent *o;
                if (member_find(s, add[i]))
                        continue;
                if (!(o = oid_live_locked(add[i])))
                        invalid = true;
                else if (member_add_locked(s, o) < 0)
                        st = ERROR_OUTOFMEMORY;
        }
        for (unsigned short i = 0; i < n_del; i++) {
                struct member *m = member_find(s, del[i]);
                if (m)
                        member_del_locked(s, m);
        }
        s->seq = seq;
        if (st == 0 && invalid)
                st = OR_INVALID_OID;
out:
        pthread_mutex_unlock(&db.lock);
        log_debug(oxid, "ComplexPing %016llx seq %u +%u -%u: %u", (unsigned long long)*pSetId,
                  seq, n_add, n_del, (unsigned)st);
        return st;
}

/* 3.1.2.5.1.4: no permission is checked. */
static error_status_t or_server_alive(handle_t h) {
        return 0;
}

/* 3.1.2.5.1.6 */
static error_status_t or_server_alive2(handle_t h, COMVERSION *ver, DUALSTRINGARRAY **ppdsa,
                                       DWORD *reserved) {
        ver->MajorVersion = COM_VERSION_MAJOR;
        ver->MinorVersion = COM_VERSION_MINOR;
        *reserved = 0;
        pthread_mutex_lock(&db.lock);
        *ppdsa = own_bindings_locked();
        pthread_mutex_unlock(&db.lock);
        return *ppdsa ? 0 : ERROR_OUTOFMEMORY;
}

const struct IObjectExporter_v0_0_epv oxid_exporter_epv = {
        .ResolveOxid = or_resolve_oxid,
        .SimplePing = or_simple_ping,
        .ComplexPing = or_complex_ping,
        .ServerAlive = or_server_alive,
        .ResolveOxid2 = or_resolve_oxid2,
        .ServerAlive2 = or_server_alive2,
};

/* --- oxidreg: the local exporters' side ------------------------------------------------------- */

static _Atomic uint64_t foreign_owner;

void oxid_set_foreign_call_owner(uint64_t owner) {
        foreign_owner = owner;
}

static bool foreign_call(handle_t h) {
        const struct ndr_server_call *call = h;
        return call && !call->runtime;
}

/* The association a call came on: what it registers belongs to it. */
static uint64_t call_owner(handle_t h) {
        return foreign_call(h) ? foreign_owner : rpc_call_owner(h);
}

/* Over ncalrpc only: the kernel names the caller, and nothing of it reaches the network. */
static bool local_call(handle_t h) {
        if (foreign_call(h))
                return foreign_owner != 0;
        return rpc_call_protseq(h) == RPC_PROTSEQ_LRPC;
}

/* The caller's OXID: OR_INVALID_OXID, ERROR_ACCESS_DENIED (another owner's), or 0. */
static error_status_t own_oxid_locked(handle_t h, OXID oxid, const char *what,
                                      struct oxid_ent **ret) {
        struct oxid_ent *ox = oxid_find_locked(oxid);

        if (!ox)
                return OR_INVALID_OXID;
        if (ox->owner != call_owner(h)) {
                struct rpc_peer who = caller_peer(h);
                rpc_audit("oxid: %s of OXID %016llx refused to uid %d, pid %d: not its owner",
                          what, (unsigned long long)oxid, who.has_cred ? (int)who.uid : -1,
                          who.has_cred ? (int)who.pid : -1);
                return ERROR_ACCESS_DENIED;
        }
        *ret = ox;
        return 0;
}

static unsigned owner_oxids_locked(uint64_t owner) {
        unsigned n = 0;

        HT_FOREACH(&db.oxids, h, next)
                n += CONTAINING_RECORD(h, struct oxid_ent, h)->owner == owner;
        return n;
}

static error_status_t reg_register_oxid(handle_t h, OXID oxid, IPID *ipid, ULONG hint,
                                        DUALSTRINGARRAY *bindings, DUALSTRINGARRAY **res) {
        uint64_t owner = call_owner(h);
        struct rpc_peer who = caller_peer(h);
        struct oxid_ent *ox = NULL;
        struct peer *user = NULL;
        error_status_t st = 0;

        *res = NULL;
        if (!local_call(h) || owner == 0)
                return ERROR_ACCESS_DENIED;
        if (!ipid || !bindings || !dsa_valid(bindings))
                return ERROR_INVALID_PARAMETER;
        pthread_mutex_lock(&db.lock);
        if (oxid_find_locked(oxid)) {
                st = ERROR_ALREADY_EXISTS;
                goto out;
        }
        user = peer_get_locked(&who);
        if (!user) {
                st = ERROR_OUTOFMEMORY;
                goto out;
        }
        if (db.oxids.n >= OXID_MAX_OXIDS || user->n_oxids >= OXID_MAX_OXIDS_PER_USER ||
            owner_oxids_locked(owner) >= OXID_MAX_OXIDS_PER_OWNER) {
                st = RPC_S_OUT_OF_RESOURCES;
                goto out;
        }
        ox = dcom_calloc(1, sizeof *ox);
        if (!ox || !(ox->bindings = dcom_memdup(bindings, dsa_size(bindings->wNumEntries))) ||
            !(*res = own_bindings_locked())) {
                st = ERROR_OUTOFMEMORY;
                goto out;
        }
        ox->h.key = oxid;
        ox->owner = owner;
        ox->user = user;
        ox->ipid = *ipid;
        ox->hint = hint;
        if (ht_add(&db.oxids, &ox->h) < 0) {
                st = ERROR_OUTOFMEMORY;
                goto out;
        }
        user->n_oxids++;
        ox = NULL;
out:
        if (ox) {
                dcom_free(ox->bindings);
                dcom_free(ox);
        }
        if (st)
                *res = NULL;            /* the arena's: nothing to free */
        if (user)
                peer_put_locked(user);
        pthread_mutex_unlock(&db.lock);
        log_debug(oxid, "RegisterOxid %016llx (owner %llu): %u", (unsigned long long)oxid,
                  (unsigned long long)owner, (unsigned)st);
        return st;
}

static error_status_t reg_revoke_oxid(handle_t h, OXID oxid) {
        struct oxid_ent *ox = NULL;
        error_status_t st;

        if (!local_call(h))
                return ERROR_ACCESS_DENIED;
        pthread_mutex_lock(&db.lock);
        st = own_oxid_locked(h, oxid, "RevokeOxid", &ox);
        if (st == 0)
                oxid_free_locked(ox);
        pthread_mutex_unlock(&db.lock);
        return st;
}

static error_status_t reg_add_oids(handle_t h, OXID oxid, ULONG n, OID oids[]) {
        uint64_t now = dcom_monotonic_ms();
        struct oxid_ent *ox = NULL;
        error_status_t st;
        size_t k = 0;

        if (!local_call(h))
                return ERROR_ACCESS_DENIED;
        if (n > OXID_MAX_OIDS_PER_OXID || (n && !oids))
                return ERROR_INVALID_PARAMETER;
        pthread_mutex_lock(&db.lock);
        st = own_oxid_locked(h, oxid, "AddOids", &ox);
        /* all or nothing: another OXID's OID, or no room for the new ones, changes nothing */
        for (ULONG i = 0; st == 0 && i < n; i++) {
                struct oid_ent *o = oid_find_locked(oids[i]);
                if (o && o->ox && o->ox != ox)
                        st = ERROR_ALREADY_EXISTS;
                k += !(o && o->ox == ox);
        }
        if (st == 0 && (ox->n_oids + k > OXID_MAX_OIDS_PER_OXID ||
                        ox->user->n_oids + k > OXID_MAX_OIDS_PER_USER ||
                        db.n_live_oids + k > OXID_MAX_OIDS))
                st = RPC_S_OUT_OF_RESOURCES;
        for (ULONG i = 0; st == 0 && i < n; i++)
                if (oid_add_locked(ox, oids[i], now) < 0)
                        st = ERROR_OUTOFMEMORY;
        pthread_mutex_unlock(&db.lock);
        return st;
}

static error_status_t reg_remove_oids(handle_t h, OXID oxid, ULONG n, OID oids[]) {
        struct oxid_ent *ox = NULL;
        error_status_t st;

        if (!local_call(h))
                return ERROR_ACCESS_DENIED;
        if (n && !oids)
                return ERROR_INVALID_PARAMETER;
        pthread_mutex_lock(&db.lock);
        st = own_oxid_locked(h, oxid, "RemoveOids", &ox);
        for (ULONG i = 0; st == 0 && i < n; i++) {
                struct oid_ent *o = oid_find_locked(oids[i]);
                if (o && o->ox == ox)
                        oid_remove_locked(o);
        }
        pthread_mutex_unlock(&db.lock);
        return st;
}

static error_status_t reg_rundown(handle_t h, OXID oxid, ULONG *pcOids, OID **ppOids) {
        uint64_t now = dcom_monotonic_ms();
        struct oxid_ent *ox = NULL;
        error_status_t st;
        ULONG k = 0;

        *pcOids = 0;
        *ppOids = NULL;
        if (!local_call(h))
                return ERROR_ACCESS_DENIED;
        pthread_mutex_lock(&db.lock);
        st = own_oxid_locked(h, oxid, "Rundown", &ox);
        if (st == 0) {
                sweep_locked(now);
                for (struct oid_ent *o = ox->oids; o; o = o->next)
                        k += oid_due(o, now);
        }
        if (st == 0 && k) {
                OID *v = midl_user_allocate(k * sizeof *v);
                if (!v) {
                        st = ERROR_OUTOFMEMORY;
                } else {
                        ULONG j = 0;
                        for (struct oid_ent *o = ox->oids, *next; o; o = next) {
                                next = o->next;
                                if (oid_due(o, now)) {
                                        v[j++] = o->h.key;
                                        oid_remove_locked(o);
                                }
                        }
                        *pcOids = j;
                        *ppOids = v;
                }
        }
        pthread_mutex_unlock(&db.lock);
        if (k)
                log_debug(oxid, "Rundown %016llx: %u OIDs", (unsigned long long)oxid, *pcOids);
        return st;
}

const struct oxidreg_v1_0_epv oxid_registry_epv = {
        .RegisterOxid = reg_register_oxid,
        .RevokeOxid = reg_revoke_oxid,
        .AddOids = reg_add_oids,
        .RemoveOids = reg_remove_oids,
        .Rundown = reg_rundown,
        .RegisterClass = scm_register_class,
        .RevokeClass = scm_revoke_class,
};

/* --- for the activator (scm.c) ------------------------------------------------------------ */

error_status_t oxid_resolve(OXID oxid, unsigned short n_want, const unsigned short *want,
                            DUALSTRINGARRAY **ppdsa, IPID *ipid, DWORD *hint) {
        return resolve(&oxid, n_want, want, ppdsa, ipid, hint);
}

error_status_t oxid_caller_endpoint(handle_t h, OXID oxid, char *ep, size_t size) {
        struct oxid_ent *ox = NULL;
        error_status_t st;

        if (!local_call(h))
                return ERROR_ACCESS_DENIED;
        pthread_mutex_lock(&db.lock);
        st = own_oxid_locked(h, oxid, "RegisterClass", &ox);
        if (st == 0) {
                /* the string bindings (valid: checked at registration): ncalrpc's address */
                const uint16_t *a = ox->bindings->aStringArray;
                size_t sec = ox->bindings->wSecurityOffset, i = 0;
                st = OR_INVALID_OXID;
                while (i < sec && a[i]) {
                        size_t start = i, k = 0;
                        skip_binding(a, &i, sec, 0);
                        if (a[start] != DSA_TOWER_LRPC_ID)
                                continue;
                        for (size_t j = start + 1; j < i - 1 && k + 1 < size; j++) {
                                if (a[j] > 0x7e || a[j] < 0x21 || a[j] == '[' || a[j] == ']' ||
                                    a[j] == '/') {
                                        k = 0;
                                        break;
                                }
                                ep[k++] = (char)a[j];
                        }
                        ep[k] = 0;
                        if (k) {
                                st = 0;
                                break;
                        }
                }
        }
        pthread_mutex_unlock(&db.lock);
        return st;
}
