/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's connection-oriented protocol engine on hostile byte streams, in process:
 * a server with the endpoint mapper and the management interface (and no listeners)
 * gets one connection per input; byte 0 picks where the stream is cut into reads (PDUs
 * split across reads, several in one), the rest is the stream.  Whatever it is, the
 * engine must answer or give up on the connection without crashing, leaking or growing
 * past its bounds.  Fragmented calls are received in place as server.c's conn_drain
 * receives them -- the fragments the engine predicts (rpc_conn_direct_first, a guess of
 * rpc_conn_direct_predict, the next ones of a call) laid out from the stream, checked
 * and appended, what is not as predicted handed to the reader -- so the prediction's
 * checks see hostile headers too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

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

/* n bytes of src into the layout iov[0..k) from offset off, or out of it. */
static void layout_copy(const struct iovec *iov, int k, size_t off, uint8_t *p, size_t n, bool in) {
        for (int i = 0; i < k && n; i++) {
                if (off >= iov[i].iov_len) {
                        off -= iov[i].iov_len;
                        continue;
                }
                size_t t = iov[i].iov_len - off < n ? iov[i].iov_len - off : n;
                if (in)
                        memcpy((uint8_t *)iov[i].iov_base + off, p, t);
                else
                        memcpy(p, (uint8_t *)iov[i].iov_base + off, t);
                p += t;
                n -= t;
                off = 0;
        }
}

/* conn_drain in miniature: at most `size` bytes of the stream are "received" into the
   predicted layout; returns how many were (*ret: what the reader said of the rest,
   negative: the connection closes). */
static size_t drain(struct rpc_conn *c, const uint8_t *data, size_t size, struct buf *out,
                    bool guess, int *ret) {
        enum { FRAGS = 24 };
        static uint8_t hdr[FRAGS][RPC_CO_HEADER_SIZE + 8 + 16];
        struct rpc_direct_plan pl;
        bool planned = false;
        size_t used = 0;

        *ret = 0;

        while (!out->len && rpc_conn_direct_plan(c, 1u << 20, &pl) > 0) {
                size_t body[FRAGS], start[FRAGS + 1], left = pl.left, off = 0, got;
                struct iovec iov[2 * FRAGS];
                unsigned nf = 0, j = 0;
                bool checked = false;

                start[0] = 0;
                while (nf < FRAGS && left) {
                        size_t b = left < pl.body_max ? left : pl.body_max;
                        if (off + b > pl.room)
                                break;
                        body[nf] = b;
                        iov[2 * nf] = (struct iovec){ hdr[nf], pl.hdr_len };
                        iov[2 * nf + 1] = (struct iovec){ pl.base + off, b };
                        off += b;
                        left -= b;
                        start[nf + 1] = start[nf] + pl.hdr_len + b;
                        nf++;
                }
                got = rpc_reader_pending(&c->rd);
                planned = true;
                if (!nf || got >= start[1]) {
                        rpc_conn_direct_done(c, &pl);
                        break;
                }
                layout_copy(iov, 2 * (int)nf, 0, c->rd.buf + c->rd.off, got, true);
                rpc_reader_drop(&c->rd, got);
                size_t take = start[nf] - got < size - used ? start[nf] - got : size - used;
                layout_copy(iov, 2 * (int)nf, got, (uint8_t *)data + used, take, true);
                got += take;
                used += take;
                while (j < nf && got >= start[j] + pl.hdr_len) {
                        bool last = !left && j == nf - 1;
                        if (!checked && !rpc_conn_direct_check(c, hdr[j], &pl, body[j], last))
                                break;
                        checked = true;
                        if (got < start[j + 1])
                                break;
                        rpc_conn_direct_commit(c, &pl, body[j], last, out);
                        checked = false;
                        j++;
                }
                if (j == nf) {
                        rpc_conn_direct_done(c, &pl);
                        continue;
                }
                if (checked)
                        rpc_conn_direct_abort(c, body[j]);
                if (guess && !got) {
                        rpc_conn_direct_done(c, &pl);
                        break;
                }
                size_t n = got - start[j];
                uint8_t *tmp = n ? malloc(n) : NULL;
                if (n && !tmp)
                        abort();
                layout_copy(iov, 2 * (int)nf, start[j], tmp, n, false);
                rpc_conn_direct_done(c, &pl);
                rpc_conn_direct_stop(c, pl.call_id);
                *ret = rpc_conn_input(c, tmp, n, out);
                free(tmp);
                break;
        }
        if (planned)
                rpc_conn_direct_trim(c, &pl);
        rpc_conn_direct_end(c);
        return used;
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
                int r = 0;
                /* a guess at a bulk caller's next call: its first read in place */
                bool guess = !c->n_partial && !rpc_reader_pending(&c->rd) &&
                             rpc_conn_direct_predict(c);

                if (!guess) {
                        size_t n = size < step ? size : step;
                        r = rpc_conn_input(c, data, n, &out);
                        buf_clear(&out);
                        if (r < 0)
                                break;
                        data += n;
                        size -= n;
                }
                /* a fragmented call: its next fragments (its first) in place */
                if (guess || c->n_partial ||
                    (rpc_reader_pending(&c->rd) && rpc_conn_direct_first(c))) {
                        /* what the drain's reads bring while it waits (DRAIN_MS): up to
                           64 reads' worth, the rest the next event's */
                        size_t w = step < size / 64 ? step * 64 : size;
                        size_t u = drain(c, data, w, &out, guess, &r);
                        buf_clear(&out);
                        if (r < 0)
                                break;
                        data += u;
                        size -= u;
                }
        }
        buf_free(&out);
        rpc_conn_free(c);       /* the association ends: its handles run down */
        return 0;
}
