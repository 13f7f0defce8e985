// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The Automation example's C++ client: the same late-bound calls as stats-client.c,
// written as C++ COM code is on Windows -- IDispatch's methods called as members, a
// small helper class that calls by name, __uuidof and IID_PPV_ARGS -- and then the same
// object early-bound, through IStats' vtable: IStats has no proxy/stub library, its
// type library (RegisterTypeLib: ProxyStubClsid32 {00020424-...}) describes the calls.
//
//      stats-client-cxx        exit status 0 when every call behaved as stats.idl says
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <dcom/utf16.h>
#include <objbase.h>
#include <oleauto.h>

#include "stats.h"

namespace {

int failures;

// A late-bound object: members by name, arguments as VARIANTs.
class Dispatch {
public:
        explicit Dispatch(IDispatch *obj) : obj_(obj) {}
        ~Dispatch() { obj_->Release(); }
        Dispatch(const Dispatch &) = delete;
        Dispatch &operator=(const Dispatch &) = delete;

        // name(args...) with args first to last; *scode is the member's own HRESULT
        HRESULT call(const OLECHAR *name, WORD flags, VARIANT *args, UINT n, VARIANT *result,
                     HRESULT *scode = nullptr) {
                DISPID id, put = DISPID_PROPERTYPUT;
                LPOLESTR names[1] = { const_cast<LPOLESTR>(name) };
                HRESULT hr = obj_->GetIDsOfNames(IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id);
                if (FAILED(hr))
                        return hr;
                VARIANT rev[4];
                for (UINT i = 0; i < n; i++)
                        rev[n - 1 - i] = args[i];
                DISPPARAMS p = { rev, nullptr, n, 0 };
                if (flags & DISPATCH_PROPERTYPUT) {
                        p.rgdispidNamedArgs = &put;
                        p.cNamedArgs = 1;
                }
                EXCEPINFO ex = {};
                UINT bad = 0;
                VariantInit(result);
                hr = obj_->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, flags, &p, result, &ex, &bad);
                if (scode)
                        *scode = hr == DISP_E_EXCEPTION ? ex.scode : hr;
                SysFreeString(ex.bstrSource);
                SysFreeString(ex.bstrDescription);
                SysFreeString(ex.bstrHelpFile);
                return hr;
        }

private:
        IDispatch *obj_;
};

void expect(const char *what, HRESULT got, HRESULT want) {
        if (got != want) {
                std::printf("%s: 0x%08x, expected 0x%08x\n", what, unsigned(got), unsigned(want));
                failures++;
        }
}

void print_bstr(const char *label, BSTR s) {
        char *u8 = nullptr;
        dcom_utf16_to_utf8(s, SysStringLen(s), &u8, nullptr);
        std::printf("%s%s\n", label, u8 ? u8 : "?");
        std::free(u8);
}

} // namespace

int main() {
        if (FAILED(CoInitializeEx(nullptr, COINIT_MULTITHREADED)))
                return 1;
        CLSID clsid;
        IDispatch *raw = nullptr;
        HRESULT hr = CLSIDFromProgID(OLESTR("OpenDCOM.Stats"), &clsid);
        if (SUCCEEDED(hr))
                hr = CoCreateInstance(clsid, nullptr, CLSCTX_LOCAL_SERVER, IID_PPV_ARGS(&raw));
        if (FAILED(hr)) {
                std::fprintf(stderr, "stats-client-cxx: OpenDCOM.Stats: 0x%08x\n", unsigned(hr));
                CoUninitialize();
                return 1;
        }
        {
                Dispatch stats(raw);
                VARIANT a, r;
                HRESULT scode;

                V_VT(&a) = VT_BSTR;
                V_BSTR(&a) = SysAllocString(OLESTR("rainfall"));
                expect("Name = ...", stats.call(OLESTR("Name"), DISPATCH_PROPERTYPUT, &a, 1, &r), S_OK);
                VariantClear(&a);
                if (SUCCEEDED(hr = stats.call(OLESTR("Name"), DISPATCH_PROPERTYGET, nullptr, 0, &r)))
                        print_bstr("Name = ", V_BSTR(&r));
                expect("Name", hr, S_OK);
                VariantClear(&r);

                // Add(Array(1.5, 2.5, 3.5, 4.5)): a SAFEARRAY of doubles this time
                SAFEARRAY *sa = SafeArrayCreateVector(VT_R8, 0, 4);
                double *d = nullptr;
                if (sa && SUCCEEDED(SafeArrayAccessData(sa, reinterpret_cast<void **>(&d)))) {
                        for (int i = 0; i < 4; i++)
                                d[i] = 1.5 + i;
                        SafeArrayUnaccessData(sa);
                }
                V_VT(&a) = VT_ARRAY | VT_R8;
                V_ARRAY(&a) = sa;
                if (SUCCEEDED(hr = stats.call(OLESTR("Add"), DISPATCH_METHOD, &a, 1, &r)))
                        std::printf("Add(Array(1.5, 2.5, 3.5, 4.5)) = %d\n", int(V_I4(&r)));
                expect("Add(Array(...))", hr, S_OK);
                VariantClear(&a);
                if (SUCCEEDED(hr = stats.call(OLESTR("Mean"), DISPATCH_PROPERTYGET, nullptr, 0, &r)))
                        std::printf("Mean = %g\n", V_R8(&r));
                expect("Mean", hr, S_OK);
                if (SUCCEEDED(hr = stats.call(OLESTR("Describe"), DISPATCH_METHOD, nullptr, 0, &r)))
                        print_bstr("Describe() = ", V_BSTR(&r));
                expect("Describe()", hr, S_OK);
                VariantClear(&r);

                V_VT(&a) = VT_BSTR;
                V_BSTR(&a) = SysAllocString(OLESTR("lots"));
                hr = stats.call(OLESTR("Add"), DISPATCH_METHOD, &a, 1, &r, &scode);
                std::printf("Add(\"lots\") fails: 0x%08x, scode 0x%08x\n", unsigned(hr),
                            unsigned(scode));
                expect("Add(\"lots\")", hr, DISP_E_EXCEPTION);
                expect("Add(\"lots\")'s scode", scode, DISP_E_TYPEMISMATCH);
                VariantClear(&a);

                // early-bound: IStats' own methods, marshaled from the type library
                IStats *early = nullptr;
                hr = raw->QueryInterface(IID_PPV_ARGS(&early));
                expect("QueryInterface(IStats)", hr, S_OK);
                if (SUCCEEDED(hr)) {
                        LONG count = 0;
                        double mean = 0;
                        V_VT(&a) = VT_I4;
                        V_I4(&a) = 10;
                        expect("IStats::Add", early->Add(a, &count), S_OK);
                        expect("IStats::get_Mean", early->get_Mean(&mean), S_OK);
                        std::printf("IStats::Add(10) = %d, IStats::get_Mean = %g (early-bound)\n",
                                    int(count), mean);
                        expect("count after Add(10)", count == 5 ? S_OK : E_FAIL, S_OK);
                        BSTR text = nullptr;
                        VARIANT none;
                        V_VT(&none) = VT_ERROR;
                        V_ERROR(&none) = DISP_E_PARAMNOTFOUND;
                        if (SUCCEEDED(hr = early->Describe(none, &text)))
                                print_bstr("IStats::Describe() = ", text);
                        expect("IStats::Describe", hr, S_OK);
                        SysFreeString(text);
                        early->Release();
                }
        }
        CoUninitialize();
        return failures ? 1 : 0;
}
