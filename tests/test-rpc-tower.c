/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Protocol towers ([C706] appendix L): impacket's ept_map tower parses and decodes to what
 * hept_map put in it, our builder makes the same bytes, parse and encode round-trip, and
 * hostile towers -- every truncation, bad lengths, random mutations -- are refused
 * without reading past the buffer (ASan watches).
 */
#include <stdio.h>

#include "rpc/tower.h"
#include "mgmt_stub.h"
#include "test.h"

/* hept_map's tower: mgmt 1.0, NDR 2.0, RPC v5 (0x0b), TCP port 0, IP 0.0.0.0 (impacket 0.10) */
static const uint8_t tower0[75] = {
        0x05, 0x00, 0x13, 0x00, 0x0d, 0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9, 0x11, 0xbe, 0xf4,
        0x08, 0x00, 0x2b, 0x10, 0x29, 0x89, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0d,
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static struct rpc_tower_syntax mgmt_syntax(void) {
        struct rpc_tower_syntax s = { mgmt_v1_0_s_interface.uuid, 1, 0 };
        return s;
}

TEST(parse_impacket_tower) {
        struct rpc_tower t;
        struct rpc_tower_info info;
        char ep[16];

        ASSERT_OK(rpc_tower_parse(tower0, sizeof tower0, &t));
        ASSERT_EQ(t.n_floors, 5);
        ASSERT_EQ(t.len, sizeof tower0);
        ASSERT_EQ(t.floors[0].lhs_len, 19);
        ASSERT_EQ(t.floors[2].lhs[0], RPC_TOWER_PROTO_NCACN);
        ASSERT_EQ(t.floors[3].lhs[0], RPC_TOWER_PROTO_TCP);
        ASSERT_EQ(t.floors[4].lhs[0], RPC_TOWER_PROTO_IP);
        ASSERT_OK(rpc_tower_decode(&t, &info));
        ASSERT_TRUE(dcom_guid_equal(&info.iface.uuid, &mgmt_v1_0_s_interface.uuid));
        ASSERT_EQ(info.iface.major, 1);
        ASSERT_EQ(info.iface.minor, 0);
        ASSERT_TRUE(dcom_guid_equal(&info.xfer.uuid, &rpc_tower_ndr_syntax.uuid));
        ASSERT_EQ(info.xfer.major, 2);
        ASSERT_EQ(info.xfer.minor, 0);
        ASSERT_EQ(info.rpc_proto, 0x0b);
        ASSERT_EQ(info.protseq, RPC_PROTSEQ_TCP);
        ASSERT_EQ(info.port, 0);
        ASSERT_TRUE(info.has_ipv4);
        ASSERT_MEM_EQ(info.ipv4, "\0\0\0\0", 4);
        ASSERT_STR_EQ(rpc_tower_protseq_name(&info), "ncacn_ip_tcp");
        ASSERT_OK(rpc_tower_endpoint_string(&info, ep, sizeof ep));
        ASSERT_STR_EQ(ep, "0");
}

TEST(build_equals_impacket) {
        struct rpc_tower_syntax s = mgmt_syntax();
        static const uint8_t ip[4] = { 127, 0, 0, 1 };
        uint8_t *b, want[sizeof tower0];
        size_t len;

        ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_TCP, "0", NULL, &b, &len));
        ASSERT_EQ(len, sizeof tower0);
        ASSERT_MEM_EQ(b, tower0, sizeof tower0);
        dcom_free(b);
        ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_TCP, NULL, NULL, &b, &len));
        ASSERT_MEM_EQ(b, tower0, sizeof tower0);
        dcom_free(b);
        /* impacket's ept_map response tower: port 49152 (big-endian), 127.0.0.1 */
        memcpy(want, tower0, sizeof want);
        want[64] = 0xc0;
        memcpy(want + 71, ip, 4);
        ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_TCP, "49152", ip, &b, &len));
        ASSERT_EQ(len, sizeof want);
        ASSERT_MEM_EQ(b, want, sizeof want);
        dcom_free(b);
        ASSERT_ERRNO(rpc_tower_build(&s, RPC_PROTSEQ_TCP, "65536", NULL, &b, &len), -EINVAL);
        ASSERT_ERRNO(rpc_tower_build(&s, RPC_PROTSEQ_TCP, "12a", NULL, &b, &len), -EINVAL);
        ASSERT_ERRNO(rpc_tower_build(&s, RPC_PROTSEQ_TCP, "-1", NULL, &b, &len), -EINVAL);
        ASSERT_ERRNO(rpc_tower_build(&s, RPC_PROTSEQ_NONE, "1", NULL, &b, &len), -EINVAL);
        ASSERT_ERRNO(rpc_tower_build(NULL, RPC_PROTSEQ_TCP, "1", NULL, &b, &len), -EINVAL);
}

