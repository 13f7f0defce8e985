/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seam between the stubs dcomidl generates (FILE_c.c, FILE_s.c, FILE_p.c,
 * FILE_stub.h) and the RPC runtime (src/rpc); object interfaces' ORPC part is the COM
 * layer's (<dcom/orpc-stub.h>).  Installed: generated files are compiled in users' programs.
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
 * allocated from the heap -- CoTaskMemAlloc's, what midl_user_allocate() gives outside a
 * server call, also for a call made from inside one: they are the caller's, not that
 * call's arena's -- and the caller frees them with midl_user_free() (or CoTaskMemFree).
 * On error no [out] string is left allocated; other [out] values are unspecified.
 */
#ifndef DCOM_NDR_STUB_H
#define DCOM_NDR_STUB_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <dcom/ndr.h>

#ifdef __cplusplus
extern "C" {
#endif

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
        const void *orpc_this;          /* object interfaces: its ORPCTHIS (<dcom/orpc-stub.h>) */
        struct arena *saved_arena_;     /* ndr_server_call_enter/leave */
        void *runtime;                  /* the RPC runtime's per-call state (rpc_call_*) */
        /* what is dispatched: the runtime sets them (a table-driven stub, such as the
           type-library marshaler's one dispatcher for all its methods, reads them) */
        const struct ndr_interface *iface;
        uint16_t opnum;
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
        /* the server's: MIDL's default manager EPV (the program's functions named as the
           methods; NULL entries for those it does not define), or NULL without one */
        const void *default_epv;
};

/*
 * A client binding.  call sends the request (in, a pushed stub -- whose large [in]
 * arrays a generated stub references rather than copies: take it with
 * ndr_push_stub_iov(), or ndr_push_flatten() to have it in in->buf whole) for opnum and
 * initializes out over the response stub with ndr_pull_init(..., arena).  0 or a
 * negative errno.  The RPC runtime's binding handles (src/rpc/client.c) are one; tests plug
 * in a loopback that calls the server dispatch directly.
 */
struct ndr_binding {
        int (*call)(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                    struct ndr_push *in, struct ndr_pull *out, struct arena *arena);
        void *ctx;
};

/*
 * Where a binding's calls go, for the marshaling context of their interface pointers
 * (enum ndr_iface_ctx): what the library's own bindings know of their peer -- a COM
 * proxy's OXID, an ncalrpc binding, a custom channel's GetDestCtx -- and
 * NDR_IFACE_REMOTE for any other.  ndr_push_to() marks a client stub's request before
 * its arguments are pushed, ndr_pull_from() the response it got back.
 */
DCOM_EXPORT enum ndr_iface_ctx ndr_binding_iface_ctx(const void *binding);
DCOM_EXPORT void ndr_push_to(struct ndr_push *in, const void *binding);
DCOM_EXPORT void ndr_pull_from(struct ndr_pull *out, const void *binding);

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
        struct ndr_binding *b = (struct ndr_binding *)binding;
        int r;

        if (!b || !b->call)
                return -EINVAL;
        r = b->call(b, iface, opnum, in, out, arena);
        if (r >= 0)
                ndr_pull_from(out, b);          /* the answer comes from where the call went */
        return r;
}

#ifdef __cplusplus
}
#endif

#endif /* DCOM_NDR_STUB_H */
