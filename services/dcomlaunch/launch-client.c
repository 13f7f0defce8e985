/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client of dcomlaunch that rpcss links (launch-client.h).  Everything is
 * non-blocking against one deadline: a launcher that hangs or a full backlog costs the
 * caller timeout_ms at most, and a launcher that is not running costs one failed
 * connect().
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/base-internal.h"
#include "base/paths.h"
#include "launch-client.h"

/*
 * The machine has one launcher, root's: its socket is in the machine's runtime directory
 * (/run/opendcom) whoever asks -- rpcss runs as a user of its own.  A private instance
 * (OPENDCOM_ROOT) has its own.
 */
int launch_socket_path(char *buf, size_t size) {
        char *dir = NULL;
        int r;

        r = paths_runtime(&dir);
        if (r < 0)
                return r;
        r = snprintf(buf, size, "%s/%s", dir, LAUNCH_SOCKET_NAME);
        dcom_free(dir);
        return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

static int ms_left(uint64_t deadline) {
        uint64_t now = dcom_monotonic_ms();
        return now >= deadline ? 0 : (int)(deadline - now);
}

/* connect() on a non-blocking Unix socket fails with EAGAIN while the listener's
   backlog is full: retry until the deadline. */
static int connect_until(int fd, const struct sockaddr_un *sa, uint64_t deadline) {
        for (;;) {
                if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return -errno;
                int left = ms_left(deadline);
                if (left == 0)
                        return -ETIMEDOUT;
                struct timespec ts = { 0, (left < 10 ? left : 10) * 1000000L };
                nanosleep(&ts, NULL);
        }
}

/* Exactly n bytes before the deadline: 0, -ETIMEDOUT, -ECONNRESET (end of file). */
static int read_until(int fd, uint8_t *p, size_t n, uint64_t deadline) {
        size_t have = 0;

        while (have < n) {
                ssize_t k = recv(fd, p + have, n - have, 0);
                if (k > 0) {
                        have += (size_t)k;
                        continue;
                }
                if (k == 0)
                        return -ECONNRESET;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return -errno;
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int left = ms_left(deadline);
                if (left == 0)
                        return -ETIMEDOUT;
                if (poll(&pfd, 1, left) < 0 && errno != EINTR)
                        return -errno;
        }
        return 0;
}

/* Sends req and reads the STARTED answer before the deadline: 0 with the connection in
   *ret_fd and the answer in *rep, or a negative errno (the connection closed). */
static int exchange(const struct launch_msg_request *req, int timeout_ms, int *ret_fd,
                    struct launch_msg_reply *rep) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint8_t out[LAUNCH_REQUEST_SIZE], in[LAUNCH_REPLY_SIZE];
        uint64_t deadline = dcom_monotonic_ms() + (uint64_t)timeout_ms;
        int fd, r;

        r = launch_socket_path(sa.sun_path, sizeof sa.sun_path);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        r = connect_until(fd, &sa, deadline);
        if (r < 0)
                goto out_close;

        /* 28 bytes into an empty socket buffer: never short, never EAGAIN */
        launch_request_encode(req, out);
        if (send(fd, out, sizeof out, MSG_NOSIGNAL) != (ssize_t)sizeof out) {
                r = errno == EPIPE ? -ECONNRESET : -errno;
                goto out_close;
        }
        r = read_until(fd, in, sizeof in, deadline);
        if (r < 0)
                goto out_close;
        if (launch_reply_decode(in, sizeof in, rep) < 0 || rep->kind != LAUNCH_REPLY_STARTED) {
                r = -EBADMSG;
                goto out_close;
        }
        *ret_fd = fd;
        return 0;

out_close:
        close(fd);
        return r;
}

int launch_request(const GUID *clsid, uid_t launching_uid, uint32_t flags, int timeout_ms,
                   int *conn_fd, pid_t *pid, HRESULT *hr) {
        const struct launch_msg_request req = {
                .version = LAUNCH_PROTO_VERSION,
                .flags = flags,
                .clsid = clsid ? *clsid : GUID_NULL,
                .launching_uid = (uint32_t)launching_uid,
        };
        struct launch_msg_reply rep;
        int fd, r;

        if (!clsid || !conn_fd || !pid || !hr || timeout_ms <= 0 || (flags & LAUNCH_FLAGS_SERVICE))
                return -EINVAL;
        r = exchange(&req, timeout_ms, &fd, &rep);
        if (r < 0)
                return r;
        if (SUCCEEDED(rep.hresult) && rep.value == 0) {
                close(fd);
                return -EBADMSG;
        }
        *hr = rep.hresult;
        if (FAILED(rep.hresult)) {
                close(fd);
                *pid = 0;
                *conn_fd = -1;
                return 0;
        }
        *pid = (pid_t)rep.value;
        *conn_fd = fd;
        return 0;
}

int launch_service(const GUID *appid, uint32_t what, int timeout_ms, pid_t *main_pid,
                   HRESULT *hr) {
        const struct launch_msg_request req = {
                .version = LAUNCH_PROTO_VERSION,
                .flags = what,
                .clsid = appid ? *appid : GUID_NULL,
        };
        struct launch_msg_reply rep;
        int fd, r;

        if (!appid || !main_pid || !hr || timeout_ms <= 0 ||
            (what != LAUNCH_FLAG_SERVICE_START && what != LAUNCH_FLAG_SERVICE_PID))
                return -EINVAL;
        r = exchange(&req, timeout_ms, &fd, &rep);
        if (r < 0)
                return r;
        close(fd);
        if (rep.value > INT32_MAX || (FAILED(rep.hresult) && rep.value != 0))
                return -EBADMSG;
        *hr = rep.hresult;
        *main_pid = (pid_t)rep.value;
        return 0;
}

int launch_read_exited(int conn_fd, HRESULT *ret_hr, int *ret_wait_status) {
        uint8_t in[LAUNCH_REPLY_SIZE];
        struct launch_msg_reply rep;
        ssize_t k;

        /* peek first: a record is taken only whole (it arrives in one send) */
        do
                k = recv(conn_fd, in, sizeof in, MSG_PEEK | MSG_DONTWAIT);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return errno == EAGAIN ? 0 : -ECONNRESET;
        if (k == 0)
                return -ECONNRESET;
        if (k < (ssize_t)sizeof in)
                return -EBADMSG;        /* a Unix stream socket delivers one send() whole */
        if (recv(conn_fd, in, sizeof in, MSG_DONTWAIT) != (ssize_t)sizeof in)
                return -EBADMSG;
        if (launch_reply_decode(in, sizeof in, &rep) < 0 || rep.kind != LAUNCH_REPLY_EXITED)
                return -EBADMSG;
        if (ret_hr)
                *ret_hr = rep.hresult;
        if (ret_wait_status)
                *ret_wait_status = (int)rep.value;
        return 1;
}
