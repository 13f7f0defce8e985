/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Late-bound calls through a type description: ITypeInfo::Invoke, and the IDispatch
 * helpers built on it -- DispGetIDsOfNames, DispInvoke, CreateStdDispatch and
 * CreateDispTypeInfo -- with Windows' behaviour (Wine's dlls/oleaut32/tests record it):
 *   - arguments come last first in rgvarg, named ones (by parameter index, or
 *     DISPID_PROPERTYPUT for a property's new value) first; each is coerced to its
 *     parameter's type with VariantChangeType (DISP_E_TYPEMISMATCH, DISP_E_OVERFLOW:
 *     *puArgErr names it);
 *   - more arguments than parameters, or a required one missing: DISP_E_BADPARAMCOUNT;
 *     an [optional] VARIANT left out gets VT_ERROR/DISP_E_PARAMNOTFOUND, a
 *     [defaultvalue] its value; a named argument naming no parameter:
 *     DISP_E_PARAMNOTFOUND;
 *   - [lcid] parameters get the locale, a [retval] one becomes *pVarResult;
 *   - a record parameter (a pointer to a TKIND_RECORD) takes a VT_RECORD argument of its
 *     type (by value or reference: the callee gets the argument's record), else
 *     DISP_E_TYPEMISMATCH; a [retval] record comes back as a VT_RECORD of its own;
 *     records by value (not a pointer) are DISP_E_BADVARTYPE;
 *   - an unknown member, or one without the asked-for kind (method, get, put):
 *     DISP_E_MEMBERNOTFOUND;
 *   - a method that fails: DISP_E_EXCEPTION, its HRESULT in EXCEPINFO.scode and the
 *     error object it left (SetErrorInfo) in the rest of EXCEPINFO.
 * The call itself goes through the object's vtable with the platform's C calling
 * convention (what STDMETHODCALLTYPE is here): see push_*() and oa_call_run() -- x86-64
 * System V and AArch64 (AAPCS64); on other machines Invoke answers E_NOTIMPL.
 */
#include <string.h>

#include <objbase.h>

#include "oleaut/typelib-internal.h"

#define MAX_DEPTH 16
#define LOCALE_USER_DEFAULT_ 0x0400

/* ---- types ---- */

/* What a parameter is to the caller: a VARTYPE, and whether it is passed by reference. */
struct ptype {
        VARTYPE vt;
        bool byref;
};

/* vt of a user-defined type: an enum's is VT_I4, an alias's its type, an interface's... */
static HRESULT userdefined_vt(struct tl_info *ti, HREFTYPE href, VARTYPE *ret, int depth);

static HRESULT base_vt(struct tl_info *ti, const TYPEDESC *td, VARTYPE *ret, int depth) {
        if (depth > MAX_DEPTH)
                return DISP_E_BADVARTYPE;
        switch (td->vt) {
        case VT_USERDEFINED:
                return userdefined_vt(ti, td->hreftype, ret, depth + 1);
        case VT_SAFEARRAY: {
                VARTYPE elem;
                HRESULT hr = base_vt(ti, td->lptdesc, &elem, depth + 1);
                if (hr < 0)
                        return hr;
                *ret = VT_ARRAY | elem;
                return S_OK;
        }
        case VT_PTR:
                /* a pointer to an interface is the interface (VT_UNKNOWN/VT_DISPATCH) */
                if (td->lptdesc->vt == VT_USERDEFINED) {
                        VARTYPE vt;
                        HRESULT hr = userdefined_vt(ti, td->lptdesc->hreftype, &vt, depth + 1);
                        if (hr >= 0 && (vt == VT_UNKNOWN || vt == VT_DISPATCH)) {
                                *ret = vt;
                                return S_OK;
                        }
                }
                return DISP_E_BADVARTYPE;
        case VT_I1: case VT_UI1: case VT_I2: case VT_UI2: case VT_I4: case VT_UI4:
        case VT_I8: case VT_UI8: case VT_INT: case VT_UINT: case VT_R4: case VT_R8:
        case VT_CY: case VT_DATE: case VT_BSTR: case VT_DISPATCH: case VT_UNKNOWN:
        case VT_ERROR: case VT_BOOL: case VT_VARIANT: case VT_DECIMAL: case VT_VOID:
                *ret = td->vt;
                return S_OK;
        case VT_HRESULT:
                *ret = VT_ERROR;
                return S_OK;
        default:
                return DISP_E_BADVARTYPE;
        }
}

static HRESULT userdefined_vt(struct tl_info *ti, HREFTYPE href, VARTYPE *ret, int depth) {
        ITypeInfo *ref;
        TYPEATTR *ta;
        HRESULT hr;

        if ((hr = tl_ref_info(ti->lib, href, &ref)) < 0)
                return hr;
        if ((hr = ref->lpVtbl->GetTypeAttr(ref, &ta)) < 0)
                goto out;
        switch (ta->typekind) {
        case TKIND_ENUM:
                *ret = VT_I4;
                break;
        case TKIND_ALIAS: {
                struct tl_info *ai = tl_info_from_iface(ref);
                hr = ai ? base_vt(ai, &ta->tdescAlias, ret, depth + 1) : DISP_E_BADVARTYPE;
                break;
        }
        case TKIND_INTERFACE:
                *ret = (ta->wTypeFlags & TYPEFLAG_FDUAL) ? VT_DISPATCH : VT_UNKNOWN;
                if (IsEqualGUID(&ta->guid, &IID_IDispatch))
                        *ret = VT_DISPATCH;
                break;
        case TKIND_DISPATCH:
                *ret = VT_DISPATCH;
                break;
        case TKIND_COCLASS:
                *ret = VT_UNKNOWN;
                break;
        case TKIND_RECORD:
                *ret = VT_RECORD;
                break;
        default:
                hr = DISP_E_BADVARTYPE;         /* unions */
                break;
        }
        ref->lpVtbl->ReleaseTypeAttr(ref, ta);
out:
        ref->lpVtbl->Release(ref);
        return hr;
}

/* The IRecordInfo of the record a parameter (a pointer to it) describes. */
static HRESULT param_recinfo(struct tl_info *ti, const TYPEDESC *td, IRecordInfo **ret) {
        ITypeInfo *ref;
        HRESULT hr;

        if (td->vt == VT_PTR)
                td = td->lptdesc;
        if (!td || td->vt != VT_USERDEFINED)
                return DISP_E_BADVARTYPE;
        if ((hr = tl_ref_info(ti->lib, td->hreftype, &ref)) < 0)
                return hr;
        hr = GetRecordInfoFromTypeInfo(ref, ret);       /* an alias of one too */
        ref->lpVtbl->Release(ref);
        return hr;
}

static HRESULT param_type(struct tl_info *ti, const TYPEDESC *td, struct ptype *ret) {
        ret->byref = false;
        if (td->vt == VT_PTR && base_vt(ti, td, &ret->vt, 0) < 0) {
                /* a true pointer: to a value the callee reads or writes */
                ret->byref = true;
                return base_vt(ti, td->lptdesc, &ret->vt, 0);
        }
        return base_vt(ti, td, &ret->vt, 0);
}

/* ---- finding the function ---- */

/*
 * The function of the interface (or its parents) with memid and one of the kinds in
 * flags; *ret_owner the type description it is in.  DISP_E_MEMBERNOTFOUND otherwise.
 */
static HRESULT find_func(struct tl_info *ti, MEMBERID memid, WORD flags, struct tl_info **ret_owner,
                         const FUNCDESC **ret, ITypeInfo **hold, int depth) {
        ITypeInfo *p;
        HRESULT hr;

        for (UINT i = 0; i < ti->attr.cFuncs; i++) {
                const FUNCDESC *fd = &ti->funcs[i].desc;
                if (fd->memid == memid && (fd->invkind & flags)) {
                        *ret_owner = ti;
                        *ret = fd;
                        return S_OK;
                }
        }
        if (depth >= MAX_DEPTH || ti->attr.typekind != TKIND_INTERFACE || !ti->attr.cImplTypes ||
            tl_ref_info(ti->lib, ti->impls[0].href, &p) < 0)
                return DISP_E_MEMBERNOTFOUND;
        struct tl_info *pi = tl_info_from_iface(p);
        if (pi && pi->iface_view)
                pi = pi->iface_view;
        hr = pi ? find_func(pi, memid, flags, ret_owner, ret, hold, depth + 1) : DISP_E_MEMBERNOTFOUND;
        if (hr >= 0 && !*hold)
                *hold = p;      /* keeps the parent's library alive during the call */
        else
                p->lpVtbl->Release(p);
        return hr;
}

/* ---- Invoke ---- */

/* A missing [optional] VARIANT argument: [MS-OAUT] 2.2.29.2 VT_ERROR, DISP_E_PARAMNOTFOUND */
static bool is_missing(const VARIANT *v) {
        return V_VT(v) == VT_ERROR && V_ERROR(v) == DISP_E_PARAMNOTFOUND;
}

static void fill_excepinfo(EXCEPINFO *e, HRESULT scode) {
        IErrorInfo *ei = NULL;

        memset(e, 0, sizeof *e);
        e->scode = scode;
        if (GetErrorInfo(0, &ei) != S_OK || !ei)
                return;
        ei->lpVtbl->GetSource(ei, &e->bstrSource);
        ei->lpVtbl->GetDescription(ei, &e->bstrDescription);
        ei->lpVtbl->GetHelpFile(ei, &e->bstrHelpFile);
        ei->lpVtbl->GetHelpContext(ei, &e->dwHelpContext);
        ei->lpVtbl->Release(ei);
}

/* Where a value of type vt sits in a VARIANT (its union). */
static void *value_of(VARIANT *v) {
        return &V_UI1(v);
}

static HRESULT push_value(struct oa_call *c, VARTYPE vt, VARIANT *v) {
        switch (vt) {
        case VT_I1: oa_call_push_int(c, (uint64_t)(int64_t)V_I1(v)); break;
        case VT_UI1: oa_call_push_int(c, V_UI1(v)); break;
        case VT_I2: oa_call_push_int(c, (uint64_t)(int64_t)V_I2(v)); break;
        case VT_BOOL: oa_call_push_int(c, (uint64_t)(int64_t)V_BOOL(v)); break;
        case VT_UI2: oa_call_push_int(c, V_UI2(v)); break;
        case VT_I4: case VT_INT: case VT_ERROR: oa_call_push_int(c, (uint64_t)(int64_t)V_I4(v)); break;
        case VT_UI4: case VT_UINT: oa_call_push_int(c, V_UI4(v)); break;
        case VT_I8: case VT_UI8: case VT_CY: oa_call_push_int(c, V_UI8(v)); break;
        case VT_R4: {
                uint64_t bits = 0;
                memcpy(&bits, &V_R4(v), sizeof(float));
                oa_call_push_fp(c, bits);
                break;
        }
        case VT_R8: case VT_DATE: {
                uint64_t bits;
                memcpy(&bits, &V_R8(v), sizeof bits);
                oa_call_push_fp(c, bits);
                break;
        }
        case VT_BSTR: case VT_UNKNOWN: case VT_DISPATCH:
                oa_call_push_int(c, (uint64_t)(uintptr_t)V_BYREF(v));
                break;
        case VT_EMPTY: case VT_NULL: case VT_HRESULT: case VT_PTR: case VT_INT_PTR:
        case VT_UINT_PTR: case VT_LPSTR: case VT_LPWSTR:
                /* no value of its own kind in a VARIANT (DispCallFunc's): its eight bytes */
                oa_call_push_int(c, V_UI8(v));
                break;
        case VT_DECIMAL:
                oa_call_push_pair(c, &V_DECIMAL(v));
                break;
        case VT_VARIANT: {
#if OA_VARIANT_BY_REFERENCE
                oa_call_push_int(c, (uint64_t)(uintptr_t)v);
#else
                uint64_t w[sizeof(VARIANT) / 8];
                memcpy(w, v, sizeof w);
                for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
                        oa_call_push_stack(c, w[i]);
#endif
                break;
        }
        default:
                if (vt & VT_ARRAY) {
                        oa_call_push_int(c, (uint64_t)(uintptr_t)V_ARRAY(v));
                        break;
                }
                return DISP_E_BADVARTYPE;
        }
        return S_OK;
}

struct arg_state {
        VARIANT *temps;         /* one per parameter: coerced values, retval */
        UINT n;
};

/*
 * The argument for parameter k (vis: its place among the parameters the caller sees),
 * or NULL when the caller left it out; *ret_idx its index in rgvarg.
 */
static VARIANT *arg_for(DISPPARAMS *dp, const FUNCDESC *fd, SHORT k, UINT vis, UINT n_vis,
                        WORD flags, UINT *ret_idx) {
        UINT positional = dp->cArgs - dp->cNamedArgs;

        if (vis < positional) {
                *ret_idx = dp->cArgs - 1 - vis;
                return &dp->rgvarg[*ret_idx];
        }
        for (UINT j = 0; j < dp->cNamedArgs; j++) {
                DISPID id = dp->rgdispidNamedArgs[j];
                if (id == k ||
                    (id == DISPID_PROPERTYPUT && vis + 1 == n_vis &&
                     (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF)))) {
                        *ret_idx = j;
                        return &dp->rgvarg[j];
                }
        }
        (void)fd;
        return NULL;
}

