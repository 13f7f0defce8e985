/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl --tlb (tools/dcomidl/typelib.c): type libraries written by dcomidl, read back
 * by our reader (LoadTypeLibEx, REGKIND_NONE) and
 *   - compared, type by type and member by member, with what Wine's widl -t writes
 *     for the same IDL (tests/typelib/calc.idl and tests/typelib/tlbw.idl, 64- and 32-bit):
 *     TLIBATTR, every TYPEATTR field that means something, every FUNCDESC, VARDESC and
 *     ELEMDESC with their flags, default values and constants, the TYPEDESCs down to the
 *     types they name, GetDocumentation, GetNames, GetIDsOfNames, the implemented
 *     interfaces with their flags and both views of a dual interface.  Differences
 *     accepted (and checked to be just that): widl names no IDispatch for a plain
 *     dispinterface's implemented interface, dcomidl does (midl does);
 *   - what widl does not describe the way midl does: CY as VT_CY (tlbw-vt.idl);
 *   - used: registered in this run's private OPENDCOM_ROOT, loaded again with
 *     LoadRegTypeLib and calc.idl's ICalc object called late-bound through
 *     CreateStdDispatch over the dcomidl-made type description;
 *   - loaded clean under ASan when cut short anywhere or with any byte changed.
 * The environment names the files: DCOMIDL_* always, WIDL_* when widl is installed
 * (else the comparisons are skipped, the rest runs).
 */
#define COBJMACROS

#include <fcntl.h>
#include <math.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <objbase.h>

#include "oleaut/oleaut-internal.h"
#include "test.h"
#include "calc-object.h"

#define ASSERT_GUID_EQ(a, b) ASSERT_MEM_EQ((a), (b), sizeof(GUID))

static OLECHAR *W(const char *s) {
        static OLECHAR bufs[8][256];
        static int next;
        OLECHAR *b = bufs[next++ % 8];
        size_t i;

        for (i = 0; s[i] && i < 255; i++)
                b[i] = (OLECHAR)(unsigned char)s[i];
        b[i] = 0;
        return b;
}

static const char *A(const OLECHAR *s) {
        static char bufs[8][256];
        static int next;
        char *b = bufs[next++ % 8];
        size_t i = 0;

        for (; s && s[i] && i < 255; i++)
                b[i] = (char)s[i];
        b[i] = 0;
        return b;
}

/* Two BSTRs (either may be NULL) the same. */
#define ASSERT_BSTR_SAME(a, b, what)                                                    \
        do {                                                                            \
                BSTR a__ = (a), b__ = (b);                                              \
                if ((a__ == NULL) != (b__ == NULL) ||                                   \
                    (a__ && strcmp(A(a__), A(b__)) != 0))                               \
                        test_fail(__FILE__, __LINE__, "%s: '%s' vs '%s'", what,         \
                                  a__ ? A(a__) : "(null)", b__ ? A(b__) : "(null)");    \
        } while (0)

static const char *env_path(const char *name) {
        const char *p = getenv(name);
        return p && access(p, R_OK) == 0 ? p : NULL;
}

static ITypeLib *load(const char *path) {
        ITypeLib *tl = NULL;

        ASSERT_HR_EQ(LoadTypeLibEx(W(path), REGKIND_NONE, &tl), S_OK);
        ASSERT_NOT_NULL(tl);
        return tl;
}

/* ---- structural comparison ---- */

struct cmp {
        char where[256];        /* the type being compared, for messages */
};

static void cmp_info(struct cmp *c, ITypeInfo *a, ITypeInfo *b, int depth);

static void cmp_doc(ITypeInfo *a, ITypeInfo *b, MEMBERID id, const char *what) {
        BSTR na, nb, da, db;
        DWORD ca, cb;

        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(a, id, &na, &da, &ca, NULL), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(b, id, &nb, &db, &cb, NULL), S_OK);
        ASSERT_BSTR_SAME(na, nb, what);
        ASSERT_BSTR_SAME(da, db, what);
        ASSERT_EQ(ca, cb);
        SysFreeString(na);
        SysFreeString(nb);
        SysFreeString(da);
        SysFreeString(db);
}

