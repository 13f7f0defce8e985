/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end (phase 2) for plain RPC (non-object) interfaces: FILE_stub.h
 * (entry point vectors, client prototypes, dispatch prototypes), FILE_c.c (client
 * stubs) and FILE_s.c (server stubs, dispatch table, struct ndr_interface), all
 * straight-line C calling src/ndr through the seam in src/ndr/ndr-stub.h.
 *
 * Supported (anything else is a compile error naming the parameter or member):
 *   - parameters: base types and enums by value ([in]) and as return values; [ref] or
 *     [unique] pointers to them ([in], [out], [in, out]; [unique] not [out]);
 *     [in, string] char * / wchar_t * ([ref] or [unique]); [out, string] char ** /
 *     wchar_t ** (inner pointer [unique]); arrays of base types: [size_is(x)] pointers,
 *     conformant [] / [*] and fixed [N] arrays, [in], [out], [in, out], plus
 *     [length_is] on [out] ones; structures and unions by value ([in]) or through a
 *     pointer ([in] [unique]; [ref] [in], [out], [in, out] when they hold no pointer);
 *     handle_t (explicit binding handle; the client's first argument is the binding
 *     whatever the IDL says); context handles declared by a [context_handle] typedef:
 *     [in] by value, [out] or [in, out] by [ref] pointer (see struct ndr_context_table);
 *   - named types (one static push/pull pair each, NDR_SCALARS / NDR_BUFFERS):
 *     structures of base types, enums, fixed arrays, embedded structures and unions,
 *     [unique] or [ref] [string] pointers and [size_is(member)] pointers to base types;
 *     encapsulated unions and non-encapsulated ones ([switch_type] + [switch_is]), whose
 *     arms are base types, fixed arrays, structures or [string] pointers.
 * Also [range(lo, hi)] on base-type [in] parameters (checked by the server stub).
 * Not yet: object interfaces (they need ORPCTHIS), [context_handle] as a parameter
 * attribute (only the typedef form), full [ptr] pointers, [length_is] on [in] arrays,
 * conformant structures, pointers to structures inside structures (linked lists),
 * [range] elsewhere, [wire_marshal]/[user_marshal], [iid_is], more than
 * one RPC interface per file.  size_is / switch_is of an [in] parameter must name
 * earlier [in] parameters (checked); switch_is inside a structure must name an earlier
 * member (not checked: a later one reads as 0 and the pull fails cleanly).
 *
 * Wire notes: structures and encapsulated unions are aligned to their largest member
 * and padded to it at the end (as pidl's trailer alignment); a union's arms are aligned
 * to the largest arm after the discriminant.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"

enum pkind {
        P_HANDLE,     /* handle_t by value */
        P_SCALAR,     /* [in] base type by value */
        P_SCALAR_PTR, /* pointer to a base type */
        P_STRING,     /* [in, string] char * / wchar_t * */
        P_STRING_OUT, /* [out, string] char ** / wchar_t ** */
        P_CTX,        /* [context_handle] typedef: [in] by value, [out] or [in, out] by [ref] */
        P_ARRAY,      /* array of a base type */
        P_STRUCT,     /* structure by value (.ptr PTR_NONE) or pointer; also
                         unions (.sw: [switch_is] of a non-encapsulated one) */
};

struct param {
        struct idl_field *f;
        enum pkind kind;
        struct idl_type *elem;  /* the base type (unresolved: for C names) */
        enum idl_ptr_kind ptr;  /* P_SCALAR_PTR, P_STRING: ref or unique */
        bool wide;              /* strings */
        struct idl_expr *count; /* P_ARRAY: size_is or the fixed size */
        bool conformant;        /* P_ARRAY: the conformance travels */
        bool has_range;         /* P_SCALAR: [range(lo, hi)], checked by the server */
        int64_t lo, hi;
        struct idl_expr *length; /* P_ARRAY: length_is ([out] only: varying) */
        struct sreg *st;         /* P_STRUCT */
        struct idl_expr *sw;     /* P_STRUCT of a non-encapsulated union: switch_is */
};

struct scalar {
        const char *push, *pull, *wtype;
        unsigned size; /* wire size = alignment */
};

struct sreg {
        struct idl_type *st;          /* the resolved TYPE_STRUCT */
        char cname[160];              /* its C name: the typedef, or struct tag */
        char fname[160];              /* ndr_push_<fname> / ndr_pull_<fname> */
        struct idl_type *switch_type; /* non-encapsulated union: [switch_type] */
};

#define MAX_STRUCTS 128

struct gen {
        struct idl_ctx *ctx;
        FILE *f;
        struct idl_iface *ifc;
        char prefix[256]; /* Foo_v1_0 */
        struct sreg structs[MAX_STRUCTS];
        size_t n_structs;
};

#define MAX_PARAMS 64

static bool is_struct(struct idl_type *t);
static struct sreg *struct_register(struct gen *g, struct idl_type *type, int depth);
static bool struct_flat(struct gen *g, struct idl_type *st, int depth);

/* --- types ----------------------------------------------------------------------------- */

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
        case 'L':
                return "<<";
        case 'R':
                return ">>";
        case 'E':
                return "==";
        case 'N':
                return "!=";
        case 'l':
                return "<=";
        case 'g':
                return ">=";
        case 'A':
                return "&&";
        case 'O':
                return "||";
        case 'P':
                return "->";
        case '.':
                return ".";
        case '+':
                return "+";
        case '-':
                return "-";
        case '*':
                return "*";
        case '/':
                return "/";
        case '%':
                return "%";
        case '&':
                return "&";
        case '|':
                return "|";
        case '^':
                return "^";
        case '<':
                return "<";
        case '>':
                return ">";
        }
        return "?";
}

/* Identifiers in attribute expressions get this prefix: "r->" inside a structure. */
static const char *expr_prefix = "";

/* Attribute expressions (size_is and friends): parameter names are C variables on both sides. */
static bool print_expr(FILE *f, const struct idl_expr *e) {
        if (!e)
                return false;
        switch (e->kind) {
        case EXPR_NUM:
                fputs(e->str, f);
                return true;
        case EXPR_IDENT:
                fprintf(f, "%s%s", expr_prefix, e->str);
                return true;
        case EXPR_UNARY:
                fputc(e->op, f);
                return print_expr(f, e->a);
        case EXPR_BINARY:
                if (e->op == '.' || e->op == 'P')
                        return false;
                fputc('(', f);
                if (!print_expr(f, e->a))
                        return false;
                fprintf(f, " %s ", binop(e->op));
                if (!print_expr(f, e->b))
                        return false;
                fputc(')', f);
                return true;
        case EXPR_PAREN:
                fputc('(', f);
                if (!print_expr(f, e->a))
                        return false;
                fputc(')', f);
                return true;
        default:
                return false;
        }
}

