/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC client: a binding handle (a string binding plus the connection it keeps), on
 * which dcomidl's generated client stubs run -- struct rpc_binding starts with the
 * struct ndr_binding they take as handle_t.  A call connects if needed (ncacn_ip_tcp or
 * ncalrpc; a binding without an endpoint asks the endpoint mapper, through ept_map, on
 * port 135 or ncalrpc:[epmapper]), binds the interface's presentation context (bind
 * first, alter_context after), sends the request in fragments of the negotiated size,
 * and reassembles the response.  One call at a time per binding; the connection is
 * reused until it fails.  Errors: the transport's (-ECONNREFUSED: the RPC server is
 * unavailable; -ECONNRESET: the call failed), -ETIMEDOUT, -EPROTO for a peer breaking
 * the protocol, -EREMOTEIO for a fault (rpc_binding_fault() has its status);
 * rpc_binding_status() gives the RPC_STATUS a Windows caller would see.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "epm_stub.h"
#include "rpc/rpc-internal.h"

static LOG_CHANNEL(rpc);

#define CLIENT_MAX_FRAG 5840
#define CLIENT_MAX_CONTEXTS 16
#define CLIENT_MAX_SEC 4                /* per-call security contexts beyond the binding's */

struct rpc_binding {
        struct ndr_binding nb;          /* first: the generated stubs' handle_t */
        struct rpc_string_binding sb;
        unsigned timeout_ms;
        uint64_t deadline_ms;           /* the call's end (CLOCK_MONOTONIC); 0: none */
        unsigned rcvtimeo_ms;           /* what the socket's SO_RCVTIMEO holds */
        uint64_t call_start_ms;         /* this call's start */
        uint64_t last_use_ms;           /* the previous call's start on this connection */
        pthread_mutex_t lock;
        int fd;                         /* -1: not connected */
        uint32_t next_call_id;
        uint16_t max_xmit, max_recv;
        uint32_t assoc_group;
        bool unique;                    /* RPC_C_OPT_UNIQUE_BINDING: an association of its own */
        bool in_group;                  /* counted in the shared groups' table */
        char ep[64];                    /* the endpoint connected to */
        struct {
                const struct ndr_interface *iface;
                uint16_t id;
        } ctx[CLIENT_MAX_CONTEXTS];
        unsigned n_ctx;
        uint16_t next_ctx_id;
        bool bound;                     /* bind_ack seen: more contexts by alter_context */
        uint32_t fault;                 /* the last fault's status */
        int last_error;
        /* security (rpc_binding_set_auth): the identity, and the connection's context */
        uint8_t auth_level, auth_type;  /* auth_level 0: none */
        char *auth_user, *auth_domain, *auth_password, *auth_target;
        uint8_t auth_imp;                       /* RPC_C_IMP_LEVEL_* of its identity */
        struct rpc_sec_ref sec;         /* sec.ctx non-NULL: negotiated on this connection */
        /* more security contexts on the connection, for per-call security (rpc_call_handle):
           each opened by an alter_context with its own auth_context_id */
        struct client_sec {
                struct rpc_sec_ref ref;
                char *user, *domain, *password; /* the identity it was opened for */
                uint8_t imp;
        } extra[CLIENT_MAX_SEC];
        unsigned n_extra;
        bool hdr_offered;               /* our bind offered PFC_SUPPORT_HEADER_SIGN */
        bool hdr_sign;                  /* the server answered PFC_SUPPORT_HEADER_SIGN */
        bool fault_protected;           /* the last call's fault came to a protected call */
        struct rpc_reader rd;           /* received bytes, framed into PDUs (reader.c) */
        struct buf sendbuf;             /* request PDUs, kept across calls */
};

static int client_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                       struct ndr_push *in, struct ndr_pull *out, struct arena *arena);
static void set_timeouts(int fd, unsigned ms);

/* rpc_client_trips()' counts, by enum rpc_protseq */
static _Thread_local struct rpc_trips trips[RPC_PROTSEQ_LRPC + 1];

void rpc_client_trips(enum rpc_protseq protseq, struct rpc_trips *ret) {
        *ret = (unsigned)protseq <= RPC_PROTSEQ_LRPC ? trips[protseq] : (struct rpc_trips){ 0 };
}

int rpc_binding_from_string(const char *s, struct rpc_binding **ret) {
        struct rpc_binding *b = dcom_calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        r = rpc_string_binding_parse(s, &b->sb);
        if (r < 0) {
                dcom_free(b);
                return r;
        }
        b->nb.call = client_call;
        b->nb.ctx = b;
        b->fd = -1;
        b->timeout_ms = 30000;
        b->next_call_id = 1;
        b->next_ctx_id = 0;
        pthread_mutex_init(&b->lock, NULL);
        *ret = b;
        return 0;
}

static void free_secret(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                dcom_free(s);
        }
}

static void sec_end(struct rpc_binding *b) {
        if (b->sec.ctx)
                b->sec.ops->free(b->sec.ctx);
        b->sec.ctx = NULL;
        for (unsigned i = 0; i < b->n_extra; i++) {
                struct client_sec *e = &b->extra[i];
                if (e->ref.ctx)
                        e->ref.ops->free(e->ref.ctx);
                dcom_free(e->user);
                dcom_free(e->domain);
                free_secret(e->password);
        }
        b->n_extra = 0;
}

static void group_key(const struct rpc_binding *b, char *key, size_t size);
static void group_left(const char *key, uint32_t group);

static void disconnect(struct rpc_binding *b) {
        if (b->fd >= 0)
                close(b->fd);
        b->fd = -1;
        b->hdr_sign = b->hdr_offered = false;
        sec_end(b);     /* a security context lives and dies with its connection */
        b->n_ctx = 0;
        b->next_ctx_id = 0;
        b->bound = false;
        if (b->in_group) {
                char key[400];
                group_key(b, key, sizeof key);
                group_left(key, b->assoc_group);
                b->in_group = false;
        }
        /* the association group ended with its last connection: a new connection must
           not ask to join it (a restarted server would refuse, or worse, know the id) */
        b->assoc_group = 0;
}

