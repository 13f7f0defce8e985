/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's AST as the phase-2 stub generator will see it: after idl_check(), names are
 * resolved, parameters carry their direction, pointers their kind (top-level [ref],
 * pointer_default below, attributes first), methods their opnum (inherited ones
 * counted, [call_as] sharing its [local] method's), enum constants their values and
 * union arms their case labels.  The text goes through the in-memory entry point.
 */
#include <stdio.h>

#include "idl.h"
#include "test.h"

static const char source[] =
        "[object, local, uuid(00000000-0000-0000-C000-000000000046)]\n"
        "interface IUnknown { HRESULT QueryInterface([in] REFIID riid, [out] void **ppv);\n"
        "                     ULONG AddRef(void); ULONG Release(void); }\n"
        "typedef enum { E_A = 3, E_B, E_C = E_B * 4 } E;\n"
        "typedef [switch_type(short)] union tagU { [case(1, 2)] LONG l; [default] ; } U;\n"
        "typedef union tagV switch (short k) u { case 7: double d; } V;\n"
        "[object, uuid(6f9c7d7e-1b2a-4c3d-8e4f-0a1b2c3d4e5f), version(1.2),\n"
        " pointer_default(ptr)]\n"
        "interface IThing : IUnknown {\n"
        "        HRESULT Get([in] short k, [out, switch_is(k)] U *u, [in, out, unique] LONG *io,\n"
        "                    [out, size_is(n)] LONG **list, [in] ULONG n);\n"
        "        [local] HRESULT Fast([in] void *p);\n"
        "        [call_as(Fast)] HRESULT RemoteFast([in] LONG x);\n"
        "        HRESULT Last(void);\n"
        "}\n";

static struct idl_iface *find_iface(struct idl_ctx *ctx, const char *name) {
        for (struct idl_stmt *s = ctx->stmts; s; s = s->next)
                if (s->kind == STMT_INTERFACE && strcmp(s->iface->name, name) == 0)
                        return s->iface;
        return NULL;
}

static struct idl_func *find_method(struct idl_iface *i, const char *name) {
        for (struct idl_stmt *s = i->stmts; s; s = s->next)
                if (s->kind == STMT_FUNC && strcmp(s->func->name, name) == 0)
                        return s->func;
        return NULL;
}

static struct idl_type *find_typedef(struct idl_ctx *ctx, const char *name) {
        struct idl_sym *s = idl_sym_find(ctx, name, 0);
        return s ? s->type : NULL;
}

static void parse(struct idl_ctx *ctx, const char *text) {
        idl_ctx_init(ctx);
        ctx->no_cpp_imports = true;
        idl_add_builtins(ctx);
        ASSERT_OK(idl_parse_buffer(ctx, text, strlen(text), "ast.idl", false));
        ASSERT_OK(idl_check(ctx));
}

TEST(interfaces_and_opnums) {
        struct idl_ctx ctx;
        parse(&ctx, source);

        struct idl_iface *t = find_iface(&ctx, "IThing");
        ASSERT_NOT_NULL(t);
        ASSERT_TRUE(t->is_object);
        ASSERT_TRUE(t->has_uuid);
        ASSERT_EQ(t->uuid.d1, 0x6f9c7d7e);
        ASSERT_EQ(t->uuid.d4[7], 0x5f);
        ASSERT_EQ(t->ver_major, 1);
        ASSERT_EQ(t->ver_minor, 2);
        ASSERT_EQ(t->pointer_default, PTR_FULL);
        ASSERT_TRUE(t->base == find_iface(&ctx, "IUnknown"));
        ASSERT_EQ(t->n_methods, 6);     /* 3 inherited + Get, Fast, Last */
        ASSERT_EQ(find_method(t, "Get")->opnum, 3);
        ASSERT_EQ(find_method(t, "Fast")->opnum, 4);
        ASSERT_EQ(find_method(t, "RemoteFast")->opnum, 4);
        ASSERT_EQ(find_method(t, "Last")->opnum, 5);
        idl_ctx_free(&ctx);
}

TEST(parameters) {
        struct idl_ctx ctx;
        parse(&ctx, source);

        struct idl_func *get = find_method(find_iface(&ctx, "IThing"), "Get");
        ASSERT_NOT_NULL(get);
        ASSERT_EQ(get->type->kind, TYPE_FUNCTION);
        ASSERT_STR_EQ(get->type->ref->name, "HRESULT");
        ASSERT_EQ(idl_type_resolve(get->type->ref)->basic, BASIC_LONG);

        struct idl_field *k = get->type->fields, *u = k->next, *io = u->next, *list = io->next,
                         *n = list->next;
        ASSERT_EQ(k->dir, DIR_IN);
        ASSERT_EQ(u->dir, DIR_OUT);
        ASSERT_EQ(io->dir, DIR_INOUT);
        ASSERT_EQ(n->dir, DIR_IN);
        ASSERT_NULL(n->next);

        /* top-level pointers are [ref] unless an attribute says otherwise */
        ASSERT_EQ(u->type->kind, TYPE_POINTER);
        ASSERT_EQ(u->type->ptr_kind, PTR_REF);
        ASSERT_EQ(io->type->ptr_kind, PTR_UNIQUE);
        /* below the top level: the interface's pointer_default */
        ASSERT_EQ(list->type->ptr_kind, PTR_REF);
        ASSERT_EQ(list->type->ref->kind, TYPE_POINTER);
        ASSERT_EQ(list->type->ref->ptr_kind, PTR_FULL);

        struct idl_attr *sw = idl_attr_find(u->attrs, "switch_is");
        ASSERT_NOT_NULL(sw);
        ASSERT_EQ(sw->n_args, 1);
        ASSERT_STR_EQ(sw->args[0]->str, "k");
        struct idl_attr *size = idl_attr_find(list->attrs, "size_is");
        ASSERT_NOT_NULL(size);
        ASSERT_EQ(size->args[0]->kind, EXPR_IDENT);

        /* the union behind the alias, with its arms' labels */
        struct idl_type *ut = idl_type_resolve(u->type->ref);
        ASSERT_EQ(ut->kind, TYPE_UNION);
        ASSERT_EQ(ut->fields->n_cases, 2);
        ASSERT_EQ(ut->fields->cases[1]->num, 2);
        ASSERT_TRUE(ut->fields->next->is_default);
        ASSERT_NULL(ut->fields->next->type);
        idl_ctx_free(&ctx);
}

TEST(types) {
        struct idl_ctx ctx;
        parse(&ctx, source);

        struct idl_type *e = idl_type_resolve(find_typedef(&ctx, "E"));
        ASSERT_EQ(e->kind, TYPE_ENUM);
        ASSERT_EQ(e->fields->ival, 3);
        ASSERT_EQ(e->fields->next->ival, 4);
        ASSERT_EQ(e->fields->next->next->ival, 16);

        struct idl_type *v = idl_type_resolve(find_typedef(&ctx, "V"));
        ASSERT_EQ(v->kind, TYPE_ENCAP_UNION);
        ASSERT_STR_EQ(v->switch_field->name, "k");
        ASSERT_STR_EQ(v->union_name, "u");
        ASSERT_EQ(v->fields->cases[0]->num, 7);

        /* builtins know their wire shape: HRESULT is a 32-bit long, REFIID a pointer */
        struct idl_type *hr = idl_type_resolve(find_typedef(&ctx, "HRESULT"));
        ASSERT_EQ(hr->kind, TYPE_BASIC);
        ASSERT_EQ(hr->basic, BASIC_LONG);
        ASSERT_EQ(idl_type_resolve(find_typedef(&ctx, "REFIID"))->kind, TYPE_POINTER);
        /* the string typedefs are wtypes.idl's: [string] pointers to characters */
        static const char *const strings[] = { "LPOLESTR", "LPCOLESTR", "LPSTR", "LPCSTR",
                                               "LPWSTR", "LPCWSTR", "PWSTR", "PCWSTR" };
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
                struct idl_type *t = find_typedef(&ctx, strings[i]);
                ASSERT_NOT_NULL(t);
                ASSERT_EQ(t->kind, TYPE_ALIAS);
                ASSERT_NOT_NULL(idl_attr_find(t->attrs, "string"));
                ASSERT_EQ(idl_type_resolve(t)->kind, TYPE_POINTER);
        }
        ASSERT_NULL(idl_attr_find(find_typedef(&ctx, "LPVOID")->attrs, "string"));
        idl_ctx_free(&ctx);
}

TEST(errors_are_located) {
        struct idl_ctx ctx;
        char *text = NULL;
        size_t len = 0;
        FILE *err = open_memstream(&text, &len);
        ASSERT_NOT_NULL(err);

        idl_ctx_init(&ctx);
        ctx.err = err;
        ctx.no_cpp_imports = true;
        idl_add_builtins(&ctx);
        const char *bad = "typedef struct { NOPE x; } S;\n";
        ASSERT_OK(idl_parse_buffer(&ctx, bad, strlen(bad), "bad.idl", false));
        ASSERT_ERRNO(idl_check(&ctx), -EINVAL);
        idl_ctx_free(&ctx);
        fclose(err);
        ASSERT_STR_EQ(text, "bad.idl:1:18: error: unknown type 'NOPE'\n");
        free(text);
}
