/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The build integration of dcomidl: tests/dcomidl/calc.idl goes through the
 * dcomidl_gen generator; this file includes the generated calc.h with COBJMACROS,
 * implements ICalc in C the way COM servers do (the object embeds the interface and
 * recovers itself from it), calls it through the vtable and the call macros, and
 * checks the GUIDs that calc_i.c defines, byte by byte.
 */
#define COBJMACROS
#include <stddef.h>

#include "calc.h"
#include "test.h"

#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_NOINTERFACE ((HRESULT)0x80004002)
#define E_INVALIDARG ((HRESULT)0x80070057)

struct calc {
        ICalc ICalc_iface;
        LONG refs;
        LONG total;
};

static struct calc *impl_from_ICalc(ICalc *iface) {
        return (struct calc *)((char *)iface - offsetof(struct calc, ICalc_iface));
}

static bool guid_eq(const GUID *a, const GUID *b) {
        return memcmp(a, b, sizeof *a) == 0;
}

static HRESULT STDMETHODCALLTYPE calc_QueryInterface(ICalc *This, REFIID riid, void **ppv) {
        if (guid_eq(riid, &IID_ICalc) || guid_eq(riid, &IID_IUnknown)) {
                *ppv = This;
                ICalc_AddRef(This);
                return 0;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE calc_AddRef(ICalc *This) {
        return (ULONG)++impl_from_ICalc(This)->refs;
}

static ULONG STDMETHODCALLTYPE calc_Release(ICalc *This) {
        return (ULONG)--impl_from_ICalc(This)->refs;
}

static HRESULT STDMETHODCALLTYPE calc_Add(ICalc *This, LONG a, LONG b, LONG *result) {
        *result = a + b;
        return 0;
}

static HRESULT STDMETHODCALLTYPE calc_Apply(ICalc *This, CALC_OP op, ULONG count,
                                            const LONG *operands, CALC_RESULT *result) {
        if (count == 0 || count > CALC_MAX_OPERANDS)
                return E_INVALIDARG;
        LONG v = operands[0];
        for (ULONG i = 1; i < count; i++) {
                switch (op) {
                case CALC_ADD: v += operands[i]; break;
                case CALC_SUB: v -= operands[i]; break;
                case CALC_MUL: v *= operands[i]; break;
                default: return E_NOTIMPL;
                }
        }
        result->value = v;
        result->text = NULL;
        memset(result->flags, 0, sizeof result->flags);
        return 0;
}

static HRESULT STDMETHODCALLTYPE calc_get_Total(ICalc *This, LONG *total) {
        *total = impl_from_ICalc(This)->total;
        return 0;
}

static HRESULT STDMETHODCALLTYPE calc_put_Total(ICalc *This, LONG total) {
        impl_from_ICalc(This)->total = total;
        return 0;
}

static const ICalcVtbl calc_vtbl = {
        calc_QueryInterface,
        calc_AddRef,
        calc_Release,
        calc_Add,
        calc_Apply,
        calc_get_Total,
        calc_put_Total,
};

TEST(vtable_calls) {
        struct calc obj = { .ICalc_iface.lpVtbl = &calc_vtbl, .refs = 1 };
        ICalc *calc = &obj.ICalc_iface;
        LONG r = 0;

        ASSERT_HR_EQ(ICalc_Add(calc, 40, 2, &r), 0);
        ASSERT_EQ(r, 42);

        const LONG ops[] = { 2, 3, 7 };
        CALC_RESULT res;
        ASSERT_HR_EQ(ICalc_Apply(calc, CALC_MUL, 3, ops, &res), 0);
        ASSERT_EQ(res.value, 42);
        ASSERT_HR_EQ(ICalc_Apply(calc, CALC_DIV, 3, ops, &res), E_NOTIMPL);

        ASSERT_HR_EQ(ICalc_put_Total(calc, 7), 0);
        ASSERT_HR_EQ(ICalc_get_Total(calc, &r), 0);
        ASSERT_EQ(r, 7);

        void *p = NULL;
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_IUnknown, &p), 0);
        ASSERT_TRUE(p == calc);
        ASSERT_EQ(obj.refs, 2);
        ASSERT_EQ(ICalc_Release(calc), 1);
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &CLSID_Calc, &p), E_NOINTERFACE);
        ASSERT_NULL(p);
}

TEST(constants_and_layout) {
        ASSERT_EQ(CALC_MAX_OPERANDS, 16);
        ASSERT_EQ(CALC_ADD, 0);
        ASSERT_EQ(CALC_SUB, 5);
        ASSERT_EQ(CALC_MUL, 6);
        ASSERT_EQ(CALC_DIV, 12);
        /* IDL long is 32 bits whatever the C long is */
        ASSERT_EQ(sizeof(((CALC_RESULT *)0)->value), 4);
        ASSERT_EQ(sizeof(ICalcVtbl), 7 * sizeof(void *));
        ASSERT_EQ(offsetof(ICalcVtbl, Add), 3 * sizeof(void *));
}

TEST(guid_bytes) {
        /* 6f9c7d7e-1b2a-4c3d-8e4f-0a1b2c3d4e5f, in memory (little-endian Data1..3) */
        ASSERT_EQ(IID_ICalc.Data1, 0x6f9c7d7e);
        ASSERT_EQ(IID_ICalc.Data2, 0x1b2a);
        ASSERT_EQ(IID_ICalc.Data3, 0x4c3d);
        static const uint8_t d4[8] = { 0x8e, 0x4f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
        ASSERT_MEM_EQ(IID_ICalc.Data4, d4, 8);

        static const uint8_t unk[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46 };
        ASSERT_MEM_EQ(&IID_IUnknown, unk, 16);
        ASSERT_EQ(CLSID_Calc.Data4[7], 0x61);
        ASSERT_EQ(LIBID_CalcLib.Data4[7], 0x60);
}
