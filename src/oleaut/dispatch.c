/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IDispatch across processes ([MS-OAUT] 3.1.4.4): Invoke is [local], RemoteInvoke its
 * wire form, and these are the two halves MIDL leaves to the interface's owner --
 * IDispatch_Invoke_Proxy (the caller's side, called through the proxy's vtable) and
 * IDispatch_Invoke_Stub (the object's side, called by the generated stub) -- doing what
 * Windows' do:
 *   - the [out] pointers always travel; dwFlags' high bits say which ones the caller
 *     left NULL (fDISPATCH_zero*), and the object gets NULL for those;
 *   - pVarResult is ignored for DISPATCH_PROPERTYPUT/PUTREF;
 *   - by-reference arguments leave rgvarg (VT_EMPTY there) for rgVarRef, [in, out], with
 *     their places in rgVarRefIdx; the object sees them back in rgvarg, and what it
 *     writes through them lands in the caller's variables;
 *   - a deferred EXCEPINFO is filled in before it travels;
 *   - arrays travel as wireSAFEARRAYs (usrmarshal.c); a VT_ARRAY|VT_BYREF argument's
 *     array is replaced by the one the object left.
 * Also: the registration of IDispatch's proxy and stub (and ITypeInfo's, ITypeComp's and
 * ITypeLib's, whose halves are typeinfo-ps.c's), and of BSTR's and VARIANT's wire
 * routines, as built-ins of the COM layer (oleaut_ps_register).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "com/orpc-stub.h"
#include "oaidl_stub.h"
#include "oleaut/oleaut-internal.h"

/* [MS-OAUT] 3.1.4.4 dwFlags: the caller passed NULL for these */
#define fDISPATCH_zeroVarResult 0x00020000u
#define fDISPATCH_zeroExcepInfo 0x00040000u
#define fDISPATCH_zeroArgErr 0x00080000u

/* The most arguments one call takes (the wire's own limit is RemoteInvoke's range). */
#define MAX_ARGS 16384u

int com_ps_register(const void *proxy_vtbl, const struct ndr_interface *iface);

static void excepinfo_clear(EXCEPINFO *e) {
        SysFreeString(e->bstrSource);
        SysFreeString(e->bstrDescription);
        SysFreeString(e->bstrHelpFile);
        memset(e, 0, sizeof *e);
}

/*
 * What a by-reference argument's referent got back from the object: moved into the
 * caller's own referent (what was there freed, as the object would have), then the
 * unmarshaled copy freed.
 */
static void copy_back(VARIANT *arg, VARIANT *back) {
        VARTYPE base = V_VT(arg) & VT_TYPEMASK;
        void *dst = V_BYREF(arg), *src = V_BYREF(back);

        if (src == dst)         /* the call never got through: nothing came back */
                return;
        if (V_VT(back) != V_VT(arg) || !dst || !src)
                goto out;
        if (V_VT(arg) == (VT_RECORD | VT_BYREF)) {
                /* the record that came back, into the caller's, if of its type */
                IRecordInfo *ri = V_RECORDINFO(arg);
                if (ri && V_RECORDINFO(back) && ri->lpVtbl->IsMatchingType(ri, V_RECORDINFO(back)))
                        ri->lpVtbl->RecordCopy(ri, src, dst);
                goto out;
        }
        if (V_VT(arg) & VT_ARRAY) {
                /* the caller's array is replaced by the one that came back */
                SafeArrayDestroy(*(SAFEARRAY **)dst);
                *(SAFEARRAY **)dst = *(SAFEARRAY **)src;
                *(SAFEARRAY **)src = NULL;
                goto out;
        }
        switch (base) {
        case VT_BSTR:
                SysFreeString(*(BSTR *)dst);
                *(BSTR *)dst = *(BSTR *)src;
                *(BSTR *)src = NULL;
                break;
        case VT_UNKNOWN:
        case VT_DISPATCH:
                if (*(IUnknown **)dst)
                        (*(IUnknown **)dst)->lpVtbl->Release(*(IUnknown **)dst);
                *(IUnknown **)dst = *(IUnknown **)src;
                *(IUnknown **)src = NULL;
                break;
        case VT_VARIANT:
                VariantClear(dst);
                *(VARIANT *)dst = *(VARIANT *)src;
                V_VT((VARIANT *)src) = VT_EMPTY;
                break;
        case VT_DECIMAL:
                memcpy(dst, src, sizeof(DECIMAL));
                break;
        case VT_I1: case VT_UI1:
                memcpy(dst, src, 1);
                break;
        case VT_I2: case VT_UI2: case VT_BOOL:
                memcpy(dst, src, 2);
                break;
        case VT_I8: case VT_UI8: case VT_R8: case VT_DATE: case VT_CY:
                memcpy(dst, src, 8);
                break;
        default:
                memcpy(dst, src, 4);
                break;
        }
out:
        oleaut_variant_user_free(back);
}

