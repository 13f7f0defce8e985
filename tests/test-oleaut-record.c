/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records (src/oleaut/recinfo.c): IRecordInfo over tests/typelib/records.idl as dcomidl
 * --tlb writes it -- the layout against the C compiler's, every method and its NULL
 * arguments and unknown names (Windows' answers as Wine's dlls/oleaut32/tests record
 * them), IsMatchingType, GetRecordInfoFromGuids through the registry; VT_RECORD
 * VARIANTs (VariantClear/Copy/CopyInd/ChangeType, with Windows' call pattern checked on
 * a counting IRecordInfo) and FADF_RECORD SAFEARRAYs.  Records hold BSTRs, VARIANTs,
 * interfaces and SAFEARRAYs so that ASan's leak checker sees every copy freed.
 */
#define COBJMACROS

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>

#include <objbase.h>

#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"
#include "test.h"

/* records.idl's types as the C compiler lays them out */
typedef struct {
        LONG x, y;
} Point;

typedef struct {
        CHAR c;
        BYTE b;
        SHORT s;
        USHORT us;
        LONG l;
        ULONG ul;
        LONGLONG ll;
        ULONGLONG ull;
        INT i;
        UINT ui;
        float f;
        double d;
        CY cy;
        DATE dt;
        VARIANT_BOOL flag;
        SCODE err;
        BSTR name;
        VARIANT v;
        DECIMAL dec;
        IUnknown *unk;
        IDispatch *disp;
        SAFEARRAY *names;
        SAFEARRAY *points;
        Point origin;
        Point corners[2];
        LONG color;
} Everything;

static const GUID LIBID_RecLib = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                   { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x01 } };
static const GUID GUID_Color = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                 { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x02 } };
static const GUID GUID_Point = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                 { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x03 } };
static const GUID GUID_Everything = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                      { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x04 } };
static const GUID GUID_Other = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                 { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x05 } };

static OLECHAR *W(const char *s) {
        static OLECHAR bufs[8][256];
        static int next;
        OLECHAR *b = bufs[next++ % 8];
        size_t i;

        for (i = 0; s[i] && i < 255; i++)
                b[i] = (OLECHAR)(unsigned char)s[i];
        b[i] = 0;
        return b;
}

static const char *A(const OLECHAR *s) {
        static char bufs[8][256];
        static int next;
        char *b = bufs[next++ % 8];
        size_t i = 0;

        for (; s && s[i] && i < 255; i++)
                b[i] = (char)s[i];
        b[i] = 0;
        return b;
}

static ITypeLib *load_lib(void) {
        const char *p = getenv("RECORDS_TLB");
        ITypeLib *tl = NULL;

        ASSERT_NOT_NULL(p);
        ASSERT_HR_EQ(LoadTypeLibEx(W(p), REGKIND_NONE, &tl), S_OK);
        return tl;
}

/* The IRecordInfo of the type guid in records.tlb. */
static IRecordInfo *rec(const GUID *guid) {
        ITypeLib *tl = load_lib();
        ITypeInfo *ti;
        IRecordInfo *ri = NULL;

        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, guid, &ti), S_OK);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, &ri), S_OK);
        ITypeInfo_Release(ti);
        ITypeLib_Release(tl);
        return ri;
}

static IRecordInfo *rec_by_name(const char *name) {
        ITypeLib *tl = load_lib();
        ITypeInfo *ti;
        IRecordInfo *ri = NULL;
        MEMBERID id;
        USHORT n = 1;

        ASSERT_HR_EQ(ITypeLib_FindName(tl, W(name), 0, &ti, &id, &n), S_OK);
        ASSERT_EQ(n, 1);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, &ri), S_OK);
        ITypeInfo_Release(ti);
        ITypeLib_Release(tl);
        return ri;
}

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

/* An Everything with something owned in every field that can own. */
static void fill(IRecordInfo *ri, Everything *e, struct counted *unk) {
        SAFEARRAYBOUND b = { 2, 0 };
        LONG idx = 1;
        IRecordInfo *pt;

        ASSERT_HR_EQ(IRecordInfo_RecordInit(ri, e), S_OK);
        e->l = -7;
        e->d = 2.5;
        e->name = SysAllocString(W("Ada"));
        V_VT(&e->v) = VT_BSTR;
        V_BSTR(&e->v) = SysAllocString(W("in a variant"));
        e->unk = &unk->IUnknown_iface;
        IUnknown_AddRef(e->unk);
        BSTR second = SysAllocString(W("second"));
        e->names = SafeArrayCreate(VT_BSTR, 1, &b);
        ASSERT_HR_EQ(SafeArrayPutElement(e->names, &idx, second), S_OK);
        SysFreeString(second);
        pt = rec(&GUID_Point);
        e->points = SafeArrayCreateEx(VT_RECORD, 1, &b, pt);
        ASSERT_NOT_NULL(e->points);
        ((Point *)e->points->pvData)[1].y = 99;
        IRecordInfo_Release(pt);
        e->origin.x = 3;
        e->corners[1].y = 44;
        e->color = 2;
}

/* --- the description ------------------------------------------------------------------ */

TEST(from_typeinfo) {
        ITypeLib *tl = load_lib();
        ITypeInfo *ti, *ti2;
        IRecordInfo *ri, *ri2;
        GUID guid;
        BSTR name;
        ULONG size;

        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &GUID_Everything, &ti), S_OK);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(NULL, &ri), E_INVALIDARG);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, &ri), S_OK);

        ASSERT_HR_EQ(IRecordInfo_GetGuid(ri, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetGuid(ri, &guid), S_OK);
        ASSERT_MEM_EQ(&guid, &GUID_Everything, sizeof guid);
        ASSERT_HR_EQ(IRecordInfo_GetName(ri, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetName(ri, &name), S_OK);
        ASSERT_STR_EQ(A(name), "Everything");
        SysFreeString(name);
        ASSERT_HR_EQ(IRecordInfo_GetSize(ri, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetSize(ri, &size), S_OK);
        ASSERT_EQ(size, sizeof(Everything));
        ASSERT_HR_EQ(IRecordInfo_GetTypeInfo(ri, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetTypeInfo(ri, &ti2), S_OK);
        ASSERT_TRUE(ti2 == ti);
        ITypeInfo_Release(ti2);
        ASSERT_HR_EQ(IRecordInfo_QueryInterface(ri, &IID_IRecordInfo, (void **)&ri2), S_OK);
        ASSERT_TRUE(ri2 == ri);
        IRecordInfo_Release(ri2);
        ASSERT_EQ(IRecordInfo_Release(ri), 0);
        ITypeInfo_Release(ti);

        /* an enum is not a record; an alias of one stands for it */
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &GUID_Color, &ti), S_OK);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, &ri), E_INVALIDARG);
        ITypeInfo_Release(ti);
        ri = rec_by_name("PointAlias");
        ASSERT_HR_EQ(IRecordInfo_GetName(ri, &name), S_OK);
        ASSERT_STR_EQ(A(name), "Point");
        SysFreeString(name);
        ASSERT_HR_EQ(IRecordInfo_GetSize(ri, &size), S_OK);
        ASSERT_EQ(size, sizeof(Point));
        IRecordInfo_Release(ri);
        ITypeLib_Release(tl);
}

