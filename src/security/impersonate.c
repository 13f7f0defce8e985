/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread identity changes (impersonate.h).  glibc's setresuid() and friends change
 * every thread of the process (they broadcast the change: POSIX's per-process
 * credentials); the kernel's system calls change only the calling thread's, which is
 * what impersonation needs -- one call's thread becomes the caller while the others go
 * on serving as the server.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security/impersonate.h"

static int sys_setresuid(uid_t r, uid_t e, uid_t s) {
        return syscall(SYS_setresuid, r, e, s) < 0 ? -errno : 0;
}

static int sys_setresgid(gid_t r, gid_t e, gid_t s) {
        return syscall(SYS_setresgid, r, e, s) < 0 ? -errno : 0;
}

static int sys_setgroups(size_t n, const gid_t *g) {
        return syscall(SYS_setgroups, n, g) < 0 ? -errno : 0;
}

int sec_impersonate_uid(uid_t uid, struct sec_saved_creds *saved) {
        struct passwd pw, *res = NULL;
        char buf[2048];
        gid_t groups[64];
        int n = 64, r;

        memset(saved, 0, sizeof *saved);
        if (uid == geteuid())
                return 0;               /* already the caller: nothing to change */
        if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res)
                return -ENOENT;
        if (getgrouplist(res->pw_name, res->pw_gid, groups, &n) < 0)
                n = 64;                 /* truncated: the first 64 */
        saved->euid = geteuid();
        saved->egid = getegid();
        saved->n_groups = getgroups(64, saved->groups);
        if (saved->n_groups < 0)
                return -errno;
        /* groups and gid first, while the thread still has the privilege to set them */
        if ((r = sys_setgroups((size_t)n, groups)) < 0)
                return r;
        if ((r = sys_setresgid((gid_t)-1, res->pw_gid, (gid_t)-1)) < 0) {
                sys_setgroups((size_t)saved->n_groups, saved->groups);
                return r;
        }
        /* the effective uid only: the real and saved uids keep the way back */
        if ((r = sys_setresuid((uid_t)-1, uid, (uid_t)-1)) < 0) {
                sys_setresgid((gid_t)-1, saved->egid, (gid_t)-1);
                sys_setgroups((size_t)saved->n_groups, saved->groups);
                return r;
        }
        saved->changed = true;
        return 0;
}

int sec_revert(struct sec_saved_creds *saved) {
        int r;

        if (!saved->changed)
                return 0;
        if ((r = sys_setresuid((uid_t)-1, saved->euid, (uid_t)-1)) < 0 ||
            (r = sys_setresgid((gid_t)-1, saved->egid, (gid_t)-1)) < 0 ||
            (r = sys_setgroups((size_t)saved->n_groups, saved->groups)) < 0)
                return r;
        saved->changed = false;
        return 0;
}
