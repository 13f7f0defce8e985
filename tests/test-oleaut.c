/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OLE Automation's core (src/oleaut): BSTR, VARIANT and VariantChangeType against what
 * Windows returns (as Wine's dlls/oleaut32/tests/vartype.c and variant.c record it),
 * the Windows layout of VARIANT, BSTR's and VARIANT's wire forms ([MS-OAUT] 2.2.23,
 * 2.2.29) round-tripped for every type they carry, and an IDispatch::Invoke request as
 * impacket 0.10 encodes it, pulled by the generated stub into an object's Invoke.
 * Linked to the static libraries (the wire routines are internal).
 */
#define COBJMACROS

#include <math.h>
#include <stddef.h>

#include <objbase.h>

#include "disp-tester.h"
#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"
#include "test.h"

extern const struct ndr_interface IDispatch_p_interface;
HRESULT STDMETHODCALLTYPE IDispatch_Invoke_Stub(IDispatch *This, DISPID dispIdMember, REFIID riid,
                                                LCID lcid, DWORD dwFlags, DISPPARAMS *pDispParams,
                                                VARIANT *pVarResult, EXCEPINFO *pExcepInfo,
                                                UINT *pArgErr, UINT cVarRef, UINT *rgVarRefIdx,
                                                VARIANTARG *rgVarRef);

static const OLECHAR hello[] = { 'h', 'e', 'l', 'l', 'o', 0 };

/* --- layout ------------------------------------------------------------------------------- */

TEST(layout) {
        /* Windows: 16 bytes on 32-bit, 24 on 64-bit; the value at 8; DECIMAL overlays it all */
        ASSERT_EQ(sizeof(VARIANT), sizeof(void *) == 8 ? 24 : 16);
        ASSERT_EQ(offsetof(VARIANT, vt), 0);
        ASSERT_EQ(offsetof(VARIANT, lVal), 8);
        ASSERT_EQ(offsetof(VARIANT, bstrVal), 8);
        ASSERT_EQ(offsetof(VARIANT, pRecInfo), 8 + sizeof(void *));
        ASSERT_EQ(offsetof(VARIANT, decVal), 0);
        ASSERT_EQ(sizeof(DECIMAL), 16);
        ASSERT_EQ(offsetof(DECIMAL, scale), 2);
        ASSERT_EQ(offsetof(DECIMAL, Hi32), 4);
        ASSERT_EQ(offsetof(DECIMAL, Lo64), 8);
        ASSERT_EQ(sizeof(CY), 8);
        ASSERT_EQ(sizeof(VARIANT_BOOL), 2);
        ASSERT_EQ(sizeof(VARTYPE), 2);
        ASSERT_EQ(sizeof(DISPID), 4);
        ASSERT_EQ(VARIANT_TRUE, -1);
        ASSERT_EQ(VT_BSTR, 8);
        ASSERT_EQ(VT_BYREF, 0x4000);
        ASSERT_EQ(DISPID_PROPERTYPUT, -3);
        ASSERT_EQ(DISPATCH_PROPERTYPUTREF, 8);
        ASSERT_HR_EQ(DISP_E_EXCEPTION, 0x80020009);
        ASSERT_EQ(IID_IDispatch.Data1, 0x00020400);
}

/* --- BSTR ----------------------------------------------------------------------------------- */

TEST(bstr_basics) {
        BSTR s = SysAllocString(hello);

        ASSERT_NOT_NULL(s);
        ASSERT_EQ(SysStringLen(s), 5);
        ASSERT_EQ(SysStringByteLen(s), 10);
        ASSERT_EQ(((const uint32_t *)(const void *)s)[-1], 10);      /* the length prefix */
        ASSERT_EQ(s[5], 0);
        ASSERT_MEM_EQ(s, hello, sizeof hello);
        SysFreeString(s);

        /* NULL is the empty string to everyone */
        ASSERT_NULL(SysAllocString(NULL));
        ASSERT_EQ(SysStringLen(NULL), 0);
        ASSERT_EQ(SysStringByteLen(NULL), 0);
        SysFreeString(NULL);

        /* embedded NULs are kept; NULL source: that many zeros */
        static const OLECHAR nul[] = { 'a', 0, 'b' };
        s = SysAllocStringLen(nul, 3);
        ASSERT_EQ(SysStringLen(s), 3);
        ASSERT_EQ(s[1], 0);
        ASSERT_EQ(s[2], 'b');
        ASSERT_EQ(s[3], 0);
        SysFreeString(s);
        s = SysAllocStringLen(NULL, 4);
        ASSERT_EQ(SysStringLen(s), 4);
        SysFreeString(s);
        s = SysAllocStringLen(hello, 0);
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(SysStringLen(s), 0);
        ASSERT_EQ(s[0], 0);
        SysFreeString(s);
}

TEST(bstr_bytelen) {
        /* an odd byte length: SysStringLen rounds down, the bytes stay NUL-terminated */
        BSTR s = SysAllocStringByteLen("abc", 3);

        ASSERT_EQ(SysStringByteLen(s), 3);
        ASSERT_EQ(SysStringLen(s), 1);
        ASSERT_MEM_EQ((const char *)s, "abc\0\0", 5);
        SysFreeString(s);
        s = SysAllocStringByteLen(NULL, 2);
        ASSERT_EQ(SysStringByteLen(s), 2);
        SysFreeString(s);
        /* too long for the 32-bit prefix Windows keeps below 2^31 */
        ASSERT_NULL(SysAllocStringByteLen(NULL, 0xffffffffu));
        ASSERT_NULL(SysAllocStringLen(NULL, 0x80000000u));
}

TEST(bstr_realloc) {
        static const OLECHAR ab[] = { 'a', 'b', 0 };
        BSTR s = SysAllocString(hello);

        ASSERT_TRUE(SysReAllocString(&s, ab));
        ASSERT_EQ(SysStringLen(s), 2);
        ASSERT_MEM_EQ(s, ab, sizeof ab);
        /* from inside itself */
        ASSERT_TRUE(SysReAllocStringLen(&s, s + 1, 1));
        ASSERT_EQ(SysStringLen(s), 1);
        ASSERT_EQ(s[0], 'b');
        ASSERT_EQ(s[1], 0);
        /* NULL: the old characters stay, the rest is new */
        ASSERT_TRUE(SysReAllocStringLen(&s, NULL, 3));
        ASSERT_EQ(SysStringLen(s), 3);
        ASSERT_EQ(s[0], 'b');
        ASSERT_EQ(s[3], 0);
        ASSERT_TRUE(SysReAllocStringLen(&s, hello, 5));
        ASSERT_MEM_EQ(s, hello, sizeof hello);
        ASSERT_TRUE(SysReAllocString(&s, NULL));
        ASSERT_NULL(s);
        ASSERT_TRUE(SysReAllocStringLen(&s, ab, 2));
        ASSERT_EQ(SysStringLen(s), 2);
        ASSERT_FALSE(SysReAllocStringLen(NULL, ab, 2));
        SysFreeString(s);
}

/* --- VARIANT ---------------------------------------------------------------------------- */

/* A counted IUnknown/IDispatch whose value (DISPID_VALUE) is 42 as VT_I4. */
struct obj {
        IDispatch IDispatch_iface;
        LONG refs;
        LONG invokes;
};

static struct obj *impl_from_IDispatch(IDispatch *iface) {
        return (struct obj *)((char *)iface - offsetof(struct obj, IDispatch_iface));
}

static HRESULT STDMETHODCALLTYPE obj_qi(IDispatch *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
                *ppv = iface;
                impl_from_IDispatch(iface)->refs++;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE obj_addref(IDispatch *iface) {
        return (ULONG)++impl_from_IDispatch(iface)->refs;
}

static ULONG STDMETHODCALLTYPE obj_release(IDispatch *iface) {
        return (ULONG)--impl_from_IDispatch(iface)->refs;
}

static HRESULT STDMETHODCALLTYPE obj_count(IDispatch *iface, UINT *n) {
        *n = 0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE obj_typeinfo(IDispatch *iface, UINT i, LCID lcid, ITypeInfo **ret) {
        *ret = NULL;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE obj_ids(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT n,
                                         LCID lcid, DISPID *ids) {
        return DISP_E_UNKNOWNNAME;
}

/* The arguments of the last call (args_seen[0] is the last argument, as rgvarg has them). */
static VARIANT args_seen[4];
static UINT n_args_seen;
static DWORD flags_seen;

static HRESULT STDMETHODCALLTYPE obj_invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid,
                                            WORD flags, DISPPARAMS *dp, VARIANT *result,
                                            EXCEPINFO *ei, UINT *argerr) {
        struct obj *o = impl_from_IDispatch(iface);

        o->invokes++;
        flags_seen = flags;
        n_args_seen = dp->cArgs < 4 ? dp->cArgs : 4;
        for (UINT i = 0; i < n_args_seen; i++) {
                V_VT(&args_seen[i]) = VT_EMPTY;
                VariantCopy(&args_seen[i], &dp->rgvarg[i]);
        }
        if (id != DISPID_VALUE && id != 2)
                return DISP_E_MEMBERNOTFOUND;
        if (result) {
                V_VT(result) = VT_I4;
                V_I4(result) = 42;
        }
        return S_OK;
}

static const IDispatchVtbl obj_vtbl = {
        obj_qi, obj_addref, obj_release, obj_count, obj_typeinfo, obj_ids, obj_invoke,
};

static void clear_seen(void) {
        for (UINT i = 0; i < n_args_seen; i++)
                VariantClear(&args_seen[i]);
        n_args_seen = 0;
}

TEST(variant_init_clear_copy) {
        struct obj o = { { &obj_vtbl }, 1, 0 };
        VARIANT a, b;

        memset(&a, 0xcc, sizeof a);
        VariantInit(&a);
        ASSERT_EQ(V_VT(&a), VT_EMPTY);
        V_VT(&a) = VT_BSTR;
        V_BSTR(&a) = SysAllocString(hello);
        VariantInit(&b);
        ASSERT_HR_EQ(VariantCopy(&b, &a), S_OK);
        ASSERT_EQ(V_VT(&b), VT_BSTR);
        ASSERT_TRUE(V_BSTR(&b) != V_BSTR(&a));          /* a deep copy */
        ASSERT_MEM_EQ(V_BSTR(&b), hello, sizeof hello);
        ASSERT_HR_EQ(VariantClear(&a), S_OK);
        ASSERT_EQ(V_VT(&a), VT_EMPTY);
        ASSERT_HR_EQ(VariantClear(&b), S_OK);

        /* interfaces: AddRef on copy, Release on clear */
        V_VT(&a) = VT_DISPATCH;
        V_DISPATCH(&a) = &o.IDispatch_iface;
        ASSERT_HR_EQ(VariantCopy(&b, &a), S_OK);
        ASSERT_EQ(o.refs, 2);
        ASSERT_HR_EQ(VariantClear(&b), S_OK);
        ASSERT_EQ(o.refs, 1);

        /* a reference is copied as a reference, nothing freed through it */
        LONG l = 5;
        V_VT(&a) = VT_I4 | VT_BYREF;
        V_I4REF(&a) = &l;
        ASSERT_HR_EQ(VariantCopy(&b, &a), S_OK);
        ASSERT_TRUE(V_I4REF(&b) == &l);
        ASSERT_HR_EQ(VariantClear(&b), S_OK);

        /* bad types */
        V_VT(&a) = 15;
        ASSERT_HR_EQ(VariantClear(&a), DISP_E_BADVARTYPE);
        V_VT(&a) = VT_EMPTY | VT_BYREF;
        ASSERT_HR_EQ(VariantCopy(&b, &a), DISP_E_BADVARTYPE);
        V_VT(&a) = VT_I4 | VT_VECTOR;
        ASSERT_HR_EQ(VariantClear(&a), DISP_E_BADVARTYPE);
        V_VT(&a) = 0x7f;
        ASSERT_HR_EQ(VariantClear(&a), DISP_E_BADVARTYPE);
}

TEST(variant_copyind) {
        VARIANT a, b, inner;
        BSTR s = SysAllocString(hello);
        LONG l = -7;

        VariantInit(&b);
        V_VT(&a) = VT_I4 | VT_BYREF;
        V_I4REF(&a) = &l;
        ASSERT_HR_EQ(VariantCopyInd(&b, &a), S_OK);
        ASSERT_EQ(V_VT(&b), VT_I4);
        ASSERT_EQ(V_I4(&b), -7);

        V_VT(&a) = VT_BSTR | VT_BYREF;
        V_BSTRREF(&a) = &s;
        ASSERT_HR_EQ(VariantCopyInd(&b, &a), S_OK);
        ASSERT_EQ(V_VT(&b), VT_BSTR);
        ASSERT_TRUE(V_BSTR(&b) != s);
        ASSERT_MEM_EQ(V_BSTR(&b), hello, sizeof hello);
        VariantClear(&b);

        /* VT_VARIANT|VT_BYREF: the VARIANT pointed at */
        V_VT(&inner) = VT_R8;
        V_R8(&inner) = 2.5;
        V_VT(&a) = VT_VARIANT | VT_BYREF;
        V_VARIANTREF(&a) = &inner;
        ASSERT_HR_EQ(VariantCopyInd(&b, &a), S_OK);
        ASSERT_EQ(V_VT(&b), VT_R8);
        ASSERT_TRUE(V_R8(&b) == 2.5);

        /* in place */
        V_VT(&a) = VT_I4 | VT_BYREF;
        V_I4REF(&a) = &l;
        ASSERT_HR_EQ(VariantCopyInd(&a, &a), S_OK);
        ASSERT_EQ(V_VT(&a), VT_I4);
        ASSERT_EQ(V_I4(&a), -7);
        SysFreeString(s);
}

static HRESULT change(VARIANT *out, VARTYPE from_vt, const VARIANT *in, VARTYPE to) {
        VARIANT src = *in;
        V_VT(&src) = from_vt;
        VariantInit(out);
        return VariantChangeTypeEx(out, &src, LOCALE_INVARIANT, 0, to);
}

static VARIANT vi8(LONGLONG v) {
        VARIANT x;
        memset(&x, 0, sizeof x);
        V_I8(&x) = v;
        return x;
}

static VARIANT vr8(double d) {
        VARIANT x;
        memset(&x, 0, sizeof x);
        V_R8(&x) = d;
        return x;
}

static VARIANT vbstr(const char *s) {
        VARIANT x;
        OLECHAR w[64];
        size_t n = strlen(s);
        memset(&x, 0, sizeof x);
        for (size_t i = 0; i < n; i++)
                w[i] = (OLECHAR)s[i];
        V_BSTR(&x) = SysAllocStringLen(w, (UINT)n);
        return x;
}

/* The BSTR result of a conversion as ASCII. */
static const char *ascii(const VARIANT *v) {
        static char buf[64];
        UINT n = SysStringLen(V_BSTR(v));
        for (UINT i = 0; i < n && i < sizeof buf - 1; i++)
                buf[i] = (char)V_BSTR(v)[i];
        buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = 0;
        return buf;
}

TEST(change_integers) {
        VARIANT o, x;

        /* the edges of each target, and one past them: DISP_E_OVERFLOW */
        x = vi8(127);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 127 }, VT_I1), S_OK);
        ASSERT_EQ(V_I1(&o), 127);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 128 }, VT_I1), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -128 }, VT_I1), S_OK);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -129 }, VT_I1), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 255 }, VT_UI1), S_OK);
        ASSERT_EQ(V_UI1(&o), 255);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 256 }, VT_UI1), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -1 }, VT_UI1), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_I2, &(VARIANT){ .iVal = -1 }, VT_UI2), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 32767 }, VT_I2), S_OK);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 32768 }, VT_I2), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -1 }, VT_UI4), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_UI4, &(VARIANT){ .ulVal = 0x80000000u }, VT_I4), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_UI4, &(VARIANT){ .ulVal = 0xffffffffu }, VT_I8), S_OK);
        ASSERT_EQ(V_I8(&o), 0xffffffffLL);
        x = vi8(INT64_MIN);
        ASSERT_HR_EQ(change(&o, VT_I8, &x, VT_UI8), DISP_E_OVERFLOW);
        x = vi8(INT64_MAX);
        ASSERT_HR_EQ(change(&o, VT_I8, &x, VT_UI8), S_OK);
        ASSERT_HR_EQ(change(&o, VT_I8, &x, VT_I4), DISP_E_OVERFLOW);
        x.ullVal = UINT64_MAX;
        ASSERT_HR_EQ(change(&o, VT_UI8, &x, VT_I8), DISP_E_OVERFLOW);
        /* INT and UINT are I4 and UI4 */
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -5 }, VT_INT), S_OK);
        ASSERT_EQ(V_VT(&o), VT_INT);
        ASSERT_EQ(V_INT(&o), -5);
        ASSERT_HR_EQ(change(&o, VT_INT, &(VARIANT){ .intVal = -5 }, VT_UINT), DISP_E_OVERFLOW);
        /* EMPTY is 0 */
        ASSERT_HR_EQ(change(&o, VT_EMPTY, &(VARIANT){ .lVal = 99 }, VT_I2), S_OK);
        ASSERT_EQ(V_I2(&o), 0);
        /* NULL and ERROR do not convert */
        ASSERT_HR_EQ(change(&o, VT_NULL, &(VARIANT){ .lVal = 0 }, VT_I4), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(change(&o, VT_ERROR, &(VARIANT){ .scode = 5 }, VT_I4), DISP_E_TYPEMISMATCH);
}

