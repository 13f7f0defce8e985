/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows COM code in C++, compiled with no casts and no ATL:
 *  - strings: OLESTR()/TEXT() literals are LPCOLESTR, OLECHAR is char16_t, BSTR and the
 *    APIs taking them (SysAllocString, CLSIDFromString, lstrlenW/lstrcmpiW) type-check;
 *  - the generated headers' interfaces are abstract classes with MIDL's inheritance
 *    (IClassFactory : IUnknown), __uuidof() gives their IIDs, IID_PPV_ARGS both arguments;
 *  - one vtable serves C and C++: C code (test-cxx-c.c, COBJMACROS) calls a C++ object,
 *    C++ calls a C object through the class; CoCreateInstance goes through a C++ class
 *    factory registered with CoRegisterClassObject; a C++ IDispatch object is called from
 *    another apartment through OpenDCOM's IDispatch proxy and stub (GetIDsOfNames, Invoke
 *    with a BSTR argument and a BSTR result), and its references all come back.
 * Its own small harness: test.h is C11 (_Noreturn).
 */
#include <objbase.h>
#include <oleauto.h>
#include <olectl.h>
#include <ocidl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <type_traits>
#include <unistd.h>

#include "test-cxx.h"

#define CHECK(cond)                                                                       \
        do {                                                                              \
                if (!(cond)) {                                                            \
                        fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
                        exit(1);                                                          \
                }                                                                         \
        } while (0)
#define CHECK_HR(expr, want)                                                                \
        do {                                                                                \
                HRESULT hr_ = (expr);                                                       \
                if (hr_ != (HRESULT)(want)) {                                               \
                        fprintf(stderr, "%s:%d: %s\n  got 0x%08x, want 0x%08x\n", __FILE__, \
                                __LINE__, #expr, (unsigned)hr_, (unsigned)(want));          \
                        exit(1);                                                            \
                }                                                                           \
        } while (0)

static_assert(sizeof(WCHAR) == 2 && sizeof(OLECHAR) == 2, "16-bit WCHAR");
#if __SIZEOF_WCHAR_T__ == 2
static_assert(std::is_same<WCHAR, wchar_t>::value, "-fshort-wchar: WCHAR is wchar_t");
#else
static_assert(std::is_same<WCHAR, char16_t>::value, "WCHAR is char16_t in C++");
#endif
static_assert(std::is_same<decltype(&OLESTR("x")[0]), const OLECHAR *>::value, "OLESTR");
static_assert(std::is_same<BSTR, OLECHAR *>::value, "BSTR");
static_assert(std::is_base_of<IUnknown, IClassFactory>::value, "IClassFactory : IUnknown");
static_assert(std::is_base_of<IUnknown, IDispatch>::value, "IDispatch : IUnknown");
static_assert(std::is_base_of<IProvideClassInfo, IProvideClassInfo2>::value, "ocidl");
static_assert(std::is_abstract<IStream>::value, "interfaces are abstract classes");
static_assert(sizeof(IUnknown) == sizeof(void *), "an interface is one vtable pointer");

static void test_strings() {
        LPCOLESTR s = OLESTR("Hello");
        const WCHAR *t = TEXT("hello");
        CHECK(lstrlenW(s) == 5 && lstrlenW(nullptr) == 0);
        CHECK(lstrcmpiW(s, t) == 0 && lstrcmpW(s, t) < 0);
        WCHAR buf[MAX_PATH];
        lstrcpyW(buf, s);
        lstrcatW(buf, OLESTR(", world"));
        CHECK(lstrcmpW(buf, OLESTR("Hello, world")) == 0);
        BSTR b = SysAllocString(OLESTR("automation"));
        CHECK(b && SysStringLen(b) == 10 && b[0] == u'a');
        SysFreeString(b);
        CLSID c;
        CHECK_HR(CLSIDFromString(OLESTR("{00020400-0000-0000-C000-000000000046}"), &c), S_OK);
        CHECK(c == IID_IDispatch);
        LPOLESTR str = nullptr;
        CHECK_HR(StringFromCLSID(IID_IUnknown, &str), S_OK);
        CHECK(lstrcmpiW(str, OLESTR("{00000000-0000-0000-c000-000000000046}")) == 0);
        CoTaskMemFree(str);
        /* the executable's own path, as a DllRegisterServer writes its library's */
        WCHAR path[MAX_PATH];
        DWORD n = GetModuleFileNameW(nullptr, path, MAX_PATH);
        CHECK(n > 0 && n < MAX_PATH && path[0] == u'/' && path[n] == 0);
        HMODULE self = nullptr;
        CHECK(GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                         GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                 reinterpret_cast<LPCWSTR>(&test_strings), &self));
        CHECK(self == GetModuleHandleW(nullptr));
        WCHAR small[4];
        CHECK(GetModuleFileNameW(self, small, 4) == 4 && small[3] == 0);
        CHECK(GetLastError() == ERROR_INSUFFICIENT_BUFFER);
        LONG v = 1;
        CHECK(InterlockedIncrement(&v) == 2 && InterlockedCompareExchange(&v, 7, 2) == 2 && v == 7);
}