/* The name of the type href names in ti. */
static BSTR ref_name(ITypeInfo *ti, HREFTYPE href, TYPEKIND *kind) {
        ITypeInfo *r;
        TYPEATTR *ta;
        BSTR n = NULL;

        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &r), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(r, MEMBERID_NIL, &n, NULL, NULL, NULL), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(r, &ta), S_OK);
        if (kind)
                *kind = ta->typekind;
        ITypeInfo_ReleaseTypeAttr(r, ta);
        ITypeInfo_Release(r);
        return n;
}

static void cmp_tdesc(struct cmp *c, ITypeInfo *ia, const TYPEDESC *a, ITypeInfo *ib,
                      const TYPEDESC *b) {
        if (a->vt != b->vt)
                test_fail(__FILE__, __LINE__, "%s: vt %u vs %u", c->where, a->vt, b->vt);
        switch (a->vt) {
        case VT_PTR:
        case VT_SAFEARRAY:
                cmp_tdesc(c, ia, a->lptdesc, ib, b->lptdesc);
                break;
        case VT_CARRAY:
                ASSERT_EQ(a->lpadesc->cDims, b->lpadesc->cDims);
                for (USHORT i = 0; i < a->lpadesc->cDims; i++) {
                        ASSERT_EQ(a->lpadesc->rgbounds[i].cElements, b->lpadesc->rgbounds[i].cElements);
                        ASSERT_EQ(a->lpadesc->rgbounds[i].lLbound, b->lpadesc->rgbounds[i].lLbound);
                }
                cmp_tdesc(c, ia, &a->lpadesc->tdescElem, ib, &b->lpadesc->tdescElem);
                break;
        case VT_USERDEFINED: {
                TYPEKIND ka, kb;
                BSTR na = ref_name(ia, a->hreftype, &ka), nb = ref_name(ib, b->hreftype, &kb);
                ASSERT_BSTR_SAME(na, nb, c->where);
                ASSERT_EQ(ka, kb);
                SysFreeString(na);
                SysFreeString(nb);
                break;
        }
        default:
                break;
        }
}

static void cmp_value(struct cmp *c, const VARIANT *a, const VARIANT *b) {
        if (V_VT(a) != V_VT(b))
                test_fail(__FILE__, __LINE__, "%s: value vt %u vs %u", c->where, V_VT(a), V_VT(b));
        if (V_VT(a) == VT_BSTR)
                ASSERT_BSTR_SAME(V_BSTR(a), V_BSTR(b), c->where);
        else if (V_VT(a) == VT_DECIMAL)
                ASSERT_MEM_EQ(&V_DECIMAL(a), &V_DECIMAL(b), sizeof(DECIMAL));
        else
                ASSERT_EQ(V_UI8(a), V_UI8(b));
}

static void cmp_elem(struct cmp *c, ITypeInfo *ia, const ELEMDESC *a, ITypeInfo *ib,
                     const ELEMDESC *b) {
        cmp_tdesc(c, ia, &a->tdesc, ib, &b->tdesc);
        ASSERT_EQ(a->paramdesc.wParamFlags, b->paramdesc.wParamFlags);
        if (a->paramdesc.wParamFlags & PARAMFLAG_FHASDEFAULT) {
                ASSERT_NOT_NULL(a->paramdesc.pparamdescex);
                ASSERT_NOT_NULL(b->paramdesc.pparamdescex);
                cmp_value(c, &a->paramdesc.pparamdescex->varDefaultValue,
                          &b->paramdesc.pparamdescex->varDefaultValue);
        }
}

