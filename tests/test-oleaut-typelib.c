/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Type libraries and the IDispatch helpers (src/oleaut/typelib.c, typeinfo.c,
 * dispinvoke.c, regtlb.c) on MSFT files that Wine's widl made at build time from
 * tests/typelib/calc.idl (64-bit and 32-bit):
 *   - every attribute of the library, the dual interface's two views, the enum, the
 *     struct, the alias, the dispinterface and the coclass, as Windows describes them;
 *   - ITypeComp, IsName, FindName, GetIDsOfNames, GetNames, GetDocumentation;
 *   - a C object with the dual interface called late-bound by name, through its own
 *     IDispatch (DispInvoke) and through CreateStdDispatch: coercions, named arguments,
 *     DISPID_PROPERTYPUT, [optional], [defaultvalue], [retval], [lcid], by-reference
 *     arguments, twelve-argument calls (stack and vector registers), SAFEARRAY and
 *     VARIANT parameters, and each error (DISP_E_BADPARAMCOUNT, DISP_E_TYPEMISMATCH with
 *     puArgErr, DISP_E_MEMBERNOTFOUND, DISP_E_UNKNOWNNAME, DISP_E_PARAMNOTFOUND,
 *     DISP_E_EXCEPTION filled from the object's error object);
 *   - CreateDispTypeInfo;
 *   - a type library inside a PE image (Wine's stdole2.tlb, when installed), whole and
 *     damaged;
 *   - a library importing another (tests/typelib/derived.idl): its dual interface's
 *     parent found through the registry, its inherited members described and called;
 *   - RegisterTypeLib/LoadTypeLibEx(REGKIND_REGISTER), QueryPathOfRegTypeLib,
 *     LoadRegTypeLib and UnRegisterTypeLib in this run's private OPENDCOM_ROOT;
 *   - malformed files: every truncation and thousands of corrupted bytes are refused
 *     or loaded soundly (ASan watches every read).
 * The environment names the .tlb files: CALC_TLB64, CALC_TLB32 (unset when widl is
 * missing: skipped).
 */
#define COBJMACROS

#include <fcntl.h>
#include <math.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <objbase.h>
#include <dcom/winreg.h>

#include "oleaut/oleaut-internal.h"
#include "test.h"
#include "calc-object.h"

static const char *tlb64, *tlb32, *tlb_derived;

/* The widl-made libraries, or a skip. */
static void need_tlbs(void) {
        tlb64 = getenv("CALC_TLB64");
        tlb32 = getenv("CALC_TLB32");
        tlb_derived = getenv("DERIVED_TLB");
        if (!tlb64 || !tlb32 || !tlb_derived || access(tlb64, R_OK) != 0 ||
            access(tlb32, R_OK) != 0 || access(tlb_derived, R_OK) != 0)
                SKIP("no widl-made type libraries (Debian package wine64-tools)");
}

static const GUID LIBID_CalcLib = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                    { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x01 } };
static const GUID DIID_DCalcEvents = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                       { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x05 } };
static const GUID CLSID_Calc = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                 { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x06 } };
static const GUID GUID_Colors = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                  { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x02 } };
static const GUID GUID_Point = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                 { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x03 } };

#define ASSERT_GUID_EQ(a, b) ASSERT_MEM_EQ((a), (b), sizeof(GUID))

/* ---- strings ---- */

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

static char *A(const OLECHAR *s) {
        static char bufs[8][512];
        static int next;
        char *b = bufs[next++ % 8];
        size_t i = 0;

        for (; s && s[i] && i < 511; i++)
                b[i] = (char)s[i];
        b[i] = 0;
        return b;
}

#define ASSERT_BSTR_EQ(b, s) ASSERT_STR_EQ(A(b), s)

static ITypeLib *load(const char *path) {
        ITypeLib *tl = NULL;

        ASSERT_HR_EQ(LoadTypeLibEx(W(path), REGKIND_NONE, &tl), S_OK);
        ASSERT_NOT_NULL(tl);
        return tl;
}

static ITypeInfo *info_of(ITypeLib *tl, const GUID *g) {
        ITypeInfo *ti = NULL;

        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, g, &ti), S_OK);
        return ti;
}

static const FUNCDESC *func_named(ITypeInfo *ti, const char *name, INVOKEKIND kind) {
        TYPEATTR *ta;

        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        for (UINT i = 0; i < ta->cFuncs; i++) {
                FUNCDESC *fd;
                BSTR n = NULL;
                UINT cn = 0;
                ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(ti, i, &fd), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetNames(ti, fd->memid, &n, 1, &cn), S_OK);
                /* names are shared, in the spelling first met (Add's "sum" names Sum) */
                bool hit = strcasecmp(A(n), name) == 0 && fd->invkind == kind;
                SysFreeString(n);
                if (hit)
                        return fd;
        }
        test_fail(__FILE__, __LINE__, "no function %s", name);
}

/* ---- the library ---- */

static void check_lib(const char *path, SYSKIND sk) {
        ITypeLib *tl = load(path);
        TLIBATTR *la;
        BSTR name, doc, file;
        DWORD ctx = 99;
        TYPEKIND kind;

        ASSERT_HR_EQ(ITypeLib_GetLibAttr(tl, &la), S_OK);
        ASSERT_GUID_EQ(&la->guid, &LIBID_CalcLib);
        ASSERT_EQ(la->wMajorVerNum, 1);
        ASSERT_EQ(la->wMinorVerNum, 2);
        ASSERT_EQ(la->syskind, sk);
        ASSERT_EQ(la->lcid, 0);
        ASSERT_EQ(la->wLibFlags, 0);
        ITypeLib_ReleaseTLibAttr(tl, la);
        ASSERT_HR_EQ(ITypeLib_GetDocumentation(tl, -1, &name, &doc, &ctx, &file), S_OK);
        ASSERT_BSTR_EQ(name, "CalcLib");
        ASSERT_BSTR_EQ(doc, "OpenDCOM typelib test library");
        ASSERT_BSTR_EQ(file, "calc.hlp");
        ASSERT_EQ(ctx, 0);
        SysFreeString(name);
        SysFreeString(doc);
        SysFreeString(file);
        ASSERT_HR_EQ(ITypeLib_GetDocumentation(tl, -1, NULL, NULL, NULL, NULL), S_OK);

        /* the types, in the order widl wrote them */
        static const struct { const char *name; TYPEKIND kind; } types[] = {
                { "Colors", TKIND_ENUM }, { "Point", TKIND_RECORD }, { "Handle", TKIND_ALIAS },
                { "ICalc", TKIND_DISPATCH }, { "DCalcEvents", TKIND_DISPATCH },
                { "Calc", TKIND_COCLASS },
        };
        ASSERT_EQ(ITypeLib_GetTypeInfoCount(tl), 6);
        for (UINT i = 0; i < 6; i++) {
                ASSERT_HR_EQ(ITypeLib_GetTypeInfoType(tl, i, &kind), S_OK);
                ASSERT_EQ(kind, types[i].kind);
                ASSERT_HR_EQ(ITypeLib_GetDocumentation(tl, (INT)i, &name, NULL, NULL, NULL), S_OK);
                ASSERT_BSTR_EQ(name, types[i].name);
                SysFreeString(name);
        }
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoType(tl, 6, &kind), TYPE_E_ELEMENTNOTFOUND);
        ITypeInfo *ti = (ITypeInfo *)tl;
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(tl, 6, &ti), TYPE_E_ELEMENTNOTFOUND);
        ASSERT_NULL(ti);
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &IID_IUnknown, &ti), TYPE_E_ELEMENTNOTFOUND);
        ASSERT_HR_EQ(ITypeLib_GetDocumentation(tl, 6, &name, NULL, NULL, NULL),
                     TYPE_E_ELEMENTNOTFOUND);

        /* GetContainingTypeLib gives the library and the index back */
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(tl, 3, &ti), S_OK);
        ITypeLib *back = NULL;
        UINT index = 99;
        ASSERT_HR_EQ(ITypeInfo_GetContainingTypeLib(ti, &back, &index), S_OK);
        ASSERT_TRUE(back == tl);
        ASSERT_EQ(index, 3);
        ITypeLib_Release(back);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

TEST(library_attributes) {
        need_tlbs();
        check_lib(tlb64, SYS_WIN64);
        check_lib(tlb32, SYS_WIN32);
}

/* ---- the dual interface ---- */

