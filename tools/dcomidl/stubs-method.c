/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end, methods: a method's parameters read off its declaration and
 * checked (correlation attributes, handles, context handles), and their C prototypes.
 */
#include <stdio.h>
#include <string.h>

#include "stubs-internal.h"

/* --- methods ----------------------------------------------------------------------------- */


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

bool method_build(struct gen *g, struct idl_func *fn, struct method *m, bool object) {
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
                            l1->sr->conformant && f->dir == DIR_OUT) {
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [out] conformant structure needs a pointer to a "
                                          "pointer (its size is the server's)");
                                ok = false;
                        } else if (l1->kind == L_DATA && l1->dk == D_STRUCT && l1->sr &&
                                   l1->sr->conformant && !(l0->kind == L_PTR && l0->top)) {
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [in, out] conformant structure is passed by a "
                                          "[ref] pointer");
                                ok = false;
                        } else if (l1->kind == L_DATA && l1->dk == D_STRUCT && l1->sr &&
                                   l1->sr->conformant &&
                                   l1->sr->members[l1->sr->n_members - 1].l[0].varying) {
                                /* which elements come back is the server's: the caller's
                                   others would have to be kept, element by element */
                                gen_error(g, &f->loc, "parameter", f->name,
                                          "an [in, out] conformant varying structure is not "
                                          "supported");
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

bool size_names_out(struct method *m, const struct level *l) {
        return expr_names_out(m, l->size_is) || expr_names_out(m, l->max_is);
}

/* The outer (function-scope) count variables of a parameter: levels before any array. */
void declare_counts(struct gen *g, const struct param *p) {
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

void print_params(struct gen *g, const struct method *m, bool skip_handles) {
        for (size_t i = 0; i < m->n; i++) {
                if (skip_handles && m->ps[i].handle)
                        continue;
                fputs(", ", g->f);
                print_decl(g->f, m->ps[i].f->type, m->ps[i].f->name);
        }
}

void print_ret_param(struct gen *g, const struct method *m) {
        if (m->ret) {
                fputs(", ", g->f);
                print_decl(g->f, m->rtype, "*ret_");
        }
}
