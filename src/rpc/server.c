/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC server: interfaces registered from dcomidl's generated tables
 * (RpcServerRegisterIf2's role), listeners on ncacn_ip_tcp (IPv4/IPv6, fixed or dynamic
 * port) and ncalrpc (a Unix socket under the runtime directory), and one worker thread
 * per connection.  A worker's loop is one read, the protocol engine (conn.c), one write:
 * a null call costs one read and one write on each side, and concurrent connections
 * spread over every core.  Connections are capped, TCP and ncalrpc each on its own
 * budget; one that does not bind in time, or a TCP one idle too long, is closed.
 * Stopping closes the listeners, shuts every connection down and waits for the workers.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/paths.h"
#include "epm_stub.h"
#include "rpc/epm/tower.h"
#include "rpc/rpc-server.h"

static LOG_CHANNEL(rpc);

#define DEFAULT_MAX_WORKERS 1024        /* per transport: TCP, and ncalrpc apart */
#define DEFAULT_BIND_TIMEOUT_MS 5000
#define DEFAULT_IDLE_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_PDU_TIMEOUT_MS 10000            /* one PDU, however its bytes trickle */
#define DEFAULT_CALL_TIMEOUT_MS 60000           /* one fragmented request, all fragments */
#define EVICT_MIN_IDLE_MS 1000                  /* idle at least this long to be evicted */
#define MAX_REFUSERS 32                 /* threads answering "too busy" at once */

struct rpc_listener {
        struct rpc_listener *next;
        struct rpc_server *srv;
        int fd;
        enum rpc_protseq protseq;
        char sec_addr[64];
        char path[108];                 /* ncalrpc: the socket, removed at stop */
        pthread_t thread;
        bool started;
};

struct rpc_worker {
        struct rpc_worker *next;
        struct rpc_server *srv;
        int fd;
        enum rpc_protseq conn_protseq;  /* which budget it counts against */
        struct rpc_conn *conn;
        struct rpc_peer who;            /* a copy the listener may read (srv->lock) */
        uint64_t quiet_since_ms;        /* atomic: waiting for a new PDU since; 0 busy */
        bool evicted;                   /* srv->lock: shut down to make room */
        pthread_t thread;
};

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
        pthread_cond_init(&srv->idle, NULL);
        pthread_cond_init(&srv->watch_wake, NULL);
        srv->max_tcp = DEFAULT_MAX_WORKERS;
        srv->max_lrpc = DEFAULT_MAX_WORKERS;
        srv->bind_timeout_ms = DEFAULT_BIND_TIMEOUT_MS;
        srv->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
        srv->pdu_timeout_ms = DEFAULT_PDU_TIMEOUT_MS;
        srv->call_timeout_ms = DEFAULT_CALL_TIMEOUT_MS;
        srv->max_per_peer = DEFAULT_MAX_WORKERS / 4;
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
                ret[n++] = srv->ifs[i].iface;
        pthread_mutex_unlock(&srv->lock);
        return n;
}

/* --- workers ---------------------------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/*
 * How long the worker waits for the peer's next bytes: until the bind deadline while
 * unbound (a bind must be complete within bind_timeout_ms of the accept, however the
 * bytes trickle), idle_timeout_ms between PDUs of a bound TCP connection.  A bound
 * ncalrpc connection is not timed out: a local server keeps its connection to the
 * endpoint mapper open, quiet, for as long as its registrations should live.
 * -1: forever; 0: the time is up.
 */
static int wait_ms(const struct rpc_worker *w, uint64_t now, uint64_t bind_deadline,
                   unsigned idle_ms, unsigned pdu_ms, unsigned call_ms) {
        if (!w->conn->bound)
                return now >= bind_deadline ? 0 : (int)(bind_deadline - now);
        /* a PDU (or a fragmented call) begun must be whole by its deadline: a peer
           trickling one byte at a time does not restart the clock */
        uint64_t d = rpc_conn_deadline(w->conn, pdu_ms, call_ms);
        if (d) {
                if (now >= d)
                        return 0;
                if (w->conn->protseq == RPC_PROTSEQ_LRPC || !idle_ms || d - now < idle_ms)
                        return (int)(d - now);
        }
        if (w->conn->protseq == RPC_PROTSEQ_LRPC || !idle_ms)
                return -1;
        return (int)idle_ms;
}

