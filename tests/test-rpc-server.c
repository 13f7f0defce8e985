/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC runtime end to end in one process: a server (src/rpc/server.c) serving
 * tests/dcomidl/rpctest.idl and the management interface on 127.0.0.1 (a dynamic port)
 * and on an ncalrpc socket under this test's own OPENDCOM_ROOT, and clients
 * (src/rpc/client.c) calling it through the generated stubs: small calls, 200 KiB in
 * both directions (fragmented both ways), several interfaces on one connection
 * (alter_context), clear statuses for what goes wrong (no server, unknown interface,
 * op range), and raw sockets sending what a broken or hostile peer sends -- truncated
 * PDUs, wrong versions, a request before bind, unknown context ids, fragments out of
 * order, huge alloc hints -- while a well-behaved client keeps being served.  Then many
 * clients at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "mgmt_stub.h"
#include "rpc/rpc-internal.h"
#include "rpctest_stub.h"
#include "test.h"

/* --- the interface -------------------------------------------------------------------------- */

static LONG rt_null(handle_t h, LONG x, LONG *y) {
        *y = x + 1;
        return 0;
}

static LONG rt_echo(handle_t h, ULONG n, const BYTE *data, BYTE *back) {
        for (ULONG i = 0; i < n; i++)
                back[i] = (BYTE)(data[i] ^ 0x5a);
        return (LONG)n;
}

static LONG rt_owner(handle_t h, int64_t *owner, ULONG *protseq) {
        *owner = (int64_t)rpc_call_owner(h);
        *protseq = rpc_call_protseq(h);
        return 0;
}

static const struct RpcTest_v1_1_epv rt_epv = { rt_null, rt_echo, rt_owner };

static struct rpc_server *srv;
static uint16_t port;
static char tcp_binding[64], lrpc_binding[64], lrpc_name[32];

static void start(void) {
        if (srv)
                return;
        srv = rpc_server_new();
        ASSERT_NOT_NULL(srv);
        ASSERT_OK(rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &rt_epv));
        ASSERT_ERRNO(rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &rt_epv), -EEXIST);
        ASSERT_OK(rpc_server_listen_tcp(srv, "127.0.0.1", 0, &port));
        ASSERT_GT(port, 0);
        snprintf(lrpc_name, sizeof lrpc_name, "rpctest-%d", (int)getpid());
        ASSERT_OK(rpc_server_listen_lrpc(srv, lrpc_name, 0600));
        snprintf(tcp_binding, sizeof tcp_binding, "ncacn_ip_tcp:127.0.0.1[%u]", port);
        snprintf(lrpc_binding, sizeof lrpc_binding, "ncalrpc:[%s]", lrpc_name);
}

/* --- string bindings --------------------------------------------------------------------- */

TEST(string_bindings) {
        struct rpc_string_binding b;
        char *s;

        ASSERT_OK(rpc_string_binding_parse("ncacn_ip_tcp:127.0.0.1[135]", &b));
        ASSERT_EQ(b.protseq, RPC_PROTSEQ_TCP);
        ASSERT_STR_EQ(b.host, "127.0.0.1");
        ASSERT_STR_EQ(b.endpoint, "135");
        ASSERT_OK(rpc_string_binding_parse(
                "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c@ncalrpc:[epmapper,Security=Impersonation]", &b));
        ASSERT_TRUE(b.has_object);
        ASSERT_EQ(b.object.Data1, 0x3f2a1b0c);
        ASSERT_EQ(b.protseq, RPC_PROTSEQ_LRPC);
        ASSERT_STR_EQ(b.host, "");
        ASSERT_STR_EQ(b.endpoint, "epmapper");
        ASSERT_EQ(b.n_options, 1);
        s = rpc_string_binding_compose(&b);
        ASSERT_STR_EQ(s, "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c@ncalrpc:[epmapper,Security=Impersonation]");
        free(s);
        ASSERT_OK(rpc_string_binding_parse("ncacn_ip_tcp:::1[1234]", &b));
        ASSERT_STR_EQ(b.host, "::1");
        ASSERT_OK(rpc_string_binding_parse("ncacn_ip_tcp:host[endpoint=99]", &b));
        ASSERT_STR_EQ(b.endpoint, "99");
        ASSERT_OK(rpc_string_binding_parse("ncacn_ip_tcp:host", &b));
        ASSERT_STR_EQ(b.endpoint, "");
        ASSERT_ERRNO(rpc_string_binding_parse("ncacn_np:host[\\pipe\\x]", &b), -EPROTONOSUPPORT);
        ASSERT_ERRNO(rpc_string_binding_parse("ncacn_ip_tcp:host[0]", &b), -EINVAL);
        ASSERT_ERRNO(rpc_string_binding_parse("ncacn_ip_tcp:host[99999]", &b), -EINVAL);
        ASSERT_ERRNO(rpc_string_binding_parse("ncacn_ip_tcp:host[1", &b), -EINVAL);
        ASSERT_ERRNO(rpc_string_binding_parse("not-a-uuid@ncalrpc:", &b), -EINVAL);
        ASSERT_ERRNO(rpc_string_binding_parse("nocolon", &b), -EINVAL);
}

