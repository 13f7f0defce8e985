/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NDR unmarshaling.  Every read goes through take(), the one bounds check: align the
 * cursor, then make sure n bytes remain, with arithmetic that cannot overflow because
 * offset <= size always holds.  A failed read leaves the cursor where it was.  Counts
 * from the wire are checked against the bytes left before the arena is asked for
 * memory, so a 20-byte request cannot make us allocate gigabytes; what does get
 * allocated is bounded by the arena's cap.
 */
#include <assert.h>
/* this file defines the functions <dcom/ndr.h> would inline */
#define DCOM_NDR_NO_INLINE
#include <errno.h>
#include <string.h>

#include "ndr/ndr-internal.h"

static LOG_CHANNEL(ndr);

/* Little-endian wire arrays are copied with memcpy on a little-endian host. */
#define NDR_HOST_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

int ndr_pull_init(struct ndr_pull *ndr, const void *data, size_t size, const uint8_t drep[4],
                  struct arena *arena) {
        static const uint8_t empty[1];
        /* copied whole: a dozen vector moves, where zeroing the struct took a string
           instruction (on every call's response) */
        static const struct ndr_pull fresh = {
                .data = empty,  /* never a NULL cursor: even NULL + 0 is undefined behaviour */
                .max_depth = NDR_MAX_DEPTH_DEFAULT,
        };

        *ndr = fresh;
        if (data) {
                ndr->data = data;
                ndr->size = size;
        }
        ndr->arena = arena;
        if (!drep || (drep[0] == (NDR_DREP_INT_LITTLE | NDR_DREP_CHAR_ASCII) &&
                      drep[1] == NDR_DREP_FLOAT_IEEE))
                return 0;       /* (ours and Windows': little-endian ASCII IEEE) */
        /* [C706] 14.1: octet 0 = integer (high nibble) | character (low nibble), octet 1 = float. */
        if ((drep[0] & NDR_DREP_CHAR_MASK) != NDR_DREP_CHAR_ASCII) {
                log_debug(ndr, "EBCDIC data representation 0x%02x not supported", drep[0]);
                return -EPROTONOSUPPORT;
        }
        if (drep[1] != NDR_DREP_FLOAT_IEEE) {
                log_debug(ndr, "float representation %u not supported", drep[1]);
                return -EPROTONOSUPPORT;
        }
        /* [C706] 14.2.5: integer format 0 = big-endian, 1 = little-endian; nothing else. */
        if ((drep[0] & NDR_DREP_INT_MASK) != NDR_DREP_INT_BIG &&
            (drep[0] & NDR_DREP_INT_MASK) != NDR_DREP_INT_LITTLE) {
                log_debug(ndr, "integer representation 0x%02x not supported", drep[0]);
                return -EPROTONOSUPPORT;
        }
        ndr->big_endian = (drep[0] & NDR_DREP_INT_MASK) == NDR_DREP_INT_BIG;
        return 0;
}

int ndr_pull_enter(struct ndr_pull *ndr) {
        if (ndr->depth >= ndr->max_depth) {
                log_debug(ndr, "nesting deeper than %u", ndr->max_depth);
                return -ELOOP;
        }
        ndr->depth++;
        return 0;
}

void ndr_pull_leave(struct ndr_pull *ndr) {
        ndr->depth--;
}

/* The one bounds check (<dcom/ndr.h>'s, which generated code's runs of fixed-size members
   take too): pad to align, then n bytes.  The cursor moves only on success. */
static inline int take(struct ndr_pull *ndr, size_t align, size_t n, const uint8_t **ret) {
        return ndr_pull_fixed(ndr, align, n, ret);
}

int ndr_pull_align(struct ndr_pull *ndr, size_t align) {
        const uint8_t *p;

        return take(ndr, align, 0, &p);
}

int ndr_pull_need(struct ndr_pull *ndr, size_t n) {
        return n <= ndr->size - ndr->offset ? 0 : -EBADMSG;
}

int ndr_pull_skip(struct ndr_pull *ndr, size_t n) {
        const uint8_t *p;

        return take(ndr, 1, n, &p);
}

