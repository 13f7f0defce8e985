/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * In-process activation: CoGetClassObject, CoCreateInstance(Ex) for CLSCTX_INPROC_SERVER
 * (and class objects registered in this process), and the cache of loaded components.
 *
 *      HKCR\CLSID\{clsid}\InprocServer32      (default) = path of the .so
 *                                             ThreadingModel = Apartment | Free | Both |
 *                                                              Neutral | (absent)
 *
 * The library is dlopen()ed once and asked DllGetClassObject; CoFreeUnusedLibraries
 * unloads those whose DllCanUnloadNow says S_OK.  ThreadingModel decides where the
 * object lives ([COM] "In-process server threading issues"): absent = the main STA,
 * Apartment = any STA, Free = the MTA, Both/Neutral = wherever the caller is.  When
 * the caller's apartment does not fit, Windows creates the object elsewhere and hands
 * back a proxy; until remoting exists there is no proxy to give, and the call fails as
 * Windows fails when an interface cannot be marshaled: E_NOINTERFACE (logged on the
 * "com" debug channel with the reason).  Every failure names the key or file at fault on
 * that channel (DCOM_DEBUG=com).
 */
#include <dlfcn.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "com/com-internal.h"
#include "com/remote-internal.h"
#include "com/helpers/helpers-internal.h"
#include "registry/registry-internal.h"

static LOG_CHANNEL(com);

/* --- the library cache --------------------------------------------------------------- */

struct com_library {
        struct com_library *next;
        char *path;
        void *handle;
        LPFNGETCLASSOBJECT get_class_object;
        LPFNCANUNLOADNOW can_unload_now;
        unsigned busy;          /* calls into it in progress (libs_lock) */
        bool unloading;         /* asked DllCanUnloadNow right now: not handed out */
        uint64_t idle_since_ms; /* when DllCanUnloadNow first said S_OK in a row; 0: not */
};

/*
 * libs_lock guards the list only: no code of a component -- its constructors (dlopen),
 * DllGetClassObject, DllCanUnloadNow, its destructors (dlclose) -- runs under it, since
 * that code may call back into COM.
 */
static pthread_mutex_t libs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct com_library *libs;

static struct com_library *find_library_locked(const char *path) {
        for (struct com_library *l = libs; l; l = l->next)
                if (!l->unloading && strcmp(l->path, path) == 0)
                        return l;
        return NULL;
}

/* The loaded library of path, loading it if needed, held busy until library_done(). */
static HRESULT library_get(const char *path, struct com_library **ret) {
        struct com_library *l;

        pthread_mutex_lock(&libs_lock);
        if ((l = find_library_locked(path)))
                l->busy++;
        pthread_mutex_unlock(&libs_lock);
        if (l) {
                *ret = l;
                return S_OK;
        }
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                log_debug(com, "InprocServer32 %s: %s", path, dlerror());
                return CO_E_DLLNOTFOUND;
        }
        void *sym = dlsym(h, "DllGetClassObject");
        if (!sym) {
                log_debug(com, "InprocServer32 %s has no DllGetClassObject", path);
                dlclose(h);
                return CO_E_ERRORINDLL;
        }
        l = dcom_calloc(1, sizeof *l);
        if (!l || !(l->path = dcom_strdup(path))) {
                dcom_free(l);
                dlclose(h);
                return E_OUTOFMEMORY;
        }
        l->handle = h;
        memcpy(&l->get_class_object, &sym, sizeof sym);
        sym = dlsym(h, "DllCanUnloadNow");
        memcpy(&l->can_unload_now, &sym, sizeof sym);
        l->busy = 1;

        pthread_mutex_lock(&libs_lock);
        struct com_library *other = find_library_locked(path);
        if (other) {                    /* another thread loaded it meanwhile */
                other->busy++;
        } else {
                l->next = libs;
                libs = l;
        }
        pthread_mutex_unlock(&libs_lock);
        if (other) {
                dlclose(h);             /* drops only our reference: it stays loaded */
                dcom_free(l->path);
                dcom_free(l);
                l = other;
        } else {
                log_debug(com, "loaded %s", path);
        }
        *ret = l;
        return S_OK;
}

