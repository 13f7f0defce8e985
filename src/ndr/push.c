/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NDR marshaling.  Everything goes into one growable buffer whose error is sticky
 * (sd-bus's poisoned message): after the first failure every push is a no-op that
 * returns the error, so generated code may check once at the end.  We always marshal
 * little-endian, ASCII, IEEE (ndr_drep_le), zero the pad bytes, and number referent
 * IDs as Windows does.  Alignment is relative to the start of the stub, which need not
 * be the start of the buffer (ndr_push_start_stub()).
 */
/* this file defines the functions <dcom/ndr.h> would inline */
#define DCOM_NDR_NO_INLINE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "ndr/ndr-internal.h"

static LOG_CHANNEL(ndr);

#define NDR_HOST_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* A push buffer at most this big is kept for the thread's next push (a proxy pushes its
   request into a new buffer and frees it: a malloc and a free every call otherwise). */
#define SPARE_MAX 4096

void ndr_push_init(struct ndr_push *ndr, size_t max) {
        size_t cap = 0;
        uint8_t *p = dcom_spare_take(DCOM_SPARE_PUSH, &cap);

        if (p && max && cap > max) {
                dcom_spare_keep(DCOM_SPARE_PUSH, p, cap);       /* too big for this one */
                p = NULL;
        }
        /* buf_init's empty buffer, or the spare one, set here: a proxy's every call */
        *ndr = (struct ndr_push){
                .buf = { .data = p, .cap = p ? cap : 0, .max = max },
                .max_depth = NDR_MAX_DEPTH_DEFAULT,
                .next_ref_id = NDR_REF_ID_FIRST,
        };
}

/* What was never allocated is not freed: a proxy's request has no full pointers, no
   referenced arrays and no OBJREFs to forget, and its buffer goes back to the spare slot. */
void ndr_push_free(struct ndr_push *ndr) {
        uint8_t *data = ndr->buf.data;

        if (ndr->marshaled)
                ndr_push_marshaled_forget_(ndr);
        if (data && !(ndr->buf.cap <= SPARE_MAX &&
                      dcom_spare_keep(DCOM_SPARE_PUSH, data, ndr->buf.cap)))
                dcom_free(data);
        ndr->buf = (struct buf){ .max = ndr->buf.max };        /* buf_free's */
        if (ndr->full.keys)
                ndr_map_free_(&ndr->full);
        if (ndr->ref) {
                dcom_free(ndr->ref);
                ndr->ref = NULL;
        }
        ndr->n_refs = ndr->cap_refs = 0;
        ndr->ref_bytes = 0;
}

void ndr_push_reset(struct ndr_push *ndr) {
        ndr_push_marshaled_forget_(ndr);
        buf_clear(&ndr->buf);
        ndr->base = 0;
        ndr->depth = 0;
        ndr->next_ref_id = NDR_REF_ID_FIRST;
        ndr->n_refs = 0;
        ndr->ref_bytes = 0;
        if (ndr->full.n) {
                memset(ndr->full.keys, 0, ndr->full.cap * sizeof(uintptr_t));
                ndr->full.n = 0;
        }
}

void ndr_push_start_stub(struct ndr_push *ndr) {
        ndr->base = ndr->buf.len;
}

void ndr_push_by_reference(struct ndr_push *ndr) {
        ndr_push_by_reference_inline_(ndr);
}

size_t ndr_push_stub_iov(const struct ndr_push *ndr, struct iovec *iov, size_t max) {
        size_t k = 0, at = ndr->base;

        for (uint32_t i = 0; i <= ndr->n_refs; i++) {
                size_t end = i < ndr->n_refs ? ndr->ref[i].at : ndr->buf.len;
                if (end > at) {
                        if (k < max)
                                iov[k] = (struct iovec){ ndr->buf.data + at, end - at };
                        k++;
                }
                at = end;
                if (i < ndr->n_refs) {
                        if (k < max)
                                iov[k] = (struct iovec){ (void *)(uintptr_t)ndr->ref[i].p,
                                                         ndr->ref[i].n };
                        k++;
                }
        }
        return k;
}

/* Each referenced array moved in, from the last: buf's bytes after it move up by the
   sizes of those before them, once. */
