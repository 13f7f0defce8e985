/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Growable byte buffer with a sticky error flag (sd-bus's "poisoned" message): once an
 * append fails, every later append is a no-op and the error stays, so code that
 * pushes many fields checks buf.error once at the end.
 *
 * Public because generated stubs (<dcom/ndr-stub.h>) keep one on their stack.
 */
#ifndef DCOM_BUF_H
#define DCOM_BUF_H

#include <stddef.h>

#include <dcom/types.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct buf {
        uint8_t *data;
        size_t len;
        size_t cap;
        size_t max;             /* growth cap in bytes; 0 = none */
        int error;              /* 0 or the first negative errno */
};

DCOM_EXPORT void buf_init(struct buf *b, size_t max);
DCOM_EXPORT void buf_free(struct buf *b);
/* Empties the buffer, keeps its memory, clears the error. */
DCOM_EXPORT void buf_clear(struct buf *b);

/* Makes room for n more bytes; returns 0 or the (sticky) error. */
DCOM_EXPORT int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes and returns a pointer to them (to fill in), or NULL after an error. */
DCOM_EXPORT void *buf_extend(struct buf *b, size_t n);
DCOM_EXPORT void buf_append(struct buf *b, const void *p, size_t n);
DCOM_EXPORT void buf_put_u8(struct buf *b, uint8_t v);
DCOM_EXPORT void buf_put_u16le(struct buf *b, uint16_t v);
DCOM_EXPORT void buf_put_u32le(struct buf *b, uint32_t v);
DCOM_EXPORT void buf_put_u64le(struct buf *b, uint64_t v);
/* Zero bytes up to a multiple of align (a power of two), relative to the start. */
DCOM_EXPORT void buf_pad(struct buf *b, size_t align);
/* Records err (negative errno) unless an error is already recorded. */
DCOM_EXPORT void buf_poison(struct buf *b, int err);

/* Hands the bytes to the caller (free with dcom_free); the buffer is left empty. */
DCOM_EXPORT uint8_t *buf_steal(struct buf *b, size_t *ret_len);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_BUF_H */
