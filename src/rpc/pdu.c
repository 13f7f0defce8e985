/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connection-oriented PDUs ([C706] 12.6, [MS-RPCE] 2.2.2): the common header, the
 * auth verifier's sec_trailer, and the bodies of bind/alter_context (presentation
 * context lists), bind_ack/alter_context_resp, bind_nak, request, response and fault.
 * Parsing is bounds-checked against frag_length, which must equal the bytes given;
 * header integers follow the sender's data representation (we send little-endian).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "rpc/rpc-internal.h"

static LOG_CHANNEL(rpc);

/* --- reading ----------------------------------------------------------------------------- */

struct rd {
        const uint8_t *p;
        size_t len, off;
        bool be;
};

static int rd_need(struct rd *r, size_t n) {
        return n <= r->len - r->off ? 0 : -EBADMSG;
}

static int rd_u8(struct rd *r, uint8_t *v) {
        if (rd_need(r, 1) < 0)
                return -EBADMSG;
        *v = r->p[r->off++];
        return 0;
}

static int rd_u16(struct rd *r, uint16_t *v) {
        if (rd_need(r, 2) < 0)
                return -EBADMSG;
        const uint8_t *p = r->p + r->off;
        *v = r->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8);
        r->off += 2;
        return 0;
}

static int rd_u32(struct rd *r, uint32_t *v) {
        if (rd_need(r, 4) < 0)
                return -EBADMSG;
        const uint8_t *p = r->p + r->off;
        *v = r->be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                   : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24;
        r->off += 4;
        return 0;
}

/* A GUID in NDR (the sender's integer order for its first three fields). */
static int rd_guid(struct rd *r, GUID *g) {
        uint32_t d1;
        uint16_t d2, d3;
        if (rd_u32(r, &d1) < 0 || rd_u16(r, &d2) < 0 || rd_u16(r, &d3) < 0 || rd_need(r, 8) < 0)
                return -EBADMSG;
        g->Data1 = d1;
        g->Data2 = d2;
        g->Data3 = d3;
        memcpy(g->Data4, r->p + r->off, 8);
        r->off += 8;
        return 0;
}

/*
 * [C706] 12.6.3.1: the syntax id is a GUID and a 32-bit version, major in its low 16 bits
 * and minor in its high ones -- one integer in the sender's order, so a big-endian sender
 * puts the minor version first.
 */
static int rd_syntax(struct rd *r, struct rpc_syntax_id *s) {
        uint32_t v;

        if (rd_guid(r, &s->uuid) < 0 || rd_u32(r, &v) < 0)
                return -EBADMSG;
        s->ver_major = (uint16_t)v;
        s->ver_minor = (uint16_t)(v >> 16);
        return 0;
}


/* --- the common header and the auth verifier ------------------------------------------- */

int rpc_hdr_parse(const uint8_t *p, size_t len, struct rpc_hdr *h) {
        struct rd r = { .p = p, .len = len };

        if (len < RPC_CO_HEADER_SIZE)
                return -EAGAIN;         /* not all there yet */
        h->rpc_vers = p[0];
        h->rpc_vers_minor = p[1];
        h->ptype = p[2];
        h->pfc_flags = p[3];
        memcpy(h->drep, p + 4, 4);
        /* [C706] 14.1: integer representation in the high nibble of byte 0 */
        if ((h->drep[0] & 0xf0) != 0x10 && (h->drep[0] & 0xf0) != 0x00) {
                log_debug(rpc, "bad data representation 0x%02x", h->drep[0]);
                return -EPROTO;
        }
        r.be = (h->drep[0] & 0xf0) == 0x00;
        r.off = 8;
        (void)rd_u16(&r, &h->frag_length);
        (void)rd_u16(&r, &h->auth_length);
        (void)rd_u32(&r, &h->call_id);
        /* [C706] 12.6.3.1: version 5, minor 0 or 1 */
        if (h->rpc_vers != 5 || h->rpc_vers_minor > 1) {
                log_debug(rpc, "RPC version %u.%u", h->rpc_vers, h->rpc_vers_minor);
                return -EPROTONOSUPPORT;
        }
        if (h->frag_length < RPC_CO_HEADER_SIZE ||
            (h->auth_length &&
             (size_t)h->auth_length + RPC_SEC_TRAILER_SIZE >
                     (size_t)h->frag_length - RPC_CO_HEADER_SIZE)) {
                log_debug(rpc, "frag_length %u, auth_length %u", h->frag_length, h->auth_length);
                return -EPROTO;
        }
        return 0;
}