static void *worker_main(void *arg) {
        struct rpc_worker *w = arg;
        struct rpc_server *srv = w->srv;
        struct buf out;

        pthread_mutex_lock(&srv->lock);
        uint64_t bind_deadline = dcom_monotonic_ms() + srv->bind_timeout_ms;
        unsigned idle_ms = srv->idle_timeout_ms;
        unsigned pdu_ms = srv->pdu_timeout_ms, call_ms = srv->call_timeout_ms;
        pthread_mutex_unlock(&srv->lock);

        buf_init(&out, 0);
        int timeo = -2;         /* what SO_RCVTIMEO holds now (-1: no limit) */
        for (;;) {
                /* one (coarse) clock read per PDU: the deadlines and the idle mark share it */
                uint64_t now = dcom_monotonic_ms();
                int ms = wait_ms(w, now, bind_deadline, idle_ms, pdu_ms, call_ms);
                if (ms == 0) {
                        log_debug(rpc, "closing a connection: %s", w->conn->bound
                                  ? "a PDU or call not complete in time" : "no bind in time");
                        break;
                }
                /* evictable while bound and waiting for a new PDU (nothing begun) */
                __atomic_store_n(&w->quiet_since_ms,
                                 w->conn->bound && !rpc_conn_deadline(w->conn, pdu_ms, call_ms)
                                         ? now : 0,
                                 __ATOMIC_RELAXED);
                /*
                 * The wait rides on the socket's receive timeout rather than a poll()
                 * before each recv: a bound connection sets it once, and a call costs
                 * one read and one write ([MS-RPCE] allows no fewer).
                 */
                if (ms != timeo) {
                        struct timeval tv = { 0, 0 };
                        if (ms > 0) {
                                tv.tv_sec = ms / 1000;
                                tv.tv_usec = (ms % 1000) * 1000;
                        }
                        setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                        timeo = ms;
                }
                /* straight into the connection's reader: whole PDUs are handled in place */
                uint8_t *room;
                size_t size;
                /* a fragmented call in progress: read up to 64 KiB at a time */
                if (w->conn->n_partial)
                        rpc_reader_bulk(&w->conn->rd);
                if (rpc_reader_room(&w->conn->rd, &room, &size) < 0)
                        break;
                ssize_t n = recv(w->fd, room, size, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        if (!w->conn->bound || rpc_conn_deadline(w->conn, pdu_ms, call_ms))
                                continue;       /* the bind or PDU deadline decides, above */
                        log_debug(rpc, "closing a connection: idle");
                        break;
                }
                if (n <= 0)
                        break;
                __atomic_store_n(&w->quiet_since_ms, 0, __ATOMIC_RELAXED);
                rpc_reader_filled(&w->conn->rd, (size_t)n);
                int r = rpc_conn_process(w->conn, &out);
                if (out.error) {
                        /* what was built may be half done (or unsigned): none of it goes */
                        log_debug(rpc, "closing a connection: response: %s", strerror(-out.error));
                        break;
                }
                if (out.len) {
                        __atomic_add_fetch(&srv->stats.pkts_out, 1, __ATOMIC_RELAXED);
                        if (write_all(w->fd, out.data, out.len) < 0)
                                break;
                        buf_clear(&out);
                }
                /* nothing pending: a buffer grown for a large PDU shrinks back -- but not
                   between the fragments of a call being reassembled, which keep coming */
                if (r >= 0 && !w->conn->n_partial)
                        rpc_reader_trim(&w->conn->rd);
                if (r < 0) {
                        log_debug(rpc, "closing a connection: %s", strerror(-r));
                        break;
                }
        }
        buf_free(&out);
        /*
         * The connection goes first (its association may run down context handles and
         * tell the owner-end hook, under srv->lock); then the worker leaves the list.
         * Once n_workers reaches 0 rpc_server_stop() may return and the server be
         * freed: after that unlock nothing of srv is touched.
         */
        shutdown(w->fd, SHUT_RDWR);
        rpc_conn_free(w->conn);
        pthread_mutex_lock(&srv->lock);
        for (struct rpc_worker **pp = &srv->workers; *pp; pp = &(*pp)->next)
                if (*pp == w) {
                        *pp = w->next;
                        break;
                }
        srv->n_workers--;
        if (w->conn_protseq == RPC_PROTSEQ_LRPC)
                srv->n_lrpc--;
        else
                srv->n_tcp--;
        pthread_cond_broadcast(&srv->idle);
        pthread_mutex_unlock(&srv->lock);
        close(w->fd);
        dcom_free(w);
        return NULL;
}

