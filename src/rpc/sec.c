/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-PDU security of connection-oriented DCE/RPC ([MS-RPCE] 2.2.2.11, 3.3.1.5.2),
 * one implementation for both sides: the client's requests and the server's responses
 * are protected by rpc_sec_end_fragment(), the server's requests and the client's
 * responses opened by rpc_sec_open_fragment(); bind-type PDUs carry their token through
 * rpc_sec_put_trailer().
 */
#include <errno.h>
#include <string.h>

#include "rpc/rpc-internal.h"

size_t rpc_sec_put_trailer(struct buf *out, size_t start, size_t base, size_t align,
                           const struct rpc_sec_ref *s, const uint8_t *tok, size_t len) {
        size_t pad = (align - ((out->len - base) % align)) % align;
        static const uint8_t zeros[16];

        buf_append(out, zeros, pad);
        buf_put_u8(out, s->type);
        buf_put_u8(out, s->level);
        buf_put_u8(out, (uint8_t)pad);
        buf_put_u8(out, 0);
        rpc_put_u32(out, s->id);
        if (tok)
                buf_append(out, tok, len);
        else if (len) {
                uint8_t *z = buf_extend(out, len);      /* the verifier, filled in later */
                if (z)
                        memset(z, 0, len);
        }
        if (!out->error) {
                out->data[start + 10] = (uint8_t)len;
                out->data[start + 11] = (uint8_t)(len >> 8);
        }
        return pad;
}

bool rpc_sec_protects(const struct rpc_sec_ref *s) {
        /* [MS-RPCE] 2.2.1.1.8: PKT is given as PKT_INTEGRITY (rpc_authn_level_client) */
        return s && s->ops && s->level >= RPC_AUTHN_LEVEL_PKT && s->ops->sign &&
               s->ops->verifier_size;
}

size_t rpc_sec_overhead(const struct rpc_sec_ref *s) {
        if (!rpc_sec_protects(s))
                return 0;
        /* up to 15 bytes of padding, the sec_trailer, the verifier */
        return 15 + RPC_SEC_TRAILER_SIZE + s->ops->verifier_size(s->ctx, s->level);
}

int rpc_sec_end_fragment(struct buf *out, size_t start, size_t stub_off, const struct rpc_sec_ref *s) {
        if (!rpc_sec_protects(s))
                return rpc_pdu_end(out, start);

        /* [MS-RPCE] 2.2.2.11: the stub padded to 16 bytes, the sec_trailer, then the
           verifier, computed over the finished PDU (frag_length and auth_length final) */
        size_t vsize = s->ops->verifier_size(s->ctx, s->level);
        size_t stub_len = out->len - start - stub_off;
        size_t pad = rpc_sec_put_trailer(out, start, start + stub_off, 16, s, NULL, vsize);
        int r = rpc_pdu_end(out, start);
        if (r < 0)
                return r;
        if (out->error)
                return -ENOMEM;
        uint8_t *p = out->data + start;
        size_t plen = out->len - start;
        r = s->ops->sign(s->ctx, s->level, p, plen, p + stub_off, stub_len + pad, p + plen - vsize,
                         vsize);
        return r < 0 ? -EACCES : 0;
}

int rpc_sec_open_fragment(struct rpc_pdu *pdu, uint8_t *raw, const struct rpc_sec_ref *s) {
        if (!rpc_sec_protects(s))
                return 0;
        /* a protected context's PDU carries a verifier of that context, at its level */
        if (!pdu->has_auth || pdu->sec.auth_type != s->type || pdu->sec.auth_level != s->level ||
            pdu->sec.auth_context_id != s->id || !s->ops->verify)
                return -EACCES;
        size_t stub_off = (size_t)(pdu->stub - pdu->raw);
        size_t ver_off = (size_t)(pdu->auth - pdu->raw);
        int r = s->ops->verify(s->ctx, s->level, raw, pdu->hdr.frag_length, raw + stub_off,
                               pdu->stub_len + pdu->sec.auth_pad_length, raw + ver_off,
                               pdu->auth_len);
        if (r < 0)
                return -EACCES;
        pdu->raw = raw;
        pdu->stub = raw + stub_off;
        return 0;
}

/* --- the verification trailer ([MS-RPCE] 2.2.2.13) ----------------------------------------- */

static const uint8_t vt_magic[8] = { 0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71 };

enum {
        SEC_VT_COMMAND_BITMASK_1 = 0x0001,
        SEC_VT_COMMAND_PCONTEXT = 0x0002,
        SEC_VT_COMMAND_HEADER2 = 0x0003,
        SEC_VT_COMMAND_END = 0x4000,
        SEC_VT_MUST_PROCESS_COMMAND = 0x8000,
        SEC_VT_CLIENT_SUPPORTS_HEADER_SIGNING = 0x00000001,
};

#define VT_MAX 512                      /* the most of a stub's end searched for a trailer */

#define VT_SIZE (8 + 4 + 4 + 4 + 40 + 4 + 16)   /* magic, BITMASK_1, PCONTEXT, HEADER2 */