/* Set while printing a server-side local that the stub fills in (const stripped). */
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
                fputs(t->name, f);
                break;
        case TYPE_ENUM:
                fprintf(f, "enum %s", t->name ? t->name : "");
                break;
        case TYPE_STRUCT:
                fprintf(f, "struct %s", t->name ? t->name : "");
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
                        fprintf(s, "*%s%s", t->is_const ? "const " : "", cur);
                        last_ptr = true;
                } else {
                        fprintf(s, last_ptr ? "(%s)[" : "%s[", cur);
                        if (t->size)
                                print_expr(s, t->size);
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

/* --- parameters ----------------------------------------------------------------------- */

static struct idl_attr *field_attr(struct idl_field *f, const char *name) {
        return idl_attr_find(f->attrs, name);
}

/* The first argument of an attribute, or NULL. */
static struct idl_expr *attr_arg(struct idl_field *f, const char *name) {
        struct idl_attr *a = field_attr(f, name);
        if (!a || a->n_args < 1 || a->args[0]->kind == EXPR_EMPTY)
                return NULL;
        return a->args[0];
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

/* A typedef carrying [context_handle] (typedef [context_handle] void *FOO_HANDLE). */
static bool is_ctx_type(struct idl_type *t) {
        for (int guard = 0; t && guard < 100; guard++) {
                if (idl_attr_find(t->attrs, "context_handle"))
                        return true;
                if (t->kind != TYPE_ALIAS && t->kind != TYPE_NAMEREF)
                        return false;
                t = t->ref;
        }
        return false;
}

/* Attributes that change the wire or the checks: silently ignoring them would be wrong. */
static bool has_unsupported_attr(struct idl_field *f) {
        static const char *const names[] = {"ignore",      "iid_is",       "max_is",
                                            "first_is",    "last_is",      "context_handle",
                                            "ptr",         "wire_marshal", "user_marshal",
                                            "transmit_as", "represent_as"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                if (field_attr(f, names[i]))
                        return true;
        return false;
}

static int classify(struct gen *g, struct idl_func *fn, struct idl_field *f, struct param *p) {
        struct idl_type *t = idl_type_resolve(f->type);
        struct scalar s;

        memset(p, 0, sizeof *p);
        p->f = f;
        if (!f->name) {
                idl_error(g->ctx, &f->loc, "stubs: parameter of '%s' needs a name", fn->name);
                return -EINVAL;
        }
        if (has_unsupported_attr(f))
                goto unsupported;
        if (is_ctx_type(f->type)) {
                if (f->dir != DIR_IN)
                        goto unsupported;
                p->kind = P_CTX;
                p->ptr = PTR_NONE;
                return 0;
        }
        if (t && t->kind == TYPE_POINTER && is_ctx_type(t->ref)) {
                if (!(f->dir & DIR_OUT) || (t->ptr_kind != PTR_REF && t->ptr_kind != PTR_NONE))
                        goto unsupported;
                p->kind = P_CTX;
                p->ptr = PTR_REF;
                return 0;
        }
        struct idl_attr *ra = field_attr(f, "range");
        if (ra) {
                if (!scalar_info(f->type, &s) || ra->n_args != 2 ||
                    !idl_eval(g->ctx, ra->args[0], &p->lo) ||
                    !idl_eval(g->ctx, ra->args[1], &p->hi))
                        goto unsupported;
                p->has_range = true;
        }
        if (t && t->kind == TYPE_BASIC && t->basic == BASIC_HANDLE) {
                p->kind = P_HANDLE;
                return 0;
        }
        if (scalar_info(f->type, &s)) {
                if (f->dir != DIR_IN)
                        goto unsupported;
                p->kind = P_SCALAR;
                p->elem = f->type;
                return 0;
        }
        if (is_struct(f->type)) {
                if (f->dir != DIR_IN)
                        goto unsupported;
                p->kind = P_STRUCT;
                p->ptr = PTR_NONE;
                p->st = struct_register(g, f->type, 0);
                if (!p->st)
                        return -EINVAL;
                if (p->st->st->kind == TYPE_UNION && !(p->sw = attr_arg(f, "switch_is")))
                        goto unsupported;
                return 0;
        }
        if (!t)
                goto unsupported;
        if (t->kind == TYPE_ARRAY && scalar_info(t->ref, &s) && !field_attr(f, "string")) {
                p->kind = P_ARRAY;
                p->elem = t->ref;
                p->count = attr_arg(f, "size_is");
                p->conformant = !t->size;
                if (!p->count)
                        p->count = t->size;
                p->length = attr_arg(f, "length_is");
                if (!p->count || field_attr(f, "max_is") || field_attr(f, "first_is") ||
                    field_attr(f, "last_is") ||
                    (field_attr(f, "length_is") && (!p->length || f->dir != DIR_OUT)))
                        goto unsupported;
                return 0;
        }
        if (t->kind != TYPE_POINTER)
                goto unsupported;
        p->ptr = t->ptr_kind == PTR_NONE ? PTR_REF : t->ptr_kind;
        struct idl_type *pointee = idl_type_resolve(t->ref);
        if (!pointee)
                goto unsupported;
        if (is_struct(t->ref) && !field_attr(f, "string") && !field_attr(f, "size_is")) {
                p->kind = P_STRUCT;
                p->st = struct_register(g, t->ref, 0);
                if (!p->st)
                        return -EINVAL;
                if (p->st->st->kind == TYPE_UNION &&
                    (!(p->sw = attr_arg(f, "switch_is")) || (f->dir & DIR_OUT)))
                        goto unsupported;
                if (p->ptr == PTR_FULL || (p->ptr == PTR_UNIQUE && f->dir != DIR_IN))
                        goto unsupported;
                /* [out] structures with pointers would need a deep copy (and a free) */
                if ((f->dir & DIR_OUT) && !struct_flat(g, p->st->st, 0))
                        goto unsupported;
                return 0;
        }
        if (field_attr(f, "string") && is_char_type(t->ref, &p->wide)) {
                if (f->dir != DIR_IN || p->ptr == PTR_FULL)
                        goto unsupported;
                p->kind = P_STRING;
                return 0;
        }
        if (field_attr(f, "string") && pointee->kind == TYPE_POINTER &&
            is_char_type(pointee->ref, &p->wide)) {
                if (f->dir != DIR_OUT || p->ptr != PTR_REF)
                        goto unsupported;
                p->kind = P_STRING_OUT;
                return 0;
        }
        if (field_attr(f, "string") || !scalar_info(t->ref, &s))
                goto unsupported;
        p->elem = t->ref;
        if (field_attr(f, "size_is")) {
                p->kind = P_ARRAY;
                p->count = attr_arg(f, "size_is");
                p->conformant = true;
                p->length = attr_arg(f, "length_is");
                if (!p->count || p->ptr != PTR_REF || field_attr(f, "max_is") ||
                    field_attr(f, "first_is") || field_attr(f, "last_is") ||
                    (field_attr(f, "length_is") && (!p->length || f->dir != DIR_OUT)))
                        goto unsupported;
                return 0;
        }
        if (p->ptr == PTR_FULL || (p->ptr == PTR_UNIQUE && f->dir == DIR_OUT))
                goto unsupported;
        p->kind = P_SCALAR_PTR;
        return 0;

unsupported:
        idl_error(g->ctx, &f->loc,
                  "stubs: parameter '%s' of '%s': type or attributes not supported "
                  "by the stub generator yet",
                  f->name ? f->name : "?", fn->name);
        return -EINVAL;
}

/*
 * Whether every identifier of e names one of ps[0..n) that is an [in]-only base type
 * passed by value: the server evaluates size_is/switch_is from what it has pulled so
 * far, before and after the call, and only a by-value [in] cannot be NULL ([unique]
 * *pn) or be changed by the implementation in between ([in, out] *pn) -- both of
 * which would let a count disagree with the memory it sizes.  Counts through pointers
 * are a generation error until the generator snapshots and checks them.
 */
static bool expr_uses_in(const struct idl_expr *e, const struct param *ps, size_t n) {
        if (!e)
                return true;
        if (e->kind == EXPR_IDENT) {
                for (size_t i = 0; i < n; i++)
                        if (strcmp(ps[i].f->name, e->str) == 0)
                                return ps[i].kind == P_SCALAR && (ps[i].f->dir & DIR_IN) &&
                                       !(ps[i].f->dir & DIR_OUT);
                return false;
        }
        return expr_uses_in(e->a, ps, n) && expr_uses_in(e->b, ps, n) && expr_uses_in(e->c, ps, n);
}

static int classify_all(struct gen *g, struct idl_func *fn, struct param *ps, size_t *ret_n) {
        size_t n = 0;
        int r = 0;

        for (struct idl_field *f = fn->type->fields; f; f = f->next) {
                if (!f->type || f->type->kind == TYPE_VOID)
                        continue; /* (void) */
                if (n >= MAX_PARAMS) {
                        idl_error(g->ctx, &f->loc, "stubs: too many parameters");
                        return -EINVAL;
                }
                if (classify(g, fn, f, &ps[n]) < 0)
                        r = -EINVAL;
                n++;
        }
        /* [in] arrays: size_is from earlier [in] parameters; [out]: from any [in] one */
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (ps[i].kind == P_STRUCT && ps[i].sw && !expr_uses_in(ps[i].sw, ps, i)) {
                        idl_error(g->ctx, &ps[i].f->loc,
                                  "stubs: switch_is of '%s' must name earlier "
                                  "[in] parameters passed by value",
                                  ps[i].f->name);
                        r = -EINVAL;
                }
                if (ps[i].kind != P_ARRAY || !ps[i].conformant)
                        continue;
                size_t upto = (ps[i].f->dir & DIR_IN) ? i : n;
                if (!expr_uses_in(ps[i].count, ps, upto)) {
                        idl_error(g->ctx, &ps[i].f->loc,
                                  "stubs: size_is of '%s' must name %s[in] "
                                  "parameters passed by value",
                                  ps[i].f->name, (ps[i].f->dir & DIR_IN) ? "earlier " : "");
                        r = -EINVAL;
                }
        }
        struct idl_type *rt = fn->type->ref;
        struct scalar s;
        if (rt && rt->kind != TYPE_VOID && !scalar_info(rt, &s)) {
                idl_error(g->ctx, &fn->loc, "stubs: return type of '%s' not supported", fn->name);
                r = -EINVAL;
        }
        *ret_n = n;
        return r;
}

static bool has_ret(struct idl_func *fn) {
        return fn->type->ref && fn->type->ref->kind != TYPE_VOID;
}

/* --- marshaling snippets --------------------------------------------------------------- */

static void push_scalar(FILE *f, int ind, struct idl_type *t, const char *ndr, const char *expr) {
        struct scalar s;

        scalar_info(t, &s);
        fprintf(f, "%*s%s(%s, ", ind, "", s.push, ndr);
        if (strcmp(s.wtype, "bool") == 0)
                fprintf(f, "(%s) != 0);\n", expr);
        else
                fprintf(f, "(%s)(%s));\n", s.wtype, expr);
}

static void pull_scalar(FILE *f, int ind, struct idl_type *t, const char *lvalue) {
        struct scalar s;

        scalar_info(t, &s);
        fprintf(f, "%*s{\n", ind, "");
        fprintf(f, "%*s        %s v_;\n", ind, "", s.wtype);
        fprintf(f, "%*s        NDR_CHECK(%s(ndr, &v_));\n", ind, "", s.pull);
        fprintf(f, "%*s        %s = v_;\n", ind, "", lvalue);
        fprintf(f, "%*s}\n", ind, "");
}

static void print_count(FILE *f, const struct param *p) {
        fputs("(uint32_t)(", f);
        print_expr(f, p->count);
        fputc(')', f);
}

/* --- structures ---------------------------------------------------------------------- */

enum mkind {
        M_SCALAR, /* base type or enum */
        M_FIXED,  /* fixed array [N] of a base type */
        M_STRUCT, /* embedded structure */
        M_STRING, /* [string] pointer to char / wchar_t, [unique] or [ref] */
        M_PARRAY, /* [size_is(x)] pointer to a base type, [unique] or [ref] */
};

struct member {
        struct idl_field *f;
        enum mkind kind;
        struct idl_type *elem;
        enum idl_ptr_kind ptr;
        bool wide;
        struct idl_expr *count; /* M_PARRAY: size_is */
        uint32_t fixed;         /* M_FIXED */
        struct sreg *st;        /* M_STRUCT */
        struct idl_expr *sw;    /* M_STRUCT of a non-encapsulated union: switch_is */
};

#define MAX_MEMBERS 128

/* (declared above) */
static bool is_struct(struct idl_type *t) {
        t = idl_type_resolve(t);
        return t &&
               (t->kind == TYPE_STRUCT || t->kind == TYPE_UNION ||
                (t->kind == TYPE_ENCAP_UNION && t->switch_field)) &&
               t->fields;
}

static int classify_member(struct gen *g, struct idl_field *f, struct member *m, int depth) {
        struct idl_type *t = idl_type_resolve(f->type);
        struct scalar s;
        int64_t v;

        memset(m, 0, sizeof *m);
        m->f = f;
        if (!f->name || !f->type || f->bits || has_unsupported_attr(f) || field_attr(f, "range"))
                goto unsupported;
        if (scalar_info(f->type, &s)) {
                m->kind = M_SCALAR;
                m->elem = f->type;
                return 0;
        }
        if (is_struct(f->type)) {
                m->kind = M_STRUCT;
                m->st = struct_register(g, f->type, depth + 1);
                if (!m->st)
                        return -EINVAL;
                if (m->st->st->kind == TYPE_UNION && !(m->sw = attr_arg(f, "switch_is")))
                        goto unsupported;
                return 0;
        }
        if (t && t->kind == TYPE_ARRAY && t->size && scalar_info(t->ref, &s) &&
            !field_attr(f, "string") && !field_attr(f, "size_is") && !field_attr(f, "length_is") &&
            idl_eval(g->ctx, t->size, &v) && v > 0 && v <= 0x10000) {
                m->kind = M_FIXED;
                m->elem = t->ref;
                m->fixed = (uint32_t)v;
                return 0;
        }
        if (!t || t->kind != TYPE_POINTER)
                goto unsupported;
        m->ptr = t->ptr_kind == PTR_NONE ? PTR_UNIQUE : t->ptr_kind;
        if (m->ptr == PTR_FULL)
                goto unsupported;
        if (field_attr(f, "string") && is_char_type(t->ref, &m->wide)) {
                m->kind = M_STRING;
                return 0;
        }
        if (field_attr(f, "size_is") && scalar_info(t->ref, &s) && !field_attr(f, "length_is") &&
            (m->count = attr_arg(f, "size_is"))) {
                m->kind = M_PARRAY;
                m->elem = t->ref;
                return 0;
        }
unsupported:
        idl_error(g->ctx, &f->loc,
                  "stubs: member '%s': type or attributes not supported by the "
                  "stub generator yet",
                  f->name ? f->name : "?");
        return -EINVAL;
}

static size_t members_of(struct gen *g, struct idl_type *st, struct member *ms, int depth, int *r) {
        size_t n = 0;

        for (struct idl_field *f = st->fields; f && n < MAX_MEMBERS; f = f->next) {
                if (!f->type && (st->kind == TYPE_ENCAP_UNION || st->kind == TYPE_UNION))
                        continue; /* an empty arm */
                if (classify_member(g, f, &ms[n++], depth) < 0)
                        *r = -EINVAL;
        }
        return n;
}

/* Registers the structure type (and the ones it embeds); NULL after an error. */
static struct sreg *struct_register(struct gen *g, struct idl_type *type, int depth) {
        struct idl_type *st = idl_type_resolve(type);
        struct member ms[MAX_MEMBERS];
        struct sreg *sr;
        int r = 0;

        for (size_t i = 0; i < g->n_structs; i++)
                if (g->structs[i].st == st)
                        return &g->structs[i];
        if (depth > 32 || g->n_structs >= MAX_STRUCTS) {
                idl_error(g->ctx, &st->loc, "stubs: structures nested too deeply");
                return NULL;
        }
        sr = &g->structs[g->n_structs++];
        sr->st = st;
        while (type->kind == TYPE_NAMEREF && type->ref)
                type = type->ref;
        if (type->kind == TYPE_ALIAS) {
                snprintf(sr->cname, sizeof sr->cname, "%s", type->name);
                snprintf(sr->fname, sizeof sr->fname, "%s", type->name);
        } else if (st->name) {
                snprintf(sr->cname, sizeof sr->cname, "%s %s",
                         st->kind == TYPE_UNION ? "union" : "struct", st->name);
                snprintf(sr->fname, sizeof sr->fname, "%s", st->name);
        } else {
                idl_error(g->ctx, &st->loc, "stubs: an anonymous structure needs a typedef");
                return NULL;
        }
        size_t n = members_of(g, st, ms, depth, &r);
        if (st->kind == TYPE_UNION) {
                struct idl_attr *a = NULL;
                for (struct idl_type *x = type; x && !a; x = x->kind == TYPE_ALIAS ? x->ref : NULL)
                        a = idl_attr_find(x->attrs, "switch_type");
                if (!a)
                        a = idl_attr_find(st->attrs, "switch_type");
                if (a && a->n_args == 1 && a->args[0]->kind == EXPR_TYPE)
                        sr->switch_type = a->args[0]->type;
        }
        if (st->kind == TYPE_ENCAP_UNION || st->kind == TYPE_UNION) {
                struct scalar s;
                int64_t v;
                if (!scalar_info(st->kind == TYPE_UNION ? sr->switch_type : st->switch_field->type,
                                 &s)) {
                        idl_error(g->ctx, &st->loc, "stubs: union discriminant type not supported");
                        r = -EINVAL;
                }
                for (size_t i = 0; i < n; i++)
                        if (ms[i].kind == M_PARRAY) {
                                idl_error(g->ctx, &ms[i].f->loc,
                                          "stubs: [size_is] in a union arm "
                                          "not supported yet");
                                r = -EINVAL;
                        }
                for (struct idl_field *f = st->fields; f; f = f->next)
                        for (size_t k = 0; k < f->n_cases; k++)
                                if (!idl_eval(g->ctx, f->cases[k], &v)) {
                                        idl_error(g->ctx, &f->loc,
                                                  "stubs: case label not constant");
                                        r = -EINVAL;
                                }
        }
        return r < 0 ? NULL : sr;
}

static unsigned struct_align(struct gen *g, struct idl_type *st, int depth) {
        struct member ms[MAX_MEMBERS];
        unsigned a = 1, x;
        struct scalar s;
        int r = 0;
        size_t n = members_of(g, st, ms, depth, &r);
        struct scalar ds;

        if (st->kind == TYPE_ENCAP_UNION && scalar_info(st->switch_field->type, &ds))
                a = ds.size;
        for (size_t i = 0; st->kind == TYPE_UNION && i < g->n_structs; i++)
                if (g->structs[i].st == st && scalar_info(g->structs[i].switch_type, &ds))
                        a = ds.size;
        for (size_t i = 0; i < n && depth < 32; i++) {
                switch (ms[i].kind) {
                case M_SCALAR:
                case M_FIXED:
                        scalar_info(ms[i].elem, &s);
                        x = s.size;
                        break;
                case M_STRUCT:
                        x = struct_align(g, ms[i].st->st, depth + 1);
                        break;
                default:
                        x = 4;
                        break;
                }
                if (x > a)
                        a = x;
        }
        return a;
}

/* No pointers anywhere inside: may cross to the caller as an [out] value. */
static bool struct_flat(struct gen *g, struct idl_type *st, int depth) {
        struct member ms[MAX_MEMBERS];
        int r = 0;
        size_t n = members_of(g, st, ms, depth, &r);

        for (size_t i = 0; i < n; i++)
                if (ms[i].kind == M_STRING || ms[i].kind == M_PARRAY ||
                    (ms[i].kind == M_STRUCT &&
                     (depth > 32 || !struct_flat(g, ms[i].st->st, depth + 1))))
                        return false;
        return true;
}

/* ", (int64_t)(level)": the switch_is argument of a non-encapsulated union's functions */
static void level_arg(FILE *f, const struct idl_expr *sw, const char *prefix) {
        if (!sw)
                return;
        expr_prefix = prefix;
        fputs(", (int64_t)(", f);
        print_expr(f, sw);
        fputc(')', f);
        expr_prefix = "";
}

static const char *level_param(const struct sreg *sr) {
        return sr->st->kind == TYPE_UNION ? " int64_t level," : "";
}

static void write_struct_protos(struct gen *g) {
        for (size_t i = 0; i < g->n_structs; i++) {
                struct sreg *sr = &g->structs[i];
                fprintf(g->f,
                        "static int ndr_push_%s(struct ndr_push *ndr, int ndr_flags,%s const %s "
                        "*r) "
                        "__attribute__((unused));\n",
                        sr->fname, level_param(sr), sr->cname);
                fprintf(g->f,
                        "static int ndr_pull_%s(struct ndr_pull *ndr, int ndr_flags,%s %s *r) "
                        "__attribute__((unused));\n",
                        sr->fname, level_param(sr), sr->cname);
        }
}

static void write_struct_push(struct gen *g, struct sreg *sr) {
        FILE *f = g->f;
        struct member ms[MAX_MEMBERS];
        int r = 0;
        size_t n = members_of(g, sr->st, ms, 0, &r);
        unsigned align = struct_align(g, sr->st, 0);
        char buf[300];

        fprintf(f, "\nstatic int ndr_push_%s(struct ndr_push *ndr, int ndr_flags, const %s *r) {\n",
                sr->fname, sr->cname);
        fputs("        if (ndr_flags & NDR_SCALARS) {\n", f);
        fprintf(f, "                ndr_push_align(ndr, %u);\n", align);
        for (size_t i = 0; i < n; i++) {
                const struct member *m = &ms[i];
                snprintf(buf, sizeof buf, "r->%s", m->f->name);
                switch (m->kind) {
                case M_SCALAR:
                        push_scalar(f, 16, m->elem, "ndr", buf);
                        break;
                case M_FIXED:
                        fprintf(f, "                for (uint32_t i_ = 0; i_ < %u; i_++)\n",
                                m->fixed);
                        snprintf(buf, sizeof buf, "r->%s[i_]", m->f->name);
                        push_scalar(f, 24, m->elem, "ndr", buf);
                        break;
                case M_STRUCT:
                        fprintf(f, "                ndr_push_%s(ndr, NDR_SCALARS", m->st->fname);
                        level_arg(f, m->sw, "r->");
                        fprintf(f, ", &%s);\n", buf);
                        break;
                case M_STRING:
                case M_PARRAY:
                        fprintf(f, "                ndr_push_%s_ptr(ndr, %s);\n",
                                m->ptr == PTR_REF ? "ref" : "unique", buf);
                        break;
                }
        }
        fprintf(f, "                ndr_push_align(ndr, %u);\n", align);
        fputs("        }\n", f);
        fputs("        if (ndr_flags & NDR_BUFFERS) {\n", f);
        for (size_t i = 0; i < n; i++) {
                const struct member *m = &ms[i];
                snprintf(buf, sizeof buf, "r->%s", m->f->name);
                switch (m->kind) {
                case M_STRUCT:
                        fprintf(f, "                ndr_push_%s(ndr, NDR_BUFFERS", m->st->fname);
                        level_arg(f, m->sw, "r->");
                        fprintf(f, ", &%s);\n", buf);
                        break;
                case M_STRING:
                        fprintf(f,
                                "                if (%s)\n                        ndr_push_%s(ndr, "
                                "(const %s *)%s);\n",
                                buf, m->wide ? "wstring" : "string", m->wide ? "uint16_t" : "char",
                                buf);
                        break;
                case M_PARRAY:
                        fprintf(f, "                if (%s) {\n", buf);
                        fputs("                        ndr_push_conformance(ndr, (uint32_t)(", f);
                        expr_prefix = "r->";
                        print_expr(f, m->count);
                        fputs("));\n                        for (uint32_t i_ = 0; i_ < (uint32_t)(",
                              f);
                        print_expr(f, m->count);
                        expr_prefix = "";
                        fputs("); i_++)\n", f);
                        snprintf(buf, sizeof buf, "r->%s[i_]", m->f->name);
                        push_scalar(f, 32, m->elem, "ndr", buf);
                        fputs("                }\n", f);
                        break;
                default:
                        break;
                }
        }
        fputs("        }\n        return ndr_push_error(ndr);\n}\n", f);
}

static void write_struct_pull(struct gen *g, struct sreg *sr) {
        FILE *f = g->f;
        struct member ms[MAX_MEMBERS];
        int r = 0;
        size_t n = members_of(g, sr->st, ms, 0, &r);
        unsigned align = struct_align(g, sr->st, 0);
        bool ptrs = false;
        char buf[300];

        for (size_t i = 0; i < n; i++)
                ptrs |= ms[i].kind == M_STRING || ms[i].kind == M_PARRAY;
        fprintf(f, "\nstatic int ndr_pull_%s(struct ndr_pull *ndr, int ndr_flags, %s *r) {\n",
                sr->fname, sr->cname);
        if (ptrs)
                fputs("        uint32_t id_;\n\n", f);
        fputs("        if (ndr_flags & NDR_SCALARS) {\n", f);
        fprintf(f, "                NDR_CHECK(ndr_pull_align(ndr, %u));\n", align);
        for (size_t i = 0; i < n; i++) {
                const struct member *m = &ms[i];
                snprintf(buf, sizeof buf, "r->%s", m->f->name);
                switch (m->kind) {
                case M_SCALAR:
                        pull_scalar(f, 16, m->elem, buf);
                        break;
                case M_FIXED:
                        fprintf(f, "                for (uint32_t i_ = 0; i_ < %u; i_++)\n",
                                m->fixed);
                        snprintf(buf, sizeof buf, "r->%s[i_]", m->f->name);
                        pull_scalar(f, 24, m->elem, buf);
                        break;
                case M_STRUCT:
                        fprintf(f, "                NDR_CHECK(ndr_pull_%s(ndr, NDR_SCALARS",
                                m->st->fname);
                        level_arg(f, m->sw, "r->");
                        fprintf(f, ", &%s));\n", buf);
                        break;
                case M_STRING:
                case M_PARRAY:
                        fprintf(f, "                NDR_CHECK(ndr_pull_%s_ptr(ndr, &id_));\n",
                                m->ptr == PTR_REF ? "ref" : "unique");
                        fprintf(f, "                %s = id_ ? NDR_PTR_PENDING : NULL;\n", buf);
                        break;
                }
        }
        fprintf(f, "                NDR_CHECK(ndr_pull_align(ndr, %u));\n", align);
        fputs("        }\n", f);
        fputs("        if (ndr_flags & NDR_BUFFERS) {\n", f);
        for (size_t i = 0; i < n; i++) {
                const struct member *m = &ms[i];
                struct scalar s;
                snprintf(buf, sizeof buf, "r->%s", m->f->name);
                switch (m->kind) {
                case M_STRUCT:
                        fprintf(f, "                NDR_CHECK(ndr_pull_%s(ndr, NDR_BUFFERS",
                                m->st->fname);
                        level_arg(f, m->sw, "r->");
                        fprintf(f, ", &%s));\n", buf);
                        break;
                case M_STRING:
                        fprintf(f,
                                "                if (%s)\n                        "
                                "NDR_CHECK(ndr_pull_%s(ndr, "
                                "(%s **)&%s, NULL));\n",
                                buf, m->wide ? "wstring" : "string", m->wide ? "uint16_t" : "char",
                                buf);
                        break;
                case M_PARRAY:
                        scalar_info(m->elem, &s);
                        fprintf(f, "                if (%s) {\n", buf);
                        fputs("                        uint32_t count_;\n", f);
                        fputs("                        void *p_;\n", f);
                        fputs("                        ", f);
                        no_const = true;
                        print_decl(f, m->elem, "*a_");
                        no_const = false;
                        fputs(";\n\n", f);
                        fputs("                        NDR_CHECK(ndr_pull_conformance(ndr, "
                              "&count_));\n",
                              f);
                        fputs("                        NDR_CHECK(ndr_check_size_is(count_, ", f);
                        expr_prefix = "r->";
                        print_expr(f, m->count);
                        expr_prefix = "";
                        fputs("));\n", f);
                        fprintf(f,
                                "                        NDR_CHECK(ndr_pull_array_alloc(ndr, "
                                "count_, %u, %u, "
                                "sizeof *a_, &p_));\n",
                                s.size, s.size);
                        fprintf(f, "                        %s = a_ = p_;\n", buf);
                        fputs("                        for (uint32_t i_ = 0; i_ < count_; i_++)\n",
                              f);
                        pull_scalar(f, 32, m->elem, "a_[i_]");
                        fputs("                }\n", f);
                        break;
                default:
                        break;
                }
        }
        fputs("        }\n        return 0;\n}\n", f);
}

/* The alignment of an encapsulated union's arms ([C706] 14.3.8): the largest arm's. */
static unsigned arms_align(struct gen *g, struct idl_type *st) {
        struct member ms[MAX_MEMBERS];
        unsigned a = 1, x;
        struct scalar s;
        int r = 0;
        size_t n = members_of(g, st, ms, 1, &r);

        for (size_t i = 0; i < n; i++) {
                if (ms[i].kind == M_SCALAR || ms[i].kind == M_FIXED) {
                        scalar_info(ms[i].elem, &s);
                        x = s.size;
                } else if (ms[i].kind == M_STRUCT) {
                        x = struct_align(g, ms[i].st->st, 1);
                } else {
                        x = 4;
                }
                if (x > a)
                        a = x;
        }
        return a;
}

/* case labels of one arm (or default:) */
static void write_case_labels(struct gen *g, struct idl_field *f, int ind) {
        int64_t v;

        for (size_t k = 0; k < f->n_cases; k++) {
                idl_eval(g->ctx, f->cases[k], &v);
                fprintf(g->f, "%*scase %lldLL:\n", ind, "", (long long)v);
        }
        if (f->is_default)
                fprintf(g->f, "%*sdefault:\n", ind, "");
}

static bool has_default(struct idl_type *st) {
        for (struct idl_field *f = st->fields; f; f = f->next)
                if (f->is_default)
                        return true;
        return false;
}

static void write_union(struct gen *g, struct sreg *sr, bool push) {
        FILE *f = g->f;
        struct idl_type *st = sr->st;
        unsigned align = struct_align(g, st, 0), aa = arms_align(g, st);
        bool encap = st->kind == TYPE_ENCAP_UNION;
        const char *un = st->union_name ? st->union_name : "u";
        char buf[400], sw[200];
        bool ptrs = false;

        /* the discriminant: a member of the encapsulated union, else the caller's switch_is */
        snprintf(sw, sizeof sw, "%s%s", encap ? "r->" : "",
                 encap ? st->switch_field->name : "level");
        if (push)
                fprintf(f,
                        "\nstatic int ndr_push_%s(struct ndr_push *ndr, int ndr_flags,%s const %s "
                        "*r) {\n",
                        sr->fname, level_param(sr), sr->cname);
        else
                fprintf(f,
                        "\nstatic int ndr_pull_%s(struct ndr_pull *ndr, int ndr_flags,%s %s *r) "
                        "{\n",
                        sr->fname, level_param(sr), sr->cname);
        for (struct idl_field *a = st->fields; a; a = a->next) {
                struct member m;
                if (a->type && classify_member(g, a, &m, 1) == 0 && m.kind == M_STRING)
                        ptrs = true;
        }
        if (!push && ptrs)
                fputs("        uint32_t id_;\n", f);
        if (!push && !encap)
                fputs("        int64_t wire_level_;\n", f);
        if (!push && (ptrs || !encap))
                fputc('\n', f);
        fputs("        if (ndr_flags & NDR_SCALARS) {\n", f);
        struct idl_type *swt = encap ? st->switch_field->type : sr->switch_type;
        if (push) {
                fprintf(f, "                ndr_push_align(ndr, %u);\n", align);
                push_scalar(f, 16, swt, "ndr", sw);
                fprintf(f, "                ndr_push_align(ndr, %u);\n", aa);
        } else {
                fprintf(f, "                NDR_CHECK(ndr_pull_align(ndr, %u));\n", align);
                pull_scalar(f, 16, swt, encap ? sw : "wire_level_");
                if (!encap)
                        fputs("                if (wire_level_ != level)\n"
                              "                        return -EBADMSG;        /* not the "
                              "switch_is value */\n",
                              f);
                fprintf(f, "                NDR_CHECK(ndr_pull_align(ndr, %u));\n", aa);
        }
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1)
                        fputs("        if (ndr_flags & NDR_BUFFERS) {\n", f);
                fprintf(f, "                switch ((int64_t)%s) {\n", sw);
                for (struct idl_field *a = st->fields; a; a = a->next) {
                        struct member m;
                        write_case_labels(g, a, 16);
                        if (!a->type || classify_member(g, a, &m, 1) < 0) {
                                fputs("                        break;\n", f);
                                continue;
                        }
                        if (encap)
                                snprintf(buf, sizeof buf, "r->%s.%s", un, a->name);
                        else
                                snprintf(buf, sizeof buf, "r->%s", a->name);
                        if (pass == 0 && m.kind == M_SCALAR) {
                                if (push)
                                        push_scalar(f, 24, m.elem, "ndr", buf);
                                else
                                        pull_scalar(f, 24, m.elem, buf);
                        } else if (pass == 0 && m.kind == M_FIXED) {
                                char e[420];
                                snprintf(e, sizeof e, "%s[i_]", buf);
                                fprintf(f,
                                        "                        for (uint32_t i_ = 0; i_ < %u; "
                                        "i_++)\n",
                                        m.fixed);
                                if (push)
                                        push_scalar(f, 32, m.elem, "ndr", e);
                                else
                                        pull_scalar(f, 32, m.elem, e);
                        } else if (m.kind == M_STRUCT) {
                                fprintf(f, "                        %sndr_%s_%s(ndr, %s",
                                        push ? "" : "NDR_CHECK(", push ? "push" : "pull",
                                        m.st->fname, pass ? "NDR_BUFFERS" : "NDR_SCALARS");
                                level_arg(f, m.sw, "r->");
                                fprintf(f, ", &%s)%s;\n", buf, push ? "" : ")");
                        } else if (pass == 0 && m.kind == M_STRING) {
                                if (push) {
                                        fprintf(f,
                                                "                        ndr_push_%s_ptr(ndr, "
                                                "%s);\n",
                                                m.ptr == PTR_REF ? "ref" : "unique", buf);
                                } else {
                                        fprintf(f,
                                                "                        "
                                                "NDR_CHECK(ndr_pull_%s_ptr(ndr, &id_));\n",
                                                m.ptr == PTR_REF ? "ref" : "unique");
                                        fprintf(f,
                                                "                        %s = id_ ? "
                                                "NDR_PTR_PENDING : NULL;\n",
                                                buf);
                                }
                        } else if (pass == 1 && m.kind == M_STRING) {
                                fprintf(f, "                        if (%s)\n", buf);
                                if (push)
                                        fprintf(f,
                                                "                                ndr_push_%s(ndr, "
                                                "(const %s *)%s);\n",
                                                m.wide ? "wstring" : "string",
                                                m.wide ? "uint16_t" : "char", buf);
                                else
                                        fprintf(f,
                                                "                                "
                                                "NDR_CHECK(ndr_pull_%s(ndr, (%s **)&%s, NULL));\n",
                                                m.wide ? "wstring" : "string",
                                                m.wide ? "uint16_t" : "char", buf);
                        }
                        fputs("                        break;\n", f);
                }
                if (!has_default(st)) {
                        fputs("                default:\n", f);
                        if (pass == 0)
                                fprintf(f,
                                        "                        return ndr_%s_bad_arm(ndr, "
                                        "(uint32_t)%s);\n",
                                        push ? "push" : "pull", sw);
                        else
                                fputs("                        break;\n", f);
                }
                fputs("                }\n", f);
                if (pass == 0) {
                        if (push)
                                fprintf(f, "                ndr_push_align(ndr, %u);\n", align);
                        else
                                fprintf(f, "                NDR_CHECK(ndr_pull_align(ndr, %u));\n",
                                        align);
                }
                fputs("        }\n", f);
        }
        fputs(push ? "        return ndr_push_error(ndr);\n}\n" : "        return 0;\n}\n", f);
}