TEST(change_reals) {
        VARIANT o, x;

        /* to integers: round half to even, then the range */
        static const struct { double d; LONG want; } r[] = {
                { 0.5, 0 }, { 1.5, 2 }, { 2.5, 2 }, { -0.5, 0 }, { -1.5, -2 }, { 1.49, 1 },
                { -2.51, -3 }, { 2147483647.4, 2147483647 },
        };
        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
                x = vr8(r[i].d);
                ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_I4), S_OK);
                ASSERT_EQ(V_I4(&o), r[i].want);
        }
        x = vr8(127.5);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_I1), DISP_E_OVERFLOW);
        x = vr8(-128.5);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_I1), S_OK);       /* to even: -128 */
        ASSERT_EQ(V_I1(&o), -128);
        x = vr8(2147483647.5);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_I4), DISP_E_OVERFLOW);
        x = vr8(-0.4);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_UI1), S_OK);
        ASSERT_EQ(V_UI1(&o), 0);
        x = vr8(-0.6);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_UI1), DISP_E_OVERFLOW);
        x = vr8(1e300);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_R4), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_I8), DISP_E_OVERFLOW);
        x = vr8(0.25);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_R4), S_OK);
        ASSERT_TRUE(V_R4(&o) == 0.25f);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -3 }, VT_R8), S_OK);
        ASSERT_TRUE(V_R8(&o) == -3.0);
}

