/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An automation object described by a type library, called late bound from another
 * process: a child loads calc64.tlb (widl-made from tests/typelib/calc.idl), wraps the
 * C object of calc-object.h with CreateStdDispatch over ICalc's interface view, and
 * marshals that IDispatch; the test unmarshals it (OXID resolved at the real rpcss) and
 * calls it by name through our IDispatch proxy and stub -- coerced arguments, a
 * property put and get, an [optional] argument left out, a [defaultvalue], a
 * by-reference swap, twelve mixed arguments, and the errors Windows gives
 * (DISP_E_BADPARAMCOUNT, DISP_E_TYPEMISMATCH with its argument's index,
 * DISP_E_MEMBERNOTFOUND, DISP_E_UNKNOWNNAME, DISP_E_EXCEPTION with the EXCEPINFO
 * DispInvoke made from the method's error object).  GetTypeInfoCount answers 1.
 *
 * Then the type description itself across processes ([MS-OAUT] 3.7, 3.11, 3.5): the
 * ITypeInfo IDispatch::GetTypeInfo returns is a proxy, and every answer it gives --
 * TYPEATTR, each FUNCDESC (parameters' TYPEDESC chains: VT_PTR, VT_SAFEARRAY,
 * VT_USERDEFINED; [defaultvalue]'s PARAMDESCEX), names, documentation, the implemented
 * and referenced types, VARDESCs of an enum (VAR_CONST) and a structure, the containing
 * ITypeLib (TLIBATTR, counts, documentation, GetTypeInfoOfGuid, IsName, FindName) and
 * ITypeComp::Bind/BindType -- is compared field by field with the same library loaded
 * in this process; then what a hostile caller may send (cMaxNames 0x7fffffff, bad
 * indexes, memids and refPtrFlags).
 */
#define COBJMACROS

#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>

#include <stdlib.h>

#include "calc-object.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

static OLECHAR *W(const char *s) {
        static OLECHAR bufs[4][128];
        static int next;
        OLECHAR *b = bufs[next++ % 4];
        size_t i;

        for (i = 0; s[i] && i < 127; i++)
                b[i] = (OLECHAR)(unsigned char)s[i];
        b[i] = 0;
        return b;
}

static char *A(const OLECHAR *s) {
        static char bufs[4][256];
        static int next;
        char *b = bufs[next++ % 4];
        size_t i = 0;

        for (; s && s[i] && i < 255; i++)
                b[i] = (char)s[i];
        b[i] = 0;
        return b;
}

/* The child: serves the object until the test closes the pipe. */
static _Noreturn void server_main(const char *tlb, int in, int out) {
        struct calc c = { { &calc_vtbl }, 1, NULL, NULL, { { { 0 } } } };
        ITypeLib *tl;
        ITypeInfo *iti;
        HREFTYPE href;
        IUnknown *unk;
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        uint8_t cmd;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(LoadTypeLib(W(tlb), &tl));
        ASSERT_OK(ITypeLib_GetTypeInfoOfGuid(tl, &IID_ICalc, &c.tinfo));
        ASSERT_OK(ITypeInfo_GetRefTypeOfImplType(c.tinfo, (UINT)-1, &href));
        ASSERT_OK(ITypeInfo_GetRefTypeInfo(c.tinfo, href, &iti));
        VariantInit(&c.last_b);
        ASSERT_OK(CreateStdDispatch(NULL, &c.ICalc_iface, iti, &unk));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IDispatch, unk, MSHCTX_LOCAL, NULL,
                                     MSHLFLAGS_NORMAL));
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(out, &len, sizeof len);
        xwrite(out, GlobalLock(h), len);
        GlobalUnlock(h);
        IStream_Release(stm);
        while (read(in, &cmd, 1) == 1)
                ;
        CoUninitialize();
        _exit(0);
}

static IDispatch *connect_server(const char *tlb, pid_t *ret_pid, int *ret_pipe) {
        int a[2], b[2];
        uint8_t buf[4096];
        uint32_t len;
        IDispatch *d = NULL;
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };

        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(a[1]);
                close(b[0]);
                server_main(tlb, a[0], b[1]);
        }
        close(a[0]);
        close(b[1]);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        xread(b[0], &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(b[0], buf, len);
        close(b[0]);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, buf, len, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, &IID_IDispatch, (void **)&d));
        IStream_Release(stm);
        *ret_pid = pid;
        *ret_pipe = a[1];
        return d;
}