/* --- calls ------------------------------------------------------------------------------------ */

static void calls_on(const char *binding, enum rpc_protseq want) {
        struct rpc_binding *b;
        LONG y = 0, ret = -1;
        int64_t owner = 0;
        ULONG ps = 0;

        ASSERT_OK(rpc_binding_from_string(binding, &b));
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 41, &y, &ret));
        ASSERT_EQ(y, 42);
        ASSERT_EQ(ret, 0);
        ASSERT_OK(RpcTest_RtOwner((handle_t)b, &owner, &ps, &ret));
        ASSERT_NE(owner, 0);
        ASSERT_EQ(ps, want);

        /* 200 KiB each way: many fragments in both directions */
        ULONG n = 200 * 1024;
        BYTE *in = malloc(n), *out = calloc(1, n);
        ASSERT_NOT_NULL(in);
        ASSERT_NOT_NULL(out);
        for (ULONG i = 0; i < n; i++)
                in[i] = (BYTE)(i * 7);
        ASSERT_OK(RpcTest_RtEcho((handle_t)b, n, in, out, &ret));
        ASSERT_EQ(ret, (LONG)n);
        for (ULONG i = 0; i < n; i += 4099)
                ASSERT_EQ(out[i], (BYTE)((i * 7) ^ 0x5a));
        ASSERT_EQ(out[n - 1], (BYTE)(((n - 1) * 7) ^ 0x5a));
        free(in);
        free(out);

        /* a second interface on the same connection: alter_context */
        rpc_if_id_vector_p_t v = NULL;
        error_status_t st = 1;
        ASSERT_OK(mgmt_rpc__mgmt_inq_if_ids((handle_t)b, &v, &st));
        ASSERT_EQ(st, 0);
        ASSERT_NOT_NULL(v);
        ASSERT_EQ(v->count, 2);
        bool found = false;
        for (unsigned i = 0; i < v->count; i++) {
                if (dcom_guid_equal(&v->if_id[i]->uuid, &RpcTest_v1_1_s_interface.uuid) &&
                    v->if_id[i]->vers_major == 1 && v->if_id[i]->vers_minor == 1)
                        found = true;
                midl_user_free(v->if_id[i]);
        }
        midl_user_free(v);
        ASSERT_TRUE(found);
        boolean32 listening = 0;
        ASSERT_OK(mgmt_rpc__mgmt_is_server_listening((handle_t)b, &st, &listening));
        ASSERT_EQ(listening, 1);
        ASSERT_OK(mgmt_rpc__mgmt_stop_server_listening((handle_t)b, &st));
        ASSERT_EQ(st, 5);       /* refused remotely */
        /* back to the first interface: its context is still bound */
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_EQ(y, 2);
        rpc_binding_free(b);
}

TEST(calls_tcp) {
        start();
        calls_on(tcp_binding, RPC_PROTSEQ_TCP);
}

TEST(calls_lrpc) {
        start();
        calls_on(lrpc_binding, RPC_PROTSEQ_LRPC);
}