TEST(change_bool) {
        VARIANT o, x;

        /* numbers to BOOL: anything but 0 is VARIANT_TRUE */
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 2 }, VT_BOOL), S_OK);
        ASSERT_EQ(V_BOOL(&o), VARIANT_TRUE);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = 0 }, VT_BOOL), S_OK);
        ASSERT_EQ(V_BOOL(&o), VARIANT_FALSE);
        x = vr8(0.1);
        ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_BOOL), S_OK);
        ASSERT_EQ(V_BOOL(&o), VARIANT_TRUE);
        /* BOOL to numbers: -1 and 0; the unsigned ones keep -1's bits, UI8 overflows */
        VARIANT t = { .boolVal = VARIANT_TRUE };
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_I4), S_OK);
        ASSERT_EQ(V_I4(&o), -1);
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_I1), S_OK);
        ASSERT_EQ(V_I1(&o), -1);
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_UI1), S_OK);
        ASSERT_EQ(V_UI1(&o), 255);
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_UI2), S_OK);
        ASSERT_EQ(V_UI2(&o), 65535);
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_UI4), S_OK);
        ASSERT_EQ(V_UI4(&o), 0xffffffffu);
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_UI8), DISP_E_OVERFLOW);
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_R8), S_OK);
        ASSERT_TRUE(V_R8(&o) == -1.0);
        /* and to strings: "-1"/"0", "True"/"False" with VARIANT_ALPHABOOL */
        ASSERT_HR_EQ(change(&o, VT_BOOL, &t, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&o), "-1");
        VariantClear(&o);
        V_VT(&t) = VT_BOOL;
        ASSERT_HR_EQ(VariantChangeType(&o, &t, VARIANT_ALPHABOOL, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&o), "True");
        VariantClear(&o);
        /* strings to BOOL */
        static const struct { const char *s; HRESULT hr; VARIANT_BOOL b; } s[] = {
                { "True", S_OK, VARIANT_TRUE }, { "false", S_OK, VARIANT_FALSE },
                { " TRUE ", S_OK, VARIANT_TRUE }, { "0", S_OK, VARIANT_FALSE },
                { "-2", S_OK, VARIANT_TRUE }, { "yes", DISP_E_TYPEMISMATCH, 0 },
                { "", DISP_E_TYPEMISMATCH, 0 },
        };
        for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
                x = vbstr(s[i].s);
                ASSERT_HR_EQ(change(&o, VT_BSTR, &x, VT_BOOL), s[i].hr);
                if (s[i].hr == S_OK)
                        ASSERT_EQ(V_BOOL(&o), s[i].b);
                SysFreeString(V_BSTR(&x));
        }
}

