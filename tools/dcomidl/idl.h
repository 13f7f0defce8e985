/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's private header: the abstract syntax tree that the parser (parser.y) builds,
 * the semantic pass (check.c) resolves and the back ends (header.c, and the stub and
 * proxy generators of phase 2) walk.
 *
 * Everything lives in one arena owned by struct idl_ctx and dies with it.  After
 * idl_check() succeeds:
 *   - every TYPE_NAMEREF has been replaced by what it names (types are shared nodes);
 *   - struct idl_field.dir is set on parameters, struct idl_type.ptr_kind on every
 *     pointer reached from a parameter, member or typedef (ref/unique/ptr from the
 *     attributes, the interface's pointer_default, or "top-level is ref");
 *   - interfaces have .base resolved, .n_methods counting inherited ones and each
 *     method its opnum.
 * idl_type_resolve() strips typedef aliases when a back end needs the real shape.
 */
#ifndef DCOMIDL_IDL_H
#define DCOMIDL_IDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct idl_loc {
        const char *file;       /* original file from the cpp line markers */
        int line, col;
};

/* --- expressions ------------------------------------------------------------------- */

enum idl_expr_kind {
        EXPR_NUM,               /* .num (text kept in .str for exact reprint) */
        EXPR_FLOAT,             /* .str */
        EXPR_STRING,            /* .str, without quotes, escapes kept */
        EXPR_WSTRING,           /* L"..." */
        EXPR_CHAR,              /* 'x': .str is the quoted text */
        EXPR_IDENT,             /* .str */
        EXPR_UUID,              /* bare uuid in an attribute: .str */
        EXPR_TYPE,              /* a type as an attribute argument: .type */
        EXPR_UNARY,             /* .op: '-', '+', '~', '!', '*', '&' */
        EXPR_BINARY,            /* .op: one char, or 'L' <<, 'R' >>, 'E' ==, 'N' !=,
                                   'l' <=, 'g' >=, 'A' &&, 'O' ||, '.' and 'P' -> */
        EXPR_TERNARY,
        EXPR_PAREN,
        EXPR_CAST,              /* (.type) .a */
        EXPR_SIZEOF,            /* sizeof(.type) */
        EXPR_INDEX,             /* .a[.b] */
        EXPR_EMPTY,             /* an omitted argument: size_is(, n) */
};

struct idl_expr {
        enum idl_expr_kind kind;
        int op;
        uint64_t num;
        const char *str;
        struct idl_expr *a, *b, *c;
        struct idl_type *type;
        struct idl_loc loc;
};

/* --- attributes --------------------------------------------------------------------- */

struct idl_attr {
        const char *name;       /* as written: "size_is", "helpstring", "foo" */
        struct idl_expr **args; /* NULL-free array of n_args; EXPR_EMPTY for holes */
        size_t n_args;
        bool has_parens;
        struct idl_loc loc;
        struct idl_attr *next;
};

/* --- types -------------------------------------------------------------------------- */

enum idl_basic {
        BASIC_BOOLEAN, BASIC_BYTE, BASIC_CHAR, BASIC_SMALL, BASIC_SHORT, BASIC_INT,
        BASIC_LONG, BASIC_HYPER, BASIC_INT3264, BASIC_INT64, BASIC_FLOAT, BASIC_DOUBLE,
        BASIC_WCHAR, BASIC_HANDLE, BASIC_ERROR_STATUS,
};

enum idl_sign { SIGN_NONE, SIGN_SIGNED, SIGN_UNSIGNED };

enum idl_type_kind {
        TYPE_VOID,
        TYPE_BASIC,             /* .basic, .sign */
        TYPE_ENUM,              /* .name = tag (may be NULL), .fields = constants */
        TYPE_STRUCT,            /* .fields */
        TYPE_UNION,             /* non-encapsulated: arms in .fields with .cases */
        TYPE_ENCAP_UNION,       /* .switch_field (discriminant), .fields, .union_name */
        TYPE_POINTER,           /* .ref, .ptr_kind */
        TYPE_ARRAY,             /* .ref, .size (NULL: conformant [] or [*]) */
        TYPE_FUNCTION,          /* .ref = return type, .fields = parameters */
        TYPE_ALIAS,             /* typedef: .name, .ref = target, .attrs of the typedef */
        TYPE_INTERFACE,         /* .iface */
        TYPE_COCLASS,           /* .iface (coclass node) */
        TYPE_NAMEREF,           /* unresolved name (before idl_check) */
};

enum idl_ptr_kind { PTR_NONE, PTR_REF, PTR_UNIQUE, PTR_FULL };

enum idl_dir { DIR_NONE, DIR_IN = 1, DIR_OUT = 2, DIR_INOUT = 3 };

struct idl_field;
struct idl_iface;

