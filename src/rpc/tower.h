/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Protocol towers ([C706] appendix L; [MS-RPCE] 2.1.1 for the floors Windows uses): the
 * opaque octets of twr_t that say how to reach an interface -- interface and transfer
 * syntax, RPC protocol, transport endpoint, host.  The endpoint mapper stores them and
 * matches on them; the client builds them for ept_map.
 *
 *      tower     = floor_count:u16le floor{floor_count}
 *      floor     = lhs_length:u16le lhs[lhs_length] rhs_length:u16le rhs[rhs_length]
 *      lhs       = protocol_id:u8 [16-byte GUID (wire form) + u16le major, for 0x0d]
 *
 * rpc_tower_parse() is the one entry point for untrusted bytes: every length is checked
 * against what is left and floors point into the caller's buffer (nothing is allocated),
 * so it is fuzzable as is.  rpc_tower_decode() then gives the floors their meaning.
 *
 * Our ncalrpc (connection-oriented PDUs over a Unix socket) is encoded as Samba encodes
 * ncacn_unix_stream: floor 3 is 0x0b, floor 4 is 0x20 with the endpoint name, no host
 * floor.  Windows' own ncalrpc (0x0c + 0x10) parses but is not a protseq we speak.
 */
#ifndef DCOM_RPC_TOWER_H
#define DCOM_RPC_TOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/rpc-internal.h"

/* [C706] appendix I protocol identifiers (as Samba's epm_protocol names them) */
enum {
        RPC_TOWER_PROTO_TCP = 0x07,
        RPC_TOWER_PROTO_UDP = 0x08,
        RPC_TOWER_PROTO_IP = 0x09,
        RPC_TOWER_PROTO_NCADG = 0x0a,           /* RPC connectionless */
        RPC_TOWER_PROTO_NCACN = 0x0b,           /* RPC connection-oriented */
        RPC_TOWER_PROTO_NCALRPC = 0x0c,         /* Windows' local RPC */
        RPC_TOWER_PROTO_UUID = 0x0d,            /* interface or transfer syntax */
        RPC_TOWER_PROTO_SMB = 0x0f,             /* [MS-RPCE] 2.1.1.2: named pipe over SMB */
        RPC_TOWER_PROTO_NAMED_PIPE = 0x10,
        RPC_TOWER_PROTO_NETBIOS = 0x11,         /* host name for ncacn_np */
        RPC_TOWER_PROTO_HTTP = 0x1f,
        RPC_TOWER_PROTO_UNIX = 0x20,            /* Unix socket: our ncalrpc */
};

/* More floors than any protseq has; a tower with more is refused (-E2BIG). */
#define RPC_TOWER_MAX_FLOORS 16
/* The largest tower the endpoint mapper stores or maps. */
#define RPC_TOWER_MAX_SIZE 1024

/* A syntax identifier: interface or transfer syntax, uuid and version. */
struct rpc_tower_syntax {
        GUID uuid;
        uint16_t major, minor;
};

/* NDR 2.0: 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0 ([C706] 14) */
extern const struct rpc_tower_syntax rpc_tower_ndr_syntax;

struct rpc_tower_floor {
        const uint8_t *lhs;             /* lhs_len >= 1 bytes; lhs[0] the protocol id */
        const uint8_t *rhs;             /* rhs_len bytes (NULL when 0) */
        uint16_t lhs_len, rhs_len;
};

struct rpc_tower {
        uint16_t n_floors;              /* 1..RPC_TOWER_MAX_FLOORS */
        struct rpc_tower_floor floors[RPC_TOWER_MAX_FLOORS];
        size_t len;                     /* bytes of the input the floors took */
};

/*
 * Splits len bytes into floors; trailing bytes past the last floor are ignored (ret->len
 * tells how many were used).  -EBADMSG for a truncated or malformed tower (no floors, a
 * floor without protocol id), -E2BIG past RPC_TOWER_MAX_FLOORS.  *ret only on success; its
 * floors point into data.
 */
int rpc_tower_parse(const uint8_t *data, size_t len, struct rpc_tower *ret);

/*
 * Writes t's floors: at most size bytes to buf (buf may be NULL with size 0 to measure).
 * Returns the tower's length, or -ENOBUFS when it does not fit (nothing useful written),
 * -EINVAL for a floor without protocol id or more floors than allowed.
 */
int rpc_tower_encode(const struct rpc_tower *t, uint8_t *buf, size_t size);

/* What the floors mean, for the towers we match on. */
struct rpc_tower_info {
        struct rpc_tower_syntax iface;  /* floor 1 */
        struct rpc_tower_syntax xfer;   /* floor 2 */
        uint8_t rpc_proto;              /* floor 3's protocol id: 0x0b, 0x0a, 0x0c */
        uint8_t transport;              /* floor 4's protocol id (0: no floor 4) */
        enum rpc_protseq protseq;       /* RPC_PROTSEQ_NONE: not one we speak */
        const uint8_t *endpoint;        /* floor 4's rhs as is (into the parsed bytes) */
        uint16_t endpoint_len;
        uint16_t port;                  /* TCP/UDP: floor 4, host order */
        bool has_ipv4;
        uint8_t ipv4[4];                /* floor 5 (0x09), network order */
};

/*
 * Floors 1 and 2 must be UUID floors (lhs exactly 19 bytes, rhs 2), floor 3 present;
 * -EBADMSG otherwise, or for a TCP/UDP port or IP floor of the wrong size.
 */
int rpc_tower_decode(const struct rpc_tower *t, struct rpc_tower_info *ret);

/*
 * Builds the tower for iface over protseq ([C706] L, [MS-RPCE] 2.1.1.1): TCP takes the
 * endpoint as a decimal port ("135"; NULL or "" for 0) and ipv4 (NULL: 0.0.0.0) for floor
 * 5; LRPC takes the endpoint name (NULL: "") and has no host floor.  The transfer syntax
 * is NDR 2.0.  *ret from dcom_malloc(), *ret_len its length.  -EINVAL for a bad port or
 * protseq, -E2BIG for an endpoint past RPC_TOWER_MAX_SIZE, -ENOMEM.
 */
int rpc_tower_build(const struct rpc_tower_syntax *iface, enum rpc_protseq protseq,
                    const char *endpoint, const uint8_t ipv4[4], uint8_t **ret,
                    size_t *ret_len);

/*
 * The endpoint as a string binding shows it: TCP/UDP the port in decimal, string floors
 * (named pipe, Unix, NetBIOS...) their text.  -EBADMSG when a string floor is not a
 * NUL-terminated printable ASCII string, -ENOBUFS when it does not fit in size.
 */
int rpc_tower_endpoint_string(const struct rpc_tower_info *info, char *buf, size_t size);

/* "ncacn_ip_tcp", "ncalrpc", "ncacn_np", ... for the floors 3 and 4; NULL if unknown. */
const char *rpc_tower_protseq_name(const struct rpc_tower_info *info);

#endif /* DCOM_RPC_TOWER_H */
