/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reg: Windows' reg.exe for the OpenDCOM registry -- the same operations, switches,
 * output and exit codes (0 success, 1 failure), so that scripts written for Windows
 * read the same here:
 *
 *   reg query KEY [/v NAME | /ve] [/s] [/f PATTERN [/k] [/d] [/c] [/e]] [/t TYPES] [/se SEP]
 *   reg add KEY [/v NAME | /ve] [/t TYPE] [/s SEP] [/d DATA] [/f]
 *   reg delete KEY [/v NAME | /ve | /va] [/f]
 *   reg copy SRC DST [/s] [/f]
 *   reg export KEY FILE [/y] [/reg:4]
 *   reg import FILE
 *
 * Switches start with '/' or '-' and ignore case; /reg:32 and /reg:64 are accepted and
 * ignored (there is one registry view).  Results go to stdout, errors to stderr as
 * "ERROR: ...".  Lines end in LF, not CRLF.  Where reg.exe's behaviour is not
 * documented we follow Wine's reg.exe tests, which run against Windows; the choices
 * made without such a reference are marked "ours" below.
 *
 * Confirmation prompts (overwrite, delete) print "... (Yes/No)? " and read a line from
 * the terminal: "y"/"yes" (any case) goes ahead, "n"/"no" cancels, any other answer asks
 * again.  A cancelled operation prints "The operation was canceled by the user." and
 * exits 0, as reg.exe does (per Wine; ours where unverified).  /f (/y for export) skips
 * prompts; without it and without a terminal on stdin reg refuses with exit 1 (ask()).
 *
 * Matched from reg.exe (Wine's tests pin them): the query layout (blank line, key name
 * with the root's long name and the rest as typed, "    NAME    TYPE    DATA" lines,
 * "(Default)", "(value not set)" for /ve, subkey names after a blank line; /s blocks);
 * DWORD/QWORD as 0x..., binary as upper-case hex, REG_MULTI_SZ joined with \0; "reg add
 * KEY" alone sets the default value to ""; /d conversions (decimal or 0x for numbers,
 * odd hex digit counts, REG_MULTI_SZ separators); a trailing backslash on a key is
 * dropped except after a bare root; "End of search: N match(es) found." after /f and
 * after /v with /s.  Ours, where reg.exe's behaviour is not pinned down: a search
 * with no match exits 1; /f prints each key with a match as one block (name, matching
 * values, blank line); unknown value types show as 0x%x; when stdout is not the terminal
 * the prompt line is ended with a newline since the answer is not echoed there; reg copy is one transaction
 * and answering "no" to any overwrite cancels all of it; the export prompt's wording;
 * import errors name the file, line and problem ("reg: a.reg:12: ...").  On Linux a
 * FILE argument may start with '/': it is positional, never taken for a switch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dcom/status.h>
#include <dcom/utf16.h>
#include <dcom/winreg.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf16.h"
#include "base/version.h"
#include "registry/regfile.h"

#define MSG_SUCCESS "The operation completed successfully."
#define MSG_CANCELED "The operation was canceled by the user."
#define MSG_NOT_FOUND "ERROR: The system was unable to find the specified registry key or value."

static const char *op_name = "";       /* "QUERY", ... for the usage hint */

/* ---- Small helpers ------------------------------------------------------------------- */

static void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);

        if (!p) {
                fputs("ERROR: Not enough memory resources are available to complete this operation.\n",
                      stderr);
                exit(1);
        }
        return p;
}

static void *xrealloc(void *p, size_t n) {
        p = realloc(p, n ? n : 1);
        if (!p) {
                fputs("ERROR: Not enough memory resources are available to complete this operation.\n",
                      stderr);
                exit(1);
        }
        return p;
}

static int syntax_error(void) {
        fprintf(stderr, "ERROR: Invalid syntax.\nType \"REG %s/?\" for usage.\n", op_name);
        return 1;
}

static int key_name_error(void) {
        fprintf(stderr, "ERROR: Invalid key name.\nType \"REG %s/?\" for usage.\n", op_name);
        return 1;
}

static int status_error(LSTATUS st) {
        const struct dcom_status_info *info;

        if (st == ERROR_FILE_NOT_FOUND || st == ERROR_PATH_NOT_FOUND) {
                fputs(MSG_NOT_FOUND "\n", stderr);
                return 1;
        }
        info = dcom_status_lookup(DCOM_STATUS_WIN32, (uint32_t)st);
        if (info)
                fprintf(stderr, "ERROR: %s\n", info->text);
        else
                fprintf(stderr, "ERROR: error %d\n", (int)st);
        return 1;
}

/* UTF-8 argument to UTF-16; NULL if it is not UTF-8. */
static WCHAR *to_utf16(const char *s, size_t *ret_len) {
        WCHAR *w;

        if (dcom_utf8_to_utf16(s, strlen(s), &w, ret_len) < 0)
                return NULL;
        return w;
}

/* Appends UTF-16 as UTF-8 to a buffer; unpaired surrogates become U+FFFD. */
static void buf_put_utf16(struct buf *b, const WCHAR *s, size_t n) {
        for (size_t i = 0; i < n;) {
                int32_t cp = dcom_utf16_decode(s, n, &i);
                uint8_t o[4];

                buf_append(b, o, dcom_utf8_encode(cp < 0 ? 0xFFFD : (uint32_t)cp, o));
        }
}

static void buf_put_str(struct buf *b, const char *s) {
        buf_append(b, s, strlen(s));
}

/* NUL-terminated contents of b (which keeps ownership). */
static const char *buf_str(struct buf *b) {
        buf_put_u8(b, 0);
        if (b->error) {
                fputs("ERROR: Not enough memory resources are available to complete this operation.\n",
                      stderr);
                exit(1);
        }
        b->len--;
        return (const char *)b->data;
}

static void print_w(FILE *f, const WCHAR *s, size_t n) {
        struct buf b;

        buf_init(&b, 0);
        buf_put_utf16(&b, s, n);
        fputs(buf_str(&b), f);
        buf_free(&b);
}

/* "/name" or "-name", any case. */
static bool is_switch(const char *arg, const char *name) {
        return (arg[0] == '/' || arg[0] == '-') && strcasecmp(arg + 1, name) == 0;
}

static bool is_help(const char *arg) {
        return is_switch(arg, "?") || is_switch(arg, "h") || strcmp(arg, "--help") == 0;
}

/* /reg:32 and /reg:64: one of them, once.  Returns true if arg was one (and is fine). */
static bool view_switch(const char *arg, int *view, bool *bad) {
        int v = is_switch(arg, "reg:32") ? 32 : is_switch(arg, "reg:64") ? 64 : 0;

        if (!v)
                return false;
        if (*view)
                *bad = true;
        *view = v;
        return true;
}

/* ---- Keys on the command line -------------------------------------------------------- */

struct keyarg {
        HKEY root;
        WCHAR *text;            /* the whole argument as UTF-16 (owns the memory) */
        const WCHAR *sub;       /* below the root, NUL-terminated; "" for the root itself */
        size_t sub_len;
};

/*
 * "HKLM\Software\Foo" -> root + subkey.  One trailing backslash is dropped as reg.exe
 * does ("HKLM\Software\"), but not after a bare root ("HKLM\"), and "\\machine\..."
 * (remote registries) is refused.  Returns 0 or prints "Invalid key name" and returns 1.
 */
static int parse_key(const char *arg, bool allow_root, struct keyarg *k) {
        size_t len;
        const char *problem;

        *k = (struct keyarg){ 0 };
        k->text = to_utf16(arg, &len);
        if (!k->text || len == 0 || k->text[0] == '\\')
                goto bad;
        if (regfile_split_path(k->text, len, &k->root, &k->sub) < 0)
                goto bad;
        k->sub_len = (size_t)(k->text + len - k->sub);
        if (k->text[len - 1] == '\\') {
                if (k->sub_len <= 1)
                        goto bad;       /* "HKLM\" */
                k->text[--len] = 0;
                k->sub_len--;
        }
        if (regfile_check_subkey(k->sub, k->sub_len, &problem) < 0)
                goto bad;
        if (!allow_root && k->sub_len == 0)
                goto bad;
        return 0;
bad:
        free(k->text);
        k->text = NULL;
        return key_name_error();
}

