/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SAFEARRAY ([MS-OAUT] 2.2.30, oleaut32's SafeArray* API): descriptors, their data,
 * locking, elements by index and deep copies, with the results Windows gives (as Wine's
 * dlls/oleaut32/tests/safearray.c records them).
 *
 * Layout, as on Windows: a descriptor is preceded by 16 hidden bytes -- the IID of an
 * FADF_HAVEIID array, or (FADF_HAVEVARTYPE) the VARTYPE in the last 4 of them -- and
 * keeps its bounds in reverse order: rgsabound[0] is the last dimension, the one whose
 * index varies slowest and the one SafeArrayRedim changes.  The first index varies
 * fastest.  A vector (SafeArrayCreateVector) is descriptor and data in one block.
 *
 * Elements are owned according to fFeatures: FADF_BSTR (SysFreeString),
 * FADF_UNKNOWN/FADF_DISPATCH (Release), FADF_VARIANT (VariantClear), FADF_RECORD (the
 * IRecordInfo's RecordClear and RecordCopy); the rest are plain bytes.  An FADF_RECORD
 * array keeps its IRecordInfo (held) in the pointer just before the descriptor, as
 * Windows does, and its elements are GetSize bytes.
 */
#include <stdint.h>
#include <string.h>

#include "oleaut/oleaut-internal.h"

#define HIDDEN_SIZE 16
/* Windows' private flags: descriptor and data in one block, and its data destroyed. */
#define FADF_CREATEVECTOR 0x2000
#define FADF_DATADELETED 0x1000
/* What a copy does not inherit: the memory the source's data lives in is not the copy's. */
#define FADF_NOT_COPIED (FADF_AUTO | FADF_STATIC | FADF_EMBEDDED | FADF_FIXEDSIZE | \
                         FADF_CREATEVECTOR | FADF_DATADELETED)
#define MAX_LOCKS 0xffff

static uint8_t *hidden(SAFEARRAY *psa) {
        return (uint8_t *)psa - HIDDEN_SIZE;
}

/* An FADF_RECORD array's IRecordInfo (NULL until set). */
static IRecordInfo *recinfo(const SAFEARRAY *psa) {
        IRecordInfo *ri;

        memcpy(&ri, (const uint8_t *)psa - sizeof ri, sizeof ri);
        return ri;
}

static void set_recinfo(SAFEARRAY *psa, IRecordInfo *ri) {
        IRecordInfo *old = recinfo(psa);

        if (ri)
                ri->lpVtbl->AddRef(ri);
        memcpy((uint8_t *)psa - sizeof ri, &ri, sizeof ri);
        if (old)
                old->lpVtbl->Release(old);
}

/* The size of an element of type vt in memory, 0 for a type an array cannot hold. */
static ULONG vt_size(VARTYPE vt) {
        switch (vt) {
        case VT_I1: case VT_UI1:
                return 1;
        case VT_I2: case VT_UI2: case VT_BOOL:
                return 2;
        case VT_I4: case VT_UI4: case VT_R4: case VT_ERROR: case VT_INT: case VT_UINT:
                return 4;
        case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE:
                return 8;
        case VT_INT_PTR: case VT_UINT_PTR: case VT_BSTR: case VT_UNKNOWN: case VT_DISPATCH:
                return sizeof(void *);
        case VT_DECIMAL:
                return sizeof(DECIMAL);
        case VT_VARIANT:
                return sizeof(VARIANT);
        default:
                return 0;
        }
}

/* The number of elements, or false when it overflows (a zero bound makes it 0). */
static bool cell_count(const SAFEARRAY *psa, size_t *ret) {
        size_t n = 1;

        for (USHORT i = 0; i < psa->cDims; i++) {
                size_t c = psa->rgsabound[i].cElements;
                if (c && n > SIZE_MAX / c)
                        return false;
                n *= c;
        }
        *ret = n;
        return true;
}

static bool data_size(const SAFEARRAY *psa, size_t *ret) {
        size_t n;

        if (!cell_count(psa, &n) || (psa->cbElements && n > SIZE_MAX / psa->cbElements))
                return false;
        *ret = n * psa->cbElements;
        return true;
}

/* Frees what elements [from, to) own; the bytes are left for the caller. */
static void destroy_cells(SAFEARRAY *psa, size_t from, size_t to) {
        uint8_t *p = psa->pvData;

        if (!p)
                return;
        for (size_t i = from; i < to; i++) {
                void *cell = p + i * psa->cbElements;
                if (psa->fFeatures & FADF_BSTR) {
                        SysFreeString(*(BSTR *)cell);
                        *(BSTR *)cell = NULL;
                } else if (psa->fFeatures & (FADF_UNKNOWN | FADF_DISPATCH)) {
                        IUnknown *u = *(IUnknown **)cell;
                        if (u)
                                u->lpVtbl->Release(u);
                        *(IUnknown **)cell = NULL;
                } else if (psa->fFeatures & FADF_VARIANT) {
                        VariantClear(cell);
                } else if ((psa->fFeatures & FADF_RECORD) && recinfo(psa)) {
                        recinfo(psa)->lpVtbl->RecordClear(recinfo(psa), cell);
                }
        }
}

/* Copies element by element into dst's cells (zeroed or already destroyed). */
static HRESULT copy_cells(const SAFEARRAY *src, SAFEARRAY *dst) {
        size_t n, size;

        if (!src->pvData)
                return S_OK;
        if (!cell_count(src, &n) || !data_size(src, &size))
                return E_OUTOFMEMORY;
        if (!(src->fFeatures & (FADF_BSTR | FADF_UNKNOWN | FADF_DISPATCH | FADF_VARIANT)) &&
            !((src->fFeatures & FADF_RECORD) && recinfo(src))) {
                if (size)
                        memcpy(dst->pvData, src->pvData, size);
                return S_OK;
        }
        for (size_t i = 0; i < n; i++) {
                const void *from = (const uint8_t *)src->pvData + i * src->cbElements;
                void *to = (uint8_t *)dst->pvData + i * dst->cbElements;
                if (src->fFeatures & FADF_BSTR) {
                        BSTR s = *(const BSTR *)from;
                        *(BSTR *)to = NULL;
                        if (s && !(*(BSTR *)to = SysAllocStringByteLen((LPCSTR)s,
                                                                       SysStringByteLen(s))))
                                return E_OUTOFMEMORY;
                } else if (src->fFeatures & (FADF_UNKNOWN | FADF_DISPATCH)) {
                        IUnknown *u = *(IUnknown *const *)from;
                        if (u)
                                u->lpVtbl->AddRef(u);
                        *(IUnknown **)to = u;
                } else if (src->fFeatures & FADF_RECORD) {
                        HRESULT hr;
                        IRecordInfo *ri = recinfo(src);
                        if (FAILED(hr = ri->lpVtbl->RecordCopy(ri, (void *)from, to)))
                                return hr;
                } else {
                        HRESULT hr;
                        V_VT((VARIANT *)to) = VT_EMPTY;
                        if (FAILED(hr = VariantCopy(to, from)))
                                return hr;
                }
        }
        return S_OK;
}

/* --- descriptors ------------------------------------------------------------------------ */

HRESULT SafeArrayAllocDescriptor(UINT cDims, SAFEARRAY **ppsaOut) {
        if (!ppsaOut)
                return E_POINTER;
        if (!cDims || cDims > 0xffff)
                return E_INVALIDARG;
        size_t size = HIDDEN_SIZE + offsetof(SAFEARRAY, rgsabound) + cDims * sizeof(SAFEARRAYBOUND);
        uint8_t *p = dcom_calloc(1, size);
        if (!p)
                return E_OUTOFMEMORY;
        SAFEARRAY *psa = (SAFEARRAY *)(p + HIDDEN_SIZE);
        psa->cDims = (USHORT)cDims;
        *ppsaOut = psa;
        return S_OK;
}

/* [MS-OAUT] 2.2.9 (FADF_*): what an array of vt is marked with. */
static void set_features(SAFEARRAY *psa, VARTYPE vt, const IID *iid) {
        if (vt == VT_RECORD) {
                psa->fFeatures = FADF_RECORD;
                return;
        }
        if (vt == VT_UNKNOWN || vt == VT_DISPATCH) {
                psa->fFeatures = FADF_HAVEIID | (vt == VT_UNKNOWN ? FADF_UNKNOWN : FADF_DISPATCH);
                if (!iid)
                        iid = vt == VT_UNKNOWN ? &IID_IUnknown : &IID_IDispatch;
                memcpy(hidden(psa), iid, sizeof(IID));
                return;
        }
        uint32_t v = vt;
        memcpy(hidden(psa) + HIDDEN_SIZE - 4, &v, 4);
        psa->fFeatures = FADF_HAVEVARTYPE;
        if (vt == VT_BSTR)
                psa->fFeatures |= FADF_BSTR;
        else if (vt == VT_VARIANT)
                psa->fFeatures |= FADF_VARIANT;
}

HRESULT SafeArrayAllocDescriptorEx(VARTYPE vt, UINT cDims, SAFEARRAY **ppsaOut) {
        HRESULT hr;
        ULONG size = vt_size(vt);

        if (!size && vt != VT_RECORD)
                return E_INVALIDARG;
        /* a record array's element size comes with its IRecordInfo (SafeArraySetRecordInfo) */
        if (FAILED(hr = SafeArrayAllocDescriptor(cDims, ppsaOut)))
                return hr;
        set_features(*ppsaOut, vt, NULL);
        (*ppsaOut)->cbElements = size;
        return S_OK;
}

HRESULT SafeArrayAllocData(SAFEARRAY *psa) {
        size_t size;

        if (!psa)
                return E_INVALIDARG;
        if (!data_size(psa, &size))
                return E_OUTOFMEMORY;
        void *p = dcom_calloc(1, size ? size : 1);
        if (!p)
                return E_OUTOFMEMORY;
        psa->pvData = p;
        return S_OK;
}

/* The size of a record element, 0 when ri cannot say. */
static ULONG record_size(IRecordInfo *ri) {
        ULONG size = 0;

        if (!ri || FAILED(ri->lpVtbl->GetSize(ri, &size)))
                return 0;
        return size;
}

static SAFEARRAY *create(VARTYPE vt, UINT cDims, const SAFEARRAYBOUND *rgsabound, const IID *iid,
                         IRecordInfo *ri) {
        SAFEARRAY *psa;
        ULONG size = vt == VT_RECORD ? record_size(ri) : vt_size(vt);

        if (!rgsabound || !cDims || !size)
                return NULL;
        if (FAILED(SafeArrayAllocDescriptor(cDims, &psa)))
                return NULL;
        set_features(psa, vt, iid);
        if (vt == VT_RECORD)
                set_recinfo(psa, ri);
        psa->cbElements = size;
        for (UINT i = 0; i < cDims; i++)
                psa->rgsabound[cDims - 1 - i] = rgsabound[i];
        if (FAILED(SafeArrayAllocData(psa))) {
                SafeArrayDestroyDescriptor(psa);
                return NULL;
        }
        return psa;
}

/* VT_RECORD needs its IRecordInfo: SafeArrayCreateEx. */
SAFEARRAY *SafeArrayCreate(VARTYPE vt, UINT cDims, SAFEARRAYBOUND *rgsabound) {
        return create(vt, cDims, rgsabound, NULL, NULL);
}

/* pvExtra: the IID of a VT_UNKNOWN/VT_DISPATCH array, the IRecordInfo of a VT_RECORD one. */
SAFEARRAY *SafeArrayCreateEx(VARTYPE vt, UINT cDims, SAFEARRAYBOUND *rgsabound, PVOID pvExtra) {
        return create(vt, cDims, rgsabound,
                      vt == VT_UNKNOWN || vt == VT_DISPATCH ? pvExtra : NULL,
                      vt == VT_RECORD ? pvExtra : NULL);
}

static SAFEARRAY *create_vector(VARTYPE vt, LONG lLbound, ULONG cElements, IRecordInfo *ri) {
        ULONG size = vt == VT_RECORD ? record_size(ri) : vt_size(vt);
        size_t head = HIDDEN_SIZE + sizeof(SAFEARRAY);

        if (!size || (size_t)cElements > (SIZE_MAX - head) / size)
                return NULL;
        /* the data after the descriptor, aligned for any element */
        head = (head + 15) & ~(size_t)15;
        uint8_t *p = dcom_calloc(1, head + (size_t)cElements * size);
        if (!p)
                return NULL;
        SAFEARRAY *psa = (SAFEARRAY *)(p + HIDDEN_SIZE);
        psa->cDims = 1;
        set_features(psa, vt, NULL);
        if (vt == VT_RECORD)
                set_recinfo(psa, ri);
        psa->fFeatures |= FADF_CREATEVECTOR;
        psa->cbElements = size;
        psa->rgsabound[0].cElements = cElements;
        psa->rgsabound[0].lLbound = lLbound;
        psa->pvData = p + head;
        return psa;
}

SAFEARRAY *SafeArrayCreateVector(VARTYPE vt, LONG lLbound, ULONG cElements) {
        return create_vector(vt, lLbound, cElements, NULL);
}

SAFEARRAY *SafeArrayCreateVectorEx(VARTYPE vt, LONG lLbound, ULONG cElements, PVOID pvExtra) {
        SAFEARRAY *psa = create_vector(vt, lLbound, cElements,
                                       vt == VT_RECORD ? pvExtra : NULL);
        if (psa && pvExtra && (vt == VT_UNKNOWN || vt == VT_DISPATCH))
                memcpy(hidden(psa), pvExtra, sizeof(IID));
        return psa;
}

HRESULT SafeArrayDestroyData(SAFEARRAY *psa) {
        size_t n, size;

        if (!psa)
                return E_INVALIDARG;
        if (!psa->pvData)
                return S_OK;
        if (psa->cLocks)
                return DISP_E_ARRAYISLOCKED;
        if (!cell_count(psa, &n) || !data_size(psa, &size))
                return E_UNEXPECTED;
        destroy_cells(psa, 0, n);
        if (psa->fFeatures & FADF_STATIC) {
                memset(psa->pvData, 0, size);           /* not ours to free: emptied */
                return S_OK;
        }
        if (psa->fFeatures & (FADF_AUTO | FADF_EMBEDDED))
                return S_OK;
        if (psa->fFeatures & FADF_CREATEVECTOR) {
                psa->fFeatures |= FADF_DATADELETED;     /* freed with the descriptor */
                return S_OK;
        }
        dcom_free(psa->pvData);
        psa->pvData = NULL;
        return S_OK;
}

HRESULT SafeArrayDestroyDescriptor(SAFEARRAY *psa) {
        if (!psa)
                return S_OK;
        if (psa->cLocks)
                return DISP_E_ARRAYISLOCKED;
        if (psa->fFeatures & FADF_RECORD)
                set_recinfo(psa, NULL);
        dcom_free(hidden(psa));
        return S_OK;
}

HRESULT SafeArrayDestroy(SAFEARRAY *psa) {
        HRESULT hr;

        if (!psa)
                return S_OK;
        if (psa->cLocks)
                return DISP_E_ARRAYISLOCKED;
        if (FAILED(hr = SafeArrayDestroyData(psa)))
                return hr;
        return SafeArrayDestroyDescriptor(psa);
}

/* --- locking and access -------------------------------------------------------------------- */

HRESULT SafeArrayLock(SAFEARRAY *psa) {
        if (!psa)
                return E_INVALIDARG;
        if (psa->cLocks >= MAX_LOCKS)
                return E_UNEXPECTED;
        psa->cLocks++;
        return S_OK;
}

HRESULT SafeArrayUnlock(SAFEARRAY *psa) {
        if (!psa)
                return E_INVALIDARG;
        if (!psa->cLocks)
                return E_UNEXPECTED;
        psa->cLocks--;
        return S_OK;
}

HRESULT SafeArrayAccessData(SAFEARRAY *psa, void **ppvData) {
        HRESULT hr;

        if (!psa || !ppvData)
                return E_INVALIDARG;
        if (FAILED(hr = SafeArrayLock(psa))) {
                *ppvData = NULL;
                return hr;
        }
        *ppvData = psa->pvData;
        return S_OK;
}

HRESULT SafeArrayUnaccessData(SAFEARRAY *psa) {
        return SafeArrayUnlock(psa);
}

/* rgIndices[0] is the first dimension's index, kept in rgsabound[cDims - 1]. */
HRESULT SafeArrayPtrOfIndex(SAFEARRAY *psa, LONG *rgIndices, void **ppvData) {
        size_t cell = 0, mult = 1;

        if (!psa || !rgIndices || !ppvData)
                return E_INVALIDARG;
        for (USHORT d = 0; d < psa->cDims; d++) {
                const SAFEARRAYBOUND *b = &psa->rgsabound[psa->cDims - 1 - d];
                int64_t off = (int64_t)rgIndices[d] - b->lLbound;
                if (off < 0 || off >= (int64_t)b->cElements)
                        return DISP_E_BADINDEX;
                cell += (size_t)off * mult;
                mult *= b->cElements;           /* bounded: off < cElements, so no overflow */
        }
        if (!psa->pvData)
                return E_INVALIDARG;
        *ppvData = (uint8_t *)psa->pvData + cell * psa->cbElements;
        return S_OK;
}

HRESULT SafeArrayGetElement(SAFEARRAY *psa, LONG *rgIndices, void *pv) {
        void *cell;
        HRESULT hr;

        if (!psa || !rgIndices || !pv)
                return E_INVALIDARG;
        if (FAILED(hr = SafeArrayPtrOfIndex(psa, rgIndices, &cell)))
                return hr;
        if (FAILED(hr = SafeArrayLock(psa)))
                return hr;
        if (psa->fFeatures & FADF_VARIANT) {
                V_VT((VARIANT *)pv) = VT_EMPTY;         /* an [out] buffer: nothing to clear */
                hr = VariantCopy(pv, cell);
        } else if (psa->fFeatures & FADF_BSTR) {
                BSTR s = *(BSTR *)cell;
                *(BSTR *)pv = NULL;
                if (s && !(*(BSTR *)pv = SysAllocStringByteLen((LPCSTR)s, SysStringByteLen(s))))
                        hr = E_OUTOFMEMORY;
        } else if (psa->fFeatures & (FADF_UNKNOWN | FADF_DISPATCH)) {
                IUnknown *u = *(IUnknown **)cell;
                if (u)
                        u->lpVtbl->AddRef(u);
                *(IUnknown **)pv = u;
        } else if ((psa->fFeatures & FADF_RECORD) && recinfo(psa)) {
                hr = recinfo(psa)->lpVtbl->RecordCopy(recinfo(psa), cell, pv);
        } else {
                memcpy(pv, cell, psa->cbElements);
        }
        SafeArrayUnlock(psa);
        return hr;
}

/* pv: the value itself for BSTR and interface arrays, a pointer to it otherwise. */
HRESULT SafeArrayPutElement(SAFEARRAY *psa, LONG *rgIndices, void *pv) {
        void *cell;
        HRESULT hr;

        if (!psa || !rgIndices)
                return E_INVALIDARG;
        if (!pv && !(psa->fFeatures & (FADF_BSTR | FADF_UNKNOWN | FADF_DISPATCH)))
                return E_INVALIDARG;
        if (FAILED(hr = SafeArrayPtrOfIndex(psa, rgIndices, &cell)))
                return hr;
        if (FAILED(hr = SafeArrayLock(psa)))
                return hr;
        if (psa->fFeatures & FADF_VARIANT) {
                hr = VariantCopy(cell, pv);
        } else if (psa->fFeatures & FADF_BSTR) {
                BSTR s = pv, copy = NULL;
                if (s && !(copy = SysAllocStringByteLen((LPCSTR)s, SysStringByteLen(s)))) {
                        hr = E_OUTOFMEMORY;
                } else {
                        SysFreeString(*(BSTR *)cell);
                        *(BSTR *)cell = copy;
                }
        } else if (psa->fFeatures & (FADF_UNKNOWN | FADF_DISPATCH)) {
                IUnknown *u = pv, *old = *(IUnknown **)cell;
                if (u)
                        u->lpVtbl->AddRef(u);
                *(IUnknown **)cell = u;
                if (old)
                        old->lpVtbl->Release(old);
        } else if ((psa->fFeatures & FADF_RECORD) && recinfo(psa)) {
                hr = recinfo(psa)->lpVtbl->RecordCopy(recinfo(psa), pv, cell);
        } else {
                memcpy(cell, pv, psa->cbElements);
        }
        SafeArrayUnlock(psa);
        return hr;
}

/* --- shape -------------------------------------------------------------------------------- */

/* The last dimension (rgsabound[0]) takes the new bound; its cells are the trailing ones. */
HRESULT SafeArrayRedim(SAFEARRAY *psa, SAFEARRAYBOUND *psaboundNew) {
        size_t other = 1, old_n, new_n;

        if (!psa || !psaboundNew || (psa->fFeatures & FADF_FIXEDSIZE))
                return E_INVALIDARG;
        if (psa->cLocks)
                return DISP_E_ARRAYISLOCKED;
        if (!cell_count(psa, &old_n))
                return E_UNEXPECTED;
        for (USHORT i = 1; i < psa->cDims; i++) {
                size_t c = psa->rgsabound[i].cElements;
                if (c && other > SIZE_MAX / c)
                        return E_OUTOFMEMORY;
                other *= c;
        }
        if (other && psaboundNew->cElements > SIZE_MAX / other)
                return E_OUTOFMEMORY;
        new_n = other * psaboundNew->cElements;
        if (psa->cbElements && new_n > SIZE_MAX / psa->cbElements)
                return E_OUTOFMEMORY;
        if (new_n != old_n) {
                if (psa->fFeatures & (FADF_AUTO | FADF_STATIC | FADF_EMBEDDED | FADF_CREATEVECTOR))
                        return E_INVALIDARG;    /* memory that is not ours to resize */
                if (new_n < old_n)
                        destroy_cells(psa, new_n, old_n);
                size_t size = new_n * psa->cbElements;
                uint8_t *p = dcom_realloc(psa->pvData, size ? size : 1);
                if (!p)
                        return E_OUTOFMEMORY;   /* the dropped cells are gone: Windows too */
                if (new_n > old_n)
                        memset(p + old_n * psa->cbElements, 0, (new_n - old_n) * psa->cbElements);
                psa->pvData = p;
        }
        psa->rgsabound[0] = *psaboundNew;
        return S_OK;
}

HRESULT SafeArrayCopyData(SAFEARRAY *psaSource, SAFEARRAY *psaTarget) {
        size_t n;

        if (!psaSource || !psaTarget || psaSource->cDims != psaTarget->cDims ||
            psaSource->cbElements != psaTarget->cbElements)
                return E_INVALIDARG;
        for (USHORT i = 0; i < psaSource->cDims; i++)
                if (psaSource->rgsabound[i].cElements != psaTarget->rgsabound[i].cElements)
                        return E_INVALIDARG;
        if (!cell_count(psaTarget, &n))
                return E_INVALIDARG;
        if (!psaTarget->pvData || (!psaSource->pvData && n))
                return E_INVALIDARG;
        destroy_cells(psaTarget, 0, n);
        return copy_cells(psaSource, psaTarget);
}

HRESULT SafeArrayCopy(SAFEARRAY *psa, SAFEARRAY **ppsaOut) {
        SAFEARRAY *out;
        HRESULT hr;

        if (!ppsaOut)
                return E_INVALIDARG;
        *ppsaOut = NULL;
        if (!psa)
                return S_OK;
        if (!psa->cbElements)
                return E_INVALIDARG;
        if (FAILED(hr = SafeArrayAllocDescriptor(psa->cDims, &out)))
                return hr;
        memcpy(hidden(out), hidden(psa), HIDDEN_SIZE);
        if ((psa->fFeatures & FADF_RECORD) && recinfo(psa))
                recinfo(psa)->lpVtbl->AddRef(recinfo(psa));     /* the copy holds it too */
        out->fFeatures = psa->fFeatures & ~FADF_NOT_COPIED;
        out->cbElements = psa->cbElements;
        memcpy(out->rgsabound, psa->rgsabound, psa->cDims * sizeof(SAFEARRAYBOUND));
        if (psa->pvData) {
                if (FAILED(hr = SafeArrayAllocData(out)) || FAILED(hr = copy_cells(psa, out))) {
                        SafeArrayDestroy(out);
                        return hr;
                }
        }
        *ppsaOut = out;
        return S_OK;
}

/* --- queries ------------------------------------------------------------------------------- */

UINT SafeArrayGetDim(SAFEARRAY *psa) {
        return psa ? psa->cDims : 0;
}

UINT SafeArrayGetElemsize(SAFEARRAY *psa) {
        return psa ? psa->cbElements : 0;
}

HRESULT SafeArrayGetLBound(SAFEARRAY *psa, UINT nDim, LONG *plLbound) {
        if (!psa || !plLbound)
                return E_INVALIDARG;
        if (!nDim || nDim > psa->cDims)
                return DISP_E_BADINDEX;
        *plLbound = psa->rgsabound[psa->cDims - nDim].lLbound;
        return S_OK;
}

HRESULT SafeArrayGetUBound(SAFEARRAY *psa, UINT nDim, LONG *plUbound) {
        if (!psa || !plUbound)
                return E_INVALIDARG;
        if (!nDim || nDim > psa->cDims)
                return DISP_E_BADINDEX;
        const SAFEARRAYBOUND *b = &psa->rgsabound[psa->cDims - nDim];
        *plUbound = (LONG)((int64_t)b->lLbound + b->cElements - 1);
        return S_OK;
}

HRESULT SafeArrayGetVartype(SAFEARRAY *psa, VARTYPE *pvt) {
        if (!psa || !pvt)
                return E_INVALIDARG;
        if (psa->fFeatures & FADF_RECORD) {
                *pvt = VT_RECORD;
        } else if ((psa->fFeatures & (FADF_HAVEIID | FADF_DISPATCH)) ==
                   (FADF_HAVEIID | FADF_DISPATCH)) {
                *pvt = VT_DISPATCH;
        } else if (psa->fFeatures & FADF_HAVEIID) {
                *pvt = VT_UNKNOWN;
        } else if (psa->fFeatures & FADF_HAVEVARTYPE) {
                uint32_t v;
                memcpy(&v, hidden(psa) + HIDDEN_SIZE - 4, 4);
                *pvt = (VARTYPE)v;
        } else {
                return E_INVALIDARG;
        }
        return S_OK;
}

HRESULT SafeArraySetIID(SAFEARRAY *psa, REFGUID guid) {
        if (!psa || !guid || !(psa->fFeatures & FADF_HAVEIID))
                return E_INVALIDARG;
        memcpy(hidden(psa), guid, sizeof(GUID));
        return S_OK;
}

HRESULT SafeArrayGetIID(SAFEARRAY *psa, GUID *pguid) {
        if (!psa || !pguid || !(psa->fFeatures & FADF_HAVEIID))
                return E_INVALIDARG;
        memcpy(pguid, hidden(psa), sizeof(GUID));
        return S_OK;
}

HRESULT SafeArraySetRecordInfo(SAFEARRAY *psa, IRecordInfo *prinfo) {
        if (!psa || !(psa->fFeatures & FADF_RECORD))
                return E_INVALIDARG;
        set_recinfo(psa, prinfo);
        /* a descriptor from SafeArrayAllocDescriptorEx (or an empty array of no type)
           learns its element size here */
        size_t n;
        if (!psa->cbElements && (!psa->pvData || (cell_count(psa, &n) && !n)))
                psa->cbElements = record_size(prinfo);
        return S_OK;
}

HRESULT SafeArrayGetRecordInfo(SAFEARRAY *psa, IRecordInfo **prinfo) {
        if (!psa || !prinfo || !(psa->fFeatures & FADF_RECORD))
                return E_INVALIDARG;
        *prinfo = recinfo(psa);
        if (*prinfo)
                (*prinfo)->lpVtbl->AddRef(*prinfo);
        return S_OK;
}