static void library_done(struct com_library *l) {
        pthread_mutex_lock(&libs_lock);
        l->busy--;
        pthread_mutex_unlock(&libs_lock);
}

/*
 * Unloads the components whose DllCanUnloadNow has said S_OK for delay_ms (asked at
 * each call; an S_FALSE starts the wait over) and that no activation is using.  A
 * component without DllCanUnloadNow is never unloaded, as on Windows.  INFINITE is the
 * default delay: none in an STA, whose objects are released on its own thread, ten
 * minutes in the MTA, where another thread may still be returning from a component's
 * last Release when DllCanUnloadNow already says S_OK (combaseapi.h; Wine does the
 * same).  A delay of 0 unloads at once: the caller vouches that nothing is running in it.
 */
#define MTA_UNLOAD_DELAY_MS (10u * 60 * 1000)

void WINAPI CoFreeUnusedLibrariesEx(DWORD delay_ms, DWORD reserved) {
        struct com_library *cand[64];
        unsigned n = 0;

        (void)reserved;
        if (delay_ms == INFINITE) {
                APTTYPE t;
                APTTYPEQUALIFIER q;
                bool sta = SUCCEEDED(CoGetApartmentType(&t, &q)) && t != APTTYPE_MTA;
                delay_ms = sta ? 0 : MTA_UNLOAD_DELAY_MS;
        }
        pthread_mutex_lock(&libs_lock);
        for (struct com_library *l = libs; l && n < 64; l = l->next)
                if (!l->unloading && !l->busy && l->can_unload_now) {
                        l->unloading = true;
                        cand[n++] = l;
                }
        pthread_mutex_unlock(&libs_lock);

        for (unsigned i = 0; i < n; i++) {
                struct com_library *l = cand[i];
                bool gone = false;
                HRESULT hr = l->can_unload_now();       /* no lock: it may call COM */
                uint64_t now = dcom_monotonic_ms();

                pthread_mutex_lock(&libs_lock);
                if (hr == S_OK && !l->busy) {
                        if (!l->idle_since_ms)
                                l->idle_since_ms = now ? now : 1;
                        if (now - l->idle_since_ms >= delay_ms) {
                                for (struct com_library **pp = &libs; *pp; pp = &(*pp)->next)
                                        if (*pp == l) {
                                                *pp = l->next;
                                                gone = true;
                                                break;
                                        }
                        }
                } else {
                        l->idle_since_ms = 0;
                }
                if (!gone)
                        l->unloading = false;
                pthread_mutex_unlock(&libs_lock);
                if (gone) {
                        log_debug(com, "unloading %s", l->path);
                        dlclose(l->handle);
                        dcom_free(l->path);
                        dcom_free(l);
                }
        }
}

void WINAPI CoFreeUnusedLibraries(void) {
        CoFreeUnusedLibrariesEx(INFINITE, 0);
}

/* --- the registry --------------------------------------------------------------------- */

static void widen(const char *s, WCHAR *buf) {
        while ((*buf++ = (WCHAR)(unsigned char)*s++))
                ;
}

/*
 * A string value of HKCR\CLSID\{clsid}\sub as UTF-8 (dcom_malloc'd); RRF_RT_REG_SZ also
 * takes REG_EXPAND_SZ, expanded (winreg.h: asking for RRF_RT_REG_EXPAND_SZ needs
 * RRF_NOEXPAND).
 */
static LSTATUS read_value(const CLSID *clsid, const char *sub, const char *value, char **ret) {
        WCHAR key[COM_CLSID_PATH_CHARS], wsub[64], wval[64], path[COM_CLSID_PATH_CHARS + 64];
        WCHAR *data = NULL;
        DWORD size = 0;
        LSTATUS st;

        com_clsid_path(clsid, key);
        widen(sub, wsub);
        size_t k = dcom_utf16_len(key);
        memcpy(path, key, k * sizeof *key);
        path[k] = '\\';
        memcpy(path + k + 1, wsub, (dcom_utf16_len(wsub) + 1) * sizeof *wsub);
        if (value)
                widen(value, wval);
        st = RegGetValueW(HKEY_CLASSES_ROOT, path, value ? wval : NULL,
                          RRF_RT_REG_SZ, NULL, NULL, &size);
        if (st != ERROR_SUCCESS)
                return st;
        data = dcom_malloc(size + 2);
        if (!data)
                return ERROR_NOT_ENOUGH_MEMORY;
        st = RegGetValueW(HKEY_CLASSES_ROOT, path, value ? wval : NULL,
                          RRF_RT_REG_SZ, NULL, data, &size);
        if (st == ERROR_SUCCESS && dcom_utf16_to_utf8(data, dcom_utf16_len(data), ret, NULL) < 0)
                st = ERROR_INVALID_DATA;
        dcom_free(data);
        return st;
}

