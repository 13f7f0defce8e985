/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What dcomidl's proxies and stubs for object interfaces (FILE_p.c) need besides NDR:
 * ORPCTHIS and ORPCTHAT, the proxy object and the channel's failures as HRESULTs -- the
 * COM layer's part of the seam (src/ndr knows NDR, not COM).  Implemented in
 * src/com/orpc-stub.c.
 */
#ifndef DCOM_COM_ORPC_STUB_H
#define DCOM_COM_ORPC_STUB_H

#include "ndr/ndr-stub.h"

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
int com_orpc_this_init(ORPCTHIS *t);
/* A request's ORPCTHIS: -EPROTONOSUPPORT for another major version (RPC_E_VERSION_MISMATCH). */
int com_orpc_this_check(const ORPCTHIS *t);

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

/* A proxy's failure as the caller sees it ([MS-RPCE] 3.1.1.5.5 codes as HRESULTs). */
HRESULT com_stub_hresult(int err);
/*
 * The channel's word on a call that failed with a fault (-EREMOTEIO): its status, for
 * this thread's next com_stub_hresult() -- an HRESULT the server faulted with
 * (RPC_E_DISCONNECTED) comes back as it is, an nca_s_ code as its RPC_STATUS.
 */
void com_set_call_fault(uint32_t status);

#endif /* DCOM_COM_ORPC_STUB_H */