bool rpc_binding_connection_lost(struct rpc_binding *b) {
        bool lost = true;

        pthread_mutex_lock(&b->lock);
        if (b->fd >= 0) {
                uint8_t c;
                ssize_t n = recv(b->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
                lost = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
                if (lost)
                        disconnect(b);
        }
        pthread_mutex_unlock(&b->lock);
        return lost;
}

uint32_t rpc_binding_assoc_group(struct rpc_binding *b) {
        uint32_t g;

        pthread_mutex_lock(&b->lock);
        g = b->fd >= 0 && b->bound ? b->assoc_group : 0;
        pthread_mutex_unlock(&b->lock);
        return g;
}

static void auth_clear(struct rpc_binding *b) {
        free_secret(b->auth_password);
        dcom_free(b->auth_user);
        dcom_free(b->auth_domain);
        dcom_free(b->auth_target);
        b->auth_password = b->auth_user = b->auth_domain = b->auth_target = NULL;
        b->auth_level = b->auth_type = 0;
}

int rpc_binding_set_auth(struct rpc_binding *b, uint8_t level, uint8_t authn_svc,
                         const struct rpc_auth_identity *id) {
        const struct rpc_auth_ops *ops = NULL;
        int r = 0;

        if (!b || level > RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return -EINVAL;
        if (level > RPC_AUTHN_LEVEL_NONE) {
                rpc_auth_register_defaults();
                ops = rpc_auth_find(authn_svc);
                if (!ops || !ops->init || !ops->init_step)
                        return -EPROTONOSUPPORT;
        }
        pthread_mutex_lock(&b->lock);
        disconnect(b);
        auth_clear(b);
        if (ops) {
                b->auth_level = level < RPC_AUTHN_LEVEL_CONNECT ? RPC_AUTHN_LEVEL_CONNECT : level;
                b->auth_type = authn_svc;
                b->auth_user = dcom_strdup(id && id->user ? id->user : "");
                b->auth_domain = dcom_strdup(id && id->domain ? id->domain : "");
                b->auth_password = dcom_strdup(id && id->password ? id->password : "");
                if (id && id->target)
                        b->auth_target = dcom_strdup(id->target);
                b->auth_imp = id ? id->imp_level : 0;
                if (!b->auth_user || !b->auth_domain || !b->auth_password ||
                    (id && id->target && !b->auth_target)) {
                        auth_clear(b);
                        r = -ENOMEM;
                }
        }
        pthread_mutex_unlock(&b->lock);
        return r;
}

void rpc_binding_free(struct rpc_binding *b) {
        if (!b)
                return;
        disconnect(b);
        auth_clear(b);
        pthread_mutex_destroy(&b->lock);
        rpc_reader_free(&b->rd);
        buf_free(&b->sendbuf);
        dcom_free(b);
}

void rpc_binding_set_timeout(struct rpc_binding *b, unsigned ms) {
        pthread_mutex_lock(&b->lock);
        b->timeout_ms = ms;
        if (b->fd >= 0) {
                set_timeouts(b->fd, ms);
                b->rcvtimeo_ms = ms;
        }
        pthread_mutex_unlock(&b->lock);
}

uint32_t rpc_binding_fault(const struct rpc_binding *b) {
        return b->fault;
}

const struct rpc_string_binding *rpc_binding_string(const struct rpc_binding *b) {
        return &b->sb;
}

RPC_STATUS rpc_binding_status(const struct rpc_binding *b, int err) {
        switch (err) {
        case 0:
                return RPC_S_OK;
        case -EREMOTEIO:
                return b ? dcom_status_from_fault(b->fault) : RPC_S_CALL_FAILED;
        case -ECONNREFUSED:
        case -ENOENT:           /* no such ncalrpc endpoint */
        case -EHOSTUNREACH:
        case -ENETUNREACH:
        case -EADDRNOTAVAIL:
                return RPC_S_SERVER_UNAVAILABLE;
        case -ECONNRESET:
        case -EPIPE:
        case -ECONNABORTED:
                return RPC_S_CALL_FAILED;
        case -ETIMEDOUT:
                return RPC_S_CALL_FAILED_DNE;
        case -ENXIO:
                return RPC_S_UNKNOWN_IF;
        case -ENODATA:          /* the endpoint mapper knows no such interface */
                return EPT_S_NOT_REGISTERED;
        case -EBUSY:
                return RPC_S_SERVER_TOO_BUSY;
        case -EPROTO:
        case -EBADMSG:
                return RPC_S_PROTOCOL_ERROR;
        case -ENOMEM:
                return RPC_S_OUT_OF_MEMORY;
        case -EPROTONOSUPPORT:
                return RPC_S_PROTSEQ_NOT_SUPPORTED;
        case -EINVAL:
                return RPC_S_INVALID_BINDING;
        default:
                return (RPC_STATUS)HRESULT_CODE(dcom_hresult_from_errno(err));
        }
}

/* --- transport --------------------------------------------------------------------------- */


static int send_all(struct rpc_binding *b, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t w = send(b->fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/*
 * Before each recv: the call's time may be up; otherwise the socket's receive timeout
 * (the whole per-call timeout, set at connect) bounds the wait -- lowered to the time
 * left only when a call needs another recv more than DEADLINE_SLACK_MS into it (so a
 * call may overrun its deadline by that much at most), and a call answered by one recv
 * costs no system call for its deadline.
 */
#define DEADLINE_SLACK_MS 100

static int arm_deadline(struct rpc_binding *b) {
        if (!b->deadline_ms)
                return 0;
        uint64_t now = dcom_monotonic_ms();
        if (now >= b->deadline_ms)
                return -ETIMEDOUT;
        uint64_t left = b->deadline_ms - now;
        /* within DEADLINE_SLACK_MS of the set timeout: not worth a system call */
        if (left + DEADLINE_SLACK_MS < b->rcvtimeo_ms) {
                struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };
                if (left == 0)
                        tv.tv_usec = 1000;
                setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                b->rcvtimeo_ms = (unsigned)left;
        }
        return 0;
}

/*
 * One PDU (at most 64 KiB), validated; it stays valid until the next recv_pdu().  The
 * framing is the server's too (reader.c); the waits are the call's deadline.
 */
static int recv_pdu(struct rpc_binding *b, struct rpc_pdu *pdu) {
        const uint8_t *p;
        size_t len;
        int r;

        while ((r = rpc_reader_next(&b->rd, &p, &len)) == 0) {
                uint8_t *room;
                size_t n;
                if ((r = arm_deadline(b)) < 0 || (r = rpc_reader_room(&b->rd, &room, &n)) < 0)
                        return r;
                ssize_t got = recv(b->fd, room, n, 0);
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                }
                if (got == 0)
                        return -ECONNRESET;     /* the peer closed mid-call */
                rpc_reader_filled(&b->rd, (size_t)got);
        }
        if (r < 0 || rpc_pdu_parse(p, len, pdu) < 0)
                return -EPROTO;
        return 0;
}

static void set_timeouts(int fd, unsigned ms) {
        struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/*
 * connect() that gives up at deadline_ms (CLOCK_MONOTONIC; 0: the system's own
 * patience): a peer whose SYNs go unanswered -- a host that drops them, a listener whose
 * backlog is full -- fails the call within the binding's timeout, every address of a
 * host together, instead of after the kernel's two minutes each.
 */
static int connect_within(int fd, const struct sockaddr *sa, socklen_t len, uint64_t deadline_ms) {
        int flags = fcntl(fd, F_GETFL);
        int err = 0;
        socklen_t elen = sizeof err;

        if (!deadline_ms || flags < 0)
                return connect(fd, sa, len) == 0 ? 0 : -errno;
        if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        if (connect(fd, sa, len) < 0) {
                if (errno != EINPROGRESS) {
                        err = errno;
                } else {
                        struct pollfd p = { .fd = fd, .events = POLLOUT };
                        int r;
                        do {
                                uint64_t now = dcom_monotonic_ms();
                                r = now >= deadline_ms ? 0 : poll(&p, 1, (int)(deadline_ms - now));
                        } while (r < 0 && errno == EINTR);
                        if (r == 0)
                                err = ETIMEDOUT;
                        else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                                err = errno;
                }
        }
        fcntl(fd, F_SETFL, flags);
        return -err;
}

/*
 * A well-known endpoint (epmapper) is served by its system service: root, or the
 * account that owns the directory its socket is in (the runtime directory, rpcss's).
 * That directory lets nobody else create a socket (server.c, rpc_lrpc_path); this is the
 * second lock, for a directory someone made writable.  The kernel names the process
 * that listens (SO_PEERCRED, as of its listen()), so no race with the file: ourselves
 * are trusted too (a private instance).
 */
static bool trusted_server(int fd, const char *endpoint, const char *path) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        struct stat st;
        char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
        char *slash;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return false;
        if (cred.uid == 0 || cred.uid == geteuid())
                return true;
        snprintf(dir, sizeof dir, "%s", path);
        slash = strrchr(dir, '/');
        if (slash)
                *slash = 0;
        if (stat(dir, &st) == 0 && st.st_uid == cred.uid)
                return true;
        log_debug(rpc, "ncalrpc:[%s] (%s) is served by uid %u, neither root nor the owner of "
                  "%s: refused (a squatter? only rpcss's account may serve it)", endpoint, path,
                  (unsigned)cred.uid, dir);
        return false;
}

static int connect_endpoint(struct rpc_binding *b, const char *endpoint) {
        int fd = -1, r;

        snprintf(b->ep, sizeof b->ep, "%s", endpoint);
        if (b->sb.protseq == RPC_PROTSEQ_LRPC) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                r = rpc_lrpc_path(endpoint, sa.sun_path, sizeof sa.sun_path);
                if (r < 0)
                        return r;
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                        r = errno == ENOENT ? -ECONNREFUSED : -errno;
                        log_debug(rpc, "connect to ncalrpc:[%s]: %s", endpoint, strerror(errno));
                        close(fd);
                        return r;
                }
                if (rpc_lrpc_well_known(endpoint) && !trusted_server(fd, endpoint, sa.sun_path)) {
                        close(fd);
                        return -EACCES;
                }
        } else {
                struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                          .ai_flags = AI_NUMERICSERV };
                struct addrinfo *res = NULL;
                const char *host = b->sb.host[0] ? b->sb.host : "127.0.0.1";
                r = getaddrinfo(host, endpoint, &hints, &res);
                if (r != 0) {
                        log_debug(rpc, "cannot resolve %s: %s", host,
                                  r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
                        return -EHOSTUNREACH;   /* RPC_S_SERVER_UNAVAILABLE */
                }
                r = -ECONNREFUSED;
                uint64_t deadline = b->timeout_ms ? dcom_monotonic_ms() + b->timeout_ms : 0;
                for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
                        if (fd < 0)
                                continue;
                        if ((r = connect_within(fd, ai->ai_addr, ai->ai_addrlen, deadline)) == 0)
                                break;
                        close(fd);
                        fd = -1;
                }
                freeaddrinfo(res);
                if (fd < 0) {
                        log_debug(rpc, "connect to %s[%s]: %s", host, endpoint, strerror(-r));
                        return r;
                }
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        set_timeouts(fd, b->timeout_ms);
        b->rcvtimeo_ms = b->timeout_ms;
        b->fd = fd;
        trips[b->sb.protseq].connects++;
        log_debug(rpc, "connected to %s:%s[%s]", rpc_protseq_name(b->sb.protseq),
                  b->sb.protseq == RPC_PROTSEQ_LRPC ? "" : b->sb.host[0] ? b->sb.host : "127.0.0.1",
                  endpoint);
        rpc_reader_free(&b->rd);        /* nothing of an old connection carries over */
        return 0;
}