static uint8_t *put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        return p + 2;
}

static uint8_t *put_syntax_le(uint8_t *p, const struct rpc_syntax_id *s) {
        dcom_guid_to_wire(&s->uuid, p);
        p = put16(p + 16, s->ver_major);
        return put16(p, s->ver_minor);
}

void rpc_sec_vt_append(struct buf *b, size_t stub_start, const struct rpc_vt_call *v) {
        /* 2.2.2.13: 4-byte aligned from the stub's start; the commands, the last with END */
        size_t pad = (4 - ((b->len - stub_start) & 3)) & 3;
        uint8_t *p = buf_extend(b, pad + VT_SIZE);

        if (!p)
                return;         /* b's error says so */
        memset(p, 0, pad);
        memcpy(p + pad, vt_magic, 8);
        p = put16(p + pad + 8, SEC_VT_COMMAND_BITMASK_1);
        p = put16(p, 4);
        dcom_put_le32(p, v->header_signing ? SEC_VT_CLIENT_SUPPORTS_HEADER_SIGNING : 0);
        p = put16(p + 4, SEC_VT_COMMAND_PCONTEXT);
        p = put16(p, 40);
        p = put_syntax_le(p, &v->abstract);
        p = put_syntax_le(p, &v->transfer);
        p = put16(p, SEC_VT_COMMAND_HEADER2 | SEC_VT_COMMAND_END);
        p = put16(p, 16);
        p[0] = RPC_PTYPE_REQUEST;
        p[1] = 0;
        p = put16(p + 2, 0);
        memcpy(p, v->drep, 4);
        dcom_put_le32(p + 4, v->call_id);
        p = put16(p + 8, v->context_id);
        put16(p, v->opnum);
}

/*
 * The trailer is little-endian whatever the request's drep says ([MS-RPCE] 2.2.2.13 names
 * no byte order): Samba's big-endian client writes it so (test-interop-echo's
 * bigendian,seal run) and Samba's server reads it so, and no Windows client is
 * big-endian.  A trailer written big-endian is malformed here.
 */
static uint16_t le16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool syntax_is(const uint8_t *p, const struct rpc_syntax_id *s) {
        uint8_t g[16];

        dcom_guid_to_wire(&s->uuid, g);
        return memcmp(p, g, 16) == 0 && le16(p + 16) == s->ver_major && le16(p + 18) == s->ver_minor;
}

int rpc_sec_vt_check(const uint8_t *stub, size_t len, const struct rpc_vt_call *v,
                     size_t *ret_len) {
        size_t from = len > VT_MAX ? (len - VT_MAX + 3) & ~(size_t)3 : 0, at = SIZE_MAX;

        *ret_len = len;
        /* the last 4-aligned occurrence of the magic near the end: the trailer runs to the
           stub's end, so a match inside the NDR data before it cannot be the one */
        /* (searched from the end down: the first match is the last occurrence) */
        for (size_t o = len >= 8 ? (len - 8) & ~(size_t)3 : 0; len >= 8 && o >= from; o -= 4) {
                if (memcmp(stub + o, vt_magic, 8) == 0) {
                        at = o;
                        break;
                }
                if (o < 4)
                        break;
        }
        if (at == SIZE_MAX)
                return 0;               /* none: clients need not send one */
        const uint8_t *p = stub + at + 8, *end = stub + len;
        for (;;) {
                if (end - p < 4)
                        return -EBADMSG;
                uint16_t cmd = le16(p), n = le16(p + 2);
                p += 4;
                if ((size_t)(end - p) < n)
                        return -EBADMSG;
                switch (cmd & 0x3fff) {
                case SEC_VT_COMMAND_BITMASK_1:
                        if (n != 4)
                                return -EBADMSG;
                        /* a client that supports header signing, on a connection where it
                           was not negotiated: a downgrade by someone in between */
                        if ((le32(p) & SEC_VT_CLIENT_SUPPORTS_HEADER_SIGNING) && !v->header_signing)
                                return -EACCES;
                        break;
                case SEC_VT_COMMAND_PCONTEXT:
                        if (n != 40)
                                return -EBADMSG;
                        if (!syntax_is(p, &v->abstract) || !syntax_is(p + 20, &v->transfer))
                                return -EACCES;
                        break;
                case SEC_VT_COMMAND_HEADER2:
                        if (n != 16)
                                return -EBADMSG;
                        if (p[0] != RPC_PTYPE_REQUEST || memcmp(p + 4, v->drep, 4) != 0 ||
                            le32(p + 8) != v->call_id || le16(p + 12) != v->context_id ||
                            le16(p + 14) != v->opnum)
                                return -EACCES;
                        break;
                default:
                        if (cmd & SEC_VT_MUST_PROCESS_COMMAND)
                                return -EACCES; /* a command we must understand and do not */
                        break;
                }
                p += n;
                if (cmd & SEC_VT_COMMAND_END)
                        break;
        }
        *ret_len = at;
        return 0;
}
