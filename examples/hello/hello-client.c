/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An RPC client on the OpenDCOM runtime: given a string binding without an endpoint
 * (ncacn_ip_tcp:127.0.0.1 or ncalrpc:), it finds examples/hello's server through the
 * endpoint mapper (ept_map) and calls it.
 *
 *      hello-client STRING-BINDING [NAME]
 */
#include <stdio.h>
#include <string.h>

#include "hello_stub.h"
#include "rpc/rpc-internal.h"

int main(int argc, char **argv) {
        struct rpc_binding *b;
        char *greeting = NULL;
        LONG ret = 0, sum = 0;
        int r;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: hello-client STRING-BINDING [NAME]\n");
                return 2;
        }
        r = rpc_binding_from_string(argv[1], &b);
        if (r < 0) {
                fprintf(stderr, "hello-client: bad binding '%s': %s\n", argv[1], strerror(-r));
                return 2;
        }
        rpc_binding_set_timeout(b, 10000);
        r = Hello_HelloSay((handle_t)b, argc > 2 ? argv[2] : "world", &greeting, &ret);
        if (r >= 0)
                r = Hello_HelloAdd((handle_t)b, 40, 2, &sum, &ret);
        if (r < 0) {
                RPC_STATUS st = rpc_binding_status(b, r);
                const struct dcom_status_info *i = dcom_status_lookup(DCOM_STATUS_WIN32, st);
                fprintf(stderr, "hello-client: %s (%u): %s\n", i ? i->name : "?", st,
                        i ? i->text : "unknown status");
                rpc_binding_free(b);
                return 1;
        }
        printf("%s\n40 + 2 = %d\n", greeting, sum);
        midl_user_free(greeting);
        rpc_binding_free(b);
        return 0;
}