static void check_dual(const char *path) {
        ITypeLib *tl = load(path);
        ITypeInfo *ti = info_of(tl, &IID_ICalc), *iti, *disp;
        TYPEATTR *ta;
        const FUNCDESC *fd;
        HREFTYPE href;
        BSTR name;

        /* the dispinterface view: IDispatch's seven functions, then ICalc's twelve */
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_GUID_EQ(&ta->guid, &IID_ICalc);
        ASSERT_EQ(ta->typekind, TKIND_DISPATCH);
        ASSERT_EQ(ta->wTypeFlags, TYPEFLAG_FDUAL | TYPEFLAG_FDISPATCHABLE);
        ASSERT_EQ(ta->cFuncs, 7 + 12);
        ASSERT_EQ(ta->cVars, 0);
        ASSERT_EQ(ta->cImplTypes, 1);
        ASSERT_EQ(ta->cbSizeVft, 7 * sizeof(void *));
        ASSERT_EQ(ta->cbSizeInstance, sizeof(void *));
        ASSERT_EQ(ta->memidConstructor, MEMBERID_NIL);
        ASSERT_EQ(ta->memidDestructor, MEMBERID_NIL);
        ITypeInfo_ReleaseTypeAttr(ti, ta);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, 0, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &disp), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(disp, MEMBERID_NIL, &name, NULL, NULL, NULL), S_OK);
        ASSERT_BSTR_EQ(name, "IDispatch");
        SysFreeString(name);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(disp, &ta), S_OK);
        ASSERT_GUID_EQ(&ta->guid, &IID_IDispatch);
        ASSERT_EQ(ta->cFuncs, 4);
        ITypeInfo_Release(disp);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, 1, &href), TYPE_E_ELEMENTNOTFOUND);

        FUNCDESC *f0;
        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(ti, 0, &f0), S_OK);
        ASSERT_EQ(f0->memid, 0x60000000);       /* QueryInterface */
        ASSERT_EQ(f0->funckind, FUNC_DISPATCH);
        ASSERT_EQ(f0->wFuncFlags, FUNCFLAG_FRESTRICTED);
        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(ti, 19, &f0), TYPE_E_ELEMENTNOTFOUND);

        /* Add in the dispinterface view: FUNC_DISPATCH, the [retval] is the return type */
        fd = func_named(ti, "Add", INVOKE_FUNC);
        ASSERT_EQ(fd->memid, 1);
        ASSERT_EQ(fd->funckind, FUNC_DISPATCH);
        ASSERT_EQ(fd->callconv, CC_STDCALL);
        ASSERT_EQ(fd->cParams, 2);
        ASSERT_EQ(fd->cParamsOpt, 0);
        ASSERT_EQ(fd->elemdescFunc.tdesc.vt, VT_I4);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_I4);
        ASSERT_EQ(fd->lprgelemdescParam[0].paramdesc.wParamFlags, PARAMFLAG_FIN);
        fd = func_named(ti, "Fail", INVOKE_FUNC);
        ASSERT_EQ(fd->elemdescFunc.tdesc.vt, VT_VOID);
        ASSERT_EQ(fd->cParams, 1);

        /* the interface view */
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(iti, &ta), S_OK);
        ASSERT_GUID_EQ(&ta->guid, &IID_ICalc);
        ASSERT_EQ(ta->typekind, TKIND_INTERFACE);
        ASSERT_EQ(ta->wTypeFlags, TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION | TYPEFLAG_FDISPATCHABLE);
        ASSERT_EQ(ta->cFuncs, 12);
        ASSERT_EQ(ta->cImplTypes, 1);
        ASSERT_EQ(ta->cbSizeVft, (7 + 12) * sizeof(void *));
        ITypeInfo_ReleaseTypeAttr(iti, ta);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(iti, (UINT)-1, &href), TYPE_E_ELEMENTNOTFOUND);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(iti, 0, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(iti, href, &disp), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(disp, &ta), S_OK);
        ASSERT_GUID_EQ(&ta->guid, &IID_IDispatch);
        ITypeInfo_Release(disp);

        fd = func_named(iti, "Add", INVOKE_FUNC);
        ASSERT_EQ(fd->memid, 1);
        ASSERT_EQ(fd->funckind, FUNC_PUREVIRTUAL);
        ASSERT_EQ(fd->invkind, INVOKE_FUNC);
        ASSERT_EQ(fd->callconv, CC_STDCALL);
        ASSERT_EQ(fd->oVft, 7 * sizeof(void *));
        ASSERT_EQ(fd->cParams, 3);
        ASSERT_EQ(fd->elemdescFunc.tdesc.vt, VT_HRESULT);
        ASSERT_EQ(fd->lprgelemdescParam[2].tdesc.vt, VT_PTR);
        ASSERT_EQ(fd->lprgelemdescParam[2].tdesc.lptdesc->vt, VT_I4);
        ASSERT_EQ(fd->lprgelemdescParam[2].paramdesc.wParamFlags, PARAMFLAG_FOUT | PARAMFLAG_FRETVAL);
        BSTR names[5] = { 0 };
        UINT n = 0;
        ASSERT_HR_EQ(ITypeInfo_GetNames(iti, 1, names, 5, &n), S_OK);
        ASSERT_EQ(n, 4);
        ASSERT_BSTR_EQ(names[0], "Add");
        ASSERT_BSTR_EQ(names[1], "a");
        ASSERT_BSTR_EQ(names[2], "b");
        ASSERT_BSTR_EQ(names[3], "sum");
        for (UINT i = 0; i < n; i++)
                SysFreeString(names[i]);
        ASSERT_HR_EQ(ITypeInfo_GetNames(ti, 1, names, 5, &n), S_OK);
        ASSERT_EQ(n, 3);        /* the dispinterface's Add has no [retval] parameter */
        for (UINT i = 0; i < n; i++)
                SysFreeString(names[i]);
        ASSERT_HR_EQ(ITypeInfo_GetNames(iti, 1, names, 2, &n), S_OK);
        ASSERT_EQ(n, 2);
        SysFreeString(names[0]);
        SysFreeString(names[1]);
        ASSERT_HR_EQ(ITypeInfo_GetNames(iti, 1234, names, 2, &n), TYPE_E_ELEMENTNOTFOUND);
        /* inherited from IDispatch, through the parent */
        ASSERT_HR_EQ(ITypeInfo_GetNames(iti, 0x60010003, names, 1, &n), S_OK);
        ASSERT_BSTR_EQ(names[0], "Invoke");
        SysFreeString(names[0]);

        /* documentation */
        BSTR doc;
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(iti, 1, &name, &doc, NULL, NULL), S_OK);
        ASSERT_BSTR_EQ(name, "Add");
        ASSERT_BSTR_EQ(doc, "adds two numbers");
        SysFreeString(name);
        SysFreeString(doc);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(ti, MEMBERID_NIL, &name, &doc, NULL, NULL), S_OK);
        ASSERT_BSTR_EQ(name, "ICalc");
        ASSERT_BSTR_EQ(doc, "A calculator");
        SysFreeString(name);
        SysFreeString(doc);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(ti, 4321, &name, NULL, NULL, NULL),
                     TYPE_E_ELEMENTNOTFOUND);

        /* properties: one MEMBERID, two kinds */
        fd = func_named(iti, "Name", INVOKE_PROPERTYGET);
        ASSERT_EQ(fd->memid, 2);
        ASSERT_EQ(fd->oVft, 8 * sizeof(void *));
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.lptdesc->vt, VT_BSTR);
        fd = func_named(iti, "Name", INVOKE_PROPERTYPUT);
        ASSERT_EQ(fd->memid, 2);
        ASSERT_EQ(fd->oVft, 9 * sizeof(void *));
        ASSERT_EQ(fd->cParams, 1);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_BSTR);

        /* [optional] VARIANT */
        fd = func_named(iti, "Concat", INVOKE_FUNC);
        ASSERT_EQ(fd->cParamsOpt, 1);
        ASSERT_EQ(fd->lprgelemdescParam[1].tdesc.vt, VT_VARIANT);
        ASSERT_EQ(fd->lprgelemdescParam[1].paramdesc.wParamFlags, PARAMFLAG_FIN | PARAMFLAG_FOPT);

        /* [defaultvalue] */
        fd = func_named(iti, "Scale", INVOKE_FUNC);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_R8);
        const PARAMDESC *pd = &fd->lprgelemdescParam[1].paramdesc;
        ASSERT_EQ(pd->wParamFlags, PARAMFLAG_FIN | PARAMFLAG_FOPT | PARAMFLAG_FHASDEFAULT);
        ASSERT_NOT_NULL(pd->pparamdescex);
        ASSERT_EQ(V_VT(&pd->pparamdescex->varDefaultValue), VT_I4);
        ASSERT_EQ(V_I4(&pd->pparamdescex->varDefaultValue), 3);

        /* SAFEARRAY(LONG) */
        fd = func_named(iti, "Sum", INVOKE_FUNC);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_SAFEARRAY);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.lptdesc->vt, VT_I4);

        /* [lcid] */
        fd = func_named(iti, "Locale", INVOKE_FUNC);
        ASSERT_EQ(fd->lprgelemdescParam[1].paramdesc.wParamFlags, PARAMFLAG_FLCID);

        /* [in, out] */
        fd = func_named(iti, "Swap", INVOKE_FUNC);
        ASSERT_EQ(fd->lprgelemdescParam[0].paramdesc.wParamFlags, PARAMFLAG_FIN | PARAMFLAG_FOUT);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_PTR);

        /* user-defined types: the enum and the alias */
        fd = func_named(iti, "Paint", INVOKE_FUNC);
        ASSERT_EQ(fd->lprgelemdescParam[0].tdesc.vt, VT_USERDEFINED);
        ITypeInfo *ref;
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(iti, fd->lprgelemdescParam[0].tdesc.hreftype, &ref), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ref, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_ENUM);
        ITypeInfo_Release(ref);
        ASSERT_EQ(fd->lprgelemdescParam[1].tdesc.vt, VT_USERDEFINED);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(iti, fd->lprgelemdescParam[1].tdesc.hreftype, &ref), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ref, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_ALIAS);
        ASSERT_EQ(ta->tdescAlias.vt, VT_I4);
        ITypeInfo_Release(ref);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(iti, 0x7ff0, &ref), TYPE_E_ELEMENTNOTFOUND);

        /* names to MEMBERIDs, in any case; parameters by index; unknown ones */
        LPOLESTR nm[3] = { W("aDD"), W("B"), W("a") };
        MEMBERID ids[3];
        ASSERT_HR_EQ(ITypeInfo_GetIDsOfNames(ti, nm, 3, ids), S_OK);
        ASSERT_EQ(ids[0], 1);
        ASSERT_EQ(ids[1], 1);
        ASSERT_EQ(ids[2], 0);
        nm[1] = W("nope");
        ASSERT_HR_EQ(ITypeInfo_GetIDsOfNames(ti, nm, 2, ids), DISP_E_UNKNOWNNAME);
        ASSERT_EQ(ids[0], 1);
        ASSERT_EQ(ids[1], MEMBERID_NIL);
        nm[0] = W("Nothing");
        ASSERT_HR_EQ(ITypeInfo_GetIDsOfNames(ti, nm, 1, ids), DISP_E_UNKNOWNNAME);
        ASSERT_EQ(ids[0], MEMBERID_NIL);
        nm[0] = W("invoke");    /* IDispatch's, inherited */
        ASSERT_HR_EQ(ITypeInfo_GetIDsOfNames(iti, nm, 1, ids), S_OK);
        ASSERT_EQ(ids[0], 0x60010003);

        /* ITypeComp on the interface: by name and kind */
        ITypeComp *tc;
        DESCKIND dk;
        BINDPTR bp;
        ITypeInfo *bound;
        ASSERT_HR_EQ(ITypeInfo_GetTypeComp(iti, &tc), S_OK);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("scale"), 0, INVOKE_FUNC, &bound, &dk, &bp), S_OK);
        ASSERT_EQ(dk, DESCKIND_FUNCDESC);
        ASSERT_EQ(bp.lpfuncdesc->memid, 4);
        ITypeInfo_Release(bound);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("Name"), 0, INVOKE_PROPERTYPUT, &bound, &dk, &bp), S_OK);
        ASSERT_EQ(dk, DESCKIND_FUNCDESC);
        ASSERT_EQ(bp.lpfuncdesc->invkind, INVOKE_PROPERTYPUT);
        ITypeInfo_Release(bound);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("Add"), 0, INVOKE_PROPERTYGET, &bound, &dk, &bp),
                     TYPE_E_TYPEMISMATCH);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("Zork"), 0, 0, &bound, &dk, &bp), S_OK);
        ASSERT_EQ(dk, DESCKIND_NONE);
        ASSERT_NULL(bound);
        ITypeComp_Release(tc);

        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

