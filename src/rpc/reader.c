/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The framing of connection-oriented DCE/RPC ([C706] 12.6.1: each PDU says its length in
 * its header), one implementation for the client and the server: bytes come in as the
 * transport delivers them, whole PDUs go out, in place, validated up to the header.
 *
 * The buffer starts small (most PDUs are small; Windows' fragments are 5840 bytes), grows to
 * what the PDU being received needs (at most 64 KiB, frag_length's range), and shrinks
 * back when nothing is pending (rpc_reader_trim), so that an idle connection holds at
 * most READER_MIN bytes of receive buffer.
 */
#include <errno.h>
#include <string.h>

#include "rpc/rpc-internal.h"

#define READER_MIN 8192
#define READER_MAX (UINT16_MAX + 1)
#define READER_BULK (256u << 10)

void rpc_reader_free(struct rpc_reader *r) {
        dcom_free(r->buf);
        memset(r, 0, sizeof *r);
}

void rpc_reader_trim(struct rpc_reader *r) {
        /* only a buffer grown for a large PDU: the common small one stays, no churn */
        if (r->off == r->len && r->buf && r->cap > READER_MIN) {
                dcom_free(r->buf);
                r->buf = NULL;
                r->cap = r->len = r->off = 0;
        }
}

void rpc_reader_bulk(struct rpc_reader *r) {
        /* fragments keep coming: room for several per read, as much as a PDU may hold */
        if (r->off && r->off == r->len)
                r->off = r->len = 0;            /* everything taken: start over */
        if (r->cap < READER_BULK && r->off == 0 && r->cap - r->len < READER_BULK / 2) {
                uint8_t *p = dcom_realloc(r->buf, READER_BULK);
                if (p) {
                        r->buf = p;
                        r->cap = READER_BULK;
                }
        }
}

/* The length of the PDU being received, once its header is in; 0 before. */
static size_t pending_pdu_length(const struct rpc_reader *r) {
        struct rpc_hdr h;

        if (r->len - r->off < RPC_CO_HEADER_SIZE ||
            rpc_hdr_parse(r->buf + r->off, RPC_CO_HEADER_SIZE, &h) < 0)
                return 0;
        return h.frag_length;
}

int rpc_reader_room(struct rpc_reader *r, uint8_t **ret, size_t *ret_n) {
        size_t need, want;

        /* the common case: everything taken, the whole buffer (at least READER_MIN) free */
        if (r->off == r->len && r->buf) {
                r->off = r->len = 0;
                *ret = r->buf;
                *ret_n = r->cap;
                return 0;
        }
        need = pending_pdu_length(r);

        /* what is pending moves to the front when the tail is short of one PDU */
        want = need ? need : READER_MIN;
        if (r->off && r->cap - r->off < want) {
                memmove(r->buf, r->buf + r->off, r->len - r->off);
                r->len -= r->off;
                r->off = 0;
        }
        if (!r->buf || r->cap - r->len < READER_MIN / 2 || (need && r->cap < need)) {
                size_t cap = r->cap ? r->cap : READER_MIN;
                while (cap < READER_MAX && (cap - r->len < READER_MIN / 2 || cap < need))
                        cap *= 2;
                if (cap != r->cap || !r->buf) {
                        uint8_t *p = dcom_realloc(r->buf, cap);
                        if (!p)
                                return -ENOMEM;
                        r->buf = p;
                        r->cap = cap;
                }
        }
        if (r->len == r->cap)
                return -ENOBUFS;        /* cannot happen: a PDU fits READER_MAX */
        *ret = r->buf + r->len;
        *ret_n = r->cap - r->len;
        return 0;
}

/* Whether the n bytes at p, a PDU's start, hold all of it ([C706] 12.6.3.1: frag_length
   at offset 8, in the byte order byte 4 gives). */
static bool whole_pdu(const uint8_t *p, size_t n) {
        if (n < RPC_CO_HEADER_SIZE)
                return false;
        size_t len = (p[4] & 0xf0) ? (size_t)(p[8] | p[9] << 8) : (size_t)(p[8] << 8 | p[9]);
        return len <= n;
}

void rpc_reader_filled(struct rpc_reader *r, size_t n) {
        /* a new PDU begins: its clock starts -- unless it came whole, to be taken at once
           (rpc_reader_next starts the clock of one behind it) */
        if (r->len == r->off && n && !whole_pdu(r->buf + r->len, n))
                r->since_ms = dcom_monotonic_ms();
        r->len += n;
}

int rpc_reader_next(struct rpc_reader *r, const uint8_t **ret, size_t *ret_len) {
        struct rpc_hdr h;
        size_t have = r->len - r->off;
        int e;

        if (have < RPC_CO_HEADER_SIZE)
                return 0;
        e = rpc_hdr_parse(r->buf + r->off, have, &h);
        if (e < 0 && e != -EAGAIN)
                return e;
        if (e < 0 || have < h.frag_length)
                return 0;
        *ret = r->buf + r->off;
        *ret_len = h.frag_length;
        r->off += h.frag_length;
        if (r->off < r->len)
                r->since_ms = dcom_monotonic_ms();      /* the next one has begun */
        return 1;
}

size_t rpc_reader_pending(const struct rpc_reader *r) {
        return r->len - r->off;
}

void rpc_reader_drop(struct rpc_reader *r, size_t n) {
        r->off += n < r->len - r->off ? n : r->len - r->off;
        if (r->off == r->len)
                r->off = r->len = 0;
}