/* Arena memory, not zeroed; the cap reported as -E2BIG. */
static void *alloc_raw(struct ndr_pull *ndr, size_t count, size_t size) {
        struct arena *a = ndr->arena;
        bool over = a->over_limit;
        void *p;

        if (size && count > SIZE_MAX / size) {
                ndr->error = -E2BIG;
                return NULL;
        }
        a->over_limit = false;
        p = arena_alloc(a, count * size);
        if (!p)
                ndr->error = a->over_limit ? -E2BIG : -ENOMEM;
        a->over_limit |= over;
        return p;
}

/*
 * Memory for what the caller gets (objects, arrays, strings): the arena, or in user-memory
 * mode the heap (CoTaskMemAlloc's, what midl_user_allocate() gives outside a server call)
 * with a record in the arena so that a failed pull frees it all.  Not zeroed.  The heap
 * even when this thread is inside a server call: a client stub's [out] data is its
 * caller's, which may keep it past the call it was made from (midl_user_allocate() would
 * give that call's arena).
 */
struct ndr_user_block {
        struct ndr_user_block *next;
        void *p;
};

static void *alloc_user(struct ndr_pull *ndr, size_t count, size_t size) {
        struct ndr_user_block *b;
        struct arena *a = ndr->arena;
        void *p;

        if (!ndr->user_mode)
                return alloc_raw(ndr, count, size);
        if (size && count > SIZE_MAX / size) {
                ndr->error = -E2BIG;
                return NULL;
        }
        /* the arena's cap bounds user memory as well */
        if (a->limit && (count * size > a->limit || ndr->user_bytes > a->limit - count * size)) {
                ndr->error = -E2BIG;
                return NULL;
        }
        b = alloc_raw(ndr, 1, sizeof *b);
        if (!b)
                return NULL;
        p = dcom_malloc(count * size);      /* at least a byte: distinct */
        if (!p) {
                ndr->error = -ENOMEM;
                return NULL;
        }
        ndr->user_bytes += count * size;
        b->p = p;
        b->next = ndr->user;
        ndr->user = b;
        return p;
}

void *ndr_pull_alloc(struct ndr_pull *ndr, size_t count, size_t size) {
        void *p = alloc_user(ndr, count, size);

        if (p)
                memset(p, 0, count * size);
        return p;
}

void ndr_pull_user_memory(struct ndr_pull *ndr) {
        ndr_pull_user_memory_inline_(ndr);
}

/* A [user_marshal] object pulled in user-memory mode: freed only if the pull fails. */
struct ndr_user_dtor {
        struct ndr_user_dtor *next;
        void (*fn)(void *obj);
        void *obj;
};

void ndr_pull_user_rollback(struct ndr_pull *ndr) {
        /* the objects first: they may sit in the blocks freed next */
        for (struct ndr_user_dtor *d = ndr->user_dtors; d; d = d->next)
                d->fn(d->obj);
        ndr->user_dtors = NULL;
        for (struct ndr_user_block *b = ndr->user; b; b = b->next)
                dcom_free(b->p);
        ndr->user = NULL;
        ndr->user_bytes = 0;
}

int ndr_pull_user_on_rollback_(struct ndr_pull *ndr, void (*fn)(void *obj), void *obj) {
        struct ndr_user_dtor *d = alloc_raw(ndr, 1, sizeof *d);

        if (!d) {
                fn(obj);
                return -ENOMEM;
        }
        *d = (struct ndr_user_dtor){ ndr->user_dtors, fn, obj };
        ndr->user_dtors = d;
        return 0;
}

void ndr_pull_user_commit(struct ndr_pull *ndr) {
        ndr_pull_user_commit_inline_(ndr);
}

int ndr_pull_conformant_alloc(struct ndr_pull *ndr, size_t base, size_t elem_mem, size_t elem_wire,
                              void **ret) {
        size_t saved = ndr->offset;
        uint32_t max;
        int r = ndr_pull_conformance(ndr, &max);
        void *p;

        if (r < 0)
                return r;
        r = ndr_pull_check_count(ndr, max, elem_wire, 1);
        ndr->offset = saved;    /* only a peek: the structure pulls its conformance itself */
        if (r < 0)
                return r;
        if (elem_mem && max > (SIZE_MAX - base) / elem_mem)
                return -E2BIG;
        p = ndr_pull_alloc(ndr, 1, base + (size_t)max * elem_mem);
        if (!p)
                return ndr->error;
        *ret = p;
        return 0;
}

/* --- primitives ([C706] 14.2) ---------------------------------------------------------- */

