/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ITypeInfo, ITypeComp and ITypeLib across processes ([MS-OAUT] 3.7, 3.5 and 3.11): the
 * halves MIDL leaves to the interfaces' owner for each [local] method whose wire form is
 * a [call_as] one (idl/oaidl.idl) -- IFoo_M_Proxy, called through the proxy's vtable
 * with the local signature, calling IFoo_RemoteM_Proxy; IFoo_M_Stub, called by the
 * generated stub with the wire signature, calling the object.  As Windows' do:
 *   - a description (TYPEATTR, FUNCDESC, VARDESC, TLIBATTR) travels by value; the
 *     caller's copy is the proxy's, freed by the proxy's Release* (these are local), and
 *     the object's is released with its own Release* once the answer has been sent
 *     (through the call's arena: CLEANLOCALSTORAGE on the wire is a 0);
 *   - GetDocumentation and GetDllEntry say in refPtrFlags which [out] values the
 *     caller wants, and the object gets NULL for the others;
 *   - IsName and FindName send the name and get the library's spelling back apart;
 *   - Bind's BINDPTR travels as three pointers, one set according to DESCKIND;
 *   - what a peer sends along with a failed HRESULT is freed, not handed out;
 *   - GetIDsOfNames, Invoke and AddressOfMember have no wire form (their opnums are
 *     reserved): E_NOTIMPL through a proxy, and E_NOTIMPL to a peer calling the opnum,
 *     as the Release* opnums do.
 */
#include <string.h>

#include "com/orpc-stub.h"
#include "oaidl_stub.h"
#include "oleaut/oleaut-internal.h"

/* [MS-OAUT] 3.7.4.8 and 3.11.4.7: refPtrFlags of RemoteGetDocumentation */
#define TYPEINFO_NameArg 0x1u
#define TYPEINFO_DocStringArg 0x2u
#define TYPEINFO_HelpContextArg 0x4u
#define TYPEINFO_HelpFileArg 0x8u
/* [MS-OAUT] 3.7.4.9: of RemoteGetDllEntry */
#define TYPEINFO_DllNameArg 0x1u
#define TYPEINFO_NameArg2 0x2u
#define TYPEINFO_OrdinalArg 0x4u

/* What GetNames may ask a peer for (idl/oaidl.idl's [range] of RemoteGetNames). */
#define MAX_NAMES 65536u

/* --- the caller's copies --------------------------------------------------------------- */

/*
 * A TYPEDESC's referents as the proxy pulled them (midl_user_allocate); the chain is no
 * deeper than the pull let it be (NDR_MAX_DEPTH_DEFAULT).
 */
static void typedesc_free(TYPEDESC *t) {
        if ((t->vt == VT_PTR || t->vt == VT_SAFEARRAY) && t->lptdesc) {
                typedesc_free(t->lptdesc);
                midl_user_free(t->lptdesc);
        } else if (t->vt == VT_CARRAY && t->lpadesc) {
                typedesc_free(&t->lpadesc->tdescElem);
                midl_user_free(t->lpadesc);
        }
}

static void elemdesc_free(ELEMDESC *e) {
        PARAMDESCEX *ex = e->paramdesc.pparamdescex;

        typedesc_free(&e->tdesc);
        if (ex) {
                oleaut_variant_user_free(&ex->varDefaultValue);
                midl_user_free(ex);
        }
}

static void typeattr_free(TYPEATTR *a) {
        if (!a)
                return;
        midl_user_free(a->lpstrSchema);
        typedesc_free(&a->tdescAlias);
        midl_user_free(a);
}

static void funcdesc_free(FUNCDESC *f) {
        if (!f)
                return;
        midl_user_free(f->lprgscode);
        if (f->lprgelemdescParam) {
                for (SHORT i = 0; i < f->cParams; i++)
                        elemdesc_free(&f->lprgelemdescParam[i]);
                midl_user_free(f->lprgelemdescParam);
        }
        elemdesc_free(&f->elemdescFunc);
        midl_user_free(f);
}

static void vardesc_free(VARDESC *v) {
        if (!v)
                return;
        midl_user_free(v->lpstrSchema);
        if (v->varkind == VAR_CONST && v->lpvarValue) {
                oleaut_variant_user_free(v->lpvarValue);
                midl_user_free(v->lpvarValue);
        }
        elemdesc_free(&v->elemdescVar);
        midl_user_free(v);
}

/* --- the object's side: what it described, released after the answer is sent ----------- */

enum release_kind { REL_TYPEATTR, REL_FUNCDESC, REL_VARDESC, REL_TLIBATTR };

struct release {
        IUnknown *obj;          /* ITypeInfo or ITypeLib, held */
        void *desc;
        enum release_kind kind;
};

static void release_run(void *p) {
        struct release *r = p;

        switch (r->kind) {
        case REL_TYPEATTR:
                ((ITypeInfo *)r->obj)->lpVtbl->ReleaseTypeAttr((ITypeInfo *)r->obj, r->desc);
                break;
        case REL_FUNCDESC:
                ((ITypeInfo *)r->obj)->lpVtbl->ReleaseFuncDesc((ITypeInfo *)r->obj, r->desc);
                break;
        case REL_VARDESC:
                ((ITypeInfo *)r->obj)->lpVtbl->ReleaseVarDesc((ITypeInfo *)r->obj, r->desc);
                break;
        case REL_TLIBATTR:
                ((ITypeLib *)r->obj)->lpVtbl->ReleaseTLibAttr((ITypeLib *)r->obj, r->desc);
                break;
        }
        r->obj->lpVtbl->Release(r->obj);
}

static const size_t release_size[] = {
        [REL_TYPEATTR] = sizeof(TYPEATTR), [REL_FUNCDESC] = sizeof(FUNCDESC),
        [REL_VARDESC] = sizeof(VARDESC), [REL_TLIBATTR] = sizeof(TLIBATTR),
};

/*
 * Releases *pdesc with obj's Release* when the call's arena is reset, after the answer,
 * and gives the stub a copy of its top structure in the arena instead: a generated
 * object stub frees an [out] referent that is not the arena's once it is marshaled
 * (COM's rule), and the description is obj's to release (Windows' CLEANLOCALSTORAGE
 * has it released and the pointer cleared before that free).  Outside a server call (the
 * stub called directly) or out of memory: released at once, and E_OUTOFMEMORY (the
 * caller must not send what it described).
 */
static HRESULT release_later(IUnknown *obj, void **pdesc, enum release_kind kind) {
        struct arena *a = ndr_call_arena();
        void *desc = *pdesc;
        struct release *r = a ? arena_alloc(a, sizeof *r) : NULL;
        void *front = r ? arena_alloc(a, release_size[kind]) : NULL;

        if (!front || arena_defer(a, release_run, r) < 0) {
                struct release now = {obj, desc, kind};
                obj->lpVtbl->AddRef(obj);
                release_run(&now);
                return E_OUTOFMEMORY;
        }
        r->obj = obj;
        r->desc = desc;
        r->kind = kind;
        obj->lpVtbl->AddRef(obj);
        memcpy(front, desc, release_size[kind]);
        *pdesc = front;
        return S_OK;
}

struct names {
        BSTR *names;
        UINT n;
};

static void names_free(void *p) {
        struct names *n = p;

        for (UINT i = 0; i < n->n; i++)
                SysFreeString(n->names[i]);
}

/* --- ITypeInfo ([MS-OAUT] 3.7.4) ----------------------------------------------------- */

/* [MS-OAUT] 3.7.4.1 */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetTypeAttr_Proxy(ITypeInfo *This, TYPEATTR **ppTypeAttr) {
        CLEANLOCALSTORAGE stg;

        HRESULT hr;

        if (!ppTypeAttr)
                return E_INVALIDARG;
        hr = ITypeInfo_RemoteGetTypeAttr_Proxy(This, ppTypeAttr, &stg);
        if (FAILED(hr)) {       /* a peer's failure hands the caller nothing */
                typeattr_free(*ppTypeAttr);
                *ppTypeAttr = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetTypeAttr_Stub(ITypeInfo *This, LPTYPEATTR *ppTypeAttr,
                                                     CLEANLOCALSTORAGE *pDummy) {
        HRESULT hr;

        memset(pDummy, 0, sizeof *pDummy);
        *ppTypeAttr = NULL;
        hr = This->lpVtbl->GetTypeAttr(This, ppTypeAttr);
        if (FAILED(hr) || !*ppTypeAttr) {
                *ppTypeAttr = NULL;
                return FAILED(hr) ? hr : E_UNEXPECTED;
        }
        if (FAILED(release_later((IUnknown *)This, (void **)ppTypeAttr, REL_TYPEATTR))) {
                *ppTypeAttr = NULL;
                return E_OUTOFMEMORY;
        }
        return hr;
}

/* [MS-OAUT] 3.7.4.3 */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetFuncDesc_Proxy(ITypeInfo *This, UINT index,
                                                      FUNCDESC **ppFuncDesc) {
        CLEANLOCALSTORAGE stg;

        HRESULT hr;

        if (!ppFuncDesc)
                return E_INVALIDARG;
        hr = ITypeInfo_RemoteGetFuncDesc_Proxy(This, index, ppFuncDesc, &stg);
        if (FAILED(hr)) {
                funcdesc_free(*ppFuncDesc);
                *ppFuncDesc = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetFuncDesc_Stub(ITypeInfo *This, UINT index,
                                                     LPFUNCDESC *ppFuncDesc,
                                                     CLEANLOCALSTORAGE *pDummy) {
        HRESULT hr;

        memset(pDummy, 0, sizeof *pDummy);
        *ppFuncDesc = NULL;
        hr = This->lpVtbl->GetFuncDesc(This, index, ppFuncDesc);
        if (FAILED(hr) || !*ppFuncDesc) {
                *ppFuncDesc = NULL;
                return FAILED(hr) ? hr : E_UNEXPECTED;
        }
        if (FAILED(release_later((IUnknown *)This, (void **)ppFuncDesc, REL_FUNCDESC))) {
                *ppFuncDesc = NULL;
                return E_OUTOFMEMORY;
        }
        return hr;
}

/* [MS-OAUT] 3.7.4.4 */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetVarDesc_Proxy(ITypeInfo *This, UINT index,
                                                     VARDESC **ppVarDesc) {
        CLEANLOCALSTORAGE stg;

        HRESULT hr;

        if (!ppVarDesc)
                return E_INVALIDARG;
        hr = ITypeInfo_RemoteGetVarDesc_Proxy(This, index, ppVarDesc, &stg);
        if (FAILED(hr)) {
                vardesc_free(*ppVarDesc);
                *ppVarDesc = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetVarDesc_Stub(ITypeInfo *This, UINT index,
                                                    LPVARDESC *ppVarDesc,
                                                    CLEANLOCALSTORAGE *pDummy) {
        HRESULT hr;

        memset(pDummy, 0, sizeof *pDummy);
        *ppVarDesc = NULL;
        hr = This->lpVtbl->GetVarDesc(This, index, ppVarDesc);
        if (FAILED(hr) || !*ppVarDesc) {
                *ppVarDesc = NULL;
                return FAILED(hr) ? hr : E_UNEXPECTED;
        }
        if (FAILED(release_later((IUnknown *)This, (void **)ppVarDesc, REL_VARDESC))) {
                *ppVarDesc = NULL;
                return E_OUTOFMEMORY;
        }
        return hr;
}

/*
 * [MS-OAUT] 3.7.4.5.  A function has fewer names than MAX_NAMES (cParams is a SHORT),
 * so a larger buffer is asked for as MAX_NAMES: the answer is the same.
 */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetNames_Proxy(ITypeInfo *This, MEMBERID memid,
                                                   BSTR *rgBstrNames, UINT cMaxNames,
                                                   UINT *pcNames) {
        if (!pcNames || (cMaxNames && !rgBstrNames))
                return E_INVALIDARG;
        HRESULT hr;

        if (cMaxNames > MAX_NAMES)
                cMaxNames = MAX_NAMES;
        hr = ITypeInfo_RemoteGetNames_Proxy(This, memid, rgBstrNames, cMaxNames, pcNames);
        if (FAILED(hr)) {
                for (UINT i = 0; i < *pcNames && i < cMaxNames; i++) {
                        SysFreeString(rgBstrNames[i]);
                        rgBstrNames[i] = NULL;
                }
                *pcNames = 0;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetNames_Stub(ITypeInfo *This, MEMBERID memid,
                                                  BSTR *rgBstrNames, UINT cMaxNames,
                                                  UINT *pcNames) {
        struct arena *a = ndr_call_arena();
        struct names *n = a ? arena_alloc(a, sizeof *n) : NULL;
        HRESULT hr;

        *pcNames = 0;
        if (!n || arena_defer(a, names_free, n) < 0)
                return E_OUTOFMEMORY;
        n->names = rgBstrNames;
        n->n = 0;
        /* rgBstrNames is never NULL here (the stub allocates at least one) */
        hr = This->lpVtbl->GetNames(This, memid, rgBstrNames, cMaxNames, pcNames);
        if (*pcNames > cMaxNames)               /* an object writing past the buffer */
                *pcNames = cMaxNames;
        n->n = *pcNames;                        /* sent, then freed */
        if (FAILED(hr))
                *pcNames = 0;
        return hr;
}

/* opnums 10 and 11: reserved, nothing travels */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetIDsOfNames_Proxy(ITypeInfo *This, LPOLESTR *rgszNames,
                                                        UINT cNames, MEMBERID *pMemId) {
        (void)This; (void)rgszNames; (void)cNames; (void)pMemId;
        return E_NOTIMPL;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetIDsOfNames_Stub(ITypeInfo *This) {
        (void)This;
        return E_NOTIMPL;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_Invoke_Proxy(ITypeInfo *This, PVOID pvInstance, MEMBERID memid,
                                                 WORD wFlags, DISPPARAMS *pDispParams,
                                                 VARIANT *pVarResult, EXCEPINFO *pExcepInfo,
                                                 UINT *puArgErr) {
        (void)This; (void)pvInstance; (void)memid; (void)wFlags; (void)pDispParams;
        (void)pVarResult; (void)pExcepInfo; (void)puArgErr;
        return E_NOTIMPL;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_Invoke_Stub(ITypeInfo *This) {
        (void)This;
        return E_NOTIMPL;
}

/* What a peer sent with a failure: not the caller's. */
static void no_strings(BSTR *a, BSTR *b, BSTR *c) {
        SysFreeString(*a);
        SysFreeString(*b);
        SysFreeString(*c);
        *a = *b = *c = NULL;
}

/* The caller's [out] BSTR from the one that came back (or freed if not wanted). */
static void bstr_out(BSTR *dst, BSTR got) {
        if (dst)
                *dst = got;
        else
                SysFreeString(got);
}

/* [MS-OAUT] 3.7.4.8 */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetDocumentation_Proxy(ITypeInfo *This, MEMBERID memid,
                                                           BSTR *pBstrName, BSTR *pBstrDocString,
                                                           DWORD *pdwHelpContext,
                                                           BSTR *pBstrHelpFile) {
        DWORD flags = (pBstrName ? TYPEINFO_NameArg : 0) |
                      (pBstrDocString ? TYPEINFO_DocStringArg : 0) |
                      (pdwHelpContext ? TYPEINFO_HelpContextArg : 0) |
                      (pBstrHelpFile ? TYPEINFO_HelpFileArg : 0);
        BSTR name = NULL, doc = NULL, file = NULL;
        DWORD ctx = 0;
        HRESULT hr;

        hr = ITypeInfo_RemoteGetDocumentation_Proxy(This, memid, flags, &name, &doc, &ctx, &file);
        if (FAILED(hr))
                no_strings(&name, &doc, &file);
        bstr_out(pBstrName, name);
        bstr_out(pBstrDocString, doc);
        bstr_out(pBstrHelpFile, file);
        if (pdwHelpContext)
                *pdwHelpContext = ctx;
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetDocumentation_Stub(ITypeInfo *This, MEMBERID memid,
                                                          DWORD refPtrFlags, BSTR *pBstrName,
                                                          BSTR *pBstrDocString,
                                                          DWORD *pdwHelpContext,
                                                          BSTR *pBstrHelpFile) {
        *pBstrName = *pBstrDocString = *pBstrHelpFile = NULL;
        *pdwHelpContext = 0;
        /* other bits mean nothing: the values not asked for are not given */
        return This->lpVtbl->GetDocumentation(
                This, memid, (refPtrFlags & TYPEINFO_NameArg) ? pBstrName : NULL,
                (refPtrFlags & TYPEINFO_DocStringArg) ? pBstrDocString : NULL,
                (refPtrFlags & TYPEINFO_HelpContextArg) ? pdwHelpContext : NULL,
                (refPtrFlags & TYPEINFO_HelpFileArg) ? pBstrHelpFile : NULL);
}

/* [MS-OAUT] 3.7.4.9 */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetDllEntry_Proxy(ITypeInfo *This, MEMBERID memid,
                                                      INVOKEKIND invKind, BSTR *pBstrDllName,
                                                      BSTR *pBstrName, WORD *pwOrdinal) {
        DWORD flags = (pBstrDllName ? TYPEINFO_DllNameArg : 0) |
                      (pBstrName ? TYPEINFO_NameArg2 : 0) | (pwOrdinal ? TYPEINFO_OrdinalArg : 0);
        BSTR dll = NULL, name = NULL;
        WORD ordinal = 0;
        HRESULT hr;

        hr = ITypeInfo_RemoteGetDllEntry_Proxy(This, memid, invKind, flags, &dll, &name, &ordinal);
        if (FAILED(hr)) {
                BSTR none = NULL;
                no_strings(&dll, &name, &none);
        }
        bstr_out(pBstrDllName, dll);
        bstr_out(pBstrName, name);
        if (pwOrdinal)
                *pwOrdinal = ordinal;
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetDllEntry_Stub(ITypeInfo *This, MEMBERID memid,
                                                     INVOKEKIND invKind, DWORD refPtrFlags,
                                                     BSTR *pBstrDllName, BSTR *pBstrName,
                                                     WORD *pwOrdinal) {
        *pBstrDllName = *pBstrName = NULL;
        *pwOrdinal = 0;
        return This->lpVtbl->GetDllEntry(This, memid, invKind,
                                         (refPtrFlags & TYPEINFO_DllNameArg) ? pBstrDllName : NULL,
                                         (refPtrFlags & TYPEINFO_NameArg2) ? pBstrName : NULL,
                                         (refPtrFlags & TYPEINFO_OrdinalArg) ? pwOrdinal : NULL);
}

/* opnum 15: reserved (an address means nothing in another process) */
HRESULT STDMETHODCALLTYPE ITypeInfo_AddressOfMember_Proxy(ITypeInfo *This, MEMBERID memid,
                                                          INVOKEKIND invKind, PVOID *ppv) {
        (void)This; (void)memid; (void)invKind;
        if (ppv)
                *ppv = NULL;
        return E_NOTIMPL;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_AddressOfMember_Stub(ITypeInfo *This) {
        (void)This;
        return E_NOTIMPL;
}

/* [MS-OAUT] 3.7.4.11: no aggregation across processes */
HRESULT STDMETHODCALLTYPE ITypeInfo_CreateInstance_Proxy(ITypeInfo *This, IUnknown *pUnkOuter,
                                                         REFIID riid, PVOID *ppvObj) {
        if (!ppvObj)
                return E_INVALIDARG;
        *ppvObj = NULL;
        if (pUnkOuter)
                return CLASS_E_NOAGGREGATION;
        HRESULT hr = ITypeInfo_RemoteCreateInstance_Proxy(This, riid, (IUnknown **)ppvObj);
        if (FAILED(hr) && *ppvObj) {
                ((IUnknown *)*ppvObj)->lpVtbl->Release(*ppvObj);
                *ppvObj = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_CreateInstance_Stub(ITypeInfo *This, REFIID riid,
                                                        IUnknown **ppvObj) {
        *ppvObj = NULL;
        return This->lpVtbl->CreateInstance(This, NULL, riid, (void **)ppvObj);
}

/* [MS-OAUT] 3.7.4.13: the local caller may pass NULL for either */
HRESULT STDMETHODCALLTYPE ITypeInfo_GetContainingTypeLib_Proxy(ITypeInfo *This, ITypeLib **ppTLib,
                                                               UINT *pIndex) {
        ITypeLib *lib = NULL;
        UINT index = 0;
        HRESULT hr;

        hr = ITypeInfo_RemoteGetContainingTypeLib_Proxy(This, &lib, &index);
        if (FAILED(hr) && lib) {
                lib->lpVtbl->Release(lib);
                lib = NULL;
        }
        if (ppTLib)
                *ppTLib = lib;
        else if (lib)
                lib->lpVtbl->Release(lib);
        if (pIndex)
                *pIndex = index;
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeInfo_GetContainingTypeLib_Stub(ITypeInfo *This, ITypeLib **ppTLib,
                                                              UINT *pIndex) {
        *ppTLib = NULL;
        *pIndex = 0;
        return This->lpVtbl->GetContainingTypeLib(This, ppTLib, pIndex);
}

/* opnums 19 to 21: the caller's copy is the proxy's own */
void STDMETHODCALLTYPE ITypeInfo_ReleaseTypeAttr_Proxy(ITypeInfo *This, TYPEATTR *pTypeAttr) {
        (void)This;
        typeattr_free(pTypeAttr);
}

HRESULT STDMETHODCALLTYPE ITypeInfo_ReleaseTypeAttr_Stub(ITypeInfo *This) {
        (void)This;
        return E_NOTIMPL;
}

void STDMETHODCALLTYPE ITypeInfo_ReleaseFuncDesc_Proxy(ITypeInfo *This, FUNCDESC *pFuncDesc) {
        (void)This;
        funcdesc_free(pFuncDesc);
}

HRESULT STDMETHODCALLTYPE ITypeInfo_ReleaseFuncDesc_Stub(ITypeInfo *This) {
        (void)This;
        return E_NOTIMPL;
}

void STDMETHODCALLTYPE ITypeInfo_ReleaseVarDesc_Proxy(ITypeInfo *This, VARDESC *pVarDesc) {
        (void)This;
        vardesc_free(pVarDesc);
}

HRESULT STDMETHODCALLTYPE ITypeInfo_ReleaseVarDesc_Stub(ITypeInfo *This) {
        (void)This;
        return E_NOTIMPL;
}

/* --- ITypeComp ([MS-OAUT] 3.5.4) ----------------------------------------------------- */

/* [MS-OAUT] 3.5.4.1 */
HRESULT STDMETHODCALLTYPE ITypeComp_Bind_Proxy(ITypeComp *This, LPOLESTR szName, ULONG lHashVal,
                                               WORD wFlags, ITypeInfo **ppTInfo,
                                               DESCKIND *pDescKind, BINDPTR *pBindPtr) {
        FUNCDESC *func = NULL;
        VARDESC *var = NULL;
        ITypeComp *comp = NULL;
        CLEANLOCALSTORAGE stg;
        HRESULT hr;

        if (!szName || !ppTInfo || !pDescKind || !pBindPtr)
                return E_INVALIDARG;
        *ppTInfo = NULL;
        *pDescKind = DESCKIND_NONE;
        pBindPtr->lpfuncdesc = NULL;
        hr = ITypeComp_RemoteBind_Proxy(This, szName, lHashVal, wFlags, ppTInfo, pDescKind, &func,
                                        &var, &comp, &stg);
        switch (SUCCEEDED(hr) ? *pDescKind : DESCKIND_NONE) {
        case DESCKIND_FUNCDESC:
                pBindPtr->lpfuncdesc = func;
                func = NULL;
                break;
        case DESCKIND_VARDESC:
        case DESCKIND_IMPLICITAPPOBJ:
                pBindPtr->lpvardesc = var;
                var = NULL;
                break;
        case DESCKIND_TYPECOMP:
                pBindPtr->lptcomp = comp;
                comp = NULL;
                break;
        default:
                break;
        }
        /* what the kind does not name (a peer's junk) is not the caller's */
        funcdesc_free(func);
        vardesc_free(var);
        if (comp)
                comp->lpVtbl->Release(comp);
        if (FAILED(hr)) {
                if (*ppTInfo)
                        (*ppTInfo)->lpVtbl->Release(*ppTInfo);
                *ppTInfo = NULL;
                *pDescKind = DESCKIND_NONE;
                pBindPtr->lpfuncdesc = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeComp_Bind_Stub(ITypeComp *This, LPOLESTR szName, ULONG lHashVal,
                                              WORD wFlags, ITypeInfo **ppTInfo,
                                              DESCKIND *pDescKind, LPFUNCDESC *ppFuncDesc,
                                              LPVARDESC *ppVarDesc, ITypeComp **ppTypeComp,
                                              CLEANLOCALSTORAGE *pDummy) {
        BINDPTR bp;
        HRESULT hr;

        memset(pDummy, 0, sizeof *pDummy);
        *ppTInfo = NULL;
        *pDescKind = DESCKIND_NONE;
        *ppFuncDesc = NULL;
        *ppVarDesc = NULL;
        *ppTypeComp = NULL;
        bp.lpfuncdesc = NULL;
        hr = This->lpVtbl->Bind(This, szName, lHashVal, wFlags, ppTInfo, pDescKind, &bp);
        if (FAILED(hr))
                return hr;
        switch (*pDescKind) {
        case DESCKIND_FUNCDESC:
                if (!*ppTInfo || !bp.lpfuncdesc)
                        break;
                *ppFuncDesc = bp.lpfuncdesc;
                if (FAILED(release_later((IUnknown *)*ppTInfo, (void **)ppFuncDesc, REL_FUNCDESC)))
                        goto nomem;
                break;
        case DESCKIND_VARDESC:
        case DESCKIND_IMPLICITAPPOBJ:
                if (!*ppTInfo || !bp.lpvardesc)
                        break;
                *ppVarDesc = bp.lpvardesc;
                if (FAILED(release_later((IUnknown *)*ppTInfo, (void **)ppVarDesc, REL_VARDESC)))
                        goto nomem;
                break;
        case DESCKIND_TYPECOMP:
                *ppTypeComp = bp.lptcomp;       /* released once marshaled */
                break;
        default:
                break;
        }
        return hr;
nomem:
        *ppFuncDesc = NULL;
        *ppVarDesc = NULL;
        (*ppTInfo)->lpVtbl->Release(*ppTInfo);
        *ppTInfo = NULL;
        *pDescKind = DESCKIND_NONE;
        return E_OUTOFMEMORY;
}

/* [MS-OAUT] 3.5.4.2: the ITypeComp of the type is not sent (NULL for the caller) */
HRESULT STDMETHODCALLTYPE ITypeComp_BindType_Proxy(ITypeComp *This, LPOLESTR szName,
                                                   ULONG lHashVal, ITypeInfo **ppTInfo,
                                                   ITypeComp **ppTComp) {
        if (!szName || !ppTInfo || !ppTComp)
                return E_INVALIDARG;
        *ppTComp = NULL;
        HRESULT hr = ITypeComp_RemoteBindType_Proxy(This, szName, lHashVal, ppTInfo);
        if (FAILED(hr) && *ppTInfo) {
                (*ppTInfo)->lpVtbl->Release(*ppTInfo);
                *ppTInfo = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeComp_BindType_Stub(ITypeComp *This, LPOLESTR szName,
                                                  ULONG lHashVal, ITypeInfo **ppTInfo) {
        ITypeComp *comp = NULL;
        HRESULT hr;

        *ppTInfo = NULL;
        hr = This->lpVtbl->BindType(This, szName, lHashVal, ppTInfo, &comp);
        if (comp)
                comp->lpVtbl->Release(comp);
        return hr;
}

/* --- ITypeLib ([MS-OAUT] 3.11.4) ----------------------------------------------------- */

/* [MS-OAUT] 3.11.4.1 */
UINT STDMETHODCALLTYPE ITypeLib_GetTypeInfoCount_Proxy(ITypeLib *This) {
        UINT n = 0;

        if (FAILED(ITypeLib_RemoteGetTypeInfoCount_Proxy(This, &n)))
                return 0;
        return n;
}

HRESULT STDMETHODCALLTYPE ITypeLib_GetTypeInfoCount_Stub(ITypeLib *This, UINT *pcTInfo) {
        *pcTInfo = This->lpVtbl->GetTypeInfoCount(This);
        return S_OK;
}

/* [MS-OAUT] 3.11.4.5 */
HRESULT STDMETHODCALLTYPE ITypeLib_GetLibAttr_Proxy(ITypeLib *This, TLIBATTR **ppTLibAttr) {
        CLEANLOCALSTORAGE stg;

        HRESULT hr;

        if (!ppTLibAttr)
                return E_INVALIDARG;
        hr = ITypeLib_RemoteGetLibAttr_Proxy(This, ppTLibAttr, &stg);
        if (FAILED(hr)) {
                midl_user_free(*ppTLibAttr);
                *ppTLibAttr = NULL;
        }
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeLib_GetLibAttr_Stub(ITypeLib *This, LPTLIBATTR *ppTLibAttr,
                                                   CLEANLOCALSTORAGE *pDummy) {
        HRESULT hr;

        memset(pDummy, 0, sizeof *pDummy);
        *ppTLibAttr = NULL;
        hr = This->lpVtbl->GetLibAttr(This, ppTLibAttr);
        if (FAILED(hr) || !*ppTLibAttr) {
                *ppTLibAttr = NULL;
                return FAILED(hr) ? hr : E_UNEXPECTED;
        }
        if (FAILED(release_later((IUnknown *)This, (void **)ppTLibAttr, REL_TLIBATTR))) {
                *ppTLibAttr = NULL;
                return E_OUTOFMEMORY;
        }
        return hr;
}

/* [MS-OAUT] 3.11.4.7: index -1 is the library's own */
HRESULT STDMETHODCALLTYPE ITypeLib_GetDocumentation_Proxy(ITypeLib *This, INT index,
                                                          BSTR *pBstrName, BSTR *pBstrDocString,
                                                          DWORD *pdwHelpContext,
                                                          BSTR *pBstrHelpFile) {
        DWORD flags = (pBstrName ? TYPEINFO_NameArg : 0) |
                      (pBstrDocString ? TYPEINFO_DocStringArg : 0) |
                      (pdwHelpContext ? TYPEINFO_HelpContextArg : 0) |
                      (pBstrHelpFile ? TYPEINFO_HelpFileArg : 0);
        BSTR name = NULL, doc = NULL, file = NULL;
        DWORD ctx = 0;
        HRESULT hr;

        hr = ITypeLib_RemoteGetDocumentation_Proxy(This, index, flags, &name, &doc, &ctx, &file);
        if (FAILED(hr))
                no_strings(&name, &doc, &file);
        bstr_out(pBstrName, name);
        bstr_out(pBstrDocString, doc);
        bstr_out(pBstrHelpFile, file);
        if (pdwHelpContext)
                *pdwHelpContext = ctx;
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeLib_GetDocumentation_Stub(ITypeLib *This, INT index,
                                                         DWORD refPtrFlags, BSTR *pBstrName,
                                                         BSTR *pBstrDocString,
                                                         DWORD *pdwHelpContext,
                                                         BSTR *pBstrHelpFile) {
        *pBstrName = *pBstrDocString = *pBstrHelpFile = NULL;
        *pdwHelpContext = 0;
        return This->lpVtbl->GetDocumentation(
                This, index, (refPtrFlags & TYPEINFO_NameArg) ? pBstrName : NULL,
                (refPtrFlags & TYPEINFO_DocStringArg) ? pBstrDocString : NULL,
                (refPtrFlags & TYPEINFO_HelpContextArg) ? pdwHelpContext : NULL,
                (refPtrFlags & TYPEINFO_HelpFileArg) ? pBstrHelpFile : NULL);
}

/* The library's spelling of a name found, into the caller's buffer (same length). */
static void name_back(LPOLESTR buf, BSTR lib_name) {
        size_t n = 0;

        while (buf[n])
                n++;
        if (lib_name && SysStringLen(lib_name) == n)
                memcpy(buf, lib_name, n * sizeof *buf);
        SysFreeString(lib_name);
}

/* [MS-OAUT] 3.11.4.8 */
HRESULT STDMETHODCALLTYPE ITypeLib_IsName_Proxy(ITypeLib *This, LPOLESTR szNameBuf, ULONG lHashVal,
                                                BOOL *pfName) {
        BSTR lib_name = NULL;
        HRESULT hr;

        if (!szNameBuf || !pfName)
                return E_INVALIDARG;
        *pfName = FALSE;
        hr = ITypeLib_RemoteIsName_Proxy(This, szNameBuf, lHashVal, pfName, &lib_name);
        if (SUCCEEDED(hr) && *pfName)
                name_back(szNameBuf, lib_name);
        else
                SysFreeString(lib_name);
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeLib_IsName_Stub(ITypeLib *This, LPOLESTR szNameBuf, ULONG lHashVal,
                                               BOOL *pfName, BSTR *pBstrLibName) {
        BSTR name = SysAllocString(szNameBuf);  /* the object rewrites its copy */
        HRESULT hr;

        *pfName = FALSE;
        *pBstrLibName = NULL;
        if (!name)
                return E_OUTOFMEMORY;
        hr = This->lpVtbl->IsName(This, name, lHashVal, pfName);
        if (SUCCEEDED(hr) && *pfName)
                *pBstrLibName = name;
        else
                SysFreeString(name);
        return hr;
}

/* [MS-OAUT] 3.11.4.9 */
HRESULT STDMETHODCALLTYPE ITypeLib_FindName_Proxy(ITypeLib *This, LPOLESTR szNameBuf,
                                                  ULONG lHashVal, ITypeInfo **ppTInfo,
                                                  MEMBERID *rgMemId, USHORT *pcFound) {
        BSTR lib_name = NULL;
        HRESULT hr;

        if (!szNameBuf || !pcFound || (*pcFound && (!ppTInfo || !rgMemId)))
                return E_INVALIDARG;
        USHORT room = *pcFound;
        hr = ITypeLib_RemoteFindName_Proxy(This, szNameBuf, lHashVal, ppTInfo, rgMemId, pcFound,
                                           &lib_name);
        if (FAILED(hr)) {
                for (USHORT i = 0; i < *pcFound && i < room; i++)
                        if (ppTInfo[i]) {
                                ppTInfo[i]->lpVtbl->Release(ppTInfo[i]);
                                ppTInfo[i] = NULL;
                        }
                *pcFound = 0;
        }
        if (SUCCEEDED(hr) && *pcFound)
                name_back(szNameBuf, lib_name);
        else
                SysFreeString(lib_name);
        return hr;
}

HRESULT STDMETHODCALLTYPE ITypeLib_FindName_Stub(ITypeLib *This, LPOLESTR szNameBuf,
                                                 ULONG lHashVal, ITypeInfo **ppTInfo,
                                                 MEMBERID *rgMemId, USHORT *pcFound,
                                                 BSTR *pBstrLibName) {
        BSTR name = SysAllocString(szNameBuf);
        USHORT room = *pcFound;
        HRESULT hr;

        *pBstrLibName = NULL;
        if (!name) {
                *pcFound = 0;
                return E_OUTOFMEMORY;
        }
        hr = This->lpVtbl->FindName(This, name, lHashVal, ppTInfo, rgMemId, pcFound);
        if (FAILED(hr) || *pcFound > room) {
                /* nothing travels: what the object found is released here */
                for (USHORT i = 0; i < room; i++)
                        if (ppTInfo[i]) {
                                ppTInfo[i]->lpVtbl->Release(ppTInfo[i]);
                                ppTInfo[i] = NULL;
                        }
                *pcFound = 0;
                SysFreeString(name);
                return FAILED(hr) ? hr : E_UNEXPECTED;
        }
        if (*pcFound)
                *pBstrLibName = name;
        else
                SysFreeString(name);
        return hr;
}

/* opnum 12: reserved */
void STDMETHODCALLTYPE ITypeLib_ReleaseTLibAttr_Proxy(ITypeLib *This, TLIBATTR *pTLibAttr) {
        (void)This;
        midl_user_free(pTLibAttr);
}

HRESULT STDMETHODCALLTYPE ITypeLib_ReleaseTLibAttr_Stub(ITypeLib *This) {
        (void)This;
        return E_NOTIMPL;
}