/*
 * A whole PDU (len == frag_length): the body between the header and the auth verifier,
 * and the verifier ([MS-RPCE] 2.2.2.11: the sec_trailer sits auth_length + 8 bytes before
 * the end; auth_pad_length bytes before it belong to the body's padding).
 */
int rpc_pdu_parse(const uint8_t *p, size_t len, struct rpc_pdu *pdu) {
        /* the common PDU, little-endian without a verifier: its header read in place
           (what rpc_hdr_parse gives it: [C706] 12.6.3.1, version 5.0 or 5.1) */
        if (len >= RPC_CO_HEADER_SIZE && p[0] == 5 && p[1] <= 1 && (p[4] & 0xf0) == 0x10 &&
            (size_t)(p[8] | p[9] << 8) == len && !p[10] && !p[11]) {
                pdu->hdr = (struct rpc_hdr){
                        .rpc_vers = 5, .rpc_vers_minor = p[1], .ptype = p[2], .pfc_flags = p[3],
                        .drep = { p[4], p[5], p[6], p[7] }, .frag_length = (uint16_t)len,
                        .call_id = dcom_get_le32(p + 12),
                };
                pdu->raw = p;
                pdu->body = p + RPC_CO_HEADER_SIZE;
                pdu->body_len = len - RPC_CO_HEADER_SIZE;
                pdu->has_auth = false;
                pdu->auth = NULL;
                pdu->auth_len = 0;
                memset(&pdu->sec, 0, sizeof pdu->sec);
                return 0;
        }
        int r = rpc_hdr_parse(p, len, &pdu->hdr);

        if (r < 0)
                return r == -EAGAIN ? -EBADMSG : r;
        if (pdu->hdr.frag_length != len)
                return -EBADMSG;
        pdu->raw = p;
        pdu->body = p + RPC_CO_HEADER_SIZE;
        pdu->body_len = len - RPC_CO_HEADER_SIZE;
        pdu->has_auth = pdu->hdr.auth_length != 0;
        pdu->auth = NULL;
        pdu->auth_len = 0;
        memset(&pdu->sec, 0, sizeof pdu->sec);
        if (pdu->has_auth) {
                size_t tail = (size_t)pdu->hdr.auth_length + RPC_SEC_TRAILER_SIZE;
                struct rd t = { .p = p, .len = len, .off = len - tail,
                                .be = (pdu->hdr.drep[0] & 0xf0) == 0 };
                (void)rd_u8(&t, &pdu->sec.auth_type);
                (void)rd_u8(&t, &pdu->sec.auth_level);
                (void)rd_u8(&t, &pdu->sec.auth_pad_length);
                (void)rd_u8(&t, &pdu->sec.auth_reserved);
                (void)rd_u32(&t, &pdu->sec.auth_context_id);
                pdu->auth = p + len - pdu->hdr.auth_length;
                pdu->auth_len = pdu->hdr.auth_length;
                pdu->body_len -= tail;
        }
        return 0;
}

/* --- request / response / fault ------------------------------------------------------------ */

int rpc_request_parse(struct rpc_pdu *pdu) {
        struct rd r = { .p = pdu->body, .len = pdu->body_len,
                        .be = (pdu->hdr.drep[0] & 0xf0) == 0 };

        /* [C706] 12.6.4.9: alloc_hint, p_cont_id, opnum, [object], stub */
        if (rd_u32(&r, &pdu->alloc_hint) < 0 || rd_u16(&r, &pdu->context_id) < 0 ||
            rd_u16(&r, &pdu->opnum) < 0)
                return -EBADMSG;
        pdu->has_object = (pdu->hdr.pfc_flags & RPC_PFC_OBJECT_UUID) != 0;
        if (pdu->has_object && rd_guid(&r, &pdu->object) < 0)
                return -EBADMSG;
        return rpc_stub_of(pdu, &r);
}