static HRESULT invoke_func(struct tl_info *owner, const FUNCDESC *fd, void *instance, WORD flags,
                           DISPPARAMS *dp, VARIANT *result, EXCEPINFO *excep, UINT *arg_err) {
#if !OA_HAVE_CALL
        (void)owner; (void)fd; (void)instance; (void)flags; (void)dp; (void)result; (void)excep;
        (void)arg_err;
        return E_NOTIMPL;
#else
        struct oa_call c = { 0 };
        VARIANT *temps = NULL, ret, *retval = NULL;
        UINT n_vis = 0;
        VARTYPE ret_vt;
        HRESULT hr;

        for (SHORT k = 0; k < fd->cParams; k++)
                if (!(fd->lprgelemdescParam[k].paramdesc.wParamFlags &
                      (PARAMFLAG_FLCID | PARAMFLAG_FRETVAL)))
                        n_vis++;
        if (dp->cArgs > n_vis)
                return DISP_E_BADPARAMCOUNT;
        /* every named argument names a parameter (DISPID_PROPERTYPUT: a put's value) */
        for (UINT j = 0; j < dp->cNamedArgs; j++) {
                DISPID id = dp->rgdispidNamedArgs[j];
                bool ok = id == DISPID_PROPERTYPUT ? (flags & (DISPATCH_PROPERTYPUT |
                                                               DISPATCH_PROPERTYPUTREF)) != 0
                                                   : id >= 0 && id < fd->cParams;
                if (!ok) {
                        if (arg_err)
                                *arg_err = j;
                        return DISP_E_PARAMNOTFOUND;
                }
        }
        if ((hr = base_vt(owner, &fd->elemdescFunc.tdesc, &ret_vt, 0)) < 0)
                return hr;
        if (ret_vt == VT_VARIANT || ret_vt == VT_DECIMAL || ret_vt == VT_RECORD)
                return DISP_E_BADVARTYPE;       /* returned in memory: not a COM method's shape */
        if (fd->cParams && !(temps = dcom_calloc((size_t)fd->cParams, sizeof *temps)))
                return E_OUTOFMEMORY;
        oa_call_push_int(&c, (uint64_t)(uintptr_t)instance);
        UINT vis = 0;
        for (SHORT k = 0; k < fd->cParams; k++) {
                const ELEMDESC *ed = &fd->lprgelemdescParam[k];
                USHORT pflags = ed->paramdesc.wParamFlags;
                VARIANT *t = &temps[k];
                struct ptype pt;
                UINT idx = 0;

                if ((hr = param_type(owner, &ed->tdesc, &pt)) < 0)
                        goto out;
                if (pflags & PARAMFLAG_FLCID) {
                        oa_call_push_int(&c, LOCALE_USER_DEFAULT_);
                        continue;
                }
                if (pflags & PARAMFLAG_FRETVAL) {
                        if (!pt.byref) {
                                hr = DISP_E_BADVARTYPE;
                                goto out;
                        }
                        if (pt.vt == VT_RECORD) {
                                /* a new record of the type, for the callee to fill */
                                IRecordInfo *ri;
                                void *rec;
                                if ((hr = param_recinfo(owner, &ed->tdesc, &ri)) < 0)
                                        goto out;
                                if (!(rec = ri->lpVtbl->RecordCreate(ri))) {
                                        ri->lpVtbl->Release(ri);
                                        hr = E_OUTOFMEMORY;
                                        goto out;
                                }
                                V_RECORD(t) = rec;
                                V_RECORDINFO(t) = ri;
                                V_VT(t) = VT_RECORD;
                                retval = t;
                                oa_call_push_int(&c, (uint64_t)(uintptr_t)rec);
                                continue;
                        }
                        /* the callee writes the value into a VARIANT of ours */
                        V_VT(t) = VT_EMPTY;
                        retval = t;
                        oa_call_push_int(&c, (uint64_t)(uintptr_t)(pt.vt == VT_VARIANT ? t : value_of(t)));
                        V_VT(t) = pt.vt == VT_VARIANT ? VT_EMPTY : pt.vt;
                        continue;
                }
                VARIANT *src = arg_for(dp, fd, k, vis, n_vis, flags, &idx);
                vis++;
                if (src && is_missing(src) && (pflags & (PARAMFLAG_FOPT | PARAMFLAG_FHASDEFAULT)))
                        src = NULL;     /* left out explicitly */
                if (!src) {
                        if ((pflags & PARAMFLAG_FHASDEFAULT) && ed->paramdesc.pparamdescex) {
                                src = &ed->paramdesc.pparamdescex->varDefaultValue;
                        } else if ((pflags & PARAMFLAG_FOPT) && pt.vt == VT_VARIANT) {
                                V_VT(t) = VT_ERROR;
                                V_ERROR(t) = DISP_E_PARAMNOTFOUND;
                                if (pt.byref)
                                        oa_call_push_int(&c, (uint64_t)(uintptr_t)t);
                                else if ((hr = push_value(&c, VT_VARIANT, t)) < 0)
                                        goto out;
                                continue;
                        } else {
                                hr = DISP_E_BADPARAMCOUNT;
                                goto out;
                        }
                }
                if (pt.vt == VT_RECORD) {
                        /* a record of the parameter's type, passed as the pointer to it */
                        IRecordInfo *ri;
                        VARTYPE svt = V_VT(src);
                        bool ok;
                        if (!pt.byref) {
                                hr = DISP_E_BADVARTYPE; /* by value: the ABI's, not ours */
                                goto out;
                        }
                        if ((hr = param_recinfo(owner, &ed->tdesc, &ri)) < 0)
                                goto out;
                        ok = (svt == VT_RECORD || svt == (VT_RECORD | VT_BYREF)) && V_RECORD(src) &&
                             V_RECORDINFO(src) && ri->lpVtbl->IsMatchingType(ri, V_RECORDINFO(src));
                        ri->lpVtbl->Release(ri);
                        if (!ok) {
                                if (arg_err)
                                        *arg_err = idx;
                                hr = DISP_E_TYPEMISMATCH;
                                goto out;
                        }
                        oa_call_push_int(&c, (uint64_t)(uintptr_t)V_RECORD(src));
                        continue;
                }
                if (pt.vt == VT_VARIANT) {
                        if (pt.byref) {         /* VARIANT *: the caller's own VARIANT */
                                VARIANT *target = V_VT(src) == (VT_BYREF | VT_VARIANT)
                                                          ? V_VARIANTREF(src) : src;
                                oa_call_push_int(&c, (uint64_t)(uintptr_t)target);
                        } else {
                                VARIANT *val = V_VT(src) == (VT_BYREF | VT_VARIANT)
                                                       ? V_VARIANTREF(src) : src;
                                if ((hr = push_value(&c, VT_VARIANT, val)) < 0)
                                        goto out;
                        }
                        continue;
                }
                if (pt.byref && V_VT(src) == (VT_BYREF | pt.vt)) {
                        oa_call_push_int(&c, (uint64_t)(uintptr_t)V_BYREF(src));
                        continue;
                }
                if ((pt.vt & VT_ARRAY) && (V_VT(src) & ~VT_BYREF) == pt.vt) {
                        SAFEARRAY *sa = (V_VT(src) & VT_BYREF) ? *V_ARRAYREF(src) : V_ARRAY(src);
                        V_VT(t) = pt.vt;
                        V_ARRAY(t) = sa;
                        if (pt.byref)
                                oa_call_push_int(&c, (uint64_t)(uintptr_t)&V_ARRAY(t));
                        else
                                oa_call_push_int(&c, (uint64_t)(uintptr_t)sa);
                        V_VT(t) = VT_EMPTY;     /* the caller's array: not ours to free */
                        continue;
                }
                if (V_VT(src) == pt.vt) {
                        if (pt.byref)
                                oa_call_push_int(&c, (uint64_t)(uintptr_t)value_of(src));
                        else if ((hr = push_value(&c, pt.vt, src)) < 0)
                                goto out;
                        continue;
                }
                /* [MS-OAUT] coercion as VariantChangeType does it */
                hr = VariantChangeType(t, src, 0, pt.vt);
                if (hr < 0) {
                        V_VT(t) = VT_EMPTY;
                        if (hr == DISP_E_TYPEMISMATCH || hr == DISP_E_OVERFLOW ||
                            hr == DISP_E_BADVARTYPE) {
                                if (arg_err)
                                        *arg_err = idx;
                                hr = hr == DISP_E_OVERFLOW ? DISP_E_OVERFLOW : DISP_E_TYPEMISMATCH;
                        }
                        goto out;
                }
                if (pt.byref)
                        oa_call_push_int(&c, (uint64_t)(uintptr_t)value_of(t));
                else if ((hr = push_value(&c, pt.vt, t)) < 0)
                        goto out;
        }
        if (c.overflow) {
                hr = DISP_E_BADPARAMCOUNT;      /* more than the call frame takes */
                goto out;
        }
        /* the slot inside the interface's vtable as its description has it */
        if (fd->oVft < 0 || fd->oVft % (SHORT)sizeof(void *) ||
            fd->oVft >= (int)owner->attr.cbSizeVft) {
                hr = DISP_E_MEMBERNOTFOUND;
                goto out;
        }
        void **vtbl = *(void ***)instance;
        oa_call_run(vtbl[fd->oVft / (SHORT)sizeof(void *)], &c, ret_vt == VT_VOID ? VT_UI8 : ret_vt,
                  &ret);
        hr = S_OK;
        if (fd->elemdescFunc.tdesc.vt == VT_HRESULT) {
                HRESULT mhr = (HRESULT)(uint32_t)V_UI8(&ret);
                if (mhr < 0) {
                        /* Windows: the method's failure and its error object in EXCEPINFO */
                        if (excep)
                                fill_excepinfo(excep, mhr);
                        hr = DISP_E_EXCEPTION;
                        goto out;
                }
                if (retval && result) {
                        *result = *retval;
                        V_VT(retval) = VT_EMPTY;
                }
        } else if (ret_vt != VT_VOID && result) {
                if (ret_vt != VT_R4 && ret_vt != VT_R8 && ret_vt != VT_DATE) {
                        /* the value in the low bits of the register, as the type has it */
                        uint64_t w = V_UI8(&ret);
                        V_UI8(&ret) = 0;
                        switch (ret_vt) {
                        case VT_I1: case VT_UI1: V_UI1(&ret) = (BYTE)w; break;
                        case VT_I2: case VT_UI2: case VT_BOOL: V_UI2(&ret) = (USHORT)w; break;
                        case VT_I8: case VT_UI8: case VT_CY: V_UI8(&ret) = w; break;
                        case VT_BSTR: case VT_UNKNOWN: case VT_DISPATCH:
                                V_BYREF(&ret) = (void *)(uintptr_t)w;
                                break;
                        default: V_UI4(&ret) = (ULONG)w; break;
                        }
                }
                V_VT(&ret) = ret_vt;
                *result = ret;
        }
out:
        for (SHORT k = 0; temps && k < fd->cParams; k++)
                VariantClear(&temps[k]);
        dcom_free(temps);
        return hr;
#endif
}

