/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State directory resolution (see paths.h for the table). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/paths.h"

static int join(char **ret, const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        char *p = dcom_malloc(la + lb + 1);

        if (!p)
                return -ENOMEM;
        memcpy(p, a, la);
        memcpy(p + la, b, lb + 1);
        *ret = p;
        return 0;
}

/* $OPENDCOM_ROOT if set and absolute; -EINVAL if set but relative. 0 if unset. */
static int env_root(const char **ret) {
        const char *r = getenv("OPENDCOM_ROOT");

        if (!r || !*r)
                return 0;
        if (r[0] != '/')
                return -EINVAL;
        *ret = r;
        return 1;
}

int paths_machine_state(char **ret) {
        const char *root;
        int r = env_root(&root);

        if (r < 0)
                return r;
        return join(ret, r ? root : "/var/lib/opendcom", "");
}

int paths_user_state(char **ret) {
        char uid[32];
        const char *root, *x;
        int r = env_root(&root);

        if (r < 0)
                return r;
        snprintf(uid, sizeof uid, "/users/%u", (unsigned)geteuid());
        if (r)
                return join(ret, root, uid);
        if (geteuid() == 0)
                return join(ret, "/var/lib/opendcom", uid);
        x = getenv("XDG_STATE_HOME");
        if (x && x[0] == '/')
                return join(ret, x, "/opendcom");
        x = getenv("HOME");
        if (!x || x[0] != '/')
                return -ENOENT;
        return join(ret, x, "/.local/state/opendcom");
}

/* The machine's, whoever asks (see paths.h): never $XDG_RUNTIME_DIR, which is a user's. */
int paths_runtime(char **ret) {
        const char *root;
        int r = env_root(&root);

        if (r < 0)
                return r;
        return join(ret, r ? root : "/run/opendcom", r ? "/run" : "");
}

int paths_mkdir_p(const char *path, mode_t mode) {
        char *p = dcom_strdup(path);
        int r = 0;

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == 0) {
                        char c = *s;
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST) {
                                r = -errno;
                                break;
                        }
                        *s = c;
                        if (!c)
                                break;
                }
        }
        dcom_free(p);
        return r;
}
