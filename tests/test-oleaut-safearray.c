/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SAFEARRAY (src/oleaut/safearray.c) against what Windows returns, as Wine's
 * dlls/oleaut32/tests/safearray.c records it: features per element type, the hidden
 * VARTYPE/IID, bounds kept last dimension first, element ownership (BSTR, VARIANT,
 * interfaces) through Put/Get/Copy/Destroy, locking, bad indices, empty arrays, NULL
 * arguments; and VT_ARRAY VARIANTs in VariantClear/VariantCopy/VariantCopyInd.
 * The wire form ([MS-OAUT] 2.2.30) is tested at the end.
 */
#define COBJMACROS

#include <stddef.h>

#include <objbase.h>

#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"
#include "test.h"

#include <errno.h>
#include <string.h>

static const OLECHAR hello[] = { 'h', 'e', 'l', 'l', 'o', 0 };

/* An IUnknown that counts its references. */
struct counted {
        IUnknown IUnknown_iface;
        LONG refs;
};

static struct counted *impl_from_IUnknown(IUnknown *iface) {
        return (struct counted *)((char *)iface - offsetof(struct counted, IUnknown_iface));
}

static HRESULT STDMETHODCALLTYPE c_qi(IUnknown *iface, REFIID riid, void **ppv) {
        if (IsEqualGUID(riid, &IID_IUnknown)) {
                *ppv = iface;
                iface->lpVtbl->AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE c_addref(IUnknown *iface) {
        return (ULONG)++impl_from_IUnknown(iface)->refs;
}

static ULONG STDMETHODCALLTYPE c_release(IUnknown *iface) {
        return (ULONG)--impl_from_IUnknown(iface)->refs;
}

static const IUnknownVtbl counted_vtbl = { c_qi, c_addref, c_release };

TEST(layout_and_features) {
        SAFEARRAYBOUND b = { 4, 2 };
        VARTYPE vt;
        GUID iid;

        ASSERT_EQ(sizeof(SAFEARRAYBOUND), 8);
        ASSERT_EQ(offsetof(SAFEARRAY, pvData), sizeof(void *) == 8 ? 16 : 12);
        ASSERT_EQ(FADF_HAVEVARTYPE, 0x80);
        ASSERT_HR_EQ(DISP_E_ARRAYISLOCKED, 0x8002000D);
        ASSERT_HR_EQ(DISP_E_BADINDEX, 0x8002000B);

        static const struct { VARTYPE vt; ULONG size; USHORT features; } types[] = {
                { VT_I1, 1, FADF_HAVEVARTYPE }, { VT_UI1, 1, FADF_HAVEVARTYPE },
                { VT_I2, 2, FADF_HAVEVARTYPE }, { VT_BOOL, 2, FADF_HAVEVARTYPE },
                { VT_I4, 4, FADF_HAVEVARTYPE }, { VT_R4, 4, FADF_HAVEVARTYPE },
                { VT_ERROR, 4, FADF_HAVEVARTYPE }, { VT_R8, 8, FADF_HAVEVARTYPE },
                { VT_CY, 8, FADF_HAVEVARTYPE }, { VT_DATE, 8, FADF_HAVEVARTYPE },
                { VT_I8, 8, FADF_HAVEVARTYPE }, { VT_DECIMAL, 16, FADF_HAVEVARTYPE },
                { VT_BSTR, sizeof(BSTR), FADF_HAVEVARTYPE | FADF_BSTR },
                { VT_VARIANT, sizeof(VARIANT), FADF_HAVEVARTYPE | FADF_VARIANT },
                { VT_UNKNOWN, sizeof(void *), FADF_HAVEIID | FADF_UNKNOWN },
                { VT_DISPATCH, sizeof(void *), FADF_HAVEIID | FADF_DISPATCH },
        };
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                SAFEARRAY *sa = SafeArrayCreate(types[i].vt, 1, &b);
                ASSERT_NOT_NULL(sa);
                ASSERT_EQ(sa->cbElements, types[i].size);
                ASSERT_EQ(SafeArrayGetElemsize(sa), types[i].size);
                ASSERT_EQ(sa->fFeatures, types[i].features);
                ASSERT_EQ(sa->cLocks, 0);
                ASSERT_NOT_NULL(sa->pvData);
                ASSERT_HR_EQ(SafeArrayGetVartype(sa, &vt), S_OK);
                ASSERT_EQ(vt, types[i].vt);
                ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
        }
        /* no element size: VT_EMPTY, VT_NULL, a vector type; VT_RECORD needs IRecordInfo */
        ASSERT_NULL(SafeArrayCreate(VT_EMPTY, 1, &b));
        ASSERT_NULL(SafeArrayCreate(VT_NULL, 1, &b));
        ASSERT_NULL(SafeArrayCreate(VT_I4 | VT_VECTOR, 1, &b));
        ASSERT_NULL(SafeArrayCreate(VT_RECORD, 1, &b));
        ASSERT_NULL(SafeArrayCreate(VT_I4, 0, &b));
        ASSERT_NULL(SafeArrayCreate(VT_I4, 1, NULL));

        /* FADF_HAVEIID: IID_IDispatch by default, SetIID/GetIID; refused without it */
        SAFEARRAY *sa = SafeArrayCreate(VT_DISPATCH, 1, &b);
        ASSERT_HR_EQ(SafeArrayGetIID(sa, &iid), S_OK);
        ASSERT_TRUE(IsEqualGUID(&iid, &IID_IDispatch));
        ASSERT_HR_EQ(SafeArraySetIID(sa, &IID_IStream), S_OK);
        ASSERT_HR_EQ(SafeArrayGetIID(sa, &iid), S_OK);
        ASSERT_TRUE(IsEqualGUID(&iid, &IID_IStream));
        ASSERT_HR_EQ(SafeArrayGetVartype(sa, &vt), S_OK);
        ASSERT_EQ(vt, VT_DISPATCH);
        ASSERT_HR_EQ(SafeArrayGetIID(sa, NULL), E_INVALIDARG);
        SafeArrayDestroy(sa);
        sa = SafeArrayCreateEx(VT_UNKNOWN, 1, &b, (PVOID)&IID_IStream);
        ASSERT_HR_EQ(SafeArrayGetIID(sa, &iid), S_OK);
        ASSERT_TRUE(IsEqualGUID(&iid, &IID_IStream));
        SafeArrayDestroy(sa);
        sa = SafeArrayCreate(VT_I4, 1, &b);
        ASSERT_HR_EQ(SafeArrayGetIID(sa, &iid), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArraySetIID(sa, &IID_IUnknown), E_INVALIDARG);
        SafeArrayDestroy(sa);
        ASSERT_NULL(SafeArrayCreateEx(VT_RECORD, 1, &b, NULL));
}

TEST(descriptors) {
        SAFEARRAY *sa;
        VARTYPE vt;

        ASSERT_HR_EQ(SafeArrayAllocDescriptor(0, &sa), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayAllocDescriptor(65536, &sa), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayAllocDescriptor(65535, &sa), S_OK);
        ASSERT_EQ(sa->cDims, 65535);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(sa), S_OK);

        /* a descriptor without a type: GetVartype fails, the caller fills it in */
        ASSERT_HR_EQ(SafeArrayAllocDescriptor(1, &sa), S_OK);
        ASSERT_EQ(sa->fFeatures, 0);
        ASSERT_NULL(sa->pvData);
        ASSERT_HR_EQ(SafeArrayGetVartype(sa, &vt), E_INVALIDARG);
        sa->cbElements = 8;
        sa->rgsabound[0].cElements = 48;
        sa->rgsabound[0].lLbound = 2;
        ASSERT_HR_EQ(SafeArrayAllocData(sa), S_OK);
        ASSERT_NOT_NULL(sa->pvData);
        ASSERT_HR_EQ(SafeArrayDestroyData(sa), S_OK);
        ASSERT_NULL(sa->pvData);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(sa), S_OK);

        ASSERT_HR_EQ(SafeArrayAllocDescriptorEx(VT_BSTR, 2, &sa), S_OK);
        ASSERT_EQ(sa->fFeatures, FADF_HAVEVARTYPE | FADF_BSTR);
        ASSERT_EQ(sa->cbElements, sizeof(BSTR));
        ASSERT_HR_EQ(SafeArrayGetVartype(sa, &vt), S_OK);
        ASSERT_EQ(vt, VT_BSTR);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(sa), S_OK);
        ASSERT_HR_EQ(SafeArrayAllocDescriptorEx(VT_EMPTY, 1, &sa), E_INVALIDARG);

        /* NULL: Destroy* of nothing succeed, the rest is E_INVALIDARG */
        ASSERT_HR_EQ(SafeArrayDestroy(NULL), S_OK);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(NULL), S_OK);
        ASSERT_HR_EQ(SafeArrayDestroyData(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayAllocData(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayLock(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayUnlock(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayGetVartype(NULL, &vt), E_INVALIDARG);
        ASSERT_EQ(SafeArrayGetDim(NULL), 0);
        ASSERT_EQ(SafeArrayGetElemsize(NULL), 0);
}

TEST(bounds_and_indices) {
        /* dimensions as given: 3 x 4, the first from 1, the second from -2 */
        SAFEARRAYBOUND b[2] = { { 3, 1 }, { 4, -2 } };
        SAFEARRAY *sa = SafeArrayCreate(VT_I4, 2, b);
        LONG l, idx[2];
        void *p, *base;

        ASSERT_NOT_NULL(sa);
        ASSERT_EQ(SafeArrayGetDim(sa), 2);
        /* kept last dimension first */
        ASSERT_EQ(sa->rgsabound[0].cElements, 4);
        ASSERT_EQ(sa->rgsabound[0].lLbound, -2);
        ASSERT_EQ(sa->rgsabound[1].cElements, 3);
        ASSERT_HR_EQ(SafeArrayGetLBound(sa, 1, &l), S_OK);
        ASSERT_EQ(l, 1);
        ASSERT_HR_EQ(SafeArrayGetUBound(sa, 1, &l), S_OK);
        ASSERT_EQ(l, 3);
        ASSERT_HR_EQ(SafeArrayGetLBound(sa, 2, &l), S_OK);
        ASSERT_EQ(l, -2);
        ASSERT_HR_EQ(SafeArrayGetUBound(sa, 2, &l), S_OK);
        ASSERT_EQ(l, 1);
        ASSERT_HR_EQ(SafeArrayGetLBound(sa, 0, &l), DISP_E_BADINDEX);
        ASSERT_HR_EQ(SafeArrayGetUBound(sa, 3, &l), DISP_E_BADINDEX);
        ASSERT_HR_EQ(SafeArrayGetLBound(sa, 1, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayGetUBound(NULL, 1, &l), E_INVALIDARG);

        /* the first index varies fastest */
        base = sa->pvData;
        idx[0] = 1;
        idx[1] = -2;
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, idx, &p), S_OK);
        ASSERT_TRUE(p == base);
        idx[0] = 2;
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, idx, &p), S_OK);
        ASSERT_TRUE(p == (char *)base + 4);
        idx[0] = 1;
        idx[1] = -1;
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, idx, &p), S_OK);
        ASSERT_TRUE(p == (char *)base + 3 * 4);
        idx[0] = 3;
        idx[1] = 1;
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, idx, &p), S_OK);
        ASSERT_TRUE(p == (char *)base + 11 * 4);

        /* outside the bounds, either side, in either dimension */
        static const LONG bad[][2] = { { 0, 0 }, { 4, 0 }, { 1, -3 }, { 1, 2 } };
        for (size_t i = 0; i < 4; i++) {
                idx[0] = bad[i][0];
                idx[1] = bad[i][1];
                ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, idx, &p), DISP_E_BADINDEX);
                ASSERT_HR_EQ(SafeArrayGetElement(sa, idx, &l), DISP_E_BADINDEX);
                ASSERT_HR_EQ(SafeArrayPutElement(sa, idx, &l), DISP_E_BADINDEX);
        }
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, NULL, &p), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, idx, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, NULL, &l), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, idx, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayPutElement(NULL, idx, &l), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayPutElement(sa, idx, NULL), E_INVALIDARG);

        idx[0] = 2;
        idx[1] = 0;
        l = 0x12345678;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, idx, &l), S_OK);
        l = 0;
        ASSERT_HR_EQ(SafeArrayGetElement(sa, idx, &l), S_OK);
        ASSERT_EQ(l, 0x12345678);
        ASSERT_EQ(((LONG *)base)[1 + 2 * 3], 0x12345678);
        ASSERT_EQ(sa->cLocks, 0);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
}

