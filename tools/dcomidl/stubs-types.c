/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end, analysis: C names and expressions of the IDL's types, the
 * levels of a parameter or member, alignment and wire sizes, and the registry of the
 * structures and unions that get push/pull functions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubs-internal.h"

/* --- small things ---------------------------------------------------------------------- */

char *fmt(struct gen *g, const char *f, ...) {
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

void out(struct gen *g, int ind, const char *f, ...) {
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

bool scalar_info(struct idl_type *type, struct scalar *s) {
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

bool is_basic(struct idl_type *t, enum idl_basic b) {
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
                if (e->op == '*' && expr_wide) {
                        /* what is dereferenced is a pointer, never widened (**ppn: the
                           count behind a pointer behind a pointer); the value is */
                        fputs("((int64_t)(*", f);
                        expr_wide = false;
                        bool ok = print_expr(f, e->a, prefix);
                        expr_wide = true;
                        fputs("))", f);
                        return ok;
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


/* A count, length or discriminant expression, evaluated in 64 bits. */
char *num_str(struct gen *g, const struct idl_expr *e, const char *prefix) {
        expr_wide = true;
        char *r = expr_str(g, e, prefix);
        expr_wide = false;
        return r;
}

char *expr_str(struct gen *g, const struct idl_expr *e, const char *prefix) {
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

/* A declaration of name with type t: pointers, arrays and functions ([C99] 6.7.5, inside
 * out -- a function pointer parameter as IViewObject::Draw's pfnContinue) of a named or
 * basic type. */
void print_decl(FILE *f, struct idl_type *t, const char *name) {
        char *cur = strdup(name ? name : "");
        bool last_ptr = false;

        for (int n = 0; cur && t && n < 64 &&
             (t->kind == TYPE_POINTER || t->kind == TYPE_ARRAY || t->kind == TYPE_FUNCTION);
             n++, t = t->ref) {
                char *nbuf = NULL;
                size_t nlen = 0;
                FILE *s = open_memstream(&nbuf, &nlen);
                if (!s)
                        abort();
                if (t->kind == TYPE_POINTER) {
                        fprintf(s, "*%s%s", t->is_const && !no_const ? "const " : "", cur);
                        last_ptr = true;
                } else if (t->kind == TYPE_FUNCTION) {
                        /* the parameters keep their const: only the outer local loses it */
                        bool nc = no_const;
                        no_const = false;
                        fprintf(s, last_ptr ? "(%s)(" : "%s(", cur);
                        for (struct idl_field *p = t->fields; p; p = p->next) {
                                print_decl(s, p->type, p->name);
                                if (p->next)
                                        fputs(", ", s);
                        }
                        fputs(t->fields ? ")" : "void)", s);
                        no_const = nc;
                        last_ptr = false;
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
void print_local(FILE *f, struct idl_type *t, const char *name) {
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

void gen_error(struct gen *g, const struct idl_loc *loc, const char *what, const char *name,
               const char *why) {
        idl_error(g->ctx, loc, "stubs: %s '%s': %s", what, name ? name : "?", why);
        g->errors++;
}

/* --- levels ---------------------------------------------------------------------------- */


static bool is_composite(struct idl_type *t) {
        t = idl_type_resolve(t);
        return t && (t->kind == TYPE_STRUCT || t->kind == TYPE_UNION ||
                     t->kind == TYPE_ENCAP_UNION);
}

bool level_has_size(const struct level *l) {
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

bool build_levels(struct gen *g, struct idl_field *f, bool param, struct levels *L) {
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
unsigned level_align(struct gen *g, const struct levels *L, int i) {
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
bool level_deferred(const struct levels *L, int i) {
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
unsigned elem_wire_size(struct gen *g, const struct levels *L, int i) {
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
 * The exception is a union member itself: its discriminant travels with it, so the
 * receiver takes the arm from the wire and checks the member named once it is pulled
 * (TYPEDESC's union is switched by vt, which follows it) -- marked sw_later.
 */
static bool inline_exprs_earlier(struct idl_type *st, struct idl_field *f, struct levels *L) {
        for (int i = 0; i < L->n; i++) {
                struct level *l = &L->l[i];
                if (l->kind == L_PTR && !l->top)
                        return true;
                if (i == 0 && l->kind == L_DATA && l->dk == D_UNION &&
                    !names_earlier(st, f, l->sw)) {
                        if (l->sw->kind != EXPR_IDENT)
                                return false;   /* checked afterwards: a member, not a formula */
                        l->sw_later = true;
                        continue;
                }
                const struct idl_expr *xs[] = {l->size_is, l->max_is, l->length_is, l->first_is,
                                               l->last_is, l->sw};
                for (size_t k = 0; k < sizeof xs / sizeof *xs; k++)
                        if (!names_earlier(st, f, xs[k]))
                                return false;
        }
        return true;
}

/* Whether every attribute expression of L prints as C. */
bool level_exprs_ok(struct gen *g, const struct levels *L) {
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

struct sreg *struct_register(struct gen *g, struct idl_type *type) {
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
        } else if (g->anon_parent && st->kind == TYPE_UNION) {
                /* a structure's nameless union member (TYPEDESC's, VARDESC's): its
                   functions take the structure, whose arms C reaches directly */
                snprintf(sr->cname, sizeof sr->cname, "%s", g->anon_parent->cname);
                char fname[sizeof sr->fname + 24];
                snprintf(fname, sizeof fname, "%s_u%zu", g->anon_parent->fname, g->anon_index);
                if (strlen(fname) >= sizeof sr->fname) {
                        idl_error(g->ctx, &st->loc, "stubs: '%s': name too long", fname);
                        g->errors++;
                        sr->state = 2;
                        return NULL;
                }
                memcpy(sr->fname, fname, strlen(fname) + 1);
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
                if (!a && g->anon_parent)
                        a = idl_attr_find(g->anon_attrs, "switch_type");
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
                struct idl_type *ft = idl_type_resolve(f->type);
                bool anon = !f->name && !is_union && ft && ft->kind == TYPE_UNION && !ft->name &&
                            idl_attr_find(f->attrs, "switch_is");
                if (!f->name && !anon) {
                        gen_error(g, &f->loc, "member", "?", "needs a name");
                        ok = false;
                        continue;
                }
                struct sreg *saved_parent = g->anon_parent;
                size_t saved_index = g->anon_index;
                struct idl_attr *saved_attrs = g->anon_attrs;
                g->anon_parent = anon ? sr : NULL;
                g->anon_index = i;
                g->anon_attrs = f->attrs;
                bool built = build_levels(g, f, false, L);
                g->anon_parent = saved_parent;
                g->anon_index = saved_index;
                g->anon_attrs = saved_attrs;
                if (!built) {
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
