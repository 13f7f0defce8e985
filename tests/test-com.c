/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM core through its public API, as Windows code uses it (<objbase.h>, COBJMACROS,
 * libdcom.so): initialization and apartment rules across threads, the modal wait,
 * in-process activation of the calculator example (examples/calc, calc.so) with the
 * QueryInterface / reference counting / aggregation rules, ThreadingModel rules, bad
 * registry entries and their codes and debug lines, library unloading, and the class
 * table.  Runs with DCOM_DEBUG=com (see tests/meson.build) so the lines naming the key
 * or file at fault can be checked.
 */
#define COBJMACROS
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include <objbase.h>
#include <dcom/utf16.h>

#include "calc.h"
#include "test.h"

/* --- helpers ------------------------------------------------------------------------------ */

/* The "com" debug channel on (unless the environment chose), before the library reads it. */
__attribute__((constructor)) static void debug_channel_on(void) {
        setenv("DCOM_DEBUG", "com", 0);
}

static const CLSID CLSID_Missing = { 0x6f1c3a52, 0x7d0e, 0x4c1b,
                                     { 0x9a, 0x57, 0x3f, 0x0d, 0x5e, 0x8b, 0x2c, 0x99 } };
static const CLSID CLSID_Emulated = { 0x6f1c3a52, 0x7d0e, 0x4c1b,
                                      { 0x9a, 0x57, 0x3f, 0x0d, 0x5e, 0x8b, 0x2c, 0x97 } };
static const CLSID CLSID_Other = { 0x6f1c3a52, 0x7d0e, 0x4c1b,
                                   { 0x9a, 0x57, 0x3f, 0x0d, 0x5e, 0x8b, 0x2c, 0x98 } };

static const char *calc_so(void) {
        static char path[4096];
        snprintf(path, sizeof path, "%s/examples/calc.so", test_build_dir());
        return path;
}

static void wstr(const char *s, WCHAR *out, size_t n) {
        size_t i;
        for (i = 0; s[i] && i + 1 < n; i++)
                out[i] = (WCHAR)(unsigned char)s[i];
        out[i] = 0;
}

/* HKCR\CLSID\{clsid}\InprocServer32 = path, ThreadingModel = model (NULL: none). */
static void register_inproc(const CLSID *clsid, const char *path, const char *model) {
        WCHAR key[128], val[4096], id[39];

        ASSERT_EQ(StringFromGUID2(clsid, id, 39), 39);
        memcpy(key, u"CLSID\\", 6 * sizeof(WCHAR));
        memcpy(key + 6, id, 38 * sizeof(WCHAR));
        memcpy(key + 44, u"\\InprocServer32", 16 * sizeof(WCHAR));
        RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
        wstr(path, val, 4096);
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, NULL, REG_SZ, val,
                                  (DWORD)((dcom_utf16_len(val) + 1) * 2)), ERROR_SUCCESS);
        if (model) {
                wstr(model, val, 4096);
                ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, u"ThreadingModel", REG_SZ, val,
                                          (DWORD)((dcom_utf16_len(val) + 1) * 2)), ERROR_SUCCESS);
        }
}

/* Collects what the library writes to stderr (the debug channel) during a call. */
struct capture {
        int saved;
        FILE *f;
};

static void capture_start(struct capture *c) {
        fflush(stderr);
        c->f = tmpfile();
        ASSERT_NOT_NULL(c->f);
        c->saved = dup(STDERR_FILENO);
        dup2(fileno(c->f), STDERR_FILENO);
}

static bool capture_end(struct capture *c, const char *needle) {
        static char buf[65536];
        fflush(stderr);
        dup2(c->saved, STDERR_FILENO);
        close(c->saved);
        rewind(c->f);
        size_t n = fread(buf, 1, sizeof buf - 1, c->f);
        buf[n] = 0;
        fclose(c->f);
        bool found = strstr(buf, needle) != NULL;
        if (!found)
                fprintf(stderr, "debug output lacks '%s':\n%s\n", needle, buf);
        return found;
}

static ULONG live_objects(ICalc *calc) {
        ICalcInfo *info;
        ULONG n = 0;
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_ICalcInfo, (void **)&info), S_OK);
        ASSERT_HR_EQ(ICalcInfo_GetLiveObjects(info, &n), S_OK);
        ICalcInfo_Release(info);
        return n;
}

static bool calc_loaded(void) {
        void *h = dlopen(calc_so(), RTLD_NOW | RTLD_NOLOAD);
        if (h)
                dlclose(h);
        return h != NULL;
}

typedef void *(*thread_fn)(void *);

static void run_thread(thread_fn fn, void *arg) {
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, fn, arg), 0);
        ASSERT_EQ(pthread_join(t, NULL), 0);
}

/* --- initialization and apartments ----------------------------------------------------------- */

TEST(uninitialized_calls) {
        APTTYPE t;
        APTTYPEQUALIFIER q;
        void *p = (void *)1;
        DWORD cookie;

        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), CO_E_NOTINITIALIZED);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc, &p),
                     CO_E_NOTINITIALIZED);
        ASSERT_NULL(p);
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Other, (IUnknown *)&p, CLSCTX_LOCAL_SERVER,
                                           REGCLS_MULTIPLEUSE, &cookie), CO_E_NOTINITIALIZED);
        CoUninitialize();       /* unbalanced: ignored */
        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), CO_E_NOTINITIALIZED);
}