HRESULT STDMETHODCALLTYPE IDispatch_Invoke_Proxy(IDispatch *This, DISPID dispIdMember, REFIID riid,
                                                 LCID lcid, WORD wFlags, DISPPARAMS *pDispParams,
                                                 VARIANT *pVarResult, EXCEPINFO *pExcepInfo,
                                                 UINT *puArgErr) {
        DISPPARAMS none = { NULL, NULL, 0, 0 }, params;
        VARIANT result, *args = NULL, *refs = NULL;
        EXCEPINFO excep;
        UINT arg_err = 0, n_refs = 0, *ref_idx = NULL;
        DWORD flags = wFlags;
        HRESULT hr;

        if (!pDispParams)
                pDispParams = &none;
        if (pDispParams->cArgs > MAX_ARGS || pDispParams->cNamedArgs > pDispParams->cArgs ||
            (pDispParams->cArgs && !pDispParams->rgvarg) ||
            (pDispParams->cNamedArgs && !pDispParams->rgdispidNamedArgs))
                return E_INVALIDARG;
        if (wFlags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))
                pVarResult = NULL;
        if (!pVarResult)
                flags |= fDISPATCH_zeroVarResult;
        if (!pExcepInfo)
                flags |= fDISPATCH_zeroExcepInfo;
        if (!puArgErr)
                flags |= fDISPATCH_zeroArgErr;
        for (UINT i = 0; i < pDispParams->cArgs; i++) {
                VARTYPE vt = V_VT(&pDispParams->rgvarg[i]);
                if (vt & VT_VECTOR)
                        return DISP_E_BADVARTYPE;       /* no wire form */
                if (vt & VT_BYREF)
                        n_refs++;
        }
        params = *pDispParams;
        if (n_refs) {
                /* rgvarg travels with VT_EMPTY where the references were */
                args = dcom_calloc(params.cArgs, sizeof *args);
                refs = dcom_calloc(n_refs, sizeof *refs);
                ref_idx = dcom_calloc(n_refs, sizeof *ref_idx);
                if (!args || !refs || !ref_idx) {
                        hr = E_OUTOFMEMORY;
                        goto out;
                }
                memcpy(args, params.rgvarg, params.cArgs * sizeof *args);
                for (UINT i = 0, k = 0; i < params.cArgs; i++)
                        if (V_VT(&args[i]) & VT_BYREF) {
                                refs[k] = args[i];
                                ref_idx[k++] = i;
                                V_VT(&args[i]) = VT_EMPTY;
                        }
                params.rgvarg = args;
        }
        V_VT(&result) = VT_EMPTY;
        memset(&excep, 0, sizeof excep);
        /* the reference arrays are [ref]: never NULL on the wire, even empty */
        UINT no_idx = 0;
        VARIANT no_ref;
        V_VT(&no_ref) = VT_EMPTY;
        hr = IDispatch_RemoteInvoke_Proxy(This, dispIdMember, riid, lcid, flags, &params, &result,
                                          &excep, &arg_err, n_refs, n_refs ? ref_idx : &no_idx,
                                          n_refs ? refs : &no_ref);
        /* refs[] came back as the object left them: into the caller's referents */
        for (UINT k = 0; k < n_refs; k++)
                copy_back(&pDispParams->rgvarg[ref_idx[k]], &refs[k]);
        if (pVarResult) {
                VariantClear(pVarResult);
                if (V_VT(&result) & VT_BYREF) {         /* a by-value copy is the caller's */
                        VariantCopyInd(pVarResult, &result);
                        oleaut_variant_user_free(&result);
                } else {
                        *pVarResult = result;
                }
        } else {
                oleaut_variant_user_free(&result);
        }
        if (pExcepInfo)
                *pExcepInfo = excep;
        else
                excepinfo_clear(&excep);
        if (puArgErr && (hr == DISP_E_TYPEMISMATCH || hr == DISP_E_PARAMNOTFOUND))
                *puArgErr = arg_err;
out:
        dcom_free(args);
        dcom_free(refs);
        dcom_free(ref_idx);
        return hr;
}