static void test_uuidof() {
        CHECK(__uuidof(IUnknown) == IID_IUnknown);
        CHECK(__uuidof(IClassFactory) == IID_IClassFactory);
        CHECK(__uuidof(IDispatch) == IID_IDispatch);
        CHECK(__uuidof(IStream) == IID_IStream);
        CHECK(__uuidof(IConnectionPointContainer) == IID_IConnectionPointContainer);
        IDispatch *d = nullptr;
        CHECK(__uuidof(d) == IID_IDispatch && __uuidof(*d) == IID_IDispatch);
        CHECK(&__uuidof(IDispatch) == &__uuidof(IDispatch *));
}

/* A COM object in C++, the textbook way: a class deriving from the interface. */
static LONG live_objects;

class Greeter final : public IDispatch {
        LONG refs = 1;
        ~Greeter() { InterlockedDecrement(&live_objects); }

public:
        Greeter() { InterlockedIncrement(&live_objects); }
        LONG calls = 0;

        STDMETHODIMP QueryInterface(REFIID riid, void **ppv) override {
                if (!ppv)
                        return E_POINTER;
                if (riid == __uuidof(IUnknown) || riid == __uuidof(IDispatch)) {
                        *ppv = static_cast<IDispatch *>(this);
                        AddRef();
                        return S_OK;
                }
                *ppv = nullptr;
                return E_NOINTERFACE;
        }
        STDMETHODIMP_(ULONG) AddRef() override { return (ULONG)InterlockedIncrement(&refs); }
        STDMETHODIMP_(ULONG) Release() override {
                LONG r = InterlockedDecrement(&refs);
                if (!r)
                        delete this;
                return (ULONG)r;
        }
        STDMETHODIMP GetTypeInfoCount(UINT *n) override {
                *n = 0;
                return S_OK;
        }
        STDMETHODIMP GetTypeInfo(UINT, LCID, ITypeInfo **ti) override {
                *ti = nullptr;
                return DISP_E_BADINDEX;
        }
        STDMETHODIMP GetIDsOfNames(REFIID, LPOLESTR *names, UINT n, LCID, DISPID *ids) override {
                HRESULT hr = S_OK;
                for (UINT i = 0; i < n; i++) {
                        ids[i] = lstrcmpiW(names[i], OLESTR("Greet")) == 0 ? 7 : DISPID_UNKNOWN;
                        if (ids[i] == DISPID_UNKNOWN)
                                hr = DISP_E_UNKNOWNNAME;
                }
                return hr;
        }
        STDMETHODIMP Invoke(DISPID id, REFIID, LCID, WORD flags, DISPPARAMS *dp, VARIANT *result,
                            EXCEPINFO *, UINT *) override {
                InterlockedIncrement(&calls);
                if (id != 7 || !(flags & DISPATCH_METHOD))
                        return DISP_E_MEMBERNOTFOUND;
                if (dp->cArgs != 1)
                        return DISP_E_BADPARAMCOUNT;
                if (V_VT(&dp->rgvarg[0]) != VT_BSTR)
                        return DISP_E_TYPEMISMATCH;
                WCHAR out[64];
                lstrcpyW(out, OLESTR("Hello, "));
                lstrcpynW(out + 7, V_BSTR(&dp->rgvarg[0]), 64 - 8);
                lstrcatW(out, OLESTR("!"));
                if (result) {
                        V_VT(result) = VT_BSTR;
                        V_BSTR(result) = SysAllocString(out);
                }
                return S_OK;
        }
};