HRESULT tl_invoke(struct tl_info *ti, void *instance, MEMBERID memid, WORD flags,
                  DISPPARAMS *dp, VARIANT *result, EXCEPINFO *excep, UINT *arg_err) {
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        struct tl_info *view = ti, *owner;
        const FUNCDESC *fd;
        ITypeInfo *hold = NULL;
        HRESULT hr;

        if (!instance)
                return E_INVALIDARG;
        if (!dp)
                dp = &none;
        if (dp->cNamedArgs > dp->cArgs || (dp->cArgs && !dp->rgvarg) ||
            (dp->cNamedArgs && !dp->rgdispidNamedArgs))
                return E_INVALIDARG;
        if (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))
                result = NULL;
        if (ti->attr.typekind == TKIND_COCLASS) {
                /* a coclass (CreateDispTypeInfo's): through its (default) interface */
                ITypeInfo *ii;
                if (!ti->attr.cImplTypes || tl_ref_info(ti->lib, ti->impls[0].href, &ii) < 0)
                        return DISP_E_MEMBERNOTFOUND;
                struct tl_info *iti = tl_info_from_iface(ii);
                hr = iti && iti->attr.typekind != TKIND_COCLASS
                             ? tl_invoke(iti, instance, memid, flags, dp, result, excep, arg_err)
                             : DISP_E_MEMBERNOTFOUND;
                ii->lpVtbl->Release(ii);
                return hr;
        }
        if (ti->iface_view) {
                view = ti->iface_view;
        } else if (ti->attr.typekind == TKIND_DISPATCH) {
                /* a pure dispinterface: the object's own IDispatch does the work */
                IUnknown *unk = instance;
                IDispatch *disp = NULL;
                if ((hr = unk->lpVtbl->QueryInterface(unk, &IID_IDispatch, (void **)&disp)) < 0)
                        return hr;
                if (!disp)
                        return E_NOINTERFACE;
                hr = disp->lpVtbl->Invoke(disp, memid, &IID_NULL, LOCALE_USER_DEFAULT_, flags, dp,
                                          result, excep, arg_err);
                disp->lpVtbl->Release(disp);
                return hr;
        } else if (ti->attr.typekind != TKIND_INTERFACE) {
                return TYPE_E_WRONGTYPEKIND;
        }
        /* a method called as a property get (VB's "x = o.M") is a method call */
        hr = find_func(view, memid, flags, &owner, &fd, &hold, 0);
        if (hr < 0)
                return hr;
        if (fd->funckind == FUNC_DISPATCH) {
                hr = DISP_E_MEMBERNOTFOUND;
        } else {
                if (result)
                        VariantInit(result);
                hr = invoke_func(owner, fd, instance, flags, dp, result, excep, arg_err);
        }
        if (hold)
                hold->lpVtbl->Release(hold);
        return hr;
}