/*
 * Over capacity: the bind is answered with a bind_nak, temporary congestion ([C706]
 * 12.6.3.1 p_reject_reason_t), which clients report as RPC_S_SERVER_TOO_BUSY.  A thread
 * of its own waits at most 100 ms for that bind, so that the listener goes on accepting
 * (a local client must not queue behind remote ones); past MAX_REFUSERS of them the
 * connection is simply closed.
 */
static unsigned refusers;       /* atomic */

static void refuse_busy(int fd) {
        struct timeval tv = { 0, 100000 };
        uint8_t h[RPC_CO_HEADER_SIZE];
        struct rpc_hdr hdr;
        struct buf out;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (recv(fd, h, sizeof h, MSG_WAITALL) != (ssize_t)sizeof h ||
            rpc_hdr_parse(h, sizeof h, &hdr) < 0 || hdr.ptype != RPC_PTYPE_BIND)
                return;
        buf_init(&out, 0);
        size_t start = rpc_pdu_begin(&out, RPC_PTYPE_BIND_NAK, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG,
                                     hdr.call_id);
        rpc_put_u16(&out, RPC_BIND_NAK_TEMPORARY_CONGESTION);
        buf_put_u8(&out, 1);
        buf_put_u8(&out, 5);
        buf_put_u8(&out, 0);
        rpc_put_align(&out, start, 4);
        if (rpc_pdu_end(&out, start) >= 0)
                (void)write_all(fd, out.data, out.len);
        buf_free(&out);
}

static void *refuser_main(void *arg) {
        int fd = (int)(intptr_t)arg;

        refuse_busy(fd);
        close(fd);
        __atomic_sub_fetch(&refusers, 1, __ATOMIC_RELAXED);
        return NULL;
}

