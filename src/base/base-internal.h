/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The base layer's private interface, for the layers above it: allocator with fault
 * injection, per-call arena, growable buffer and channel logging, plus the public
 * GUID, status and UTF-16 API.  Lower layers never include higher ones.
 */
#ifndef DCOM_BASE_INTERNAL_H
#define DCOM_BASE_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <dcom/guid.h>
#include <dcom/status.h>
#include <dcom/utf16.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Little-endian integers in a byte buffer (wire and file formats), whatever the host. */
static inline uint32_t dcom_get_le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* (on a little-endian host one store: byte by byte, compilers rebuild a value made of
   several fields from its bytes first) */
static inline void dcom_put_le32(uint8_t *p, uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(p, &v, sizeof v);
#else
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
#endif
}

static inline uint64_t dcom_get_le64(const uint8_t *p) {
        return (uint64_t)dcom_get_le32(p) | (uint64_t)dcom_get_le32(p + 4) << 32;
}

static inline void dcom_put_le64(uint8_t *p, uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(p, &v, sizeof v);
#else
        dcom_put_le32(p, (uint32_t)v);
        dcom_put_le32(p + 4, (uint32_t)(v >> 32));
#endif
}

/* The value of one hex digit (either case), or -1.  For char and WCHAR alike. */
static inline int hex_digit(uint32_t c) {
        if (c >= '0' && c <= '9')
                return (int)(c - '0');
        if (c >= 'a' && c <= 'f')
                return (int)(c - 'a' + 10);
        if (c >= 'A' && c <= 'F')
                return (int)(c - 'A' + 10);
        return -1;
}

/*
 * Milliseconds of the coarse monotonic clock, for deadlines and timeouts: read from the
 * vDSO without a system call and cheaper than CLOCK_MONOTONIC (it is on the activation
 * and RPC call paths); its resolution, a few milliseconds, is below any timeout here.
 */
static inline uint64_t dcom_monotonic_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The thread's spare blocks (spare.c): a block a hot path frees, kept for its next
 * allocation.  take: the slot's block (its size in *ret_size) or NULL, and the slot is
 * empty; keep: true if p (of size bytes, from dcom_malloc) is now the slot's, false if
 * the slot is taken (the caller frees p).
 */
enum {
        DCOM_SPARE_PUSH,        /* an NDR push buffer (ndr_push_init/free) */
        DCOM_SPARE_CALL,        /* an incoming ORPC call's context (com_call_enter) */
        DCOM_SPARE_SLOTS
};
void *dcom_spare_take(unsigned slot, size_t *ret_size);
bool dcom_spare_keep(unsigned slot, void *p, size_t size);

/* Recovers the containing object from a pointer to one of its members (Wine's impl_from_*). */
#define CONTAINING_RECORD(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif /* DCOM_BASE_INTERNAL_H */
