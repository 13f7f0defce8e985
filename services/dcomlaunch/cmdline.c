/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Windows' command-line splitting for LocalServer32 values (cmdline.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "cmdline.h"

static bool blank(char c) {
        return c == ' ' || c == '\t';
}

int cmdline_split(const char *line, size_t spare, char ***ret_argv, size_t *ret_argc) {
        size_t len = strlen(line), argc = 0;
        const char *p = line;
        char **argv, *out;

        if (len > CMDLINE_MAX_LEN || spare > CMDLINE_MAX_ARGS)
                return -E2BIG;
        /* each word consumes at least one byte of the line and writes at most that many
           bytes and a NUL: 2 * len + 1 bytes hold them all */
        argv = dcom_malloc((CMDLINE_MAX_ARGS + spare + 1) * sizeof *argv + 2 * len + 1);
        if (!argv)
                return -ENOMEM;
        out = (char *)(argv + CMDLINE_MAX_ARGS + spare + 1);

        /* the program: a quoted path, or the first token */
        while (blank(*p))
                p++;
        argv[argc++] = out;
        if (*p == '"') {
                const char *end = strchr(++p, '"');
                if (!end)
                        goto einval;
                memcpy(out, p, (size_t)(end - p));
                out += end - p;
                p = end + 1;
        } else {
                while (*p && !blank(*p))
                        *out++ = *p++;
        }
        *out++ = 0;
        if (!argv[0][0])
                goto einval;

        /* the arguments: CommandLineToArgvW */
        for (;;) {
                bool quoted = false;

                while (blank(*p))
                        p++;
                if (!*p)
                        break;
                if (argc == CMDLINE_MAX_ARGS) {
                        dcom_free(argv);
                        return -E2BIG;
                }
                argv[argc++] = out;
                while (*p && (quoted || !blank(*p))) {
                        if (*p == '\\') {
                                size_t n = strspn(p, "\\");
                                if (p[n] == '"') {
                                        memset(out, '\\', n / 2);
                                        out += n / 2;
                                        p += n;
                                        if (n % 2) {
                                                *out++ = '"';
                                                p++;
                                        }
                                } else {
                                        memset(out, '\\', n);
                                        out += n;
                                        p += n;
                                }
                        } else if (*p == '"') {
                                if (quoted && p[1] == '"') {
                                        *out++ = '"';
                                        p += 2;
                                } else {
                                        quoted = !quoted;
                                        p++;
                                }
                        } else {
                                *out++ = *p++;
                        }
                }
                *out++ = 0;
        }
        for (size_t i = argc; i <= argc + spare; i++)
                argv[i] = NULL;
        *ret_argv = argv;
        *ret_argc = argc;
        return 0;

einval:
        dcom_free(argv);
        return -EINVAL;
}
