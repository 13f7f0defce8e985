/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's AST support: the arena every node comes from (freed in one go, so the
 * compiler and the fuzzer leak nothing), diagnostics in gcc's `file:line:col: error:`
 * form, the symbol table, and the types OpenDCOM's <dcom/types.h> already defines
 * (so an IDL may use HRESULT or REFIID without importing wtypes.idl; an IDL that does
 * define them simply replaces the builtin).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"

struct idl_chunk {
        struct idl_chunk *next;
        size_t used, size;
        max_align_t data[];
};

#define CHUNK_SIZE (64 * 1024)

void idl_ctx_init(struct idl_ctx *ctx) {
        memset(ctx, 0, sizeof *ctx);
        ctx->stmts_tail = &ctx->stmts;
        ctx->err = stderr;
        ctx->cpp = "cpp";
}

void idl_ctx_free(struct idl_ctx *ctx) {
        struct idl_chunk *c = ctx->arena;
        while (c) {
                struct idl_chunk *n = c->next;
                free(c);
                c = n;
        }
        ctx->arena = NULL;
        free(ctx->deps);
        ctx->deps = NULL;
}

void *idl_alloc(struct idl_ctx *ctx, size_t size) {
        const size_t align = sizeof(max_align_t);
        size = (size + align - 1) / align * align;
        struct idl_chunk *c = ctx->arena;
        if (!c || c->size - c->used < size) {
                size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
                c = malloc(sizeof *c + cap);
                if (!c) {
                        fprintf(stderr, "dcomidl: out of memory\n");
                        abort();
                }
                c->size = cap;
                c->used = 0;
                c->next = ctx->arena;
                ctx->arena = c;
        }
        void *p = (char *)c->data + c->used;
        c->used += size;
        memset(p, 0, size);
        return p;
}

char *idl_strndup(struct idl_ctx *ctx, const char *s, size_t n) {
        char *p = idl_alloc(ctx, n + 1);
        memcpy(p, s, n);
        p[n] = 0;
        return p;
}

char *idl_strdup(struct idl_ctx *ctx, const char *s) {
        return idl_strndup(ctx, s, strlen(s));
}

__attribute__((format(printf, 4, 0)))
static void diag(struct idl_ctx *ctx, const struct idl_loc *loc, const char *what,
                 const char *fmt, va_list ap) {
        if (loc && loc->file)
                fprintf(ctx->err, "%s:%d:%d: %s: ", loc->file, loc->line, loc->col, what);
        else
                fprintf(ctx->err, "dcomidl: %s: ", what);
        vfprintf(ctx->err, fmt, ap);
        fputc('\n', ctx->err);
}

void idl_error(struct idl_ctx *ctx, const struct idl_loc *loc, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        diag(ctx, loc, "error", fmt, ap);
        va_end(ap);
        ctx->errors++;
}

void idl_note(struct idl_ctx *ctx, const struct idl_loc *loc, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        diag(ctx, loc, "note", fmt, ap);
        va_end(ap);
}

struct idl_type *idl_type_new(struct idl_ctx *ctx, enum idl_type_kind kind,
                              const struct idl_loc *loc) {
        struct idl_type *t = idl_alloc(ctx, sizeof *t);
        t->kind = kind;
        if (loc)
                t->loc = *loc;
        return t;
}

static unsigned hash(const char *s) {
        unsigned h = 5381;
        while (*s)
                h = h * 33 + (unsigned char)*s++;
        return h % IDL_SYM_BUCKETS;
}

struct idl_sym *idl_sym_find(struct idl_ctx *ctx, const char *name, int kind) {
        for (struct idl_sym *s = ctx->syms[hash(name)]; s; s = s->next)
                if (s->kind == kind && strcmp(s->name, name) == 0)
                        return s;
        return NULL;
}

struct idl_sym *idl_sym_add(struct idl_ctx *ctx, const char *name, int kind,
                            const struct idl_loc *loc) {
        struct idl_sym *s = idl_alloc(ctx, sizeof *s);
        unsigned h = hash(name);
        s->name = name;
        s->kind = kind;
        if (loc)
                s->loc = *loc;
        s->next = ctx->syms[h];
        ctx->syms[h] = s;
        return s;
}

struct idl_attr *idl_attr_find(struct idl_attr *attrs, const char *name) {
        for (; attrs; attrs = attrs->next)
                if (strcmp(attrs->name, name) == 0)
                        return attrs;
        return NULL;
}