int ndr_pull_uint8(struct ndr_pull *ndr, uint8_t *ret) {
        const uint8_t *p;
        int r = take(ndr, 1, 1, &p);

        if (r < 0)
                return r;
        *ret = p[0];
        return 0;
}

/* [C706] 14.2.2: every primitive is aligned to its own size. */
int ndr_pull_uint16(struct ndr_pull *ndr, uint16_t *ret) {
        const uint8_t *p;
        int r = take(ndr, 2, 2, &p);

        if (r < 0)
                return r;
        *ret = ndr_get_uint16(ndr, p);
        return 0;
}

int ndr_pull_uint32(struct ndr_pull *ndr, uint32_t *ret) {
        const uint8_t *p;
        int r = take(ndr, 4, 4, &p);

        if (r < 0)
                return r;
        *ret = ndr_get_uint32(ndr, p);
        return 0;
}

int ndr_pull_uint64(struct ndr_pull *ndr, uint64_t *ret) {
        const uint8_t *p;
        int r = take(ndr, 8, 8, &p);

        if (r < 0)
                return r;
        *ret = ndr_get_uint64(ndr, p);
        return 0;
}

int ndr_pull_hyper(struct ndr_pull *ndr, uint64_t *ret) {
        return ndr_pull_uint64(ndr, ret);
}

int ndr_pull_int8(struct ndr_pull *ndr, int8_t *ret) {
        uint8_t v;
        int r = ndr_pull_uint8(ndr, &v);

        if (r >= 0)
                *ret = (int8_t)v;
        return r;
}

int ndr_pull_int16(struct ndr_pull *ndr, int16_t *ret) {
        uint16_t v;
        int r = ndr_pull_uint16(ndr, &v);

        if (r >= 0)
                *ret = (int16_t)v;
        return r;
}

int ndr_pull_int32(struct ndr_pull *ndr, int32_t *ret) {
        uint32_t v;
        int r = ndr_pull_uint32(ndr, &v);

        if (r >= 0)
                *ret = (int32_t)v;
        return r;
}

int ndr_pull_int64(struct ndr_pull *ndr, int64_t *ret) {
        uint64_t v;
        int r = ndr_pull_uint64(ndr, &v);

        if (r >= 0)
                *ret = (int64_t)v;
        return r;
}

/* [C706] 14.2: IEEE single and double, in the integer byte order. */
int ndr_pull_float(struct ndr_pull *ndr, float *ret) {
        uint32_t v;
        int r = ndr_pull_uint32(ndr, &v);

        if (r >= 0)
                memcpy(ret, &v, sizeof v);
        return r;
}

int ndr_pull_double(struct ndr_pull *ndr, double *ret) {
        uint64_t v;
        int r = ndr_pull_uint64(ndr, &v);

        if (r >= 0)
                memcpy(ret, &v, sizeof v);
        return r;
}

int ndr_pull_boolean(struct ndr_pull *ndr, bool *ret) {
        uint8_t v;
        int r = ndr_pull_uint8(ndr, &v);

        if (r >= 0)
                *ret = v != 0;
        return r;
}

/* [C706] 14.2: an enum is an unsigned short limited to 0..32767. */
int ndr_pull_enum16(struct ndr_pull *ndr, uint32_t *ret) {
        uint16_t v;
        int r = ndr_pull_uint16(ndr, &v);

        if (r < 0)
                return r;
        if (v > 0x7FFF) {
                ndr->offset -= 2;       /* a failed read leaves the cursor where it was */
                return -ERANGE;
        }
        *ret = v;
        return 0;
}

int ndr_pull_v1_enum(struct ndr_pull *ndr, uint32_t *ret) {
        return ndr_pull_uint32(ndr, ret);
}

/* [C706] Appendix A / [MS-DTYP] 2.3.4.2: uint32, uint16, uint16, 8 bytes; 4-aligned. */
int ndr_pull_guid(struct ndr_pull *ndr, GUID *ret) {
        const uint8_t *p;
        int r = take(ndr, 4, 16, &p);

        if (r < 0)
                return r;
        ndr_get_guid(ndr, p, ret);
        return 0;
}

int ndr_pull_bytes(struct ndr_pull *ndr, void *dst, size_t n) {
        const uint8_t *p;
        int r = take(ndr, 1, n, &p);

        if (r < 0)
                return r;
        if (n)
                memcpy(dst, p, n);
        return 0;
}

