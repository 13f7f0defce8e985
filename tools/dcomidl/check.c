/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's semantic pass.  Registers every name (typedefs, tags, consts, enum
 * constants, interfaces), resolves references, then checks what midl would reject:
 * unknown types, duplicate definitions and interface UUIDs, object interfaces without
 * a uuid or with an unknown base, opnums past 65535, size_is & co. on something that
 * is not a pointer or array, [out] parameters that are not pointers, and
 * non-encapsulated unions used without switch_is.  It also fills in what code
 * generators need: parameter directions, pointer kinds, enum values, opnums.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"

enum { SYM_TYPE = 0, SYM_VALUE = 1, SYM_IFACE = 2, SYM_TAG = 4, SYM_UUID = 5 };

struct check {
        struct idl_ctx *ctx;
        struct idl_iface *iface;        /* the interface being checked, or NULL */
};

/*
 * midl and widl accept a typedef repeated with the same meaning, and Wine's headers
 * repeat typedefs across files (inside cpp_quote("#if 0")); within one file a
 * repeated name is an error.
 */
static bool same_typedef(struct idl_type *a, struct idl_type *b) {
        if (!a || !b || a->kind != TYPE_ALIAS || b->kind != TYPE_ALIAS)
                return false;
        a = a->ref;
        b = b->ref;
        if (!a || !b)
                return false;
        if (a->kind == TYPE_BASIC && b->kind == TYPE_BASIC)
                return a->basic == b->basic && a->sign == b->sign;
        if (a->kind == TYPE_NAMEREF && b->kind == TYPE_NAMEREF && !a->ref && !b->ref)
                return strcmp(a->name, b->name) == 0;
        return false;
}

static void define(struct idl_ctx *ctx, const char *name, int kind, struct idl_type *type,
                   struct idl_stmt *stmt, const struct idl_loc *loc) {
        if (!name)
                return;
        struct idl_sym *s = idl_sym_find(ctx, name, kind);
        if (s) {
                if (s->type == type && type && (kind == SYM_TAG || kind == SYM_VALUE))
                        return;         /* the same definition reached twice */
                if (s->type && (s->type->builtin || same_typedef(s->type, type) ||
                                (kind == SYM_TYPE && type && s->type->kind == TYPE_ALIAS &&
                                 type->kind == TYPE_ALIAS && s->loc.file && loc->file &&
                                 strcmp(s->loc.file, loc->file) != 0))) {
                        s->type = type;
                        s->stmt = stmt;
                        s->loc = *loc;
                        return;
                }
                idl_error(ctx, loc, "redefinition of '%s'", name);
                if (s->loc.file)
                        idl_note(ctx, &s->loc, "previous definition of '%s' was here", name);
                return;
        }
        s = idl_sym_add(ctx, name, kind, loc);
        s->type = type;
        s->stmt = stmt;
}

/* Registers tags and enum constants defined anywhere inside type t. */
static void define_tags(struct idl_ctx *ctx, struct idl_type *t, int depth) {
        if (!t || depth > 200)
                return;
        switch (t->kind) {
        case TYPE_STRUCT:
        case TYPE_UNION:
        case TYPE_ENCAP_UNION:
        case TYPE_ENUM:
                if (!t->defined)
                        return;
                if (t->name)
                        define(ctx, t->name, SYM_TAG, t, NULL, &t->loc);
                for (struct idl_field *f = t->fields; f; f = f->next) {
                        if (t->kind == TYPE_ENUM)
                                define(ctx, f->name, SYM_VALUE, t, NULL, &f->loc);
                        else
                                define_tags(ctx, f->type, depth + 1);
                }
                if (t->switch_field)
                        define_tags(ctx, t->switch_field->type, depth + 1);
                break;
        case TYPE_POINTER:
        case TYPE_ARRAY:
        case TYPE_FUNCTION:
                define_tags(ctx, t->ref, depth + 1);
                if (t->kind == TYPE_FUNCTION)
                        for (struct idl_field *f = t->fields; f; f = f->next)
                                define_tags(ctx, f->type, depth + 1);
                break;
        default:
                break;
        }
}