TEST(change_strings) {
        VARIANT o, x;

        /* numbers to strings, invariant locale */
        static const struct { double d; const char *s; } r[] = {
                { 1.5, "1.5" }, { -0.25, "-0.25" }, { 0.1, "0.1" }, { 1e20, "1E+20" },
                { 1e-5, "1E-05" }, { 123456789012345678.0, "1.23456789012346E+17" },
                { 100, "100" },
        };
        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
                x = vr8(r[i].d);
                ASSERT_HR_EQ(change(&o, VT_R8, &x, VT_BSTR), S_OK);
                ASSERT_STR_EQ(ascii(&o), r[i].s);
                VariantClear(&o);
        }
        VARIANT f = { .fltVal = 0.1f };
        ASSERT_HR_EQ(change(&o, VT_R4, &f, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&o), "0.1");
        VariantClear(&o);
        ASSERT_HR_EQ(change(&o, VT_I4, &(VARIANT){ .lVal = -2147483647 - 1 }, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&o), "-2147483648");
        VariantClear(&o);
        x.ullVal = UINT64_MAX;
        ASSERT_HR_EQ(change(&o, VT_UI8, &x, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&o), "18446744073709551615");
        VariantClear(&o);
        /* EMPTY is the empty string, not NULL */
        ASSERT_HR_EQ(change(&o, VT_EMPTY, &x, VT_BSTR), S_OK);
        ASSERT_NOT_NULL(V_BSTR(&o));
        ASSERT_EQ(SysStringLen(V_BSTR(&o)), 0);
        VariantClear(&o);

        /* strings to numbers */
        static const struct { const char *s; VARTYPE vt; HRESULT hr; LONGLONG v; } s[] = {
                { "42", VT_I4, S_OK, 42 }, { " -42 ", VT_I4, S_OK, -42 }, { "+7", VT_I2, S_OK, 7 },
                { "1,000", VT_I4, S_OK, 1000 }, { "2.5", VT_I4, S_OK, 2 }, { "3.5", VT_I4, S_OK, 4 },
                { "1e3", VT_I4, S_OK, 1000 }, { "&HFF", VT_I4, S_OK, 255 },
                { "&H8000", VT_I4, S_OK, -32768 }, { "&O17", VT_I4, S_OK, 15 },
                { "128", VT_I1, DISP_E_OVERFLOW, 0 }, { "-1", VT_UI4, DISP_E_OVERFLOW, 0 },
                { "99999999999", VT_I4, DISP_E_OVERFLOW, 0 },
                { "9223372036854775807", VT_I8, S_OK, INT64_MAX },
                { "abc", VT_I4, DISP_E_TYPEMISMATCH, 0 }, { "", VT_I4, DISP_E_TYPEMISMATCH, 0 },
                { "12abc", VT_I4, DISP_E_TYPEMISMATCH, 0 }, { "1e", VT_I4, DISP_E_TYPEMISMATCH, 0 },
        };
        for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
                x = vbstr(s[i].s);
                HRESULT hr = change(&o, VT_BSTR, &x, s[i].vt);
                if (hr != s[i].hr)
                        test_fail(__FILE__, __LINE__, "\"%s\" -> vt %u: 0x%08x, want 0x%08x", s[i].s,
                                  s[i].vt, (unsigned)hr, (unsigned)s[i].hr);
                if (hr == S_OK) {
                        VARIANT i8;
                        VariantInit(&i8);
                        ASSERT_HR_EQ(VariantChangeType(&i8, &o, 0, VT_I8), S_OK);
                        ASSERT_EQ(V_I8(&i8), s[i].v);
                }
                SysFreeString(V_BSTR(&x));
        }
        x = vbstr("2.75");
        ASSERT_HR_EQ(change(&o, VT_BSTR, &x, VT_R8), S_OK);
        ASSERT_TRUE(V_R8(&o) == 2.75);
        SysFreeString(V_BSTR(&x));
        /* and back to the same type: a copy */
        x = vbstr("same");
        ASSERT_HR_EQ(change(&o, VT_BSTR, &x, VT_BSTR), S_OK);
        ASSERT_TRUE(V_BSTR(&o) != V_BSTR(&x));
        ASSERT_STR_EQ(ascii(&o), "same");
        VariantClear(&o);
        SysFreeString(V_BSTR(&x));
}