TEST(calls_ipv6) {
        uint16_t p6;
        char s[64];
        int r;

        start();
        r = rpc_server_listen_tcp(srv, "::1", 0, &p6);
        if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
                fprintf(stderr, "note: no IPv6 loopback here: %s\n", strerror(-r));
                return;
        }
        ASSERT_OK(r);
        snprintf(s, sizeof s, "ncacn_ip_tcp:::1[%u]", p6);
        calls_on(s, RPC_PROTSEQ_TCP);
}

TEST(statuses) {
        struct rpc_binding *b;
        LONG y, ret;
        int r;

        start();
        /* nobody listening */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof sa;
        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &sl));
        close(fd);      /* a port nobody listens on */
        char s[64];
        snprintf(s, sizeof s, "ncacn_ip_tcp:127.0.0.1[%u]", ntohs(sa.sin_port));
        ASSERT_OK(rpc_binding_from_string(s, &b));
        r = RpcTest_RtNull((handle_t)b, 1, &y, &ret);
        ASSERT_EQ(rpc_binding_status(b, r), RPC_S_SERVER_UNAVAILABLE);
        rpc_binding_free(b);
        ASSERT_OK(rpc_binding_from_string("ncalrpc:[no-such-endpoint]", &b));
        r = RpcTest_RtNull((handle_t)b, 1, &y, &ret);
        ASSERT_EQ(rpc_binding_status(b, r), RPC_S_SERVER_UNAVAILABLE);
        rpc_binding_free(b);

        /* an interface the server does not have */
        static struct ndr_interface other;
        other = RpcTest_v1_1_s_interface;
        other.ver_major = 2;
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        struct ndr_push in;
        struct ndr_pull out;
        struct arena a;
        ndr_push_init(&in, 0);
        arena_init(&a, 0);
        ndr_push_uint32(&in, 1);
        r = b ? ((struct ndr_binding *)b)->call((struct ndr_binding *)b, &other, 0, &in, &out, &a) : -1;
        ASSERT_EQ(rpc_binding_status(b, r), RPC_S_UNKNOWN_IF);
        /* an opnum past the interface: a fault, and the connection stays */
        r = ((struct ndr_binding *)b)->call((struct ndr_binding *)b, &RpcTest_v1_1_s_interface, 9,
                                             &in, &out, &a);
        ASSERT_ERRNO(r, -EREMOTEIO);
        ASSERT_EQ(rpc_binding_fault(b), NCA_S_OP_RNG_ERROR);
        ASSERT_EQ(rpc_binding_status(b, r), RPC_S_PROCNUM_OUT_OF_RANGE);
        /* a stub the server cannot read: nca_s_fault_ndr / RPC_X_BAD_STUB_DATA */
        ndr_push_reset(&in);
        r = ((struct ndr_binding *)b)->call((struct ndr_binding *)b, &RpcTest_v1_1_s_interface, 1,
                                             &in, &out, &a);
        ASSERT_ERRNO(r, -EREMOTEIO);
        ASSERT_EQ(rpc_binding_status(b, r), RPC_X_BAD_STUB_DATA);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 5, &y, &ret));
        ASSERT_EQ(y, 6);
        ndr_push_free(&in);
        arena_reset(&a);
        rpc_binding_free(b);
}

/* --- hostile peers --------------------------------------------------------------------------- */

static int raw_connect(void) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct timeval tv = { 5, 0 };
        ASSERT_GE(fd, 0);
        ASSERT_OK(connect(fd, (struct sockaddr *)&sa, sizeof sa));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
}

/* Reads one PDU (or end of file: returns 0); its type in *ptype. */
static size_t raw_read(int fd, uint8_t *buf, size_t size, uint8_t *ptype) {
        size_t got = 0, want = 16;
        while (got < want) {
                ssize_t n = recv(fd, buf + got, want - got, 0);
                if (n <= 0)
                        return 0;
                got += (size_t)n;
                if (got >= 16 && want == 16)
                        want = (size_t)(buf[8] | buf[9] << 8);
                ASSERT_LE(want, size);
        }
        *ptype = buf[2];
        return got;
}