static void define_stmts(struct idl_ctx *ctx, struct idl_stmt *s, int depth);

static void define_iface(struct idl_ctx *ctx, struct idl_stmt *s, struct idl_iface *i,
                         int depth) {
        if (i->kind == IFACE_INTERFACE || i->kind == IFACE_DISPINTERFACE) {
                struct idl_sym *sym = idl_sym_find(ctx, i->name, SYM_TYPE);
                if (sym && sym->type && sym->type->kind == TYPE_INTERFACE && sym->type->iface &&
                    !sym->type->iface->defined) {
                        sym->type = i->type;    /* the definition of a forward declaration */
                        sym->loc = i->loc;
                } else {
                        define(ctx, i->name, SYM_TYPE, i->type, s, &i->loc);
                }
        } else if (i->kind == IFACE_COCLASS) {
                struct idl_sym *sym = idl_sym_find(ctx, i->name, SYM_IFACE);
                if (sym && sym->type && sym->type->iface && !sym->type->iface->defined)
                        sym->type = i->type;
                else
                        define(ctx, i->name, SYM_IFACE, i->type, s, &i->loc);
        }
        if (i->kind != IFACE_COCLASS)
                define_stmts(ctx, i->stmts, depth + 1);
        for (struct idl_field *f = i->type->fields; f; f = f->next)
                define_tags(ctx, f->type, depth + 1);
}

static void define_stmts(struct idl_ctx *ctx, struct idl_stmt *s, int depth) {
        if (depth > 100)
                return;
        for (; s; s = s->next) {
                switch (s->kind) {
                case STMT_TYPEDEF:
                        define_tags(ctx, s->type, 0);
                        for (size_t i = 0; i < s->n_decls; i++) {
                                define(ctx, s->decls[i]->name, SYM_TYPE, s->decls[i], s,
                                       &s->decls[i]->loc);
                                define_tags(ctx, s->decls[i]->ref, 0);
                        }
                        break;
                case STMT_TYPE:
                        define_tags(ctx, s->type, 0);
                        break;
                case STMT_CONST:
                        define(ctx, s->name, SYM_VALUE, s->type, s, &s->loc);
                        break;
                case STMT_FUNC:
                        define_tags(ctx, s->func->type, 0);
                        break;
                case STMT_INTERFACE:
                        define_iface(ctx, s, s->iface, depth);
                        break;
                case STMT_IFACE_FWD:
                        if (s->text && strcmp(s->text, "coclass") == 0) {
                                if (!idl_sym_find(ctx, s->name, SYM_IFACE)) {
                                        struct idl_iface *i = idl_alloc(ctx, sizeof *i);
                                        i->kind = IFACE_COCLASS;
                                        i->name = s->name;
                                        i->loc = s->loc;
                                        i->type = idl_type_new(ctx, TYPE_COCLASS, &s->loc);
                                        i->type->name = s->name;
                                        i->type->iface = i;
                                        idl_sym_add(ctx, s->name, SYM_IFACE, &s->loc)->type = i->type;
                                }
                        } else if (!idl_sym_find(ctx, s->name, SYM_TYPE)) {
                                struct idl_iface *i = idl_alloc(ctx, sizeof *i);
                                i->kind = s->text ? IFACE_DISPINTERFACE : IFACE_INTERFACE;
                                i->name = s->name;
                                i->loc = s->loc;
                                i->imported = s->imported;
                                i->type = idl_type_new(ctx, TYPE_INTERFACE, &s->loc);
                                i->type->name = s->name;
                                i->type->iface = i;
                                i->type->imported = s->imported;
                                idl_sym_add(ctx, s->name, SYM_TYPE, &s->loc)->type = i->type;
                        }
                        break;
                default:
                        break;
                }
        }
}

/* --- resolution --------------------------------------------------------------------- */

static void resolve_expr(struct check *c, struct idl_expr *e, int depth);
static void fix_casts(struct check *c, struct idl_expr *e, int depth);

static void add_case(struct idl_ctx *ctx, struct idl_field *f, struct idl_expr *e) {
        struct idl_expr **v = idl_alloc(ctx, (f->n_cases + 1) * sizeof *v);
        for (size_t i = 0; i < f->n_cases; i++)
                v[i] = f->cases[i];
        v[f->n_cases++] = e;
        f->cases = v;
}