/* The names a member has (itself, then its parameters), the same in both. */
static void cmp_names(struct cmp *c, ITypeInfo *a, ITypeInfo *b, MEMBERID id) {
        BSTR na[32], nb[32];
        UINT ca = 0, cb = 0;

        ASSERT_HR_EQ(ITypeInfo_GetNames(a, id, na, 32, &ca), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetNames(b, id, nb, 32, &cb), S_OK);
        ASSERT_EQ(ca, cb);
        /* the first name finds the member again */
        if (ca && na[0]) {
                LPOLESTR n = W(A(na[0]));
                MEMBERID ida = 0, idb = 0;
                HRESULT ha = ITypeInfo_GetIDsOfNames(a, &n, 1, &ida);
                HRESULT hb = ITypeInfo_GetIDsOfNames(b, &n, 1, &idb);
                ASSERT_HR_EQ(ha, hb);
                if (ha == S_OK)
                        ASSERT_EQ(ida, idb);
        }
        for (UINT i = 0; i < ca; i++) {
                ASSERT_BSTR_SAME(na[i], nb[i], c->where);
                SysFreeString(na[i]);
                SysFreeString(nb[i]);
        }
}

static void cmp_func(struct cmp *c, ITypeInfo *a, ITypeInfo *b, UINT i) {
        FUNCDESC *fa, *fb;

        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(a, i, &fa), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(b, i, &fb), S_OK);
        ASSERT_EQ(fa->memid, fb->memid);
        ASSERT_EQ(fa->funckind, fb->funckind);
        ASSERT_EQ(fa->invkind, fb->invkind);
        ASSERT_EQ(fa->callconv, fb->callconv);
        ASSERT_EQ(fa->cParams, fb->cParams);
        ASSERT_EQ(fa->cParamsOpt, fb->cParamsOpt);
        ASSERT_EQ(fa->oVft, fb->oVft);
        ASSERT_EQ(fa->wFuncFlags, fb->wFuncFlags);
        ASSERT_EQ(fa->cScodes, fb->cScodes);
        cmp_elem(c, a, &fa->elemdescFunc, b, &fb->elemdescFunc);
        for (SHORT k = 0; k < fa->cParams; k++)
                cmp_elem(c, a, &fa->lprgelemdescParam[k], b, &fb->lprgelemdescParam[k]);
        cmp_names(c, a, b, fa->memid);
        cmp_doc(a, b, fa->memid, c->where);
        ITypeInfo_ReleaseFuncDesc(a, fa);
        ITypeInfo_ReleaseFuncDesc(b, fb);
}

static void cmp_var(struct cmp *c, ITypeInfo *a, ITypeInfo *b, UINT i) {
        VARDESC *va, *vb;

        ASSERT_HR_EQ(ITypeInfo_GetVarDesc(a, i, &va), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetVarDesc(b, i, &vb), S_OK);
        ASSERT_EQ(va->memid, vb->memid);
        ASSERT_EQ(va->varkind, vb->varkind);
        ASSERT_EQ(va->wVarFlags, vb->wVarFlags);
        cmp_elem(c, a, &va->elemdescVar, b, &vb->elemdescVar);
        if (va->varkind == VAR_CONST)
                cmp_value(c, va->lpvarValue, vb->lpvarValue);
        else
                ASSERT_EQ(va->oInst, vb->oInst);
        cmp_names(c, a, b, va->memid);
        cmp_doc(a, b, va->memid, c->where);
        ITypeInfo_ReleaseVarDesc(a, va);
        ITypeInfo_ReleaseVarDesc(b, vb);
}

