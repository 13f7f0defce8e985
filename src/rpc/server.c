/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC server: interfaces registered from dcomidl's generated tables
 * (RpcServerRegisterIf2's role), listeners on ncacn_ip_tcp (IPv4/IPv6, fixed or dynamic
 * port) and ncalrpc (a Unix socket under the runtime directory), and an event loop
 * served by a bounded pool of threads (Windows' RPC runtime: a thread pool on a
 * completion port).  An idle or slow connection costs a descriptor and its state in the
 * loop, never a thread; a thread is held only while a call runs.  A null call costs one
 * read and one write on each side, as with a thread per connection, plus the re-arming
 * of the connection.  Connections are capped, TCP and ncalrpc each on its own budget;
 * one that does not bind in time, a PDU or call not whole by its deadline, or a TCP one
 * idle too long, is closed by a periodic sweep.  Stopping closes the listeners, shuts
 * every connection down, waits for the calls running and then for the pool.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/sysio.h"
#include "epm_stub.h"
#include "rpc/tower.h"
#include "rpc/rpc-server.h"

static LOG_CHANNEL(rpc);

#define DEFAULT_MAX_CONNECTIONS 1024    /* per transport: TCP, and ncalrpc apart */
#define DEFAULT_BIND_TIMEOUT_MS 5000
#define DEFAULT_IDLE_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_PDU_TIMEOUT_MS 10000            /* one PDU, however its bytes trickle */
#define DEFAULT_CALL_TIMEOUT_MS 60000           /* one fragmented request, all fragments */
#define EVICT_MIN_IDLE_MS 1000                  /* idle at least this long to be evicted */
#define MAX_REFUSERS 32                 /* connections waiting for their "too busy" */
#define DEFAULT_MIN_THREADS 2           /* the pool: always waiting */
#define DEFAULT_MAX_THREADS 256         /* the pool: calls running (or blocked) at once */
#define POOL_LINGER_MS 30000            /* a thread above the minimum idle this long leaves */
#define POOL_STACK (256 * 1024)
#define ACCEPT_BATCH 64                 /* accepts per listener event */
#define MAX_FULL_READS 16               /* reads that filled the buffer, per event */
#define LINGER_MS 2                     /* a busy connection's thread waits for its next call */
#define DRAIN_MS 50                     /* ... or for the rest of its fragmented call, per event */
#define DRAIN_FRAGS 32                  /* fragments received in place per recvmsg */
#define DRAIN_MAX ((1u << 20) + (64u << 10))    /* stub bytes received in place per
                                                   recvmsg: a 1 MiB call's, with its
                                                   few bytes more, in one read */
#define FIRST_READ 8192                 /* a PDU's first read, at most */

/* --- the owner-end hooks --------------------------------------------------------------- */

#define MAX_OWNER_END_HOOKS 4

static void (*owner_end_hooks[MAX_OWNER_END_HOOKS])(uint64_t owner);    /* atomic */