static void resolve_type(struct check *c, struct idl_type *t, int depth) {
        if (!t || depth > 200)
                return;
        if (t->kind == TYPE_NAMEREF) {
                if (!t->ref) {
                        struct idl_sym *s = idl_sym_find(c->ctx, t->name, SYM_TYPE);
                        if (!s || !s->type) {
                                idl_error(c->ctx, &t->loc, "unknown type '%s'", t->name);
                                t->kind = TYPE_VOID;    /* keep going without cascades */
                                return;
                        }
                        t->ref = s->type;
                        return;
                }
                resolve_type(c, t->ref, depth + 1);
                return;
        }
        if (t->checked)
                return;
        t->checked = true;
        switch (t->kind) {
        case TYPE_STRUCT:
        case TYPE_UNION:
        case TYPE_ENUM:
        case TYPE_ENCAP_UNION:
                if (!t->defined) {
                        struct idl_sym *s = t->name ? idl_sym_find(c->ctx, t->name, SYM_TAG) : NULL;
                        if (s && s->type != t && s->type->kind == t->kind)
                                t->ref = s->type;
                        return;
                }
                if (t->switch_field)
                        resolve_type(c, t->switch_field->type, depth + 1);
                for (struct idl_field *f = t->fields; f; f = f->next) {
                        resolve_type(c, f->type, depth + 1);
                        resolve_expr(c, f->value, depth + 1);
                        /* [case(1, 2)] / [default] on arms: the same as case labels */
                        for (struct idl_attr *a = f->attrs; a; a = a->next) {
                                for (size_t i = 0; i < a->n_args; i++)
                                        if (a->args[i]->kind != EXPR_TYPE)
                                                fix_casts(c, a->args[i], depth + 1);
                                if (strcmp(a->name, "case") == 0)
                                        for (size_t i = 0; i < a->n_args; i++)
                                                add_case(c->ctx, f, a->args[i]);
                                else if (strcmp(a->name, "default") == 0)
                                        f->is_default = true;
                        }
                }
                break;
        case TYPE_POINTER:
        case TYPE_ARRAY:
                resolve_type(c, t->ref, depth + 1);
                resolve_type(c, t->sa_elem, depth + 1);
                resolve_expr(c, t->size, depth + 1);
                break;
        case TYPE_FUNCTION:
                resolve_type(c, t->ref, depth + 1);
                for (struct idl_field *f = t->fields; f; f = f->next)
                        resolve_type(c, f->type, depth + 1);
                break;
        case TYPE_ALIAS:
                resolve_type(c, t->ref, depth + 1);
                break;
        default:
                break;
        }
}

static void resolve_expr(struct check *c, struct idl_expr *e, int depth) {
        if (!e || depth > 200)
                return;
        if (e->type)
                resolve_type(c, e->type, depth + 1);
        resolve_expr(c, e->a, depth + 1);
        if (!(e->kind == EXPR_BINARY && (e->op == '.' || e->op == 'P')))
                resolve_expr(c, e->b, depth + 1);
        resolve_expr(c, e->c, depth + 1);
}

/*
 * [C99] 6.5.4: `(NAME)*p`, `(NAME)**pp`, `(NAME)-x` and `(NAME)+x` are casts when NAME
 * is a type -- the grammar, which cannot tell names from types, read a product (a
 * difference, a sum) of a parenthesized name.  Rewritten where the operand is all the
 * right side (`(ULONG)*pn + 1` is; in `(ULONG)-n * 2` the cast would take only n: left
 * as read, and refused later as a name that is no parameter).
 */
static bool operand_only(const struct idl_expr *e) {
        return e->kind != EXPR_BINARY && e->kind != EXPR_TERNARY;
}