int ndr_pull_bytes_ref(struct ndr_pull *ndr, size_t n, const uint8_t **ret) {
        return take(ndr, 1, n, ret);
}

void *ndr_pull_alias(struct ndr_pull *ndr, uint32_t count, size_t size) {
        size_t pad = (size - (ndr->offset & (size - 1))) & (size - 1);
        const uint8_t *p;

        assert(size == 1 || size == 2 || size == 4 || size == 8);
        /* user mode: the caller would free what it pulled */
        if (!ndr->in_alias || ndr->user_mode || count == 0)
                return NULL;
        if (size > 1 && (!NDR_HOST_LE || ndr->big_endian))
                return NULL;            /* byte-swapped: copied */
        if (((uintptr_t)(ndr->data + ndr->offset + pad) & (size - 1)) != 0)
                return NULL;            /* misaligned in memory: copied */
        if ((size_t)count > SIZE_MAX / size || take(ndr, size, (size_t)count * size, &p) < 0)
                return NULL;            /* short: the copy's pull reports it */
        /* in_alias: the owner's memory is writable, the const is the cursor's */
        return (void *)(uintptr_t)p;
}

int ndr_pull_uint16_array(struct ndr_pull *ndr, uint16_t *dst, size_t n) {
        const uint8_t *p;
        int r;

        if (n > SIZE_MAX / 2)
                return -EBADMSG;
        r = take(ndr, 2, n * 2, &p);
        if (r < 0)
                return r;
        if (NDR_HOST_LE && !ndr->big_endian && n)
                memcpy(dst, p, n * 2);
        else
                for (size_t i = 0; i < n; i++)
                        dst[i] = ndr_get_uint16(ndr, p + 2 * i);
        return 0;
}

int ndr_pull_uint32_array(struct ndr_pull *ndr, uint32_t *dst, size_t n) {
        const uint8_t *p;
        int r;

        if (n > SIZE_MAX / 4)
                return -EBADMSG;
        r = take(ndr, 4, n * 4, &p);
        if (r < 0)
                return r;
        if (NDR_HOST_LE && !ndr->big_endian && n)
                memcpy(dst, p, n * 4);
        else
                for (size_t i = 0; i < n; i++)
                        dst[i] = ndr_get_uint32(ndr, p + 4 * i);
        return 0;
}

/* --- arrays ([C706] 14.3.3) -------------------------------------------------------------- */

/* [C706] 14.3.3.2: max_count, an unsigned long before the elements (or hoisted, 14.3.7.1). */
int ndr_pull_conformance(struct ndr_pull *ndr, uint32_t *ret_max_count) {
        return ndr_pull_uint32(ndr, ret_max_count);
}

/* [C706] 14.3.3.3: offset then actual_count; the elements shipped lie inside max_count. */
int ndr_pull_variance(struct ndr_pull *ndr, uint32_t max_count, uint32_t *ret_offset,
                      uint32_t *ret_actual) {
        size_t saved = ndr->offset;
        const uint8_t *p;
        uint32_t offset, actual;
        int r = take(ndr, 4, 8, &p);

        if (r < 0)
                return r;
        offset = ndr_get_uint32(ndr, p);
        actual = ndr_get_uint32(ndr, p + 4);
        if (offset > max_count || actual > max_count - offset) {
                log_debug(ndr, "variance offset %u + actual_count %u > max_count %u",
                          offset, actual, max_count);
                ndr->offset = saved;
                return -EBADMSG;
        }
        *ret_offset = offset;
        *ret_actual = actual;
        return 0;
}

int ndr_pull_check_count(struct ndr_pull *ndr, uint32_t count, size_t wire_size, size_t align) {
        size_t pad = (align - (ndr->offset & (align - 1))) & (align - 1);
        size_t left = ndr->size - ndr->offset;

        if (pad > left || (wire_size && count > (left - pad) / wire_size)) {
                log_debug(ndr, "%u elements of %zu bytes but %zu bytes left", count, wire_size, left);
                return -EBADMSG;
        }
        return 0;
}

int ndr_pull_array_alloc(struct ndr_pull *ndr, uint32_t count, size_t wire_size, size_t align,
                         size_t mem_size, void **ret) {
        int r = ndr_pull_check_count(ndr, count, wire_size, align);
        void *p = NULL;

        if (r < 0)
                return r;
        if (count) {
                p = ndr_pull_alloc(ndr, count, mem_size);
                if (!p)
                        return ndr->error;
        }
        *ret = p;
        return 0;
}

