/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Growable byte buffer.  Capacity doubles (from 256 bytes) so n appends cost O(n)
 * copies in all; lengths are checked for overflow before any arithmetic.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#define DCOM_BUF_NO_INLINE      /* the exported functions themselves */
#include "base/alloc.h"
#include "base/buf.h"

void buf_init(struct buf *b, size_t max) {
        *b = (struct buf){ .max = max };
}

void buf_free(struct buf *b) {
        dcom_free(b->data);
        buf_init(b, b->max);
}

void buf_clear(struct buf *b) {
        b->len = 0;
        b->error = 0;
}

void buf_poison(struct buf *b, int err) {
        if (!b->error)
                b->error = err;
}

int buf_reserve(struct buf *b, size_t n) {
        size_t want, cap;
        uint8_t *p;

        if (b->error)
                return b->error;
        if (n <= b->cap - b->len)
                return 0;
        if (n > SIZE_MAX / 2 - b->len || (b->max && b->len + n > b->max)) {
                buf_poison(b, -E2BIG);
                return b->error;
        }
        want = b->len + n;
        cap = b->cap ? b->cap : 256;
        while (cap < want)
                cap *= 2;
        if (b->max && cap > b->max)
                cap = b->max;
        p = dcom_realloc(b->data, cap);
        if (!p) {
                buf_poison(b, -ENOMEM);
                return b->error;
        }
        b->data = p;
        b->cap = cap;
        return 0;
}

void *buf_extend(struct buf *b, size_t n) {
        static uint8_t nothing;
        void *p;

        if (buf_reserve(b, n) < 0)
                return NULL;
        if (!b->data)   /* n == 0 on an empty buffer (NULL + 0 is undefined); else reserved */
                return n ? NULL : &nothing;
        p = b->data + b->len;
        b->len += n;
        return p;
}

void buf_append(struct buf *b, const void *p, size_t n) {
        void *q = buf_extend_inline(b, n);

        if (q && n)
                memcpy(q, p, n);
}

void buf_put_u8(struct buf *b, uint8_t v) {
        uint8_t *q = buf_extend_inline(b, 1);

        if (q)
                q[0] = v;
}

void buf_put_u16le(struct buf *b, uint16_t v) {
        uint8_t *q = buf_extend_inline(b, 2);

        if (q) {
                q[0] = (uint8_t)v;
                q[1] = (uint8_t)(v >> 8);
        }
}

void buf_put_u32le(struct buf *b, uint32_t v) {
        uint8_t *q = buf_extend_inline(b, 4);

        if (q)
                for (int i = 0; i < 4; i++)
                        q[i] = (uint8_t)(v >> (8 * i));
}

void buf_put_u64le(struct buf *b, uint64_t v) {
        uint8_t *q = buf_extend_inline(b, 8);

        if (q)
                for (int i = 0; i < 8; i++)
                        q[i] = (uint8_t)(v >> (8 * i));
}

void buf_pad(struct buf *b, size_t align) {
        size_t pad = (align - (b->len & (align - 1))) & (align - 1);
        void *q = buf_extend_inline(b, pad);

        if (q && pad)
                memset(q, 0, pad);
}

uint8_t *buf_steal(struct buf *b, size_t *ret_len) {
        uint8_t *p = b->data;

        if (ret_len)
                *ret_len = b->len;
        b->data = NULL;
        b->len = b->cap = 0;
        return p;
}