static void fix_casts(struct check *c, struct idl_expr *e, int depth) {
        if (!e || depth > 200)
                return;
        fix_casts(c, e->a, depth + 1);
        if (!(e->kind == EXPR_BINARY && (e->op == '.' || e->op == 'P')))
                fix_casts(c, e->b, depth + 1);
        fix_casts(c, e->c, depth + 1);
        if (e->kind != EXPR_BINARY || (e->op != '*' && e->op != '-' && e->op != '+') ||
            !e->a || e->a->kind != EXPR_PAREN || !e->a->a || e->a->a->kind != EXPR_IDENT ||
            !e->b || !operand_only(e->b) ||
            !idl_sym_find(c->ctx, e->a->a->str, SYM_TYPE))
                return;
        struct idl_type *t = idl_type_new(c->ctx, TYPE_NAMEREF, &e->a->a->loc);
        struct idl_expr *u = idl_alloc(c->ctx, sizeof *u);
        t->name = e->a->a->str;
        resolve_type(c, t, 0);
        *u = (struct idl_expr){ .kind = EXPR_UNARY, .op = e->op, .a = e->b, .loc = e->loc };
        e->kind = EXPR_CAST;
        e->op = 0;
        e->a = u;
        e->b = NULL;
        e->type = t;
}

static void resolve_attrs(struct check *c, struct idl_attr *a) {
        for (; a; a = a->next)
                for (size_t i = 0; i < a->n_args; i++) {
                        if (a->args[i]->kind == EXPR_TYPE)
                                resolve_type(c, a->args[i]->type, 0);
                        else
                                fix_casts(c, a->args[i], 0);
                }
}

/* --- constant expressions ----------------------------------------------------------- */

static bool eval(struct idl_ctx *ctx, const struct idl_expr *e, int64_t *ret, int depth) {
        int64_t a = 0, b = 0;
        if (!e || depth > 100)
                return false;
        switch (e->kind) {
        case EXPR_NUM:
                *ret = (int64_t)e->num;
                return true;
        case EXPR_CHAR:
                if (e->str[0] == '\'' && e->str[1] != '\\' && e->str[2] == '\'') {
                        *ret = (unsigned char)e->str[1];
                        return true;
                }
                return false;
        case EXPR_IDENT: {
                struct idl_sym *s = idl_sym_find(ctx, e->str, SYM_VALUE);
                if (!s)
                        return false;
                if (s->stmt && s->stmt->kind == STMT_CONST)
                        return eval(ctx, s->stmt->expr, ret, depth + 1);
                if (s->type && s->type->kind == TYPE_ENUM)
                        for (struct idl_field *f = s->type->fields; f; f = f->next)
                                if (f->ival_known && strcmp(f->name, e->str) == 0) {
                                        *ret = f->ival;
                                        return true;
                                }
                return false;
        }
        case EXPR_PAREN:
                return eval(ctx, e->a, ret, depth + 1);
        case EXPR_CAST:
                return eval(ctx, e->a, ret, depth + 1);
        case EXPR_UNARY:
                if (!eval(ctx, e->a, &a, depth + 1))
                        return false;
                switch (e->op) {
                case '-': *ret = (int64_t)(0 - (uint64_t)a); return true;
                case '+': *ret = a; return true;
                case '~': *ret = ~a; return true;
                case '!': *ret = !a; return true;
                default: return false;
                }
        case EXPR_TERNARY:
                if (!eval(ctx, e->a, &a, depth + 1))
                        return false;
                return eval(ctx, a ? e->b : e->c, ret, depth + 1);
        case EXPR_BINARY:
                if (e->op == '.' || e->op == 'P')
                        return false;
                if (!eval(ctx, e->a, &a, depth + 1) || !eval(ctx, e->b, &b, depth + 1))
                        return false;
                {
                        uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
                        switch (e->op) {
                        case '+': *ret = (int64_t)(ua + ub); return true;
                        case '-': *ret = (int64_t)(ua - ub); return true;
                        case '*': *ret = (int64_t)(ua * ub); return true;
                        case '/':
                        case '%':
                                if (b == 0 || (a == INT64_MIN && b == -1))
                                        return false;
                                *ret = e->op == '/' ? a / b : a % b;
                                return true;
                        case '&': *ret = a & b; return true;
                        case '|': *ret = a | b; return true;
                        case '^': *ret = a ^ b; return true;
                        case 'L': *ret = b >= 0 && b < 64 ? (int64_t)(ua << b) : 0; return true;
                        case 'R': *ret = b >= 0 && b < 64 ? a >> b : 0; return true;
                        case '<': *ret = a < b; return true;
                        case '>': *ret = a > b; return true;
                        case 'l': *ret = a <= b; return true;
                        case 'g': *ret = a >= b; return true;
                        case 'E': *ret = a == b; return true;
                        case 'N': *ret = a != b; return true;
                        case 'A': *ret = a && b; return true;
                        case 'O': *ret = a || b; return true;
                        default: return false;
                        }
                }
        default:
                return false;
        }
}

