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
        if (FAILED(hr)) {
                /* a server that failed may still have sent elements (the count is the
                   object's): the caller hears of none, so none is left to it */
                for (ULONG i = 0; i < fetched; i++)
                        VariantClear(&rgVar[i]);
                fetched = 0;
        } else if (hr == S_OK && fetched < celt) {
                hr = S_FALSE;           /* fewer than asked is S_FALSE, whatever it said */
        }
        if (pCeltFetched)
                *pCeltFetched = fetched;
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
        if (!f)
                return E_OUTOFMEMORY;
        /* the whole buffer (zeroed by the stub) is cleared after the answer is sent:
           what the object filled and did not count too -- or at once, if the deferral
           itself finds no memory */
        f->v = rgVar;
        f->n = celt;
        if (arena_defer(a, fetched_clear, f) < 0)
                return E_OUTOFMEMORY;
        hr = This->lpVtbl->Next(This, celt, rgVar, &n);
        /* S_OK is every element asked for, whatever the object counted; never more than
           the buffer holds */
        if (hr == S_OK)
                n = celt;
        if (n > celt)
                n = celt;
        *pCeltFetched = FAILED(hr) ? 0 : n;
        return hr;
}