/*
 * The key's name as reg.exe prints it: the root's long name, then the rest as typed
 * ("hklm\software" -> "HKEY_LOCAL_MACHINE\software"), as Wine's reg.exe does too.
 */
static WCHAR *key_path(const struct keyarg *k) {
        const char *rn = regfile_root_name(k->root);
        size_t rl = strlen(rn);
        WCHAR *p = xmalloc((rl + 1 + k->sub_len + 1) * sizeof(WCHAR));

        for (size_t i = 0; i < rl; i++)
                p[i] = (WCHAR)rn[i];
        if (k->sub_len) {
                p[rl] = '\\';
                memcpy(p + rl + 1, k->sub, k->sub_len * sizeof(WCHAR));
                p[rl + 1 + k->sub_len] = 0;
        } else
                p[rl] = 0;
        return p;
}

/* ---- Prompts ------------------------------------------------------------------------- */

/*
 * reg.exe's /f rule: without /f (/y for export) reg asks before it overwrites or
 * deletes, and asking needs a person.  When standard input is not a terminal nobody can
 * answer, so reg refuses -- one line on stderr naming what it would have asked, exit 1 --
 * instead of reading an answer from a pipe or pretending the user canceled (which a
 * script would take for success).  force_switch names the switch that skips the question.
 */
static const char *force_switch = "/f";
static bool refused_no_tty;             /* ask() refused: canceled() fails with exit 1 */

/*
 * On a terminal, prints "<prompt>(Yes/No)? " and reads answers: true for y/yes, false for
 * n/no or end of input; other answers ask again.  The prompt's line is ended when stdout
 * is not the terminal that echoes the answer.  Without a terminal: false, with
 * refused_no_tty set and the refusal printed.
 */
static bool ask(const char *prompt) {
        bool echoed = isatty(STDOUT_FILENO);
        char line[256];

        if (!isatty(STDIN_FILENO)) {
                size_t n = strlen(prompt);
                while (n > 0 && prompt[n - 1] == ' ')
                        n--;
                fprintf(stderr, "ERROR: %.*s? Standard input is not a terminal, so reg cannot "
                        "ask: nothing was changed (%s answers yes without asking).\n", (int)n,
                        prompt, force_switch);
                refused_no_tty = true;
                return false;
        }
        for (;;) {
                printf("%s(Yes/No)? ", prompt);
                fflush(stdout);
                if (!fgets(line, sizeof line, stdin)) {
                        putchar('\n');
                        return false;
                }
                if (!echoed)
                        putchar('\n');  /* the answer was not echoed here: end the prompt's line */
                line[strcspn(line, "\r\n")] = 0;
                char *a = line;
                while (*a == ' ' || *a == '\t')
                        a++;
                size_t n = strlen(a);
                while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
                        a[--n] = 0;
                if (strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0)
                        return true;
                if (strcasecmp(a, "n") == 0 || strcasecmp(a, "no") == 0)
                        return false;
        }
}

/* "Value NAME exists, overwrite(Yes/No)? ", reg.exe's wording (no space before the '('). */
static bool confirm_value_overwrite(const WCHAR *name, size_t n) {
        struct buf b;
        bool yes;

        buf_init(&b, 0);
        buf_put_str(&b, "Value ");
        if (n)
                buf_put_utf16(&b, name, n);
        else
                buf_put_str(&b, "(Default)");
        buf_put_str(&b, " exists, overwrite");
        yes = ask(buf_str(&b));
        buf_free(&b);
        return yes;
}

/* "<question> (Yes/No)? " */
static bool confirm(struct buf *question) {
        buf_put_str(question, " ");
        return ask(buf_str(question));
}

/* A question answered no (exit 0, as reg.exe), or refused for want of a terminal (exit 1). */
static int canceled(void) {
        if (refused_no_tty)
                return 1;
        puts(MSG_CANCELED);
        return 0;
}

/* ---- Value data for display ---------------------------------------------------------- */

static const struct {
        DWORD type;
        const char *name;
} types[] = {
        { REG_NONE, "REG_NONE" },
        { REG_SZ, "REG_SZ" },
        { REG_EXPAND_SZ, "REG_EXPAND_SZ" },
        { REG_BINARY, "REG_BINARY" },
        { REG_DWORD, "REG_DWORD" },
        { REG_DWORD_BIG_ENDIAN, "REG_DWORD_BIG_ENDIAN" },
        { REG_LINK, "REG_LINK" },
        { REG_MULTI_SZ, "REG_MULTI_SZ" },
        { REG_RESOURCE_LIST, "REG_RESOURCE_LIST" },
        { REG_FULL_RESOURCE_DESCRIPTOR, "REG_FULL_RESOURCE_DESCRIPTOR" },
        { REG_RESOURCE_REQUIREMENTS_LIST, "REG_RESOURCE_REQUIREMENTS_LIST" },
        { REG_QWORD, "REG_QWORD" },
};

/* Type name; unknown types as "0x%x" (ours). */
static const char *type_name(DWORD type, char *tmp, size_t size) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
                if (types[i].type == type)
                        return types[i].name;
        snprintf(tmp, size, "0x%x", (unsigned)type);
        return tmp;
}

/* Names reg add and query /t accept, with their aliases. */
static bool parse_type(const char *s, DWORD *ret) {
        static const struct {
                const char *name;
                DWORD type;
        } names[] = {
                { "REG_SZ", REG_SZ },
                { "REG_MULTI_SZ", REG_MULTI_SZ },
                { "REG_EXPAND_SZ", REG_EXPAND_SZ },
                { "REG_DWORD", REG_DWORD },
                { "REG_DWORD_LITTLE_ENDIAN", REG_DWORD_LITTLE_ENDIAN },
                { "REG_DWORD_BIG_ENDIAN", REG_DWORD_BIG_ENDIAN },
                { "REG_QWORD", REG_QWORD },
                { "REG_QWORD_LITTLE_ENDIAN", REG_QWORD_LITTLE_ENDIAN },
                { "REG_BINARY", REG_BINARY },
                { "REG_NONE", REG_NONE },
        };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcasecmp(s, names[i].name) == 0) {
                        *ret = names[i].type;
                        return true;
                }
        return false;
}