static void write_struct_funcs(struct gen *g) {
        if (!g->n_structs)
                return;
        fputs("\n/* --- types --- */\n\n", g->f);
        write_struct_protos(g);
        for (size_t i = 0; i < g->n_structs; i++) {
                if (g->structs[i].st->kind != TYPE_STRUCT) {
                        write_union(g, &g->structs[i], true);
                        write_union(g, &g->structs[i], false);
                        continue;
                }
                write_struct_push(g, &g->structs[i]);
                write_struct_pull(g, &g->structs[i]);
        }
}

/* Pushes one parameter's value (the client's [in] side, the server's [out] side). */
static void push_param(FILE *f, const struct param *p, const char *ndr) {
        const char *n = p->f->name;
        char buf[300];

        switch (p->kind) {
        case P_CTX:
                /* the client's side: the handle's wire form, zeros for NULL */
                fputs("        {\n                struct ndr_context_handle w_ = { 0 };\n\n", f);
                if (p->ptr == PTR_NONE)
                        fprintf(f,
                                "                if (%s)\n                        w_ = ((const "
                                "struct "
                                "ndr_client_context *)%s)->wire;\n",
                                n, n);
                else
                        fprintf(f,
                                "                if (%s && *%s)\n                        w_ = "
                                "((const "
                                "struct ndr_client_context *)*%s)->wire;\n",
                                n, n, n);
                fprintf(f, "                ndr_push_context_handle(%s, &w_);\n        }\n", ndr);
                break;
        case P_STRUCT:
                if (p->ptr == PTR_NONE) {
                        fprintf(f, "        ndr_push_%s(%s, NDR_SCALARS | NDR_BUFFERS",
                                p->st->fname, ndr);
                        level_arg(f, p->sw, "");
                        fprintf(f, ", &%s);\n", n);
                        break;
                }
                if (p->ptr == PTR_UNIQUE)
                        fprintf(f, "        ndr_push_unique_ptr(%s, %s);\n        if (%s)\n", ndr,
                                n, n);
                else
                        fprintf(f, "        if (ndr_push_check_ref(%s, %s) >= 0)\n", ndr, n);
                fprintf(f, "                ndr_push_%s(%s, NDR_SCALARS | NDR_BUFFERS",
                        p->st->fname, ndr);
                level_arg(f, p->sw, "");
                fprintf(f, ", %s);\n", n);
                break;
        case P_HANDLE:
                break;
        case P_SCALAR:
                push_scalar(f, 8, p->elem, ndr, n);
                break;
        case P_SCALAR_PTR:
                snprintf(buf, sizeof buf, "*%s", n);
                if (p->ptr == PTR_UNIQUE) {
                        fprintf(f, "        ndr_push_unique_ptr(%s, %s);\n", ndr, n);
                        fprintf(f, "        if (%s)\n", n);
                        push_scalar(f, 16, p->elem, ndr, buf);
                } else {
                        fprintf(f, "        if (ndr_push_check_ref(%s, %s) >= 0)\n", ndr, n);
                        push_scalar(f, 16, p->elem, ndr, buf);
                }
                break;
        case P_STRING:
                if (p->ptr == PTR_UNIQUE) {
                        fprintf(f, "        ndr_push_unique_ptr(%s, %s);\n", ndr, n);
                        fprintf(f, "        if (%s)\n", n);
                } else {
                        fprintf(f, "        if (ndr_push_check_ref(%s, %s) >= 0)\n", ndr, n);
                }
                fprintf(f, "                ndr_push_%s(%s, (const %s *)%s);\n",
                        p->wide ? "wstring" : "string", ndr, p->wide ? "uint16_t" : "char", n);
                break;
        case P_STRING_OUT:
                /* the server's side: the outer [ref] pointer is its own local */
                fprintf(f, "        ndr_push_unique_ptr(%s, *%s);\n", ndr, n);
                fprintf(f, "        if (*%s)\n", n);
                fprintf(f, "                ndr_push_%s(%s, (const %s *)*%s);\n",
                        p->wide ? "wstring" : "string", ndr, p->wide ? "uint16_t" : "char", n);
                break;
        case P_ARRAY:
                fprintf(f, "        if (ndr_push_check_ref(%s, %s) >= 0) {\n", ndr, n);
                if (p->conformant) {
                        fprintf(f, "                ndr_push_conformance(%s, ", ndr);
                        print_count(f, p);
                        fputs(");\n", f);
                }
                if (p->length) {
                        /* varying: offset 0, length_is elements, never more than size_is */
                        fputs("                if ((uint32_t)(", f);
                        print_expr(f, p->length);
                        fputs(") > ", f);
                        print_count(f, p);
                        fprintf(f, ") {\n                        ndr_push_fail(%s, -EINVAL);\n",
                                ndr);
                        fputs("                } else {\n", f);
                        fprintf(f, "                        ndr_push_variance(%s, 0, (uint32_t)(",
                                ndr);
                        print_expr(f, p->length);
                        fputs("));\n                        for (uint32_t i_ = 0; i_ < (uint32_t)(",
                              f);
                        print_expr(f, p->length);
                        fputs("); i_++)\n", f);
                        snprintf(buf, sizeof buf, "%s[i_]", n);
                        push_scalar(f, 32, p->elem, ndr, buf);
                        fputs("                }\n        }\n", f);
                        break;
                }
                fputs("                for (uint32_t i_ = 0; i_ < ", f);
                print_count(f, p);
                fputs("; i_++)\n", f);
                snprintf(buf, sizeof buf, "%s[i_]", n);
                push_scalar(f, 24, p->elem, ndr, buf);
                fputs("        }\n", f);
                break;
        }
}

