/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A server process's side of dcomlsa (lsa-proto.h, lsa-client.h): the NTLM logon of a
 * caller, verified by the local security authority when this process may not read the
 * account store itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/base-internal.h"
#include "base/log.h"
#include "base/paths.h"
#include "rpc/auth/accounts.h"
#include "rpc/auth/lsa-client.h"
#include "rpc/auth/lsa-proto.h"

/* dcomlsa answers from memory; a second is plenty even on a loaded machine */
#define LSA_TIMEOUT_MS 5000

static LOG_CHANNEL(auth);

struct lsa_logon {
        int fd;
};

int lsa_socket_path(char *buf, size_t size) {
        char *dir = NULL;
        int r = paths_runtime(&dir);

        if (r < 0)
                return r;
        r = snprintf(buf, size, "%s/%s", dir, LSA_SOCKET_NAME);
        dcom_free(dir);
        return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

bool lsa_needed(void) {
        char *path = NULL;
        bool needed = false;

        if (accounts_path(&path) < 0)
                return false;
        /* a store that is there but not ours to read (EACCES on the file or its 0700
           directory) is the system's: dcomlsa reads it */
        if (access(path, R_OK) < 0 && errno == EACCES)
                needed = true;
        dcom_free(path);
        return needed;
}

/*
 * The authority must be the store's owner: root, or whoever owns the private directory
 * that holds it (a private instance).  Anyone else listening on the socket could name
 * any caller -- so the kernel's word on the peer (SO_PEERCRED) decides, not the file.
 */
static bool trusted_authority(int fd) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        char *path = NULL;
        struct stat st;
        bool ok = false;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof cred)
                return false;
        if (cred.uid == 0)
                return true;
        if (accounts_path(&path) == 0) {
                char *slash = strrchr(path, '/');
                if (slash)
                        *slash = 0;
                ok = stat(path, &st) == 0 && st.st_uid == cred.uid;
        }
        if (!ok)
                log_debug(auth, "dcomlsa is served by uid %u, neither root nor the owner of "
                          "the account store (%s): refused", (unsigned)cred.uid, path ? path : "?");
        dcom_free(path);
        return ok;
}

static int exchange(int fd, uint32_t kind, const uint8_t *msg, size_t len, uint8_t *reply,
                    size_t *ret_len) {
        uint8_t req[LSA_MAX_PACKET];
        ssize_t k;

        if (len > NTLM_MAX_MESSAGE)
                return -EBADMSG;
        lsa_put_u32(req, LSA_PROTO_VERSION);
        lsa_put_u32(req + 4, kind);
        memcpy(req + LSA_REQUEST_HEADER, msg, len);
        do
                k = send(fd, req, LSA_REQUEST_HEADER + len, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        do
                k = recv(fd, reply, LSA_MAX_PACKET, 0);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return errno == EAGAIN ? -ETIMEDOUT : -errno;
        if (k == 0)
                return -ECONNRESET;
        *ret_len = (size_t)k;
        return 0;
}

int lsa_logon_start(const uint8_t *negotiate, size_t len, struct buf *challenge,
                    struct lsa_logon **ret, char *reason, size_t reason_size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { LSA_TIMEOUT_MS / 1000, (LSA_TIMEOUT_MS % 1000) * 1000 };
        uint8_t reply[LSA_MAX_PACKET];
        const uint8_t *chal;
        size_t reply_len, chal_len;
        struct lsa_logon *l;
        int fd, r;

        snprintf(reason, reason_size, "dcomlsa: internal error");
        r = lsa_socket_path(sa.sun_path, sizeof sa.sun_path);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* before connect: a full backlog must not hold the caller (SO_SNDTIMEO bounds a
           blocking connect on a Unix socket) */
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                r = -errno;
                snprintf(reason, reason_size, "the account store is root's and dcomlsa, which "
                         "verifies logons for other users' processes, does not answer at %s "
                         "(%s): start dcomlsa.service", sa.sun_path, strerror(-r));
                close(fd);
                return -EACCES;
        }
        if (!trusted_authority(fd)) {
                snprintf(reason, reason_size, "%s is served by a process that does not own the "
                         "account store: refused", sa.sun_path);
                close(fd);
                return -EACCES;
        }
        r = exchange(fd, LSA_KIND_NEGOTIATE, negotiate, len, reply, &reply_len);
        if (r < 0) {
                snprintf(reason, reason_size, "dcomlsa: %s", strerror(-r));
                close(fd);
                return r == -EBADMSG ? r : -EACCES;
        }
        r = lsa_reply_decode(reply, reply_len, LSA_KIND_NEGOTIATE, &chal, &chal_len, NULL,
                             reason, reason_size);
        if (r < 0) {
                if (r == -EBADMSG && !reason[0])
                        snprintf(reason, reason_size, "dcomlsa: a malformed reply");
                close(fd);
                return r == -EBADMSG ? -EBADMSG : r == -ENOMEM ? r : -EACCES;
        }
        l = dcom_calloc(1, sizeof *l);
        if (l)
                buf_append(challenge, chal, chal_len);
        if (!l || challenge->error) {
                dcom_free(l);
                close(fd);
                return -ENOMEM;
        }
        l->fd = fd;
        reason[0] = 0;
        *ret = l;
        return 0;
}

int lsa_logon_finish(struct lsa_logon *l, const uint8_t *auth, size_t len, struct ntlm_ctx **ret,
                     char *reason, size_t reason_size) {
        uint8_t reply[LSA_MAX_PACKET];
        size_t reply_len;
        struct lsa_result res;
        int r;

        snprintf(reason, reason_size, "dcomlsa: internal error");
        if (l->fd < 0)
                return -EINVAL;
        r = exchange(l->fd, LSA_KIND_AUTHENTICATE, auth, len, reply, &reply_len);
        close(l->fd);
        l->fd = -1;
        if (r < 0) {
                snprintf(reason, reason_size, "dcomlsa: %s", strerror(-r));
                return r == -EBADMSG ? r : -EACCES;
        }
        r = lsa_reply_decode(reply, reply_len, LSA_KIND_AUTHENTICATE, NULL, NULL, &res, reason,
                             reason_size);
        if (r == 0) {
                r = ntlm_server_import(res.flags, res.session_key, res.mic, &res.id, auth, len, ret);
                explicit_bzero(&res, sizeof res);
                if (r == 0)
                        reason[0] = 0;
                else
                        snprintf(reason, reason_size, "dcomlsa: an unusable logon (%s)", strerror(-r));
                return r == -ENOMEM ? r : r < 0 ? -EACCES : 0;
        }
        if (r == -EBADMSG && !reason[0])
                snprintf(reason, reason_size, "dcomlsa: a malformed reply");
        else if (r == -EAGAIN && !reason[0])
                snprintf(reason, reason_size, "dcomlsa: busy");
        return r == -EBADMSG ? r : -EACCES;
}

void lsa_logon_free(struct lsa_logon *l) {
        if (!l)
                return;
        if (l->fd >= 0)
                close(l->fd);
        dcom_free(l);
}