class GreeterFactory final : public IClassFactory {
public:
        LONG created = 0;
        STDMETHODIMP QueryInterface(REFIID riid, void **ppv) override {
                if (riid == __uuidof(IUnknown) || riid == __uuidof(IClassFactory)) {
                        *ppv = static_cast<IClassFactory *>(this);
                        return S_OK;
                }
                *ppv = nullptr;
                return E_NOINTERFACE;
        }
        STDMETHODIMP_(ULONG) AddRef() override { return 2; }
        STDMETHODIMP_(ULONG) Release() override { return 1; }
        STDMETHODIMP CreateInstance(IUnknown *outer, REFIID riid, void **ppv) override {
                *ppv = nullptr;
                if (outer)
                        return CLASS_E_NOAGGREGATION;
                Greeter *g = new Greeter;
                HRESULT hr = g->QueryInterface(riid, ppv);
                g->Release();
                created++;
                return hr;
        }
        STDMETHODIMP LockServer(BOOL) override { return S_OK; }
};

/* {8a7d4c62-5f0e-4c2b-9a63-0d1f6c3e2a71} */
static const CLSID CLSID_Greeter = {0x8a7d4c62, 0x5f0e, 0x4c2b,
                                    {0x9a, 0x63, 0x0d, 0x1f, 0x6c, 0x3e, 0x2a, 0x71}};

static HRESULT greet(IDispatch *d, LPCOLESTR who, BSTR *ret) {
        LPOLESTR name = const_cast<LPOLESTR>(OLESTR("greet"));
        DISPID id;
        HRESULT hr = d->GetIDsOfNames(IID_NULL, &name, 1, LOCALE_USER_DEFAULT, &id);
        if (FAILED(hr))
                return hr;
        VARIANT arg, result;
        VariantInit(&arg);
        VariantInit(&result);
        V_VT(&arg) = VT_BSTR;
        V_BSTR(&arg) = SysAllocString(who);
        DISPPARAMS dp = {&arg, nullptr, 1, 0};
        hr = d->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &dp, &result, nullptr,
                       nullptr);
        VariantClear(&arg);
        if (SUCCEEDED(hr) && V_VT(&result) == VT_BSTR)
                *ret = V_BSTR(&result);
        else
                VariantClear(&result);
        return hr;
}

static void test_c_and_cxx() {
        /* C calls the C++ object through its lpVtbl ... */
        Greeter *g = new Greeter;
        CHECK(cxx_test_call_from_c(g) == 0);
        CHECK(g->calls == 1);
        g->Release();
        CHECK(live_objects == 0);
        /* ... and C++ calls a C object through the class */
        IClassFactory *cf = cxx_test_c_factory();
        IUnknown *u = nullptr;
        CHECK_HR(cf->CreateInstance(nullptr, IID_PPV_ARGS(&u)), S_OK);
        CHECK(u == reinterpret_cast<IUnknown *>(cf));
        CHECK(u->Release() == 1 && cxx_test_c_factory_refs() == 1);
        CHECK_HR(cf->LockServer(TRUE), E_NOTIMPL);
}

