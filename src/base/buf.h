/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The growable buffer: public (<dcom/buf.h>) since an NDR push holds one. */
#ifndef DCOM_BASE_BUF_H
#define DCOM_BASE_BUF_H
#include <string.h>

#include <dcom/buf.h>

/*
 * The library's own appends take the common case -- room left, no error -- inline and
 * call the exported functions only to grow (or to report the error): every PDU header
 * and NDR scalar is an append, and a null ORPC call makes some sixty of them.  The
 * exported functions stay what <dcom/buf.h> says; buf.c defines them with
 * DCOM_BUF_NO_INLINE.
 */
static inline void *buf_extend_inline(struct buf *b, size_t n) {
        if (!b->error && b->data && n <= b->cap - b->len) {
                void *p = b->data + b->len;
                b->len += n;
                return p;
        }
        return buf_extend(b, n);
}

static inline void buf_append_inline(struct buf *b, const void *p, size_t n) {
        void *q = buf_extend_inline(b, n);

        if (q && n)
                memcpy(q, p, n);
}

static inline void buf_put_u8_inline(struct buf *b, uint8_t v) {
        uint8_t *q = buf_extend_inline(b, 1);

        if (q)
                q[0] = v;
}

#ifndef DCOM_BUF_NO_INLINE
#define buf_extend(b, n) buf_extend_inline(b, n)
#define buf_append(b, p, n) buf_append_inline(b, p, n)
#define buf_put_u8(b, v) buf_put_u8_inline(b, v)
#endif

#endif
