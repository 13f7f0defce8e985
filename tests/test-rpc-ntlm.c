/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM end to end in one process: our client (rpc_binding_set_auth) against our server
 * over TCP and ncalrpc, with an account of the real store (accounts.c) in this test's own
 * OPENDCOM_ROOT -- at CONNECT, PKT_INTEGRITY and PKT_PRIVACY, 200 KiB each way (many
 * signed or sealed fragments in both directions), a second interface on the connection
 * (alter_context under the same security context), the caller's identity and level as
 * the server sees them; a wrong password, an unknown user and a disabled account denied
 * (fault 5) while the server keeps serving; an interface with a minimum level refusing
 * calls below it; anonymous NTLM.
 */
#include <stdio.h>
#include <unistd.h>

#include "mgmt_stub.h"
#include "rpc/auth/accounts.h"
#include "rpc/rpc-internal.h"
#include "rpctest_stub.h"
#include "rpctest-calls.h"
#include "test.h"

#define ACCESS_DENIED 5

static struct {
        uint8_t level, type;
        struct rpc_identity id;
        int id_r;
        bool has_object;
        GUID object;
        uint64_t owner;
} seen;

static LONG rt_null(handle_t h, LONG x, LONG *y) {
        void *ctx;

        rpc_call_auth(h, &seen.type, &seen.level, &ctx);
        seen.id_r = rpc_call_identity(h, &seen.id);
        const GUID *o = rpc_call_object(h);
        seen.has_object = o != NULL;
        if (o)
                seen.object = *o;
        seen.owner = rpc_call_owner(h);
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

static struct rpc_server *srv, *strict;
static char tcp_binding[64], lrpc_binding[64], strict_binding[64];

static void start(void) {
        uint16_t port, sport;

        if (srv)
                return;
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        ASSERT_OK(accounts_set_password("carol", "Secret-3"));
        ASSERT_OK(accounts_set_password("bob", "Secret-2"));
        ASSERT_OK(accounts_set_disabled("carol", true));
        srv = rpc_server_new();
        ASSERT_NOT_NULL(srv);
        ASSERT_OK(rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &rt_epv));
        ASSERT_OK(rpc_server_listen_tcp(srv, "127.0.0.1", 0, &port));
        char name[32];
        snprintf(name, sizeof name, "ntlm-%d", (int)getpid());
        ASSERT_OK(rpc_server_listen_lrpc(srv, name, 0600));
        snprintf(tcp_binding, sizeof tcp_binding, "ncacn_ip_tcp:127.0.0.1[%u]", port);
        snprintf(lrpc_binding, sizeof lrpc_binding, "ncalrpc:[%s]", name);

        /* the same interface where it requires PKT_PRIVACY */
        strict = rpc_server_new();
        ASSERT_NOT_NULL(strict);
        ASSERT_ERRNO(rpc_server_register_if2(strict, &RpcTest_v1_1_s_interface, &rt_epv, 7),
                     -EINVAL);
        ASSERT_OK(rpc_server_register_if2(strict, &RpcTest_v1_1_s_interface, &rt_epv,
                                          RPC_AUTHN_LEVEL_PKT_PRIVACY));
        ASSERT_OK(rpc_server_listen_tcp(strict, "127.0.0.1", 0, &sport));
        snprintf(strict_binding, sizeof strict_binding, "ncacn_ip_tcp:127.0.0.1[%u]", sport);
}

static struct rpc_binding *bind_as(const char *s, uint8_t level, const char *user,
                                   const char *password) {
        struct rpc_binding *b;
        struct rpc_auth_identity id = { .user = user, .domain = "WORKGROUP", .password = password };

        ASSERT_OK(rpc_binding_from_string(s, &b));
        rpc_binding_set_timeout(b, 10000);
        if (level > RPC_AUTHN_LEVEL_NONE)
                ASSERT_OK(rpc_binding_set_auth(b, level, RPC_AUTHN_WINNT, &id));
        return b;
}

