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
        return s && s->ops && s->level >= RPC_AUTHN_LEVEL_PKT_INTEGRITY && s->ops->sign &&
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