/* A 32-bit library's records (4-byte pointers) do not fit a 64-bit process: refused. */
TEST(other_machine_refused) {
        const char *p = getenv("RECORDS32_TLB");
        ITypeLib *tl;
        ITypeInfo *ti;
        IRecordInfo *ri;

        ASSERT_NOT_NULL(p);
        ASSERT_HR_EQ(LoadTypeLibEx(W(p), REGKIND_NONE, &tl), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &GUID_Everything, &ti), S_OK);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, &ri), TYPE_E_TYPEMISMATCH);
        ITypeInfo_Release(ti);
        /* one of plain LONGs is the same everywhere */
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &GUID_Point, &ti), S_OK);
        ASSERT_HR_EQ(GetRecordInfoFromTypeInfo(ti, &ri), S_OK);
        IRecordInfo_Release(ri);
        ITypeInfo_Release(ti);
        ITypeLib_Release(tl);
}

TEST(field_names) {
        static const char *const want[] = {
                "c", "b", "s", "us", "l", "ul", "ll", "ull", "i", "ui", "f", "d", "cy", "dt",
                "flag", "err", "name", "v", "dec", "unk", "disp", "names", "points", "origin",
                "corners", "shade",
        };
        IRecordInfo *ri = rec(&GUID_Everything);
        BSTR names[32];
        ULONG n = 0;

        ASSERT_HR_EQ(IRecordInfo_GetFieldNames(ri, NULL, names), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetFieldNames(ri, &n, NULL), S_OK);
        ASSERT_EQ(n, sizeof want / sizeof *want);
        n = 32;
        ASSERT_HR_EQ(IRecordInfo_GetFieldNames(ri, &n, names), S_OK);
        ASSERT_EQ(n, sizeof want / sizeof *want);
        for (ULONG i = 0; i < n; i++) {
                ASSERT_STR_EQ(A(names[i]), want[i]);
                SysFreeString(names[i]);
        }
        /* fewer asked: that many */
        n = 2;
        ASSERT_HR_EQ(IRecordInfo_GetFieldNames(ri, &n, names), S_OK);
        ASSERT_EQ(n, 2);
        ASSERT_STR_EQ(A(names[1]), "b");
        SysFreeString(names[0]);
        SysFreeString(names[1]);
        IRecordInfo_Release(ri);
}

/* Each field where the C compiler puts it, with the VARTYPE it is read as. */
TEST(layout) {
        static const struct { const char *name; size_t off; VARTYPE vt; } f[] = {
                { "c", offsetof(Everything, c), VT_I1 },
                { "b", offsetof(Everything, b), VT_UI1 },
                { "s", offsetof(Everything, s), VT_I2 },
                { "us", offsetof(Everything, us), VT_UI2 },
                { "l", offsetof(Everything, l), VT_I4 },
                { "ul", offsetof(Everything, ul), VT_UI4 },
                { "ll", offsetof(Everything, ll), VT_I8 },
                { "ull", offsetof(Everything, ull), VT_UI8 },
                { "i", offsetof(Everything, i), VT_INT },
                { "ui", offsetof(Everything, ui), VT_UINT },
                { "f", offsetof(Everything, f), VT_R4 },
                { "d", offsetof(Everything, d), VT_R8 },
                { "cy", offsetof(Everything, cy), VT_CY },
                { "dt", offsetof(Everything, dt), VT_DATE },
                { "flag", offsetof(Everything, flag), VT_BOOL },
                { "err", offsetof(Everything, err), VT_ERROR },
                { "name", offsetof(Everything, name), VT_BSTR },
                { "v", offsetof(Everything, v), VT_VARIANT },
                { "dec", offsetof(Everything, dec), VT_DECIMAL },
                { "unk", offsetof(Everything, unk), VT_UNKNOWN },
                { "disp", offsetof(Everything, disp), VT_DISPATCH },
                { "names", offsetof(Everything, names), VT_ARRAY | VT_BSTR },
                { "points", offsetof(Everything, points), VT_ARRAY | VT_RECORD },
                { "shade", offsetof(Everything, color), VT_I4 },
        };
        IRecordInfo *ri = rec(&GUID_Everything);
        Everything e;
        VARIANT v;
        void *carray = (void *)1;

        VariantInit(&v);
        memset(&e, 0, sizeof e);
        for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
                ASSERT_HR_EQ(IRecordInfo_GetFieldNoCopy(ri, &e, W(f[i].name), &v, &carray), S_OK);
                if (V_VT(&v) != (f[i].vt | VT_BYREF) ||
                    V_BYREF(&v) != (uint8_t *)&e + f[i].off)
                        test_fail(__FILE__, __LINE__, "field %s: vt 0x%x at %td", f[i].name,
                                  V_VT(&v), (uint8_t *)V_BYREF(&v) - (uint8_t *)&e);
                ASSERT_NULL(carray);
        }
        /* a nested record: by reference, with its IRecordInfo */
        ASSERT_HR_EQ(IRecordInfo_GetFieldNoCopy(ri, &e, W("origin"), &v, &carray), S_OK);
        ASSERT_EQ(V_VT(&v), VT_RECORD | VT_BYREF);
        ASSERT_TRUE(V_RECORD(&v) == &e.origin);
        ASSERT_NOT_NULL(V_RECORDINFO(&v));
        /* a nested type is read once per record: origin and corners share theirs */
        IRecordInfo *origin_ri = V_RECORDINFO(&v), *corners_ri;
        VARIANT c;
        VariantInit(&c);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("corners"), &c), S_OK);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(V_ARRAY(&c), &corners_ri), S_OK);
        ASSERT_TRUE(corners_ri == origin_ri);
        IRecordInfo_Release(corners_ri);
        ASSERT_HR_EQ(VariantClear(&c), S_OK);
        ASSERT_HR_EQ(IRecordInfo_GetFieldNoCopy(ri, &e, W("nope"), &v, &carray), DISP_E_UNKNOWNNAME);
        ASSERT_HR_EQ(IRecordInfo_GetFieldNoCopy(ri, &e, W("l"), &v, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetFieldNoCopy(ri, NULL, W("l"), &v, &carray), E_INVALIDARG);
        IRecordInfo_Release(ri);
}

/* --- fields by name ------------------------------------------------------------------- */

