/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An RPC client on the OpenDCOM runtime: given a string binding without an endpoint
 * (ncacn_ip_tcp:127.0.0.1 or ncalrpc:), it finds examples/hello's server through the
 * endpoint mapper (ept_map) and calls it.
 *
 *      hello-client [--user [DOMAIN\]USER [--level LEVEL]] STRING-BINDING [NAME]
 *
 * With --user it authenticates with NTLM, reading the password as one line from
 * standard input, at LEVEL (connect, integrity or privacy; default privacy).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello_stub.h"
#include "rpc/rpc-internal.h"

/* One line for a Win32 status (the runtime's, or the server's own): name and text. */
static void print_status(const char *what, uint32_t st) {
        const struct dcom_status_info *i = dcom_status_lookup(DCOM_STATUS_WIN32, st);

        fprintf(stderr, "hello-client: %s%s (%u): %s\n", what, i ? i->name : "?", st,
                i ? i->text : "unknown status");
}

static int usage(void) {
        fprintf(stderr, "usage: hello-client [--user [DOMAIN\\]USER [--level connect|integrity|"
                        "privacy]] STRING-BINDING [NAME]\n");
        return 2;
}

int main(int argc, char **argv) {
        struct rpc_binding *b;
        char *greeting = NULL, *user = NULL, password[512];
        const char *domain = "";
        uint8_t level = RPC_AUTHN_LEVEL_PKT_PRIVACY;
        LONG say_ret = 0, add_ret = 0, sum = 0;
        int r, rc = 0, i = 1;

        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
                        user = argv[++i];
                } else if (strcmp(argv[i], "--level") == 0 && i + 1 < argc) {
                        const char *l = argv[++i];
                        level = strcmp(l, "connect") == 0     ? RPC_AUTHN_LEVEL_CONNECT
                                : strcmp(l, "integrity") == 0 ? RPC_AUTHN_LEVEL_PKT_INTEGRITY
                                : strcmp(l, "privacy") == 0   ? RPC_AUTHN_LEVEL_PKT_PRIVACY
                                                              : 0;
                        if (!level)
                                return usage();
                } else {
                        return usage();
                }
        }
        if (argc - i < 1 || argc - i > 2)
                return usage();
        r = rpc_binding_from_string(argv[i], &b);
        if (r < 0) {
                fprintf(stderr, "hello-client: bad binding '%s': %s\n", argv[i], strerror(-r));
                return 2;
        }
        rpc_binding_set_timeout(b, 10000);
        if (user) {
                /* DOMAIN\USER, the password on standard input (one line) */
                char *slash = strchr(user, '\\');
                if (slash) {
                        *slash = 0;
                        domain = user;
                        user = slash + 1;
                }
                if (!fgets(password, sizeof password, stdin)) {
                        fprintf(stderr, "hello-client: no password on standard input\n");
                        rpc_binding_free(b);
                        return 2;
                }
                password[strcspn(password, "\r\n")] = 0;
                struct rpc_auth_identity id = { .user = user, .domain = domain, .password = password };
                r = rpc_binding_set_auth(b, level, RPC_AUTHN_WINNT, &id);
                explicit_bzero(password, sizeof password);
                if (r < 0) {
                        fprintf(stderr, "hello-client: cannot use NTLM: %s\n", strerror(-r));
                        rpc_binding_free(b);
                        return 1;
                }
        }
        const char *name = i + 1 < argc ? argv[i + 1] : "world";
        /* r: whether the call went through; *_ret: what the server answered */
        r = Hello_HelloSay((handle_t)b, name, &greeting, &say_ret);
        if (r >= 0)
                r = Hello_HelloAdd((handle_t)b, 40, 2, &sum, &add_ret);
        if (r < 0) {
                print_status("", rpc_binding_status(b, r));
                rc = 1;
        } else if (say_ret != 0) {
                print_status("HelloSay: ", (uint32_t)say_ret);
                rc = 1;
        } else if (add_ret != 0) {
                print_status("HelloAdd: ", (uint32_t)add_ret);
                rc = 1;
        } else {
                printf("%s\n40 + 2 = %d\n", greeting, sum);
        }
        midl_user_free(greeting);
        rpc_binding_free(b);
        return rc;
}
