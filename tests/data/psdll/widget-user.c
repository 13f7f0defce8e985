/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/check-install.sh: Windows-style COM code that calls an object in another
 * apartment -- an MTA object from an STA thread -- through a proxy and a stub that come
 * from a proxy/stub library (widget.idl's, registered with regsvr), not from this
 * program.  Exit 0 when the calls went through the proxy and returned what the object
 * answers; 1 when there is no proxy (the library is not registered); 2 otherwise.
 */
#define COBJMACROS
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <objbase.h>

#include "widget.h"

static LONG refs = 1;
static pthread_t owner;

static HRESULT STDMETHODCALLTYPE w_qi(IWidget *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IWidget)) {
                *ppv = This;
                __atomic_add_fetch(&refs, 1, __ATOMIC_SEQ_CST);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE w_addref(IWidget *This) {
        (void)This;
        return (ULONG)__atomic_add_fetch(&refs, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE w_release(IWidget *This) {
        (void)This;
        return (ULONG)__atomic_sub_fetch(&refs, 1, __ATOMIC_SEQ_CST);
}

/* The object tells whether the call reached it on the caller's own thread (it must not). */
static HRESULT STDMETHODCALLTYPE w_scale(IWidget *This, LONG x, LONG *y) {
        (void)This;
        *y = x * 3;
        return pthread_equal(pthread_self(), owner) ? E_UNEXPECTED : S_OK;
}

static HRESULT STDMETHODCALLTYPE w_name(IWidget *This, WCHAR **name) {
        static const WCHAR n[] = {'w', 'i', 'd', 'g', 'e', 't', 0};
        (void)This;
        *name = CoTaskMemAlloc(sizeof n);
        if (!*name)
                return E_OUTOFMEMORY;
        memcpy(*name, n, sizeof n);
        return S_OK;
}

static const IWidgetVtbl vtbl = {w_qi, w_addref, w_release, w_scale, w_name};
static IWidget widget = {&vtbl};

static int result = 2;

static void *sta_caller(void *arg) {
        IStream *stm = arg;
        IWidget *w = NULL;
        WCHAR *name = NULL;
        LONG y = 0;
        HRESULT hr;

        owner = pthread_self();
        if (FAILED(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED)))
                return NULL;
        hr = CoGetInterfaceAndReleaseStream(stm, &IID_IWidget, (void **)&w);
        if (hr == E_NOINTERFACE || hr == REGDB_E_IIDNOTREG) {
                printf("widget-user: no proxy for IWidget (0x%08x)\n", (unsigned)hr);
                result = 1;
        } else if (SUCCEEDED(hr) && (void *)w != (void *)&widget &&
                   SUCCEEDED(IWidget_Scale(w, 14, &y)) && y == 42 &&
                   SUCCEEDED(IWidget_Name(w, &name)) && name && name[0] == 'w' && name[6] == 0) {
                printf("widget-user: Scale(14) = %d and Name through the proxy/stub library\n",
                       (int)y);
                result = 0;
        } else {
                printf("widget-user: call failed (0x%08x, y = %d)\n", (unsigned)hr, (int)y);
        }
        CoTaskMemFree(name);
        if (w)
                IWidget_Release(w);
        CoUninitialize();
        return NULL;
}

int main(void) {
        IStream *stm = NULL;
        pthread_t t;
        HRESULT hr;

        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 2;
        hr = CoMarshalInterThreadInterfaceInStream(&IID_IWidget, (IUnknown *)&widget, &stm);
        if (hr == E_NOINTERFACE || hr == REGDB_E_IIDNOTREG) {
                printf("widget-user: no stub for IWidget (0x%08x)\n", (unsigned)hr);
                CoUninitialize();
                return 1;
        }
        if (FAILED(hr) || pthread_create(&t, NULL, sta_caller, stm) != 0)
                return 2;
        pthread_join(t, NULL);
        CoUninitialize();
        return result;
}