bool idl_eval(struct idl_ctx *ctx, const struct idl_expr *e, int64_t *ret) {
        return eval(ctx, e, ret, 0);
}

static void enum_values(struct idl_ctx *ctx, struct idl_type *t) {
        int64_t next = 0;
        for (struct idl_field *f = t->fields; f; f = f->next) {
                if (f->value) {
                        f->ival_known = idl_eval(ctx, f->value, &f->ival);
                        next = f->ival;
                } else {
                        f->ival = next;
                        f->ival_known = true;
                }
                if (f->ival_known)
                        next = (int64_t)((uint64_t)f->ival + 1);
        }
}

static void enum_values_in(struct idl_ctx *ctx, struct idl_type *t, int depth) {
        if (!t || depth > 200)
                return;
        if (t->kind == TYPE_ENUM && t->defined) {
                enum_values(ctx, t);
                return;
        }
        if ((t->kind == TYPE_STRUCT || t->kind == TYPE_UNION || t->kind == TYPE_ENCAP_UNION) &&
            t->defined)
                for (struct idl_field *f = t->fields; f; f = f->next)
                        enum_values_in(ctx, f->type, depth + 1);
        if (t->kind == TYPE_POINTER || t->kind == TYPE_ARRAY || t->kind == TYPE_ALIAS)
                enum_values_in(ctx, t->ref, depth + 1);
}

/* --- checks ------------------------------------------------------------------------- */

static const char *const array_attrs[] = { "size_is", "length_is", "max_is", "min_is",
                                           "first_is", "last_is" };

static bool is_discriminated_union(struct idl_type *u) {
        if (!u || u->kind != TYPE_UNION || !u->defined)
                return false;
        for (struct idl_field *f = u->fields; f; f = f->next)
                if (f->n_cases || f->is_default)
                        return true;
        return false;
}