static bool clsid_registered(const CLSID *clsid) {
        WCHAR key[COM_CLSID_PATH_CHARS];
        HKEY h;

        com_clsid_path(clsid, key);
        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &h) != ERROR_SUCCESS)
                return false;
        RegCloseKey(h);
        return true;
}

enum model { MODEL_MAIN_STA, MODEL_APARTMENT, MODEL_FREE, MODEL_BOTH, MODEL_BAD };

static enum model parse_model(const char *s) {
        if (!s)
                return MODEL_MAIN_STA;
        if (strcasecmp(s, "Apartment") == 0)
                return MODEL_APARTMENT;
        if (strcasecmp(s, "Free") == 0)
                return MODEL_FREE;
        if (strcasecmp(s, "Both") == 0 || strcasecmp(s, "Neutral") == 0)
                return MODEL_BOTH;
        return MODEL_BAD;
}

/* Whether an object of this model may live in the caller's apartment. */
static bool model_fits(enum model m, APTTYPE caller) {
        switch (m) {
        case MODEL_MAIN_STA:
                return caller == APTTYPE_MAINSTA;
        case MODEL_APARTMENT:
                return caller == APTTYPE_STA || caller == APTTYPE_MAINSTA;
        case MODEL_FREE:
                return caller == APTTYPE_MTA;
        case MODEL_BOTH:
                return true;
        default:
                return false;
        }
}

/*
 * HKCR\CLSID\{clsid}\InprocServer32's path and model, from the registry; failures are
 * logged (naming the key) and not cached, so every failing call says why.
 */
static HRESULT read_inproc(const CLSID *clsid, char **ret_path, enum model *ret_model) {
        char *path = NULL, *model_s = NULL;
        char id[DCOM_GUID_STRING_REG];
        LSTATUS st;

        dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id);
        st = read_value(clsid, "InprocServer32", NULL, &path);
        if (st != ERROR_SUCCESS) {
                log_debug(com, "HKCR\\CLSID\\%s\\InprocServer32: %s", id,
                          clsid_registered(clsid) ? "no such key or no path" : "class not registered");
                return st == ERROR_NOT_ENOUGH_MEMORY ? E_OUTOFMEMORY : REGDB_E_CLASSNOTREG;
        }
        st = read_value(clsid, "InprocServer32", "ThreadingModel", &model_s);
        enum model m = parse_model(st == ERROR_SUCCESS ? model_s : NULL);
        if (m == MODEL_BAD) {
                log_debug(com, "HKCR\\CLSID\\%s\\InprocServer32: ThreadingModel '%s' is not a model",
                          id, model_s);
                dcom_free(model_s);
                dcom_free(path);
                return REGDB_E_BADTHREADINGMODEL;
        }
        dcom_free(model_s);
        *ret_path = path;
        *ret_model = m;
        return S_OK;
}

/* --- the class cache --------------------------------------------------------------------- */

/*
 * What activation read from the registry for a class -- TreatAs, InprocServer32's path
 * and model -- kept while the registry stays the same:
 *  - this process's writes (hive_generation: commits, rollbacks, thread transactions)
 *    empty the cache at once, without a lock or a system call;
 *  - other processes' commits are seen by SQLite's data_version, which costs a read lock
 *    per hive, so that is asked at most every CACHE_RECHECK_MS: a registration changed
 *    elsewhere shows here within that time (a freshly started client always reads);
 *  - a value read while the cache changed (epoch) or the registry did (generation) is
 *    not kept: it may be older than what emptied the cache;
 *  - nothing is cached inside the caller's own registry transaction (uncommitted).
 * A warm CoCreateInstance then costs no registry lookup and no system call.
 */
