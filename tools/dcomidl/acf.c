/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Application configuration files (MIDL's ACF): FILE.acf next to FILE.idl (or --acf)
 * changes how stubs bind and what they generate without touching the IDL -- the
 * Windows SDK's samples use one for their binding handle.  What dcomidl applies:
 *
 *   [implicit_handle(handle_t NAME)] interface I { }
 *        a method without a handle_t parameter binds through the global NAME, which
 *        FILE_c.c defines and FILE.h declares (the client sets it; the server's manager
 *        routines then have no handle parameter);
 *   [explicit_handle] on the interface, or on one operation
 *        a method without a binding handle gets `handle_t IDL_handle` as its first
 *        parameter, on both sides;
 *   typedef [encode, decode] NAME;
 *        type serialization of a typedef, as the attributes in the IDL would;
 *   [code] and [optimize(...)]: accepted, nothing to do (MIDL's defaults and its format
 *        string tuning).
 *
 * Refused with an error naming it (never silently ignored): [auto_handle] (it needs the
 * RPC name service, which neither Linux nor today's Windows has), [nocode],
 * [comm_status] / [fault_status], [represent_as], [allocate], interface-wide [encode] /
 * [decode], `include`, and anything else.  The grammar is MIDL's ACF subset above:
 *   acf  := ['[' attrs ']'] 'interface' NAME '{' { item } '}' [';']
 *   item := 'typedef' ['[' attrs ']'] NAME {',' NAME} ';'
 *         | ['[' attrs ']'] NAME '(' [param {',' param}] ')' ';'
 *   param := ['[' attrs ']'] NAME
 * with C and C++ comments; preprocessor lines are skipped (the ACF is not preprocessed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"

#define ACF_MAX_SIZE (1u << 20)
#define ACF_MAX_ATTRS 16

struct acf {
        struct idl_ctx *ctx;
        const char *file;
        const char *p, *end;
        const char *bol;                /* where the current line begins */
        bool blank;                     /* nothing but blanks on this line so far */
        int line;
        char tok[256];                  /* the current token: identifier, punctuator */
        bool ident;
        struct idl_loc loc;
        bool failed;
};

struct acf_attr {
        char name[64];
        char arg[2][128];               /* up to two words inside the parentheses */
        unsigned n_args;
        bool parens;
        struct idl_loc loc;
};

static void acf_error(struct acf *a, const struct idl_loc *loc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void acf_error(struct acf *a, const struct idl_loc *loc, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        idl_error(a->ctx, loc ? loc : &a->loc, "%s", msg);
        a->failed = true;
}

static void skip_space(struct acf *a) {
        while (a->p < a->end) {
                char c = *a->p;
                if (c == '\n') {
                        a->line++;
                        a->p++;
                        a->bol = a->p;
                        a->blank = true;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                        a->p++;
                } else if (a->blank && c == '#') {
                        while (a->p < a->end && *a->p != '\n')
                                a->p++;
                } else if (c == '/' && a->p + 1 < a->end && a->p[1] == '/') {
                        while (a->p < a->end && *a->p != '\n')
                                a->p++;
                } else if (c == '/' && a->p + 1 < a->end && a->p[1] == '*') {
                        a->blank = false;
                        a->p += 2;
                        while (a->p + 1 < a->end && !(a->p[0] == '*' && a->p[1] == '/')) {
                                if (*a->p == '\n') {
                                        a->line++;
                                        a->bol = a->p + 1;
                                }
                                a->p++;
                        }
                        if (a->p + 1 >= a->end) {
                                a->p = a->end;
                                acf_error(a, NULL, "acf: a comment is not closed");
                                return;
                        }
                        a->p += 2;
                } else {
                        return;
                }
        }
}

static bool is_ident_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (!first && c >= '0' && c <= '9');
}

/* The next token into a->tok; "" at the end. */
static void next(struct acf *a) {
        skip_space(a);
        a->loc = (struct idl_loc){ a->file, a->line, (int)(a->p - a->bol) + 1 };
        a->tok[0] = 0;
        a->ident = false;
        if (a->p >= a->end)
                return;
        a->blank = false;
        if (is_ident_char(*a->p, true)) {
                size_t n = 0;
                while (a->p < a->end && is_ident_char(*a->p, false)) {
                        if (n + 1 < sizeof a->tok)
                                a->tok[n++] = *a->p;
                        else if (!a->failed)
                                acf_error(a, NULL, "acf: name too long");
                        a->p++;
                }
                a->tok[n] = 0;
                a->ident = true;
                return;
        }
        if (*a->p == '"') {
                /* a string (optimize's): its text behind one '"', so that it never reads as
                   punctuation, a keyword or the end */
                size_t n = 0;
                a->tok[n++] = '"';
                a->p++;
                while (a->p < a->end && *a->p != '"' && *a->p != '\n') {
                        if (n + 1 < sizeof a->tok)
                                a->tok[n++] = *a->p;
                        a->p++;
                }
                if (a->p < a->end && *a->p == '"')
                        a->p++;
                else
                        acf_error(a, NULL, "acf: unterminated string");
                a->tok[n] = 0;
                return;
        }
        a->tok[0] = *a->p++;
        a->tok[1] = 0;
}

static bool is(const struct acf *a, const char *s) {
        return strcmp(a->tok, s) == 0;
}

static bool expect(struct acf *a, const char *s) {
        if (!is(a, s)) {
                acf_error(a, NULL, "acf: expected '%s', found '%s'", s, a->tok[0] ? a->tok : "end of file");
                return false;
        }
        next(a);
        return true;
}

/* '[' attr {',' attr} ']' (the current token is '['); *n attributes into at. */
static bool attrs(struct acf *a, struct acf_attr *at, unsigned *n) {
        *n = 0;
        next(a);
        for (;;) {
                if (!a->ident) {
                        acf_error(a, NULL, "acf: expected an attribute, found '%s'", a->tok);
                        return false;
                }
                if (*n >= ACF_MAX_ATTRS) {
                        acf_error(a, NULL, "acf: more than %d attributes", ACF_MAX_ATTRS);
                        return false;
                }
                struct acf_attr *x = &at[(*n)++];
                memset(x, 0, sizeof *x);
                snprintf(x->name, sizeof x->name, "%.63s", a->tok);
                x->loc = a->loc;
                next(a);
                if (is(a, "(")) {
                        /* words and strings up to the matching ')' (no nesting needed) */
                        x->parens = true;
                        next(a);
                        while (!is(a, ")")) {
                                if (!a->tok[0] || is(a, ";") || is(a, "]")) {
                                        acf_error(a, &x->loc, "acf: '%s(' is not closed", x->name);
                                        return false;
                                }
                                if (!is(a, ",")) {
                                        if (x->n_args < 2)
                                                snprintf(x->arg[x->n_args], sizeof x->arg[0], "%.127s",
                                                         a->tok);
                                        x->n_args++;
                                }
                                next(a);
                        }
                        next(a);
                }
                if (is(a, "]")) {
                        next(a);
                        return true;
                }
                if (!expect(a, ","))
                        return false;
        }
}

/* --- applying it ----------------------------------------------------------------------------- */

static struct idl_attr *mkattr(struct acf *a, const struct acf_attr *x) {
        struct idl_attr *r = idl_alloc(a->ctx, sizeof *r);
        r->name = idl_strdup(a->ctx, x->name);
        r->loc = x->loc;
        r->has_parens = x->parens;
        if (x->n_args) {
                r->args = idl_alloc(a->ctx, sizeof *r->args);
                r->args[0] = idl_alloc(a->ctx, sizeof **r->args);
                r->args[0]->kind = EXPR_IDENT;
                /* implicit_handle(handle_t NAME): the name; otherwise the one word */
                r->args[0]->str = idl_strdup(a->ctx, x->arg[x->n_args > 1 ? 1 : 0]);
                r->args[0]->loc = x->loc;
                r->n_args = 1;
        }
        return r;
}

static void add_attr(struct acf *a, struct idl_attr **list, const struct acf_attr *x) {
        struct idl_attr *r = mkattr(a, x);
        r->next = *list;
        *list = r;
}

static bool refuse(struct acf *a, const struct acf_attr *x, const char *where) {
        static const struct {
                const char *name, *why;
        } known[] = {
                { "auto_handle", "it needs the RPC name service; use implicit_handle or "
                                 "explicit_handle" },
                { "nocode", "every stub is generated" },
                { "comm_status", "failures are raised (RpcTryExcept), or returned by "
                                 "--status-stubs" },
                { "fault_status", "failures are raised (RpcTryExcept), or returned by "
                                  "--status-stubs" },
                { "represent_as", "not supported" },
                { "allocate", "not supported" },
                { "notify", "not supported" },
                { "async", "asynchronous RPC is not supported" },
                { "context_handle_noserialize", "not supported" },
                { "context_handle_serialize", "not supported" },
                { "strict_context_handle", "not supported" },
                { "enable_allocate", "not supported" },
                { "cs_char", "not supported" },
        };
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
                if (strcmp(x->name, known[i].name) == 0) {
                        acf_error(a, &x->loc, "acf: [%s] on %s is not supported by dcomidl: %s",
                                  x->name, where, known[i].why);
                        return false;
                }
        acf_error(a, &x->loc, "acf: unknown attribute [%s] on %s", x->name, where);
        return false;
}

static struct idl_iface *find_iface(struct idl_ctx *ctx, const char *name) {
        for (struct idl_stmt *s = ctx->stmts; s; s = s->next)
                if (s->kind == STMT_INTERFACE && !s->imported && s->iface && s->iface->name &&
                    strcmp(s->iface->name, name) == 0)
                        return s->iface;
        return NULL;
}

static struct idl_func *find_func(struct idl_iface *i, const char *name) {
        for (struct idl_stmt *s = i->stmts; s; s = s->next)
                if (s->kind == STMT_FUNC && s->func && s->func->name &&
                    strcmp(s->func->name, name) == 0)
                        return s->func;
        return NULL;
}

static struct idl_type *find_typedef(struct idl_ctx *ctx, const char *name) {
        for (struct idl_stmt *s = ctx->stmts; s; s = s->next) {
                if (s->kind != STMT_TYPEDEF && s->kind != STMT_INTERFACE)
                        continue;
                struct idl_stmt *body = s->kind == STMT_INTERFACE && s->iface ? s->iface->stmts : s;
                for (struct idl_stmt *x = body; x; x = s->kind == STMT_INTERFACE ? x->next : NULL) {
                        if (x->kind != STMT_TYPEDEF)
                                continue;
                        for (size_t k = 0; k < x->n_decls; k++)
                                if (x->decls[k] && x->decls[k]->kind == TYPE_ALIAS &&
                                    x->decls[k]->name && strcmp(x->decls[k]->name, name) == 0)
                                        return x->decls[k];
                }
        }
        return NULL;
}

/* Whether type t (maybe still a name: the AST is not resolved yet) is handle_t, or has
   [context_handle], through typedefs. */
static bool type_is(struct idl_ctx *ctx, struct idl_type *t, bool ctx_handle) {
        for (int depth = 0; t && depth < 32; depth++) {
                if (ctx_handle && idl_attr_find(t->attrs, "context_handle"))
                        return true;
                if (!ctx_handle && ((t->kind == TYPE_BASIC && t->basic == BASIC_HANDLE) ||
                                    (t->name && strcmp(t->name, "handle_t") == 0)))
                        return true;
                if (t->kind == TYPE_ALIAS || t->kind == TYPE_POINTER)
                        t = t->ref;
                else if (t->kind == TYPE_NAMEREF && t->name)
                        t = find_typedef(ctx, t->name);
                else
                        return false;
        }
        return false;
}

/* Whether a parameter list already carries a binding (MIDL's explicit binding handles): a
   handle_t parameter, or a first parameter that is an [in] context handle (an [out]-only
   one binds nothing). */
static bool has_binding(struct idl_ctx *ctx, struct idl_func *fn) {
        struct idl_field *p = fn->type ? fn->type->fields : NULL;
        if (p && idl_attr_find(p->attrs, "in") &&
            (idl_attr_find(p->attrs, "context_handle") || type_is(ctx, p->type, true)))
                return true;
        for (; p; p = p->next)
                if (type_is(ctx, p->type, false))
                        return true;
        return false;
}

/* [explicit_handle]: `[in] handle_t IDL_handle` first. */
static void add_explicit_handle(struct acf *a, struct idl_func *fn, const struct idl_loc *loc) {
        if (!fn->type || fn->type->kind != TYPE_FUNCTION || has_binding(a->ctx, fn))
                return;
        struct idl_field *h = idl_alloc(a->ctx, sizeof *h);
        struct idl_type *t = idl_type_new(a->ctx, TYPE_BASIC, loc);
        struct idl_attr *in = idl_alloc(a->ctx, sizeof *in);
        t->basic = BASIC_HANDLE;
        in->name = "in";
        in->loc = *loc;
        h->name = "IDL_handle";
        h->type = t;
        h->attrs = in;
        h->loc = *loc;
        h->next = fn->type->fields;
        fn->type->fields = h;
}

static void interface_attrs(struct acf *a, struct idl_iface *i, const struct acf_attr *at,
                            unsigned n, bool *explicit_all) {
        for (unsigned k = 0; k < n; k++) {
                const struct acf_attr *x = &at[k];
                if (strcmp(x->name, "implicit_handle") == 0) {
                        if (x->n_args != 2 || strcmp(x->arg[0], "handle_t") != 0 ||
                            !is_ident_char(x->arg[1][0], true)) {
                                acf_error(a, &x->loc, "acf: implicit_handle takes `handle_t NAME` "
                                                      "(generic handles are not supported)");
                                continue;
                        }
                        if (i->is_object) {
                                acf_error(a, &x->loc, "acf: [implicit_handle] on the object "
                                                      "interface %s", i->name);
                                continue;
                        }
                        add_attr(a, &i->attrs, x);
                } else if (strcmp(x->name, "explicit_handle") == 0) {
                        if (i->is_object || x->parens)
                                acf_error(a, &x->loc, "acf: [explicit_handle] takes no arguments "
                                                      "and binds RPC interfaces only");
                        else
                                *explicit_all = true;
                } else if (strcmp(x->name, "code") == 0 || strcmp(x->name, "optimize") == 0) {
                        /* the default, and MIDL's format-string tuning: nothing to do */
                } else {
                        refuse(a, x, "an interface");
                }
        }
}

int idl_apply_acf(struct idl_ctx *ctx, const char *path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                int e = errno;
                fprintf(ctx->err ? ctx->err : stderr, "dcomidl: cannot read %s: %s\n", path,
                        strerror(e));
                ctx->errors++;
                return -e;
        }
        char *data = malloc(ACF_MAX_SIZE + 1);
        size_t len = data ? fread(data, 1, ACF_MAX_SIZE + 1, f) : 0;
        fclose(f);
        if (!data)
                return -ENOMEM;
        idl_add_dep(ctx, path);
        int r = idl_apply_acf_buffer(ctx, data, len, path);
        free(data);
        return r;
}

int idl_apply_acf_buffer(struct idl_ctx *ctx, const char *data, size_t len, const char *name) {
        struct acf a = { .ctx = ctx, .file = idl_strdup(ctx, name), .p = data, .end = data + len,
                         .bol = data, .blank = true, .line = 1 };
        struct acf_attr at[ACF_MAX_ATTRS];
        unsigned n = 0;
        bool explicit_all = false;
        struct idl_iface *iface = NULL;

        if (len > ACF_MAX_SIZE) {
                acf_error(&a, NULL, "acf: larger than %u bytes", ACF_MAX_SIZE);
                goto done;
        }
        next(&a);
        if (is(&a, "include") || is(&a, "import")) {
                acf_error(&a, NULL, "acf: '%s' is not supported by dcomidl (include the header "
                                    "from your own sources)", a.tok);
                goto done;
        }
        if (is(&a, "[") && !attrs(&a, at, &n))
                goto done;
        if (!expect(&a, "interface"))
                goto done;
        if (!a.ident) {
                acf_error(&a, NULL, "acf: expected the interface's name");
                goto done;
        }
        iface = find_iface(ctx, a.tok);
        if (!iface) {
                acf_error(&a, NULL, "acf: the IDL defines no interface '%s'", a.tok);
                goto done;
        }
        interface_attrs(&a, iface, at, n, &explicit_all);
        next(&a);
        if (!expect(&a, "{"))
                goto done;
        while (!a.failed && !is(&a, "}")) {
                if (!a.tok[0]) {
                        acf_error(&a, NULL, "acf: the interface's '{' is not closed");
                        break;
                }
                n = 0;
                if (is(&a, "typedef")) {
                        next(&a);
                        if (is(&a, "[") && !attrs(&a, at, &n))
                                break;
                        for (;;) {
                                struct idl_type *t = a.ident ? find_typedef(ctx, a.tok) : NULL;
                                if (!t) {
                                        acf_error(&a, NULL, "acf: the IDL defines no typedef '%s'",
                                                  a.tok);
                                        break;
                                }
                                for (unsigned k = 0; k < n; k++) {
                                        if (strcmp(at[k].name, "encode") == 0 ||
                                            strcmp(at[k].name, "decode") == 0)
                                                add_attr(&a, &t->attrs, &at[k]);
                                        else
                                                refuse(&a, &at[k], "a typedef");
                                }
                                next(&a);
                                if (!is(&a, ","))
                                        break;
                                next(&a);
                        }
                        if (!a.failed)
                                expect(&a, ";");
                        continue;
                }
                if (is(&a, "[") && !attrs(&a, at, &n))
                        break;
                struct idl_func *fn = a.ident ? find_func(iface, a.tok) : NULL;
                if (!fn) {
                        acf_error(&a, NULL, "acf: interface %s has no operation '%s'", iface->name,
                                  a.tok);
                        break;
                }
                struct idl_loc at_fn = a.loc;
                for (unsigned k = 0; k < n; k++) {
                        if (strcmp(at[k].name, "explicit_handle") == 0 && !iface->is_object &&
                            !at[k].parens)
                                add_explicit_handle(&a, fn, &at_fn);
                        else if (strcmp(at[k].name, "explicit_handle") == 0)
                                acf_error(&a, &at[k].loc, "acf: [explicit_handle] takes no "
                                                          "arguments and binds RPC interfaces only");
                        else if (strcmp(at[k].name, "code") != 0 &&
                                 strcmp(at[k].name, "optimize") != 0)
                                refuse(&a, &at[k], "an operation");
                }
                next(&a);
                if (!expect(&a, "("))
                        break;
                /* parameters: only attributes MIDL allows here, all of which we refuse */
                while (!a.failed && !is(&a, ")")) {
                        if (is(&a, "[")) {
                                if (!attrs(&a, at, &n))
                                        break;
                                for (unsigned k = 0; k < n; k++)
                                        refuse(&a, &at[k], "a parameter");
                        }
                        if (!a.ident) {
                                acf_error(&a, NULL, "acf: expected a parameter name, found '%s'",
                                          a.tok[0] ? a.tok : "end of file");
                                break;
                        }
                        next(&a);
                        if (is(&a, ","))
                                next(&a);
                }
                next(&a);
                expect(&a, ";");
        }
        if (!a.failed) {
                next(&a);
                if (is(&a, ";"))
                        next(&a);
                if (a.tok[0])
                        acf_error(&a, NULL, "acf: '%s' after the interface", a.tok);
        }
        if (!a.failed && explicit_all)
                for (struct idl_stmt *s = iface->stmts; s; s = s->next)
                        if (s->kind == STMT_FUNC && s->func)
                                add_explicit_handle(&a, s->func, &iface->loc);
done:
        return a.failed ? -EINVAL : 0;
}

const char *idl_implicit_handle(const struct idl_iface *i) {
        struct idl_attr *x = i ? idl_attr_find(i->attrs, "implicit_handle") : NULL;
        return x && x->n_args == 1 ? x->args[0]->str : NULL;
}
