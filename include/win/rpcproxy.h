/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <rpcproxy.h>: what a proxy/stub library's dlldata.c is compiled with, as on Windows.
 * A proxy/stub library is FILE_p.c (dcomidl's proxies and stubs, with its
 * FILE_ProxyFileInfo table), FILE_i.c and dlldata.c (`dcomidl --dlldata dlldata.c`,
 * MIDL's /dlldata), linked into a shared library with libdcom:
 *
 *     EXTERN_PROXY_FILE(obj)
 *     PROXYFILE_LIST_START
 *         REFERENCE_PROXY_FILE(obj),
 *     PROXYFILE_LIST_END
 *     DLLDATA_ROUTINES(aProxyFileList, GET_DLL_CLSID)
 *
 * DLLDATA_ROUTINES defines DllGetClassObject (the class object is the library's
 * PSFactoryBuffer, an IPSFactoryBuffer) and DllCanUnloadNow, and with REGISTER_PROXY_DLL
 * defined DllRegisterServer and DllUnregisterServer, which `regsvr` calls: they register
 * every interface of the library -- HKCR\Interface\{iid} (its name), NumMethods and
 * ProxyStubClsid32 = the factory's CLSID -- and HKCR\CLSID\{clsid}\InprocServer32 = the
 * library's path, ThreadingModel Both.  The factory's CLSID is the first interface's IID
 * (MIDL's choice) unless PROXY_CLSID names a CLSID defined elsewhere or PROXY_CLSID_IS
 * gives its value.  Windows has no DllMain here: the library finds its own path with
 * dladdr(), so hProxyDll is not needed.
 *
 * When the COM library needs a proxy or stub for an interface it does not have built in,
 * it reads that registration, loads the library and takes the interface's proxy and stub
 * from the ProxyFileInfo of the factory DllGetClassObject returned (src/com/psfactory.c).
 * The factory's CreateProxy and CreateStub answer E_NOTIMPL: the COM library's proxies and
 * stubs run on its own channel, not on an IRpcChannelBuffer, and a hand-written
 * IPSFactoryBuffer (one not made by DLLDATA_ROUTINES) is refused for the same reason.
 */
#ifndef DCOM_WIN_RPCPROXY_H
#define DCOM_WIN_RPCPROXY_H

#include <string.h>

#include <objbase.h>              /* IPSFactoryBuffer, RPC_ENTRY (<rpcdce.h>) */
#include <dcom/orpc-stub.h>       /* ProxyFileInfo */

#ifdef __cplusplus
extern "C" {
#endif

#ifndef DECLSPEC_HIDDEN
#define DECLSPEC_HIDDEN __attribute__((visibility("hidden")))
#endif
#ifndef DCOM_DLL_EXPORT
#define DCOM_DLL_EXPORT __attribute__((visibility("default")))
#endif

#ifndef HMODULE_DEFINED
#define HMODULE_DEFINED
typedef void *HMODULE;
typedef void *HINSTANCE;
#endif

/* The class object of a proxy/stub library (DLLDATA_ROUTINES' gPFactory). */
typedef struct tagCStdPSFactoryBuffer {
#if defined(__cplusplus) && !defined(CINTERFACE)
        const void *lpVtbl;             /* C++ has no IPSFactoryBufferVtbl: the C layout */
#else
        const IPSFactoryBufferVtbl *lpVtbl;
#endif
        LONG RefCount;
        const ProxyFileInfo **pProxyFileList;
        LONG Filler1;
} CStdPSFactoryBuffer;

/*
 * DllGetClassObject: pPSFactoryBuffer (the library's gPFactory) as IPSFactoryBuffer (or
 * IUnknown) when rclsid is pclsid or one of the library's IIDs, as Windows' rpcrt4
 * answers; CLASS_E_CLASSNOTAVAILABLE for anything else.
 */
DCOM_EXPORT HRESULT RPC_ENTRY NdrDllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv,
                                                   const ProxyFileInfo **pProxyFileList,
                                                   const CLSID *pclsid,
                                                   CStdPSFactoryBuffer *pPSFactoryBuffer);
/* DllCanUnloadNow: S_OK once nothing holds the factory. */
DCOM_EXPORT HRESULT RPC_ENTRY NdrDllCanUnloadNow(CStdPSFactoryBuffer *pPSFactoryBuffer);
/*
 * DllRegisterServer / DllUnregisterServer: the registration above, in one registry
 * transaction.  hDll may be NULL: the library is the one holding pProxyFileList.
 * SELFREG_E_CLASS when the registry cannot be written.
 */
DCOM_EXPORT HRESULT RPC_ENTRY NdrDllRegisterProxy(HMODULE hDll,
                                                  const ProxyFileInfo **pProxyFileList,
                                                  const CLSID *pclsid);
DCOM_EXPORT HRESULT RPC_ENTRY NdrDllUnregisterProxy(HMODULE hDll,
                                                    const ProxyFileInfo **pProxyFileList,
                                                    const CLSID *pclsid);

/* --- dlldata.c's macros ------------------------------------------------------------------- */

#define EXTERN_PROXY_FILE(proxy) EXTERN_C const ProxyFileInfo proxy##_ProxyFileInfo;

#define PROXYFILE_LIST_START const ProxyFileInfo *aProxyFileList[] DECLSPEC_HIDDEN = {
#define REFERENCE_PROXY_FILE(proxy) &proxy##_ProxyFileInfo
#define PROXYFILE_LIST_END NULL };

/* the factory's CLSID: PROXY_CLSID (defined elsewhere), PROXY_CLSID_IS, or the first IID */
#ifdef PROXY_CLSID
#define CLSID_PSFACTORYBUFFER extern const CLSID PROXY_CLSID;
#elif defined(PROXY_CLSID_IS)
#define CLSID_PSFACTORYBUFFER \
        const CLSID CLSID_PSFactoryBuffer DECLSPEC_HIDDEN = PROXY_CLSID_IS;
#define PROXY_CLSID CLSID_PSFactoryBuffer
#else
#define CLSID_PSFACTORYBUFFER
#endif

#ifdef PROXY_CLSID
#define GET_DLL_CLSID (&PROXY_CLSID)
#else
#define GET_DLL_CLSID \
        (aProxyFileList[0] && aProxyFileList[0]->pStubVtblList[0] \
                 ? aProxyFileList[0]->pStubVtblList[0]->header.piid : (const IID *)NULL)
#endif

#ifdef ENTRY_PREFIX
#define DCOM_RPC_EXPAND2_(a, b) a##b
#define DCOM_RPC_EXPAND_(a, b) DCOM_RPC_EXPAND2_(a, b)
#define DLLREGISTERSERVER_ENTRY DCOM_RPC_EXPAND_(ENTRY_PREFIX, DllRegisterServer)
#define DLLUNREGISTERSERVER_ENTRY DCOM_RPC_EXPAND_(ENTRY_PREFIX, DllUnregisterServer)
#define DLLGETCLASSOBJECT_ENTRY DCOM_RPC_EXPAND_(ENTRY_PREFIX, DllGetClassObject)
#define DLLCANUNLOADNOW_ENTRY DCOM_RPC_EXPAND_(ENTRY_PREFIX, DllCanUnloadNow)
#else
#define DLLREGISTERSERVER_ENTRY DllRegisterServer
#define DLLUNREGISTERSERVER_ENTRY DllUnregisterServer
#define DLLGETCLASSOBJECT_ENTRY DllGetClassObject
#define DLLCANUNLOADNOW_ENTRY DllCanUnloadNow
#endif

#define DLLDATA_GETPROXYDLLINFO(pfl, rclsid) \
        void RPC_ENTRY GetProxyDllInfo(const ProxyFileInfo ***ppProxyFileInfo, \
                                       const CLSID **ppClsid) DECLSPEC_HIDDEN; \
        void RPC_ENTRY GetProxyDllInfo(const ProxyFileInfo ***ppProxyFileInfo, \
                                       const CLSID **ppClsid) { \
                *ppProxyFileInfo = (pfl); \
                *ppClsid = (rclsid); \
        }

#define DLLGETCLASSOBJECTROUTINE(pfl, factory_clsid, factory) \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLGETCLASSOBJECT_ENTRY(REFCLSID rclsid, \
                                                                       REFIID riid, void **ppv); \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLGETCLASSOBJECT_ENTRY(REFCLSID rclsid, \
                                                                       REFIID riid, void **ppv) { \
                return NdrDllGetClassObject(rclsid, riid, ppv, (pfl), (factory_clsid), \
                                            (factory)); \
        }

#define DLLCANUNLOADNOW(factory) \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLCANUNLOADNOW_ENTRY(void); \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLCANUNLOADNOW_ENTRY(void) { \
                return NdrDllCanUnloadNow((factory)); \
        }