/* [C706] ept_map: the endpoint of iface at the binding's host, asked of its mapper. */
static int resolve_endpoint(struct rpc_binding *b, const struct ndr_interface *iface,
                            char *ret, size_t size);

#define REUSE_CHECK_MS 1000

static int ensure_connected(struct rpc_binding *b, const struct ndr_interface *iface) {
        char ep[64];
        int r;

        /*
         * A connection quiet for a while may have been closed by the server (its idle
         * timeout, a restart): peeking costs a system call, so only after a pause.
         * Finding it closed before sending anything, the call reconnects instead of
         * failing -- nothing of it has run.
         */
        if (b->fd >= 0 && b->call_start_ms - b->last_use_ms >= REUSE_CHECK_MS) {
                uint8_t c;
                ssize_t n = recv(b->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
                    n > 0) {
                        log_debug(rpc, "connection closed while idle (%s): reconnecting",
                                  n == 0 ? "end of stream" : n > 0 ? "unexpected data" : strerror(errno));
                        disconnect(b);
                }
        }
        if (b->fd >= 0)
                return 0;
        if (b->sb.endpoint[0])
                return connect_endpoint(b, b->sb.endpoint);
        r = resolve_endpoint(b, iface, ep, sizeof ep);
        if (r < 0)
                return r;
        return connect_endpoint(b, ep);
}

/* --- associations shared by binding handles ------------------------------------------------ */

/*
 * Binding handles to the same server endpoint with the same security share one
 * association group, as Windows' do unless RPC_C_OPT_UNIQUE_BINDING: each handle has its
 * own connection, joined to the group the first one got, so a context handle opened
 * through one is valid through the others ([C706] 12.4).  The table remembers the last
 * group of each (protocol sequence, host, endpoint, security); a group the server has
 * forgotten (its last connection closed) is answered with a bind_nak, forgotten here,
 * and a new one begun.
 */