int rpc_response_parse(struct rpc_pdu *pdu) {
        /* the common response, little-endian without a verifier: read in place */
        if (!pdu->has_auth && (pdu->hdr.drep[0] & 0xf0) == 0x10 && pdu->body_len >= 8) {
                pdu->alloc_hint = dcom_get_le32(pdu->body);
                pdu->context_id = (uint16_t)(pdu->body[4] | pdu->body[5] << 8);
                pdu->stub = pdu->body + 8;
                pdu->stub_len = pdu->body_len - 8;
                return 0;
        }
        struct rd r = { .p = pdu->body, .len = pdu->body_len,
                        .be = (pdu->hdr.drep[0] & 0xf0) == 0 };
        uint8_t cancel, reserved;

        /* [C706] 12.6.4.10: alloc_hint, p_cont_id, cancel_count, reserved, stub */
        if (rd_u32(&r, &pdu->alloc_hint) < 0 || rd_u16(&r, &pdu->context_id) < 0 ||
            rd_u8(&r, &cancel) < 0 || rd_u8(&r, &reserved) < 0)
                return -EBADMSG;
        return rpc_stub_of(pdu, &r);
}

/* The stub: what is left of the body but the auth padding. */
int rpc_stub_of(struct rpc_pdu *pdu, const void *rdp) {
        const struct rd *r = rdp;
        size_t left = r->len - r->off;

        if (pdu->has_auth) {
                if (pdu->sec.auth_pad_length > left)
                        return -EBADMSG;
                left -= pdu->sec.auth_pad_length;
        }
        pdu->stub = r->p + r->off;
        pdu->stub_len = left;
        return 0;
}

int rpc_fault_parse(struct rpc_pdu *pdu) {
        struct rd r = { .p = pdu->body, .len = pdu->body_len,
                        .be = (pdu->hdr.drep[0] & 0xf0) == 0 };
        uint8_t cancel, reserved;

        /* [C706] 12.6.4.7: alloc_hint, p_cont_id, cancel_count, reserved, status */
        if (rd_u32(&r, &pdu->alloc_hint) < 0 || rd_u16(&r, &pdu->context_id) < 0 ||
            rd_u8(&r, &cancel) < 0 || rd_u8(&r, &reserved) < 0 || rd_u32(&r, &pdu->status) < 0)
                return -EBADMSG;
        return 0;
}

/* --- bind and alter_context ------------------------------------------------------------- */

int rpc_bind_parse(const struct rpc_pdu *pdu, struct rpc_bind *b) {
        struct rd r = { .p = pdu->body, .len = pdu->body_len,
                        .be = (pdu->hdr.drep[0] & 0xf0) == 0 };
        uint8_t n, reserved;
        uint16_t reserved2;

        /* [C706] 12.6.4.3: max_xmit_frag, max_recv_frag, assoc_group_id, p_context_elem */
        if (rd_u16(&r, &b->max_xmit_frag) < 0 || rd_u16(&r, &b->max_recv_frag) < 0 ||
            rd_u32(&r, &b->assoc_group_id) < 0 || rd_u8(&r, &n) < 0 || rd_u8(&r, &reserved) < 0 ||
            rd_u16(&r, &reserved2) < 0)
                return -EBADMSG;
        if (n > RPC_MAX_CONTEXTS_PER_BIND) {
                log_debug(rpc, "bind with %u presentation contexts", n);
                return -E2BIG;
        }
        b->n_contexts = n;
        for (unsigned i = 0; i < n; i++) {
                struct rpc_pres_context *c = &b->contexts[i];
                uint8_t nts;
                if (rd_u16(&r, &c->context_id) < 0 || rd_u8(&r, &nts) < 0 ||
                    rd_u8(&r, &reserved) < 0 || rd_syntax(&r, &c->abstract) < 0)
                        return -EBADMSG;
                if (nts == 0)
                        return -EBADMSG;        /* [C706] 12.6.3.1: at least one */
                c->n_transfer = nts < RPC_MAX_TRANSFER_SYNTAXES ? nts : RPC_MAX_TRANSFER_SYNTAXES;
                for (unsigned k = 0; k < nts; k++) {
                        struct rpc_syntax_id s;
                        if (rd_syntax(&r, &s) < 0)
                                return -EBADMSG;
                        if (k < RPC_MAX_TRANSFER_SYNTAXES)
                                c->transfer[k] = s;
                }
        }
        return 0;
}

/* --- writing ---------------------------------------------------------------------------- */

void rpc_put_u16(struct buf *b, uint16_t v) {
        uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
        buf_append(b, p, 2);
}

void rpc_put_u32(struct buf *b, uint32_t v) {
        uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
        buf_append(b, p, 4);
}

void rpc_put_syntax(struct buf *b, const struct rpc_syntax_id *s) {
        uint8_t g[16];
        dcom_guid_to_wire(&s->uuid, g);
        buf_append(b, g, 16);
        rpc_put_u16(b, s->ver_major);
        rpc_put_u16(b, s->ver_minor);
}