#define REGISTER_PROXY_DLL_ROUTINES(pfl, factory_clsid) \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLREGISTERSERVER_ENTRY(void); \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLREGISTERSERVER_ENTRY(void) { \
                return NdrDllRegisterProxy(NULL, (pfl), (factory_clsid)); \
        } \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLUNREGISTERSERVER_ENTRY(void); \
        DCOM_DLL_EXPORT HRESULT STDAPICALLTYPE DLLUNREGISTERSERVER_ENTRY(void) { \
                return NdrDllUnregisterProxy(NULL, (pfl), (factory_clsid)); \
        }

#ifdef REGISTER_PROXY_DLL
#define DLLREGISTRY_ROUTINES(pfl, factory_clsid) REGISTER_PROXY_DLL_ROUTINES(pfl, factory_clsid)
#else
#define DLLREGISTRY_ROUTINES(pfl, factory_clsid)
#endif

#define DLLDATA_ROUTINES(pfl, factory_clsid) \
        CLSID_PSFACTORYBUFFER \
        CStdPSFactoryBuffer gPFactory DECLSPEC_HIDDEN = { NULL, 0, NULL, 0 }; \
        DLLDATA_GETPROXYDLLINFO(pfl, factory_clsid) \
        DLLGETCLASSOBJECTROUTINE(pfl, factory_clsid, &gPFactory) \
        DLLCANUNLOADNOW(&gPFactory) \
        DLLREGISTRY_ROUTINES(pfl, factory_clsid)

#ifdef __cplusplus
}
#endif

#endif /* DCOM_WIN_RPCPROXY_H */