int ndr_pull_conformant_bytes(struct ndr_pull *ndr, uint8_t **ret, uint32_t *ret_len) {
        size_t saved = ndr->offset;
        const uint8_t *src = NULL;
        uint8_t *p = NULL;
        uint32_t n;
        int r;

        r = ndr_pull_conformance(ndr, &n);
        if (r < 0)
                return r;
        r = ndr_pull_check_count(ndr, n, 1, 1);
        if (r < 0)
                goto fail;
        if (n) {
                p = alloc_raw(ndr, n, 1);
                if (!p) {
                        r = ndr->error;
                        goto fail;
                }
                (void)take(ndr, 1, n, &src);    /* checked above */
                memcpy(p, src, n);
        }
        *ret = p;
        *ret_len = n;
        return 0;
fail:
        ndr->offset = saved;
        return r;
}

/* --- strings ([C706] 14.3.4) -------------------------------------------------------------- */

/*
 * [C706] 14.3.4.1: a [string] is a varying array whose offset is 0 and whose
 * actual_count includes the terminator.  dst NULL: allocate in the arena.
 */
static int pull_string(struct ndr_pull *ndr, bool conformant, uint32_t max, size_t elem,
                       void *dst, void **ret, uint32_t *ret_len) {
        size_t saved = ndr->offset;
        uint32_t offset, actual, first_nul;
        const uint8_t *src = NULL;
        uint8_t *p;
        int r;

        if (conformant) {
                r = ndr_pull_conformance(ndr, &max);
                if (r < 0)
                        return r;
        }
        r = ndr_pull_variance(ndr, max, &offset, &actual);
        if (r < 0)
                goto fail;
        r = -EBADMSG;
        if (offset != 0 || actual == 0) {
                log_debug(ndr, "[string] with offset %u, actual_count %u", offset, actual);
                goto fail;
        }
        r = ndr_pull_check_count(ndr, actual, elem, elem);
        if (r < 0)
                goto fail;
        p = dst;
        if (!p) {
                p = alloc_user(ndr, actual, elem);
                if (!p) {
                        r = ndr->error;
                        goto fail;
                }
        }
        (void)take(ndr, elem, (size_t)actual * elem, &src);     /* checked above */
        if (elem == 1 || (NDR_HOST_LE && !ndr->big_endian))
                memcpy(p, src, (size_t)actual * elem);
        else
                for (uint32_t i = 0; i < actual; i++)
                        ((uint16_t *)p)[i] = ndr_get_uint16(ndr, src + 2 * i);
        /* The first NUL must be the last element (Windows and Wine check the same). */
        if (elem == 1) {
                const uint8_t *nul = memchr(p, 0, actual);
                first_nul = nul ? (uint32_t)(nul - p) : actual;
        } else {
                const uint16_t *w = (const uint16_t *)p;
                for (first_nul = 0; first_nul < actual && w[first_nul]; first_nul++)
                        ;
        }
        if (first_nul != actual - 1) {
                log_debug(ndr, "[string] of %u elements with its first NUL at %u", actual, first_nul);
                r = -EBADMSG;
                goto fail;
        }
        if (ret)
                *ret = p;
        if (ret_len)
                *ret_len = actual - 1;
        return 0;
fail:
        ndr->offset = saved;
        return r;
}

int ndr_pull_string(struct ndr_pull *ndr, char **ret, uint32_t *ret_len) {
        void *p;
        int r = pull_string(ndr, true, 0, 1, NULL, &p, ret_len);

        if (r >= 0)
                *ret = p;
        return r;
}

int ndr_pull_wstring(struct ndr_pull *ndr, uint16_t **ret, uint32_t *ret_len) {
        void *p;
        int r = pull_string(ndr, true, 0, 2, NULL, &p, ret_len);

        if (r >= 0)
                *ret = p;
        return r;
}

int ndr_pull_string_fixed(struct ndr_pull *ndr, char *dst, uint32_t max, uint32_t *ret_len) {
        return pull_string(ndr, false, max, 1, dst, NULL, ret_len);
}

int ndr_pull_wstring_fixed(struct ndr_pull *ndr, uint16_t *dst, uint32_t max, uint32_t *ret_len) {
        return pull_string(ndr, false, max, 2, dst, NULL, ret_len);
}