TEST(empty_arrays) {
        SAFEARRAYBOUND b = { 0, 5 };
        SAFEARRAY *sa = SafeArrayCreate(VT_BSTR, 1, &b), *copy;
        LONG l, idx = 5;
        void *p;

        ASSERT_NOT_NULL(sa);
        ASSERT_HR_EQ(SafeArrayGetLBound(sa, 1, &l), S_OK);
        ASSERT_EQ(l, 5);
        ASSERT_HR_EQ(SafeArrayGetUBound(sa, 1, &l), S_OK);
        ASSERT_EQ(l, 4);                /* one below the lower bound */
        ASSERT_HR_EQ(SafeArrayPtrOfIndex(sa, &idx, &p), DISP_E_BADINDEX);
        ASSERT_HR_EQ(SafeArrayCopy(sa, &copy), S_OK);
        ASSERT_NOT_NULL(copy);
        ASSERT_EQ(copy->rgsabound[0].cElements, 0);
        ASSERT_HR_EQ(SafeArrayDestroy(copy), S_OK);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);

        sa = SafeArrayCreateVector(VT_I4, 0, 0);
        ASSERT_NOT_NULL(sa);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
        ASSERT_HR_EQ(SafeArrayCopy(NULL, &copy), S_OK);
        ASSERT_NULL(copy);
        ASSERT_HR_EQ(SafeArrayCopy(NULL, NULL), E_INVALIDARG);
}

