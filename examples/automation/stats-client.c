/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Automation example's C client, written as on Windows: it creates OpenDCOM.Stats
 * by its ProgID in its local server (CoCreateInstanceEx, CLSCTX_LOCAL_SERVER: rpcss has
 * dcomlaunch start stats-server) and calls it late-bound -- every member by name
 * (GetIDsOfNames), every argument a VARIANT (Invoke) -- as a script would.  It knows
 * nothing of IStats' vtable.
 *
 *      stats-client            prints what each call returned; exit status 0 when all
 *                              behaved as described in stats.idl
 */
#define COBJMACROS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dcom/utf16.h>
#include <objbase.h>
#include <oleauto.h>

static int failures;
static HRESULT last_scode;      /* EXCEPINFO.scode of the last DISP_E_EXCEPTION */

/* obj.name(args...) through IDispatch; args are given first to last. */
static HRESULT call(IDispatch *obj, const WCHAR *name, WORD flags, VARIANT *args, UINT n,
                    VARIANT *result) {
        DISPID id, put = DISPID_PROPERTYPUT;
        LPOLESTR names[1] = { (LPOLESTR)name };
        VARIANT rev[4];
        DISPPARAMS p = { rev, NULL, n, 0 };
        EXCEPINFO ex;
        UINT bad = 0;
        HRESULT hr;

        hr = IDispatch_GetIDsOfNames(obj, &IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id);
        if (FAILED(hr))
                return hr;
        for (UINT i = 0; i < n; i++)
                rev[n - 1 - i] = args[i];       /* DISPPARAMS holds them last first */
        if (flags & DISPATCH_PROPERTYPUT) {     /* the value is the named argument */
                p.rgdispidNamedArgs = &put;
                p.cNamedArgs = 1;
        }
        VariantInit(result);
        memset(&ex, 0, sizeof ex);
        hr = IDispatch_Invoke(obj, id, &IID_NULL, LOCALE_USER_DEFAULT, flags, &p, result, &ex, &bad);
        /* a member that fails comes back as DISP_E_EXCEPTION, its HRESULT in scode */
        last_scode = hr == DISP_E_EXCEPTION ? ex.scode : hr;
        SysFreeString(ex.bstrSource);
        SysFreeString(ex.bstrDescription);
        SysFreeString(ex.bstrHelpFile);
        return hr;
}

static void print_bstr(const char *label, BSTR s) {
        char *u8 = NULL;
        dcom_utf16_to_utf8(s, SysStringLen(s), &u8, NULL);
        printf("%s%s\n", label, u8 ? u8 : "?");
        free(u8);
}

static void expect(const char *what, HRESULT got, HRESULT want) {
        if (got != want) {
                printf("%s: 0x%08x, expected 0x%08x\n", what, (unsigned)got, (unsigned)want);
                failures++;
        }
}