int rpc_set_owner_end_hook(void (*hook)(uint64_t owner)) {
        for (unsigned i = 0; i < MAX_OWNER_END_HOOKS; i++) {
                void (*cur)(uint64_t) = NULL;
                if (__atomic_compare_exchange_n(&owner_end_hooks[i], &cur, hook, false,
                                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
                    cur == hook)
                        return 0;
        }
        return -ENOSPC;
}

void rpc_owner_ended(uint64_t owner) {
        for (unsigned i = 0; i < MAX_OWNER_END_HOOKS; i++) {
                void (*hook)(uint64_t) = __atomic_load_n(&owner_end_hooks[i], __ATOMIC_ACQUIRE);
                if (hook)
                        hook(owner);
        }
}

/* --- interfaces ------------------------------------------------------------------------------ */

struct rpc_server *rpc_server_new(void) {
        struct rpc_server *srv = dcom_calloc(1, sizeof *srv);

        if (!srv)
                return NULL;
        pthread_mutex_init(&srv->lock, NULL);
        pthread_cond_init(&srv->pool_gone, NULL);
        pthread_cond_init(&srv->watch_wake, NULL);
        srv->epfd = srv->timerfd = srv->wakefd = -1;
        srv->min_threads = DEFAULT_MIN_THREADS;
        srv->max_threads = DEFAULT_MAX_THREADS;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        srv->max_lingerers = cpus > 2 ? 4 * (unsigned)cpus : 8;
        srv->max_tcp = DEFAULT_MAX_CONNECTIONS;
        srv->max_lrpc = DEFAULT_MAX_CONNECTIONS;
        srv->bind_timeout_ms = DEFAULT_BIND_TIMEOUT_MS;
        srv->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
        srv->pdu_timeout_ms = DEFAULT_PDU_TIMEOUT_MS;
        srv->call_timeout_ms = DEFAULT_CALL_TIMEOUT_MS;
        srv->max_per_peer = DEFAULT_MAX_CONNECTIONS / 4;
        srv->max_partial_bytes = RPC_SERVER_MAX_PARTIAL_BYTES;
        /* the built-in security providers (NTLM), as Windows' are always there */
        rpc_auth_register_defaults();
        /* [C706] appendix Q: every server answers the management interface */
        if (rpc_mgmt_register(srv) < 0) {
                rpc_server_free(srv);
                return NULL;
        }
        return srv;
}

int rpc_server_register_if(struct rpc_server *srv, const struct ndr_interface *iface,
                           const void *epv) {
        return rpc_server_register_if2(srv, iface, epv, RPC_AUTHN_LEVEL_NONE);
}

int rpc_server_register_if2(struct rpc_server *srv, const struct ndr_interface *iface,
                            const void *epv, uint8_t min_level) {
        int r = 0;

        if (!iface || !iface->ops || min_level > RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return -EINVAL;
        pthread_mutex_lock(&srv->lock);
        for (unsigned i = 0; i < srv->n_ifs; i++)
                if (dcom_guid_equal(&srv->ifs[i].iface->uuid, &iface->uuid) &&
                    srv->ifs[i].iface->ver_major == iface->ver_major)
                        r = -EEXIST;
        if (r == 0 && srv->n_ifs >= RPC_SERVER_MAX_IFS)
                r = -ENOSPC;
        if (r == 0)
                srv->ifs[srv->n_ifs++] = (struct rpc_if_reg){ .iface = iface, .epv = epv,
                                                               .min_level = min_level };
        pthread_mutex_unlock(&srv->lock);
        return r;
}

int rpc_server_register_object_if(struct rpc_server *srv, const struct ndr_interface *iface,
                                  uint8_t min_level,
                                  int (*invoke)(struct ndr_server_call *call, uint16_t opnum,
                                                void *ctx, uint32_t *ret_fault),
                                  void *ctx) {
        int r = 0;

        if (!iface || !iface->ops || !invoke || min_level > RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return -EINVAL;
        pthread_mutex_lock(&srv->lock);
        for (unsigned i = 0; i < srv->n_ifs; i++)
                if (dcom_guid_equal(&srv->ifs[i].iface->uuid, &iface->uuid) &&
                    srv->ifs[i].iface->ver_major == iface->ver_major)
                        r = srv->ifs[i].invoke == invoke && srv->ifs[i].invoke_ctx == ctx ? 1 : -EEXIST;
        if (r == 0 && srv->n_ifs >= RPC_SERVER_MAX_IFS)
                r = -ENOSPC;
        if (r == 0)
                srv->ifs[srv->n_ifs++] = (struct rpc_if_reg){
                        .iface = iface, .min_level = min_level, .invoke = invoke, .invoke_ctx = ctx,
                };
        pthread_mutex_unlock(&srv->lock);
        return r < 0 ? r : 0;
}

/* What an unregistered interface's slot holds: connections may still point at the slot
   (their presentation contexts), so it stays, matching no bind and no opnum -- or, with
   an invoke hook, every opnum, for the hook to answer (nca_s_unk_if). */
static const struct ndr_interface unregistered_if = {
        .ver_major = 0xffff, .ver_minor = 0xffff, .n_ops = 0, .name = "(unregistered)",
};
static const struct ndr_interface unregistered_invoke_if = {
        .ver_major = 0xffff, .ver_minor = 0xffff, .n_ops = UINT32_MAX, .name = "(unregistered)",
};

int rpc_server_unregister_if(struct rpc_server *srv, const struct ndr_interface *iface) {
        int r = -ENOENT;

        pthread_mutex_lock(&srv->lock);
        for (unsigned i = 0; i < srv->n_ifs; i++)
                if (srv->ifs[i].iface == iface) {
                        srv->ifs[i] = (struct rpc_if_reg){
                                .iface = srv->ifs[i].invoke ? &unregistered_invoke_if
                                                            : &unregistered_if,
                                .invoke = srv->ifs[i].invoke,
                                .invoke_ctx = srv->ifs[i].invoke_ctx,
                        };
                        r = 0;
                        break;
                }
        pthread_mutex_unlock(&srv->lock);
        return r;
}

const struct rpc_if_reg *rpc_server_find_if(struct rpc_server *srv,
                                            const struct rpc_syntax_id *abstract) {
        const struct rpc_if_reg *found = NULL;

        pthread_mutex_lock(&srv->lock);
        for (unsigned i = 0; i < srv->n_ifs; i++) {
                const struct ndr_interface *f = srv->ifs[i].iface;
                if (dcom_guid_equal(&f->uuid, &abstract->uuid) &&
                    f->ver_major == abstract->ver_major && abstract->ver_minor <= f->ver_minor) {
                        found = &srv->ifs[i];
                        break;
                }
        }
        pthread_mutex_unlock(&srv->lock);
        return found;
}

unsigned rpc_server_interfaces(struct rpc_server *srv, const struct ndr_interface **ret,
                               unsigned max) {
        unsigned n = 0;

        pthread_mutex_lock(&srv->lock);
        for (unsigned i = 0; i < srv->n_ifs && n < max; i++)
                if (srv->ifs[i].iface != &unregistered_if &&
                    srv->ifs[i].iface != &unregistered_invoke_if)
                        ret[n++] = srv->ifs[i].iface;
        pthread_mutex_unlock(&srv->lock);
        return n;
}

/* --- the event loop -------------------------------------------------------------------------- */

/*
 * One epoll set holds the listeners, every connection, the deadline timer and a wake-up
 * eventfd; a pool of threads waits on it (IOCP's model: any pool thread takes the next
 * ready event).  Every descriptor but the wake-up is armed EPOLLONESHOT, so a connection
 * is in the hands of one thread at a time: its PDUs are processed, its calls run and its
 * responses go out in order, while other connections' calls run on other threads.  A
 * thread takes an event, reads what the socket holds without blocking, runs the calls
 * whose PDUs are whole, writes their responses and re-arms the connection: a partial PDU
 * waits in the connection's reader, holding no thread.
 */
enum ev_kind { EV_LISTENER, EV_CONN, EV_REFUSER, EV_TIMER, EV_WAKE };

struct ev_source {
        enum ev_kind kind;
};

static struct ev_source timer_source = { EV_TIMER }, wake_source = { EV_WAKE };

struct rpc_listener {
        struct ev_source ev;
        struct rpc_listener *next;
        struct rpc_server *srv;
        int fd;
        enum rpc_protseq protseq;
        char sec_addr[64];
        char path[108];                 /* ncalrpc: the socket, removed at stop */
};

/* What a connection's deadline is for (the log line when it passes). */
enum { WHY_NONE, WHY_BIND, WHY_PDU, WHY_IDLE, WHY_WRITE };

static const char *const why_text[] = {
        [WHY_NONE] = "", [WHY_BIND] = "no bind in time",
        [WHY_PDU] = "a PDU or call not complete in time", [WHY_IDLE] = "idle",
        [WHY_WRITE] = "the peer did not take its response in time",
};

struct rpc_sconn {                      /* a connection the server serves */
        struct ev_source ev;
        struct rpc_sconn *next, *prev;  /* srv->conns (srv->lock) */
        struct rpc_server *srv;
        int fd;
        enum rpc_protseq protseq;       /* which budget it counts against */
        struct rpc_conn *conn;          /* the protocol engine's state */
        struct rpc_peer who;            /* a copy the acceptor may read (srv->lock) */
        uint64_t bind_deadline_ms;
        uint64_t deadline_ms;           /* atomic: the sweep shuts it down then; 0 none */
        unsigned why;                   /* atomic: WHY_* of deadline_ms */
        uint64_t quiet_since_ms;        /* atomic: waiting for a new PDU since; 0 busy */
        bool evicted;                   /* srv->lock: shut down to make room */
        bool expired;                   /* srv->lock: shut down by the sweep */
        /* either: to close at its next event; its place and its peer's are given up
           already (leave_locked) */
        uint8_t *wbuf;                  /* response bytes the peer has not taken yet */
        size_t wlen, woff;
        uint64_t wsince_ms;             /* since when they wait */
        bool linger_set;                /* SO_RCVTIMEO holds LINGER_MS */
};

/*
 * Over capacity: the bind is answered with a bind_nak, temporary congestion ([C706]
 * 12.6.3.1 p_reject_reason_t), which clients report as RPC_S_SERVER_TOO_BUSY.  The
 * refused connection waits at most REFUSE_WAIT_MS for that bind in the event loop, like
 * any connection (no thread of its own); past MAX_REFUSERS of them it is simply closed.
 */
#define REFUSE_WAIT_MS 100

struct rpc_refuser {
        struct ev_source ev;
        struct rpc_refuser *next, *prev;        /* srv->refusers (srv->lock) */
        struct rpc_server *srv;
        int fd;
        uint64_t deadline_ms;
        bool expired;
        uint8_t h[RPC_CO_HEADER_SIZE];
        size_t n;
};

static unsigned limit_load(const unsigned *p) {
        return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static int epoll_arm(struct rpc_server *srv, int op, int fd, uint32_t events, void *ptr) {
        struct epoll_event ev = { .events = events, .data.ptr = ptr };
        return epoll_ctl(srv->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

/* --- connections per address (TCP) or per local user (ncalrpc) ---------------------------- */

struct rpc_peer_count {
        struct rpc_peer_count *next;
        struct rpc_peer who;
        unsigned n;
};

static unsigned peer_bucket(const struct rpc_peer *who) {
        uint32_t h = 2166136261u;       /* FNV-1a over what rpc_peer_same compares */

        if (who->has_cred) {
                h = (h ^ (uint32_t)who->uid) * 16777619u;
        } else {
                h = (h ^ (uint32_t)who->family) * 16777619u;
                for (size_t i = 0; i < sizeof who->addr; i++)
                        h = (h ^ who->addr[i]) * 16777619u;
        }
        return h % RPC_PEER_BUCKETS;
}

static struct rpc_peer_count **peer_find_locked(struct rpc_server *srv,
                                                const struct rpc_peer *who) {
        struct rpc_peer_count **pp = &srv->peers[peer_bucket(who)];

        while (*pp && !rpc_peer_same(&(*pp)->who, who))
                pp = &(*pp)->next;
        return pp;
}

static unsigned peer_count_locked(struct rpc_server *srv, const struct rpc_peer *who) {
        struct rpc_peer_count *p = *peer_find_locked(srv, who);
        return p ? p->n : 0;
}

static int peer_add_locked(struct rpc_server *srv, const struct rpc_peer *who) {
        struct rpc_peer_count **pp = peer_find_locked(srv, who);

        if (!*pp) {
                if (!(*pp = dcom_calloc(1, sizeof **pp)))
                        return -ENOMEM;
                (*pp)->who = *who;
        }
        (*pp)->n++;
        return 0;
}

static void peer_remove_locked(struct rpc_server *srv, const struct rpc_peer *who) {
        struct rpc_peer_count **pp = peer_find_locked(srv, who), *p = *pp;

        if (p && --p->n == 0) {
                *pp = p->next;
                dcom_free(p);
        }
}

/* --- the pool -------------------------------------------------------------------------------- */

static void *pool_main(void *arg);

/* A thread more for the pool, under its maximum (srv->lock). */
static int pool_spawn_locked(struct rpc_server *srv) {
        pthread_attr_t attr;
        pthread_t t;
        int r;

        if (srv->pool_quit || srv->threads >= srv->max_threads)
                return -EAGAIN;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, POOL_STACK);
        r = -pthread_create(&t, &attr, pool_main, srv);
        pthread_attr_destroy(&attr);
        if (r < 0)
                return r;
        srv->threads++;
        __atomic_add_fetch(&srv->idle_threads, 1, __ATOMIC_ACQ_REL);
        if (srv->threads > srv->peak_threads)
                srv->peak_threads = srv->threads;
        return 0;
}

/*
 * A thread leaves the wait for work it may block in (a call can wait for its apartment,
 * or 30 s for a launched server): when no other thread is waiting, one more starts, so
 * that ready events never wait for a call to end -- up to max_threads.  At the maximum,
 * ready connections stay queued in the epoll set (nothing is lost) until a thread comes
 * back.
 */
static void pool_busy(struct rpc_server *srv) {
        if (__atomic_sub_fetch(&srv->idle_threads, 1, __ATOMIC_ACQ_REL) == 0) {
                pthread_mutex_lock(&srv->lock);
                if (__atomic_load_n(&srv->idle_threads, __ATOMIC_ACQUIRE) == 0)
                        (void)pool_spawn_locked(srv);
                pthread_mutex_unlock(&srv->lock);
        }
}

static void pool_unbusy(struct rpc_server *srv) {
        __atomic_add_fetch(&srv->idle_threads, 1, __ATOMIC_ACQ_REL);
}

/* The sweep's period: a tenth of the shortest deadline, within [10 ms, 250 ms]. */
static void sweep_period_locked(struct rpc_server *srv) {
        unsigned m = srv->bind_timeout_ms;

        if (srv->pdu_timeout_ms < m)
                m = srv->pdu_timeout_ms;
        if (srv->call_timeout_ms < m)
                m = srv->call_timeout_ms;
        if (srv->idle_timeout_ms && srv->idle_timeout_ms < m)
                m = srv->idle_timeout_ms;
        m /= 10;
        m = m < 10 ? 10 : m > 250 ? 250 : m;
        srv->sweep_ms = m;
        if (srv->timerfd >= 0) {
                struct itimerspec its = {
                        .it_interval = { m / 1000, (long)(m % 1000) * 1000000 },
                        .it_value = { m / 1000, (long)(m % 1000) * 1000000 },
                };
                timerfd_settime(srv->timerfd, 0, &its, NULL);
        }
}

/* The epoll set, the timer, the wake-up and the first threads (srv->lock). */
static int pool_start_locked(struct rpc_server *srv) {
        int r;

        if (srv->epfd >= 0)
                return 0;
        if (srv->stopping)
                return -ESHUTDOWN;
        srv->epfd = epoll_create1(EPOLL_CLOEXEC);
        srv->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        srv->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (srv->epfd < 0 || srv->timerfd < 0 || srv->wakefd < 0) {
                r = -errno;
                goto fail;
        }
        /* the wake-up is level-triggered and never read: once written, every thread
           sees it (stopping) */
        if ((r = epoll_arm(srv, EPOLL_CTL_ADD, srv->wakefd, EPOLLIN, &wake_source)) < 0 ||
            (r = epoll_arm(srv, EPOLL_CTL_ADD, srv->timerfd, EPOLLIN | EPOLLONESHOT,
                           &timer_source)) < 0)
                goto fail;
        sweep_period_locked(srv);
        for (unsigned i = 0; i < srv->min_threads; i++)
                if ((r = pool_spawn_locked(srv)) < 0 && srv->threads == 0)
                        goto fail;
        return 0;
fail:
        if (srv->epfd >= 0)
                close(srv->epfd);
        if (srv->timerfd >= 0)
                close(srv->timerfd);
        if (srv->wakefd >= 0)
                close(srv->wakefd);
        srv->epfd = srv->timerfd = srv->wakefd = -1;
        return r;
}

/* --- connections ----------------------------------------------------------------------------- */

static void conn_close(struct rpc_sconn *sc) {
        struct rpc_server *srv = sc->srv;

        /*
         * The connection goes first (its association may run down context handles and
         * tell the owner-end hook, under srv->lock); then it leaves the list.  Once
         * n_conns reaches 0 rpc_server_stop() goes on: nothing of sc is touched after.
         */
        epoll_ctl(srv->epfd, EPOLL_CTL_DEL, sc->fd, NULL);
        shutdown(sc->fd, SHUT_RDWR);
        rpc_conn_free(sc->conn);
        pthread_mutex_lock(&srv->lock);
        if (sc->prev)
                sc->prev->next = sc->next;
        else
                srv->conns = sc->next;
        if (sc->next)
                sc->next->prev = sc->prev;
        srv->n_conns--;
        if (sc->protseq == RPC_PROTSEQ_LRPC)
                srv->n_lrpc--;
        else
                srv->n_tcp--;
        if (sc->evicted || sc->expired)
                srv->n_leaving[sc->protseq == RPC_PROTSEQ_LRPC]--;
        else
                peer_remove_locked(srv, &sc->who);
        pthread_cond_broadcast(&srv->pool_gone);
        pthread_mutex_unlock(&srv->lock);
        close(sc->fd);
        dcom_free(sc->wbuf);
        dcom_free(sc);
}

/*
 * Re-arms the connection for what it waits for (EPOLLIN: the peer's next bytes; EPOLLOUT:
 * room for a response the peer has not taken), with the deadline the sweep holds it to:
 * until the bind deadline while unbound (a bind must be complete within bind_timeout_ms of
 * the accept, however the bytes trickle); a PDU begun must be whole within pdu_timeout_ms
 * and a fragmented call within call_timeout_ms (a peer trickling one byte at a time does
 * not restart the clock); a bound TCP connection is idle_timeout_ms between PDUs.  A bound
 * ncalrpc connection is not timed out when idle: a local server keeps its connection to
 * the endpoint mapper open, quiet, for as long as its registrations should live.
 */
static void conn_arm(struct rpc_sconn *sc, uint32_t events) {
        struct rpc_server *srv = sc->srv;
        struct rpc_conn *c = sc->conn;
        uint64_t now = dcom_monotonic_ms(), d = 0, quiet = 0;
        unsigned why = WHY_NONE;

        if (!c->bound) {
                d = sc->bind_deadline_ms;
                why = WHY_BIND;
        } else {
                unsigned idle_ms = limit_load(&srv->idle_timeout_ms);
                uint64_t p = rpc_conn_deadline(c, limit_load(&srv->pdu_timeout_ms),
                                               limit_load(&srv->call_timeout_ms));
                if (p) {
                        d = p;
                        why = WHY_PDU;
                }
                if (sc->wlen) {
                        uint64_t w = sc->wsince_ms + limit_load(&srv->pdu_timeout_ms);
                        if (!d || w < d) {
                                d = w;
                                why = WHY_WRITE;
                        }
                }
                if (sc->protseq != RPC_PROTSEQ_LRPC && idle_ms && (!d || now + idle_ms < d)) {
                        d = now + idle_ms;
                        why = WHY_IDLE;
                }
                /* evictable while bound and waiting for a new PDU (nothing begun) */
                if (!p && !sc->wlen)
                        quiet = now;
        }
        __atomic_store_n(&sc->why, why, __ATOMIC_RELAXED);
        __atomic_store_n(&sc->deadline_ms, d, __ATOMIC_RELAXED);
        __atomic_store_n(&sc->quiet_since_ms, quiet, __ATOMIC_RELAXED);
        if (epoll_arm(srv, EPOLL_CTL_MOD, sc->fd, events | EPOLLONESHOT, &sc->ev) < 0)
                conn_close(sc);
}

/* Sends what the peer has not taken yet; 0 (all of it, or the socket is full), -errno. */
static int conn_flush(struct rpc_sconn *sc) {
        while (sc->woff < sc->wlen) {
                ssize_t w = send(sc->fd, sc->wbuf + sc->woff, sc->wlen - sc->woff,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return 0;
                if (w < 0)
                        return -errno;
                sc->woff += (size_t)w;
        }
        dcom_free(sc->wbuf);
        sc->wbuf = NULL;
        sc->wlen = sc->woff = 0;
        return 0;
}

/*
 * The responses to what was processed: written at once when the socket takes them (the
 * common case: one write per call), else kept for the event loop to write when the peer
 * reads -- a peer that does not read holds memory for its own responses, not a thread.
 */
static int conn_send(struct rpc_sconn *sc, struct buf *out) {
        size_t off = 0;

        __atomic_add_fetch(&sc->srv->stats.pkts_out, 1, __ATOMIC_RELAXED);
        while (off < out->len) {
                ssize_t w = dcom_send(sc->fd, out->data + off, out->len - off,
                                      MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (w < 0)
                        return -errno;
                off += (size_t)w;
        }
        if (off < out->len) {
                if (!(sc->wbuf = dcom_malloc(out->len - off)))
                        return -ENOMEM;
                memcpy(sc->wbuf, out->data + off, out->len - off);
                sc->wlen = out->len - off;
                sc->woff = 0;
                sc->wsince_ms = dcom_monotonic_ms();
        }
        return 0;
}

/* One of the max_lingerers places of threads waiting on their connection's socket, each
   wait bounded by LINGER_MS (SO_RCVTIMEO). */
static bool wait_take(struct rpc_sconn *sc) {
        struct rpc_server *srv = sc->srv;
        unsigned n = __atomic_load_n(&srv->lingering, __ATOMIC_RELAXED);

        /* never more than half the pool: lingering must not keep ready connections
           waiting for a thread */
        do
                if (n >= srv->max_lingerers || n >= limit_load(&srv->max_threads) / 2)
                        return false;
        while (!__atomic_compare_exchange_n(&srv->lingering, &n, n + 1, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED));
        if (!sc->linger_set) {
                struct timeval tv = { 0, LINGER_MS * 1000 };
                setsockopt(sc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                sc->linger_set = true;
        }
        return true;
}

/*
 * Lingering: a thread that has just answered a call keeps its connection a moment longer,
 * waiting in a blocking read of that socket, as a thread per connection did -- the next
 * call of a busy client then costs one read and one write, not the event loop's wake-up
 * and re-arming (two system calls more, ~4 us a call here).  Only a bound connection with
 * nothing begun lingers, at most LINGER_MS, and at most max_lingerers threads (4 per CPU,
 * at least 8, at most half the pool) linger at once: past that, and for every other
 * connection, the event loop waits.  A peer sending
 * whole PDUs fast enough to keep a thread is making calls, and still holds at most one of
 * those few threads for at most LINGER_MS past its last PDU; a partial PDU ends the linger.
 */
static bool linger_take(struct rpc_sconn *sc) {
        struct rpc_conn *c = sc->conn;

        /* (stopping shuts the socket down: a lingering read sees end of file) */
        if (!c->bound || c->n_partial || rpc_reader_pending(&c->rd) || sc->wlen)
                return false;
        return wait_take(sc);
}

static void linger_give(struct rpc_sconn *sc) {
        __atomic_sub_fetch(&sc->srv->lingering, 1, __ATOMIC_ACQ_REL);
}

/* Skips n bytes of iov[0..*k) (the caller's copy), which it moves through. */
static struct iovec *iov_skip(struct iovec *iov, int *k, size_t n) {
        while (*k > 0 && n >= iov->iov_len) {
                n -= iov->iov_len;
                iov++;
                (*k)--;
        }
        if (*k > 0) {
                iov->iov_base = (uint8_t *)iov->iov_base + n;
                iov->iov_len -= n;
        }
        return iov;
}

/* Copies n bytes of iov[0..k) from offset off to dst (the bytes received in place). */
static void iov_copy_out(const struct iovec *iov, int k, size_t off, uint8_t *dst, size_t n) {
        for (int i = 0; i < k && n; i++) {
                if (off >= iov[i].iov_len) {
                        off -= iov[i].iov_len;
                        continue;
                }
                size_t t = iov[i].iov_len - off < n ? iov[i].iov_len - off : n;
                memcpy(dst, (const uint8_t *)iov[i].iov_base + off, t);
                dst += t;
                n -= t;
                off = 0;
        }
}

/* ... and the other way: n bytes from src to iov[0..k) at offset 0. */
static void iov_copy_in(const struct iovec *iov, int k, const uint8_t *src, size_t n) {
        for (int i = 0; i < k && n; i++) {
                size_t t = iov[i].iov_len < n ? iov[i].iov_len : n;
                memcpy(iov[i].iov_base, src, t);
                src += t;
                n -= t;
        }
}

/*
 * Draining a fragmented call (conn.c rpc_conn_direct_plan): its next fragments -- and its
 * first, when the reader holds only its start (rpc_conn_direct_first) -- are read
 * in place with one recvmsg -- each header to a slot here, each stub straight to its
 * place in the call's reassembly buffer -- instead of into the reader and copied from
 * there: the stub is copied once, by the kernel, as the raw floor's is.  A fragment is
 * checked (and taken from the budgets) once its header is in, appended once its stub is;
 * one that is not as predicted, or not whole by the end, goes to the reader with what
 * came after it (rpc_conn_input: one copy, the usual answers).  With one of the
 * lingering places the reads wait while the fragments keep coming (each at most
 * LINGER_MS), at most DRAIN_MS an event: a peer trickling its fragments holds one of
 * those few threads no longer than one sending whole PDUs does, and the call deadline
 * keeps its clock.  A guess (rpc_conn_direct_predict: the call's first read, its layout
 * the last call's) is drained the same way, from the call's first byte.  *ret_in: the
 * bytes its reads brought.  1: fragments were received in place, 0: none, -errno: close.
 */
static int conn_drain(struct rpc_sconn *sc, struct buf *out, bool guess, size_t *ret_in) {
        struct rpc_conn *c = sc->conn;
        struct rpc_reader *rd = &c->rd;
        struct rpc_direct_plan pl;
        bool wait = false, planned = false;
        uint64_t now = dcom_monotonic_ms(), end = now + DRAIN_MS;
        int moved = 0, r = 0;
        /* never past the call's or the PDU's deadline: a peer trickling its fragments is
           let go at it, for the sweep to close, as if it had not been drained */
        uint64_t d = rpc_conn_deadline(c, limit_load(&sc->srv->pdu_timeout_ms),
                                       limit_load(&sc->srv->call_timeout_ms));

        *ret_in = 0;

        if (d && d < end)
                end = d;
        if (now >= end) {
                rpc_conn_direct_end(c);
                return 0;
        }

        while (!out->len && rpc_conn_direct_plan(c, DRAIN_MAX, &pl) > 0) {
                uint8_t hdr[DRAIN_FRAGS][RPC_CO_HEADER_SIZE + 8 + 16];
                size_t body[DRAIN_FRAGS], start[DRAIN_FRAGS + 1], got, left = pl.left, off = 0;
                struct iovec iov[2 * DRAIN_FRAGS];
                bool checked = false;
                unsigned nf = 0, j = 0;

                /* the fragments predicted, whole ones within the room reserved */
                start[0] = 0;
                while (nf < DRAIN_FRAGS && left) {
                        size_t b = left < pl.body_max ? left : pl.body_max;
                        if (off + b > pl.room)
                                break;
                        body[nf] = b;
                        iov[2 * nf] = (struct iovec){ hdr[nf], pl.hdr_len };
                        iov[2 * nf + 1] = (struct iovec){ pl.base + off, b };
                        off += b;
                        left -= b;
                        start[nf + 1] = start[nf] + pl.hdr_len + b;
                        nf++;
                }
                /* what the reader holds of the first (less than all of it: whole PDUs
                   were processed) */
                got = rpc_reader_pending(rd);
                planned = true;
                if (!nf || got >= start[1]) {
                        rpc_conn_direct_done(c, &pl);
                        break;
                }
                uint64_t since = got ? rd->since_ms : dcom_monotonic_ms();
                iov_copy_in(iov, 2 * (int)nf, rd->buf + rd->off, got);
                rpc_reader_drop(rd, got);
                if (!wait && !moved)
                        wait = wait_take(sc);
                for (;;) {
                        /* every fragment whose header is in: checked; whose stub is in:
                           appended */
                        while (j < nf && got >= start[j] + pl.hdr_len) {
                                bool last = !left && j == nf - 1;
                                if (!checked && !rpc_conn_direct_check(c, hdr[j], &pl, body[j], last))
                                        break;
                                checked = true;
                                if (got < start[j + 1])
                                        break;
                                rpc_conn_direct_commit(c, &pl, body[j], last, out);
                                checked = false;
                                moved = 1;
                                j++;
                        }
                        if (j == nf || (j < nf && got >= start[j] + pl.hdr_len && !checked) ||
                            dcom_monotonic_ms() >= end)
                                break;
                        /* a PDU of another type or size (a guess's first read may bring
                           anything): the reader's now, not once hdr_len bytes have come */
                        if (!checked && got >= start[j] + 10 &&
                            (hdr[j][2] != RPC_PTYPE_REQUEST ||
                             (size_t)(hdr[j][8] | hdr[j][9] << 8) != pl.hdr_len + body[j]))
                                break;
                        struct iovec cur[2 * DRAIN_FRAGS];
                        int k = 2 * (int)nf;
                        memcpy(cur, iov, sizeof(struct iovec) * (size_t)k);
                        struct iovec *at = iov_skip(cur, &k, got);
                        struct msghdr m = { .msg_iov = at, .msg_iovlen = (size_t)k };
                        ssize_t n = dcom_recvmsg(sc->fd, &m, wait ? 0 : MSG_DONTWAIT);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                /* nothing yet, or the end: the event loop's read sees it */
                                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                                        r = -errno;
                                break;
                        }
                        got += (size_t)n;
                        *ret_in += (size_t)n;
                }
                if (j == nf) {
                        rpc_conn_direct_done(c, &pl);
                        continue;       /* all in: the next ones */
                }
                /* fragment j on: not what was predicted, or not whole -- to the reader,
                   copied out first (the reader's processing appends where they lie) */
                if (checked)
                        rpc_conn_direct_abort(c, body[j]);
                if (r < 0) {
                        rpc_conn_direct_done(c, &pl);
                        break;
                }
                size_t n = got - start[j];
                if (guess && !got) {
                        /* nothing came for the guess: it is forgotten (the end), not
                           taken as wrong */
                        rpc_conn_direct_done(c, &pl);
                        break;
                }
                log_debug(rpc, "call %u: %zu bytes not as predicted, or not whole: to the reader",
                          pl.call_id, n);
                /* the rest of this call through the reader: drained again at the next
                   event, a trickled fragment would be copied in and out every time */
                uint8_t *tmp = n ? dcom_malloc(n) : NULL;
                if (n && !tmp) {
                        rpc_conn_direct_done(c, &pl);
                        r = -ENOMEM;
                        break;
                }
                iov_copy_out(iov, 2 * (int)nf, start[j], tmp, n);
                /* after the copy: a call whose first fragment this was is dropped, its
                   buffer with it (the plan's reservation given back first) */
                rpc_conn_direct_done(c, &pl);
                rpc_conn_direct_stop(c, pl.call_id);
                r = rpc_conn_input(c, tmp, n, out);
                dcom_free(tmp);
                if (j == 0 && n && rpc_reader_pending(rd) == n)
                        rd->since_ms = since;   /* the PDU's clock runs from its first byte */
                break;
        }
        if (planned)
                rpc_conn_direct_trim(c, &pl);
        /* a call set up for its first fragment that never came here: the reader's */
        rpc_conn_direct_end(c);
        if (wait)
                linger_give(sc);
        return r < 0 ? r : moved;
}

void (*rpc_answered_hook)(void);

/* What this thread's requests answered is written -- or left for the event loop to write
   when the peer has room, or never will be: the connection closed (rpc_answered_hook). */
static void answered(void) {
        void (*hook)(void) = __atomic_load_n(&rpc_answered_hook, __ATOMIC_ACQUIRE);

        if (hook)
                hook();
}

/*
 * A connection's event: a response waiting for room goes first; then what the socket
 * holds is read (without blocking) into the connection's reader, and every whole PDU in
 * it is processed -- binds answered, calls run, responses written -- lingering a moment
 * for the next call when the connection is busy.  The connection is then armed again,
 * or closed.
 */
static void conn_event(struct rpc_sconn *sc, struct buf *out) {
        struct rpc_conn *c = sc->conn;
        bool lingering = false, guessed = false;
        unsigned full_reads = 0;
        int r;

        /* busy: neither the sweep nor an eviction takes it now */
        __atomic_store_n(&sc->deadline_ms, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&sc->quiet_since_ms, 0, __ATOMIC_RELAXED);
        if (sc->wlen) {
                if ((r = conn_flush(sc)) < 0)
                        goto close;
                if (sc->wlen) {
                        conn_arm(sc, EPOLLOUT);
                        answered();
                        return;
                }
        }
        for (;;) {
                uint8_t *room;
                size_t size = 0;
                ssize_t n = 0;
                /* a bulk caller's next call: read in place from its first byte, as its
                   last one predicts it (a guess: what comes unlike it goes to the reader,
                   and a guess nothing came for is not made again in this event) */
                bool guess = !guessed && !c->n_partial && !rpc_reader_pending(&c->rd) &&
                             rpc_conn_direct_predict(c);

                if (guess) {
                        /* the drain waits for it in a place of its own */
                        if (lingering)
                                linger_give(sc);
                        lingering = false;
                        goto drain;
                }
                /* a fragmented call in progress: read up to 64 KiB at a time */
                if (c->n_partial)
                        rpc_reader_bulk(&c->rd);
                if ((r = rpc_reader_room(&c->rd, &room, &size)) < 0)
                        goto close;
                /* a PDU's first read takes its header and a few KiB: a large first
                   fragment's stub then goes straight to its call (conn_drain) */
                if (size > FIRST_READ && !rpc_reader_pending(&c->rd) && !c->n_partial)
                        size = FIRST_READ;
                /* lingering, the read blocks (for at most LINGER_MS: SO_RCVTIMEO) */
                n = dcom_recv(sc->fd, room, size, lingering ? 0 : MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        goto close;     /* the peer went, or the sweep shut it down */
                }
                rpc_reader_filled(&c->rd, (size_t)n);
                r = rpc_conn_process(c, out);
                if (out->error) {
                        /* what was built may be half done (or unsigned): none of it goes */
                        log_debug(rpc, "closing a connection: response: %s", strerror(-out->error));
                        goto close;
                }
                if (out->len) {
                        int w = conn_send(sc, out);
                        buf_clear(out);
                        if (w < 0)
                                goto close;
                }
                if (r < 0) {
                        log_debug(rpc, "closing a connection: %s", strerror(-r));
                        goto close;
                }
                if (sc->wlen) {
                        if (lingering)
                                linger_give(sc);
                        conn_arm(sc, EPOLLOUT);
                        answered();
                        return;
                }
                /* a PDU begun: the event loop waits for the rest, not this thread */
                if (lingering && (rpc_reader_pending(&c->rd) || c->n_partial)) {
                        linger_give(sc);
                        lingering = false;
                }
                /* a fragmented call: its next fragments straight into its buffer (and
                   its first, when only its start is in) */
                if (c->n_partial || (rpc_reader_pending(&c->rd) && rpc_conn_direct_first(c))) {
drain:;
                        size_t in;
                        int d = conn_drain(sc, out, guess, &in);
                        if (out->error) {
                                log_debug(rpc, "closing a connection: response: %s",
                                          strerror(-out->error));
                                goto close;
                        }
                        if (out->len) {
                                int w = conn_send(sc, out);
                                buf_clear(out);
                                if (w < 0)
                                        goto close;
                        }
                        if (d < 0) {
                                log_debug(rpc, "closing a connection: %s", strerror(-d));
                                goto close;
                        }
                        if (sc->wlen) {
                                conn_arm(sc, EPOLLOUT);
                                answered();
                                return;
                        }
                        /* fragments came: this connection's turn counts as a full
                           read (a peer streaming calls does not keep the thread) */
                        if (d > 0 && ++full_reads >= MAX_FULL_READS) {
                                if (lingering)
                                        linger_give(sc);
                                conn_arm(sc, EPOLLIN);
                                answered();
                                return;
                        }
                        /* the call came whole and was answered: as after a short read,
                           the thread waits a moment for the next call in a blocking read
                           (a bulk caller's next request then costs one read, not an
                           EAGAIN, a re-arm and the event loop's wake-up) */
                        if (d > 0 && !lingering && !c->n_partial)
                                lingering = linger_take(sc);
                        /* a guess: what came was taken (in place or by the reader); if
                           nothing, no guess again this event, and the usual read says
                           whether the peer went */
                        if (guess && !in)
                                guessed = true;
                        if (d > 0 || guess)
                                continue;
                }
                /* a short read took what there was: the next bytes come with an event,
                   or, for a busy connection, to this thread lingering */
                if ((size_t)n < size && !lingering && !(lingering = linger_take(sc)))
                        break;
                /* a peer streaming PDUs gets its turn, then the others theirs: the
                   connection is armed again with its bytes still waiting */
                if ((size_t)n == size && ++full_reads >= MAX_FULL_READS) {
                        if (lingering)
                                linger_give(sc);
                        conn_arm(sc, EPOLLIN);
                        answered();
                        return;
                }
        }
        if (lingering)
                linger_give(sc);
        /* nothing pending: an idle connection holds no receive buffer */
        rpc_conn_trim(c);
        conn_arm(sc, EPOLLIN);
        answered();
        return;
close:
        if (lingering)
                linger_give(sc);
        buf_clear(out);
        conn_close(sc);
        answered();
}

/*
 * Who connected: a local peer's credentials from the kernel (SO_PEERCRED), a remote
 * peer's address.  A local peer whose credentials cannot be read is nobody.
 */
static void peer_identify(int fd, enum rpc_protseq protseq, const struct sockaddr_storage *peer,
                          struct rpc_peer *ret) {
        memset(ret, 0, sizeof *ret);
        if (protseq == RPC_PROTSEQ_LRPC) {
                struct ucred uc;
                socklen_t len = sizeof uc;

                ret->has_cred = true;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && len == sizeof uc) {
                        ret->uid = uc.uid;
                        ret->gid = uc.gid;
                        ret->pid = uc.pid;
                } else {
                        ret->uid = (uid_t)-2;   /* nfsnobody: matches no real owner */
                        ret->gid = (gid_t)-2;
                }
                return;
        }
        ret->family = peer->ss_family;
        if (peer->ss_family == AF_INET)
                memcpy(ret->addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
        else if (peer->ss_family == AF_INET6)
                memcpy(ret->addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
}

/*
 * A connection shut down to make room (evicted) or by the sweep (expired): it closes at
 * its next event, when a thread comes to it, but its place in the transport's budget and
 * its peer's count are given up now -- a newcomer between the two is not "too busy".
 */
static void leave_locked(struct rpc_server *srv, struct rpc_sconn *sc) {
        srv->n_leaving[sc->protseq == RPC_PROTSEQ_LRPC]++;
        peer_remove_locked(srv, &sc->who);
        shutdown(sc->fd, SHUT_RDWR);            /* its next event sees end of file */
}

/*
 * Room for a connection from who (srv->lock): under the transport's budget and under
 * max_per_peer connections from one address (TCP) or one local user (ncalrpc).  At a
 * bound, the connection of that set that has waited longest for a new PDU (bound,
 * nothing begun, quiet for EVICT_MIN_IDLE_MS) is shut down for it -- idle connections
 * cost their holder the place, so a peer holding hundreds of silent connections cannot
 * lock others out; our clients reconnect transparently.  false: all of them are busy.
 */
static bool make_room_locked(struct rpc_server *srv, enum rpc_protseq ps,
                             const struct rpc_peer *who, unsigned count, unsigned max) {
        unsigned lrpc = ps == RPC_PROTSEQ_LRPC;
        bool per_peer = peer_count_locked(srv, who) >= srv->max_per_peer;

        if (!per_peer && count < max + srv->n_leaving[lrpc])
                return true;
        uint64_t now = dcom_monotonic_ms(), oldest = 0;
        struct rpc_sconn *victim = NULL;
        for (struct rpc_sconn *sc = srv->conns; sc; sc = sc->next) {
                uint64_t q = __atomic_load_n(&sc->quiet_since_ms, __ATOMIC_RELAXED);
                if (sc->evicted || sc->expired || sc->protseq != ps || !q ||
                    now - q < EVICT_MIN_IDLE_MS ||
                    (per_peer && !rpc_peer_same(&sc->who, who)))
                        continue;
                if (!victim || q < oldest) {
                        victim = sc;
                        oldest = q;
                }
        }
        if (!victim)
                return false;
        log_debug(rpc, "evicting a connection idle for %llu ms to make room",
                  (unsigned long long)(now - oldest));
        victim->evicted = true;
        leave_locked(srv, victim);
        return true;
}

static void refuser_close(struct rpc_refuser *rf) {
        struct rpc_server *srv = rf->srv;

        epoll_ctl(srv->epfd, EPOLL_CTL_DEL, rf->fd, NULL);
        pthread_mutex_lock(&srv->lock);
        if (rf->prev)
                rf->prev->next = rf->next;
        else
                srv->refusers = rf->next;
        if (rf->next)
                rf->next->prev = rf->prev;
        srv->n_refusers--;
        pthread_cond_broadcast(&srv->pool_gone);
        pthread_mutex_unlock(&srv->lock);
        close(rf->fd);
        dcom_free(rf);
}

static void refuse_busy(struct rpc_server *srv, int fd) {
        struct rpc_refuser *rf = NULL;

        pthread_mutex_lock(&srv->lock);
        if (srv->n_refusers < MAX_REFUSERS && !srv->stopping && (rf = dcom_calloc(1, sizeof *rf))) {
                rf->ev.kind = EV_REFUSER;
                rf->srv = srv;
                rf->fd = fd;
                rf->deadline_ms = dcom_monotonic_ms() + REFUSE_WAIT_MS;
                rf->next = srv->refusers;
                if (rf->next)
                        rf->next->prev = rf;
                srv->refusers = rf;
                srv->n_refusers++;
        }
        pthread_mutex_unlock(&srv->lock);
        if (!rf)
                close(fd);
        else if (epoll_arm(srv, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT, &rf->ev) < 0)
                refuser_close(rf);
}

static void refuser_event(struct rpc_refuser *rf) {
        struct rpc_hdr hdr;
        struct buf out;
        ssize_t n;

        do
                n = recv(rf->fd, rf->h + rf->n, sizeof rf->h - rf->n, MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (epoll_arm(rf->srv, EPOLL_CTL_MOD, rf->fd, EPOLLIN | EPOLLONESHOT, &rf->ev) < 0)
                        refuser_close(rf);
                return;
        }
        if (n <= 0)
                goto out;
        rf->n += (size_t)n;
        if (rf->n < sizeof rf->h) {
                if (epoll_arm(rf->srv, EPOLL_CTL_MOD, rf->fd, EPOLLIN | EPOLLONESHOT, &rf->ev) < 0)
                        refuser_close(rf);
                return;
        }
        if (rpc_hdr_parse(rf->h, sizeof rf->h, &hdr) < 0 || hdr.ptype != RPC_PTYPE_BIND)
                goto out;
        buf_init(&out, 0);
        size_t start = rpc_pdu_begin(&out, RPC_PTYPE_BIND_NAK,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, hdr.call_id);
        rpc_put_u16(&out, RPC_BIND_NAK_TEMPORARY_CONGESTION);
        buf_put_u8(&out, 1);
        buf_put_u8(&out, 5);
        buf_put_u8(&out, 0);
        rpc_put_align(&out, start, 4);
        /* a few dozen bytes into an empty socket buffer: one send, or the peer loses it */
        if (rpc_pdu_end(&out, start) >= 0 && !out.error)
                (void)send(rf->fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        buf_free(&out);
out:
        refuser_close(rf);
}

static void conn_start(struct rpc_listener *l, int fd, const struct sockaddr_storage *peer,
                       socklen_t peer_len) {
        struct rpc_server *srv = l->srv;
        struct rpc_sconn *sc = dcom_calloc(1, sizeof *sc);
        int one = 1;

        if (l->protseq == RPC_PROTSEQ_TCP)
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!sc || !(sc->conn = rpc_conn_new(srv, l->protseq))) {
                dcom_free(sc);
                close(fd);
                return;
        }
        sc->ev.kind = EV_CONN;
        sc->srv = srv;
        sc->fd = fd;
        sc->conn->fd = fd;
        sc->protseq = l->protseq;
        sc->conn->peer = *peer;
        sc->conn->peer_len = peer_len;
        peer_identify(fd, l->protseq, peer, &sc->conn->who);
        /* where the interface pointers of its calls come from and go (ndr_iface_ctx) */
        sc->conn->iface_ctx = l->protseq != RPC_PROTSEQ_LRPC ? NDR_IFACE_REMOTE
                              : sc->conn->who.has_cred && sc->conn->who.pid == getpid()
                                        ? NDR_IFACE_INPROC : NDR_IFACE_LOCAL;
        sc->conn->local_len = sizeof sc->conn->local;
        if (getsockname(fd, (struct sockaddr *)&sc->conn->local, &sc->conn->local_len) < 0)
                sc->conn->local_len = 0;
        snprintf(sc->conn->sec_addr, sizeof sc->conn->sec_addr, "%s", l->sec_addr);
        sc->who = sc->conn->who;
        pthread_mutex_lock(&srv->lock);
        /* each transport has its own budget: remote peers cannot use up the local one */
        unsigned lrpc = l->protseq == RPC_PROTSEQ_LRPC;
        unsigned *count = lrpc ? &srv->n_lrpc : &srv->n_tcp;
        unsigned max = lrpc ? srv->max_lrpc : srv->max_tcp;
        if (!srv->stopping && !make_room_locked(srv, l->protseq, &sc->who, *count, max))
                max = 0;                /* full of busy connections: refused */
        else
                max += srv->n_leaving[lrpc];
        if (srv->stopping || *count >= max || peer_add_locked(srv, &sc->who) < 0) {
                bool busy = !srv->stopping;
                unsigned n = *count;
                pthread_mutex_unlock(&srv->lock);
                log_debug(rpc, "connection refused: %u %s connections", n,
                          rpc_protseq_name(l->protseq));
                rpc_conn_free(sc->conn);
                dcom_free(sc);
                if (busy)
                        refuse_busy(srv, fd);
                else
                        close(fd);
                return;
        }
        sc->next = srv->conns;
        if (sc->next)
                sc->next->prev = sc;
        srv->conns = sc;
        srv->n_conns++;
        (*count)++;
        sc->bind_deadline_ms = dcom_monotonic_ms() + srv->bind_timeout_ms;
        sc->deadline_ms = sc->bind_deadline_ms;
        sc->why = WHY_BIND;
        pthread_mutex_unlock(&srv->lock);
        if (epoll_arm(srv, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT, &sc->ev) < 0)
                conn_close(sc);
}

/* A listener's event: the connections waiting are accepted (a batch), then it re-arms. */
static void listener_event(struct rpc_listener *l) {
        struct rpc_server *srv = l->srv;
        bool backoff = false;

        pthread_mutex_lock(&srv->lock);
        if (srv->stopping) {
                pthread_mutex_unlock(&srv->lock);
                return;
        }
        srv->accepting++;
        pthread_mutex_unlock(&srv->lock);
        for (int i = 0; i < ACCEPT_BATCH; i++) {
                struct sockaddr_storage peer;
                socklen_t plen = sizeof peer;
                /* blocking, for lingering; the event loop's reads and writes do not
                   block (MSG_DONTWAIT) */
                int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        /* out of descriptors: back off rather than spin on the listener */
                        backoff = errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                                  errno == ENOMEM;
                        break;
                }
                conn_start(l, fd, &peer, plen);
        }
        if (backoff)
                usleep(10000);
        pthread_mutex_lock(&srv->lock);
        srv->accepting--;
        if (!srv->stopping)
                (void)epoll_arm(srv, EPOLL_CTL_MOD, l->fd, EPOLLIN | EPOLLONESHOT, &l->ev);
        pthread_cond_broadcast(&srv->pool_gone);
        pthread_mutex_unlock(&srv->lock);
}

/*
 * The deadline sweep: every sweep_ms one thread looks at every connection's deadline and
 * shuts down those past it (the thread that takes its next event sees end of file and
 * closes it); connections being processed have none.
 */
static void sweep(struct rpc_server *srv) {
        uint64_t ticks, now = dcom_monotonic_ms();

        (void)!read(srv->timerfd, &ticks, sizeof ticks);
        pthread_mutex_lock(&srv->lock);
        for (struct rpc_sconn *sc = srv->conns; sc; sc = sc->next) {
                uint64_t d = __atomic_load_n(&sc->deadline_ms, __ATOMIC_RELAXED);
                if (!d || now < d || sc->expired || sc->evicted)
                        continue;
                unsigned why = __atomic_load_n(&sc->why, __ATOMIC_RELAXED);
                log_debug(rpc, "closing a connection: %s",
                          why_text[why < ELEMENTSOF(why_text) ? why : WHY_NONE]);
                sc->expired = true;
                leave_locked(srv, sc);
        }
        for (struct rpc_refuser *rf = srv->refusers; rf; rf = rf->next)
                if (!rf->expired && now >= rf->deadline_ms) {
                        rf->expired = true;
                        shutdown(rf->fd, SHUT_RDWR);
                }
        if (!srv->pool_quit)
                (void)epoll_arm(srv, EPOLL_CTL_MOD, srv->timerfd, EPOLLIN | EPOLLONESHOT,
                                &timer_source);
        pthread_mutex_unlock(&srv->lock);
}

static void *pool_main(void *arg) {
        struct rpc_server *srv = arg;
        struct buf out;
        bool counted = true;    /* still in srv->threads and idle_threads */

        buf_init(&out, 0);
        for (;;) {
                struct epoll_event ev;
                /* one event at a time: the others stay for the other threads */
                int n = epoll_wait(srv->epfd, &ev, 1, POOL_LINGER_MS);
                if (n < 0 && errno != EINTR)
                        break;
                if (n <= 0) {
                        /* nothing for a while: threads above the minimum leave */
                        pthread_mutex_lock(&srv->lock);
                        if (n == 0 && srv->threads > srv->min_threads) {
                                srv->threads--;
                                __atomic_sub_fetch(&srv->idle_threads, 1, __ATOMIC_ACQ_REL);
                                counted = false;
                                pthread_cond_broadcast(&srv->pool_gone);
                        }
                        pthread_mutex_unlock(&srv->lock);
                        if (!counted)
                                break;
                        continue;
                }
                struct ev_source *src = ev.data.ptr;
                if (src->kind == EV_WAKE) {
                        pthread_mutex_lock(&srv->lock);
                        bool quit = srv->pool_quit;
                        pthread_mutex_unlock(&srv->lock);
                        if (quit)
                                break;
                        continue;
                }
                pool_busy(srv);
                switch (src->kind) {
                case EV_LISTENER:
                        listener_event(CONTAINING_RECORD(src, struct rpc_listener, ev));
                        break;
                case EV_CONN:
                        conn_event(CONTAINING_RECORD(src, struct rpc_sconn, ev), &out);
                        break;
                case EV_REFUSER:
                        refuser_event(CONTAINING_RECORD(src, struct rpc_refuser, ev));
                        break;
                case EV_TIMER:
                        sweep(srv);
                        break;
                case EV_WAKE:
                        break;
                }
                pool_unbusy(srv);
                /* a buffer grown for a large response goes back */
                if (out.cap > 65536) {
                        buf_free(&out);
                        buf_init(&out, 0);
                }
        }
        buf_free(&out);
        if (counted) {
                pthread_mutex_lock(&srv->lock);
                srv->threads--;
                __atomic_sub_fetch(&srv->idle_threads, 1, __ATOMIC_ACQ_REL);
                pthread_cond_broadcast(&srv->pool_gone);
                /* after this unlock nothing of srv is touched: it may be freed */
                pthread_mutex_unlock(&srv->lock);
        }
        return NULL;
}

/* --- listeners ------------------------------------------------------------------------------- */

static int add_listener(struct rpc_server *srv, int fd, enum rpc_protseq protseq,
                        const char *sec_addr, const char *path) {
        struct rpc_listener *l = dcom_calloc(1, sizeof *l);
        int r;

        if (!l) {
                close(fd);
                return -ENOMEM;
        }
        /* accepted in batches until the queue is empty: never blocks */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        l->ev.kind = EV_LISTENER;
        l->srv = srv;
        l->fd = fd;
        l->protseq = protseq;
        snprintf(l->sec_addr, sizeof l->sec_addr, "%s", sec_addr);
        if (path)
                snprintf(l->path, sizeof l->path, "%s", path);
        pthread_mutex_lock(&srv->lock);
        r = pool_start_locked(srv);
        if (r >= 0) {
                l->next = srv->listeners;
                srv->listeners = l;
                r = epoll_arm(srv, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT, &l->ev);
                if (r < 0)
                        srv->listeners = l->next;
        }
        pthread_mutex_unlock(&srv->lock);
        if (r < 0) {
                close(fd);
                dcom_free(l);
        }
        return r;
}

int rpc_server_listen_tcp(struct rpc_server *srv, const char *addr, uint16_t port,
                          uint16_t *ret_port) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
        struct addrinfo *res = NULL;
        char pstr[8];
        int fd = -1, r, one = 1;

        snprintf(pstr, sizeof pstr, "%u", port);
        r = getaddrinfo(addr, pstr, &hints, &res);
        if (r != 0)
                return r == EAI_NONAME ? -EADDRNOTAVAIL : -EINVAL;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        continue;
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                if (ai->ai_family == AF_INET6 && !addr)
                        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 0 }, sizeof(int));
                if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
                        break;
                r = -errno;
                close(fd);
                fd = -1;
        }
        freeaddrinfo(res);
        if (fd < 0)
                return r < 0 ? r : -EADDRNOTAVAIL;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
                port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                      : ((struct sockaddr_in *)&ss)->sin_port);
        if (ret_port)
                *ret_port = port;
        snprintf(pstr, sizeof pstr, "%u", port);
        return add_listener(srv, fd, RPC_PROTSEQ_TCP, pstr, NULL);
}

/*
 * ncalrpc is machine-wide, as Windows' ALPC ports are: every user's endpoints are in one
 * directory, paths_runtime()/rpc (/run/opendcom/rpc), world-writable and sticky like /tmp,
 * so any process creates its own socket there and none removes another's.  In such a
 * directory a local user could bind a well-known name (epmapper) before its service does,
 * and servers would then register with him.  So the system services' well-known
 * endpoints are not there but in paths_runtime() itself, 0755 and the services' account's
 * (or root's): only they can create a socket in it, and squatting is impossible by
 * construction rather than detected by every client after the fact (a client still
 * checks who serves one: client.c, trusted_server).  Other names are first come, first
 * served, as on Windows; an object exporter's OLE<random> is per process.
 */
static const char *const well_known[] = { "epmapper" };

bool rpc_lrpc_well_known(const char *endpoint) {
        for (size_t i = 0; i < ELEMENTSOF(well_known); i++)
                if (strcmp(endpoint, well_known[i]) == 0)
                        return true;
        return false;
}

int rpc_lrpc_path(const char *endpoint, char *buf, size_t size) {
        char *dir = NULL;
        int r;

        /* an endpoint is a file name: no directories, nothing hidden */
        if (!endpoint || !*endpoint || strchr(endpoint, '/') || endpoint[0] == '.' ||
            strlen(endpoint) > 64)
                return -EINVAL;
        r = paths_runtime(&dir);
        if (r < 0)
                return r;
        r = snprintf(buf, size, "%s/%s%s", dir, rpc_lrpc_well_known(endpoint) ? "" : "rpc/",
                     endpoint);
        dcom_free(dir);
        return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

int rpc_lrpc_prepare(void) {
        char *dir = NULL, *rpc = NULL;
        struct stat st;
        int r;

        r = paths_runtime(&dir);
        if (r < 0)
                return r;
        r = paths_mkdir_p(dir, 0755);
        if (r < 0)
                goto out;
        r = -ENOMEM;
        if (!(rpc = dcom_malloc(strlen(dir) + sizeof "/rpc")))
                goto out;
        sprintf(rpc, "%s/rpc", dir);
        if (mkdir(rpc, 01777) < 0 && errno != EEXIST) {
                r = -errno;
                goto out;
        }
        /* the mode, past the umask; never through a symbolic link */
        if (lstat(rpc, &st) < 0) {
                r = -errno;
                goto out;
        }
        if (!S_ISDIR(st.st_mode)) {
                r = -ENOTDIR;
                goto out;
        }
        r = 0;
        if ((st.st_mode & 07777) != 01777 && (st.st_uid == geteuid() || geteuid() == 0)) {
                r = chmod(rpc, 01777) < 0 ? -errno : 0;
                log_debug(rpc, "%s: mode %o made 1777", rpc, (unsigned)(st.st_mode & 07777));
        }
out:
        dcom_free(rpc);
        dcom_free(dir);
        return r;
}

int rpc_server_listen_lrpc(struct rpc_server *srv, const char *endpoint, mode_t mode) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[sizeof sa.sun_path];
        bool replaced = false;
        struct stat st;
        int fd, r;

        r = rpc_lrpc_path(endpoint, path, sizeof path);
        if (r < 0)
                return r;
        r = rpc_lrpc_prepare();
        if (r < 0)
                return r;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* bind() creates the socket and never follows a symbolic link: any name already
           there, a link included, is EADDRINUSE.  A live socket stays; a stale one (its
           server died) is replaced only when it is ours -- or we are root -- and never
           anything but a socket: in the sticky directory another user's is not ours to
           remove, whatever it is. */
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                r = -errno;
                if (r != -EADDRINUSE)
                        goto out_close;
                int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
                if (probe >= 0)
                        close(probe);
                if (live)
                        goto out_close;
                if (lstat(path, &st) == 0 &&
                    (!S_ISSOCK(st.st_mode) || (st.st_uid != geteuid() && geteuid() != 0))) {
                        log_debug(rpc, "ncalrpc:[%s]: %s is %s of uid %u: left alone", endpoint,
                                  path, S_ISSOCK(st.st_mode) ? "a socket" : "not a socket",
                                  (unsigned)st.st_uid);
                        goto out_close;
                }
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        goto out_close;
                }
                log_debug(rpc, "ncalrpc:[%s]: removed the stale socket %s", endpoint, path);
                replaced = true;
                if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                        r = -errno;
                        goto out_close;
                }
        }
        /* path is the socket we just bound: in the sticky directory nobody else may
           remove or replace it, outside it only root and the services' account, so
           chmod() follows no one's link */
        if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
                r = -errno;
                unlink(path);
                goto out_close;
        }
        r = add_listener(srv, fd, RPC_PROTSEQ_LRPC, endpoint, path);
        return r < 0 ? r : replaced;
