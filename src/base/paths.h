/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where OpenDCOM keeps its state.  OPENDCOM_ROOT=DIR relocates the whole tree (tests,
 * private instances); otherwise root uses the system directories and other users
 * their XDG ones -- except for the runtime directory, which is the machine's:
 *
 *                      OPENDCOM_ROOT set       root                    other users
 *   machine state      $ROOT                   /var/lib/opendcom       /var/lib/opendcom (read)
 *   user state         $ROOT/users/UID         /var/lib/opendcom/users/0
 *                                                                      $XDG_STATE_HOME/opendcom
 *   runtime (sockets)  $ROOT/run               /run/opendcom           /run/opendcom
 *
 * The machine hive (HKLM) lives in the machine state directory and the caller's HKCU
 * in the user state directory, so file permissions alone keep HKLM root-only.
 *
 * The runtime directory is one for every user, as Windows' ALPC ports are machine-wide:
 * a server of one user and the rpcss of another must find each other's sockets.  It is
 * 0755 and belongs to the system services' account (rpcss's, or root; tmpfiles.d's
 * opendcom.conf makes it), so only they put sockets directly in it: the well-known
 * endpoints (ncalrpc:[epmapper]) and dcomlaunch's.  Every other process's ncalrpc
 * endpoint goes in its rpc/ subdirectory, mode 1777 like /tmp: anyone creates a
 * socket, nobody removes another's (src/rpc/server.c, rpc_lrpc_path).
 */
#ifndef DCOM_BASE_PATHS_H
#define DCOM_BASE_PATHS_H

#include <sys/types.h>

/* Each returns 0 and a malloc()ed path, or a negative errno. Nothing is created. */
int paths_machine_state(char **ret);
int paths_user_state(char **ret);
int paths_runtime(char **ret);

/* mkdir -p with mode for the directories it creates; 0 or negative errno. */
int paths_mkdir_p(const char *path, mode_t mode);

#endif /* DCOM_BASE_PATHS_H */