static bool raw_closed(int fd) {
        uint8_t b[64];
        ssize_t n;
        do
                n = recv(fd, b, sizeof b, 0);
        while (n > 0);
        return n == 0;
}

/* A bind for RpcTest v1.1, NDR 2.0, context id ctx. */
static size_t make_bind(uint8_t *p, uint16_t ctx, uint32_t call_id) {
        struct buf b;
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, RPC_PTYPE_BIND, 3, call_id);
        rpc_put_u16(&b, 4280);
        rpc_put_u16(&b, 4280);
        rpc_put_u32(&b, 0);
        buf_put_u8(&b, 1);
        buf_put_u8(&b, 0);
        rpc_put_u16(&b, 0);
        rpc_put_u16(&b, ctx);
        buf_put_u8(&b, 1);
        buf_put_u8(&b, 0);
        struct rpc_syntax_id as = { RpcTest_v1_1_s_interface.uuid, 1, 1 };
        rpc_put_syntax(&b, &as);
        rpc_put_syntax(&b, &rpc_syntax_ndr20);
        rpc_pdu_end(&b, start);
        size_t n = b.len;
        memcpy(p, b.data, n);
        buf_free(&b);
        return n;
}

static size_t make_request(uint8_t *p, uint32_t call_id, uint16_t ctx, uint16_t opnum, uint8_t flags,
                           uint32_t alloc_hint, const void *stub, size_t len) {
        struct buf b;
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, RPC_PTYPE_REQUEST, flags, call_id);
        rpc_put_u32(&b, alloc_hint);
        rpc_put_u16(&b, ctx);
        rpc_put_u16(&b, opnum);
        buf_append(&b, stub, len);
        rpc_pdu_end(&b, start);
        size_t n = b.len;
        memcpy(p, b.data, n);
        buf_free(&b);
        return n;
}

static void still_serving(void) {
        struct rpc_binding *b;
        LONG y = 0, ret;
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 7, &y, &ret));
        ASSERT_EQ(y, 8);
        rpc_binding_free(b);
}

TEST(hostile_peers) {
        uint8_t pdu[4096], rd[8192], t;
        size_t n;
        int fd;
        static const uint8_t x4[4] = { 1, 0, 0, 0 };

        start();
        /* a wrong version: closed */
        fd = raw_connect();
        n = make_bind(pdu, 0, 1);
        pdu[0] = 4;
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);
        still_serving();

        /* a request before bind: a fault, then closed */
        fd = raw_connect();
        n = make_request(pdu, 1, 0, 0, 3, 4, x4, 4);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_FAULT);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        /* frag_length beyond what is sent, then the peer goes: nothing leaks */
        fd = raw_connect();
        n = make_bind(pdu, 0, 1);
        pdu[8] = 0xff;
        pdu[9] = 0x7f;
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        close(fd);

        /* a truncated PDU (half a header), then the peer goes */
        fd = raw_connect();
        ASSERT_EQ(send(fd, pdu, 7, 0), 7);
        close(fd);
        still_serving();

        /* bound: unknown context id, op range, huge alloc_hint, fragments out of order */
        fd = raw_connect();
        n = make_bind(pdu, 5, 1);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_BIND_ACK);
        n = make_request(pdu, 2, 9, 0, 3, 4, x4, 4);            /* context 9: never bound */
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_FAULT);
        ASSERT_EQ(rd[24] | rd[25] << 8 | rd[26] << 16 | (uint32_t)rd[27] << 24, NCA_S_UNK_IF);
        n = make_request(pdu, 3, 5, 77, 3, 4, x4, 4);           /* opnum 77 */
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(rd[24] | rd[25] << 8 | rd[26] << 16 | (uint32_t)rd[27] << 24, NCA_S_OP_RNG_ERROR);
        n = make_request(pdu, 4, 5, 0, 3, 0xfffffff0u, x4, 4); /* alloc_hint: ignored */
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_RESPONSE);
        n = make_request(pdu, 5, 5, 0, 0, 4, x4, 4);            /* a middle fragment first */
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_FAULT);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);

        /* a second bind on a bound connection: bind_nak */
        fd = raw_connect();
        n = make_bind(pdu, 0, 1);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_BIND_NAK);
        close(fd);

        /* the first fragment of many calls at once: bounded, then a fault and closed */
        fd = raw_connect();
        n = make_bind(pdu, 0, 1);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        for (uint32_t id = 10; id < 30; id++) {
                n = make_request(pdu, id, 0, 1, RPC_PFC_FIRST_FRAG, 4, x4, 4);
                if (send(fd, pdu, n, MSG_NOSIGNAL) != (ssize_t)n)
                        break;
        }
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_FAULT);
        ASSERT_TRUE(raw_closed(fd));
        close(fd);
        still_serving();
}

