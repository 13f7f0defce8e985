/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An object server for the interop tests (test-interop-orpc.py, test-interop-oaut.py):
 * it marshals an IObjTest2 object (tests/dcomidl/obj.idl) -- or with a second argument
 * "dispatch", the automation object of disp-tester.h as IDispatch -- for another machine
 * N times (default 2), prints each OBJREF as one hex line, then answers commands on
 * stdin, one per line: "refs" prints the object's reference count and the calls it
 * served (for IObjTest2 also its connections as IExternalConnection was told them and
 * the last ReleaseConnection's fLastReleaseCloses, -1 before any), "quit" ends.
 * Its rpcss is the one OPENDCOM_ROOT and OPENDCOM_EPM_PORT name.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "disp-tester.h"
#include "obj_stub.h"

static atomic_int refs = 1, calls, connections, last_closes = -1;
static LONG value;
static IExternalConnection extconn;

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IObjTest) ||
            IsEqualIID(riid, &IID_IObjTest2)) {
                *ppv = This;
                atomic_fetch_add(&refs, 1);
                return S_OK;
        }
        if (IsEqualIID(riid, &IID_IExternalConnection)) {
                *ppv = &extconn;
                atomic_fetch_add(&refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_addref(IObjTest2 *This) {
        return (ULONG)atomic_fetch_add(&refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE o_release(IObjTest2 *This) {
        return (ULONG)atomic_fetch_sub(&refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        atomic_fetch_add(&calls, 1);
        /* unsigned: defined for every input, as examples must be */
        *sum = (LONG)((uint32_t)a + (uint32_t)b);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        size_t n = 0;
        atomic_fetch_add(&calls, 1);
        while (name[n])
                n++;
        *greeting = midl_user_allocate((n + 2) * sizeof(WCHAR));
        if (!*greeting)
                return E_OUTOFMEMORY;
        (*greeting)[0] = '>';
        memcpy(*greeting + 1, name, (n + 1) * sizeof(WCHAR));
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        uint32_t s = 0;
        atomic_fetch_add(&calls, 1);
        for (ULONG i = 0; i < n; i++)
                s += (uint32_t)v[i];
        *ret = (LONG)s;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_get_value(IObjTest2 *This, LONG *v) {
        *v = value;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_value(IObjTest2 *This, LONG v) {
        value = v;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        p->a = (LONG)((uint32_t)p->a * 2u);
        return S_OK;
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

static IObjTest2 object = { &vtbl };

/* the object's IExternalConnection: what COM tells it of its clients */
static HRESULT STDMETHODCALLTYPE ec_qi(IExternalConnection *This, REFIID riid, void **ppv) {
        return o_qi(&object, riid, ppv);
}

static ULONG STDMETHODCALLTYPE ec_addref(IExternalConnection *This) {
        return o_addref(&object);
}

static ULONG STDMETHODCALLTYPE ec_release(IExternalConnection *This) {
        return o_release(&object);
}

static DWORD STDMETHODCALLTYPE ec_add(IExternalConnection *This, DWORD type, DWORD reserved) {
        return type == EXTCONN_STRONG ? (DWORD)atomic_fetch_add(&connections, 1) + 1 : 0;
}

static DWORD STDMETHODCALLTYPE ec_rel(IExternalConnection *This, DWORD type, DWORD reserved,
                                      BOOL closes) {
        if (type != EXTCONN_STRONG)
                return 0;
        atomic_store(&last_closes, closes ? 1 : 0);
        return (DWORD)atomic_fetch_sub(&connections, 1) - 1;
}

static const IExternalConnectionVtbl ec_vtbl = { ec_qi, ec_addref, ec_release, ec_add, ec_rel };
static IExternalConnection extconn = { &ec_vtbl };

int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 2;
        bool dispatch = argc > 2 && strcmp(argv[2], "dispatch") == 0;
        static struct tester tester;
        const IID *iid = dispatch ? &IID_IDispatch : &IID_IObjTest2;
        IUnknown *unk = dispatch ? (IUnknown *)&tester.IDispatch_iface : (IUnknown *)&object;
        char line[64];
        HRESULT hr;

        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
        tester_init(&tester);
        if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 1;
        for (int i = 0; i < n; i++) {
                IStream *stm;
                HGLOBAL h;
                STATSTG st;
                if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &stm)) ||
                    FAILED(hr = CoMarshalInterface(stm, iid, unk,
                                                   MSHCTX_DIFFERENTMACHINE, NULL, MSHLFLAGS_NORMAL)) ||
                    FAILED(hr = GetHGlobalFromStream(stm, &h)) ||
                    FAILED(hr = stm->lpVtbl->Stat(stm, &st, STATFLAG_NONAME))) {
                        fprintf(stderr, "orpc-serve: marshaling failed: 0x%08x\n", (unsigned)hr);
                        return 1;
                }
                const uint8_t *p = GlobalLock(h);
                for (ULONGLONG k = 0; k < st.cbSize.QuadPart; k++)
                        printf("%02x", p[k]);
                printf("\n");
                GlobalUnlock(h);
                stm->lpVtbl->Release(stm);
        }
        fflush(stdout);
        while (fgets(line, sizeof line, stdin)) {
                if (strncmp(line, "refs", 4) == 0 && dispatch)
                        printf("%d %d\n", atomic_load(&tester.refs), atomic_load(&tester.calls));
                else if (strncmp(line, "refs", 4) == 0)
                        printf("%d %d %d %d\n", atomic_load(&refs), atomic_load(&calls),
                               atomic_load(&connections), atomic_load(&last_closes));
                else if (strncmp(line, "quit", 4) == 0)
                        break;
                fflush(stdout);
        }
        CoUninitialize();
        return 0;
}
