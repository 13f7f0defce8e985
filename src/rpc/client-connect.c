/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC client's transport: connecting to an endpoint (TCP within the binding's
 * timeout, ncalrpc only to a trusted server), sending and receiving PDUs, resolving a
 * dynamic endpoint through the endpoint mapper, and the association groups binding
 * handles share.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
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

#include "base/sysio.h"
#include "client-internal.h"

static LOG_CHANNEL(rpc);

/* --- transport --------------------------------------------------------------------------- */

int client_send_all(struct rpc_binding *b, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t w = dcom_send(b->fd, p, n, MSG_NOSIGNAL);
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

/* Writes all of iov (n elements, which it moves through: the caller's copy). */
int client_sendv_all(struct rpc_binding *b, struct iovec *iov, int n) {
        while (n > 0) {
                struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
                ssize_t w = dcom_sendmsg(b->fd, &m, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                }
                while (n > 0 && (size_t)w >= iov->iov_len) {
                        w -= (ssize_t)iov->iov_len;
                        iov++;
                        n--;
                }
                if (n > 0) {
                        iov->iov_base = (uint8_t *)iov->iov_base + w;
                        iov->iov_len -= (size_t)w;
                }
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
        if (!b->rcvtimeo_ms || left + DEADLINE_SLACK_MS < b->rcvtimeo_ms) {
                struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };
                if (left == 0)
                        tv.tv_usec = 1000;
                setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                b->rcvtimeo_ms = left ? (unsigned)left : 1;     /* 0 would read "infinite" */
        }
        return 0;
}

/* client_recv_pdu's general case: the reader frames what comes. */
__attribute__((noinline)) static int recv_framed(struct rpc_binding *b, struct rpc_pdu *pdu) {
        struct rpc_reader *rd = &b->rd;
        const uint8_t *p;
        size_t len;
        int r;

        while ((r = rpc_reader_next(rd, &p, &len)) == 0) {
                uint8_t *room;
                size_t n;
                if ((r = arm_deadline(b)) < 0 || (r = rpc_reader_room(rd, &room, &n)) < 0)
                        return r;
                ssize_t got = dcom_recv(b->fd, room, n, 0);
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                }
                if (got == 0)
                        return -ECONNRESET;     /* the peer closed mid-call */
                rpc_reader_filled(rd, (size_t)got);
        }
        if (r < 0 || rpc_pdu_parse(p, len, pdu) < 0)
                return -EPROTO;
        return 0;
}

/*
 * One PDU (at most 64 KiB), validated; it stays valid until the next client_recv_pdu().  The
 * framing is the server's too (reader.c); the waits are the call's deadline.
 */
int client_recv_pdu(struct rpc_binding *b, struct rpc_pdu *pdu) {
        struct rpc_reader *rd = &b->rd;
        int r;

        /*
         * Nothing pending (a response to the one request in flight, the common case): one
         * recv into the whole buffer, and when it brought exactly one PDU, that is the
         * PDU -- no framing.  Anything else (part of one, more than one, EINTR) goes to
         * the reader as it came.
         */
        if (rd->off == rd->len && rd->buf) {
                rd->off = rd->len = 0;
                if ((r = arm_deadline(b)) < 0)
                        return r;
                ssize_t got = dcom_recv(b->fd, rd->buf, rd->cap, 0);
                if (got < 0 && errno != EINTR)
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                if (got == 0)
                        return -ECONNRESET;     /* the peer closed mid-call */
                if (got > 0) {
                        if (rpc_pdu_parse(rd->buf, (size_t)got, pdu) == 0) {
                                rd->off = rd->len = (size_t)got;
                                return 0;
                        }
                        rpc_reader_filled(rd, (size_t)got);
                }
        }
        return recv_framed(b, pdu);
}

void client_set_timeouts(int fd, unsigned ms) {
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
                /* the process that listens, as of its listen(): when it is ourselves,
                   the server sees the same of us (its SO_PEERCRED) -- our interface
                   pointers go to it in-process ([MS-DCOM] MSHCTX_INPROC), and its come
                   back so (client.c binding_iface_ctx) */
                struct ucred cred;
                socklen_t len = sizeof cred;
                pid_t peer = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
                                             len == sizeof cred ? cred.pid : 0;
                __atomic_store_n(&b->peer_pid, peer, __ATOMIC_RELEASE);
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
        client_set_timeouts(fd, b->timeout_ms);
        b->rcvtimeo_ms = b->timeout_ms;
        b->fd = fd;
        client_trips[b->sb.protseq].connects++;
        log_debug(rpc, "connected to %s:%s[%s]", rpc_protseq_name(b->sb.protseq),
                  b->sb.protseq == RPC_PROTSEQ_LRPC ? "" : b->sb.host[0] ? b->sb.host : "127.0.0.1",
                  endpoint);
        rpc_reader_free(&b->rd);        /* nothing of an old connection carries over */
        return 0;
}

/* [C706] ept_map: the endpoint of iface at the binding's host, asked of its mapper. */

int client_connect_checked(struct rpc_binding *b, const struct ndr_interface *iface) {
        char ep[64];
        int r;

        /*
         * A connection quiet for a while may have been closed by the server (its idle
         * timeout, a restart): peeking costs a system call, so only after a pause.
         * Finding it closed before sending anything, the call reconnects instead of
         * failing -- nothing of it has run.
         */
        if (b->fd >= 0 && b->call_start_ms - b->last_use_ms >= CLIENT_REUSE_CHECK_MS) {
                uint8_t c;
                ssize_t n = recv(b->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
                    n > 0) {
                        log_debug(rpc, "connection closed while idle (%s): reconnecting",
                                  n == 0 ? "end of stream" : n > 0 ? "unexpected data" : strerror(errno));
                        client_disconnect(b);
                }
        }
        if (b->fd >= 0)
                return 0;
        if (b->sb.endpoint[0])
                return connect_endpoint(b, b->sb.endpoint);
        r = client_resolve_endpoint(b, iface, ep, sizeof ep);
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

void client_group_key(const struct rpc_binding *b, char *key, size_t size) {
        snprintf(key, size, "%d|%s|%s|%u|%u|%.100s|%.100s", (int)b->sb.protseq, b->sb.host, b->ep,
                 b->auth_type, b->auth_level, b->auth_user ? b->auth_user : "",
                 b->auth_domain ? b->auth_domain : "");
}

uint32_t client_group_find(const char *key) {
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
void client_group_left(const char *key, uint32_t group) {
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
void client_group_set(const char *key, uint32_t group) {
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

int client_resolve_endpoint(struct rpc_binding *b, const struct ndr_interface *iface,
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