out_close:
        close(fd);
        return r;
}

/* --- registering with the endpoint mapper ------------------------------------------------ */

/*
 * RpcEpRegister's role: ept_insert, over ncalrpc:[epmapper], of iface at each of this
 * server's listeners.  The connection stays open while the server lives: the mapper
 * forgets these entries when it closes (the server stopped, or died).
 */
static int register_ep(struct rpc_server *srv, const struct ndr_interface *iface,
                       const char *annotation) {
        const struct rpc_tower_syntax syn = { iface->uuid, iface->ver_major, iface->ver_minor };
        ept_entry_t ents[8];
        unsigned n = 0;
        error_status_t st = 0;
        int r = 0;

        memset(ents, 0, sizeof ents);
        pthread_mutex_lock(&srv->lock);
        for (struct rpc_listener *l = srv->listeners; l && n < ELEMENTSOF(ents); l = l->next) {
                uint8_t *oct = NULL;
                size_t len = 0;
                r = rpc_tower_build(&syn, l->protseq, l->sec_addr, NULL, &oct, &len);
                if (r < 0)
                        break;
                twr_t *t = dcom_malloc(sizeof *t + len);
                if (!t) {
                        dcom_free(oct);
                        r = -ENOMEM;
                        break;
                }
                t->tower_length = (unsigned32)len;
                memcpy(t->tower_octet_string, oct, len);
                dcom_free(oct);
                ents[n].tower = t;
                snprintf(ents[n].annotation, sizeof ents[n].annotation, "%s",
                         annotation ? annotation : "");
                n++;
        }
        if (r >= 0 && !srv->epm && n) {
                r = rpc_binding_from_string("ncalrpc:[epmapper]", &srv->epm);
                /* the registrations live with this server's own association; a hung
                   mapper holds nobody for long */
                if (r >= 0) {
                        rpc_binding_set_unique(srv->epm, true);
                        rpc_binding_set_timeout(srv->epm, 5000);
                }
        }
        pthread_mutex_unlock(&srv->lock);
        if (r >= 0 && n) {
                r = epm_ept_insert((handle_t)srv->epm, n, ents, 1, &st);
                if (r >= 0 && st != 0)
                        r = -EACCES;
        }
        for (unsigned i = 0; i < n; i++)
                dcom_free(ents[i].tower);
        return r;
}

