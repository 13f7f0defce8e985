/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The security provider hook of the RPC server ([MS-RPCE] 2.2.2.11, 3.3.1.5.2), with a
 * toy provider standing in for NTLM (auth_type 0xf0): a three-leg handshake (bind
 * "HELLO" -> bind_ack "WORLD", AUTH3 "DONE"), an 8-byte verifier (the sum of the PDU's
 * bytes with a zeroed verifier, and a per-context sequence number), sealing by XOR.  A
 * raw-socket client speaks it: the bind_ack carries the provider's token in a
 * sec_trailer; signed and sealed requests are verified and unsealed, responses signed
 * and sealed; a tampered request, an unknown context id, a level mismatch or a
 * handshake not completed get access denied; two security contexts live on one
 * connection (alter_context with a new auth_context_id); a provider failing to sign gets
 * the call a fault (never an unsigned response); request and response stubs are padded
 * to 16 bytes ([MS-RPCE] 2.2.2.11); an AUTH3 makes no context; an unknown auth_type is a
 * bind_nak "authentication type not recognized".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/rpc-internal.h"
#include "rpctest_stub.h"
#include "test.h"

#define TOY 0xf0

struct toy {
        bool done;
        uint32_t seq_in, seq_out;
        unsigned frees;
};

static unsigned toy_contexts;

static uint32_t sum(const uint8_t *p, size_t n) {
        uint32_t s = 0;
        for (size_t i = 0; i < n; i++)
                s = s * 31 + p[i];
        return s;
}

static int toy_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        if (len != 5 || memcmp(in, "HELLO", 5) != 0)
                return -EACCES;
        struct toy *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        toy_contexts++;
        buf_append(out, "WORLD", 5);
        *ret = t;
        *done = false;
        return 0;
}

static int toy_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct toy *t = ctx;
        if (len != 4 || memcmp(in, "DONE", 4) != 0)
                return -EACCES;
        t->done = true;
        *done = true;
        return 0;
}

static void seal(uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                p[i] ^= 0x5a;
}

/* checksum over the PDU with the verifier zeroed and the stub in plaintext */
static uint32_t checksum(uint8_t *pdu, size_t len, uint8_t *ver, size_t vlen) {
        uint8_t saved[8];
        memcpy(saved, ver, 8);
        memset(ver, 0, vlen);
        uint32_t s = sum(pdu, len);
        memcpy(ver, saved, 8);
        return s;
}

static int toy_verify(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                      size_t stub_len, const uint8_t *ver, size_t vlen) {
        struct toy *t = ctx;
        uint32_t want, seq;
        if (vlen != 8)
                return -EACCES;
        if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                seal(stub, stub_len);
        memcpy(&want, ver, 4);
        memcpy(&seq, ver + 4, 4);
        if (seq != t->seq_in || checksum(pdu, len, (uint8_t *)ver, vlen) != want)
                return -EACCES;
        t->seq_in++;
        return 0;
}

static bool toy_sign_fails;

static int toy_sign(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                    size_t stub_len, uint8_t *ver, size_t vlen) {
        struct toy *t = ctx;
        if (toy_sign_fails) {
                t->seq_out++;           /* a sequence number spent, as a real one would */
                return -EIO;
        }
        uint32_t s = checksum(pdu, len, ver, vlen);
        memcpy(ver, &s, 4);
        memcpy(ver + 4, &t->seq_out, 4);
        t->seq_out++;
        if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                seal(stub, stub_len);
        return 0;
}

static size_t toy_size(void *ctx, uint8_t level) {
        return 8;
}

static void toy_free(void *ctx) {
        toy_contexts--;
        free(ctx);
}

static const struct rpc_auth_ops toy_ops = {
        .auth_type = TOY, .name = "toy", .accept = toy_accept, .step = toy_step,
        .verify = toy_verify, .sign = toy_sign, .verifier_size = toy_size, .free = toy_free,
};

/* --- server -------------------------------------------------------------------------- */

static uint8_t last_type, last_level;