/* Zero bytes up to a multiple of a, counted from start. */
void rpc_put_align(struct buf *b, size_t start, size_t a) {
        static const uint8_t zeros[8];
        size_t pad = (a - ((b->len - start) & (a - 1))) & (a - 1);
        buf_append(b, zeros, pad);
}

size_t rpc_pdu_begin(struct buf *b, uint8_t ptype, uint8_t flags, uint32_t call_id) {
        size_t start = b->len;
        uint8_t h[RPC_CO_HEADER_SIZE];

        rpc_hdr_write(h, ptype, flags, 0, 0, call_id);
        buf_append(b, h, sizeof h);
        return start;
}

int rpc_pdu_end(struct buf *b, size_t start) {
        size_t len;

        if (b->error)
                return b->error;
        len = b->len - start;
        if (len > UINT16_MAX)
                return -EMSGSIZE;
        b->data[start + 8] = (uint8_t)len;
        b->data[start + 9] = (uint8_t)(len >> 8);
        return 0;
}

/* Well-known syntaxes. */
const struct rpc_syntax_id rpc_syntax_ndr20 = {
        { 0x8a885d04, 0x1ceb, 0x11c9, { 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60 } }, 2, 0,
};
const struct rpc_syntax_id rpc_syntax_ndr64 = {
        { 0x71710533, 0xbeba, 0x4937, { 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36 } }, 1, 0,
};

/* [MS-RPCE] 3.3.1.5.3: 6cb71c2c-9812-4540-XXXX-000000000000 v1.0, bitmask in bytes 8-9 */
bool rpc_syntax_is_btfn(const struct rpc_syntax_id *s, uint16_t *ret_bitmask) {
        if (s->uuid.Data1 != 0x6cb71c2c || s->uuid.Data2 != 0x9812 || s->uuid.Data3 != 0x4540 ||
            s->ver_major != 1 || s->ver_minor != 0)
                return false;
        for (int i = 2; i < 8; i++)
                if (s->uuid.Data4[i])
                        return false;
        if (ret_bitmask)
                *ret_bitmask = (uint16_t)(s->uuid.Data4[0] | s->uuid.Data4[1] << 8);
        return true;
}

/* A place in a stub given as pieces (rpc_frag_writev): piece i, offset off in it. */
struct cursor {
        const struct iovec *p;
        int n, i;
        size_t off;
};

/* Skips empty pieces: the cursor is then at a byte, or at the end. */
static void cur_settle(struct cursor *c) {
        while (c->i < c->n && c->off == c->p[c->i].iov_len) {
                c->i++;
                c->off = 0;
        }
}

/* n bytes from the cursor appended to out (the cursor moves past them). */
static void cur_append(struct cursor *c, struct buf *out, size_t n) {
        while (n) {
                cur_settle(c);
                if (c->i == c->n)
                        return;         /* (the pieces hold len bytes: not reached) */
                size_t t = c->p[c->i].iov_len - c->off;
                if (t > n)
                        t = n;
                buf_append(out, (const uint8_t *)c->p[c->i].iov_base + c->off, t);
                c->off += t;
                n -= t;
        }
}

/*
 * Fragments gathered for one emitv: their headers in out (at offsets: out may move as it
 * grows), their stubs where the caller's pieces lie (from a cursor, stub_len bytes: a
 * fragment may take several pieces, a piece lie in several fragments).
 */
#define GATHER_MAX 64
#define GATHER_IOV 1000                 /* below IOV_MAX (1024) */

struct gather {
        size_t hdr_off[GATHER_MAX], hdr_len[GATHER_MAX], stub_len[GATHER_MAX];
        struct cursor stub[GATHER_MAX];
        unsigned n, n_iov;
        size_t bytes;
        struct iovec iov[GATHER_IOV];
};

/* The iovecs a fragment's stub takes from a cursor (moved past it). */
static unsigned cur_count(struct cursor *c, size_t n) {
        unsigned k = 0;

        while (n) {
                cur_settle(c);
                if (c->i == c->n)
                        break;
                size_t t = c->p[c->i].iov_len - c->off;
                if (t > n)
                        t = n;
                c->off += t;
                n -= t;
                k++;
        }
        return k;
}

