/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local OXID resolver's client (resolver.h): the calls of rpcss's private oxidreg
 * interface (idl/oxidreg.idl) over one process-wide connection to ncalrpc:[epmapper].
 *
 * What this process registers lives in rpcss with the connection's association and goes
 * when it ends -- the process exited, or rpcss restarted.  So the process keeps a copy
 * of it (each OXID with its bindings and the OIDs added and not yet removed or run
 * down), and the first call that finds the connection gone connects again and
 * registers all of it anew before doing its own work: an exporter's OXIDs resolve again
 * once it calls after a restart (the exporter asks for rundowns every quarter of a ping
 * period).  OIDs registered again start a fresh grace period, in which the clients,
 * whose ping sets rpcss forgot (OR_INVALID_SET), make new ones.
 *
 * One mutex serialises the calls (the binding takes one call at a time anyway).  A
 * forked child starts afresh: its parent's connection and registrations are not its.
 * [out] data of the stubs is taken out of any server call's arena (a resolver call made
 * while an incoming call is marshaled), so that what is handed to the caller is malloc'd.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "com/resolver.h"
#include "oxidreg_stub.h"
#include "rpc/rpc-internal.h"

static LOG_CHANNEL(com);

#define RESOLVER_TIMEOUT_MS 5000        /* a hung rpcss holds nobody for long */
#define OIDS_PER_CALL 65536u            /* oxidreg's range(0, 65536) */
#define REPLAY_EEXIST_TRIES 50          /* the old association's end not yet handled */

/* --- a set of OIDs ------------------------------------------------------------------------ */

/* Open addressing with linear probing; 0 is a key like any other (has_zero). */
struct oidset {
        uint64_t *v;
        size_t cap, n;                  /* cap: 0 or a power of two; n: keys in v[] */
        bool has_zero;
};