/* --- pointers ([C706] 14.3.10, 14.3.12) --------------------------------------------------- */

/* [C706] 14.3.10.1: a unique pointer is a referent ID, 0 meaning NULL. */
int ndr_pull_unique_ptr(struct ndr_pull *ndr, uint32_t *ret_id) {
        return ndr_pull_uint32(ndr, ret_id);
}

/* [C706] 14.3.10: an embedded reference pointer carries a referent ID that is never NULL. */
int ndr_pull_ref_ptr(struct ndr_pull *ndr, uint32_t *ret_id) {
        size_t saved = ndr->offset;
        uint32_t id;
        int r = ndr_pull_uint32(ndr, &id);

        if (r < 0)
                return r;
        if (id == 0) {
                log_debug(ndr, "NULL [ref] pointer");
                ndr->offset = saved;
                return -EBADMSG;
        }
        *ret_id = id;
        return 0;
}

/*
 * [C706] 14.3.10.2: full pointers may alias; a referent ID seen before names the same
 * object, whose referent is not shipped again.
 */
/*
 * What a referent ID was first pulled as.  A peer that sends one ID for two pointers
 * of different types (or sizes) would otherwise have us pull a large referent into a
 * small object, or read one type's bytes as another's pointers.
 */
struct full_ref {
        const void *type;
        size_t size;
        void *obj;
};

int ndr_pull_full_ptr(struct ndr_pull *ndr, const void *type, size_t size, void **ret) {
        size_t saved = ndr->offset;
        struct full_ref *ref;
        uintptr_t *slot;
        uint32_t id;
        int r = ndr_pull_uint32(ndr, &id);

        if (r < 0)
                return r;
        if (id == 0) {
                *ret = NULL;
                return 0;
        }
        if (!size)
                size = 1;
        slot = ndr_map_find_(&ndr->ids, id);
        if (slot) {
                ref = (struct full_ref *)*slot;
                if (!ref || ref->type != type || ref->size != size) {
                        log_debug(ndr, "referent ID 0x%x reused for another type", id);
                        ndr->offset = saved;
                        return -EBADMSG;
                }
                *ret = ref->obj;
                return 0;
        }
        ref = alloc_raw(ndr, 1, sizeof *ref);
        if (ref)
                ref->obj = ndr_pull_alloc(ndr, 1, size);
        if (!ref || !ref->obj) {
                ndr->offset = saved;
                return ndr->error ? ndr->error : -E2BIG;
        }
        ref->type = type;
        ref->size = size;
        r = ndr_map_insert_(&ndr->ids, ndr->arena, id, (uintptr_t)ref);
        if (r >= 0)
                r = ndr_map_insert_(&ndr->pending, ndr->arena, (uintptr_t)ref->obj, 0);
        if (r < 0) {
                ndr->offset = saved;
                return r;
        }
        *ret = ref->obj;
        return 0;
}

/*
 * A full pointer to a referent whose size only the wire tells (a conformant structure,
 * an array): its ID is recorded, and a repeat -- aliasing, which would need the object
 * before its size is known -- is refused.
 */
int ndr_pull_full_var_ptr(struct ndr_pull *ndr, uint32_t *ret_id) {
        size_t saved = ndr->offset;
        uint32_t id;
        int r = ndr_pull_uint32(ndr, &id);

        if (r < 0)
                return r;
        if (id && ndr_map_find_(&ndr->ids, id)) {
                log_debug(ndr, "referent ID 0x%x aliases a variable-size referent", id);
                ndr->offset = saved;
                return -EBADMSG;
        }
        if (id && (r = ndr_map_insert_(&ndr->ids, ndr->arena, id, 0)) < 0) {
                ndr->offset = saved;
                return r;
        }
        *ret_id = id;
        return 0;
}

int ndr_pull_full_ptr_pending(struct ndr_pull *ndr, const void *p) {
        uintptr_t *slot = p ? ndr_map_find_(&ndr->pending, (uintptr_t)p) : NULL;

        if (!slot || *slot)
                return 0;
        *slot = 1;
        return 1;
}

/* --- unions, handles, interface pointers ---------------------------------------------- */

