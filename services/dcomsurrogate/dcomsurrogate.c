/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomsurrogate, the default surrogate host (Windows' dllhost): the process dcomlaunch
 * starts for a class that has only an InprocServer32 and whose AppID carries DllSurrogate
 * (empty: this program).  It loads the component and serves its class object out of
 * process, so that any in-process component is reachable from other processes and hosts.
 *
 *      dcomsurrogate -Embedding {CLSID}
 *
 * Windows' dllhost is given /Processid:{AppID}; we are given the CLSID, since that is
 * what is activated.  The class object comes from CoGetClassObject(CLSCTX_INPROC_SERVER)
 * in the MTA (a component whose ThreadingModel wants an STA gets the library's host STA
 * behind it, as any MTA caller would), and is registered with CoRegisterClassObject
 * (CLSCTX_LOCAL_SERVER, REGCLS_MULTI_SEPARATE | REGCLS_SURROGATE) through a small class
 * factory of our own that holds no reference to the component's between activations.
 * MULTI_SEPARATE, not MULTIPLEUSE: every activation shares this process all the same,
 * but a MULTIPLEUSE local registration also serves CLSCTX_INPROC_SERVER lookups in this
 * process, so our own CoGetClassObject would get our factory back instead of the
 * component's.
 *
 * The process ends when the component is done: after the first activation (or
 * LockServer), once no lock is held and CoFreeUnusedLibrariesEx has unloaded the
 * component (its DllCanUnloadNow said S_OK for UNLOAD_DELAY_MS), or after IDLE_MS with no
 * activation at all.  A component without DllCanUnloadNow is never unloaded, so its
 * surrogate stays, as dllhost does.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>
#include <dcom/utf16.h>
#include <dcom/winreg.h>

#include "base/log.h"
#include "base/version.h"

#define POLL_MS 200
#define UNLOAD_DELAY_MS 1000
#define IDLE_MS (60u * 1000)

static CLSID clsid;
static char clsid_s[40], lib_path[PATH_MAX];

/* lock serializes activations with the unload check: no CreateInstance runs while the
   main thread unloads the component and decides to stop */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool activated, stopping;
static atomic_int server_locks;

/* One line per failure in dcomlaunch's log (our stderr is its): log_service, LOG_ERR. */
#define say(...) log_service(LOG_ERR, __VA_ARGS__)

/* ---- the class factory registered for the component ------------------------------------ */

static HRESULT STDMETHODCALLTYPE sf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

/* static: the process lives as long as the registration */
static ULONG STDMETHODCALLTYPE sf_AddRef(IClassFactory *iface) {
        return 2;
}

static ULONG STDMETHODCALLTYPE sf_Release(IClassFactory *iface) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE sf_CreateInstance(IClassFactory *iface, IUnknown *outer,
                                                   REFIID riid, void **ppv) {
        IClassFactory *cf = NULL;
        HRESULT hr;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;  /* no aggregation across processes */
        pthread_mutex_lock(&lock);
        if (stopping) {
                pthread_mutex_unlock(&lock);
                return CO_E_SERVER_STOPPING;
        }
        activated = true;
        hr = CoGetClassObject(&clsid, CLSCTX_INPROC_SERVER, NULL, &IID_IClassFactory, (void **)&cf);
        if (SUCCEEDED(hr)) {
                hr = IClassFactory_CreateInstance(cf, NULL, riid, ppv);
                IClassFactory_Release(cf);
        }
        pthread_mutex_unlock(&lock);
        if (FAILED(hr))
                say("%s: CreateInstance: 0x%08x", clsid_s, (unsigned)hr);
        return hr;
}

static HRESULT STDMETHODCALLTYPE sf_LockServer(IClassFactory *iface, BOOL lock_it) {
        pthread_mutex_lock(&lock);
        activated = true;
        pthread_mutex_unlock(&lock);
        atomic_fetch_add(&server_locks, lock_it ? 1 : -1);
        return S_OK;
}

static const IClassFactoryVtbl sf_vtbl = {
        sf_QueryInterface, sf_AddRef, sf_Release, sf_CreateInstance, sf_LockServer,
};
static IClassFactory surrogate_factory = { &sf_vtbl };

/* ---- main -------------------------------------------------------------------------------- */

/* Whether the component's library is still loaded in this process. */
static bool component_loaded(void) {
        void *h = dlopen(lib_path, RTLD_LAZY | RTLD_NOLOAD);

        if (!h)
                return false;
        dlclose(h);
        return true;
}

static bool read_inproc_path(void) {
        WCHAR key[64], data[PATH_MAX];
        DWORD size = sizeof data - sizeof(WCHAR);
        char *u8 = NULL;

        for (size_t i = 0; i < 6; i++)
                key[i] = (WCHAR)"CLSID\\"[i];
        StringFromGUID2(&clsid, key + 6, 39);
        memcpy(key + 6 + 38, u"\\InprocServer32", 16 * sizeof(WCHAR));
        if (RegGetValueW(HKEY_CLASSES_ROOT, key, NULL, RRF_RT_REG_SZ, NULL, data, &size) !=
            ERROR_SUCCESS)
                return false;
        data[size / sizeof(WCHAR)] = 0;
        if (dcom_utf16_to_utf8(data, dcom_utf16_len(data), &u8, NULL) < 0)
                return false;
        snprintf(lib_path, sizeof lib_path, "%s", u8);
        free(u8);
        return lib_path[0] != 0;
}

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(FILE *f) {
        fputs("Usage: dcomsurrogate -Embedding {CLSID}\n"
              "The default DCOM surrogate host: serves the in-process component (InprocServer32)\n"
              "of a class to other processes and hosts.  dcomlaunch starts it for a class\n"
              "whose AppID has an empty DllSurrogate value; it is not run by hand.\n"
              "It ends when the component has no object left, or after a minute unused.\n\n"
              "  --help      show this help\n"
              "  --version   show the version\n\n"
              "Example (as dcomlaunch runs it):\n"
              "  dcomsurrogate -Embedding {C0FFEE00-1234-4321-8765-0123456789AB}\n\n"
              "Exit status: 0 the component was served and unloaded, 1 it could not be\n"
              "loaded or registered (the message says why), 2 bad command line.\n"
              "Details: dcomsurrogate(8).\n", f);
}

int main(int argc, char **argv) {
        const char *id = NULL;
        bool embedding = false;
        IClassFactory *cf = NULL;
        DWORD cookie = 0;
        HRESULT hr;
        int rc = 1;

        log_service_init("dcomsurrogate", true);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else if (strcmp(argv[i], "--version") == 0) {
                        printf("dcomsurrogate (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return 0;
                } else if (strcasecmp(argv[i], "-Embedding") == 0 ||
                           strcasecmp(argv[i], "/Embedding") == 0) {
                        embedding = true;
                } else if (!id && argv[i][0] == '{') {
                        id = argv[i];
                } else {
                        fprintf(stderr, "dcomsurrogate: unexpected argument '%s' (try --help)\n",
                                argv[i]);
                        return 2;
                }
        }
        if (!embedding || !id) {
                fprintf(stderr, "dcomsurrogate: %s is missing (usage: dcomsurrogate -Embedding "
                        "{CLSID}; try --help)\n", !embedding ? "-Embedding" : "the {CLSID}");
                return 2;
        }
        WCHAR wid[40];
        size_t n = strlen(id);
        for (size_t i = 0; i < n && i < 39; i++)
                wid[i] = (WCHAR)(unsigned char)id[i];
        wid[n < 39 ? n : 39] = 0;
        if (n != 38 || FAILED(CLSIDFromString(wid, &clsid))) {
                say("'%.60s' is not a CLSID", id);
                return 2;
        }
        snprintf(clsid_s, sizeof clsid_s, "%s", id);
        if (!read_inproc_path()) {
                say("%s: no InprocServer32 to host", clsid_s);
                return 1;
        }

        hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
        if (FAILED(hr)) {
                say("%s: CoInitializeEx: 0x%08x", clsid_s, (unsigned)hr);
                return 1;
        }
        /* the component loads and hands out its class object, or nothing is registered */
        hr = CoGetClassObject(&clsid, CLSCTX_INPROC_SERVER, NULL, &IID_IClassFactory, (void **)&cf);
        if (FAILED(hr)) {
                say("%s: cannot load its component %s: 0x%08x", clsid_s, lib_path, (unsigned)hr);
                goto out;
        }
        IClassFactory_Release(cf);
        hr = CoRegisterClassObject(&clsid, (IUnknown *)&surrogate_factory, CLSCTX_LOCAL_SERVER,
                                   REGCLS_MULTI_SEPARATE | REGCLS_SURROGATE, &cookie);
        if (FAILED(hr)) {
                say("%s: CoRegisterClassObject: 0x%08x", clsid_s, (unsigned)hr);
                goto out;
        }

        uint64_t start = now_ms();
        for (;;) {
                usleep(POLL_MS * 1000);
                pthread_mutex_lock(&lock);
                if (!activated) {
                        stopping = now_ms() - start >= IDLE_MS;
                } else if (atomic_load(&server_locks) <= 0) {
                        CoFreeUnusedLibrariesEx(UNLOAD_DELAY_MS, 0);
                        stopping = !component_loaded();
                }
                pthread_mutex_unlock(&lock);
                if (stopping)
                        break;
        }
        CoRevokeClassObject(cookie);
        rc = 0;
out:
        CoUninitialize();
        return rc;
}
