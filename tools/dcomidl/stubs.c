/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end: NDR 2.0 stubs as straight-line C calling src/ndr through the
 * seam in src/ndr/ndr-stub.h.  For plain RPC interfaces FILE_stub.h (entry point
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
 * caller's memory (top level) and midl_user_allocate() memory below it, all or nothing.
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
 * conformant structures inside structures, in arrays or passed [out]/[in, out] by a
 * single pointer; [string] on non-character types; a count through a [unique]
 * parameter; anonymous nested structures and unions (VARIANT's); function pointers
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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

/* --- small things ---------------------------------------------------------------------- */

static char *fmt(struct gen *g, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct gen *g, const char *f, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, f);
        if (vasprintf(&s, f, ap) < 0)
                abort();
        va_end(ap);
        char *r = idl_strdup(g->ctx, s);
        free(s);
        return r;
}

static void out(struct gen *g, int ind, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void out(struct gen *g, int ind, const char *f, ...) {
        va_list ap;

        fprintf(g->f, "%*s", ind * 8, "");
        va_start(ap, f);
        vfprintf(g->f, f, ap);
        va_end(ap);
}

static bool is_v1_enum(struct idl_type *t) {
        for (int guard = 0; t && guard < 100; guard++) {
                if (idl_attr_find(t->attrs, "v1_enum"))
                        return true;
                if (t->kind != TYPE_ALIAS && t->kind != TYPE_NAMEREF && t->kind != TYPE_ENUM)
                        return false;
                t = t->ref;
        }
        return false;
}

static bool scalar_info(struct idl_type *type, struct scalar *s) {
        struct idl_type *t = idl_type_resolve(type);
        bool u;

        if (!t)
                return false;
        if (t->kind == TYPE_ENUM) {
                if (is_v1_enum(type))
                        *s = (struct scalar){"ndr_push_v1_enum", "ndr_pull_v1_enum", "uint32_t", 4};
                else
                        *s = (struct scalar){"ndr_push_enum16", "ndr_pull_enum16", "uint32_t", 2};
                return true;
        }
        if (t->kind != TYPE_BASIC)
                return false;
        u = t->sign == SIGN_UNSIGNED;
        switch (t->basic) {
        case BASIC_BOOLEAN:
                *s = (struct scalar){"ndr_push_boolean", "ndr_pull_boolean", "bool", 1};
                return true;
        case BASIC_BYTE:
        case BASIC_CHAR:
                *s = (struct scalar){"ndr_push_uint8", "ndr_pull_uint8", "uint8_t", 1};
                return true;
        case BASIC_SMALL:
                *s = u ? (struct scalar){"ndr_push_uint8", "ndr_pull_uint8", "uint8_t", 1}
                       : (struct scalar){"ndr_push_int8", "ndr_pull_int8", "int8_t", 1};
                return true;
        case BASIC_SHORT:
                *s = u ? (struct scalar){"ndr_push_uint16", "ndr_pull_uint16", "uint16_t", 2}
                       : (struct scalar){"ndr_push_int16", "ndr_pull_int16", "int16_t", 2};
                return true;
        case BASIC_WCHAR:
                *s = (struct scalar){"ndr_push_uint16", "ndr_pull_uint16", "uint16_t", 2};
                return true;
        case BASIC_INT:
        case BASIC_LONG:
                *s = u ? (struct scalar){"ndr_push_uint32", "ndr_pull_uint32", "uint32_t", 4}
                       : (struct scalar){"ndr_push_int32", "ndr_pull_int32", "int32_t", 4};
                return true;
        case BASIC_ERROR_STATUS:
                *s = (struct scalar){"ndr_push_uint32", "ndr_pull_uint32", "uint32_t", 4};
                return true;
        case BASIC_INT3264:
                /* NDR 2.0 sends __int3264 (LONG_PTR, WPARAM) as 32 bits, as MIDL does */
                *s = u ? (struct scalar){"ndr_push_uint32", "ndr_pull_uint32", "uint32_t", 4}
                       : (struct scalar){"ndr_push_int32", "ndr_pull_int32", "int32_t", 4};
                return true;
        case BASIC_HYPER:
        case BASIC_INT64:
                *s = (struct scalar){"ndr_push_hyper", "ndr_pull_hyper", "uint64_t", 8};
                return true;
        case BASIC_FLOAT:
                *s = (struct scalar){"ndr_push_float", "ndr_pull_float", "float", 4};
                return true;
        case BASIC_DOUBLE:
                *s = (struct scalar){"ndr_push_double", "ndr_pull_double", "double", 8};
                return true;
        default:
                return false;
        }
}

static bool is_basic(struct idl_type *t, enum idl_basic b) {
        t = idl_type_resolve(t);
        return t && t->kind == TYPE_BASIC && t->basic == b;
}

static const char *basic_name(const struct idl_type *t) {
        bool u = t->sign == SIGN_UNSIGNED;
        switch (t->basic) {
        case BASIC_BOOLEAN:
                return "unsigned char";
        case BASIC_BYTE:
                return "BYTE";
        case BASIC_CHAR:
                return u ? "unsigned char" : t->sign == SIGN_SIGNED ? "signed char" : "char";
        case BASIC_SMALL:
                return u ? "unsigned char" : "signed char";
        case BASIC_SHORT:
                return u ? "unsigned short" : "short";
        case BASIC_INT:
                return u ? "unsigned int" : "int";
        case BASIC_LONG:
                return u ? "ULONG" : "LONG";
        case BASIC_HYPER:
        case BASIC_INT64:
                return u ? "uint64_t" : "int64_t";
        case BASIC_INT3264:
                return u ? "uintptr_t" : "intptr_t";
        case BASIC_FLOAT:
                return "float";
        case BASIC_DOUBLE:
                return "double";
        case BASIC_WCHAR:
                return "WCHAR";
        case BASIC_HANDLE:
                return "handle_t";
        case BASIC_ERROR_STATUS:
                return "error_status_t";
        }
        return "int";
}

static const char *binop(int op) {
        switch (op) {
        case 'L': return "<<";
        case 'R': return ">>";
        case 'E': return "==";
        case 'N': return "!=";
        case 'l': return "<=";
        case 'g': return ">=";
        case 'A': return "&&";
        case 'O': return "||";
        case '+': return "+";
        case '-': return "-";
        case '*': return "*";
        case '/': return "/";
        case '%': return "%";
        case '&': return "&";
        case '|': return "|";
        case '^': return "^";
        case '<': return "<";
        case '>': return ">";
        }
        return NULL;
}

static void print_decl(FILE *f, struct idl_type *t, const char *name);

/*
 * Attribute expressions (size_is and friends) in C: identifiers get `prefix` ("r->"
 * inside a structure function, "" for parameters, which are C variables on both sides).
 */
/* Set while printing a count or discriminant: operands are widened to 64 bits so that
   (size + 7) & ~7 cannot wrap to a small count on a hostile size. */
static bool expr_wide;

static bool print_expr(FILE *f, const struct idl_expr *e, const char *prefix) {
        if (!e)
                return false;
        switch (e->kind) {
        case EXPR_NUM:
                fprintf(f, expr_wide ? "((int64_t)%s)" : "%s", e->str);
                return true;
        case EXPR_IDENT:
                fprintf(f, expr_wide ? "((int64_t)%s%s)" : "%s%s", prefix, e->str);
                return true;
        case EXPR_UNARY:
                if (!strchr("-+~!*", e->op))
                        return false;
                if (e->op == '*' && expr_wide && e->a && e->a->kind == EXPR_IDENT) {
                        fprintf(f, "((int64_t)*%s%s)", prefix, e->a->str);
                        return true;
                }
                fputs("(", f);
                fputc(e->op, f);
                if (!print_expr(f, e->a, prefix))
                        return false;
                fputs(")", f);
                return true;
        case EXPR_BINARY:
                if (!binop(e->op))
                        return false;
                fputc('(', f);
                if (!print_expr(f, e->a, prefix))
                        return false;
                fprintf(f, " %s ", binop(e->op));
                if (!print_expr(f, e->b, prefix))
                        return false;
                fputc(')', f);
                return true;
        case EXPR_TERNARY:
                fputc('(', f);
                if (!print_expr(f, e->a, prefix))
                        return false;
                fputs(" ? ", f);
                if (!print_expr(f, e->b, prefix))
                        return false;
                fputs(" : ", f);
                if (!print_expr(f, e->c, prefix))
                        return false;
                fputc(')', f);
                return true;
        case EXPR_PAREN:
                return print_expr(f, e->a, prefix);
        case EXPR_SIZEOF:       /* of a type: the C type has the IDL type's size */
                if (!e->type)
                        return false;
                fputs("sizeof(", f);
                print_decl(f, e->type, "");
                fputc(')', f);
                return true;
        case EXPR_CAST:
                if (!e->type)
                        return false;
                fputs("((", f);
                print_decl(f, e->type, "");
                fputs(")", f);
                if (!print_expr(f, e->a, prefix))
                        return false;
                fputc(')', f);
                return true;
        default:
                return false;
        }
}

static char *expr_str(struct gen *g, const struct idl_expr *e, const char *prefix);

/* A count, length or discriminant expression, evaluated in 64 bits. */
static char *num_str(struct gen *g, const struct idl_expr *e, const char *prefix) {
        expr_wide = true;
        char *r = expr_str(g, e, prefix);
        expr_wide = false;
        return r;
}

static char *expr_str(struct gen *g, const struct idl_expr *e, const char *prefix) {
        char *buf = NULL;
        size_t len = 0;
        FILE *s = open_memstream(&buf, &len);
        if (!s)
                abort();
        bool ok = print_expr(s, e, prefix);
        fclose(s);
        char *r = ok ? idl_strdup(g->ctx, buf) : NULL;
        free(buf);
        return r;
}



/* Set while printing a local the stub fills in (const stripped). */
static bool no_const;

static void print_spec(FILE *f, struct idl_type *t) {
        if (t->is_const && !no_const)
                fputs("const ", f);
        switch (t->kind) {
        case TYPE_VOID:
                fputs("void", f);
                break;
        case TYPE_BASIC:
                fputs(basic_name(t), f);
                break;
        case TYPE_NAMEREF:
                if (t->ref)
                        print_spec(f, t->ref);
                else
                        fputs(t->name, f);
                break;
        case TYPE_ALIAS:
        case TYPE_INTERFACE:
                fputs(t->name, f);
                break;
        case TYPE_ENUM:
                fprintf(f, "enum %s", t->name ? t->name : "");
                break;
        case TYPE_STRUCT:
                fprintf(f, "struct %s", t->name ? t->name : "");
                break;
        case TYPE_UNION:
        case TYPE_ENCAP_UNION:
                fprintf(f, "union %s", t->name ? t->name : "");
                break;
        default:
                fputs("void", f);
                break;
        }
}

/* A declaration of name with type t (pointers and arrays of a named or basic type). */
static void print_decl(FILE *f, struct idl_type *t, const char *name) {
        char *cur = strdup(name ? name : "");
        bool last_ptr = false;

        for (int n = 0; cur && t && n < 64 && (t->kind == TYPE_POINTER || t->kind == TYPE_ARRAY);
             n++, t = t->ref) {
                char *nbuf = NULL;
                size_t nlen = 0;
                FILE *s = open_memstream(&nbuf, &nlen);
                if (!s)
                        abort();
                if (t->kind == TYPE_POINTER) {
                        fprintf(s, "*%s%s", t->is_const && !no_const ? "const " : "", cur);
                        last_ptr = true;
                } else {
                        fprintf(s, last_ptr ? "(%s)[" : "%s[", cur);
                        bool w = expr_wide;
                        expr_wide = false;
                        if (t->size)
                                print_expr(s, t->size, "");
                        expr_wide = w;
                        fputc(']', s);
                        last_ptr = false;
                }
                fclose(s);
                free(cur);
                cur = nbuf;
        }
        if (!cur)
                abort();
        if (t)
                print_spec(f, t);
        if (*cur)
                fprintf(f, " %s", cur);
        free(cur);
}

/* A local that holds a parameter: arrays decay to pointers, const stripped. */
static void print_local(FILE *f, struct idl_type *t, const char *name) {
        struct idl_type *r = t;
        while (r && r->kind == TYPE_NAMEREF && r->ref)
                r = r->ref;
        no_const = true;
        /* a typedef'd pointer (REFIID) is spelled out so that const can go */
        if (r && r->kind == TYPE_ALIAS && !idl_attr_find(r->attrs, "context_handle") &&
            !idl_attr_find(r->attrs, "wire_marshal") && !idl_attr_find(r->attrs, "user_marshal") &&
            idl_type_resolve(r) && idl_type_resolve(r)->kind == TYPE_POINTER)
                r = idl_type_resolve(r);
        if (r && r->kind == TYPE_POINTER) {
                print_decl(f, r, name);
        } else if (r && r->kind == TYPE_ARRAY) {
                char buf[300];
                snprintf(buf, sizeof buf, "*%s", name);
                print_decl(f, r->ref, buf);
        } else {
                print_decl(f, t, name);
        }
        no_const = false;
}

static struct idl_attr *fattr(struct idl_attr *attrs, const char *name) {
        return idl_attr_find(attrs, name);
}

/* Argument k of attribute `name` (NULL if absent or a hole). */
static struct idl_expr *attr_argk(struct idl_attr *attrs, const char *name, unsigned k) {
        struct idl_attr *a = idl_attr_find(attrs, name);
        if (!a || a->n_args <= k || a->args[k]->kind == EXPR_EMPTY)
                return NULL;
        return a->args[k];
}

static bool is_char_type(struct idl_type *t, bool *wide) {
        if (is_basic(t, BASIC_CHAR) || is_basic(t, BASIC_BYTE)) {
                *wide = false;
                return true;
        }
        if (is_basic(t, BASIC_WCHAR)) {
                *wide = true;
                return true;
        }
        return false;
}

static enum idl_ptr_kind ptr_attr(struct idl_attr *attrs) {
        if (idl_attr_find(attrs, "ref"))
                return PTR_REF;
        if (idl_attr_find(attrs, "unique"))
                return PTR_UNIQUE;
        if (idl_attr_find(attrs, "ptr"))
                return PTR_FULL;
        return PTR_NONE;
}

static void gen_error(struct gen *g, const struct idl_loc *loc, const char *what, const char *name,
                      const char *why) {
        idl_error(g->ctx, loc, "stubs: %s '%s': %s", what, name ? name : "?", why);
        g->errors++;
}

/* --- levels ---------------------------------------------------------------------------- */

static struct sreg *struct_register(struct gen *g, struct idl_type *type);

static bool is_composite(struct idl_type *t) {
        t = idl_type_resolve(t);
        return t && (t->kind == TYPE_STRUCT || t->kind == TYPE_UNION ||
                     t->kind == TYPE_ENCAP_UNION);
}

static bool level_has_size(const struct level *l) {
        return l->size_is || l->max_is;
}

/*
 * The levels of a parameter (param: top-level rules), member or arm.  Returns false
 * after reporting why it cannot be marshaled.
 */
/*
 * A [wire_marshal(W)] type's alignment on the wire when W is a pointer (4: its referent
 * ID comes first, the routines put the rest in the deferred part) -- BSTR and VARIANT
 * ([MS-OAUT] 2.2.23.2, 2.2.29.2) -- or 0 when it is not known here.
 */
static unsigned user_wire_align(struct gen *g, struct idl_type *t) {
        struct idl_attr *a = idl_attr_find(t->attrs, "wire_marshal");
        if (!a || a->n_args != 1 || !a->args[0] || a->args[0]->kind != EXPR_IDENT)
                return 0;
        struct idl_sym *s = idl_sym_find(g->ctx, a->args[0]->str, 0);   /* a type */
        struct idl_type *w = s ? idl_type_resolve(s->type) : NULL;
        return w && w->kind == TYPE_POINTER ? 4 : 0;
}

/* Whether t is, through typedefs, a [wire_marshal]/[user_marshal] type. */
static bool aliases_user_type(struct idl_type *t) {
        for (int guard = 0; t && guard < 64; guard++, t = t->ref) {
                if (t->kind == TYPE_NAMEREF)
                        continue;
                if (t->kind != TYPE_ALIAS)
                        return false;
                if (idl_attr_find(t->attrs, "wire_marshal") || idl_attr_find(t->attrs, "user_marshal"))
                        return true;
        }
        return false;
}

static bool build_levels(struct gen *g, struct idl_field *f, bool param, struct levels *L) {
        struct idl_attr *fa = f->attrs;
        struct idl_type *t = f->type;
        const char *what = param ? "parameter" : "member";
        bool string = fattr(fa, "string") != NULL;
        bool string_done = false;
        enum idl_ptr_kind alias_ptr = PTR_NONE;
        unsigned dim = 0;
        int npointers = 0;

        memset(L, 0, sizeof *L);
        L->f = f;
        if (f->bits) {
                gen_error(g, &f->loc, what, f->name, "bit-fields have no NDR form");
                return false;
        }
        /* MIDL's [ignore]: a member pointer (even a function pointer, as EXCEPINFO's) whose
           referent is not transmitted; its slot is, always NULL */
        if (!param && fattr(fa, "ignore")) {
                struct idl_type *r = idl_type_resolve(t);
                if (!r || r->kind != TYPE_POINTER) {
                        gen_error(g, &f->loc, what, f->name, "[ignore] needs a pointer");
                        return false;
                }
                L->l[0].kind = L_DATA;
                L->l[0].dk = D_IGNORE;
                L->l[0].type = t;
                L->n = 1;
                return true;
        }
        for (int guard = 0; t && guard < 64; guard++) {
                struct level *l;

                if (L->n >= MAX_LEVELS - 2) {
                        gen_error(g, &f->loc, what, f->name, "declarator too deep");
                        return false;
                }
                l = &L->l[L->n];
                if (t->kind == TYPE_NAMEREF) {
                        t = t->ref;
                        continue;
                }
                if (t->kind == TYPE_ALIAS) {
                        if (idl_attr_find(t->attrs, "context_handle")) {
                                l->kind = L_DATA;
                                l->dk = D_CTX;
                                l->type = t;
                                L->n++;
                                break;
                        }
                        if (idl_attr_find(t->attrs, "wire_marshal") ||
                            idl_attr_find(t->attrs, "user_marshal")) {
                                l->kind = L_DATA;
                                l->dk = D_USER;
                                l->type = t;
                                l->uname = t->name;
                                l->ualign = user_wire_align(g, t);
                                L->n++;
                                break;
                        }
                        if (idl_attr_find(t->attrs, "transmit_as") ||
                            idl_attr_find(t->attrs, "represent_as")) {
                                gen_error(g, &f->loc, what, f->name,
                                          "[transmit_as]/[represent_as] types are not supported");
                                return false;
                        }
                        /* an alias of a [wire_marshal] type (VARIANTARG of VARIANT) is
                           marshaled as that type */
                        if (aliases_user_type(t->ref)) {
                                t = t->ref;
                                continue;
                        }
                        struct idl_type *r = idl_type_resolve(t);
                        if (r && (r->kind == TYPE_POINTER || r->kind == TYPE_ARRAY)) {
                                enum idl_ptr_kind k = ptr_attr(t->attrs);
                                if (k != PTR_NONE)
                                        alias_ptr = k;
                                if (idl_attr_find(t->attrs, "string"))
                                        string = true;
                                t = t->ref;
                                continue;
                        }
                        /* a named composite or scalar: the data level keeps the alias */
                        l->type = t;
                        t = r;
                        goto data;
                }
                if (t->kind == TYPE_POINTER) {
                        struct idl_type *pointee = idl_type_resolve(t->ref);
                        /* ref/unique/ptr name the first pointer: the parameter or member
                           itself, or an array's elements */
                        bool first = npointers++ == 0;
                        enum idl_ptr_kind k = first ? ptr_attr(fa) : PTR_NONE;

                        if (k == PTR_NONE)
                                k = alias_ptr;
                        alias_ptr = PTR_NONE;
                        if (k == PTR_NONE)
                                k = param && L->n == 0 ? PTR_REF    /* top level */
                                    : t->ptr_kind != PTR_NONE ? t->ptr_kind
                                                              : PTR_UNIQUE;
                        /* interface pointers: the pointer is the data */
                        if (pointee && (pointee->kind == TYPE_INTERFACE ||
                                        (pointee->kind == TYPE_VOID && fattr(fa, "iid_is")))) {
                                l->kind = L_DATA;
                                l->dk = D_IFACE;
                                l->type = t;
                                if (pointee->kind == TYPE_INTERFACE)
                                        l->iface = pointee->iface;
                                l->iid_is = attr_argk(fa, "iid_is", 0);
                                if (!l->iid_is && (!l->iface || !l->iface->has_uuid)) {
                                        gen_error(g, &f->loc, what, f->name,
                                                  "interface pointer without a uuid or [iid_is]");
                                        return false;
                                }
                                L->n++;
                                break;
                        }
                        if (pointee && pointee->kind == TYPE_VOID && fattr(fa, "context_handle")) {
                                l->kind = L_DATA;
                                l->dk = D_CTX;
                                l->type = t;
                                L->n++;
                                break;
                        }
                        if (!pointee || pointee->kind == TYPE_VOID) {
                                gen_error(g, &f->loc, what, f->name,
                                          "void * has no NDR form (use [iid_is] or a type)");
                                return false;
                        }
                        l->kind = L_PTR;
                        l->ptr = k;
                        l->top = param && L->n == 0 && k == PTR_REF;
                        L->n++;
                        struct idl_expr *sz = attr_argk(fa, "size_is", dim);
                        struct idl_expr *mx = attr_argk(fa, "max_is", dim);
                        struct idl_expr *ln = attr_argk(fa, "length_is", dim);
                        struct idl_expr *fi = attr_argk(fa, "first_is", dim);
                        struct idl_expr *la = attr_argk(fa, "last_is", dim);
                        dim++;
                        bool wide;
                        bool is_str = string && !string_done && is_char_type(t->ref, &wide) &&
                                      idl_type_resolve(t->ref)->kind == TYPE_BASIC;
                        if (sz || mx || ln || fi || la || is_str) {
                                struct level *a = &L->l[L->n++];
                                a->kind = is_str ? L_STRING : L_ARRAY;
                                a->wide = is_str && wide;
                                a->size_is = sz;
                                a->max_is = mx;
                                a->length_is = ln;
                                a->first_is = fi;
                                a->last_is = la;
                                a->conformant = true;
                                a->varying = is_str || ln || fi || la;
                                if (!is_str && !sz && !mx) {
                                        gen_error(g, &f->loc, what, f->name,
                                                  "a pointer to a varying array needs "
                                                  "size_is or max_is");
                                        return false;
                                }
                                if (is_str) {
                                        string_done = true;
                                        if (ln || fi || la) {
                                                gen_error(g, &f->loc, what, f->name,
                                                          "[string] with length_is/first_is/"
                                                          "last_is");
                                                return false;
                                        }
                                        return true;
                                }
                        }
                        t = t->ref;
                        continue;
                }
                if (t->kind == TYPE_ARRAY) {
                        bool wide;
                        if (param && L->n == 0) {
                                /* an array parameter is a pointer in C and on the wire:
                                   [ref] (no wire form) unless it says [unique] or [ptr],
                                   as MIDL reads IObjectExporter::ComplexPing's AddToSet */
                                enum idl_ptr_kind k = npointers++ == 0 ? ptr_attr(fa) : PTR_NONE;
                                l->kind = L_PTR;
                                l->ptr = k == PTR_NONE ? PTR_REF : k;
                                l->top = l->ptr == PTR_REF;
                                l = &L->l[++L->n];
                        }
                        l->fixed = t->size;
                        l->size_is = attr_argk(fa, "size_is", dim);
                        l->max_is = attr_argk(fa, "max_is", dim);
                        l->length_is = attr_argk(fa, "length_is", dim);
                        l->first_is = attr_argk(fa, "first_is", dim);
                        l->last_is = attr_argk(fa, "last_is", dim);
                        dim++;
                        if (t->size && level_has_size(l)) {
                                gen_error(g, &f->loc, what, f->name,
                                          "size_is/max_is on a fixed-size array");
                                return false;
                        }
                        l->conformant = !t->size;
                        l->varying = l->length_is || l->first_is || l->last_is;
                        if (string && !string_done && is_char_type(t->ref, &wide) &&
                            idl_type_resolve(t->ref)->kind == TYPE_BASIC) {
                                l->kind = L_STRING;
                                l->wide = wide;
                                l->varying = true;
                                L->n++;
                                if (l->length_is || l->first_is || l->last_is) {
                                        gen_error(g, &f->loc, what, f->name,
                                                  "[string] with length_is/first_is/last_is");
                                        return false;
                                }
                                return true;
                        }
                        l->kind = L_ARRAY;
                        if (l->conformant && !level_has_size(l)) {
                                gen_error(g, &f->loc, what, f->name,
                                          "a conformant array needs size_is or max_is");
                                return false;
                        }
                        L->n++;
                        t = t->ref;
                        continue;
                }
        data:
                l = &L->l[L->n];
                l->kind = L_DATA;
                if (!l->type)
                        l->type = t;
                struct scalar s;
                if (t->kind == TYPE_BASIC && t->basic == BASIC_HANDLE) {
                        if (!param || L->n != 0) {
                                gen_error(g, &f->loc, what, f->name,
                                          "handle_t only as a parameter by value");
                                return false;
                        }
                        l->dk = D_HANDLE;
                } else if (scalar_info(t, &s)) {
                        l->dk = D_SCALAR;
                        struct idl_attr *ra = fattr(fa, "range");
                        if (ra) {
                                if (ra->n_args != 2 || !idl_eval(g->ctx, ra->args[0], &l->lo) ||
                                    !idl_eval(g->ctx, ra->args[1], &l->hi)) {
                                        gen_error(g, &f->loc, what, f->name,
                                                  "[range] needs two constants");
                                        return false;
                                }
                                l->range = true;
                        }
                } else if (t->kind == TYPE_STRUCT && t->name && strcmp(t->name, "_GUID") == 0) {
                        l->dk = D_GUID;         /* [MS-DTYP] 2.3.4.2, however declared */
                } else if (t->kind == TYPE_STRUCT && t->name &&
                           strcmp(t->name, "_FILETIME") == 0) {
                        l->dk = D_FILETIME;
                } else if (is_composite(t)) {
                        l->sr = struct_register(g, l->type);
                        if (!l->sr)
                                return false;
                        if (t->kind == TYPE_UNION) {
                                l->dk = D_UNION;
                                l->sw = attr_argk(fa, "switch_is", 0);
                                if (!l->sw) {
                                        gen_error(g, &f->loc, what, f->name,
                                                  "a non-encapsulated union needs switch_is");
                                        return false;
                                }
                        } else {
                                l->dk = D_STRUCT;
                        }
                } else {
                        gen_error(g, &f->loc, what, f->name, "type not supported by the stub generator");
                        return false;
                }
                L->n++;
                if (string && !string_done) {
                        gen_error(g, &f->loc, what, f->name, "[string] on a non-character type");
                        return false;
                }
                if (L->n >= 2 && L->l[L->n - 2].kind == L_ARRAY && l->dk == D_STRUCT &&
                    l->sr->conformant) {
                        gen_error(g, &f->loc, what, f->name,
                                  "an array of conformant structures has no NDR form");
                        return false;
                }
                return true;
        }
        if (L->n == 0 || L->l[L->n - 1].kind != L_DATA) {
                gen_error(g, &f->loc, what, f->name, "type not supported by the stub generator");
                return false;
        }
        if (string && !string_done) {
                gen_error(g, &f->loc, what, f->name, "[string] on a non-character type");
                return false;
        }
        return true;
}

/* --- properties of levels -------------------------------------------------------------- */

static unsigned data_align(struct gen *g, const struct level *l);

/* The wire alignment of what level i puts inline. */
static unsigned level_align(struct gen *g, const struct levels *L, int i) {
        const struct level *l = &L->l[i];
        switch (l->kind) {
        case L_PTR:
                return l->top ? level_align(g, L, i + 1) : 4;
        case L_STRING:
                return 4;
        case L_ARRAY: {
                unsigned a = level_align(g, L, i + 1);
                return (l->conformant || l->varying) && a < 4 ? 4 : a;
        }
        case L_DATA:
                return data_align(g, l);
        }
        return 1;
}

static unsigned data_align(struct gen *g, const struct level *l) {
        struct scalar s;
        (void)g;
        switch (l->dk) {
        case D_SCALAR:
                scalar_info(l->type, &s);
                return s.size;
        case D_STRUCT:
        case D_UNION:
                return l->sr ? l->sr->align : 4;
        case D_GUID:
        case D_FILETIME:
        case D_CTX:
        case D_IFACE:
        case D_IGNORE:
                return 4;
        case D_USER:
                /* the wire type's, when the IDL names one we can see (wireBSTR, wireVARIANT
                   are [unique] pointers: 4); else the widest (only used for a structure's
                   alignment) */
                return l->ualign ? l->ualign : 8;
        case D_HANDLE:
                return 1;
        }
        return 1;
}

/* Whether levels from i have a deferred (NDR_BUFFERS) part when embedded. */
static bool level_deferred(const struct levels *L, int i) {
        for (; i < L->n; i++) {
                const struct level *l = &L->l[i];
                if (l->kind == L_PTR && !l->top)
                        return true;
                if (l->kind == L_DATA)
                        return ((l->dk == D_STRUCT || l->dk == D_UNION) && l->sr &&
                                l->sr->deferred) ||
                               l->dk == D_IFACE || l->dk == D_USER;
        }
        return false;
}

/* Element wire size (for count checks) of an array whose elements are level i. */
static unsigned elem_wire_size(struct gen *g, const struct levels *L, int i) {
        const struct level *l = &L->l[i];
        struct scalar s;
        if (l->kind == L_DATA && l->dk == D_SCALAR && scalar_info(l->type, &s))
                return s.size;
        if (l->kind == L_DATA && l->dk == D_GUID)
                return 16;
        if (l->kind == L_PTR && !l->top)
                return 4;
        (void)g;
        return 1;       /* a lower bound for anything else */
}

/* --- structures and unions ------------------------------------------------------------- */

static char *expr_str(struct gen *g, const struct idl_expr *e, const char *prefix);

/* Whether every identifier of x naming a member of st names one declared before f. */
static bool names_earlier(struct idl_type *st, struct idl_field *f, const struct idl_expr *x) {
        if (!x)
                return true;
        if (x->kind == EXPR_IDENT) {
                for (struct idl_field *m = st->fields; m; m = m->next) {
                        if (m == f)
                                break;
                        if (m->name && strcmp(m->name, x->str) == 0)
                                return true;
                }
                for (struct idl_field *m = f; m; m = m->next)
                        if (m->name && strcmp(m->name, x->str) == 0)
                                return false;   /* this member or a later one */
                return true;                    /* not a member: a constant */
        }
        return names_earlier(st, f, x->a) && names_earlier(st, f, x->b) &&
               names_earlier(st, f, x->c);
}

/*
 * What the scalars pass evaluates (inline arrays' counts, inline unions' switch_is) can
 * only use members already pulled; behind a pointer the buffers pass comes after all.
 */
static bool inline_exprs_earlier(struct idl_type *st, struct idl_field *f, const struct levels *L) {
        for (int i = 0; i < L->n; i++) {
                const struct level *l = &L->l[i];
                if (l->kind == L_PTR && !l->top)
                        return true;
                const struct idl_expr *xs[] = {l->size_is, l->max_is, l->length_is, l->first_is,
                                               l->last_is, l->sw};
                for (size_t k = 0; k < sizeof xs / sizeof *xs; k++)
                        if (!names_earlier(st, f, xs[k]))
                                return false;
        }
        return true;
}

/* Whether every attribute expression of L prints as C. */
static bool level_exprs_ok(struct gen *g, const struct levels *L) {
        for (int i = 0; i < L->n; i++) {
                const struct level *l = &L->l[i];
                const struct idl_expr *xs[] = {l->fixed,    l->size_is, l->max_is, l->length_is,
                                               l->first_is, l->last_is, l->sw,     l->iid_is};
                for (size_t k = 0; k < sizeof xs / sizeof *xs; k++)
                        if (xs[k] && !expr_str(g, xs[k], "r->"))
                                return false;
        }
        return true;
}

static struct sreg *struct_register(struct gen *g, struct idl_type *type) {
        struct idl_type *st = idl_type_resolve(type);
        struct sreg *sr;

        for (size_t i = 0; i < g->n_structs; i++)
                if (g->structs[i]->st == st)
                        return g->structs[i]->ok || g->structs[i]->state == 1 ? g->structs[i]
                                                                               : NULL;
        if (g->n_structs >= MAX_STRUCTS) {
                idl_error(g->ctx, &st->loc, "stubs: too many structures");
                g->errors++;
                return NULL;
        }
        sr = idl_alloc(g->ctx, sizeof *sr);
        g->structs[g->n_structs++] = sr;
        sr->st = st;
        sr->state = 1;
        while (type->kind == TYPE_NAMEREF && type->ref)
                type = type->ref;
        if (type->kind == TYPE_ALIAS) {
                snprintf(sr->cname, sizeof sr->cname, "%s", type->name);
                snprintf(sr->fname, sizeof sr->fname, "%s", type->name);
        } else if (st->name) {
                snprintf(sr->cname, sizeof sr->cname, "%s %s",
                         st->kind == TYPE_STRUCT ? "struct" : "union", st->name);
                snprintf(sr->fname, sizeof sr->fname, "%s", st->name);
        } else {
                idl_error(g->ctx, &st->loc, "stubs: an anonymous structure or union needs a typedef");
                g->errors++;
                sr->state = 2;
                return NULL;
        }
        /* The same name registered from the built-in ORPC declarations (a file that
           declares COMVERSION itself, as orpc.idl does): one marshaler, the first. */
        for (size_t i = 0; i + 1 < g->n_structs; i++)
                if (strcmp(g->structs[i]->fname, sr->fname) == 0) {
                        g->n_structs--;
                        return g->structs[i]->ok || g->structs[i]->state == 1 ? g->structs[i] : NULL;
                }
        if (!st->defined && !st->fields) {
                idl_error(g->ctx, &st->loc, "stubs: '%s' is declared but never defined",
                          sr->cname);
                g->errors++;
                sr->state = 2;
                return NULL;
        }

        bool ok = true, is_union = st->kind != TYPE_STRUCT;
        size_t n = 0;
        for (struct idl_field *f = st->fields; f; f = f->next)
                n++;
        sr->members = idl_alloc(g->ctx, (n ? n : 1) * sizeof *sr->members);
        sr->n_members = n;
        sr->align = 1;
        sr->flat = true;

        if (st->kind == TYPE_UNION) {
                struct idl_attr *a = NULL;
                for (struct idl_type *x = type; x && !a; x = x->kind == TYPE_ALIAS ? x->ref : NULL)
                        a = idl_attr_find(x->attrs, "switch_type");
                if (!a)
                        a = idl_attr_find(st->attrs, "switch_type");
                if (a && a->n_args == 1 && a->args[0]->kind == EXPR_TYPE)
                        sr->switch_type = a->args[0]->type;
                else if (a && a->n_args == 1 && a->args[0]->kind == EXPR_IDENT) {
                        /* switch_type(ULONG): a typedef the parser saw as a name */
                        struct idl_sym *sym = idl_sym_find(g->ctx, a->args[0]->str, 0);
                        if (sym)
                                sr->switch_type = sym->type;
                }
        }
        if (is_union) {
                struct scalar s;
                struct idl_type *dt = st->kind == TYPE_UNION ? sr->switch_type
                                                             : st->switch_field
                                                                       ? st->switch_field->type
                                                                       : NULL;
                if (!dt || !scalar_info(dt, &s)) {
                        idl_error(g->ctx, &st->loc, "stubs: union '%s': discriminant type %s",
                                  sr->cname, dt ? "not supported" : "missing ([switch_type])");
                        g->errors++;
                        ok = false;
                } else {
                        sr->align = s.size;
                }
        }

        size_t i = 0;
        for (struct idl_field *f = st->fields; f; f = f->next, i++) {
                struct levels *L = &sr->members[i];
                int64_t v;
                if (is_union)
                        for (size_t k = 0; k < f->n_cases; k++)
                                if (!idl_eval(g->ctx, f->cases[k], &v)) {
                                        idl_error(g->ctx, &f->loc, "stubs: case label not constant");
                                        g->errors++;
                                        ok = false;
                                }
                if (!f->type) {
                        if (!is_union) {
                                gen_error(g, &f->loc, "member", f->name, "has no type");
                                ok = false;
                                continue;
                        }
                        L->n = 0;       /* an empty arm */
                        L->f = f;
                        continue;
                }
                if (!f->name) {
                        gen_error(g, &f->loc, "member", "?", "needs a name");
                        ok = false;
                        continue;
                }
                if (!build_levels(g, f, false, L)) {
                        ok = false;
                        continue;
                }
                struct level *l0 = &L->l[0];
                if (l0->kind == L_DATA && (l0->dk == D_CTX || l0->dk == D_HANDLE)) {
                        gen_error(g, &f->loc, "member", f->name,
                                  "context handles and handle_t only as parameters");
                        ok = false;
                        continue;
                }
                if ((l0->kind == L_ARRAY || l0->kind == L_STRING) && l0->conformant) {
                        if (is_union || f->next) {
                                gen_error(g, &f->loc, "member", f->name,
                                          "a conformant array must be a structure's last member");
                                ok = false;
                                continue;
                        }
                        l0->hoisted = true;
                        sr->conformant = true;
                        if (l0->kind == L_STRING && !level_has_size(l0)) {
                                gen_error(g, &f->loc, "member", f->name,
                                          "a conformant [string] member needs size_is");
                                ok = false;
                                continue;
                        }
                }
                if (l0->kind == L_DATA && l0->dk == D_STRUCT && l0->sr && l0->sr->conformant) {
                        gen_error(g, &f->loc, "member", f->name,
                                  "a conformant structure inside a structure is not supported");
                        ok = false;
                        continue;
                }
                if (!level_exprs_ok(g, L)) {
                        gen_error(g, &f->loc, "member", f->name,
                                  "attribute expression not supported by the stub generator");
                        ok = false;
                        continue;
                }
                if (!inline_exprs_earlier(st, f, L)) {
                        gen_error(g, &f->loc, "member", f->name,
                                  "a count or switch_is of an inline array or union must name "
                                  "earlier members (the receiver reads them first)");
                        ok = false;
                        continue;
                }
                unsigned a = level_align(g, L, 0);
                if (a > sr->align)
                        sr->align = a;
                if (level_deferred(L, 0))
                        sr->deferred = true;
                for (int k = 0; k < L->n; k++)
                        if ((L->l[k].kind == L_PTR && !L->l[k].top) ||
                            (L->l[k].kind == L_DATA &&
                             (L->l[k].dk == D_IFACE || L->l[k].dk == D_USER ||
                              ((L->l[k].dk == D_STRUCT || L->l[k].dk == D_UNION) && L->l[k].sr &&
                               !L->l[k].sr->flat))))
                                sr->flat = false;
        }
        if (sr->conformant && sr->align < 4)
                sr->align = 4;
        sr->ok = ok;
        sr->state = 2;
        return ok ? sr : NULL;
}

/* --- emitting push and pull code ------------------------------------------------------ */

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
        FILE *checks;                   /* parameters: correlation checks after the last pull */
        bool returns_void;              /* unused */
};

static const char *ptr_fn(enum idl_ptr_kind k) {
        return k == PTR_REF ? "ref" : k == PTR_FULL ? "full" : "unique";
}

/* The element count of array level l: fixed size, size_is or max_is + 1. */
static char *count_expr(struct em *e, const struct level *l) {
        struct gen *g = e->g;
        if (l->fixed)
                return fmt(g, "(uint32_t)(%s)", expr_str(g, l->fixed, ""));
        if (l->size_is)
                return fmt(g, "(uint32_t)(%s)", num_str(g, l->size_is, e->prefix));
        if (l->max_is)
                return fmt(g, "((uint32_t)(%s) + 1)", num_str(g, l->max_is, e->prefix));
        return NULL;
}

/* The same in 64 bits, for what the stubs allocate and compare: no truncation. */
static char *count_expr64(struct em *e, const struct level *l) {
        struct gen *g = e->g;
        if (l->fixed)
                return fmt(g, "(uint64_t)(%s)", expr_str(g, l->fixed, ""));
        if (l->size_is)
                return fmt(g, "(uint64_t)(%s)", num_str(g, l->size_is, e->prefix));
        if (l->max_is)
                return fmt(g, "((uint64_t)(%s) + 1)", num_str(g, l->max_is, e->prefix));
        return NULL;
}

static char *first_expr(struct em *e, const struct level *l) {
        return l->first_is ? fmt(e->g, "(uint32_t)(%s)", num_str(e->g, l->first_is, e->prefix))
                           : "0";
}

/* The number of elements transmitted of a varying array (given its count). */
static char *length_expr(struct em *e, const struct level *l, const char *count) {
        struct gen *g = e->g;
        if (l->length_is)
                return fmt(g, "(uint32_t)(%s)", num_str(g, l->length_is, e->prefix));
        if (l->last_is)
                return fmt(g, "((uint32_t)(%s) - %s + 1)", num_str(g, l->last_is, e->prefix),
                           first_expr(e, l));
        return fmt(g, "(%s - %s)", count, first_expr(e, l));
}

/* Fast paths: arrays of bytes and of 16/32-bit integers whose C type has the wire size. */
static int fast_elem(const struct levels *L, int i) {
        const struct level *l = &L->l[i];
        if (i >= L->n || l->kind != L_DATA || l->dk != D_SCALAR || l->range)
                return 0;
        struct idl_type *t = idl_type_resolve(l->type);
        if (!t || t->kind != TYPE_BASIC)
                return 0;
        switch (t->basic) {
        case BASIC_BYTE:
        case BASIC_CHAR:
        case BASIC_SMALL:
                return 1;
        case BASIC_SHORT:
        case BASIC_WCHAR:
                return 2;
        case BASIC_LONG:
        case BASIC_INT:
        case BASIC_ERROR_STATUS:
                return 4;
        default:
                return 0;
        }
}

static char *deref(struct gen *g, const char *v) {
        return fmt(g, "(*%s)", v);
}

/* The referent of pointer level i: arrays and strings use the pointer itself as base. */
static bool next_is_array(const struct levels *L, int i) {
        return i + 1 < L->n && (L->l[i + 1].kind == L_ARRAY || L->l[i + 1].kind == L_STRING);
}

/* A referent whose size is only known from the wire (conformant structure, array). */
static bool referent_var_size(const struct levels *L, int i) {
        if (next_is_array(L, i))
                return true;
        const struct level *n = &L->l[i + 1];
        /* a union's referent depends on its switch_is: aliasing could change its arm */
        return n->kind == L_DATA &&
               ((n->dk == D_STRUCT && n->sr && n->sr->conformant) || n->dk == D_UNION);
}

static char *tag_name(struct gen *g, const struct levels *L, int i) {
        const struct level *n = &L->l[i + 1];
        struct scalar s;
        if (n->kind == L_PTR)
                return "ndr_tag_ptr_";
        switch (n->dk) {
        case D_STRUCT:
        case D_UNION:
                return fmt(g, "ndr_tag_%s_", n->sr->fname);
        case D_SCALAR:
                scalar_info(n->type, &s);
                return fmt(g, "ndr_tag_%s_", s.wtype);
        case D_GUID:
                return "ndr_tag_GUID_";
        case D_FILETIME:
                return "ndr_tag_FILETIME_";
        default:
                return "ndr_tag_other_";
        }
}

static void emit_push(struct em *e, int i, const char *v, bool prim, bool def, int ind);
static void emit_conf_alloc(struct em *e, struct sreg *sr, const char *v, int ind);
static void emit_pull(struct em *e, int i, const char *v, bool prim, bool def, int ind,
                      enum mode m);

static void emit_push_data(struct em *e, const struct level *l, const char *v, bool prim,
                           bool def, int ind) {
        struct gen *g = e->g;
        struct scalar s;
        const char *flags = prim && def ? "NDR_SCALARS | NDR_BUFFERS"
                                        : prim ? "NDR_SCALARS" : "NDR_BUFFERS";

        switch (l->dk) {
        case D_SCALAR:
                if (prim) {
                        scalar_info(l->type, &s);
                        out(g, ind, "%s(%s, (%s)(%s));\n", s.push, e->ndr, s.wtype, v);
                }
                break;
        case D_STRUCT:
                if (prim || l->sr->deferred)
                        out(g, ind, "ndr_push__%s(%s, %s, &%s);\n", l->sr->fname, e->ndr, flags, v);
                break;
        case D_UNION:
                if (prim || l->sr->deferred)
                        out(g, ind, "ndr_push__%s(%s, %s, (int64_t)(%s), &%s);\n", l->sr->fname,
                            e->ndr, flags, expr_str(g, l->sw, e->prefix), v);
                break;
        case D_GUID:
                if (prim)
                        out(g, ind, "ndr_push_guid(%s, &%s);\n", e->ndr, v);
                break;
        case D_FILETIME:
                if (prim) {
                        out(g, ind, "ndr_push_align(%s, 4);\n", e->ndr);
                        out(g, ind, "ndr_push_uint32(%s, %s.dwLowDateTime);\n", e->ndr, v);
                        out(g, ind, "ndr_push_uint32(%s, %s.dwHighDateTime);\n", e->ndr, v);
                }
                break;
        case D_IFACE:
                if (prim)
                        out(g, ind, "ndr_push_unique_ptr(%s, %s);\n", e->ndr, v);
                if (def) {
                        const char *iid = l->iid_is ? fmt(g, "(const GUID *)(%s)",
                                                          expr_str(g, l->iid_is, e->prefix))
                                                    : fmt(g, "&ndr_iid_%s_", l->iface->name);
                        out(g, ind, "if (%s)\n", v);
                        out(g, ind + 1, "ndr_push_iface(%s, %s, (void *)%s);\n", e->ndr, iid, v);
                }
                break;
        case D_USER:
                out(g, ind, "ndr_push_user_marshal(%s, ndr_user_marshal_find(\"%s\"), %s, &%s);\n",
                    e->ndr, l->uname, flags, v);
                break;
        case D_IGNORE:
                if (prim)
                        out(g, ind, "ndr_push_uint32(%s, 0);   /* [ignore] */\n", e->ndr);
                break;
        case D_CTX:
        case D_HANDLE:
                break;
        }
}

static void emit_push(struct em *e, int i, const char *v, bool prim, bool def, int ind) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR: {
                const char *r = next_is_array(L, i) ? v : deref(g, v);
                if (l->top) {
                        out(g, ind, "if (!%s)\n", v);
                        out(g, ind + 1, "return ndr_push_fail(%s, -EINVAL);       /* NULL [ref] */\n",
                            e->ndr);
                        emit_push(e, i + 1, r, true, true, ind);
                        break;
                }
                if (prim)
                        out(g, ind, "ndr_push_%s_ptr(%s, %s);\n", ptr_fn(l->ptr), e->ndr, v);
                if (def) {
                        if (l->ptr == PTR_FULL)
                                out(g, ind, "if (%s && ndr_push_full_ptr_pending(%s, %s) > 0) {\n",
                                    v, e->ndr, v);
                        else
                                out(g, ind, "if (%s) {\n", v);
                        emit_push(e, i + 1, r, true, true, ind + 1);
                        out(g, ind, "}\n");
                }
                break;
        }
        case L_STRING: {
                const char *cast = l->wide ? "(const uint16_t *)" : "(const char *)";
                const char *w = l->wide ? "w" : "";
                if (!prim)
                        break;
                if (l->fixed) {
                        out(g, ind, "ndr_push_%sstring_fixed(%s, %s%s, %s);\n", w, e->ndr, cast, v,
                            count_expr(e, l));
                } else if (level_has_size(l)) {
                        if (!l->hoisted)
                                out(g, ind, "ndr_push_conformance(%s, %s);\n", e->ndr,
                                    count_expr(e, l));
                        out(g, ind, "ndr_push_%sstring_fixed(%s, %s%s, %s);\n", w, e->ndr, cast, v,
                            count_expr(e, l));
                } else {
                        out(g, ind, "ndr_push_%sstring(%s, %s%s);\n", w, e->ndr, cast, v);
                }
                break;
        }
        case L_ARRAY: {
                int k = e->loops;
                char *idx = fmt(g, "i%d_", k);
                char *cnt = count_expr(e, l);
                char *first = l->varying ? first_expr(e, l) : "0";
                char *len = l->varying ? length_expr(e, l, cnt) : cnt;
                char *elem = fmt(g, "%s[%s + %s]", v, first, idx);
                bool sub_def = level_deferred(L, i + 1);
                int fast = fast_elem(L, i + 1);

                if (!l->varying)
                        elem = fmt(g, "%s[%s]", v, idx);
                out(g, ind, "{\n");
                ind++;
                out(g, ind, "uint32_t n%d_ = %s;\n", k, len);
                if (prim) {
                        if (l->varying)
                                out(g, ind,
                                    "if ((uint64_t)%s + n%d_ > %s)\n", first, k, cnt);
                        if (l->varying)
                                out(g, ind + 1,
                                    "return ndr_push_fail(%s, -EINVAL);      /* length past the "
                                    "size */\n",
                                    e->ndr);
                        if (l->conformant && !l->hoisted)
                                out(g, ind, "ndr_push_conformance(%s, %s);\n", e->ndr, cnt);
                        if (l->varying)
                                out(g, ind, "ndr_push_variance(%s, %s, n%d_);\n", e->ndr, first, k);
                        if (fast == 1) {
                                out(g, ind, "ndr_push_bytes(%s, &%s[%s], n%d_);\n", e->ndr, v,
                                    first, k);
                        } else if (fast) {
                                out(g, ind, "ndr_push_uint%d_array(%s, (const uint%d_t *)&%s[%s], n%d_);\n",
                                    fast * 8, e->ndr, fast * 8, v, first, k);
                        } else {
                                out(g, ind, "for (uint32_t %s = 0; %s < n%d_; %s++) {\n", idx, idx,
                                    k, idx);
                                e->loops++;
                                emit_push(e, i + 1, elem, true, false, ind + 1);
                                e->loops--;
                                out(g, ind, "}\n");
                        }
                }
                if (def && sub_def) {
                        out(g, ind, "for (uint32_t %s = 0; %s < n%d_; %s++) {\n", idx, idx, k, idx);
                        e->loops++;
                        emit_push(e, i + 1, elem, false, true, ind + 1);
                        e->loops--;
                        out(g, ind, "}\n");
                }
                ind--;
                out(g, ind, "}\n");
                break;
        }
        case L_DATA:
                emit_push_data(e, l, v, prim, def, ind);
                break;
        }
}