TEST(build_lrpc) {
        struct rpc_tower_syntax s = mgmt_syntax();
        struct rpc_tower t;
        struct rpc_tower_info info;
        uint8_t *b;
        size_t len;
        char ep[64];

        ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_LRPC, "epmapper", NULL, &b, &len));
        /* 2 + 2 uuid floors of 25 + rpc floor 7 + unix floor 2+1+2+9 */
        ASSERT_EQ(len, 2 + 25 + 25 + 7 + 14);
        ASSERT_OK(rpc_tower_parse(b, len, &t));
        ASSERT_EQ(t.n_floors, 4);
        ASSERT_OK(rpc_tower_decode(&t, &info));
        ASSERT_EQ(info.protseq, RPC_PROTSEQ_LRPC);
        ASSERT_EQ(info.transport, RPC_TOWER_PROTO_UNIX);
        ASSERT_FALSE(info.has_ipv4);
        ASSERT_EQ(info.endpoint_len, 9);
        ASSERT_OK(rpc_tower_endpoint_string(&info, ep, sizeof ep));
        ASSERT_STR_EQ(ep, "epmapper");
        ASSERT_STR_EQ(rpc_tower_protseq_name(&info), "ncalrpc");
        ASSERT_ERRNO(rpc_tower_endpoint_string(&info, ep, 8), -ENOBUFS);
        /* not NUL-terminated, or with a control character: refused */
        b[len - 1] = 'x';
        ASSERT_OK(rpc_tower_parse(b, len, &t));
        ASSERT_OK(rpc_tower_decode(&t, &info));
        ASSERT_ERRNO(rpc_tower_endpoint_string(&info, ep, sizeof ep), -EBADMSG);
        b[len - 1] = 0;
        b[len - 3] = '\n';
        ASSERT_OK(rpc_tower_decode(&t, &info));
        ASSERT_ERRNO(rpc_tower_endpoint_string(&info, ep, sizeof ep), -EBADMSG);
        dcom_free(b);
        /* an empty name is one NUL */
        ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_LRPC, NULL, NULL, &b, &len));
        ASSERT_OK(rpc_tower_parse(b, len, &t));
        ASSERT_OK(rpc_tower_decode(&t, &info));
        ASSERT_EQ(info.endpoint_len, 1);
        ASSERT_OK(rpc_tower_endpoint_string(&info, ep, sizeof ep));
        ASSERT_STR_EQ(ep, "");
        dcom_free(b);
}

TEST(encode_round_trip) {
        struct rpc_tower t;
        uint8_t buf[128];
        uint8_t longer[sizeof tower0 + 3];

        ASSERT_OK(rpc_tower_parse(tower0, sizeof tower0, &t));
        ASSERT_EQ(rpc_tower_encode(&t, NULL, 0), (int)sizeof tower0);
        ASSERT_EQ(rpc_tower_encode(&t, buf, sizeof buf), (int)sizeof tower0);
        ASSERT_MEM_EQ(buf, tower0, sizeof tower0);
        ASSERT_ERRNO(rpc_tower_encode(&t, buf, sizeof tower0 - 1), -ENOBUFS);
        /* trailing bytes are not part of the tower */
        memcpy(longer, tower0, sizeof tower0);
        memset(longer + sizeof tower0, 0xee, 3);
        ASSERT_OK(rpc_tower_parse(longer, sizeof longer, &t));
        ASSERT_EQ(t.len, sizeof tower0);
        t.floors[1].lhs_len = 0;
        ASSERT_ERRNO(rpc_tower_encode(&t, buf, sizeof buf), -EINVAL);
}