static DISPID id_of(IDispatch *d, const char *name) {
        LPOLESTR n = W(name);
        DISPID id = 12345;
        HRESULT hr = IDispatch_GetIDsOfNames(d, &IID_NULL, &n, 1, LOCALE_USER_DEFAULT, &id);
        return hr == S_OK ? id : DISPID_UNKNOWN;
}

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
        return IDispatch_Invoke(d, id_of(d, name), &IID_NULL, LOCALE_USER_DEFAULT, flags, &dp,
                                res, ei, arg_err);
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

TEST(automation_object_across_processes) {
        const char *tlb = getenv("CALC_TLB64");
        VARIANT a[12], r;
        EXCEPINFO ei;
        UINT ae;
        pid_t pid;
        int pipe_out, status;

        if (!tlb || access(tlb, R_OK) != 0)
                SKIP("no widl-made type library (Debian package wine64-tools)");
        rpcss_start();
        IDispatch *d = connect_server(tlb, &pid, &pipe_out);
        ASSERT_NOT_NULL(d);

        UINT n = 0;
        ASSERT_HR_EQ(IDispatch_GetTypeInfoCount(d, &n), S_OK);
        ASSERT_EQ(n, 1);

        ASSERT_EQ(id_of(d, "add"), 1);
        ASSERT_EQ(id_of(d, "NAME"), 2);
        ASSERT_EQ(id_of(d, "Nope"), DISPID_UNKNOWN);

        a[0] = vstr("40");
        a[1] = vi4(2);
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 42);
        VariantClear(&a[0]);

        a[0] = vstr("slide rule");
        ASSERT_HR_EQ(call(d, "Name", DISPATCH_PROPERTYPUT, a, 1, NULL, NULL, NULL), S_OK);
        VariantClear(&a[0]);
        ASSERT_HR_EQ(call(d, "Name", DISPATCH_PROPERTYGET, NULL, 0, &r, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "slide rule");
        VariantClear(&r);

        a[0] = vstr("x");
        ASSERT_HR_EQ(call(d, "Concat", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(V_BSTR(&r)), "x");
        VariantClear(&r);
        VariantClear(&a[0]);

        V_VT(&a[0]) = VT_R8;
        V_R8(&a[0]) = 2.5;
        ASSERT_HR_EQ(call(d, "Scale", DISPATCH_METHOD, a, 1, &r, NULL, NULL), S_OK);
        ASSERT_TRUE(V_R8(&r) == 7.5);

        LONG x = 1, y = 2;
        V_VT(&a[0]) = VT_I4 | VT_BYREF;
        V_I4REF(&a[0]) = &x;
        V_VT(&a[1]) = VT_I4 | VT_BYREF;
        V_I4REF(&a[1]) = &y;
        ASSERT_HR_EQ(call(d, "Swap", DISPATCH_METHOD, a, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(x, 2);
        ASSERT_EQ(y, 1);

        a[0] = vstr("7");
        a[1] = vi4(-3);
        V_VT(&a[2]) = VT_R8;
        V_R8(&a[2]) = 1.5;
        a[3] = vstr("2.25");
        V_VT(&a[4]) = VT_BOOL;
        V_BOOL(&a[4]) = VARIANT_TRUE;
        V_VT(&a[5]) = VT_I8;
        V_I8(&a[5]) = 1;
        a[6] = vi4(1);
        a[7] = vi4(2);
        a[8] = vi4(3);
        V_VT(&a[9]) = VT_R4;
        V_R4(&a[9]) = 0.5f;
        a[10] = vi4(4);
        a[11] = vi4(5);
        ASSERT_HR_EQ(call(d, "Mix", DISPATCH_METHOD, a, 12, &r, NULL, NULL), S_OK);
        double want = 7 - 30 + 150 + 2250 + 10000 + 1 + 1e5 + 2e6 + 3e7 + 0.5e8 + 4e9 + 5e10;
        ASSERT_TRUE(fabs(V_R8(&r) - want) < 1e-3);
        VariantClear(&a[0]);
        VariantClear(&a[3]);

        /* errors, as the object's DispInvoke gives them, carried back */
        a[0] = vi4(1);
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 1, &r, NULL, NULL), DISP_E_BADPARAMCOUNT);
        a[0] = vstr("forty");
        a[1] = vi4(2);
        ae = 99;
        ASSERT_HR_EQ(call(d, "Add", DISPATCH_METHOD, a, 2, &r, NULL, &ae), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(ae, 1);
        VariantClear(&a[0]);
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        ASSERT_HR_EQ(IDispatch_Invoke(d, 999, &IID_NULL, 0, DISPATCH_METHOD, &none, &r, NULL, NULL),
                     DISP_E_MEMBERNOTFOUND);
        a[0] = vi4((LONG)0x80040213);
        memset(&ei, 0, sizeof ei);
        ASSERT_HR_EQ(call(d, "Fail", DISPATCH_METHOD, a, 1, &r, &ei, NULL), DISP_E_EXCEPTION);
        ASSERT_EQ(ei.scode, (SCODE)0x80040213);
        ASSERT_STR_EQ(A(ei.bstrSource), "Calc.Object");
        ASSERT_STR_EQ(A(ei.bstrDescription), "it failed on purpose");
        ASSERT_EQ(ei.dwHelpContext, 77);
        SysFreeString(ei.bstrSource);
        SysFreeString(ei.bstrDescription);
        SysFreeString(ei.bstrHelpFile);

        IDispatch_Release(d);
        CoUninitialize();
        close(pipe_out);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        rpcss_stop();
}

/* --- the type description across processes --------------------------------------------- */

/* The wire forms (oaidl_p.c), called as a peer would, past the local forms' checks. */
HRESULT STDMETHODCALLTYPE ITypeInfo_LocalGetIDsOfNames_Proxy(ITypeInfo *This);
HRESULT STDMETHODCALLTYPE ITypeInfo_LocalReleaseTypeAttr_Proxy(ITypeInfo *This);
HRESULT STDMETHODCALLTYPE ITypeInfo_RemoteGetNames_Proxy(ITypeInfo *This, MEMBERID memid,
                                                         BSTR *rgBstrNames, UINT cMaxNames,
                                                         UINT *pcNames);
HRESULT STDMETHODCALLTYPE ITypeInfo_RemoteGetDocumentation_Proxy(ITypeInfo *This, MEMBERID memid,
                                                                 DWORD refPtrFlags,
                                                                 BSTR *pBstrName,
                                                                 BSTR *pBstrDocString,
                                                                 DWORD *pdwHelpContext,
                                                                 BSTR *pBstrHelpFile);

static void same_typedesc(const TYPEDESC *a, const TYPEDESC *b, ITypeInfo *la, ITypeInfo *rb,
                          int depth) {
        ASSERT_LT(depth, 16);
        ASSERT_EQ(a->vt, b->vt);
        switch (a->vt) {
        case VT_PTR:
        case VT_SAFEARRAY:
                ASSERT_NOT_NULL(a->lptdesc);
                ASSERT_NOT_NULL(b->lptdesc);
                same_typedesc(a->lptdesc, b->lptdesc, la, rb, depth + 1);
                break;
        case VT_CARRAY:
                ASSERT_EQ(a->lpadesc->cDims, b->lpadesc->cDims);
                for (USHORT i = 0; i < a->lpadesc->cDims; i++) {
                        ASSERT_EQ(a->lpadesc->rgbounds[i].cElements,
                                  b->lpadesc->rgbounds[i].cElements);
                        ASSERT_EQ(a->lpadesc->rgbounds[i].lLbound, b->lpadesc->rgbounds[i].lLbound);
                }
                same_typedesc(&a->lpadesc->tdescElem, &b->lpadesc->tdescElem, la, rb, depth + 1);
                break;
        case VT_USERDEFINED: {
                /* the same type behind the reference: its name and attributes */
                ITypeInfo *x = NULL, *y = NULL;
                BSTR nx = NULL, ny = NULL;
                ASSERT_EQ(a->hreftype, b->hreftype);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(la, a->hreftype, &x), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(rb, b->hreftype, &y), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetDocumentation(x, MEMBERID_NIL, &nx, NULL, NULL, NULL),
                             S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetDocumentation(y, MEMBERID_NIL, &ny, NULL, NULL, NULL),
                             S_OK);
                ASSERT_STR_EQ(A(nx), A(ny));
                SysFreeString(nx);
                SysFreeString(ny);
                ITypeInfo_Release(x);
                ITypeInfo_Release(y);
                break;
        }
        default:
                break;
        }
}

static void same_variant(const VARIANT *a, const VARIANT *b) {
        ASSERT_EQ(V_VT(a), V_VT(b));
        switch (V_VT(a)) {
        case VT_BSTR:
                ASSERT_STR_EQ(A(V_BSTR(a)), A(V_BSTR(b)));
                break;
        case VT_I4:
        case VT_INT:
                ASSERT_EQ(V_I4(a), V_I4(b));
                break;
        default:
                ASSERT_MEM_EQ(&a->llVal, &b->llVal, 8);
                break;
        }
}

static void same_elemdesc(const ELEMDESC *a, const ELEMDESC *b, ITypeInfo *la, ITypeInfo *rb) {
        same_typedesc(&a->tdesc, &b->tdesc, la, rb, 0);
        ASSERT_EQ(a->paramdesc.wParamFlags, b->paramdesc.wParamFlags);
        if (a->paramdesc.wParamFlags & PARAMFLAG_FHASDEFAULT) {
                ASSERT_NOT_NULL(a->paramdesc.pparamdescex);
                ASSERT_NOT_NULL(b->paramdesc.pparamdescex);
                ASSERT_EQ(a->paramdesc.pparamdescex->cBytes, b->paramdesc.pparamdescex->cBytes);
                same_variant(&a->paramdesc.pparamdescex->varDefaultValue,
                             &b->paramdesc.pparamdescex->varDefaultValue);
        }
}

static void same_typeattr(ITypeInfo *l, ITypeInfo *r, TYPEATTR *out) {
        TYPEATTR *a, *b;

        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(l, &a), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetTypeAttr(r, &b), S_OK);
        ASSERT_MEM_EQ(&a->guid, &b->guid, sizeof(GUID));
        ASSERT_EQ(a->lcid, b->lcid);
        ASSERT_EQ(a->memidConstructor, b->memidConstructor);
        ASSERT_EQ(a->memidDestructor, b->memidDestructor);
        ASSERT_NULL(b->lpstrSchema);
        ASSERT_EQ(a->cbSizeInstance, b->cbSizeInstance);
        ASSERT_EQ(a->typekind, b->typekind);
        ASSERT_EQ(a->cFuncs, b->cFuncs);
        ASSERT_EQ(a->cVars, b->cVars);
        ASSERT_EQ(a->cImplTypes, b->cImplTypes);
        ASSERT_EQ(a->cbSizeVft, b->cbSizeVft);
        ASSERT_EQ(a->cbAlignment, b->cbAlignment);
        ASSERT_EQ(a->wTypeFlags, b->wTypeFlags);
        ASSERT_EQ(a->wMajorVerNum, b->wMajorVerNum);
        ASSERT_EQ(a->wMinorVerNum, b->wMinorVerNum);
        ASSERT_EQ(a->idldescType.wIDLFlags, b->idldescType.wIDLFlags);
        same_typedesc(&a->tdescAlias, &b->tdescAlias, l, r, 0);
        *out = *a;
        ITypeInfo_ReleaseTypeAttr(l, a);
        ITypeInfo_ReleaseTypeAttr(r, b);
}