TEST(locking) {
        SAFEARRAYBOUND b = { 4, 0 };
        SAFEARRAY *sa = SafeArrayCreate(VT_I2, 1, &b);
        void *p;

        ASSERT_HR_EQ(SafeArrayUnlock(sa), E_UNEXPECTED);
        ASSERT_HR_EQ(SafeArrayLock(sa), S_OK);
        ASSERT_EQ(sa->cLocks, 1);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), DISP_E_ARRAYISLOCKED);
        ASSERT_HR_EQ(SafeArrayDestroyData(sa), DISP_E_ARRAYISLOCKED);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(sa), DISP_E_ARRAYISLOCKED);
        b.cElements = 8;
        ASSERT_HR_EQ(SafeArrayRedim(sa, &b), DISP_E_ARRAYISLOCKED);
        ASSERT_HR_EQ(SafeArrayUnlock(sa), S_OK);

        ASSERT_HR_EQ(SafeArrayAccessData(sa, &p), S_OK);
        ASSERT_TRUE(p == sa->pvData);
        ASSERT_EQ(sa->cLocks, 1);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), DISP_E_ARRAYISLOCKED);
        ASSERT_HR_EQ(SafeArrayUnaccessData(sa), S_OK);
        ASSERT_HR_EQ(SafeArrayUnaccessData(sa), E_UNEXPECTED);
        ASSERT_HR_EQ(SafeArrayAccessData(sa, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayAccessData(NULL, &p), E_INVALIDARG);

        /* 65535 locks at most */
        for (int i = 0; i < 0xffff; i++)
                ASSERT_HR_EQ(SafeArrayLock(sa), S_OK);
        ASSERT_HR_EQ(SafeArrayLock(sa), E_UNEXPECTED);
        for (int i = 0; i < 0xffff; i++)
                ASSERT_HR_EQ(SafeArrayUnlock(sa), S_OK);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
}