/* A correlation check: now, or (parameters) after every [in] parameter is pulled. */
static void emit_check(struct em *e, int ind, bool later, const char *fmt_, ...)
        __attribute__((format(printf, 4, 5)));
static void emit_check(struct em *e, int ind, bool later, const char *fmt_, ...) {
        va_list ap;
        FILE *f = later && e->checks ? e->checks : e->g->f;

        fprintf(f, "%*sNDR_CHECK(", later && e->checks ? 8 : ind * 8, "");
        va_start(ap, fmt_);
        vfprintf(f, fmt_, ap);
        va_end(ap);
        fputs(");\n", f);
}

static void emit_pull_data(struct em *e, const struct level *l, const char *v, bool prim,
                           bool def, int ind) {
        struct gen *g = e->g;
        struct scalar s;
        const char *flags = prim && def ? "NDR_SCALARS | NDR_BUFFERS"
                                        : prim ? "NDR_SCALARS" : "NDR_BUFFERS";

        switch (l->dk) {
        case D_SCALAR:
                if (!prim)
                        break;
                scalar_info(l->type, &s);
                out(g, ind, "{\n");
                out(g, ind + 1, "%s v_;\n", s.wtype);
                out(g, ind + 1, "NDR_CHECK(%s(%s, &v_));\n", s.pull, e->ndr);
                if (l->range) {
                        struct idl_type *t = idl_type_resolve(l->type);
                        bool sgn = t->kind == TYPE_BASIC && t->sign != SIGN_UNSIGNED &&
                                   t->basic != BASIC_BYTE && t->basic != BASIC_BOOLEAN &&
                                   t->basic != BASIC_WCHAR && t->basic != BASIC_ERROR_STATUS;
                        if (sgn)
                                out(g, ind + 1, "NDR_CHECK(ndr_check_range_signed(v_, %lldLL, %lldLL));\n",
                                    (long long)l->lo, (long long)l->hi);
                        else
                                out(g, ind + 1, "NDR_CHECK(ndr_check_range(v_, %lluULL, %lluULL));\n",
                                    (unsigned long long)l->lo, (unsigned long long)l->hi);
                }
                out(g, ind + 1, "%s = v_;\n", v);
                out(g, ind, "}\n");
                break;
        case D_STRUCT:
                if (prim || l->sr->deferred)
                        out(g, ind, "NDR_CHECK(ndr_pull__%s(%s, %s, &%s));\n", l->sr->fname,
                            e->ndr, flags, v);
                break;
        case D_UNION:
                if (prim || l->sr->deferred)
                        out(g, ind, "NDR_CHECK(ndr_pull__%s(%s, %s, (int64_t)(%s), &%s));\n",
                            l->sr->fname, e->ndr, flags, expr_str(g, l->sw, e->prefix), v);
                break;
        case D_GUID:
                if (prim)
                        out(g, ind, "NDR_CHECK(ndr_pull_guid(%s, &%s));\n", e->ndr, v);
                break;
        case D_FILETIME:
                if (prim) {
                        out(g, ind, "NDR_CHECK(ndr_pull_align(%s, 4));\n", e->ndr);
                        out(g, ind, "NDR_CHECK(ndr_pull_uint32(%s, &%s.dwLowDateTime));\n", e->ndr, v);
                        out(g, ind, "NDR_CHECK(ndr_pull_uint32(%s, &%s.dwHighDateTime));\n", e->ndr,
                            v);
                }
                break;
        case D_IFACE:
                if (prim) {
                        out(g, ind, "NDR_CHECK(ndr_pull_unique_ptr(%s, &id_));\n", e->ndr);
                        out(g, ind, "%s = id_ ? NDR_PTR_PENDING : NULL;\n", v);
                }
                if (def) {
                        const char *iid = l->iid_is ? fmt(g, "(const GUID *)(%s)",
                                                          expr_str(g, l->iid_is, e->prefix))
                                                    : fmt(g, "&ndr_iid_%s_", l->iface->name);
                        /* only an [in] parameter's own pointer is the server's to give
                           up after the call; [in, out] ones and members of structures
                           (which may travel both ways) are the implementation's */
                        bool kept = !(e->L->f && e->L->f->dir == DIR_IN);
                        out(g, ind, "if (%s)\n", v);
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_iface%s(%s, %s, (void **)&%s));\n",
                            kept ? "_kept" : "", e->ndr, iid, v);
                }
                break;
        case D_USER:
                out(g, ind, "NDR_CHECK(ndr_pull_user_marshal(%s, ndr_user_marshal_find(\"%s\"), %s, &%s));\n",
                    e->ndr, l->uname, flags, v);
                break;
        case D_IGNORE:
                if (prim) {     /* [ignore]: whatever the peer sent, the member is NULL */
                        out(g, ind, "{\n");
                        out(g, ind + 1, "uint32_t v_;\n");
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_uint32(%s, &v_));\n", e->ndr);
                        out(g, ind + 1, "%s = NULL;\n", v);
                        out(g, ind, "}\n");
                }
                break;
        case D_CTX:
        case D_HANDLE:
                break;
        }
}