TEST(get_and_put) {
        IRecordInfo *ri = rec(&GUID_Everything), *pt = rec(&GUID_Point), *other = rec(&GUID_Other);
        struct counted unk = { { &counted_vtbl }, 1 };
        Everything e;
        VARIANT v, r;

        VariantInit(&v);
        VariantInit(&r);
        ASSERT_HR_EQ(IRecordInfo_RecordInit(ri, NULL), E_INVALIDARG);
        memset(&e, 0xcc, sizeof e);
        ASSERT_HR_EQ(IRecordInfo_RecordInit(ri, &e), S_OK);
        ASSERT_NULL(e.name);
        ASSERT_EQ(V_VT(&e.v), VT_EMPTY);

        /* coerced to the field's type */
        V_VT(&v) = VT_BSTR;
        V_BSTR(&v) = SysAllocString(W("42"));
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("l"), &v), S_OK);
        ASSERT_EQ(e.l, 42);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("name"), &v), S_OK);
        ASSERT_TRUE(e.name != V_BSTR(&v));              /* a copy */
        ASSERT_STR_EQ(A(e.name), "42");
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("d"), &v), S_OK);
        ASSERT_TRUE(e.d == 42.0);
        /* a VARIANT field takes the VARIANT */
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("v"), &v), S_OK);
        ASSERT_EQ(V_VT(&e.v), VT_BSTR);
        ASSERT_TRUE(V_BSTR(&e.v) != V_BSTR(&v));
        VariantClear(&v);
        /* overwriting frees the old value (the leak checker sees it) */
        V_VT(&v) = VT_I4;
        V_I4(&v) = 5;
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("name"), &v), S_OK);
        ASSERT_STR_EQ(A(e.name), "5");
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("v"), &v), S_OK);
        ASSERT_EQ(V_VT(&e.v), VT_I4);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("shade"), &v), S_OK);
        ASSERT_EQ(e.color, 5);
        V_VT(&v) = VT_UNKNOWN;
        V_UNKNOWN(&v) = &unk.IUnknown_iface;
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUTREF, &e, W("unk"), &v), S_OK);
        ASSERT_EQ(unk.refs, 2);

        /* errors */
        V_VT(&v) = VT_I4;
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, 0, &e, W("l"), &v), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYGET, &e, W("l"), &v), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("L"), &v), DISP_E_UNKNOWNNAME);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, NULL, W("l"), &v), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, NULL, &v), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("l"), NULL), E_INVALIDARG);
        V_VT(&v) = VT_BSTR;
        V_BSTR(&v) = SysAllocString(W("not a number"));
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("l"), &v), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(e.l, 42);
        VariantClear(&v);

        /* a nested record: of its type only */
        Point p = { 7, 8 };
        V_VT(&v) = VT_RECORD;
        V_RECORD(&v) = &p;
        V_RECORDINFO(&v) = other;
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("origin"), &v), DISP_E_TYPEMISMATCH);
        V_RECORDINFO(&v) = pt;
        ASSERT_HR_EQ(IRecordInfo_PutField(ri, INVOKE_PROPERTYPUT, &e, W("origin"), &v), S_OK);
        ASSERT_EQ(e.origin.x, 7);
        ASSERT_EQ(e.origin.y, 8);
        V_VT(&v) = VT_EMPTY;

        /* GetField copies */
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("name"), &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BSTR);
        ASSERT_TRUE(V_BSTR(&r) != e.name);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "5");
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("l"), &r), S_OK);   /* clears r first */
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 42);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("v"), &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("unk"), &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_UNKNOWN);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("origin"), &r), S_OK);
        ASSERT_EQ(unk.refs, 2);
        ASSERT_EQ(V_VT(&r), VT_RECORD);
        ASSERT_TRUE(V_RECORD(&r) != &e.origin);
        ASSERT_EQ(((Point *)V_RECORD(&r))->y, 8);
        ASSERT_TRUE(IRecordInfo_IsMatchingType(pt, V_RECORDINFO(&r)));
        /* a fixed array: as a SAFEARRAY of its elements */
        e.corners[1].x = 11;
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("corners"), &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_ARRAY | VT_RECORD);
        ASSERT_EQ(V_ARRAY(&r)->rgsabound[0].cElements, 2);
        ASSERT_EQ(((Point *)V_ARRAY(&r)->pvData)[1].x, 11);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("dec"), &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_DECIMAL);
        VariantClear(&r);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("x"), &r), DISP_E_UNKNOWNNAME);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, &e, W("l"), NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_GetField(ri, NULL, W("l"), &r), E_INVALIDARG);

        /* NoCopy: the field takes the value itself */
        V_VT(&v) = VT_BSTR;
        V_BSTR(&v) = SysAllocString(W("owned"));
        ASSERT_HR_EQ(IRecordInfo_PutFieldNoCopy(ri, INVOKE_PROPERTYPUT, &e, W("name"), &v), S_OK);
        ASSERT_TRUE(e.name == V_BSTR(&v));
        V_VT(&v) = VT_I2;
        ASSERT_HR_EQ(IRecordInfo_PutFieldNoCopy(ri, INVOKE_PROPERTYPUT, &e, W("l"), &v), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(IRecordInfo_PutFieldNoCopy(ri, 0, &e, W("l"), &v), E_INVALIDARG);

        ASSERT_HR_EQ(IRecordInfo_RecordClear(ri, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_RecordClear(ri, &e), S_OK);
        ASSERT_NULL(e.name);
        ASSERT_NULL(e.unk);
        ASSERT_EQ(V_VT(&e.v), VT_EMPTY);
        ASSERT_EQ(unk.refs, 1);
        ASSERT_EQ(e.l, 42);                     /* plain values stay */
        IRecordInfo_Release(other);
        IRecordInfo_Release(pt);
        IRecordInfo_Release(ri);
}

/* --- whole records -------------------------------------------------------------------- */

TEST(copy_create_destroy) {
        IRecordInfo *ri = rec(&GUID_Everything);
        struct counted unk = { { &counted_vtbl }, 1 };
        Everything e, *c;
        BSTR s;
        LONG idx = 1;

        fill(ri, &e, &unk);
        ASSERT_EQ(unk.refs, 2);
        ASSERT_HR_EQ(IRecordInfo_RecordCreateCopy(ri, &e, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_RecordCreateCopy(ri, NULL, (void **)&c), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_RecordCreateCopy(ri, &e, (void **)&c), S_OK);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_TRUE(c->name != e.name);
        ASSERT_STR_EQ(A(c->name), "Ada");
        ASSERT_TRUE(V_BSTR(&c->v) != V_BSTR(&e.v));
        ASSERT_STR_EQ(A(V_BSTR(&c->v)), "in a variant");
        ASSERT_TRUE(c->names != e.names);
        ASSERT_HR_EQ(SafeArrayGetElement(c->names, &idx, &s), S_OK);
        ASSERT_STR_EQ(A(s), "second");
        SysFreeString(s);
        ASSERT_TRUE(c->points != e.points);
        ASSERT_EQ(((Point *)c->points->pvData)[1].y, 99);
        ASSERT_EQ(c->l, -7);
        ASSERT_TRUE(c->d == 2.5);
        ASSERT_EQ(c->origin.x, 3);
        ASSERT_EQ(c->corners[1].y, 44);
        ASSERT_EQ(c->color, 2);

        /* RecordCopy over a record that holds values releases them first */
        ASSERT_HR_EQ(IRecordInfo_RecordCopy(ri, &e, c), S_OK);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(IRecordInfo_RecordCopy(ri, &e, &e), S_OK);
        ASSERT_HR_EQ(IRecordInfo_RecordCopy(ri, NULL, c), E_INVALIDARG);
        ASSERT_HR_EQ(IRecordInfo_RecordCopy(ri, &e, NULL), E_INVALIDARG);

        ASSERT_HR_EQ(IRecordInfo_RecordDestroy(ri, c), S_OK);
        ASSERT_EQ(unk.refs, 2);
        ASSERT_HR_EQ(IRecordInfo_RecordDestroy(ri, NULL), S_OK);
        ASSERT_HR_EQ(IRecordInfo_RecordClear(ri, &e), S_OK);
        ASSERT_EQ(unk.refs, 1);

        c = IRecordInfo_RecordCreate(ri);
        ASSERT_NOT_NULL(c);
        ASSERT_NULL(c->name);
        ASSERT_EQ(c->l, 0);
        ASSERT_HR_EQ(IRecordInfo_RecordDestroy(ri, c), S_OK);
        IRecordInfo_Release(ri);
}

TEST(matching_type) {
        IRecordInfo *a = rec(&GUID_Point), *b = rec(&GUID_Point), *o = rec(&GUID_Other);
        IRecordInfo *alias = rec_by_name("PointAlias");
        IRecordInfo *n1 = rec_by_name("NoGuid"), *n2 = rec_by_name("NoGuid");

        ASSERT_TRUE(a != b);
        ASSERT_TRUE(IRecordInfo_IsMatchingType(a, a));
        ASSERT_TRUE(IRecordInfo_IsMatchingType(a, b));
        ASSERT_TRUE(IRecordInfo_IsMatchingType(a, alias));
        ASSERT_FALSE(IRecordInfo_IsMatchingType(a, o));         /* same shape, other type */
        ASSERT_FALSE(IRecordInfo_IsMatchingType(a, NULL));
        ASSERT_FALSE(IRecordInfo_IsMatchingType(a, n1));
        ASSERT_TRUE(IRecordInfo_IsMatchingType(n1, n2));        /* no GUID: by name */
        IRecordInfo_Release(n2);
        IRecordInfo_Release(n1);
        IRecordInfo_Release(alias);
        IRecordInfo_Release(o);
        IRecordInfo_Release(b);
        IRecordInfo_Release(a);
}

TEST(from_guids) {
        const char *p = getenv("RECORDS_TLB");
        char full[4096];
        ITypeLib *tl;
        IRecordInfo *ri;
        BSTR name;

        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(realpath(p, full));
        ASSERT_NOT_NULL(test_state_dir());      /* this run's own registry */
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Point, &ri),
                     TYPE_E_LIBNOTREGISTERED);
        ASSERT_HR_EQ(LoadTypeLibEx(W(full), REGKIND_REGISTER, &tl), S_OK);
        ITypeLib_Release(tl);

        ASSERT_HR_EQ(GetRecordInfoFromGuids(NULL, 1, 2, 0, &GUID_Point, &ri), E_INVALIDARG);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, NULL, &ri), E_INVALIDARG);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Point, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &LIBID_RecLib, &ri),
                     TYPE_E_ELEMENTNOTFOUND);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Color, &ri), E_INVALIDARG);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 0, 0x409, &GUID_Everything, &ri), S_OK);
        ASSERT_HR_EQ(IRecordInfo_GetName(ri, &name), S_OK);
        ASSERT_STR_EQ(A(name), "Everything");
        SysFreeString(name);

        /* what the wire says of it ([MS-OAUT] 2.2.31) */
        struct oleaut_recinfo_data d;
        ASSERT_OK(oleaut_recinfo_data(ri, &d));
        ASSERT_MEM_EQ(&d.lib_guid, &LIBID_RecLib, sizeof(GUID));
        ASSERT_MEM_EQ(&d.rec_guid, &GUID_Everything, sizeof(GUID));
        ASSERT_EQ(d.major, 1);
        ASSERT_EQ(d.minor, 2);
        ASSERT_EQ(d.lcid, 0);
        IRecordInfo_Release(ri);
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_RecLib, 1, 2, 0, SYS_WIN64), S_OK);
}

