/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The calculator: an in-process COM component written as on Windows -- <objbase.h>,
 * COBJMACROS, a class factory, DllGetClassObject / DllCanUnloadNow /
 * DllRegisterServer / DllUnregisterServer -- built as calc.so.  The object implements
 * ICalc and ICalcInfo and can be aggregated (its IUnknown is then the outer object's,
 * and the outer one holds the inner, non-delegating IUnknown).
 *
 *      regsvr calc.so          registers it (HKCR\CLSID\{...}, ProgID OpenDCOM.Calculator)
 *      calc-client             creates one and calls it
 */
#define COBJMACROS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* dladdr */
#endif
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>
#include <dcom/utf16.h>

#include "calc.h"

static atomic_long live_objects;        /* Calculator objects alive */
static atomic_long server_locks;        /* IClassFactory::LockServer */

struct calc {
        ICalc ICalc_iface;
        ICalcInfo ICalcInfo_iface;
        IUnknown IUnknown_inner;        /* the non-delegating IUnknown */
        IUnknown *outer;                /* the controlling IUnknown: ours or the aggregator's */
        atomic_long refs;
        LONG total;
};

static struct calc *from_inner(IUnknown *iface) {
        return (struct calc *)((char *)iface - offsetof(struct calc, IUnknown_inner));
}
static struct calc *from_calc(ICalc *iface) {
        return (struct calc *)((char *)iface - offsetof(struct calc, ICalc_iface));
}
static struct calc *from_info(ICalcInfo *iface) {
        return (struct calc *)((char *)iface - offsetof(struct calc, ICalcInfo_iface));
}

/* --- the non-delegating IUnknown: identity and lifetime -------------------------------- */

static HRESULT STDMETHODCALLTYPE inner_QueryInterface(IUnknown *iface, REFIID riid, void **ppv) {
        struct calc *c = from_inner(iface);

        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown))
                *ppv = &c->IUnknown_inner;
        else if (IsEqualIID(riid, &IID_ICalc))
                *ppv = &c->ICalc_iface;
        else if (IsEqualIID(riid, &IID_ICalcInfo))
                *ppv = &c->ICalcInfo_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        IUnknown_AddRef((IUnknown *)*ppv);
        return S_OK;
}