TEST(truncated_and_malformed) {
        struct rpc_tower t;
        struct rpc_tower_info info;
        uint8_t b[sizeof tower0];

        for (size_t i = 0; i < sizeof tower0; i++) {
                uint8_t *cut = malloc(i ? i : 1);       /* exact size: ASan sees any overread */
                memcpy(cut, tower0, i);
                ASSERT_ERRNO(rpc_tower_parse(cut, i, &t), -EBADMSG);
                free(cut);
        }
        ASSERT_ERRNO(rpc_tower_parse(NULL, 10, &t), -EBADMSG);
        memcpy(b, tower0, sizeof b);
        b[0] = 0;                                       /* no floors */
        ASSERT_ERRNO(rpc_tower_parse(b, sizeof b, &t), -EBADMSG);
        b[0] = 17;                                      /* too many */
        ASSERT_ERRNO(rpc_tower_parse(b, sizeof b, &t), -E2BIG);
        b[0] = 0xff;
        b[1] = 0xff;
        ASSERT_ERRNO(rpc_tower_parse(b, sizeof b, &t), -E2BIG);
        memcpy(b, tower0, sizeof b);
        b[2] = 0;                                       /* lhs without protocol id */
        b[3] = 0;
        ASSERT_ERRNO(rpc_tower_parse(b, sizeof b, &t), -EBADMSG);
        b[2] = 0xff;                                    /* lhs past the end */
        b[3] = 0xff;
        ASSERT_ERRNO(rpc_tower_parse(b, sizeof b, &t), -EBADMSG);
        memcpy(b, tower0, sizeof b);
        b[23] = 0xff;                                   /* floor 1's rhs past the end */
        ASSERT_ERRNO(rpc_tower_parse(b, sizeof b, &t), -EBADMSG);

        /* parses, but floors 1-2 are not UUID floors, or sizes are wrong */
        memcpy(b, tower0, sizeof b);
        b[4] = 0x0e;
        ASSERT_OK(rpc_tower_parse(b, sizeof b, &t));
        ASSERT_ERRNO(rpc_tower_decode(&t, &info), -EBADMSG);
        memcpy(b, tower0, sizeof b);
        b[29] = 0x07;
        ASSERT_OK(rpc_tower_parse(b, sizeof b, &t));
        ASSERT_ERRNO(rpc_tower_decode(&t, &info), -EBADMSG);
        ASSERT_OK(rpc_tower_parse(tower0, sizeof tower0, &t));
        t.n_floors = 2;
        ASSERT_ERRNO(rpc_tower_decode(&t, &info), -EBADMSG);
        t.n_floors = 5;
        t.floors[3].rhs_len = 1;                        /* a 1-byte TCP port */
        ASSERT_ERRNO(rpc_tower_decode(&t, &info), -EBADMSG);
        t.floors[3].rhs_len = 2;
        t.floors[4].rhs_len = 3;                        /* a 3-byte IPv4 address */
        ASSERT_ERRNO(rpc_tower_decode(&t, &info), -EBADMSG);
        t.n_floors = 3;                                 /* no endpoint: decodes, no protseq */
        ASSERT_OK(rpc_tower_decode(&t, &info));
        ASSERT_EQ(info.protseq, RPC_PROTSEQ_NONE);
        ASSERT_EQ(info.transport, 0);
        ASSERT_NULL(rpc_tower_protseq_name(&info));
}

static uint32_t rng_state = 0x12345678;

static uint32_t rnd(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        return rng_state;
}

/* Mutations of tower0: whatever parses re-encodes to the bytes it came from. */
TEST(random_mutations) {
        unsigned parsed = 0;

        for (unsigned iter = 0; iter < 200000; iter++) {
                size_t len = rnd() % (sizeof tower0 + 8);
                uint8_t *b = malloc(len ? len : 1);
                struct rpc_tower t;
                struct rpc_tower_info info;
                char ep[80];

                for (size_t i = 0; i < len; i++)
                        b[i] = i < sizeof tower0 ? tower0[i] : (uint8_t)rnd();
                for (unsigned k = rnd() % 4; k > 0 && len; k--)
                        b[rnd() % len] = (uint8_t)(rnd() % 3 == 0 ? rnd() % 8 : rnd());
                if (rpc_tower_parse(b, len, &t) == 0) {
                        uint8_t out[sizeof tower0 + 8];
                        int n = rpc_tower_encode(&t, out, sizeof out);

                        parsed++;
                        ASSERT_EQ(n, (int)t.len);
                        ASSERT_LE(t.len, len);
                        ASSERT_MEM_EQ(out, b, t.len);
                        if (rpc_tower_decode(&t, &info) == 0) {
                                (void)rpc_tower_endpoint_string(&info, ep, sizeof ep);
                                (void)rpc_tower_protseq_name(&info);
                        }
                }
                free(b);
        }
        ASSERT_GT(parsed, 1000);
}