/*
 * Pulls one parameter.  Server ([in]): into locals, the arrays and strings in the
 * arena.  Client ([out]): scalars and arrays into the caller's memory, strings into
 * the local pointer tmp_NAME (copied out once everything is pulled).
 */
static void pull_param(FILE *f, const struct param *p, bool server) {
        const char *n = p->f->name;
        char buf[300];

        switch (p->kind) {
        case P_CTX:
                fprintf(f, "        NDR_CHECK(ndr_pull_context_handle(ndr, &w_%s));\n", n);
                if (server) {
                        /* the runtime's table: an unknown handle is its error (context mismatch) */
                        fputs("        if (!call->contexts)\n                return -EOPNOTSUPP;\n",
                              f);
                        fprintf(f,
                                "        NDR_CHECK(call->contexts->lookup(call->contexts, &w_%s, "
                                "(void **)%s%s));\n",
                                n, p->ptr == PTR_NONE ? "&" : "", n);
                }
                break;
        case P_STRUCT:
                if (p->ptr == PTR_NONE) {
                        fprintf(f, "        NDR_CHECK(ndr_pull_%s(ndr, NDR_SCALARS | NDR_BUFFERS",
                                p->st->fname);
                        level_arg(f, p->sw, "");
                        fprintf(f, ", &%s));\n", n);
                } else if (p->ptr == PTR_UNIQUE) {
                        /* [in] only: the server's side */
                        fputs("        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id_));\n", f);
                        fprintf(f, "        %s = NULL;\n        if (id_) {\n", n);
                        fprintf(f,
                                "                if (!(%s = ndr_pull_alloc(ndr, 1, sizeof *%s)))\n"
                                "                        return ndr->error;\n",
                                n, n);
                        fprintf(f,
                                "                NDR_CHECK(ndr_pull_%s(ndr, NDR_SCALARS | "
                                "NDR_BUFFERS",
                                p->st->fname);
                        level_arg(f, p->sw, "");
                        fprintf(f, ", %s));\n        }\n", n);
                } else {
                        fprintf(f, "        NDR_CHECK(ndr_pull_%s(ndr, NDR_SCALARS | NDR_BUFFERS",
                                p->st->fname);
                        level_arg(f, p->sw, "");
                        fprintf(f, ", %s));\n", n);
                }
                break;
        case P_HANDLE:
                break;
        case P_SCALAR:
                pull_scalar(f, 8, p->elem, n);
                if (p->has_range) {
                        struct idl_type *rt = idl_type_resolve(p->elem);
                        if (rt && rt->kind == TYPE_BASIC && rt->sign != SIGN_UNSIGNED &&
                            rt->basic != BASIC_BYTE && rt->basic != BASIC_BOOLEAN &&
                            rt->basic != BASIC_WCHAR && rt->basic != BASIC_ERROR_STATUS)
                                fprintf(f,
                                        "        NDR_CHECK(ndr_check_range_signed(%s, %lldLL, "
                                        "%lldLL));\n",
                                        n, (long long)p->lo, (long long)p->hi);
                        else
                                fprintf(f,
                                        "        NDR_CHECK(ndr_check_range(%s, %lluULL, "
                                        "%lluULL));\n",
                                        n, (unsigned long long)p->lo, (unsigned long long)p->hi);
                }
                break;
        case P_SCALAR_PTR:
                snprintf(buf, sizeof buf, "*%s", n);
                if (p->ptr == PTR_UNIQUE) {
                        fputs("        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id_));\n", f);
                        if (server) {
                                fprintf(f, "        %s = NULL;\n", n);
                                fputs("        if (id_) {\n", f);
                                fprintf(f,
                                        "                if (!(%s = ndr_pull_alloc(ndr, 1, sizeof "
                                        "*%s)))\n",
                                        n, n);
                                fputs("                        return ndr->error;\n", f);
                        } else {
                                /* [in, out, unique]: the server cannot make it NULL or non-NULL */
                                fprintf(f, "        if (!id_ != !%s)\n", n);
                                fputs("                return -EBADMSG;\n", f);
                                fputs("        if (id_) {\n", f);
                        }
                        pull_scalar(f, 16, p->elem, buf);
                        fputs("        }\n", f);
                } else {
                        pull_scalar(f, 8, p->elem, buf);
                }
                break;
        case P_STRING:
                if (p->ptr == PTR_UNIQUE) {
                        fputs("        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id_));\n", f);
                        fprintf(f, "        %s = NULL;\n", n);
                        fputs("        if (id_)\n", f);
                }
                fprintf(f, "%*sNDR_CHECK(ndr_pull_%s(ndr, (%s **)&%s, NULL));\n",
                        p->ptr == PTR_UNIQUE ? 16 : 8, "", p->wide ? "wstring" : "string",
                        p->wide ? "uint16_t" : "char", n);
                break;
        case P_STRING_OUT:
                /* client only */
                fputs("        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id_));\n", f);
                fputs("        if (id_)\n", f);
                fprintf(f, "                NDR_CHECK(ndr_pull_%s(ndr, &tmp_%s, NULL));\n",
                        p->wide ? "wstring" : "string", n);
                break;
        case P_ARRAY: {
                struct scalar s;
                scalar_info(p->elem, &s);
                fputs("        {\n", f);
                fputs("                uint32_t count_ = ", f);
                if (p->conformant) {
                        fputs("0;\n", f);
                        fputs("                NDR_CHECK(ndr_pull_conformance(ndr, &count_));\n",
                              f);
                        fputs("                NDR_CHECK(ndr_check_size_is(count_, ", f);
                        print_expr(f, p->count);
                        fputs("));\n", f);
                } else {
                        print_count(f, p);
                        fputs(";\n", f);
                }
                if (server) {
                        fprintf(f,
                                "                NDR_CHECK(ndr_pull_array_alloc(ndr, count_, %u, "
                                "%u, "
                                "sizeof *%s, &p_));\n",
                                s.size, s.size, n);
                        fprintf(f, "                %s = p_;\n", n);
                } else if (p->length) {
                        /* varying: the elements the server sent, at most size_is */
                        fputs("                uint32_t offset_, actual_;\n\n", f);
                        fputs("                NDR_CHECK(ndr_pull_variance(ndr, count_, &offset_, "
                              "&actual_));\n",
                              f);
                        fputs("                if (offset_ != 0)\n                        return "
                              "-EBADMSG;\n",
                              f);
                        fputs("                count_ = actual_;\n", f);
                        fprintf(f, "                if (count_ && !%s)\n", n);
                        fputs("                        return -EINVAL;\n", f);
                        fprintf(f,
                                "                NDR_CHECK(ndr_pull_check_count(ndr, count_, %u, "
                                "%u));\n",
                                s.size, s.size);
                } else {
                        fprintf(f, "                if (count_ && !%s)\n", n);
                        fputs("                        return -EINVAL;\n", f);
                        fprintf(f,
                                "                NDR_CHECK(ndr_pull_check_count(ndr, count_, %u, "
                                "%u));\n",
                                s.size, s.size);
                }
                fputs("                for (uint32_t i_ = 0; i_ < count_; i_++)\n", f);
                snprintf(buf, sizeof buf, "%s[i_]", n);
                pull_scalar(f, 24, p->elem, buf);
                fputs("        }\n", f);
                break;
        }
        }
}