struct idl_type *idl_type_resolve(struct idl_type *t) {
        for (int guard = 0; t && guard < 1000; guard++) {
                if (t->kind == TYPE_ALIAS || (t->kind == TYPE_NAMEREF && t->ref) ||
                    ((t->kind == TYPE_STRUCT || t->kind == TYPE_UNION || t->kind == TYPE_ENUM) &&
                     !t->defined && t->ref))
                        t = t->ref;
                else
                        return t;
        }
        return t;
}

static int hexval(int c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

bool idl_parse_guid(const char *s, struct idl_guid *ret) {
        static const int groups[] = { 8, 4, 4, 4, 12 };
        uint8_t b[16];
        size_t nb = 0;

        if (strlen(s) != 36)
                return false;
        for (int g = 0; g < 5; g++) {
                for (int i = 0; i < groups[g]; i += 2) {
                        int hi = hexval(s[0]), lo = hexval(s[1]);
                        if (hi < 0 || lo < 0)
                                return false;
                        b[nb++] = (uint8_t)(hi << 4 | lo);
                        s += 2;
                }
                if (g < 4 && *s++ != '-')
                        return false;
        }
        ret->d1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        ret->d2 = (uint16_t)(b[4] << 8 | b[5]);
        ret->d3 = (uint16_t)(b[6] << 8 | b[7]);
        memcpy(ret->d4, b + 8, 8);
        return true;
}

void idl_add_dep(struct idl_ctx *ctx, const char *file) {
        for (size_t i = 0; i < ctx->n_deps; i++)
                if (strcmp(ctx->deps[i], file) == 0)
                        return;
        if (ctx->n_deps == ctx->cap_deps) {
                size_t cap = ctx->cap_deps ? ctx->cap_deps * 2 : 16;
                const char **d = realloc(ctx->deps, cap * sizeof *d);
                if (!d) {
                        fprintf(stderr, "dcomidl: out of memory\n");
                        abort();
                }
                ctx->deps = d;
                ctx->cap_deps = cap;
        }
        ctx->deps[ctx->n_deps++] = idl_strdup(ctx, file);
}

/* The types of <dcom/types.h>, as the wire sees them. */
static struct idl_type *builtin(struct idl_ctx *ctx, const char *name, struct idl_type *target) {
        struct idl_type *a = idl_type_new(ctx, TYPE_ALIAS, NULL);
        a->name = name;
        a->ref = target;
        a->builtin = true;
        a->defined = true;
        struct idl_sym *s = idl_sym_add(ctx, name, 0, NULL);
        s->type = a;
        return a;
}

static struct idl_type *b(struct idl_ctx *ctx, enum idl_basic k, enum idl_sign sign) {
        struct idl_type *t = idl_type_new(ctx, TYPE_BASIC, NULL);
        t->basic = k;
        t->sign = sign;
        return t;
}

static struct idl_type *ptr(struct idl_ctx *ctx, struct idl_type *to, bool is_const) {
        struct idl_type *t = idl_type_new(ctx, TYPE_POINTER, NULL);
        t->ref = to;
        if (is_const) {
                struct idl_type *c = idl_type_new(ctx, TYPE_NAMEREF, NULL);
                c->ref = to;
                c->name = to->name;
                c->is_const = true;
                t->ref = c;
        }
        return t;
}

/*
 * A string typedef as Windows' wtypes.idl writes it (typedef [string] OLECHAR *LPOLESTR):
 * its pointer is a conformant varying string on the wire ([C706] 14.3.4: max_count,
 * offset, actual_count, the characters with the terminator), exactly as if the IDL
 * said [string] itself, which it may do too without adding a second string level.
 */
static void builtin_string(struct idl_ctx *ctx, const char *name, struct idl_type *ch,
                           bool is_const) {
        struct idl_type *a = builtin(ctx, name, ptr(ctx, ch, is_const));
        struct idl_attr *s = idl_alloc(ctx, sizeof *s);
        s->name = "string";
        a->attrs = s;
}

void idl_add_builtins(struct idl_ctx *ctx) {
        struct idl_type *lng = b(ctx, BASIC_LONG, SIGN_NONE);
        struct idl_type *ulng = b(ctx, BASIC_LONG, SIGN_UNSIGNED);
        struct idl_type *ushrt = b(ctx, BASIC_SHORT, SIGN_UNSIGNED);
        struct idl_type *wchar = builtin(ctx, "WCHAR", b(ctx, BASIC_WCHAR, SIGN_NONE));

        builtin(ctx, "BYTE", b(ctx, BASIC_BYTE, SIGN_NONE));
        builtin(ctx, "UCHAR", b(ctx, BASIC_CHAR, SIGN_UNSIGNED));
        builtin(ctx, "CHAR", b(ctx, BASIC_CHAR, SIGN_NONE));
        builtin(ctx, "WORD", ushrt);
        builtin(ctx, "USHORT", ushrt);
        builtin(ctx, "SHORT", b(ctx, BASIC_SHORT, SIGN_NONE));
        builtin(ctx, "DWORD", ulng);
        builtin(ctx, "ULONG", ulng);
        builtin(ctx, "UINT", b(ctx, BASIC_INT, SIGN_UNSIGNED));
        builtin(ctx, "LONG", lng);
        builtin(ctx, "INT", b(ctx, BASIC_INT, SIGN_NONE));
        builtin(ctx, "BOOL", lng);
        builtin(ctx, "LONGLONG", b(ctx, BASIC_HYPER, SIGN_NONE));
        builtin(ctx, "ULONGLONG", b(ctx, BASIC_HYPER, SIGN_UNSIGNED));
        builtin(ctx, "DWORD64", b(ctx, BASIC_HYPER, SIGN_UNSIGNED));
        builtin(ctx, "OLECHAR", wchar);
        builtin(ctx, "HRESULT", lng);
        builtin(ctx, "RPC_STATUS", lng);
        builtin(ctx, "SCODE", lng);
        builtin(ctx, "ULONG_PTR", b(ctx, BASIC_INT3264, SIGN_UNSIGNED));
        builtin(ctx, "SIZE_T", b(ctx, BASIC_INT3264, SIGN_UNSIGNED));
        builtin_string(ctx, "LPOLESTR", wchar, false);
        builtin_string(ctx, "LPCOLESTR", wchar, true);
        struct idl_type *v = idl_type_new(ctx, TYPE_VOID, NULL);
        builtin(ctx, "PVOID", ptr(ctx, v, false));
        builtin(ctx, "LPVOID", ptr(ctx, v, false));
        builtin(ctx, "LPCVOID", ptr(ctx, v, true));
        struct idl_type *chr = b(ctx, BASIC_CHAR, SIGN_NONE);
        builtin_string(ctx, "LPSTR", chr, false);       /* windef.h's */
        builtin_string(ctx, "LPCSTR", chr, true);
        builtin_string(ctx, "LPWSTR", wchar, false);
        builtin_string(ctx, "LPCWSTR", wchar, true);
        builtin_string(ctx, "PWSTR", wchar, false);
        builtin_string(ctx, "PCWSTR", wchar, true);

        struct idl_type *ft = idl_type_new(ctx, TYPE_STRUCT, NULL);
        ft->name = "_FILETIME";
        ft->defined = true;
        builtin(ctx, "FILETIME", ft);

        /* GUID: the struct's shape matters to the stub generator. */
        struct idl_type *g = idl_type_new(ctx, TYPE_STRUCT, NULL);
        static const char *names[] = { "Data1", "Data2", "Data3", "Data4" };
        struct idl_field **tail = &g->fields;
        for (int i = 0; i < 4; i++) {
                struct idl_field *f = idl_alloc(ctx, sizeof *f);
                f->name = names[i];
                f->type = i == 0 ? ulng : i < 3 ? ushrt : NULL;
                if (i == 3) {
                        struct idl_expr *n = idl_alloc(ctx, sizeof *n);
                        n->kind = EXPR_NUM;
                        n->num = 8;
                        n->str = "8";
                        f->type = idl_type_new(ctx, TYPE_ARRAY, NULL);
                        f->type->ref = b(ctx, BASIC_BYTE, SIGN_NONE);
                        f->type->size = n;
                }
                *tail = f;
                tail = &f->next;
        }
        g->name = "_GUID";
        g->defined = true;
        struct idl_type *guid = builtin(ctx, "GUID", g);
        struct idl_type *iid = builtin(ctx, "IID", guid);
        struct idl_type *clsid = builtin(ctx, "CLSID", guid);
        builtin(ctx, "UUID", guid);
        builtin(ctx, "REFGUID", ptr(ctx, guid, true));
        builtin(ctx, "REFIID", ptr(ctx, iid, true));
        builtin(ctx, "REFCLSID", ptr(ctx, clsid, true));
}