int ndr_push_flatten(struct ndr_push *ndr) {
        struct buf *b = &ndr->buf;
        size_t tail;

        if (!ndr->n_refs)
                return b->error;
        if (b->error)
                return b->error;
        tail = b->len;
        if (!buf_extend(b, ndr->ref_bytes))
                return b->error;
        size_t shift = ndr->ref_bytes;
        for (uint32_t i = ndr->n_refs; i-- > 0;) {
                const struct ndr_push_ref *r = &ndr->ref[i];
                memmove(b->data + r->at + shift, b->data + r->at, tail - r->at);
                shift -= r->n;
                memcpy(b->data + r->at + shift, r->p, r->n);
                tail = r->at;
        }
        ndr->n_refs = 0;
        ndr->ref_bytes = 0;
        return 0;
}

/* The zero bytes that align the stub's next byte (referenced arrays counted) to align. */
static inline size_t pad_to(const struct ndr_push *ndr, size_t align) {
        size_t at = ndr->buf.len + ndr->ref_bytes - ndr->base;

        return (align - (at & (align - 1))) & (align - 1);
}

/*
 * n bytes at p referenced at the current end of buf (by_ref, large enough), after the
 * pad to align; false: copy them.  The growth cap counts them as if copied.
 */
static bool push_ref(struct ndr_push *ndr, size_t align, const void *p, size_t n) {
        struct buf *b = &ndr->buf;

        if (!ndr->by_ref || n < NDR_PUSH_REF_MIN || b->error)
                return false;
        if (ndr->n_refs == ndr->cap_refs) {
                uint32_t cap = ndr->cap_refs ? 2 * ndr->cap_refs : 4;
                struct ndr_push_ref *q = dcom_realloc(ndr->ref, cap * sizeof *q);
                if (!q)
                        return false;   /* copied instead */
                ndr->ref = q;
                ndr->cap_refs = cap;
        }
        size_t pad = pad_to(ndr, align);
        if (b->max && (b->len + ndr->ref_bytes + pad > b->max ||
                       n > b->max - b->len - ndr->ref_bytes - pad)) {
                buf_poison(b, -E2BIG);
                return true;
        }
        if (pad) {
                uint8_t *q = buf_extend(b, pad);
                if (!q)
                        return true;
                memset(q, 0, pad);
        }
        ndr->ref[ndr->n_refs++] = (struct ndr_push_ref){ b->len, p, n };
        ndr->ref_bytes += n;
        return true;
}

int ndr_push_fail(struct ndr_push *ndr, int err) {
        buf_poison(&ndr->buf, err);
        return ndr->buf.error;
}

/* Also after an error: generated code still walks what it pushed (interface pointers
   release their references on the error path), so the depth is taken and left alike;
   only the cap refuses. */
int ndr_push_enter(struct ndr_push *ndr) {
        if (ndr->depth >= ndr->max_depth) {
                log_debug(ndr, "nesting deeper than %u (a cycle through unique pointers?)",
                          ndr->max_depth);
                return ndr_push_fail(ndr, -ELOOP);
        }
        ndr->depth++;
        return 0;
}

void ndr_push_leave(struct ndr_push *ndr) {
        ndr->depth--;
}

/*
 * Zeroed pad to align (relative to the stub), then room for n bytes; NULL after an
 * error.  Nothing to add never reaches buf_extend(), which would compute NULL + 0 on
 * an empty buffer (undefined behaviour, UBSan's pointer-overflow check).
 */
static inline uint8_t *put(struct ndr_push *ndr, size_t align, size_t n) {
        static uint8_t nothing;
        struct buf *b = &ndr->buf;
        size_t pad = pad_to(ndr, align);
        uint8_t *q;

        if (pad + n == 0)
                return b->error ? NULL : &nothing;

        if (n > SIZE_MAX - 8) {
                buf_poison(b, -E2BIG);
                return NULL;
        }
        /* the growth cap counts referenced bytes too */
        if (ndr->ref_bytes && b->max && (b->len + ndr->ref_bytes > b->max ||
                                          pad + n > b->max - b->len - ndr->ref_bytes)) {
                buf_poison(b, -E2BIG);
                return NULL;
        }
        q = buf_extend(b, pad + n);
        if (!q)
                return NULL;
        for (size_t i = 0; i < pad; i++)
                q[i] = 0;
        return q + pad;
}

static inline void le16(uint8_t *q, uint16_t v) {
        q[0] = (uint8_t)v;
        q[1] = (uint8_t)(v >> 8);
}

static inline void le32(uint8_t *q, uint32_t v) {
        q[0] = (uint8_t)v;
        q[1] = (uint8_t)(v >> 8);
        q[2] = (uint8_t)(v >> 16);
        q[3] = (uint8_t)(v >> 24);
}