static uint16_t u16le(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

/* The data as reg query shows it, appended to b as UTF-8. */
static void format_data(struct buf *b, DWORD type, const uint8_t *data, size_t size,
                        const char *sep) {
        char tmp[40];

        switch (type) {
        case REG_SZ:
        case REG_EXPAND_SZ:
        case REG_LINK: {
                size_t n = 0;
                while (n < size / 2 && u16le(data + 2 * n))
                        n++;
                WCHAR *w = xmalloc(n * sizeof(WCHAR));
                for (size_t i = 0; i < n; i++)
                        w[i] = u16le(data + 2 * i);
                buf_put_utf16(b, w, n);
                free(w);
                return;
        }
        case REG_MULTI_SZ: {
                size_t n = size / 2;
                /* Drop the terminators: the list ends with an empty string. */
                while (n > 0 && u16le(data + 2 * (n - 1)) == 0)
                        n--;
                WCHAR *w = xmalloc(n * sizeof(WCHAR));
                for (size_t i = 0; i < n; i++)
                        w[i] = u16le(data + 2 * i);
                size_t start = 0;
                bool first = true;
                for (size_t i = 0; i <= n; i++) {
                        if (i < n && w[i])
                                continue;
                        if (!first)
                                buf_put_str(b, sep);
                        first = false;
                        buf_put_utf16(b, w + start, i - start);
                        start = i + 1;
                }
                free(w);
                return;
        }
        case REG_DWORD:
        case REG_DWORD_BIG_ENDIAN:
                if (size == 4) {
                        /* Windows stores REG_DWORD_BIG_ENDIAN little-endian too (Wine's tests). */
                        uint32_t v = data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
                        snprintf(tmp, sizeof tmp, "0x%x", (unsigned)v);
                        buf_put_str(b, tmp);
                        return;
                }
                break;
        case REG_QWORD:
                if (size == 8) {
                        uint64_t v = 0;
                        for (int i = 7; i >= 0; i--)
                                v = v << 8 | data[i];
                        snprintf(tmp, sizeof tmp, "0x%llx", (unsigned long long)v);
                        buf_put_str(b, tmp);
                        return;
                }
                break;
        default:
                break;
        }
        for (size_t i = 0; i < size; i++) {
                snprintf(tmp, sizeof tmp, "%02X", data[i]);
                buf_put_str(b, tmp);
        }
}

/* "    NAME    TYPE    DATA" */
static void format_value_line(struct buf *b, const WCHAR *name, size_t name_len, DWORD type,
                              const uint8_t *data, size_t size, const char *sep) {
        char tmp[24];

        buf_put_str(b, "    ");
        if (name_len)
                buf_put_utf16(b, name, name_len);
        else
                buf_put_str(b, "(Default)");
        buf_put_str(b, "    ");
        buf_put_str(b, type_name(type, tmp, sizeof tmp));
        buf_put_str(b, "    ");
        format_data(b, type, data, size, sep);
        buf_put_str(b, "\n");
}

/* ---- Enumeration helpers ------------------------------------------------------------- */

struct value {
        WCHAR *name;
        size_t name_len;
        DWORD type;
        uint8_t *data;
        size_t size;
};

/* Value i of key h; ERROR_SUCCESS, ERROR_NO_MORE_ITEMS or an error. */
static LSTATUS enum_value(HKEY h, DWORD i, struct value *v) {
        DWORD name_cap = 256, data_cap = 1024;

        *v = (struct value){ 0 };
        for (;;) {
                DWORD nl = name_cap, ds = data_cap;
                v->name = xrealloc(v->name, name_cap * sizeof(WCHAR));
                v->data = xrealloc(v->data, data_cap);
                LSTATUS st = RegEnumValueW(h, i, v->name, &nl, NULL, &v->type, v->data, &ds);
                if (st == ERROR_MORE_DATA) {
                        if (ds > data_cap)
                                data_cap = ds;
                        else
                                data_cap *= 2;
                        name_cap *= 2;
                        if (name_cap > 65536)
                                name_cap = 65536;
                        continue;
                }
                if (st != ERROR_SUCCESS) {
                        free(v->name);
                        free(v->data);
                        *v = (struct value){ 0 };
                        return st;
                }
                v->name_len = nl;
                v->size = ds;
                return ERROR_SUCCESS;
        }
}

static void value_done(struct value *v) {
        free(v->name);
        free(v->data);
}

/* Subkey i's name (malloc()ed) or NULL at the end / on error (*ret_st says which). */
static WCHAR *enum_key(HKEY h, DWORD i, size_t *ret_len, LSTATUS *ret_st) {
        DWORD cap = DCOM_REG_MAX_KEY_NAME + 1;
        WCHAR *name = xmalloc(cap * sizeof(WCHAR));
        DWORD n = cap;

        *ret_st = RegEnumKeyExW(h, i, name, &n, NULL, NULL, NULL, NULL);
        if (*ret_st != ERROR_SUCCESS) {
                free(name);
                return NULL;
        }
        *ret_len = n;
        return name;
}

/* Query one value (name NULL = default): ERROR_SUCCESS with v filled, or an error. */
static LSTATUS get_value(HKEY h, const WCHAR *name, struct value *v) {
        DWORD size = 0, type;
        LSTATUS st;

        *v = (struct value){ 0 };
        for (;;) {
                DWORD s = size;
                v->data = xrealloc(v->data, size);
                st = RegQueryValueExW(h, name, NULL, &type, v->data, &s);
                if (st == ERROR_MORE_DATA) {
                        size = s > size ? s : size * 2 + 16;
                        continue;
                }
                if (st != ERROR_SUCCESS) {
                        free(v->data);
                        v->data = NULL;
                        return st;
                }
                v->type = type;
                v->size = s;
                return ERROR_SUCCESS;
        }
}

static WCHAR *join_path(const WCHAR *path, size_t len, const WCHAR *name, size_t n,
                        size_t *ret_len) {
        WCHAR *p = xmalloc((len + 1 + n + 1) * sizeof(WCHAR));

        memcpy(p, path, len * sizeof(WCHAR));
        p[len] = '\\';
        memcpy(p + len + 1, name, n * sizeof(WCHAR));
        p[len + 1 + n] = 0;
        *ret_len = len + 1 + n;
        return p;
}

/* ---- reg query ----------------------------------------------------------------------- */

struct query {
        bool recurse;
        bool by_name;           /* /v NAME or /ve */
        WCHAR *vname;           /* /v NAME; NULL with /ve */
        size_t vname_len;
        bool find;
        WCHAR *pattern;         /* /f, as a wildcard pattern ("*x*" unless /e) */
        size_t pattern_len;
        bool in_keys, in_values, in_data, case_sensitive;
        bool type_filter;
        DWORD filter[16];
        size_t n_filter;
        const char *sep;        /* /se, REG_MULTI_SZ separator in output */
        unsigned matches;
};

static bool shown_type(const struct query *q, DWORD type) {
        if (!q->type_filter)
                return true;
        for (size_t i = 0; i < q->n_filter; i++)
                if (q->filter[i] == type)
                        return true;
        return false;
}

static WCHAR fold(WCHAR c, bool cs) {
        return cs ? c : dcom_utf16_toupper(c);
}

/* Wildcard match: '*' any run, '?' any one unit. */
static bool wild_match(const WCHAR *p, size_t pn, const WCHAR *s, size_t sn, bool cs) {
        size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

        while (si < sn) {
                if (pi < pn && p[pi] == '*') {
                        star = pi++;
                        mark = si;
                } else if (pi < pn && (p[pi] == '?' || fold(p[pi], cs) == fold(s[si], cs))) {
                        pi++;
                        si++;
                } else if (star != SIZE_MAX) {
                        pi = star + 1;
                        si = ++mark;
                } else
                        return false;
        }
        while (pi < pn && p[pi] == '*')
                pi++;
        return pi == pn;
}

static bool match_w(const struct query *q, const WCHAR *s, size_t n) {
        return wild_match(q->pattern, q->pattern_len, s, n, q->case_sensitive);
}

static bool match_utf8(const struct query *q, const char *s) {
        size_t n;
        WCHAR *w = to_utf16(s, &n);
        bool r;

        if (!w)
                return false;
        r = match_w(q, w, n);
        free(w);
        return r;
}

static void print_path(const WCHAR *path, size_t len) {
        print_w(stdout, path, len);
        putchar('\n');
}

/* Non-/f listing: Wine's query_all, whose output Wine's tests check against Windows. */
static void query_all(const struct query *q, HKEY h, const WCHAR *path, size_t len, bool recursing) {
        bool printed = false;
        LSTATUS st;

        if (recursing)
                print_path(path, len);
        for (DWORD i = 0;; i++) {
                struct value v;
                if (enum_value(h, i, &v) != ERROR_SUCCESS)
                        break;
                if (shown_type(q, v.type)) {
                        struct buf b;
                        if (!printed && !recursing)
                                print_path(path, len);
                        printed = true;
                        buf_init(&b, 0);
                        format_value_line(&b, v.name, v.name_len, v.type, v.data, v.size, q->sep);
                        fputs(buf_str(&b), stdout);
                        buf_free(&b);
                }
                value_done(&v);
        }
        if (printed || recursing)
                putchar('\n');

        for (DWORD i = 0;; i++) {
                size_t n, cl;
                WCHAR *name = enum_key(h, i, &n, &st);
                if (!name)
                        break;
                WCHAR *child = join_path(path, len, name, n, &cl);
                if (!q->recurse)
                        print_path(child, cl);
                else {
                        HKEY sub;
                        if (RegOpenKeyExW(h, name, 0, KEY_READ, &sub) == ERROR_SUCCESS) {
                                query_all(q, sub, child, cl, true);
                                RegCloseKey(sub);
                        }
                }
                free(child);
                free(name);
        }
}

/* /v NAME or /ve with /s: every key holding the value. */
static void query_value_tree(struct query *q, HKEY h, const WCHAR *path, size_t len) {
        struct value v;
        LSTATUS st;

        if (get_value(h, q->vname, &v) == ERROR_SUCCESS) {
                if (shown_type(q, v.type)) {
                        struct buf b;
                        buf_init(&b, 0);
                        format_value_line(&b, q->vname, q->vname ? q->vname_len : 0, v.type, v.data,
                                          v.size, q->sep);
                        print_path(path, len);
                        fputs(buf_str(&b), stdout);
                        putchar('\n');
                        buf_free(&b);
                        q->matches++;
                }
                free(v.data);
        }
        for (DWORD i = 0;; i++) {
                size_t n, cl;
                WCHAR *name = enum_key(h, i, &n, &st);
                HKEY sub;
                if (!name)
                        break;
                WCHAR *child = join_path(path, len, name, n, &cl);
                if (RegOpenKeyExW(h, name, 0, KEY_READ, &sub) == ERROR_SUCCESS) {
                        query_value_tree(q, sub, child, cl);
                        RegCloseKey(sub);
                }
                free(child);
                free(name);
        }
}

/*
 * /f: keys whose name matches (below the queried key), and values whose name or shown
 * data matches.  Each key with a match prints as a block: its name, the matching
 * values, a blank line.  The layout of key-only matches is ours.
 */
static void find_tree(struct query *q, HKEY h, const WCHAR *path, size_t len, const WCHAR *kname,
                      size_t kname_len, bool top) {
        struct buf lines;
        unsigned found = 0;
        bool key_hit = !top && q->in_keys && match_w(q, kname, kname_len);
        LSTATUS st;

        buf_init(&lines, 0);
        for (DWORD i = 0;; i++) {
                struct value v;
                bool hit = false;
                if (enum_value(h, i, &v) != ERROR_SUCCESS)
                        break;
                if (shown_type(q, v.type)) {
                        if (q->in_values)
                                hit = v.name_len ? match_w(q, v.name, v.name_len)
                                                 : match_utf8(q, "(Default)");
                        if (!hit && q->in_data) {
                                struct buf d;
                                buf_init(&d, 0);
                                format_data(&d, v.type, v.data, v.size, q->sep);
                                hit = match_utf8(q, buf_str(&d));
                                buf_free(&d);
                        }
                }
                if (hit) {
                        format_value_line(&lines, v.name, v.name_len, v.type, v.data, v.size, q->sep);
                        found++;
                }
                value_done(&v);
        }
        if (found || key_hit) {
                print_path(path, len);
                if (found)
                        fputs(buf_str(&lines), stdout);
                putchar('\n');
                q->matches += found + (key_hit ? 1 : 0);
        }
        buf_free(&lines);

        for (DWORD i = 0;; i++) {
                size_t n, cl;
                WCHAR *name = enum_key(h, i, &n, &st);
                HKEY sub;
                if (!name)
                        break;
                WCHAR *child = join_path(path, len, name, n, &cl);
                if (q->recurse) {
                        if (RegOpenKeyExW(h, name, 0, KEY_READ, &sub) == ERROR_SUCCESS) {
                                find_tree(q, sub, child, cl, name, n, false);
                                RegCloseKey(sub);
                        }
                } else if (q->in_keys && match_w(q, name, n)) {
                        print_path(child, cl);
                        putchar('\n');
                        q->matches++;
                }
                free(child);
                free(name);
        }
}

static void usage_query(void) {
        puts("REG QUERY KeyName [/v [ValueName] | /ve] [/s] [/f Data [/k] [/d] [/c] [/e]]\n"
             "          [/t Type] [/se Separator] [/reg:32 | /reg:64]\n"
             "\n"
             "  KeyName    ROOTKEY\\SubKey, ROOTKEY one of HKLM, HKCU, HKCR, HKU or the\n"
             "             long names HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, ...\n"
             "  /v         queries one value (with /f: search value names)\n"
             "  /ve        queries the default value (empty name)\n"
             "  /s         queries all subkeys and values recursively\n"
             "  /f         searches for Data ('*' and '?' wildcards) in key names, value\n"
             "             names and data; ends with \"End of search: N match(es) found.\"\n"
             "  /k /d      search key names only / data only\n"
             "  /c /e      case-sensitive / exact matches only\n"
             "  /t         types to show, e.g. REG_SZ,REG_DWORD\n"
             "  /se        separator for REG_MULTI_SZ data (default \\0)\n"
             "\n"
             "Exit status: 0 success, 1 failure (or no match with /f, /v /s).");
}

static int do_query(int argc, char **argv) {
        struct query q = { .sep = "\\0" };
        struct keyarg k;
        const char *vname = NULL, *pattern = NULL, *types_arg = NULL;
        bool ve = false, v_flag = false, have_k = false, have_d = false, have_c = false,
             have_e = false, have_s = false, bad_view = false;
        int view = 0, ret = 1;
        HKEY h;

        if (argc == 1 && is_help(argv[0])) {
                usage_query();
                return 0;
        }
        if (argc < 1 || argv[0][0] == '/' || argv[0][0] == '-')
                return syntax_error();
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
#define ONCE(flag)                              \
        do {                                    \
                if (flag)                       \
                        return syntax_error();  \
                flag = true;                    \
        } while (0)
                if (is_switch(a, "v")) {
                        ONCE(v_flag);
                        /* /v's name is optional with /f (then: search value names). */
                        if (i + 1 < argc && !(argv[i + 1][0] == '/' || argv[i + 1][0] == '-'))
                                vname = argv[++i];
                } else if (is_switch(a, "ve"))
                        ONCE(ve);
                else if (is_switch(a, "s"))
                        ONCE(have_s);
                else if (is_switch(a, "f")) {
                        if (pattern || i + 1 >= argc)
                                return syntax_error();
                        pattern = argv[++i];
                } else if (is_switch(a, "k"))
                        ONCE(have_k);
                else if (is_switch(a, "d"))
                        ONCE(have_d);
                else if (is_switch(a, "c"))
                        ONCE(have_c);
                else if (is_switch(a, "e"))
                        ONCE(have_e);
                else if (is_switch(a, "t")) {
                        if (types_arg || i + 1 >= argc)
                                return syntax_error();
                        types_arg = argv[++i];
                } else if (is_switch(a, "se")) {
                        if (q.sep[0] != '\\' || i + 1 >= argc || !argv[i + 1][0])
                                return syntax_error();
                        q.sep = argv[++i];
                } else if (!view_switch(a, &view, &bad_view))
                        return syntax_error();
#undef ONCE
        }
        if (bad_view || (ve && v_flag) || (!pattern && (have_k || have_d || have_c || have_e)) ||
            (v_flag && !vname && !pattern))
                return syntax_error();
        if (types_arg) {
                char *copy = strdup(types_arg), *save = NULL;
                if (!copy)
                        return syntax_error();
                q.type_filter = true;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        DWORD type;
                        if (q.n_filter == sizeof q.filter / sizeof q.filter[0] ||
                            !parse_type(t, &type)) {
                                free(copy);
                                return syntax_error();
                        }
                        q.filter[q.n_filter++] = type;
                }
                free(copy);
        }
        if (parse_key(argv[0], true, &k))
                return 1;
        q.recurse = have_s;

        LSTATUS st = RegOpenKeyExW(k.root, k.sub_len ? k.sub : NULL, 0, KEY_READ, &h);
        if (st != ERROR_SUCCESS) {
                free(k.text);
                return status_error(st);
        }
        WCHAR *path = key_path(&k);
        size_t len = dcom_utf16_len(path);

        if (vname) {
                q.vname = to_utf16(vname, &q.vname_len);
                if (!q.vname) {
                        ret = syntax_error();
                        goto out;
                }
        }

        if (pattern) {
                size_t pl;
                WCHAR *p = to_utf16(pattern, &pl);
                if (!p) {
                        ret = syntax_error();
                        goto out;
                }
                q.find = true;
                q.case_sensitive = have_c;
                if (have_e) {
                        q.pattern = p;
                        q.pattern_len = pl;
                } else {
                        q.pattern = xmalloc((pl + 2) * sizeof(WCHAR));
                        q.pattern[0] = '*';
                        memcpy(q.pattern + 1, p, pl * sizeof(WCHAR));
                        q.pattern[pl + 1] = '*';
                        q.pattern_len = pl + 2;
                        free(p);
                }
                if (vname) {
                        /* "/f X /v NAME" is not a search reg.exe knows; ours: refuse. */
                        ret = syntax_error();
                        goto out;
                }
                if (!have_k && !have_d && !v_flag)
                        q.in_keys = q.in_values = q.in_data = true;
                else {
                        q.in_keys = have_k;
                        q.in_values = v_flag;
                        q.in_data = have_d;
                }
                putchar('\n');
                find_tree(&q, h, path, len, NULL, 0, true);
                printf("End of search: %u match(es) found.\n", q.matches);
                ret = q.matches ? 0 : 1;
        } else if (v_flag || ve) {
                q.by_name = true;
                if (q.recurse) {
                        putchar('\n');
                        query_value_tree(&q, h, path, len);
                        printf("End of search: %u match(es) found.\n", q.matches);
                        ret = q.matches ? 0 : 1;
                } else {
                        struct value v;
                        st = get_value(h, q.vname, &v);
                        if (st == ERROR_SUCCESS && shown_type(&q, v.type)) {
                                struct buf b;
                                buf_init(&b, 0);
                                format_value_line(&b, q.vname, q.vname ? q.vname_len : 0, v.type,
                                                  v.data, v.size, q.sep);
                                putchar('\n');
                                print_path(path, len);
                                fputs(buf_str(&b), stdout);
                                putchar('\n');
                                buf_free(&b);
                                ret = 0;
                        } else if (st == ERROR_FILE_NOT_FOUND && ve) {
                                /* reg.exe shows an unset default value rather than failing. */
                                putchar('\n');
                                print_path(path, len);
                                puts("    (Default)    REG_SZ    (value not set)\n");
                                ret = 0;
                        } else
                                ret = status_error(st == ERROR_SUCCESS ? ERROR_FILE_NOT_FOUND : st);
                        if (st == ERROR_SUCCESS)
                                free(v.data);
                }
        } else {
                putchar('\n');
                query_all(&q, h, path, len, false);
                ret = 0;
        }
