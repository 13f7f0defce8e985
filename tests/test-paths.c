/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State directories: OPENDCOM_ROOT relocates everything; otherwise system or XDG. */
#include <unistd.h>

#include "base/alloc.h"
#include "base/paths.h"
#include "test.h"

static void expect(int (*fn)(char **), const char *want) {
        char *p = NULL;

        ASSERT_OK(fn(&p));
        ASSERT_STR_EQ(p, want);
        dcom_free(p);
}

TEST(opendcom_root) {
        char buf[64];

        setenv("OPENDCOM_ROOT", "/tmp/x", 1);
        expect(paths_machine_state, "/tmp/x");
        snprintf(buf, sizeof buf, "/tmp/x/users/%u", (unsigned)geteuid());
        expect(paths_user_state, buf);
        expect(paths_runtime, "/tmp/x/run");

        char *p;
        setenv("OPENDCOM_ROOT", "relative/dir", 1);
        ASSERT_ERRNO(paths_machine_state(&p), -EINVAL);
}

TEST(defaults) {
        unsetenv("OPENDCOM_ROOT");
        expect(paths_machine_state, "/var/lib/opendcom");
        setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
        if (geteuid() == 0) {
                expect(paths_user_state, "/var/lib/opendcom/users/0");
        } else {
                setenv("XDG_STATE_HOME", "/home/u/.state", 1);
                expect(paths_user_state, "/home/u/.state/opendcom");
        }
        /* the machine's for every user: a server and rpcss find each other's sockets */
        expect(paths_runtime, "/run/opendcom");
}

TEST(mkdir_p) {
        char path[256];

        unsetenv("OPENDCOM_ROOT");
        snprintf(path, sizeof path, "%s/a/b/c", test_state_dir());
        ASSERT_OK(paths_mkdir_p(path, 0755));
        ASSERT_OK(paths_mkdir_p(path, 0755));           /* idempotent */
        ASSERT_EQ(access(path, W_OK), 0);
        ASSERT_ERRNO(paths_mkdir_p("/proc/version/x", 0755), -ENOTDIR);
}
