/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's front door: runs the C preprocessor over a file as midl does (with -I and
 * -D passed through and __midl/__WIDL__ defined, line markers kept so diagnostics
 * name the original file:line:col), feeds the text to the parser, and follows
 * `import` statements: each imported file is preprocessed and parsed once, for its
 * declarations only.  idl_parse_buffer() is the in-memory entry point the fuzzer uses.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idl.h"
#include "parse-internal.h"
#include "parser.h"
#define YYSTYPE IDL_YYSTYPE
#define YYLTYPE IDL_YYLTYPE
#include "lexer.h"

extern char **environ;

static const struct { const char *name; int tok; } keywords[] = {
        { "import", tIMPORT }, { "extern", tEXTERN }, { "importlib", tIMPORTLIB }, { "interface", tINTERFACE },
        { "dispinterface", tDISPINTERFACE }, { "coclass", tCOCLASS }, { "library", tLIBRARY },
        { "module", tMODULE }, { "typedef", tTYPEDEF }, { "struct", tSTRUCT },
        { "union", tUNION }, { "enum", tENUM }, { "const", tCONST },
        { "cpp_quote", tCPPQUOTE }, { "switch", tSWITCH }, { "case", tCASE },
        { "default", tDEFAULT }, { "void", tVOID }, { "boolean", tBOOLEAN },
        { "byte", tBYTE }, { "char", tCHARKW }, { "small", tSMALL }, { "short", tSHORT },
        { "int", tINT }, { "long", tLONG }, { "hyper", tHYPER }, { "__int3264", tINT3264 },
        { "__int64", tINT64 }, { "__int32", tINT32 }, { "__int16", tINT16 },
        { "__int8", tINT8 }, { "float", tFLOATKW }, { "double", tDOUBLE },
        { "wchar_t", tWCHAR }, { "handle_t", tHANDLE }, { "error_status_t", tERRSTATUS },
        { "unsigned", tUNSIGNED }, { "signed", tSIGNED }, { "sizeof", tSIZEOF },
        { "properties", tPROPERTIES }, { "methods", tMETHODS },
        { "__stdcall", tCALLCONV }, { "_stdcall", tCALLCONV }, { "__cdecl", tCALLCONV },
        { "_cdecl", tCALLCONV }, { "__fastcall", tCALLCONV }, { "__pascal", tCALLCONV },
        { "stdcall", tCALLCONV }, { "cdecl", tCALLCONV }, { "pascal", tCALLCONV },
        { "__RPC_FAR", tCALLCONV }, { "__RPC_API", tCALLCONV }, { "__RPC_USER", tCALLCONV },
        { "__RPC_STUB", tCALLCONV }, { "STDMETHODCALLTYPE", tCALLCONV },
        { "WINAPI", tCALLCONV }, { "CALLBACK", tCALLCONV }, { "APIENTRY", tCALLCONV },
};

int idl_keyword(const char *s) {
        for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
                if (strcmp(keywords[i].name, s) == 0)
                        return keywords[i].tok;
        return 0;
}

/* `# 12 "file" flags` or `#line 12 "file"`: the next line is line 12 of file. */
void idl_line_marker(struct idl_lexstate *ls, const char *text) {
        const char *p = text;
        while (*p == ' ' || *p == '\t' || *p == '#')
                p++;
        if (strncmp(p, "line", 4) == 0)
                p += 4;
        long line = strtol(p, (char **)&p, 10);
        ls->line = line > 0 && line < INT_MAX ? (int)line : 1;
        ls->col = 1;
        const char *q = strchr(p, '"');
        if (q) {
                const char *e = q + 1;
                while (*e && *e != '"') {
                        if (*e == '\\' && e[1])
                                e++;
                        e++;
                }
                char *name = idl_strndup(ls->ctx, q + 1, (size_t)(e - q - 1));
                ls->file = name;
                if (name[0] != '<' && !ls->ctx->no_cpp_imports)
                        idl_add_dep(ls->ctx, name);
        }
}

_Noreturn void idl_lex_fatal(const char *msg) {
        fprintf(stderr, "dcomidl: scanner failure: %s\n", msg);
        abort();
}

int idl_parse_buffer(struct idl_ctx *ctx, const char *data, size_t size, const char *name,
                     bool imported) {
        struct idl_lexstate ls = { .ctx = ctx, .file = name, .line = 1, .col = 1,
                                   .imported = imported };
        yyscan_t scanner;
        int r;

        ls.tail = &ls.stmts;
        if (idl_yylex_init_extra(&ls, &scanner) != 0)
                return -ENOMEM;
        YY_BUFFER_STATE buf = idl_yy_scan_bytes(data, (int)(size > INT_MAX / 2 ? INT_MAX / 2 : size),
                                                scanner);
        int errors = ctx->errors;
        r = idl_yyparse(scanner, &ls);
        idl_yy_delete_buffer(buf, scanner);
        idl_yylex_destroy(scanner);
        if (r != 0 || ctx->errors != errors)
                return -EINVAL;
        /* Append this file's statements after those of the files it imported. */
        *ctx->stmts_tail = ls.stmts;
        while (*ctx->stmts_tail)
                ctx->stmts_tail = &(*ctx->stmts_tail)->next;
        return 0;
}