static void calls_at(const char *s, uint8_t level) {
        struct rpc_binding *b = bind_as(s, level, "Alice", "Secret-1");
        LONG y = 0, ret = -1;

        memset(&seen, 0, sizeof seen);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 41, &y, &ret));
        ASSERT_EQ(y, 42);
        ASSERT_EQ(seen.type, RPC_AUTHN_WINNT);
        ASSERT_EQ(seen.level, level);
        ASSERT_OK(seen.id_r);
        ASSERT_STR_EQ(seen.id.user, "alice");           /* the account's own spelling */
        ASSERT_FALSE(seen.id.anonymous);
        ASSERT_EQ(strncmp(seen.id.sid, "S-1-5-21-", 9), 0);

        rpctest_echo((handle_t)b, 200 * 1024);

        /* another interface on the connection: alter_context, the same security */
        rpctest_second_interface((handle_t)b);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_EQ(y, 2);
        ASSERT_EQ(seen.level, level);
        rpc_binding_free(b);
}

TEST(levels_tcp) {
        start();
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_CONNECT);
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT);     /* signed, as PKT_INTEGRITY */
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
}

TEST(levels_lrpc) {
        start();
        calls_at(lrpc_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        calls_at(lrpc_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
}

static void denied(const char *s, uint8_t level, const char *user, const char *password) {
        struct rpc_binding *b = bind_as(s, level, user, password);
        LONG y = 0, ret = -1;

        ASSERT_ERRNO(RpcTest_RtNull((handle_t)b, 1, &y, &ret), -EREMOTEIO);
        ASSERT_EQ(rpc_binding_fault(b), ACCESS_DENIED);
        rpc_binding_free(b);
}

TEST(refusals) {
        start();
        denied(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY, "alice", "wrong");
        denied(tcp_binding, RPC_AUTHN_LEVEL_CONNECT, "alice", "wrong");
        denied(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "mallory", "Secret-1");
        denied(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "carol", "Secret-3");
        /* and the server goes on serving */
        calls_at(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY);
}

TEST(minimum_level) {
        struct rpc_binding *b;
        LONG y = 0, ret = -1;

        start();
        denied(strict_binding, RPC_AUTHN_LEVEL_NONE, NULL, NULL);
        denied(strict_binding, RPC_AUTHN_LEVEL_CONNECT, "alice", "Secret-1");
        denied(strict_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "alice", "Secret-1");
        b = bind_as(strict_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY, "alice", "Secret-1");
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_EQ(y, 2);
        rpc_binding_free(b);

        /* an interface requiring PKT: PKT is given as PKT_INTEGRITY (every PDU signed)
           and CALL is sent as PKT ([MS-RPCE] 2.2.1.1.8), so both meet it; CONNECT does not */
        struct rpc_server *pkt = rpc_server_new();
        uint16_t pport;
        char pb[64];
        ASSERT_NOT_NULL(pkt);
        ASSERT_OK(rpc_server_register_if2(pkt, &RpcTest_v1_1_s_interface, &rt_epv,
                                          RPC_AUTHN_LEVEL_PKT));
        ASSERT_OK(rpc_server_listen_tcp(pkt, "127.0.0.1", 0, &pport));
        snprintf(pb, sizeof pb, "ncacn_ip_tcp:127.0.0.1[%u]", pport);
        denied(pb, RPC_AUTHN_LEVEL_CONNECT, "alice", "Secret-1");
        b = bind_as(pb, RPC_AUTHN_LEVEL_CALL, "alice", "Secret-1");
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT);
        rpc_binding_free(b);
        b = bind_as(pb, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "alice", "Secret-1");
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        rpc_binding_free(b);
        rpc_server_free(pkt);
}

TEST(anonymous) {
        struct rpc_binding *b;
        LONG y = 0, ret = -1;

        start();
        b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY, "", "");
        memset(&seen, 0, sizeof seen);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_OK(seen.id_r);
        ASSERT_TRUE(seen.id.anonymous);
        ASSERT_STR_EQ(seen.id.sid, "S-1-5-7");
        rpc_binding_free(b);
        /* unauthenticated: no identity */
        b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_NONE, NULL, NULL);
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 1, &y, &ret));
        ASSERT_ERRNO(seen.id_r, -ENODATA);
        ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_NONE);
        rpc_binding_free(b);
        ASSERT_ERRNO(rpc_binding_set_auth(b = bind_as(tcp_binding, 0, NULL, NULL), 6, 99, NULL),
                     -EPROTONOSUPPORT);
        rpc_binding_free(b);
}