out:
        free(q.vname);
        free(q.pattern);
        free(path);
        RegCloseKey(h);
        free(k.text);
        return ret;
}

/* ---- reg add ------------------------------------------------------------------------- */

static bool parse_number(const WCHAR *s, size_t n, uint64_t max, bool allow_minus, uint64_t *ret) {
        uint64_t v = 0;
        size_t i = 0;
        bool neg = false, hex = false;

        if (allow_minus && n > 0 && s[0] == '-') {
                neg = true;
                i = 1;
        }
        if (!neg && n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                hex = true;
                i += 2;
        }
        if (i == n)
                return false;
        for (; i < n; i++) {
                unsigned d;
                if (s[i] >= '0' && s[i] <= '9')
                        d = s[i] - '0';
                else if (hex && s[i] >= 'a' && s[i] <= 'f')
                        d = s[i] - 'a' + 10;
                else if (hex && s[i] >= 'A' && s[i] <= 'F')
                        d = s[i] - 'A' + 10;
                else
                        return false;
                unsigned base = hex ? 16 : 10;
                if (v > (max - d) / base)
                        return false;
                v = v * base + d;
        }
        *ret = neg ? (uint64_t)0 - v : v;
        return true;
}

static void put_units_le(struct buf *b, const WCHAR *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                buf_put_u16le(b, s[i]);
}