static void cmp_info(struct cmp *c, ITypeInfo *a, ITypeInfo *b, int depth) {
        TYPEATTR *ta, *tb;
        BSTR name = NULL;

        ASSERT_LT(depth, 4);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(a, MEMBERID_NIL, &name, NULL, NULL, NULL), S_OK);
        snprintf(c->where, sizeof c->where, "%s", A(name));
        SysFreeString(name);
        cmp_doc(a, b, MEMBERID_NIL, c->where);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(a, &ta), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(b, &tb), S_OK);
        ASSERT_GUID_EQ(&ta->guid, &tb->guid);
        ASSERT_EQ(ta->lcid, tb->lcid);
        ASSERT_EQ(ta->memidConstructor, tb->memidConstructor);
        ASSERT_EQ(ta->memidDestructor, tb->memidDestructor);
        ASSERT_EQ(ta->cbSizeInstance, tb->cbSizeInstance);
        ASSERT_EQ(ta->typekind, tb->typekind);
        ASSERT_EQ(ta->cFuncs, tb->cFuncs);
        ASSERT_EQ(ta->cVars, tb->cVars);
        ASSERT_EQ(ta->cImplTypes, tb->cImplTypes);
        ASSERT_EQ(ta->cbSizeVft, tb->cbSizeVft);
        ASSERT_EQ(ta->cbAlignment, tb->cbAlignment);
        ASSERT_EQ(ta->wTypeFlags, tb->wTypeFlags);
        ASSERT_EQ(ta->wMajorVerNum, tb->wMajorVerNum);
        ASSERT_EQ(ta->wMinorVerNum, tb->wMinorVerNum);
        if (ta->typekind == TKIND_ALIAS)
                cmp_tdesc(c, a, &ta->tdescAlias, b, &tb->tdescAlias);
        for (UINT i = 0; i < ta->cFuncs; i++)
                cmp_func(c, a, b, i);
        for (UINT i = 0; i < ta->cVars; i++)
                cmp_var(c, a, b, i);
        for (UINT i = 0; i < ta->cImplTypes; i++) {
                HREFTYPE ha, hb;
                INT fa, fb;
                ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(a, i, &fa), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(b, i, &fb), S_OK);
                ASSERT_EQ(fa, fb);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(a, i, &ha), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(b, i, &hb), S_OK);
                ITypeInfo *rb = NULL;
                if (ta->typekind == TKIND_DISPATCH && !(ta->wTypeFlags & TYPEFLAG_FDUAL) &&
                    ITypeInfo_GetRefTypeInfo(b, hb, &rb) != S_OK) {
                        /* widl names nothing for a dispinterface's IDispatch; dcomidl
                           (as midl) names stdole2's */
                        BSTR n = ref_name(a, ha, NULL);
                        ASSERT_STR_EQ(A(n), "IDispatch");
                        SysFreeString(n);
                        continue;
                }
                if (rb)
                        ITypeInfo_Release(rb);
                TYPEKIND ka, kb;
                BSTR na = ref_name(a, ha, &ka), nb = ref_name(b, hb, &kb);
                ASSERT_BSTR_SAME(na, nb, c->where);
                ASSERT_EQ(ka, kb);
                SysFreeString(na);
                SysFreeString(nb);
        }
        /* a dual interface's other view */
        if (ta->typekind == TKIND_DISPATCH && (ta->wTypeFlags & TYPEFLAG_FDUAL)) {
                HREFTYPE ha, hb;
                ITypeInfo *va, *vb;
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(a, (UINT)-1, &ha), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(b, (UINT)-1, &hb), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(a, ha, &va), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(b, hb, &vb), S_OK);
                cmp_info(c, va, vb, depth + 1);
                ITypeInfo_Release(va);
                ITypeInfo_Release(vb);
        }
        ITypeInfo_ReleaseTypeAttr(a, ta);
        ITypeInfo_ReleaseTypeAttr(b, tb);
}