TEST(bstr_elements) {
        SAFEARRAYBOUND b = { 3, 0 };
        SAFEARRAY *sa = SafeArrayCreate(VT_BSTR, 1, &b), *copy;
        BSTR s = SysAllocString(hello), got;
        LONG idx = 1;

        /* PutElement copies the BSTR itself; GetElement hands out a copy */
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, s), S_OK);
        BSTR stored = ((BSTR *)sa->pvData)[1];
        ASSERT_TRUE(stored != s);
        ASSERT_MEM_EQ(stored, hello, sizeof hello);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, &idx, &got), S_OK);
        ASSERT_TRUE(got != stored);
        ASSERT_EQ(SysStringLen(got), 5);
        SysFreeString(got);
        /* replacing frees the old one (ASan would see a leak); NULL is a value too */
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, s), S_OK);
        idx = 2;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, NULL), S_OK);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, &idx, &got), S_OK);
        ASSERT_NULL(got);

        /* a deep copy */
        idx = 1;
        ASSERT_HR_EQ(SafeArrayCopy(sa, &copy), S_OK);
        ASSERT_EQ(copy->fFeatures, FADF_HAVEVARTYPE | FADF_BSTR);
        ASSERT_TRUE(((BSTR *)copy->pvData)[1] != ((BSTR *)sa->pvData)[1]);
        ASSERT_MEM_EQ(((BSTR *)copy->pvData)[1], hello, sizeof hello);
        ASSERT_HR_EQ(SafeArrayDestroy(copy), S_OK);

        /* CopyData: same shape only; the target's old strings are freed */
        SAFEARRAYBOUND b2 = { 3, 7 };
        SAFEARRAY *other = SafeArrayCreate(VT_BSTR, 1, &b2);
        idx = 7;
        SafeArrayPutElement(other, &idx, s);
        ASSERT_HR_EQ(SafeArrayCopyData(sa, other), S_OK);
        ASSERT_NULL(((BSTR *)other->pvData)[0]);
        ASSERT_MEM_EQ(((BSTR *)other->pvData)[1], hello, sizeof hello);
        b2.cElements = 4;
        SAFEARRAY *bigger = SafeArrayCreate(VT_BSTR, 1, &b2);
        ASSERT_HR_EQ(SafeArrayCopyData(sa, bigger), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayCopyData(sa, NULL), E_INVALIDARG);
        SafeArrayDestroy(bigger);
        SafeArrayDestroy(other);

        /* DestroyData frees the strings, the descriptor stays */
        ASSERT_HR_EQ(SafeArrayDestroyData(sa), S_OK);
        ASSERT_NULL(sa->pvData);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(sa), S_OK);
        SysFreeString(s);
}

TEST(interface_and_variant_elements) {
        struct counted c = { { &counted_vtbl }, 1 };
        IUnknown *u = &c.IUnknown_iface, *got;
        SAFEARRAYBOUND b = { 2, 0 };
        SAFEARRAY *sa = SafeArrayCreate(VT_UNKNOWN, 1, &b), *copy;
        LONG idx = 0;

        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, u), S_OK);
        ASSERT_EQ(c.refs, 2);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, &idx, &got), S_OK);
        ASSERT_TRUE(got == u);
        ASSERT_EQ(c.refs, 3);
        u->lpVtbl->Release(u);
        ASSERT_HR_EQ(SafeArrayCopy(sa, &copy), S_OK);
        ASSERT_EQ(c.refs, 3);
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, NULL), S_OK);   /* releases */
        ASSERT_EQ(c.refs, 2);
        ASSERT_HR_EQ(SafeArrayDestroy(copy), S_OK);
        ASSERT_EQ(c.refs, 1);
        SafeArrayDestroy(sa);

        /* VARIANT elements: VariantCopy in, VariantCopy out, VariantClear on destroy */
        sa = SafeArrayCreateVector(VT_VARIANT, 10, 3);
        ASSERT_NOT_NULL(sa);
        VARIANT v, out;
        V_VT(&v) = VT_UNKNOWN;
        V_UNKNOWN(&v) = u;
        idx = 11;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, &v), S_OK);
        ASSERT_EQ(c.refs, 2);
        V_VT(&v) = VT_BSTR;
        V_BSTR(&v) = SysAllocString(hello);
        idx = 12;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, &v), S_OK);
        VariantClear(&v);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, &idx, &out), S_OK);
        ASSERT_EQ(V_VT(&out), VT_BSTR);
        ASSERT_MEM_EQ(V_BSTR(&out), hello, sizeof hello);
        VariantClear(&out);
        idx = 10;
        ASSERT_HR_EQ(SafeArrayGetElement(sa, &idx, &out), S_OK);
        ASSERT_EQ(V_VT(&out), VT_EMPTY);
        /* a vector cannot be resized: its data lives in the descriptor's block */
        SAFEARRAYBOUND nb = { 5, 10 };
        ASSERT_HR_EQ(SafeArrayRedim(sa, &nb), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
        ASSERT_EQ(c.refs, 1);
}

TEST(redim) {
        SAFEARRAYBOUND b[2] = { { 2, 0 }, { 3, 0 } };
        SAFEARRAY *sa = SafeArrayCreate(VT_BSTR, 2, b);
        BSTR s = SysAllocString(hello);
        LONG idx[2], l;

        /* the last dimension changes: [1][2] is the last cell and goes when it shrinks */
        idx[0] = 1;
        idx[1] = 2;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, idx, s), S_OK);
        SAFEARRAYBOUND nb = { 2, 1 };
        ASSERT_HR_EQ(SafeArrayRedim(sa, &nb), S_OK);   /* frees [1][2] (ASan: no leak) */
        ASSERT_HR_EQ(SafeArrayGetLBound(sa, 2, &l), S_OK);
        ASSERT_EQ(l, 1);
        ASSERT_HR_EQ(SafeArrayGetUBound(sa, 2, &l), S_OK);
        ASSERT_EQ(l, 2);
        idx[1] = 2;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, idx, s), S_OK);
        nb.cElements = 5;
        ASSERT_HR_EQ(SafeArrayRedim(sa, &nb), S_OK);   /* grows, zeroed */
        idx[1] = 5;
        BSTR got = (BSTR)1;
        ASSERT_HR_EQ(SafeArrayGetElement(sa, idx, &got), S_OK);
        ASSERT_NULL(got);
        idx[1] = 2;
        ASSERT_HR_EQ(SafeArrayGetElement(sa, idx, &got), S_OK);
        ASSERT_MEM_EQ(got, hello, sizeof hello);
        SysFreeString(got);
        ASSERT_HR_EQ(SafeArrayRedim(sa, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayRedim(NULL, &nb), E_INVALIDARG);
        sa->fFeatures |= FADF_FIXEDSIZE;
        ASSERT_HR_EQ(SafeArrayRedim(sa, &nb), E_INVALIDARG);
        sa->fFeatures &= ~FADF_FIXEDSIZE;
        nb.cElements = 0;
        ASSERT_HR_EQ(SafeArrayRedim(sa, &nb), S_OK);   /* empty: every string freed */
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
        SysFreeString(s);
}