static void same_names_and_doc(ITypeInfo *l, ITypeInfo *r, MEMBERID memid) {
        BSTR na[32], nb[32], da[4], db[4];
        UINT ca = 0, cb = 0;
        DWORD ha = 1, hb = 2;

        ASSERT_HR_EQ(ITypeInfo_GetNames(l, memid, na, 32, &ca), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetNames(r, memid, nb, 32, &cb), S_OK);
        ASSERT_EQ(ca, cb);
        ASSERT_GE(ca, 1);
        for (UINT i = 0; i < ca; i++) {
                ASSERT_STR_EQ(A(na[i]), A(nb[i]));
                SysFreeString(na[i]);
                SysFreeString(nb[i]);
        }
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(l, memid, &da[0], &da[1], &ha, &da[2]), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(r, memid, &db[0], &db[1], &hb, &db[2]), S_OK);
        ASSERT_EQ(ha, hb);
        for (int i = 0; i < 3; i++) {
                ASSERT_STR_EQ(A(da[i]), A(db[i]));
                SysFreeString(da[i]);
                SysFreeString(db[i]);
        }
}

static void same_funcs(ITypeInfo *l, ITypeInfo *r, WORD n) {
        for (UINT i = 0; i < n; i++) {
                FUNCDESC *a, *b;
                ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(l, i, &a), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(r, i, &b), S_OK);
                ASSERT_EQ(a->memid, b->memid);
                ASSERT_EQ(a->funckind, b->funckind);
                ASSERT_EQ(a->invkind, b->invkind);
                ASSERT_EQ(a->callconv, b->callconv);
                ASSERT_EQ(a->cParams, b->cParams);
                ASSERT_EQ(a->cParamsOpt, b->cParamsOpt);
                ASSERT_EQ(a->oVft, b->oVft);
                ASSERT_EQ(a->cScodes, b->cScodes);
                ASSERT_EQ(a->wFuncFlags, b->wFuncFlags);
                for (SHORT k = 0; k < a->cParams; k++)
                        same_elemdesc(&a->lprgelemdescParam[k], &b->lprgelemdescParam[k], l, r);
                same_elemdesc(&a->elemdescFunc, &b->elemdescFunc, l, r);
                same_names_and_doc(l, r, a->memid);
                ITypeInfo_ReleaseFuncDesc(l, a);
                ITypeInfo_ReleaseFuncDesc(r, b);
        }
}

