/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Protocol towers ([C706] appendix L): parsing (bounds-checked, allocation-free, for
 * hostile input), encoding, decoding of the floors the endpoint mapper matches on, and
 * the builder for the towers our own servers register.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rpc/tower.h"

/* [C706] 14: NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860, version 2.0 */
const struct rpc_tower_syntax rpc_tower_ndr_syntax = {
        { 0x8a885d04, 0x1ceb, 0x11c9, { 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60 } },
        2, 0,
};

static uint16_t get_le16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

int rpc_tower_parse(const uint8_t *data, size_t len, struct rpc_tower *ret) {
        struct rpc_tower t;
        size_t off = 2;

        if (!data || len < 2)
                return -EBADMSG;
        t.n_floors = get_le16(data);
        if (t.n_floors == 0)
                return -EBADMSG;
        if (t.n_floors > RPC_TOWER_MAX_FLOORS)
                return -E2BIG;
        for (unsigned i = 0; i < t.n_floors; i++) {
                struct rpc_tower_floor *f = &t.floors[i];

                /* [C706] L: lhs_length, lhs (protocol id first), rhs_length, rhs */
                if (len - off < 2)
                        return -EBADMSG;
                f->lhs_len = get_le16(data + off);
                off += 2;
                if (f->lhs_len < 1 || f->lhs_len > len - off)
                        return -EBADMSG;
                f->lhs = data + off;
                off += f->lhs_len;
                if (len - off < 2)
                        return -EBADMSG;
                f->rhs_len = get_le16(data + off);
                off += 2;
                if (f->rhs_len > len - off)
                        return -EBADMSG;
                f->rhs = f->rhs_len ? data + off : NULL;
                off += f->rhs_len;
        }
        t.len = off;
        *ret = t;
        return 0;
}

int rpc_tower_encode(const struct rpc_tower *t, uint8_t *buf, size_t size) {
        size_t need = 2, off;

        if (!t || t->n_floors == 0 || t->n_floors > RPC_TOWER_MAX_FLOORS)
                return -EINVAL;
        for (unsigned i = 0; i < t->n_floors; i++) {
                if (t->floors[i].lhs_len < 1 || !t->floors[i].lhs ||
                    (t->floors[i].rhs_len && !t->floors[i].rhs))
                        return -EINVAL;
                need += 4 + (size_t)t->floors[i].lhs_len + t->floors[i].rhs_len;
        }
        /* 16 floors of at most 2 * 65535 bytes: fits an int */
        if (!buf)
                return size == 0 ? (int)need : -EINVAL;
        if (need > size)
                return -ENOBUFS;
        put_le16(buf, t->n_floors);
        off = 2;
        for (unsigned i = 0; i < t->n_floors; i++) {
                const struct rpc_tower_floor *f = &t->floors[i];

                put_le16(buf + off, f->lhs_len);
                memcpy(buf + off + 2, f->lhs, f->lhs_len);
                off += 2 + (size_t)f->lhs_len;
                put_le16(buf + off, f->rhs_len);
                if (f->rhs_len)
                        memcpy(buf + off + 2, f->rhs, f->rhs_len);
                off += 2 + (size_t)f->rhs_len;
        }
        return (int)need;
}

/* [C706] L: a UUID floor's lhs is 0x0d, the GUID (NDR wire form), major; rhs the minor. */
static int decode_uuid_floor(const struct rpc_tower_floor *f, struct rpc_tower_syntax *ret) {
        if (f->lhs_len != 1 + DCOM_GUID_WIRE_SIZE + 2 || f->lhs[0] != RPC_TOWER_PROTO_UUID ||
            f->rhs_len != 2)
                return -EBADMSG;
        dcom_guid_from_wire(f->lhs + 1, &ret->uuid);
        ret->major = get_le16(f->lhs + 1 + DCOM_GUID_WIRE_SIZE);
        ret->minor = get_le16(f->rhs);
        return 0;
}