static size_t slot_of(uint64_t k, size_t cap) {
        return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static bool oidset_has(const struct oidset *s, uint64_t k) {
        if (k == 0)
                return s->has_zero;
        if (!s->cap)
                return false;
        for (size_t i = slot_of(k, s->cap);; i = (i + 1) & (s->cap - 1)) {
                if (s->v[i] == k)
                        return true;
                if (s->v[i] == 0)
                        return false;
        }
}

static void put_slot(uint64_t *v, size_t cap, uint64_t k) {
        size_t i = slot_of(k, cap);

        while (v[i] && v[i] != k)
                i = (i + 1) & (cap - 1);
        v[i] = k;
}

/* Room for n more keys (at most half full), so that the adds after it cannot fail. */
static int oidset_reserve(struct oidset *s, size_t n) {
        size_t cap = s->cap ? s->cap : 16;

        while ((s->n + n) * 2 > cap) {
                if (cap > SIZE_MAX / 4)
                        return -ENOMEM;
                cap *= 2;
        }
        if (cap == s->cap)
                return 0;
        uint64_t *v = calloc(cap, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
                if (s->v[i])
                        put_slot(v, cap, s->v[i]);
        free(s->v);
        s->v = v;
        s->cap = cap;
        return 0;
}

static void oidset_add(struct oidset *s, uint64_t k) {
        if (k == 0) {
                s->has_zero = true;
                return;
        }
        assert(s->cap && (s->n + 1) * 2 <= s->cap);
        if (!oidset_has(s, k)) {
                put_slot(s->v, s->cap, k);
                s->n++;
        }
}

/* Removal with backward shift: the probe sequences of the keys after it stay unbroken. */
static void oidset_del(struct oidset *s, uint64_t k) {
        size_t i, j;

        if (k == 0) {
                s->has_zero = false;
                return;
        }
        if (!s->cap)
                return;
        for (i = slot_of(k, s->cap); s->v[i] != k; i = (i + 1) & (s->cap - 1))
                if (s->v[i] == 0)
                        return;
        s->n--;
        for (j = (i + 1) & (s->cap - 1); s->v[j]; j = (j + 1) & (s->cap - 1)) {
                size_t home = slot_of(s->v[j], s->cap);
                /* v[j] may move to the hole at i when its home is not within (i, j] */
                if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
                        s->v[i] = s->v[j];
                        i = j;
                }
        }
        s->v[i] = 0;
}

/* The keys, into out (room for s->n + 1). */
static size_t oidset_list(const struct oidset *s, uint64_t *out) {
        size_t n = 0;

        if (s->has_zero)
                out[n++] = 0;
        for (size_t i = 0; i < s->cap; i++)
                if (s->v[i])
                        out[n++] = s->v[i];
        return n;
}

/* --- the process's registrations ---------------------------------------------------------- */

struct reg {
        struct reg *next;
        OXID oxid;
        IPID ipid;
        uint32_t hint;
        DUALSTRINGARRAY *bindings;      /* malloc'd copy */
        struct oidset oids;
        uint32_t group;                 /* the association it is registered in (0: none) */
};

/* A class object offered to activation (RegisterClass). */
struct classreg {
        struct classreg *next;
        OXID oxid;
        GUID clsid;
        uint32_t cookie, flags;
        uint32_t group;                 /* the association it is registered in (0: none) */
};

static struct {
        pthread_mutex_t lock;           /* everything below, and the calls */
        struct rpc_binding *b;
        pid_t pid;                      /* whose connection and registrations these are */
        bool stale;                     /* registrations to make again on a new association */
        struct reg *regs;
        struct classreg *classes;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t dsa_size(const DUALSTRINGARRAY *d) {
        size_t n = offsetof(DUALSTRINGARRAY, aStringArray) + 2u * d->wNumEntries;
        return n < sizeof *d ? sizeof *d : n;
}

static DUALSTRINGARRAY *dsa_dup(const DUALSTRINGARRAY *d) {
        DUALSTRINGARRAY *c = malloc(dsa_size(d));

        if (c)
                memcpy(c, d, dsa_size(d));
        return c;
}

static struct reg *reg_find_locked(OXID oxid) {
        for (struct reg *r = st.regs; r; r = r->next)
                if (r->oxid == oxid)
                        return r;
        return NULL;
}

static void reg_free(struct reg *r) {
        free(r->bindings);
        free(r->oids.v);
        free(r);
}

static void reg_unlink_locked(struct reg *r) {
        for (struct reg **p = &st.regs; *p; p = &(*p)->next)
                if (*p == r) {
                        *p = r->next;
                        break;
                }
        reg_free(r);
}

/* --- calls ------------------------------------------------------------------------------- */

/* oxidreg's statuses (idl/oxidreg.idl) as errno. */
static int errno_from_status(error_status_t s) {
        switch (s) {
        case 0:
                return 0;
        case ERROR_ACCESS_DENIED:
                return -EACCES;
        case OR_INVALID_OXID:
                return -ENOENT;
        case ERROR_ALREADY_EXISTS:
                return -EEXIST;
        case ERROR_INVALID_PARAMETER:
                return -EINVAL;
        case RPC_S_OUT_OF_RESOURCES:
                return -ENOSPC;
        case ERROR_OUTOFMEMORY:
        case ERROR_NOT_ENOUGH_MEMORY:
                return -ENOMEM;
        default:
                return -EPROTO;
        }
}

/*
 * A call's result: the transport's error, or the status as errno.  Any transport error
 * but a fault closed the connection (the client runtime does), and with it the
 * association our registrations lived in.
 */
static int result_locked(int r, error_status_t s) {
        if (r < 0) {
                if (r != -EREMOTEIO)
                        st.stale = true;
                return r;
        }
        return errno_from_status(s);
}

/* The connection broke under a call: the call is worth one more try on a new one. */
static bool broken(int r) {
        return r == -ECONNRESET || r == -EPIPE || r == -ECONNABORTED || r == -ENOTCONN;
}

static int call_register_locked(const struct reg *g, DUALSTRINGARRAY **ret_res) {
        error_status_t s = 0;
        IPID ipid = g->ipid;
        int r;

        r = oxidreg_RegisterOxid((handle_t)st.b, g->oxid, &ipid, g->hint, g->bindings, ret_res,
                                 &s);
        return result_locked(r, s);
}

static int call_add_locked(OXID oxid, const OID *oids, size_t n) {
        for (size_t done = 0; done < n;) {
                ULONG k = (ULONG)(n - done < OIDS_PER_CALL ? n - done : OIDS_PER_CALL);
                error_status_t s = 0;
                int r = oxidreg_AddOids((handle_t)st.b, oxid, k, (OID *)oids + done, &s);
                if ((r = result_locked(r, s)) < 0)
                        return r;
                done += k;
        }
        return 0;
}

/* Everything this process registered, on the new association (what an interrupted
   replay registered on it already stays). */
static int replay_locked(void) {
        for (struct reg *g = st.regs; g; g = g->next) {
                DUALSTRINGARRAY *res = NULL;
                int r;

                if (g->group && g->group == rpc_binding_assoc_group(st.b))
                        continue;
                for (int i = 0;; i++) {
                        r = call_register_locked(g, &res);
                        midl_user_free(res);
                        res = NULL;
                        /* a new association cannot hold it: the old one's end is being
                           handled in rpcss still */
                        if (r != -EEXIST || i >= REPLAY_EEXIST_TRIES)
                                break;
                        usleep(10000);
                }
                if (r < 0)
                        return r;
                if (g->oids.n || g->oids.has_zero) {
                        OID *v = malloc((g->oids.n + 1) * sizeof *v);
                        if (!v)
                                return -ENOMEM;
                        size_t n = oidset_list(&g->oids, v);
                        r = call_add_locked(g->oxid, v, n);
                        free(v);
                        if (r < 0)
                                return r;
                }
                g->group = rpc_binding_assoc_group(st.b);
        }
        /* the class objects after the OXIDs they are called through */
        for (struct classreg *c = st.classes; c; c = c->next) {
                error_status_t s = 0;
                int r;

                if (c->group && c->group == rpc_binding_assoc_group(st.b))
                        continue;
                r = oxidreg_RegisterClass((handle_t)st.b, c->oxid, &c->clsid, c->cookie, c->flags,
                                          &s);
                if ((r = result_locked(r, s)) < 0)
                        return r;
                c->group = rpc_binding_assoc_group(st.b);
        }
        if (st.regs)
                log_debug(com, "registered our OXIDs again with rpcss (a new connection)");
        return 0;
}

/* A connection whose association holds what this process registered. */
static int prepare_locked(void) {
        int r;

        if (st.pid != getpid()) {
                /* a forked child: the parent's connection and registrations stay its */
                rpc_binding_free(st.b);
                st.b = NULL;
                while (st.regs) {
                        struct reg *g = st.regs;
                        st.regs = g->next;
                        reg_free(g);
                }
                while (st.classes) {
                        struct classreg *c = st.classes;
                        st.classes = c->next;
                        free(c);
                }
                st.stale = false;
                st.pid = getpid();
        }
        if (!st.b) {
                r = rpc_binding_from_string("ncalrpc:[epmapper]", &st.b);
                if (r < 0)
                        return r;
                /* an association of our own: the registrations live exactly as long */
                rpc_binding_set_unique(st.b, true);
                rpc_binding_set_timeout(st.b, RESOLVER_TIMEOUT_MS);
                st.stale = true;
        } else if (rpc_binding_connection_lost(st.b)) {
                st.stale = true;
        }
        if (!st.stale)
                return 0;
        r = replay_locked();
        if (r >= 0)
                st.stale = false;
        return r;
}

/*
 * Runs op on a prepared connection; once more on a new one when the connection broke
 * under it (rpcss restarted between two calls).  op's [out] data comes from malloc
 * whatever the thread is doing.
 */
static int run_locked(int (*op)(void *ctx), void *ctx) {
        struct arena *saved = ndr_call_arena_set(NULL);
        int r;

        for (int attempt = 0;; attempt++) {
                r = prepare_locked();
                if (r >= 0)
                        r = op(ctx);
                if (r >= 0 || attempt > 0 || !broken(r))
                        break;
                st.stale = true;
        }
        ndr_call_arena_set(saved);
        return r;
}

/* --- the API -------------------------------------------------------------------------------- */

struct register_args {
        struct reg *g;
        DUALSTRINGARRAY *res;
};

static int op_register(void *ctx) {
        struct register_args *a = ctx;

        midl_user_free(a->res);
        a->res = NULL;
        return call_register_locked(a->g, &a->res);
}

int com_resolver_register_oxid(OXID oxid, const IPID *ipid_remunknown, uint32_t authn_hint,
                               const DUALSTRINGARRAY *bindings, DUALSTRINGARRAY **ret_resolver) {
        struct register_args a = { NULL, NULL };
        int r;

        if (!ipid_remunknown || !bindings || bindings->wSecurityOffset > bindings->wNumEntries)
                return -EINVAL;
        a.g = calloc(1, sizeof *a.g);
        if (!a.g)
                return -ENOMEM;
        a.g->oxid = oxid;
        a.g->ipid = *ipid_remunknown;
        a.g->hint = authn_hint;
        a.g->bindings = dsa_dup(bindings);
        if (!a.g->bindings) {
                reg_free(a.g);
                return -ENOMEM;
        }
        pthread_mutex_lock(&st.lock);
        if (st.pid == getpid() && reg_find_locked(oxid))
                r = -EEXIST;
        else
                r = run_locked(op_register, &a);
        if (r >= 0) {
                a.g->group = rpc_binding_assoc_group(st.b);
                a.g->next = st.regs;
                st.regs = a.g;
                a.g = NULL;
        }
        pthread_mutex_unlock(&st.lock);
        if (a.g)
                reg_free(a.g);
        if (r >= 0 && ret_resolver)
                *ret_resolver = a.res;          /* midl_user_allocate outside a call: malloc */
        else
                midl_user_free(a.res);
        return r;
}

static int op_revoke(void *ctx) {
        error_status_t s = 0;
        int r = oxidreg_RevokeOxid((handle_t)st.b, *(const OXID *)ctx, &s);

        return result_locked(r, s);
}

int com_resolver_revoke_oxid(OXID oxid) {
        bool ours;
        int r;

        pthread_mutex_lock(&st.lock);
        /* forgotten here first: a registration made again on a new connection must not
           bring it back */
        struct reg *g = st.pid == getpid() ? reg_find_locked(oxid) : NULL;
        ours = g != NULL;
        if (g)
                reg_unlink_locked(g);
        r = run_locked(op_revoke, &oxid);
        pthread_mutex_unlock(&st.lock);
        /* ours and unreachable, or unknown to an rpcss that restarted: gone either way */
        if (ours && (r == -ENOENT || r == -ECONNREFUSED || broken(r)))
                r = 0;
        return r;
}

struct oids_args {
        OXID oxid;
        const OID *oids;
        size_t n;
        OID *out;                       /* rundown */
        ULONG n_out;
};

static int op_add(void *ctx) {
        struct oids_args *a = ctx;

        return call_add_locked(a->oxid, a->oids, a->n);
}

int com_resolver_add_oids(OXID oxid, const OID *oids, unsigned n) {
        struct oids_args a = { .oxid = oxid, .oids = oids, .n = n };
        int r;

        if (n && !oids)
                return -EINVAL;
        pthread_mutex_lock(&st.lock);
        struct reg *g = st.pid == getpid() ? reg_find_locked(oxid) : NULL;
        /* room first: what rpcss took, the copy must take too */
        r = g ? oidset_reserve(&g->oids, n) : 0;
        if (r >= 0)
                r = run_locked(op_add, &a);
        g = r >= 0 ? reg_find_locked(oxid) : NULL;
        for (unsigned i = 0; g && i < n; i++)
                oidset_add(&g->oids, oids[i]);
        pthread_mutex_unlock(&st.lock);
        return r;
}

static int op_remove(void *ctx) {
        struct oids_args *a = ctx;

        for (size_t done = 0; done < a->n;) {
                ULONG k = (ULONG)(a->n - done < OIDS_PER_CALL ? a->n - done : OIDS_PER_CALL);
                error_status_t s = 0;
                int r = oxidreg_RemoveOids((handle_t)st.b, a->oxid, k, (OID *)a->oids + done, &s);
                if ((r = result_locked(r, s)) < 0)
                        return r;
                done += k;
        }
        return 0;
}

int com_resolver_remove_oids(OXID oxid, const OID *oids, unsigned n) {
        struct oids_args a = { .oxid = oxid, .oids = oids, .n = n };
        int r;

        if (n && !oids)
                return -EINVAL;
        pthread_mutex_lock(&st.lock);
        struct reg *g = st.pid == getpid() ? reg_find_locked(oxid) : NULL;
        for (unsigned i = 0; g && i < n; i++)
                oidset_del(&g->oids, oids[i]);
        r = run_locked(op_remove, &a);
        pthread_mutex_unlock(&st.lock);
        return r;
}

static int op_rundown(void *ctx) {
        struct oids_args *a = ctx;
        error_status_t s = 0;
        int r;

        midl_user_free(a->out);
        a->out = NULL;
        a->n_out = 0;
        r = oxidreg_Rundown((handle_t)st.b, a->oxid, &a->n_out, &a->out, &s);
        r = result_locked(r, s);
        if (r >= 0 && a->n_out && !a->out)
                r = -EPROTO;
        return r;
}

int com_resolver_rundown(OXID oxid, OID **ret, unsigned *ret_n) {
        struct oids_args a = { .oxid = oxid };
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        pthread_mutex_lock(&st.lock);
        r = run_locked(op_rundown, &a);
        struct reg *g = r >= 0 ? reg_find_locked(oxid) : NULL;
        for (ULONG i = 0; g && i < a.n_out; i++)
                oidset_del(&g->oids, a.out[i]);
        pthread_mutex_unlock(&st.lock);
        if (r < 0) {
                midl_user_free(a.out);
                return r;
        }
        if (a.n_out == 0) {
                midl_user_free(a.out);
                a.out = NULL;
        }
        *ret = a.out;                   /* midl_user_allocate outside a call: malloc */
        *ret_n = a.n_out;
        return 0;
}

struct class_args {
        struct classreg *c;
        uint32_t cookie;
};

static int op_register_class(void *ctx) {
        struct class_args *a = ctx;
        error_status_t s = 0;
        int r = oxidreg_RegisterClass((handle_t)st.b, a->c->oxid, &a->c->clsid, a->c->cookie,
                                      a->c->flags, &s);

        return result_locked(r, s);
}

int com_resolver_register_class(OXID oxid, const GUID *clsid, uint32_t cookie, uint32_t flags) {
        struct class_args a = { .cookie = cookie };
        int r;

        if (!clsid)
                return -EINVAL;
        if (!(a.c = calloc(1, sizeof *a.c)))
                return -ENOMEM;
        a.c->oxid = oxid;
        a.c->clsid = *clsid;
        a.c->cookie = cookie;
        a.c->flags = flags;
        pthread_mutex_lock(&st.lock);
        r = run_locked(op_register_class, &a);
        if (r >= 0) {
                a.c->group = rpc_binding_assoc_group(st.b);
                a.c->next = st.classes;
                st.classes = a.c;
                a.c = NULL;
        }
        pthread_mutex_unlock(&st.lock);
        free(a.c);
        return r;
}

static int op_revoke_class(void *ctx) {
        struct class_args *a = ctx;
        error_status_t s = 0;
        int r = oxidreg_RevokeClass((handle_t)st.b, a->cookie, &s);

        return result_locked(r, s);
}

int com_resolver_revoke_class(uint32_t cookie) {
        struct class_args a = { .cookie = cookie };
        bool ours = false;
        int r;

        pthread_mutex_lock(&st.lock);
        for (struct classreg **p = &st.classes; st.pid == getpid() && *p; p = &(*p)->next)
                if ((*p)->cookie == cookie) {
                        struct classreg *c = *p;
                        *p = c->next;
                        free(c);
                        ours = true;
                        break;
                }
        r = ours ? run_locked(op_revoke_class, &a) : 0;
        pthread_mutex_unlock(&st.lock);
        /* unreachable rpcss: the registration went with it */
        if (r == -ECONNREFUSED || r == -ENOENT || broken(r))
                r = 0;
        return r;
}

void com_resolver_disconnect(void) {
        pthread_mutex_lock(&st.lock);
        rpc_binding_free(st.b);
        st.b = NULL;
        pthread_mutex_unlock(&st.lock);
}

/* --- the ping period ------------------------------------------------------------------------ */

#define PING_PERIOD_DEFAULT_MS 120000u  /* [MS-DCOM] 3.1.2.2: at most, and by default, 2 min */
#define PING_PERIOD_MIN_MS 10u

static pthread_once_t period_once = PTHREAD_ONCE_INIT;
static unsigned period_ms;

static void read_period(void) {
        const char *s = getenv("OPENDCOM_PING_PERIOD_MS");
        char *end;
        unsigned long v;

        period_ms = PING_PERIOD_DEFAULT_MS;
        if (!s || !*s)
                return;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || s[0] == '-' || v < PING_PERIOD_MIN_MS) {
                log_debug(com, "OPENDCOM_PING_PERIOD_MS=%s: not a period in ms (at least %u): "
                               "%u ms", s, PING_PERIOD_MIN_MS, PING_PERIOD_DEFAULT_MS);
                return;
        }
        /* longer than the protocol allows: clients ping every 2 minutes whatever we say */
        period_ms = v > PING_PERIOD_DEFAULT_MS ? PING_PERIOD_DEFAULT_MS : (unsigned)v;
}

unsigned com_ping_period_ms(void) {
        pthread_once(&period_once, read_period);
        return period_ms;
}