static int run_cpp(struct idl_ctx *ctx, const char *path, char **ret, size_t *ret_size) {
        const char *argv[64 + 2 * 64];
        size_t argc = 0;
        char *cppcopy = idl_strdup(ctx, ctx->cpp);
        char *save = NULL;

        for (char *w = strtok_r(cppcopy, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save))
                argv[argc++] = w;
        if (argc == 0)
                return -EINVAL;
        argv[argc++] = "-x";
        argv[argc++] = "c";
        argv[argc++] = "-undef";        /* no __GNUC__: headers take their MIDL branches */
        argv[argc++] = "-D__midl=501";
        argv[argc++] = "-D__WIDL__";
        size_t room = sizeof argv / sizeof *argv - 3;
        for (size_t i = 0; i < ctx->n_incdirs && argc + 2 < room; i++) {
                argv[argc++] = "-I";
                argv[argc++] = ctx->incdirs[i];
        }
        for (size_t i = 0; i < ctx->n_defines && argc + 2 < room; i++) {
                argv[argc++] = "-D";
                argv[argc++] = ctx->defines[i];
        }
        argv[argc++] = path;
        argv[argc] = NULL;

        int fds[2];
        if (pipe(fds) < 0)
                return -errno;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addclose(&fa, fds[1]);
        pid_t pid;
        int r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        if (r != 0) {
                close(fds[0]);
                fprintf(ctx->err, "dcomidl: cannot run the preprocessor '%s': %s\n", argv[0],
                        strerror(r));
                return -r;
        }

        char *buf = NULL;
        size_t size = 0, cap = 0;
        for (;;) {
                if (cap - size < 65536) {
                        cap = cap ? cap * 2 : 262144;
                        char *n = realloc(buf, cap);
                        if (!n) {
                                free(buf);
                                close(fds[0]);
                                waitpid(pid, NULL, 0);
                                return -ENOMEM;
                        }
                        buf = n;
                }
                ssize_t n = read(fds[0], buf + size, cap - size - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size += (size_t)n;
        }
        close(fds[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(buf);
                fprintf(ctx->err, "dcomidl: preprocessing %s failed\n", path);
                return -EINVAL;
        }
        /* copy into the arena so the caller frees nothing */
        *ret = idl_strndup(ctx, buf ? buf : "", size);
        *ret_size = size;
        free(buf);
        return 0;
}

int idl_parse_file(struct idl_ctx *ctx, const char *path, bool imported) {
        char *text;
        size_t size;

        if (!imported) {
                /* a file importing the main file back must not parse it twice */
                const char *slash = strrchr(path, '/');
                idl_sym_add(ctx, idl_strdup(ctx, slash ? slash + 1 : path), 3, NULL);
        }
        int r = run_cpp(ctx, path, &text, &size);
        if (r < 0)
                return r;
        idl_add_dep(ctx, path);
        return idl_parse_buffer(ctx, text, size, path, imported);
}

static bool exists(const char *p) {
        struct stat st;
        return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int idl_import(struct idl_ctx *ctx, const char *name, const struct idl_loc *loc) {
        char path[PATH_MAX];
        bool found = false;

        if (ctx->no_cpp_imports)
                return 0;
        if (idl_sym_find(ctx, name, 3))
                return 0;
        idl_sym_add(ctx, name, 3, loc);
        if (ctx->import_depth > 64) {
                idl_error(ctx, loc, "imports nested too deeply at '%s'", name);
                return -ELOOP;
        }

        /* The importing file's folder, then -I folders (midl's order). */
        if (loc && loc->file) {
                const char *slash = strrchr(loc->file, '/');
                int n = slash ? (int)(slash - loc->file) : 1;
                snprintf(path, sizeof path, "%.*s/%s", n, slash ? loc->file : ".", name);
                found = exists(path);
        }
        for (size_t i = 0; !found && i < ctx->n_incdirs; i++) {
                snprintf(path, sizeof path, "%s/%s", ctx->incdirs[i], name);
                found = exists(path);
        }
        if (!found) {
                snprintf(path, sizeof path, "%s", name);
                found = exists(path);
        }
        if (!found) {
                idl_error(ctx, loc, "cannot find imported file '%s' (add its folder with -I)",
                          name);
                return -ENOENT;
        }
        ctx->import_depth++;
        int r = idl_parse_file(ctx, idl_strdup(ctx, path), true);
        ctx->import_depth--;
        return r;
}