/* Whether a parameter-level count is checked after all parameters (not inside loops). */
static bool later(const struct em *e) {
        return e->pname && e->loops == 0 && e->behind == 0;
}

/* Count variables: function scope for a parameter's outer arrays (checked later). */
static char *cvar(struct em *e, const char *what, int i) {
        if (later(e))
                return fmt(e->g, "%s_%s_%d", what, e->pname, i);
        return fmt(e->g, "%s%d_", what, e->loops);
}

/*
 * A conformant structure behind a pointer: its size is only known from the conformance
 * at its start, which the runtime peeks at before allocating.
 */
static void emit_conf_alloc(struct em *e, struct sreg *sr, const char *v, int ind) {
        struct gen *g = e->g;
        const struct levels *M = &sr->members[sr->n_members - 1];
        const char *m = M->f->name;
        /* a varying tail carries only actual_count elements: only the cap bounds max_count */
        unsigned wire = M->l[0].varying ? 0 : elem_wire_size(g, M, 1);

        out(g, ind, "NDR_CHECK(ndr_pull_conformant_alloc(%s, sizeof *%s, sizeof (*%s).%s[0], %u, (void **)&%s));\n",
            e->ndr, v, v, m, wire, v);
}

static void emit_pull_array(struct em *e, int i, const char *v, bool prim, bool def, int ind,
                            enum mode m) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];
        int k = e->loops;
        char *idx = fmt(g, "i%d_", k);
        bool sub_def = level_deferred(L, i + 1);
        bool lat = later(e);
        char *c = cvar(e, "c", i), *o = cvar(e, "o", i), *a = cvar(e, "a", i);
        int fast = fast_elem(L, i + 1);
        unsigned wire = elem_wire_size(g, L, i + 1), align = level_align(g, L, i + 1);

        out(g, ind, "{\n");
        ind++;
        if (!lat)
                out(g, ind, "uint32_t %s, %s = 0, %s;\n", c, o, a);
        if (!prim) {
                /* buffers pass of an inline array: the counts were checked by the scalars pass */
                char *cnt = count_expr(e, l);
                out(g, ind, "%s = %s;\n", c, cnt);
                if (l->varying) {
                        out(g, ind, "%s = %s;\n", o, first_expr(e, l));
                        out(g, ind, "%s = %s;\n", a, length_expr(e, l, cnt));
                } else {
                        out(g, ind, "%s = %s;\n", a, c);
                }
        } else {
                if (l->conformant)
                        out(g, ind, "%s;\n",
                            l->hoisted ? fmt(g, "%s = conf_", c)
                                       : fmt(g, "NDR_CHECK(ndr_pull_conformance(%s, &%s))", e->ndr,
                                             c));
                else
                        out(g, ind, "%s = %s;\n", c, count_expr(e, l));
                if (l->varying && l->kind == L_ARRAY)
                        out(g, ind, "NDR_CHECK(ndr_pull_variance(%s, %s, &%s, &%s));\n", e->ndr, c, o,
                            a);
                else
                        out(g, ind, "%s = %s;\n", a, c);
                /*
                 * correlation; a response's conformance need only fit the caller's buffer
                 * (impacket sends max_count = actual_count where size_is says more)
                 */
                if (m == M_INPLACE && l->conformant && !e->strict)
                        ;
                else if (l->conformant && l->size_is)
                        emit_check(e, ind, lat, "ndr_check_size_is(%s, %s)", c,
                                   expr_str(g, l->size_is, e->prefix));
                else if (l->conformant && l->max_is)
                        emit_check(e, ind, lat, "ndr_check_max_is(%s, %s)", c,
                                   expr_str(g, l->max_is, e->prefix));
                if (l->kind == L_ARRAY && l->varying) {
                        char *first = l->first_is ? fmt(g, "(uint64_t)%s", num_str(g, l->first_is, e->prefix)) : "0";
                        if (l->length_is)
                                emit_check(e, ind, lat, "ndr_check_length_is(%s, %s, %s, (uint64_t)%s)", o, a,
                                           first, num_str(g, l->length_is, e->prefix));
                        else if (l->last_is)
                                emit_check(e, ind, lat, "ndr_check_last_is(%s, %s, %s, (uint64_t)%s)", o, a,
                                           first, num_str(g, l->last_is, e->prefix));
                        else
                                emit_check(e, ind, lat,
                                           "ndr_check_length_is(%s, %s, %s, (uint64_t)%s - (%s))",
                                           o, a, first, c, first);
                }
                /* memory */
                if (m == M_ALLOC) {
                        if (l->kind == L_STRING)
                                out(g, ind,
                                    "if (!(%s = ndr_pull_alloc(%s, %s ? %s : 1, sizeof *%s)))\n",
                                    v, e->ndr, c, c, v);
                        else {
                                out(g, ind, "NDR_CHECK(ndr_pull_check_count(%s, %s, %u, %u));\n",
                                    e->ndr, a, wire, align);
                                out(g, ind,
                                    "if (!(%s = ndr_pull_alloc(%s, %s ? %s : 1, sizeof *%s)))\n",
                                    v, e->ndr, c, c, v);
                        }
                        out(g, ind + 1, "return %s->error;\n", e->ndr);
                } else if (m == M_INPLACE) {
                        out(g, ind, "if (%s > cap_%s)\n", c, e->pname);
                        out(g, ind + 1, "return -EBADMSG;        /* more than the caller's buffer */\n");
                }
                /* elements */
                if (l->kind == L_STRING) {
                        out(g, ind, "NDR_CHECK(ndr_pull_%sstring_fixed(%s, (%s *)%s, %s, NULL));\n",
                            l->wide ? "w" : "", e->ndr, l->wide ? "uint16_t" : "char", v, c);
                } else if (fast == 1) {
                        out(g, ind, "NDR_CHECK(ndr_pull_bytes(%s, &%s[%s], %s));\n", e->ndr, v, o, a);
                } else if (fast) {
                        out(g, ind, "NDR_CHECK(ndr_pull_uint%d_array(%s, (uint%d_t *)&%s[%s], %s));\n",
                            fast * 8, e->ndr, fast * 8, v, o, a);
                } else {
                        out(g, ind, "for (uint32_t %s = 0; %s < %s; %s++) {\n", idx, idx, a, idx);
                        e->loops++;
                        emit_pull(e, i + 1, fmt(g, "%s[%s + %s]", v, o, idx), true, false, ind + 1,
                                  M_INLINE);
                        e->loops--;
                        out(g, ind, "}\n");
                }
        }
        if (def && sub_def) {
                out(g, ind, "for (uint32_t %s = 0; %s < %s; %s++) {\n", idx, idx, a, idx);
                e->loops++;
                emit_pull(e, i + 1, fmt(g, "%s[%s + %s]", v, o, idx), false, true, ind + 1,
                          M_INLINE);
                e->loops--;
                out(g, ind, "}\n");
        }
        if (!lat)
                out(g, ind, "(void)%s;\n%*s(void)%s;\n%*s(void)%s;\n", o, ind * 8, "", c,
                    ind * 8, "", a);
        ind--;
        out(g, ind, "}\n");
}

