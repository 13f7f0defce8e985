/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of dcomidl's stub back end (stubs*.c) share, and its model.
 *
 * dcomidl's stub back end: NDR 2.0 stubs as straight-line C calling src/ndr through the
 * installed seam, <dcom/ndr-stub.h>.  For plain RPC interfaces FILE_stub.h (entry point
 * vectors, client prototypes), FILE_c.c (client stubs) and FILE_s.c (server stubs,
 * dispatch table, struct ndr_interface); for object interfaces FILE_p.c (proxies, whose
 * vtables go through an ORPC channel, and stubs dispatching to an object's vtable),
 * with ORPCTHIS/ORPCTHAT first ([MS-DCOM] 2.2.13).
 *
 * The model is pidl's: every parameter, member and union arm becomes a list of
 * *levels* read off its declarator and attributes, outermost first --
 *      L_PTR    a pointer: top-level [ref] (no wire form), [ref], [unique] or full [ptr]
 *      L_ARRAY  an array: fixed [N], conformant (size_is/max_is or []), varying
 *               (length_is/first_is/last_is), or both
 *      L_STRING a [string]: conformant-varying behind a pointer, varying in a fixed array
 *      L_DATA   the element: base type, enum, structure, union (with its switch_is),
 *               context handle, interface pointer, [wire_marshal]/[user_marshal] type,
 *               handle_t
 * size_is(a, b, ...) gives one count per pointer/array dimension, outermost first (MIDL).
 * Each level is emitted by one function for push and one for pull, in the two passes
 * of [C706] 14.3.12.3 (NDR_SCALARS: inline part and referent IDs; NDR_BUFFERS: the
 * deferred referents); a top-level parameter does both at once, so its referents follow
 * it directly.  Structures and unions get one static push/pull pair each.
 *
 * Memory: the server pulls [in] arguments into the call's arena and allocates the [out]
 * ones there; what the implementation allocates with midl_user_allocate() during the
 * call is arena memory too (see ndr-stub.h).  The client pulls [out] data into the
 * caller's memory (top level) and heap memory below it (CoTaskMemAlloc's, also when the
 * client is called from inside a server call), all or nothing.
 *
 * Correlation (size_is, length_is, switch_is naming other parameters or members): the
 * conformance and variance on the wire size what is allocated; the attribute's value is
 * checked against them once it is known (after every [in] parameter is pulled for
 * parameters, where the member is for structures).  The server snapshots the counts of
 * the [out] arrays it allocates and refuses to push more than that, whatever the
 * implementation did to an [in, out] count; the client refuses a response larger than
 * the caller's [out] buffer, sized from its [in] arguments before the call.
 *
 * Object interfaces: opnums are vtable slots (IUnknown's three are IRemUnknown's and not
 * dispatched); a [local] method with a [call_as] partner follows MIDL's contract (the
 * application writes IFoo_M_Proxy and IFoo_M_Stub, the generator the partner's wire
 * stubs); a [local] method without one answers E_NOTIMPL through a proxy.
 *
 * Refused (a generation error naming the parameter or member, never wrong code):
 * conformant structures inside structures, in arrays, passed [out] by a single pointer
 * or [in, out] by anything but a top-level [ref] one, or varying (the manager may
 * shrink one, not grow it: the server stub refuses to send more than it allocated, the
 * client stub to copy more into the caller's structure than it sent, and copies only
 * once the whole response came); [string] on non-character
 * types; a count through a [unique] parameter; anonymous nested structures and unions (VARIANT's) except a nameless
 * union member with [switch_is] (TYPEDESC's and VARDESC's: its functions take the
 * enclosing structure); a count, or a switch_is formula, naming a later member (a
 * union switched by a later member itself is taken from its discriminant on the wire
 * and checked against the member once pulled); function pointers
 * (except as [ignore] members, which travel as a NULL pointer's 4 bytes, as MIDL's do),
 * bit-fields, [transmit_as], pipes.  At run time: a full pointer repeating the ID of a
 * variable-size referent (aliasing it would need the object before its size is known);
 * a union discriminant naming no arm without a default.
 * __int3264 travels as 32 bits, as MIDL's NDR 2.0 does.
 *
 * Wire notes ([MS-RPCE] 2.2.5.3.4.1 and 2.2.5.3.4.4, as Samba's libndr does it):
 * structures and encapsulated unions start aligned to their largest member and have no
 * trailing pad in NDR 2.0 (that is NDR64's); a non-encapsulated union is its
 * discriminant, aligned to its own type, then the arm, aligned to its own.
 */
#ifndef DCOMIDL_STUBS_INTERNAL_H
#define DCOMIDL_STUBS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "idl.h"

struct scalar {
        const char *push, *pull, *wtype;
        unsigned size; /* wire size = alignment */
};

enum lkind { L_PTR, L_ARRAY, L_STRING, L_DATA };

enum dkind {
        D_SCALAR,       /* base type or enum */
        D_STRUCT,       /* structure or encapsulated union (.sr) */
        D_UNION,        /* non-encapsulated union (.sr, .sw) */
        D_GUID,
        D_FILETIME,
        D_CTX,          /* context handle (parameters only) */
        D_IFACE,        /* interface pointer: the lvalue is the pointer (.iid) */
        D_USER,         /* [wire_marshal]/[user_marshal] type (.uname) */
        D_HANDLE,       /* handle_t: no wire form */
        D_IGNORE,       /* an [ignore] member: a pointer that travels as NULL (4 bytes) */
};

struct sreg;

struct level {
        enum lkind kind;
        /* L_PTR */
        enum idl_ptr_kind ptr;
        bool top;                       /* top-level [ref]: no wire form */
        bool var_size;                  /* full pointer to a variable-size referent */
        /* L_ARRAY, L_STRING */
        struct idl_expr *fixed;         /* [N] */
        struct idl_expr *size_is, *max_is, *length_is, *first_is, *last_is;
        bool conformant, varying;
        bool hoisted;                   /* a conformant structure's last member */
        bool wide;                      /* L_STRING */
        /* L_DATA */
        enum dkind dk;
        struct idl_type *type;          /* as declared (for C names) */
        struct sreg *sr;
        struct idl_expr *sw;            /* D_UNION: switch_is */
        bool sw_later;                  /* D_UNION member: switch_is names a later member */
        struct idl_expr *iid_is;        /* D_IFACE: iid_is, else .iface */
        struct idl_iface *iface;
        const char *uname;              /* D_USER: the typedef's name */
        unsigned ualign;                /* D_USER: its wire type's alignment (0: unknown) */
        bool range;
        int64_t lo, hi;
};

#define MAX_LEVELS 16

struct levels {
        struct level l[MAX_LEVELS];
        int n;
        struct idl_field *f;
};

/* A structure or union with its push/pull functions. */
struct sreg {
        struct idl_type *st;            /* the resolved type */
        char cname[160];                /* C name: the typedef, or struct/union tag */
        char fname[160];                /* ndr_push_<fname> / ndr_pull_<fname> */
        struct idl_type *switch_type;   /* non-encapsulated union: [switch_type] */
        int state;                      /* 0 new, 1 being registered, 2 done */
        bool ok;
        bool deferred;                  /* has a NDR_BUFFERS part */
        bool conformant;                /* last member a conformant array */
        bool flat;                      /* no pointers at all (used for tags) */
        bool free_out;                  /* a server stub walks it: ndr_free_out_<fname> */
        bool hot;                       /* ORPCTHAT: every call of every method marshals
                                           one -- its functions declared inline */
        unsigned align;
        struct levels *members;         /* one per field (NULL entries for empty arms) */
        size_t n_members;
};

#define MAX_STRUCTS 512

struct gen {
        struct idl_ctx *ctx;
        FILE *f;
        struct idl_iface *ifc;
        char prefix[256];               /* Foo_v1_0 */
        struct sreg *structs[MAX_STRUCTS];
        size_t n_structs;
        struct idl_type *pickles[MAX_STRUCTS];  /* [encode, decode] typedefs */
        size_t n_pickles;
        int errors;
        /* while registering a structure's nameless union member: the structure (the
           union's functions take it, as C reaches the arms through it) and the member's
           index */
        struct sreg *anon_parent;
        size_t anon_index;
        struct idl_attr *anon_attrs;    /* the member's attributes ([switch_type]) */
};


enum side { SIDE_TYPE, SIDE_SERVER, SIDE_CLIENT };
enum mode { M_INLINE, M_ALLOC, M_INPLACE };

struct em {
        struct gen *g;
        const struct levels *L;
        const char *ndr;                /* the cursor variable */
        const char *prefix;             /* identifiers in attribute expressions */
        enum side side;
        const char *pname;              /* parameter name: function-scope count variables */
        int loops;                      /* nesting of element loops */
        int behind;                     /* nesting below non-top pointers (may be NULL) */
        bool strict;                    /* client [out] buffer whose size the server returns */
        bool alias;                     /* server [in]-only parameter: may point into the request */
        FILE *checks;                   /* parameters: correlation checks after the last pull */
        bool keep_going;                /* server response: a failure poisons the push, no
                                           return (what the object returned is freed after) */
        const char *cap;                /* emit_free: a top-level array's allocated elements */
        bool keep_member;               /* emit_free: a member's own pointer only walked (its
                                           structure's walker frees it after all the walks) */
};

#define MAX_PARAMS 64

struct param {
        struct idl_field *f;
        struct levels L;
        bool handle;            /* handle_t by value: not on the wire */
        bool ctx;               /* context handle: level 0 by value, level 1 behind [ref] */
        bool top_array;         /* [ref] pointer to an array or sized string (level 1) */
};

struct method {
        struct idl_func *fn;
        struct param ps[MAX_PARAMS];
        size_t n;
        bool ret;               /* a non-void return value */
        struct idl_type *rtype;
        unsigned opnum;
        bool object;            /* object interface: ORPCTHIS/ORPCTHAT, HRESULT */
        struct idl_func *local; /* [call_as(local)]: the [local] method this is the wire form of */
};

#define FOR_OBJ_METHODS(ifc, s)                                                                    \
        for (struct idl_stmt *s = (ifc)->stmts; s; s = s->next)                                    \
                if (s->kind == STMT_FUNC && s->func && !idl_attr_find(s->func->attrs, "call_as"))

#define FOR_METHODS(ifc, s)                                                                        \
        for (struct idl_stmt *s = (ifc)->stmts; s; s = s->next)                                    \
                if (s->kind == STMT_FUNC && s->func && !idl_attr_find(s->func->attrs, "local"))

/* stubs-types.c */
char *fmt(struct gen *g, const char *f, ...) __attribute__((format(printf, 2, 3)));
void out(struct gen *g, int ind, const char *f, ...) __attribute__((format(printf, 3, 4)));
bool scalar_info(struct idl_type *type, struct scalar *s);
bool is_basic(struct idl_type *t, enum idl_basic b);
char *num_str(struct gen *g, const struct idl_expr *e, const char *prefix);
char *expr_str(struct gen *g, const struct idl_expr *e, const char *prefix);
void print_decl(FILE *f, struct idl_type *t, const char *name);
void print_local(FILE *f, struct idl_type *t, const char *name);
void gen_error(struct gen *g, const struct idl_loc *loc, const char *what, const char *name,
               const char *why);
bool level_has_size(const struct level *l);
bool build_levels(struct gen *g, struct idl_field *f, bool param, struct levels *L);
unsigned level_align(struct gen *g, const struct levels *L, int i);
bool level_deferred(const struct levels *L, int i);
unsigned elem_wire_size(struct gen *g, const struct levels *L, int i);
bool level_exprs_ok(struct gen *g, const struct levels *L);
struct sreg *struct_register(struct gen *g, struct idl_type *type);

/* stubs-ndr.c */
char *count_expr64(struct em *e, const struct level *l);
char *conf_struct_count(struct gen *g, const struct sreg *sr, const char *v);
bool inout_conf_struct(const struct param *p);
void array_range(struct em *e, const struct level *l, char **ret_first, char **ret_len);
bool next_is_array(const struct levels *L, int i);
void emit_push(struct em *e, int i, const char *v, bool prim, bool def, int ind);
bool later(const struct em *e);
void emit_pull(struct em *e, int i, const char *v, bool prim, bool def, int ind,
               enum mode m);
void write_type_funcs(struct gen *g);
bool free_walk_needed(const struct levels *L, int i);
void free_walk_mark(const struct levels *L, int i);
bool levels_have_array(const struct levels *L);
void emit_free(struct em *e, int i, const char *v, int ind);

/* stubs-method.c */
bool method_build(struct gen *g, struct idl_func *fn, struct method *m, bool object);
bool size_names_out(struct method *m, const struct level *l);
void declare_counts(struct gen *g, const struct param *p);
void print_params(struct gen *g, const struct method *m, bool skip_handles);
void print_ret_param(struct gen *g, const struct method *m);

/* stubs-rpc.c */
void print_client_proto(struct gen *g, const struct method *m);
const char *ctx_rundown(struct gen *g, const struct param *p);
void write_server_method(struct gen *g, struct method *m);
void print_proxy_proto(struct gen *g, const struct method *m, const char *mname);
void write_client_method(struct gen *g, struct method *m);
void write_iid_consts(struct gen *g);
void write_client(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                  struct method *m);
void write_server(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                  struct method *m);

/* stubs-proxy.c */
struct sreg *orpc_type(struct gen *g, const char *name);
bool is_obj_iface(struct idl_stmt *s);
struct idl_func *call_as_of(struct idl_iface *i, struct idl_func *local);
bool is_local_fn(struct idl_func *fn);
bool build_obj_iface(struct gen *g, struct idl_iface *ifc, struct method *m);
void method_signature(struct gen *g, struct idl_func *fn, struct method *m);
void write_proxy(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                 struct method *m);

/* stubs.c */
bool is_rpc_iface(struct idl_stmt *s);
void set_prefix(struct gen *g, struct idl_iface *ifc);
void write_pickles(struct gen *g);
void write_guid(FILE *f, const struct idl_guid *u);
unsigned count_methods(struct idl_iface *ifc);
void write_prologue(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                    const char *what, const char *body);

#endif /* DCOMIDL_STUBS_INTERNAL_H */