static LONG rt_null(handle_t h, LONG x, LONG *y) {
        void *ctx;
        rpc_call_auth(h, &last_type, &last_level, &ctx);
        *y = x + 1;
        return 0;
}

static LONG rt_echo(handle_t h, ULONG n, const BYTE *d, BYTE *b) {
        memcpy(b, d, n);
        return 0;
}

static LONG rt_owner(handle_t h, int64_t *o, ULONG *p) {
        *o = 0;
        *p = 0;
        return 0;
}

static const struct RpcTest_v1_1_epv epv = { rt_null, rt_echo, rt_owner };

static struct rpc_server *srv;
static uint16_t port;

/* --- the client's side of the toy protocol ---------------------------------------- */

static char audited[256];

static void capture_audit(const char *line) {
        snprintf(audited, sizeof audited, "%s", line);
}

/* The server closed the connection (end of file after what it sent). */
static bool raw_closed(int fd) {
        uint8_t b[512];
        ssize_t n;
        do
                n = recv(fd, b, sizeof b, 0);
        while (n > 0);
        return n == 0;
}

static int conn_open(void) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct timeval tv = { 5, 0 };
        ASSERT_OK(connect(fd, (struct sockaddr *)&sa, sizeof sa));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
}

static size_t read_pdu(int fd, uint8_t *buf) {
        size_t got = 0, want = 16;
        while (got < want) {
                ssize_t n = recv(fd, buf + got, want - got, 0);
                if (n <= 0)
                        return 0;
                got += (size_t)n;
                if (got >= 16 && want == 16)
                        want = (size_t)(buf[8] | buf[9] << 8);
        }
        return got;
}

/* padding to align past base (the stub's start: 16; a bind's header: 4), sec_trailer, token */
static void put_trailer(struct buf *b, size_t start, size_t base, size_t align, uint8_t type,
                        uint8_t level, uint32_t id, const void *tok, size_t len) {
        size_t pad = (align - ((b->len - base) % align)) % align;
        static const uint8_t z[16];
        buf_append(b, z, pad);
        buf_put_u8(b, type);
        buf_put_u8(b, level);
        buf_put_u8(b, (uint8_t)pad);
        buf_put_u8(b, 0);
        rpc_put_u32(b, id);
        buf_append(b, tok, len);
        b->data[start + 10] = (uint8_t)len;
        b->data[start + 11] = 0;
}

static void send_buf(int fd, struct buf *b) {
        ASSERT_EQ(send(fd, b->data, b->len, 0), (ssize_t)b->len);
        buf_clear(b);
}

/* bind (or alter_context) with the toy token; returns the answer's type */
static uint8_t bind_toy(int fd, bool alter, uint32_t id, uint8_t level, uint8_t type,
                        uint8_t *rd) {
        struct buf b;
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, alter ? RPC_PTYPE_ALTER_CONTEXT : RPC_PTYPE_BIND, 3, 1);
        rpc_put_u16(&b, 4280);
        rpc_put_u16(&b, 4280);
        rpc_put_u32(&b, 0);
        buf_put_u8(&b, 1);
        buf_put_u8(&b, 0);
        rpc_put_u16(&b, 0);
        rpc_put_u16(&b, alter ? 1 : 0);
        buf_put_u8(&b, 1);
        buf_put_u8(&b, 0);
        struct rpc_syntax_id as = { RpcTest_v1_1_s_interface.uuid, 1, 1 };
        rpc_put_syntax(&b, &as);
        rpc_put_syntax(&b, &rpc_syntax_ndr20);
        put_trailer(&b, start, start, 4, type, level, id, "HELLO", 5);
        rpc_pdu_end(&b, start);
        send_buf(fd, &b);
        buf_free(&b);
        ASSERT_GT(read_pdu(fd, rd), 0);
        return rd[2];
}

static void auth3(int fd, uint32_t id, uint8_t level, const char *tok) {
        struct buf b;
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, RPC_PTYPE_AUTH3, 3, 2);
        rpc_put_u32(&b, 0);     /* pad */
        put_trailer(&b, start, start, 4, TOY, level, id, tok, strlen(tok));
        rpc_pdu_end(&b, start);
        send_buf(fd, &b);
        buf_free(&b);
}