/* dcomidl's library (a) and widl's (b), described alike. */
static void cmp_libs(const char *pa, const char *pb) {
        ITypeLib *a = load(pa), *b = load(pb);
        TLIBATTR *la, *lb;
        BSTR na, nb, da, db, ha, hb;
        DWORD ca, cb;
        struct cmp c = { "library" };

        ASSERT_HR_EQ(ITypeLib_GetLibAttr(a, &la), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetLibAttr(b, &lb), S_OK);
        ASSERT_GUID_EQ(&la->guid, &lb->guid);
        ASSERT_EQ(la->lcid, lb->lcid);
        ASSERT_EQ(la->syskind, lb->syskind);
        ASSERT_EQ(la->wMajorVerNum, lb->wMajorVerNum);
        ASSERT_EQ(la->wMinorVerNum, lb->wMinorVerNum);
        ASSERT_EQ(la->wLibFlags, lb->wLibFlags);
        ITypeLib_ReleaseTLibAttr(a, la);
        ITypeLib_ReleaseTLibAttr(b, lb);
        ASSERT_HR_EQ(ITypeLib_GetDocumentation(a, -1, &na, &da, &ca, &ha), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetDocumentation(b, -1, &nb, &db, &cb, &hb), S_OK);
        ASSERT_BSTR_SAME(na, nb, "library name");
        ASSERT_BSTR_SAME(da, db, "library helpstring");
        ASSERT_BSTR_SAME(ha, hb, "library helpfile");
        ASSERT_EQ(ca, cb);
        SysFreeString(na);
        SysFreeString(nb);
        SysFreeString(da);
        SysFreeString(db);
        SysFreeString(ha);
        SysFreeString(hb);
        UINT n = ITypeLib_GetTypeInfoCount(a);
        ASSERT_EQ(n, ITypeLib_GetTypeInfoCount(b));
        ASSERT_GT(n, 0);
        for (UINT i = 0; i < n; i++) {
                ITypeInfo *ta, *tb;
                TYPEKIND ka, kb;
                ASSERT_HR_EQ(ITypeLib_GetTypeInfo(a, i, &ta), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetTypeInfo(b, i, &tb), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetTypeInfoType(a, i, &ka), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetTypeInfoType(b, i, &kb), S_OK);
                ASSERT_EQ(ka, kb);
                cmp_info(&c, ta, tb, 0);
                ITypeInfo_Release(ta);
                ITypeInfo_Release(tb);
                ASSERT_HR_EQ(ITypeLib_GetDocumentation(a, (INT)i, &na, NULL, NULL, NULL), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetDocumentation(b, (INT)i, &nb, NULL, NULL, NULL), S_OK);
                ASSERT_BSTR_SAME(na, nb, "type name");
                /* IsName finds it in both, in the spelling the library has */
                OLECHAR buf[64];
                BOOL fa = FALSE, fb = FALSE;
                size_t k = 0;
                for (; na[k] && k < 63; k++)
                        buf[k] = (OLECHAR)(na[k] >= 'a' && na[k] <= 'z' ? na[k] - 32 : na[k]);
                buf[k] = 0;
                ASSERT_HR_EQ(ITypeLib_IsName(a, buf, 0, &fa), S_OK);
                ASSERT_HR_EQ(ITypeLib_IsName(b, buf, 0, &fb), S_OK);
                ASSERT_TRUE(fa && fb);
                SysFreeString(na);
                SysFreeString(nb);
        }
        ASSERT_EQ(ITypeLib_Release(a), 0);
        ASSERT_EQ(ITypeLib_Release(b), 0);
}

static void need_pair(const char *dvar, const char *wvar, const char **d, const char **w) {
        *d = env_path(dvar);
        *w = env_path(wvar);
        if (!*d)
                test_fail(__FILE__, __LINE__, "%s: no dcomidl-made library", dvar);
        if (!*w)
                SKIP("no widl-made type libraries to compare with (Debian package wine64-tools)");
}

TEST(calc64_as_widl) {
        const char *d, *w;
        need_pair("DCOMIDL_CALC64", "WIDL_CALC64", &d, &w);
        cmp_libs(d, w);
}

TEST(calc32_as_widl) {
        const char *d, *w;
        need_pair("DCOMIDL_CALC32", "WIDL_CALC32", &d, &w);
        cmp_libs(d, w);
}

TEST(tlbw64_as_widl) {
        const char *d, *w;
        need_pair("DCOMIDL_TLBW64", "WIDL_TLBW64", &d, &w);
        cmp_libs(d, w);
}

TEST(tlbw32_as_widl) {
        const char *d, *w;
        need_pair("DCOMIDL_TLBW32", "WIDL_TLBW32", &d, &w);
        cmp_libs(d, w);
}

/* ---- what widl says otherwise ---- */

