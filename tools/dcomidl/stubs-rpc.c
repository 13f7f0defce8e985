/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end for RPC interfaces: client stubs (FILE_c.c, status form and
 * MIDL's raising form), server stubs with their dispatch tables and default manager EPVs
 * (FILE_s.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubs-internal.h"

/* int Foo_Method(handle_t h_, args... [, RET *ret_]) */
void print_client_proto(struct gen *g, const struct method *m) {
        fprintf(g->f, "int %s_%s(handle_t h_", g->ifc->name, m->fn->name);
        print_params(g, m, true);
        print_ret_param(g, m);
        fputc(')', g->f);
}

/*
 * MIDL's client procedure: RET Method(args...) over the status form (static then, in
 * FILE_c.c): a failed call raises its RPC_STATUS, as MIDL's stubs raise through
 * RpcRaiseException.  The binding is the method's handle_t parameter, else the ACF's
 * [implicit_handle] global; a method with neither raises RPC_S_INVALID_BINDING.
 */
static void write_midl_client(struct gen *g, const struct method *m) {
        const char *h = NULL;

        for (size_t i = 0; i < m->n; i++)
                if (m->ps[i].handle) {
                        h = m->ps[i].f->name;
                        break;
                }
        if (!h)
                h = idl_implicit_handle(g->ifc);        /* the ACF's global, or none */
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

/*
 * An [in, out] [ref] pointer to a conformant structure: the manager may shrink it, never
 * grow it -- the stub allocated what the client sent, and the client has room for no more.
 */
bool inout_conf_struct(const struct param *p) {
        return p->f->dir == DIR_INOUT && p->L.n >= 2 && p->L.l[0].kind == L_PTR && p->L.l[0].top &&
               p->L.l[1].kind == L_DATA && p->L.l[1].dk == D_STRUCT && p->L.l[1].sr &&
               p->L.l[1].sr->conformant;
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
                               .side = SIDE_SERVER, .pname = n, .checks = cf,
                               .alias = p->f->dir == DIR_IN};
                emit_pull(&e, 0, n, true, true, 1, M_ALLOC);
                if (p->top_array && !p->L.l[1].fixed)
                        out(g, 1, "alloc_%s = c_%s_1;\n", n, n);
                if (inout_conf_struct(p))
                        out(g, 1, "alloc_%s = %s;\n", n, conf_struct_count(g, p->L.l[1].sr, n));
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
const char *ctx_rundown(struct gen *g, const struct param *p) {
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
                /* a failure poisons the response and the walk goes on: what the object
                   returned in the later parameters is given up all the same (a poisoned
                   push releases interface pointers, the frees below run) */
                struct em e = {.g = g, .L = &p->L, .ndr = "out_", .prefix = "",
                               .side = SIDE_SERVER, .pname = n, .keep_going = true};
                if (inout_conf_struct(p)) {
                        /* never more than the stub allocated, whatever the manager set */
                        out(g, 1, "if (%s > alloc_%s) {\n", conf_struct_count(g, p->L.l[1].sr, n), n);
                        out(g, 2, "ndr_push_fail(out_, -EINVAL);\n");
                        out(g, 1, "} else {\n");
                        emit_push(&e, 0, n, true, true, 2);
                        out(g, 1, "}\n");
                } else if (p->top_array && !p->L.l[1].fixed) {
                        /* never more than the stub allocated, whatever became of the count */
                        out(g, 1, "if ((uint64_t)%s > alloc_%s) {\n", cap_expr(g, p), n);
                        out(g, 2, "ndr_push_fail(out_, -EINVAL);\n");
                        out(g, 1, "} else {\n");
                        emit_push(&e, 0, n, true, true, 2);
                        out(g, 1, "}\n");
                } else {
                        emit_push(&e, 0, n, true, true, 1);
                }
                /* an [out]-only [wire_marshal] value (BSTR, VARIANT) is the
                   implementation's, given up with the response, sent or not (exactly
                   once: pushing does not free it); an [in, out] one is freed with the call
                   (its pull registered that) */
                if (p->f->dir == DIR_OUT && p->L.n == 2 && p->L.l[0].kind == L_PTR &&
                    p->L.l[0].top && p->L.l[1].kind == L_DATA && p->L.l[1].dk == D_USER) {
                        out(g, 1, "{\n");
                        out(g, 2, "const struct ndr_user_marshal *um_ = ndr_user_marshal_find(\"%s\");\n",
                            p->L.l[1].uname);
                        out(g, 2, "if (um_ && um_->free && %s)\n", n);
                        out(g, 3, "um_->free(%s);\n", n);
                        out(g, 1, "}\n");
                }
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
                if (p->top_array || inout_conf_struct(p))
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
 * An [out] array (the stub's, in the arena) of [unique] or [ref] pointers to strings or
 * scalars -- IEnumString::Next's LPOLESTR *rgelt: the strings the implementation put
 * in the part that travels are its [out] referents too.  Full pointers may alias one
 * another; arrays of structures are emit_free's (server_free_out).
 */
static bool out_array_of_leaves(const struct param *p) {
        const struct levels *L = &p->L;
        return p->f->dir == DIR_OUT && !p->ctx && L->n == 4 && L->l[0].kind == L_PTR &&
               L->l[0].top && L->l[1].kind == L_ARRAY && L->l[2].kind == L_PTR &&
               !L->l[2].top && L->l[2].ptr != PTR_FULL &&
               (L->l[3].kind == L_STRING || (L->l[3].kind == L_DATA && L->l[3].dk == D_SCALAR));
}

/* The same array behind an [out] pointer the implementation sets (LPOLESTR **strs,
   size_is(, *pn)): the array is its, and so are the strings in it. */
static bool out_ptr_to_array_of_leaves(const struct param *p) {
        const struct levels *L = &p->L;
        return p->f->dir == DIR_OUT && !p->ctx && L->n == 5 && L->l[0].kind == L_PTR &&
               L->l[0].top && L->l[1].kind == L_PTR && !L->l[1].top &&
               L->l[1].ptr != PTR_FULL && L->l[2].kind == L_ARRAY && L->l[3].kind == L_PTR &&
               !L->l[3].top && L->l[3].ptr != PTR_FULL &&
               (L->l[4].kind == L_STRING || (L->l[4].kind == L_DATA && L->l[4].dk == D_SCALAR));
}

/*
 * The strings or scalars an [out] array a of pointers (level arr) holds, each freed
 * unless the call's arena owns it: the elements that traveled, within cnt (and bound:
 * what the stub allocated, when it did) -- of a range past the size, which the push
 * refused, those inside the array.
 */
static void free_leaf_elements(struct gen *g, const struct param *p, int arr, const char *a,
                               const char *cnt, const char *bound, const char *free_fn) {
        struct em e = {.g = g, .L = &p->L, .ndr = "out_", .prefix = "", .side = SIDE_SERVER,
                       .pname = p->f->name};
        char *first, *len;

        array_range(&e, &p->L.l[arr], &first, &len);
        out(g, 1, "if (%s) {\n", a);
        out(g, 2, "uint64_t f_ = %s, n_ = %s, c_ = %s;\n", first, len, cnt);
        if (bound)
                out(g, 2, "if (c_ > %s)\n                        c_ = %s;\n", bound, bound);
        out(g, 2, "if (f_ > c_)\n                        n_ = 0;\n");
        out(g, 2, "else if (n_ > c_ - f_)\n                        n_ = c_ - f_;\n");
        out(g, 2, "for (uint64_t i_ = 0; i_ < n_; i_++)\n");
        out(g, 3, "if (%s[f_ + i_] && !arena_owns(call->arena, %s[f_ + i_]))\n", a, a);
        out(g, 4, "%s((void *)%s[f_ + i_]);\n", free_fn, a);
        out(g, 1, "}\n");
}

/*
 * MIDL's contract for a program's manager routines: what they return through an [out]
 * pointer comes from midl_user_allocate (the program's), and the server stub frees it
 * with midl_user_free once marshaled -- and COM's for an object's methods, with
 * CoTaskMemAlloc / CoTaskMemFree (here the same allocator).  Done for the referent of
 * an [out] parameter's pointer (a string, a structure, an array), for the elements of
 * an [out] array of pointers to strings or scalars (out_array_of_leaves), and -- as
 * MIDL's NdrPointerFree walks the whole [out] graph -- for the pointers embedded in a
 * structure an [out] or [in, out] parameter reaches (by pointer, or in an array of
 * them: IStorage::Stat's STATSTG, IEnumSTATSTG::Next's array), deepest first, through
 * each structure's ndr_free_out_ walker (emit_free, in stubs-ndr.c, says what is walked
 * and what is not: full pointers, unions, interface pointers, [wire_marshal] members) --
 * except for a [call_as] method, whose IFoo_M_Stub (the application's) owns what it
 * hands back (src/oleaut: the descriptions' Release*, IDispatch's EXCEPINFO).
 * Memory of the call's arena (what the stub pulled, the runtime's own) is left alone,
 * also below a pointer the implementation replaced.
 */
static void server_free_out(struct gen *g, struct method *m) {
        const char *free_fn = m->object ? "com_stub_free" : "midl_user_free";

        /* in four rounds, the walks that read counts before any referent goes: the
           arrays of leaves, the walks (those holding arrays first), then the plain
           referents -- a count behind two pointers ([size_is(, **ppn)]) is one */
        for (int round = 0; round < 4; round++)
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                const struct levels *L = &p->L;
                const char *n = p->f->name;

                /* round 0: the leaves in an [out] array of pointers (round 3 frees an
                   array the implementation allocated, *strs) */
                if (round == 0 && out_array_of_leaves(p)) {
                        free_leaf_elements(g, p, 1, n, cap_expr(g, p),
                                           L->l[1].fixed ? NULL : fmt(g, "alloc_%s", n), free_fn);
                        continue;
                }
                if (round == 0 && out_ptr_to_array_of_leaves(p)) {
                        struct em e = {.g = g, .prefix = ""};
                        free_leaf_elements(g, p, 2, fmt(g, "(*%s)", n), count_expr64(&e, &L->l[2]),
                                           NULL, free_fn);
                        continue;
                }
                if (out_array_of_leaves(p))
                        continue;
                /* a [call_as] method's IFoo_M_Stub is the application's, and so is what
                   its object returned: typeinfo-ps.c hands the stub an arena copy of a
                   FUNCDESC whose referents the object's ReleaseFuncDesc frees later */
                if ((p->f->dir & DIR_OUT) && !p->ctx && !m->local && L->n >= 2 &&
                    L->l[0].kind == L_PTR && L->l[0].top && free_walk_needed(L, 0)) {
                        if (round != (levels_have_array(L) ? 1 : 2))
                                continue;
                        struct em e = {.g = g, .L = L, .ndr = "out_", .prefix = "",
                                       .side = SIDE_SERVER, .pname = n};
                        if (p->top_array && !L->l[1].fixed)
                                e.cap = fmt(g, "alloc_%s", n);
                        free_walk_mark(L, 0);
                        /* a structure the implementation grew (its push was refused):
                           not walked past what the stub allocated -- what it may hold
                           there is left (the call's arena, mostly) */
                        if (inout_conf_struct(p))
                                out(g, 1, "if (%s <= alloc_%s)\n", conf_struct_count(g, L->l[1].sr, n), n);
                        out(g, 1, "{\n");
                        out(g, 2, "struct arena *arena_ = call->arena;\n");
                        out(g, 2, "void (*free_)(void *) = %s;\n", free_fn);
                        out(g, 2, "unsigned depth_ = 0;\n");
                        out(g, 2, "bool done_ = true;\n\n");
                        out(g, 2, "(void)arena_;\n                (void)free_;\n                (void)depth_;\n                (void)done_;\n");
                        emit_free(&e, 0, n, 2);
                        out(g, 1, "}\n");
                        continue;
                }
                if (p->f->dir != DIR_OUT || p->ctx || L->n < 2 || L->l[0].kind != L_PTR ||
                    !L->l[0].top || L->l[1].kind != L_PTR || L->l[1].top)
                        continue;
                if (L->n > 2 && L->l[2].kind == L_DATA &&
                    (L->l[2].dk == D_IFACE || L->l[2].dk == D_USER))
                        continue;
                if (round != 3)
                        continue;
                out(g, 1, "if (*%s && !arena_owns(call->arena, *%s))\n", n, n);
                out(g, 2, "%s((void *)*%s);\n", free_fn, n);
        }
}

void write_server_method(struct gen *g, struct method *m) {
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
        /* object methods: COM's rule, the stub frees [out] referents with CoTaskMemFree
           (com_stub_free), whether the response could be built or not (the pushes above
           never return early) */
        if (m->object || !g->ctx->status_stubs)
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
        for (size_t i = 0; i < m->n; i++)
                if (inout_conf_struct(&m->ps[i]))
                        out(g, 1, "%s *t_%s_ = NULL;\n", m->ps[i].L.l[1].sr->cname,
                            m->ps[i].f->name);
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
        /* [in, out] conformant structures, now that nothing can fail: into the caller's
           memory, up to the array's end (a caller may have allocated FIELD_OFFSET(T,
           a[n]), less than sizeof (T) + n elements) */
        for (size_t i = 0; i < m->n; i++) {
                struct param *p = &m->ps[i];
                if (!inout_conf_struct(p))
                        continue;
                const struct sreg *sr = p->L.l[1].sr;
                const char *a = sr->members[sr->n_members - 1].f->name, *n = p->f->name;
                out(g, 1, "memcpy(%s, t_%s_, (size_t)((char *)t_%s_->%s - (char *)t_%s_) + (size_t)%s * sizeof t_%s_->%s[0]);\n",
                    n, n, n, a, n, conf_struct_count(g, sr, fmt(g, "t_%s_", n)), n, a);
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
                if (inout_conf_struct(p))
                        continue;       /* copied in only when all of it came */
                if (level_deferred(&p->L, 1))
                        out(g, ind, "if (%s)\n%*smemset(%s, 0, sizeof *%s);\n", p->f->name,
                            (ind + 1) * 8, "", p->f->name, p->f->name);
        }
}

/* The object method's proxy prototype (the vtable's signature). */
void print_proxy_proto(struct gen *g, const struct method *m, const char *mname) {
        print_decl(g->f, m->rtype, "");
        fprintf(g->f, " STDMETHODCALLTYPE %s_%s_Proxy(%s *This", g->ifc->name, mname,
                g->ifc->name);
        print_params(g, m, false);
        fputc(')', g->f);
}

void write_client_method(struct gen *g, struct method *m) {
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
        /* the response is copied into the arena: a small one stays on the stack */
        out(g, 1, "struct ndr_push in_;\n        struct ndr_pull out_;\n        struct arena arena_;\n"
                  "        unsigned char abuf_[512];\n        int rc_;\n");
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
        out(g, 1, "ndr_push_init(&in_, 0);\n        ndr_push_by_reference(&in_);\n");
        /* the marshaling context of its interface pointers: the binding's peer */
        out(g, 1, "ndr_push_to(&in_, %s);\n", m->object ? "((struct com_proxy *)This)->channel" : "h_");
        out(g, 1, "arena_init_buf(&arena_, abuf_, sizeof abuf_, NDR_CLIENT_CALL_MAX);\n");
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
void write_iid_consts(struct gen *g) {
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

void write_client(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
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
                if (idl_implicit_handle(g->ifc) && !g->ctx->status_stubs)
                        out(g, 0, "handle_t %s;       /* the ACF's [implicit_handle] */\n",
                            idl_implicit_handle(g->ifc));
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

void write_server(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
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