/* RtNull(x) signed (and sealed at PKT_PRIVACY) under context id; tamper flips a byte */
static uint8_t call_null(int fd, uint16_t ctx, uint32_t id, uint8_t level, uint32_t seq,
                         LONG x, bool tamper, LONG *y, uint8_t *rd) {
        struct buf b;
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, RPC_PTYPE_REQUEST, 3, 10 + seq);
        rpc_put_u32(&b, 4);
        rpc_put_u16(&b, ctx);
        rpc_put_u16(&b, 0);
        size_t stub_off = b.len - start;
        rpc_put_u32(&b, (uint32_t)x);
        uint8_t zero[8] = { 0 };
        put_trailer(&b, start, start + stub_off, 16, TOY, level, id, zero, 8);
        rpc_pdu_end(&b, start);
        uint8_t *p = b.data + start;
        size_t len = b.len - start;
        uint32_t s = sum(p, len);
        memcpy(p + len - 8, &s, 4);
        memcpy(p + len - 4, &seq, 4);
        if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                seal(p + stub_off, 16);         /* the stub and its padding */
        if (tamper)
                p[stub_off] ^= 1;
        send_buf(fd, &b);
        buf_free(&b);
        size_t n = read_pdu(fd, rd);
        ASSERT_GT(n, 0);
        if (rd[2] == RPC_PTYPE_RESPONSE) {
                /* [MS-RPCE] 2.2.2.11: a verifier of 8 bytes after the sec_trailer */
                uint16_t alen = (uint16_t)(rd[10] | rd[11] << 8);
                ASSERT_EQ(alen, 8);
                uint8_t pad = rd[n - 8 - 8 + 2];
                ASSERT_EQ(rd[n - 16], TOY);
                ASSERT_EQ(rd[n - 15], level);
                uint8_t *stub = rd + 24;
                size_t stub_len = n - 24 - 16;
                if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                        seal(stub, stub_len);
                uint32_t want, rseq;
                memcpy(&want, rd + n - 8, 4);
                memcpy(&rseq, rd + n - 4, 4);
                ASSERT_EQ(checksum(rd, n, rd + n - 8, 8), want);
                ASSERT_EQ(rseq, seq);
                ASSERT_EQ(stub_len - pad, 8);
                /* [MS-RPCE] 2.2.2.11: the stub padded to 16 bytes from its start */
                ASSERT_EQ(pad, 8);
                ASSERT_EQ(stub_len % 16, 0);
                memcpy(y, stub, 4);
        }
        return rd[2];
}

static uint32_t fault_status(const uint8_t *rd) {
        return rd[24] | rd[25] << 8 | rd[26] << 16 | (uint32_t)rd[27] << 24;
}

/* A connection with toy context id established at level (its AUTH3 "DONE"). */
static int toy_session(uint32_t id, uint8_t level, uint8_t *rd) {
        int fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, id, level, TOY, rd), RPC_PTYPE_BIND_ACK);
        auth3(fd, id, level, "DONE");
        return fd;
}

/* A request under context id at level is refused (access denied, not "did not execute"),
   and the connection closed; fd is closed. */
static void refused_and_closed(int fd, uint32_t seq, uint32_t id, uint8_t level, uint8_t *rd) {
        LONG y = 0;

        ASSERT_EQ(call_null(fd, 0, id, level, seq, 1, false, &y, rd), RPC_PTYPE_FAULT);
        ASSERT_EQ(fault_status(rd), ERROR_ACCESS_DENIED);
        ASSERT_EQ(rd[3], RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);
}

/* A fragment (flags) of call call_id: RtNull's 4-byte stub x, or 2 bytes of it (half 0
   or 1), signed at PKT_INTEGRITY with sequence number seq; its sec_trailer says type,
   level and id (they need not be the context's); without_trailer: none. */
