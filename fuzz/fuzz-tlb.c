/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MSFT type library reader (src/oleaut/typelib.c) on hostile bytes: whatever loads
 * is asked for everything it describes -- every type's attributes, functions, variables,
 * names, documentation, references (GetRefTypeInfo, a dual's interface view), bindings
 * (ITypeComp, IsName, FindName) -- and every function of an interface is called
 * late-bound (GetIDsOfNames, then ITypeInfo::Invoke with arguments of the input's
 * choosing) on an object whose vtable slots all return E_FAIL or S_OK (QueryInterface:
 * E_NOINTERFACE).  ASan sees any
 * read outside the file or the descriptions; LeakSanitizer anything left behind.
 */
#define COBJMACROS

#include <stdlib.h>
#include <string.h>

#include <objbase.h>

#include "oleaut/oleaut-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS 8192

static HRESULT STDMETHODCALLTYPE slot_ok(void *this) {
        (void)this;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE slot_fail(void *this) {
        (void)this;
        return E_FAIL;
}

/*
 * Slot 0 as QueryInterface (a pure dispinterface's Invoke asks for IDispatch); a
 * description may call it as anything else, so it writes nothing.
 */
static HRESULT STDMETHODCALLTYPE slot_qi(void *this) {
        (void)this;
        return E_NOINTERFACE;
}

struct fake {
        void **vtbl;
};

static void *vtbl_ok[SLOTS], *vtbl_fail[SLOTS];

static void call_all(ITypeInfo *ti, const TYPEATTR *ta, uint8_t seed) {
        struct fake obj = { (seed & 1) ? vtbl_fail : vtbl_ok };

        for (UINT k = 0; k < ta->cFuncs; k++) {
                FUNCDESC *fd;
                BSTR name = NULL;
                UINT n = 0;
                VARIANT args[3], r;
                EXCEPINFO ei;
                UINT ae = 0;
                MEMBERID id;

                if (ITypeInfo_GetFuncDesc(ti, k, &fd) != S_OK)
                        continue;
                if (ITypeInfo_GetNames(ti, fd->memid, &name, 1, &n) == S_OK && n) {
                        LPOLESTR nm = name;
                        ITypeInfo_GetIDsOfNames(ti, &nm, 1, &id);
                        SysFreeString(name);
                }
                /* arguments: none, an I4, a BSTR, as the seed says */
                UINT cargs = (UINT)(seed >> 1) % 4;
                for (UINT a = 0; a < cargs; a++) {
                        if ((seed >> (3 + a)) & 1) {
                                V_VT(&args[a]) = VT_BSTR;
                                static const OLECHAR one[] = { '1', 0 };
                                V_BSTR(&args[a]) = SysAllocString(one);
                        } else {
                                V_VT(&args[a]) = VT_I4;
                                V_I4(&args[a]) = seed;
                        }
                }
                DISPPARAMS dp = { cargs ? args : NULL, NULL, cargs, 0 };
                memset(&ei, 0, sizeof ei);
                VariantInit(&r);
                if (ITypeInfo_Invoke(ti, &obj, fd->memid, (WORD)fd->invkind, &dp, &r, &ei, &ae) ==
                    DISP_E_EXCEPTION) {
                        SysFreeString(ei.bstrSource);
                        SysFreeString(ei.bstrDescription);
                        SysFreeString(ei.bstrHelpFile);
                }
                VariantClear(&r);
                for (UINT a = 0; a < cargs; a++)
                        VariantClear(&args[a]);
        }
}

static void walk_info(ITypeInfo *ti, uint8_t seed, int depth) {
        TYPEATTR *ta;
        ITypeComp *tc;
        HREFTYPE href;
        ITypeInfo *ref;
        BSTR s1, s2, s3;
        DWORD ctx;

        if (ITypeInfo_GetTypeAttr(ti, &ta) != S_OK)
                return;
        if (ITypeInfo_GetDocumentation(ti, MEMBERID_NIL, &s1, &s2, &ctx, &s3) == S_OK) {
                SysFreeString(s1);
                SysFreeString(s2);
                SysFreeString(s3);
        }
        for (UINT k = 0; k < ta->cFuncs; k++) {
                FUNCDESC *fd;
                BSTR names[16];
                UINT n = 0;
                if (ITypeInfo_GetFuncDesc(ti, k, &fd) != S_OK)
                        continue;
                if (ITypeInfo_GetNames(ti, fd->memid, names, 16, &n) == S_OK)
                        for (UINT j = 0; j < n; j++)
                                SysFreeString(names[j]);
                for (SHORT p = 0; p < fd->cParams; p++) {
                        const TYPEDESC *td = &fd->lprgelemdescParam[p].tdesc;
                        while (td->vt == VT_PTR || td->vt == VT_SAFEARRAY)
                                td = td->lptdesc;
                        if (td->vt == VT_CARRAY)
                                td = &td->lpadesc->tdescElem;
                        if (td->vt == VT_USERDEFINED &&
                            ITypeInfo_GetRefTypeInfo(ti, td->hreftype, &ref) == S_OK)
                                ITypeInfo_Release(ref);
                }
                if (ITypeInfo_GetDocumentation(ti, fd->memid, &s1, &s2, &ctx, &s3) == S_OK) {
                        SysFreeString(s1);
                        SysFreeString(s2);
                        SysFreeString(s3);
                }
        }
        for (UINT k = 0; k < ta->cVars; k++) {
                VARDESC *vd;
                if (ITypeInfo_GetVarDesc(ti, k, &vd) == S_OK && vd->varkind == VAR_CONST) {
                        VARIANT copy;
                        VariantInit(&copy);
                        VariantCopy(&copy, vd->lpvarValue);
                        VariantClear(&copy);
                }
        }
        if (ITypeInfo_GetTypeComp(ti, &tc) == S_OK) {
                ITypeInfo *b;
                DESCKIND dk;
                BINDPTR bp;
                OLECHAR a[] = { 'a', 0 };
                if (ITypeComp_Bind(tc, a, 0, 0, &b, &dk, &bp) == S_OK && b)
                        ITypeInfo_Release(b);
                ITypeComp_Release(tc);
        }
        if (depth < 2) {
                for (UINT k = 0; k < ta->cImplTypes; k++)
                        if (ITypeInfo_GetRefTypeOfImplType(ti, k, &href) == S_OK &&
                            ITypeInfo_GetRefTypeInfo(ti, href, &ref) == S_OK) {
                                walk_info(ref, seed, depth + 1);
                                ITypeInfo_Release(ref);
                        }
                if (ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href) == S_OK &&
                    ITypeInfo_GetRefTypeInfo(ti, href, &ref) == S_OK) {
                        walk_info(ref, seed, depth + 1);
                        ITypeInfo_Release(ref);
                }
        }
        if (ta->typekind == TKIND_INTERFACE || ta->typekind == TKIND_DISPATCH)
                call_all(ti, ta, seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ITypeLib *tl;
        uint8_t seed = size ? data[size - 1] : 0;

        if (!vtbl_ok[0]) {
                for (int i = 0; i < SLOTS; i++) {
                        HRESULT (STDMETHODCALLTYPE *ok)(void *) = slot_ok, (*fail)(void *) = slot_fail;
                        memcpy(&vtbl_ok[i], &ok, sizeof ok);
                        memcpy(&vtbl_fail[i], &fail, sizeof fail);
                }
                HRESULT (STDMETHODCALLTYPE *qi)(void *) = slot_qi;
                memcpy(&vtbl_ok[0], &qi, sizeof qi);
                memcpy(&vtbl_fail[0], &qi, sizeof qi);
        }
        if (oleaut_load_typelib_mem(data, size, &tl) != S_OK)
                return 0;
        for (UINT i = 0, n = ITypeLib_GetTypeInfoCount(tl); i < n; i++) {
                ITypeInfo *ti;
                TYPEKIND kind;
                BSTR s;
                ITypeLib_GetTypeInfoType(tl, i, &kind);
                if (ITypeLib_GetDocumentation(tl, (INT)i, &s, NULL, NULL, NULL) == S_OK)
                        SysFreeString(s);
                if (ITypeLib_GetTypeInfo(tl, i, &ti) != S_OK)
                        continue;
                walk_info(ti, seed, 0);
                ITypeInfo_Release(ti);
        }
        OLECHAR name[64] = { 'a', 0 };
        BOOL found;
        ITypeLib_IsName(tl, name, 0, &found);
        ITypeInfo *infos[4];
        MEMBERID ids[4];
        USHORT n = 4;
        name[0] = 'a';
        name[1] = 0;
        if (ITypeLib_FindName(tl, name, 0, infos, ids, &n) == S_OK)
                for (USHORT i = 0; i < n; i++)
                        ITypeInfo_Release(infos[i]);
        ITypeLib_Release(tl);
        return 0;
}