TEST(static_data) {
        /* FADF_STATIC: the caller's memory, emptied but never freed */
        static LONG data[4] = { 1, 2, 3, 4 };
        SAFEARRAY *sa;

        ASSERT_HR_EQ(SafeArrayAllocDescriptorEx(VT_I4, 1, &sa), S_OK);
        sa->fFeatures |= FADF_STATIC;
        sa->pvData = data;
        sa->rgsabound[0].cElements = 4;
        ASSERT_HR_EQ(SafeArrayDestroyData(sa), S_OK);
        ASSERT_TRUE(sa->pvData == data);
        ASSERT_EQ(data[3], 0);
        ASSERT_HR_EQ(SafeArrayDestroyDescriptor(sa), S_OK);
}

TEST(variant_arrays) {
        SAFEARRAY *sa = SafeArrayCreateVector(VT_BSTR, 0, 2);
        BSTR s = SysAllocString(hello);
        VARIANT v, copy, ref;
        LONG idx = 1;

        SafeArrayPutElement(sa, &idx, s);
        V_VT(&v) = VT_ARRAY | VT_BSTR;
        V_ARRAY(&v) = sa;
        V_VT(&copy) = VT_EMPTY;
        ASSERT_HR_EQ(VariantCopy(&copy, &v), S_OK);
        ASSERT_EQ(V_VT(&copy), VT_ARRAY | VT_BSTR);
        ASSERT_TRUE(V_ARRAY(&copy) != sa);
        ASSERT_MEM_EQ(((BSTR *)V_ARRAY(&copy)->pvData)[1], hello, sizeof hello);
        ASSERT_HR_EQ(VariantClear(&copy), S_OK);
        ASSERT_EQ(V_VT(&copy), VT_EMPTY);

        /* VT_BYREF: CopyInd gives a copy of the referent; Clear leaves it alone */
        V_VT(&ref) = VT_ARRAY | VT_BSTR | VT_BYREF;
        V_ARRAYREF(&ref) = &sa;
        V_VT(&copy) = VT_EMPTY;
        ASSERT_HR_EQ(VariantCopyInd(&copy, &ref), S_OK);
        ASSERT_EQ(V_VT(&copy), VT_ARRAY | VT_BSTR);
        ASSERT_TRUE(V_ARRAY(&copy) != sa);
        ASSERT_HR_EQ(VariantClear(&copy), S_OK);
        ASSERT_HR_EQ(VariantClear(&ref), S_OK);
        /* conversion: only to its own type */
        ASSERT_HR_EQ(VariantChangeType(&copy, &v, 0, VT_BSTR), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(VariantChangeType(&copy, &v, 0, VT_ARRAY | VT_BSTR), S_OK);
        ASSERT_HR_EQ(VariantClear(&copy), S_OK);
        /* an array of nothing is no type */
        V_VT(&copy) = VT_ARRAY | VT_EMPTY;
        ASSERT_HR_EQ(VariantClear(&copy), DISP_E_BADVARTYPE);

        /* a locked array: VariantClear reports it */
        SafeArrayLock(sa);
        ASSERT_HR_EQ(VariantClear(&v), DISP_E_ARRAYISLOCKED);
        SafeArrayUnlock(sa);
        V_VT(&v) = VT_ARRAY | VT_BSTR;
        V_ARRAY(&v) = sa;
        ASSERT_HR_EQ(VariantClear(&v), S_OK);          /* frees the array and its strings */
        SysFreeString(s);
}

/* --- the wire ([MS-OAUT] 2.2.30) ------------------------------------------------------------ */

/* Pushes v as a top-level VARIANT (ID, pad, wireVARIANTStr), pulls it back into *ret. */
static int round_trip(const VARIANT *v, struct arena *a, VARIANT *ret, struct ndr_push *keep) {
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct ndr_pull in;
        int r;

        ndr_push_init(keep, 0);
        if ((r = ndr_push_user_marshal(keep, um, NDR_SCALARS | NDR_BUFFERS, v)) < 0)
                return r;
        ndr_pull_init(&in, keep->buf.data, keep->buf.len, NULL, a);
        r = ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, ret);
        if (r >= 0 && ndr_pull_remaining(&in))
                r = -EBADMSG;
        return r;
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

static int pull_bytes(const uint8_t *p, size_t n, struct arena *a, VARIANT *ret) {
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct ndr_pull in;

        ndr_pull_init(&in, p, n, NULL, a);
        return ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, ret);
}

