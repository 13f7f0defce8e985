/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CoGetMalloc: the process's task allocator as an IMalloc object (one static instance,
 * whose reference count does not matter, as on Windows).  It hands out the same memory
 * as CoTaskMemAlloc, so either side may free what the other allocated.
 */
#include <malloc.h>

#include "com/com-internal.h"

static HRESULT STDMETHODCALLTYPE malloc_qi(IMalloc *self, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMalloc)) {
                *ppv = self;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE malloc_addref(IMalloc *self) {
        (void)self;
        return 2;
}

static ULONG STDMETHODCALLTYPE malloc_release(IMalloc *self) {
        (void)self;
        return 1;
}

static void *STDMETHODCALLTYPE malloc_alloc(IMalloc *self, SIZE_T cb) {
        (void)self;
        return CoTaskMemAlloc(cb);
}

static void *STDMETHODCALLTYPE malloc_realloc(IMalloc *self, void *pv, SIZE_T cb) {
        (void)self;
        return CoTaskMemRealloc(pv, cb);
}

static void STDMETHODCALLTYPE malloc_free(IMalloc *self, void *pv) {
        (void)self;
        CoTaskMemFree(pv);
}

/* glibc knows the usable size of a block: at least what was asked, maybe a little more. */
static SIZE_T STDMETHODCALLTYPE malloc_getsize(IMalloc *self, void *pv) {
        (void)self;
        return pv ? malloc_usable_size(pv) : (SIZE_T)-1;
}

/* objidl.h: -1 when the allocator cannot tell; 0 for NULL. */
static int STDMETHODCALLTYPE malloc_didalloc(IMalloc *self, void *pv) {
        (void)self;
        return pv ? -1 : 0;
}

static void STDMETHODCALLTYPE malloc_heapminimize(IMalloc *self) {
        (void)self;
        malloc_trim(0);
}

static const IMallocVtbl malloc_vtbl = {
        malloc_qi, malloc_addref, malloc_release, malloc_alloc, malloc_realloc, malloc_free,
        malloc_getsize, malloc_didalloc, malloc_heapminimize,
};

static IMalloc task_malloc = { &malloc_vtbl };

/* combaseapi.h: dwMemContext must be MEMCTX_TASK (1). */
HRESULT WINAPI CoGetMalloc(DWORD context, IMalloc **ret) {
        if (!ret)
                return E_POINTER;
        *ret = NULL;
        if (context != MEMCTX_TASK)
                return E_INVALIDARG;
        *ret = &task_malloc;
        return S_OK;
}