TEST(init_modes) {
        APTTYPE t;
        APTTYPEQUALIFIER q;

        ASSERT_HR_EQ(CoInitializeEx((void *)1, COINIT_MULTITHREADED), E_INVALIDARG);
        ASSERT_HR_EQ(CoInitializeEx(NULL, 0x100), E_INVALIDARG);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED | COINIT_DISABLE_OLE1DDE), S_FALSE);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED), RPC_E_CHANGED_MODE);
        ASSERT_HR_EQ(CoInitialize(NULL), RPC_E_CHANGED_MODE);
        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), S_OK);
        ASSERT_EQ(t, APTTYPE_MTA);
        ASSERT_EQ(q, APTTYPEQUALIFIER_NONE);
        CoUninitialize();
        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), S_OK);        /* still once in */
        CoUninitialize();
        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), CO_E_NOTINITIALIZED);

        /* the failed calls did not count: one CoUninitialize leaves the STA */
        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), RPC_E_CHANGED_MODE);
        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), S_OK);
        ASSERT_EQ(t, APTTYPE_MAINSTA);
        CoUninitialize();
        ASSERT_HR_EQ(CoGetApartmentType(&t, &q), CO_E_NOTINITIALIZED);
}

struct apt_seen {
        DWORD coinit;           /* ~0: do not initialize */
        HRESULT hr;
        APTTYPE type;
        APTTYPEQUALIFIER qual;
};

static void *apt_thread(void *arg) {
        struct apt_seen *s = arg;
        if (s->coinit != ~(DWORD)0)
                CoInitializeEx(NULL, s->coinit);
        s->hr = CoGetApartmentType(&s->type, &s->qual);
        if (s->coinit != ~(DWORD)0)
                CoUninitialize();
        return NULL;
}

TEST(apartments_across_threads) {
        struct apt_seen s;

        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);         /* this thread: the main STA */

        s = (struct apt_seen){ .coinit = COINIT_APARTMENTTHREADED };
        run_thread(apt_thread, &s);
        ASSERT_HR_EQ(s.hr, S_OK);
        ASSERT_EQ(s.type, APTTYPE_STA);                 /* another STA, not the main one */

        s = (struct apt_seen){ .coinit = ~(DWORD)0 };
        run_thread(apt_thread, &s);
        ASSERT_HR_EQ(s.hr, CO_E_NOTINITIALIZED);        /* no MTA yet: no implicit MTA */

        s = (struct apt_seen){ .coinit = COINIT_MULTITHREADED };
        run_thread(apt_thread, &s);
        ASSERT_EQ(s.type, APTTYPE_MTA);
        ASSERT_EQ(s.qual, APTTYPEQUALIFIER_NONE);
        CoUninitialize();

        /* while an MTA exists, a thread that never initialized is in it implicitly */
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        s = (struct apt_seen){ .coinit = ~(DWORD)0 };
        run_thread(apt_thread, &s);
        ASSERT_HR_EQ(s.hr, S_OK);
        ASSERT_EQ(s.type, APTTYPE_MTA);
        ASSERT_EQ(s.qual, APTTYPEQUALIFIER_IMPLICIT_MTA);
        CoUninitialize();
        s = (struct apt_seen){ .coinit = ~(DWORD)0 };
        run_thread(apt_thread, &s);
        ASSERT_HR_EQ(s.hr, CO_E_NOTINITIALIZED);
}

static void *set_later(void *arg) {
        usleep(50 * 1000);      /* the behaviour under test: a wait that an event ends later */
        SetEvent(arg);
        return NULL;
}

TEST(wait_for_handles) {
        HANDLE ev[2];
        DWORD index = 99;
        pthread_t t;

        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);
        ev[0] = CreateEventW(NULL, FALSE, FALSE, NULL);
        ev[1] = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_NOT_NULL(ev[0]);
        ASSERT_NOT_NULL(ev[1]);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 20, 2, ev, &index), RPC_S_CALLPENDING);
        ASSERT_EQ(pthread_create(&t, NULL, set_later, ev[1]), 0);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 5000, 2, ev, &index), S_OK);
        ASSERT_EQ(index, 1);
        pthread_join(t, NULL);
        /* manual reset: still signaled until reset */
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 2, ev, &index), S_OK);
        ASSERT_TRUE(ResetEvent(ev[1]));
        /* auto reset: one wait consumes it */
        ASSERT_TRUE(SetEvent(ev[0]));
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 2, ev, &index), S_OK);
        ASSERT_EQ(index, 0);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 2, ev, &index), RPC_S_CALLPENDING);
        index = 5;
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 0, ev, &index), RPC_E_NO_SYNC);
        ASSERT_EQ(index, 0);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 1, ev, NULL), E_INVALIDARG);
        /* COWAIT_WAITALL: not while one is unsignaled; then both, the auto-reset one taken */
        ASSERT_TRUE(SetEvent(ev[1]));
        ASSERT_HR_EQ(CoWaitForMultipleHandles(COWAIT_WAITALL, 20, 2, ev, &index), RPC_S_CALLPENDING);
        ASSERT_EQ(pthread_create(&t, NULL, set_later, ev[0]), 0);
        index = 7;
        ASSERT_HR_EQ(CoWaitForMultipleHandles(COWAIT_WAITALL, 5000, 2, ev, &index), S_OK);
        ASSERT_EQ(index, 0);
        pthread_join(t, NULL);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 1, &ev[0], &index), RPC_S_CALLPENDING);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 0, 1, &ev[1], &index), S_OK);  /* manual: still */
        CloseHandle(ev[0]);
        CloseHandle(ev[1]);
        CoUninitialize();
}