/* Per-call handles: each call its own object UUID (ORPC's IPIDs) on one sealed connection. */
TEST(per_call_object) {
        struct rpc_binding *b;
        struct rpc_call_handle h1, h2, plain;
        GUID g1 = { 0x11111111, 1, 1, { 1 } }, g2 = { 0x22222222, 2, 2, { 2 } };
        LONG y = 0, ret = -1;
        uint64_t owner;

        start();
        b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY, "alice", "Secret-1");
        rpc_call_handle_init(&h1, b, &g1);
        rpc_call_handle_init(&h2, b, &g2);
        rpc_call_handle_init(&plain, b, NULL);
        ASSERT_OK(RpcTest_RtNull((handle_t)&h1, 1, &y, &ret));
        ASSERT_TRUE(seen.has_object);
        ASSERT_TRUE(dcom_guid_equal(&seen.object, &g1));
        owner = seen.owner;
        ASSERT_OK(RpcTest_RtNull((handle_t)&h2, 2, &y, &ret));
        ASSERT_TRUE(dcom_guid_equal(&seen.object, &g2));
        ASSERT_EQ(seen.owner, owner);                   /* the same association */
        ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_PRIVACY);
        ASSERT_OK(RpcTest_RtNull((handle_t)&plain, 3, &y, &ret));
        ASSERT_FALSE(seen.has_object);
        ASSERT_EQ(plain.fault, 0);
        ASSERT_EQ(plain.last_error, 0);
        rpc_binding_free(b);

        /* a refused call's fault is the handle's */
        b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_PKT_PRIVACY, "alice", "wrong");
        rpc_call_handle_init(&h1, b, &g1);
        ASSERT_ERRNO(RpcTest_RtNull((handle_t)&h1, 1, &y, &ret), -EREMOTEIO);
        ASSERT_EQ(h1.fault, ACCESS_DENIED);
        rpc_binding_free(b);
}

/*
 * Per-call security: one connection, the binding's context (alice, PKT_INTEGRITY) and a
 * call handle's own (bob, PKT_PRIVACY) opened by alter_context under a new
 * auth_context_id; each call is what it says it is.
 */
TEST(per_call_security) {
        struct rpc_auth_identity bob = { .user = "bob", .password = "Secret-2" };
        struct rpc_call_handle h, plain, wrong;
        struct rpc_binding *b;
        LONG y = 0, ret = -1;

        start();
        b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "alice", "Secret-1");
        rpc_call_handle_init(&h, b, NULL);
        rpc_call_handle_init(&plain, b, NULL);
        ASSERT_ERRNO(rpc_call_handle_set_auth(&h, RPC_AUTHN_LEVEL_CONNECT, RPC_AUTHN_WINNT, &bob),
                     -EINVAL);
        ASSERT_OK(rpc_call_handle_set_auth(&h, RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, &bob));
        for (int round = 0; round < 3; round++) {
                ASSERT_OK(RpcTest_RtNull((handle_t)&plain, 1, &y, &ret));
                ASSERT_STR_EQ(seen.id.user, "alice");
                ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
                uint64_t owner = seen.owner;
                ASSERT_OK(RpcTest_RtNull((handle_t)&h, 2, &y, &ret));
                ASSERT_STR_EQ(seen.id.user, "bob");
                ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_PRIVACY);
                ASSERT_EQ(seen.owner, owner);           /* the same connection */
        }
        /* a wrong password on a per-call context: that call is denied, the others go on */
        struct rpc_auth_identity bad = { .user = "bob", .password = "nope" };
        rpc_call_handle_init(&wrong, b, NULL);
        ASSERT_OK(rpc_call_handle_set_auth(&wrong, RPC_AUTHN_LEVEL_PKT_INTEGRITY, RPC_AUTHN_WINNT,
                                           &bad));
        ASSERT_ERRNO(RpcTest_RtNull((handle_t)&wrong, 3, &y, &ret), -EREMOTEIO);
        ASSERT_EQ(wrong.fault, ACCESS_DENIED);
        /* the same user and level with another password: not bob's context again */
        struct rpc_call_handle wrong2;
        rpc_call_handle_init(&wrong2, b, NULL);
        ASSERT_OK(rpc_call_handle_set_auth(&wrong2, RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT,
                                           &bad));
        ASSERT_ERRNO(RpcTest_RtNull((handle_t)&wrong2, 3, &y, &ret), -EREMOTEIO);
        ASSERT_EQ(wrong2.fault, ACCESS_DENIED);
        ASSERT_OK(RpcTest_RtNull((handle_t)&h, 4, &y, &ret));
        ASSERT_STR_EQ(seen.id.user, "bob");
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 5, &y, &ret));
        ASSERT_STR_EQ(seen.id.user, "alice");
        rpc_binding_free(b);

        /* an unauthenticated binding, a per-call context on top of it */
        b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_NONE, NULL, NULL);
        rpc_call_handle_init(&h, b, NULL);
        ASSERT_OK(rpc_call_handle_set_auth(&h, RPC_AUTHN_LEVEL_PKT_INTEGRITY, RPC_AUTHN_WINNT, &bob));
        ASSERT_OK(RpcTest_RtNull((handle_t)b, 6, &y, &ret));
        ASSERT_ERRNO(seen.id_r, -ENODATA);
        ASSERT_OK(RpcTest_RtNull((handle_t)&h, 7, &y, &ret));
        ASSERT_STR_EQ(seen.id.user, "bob");
        ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        rpc_binding_free(b);
}