#define SHARED_GROUPS 64

static struct {
        pthread_mutex_t lock;
        struct {
                char key[400];
                uint32_t group;
                unsigned live;          /* our connections in it */
        } v[SHARED_GROUPS];
        unsigned next;                  /* the slot replaced next when full */
} groups = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void group_key(const struct rpc_binding *b, char *key, size_t size) {
        snprintf(key, size, "%d|%s|%s|%u|%u|%.100s|%.100s", (int)b->sb.protseq, b->sb.host, b->ep,
                 b->auth_type, b->auth_level, b->auth_user ? b->auth_user : "",
                 b->auth_domain ? b->auth_domain : "");
}

static uint32_t group_find(const char *key) {
        uint32_t g = 0;

        pthread_mutex_lock(&groups.lock);
        for (unsigned i = 0; i < SHARED_GROUPS && !g; i++)
                if (groups.v[i].group && strcmp(groups.v[i].key, key) == 0)
                        g = groups.v[i].group;
        pthread_mutex_unlock(&groups.lock);
        return g;
}

/*
 * One of our connections in the group of key ended: when it was the last, the server
 * forgets the group ([C706] 12.4) and so do we -- a new connection asking to join it
 * would only get a bind_nak and a second bind.
 */
static void group_left(const char *key, uint32_t group) {
        pthread_mutex_lock(&groups.lock);
        for (unsigned i = 0; i < SHARED_GROUPS; i++)
                if (groups.v[i].group == group && strcmp(groups.v[i].key, key) == 0) {
                        if (groups.v[i].live && --groups.v[i].live == 0)
                                groups.v[i].group = 0;
                        break;
                }
        pthread_mutex_unlock(&groups.lock);
}

/* Remembers group for key (0: forgets it); a connection that joined it counts. */
static void group_set(const char *key, uint32_t group) {
        unsigned slot = SHARED_GROUPS;

        pthread_mutex_lock(&groups.lock);
        for (unsigned i = 0; i < SHARED_GROUPS; i++)
                if (groups.v[i].group && strcmp(groups.v[i].key, key) == 0)
                        slot = i;
        if (slot == SHARED_GROUPS && group) {
                for (unsigned i = 0; i < SHARED_GROUPS && slot == SHARED_GROUPS; i++)
                        if (!groups.v[i].group)
                                slot = i;
                if (slot == SHARED_GROUPS)
                        slot = groups.next++ % SHARED_GROUPS;
        }
        if (slot < SHARED_GROUPS) {
                if (groups.v[slot].group != group)
                        groups.v[slot].live = 0;
                snprintf(groups.v[slot].key, sizeof groups.v[slot].key, "%s", key);
                groups.v[slot].group = group;
                if (group)
                        groups.v[slot].live++;
        }
        pthread_mutex_unlock(&groups.lock);
}

void rpc_binding_set_unique(struct rpc_binding *b, bool unique) {
        pthread_mutex_lock(&b->lock);
        b->unique = unique;
        pthread_mutex_unlock(&b->lock);
}

/* --- bind / alter_context ---------------------------------------------------------------------- */

static int context_for(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t *ret) {
        for (unsigned i = 0; i < b->n_ctx; i++)
                if (b->ctx[i].iface == iface ||
                    (dcom_guid_equal(&b->ctx[i].iface->uuid, &iface->uuid) &&
                     b->ctx[i].iface->ver_major == iface->ver_major &&
                     b->ctx[i].iface->ver_minor == iface->ver_minor)) {
                        *ret = b->ctx[i].id;
                        return 0;
                }
        return -ENOENT;
}

static uint16_t get_u16(const uint8_t *p, bool be) {
        return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p, bool be) {
        return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                  : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                            (uint32_t)p[3] << 24;
}

/*
 * A security context's auth_context_id: new for each one the process opens, as Windows
 * counts them, so that a capture tool (or a server) never sees two contexts of ours
 * under one id.
 */
static uint32_t next_auth_context_id(void) {
        static _Atomic uint32_t next;
        uint32_t id = atomic_fetch_add(&next, 1);

        if (id == 0) {          /* the first: start somewhere unpredictable */
                uint32_t seed = 0;
                if (getrandom(&seed, sizeof seed, 0) == (ssize_t)sizeof seed)
                        atomic_store(&next, (seed & 0xffff) + 2);
                id = (seed & 0xffff) + 1;
        }
        return id;
}

/* [MS-RPCE] 2.2.2.10: rpc_auth_3, the handshake's last leg; the server does not answer. */
static int send_auth3(struct rpc_binding *b, const struct rpc_sec_ref *sec, uint32_t call_id,
                      const struct buf *tok) {
        struct buf out;
        int r;

        buf_init(&out, 0);
        size_t start = rpc_pdu_begin(&out, RPC_PTYPE_AUTH3, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG,
                                     call_id);
        rpc_put_u32(&out, 0);                   /* pad */
        rpc_sec_put_trailer(&out, start, start, 4, sec, tok->data, tok->len);
        r = rpc_pdu_end(&out, start);
        if (r >= 0)
                r = out.error ? -ENOMEM : send_all(b, out.data, out.len);
        buf_free(&out);
        return r;
}

/* A bind or alter_context PDU for iface as context id, with sec's token when given. */
static int put_bind(struct buf *out, struct rpc_binding *b, bool alter, uint32_t call_id,
                    const struct ndr_interface *iface, uint16_t id, const struct rpc_sec_ref *sec,
                    const struct buf *tok) {
        size_t start = rpc_pdu_begin(out, alter ? RPC_PTYPE_ALTER_CONTEXT : RPC_PTYPE_BIND,
                                     RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                                             (sec && !alter ? RPC_PFC_SUPPORT_HEADER_SIGN : 0),
                                     call_id);
        rpc_put_u16(out, CLIENT_MAX_FRAG);      /* max_xmit_frag */
        rpc_put_u16(out, CLIENT_MAX_FRAG);      /* max_recv_frag */
        rpc_put_u32(out, b->assoc_group);
        buf_put_u8(out, 1);                     /* one presentation context */
        buf_put_u8(out, 0);
        rpc_put_u16(out, 0);
        rpc_put_u16(out, id);
        buf_put_u8(out, 1);                     /* one transfer syntax: NDR 2.0 */
        buf_put_u8(out, 0);
        struct rpc_syntax_id as = { iface->uuid, iface->ver_major, iface->ver_minor };
        rpc_put_syntax(out, &as);
        rpc_put_syntax(out, &rpc_syntax_ndr20);
        if (sec)
                rpc_sec_put_trailer(out, start, start, 4, sec, tok->data, tok->len);
        return rpc_pdu_end(out, start);
}

