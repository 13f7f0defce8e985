/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Windows COM code as written there (<objbase.h>, COBJMACROS, the IIDs from the
   library), built by tests/check-install.sh with pkg-config flags only. */
#define COBJMACROS
#include <ctxtcall.h>
#include <objbase.h>
#include <ole2.h>
#include <stdio.h>

int main(void) {
        IMalloc *m;
        IUnknown *u;
        OLECHAR buf[39];
        GUID g;
        CLSID c;

        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 1;
        if (FAILED(CoCreateGuid(&g)) || StringFromGUID2(&g, buf, 39) != 39)
                return 2;
        if (FAILED(CLSIDFromString(buf, &c)) || !IsEqualGUID(&c, &g))
                return 3;
        if (FAILED(CoGetMalloc(MEMCTX_TASK, &m)))
                return 4;
        if (FAILED(IMalloc_QueryInterface(m, &IID_IUnknown, (void **)&u)))
                return 5;
        IUnknown_Release(u);
        CoTaskMemFree(IMalloc_Alloc(m, 16));
        IMalloc_Release(m);

        /* the object context, the logical thread, message filters (an STA's only) */
        IComThreadingInfo *ti;
        IContextCallback *cb;
        APTTYPE apt;
        if (FAILED(CoGetObjectContext(&IID_IComThreadingInfo, (void **)&ti)))
                return 6;
        if (FAILED(IComThreadingInfo_GetCurrentApartmentType(ti, &apt)) || apt != APTTYPE_MTA)
                return 7;
        if (FAILED(IComThreadingInfo_QueryInterface(ti, &IID_IContextCallback, (void **)&cb)))
                return 8;
        IContextCallback_Release(cb);
        IComThreadingInfo_Release(ti);
        if (FAILED(CoGetCurrentLogicalThreadId(&g)))
                return 9;
        if (CoRegisterMessageFilter(NULL, NULL) != CO_E_NOT_SUPPORTED)
                return 10;
        /* call cancellation, enabled and disabled */
        if (FAILED(CoEnableCallCancellation(NULL)) || FAILED(CoDisableCallCancellation(NULL)) ||
            CoDisableCallCancellation(NULL) != CO_E_CANCEL_DISABLED)
                return 11;
        /* an HRESULT through a memory stream */
        IStream *stm;
        HRESULT back = S_OK;
        LARGE_INTEGER zero = { .QuadPart = 0 };
        if (FAILED(CreateStreamOnHGlobal(NULL, TRUE, &stm)) ||
            FAILED(CoMarshalHresult(stm, E_ACCESSDENIED)) ||
            FAILED(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL)) ||
            FAILED(CoUnmarshalHresult(stm, &back)) || back != E_ACCESSDENIED)
                return 12;
        IStream_Release(stm);
        /* the proxy manager's and Automation's interfaces are the library's */
        if (IsEqualIID(&IID_IClientSecurity, &IID_IMultiQI) ||
            IsEqualIID(&IID_IEnumVARIANT, &IID_IMessageFilter) ||
            IsEqualIID(&IID_IExternalConnection, &IID_IMessageFilter))
                return 13;
        /* a late-bound call of a C function: SysStringLen(BSTR) through DispCallFunc */
        VARIANT arg, res;
        VARIANTARG *parg = &arg;
        VARTYPE vt = VT_BSTR;
        V_VT(&arg) = VT_BSTR;
        V_BSTR(&arg) = SysAllocString(OLESTR("seven!!"));
        if (FAILED(DispCallFunc(NULL, (ULONG_PTR)SysStringLen, CC_STDCALL, VT_UI4, 1, &vt, &parg,
                                &res)) ||
            V_VT(&res) != VT_UI4 || V_UI4(&res) != 7)
                return 15;
        VariantClear(&arg);
        /* the standard marshaler aggregated into a server object (its IUnknown here: the
           malloc's, which is the outer one) */
        IUnknown *inner = NULL;
        if (FAILED(CoGetMalloc(MEMCTX_TASK, &m)) ||
            FAILED(CoGetStdMarshalEx((IUnknown *)m, SMEXF_SERVER, &inner)) || !inner)
                return 16;
        IMarshal *mar = NULL;
        if (FAILED(IUnknown_QueryInterface(inner, &IID_IMarshal, (void **)&mar)))
                return 17;
        IMarshal_Release(mar);
        IUnknown_Release(inner);
        IMalloc_Release(m);
        CoUninitialize();
        /* OLE's start: a single-threaded apartment */
        if (FAILED(OleInitialize(NULL)) || FAILED(CoGetApartmentType(&apt, &(APTTYPEQUALIFIER){ 0 })) ||
            (apt != APTTYPE_MAINSTA && apt != APTTYPE_STA))
                return 14;
        OleUninitialize();
        puts("ok");
        return 0;
}
