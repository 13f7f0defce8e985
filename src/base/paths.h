/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where OpenDCOM keeps its state.  OPENDCOM_ROOT=DIR relocates the whole tree (tests,
 * private instances); otherwise root uses the system directories and other users
 * their XDG ones:
 *
 *                      OPENDCOM_ROOT set       root                    other users
 *   machine state      $ROOT                   /var/lib/opendcom       /var/lib/opendcom (read)
 *   user state         $ROOT/users/UID         /var/lib/opendcom/users/0
 *                                                                      $XDG_STATE_HOME/opendcom
 *   runtime (sockets)  $ROOT/run               /run/opendcom           $XDG_RUNTIME_DIR/opendcom
 *
 * The machine hive (HKLM) lives in the machine state directory and the caller's HKCU
 * in the user state directory, so file permissions alone keep HKLM root-only.
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