/*
 * rpcss restarted: the connection our registrations lived on is gone, and so are they.
 * Once a second the watcher looks; finding it closed, it registers everything again
 * (and again the next second while rpcss is down).
 */
static void *epm_watch_main(void *arg) {
        struct rpc_server *srv = arg;

        pthread_mutex_lock(&srv->lock);
        while (!srv->stopping) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                pthread_cond_timedwait(&srv->watch_wake, &srv->lock, &ts);
                if (srv->stopping || !srv->epm)
                        continue;
                struct rpc_binding *epm = srv->epm;
                pthread_mutex_unlock(&srv->lock);
                bool lost = rpc_binding_connection_lost(epm);
                pthread_mutex_lock(&srv->lock);
                if (!lost || srv->stopping)
                        continue;
                log_debug(rpc, "the endpoint mapper's connection closed (rpcss restarted?): "
                               "registering %u interfaces again", srv->n_regs);
                for (unsigned i = 0; i < srv->n_regs && !srv->stopping; i++) {
                        const struct ndr_interface *iface = srv->regs[i].iface;
                        char ann[64];
                        memcpy(ann, srv->regs[i].annotation, sizeof ann);
                        pthread_mutex_unlock(&srv->lock);
                        int r = register_ep(srv, iface, ann);
                        pthread_mutex_lock(&srv->lock);
                        if (r < 0) {
                                log_debug(rpc, "registering again: %s (next try in a second)",
                                          strerror(-r));
                                break;
                        }
                }
        }
        pthread_mutex_unlock(&srv->lock);
        return NULL;
}