/*
 * /d DATA for a type, as reg.exe converts it (Wine's tests pin the corner cases).
 * data may be NULL (no /d).  Returns false for data the type cannot take.
 */
static bool make_data(DWORD type, const WCHAR *d, size_t n, bool have_d, const WCHAR *sep,
                      size_t sep_len, struct buf *out) {
        uint64_t v;

        switch (type) {
        case REG_SZ:
        case REG_EXPAND_SZ:
        case REG_NONE:
                put_units_le(out, d, have_d ? n : 0);
                buf_put_u16le(out, 0);
                return true;
        case REG_DWORD:
        case REG_DWORD_BIG_ENDIAN:
                if (!have_d || !parse_number(d, n, UINT32_MAX, false, &v))
                        return false;
                buf_put_u32le(out, (uint32_t)v);  /* little-endian for BIG_ENDIAN too, as Windows */
                return true;
        case REG_QWORD:
                if (have_d && !parse_number(d, n, UINT64_MAX, true, &v))
                        return false;
                buf_put_u64le(out, have_d ? v : 0);
                return true;
        case REG_BINARY: {
                size_t i = 0;
                if (!have_d)
                        return true;
                for (size_t k = 0; k < n; k++)
                        if (!((d[k] >= '0' && d[k] <= '9') || (d[k] >= 'a' && d[k] <= 'f') ||
                              (d[k] >= 'A' && d[k] <= 'F')))
                                return false;
#define NIB(c) ((c) <= '9' ? (c) - '0' : ((c) | 0x20) - 'a' + 10)
                if (n % 2) {
                        buf_put_u8(out, (uint8_t)NIB(d[0]));  /* odd: the first nibble alone */
                        i = 1;
                }
                for (; i < n; i += 2)
                        buf_put_u8(out, (uint8_t)(NIB(d[i]) << 4 | NIB(d[i + 1])));
#undef NIB
                return true;
        }
        case REG_MULTI_SZ: {
                if (!have_d || n == 0) {
                        buf_put_u16le(out, 0);
                        return true;
                }
                if (n == sep_len && memcmp(d, sep, sep_len * sizeof(WCHAR)) == 0) {
                        buf_put_u16le(out, 0);  /* "/d SEP": one empty string */
                        buf_put_u16le(out, 0);
                        return true;
                }
                size_t start = 0;
                for (size_t i = 0; i <= n;) {
                        bool at_sep = i + sep_len <= n &&
                                      memcmp(d + i, sep, sep_len * sizeof(WCHAR)) == 0;
                        if (i < n && !at_sep) {
                                i++;
                                continue;
                        }
                        if (i == start) {
                                if (i == n)
                                        break;  /* a trailing separator ends the list */
                                return false;   /* empty string inside the list */
                        }
                        put_units_le(out, d + start, i - start);
                        buf_put_u16le(out, 0);
                        if (i == n)
                                break;
                        i += sep_len;
                        start = i;
                }
                buf_put_u16le(out, 0);
                return true;
        }
        default:
                return false;
        }
}

static void usage_add(void) {
        puts("REG ADD KeyName [/v ValueName | /ve] [/t Type] [/s Separator] [/d Data] [/f]\n"
             "        [/reg:32 | /reg:64]\n"
             "\n"
             "  /v    value name to add (default: the default value, as /ve)\n"
             "  /ve   the default value (empty name)\n"
             "  /t    REG_SZ (default), REG_MULTI_SZ, REG_EXPAND_SZ, REG_DWORD, REG_QWORD,\n"
             "        REG_BINARY, REG_NONE\n"
             "  /s    one-character separator for REG_MULTI_SZ data (default \\0)\n"
             "  /d    data: text; a decimal or 0x number for REG_DWORD and REG_QWORD; hex\n"
             "        digits for REG_BINARY\n"
             "  /f    overwrite an existing value without asking (without /f and without\n"
             "        a terminal to ask on, reg refuses)");
}

