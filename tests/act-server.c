/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A local server for the activation tests (test-com-activation): what dcomlaunch starts
 * as LocalServer32 with -Embedding.  It registers a class object for the CLSID given as
 * its first argument (the registry's command line carries it), whose objects are
 * IObjTest2 (tests/dcomidl/obj.idl): get_Value answers the server's pid, so a test
 * tells processes apart.  The process ends when its last object goes (CoAddRefServerProcess
 * per object), as Windows local servers do.  A second argument picks a behaviour:
 *
 *      multi   REGCLS_MULTIPLEUSE (the default)        single  REGCLS_SINGLEUSE
 *      exit    exits with status 3 before registering  hang    never registers (20 s)
 *      slow    CreateInstance takes 2 s (the server is SIGKILLed mid-activation)
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>

#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "obj_stub.h"

struct obj {
        IObjTest2 iface;
        atomic_int refs;
};

static atomic_bool done, created;
static bool slow;

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2)) {
                *ppv = This;
                atomic_fetch_add(&((struct obj *)This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&((struct obj *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE o_release(IObjTest2 *This) {
        int n = atomic_fetch_sub(&((struct obj *)This)->refs, 1) - 1;
        if (n == 0) {
                free(This);
                if (CoReleaseServerProcess() == 0)
                        atomic_store(&done, true);
        }
        return (ULONG)n;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        *sum = (LONG)((uint32_t)a + (uint32_t)b);
        return S_OK;
}

/* Who is calling (issue 15's server side): "<client name> level <n> impersonated <uid
   or hresult> after <uid>" from CoQueryClientBlanket, CoImpersonateClient, CoRevertToSelf;
   name "nocontext" asks the context of a thread outside the call. */
static IServerSecurity *kept;   /* a call context kept past its call ("keep", then "kept") */

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        DWORD svc = 0, level = 0;
        RPC_AUTHZ_HANDLE privs = NULL;
        char client[300] = "?", imp[32], out[512];
        HRESULT hr;

        *greeting = NULL;
        hr = CoQueryClientBlanket(&svc, NULL, NULL, &level, NULL, &privs, NULL);
        if (FAILED(hr))
                return hr;
        if (privs) {
                char *u8 = NULL;
                if (dcom_utf16_to_utf8(privs, dcom_utf16_len(privs), &u8, NULL) >= 0)
                        snprintf(client, sizeof client, "%s", u8);
                free(u8);
        }
        IServerSecurity *ss = NULL;
        if (FAILED(hr = CoGetCallContext(&IID_IServerSecurity, (void **)&ss)))
                return hr;
        if (name && name[0] == 'k' && name[1] == 'e' && name[2] == 'p' && !kept) {
                /* "kept": an earlier call's context, past its call */
                IServerSecurity_Release(ss);
                return E_INVALIDARG;
        }
        if (name && name[0] == 'k' && name[1] == 'e' && name[2] == 'e' && name[3] == 'p') {
                IServerSecurity_AddRef(ss);
                kept = ss;
        } else if (name && name[0] == 'k' && name[1] == 'e' && name[2] == 'p' && kept) {
                DWORD l = 0;
                HRESULT old = IServerSecurity_QueryBlanket(kept, NULL, NULL, NULL, &l, NULL, NULL, NULL);
                HRESULT late = IServerSecurity_ImpersonateClient(kept);
                IServerSecurity_Release(kept);
                kept = NULL;
                IServerSecurity_Release(ss);
                char said[96];
                snprintf(said, sizeof said, "kept 0x%08x 0x%08x", (unsigned)old, (unsigned)late);
                WCHAR *w = NULL;
                size_t n = 0;
                if (dcom_utf8_to_utf16(said, strlen(said), &w, &n) < 0)
                        return E_OUTOFMEMORY;
                *greeting = CoTaskMemAlloc((n + 1) * sizeof(WCHAR));
                if (*greeting)
                        memcpy(*greeting, w, (n + 1) * sizeof(WCHAR));
                free(w);
                return *greeting ? S_OK : E_OUTOFMEMORY;
        }
        hr = CoImpersonateClient();
        if (SUCCEEDED(hr)) {
                snprintf(imp, sizeof imp, "%u%s", (unsigned)geteuid(),
                         IServerSecurity_IsImpersonating(ss) ? "" : "!");
                CoRevertToSelf();
        } else {
                snprintf(imp, sizeof imp, "0x%08x", (unsigned)hr);
        }
        IServerSecurity_Release(ss);
        snprintf(out, sizeof out, "%s level %u impersonated %s after %u", client, (unsigned)level,
                 imp, (unsigned)geteuid());
        (void)name;
        WCHAR *w = NULL;
        size_t n = 0;
        if (dcom_utf8_to_utf16(out, strlen(out), &w, &n) < 0)
                return E_OUTOFMEMORY;
        *greeting = CoTaskMemAlloc((n + 1) * sizeof(WCHAR));
        if (*greeting)
                memcpy(*greeting, w, (n + 1) * sizeof(WCHAR));
        free(w);
        return *greeting ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_get_value(IObjTest2 *This, LONG *v) {
        *v = (LONG)getpid();
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_value(IObjTest2 *This, LONG v) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        *y = (LONG)((uint32_t)x * 2u);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        return o_qi(This, riid, ppv);
}

static const IObjTest2Vtbl vtbl = {
        o_qi, o_addref, o_release, o_add, o_greet, o_sum, o_get_value, o_put_value, o_pair, o_fail,
        o_twice, o_peer,
};

static HRESULT STDMETHODCALLTYPE cf_qi(IClassFactory *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cf_addref(IClassFactory *This) {
        return 2;
}

static ULONG STDMETHODCALLTYPE cf_release(IClassFactory *This) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_create(IClassFactory *This, IUnknown *outer, REFIID riid,
                                           void **ppv) {
        struct obj *o;
        HRESULT hr;

        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        if (slow)
                sleep(2);       /* the behaviour asked for: a CreateInstance that takes time */
        if (!(o = calloc(1, sizeof *o)))
                return E_OUTOFMEMORY;
        o->iface.lpVtbl = &vtbl;
        o->refs = 1;
        CoAddRefServerProcess();
        atomic_store(&created, true);
        hr = o_qi(&o->iface, riid, ppv);
        o_release(&o->iface);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cf_lock(IClassFactory *This, BOOL lock) {
        if (lock)
                CoAddRefServerProcess();
        else if (CoReleaseServerProcess() == 0)
                atomic_store(&done, true);
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = { cf_qi, cf_addref, cf_release, cf_create, cf_lock };
static IClassFactory factory = { &cf_vtbl };

int main(int argc, char **argv) {
        const char *mode = argc > 2 && strcmp(argv[2], "-Embedding") ? argv[2] : "multi";
        DWORD cookie, flags = REGCLS_MULTIPLEUSE;
        CLSID clsid;
        HRESULT hr;

        if (argc < 2) {
                fprintf(stderr, "Usage: act-server {CLSID} [multi|single|exit|hang|slow]\n");
                return 2;
        }
        {
                WCHAR w[40];
                size_t i;
                for (i = 0; argv[1][i] && i < 39; i++)
                        w[i] = (WCHAR)(unsigned char)argv[1][i];
                w[i] = 0;
                if (FAILED(CLSIDFromString(w, &clsid))) {
                        fprintf(stderr, "act-server: bad CLSID '%s'\n", argv[1]);
                        return 2;
                }
        }
        if (strcmp(mode, "exit") == 0)
                return 3;
        if (strcmp(mode, "single") == 0)
                flags = REGCLS_SINGLEUSE;
        slow = strcmp(mode, "slow") == 0;
        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
        if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 1;
        if (strcmp(mode, "hang") == 0) {
                sleep(20);              /* never registers; gone on its own later */
                return 0;
        }
        hr = CoRegisterClassObject(&clsid, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER, flags, &cookie);
        if (FAILED(hr)) {
                fprintf(stderr, "act-server: CoRegisterClassObject: 0x%08x\n", (unsigned)hr);
                return 1;
        }
        /* started and never used: gone after 30 s */
        for (int i = 0; !atomic_load(&done) && (atomic_load(&created) || i < 3000); i++)
                usleep(10000);
        CoRevokeClassObject(cookie);
        CoUninitialize();
        return 0;
}