TEST(vt_cy_and_defaults) {
        const char *p = env_path("DCOMIDL_VT64");
        ASSERT_NOT_NULL(p);
        ITypeLib *tl = load(p);
        ITypeInfo *ti;
        TYPEATTR *ta;
        FUNCDESC *fd;
        VARDESC *vd;

        ASSERT_EQ(ITypeLib_GetTypeInfoCount(tl), 2);
        /* the record: CY as VT_CY at 8-byte alignment */
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(tl, 0, &ti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_RECORD);
        ASSERT_EQ(ta->cVars, 2);
        ASSERT_EQ(ta->cbSizeInstance, 16);
        ASSERT_EQ(ta->cbAlignment, 8);
        ITypeInfo_ReleaseTypeAttr(ti, ta);
        ASSERT_HR_EQ(ITypeInfo_GetVarDesc(ti, 1, &vd), S_OK);
        ASSERT_EQ(vd->elemdescVar.tdesc.vt, VT_CY);
        ASSERT_EQ(vd->oInst, 8);
        ITypeInfo_ReleaseVarDesc(ti, vd);
        ITypeInfo_Release(ti);
        /* the interface: a CY parameter; R8, I8 and VARIANT defaults */
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(tl, 1, &ti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(ti, 0, &fd), S_OK);
        ASSERT_EQ(fd->cParams, 4);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_CY);
        const VARIANT *v = &fd->lprgelemdescParam[1].paramdesc.pparamdescex->varDefaultValue;
        ASSERT_EQ(V_VT(v), VT_R8);
        ASSERT_TRUE(V_R8(v) == 2.5);
        v = &fd->lprgelemdescParam[2].paramdesc.pparamdescex->varDefaultValue;
        ASSERT_EQ(V_VT(v), VT_I8);
        ASSERT_EQ(V_I8(v), -1234567890123LL);
        v = &fd->lprgelemdescParam[3].paramdesc.pparamdescex->varDefaultValue;
        ASSERT_EQ(V_VT(v), VT_I4);
        ASSERT_EQ(V_I4(v), 3);
        ITypeInfo_ReleaseFuncDesc(ti, fd);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

/* ---- used: registered, loaded from the registry, called ---- */

static DISPID id_of(IDispatch *d, const char *name) {
        LPOLESTR n = W(name);
        DISPID id = 12345;
        HRESULT hr = IDispatch_GetIDsOfNames(d, &IID_NULL, &n, 1, LOCALE_USER_DEFAULT, &id);
        return hr == S_OK ? id : DISPID_UNKNOWN;
}

static HRESULT call(IDispatch *d, const char *name, WORD flags, VARIANT *args, UINT n,
                    VARIANT *res) {
        VARIANT rev[16];
        DISPPARAMS dp = { rev, NULL, n, 0 };
        DISPID put = DISPID_PROPERTYPUT;

        for (UINT k = 0; k < n; k++)
                rev[k] = args[n - 1 - k];
        if (flags & DISPATCH_PROPERTYPUT) {
                dp.rgdispidNamedArgs = &put;
                dp.cNamedArgs = 1;
        }
        if (res)
                VariantInit(res);
        return IDispatch_Invoke(d, id_of(d, name), &IID_NULL, LOCALE_USER_DEFAULT, flags, &dp, res,
                                NULL, NULL);
}

static VARIANT vi4(LONG v) {
        VARIANT x;
        V_VT(&x) = VT_I4;
        V_I4(&x) = v;
        return x;
}

static VARIANT vstr(const char *s) {
        VARIANT x;
        V_VT(&x) = VT_BSTR;
        V_BSTR(&x) = SysAllocString(W(s));
        return x;
}

static const GUID LIBID_CalcLib = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                    { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x01 } };

