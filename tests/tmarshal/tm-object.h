/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tmtest.idl's ITmTest in C: an object whose every method computes something checkable
 * from its arguments (test-com-tmarshal, fuzz-tmarshal).  Include after tmtest.h.
 */
#ifndef OPENDCOM_TESTS_TM_OBJECT_H
#define OPENDCOM_TESTS_TM_OBJECT_H

#include <stdbool.h>
#include <string.h>

static inline OLECHAR *W(const char *s) {
        static OLECHAR bufs[8][128];
        static int next;
        OLECHAR *b = bufs[next++ % 8];
        size_t i;

        for (i = 0; s[i] && i < 127; i++)
                b[i] = (OLECHAR)(unsigned char)s[i];
        b[i] = 0;
        return b;
}

static inline bool bstr_is(BSTR b, const char *s) {
        size_t n = strlen(s);
        if (!b || SysStringLen(b) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (b[i] != (OLECHAR)(unsigned char)s[i])
                        return false;
        return true;
}

struct tmobj {
        ITmTest ITmTest_iface;
        LONG refs;
        LONG value;
        unsigned nothing_calls;
};

static inline struct tmobj *impl(ITmTest *p) {
        return (struct tmobj *)p;
}

static HRESULT STDMETHODCALLTYPE o_QueryInterface(ITmTest *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
            IsEqualIID(riid, &IID_ITmTest)) {
                *ppv = This;
                ITmTest_AddRef(This);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_AddRef(ITmTest *This) {
        return (ULONG)__atomic_add_fetch(&impl(This)->refs, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE o_Release(ITmTest *This) {
        return (ULONG)__atomic_sub_fetch(&impl(This)->refs, 1, __ATOMIC_SEQ_CST);
}

static HRESULT STDMETHODCALLTYPE o_GetTypeInfoCount(ITmTest *This, UINT *n) {
        *n = 0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_GetTypeInfo(ITmTest *This, UINT i, LCID lcid, ITypeInfo **ti) {
        *ti = NULL;
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_GetIDsOfNames(ITmTest *This, REFIID riid, LPOLESTR *names,
                                                 UINT n, LCID lcid, DISPID *ids) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_Invoke(ITmTest *This, DISPID id, REFIID riid, LCID lcid,
                                          WORD flags, DISPPARAMS *dp, VARIANT *res, EXCEPINFO *ei,
                                          UINT *ae) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_Ints(ITmTest *This, BYTE b, SHORT s, USHORT us, LONG l, ULONG ul,
                                        LONGLONG h, ULONGLONG uh, INT i, UINT ui, CHAR c,
                                        LONGLONG *sum) {
        /* wrapping arithmetic: any input is fine (fuzz-tmarshal) */
        *sum = (LONGLONG)((ULONGLONG)b + (ULONGLONG)(LONGLONG)s + us + (ULONGLONG)(LONGLONG)l + ul +
                          (ULONGLONG)h + uh + (ULONGLONG)(LONGLONG)i + ui + (ULONGLONG)(LONGLONG)c);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Floats(ITmTest *This, float f, double d, DATE dt, TMCY cy,
                                          float *of, double *r) {
        *of = f * 2;
        *r = f + d + dt + (double)cy.int64 / 10000.0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Bools(ITmTest *This, VARIANT_BOOL b, SCODE code,
                                         VARIANT_BOOL *nb, SCODE *r) {
        *nb = b ? VARIANT_FALSE : VARIANT_TRUE;
        *r = (SCODE)((ULONG)code + 1u);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Dec(ITmTest *This, TMDEC d, TMDEC *io, TMCY *r) {
        io->Lo64 += d.Lo64;
        io->Hi32 += d.Hi32; /* unsigned: wraps */
        io->scale = d.scale;
        io->sign = d.sign;
        r->int64 = (LONGLONG)(d.Lo64 * 10u);
        return S_OK;
}

/* *r = a + *io; *io becomes a copy of a */
static HRESULT STDMETHODCALLTYPE o_Str(ITmTest *This, BSTR a, BSTR *io, BSTR *r) {
        UINT la = SysStringLen(a), lb = SysStringLen(*io);
        *r = SysAllocStringLen(NULL, la + lb);
        if (la)
                memcpy(*r, a, la * sizeof(OLECHAR));
        if (lb)
                memcpy(*r + la, *io, lb * sizeof(OLECHAR));
        SysFreeString(*io);
        *io = a ? SysAllocStringLen(a, la) : NULL;
        return S_OK;
}

/* *r = v; *io becomes the string "var" */
static HRESULT STDMETHODCALLTYPE o_Var(ITmTest *This, VARIANT v, VARIANT *io, VARIANT *r) {
        VariantInit(r);
        VariantCopy(r, &v);
        VariantClear(io);
        V_VT(io) = VT_BSTR;
        V_BSTR(io) = SysAllocString(W("var"));
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Arr(ITmTest *This, LPSAFEARRAY a, LPSAFEARRAY *io,
                                       LPSAFEARRAY *r) {
        LONG sum = 0, k;
        VARIANT v;

        /* a vector of LONGs (the stub checked the cells' type): every cell, summed */
        if (a && SafeArrayGetDim(a) == 1)
                for (ULONG i = 0; i < a->rgsabound[0].cElements; i++)
                        sum = (LONG)((ULONG)sum + ((const ULONG *)a->pvData)[i]);
        SafeArrayDestroy(*io);
        *io = SafeArrayCreateVector(VT_BSTR, 0, 2);
        BSTR x = SysAllocString(W("x")), yz = SysAllocString(W("yz"));
        k = 0;
        SafeArrayPutElement(*io, &k, x);
        k = 1;
        SafeArrayPutElement(*io, &k, yz);
        SysFreeString(x);
        SysFreeString(yz);
        *r = SafeArrayCreateVector(VT_VARIANT, 0, 1);
        V_VT(&v) = VT_I4;
        V_I4(&v) = sum;
        k = 0;
        SafeArrayPutElement(*r, &k, &v);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Itf(ITmTest *This, IUnknown *u, IDispatch *d, IUnknown **ou,
                                       IDispatch **od) {
        *ou = u;
        if (u)
                IUnknown_AddRef(u);
        *od = d;
        if (d)
                IDispatch_AddRef(d);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Peer(ITmTest *This, ITmTest *p, ITmTest **o, LONG *r) {
        *r = -1;
        if (p && ITmTest_get_Value(p, r) != S_OK)
                *r = -2;
        *o = This;
        ITmTest_AddRef(This);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Enum(ITmTest *This, TmColor c, TmHandle h, TmColor *io,
                                        TmHandle *r) {
        *r = (LONG)((ULONG)c + (ULONG)h);
        *io = *io == TmRed ? TmBlue : TmGreen;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_get_Value(ITmTest *This, LONG *v) {
        *v = impl(This)->value;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_Value(ITmTest *This, LONG v) {
        impl(This)->value = v;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Fail(ITmTest *This, LONG code) {
        return (HRESULT)code;
}

static HRESULT STDMETHODCALLTYPE o_Many(ITmTest *This, LONG a1, double d1, LONG a2, double d2,
                                        LONG a3, double d3, LONG a4, double d4, LONG a5, double d5,
                                        LONG a6, double d6, LONG a7, double d7, LONG a8, double d8,
                                        float f9, double d10, LONGLONG a9, SHORT a10, double *r) {
        *r = a1 + a2 * 10.0 + a3 * 100.0 + a4 * 1000.0 + a5 * 1e4 + a6 * 1e5 + a7 * 1e6 + a8 * 1e7 +
             (double)a9 * 1e8 + a10 * 1e9 + d1 + d2 * 2 + d3 * 3 + d4 * 4 + d5 * 5 + d6 * 6 +
             d7 * 7 + d8 * 8 + f9 * 9 + d10 * 10;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Refs(ITmTest *This, LONG *a, double *d, SHORT *s,
                                        VARIANT_BOOL *b, BYTE *y) {
        *a = (LONG)((ULONG)*a + 1u);
        *d *= 2;
        *s = 7;
        *b = *b ? VARIANT_FALSE : VARIANT_TRUE;
        *y = (BYTE)(*y + 3);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_Nothing(ITmTest *This) {
        impl(This)->nothing_calls++;
        return S_OK;
}

static const ITmTestVtbl obj_vtbl = {
        o_QueryInterface,
        o_AddRef,
        o_Release,
        o_GetTypeInfoCount,
        o_GetTypeInfo,
        o_GetIDsOfNames,
        o_Invoke,
        o_Ints,
        o_Floats,
        o_Bools,
        o_Dec,
        o_Str,
        o_Var,
        o_Arr,
        o_Itf,
        o_Peer,
        o_Enum,
        o_get_Value,
        o_put_Value,
        o_Fail,
        o_Many,
        o_Refs,
        o_Nothing,
};

#endif /* OPENDCOM_TESTS_TM_OBJECT_H */
