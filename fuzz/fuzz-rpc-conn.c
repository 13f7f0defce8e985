/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's connection-oriented protocol engine on hostile byte streams, in process:
 * a server with the endpoint mapper and the management interface (and no listeners)
 * gets one connection per input; byte 0 picks where the stream is cut into reads (PDUs
 * split across reads, several in one), the rest is the stream.  Whatever it is, the
 * engine must answer or give up on the connection without crashing, leaking or growing
 * past its bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epm_stub.h"
#include "epm-server.h"
#include "rpc/rpc-server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rpc_server *srv;

/* A provider that accepts any token (done at once) and any verifier of 8 bytes whose
   first byte is 0x42, unsealing by XOR: the auth paths run on fuzzed PDUs too. */
static int f_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        *ret = malloc(1);
        if (!*ret)
                return -ENOMEM;
        buf_append(out, in, len > 16 ? 16 : len);
        *done = len == 0 || in[0] != 0;
        return 0;
}

static int f_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        *done = true;
        return len && in[0] == 0xff ? -EACCES : 0;
}

static int f_verify(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                    size_t stub_len, const uint8_t *ver, size_t vlen) {
        if (vlen != 8 || ver[0] != 0x42)
                return -EACCES;
        if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                for (size_t i = 0; i < stub_len; i++)
                        stub[i] ^= 0x5a;
        return 0;
}

static int f_sign(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                  size_t stub_len, uint8_t *ver, size_t vlen) {
        memset(ver, 0x42, vlen);
        return 0;
}

static size_t f_size(void *ctx, uint8_t level) {
        return 8;
}

/* a stand-in provider at a private auth_type; NTLM (10) is the real one, registered by
   rpc_server_new() */
static const struct rpc_auth_ops fuzz_auth = {
        .auth_type = 0xf1, .name = "fuzz", .accept = f_accept, .step = f_step,
        .verify = f_verify, .sign = f_sign, .verifier_size = f_size, .free = free,
};

static void setup(void) {
        srv = rpc_server_new();
        if (!srv || rpc_server_register_if(srv, &epm_v3_0_s_interface, &epm_server_epv) < 0)
                abort();
        rpc_set_owner_end_hook(epm_forget_owner);
        rpc_auth_register(&fuzz_auth);
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
