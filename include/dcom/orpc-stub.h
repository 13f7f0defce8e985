/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What dcomidl's proxies and stubs for object interfaces (FILE_p.c) need besides NDR:
 * ORPCTHIS and ORPCTHAT, the proxy object and the channel's failures as HRESULTs -- the
 * COM layer's part of the seam (src/ndr knows NDR, not COM).  Implemented in
 * src/com/orpc-stub.c.  Installed: a proxy/stub library built from FILE_p.c outside
 * the tree (<rpcproxy.h>) compiles against it and calls these through libdcom.so.
 */
#ifndef DCOM_ORPC_STUB_H
#define DCOM_ORPC_STUB_H

#include <dcom/ndr-stub.h>
#include <dcom/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- object interfaces: ORPC ([MS-DCOM] 2.2.13) ---------------------------------------- */

/*
 * ORPCTHIS and ORPCTHAT in C, as dcomidl's built-in IDL declares them (FILE_p.c marshals
 * them from that IDL; these declarations must match it member for member).
 */
#ifndef DCOM_ORPC_TYPES_DEFINED
#define DCOM_ORPC_TYPES_DEFINED
#ifndef DCOM_COMVERSION_DEFINED         /* <orpc.h> declares it too */
#define DCOM_COMVERSION_DEFINED
typedef struct tagCOMVERSION {
        uint16_t MajorVersion;
        uint16_t MinorVersion;
} COMVERSION;
#endif

typedef struct tagORPC_EXTENT {
        GUID id;
        uint32_t size;
        uint8_t data[1];                /* [size_is((size + 7) & ~7)] */
} ORPC_EXTENT;

typedef struct tagORPC_EXTENT_ARRAY {
        uint32_t size;
        uint32_t reserved;
        ORPC_EXTENT **extent;           /* [size_is((size + 1) & ~1), unique] */
} ORPC_EXTENT_ARRAY;

typedef struct tagORPCTHIS {
        COMVERSION version;
        uint32_t flags;
        uint32_t reserved1;
        GUID cid;
        ORPC_EXTENT_ARRAY *extensions;
} ORPCTHIS;

typedef struct tagORPCTHAT {
        uint32_t flags;
        ORPC_EXTENT_ARRAY *extensions;
} ORPCTHAT;
#endif

/* [MS-DCOM] 1.7: the version we speak (5.7) */
#define COM_MAJOR_VERSION 5
#define COM_MINOR_VERSION 7

/* A new call's ORPCTHIS: version 5.7, no flags, a new causality ID, no extensions. */
DCOM_EXPORT int com_orpc_this_init(ORPCTHIS *t);
/* A request's ORPCTHIS: -EPROTONOSUPPORT for another major version (RPC_E_VERSION_MISMATCH). */
DCOM_EXPORT int com_orpc_this_check(const ORPCTHIS *t);

/*
 * A proxy object: the generated proxy vtable IFoo_ProxyVtbl goes in lpVtbl; channel
 * carries calls to the object (the ORPC layer's binding: IPID, authentication); unk is
 * the proxy manager's IUnknown (QueryInterface, AddRef, Release go to it, and from it
 * to IRemUnknown).
 */
struct com_proxy;

struct com_proxy_unknown {
        HRESULT (*query_interface)(struct com_proxy *px, const IID *riid, void **ppv);
        ULONG (*add_ref)(struct com_proxy *px);
        ULONG (*release)(struct com_proxy *px);
};

struct com_proxy {
        const void *lpVtbl;             /* first: the object's interface pointer is this */
        struct ndr_binding *channel;
        /*
         * The interface this proxy is for (IFoo_p_interface): what its calls bind to,
         * inherited methods included (NULL: each method's own interface).
         */
        const struct ndr_interface *iface;
        const struct com_proxy_unknown *unk;
        void *ctx;                      /* the proxy manager's */
};

/* What a stub frees an object's [out] referents with once marshaled: CoTaskMemFree. */
DCOM_EXPORT void com_stub_free(void *p);

/* A proxy's failure as the caller sees it ([MS-RPCE] 3.1.1.5.5 codes as HRESULTs). */
DCOM_EXPORT HRESULT com_stub_hresult(int err);

/*
 * A proxy file's table, as MIDL names it: FILE_p.c defines FILE_ProxyFileInfo, which a
 * proxy/stub library's dlldata.c lists (aProxyFileList, <rpcproxy.h>) and the COM
 * library reads when HKCR\Interface\{iid}\ProxyStubClsid32 leads it to the library.
 * The members MIDL's code and dlldata.c's macros use keep MIDL's names; what an entry
 * holds is ours: a proxy entry the interface's proxy vtable (MIDL inlines the vtable
 * there), a stub entry the interface's stubs (struct ndr_interface, MIDL's
 * MIDL_SERVER_INFO) and its method count, IUnknown's included (HKCR\Interface\{iid}
 * NumMethods).
 */
#ifndef DCOM_PROXYFILEINFO_DEFINED
#define DCOM_PROXYFILEINFO_DEFINED
typedef struct tagCInterfaceProxyHeader {
        const IID *piid;
} CInterfaceProxyHeader;

typedef struct tagCInterfaceProxyVtbl {
        CInterfaceProxyHeader header;
        const void *pProxyVtbl;                 /* IFoo_ProxyVtbl */
} CInterfaceProxyVtbl;

typedef struct tagCInterfaceStubHeader {
        const IID *piid;
        const struct ndr_interface *pServerInfo;        /* IFoo_p_interface */
        ULONG DispatchTableCount;                       /* the interface's methods */
} CInterfaceStubHeader;

typedef struct tagCInterfaceStubVtbl {
        CInterfaceStubHeader header;
} CInterfaceStubVtbl;

typedef const struct tagCInterfaceProxyVtbl *PCInterfaceProxyVtblList;
typedef const struct tagCInterfaceStubVtbl *PCInterfaceStubVtblList;
typedef const char *PCInterfaceName;
typedef int IIDLookupRtn(const IID *pIID, int *pIndex);
typedef IIDLookupRtn *PIIDLookup;

typedef struct tagProxyFileInfo {
        const PCInterfaceProxyVtblList *pProxyVtblList;  /* TableSize entries, then NULL */
        const PCInterfaceStubVtblList *pStubVtblList;
        const PCInterfaceName *pNamesArray;
        const IID **pDelegatedIIDs;             /* NULL: proxies never delegate to a base's */
        PIIDLookup pIIDLookupRtn;               /* 1 and the IID's index, or 0 */
        unsigned short TableSize;
        unsigned short TableVersion;
        const IID **pAsyncIIDLookup;
        intptr_t Filler2;
        intptr_t Filler3;
        intptr_t Filler4;
} ProxyFileInfo;

typedef ProxyFileInfo ExtendedProxyFileInfo;
#endif

#ifdef __cplusplus
}
#endif

#endif /* DCOM_ORPC_STUB_H */
