/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seam between the stubs dcomidl generates for plain RPC (non-object) interfaces
 * (FILE_c.c, FILE_s.c, FILE_stub.h) and the RPC runtime, which does not exist yet.
 *
 * Server side: the runtime looks an interface up by its syntax id in a registered
 * struct ndr_interface, pulls the request stub into call->in, and calls
 * ops[opnum].dispatch(call) (or the generated Foo_v1_0_dispatch(call, opnum), which
 * rejects an opnum out of range with -EOPNOTSUPP: nca_s_op_rng_error).  call->impl
 * points at the server's struct Foo_v1_0_epv (one function pointer per method, MIDL's
 * *_SERVER_EPV).  The dispatch function pulls the [in] arguments into call->arena,
 * calls the implementation and pushes the [out] arguments and the return value into
 * call->out.  It returns 0 or a negative errno (-EBADMSG for a malformed or truncated
 * request: nca_s_fault_ndr; -ERANGE for a [range] or enum value out of range; -E2BIG
 * past the arena's cap; -ENOMEM); call->out is then meaningless and the implementation
 * was not called unless the error came from marshaling its results.  [out] memory the
 * implementation returns comes from midl_user_allocate(), which during the call serves
 * from call->arena: it dies with the call.  A handle_t parameter reaches the
 * implementation as the server binding handle: the struct ndr_server_call * itself,
 * which the RPC runtime's rpc_call_*() functions take.
 *
 * Client side: the generated `int Foo_Method(handle_t h, args..., RET *ret)` (Foo the
 * interface, Method the IDL name, prototypes in FILE_stub.h) pushes the
 * [in] arguments and calls ndr_client_call(h, ...).  h is a struct ndr_binding *; its
 * call function sends the request and fills *out with the response stub (whose bytes
 * must stay valid until the client function returns: keep them in the arena).  The
 * client function returns 0 or a negative errno -- the transport's, -EBADMSG for a
 * malformed response, -ENOMEM -- and on success stores the method's return value in
 * *ret (ret may be NULL; the parameter is absent for void methods).  [out] strings are
 * allocated with midl_user_allocate(): the caller frees them with midl_user_free().
 * On error no [out] string is left allocated; other [out] values are unspecified.
 */
#ifndef DCOM_NDR_STUB_H
#define DCOM_NDR_STUB_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ndr/ndr-internal.h"

/*
 * Context handles ([C706] ndr_context_handle: 20 bytes on the wire).  The server's
 * runtime keeps the table from wire handles to the implementation's void *: lookup
 * for [in] handles (an unknown one is its error, nca_s_fault_context_mismatch), store
 * after the call for [out] and [in, out] ones: *wire holds the handle that came in
 * (zeros for [out]); ctx NULL closes it (*wire zeroed), otherwise the table records
 * ctx under *wire, making a new handle when *wire is zeros.  rundown is the type's
 * T_rundown(), which the server's implementation defines for every [context_handle]
 * type T (MIDL's convention; declared in FILE_stub.h): the runtime calls it for handles
 * still open when their association ends.
 */
struct ndr_context_table {
        int (*lookup)(struct ndr_context_table *t, const struct ndr_context_handle *wire,
                      void **ret);
        int (*store)(struct ndr_context_table *t, void *ctx, struct ndr_context_handle *wire,
                     void (*rundown)(void *ctx));
};

/*
 * Client side: a context handle's void * points at one of these (midl_user_allocate);
 * the stub frees it when the server closes the handle (a NULL handle comes back).
 */
struct ndr_client_context {
        struct ndr_context_handle wire;
};

struct ndr_server_call {
        struct ndr_pull *in;            /* the request stub */
        struct ndr_push *out;           /* the response stub */
        struct arena *arena;            /* [in] arguments and temporaries, per call */
        const void *impl;               /* the interface's struct Foo_vX_Y_epv */
        struct ndr_context_table *contexts;     /* NULL: no context handles */
        const void *orpc_this;          /* object interfaces: the call's ORPCTHIS */
        struct arena *saved_arena_;     /* ndr_server_call_enter/leave */
        void *runtime;                  /* the RPC runtime's per-call state (rpc_call_*) */
};

/* Around the implementation: midl_user_allocate() serves from the call's arena. */
static inline void ndr_server_call_enter(struct ndr_server_call *call) {
        call->saved_arena_ = ndr_call_arena_set(call->arena);
}

static inline void ndr_server_call_leave(struct ndr_server_call *call) {
        ndr_call_arena_set(call->saved_arena_);
}

struct ndr_op {
        const char *name;               /* the method's name, for tracing */
        int (*dispatch)(struct ndr_server_call *call);
};

struct ndr_interface {
        GUID uuid;                      /* the abstract syntax: uuid and version */
        uint16_t ver_major, ver_minor;
        uint32_t n_ops;
        const struct ndr_op *ops;       /* n_ops entries; NULL in the client's copy */
        const char *name;
};

/*
 * A client binding.  call sends the request (in, a pushed stub) for opnum and
 * initializes out over the response stub with ndr_pull_init(..., arena).  0 or a
 * negative errno.  The RPC runtime will provide one per connection; tests plug in a
 * loopback that calls the server dispatch directly.
 */
struct ndr_binding {
        int (*call)(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                    struct ndr_push *in, struct ndr_pull *out, struct arena *arena);
        void *ctx;
};

/*
 * The client stub's per-call arena cap: the response stub and what is pulled from it (the
 * caller's midl_user_allocate() memory counts too) -- a server cannot make a client
 * allocate more than this.
 */
#define NDR_CLIENT_CALL_MAX (64u << 20)

/* What generated client stubs call: binding is the handle_t, a struct ndr_binding *. */
static inline int ndr_client_call(void *binding, const struct ndr_interface *iface,
                                  uint16_t opnum, struct ndr_push *in, struct ndr_pull *out,
                                  struct arena *arena) {
        struct ndr_binding *b = binding;

        if (!b || !b->call)
                return -EINVAL;
        return b->call(b, iface, opnum, in, out, arena);
}

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
#define NDR_COM_MAJOR_VERSION 5
#define NDR_COM_MINOR_VERSION 7

/* A new call's ORPCTHIS: version 5.7, no flags, a new causality ID, no extensions. */
int ndr_orpc_this_init(ORPCTHIS *t);
/* A request's ORPCTHIS: -EPROTONOSUPPORT for another major version (RPC_E_VERSION_MISMATCH). */
int ndr_orpc_this_check(const ORPCTHIS *t);

/*
 * A proxy object: the generated proxy vtable IFoo_ProxyVtbl goes in lpVtbl; channel
 * carries calls to the object (the ORPC layer's binding: IPID, authentication); unk is
 * the proxy manager's IUnknown (QueryInterface, AddRef, Release go to it, and from it
 * to IRemUnknown).
 */
struct ndr_proxy;

struct ndr_proxy_unknown {
        HRESULT (*query_interface)(struct ndr_proxy *px, const IID *riid, void **ppv);
        ULONG (*add_ref)(struct ndr_proxy *px);
        ULONG (*release)(struct ndr_proxy *px);
};

struct ndr_proxy {
        const void *lpVtbl;             /* first: the object's interface pointer is this */
        struct ndr_binding *channel;
        /*
         * The interface this proxy is for (IFoo_p_interface): what its calls bind to,
         * inherited methods included (NULL: each method's own interface).
         */
        const struct ndr_interface *iface;
        const struct ndr_proxy_unknown *unk;
        void *ctx;                      /* the proxy manager's */
};

/* A proxy's failure as the caller sees it ([MS-RPCE] 3.1.1.5.5 codes as HRESULTs). */
HRESULT ndr_stub_hresult(int err);
/*
 * The channel's word on a call that failed with a fault (-EREMOTEIO): its status, for
 * this thread's next ndr_stub_hresult() -- an HRESULT the server faulted with
 * (RPC_E_DISCONNECTED) comes back as it is, an nca_s_ code as its RPC_STATUS.
 */
void ndr_set_call_fault(uint32_t status);

#endif /* DCOM_NDR_STUB_H */