static int do_add(int argc, char **argv) {
        const char *vname = NULL, *type_arg = NULL, *sep_arg = NULL, *data_arg = NULL;
        bool ve = false, force = false, bad_view = false;
        int view = 0, ret;
        struct keyarg k;
        DWORD type = REG_SZ, disp;
        HKEY h;

        if (argc == 1 && is_help(argv[0])) {
                usage_add();
                return 0;
        }
        if (argc < 1 || argv[0][0] == '/' || argv[0][0] == '-')
                return syntax_error();
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char **slot = is_switch(a, "v") ? &vname : is_switch(a, "t") ? &type_arg
                                    : is_switch(a, "s") ? &sep_arg : is_switch(a, "d") ? &data_arg
                                    : NULL;
                if (slot) {
                        if (*slot || i + 1 >= argc)
                                return syntax_error();
                        *slot = argv[++i];
                } else if (is_switch(a, "ve")) {
                        if (ve)
                                return syntax_error();
                        ve = true;
                } else if (is_switch(a, "f")) {
                        if (force)
                                return syntax_error();
                        force = true;
                } else if (!view_switch(a, &view, &bad_view))
                        return syntax_error();
        }
        if (bad_view || (vname && ve) || (type_arg && !parse_type(type_arg, &type)))
                return syntax_error();
        if (type == REG_QWORD_LITTLE_ENDIAN)
                type = REG_QWORD;

        WCHAR *sep = NULL, *data = NULL, *name = NULL;
        size_t sep_len = 2, data_len = 0, name_len = 0;
        if (sep_arg) {
                sep = to_utf16(sep_arg, &sep_len);
                if (!sep || sep_len != 1) {
                        free(sep);
                        return syntax_error();
                }
        } else {
                sep = xmalloc(3 * sizeof(WCHAR));
                sep[0] = '\\';
                sep[1] = '0';
                sep[2] = 0;
        }
        if (data_arg && !(data = to_utf16(data_arg, &data_len))) {
                free(sep);
                return syntax_error();
        }
        if (vname && !(name = to_utf16(vname, &name_len))) {
                free(sep);
                free(data);
                return syntax_error();
        }
        struct buf bytes;
        buf_init(&bytes, 0);
        if (name_len > DCOM_REG_MAX_VALUE_NAME ||
            !make_data(type, data, data_len, data_arg != NULL, sep, sep_len, &bytes)) {
                ret = syntax_error();
                goto out;
        }
        if (bytes.error) {
                ret = status_error(ERROR_OUTOFMEMORY);
                goto out;
        }
        if (parse_key(argv[0], false, &k)) {
                ret = 1;
                goto out;
        }

        LSTATUS st = RegCreateKeyExW(k.root, k.sub, 0, NULL, REG_OPTION_NON_VOLATILE,
                                     KEY_ALL_ACCESS, NULL, &h, &disp);
        if (st != ERROR_SUCCESS) {
                ret = status_error(st);
                free(k.text);
                goto out;
        }
        const WCHAR *vn = name_len ? name : NULL;
        if (!force && RegQueryValueExW(h, vn, NULL, NULL, NULL, NULL) == ERROR_SUCCESS &&
            !confirm_value_overwrite(name, name_len)) {
                ret = canceled();
        } else {
                st = RegSetValueExW(h, vn, 0, type, bytes.data, (DWORD)bytes.len);
                if (st != ERROR_SUCCESS)
                        ret = status_error(st);
                else {
                        puts(MSG_SUCCESS);
                        ret = 0;
                }
        }
        RegCloseKey(h);
        free(k.text);
out:
        buf_free(&bytes);
        free(sep);
        free(data);
        free(name);
        return ret;
}

/* ---- reg delete ---------------------------------------------------------------------- */

static void usage_delete(void) {
        puts("REG DELETE KeyName [/v ValueName | /ve | /va] [/f] [/reg:32 | /reg:64]\n"
             "\n"
             "  /v    deletes one value       /ve   deletes the default value\n"
             "  /va   deletes all values of the key (not its subkeys' values)\n"
             "  /f    deletes without asking (needed when stdin is not a terminal)\n"
             "  Without /v, /ve or /va the key is deleted with all its subkeys.");
}

static int do_delete(int argc, char **argv) {
        const char *vname = NULL;
        bool ve = false, va = false, force = false, bad_view = false;
        int view = 0, ret = 1;
        struct keyarg k;
        HKEY h;

        if (argc == 1 && is_help(argv[0])) {
                usage_delete();
                return 0;
        }
        if (argc < 1 || argv[0][0] == '/' || argv[0][0] == '-')
                return syntax_error();
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                bool *flag = is_switch(a, "ve") ? &ve : is_switch(a, "va") ? &va
                             : is_switch(a, "f") ? &force : NULL;
                if (is_switch(a, "v")) {
                        if (vname || i + 1 >= argc)
                                return syntax_error();
                        vname = argv[++i];
                } else if (flag) {
                        if (*flag)
                                return syntax_error();
                        *flag = true;
                } else if (!view_switch(a, &view, &bad_view))
                        return syntax_error();
        }
        if (bad_view || (vname ? 1 : 0) + ve + va > 1)
                return syntax_error();
        if (parse_key(argv[0], false, &k))
                return 1;

        LSTATUS st = RegOpenKeyExW(k.root, k.sub, 0, KEY_ALL_ACCESS, &h);
        if (st != ERROR_SUCCESS) {
                free(k.text);
                return status_error(st);
        }
        WCHAR *path = key_path(&k);
        struct buf q;
        buf_init(&q, 0);

        if (!vname && !ve && !va) {
                buf_put_str(&q, "Permanently delete the registry key ");
                buf_put_utf16(&q, path, dcom_utf16_len(path));
                if (!force && !confirm(&q)) {
                        ret = canceled();
                        goto out;
                }
                RegCloseKey(h);
                h = NULL;
                st = RegDeleteTreeW(k.root, k.sub);
                ret = st == ERROR_SUCCESS ? (puts(MSG_SUCCESS), 0) : status_error(st);
        } else if (va) {
                buf_put_str(&q, "Delete all values under the registry key ");
                buf_put_utf16(&q, path, dcom_utf16_len(path));
                if (!force && !confirm(&q)) {
                        ret = canceled();
                        goto out;
                }
                /* Names first, then delete: deleting while enumerating shifts indexes. */
                WCHAR **names = NULL;
                size_t n = 0;
                for (DWORD i = 0;; i++) {
                        struct value v;
                        if (enum_value(h, i, &v) != ERROR_SUCCESS)
                                break;
                        names = xrealloc(names, (n + 1) * sizeof *names);
                        names[n++] = v.name;
                        free(v.data);
                }
                st = ERROR_SUCCESS;
                for (size_t i = 0; i < n; i++) {
                        if (st == ERROR_SUCCESS)
                                st = RegDeleteValueW(h, names[i][0] ? names[i] : NULL);
                        free(names[i]);
                }
                free(names);
                ret = st == ERROR_SUCCESS ? (puts(MSG_SUCCESS), 0) : status_error(st);
        } else {
                size_t nl = 0;
                WCHAR *name = vname ? to_utf16(vname, &nl) : NULL;
                if (vname && !name) {
                        ret = syntax_error();
                        goto out;
                }
                const WCHAR *vn = nl ? name : NULL;
                st = RegQueryValueExW(h, vn, NULL, NULL, NULL, NULL);
                if (st != ERROR_SUCCESS) {
                        free(name);
                        ret = status_error(st);
                        goto out;
                }
                buf_put_str(&q, "Delete the registry value ");
                if (nl)
                        buf_put_utf16(&q, name, nl);
                else
                        buf_put_str(&q, "(Default)");
                if (!force && !confirm(&q)) {
                        free(name);
                        ret = canceled();
                        goto out;
                }
                st = RegDeleteValueW(h, vn);
                free(name);
                ret = st == ERROR_SUCCESS ? (puts(MSG_SUCCESS), 0) : status_error(st);
        }