#define CACHE_RECHECK_MS 50
#define CACHE_MAX 128

struct class_info {
        CLSID clsid;
        bool treat_known, has_treat;
        CLSID treat;
        bool inproc_known;
        enum model model;
        char *path;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cache_gen = UINT64_MAX; /* hive_generation() the entries are valid for */
static int64_t cache_dv[HIVE_MAX];      /* other processes' commits, as last seen */
static uint64_t cache_checked_ms;       /* when cache_dv was last asked */
static uint64_t cache_epoch;            /* bumped by every flush */
static struct class_info cache[CACHE_MAX];
static unsigned cache_n;

static void cache_flush_locked(void) {
        for (unsigned i = 0; i < cache_n; i++)
                dcom_free(cache[i].path);
        cache_n = 0;
        cache_epoch++;
}

static struct class_info *cache_find_locked(const CLSID *clsid) {
        for (unsigned i = 0; i < cache_n; i++)
                if (IsEqualCLSID(&cache[i].clsid, clsid))
                        return &cache[i];
        return NULL;
}

/* An entry to fill (created empty); the cache starts over when full. */
static struct class_info *cache_entry_locked(const CLSID *clsid) {
        struct class_info *e = cache_find_locked(clsid);
        if (e)
                return e;
        if (cache_n == CACHE_MAX)
                cache_flush_locked();
        e = &cache[cache_n++];
        *e = (struct class_info){ .clsid = *clsid };
        return e;
}

/*
 * Brings the cache up to date and takes cache_lock; *epoch gets the epoch a value read
 * from now on must still find when it is stored.  No registry lock is waited for under
 * cache_lock (a thread inside a registry transaction may be activating too).
 */
static void cache_lock_valid(uint64_t *epoch) {
        int64_t dv[HIVE_MAX];
        uint64_t ms = dcom_monotonic_ms();
        bool have_dv = false;

        pthread_mutex_lock(&cache_lock);
        bool ask = cache_n == 0 || ms - cache_checked_ms >= CACHE_RECHECK_MS;
        pthread_mutex_unlock(&cache_lock);
        if (ask)
                have_dv = hive_data_versions(dv);       /* try-lock: busy means later */
        uint64_t gen = hive_generation();

        pthread_mutex_lock(&cache_lock);
        if (have_dv) {
                cache_checked_ms = ms;
                if (memcmp(dv, cache_dv, sizeof dv) != 0) {
                        cache_flush_locked();
                        memcpy(cache_dv, dv, sizeof dv);
                }
        } else if (ask) {
                cache_flush_locked();   /* could not look: do not trust what is there */
        }
        if (gen != cache_gen) {
                cache_flush_locked();
                cache_gen = gen;
        }
        *epoch = cache_epoch;
}

/* Whether a value read since cache_lock_valid() may be kept (cache_lock held). */
static bool cache_may_store_locked(uint64_t epoch) {
        return epoch == cache_epoch && hive_generation() == cache_gen && !hive_thread_tx();
}

/* CoGetTreatAsClass through the cache: true with *treat when another class emulates it. */
static bool treat_as(const CLSID *clsid, CLSID *treat) {
        uint64_t epoch;
        bool known, has = false;

        cache_lock_valid(&epoch);
        struct class_info *e = cache_find_locked(clsid);
        known = e && e->treat_known;
        if (known) {
                has = e->has_treat;
                *treat = e->treat;
        }
        pthread_mutex_unlock(&cache_lock);
        if (known)
                return has;
        /* read outside the lock: the registry has its own, and may be slow */
        HRESULT hr = CoGetTreatAsClass(clsid, treat);
        has = hr == S_OK;
        if (hr == S_OK || hr == S_FALSE || hr == REGDB_E_CLASSNOTREG) {
                pthread_mutex_lock(&cache_lock);
                if (cache_may_store_locked(epoch)) {
                        e = cache_entry_locked(clsid);
                        e->treat_known = true;
                        e->has_treat = has;
                        e->treat = *treat;
                }
                pthread_mutex_unlock(&cache_lock);
        }
        return has;
}

/* read_inproc through the cache; path copied into buf. */
static HRESULT inproc_info(const CLSID *clsid, char *buf, size_t size, enum model *model) {
        char *path = NULL;
        uint64_t epoch;
        HRESULT hr;

        cache_lock_valid(&epoch);
        struct class_info *e = cache_find_locked(clsid);
        if (e && e->inproc_known && strlen(e->path) < size) {
                strcpy(buf, e->path);
                *model = e->model;
                pthread_mutex_unlock(&cache_lock);
                return S_OK;
        }
        pthread_mutex_unlock(&cache_lock);
        hr = read_inproc(clsid, &path, model);
        if (FAILED(hr))
                return hr;
        if (strlen(path) >= size) {
                log_debug(com, "InprocServer32 path too long: %s", path);
                dcom_free(path);
                return CO_E_DLLNOTFOUND;
        }
        strcpy(buf, path);
        pthread_mutex_lock(&cache_lock);
        if (cache_may_store_locked(epoch)) {
                e = cache_entry_locked(clsid);
                if (!e->inproc_known) {
                        e->inproc_known = true;
                        e->model = *model;
                        e->path = path;
                        path = NULL;
                }
        }
        pthread_mutex_unlock(&cache_lock);
        dcom_free(path);
        return S_OK;
}

/* --- objects of another apartment's model: made there, reached through a proxy ------------ */

/*
 * An object whose ThreadingModel does not fit the caller's apartment is created in one
 * that fits -- a host STA (Apartment, and no model: Windows would use the main STA)
 * or the MTA (Free; the object keeps the MTA alive) -- and the caller gets a proxy into it ([COM]: the apartment rules;
 * Windows does the same).  The class object the caller sees is a small local one
 * whose CreateInstance does that; an interface without a registered proxy/stub
 * cannot cross and gives E_NOINTERFACE, as on Windows.
 */
struct xapt_job {
        const CLSID *clsid;
        const char *path;
        const IID *riid;
        IStream *stm;
        HRESULT hr;
        bool done;
        pthread_mutex_t m;
        pthread_cond_t c;
};

static void xapt_make(void *ctx) {
        struct xapt_job *j = ctx;
        struct com_library *lib;
        IClassFactory *cf = NULL;
        IUnknown *obj = NULL;
        HRESULT hr = library_get(j->path, &lib);

        if (SUCCEEDED(hr)) {
                hr = lib->get_class_object(j->clsid, &IID_IClassFactory, (void **)&cf);
                if (SUCCEEDED(hr)) {
                        hr = cf->lpVtbl->CreateInstance(cf, NULL, j->riid, (void **)&obj);
                        cf->lpVtbl->Release(cf);
                }
                if (SUCCEEDED(hr)) {
                        hr = CoMarshalInterface(j->stm, j->riid, obj, MSHCTX_INPROC, NULL,
                                                MSHLFLAGS_NORMAL);
                        if (hr == REGDB_E_IIDNOTREG)
                                hr = E_NOINTERFACE;     /* no proxy for it: it cannot cross */
                        obj->lpVtbl->Release(obj);
                }
                library_done(lib);
        }
        pthread_mutex_lock(&j->m);
        j->hr = hr;
        j->done = true;
        pthread_cond_signal(&j->c);
        pthread_mutex_unlock(&j->m);
}

/* The host STA: a thread of the library's that serves the objects made there, forever. */
static pthread_once_t host_sta_once = PTHREAD_ONCE_INIT;
static struct com_apartment *host_sta;
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t host_ready = PTHREAD_COND_INITIALIZER;

static void *host_sta_main(void *arg) {
        HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
        DWORD idx;

        (void)arg;
        CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
        pthread_mutex_lock(&host_lock);
        host_sta = com_apartment_get();
        pthread_cond_broadcast(&host_ready);
        pthread_mutex_unlock(&host_lock);
        for (;;)
                CoWaitForMultipleHandles(0, INFINITE, 1, &never, &idx);
        return NULL;
}

static void start_host(void *(*fn)(void *)) {
        pthread_t t;

        /* the host lives on: it must not inherit an impersonated caller's identity */
        bool paused = com_impersonation_pause();
        if (pthread_create(&t, NULL, fn, NULL) == 0)
                pthread_detach(t);
        com_impersonation_resume(paused);
}

static void start_host_sta(void) {
        start_host(host_sta_main);
}

static void *mta_job_main(void *arg) {
        CoInitializeEx(NULL, COINIT_MULTITHREADED);
        xapt_make(arg);
        CoUninitialize();
        return NULL;
}

static HRESULT create_elsewhere(const CLSID *clsid, const char *path, enum model m, REFIID riid,
                                void **ppv) {
        struct xapt_job j = { .clsid = clsid, .path = path, .riid = riid };
        LARGE_INTEGER zero = { 0 };
        pthread_t t;
        HRESULT hr;
        int r = 0;

        if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &j.stm)))
                return hr;
        /* riid's proxy/stub library is looked up here, where a registry transaction of the
           caller's does not hold the lookup up (psfactory.c) */
        com_ps_find(riid);
        pthread_mutex_init(&j.m, NULL);
        pthread_cond_init(&j.c, NULL);
        pthread_mutex_lock(&host_lock);
        if (m == MODEL_FREE) {
                /* a thread of the MTA makes it; the object keeps the MTA alive after it */
                pthread_mutex_unlock(&host_lock);
                bool paused = com_impersonation_pause();        /* made as the process */
                r = pthread_create(&t, NULL, mta_job_main, &j);
                com_impersonation_resume(paused);
                if (r == 0)
                        pthread_join(t, NULL);
        } else {
                pthread_once(&host_sta_once, start_host_sta);
                while (!host_sta)
                        pthread_cond_wait(&host_ready, &host_lock);
                pthread_mutex_unlock(&host_lock);
                r = com_apartment_post(host_sta, xapt_make, &j);
                if (r >= 0) {
                        pthread_mutex_lock(&j.m);
                        while (!j.done)
                                pthread_cond_wait(&j.c, &j.m);
                        pthread_mutex_unlock(&j.m);
                }
        }
        hr = r < 0 ? dcom_hresult_from_errno(r) : r > 0 ? E_OUTOFMEMORY : j.hr;
        if (SUCCEEDED(hr) && SUCCEEDED(hr = j.stm->lpVtbl->Seek(j.stm, zero, STREAM_SEEK_SET, NULL)))
                hr = CoUnmarshalInterface(j.stm, riid, ppv);
        j.stm->lpVtbl->Release(j.stm);
        pthread_cond_destroy(&j.c);
        pthread_mutex_destroy(&j.m);
        return hr;
}