/*
 * A leg of a handshake that needs more than three ([MS-RPCE] 3.3.1.5.2; SPNEGO's
 * fourth): tok goes to the server in an alter_context for iface's context id, and its
 * answer (from the alter_context_resp) to the provider, whose next token replaces tok.
 */
static int sec_leg(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t id,
                   struct rpc_sec_ref *sec, struct buf *tok, bool *done) {
        uint32_t call_id = b->next_call_id++;
        struct rpc_pdu pdu;
        struct buf out;
        int r;

        log_debug(rpc, "%s: another leg, in an alter_context", sec->ops->name);
        buf_init(&out, 0);
        r = put_bind(&out, b, true, call_id, iface, id, sec, tok);
        if (r >= 0)
                r = send_all(b, out.data, out.len);
        buf_free(&out);
        if (r < 0)
                return r;
        trips[b->sb.protseq].binds++;
        if ((r = recv_pdu(b, &pdu)) < 0)
                return r;
        if (pdu.hdr.call_id != call_id || pdu.hdr.ptype != RPC_PTYPE_ALTER_CONTEXT_RESP ||
            !pdu.has_auth || pdu.sec.auth_type != sec->type || pdu.sec.auth_context_id != sec->id)
                return pdu.hdr.ptype == RPC_PTYPE_FAULT ? -EACCES : -EPROTO;
        buf_clear(tok);
        return sec->ops->init_step(sec->ctx, pdu.auth, pdu.auth_len, tok, done);
}

/*
 * A bind (or, once bound, an alter_context) for iface: a new presentation context, or
 * *ret's existing one again when reuse.  With sec (its ctx NULL) it also opens that
 * security context for who ([MS-RPCE] 3.3.1.5.2): the provider's first token in the
 * sec_trailer, its answer from the bind_ack / alter_context_resp, the last leg in an
 * AUTH3 -- the binding's own context on the first bind, a per-call one later.
 */
static int bind_context(struct rpc_binding *b, const struct ndr_interface *iface, uint16_t *ret,
                        bool reuse, struct rpc_sec_ref *sec, const struct rpc_auth_identity *who) {
        bool alter = b->bound;
        uint16_t id = reuse ? *ret : b->next_ctx_id;
        struct buf out;
        struct rpc_pdu pdu;
        int r;

        if (!reuse && b->n_ctx >= CLIENT_MAX_CONTEXTS)
                return -ENOSPC;
        uint32_t call_id = b->next_call_id++;
        buf_init(&out, 0);
        /* the first bind of an authenticated binding opens its security context
           ([MS-RPCE] 3.3.1.5.2): the provider's first token in the bind's sec_trailer */
        struct buf tok;
        buf_init(&tok, 64 * 1024);
        bool sec_start = sec && !sec->ctx;
        if (sec_start) {
                const struct rpc_auth_ops *ops = rpc_auth_find(sec->type);
                bool done = false;
                if (!ops || !ops->init) {
                        buf_free(&out);
                        return -EPROTONOSUPPORT;
                }
                r = ops->init(&sec->ctx, who, &tok, &done);
                if (r < 0 || tok.error) {
                        buf_free(&tok);
                        buf_free(&out);
                        return r < 0 ? r : -ENOMEM;
                }
                sec->ops = ops;
                sec->id = next_auth_context_id();
        }
        /* [MS-RPCE] 2.2.2.3: an authenticated bind offers header signing */
        if (!alter)
                b->hdr_offered = sec_start;
        r = put_bind(&out, b, alter, call_id, iface, id, sec_start ? sec : NULL, &tok);
        buf_free(&tok);
        if (r >= 0)
                r = send_all(b, out.data, out.len);
        buf_free(&out);
        if (r < 0)
                return r;
        trips[b->sb.protseq].binds++;
        if ((r = recv_pdu(b, &pdu)) < 0)
                return r;
        if (pdu.hdr.call_id != call_id) {
                log_debug(rpc, "answer to bind %u for call %u", call_id, pdu.hdr.call_id);
                return -EPROTO;
        }
        /* the body's integers in the sender's data representation ([C706] 14.1) */
        bool be = (pdu.hdr.drep[0] & 0xf0) == 0;
        if (pdu.hdr.ptype == RPC_PTYPE_BIND_NAK) {
                uint16_t reason = pdu.body_len >= 2 ? get_u16(pdu.body, be) : 0;
                log_debug(rpc, "bind_nak, reason %u", reason);
                return reason == RPC_BIND_NAK_TEMPORARY_CONGESTION ? -EBUSY : -ECONNREFUSED;
        }
        if (pdu.hdr.ptype == RPC_PTYPE_FAULT) {
                if (rpc_fault_parse(&pdu) >= 0)
                        b->fault = pdu.status;
                /* a bind that was opening a security context and failed: the connection
                   goes with the half-made context, never to be bound again without it */
                return sec_start ? -EACCES : -EREMOTEIO;
        }
        if (pdu.hdr.ptype != (alter ? RPC_PTYPE_ALTER_CONTEXT_RESP : RPC_PTYPE_BIND_ACK))
                return -EPROTO;
        /* bind_ack: max_xmit, max_recv, assoc_group, sec_addr, pad, results */
        const uint8_t *p = pdu.body, *end = pdu.body + pdu.body_len;
        if (end - p < 10)
                return -EPROTO;
        uint16_t mx = get_u16(p, be), mr = get_u16(p + 2, be);
        uint32_t ag = get_u32(p + 4, be);
        uint16_t sl = get_u16(p + 8, be);
        p += 10;
        if ((size_t)(end - p) < sl)
                return -EPROTO;
        p += sl;
        size_t off = (size_t)(p - pdu.raw);
        p += (4 - (off & 3)) & 3;
        if (end - p < 4 + 24 || p[0] < 1)
                return -EPROTO;
        uint16_t result = get_u16(p + 4, be);
        if (sec_start) {
                /* the server's answer to our token; the last leg goes in an AUTH3 */
                bool done = false;
                if (!alter)
                        b->hdr_sign = pdu.hdr.pfc_flags & RPC_PFC_SUPPORT_HEADER_SIGN;
                if (!pdu.has_auth || pdu.sec.auth_type != sec->type ||
                    pdu.sec.auth_context_id != sec->id) {
                        log_debug(rpc, "%s without the security provider's answer",
                                  alter ? "alter_context_resp" : "bind_ack");
                        return -EACCES;
                }
                buf_init(&tok, 64 * 1024);
                /* whether its verifiers cover the header: what the bind_ack answered */
                if (sec->ops->header_signing)
                        sec->ops->header_signing(sec->ctx, b->hdr_sign);
                r = sec->ops->init_step(sec->ctx, pdu.auth, pdu.auth_len, &tok, &done);
                /* more legs (the provider not done with a token to send): alter_contexts;
                   the last token, the provider done, goes in an AUTH3 */
                for (unsigned legs = 0; r >= 0 && !done && tok.len; legs++)
                        r = legs < 4 ? sec_leg(b, iface, id, sec, &tok, &done) : -EPROTO;
                if (r >= 0 && tok.len)
                        r = send_auth3(b, sec, call_id, &tok);
                buf_free(&tok);
                if (r < 0) {
                        const char *why = sec->ops->failure ? sec->ops->failure(sec->ctx) : NULL;
                        log_debug(rpc, "%s: %s", sec->ops->name, why ? why : strerror(-r));
                        return r == -ENOMEM ? r : -EACCES;
                }
        }
        if (!alter) {
                /* what we send is bounded by what the server receives: its max_recv_frag
                   ([C706] 12.6.3.1, at least MustRecvFragSize) */
                if (mr < 1432)
                        return -EPROTO;
                b->max_xmit = mr < CLIENT_MAX_FRAG ? mr : CLIENT_MAX_FRAG;
                b->max_recv = mx;
                b->assoc_group = ag;
                b->bound = true;
        }
        if (!reuse)
                b->next_ctx_id++;
        if (result != RPC_RESULT_ACCEPTANCE) {
                log_debug(rpc, "presentation context rejected: result %u reason %u", result,
                          get_u16(p + 6, be));
                return -ENXIO;  /* RPC_S_UNKNOWN_IF */
        }
        if (!reuse) {
                b->ctx[b->n_ctx].iface = iface;
                b->ctx[b->n_ctx].id = id;
                b->n_ctx++;
        }
        *ret = id;
        return 0;
}