out:
        buf_free(&q);
        free(path);
        if (h)
                RegCloseKey(h);
        free(k.text);
        return ret;
}

/* ---- reg copy ------------------------------------------------------------------------ */

/*
 * reg copy works in three steps: read the whole source (sub)tree into memory, ask the
 * overwrite questions against the destination as it is, then write everything in one
 * transaction.  Reading first makes a copy into the source's own subtree (also
 * through an alias such as HKCR\X = HKLM\Software\Classes\X) copy what was there
 * instead of chasing its own writes; asking before the transaction keeps the hives
 * unlocked while a prompt waits for an answer.
 */
struct copy_node {
        WCHAR *name;
        size_t name_len;
        struct value *values;
        size_t n_values;
        struct copy_node *children;
        size_t n_children;
};

static void copy_node_done(struct copy_node *n) {
        for (size_t i = 0; i < n->n_values; i++)
                value_done(&n->values[i]);
        free(n->values);
        for (size_t i = 0; i < n->n_children; i++)
                copy_node_done(&n->children[i]);
        free(n->children);
        free(n->name);
}

static LSTATUS copy_read(HKEY src, bool recurse, struct copy_node *out) {
        LSTATUS st;

        for (DWORD i = 0;; i++) {
                struct value v;
                st = enum_value(src, i, &v);
                if (st == ERROR_NO_MORE_ITEMS)
                        break;
                if (st != ERROR_SUCCESS)
                        return st;
                struct value *t = realloc(out->values, (out->n_values + 1) * sizeof *t);
                if (!t) {
                        value_done(&v);
                        return ERROR_OUTOFMEMORY;
                }
                out->values = t;
                out->values[out->n_values++] = v;
        }
        for (DWORD i = 0; recurse; i++) {
                size_t n;
                WCHAR *name = enum_key(src, i, &n, &st);
                HKEY s;
                if (!name)
                        return st == ERROR_NO_MORE_ITEMS ? ERROR_SUCCESS : st;
                struct copy_node *t = realloc(out->children, (out->n_children + 1) * sizeof *t);
                if (!t) {
                        free(name);
                        return ERROR_OUTOFMEMORY;
                }
                out->children = t;
                struct copy_node *c = &out->children[out->n_children++];
                *c = (struct copy_node){ .name = name, .name_len = n };
                st = RegOpenKeyExW(src, name, 0, KEY_READ, &s);
                if (st != ERROR_SUCCESS)
                        return st;
                st = copy_read(s, true, c);
                RegCloseKey(s);
                if (st != ERROR_SUCCESS)
                        return st;
        }
        return ERROR_SUCCESS;
}

/* Asks before each overwrite in dst (which may be NULL: nothing there yet); false = cancel. */
static bool copy_confirm(HKEY dst, const struct copy_node *n) {
        if (!dst)
                return true;
        for (size_t i = 0; i < n->n_values; i++) {
                const struct value *v = &n->values[i];
                if (RegQueryValueExW(dst, v->name_len ? v->name : NULL, NULL, NULL, NULL, NULL) ==
                            ERROR_SUCCESS &&
                    !confirm_value_overwrite(v->name, v->name_len))
                        return false;
        }
        for (size_t i = 0; i < n->n_children; i++) {
                HKEY d = NULL;
                bool ok;
                if (RegOpenKeyExW(dst, n->children[i].name, 0, KEY_READ, &d) != ERROR_SUCCESS)
                        d = NULL;
                ok = copy_confirm(d, &n->children[i]);
                if (d)
                        RegCloseKey(d);
                if (!ok)
                        return false;
        }
        return true;
}

static LSTATUS copy_write(HKEY dst, const struct copy_node *n) {
        LSTATUS st;

        for (size_t i = 0; i < n->n_values; i++) {
                const struct value *v = &n->values[i];
                st = RegSetValueExW(dst, v->name_len ? v->name : NULL, 0, v->type, v->data,
                                    (DWORD)v->size);
                if (st != ERROR_SUCCESS)
                        return st;
        }
        for (size_t i = 0; i < n->n_children; i++) {
                HKEY d;
                st = RegCreateKeyExW(dst, n->children[i].name, 0, NULL, REG_OPTION_NON_VOLATILE,
                                     KEY_ALL_ACCESS, NULL, &d, NULL);
                if (st != ERROR_SUCCESS)
                        return st;
                st = copy_write(d, &n->children[i]);
                RegCloseKey(d);
                if (st != ERROR_SUCCESS)
                        return st;
        }
        return ERROR_SUCCESS;
}

static void usage_copy(void) {
        puts("REG COPY KeyName1 KeyName2 [/s] [/f] [/reg:32 | /reg:64]\n"
             "\n"
             "  Copies the values of KeyName1 into KeyName2 (created if needed).\n"
             "  /s    copies all subkeys and their values too\n"
             "  /f    overwrites existing values without asking (needed when stdin is not a\n"
             "        terminal)\n"
             "  The copy is one transaction: cancelling or a failure leaves KeyName2 as it was.");
}

/* a is b, or (descendant) lies below b. */
static bool same_or_below(const struct keyarg *a, const struct keyarg *b, bool descendant) {
        if (a->root != b->root)
                return false;
        if (dcom_utf16_casecmp(a->sub, a->sub_len, b->sub, b->sub_len) == 0)
                return true;
        return descendant && a->sub_len > b->sub_len && a->sub[b->sub_len] == '\\' &&
               dcom_utf16_casecmp(a->sub, b->sub_len, b->sub, b->sub_len) == 0;
}

static int do_copy(int argc, char **argv) {
        bool recurse = false, force = false, bad_view = false, was_canceled = false;
        int view = 0;
        struct keyarg src, dst;
        HKEY s, d;

        if (argc == 1 && is_help(argv[0])) {
                usage_copy();
                return 0;
        }
        if (argc < 2 || argv[0][0] == '/' || argv[0][0] == '-' || argv[1][0] == '/' ||
            argv[1][0] == '-')
                return syntax_error();
        for (int i = 2; i < argc; i++) {
                bool *flag = is_switch(argv[i], "s") ? &recurse : is_switch(argv[i], "f") ? &force
                                                                                          : NULL;
                if (flag) {
                        if (*flag)
                                return syntax_error();
                        *flag = true;
                } else if (!view_switch(argv[i], &view, &bad_view))
                        return syntax_error();
        }
        if (bad_view)
                return syntax_error();
        if (parse_key(argv[0], false, &src))
                return 1;
        if (parse_key(argv[1], false, &dst)) {
                free(src.text);
                return 1;
        }
        int ret = 1;
        if (same_or_below(&dst, &src, recurse)) {
                /* ours: reg.exe refuses a copy onto itself; below itself would not end */
                fputs(recurse ? "ERROR: The destination key cannot be the source key or one of its subkeys.\n"
                              : "ERROR: The source and destination keys cannot be the same.\n",
                      stderr);
                goto out;
        }
        LSTATUS st = RegOpenKeyExW(src.root, src.sub, 0, KEY_READ, &s);
        if (st != ERROR_SUCCESS) {
                ret = status_error(st);
                goto out;
        }
        struct copy_node tree = { 0 };
        st = copy_read(s, recurse, &tree);
        RegCloseKey(s);
        if (st == ERROR_SUCCESS && !force) {
                HKEY existing = NULL;
                if (RegOpenKeyExW(dst.root, dst.sub, 0, KEY_READ, &existing) != ERROR_SUCCESS)
                        existing = NULL;
                was_canceled = !copy_confirm(existing, &tree);
                if (existing)
                        RegCloseKey(existing);
        }
        if (st == ERROR_SUCCESS && !was_canceled) {
                st = dcom_reg_begin();
                if (st == ERROR_SUCCESS) {
                        st = RegCreateKeyExW(dst.root, dst.sub, 0, NULL, REG_OPTION_NON_VOLATILE,
                                             KEY_ALL_ACCESS, NULL, &d, NULL);
                        if (st == ERROR_SUCCESS) {
                                st = copy_write(d, &tree);
                                RegCloseKey(d);
                        }
                        if (st == ERROR_SUCCESS)
                                st = dcom_reg_commit();
                        else
                                dcom_reg_rollback();
                }
        }
        copy_node_done(&tree);
        if (was_canceled)
                ret = canceled();
        else if (st != ERROR_SUCCESS)
                ret = status_error(st);
        else {
                puts(MSG_SUCCESS);
                ret = 0;
        }
out:
        free(src.text);
        free(dst.text);
        return ret;
}