/* --- in-process activation of the example ------------------------------------------------ */

TEST(register_and_create_by_progid) {
        HRESULT(STDAPICALLTYPE * reg)(void);
        CLSID clsid;
        ICalc *calc = NULL;
        LONG r;
        void *h = dlopen(calc_so(), RTLD_NOW);

        ASSERT_NOT_NULL(h);
        void *sym = dlsym(h, "DllRegisterServer");
        ASSERT_NOT_NULL(sym);
        memcpy(&reg, &sym, sizeof reg);
        ASSERT_HR_EQ(reg(), S_OK);                      /* what `regsvr calc.so` does */
        dlclose(h);

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CLSIDFromProgID(OLESTR("OpenDCOM.Calculator"), &clsid), S_OK);
        ASSERT_TRUE(IsEqualCLSID(&clsid, &CLSID_Calculator));
        ASSERT_HR_EQ(CoCreateInstance(&clsid, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_HR_EQ(ICalc_Add(calc, 40, 2, &r), S_OK);
        ASSERT_EQ(r, 42);
        ASSERT_HR_EQ(ICalc_Divide(calc, 7, 0, &r), DISP_E_DIVBYZERO);
        ASSERT_HR_EQ(ICalc_Divide(calc, -7, 2, &r), S_OK);
        ASSERT_EQ(r, -3);
        ASSERT_HR_EQ(ICalc_Accumulate(calc, 5, &r), S_OK);
        ASSERT_HR_EQ(ICalc_Accumulate(calc, -2, &r), S_OK);
        ASSERT_EQ(r, 3);
        ASSERT_EQ(ICalc_Release(calc), 0);
        CoUninitialize();
}

TEST(query_interface_rules) {
        ICalc *calc, *calc2;
        ICalcInfo *info;
        IUnknown *unk1, *unk2, *unk3;
        void *p = (void *)1;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_EQ(live_objects(calc), 1);
        /* reflexive */
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_ICalc, (void **)&calc2), S_OK);
        ASSERT_TRUE(calc2 == calc);
        ICalc_Release(calc2);
        /* symmetric and transitive: ICalc -> ICalcInfo -> ICalc */
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_ICalcInfo, (void **)&info), S_OK);
        ASSERT_HR_EQ(ICalcInfo_QueryInterface(info, &IID_ICalc, (void **)&calc2), S_OK);
        ASSERT_TRUE(calc2 == calc);
        ICalc_Release(calc2);
        /* identity: IUnknown is the same pointer from every interface */
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_IUnknown, (void **)&unk1), S_OK);
        ASSERT_HR_EQ(ICalcInfo_QueryInterface(info, &IID_IUnknown, (void **)&unk2), S_OK);
        ASSERT_HR_EQ(IUnknown_QueryInterface(unk1, &IID_IUnknown, (void **)&unk3), S_OK);
        ASSERT_TRUE(unk1 == unk2);
        ASSERT_TRUE(unk1 == unk3);
        ASSERT_TRUE((void *)unk1 != (void *)calc);
        IUnknown_Release(unk3);
        IUnknown_Release(unk2);
        IUnknown_Release(unk1);
        /* an interface it does not have: E_NOINTERFACE and a NULL out pointer */
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_IStream, &p), E_NOINTERFACE);
        ASSERT_NULL(p);
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_IClassFactory, &p), E_NOINTERFACE);
        /* reference counts: one per interface pointer handed out, the last one destroys */
        ASSERT_EQ(ICalc_AddRef(calc), 3);
        ASSERT_EQ(ICalc_Release(calc), 2);
        ASSERT_EQ(ICalcInfo_Release(info), 1);
        ASSERT_EQ(ICalc_Release(calc), 0);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_EQ(live_objects(calc), 1);                /* the first one is gone */
        ICalc_Release(calc);
        CoUninitialize();
}

/* An outer object aggregating the calculator: exposes ICalc as its own. */
struct outer {
        IUnknown IUnknown_iface;
        atomic_long refs;
        IUnknown *inner;
};

static struct outer *outer_from(IUnknown *iface) {
        return (struct outer *)iface;
}