static void same_vars(ITypeInfo *l, ITypeInfo *r, WORD n) {
        for (UINT i = 0; i < n; i++) {
                VARDESC *a, *b;
                ASSERT_HR_EQ(ITypeInfo_GetVarDesc(l, i, &a), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetVarDesc(r, i, &b), S_OK);
                ASSERT_EQ(a->memid, b->memid);
                ASSERT_EQ(a->varkind, b->varkind);
                ASSERT_EQ(a->wVarFlags, b->wVarFlags);
                if (a->varkind == VAR_CONST)
                        same_variant(a->lpvarValue, b->lpvarValue);
                else
                        ASSERT_EQ(a->oInst, b->oInst);
                same_elemdesc(&a->elemdescVar, &b->elemdescVar, l, r);
                same_names_and_doc(l, r, a->memid);
                ITypeInfo_ReleaseVarDesc(l, a);
                ITypeInfo_ReleaseVarDesc(r, b);
        }
}

/* Everything a type says about itself, here and there. */
static void same_type(ITypeInfo *l, ITypeInfo *r) {
        TYPEATTR ta;

        same_typeattr(l, r, &ta);
        same_funcs(l, r, ta.cFuncs);
        same_vars(l, r, ta.cVars);
        for (UINT i = 0; i < ta.cImplTypes; i++) {
                HREFTYPE ha, hb;
                INT fa, fb;
                ITypeInfo *x, *y;
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(l, i, &ha), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(r, i, &hb), S_OK);
                ASSERT_EQ(ha, hb);
                ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(l, i, &fa), S_OK);
                ASSERT_HR_EQ(ITypeInfo_GetImplTypeFlags(r, i, &fb), S_OK);
                ASSERT_EQ(fa, fb);
                /* (an import by index from stdole2 is not found here: the same there) */
                HRESULT hr = ITypeInfo_GetRefTypeInfo(l, ha, &x);
                ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(r, hb, &y), hr);
                if (FAILED(hr))
                        continue;
                TYPEATTR tb;
                same_typeattr(x, y, &tb);
                ITypeInfo_Release(x);
                ITypeInfo_Release(y);
        }
        BSTR a = NULL, b = NULL, sa = NULL, sb = NULL;
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(l, MEMBERID_NIL, &a, &sa, NULL, NULL), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(r, MEMBERID_NIL, &b, &sb, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(a), A(b));
        ASSERT_STR_EQ(A(sa), A(sb));
        SysFreeString(a);
        SysFreeString(b);
        SysFreeString(sa);
        SysFreeString(sb);
}