TEST(change_objects) {
        struct obj o = { { &obj_vtbl }, 1, 0 };
        VARIANT d, r;

        V_VT(&d) = VT_DISPATCH;
        V_DISPATCH(&d) = &o.IDispatch_iface;
        /* an object's value is its DISPID_VALUE property */
        VariantInit(&r);
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&r), "42");
        VariantClear(&r);
        ASSERT_EQ(o.invokes, 1);
        ASSERT_HR_EQ(VariantChangeType(&r, &d, VARIANT_NOVALUEPROP, VT_I4), DISP_E_TYPEMISMATCH);
        /* DISPATCH <-> UNKNOWN: QueryInterface */
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_UNKNOWN), S_OK);
        ASSERT_EQ(V_VT(&r), VT_UNKNOWN);
        ASSERT_EQ(o.refs, 2);
        VARIANT back;
        VariantInit(&back);
        ASSERT_HR_EQ(VariantChangeType(&back, &r, 0, VT_DISPATCH), S_OK);
        ASSERT_EQ(o.refs, 3);
        VariantClear(&back);
        VariantClear(&r);
        ASSERT_EQ(o.refs, 1);
        /* UNKNOWN has no value */
        V_VT(&d) = VT_UNKNOWN;
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_I4), DISP_E_TYPEMISMATCH);
        /* EMPTY and NULL targets */
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_EMPTY), S_OK);
        ASSERT_EQ(V_VT(&r), VT_EMPTY);
        V_VT(&d) = VT_NULL;
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_EMPTY), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_NULL);
        V_VT(&d) = VT_I4;
        V_I4(&d) = 3;
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_NULL);
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_I4 | VT_BYREF), DISP_E_TYPEMISMATCH);
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, 15), DISP_E_BADVARTYPE);
        /* a number to these: Windows' answers (Wine's COMMON_TYPETEST) */
        static const VARTYPE mismatch[] = { VT_DISPATCH, VT_ERROR, VT_UNKNOWN, VT_VARIANT, VT_RECORD };
        static const VARTYPE bad[] = {
                VT_VOID, VT_HRESULT, VT_SAFEARRAY, VT_CARRAY, VT_USERDEFINED, VT_LPSTR, VT_LPWSTR,
                VT_PTR, VT_INT_PTR, VT_UINT_PTR, VT_FILETIME, VT_BLOB, VT_STREAM, VT_STORAGE,
                VT_STREAMED_OBJECT, VT_STORED_OBJECT, VT_BLOB_OBJECT, VT_CF, VT_CLSID, VT_BSTR_BLOB,
        };
        for (size_t i = 0; i < sizeof mismatch / sizeof mismatch[0]; i++)
                ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, mismatch[i]), DISP_E_TYPEMISMATCH);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, bad[i]), DISP_E_BADVARTYPE);
        /* and to EMPTY and NULL, and to BSTR "1" from 1 */
        V_I4(&d) = 1;
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_EMPTY), S_OK);
        ASSERT_EQ(V_VT(&r), VT_EMPTY);
        ASSERT_HR_EQ(VariantChangeType(&r, &d, 0, VT_BSTR), S_OK);
        ASSERT_STR_EQ(ascii(&r), "1");
        VariantClear(&r);
}

TEST(change_byref_and_in_place) {
        VARIANT v, o;
        SHORT s = 300;

        /* a reference is followed */
        V_VT(&v) = VT_I2 | VT_BYREF;
        V_I2REF(&v) = &s;
        VariantInit(&o);
        ASSERT_HR_EQ(VariantChangeType(&o, &v, 0, VT_I4), S_OK);
        ASSERT_EQ(V_I4(&o), 300);
        ASSERT_HR_EQ(VariantChangeType(&o, &v, 0, VT_UI1), DISP_E_OVERFLOW);
        ASSERT_EQ(V_VT(&o), VT_I4);             /* a failure leaves the target alone */
        /* in place, freeing the old value */
        v = vbstr("17");
        V_VT(&v) = VT_BSTR;
        ASSERT_HR_EQ(VariantChangeType(&v, &v, 0, VT_UI2), S_OK);
        ASSERT_EQ(V_VT(&v), VT_UI2);
        ASSERT_EQ(V_UI2(&v), 17);
}

/* --- the wire -------------------------------------------------------------------------------- */

/* Pushes v as a top-level VARIANT, pulls it back into *ret (arena-owned frees). */
static int round_trip(const VARIANT *v, struct arena *a, VARIANT *ret, struct ndr_push *keep) {
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct ndr_pull in;
        int r;

        ndr_push_init(keep, 0);
        r = ndr_push_user_marshal(keep, um, NDR_SCALARS | NDR_BUFFERS, v);
        if (r < 0)
                return r;
        ndr_pull_init(&in, keep->buf.data, keep->buf.len, NULL, a);
        r = ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, ret);
        if (r >= 0 && ndr_pull_remaining(&in))
                r = -EBADMSG;
        return r;
}