static HRESULT STDMETHODCALLTYPE outer_QueryInterface(IUnknown *iface, REFIID riid, void **ppv) {
        struct outer *o = outer_from(iface);
        if (IsEqualIID(riid, &IID_IUnknown)) {
                *ppv = iface;
                IUnknown_AddRef(iface);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_ICalc))
                return IUnknown_QueryInterface(o->inner, riid, ppv);
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE outer_AddRef(IUnknown *iface) {
        return (ULONG)atomic_fetch_add(&outer_from(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE outer_Release(IUnknown *iface) {
        struct outer *o = outer_from(iface);
        ULONG n = (ULONG)atomic_fetch_sub(&o->refs, 1) - 1;
        if (n == 0 && o->inner) {
                atomic_store(&o->refs, 1);      /* guard, as the aggregation rules say */
                IUnknown_Release(o->inner);
                o->inner = NULL;
        }
        return n;
}

static const IUnknownVtbl outer_vtbl = { outer_QueryInterface, outer_AddRef, outer_Release };

TEST(aggregation) {
        struct outer o = { { &outer_vtbl }, 1, NULL };
        ICalc *calc;
        ICalcInfo *info;
        IUnknown *unk;
        void *p = (void *)1;
        LONG r;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        /* the outer object must ask for IUnknown */
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, &o.IUnknown_iface, CLSCTX_INPROC_SERVER,
                                      &IID_ICalc, &p), CLASS_E_NOAGGREGATION);
        ASSERT_NULL(p);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, &o.IUnknown_iface, CLSCTX_INPROC_SERVER,
                                      &IID_IUnknown, (void **)&o.inner), S_OK);
        ASSERT_EQ(atomic_load(&o.refs), 1);            /* the inner object holds no reference */

        ASSERT_HR_EQ(IUnknown_QueryInterface(&o.IUnknown_iface, &IID_ICalc, (void **)&calc), S_OK);
        ASSERT_EQ(atomic_load(&o.refs), 2);            /* the inner's AddRef went to the outer */
        ASSERT_HR_EQ(ICalc_Add(calc, 1, 2, &r), S_OK);
        ASSERT_EQ(r, 3);
        /* the inner interfaces' IUnknown is the outer object: identity holds */
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_IUnknown, (void **)&unk), S_OK);
        ASSERT_TRUE(unk == &o.IUnknown_iface);
        IUnknown_Release(unk);
        /* what the outer does not expose, the inner's interfaces do not either */
        ASSERT_HR_EQ(ICalc_QueryInterface(calc, &IID_ICalcInfo, &p), E_NOINTERFACE);
        /* but the outer object itself can reach the inner's other interfaces */
        ASSERT_HR_EQ(IUnknown_QueryInterface(o.inner, &IID_ICalcInfo, (void **)&info), S_OK);
        ICalcInfo_Release(info);
        ASSERT_EQ(ICalc_Release(calc), 1);
        /* the outer's last release releases the inner */
        ASSERT_EQ(IUnknown_Release(&o.IUnknown_iface), 0);
        ASSERT_NULL(o.inner);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_EQ(live_objects(calc), 1);
        ICalc_Release(calc);
        CoUninitialize();
}

TEST(multi_qi) {
        MULTI_QI qi[3] = { { &IID_ICalc, NULL, 0 }, { &IID_IStream, NULL, 0 },
                           { &IID_ICalcInfo, NULL, 0 } };

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CoCreateInstanceEx(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, NULL, 3, qi),
                     CO_S_NOTALLINTERFACES);
        ASSERT_HR_EQ(qi[0].hr, S_OK);
        ASSERT_HR_EQ(qi[1].hr, E_NOINTERFACE);
        ASSERT_NULL(qi[1].pItf);
        ASSERT_HR_EQ(qi[2].hr, S_OK);
        IUnknown_Release(qi[0].pItf);
        IUnknown_Release(qi[2].pItf);
        ASSERT_HR_EQ(CoCreateInstanceEx(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, NULL, 0, qi),
                     E_INVALIDARG);
        CoUninitialize();
}

/* Registered under its own CLSID with a given model: who may create it in-process. */
static HRESULT create_calc_in(const char *model, DWORD coinit) {
        ICalc *calc = NULL;
        HRESULT hr;
        register_inproc(&CLSID_Calculator, calc_so(), model);
        CoInitializeEx(NULL, coinit);
        hr = CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                              (void **)&calc);
        if (calc)
                ICalc_Release(calc);
        CoUninitialize();
        return hr;
}

struct model_case {
        const char *model;
        DWORD coinit;
        HRESULT hr;
};

static void *model_thread(void *arg) {
        struct model_case *m = arg;
        m->hr = create_calc_in(m->model, m->coinit);
        return NULL;
}

TEST(threading_model_rules) {
        static const struct {
                const char *model;
                DWORD coinit;
                HRESULT want;
        } cases[] = {
                /* main thread first: it becomes the main STA when it asks for one */
                { NULL, COINIT_APARTMENTTHREADED, S_OK },
                { "Apartment", COINIT_APARTMENTTHREADED, S_OK },
                { "apartment", COINIT_APARTMENTTHREADED, S_OK },
                { "Both", COINIT_APARTMENTTHREADED, S_OK },
                { "Neutral", COINIT_APARTMENTTHREADED, S_OK },
                { "Free", COINIT_APARTMENTTHREADED, E_NOINTERFACE },
                { NULL, COINIT_MULTITHREADED, E_NOINTERFACE },
                { "Apartment", COINIT_MULTITHREADED, E_NOINTERFACE },
                { "Free", COINIT_MULTITHREADED, S_OK },
                { "Both", COINIT_MULTITHREADED, S_OK },
                { "Rental", COINIT_MULTITHREADED, REGDB_E_BADTHREADINGMODEL },
                { "", COINIT_MULTITHREADED, REGDB_E_BADTHREADINGMODEL },
        };
        struct capture cap;

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                HRESULT hr = create_calc_in(cases[i].model, cases[i].coinit);
                if (hr != cases[i].want)
                        fprintf(stderr, "model %s coinit %u\n",
                                cases[i].model ? cases[i].model : "(none)",
                                (unsigned)cases[i].coinit);
                ASSERT_HR_EQ(hr, cases[i].want);
        }
        /* in a second STA while the main STA exists: no model means the main STA's */
        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);         /* this thread: the main STA */
        struct model_case m = { NULL, COINIT_APARTMENTTHREADED, E_FAIL };
        run_thread(model_thread, &m);
        ASSERT_HR_EQ(m.hr, E_NOINTERFACE);
        m = (struct model_case){ "Apartment", COINIT_APARTMENTTHREADED, E_FAIL };
        run_thread(model_thread, &m);
        ASSERT_HR_EQ(m.hr, S_OK);
        CoUninitialize();

        capture_start(&cap);
        ASSERT_HR_EQ(create_calc_in("Rental", COINIT_MULTITHREADED), REGDB_E_BADTHREADINGMODEL);
        ASSERT_TRUE(capture_end(&cap, "InprocServer32: ThreadingModel 'Rental'"));
        register_inproc(&CLSID_Calculator, calc_so(), "Both");
}