/* The caller's class object for such a class. */
struct xapt_factory {
        IClassFactory IClassFactory_iface;
        atomic_uint refs;
        CLSID clsid;
        enum model model;
        char path[];
};

static struct xapt_factory *impl_from_IClassFactory(IClassFactory *iface) {
        return (struct xapt_factory *)iface;
}

static HRESULT STDMETHODCALLTYPE xf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                iface->lpVtbl->AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE xf_AddRef(IClassFactory *iface) {
        return atomic_fetch_add(&impl_from_IClassFactory(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE xf_Release(IClassFactory *iface) {
        struct xapt_factory *f = impl_from_IClassFactory(iface);
        ULONG r = atomic_fetch_sub(&f->refs, 1) - 1;

        if (!r)
                dcom_free(f);
        return r;
}

static HRESULT STDMETHODCALLTYPE xf_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                                   void **ppv) {
        struct xapt_factory *f = impl_from_IClassFactory(iface);

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;   /* an aggregate cannot span apartments */
        return create_elsewhere(&f->clsid, f->path, f->model, riid, ppv);
}

static HRESULT STDMETHODCALLTYPE xf_LockServer(IClassFactory *iface, BOOL lock) {
        return S_OK;
}

static const IClassFactoryVtbl xapt_factory_vtbl = {
        xf_QueryInterface, xf_AddRef, xf_Release, xf_CreateInstance, xf_LockServer,
};

static HRESULT xapt_class_object(const CLSID *clsid, const char *path, enum model m, REFIID riid,
                                 void **ppv) {
        size_t n = strlen(path) + 1;
        struct xapt_factory *f = dcom_malloc(sizeof *f + n);
        HRESULT hr;

        if (!f)
                return E_OUTOFMEMORY;
        f->IClassFactory_iface.lpVtbl = &xapt_factory_vtbl;
        atomic_init(&f->refs, 1);
        f->clsid = *clsid;
        f->model = m;
        memcpy(f->path, path, n);
        hr = xf_QueryInterface(&f->IClassFactory_iface, riid, ppv);
        xf_Release(&f->IClassFactory_iface);
        return hr;
}

static HRESULT inproc_class_object(const CLSID *clsid, REFIID riid, void **ppv) {
        char path[PATH_MAX];
        struct com_library *lib;
        enum model m;
        APTTYPE apt;
        APTTYPEQUALIFIER q;
        HRESULT hr;
        char id[DCOM_GUID_STRING_REG];

        hr = inproc_info(clsid, path, sizeof path, &m);
        if (FAILED(hr))
                return hr;
        hr = CoGetApartmentType(&apt, &q);
        if (FAILED(hr))
                return hr;
        dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id);
        if (!model_fits(m, apt)) {
                log_debug(com, "%s lives in %s: the caller gets a proxy into it", id,
                          m == MODEL_FREE ? "the MTA" : "the host STA");
                return xapt_class_object(clsid, path, m, riid, ppv);
        }
        hr = library_get(path, &lib);
        if (FAILED(hr))
                return hr;
        hr = lib->get_class_object(clsid, riid, ppv);
        library_done(lib);      /* what it handed out now keeps DllCanUnloadNow at S_FALSE */
        if (FAILED(hr))
                log_debug(com, "DllGetClassObject(%s): 0x%08x", id, (unsigned)hr);
        return hr;
}

/*
 * A class object straight from its InprocServer32 library, whatever the caller's apartment
 * (or none): proxy/stub libraries' factories, which COM uses from any thread, as Windows
 * does for them (they register ThreadingModel Both).
 */
HRESULT com_inproc_class_object_any(const CLSID *clsid, REFIID riid, void **ppv) {
        char path[PATH_MAX];
        struct com_library *lib;
        enum model m;
        HRESULT hr;

        *ppv = NULL;
        hr = inproc_info(clsid, path, sizeof path, &m);
        if (FAILED(hr))
                return hr;
        hr = library_get(path, &lib);
        if (FAILED(hr))
                return hr;
        hr = lib->get_class_object(clsid, riid, ppv);
        library_done(lib);
        if (FAILED(hr)) {
                char id[DCOM_GUID_STRING_REG];
                dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id);
                log_debug(com, "DllGetClassObject(%s) of %s: 0x%08x", id, path, (unsigned)hr);
        }
        return hr;
}