TEST(protocol_details) {
        uint8_t pdu[4096], rd[8192], t;
        size_t n;
        int fd, fd2;
        static const uint8_t x4[4] = { 1, 0, 0, 0 };

        start();
        /* NDR64 only: declined, transfer syntaxes not supported; the bind still acks */
        fd = raw_connect();
        n = make_bind(pdu, 0, 1);
        memcpy(pdu + 16 + 12 + 4 + 20, "\x33\x05\x71\x71\xba\xbe\x37\x49\x83\x19\xb5\xdb\xef\x9c\xcc\x36\x01\x00\x00\x00", 20);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_BIND_ACK);
        /* the result list after sec_addr ("<port>\0") and padding */
        size_t sl = (size_t)(rd[24] | rd[25] << 8), off = 26 + sl;
        off = (off + 3) & ~(size_t)3;
        ASSERT_EQ(rd[off], 1);
        ASSERT_EQ(rd[off + 4] | rd[off + 5] << 8, RPC_RESULT_PROVIDER_REJECTION);
        ASSERT_EQ(rd[off + 6] | rd[off + 7] << 8, RPC_REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED);
        uint32_t group = rd[20] | rd[21] << 8 | rd[22] << 16 | (uint32_t)rd[23] << 24;
        ASSERT_NE(group, 0);

        /* a second connection joins the first one's association group */
        fd2 = raw_connect();
        n = make_bind(pdu, 0, 1);
        memcpy(pdu + 20, &group, 4);
        ASSERT_EQ(send(fd2, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd2, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_BIND_ACK);
        ASSERT_EQ(rd[20] | rd[21] << 8 | rd[22] << 16 | (uint32_t)rd[23] << 24, group);
        close(fd2);
        /* an association group nobody has: bind_nak */
        fd2 = raw_connect();
        n = make_bind(pdu, 0, 1);
        memcpy(pdu + 20, "\xfe\xff\xff\x7f", 4);
        ASSERT_EQ(send(fd2, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd2, rd, sizeof rd, &t), 0);
        ASSERT_EQ(t, RPC_PTYPE_BIND_NAK);
        close(fd2);
        close(fd);

        /* pipelined: two requests (the same call_id, as peers reuse them) sent before the
           first answer, one with PFC_OBJECT_UUID; both answered in order */
        fd = raw_connect();
        n = make_bind(pdu, 0, 1);
        ASSERT_EQ(send(fd, pdu, n, 0), (ssize_t)n);
        ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
        size_t n1 = make_request(pdu, 1, 0, 0, 3, 4, x4, 4);
        uint8_t obj[4 + 16 + 4];
        memcpy(obj, "\x04\0\0\0", 4);
        memset(obj + 4, 0xab, 16);
        size_t n2 = make_request(pdu + n1, 1, 0, 0, 3 | RPC_PFC_OBJECT_UUID, 4, x4, 4);
        /* the object uuid goes between the request header and the stub */
        memmove(pdu + n1 + 24 + 16, pdu + n1 + 24, 4);
        memset(pdu + n1 + 24, 0xab, 16);
        pdu[n1 + 8] = (uint8_t)(n2 + 16);
        ASSERT_EQ(send(fd, pdu, n1 + n2 + 16, 0), (ssize_t)(n1 + n2 + 16));
        for (int i = 0; i < 2; i++) {
                ASSERT_GT(raw_read(fd, rd, sizeof rd, &t), 0);
                ASSERT_EQ(t, RPC_PTYPE_RESPONSE);
                ASSERT_EQ(rd[24], 2);   /* y = x + 1 */
        }
        close(fd);
}