TEST(bad_registry_entries) {
        struct capture cap;
        void *p = (void *)1;
        char path[4200];

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);

        /* unknown class */
        capture_start(&cap);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Missing, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, &p),
                     REGDB_E_CLASSNOTREG);
        ASSERT_TRUE(capture_end(&cap, "{6F1C3A52-7D0E-4C1B-9A57-3F0D5E8B2C99}"));
        ASSERT_NULL(p);
        ASSERT_HR_EQ(CoGetClassObject(&CLSID_Missing, CLSCTX_LOCAL_SERVER, NULL, &IID_IClassFactory,
                                      &p), REGDB_E_CLASSNOTREG);

        /* the file is not there */
        snprintf(path, sizeof path, "%s/examples/no-such-component.so", test_build_dir());
        register_inproc(&CLSID_Other, path, "Both");
        capture_start(&cap);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Other, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, &p),
                     CO_E_DLLNOTFOUND);
        ASSERT_TRUE(capture_end(&cap, "no-such-component.so"));

        /* a library that is not a component: libdcom.so itself has no DllGetClassObject */
        snprintf(path, sizeof path, "%s/src/libdcom.so", test_build_dir());
        register_inproc(&CLSID_Other, path, "Both");
        capture_start(&cap);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Other, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, &p),
                     CO_E_ERRORINDLL);
        ASSERT_TRUE(capture_end(&cap, "has no DllGetClassObject"));

        /* a component that does not serve this class */
        register_inproc(&CLSID_Other, calc_so(), "Both");
        capture_start(&cap);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Other, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, &p),
                     CLASS_E_CLASSNOTAVAILABLE);
        ASSERT_TRUE(capture_end(&cap, "DllGetClassObject({6F1C3A52-7D0E-4C1B-9A57-3F0D5E8B2C98})"));

        /* a class key without InprocServer32, asked in-process */
        {
                WCHAR id[39], key[64] = u"CLSID\\";
                StringFromGUID2(&CLSID_Other, id, 39);
                memcpy(key + 6, id, 39 * sizeof(WCHAR));
                ASSERT_EQ(RegDeleteTreeW(HKEY_CLASSES_ROOT, key), ERROR_SUCCESS);
                ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, NULL, REG_SZ, u"x", 4),
                          ERROR_SUCCESS);
        }
        capture_start(&cap);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Other, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, &p),
                     REGDB_E_CLASSNOTREG);
        ASSERT_TRUE(capture_end(&cap, "no such key or no path"));

        /* bad arguments */
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      NULL), E_POINTER);
        CoUninitialize();
}

TEST(treat_as) {
        ICalc *calc = NULL;
        WCHAR id[39], key[64] = u"CLSID\\";
        void *p;
        LONG r;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        /* an old class with no server of its own, emulated by the calculator */
        StringFromGUID2(&CLSID_Emulated, id, 39);
        memcpy(key + 6, id, 39 * sizeof(WCHAR));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, NULL, REG_SZ, u"old", 8), ERROR_SUCCESS);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Emulated, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc, &p),
                     REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_Emulated, &CLSID_Calculator), S_OK);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Emulated, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_HR_EQ(ICalc_Add(calc, 2, 2, &r), S_OK);
        ASSERT_EQ(r, 4);
        ICalc_Release(calc);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_Emulated, &CLSID_NULL), S_OK);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Emulated, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc, &p),
                     REGDB_E_CLASSNOTREG);
        CoUninitialize();
}

TEST(unload) {
        ICalc *calc;
        IClassFactory *cf;

        /* in an STA the default delay is none */
        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_TRUE(calc_loaded());
        CoFreeUnusedLibraries();
        ASSERT_TRUE(calc_loaded());                     /* an object is alive */
        ICalc_Release(calc);

        ASSERT_HR_EQ(CoGetClassObject(&CLSID_Calculator, CLSCTX_INPROC_SERVER, NULL,
                                      &IID_IClassFactory, (void **)&cf), S_OK);
        CoFreeUnusedLibraries();
        ASSERT_TRUE(calc_loaded());                     /* the class factory is held */
        IClassFactory_Release(cf);
        CoFreeUnusedLibraries();
        ASSERT_FALSE(calc_loaded());

        /* and it loads again on demand */
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ASSERT_EQ(live_objects(calc), 1);
        ICalc_Release(calc);
        CoUninitialize();

        /* in the MTA the default waits (another thread may still be returning from the
           component's last Release); an explicit delay of 0 does not */
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        CoFreeUnusedLibraries();
        ASSERT_TRUE(calc_loaded());
        CoFreeUnusedLibrariesEx(50, 0);                 /* says S_OK: the wait starts */
        ASSERT_TRUE(calc_loaded());
        usleep(120 * 1000);
        CoFreeUnusedLibrariesEx(50, 0);                 /* still S_OK 50 ms later: unloaded */
        ASSERT_FALSE(calc_loaded());
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ICalc_Release(calc);
        CoFreeUnusedLibrariesEx(0, 0);
        ASSERT_FALSE(calc_loaded());
        CoUninitialize();
}