struct idl_type {
        enum idl_type_kind kind;
        const char *name;               /* tag, typedef or interface name */
        enum idl_basic basic;
        enum idl_sign sign;
        bool is_const;
        bool defined;                   /* struct/union/enum body seen */
        bool builtin;                   /* predefined (dcom/types.h), emits nothing */
        bool imported;                  /* declared in an imported file */
        bool emitted;                   /* header.c bookkeeping */
        bool checked;                   /* check.c bookkeeping */
        enum idl_ptr_kind ptr_kind;
        struct idl_type *ref;
        struct idl_type *sa_elem;       /* SAFEARRAY(T): T, on the TYPE_POINTER node */
        struct idl_expr *size;
        struct idl_field *fields;       /* members, arms, enum constants, params */
        struct idl_field *switch_field; /* encapsulated union discriminant */
        const char *union_name;         /* encapsulated union member name */
        struct idl_attr *attrs;
        struct idl_iface *iface;
        struct idl_loc loc;
};

struct idl_field {
        const char *name;               /* NULL for unnamed params, empty arms */
        struct idl_type *type;          /* NULL for an empty union arm */
        struct idl_attr *attrs;
        struct idl_expr *value;         /* enum constant value (NULL: previous + 1) */
        struct idl_expr *bits;          /* bit-field width, or NULL */
        int64_t ival;                   /* enum constant: evaluated value */
        bool ival_known;
        struct idl_expr **cases;        /* union arm labels (encapsulated or [case]) */
        size_t n_cases;
        bool is_default;
        enum idl_dir dir;               /* parameters */
        struct idl_loc loc;
        struct idl_field *next;
};

/* --- declarations ------------------------------------------------------------------- */

struct idl_func {
        const char *name;
        struct idl_type *type;          /* TYPE_FUNCTION */
        struct idl_attr *attrs;
        unsigned opnum;
        struct idl_loc loc;
};

enum idl_stmt_kind {
        STMT_IMPORT,            /* .text = file as written */
        STMT_IMPORTLIB,
        STMT_TYPEDEF,           /* .type = TYPE_ALIAS nodes in .decls */
        STMT_TYPE,              /* struct/union/enum declaration on its own: .type */
        STMT_CONST,             /* .name, .type, .expr */
        STMT_CPP_QUOTE,         /* .text */
        STMT_PRAGMA,            /* midl_pragma warning: .text */
        STMT_INTERFACE,         /* .iface (also dispinterface, coclass, library, module) */
        STMT_IFACE_FWD,         /* interface IFoo; */
        STMT_FUNC,              /* method or function: .func */
        STMT_EXTERN,            /* extern declaration: .name, .type */
};

struct idl_stmt {
        enum idl_stmt_kind kind;
        bool imported;
        const char *name;
        const char *text;
        struct idl_type *type;
        struct idl_type **decls;        /* STMT_TYPEDEF: the aliases it declares */
        size_t n_decls;
        struct idl_expr *expr;
        struct idl_iface *iface;
        struct idl_func *func;
        struct idl_attr *attrs;
        struct idl_loc loc;
        struct idl_stmt *next;
};

enum idl_iface_kind { IFACE_INTERFACE, IFACE_DISPINTERFACE, IFACE_COCLASS, IFACE_LIBRARY,
                      IFACE_MODULE };

struct idl_guid {
        uint32_t d1;
        uint16_t d2, d3;
        uint8_t d4[8];
};

struct idl_iface {
        enum idl_iface_kind kind;
        const char *name;
        struct idl_attr *attrs;
        bool has_uuid;
        struct idl_guid uuid;
        struct idl_loc uuid_loc;
        unsigned ver_major, ver_minor;
        bool is_object, is_local, defined, imported;
        enum idl_ptr_kind pointer_default;      /* PTR_NONE: not given (unique) */
        const char *base_name;
        struct idl_loc base_loc;
        struct idl_iface *base;
        struct idl_type *type;                  /* the TYPE_INTERFACE node */
        struct idl_stmt *stmts;                 /* body (methods, types, coclass refs);
                                                   dispinterface properties are in
                                                   type->fields */
        unsigned n_methods;                     /* including inherited */
        struct idl_loc loc;
};

/* --- context ------------------------------------------------------------------------ */

struct idl_sym {
        const char *name;
        int kind;               /* 0 type, 1 const/enum value, 2 coclass, 3 imported file,
                                   4 struct/union/enum tag, 5 uuid, 6 header.c's
                                   forward declaration written */
        struct idl_type *type;
        struct idl_stmt *stmt;
        struct idl_loc loc;
        struct idl_sym *next;
};

#define IDL_SYM_BUCKETS 1024