TEST(dual_interface) {
        need_tlbs();
        check_dual(tlb64);
        check_dual(tlb32);      /* offsets scaled to this machine's pointers */
}

TEST(enum_struct_alias) {
        need_tlbs();
        ITypeLib *tl = load(tlb64);
        ITypeInfo *ti = info_of(tl, &GUID_Colors);
        TYPEATTR *ta;
        VARDESC *vd;
        static const struct { const char *name; LONG value; } colors[] = {
                { "Red", 1 }, { "Green", 2 }, { "Blue", 4 },
        };

        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_ENUM);
        ASSERT_EQ(ta->cVars, 3);
        ASSERT_EQ(ta->cFuncs, 0);
        ASSERT_EQ(ta->cbSizeInstance, 4);
        for (UINT i = 0; i < 3; i++) {
                BSTR name;
                UINT n;
                ASSERT_HR_EQ(ITypeInfo_GetVarDesc(ti, i, &vd), S_OK);
                ASSERT_EQ(vd->varkind, VAR_CONST);
                ASSERT_EQ(V_VT(vd->lpvarValue), VT_I4);
                ASSERT_EQ(V_I4(vd->lpvarValue), colors[i].value);
                ASSERT_HR_EQ(ITypeInfo_GetNames(ti, vd->memid, &name, 1, &n), S_OK);
                ASSERT_EQ(n, 1);
                ASSERT_BSTR_EQ(name, colors[i].name);
                SysFreeString(name);
                ITypeInfo_ReleaseVarDesc(ti, vd);
        }
        ASSERT_HR_EQ(ITypeInfo_GetVarDesc(ti, 3, &vd), TYPE_E_ELEMENTNOTFOUND);
        ITypeInfo_Release(ti);

        ti = info_of(tl, &GUID_Point);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_RECORD);
        ASSERT_EQ(ta->cVars, 3);
        ASSERT_EQ(ta->cbSizeInstance, 16);
        ASSERT_EQ(ta->cbAlignment, 8);
        static const struct { VARTYPE vt; ULONG off; } fields[] = {
                { VT_I4, 0 }, { VT_I4, 4 }, { VT_R8, 8 },
        };
        for (UINT i = 0; i < 3; i++) {
                ASSERT_HR_EQ(ITypeInfo_GetVarDesc(ti, i, &vd), S_OK);
                ASSERT_EQ(vd->varkind, VAR_PERINSTANCE);
                ASSERT_EQ(vd->elemdescVar.tdesc.vt, fields[i].vt);
                ASSERT_EQ(vd->oInst, fields[i].off);
        }
        ITypeInfo_Release(ti);

        ITypeInfo *alias;
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(tl, 2, &alias), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(alias, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_ALIAS);
        ASSERT_EQ(ta->tdescAlias.vt, VT_I4);
        ITypeInfo_Release(alias);

        /* the library's ITypeComp: enum constants and types */
        ITypeComp *tc;
        DESCKIND dk;
        BINDPTR bp;
        ITypeInfo *bound;
        ASSERT_HR_EQ(ITypeLib_GetTypeComp(tl, &tc), S_OK);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("green"), 0, 0, &bound, &dk, &bp), S_OK);
        ASSERT_EQ(dk, DESCKIND_VARDESC);
        ASSERT_EQ(V_I4(bp.lpvardesc->lpvarValue), 2);
        ITypeInfo_Release(bound);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("Colors"), 0, 0, &bound, &dk, &bp), S_OK);
        ASSERT_EQ(dk, DESCKIND_TYPECOMP);
        ITypeComp_Release(bp.lptcomp);
        ITypeComp *tc2 = NULL;
        ASSERT_HR_EQ(ITypeComp_BindType(tc, W("point"), 0, &bound, &tc2), S_OK);
        ASSERT_NOT_NULL(bound);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(bound, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_RECORD);
        ITypeInfo_Release(bound);
        ASSERT_HR_EQ(ITypeComp_BindType(tc, W("Nope"), 0, &bound, &tc2), S_OK);
        ASSERT_NULL(bound);
        ITypeComp_Release(tc);

        /* IsName gives the library's spelling; FindName the types and members */
        OLECHAR buf[32];
        BOOL found = FALSE;
        memcpy(buf, W("bLUE"), 5 * sizeof(OLECHAR));
        ASSERT_HR_EQ(ITypeLib_IsName(tl, buf, 0, &found), S_OK);
        ASSERT_TRUE(found);
        ASSERT_STR_EQ(A(buf), "Blue");
        memcpy(buf, W("zzz"), 4 * sizeof(OLECHAR));
        ASSERT_HR_EQ(ITypeLib_IsName(tl, buf, 0, &found), S_OK);
        ASSERT_FALSE(found);
        ITypeInfo *infos[4];
        MEMBERID memids[4];
        USHORT cfound = 4;
        memcpy(buf, W("add"), 4 * sizeof(OLECHAR));
        ASSERT_HR_EQ(ITypeLib_FindName(tl, buf, 0, infos, memids, &cfound), S_OK);
        ASSERT_EQ(cfound, 1);
        ASSERT_EQ(memids[0], 1);
        ITypeInfo_Release(infos[0]);
        cfound = 4;
        memcpy(buf, W("Calc"), 5 * sizeof(OLECHAR));
        ASSERT_HR_EQ(ITypeLib_FindName(tl, buf, 0, infos, memids, &cfound), S_OK);
        ASSERT_EQ(cfound, 1);
        ASSERT_EQ(memids[0], MEMBERID_NIL);
        ITypeInfo_Release(infos[0]);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

TEST(dispinterface_and_coclass) {
        need_tlbs();
        ITypeLib *tl = load(tlb64);
        ITypeInfo *ti = info_of(tl, &DIID_DCalcEvents), *ref;
        TYPEATTR *ta;
        VARDESC *vd;
        FUNCDESC *fd;
        HREFTYPE href;
        INT flags;

        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_DISPATCH);
        ASSERT_EQ(ta->wTypeFlags & TYPEFLAG_FDUAL, 0);
        ASSERT_EQ(ta->cbSizeVft, 7 * sizeof(void *));
        ASSERT_EQ(ta->cVars, 1);
        ASSERT_EQ(ta->cImplTypes, 1);
        ASSERT_HR_EQ(ITypeInfo_GetVarDesc(ti, 0, &vd), S_OK);
        ASSERT_EQ(vd->varkind, VAR_DISPATCH);
        ASSERT_EQ(vd->memid, 1);
        ASSERT_EQ(vd->elemdescVar.tdesc.vt, VT_I4);
        bool fired = false;
        for (UINT i = 0; i < ta->cFuncs; i++) {
                ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(ti, i, &fd), S_OK);
                if (fd->memid != 2)
                        continue;
                ASSERT_EQ(fd->funckind, FUNC_DISPATCH);
                ASSERT_EQ(fd->elemdescFunc.tdesc.vt, VT_VOID);
                ASSERT_EQ(fd->cParams, 1);
                fired = true;
        }
        ASSERT_TRUE(fired);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), TYPE_E_ELEMENTNOTFOUND);
        ITypeInfo_Release(ti);

        ti = info_of(tl, &CLSID_Calc);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_COCLASS);
        ASSERT_EQ(ta->wTypeFlags, TYPEFLAG_FCANCREATE);
        ASSERT_EQ(ta->cImplTypes, 2);
        ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(ti, 0, &flags), S_OK);
        ASSERT_EQ(flags, IMPLTYPEFLAG_FDEFAULT);
        ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(ti, 1, &flags), S_OK);
        ASSERT_EQ(flags, IMPLTYPEFLAG_FDEFAULT | IMPLTYPEFLAG_FSOURCE);
        ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(ti, 2, &flags), TYPE_E_ELEMENTNOTFOUND);
        static const GUID *const impl[] = { &IID_ICalc, &DIID_DCalcEvents };
        for (UINT i = 0; i < 2; i++) {
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, i, &href), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &ref), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ref, &ta), S_OK);
                ASSERT_GUID_EQ(&ta->guid, impl[i]);
                ITypeInfo_Release(ref);
        }
        void *obj = (void *)1;
        ASSERT_HR_EQ(ITypeInfo_GetDllEntry(ti, 0, INVOKE_FUNC, NULL, NULL, NULL),
                     TYPE_E_BADMODULEKIND);
        ITypeInfo *enum_ti;
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(tl, 0, &enum_ti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_CreateInstance(enum_ti, NULL, &IID_IUnknown, &obj),
                     TYPE_E_WRONGTYPEKIND);
        ASSERT_NULL(obj);
        ITypeInfo_Release(enum_ti);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

