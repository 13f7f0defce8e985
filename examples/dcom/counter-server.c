/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A DCOM local server written as on Windows: an executable (LocalServer32) whose class
 * factory it registers with CoRegisterClassObject when COM starts it with -Embedding,
 * and which exits when its last object and lock are gone (CoAddRefServerProcess /
 * CoReleaseServerProcess).  Its objects are called through IDispatch, as scripting
 * clients, impacket and most DCOM tools do:
 *
 *      Add(a, b)       a + b (VT_I4; DISP_E_OVERFLOW past 32 bits)
 *      Echo(s)         "echo: " + s (VT_BSTR)
 *      Calls           property: the calls this object answered (VT_I4)
 *      WhoAmI          "uid U pid P": the identity the server runs as
 *
 *      counter-server -RegServer       registers the class (HKCR\CLSID\{...}, its AppID,
 *                                      HKCR\AppID\counter-server) as Windows servers do
 *      counter-server -UnregServer     removes it
 *      counter-server -Embedding       what rpcss (dcomlaunch) starts it with
 *
 * A server started by hand (no argument) serves until interrupted.
 */
#define COBJMACROS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* realpath, clock_gettime, strcasecmp under -std=c11 */
#endif
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dcom/utf16.h>
#include <objbase.h>
#include <oleauto.h>

#include "counter.h"

#define DISPID_ADD 1
#define DISPID_ECHO 2
#define DISPID_CALLS 3
#define DISPID_WHOAMI 4

static const struct {
        const WCHAR *name;
        DISPID id;
} names[] = {
        { u"Add", DISPID_ADD },
        { u"Echo", DISPID_ECHO },
        { u"Calls", DISPID_CALLS },
        { u"WhoAmI", DISPID_WHOAMI },
};

/* The main thread waits on this until the process may exit. */
static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exit_cond = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t exit_now;
static atomic_bool created;             /* an object was made: its end is the process's */

#define IDLE_EXIT_S 60

static void request_exit(void) {
        pthread_mutex_lock(&exit_lock);
        exit_now = true;
        pthread_cond_signal(&exit_cond);
        pthread_mutex_unlock(&exit_lock);
}

/* --- the object -------------------------------------------------------------------------------- */

struct counter {
        IDispatch IDispatch_iface;
        atomic_long refs;
        atomic_long calls;
};

static struct counter *impl_from_IDispatch(IDispatch *iface) {
        return (struct counter *)((char *)iface - offsetof(struct counter, IDispatch_iface));
}

