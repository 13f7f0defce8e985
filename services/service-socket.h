/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A privileged service's Unix socket in the machine's runtime directory (dcomlaunch's,
 * dcomlsa's): the directory made if missing (0755), a stale socket -- its service died
 * -- replaced, a live one left alone (-EADDRINUSE), the socket 0666 (anyone connects;
 * SO_PEERCRED decides who is served) and listening, non-blocking and close-on-exec.
 * The listening descriptor, or a negative errno.
 */
#ifndef OPENDCOM_SERVICES_SERVICE_SOCKET_H
#define OPENDCOM_SERVICES_SERVICE_SOCKET_H

int service_listen_unix(const char *path, int type, int backlog);

#endif