TEST(wire_layout_as_windows) {
        /*
         * Wine's usrmarshal test, which Windows passes: a VT_UI4|VT_ARRAY VARIANT holding a
         * VT_R8 array of 10 from 5 is 152 bytes; the header, two pointer IDs, then
         * cDims, cDims, fFeatures, the element size, cLocks|vt<<16, sfType (the array's
         * type), the count, a data pointer, the bounds, the count again, the doubles
         * 8-aligned.
         */
        SAFEARRAYBOUND b = { 10, 5 };
        SAFEARRAY *sa = SafeArrayCreate(VT_R8, 1, &b);
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        oleaut_user_marshal_register();
        ((double *)sa->pvData)[0] = 3.1415;
        ((double *)sa->pvData)[9] = -1;
        V_VT(&v) = VT_UI4 | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(p.buf.len, 8 + 152);          /* our top-level ID and pad, then Windows' */
        const uint8_t *w = p.buf.data + 8;
        ASSERT_EQ(le32(w), (152 + 7) / 8);      /* clSize */
        ASSERT_EQ(le32(w + 8) & 0xffff, VT_UI4 | VT_ARRAY);
        ASSERT_EQ(le32(w + 16), VT_ARRAY);     /* the discriminant: the element type masked */
        ASSERT_NE(le32(w + 20), 0);            /* wirePSAFEARRAY */
        ASSERT_NE(le32(w + 24), 0);            /* wireSAFEARRAY */
        ASSERT_EQ(le32(w + 28), 1);            /* conformance: cDims */
        ASSERT_EQ(le32(w + 32), 1 | (uint32_t)(FADF_HAVEVARTYPE << 16));
        ASSERT_EQ(le32(w + 36), 8);            /* cbElements */
        ASSERT_EQ(le32(w + 40), (uint32_t)VT_R8 << 16);        /* cLocks 0, vt */
        ASSERT_EQ(le32(w + 44), VT_I8);        /* SF_I8 */
        ASSERT_EQ(le32(w + 48), 10);
        ASSERT_NE(le32(w + 52), 0);
        ASSERT_EQ(le32(w + 56), 10);           /* the bound: cElements, lLbound */
        ASSERT_EQ(le32(w + 60), 5);
        ASSERT_EQ(le32(w + 64), 10);           /* the data's conformance, then pad to 8 */
        ASSERT_MEM_EQ(w + 72, sa->pvData, 80);
        /* and back */
        ASSERT_EQ(V_VT(&back), VT_UI4 | VT_ARRAY);
        SAFEARRAY *got = V_ARRAY(&back);
        VARTYPE vt;
        LONG l;
        ASSERT_HR_EQ(SafeArrayGetVartype(got, &vt), S_OK);
        ASSERT_EQ(vt, VT_R8);
        ASSERT_EQ(got->cLocks, 0);
        ASSERT_HR_EQ(SafeArrayGetLBound(got, 1, &l), S_OK);
        ASSERT_EQ(l, 5);
        ASSERT_HR_EQ(SafeArrayGetUBound(got, 1, &l), S_OK);
        ASSERT_EQ(l, 14);
        ASSERT_MEM_EQ(got->pvData, sa->pvData, 80);
        arena_reset(&a);                        /* destroys the pulled array */
        ndr_push_free(&p);

        /* by reference: one more pointer ID, the same 152 bytes (Wine's test again) */
        V_VT(&v) = VT_UI4 | VT_ARRAY | VT_BYREF;
        V_ARRAYREF(&v) = &sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(p.buf.len, 8 + 152);
        ASSERT_EQ(le32(p.buf.data + 8 + 16), VT_ARRAY | VT_BYREF);
        ASSERT_EQ(V_VT(&back), VT_UI4 | VT_ARRAY | VT_BYREF);
        ASSERT_MEM_EQ((*V_ARRAYREF(&back))->pvData, sa->pvData, 80);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);
}

