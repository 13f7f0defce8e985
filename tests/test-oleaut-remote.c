/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IDispatch across processes through our own proxy and stub (idl/oaidl.idl, built into
 * the exporter): a child process marshals the automation object of disp-tester.h as
 * IDispatch, the test unmarshals it (OXID resolved at the real rpcss) and calls it late
 * bound -- GetTypeInfoCount, GetTypeInfo, GetIDsOfNames by name (any case; unknown names),
 * Invoke with VT_I4, VT_BSTR, VT_BOOL, VT_R8 and VT_EMPTY arguments, a VT_BYREF|VT_I4
 * argument written by the object, VT_DISPATCH and VT_UNKNOWN results (proxies to the
 * same object), SAFEARRAYs of I4, BSTR and VARIANT as argument (by value and VT_BYREF)
 * and result, an error object set by the failing object and read back here (GetErrorInfo,
 * ISupportErrorInfo), DISP_E_EXCEPTION with its EXCEPINFO, a property put and get, wrong
 * argument counts and types, NULL result/EXCEPINFO/argerr pointers, records (VT_RECORD by
 * value and VT_BYREF, tests/typelib/records.idl registered for both processes) -- and
 * finally checks that every reference came back to the object.  Then IEnumVARIANT (a
 * collection's enumerator, [MS-OAUT] 3.3) across processes: Next with and without a count,
 * past the end, Skip, Reset, Clone, a count too large for the server, and its references.
 */
#define COBJMACROS

#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "disp-tester.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

/* The child: marshals the tester, then 'r' reports its references and calls, 'q' quits. */
static _Noreturn void server_main(int in, int out) {
        struct tester t;
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        uint8_t cmd;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        tester_init(&t);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IDispatch, (IUnknown *)&t.IDispatch_iface,
                                     MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(out, &len, sizeof len);
        xwrite(out, GlobalLock(h), len);
        GlobalUnlock(h);
        IStream_Release(stm);
        while (read(in, &cmd, 1) == 1 && cmd == 'r') {
                int32_t r[2] = { atomic_load(&t.refs), atomic_load(&t.calls) };
                xwrite(out, r, sizeof r);
        }
        CoUninitialize();
        _exit(0);
}

static int to_server, from_server;

static int32_t server_refs(void) {
        int32_t r[2];
        xwrite(to_server, "r", 1);
        xread(from_server, r, sizeof r);
        return r[0];
}

/* A forked server (its main takes the pipes' ends), and the interface it marshaled, iid,
   unmarshaled here (COM started after the fork: the child starts its own). */
static void *connect_to(void (*server)(int in, int out), const IID *iid, pid_t *ret_pid) {
        int a[2], b[2];
        uint8_t buf[4096];
        uint32_t len;
        void *p = NULL;
        IStream *stm;
        LARGE_INTEGER zero = { .QuadPart = 0 };

        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(a[1]);
                close(b[0]);
                server(a[0], b[1]);
                _exit(0);
        }
        close(a[0]);
        close(b[1]);
        to_server = a[1];
        from_server = b[0];
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        xread(from_server, &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(from_server, buf, len);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, buf, len, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_OK(CoUnmarshalInterface(stm, iid, &p));
        IStream_Release(stm);
        *ret_pid = pid;
        return p;
}

static IDispatch *connect_server(pid_t *ret_pid) {
        return connect_to(server_main, &IID_IDispatch, ret_pid);
}

static DISPID id_of(IDispatch *d, const char *name) {
        OLECHAR w[32];
        LPOLESTR names[1] = { w };
        DISPID id = 12345;
        size_t i = 0;

        for (; name[i]; i++)
                w[i] = (OLECHAR)name[i];
        w[i] = 0;
        HRESULT hr = IDispatch_GetIDsOfNames(d, &IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id);
        if (FAILED(hr) && hr != DISP_E_UNKNOWNNAME)
                printf("GetIDsOfNames(%s): 0x%08x\n", name, (unsigned)hr);
        return SUCCEEDED(hr) ? id : hr == DISP_E_UNKNOWNNAME ? DISPID_UNKNOWN : -1000;
}

/* Invokes method id with args given first to last; *result cleared first. */
static HRESULT call(IDispatch *d, DISPID id, VARIANT *args, UINT n, VARIANT *result,
                    EXCEPINFO *ei, UINT *argerr) {
        VARIANT rev[4];
        DISPPARAMS dp = { rev, NULL, n, 0 };

        for (UINT i = 0; i < n; i++)
                rev[n - 1 - i] = args[i];
        if (result)
                VariantInit(result);
        return IDispatch_Invoke(d, id, &IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &dp,
                                result, ei, argerr);
}

static const OLECHAR bob[] = { 'b', 'o', 'b', 0 };

TEST(idispatch_across_processes) {
        pid_t pid;
        int status;
        VARIANT args[2], r;
        EXCEPINFO ei;
        UINT argerr = 99;

        rpcss_start();
        /* records' types, for both processes: records.idl's library, registered */
        const char *tlb = getenv("RECORDS_TLB");
        char full[4096];
        OLECHAR wfull[4096];
        ITypeLib *tl;
        ASSERT_NOT_NULL(tlb);
        ASSERT_NOT_NULL(realpath(tlb, full));
        for (size_t i = 0; (wfull[i] = (OLECHAR)(unsigned char)full[i]); i++)
                ;
        ASSERT_HR_EQ(LoadTypeLibEx(wfull, REGKIND_REGISTER, &tl), S_OK);
        ITypeLib_Release(tl);
        IDispatch *d = connect_server(&pid);
        ASSERT_NOT_NULL(d);

        /* no type information yet */
        UINT n = 7;
        ASSERT_HR_EQ(IDispatch_GetTypeInfoCount(d, &n), S_OK);
        ASSERT_EQ(n, 0);
        ITypeInfo *ti = (ITypeInfo *)d;
        ASSERT_HR_EQ(IDispatch_GetTypeInfo(d, 0, LOCALE_USER_DEFAULT, &ti), E_NOTIMPL);
        ASSERT_NULL(ti);

        /* names, in any case; unknown ones */
        ASSERT_EQ(id_of(d, "Add"), 1);
        ASSERT_EQ(id_of(d, "gREET"), 2);
        ASSERT_EQ(id_of(d, "VALUE"), 10);
        ASSERT_EQ(id_of(d, "Nope"), DISPID_UNKNOWN);
        OLECHAR add[] = { 'a', 'd', 'd', 0 }, x[] = { 'x', 0 };
        LPOLESTR two[2] = { add, x };
        DISPID ids[2] = { 0, 0 };
        ASSERT_HR_EQ(IDispatch_GetIDsOfNames(d, &IID_NULL, two, 2, 0, ids), DISP_E_UNKNOWNNAME);
        ASSERT_EQ(ids[0], 1);
        ASSERT_EQ(ids[1], DISPID_UNKNOWN);

        /* VT_I4 in and out; a BSTR argument coerced to a number */
        V_VT(&args[0]) = VT_I4;
        V_I4(&args[0]) = 40;
        V_VT(&args[1]) = VT_BSTR;
        V_BSTR(&args[1]) = SysAllocString((const OLECHAR[]){ '2', 0 });
        ASSERT_HR_EQ(call(d, 1, args, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 42);
        VariantClear(&args[1]);

        /* BSTR in and out */
        V_VT(&args[0]) = VT_BSTR;
        V_BSTR(&args[0]) = SysAllocString(bob);
        ASSERT_HR_EQ(call(d, 2, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BSTR);
        ASSERT_EQ(SysStringLen(V_BSTR(&r)), 4);
        ASSERT_MEM_EQ(V_BSTR(&r), ((const OLECHAR[]){ '>', 'b', 'o', 'b', 0 }), 10);
        VariantClear(&r);
        VariantClear(&args[0]);

        /* BOOL, R8, EMPTY */
        V_VT(&args[0]) = VT_BOOL;
        V_BOOL(&args[0]) = VARIANT_FALSE;
        ASSERT_HR_EQ(call(d, 3, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_BOOL);
        ASSERT_EQ(V_BOOL(&r), VARIANT_TRUE);
        V_VT(&args[0]) = VT_R8;
        V_R8(&args[0]) = 5.0;
        ASSERT_HR_EQ(call(d, 4, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_R8);
        ASSERT_TRUE(V_R8(&r) == 2.5);
        V_VT(&args[0]) = VT_EMPTY;
        ASSERT_HR_EQ(call(d, 5, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_BOOL(&r), VARIANT_TRUE);
        V_VT(&args[0]) = VT_NULL;
        ASSERT_HR_EQ(call(d, 5, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_BOOL(&r), VARIANT_FALSE);

        /* a by-reference [out] argument: the object writes the caller's variable */
        LONG out = -1;
        V_VT(&args[0]) = VT_I4;
        V_I4(&args[0]) = 21;
        V_VT(&args[1]) = VT_I4 | VT_BYREF;
        V_I4REF(&args[1]) = &out;
        ASSERT_HR_EQ(call(d, 6, args, 2, &r, NULL, NULL), S_OK);
        ASSERT_EQ(out, 42);
        ASSERT_EQ(V_VT(&r), VT_EMPTY);
        /* and without pVarResult at all */
        out = 0;
        V_I4(&args[0]) = 5;
        ASSERT_HR_EQ(call(d, 6, args, 2, NULL, NULL, NULL), S_OK);
        ASSERT_EQ(out, 10);

        /* VT_DISPATCH and VT_UNKNOWN results: the same object, through proxies */
        ASSERT_HR_EQ(call(d, 7, NULL, 0, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_DISPATCH);
        ASSERT_TRUE((void *)V_DISPATCH(&r) == (void *)d);       /* one proxy manager */
        VariantClear(&r);
        ASSERT_HR_EQ(call(d, 8, NULL, 0, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_UNKNOWN);
        IUnknown *u = NULL;
        ASSERT_OK(IDispatch_QueryInterface(d, &IID_IUnknown, (void **)&u));
        ASSERT_TRUE(u == V_UNKNOWN(&r));                        /* COM identity */
        IUnknown_Release(u);
        VariantClear(&r);

        /* an exception: DISP_E_EXCEPTION and its EXCEPINFO; and with a NULL EXCEPINFO */
        memset(&ei, 0xcc, sizeof ei);
        ASSERT_HR_EQ(call(d, 9, NULL, 0, &r, &ei, &argerr), DISP_E_EXCEPTION);
        ASSERT_HR_EQ(ei.scode, E_FAIL);
        ASSERT_EQ(SysStringLen(ei.bstrSource), 6);
        ASSERT_EQ(ei.bstrSource[0], 't');
        ASSERT_EQ(SysStringLen(ei.bstrDescription), 9);
        ASSERT_NULL(ei.bstrHelpFile);
        ASSERT_TRUE(ei.pfnDeferredFillIn == NULL);
        SysFreeString(ei.bstrSource);
        SysFreeString(ei.bstrDescription);
        ASSERT_HR_EQ(call(d, 9, NULL, 0, NULL, NULL, NULL), DISP_E_EXCEPTION);

        /* a property: put (its value the DISPID_PROPERTYPUT named argument), then get */
        DISPID put = DISPID_PROPERTYPUT;
        V_VT(&args[0]) = VT_I2;
        V_I2(&args[0]) = 77;
        DISPPARAMS dp = { args, &put, 1, 1 };
        VariantInit(&r);
        ASSERT_HR_EQ(IDispatch_Invoke(d, 10, &IID_NULL, 0, DISPATCH_PROPERTYPUT, &dp, &r, NULL,
                                      NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_EMPTY);                  /* PROPERTYPUT has no result */
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        ASSERT_HR_EQ(IDispatch_Invoke(d, 10, &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &r, NULL,
                                      NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_I4);
        ASSERT_EQ(V_I4(&r), 77);

        /* failures: argument count, a type that does not coerce (its index), a member,
           an interface ID */
        V_VT(&args[0]) = VT_I4;
        ASSERT_HR_EQ(call(d, 1, args, 1, &r, NULL, NULL), DISP_E_BADPARAMCOUNT);
        V_VT(&args[0]) = VT_BSTR;
        V_BSTR(&args[0]) = SysAllocString(bob);
        V_VT(&args[1]) = VT_I4;
        V_I4(&args[1]) = 1;
        argerr = 99;
        ASSERT_HR_EQ(call(d, 1, args, 2, &r, NULL, &argerr), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(argerr, 1);                   /* rgvarg[1]: the first argument */
        VariantClear(&args[0]);
        ASSERT_HR_EQ(call(d, 77, NULL, 0, &r, NULL, NULL), DISP_E_MEMBERNOTFOUND);
        ASSERT_HR_EQ(IDispatch_Invoke(d, 1, &IID_IUnknown, 0, DISPATCH_METHOD, &none, &r, NULL,
                                      NULL), DISP_E_UNKNOWNINTERFACE);
        /* vectors have no wire form: refused before anything is sent */
        V_VT(&args[0]) = VT_VECTOR | VT_I4;
        ASSERT_HR_EQ(call(d, 5, args, 1, &r, NULL, NULL), DISP_E_BADVARTYPE);

        /* SAFEARRAYs as argument and result ([MS-OAUT] 2.2.30): I4, BSTR, VARIANT */
        ASSERT_EQ(id_of(d, "reverse"), 11);
        SAFEARRAY *sa = SafeArrayCreateVector(VT_I4, 3, 4);
        for (LONG i = 0; i < 4; i++)
                ((LONG *)sa->pvData)[i] = 100 + i;
        V_VT(&args[0]) = VT_ARRAY | VT_I4;
        V_ARRAY(&args[0]) = sa;
        ASSERT_HR_EQ(call(d, 11, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_ARRAY | VT_I4);
        LONG lb;
        ASSERT_HR_EQ(SafeArrayGetLBound(V_ARRAY(&r), 1, &lb), S_OK);
        ASSERT_EQ(lb, 3);
        ASSERT_EQ(V_ARRAY(&r)->rgsabound[0].cElements, 4);
        ASSERT_EQ(((LONG *)V_ARRAY(&r)->pvData)[0], 103);
        ASSERT_EQ(((LONG *)V_ARRAY(&r)->pvData)[3], 100);
        ASSERT_EQ(((LONG *)sa->pvData)[0], 100);       /* the caller's own is untouched */
        ASSERT_HR_EQ(VariantClear(&r), S_OK);
        SafeArrayDestroy(sa);

        sa = SafeArrayCreateVector(VT_BSTR, 0, 2);
        LONG ix = 0;
        BSTR s = SysAllocString(bob);
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &ix, s), S_OK);
        V_VT(&args[0]) = VT_ARRAY | VT_BSTR;
        V_ARRAY(&args[0]) = sa;
        ASSERT_HR_EQ(call(d, 11, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_ARRAY | VT_BSTR);
        ASSERT_NULL(((BSTR *)V_ARRAY(&r)->pvData)[0]);
        ASSERT_MEM_EQ(((BSTR *)V_ARRAY(&r)->pvData)[1], bob, sizeof bob);
        ASSERT_HR_EQ(VariantClear(&r), S_OK);
        SafeArrayDestroy(sa);

        sa = SafeArrayCreateVector(VT_VARIANT, 0, 3);
        VARIANT e;
        V_VT(&e) = VT_BSTR;
        V_BSTR(&e) = s;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &ix, &e), S_OK);
        ix = 2;
        V_VT(&e) = VT_R8;
        V_R8(&e) = 0.25;
        ASSERT_HR_EQ(SafeArrayPutElement(sa, &ix, &e), S_OK);
        V_VT(&args[0]) = VT_ARRAY | VT_VARIANT;
        V_ARRAY(&args[0]) = sa;
        ASSERT_HR_EQ(call(d, 11, args, 1, &r, NULL, NULL), S_OK);
        VARIANT *cells = V_ARRAY(&r)->pvData;
        ASSERT_EQ(V_VT(&cells[0]), VT_R8);
        ASSERT_TRUE(V_R8(&cells[0]) == 0.25);
        ASSERT_EQ(V_VT(&cells[1]), VT_EMPTY);
        ASSERT_EQ(V_VT(&cells[2]), VT_BSTR);
        ASSERT_MEM_EQ(V_BSTR(&cells[2]), bob, sizeof bob);
        ASSERT_HR_EQ(VariantClear(&r), S_OK);

        /* by reference: the object reads it through rgVarRef; an empty array; a non-array */
        V_VT(&args[0]) = VT_ARRAY | VT_VARIANT | VT_BYREF;
        V_ARRAYREF(&args[0]) = &sa;
        ASSERT_HR_EQ(call(d, 11, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_ARRAY | VT_VARIANT);
        ASSERT_EQ(V_VT(&((VARIANT *)V_ARRAY(&r)->pvData)[2]), VT_BSTR);
        ASSERT_HR_EQ(VariantClear(&r), S_OK);
        ASSERT_NOT_NULL(sa);                    /* the array that came back, in its place */
        ASSERT_EQ(V_VT(&((VARIANT *)sa->pvData)[0]), VT_BSTR);
        SafeArrayDestroy(sa);
        SysFreeString(s);
        sa = SafeArrayCreateVector(VT_I2, -1, 0);
        V_VT(&args[0]) = VT_ARRAY | VT_I2;
        V_ARRAY(&args[0]) = sa;
        ASSERT_HR_EQ(call(d, 11, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_ARRAY | VT_I2);
        ASSERT_EQ(V_ARRAY(&r)->rgsabound[0].cElements, 0);
        ASSERT_EQ(V_ARRAY(&r)->rgsabound[0].lLbound, -1);
        ASSERT_HR_EQ(VariantClear(&r), S_OK);
        SafeArrayDestroy(sa);
        V_VT(&args[0]) = VT_I4;
        V_I4(&args[0]) = 1;
        argerr = 99;
        ASSERT_HR_EQ(call(d, 11, args, 1, &r, NULL, &argerr), DISP_E_TYPEMISMATCH);
        ASSERT_EQ(argerr, 0);

        /*
         * Error objects ([MS-DCOM] 2.2.21.1): the object's SetErrorInfo before failing
         * comes back in ORPCTHAT and is this thread's; the object says it gives them
         */
        ISupportErrorInfo *sei = NULL;
        ASSERT_HR_EQ(IDispatch_QueryInterface(d, &IID_ISupportErrorInfo, (void **)&sei), S_OK);
        ASSERT_HR_EQ(ISupportErrorInfo_InterfaceSupportsErrorInfo(sei, &IID_IDispatch), S_OK);
        ASSERT_HR_EQ(ISupportErrorInfo_InterfaceSupportsErrorInfo(sei, &IID_IUnknown), S_FALSE);
        ISupportErrorInfo_Release(sei);
        IErrorInfo *info = (IErrorInfo *)1;
        ASSERT_HR_EQ(GetErrorInfo(0, &info), S_FALSE);
        ASSERT_NULL(info);
        ASSERT_EQ(id_of(d, "Raise"), 12);
        static const OLECHAR boom[] = { 'b', 'o', 'o', 'm', 0 };
        V_VT(&args[0]) = VT_BSTR;
        V_BSTR(&args[0]) = SysAllocString(boom);
        ASSERT_HR_EQ(call(d, 12, args, 1, &r, NULL, NULL), E_FAIL);
        ASSERT_HR_EQ(GetErrorInfo(0, &info), S_OK);
        BSTR text;
        GUID g;
        DWORD ctx;
        ASSERT_HR_EQ(IErrorInfo_GetDescription(info, &text), S_OK);
        ASSERT_MEM_EQ(text, boom, sizeof boom);
        SysFreeString(text);
        ASSERT_HR_EQ(IErrorInfo_GetSource(info, &text), S_OK);
        ASSERT_EQ(SysStringLen(text), 6);
        SysFreeString(text);
        ASSERT_HR_EQ(IErrorInfo_GetHelpFile(info, &text), S_OK);
        ASSERT_EQ(SysStringLen(text), 10);
        SysFreeString(text);
        ASSERT_HR_EQ(IErrorInfo_GetGUID(info, &g), S_OK);
        ASSERT_TRUE(IsEqualGUID(&g, &IID_IDispatch));
        ASSERT_HR_EQ(IErrorInfo_GetHelpContext(info, &ctx), S_OK);
        (void)ctx;              /* [MS-DCOM] 2.2.21.2: implementation-specific */
        IErrorInfo_Release(info);
        ASSERT_HR_EQ(GetErrorInfo(0, &info), S_FALSE);   /* taken */
        /* a call that succeeds brings none, and one that fails without one neither */
        ASSERT_HR_EQ(call(d, 2, args, 1, &r, NULL, NULL), S_OK);
        VariantClear(&r);
        ASSERT_HR_EQ(GetErrorInfo(0, &info), S_FALSE);
        ASSERT_HR_EQ(call(d, 77, NULL, 0, &r, NULL, NULL), DISP_E_MEMBERNOTFOUND);
        ASSERT_HR_EQ(GetErrorInfo(0, &info), S_FALSE);
        VariantClear(&args[0]);

        /* records: a copy comes back; by reference the object's change too */
        static const GUID lib = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                  { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x01 } };
        static const GUID named = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                    { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x06 } };
        static const GUID point = { 0x7a1c0e20, 0x4b3d, 0x4f6e,
                                    { 0x9a, 0x10, 0x2c, 0x3d, 0x4e, 0x5f, 0x6a, 0x03 } };
        struct { LONG id; BSTR name; } nm = { 5, SysAllocString(bob) };
        struct { LONG x, y; } pt = { 21, -1 };
        IRecordInfo *ri_named, *ri_point;
        ASSERT_EQ(id_of(d, "Stretch"), 13);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&lib, 1, 2, 0, &named, &ri_named), S_OK);
        ASSERT_HR_EQ(GetRecordInfoFromGuids(&lib, 1, 2, 0, &point, &ri_point), S_OK);
        V_VT(&args[0]) = VT_RECORD;
        V_RECORD(&args[0]) = &nm;
        V_RECORDINFO(&args[0]) = ri_named;
        ASSERT_HR_EQ(call(d, 13, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(V_VT(&r), VT_RECORD);
        ASSERT_TRUE(IRecordInfo_IsMatchingType(ri_named, V_RECORDINFO(&r)));
        ASSERT_EQ(((LONG *)V_RECORD(&r))[0], 5);
        ASSERT_MEM_EQ(((BSTR *)V_RECORD(&r))[1], bob, sizeof bob);
        ASSERT_TRUE(((BSTR *)V_RECORD(&r))[1] != nm.name);
        VariantClear(&r);
        V_VT(&args[0]) = VT_RECORD | VT_BYREF;
        V_RECORD(&args[0]) = &pt;
        V_RECORDINFO(&args[0]) = ri_point;
        ASSERT_HR_EQ(call(d, 13, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(pt.x, 42);                    /* written back into ours */
        ASSERT_EQ(pt.y, -1);
        ASSERT_EQ(V_VT(&r), VT_RECORD);
        ASSERT_EQ(((LONG *)V_RECORD(&r))[0], 42);
        VariantClear(&r);
        V_VT(&args[0]) = VT_RECORD;             /* by value: ours stays as it was */
        ASSERT_HR_EQ(call(d, 13, args, 1, &r, NULL, NULL), S_OK);
        ASSERT_EQ(pt.x, 42);
        ASSERT_EQ(((LONG *)V_RECORD(&r))[0], 84);
        VariantClear(&r);
        IRecordInfo_Release(ri_point);
        IRecordInfo_Release(ri_named);
        SysFreeString(nm.name);

        /* every reference the calls made came back */
        ASSERT_GT(server_refs(), 1);
        IDispatch_Release(d);
        ASSERT_EQ(server_refs(), 1);
        xwrite(to_server, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(to_server);
        close(from_server);
        CoUninitialize();
        rpcss_stop();
}

/* --- IEnumVARIANT ([MS-OAUT] 3.3) across processes ------------------------------------------- */

#define ENUM_ITEMS 10u

/* An enumerator over ENUM_ITEMS elements: item i is VT_I4 i, VT_BSTR "item<i>" or VT_R8
   i + 0.5 by i % 3.  live counts the enumerators not yet freed. */
struct venum {
        IEnumVARIANT IEnumVARIANT_iface;
        atomic_int refs;
        ULONG pos;
};

static atomic_int live;

static struct venum *venum_new(ULONG pos);

static struct venum *venum_impl(IEnumVARIANT *e) {
        return (struct venum *)e;
}

static HRESULT STDMETHODCALLTYPE ve_qi(IEnumVARIANT *e, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumVARIANT)) {
                *ppv = e;
                IEnumVARIANT_AddRef(e);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ve_addref(IEnumVARIANT *e) {
        return (ULONG)atomic_fetch_add(&venum_impl(e)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ve_release(IEnumVARIANT *e) {
        int r = atomic_fetch_sub(&venum_impl(e)->refs, 1) - 1;
        if (!r) {
                free(e);
                atomic_fetch_sub(&live, 1);
        }
        return (ULONG)r;
}

static void item(ULONG i, VARIANT *v) {
        VariantInit(v);
        if (i % 3 == 0) {
                V_VT(v) = VT_I4;
                V_I4(v) = (LONG)i;
        } else if (i % 3 == 1) {
                OLECHAR s[] = { 'i', 't', 'e', 'm', (OLECHAR)('0' + i), 0 };
                V_VT(v) = VT_BSTR;
                V_BSTR(v) = SysAllocString(s);
        } else {
                V_VT(v) = VT_R8;
                V_R8(v) = i + 0.5;
        }
}

static HRESULT STDMETHODCALLTYPE ve_next(IEnumVARIANT *e, ULONG celt, VARIANT *v, ULONG *fetched) {
        struct venum *x = venum_impl(e);
        ULONG k = 0;

        for (; k < celt && x->pos < ENUM_ITEMS; k++)
                item(x->pos++, &v[k]);
        if (fetched)
                *fetched = k;
        return k == celt ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE ve_skip(IEnumVARIANT *e, ULONG celt) {
        struct venum *x = venum_impl(e);

        if (celt > ENUM_ITEMS - x->pos) {
                x->pos = ENUM_ITEMS;
                return S_FALSE;
        }
        x->pos += celt;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ve_reset(IEnumVARIANT *e) {
        venum_impl(e)->pos = 0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ve_clone(IEnumVARIANT *e, IEnumVARIANT **ret) {
        struct venum *c = venum_new(venum_impl(e)->pos);

        *ret = c ? &c->IEnumVARIANT_iface : NULL;
        return c ? S_OK : E_OUTOFMEMORY;
}

static const IEnumVARIANTVtbl venum_vtbl = {
        ve_qi, ve_addref, ve_release, ve_next, ve_skip, ve_reset, ve_clone,
};

static struct venum *venum_new(ULONG pos) {
        struct venum *x = calloc(1, sizeof *x);

        if (x) {
                x->IEnumVARIANT_iface.lpVtbl = &venum_vtbl;
                atomic_init(&x->refs, 1);
                x->pos = pos;
                atomic_fetch_add(&live, 1);
        }
        return x;
}

/* The child: marshals an enumerator; 'r' reports the enumerators alive, 'q' quits. */
static _Noreturn void enum_server_main(int in, int out) {
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        uint8_t cmd;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        struct venum *e = venum_new(0);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_IEnumVARIANT, (IUnknown *)&e->IEnumVARIANT_iface,
                                     MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
        IEnumVARIANT_Release(&e->IEnumVARIANT_iface);   /* the marshal holds it */
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(out, &len, sizeof len);
        xwrite(out, GlobalLock(h), len);
        GlobalUnlock(h);
        IStream_Release(stm);
        while (read(in, &cmd, 1) == 1 && cmd == 'r') {
                int32_t r[2] = { atomic_load(&live), 0 };
                xwrite(out, r, sizeof r);
        }
        CoUninitialize();
        _exit(0);
}

static void expect_item(const VARIANT *v, ULONG i) {
        VARIANT want;

        item(i, &want);
        ASSERT_EQ(V_VT(v), V_VT(&want));
        if (V_VT(v) == VT_I4)
                ASSERT_EQ(V_I4(v), V_I4(&want));
        else if (V_VT(v) == VT_R8)
                ASSERT_TRUE(V_R8(v) == V_R8(&want));
        else
                ASSERT_MEM_EQ(V_BSTR(v), V_BSTR(&want), 6 * sizeof(OLECHAR));
        VariantClear(&want);
}

TEST(ienumvariant_across_processes) {
        int status;
        IEnumVARIANT *e = NULL, *c = NULL;
        VARIANT v[6];
        ULONG got = 99;
        pid_t pid;

        rpcss_start();
        e = connect_to(enum_server_main, &IID_IEnumVARIANT, &pid);

        /* one at a time without a count, as Windows allows */
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 1, &v[0], NULL), S_OK);
        expect_item(&v[0], 0);
        VariantClear(&v[0]);
        /* several: strings and numbers */
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 4, v, &got), S_OK);
        ASSERT_EQ(got, 4);
        for (ULONG i = 0; i < 4; i++) {
                expect_item(&v[i], 1 + i);
                VariantClear(&v[i]);
        }
        ASSERT_HR_EQ(IEnumVARIANT_Skip(e, 3), S_OK);
        /* past the end: what there is, and S_FALSE */
        for (int i = 0; i < 6; i++)
                VariantInit(&v[i]);
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 6, v, &got), S_FALSE);
        ASSERT_EQ(got, 2);
        expect_item(&v[0], 8);
        expect_item(&v[1], 9);
        ASSERT_EQ(V_VT(&v[2]), VT_EMPTY);
        VariantClear(&v[0]);
        VariantClear(&v[1]);
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 1, &v[0], NULL), S_FALSE);
        ASSERT_EQ(V_VT(&v[0]), VT_EMPTY);
        ASSERT_HR_EQ(IEnumVARIANT_Skip(e, 1), S_FALSE);
        /* Reset and Clone: a second enumerator in the server, at the same place */
        ASSERT_OK(IEnumVARIANT_Reset(e));
        ASSERT_OK(IEnumVARIANT_Skip(e, 2));
        ASSERT_OK(IEnumVARIANT_Clone(e, &c));
        ASSERT_TRUE(c != NULL && c != e);
        ASSERT_EQ(server_refs(), 2);
        ASSERT_HR_EQ(IEnumVARIANT_Next(c, 1, &v[0], &got), S_OK);
        expect_item(&v[0], 2);
        VariantClear(&v[0]);
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 1, &v[0], &got), S_OK);
        expect_item(&v[0], 2);          /* the original did not move */
        VariantClear(&v[0]);
        IEnumVARIANT_Release(c);
        ASSERT_EQ(server_refs(), 1);
        /* nothing asked, and a buffer missing */
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 0, NULL, &got), S_OK);
        ASSERT_EQ(got, 0);
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 3, NULL, &got), E_INVALIDARG);
        /* a count the server cannot hold in one call's memory fails cleanly */
        ASSERT_TRUE(FAILED(IEnumVARIANT_Next(e, 0x40000000, v, &got)));
        ASSERT_EQ(got, 0);
        ASSERT_HR_EQ(IEnumVARIANT_Next(e, 1, &v[0], NULL), S_OK);
        expect_item(&v[0], 3);
        VariantClear(&v[0]);

        IEnumVARIANT_Release(e);
        ASSERT_EQ(server_refs(), 0);
        xwrite(to_server, "q", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(to_server);
        close(from_server);
        CoUninitialize();
        rpcss_stop();
}
