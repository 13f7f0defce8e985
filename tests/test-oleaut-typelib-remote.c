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
 * DispInvoke made from the method's error object).  GetTypeInfoCount answers 1;
 * GetTypeInfo fails cleanly, ITypeInfo having no proxy yet.
 */
#define COBJMACROS

#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>

#include "calc-object.h"
#include "rpcss-run.h"
#include "test.h"

static void xwrite(int fd, const void *p, size_t n) {
        ASSERT_EQ(write(fd, p, n), (ssize_t)n);
}

static void xread(int fd, void *p, size_t n) {
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, (uint8_t *)p + got, n - got);
                ASSERT_GT(k, 0);
                got += (size_t)k;
        }
}

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
        ITypeInfo *ti = NULL;
        ASSERT_TRUE(FAILED(IDispatch_GetTypeInfo(d, 0, 0, &ti)));
        ASSERT_NULL(ti);

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