struct idl_ctx {
        struct idl_chunk *arena;
        struct idl_stmt *stmts, **stmts_tail;   /* top level, imports included */
        struct idl_sym *syms[IDL_SYM_BUCKETS];
        /* preprocessing and imports */
        const char **incdirs;
        size_t n_incdirs;
        const char **defines;
        size_t n_defines;
        const char *cpp;                        /* preprocessor command */
        const char **deps;                      /* every file read, for --depfile */
        size_t n_deps, cap_deps;
        int import_depth;
        int errors;
        FILE *err;                              /* where diagnostics go (stderr) */
        bool no_cpp_imports;                    /* fuzzer: imports are not followed */
        /* --status-stubs: client stubs return a status (int Foo_M(handle_t, ..., RET *)),
           no MIDL-shaped procedures, no default manager EPV, no <rpc.h> in FILE.h */
        bool status_stubs;
};

/* ast.c */
void idl_ctx_init(struct idl_ctx *ctx);
void idl_ctx_free(struct idl_ctx *ctx);
void *idl_alloc(struct idl_ctx *ctx, size_t size);
char *idl_strdup(struct idl_ctx *ctx, const char *s);
char *idl_strndup(struct idl_ctx *ctx, const char *s, size_t n);
void idl_error(struct idl_ctx *ctx, const struct idl_loc *loc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void idl_note(struct idl_ctx *ctx, const struct idl_loc *loc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
struct idl_type *idl_type_new(struct idl_ctx *ctx, enum idl_type_kind kind,
                              const struct idl_loc *loc);
struct idl_sym *idl_sym_find(struct idl_ctx *ctx, const char *name, int kind);
struct idl_sym *idl_sym_add(struct idl_ctx *ctx, const char *name, int kind,
                            const struct idl_loc *loc);
void idl_add_builtins(struct idl_ctx *ctx);
struct idl_attr *idl_attr_find(struct idl_attr *attrs, const char *name);
struct idl_type *idl_type_resolve(struct idl_type *t);
bool idl_parse_guid(const char *s, struct idl_guid *ret);
void idl_add_dep(struct idl_ctx *ctx, const char *file);

/* parse.c: buffer (already preprocessed) -> statements appended to ctx->stmts */
int idl_parse_buffer(struct idl_ctx *ctx, const char *data, size_t size, const char *name,
                     bool imported);
/* preprocesses path with ctx->cpp, then parses it */
int idl_parse_file(struct idl_ctx *ctx, const char *path, bool imported);
/* import "x.idl" from the parser */
int idl_import(struct idl_ctx *ctx, const char *name, const struct idl_loc *loc);

/* check.c: resolves names and runs the semantic checks; -EINVAL after errors */
int idl_check(struct idl_ctx *ctx);
bool idl_eval(struct idl_ctx *ctx, const struct idl_expr *e, int64_t *ret);

/* acf.c: applies an application configuration file to the parsed (unchecked) IDL;
   -EINVAL after diagnostics.  idl_implicit_handle: the [implicit_handle] global of an
   interface, or NULL. */
int idl_apply_acf(struct idl_ctx *ctx, const char *path);
int idl_apply_acf_buffer(struct idl_ctx *ctx, const char *data, size_t len, const char *name);
const char *idl_implicit_handle(const struct idl_iface *i);

/* header.c */
int idl_write_header(struct idl_ctx *ctx, FILE *f, const char *idl_name, const char *guard);
int idl_write_iid(struct idl_ctx *ctx, FILE *f, const char *idl_name);
/* The vtable name: get_/put_/putref_ for [propget]/[propput]/[propputref] (static buffer). */
const char *idl_method_name(const struct idl_func *fn);

/*
 * typelib.c: the main file's library block as an MSFT type library (midl /tlb, widl -t);
 * -EINVAL, with diagnostics naming the construct, for what it cannot represent.
 */
struct idl_tlb_opts {
        bool win32;                     /* SYS_WIN32 (4-byte pointers); else SYS_WIN64 */
};
int idl_write_typelib(struct idl_ctx *ctx, FILE *f, const struct idl_tlb_opts *opts);

/*
 * stubs.c: NDR stubs for the main file's interfaces: FILE_stub.h (EPVs, client, proxy and
 * stub prototypes; it includes header), FILE_c.c and FILE_s.c for RPC interfaces,
 * FILE_p.c for object interfaces (they include stub_header).  -EINVAL, with
 * diagnostics, for constructs it cannot generate.
 */
enum idl_stub_output { IDL_STUB_HEADER, IDL_STUB_CLIENT, IDL_STUB_SERVER, IDL_STUB_PROXY };
/* What the main file defines: RPC (non-object) interfaces, remotable object interfaces. */
void idl_stub_kinds(struct idl_ctx *ctx, bool *rpc, bool *object);
/* The same checks alone, before any output is opened. */
int idl_check_stubs(struct idl_ctx *ctx);
int idl_write_stubs(struct idl_ctx *ctx, FILE *f, enum idl_stub_output which, const char *idl_name,
                    const char *header, const char *stub_header);
/* FILE of FILE.idl as a C identifier: FILE_p.c's table is FILE_ProxyFileInfo. */
void idl_proxy_file_name(const char *idl_name, char *buf, size_t size);

#endif /* DCOMIDL_IDL_H */
