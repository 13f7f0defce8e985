/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Impersonation on Linux: the calling thread -- only it -- runs with another user's
 * identity (effective and filesystem uid, gid and supplementary groups), as a Windows
 * thread with an impersonation token.  Only a server with the privilege to change
 * identities (root, or CAP_SETUID and CAP_SETGID) can; impersonating its own user is
 * always possible (nothing changes).  Never silently runs as the server instead.
 */
struct sec_saved_creds {
        bool changed;
        uid_t euid;
        gid_t egid;
        int n_groups;
        gid_t groups[64];
};

/* 0, -EPERM without the privilege, -ENOENT for a uid with no passwd entry. */
int sec_impersonate_uid(uid_t uid, struct sec_saved_creds *saved);
/* Back to the thread's own identity; 0, or a negative errno (the thread is then unfit
   to run anything: the caller must not go on). */
int sec_revert(struct sec_saved_creds *saved);