int rpc_server_register_ep(struct rpc_server *srv, const struct ndr_interface *iface,
                           const char *annotation) {
        int r = register_ep(srv, iface, annotation);

        if (r < 0)
                return r;
        pthread_mutex_lock(&srv->lock);
        unsigned i;
        for (i = 0; i < srv->n_regs && srv->regs[i].iface != iface; i++)
                ;
        if (i == srv->n_regs && i < ELEMENTSOF(srv->regs))
                srv->n_regs++;
        if (i < ELEMENTSOF(srv->regs)) {
                srv->regs[i].iface = iface;
                snprintf(srv->regs[i].annotation, sizeof srv->regs[i].annotation, "%s",
                         annotation ? annotation : "");
        }
        if (!srv->watching && !srv->stopping &&
            pthread_create(&srv->epm_watch, NULL, epm_watch_main, srv) == 0)
                srv->watching = true;
        pthread_mutex_unlock(&srv->lock);
        return 0;
}

/*
 * RpcEpUnregister's role: ept_delete of iface at each listener, over the connection the
 * registrations were made on, and no registering again after an rpcss restart.  (The
 * entries are built as register_ep builds them; kept apart so that the event-driven
 * server's rework of registration merges without conflict.)
 */
int rpc_server_unregister_ep(struct rpc_server *srv, const struct ndr_interface *iface) {
        const struct rpc_tower_syntax syn = { iface->uuid, iface->ver_major, iface->ver_minor };
        ept_entry_t ents[8];
        unsigned n = 0, i;
        error_status_t st = 0;
        int r = 0;

        memset(ents, 0, sizeof ents);
        pthread_mutex_lock(&srv->lock);
        for (i = 0; i < srv->n_regs && srv->regs[i].iface != iface; i++)
                ;
        if (i == srv->n_regs || !srv->epm) {
                pthread_mutex_unlock(&srv->lock);
                return -ENOENT;
        }
        srv->regs[i] = srv->regs[--srv->n_regs];
        for (struct rpc_listener *l = srv->listeners; l && n < ELEMENTSOF(ents); l = l->next) {
                uint8_t *oct = NULL;
                size_t len = 0;
                r = rpc_tower_build(&syn, l->protseq, l->sec_addr, NULL, &oct, &len);
                if (r < 0)
                        break;
                twr_t *t = dcom_malloc(sizeof *t + len);
                if (!t) {
                        dcom_free(oct);
                        r = -ENOMEM;
                        break;
                }
                t->tower_length = (unsigned32)len;
                memcpy(t->tower_octet_string, oct, len);
                dcom_free(oct);
                ents[n++].tower = t;
        }
        struct rpc_binding *epm = srv->epm;
        pthread_mutex_unlock(&srv->lock);
        if (r >= 0 && n) {
                r = epm_ept_delete((handle_t)epm, n, ents, &st);
                if (r >= 0 && st != 0)
                        r = st == EPT_S_NOT_REGISTERED ? -ENOENT : -EACCES;
        }
        for (unsigned k = 0; k < n; k++)
                dcom_free(ents[k].tower);
        return r;
}

