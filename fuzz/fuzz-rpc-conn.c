/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's connection-oriented protocol engine on hostile byte streams, in process:
 * a server with the endpoint mapper and the management interface (and no listeners)
 * gets one connection per input; byte 0 picks where the stream is cut into reads (PDUs
 * split across reads, several in one), the rest is the stream.  Whatever it is, the
 * engine must answer or give up on the connection without crashing, leaking or growing
 * past its bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "epm_stub.h"
#include "rpc/epm/epm-server.h"
#include "rpc/rpc-server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rpc_server *srv;

static void setup(void) {
        srv = rpc_server_new();
        if (!srv || rpc_server_register_if(srv, &epm_v3_0_s_interface, &epm_server_epv) < 0)
                abort();
        rpc_set_owner_end_hook(epm_forget_owner);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct rpc_conn *c;
        struct buf out;
        size_t step;

        if (!srv)
                setup();
        if (size < 1 || size > 256 * 1024)
                return 0;
        step = data[0] ? data[0] * 7u : size;   /* 0: the whole stream at once */
        data++;
        size--;
        c = rpc_conn_new(srv, RPC_PROTSEQ_LRPC);
        if (!c)
                return 0;
        buf_init(&out, 0);
        while (size > 0) {
                size_t n = size < step ? size : step;
                int r = rpc_conn_input(c, data, n, &out);
                buf_clear(&out);
                if (r < 0)
                        break;
                data += n;
                size -= n;
        }
        buf_free(&out);
        rpc_conn_free(c);       /* the association ends: its handles run down */
        return 0;
}