static void emit_pull(struct em *e, int i, const char *v, bool prim, bool def, int ind,
                      enum mode m) {
        struct gen *g = e->g;
        const struct levels *L = e->L;
        const struct level *l = &L->l[i];

        switch (l->kind) {
        case L_PTR: {
                bool arr = next_is_array(L, i);
                const char *r = arr ? v : deref(g, v);
                if (l->top) {
                        if (m == M_INPLACE) {
                                emit_pull(e, i + 1, r, true, true, ind, arr ? M_INPLACE : M_INLINE);
                                break;
                        }
                        if (!arr) {
                                const struct level *n = &L->l[i + 1];
                                if (n->kind == L_DATA && n->dk == D_STRUCT && n->sr->conformant)
                                        emit_conf_alloc(e, n->sr, v, ind);
                                else {
                                        out(g, ind, "if (!(%s = ndr_pull_alloc(%s, 1, sizeof *%s)))\n",
                                            v, e->ndr, v);
                                        out(g, ind + 1, "return %s->error;\n", e->ndr);
                                }
                        }
                        emit_pull(e, i + 1, r, true, true, ind, arr ? M_ALLOC : M_INLINE);
                        break;
                }
                if (prim) {
                        if (m == M_INPLACE && l->ptr == PTR_UNIQUE) {
                                /* the caller's [in, out] unique pointer: filled in place */
                                out(g, ind, "NDR_CHECK(ndr_pull_unique_ptr(%s, &id_));\n", e->ndr);
                                out(g, ind, "if (id_ && !%s)\n", v);
                                out(g, ind + 1, "return -EBADMSG;        /* NULL cannot become non-NULL */\n");
                                out(g, ind, "if (id_ && %s) {\n", v);
                                e->behind++;
                                emit_pull(e, i + 1, r, true, true, ind + 1,
                                          arr ? M_INPLACE : M_INLINE);
                                e->behind--;
                                out(g, ind, "}\n");
                                break;
                        }
                        if (l->ptr == PTR_FULL && !referent_var_size(L, i)) {
                                out(g, ind, "NDR_CHECK(ndr_pull_full_ptr(%s, &%s, sizeof *%s, (void **)&%s));\n",
                                    e->ndr, tag_name(g, L, i), v, v);
                        } else {
                                out(g, ind, "NDR_CHECK(ndr_pull_%s_ptr(%s, &id_));\n",
                                    l->ptr == PTR_REF ? "ref" : l->ptr == PTR_FULL ? "full_var" : "unique",
                                    e->ndr);
                                out(g, ind, "%s = id_ ? NDR_PTR_PENDING : NULL;\n", v);
                        }
                }
                if (def) {
                        if (l->ptr == PTR_FULL && !referent_var_size(L, i)) {
                                out(g, ind, "if (%s && ndr_pull_full_ptr_pending(%s, %s) > 0) {\n", v,
                                    e->ndr, v);
                                e->behind++;
                                emit_pull(e, i + 1, r, true, true, ind + 1, M_INLINE);
                                e->behind--;
                                out(g, ind, "}\n");
                                break;
                        }
                        out(g, ind, "if (%s) {\n", v);
                        if (!arr) {
                                const struct level *n = &L->l[i + 1];
                                if (n->kind == L_DATA && n->dk == D_STRUCT && n->sr->conformant)
                                        emit_conf_alloc(e, n->sr, v, ind + 1);
                                else {
                                        out(g, ind + 1, "if (!(%s = ndr_pull_alloc(%s, 1, sizeof *%s)))\n",
                                            v, e->ndr, v);
                                        out(g, ind + 2, "return %s->error;\n", e->ndr);
                                }
                        }
                        out(g, ind + 1, "NDR_CHECK(ndr_pull_enter(%s));\n", e->ndr);
                        e->behind++;
                        emit_pull(e, i + 1, r, true, true, ind + 1, arr ? M_ALLOC : M_INLINE);
                        e->behind--;
                        out(g, ind + 1, "ndr_pull_leave(%s);\n", e->ndr);
                        out(g, ind, "}\n");
                }
                break;
        }
        case L_STRING:
                if (!prim)
                        break;
                if (l->fixed) {
                        out(g, ind, "NDR_CHECK(ndr_pull_%sstring_fixed(%s, (%s *)%s, %s, NULL));\n",
                            l->wide ? "w" : "", e->ndr, l->wide ? "uint16_t" : "char", v,
                            count_expr(e, l));
                } else if (level_has_size(l) || m == M_INPLACE) {
                        emit_pull_array(e, i, v, prim, def, ind, m);
                } else {
                        out(g, ind, "NDR_CHECK(ndr_pull_%sstring(%s, (%s **)&%s, NULL));\n",
                            l->wide ? "w" : "", e->ndr, l->wide ? "uint16_t" : "char", v);
                }
                break;
        case L_ARRAY:
                emit_pull_array(e, i, v, prim, def, ind, m);
                break;
        case L_DATA:
                emit_pull_data(e, l, v, prim, def, ind);
                break;
        }
}

/* --- structure and union functions ----------------------------------------------------- */

static const char *level_param(const struct sreg *sr) {
        return sr->st->kind == TYPE_UNION ? " int64_t level," : "";
}


static void write_struct(struct gen *g, struct sreg *sr, bool push) {
        struct em e = {.g = g, .ndr = "ndr", .prefix = "r->", .side = SIDE_TYPE};
        const struct levels *last = sr->conformant ? &sr->members[sr->n_members - 1] : NULL;

        if (push)
                out(g, 0, "\nstatic int ndr_push__%s(struct ndr_push *ndr, int ndr_flags, const %s *r) {\n",
                    sr->fname, sr->cname);
        else
                out(g, 0, "\nstatic int ndr_pull__%s(struct ndr_pull *ndr, int ndr_flags, %s *r) {\n",
                    sr->fname, sr->cname);
        if (!push) {
                out(g, 1, "uint32_t id_ = 0, conf_ = 0;\n\n");
                out(g, 1, "(void)id_;\n        (void)conf_;\n");
        }
        out(g, 1, "if (ndr_flags & NDR_SCALARS) {\n");
        if (last) {
                e.L = last;
                if (push)
                        out(g, 2, "ndr_push_conformance(ndr, %s);       /* hoisted */\n",
                            count_expr(&e, &last->l[0]));
                else
                        out(g, 2, "NDR_CHECK(ndr_pull_conformance(ndr, &conf_));       /* hoisted */\n");
        }
        out(g, 2, push ? "ndr_push_align(ndr, %u);\n" : "NDR_CHECK(ndr_pull_align(ndr, %u));\n",
            sr->align);
        for (size_t i = 0; i < sr->n_members; i++) {
                e.L = &sr->members[i];
                char *v = fmt(g, "r->%s", e.L->f->name);
                if (push)
                        emit_push(&e, 0, v, true, false, 2);
                else
                        emit_pull(&e, 0, v, true, false, 2, M_INLINE);
        }
        out(g, 1, "}\n");
        if (sr->deferred) {
                out(g, 1, "if (ndr_flags & NDR_BUFFERS) {\n");
                for (size_t i = 0; i < sr->n_members; i++) {
                        e.L = &sr->members[i];
                        if (!level_deferred(e.L, 0))
                                continue;
                        char *v = fmt(g, "r->%s", e.L->f->name);
                        if (push)
                                emit_push(&e, 0, v, false, true, 2);
                        else
                                emit_pull(&e, 0, v, false, true, 2, M_INLINE);
                }
                out(g, 1, "}\n");
        }
        out(g, 1, push ? "return ndr_push_error(ndr);\n" : "return 0;\n");
        out(g, 0, "}\n");
}

static void write_case_labels(struct gen *g, struct idl_field *f, int ind) {
        int64_t v;

        for (size_t k = 0; k < f->n_cases; k++) {
                idl_eval(g->ctx, f->cases[k], &v);
                out(g, ind, "case %lldLL:\n", (long long)v);
        }
        if (f->is_default)
                out(g, ind, "default:\n");
}

static bool has_default(struct idl_type *st) {
        for (struct idl_field *f = st->fields; f; f = f->next)
                if (f->is_default)
                        return true;
        return false;
}

static void write_union(struct gen *g, struct sreg *sr, bool push) {
        struct idl_type *st = sr->st;
        bool encap = st->kind == TYPE_ENCAP_UNION;
        const char *un = st->union_name ? st->union_name : "u";
        struct em e = {.g = g, .ndr = "ndr", .prefix = "r->", .side = SIDE_TYPE};
        struct idl_type *swt = encap ? st->switch_field->type : sr->switch_type;
        struct scalar s;
        unsigned aa = 1;
        char *sw = encap ? fmt(g, "r->%s", st->switch_field->name) : "level";

        for (size_t i = 0; i < sr->n_members; i++)
                if (sr->members[i].n) {
                        unsigned a = level_align(g, &sr->members[i], 0);
                        if (a > aa)
                                aa = a;
                }
        scalar_info(swt, &s);
        if (push)
                out(g, 0, "\nstatic int ndr_push__%s(struct ndr_push *ndr, int ndr_flags,%s const %s *r) {\n",
                    sr->fname, level_param(sr), sr->cname);
        else
                out(g, 0, "\nstatic int ndr_pull__%s(struct ndr_pull *ndr, int ndr_flags,%s %s *r) {\n",
                    sr->fname, level_param(sr), sr->cname);
        if (!push)
                out(g, 1, "uint32_t id_ = 0;\n\n        (void)id_;\n");
        out(g, 1, "if (ndr_flags & NDR_SCALARS) {\n");
        /*
         * [MS-RPCE] 2.2.5.3.4.4: in NDR 2.0 a union is its discriminant, aligned to its own
         * type, then the arm, aligned to its own; an encapsulated union is a structure, so
         * it starts aligned to its largest member.  No trailing pad (2.2.5.3.4.1: NDR64).
         */
        (void)aa;
        if (push) {
                if (encap)
                        out(g, 2, "ndr_push_align(ndr, %u);\n", sr->align);
                out(g, 2, "%s(ndr, (%s)(%s));\n", s.push, s.wtype, sw);
        } else {
                if (encap)
                        out(g, 2, "NDR_CHECK(ndr_pull_align(ndr, %u));\n", sr->align);
                out(g, 2, "{\n");
                out(g, 3, "%s v_;\n", s.wtype);
                out(g, 3, "NDR_CHECK(%s(ndr, &v_));\n", s.pull);
                if (encap)
                        out(g, 3, "%s = v_;\n", sw);
                else
                        out(g, 3, "if ((int64_t)v_ != level)\n                                return -EBADMSG;        /* not the switch_is value */\n");
                out(g, 2, "}\n");
        }
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        if (!sr->deferred)
                                break;
                        out(g, 1, "if (ndr_flags & NDR_BUFFERS) {\n");
                }
                out(g, 2, "switch ((int64_t)%s) {\n", sw);
                for (size_t i = 0; i < sr->n_members; i++) {
                        const struct levels *L = &sr->members[i];
                        write_case_labels(g, L->f, 2);
                        if (L->n) {
                                char *v = encap ? fmt(g, "r->%s.%s", un, L->f->name)
                                                : fmt(g, "r->%s", L->f->name);
                                e.L = L;
                                if (push)
                                        emit_push(&e, 0, v, pass == 0, pass == 1, 3);
                                else
                                        emit_pull(&e, 0, v, pass == 0, pass == 1, 3, M_INLINE);
                        }
                        out(g, 3, "break;\n");
                }
                if (!has_default(st)) {
                        out(g, 2, "default:\n");
                        if (pass == 0)
                                out(g, 3, "return ndr_%s_bad_arm(ndr, (uint32_t)%s);\n",
                                    push ? "push" : "pull", sw);
                        else
                                out(g, 3, "break;\n");
                }
                out(g, 2, "}\n");
                out(g, 1, "}\n");
        }
        out(g, 1, push ? "return ndr_push_error(ndr);\n" : "return 0;\n");
        out(g, 0, "}\n");
}