/* [MS-RPCE] 2.2.2.13: the trailer our client writes, and every way the server refuses one. */
TEST(verification_trailer) {
        struct rpc_vt_call v = {
                .abstract = { RpcTest_v1_1_s_interface.uuid, 1, 1 },
                .transfer = rpc_syntax_ndr20,
                .drep = { 0x10, 0, 0, 0 }, .call_id = 7, .context_id = 2, .opnum = 1,
                .header_signing = true,
        };
        struct buf b;
        size_t n;

        buf_init(&b, 0);
        buf_append(&b, "stub-of-13-by", 13);
        rpc_sec_vt_append(&b, 0, &v);
        ASSERT_EQ(b.len, 16 + 8 + 8 + 44 + 20);        /* aligned to 4, magic, 3 commands */
        ASSERT_OK(rpc_sec_vt_check(b.data, b.len, &v, &n));
        ASSERT_EQ(n, 16);
        /* no trailer: the stub as it is */
        ASSERT_OK(rpc_sec_vt_check(b.data, 13, &v, &n));
        ASSERT_EQ(n, 13);
        /* each field that must match */
        struct rpc_vt_call w = v;
        w.call_id = 8;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        w = v;
        w.opnum = 0;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        w = v;
        w.context_id = 0;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        w = v;
        w.abstract.ver_minor = 0;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        w = v;
        w.transfer = rpc_syntax_ndr64;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        /* the client supports header signing, the server never saw it offered: downgrade */
        w = v;
        w.header_signing = false;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        /* truncated: malformed */
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len - 3, &v, &n), -EBADMSG);
        /* an unknown command: skipped, unless it must be processed */
        uint8_t *cmd = b.data + 16 + 8;                 /* the bitmask command */
        cmd[0] = 0x7f;
        ASSERT_OK(rpc_sec_vt_check(b.data, b.len, &v, &n));
        cmd[1] = 0x80;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &v, &n), -EACCES);
        buf_free(&b);

        /* the magic inside the stub's data as well (aligned, then not): the trailer is the
           last occurrence, where it ends the stub */
        static const uint8_t magic[8] = { 0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71 };
        for (size_t at = 0; at < 4; at++) {
                buf_init(&b, 0);
                buf_append(&b, "....", at);   /* filler before the magic */
                buf_append(&b, magic, 8);
                buf_append(&b, "data", 4);
                size_t stub = b.len;
                rpc_sec_vt_append(&b, 0, &v);
                ASSERT_OK(rpc_sec_vt_check(b.data, b.len, &v, &n));
                ASSERT_EQ(n, (stub + 3) & ~(size_t)3);
                /* and a stub that is only the magic, with no trailer after it: malformed */
                ASSERT_ERRNO(rpc_sec_vt_check(b.data, at + 8, &v, &n), at ? 0 : -EBADMSG);
                buf_free(&b);
        }
}

static uint8_t *be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
        return p + 2;
}