static bool pulls_unique(const struct param *ps, size_t n, unsigned dir) {
        for (size_t i = 0; i < n; i++)
                if ((ps[i].f->dir & dir) && (ps[i].kind == P_STRING_OUT ||
                                             ((ps[i].kind == P_SCALAR_PTR ||
                                               ps[i].kind == P_STRING || ps[i].kind == P_STRUCT) &&
                                              ps[i].ptr == PTR_UNIQUE)))
                        return true;
        return false;
}

/* --- output ------------------------------------------------------------------------- */

static void print_params(FILE *f, struct idl_func *fn) {
        bool first = true;
        for (struct idl_field *p = fn->type->fields; p; p = p->next) {
                if (!p->type || p->type->kind == TYPE_VOID)
                        continue;
                if (!first)
                        fputs(", ", f);
                first = false;
                print_decl(f, p->type, p->name);
        }
        if (first)
                fputs("void", f);
}

/* int Foo_Method(handle_t h, args... [, RET *ret]) */
static void print_client_proto(struct gen *g, struct idl_func *fn, const struct param *ps,
                               size_t n) {
        FILE *f = g->f;

        fprintf(f, "int %s_%s(handle_t h_", g->ifc->name, fn->name);
        for (size_t i = 0; i < n; i++) {
                if (ps[i].kind == P_HANDLE)
                        continue;
                fputs(", ", f);
                print_decl(f, ps[i].f->type, ps[i].f->name);
        }
        if (has_ret(fn)) {
                fputs(", ", f);
                print_decl(f, fn->type->ref, "*ret_");
        }
        fputc(')', f);
}

