/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * COM task memory.  CoTaskMemAlloc and friends sit on the base layer's dcom_malloc,
 * the same allocator midl_user_allocate() uses outside server calls, so memory that
 * crosses between generated stubs and COM callers can be freed by either side -- as
 * on Windows, where both are the process's OLE allocator.  The fault-injection hook
 * of src/base/alloc.c therefore reaches these too.
 */
#include "com/helpers/helpers-internal.h"

/*
 * combaseapi.h: a zero-byte request still returns a distinct, freeable block
 * (dcom_malloc gives at least one byte).
 */
DCOM_EXPORT void *WINAPI CoTaskMemAlloc(SIZE_T size) {
        return dcom_malloc(size);
}

/*
 * CoTaskMemRealloc's documented cases: p NULL allocates like CoTaskMemAlloc; p non-NULL
 * with size 0 frees p and returns NULL; on failure NULL comes back and p is untouched.
 */
DCOM_EXPORT void *WINAPI CoTaskMemRealloc(void *p, SIZE_T size) {
        if (!p)
                return dcom_malloc(size);
        if (size == 0) {
                dcom_free(p);
                return NULL;
        }
        return dcom_realloc(p, size);
}

/* NULL is allowed and does nothing. */
DCOM_EXPORT void WINAPI CoTaskMemFree(void *p) {
        dcom_free(p);
}