TEST(wire_round_trips) {
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;
        LONG idx[2];

        oleaut_user_marshal_register();
        /* two dimensions of I4, bounds first dimension first on the wire */
        SAFEARRAYBOUND b2[2] = { { 3, -1 }, { 2, 4 } };
        SAFEARRAY *sa = SafeArrayCreate(VT_I4, 2, b2);
        for (LONG i = 0; i < 6; i++)
                ((LONG *)sa->pvData)[i] = i * 1000 - 7;
        V_VT(&v) = VT_I4 | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(le32(p.buf.data + 8 + 56), 3);
        ASSERT_EQ(le32(p.buf.data + 8 + 60), (uint32_t)-1);
        ASSERT_EQ(le32(p.buf.data + 8 + 64), 2);
        SAFEARRAY *got = V_ARRAY(&back);
        ASSERT_EQ(got->cDims, 2);
        ASSERT_EQ(got->rgsabound[0].cElements, 2);     /* kept last dimension first */
        ASSERT_EQ(got->rgsabound[0].lLbound, 4);
        idx[0] = 1;
        idx[1] = 5;
        LONG l;
        ASSERT_HR_EQ(SafeArrayGetElement(got, idx, &l), S_OK);
        ASSERT_EQ(l, 5 * 1000 - 7);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);

        /* BSTRs: IDs first, then the blobs; a NULL element stays NULL */
        sa = SafeArrayCreateVector(VT_BSTR, 0, 3);
        BSTR s = SysAllocString(hello);
        idx[0] = 0;
        SafeArrayPutElement(sa, idx, s);
        idx[0] = 2;
        SafeArrayPutElement(sa, idx, s);
        V_VT(&v) = VT_BSTR | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(le32(p.buf.data + 8 + 36), 4);       /* a BSTR's wire size */
        ASSERT_EQ(le32(p.buf.data + 8 + 44), VT_BSTR); /* SF_BSTR */
        got = V_ARRAY(&back);
        ASSERT_EQ(got->fFeatures, FADF_HAVEVARTYPE | FADF_BSTR);
        ASSERT_MEM_EQ(((BSTR *)got->pvData)[0], hello, sizeof hello);
        ASSERT_NULL(((BSTR *)got->pvData)[1]);
        ASSERT_MEM_EQ(((BSTR *)got->pvData)[2], hello, sizeof hello);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);

        /* VARIANTs, one holding a BSTR, one an array of I2 (nested), one empty */
        sa = SafeArrayCreateVector(VT_VARIANT, 1, 3);
        SAFEARRAY *inner = SafeArrayCreateVector(VT_I2, 0, 2);
        ((SHORT *)inner->pvData)[1] = -2;
        VARIANT e;
        V_VT(&e) = VT_BSTR;
        V_BSTR(&e) = s;
        idx[0] = 1;
        SafeArrayPutElement(sa, idx, &e);
        V_VT(&e) = VT_I2 | VT_ARRAY;
        V_ARRAY(&e) = inner;
        idx[0] = 2;
        SafeArrayPutElement(sa, idx, &e);
        V_VT(&v) = VT_VARIANT | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(le32(p.buf.data + 8 + 36), 16);      /* a 32-bit VARIANT */
        got = V_ARRAY(&back);
        VARIANT *cells = got->pvData;
        ASSERT_EQ(V_VT(&cells[0]), VT_BSTR);
        ASSERT_MEM_EQ(V_BSTR(&cells[0]), hello, sizeof hello);
        ASSERT_EQ(V_VT(&cells[1]), VT_I2 | VT_ARRAY);
        ASSERT_EQ(((SHORT *)V_ARRAY(&cells[1])->pvData)[1], -2);
        ASSERT_EQ(V_VT(&cells[2]), VT_EMPTY);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);
        SafeArrayDestroy(inner);
        SysFreeString(s);

        /* an empty array, and a NULL one */
        sa = SafeArrayCreateVector(VT_I8, 7, 0);
        V_VT(&v) = VT_I8 | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_ARRAY(&back)->rgsabound[0].cElements, 0);
        ASSERT_EQ(V_ARRAY(&back)->rgsabound[0].lLbound, 7);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);
        V_ARRAY(&v) = NULL;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_I8 | VT_ARRAY);
        ASSERT_NULL(V_ARRAY(&back));
        arena_reset(&a);
        ndr_push_free(&p);

        /*
         * no VARTYPE (a descriptor filled in by hand): the arm from the features, else
         * from the element size (Wine's test: cbElements 8 is SF_I8, vt 0 on the wire);
         * BSTRs are never sent as the integers their pointers are
         */
        ASSERT_HR_EQ(SafeArrayAllocDescriptor(1, &sa), S_OK);
        sa->cbElements = 8;
        sa->rgsabound[0].cElements = 2;
        ASSERT_HR_EQ(SafeArrayAllocData(sa), S_OK);
        ((LONGLONG *)sa->pvData)[1] = -5;
        V_VT(&v) = VT_I8 | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(le32(p.buf.data + 8 + 40), 0);      /* cLocks 0, no VARTYPE */
        ASSERT_EQ(le32(p.buf.data + 8 + 44), VT_I8);  /* SF_I8 */
        ASSERT_EQ(((LONGLONG *)V_ARRAY(&back)->pvData)[1], -5);
        arena_reset(&a);
        ndr_push_free(&p);
        sa->cbElements = sizeof(BSTR);
        sa->fFeatures = FADF_BSTR;
        s = SysAllocString(hello);
        ((BSTR *)sa->pvData)[0] = s;
        ((BSTR *)sa->pvData)[1] = NULL;
        V_VT(&v) = VT_BSTR | VT_ARRAY;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(le32(p.buf.data + 8 + 44), VT_BSTR);        /* SF_BSTR */
        ASSERT_EQ(V_ARRAY(&back)->fFeatures, FADF_BSTR);
        ASSERT_MEM_EQ(((BSTR *)V_ARRAY(&back)->pvData)[0], hello, sizeof hello);
        arena_reset(&a);
        ndr_push_free(&p);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);      /* FADF_BSTR: frees s */

        /* LPSAFEARRAY alone (a method's parameter): the ID, then the array */
        const struct ndr_user_marshal *um = ndr_user_marshal_find("LPSAFEARRAY");
        ASSERT_NOT_NULL(um);
        sa = SafeArrayCreateVector(VT_UI1, 0, 3);
        memcpy(sa->pvData, "abc", 3);
        ndr_push_init(&p, 0);
        ASSERT_OK(ndr_push_user_marshal(&p, um, NDR_SCALARS | NDR_BUFFERS, &sa));
        ASSERT_EQ(p.buf.len, 44 + 3);          /* Wine's 44-byte header, then the bytes */
        struct ndr_pull in;
        SAFEARRAY *out = NULL;
        arena_init(&a, 0);
        ndr_pull_init(&in, p.buf.data, p.buf.len, NULL, &a);
        ASSERT_OK(ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &out));
        ASSERT_MEM_EQ(out->pvData, "abc", 3);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);
}

