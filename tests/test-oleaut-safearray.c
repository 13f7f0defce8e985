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