/* --- calls -------------------------------------------------------------------------------- */

/*
 * Fragments go out in batches of about 256 KiB: one send() per fragment of a 1 MiB
 * request was 180 system calls (and as many wake-ups of the server), most of its time.
 */
#define SEND_BATCH (256u << 10)

static int send_one(void *ctx, const uint8_t *p, size_t n) {
        return send_all(ctx, p, n);
}

/* What a call asks for besides the binding: its object UUID, its own security. */
struct call_opts {
        const GUID *object;             /* NULL: none */
        uint8_t auth_level, auth_type;  /* auth_level 0: the binding's security */
        const struct rpc_auth_identity *auth;
};

static bool same_str(const char *a, const char *b) {
        return strcmp(a ? a : "", b ? b : "") == 0;
}

/*
 * The security context of a call with its own security: one of the connection's, or a
 * new one opened by an alter_context for iface's presentation context ([MS-RPCE]
 * 3.3.1.5.2: a connection holds several, each under its own auth_context_id).
 */
static int call_sec(struct rpc_binding *b, const struct call_opts *o,
                    const struct ndr_interface *iface, uint16_t ctx_id,
                    struct rpc_sec_ref **ret) {
        const char *user = o->auth ? o->auth->user : NULL, *dom = o->auth ? o->auth->domain : NULL;
        const char *pw = o->auth ? o->auth->password : NULL;
        struct client_sec *e;
        int r;

        /* the same identity -- password included: another password is another logon */
        uint8_t imp = o->auth ? o->auth->imp_level : 0;
        if (b->auth_level && b->sec.ctx && b->sec.type == o->auth_type &&
            b->sec.level == o->auth_level && b->auth_imp == imp && same_str(b->auth_user, user) &&
            same_str(b->auth_domain, dom) && same_str(b->auth_password, pw)) {
                *ret = &b->sec;
                return 0;
        }
        for (unsigned i = 0; i < b->n_extra; i++) {
                e = &b->extra[i];
                if (e->ref.type == o->auth_type && e->ref.level == o->auth_level &&
                    e->imp == imp && same_str(e->user, user) && same_str(e->domain, dom) &&
                    same_str(e->password, pw)) {
                        *ret = &e->ref;
                        return 0;
                }
        }
        if (b->n_extra >= CLIENT_MAX_SEC)
                return -ENOSPC;
        e = &b->extra[b->n_extra];
        memset(e, 0, sizeof *e);
        e->user = dcom_strdup(user ? user : "");
        e->domain = dcom_strdup(dom ? dom : "");
        e->password = dcom_strdup(pw ? pw : "");
        if (!e->user || !e->domain || !e->password) {
                dcom_free(e->user);
                dcom_free(e->domain);
                free_secret(e->password);
                return -ENOMEM;
        }
        e->ref.type = o->auth_type;
        e->ref.level = o->auth_level;
        e->imp = imp;
        b->n_extra++;
        r = bind_context(b, iface, &ctx_id, true, &e->ref, o->auth);
        if (r < 0)
                return r;       /* the connection goes, and the half-made context with it */
        *ret = &e->ref;
        return 0;
}