static bool is_rpc_iface(struct idl_stmt *s) {
        return s->kind == STMT_INTERFACE && !s->imported && s->iface &&
               s->iface->kind == IFACE_INTERFACE && !s->iface->is_object && !s->iface->is_local &&
               s->iface->defined;
}

static void set_prefix(struct gen *g, struct idl_iface *ifc) {
        g->ifc = ifc;
        snprintf(g->prefix, sizeof g->prefix, "%s_v%u_%u", ifc->name, ifc->ver_major,
                 ifc->ver_minor);
}

#define FOR_METHODS(ifc, s)                                                                        \
        for (struct idl_stmt *s = (ifc)->stmts; s; s = s->next)                                    \
                if (s->kind == STMT_FUNC && s->func)

static int check_ifaces(struct gen *g) {
        int r = 0;
        struct param ps[MAX_PARAMS];
        size_t n;

        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                FOR_METHODS(s->iface, m)
                if (classify_all(g, m->func, ps, &n) < 0)
                        r = -EINVAL;
        }
        return r;
}

static void write_header(struct gen *g, const char *idl_name, const char *header) {
        FILE *f = g->f;
        struct param ps[MAX_PARAMS];
        size_t n;
        char guard[300];

        snprintf(guard, sizeof guard, "__%s_stub_h__", idl_name);
        for (char *p = guard; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9')))
                        *p = '_';
        fprintf(f, "/* Generated by dcomidl from %s: do not edit. */\n\n", idl_name);
        fprintf(f, "#ifndef %s\n#define %s\n\n", guard, guard);
        fprintf(f, "#include \"%s\"\n#include \"ndr/ndr-stub.h\"\n", header);
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                set_prefix(g, s->iface);
                fprintf(f, "\n/* %s: the server's entry point vector */\n", g->prefix);
                fprintf(f, "struct %s_epv {\n", g->prefix);
                FOR_METHODS(g->ifc, m) {
                        fputs("        ", f);
                        char name[300];
                        snprintf(name, sizeof name, "(*%s)(", m->func->name);
                        /* RET (*Method)(params) */
                        print_decl(f, m->func->type->ref, "");
                        fprintf(f, " %s", name);
                        print_params(f, m->func);
                        fputs(");\n", f);
                }
                fputs("};\n\n", f);
                fprintf(f, "extern const struct ndr_interface %s_s_interface;\n", g->prefix);
                fprintf(f, "/* -EOPNOTSUPP for an opnum out of range (nca_s_op_rng_error) */\n");
                fprintf(f, "int %s_dispatch(struct ndr_server_call *call, uint32_t opnum);\n\n",
                        g->prefix);
                fputs("/* client stubs: 0 or a negative errno, the return value in *ret_ */\n", f);
                FOR_METHODS(g->ifc, m) {
                        classify_all(g, m->func, ps, &n);
                        print_client_proto(g, m->func, ps, n);
                        fputs(";\n", f);
                }
        }
        fprintf(f, "\n#endif /* %s */\n", guard);
}