/* The union a member or parameter of type t carries (through aliases and pointers). */
static struct idl_type *carried_union(struct idl_type *t, bool *has_switch_type) {
        for (int guard = 0; t && guard < 100; guard++) {
                if (t->kind == TYPE_ALIAS && idl_attr_find(t->attrs, "switch_type"))
                        *has_switch_type = true;
                struct idl_type *r = idl_type_resolve(t);
                if (r != t) {
                        if (t->kind == TYPE_ALIAS && idl_attr_find(t->attrs, "switch_type"))
                                *has_switch_type = true;
                        t = t->ref;
                        continue;
                }
                if (t->kind == TYPE_POINTER) {
                        t = t->ref;
                        continue;
                }
                return t->kind == TYPE_UNION ? t : NULL;
        }
        return NULL;
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

static void set_ptr_kinds(struct check *c, struct idl_type *t, struct idl_attr *attrs,
                          bool top_level, int depth) {
        enum idl_ptr_kind def = c->iface && c->iface->pointer_default ? c->iface->pointer_default
                                                                       : PTR_UNIQUE;
        for (; t && depth < 100; depth++) {
                if (t->kind == TYPE_POINTER) {
                        if (t->ptr_kind == PTR_NONE) {
                                enum idl_ptr_kind k = depth == 0 ? ptr_attr(attrs) : PTR_NONE;
                                if (k == PTR_NONE)
                                        k = top_level && depth == 0 ? PTR_REF : def;
                                t->ptr_kind = k;
                        }
                        t = t->ref;
                } else if (t->kind == TYPE_ARRAY) {
                        t = t->ref;
                } else {
                        return;
                }
        }
}

static void check_field(struct check *c, struct idl_field *f, bool is_param) {
        if (!f->type)
                return;
        struct idl_type *r = idl_type_resolve(f->type);
        for (size_t i = 0; i < sizeof array_attrs / sizeof *array_attrs; i++) {
                struct idl_attr *a = idl_attr_find(f->attrs, array_attrs[i]);
                if (a && r && r->kind != TYPE_POINTER && r->kind != TYPE_ARRAY) {
                        idl_error(c->ctx, &a->loc, "[%s] on '%s', which is neither a pointer nor an array",
                                  array_attrs[i], f->name ? f->name : "?");
                        break;
                }
        }
        bool has_switch_type = false;
        struct idl_type *u = carried_union(f->type, &has_switch_type);
        if (u && (is_discriminated_union(u) || has_switch_type) &&
            !idl_attr_find(f->attrs, "switch_is") && !idl_attr_find(f->attrs, "ignore"))
                idl_error(c->ctx, &f->loc, "non-encapsulated union '%s' needs [switch_is]",
                          f->name ? f->name : "?");
        if (is_param) {
                bool in = idl_attr_find(f->attrs, "in") != NULL;
                bool out = idl_attr_find(f->attrs, "out") != NULL;
                f->dir = out ? (in ? DIR_INOUT : DIR_OUT) : DIR_IN;
                if (out && r && r->kind != TYPE_POINTER && r->kind != TYPE_ARRAY)
                        idl_error(c->ctx, &f->loc, "[out] parameter '%s' is not a pointer",
                                  f->name ? f->name : "?");
        }
        set_ptr_kinds(c, f->type, f->attrs, is_param, 0);
}

static void check_type_fields(struct check *c, struct idl_type *t, int depth) {
        if (!t || depth > 200 || t->emitted)
                return;
        if ((t->kind == TYPE_STRUCT || t->kind == TYPE_UNION || t->kind == TYPE_ENCAP_UNION) &&
            t->defined) {
                t->emitted = true;      /* reset before the header is written */
                for (struct idl_field *f = t->fields; f; f = f->next) {
                        if (t->kind == TYPE_STRUCT)
                                check_field(c, f, false);
                        else
                                set_ptr_kinds(c, f->type, f->attrs, false, 0);
                        check_type_fields(c, f->type, depth + 1);
                }
        } else if (t->kind == TYPE_POINTER || t->kind == TYPE_ARRAY) {
                check_type_fields(c, t->ref, depth + 1);
        }
}

static void reset_marks(struct idl_type *t, int depth) {
        if (!t || depth > 200 || !t->emitted)
                return;
        t->emitted = false;
        for (struct idl_field *f = t->fields; f; f = f->next)
                reset_marks(f->type, depth + 1);
        reset_marks(t->ref, depth + 1);
}

static void check_func(struct check *c, struct idl_func *fn) {
        resolve_attrs(c, fn->attrs);
        for (struct idl_field *p = fn->type->fields; p; p = p->next) {
                resolve_attrs(c, p->attrs);
                check_field(c, p, true);
        }
        set_ptr_kinds(c, fn->type->ref, fn->attrs, false, 0);
}

static void iface_attrs(struct check *c, struct idl_iface *i) {
        for (struct idl_attr *a = i->attrs; a; a = a->next) {
                if (strcmp(a->name, "uuid") == 0 && a->n_args == 1 &&
                    (a->args[0]->kind == EXPR_UUID || a->args[0]->kind == EXPR_STRING)) {
                        if (!idl_parse_guid(a->args[0]->str, &i->uuid))
                                idl_error(c->ctx, &a->loc, "malformed uuid '%s'", a->args[0]->str);
                        else
                                i->has_uuid = true;
                        i->uuid_loc = a->args[0]->loc;
                } else if (strcmp(a->name, "uuid") == 0) {
                        idl_error(c->ctx, &a->loc, "malformed uuid attribute");
                } else if (strcmp(a->name, "version") == 0 && a->n_args == 1 && a->args[0]->str) {
                        char *end;
                        i->ver_major = (unsigned)strtoul(a->args[0]->str, &end, 10);
                        i->ver_minor = *end == '.' ? (unsigned)strtoul(end + 1, NULL, 10) : 0;
                } else if (strcmp(a->name, "object") == 0) {
                        i->is_object = true;
                } else if (strcmp(a->name, "local") == 0) {
                        i->is_local = true;
                } else if (strcmp(a->name, "pointer_default") == 0 && a->n_args == 1 &&
                           a->args[0]->kind == EXPR_IDENT) {
                        const char *k = a->args[0]->str;
                        i->pointer_default = strcmp(k, "ref") == 0 ? PTR_REF
                                           : strcmp(k, "unique") == 0 ? PTR_UNIQUE
                                           : strcmp(k, "ptr") == 0 ? PTR_FULL : PTR_NONE;
                }
        }
}

static unsigned count_methods(struct check *c, struct idl_iface *i, int depth) {
        if (!i || depth > 100)
                return 0;
        if (i->n_methods)
                return i->n_methods;
        unsigned base = i->base && i->base != i ? count_methods(c, i->base, depth + 1) : 0;
        unsigned n = base;
        for (struct idl_stmt *s = i->stmts; s; s = s->next)
                if (s->kind == STMT_FUNC && !idl_attr_find(s->func->attrs, "call_as")) {
                        s->func->opnum = n;
                        if (n < UINT32_MAX)
                                n++;
                }
        /* [call_as(m)]: the remote form of local method m takes m's opnum */
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                struct idl_attr *a = s->kind == STMT_FUNC ? idl_attr_find(s->func->attrs, "call_as")
                                                          : NULL;
                if (!a || a->n_args != 1 || a->args[0]->kind != EXPR_IDENT)
                        continue;
                for (struct idl_stmt *m = i->stmts; m; m = m->next)
                        if (m->kind == STMT_FUNC && m->func->name &&
                            strcmp(m->func->name, a->args[0]->str) == 0)
                                s->func->opnum = m->func->opnum;
        }
        i->n_methods = n;
        return n;
}