/* --- VARIANTs --------------------------------------------------------------------------- */

/* An IRecordInfo that counts what VARIANT functions call (Wine's vartest.c has one). */
struct fake_ri {
        IRecordInfo IRecordInfo_iface;
        LONG refs;
        int clears, copies, sizes;
        VARIANT *owner;         /* RecordClear empties its pvRecord, as Wine's fake does */
};

static struct fake_ri *fake(IRecordInfo *iface) {
        return (struct fake_ri *)((char *)iface - offsetof(struct fake_ri, IRecordInfo_iface));
}

static HRESULT STDMETHODCALLTYPE f_qi(IRecordInfo *iface, REFIID riid, void **ppv) {
        (void)iface, (void)riid;
        *ppv = NULL;
        return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE f_addref(IRecordInfo *iface) { return (ULONG)++fake(iface)->refs; }
static ULONG STDMETHODCALLTYPE f_release(IRecordInfo *iface) { return (ULONG)--fake(iface)->refs; }
static HRESULT STDMETHODCALLTYPE f_clear(IRecordInfo *iface, PVOID p) {
        struct fake_ri *f = fake(iface);
        ASSERT_NOT_NULL(p);
        f->clears++;
        V_RECORD(f->owner) = NULL;
        return S_OK;
}
static HRESULT STDMETHODCALLTYPE f_copy(IRecordInfo *iface, PVOID src, PVOID dst) {
        ASSERT_TRUE(src == (void *)0xdeadbeef);
        ASSERT_NOT_NULL(dst);
        fake(iface)->copies++;
        return S_OK;
}
static HRESULT STDMETHODCALLTYPE f_size(IRecordInfo *iface, ULONG *size) {
        fake(iface)->sizes++;
        *size = 0;
        return S_OK;
}

/* what VARIANT functions must not call is left NULL: a call crashes the test */
static const IRecordInfoVtbl fake_vtbl = {
        .QueryInterface = f_qi,
        .AddRef = f_addref,
        .Release = f_release,
        .RecordClear = f_clear,
        .RecordCopy = f_copy,
        .GetSize = f_size,
};

/* VariantClear: RecordClear and Release, no RecordDestroy; VariantCopy: GetSize, RecordCopy. */
TEST(variant_call_pattern) {
        struct fake_ri f = { { &fake_vtbl }, 2, 0, 0, 0, NULL };
        VARIANT v, d;

        V_VT(&v) = VT_RECORD;
        V_RECORD(&v) = (void *)0xdeadbeef;
        V_RECORDINFO(&v) = &f.IRecordInfo_iface;
        f.owner = &v;
        ASSERT_HR_EQ(VariantClear(&v), S_OK);
        ASSERT_EQ(V_VT(&v), VT_EMPTY);
        ASSERT_EQ(f.clears, 1);
        ASSERT_EQ(f.refs, 1);

        V_VT(&v) = VT_RECORD;
        V_RECORD(&v) = (void *)0xdeadbeef;
        V_RECORDINFO(&v) = &f.IRecordInfo_iface;
        VariantInit(&d);
        ASSERT_HR_EQ(VariantCopy(&d, &v), S_OK);
        ASSERT_EQ(V_VT(&d), VT_RECORD);
        ASSERT_TRUE(V_RECORD(&d) != (void *)0xdeadbeef && V_RECORD(&d) != NULL);
        ASSERT_TRUE(V_RECORDINFO(&d) == &f.IRecordInfo_iface);
        ASSERT_EQ(f.sizes, 1);
        ASSERT_EQ(f.copies, 1);
        ASSERT_EQ(f.refs, 2);
        f.owner = &v;                   /* Wine's fake empties the source's pointer */
        ASSERT_HR_EQ(VariantClear(&d), S_OK);   /* frees d's block (the leak checker) */
        ASSERT_EQ(f.refs, 1);
}

TEST(variant_record) {
        IRecordInfo *ri = rec(&GUID_Everything), *pt = rec(&GUID_Point);
        struct counted unk = { { &counted_vtbl }, 1 };
        VARIANT v, c, r;
        Everything *e;

        /* a VT_RECORD VARIANT owns a CoTaskMem record */
        V_VT(&v) = VT_RECORD;
        V_RECORDINFO(&v) = ri;
        IRecordInfo_AddRef(ri);
        e = IRecordInfo_RecordCreate(ri);
        fill(ri, e, &unk);
        V_RECORD(&v) = e;

        VariantInit(&c);
        ASSERT_HR_EQ(VariantCopy(&c, &v), S_OK);
        ASSERT_EQ(V_VT(&c), VT_RECORD);
        ASSERT_TRUE(V_RECORD(&c) != V_RECORD(&v));
        ASSERT_TRUE(V_RECORDINFO(&c) == ri);
        ASSERT_STR_EQ(A(((Everything *)V_RECORD(&c))->name), "Ada");
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(VariantClear(&c), S_OK);
        ASSERT_EQ(unk.refs, 2);

        /* by reference: CopyInd makes a record of its own */
        V_VT(&r) = VT_RECORD | VT_BYREF;
        V_RECORD(&r) = e;
        V_RECORDINFO(&r) = ri;
        ASSERT_HR_EQ(VariantCopyInd(&c, &r), S_OK);
        ASSERT_EQ(V_VT(&c), VT_RECORD);
        ASSERT_TRUE(V_RECORD(&c) != e);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(VariantClear(&r), S_OK);   /* nothing of a reference is ours */
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(VariantClear(&c), S_OK);

        /* VariantChangeType: a record to a record only */
        VariantInit(&c);
        ASSERT_HR_EQ(VariantChangeType(&c, &v, 0, VT_RECORD), S_OK);
        ASSERT_EQ(V_VT(&c), VT_RECORD);
        ASSERT_TRUE(V_RECORD(&c) != e);
        ASSERT_HR_EQ(VariantChangeType(&c, &c, 0, VT_RECORD), S_OK);   /* in place */
        ASSERT_EQ(V_VT(&c), VT_RECORD);
        ASSERT_HR_EQ(VariantClear(&c), S_OK);
        ASSERT_HR_EQ(VariantChangeType(&c, &v, 0, VT_I4), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(VariantChangeType(&c, &v, 0, VT_BSTR), DISP_E_TYPEMISMATCH);
        V_VT(&r) = VT_I4;
        V_I4(&r) = 1;
        ASSERT_HR_EQ(VariantChangeType(&c, &r, 0, VT_RECORD), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(V_VT(&c), VT_EMPTY);

        /* a record whose IRecordInfo is gone but holds no data is copied as it is */
        V_VT(&r) = VT_RECORD;
        V_RECORD(&r) = NULL;
        V_RECORDINFO(&r) = NULL;
        ASSERT_HR_EQ(VariantCopy(&c, &r), S_OK);
        ASSERT_HR_EQ(VariantClear(&c), S_OK);
        V_RECORD(&r) = e;
        ASSERT_HR_EQ(VariantCopy(&c, &r), E_INVALIDARG);

        ASSERT_HR_EQ(VariantClear(&v), S_OK);
        ASSERT_EQ(unk.refs, 1);
        IRecordInfo_Release(pt);
        ASSERT_EQ(IRecordInfo_Release(ri), 0);
}

/* --- SAFEARRAYs --------------------------------------------------------------------------- */

TEST(safearray_record) {
        IRecordInfo *ri = rec(&GUID_Everything), *got;
        struct counted unk = { { &counted_vtbl }, 1 };
        SAFEARRAYBOUND b = { 3, 1 }, nb = { 1, 1 };
        SAFEARRAY *sa, *copy;
        Everything e, out;
        VARTYPE vt;
        LONG idx = 2;
        VARIANT v, vc;

        ASSERT_NULL(SafeArrayCreate(VT_RECORD, 1, &b));
        ASSERT_NULL(SafeArrayCreateEx(VT_RECORD, 1, &b, NULL));
        sa = SafeArrayCreateEx(VT_RECORD, 1, &b, ri);
        ASSERT_NOT_NULL(sa);
        ASSERT_EQ(sa->fFeatures, FADF_RECORD);
        ASSERT_EQ(sa->cbElements, sizeof(Everything));
        ASSERT_HR_EQ(SafeArrayGetVartype(sa, &vt), S_OK);
        ASSERT_EQ(vt, VT_RECORD);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(sa, &got), S_OK);
        ASSERT_TRUE(got == ri);
        IRecordInfo_Release(got);
        /* Windows keeps it in the pointer before the descriptor */
        ASSERT_TRUE(((IRecordInfo **)sa)[-1] == ri);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(sa, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(NULL, &got), E_INVALIDARG);

        /* Put/GetElement copy records */
        fill(ri, &e, &unk);
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, &e), S_OK);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, &e), S_OK);         /* the old one released */
        ASSERT_EQ(unk.refs, 3);
        ASSERT_TRUE(((Everything *)sa->pvData)[1].name != e.name);
        ASSERT_HR_EQ(IRecordInfo_RecordInit(ri, &out), S_OK);
        ASSERT_HR_EQ(SafeArrayGetElement(sa, &idx, &out), S_OK);
        ASSERT_STR_EQ(A(out.name), "Ada");
        ASSERT_EQ(unk.refs, 4);
        ASSERT_HR_EQ(IRecordInfo_RecordClear(ri, &out), S_OK);

        /* copies, deep */
        ASSERT_HR_EQ(SafeArrayCopy(sa, &copy), S_OK);
        ASSERT_EQ(unk.refs, 4);
        ASSERT_EQ(copy->fFeatures, FADF_RECORD);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(copy, &got), S_OK);
        ASSERT_TRUE(got == ri);
        IRecordInfo_Release(got);
        ASSERT_TRUE(((Everything *)copy->pvData)[1].name != ((Everything *)sa->pvData)[1].name);
        ASSERT_HR_EQ(SafeArrayCopyData(sa, copy), S_OK);
        ASSERT_EQ(unk.refs, 4);
        /* shrinking clears the dropped records */
        ASSERT_HR_EQ(SafeArrayRedim(copy, &nb), S_OK);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(SafeArrayDestroy(copy), S_OK);

        /* as a VARIANT */
        V_VT(&v) = VT_ARRAY | VT_RECORD;
        V_ARRAY(&v) = sa;
        VariantInit(&vc);
        ASSERT_HR_EQ(VariantCopy(&vc, &v), S_OK);
        ASSERT_EQ(unk.refs, 4);
        ASSERT_HR_EQ(VariantChangeType(&vc, &vc, 0, VT_ARRAY | VT_RECORD), S_OK);
        ASSERT_HR_EQ(VariantClear(&vc), S_OK);
        ASSERT_EQ(unk.refs, 3);
        ASSERT_HR_EQ(VariantClear(&v), S_OK);           /* destroys sa */
        ASSERT_EQ(unk.refs, 2);
        ASSERT_HR_EQ(IRecordInfo_RecordClear(ri, &e), S_OK);
        ASSERT_EQ(unk.refs, 1);

        /* a descriptor first, its IRecordInfo after */
        ASSERT_HR_EQ(SafeArrayAllocDescriptorEx(VT_RECORD, 1, &sa), S_OK);
        ASSERT_EQ(sa->fFeatures, FADF_RECORD);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(sa, &got), S_OK);
        ASSERT_NULL(got);
        ASSERT_HR_EQ(SafeArraySetRecordInfo(sa, ri), S_OK);
        ASSERT_EQ(sa->cbElements, sizeof(Everything));
        sa->rgsabound[0] = b;
        ASSERT_HR_EQ(SafeArrayAllocData(sa), S_OK);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
        sa = SafeArrayCreate(VT_I4, 1, &b);
        ASSERT_HR_EQ(SafeArraySetRecordInfo(sa, ri), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(sa, &got), E_INVALIDARG);
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);

        /* a vector */
        sa = SafeArrayCreateVectorEx(VT_RECORD, 0, 2, ri);
        ASSERT_NOT_NULL(sa);
        ASSERT_EQ(sa->cbElements, sizeof(Everything));
        ((Everything *)sa->pvData)[0].name = SysAllocString(W("v"));
        ASSERT_HR_EQ(SafeArrayDestroy(sa), S_OK);
        ASSERT_NULL(SafeArrayCreateVectorEx(VT_RECORD, 0, 2, NULL));
        ASSERT_EQ(IRecordInfo_Release(ri), 0);
}