static void write_type_funcs(struct gen *g) {
        if (!g->n_structs)
                return;
        out(g, 0, "\n/* --- types --- */\n\n");
        for (size_t i = 0; i < g->n_structs; i++) {
                struct sreg *sr = g->structs[i];
                out(g, 0, "static int ndr_push__%s(struct ndr_push *ndr, int ndr_flags,%s const %s *r) __attribute__((unused));\n",
                    sr->fname, level_param(sr), sr->cname);
                out(g, 0, "static int ndr_pull__%s(struct ndr_pull *ndr, int ndr_flags,%s %s *r) __attribute__((unused));\n",
                    sr->fname, level_param(sr), sr->cname);
                out(g, 0, "static const char ndr_tag_%s_ __attribute__((unused));\n", sr->fname);
        }
        for (size_t i = 0; i < g->n_structs; i++) {
                struct sreg *sr = g->structs[i];
                if (sr->st->kind == TYPE_STRUCT) {
                        write_struct(g, sr, true);
                        write_struct(g, sr, false);
                } else {
                        write_union(g, sr, true);
                        write_union(g, sr, false);
                }
        }
}

/* --- methods ----------------------------------------------------------------------------- */

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

static struct param *param_named(struct method *m, const char *name) {
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->ps[i].f->name, name) == 0)
                        return &m->ps[i];
        return NULL;
}

/*
 * Identifiers of a parameter attribute expression must name parameters; a parameter
 * dereferenced there must be a [ref] pointer (a [unique] one may be NULL); dir_mask:
 * the directions they may have; before: they must come before parameter `pos`.
 */
static bool check_expr(struct gen *g, struct method *m, const struct idl_expr *x, size_t pos,
                       unsigned dir_mask, bool before, const char *what) {
        if (!x)
                return true;
        if (x->kind == EXPR_UNARY && x->op == '*' && x->a && x->a->kind == EXPR_IDENT) {
                struct param *p = param_named(m, x->a->str);
                if (p && !(p->L.n > 0 && p->L.l[0].kind == L_PTR && p->L.l[0].top)) {
                        gen_error(g, &m->ps[pos].f->loc, "parameter", m->ps[pos].f->name,
                                  "a count or switch through a pointer that may be NULL");
                        return false;
                }
        }
        if (x->kind == EXPR_IDENT) {
                struct param *p = param_named(m, x->str);
                if (!p) {
                        idl_error(g->ctx, &x->loc, "stubs: '%s' in %s is not a parameter",
                                  x->str, what);
                        g->errors++;
                        return false;
                }
                if (!(p->f->dir & dir_mask) || (before && p >= &m->ps[pos])) {
                        gen_error(g, &m->ps[pos].f->loc, "parameter", m->ps[pos].f->name,
                                  fmt(g, "%s names '%s', which the receiver does not have yet",
                                      what, x->str));
                        return false;
                }
                return true;
        }
        return check_expr(g, m, x->a, pos, dir_mask, before, what) &&
               check_expr(g, m, x->b, pos, dir_mask, before, what) &&
               check_expr(g, m, x->c, pos, dir_mask, before, what);
}

static bool check_param_exprs(struct gen *g, struct method *m, size_t pos) {
        struct param *p = &m->ps[pos];
        bool ok = true;

        if (!level_exprs_ok(g, &p->L)) {
                gen_error(g, &p->f->loc, "parameter", p->f->name,
                          "attribute expression not supported by the stub generator");
                return false;
        }
        for (int i = 0; i < p->L.n; i++) {
                const struct level *l = &p->L.l[i];
                const struct idl_expr *xs[] = {l->size_is, l->max_is, l->length_is, l->first_is,
                                               l->last_is};
                /* inside an element loop or below a pointer that may be NULL, a count is
                   checked where it is pulled: it must name parameters pulled before */
                bool nested = false;
                for (int j = 0; j < i; j++)
                        if (p->L.l[j].kind == L_ARRAY ||
                            (p->L.l[j].kind == L_PTR && !p->L.l[j].top))
                                nested = true;
                for (size_t k = 0; k < 5; k++) {
                        if (!xs[k])
                                continue;
                        if (nested)
                                ok &= check_expr(g, m, xs[k], pos, DIR_INOUT, true,
                                                 "a nested count");
                        if (!expr_str(g, xs[k], "")) {
                                gen_error(g, &p->f->loc, "parameter", p->f->name,
                                          "attribute expression not supported");
                                ok = false;
                                continue;
                        }
                        ok &= check_expr(g, m, xs[k], pos, DIR_INOUT, false, "a count");
                        /* an [out]-only array's memory is sized from [in] values */
                        if (p->f->dir == DIR_OUT && i == 1 && k < 2)
                                ok &= check_expr(g, m, xs[k], pos, DIR_IN, false, "an [out] size");
                }
                if (l->kind == L_DATA && l->dk == D_UNION) {
                        if (!expr_str(g, l->sw, "")) {
                                gen_error(g, &p->f->loc, "parameter", p->f->name,
                                          "switch_is expression not supported");
                                ok = false;
                        } else {
                                ok &= check_expr(g, m, l->sw, pos,
                                                 (p->f->dir & DIR_IN) ? DIR_IN : DIR_INOUT,
                                                 (p->f->dir & DIR_IN) != 0, "switch_is");
                        }
                }
                if (l->kind == L_DATA && l->dk == D_IFACE && l->iid_is) {
                        if (!expr_str(g, l->iid_is, ""))
                                ok = false;
                        else
                                ok &= check_expr(g, m, l->iid_is, pos, DIR_IN, false, "iid_is");
                }
        }
        return ok;
}

static bool method_build(struct gen *g, struct idl_func *fn, struct method *m, bool object) {
        bool ok = true;
        struct scalar s;

        memset(m, 0, sizeof *m);
        m->fn = fn;
        m->object = object;
        m->rtype = fn->type->ref;
        m->ret = m->rtype && idl_type_resolve(m->rtype) &&
                 idl_type_resolve(m->rtype)->kind != TYPE_VOID;
        if (m->ret && !scalar_info(m->rtype, &s)) {
                idl_error(g->ctx, &fn->loc, "stubs: '%s': the return type has no NDR form here",
                          fn->name);
                g->errors++;
                ok = false;
        }
        if (object && (!m->ret || !is_basic(m->rtype, BASIC_LONG))) {
                idl_error(g->ctx, &fn->loc,
                          "stubs: '%s': a remotable object method returns HRESULT", fn->name);
                g->errors++;
                ok = false;
        }
        for (struct idl_field *f = fn->type->fields; f; f = f->next) {
                if (!f->type || idl_type_resolve(f->type)->kind == TYPE_VOID)
                        continue;
                if (m->n >= MAX_PARAMS) {
                        idl_error(g->ctx, &fn->loc, "stubs: '%s': too many parameters", fn->name);
                        g->errors++;
                        return false;
                }
                struct param *p = &m->ps[m->n++];
                p->f = f;
                if (!f->name) {
                        idl_error(g->ctx, &f->loc, "stubs: a parameter of '%s' needs a name",
                                  fn->name);
                        g->errors++;
                        ok = false;
                        continue;
                }
                if (!build_levels(g, f, true, &p->L)) {
                        ok = false;
                        continue;
                }
                const struct level *l0 = &p->L.l[0];
                p->handle = l0->kind == L_DATA && l0->dk == D_HANDLE;
                if (p->handle && (f->dir != DIR_IN || object)) {
                        gen_error(g, &f->loc, "parameter", f->name, "handle_t is [in] only");
                        ok = false;
                }
                if (l0->kind == L_DATA && l0->dk == D_CTX) {
                        p->ctx = true;
                        if (f->dir != DIR_IN) {
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [out] context handle is passed by [ref] pointer");
                                ok = false;
                        }
                } else if (p->L.n == 2 && l0->kind == L_PTR && l0->top &&
                           p->L.l[1].kind == L_DATA && p->L.l[1].dk == D_CTX) {
                        p->ctx = true;
                        if (!(f->dir & DIR_OUT)) {
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [in] context handle is passed by value");
                                ok = false;
                        }
                } else {
                        for (int i = 0; i < p->L.n; i++)
                                if (p->L.l[i].kind == L_DATA && p->L.l[i].dk == D_CTX) {
                                        gen_error(g, &f->loc, "parameter", f->name,
                                                  "context handle in this position");
                                        ok = false;
                                }
                }
                if (object && p->ctx) {
                        gen_error(g, &f->loc, "parameter", f->name,
                                  "context handles in an object interface");
                        ok = false;
                }
                if (f->dir == DIR_INOUT && l0->kind == L_PTR && l0->ptr == PTR_UNIQUE &&
                    !next_is_array(&p->L, 0)) {
                        /* [in, out, unique]: may be NULL, stays what it was */
                } else if ((f->dir & DIR_OUT) && !(l0->kind == L_PTR && l0->top)) {
                        gen_error(g, &f->loc, "parameter", f->name,
                                  "an [out] parameter must be a [ref] pointer (or an [in, out, "
                                  "unique] one to a single value)");
                        ok = false;
                        continue;
                }
                if (l0->kind == L_DATA && l0->dk == D_STRUCT && l0->sr && l0->sr->conformant) {
                        gen_error(g, &f->loc, "parameter", f->name,
                                  "a conformant structure is passed by pointer");
                        ok = false;
                }
                p->top_array = l0->kind == L_PTR && l0->top && next_is_array(&p->L, 0);
                if (f->dir & DIR_OUT) {
                        const struct level *l1 = &p->L.l[1];
                        if (p->top_array && l1->kind == L_STRING && !l1->fixed &&
                            !level_has_size(l1)) {
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [out] [string] buffer needs size_is (or use a "
                                          "pointer to a string pointer)");
                                ok = false;
                        }
                        if (l1->kind == L_DATA && l1->dk == D_STRUCT && l1->sr &&
                            l1->sr->conformant) {
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [out] or [in, out] conformant structure needs a "
                                          "pointer to a pointer (its size is the server's)");
                                ok = false;
                        }
                }
        }
        if (!ok)
                return false;
        for (size_t i = 0; i < m->n; i++)
                ok &= check_param_exprs(g, m, i);
        return ok;
}

static bool expr_names_out(struct method *m, const struct idl_expr *x) {
        if (!x)
                return false;
        if (x->kind == EXPR_IDENT) {
                struct param *p = param_named(m, x->str);
                return p && (p->f->dir & DIR_OUT);
        }
        return expr_names_out(m, x->a) || expr_names_out(m, x->b) || expr_names_out(m, x->c);
}

static bool size_names_out(struct method *m, const struct level *l) {
        return expr_names_out(m, l->size_is) || expr_names_out(m, l->max_is);
}

/* The outer (function-scope) count variables of a parameter: levels before any array. */
static void declare_counts(struct gen *g, const struct param *p) {
        for (int i = 0; i < p->L.n; i++) {
                const struct level *l = &p->L.l[i];
                if (l->kind == L_ARRAY || l->kind == L_STRING) {
                        const char *n = p->f->name;
                        out(g, 1, "uint32_t c_%s_%d = 0, o_%s_%d = 0, a_%s_%d = 0;\n", n, i, n, i,
                            n, i);
                        out(g, 1, "(void)c_%s_%d;\n        (void)o_%s_%d;\n        (void)a_%s_%d;\n",
                            n, i, n, i, n, i);
                        if (l->kind == L_ARRAY)
                                return;
                }
        }
}

static void print_params(struct gen *g, const struct method *m, bool skip_handles) {
        for (size_t i = 0; i < m->n; i++) {
                if (skip_handles && m->ps[i].handle)
                        continue;
                fputs(", ", g->f);
                print_decl(g->f, m->ps[i].f->type, m->ps[i].f->name);
        }
}

static void print_ret_param(struct gen *g, const struct method *m) {
        if (m->ret) {
                fputs(", ", g->f);
                print_decl(g->f, m->rtype, "*ret_");
        }
}

/* int Foo_Method(handle_t h_, args... [, RET *ret_]) */
static void print_client_proto(struct gen *g, const struct method *m) {
        fprintf(g->f, "int %s_%s(handle_t h_", g->ifc->name, m->fn->name);
        print_params(g, m, true);
        print_ret_param(g, m);
        fputc(')', g->f);
}

/*
 * MIDL's client procedure: RET Method(args...) over the status form (static then, in
 * FILE_c.c): a failed call raises its RPC_STATUS, as MIDL's stubs raise through
 * RpcRaiseException.  The binding is the method's handle_t parameter; a method without
 * one has no binding (no ACF: no implicit or auto handles) and raises RPC_S_INVALID_BINDING.
 */
static void write_midl_client(struct gen *g, const struct method *m) {
        const char *h = NULL;

        for (size_t i = 0; i < m->n; i++)
                if (m->ps[i].handle) {
                        h = m->ps[i].f->name;
                        break;
                }
        fputs("\n", g->f);
        if (m->ret)
                print_decl(g->f, m->rtype, "");
        else
                fputs("void", g->f);
        fprintf(g->f, " %s(", m->fn->name);
        for (size_t i = 0; i < m->n; i++) {
                if (i)
                        fputs(", ", g->f);
                print_decl(g->f, m->ps[i].f->type, m->ps[i].f->name);
        }
        fputs(m->n ? ") {\n" : "void) {\n", g->f);
        if (m->ret) {
                fputs("        ", g->f);
                print_decl(g->f, m->rtype, "ret_");
                fputs(";\n", g->f);
                out(g, 1, "memset(&ret_, 0, sizeof ret_);\n");
        }
        out(g, 1, "handle_t h_ = %s;\n", h ? h : "NULL");
        out(g, 1, "int rc_ = %s_%s(h_", g->ifc->name, m->fn->name);
        for (size_t i = 0; i < m->n; i++)
                if (!m->ps[i].handle)
                        fprintf(g->f, ", %s", m->ps[i].f->name);
        fputs(m->ret ? ", &ret_);\n" : ");\n", g->f);
        out(g, 1, "if (rc_ < 0)\n                RpcRaiseException(dcom_rpc_call_status(h_, rc_));\n");
        if (m->ret)
                out(g, 1, "return ret_;\n");
        out(g, 0, "}\n");
}

/* What the pulled-into-caller-memory [out] arrays may hold: the caller's sizes. */
static char *cap_expr(struct gen *g, const struct param *p) {
        struct em e = {.g = g, .prefix = ""};
        return count_expr64(&e, &p->L.l[1]);
}

/* The server's [in] parameters: pull, then the correlation checks. */
static void server_pull_in(struct gen *g, struct method *m) {
        char *checks = NULL;
        size_t len = 0;
        FILE *cf = open_memstream(&checks, &len);
        if (!cf)
                abort();
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *n = p->f->name;
                if (!(p->f->dir & DIR_IN) || p->handle)
                        continue;
                if (p->ctx) {
                        out(g, 1, "NDR_CHECK(ndr_pull_context_handle(ndr, &w_%s));\n", n);
                        out(g, 1, "if (!call->contexts)\n                return -EOPNOTSUPP;\n");
                        if (p->L.l[0].kind == L_PTR) {
                                out(g, 1, "if (!ndr_context_handle_is_null(&w_%s))\n", n);
                                out(g, 2, "NDR_CHECK(call->contexts->lookup(call->contexts, &w_%s, &s_%s));\n",
                                    n, n);
                        } else {
                                out(g, 1, "NDR_CHECK(call->contexts->lookup(call->contexts, &w_%s, (void **)&%s));\n",
                                    n, n);
                        }
                        continue;
                }
                struct em e = {.g = g, .L = &p->L, .ndr = "ndr", .prefix = "",
                               .side = SIDE_SERVER, .pname = n, .checks = cf};
                emit_pull(&e, 0, n, true, true, 1, M_ALLOC);
                if (p->top_array && !p->L.l[1].fixed)
                        out(g, 1, "alloc_%s = c_%s_1;\n", n, n);
        }
        fclose(cf);
        if (len)
                fputs(checks, g->f);
        free(checks);
}

/* The server's [out]-only parameters: memory for the implementation to fill. */
static void server_alloc_out(struct gen *g, struct method *m) {
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *n = p->f->name;
                if (p->f->dir != DIR_OUT || p->ctx)
                        continue;
                if (p->top_array) {
                        out(g, 1, "alloc_%s = %s;\n", n, cap_expr(g, p));
                        out(g, 1, "if (!(%s = ndr_pull_alloc(ndr, alloc_%s ? alloc_%s : 1, sizeof *%s)))\n",
                            n, n, n, n);
                } else {
                        out(g, 1, "if (!(%s = ndr_pull_alloc(ndr, 1, sizeof *%s)))\n", n, n);
                }
                out(g, 2, "return ndr->error;\n");
        }
}

/* A context handle parameter's T_rundown (MIDL: one per [context_handle] typedef). */
static const char *ctx_rundown(struct gen *g, const struct param *p) {
        const struct level *l = &p->L.l[p->L.n - 1];
        struct idl_type *t = l->type;
        while (t && t->kind == TYPE_NAMEREF && t->ref)
                t = t->ref;
        if (t && t->kind == TYPE_ALIAS)
                return fmt(g, "%s_rundown", t->name);
        return "NULL";  /* [context_handle] void *: no type to name a rundown after */
}

/* The server's [out] parameters and return value. */
static void server_push_out(struct gen *g, struct method *m) {
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *n = p->f->name;
                if (!(p->f->dir & DIR_OUT))
                        continue;
                if (p->ctx) {
                        /* the runtime's table makes, updates or closes the wire handle */
                        out(g, 1, "if (!call->contexts)\n                ndr_push_fail(out_, -EOPNOTSUPP);\n");
                        out(g, 1, "else if ((rc_ = call->contexts->store(call->contexts, s_%s, &w_%s, %s)) < 0)\n",
                            n, n, ctx_rundown(g, p));
                        out(g, 2, "ndr_push_fail(out_, rc_);\n");
                        out(g, 1, "ndr_push_context_handle(out_, &w_%s);\n", n);
                        continue;
                }
                if (p->top_array && !p->L.l[1].fixed) {
                        /* never more than the stub allocated, whatever became of the count */
                        out(g, 1, "if ((uint64_t)%s > alloc_%s)\n", cap_expr(g, p), n);
                        out(g, 2, "return ndr_push_fail(out_, -EINVAL);\n");
                }
                struct em e = {.g = g, .L = &p->L, .ndr = "out_", .prefix = "",
                               .side = SIDE_SERVER, .pname = n};
                emit_push(&e, 0, n, true, true, 1);
        }
        if (m->ret) {
                struct scalar s;
                scalar_info(m->rtype, &s);
                out(g, 1, "%s(out_, (%s)(ret_));\n", s.push, s.wtype);
        }
}