static void send_fragment(int fd, uint8_t flags, uint32_t call_id, uint16_t ctx, int half,
                          uint8_t type, uint8_t level, uint32_t id, uint32_t seq,
                          bool without_trailer) {
        static const uint8_t x4[4] = { 1, 0, 0, 0 };
        struct buf b;
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, RPC_PTYPE_REQUEST, flags, call_id);
        rpc_put_u32(&b, 4);
        rpc_put_u16(&b, ctx);
        rpc_put_u16(&b, 0);
        size_t stub_off = b.len - start;
        buf_append(&b, half < 0 ? x4 : x4 + 2 * half, half < 0 ? 4 : 2);
        if (!without_trailer) {
                uint8_t zero[8] = { 0 };
                put_trailer(&b, start, start + stub_off, 16, type, level, id, zero, 8);
        }
        rpc_pdu_end(&b, start);
        if (!without_trailer) {
                uint8_t *q = b.data + start;
                size_t len = b.len - start;
                uint32_t sumv = sum(q, len);
                memcpy(q + len - 8, &sumv, 4);
                memcpy(q + len - 4, &seq, 4);
        }
        send_buf(fd, &b);
        buf_free(&b);
}

/*
 * A fragmented call's later fragments belong to it, as Windows takes them (Samba's
 * raw_protocol test_ntlmssp_multi_auth_first1_*): their sec_trailer fields are not
 * looked at, they are verified under the first fragment's context; one without a
 * verifier, or of a call never begun, is a protocol error; a first fragment again for
 * the call, naming another context, a security package error -- each closes.
 */