/* --- the wire ([MS-OAUT] 2.2.28.2, 2.2.30.6) ----------------------------------------------- */

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

static int pull_bytes(const uint8_t *p, size_t n, struct arena *a, VARIANT *ret) {
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct ndr_pull in;

        ndr_pull_init(&in, p, n, NULL, a);
        return ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, ret);
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

/* records.tlb registered in this run's registry: the receiver finds types by GUID */
static void register_lib(void) {
        const char *p = getenv("RECORDS_TLB");
        char full[4096];
        ITypeLib *tl;

        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(realpath(p, full));
        ASSERT_NOT_NULL(test_state_dir());
        ASSERT_HR_EQ(LoadTypeLibEx(W(full), REGKIND_REGISTER, &tl), S_OK);
        ITypeLib_Release(tl);
        oleaut_user_marshal_register();
}

/* A's fields that travel, as B has them (no interfaces: no COM channel here). */
static void same_everything(const Everything *a, const Everything *b) {
        LONG idx = 1;
        BSTR s;

        ASSERT_EQ(b->c, a->c);
        ASSERT_EQ(b->s, a->s);
        ASSERT_EQ(b->l, a->l);
        ASSERT_EQ(b->ll, a->ll);
        ASSERT_EQ(b->ull, a->ull);
        ASSERT_TRUE(b->d == a->d);
        ASSERT_TRUE(b->f == a->f);
        ASSERT_EQ(b->cy.int64, a->cy.int64);
        ASSERT_EQ(b->flag, a->flag);
        ASSERT_EQ(b->err, a->err);
        ASSERT_MEM_EQ(&b->dec, &a->dec, sizeof a->dec);
        ASSERT_STR_EQ(A(b->name), A(a->name));
        ASSERT_EQ(V_VT(&b->v), V_VT(&a->v));
        ASSERT_STR_EQ(A(V_BSTR(&b->v)), A(V_BSTR(&a->v)));
        ASSERT_NULL(b->unk);
        ASSERT_NOT_NULL(b->names);
        ASSERT_HR_EQ(SafeArrayGetElement(b->names, &idx, &s), S_OK);
        ASSERT_STR_EQ(A(s), "second");
        SysFreeString(s);
        ASSERT_NOT_NULL(b->points);
        ASSERT_EQ(b->points->fFeatures & FADF_RECORD, FADF_RECORD);
        ASSERT_EQ(((Point *)b->points->pvData)[1].y, 99);
        ASSERT_EQ(b->origin.x, a->origin.x);
        ASSERT_EQ(b->corners[1].y, a->corners[1].y);
        ASSERT_EQ(b->color, a->color);
}

