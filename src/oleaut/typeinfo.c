/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ITypeLib ([MS-OAUT] 3.11), ITypeInfo (3.7) and ITypeComp (3.5) over a type library in
 * memory (typelib-internal.h).  The descriptions handed out (TLIBATTR, TYPEATTR,
 * FUNCDESC, VARDESC) are the library's own and live as long as it does: the caller holds
 * a reference to it through the ITypeInfo or ITypeLib it asked, and Release* free
 * nothing.  Names compare case-insensitively, as Windows' do.
 *
 * A dual interface is stored once, as a dispinterface flagged TYPEFLAG_FDUAL; as on
 * Windows it has two views: the dispinterface (what GetTypeInfo and GetTypeInfoOfGuid
 * give; its functions are IDispatch's seven and then the interface's, all FUNC_DISPATCH,
 * a [retval] parameter become the return value; cbSizeVft IDispatch's) and the
 * interface (GetRefTypeOfImplType(-1) then GetRefTypeInfo; its functions as declared).
 *
 * Imported types: IUnknown and IDispatch of stdole2.tlb ({00020430-...}) are described
 * here (tl_stdole_dispatch); any other imported library is found with LoadRegTypeLib.
 */
#include <pthread.h>
#include <string.h>

#include <objbase.h>

#include "oleaut/msft.h"
#include "oleaut/typelib-internal.h"

static const GUID LIBID_stdole2 = { 0x00020430, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };

#define MAX_INHERIT 32

static struct tlib *from_tl(ITypeLib *iface) {
        return (struct tlib *)((char *)iface - offsetof(struct tlib, ITypeLib_iface));
}

static struct tlib *from_lib_tc(ITypeComp *iface) {
        return (struct tlib *)((char *)iface - offsetof(struct tlib, ITypeComp_iface));
}

static struct tl_info *from_ti(ITypeInfo *iface) {
        return (struct tl_info *)((char *)iface - offsetof(struct tl_info, ITypeInfo_iface));
}

static struct tl_info *from_info_tc(ITypeComp *iface) {
        return (struct tl_info *)((char *)iface - offsetof(struct tl_info, ITypeComp_iface));
}

static int name_eq(const OLECHAR *a, BSTR b) {
        if (!a || !b)
                return 0;
        return dcom_utf16_casecmp(a, dcom_utf16_len(a), b, SysStringLen(b)) == 0;
}

/* ---- the library's lifetime ---- */

/* Members a dual's dispinterface view borrows are not freed twice: see owns_members. */
static void info_free(struct tl_info *ti, bool owns_members) {
        /* a partly read type: what is not there yet is NULL (zeroed blocks) */
        if (owns_members && ti->funcs) {
                for (UINT i = 0; i < ti->attr.cFuncs; i++) {
                        struct tl_func *f = &ti->funcs[i];
                        SysFreeString(f->name);
                        SysFreeString(f->doc);
                        for (SHORT k = 0; f->param_names && k < f->desc.cParams; k++)
                                SysFreeString(f->param_names[k]);
                        for (SHORT k = 0; f->desc.lprgelemdescParam && k < f->desc.cParams; k++) {
                                PARAMDESCEX *ex = f->desc.lprgelemdescParam[k].paramdesc.pparamdescex;
                                if (ex)
                                        VariantClear(&ex->varDefaultValue);
                        }
                }
        }
        if (owns_members && ti->vars) {
                for (UINT i = 0; i < ti->attr.cVars; i++) {
                        SysFreeString(ti->vars[i].name);
                        SysFreeString(ti->vars[i].doc);
                        VariantClear(&ti->vars[i].value);
                }
        }
        SysFreeString(ti->name);
        SysFreeString(ti->doc);
}

static void lib_free(struct tlib *lib) {
        for (UINT i = 0; i < lib->n_infos; i++) {
                struct tl_info *ti = lib->infos[i];
                if (!ti)
                        continue;
                if (ti->iface_view) {
                        info_free(ti->iface_view, true);
                        info_free(ti, false);
                } else {
                        info_free(ti, true);
                }
        }
        for (UINT i = 0; i < lib->n_imports; i++) {
                ITypeLib *other = atomic_load(&lib->imports[i].loaded);
                SysFreeString(lib->imports[i].file);
                if (other)
                        other->lpVtbl->Release(other);
        }
        for (size_t i = 0; i < lib->n_held; i++)
                lib->held[i]->lpVtbl->Release(lib->held[i]);
        dcom_free(lib->held);
        SysFreeString(lib->name);
        SysFreeString(lib->doc);
        SysFreeString(lib->help_file);
        SysFreeString(lib->path);
        for (size_t i = 0; i < lib->n_blocks; i++)
                dcom_free(lib->blocks[i]);
        dcom_free(lib->blocks);
        dcom_free(lib);
}

static ULONG lib_ref(struct tlib *lib) {
        return atomic_fetch_add(&lib->refs, 1) + 1;
}

static ULONG lib_unref(struct tlib *lib) {
        ULONG r = atomic_fetch_sub(&lib->refs, 1) - 1;
        if (!r)
                lib_free(lib);
        return r;
}

/* Keeps ti (of another library) alive as long as lib: lib's descriptions borrow from it. */
static HRESULT lib_hold(struct tlib *lib, ITypeInfo *ti) {
        ITypeInfo **h = dcom_reallocarray(lib->held, lib->n_held + 1, sizeof *h);
        if (!h)
                return E_OUTOFMEMORY;
        lib->held = h;
        h[lib->n_held++] = ti;
        ti->lpVtbl->AddRef(ti);
        return S_OK;
}

/* ---- ITypeLib ---- */

static HRESULT STDMETHODCALLTYPE tl_QueryInterface(ITypeLib *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ITypeLib)) {
                *ppv = iface;
                lib_ref(from_tl(iface));
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE tl_AddRef(ITypeLib *iface) {
        return lib_ref(from_tl(iface));
}

static ULONG STDMETHODCALLTYPE tl_Release(ITypeLib *iface) {
        return lib_unref(from_tl(iface));
}

static UINT STDMETHODCALLTYPE tl_GetTypeInfoCount(ITypeLib *iface) {
        return from_tl(iface)->n_infos;
}

static HRESULT STDMETHODCALLTYPE tl_GetTypeInfo(ITypeLib *iface, UINT index, ITypeInfo **ret) {
        struct tlib *lib = from_tl(iface);

        if (!ret)
                return E_INVALIDARG;
        if (index >= lib->n_infos) {
                *ret = NULL;
                return TYPE_E_ELEMENTNOTFOUND;
        }
        *ret = &lib->infos[index]->ITypeInfo_iface;
        lib_ref(lib);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tl_GetTypeInfoType(ITypeLib *iface, UINT index, TYPEKIND *ret) {
        struct tlib *lib = from_tl(iface);

        if (!ret)
                return E_INVALIDARG;
        if (index >= lib->n_infos)
                return TYPE_E_ELEMENTNOTFOUND;
        *ret = lib->infos[index]->attr.typekind;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tl_GetTypeInfoOfGuid(ITypeLib *iface, REFGUID guid, ITypeInfo **ret) {
        struct tlib *lib = from_tl(iface);

        if (!guid || !ret)
                return E_INVALIDARG;
        for (UINT i = 0; i < lib->n_infos; i++)
                if (IsEqualGUID(guid, &lib->infos[i]->attr.guid)) {
                        *ret = &lib->infos[i]->ITypeInfo_iface;
                        lib_ref(lib);
                        return S_OK;
                }
        *ret = NULL;
        return TYPE_E_ELEMENTNOTFOUND;
}

static HRESULT STDMETHODCALLTYPE tl_GetLibAttr(ITypeLib *iface, TLIBATTR **ret) {
        if (!ret)
                return E_INVALIDARG;
        *ret = &from_tl(iface)->attr;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tl_GetTypeComp(ITypeLib *iface, ITypeComp **ret) {
        struct tlib *lib = from_tl(iface);

        if (!ret)
                return E_INVALIDARG;
        *ret = &lib->ITypeComp_iface;
        lib_ref(lib);
        return S_OK;
}

static HRESULT copy_out(BSTR s, BSTR *ret) {
        if (!ret)
                return S_OK;
        *ret = NULL;
        if (s && !(*ret = SysAllocStringLen(s, SysStringLen(s))))
                return E_OUTOFMEMORY;
        return S_OK;
}

static HRESULT documentation(BSTR name, BSTR doc, DWORD ctx, BSTR help_file, BSTR *ret_name,
                             BSTR *ret_doc, DWORD *ret_ctx, BSTR *ret_file) {
        BSTR n = NULL, d = NULL, f = NULL;

        if (copy_out(name, ret_name ? &n : NULL) < 0 || copy_out(doc, ret_doc ? &d : NULL) < 0 ||
            copy_out(help_file, ret_file ? &f : NULL) < 0) {
                SysFreeString(n);
                SysFreeString(d);
                SysFreeString(f);
                return E_OUTOFMEMORY;
        }
        if (ret_name)
                *ret_name = n;
        if (ret_doc)
                *ret_doc = d;
        if (ret_ctx)
                *ret_ctx = ctx;
        if (ret_file)
                *ret_file = f;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tl_GetDocumentation(ITypeLib *iface, INT index, BSTR *name,
                                                     BSTR *doc, DWORD *ctx, BSTR *file) {
        struct tlib *lib = from_tl(iface);

        if (index == -1)
                return documentation(lib->name, lib->doc, lib->help_ctx, lib->help_file, name,
                                     doc, ctx, file);
        if (index < 0 || (UINT)index >= lib->n_infos)
                return TYPE_E_ELEMENTNOTFOUND;
        struct tl_info *ti = lib->infos[index];
        return documentation(ti->name, ti->doc, ti->help_ctx, lib->help_file, name, doc, ctx,
                             file);
}

/* The first name in lib equal to name: a type's or one of its members'. */
static BSTR lib_find_name(struct tlib *lib, const OLECHAR *name, UINT *ret_info, MEMBERID *ret_memid) {
        for (UINT i = 0; i < lib->n_infos; i++) {
                struct tl_info *ti = lib->infos[i];
                struct tl_info *mi = ti->iface_view ? ti->iface_view : ti;
                *ret_info = i;
                *ret_memid = -1;
                if (name_eq(name, ti->name))
                        return ti->name;
                for (UINT k = 0; k < mi->attr.cFuncs; k++)
                        if (name_eq(name, mi->funcs[k].name)) {
                                *ret_memid = mi->funcs[k].desc.memid;
                                return mi->funcs[k].name;
                        }
                for (UINT k = 0; k < mi->attr.cVars; k++)
                        if (name_eq(name, mi->vars[k].name)) {
                                *ret_memid = mi->vars[k].desc.memid;
                                return mi->vars[k].name;
                        }
        }
        return NULL;
}

static HRESULT STDMETHODCALLTYPE tl_IsName(ITypeLib *iface, LPOLESTR name, ULONG hash, BOOL *ret) {
        struct tlib *lib = from_tl(iface);
        UINT info;
        MEMBERID memid;
        BSTR found;

        (void)hash;
        if (!name || !ret)
                return E_INVALIDARG;
        found = lib_find_name(lib, name, &info, &memid);
        *ret = found != NULL;
        if (found)      /* the caller's buffer gets the library's spelling */
                memcpy(name, found, SysStringLen(found) * sizeof(OLECHAR));
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE tl_FindName(ITypeLib *iface, LPOLESTR name, ULONG hash,
                                             ITypeInfo **infos, MEMBERID *memids, USHORT *found) {
        struct tlib *lib = from_tl(iface);
        USHORT n = 0;

        (void)hash;
        if (!name || !infos || !memids || !found || !*found)
                return E_INVALIDARG;
        for (UINT i = 0; i < lib->n_infos && n < *found; i++) {
                struct tl_info *ti = lib->infos[i];
                struct tl_info *mi = ti->iface_view ? ti->iface_view : ti;
                MEMBERID memid;
                bool hit = false;
                if (name_eq(name, ti->name)) {
                        memid = -1;
                        hit = true;
                }
                for (UINT k = 0; !hit && k < mi->attr.cFuncs; k++)
                        if (name_eq(name, mi->funcs[k].name)) {
                                memid = mi->funcs[k].desc.memid;
                                hit = true;
                        }
                for (UINT k = 0; !hit && k < mi->attr.cVars; k++)
                        if (name_eq(name, mi->vars[k].name)) {
                                memid = mi->vars[k].desc.memid;
                                hit = true;
                        }
                if (!hit)
                        continue;
                infos[n] = &ti->ITypeInfo_iface;
                lib_ref(lib);
                memids[n++] = memid;
        }
        *found = n;
        return S_OK;
}

static void STDMETHODCALLTYPE tl_ReleaseTLibAttr(ITypeLib *iface, TLIBATTR *attr) {
        (void)iface;
        (void)attr;     /* the library's own */
}

static const ITypeLibVtbl tlib_vtbl = {
        tl_QueryInterface, tl_AddRef, tl_Release, tl_GetTypeInfoCount, tl_GetTypeInfo,
        tl_GetTypeInfoType, tl_GetTypeInfoOfGuid, tl_GetLibAttr, tl_GetTypeComp,
        tl_GetDocumentation, tl_IsName, tl_FindName, tl_ReleaseTLibAttr,
};

/* ---- ITypeComp of a library: its types, and the members of its enums and modules ---- */

static HRESULT STDMETHODCALLTYPE ltc_QueryInterface(ITypeComp *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ITypeComp)) {
                *ppv = iface;
                lib_ref(from_lib_tc(iface));
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ltc_AddRef(ITypeComp *iface) {
        return lib_ref(from_lib_tc(iface));
}

static ULONG STDMETHODCALLTYPE ltc_Release(ITypeComp *iface) {
        return lib_unref(from_lib_tc(iface));
}

static HRESULT info_bind(struct tl_info *ti, LPOLESTR name, WORD flags, ITypeInfo **ret_info,
                         DESCKIND *kind, BINDPTR *ptr, int depth);

static HRESULT STDMETHODCALLTYPE ltc_Bind(ITypeComp *iface, LPOLESTR name, ULONG hash, WORD flags,
                                          ITypeInfo **ret_info, DESCKIND *kind, BINDPTR *ptr) {
        struct tlib *lib = from_lib_tc(iface);

        (void)hash;
        if (!name || !ret_info || !kind || !ptr)
                return E_INVALIDARG;
        *ret_info = NULL;
        *kind = DESCKIND_NONE;
        ptr->lptcomp = NULL;
        for (UINT i = 0; i < lib->n_infos; i++) {
                struct tl_info *ti = lib->infos[i];
                if (ti->attr.typekind != TKIND_ENUM && ti->attr.typekind != TKIND_MODULE)
                        continue;
                if (name_eq(name, ti->name)) {
                        *kind = DESCKIND_TYPECOMP;
                        ptr->lptcomp = &ti->ITypeComp_iface;
                        lib_ref(lib);
                        return S_OK;
                }
                HRESULT hr = info_bind(ti, name, flags, ret_info, kind, ptr, 0);
                if (hr < 0 || *kind != DESCKIND_NONE)
                        return hr;
        }
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ltc_BindType(ITypeComp *iface, LPOLESTR name, ULONG hash,
                                              ITypeInfo **ret_info, ITypeComp **ret_comp) {
        struct tlib *lib = from_lib_tc(iface);

        (void)hash;
        if (!name || !ret_info || !ret_comp)
                return E_INVALIDARG;
        *ret_info = NULL;
        *ret_comp = NULL;
        for (UINT i = 0; i < lib->n_infos; i++)
                if (name_eq(name, lib->infos[i]->name)) {
                        *ret_info = &lib->infos[i]->ITypeInfo_iface;
                        lib_ref(lib);
                        return S_OK;
                }
        return S_OK;
}

static const ITypeCompVtbl lib_tcomp_vtbl = {
        ltc_QueryInterface, ltc_AddRef, ltc_Release, ltc_Bind, ltc_BindType,
};

/* ---- ITypeInfo ---- */

static HRESULT STDMETHODCALLTYPE ti_QueryInterface(ITypeInfo *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ITypeInfo)) {
                *ppv = iface;
                lib_ref(from_ti(iface)->lib);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ti_AddRef(ITypeInfo *iface) {
        return lib_ref(from_ti(iface)->lib);
}

static ULONG STDMETHODCALLTYPE ti_Release(ITypeInfo *iface) {
        return lib_unref(from_ti(iface)->lib);
}

static HRESULT STDMETHODCALLTYPE ti_GetTypeAttr(ITypeInfo *iface, TYPEATTR **ret) {
        if (!ret)
                return E_INVALIDARG;
        *ret = &from_ti(iface)->attr;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ti_GetTypeComp(ITypeInfo *iface, ITypeComp **ret) {
        struct tl_info *ti = from_ti(iface);

        if (!ret)
                return E_INVALIDARG;
        *ret = &ti->ITypeComp_iface;
        lib_ref(ti->lib);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ti_GetFuncDesc(ITypeInfo *iface, UINT index, FUNCDESC **ret) {
        struct tl_info *ti = from_ti(iface);

        if (!ret)
                return E_INVALIDARG;
        if (index >= ti->attr.cFuncs)
                return TYPE_E_ELEMENTNOTFOUND;
        *ret = &ti->funcs[index].desc;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ti_GetVarDesc(ITypeInfo *iface, UINT index, VARDESC **ret) {
        struct tl_info *ti = from_ti(iface);

        if (!ret)
                return E_INVALIDARG;
        if (index >= ti->attr.cVars)
                return TYPE_E_ELEMENTNOTFOUND;
        *ret = &ti->vars[index].desc;
        return S_OK;
}

/* The parent interface of an interface (a reference), or NULL. */
static ITypeInfo *parent_of(struct tl_info *ti) {
        ITypeInfo *p = NULL;

        /* a coclass: its first (default) interface, as CreateDispTypeInfo's has it */
        if ((ti->attr.typekind != TKIND_INTERFACE && ti->attr.typekind != TKIND_COCLASS) ||
            !ti->attr.cImplTypes)
                return NULL;
        if (tl_ref_info(ti->lib, ti->impls[0].href, &p) < 0)
                return NULL;
        return p;
}

static HRESULT get_names(struct tl_info *ti, MEMBERID memid, BSTR *names, UINT max, UINT *count,
                         int depth) {
        *count = 0;
        for (UINT i = 0; i < ti->attr.cFuncs; i++) {
                struct tl_func *f = &ti->funcs[i];
                if (f->desc.memid != memid)
                        continue;
                UINT n = 0;
                if (max && copy_out(f->name, &names[n++]) < 0)
                        return E_OUTOFMEMORY;
                for (SHORT k = 0; k < f->desc.cParams && n < max; k++)
                        if (copy_out(f->param_names[k], &names[n++]) < 0)
                                return E_OUTOFMEMORY;
                *count = n;
                return S_OK;
        }
        for (UINT i = 0; i < ti->attr.cVars; i++)
                if (ti->vars[i].desc.memid == memid) {
                        if (max && copy_out(ti->vars[i].name, &names[0]) < 0)
                                return E_OUTOFMEMORY;
                        *count = max ? 1 : 0;
                        return S_OK;
                }
        ITypeInfo *p = depth < MAX_INHERIT ? parent_of(ti) : NULL;
        if (p) {
                HRESULT hr = tl_is_ours(p) ? get_names(from_ti(p), memid, names, max, count, depth + 1)
                                           : p->lpVtbl->GetNames(p, memid, names, max, count);
                p->lpVtbl->Release(p);
                return hr;
        }
        return TYPE_E_ELEMENTNOTFOUND;
}

static HRESULT STDMETHODCALLTYPE ti_GetNames(ITypeInfo *iface, MEMBERID memid, BSTR *names,
                                             UINT max, UINT *count) {
        if (!names || !count)
                return E_INVALIDARG;
        return get_names(from_ti(iface), memid, names, max, count, 0);
}

static HRESULT STDMETHODCALLTYPE ti_GetRefTypeOfImplType(ITypeInfo *iface, UINT index, HREFTYPE *ret) {
        struct tl_info *ti = from_ti(iface);

        if (!ret)
                return E_INVALIDARG;
        if (index == (UINT)-1) {
                /* a dual dispinterface's interface view */
                if (!ti->iface_view)
                        return TYPE_E_ELEMENTNOTFOUND;
                *ret = ti->index * MSFT_TYPEINFO_SIZE | TL_HREF_IFACE_VIEW;
                return S_OK;
        }
        if (index >= ti->attr.cImplTypes)
                return TYPE_E_ELEMENTNOTFOUND;
        *ret = ti->impls[index].href;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ti_GetImplTypeFlags(ITypeInfo *iface, UINT index, INT *ret) {
        struct tl_info *ti = from_ti(iface);

        if (!ret)
                return E_INVALIDARG;
        if (index >= ti->attr.cImplTypes) {
                *ret = 0;
                return TYPE_E_ELEMENTNOTFOUND;
        }
        *ret = ti->attr.typekind == TKIND_COCLASS ? ti->impls[index].flags : 0;
        return S_OK;
}

static HRESULT ids_of_names(struct tl_info *ti, LPOLESTR *names, UINT n, MEMBERID *ids, int depth) {
        for (UINT i = 0; i < ti->attr.cFuncs; i++) {
                struct tl_func *f = &ti->funcs[i];
                if (!name_eq(names[0], f->name))
                        continue;
                HRESULT hr = S_OK;
                ids[0] = f->desc.memid;
                for (UINT k = 1; k < n; k++) {
                        ids[k] = -1;
                        for (SHORT p = 0; p < f->desc.cParams; p++)
                                if (name_eq(names[k], f->param_names[p]))
                                        ids[k] = p;
                        if (ids[k] == -1)
                                hr = DISP_E_UNKNOWNNAME;
                }
                return hr;
        }
        for (UINT i = 0; i < ti->attr.cVars; i++)
                if (name_eq(names[0], ti->vars[i].name)) {
                        ids[0] = ti->vars[i].desc.memid;
                        for (UINT k = 1; k < n; k++)
                                ids[k] = -1;
                        return n > 1 ? DISP_E_UNKNOWNNAME : S_OK;
                }
        ITypeInfo *p = depth < MAX_INHERIT ? parent_of(ti) : NULL;
        if (p) {
                HRESULT hr = tl_is_ours(p) ? ids_of_names(from_ti(p), names, n, ids, depth + 1)
                                           : p->lpVtbl->GetIDsOfNames(p, names, n, ids);
                p->lpVtbl->Release(p);
                return hr;
        }
        for (UINT k = 0; k < n; k++)
                ids[k] = -1;
        return DISP_E_UNKNOWNNAME;
}

static HRESULT STDMETHODCALLTYPE ti_GetIDsOfNames(ITypeInfo *iface, LPOLESTR *names, UINT n,
                                                  MEMBERID *ids) {
        if (!names || !ids || !n)
                return E_INVALIDARG;
        for (UINT i = 0; i < n; i++)
                if (!names[i])
                        return E_INVALIDARG;
        return ids_of_names(from_ti(iface), names, n, ids, 0);
}

static HRESULT STDMETHODCALLTYPE ti_Invoke(ITypeInfo *iface, PVOID instance, MEMBERID memid,
                                           WORD flags, DISPPARAMS *params, VARIANT *result,
                                           EXCEPINFO *excep, UINT *arg_err) {
        return tl_invoke(from_ti(iface), instance, memid, flags, params, result, excep, arg_err);
}

static HRESULT STDMETHODCALLTYPE ti_GetDocumentation(ITypeInfo *iface, MEMBERID memid, BSTR *name,
                                                     BSTR *doc, DWORD *ctx, BSTR *file) {
        struct tl_info *ti = from_ti(iface);
        BSTR help_file = ti->lib->help_file;

        if (memid == -1)        /* MEMBERID_NIL: the type itself */
                return documentation(ti->name, ti->doc, ti->help_ctx, help_file, name, doc, ctx,
                                     file);
        for (UINT i = 0; i < ti->attr.cFuncs; i++)
                if (ti->funcs[i].desc.memid == memid)
                        return documentation(ti->funcs[i].name, ti->funcs[i].doc,
                                             ti->funcs[i].help_ctx, help_file, name, doc, ctx, file);
        for (UINT i = 0; i < ti->attr.cVars; i++)
                if (ti->vars[i].desc.memid == memid)
                        return documentation(ti->vars[i].name, ti->vars[i].doc,
                                             ti->vars[i].help_ctx, help_file, name, doc, ctx, file);
        ITypeInfo *p = parent_of(ti);
        if (p) {
                HRESULT hr = p->lpVtbl->GetDocumentation(p, memid, name, doc, ctx, file);
                p->lpVtbl->Release(p);
                return hr;
        }
        return TYPE_E_ELEMENTNOTFOUND;
}

static HRESULT STDMETHODCALLTYPE ti_GetDllEntry(ITypeInfo *iface, MEMBERID memid, INVOKEKIND kind,
                                                BSTR *dll, BSTR *name, WORD *ordinal) {
        (void)iface; (void)memid; (void)kind; (void)dll; (void)name; (void)ordinal;
        return TYPE_E_BADMODULEKIND;    /* modules (DLL entry points) have no meaning here */
}

static HRESULT STDMETHODCALLTYPE ti_GetRefTypeInfo(ITypeInfo *iface, HREFTYPE href, ITypeInfo **ret) {
        if (!ret)
                return E_INVALIDARG;
        return tl_ref_info(from_ti(iface)->lib, href, ret);
}

static HRESULT STDMETHODCALLTYPE ti_AddressOfMember(ITypeInfo *iface, MEMBERID memid,
                                                    INVOKEKIND kind, PVOID *ret) {
        (void)iface; (void)memid; (void)kind;
        if (ret)
                *ret = NULL;
        return TYPE_E_BADMODULEKIND;
}

static HRESULT STDMETHODCALLTYPE ti_CreateInstance(ITypeInfo *iface, IUnknown *outer, REFIID riid,
                                                   PVOID *ret) {
        struct tl_info *ti = from_ti(iface);

        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (ti->attr.typekind != TKIND_COCLASS)
                return TYPE_E_WRONGTYPEKIND;
        return CoCreateInstance(&ti->attr.guid, outer, CLSCTX_ALL, riid, ret);
}

static HRESULT STDMETHODCALLTYPE ti_GetMops(ITypeInfo *iface, MEMBERID memid, BSTR *ret) {
        (void)iface; (void)memid;
        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ti_GetContainingTypeLib(ITypeInfo *iface, ITypeLib **ret,
                                                         UINT *index) {
        struct tl_info *ti = from_ti(iface);

        if (index)
                *index = ti->index;
        if (ret) {
                *ret = &ti->lib->ITypeLib_iface;
                lib_ref(ti->lib);
        }
        return S_OK;
}

static void STDMETHODCALLTYPE ti_ReleaseTypeAttr(ITypeInfo *iface, TYPEATTR *p) {
        (void)iface; (void)p;
}

static void STDMETHODCALLTYPE ti_ReleaseFuncDesc(ITypeInfo *iface, FUNCDESC *p) {
        (void)iface; (void)p;
}

static void STDMETHODCALLTYPE ti_ReleaseVarDesc(ITypeInfo *iface, VARDESC *p) {
        (void)iface; (void)p;
}

static const ITypeInfoVtbl tinfo_vtbl = {
        ti_QueryInterface, ti_AddRef, ti_Release, ti_GetTypeAttr, ti_GetTypeComp, ti_GetFuncDesc,
        ti_GetVarDesc, ti_GetNames, ti_GetRefTypeOfImplType, ti_GetImplTypeFlags,
        ti_GetIDsOfNames, ti_Invoke, ti_GetDocumentation, ti_GetDllEntry, ti_GetRefTypeInfo,
        ti_AddressOfMember, ti_CreateInstance, ti_GetMops, ti_GetContainingTypeLib,
        ti_ReleaseTypeAttr, ti_ReleaseFuncDesc, ti_ReleaseVarDesc,
};

bool tl_is_ours(ITypeInfo *iface) {
        return iface && iface->lpVtbl == &tinfo_vtbl;
}

struct tl_info *tl_info_from_iface(ITypeInfo *iface) {
        return tl_is_ours(iface) ? from_ti(iface) : NULL;
}

/* ---- ITypeComp of a type: its members (and an interface's parents') ---- */

static HRESULT STDMETHODCALLTYPE itc_QueryInterface(ITypeComp *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ITypeComp)) {
                *ppv = iface;
                lib_ref(from_info_tc(iface)->lib);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE itc_AddRef(ITypeComp *iface) {
        return lib_ref(from_info_tc(iface)->lib);
}

static ULONG STDMETHODCALLTYPE itc_Release(ITypeComp *iface) {
        return lib_unref(from_info_tc(iface)->lib);
}

static HRESULT info_bind(struct tl_info *ti, LPOLESTR name, WORD flags, ITypeInfo **ret_info,
                         DESCKIND *kind, BINDPTR *ptr, int depth) {
        bool other_kind = false;

        for (UINT i = 0; i < ti->attr.cFuncs; i++) {
                struct tl_func *f = &ti->funcs[i];
                if (!name_eq(name, f->name))
                        continue;
                if (flags && !(flags & f->desc.invkind)) {
                        other_kind = true;
                        continue;
                }
                *kind = DESCKIND_FUNCDESC;
                ptr->lpfuncdesc = &f->desc;
                *ret_info = &ti->ITypeInfo_iface;
                lib_ref(ti->lib);
                return S_OK;
        }
        for (UINT i = 0; i < ti->attr.cVars; i++)
                if (name_eq(name, ti->vars[i].name)) {
                        *kind = DESCKIND_VARDESC;
                        ptr->lpvardesc = &ti->vars[i].desc;
                        *ret_info = &ti->ITypeInfo_iface;
                        lib_ref(ti->lib);
                        return S_OK;
                }
        if (other_kind)
                return TYPE_E_TYPEMISMATCH;
        ITypeInfo *p = depth < MAX_INHERIT ? parent_of(ti) : NULL;
        if (p) {
                HRESULT hr = S_OK;
                if (tl_is_ours(p))
                        hr = info_bind(from_ti(p), name, flags, ret_info, kind, ptr, depth + 1);
                p->lpVtbl->Release(p);
                return hr;
        }
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE itc_Bind(ITypeComp *iface, LPOLESTR name, ULONG hash, WORD flags,
                                          ITypeInfo **ret_info, DESCKIND *kind, BINDPTR *ptr) {
        (void)hash;
        if (!name || !ret_info || !kind || !ptr)
                return E_INVALIDARG;
        *ret_info = NULL;
        *kind = DESCKIND_NONE;
        ptr->lptcomp = NULL;
        return info_bind(from_info_tc(iface), name, flags, ret_info, kind, ptr, 0);
}

static HRESULT STDMETHODCALLTYPE itc_BindType(ITypeComp *iface, LPOLESTR name, ULONG hash,
                                              ITypeInfo **ret_info, ITypeComp **ret_comp) {
        (void)iface; (void)hash;
        if (!name || !ret_info || !ret_comp)
                return E_INVALIDARG;
        *ret_info = NULL;       /* a type has no nested types */
        *ret_comp = NULL;
        return S_OK;
}

static const ITypeCompVtbl info_tcomp_vtbl = {
        itc_QueryInterface, itc_AddRef, itc_Release, itc_Bind, itc_BindType,
};

/* ---- construction ---- */

struct tlib *tl_lib_new(void) {
        struct tlib *lib = dcom_calloc(1, sizeof *lib);

        if (!lib)
                return NULL;
        lib->ITypeLib_iface.lpVtbl = &tlib_vtbl;
        lib->ITypeComp_iface.lpVtbl = &lib_tcomp_vtbl;
        atomic_init(&lib->refs, 1);
        lib->dispatch_href = (HREFTYPE)-1;
        return lib;
}

struct tl_info *tl_info_new(struct tlib *lib) {
        struct tl_info *ti = tl_alloc(lib, sizeof *ti);

        if (!ti)
                return NULL;
        ti->ITypeInfo_iface.lpVtbl = &tinfo_vtbl;
        ti->ITypeComp_iface.lpVtbl = &info_tcomp_vtbl;
        ti->lib = lib;
        return ti;
}

/* ---- references ---- */

/*
 * The imported library is looked up once and kept (libraries importing each other keep
 * each other alive: a cycle this does not break).
 */
static HRESULT import_info(struct tlib *lib, struct tl_import *imp, ITypeInfo **ret) {
        ITypeLib *other = atomic_load(&imp->loaded), *expected = NULL;
        HRESULT hr;

        if (other) {
                if (imp->by_guid)
                        return other->lpVtbl->GetTypeInfoOfGuid(other, &imp->guid, ret);
                return other->lpVtbl->GetTypeInfo(other, imp->index, ret);
        }
        if (IsEqualGUID(&imp->lib_guid, &LIBID_stdole2)) {
                struct tlib *std = NULL;        /* (gcc -O3 cannot tell it is set) */
                if ((hr = tl_stdole_dispatch(&std)) < 0)
                        return hr;
                other = &std->ITypeLib_iface;
        } else if ((hr = LoadRegTypeLib(&imp->lib_guid, imp->major, imp->minor, imp->lcid,
                                        &other)) < 0) {
                return TYPE_E_CANTLOADLIBRARY;
        }
        if (imp->by_guid)
                hr = other->lpVtbl->GetTypeInfoOfGuid(other, &imp->guid, ret);
        else
                hr = other->lpVtbl->GetTypeInfo(other, imp->index, ret);
        if (!atomic_compare_exchange_strong(&imp->loaded, &expected, other))
                other->lpVtbl->Release(other);  /* another thread's is kept */
        (void)lib;
        return hr;
}

HRESULT tl_ref_info(struct tlib *lib, HREFTYPE href, ITypeInfo **ret) {
        *ret = NULL;
        if ((href & 3) == 0 || (href & 3) == TL_HREF_IFACE_VIEW) {
                UINT i = href / MSFT_TYPEINFO_SIZE;
                if (href % MSFT_TYPEINFO_SIZE != (href & 3) || i >= lib->n_infos)
                        return TYPE_E_ELEMENTNOTFOUND;
                struct tl_info *ti = lib->infos[i];
                if ((href & 3) == TL_HREF_IFACE_VIEW) {
                        if (!ti->iface_view)
                                return TYPE_E_ELEMENTNOTFOUND;
                        ti = ti->iface_view;
                }
                *ret = &ti->ITypeInfo_iface;
                lib_ref(lib);
                return S_OK;
        }
        if ((href & 3) == 1 && (href - 1) % 12 == 0 && (href - 1) / 12 < lib->n_imports)
                return import_info(lib, &lib->imports[(href - 1) / 12], ret);
        return TYPE_E_ELEMENTNOTFOUND;
}

/*
 * A dual interface's dispatch function: FUNC_DISPATCH; an HRESULT return dropped, the
 * last parameter if [retval] become the return type (its pointer removed).
 */
static void dispatch_view_func(struct tl_func *f) {
        FUNCDESC *fd = &f->desc;

        fd->funckind = FUNC_DISPATCH;
        fd->callconv = CC_STDCALL;
        fd->oVft = 0;
        if (fd->elemdescFunc.tdesc.vt == VT_HRESULT) {
                ELEMDESC *last = fd->cParams ? &fd->lprgelemdescParam[fd->cParams - 1] : NULL;
                memset(&fd->elemdescFunc, 0, sizeof fd->elemdescFunc);
                fd->elemdescFunc.tdesc.vt = VT_VOID;
                if (last && (last->paramdesc.wParamFlags & PARAMFLAG_FRETVAL) &&
                    last->tdesc.vt == VT_PTR && last->tdesc.lptdesc) {
                        fd->elemdescFunc.tdesc = *last->tdesc.lptdesc;
                        fd->cParams--;
                }
        }
}

/* Appends the functions of the interface href names and of its parents, eldest first. */
static HRESULT append_vtable(struct tlib *lib, struct tl_info *from, HREFTYPE href,
                             struct tl_func **funcs, UINT *n, int depth) {
        ITypeInfo *p;
        struct tl_info *pi;
        HRESULT hr;

        if (depth >= MAX_INHERIT)
                return TYPE_E_CANTLOADLIBRARY;
        if ((hr = tl_ref_info(from->lib, href, &p)) < 0)
                return hr;
        pi = tl_info_from_iface(p);
        if (!pi) {              /* not ours: not described here */
                p->lpVtbl->Release(p);
                return TYPE_E_CANTLOADLIBRARY;
        }
        if (pi->iface_view)
                pi = pi->iface_view;
        if (pi->attr.typekind != TKIND_INTERFACE) {
                p->lpVtbl->Release(p);
                return TYPE_E_CANTLOADLIBRARY;
        }
        if (pi->attr.cImplTypes &&
            (hr = append_vtable(lib, pi, pi->impls[0].href, funcs, n, depth + 1)) < 0)
                goto out;
        if (pi->attr.cFuncs) {
                struct tl_func *f = dcom_reallocarray(*funcs, *n + pi->attr.cFuncs, sizeof *f);
                if (!f) {
                        hr = E_OUTOFMEMORY;
                        goto out;
                }
                memcpy(f + *n, pi->funcs, pi->attr.cFuncs * sizeof *f);
                *funcs = f;
                *n += pi->attr.cFuncs;
        }
        if (pi->lib != lib)
                hr = lib_hold(lib, p);
out:
        p->lpVtbl->Release(p);
        return hr;
}

HRESULT tl_dual_views(struct tlib *lib, struct tl_info *ti) {
        struct tl_info *iv = tl_info_new(lib);

        if (!iv)
                return E_OUTOFMEMORY;
        /* the interface view owns the members as the file has them */
        *iv = *ti;
        iv->ITypeInfo_iface.lpVtbl = &tinfo_vtbl;
        iv->ITypeComp_iface.lpVtbl = &info_tcomp_vtbl;
        iv->name = SysAllocStringLen(ti->name, SysStringLen(ti->name));
        iv->doc = ti->doc ? SysAllocStringLen(ti->doc, SysStringLen(ti->doc)) : NULL;
        if (!iv->name || (ti->doc && !iv->doc)) {
                SysFreeString(iv->name);
                SysFreeString(iv->doc);
                return E_OUTOFMEMORY;
        }
        iv->attr.typekind = TKIND_INTERFACE;
        iv->is_iface_view = true;
        iv->iface_view = NULL;
        ti->iface_view = iv;
        ti->funcs = NULL;
        ti->vars = NULL;
        ti->attr.cFuncs = 0;
        ti->attr.cVars = 0;
        return S_OK;
}

/* The dispinterface view's functions, once every type of lib is read (see the top). */
HRESULT tl_dual_dispatch_funcs(struct tlib *lib, struct tl_info *ti) {
        struct tl_info *iv = ti->iface_view;
        struct tl_func *funcs = NULL, *own;
        UINT n = 0;
        HRESULT hr;

        if (iv->attr.cImplTypes &&
            (hr = append_vtable(lib, iv, iv->impls[0].href, &funcs, &n, 0)) < 0) {
                dcom_free(funcs);
                if (hr == E_OUTOFMEMORY)
                        return hr;
                /*
                 * a parent we cannot read (its library not registered): the
                 * dispinterface shows the interface's own functions only
                 */
                funcs = NULL;
                n = 0;
        }
        if (n + iv->attr.cFuncs > 0xffff || !(own = tl_alloc(lib, (n + iv->attr.cFuncs) * sizeof *own))) {
                dcom_free(funcs);
                return E_OUTOFMEMORY;
        }
        if (n)
                memcpy(own, funcs, n * sizeof *own);
        if (iv->attr.cFuncs)
                memcpy(own + n, iv->funcs, iv->attr.cFuncs * sizeof *own);
        dcom_free(funcs);
        n += iv->attr.cFuncs;
        for (UINT i = 0; i < n; i++)
                dispatch_view_func(&own[i]);
        ti->funcs = own;
        ti->attr.cFuncs = (WORD)n;
        ti->attr.cbSizeVft = 7 * sizeof(void *);
        ti->attr.wTypeFlags &= (WORD)~TYPEFLAG_FOLEAUTOMATION;
        /* the dispinterface implements IDispatch */
        if (lib->dispatch_href != (HREFTYPE)-1) {
                ti->impls = tl_alloc(lib, sizeof *ti->impls);
                if (!ti->impls)
                        return E_OUTOFMEMORY;
                ti->impls[0].href = lib->dispatch_href;
                ti->attr.cImplTypes = 1;
        }
        return S_OK;
}

/* ---- stdole2's IUnknown and IDispatch ---- */

struct std_param {
        const char *name;
        VARTYPE vt, ptr_to;     /* ptr_to: VT_PTR to this */
        USHORT flags;
};

struct std_func {
        const char *name;
        MEMBERID memid;
        VARTYPE ret;
        struct std_param params[8];
};

static const struct std_func unknown_funcs[] = {
        { "QueryInterface", 0x60000000, VT_HRESULT,
          { { "riid", VT_PTR, VT_USERDEFINED, PARAMFLAG_FIN },
            { "ppvObj", VT_PTR, VT_PTR, PARAMFLAG_FOUT } } },
        { "AddRef", 0x60000001, VT_UI4, { { 0 } } },
        { "Release", 0x60000002, VT_UI4, { { 0 } } },
};

static const struct std_func dispatch_funcs[] = {
        { "GetTypeInfoCount", 0x60010000, VT_HRESULT,
          { { "pctinfo", VT_PTR, VT_UINT, PARAMFLAG_FOUT } } },
        { "GetTypeInfo", 0x60010001, VT_HRESULT,
          { { "itinfo", VT_UINT, 0, PARAMFLAG_FIN }, { "lcid", VT_UI4, 0, PARAMFLAG_FIN },
            { "pptinfo", VT_PTR, VT_PTR, PARAMFLAG_FOUT } } },
        { "GetIDsOfNames", 0x60010002, VT_HRESULT,
          { { "riid", VT_PTR, VT_USERDEFINED, PARAMFLAG_FIN },
            { "rgszNames", VT_PTR, VT_PTR, PARAMFLAG_FIN },
            { "cNames", VT_UINT, 0, PARAMFLAG_FIN }, { "lcid", VT_UI4, 0, PARAMFLAG_FIN },
            { "rgdispid", VT_PTR, VT_I4, PARAMFLAG_FOUT } } },
        { "Invoke", 0x60010003, VT_HRESULT,
          { { "dispidMember", VT_I4, 0, PARAMFLAG_FIN },
            { "riid", VT_PTR, VT_USERDEFINED, PARAMFLAG_FIN },
            { "lcid", VT_UI4, 0, PARAMFLAG_FIN }, { "wFlags", VT_UI2, 0, PARAMFLAG_FIN },
            { "pdispparams", VT_PTR, VT_USERDEFINED, PARAMFLAG_FIN },
            { "pvarResult", VT_PTR, VT_VARIANT, PARAMFLAG_FOUT },
            { "pexcepinfo", VT_PTR, VT_USERDEFINED, PARAMFLAG_FOUT },
            { "puArgErr", VT_PTR, VT_UINT, PARAMFLAG_FOUT } } },
};

static HRESULT bstr_ascii(const char *s, BSTR *ret) {
        size_t n = strlen(s);
        BSTR b = SysAllocStringLen(NULL, (UINT)n);

        if (!b)
                return E_OUTOFMEMORY;
        for (size_t i = 0; i < n; i++)
                b[i] = (OLECHAR)s[i];
        *ret = b;
        return S_OK;
}

static HRESULT std_info(struct tlib *lib, UINT index, const char *name, const GUID *iid,
                        const struct std_func *fs, UINT n, UINT vft_base) {
        struct tl_info *ti = tl_info_new(lib);
        HRESULT hr;

        if (!ti)
                return E_OUTOFMEMORY;
        lib->infos[index] = ti;
        lib->n_infos = index + 1;
        ti->index = index;
        ti->attr.guid = *iid;
        ti->attr.typekind = TKIND_INTERFACE;
        ti->attr.memidConstructor = ti->attr.memidDestructor = -1;
        ti->attr.cbSizeInstance = sizeof(void *);
        ti->attr.cbAlignment = sizeof(void *);
        ti->attr.cbSizeVft = (WORD)((vft_base + n) * sizeof(void *));
        ti->attr.wMajorVerNum = 0;
        ti->attr.wTypeFlags = TYPEFLAG_FHIDDEN;
        if ((hr = bstr_ascii(name, &ti->name)) < 0)
                return hr;
        if (index) {            /* IDispatch : IUnknown */
                if (!(ti->impls = tl_alloc(lib, sizeof *ti->impls)))
                        return E_OUTOFMEMORY;
                ti->attr.cImplTypes = 1;
                ti->impls[0].href = 0;
        }
        if (!(ti->funcs = tl_alloc(lib, n * sizeof *ti->funcs)))
                return E_OUTOFMEMORY;
        ti->attr.cFuncs = (WORD)n;
        for (UINT i = 0; i < n; i++) {
                struct tl_func *f = &ti->funcs[i];
                SHORT np = 0;
                while (np < 8 && fs[i].params[np].name)
                        np++;
                f->desc.memid = fs[i].memid;
                f->desc.funckind = FUNC_PUREVIRTUAL;
                f->desc.invkind = INVOKE_FUNC;
                f->desc.callconv = CC_STDCALL;
                f->desc.cParams = np;
                f->desc.oVft = (SHORT)((vft_base + i) * sizeof(void *));
                f->desc.wFuncFlags = FUNCFLAG_FRESTRICTED;
                f->desc.elemdescFunc.tdesc.vt = fs[i].ret;
                if ((hr = bstr_ascii(fs[i].name, &f->name)) < 0)
                        return hr;
                if (!np)
                        continue;
                f->desc.lprgelemdescParam = tl_alloc(lib, np * sizeof(ELEMDESC));
                f->param_names = tl_alloc(lib, np * sizeof(BSTR));
                if (!f->desc.lprgelemdescParam || !f->param_names)
                        return E_OUTOFMEMORY;
                for (SHORT k = 0; k < np; k++) {
                        const struct std_param *sp = &fs[i].params[k];
                        ELEMDESC *ed = &f->desc.lprgelemdescParam[k];
                        ed->tdesc.vt = sp->vt;
                        ed->paramdesc.wParamFlags = sp->flags;
                        if (sp->vt == VT_PTR) {
                                if (!(ed->tdesc.lptdesc = tl_alloc(lib, sizeof(TYPEDESC))))
                                        return E_OUTOFMEMORY;
                                ed->tdesc.lptdesc->vt = sp->ptr_to;
                                if (sp->ptr_to == VT_PTR) {
                                        if (!(ed->tdesc.lptdesc->lptdesc = tl_alloc(lib, sizeof(TYPEDESC))))
                                                return E_OUTOFMEMORY;
                                        ed->tdesc.lptdesc->lptdesc->vt = VT_VOID;
                                }
                        }
                        if ((hr = bstr_ascii(sp->name, &f->param_names[k])) < 0)
                                return hr;
                }
        }
        return S_OK;
}

static struct tlib *stdole;
static HRESULT stdole_hr;

static void stdole_init(void) {
        struct tlib *lib = tl_lib_new();
        HRESULT hr;

        if (!lib) {
                stdole_hr = E_OUTOFMEMORY;
                return;
        }
        lib->attr.guid = LIBID_stdole2;
        lib->attr.syskind = sizeof(void *) == 8 ? SYS_WIN64 : SYS_WIN32;
        lib->attr.wMajorVerNum = 2;
        if (!(lib->infos = tl_alloc(lib, 2 * sizeof *lib->infos)))
                hr = E_OUTOFMEMORY;
        else if ((hr = bstr_ascii("stdole", &lib->name)) >= 0 &&
                 (hr = std_info(lib, 0, "IUnknown", &IID_IUnknown, unknown_funcs, 3, 0)) >= 0)
                hr = std_info(lib, 1, "IDispatch", &IID_IDispatch, dispatch_funcs, 4, 3);
        if (hr < 0) {
                lib_free(lib);
                stdole_hr = hr;
                return;
        }
        stdole = lib;   /* kept for the process's life */
}

HRESULT tl_stdole_dispatch(struct tlib **ret) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, stdole_init);
        if (!stdole)
                return stdole_hr;
        lib_ref(stdole);
        *ret = stdole;
        return S_OK;
}
