/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/paths.h"
#include "service-socket.h"

int service_listen_unix(const char *path, int type, int backlog) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[sizeof sa.sun_path];
        int fd, r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                r = paths_mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
                bool live = errno == EADDRINUSE && probe >= 0 &&
                            connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
                if (probe >= 0)
                        close(probe);
                if (live) {
                        close(fd);
                        return -EADDRINUSE;
                }
                unlink(path);
                if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                        r = -errno;
                        close(fd);
                        return r;
                }
        }
        if (chmod(path, 0666) < 0 || listen(fd, backlog) < 0) {
                r = -errno;
                close(fd);
                unlink(path);
                return r;
        }
        return fd;
}