/* ---- reg export / import ------------------------------------------------------------- */

static void usage_export(void) {
        puts("REG EXPORT KeyName FileName [/y] [/reg:4] [/reg:32 | /reg:64]\n"
             "\n"
             "  Writes the key and everything under it to FileName as regedit does:\n"
             "  \"Windows Registry Editor Version 5.00\", UTF-16LE with BOM and CRLF.\n"
             "  /y      overwrites an existing file without asking (needed when stdin is\n"
             "          not a terminal)\n"
             "  /reg:4  writes the older REGEDIT4 format instead (UTF-8 text)");
}

static int do_export(int argc, char **argv) {
        bool overwrite = false, v4 = false, bad_view = false;
        int view = 0, ret = 1;
        struct keyarg k;
        struct buf out;
        char *err = NULL;
        struct stat st;

        if (argc == 1 && is_help(argv[0])) {
                usage_export();
                return 0;
        }
        force_switch = "/y";
        /* FILE may start with '/' (an absolute path): it is positional, never a switch. */
        if (argc < 2 || argv[0][0] == '/' || argv[0][0] == '-')
                return syntax_error();
        for (int i = 2; i < argc; i++) {
                bool *flag = is_switch(argv[i], "y") ? &overwrite : is_switch(argv[i], "reg:4") ? &v4
                                                                                                 : NULL;
                if (flag) {
                        if (*flag)
                                return syntax_error();
                        *flag = true;
                } else if (!view_switch(argv[i], &view, &bad_view))
                        return syntax_error();
        }
        if (bad_view)
                return syntax_error();
        if (parse_key(argv[0], true, &k))
                return 1;

        buf_init(&out, 0);
        int r = regfile_export(k.root, k.sub, v4 ? REGFILE_V4 : REGFILE_V5, &out, &err);
        if (r == -ENOENT) {
                ret = status_error(ERROR_FILE_NOT_FOUND);
                goto out;
        }
        if (r == -ENOMEM) {
                ret = status_error(ERROR_OUTOFMEMORY);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "ERROR: %s\n", err ? err : "cannot export the key");
                goto out;
        }
        if (stat(argv[1], &st) == 0 && !overwrite) {
                struct buf q;
                buf_init(&q, 0);
                buf_put_str(&q, "File ");
                buf_put_str(&q, argv[1]);
                buf_put_str(&q, " already exists. Overwrite");
                bool yes = confirm(&q);
                buf_free(&q);
                if (!yes) {
                        ret = canceled();
                        goto out;
                }
        }
        FILE *f = fopen(argv[1], "wb");
        if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
                fprintf(stderr, "ERROR: Cannot write %s: %s\n", argv[1], strerror(errno));
                goto out;
        }
        puts(MSG_SUCCESS);
        ret = 0;
out:
        dcom_free(err);
        buf_free(&out);
        free(k.text);
        return ret;
}

static void usage_import(void) {
        puts("REG IMPORT FileName [/reg:32 | /reg:64]\n"
             "\n"
             "  Applies a .reg file (\"Windows Registry Editor Version 5.00\" in UTF-16 or\n"
             "  UTF-8, or \"REGEDIT4\" read as UTF-8) in one transaction: a malformed line or\n"
             "  a failing change leaves the registry as it was.");
}

static int do_import(int argc, char **argv) {
        bool bad_view = false;
        int view = 0, ret = 1;
        struct regfile *rf = NULL;
        char *err = NULL;
        uint8_t *data = NULL;
        size_t size = 0, cap = 0;
        FILE *f;

        if (argc == 1 && is_help(argv[0])) {
                usage_import();
                return 0;
        }
        /* FILE may start with '/' (an absolute path): it is positional, never a switch. */
        if (argc < 1 || is_help(argv[0]) || view_switch(argv[0], &view, &bad_view))
                return syntax_error();
        for (int i = 1; i < argc; i++)
                if (!view_switch(argv[i], &view, &bad_view))
                        return syntax_error();
        if (bad_view)
                return syntax_error();

        f = fopen(argv[0], "rb");
        if (!f) {
                /* reg.exe's sentence, then which file and why (ours) */
                fprintf(stderr, "ERROR: Error opening the file. There may be a disk or file system "
                        "error.\nreg: cannot open %s: %s\n", argv[0], strerror(errno));
                return 1;
        }
        for (;;) {
                if (size == cap) {
                        cap = cap ? cap * 2 : 65536;
                        data = xrealloc(data, cap);
                }
                size_t n = fread(data + size, 1, cap - size, f);
                if (n == 0)
                        break;
                size += n;
        }
        if (ferror(f)) {
                fprintf(stderr, "ERROR: cannot read %s: %s\n", argv[0], strerror(errno));
                fclose(f);
                free(data);
                return 1;
        }
        fclose(f);

        int r = regfile_parse(data, size, argv[0], &rf, &err);
        if (r < 0) {
                if (err)
                        fprintf(stderr, "reg: %s\n", err);
                else
                        status_error(ERROR_OUTOFMEMORY);
                goto out;
        }
        LSTATUS st = regfile_apply(rf, &err);
        if (st != ERROR_SUCCESS) {
                if (err)
                        fprintf(stderr, "reg: %s\n", err);
                else
                        status_error(st);
                goto out;
        }
        puts(MSG_SUCCESS);
        ret = 0;
out:
        dcom_free(err);
        regfile_free(rf);
        free(data);
        return ret;
}

/* ---- main ---------------------------------------------------------------------------- */

static void usage(void) {
        puts("REG Operation [Parameter List]\n"
             "\n"
             "Reads and changes the OpenDCOM registry with the commands, switches, output and\n"
             "exit codes of Windows' reg.exe.\n"
             "\n"
             "  Operation  [ QUERY | ADD | DELETE | COPY | EXPORT | IMPORT ]\n"
             "\n"
             "Return Code:\n"
             "\n"
             "  0 - Successful (or a question answered no)\n"
             "  1 - Failed (also: a question that cannot be asked because standard input is\n"
             "      not a terminal -- use /f)\n"
             "\n"
             "For help on a specific operation type:\n"
             "\n"
             "  REG Operation /?\n"
             "\n"
             "Examples:\n"
             "\n"
             "  reg query 'HKLM\\Software\\Microsoft\\Ole'\n"
             "  reg add 'HKCU\\Software\\Example' /v Level /t REG_DWORD /d 2 /f\n"
             "\n"
             "  REG /?, -h, --help   show this help;  REG --version   show the version\n"
             "\n"
             "The registry lives under $OPENDCOM_ROOT, by default /var/lib/opendcom for root and\n"
             "$XDG_STATE_HOME/opendcom for other users: see reg(1) and opendcom(7).");
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                const char *upper;
                int (*fn)(int argc, char **argv);
        } ops[] = {
                { "query", "QUERY ", do_query },
                { "add", "ADD ", do_add },
                { "delete", "DELETE ", do_delete },
                { "copy", "COPY ", do_copy },
                { "export", "EXPORT ", do_export },
                { "import", "IMPORT ", do_import },
        };

        if (argc == 2 && is_help(argv[1])) {
                usage();
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "--version") == 0) {
                printf("reg (OpenDCOM) %s\n", OPENDCOM_VERSION);
                return 0;
        }
        if (argc < 2)
                return syntax_error();
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
                if (strcasecmp(argv[1], ops[i].name) == 0) {
                        op_name = ops[i].upper;
                        return ops[i].fn(argc - 2, argv + 2);
                }
        return syntax_error();
}