static ULONG STDMETHODCALLTYPE inner_AddRef(IUnknown *iface) {
        return (ULONG)atomic_fetch_add(&from_inner(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE inner_Release(IUnknown *iface) {
        struct calc *c = from_inner(iface);
        ULONG refs = (ULONG)atomic_fetch_sub(&c->refs, 1) - 1;

        if (refs == 0) {
                free(c);
                atomic_fetch_sub(&live_objects, 1);
        }
        return refs;
}

static const IUnknownVtbl inner_vtbl = {
        inner_QueryInterface, inner_AddRef, inner_Release,
};

/* --- ICalc ------------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE calc_QueryInterface(ICalc *iface, REFIID riid, void **ppv) {
        return IUnknown_QueryInterface(from_calc(iface)->outer, riid, ppv);
}
static ULONG STDMETHODCALLTYPE calc_AddRef(ICalc *iface) {
        return IUnknown_AddRef(from_calc(iface)->outer);
}
static ULONG STDMETHODCALLTYPE calc_Release(ICalc *iface) {
        return IUnknown_Release(from_calc(iface)->outer);
}

static HRESULT STDMETHODCALLTYPE calc_Add(ICalc *iface, LONG a, LONG b, LONG *sum) {
        (void)iface;
        if (!sum)
                return E_POINTER;
        *sum = (LONG)((uint32_t)a + (uint32_t)b);       /* wraps, as 32-bit Windows code does */
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE calc_Divide(ICalc *iface, LONG a, LONG b, LONG *quotient) {
        (void)iface;
        if (!quotient)
                return E_POINTER;
        if (b == 0)
                return DISP_E_DIVBYZERO;
        if (a == INT32_MIN && b == -1)
                return DISP_E_OVERFLOW;
        *quotient = a / b;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE calc_Accumulate(ICalc *iface, LONG value, LONG *total) {
        struct calc *c = from_calc(iface);
        if (!total)
                return E_POINTER;
        c->total = (LONG)((uint32_t)c->total + (uint32_t)value);
        *total = c->total;
        return S_OK;
}

static const ICalcVtbl calc_vtbl = {
        calc_QueryInterface, calc_AddRef, calc_Release,
        calc_Add, calc_Divide, calc_Accumulate,
};

/* --- ICalcInfo --------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE info_QueryInterface(ICalcInfo *iface, REFIID riid, void **ppv) {
        return IUnknown_QueryInterface(from_info(iface)->outer, riid, ppv);
}
static ULONG STDMETHODCALLTYPE info_AddRef(ICalcInfo *iface) {
        return IUnknown_AddRef(from_info(iface)->outer);
}
static ULONG STDMETHODCALLTYPE info_Release(ICalcInfo *iface) {
        return IUnknown_Release(from_info(iface)->outer);
}

static HRESULT STDMETHODCALLTYPE info_GetName(ICalcInfo *iface, LPOLESTR *name) {
        static const OLECHAR text[] = u"OpenDCOM Calculator";
        (void)iface;
        if (!name)
                return E_POINTER;
        *name = CoTaskMemAlloc(sizeof text);
        if (!*name)
                return E_OUTOFMEMORY;
        memcpy(*name, text, sizeof text);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE info_GetLiveObjects(ICalcInfo *iface, ULONG *count) {
        (void)iface;
        if (!count)
                return E_POINTER;
        *count = (ULONG)atomic_load(&live_objects);
        return S_OK;
}

static const ICalcInfoVtbl info_vtbl = {
        info_QueryInterface, info_AddRef, info_Release,
        info_GetName, info_GetLiveObjects,
};

/* --- the class factory ------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE cf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                IClassFactory_AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

/* The factory is static; its references lock the server, as the COM rules advise. */
static ULONG STDMETHODCALLTYPE cf_AddRef(IClassFactory *iface) {
        (void)iface;
        return (ULONG)atomic_fetch_add(&server_locks, 1) + 1;
}
static ULONG STDMETHODCALLTYPE cf_Release(IClassFactory *iface) {
        (void)iface;
        return (ULONG)atomic_fetch_sub(&server_locks, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE cf_CreateInstance(IClassFactory *iface, IUnknown *outer,
                                                   REFIID riid, void **ppv) {
        struct calc *c;
        HRESULT hr;

        (void)iface;
        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        /* an aggregator must ask for the inner object's IUnknown */
        if (outer && !IsEqualIID(riid, &IID_IUnknown))
                return CLASS_E_NOAGGREGATION;
        c = calloc(1, sizeof *c);
        if (!c)
                return E_OUTOFMEMORY;
        c->ICalc_iface.lpVtbl = &calc_vtbl;
        c->ICalcInfo_iface.lpVtbl = &info_vtbl;
        c->IUnknown_inner.lpVtbl = &inner_vtbl;
        c->outer = outer ? outer : &c->IUnknown_inner;
        atomic_init(&c->refs, 1);
        atomic_fetch_add(&live_objects, 1);
        hr = IUnknown_QueryInterface(&c->IUnknown_inner, riid, ppv);
        IUnknown_Release(&c->IUnknown_inner);  /* the QI's reference is the caller's */
        return hr;
}

static HRESULT STDMETHODCALLTYPE cf_LockServer(IClassFactory *iface, BOOL lock) {
        (void)iface;
        if (lock)
                atomic_fetch_add(&server_locks, 1);
        else
                atomic_fetch_sub(&server_locks, 1);
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = {
        cf_QueryInterface, cf_AddRef, cf_Release, cf_CreateInstance, cf_LockServer,
};

static IClassFactory calc_factory = { &cf_vtbl };

/* --- the exports -------------------------------------------------------------------------- */

STDAPI DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv);
STDAPI DllCanUnloadNow(void);
STDAPI DllRegisterServer(void);
STDAPI DllUnregisterServer(void);

__attribute__((visibility("default")))
STDAPI DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (!IsEqualCLSID(rclsid, &CLSID_Calculator))
                return CLASS_E_CLASSNOTAVAILABLE;
        return IClassFactory_QueryInterface(&calc_factory, riid, ppv);
}

__attribute__((visibility("default")))
STDAPI DllCanUnloadNow(void) {
        return atomic_load(&live_objects) == 0 && atomic_load(&server_locks) == 0 ? S_OK : S_FALSE;
}

#define PROGID u"OpenDCOM.Calculator.1"
#define VI_PROGID u"OpenDCOM.Calculator"

static LSTATUS set_sz(const WCHAR *key, const WCHAR *name, const WCHAR *value) {
        return RegSetKeyValueW(HKEY_CLASSES_ROOT, key, name, REG_SZ, value,
                               (DWORD)((dcom_utf16_len(value) + 1) * sizeof(WCHAR)));
}

/* "CLSID\{...}" + suffix */
static void clsid_key(WCHAR *buf, const WCHAR *suffix) {
        memcpy(buf, u"CLSID\\", 6 * sizeof(WCHAR));
        StringFromGUID2(&CLSID_Calculator, buf + 6, 39);
        memcpy(buf + 6 + 38, suffix, (dcom_utf16_len(suffix) + 1) * sizeof(WCHAR));
}

__attribute__((visibility("default")))
STDAPI DllRegisterServer(void) {
        WCHAR key[128], clsid[39];
        WCHAR *path = NULL;
        Dl_info info;
        LSTATUS st = ERROR_SUCCESS;

        /* our own file, absolute: what GetModuleFileNameW(hinstance) gives on Windows */
        char *file = NULL;
        if (!dladdr((void *)&live_objects, &info) || !info.dli_fname ||
            !(file = realpath(info.dli_fname, NULL)) ||
            dcom_utf8_to_utf16(file, strlen(file), &path, NULL) < 0) {
                free(file);
                return SELFREG_E_CLASS;
        }
        free(file);
        StringFromGUID2(&CLSID_Calculator, clsid, 39);

        clsid_key(key, u"");
        st = st ? st : set_sz(key, NULL, u"OpenDCOM Calculator");
        clsid_key(key, u"\\InprocServer32");
        st = st ? st : set_sz(key, NULL, path);
        st = st ? st : set_sz(key, u"ThreadingModel", u"Both");
        clsid_key(key, u"\\ProgID");
        st = st ? st : set_sz(key, NULL, PROGID);
        clsid_key(key, u"\\VersionIndependentProgID");
        st = st ? st : set_sz(key, NULL, VI_PROGID);
        st = st ? st : set_sz(PROGID, NULL, u"OpenDCOM Calculator");
        st = st ? st : set_sz(PROGID u"\\CLSID", NULL, clsid);
        st = st ? st : set_sz(VI_PROGID, NULL, u"OpenDCOM Calculator");
        st = st ? st : set_sz(VI_PROGID u"\\CLSID", NULL, clsid);
        st = st ? st : set_sz(VI_PROGID u"\\CurVer", NULL, PROGID);
        free(path);
        return st == ERROR_SUCCESS ? S_OK : SELFREG_E_CLASS;
}

__attribute__((visibility("default")))
STDAPI DllUnregisterServer(void) {
        WCHAR key[128];
        LSTATUS st;
        HRESULT hr = S_OK;

        clsid_key(key, u"");
        /* what is already gone is not an error */
        st = RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
                hr = SELFREG_E_CLASS;
        st = RegDeleteTreeW(HKEY_CLASSES_ROOT, PROGID);
        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
                hr = SELFREG_E_CLASS;
        st = RegDeleteTreeW(HKEY_CLASSES_ROOT, VI_PROGID);
        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
                hr = SELFREG_E_CLASS;
        return hr;
}
