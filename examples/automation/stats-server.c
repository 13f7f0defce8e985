/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An Automation server written as on Windows: a dual interface (IStats, stats.idl)
 * described by a type library, served from a local server (LocalServer32).  The object
 * implements IStats' methods; its IDispatch is the type library's -- GetIDsOfNames and
 * Invoke go to DispGetIDsOfNames and DispInvoke with the interface's ITypeInfo, which
 * resolve names, coerce arguments (VariantChangeType), fill in [optional] ones and call
 * the vtable.  So a late-bound client (stats-client, a script, impacket) and an early-
 * bound one call the same code.
 *
 *      stats-server -RegServer     registers the class, its AppID and the type library
 *                                  (RegisterTypeLib: HKCR\TypeLib, and HKCR\Interface's
 *                                  keys naming the type-library marshaler)
 *      stats-server -UnregServer   removes them
 *      stats-server -Embedding     what rpcss (dcomlaunch) starts it with
 *
 * The type library is stats.tlb beside the executable.
 */
#define COBJMACROS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* realpath, strcasecmp under -std=c11 */
#endif
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <dcom/utf16.h>
#include <objbase.h>
#include <oleauto.h>

#include "stats.h"

#define MAX_VALUES 100000       /* a client cannot make the object grow without bound */
#define IDLE_EXIT_S 60

static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exit_cond = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t exit_now;
static atomic_bool created;
static ITypeInfo *stats_typeinfo;       /* IStats' dispatch view, from the registered library */

static void request_exit(void) {
        pthread_mutex_lock(&exit_lock);
        exit_now = true;
        pthread_cond_signal(&exit_cond);
        pthread_mutex_unlock(&exit_lock);
}

/* --- the object --------------------------------------------------------------------------- */

struct stats {
        IStats IStats_iface;
        atomic_ulong refs;
        pthread_mutex_t lock;   /* calls come from several threads (MTA) */
        BSTR name;
        double *values;
        LONG count, capacity;
};

static struct stats *impl(IStats *iface) {
        return (struct stats *)((char *)iface - offsetof(struct stats, IStats_iface));
}