TEST(wire_refused) {
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        oleaut_user_marshal_register();
        /* DECIMAL has no arm (SF_ERROR on Windows): not sent */
        SAFEARRAY *sa = SafeArrayCreateVector(VT_DECIMAL, 0, 1);
        V_VT(&v) = VT_DECIMAL | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_ERRNO(round_trip(&v, &a, &back, &p), -EOPNOTSUPP);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);

        /* a good array to spoil: I4 x 2 */
        sa = SafeArrayCreateVector(VT_I4, 0, 2);
        V_VT(&v) = VT_I4 | VT_ARRAY;
        V_ARRAY(&v) = sa;
        ndr_push_init(&p, 0);
        ASSERT_OK(ndr_push_user_marshal(&p, ndr_user_marshal_find("VARIANT"),
                                        NDR_SCALARS | NDR_BUFFERS, &v));
        size_t n = p.buf.len;
        uint8_t *good = p.buf.data, bad[256];
        ASSERT_LE(n, sizeof bad);
        /* every truncation fails cleanly */
        for (size_t k = 0; k < n; k++) {
                arena_init(&a, 0);
                ASSERT_TRUE(pull_bytes(good, k, &a, &back) < 0);
                arena_reset(&a);
        }
        static const struct { size_t at; uint32_t value; int err; } spoil[] = {
                { 8 + 16, VT_I4 | VT_ARRAY, -EBADMSG },         /* discriminant with the type */
                { 8 + 24, 0, -EBADMSG },                        /* wireSAFEARRAY NULL inside: ok? */
                { 8 + 28, 2, -EBADMSG },                        /* conformance != cDims */
                { 8 + 36, 8, -EBADMSG },                        /* element size for SF_I4 */
                { 8 + 44, VT_RECORD, -EBADMSG },                /* SF_RECORD of a VT_I4 array */
                { 8 + 44, VT_ERROR, -EBADMSG },                 /* SF_ERROR */
                { 8 + 44, VT_I2, -EBADMSG },                    /* arm not the VARTYPE's */
                { 8 + 48, 3, -EBADMSG },                        /* count != the bounds' */
                { 8 + 52, 0, -EBADMSG },                        /* elements without data */
                { 8 + 56, 0x40000000, -EBADMSG },               /* bound beyond the bytes */
                { 8 + 64, 1, -EBADMSG },                        /* data conformance */
                { 8 + 40, (uint32_t)VT_DECIMAL << 16, -EBADMSG },       /* vt without an arm */
        };
        for (size_t k = 0; k < sizeof spoil / sizeof spoil[0]; k++) {
                memcpy(bad, good, n);
                bad[spoil[k].at] = (uint8_t)spoil[k].value;
                bad[spoil[k].at + 1] = (uint8_t)(spoil[k].value >> 8);
                bad[spoil[k].at + 2] = (uint8_t)(spoil[k].value >> 16);
                bad[spoil[k].at + 3] = (uint8_t)(spoil[k].value >> 24);
                arena_init(&a, 0);
                int r = pull_bytes(bad, n, &a, &back);
                if (spoil[k].at == 8 + 24) {
                        /* a NULL array is a value: the rest of the bytes are left over */
                        ASSERT_OK(r);
                        ASSERT_NULL(V_ARRAY(&back));
                } else {
                        ASSERT_ERRNO(r, spoil[k].err);
                }
                arena_reset(&a);
        }
        /* cDims 0 */
        memcpy(bad, good, n);
        bad[8 + 28] = bad[8 + 32] = 0;
        arena_init(&a, 0);
        ASSERT_ERRNO(pull_bytes(bad, n, &a, &back), -EBADMSG);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);

        /* a VARIANT element by reference: not sent, and refused when it comes (fuzz-oaut) */
        sa = SafeArrayCreateVector(VT_VARIANT, 0, 1);
        LONG l4 = 4;
        ((VARIANT *)sa->pvData)[0].vt = VT_I4 | VT_BYREF;
        ((VARIANT *)sa->pvData)[0].plVal = &l4;
        V_VT(&v) = VT_VARIANT | VT_ARRAY;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_ERRNO(round_trip(&v, &a, &back, &p), -EOPNOTSUPP);
        arena_reset(&a);
        ndr_push_free(&p);
        ((VARIANT *)sa->pvData)[0].vt = VT_I4;
        ((VARIANT *)sa->pvData)[0].lVal = 4;
        ndr_push_init(&p, 0);
        ASSERT_OK(ndr_push_user_marshal(&p, ndr_user_marshal_find("VARIANT"),
                                        NDR_SCALARS | NDR_BUFFERS, &v));
        /* the element's vt and discriminant made VT_I4|VT_BYREF, its value a pointer ID:
           the referent (the 4 bytes after) is then pulled -- and refused, freed (ASan) */
        uint8_t *w = p.buf.data;
        size_t body = 0;
        for (size_t k = 8 + 72; k + 20 <= p.buf.len; k += 8)
                if (le32(w + k + 8) == VT_I4 && le32(w + k + 16) == VT_I4) {
                        body = k;
                        break;
                }
        ASSERT_NE(body, 0);
        uint8_t spoilt[512];
        ASSERT_LE(p.buf.len + 8, sizeof spoilt);
        /* header, then: pointer ID, the I4 -- a by-reference arm instead of the value */
        memcpy(spoilt, w, body + 20);
        put32(spoilt + body + 8, VT_I4 | VT_BYREF);
        put32(spoilt + body + 16, VT_I4 | VT_BYREF);
        put32(spoilt + body + 20, 0x00020000);
        put32(spoilt + body + 24, 4);
        arena_init(&a, 0);
        ASSERT_ERRNO(pull_bytes(spoilt, body + 28, &a, &back), -EBADMSG);
        arena_reset(&a);
        ndr_push_free(&p);
        SafeArrayDestroy(sa);

        /* a BSTR array whose third blob is cut short frees the two pulled before it */
        sa = SafeArrayCreateVector(VT_BSTR, 0, 3);
        BSTR s = SysAllocString(hello);
        LONG idx;
        for (idx = 0; idx < 3; idx++)
                SafeArrayPutElement(sa, &idx, s);
        V_VT(&v) = VT_BSTR | VT_ARRAY;
        V_ARRAY(&v) = sa;
        ndr_push_init(&p, 0);
        ASSERT_OK(ndr_push_user_marshal(&p, ndr_user_marshal_find("VARIANT"),
                                        NDR_SCALARS | NDR_BUFFERS, &v));
        for (size_t k = 0; k < p.buf.len; k++) {
                arena_init(&a, 0);
                ASSERT_TRUE(pull_bytes(p.buf.data, k, &a, &back) < 0);
                arena_reset(&a);                /* ASan: nothing leaked */
        }
        ndr_push_free(&p);
        SafeArrayDestroy(sa);
        SysFreeString(s);
}