static void test_cocreateinstance() {
        GreeterFactory factory;
        DWORD cookie = 0;
        CHECK_HR(CoRegisterClassObject(CLSID_Greeter, &factory, CLSCTX_INPROC_SERVER,
                                       REGCLS_MULTIPLEUSE, &cookie), S_OK);
        IDispatch *d = nullptr;
        CHECK_HR(CoCreateInstance(CLSID_Greeter, nullptr, CLSCTX_INPROC_SERVER, IID_PPV_ARGS(&d)),
                 S_OK);
        CHECK(d && factory.created == 1 && live_objects == 1);
        BSTR s = nullptr;
        CHECK_HR(greet(d, OLESTR("C++"), &s), S_OK);
        CHECK(lstrcmpW(s, OLESTR("Hello, C++!")) == 0);
        SysFreeString(s);
        IStream *stm = nullptr;
        CHECK_HR(d->QueryInterface(IID_PPV_ARGS(&stm)), E_NOINTERFACE);
        CHECK(stm == nullptr);
        d->Release();
        CHECK(live_objects == 0);
        CHECK_HR(CoRevokeClassObject(cookie), S_OK);
        CHECK_HR(CoCreateInstance(CLSID_Greeter, nullptr, CLSCTX_INPROC_SERVER, IID_PPV_ARGS(&d)),
                 REGDB_E_CLASSNOTREG);
}

/* A single-threaded apartment calls the MTA's C++ object through the IDispatch proxy. */
struct sta_call {
        IStream *stm;
        HRESULT hr;
        IDispatch *seen;
        WCHAR answer[64];
};

static void *sta_main(void *arg) {
        sta_call *c = static_cast<sta_call *>(arg);
        c->hr = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
        if (FAILED(c->hr))
                return nullptr;
        IDispatch *d = nullptr;
        c->hr = CoGetInterfaceAndReleaseStream(c->stm, IID_PPV_ARGS(&d));
        if (SUCCEEDED(c->hr)) {
                c->seen = d;
                BSTR s = nullptr;
                c->hr = greet(d, OLESTR("apartment"), &s);
                if (SUCCEEDED(c->hr)) {
                        lstrcpynW(c->answer, s, 64);
                        SysFreeString(s);
                }
                d->Release();
        }
        CoUninitialize();
        return nullptr;
}

static void test_proxy() {
        Greeter *g = new Greeter;
        sta_call c = {};
        CHECK_HR(CoMarshalInterThreadInterfaceInStream(__uuidof(IDispatch), g, &c.stm), S_OK);
        pthread_t t;
        CHECK(pthread_create(&t, nullptr, sta_main, &c) == 0);
        pthread_join(t, nullptr);
        CHECK_HR(c.hr, S_OK);
        CHECK(c.seen != nullptr && c.seen != static_cast<IDispatch *>(g));       /* a proxy */
        CHECK(lstrcmpW(c.answer, OLESTR("Hello, apartment!")) == 0);
        CHECK(g->calls == 1);
        CHECK(g->Release() == 0);        /* the stub gave its references back */
        CHECK(live_objects == 0);
}

/* The registry and COM's state in a directory of the test's own, removed at exit. */
static char state_dir[] = "/tmp/dcom-test-cxx-XXXXXX";

static int rm_one(const char *path, const struct stat *, int, struct FTW *) {
        return remove(path);
}

static void state_cleanup() {
        nftw(state_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main() {
        alarm(60);
        CHECK(mkdtemp(state_dir) != nullptr);
        setenv("OPENDCOM_ROOT", state_dir, 1);
        atexit(state_cleanup);
        CHECK_HR(CoInitializeEx(nullptr, COINIT_MULTITHREADED), S_OK);
        test_strings();
        printf("ok: strings\n");
        test_uuidof();
        printf("ok: __uuidof\n");
        test_c_and_cxx();
        printf("ok: one vtable for C and C++\n");
        test_cocreateinstance();
        printf("ok: CoCreateInstance through a C++ class factory\n");
        test_proxy();
        printf("ok: a C++ object through the IDispatch proxy and stub\n");
        CoUninitialize();
        return 0;
}