TEST(fragment_security) {
        uint8_t rd[8192];
        int fd;
        const uint8_t I = RPC_AUTHN_LEVEL_PKT_INTEGRITY;

        srv = rpc_server_new();
        ASSERT_NOT_NULL(srv);
        ASSERT_OK(rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &epv));
        ASSERT_OK(rpc_server_listen_tcp(srv, "127.0.0.1", 0, &port));
        ASSERT_OK(rpc_auth_register(&toy_ops));

        /* the second fragment's trailer names another id, type and level: still the
           call's, verified under context 7, and run */
        fd = toy_session(7, I, rd);
        send_fragment(fd, RPC_PFC_FIRST_FRAG, 40, 0, 0, TOY, I, 7, 0, false);
        send_fragment(fd, RPC_PFC_LAST_FRAG, 40, 0, 1, 111, 111, 111, 1, false);
        last_level = 0;
        ASSERT_GT(read_pdu(fd, rd), 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_RESPONSE);
        ASSERT_EQ(rd[24], 2);                           /* y = x + 1 */
        ASSERT_EQ(last_level, I);
        close(fd);

        /* a later fragment without a verifier: a protocol error, on the call */
        fd = toy_session(7, I, rd);
        send_fragment(fd, RPC_PFC_FIRST_FRAG, 41, 0, 0, TOY, I, 7, 0, false);
        send_fragment(fd, RPC_PFC_LAST_FRAG, 41, 0, 1, 0, 0, 0, 0, true);
        ASSERT_GT(read_pdu(fd, rd), 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_FAULT);
        ASSERT_EQ(rd[3], RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG);
        ASSERT_EQ(rd[12], 41);
        ASSERT_EQ(fault_status(rd), NCA_S_PROTO_ERROR);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        /* a later fragment of a call never begun: a protocol error on the call being
           reassembled (its call id and context), or context 0 when none is */
        fd = toy_session(7, I, rd);
        send_fragment(fd, RPC_PFC_FIRST_FRAG, 42, 3, 0, TOY, I, 7, 0, false);
        send_fragment(fd, RPC_PFC_LAST_FRAG, 43, 0, 1, TOY, I, 7, 1, false);
        ASSERT_GT(read_pdu(fd, rd), 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_FAULT);
        ASSERT_EQ(rd[12], 42);
        ASSERT_EQ(rd[20] | rd[21] << 8, 3);
        ASSERT_EQ(fault_status(rd), NCA_S_PROTO_ERROR);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);
        fd = toy_session(7, I, rd);
        send_fragment(fd, RPC_PFC_LAST_FRAG, 44, 5, 1, TOY, I, 7, 0, false);
        ASSERT_GT(read_pdu(fd, rd), 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_FAULT);
        ASSERT_EQ(rd[3], RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG);
        ASSERT_EQ(rd[20] | rd[21] << 8, 0);
        ASSERT_EQ(fault_status(rd), NCA_S_PROTO_ERROR);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        /* a later fragment signed badly: a security package error -- whatever its
           trailer's fields say (they do not exempt it from verification) */
        for (int foreign = 0; foreign < 2; foreign++) {
                fd = toy_session(7, I, rd);
                send_fragment(fd, RPC_PFC_FIRST_FRAG, 45, 0, 0, TOY, I, 7, 0, false);
                send_fragment(fd, RPC_PFC_LAST_FRAG, 45, 0, 1, foreign ? 111 : TOY,
                              foreign ? 111 : I, foreign ? 111 : 7, 9, false);  /* seq 9 */
                ASSERT_GT(read_pdu(fd, rd), 0);
                ASSERT_EQ(rd[2], RPC_PTYPE_FAULT);
                ASSERT_EQ(fault_status(rd), RPC_S_SEC_PKG_ERROR);
                ASSERT_TRUE(raw_closed(fd));
                close(fd);
        }

        /* the call's context failed meanwhile (an AUTH3 changing its level): the call is
           refused, access denied */
        fd = toy_session(7, I, rd);
        send_fragment(fd, RPC_PFC_FIRST_FRAG, 47, 0, 0, TOY, I, 7, 0, false);
        auth3(fd, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, "DONE");
        send_fragment(fd, RPC_PFC_LAST_FRAG, 47, 0, 1, TOY, I, 7, 1, false);
        ASSERT_GT(read_pdu(fd, rd), 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_FAULT);
        ASSERT_EQ(fault_status(rd), ERROR_ACCESS_DENIED);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        /* the call begun again under another established context: a security package
           error, on the call */
        fd = toy_session(7, I, rd);
        ASSERT_EQ(bind_toy(fd, true, 8, I, TOY, rd), RPC_PTYPE_ALTER_CONTEXT_RESP);
        auth3(fd, 8, I, "DONE");
        send_fragment(fd, RPC_PFC_FIRST_FRAG, 46, 0, 0, TOY, I, 7, 0, false);
        send_fragment(fd, RPC_PFC_FIRST_FRAG, 46, 0, 0, TOY, I, 8, 0, false);
        ASSERT_GT(read_pdu(fd, rd), 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_FAULT);
        ASSERT_EQ(rd[12], 46);
        ASSERT_EQ(fault_status(rd), RPC_S_SEC_PKG_ERROR);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        rpc_server_free(srv);
        ASSERT_EQ(toy_contexts, 0);
        rpc_auth_unregister(&toy_ops);
}