static void same_library(ITypeLib *l, ITypeLib *r) {
        TLIBATTR *a, *b;
        UINT n = ITypeLib_GetTypeInfoCount(l);

        ASSERT_HR_EQ(ITypeLib_GetLibAttr(l, &a), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetLibAttr(r, &b), S_OK);
        ASSERT_MEM_EQ(&a->guid, &b->guid, sizeof(GUID));
        ASSERT_EQ(a->lcid, b->lcid);
        ASSERT_EQ(a->syskind, b->syskind);
        ASSERT_EQ(a->wMajorVerNum, b->wMajorVerNum);
        ASSERT_EQ(a->wMinorVerNum, b->wMinorVerNum);
        ASSERT_EQ(a->wLibFlags, b->wLibFlags);
        ITypeLib_ReleaseTLibAttr(l, a);
        ITypeLib_ReleaseTLibAttr(r, b);
        ASSERT_GT(n, 0);
        ASSERT_EQ(ITypeLib_GetTypeInfoCount(r), n);
        for (INT i = -1; i < (INT)n; i++) {
                BSTR da[3], db[3];
                DWORD ha = 1, hb = 2;
                ASSERT_HR_EQ(ITypeLib_GetDocumentation(l, i, &da[0], &da[1], &ha, &da[2]), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetDocumentation(r, i, &db[0], &db[1], &hb, &db[2]), S_OK);
                ASSERT_EQ(ha, hb);
                for (int k = 0; k < 3; k++) {
                        ASSERT_STR_EQ(A(da[k]), A(db[k]));
                        SysFreeString(da[k]);
                        SysFreeString(db[k]);
                }
                if (i < 0)
                        continue;
                TYPEKIND ka, kb;
                ASSERT_HR_EQ(ITypeLib_GetTypeInfoType(l, (UINT)i, &ka), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetTypeInfoType(r, (UINT)i, &kb), S_OK);
                ASSERT_EQ(ka, kb);
                ITypeInfo *x, *y;
                ASSERT_HR_EQ(ITypeLib_GetTypeInfo(l, (UINT)i, &x), S_OK);
                ASSERT_HR_EQ(ITypeLib_GetTypeInfo(r, (UINT)i, &y), S_OK);
                same_type(x, y);
                ITypeInfo_Release(x);
                ITypeInfo_Release(y);
        }
        /* a library's name as it spells it comes back in the caller's buffer */
        OLECHAR name[16];
        memcpy(name, W("aDD"), 4 * sizeof(OLECHAR));
        BOOL found = FALSE;
        ASSERT_HR_EQ(ITypeLib_IsName(r, name, 0, &found), S_OK);
        ASSERT_TRUE(found);
        ASSERT_STR_EQ(A(name), "Add");
        memcpy(name, W("Nope"), 5 * sizeof(OLECHAR));
        ASSERT_HR_EQ(ITypeLib_IsName(r, name, 0, &found), S_OK);
        ASSERT_FALSE(found);
        ASSERT_STR_EQ(A(name), "Nope");
        ITypeInfo *tis[4] = { NULL }, *ltis[4] = { NULL };
        MEMBERID ids[4], lids[4];
        USHORT cf = 4, lcf = 4;
        OLECHAR lname[16];
        memcpy(name, W("add"), 4 * sizeof(OLECHAR));
        memcpy(lname, W("add"), 4 * sizeof(OLECHAR));
        ASSERT_HR_EQ(ITypeLib_FindName(r, name, 0, tis, ids, &cf), S_OK);
        ASSERT_HR_EQ(ITypeLib_FindName(l, lname, 0, ltis, lids, &lcf), S_OK);
        ASSERT_STR_EQ(A(name), A(lname));       /* whatever the library does to it */
        ASSERT_EQ(cf, lcf);
        ASSERT_GE(cf, 1);
        for (USHORT i = 0; i < cf; i++) {
                ASSERT_EQ(ids[i], lids[i]);
                TYPEATTR ta;
                same_typeattr(ltis[i], tis[i], &ta);
                ITypeInfo_Release(tis[i]);
                ITypeInfo_Release(ltis[i]);
        }
}