int main(void) {
        MULTI_QI qi = { &IID_IDispatch, NULL, S_OK };
        VARIANT a, r;
        CLSID clsid;
        IDispatch *obj;
        HRESULT hr;

        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 1;
        hr = CLSIDFromProgID(u"OpenDCOM.Stats", &clsid);
        if (SUCCEEDED(hr))
                hr = CoCreateInstanceEx(&clsid, NULL, CLSCTX_LOCAL_SERVER, NULL, 1, &qi);
        if (FAILED(hr)) {
                fprintf(stderr, "stats-client: OpenDCOM.Stats: 0x%08x (dcomerr %08x says why; "
                        "stats-server -RegServer registers it)\n", (unsigned)hr, (unsigned)hr);
                CoUninitialize();
                return 1;
        }
        obj = (IDispatch *)qi.pItf;

        /* stats.Name = "temperatures" */
        V_VT(&a) = VT_BSTR;
        V_BSTR(&a) = SysAllocString(u"temperatures");
        expect("Name = ...", call(obj, u"Name", DISPATCH_PROPERTYPUT, &a, 1, &r), S_OK);
        VariantClear(&a);

        /* stats.Add(21.5), stats.Add("19.25"): the string is converted by the server */
        V_VT(&a) = VT_R8;
        V_R8(&a) = 21.5;
        expect("Add(21.5)", hr = call(obj, u"Add", DISPATCH_METHOD, &a, 1, &r), S_OK);
        if (SUCCEEDED(hr))
                printf("Add(21.5) = %d\n", (int)V_I4(&r));
        V_VT(&a) = VT_BSTR;
        V_BSTR(&a) = SysAllocString(u"19.25");
        expect("Add(\"19.25\")", hr = call(obj, u"Add", DISPATCH_METHOD, &a, 1, &r), S_OK);
        if (SUCCEEDED(hr))
                printf("Add(\"19.25\") = %d\n", (int)V_I4(&r));
        VariantClear(&a);

        /* stats.Add(Array(18, 22.75, "20")): a SAFEARRAY of VARIANTs */
        SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, 3);
        VARIANT e;
        LONG i = 0;
        V_VT(&e) = VT_I4;
        V_I4(&e) = 18;
        SafeArrayPutElement(sa, &i, &e);
        i = 1;
        V_VT(&e) = VT_R8;
        V_R8(&e) = 22.75;
        SafeArrayPutElement(sa, &i, &e);
        i = 2;
        V_VT(&e) = VT_BSTR;
        V_BSTR(&e) = SysAllocString(u"20");
        SafeArrayPutElement(sa, &i, &e);        /* copies the BSTR */
        VariantClear(&e);
        V_VT(&a) = VT_ARRAY | VT_VARIANT;
        V_ARRAY(&a) = sa;
        expect("Add(Array(...))", hr = call(obj, u"Add", DISPATCH_METHOD, &a, 1, &r), S_OK);
        if (SUCCEEDED(hr))
                printf("Add(Array(18, 22.75, \"20\")) = %d\n", (int)V_I4(&r));
        VariantClear(&a);

        /* properties */
        if (SUCCEEDED(hr = call(obj, u"Count", DISPATCH_PROPERTYGET, NULL, 0, &r)))
                printf("Count = %d\n", (int)V_I4(&r));
        expect("Count", hr, S_OK);
        if (SUCCEEDED(hr = call(obj, u"Mean", DISPATCH_PROPERTYGET, NULL, 0, &r)))
                printf("Mean = %g\n", V_R8(&r));
        expect("Mean", hr, S_OK);

        /* stats.Values(): a SAFEARRAY(double) back */
        if (SUCCEEDED(hr = call(obj, u"Values", DISPATCH_METHOD, NULL, 0, &r)) &&
            V_VT(&r) == (VT_ARRAY | VT_R8)) {
                double *d;
                LONG lo, hi;
                SafeArrayGetLBound(V_ARRAY(&r), 1, &lo);
                SafeArrayGetUBound(V_ARRAY(&r), 1, &hi);
                printf("Values() =");
                if (SUCCEEDED(SafeArrayAccessData(V_ARRAY(&r), (void **)&d))) {
                        for (LONG k = 0; k <= hi - lo; k++)
                                printf(" %g", d[k]);
                        SafeArrayUnaccessData(V_ARRAY(&r));
                }
                printf("\n");
        } else if (SUCCEEDED(hr)) {
                hr = DISP_E_TYPEMISMATCH;
        }
        expect("Values()", hr, S_OK);
        VariantClear(&r);

        /* stats.Describe() and stats.Describe("Monday's"): an [optional] argument */
        if (SUCCEEDED(hr = call(obj, u"Describe", DISPATCH_METHOD, NULL, 0, &r)))
                print_bstr("Describe() = ", V_BSTR(&r));
        expect("Describe()", hr, S_OK);
        VariantClear(&r);
        V_VT(&a) = VT_BSTR;
        V_BSTR(&a) = SysAllocString(u"Monday's");
        if (SUCCEEDED(hr = call(obj, u"Describe", DISPATCH_METHOD, &a, 1, &r)))
                print_bstr("Describe(\"Monday's\") = ", V_BSTR(&r));
        expect("Describe(\"Monday's\")", hr, S_OK);
        VariantClear(&r);
        VariantClear(&a);

        /* what a script gets wrong is refused as Windows refuses it */
        V_VT(&a) = VT_BSTR;
        V_BSTR(&a) = SysAllocString(u"warm");
        hr = call(obj, u"Add", DISPATCH_METHOD, &a, 1, &r);
        printf("Add(\"warm\") fails: 0x%08x (DISP_E_EXCEPTION), scode 0x%08x (DISP_E_TYPEMISMATCH)\n",
               (unsigned)hr, (unsigned)last_scode);
        expect("Add(\"warm\")", hr, DISP_E_EXCEPTION);
        expect("Add(\"warm\")'s scode", last_scode, DISP_E_TYPEMISMATCH);
        VariantClear(&a);
        hr = call(obj, u"Median", DISPATCH_PROPERTYGET, NULL, 0, &r);
        printf("Median fails: 0x%08x (DISP_E_UNKNOWNNAME)\n", (unsigned)hr);
        expect("Median", hr, DISP_E_UNKNOWNNAME);
        hr = call(obj, u"Add", DISPATCH_METHOD, NULL, 0, &r);
        printf("Add() fails: 0x%08x (DISP_E_BADPARAMCOUNT)\n", (unsigned)hr);
        expect("Add()", hr, DISP_E_BADPARAMCOUNT);
        expect("Clear()", call(obj, u"Clear", DISPATCH_METHOD, NULL, 0, &r), S_OK);
        hr = call(obj, u"Mean", DISPATCH_PROPERTYGET, NULL, 0, &r);
        printf("Mean after Clear() fails: 0x%08x (DISP_E_EXCEPTION), scode 0x%08x (DISP_E_DIVBYZERO)\n",
               (unsigned)hr, (unsigned)last_scode);
        expect("Mean after Clear()", hr, DISP_E_EXCEPTION);
        expect("Mean after Clear()'s scode", last_scode, DISP_E_DIVBYZERO);

        IDispatch_Release(obj);
        CoUninitialize();
        return failures ? 1 : 0;
}