/* --- stopping ------------------------------------------------------------------------------- */

void rpc_server_stop(struct rpc_server *srv) {
        struct rpc_listener *ls;

        pthread_mutex_lock(&srv->lock);
        srv->stopping = true;
        bool watching = srv->watching;
        srv->watching = false;
        pthread_cond_broadcast(&srv->watch_wake);
        ls = srv->listeners;
        srv->listeners = NULL;
        pthread_mutex_unlock(&srv->lock);
        if (watching)
                pthread_join(srv->epm_watch, NULL);
        /* no listener is armed again (stopping), none is being accepted from once
           accepting is 0: their descriptors can go */
        for (struct rpc_listener *l = ls; l; l = l->next)
                epoll_ctl(srv->epfd, EPOLL_CTL_DEL, l->fd, NULL);
        pthread_mutex_lock(&srv->lock);
        while (srv->accepting)
                pthread_cond_wait(&srv->pool_gone, &srv->lock);
        pthread_mutex_unlock(&srv->lock);
        for (struct rpc_listener *l = ls; l; l = l->next) {
                close(l->fd);
                l->fd = -1;
                if (l->path[0])
                        unlink(l->path);
        }
        /* every connection sees end of file at its next event (a call running ends
           first, its response going nowhere); the pool closes them */
        pthread_mutex_lock(&srv->lock);
        for (struct rpc_sconn *sc = srv->conns; sc; sc = sc->next)
                shutdown(sc->fd, SHUT_RDWR);
        for (struct rpc_refuser *rf = srv->refusers; rf; rf = rf->next)
                shutdown(rf->fd, SHUT_RDWR);
        while (srv->n_conns || srv->n_refusers)
                pthread_cond_wait(&srv->pool_gone, &srv->lock);
        /* then the pool: the wake-up stays readable, every thread sees it and leaves */
        srv->pool_quit = true;
        if (srv->wakefd >= 0)
                (void)!write(srv->wakefd, &(uint64_t){ 1 }, sizeof(uint64_t));
        while (srv->threads)
                pthread_cond_wait(&srv->pool_gone, &srv->lock);
        pthread_mutex_unlock(&srv->lock);
        /* no thread is left that might hold a listener's event */
        while (ls) {
                struct rpc_listener *l = ls;
                ls = l->next;
                dcom_free(l);
        }
        if (srv->epfd >= 0)
                close(srv->epfd);
        if (srv->timerfd >= 0)
                close(srv->timerfd);
        if (srv->wakefd >= 0)
                close(srv->wakefd);
        srv->epfd = srv->timerfd = srv->wakefd = -1;
}