static Everything *sample(IRecordInfo *ri, struct counted *unk) {
        Everything *e = IRecordInfo_RecordCreate(ri);

        fill(ri, e, unk);
        IUnknown_Release(e->unk);
        e->unk = NULL;
        e->c = -3;
        e->s = -300;
        e->ll = -(1LL << 40);
        e->ull = 1ULL << 63;
        e->f = 1.5f;
        e->cy.int64 = 123456789;
        e->flag = VARIANT_TRUE;
        e->err = 0x80004005;
        e->dec.Hi32 = 7;
        e->dec.Lo64 = 99;
        e->dec.scale = 2;
        e->dec.sign = DECIMAL_NEG;
        return e;
}

TEST(wire_variant_record) {
        struct counted unk = { { &counted_vtbl }, 1 };
        IRecordInfo *ri;
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        register_lib();
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Everything, &ri), S_OK);
        Everything *e = sample(ri, &unk);
        V_VT(&v) = VT_RECORD;
        V_RECORD(&v) = e;
        V_RECORDINFO(&v) = ri;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        /* the layout: our top-level ID and pad, wireVARIANTStr's 24 bytes, then BRECORD */
        const uint8_t *w = p.buf.data + 8;
        ASSERT_EQ(le32(w + 8) & 0xffff, VT_RECORD);
        ASSERT_EQ(le32(w + 16), VT_RECORD);     /* the discriminant */
        ASSERT_NE(le32(w + 20), 0);             /* wireBRECORD */
        ASSERT_EQ(le32(w + 24), 1);             /* fFlags */
        uint32_t cl = le32(w + 28);
        ASSERT_NE(le32(w + 32), 0);             /* pRecInfo */
        ASSERT_NE(le32(w + 36), 0);             /* pRecord */
        ASSERT_EQ(le32(w + 40), 92);            /* MInterfacePointer: conformance, ulCntData */
        ASSERT_EQ(le32(w + 44), 92);
        ASSERT_EQ(le32(w + 48), 0x574f454d);    /* OBJREF_CUSTOM */
        ASSERT_EQ(le32(w + 52), 4);
        ASSERT_MEM_EQ(w + 56, &IID_IRecordInfo, 16);
        ASSERT_MEM_EQ(w + 72, &IID_IRecordInfo, 16);    /* CLSID_RecordInfo, the same GUID */
        ASSERT_EQ(le32(w + 88), 0);             /* cbExtension */
        ASSERT_EQ(le32(w + 92), 44);            /* the size of RecordInfoData */
        ASSERT_MEM_EQ(w + 96, &LIBID_RecLib, 16);
        ASSERT_EQ(le32(w + 112), 1);            /* verMajor */
        ASSERT_MEM_EQ(w + 116, &GUID_Everything, 16);
        ASSERT_EQ(le32(w + 132), 2);            /* verMinor */
        ASSERT_EQ(le32(w + 136), 0);            /* Lcid */
        ASSERT_EQ(le32(w + 140), cl);           /* pRecord's conformance, the size prefix */
        ASSERT_EQ(le32(w + 144), cl);
        ASSERT_EQ(w + 144 + cl, p.buf.data + p.buf.len);      /* the record ends the VARIANT */
        ASSERT_EQ(w[152], (uint8_t)-3);         /* c: the first field, the record 8-aligned */
        /* and back: a record of the same type, every value */
        ASSERT_EQ(V_VT(&back), VT_RECORD);
        ASSERT_TRUE(IRecordInfo_IsMatchingType(ri, V_RECORDINFO(&back)));
        same_everything(e, V_RECORD(&back));
        arena_reset(&a);                        /* frees the pulled record */
        ndr_push_free(&p);

        /* by reference: the same wireBRECORD; the receiver's reference owns its copy */
        V_VT(&v) = VT_RECORD | VT_BYREF;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(le32(p.buf.data + 8 + 16), VT_RECORD | VT_BYREF);
        ASSERT_EQ(V_VT(&back), VT_RECORD | VT_BYREF);
        same_everything(e, V_RECORD(&back));
        arena_reset(&a);
        ndr_push_free(&p);

        V_VT(&v) = VT_RECORD;
        ASSERT_HR_EQ(VariantClear(&v), S_OK);
        ASSERT_EQ(unk.refs, 1);
}