static int do_call(struct rpc_binding *b, const struct call_opts *o,
                   const struct ndr_interface *iface, uint16_t opnum, struct ndr_push *in,
                   struct ndr_pull *out, struct arena *arena) {
        const GUID *object = o->object;
        struct rpc_sec_ref *sec = &b->sec;
        uint16_t ctx_id;
        int r;

        if ((r = ensure_connected(b, iface)) < 0)
                return r;
        if (context_for(b, iface, &ctx_id) < 0) {
                /* the first bind opens the binding's own security context */
                struct rpc_auth_identity who = {
                        .user = b->auth_user, .domain = b->auth_domain,
                        .password = b->auth_password, .target = b->auth_target,
                        .imp_level = b->auth_imp,
                };
                bool open = !b->bound && b->auth_level;
                bool first = !b->bound, shared = false;
                char key[400];
                if (first && !b->unique) {
                        group_key(b, key, sizeof key);
                        if (!b->assoc_group && (b->assoc_group = group_find(key)))
                                shared = true;
                }
                if (open) {
                        b->sec.type = b->auth_type;
                        b->sec.level = b->auth_level;
                }
                r = bind_context(b, iface, &ctx_id, false, open ? &b->sec : NULL, &who);
                if (r == -ECONNREFUSED && shared) {
                        /* the server forgot the group: a new one, on the same connection */
                        log_debug(rpc, "association group 0x%x gone: a new one", b->assoc_group);
                        group_set(key, 0);
                        b->assoc_group = 0;
                        if (open)
                                sec_end(b);
                        r = bind_context(b, iface, &ctx_id, false, open ? &b->sec : NULL, &who);
                }
                if (r < 0)
                        return r;
                if (first && !b->unique) {
                        group_set(key, b->assoc_group);
                        b->in_group = b->assoc_group != 0;
                }
        }
        if (o->auth_level && (r = call_sec(b, o, iface, ctx_id, &sec)) < 0)
                return r;

        /* the request, in fragments ([C706] 12.6.4.9) */
        uint32_t call_id = b->next_call_id++;
        bool protect = rpc_sec_protects(sec);
        if (protect) {
                /* [MS-RPCE] 2.2.2.13: the verification trailer ends the stub */
                struct rpc_vt_call vt = {
                        .abstract = { iface->uuid, iface->ver_major, iface->ver_minor },
                        .transfer = rpc_syntax_ndr20,
                        .call_id = call_id, .context_id = ctx_id, .opnum = opnum,
                        .header_signing = b->hdr_offered,
                };
                memcpy(vt.drep, ndr_drep_le, 4);
                rpc_sec_vt_append(&in->buf, in->base, &vt);
                if (in->buf.error)
                        return -ENOMEM;
        }
        struct buf pdu = b->sendbuf;    /* kept across calls */
        size_t stub_len = in->buf.len - in->base;
        /* fragments gather in pdu and go out SEND_BATCH at a time, from where they were
           made (a single fragment at once) */
        struct rpc_frag_spec f = {
                .ptype = RPC_PTYPE_REQUEST, .call_id = call_id, .context_id = ctx_id,
                .opnum = opnum, .object = object, .max_xmit = b->max_xmit, .sec = sec,
                .emit = send_one, .emit_ctx = b, .flush_at = SEND_BATCH,
        };
        buf_clear(&pdu);
        r = rpc_frag_write(&pdu, &f, in->buf.data + in->base, stub_len);
        if (pdu.cap > 65536 || pdu.error) {
                buf_free(&pdu);
                buf_init(&pdu, 0);
        }
        b->sendbuf = pdu;
        if (r < 0)
                return r;
        trips[b->sb.protseq].requests++;

        /* the response, reassembled in the call's arena */
        struct buf resp;
        buf_init(&resp, NDR_CLIENT_CALL_MAX);
        uint8_t drep[4];
        for (bool first = true;; first = false) {
                struct rpc_pdu p;
                if ((r = recv_pdu(b, &p)) < 0)
                        break;
                if (p.hdr.ptype == RPC_PTYPE_SHUTDOWN) {
                        r = -ECONNRESET;        /* [C706] 12.6.4.11: the server is closing */
                        break;
                }
                if (p.hdr.call_id != call_id) {
                        r = -EPROTO;
                        break;
                }
                if (p.hdr.ptype == RPC_PTYPE_FAULT) {
                        r = rpc_fault_parse(&p) < 0 ? -EPROTO : -EREMOTEIO;
                        if (r == -EREMOTEIO)
                                b->fault = p.status;
                        b->fault_protected = protect;
                        break;
                }
                if (p.hdr.ptype != RPC_PTYPE_RESPONSE || rpc_response_parse(&p) < 0 ||
                    (first && !(p.hdr.pfc_flags & RPC_PFC_FIRST_FRAG))) {
                        r = -EPROTO;
                        break;
                }
                if (protect && rpc_sec_open_fragment(&p, (uint8_t *)p.raw, sec) < 0) {
                        /* the receive buffer is ours: opened in place */
                        log_debug(rpc, "response %u failed verification", call_id);
                        r = -EACCES;
                        break;
                }
                if (first)
                        memcpy(drep, p.hdr.drep, 4);
                if (first && (p.hdr.pfc_flags & RPC_PFC_LAST_FRAG)) {
                        /* one fragment (the common case): straight into the arena */
                        uint8_t *copy = arena_alloc(arena, p.stub_len ? p.stub_len : 1);
                        if (!copy) {
                                r = -ENOMEM;
                                break;
                        }
                        memcpy(copy, p.stub_len ? p.stub : (const uint8_t *)"", p.stub_len);
                        buf_free(&resp);
                        return ndr_pull_init(out, copy, p.stub_len, drep, arena);
                }
                buf_append(&resp, p.stub, p.stub_len);
                if (resp.error) {
                        r = -E2BIG;
                        break;
                }
                if (p.hdr.pfc_flags & RPC_PFC_LAST_FRAG)
                        break;
        }
        if (r >= 0) {
                uint8_t *stub_copy = arena_alloc(arena, resp.len ? resp.len : 1);
                if (!stub_copy)
                        r = -ENOMEM;
                else {
                        memcpy(stub_copy, resp.data ? resp.data : (const uint8_t *)"", resp.len);
                        r = ndr_pull_init(out, stub_copy, resp.len, drep, arena);
                }
        }
        buf_free(&resp);
        return r;
}

/* One call on b, with object as PFC_OBJECT_UUID (NULL: none); b->lock is taken. */
static int binding_call(struct rpc_binding *b, const struct call_opts *o,
                        const struct ndr_interface *iface, uint16_t opnum, struct ndr_push *in,
                        struct ndr_pull *out, struct arena *arena, uint32_t *ret_fault) {
        int r;

        pthread_mutex_lock(&b->lock);
        /* one clock read per call: the deadline and the quiet-connection check share it */
        b->call_start_ms = dcom_monotonic_ms();
        b->deadline_ms = b->timeout_ms ? b->call_start_ms + b->timeout_ms : 0;
        if (b->fd >= 0 && b->rcvtimeo_ms != b->timeout_ms) {
                set_timeouts(b->fd, b->timeout_ms);     /* a previous call lowered it */
                b->rcvtimeo_ms = b->timeout_ms;
        }
        r = do_call(b, o, iface, opnum, in, out, arena);
        b->last_use_ms = b->call_start_ms;      /* a long call only makes the check likelier */
        /* a fault leaves the connection usable; anything else ends it -- and so does a
           fault to a signed or sealed call: faults carry no verifier we check, so one
           forged in the middle must not leave the sequence numbers out of step */
        if (r < 0 && ((r != -EREMOTEIO && r != -ENXIO) || b->fault_protected))
                disconnect(b);
        b->fault_protected = false;
        b->last_error = r;
        if (ret_fault)
                *ret_fault = r == -EREMOTEIO ? b->fault : 0;
        pthread_mutex_unlock(&b->lock);
        return r;
}

