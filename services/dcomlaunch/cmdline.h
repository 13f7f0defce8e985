/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A LocalServer32 command line split as Windows splits it: the program is a quoted
 * path (which may hold spaces) or else the first token -- never "the longest prefix
 * that names a file", Windows' unquoted-path trap -- and the arguments follow
 * CommandLineToArgvW's rules (2n backslashes and a quote: n backslashes and a quote
 * that opens or closes; 2n+1: n backslashes and a literal quote; "" inside quotes: a
 * literal quote; other backslashes are literal).  Apart from the service so that the
 * fuzz target reaches it.
 */
#ifndef OPENDCOM_DCOMLAUNCH_CMDLINE_H
#define OPENDCOM_DCOMLAUNCH_CMDLINE_H

#include <stddef.h>

#define CMDLINE_MAX_LEN 32767           /* Windows' limit on a command line */
#define CMDLINE_MAX_ARGS 256            /* the program included */

/*
 * Splits line.  Returns 0 with *ret_argv a NULL-terminated vector of *ret_argc >= 1
 * strings, the program first (one allocation: dcom_free(*ret_argv)), and room for
 * `spare` more pointers before the NULL (for the arguments the caller appends).
 * Errors: -EINVAL (no program, or its quote is not closed), -E2BIG (longer than
 * CMDLINE_MAX_LEN or more than CMDLINE_MAX_ARGS words), -ENOMEM.
 */
int cmdline_split(const char *line, size_t spare, char ***ret_argv, size_t *ret_argc);

#endif /* OPENDCOM_DCOMLAUNCH_CMDLINE_H */