static const char check_macro[] = "#ifndef NDR_CHECK\n"
                                  "#define NDR_CHECK(x)                            \\\n"
                                  "        do {                                    \\\n"
                                  "                int r_ = (x);                   \\\n"
                                  "                if (r_ < 0)                     \\\n"
                                  "                        return r_;              \\\n"
                                  "        } while (0)\n"
                                  "#endif\n";

static void write_client_method(struct gen *g, struct idl_func *fn, unsigned opnum) {
        FILE *f = g->f;
        struct param ps[MAX_PARAMS];
        size_t n;
        bool any_in = false, any_out = false;

        classify_all(g, fn, ps, &n);
        for (size_t i = 0; i < n; i++) {
                if (ps[i].kind == P_HANDLE)
                        continue;
                any_in |= (ps[i].f->dir & DIR_IN) != 0;
                any_out |= (ps[i].f->dir & DIR_OUT) != 0;
        }

        /* marshal: the [in] arguments */
        fprintf(f, "\n/* %s (opnum %u) */\n", fn->name, opnum);
        fprintf(f, "static int %s_%s_push(struct ndr_push *ndr", g->ifc->name, fn->name);
        for (size_t i = 0; i < n; i++) {
                if (ps[i].kind == P_HANDLE || !(ps[i].f->dir & DIR_IN))
                        continue;
                fputs(", ", f);
                print_decl(f, ps[i].f->type, ps[i].f->name);
        }
        fputs(") {\n", f);
        for (size_t i = 0; i < n; i++)
                if (ps[i].f->dir & DIR_IN)
                        push_param(f, &ps[i], "ndr");
        fputs("        return ndr_push_error(ndr);\n}\n\n", f);

        /* unmarshal: the [out] arguments and the return value */
        fprintf(f, "static int %s_%s_pull(struct ndr_pull *ndr", g->ifc->name, fn->name);
        for (size_t i = 0; i < n; i++) {
                if (ps[i].kind == P_HANDLE)
                        continue;
                fputs(", ", f);
                print_decl(f, ps[i].f->type, ps[i].f->name);
        }
        if (has_ret(fn)) {
                fputs(", ", f);
                print_decl(f, fn->type->ref, "*ret_");
        }
        fputs(") {\n", f);
        if (pulls_unique(ps, n, DIR_OUT))
                fputs("        uint32_t id_;\n", f);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_STRING_OUT)
                        fprintf(f, "        %s *tmp_%s = NULL, *dup_%s = NULL;\n",
                                ps[i].wide ? "uint16_t" : "char", ps[i].f->name, ps[i].f->name);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_CTX && (ps[i].f->dir & DIR_OUT))
                        fprintf(f,
                                "        struct ndr_context_handle w_%s;\n"
                                "        struct ndr_client_context *cc_%s = NULL;\n",
                                ps[i].f->name, ps[i].f->name);
        if (has_ret(fn)) {
                fputs("        ", f);
                print_decl(f, fn->type->ref, "rv_");
                fputs(";\n", f);
        }
        fputc('\n', f);
        if (!any_out && !has_ret(fn))
                fputs("        (void)ndr;\n", f);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind != P_HANDLE && ps[i].f->dir == DIR_IN)
                        fprintf(f, "        (void)%s;\n", ps[i].f->name);
        for (size_t i = 0; i < n; i++)
                if (ps[i].f->dir & DIR_OUT)
                        pull_param(f, &ps[i], false);
        if (has_ret(fn))
                pull_scalar(f, 8, fn->type->ref, "rv_");
        /* strings cross to the caller in midl_user_allocate() memory, all or none */
        bool strings = false;
        for (size_t i = 0; i < n; i++) {
                if (ps[i].kind != P_STRING_OUT)
                        continue;
                strings = true;
                fprintf(f, "        if (tmp_%s && !(dup_%s = ndr_stub_%s(tmp_%s)))\n",
                        ps[i].f->name, ps[i].f->name, ps[i].wide ? "wstrdup" : "strdup",
                        ps[i].f->name);
                fputs("                goto nomem;\n", f);
        }
        /* context handles: a new one gets its client context, a NULL one closes it */
        for (size_t i = 0; i < n; i++) {
                const char *cn = ps[i].f->name;
                if (ps[i].kind != P_CTX || !(ps[i].f->dir & DIR_OUT))
                        continue;
                strings = true;
                fprintf(f, "        if (!ndr_context_handle_is_null(&w_%s)%s) {\n", cn,
                        ps[i].f->dir == DIR_INOUT ? "" : "");
                if (ps[i].f->dir == DIR_INOUT)
                        fprintf(f,
                                "                if (*%s)\n                        ((struct "
                                "ndr_client_context *)*%s)->wire = w_%s;\n                else ",
                                cn, cn, cn);
                else
                        fputs("                ", f);
                fprintf(f,
                        "if (!(cc_%s = midl_user_allocate(sizeof *cc_%s)))\n"
                        "                        goto nomem;\n        }\n",
                        cn, cn);
        }
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_STRING_OUT)
                        fprintf(f, "        *%s = (void *)dup_%s;\n", ps[i].f->name, ps[i].f->name);
        for (size_t i = 0; i < n; i++) {
                const char *cn = ps[i].f->name;
                if (ps[i].kind != P_CTX || !(ps[i].f->dir & DIR_OUT))
                        continue;
                fprintf(f,
                        "        if (cc_%s) {\n                cc_%s->wire = w_%s;\n"
                        "                *%s = cc_%s;\n",
                        cn, cn, cn, cn, cn);
                fprintf(f, "        } else if (ndr_context_handle_is_null(&w_%s)) {\n", cn);
                if (ps[i].f->dir == DIR_INOUT)
                        fprintf(f, "                midl_user_free(*%s);  /* closed */\n", cn);
                fprintf(f, "                *%s = NULL;\n        }\n", cn);
        }
        if (has_ret(fn))
                fputs("        if (ret_)\n                *ret_ = rv_;\n", f);
        fputs("        return 0;\n", f);
        if (strings) {
                fputs("nomem:\n", f);
                for (size_t i = 0; i < n; i++)
                        if (ps[i].kind == P_STRING_OUT)
                                fprintf(f, "        midl_user_free(dup_%s);\n", ps[i].f->name);
                for (size_t i = 0; i < n; i++)
                        if (ps[i].kind == P_CTX && (ps[i].f->dir & DIR_OUT))
                                fprintf(f, "        midl_user_free(cc_%s);\n", ps[i].f->name);
                fputs("        return -ENOMEM;\n", f);
        }
        fputs("}\n\n", f);

        /* the client stub */
        print_client_proto(g, fn, ps, n);
        fputs(" {\n", f);
        fputs("        struct ndr_push in_;\n        struct ndr_pull out_;\n", f);
        fputs("        struct arena arena_;\n        int rc_;\n\n", f);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_STRING_OUT)
                        fprintf(f,
                                "        if (!%s)\n                return -EINVAL;\n"
                                "        *%s = NULL;\n",
                                ps[i].f->name, ps[i].f->name);
        for (size_t i = 0; i < n; i++)
                if ((ps[i].kind == P_SCALAR_PTR || ps[i].kind == P_STRUCT || ps[i].kind == P_CTX) &&
                    ps[i].ptr == PTR_REF && (ps[i].f->dir & DIR_OUT))
                        fprintf(f, "        if (!%s)\n                return -EINVAL;\n",
                                ps[i].f->name);
        fputs("        ndr_push_init(&in_, 0);\n        arena_init(&arena_, 0);\n", f);
        fprintf(f, "        rc_ = %s_%s_push(&in_", g->ifc->name, fn->name);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind != P_HANDLE && (ps[i].f->dir & DIR_IN))
                        fprintf(f, ", %s", ps[i].f->name);
        fputs(");\n", f);
        fprintf(f,
                "        if (rc_ >= 0)\n                rc_ = ndr_client_call(h_, &%s_c_interface, "
                "%u, "
                "&in_, &out_, &arena_);\n",
                g->prefix, opnum);
        fprintf(f, "        if (rc_ >= 0)\n                rc_ = %s_%s_pull(&out_", g->ifc->name,
                fn->name);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind != P_HANDLE)
                        fprintf(f, ", %s", ps[i].f->name);
        if (has_ret(fn))
                fputs(", ret_", f);
        fputs(");\n", f);
        fputs("        arena_reset(&arena_);\n        ndr_push_free(&in_);\n        return "
              "rc_;\n}\n",
              f);
        (void)any_in;
}

static void write_guid(FILE *f, const struct idl_guid *u) {
        fprintf(f, "{ 0x%08x, 0x%04x, 0x%04x, { ", u->d1, u->d2, u->d3);
        for (int i = 0; i < 8; i++)
                fprintf(f, "0x%02x%s", u->d4[i], i < 7 ? ", " : " } }");
}

static void write_iface_def(struct gen *g, const char *which, bool ops) {
        FILE *f = g->f;
        unsigned n = 0;
        FOR_METHODS(g->ifc, m)
        n++;
        fprintf(f, "%sconst struct ndr_interface %s_%s_interface = {\n", ops ? "" : "static ",
                g->prefix, which);
        fputs("        .uuid = ", f);
        write_guid(f, &g->ifc->uuid);
        fprintf(f, ",\n        .ver_major = %u,\n        .ver_minor = %u,\n", g->ifc->ver_major,
                g->ifc->ver_minor);
        fprintf(f, "        .n_ops = %u,\n", n);
        fprintf(f, "        .ops = %s,\n", ops ? "ops_" : "NULL");
        fprintf(f, "        .name = \"%s\",\n};\n", g->ifc->name);
}

