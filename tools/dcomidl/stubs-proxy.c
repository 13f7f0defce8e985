/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end for object interfaces: proxies whose vtables go through an ORPC
 * channel and stubs dispatching to an object's vtable (FILE_p.c), with ORPCTHIS and
 * ORPCTHAT first ([MS-DCOM] 2.2.13), and MIDL's FILE_ProxyFileInfo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubs-internal.h"

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

struct sreg *orpc_type(struct gen *g, const char *name) {
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

bool is_obj_iface(struct idl_stmt *s) {
        return s->kind == STMT_INTERFACE && !s->imported && s->iface &&
               s->iface->kind == IFACE_INTERFACE && s->iface->is_object && !s->iface->is_local &&
               s->iface->defined && s->iface->has_uuid && strcmp(s->iface->name, "IUnknown") != 0;
}

/* The [call_as(local)] method of an interface that is local's wire form, or NULL. */
struct idl_func *call_as_of(struct idl_iface *i, struct idl_func *local) {
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

bool is_local_fn(struct idl_func *fn) {
        return idl_attr_find(fn->attrs, "local") != NULL;
}

/* The root of an interface's base chain (IUnknown for a proper COM interface). */
static struct idl_iface *root_iface(struct idl_iface *i) {
        for (int d = 0; i && i->base && i->base != i && d < 100; d++)
                i = i->base;
        return i;
}

bool build_obj_iface(struct gen *g, struct idl_iface *ifc, struct method *m) {
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
void method_signature(struct gen *g, struct idl_func *fn, struct method *m) {
        (void)g;
        memset(m, 0, sizeof *m);
        m->fn = fn;
        m->rtype = fn->type->ref;
        for (struct idl_field *f = fn->type->fields; f && m->n < MAX_PARAMS; f = f->next)
                if (f->type && idl_type_resolve(f->type)->kind != TYPE_VOID)
                        m->ps[m->n++].f = f;
}

/* The body's end of a [local] method without [call_as] called through a proxy: E_NOTIMPL
   for an HRESULT, 0 for another value, nothing for void. */
static void not_remotable(struct gen *g, const struct method *m) {
        struct idl_type *r = m->rtype ? idl_type_resolve(m->rtype) : NULL;
        if (!r || r->kind == TYPE_VOID)
                out(g, 1, "return;         /* [local] without [call_as]: not remotable */\n}\n");
        else
                out(g, 1, "return %s;     /* [local] without [call_as]: not remotable */\n}\n",
                    is_basic(m->rtype, BASIC_LONG) ? "E_NOTIMPL" : "0");
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
                        not_remotable(g, m);
                        out(g, 0, "\n");
                        continue;
                }
                struct idl_type *rt = m->rtype ? idl_type_resolve(m->rtype) : NULL;
                bool is_void = !rt || rt->kind == TYPE_VOID;
                if (!unk) {
                        /* the base's proxy, from its own _p.c (or the application's, for a
                           [local] method with [call_as]: its own return type) */
                        print_decl(g->f, m->rtype, "");
                        fprintf(g->f, " STDMETHODCALLTYPE %s_%s_Proxy(%s *This", i->name, mname,
                                i->name);
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
                        out(g, 1, "%s%s_%s_Proxy((%s *)This", is_void ? "" : "return ", i->name,
                            mname, i->name);
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

void write_proxy(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
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
                                not_remotable(g, m);
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