static void server_locals(struct gen *g, struct method *m) {
        bool any_ctx_out = false;
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *n = p->f->name;
                fputs("        ", g->f);
                print_local(g->f, p->f->type, n);
                fputs(";\n", g->f);
                out(g, 1, "memset(&%s, 0, sizeof %s);\n", n, n);
                if (p->ctx) {
                        out(g, 1, "struct ndr_context_handle w_%s = { 0 };\n", n);
                        if (p->L.l[0].kind == L_PTR) {
                                out(g, 1, "void *s_%s = NULL;\n", n);
                                any_ctx_out = true;
                        }
                }
                if (p->top_array)
                        out(g, 1, "uint64_t alloc_%s = 0;\n        (void)alloc_%s;\n", n, n);
                declare_counts(g, p);
        }
        if (any_ctx_out)
                out(g, 1, "int rc_;\n");
        if (m->ret) {
                fputs("        ", g->f);
                print_decl(g->f, m->rtype, "ret_");
                fputs(";\n", g->f);
        }
        out(g, 1, "uint32_t id_ = 0;\n\n");
        out(g, 1, "(void)id_;\n        (void)ndr;\n");
        for (size_t i = 0; i < m->n; i++)
                if (m->ps[i].ctx && m->ps[i].L.l[0].kind == L_PTR)
                        out(g, 1, "%s = (void *)&s_%s;\n", m->ps[i].f->name, m->ps[i].f->name);
                else if (m->ps[i].handle)       /* the server binding handle: this call */
                        out(g, 1, "%s = (handle_t)call;\n", m->ps[i].f->name);
}

static void server_call_impl(struct gen *g, struct method *m, const char *target,
                             const char *this_arg) {
        out(g, 1, "ndr_server_call_enter(call);\n");
        out(g, 1, "%s%s(%s", m->ret ? "ret_ = " : "", target, this_arg);
        for (size_t i = 0; i < m->n; i++)
                fprintf(g->f, "%s%s", i || *this_arg ? ", " : "", m->ps[i].f->name);
        fputs(");\n", g->f);
        out(g, 1, "ndr_server_call_leave(call);\n");
}

/*
 * MIDL's contract for a program's manager routines: what they return through an [out]
 * pointer comes from midl_user_allocate (the program's), and the server stub frees it
 * with midl_user_free once marshaled.  Done for the referent of an [out] parameter's
 * pointer (a string, a structure, an array); pointers inside that referent are the
 * manager's to keep or leak (not walked).  Memory of the call's arena (what the stub
 * pulled, the runtime's own) is left alone.
 */
static void server_free_out(struct gen *g, struct method *m) {
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const struct levels *L = &p->L;
                if (p->f->dir != DIR_OUT || p->ctx || L->n < 2 || L->l[0].kind != L_PTR ||
                    !L->l[0].top || L->l[1].kind != L_PTR || L->l[1].top)
                        continue;
                if (L->n > 2 && L->l[2].kind == L_DATA &&
                    (L->l[2].dk == D_IFACE || L->l[2].dk == D_USER))
                        continue;
                out(g, 1, "if (*%s && !arena_owns(call->arena, *%s))\n", p->f->name, p->f->name);
                out(g, 2, "midl_user_free((void *)*%s);\n", p->f->name);
        }
}

static void write_server_method(struct gen *g, struct method *m) {
        const char *mname = m->object ? fmt(g, "%s", idl_method_name(m->fn)) : m->fn->name;

        out(g, 0, "\n/* %s (opnum %u) */\n", mname, m->opnum);
        if (m->object) {
                out(g, 0, "int %s_%s_Stub(struct ndr_server_call *call) {\n", g->ifc->name, mname);
                out(g, 1, "%s *obj_ = (%s *)call->impl;\n", g->ifc->name, g->ifc->name);
                out(g, 1, "ORPCTHIS this_;\n        ORPCTHAT that_;\n");
        } else {
                out(g, 0, "static int %s_%s_stub(struct ndr_server_call *call) {\n", g->ifc->name,
                    mname);
                out(g, 1, "const struct %s_epv *epv_ = call->impl;\n", g->prefix);
                /* a default EPV's method the program did not define */
                out(g, 1, "if (!epv_->%s)\n                return -EOPNOTSUPP;\n", mname);
        }
        out(g, 1, "struct ndr_pull *ndr = call->in;\n");
        out(g, 1, "struct ndr_push *out_ = call->out;\n");
        server_locals(g, m);
        if (m->object) {
                /* [MS-DCOM] 2.2.13.3: every request starts with ORPCTHIS */
                out(g, 1, "memset(&this_, 0, sizeof this_);\n        memset(&that_, 0, sizeof that_);\n");
                out(g, 1, "NDR_CHECK(ndr_pull__ORPCTHIS(ndr, NDR_SCALARS | NDR_BUFFERS, &this_));\n");
                out(g, 1, "NDR_CHECK(com_orpc_this_check(&this_));\n");
        }
        server_pull_in(g, m);
        server_alloc_out(g, m);
        fputc('\n', g->f);
        if (m->object) {
                out(g, 1, "call->orpc_this = &this_;\n");
                if (m->local)   /* [call_as]: the application's IFoo_M_Stub calls the object */
                        server_call_impl(g, m, fmt(g, "%s_%s_Stub", g->ifc->name,
                                                   idl_method_name(m->local)), "obj_");
                else
                        server_call_impl(g, m, fmt(g, "obj_->lpVtbl->%s", mname), "obj_");
                out(g, 1, "call->orpc_this = NULL;\n");
                /* [MS-DCOM] 2.2.13.4: every response starts with ORPCTHAT */
                out(g, 1, "ndr_push__ORPCTHAT(out_, NDR_SCALARS | NDR_BUFFERS, &that_);\n");
        } else {
                server_call_impl(g, m, fmt(g, "epv_->%s", mname), "");
        }
        fputc('\n', g->f);
        server_push_out(g, m);
        if (!m->object && !g->ctx->status_stubs)
                server_free_out(g, m);
        out(g, 1, "return ndr_push_error(out_);\n}\n");
}

/* The client: push_ (the [in] arguments), pull_ (the [out] ones), and the stub. */
static void client_push_fn(struct gen *g, struct method *m, const char *name, const char *extra) {
        out(g, 0, "static int %s(struct ndr_push *ndr%s", name, extra);
        for (size_t i = 0; i < m->n; i++)
                if ((m->ps[i].f->dir & DIR_IN) && !m->ps[i].handle) {
                        fputs(", ", g->f);
                        print_decl(g->f, m->ps[i].f->type, m->ps[i].f->name);
                }
        fputs(") {\n", g->f);
        if (m->object)
                out(g, 1, "NDR_CHECK(ndr_push__ORPCTHIS(ndr, NDR_SCALARS | NDR_BUFFERS, orpcthis));\n");
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *n = p->f->name;
                if (!(p->f->dir & DIR_IN) || p->handle)
                        continue;
                if (p->ctx) {
                        /* the handle's wire form, zeros for NULL */
                        out(g, 1, "{\n");
                        out(g, 2, "struct ndr_context_handle w_ = { 0 };\n\n");
                        if (p->L.l[0].kind == L_PTR)
                                out(g, 2, "if (%s && *%s)\n                        w_ = ((const struct ndr_client_context *)*%s)->wire;\n",
                                    n, n, n);
                        else
                                out(g, 2, "if (%s)\n                        w_ = ((const struct ndr_client_context *)%s)->wire;\n",
                                    n, n);
                        out(g, 2, "ndr_push_context_handle(ndr, &w_);\n");
                        out(g, 1, "}\n");
                        continue;
                }
                struct em e = {.g = g, .L = &p->L, .ndr = "ndr", .prefix = "",
                               .side = SIDE_CLIENT};
                emit_push(&e, 0, n, true, true, 1);
        }
        out(g, 1, "return ndr_push_error(ndr);\n}\n\n");
}

static void client_pull_fn(struct gen *g, struct method *m, const char *name, const char *extra) {
        char *checks = NULL;
        size_t len = 0;

        out(g, 0, "static int %s(struct ndr_pull *ndr%s", name, extra);
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (p->handle)
                        continue;
                fputs(", ", g->f);
                print_decl(g->f, p->f->type, p->f->name);
                if (p->ctx && (p->f->dir & DIR_OUT))
                        fprintf(g->f, ", struct ndr_context_handle *w_%s", p->f->name);
                if (p->top_array && (p->f->dir & DIR_OUT))
                        fprintf(g->f, ", uint64_t cap_%s", p->f->name);
        }
        print_ret_param(g, m);
        fputs(") {\n", g->f);
        out(g, 1, "uint32_t id_ = 0;\n");
        for (size_t i = 0; i < m->n; i++)
                if (m->ps[i].f->dir & DIR_OUT)
                        declare_counts(g, &m->ps[i]);
        if (m->ret) {
                fputs("        ", g->f);
                print_decl(g->f, m->rtype, "rv_");
                fputs(";\n", g->f);
        }
        out(g, 0, "\n        (void)id_;\n");
        for (size_t i = 0; i < m->n; i++)
                if (!(m->ps[i].f->dir & DIR_OUT) && !m->ps[i].handle)
                        out(g, 1, "(void)%s;\n", m->ps[i].f->name);
        if (m->object)
                out(g, 1, "NDR_CHECK(ndr_pull__ORPCTHAT(ndr, NDR_SCALARS | NDR_BUFFERS, orpcthat));\n");
        /* what the caller keeps comes from midl_user_allocate(), all or nothing */
        out(g, 1, "ndr_pull_user_memory(ndr);\n");
        FILE *cf = open_memstream(&checks, &len);
        if (!cf)
                abort();
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *n = p->f->name;
                if (!(p->f->dir & DIR_OUT))
                        continue;
                if (p->ctx) {
                        out(g, 1, "NDR_CHECK(ndr_pull_context_handle(ndr, w_%s));\n", n);
                        continue;
                }
                struct em e = {.g = g, .L = &p->L, .ndr = "ndr", .prefix = "",
                               .side = SIDE_CLIENT, .pname = n, .checks = cf};
                /* a size the server sends back ([in, out] *pn) must match what it sent */
                e.strict = p->top_array && size_names_out(m, &p->L.l[1]);
                emit_pull(&e, 0, n, true, true, 1, M_INPLACE);
        }
        fclose(cf);
        if (len)
                fputs(checks, g->f);
        free(checks);
        if (m->ret) {
                struct scalar s;
                scalar_info(m->rtype, &s);
                out(g, 1, "{\n                %s v_;\n                NDR_CHECK(%s(ndr, &v_));\n                rv_ = v_;\n        }\n",
                    s.wtype, s.pull);
                out(g, 1, "if (ret_)\n                *ret_ = rv_;\n");
        }
        out(g, 1, "return 0;\n}\n\n");
}

/* After a failed pull: the caller's [out] pointers hold nothing we freed. */
static void client_clear_out(struct gen *g, struct method *m, int ind) {
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (!(p->f->dir & DIR_OUT) || p->ctx)
                        continue;
                if (p->top_array) {
                        /* elements holding pointers to memory the rollback freed */
                        if (p->L.l[1].kind == L_ARRAY && level_deferred(&p->L, 2))
                                out(g, ind, "memset(%s, 0, cap_%s * sizeof *%s);\n", p->f->name,
                                    p->f->name, p->f->name);
                        continue;
                }
                if (level_deferred(&p->L, 1))
                        out(g, ind, "if (%s)\n%*smemset(%s, 0, sizeof *%s);\n", p->f->name,
                            (ind + 1) * 8, "", p->f->name, p->f->name);
        }
}

/* The object method's proxy prototype (the vtable's signature). */
static void print_proxy_proto(struct gen *g, const struct method *m, const char *mname) {
        print_decl(g->f, m->rtype, "");
        fprintf(g->f, " STDMETHODCALLTYPE %s_%s_Proxy(%s *This", g->ifc->name, mname,
                g->ifc->name);
        print_params(g, m, false);
        fputc(')', g->f);
}

static void write_client_method(struct gen *g, struct method *m) {
        const char *ifn = g->ifc->name;
        const char *fn = m->object ? fmt(g, "%s", idl_method_name(m->fn)) : m->fn->name;
        const char *einval = m->object ? "com_stub_hresult(-EINVAL)" : "-EINVAL";

        out(g, 0, "\n/* %s (opnum %u) */\n", fn, m->opnum);
        client_push_fn(g, m, fmt(g, "%s_%s_push", ifn, fn),
                       m->object ? ", const ORPCTHIS *orpcthis" : "");
        client_pull_fn(g, m, fmt(g, "%s_%s_pull", ifn, fn), m->object ? ", ORPCTHAT *orpcthat" : "");
        if (m->object) {
                print_proxy_proto(g, m, fn);
        } else {
                if (!g->ctx->status_stubs)
                        fputs("static ", g->f);
                print_client_proto(g, m);
        }
        fputs(" {\n", g->f);
        out(g, 1, "struct ndr_push in_;\n        struct ndr_pull out_;\n        struct arena arena_;\n        int rc_;\n");
        if (m->object)
                out(g, 1, "ORPCTHIS this_;\n        ORPCTHAT that_;\n        HRESULT hr_ = E_UNEXPECTED;\n");
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (p->ctx && (p->f->dir & DIR_OUT))
                        out(g, 1, "struct ndr_context_handle w_%s = { 0 };\n        struct ndr_client_context *cc_%s = NULL;\n",
                            p->f->name, p->f->name);
        }
        fputc('\n', g->f);
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if ((p->f->dir & DIR_OUT) && p->L.l[0].kind == L_PTR && p->L.l[0].top)
                        out(g, 1, "if (!%s)\n                return %s;\n", p->f->name, einval);
        }
        /* the caller's buffers, sized before the call (counts through [ref] pointers) */
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (p->top_array && (p->f->dir & DIR_OUT))
                        out(g, 1, "uint64_t cap_%s = %s;\n", p->f->name, cap_expr(g, p));
        }
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (p->f->dir == DIR_OUT && !p->ctx && !p->top_array && level_deferred(&p->L, 1))
                        out(g, 1, "memset(%s, 0, sizeof *%s);\n", p->f->name, p->f->name);
        }
        if (m->object) {
                out(g, 1, "if ((rc_ = com_orpc_this_init(&this_)) < 0)\n                return com_stub_hresult(rc_);\n");
                out(g, 1, "memset(&that_, 0, sizeof that_);\n");
        }
        out(g, 1, "ndr_push_init(&in_, 0);\n        arena_init(&arena_, NDR_CLIENT_CALL_MAX);\n");
        out(g, 1, "rc_ = %s_%s_push(&in_%s", ifn, fn, m->object ? ", &this_" : "");
        for (size_t i = 0; i < m->n; i++)
                if ((m->ps[i].f->dir & DIR_IN) && !m->ps[i].handle)
                        fprintf(g->f, ", %s", m->ps[i].f->name);
        fputs(");\n", g->f);
        if (m->object)
                out(g, 1, "if (rc_ >= 0)\n                rc_ = ndr_client_call(((struct com_proxy *)This)->channel,\n"
                          "                                      ((struct com_proxy *)This)->iface ? ((struct com_proxy *)This)->iface : &%s_c_interface_,\n"
                          "                                      %u, &in_, &out_, &arena_);\n",
                    ifn, m->opnum);
        else
                out(g, 1, "if (rc_ >= 0)\n                rc_ = ndr_client_call(h_, &%s_c_interface, %u, &in_, &out_, &arena_);\n",
                    g->prefix, m->opnum);
        out(g, 1, "if (rc_ >= 0) {\n");
        out(g, 2, "rc_ = %s_%s_pull(&out_%s", ifn, fn, m->object ? ", &that_" : "");
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (p->handle)
                        continue;
                fprintf(g->f, ", %s", p->f->name);
                if (p->ctx && (p->f->dir & DIR_OUT))
                        fprintf(g->f, ", &w_%s", p->f->name);
                if (p->top_array && (p->f->dir & DIR_OUT))
                        fprintf(g->f, ", cap_%s", p->f->name);
        }
        fputs(m->object ? ", &hr_);\n" : m->ret ? ", ret_);\n" : ");\n", g->f);
        /* context handles: a new one gets its client context, a NULL one closes it */
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *cn = p->f->name;
                if (!p->ctx || !(p->f->dir & DIR_OUT))
                        continue;
                out(g, 2, "if (rc_ >= 0 && !ndr_context_handle_is_null(&w_%s)) {\n", cn);
                if (p->f->dir == DIR_INOUT)
                        out(g, 3, "if (*%s)\n                                ((struct ndr_client_context *)*%s)->wire = w_%s;\n                        else ",
                            cn, cn, cn);
                else
                        out(g, 3, "%s", "");
                fprintf(g->f, "if (!(cc_%s = midl_user_allocate(sizeof *cc_%s)))\n", cn, cn);
                out(g, 4, "rc_ = -ENOMEM;\n");
                out(g, 2, "}\n");
        }
        out(g, 2, "if (rc_ < 0) {\n");
        out(g, 3, "ndr_pull_user_rollback(&out_);\n");
        client_clear_out(g, m, 3);
        for (size_t i = 0; i < m->n; i++)
                if (m->ps[i].ctx && (m->ps[i].f->dir & DIR_OUT))
                        out(g, 3, "midl_user_free(cc_%s);\n", m->ps[i].f->name);
        out(g, 2, "} else {\n");
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const char *cn = p->f->name;
                if (!p->ctx || !(p->f->dir & DIR_OUT))
                        continue;
                out(g, 3, "if (cc_%s) {\n", cn);
                out(g, 4, "cc_%s->wire = w_%s;\n", cn, cn);
                out(g, 4, "*%s = cc_%s;\n", cn, cn);
                out(g, 3, "} else if (ndr_context_handle_is_null(&w_%s)) {\n", cn);
                if (p->f->dir == DIR_INOUT)
                        out(g, 4, "midl_user_free(*%s);  /* closed */\n", cn);
                out(g, 4, "*%s = NULL;\n", cn);
                out(g, 3, "}\n");
        }
        out(g, 3, "ndr_pull_user_commit(&out_);\n");
        out(g, 2, "}\n");
        out(g, 1, "}\n");
        out(g, 1, "arena_reset(&arena_);\n        ndr_push_free(&in_);\n");
        if (m->object)
                out(g, 1, "return rc_ < 0 ? com_stub_hresult(rc_) : hr_;\n}\n");
        else
                out(g, 1, "return rc_;\n}\n");
        if (!m->object && !g->ctx->status_stubs)
                write_midl_client(g, m);
}