static void check_stmts(struct check *c, struct idl_stmt *s, int depth);

static void check_iface(struct check *c, struct idl_iface *i, int depth) {
        struct idl_iface *saved = c->iface;
        iface_attrs(c, i);
        resolve_attrs(c, i->attrs);
        if (i->kind == IFACE_INTERFACE && i->is_object && !i->is_local && !i->has_uuid)
                idl_error(c->ctx, &i->loc, "object interface '%s' has no uuid", i->name);
        if ((i->kind == IFACE_COCLASS || i->kind == IFACE_LIBRARY ||
             i->kind == IFACE_DISPINTERFACE) && !i->has_uuid)
                idl_error(c->ctx, &i->loc, "%s '%s' has no uuid",
                          i->kind == IFACE_COCLASS ? "coclass" :
                          i->kind == IFACE_LIBRARY ? "library" : "dispinterface", i->name);
        if (i->has_uuid && i->kind != IFACE_LIBRARY) {
                char key[40];
                snprintf(key, sizeof key, "%08x%04x%04x%02x%02x%02x%02x%02x%02x%02x%02x",
                         i->uuid.d1, i->uuid.d2, i->uuid.d3, i->uuid.d4[0], i->uuid.d4[1],
                         i->uuid.d4[2], i->uuid.d4[3], i->uuid.d4[4], i->uuid.d4[5],
                         i->uuid.d4[6], i->uuid.d4[7]);
                struct idl_sym *s = idl_sym_find(c->ctx, key, SYM_UUID);
                if (s) {
                        idl_error(c->ctx, &i->uuid_loc, "'%s' reuses the uuid of '%s'", i->name,
                                  s->type && s->type->iface ? s->type->iface->name : "?");
                        idl_note(c->ctx, &s->loc, "'%s' was declared here",
                                 s->type && s->type->iface ? s->type->iface->name : "?");
                } else {
                        idl_sym_add(c->ctx, idl_strdup(c->ctx, key), SYM_UUID, &i->uuid_loc)->type =
                                i->type;
                }
        }
        if (i->base_name) {
                struct idl_sym *s = idl_sym_find(c->ctx, i->base_name, SYM_TYPE);
                struct idl_type *bt = s ? s->type : NULL;
                if (!bt || bt->kind != TYPE_INTERFACE || !bt->iface || !bt->iface->defined)
                        idl_error(c->ctx, &i->base_loc,
                                  "base interface '%s' of '%s' is not defined", i->base_name,
                                  i->name);
                else
                        i->base = bt->iface;
        } else if (i->kind == IFACE_DISPINTERFACE) {
                struct idl_sym *s = idl_sym_find(c->ctx, "IDispatch", SYM_TYPE);
                if (s && s->type && s->type->kind == TYPE_INTERFACE && s->type->iface &&
                    s->type->iface->defined)
                        i->base = s->type->iface;
        }
        c->iface = i;
        if (i->kind == IFACE_DISPINTERFACE)
                for (struct idl_field *f = i->type->fields; f; f = f->next)
                        resolve_type(c, f->type, 0);
        check_stmts(c, i->stmts, depth + 1);
        c->iface = saved;
}

