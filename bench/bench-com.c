/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM core: CoCreateInstance + Release of the calculator example (calc.so,
 * in-process) -- once found through the registry (HKCR\CLSID\{clsid}\InprocServer32,
 * the library already loaded), once through a class object registered in the process --
 * and the cost of a method call through the vtable next to the same function called
 * directly.  Ratios: creation against the Unix-socket floor (a local round trip, what
 * any out-of-process alternative would pay at least), the vtable call against the
 * direct call (should be ~1.0: a COM call in-process is an indirect call, nothing
 * more).  The registry lives in a private OPENDCOM_ROOT removed at the end.
 */
#define COBJMACROS
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <objbase.h>

#include "bench.h"
#include "calc.h"

static const CLSID CLSID_Registered = { 0x6f1c3a52, 0x7d0e, 0x4c1b,
                                        { 0x9a, 0x57, 0x3f, 0x0d, 0x5e, 0x8b, 0x2c, 0x77 } };

static int create_release(void *ctx, uint64_t n) {
        const CLSID *clsid = ctx;
        for (uint64_t i = 0; i < n; i++) {
                ICalc *calc;
                if (FAILED(CoCreateInstance(clsid, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc,
                                            (void **)&calc)))
                        return -EIO;
                ICalc_Release(calc);
        }
        return 0;
}

static ICalc *the_calc;
static volatile LONG sink;

static int vtable_call(void *ctx, uint64_t n) {
        ICalc *calc = the_calc;
        LONG r = 0;
        (void)ctx;
        for (uint64_t i = 0; i < n; i++)
                ICalc_Add(calc, (LONG)i, r, &r);
        sink = r;
        return 0;
}

/* The same work as calc.so's ICalc::Add, called directly; noipa: compiled as an
   ordinary external function would be (no inlining, no register-use shortcuts). */
__attribute__((noipa)) static HRESULT direct_add(ICalc *self, LONG a, LONG b, LONG *sum) {
        __asm__ volatile("" ::: "memory");
        (void)self;
        if (!sum)
                return E_POINTER;
        *sum = (LONG)((uint32_t)a + (uint32_t)b);
        return S_OK;
}

static int direct_call(void *ctx, uint64_t n) {
        LONG r = 0;
        (void)ctx;
        for (uint64_t i = 0; i < n; i++)
                direct_add(the_calc, (LONG)i, r, &r);
        sink = r;
        return 0;
}

/* calc.so's own Add, called as a plain C function pointer (no object, no vtable). */
static HRESULT (*volatile dso_add)(ICalc *, LONG, LONG, LONG *);

static int dso_pointer_call(void *ctx, uint64_t n) {
        LONG r = 0;
        (void)ctx;
        for (uint64_t i = 0; i < n; i++)
                dso_add(the_calc, (LONG)i, r, &r);
        sink = r;
        return 0;
}

/* A vtable of our own whose Add slot is direct_add: the vtable's two loads, our code. */
static ICalcVtbl local_vtbl;
static ICalc local_calc = { &local_vtbl };

static int local_vtable_call(void *ctx, uint64_t n) {
        ICalc *calc = &local_calc;
        LONG r = 0;
        (void)ctx;
        __asm__ volatile("" : "+r"(calc));
        for (uint64_t i = 0; i < n; i++)
                ICalc_Add(calc, (LONG)i, r, &r);
        sink = r;
        return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(p);
}

/* examples/calc.so next to this program's bench/ directory; registered as regsvr does. */
static int register_calc(void **ret_handle) {
        char exe[PATH_MAX], so[PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n < 0)
                return -errno;
        exe[n] = 0;
        snprintf(so, sizeof so, "%s/../examples/calc.so", dirname(exe));
        void *h = dlopen(so, RTLD_NOW);
        if (!h) {
                fprintf(stderr, "bench-com: %s\n", dlerror());
                return -ENOENT;
        }
        void *sym = dlsym(h, "DllRegisterServer");
        HRESULT(STDAPICALLTYPE * reg)(void);
        memcpy(&reg, &sym, sizeof reg);
        if (!sym || FAILED(reg())) {
                dlclose(h);
                return -EIO;
        }
        *ret_handle = h;        /* kept loaded: the numbers are about COM, not dlopen */
        return 0;
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv, "COM: CoCreateInstance+Release, vtable calls");
        char root[] = "/tmp/dcom-bench-com-XXXXXX";
        IClassFactory *cf = NULL;
        void *lib = NULL;
        DWORD cookie = 0;
        int r;

        bench_floor_unix(b, 64, NULL);
        if (!mkdtemp(root)) {
                perror("bench-com: mkdtemp");
                return 1;
        }
        setenv("OPENDCOM_ROOT", root, 1);
        r = register_calc(&lib);
        if (r == 0 && FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                r = -EIO;
        if (r == 0 && (FAILED(CoGetClassObject(&CLSID_Calculator, CLSCTX_INPROC_SERVER, NULL,
                                               &IID_IClassFactory, (void **)&cf)) ||
                       FAILED(CoRegisterClassObject(&CLSID_Registered, (IUnknown *)cf,
                                                    CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE,
                                                    &cookie)) ||
                       FAILED(CoCreateInstance(&CLSID_Calculator, NULL, CLSCTX_INPROC_SERVER,
                                               &IID_ICalc, (void **)&the_calc))))
                r = -EIO;
        if (r < 0) {
                fprintf(stderr, "bench-com: cannot set up the calculator (%s)\n", strerror(-r));
        } else {
                bench_run(b, &(struct bench_spec){ .name = "com-create-registry",
                                                   .fn = create_release,
                                                   .ctx = (void *)&CLSID_Calculator,
                                                   .baseline = "floor-unix-64B" }, NULL);
                bench_run(b, &(struct bench_spec){ .name = "com-create-classtable",
                                                   .fn = create_release,
                                                   .ctx = (void *)&CLSID_Registered,
                                                   .baseline = "floor-unix-64B" }, NULL);
                bench_run(b, &(struct bench_spec){ .name = "call-direct", .fn = direct_call },
                          NULL);
                local_vtbl.Add = direct_add;
                bench_run(b, &(struct bench_spec){ .name = "call-vtable-local",
                                                   .fn = local_vtable_call,
                                                   .baseline = "call-direct" }, NULL);
                dso_add = the_calc->lpVtbl->Add;
                bench_run(b, &(struct bench_spec){ .name = "call-dso-pointer",
                                                   .fn = dso_pointer_call }, NULL);
                bench_run(b, &(struct bench_spec){ .name = "call-vtable", .fn = vtable_call,
                                                   .baseline = "call-dso-pointer" }, NULL);
        }
        if (the_calc)
                ICalc_Release(the_calc);
        if (cookie)
                CoRevokeClassObject(cookie);
        if (cf)
                IClassFactory_Release(cf);
        CoUninitialize();
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return r < 0 ? 1 : bench_finish(b);
}