TEST(registered_and_called) {
        const char *p = env_path("DCOMIDL_CALC64");
        char full[4096];
        ITypeLib *tl;
        ITypeInfo *ti, *iti;
        HREFTYPE href;
        IUnknown *unk;
        IDispatch *d;
        VARIANT a[3], r;

        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(realpath(p, full));
        ASSERT_NOT_NULL(test_state_dir());      /* this run's own registry */
        ASSERT_HR_EQ(LoadTypeLibEx(W(full), REGKIND_REGISTER, &tl), S_OK);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
        ASSERT_HR_EQ(LoadRegTypeLib(&LIBID_CalcLib, 1, 2, 0, &tl), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &IID_ICalc, &ti), S_OK);

        struct calc c = { { &calc_vtbl }, 1, NULL, ti, { { { 0 } } } };
        VariantInit(&c.last_b);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(CreateStdDispatch(NULL, &c.ICalc_iface, iti, &unk), S_OK);
        ASSERT_HR_EQ(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&d), S_OK);

        /* a method, with a coercion */
        a[0] = vstr("40");
        a[1] = vi4(2);
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 42);
        VariantClear(&a[0]);
        /* a property put and get */
        a[0] = vstr("abacus");
        ASSERT_HR_EQ(call(d, "Name", DISPATCH_PROPERTYPUT, a, 1, NULL), S_OK);
        VariantClear(&a[0]);
        ASSERT_HR_EQ(call(d, "Name", DISPATCH_PROPERTYGET, NULL, 0, &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BSTR);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "abacus");
        VariantClear(&r);
        /* [defaultvalue(3)] filled in */
        V_VT(&a[0]) = VT_R8;
        V_R8(&a[0]) = 1.5;
        ASSERT_HR_EQ(call(d, "Scale", DISPATCH_METHOD, a, 1, &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_R8);
        ASSERT_TRUE(fabs(V_R8(&r) - 4.5) < 1e-9);
        /* [optional] VARIANT left out: VT_ERROR DISP_E_PARAMNOTFOUND */
        a[0] = vstr("x");
        ASSERT_HR_EQ(call(d, "Concat", DISPATCH_METHOD, a, 1, &r), S_OK);
        VariantClear(&a[0]);
        VariantClear(&r);
        ASSERT_EQ(V_VT(&c.last_b), VT_ERROR);
        ASSERT_EQ(V_ERROR(&c.last_b), DISP_E_PARAMNOTFOUND);
        /* [lcid] supplied by the call, [in, out] by reference */
        a[0] = vi4(5);
        ASSERT_HR_EQ(call(d, "Locale", DISPATCH_METHOD, a, 1, &r), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        LONG x = 1, y = 2;
        V_VT(&a[0]) = VT_I4 | VT_BYREF;
        V_I4REF(&a[0]) = &x;
        V_VT(&a[1]) = VT_I4 | VT_BYREF;
        V_I4REF(&a[1]) = &y;
        ASSERT_HR_EQ(call(d, "Swap", DISPATCH_METHOD, a, 2, &r), S_OK);
        ASSERT_EQ(x, 2);
        ASSERT_EQ(y, 1);
        /* SAFEARRAY(LONG) */
        SAFEARRAYBOUND bound = { 3, 0 };
        SAFEARRAY *sa = SafeArrayCreate(VT_I4, 1, &bound);
        for (LONG i = 0; i < 3; i++) {
                LONG v = 10 * (i + 1);
                ASSERT_HR_EQ(SafeArrayPutElement(sa, &i, &v), S_OK);
        }
        V_VT(&a[0]) = VT_ARRAY | VT_I4;
        V_ARRAY(&a[0]) = sa;
        ASSERT_HR_EQ(call(d, "Sum", DISPATCH_METHOD, a, 1, &r), S_OK);
        ASSERT_EQ(V_I4(&r), 60);
        SafeArrayDestroy(sa);
        /* no such member */
        ASSERT_EQ(id_of(d, "NoSuchThing"), DISPID_UNKNOWN);

        IDispatch_Release(d);
        ASSERT_EQ(IUnknown_Release(unk), 0);
        VariantClear(&c.last_b);
        SysFreeString(c.name);
        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_CalcLib, 1, 2, 0, SYS_WIN64), S_OK);
}

/* ---- every file dcomidl wrote: damaged anywhere, loaded soundly ---- */

static uint8_t *slurp(const char *path, size_t *len) {
        struct stat st;
        int fd = open(path, O_RDONLY);
        uint8_t *b;

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(fstat(fd, &st), 0);
        b = malloc((size_t)st.st_size);
        ASSERT_NOT_NULL(b);
        ASSERT_EQ(read(fd, b, (size_t)st.st_size), st.st_size);
        close(fd);
        *len = (size_t)st.st_size;
        return b;
}