static void refuse_busy_async(int fd) {
        pthread_attr_t attr;
        pthread_t t;
        bool started = false;

        if (__atomic_add_fetch(&refusers, 1, __ATOMIC_RELAXED) <= MAX_REFUSERS) {
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                pthread_attr_setstacksize(&attr, 64 * 1024);
                started = pthread_create(&t, &attr, refuser_main, (void *)(intptr_t)fd) == 0;
                pthread_attr_destroy(&attr);
        }
        if (!started) {
                __atomic_sub_fetch(&refusers, 1, __ATOMIC_RELAXED);
                close(fd);
        }
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

/* Connections shut down to make room but not yet gone (srv->lock). */
static unsigned evicting_locked(struct rpc_server *srv, enum rpc_protseq ps) {
        unsigned n = 0;

        for (struct rpc_worker *w = srv->workers; w; w = w->next)
                n += w->evicted && w->conn_protseq == ps;
        return n;
}

/*
 * Room for a connection from who (srv->lock): under the transport's budget and under
 * max_per_peer connections from one address (TCP) or one local user (ncalrpc).  At a bound, the connection of
 * that set that has waited longest for a new PDU (bound, nothing begun, quiet for
 * EVICT_MIN_IDLE_MS) is shut down for it -- idle connections cost their holder the
 * place, so a peer holding hundreds of silent connections cannot lock others out; our
 * clients reconnect transparently.  false: all of them are busy.
 */
static bool make_room_locked(struct rpc_server *srv, enum rpc_protseq ps,
                             const struct rpc_peer *who, unsigned count, unsigned max) {
        unsigned same = 0;
        bool per_peer = false;

        /* one address (TCP) or one local user (ncalrpc) holds at most max_per_peer */
        for (struct rpc_worker *w = srv->workers; w; w = w->next)
                same += !w->evicted && w->conn_protseq == ps && rpc_peer_same(&w->who, who);
        per_peer = same >= srv->max_per_peer;
        if (!per_peer && count < max + evicting_locked(srv, ps))
                return true;
        uint64_t now = dcom_monotonic_ms(), oldest = 0;
        struct rpc_worker *victim = NULL;
        for (struct rpc_worker *w = srv->workers; w; w = w->next) {
                uint64_t q = __atomic_load_n(&w->quiet_since_ms, __ATOMIC_RELAXED);
                if (w->evicted || w->conn_protseq != ps || !q || now - q < EVICT_MIN_IDLE_MS ||
                    (per_peer && !rpc_peer_same(&w->who, who)))
                        continue;
                if (!victim || q < oldest) {
                        victim = w;
                        oldest = q;
                }
        }
        if (!victim)
                return false;
        log_debug(rpc, "evicting a connection idle for %llu ms to make room",
                  (unsigned long long)(now - oldest));
        victim->evicted = true;
        shutdown(victim->fd, SHUT_RDWR);        /* its worker sees end of file and leaves */
        return true;
}

static void start_worker(struct rpc_listener *l, int fd, const struct sockaddr_storage *peer,
                         socklen_t peer_len) {
        struct rpc_server *srv = l->srv;
        struct rpc_worker *w = dcom_calloc(1, sizeof *w);
        pthread_attr_t attr;
        int one = 1;

        if (l->protseq == RPC_PROTSEQ_TCP)
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!w || !(w->conn = rpc_conn_new(srv, l->protseq))) {
                dcom_free(w);
                close(fd);
                return;
        }
        w->srv = srv;
        w->fd = fd;
        w->conn_protseq = l->protseq;
        w->conn->peer = *peer;
        w->conn->peer_len = peer_len;
        peer_identify(fd, l->protseq, peer, &w->conn->who);
        w->conn->local_len = sizeof w->conn->local;
        if (getsockname(fd, (struct sockaddr *)&w->conn->local, &w->conn->local_len) < 0)
                w->conn->local_len = 0;
        snprintf(w->conn->sec_addr, sizeof w->conn->sec_addr, "%s", l->sec_addr);
        w->who = w->conn->who;
        pthread_mutex_lock(&srv->lock);
        /* each transport has its own budget: remote peers cannot use up the local one */
        unsigned *count = l->protseq == RPC_PROTSEQ_LRPC ? &srv->n_lrpc : &srv->n_tcp;
        unsigned max = l->protseq == RPC_PROTSEQ_LRPC ? srv->max_lrpc : srv->max_tcp;
        if (!srv->stopping && !make_room_locked(srv, l->protseq, &w->who, *count, max))
                max = 0;                /* full of busy connections: refused */
        else
                max += evicting_locked(srv, l->protseq);
        if (srv->stopping || *count >= max) {
                bool busy = !srv->stopping;
                unsigned n = *count;
                pthread_mutex_unlock(&srv->lock);
                log_debug(rpc, "connection refused: %u %s connections", n,
                          rpc_protseq_name(l->protseq));
                rpc_conn_free(w->conn);
                dcom_free(w);
                if (busy)
                        refuse_busy_async(fd);
                else
                        close(fd);
                return;
        }
        w->next = srv->workers;
        srv->workers = w;
        srv->n_workers++;
        (*count)++;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&w->thread, &attr, worker_main, w) != 0) {
                srv->workers = w->next;
                srv->n_workers--;
                (*count)--;
                pthread_mutex_unlock(&srv->lock);
                rpc_conn_free(w->conn);
                dcom_free(w);
                close(fd);
        } else {
                pthread_mutex_unlock(&srv->lock);
        }
        pthread_attr_destroy(&attr);
}

static void *listener_main(void *arg) {
        struct rpc_listener *l = arg;

        for (;;) {
                struct sockaddr_storage peer;
                socklen_t plen = sizeof peer;
                int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
                            errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                if (errno != EINTR && errno != ECONNABORTED)
                                        usleep(10000);  /* out of descriptors: back off */
                                pthread_mutex_lock(&l->srv->lock);
                                bool stop = l->srv->stopping;
                                pthread_mutex_unlock(&l->srv->lock);
                                if (!stop)
                                        continue;
                        }
                        break;
                }
                start_worker(l, fd, &peer, plen);
        }
        return NULL;
}

/* --- listeners ------------------------------------------------------------------------------- */