void rpc_server_free(struct rpc_server *srv) {
        if (!srv)
                return;
        rpc_server_stop(srv);
        rpc_binding_free(srv->epm);     /* the mapper forgets our endpoints */
        for (unsigned i = 0; i < RPC_PEER_BUCKETS; i++)
                while (srv->peers[i]) {
                        struct rpc_peer_count *p = srv->peers[i];
                        srv->peers[i] = p->next;
                        dcom_free(p);
                }
        pthread_mutex_destroy(&srv->lock);
        pthread_cond_destroy(&srv->pool_gone);
        pthread_cond_destroy(&srv->watch_wake);
        dcom_free(srv);
}

void rpc_server_get_stats(struct rpc_server *srv, struct rpc_stats *ret) {
        ret->calls_in = __atomic_load_n(&srv->stats.calls_in, __ATOMIC_RELAXED);
        ret->calls_out = __atomic_load_n(&srv->stats.calls_out, __ATOMIC_RELAXED);
        ret->pkts_in = __atomic_load_n(&srv->stats.pkts_in, __ATOMIC_RELAXED);
        ret->pkts_out = __atomic_load_n(&srv->stats.pkts_out, __ATOMIC_RELAXED);
        ret->stub_in_place = __atomic_load_n(&srv->stats.stub_in_place, __ATOMIC_RELAXED);
        ret->calls_guessed = __atomic_load_n(&srv->stats.calls_guessed, __ATOMIC_RELAXED);
        ret->guesses_missed = __atomic_load_n(&srv->stats.guesses_missed, __ATOMIC_RELAXED);
        ret->lingering = __atomic_load_n(&srv->lingering, __ATOMIC_RELAXED);
}