TEST(create_release_cycles) {
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        for (int i = 0; i < 2000; i++) {
                MULTI_QI qi[2] = { { &IID_ICalc, NULL, 0 }, { &IID_ICalcInfo, NULL, 0 } };
                ASSERT_HR_EQ(CoCreateInstanceEx(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, NULL,
                                                2, qi), S_OK);
                IUnknown_Release(qi[1].pItf);
                IUnknown_Release(qi[0].pItf);
                if (i % 500 == 0)
                        CoFreeUnusedLibrariesEx(0, 0);  /* unload/reload under the loop too */
        }
        CoFreeUnusedLibrariesEx(0, 0);
        ASSERT_FALSE(calc_loaded());
        CoUninitialize();
}

/* --- the class table --------------------------------------------------------------------- */

/* A class factory of our own (a local server's), counting its references. */
struct factory {
        IClassFactory IClassFactory_iface;
        atomic_long refs;
        atomic_long created;
};

static struct factory *factory_from(IClassFactory *iface) {
        return (struct factory *)iface;
}

static HRESULT STDMETHODCALLTYPE f_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = iface;
                IClassFactory_AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE f_AddRef(IClassFactory *iface) {
        return (ULONG)atomic_fetch_add(&factory_from(iface)->refs, 1) + 1;
}
static ULONG STDMETHODCALLTYPE f_Release(IClassFactory *iface) {
        return (ULONG)atomic_fetch_sub(&factory_from(iface)->refs, 1) - 1;
}
/* Hands out itself as the "object": enough to see which factory answered. */
static HRESULT STDMETHODCALLTYPE f_CreateInstance(IClassFactory *iface, IUnknown *outer,
                                                  REFIID riid, void **ppv) {
        if (outer)
                return CLASS_E_NOAGGREGATION;
        atomic_fetch_add(&factory_from(iface)->created, 1);
        return f_QueryInterface(iface, riid, ppv);
}
static HRESULT STDMETHODCALLTYPE f_LockServer(IClassFactory *iface, BOOL lock) {
        (void)iface;
        (void)lock;
        return S_OK;
}
static const IClassFactoryVtbl factory_vtbl = {
        f_QueryInterface, f_AddRef, f_Release, f_CreateInstance, f_LockServer,
};

static HRESULT get_cf(const CLSID *clsid, DWORD ctx, IClassFactory **cf) {
        return CoGetClassObject(clsid, ctx, NULL, &IID_IClassFactory, (void **)cf);
}

TEST(class_table_multipleuse) {
        struct factory f = { { &factory_vtbl }, 1, 0 };
        IClassFactory *cf;
        IUnknown *obj;
        DWORD cookie, cookie2;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Other, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &cookie), S_OK);
        ASSERT_NE(cookie, 0);
        ASSERT_EQ(atomic_load(&f.refs), 2);              /* the table holds one */
        /* MULTIPLEUSE + LOCAL_SERVER serves in-process lookups too, ahead of the registry */
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Other, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown,
                                      (void **)&obj), S_OK);
        ASSERT_TRUE((void *)obj == (void *)&f);
        IUnknown_Release(obj);
        ASSERT_HR_EQ(get_cf(&CLSID_Other, CLSCTX_LOCAL_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_HR_EQ(get_cf(&CLSID_Other, CLSCTX_LOCAL_SERVER, &cf), S_OK);     /* again */
        IClassFactory_Release(cf);
        /* twice: already registered */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Other, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie2),
                     CO_E_OBJISREG);
        ASSERT_EQ(cookie2, 0);
        ASSERT_HR_EQ(CoRevokeClassObject(cookie), S_OK);
        ASSERT_EQ(atomic_load(&f.refs), 1);
        ASSERT_HR_EQ(CoRevokeClassObject(cookie), E_INVALIDARG);
        ASSERT_HR_EQ(get_cf(&CLSID_Other, CLSCTX_LOCAL_SERVER, &cf), REGDB_E_CLASSNOTREG);
        CoUninitialize();
}