static HRESULT STDMETHODCALLTYPE counter_QueryInterface(IDispatch *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch)) {
                *ppv = iface;
                IDispatch_AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE counter_AddRef(IDispatch *iface) {
        return (ULONG)atomic_fetch_add(&impl_from_IDispatch(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE counter_Release(IDispatch *iface) {
        struct counter *c = impl_from_IDispatch(iface);
        long n = atomic_fetch_sub(&c->refs, 1) - 1;

        if (n == 0) {
                free(c);
                /* the last object of the process: time to go, as Windows servers do */
                if (CoReleaseServerProcess() == 0)
                        request_exit();
        }
        return (ULONG)n;
}

static HRESULT STDMETHODCALLTYPE counter_GetTypeInfoCount(IDispatch *iface, UINT *count) {
        if (!count)
                return E_INVALIDARG;
        *count = 0;             /* no type library: names are resolved by GetIDsOfNames */
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE counter_GetTypeInfo(IDispatch *iface, UINT index, LCID lcid,
                                                     ITypeInfo **info) {
        if (info)
                *info = NULL;
        return DISP_E_BADINDEX;
}

static HRESULT STDMETHODCALLTYPE counter_GetIDsOfNames(IDispatch *iface, REFIID riid, LPOLESTR *req,
                                                       UINT n, LCID lcid, DISPID *ids) {
        HRESULT hr = S_OK;

        if (!req || !ids)
                return E_INVALIDARG;
        for (UINT i = 0; i < n; i++) {
                ids[i] = DISPID_UNKNOWN;
                /* one name per member: argument names (i > 0) are not known */
                for (size_t k = 0; i == 0 && req[i] && k < sizeof names / sizeof names[0]; k++)
                        if (dcom_utf16_casecmp(req[i], dcom_utf16_len(req[i]), names[k].name,
                                               dcom_utf16_len(names[k].name)) == 0)
                                ids[i] = names[k].id;
                if (ids[i] == DISPID_UNKNOWN)
                        hr = DISP_E_UNKNOWNNAME;
        }
        return hr;
}

/* Argument i (0 = the first, as the caller wrote it: DISPPARAMS holds them reversed) as vt. */
static HRESULT arg(DISPPARAMS *p, UINT i, VARTYPE vt, VARIANT *out, UINT *arg_err) {
        HRESULT hr;

        VariantInit(out);
        hr = VariantChangeType(out, &p->rgvarg[p->cArgs - 1 - i], 0, vt);
        if (FAILED(hr) && arg_err)
                *arg_err = p->cArgs - 1 - i;
        return hr;
}

static HRESULT STDMETHODCALLTYPE counter_Invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid,
                                                WORD flags, DISPPARAMS *params, VARIANT *result,
                                                EXCEPINFO *excep, UINT *arg_err) {
        struct counter *c = impl_from_IDispatch(iface);
        VARIANT a, b;
        HRESULT hr;

        if (!params)
                return E_INVALIDARG;
        if (params->cNamedArgs)
                return DISP_E_NONAMEDARGS;
        atomic_fetch_add(&c->calls, 1);
        switch (id) {
        case DISPID_ADD: {
                if (!(flags & DISPATCH_METHOD))
                        return DISP_E_MEMBERNOTFOUND;
                if (params->cArgs != 2)
                        return DISP_E_BADPARAMCOUNT;
                if (FAILED(hr = arg(params, 0, VT_I4, &a, arg_err)) ||
                    FAILED(hr = arg(params, 1, VT_I4, &b, arg_err)))
                        return hr;
                long long sum = (long long)V_I4(&a) + V_I4(&b);
                if (sum > INT32_MAX || sum < INT32_MIN)
                        return DISP_E_OVERFLOW;
                if (result) {
                        V_VT(result) = VT_I4;
                        V_I4(result) = (LONG)sum;
                }
                return S_OK;
        }
        case DISPID_ECHO: {
                static const WCHAR prefix[] = u"echo: ";
                const size_t np = sizeof prefix / sizeof prefix[0] - 1;
                if (!(flags & DISPATCH_METHOD))
                        return DISP_E_MEMBERNOTFOUND;
                if (params->cArgs != 1)
                        return DISP_E_BADPARAMCOUNT;
                if (FAILED(hr = arg(params, 0, VT_BSTR, &a, arg_err)))
                        return hr;
                UINT len = SysStringLen(V_BSTR(&a));
                BSTR s = SysAllocStringLen(NULL, (UINT)np + len);
                if (!s) {
                        VariantClear(&a);
                        return E_OUTOFMEMORY;
                }
                memcpy(s, prefix, np * sizeof(WCHAR));
                if (len)
                        memcpy(s + np, V_BSTR(&a), len * sizeof(WCHAR));
                VariantClear(&a);
                if (result) {
                        V_VT(result) = VT_BSTR;
                        V_BSTR(result) = s;
                } else {
                        SysFreeString(s);
                }
                return S_OK;
        }
        case DISPID_CALLS:
        case DISPID_WHOAMI: {
                if (!(flags & (DISPATCH_PROPERTYGET | DISPATCH_METHOD)))
                        return DISP_E_MEMBERNOTFOUND;
                if (params->cArgs)
                        return DISP_E_BADPARAMCOUNT;
                if (!result)
                        return S_OK;
                if (id == DISPID_CALLS) {
                        V_VT(result) = VT_I4;
                        V_I4(result) = (LONG)atomic_load(&c->calls);
                        return S_OK;
                }
                char who[64];
                WCHAR *w = NULL;
                snprintf(who, sizeof who, "uid %u pid %d", (unsigned)getuid(), (int)getpid());
                if (dcom_utf8_to_utf16(who, strlen(who), &w, NULL) < 0)
                        return E_OUTOFMEMORY;
                V_VT(result) = VT_BSTR;
                V_BSTR(result) = SysAllocString(w);
                free(w);
                return V_BSTR(result) ? S_OK : E_OUTOFMEMORY;
        }
        default:
                if (excep) {
                        memset(excep, 0, sizeof *excep);
                }
                return DISP_E_MEMBERNOTFOUND;
        }
}

static const IDispatchVtbl counter_vtbl = {
        counter_QueryInterface, counter_AddRef,      counter_Release,
        counter_GetTypeInfoCount, counter_GetTypeInfo, counter_GetIDsOfNames,
        counter_Invoke,
};

/* --- the class factory -------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE cf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

/* The factory is static: it lives as long as the process. */
static ULONG STDMETHODCALLTYPE cf_AddRef(IClassFactory *iface) {
        return 2;
}

static ULONG STDMETHODCALLTYPE cf_Release(IClassFactory *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                                   void **ppv) {
        struct counter *c;
        HRESULT hr;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        if (!(c = calloc(1, sizeof *c)))
                return E_OUTOFMEMORY;
        c->IDispatch_iface.lpVtbl = &counter_vtbl;
        c->refs = 1;
        CoAddRefServerProcess();        /* released with the object */
        atomic_store(&created, true);
        hr = IDispatch_QueryInterface(&c->IDispatch_iface, riid, ppv);
        IDispatch_Release(&c->IDispatch_iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cf_LockServer(IClassFactory *iface, BOOL lock) {
        if (lock)
                CoAddRefServerProcess();
        else if (CoReleaseServerProcess() == 0)
                request_exit();
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = {
        cf_QueryInterface, cf_AddRef, cf_Release, cf_CreateInstance, cf_LockServer,
};
static IClassFactory factory = { &cf_vtbl };

/* --- registration ------------------------------------------------------------------------------ */

static LSTATUS set_sz(const WCHAR *key, const WCHAR *name, const WCHAR *value) {
        return RegSetKeyValueW(HKEY_CLASSES_ROOT, key, name, REG_SZ, value,
                               (DWORD)((dcom_utf16_len(value) + 1) * sizeof(WCHAR)));
}

static int reg_server(bool add) {
        WCHAR clsid[39], appid[39], key[128];
        WCHAR *path = NULL;
        char *self = realpath("/proc/self/exe", NULL);
        LSTATUS st = ERROR_SUCCESS;

        StringFromGUID2(&CLSID_Counter, clsid, 39);
        StringFromGUID2(&APPID_Counter, appid, 39);
        if (!add) {
                memcpy(key, u"CLSID\\", 6 * sizeof(WCHAR));
                memcpy(key + 6, clsid, sizeof clsid);
                RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
                memcpy(key, u"AppID\\", 6 * sizeof(WCHAR));
                memcpy(key + 6, appid, sizeof appid);
                RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
                RegDeleteTreeW(HKEY_CLASSES_ROOT, u"AppID\\counter-server");
                RegDeleteTreeW(HKEY_CLASSES_ROOT, u"OpenDCOM.Counter");
                free(self);
                printf("counter-server: unregistered\n");
                return 0;
        }
        if (!self || dcom_utf8_to_utf16(self, strlen(self), &path, NULL) < 0) {
                fprintf(stderr, "counter-server: cannot find its own path\n");
                free(self);
                return 1;
        }
        memcpy(key, u"CLSID\\", 6 * sizeof(WCHAR));
        memcpy(key + 6, clsid, sizeof clsid);
        st = st ? st : set_sz(key, NULL, u"OpenDCOM Counter");
        st = st ? st : set_sz(key, u"AppID", appid);
        memcpy(key + 6 + 38, u"\\LocalServer32", 15 * sizeof(WCHAR));
        st = st ? st : set_sz(key, NULL, path);
        memcpy(key + 6 + 38, u"\\ProgID", 8 * sizeof(WCHAR));
        st = st ? st : set_sz(key, NULL, u"OpenDCOM.Counter");
        st = st ? st : set_sz(u"OpenDCOM.Counter\\CLSID", NULL, clsid);
        memcpy(key, u"AppID\\", 6 * sizeof(WCHAR));
        memcpy(key + 6, appid, sizeof appid);
        st = st ? st : set_sz(key, NULL, u"OpenDCOM Counter");
        /* KB Q246054: the executable's name leads a server process to its AppID */
        st = st ? st : set_sz(u"AppID\\counter-server", u"AppID", appid);
        free(path);
        if (st != ERROR_SUCCESS) {
                fprintf(stderr, "counter-server: cannot register: error %ld\n", (long)st);
                free(self);
                return 1;
        }
        printf("counter-server: registered %s\n", self);
        free(self);
        return 0;
}

/* --- main --------------------------------------------------------------------------------------- */

static void on_signal(int sig) {
        (void)sig;
        exit_now = true;        /* the wait below polls it */
}

int main(int argc, char **argv) {
        bool embedding = false;
        DWORD cookie;
        HRESULT hr;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (*a == '-' || *a == '/')
                        a++;
                if (strcasecmp(a, "RegServer") == 0)
                        return reg_server(true);
                if (strcasecmp(a, "UnregServer") == 0)
                        return reg_server(false);
                if (strcasecmp(a, "Embedding") == 0) {
                        embedding = true;
                        continue;
                }
                if (strcmp(a, "-help") == 0 || strcmp(a, "h") == 0) {
                        printf("Usage: counter-server [-RegServer | -UnregServer | -Embedding]\n");
                        return 0;
                }
                fprintf(stderr, "counter-server: unknown argument '%s'\n", argv[i]);
                return 2;
        }
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
        if (FAILED(hr)) {
                fprintf(stderr, "counter-server: CoInitializeEx: 0x%08x\n", (unsigned)hr);
                return 1;
        }
        hr = CoRegisterClassObject(&CLSID_Counter, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER,
                                   REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED, &cookie);
        if (SUCCEEDED(hr))
                hr = CoResumeClassObjects();
        if (FAILED(hr)) {
                fprintf(stderr, "counter-server: CoRegisterClassObject: 0x%08x\n", (unsigned)hr);
                CoUninitialize();
                return 1;
        }
        /* objects keep the process (CoAddRefServerProcess each); started by COM and never
           used, it goes after a minute */
        pthread_mutex_lock(&exit_lock);
        for (int idle = 0; !exit_now; idle++) {
                struct timespec t;
                clock_gettime(CLOCK_REALTIME, &t);
                t.tv_sec += 1;
                pthread_cond_timedwait(&exit_cond, &exit_lock, &t);
                if (embedding && idle >= IDLE_EXIT_S && !atomic_load(&created))
                        break;
        }
        pthread_mutex_unlock(&exit_lock);
        CoRevokeClassObject(cookie);
        CoUninitialize();
        return 0;
}