/* --- files --------------------------------------------------------------------------------- */

static bool is_obj_iface(struct idl_stmt *s);
static bool build_obj_iface(struct gen *g, struct idl_iface *ifc, struct method *m);
static struct sreg *orpc_type(struct gen *g, const char *name);

/* An RPC interface with methods (one holding only types needs no stubs, nor a uuid). */
static bool is_rpc_iface(struct idl_stmt *s) {
        if (s->kind != STMT_INTERFACE || s->imported || !s->iface ||
            s->iface->kind != IFACE_INTERFACE || s->iface->is_object || s->iface->is_local ||
            !s->iface->defined)
                return false;
        for (struct idl_stmt *x = s->iface->stmts; x; x = x->next)
                if (x->kind == STMT_FUNC && x->func && !idl_attr_find(x->func->attrs, "local"))
                        return true;
        return false;
}

static void set_prefix(struct gen *g, struct idl_iface *ifc) {
        g->ifc = ifc;
        snprintf(g->prefix, sizeof g->prefix, "%s_v%u_%u", ifc->name, ifc->ver_major,
                 ifc->ver_minor);
}

#define FOR_METHODS(ifc, s)                                                                        \
        for (struct idl_stmt *s = (ifc)->stmts; s; s = s->next)                                    \
                if (s->kind == STMT_FUNC && s->func && !idl_attr_find(s->func->attrs, "local"))

/*
 * Typedefs with [encode] or [decode] (MIDL's type serialization, as an ACF would ask for
 * it): a structure or union named by the typedef, pickled with [MS-RPCE] 2.2.6's version
 * 1 headers by NAME_Encode / NAME_Decode in the client file.
 */
static bool wants_pickle(struct idl_attr *a) {
        return idl_attr_find(a, "encode") || idl_attr_find(a, "decode");
}

static void collect_pickles(struct gen *g, struct idl_stmt *stmts) {
        for (struct idl_stmt *s = stmts; s; s = s->next) {
                if (s->imported)
                        continue;
                if (s->kind == STMT_INTERFACE && s->iface)
                        collect_pickles(g, s->iface->stmts);
                if (s->kind != STMT_TYPEDEF)
                        continue;
                for (size_t i = 0; i < s->n_decls; i++) {
                        struct idl_type *t = s->decls[i];
                        if (!wants_pickle(s->attrs) && !wants_pickle(t->attrs))
                                continue;
                        struct idl_type *r = idl_type_resolve(t);
                        if (!r || r->kind != TYPE_STRUCT || g->n_pickles >= MAX_STRUCTS) {
                                idl_error(g->ctx, &s->loc,
                                          "stubs: [encode, decode] needs a structure typedef");
                                g->errors++;
                                continue;
                        }
                        if (struct_register(g, t))
                                g->pickles[g->n_pickles++] = t;
                }
        }
}

static void write_pickles(struct gen *g) {
        for (size_t i = 0; i < g->n_pickles; i++) {
                struct sreg *sr = struct_register(g, g->pickles[i]);
                const char *n = g->pickles[i]->name;
                if (!sr || sr->st->kind != TYPE_STRUCT)
                        continue;
                out(g, 0, "\n/* %s pickled ([MS-RPCE] 2.2.6: type serialization version 1) */\n", n);
                out(g, 0, "int %s_Encode(struct ndr_push *ndr, const %s *r) {\n", n, sr->cname);
                out(g, 1, "size_t base_ = ndr->base, start_ = ndr_pickle_begin(ndr);\n\n");
                out(g, 1, "ndr_push__%s(ndr, NDR_SCALARS | NDR_BUFFERS, r);\n", sr->fname);
                out(g, 1, "return ndr_pickle_end(ndr, start_, base_);\n}\n");
                out(g, 0, "\nint %s_Decode(const void *p, size_t len, struct arena *arena, %s *r, size_t *ret_used) {\n",
                    n, sr->cname);
                out(g, 1, "struct ndr_pull ndr_;\n        uint8_t drep_[4];\n        size_t body_;\n\n");
                out(g, 1, "NDR_CHECK(ndr_pickle_open(p, len, drep_, &body_));\n");
                out(g, 1, "NDR_CHECK(ndr_pull_init(&ndr_, (const uint8_t *)p + NDR_PICKLE_HEADER, body_, drep_, arena));\n");
                out(g, 1, "NDR_CHECK(ndr_pull__%s(&ndr_, NDR_SCALARS | NDR_BUFFERS, r));\n", sr->fname);
                out(g, 1, "if (ret_used)\n                *ret_used = NDR_PICKLE_HEADER + body_;\n");
                out(g, 1, "return 0;\n}\n");
        }
}

/* Builds every method of every RPC interface (reporting what cannot be generated). */
static int build_all(struct gen *g) {
        struct method *m = malloc(sizeof *m);
        if (!m)
                return -ENOMEM;
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                if (!s->iface->has_uuid) {
                        idl_error(g->ctx, &s->iface->loc, "stubs: interface '%s' needs a uuid",
                                  s->iface->name);
                        g->errors++;
                }
                FOR_METHODS(s->iface, x)
                method_build(g, x->func, m, false);
        }
        bool objects = false;
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next)
                if (is_obj_iface(s)) {
                        objects = true;
                        build_obj_iface(g, s->iface, m);
                }
        if (objects && !g->errors) {
                orpc_type(g, "ORPCTHIS");
                orpc_type(g, "ORPCTHAT");
        }
        collect_pickles(g, g->ctx->stmts);
        free(m);
        return g->errors ? -EINVAL : 0;
}

static const char check_macro[] = "#ifndef NDR_CHECK\n"
                                  "#define NDR_CHECK(x)                            \\\n"
                                  "        do {                                    \\\n"
                                  "                int r_ = (x);                   \\\n"
                                  "                if (r_ < 0)                     \\\n"
                                  "                        return r_;              \\\n"
                                  "        } while (0)\n"
                                  "#endif\n";

static void write_guid(FILE *f, const struct idl_guid *u) {
        fprintf(f, "{ 0x%08x, 0x%04x, 0x%04x, { ", u->d1, u->d2, u->d3);
        for (int i = 0; i < 8; i++)
                fprintf(f, "0x%02x%s", u->d4[i], i < 7 ? ", " : " } }");
}

static unsigned count_methods(struct idl_iface *ifc) {
        unsigned n = 0;
        FOR_METHODS(ifc, m)
        n++;
        return n;
}

static void write_iface_def(struct gen *g, const char *which, bool ops) {
        FILE *f = g->f;
        fprintf(f, "%sconst struct ndr_interface %s_%s_interface = {\n", ops ? "" : "static ",
                g->prefix, which);
        fputs("        .uuid = ", f);
        write_guid(f, &g->ifc->uuid);
        fprintf(f, ",\n        .ver_major = %u,\n        .ver_minor = %u,\n", g->ifc->ver_major,
                g->ifc->ver_minor);
        fprintf(f, "        .n_ops = %u,\n", count_methods(g->ifc));
        fprintf(f, "        .ops = %s,\n", ops ? "ops_" : "NULL");
        fprintf(f, "        .name = \"%s\",\n", g->ifc->name);
        if (ops && !g->ctx->status_stubs && count_methods(g->ifc))
                fprintf(f, "        .default_epv = &%s_default_epv_,\n", g->prefix);
        fputs("};\n", f);
}

/*
 * MIDL's default manager EPV: the program's functions named as the methods, so that
 * RpcServerRegisterIf(Foo_v1_0_s_ifspec, NULL, NULL) serves them.  Weak references: a
 * server that registers an EPV of its own need not define them; a method left undefined
 * answers nca_s_op_rng_error.
 */
static void write_default_epv(struct gen *g) {
        out(g, 0, "\n/* the default manager EPV: the program's %s functions */\n", g->ifc->name);
        FOR_METHODS(g->ifc, x) {
                fputs("extern __typeof__(", g->f);
                fprintf(g->f, "%s) %s __attribute__((weak));\n", x->func->name, x->func->name);
        }
        out(g, 0, "static const %s_epv_t %s_default_epv_ = {\n", g->prefix, g->prefix);
        FOR_METHODS(g->ifc, x)
        out(g, 1, "%s,\n", x->func->name);
        out(g, 0, "};\n\n");
}

/* GUIDs of the interfaces passed as interface pointers (no link dependency on _i.c). */
static void write_iid_consts(struct gen *g) {
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (s->kind != STMT_INTERFACE || !s->iface || !s->iface->has_uuid ||
                    s->iface->kind != IFACE_INTERFACE)
                        continue;
                fprintf(g->f, "static const GUID ndr_iid_%s_ __attribute__((unused)) = ",
                        s->iface->name);
                write_guid(g->f, &s->iface->uuid);
                fputs(";\n", g->f);
        }
}

/*
 * Generated code first goes to a buffer: the type functions it needed are only known
 * once every method was written, and they must come first.
 */
static void write_prologue(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                           const char *what, const char *body) {
        FILE *saved = g->f;
        g->f = real;
        fprintf(real, "/* Generated by dcomidl from %s: do not edit. */\n", idl_name);
        fprintf(real, "/* %s (see <dcom/ndr-stub.h> for the conventions). */\n\n", what);
        fprintf(real, "#include <errno.h>\n#include <string.h>\n\n#include \"%s\"\n\n", stub_header);
        fputs(check_macro, real);
        fputs("\nstatic const char ndr_tag_ptr_ __attribute__((unused));\n", real);
        static const char *const wt[] = {"uint8_t", "int8_t", "uint16_t", "int16_t", "uint32_t",
                                         "int32_t", "uint64_t", "float", "double", "bool",
                                         "GUID", "FILETIME", "other"};
        for (size_t i = 0; i < sizeof wt / sizeof *wt; i++)
                fprintf(real, "static const char ndr_tag_%s_ __attribute__((unused));\n", wt[i]);
        write_iid_consts(g);
        write_type_funcs(g);
        fputs(body, real);
        g->f = saved;
}

static void write_client(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                         struct method *m) {
        char *body = NULL;
        size_t len = 0;

        g->f = open_memstream(&body, &len);
        if (!g->f)
                abort();
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                set_prefix(g, s->iface);
                out(g, 0, "\n/* --- %s --- */\n\n", g->prefix);
                write_iface_def(g, "c", false);
                out(g, 0, "RPC_IF_HANDLE %s_c_ifspec = (RPC_IF_HANDLE)&%s_c_interface;\n", g->prefix,
                    g->prefix);
                unsigned opnum = 0;
                FOR_METHODS(g->ifc, x) {
                        method_build(g, x->func, m, false);
                        m->opnum = opnum++;
                        write_client_method(g, m);
                }
        }
        write_pickles(g);
        fclose(g->f);
        write_prologue(g, real, idl_name, stub_header, "Client stubs", body);
        free(body);
}

static void write_server(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                         struct method *m) {
        char *body = NULL;
        size_t len = 0;
        unsigned n_ifaces = 0;

        g->f = open_memstream(&body, &len);
        if (!g->f)
                abort();
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                set_prefix(g, s->iface);
                n_ifaces++;
                out(g, 0, "\n/* --- %s --- */\n", g->prefix);
                unsigned opnum = 0;
                FOR_METHODS(g->ifc, x) {
                        method_build(g, x->func, m, false);
                        m->opnum = opnum++;
                        write_server_method(g, m);
                }
                out(g, 0, "\n#define ops_ %s_ops_\nstatic const struct ndr_op ops_[] = {\n", g->prefix);
                FOR_METHODS(g->ifc, x)
                out(g, 1, "{ \"%s\", %s_%s_stub },\n", x->func->name, g->ifc->name, x->func->name);
                if (!count_methods(g->ifc))
                        out(g, 1, "{ NULL, NULL },\n");
                out(g, 0, "};\n\n");
                if (!g->ctx->status_stubs && count_methods(g->ifc))
                        write_default_epv(g);
                write_iface_def(g, "s", true);
                out(g, 0, "RPC_IF_HANDLE %s_s_ifspec = (RPC_IF_HANDLE)&%s_s_interface;\n", g->prefix,
                    g->prefix);
                out(g, 0, "\nint %s_dispatch(struct ndr_server_call *call, uint32_t opnum) {\n", g->prefix);
                out(g, 1, "if (opnum >= %u)\n", count_methods(g->ifc));
                out(g, 2, "return -EOPNOTSUPP;\n");
                out(g, 1, "return ops_[opnum].dispatch(call);\n}\n#undef ops_\n");
        }
        fclose(g->f);
        write_prologue(g, real, idl_name, stub_header, "Server stubs", body);
        free(body);
}

/* --- object interfaces ([MS-DCOM] ORPC) ------------------------------------------------- */

/*
 * [MS-DCOM] 2.2.13.3, 2.2.13.4: ORPCTHIS and ORPCTHAT open every request and response of
 * an object method.  Like MIDL, dcomidl knows them without an import: this IDL is compiled into
 * the stubs (its C declarations are in <dcom/orpc-stub.h>).
 */
static const char orpc_idl[] =
        "typedef struct tagCOMVERSION { unsigned short MajorVersion; unsigned short MinorVersion; } COMVERSION;\n"
        "typedef struct tagORPC_EXTENT { GUID id; unsigned long size;\n"
        "        [size_is((size + 7) & ~7)] byte data[]; } ORPC_EXTENT;\n"
        "typedef struct tagORPC_EXTENT_ARRAY { unsigned long size; unsigned long reserved;\n"
        "        [size_is((size + 1) & ~1), unique] ORPC_EXTENT **extent; } ORPC_EXTENT_ARRAY;\n"
        "typedef struct tagORPCTHIS { COMVERSION version; unsigned long flags; unsigned long reserved1;\n"
        "        GUID cid; [unique] ORPC_EXTENT_ARRAY *extensions; } ORPCTHIS;\n"
        "typedef struct tagORPCTHAT { unsigned long flags; [unique] ORPC_EXTENT_ARRAY *extensions; } ORPCTHAT;\n";

static struct idl_ctx orpc_ctx;
static bool orpc_ready;

static struct sreg *orpc_type(struct gen *g, const char *name) {
        if (!orpc_ready) {
                idl_ctx_init(&orpc_ctx);
                orpc_ctx.err = g->ctx->err;
                idl_add_builtins(&orpc_ctx);
                if (idl_parse_buffer(&orpc_ctx, orpc_idl, sizeof orpc_idl - 1, "<orpc>", true) < 0 ||
                    orpc_ctx.errors || idl_check(&orpc_ctx) < 0)
                        abort();        /* our own text */
                orpc_ready = true;
        }
        struct idl_sym *sym = idl_sym_find(&orpc_ctx, name, 0);
        if (!sym || !sym->type)
                abort();
        return struct_register(g, sym->type);
}

static bool is_obj_iface(struct idl_stmt *s) {
        return s->kind == STMT_INTERFACE && !s->imported && s->iface &&
               s->iface->kind == IFACE_INTERFACE && s->iface->is_object && !s->iface->is_local &&
               s->iface->defined && s->iface->has_uuid && strcmp(s->iface->name, "IUnknown") != 0;
}

#define FOR_OBJ_METHODS(ifc, s)                                                                    \
        for (struct idl_stmt *s = (ifc)->stmts; s; s = s->next)                                    \
                if (s->kind == STMT_FUNC && s->func && !idl_attr_find(s->func->attrs, "call_as"))

/* The [call_as(local)] method of an interface that is local's wire form, or NULL. */
static struct idl_func *call_as_of(struct idl_iface *i, struct idl_func *local) {
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                struct idl_attr *a = s->kind == STMT_FUNC && s->func
                                             ? idl_attr_find(s->func->attrs, "call_as")
                                             : NULL;
                if (a && a->n_args == 1 && a->args[0]->kind == EXPR_IDENT && local->name &&
                    strcmp(a->args[0]->str, local->name) == 0)
                        return s->func;
        }
        return NULL;
}

static struct idl_func *local_of(struct idl_iface *i, struct idl_func *remote) {
        struct idl_attr *a = idl_attr_find(remote->attrs, "call_as");
        if (!a || a->n_args != 1 || a->args[0]->kind != EXPR_IDENT)
                return NULL;
        for (struct idl_stmt *s = i->stmts; s; s = s->next)
                if (s->kind == STMT_FUNC && s->func && s->func->name &&
                    strcmp(s->func->name, a->args[0]->str) == 0)
                        return s->func;
        return NULL;
}

static bool is_local_fn(struct idl_func *fn) {
        return idl_attr_find(fn->attrs, "local") != NULL;
}

/* The root of an interface's base chain (IUnknown for a proper COM interface). */
static struct idl_iface *root_iface(struct idl_iface *i) {
        for (int d = 0; i && i->base && i->base != i && d < 100; d++)
                i = i->base;
        return i;
}

static bool build_obj_iface(struct gen *g, struct idl_iface *ifc, struct method *m) {
        bool ok = true;
        struct idl_iface *root = root_iface(ifc);

        if (!root || strcmp(root->name, "IUnknown") != 0) {
                idl_error(g->ctx, &ifc->loc, "stubs: object interface '%s' does not derive from IUnknown",
                          ifc->name);
                g->errors++;
                return false;
        }
        for (struct idl_stmt *x = ifc->stmts; x; x = x->next) {
                if (x->kind != STMT_FUNC || !x->func || is_local_fn(x->func))
                        continue;       /* [local]: no wire form (its [call_as] has one) */
                if (idl_attr_find(x->func->attrs, "call_as") && !local_of(ifc, x->func)) {
                        idl_error(g->ctx, &x->func->loc,
                                  "stubs: '%s': [call_as] names no method of '%s'", x->func->name,
                                  ifc->name);
                        g->errors++;
                        ok = false;
                        continue;
                }
                ok &= method_build(g, x->func, m, true);
        }
        return ok;
}

/* A method's parameters and return type only (for wrappers that marshal nothing). */
static void method_signature(struct gen *g, struct idl_func *fn, struct method *m) {
        (void)g;
        memset(m, 0, sizeof *m);
        m->fn = fn;
        m->rtype = fn->type->ref;
        for (struct idl_field *f = fn->type->fields; f && m->n < MAX_PARAMS; f = f->next)
                if (f->type && idl_type_resolve(f->type)->kind != TYPE_VOID)
                        m->ps[m->n++].f = f;
}