static void check_stmts(struct check *c, struct idl_stmt *s, int depth) {
        if (depth > 100)
                return;
        for (; s; s = s->next) {
                resolve_attrs(c, s->attrs);
                switch (s->kind) {
                case STMT_TYPEDEF:
                        for (size_t i = 0; i < s->n_decls; i++) {
                                resolve_type(c, s->decls[i], 0);
                                enum_values_in(c->ctx, s->decls[i], 0);
                                check_type_fields(c, s->decls[i]->ref, 0);
                                set_ptr_kinds(c, s->decls[i]->ref, s->attrs, false, 0);
                        }
                        resolve_type(c, s->type, 0);
                        break;
                case STMT_TYPE:
                        resolve_type(c, s->type, 0);
                        enum_values_in(c->ctx, s->type, 0);
                        check_type_fields(c, s->type, 0);
                        break;
                case STMT_CONST:
                case STMT_EXTERN:
                        resolve_type(c, s->type, 0);
                        resolve_expr(c, s->expr, 0);
                        break;
                case STMT_FUNC:
                        resolve_type(c, s->func->type, 0);
                        enum_values_in(c->ctx, s->func->type, 0);
                        check_func(c, s->func);
                        break;
                case STMT_INTERFACE:
                        check_iface(c, s->iface, depth);
                        break;
                case STMT_IFACE_FWD:
                        if (c->iface && c->iface->kind == IFACE_COCLASS &&
                            !idl_sym_find(c->ctx, s->name, SYM_TYPE))
                                idl_error(c->ctx, &s->loc, "unknown interface '%s'", s->name);
                        break;
                default:
                        break;
                }
        }
}

static void count_stmts(struct check *c, struct idl_stmt *s, int depth) {
        for (; s && depth < 100; s = s->next) {
                if (s->kind != STMT_INTERFACE)
                        continue;
                struct idl_iface *i = s->iface;
                if (i->kind == IFACE_INTERFACE) {
                        count_methods(c, i, 0);
                        if (i->n_methods > 65535)
                                idl_error(c->ctx, &i->loc,
                                          "interface '%s' has %u methods including inherited ones; "
                                          "opnums stop at 65535", i->name, i->n_methods);
                }
                if (i->kind == IFACE_LIBRARY || i->kind == IFACE_MODULE)
                        count_stmts(c, i->stmts, depth + 1);
        }
}

static void reset_stmts(struct idl_stmt *s, int depth) {
        for (; s && depth < 100; s = s->next) {
                for (size_t i = 0; i < s->n_decls; i++)
                        reset_marks(s->decls[i], 0);
                reset_marks(s->type, 0);
                if (s->func)
                        reset_marks(s->func->type, 0);
                if (s->iface)
                        reset_stmts(s->iface->stmts, depth + 1);
        }
}

int idl_check(struct idl_ctx *ctx) {
        struct check c = { .ctx = ctx };
        define_stmts(ctx, ctx->stmts, 0);
        check_stmts(&c, ctx->stmts, 0);
        count_stmts(&c, ctx->stmts, 0);
        reset_stmts(ctx->stmts, 0);
        return ctx->errors ? -EINVAL : 0;
}