static uint8_t *be32(uint8_t *p, uint32_t v) {
        return be16(be16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

/* An RPC_SYNTAX_IDENTIFIER in big-endian NDR: the GUID's three integers too. */
static uint8_t *be_syntax(uint8_t *p, const struct rpc_syntax_id *s) {
        p = be32(p, s->uuid.Data1);
        p = be16(p, s->uuid.Data2);
        p = be16(p, s->uuid.Data3);
        memcpy(p, s->uuid.Data4, 8);
        return be16(be16(p + 8, s->ver_major), s->ver_minor);
}

/*
 * [MS-RPCE] 2.2.2.13 under a big-endian drep (drep[0] 0x00): the trailer is little-endian
 * all the same, as Samba's big-endian client writes it and Samba's server reads it
 * (test-interop-echo's bigendian,seal run sends one); one written big-endian, made here
 * by hand from the spec's layout, is malformed.
 */
TEST(verification_trailer_big_endian) {
        struct rpc_vt_call v = {
                .abstract = { RpcTest_v1_1_s_interface.uuid, 1, 1 },
                .transfer = rpc_syntax_ndr20,
                .drep = { 0x00, 0, 0, 0 }, .call_id = 0x01020304, .context_id = 0x0506,
                .opnum = 0x0708, .header_signing = true,
        };
        static const uint8_t magic[8] = { 0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71 };
        uint8_t t[8 + 8 + 4 + 4 + 40 + 4 + 16], *p = t;
        struct buf b;
        size_t n;

        /* Samba's: a little-endian trailer, with the request's big-endian drep in it */
        buf_init(&b, 0);
        buf_append(&b, "stub", 4);
        rpc_sec_vt_append(&b, 0, &v);
        ASSERT_OK(rpc_sec_vt_check(b.data, b.len, &v, &n));
        ASSERT_EQ(n, 4);
        struct rpc_vt_call w = v;
        w.call_id++;
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        w = v;
        w.drep[0] = 0x10;                       /* the drep it names is checked */
        ASSERT_ERRNO(rpc_sec_vt_check(b.data, b.len, &w, &n), -EACCES);
        buf_free(&b);

        /* the same trailer in big-endian NDR */
        memcpy(t, "stub", 4);
        memcpy(p += 4, magic, 8);
        p = be32(be16(be16(p + 8, 0x0001), 4), 1);              /* BITMASK_1: header signing */
        p = be_syntax(be_syntax(be16(be16(p, 0x0002), 40), &v.abstract), &v.transfer);
        p = be16(be16(p, 0x4003), 16);                          /* HEADER2, END */
        memset(p, 0, 8);                                        /* PTYPE request, drep 0 */
        p = be32(p + 8, v.call_id);
        p = be16(be16(p, v.context_id), v.opnum);
        ASSERT_EQ((size_t)(p - t), sizeof t);
        ASSERT_ERRNO(rpc_sec_vt_check(t, sizeof t, &v, &n), -EBADMSG);
}

/*
 * A client that bound an older minor version of the interface (v1.0 of RpcTest v1.1, which
 * the server accepts) names that version in its verification trailer: the server checks
 * the trailer against what this context bound, not against what it registered (the call
 * was refused, access denied).
 */
TEST(verification_trailer_bound_version) {
        struct rpc_binding *b = bind_as(tcp_binding, RPC_AUTHN_LEVEL_PKT_INTEGRITY, "alice",
                                        "Secret-1");
        struct ndr_interface v10 = RpcTest_v1_1_s_interface;
        struct ndr_push in;
        struct ndr_pull out;
        struct arena a;
        int32_t y = 0, ret = -1;

        v10.ver_minor = 0;
        ndr_push_init(&in, 0);
        ndr_push_int32(&in, 41);
        arena_init(&a, 1 << 20);
        memset(&seen, 0, sizeof seen);
        ASSERT_OK(ndr_client_call((handle_t)b, &v10, 0, &in, &out, &a));
        ASSERT_OK(ndr_pull_int32(&out, &y));
        ASSERT_OK(ndr_pull_int32(&out, &ret));
        ASSERT_EQ(y, 42);
        ASSERT_EQ(seen.level, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        arena_reset(&a);
        ndr_push_free(&in);
        rpc_binding_free(b);
}

TEST(zz_stop) {
        rpc_server_free(srv);
        rpc_server_free(strict);
}