/* What _c.c and _s.c both open with: banner, includes, NDR_CHECK, the type functions. */
static void write_prologue(struct gen *g, const char *idl_name, const char *stub_header,
                           const char *what) {
        FILE *f = g->f;

        fprintf(f, "/* Generated by dcomidl from %s: do not edit. */\n", idl_name);
        fprintf(f, "/* %s stubs (see src/ndr/ndr-stub.h for the conventions). */\n\n", what);
        fprintf(f, "#include <errno.h>\n\n#include \"%s\"\n\n", stub_header);
        fputs(check_macro, f);
        write_struct_funcs(g);
}

static void write_client(struct gen *g, const char *idl_name, const char *stub_header) {
        FILE *f = g->f;

        write_prologue(g, idl_name, stub_header, "Client");
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                set_prefix(g, s->iface);
                fprintf(f, "\n/* --- %s --- */\n\n", g->prefix);
                write_iface_def(g, "c", false);
                unsigned opnum = 0;
                FOR_METHODS(g->ifc, m)
                write_client_method(g, m->func, opnum++);
        }
}

static void write_server_method(struct gen *g, struct idl_func *fn, unsigned opnum) {
        FILE *f = g->f;
        struct param ps[MAX_PARAMS];
        size_t n;
        bool arrays_in = false;

        classify_all(g, fn, ps, &n);
        fprintf(f, "\n/* %s (opnum %u) */\n", fn->name, opnum);
        fprintf(f, "static int %s_%s_stub(struct ndr_server_call *call) {\n", g->ifc->name,
                fn->name);
        fprintf(f, "        const struct %s_epv *epv_ = call->impl;\n", g->prefix);
        fputs("        struct ndr_pull *ndr = call->in;\n        struct ndr_push *out_ = "
              "call->out;\n",
              f);
        if (pulls_unique(ps, n, DIR_IN))
                fputs("        uint32_t id_;\n", f);
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_ARRAY && ps[i].conformant && (ps[i].f->dir & DIR_IN))
                        arrays_in = true;
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_ARRAY && (ps[i].f->dir & DIR_IN))
                        arrays_in = true;
        if (arrays_in)
                fputs("        void *p_;\n", f);
        for (size_t i = 0; i < n; i++) {
                const struct param *p = &ps[i];
                struct idl_type *t = idl_type_resolve(p->f->type);
                fputs("        ", f);
                if (p->kind == P_ARRAY && t->kind == TYPE_ARRAY) {
                        /* an array parameter is a pointer in C */
                        no_const = true;
                        print_decl(f, t->ref, "*");
                        no_const = false;
                        fprintf(f, "%s = NULL;\n", p->f->name);
                        continue;
                }
                if (p->kind == P_STRUCT) {
                        if (p->ptr == PTR_NONE) {
                                fprintf(f, "%s %s;\n", p->st->cname, p->f->name);
                                fprintf(f, "        memset(&%s, 0, sizeof %s);\n", p->f->name,
                                        p->f->name);
                                continue;
                        }
                        no_const = true; /* the stub fills it */
                }
                no_const |= p->kind == P_ARRAY;
                print_decl(f, p->f->type, p->f->name);
                no_const = false;
                fputs(p->kind == P_SCALAR ? " = 0;\n" : " = NULL;\n", f);
                if (p->kind == P_STRUCT && p->ptr == PTR_REF)
                        fprintf(f, "        %s s_%s;\n        memset(&s_%s, 0, sizeof s_%s);\n",
                                p->st->cname, p->f->name, p->f->name, p->f->name);
                if (p->kind == P_CTX) {
                        if (p->ptr == PTR_REF)
                                fprintf(f, "        void *s_%s = NULL;\n", p->f->name);
                        fprintf(f, "        struct ndr_context_handle w_%s = { 0 };\n", p->f->name);
                }
                if (p->kind == P_SCALAR_PTR && p->ptr == PTR_REF) {
                        fputs("        ", f);
                        print_decl(f, p->elem, "");
                        fprintf(f, " s_%s = 0;\n", p->f->name);
                } else if (p->kind == P_STRING_OUT) {
                        fputs("        ", f);
                        char sname[300];
                        snprintf(sname, sizeof sname, "s_%s", p->f->name);
                        print_decl(f, t->ref, sname);
                        fputs(" = NULL;\n", f);
                }
        }
        if (has_ret(fn)) {
                fputs("        ", f);
                print_decl(f, fn->type->ref, "ret_");
                fputs(";\n", f);
        }
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_CTX && (ps[i].f->dir & DIR_OUT)) {
                        fputs("        int rc_;\n", f);
                        break;
                }
        fputs("\n        (void)ndr;\n", f);
        /* point the [ref] pointers at their storage */
        for (size_t i = 0; i < n; i++)
                if (((ps[i].kind == P_SCALAR_PTR || ps[i].kind == P_STRUCT) &&
                     ps[i].ptr == PTR_REF) ||
                    ps[i].kind == P_STRING_OUT)
                        fprintf(f, "        %s = &s_%s;\n", ps[i].f->name, ps[i].f->name);
                else if (ps[i].kind == P_CTX && ps[i].ptr == PTR_REF)
                        fprintf(f, "        %s = (void *)&s_%s;\n", ps[i].f->name, ps[i].f->name);
        for (size_t i = 0; i < n; i++)
                if (ps[i].f->dir & DIR_IN)
                        pull_param(f, &ps[i], true);
        /* [out]-only arrays: the server allocates them, size from the [in] arguments */
        for (size_t i = 0; i < n; i++) {
                const struct param *p = &ps[i];
                if (p->kind != P_ARRAY || (p->f->dir & DIR_IN))
                        continue;
                fputs("        {\n                uint32_t count_ = ", f);
                print_count(f, p);
                fprintf(f,
                        ";\n                if (!(%s = ndr_pull_alloc(ndr, count_ ? count_ : 1, "
                        "sizeof *%s)))\n                        return ndr->error;\n        }\n",
                        p->f->name, p->f->name);
        }
        fputs("\n        ", f);
        if (has_ret(fn))
                fputs("ret_ = ", f);
        fprintf(f, "epv_->%s(", fn->name);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputs(", ", f);
                fputs(ps[i].f->name, f); /* a handle_t is NULL */
        }
        fputs(");\n\n", f);
        for (size_t i = 0; i < n; i++) {
                if (!(ps[i].f->dir & DIR_OUT))
                        continue;
                if (ps[i].kind != P_CTX) {
                        push_param(f, &ps[i], "out_");
                        continue;
                }
                /* the runtime's table makes, updates or closes the wire handle */
                fprintf(f,
                        "        if (!call->contexts)\n                ndr_push_fail(out_, "
                        "-EOPNOTSUPP);\n"
                        "        else if ((rc_ = call->contexts->store(call->contexts, s_%s, "
                        "&w_%s)) < 0)\n"
                        "                ndr_push_fail(out_, rc_);\n",
                        ps[i].f->name, ps[i].f->name);
                fprintf(f, "        ndr_push_context_handle(out_, &w_%s);\n", ps[i].f->name);
        }
        if (has_ret(fn))
                push_scalar(f, 8, fn->type->ref, "out_", "ret_");
        for (size_t i = 0; i < n; i++)
                if (ps[i].kind == P_STRING_OUT)
                        fprintf(f, "        midl_user_free(s_%s);\n", ps[i].f->name);
        fputs("        return ndr_push_error(out_);\n}\n", f);
}

static void write_server(struct gen *g, const char *idl_name, const char *stub_header) {
        FILE *f = g->f;

        write_prologue(g, idl_name, stub_header, "Server");
        for (struct idl_stmt *s = g->ctx->stmts; s; s = s->next) {
                if (!is_rpc_iface(s))
                        continue;
                set_prefix(g, s->iface);
                fprintf(f, "\n/* --- %s --- */\n", g->prefix);
                unsigned opnum = 0;
                FOR_METHODS(g->ifc, m)
                write_server_method(g, m->func, opnum++);
                fputs("\nstatic const struct ndr_op ops_[] = {\n", f);
                FOR_METHODS(g->ifc, m)
                fprintf(f, "        { \"%s\", %s_%s_stub },\n", m->func->name, g->ifc->name,
                        m->func->name);
                fputs("};\n\n", f);
                write_iface_def(g, "s", true);
                fprintf(f, "\nint %s_dispatch(struct ndr_server_call *call, uint32_t opnum) {\n",
                        g->prefix);
                fputs("        if (opnum >= sizeof ops_ / sizeof *ops_)\n", f);
                fputs("                return -EOPNOTSUPP;\n", f);
                fputs("        return ops_[opnum].dispatch(call);\n}\n", f);
        }
}

int idl_check_stubs(struct idl_ctx *ctx) {
        struct gen g = {.ctx = ctx};
        int count = 0;

        for (struct idl_stmt *s = ctx->stmts; s; s = s->next)
                if (is_rpc_iface(s))
                        count++;
        if (count > 1) {
                fprintf(ctx->err, "dcomidl: stubs: one RPC interface per file\n");
                return -EINVAL;
        }
        return check_ifaces(&g);
}

int idl_write_stubs(struct idl_ctx *ctx, FILE *f, enum idl_stub_output which, const char *idl_name,
                    const char *header, const char *stub_header) {
        struct gen g = {.ctx = ctx, .f = f};
        int count = 0;

        for (struct idl_stmt *s = ctx->stmts; s; s = s->next)
                if (is_rpc_iface(s))
                        count++;
        if (count > 1) {
                /* one ops_ table per file */
                fprintf(ctx->err, "dcomidl: stubs: one RPC interface per file\n");
                return -EINVAL;
        }
        if (check_ifaces(&g) < 0)
                return -EINVAL;
        switch (which) {
        case IDL_STUB_HEADER:
                write_header(&g, idl_name, header);
                break;
        case IDL_STUB_CLIENT:
                write_client(&g, idl_name, stub_header);
                break;
        case IDL_STUB_SERVER:
                write_server(&g, idl_name, stub_header);
                break;
        }
        return ferror(f) ? -EIO : 0;
}