/* ---- calling the C object with the dual interface (calc-object.h) ---- */

static DISPID id_of(IDispatch *d, const char *name) {
        LPOLESTR n = W(name);
        DISPID id = 12345;
        HRESULT hr = IDispatch_GetIDsOfNames(d, &IID_NULL, &n, 1, LOCALE_USER_DEFAULT, &id);
        return hr == S_OK ? id : DISPID_UNKNOWN;
}

/* Calls d's member by name with args given first to last; returns the HRESULT. */
static HRESULT call(IDispatch *d, const char *name, WORD flags, VARIANT *args, UINT n,
                    VARIANT *res, EXCEPINFO *ei, UINT *arg_err) {
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
                                ei, arg_err);
}

static VARIANT vi4(LONG v) {
        VARIANT x;
        V_VT(&x) = VT_I4;
        V_I4(&x) = v;
        return x;
}

static VARIANT vr8(double v) {
        VARIANT x;
        V_VT(&x) = VT_R8;
        V_R8(&x) = v;
        return x;
}

static VARIANT vstr(const char *s) {
        VARIANT x;
        V_VT(&x) = VT_BSTR;
        V_BSTR(&x) = SysAllocString(W(s));
        return x;
}

static void exercise(IDispatch *d, struct calc *c) {
        VARIANT a[12], r;
        EXCEPINFO ei;
        UINT ae;

        /* coercion: a BSTR and an R8 to LONGs */
        a[0] = vstr("40");
        a[1] = vr8(2.0);
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 42);
        /* VB's "x = o.Add(...)": method and property get together */
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD | DISPATCH_PROPERTYGET, a, 2, &r, NULL, NULL),
                     S_OK);
        ASSERT_EQ(V_I4(&r), 42);
        VariantClear(&a[0]);

        /* named arguments, by parameter index, in any order */
        VARIANT nv[2] = { vi4(5), vi4(1000) };
        DISPID named[2] = { 1, 0 };     /* b = 5, a = 1000 */
        DISPPARAMS dp = { nv, named, 2, 2 };
        VariantInit(&r);
        ASSERT_HR_EQ(IDispatch_Invoke(d, 1, &IID_NULL, 0, DISPATCH_METHOD, &dp, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_I4(&r), 1005);
        named[0] = 7;   /* no such parameter */
        ae = 99;
        ASSERT_HR_EQ(IDispatch_Invoke(d, 1, &IID_NULL, 0, DISPATCH_METHOD, &dp, &r, NULL, &ae),
                     DISP_E_PARAMNOTFOUND);
        ASSERT_EQ(ae, 0);

        /* errors: argument count, type, member, kind */
        a[0] = vi4(1);
        a[1] = vi4(2);
        a[2] = vi4(3);
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 3, &r, NULL, NULL), DISP_E_BADPARAMCOUNT);
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 1, &r, NULL, NULL), DISP_E_BADPARAMCOUNT);
        a[0] = vstr("forty");
        ae = 99;
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r, NULL, &ae), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(ae, 1);       /* rgvarg[1]: the first argument */
        VariantClear(&a[0]);
        a[0] = vi4(1);
        V_VT(&a[1]) = VT_R8;
        V_R8(&a[1]) = 1e12;
        ae = 99;
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r, NULL, &ae), DISP_E_OVERFLOW);
        ASSERT_EQ(ae, 0);
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        ASSERT_HR_EQ(IDispatch_Invoke(d, 999, &IID_NULL, 0, DISPATCH_METHOD, &none, &r, NULL, NULL),
                     DISP_E_MEMBERNOTFOUND);
        ASSERT_HR_EQ(IDispatch_Invoke(d, 2, &IID_NULL, 0, DISPATCH_METHOD, &none, &r, NULL, NULL),
                     DISP_E_MEMBERNOTFOUND);      /* Name is a property, not a method */
        ASSERT_EQ(id_of(d, "NoSuchThing"), DISPID_UNKNOWN);

        /* properties: put through DISPID_PROPERTYPUT, get */
        a[0] = vstr("abacus");
        ASSERT_HR_EQ(call(d, "Name", DISPATCH_PROPERTYPUT, a, 1, NULL, NULL, NULL), S_OK);
        VariantClear(&a[0]);
        ASSERT_STR_EQ(A(c->name), "abacus");
        ASSERT_HR_EQ(call(d, "Name", DISPATCH_PROPERTYGET, NULL, 0, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BSTR);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "abacus");
        VariantClear(&r);

        /* [optional]: left out, the object sees VT_ERROR DISP_E_PARAMNOTFOUND */
        a[0] = vstr("x");
        ASSERT_HR_EQ(call(d, "Concat", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "x");
        ASSERT_EQ(V_VT(&c->last_b), VT_ERROR);
        ASSERT_EQ(V_ERROR(&c->last_b), DISP_E_PARAMNOTFOUND);
        VariantClear(&r);
        a[1] = vi4(7);
        ASSERT_HR_EQ(call(d, "Concat", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "x7");
        ASSERT_EQ(V_VT(&c->last_b), VT_I4);
        VariantClear(&r);
        VariantClear(&a[0]);

        /* [defaultvalue(3)] */
        a[0] = vr8(2.5);
        ASSERT_HR_EQ(call(d, "Scale", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_R8);
        ASSERT_TRUE(V_R8(&r) == 7.5);
        a[1] = vstr("4");
        ASSERT_HR_EQ(call(d, "Scale", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_TRUE(V_R8(&r) == 10.0);
        VariantClear(&a[1]);

        /* SAFEARRAY(LONG) */
        SAFEARRAY *sa = SafeArrayCreateVector(VT_I4, 0, 4);
        for (LONG k = 0; k < 4; k++) {
                LONG v = (k + 1) * 10;
                SafeArrayPutElement(sa, &k, &v);
        }
        V_VT(&a[0]) = VT_ARRAY | VT_I4;
        V_ARRAY(&a[0]) = sa;
        ASSERT_HR_EQ(call(d, "Sum", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_I4(&r), 100);
        SafeArrayDestroy(sa);

        /* a failing method: DISP_E_EXCEPTION, EXCEPINFO from its error object */
        a[0] = vi4((LONG)0x80040213);
        memset(&ei, 0xcc, sizeof ei);
        ASSERT_HR_EQ(call(d, "Fail", DISPATCH_METHOD, a, 1, &r, &ei, NULL), DISP_E_EXCEPTION);
        ASSERT_EQ(ei.scode, (SCODE)0x80040213);
        ASSERT_STR_EQ(A(ei.bstrSource), "Calc.Object");
        ASSERT_STR_EQ(A(ei.bstrDescription), "it failed on purpose");
        ASSERT_EQ(ei.dwHelpContext, 77);
        SysFreeString(ei.bstrSource);
        SysFreeString(ei.bstrDescription);
        SysFreeString(ei.bstrHelpFile);
        /* taken from the thread's slot; without an EXCEPINFO it stays for the caller */
        IErrorInfo *left = NULL;
        ASSERT_HR_EQ(GetErrorInfo(0, &left), S_FALSE);
        ASSERT_HR_EQ(call(d, "Fail", DISPATCH_METHOD, a, 1, &r, NULL, NULL), DISP_E_EXCEPTION);
        ASSERT_HR_EQ(GetErrorInfo(0, &left), S_OK);
        BSTR desc = NULL;
        ASSERT_HR_EQ(IErrorInfo_GetDescription(left, &desc), S_OK);
        ASSERT_STR_EQ(A(desc), "it failed on purpose");
        SysFreeString(desc);
        IErrorInfo_Release(left);
        a[0] = vi4(0);
        ASSERT_HR_EQ(call(d, "Fail", DISPATCH_METHOD, a, 1, &r, &ei, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_EMPTY);

        /* [lcid]: the caller does not see it, the method gets the locale */
        a[0] = vi4(3);
        ASSERT_HR_EQ(call(d, "Locale", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_I4(&r), 3 * 0x10000 + LOCALE_USER_DEFAULT);

        /* [in, out] by reference: the caller's variables change */
        LONG x = 1, y = 2;
        V_VT(&a[0]) = VT_I4 | VT_BYREF;
        V_I4REF(&a[0]) = &x;
        V_VT(&a[1]) = VT_I4 | VT_BYREF;
        V_I4REF(&a[1]) = &y;
        ASSERT_HR_EQ(call(d, "Swap", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(x, 2);
        ASSERT_EQ(y, 1);

        /* twelve arguments: integers, floats and a VARIANT past the registers, coerced */
        a[0] = vstr("7");                       /* BYTE */
        a[1] = vi4(-3);                         /* SHORT */
        a[2] = vr8(1.5);                        /* float */
        a[3] = vstr("2.25");                    /* double */
        V_VT(&a[4]) = VT_BOOL;
        V_BOOL(&a[4]) = VARIANT_TRUE;
        V_VT(&a[5]) = VT_I8;
        V_I8(&a[5]) = 1;                        /* LONGLONG */
        a[6] = vi4(1);
        a[7] = vi4(2);
        a[8] = vstr("3");
        V_VT(&a[9]) = VT_R4;
        V_R4(&a[9]) = 0.5f;                     /* double */
        a[10] = vi4(4);                         /* VARIANT */
        a[11] = vi4(5);
        ASSERT_HR_EQ(call(d, "Mix", DISPATCH_METHOD, a, 12, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_R8);
        double want = 7 - 30 + 150 + 2250 + 10000 + 1 + 1e5 + 2e6 + 3e7 + 0.5e8 + 4e9 + 5e10;
        ASSERT_TRUE(fabs(V_R8(&r) - want) < 1e-3);
        VariantClear(&a[0]);
        VariantClear(&a[3]);
        VariantClear(&a[8]);

        /* an enum and an alias parameter */
        V_VT(&a[0]) = VT_I2;
        V_I2(&a[0]) = 4;
        a[1] = vstr("9");
        ASSERT_HR_EQ(call(d, "Paint", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_I4(&r), 409);
        VariantClear(&a[1]);

        /* VARIANT in, VARIANT [retval] out */
        a[0] = vstr("echo");
        ASSERT_HR_EQ(call(d, "Echo", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BSTR);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "echo");
        VariantClear(&r);
        VariantClear(&a[0]);
}

TEST(dispinvoke_dual_object) {
        need_tlbs();
        const char *const libs[] = { tlb64, tlb32 };

        for (int l = 0; l < 2; l++) {
                ITypeLib *tl = load(libs[l]);
                struct calc c = { { &calc_vtbl }, 1, NULL, NULL, { { { 0 } } } };
                c.tinfo = info_of(tl, &IID_ICalc);
                VariantInit(&c.last_b);
                IDispatch *d = (IDispatch *)&c.ICalc_iface;
                UINT n = 0;
                ASSERT_HR_EQ(IDispatch_GetTypeInfoCount(d, &n), S_OK);
                ASSERT_EQ(n, 1);
                exercise(d, &c);
                VariantClear(&c.last_b);
                SysFreeString(c.name);
                ITypeInfo_Release(c.tinfo);
                ASSERT_EQ(ITypeLib_Release(tl), 0);
                ASSERT_EQ(c.refs, 1);
        }
}

TEST(create_std_dispatch) {
        need_tlbs();
        ITypeLib *tl = load(tlb64);
        struct calc c = { { &calc_vtbl }, 1, NULL, NULL, { { { 0 } } } };
        ITypeInfo *ti = info_of(tl, &IID_ICalc), *iti, *got;
        HREFTYPE href;
        IUnknown *unk;
        IDispatch *d;

        VariantInit(&c.last_b);
        c.tinfo = ti;
        /* the interface view, as a component hands it to CreateStdDispatch */
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(CreateStdDispatch(NULL, &c.ICalc_iface, iti, &unk), S_OK);
        ASSERT_HR_EQ(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&d), S_OK);
        UINT n = 0;
        ASSERT_HR_EQ(IDispatch_GetTypeInfoCount(d, &n), S_OK);
        ASSERT_EQ(n, 1);
        ASSERT_HR_EQ(IDispatch_GetTypeInfo(d, 0, 0, &got), S_OK);
        ASSERT_TRUE(got == iti);
        ITypeInfo_Release(got);
        ASSERT_HR_EQ(IDispatch_GetTypeInfo(d, 1, 0, &got), DISP_E_BADINDEX);
        LPOLESTR nm = W("Add");
        DISPID id;
        ASSERT_HR_EQ(IDispatch_GetIDsOfNames(d, &IID_IUnknown, &nm, 1, 0, &id),
                     DISP_E_UNKNOWNINTERFACE);
        exercise(d, &c);
        IDispatch_Release(d);
        ASSERT_EQ(IUnknown_Release(unk), 0);
        ASSERT_HR_EQ(CreateStdDispatch(NULL, NULL, iti, &unk), E_INVALIDARG);
        VariantClear(&c.last_b);
        SysFreeString(c.name);
        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

/* ---- CreateDispTypeInfo ---- */

typedef struct ISimple ISimple;
struct ISimpleVtbl {
        HRESULT (STDMETHODCALLTYPE *QueryInterface)(ISimple *, REFIID, void **);
        ULONG (STDMETHODCALLTYPE *AddRef)(ISimple *);
        ULONG (STDMETHODCALLTYPE *Release)(ISimple *);
        LONG (STDMETHODCALLTYPE *Twice)(ISimple *, LONG);
        HRESULT (STDMETHODCALLTYPE *Store)(ISimple *, BSTR, double);
};
struct ISimple {
        const struct ISimpleVtbl *lpVtbl;
        OLECHAR stored[32];
        double value;
};

static HRESULT STDMETHODCALLTYPE s_qi(ISimple *s, REFIID riid, void **ppv) {
        (void)s; (void)riid;
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE s_ref(ISimple *s) {
        (void)s;
        return 1;
}

static LONG STDMETHODCALLTYPE s_twice(ISimple *s, LONG x) {
        (void)s;
        return 2 * x;
}

static HRESULT STDMETHODCALLTYPE s_store(ISimple *s, BSTR b, double v) {
        memcpy(s->stored, b, (SysStringLen(b) + 1) * sizeof(OLECHAR));
        s->value = v;
        return S_OK;
}

static const struct ISimpleVtbl simple_vtbl = { s_qi, s_ref, s_ref, s_twice, s_store };

TEST(create_disp_type_info) {
        PARAMDATA twice_p[] = { { W("x"), VT_I4 } };
        PARAMDATA store_p[] = { { NULL, VT_BSTR }, { NULL, VT_R8 } };
        OLECHAR twice_n[] = { 'T', 'w', 'i', 'c', 'e', 0 }, store_n[] = { 'S', 't', 'o', 'r', 'e', 0 },
                x_n[] = { 'x', 0 }, s_n[] = { 's', 0 }, v_n[] = { 'v', 0 };
        twice_p[0].szName = x_n;
        store_p[0].szName = s_n;
        store_p[1].szName = v_n;
        METHODDATA md[] = {
                { twice_n, twice_p, 10, 3, CC_CDECL, 1, DISPATCH_METHOD, VT_I4 },
                { store_n, store_p, 11, 4, CC_STDCALL, 2, DISPATCH_METHOD, VT_HRESULT },
        };
        INTERFACEDATA id = { md, 2 };
        ITypeInfo *ti, *iti;
        TYPEATTR *ta;
        FUNCDESC *fd;
        HREFTYPE href;

        ASSERT_HR_EQ(CreateDispTypeInfo(&id, LOCALE_SYSTEM_DEFAULT, &ti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_COCLASS);
        ASSERT_EQ(ta->cImplTypes, 1);
        ASSERT_EQ(ta->lcid, LOCALE_SYSTEM_DEFAULT);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, 0, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(iti, &ta), S_OK);
        ASSERT_EQ(ta->typekind, TKIND_INTERFACE);
        ASSERT_EQ(ta->cFuncs, 2);
        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(iti, 0, &fd), S_OK);
        ASSERT_EQ(fd->memid, 10);
        ASSERT_EQ(fd->funckind, FUNC_VIRTUAL);
        ASSERT_EQ(fd->callconv, CC_CDECL);
        ASSERT_EQ(fd->oVft, 3 * sizeof(void *));
        ASSERT_EQ(fd->cParams, 1);
        ASSERT_EQ(fd->elemdescFunc.tdesc.vt, VT_I4);

        struct ISimple obj = { &simple_vtbl, { 0 }, 0 };
        VARIANT arg, r;
        DISPPARAMS dp = { &arg, NULL, 1, 0 };
        LPOLESTR nm[2] = { W("store"), W("V") };
        DISPID ids[2];
        ASSERT_HR_EQ(DispGetIDsOfNames(ti, nm, 2, ids), S_OK);
        ASSERT_EQ(ids[0], 11);
        ASSERT_EQ(ids[1], 1);
        arg = vr8(21.0);
        VariantInit(&r);
        ASSERT_HR_EQ(DispInvoke(&obj, ti, 10, DISPATCH_METHOD, &dp, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 42);
        VARIANT two[2] = { vi4(3), vstr("kept") };
        DISPPARAMS dp2 = { two, NULL, 2, 0 };
        ASSERT_HR_EQ(DispInvoke(&obj, iti, 11, DISPATCH_METHOD, &dp2, &r, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(obj.stored), "kept");
        ASSERT_TRUE(obj.value == 3.0);
        VariantClear(&two[1]);
        ASSERT_HR_EQ(DispInvoke(&obj, ti, 12, DISPATCH_METHOD, &dp, &r, NULL, NULL),
                     DISP_E_MEMBERNOTFOUND);
        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ASSERT_HR_EQ(CreateDispTypeInfo(NULL, 0, &ti), E_INVALIDARG);
}

/* ---- the registry ---- */

static char *reg_sz(const char *key, const char *value) {
        static char out[4][1024];
        static int next;
        char *o = out[next++ % 4];
        WCHAR buf[512];
        DWORD type, n = sizeof buf;
        HKEY k;

        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, W(key), 0, KEY_READ, &k) != ERROR_SUCCESS)
                return NULL;
        LSTATUS st = RegQueryValueExW(k, value ? W(value) : NULL, NULL, &type, (BYTE *)buf, &n);
        RegCloseKey(k);
        if (st != ERROR_SUCCESS || type != REG_SZ)
                return NULL;
        buf[n / 2] = 0;
        strcpy(o, A(buf));
        return o;
}

static bool reg_exists(const char *key) {
        HKEY k;

        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, W(key), 0, KEY_READ, &k) != ERROR_SUCCESS)
                return false;
        RegCloseKey(k);
        return true;
}

TEST(register_and_load_registered) {
        need_tlbs();
        char full[4096];
        ITypeLib *tl, *tl2;
        TLIBATTR *la;
        BSTR path;

        ASSERT_NOT_NULL(realpath(tlb64, full));
        ASSERT_HR_EQ(QueryPathOfRegTypeLib(&LIBID_CalcLib, 1, 0, 0, &path), TYPE_E_LIBNOTREGISTERED);
        ASSERT_HR_EQ(LoadRegTypeLib(&LIBID_CalcLib, 1, 0, 0, &tl), TYPE_E_LIBNOTREGISTERED);
        ASSERT_HR_EQ(LoadTypeLibEx(W(full), REGKIND_REGISTER, &tl), S_OK);

#define LIBKEY "TypeLib\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C01}\\1.2"
#define ICALC "Interface\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C04}"
#define DCALC "Interface\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C05}"
        ASSERT_STR_EQ(reg_sz(LIBKEY, NULL), "OpenDCOM typelib test library");
        ASSERT_STR_EQ(reg_sz(LIBKEY "\\0\\win64", NULL), full);
        ASSERT_STR_EQ(reg_sz(LIBKEY "\\FLAGS", NULL), "0");
        char dir[4096];
        strcpy(dir, full);
        *strrchr(dir, '/') = 0;
        ASSERT_STR_EQ(reg_sz(LIBKEY "\\HELPDIR", NULL), dir);
        ASSERT_STR_EQ(reg_sz(ICALC, NULL), "ICalc");
        ASSERT_STR_EQ(reg_sz(ICALC "\\ProxyStubClsid32", NULL), "{00020424-0000-0000-C000-000000000046}");
        ASSERT_STR_EQ(reg_sz(ICALC "\\ProxyStubClsid", NULL), "{00020424-0000-0000-C000-000000000046}");
        ASSERT_STR_EQ(reg_sz(ICALC "\\TypeLib", NULL), "{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C01}");
        ASSERT_STR_EQ(reg_sz(ICALC "\\TypeLib", "Version"), "1.2");
        ASSERT_STR_EQ(reg_sz(DCALC "\\ProxyStubClsid32", NULL), "{00020420-0000-0000-C000-000000000046}");
        ASSERT_FALSE(reg_exists("Interface\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C06}"));

        /* the best minor version at least the one asked; the LCID falls back to neutral */
        ASSERT_HR_EQ(QueryPathOfRegTypeLib(&LIBID_CalcLib, 1, 0, 0x409, &path), S_OK);
        ASSERT_STR_EQ(A(path), full);
        SysFreeString(path);
        ASSERT_HR_EQ(QueryPathOfRegTypeLib(&LIBID_CalcLib, 1, 3, 0, &path), TYPE_E_LIBNOTREGISTERED);
        ASSERT_HR_EQ(QueryPathOfRegTypeLib(&LIBID_CalcLib, 2, 0, 0, &path), TYPE_E_LIBNOTREGISTERED);
        ASSERT_HR_EQ(LoadRegTypeLib(&LIBID_CalcLib, 1, 2, 0, &tl2), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetLibAttr(tl2, &la), S_OK);
        ASSERT_GUID_EQ(&la->guid, &LIBID_CalcLib);
        ASSERT_EQ(ITypeLib_Release(tl2), 0);

        /* a 32-bit library registered by hand under win32 is found too */
        char full32[4096];
        ASSERT_NOT_NULL(realpath(tlb32, full32));
        HKEY k;
        ASSERT_EQ(RegCreateKeyExW(HKEY_CLASSES_ROOT,
                                  W("TypeLib\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C01}\\1.5\\0\\win32"),
                                  0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
        OLECHAR *w32 = W(full32);
        ASSERT_EQ(RegSetValueExW(k, NULL, 0, REG_SZ, (const BYTE *)w32,
                                 (DWORD)((strlen(full32) + 1) * 2)), ERROR_SUCCESS);
        RegCloseKey(k);
        ASSERT_HR_EQ(LoadRegTypeLib(&LIBID_CalcLib, 1, 3, 0, &tl2), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetLibAttr(tl2, &la), S_OK);
        ASSERT_EQ(la->syskind, SYS_WIN32);
        ASSERT_EQ(ITypeLib_Release(tl2), 0);
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_CalcLib, 1, 5, 0, SYS_WIN32), S_OK);
        ASSERT_FALSE(reg_exists("TypeLib\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C01}\\1.5"));
        ASSERT_TRUE(reg_exists(ICALC));         /* still 1.2's */

        /* unregistered: the version, the library and its interfaces gone */
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_CalcLib, 1, 2, 0, SYS_WIN64), S_OK);
        ASSERT_FALSE(reg_exists(LIBKEY));
        ASSERT_FALSE(reg_exists("TypeLib\\{6D0F7F00-52C4-4B8E-9A57-3F1F0E0A7C01}"));
        ASSERT_FALSE(reg_exists(ICALC));
        ASSERT_FALSE(reg_exists(DCALC));
        ASSERT_HR_EQ(LoadRegTypeLib(&LIBID_CalcLib, 1, 0, 0, &tl2), TYPE_E_LIBNOTREGISTERED);
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_CalcLib, 1, 2, 0, SYS_WIN64), TYPE_E_REGISTRYACCESS);

        /* RegisterTypeLib itself, with a help directory */
        ASSERT_HR_EQ(RegisterTypeLib(tl, W(full), W("/usr/share/help")), S_OK);
        ASSERT_STR_EQ(reg_sz(LIBKEY "\\HELPDIR", NULL), "/usr/share/help");
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_CalcLib, 1, 2, 0, SYS_WIN64), S_OK);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
}

/* ---- imported types ---- */

static const GUID IID_ISciCalc = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                   { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x11 } };

static HRESULT STDMETHODCALLTYPE c_sqrt(ICalc *i, double x, double *r) {
        (void)i;
        *r = sqrt(x);
        return S_OK;
}

struct ISciCalcVtbl {
        ICalcVtbl base;
        HRESULT (STDMETHODCALLTYPE *Sqrt)(ICalc *, double, double *);
};

TEST(imported_types) {
        need_tlbs();
        ITypeLib *tl, *calc;
        ITypeInfo *ti, *iti, *parent;
        TYPEATTR *ta;
        HREFTYPE href;
        char full[4096];

        /* CalcLib not registered: ISciCalc's parent cannot be read, the library can */
        tl = load(tlb_derived);
        ti = info_of(tl, &IID_ISciCalc);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->cFuncs, 1);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(iti, 0, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(iti, href, &parent), TYPE_E_CANTLOADLIBRARY);
        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);

        /* registered: IDispatch's seven, ICalc's twelve and Sqrt */
        ASSERT_NOT_NULL(realpath(tlb64, full));
        ASSERT_HR_EQ(LoadTypeLibEx(W(full), REGKIND_REGISTER, &calc), S_OK);
        tl = load(tlb_derived);
        ti = info_of(tl, &IID_ISciCalc);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
        ASSERT_EQ(ta->cFuncs, 7 + 12 + 1);
        const FUNCDESC *fd = func_named(ti, "Add", INVOKE_FUNC);
        ASSERT_EQ(fd->funckind, FUNC_DISPATCH);
        ASSERT_EQ(fd->cParams, 2);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(iti, &ta), S_OK);
        ASSERT_EQ(ta->cbSizeVft, (7 + 12 + 1) * sizeof(void *));
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(iti, 0, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(iti, href, &parent), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(parent, &ta), S_OK);
        ASSERT_GUID_EQ(&ta->guid, &IID_ICalc);
        ITypeLib *owner;
        ASSERT_HR_EQ(ITypeInfo_GetContainingTypeLib(parent, &owner, NULL), S_OK);
        TLIBATTR *la;
        ASSERT_HR_EQ(ITypeLib_GetLibAttr(owner, &la), S_OK);
        ASSERT_GUID_EQ(&la->guid, &LIBID_CalcLib);
        ITypeLib_Release(owner);
        ITypeInfo_Release(parent);

        /* an inherited method and an own one, late-bound by name */
        struct ISciCalcVtbl vt;
        vt.base = calc_vtbl;
        vt.Sqrt = c_sqrt;
        struct calc c = { { &vt.base }, 1, NULL, ti, { { { 0 } } } };
        IDispatch *d = (IDispatch *)&c.ICalc_iface;
        VARIANT a[2], r;
        a[0] = vi4(20);
        a[1] = vstr("22");
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_I4(&r), 42);
        VariantClear(&a[1]);
        a[0] = vr8(2.25);
        ASSERT_HR_EQ(call(d, "Sqrt", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_TRUE(V_R8(&r) == 1.5);
        /* and through the interface view with CreateStdDispatch */
        IUnknown *unk;
        ASSERT_HR_EQ(CreateStdDispatch(NULL, &c.ICalc_iface, iti, &unk), S_OK);
        ASSERT_HR_EQ(IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&d), S_OK);
        a[0] = vstr("abc");
        a[1] = vi4(5);
        ASSERT_HR_EQ(call(d, "Concat", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "abc5");
        VariantClear(&r);
        VariantClear(&a[0]);
        VariantClear(&c.last_b);
        IDispatch_Release(d);
        ASSERT_EQ(IUnknown_Release(unk), 0);

        ITypeInfo_Release(iti);
        ITypeInfo_Release(ti);
        ASSERT_EQ(ITypeLib_Release(tl), 0);
        ASSERT_HR_EQ(UnRegisterTypeLib(&LIBID_CalcLib, 1, 2, 0, SYS_WIN64), S_OK);
        ASSERT_EQ(ITypeLib_Release(calc), 0);
}

/* ---- type libraries inside PE images (Wine's, when installed) ---- */

TEST(pe_images) {
        static const char stdole2[] = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/stdole2.tlb";
        static const GUID LIBID_stdole = { 0x00020430, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
        char path[512];
        ITypeLib *tl;
        TLIBATTR *la;
        TYPEATTR *ta;

        if (access(stdole2, R_OK) != 0)
                SKIP("no Wine stdole2.tlb (a PE image holding a TYPELIB resource)");
        /* resource 1, by default and by name */
        for (int named = 0; named < 2; named++) {
                snprintf(path, sizeof path, "%s%s", stdole2, named ? "\\1" : "");
                tl = load(path);
                ASSERT_HR_EQ(ITypeLib_GetLibAttr(tl, &la), S_OK);
                ASSERT_GUID_EQ(&la->guid, &LIBID_stdole);
                ASSERT_EQ(la->wMajorVerNum, 2);
                ITypeInfo *ti = info_of(tl, &IID_IDispatch);
                ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(ti, &ta), S_OK);
                ASSERT_EQ(ta->typekind, TKIND_INTERFACE);
                ASSERT_EQ(ta->cFuncs, 4);
                ASSERT_EQ(ta->cbSizeVft, 7 * sizeof(void *));
                const FUNCDESC *fd = func_named(ti, "Invoke", INVOKE_FUNC);
                ASSERT_EQ(fd->memid, 0x60010003);
                ASSERT_EQ(fd->cParams, 8);
                ASSERT_EQ(fd->oVft, 6 * sizeof(void *));
                ITypeInfo_Release(ti);
                ASSERT_EQ(ITypeLib_Release(tl), 0);
        }
        snprintf(path, sizeof path, "%s\\2", stdole2);
        ASSERT_HR_EQ(LoadTypeLib(W(path), &tl), TYPE_E_CANTLOADLIBRARY);

        /* a damaged image: refused or sound, never read past */
        size_t len;
        uint8_t *good, *b;
        int fd = open(stdole2, O_RDONLY);
        struct stat st;
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(fstat(fd, &st), 0);
        len = (size_t)st.st_size;
        good = malloc(len);
        ASSERT_EQ(read(fd, good, len), (ssize_t)len);
        close(fd);
        for (size_t n = 0; n < len; n += 61) {
                b = malloc(n ? n : 1);
                memcpy(b, good, n);
                if (oleaut_load_typelib_mem(b, n, &tl) == S_OK)
                        ITypeLib_Release(tl);
                free(b);
        }
        b = malloc(len);
        for (size_t i = 0; i < 0x400 && i < len; i++) {
                memcpy(b, good, len);
                b[i] ^= 0xff;
                if (oleaut_load_typelib_mem(b, len, &tl) == S_OK)
                        ITypeLib_Release(tl);
        }
        free(b);
        free(good);
}

/* ---- malformed files ---- */

static uint8_t *slurp(const char *path, size_t *len) {
        struct stat st;
        int fd = open(path, O_RDONLY);
        uint8_t *b;

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(fstat(fd, &st), 0);
        b = malloc((size_t)st.st_size);
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

                if (ITypeLib_GetTypeInfo(tl, i, &ti) < 0)
                        continue;
                ITypeInfo_GetTypeAttr(ti, &ta);
                for (UINT k = 0; k < ta->cFuncs; k++) {
                        FUNCDESC *fd;
                        ITypeInfo_GetFuncDesc(ti, k, &fd);
                        if (ITypeInfo_GetNames(ti, fd->memid, names, 8, &cn) == S_OK)
                                for (UINT j = 0; j < cn; j++)
                                        SysFreeString(names[j]);
                        for (SHORT j = 0; j < fd->cParams; j++) {
                                const TYPEDESC *td = &fd->lprgelemdescParam[j].tdesc;
                                while (td->vt == VT_PTR || td->vt == VT_SAFEARRAY)
                                        td = td->lptdesc;
                                if (td->vt == VT_USERDEFINED &&
                                    ITypeInfo_GetRefTypeInfo(ti, td->hreftype, &ref) == S_OK)
                                        ITypeInfo_Release(ref);
                        }
                }
                for (UINT k = 0; k < ta->cVars; k++) {
                        VARDESC *vd;
                        ITypeInfo_GetVarDesc(ti, k, &vd);
                }
                for (UINT k = 0; k < ta->cImplTypes; k++)
                        if (ITypeInfo_GetRefTypeOfImplType(ti, k, &href) == S_OK &&
                            ITypeInfo_GetRefTypeInfo(ti, href, &ref) == S_OK)
                                ITypeInfo_Release(ref);
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

TEST(malformed_files) {
        need_tlbs();
        size_t len;
        uint8_t *good = slurp(tlb64, &len), *b = malloc(len);
        ITypeLib *tl;

        /* every truncation: refused, or sound */
        for (size_t n = 0; n < len; n++) {
                uint8_t *cut = malloc(n ? n : 1);       /* exactly n bytes: ASan sees past it */
                memcpy(cut, good, n);
                try_load(cut, n);
                free(cut);
        }
        /* each byte replaced by values that break offsets and counts */
        static const uint8_t vals[] = { 0x00, 0x7f, 0x80, 0xff };
        for (size_t i = 0; i < len; i++)
                for (size_t v = 0; v < sizeof vals; v++) {
                        memcpy(b, good, len);
                        b[i] = vals[v];
                        try_load(b, len);
                }
        /* specific ones: not MSFT; a segment past the end; too many types */
        memcpy(b, good, len);
        b[0] = 'X';
        ASSERT_HR_EQ(oleaut_load_typelib_mem(b, len, &tl), TYPE_E_INVDATAREAD);
        memcpy(b, good, len);
        uint32_t n_infos = b[0x20] | b[0x21] << 8, dir = 0x54 + 4 * n_infos;
        uint32_t off = (uint32_t)len - 4;
        memcpy(b + dir, &off, 4);
        ASSERT_HR_EQ(oleaut_load_typelib_mem(b, len, &tl), TYPE_E_CANTLOADLIBRARY);
        memcpy(b, good, len);
        memset(b + 0x20, 0xff, 4);
        ASSERT_HR_EQ(oleaut_load_typelib_mem(b, len, &tl), TYPE_E_CANTLOADLIBRARY);
        ASSERT_HR_EQ(LoadTypeLib(W("/nonexistent/x.tlb"), &tl), TYPE_E_CANTLOADLIBRARY);
        ASSERT_HR_EQ(LoadTypeLib(NULL, &tl), E_INVALIDARG);
        free(b);
        free(good);
}


/* --- DispCallFunc ---------------------------------------------------------------------------- */

static int dcf_ints[8];

static int dcf_int(int a0, int a1, short a2, unsigned a3, int a4) {
        dcf_ints[0] = a0;
        dcf_ints[1] = a1;
        dcf_ints[2] = a2;
        dcf_ints[3] = (int)a3;
        dcf_ints[4] = a4;
        return 4321;
}

static double dcf_double(double a0, float a1, double a2, int a3) {
        return a0 + a1 + a2 + a3;       /* 1.5 + 2.25 + 1e6 - 7 */
}

static LONGLONG dcf_longlong(LONGLONG a0, CY a1) {
        return a0 + a1.int64;
}

static VARIANT dcf_variant(int a0, VARIANT_BOOL a1, DECIMAL a2, VARIANT a3, LONGLONG empty) {
        VARIANT v;
        V_VT(&v) = VT_I4;
        V_I4(&v) = a0 + (a1 == VARIANT_TRUE) + (int)a2.Hi32 + (int)a2.Lo64 + V_I4(&a3) +
                   (empty == 0x5555555555555555LL);
        return v;
}

static DECIMAL dcf_decimal(int scale) {
        DECIMAL d;
        memset(&d, 0, sizeof d);
        d.scale = (BYTE)scale;
        d.sign = DECIMAL_NEG;
        d.Hi32 = 7;
        d.Lo64 = 99;
        return d;
}

/* more arguments than registers: twelve integers and ten doubles */
static LONGLONG dcf_many(int i0, double d0, int i1, double d1, int i2, double d2, int i3,
                         double d3, int i4, double d4, int i5, double d5, int i6, double d6,
                         int i7, double d7, int i8, double d8, int i9, double d9, int i10,
                         int i11) {
        return (LONGLONG)(i0 + i1 * 2 + i2 * 3 + i3 * 4 + i4 * 5 + i5 * 6 + i6 * 7 + i7 * 8 +
                          i8 * 9 + i9 * 10 + i10 * 11 + i11 * 12) * 1000 +
               (LONGLONG)(d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9);
}

static HRESULT dcf_byref(LONG *out, BSTR s) {
        *out = (LONG)SysStringLen(s);
        return S_FALSE;
}

static int dcf_method(void *self, int a);
static int (*const dcf_vtbl[4])(void *, int) = { NULL, NULL, NULL, dcf_method };
static const void *dcf_object = dcf_vtbl;

static int dcf_method(void *self, int a) {
        return self == &dcf_object ? a * 2 : -1;
}

TEST(disp_call_func) {
        VARIANT args[22], res;
        VARIANTARG *pargs[22];
        VARTYPE types[22];

        for (int i = 0; i < 22; i++)
                pargs[i] = &args[i];
        memset(args, 0x55, sizeof args);
        types[0] = VT_I4, V_I4(&args[0]) = 1;
        types[1] = VT_I4, V_I4(&args[1]) = -1;
        types[2] = VT_I2, V_I2(&args[2]) = -1234;       /* the high bytes stay 0x55 */
        types[3] = VT_UI4, V_UI4(&args[3]) = 0xdeadbeef;
        types[4] = VT_UI4, V_I1(&args[4]) = -3;         /* read as its type: 0x555555fd */
        memset(&res, 0xcc, sizeof res);
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_int, CC_STDCALL, VT_UI4, 5, types, pargs, &res));
        ASSERT_EQ(V_VT(&res), VT_UI4);
        ASSERT_EQ(V_UI4(&res), 4321);
        ASSERT_EQ(dcf_ints[0], 1);
        ASSERT_EQ(dcf_ints[1], -1);
        ASSERT_EQ(dcf_ints[2], -1234);
        ASSERT_EQ((unsigned)dcf_ints[3], 0xdeadbeefu);
        ASSERT_EQ((unsigned)dcf_ints[4], 0x555555fdu);

        types[0] = VT_R8, V_R8(&args[0]) = 1.5;
        types[1] = VT_R4, V_R4(&args[1]) = 2.25f;
        types[2] = VT_R8, V_R8(&args[2]) = 1e6;
        types[3] = VT_I4, V_I4(&args[3]) = -7;
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_double, CC_CDECL, VT_R8, 4, types, pargs, &res));
        ASSERT_EQ(V_VT(&res), VT_R8);
        ASSERT_TRUE(V_R8(&res) == 1.5 + 2.25 + 1e6 - 7);

        types[0] = VT_I8, V_I8(&args[0]) = 0x123456789LL;
        types[1] = VT_CY, V_CY(&args[1]).int64 = 1000;
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_longlong, CC_STDCALL, VT_I8, 2, types, pargs,
                               &res));
        ASSERT_EQ(V_VT(&res), VT_I8);
        ASSERT_EQ(V_I8(&res), 0x123456789LL + 1000);

        /* a DECIMAL and a VARIANT by value, VT_EMPTY as its eight bytes, a VARIANT result */
        memset(args, 0x55, sizeof args);
        types[0] = VT_I4, V_I4(&args[0]) = 1000;
        types[1] = VT_BOOL, V_BOOL(&args[1]) = VARIANT_TRUE;
        types[2] = VT_DECIMAL, V_DECIMAL(&args[2]).Hi32 = 200, V_DECIMAL(&args[2]).Lo64 = 30;
        types[3] = VT_VARIANT, V_VT(&args[3]) = VT_I4, V_I4(&args[3]) = 4;
        types[4] = VT_EMPTY;
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_variant, CC_STDCALL, VT_VARIANT, 5, types,
                               pargs, &res));
        ASSERT_EQ(V_VT(&res), VT_I4);
        ASSERT_EQ(V_I4(&res), 1000 + 1 + 200 + 30 + 4 + 1);

        types[0] = VT_I4, V_I4(&args[0]) = 3;
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_decimal, CC_STDCALL, VT_DECIMAL, 1, types,
                               pargs, &res));
        ASSERT_EQ(V_VT(&res), VT_DECIMAL);
        ASSERT_EQ(V_DECIMAL(&res).scale, 3);
        ASSERT_EQ(V_DECIMAL(&res).sign, DECIMAL_NEG);
        ASSERT_EQ(V_DECIMAL(&res).Hi32, 7);
        ASSERT_EQ(V_DECIMAL(&res).Lo64, 99);

        /* twelve integers and ten doubles, interleaved: registers, then the stack */
        for (int i = 0, ni = 0, nd = 0; i < 22; i++) {
                bool dbl = i < 20 && i % 2;
                types[i] = dbl ? VT_R8 : VT_I4;
                if (dbl)
                        V_R8(&args[i]) = 0.5 * ++nd;
                else
                        V_I4(&args[i]) = ++ni;
        }
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_many, CC_CDECL, VT_I8, 22, types, pargs, &res));
        LONGLONG want = 0;
        for (int k = 1; k <= 12; k++)
                want += k * k;
        ASSERT_EQ(V_I8(&res), want * 1000 + 27);       /* 0.5 * 55 = 27.5, truncated */

        /* by reference, a BSTR, and an HRESULT as VT_ERROR */
        LONG got = 0;
        BSTR s = SysAllocString(u"four");
        types[0] = VT_I4 | VT_BYREF, V_I4REF(&args[0]) = &got;
        types[1] = VT_BSTR, V_BSTR(&args[1]) = s;
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)dcf_byref, CC_STDCALL, VT_ERROR, 2, types, pargs,
                               &res));
        ASSERT_EQ(got, 4);
        ASSERT_EQ(V_VT(&res), VT_ERROR);
        ASSERT_EQ(V_ERROR(&res), S_FALSE);
        /* VT_HRESULT as the result: refused, the result untouched */
        memset(&res, 0xcc, sizeof res);
        ASSERT_HR_EQ(DispCallFunc(NULL, (ULONG_PTR)dcf_byref, CC_STDCALL, VT_HRESULT, 2, types,
                                  pargs, &res), E_INVALIDARG);
        ASSERT_EQ(V_VT(&res), 0xcccc);
        SysFreeString(s);

        /* through a vtable: slot 3, the object first */
        types[0] = VT_I4, V_I4(&args[0]) = 21;
        ASSERT_OK(DispCallFunc(&dcf_object, 3 * sizeof(void *), CC_STDCALL, VT_I4, 1, types, pargs,
                               &res));
        ASSERT_EQ(V_I4(&res), 42);
        /* a void function: VT_EMPTY, the register's value kept */
        types[0] = VT_I4, V_I4(&args[0]) = 5;
        ASSERT_OK(DispCallFunc(&dcf_object, 3 * sizeof(void *), CC_CDECL, VT_EMPTY, 1, types, pargs,
                               &res));
        ASSERT_EQ(V_VT(&res), VT_EMPTY);
        ASSERT_EQ(V_I4(&res), 10);

        /* what cannot be called */
        ASSERT_HR_EQ(DispCallFunc(NULL, (ULONG_PTR)dcf_int, CC_PASCAL, VT_I4, 0, types, pargs, &res),
                     E_INVALIDARG);
        ASSERT_HR_EQ(DispCallFunc(NULL, 0, CC_STDCALL, VT_I4, 0, types, pargs, &res), E_INVALIDARG);
        ASSERT_HR_EQ(DispCallFunc(NULL, (ULONG_PTR)dcf_int, CC_STDCALL, VT_I4, 1, NULL, pargs, &res),
                     E_INVALIDARG);
        ASSERT_HR_EQ(DispCallFunc(NULL, (ULONG_PTR)dcf_int, CC_STDCALL, VT_I4, 0, types, pargs, NULL),
                     E_INVALIDARG);
        ASSERT_HR_EQ(DispCallFunc(&dcf_object, 3, CC_STDCALL, VT_I4, 1, types, pargs, &res),
                     E_INVALIDARG);
        /* a pointer-sized type a VARIANT has no member for: the data bytes */
        char text[] = "eight";
        types[0] = VT_LPSTR, V_BYREF(&args[0]) = text;
        ASSERT_OK(DispCallFunc(NULL, (ULONG_PTR)strlen, CC_CDECL, VT_UI8, 1, types, pargs, &res));
        ASSERT_EQ(V_UI8(&res), 5);
        types[0] = VT_RECORD;
        ASSERT_HR_EQ(DispCallFunc(NULL, (ULONG_PTR)dcf_int, CC_STDCALL, VT_I4, 1, types, pargs, &res),
                     DISP_E_BADVARTYPE);
        /* more stack than a call takes here (32 words) */
        VARIANT big[40];
        VARIANTARG *pbig[40];
        VARTYPE tbig[40];
        for (int i = 0; i < 40; i++) {
                pbig[i] = &big[i];
                tbig[i] = VT_I8;
                V_I8(&big[i]) = i;
        }
        ASSERT_HR_EQ(DispCallFunc(NULL, (ULONG_PTR)dcf_int, CC_STDCALL, VT_I4, 40, tbig, pbig, &res),
                     DISP_E_BADPARAMCOUNT);
}