TEST(wire_values) {
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        oleaut_user_marshal_register();
        static const struct { VARTYPE vt; LONGLONG bits; size_t size; } vals[] = {
                { VT_EMPTY, 0, 0 }, { VT_NULL, 0, 0 }, { VT_I1, -3, 1 }, { VT_UI1, 200, 1 },
                { VT_I2, -300, 2 }, { VT_UI2, 60000, 2 }, { VT_BOOL, -1, 2 }, { VT_I4, -70000, 4 },
                { VT_UI4, 4000000000LL, 4 }, { VT_INT, 5, 4 }, { VT_UINT, 6, 4 },
                { VT_ERROR, (LONG)0x80020009, 4 }, { VT_I8, -5000000000LL, 8 },
                { VT_UI8, 5000000000LL, 8 }, { VT_CY, 123456, 8 },
        };
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
                memset(&v, 0, sizeof v);
                V_VT(&v) = vals[i].vt;
                memcpy(&V_I8(&v), &vals[i].bits, vals[i].size);
                arena_init(&a, 0);
                ASSERT_OK(round_trip(&v, &a, &back, &p));
                ASSERT_EQ(V_VT(&back), vals[i].vt);
                ASSERT_MEM_EQ(&V_I8(&back), &V_I8(&v), vals[i].size);
                /* referent ID, then 8-aligned: clSize in 8-byte units, rpcReserved, vt... */
                ASSERT_EQ(p.buf.data[8], (uint8_t)((p.buf.len - 8 + 7) / 8));
                ASSERT_EQ(p.buf.data[16], (uint8_t)vals[i].vt);
                ASSERT_EQ(p.buf.data[24], (uint8_t)vals[i].vt);        /* the discriminant */
                arena_reset(&a);
                ndr_push_free(&p);
        }
        /* R4, R8, DATE, DECIMAL */
        memset(&v, 0, sizeof v);
        V_VT(&v) = VT_R8;
        V_R8(&v) = -2.5;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_TRUE(V_R8(&back) == -2.5);
        ASSERT_EQ(p.buf.len, 8 + 32);          /* the double 8-aligned after the discriminant */
        arena_reset(&a);
        ndr_push_free(&p);
        V_VT(&v) = VT_R4;
        V_R4(&v) = 0.5f;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_TRUE(V_R4(&back) == 0.5f);
        arena_reset(&a);
        ndr_push_free(&p);
        memset(&v, 0, sizeof v);
        V_DECIMAL(&v).scale = 2;
        V_DECIMAL(&v).sign = DECIMAL_NEG;
        V_DECIMAL(&v).Hi32 = 1;
        V_DECIMAL(&v).Lo64 = 12345;
        V_VT(&v) = VT_DECIMAL;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_DECIMAL);
        ASSERT_EQ(V_DECIMAL(&back).scale, 2);
        ASSERT_EQ(V_DECIMAL(&back).sign, DECIMAL_NEG);
        ASSERT_EQ(V_DECIMAL(&back).Hi32, 1);
        ASSERT_EQ(V_DECIMAL(&back).Lo64, 12345);
        arena_reset(&a);
        ndr_push_free(&p);
}

TEST(wire_bstr) {
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        oleaut_user_marshal_register();
        memset(&v, 0, sizeof v);
        V_VT(&v) = VT_BSTR;
        V_BSTR(&v) = SysAllocString(hello);
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_BSTR);
        ASSERT_EQ(SysStringLen(V_BSTR(&back)), 5);
        ASSERT_MEM_EQ(V_BSTR(&back), hello, sizeof hello);
        /* [MS-OAUT] 2.2.23.1 after the union's pointer: conformance 5, cBytes 10, clSize 5 */
        static const uint8_t blob[] = { 5, 0, 0, 0, 10, 0, 0, 0, 5, 0, 0, 0, 'h', 0, 'e', 0 };
        ASSERT_MEM_EQ(p.buf.data + 32, blob, sizeof blob);
        arena_reset(&a);                /* frees the pulled BSTR */
        ndr_push_free(&p);
        SysFreeString(V_BSTR(&v));

        /* a NULL BSTR: cBytes 0xFFFFFFFF, no characters; and it comes back NULL */
        V_BSTR(&v) = NULL;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_BSTR);
        ASSERT_NULL(V_BSTR(&back));
        static const uint8_t null_blob[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
        ASSERT_MEM_EQ(p.buf.data + 32, null_blob, sizeof null_blob);
        arena_reset(&a);
        ndr_push_free(&p);

        /* an odd byte length, and an empty string (not NULL) */
        V_BSTR(&v) = SysAllocStringByteLen("xyz", 3);
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(SysStringByteLen(V_BSTR(&back)), 3);
        ASSERT_MEM_EQ(V_BSTR(&back), "xyz", 3);
        arena_reset(&a);
        ndr_push_free(&p);
        SysFreeString(V_BSTR(&v));
        V_BSTR(&v) = SysAllocStringLen(NULL, 0);
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_NOT_NULL(V_BSTR(&back));
        ASSERT_EQ(SysStringLen(V_BSTR(&back)), 0);
        arena_reset(&a);
        ndr_push_free(&p);
        SysFreeString(V_BSTR(&v));
}

TEST(wire_byref) {
        struct arena a;
        struct ndr_push p;
        VARIANT v, back, inner;
        LONG l = 1234;
        BSTR s = SysAllocString(hello);

        oleaut_user_marshal_register();
        V_VT(&v) = VT_I4 | VT_BYREF;
        V_I4REF(&v) = &l;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_I4 | VT_BYREF);
        ASSERT_TRUE(V_I4REF(&back) != &l);
        ASSERT_EQ(*V_I4REF(&back), 1234);
        arena_reset(&a);                /* frees the referent the pull allocated */
        ndr_push_free(&p);

        V_VT(&v) = VT_BSTR | VT_BYREF;
        V_BSTRREF(&v) = &s;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_BSTR | VT_BYREF);
        ASSERT_MEM_EQ(*V_BSTRREF(&back), hello, sizeof hello);
        arena_reset(&a);
        ndr_push_free(&p);

        V_VT(&inner) = VT_BSTR;
        V_BSTR(&inner) = s;
        V_VT(&v) = VT_VARIANT | VT_BYREF;
        V_VARIANTREF(&v) = &inner;
        arena_init(&a, 0);
        ASSERT_OK(round_trip(&v, &a, &back, &p));
        ASSERT_EQ(V_VT(&back), VT_VARIANT | VT_BYREF);
        ASSERT_EQ(V_VT(V_VARIANTREF(&back)), VT_BSTR);
        ASSERT_MEM_EQ(V_BSTR(V_VARIANTREF(&back)), hello, sizeof hello);
        arena_reset(&a);
        ndr_push_free(&p);
        SysFreeString(s);
}