static int gather_flush(struct buf *out, const struct rpc_frag_spec *f, struct gather *g) {
        struct iovec *iov = g->iov;
        int n = 0, r;

        for (unsigned i = 0; i < g->n; i++) {
                struct cursor c = g->stub[i];
                size_t left = g->stub_len[i];

                iov[n++] = (struct iovec){ out->data + g->hdr_off[i], g->hdr_len[i] };
                while (left) {
                        cur_settle(&c);
                        if (c.i == c.n)
                                break;
                        size_t t = c.p[c.i].iov_len - c.off;
                        if (t > left)
                                t = left;
                        iov[n++] = (struct iovec){ (uint8_t *)c.p[c.i].iov_base + c.off, t };
                        c.off += t;
                        left -= t;
                }
        }
        r = f->emitv(f->emit_ctx, iov, n);
        buf_clear(out);
        g->n = 0;
        g->n_iov = 0;
        g->bytes = 0;
        return r;
}

int rpc_frag_write(struct buf *out, const struct rpc_frag_spec *f, const uint8_t *stub,
                   size_t len) {
        struct iovec one = { (void *)(uintptr_t)stub, len };

        return rpc_frag_writev(out, f, &one, 1, len);
}

/*
 * [C706] 12.6.4.9, 12.6.4.10: a request's or response's stub cut into fragments of at
 * most f->max_xmit bytes, each protected by f->sec ([MS-RPCE] 2.2.2.11: a protected
 * fragment's stub is a multiple of 16 bytes but the last) -- for both sides.
 */
/*
 * The common PDU -- one fragment, nothing to sign or seal: the header made in place, the
 * pieces copied behind it, in one growth of out ([C706] 12.6.4.9 and 12.6.4.10: the
 * request's and the response's header).
 */
static int frag_write_one(struct buf *out, const struct rpc_frag_spec *f,
                          const struct iovec *pieces, int n_pieces, size_t len, size_t head) {
        bool request = f->ptype == RPC_PTYPE_REQUEST;
        uint8_t flags = RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG |
                        (request && f->object ? RPC_PFC_OBJECT_UUID : 0);

        if (head + len > UINT16_MAX)
                return -EMSGSIZE;
        if (f->emit && !f->flush_at)
                buf_clear(out);
        size_t start = out->len;
        uint8_t *p = buf_extend(out, head + len);
        if (!p)
                return out->error ? out->error : -ENOMEM;
        rpc_hdr_write(p, f->ptype, flags, (uint16_t)(head + len), 0, f->call_id);
        p += RPC_CO_HEADER_SIZE;
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(len >> (8 * i));               /* alloc_hint */
        p[4] = (uint8_t)f->context_id;
        p[5] = (uint8_t)(f->context_id >> 8);
        if (request) {
                p[6] = (uint8_t)f->opnum;
                p[7] = (uint8_t)(f->opnum >> 8);
                if (f->object)
                        dcom_guid_to_wire(f->object, p + 8);
        } else {
                p[6] = 0;                                       /* cancel_count */
                p[7] = 0;
        }
        p = out->data + start + head;
        for (int i = 0; i < n_pieces && len; i++) {
                size_t t = pieces[i].iov_len < len ? pieces[i].iov_len : len;
                if (t)
                        memcpy(p, pieces[i].iov_base, t);
                p += t;
                len -= t;
        }
        if (len)
                memset(p, 0, len);      /* (the pieces hold len bytes: not reached) */
        if (!f->emit)
                return 0;
        int r = f->emit(f->emit_ctx, out->data + (f->flush_at ? 0 : start),
                        out->len - (f->flush_at ? 0 : start));
        if (f->flush_at)
                buf_clear(out);
        return r;
}

