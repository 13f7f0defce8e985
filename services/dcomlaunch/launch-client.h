/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss's side of dcomlaunch (launch-proto.h has the wire): ask the launcher to start
 * the local server of a class, then learn whether that server died before registering.
 *
 *      int fd;
 *      pid_t pid;
 *      HRESULT hr;
 *      int r = launch_request(&clsid, caller_uid, 0, 5000, &fd, &pid, &hr);
 *      if (r < 0)                      // dcomlaunch not reachable: RPC_S_SERVER_UNAVAILABLE
 *              ...
 *      else if (FAILED(hr))            // its answer (REGDB_E_CLASSNOTREG, CO_E_APPNOTFOUND,
 *              ...                     // CO_E_RUNAS_LOGON_FAILURE, ...); fd is already -1
 *      else {
 *              // poll fd for POLLIN while waiting for the class to register:
 *              int status;
 *              HRESULT why;
 *              if (launch_read_exited(fd, &why, &status) == 1)
 *                      ... the server died (why = CO_E_SERVER_EXEC_FAILURE) ...
 *              close(fd);              // when registered, or given up
 *      }
 *
 * Both functions are safe to call from any thread; neither keeps state.
 */
#ifndef OPENDCOM_LAUNCH_CLIENT_H
#define OPENDCOM_LAUNCH_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dcom/types.h>

#include "launch-proto.h"

/*
 * Asks dcomlaunch to start the server of clsid for launching_uid (flags: LAUNCH_FLAG_*),
 * waiting at most timeout_ms (> 0) in all for the connection and the STARTED answer.
 *
 * Returns 0 when dcomlaunch answered: *hr is its verdict and *pid the server's process
 * (0 on failure).  On S_OK *conn_fd is the connection (non-blocking, close-on-exec),
 * on which dcomlaunch sends an EXITED notice if that server exits while it stays
 * open: the caller polls it and closes it when it no longer cares.  On a failure
 * *conn_fd is -1 (already closed).
 *
 * Returns a negative errno, the outputs untouched, when there is no answer:
 *   -ENOENT         no socket: dcomlaunch is not running (or runs under another
 *                   OPENDCOM_ROOT)
 *   -ECONNREFUSED   a socket nobody listens on: dcomlaunch is not running
 *   -ETIMEDOUT      no answer within timeout_ms (including a backlog that stayed full)
 *   -ECONNRESET     dcomlaunch closed the connection without answering: it refuses
 *                   this process's user (see dcomlaunch --client-user), or is stopping
 *   -EBADMSG        an answer that is not a STARTED record
 *   -EINVAL         a NULL argument or timeout_ms <= 0
 *   others          the socket's errno (EMFILE, ...)
 * rpcss answers the first three with RPC_S_SERVER_UNAVAILABLE.
 */
int launch_request(const GUID *clsid, uid_t launching_uid, uint32_t flags, int timeout_ms,
                   int *conn_fd, pid_t *pid, HRESULT *hr);

/*
 * Asks dcomlaunch about the LocalService of an AppID (HKCR\AppID\{appid}\LocalService,
 * which dcomlaunch reads itself): what is LAUNCH_FLAG_SERVICE_START (start the unit,
 * without waiting for it) or LAUNCH_FLAG_SERVICE_PID (only ask its MainPID).  Returns 0
 * when dcomlaunch answered: *hr is its verdict (S_OK; CO_E_APPNOTFOUND: the AppID has no
 * LocalService, or not a unit name; CO_E_SERVER_EXEC_FAILURE: the service manager
 * failed) and *main_pid the unit's main process (0: none, or not yet); or a negative
 * errno as launch_request() (-EINVAL also for another what).  The connection is closed.
 */
int launch_service(const GUID *appid, uint32_t what, int timeout_ms, pid_t *main_pid,
                   HRESULT *hr);

/*
 * Reads the EXITED notice from a connection launch_request() returned, without
 * blocking.  Returns 1 with *ret_hr (CO_E_SERVER_EXEC_FAILURE) and *ret_wait_status
 * (as waitpid() reports it: WIFEXITED/WEXITSTATUS/WTERMSIG apply; 127 means the
 * server could not be executed) filled; 0 when nothing has arrived yet; -ECONNRESET
 * when dcomlaunch closed the connection without one (it stopped: the server's fate is
 * unknown); -EBADMSG for anything else.  After 1 or a negative value only close() is
 * left to do.
 */
int launch_read_exited(int conn_fd, HRESULT *ret_hr, int *ret_wait_status);

/* The socket's path into buf: /run/opendcom/dcomlaunch whoever asks, or
   $OPENDCOM_ROOT/run/dcomlaunch in a private instance.  0 or a negative errno. */
int launch_socket_path(char *buf, size_t size);

#endif /* OPENDCOM_LAUNCH_CLIENT_H */