static uint64_t deadline_ns;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *client_main(void *arg) {
        struct rpc_binding *b;
        unsigned *fails = arg;
        LONG y, ret;

        if (rpc_binding_from_string(tcp_binding, &b) < 0) {
                __atomic_add_fetch(fails, 1, __ATOMIC_RELAXED);
                return NULL;
        }
        /* calls until the deadline, at least a few */
        for (int i = 0; i < 5 || now_ns() < deadline_ns; i++)
                if (RpcTest_RtNull((handle_t)b, i, &y, &ret) < 0 || y != i + 1) {
                        __atomic_add_fetch(fails, 1, __ATOMIC_RELAXED);
                        break;
                }
        rpc_binding_free(b);
        return NULL;
}

/* The server's per-connection state back to nothing once its clients are gone. */
static void wait_idle(void) {
        unsigned workers = 1, assocs = 1;
        for (int i = 0; i < 500 && (workers || assocs); i++) {
                rpc_server_counts(srv, &workers, &assocs);
                if (workers || assocs)
                        usleep(10000);
        }
        ASSERT_EQ(workers, 0);
        ASSERT_EQ(assocs, 0);
}

TEST(server_too_busy) {
        struct rpc_binding *a, *b;
        LONG y, ret;

        start();
        wait_idle();
        rpc_server_set_max_connections(srv, 1);
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &a));
        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        ASSERT_OK(RpcTest_RtNull((handle_t)a, 1, &y, &ret));      /* a holds the one slot */
        int r = RpcTest_RtNull((handle_t)b, 1, &y, &ret);
        ASSERT_EQ(rpc_binding_status(b, r), RPC_S_SERVER_TOO_BUSY);
        rpc_binding_free(a);
        wait_idle();
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 2, &y, &ret));      /* now there is room */
        ASSERT_EQ(y, 3);
        rpc_binding_free(b);
        rpc_server_set_max_connections(srv, 0);
        wait_idle();
}

TEST(client_timeout) {
        /* a server that accepts and never answers */
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof sa;
        struct rpc_binding *b;
        LONG y, ret;
        char s[64];

        ASSERT_OK(bind(lfd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(listen(lfd, 1));
        ASSERT_OK(getsockname(lfd, (struct sockaddr *)&sa, &sl));
        snprintf(s, sizeof s, "ncacn_ip_tcp:127.0.0.1[%u]", ntohs(sa.sin_port));
        ASSERT_OK(rpc_binding_from_string(s, &b));
        rpc_binding_set_timeout(b, 300);
        int r = RpcTest_RtNull((handle_t)b, 1, &y, &ret);
        ASSERT_ERRNO(r, -ETIMEDOUT);
        ASSERT_EQ(rpc_binding_status(b, r), RPC_S_CALL_FAILED_DNE);
        rpc_binding_free(b);
        close(lfd);
}

/* --- many clients ----------------------------------------------------------------------------- */

#define CLIENTS 200

TEST(many_clients) {
        pthread_t th[CLIENTS];
        unsigned fails = 0;

        start();
        wait_idle();
        /* two rounds of 200 connections calling for ~1.5 s: no error, and the server holds
           nothing of them afterwards (the same after each round: no growth) */
        for (int round = 0; round < 2; round++) {
                unsigned started = 0;
                struct rpc_stats before, after;
                rpc_server_get_stats(srv, &before);
                deadline_ns = now_ns() + 1500000000u;
                for (int i = 0; i < CLIENTS; i++)
                        if (pthread_create(&th[i], NULL, client_main, &fails) == 0)
                                started++;
                        else
                                break;
                ASSERT_GT(started, 100);
                for (unsigned i = 0; i < started; i++)
                        pthread_join(th[i], NULL);
                ASSERT_EQ(fails, 0);
                rpc_server_get_stats(srv, &after);
                ASSERT_GE(after.calls_in - before.calls_in, started * 5);
                wait_idle();
        }
}

TEST(zz_stop) {
        start();
        rpc_server_free(srv);
        srv = NULL;
}
