/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C++ example's component, as Windows C++ COM code is written without ATL: a class
 * deriving from the generated interface (IGreeter, an abstract class in C++), reference
 * counting with InterlockedIncrement/Decrement, QueryInterface on __uuidof(), a class
 * factory, and the four exports of an in-process server.  DllRegisterServer finds its own
 * file with GetModuleHandleExW + GetModuleFileNameW, as a Windows DLL does without
 * DllMain.  Built as greeter.so; `regsvr greeter.so` registers it.
 */
#include <objbase.h>
#include <olectl.h>
#include <new>

#include "greeter.h"

static LONG live_objects;       /* Greeter objects alive */
static LONG server_locks;       /* IClassFactory::LockServer */

class Greeter final : public IGreeter {
public:
        Greeter() { InterlockedIncrement(&live_objects); }

        STDMETHODIMP QueryInterface(REFIID riid, void **ppv) override {
                if (!ppv)
                        return E_POINTER;
                if (riid == __uuidof(IUnknown) || riid == __uuidof(IGreeter)) {
                        *ppv = static_cast<IGreeter *>(this);
                        AddRef();
                        return S_OK;
                }
                *ppv = nullptr;
                return E_NOINTERFACE;
        }
        STDMETHODIMP_(ULONG) AddRef() override { return (ULONG)InterlockedIncrement(&refs_); }
        STDMETHODIMP_(ULONG) Release() override {
                LONG r = InterlockedDecrement(&refs_);
                if (r == 0)
                        delete this;
                return (ULONG)r;
        }

        STDMETHODIMP Greet(LPCOLESTR name, BSTR *greeting) override {
                if (!name || !greeting)
                        return E_POINTER;
                static const OLECHAR hello[] = OLESTR("Hello, ");
                UINT n = (UINT)lstrlenW(name), h = (UINT)lstrlenW(hello);
                BSTR s = SysAllocStringLen(nullptr, h + n + 1);
                if (!s)
                        return E_OUTOFMEMORY;
                lstrcpyW(s, hello);
                lstrcatW(s, name);
                lstrcatW(s, OLESTR("!"));
                *greeting = s;
                InterlockedIncrement(&count_);
                return S_OK;
        }
        STDMETHODIMP get_Count(LONG *count) override {
                if (!count)
                        return E_POINTER;
                *count = count_;
                return S_OK;
        }

private:
        ~Greeter() { InterlockedDecrement(&live_objects); }
        LONG refs_ = 1;
        LONG count_ = 0;
};

class GreeterFactory final : public IClassFactory {
public:
        STDMETHODIMP QueryInterface(REFIID riid, void **ppv) override {
                if (!ppv)
                        return E_POINTER;
                if (riid == __uuidof(IUnknown) || riid == __uuidof(IClassFactory)) {
                        *ppv = static_cast<IClassFactory *>(this);
                        return S_OK;
                }
                *ppv = nullptr;
                return E_NOINTERFACE;
        }
        /* a static object: the module's lifetime is the locks' and the objects' */
        STDMETHODIMP_(ULONG) AddRef() override { return 2; }
        STDMETHODIMP_(ULONG) Release() override { return 1; }
        STDMETHODIMP CreateInstance(IUnknown *outer, REFIID riid, void **ppv) override {
                if (!ppv)
                        return E_POINTER;
                *ppv = nullptr;
                if (outer)
                        return CLASS_E_NOAGGREGATION;
                Greeter *g = new (std::nothrow) Greeter;
                if (!g)
                        return E_OUTOFMEMORY;
                HRESULT hr = g->QueryInterface(riid, ppv);
                g->Release();
                return hr;
        }
        STDMETHODIMP LockServer(BOOL lock) override {
                if (lock)
                        InterlockedIncrement(&server_locks);
                else
                        InterlockedDecrement(&server_locks);
                return S_OK;
        }
};

static GreeterFactory factory;

/* The four exports: STDAPI is extern "C", as on Windows (and visible: no -fvisibility). */
STDAPI DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        *ppv = nullptr;
        if (rclsid != __uuidof(Greeter))
                return CLASS_E_CLASSNOTAVAILABLE;
        return factory.QueryInterface(riid, ppv);
}

STDAPI DllCanUnloadNow() {
        return live_objects == 0 && server_locks == 0 ? S_OK : S_FALSE;
}

/* HKCR\CLSID\{clsid}SUFFIX */
static void clsid_key(WCHAR *key, LPCOLESTR suffix) {
        lstrcpyW(key, OLESTR("CLSID\\"));
        StringFromGUID2(__uuidof(Greeter), key + lstrlenW(key), 39);
        lstrcatW(key, suffix);
}

static LSTATUS set_sz(LPCWSTR key, LPCWSTR name, LPCWSTR value) {
        return RegSetKeyValueW(HKEY_CLASSES_ROOT, key, name, REG_SZ, value,
                               (DWORD)((lstrlenW(value) + 1) * sizeof(WCHAR)));
}

STDAPI DllRegisterServer() {
        HMODULE self;
        WCHAR path[MAX_PATH], key[128], clsid[39];
        if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                        GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                reinterpret_cast<LPCWSTR>(&factory), &self))
                return SELFREG_E_CLASS;
        DWORD n = GetModuleFileNameW(self, path, MAX_PATH);
        if (n == 0 || n == MAX_PATH)
                return SELFREG_E_CLASS;
        StringFromGUID2(__uuidof(Greeter), clsid, 39);
        LSTATUS st = ERROR_SUCCESS;
        clsid_key(key, OLESTR(""));
        st = st ? st : set_sz(key, nullptr, OLESTR("OpenDCOM C++ Greeter"));
        clsid_key(key, OLESTR("\\InprocServer32"));
        st = st ? st : set_sz(key, nullptr, path);
        st = st ? st : set_sz(key, OLESTR("ThreadingModel"), OLESTR("Both"));
        clsid_key(key, OLESTR("\\ProgID"));
        st = st ? st : set_sz(key, nullptr, OLESTR("OpenDCOM.Greeter.1"));
        st = st ? st : set_sz(OLESTR("OpenDCOM.Greeter.1\\CLSID"), nullptr, clsid);
        return st == ERROR_SUCCESS ? S_OK : SELFREG_E_CLASS;
}

STDAPI DllUnregisterServer() {
        WCHAR key[128];
        HRESULT hr = S_OK;
        clsid_key(key, OLESTR(""));
        /* what is already gone is not an error */
        LSTATUS st = RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
                hr = SELFREG_E_CLASS;
        st = RegDeleteTreeW(HKEY_CLASSES_ROOT, OLESTR("OpenDCOM.Greeter.1"));
        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
                hr = SELFREG_E_CLASS;
        return hr;
}