/* --- the API ------------------------------------------------------------------------------ */

/* The class object from this process: its class table, built-in classes, in-process servers. */
static HRESULT local_class_object(REFCLSID rclsid, DWORD clsctx, REFIID riid, void **ppv) {
        HRESULT hr;

        /* class objects this process registered come first */
        hr = com_class_table_get(rclsid, clsctx, riid, ppv);
        if (hr != REGDB_E_CLASSNOTREG)
                return hr;
        /* the library's own classes (the Global Interface Table, the standard marshaler) */
        if ((clsctx & CLSCTX_INPROC_SERVER) &&
            (hr = com_builtin_class_object(rclsid, riid, ppv)) != REGDB_E_CLASSNOTREG)
                return hr;
        if (clsctx & CLSCTX_INPROC_SERVER)
                return inproc_class_object(rclsid, riid, ppv);
        return REGDB_E_CLASSNOTREG;
}

/* Another host named, and allowed: activation goes there without looking here. */
static bool names_host(const COSERVERINFO *server, DWORD clsctx) {
        return server && server->pwszName && server->pwszName[0] && (clsctx & CLSCTX_REMOTE_SERVER);
}

HRESULT WINAPI CoGetClassObject(REFCLSID rclsid, DWORD clsctx, COSERVERINFO *server, REFIID riid,
                                void **ppv) {
        APTTYPE apt;
        APTTYPEQUALIFIER q;
        CLSID treat;
        HRESULT hr = REGDB_E_CLASSNOTREG;

        /* E_INVALIDARG before anything else, NULL ppv included (Wine's conformance tests) */
        if (!ppv || !rclsid || !riid)
                return E_INVALIDARG;
        *ppv = NULL;
        hr = CoGetApartmentType(&apt, &q);
        if (FAILED(hr))
                return hr;      /* CO_E_NOTINITIALIZED */
        /* HKCR\CLSID\{clsid}\TreatAs: another class emulates this one, whoever serves it */
        if (treat_as(rclsid, &treat))
                rclsid = &treat;
        hr = REGDB_E_CLASSNOTREG;       /* another host named: nothing is looked up here */
        if (!names_host(server, clsctx))
                hr = local_class_object(rclsid, clsctx, riid, ppv);
        if (hr == REGDB_E_CLASSNOTREG && (clsctx & (CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER))) {
                MULTI_QI qi = { riid, NULL, S_OK };
                hr = com_scm_activate(rclsid, clsctx, server, true, 1, &qi);
                if (SUCCEEDED(hr))
                        *ppv = qi.pItf;
                else if (hr == CO_S_NOTALLINTERFACES)
                        hr = qi.hr;
        }
        return hr;
}