/* IFoo's inherited slots: IUnknown's go to the proxy manager, others to the base's proxy. */
static void write_proxy_inherited(struct gen *g, struct idl_iface *i, struct method *m, int depth) {
        if (!i || depth > 100)
                return;
        write_proxy_inherited(g, i->base != i ? i->base : NULL, m, depth + 1);
        if (i == g->ifc)
                return;
        bool unk = strcmp(i->name, "IUnknown") == 0;
        FOR_OBJ_METHODS(i, x) {
                const char *mname = fmt(g, "%s", idl_method_name(x->func));
                method_signature(g, x->func, m);
                if (!unk && is_local_fn(x->func) && !call_as_of(i, x->func)) {
                        fputs("static ", g->f);
                        print_decl(g->f, m->rtype, "");
                        fprintf(g->f, " STDMETHODCALLTYPE %s_%s_via_%s_(%s *This", g->ifc->name,
                                mname, i->name, g->ifc->name);
                        print_params(g, m, false);
                        fputs(") {\n", g->f);
                        out(g, 1, "(void)This;\n");
                        out(g, 1, "return %s;     /* [local] without [call_as]: not remotable */\n}\n\n",
                            is_basic(m->rtype, BASIC_LONG) ? "E_NOTIMPL" : "0");
                        continue;
                }
                if (!unk) {
                        /* the base's proxy, from its own _p.c */
                        fputs("HRESULT STDMETHODCALLTYPE ", g->f);
                        fprintf(g->f, "%s_%s_Proxy(%s *This", i->name, mname, i->name);
                        print_params(g, m, false);
                        fputs(");\n", g->f);
                }
                fputs("static ", g->f);
                print_decl(g->f, m->rtype, "");
                fprintf(g->f, " STDMETHODCALLTYPE %s_%s_via_%s_(%s *This", g->ifc->name, mname, i->name,
                        g->ifc->name);
                print_params(g, m, false);
                fputs(") {\n", g->f);
                if (unk) {
                        const char *op = strcmp(x->func->name, "QueryInterface") == 0 ? "query_interface"
                                         : strcmp(x->func->name, "AddRef") == 0        ? "add_ref"
                                                                                       : "release";
                        out(g, 1, "struct com_proxy *px_ = (struct com_proxy *)This;\n\n");
                        out(g, 1, "return px_->unk->%s(px_", op);
                } else {
                        out(g, 1, "return %s_%s_Proxy((%s *)This", i->name, mname, i->name);
                }
                for (size_t k = 0; k < m->n; k++)
                        fprintf(g->f, ", %s", m->ps[k].f->name);
                fputs(");\n}\n\n", g->f);
        }
}

static void write_vtbl_entries(struct gen *g, struct idl_iface *i, int depth) {
        if (!i || depth > 100)
                return;
        write_vtbl_entries(g, i->base != i ? i->base : NULL, depth + 1);
        FOR_OBJ_METHODS(i, x) {
                const char *mname = idl_method_name(x->func);
                if (i != g->ifc)
                        out(g, 1, "%s_%s_via_%s_,\n", g->ifc->name, mname, i->name);
                else if (is_local_fn(x->func) && !call_as_of(i, x->func))
                        out(g, 1, "%s_%s_notremotable_,\n", g->ifc->name, mname);
                else    /* generated, or the application's for a [local] method */
                        out(g, 1, "%s_%s_Proxy,\n", g->ifc->name, mname);
        }
}

static void write_ops_entries(struct gen *g, struct idl_iface *i, int depth, bool protos) {
        if (!i || depth > 100)
                return;
        write_ops_entries(g, i->base != i ? i->base : NULL, depth + 1, protos);
        bool unk = strcmp(i->name, "IUnknown") == 0;
        FOR_OBJ_METHODS(i, x) {
                const char *mname = idl_method_name(x->func);
                if (protos) {
                        struct idl_func *r = is_local_fn(x->func) ? call_as_of(i, x->func) : NULL;
                        if (!unk && i != g->ifc && (r || !is_local_fn(x->func)))
                                out(g, 0, "int %s_%s_Stub(struct ndr_server_call *call);\n", i->name,
                                    r ? idl_method_name(r) : mname);
                } else if (unk) {
                        /* IUnknown's methods travel as IRemUnknown calls, never to the object */
                        out(g, 1, "{ \"%s\", NULL },\n", mname);
                } else if (is_local_fn(x->func)) {
                        struct idl_func *r = call_as_of(i, x->func);
                        if (r)
                                out(g, 1, "{ \"%s\", %s_%s_Stub },\n", idl_method_name(r), i->name,
                                    idl_method_name(r));
                        else
                                out(g, 1, "{ \"%s\", NULL },    /* [local] */\n", mname);
                } else {
                        out(g, 1, "{ \"%s\", %s_%s_Stub },\n", mname, i->name, mname);
                }
        }
}

/* FILE for FILE.idl, as a C identifier (MIDL's FILE_ProxyFileInfo). */
void idl_proxy_file_name(const char *idl_name, char *buf, size_t size) {
        const char *dot = strrchr(idl_name, '.');
        size_t n = dot ? (size_t)(dot - idl_name) : strlen(idl_name);

        if (n >= size)
                n = size - 1;
        for (size_t i = 0; i < n; i++) {
                char c = idl_name[i];
                buf[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                                         (i > 0 && c >= '0' && c <= '9')
                                 ? c
                                 : '_';
        }
        buf[n] = 0;
}

/*
 * The proxy file's table, MIDL's FILE_ProxyFileInfo (<dcom/orpc-stub.h>): what a proxy/stub
 * library's dlldata.c lists and the COM library reads after loading it (psfactory.c):
 * each interface's proxy vtable, its stubs, its name and method count.
 */
static void write_proxy_file_info(struct gen *g, const char *idl_name) {
        char name[256];
        unsigned n = 0;

        idl_proxy_file_name(idl_name, name, sizeof name);
        out(g, 0, "\n/* --- the proxy file (MIDL's ProxyFileInfo, listed by dlldata.c) --- */\n\n");
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_obj_iface(s))
                        continue;
                const char *i = s->iface->name;
                out(g, 0, "static const CInterfaceProxyVtbl %s_ProxyInfo_ = "
                          "{ { &ndr_iid_%s_ }, &%s_ProxyVtbl };\n", i, i, i);
                out(g, 0, "static const CInterfaceStubVtbl %s_StubInfo_ = "
                          "{ { &ndr_iid_%s_, &%s_p_interface, %u } };\n",
                    i, i, i, s->iface->n_methods);
                n++;
        }
        out(g, 0, "\nstatic const PCInterfaceProxyVtblList %s_ProxyVtblList_[] = {\n", name);
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next)
                if (is_obj_iface(s))
                        out(g, 1, "&%s_ProxyInfo_,\n", s->iface->name);
        out(g, 1, "NULL\n};\n\n");
        out(g, 0, "static const PCInterfaceStubVtblList %s_StubVtblList_[] = {\n", name);
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next)
                if (is_obj_iface(s))
                        out(g, 1, "&%s_StubInfo_,\n", s->iface->name);
        out(g, 1, "NULL\n};\n\n");
        out(g, 0, "static const PCInterfaceName %s_InterfaceNamesList_[] = {\n", name);
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next)
                if (is_obj_iface(s))
                        out(g, 1, "\"%s\",\n", s->iface->name);
        out(g, 1, "NULL\n};\n\n");
        out(g, 0, "static int %s_IID_Lookup_(const IID *pIID, int *pIndex) {\n", name);
        out(g, 1, "for (int i = 0; i < %u; i++)\n", n);
        out(g, 2, "if (memcmp(pIID, %s_StubVtblList_[i]->header.piid, sizeof(IID)) == 0) {\n",
            name);
        out(g, 3, "*pIndex = i;\n");
        out(g, 3, "return 1;\n");
        out(g, 2, "}\n");
        out(g, 1, "return 0;\n}\n\n");
        out(g, 0, "const ProxyFileInfo %s_ProxyFileInfo = {\n", name);
        out(g, 1, "%s_ProxyVtblList_,\n", name);
        out(g, 1, "%s_StubVtblList_,\n", name);
        out(g, 1, "%s_InterfaceNamesList_,\n", name);
        out(g, 1, "NULL,\n");
        out(g, 1, "%s_IID_Lookup_,\n", name);
        out(g, 1, "%u,\n", n);
        out(g, 1, "2,\n");
        out(g, 1, "NULL, 0, 0, 0\n};\n");
}

static void write_proxy(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
                        struct method *m) {
        char *body = NULL;
        size_t len = 0;

        g->f = open_memstream(&body, &len);
        if (!g->f)
                abort();
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_obj_iface(s))
                        continue;
                struct idl_iface *ifc = s->iface;
                set_prefix(g, ifc);
                out(g, 0, "\n/* --- %s --- */\n\n", ifc->name);
                out(g, 0, "static const struct ndr_interface %s_c_interface_ __attribute__((unused)) = {\n", ifc->name);
                fputs("        .uuid = ", g->f);
                write_guid(g->f, &ifc->uuid);
                out(g, 0, ",\n        .n_ops = %u,\n        .name = \"%s\",\n};\n", ifc->n_methods,
                    ifc->name);
                for (struct idl_stmt *x = ifc->stmts; x; x = x->next) {
                        if (x->kind != STMT_FUNC || !x->func)
                                continue;
                        if (is_local_fn(x->func)) {
                                if (call_as_of(ifc, x->func))
                                        continue;       /* the application's IFoo_M_Proxy */
                                method_signature(g, x->func, m);
                                fputs("\nstatic ", g->f);
                                print_decl(g->f, m->rtype, "");
                                fprintf(g->f, " STDMETHODCALLTYPE %s_%s_notremotable_(%s *This",
                                        ifc->name, idl_method_name(x->func), ifc->name);
                                print_params(g, m, false);
                                fputs(") {\n", g->f);
                                out(g, 1, "(void)This;\n");
                                out(g, 1, "return %s;     /* [local] without [call_as]: not remotable */\n}\n",
                                    is_basic(m->rtype, BASIC_LONG) ? "E_NOTIMPL" : "0");
                                continue;
                        }
                        method_build(g, x->func, m, true);
                        m->opnum = x->func->opnum;
                        m->local = local_of(ifc, x->func);
                        write_client_method(g, m);
                        write_server_method(g, m);
                }
                out(g, 0, "\n/* %s's proxy vtable */\n\n", ifc->name);
                write_proxy_inherited(g, ifc, m, 0);
                out(g, 0, "const %sVtbl %s_ProxyVtbl = {\n", ifc->name, ifc->name);
                write_vtbl_entries(g, ifc, 0);
                out(g, 0, "};\n\n");
                out(g, 0, "/* %s's stub: opnum -> method (IUnknown's are IRemUnknown's) */\n\n",
                    ifc->name);
                write_ops_entries(g, ifc, 0, true);
                out(g, 0, "static const struct ndr_op %s_ops_[] = {\n", ifc->name);
                write_ops_entries(g, ifc, 0, false);
                out(g, 0, "};\n\n");
                out(g, 0, "const struct ndr_interface %s_p_interface = {\n", ifc->name);
                fputs("        .uuid = ", g->f);
                write_guid(g->f, &ifc->uuid);
                out(g, 0, ",\n        .n_ops = %u,\n        .ops = %s_ops_,\n        .name = \"%s\",\n};\n\n",
                    ifc->n_methods, ifc->name, ifc->name);
                out(g, 0, "int %s_stub_dispatch(struct ndr_server_call *call, uint32_t opnum) {\n",
                    ifc->name);
                out(g, 1, "if (opnum >= %u || !%s_ops_[opnum].dispatch)\n", ifc->n_methods, ifc->name);
                out(g, 2, "return -EOPNOTSUPP;\n");
                out(g, 1, "return %s_ops_[opnum].dispatch(call);\n}\n", ifc->name);
        }
        write_proxy_file_info(g, idl_name);
        fclose(g->f);
        write_prologue(g, real, idl_name, stub_header, "Proxies and stubs", body);
        free(body);
}

static void write_stub_header(struct gen *g, const char *idl_name, const char *header,
                              struct method *m) {
        FILE *f = g->f;
        char guard[300];

        snprintf(guard, sizeof guard, "__%s_stub_h__", idl_name);
        for (char *p = guard; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9')))
                        *p = '_';
        fprintf(f, "/* Generated by dcomidl from %s: do not edit. */\n\n", idl_name);
        fprintf(f, "#ifndef %s\n#define %s\n\n", guard, guard);
        fprintf(f, "#include \"%s\"\n#include <dcom/ndr-stub.h>\n", header);
        /* object interfaces: ORPCTHIS, ORPCTHAT and the proxy object are COM's */
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next)
                if (is_obj_iface(s)) {
                        fprintf(f, "#include <dcom/orpc-stub.h>\n");
                        break;
                }
        for (size_t i = 0; i < g->n_pickles; i++) {
                struct sreg *sr = struct_register(g, g->pickles[i]);
                const char *n = g->pickles[i]->name;
                if (!sr || sr->st->kind != TYPE_STRUCT)
                        continue;
                fprintf(f, "\n/* %s pickled ([MS-RPCE] 2.2.6, FILE_c.c): Encode appends it with its\n"
                           "   headers (0 or a negative errno), Decode reads one back from p (memory\n"
                           "   from arena; *ret_used: the bytes it took, padding included) */\n", n);
                fprintf(f, "int %s_Encode(struct ndr_push *ndr, const %s *r);\n", n, sr->cname);
                fprintf(f, "int %s_Decode(const void *p, size_t len, struct arena *arena, %s *r, size_t *ret_used);\n",
                        n, sr->cname);
        }
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                set_prefix(g, s->iface);
                /* the entry point vector, struct %s_epv, is FILE.h's (%s_epv_t) */
                fprintf(f, "\n/* %s */\n", g->prefix);
                /* the implementation's rundowns, one per context handle type */
                const char *seen[64];
                size_t n_seen = 0;
                FOR_METHODS(g->ifc, x) {
                        method_build(g, x->func, m, false);
                        for (size_t i = 0; i < m->n; i++) {
                                if (!m->ps[i].ctx || !(m->ps[i].f->dir & DIR_OUT))
                                        continue;
                                const char *r = ctx_rundown(g, &m->ps[i]);
                                bool dup = strcmp(r, "NULL") == 0;
                                for (size_t k = 0; k < n_seen && !dup; k++)
                                        dup = strcmp(seen[k], r) == 0;
                                if (dup || n_seen >= 64)
                                        continue;
                                seen[n_seen++] = r;
                                fprintf(f, "/* the server's: called for a handle open when its association ends */\n");
                                fprintf(f, "void %s(void *ctx);\n", r);
                        }
                }
                fprintf(f, "extern const struct ndr_interface %s_s_interface;\n", g->prefix);
                fprintf(f, "/* -EOPNOTSUPP for an opnum out of range (nca_s_op_rng_error) */\n");
                fprintf(f, "int %s_dispatch(struct ndr_server_call *call, uint32_t opnum);\n\n",
                        g->prefix);
                if (!g->ctx->status_stubs) {
                        /* MIDL's procedures are declared in FILE.h */
                        continue;
                }
                fputs("/* client stubs: 0 or a negative errno, the return value in *ret_ */\n", f);
                FOR_METHODS(g->ifc, x) {
                        method_build(g, x->func, m, false);
                        print_client_proto(g, m);
                        fputs(";\n", f);
                }
        }
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next)
                if (is_obj_iface(s)) {
                        char pname[256];
                        idl_proxy_file_name(idl_name, pname, sizeof pname);
                        fprintf(f, "\n/* the proxy file's table (FILE_p.c), for dlldata.c */\n");
                        fprintf(f, "extern const ProxyFileInfo %s_ProxyFileInfo;\n", pname);
                        break;
                }
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_obj_iface(s))
                        continue;
                set_prefix(g, s->iface);
                fprintf(f, "\n/* %s: the proxy vtable and the stub (FILE_p.c) */\n", g->ifc->name);
                fprintf(f, "extern const %sVtbl %s_ProxyVtbl;\n", g->ifc->name, g->ifc->name);
                fprintf(f, "extern const struct ndr_interface %s_p_interface;\n", g->ifc->name);
                fprintf(f, "/* -EOPNOTSUPP for an opnum out of range or one of IUnknown's */\n");
                fprintf(f, "int %s_stub_dispatch(struct ndr_server_call *call, uint32_t opnum);\n",
                        g->ifc->name);
                for (struct idl_stmt *x = g->ifc->stmts; x; x = x->next) {
                        if (x->kind != STMT_FUNC || !x->func)
                                continue;
                        const char *mname = fmt(g, "%s", idl_method_name(x->func));
                        if (is_local_fn(x->func)) {
                                struct idl_func *r = call_as_of(g->ifc, x->func);
                                if (!r)
                                        continue;
                                /* MIDL's contract: the application converts */
                                fprintf(f, "/* [local] %s, sent as %s: the application provides these two */\n",
                                        mname, idl_method_name(r));
                                method_signature(g, x->func, m);
                                print_proxy_proto(g, m, mname);
                                fputs(";\n", f);
                                method_signature(g, r, m);
                                fputs("HRESULT STDMETHODCALLTYPE ", f);
                                fprintf(f, "%s_%s_Stub(%s *This", g->ifc->name, mname, g->ifc->name);
                                print_params(g, m, false);
                                fputs(");\n", f);
                                continue;
                        }
                        method_build(g, x->func, m, true);
                        print_proxy_proto(g, m, mname);
                        fputs(";\n", f);
                        fprintf(f, "int %s_%s_Stub(struct ndr_server_call *call);\n", g->ifc->name,
                                mname);
                }
        }
        fprintf(f, "\n#endif /* %s */\n", guard);
}

void idl_stub_kinds(struct idl_ctx *ctx, bool *rpc, bool *object) {
        *rpc = *object = false;
        for (struct idl_stmt *s = ctx->stmts; s; s = s->next) {
                *rpc |= is_rpc_iface(s);
                *object |= is_obj_iface(s);
        }
}

int idl_check_stubs(struct idl_ctx *ctx) {
        struct gen g = {.ctx = ctx};
        return build_all(&g);
}

int idl_write_stubs(struct idl_ctx *ctx, FILE *f, enum idl_stub_output which, const char *idl_name,
                    const char *header, const char *stub_header) {
        struct gen g = {.ctx = ctx, .f = f};
        struct method *m;
        int r;

        if ((r = build_all(&g)) < 0)
                return r;
        m = malloc(sizeof *m);
        if (!m)
                return -ENOMEM;
        switch (which) {
        case IDL_STUB_HEADER:
                write_stub_header(&g, idl_name, header, m);
                break;
        case IDL_STUB_CLIENT:
                write_client(&g, f, idl_name, stub_header, m);
                break;
        case IDL_STUB_SERVER:
                write_server(&g, f, idl_name, stub_header, m);
                break;
        case IDL_STUB_PROXY:
                write_proxy(&g, f, idl_name, stub_header, m);
                break;
        }
        free(m);
        return ferror(f) ? -EIO : 0;
}