int rpc_frag_writev(struct buf *out, const struct rpc_frag_spec *f, const struct iovec *pieces,
                    int n_pieces, size_t len) {
        bool request = f->ptype == RPC_PTYPE_REQUEST;
        bool protect = rpc_sec_protects(f->sec);
        size_t head = RPC_CO_HEADER_SIZE + 8 + (request && f->object ? 16 : 0);
        size_t room = rpc_frag_room(f->max_xmit, head, rpc_sec_overhead(f->sec)), off = 0;
        struct cursor cur = { pieces, n_pieces, 0, 0 };
        int r;

        if (protect)
                room &= ~(size_t)15;
        if (!protect && len <= room)
                return frag_write_one(out, f, pieces, n_pieces, len, head);
        /* several fragments with nothing to sign or seal: their stubs are not copied, the
           headers and the stub's slices go out together (one fragment is copied: one
           small write is cheaper than a gathered one) */
        if (f->emitv && f->flush_at && !protect && len > room) {
                struct gather *ga = dcom_malloc(sizeof *ga);
                if (!ga)
                        return -ENOMEM;
                ga->n = 0;
                ga->n_iov = 0;
                ga->bytes = 0;
                r = 0;
                do {
                        size_t n = len - off < room ? len - off : room;
                        uint8_t flags = (off == 0 ? RPC_PFC_FIRST_FRAG : 0) |
                                        (off + n == len ? RPC_PFC_LAST_FRAG : 0) |
                                        (request && f->object ? RPC_PFC_OBJECT_UUID : 0);
                        struct cursor at = cur;
                        unsigned k = 1 + cur_count(&cur, n);
                        if (ga->n && ga->n_iov + k > GATHER_IOV &&
                            (r = gather_flush(out, f, ga)) < 0)
                                break;
                        size_t start = rpc_pdu_begin(out, f->ptype, flags, f->call_id);
                        rpc_put_u32(out, (uint32_t)(len - off));        /* alloc_hint */
                        rpc_put_u16(out, f->context_id);
                        if (request) {
                                rpc_put_u16(out, f->opnum);
                                if (f->object) {
                                        uint8_t guid[16];
                                        dcom_guid_to_wire(f->object, guid);
                                        buf_append(out, guid, 16);
                                }
                        } else {
                                buf_put_u8(out, 0);             /* cancel_count */
                                buf_put_u8(out, 0);
                        }
                        size_t hdr = out->len - start;
                        if (out->error || hdr + n > UINT16_MAX) {
                                r = out->error ? -ENOMEM : -EMSGSIZE;
                                break;
                        }
                        out->data[start + 8] = (uint8_t)(hdr + n);      /* frag_length */
                        out->data[start + 9] = (uint8_t)((hdr + n) >> 8);
                        ga->hdr_off[ga->n] = start;
                        ga->hdr_len[ga->n] = hdr;
                        ga->stub[ga->n] = at;
                        ga->stub_len[ga->n] = n;
                        ga->n++;
                        ga->n_iov += k;
                        ga->bytes += hdr + n;
                        off += n;
                        /* GATHER_MAX fragments a batch (4 MiB of 65528-byte fragments,
                           370 KiB of Windows' 5840): a 1 MiB request between two OpenDCOM
                           peers is one sendmsg, as the raw floor's one send() -- in batches
                           of 256 KiB, each sendmsg could block and hand the CPU to the
                           server for a part of the call (4 switches a call, not 1) */
                        if ((ga->n == GATHER_MAX || off == len) &&
                            (r = gather_flush(out, f, ga)) < 0)
                                break;
                } while (off < len);
                dcom_free(ga);
                return r;
        }
        do {
                size_t n = len - off < room ? len - off : room;
                uint8_t flags = (off == 0 ? RPC_PFC_FIRST_FRAG : 0) |
                                (off + n == len ? RPC_PFC_LAST_FRAG : 0) |
                                (request && f->object ? RPC_PFC_OBJECT_UUID : 0);
                if (f->emit && !f->flush_at)
                        buf_clear(out);
                size_t start = rpc_pdu_begin(out, f->ptype, flags, f->call_id);
                rpc_put_u32(out, (uint32_t)(len - off));        /* alloc_hint */
                rpc_put_u16(out, f->context_id);
                if (request) {
                        rpc_put_u16(out, f->opnum);
                        if (f->object) {
                                uint8_t g[16];
                                dcom_guid_to_wire(f->object, g);
                                buf_append(out, g, 16);
                        }
                } else {
                        buf_put_u8(out, 0);                     /* cancel_count */
                        buf_put_u8(out, 0);
                }
                size_t stub_off = out->len - start;
                cur_append(&cur, out, n);
                if ((r = rpc_sec_end_fragment(out, start, stub_off, f->sec)) < 0)
                        return r;
                if (out->error)
                        return -ENOMEM;
                off += n;
                if (f->emit && !f->flush_at &&
                    (r = f->emit(f->emit_ctx, out->data + start, out->len - start)) < 0)
                        return r;
                if (f->emit && f->flush_at && (out->len >= f->flush_at || off == len)) {
                        /* a batch of whole fragments, written where they were made */
                        r = f->emit(f->emit_ctx, out->data, out->len);
                        buf_clear(out);
                        if (r < 0)
                                return r;
                }
        } while (off < len);
        return 0;
}
