/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A local server for test-dcomlaunch: what dcomlaunch gave it -- arguments, identity,
 * session, descriptors, directory, environment -- written to the file its first
 * argument names (whole, by rename), then it stays until killed, or exits at once with
 * the status after "exit".
 *
 *      launch-helper OUTFILE [exit N] [more arguments...]
 */
#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
        char tmp[4096], link[256], cwd[4096];
        FILE *f;
        DIR *d;

        if (argc < 2)
                return 2;
        snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
        f = fopen(tmp, "w");
        if (!f)
                return 3;
        fprintf(f, "argc %d\n", argc);
        for (int i = 0; i < argc; i++)
                fprintf(f, "argv[%d]=%s\n", i, argv[i]);
        fprintf(f, "pid %d\nuid %u\neuid %u\ngid %u\ngroups %d\n", (int)getpid(),
                (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(), getgroups(0, NULL));
        fprintf(f, "session-leader %d\n", getsid(0) == getpid());
        ssize_t n = readlink("/proc/self/fd/0", link, sizeof link - 1);
        link[n > 0 ? n : 0] = 0;
        fprintf(f, "stdin %s\n", link);
        d = opendir("/proc/self/fd");
        fputs("fds", f);
        for (struct dirent *e; d && (e = readdir(d));) {
                int fd = atoi(e->d_name);
                if (e->d_name[0] != '.' && fd != dirfd(d) && fd != fileno(f))
                        fprintf(f, " %d", fd);
        }
        fputc('\n', f);
        if (d)
                closedir(d);
        fprintf(f, "cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
        for (char **e = environ; *e; e++)
                fprintf(f, "env %s\n", *e);
        if (fclose(f) != 0 || rename(tmp, argv[1]) < 0)
                return 4;
        if (argc > 3 && strcmp(argv[2], "exit") == 0)
                return atoi(argv[3]);
        for (;;)
                pause();
}
