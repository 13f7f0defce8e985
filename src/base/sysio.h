/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The socket calls of the call paths, without glibc's cancellation-point wrappers: in a
 * threaded process every send() and recv() enables and disables asynchronous
 * cancellation around the system call -- two atomic operations each, four calls a round
 * trip.  The library never cancels its threads, and a COM or RPC call is no cancellation
 * point on Windows either (a thread is cancelled with CoCancelCall/RpcCancelThread, which
 * work without it).  Same arguments, results and errno as the libc functions.
 */
#ifndef DCOM_BASE_SYSIO_H
#define DCOM_BASE_SYSIO_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline ssize_t dcom_send(int fd, const void *p, size_t n, int flags) {
        return syscall(SYS_sendto, fd, p, n, flags, NULL, 0);
}

static inline ssize_t dcom_recv(int fd, void *p, size_t n, int flags) {
        return syscall(SYS_recvfrom, fd, p, n, flags, NULL, NULL);
}

static inline ssize_t dcom_sendmsg(int fd, const struct msghdr *m, int flags) {
        return syscall(SYS_sendmsg, fd, m, flags);
}

static inline ssize_t dcom_recvmsg(int fd, struct msghdr *m, int flags) {
        return syscall(SYS_recvmsg, fd, m, flags);
}

#endif /* DCOM_BASE_SYSIO_H */
