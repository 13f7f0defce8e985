/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IEnumVARIANT's Next across apartments, processes and machines ([MS-OAUT] 3.3.4.1):
 * the [local] method a caller sees and RemoteNext, its wire form (idl/oaidl.idl).  A
 * caller may pass no count when it asks for one element, as on Windows; the wire always
 * carries one.  On the object's side the elements the object hands back are the
 * stub's to clear once they are sent.
 */
#include "com/orpc-stub.h"
#include "oaidl_stub.h"
#include "oleaut/oleaut-internal.h"

HRESULT STDMETHODCALLTYPE IEnumVARIANT_Next_Proxy(IEnumVARIANT *This, ULONG celt, VARIANT *rgVar,
                                                  ULONG *pCeltFetched) {
        ULONG fetched = 0;
        VARIANT none;
        HRESULT hr;

        if (pCeltFetched)
                *pCeltFetched = 0;
        if (celt && !rgVar)
                return E_INVALIDARG;
        if (!rgVar)
                rgVar = &none;          /* (nothing asked: the wire wants an array anyway) */
        hr = IEnumVARIANT_RemoteNext_Proxy(This, celt, rgVar, &fetched);
        if (fetched > celt)             /* (the stub checked the length against celt) */
                fetched = celt;
        if (pCeltFetched)
                *pCeltFetched = FAILED(hr) ? 0 : fetched;
        return hr;
}

struct fetched {
        VARIANT *v;
        ULONG n;
};

static void fetched_clear(void *p) {
        struct fetched *f = p;

        for (ULONG i = 0; i < f->n; i++)
                VariantClear(&f->v[i]);
}

HRESULT STDMETHODCALLTYPE IEnumVARIANT_Next_Stub(IEnumVARIANT *This, ULONG celt, VARIANT *rgVar,
                                                 ULONG *pCeltFetched) {
        struct arena *a = ndr_call_arena();
        struct fetched *f = a ? arena_alloc(a, sizeof *f) : NULL;
        ULONG n = 0;
        HRESULT hr;

        *pCeltFetched = 0;
        if (!f || arena_defer(a, fetched_clear, f) < 0)
                return E_OUTOFMEMORY;
        f->v = rgVar;
        f->n = 0;
        hr = This->lpVtbl->Next(This, celt, rgVar, &n);
        /* S_OK is every element asked for, whatever the object counted; never more than
           the buffer holds */
        if (hr == S_OK)
                n = celt;
        if (n > celt)
                n = celt;
        f->n = FAILED(hr) ? celt : n;   /* cleared after the answer is sent */
        *pCeltFetched = FAILED(hr) ? 0 : n;
        return hr;
}