TEST(class_table_separate_single_suspended) {
        struct factory f = { { &factory_vtbl }, 1, 0 };
        IClassFactory *cf;
        DWORD c1, c2;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        /* MULTI_SEPARATE + LOCAL_SERVER: in-process lookups go on to the registry */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER, REGCLS_MULTI_SEPARATE, &c1), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_INPROC_SERVER, &cf), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        /* the in-process context may then be registered on its own */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_INPROC_SERVER, REGCLS_MULTI_SEPARATE, &c2), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_INPROC_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_HR_EQ(CoRevokeClassObject(c2), S_OK);
        ASSERT_HR_EQ(CoRevokeClassObject(c1), S_OK);

        /* SINGLEUSE: one local-server connection, then out of view */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER, REGCLS_SINGLEUSE, &c1), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(CoRevokeClassObject(c1), S_OK);

        /* SUSPENDED: invisible to local-server activation until resumed */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER,
                                           REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED, &c1), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(CoResumeClassObjects(), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_HR_EQ(CoSuspendClassObjects(), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(CoResumeClassObjects(), S_OK);

        /* the server process count: its last release suspends the class objects */
        ASSERT_EQ(CoAddRefServerProcess(), 1);
        ASSERT_EQ(CoAddRefServerProcess(), 2);
        ASSERT_EQ(CoReleaseServerProcess(), 1);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_EQ(CoReleaseServerProcess(), 0);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(CoResumeClassObjects(), S_OK);
        ASSERT_HR_EQ(CoRevokeClassObject(c1), S_OK);
        ASSERT_EQ(atomic_load(&f.refs), 1);

        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           0, REGCLS_MULTIPLEUSE, &c1), E_INVALIDARG);
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER, 0x1000, &c1), E_INVALIDARG);
        CoUninitialize();
}

struct revoke_try {
        DWORD cookie;
        HRESULT hr;
        HRESULT lookup;
};

static void *revoke_elsewhere(void *arg) {
        struct revoke_try *r = arg;
        IClassFactory *cf = NULL;
        CoInitialize(NULL);
        r->hr = CoRevokeClassObject(r->cookie);
        r->lookup = get_cf(&CLSID_Missing, CLSCTX_LOCAL_SERVER, &cf);
        if (cf)
                IClassFactory_Release(cf);
        CoUninitialize();
        return NULL;
}

TEST(class_table_apartments) {
        struct factory f = { { &factory_vtbl }, 1, 0 };
        struct revoke_try r;

        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &r.cookie),
                     S_OK);
        /* another apartment neither revokes it nor sees it (it would need a proxy) */
        run_thread(revoke_elsewhere, &r);
        ASSERT_HR_EQ(r.hr, RPC_E_WRONG_THREAD);
        ASSERT_HR_EQ(r.lookup, REGDB_E_CLASSNOTREG);
        ASSERT_EQ(atomic_load(&f.refs), 2);
        /* the apartment's end revokes what it registered */
        CoUninitialize();
        ASSERT_EQ(atomic_load(&f.refs), 1);
}

/* --- the class cache ------------------------------------------------------------------------ */

TEST(class_cache_sees_other_processes) {
        ICalc *calc;
        void *p;
        int status;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        register_inproc(&CLSID_Calculator, calc_so(), "Both");
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);          /* cached now */
        ICalc_Release(calc);
        /* another process makes the class free-threaded only ... */
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                WCHAR id[39], key[64] = u"CLSID\\";
                StringFromGUID2(&CLSID_Calculator, id, 39);
                memcpy(key + 6, id, 38 * sizeof(WCHAR));
                memcpy(key + 44, u"\\InprocServer32", 16 * sizeof(WCHAR));
                _exit(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, u"ThreadingModel", REG_SZ, u"Apartment",
                                      20) == ERROR_SUCCESS ? 0 : 1);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_EQ(status, 0);
        /* ... which this MTA sees within the cache's recheck interval (50 ms) */
        usleep(120 * 1000);
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc, &p),
                     E_NOINTERFACE);
        /* and our own change shows at once */
        register_inproc(&CLSID_Calculator, calc_so(), "Both");
        ASSERT_HR_EQ(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc), S_OK);
        ICalc_Release(calc);
        CoUninitialize();
}

static void set_model(const CLSID *clsid, const char *model) {
        WCHAR id[39], key[64] = u"CLSID\\", val[32];
        StringFromGUID2(clsid, id, 39);
        memcpy(key + 6, id, 38 * sizeof(WCHAR));
        memcpy(key + 44, u"\\InprocServer32", 16 * sizeof(WCHAR));
        wstr(model, val, 32);
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, u"ThreadingModel", REG_SZ, val,
                                  (DWORD)((dcom_utf16_len(val) + 1) * 2)), ERROR_SUCCESS);
}

/* S_OK when the model fits the MTA; E_NOINTERFACE when the object would need a proxy
   (made in another apartment) and ICalc has no proxy/stub registered in this process. */
static HRESULT probe_calc(void) {
        ICalc *calc = NULL;
        HRESULT hr = CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                      (void **)&calc);
        if (calc)
                ICalc_Release(calc);
        return hr;
}

TEST(class_cache_and_transactions) {
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        register_inproc(&CLSID_Calculator, calc_so(), "Both");
        ASSERT_HR_EQ(probe_calc(), S_OK);
        /* inside a registry transaction this thread sees its uncommitted change ... */
        ASSERT_EQ(dcom_reg_begin(), ERROR_SUCCESS);
        set_model(&CLSID_Calculator, "Apartment");
        ASSERT_HR_EQ(probe_calc(), E_NOINTERFACE);
        /* ... and after the rollback, the registry as it was, not a cached leftover */
        ASSERT_EQ(dcom_reg_rollback(), ERROR_SUCCESS);
        ASSERT_HR_EQ(probe_calc(), S_OK);
        /* committed, it stays */
        ASSERT_EQ(dcom_reg_begin(), ERROR_SUCCESS);
        set_model(&CLSID_Calculator, "Apartment");
        ASSERT_EQ(dcom_reg_commit(), ERROR_SUCCESS);
        ASSERT_HR_EQ(probe_calc(), E_NOINTERFACE);
        set_model(&CLSID_Calculator, "Both");
        CoUninitialize();
}