void rpc_server_counts(struct rpc_server *srv, unsigned *ret_conns, unsigned *ret_assocs) {
        pthread_mutex_lock(&srv->lock);
        *ret_conns = srv->n_conns;
        *ret_assocs = srv->n_assocs;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_max_connections(struct rpc_server *srv, unsigned max) {
        pthread_mutex_lock(&srv->lock);
        srv->max_tcp = max ? max : DEFAULT_MAX_CONNECTIONS;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_max_local_connections(struct rpc_server *srv, unsigned max) {
        pthread_mutex_lock(&srv->lock);
        srv->max_lrpc = max ? max : DEFAULT_MAX_CONNECTIONS;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_limits(struct rpc_server *srv, const struct rpc_server_limits *l) {
        pthread_mutex_lock(&srv->lock);
        /* read by the pool without the lock (conn_arm): stored whole */
        __atomic_store_n(&srv->pdu_timeout_ms, l->pdu_timeout_ms ? l->pdu_timeout_ms
                                                                 : DEFAULT_PDU_TIMEOUT_MS,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&srv->call_timeout_ms, l->call_timeout_ms ? l->call_timeout_ms
                                                                   : DEFAULT_CALL_TIMEOUT_MS,
                         __ATOMIC_RELAXED);
        srv->max_per_peer = l->max_per_peer ? l->max_per_peer : DEFAULT_MAX_CONNECTIONS / 4;
        srv->max_partial_bytes = l->max_partial_bytes ? l->max_partial_bytes
                                                      : RPC_SERVER_MAX_PARTIAL_BYTES;
        unsigned max_threads = l->max_threads ? l->max_threads : DEFAULT_MAX_THREADS;
        if (max_threads < srv->min_threads)
                max_threads = srv->min_threads;
        __atomic_store_n(&srv->max_threads, max_threads, __ATOMIC_RELAXED);
        sweep_period_locked(srv);
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_timeouts(struct rpc_server *srv, unsigned bind_ms, unsigned idle_ms) {
        pthread_mutex_lock(&srv->lock);
        srv->bind_timeout_ms = bind_ms ? bind_ms : DEFAULT_BIND_TIMEOUT_MS;
        __atomic_store_n(&srv->idle_timeout_ms, idle_ms ? idle_ms : DEFAULT_IDLE_TIMEOUT_MS,
                         __ATOMIC_RELAXED);
        sweep_period_locked(srv);
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_threads(struct rpc_server *srv, unsigned *ret_threads, unsigned *ret_peak) {
        pthread_mutex_lock(&srv->lock);
        *ret_threads = srv->threads;
        *ret_peak = srv->peak_threads;
        pthread_mutex_unlock(&srv->lock);
}