TEST(wire_refused) {
        struct arena a;
        struct ndr_push p;
        VARIANT v, back;

        oleaut_user_marshal_register();
        /* vectors have no wire form in a VARIANT; a reference is never NULL */
        memset(&v, 0, sizeof v);
        V_VT(&v) = VT_VECTOR | VT_I4;
        arena_init(&a, 0);
        ASSERT_ERRNO(round_trip(&v, &a, &back, &p), -EOPNOTSUPP);
        arena_reset(&a);
        ndr_push_free(&p);
        V_VT(&v) = VT_I4 | VT_BYREF;
        V_I4REF(&v) = NULL;
        arena_init(&a, 0);
        ASSERT_ERRNO(round_trip(&v, &a, &back, &p), -EINVAL);
        arena_reset(&a);
        ndr_push_free(&p);

        /* hostile input: a discriminant that is not vt, truncations, a BSTR lying about its size */
        static const uint8_t bad_disc[] = { 1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
                                            0, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0 };
        static const uint8_t bad_bstr[] = { 1, 0, 2, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0,
                                            0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0,
                                            4, 0, 0, 0, 0x10, 0, 0, 0, 4, 0, 0, 0,
                                            'a', 0, 'b', 0, 'c', 0, 'd', 0 };
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct ndr_pull in;
        arena_init(&a, 0);
        ndr_pull_init(&in, bad_disc, sizeof bad_disc, NULL, &a);
        ASSERT_ERRNO(ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &back), -EBADMSG);
        for (size_t n = 0; n < sizeof bad_bstr; n++) {
                ndr_pull_init(&in, bad_bstr, n, NULL, &a);
                ASSERT_TRUE(ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &back) < 0);
        }
        ndr_pull_init(&in, bad_bstr, sizeof bad_bstr, NULL, &a);
        ASSERT_ERRNO(ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &back), -EBADMSG);
        arena_reset(&a);
}

/*
 * IDispatch::Invoke (opnum 6) as impacket 0.10 sends it (oaut.IDispatch_Invoke's own
 * encoding): ORPCTHIS, DISPID 2, IID_NULL, lcid 0x409, DISPATCH_METHOD, DISPPARAMS with
 * two VARIANTs (VT_I4 7, VT_BSTR "hello" -- rgvarg last argument first), no references.
 */