/* The pad itself, out of line: an aligned push (the common case) saves no registers. */
__attribute__((noinline)) static int push_pad(struct ndr_push *ndr, size_t align) {
        put(ndr, align, 0);
        return ndr->buf.error;
}

/* [C706] 14.2.2: pad bytes to the next multiple of align. */
int ndr_push_align(struct ndr_push *ndr, size_t align) {
        if (!pad_to(ndr, align))        /* aligned already: nothing to add */
                return ndr->buf.error;
        return push_pad(ndr, align);
}

int ndr_push_uint8(struct ndr_push *ndr, uint8_t v) {
        uint8_t *q = put(ndr, 1, 1);

        if (q)
                q[0] = v;
        return ndr->buf.error;
}

int ndr_push_uint16(struct ndr_push *ndr, uint16_t v) {
        uint8_t *q = put(ndr, 2, 2);

        if (q)
                le16(q, v);
        return ndr->buf.error;
}

int ndr_push_uint32(struct ndr_push *ndr, uint32_t v) {
        uint8_t *q = put(ndr, 4, 4);

        if (q)
                le32(q, v);
        return ndr->buf.error;
}

int ndr_push_uint64(struct ndr_push *ndr, uint64_t v) {
        uint8_t *q = put(ndr, 8, 8);

        if (q) {
                le32(q, (uint32_t)v);
                le32(q + 4, (uint32_t)(v >> 32));
        }
        return ndr->buf.error;
}

int ndr_push_hyper(struct ndr_push *ndr, uint64_t v) {
        return ndr_push_uint64(ndr, v);
}

int ndr_push_int8(struct ndr_push *ndr, int8_t v) {
        return ndr_push_uint8(ndr, (uint8_t)v);
}

int ndr_push_int16(struct ndr_push *ndr, int16_t v) {
        return ndr_push_uint16(ndr, (uint16_t)v);
}

int ndr_push_int32(struct ndr_push *ndr, int32_t v) {
        return ndr_push_uint32(ndr, (uint32_t)v);
}

int ndr_push_int64(struct ndr_push *ndr, int64_t v) {
        return ndr_push_uint64(ndr, (uint64_t)v);
}

int ndr_push_float(struct ndr_push *ndr, float v) {
        uint32_t u;

        memcpy(&u, &v, sizeof u);
        return ndr_push_uint32(ndr, u);
}

int ndr_push_double(struct ndr_push *ndr, double v) {
        uint64_t u;

        memcpy(&u, &v, sizeof u);
        return ndr_push_uint64(ndr, u);
}

/* [C706] 14.2: FALSE is 0, TRUE is 1. */
int ndr_push_boolean(struct ndr_push *ndr, bool v) {
        return ndr_push_uint8(ndr, v ? 1 : 0);
}

/* [C706] 14.2: enums are 16-bit, 0..32767 */
int ndr_push_enum16(struct ndr_push *ndr, uint32_t v) {
        if (v > 0x7FFF)
                return ndr_push_fail(ndr, -ERANGE);
        return ndr_push_uint16(ndr, (uint16_t)v);
}

int ndr_push_v1_enum(struct ndr_push *ndr, uint32_t v) {
        return ndr_push_uint32(ndr, v);
}

int ndr_push_guid(struct ndr_push *ndr, const GUID *g) {
        uint8_t *q = put(ndr, 4, 16);

        if (q)
                ndr_put_guid(q, g);
        return ndr->buf.error;
}

int ndr_push_bytes(struct ndr_push *ndr, const void *p, size_t n) {
        if (push_ref(ndr, 1, p, n))
                return ndr->buf.error;
        uint8_t *q = put(ndr, 1, n);

        if (q && n)
                memcpy(q, p, n);
        return ndr->buf.error;
}

int ndr_push_zeros(struct ndr_push *ndr, size_t n) {
        uint8_t *q = put(ndr, 1, n);

        if (q && n)
                memset(q, 0, n);
        return ndr->buf.error;
}

int ndr_push_uint16_array(struct ndr_push *ndr, const uint16_t *p, size_t n) {
        uint8_t *q;

        if (n > SIZE_MAX / 4)
                return ndr_push_fail(ndr, -E2BIG);
        if (NDR_HOST_LE && push_ref(ndr, 2, p, n * 2))
                return ndr->buf.error;
        q = put(ndr, 2, n * 2);
        if (!q || !n)
                return ndr->buf.error;
        if (NDR_HOST_LE)
                memcpy(q, p, n * 2);
        else
                for (size_t i = 0; i < n; i++)
                        le16(q + 2 * i, p[i]);
        return ndr->buf.error;
}

