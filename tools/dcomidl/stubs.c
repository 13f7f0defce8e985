/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's stub back end: the files it writes (FILE_stub.h, and the shared prologue of
 * FILE_c.c, FILE_s.c and FILE_p.c), type serialization ([encode, decode]) and the entry
 * points of idl.h.  The model is in stubs-internal.h; the parts are split by job:
 * stubs-types.c (analysis, type registry), stubs-ndr.c (NDR emitters), stubs-method.c
 * (methods), stubs-rpc.c (client and server stubs), stubs-proxy.c (proxies and stubs of
 * object interfaces).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubs-internal.h"

/* --- files --------------------------------------------------------------------------------- */


/* An RPC interface with methods (one holding only types needs no stubs, nor a uuid). */
bool is_rpc_iface(struct idl_stmt *s) {
        if (s->kind != STMT_INTERFACE || s->imported || !s->iface ||
            s->iface->kind != IFACE_INTERFACE || s->iface->is_object || s->iface->is_local ||
            !s->iface->defined)
                return false;
        for (struct idl_stmt *x = s->iface->stmts; x; x = x->next)
                if (x->kind == STMT_FUNC && x->func && !idl_attr_find(x->func->attrs, "local"))
                        return true;
        return false;
}

void set_prefix(struct gen *g, struct idl_iface *ifc) {
        g->ifc = ifc;
        snprintf(g->prefix, sizeof g->prefix, "%s_v%u_%u", ifc->name, ifc->ver_major,
                 ifc->ver_minor);
}

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

void write_pickles(struct gen *g) {
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
                /* ORPCTHAT's functions inline: small, in every proxy and stub, and a
                   stub's (always empty) folds to a few stores there.  ORPCTHIS's stay
                   calls: inlined they would save ~30 instructions a call for a third
                   more proxy code. */
                struct sreg *that = orpc_type(g, "ORPCTHAT");
                if (that)
                        that->hot = true;
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

void write_guid(FILE *f, const struct idl_guid *u) {
        fprintf(f, "{ 0x%08x, 0x%04x, 0x%04x, { ", u->d1, u->d2, u->d3);
        for (int i = 0; i < 8; i++)
                fprintf(f, "0x%02x%s", u->d4[i], i < 7 ? ", " : " } }");
}

unsigned count_methods(struct idl_iface *ifc) {
        unsigned n = 0;
        FOR_METHODS(ifc, m)
        n++;
        return n;
}

/*
 * Generated code first goes to a buffer: the type functions it needed are only known
 * once every method was written, and they must come first.
 */
void write_prologue(struct gen *g, FILE *real, const char *idl_name, const char *stub_header,
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