/*
 * DispCallFunc: a call to a function, or to slot oVft / sizeof(void *) of an object's
 * vtable (the object then goes first), whose signature is given at run time -- each
 * argument's VARTYPE in prgvt, its value in *prgpvarg[i] (read as that type, whatever the
 * VARIANT's own vt says; VT_BYREF, VT_ARRAY and interfaces as pointers, VT_VARIANT the
 * VARIANT itself; VT_EMPTY, VT_NULL, VT_HRESULT, VT_PTR, VT_INT_PTR, VT_UINT_PTR, VT_LPSTR and
 * VT_LPWSTR its eight data bytes) -- with the machine's C calling
 * convention; the result in *pvargResult as vtReturn (VT_EMPTY keeps the return register's
 * value, VT_VARIANT is what the function returned).  Windows' rules as Wine's typelib
 * tests record them: VT_HRESULT as the result is E_INVALIDARG (VT_ERROR is the way).
 */
WINOLEAUTAPI DispCallFunc(void *pvInstance, ULONG_PTR oVft, CALLCONV cc, VARTYPE vtReturn,
                          UINT cActuals, VARTYPE *prgvt, VARIANTARG **prgpvarg,
                          VARIANT *pvargResult) {
#if !OA_HAVE_CALL
        (void)pvInstance; (void)oVft; (void)cc; (void)vtReturn; (void)cActuals; (void)prgvt;
        (void)prgpvarg; (void)pvargResult;
        return E_NOTIMPL;
#else
        struct oa_call c = { 0 };
        void *fn;
        VARIANT ret;

        if (!pvargResult || (cActuals && (!prgvt || !prgpvarg)))
                return E_INVALIDARG;
        if (cc != CC_CDECL && cc != CC_STDCALL)
                return E_INVALIDARG;    /* the others have no meaning on this machine */
        if (vtReturn == VT_HRESULT || (vtReturn & (VT_VECTOR | VT_RESERVED)))
                return E_INVALIDARG;
        if (pvInstance) {
                void **vtbl = *(void ***)pvInstance;
                if (!vtbl || oVft % sizeof(void *))
                        return E_INVALIDARG;
                fn = vtbl[oVft / sizeof(void *)];
        } else {
                fn = (void *)oVft;
        }
        if (!fn)
                return E_INVALIDARG;
        memset(&ret, 0, sizeof ret);
#if defined(__x86_64__)
        /* System V: a VARIANT (memory class) comes back through a pointer the caller passes
           first, in %rdi */
        if (vtReturn == VT_VARIANT)
                oa_call_push_int(&c, (uint64_t)(uintptr_t)&ret);
#else
        if (vtReturn == VT_VARIANT)
                return DISP_E_BADVARTYPE;
#endif
        if (pvInstance)
                oa_call_push_int(&c, (uint64_t)(uintptr_t)pvInstance);
        for (UINT i = 0; i < cActuals; i++) {
                VARTYPE vt = prgvt[i];
                VARIANT *v = prgpvarg[i];
                HRESULT hr;
                if (!v)
                        return E_INVALIDARG;
                if (vt & VT_BYREF) {
                        oa_call_push_int(&c, (uint64_t)(uintptr_t)V_BYREF(v));
                        continue;
                }
                if ((hr = push_value(&c, vt, v)) < 0)
                        return hr;
        }
        if (c.overflow)
                return DISP_E_BADPARAMCOUNT;
        if (vtReturn == VT_VARIANT) {
                VARIANT scratch;
                oa_call_run(fn, &c, VT_UI8, &scratch);
                *pvargResult = ret;     /* the function's VARIANT, as it made it */
                return S_OK;
        }
        oa_call_run(fn, &c, vtReturn == VT_EMPTY || vtReturn == VT_VOID ? VT_UI8 : vtReturn, &ret);
        V_VT(&ret) = vtReturn == VT_VOID ? VT_EMPTY : vtReturn;
        *pvargResult = ret;
        return S_OK;
#endif
}