int rpc_tower_decode(const struct rpc_tower *t, struct rpc_tower_info *ret) {
        struct rpc_tower_info info = { .protseq = RPC_PROTSEQ_NONE };
        int r;

        if (t->n_floors < 3)
                return -EBADMSG;
        r = decode_uuid_floor(&t->floors[0], &info.iface);
        if (r < 0)
                return r;
        r = decode_uuid_floor(&t->floors[1], &info.xfer);
        if (r < 0)
                return r;
        info.rpc_proto = t->floors[2].lhs[0];
        if (t->n_floors >= 4) {
                const struct rpc_tower_floor *f = &t->floors[3];

                info.transport = f->lhs[0];
                info.endpoint = f->rhs;
                info.endpoint_len = f->rhs_len;
                /* [C706] I: TCP and UDP ports are 2 bytes, big-endian */
                if (info.transport == RPC_TOWER_PROTO_TCP ||
                    info.transport == RPC_TOWER_PROTO_UDP) {
                        if (f->rhs_len != 2)
                                return -EBADMSG;
                        info.port = (uint16_t)(f->rhs[0] << 8 | f->rhs[1]);
                }
        }
        if (t->n_floors >= 5 && t->floors[4].lhs[0] == RPC_TOWER_PROTO_IP) {
                if (t->floors[4].rhs_len != 4)
                        return -EBADMSG;
                memcpy(info.ipv4, t->floors[4].rhs, 4);
                info.has_ipv4 = true;
        }
        if (info.rpc_proto == RPC_TOWER_PROTO_NCACN && info.transport == RPC_TOWER_PROTO_TCP)
                info.protseq = RPC_PROTSEQ_TCP;
        else if (info.rpc_proto == RPC_TOWER_PROTO_NCACN && info.transport == RPC_TOWER_PROTO_UNIX)
                info.protseq = RPC_PROTSEQ_LRPC;
        *ret = info;
        return 0;
}

static void encode_uuid_floor(uint8_t lhs[19], uint8_t rhs[2], const struct rpc_tower_syntax *s) {
        lhs[0] = RPC_TOWER_PROTO_UUID;
        dcom_guid_to_wire(&s->uuid, lhs + 1);
        put_le16(lhs + 1 + DCOM_GUID_WIRE_SIZE, s->major);
        put_le16(rhs, s->minor);
}

static int parse_port(const char *s, uint16_t *ret) {
        unsigned v = 0;

        if (!s || !*s) {
                *ret = 0;
                return 0;
        }
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(*s - '0');
                if (v > 65535)
                        return -EINVAL;
        }
        *ret = (uint16_t)v;
        return 0;
}