HRESULT WINAPI CoCreateInstance(REFCLSID rclsid, IUnknown *outer, DWORD clsctx, REFIID riid,
                                void **ppv) {
        MULTI_QI qi = { riid, NULL, S_OK };
        HRESULT hr;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (!riid)
                return E_INVALIDARG;
        hr = CoCreateInstanceEx(rclsid, outer, clsctx, NULL, 1, &qi);
        if (SUCCEEDED(hr))
                *ppv = qi.pItf;
        return hr == CO_S_NOTALLINTERFACES ? qi.hr : hr;
}

HRESULT WINAPI CoCreateInstanceEx(REFCLSID rclsid, IUnknown *outer, DWORD clsctx,
                                  COSERVERINFO *server, DWORD count, MULTI_QI *results) {
        IClassFactory *cf = NULL;
        IUnknown *unk = NULL;
        HRESULT hr;
        DWORD got = 0;

        if (!results || count == 0)
                return E_INVALIDARG;
        for (DWORD i = 0; i < count; i++) {
                if (!results[i].pIID)
                        return E_INVALIDARG;
                results[i].pItf = NULL;
                results[i].hr = E_NOINTERFACE;
        }
        /* aggregation: the outer object asks for the inner's IUnknown only */
        if (outer && (count != 1 || !IsEqualIID(results[0].pIID, &IID_IUnknown)))
                return CLASS_E_NOAGGREGATION;
        hr = REGDB_E_CLASSNOTREG;
        if (!names_host(server, clsctx)) {
                APTTYPE apt;
                APTTYPEQUALIFIER q;
                CLSID treat;
                hr = CoGetApartmentType(&apt, &q);
                if (FAILED(hr))
                        return hr;
                if (treat_as(rclsid, &treat))
                        rclsid = &treat;
                hr = local_class_object(rclsid, clsctx, &IID_IClassFactory, (void **)&cf);
        }
        /* a local server or another host: one round trip to rpcss makes the object */
        if (hr == REGDB_E_CLASSNOTREG && (clsctx & (CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER))) {
                if (outer)
                        return CLASS_E_NOAGGREGATION;
                return com_scm_activate(rclsid, clsctx, server, false, count, results);
        }
        if (FAILED(hr))
                return hr;
        hr = cf->lpVtbl->CreateInstance(cf, outer, results[0].pIID, (void **)&unk);
        cf->lpVtbl->Release(cf);
        if (FAILED(hr)) {
                results[0].hr = hr;
                return hr;
        }
        results[0].pItf = unk;
        results[0].hr = S_OK;
        got = 1;
        for (DWORD i = 1; i < count; i++) {
                results[i].hr = unk->lpVtbl->QueryInterface(unk, results[i].pIID,
                                                            (void **)&results[i].pItf);
                if (SUCCEEDED(results[i].hr))
                        got++;
        }
        if (got == count)
                return S_OK;
        return got ? CO_S_NOTALLINTERFACES : E_NOINTERFACE;
}