TEST(wire_safearray_of_records) {
        struct counted unk = { { &counted_vtbl }, 1 };
        IRecordInfo *ri, *got;
        SAFEARRAYBOUND b = { 3, -1 };
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        register_lib();
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Everything, &ri), S_OK);
        Everything *e = sample(ri, &unk);
        SAFEARRAY *sa = SafeArrayCreateEx(VT_RECORD, 1, &b, ri);
        LONG idx = 0;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &idx, e), S_OK);
        V_VT(&v) = VT_ARRAY | VT_RECORD;
        V_ARRAY(&v) = sa;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        const uint8_t *w = p.buf.data + 8;
        ASSERT_EQ(le32(w + 16), VT_ARRAY);
        ASSERT_EQ(le32(w + 32), 1 | (uint32_t)FADF_RECORD << 16);     /* cDims, fFeatures */
        ASSERT_EQ(le32(w + 36), sizeof(Everything));                  /* the record's size */
        ASSERT_EQ(le32(w + 40), (uint32_t)VT_RECORD << 16);
        ASSERT_EQ(le32(w + 44), VT_RECORD);                           /* SF_RECORD */
        ASSERT_EQ(le32(w + 48), 3);
        ASSERT_EQ(V_VT(&back), VT_ARRAY | VT_RECORD);
        SAFEARRAY *out = V_ARRAY(&back);
        ASSERT_EQ(out->cbElements, sizeof(Everything));
        ASSERT_EQ(out->rgsabound[0].lLbound, -1);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(out, &got), S_OK);
        ASSERT_TRUE(IRecordInfo_IsMatchingType(ri, got));
        IRecordInfo_Release(got);
        ASSERT_NULL(((Everything *)out->pvData)[0].name);      /* an empty record stays so */
        same_everything(e, &((Everything *)out->pvData)[1]);    /* index 0 from -1 */
        arena_reset(&a);
        ndr_push_free(&p);
        ASSERT_HR_EQ(VariantClear(&v), S_OK);
        ASSERT_HR_EQ(IRecordInfo_RecordDestroy(ri, e), S_OK);
        IRecordInfo_Release(ri);
}

/* Hostile and impossible records: clean errors, nothing leaked, nothing over-read. */
TEST(wire_refusals) {
        struct counted unk = { { &counted_vtbl }, 1 };
        IRecordInfo *ri, *pt;
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;
        uint8_t *m;
        size_t n;

        register_lib();
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Everything, &ri), S_OK);
        Everything *e = sample(ri, &unk);
        V_VT(&v) = VT_RECORD;
        V_RECORD(&v) = e;
        V_RECORDINFO(&v) = ri;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        arena_reset(&a);
        n = p.buf.len;
        m = malloc(n + 64);
        const size_t w = 8;
        uint32_t cl = le32(p.buf.data + w + 28);
        struct { size_t at; uint32_t value; int err; } bad[] = {
                { w + 24, 0, -EBADMSG },                /* fFlags 0 with a record */
                { w + 24, 2, -EBADMSG },
                { w + 28, cl + 64, -EBADMSG },          /* clSize past the message */
                { w + 140, cl + 64, -EBADMSG },
                { w + 28, 3, -EBADMSG },                /* less than the prefix */
                { w + 140, 3, -EBADMSG },
                { w + 144, cl - 1, -EBADMSG },          /* the prefix disagrees */
                { w + 48, 0x574f454e, -EBADMSG },       /* not an OBJREF */
                { w + 52, 1, -EBADMSG },                /* not OBJREF_CUSTOM */
                { w + 72, 0x30, -EBADMSG },             /* another CLSID */
                { w + 116, 0x12345678, -ENOENT },       /* a type nobody registered */
                { w + 112, 9, -ENOENT },                /* another version of the library */
                { w + 40, 91, -EBADMSG },               /* an OBJREF too short */
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                memcpy(m, p.buf.data, n);
                put32(m + bad[i].at, bad[i].value);
                arena_init(&a, 0);
                int r = pull_bytes(m, n, &a, &back);
                if (r != bad[i].err)
                        test_fail(__FILE__, __LINE__, "case %zu: %d, not %d", i, r, bad[i].err);
                arena_reset(&a);
        }
        /* clSize and its conformance both smaller: the record's NDR runs out of bytes;
           both larger with bytes there: more than the record took */
        for (int d = -8; d <= 16; d += 24) {
                memcpy(m, p.buf.data, n);
                memset(m + n, 0, 64);
                put32(m + w + 28, cl + (uint32_t)d);
                put32(m + w + 140, cl + (uint32_t)d);
                put32(m + w + 144, cl + (uint32_t)d);
                arena_init(&a, 0);
                ASSERT_EQ(pull_bytes(m, n + 64, &a, &back), -EBADMSG);
                arena_reset(&a);
        }
        /* every truncation */
        for (size_t len = 0; len < n; len++) {
                arena_init(&a, 0);
                ASSERT_LT(pull_bytes(p.buf.data, len, &a, &back), 0);
                arena_reset(&a);
        }
        free(m);
        ndr_push_free(&p);

        /* what cannot be sent: a record without its type, another IRecordInfo */
        struct fake_ri f = { { &fake_vtbl }, 2, 0, 0, 0, NULL };
        V_RECORDINFO(&v) = &f.IRecordInfo_iface;
        ASSERT_EQ(round_trip(&v, &a, &back, &p), -EOPNOTSUPP);
        ndr_push_free(&p);
        V_RECORDINFO(&v) = NULL;
        ASSERT_EQ(round_trip(&v, &a, &back, &p), -EINVAL);
        ndr_push_free(&p);

        /* an array of records whose element size is not the type's */
        SAFEARRAYBOUND b = { 2, 0 };
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Point, &pt), S_OK);
        V_VT(&v) = VT_ARRAY | VT_RECORD;
        V_ARRAY(&v) = SafeArrayCreateEx(VT_RECORD, 1, &b, pt);
        IRecordInfo_Release(pt);
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        arena_reset(&a);
        m = malloc(p.buf.len);
        memcpy(m, p.buf.data, p.buf.len);
        put32(m + w + 36, 12);                  /* cbElements: not Point's 8 */
        arena_init(&a, 0);
        ASSERT_EQ(pull_bytes(m, p.buf.len, &a, &back), -EBADMSG);
        arena_reset(&a);
        free(m);
        ndr_push_free(&p);
        ASSERT_HR_EQ(VariantClear(&v), S_OK);


        /* an empty array of records names no type: none is taken, nor the sender's element
           size (fuzz-oaut: resizing it allocated 600 MB a cell) */
        SAFEARRAYBOUND none = { 0, 0 };
        IRecordInfo *got;
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&LIBID_RecLib, 1, 2, 0, &GUID_Point, &pt), S_OK);
        V_VT(&v) = VT_ARRAY | VT_RECORD;
        V_ARRAY(&v) = SafeArrayCreateEx(VT_RECORD, 1, &none, pt);
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        arena_reset(&a);
        m = malloc(p.buf.len);
        memcpy(m, p.buf.data, p.buf.len);
        put32(m + w + 36, 0x24000008);
        arena_init(&a, 0);
        ASSERT_OK(pull_bytes(m, p.buf.len, &a, &back));
        ASSERT_EQ(V_ARRAY(&back)->cbElements, 0);
        ASSERT_HR_EQ(SafeArrayGetRecordInfo(V_ARRAY(&back), &got), S_OK);
        ASSERT_NULL(got);
        /* the receiver may say what it holds */
        ASSERT_HR_EQ(SafeArraySetRecordInfo(V_ARRAY(&back), pt), S_OK);
        ASSERT_EQ(V_ARRAY(&back)->cbElements, sizeof(Point));
        arena_reset(&a);
        free(m);
        ndr_push_free(&p);
        ASSERT_HR_EQ(VariantClear(&v), S_OK);
        IRecordInfo_Release(pt);
        ASSERT_HR_EQ(IRecordInfo_RecordDestroy(ri, e), S_OK);
        IRecordInfo_Release(ri);
}