/* The type that IDispatch::GetTypeInfo gives: ICalc's interface view, here and there. */
static ITypeInfo *local_view(ITypeLib *tl) {
        ITypeInfo *ti, *iti;
        HREFTYPE href;

        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(tl, &IID_ICalc, &ti), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &href), S_OK);
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeInfo(ti, href, &iti), S_OK);
        ITypeInfo_Release(ti);
        return iti;
}

TEST(typeinfo_across_processes) {
        const char *tlb = getenv("CALC_TLB64");
        pid_t pid;
        int pipe_out, status;
        ITypeLib *ltl, *rtl = NULL;
        ITypeInfo *lti, *rti = NULL;
        UINT index = 99;

        if (!tlb || access(tlb, R_OK) != 0)
                SKIP("no widl-made type library (Debian package wine64-tools)");
        rpcss_start();
        IDispatch *d = connect_server(tlb, &pid, &pipe_out);
        ASSERT_NOT_NULL(d);
        ASSERT_OK(LoadTypeLib(W(tlb), &ltl));
        lti = local_view(ltl);

        ASSERT_HR_EQ(IDispatch_GetTypeInfo(d, 0, 0, &rti), S_OK);
        ASSERT_NOT_NULL(rti);
        same_type(lti, rti);

        /* the containing library, and every type in it */
        ASSERT_HR_EQ(ITypeInfo_GetContainingTypeLib(rti, &rtl, &index), S_OK);
        UINT lindex = 98;
        ASSERT_HR_EQ(ITypeInfo_GetContainingTypeLib(lti, NULL, &lindex), S_OK);
        ASSERT_EQ(index, lindex);
        same_library(ltl, rtl);
        static const GUID point = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                    { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x03 } };
        ITypeInfo *lp, *rp;
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(ltl, &point, &lp), S_OK);
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(rtl, &point, &rp), S_OK);
        same_type(lp, rp);
        ITypeInfo_Release(lp);
        ITypeInfo_Release(rp);
        static const GUID nowhere = { 0x6d0f7f00, 0x52c4, 0x4b8e,
                                      { 0x9a, 0x57, 0x3f, 0x1f, 0x0e, 0x0a, 0x7c, 0x99 } };
        rp = (ITypeInfo *)1;
        ASSERT_HR_EQ(ITypeLib_GetTypeInfoOfGuid(rtl, &nowhere, &rp), TYPE_E_ELEMENTNOTFOUND);
        ASSERT_NULL(rp);
        ASSERT_HR_EQ(ITypeLib_GetTypeInfo(rtl, 999, &rp), TYPE_E_ELEMENTNOTFOUND);

        /* ITypeComp: a method by name, a type by name */
        ITypeComp *tc = NULL;
        ITypeInfo *bound = NULL;
        DESCKIND kind = DESCKIND_MAX;
        BINDPTR bp;
        ASSERT_HR_EQ(ITypeInfo_GetTypeComp(rti, &tc), S_OK);
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("Add"), 0, INVOKE_FUNC, &bound, &kind, &bp), S_OK);
        ASSERT_EQ(kind, DESCKIND_FUNCDESC);
        ASSERT_NOT_NULL(bound);
        ITypeComp *ltc;
        ITypeInfo *lbound = NULL;
        DESCKIND lkind = DESCKIND_MAX;
        BINDPTR lbp;
        ASSERT_HR_EQ(ITypeInfo_GetTypeComp(lti, &ltc), S_OK);
        ASSERT_HR_EQ(ITypeComp_Bind(ltc, W("Add"), 0, INVOKE_FUNC, &lbound, &lkind, &lbp), S_OK);
        ASSERT_EQ(lkind, DESCKIND_FUNCDESC);
        ASSERT_EQ(bp.lpfuncdesc->memid, 1);
        ASSERT_EQ(bp.lpfuncdesc->memid, lbp.lpfuncdesc->memid);
        ASSERT_EQ(bp.lpfuncdesc->cParams, lbp.lpfuncdesc->cParams);
        ASSERT_EQ(bp.lpfuncdesc->invkind, lbp.lpfuncdesc->invkind);
        for (SHORT k = 0; k < bp.lpfuncdesc->cParams; k++)
                same_elemdesc(&lbp.lpfuncdesc->lprgelemdescParam[k],
                              &bp.lpfuncdesc->lprgelemdescParam[k], lbound, bound);
        ITypeInfo_ReleaseFuncDesc(lbound, lbp.lpfuncdesc);
        ITypeInfo_Release(lbound);
        ITypeComp_Release(ltc);
        ITypeInfo_ReleaseFuncDesc(bound, bp.lpfuncdesc);
        ITypeInfo_Release(bound);
        bound = NULL;
        ASSERT_HR_EQ(ITypeComp_Bind(tc, W("Nope"), 0, INVOKE_FUNC, &bound, &kind, &bp), S_OK);
        ASSERT_EQ(kind, DESCKIND_NONE);
        ASSERT_NULL(bound);
        ITypeComp_Release(tc);
        ASSERT_HR_EQ(ITypeLib_GetTypeComp(rtl, &tc), S_OK);
        ITypeComp *tc2 = (ITypeComp *)1;
        ASSERT_HR_EQ(ITypeComp_BindType(tc, W("Point"), 0, &bound, &tc2), S_OK);
        ASSERT_NULL(tc2);
        ASSERT_NOT_NULL(bound);
        BSTR nm = NULL;
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(bound, MEMBERID_NIL, &nm, NULL, NULL, NULL), S_OK);
        ASSERT_STR_EQ(A(nm), "Point");
        SysFreeString(nm);
        ITypeInfo_Release(bound);
        ITypeComp_Release(tc);

        /* the errors Windows gives, and what has no wire form */
        FUNCDESC *fd = (FUNCDESC *)1;
        ASSERT_HR_EQ(ITypeInfo_GetFuncDesc(rti, 999, &fd), TYPE_E_ELEMENTNOTFOUND);
        ASSERT_NULL(fd);
        VARDESC *vd = (VARDESC *)1;
        ASSERT_HR_EQ(ITypeInfo_GetVarDesc(rti, 0, &vd), TYPE_E_ELEMENTNOTFOUND);
        ASSERT_NULL(vd);
        BSTR s = NULL;
        ASSERT_HR_EQ(ITypeInfo_GetDocumentation(rti, 12345, &s, NULL, NULL, NULL),
                     TYPE_E_ELEMENTNOTFOUND);
        ASSERT_NULL(s);
        HREFTYPE h;
        ASSERT_HR_EQ(ITypeInfo_GetRefTypeOfImplType(rti, 7, &h), TYPE_E_ELEMENTNOTFOUND);
        ITypeInfo *none = NULL;
        ASSERT_TRUE(FAILED(ITypeInfo_GetRefTypeInfo(rti, 0x7777, &none)));
        ASSERT_NULL(none);
        MEMBERID mid;
        LPOLESTR nmp = W("Add");
        ASSERT_HR_EQ(ITypeInfo_GetIDsOfNames(rti, &nmp, 1, &mid), E_NOTIMPL);
        void *addr = (void *)1;
        ASSERT_HR_EQ(ITypeInfo_AddressOfMember(rti, 1, INVOKE_FUNC, &addr), E_NOTIMPL);
        ASSERT_NULL(addr);
        /* the reserved opnums answer, whoever calls them */
        ASSERT_HR_EQ(ITypeInfo_LocalGetIDsOfNames_Proxy(rti), E_NOTIMPL);
        ASSERT_HR_EQ(ITypeInfo_LocalReleaseTypeAttr_Proxy(rti), E_NOTIMPL);

        /* hostile sizes: the proxy asks for at most 65536 names, a raw caller is refused */
        BSTR names[8];
        UINT got = 0, lgot = 0;
        ASSERT_HR_EQ(ITypeInfo_GetNames(lti, 1, names, 8, &lgot), S_OK);
        ASSERT_GE(lgot, 3);
        for (UINT i = 0; i < lgot; i++)
                SysFreeString(names[i]);
        ASSERT_HR_EQ(ITypeInfo_GetNames(rti, 1, names, 0x7fffffff, &got), S_OK);
        ASSERT_EQ(got, lgot);
        for (UINT i = 0; i < got; i++)
                SysFreeString(names[i]);
        BSTR *big = calloc(65537, sizeof *big);
        ASSERT_NOT_NULL(big);
        got = 7;
        ASSERT_TRUE(FAILED(ITypeInfo_RemoteGetNames_Proxy(rti, 1, big, 0x7fffffff, &got)));
        ASSERT_TRUE(FAILED(ITypeInfo_RemoteGetNames_Proxy(rti, 1, big, 65537, &got)));
        ASSERT_HR_EQ(ITypeInfo_RemoteGetNames_Proxy(rti, 1, big, 65536, &got), S_OK);
        ASSERT_EQ(got, lgot);
        for (UINT i = 0; i < got; i++)
                SysFreeString(big[i]);
        free(big);
        got = 5;
        ASSERT_HR_EQ(ITypeInfo_GetNames(rti, 0x7654, names, 4, &got), TYPE_E_ELEMENTNOTFOUND);
        /* refPtrFlags with junk bits: only the values asked for come back */
        BSTR n1 = NULL, n2 = NULL, n3 = NULL;
        DWORD ctx = 5;
        ASSERT_HR_EQ(ITypeInfo_RemoteGetDocumentation_Proxy(rti, 1, 0xfffffff1u, &n1, &n2, &ctx,
                                                            &n3), S_OK);
        ASSERT_STR_EQ(A(n1), "Add");
        ASSERT_NULL(n2);
        ASSERT_NULL(n3);
        ASSERT_EQ(ctx, 0);
        SysFreeString(n1);
        ASSERT_HR_EQ(ITypeInfo_RemoteGetDocumentation_Proxy(rti, -77, 0xf, &n1, &n2, &ctx, &n3),
                     TYPE_E_ELEMENTNOTFOUND);

        /* the proxy still answers after all that */
        TYPEATTR ta;
        same_typeattr(lti, rti, &ta);

        ITypeLib_Release(rtl);
        ITypeInfo_Release(rti);
        ITypeInfo_Release(lti);
        ITypeLib_Release(ltl);
        IDispatch_Release(d);
        CoUninitialize();
        close(pipe_out);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        rpcss_stop();
}