/* Everything a loaded library describes, asked for. */
static void walk(ITypeLib *tl) {
        for (UINT i = 0, n = ITypeLib_GetTypeInfoCount(tl); i < n; i++) {
                ITypeInfo *ti, *ref;
                TYPEATTR *ta;
                BSTR names[8];
                UINT cn;
                HREFTYPE href;

                if (ITypeLib_GetTypeInfo(tl, i, &ti) != S_OK)
                        continue;
                ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
                for (UINT k = 0; k < ta->cFuncs; k++) {
                        FUNCDESC *fd;
                        if (ITypeInfo_GetFuncDesc(ti, k, &fd) != S_OK)
                                continue;
                        if (ITypeInfo_GetNames(ti, fd->memid, names, 8, &cn) == S_OK)
                                for (UINT m = 0; m < cn; m++)
                                        SysFreeString(names[m]);
                        for (SHORT m = 0; m < fd->cParams; m++) {
                                const TYPEDESC *td = &fd->lprgelemdescParam[m].tdesc;
                                while (td->vt == VT_PTR || td->vt == VT_SAFEARRAY)
                                        td = td->lptdesc;
                                if (td->vt == VT_USERDEFINED &&
                                    ITypeInfo_GetRefTypeInfo(ti, td->hreftype, &ref) == S_OK)
                                        ITypeInfo_Release(ref);
                        }
                        ITypeInfo_ReleaseFuncDesc(ti, fd);
                }
                for (UINT k = 0; k < ta->cVars; k++) {
                        VARDESC *vd;
                        if (ITypeInfo_GetVarDesc(ti, k, &vd) == S_OK)
                                ITypeInfo_ReleaseVarDesc(ti, vd);
                }
                for (UINT k = 0; k < ta->cImplTypes; k++)
                        if (ITypeInfo_GetRefTypeOfImplType(ti, k, &href) == S_OK &&
                            ITypeInfo_GetRefTypeInfo(ti, href, &ref) == S_OK)
                                ITypeInfo_Release(ref);
                ITypeInfo_ReleaseTypeAttr(ti, ta);
                ITypeInfo_Release(ti);
        }
}

static void try_load(const uint8_t *b, size_t len) {
        ITypeLib *tl = NULL;
        HRESULT hr = oleaut_load_typelib_mem(b, len, &tl);

        if (hr == S_OK) {
                walk(tl);
                ASSERT_EQ(ITypeLib_Release(tl), 0);
        } else if (hr != TYPE_E_CANTLOADLIBRARY && hr != TYPE_E_INVDATAREAD) {
                test_fail(__FILE__, __LINE__, "load: 0x%08x", (unsigned)hr);
        }
}

TEST(damaged_files) {
        static const char *const vars[] = { "DCOMIDL_CALC64", "DCOMIDL_CALC32", "DCOMIDL_TLBW64",
                                             "DCOMIDL_TLBW32", "DCOMIDL_VT64" };
        static const uint8_t vals[] = { 0x00, 0x7f, 0x80, 0xff };

        for (size_t f = 0; f < sizeof vars / sizeof *vars; f++) {
                const char *p = env_path(vars[f]);
                size_t len;
                ASSERT_NOT_NULL(p);
                uint8_t *good = slurp(p, &len), *b = malloc(len);
                ASSERT_NOT_NULL(b);
                /* whole: loads and describes everything */
                ITypeLib *tl;
                ASSERT_HR_EQ(oleaut_load_typelib_mem(good, len, &tl), S_OK);
                walk(tl);
                ASSERT_EQ(ITypeLib_Release(tl), 0);
                /* every truncation */
                for (size_t n = 0; n < len; n++) {
                        uint8_t *cut = malloc(n ? n : 1);
                        ASSERT_NOT_NULL(cut);
                        memcpy(cut, good, n);
                        try_load(cut, n);
                        free(cut);
                }
                /* every byte changed to values that break offsets and counts */
                for (size_t i = 0; i < len; i++)
                        for (size_t v = 0; v < sizeof vals; v++) {
                                memcpy(b, good, len);
                                b[i] = vals[v];
                                try_load(b, len);
                        }
                free(b);
                free(good);
        }
}