/* ---- the IDispatch helpers ---- */

WINOLEAUTAPI DispGetIDsOfNames(ITypeInfo *ptinfo, OLECHAR **rgszNames, UINT cNames,
                               DISPID *rgdispid) {
        if (!ptinfo)
                return E_INVALIDARG;
        return ptinfo->lpVtbl->GetIDsOfNames(ptinfo, rgszNames, cNames, rgdispid);
}

WINOLEAUTAPI DispInvoke(void *_this, ITypeInfo *ptinfo, DISPID dispidMember, WORD wFlags,
                        DISPPARAMS *pparams, VARIANT *pvarResult, EXCEPINFO *pexcepinfo,
                        UINT *puArgErr) {
        if (!ptinfo)
                return E_INVALIDARG;
        return ptinfo->lpVtbl->Invoke(ptinfo, _this, dispidMember, wFlags, pparams, pvarResult,
                                      pexcepinfo, puArgErr);
}

/*
 * CreateStdDispatch's object: an IDispatch for pvThis described by ptinfo, whose
 * IUnknown (what the caller gets) is its own and whose IDispatch's IUnknown methods go
 * to the controlling unknown (punkOuter, or its own without one).
 */
struct stddisp {
        IUnknown IUnknown_iface;
        IDispatch IDispatch_iface;
        atomic_uint refs;
        IUnknown *outer;
        void *instance;
        ITypeInfo *tinfo;
};