int rpc_tower_build(const struct rpc_tower_syntax *iface, enum rpc_protseq protseq,
                    const char *endpoint, const uint8_t ipv4[4], uint8_t **ret,
                    size_t *ret_len) {
        static const uint8_t zero_ip[4] = { 0 };
        uint8_t if_lhs[19], if_rhs[2], x_lhs[19], x_rhs[2], co_lhs = RPC_TOWER_PROTO_NCACN;
        uint8_t co_rhs[2] = { 0, 0 };   /* [C706] L: the RPC protocol's minor version, 0 */
        uint8_t tcp_lhs = RPC_TOWER_PROTO_TCP, ip_lhs = RPC_TOWER_PROTO_IP;
        uint8_t unix_lhs = RPC_TOWER_PROTO_UNIX, port_rhs[2];
        struct rpc_tower t = { .n_floors = 4 };
        uint8_t *buf;
        uint16_t port;
        int n, r;

        if (!iface || !ret || !ret_len)
                return -EINVAL;
        encode_uuid_floor(if_lhs, if_rhs, iface);
        encode_uuid_floor(x_lhs, x_rhs, &rpc_tower_ndr_syntax);
        t.floors[0] = (struct rpc_tower_floor) { if_lhs, if_rhs, sizeof if_lhs, sizeof if_rhs };
        t.floors[1] = (struct rpc_tower_floor) { x_lhs, x_rhs, sizeof x_lhs, sizeof x_rhs };
        t.floors[2] = (struct rpc_tower_floor) { &co_lhs, co_rhs, 1, sizeof co_rhs };
        switch (protseq) {
        case RPC_PROTSEQ_TCP:
                r = parse_port(endpoint, &port);
                if (r < 0)
                        return r;
                port_rhs[0] = (uint8_t)(port >> 8);     /* big-endian */
                port_rhs[1] = (uint8_t)port;
                t.floors[3] = (struct rpc_tower_floor) { &tcp_lhs, port_rhs, 1, 2 };
                t.floors[4] = (struct rpc_tower_floor) { &ip_lhs, ipv4 ? ipv4 : zero_ip, 1, 4 };
                t.n_floors = 5;
                break;
        case RPC_PROTSEQ_LRPC: {
                size_t elen = strlen(endpoint ? endpoint : "") + 1;     /* with its NUL */

                if (elen > RPC_TOWER_MAX_SIZE)
                        return -E2BIG;
                t.floors[3] = (struct rpc_tower_floor) {
                        &unix_lhs, (const uint8_t *)(endpoint ? endpoint : ""), 1, (uint16_t)elen,
                };
                break;
        }
        default:
                return -EINVAL;
        }
        n = rpc_tower_encode(&t, NULL, 0);
        if (n < 0)
                return n;
        if (n > RPC_TOWER_MAX_SIZE)
                return -E2BIG;
        buf = dcom_malloc((size_t)n);
        if (!buf)
                return -ENOMEM;
        r = rpc_tower_encode(&t, buf, (size_t)n);
        if (r < 0) {
                dcom_free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = (size_t)n;
        return 0;
}

int rpc_tower_endpoint_string(const struct rpc_tower_info *info, char *buf, size_t size) {
        size_t n;

        if (!buf || size == 0)
                return -ENOBUFS;
        if (info->transport == RPC_TOWER_PROTO_TCP || info->transport == RPC_TOWER_PROTO_UDP ||
            info->transport == RPC_TOWER_PROTO_HTTP) {
                if (info->transport == RPC_TOWER_PROTO_HTTP) {
                        if (info->endpoint_len != 2)
                                return -EBADMSG;
                        unsigned port = (unsigned)(info->endpoint[0] << 8 | info->endpoint[1]);

                        n = (size_t)snprintf(buf, size, "%u", port);
                } else
                        n = (size_t)snprintf(buf, size, "%u", info->port);
                return n < size ? 0 : -ENOBUFS;
        }
        /* string floors: NUL-terminated ASCII ([MS-RPCE] 2.1.1.2); empty rhs is "" */
        if (info->endpoint_len == 0) {
                buf[0] = 0;
                return 0;
        }
        n = strnlen((const char *)info->endpoint, info->endpoint_len);
        if (n != (size_t)info->endpoint_len - 1)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (info->endpoint[i] < 0x20 || info->endpoint[i] > 0x7e)
                        return -EBADMSG;
        if (n >= size)
                return -ENOBUFS;
        memcpy(buf, info->endpoint, n + 1);
        return 0;
}

const char *rpc_tower_protseq_name(const struct rpc_tower_info *info) {
        switch (info->rpc_proto) {
        case RPC_TOWER_PROTO_NCACN:
                switch (info->transport) {
                case RPC_TOWER_PROTO_TCP:
                        return "ncacn_ip_tcp";
                case RPC_TOWER_PROTO_SMB:
                        return "ncacn_np";
                case RPC_TOWER_PROTO_HTTP:
                        return "ncacn_http";
                case RPC_TOWER_PROTO_UNIX:
                        return "ncalrpc";
                }
                return NULL;
        case RPC_TOWER_PROTO_NCADG:
                return info->transport == RPC_TOWER_PROTO_UDP ? "ncadg_ip_udp" : NULL;
        case RPC_TOWER_PROTO_NCALRPC:
                return "ncalrpc";
        }
        return NULL;
}