static void result_free(void *p) {
        VariantClear(p);
}

static void excepinfo_free(void *p) {
        excepinfo_clear(p);
}

HRESULT STDMETHODCALLTYPE IDispatch_Invoke_Stub(IDispatch *This, DISPID dispIdMember, REFIID riid,
                                                LCID lcid, DWORD dwFlags, DISPPARAMS *pDispParams,
                                                VARIANT *pVarResult, EXCEPINFO *pExcepInfo,
                                                UINT *pArgErr, UINT cVarRef, UINT *rgVarRefIdx,
                                                VARIANTARG *rgVarRef) {
        struct arena *a = ndr_call_arena();
        VARIANT *saved = NULL;
        HRESULT hr;

        /* the wire lets rgvarg be NULL whatever cArgs says: the object must not see that */
        if (pDispParams->cNamedArgs > pDispParams->cArgs || cVarRef > pDispParams->cArgs ||
            (pDispParams->cArgs && !pDispParams->rgvarg) ||
            (pDispParams->cNamedArgs && !pDispParams->rgdispidNamedArgs))
                return E_INVALIDARG;
        /* what the object returns dies with the call, after it has been sent */
        if (a && (arena_defer(a, result_free, pVarResult) < 0 ||
                  arena_defer(a, excepinfo_free, pExcepInfo) < 0))
                return E_OUTOFMEMORY;
        if (cVarRef) {
                /* the references back in their places, each place once, each a reference */
                saved = dcom_calloc(cVarRef, sizeof *saved);
                if (!saved)
                        return E_OUTOFMEMORY;
                for (UINT k = 0; k < cVarRef; k++) {
                        UINT i = rgVarRefIdx[k];
                        if (i >= pDispParams->cArgs || V_VT(&pDispParams->rgvarg[i]) != VT_EMPTY ||
                            !(V_VT(&rgVarRef[k]) & VT_BYREF)) {
                                for (UINT j = 0; j < k; j++)
                                        pDispParams->rgvarg[rgVarRefIdx[j]] = saved[j];
                                dcom_free(saved);
                                return E_INVALIDARG;
                        }
                        saved[k] = pDispParams->rgvarg[i];
                        pDispParams->rgvarg[i] = rgVarRef[k];
                }
        }
        hr = This->lpVtbl->Invoke(This, dispIdMember, riid, lcid, (WORD)dwFlags, pDispParams,
                                  (dwFlags & fDISPATCH_zeroVarResult) ? NULL : pVarResult,
                                  (dwFlags & fDISPATCH_zeroExcepInfo) ? NULL : pExcepInfo,
                                  (dwFlags & fDISPATCH_zeroArgErr) ? NULL : pArgErr);
        /* rgVarRef keeps the references (and frees them); rgvarg its placeholders */
        for (UINT k = 0; k < cVarRef; k++)
                pDispParams->rgvarg[rgVarRefIdx[k]] = saved[k];
        dcom_free(saved);
        if (hr == DISP_E_EXCEPTION && pExcepInfo->pfnDeferredFillIn) {
                pExcepInfo->pfnDeferredFillIn(pExcepInfo);
                pExcepInfo->pfnDeferredFillIn = NULL;
        }
        pExcepInfo->pvReserved = NULL;
        if (V_VT(pVarResult) & VT_VECTOR) {
                /* no wire form: the caller hears so rather than a fault */
                V_VT(pVarResult) = VT_EMPTY;
                hr = DISP_E_BADVARTYPE;
        }
        return hr;
}

static void register_once(void) {
        oleaut_user_marshal_register();
        com_ps_register(&IDispatch_ProxyVtbl, &IDispatch_p_interface);
        com_ps_register(&ISupportErrorInfo_ProxyVtbl, &ISupportErrorInfo_p_interface);
        com_ps_register(&IErrorInfo_ProxyVtbl, &IErrorInfo_p_interface);
        com_ps_register(&IEnumVARIANT_ProxyVtbl, &IEnumVARIANT_p_interface);   /* enumvariant.c */
        /* [MS-OAUT] 3.7, 3.5, 3.11: their [call_as] halves are typeinfo-ps.c's */
        com_ps_register(&ITypeInfo_ProxyVtbl, &ITypeInfo_p_interface);
        com_ps_register(&ITypeComp_ProxyVtbl, &ITypeComp_p_interface);
        com_ps_register(&ITypeLib_ProxyVtbl, &ITypeLib_p_interface);
}

void oleaut_ps_register(void) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, register_once);
}