int ndr_push_uint32_array(struct ndr_push *ndr, const uint32_t *p, size_t n) {
        uint8_t *q;

        if (n > SIZE_MAX / 8)
                return ndr_push_fail(ndr, -E2BIG);
        if (NDR_HOST_LE && push_ref(ndr, 4, p, n * 4))
                return ndr->buf.error;
        q = put(ndr, 4, n * 4);
        if (!q || !n)
                return ndr->buf.error;
        if (NDR_HOST_LE)
                memcpy(q, p, n * 4);
        else
                for (size_t i = 0; i < n; i++)
                        le32(q + 4 * i, p[i]);
        return ndr->buf.error;
}

/* --- arrays and strings ([C706] 14.3.3, 14.3.4) --------------------------------------- */

/* [C706] 14.3.3.2 */
int ndr_push_conformance(struct ndr_push *ndr, uint32_t max_count) {
        return ndr_push_uint32(ndr, max_count);
}

/* [C706] 14.3.3.3 */
int ndr_push_variance(struct ndr_push *ndr, uint32_t offset, uint32_t actual) {
        uint8_t *q = put(ndr, 4, 8);

        if (q) {
                le32(q, offset);
                le32(q + 4, actual);
        }
        return ndr->buf.error;
}

int ndr_push_conformant_bytes(struct ndr_push *ndr, const void *p, uint32_t len) {
        ndr_push_conformance(ndr, len);
        return ndr_push_bytes(ndr, p, len);
}

/* [C706] 14.3.4.1: max_count, offset 0, actual_count with the NUL, the elements, the NUL. */
static int push_string(struct ndr_push *ndr, bool conformant, uint32_t max, const void *s,
                       uint32_t len, size_t elem) {
        uint8_t *q;

        if (len >= UINT32_MAX)
                return ndr_push_fail(ndr, -E2BIG);
        if (!conformant && len + 1 > max)
                return ndr_push_fail(ndr, -EINVAL);
        if (conformant)
                ndr_push_conformance(ndr, len + 1);
        ndr_push_variance(ndr, 0, len + 1);
        if (elem == 1) {
                q = put(ndr, 1, (size_t)len + 1);
                if (q) {
                        memcpy(q, s, len);
                        q[len] = 0;
                }
                return ndr->buf.error;
        }
        ndr_push_uint16_array(ndr, s, len);
        return ndr_push_uint16(ndr, 0);
}

int ndr_push_string_n(struct ndr_push *ndr, const char *s, uint32_t len) {
        return push_string(ndr, true, 0, s, len, 1);
}

int ndr_push_string(struct ndr_push *ndr, const char *s) {
        size_t len = strlen(s);

        if (len >= UINT32_MAX)
                return ndr_push_fail(ndr, -E2BIG);
        return push_string(ndr, true, 0, s, (uint32_t)len, 1);
}