static const uint8_t impacket_invoke[] = {
        0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x11,
        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0xa6, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x20, 0x96, 0x00, 0x00, 0x30, 0xc5, 0x00, 0x00, 0x05, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
        0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x1d, 0x98, 0x00,
        0x00, 0x05, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x68, 0x00,
        0x65, 0x00, 0x6c, 0x00, 0x6c, 0x00, 0x6f, 0x00, 0xbf, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

TEST(stub_pulls_impacket_invoke) {
        struct obj o = { { &obj_vtbl }, 1, 0 };
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        struct ndr_server_call call;

        oleaut_user_marshal_register();
        arena_init(&a, 0);
        ndr_pull_init(&in, impacket_invoke, sizeof impacket_invoke, NULL, &a);
        ndr_push_init(&out, 0);
        memset(&call, 0, sizeof call);
        call.in = &in;
        call.out = &out;
        call.arena = &a;
        call.impl = &o.IDispatch_iface;
        ASSERT_EQ(IDispatch_p_interface.n_ops, 7);
        ASSERT_STR_EQ(IDispatch_p_interface.ops[6].name, "RemoteInvoke");
        ASSERT_OK(IDispatch_p_interface.ops[6].dispatch(&call));
        ASSERT_EQ(o.invokes, 1);
        ASSERT_EQ(flags_seen, DISPATCH_METHOD);
        ASSERT_EQ(n_args_seen, 2);
        ASSERT_EQ(V_VT(&args_seen[0]), VT_I4);
        ASSERT_EQ(V_I4(&args_seen[0]), 7);
        ASSERT_EQ(V_VT(&args_seen[1]), VT_BSTR);
        ASSERT_MEM_EQ(V_BSTR(&args_seen[1]), hello, sizeof hello);
        /* the response: ORPCTHAT (8), the result VARIANT (VT_I4 42: 32), EXCEPINFO (32, and
           its three NULL BSTRs' blobs: 36), argerr, rgVarRef's conformance 0, S_OK */
        ASSERT_EQ(out.buf.len, 8 + 32 + 32 + 36 + 4 + 4 + 4);
        ASSERT_EQ(out.buf.data[24], VT_I4);
        ASSERT_EQ(out.buf.data[36], 42);
        ASSERT_EQ(out.buf.len >= 4 && out.buf.data[out.buf.len - 4] == 0, 1);
        ndr_push_free(&out);
        arena_reset(&a);
        clear_seen();

        /* each truncation fails cleanly (ASan: nothing leaks) */
        for (size_t n = 0; n < sizeof impacket_invoke; n++) {
                arena_init(&a, 0);
                ndr_pull_init(&in, impacket_invoke, n, NULL, &a);
                ndr_push_init(&out, 0);
                call.in = &in;
                call.out = &out;
                ASSERT_TRUE(IDispatch_p_interface.ops[6].dispatch(&call) < 0);
                ndr_push_free(&out);
                arena_reset(&a);
        }
        ASSERT_EQ(o.invokes, 1);
        clear_seen();
}

TEST(invoke_stub_refuses_inconsistent_params) {
        struct obj o = { { &obj_vtbl }, 1, 0 };
        VARIANT result, refs[2], args[2];
        EXCEPINFO ei;
        UINT argerr = 0, idx[2] = { 0, 0 };
        DISPPARAMS dp = { NULL, NULL, 2, 0 };

        memset(&ei, 0, sizeof ei);
        V_VT(&result) = VT_EMPTY;
        /* the wire lets rgvarg be NULL with cArgs 2, named arguments exceed the count, ... */
        ASSERT_HR_EQ(IDispatch_Invoke_Stub(&o.IDispatch_iface, 2, &IID_NULL, 0, DISPATCH_METHOD, &dp,
                                           &result, &ei, &argerr, 0, idx, refs), E_INVALIDARG);
        dp.rgvarg = args;
        dp.cNamedArgs = 3;
        ASSERT_HR_EQ(IDispatch_Invoke_Stub(&o.IDispatch_iface, 2, &IID_NULL, 0, DISPATCH_METHOD, &dp,
                                           &result, &ei, &argerr, 0, idx, refs), E_INVALIDARG);
        /* ... a reference's place is out of range, given twice, or not a reference */
        dp.cNamedArgs = 0;
        V_VT(&args[0]) = VT_EMPTY;
        V_VT(&args[1]) = VT_EMPTY;
        LONG l = 0;
        V_VT(&refs[0]) = VT_I4 | VT_BYREF;
        V_I4REF(&refs[0]) = &l;
        refs[1] = refs[0];
        idx[0] = 2;
        ASSERT_HR_EQ(IDispatch_Invoke_Stub(&o.IDispatch_iface, 2, &IID_NULL, 0, DISPATCH_METHOD, &dp,
                                           &result, &ei, &argerr, 1, idx, refs), E_INVALIDARG);
        idx[0] = 1;
        idx[1] = 1;
        ASSERT_HR_EQ(IDispatch_Invoke_Stub(&o.IDispatch_iface, 2, &IID_NULL, 0, DISPATCH_METHOD, &dp,
                                           &result, &ei, &argerr, 2, idx, refs), E_INVALIDARG);
        ASSERT_EQ(V_VT(&args[1]), VT_EMPTY);            /* put back as it was */
        V_VT(&refs[0]) = VT_I4;
        ASSERT_HR_EQ(IDispatch_Invoke_Stub(&o.IDispatch_iface, 2, &IID_NULL, 0, DISPATCH_METHOD, &dp,
                                           &result, &ei, &argerr, 1, idx, refs), E_INVALIDARG);
        ASSERT_EQ(o.invokes, 0);
        /* a good one: the reference in its place during the call, gone after */
        V_VT(&refs[0]) = VT_I4 | VT_BYREF;
        ASSERT_HR_EQ(IDispatch_Invoke_Stub(&o.IDispatch_iface, 2, &IID_NULL, 0, DISPATCH_METHOD, &dp,
                                           &result, &ei, &argerr, 1, idx, refs), S_OK);
        ASSERT_EQ(o.invokes, 1);
        ASSERT_EQ(V_VT(&args_seen[1]), VT_I4 | VT_BYREF);
        ASSERT_EQ(V_VT(&args[1]), VT_EMPTY);
        ASSERT_EQ(V_VT(&result), VT_I4);
        clear_seen();
}

/*
 * impacket's encoding of Invoke(6, [VT_I4 21, by reference VT_I4 5]): rgvarg holds
 * VT_EMPTY where the reference was, rgVarRefIdx [0], rgVarRef [VT_I4|VT_BYREF -> 5].
 * impacket 0.10 leaves rgVarRef's wireVARIANTStr at offset 156, 4 bytes short of the
 * 8-byte alignment NDR gives it (its rgvarg ones are aligned): as sent, the stub reads
 * the structure 4 bytes on and refuses it; with the 4 pad bytes NDR wants there, it is
 * the call impacket meant.
 */
static const uint8_t impacket_invoke_byref[] = {
        0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x11,
        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x00, 0x00,
        0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0xdc, 0x39, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x68, 0x7b, 0x00, 0x00, 0xfa, 0xaf, 0x00, 0x00, 0x05, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xab, 0xab, 0xab, 0xab, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0xa9, 0x94, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
        0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x40, 0x00, 0x00, 0x0d, 0x01, 0x00, 0x00,
        0x05, 0x00, 0x00, 0x00,
};

TEST(stub_pulls_impacket_invoke_byref) {
        struct tester t;
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        struct ndr_server_call call;

        uint8_t fixed[sizeof impacket_invoke_byref + 4] = { 0 };

        oleaut_user_marshal_register();
        tester_init(&t);
        arena_init(&a, 0);
        ndr_pull_init(&in, impacket_invoke_byref, sizeof impacket_invoke_byref, NULL, &a);
        ndr_push_init(&out, 0);
        memset(&call, 0, sizeof call);
        call.in = &in;
        call.out = &out;
        call.arena = &a;
        call.impl = &t.IDispatch_iface;
        ASSERT_ERRNO(IDispatch_p_interface.ops[6].dispatch(&call), -EBADMSG);
        ASSERT_EQ(atomic_load(&t.calls), 0);
        ndr_push_free(&out);
        arena_reset(&a);

        memcpy(fixed, impacket_invoke_byref, 156);
        memcpy(fixed + 160, impacket_invoke_byref + 156, sizeof impacket_invoke_byref - 156);
        arena_init(&a, 0);
        ndr_pull_init(&in, fixed, sizeof fixed, NULL, &a);
        ndr_push_init(&out, 0);
        ASSERT_OK(IDispatch_p_interface.ops[6].dispatch(&call));
        ASSERT_EQ(atomic_load(&t.calls), 1);
        /* Twice(21, &y): rgVarRef comes back last, its referent 42, then S_OK */
        ASSERT_GE(out.buf.len, 12);
        uint8_t tail[8] = { 42, 0, 0, 0, 0, 0, 0, 0 };
        ASSERT_MEM_EQ(out.buf.data + out.buf.len - 8, tail, 8);
        /* ... as a VT_I4|VT_BYREF wireVARIANTStr */
        ASSERT_EQ(out.buf.data[out.buf.len - 24], 0x03);
        ASSERT_EQ(out.buf.data[out.buf.len - 23], 0x40);
        ASSERT_EQ(out.buf.data[out.buf.len - 16], 0x03);        /* the discriminant */
        ndr_push_free(&out);
        arena_reset(&a);
        ASSERT_EQ(atomic_load(&t.refs), 1);
}

/* --- out of memory ---------------------------------------------------------------------------- */

/* A VARIANT by reference to a VARIANT holding a BSTR: pushed, pulled, freed, coerced. */
static int oom_wire(void *ctx) {
        BSTR s = SysAllocString(hello);
        VARIANT inner, v, back, conv;
        struct arena a;
        struct ndr_push p;
        int r;

        (void)ctx;
        if (!s)
                return -ENOMEM;
        V_VT(&inner) = VT_BSTR;
        V_BSTR(&inner) = s;
        V_VT(&v) = VT_VARIANT | VT_BYREF;
        V_VARIANTREF(&v) = &inner;
        arena_init(&a, 0);
        r = round_trip(&v, &a, &back, &p);
        if (r >= 0) {
                VariantInit(&conv);
                HRESULT hr = VariantChangeType(&conv, &back, 0, VT_BSTR);
                if (hr == E_OUTOFMEMORY)
                        r = -ENOMEM;
                else if (FAILED(hr))
                        r = -EINVAL;
                VariantClear(&conv);
        }
        arena_reset(&a);                /* frees what the pull made, whatever happened */
        ndr_push_free(&p);
        SysFreeString(s);
        return r;
}

TEST(out_of_memory) {
        oleaut_user_marshal_register();
        ASSERT_GT(ASSERT_OOM_LOOP(oom_wire, NULL, NULL), 3);
}