static int client_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                       struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        struct rpc_binding *b = nb->ctx;

        struct call_opts o = { .object = b->sb.has_object ? &b->sb.object : NULL };

        return binding_call(b, &o, iface, opnum, in, out, arena, NULL);
}

/* --- per-call handles ---------------------------------------------------------------------- */

static int handle_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                       struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        struct rpc_call_handle *h = nb->ctx;
        struct call_opts o = {
                .object = h->has_object ? &h->object
                          : h->b->sb.has_object ? &h->b->sb.object : NULL,
                .auth_level = h->auth_level, .auth_type = h->auth_type, .auth = &h->auth,
        };

        h->fault = 0;
        h->last_error = binding_call(h->b, &o, iface, opnum, in, out, arena, &h->fault);
        return h->last_error;
}

int rpc_call_handle_set_auth(struct rpc_call_handle *h, uint8_t level, uint8_t authn_svc,
                             const struct rpc_auth_identity *id) {
        const struct rpc_auth_ops *ops;

        if (level == RPC_AUTHN_LEVEL_NONE || level == 0) {
                h->auth_level = 0;
                return 0;
        }
        /* below PKT_INTEGRITY a request carries no verifier naming its context */
        if (level < RPC_AUTHN_LEVEL_PKT_INTEGRITY || level > RPC_AUTHN_LEVEL_PKT_PRIVACY || !id)
                return -EINVAL;
        rpc_auth_register_defaults();
        ops = rpc_auth_find(authn_svc);
        if (!ops || !ops->init || !ops->init_step)
                return -EPROTONOSUPPORT;
        h->auth_level = level;
        h->auth_type = authn_svc;
        h->auth = *id;
        return 0;
}

void rpc_call_handle_init(struct rpc_call_handle *h, struct rpc_binding *b, const GUID *object) {
        memset(h, 0, sizeof *h);
        h->nb.call = handle_call;
        h->nb.ctx = h;
        h->b = b;
        if (object) {
                h->has_object = true;
                h->object = *object;
        }
}

/* --- the endpoint mapper, from the client's side -------------------------------------------------- */

const char *rpc_epm_port(void) {
        const char *p = getenv("OPENDCOM_EPM_PORT");
        char *end;

        if (p && *p) {
                unsigned long v = strtoul(p, &end, 10);
                if (!*end && v > 0 && v <= 65535)
                        return p;
                log_debug(rpc, "OPENDCOM_EPM_PORT=%s is not a port: using 135", p);
        }
        return "135";
}

static int resolve_endpoint(struct rpc_binding *b, const struct ndr_interface *iface,
                            char *ret, size_t size) {
        struct rpc_string_binding sb = b->sb;
        struct rpc_binding *epm;
        char *s;
        int r;

        /* the mapper itself: port 135 (OPENDCOM_EPM_PORT: a private rpcss's), or
           ncalrpc:[epmapper] */
        snprintf(sb.endpoint, sizeof sb.endpoint, "%s",
                 sb.protseq == RPC_PROTSEQ_LRPC ? "epmapper" : rpc_epm_port());
        sb.has_object = false;
        sb.n_options = 0;
        s = rpc_string_binding_compose(&sb);
        if (!s)
                return -ENOMEM;
        r = rpc_binding_from_string(s, &epm);
        free(s);
        if (r < 0)
                return r;
        rpc_binding_set_timeout(epm, b->timeout_ms);
        r = rpc_epm_map(epm, iface, b->sb.has_object ? &b->sb.object : NULL, b->sb.protseq, ret,
                        size);
        char id[DCOM_GUID_STRING_REG];
        dcom_guid_format(&iface->uuid, DCOM_GUID_FORMAT_BARE, id);
        if (r >= 0)
                log_debug(rpc, "ept_map: %s v%u.%u at %s[%s]", id, iface->ver_major,
                          iface->ver_minor, rpc_protseq_name(b->sb.protseq), ret);
        else
                log_debug(rpc, "ept_map: %s v%u.%u on %s: %s", id, iface->ver_major, iface->ver_minor,
                          sb.endpoint, r == -ENODATA ? "not registered" : strerror(-r));
        rpc_binding_free(epm);
        return r;
}

/* --- for the public API (api.c) ------------------------------------------------------------ */

bool rpc_binding_is(const void *h) {
        return h && ((const struct ndr_binding *)h)->call == client_call;
}

int rpc_binding_resolve(struct rpc_binding *b, const struct ndr_interface *iface) {
        char ep[64];
        int r;

        if (b->sb.endpoint[0])
                return 0;
        r = resolve_endpoint(b, iface, ep, sizeof ep);
        if (r < 0)
                return r;
        pthread_mutex_lock(&b->lock);
        snprintf(b->sb.endpoint, sizeof b->sb.endpoint, "%s", ep);
        pthread_mutex_unlock(&b->lock);
        return 0;
}

void rpc_binding_set_object(struct rpc_binding *b, const GUID *object) {
        pthread_mutex_lock(&b->lock);
        b->sb.has_object = object && !dcom_guid_is_null(object);
        b->sb.object = b->sb.has_object ? *object : (GUID){ 0 };
        pthread_mutex_unlock(&b->lock);
}

void rpc_binding_reset_endpoint(struct rpc_binding *b) {
        pthread_mutex_lock(&b->lock);
        disconnect(b);
        b->sb.endpoint[0] = 0;
        pthread_mutex_unlock(&b->lock);
}

int rpc_binding_copy(struct rpc_binding *b, struct rpc_binding **ret) {
        struct rpc_binding *c;
        char *s;
        int r;

        s = rpc_string_binding_compose(&b->sb);
        if (!s)
                return -ENOMEM;
        r = rpc_binding_from_string(s, &c);
        free(s);
        if (r < 0)
                return r;
        pthread_mutex_lock(&b->lock);
        c->timeout_ms = b->timeout_ms;
        c->unique = b->unique;
        uint8_t level = b->auth_level, type = b->auth_type;
        struct rpc_auth_identity id = { b->auth_user, b->auth_domain, b->auth_password,
                                        b->auth_target, b->auth_imp };
        r = level ? rpc_binding_set_auth(c, level, type, &id) : 0;
        pthread_mutex_unlock(&b->lock);
        if (r < 0) {
                rpc_binding_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void rpc_binding_auth_info(struct rpc_binding *b, uint8_t *ret_level, uint8_t *ret_type) {
        pthread_mutex_lock(&b->lock);
        *ret_level = b->auth_level;
        *ret_type = b->auth_type;
        pthread_mutex_unlock(&b->lock);
}