static struct stddisp *sd_from_unk(IUnknown *iface) {
        return (struct stddisp *)((char *)iface - offsetof(struct stddisp, IUnknown_iface));
}

static struct stddisp *sd_from_disp(IDispatch *iface) {
        return (struct stddisp *)((char *)iface - offsetof(struct stddisp, IDispatch_iface));
}

static HRESULT STDMETHODCALLTYPE sdu_QueryInterface(IUnknown *iface, REFIID riid, void **ppv) {
        struct stddisp *sd = sd_from_unk(iface);

        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown))
                *ppv = &sd->IUnknown_iface;
        else if (IsEqualIID(riid, &IID_IDispatch))
                *ppv = &sd->IDispatch_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        ((IUnknown *)*ppv)->lpVtbl->AddRef((IUnknown *)*ppv);
        return S_OK;
}

static ULONG STDMETHODCALLTYPE sdu_AddRef(IUnknown *iface) {
        return atomic_fetch_add(&sd_from_unk(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE sdu_Release(IUnknown *iface) {
        struct stddisp *sd = sd_from_unk(iface);
        ULONG r = atomic_fetch_sub(&sd->refs, 1) - 1;

        if (!r) {
                sd->tinfo->lpVtbl->Release(sd->tinfo);
                dcom_free(sd);
        }
        return r;
}

static const IUnknownVtbl stddisp_unk_vtbl = { sdu_QueryInterface, sdu_AddRef, sdu_Release };

static HRESULT STDMETHODCALLTYPE sdd_QueryInterface(IDispatch *iface, REFIID riid, void **ppv) {
        IUnknown *o = sd_from_disp(iface)->outer;
        return o->lpVtbl->QueryInterface(o, riid, ppv);
}

static ULONG STDMETHODCALLTYPE sdd_AddRef(IDispatch *iface) {
        IUnknown *o = sd_from_disp(iface)->outer;
        return o->lpVtbl->AddRef(o);
}

static ULONG STDMETHODCALLTYPE sdd_Release(IDispatch *iface) {
        IUnknown *o = sd_from_disp(iface)->outer;
        return o->lpVtbl->Release(o);
}

static HRESULT STDMETHODCALLTYPE sdd_GetTypeInfoCount(IDispatch *iface, UINT *pctinfo) {
        (void)iface;
        if (!pctinfo)
                return E_INVALIDARG;
        *pctinfo = 1;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE sdd_GetTypeInfo(IDispatch *iface, UINT iTInfo, LCID lcid,
                                                 ITypeInfo **ppTInfo) {
        struct stddisp *sd = sd_from_disp(iface);

        (void)lcid;
        if (!ppTInfo)
                return E_INVALIDARG;
        *ppTInfo = NULL;
        if (iTInfo != 0)
                return DISP_E_BADINDEX;
        *ppTInfo = sd->tinfo;
        sd->tinfo->lpVtbl->AddRef(sd->tinfo);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE sdd_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *names,
                                                   UINT n, LCID lcid, DISPID *ids) {
        (void)lcid;
        if (!IsEqualIID(riid, &IID_NULL))
                return DISP_E_UNKNOWNINTERFACE;
        return DispGetIDsOfNames(sd_from_disp(iface)->tinfo, names, n, ids);
}

static HRESULT STDMETHODCALLTYPE sdd_Invoke(IDispatch *iface, DISPID member, REFIID riid, LCID lcid,
                                            WORD flags, DISPPARAMS *dp, VARIANT *result,
                                            EXCEPINFO *excep, UINT *arg_err) {
        struct stddisp *sd = sd_from_disp(iface);

        (void)lcid;
        if (!IsEqualIID(riid, &IID_NULL))
                return DISP_E_UNKNOWNINTERFACE;
        return DispInvoke(sd->instance, sd->tinfo, member, flags, dp, result, excep, arg_err);
}

static const IDispatchVtbl stddisp_vtbl = {
        sdd_QueryInterface, sdd_AddRef, sdd_Release, sdd_GetTypeInfoCount, sdd_GetTypeInfo,
        sdd_GetIDsOfNames, sdd_Invoke,
};

WINOLEAUTAPI CreateStdDispatch(IUnknown *punkOuter, void *pvThis, ITypeInfo *ptinfo,
                               IUnknown **ppunkStdDisp) {
        struct stddisp *sd;

        if (!pvThis || !ptinfo || !ppunkStdDisp)
                return E_INVALIDARG;
        if (!(sd = dcom_calloc(1, sizeof *sd)))
                return E_OUTOFMEMORY;
        sd->IUnknown_iface.lpVtbl = &stddisp_unk_vtbl;
        sd->IDispatch_iface.lpVtbl = &stddisp_vtbl;
        atomic_init(&sd->refs, 1);
        sd->outer = punkOuter ? punkOuter : &sd->IUnknown_iface;
        sd->instance = pvThis;
        sd->tinfo = ptinfo;
        ptinfo->lpVtbl->AddRef(ptinfo);
        *ppunkStdDisp = &sd->IUnknown_iface;
        return S_OK;
}

/* ---- CreateDispTypeInfo ---- */

static HRESULT ascii_dup(const OLECHAR *s, BSTR *ret) {
        *ret = NULL;
        if (s && !(*ret = SysAllocString(s)))
                return E_OUTOFMEMORY;
        return S_OK;
}

/* A PARAMDATA's or a return's VARTYPE as a TYPEDESC (VT_BYREF|x: a pointer to x). */
static HRESULT vt_desc(struct tlib *lib, VARTYPE vt, TYPEDESC *td) {
        if (vt & VT_BYREF) {
                td->vt = VT_PTR;
                if (!(td->lptdesc = tl_alloc(lib, sizeof *td->lptdesc)))
                        return E_OUTOFMEMORY;
                td->lptdesc->vt = vt & (VARTYPE)~VT_BYREF;
                return S_OK;
        }
        td->vt = vt;
        return S_OK;
}

/*
 * As Windows': a coclass (TKIND_COCLASS) whose one implemented type is an interface
 * with the methods given, FUNC_VIRTUAL at iMeth's vtable slot; Invoke on either calls
 * the object's vtable.
 */
WINOLEAUTAPI CreateDispTypeInfo(INTERFACEDATA *pidata, LCID lcid, ITypeInfo **pptinfo) {
        struct tlib *lib;
        struct tl_info *cls, *itf;
        HRESULT hr = E_OUTOFMEMORY;

        if (!pidata || !pptinfo || (pidata->cMembers && !pidata->pmethdata))
                return E_INVALIDARG;
        if (pidata->cMembers > 0xffff)
                return E_INVALIDARG;
        if (!(lib = tl_lib_new()))
                return E_OUTOFMEMORY;
        lib->attr.lcid = lcid;
        lib->attr.syskind = sizeof(void *) == 8 ? SYS_WIN64 : SYS_WIN32;
        if (!(lib->infos = tl_alloc(lib, 2 * sizeof *lib->infos)) ||
            !(cls = tl_info_new(lib)) || !(itf = tl_info_new(lib)))
                goto fail;
        lib->infos[0] = cls;
        lib->infos[1] = itf;
        lib->n_infos = 2;
        cls->index = 0;
        itf->index = 1;
        cls->attr.typekind = TKIND_COCLASS;
        cls->attr.lcid = itf->attr.lcid = lcid;
        cls->attr.memidConstructor = cls->attr.memidDestructor = -1;
        itf->attr.memidConstructor = itf->attr.memidDestructor = -1;
        cls->attr.cbSizeInstance = itf->attr.cbSizeInstance = sizeof(void *);
        cls->attr.cbAlignment = itf->attr.cbAlignment = sizeof(void *);
        if (!(cls->impls = tl_alloc(lib, sizeof *cls->impls)))
                goto fail;
        cls->attr.cImplTypes = 1;
        cls->impls[0].href = 1 * 0x64;         /* the interface, index 1 */
        cls->impls[0].flags = IMPLTYPEFLAG_FDEFAULT;
        itf->attr.typekind = TKIND_INTERFACE;
        if (pidata->cMembers && !(itf->funcs = tl_alloc(lib, pidata->cMembers * sizeof *itf->funcs)))
                goto fail;
        itf->attr.cFuncs = (WORD)pidata->cMembers;
        UINT max_slot = 0;
        for (UINT i = 0; i < pidata->cMembers; i++) {
                const METHODDATA *md = &pidata->pmethdata[i];
                struct tl_func *f = &itf->funcs[i];
                FUNCDESC *fd = &f->desc;

                if (md->cArgs > 0x7fff || (md->cArgs && !md->ppdata) || md->iMeth > 0x3fff) {
                        hr = E_INVALIDARG;
                        goto fail;
                }
                fd->memid = md->dispid;
                fd->funckind = FUNC_VIRTUAL;
                fd->invkind = (INVOKEKIND)md->wFlags;
                fd->callconv = md->cc;
                fd->oVft = (SHORT)(md->iMeth * sizeof(void *));
                if (md->iMeth + 1 > max_slot)
                        max_slot = md->iMeth + 1;
                if ((hr = ascii_dup(md->szName, &f->name)) < 0 ||
                    (hr = vt_desc(lib, md->vtReturn, &fd->elemdescFunc.tdesc)) < 0)
                        goto fail;
                hr = E_OUTOFMEMORY;
                if (md->cArgs && (!(fd->lprgelemdescParam = tl_alloc(lib, md->cArgs * sizeof(ELEMDESC))) ||
                                  !(f->param_names = tl_alloc(lib, md->cArgs * sizeof(BSTR)))))
                        goto fail;
                fd->cParams = (SHORT)md->cArgs;
                for (UINT k = 0; k < md->cArgs; k++) {
                        fd->lprgelemdescParam[k].paramdesc.wParamFlags = PARAMFLAG_NONE;
                        if ((hr = vt_desc(lib, md->ppdata[k].vt,
                                          &fd->lprgelemdescParam[k].tdesc)) < 0 ||
                            (hr = ascii_dup(md->ppdata[k].szName, &f->param_names[k])) < 0)
                                goto fail;
                }
        }
        itf->attr.cbSizeVft = (WORD)(max_slot * sizeof(void *));
        *pptinfo = &cls->ITypeInfo_iface;
        return S_OK;
fail:
        lib->ITypeLib_iface.lpVtbl->Release(&lib->ITypeLib_iface);
        return hr;
}