/* --- records through ITypeInfo::Invoke (CreateStdDispatch over records.idl's IShapes) ------ */

typedef struct {
        LONG id;
        BSTR name;
} Named;

struct shapes;
struct shapes_vtbl {
        HRESULT (STDMETHODCALLTYPE *QueryInterface)(struct shapes *, REFIID, void **);
        ULONG (STDMETHODCALLTYPE *AddRef)(struct shapes *);
        ULONG (STDMETHODCALLTYPE *Release)(struct shapes *);
        HRESULT (STDMETHODCALLTYPE *GetTypeInfoCount)(struct shapes *, UINT *);
        HRESULT (STDMETHODCALLTYPE *GetTypeInfo)(struct shapes *, UINT, LCID, ITypeInfo **);
        HRESULT (STDMETHODCALLTYPE *GetIDsOfNames)(struct shapes *, REFIID, LPOLESTR *, UINT, LCID,
                                                   DISPID *);
        HRESULT (STDMETHODCALLTYPE *Invoke)(struct shapes *, DISPID, REFIID, LCID, WORD,
                                            DISPPARAMS *, VARIANT *, EXCEPINFO *, UINT *);
        HRESULT (STDMETHODCALLTYPE *Move)(struct shapes *, Point *, LONG);
        HRESULT (STDMETHODCALLTYPE *Make)(struct shapes *, LONG, LONG, Point *);
        HRESULT (STDMETHODCALLTYPE *Label)(struct shapes *, Named *, BSTR *);
};
struct shapes {
        const struct shapes_vtbl *lpVtbl;
        LONG refs;
};

static HRESULT STDMETHODCALLTYPE sh_qi(struct shapes *This, REFIID riid, void **ppv) {
        (void)riid;
        *ppv = This;
        This->refs++;
        return S_OK;
}
static ULONG STDMETHODCALLTYPE sh_addref(struct shapes *This) { return (ULONG)++This->refs; }
static ULONG STDMETHODCALLTYPE sh_release(struct shapes *This) { return (ULONG)--This->refs; }
static HRESULT STDMETHODCALLTYPE sh_count(struct shapes *This, UINT *n) {
        (void)This, (void)n;
        return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE sh_ti(struct shapes *This, UINT i, LCID l, ITypeInfo **ti) {
        (void)This, (void)i, (void)l, (void)ti;
        return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE sh_ids(struct shapes *This, REFIID r, LPOLESTR *n, UINT c, LCID l,
                                        DISPID *d) {
        (void)This, (void)r, (void)n, (void)c, (void)l, (void)d;
        return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE sh_invoke(struct shapes *This, DISPID id, REFIID r, LCID l, WORD f,
                                           DISPPARAMS *dp, VARIANT *v, EXCEPINFO *e, UINT *a) {
        (void)This, (void)id, (void)r, (void)l, (void)f, (void)dp, (void)v, (void)e, (void)a;
        return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE sh_move(struct shapes *This, Point *p, LONG dx) {
        (void)This;
        p->x += dx;
        return S_OK;
}
static HRESULT STDMETHODCALLTYPE sh_make(struct shapes *This, LONG x, LONG y, Point *r) {
        (void)This;
        r->x = x;
        r->y = y;
        return S_OK;
}
static HRESULT STDMETHODCALLTYPE sh_label(struct shapes *This, Named *n, BSTR *s) {
        (void)This;
        *s = SysAllocString(n->name);
        return S_OK;
}

static const struct shapes_vtbl shapes_vtbl = {
        sh_qi, sh_addref, sh_release, sh_count, sh_ti, sh_ids, sh_invoke, sh_move, sh_make, sh_label,
};

static const GUID IID_IShapes = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                  { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x07 } };
static const GUID GUID_Named = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                 { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x06 } };

static HRESULT call(IDispatch *d, DISPID id, VARIANT *args, UINT n, VARIANT *r, UINT *argerr) {
        DISPPARAMS dp = { args, NULL, n, 0 };
        EXCEPINFO ei;

        memset(&ei, 0, sizeof ei);
        VariantInit(r);
        return IDispatch_Invoke(d, id, &IID_NULL, 0, DISPATCH_METHOD, &dp, r, &ei, argerr);
}

TEST(invoke_with_records) {
        struct shapes obj = { &shapes_vtbl, 1 };
        ITypeLib *tl = load_lib();
        ITypeInfo *ti, *iti;
        HREFTYPE href;
        IUnknown *unk;
        IDispatch *d;
        IRecordInfo *pt = rec(&GUID_Point), *other = rec(&GUID_Other), *named = rec(&GUID_Named);
        VARIANT a[2], r;
        UINT argerr = 99;

        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &IID_IShapes, &ti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(CreateStdDispatch(NULL, (IUnknown *)&obj, iti, &unk), S_OK);
        ASSERT_HR_EQ(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&d), S_OK);

        /* [in, out] Point *: the caller's record, by reference or in the VARIANT */
        Point p = { 1, 2 };
        V_VT(&a[1]) = VT_RECORD | VT_BYREF;
        V_RECORD(&a[1]) = &p;
        V_RECORDINFO(&a[1]) = pt;
        V_VT(&a[0]) = VT_I4;
        V_I4(&a[0]) = 5;
        ASSERT_HR_EQ(call(d, 1, a, 2, &r, &argerr), S_OK);
        ASSERT_EQ(p.x, 6);
        ASSERT_EQ(p.y, 2);
        V_VT(&a[1]) = VT_RECORD;
        ASSERT_HR_EQ(call(d, 1, a, 2, &r, &argerr), S_OK);
        ASSERT_EQ(p.x, 11);
        /* another record type, or no record: the argument is named */
        V_RECORDINFO(&a[1]) = other;
        ASSERT_HR_EQ(call(d, 1, a, 2, &r, &argerr), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(argerr, 1);
        ASSERT_EQ(p.x, 11);
        V_VT(&a[1]) = VT_I4;
        V_I4(&a[1]) = 3;
        argerr = 99;
        ASSERT_HR_EQ(call(d, 1, a, 2, &r, &argerr), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(argerr, 1);

        /* [out, retval] Point *: a VT_RECORD of the caller's own */
        V_VT(&a[1]) = VT_I4;
        V_I4(&a[1]) = 3;
        V_I4(&a[0]) = -4;
        ASSERT_HR_EQ(call(d, 2, a, 2, &r, &argerr), S_OK);
        ASSERT_EQ(V_VT(&r), VT_RECORD);
        ASSERT_TRUE(IRecordInfo_IsMatchingType(pt, V_RECORDINFO(&r)));
        ASSERT_EQ(((Point *)V_RECORD(&r))->x, 3);
        ASSERT_EQ(((Point *)V_RECORD(&r))->y, -4);
        ASSERT_HR_EQ(VariantClear(&r), S_OK);

        /* a record with a BSTR in */
        Named n = { 7, SysAllocString(W("Ada")) };
        V_VT(&a[0]) = VT_RECORD;
        V_RECORD(&a[0]) = &n;
        V_RECORDINFO(&a[0]) = named;
        ASSERT_HR_EQ(call(d, 3, a, 1, &r, &argerr), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BSTR);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "Ada");
        ASSERT_HR_EQ(VariantClear(&r), S_OK);
        SysFreeString(n.name);

        IDispatch_Release(d);
        IUnknown_Release(unk);
        ASSERT_EQ(obj.refs, 1);
        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ITypeLib_Release(tl);
        IRecordInfo_Release(named);
        IRecordInfo_Release(other);
        IRecordInfo_Release(pt);
}