TEST(toy_provider) {
        uint8_t rd[8192];
        LONG y = 0;
        int fd;

        srv = rpc_server_new();
        ASSERT_NOT_NULL(srv);
        ASSERT_OK(rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &epv));
        ASSERT_OK(rpc_server_listen_tcp(srv, "127.0.0.1", 0, &port));

        /* no provider for the type: bind_nak, authentication type not recognized */
        fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, TOY, rd), RPC_PTYPE_BIND_NAK);
        ASSERT_EQ(rd[16] | rd[17] << 8, RPC_BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED);
        close(fd);

        ASSERT_OK(rpc_auth_register(&toy_ops));
        ASSERT_ERRNO(rpc_auth_register(&(struct rpc_auth_ops){ .auth_type = TOY, .name = "other",
                                                               .accept = toy_accept, .step = toy_step,
                                                               .free = toy_free }),
                     -EEXIST);
        fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, TOY, rd), RPC_PTYPE_BIND_ACK);
        /* the provider's token in the bind_ack's auth verifier */
        size_t n = (size_t)(rd[8] | rd[9] << 8);
        ASSERT_EQ(rd[10] | rd[11] << 8, 5);
        ASSERT_MEM_EQ(rd + n - 5, "WORLD", 5);
        ASSERT_EQ(rd[n - 13], TOY);
        ASSERT_EQ(rd[n - 12], RPC_AUTHN_LEVEL_PKT_PRIVACY);
        ASSERT_EQ(rd[n - 9] | rd[n - 8] << 8 | rd[n - 7] << 16 | (uint32_t)rd[n - 6] << 24, 7);
        /* before AUTH3: not established -- a protocol error, nothing executed, and the
           connection closed, as Windows answers */
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 0, 1, false, &y, rd),
                  RPC_PTYPE_FAULT);
        ASSERT_EQ(fault_status(rd), NCA_S_PROTO_ERROR);
        ASSERT_EQ(rd[3], RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG | RPC_PFC_DID_NOT_EXECUTE);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);
        fd = toy_session(7, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        /* signed and sealed both ways */
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 0, 41, false, &y, rd),
                  RPC_PTYPE_RESPONSE);
        ASSERT_EQ(y, 42);
        ASSERT_EQ(last_type, TOY);
        ASSERT_EQ(last_level, RPC_AUTHN_LEVEL_PKT_PRIVACY);
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 1, 1, false, &y, rd),
                  RPC_PTYPE_RESPONSE);
        ASSERT_EQ(y, 2);
        /* the provider cannot sign: a fault, nothing unsigned or unsealed goes out */
        toy_sign_fails = true;
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 2, 1, false, &y, rd),
                  RPC_PTYPE_FAULT);
        ASSERT_EQ(fault_status(rd), ERROR_ACCESS_DENIED);
        ASSERT_EQ(rd[8] | rd[9] << 8, 32);      /* the fault alone */
        toy_sign_fails = false;
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 3, 1, false, &y, rd),
                  RPC_PTYPE_RESPONSE);
        ASSERT_EQ(y, 2);
        /* a second security context on the same connection: alter_context, new id */
        ASSERT_EQ(bind_toy(fd, true, 8, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd),
                  RPC_PTYPE_ALTER_CONTEXT_RESP);
        auth3(fd, 8, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "DONE");
        ASSERT_EQ(call_null(fd, 1, 8, RPC_AUTHN_LEVEL_PKT_INTEGRITY, 0, 9, false, &y, rd),
                  RPC_PTYPE_RESPONSE);
        ASSERT_EQ(y, 10);
        ASSERT_EQ(last_level, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        /* and the first one still works, with its own sequence */
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 4, 5, false, &y, rd),
                  RPC_PTYPE_RESPONSE);
        ASSERT_EQ(y, 6);
        /* tampered: a security package error (as Windows answers), nothing executed,
           and the connection closed (a forged or replayed PDU means someone is in the
           middle) */
        last_level = 0;
        ASSERT_EQ(call_null(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_PRIVACY, 5, 1, true, &y, rd),
                  RPC_PTYPE_FAULT);
        ASSERT_EQ(fault_status(rd), RPC_S_SEC_PKG_ERROR);
        ASSERT_EQ(last_level, 0);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        /* PKT is given as PKT_INTEGRITY ([MS-RPCE] 2.2.1.1.8): signed both ways (call_null
           checks the response's verifier), a tampered request refused */
        fd = toy_session(6, RPC_AUTHN_LEVEL_PKT, rd);
        ASSERT_EQ(call_null(fd, 0, 6, RPC_AUTHN_LEVEL_PKT, 0, 41, false, &y, rd),
                  RPC_PTYPE_RESPONSE);
        ASSERT_EQ(y, 42);
        ASSERT_EQ(last_level, RPC_AUTHN_LEVEL_PKT);
        last_level = 0;
        ASSERT_EQ(call_null(fd, 0, 6, RPC_AUTHN_LEVEL_PKT, 1, 1, true, &y, rd), RPC_PTYPE_FAULT);
        ASSERT_EQ(fault_status(rd), RPC_S_SEC_PKG_ERROR);
        ASSERT_EQ(last_level, 0);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);
        /* and one without a verifier at all is not credited to it: it runs unauthenticated
           (at PKT nothing is taken on trust), as if no context were there */
        fd = toy_session(6, RPC_AUTHN_LEVEL_PKT, rd);
        send_fragment(fd, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, 30, 0, -1, 0, 0, 0, 0, true);
        last_level = 0xff;
        size_t pn = read_pdu(fd, rd);
        ASSERT_GT(pn, 0);
        ASSERT_EQ(rd[2], RPC_PTYPE_RESPONSE);
        ASSERT_EQ(rd[10] | rd[11] << 8, 0);     /* unsigned: it was no call of the context */
        ASSERT_EQ(last_level, RPC_AUTHN_LEVEL_NONE);
        close(fd);

        /* an AUTH3 for a context nobody began: no context is made, and a request naming
           it is refused; so is one naming an unknown id, or its context at another level */
        fd = toy_session(7, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        unsigned before = toy_contexts;
        auth3(fd, 99, RPC_AUTHN_LEVEL_PKT_PRIVACY, "HELLO");
        ASSERT_EQ(toy_contexts, before);
        refused_and_closed(fd, 0, 99, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        fd = toy_session(7, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        refused_and_closed(fd, 0, 9, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        fd = toy_session(7, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        refused_and_closed(fd, 0, 7, RPC_AUTHN_LEVEL_PKT_INTEGRITY, rd);

        /* a failed AUTH3: the next request is refused, and the connection closed; another
           try on the failed context changes nothing: no guessing on it */
        for (int again = 0; again < 2; again++) {
                fd = conn_open();
                ASSERT_EQ(bind_toy(fd, false, 3, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd),
                          RPC_PTYPE_BIND_ACK);
                auth3(fd, 3, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "NOPE");
                if (again)
                        auth3(fd, 3, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "DONE");
                refused_and_closed(fd, 0, 3, RPC_AUTHN_LEVEL_PKT_INTEGRITY, rd);
        }

        /* a level changed in the middle of a handshake (the AUTH3's): the context is
           refused, as Windows refuses it (Samba's raw_protocol test_spnego_change_auth_level) */
        fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, 4, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd), RPC_PTYPE_BIND_ACK);
        auth3(fd, 4, RPC_AUTHN_LEVEL_PKT_PRIVACY, "DONE");
        refused_and_closed(fd, 0, 4, RPC_AUTHN_LEVEL_PKT_PRIVACY, rd);
        /* a bind at CALL: bind_nak, "invalid checksum" ([MS-RPCE] 2.2.1.1.8: clients send PKT) */
        fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, 5, RPC_AUTHN_LEVEL_CALL, TOY, rd), RPC_PTYPE_BIND_NAK);
        ASSERT_EQ(rd[16] | rd[17] << 8, RPC_BIND_NAK_INVALID_CHECKSUM);
        close(fd);

        /* one handshake at a time per connection: a second context begun while the
           first is unfinished is refused -- each holds a logon of the provider (dcomlsa's
           for an unprivileged server), which a peer must not pile up */
        fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, 1, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd), RPC_PTYPE_BIND_ACK);
        uint8_t second = bind_toy(fd, true, 2, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd);
        ASSERT_EQ(second, RPC_PTYPE_FAULT);
        close(fd);
        fd = conn_open();
        ASSERT_EQ(bind_toy(fd, false, 1, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd), RPC_PTYPE_BIND_ACK);
        auth3(fd, 1, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "DONE");
        ASSERT_EQ(bind_toy(fd, true, 2, RPC_AUTHN_LEVEL_PKT_INTEGRITY, TOY, rd),
                  RPC_PTYPE_ALTER_CONTEXT_RESP);        /* once it is done, the next one */
        close(fd);

        /* audit lines: what a peer chose cannot forge lines */
        rpc_set_audit_hook(capture_audit);
        rpc_audit("user '%s'", "evil\nrpcss: access granted to root");
        rpc_set_audit_hook(NULL);
        ASSERT_STR_EQ(audited, "user 'evil?rpcss: access granted to root'");

        rpc_server_free(srv);
        ASSERT_EQ(toy_contexts, 0);     /* every context freed with its connection */
        rpc_auth_unregister(&toy_ops);
}