static int add_listener(struct rpc_server *srv, int fd, enum rpc_protseq protseq,
                        const char *sec_addr, const char *path) {
        struct rpc_listener *l = dcom_calloc(1, sizeof *l);

        if (!l) {
                close(fd);
                return -ENOMEM;
        }
        l->srv = srv;
        l->fd = fd;
        l->protseq = protseq;
        snprintf(l->sec_addr, sizeof l->sec_addr, "%s", sec_addr);
        if (path)
                snprintf(l->path, sizeof l->path, "%s", path);
        if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
                close(fd);
                dcom_free(l);
                return -EAGAIN;
        }
        l->started = true;
        pthread_mutex_lock(&srv->lock);
        l->next = srv->listeners;
        srv->listeners = l;
        pthread_mutex_unlock(&srv->lock);
        return 0;
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
        for (struct rpc_listener *l = ls; l; l = l->next)
                shutdown(l->fd, SHUT_RDWR);     /* wakes accept() */
        while (ls) {
                struct rpc_listener *l = ls;
                ls = l->next;
                if (l->started)
                        pthread_join(l->thread, NULL);
                close(l->fd);
                if (l->path[0])
                        unlink(l->path);
                dcom_free(l);
        }
        pthread_mutex_lock(&srv->lock);
        for (struct rpc_worker *w = srv->workers; w; w = w->next)
                shutdown(w->fd, SHUT_RDWR);     /* the worker sees end of file and leaves */
        while (srv->n_workers)
                pthread_cond_wait(&srv->idle, &srv->lock);
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_free(struct rpc_server *srv) {
        if (!srv)
                return;
        rpc_server_stop(srv);
        rpc_binding_free(srv->epm);     /* the mapper forgets our endpoints */
        pthread_mutex_destroy(&srv->lock);
        pthread_cond_destroy(&srv->idle);
        pthread_cond_destroy(&srv->watch_wake);
        dcom_free(srv);
}

void rpc_server_get_stats(struct rpc_server *srv, struct rpc_stats *ret) {
        ret->calls_in = __atomic_load_n(&srv->stats.calls_in, __ATOMIC_RELAXED);
        ret->calls_out = __atomic_load_n(&srv->stats.calls_out, __ATOMIC_RELAXED);
        ret->pkts_in = __atomic_load_n(&srv->stats.pkts_in, __ATOMIC_RELAXED);
        ret->pkts_out = __atomic_load_n(&srv->stats.pkts_out, __ATOMIC_RELAXED);
}

void rpc_server_counts(struct rpc_server *srv, unsigned *ret_workers, unsigned *ret_assocs) {
        pthread_mutex_lock(&srv->lock);
        *ret_workers = srv->n_workers;
        *ret_assocs = srv->n_assocs;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_max_connections(struct rpc_server *srv, unsigned max) {
        pthread_mutex_lock(&srv->lock);
        srv->max_tcp = max ? max : DEFAULT_MAX_WORKERS;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_max_local_connections(struct rpc_server *srv, unsigned max) {
        pthread_mutex_lock(&srv->lock);
        srv->max_lrpc = max ? max : DEFAULT_MAX_WORKERS;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_limits(struct rpc_server *srv, const struct rpc_server_limits *l) {
        pthread_mutex_lock(&srv->lock);
        srv->pdu_timeout_ms = l->pdu_timeout_ms ? l->pdu_timeout_ms : DEFAULT_PDU_TIMEOUT_MS;
        srv->call_timeout_ms = l->call_timeout_ms ? l->call_timeout_ms : DEFAULT_CALL_TIMEOUT_MS;
        srv->max_per_peer = l->max_per_peer ? l->max_per_peer : DEFAULT_MAX_WORKERS / 4;
        srv->max_partial_bytes = l->max_partial_bytes ? l->max_partial_bytes
                                                      : RPC_SERVER_MAX_PARTIAL_BYTES;
        pthread_mutex_unlock(&srv->lock);
}

void rpc_server_set_timeouts(struct rpc_server *srv, unsigned bind_ms, unsigned idle_ms) {
        pthread_mutex_lock(&srv->lock);
        srv->bind_timeout_ms = bind_ms ? bind_ms : DEFAULT_BIND_TIMEOUT_MS;
        srv->idle_timeout_ms = idle_ms ? idle_ms : DEFAULT_IDLE_TIMEOUT_MS;
        pthread_mutex_unlock(&srv->lock);
}