static size_t wlen(const uint16_t *s) {
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

int ndr_push_wstring_n(struct ndr_push *ndr, const uint16_t *s, uint32_t len) {
        return push_string(ndr, true, 0, s, len, 2);
}

int ndr_push_wstring(struct ndr_push *ndr, const uint16_t *s) {
        size_t len = wlen(s);

        if (len >= UINT32_MAX)
                return ndr_push_fail(ndr, -E2BIG);
        return push_string(ndr, true, 0, s, (uint32_t)len, 2);
}

int ndr_push_string_fixed(struct ndr_push *ndr, const char *s, uint32_t max) {
        return push_string(ndr, false, max, s, (uint32_t)strnlen(s, max), 1);
}

int ndr_push_wstring_fixed(struct ndr_push *ndr, const uint16_t *s, uint32_t max) {
        size_t len = 0;

        while (len < max && s[len])
                len++;
        return push_string(ndr, false, max, s, (uint32_t)len, 2);
}

/* --- pointers ([C706] 14.3.10) ---------------------------------------------------------- */

/* The next referent ID (<dcom/ndr.h>'s numbering, never 0). */
static uint32_t next_id(struct ndr_push *ndr) {
        static const uint8_t any;

        return ndr_push_unique_id(ndr, &any);
}

int ndr_push_unique_ptr(struct ndr_push *ndr, const void *p) {
        return ndr_push_uint32(ndr, p ? next_id(ndr) : 0);
}

int ndr_push_ref_ptr(struct ndr_push *ndr, const void *p) {
        if (!p)
                return ndr_push_fail(ndr, -EINVAL);
        return ndr_push_uint32(ndr, next_id(ndr));
}

int ndr_push_check_ref(struct ndr_push *ndr, const void *p) {
        if (!p)
                return ndr_push_fail(ndr, -EINVAL);
        return ndr->buf.error;
}

/* [C706] 14.3.10.2: the same object always gets the same referent ID. */
int ndr_push_full_ptr(struct ndr_push *ndr, const void *p) {
        uintptr_t *slot;
        uint32_t id;
        int r;

        if (!p)
                return ndr_push_uint32(ndr, 0);
        if (ndr->buf.error)
                return ndr->buf.error;
        slot = ndr_map_find_(&ndr->full, (uintptr_t)p);
        if (slot)
                return ndr_push_uint32(ndr, (uint32_t)(*slot >> 1));
        id = next_id(ndr);
        r = ndr_map_insert_(&ndr->full, NULL, (uintptr_t)p, (uintptr_t)id << 1);
        if (r < 0)
                return ndr_push_fail(ndr, r);
        return ndr_push_uint32(ndr, id);
}

int ndr_push_full_ptr_pending(struct ndr_push *ndr, const void *p) {
        uintptr_t *slot;

        if (ndr->buf.error)
                return ndr->buf.error;
        slot = p ? ndr_map_find_(&ndr->full, (uintptr_t)p) : NULL;
        if (!slot || (*slot & 1))
                return 0;
        *slot |= 1;
        return 1;
}

/* --- unions, handles, interface pointers, user marshal ------------------------------- */

int ndr_push_union_level(struct ndr_push *ndr, size_t size, uint32_t level) {
        switch (size) {
        case 1:
                if (level > UINT8_MAX)
                        return ndr_push_fail(ndr, -ERANGE);
                return ndr_push_uint8(ndr, (uint8_t)level);
        case 2:
                if (level > UINT16_MAX)
                        return ndr_push_fail(ndr, -ERANGE);
                return ndr_push_uint16(ndr, (uint16_t)level);
        case 4:
                return ndr_push_uint32(ndr, level);
        default:
                return ndr_push_fail(ndr, -EINVAL);
        }
}

int ndr_push_bad_arm(struct ndr_push *ndr, uint32_t level) {
        log_debug(ndr, "union discriminant %u selects no arm", level);
        return ndr_push_fail(ndr, -EINVAL);
}

/* C706 ndr_context_handle: attributes, then the GUID */
int ndr_push_context_handle(struct ndr_push *ndr, const struct ndr_context_handle *h) {
        ndr_push_uint32(ndr, h->attributes);
        return ndr_push_guid(ndr, &h->uuid);
}

/* [MS-DCOM] 2.2.14 */
int ndr_push_interface_pointer(struct ndr_push *ndr, const void *objref, uint32_t len) {
        ndr_push_conformance(ndr, len);
        ndr_push_uint32(ndr, len);
        /* copied: the OBJREF is usually the caller's temporary */
        uint8_t *q = put(ndr, 1, len);
        if (q && len)
                memcpy(q, objref, len);
        return ndr->buf.error;
}

int ndr_push_user_marshal(struct ndr_push *ndr, const struct ndr_user_marshal *um, int ndr_flags,
                          const void *obj) {
        int r;

        if (ndr->buf.error)
                return ndr->buf.error;
        if (!um)        /* a [user_marshal] type nobody registered */
                return ndr_push_fail(ndr, -EOPNOTSUPP);
        if (um->size && (ndr_flags & NDR_SCALARS)) {
                size_t n = um->size(obj);
                if (n < SIZE_MAX / 2)
                        buf_reserve(&ndr->buf, n + 8);
        }
        r = ndr_push_enter(ndr);
        if (r < 0)
                return r;
        /* what a routine pushes may be its own temporary: copied; and routines may patch
           what they pushed at offsets they took from ndr_push_offset(), which are buf's
           only while nothing before is referenced (rare: a large array, then a VARIANT) */
        if (ndr->n_refs && (r = ndr_push_flatten(ndr)) < 0) {
                ndr_push_leave(ndr);
                return r;
        }
        bool by_ref = ndr->by_ref;
        ndr->by_ref = false;
        r = um->push(ndr, ndr_flags, obj);
        ndr->by_ref = by_ref;
        ndr_push_leave(ndr);
        if (r < 0)
                return ndr_push_fail(ndr, r);
        return ndr->buf.error;
}