static HRESULT STDMETHODCALLTYPE stats_QueryInterface(IStats *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) ||
            IsEqualIID(riid, &IID_IStats)) {
                *ppv = iface;
                IStats_AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE stats_AddRef(IStats *iface) {
        return (ULONG)atomic_fetch_add(&impl(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE stats_Release(IStats *iface) {
        struct stats *s = impl(iface);
        ULONG n = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;

        if (n == 0) {
                SysFreeString(s->name);
                free(s->values);
                pthread_mutex_destroy(&s->lock);
                free(s);
                if (CoReleaseServerProcess() == 0)
                        request_exit();
        }
        return n;
}

/* IDispatch: the type library's. */
static HRESULT STDMETHODCALLTYPE stats_GetTypeInfoCount(IStats *iface, UINT *n) {
        if (!n)
                return E_POINTER;
        *n = 1;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stats_GetTypeInfo(IStats *iface, UINT index, LCID lcid,
                                                   ITypeInfo **ti) {
        if (!ti)
                return E_POINTER;
        *ti = NULL;
        if (index != 0)
                return DISP_E_BADINDEX;
        ITypeInfo_AddRef(stats_typeinfo);
        *ti = stats_typeinfo;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stats_GetIDsOfNames(IStats *iface, REFIID riid, LPOLESTR *names,
                                                     UINT n, LCID lcid, DISPID *ids) {
        if (!IsEqualIID(riid, &IID_NULL))
                return DISP_E_UNKNOWNINTERFACE;
        return DispGetIDsOfNames(stats_typeinfo, names, n, ids);
}

static HRESULT STDMETHODCALLTYPE stats_Invoke(IStats *iface, DISPID id, REFIID riid, LCID lcid,
                                              WORD flags, DISPPARAMS *params, VARIANT *result,
                                              EXCEPINFO *excep, UINT *arg_err) {
        if (!IsEqualIID(riid, &IID_NULL))
                return DISP_E_UNKNOWNINTERFACE;
        return DispInvoke(iface, stats_typeinfo, id, flags, params, result, excep, arg_err);
}

/* IStats */
static HRESULT STDMETHODCALLTYPE stats_get_Name(IStats *iface, BSTR *name) {
        struct stats *s = impl(iface);

        if (!name)
                return E_POINTER;
        pthread_mutex_lock(&s->lock);
        *name = SysAllocStringLen(s->name, SysStringLen(s->name));
        pthread_mutex_unlock(&s->lock);
        return *name ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE stats_put_Name(IStats *iface, BSTR name) {
        struct stats *s = impl(iface);
        BSTR copy = SysAllocStringLen(name, SysStringLen(name));

        if (!copy)
                return E_OUTOFMEMORY;
        pthread_mutex_lock(&s->lock);
        SysFreeString(s->name);
        s->name = copy;
        pthread_mutex_unlock(&s->lock);
        return S_OK;
}

static HRESULT add_one(struct stats *s, double v) {
        if (!isfinite(v))
                return DISP_E_OVERFLOW;
        if (s->count == MAX_VALUES)
                return E_OUTOFMEMORY;
        if (s->count == s->capacity) {
                LONG cap = s->capacity ? 2 * s->capacity : 16;
                double *p = realloc(s->values, (size_t)cap * sizeof *p);
                if (!p)
                        return E_OUTOFMEMORY;
                s->values = p;
                s->capacity = cap;
        }
        s->values[s->count++] = v;
        return S_OK;
}

/* One value: anything VariantChangeType turns into a double (numbers, "2.5", TRUE). */
static HRESULT add_variant(struct stats *s, VARIANT *v) {
        VARIANT d;
        HRESULT hr;

        VariantInit(&d);
        if (FAILED(hr = VariantChangeType(&d, v, 0, VT_R8)))
                return hr;
        return add_one(s, V_R8(&d));
}

/* An array of them, of any element type SafeArrayGetElement can give as a VARIANT. */
static HRESULT add_array(struct stats *s, SAFEARRAY *sa, VARTYPE vt) {
        LONG lo, hi;
        HRESULT hr;

        if (!sa || SafeArrayGetDim(sa) != 1)
                return DISP_E_TYPEMISMATCH;
        if (FAILED(hr = SafeArrayGetLBound(sa, 1, &lo)) || FAILED(hr = SafeArrayGetUBound(sa, 1, &hi)))
                return hr;
        for (LONG i = lo; i <= hi; i++) {
                VARIANT e;
                VariantInit(&e);
                if (vt == VT_VARIANT) {
                        hr = SafeArrayGetElement(sa, &i, &e);
                } else if (vt == VT_BSTR) {
                        V_VT(&e) = VT_BSTR;
                        hr = SafeArrayGetElement(sa, &i, &V_BSTR(&e));
                } else {
                        /* a numeric element: its bytes in the VARIANT's union */
                        V_VT(&e) = vt;
                        hr = SafeArrayGetElement(sa, &i, &V_I8(&e));
                }
                if (SUCCEEDED(hr))
                        hr = add_variant(s, &e);
                VariantClear(&e);
                if (FAILED(hr))
                        return hr;
        }
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stats_Add(IStats *iface, VARIANT value, LONG *count) {
        struct stats *s = impl(iface);
        VARIANT *v = &value;
        HRESULT hr;

        if (!count)
                return E_POINTER;
        while (V_VT(v) == (VT_VARIANT | VT_BYREF))
                v = V_VARIANTREF(v);
        pthread_mutex_lock(&s->lock);
        LONG before = s->count;
        if (V_VT(v) & VT_ARRAY) {
                SAFEARRAY *sa = V_VT(v) & VT_BYREF ? *V_ARRAYREF(v) : V_ARRAY(v);
                hr = add_array(s, sa, V_VT(v) & VT_TYPEMASK);
        } else {
                hr = add_variant(s, v);
        }
        if (FAILED(hr))
                s->count = before;      /* all or nothing */
        *count = s->count;
        pthread_mutex_unlock(&s->lock);
        return hr;
}

static HRESULT STDMETHODCALLTYPE stats_get_Count(IStats *iface, LONG *count) {
        struct stats *s = impl(iface);

        if (!count)
                return E_POINTER;
        pthread_mutex_lock(&s->lock);
        *count = s->count;
        pthread_mutex_unlock(&s->lock);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stats_get_Mean(IStats *iface, double *mean) {
        struct stats *s = impl(iface);
        double sum = 0;
        HRESULT hr = S_OK;

        if (!mean)
                return E_POINTER;
        pthread_mutex_lock(&s->lock);
        for (LONG i = 0; i < s->count; i++)
                sum += s->values[i];
        if (s->count)
                *mean = sum / s->count;
        else
                hr = DISP_E_DIVBYZERO;
        pthread_mutex_unlock(&s->lock);
        return hr;
}

static HRESULT STDMETHODCALLTYPE stats_Values(IStats *iface, SAFEARRAY **values) {
        struct stats *s = impl(iface);
        SAFEARRAY *sa;
        double *data;

        if (!values)
                return E_POINTER;
        *values = NULL;
        pthread_mutex_lock(&s->lock);
        sa = SafeArrayCreateVector(VT_R8, 0, (ULONG)s->count);
        if (sa && SUCCEEDED(SafeArrayAccessData(sa, (void **)&data))) {
                if (s->count)
                        memcpy(data, s->values, (size_t)s->count * sizeof *data);
                SafeArrayUnaccessData(sa);
        }
        pthread_mutex_unlock(&s->lock);
        if (!sa)
                return E_OUTOFMEMORY;
        *values = sa;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE stats_Describe(IStats *iface, VARIANT prefix, BSTR *text) {
        struct stats *s = impl(iface);
        char line[256], *name = NULL, *pre = NULL;
        VARIANT p;
        double sum = 0;
        WCHAR *w = NULL;

        if (!text)
                return E_POINTER;
        *text = NULL;
        VariantInit(&p);
        /* an [optional] VARIANT left out arrives as VT_ERROR DISP_E_PARAMNOTFOUND */
        if (!(V_VT(&prefix) == VT_ERROR && V_ERROR(&prefix) == DISP_E_PARAMNOTFOUND)) {
                HRESULT hr = VariantChangeType(&p, &prefix, 0, VT_BSTR);
                if (FAILED(hr))
                        return hr;
                dcom_utf16_to_utf8(V_BSTR(&p), SysStringLen(V_BSTR(&p)), &pre, NULL);
        }
        pthread_mutex_lock(&s->lock);
        dcom_utf16_to_utf8(s->name, SysStringLen(s->name), &name, NULL);
        for (LONG i = 0; i < s->count; i++)
                sum += s->values[i];
        if (s->count)
                snprintf(line, sizeof line, "%s%s%s: %d values, mean %g", pre ? pre : "",
                         pre ? " " : "", name ? name : "", (int)s->count, sum / s->count);
        else
                snprintf(line, sizeof line, "%s%s%s: empty", pre ? pre : "", pre ? " " : "",
                         name ? name : "");
        pthread_mutex_unlock(&s->lock);
        free(name);
        free(pre);
        VariantClear(&p);
        if (dcom_utf8_to_utf16(line, strlen(line), &w, NULL) < 0)
                return E_OUTOFMEMORY;
        *text = SysAllocString(w);
        free(w);
        return *text ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE stats_Clear(IStats *iface) {
        struct stats *s = impl(iface);

        pthread_mutex_lock(&s->lock);
        s->count = 0;
        pthread_mutex_unlock(&s->lock);
        return S_OK;
}

static const IStatsVtbl stats_vtbl = {
        stats_QueryInterface, stats_AddRef, stats_Release,
        stats_GetTypeInfoCount, stats_GetTypeInfo, stats_GetIDsOfNames, stats_Invoke,
        stats_get_Name, stats_put_Name, stats_Add, stats_get_Count, stats_get_Mean,
        stats_Values, stats_Describe, stats_Clear,
};

/* --- the class factory -------------------------------------------------------------------- */

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
        struct stats *s;
        HRESULT hr;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        if (!(s = calloc(1, sizeof *s)))
                return E_OUTOFMEMORY;
        s->IStats_iface.lpVtbl = &stats_vtbl;
        atomic_init(&s->refs, 1);
        pthread_mutex_init(&s->lock, NULL);
        if (!(s->name = SysAllocString(u"stats"))) {
                free(s);
                return E_OUTOFMEMORY;
        }
        CoAddRefServerProcess();        /* released with the object */
        atomic_store(&created, true);
        hr = IStats_QueryInterface(&s->IStats_iface, riid, ppv);
        IStats_Release(&s->IStats_iface);
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

/* --- registration ------------------------------------------------------------------------- */

static LSTATUS set_sz(const WCHAR *key, const WCHAR *name, const WCHAR *value) {
        return RegSetKeyValueW(HKEY_CLASSES_ROOT, key, name, REG_SZ, value,
                               (DWORD)((dcom_utf16_len(value) + 1) * sizeof(WCHAR)));
}

/* "CLSID\{...}" + tail */
static void guid_key(WCHAR *key, size_t size, const WCHAR *root, const GUID *g, const WCHAR *tail) {
        WCHAR s[39];
        size_t n = 0;

        StringFromGUID2(g, s, 39);
        for (const WCHAR *p = root; *p && n + 1 < size; p++)
                key[n++] = *p;
        for (const WCHAR *p = s; *p && n + 1 < size; p++)
                key[n++] = *p;
        for (const WCHAR *p = tail; *p && n + 1 < size; p++)
                key[n++] = *p;
        key[n] = 0;
}

static int reg_server(bool add) {
        WCHAR key[160], clsid[39], appid[39];
        WCHAR *exe16 = NULL, *tlb16 = NULL;
        char *self = realpath("/proc/self/exe", NULL), *tlb = NULL;
        ITypeLib *tl = NULL;
        LSTATUS st = ERROR_SUCCESS;
        HRESULT hr;

        StringFromGUID2(&CLSID_Stats, clsid, 39);
        StringFromGUID2(&APPID_Stats, appid, 39);
        if (!add) {
                guid_key(key, 160, u"CLSID\\", &CLSID_Stats, u"");
                RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
                guid_key(key, 160, u"AppID\\", &APPID_Stats, u"");
                RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
                RegDeleteTreeW(HKEY_CLASSES_ROOT, u"AppID\\stats-server");
                RegDeleteTreeW(HKEY_CLASSES_ROOT, u"OpenDCOM.Stats");
                hr = UnRegisterTypeLib(&LIBID_StatsLib, 1, 0, LOCALE_NEUTRAL, SYS_WIN64);
                printf("stats-server: unregistered (type library: 0x%08x)\n", (unsigned)hr);
                free(self);
                return 0;
        }
        char *dir = self ? strdup(self) : NULL;
        if (!dir || asprintf(&tlb, "%s/stats.tlb", dirname(dir)) < 0)
                tlb = NULL;
        free(dir);
        if (!tlb || dcom_utf8_to_utf16(self, strlen(self), &exe16, NULL) < 0 ||
            dcom_utf8_to_utf16(tlb, strlen(tlb), &tlb16, NULL) < 0) {
                fprintf(stderr, "stats-server: cannot find its own path\n");
                st = 1;
                goto out;
        }
        /* the type library first: the class is useless without it */
        hr = LoadTypeLibEx(tlb16, REGKIND_REGISTER, &tl);
        if (FAILED(hr)) {
                fprintf(stderr, "stats-server: cannot register %s: 0x%08x\n", tlb, (unsigned)hr);
                st = 1;
                goto out;
        }
        ITypeLib_Release(tl);
        guid_key(key, 160, u"CLSID\\", &CLSID_Stats, u"");
        st = st ? st : set_sz(key, NULL, u"OpenDCOM Stats");
        st = st ? st : set_sz(key, u"AppID", appid);
        guid_key(key, 160, u"CLSID\\", &CLSID_Stats, u"\\LocalServer32");
        st = st ? st : set_sz(key, NULL, exe16);
        guid_key(key, 160, u"CLSID\\", &CLSID_Stats, u"\\ProgID");
        st = st ? st : set_sz(key, NULL, u"OpenDCOM.Stats");
        guid_key(key, 160, u"CLSID\\", &CLSID_Stats, u"\\TypeLib");
        WCHAR libid[39];
        StringFromGUID2(&LIBID_StatsLib, libid, 39);
        st = st ? st : set_sz(key, NULL, libid);
        st = st ? st : set_sz(u"OpenDCOM.Stats\\CLSID", NULL, clsid);
        guid_key(key, 160, u"AppID\\", &APPID_Stats, u"");
        st = st ? st : set_sz(key, NULL, u"OpenDCOM Stats");
        /* KB Q246054: the executable's name leads a server process to its AppID */
        st = st ? st : set_sz(u"AppID\\stats-server", u"AppID", appid);
        if (st != ERROR_SUCCESS)
                fprintf(stderr, "stats-server: cannot register: error %ld\n", (long)st);
        else
                printf("stats-server: registered %s and %s\n", self, tlb);
out:
        free(exe16);
        free(tlb16);
        free(tlb);
        free(self);
        return st != ERROR_SUCCESS;
}

/* --- main --------------------------------------------------------------------------------- */

static void on_signal(int sig) {
        (void)sig;
        exit_now = true;        /* the wait below polls it */
}

int main(int argc, char **argv) {
        bool embedding = false;
        ITypeLib *tl = NULL;
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
                        printf("Usage: stats-server [-RegServer | -UnregServer | -Embedding]\n");
                        return 0;
                }
                fprintf(stderr, "stats-server: unknown argument '%s'\n", argv[i]);
                return 2;
        }
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
        if (FAILED(hr)) {
                fprintf(stderr, "stats-server: CoInitializeEx: 0x%08x\n", (unsigned)hr);
                return 1;
        }
        /* IStats' type information, from the library -RegServer registered */
        hr = LoadRegTypeLib(&LIBID_StatsLib, 1, 0, LOCALE_NEUTRAL, &tl);
        if (SUCCEEDED(hr)) {
                hr = ITypeLib_GetTypeInfoOfGuid(tl, &IID_IStats, &stats_typeinfo);
                ITypeLib_Release(tl);
        }
        if (FAILED(hr)) {
                fprintf(stderr, "stats-server: IStats' type library: 0x%08x (run -RegServer)\n",
                        (unsigned)hr);
                CoUninitialize();
                return 1;
        }
        hr = CoRegisterClassObject(&CLSID_Stats, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER,
                                   REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED, &cookie);
        if (SUCCEEDED(hr))
                hr = CoResumeClassObjects();
        if (FAILED(hr)) {
                fprintf(stderr, "stats-server: CoRegisterClassObject: 0x%08x\n", (unsigned)hr);
                ITypeInfo_Release(stats_typeinfo);
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
        ITypeInfo_Release(stats_typeinfo);
        CoUninitialize();
        return 0;
}