/* [C706] 14.3.8: the discriminant is an integer of the switch_type. */
int ndr_pull_union_level(struct ndr_pull *ndr, size_t size, uint32_t *ret) {
        uint8_t v8;
        uint16_t v16;
        int r;

        switch (size) {
        case 1:
                r = ndr_pull_uint8(ndr, &v8);
                if (r >= 0)
                        *ret = v8;
                return r;
        case 2:
                r = ndr_pull_uint16(ndr, &v16);
                if (r >= 0)
                        *ret = v16;
                return r;
        case 4:
                return ndr_pull_uint32(ndr, ret);
        default:
                return -EINVAL;
        }
}

int ndr_pull_bad_arm(struct ndr_pull *ndr, uint32_t level) {
        log_debug(ndr, "union discriminant %u selects no arm", level);
        return -EBADMSG;
}

int ndr_pull_context_handle(struct ndr_pull *ndr, struct ndr_context_handle *ret) {
        struct ndr_context_handle h;
        size_t saved = ndr->offset;
        int r = ndr_pull_uint32(ndr, &h.attributes);

        if (r >= 0)
                r = ndr_pull_guid(ndr, &h.uuid);
        if (r < 0) {
                ndr->offset = saved;
                return r;
        }
        *ret = h;
        return 0;
}

bool ndr_context_handle_is_null(const struct ndr_context_handle *h) {
        return h->attributes == 0 && dcom_guid_is_null(&h->uuid);
}

/* [MS-DCOM] 2.2.14: a conformant structure, its max_count hoisted in front ([C706] 14.3.7.1). */
int ndr_pull_interface_pointer(struct ndr_pull *ndr, size_t cap, uint8_t **ret, uint32_t *ret_len) {
        size_t saved = ndr->offset;
        uint32_t max, cnt;
        const uint8_t *src;
        uint8_t *p;
        int r;

        r = ndr_pull_conformance(ndr, &max);
        if (r >= 0)
                r = ndr_pull_uint32(ndr, &cnt);
        if (r >= 0)
                r = ndr_check_size_is(max, cnt);
        if (r >= 0 && cap && cnt > cap)
                r = -E2BIG;
        if (r >= 0)
                r = ndr_pull_check_count(ndr, cnt, 1, 1);
        if (r < 0)
                goto fail;
        p = NULL;
        if (cnt) {
                p = alloc_raw(ndr, cnt, 1);
                if (!p) {
                        r = ndr->error;
                        goto fail;
                }
                /* ndr_pull_check_count() made sure the bytes are there; checked anyway, so
                   that an optimizer (gcc -O3) sees src set on every path it is read */
                r = take(ndr, 1, cnt, &src);
                if (r < 0)
                        goto fail;
                memcpy(p, src, cnt);
        }
        *ret = p;
        *ret_len = cnt;
        return 0;
fail:
        log_debug(ndr, "MInterfacePointer: %d", r);
        ndr->offset = saved;
        return r;
}

/* --- [user_marshal] --------------------------------------------------------------------- */

/* The destructor record: the type's free with the object it frees. */
struct um_dtor {
        void (*fn)(void *obj);
        void *obj;
};

static void um_free_thunk(void *p) {
        struct um_dtor *d = p;

        d->fn(d->obj);
}

int ndr_pull_user_marshal(struct ndr_pull *ndr, const struct ndr_user_marshal *um, int ndr_flags,
                          void *obj) {
        int r;

        if (!um)        /* a [user_marshal] type nobody registered */
                return -EOPNOTSUPP;
        if (ndr_flags & NDR_SCALARS) {
                memset(obj, 0, um->mem_size);
                if (um->free && ndr->user_mode) {
                        struct ndr_user_dtor *d = alloc_raw(ndr, 1, sizeof *d);
                        if (!d)
                                return ndr->error;
                        *d = (struct ndr_user_dtor){ ndr->user_dtors, um->free, obj };
                        ndr->user_dtors = d;
                } else if (um->free) {
                        /* Registered first, so a half-pulled object is freed with the call too. */
                        struct um_dtor *d = alloc_raw(ndr, 1, sizeof *d);
                        if (!d)
                                return ndr->error;
                        d->fn = um->free;
                        d->obj = obj;
                        r = arena_defer(ndr->arena, um_free_thunk, d);
                        if (r < 0)
                                return ndr->error = ndr->arena->over_limit ? -E2BIG : r;
                }
        }
        r = ndr_pull_enter(ndr);
        if (r < 0)
                return r;
        r = um->pull(ndr, ndr_flags, obj);
        ndr_pull_leave(ndr);
        return r;
}