struct probe_result {
        HRESULT hr;
};

static void *probe_thread(void *arg) {
        struct probe_result *r = arg;
        r->hr = probe_calc();           /* the implicit MTA */
        return NULL;
}

/* One thread activating inside its registry transaction, another activating meanwhile. */
TEST(activation_during_a_transaction) {
        struct probe_result r = { E_FAIL };
        pthread_t t;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(probe_calc(), S_OK);
        ASSERT_EQ(dcom_reg_begin(), ERROR_SUCCESS);
        set_model(&CLSID_Calculator, "Both");
        ASSERT_EQ(pthread_create(&t, NULL, probe_thread, &r), 0);
        usleep(100 * 1000);
        ASSERT_HR_EQ(probe_calc(), S_OK);               /* no deadlock (the harness times out) */
        ASSERT_EQ(dcom_reg_commit(), ERROR_SUCCESS);
        pthread_join(t, NULL);
        ASSERT_HR_EQ(r.hr, S_OK);
        CoUninitialize();
}

static atomic_int stop_threads;

static void *hammer_probe(void *arg) {
        (void)arg;
        while (!atomic_load(&stop_threads))
                probe_calc();
        return NULL;
}

static void *hammer_unload(void *arg) {
        (void)arg;
        while (!atomic_load(&stop_threads))
                CoFreeUnusedLibrariesEx(0, 0);
        return NULL;
}

/*
 * Activation racing library unloading with no delay: every activation succeeds and the
 * library cache's bookkeeping holds (ASan).  The test keeps its own dlopen reference so
 * calc.so stays mapped: with a delay of 0, a thread returning from the factory's last
 * Release may otherwise find the code gone -- on Windows too, which is why the MTA's
 * default delay is ten minutes.
 */
TEST(activation_races_unloading) {
        pthread_t t[2];
        void *keep = dlopen(calc_so(), RTLD_NOW);

        ASSERT_NOT_NULL(keep);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        atomic_store(&stop_threads, 0);
        for (int i = 0; i < 2; i++)
                ASSERT_EQ(pthread_create(&t[i], NULL, hammer_unload, NULL), 0);
        for (int i = 0; i < 20000; i++)
                ASSERT_HR_EQ(probe_calc(), S_OK);
        atomic_store(&stop_threads, 1);
        for (int i = 0; i < 2; i++)
                pthread_join(t[i], NULL);
        CoUninitialize();
        dlclose(keep);
}

/* Own registry changes are seen at once even while other threads keep the cache busy. */
TEST(class_cache_under_concurrent_lookups) {
        pthread_t t[3];

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        atomic_store(&stop_threads, 0);
        for (int i = 0; i < 3; i++)
                ASSERT_EQ(pthread_create(&t[i], NULL, hammer_probe, NULL), 0);
        for (int i = 0; i < 300; i++) {
                set_model(&CLSID_Calculator, (i & 1) ? "Both" : "Apartment");
                ASSERT_HR_EQ(probe_calc(), (i & 1) ? S_OK : E_NOINTERFACE);
        }
        atomic_store(&stop_threads, 1);
        for (int i = 0; i < 3; i++)
                pthread_join(t[i], NULL);
        set_model(&CLSID_Calculator, "Both");
        CoUninitialize();
}

/* More classes than the cache holds: it starts over, answers stay right. */
TEST(class_cache_overflow) {
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        for (int i = 0; i < 300; i++) {
                CLSID c = CLSID_Calculator;
                void *p;
                c.Data4[7] = (uint8_t)i;
                c.Data4[6] = (uint8_t)(0x80 | i >> 8);
                ASSERT_HR_EQ(CoCreateInstance(&c, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown, &p),
                             REGDB_E_CLASSNOTREG);
        }
        ASSERT_HR_EQ(probe_calc(), S_OK);
        ASSERT_HR_EQ(CoGetClassObject(&CLSID_Calculator, CLSCTX_INPROC_SERVER, NULL,
                                      &IID_IClassFactory, NULL), E_INVALIDARG);
        CoUninitialize();
}

static void *implicit_mta_registers(void *arg) {
        struct factory *f = arg;
        IClassFactory *cf;
        DWORD cookie;

        /* this thread never initialized: it is in the implicit MTA */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f->IClassFactory_iface,
                                           CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_INPROC_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        ASSERT_HR_EQ(CoRevokeClassObject(cookie), S_OK);
        return NULL;
}

TEST(class_table_implicit_mta) {
        struct factory f = { { &factory_vtbl }, 1, 0 };
        IClassFactory *cf;
        DWORD cookie;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        run_thread(implicit_mta_registers, &f);
        ASSERT_EQ(atomic_load(&f.refs), 1);
        /* registered by an MTA thread, found from an implicit-MTA one: one apartment */
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_Missing, (IUnknown *)&f.IClassFactory_iface,
                                           CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie), S_OK);
        ASSERT_HR_EQ(get_cf(&CLSID_Missing, CLSCTX_INPROC_SERVER, &cf), S_OK);
        IClassFactory_Release(cf);
        /* the MTA's end revokes it */
        CoUninitialize();
        ASSERT_EQ(atomic_load(&f.refs), 1);
}
