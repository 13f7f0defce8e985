/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .reg files: the parser (text -> operation list), the writer (operation list or a
 * registry subtree -> text) and the transaction that applies a parsed file.  See
 * regfile.h for the two formats.
 *
 * Grammar read here (one logical line each; leading blanks are ignored):
 *
 *   header      "Windows Registry Editor Version 5.00" | "REGEDIT4"   (first line)
 *   blank line, or a comment: ";..." or "#..." (anywhere) and ";..." after data
 *   [ROOT\path]          create/open a key      [-ROOT\path]   delete a key tree
 *   "name"=DATA | @=DATA set a value            "name"=- | @=-  delete a value
 *   DATA        "string"            REG_SZ, escapes \\ and \" only
 *               dword:1 to 8 hex digits
 *               hex:bytes           REG_BINARY
 *               hex(T):bytes        type T (1 to 8 hex digits), bytes "xx,xx,..."; a
 *                                   "\" after a comma continues them on the next line
 *
 * Where regedit silently skips a line it cannot read, we refuse the file, so a typo
 * never half-applies.  The limits are Windows' (winreg.h): key names of 255
 * characters, value names of 16383, 512 levels, and our 16 MiB per value.
 *
 * Writing follows regedit: CRLF lines, a blank line before each key, hex data wrapped
 * before column 80 with ",\" and a two-space indent (the same columns as reg.exe export,
 * pinned by Wine's tests), lower-case hex.  Windows writes any REG_SZ as "...": data
 * after an embedded NUL is lost (Wine's tests show it), and so are a missing or doubled
 * terminator; a CR or LF inside the quotes would end the line (Wine writes \r and \n
 * escapes, which Windows' grammar does not have).  We write such data as hex(1):
 * instead, which reads back to the identical bytes everywhere.  Likewise a REG_DWORD
 * that is not 4 bytes long goes out as hex(4):.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dcom/status.h>
#include <dcom/utf16.h>

#include "base/base-internal.h"
#include "base/utf16.h"
#include "registry/regfile.h"

static LOG_CHANNEL(registry);

static const char header_v5[] = "Windows Registry Editor Version 5.00";
static const char header_v4[] = "REGEDIT4";

/* ---- Root keys and paths ------------------------------------------------------------ */

static const struct {
        HKEY key;
        const char *name;
        const WCHAR *long_name;
        const WCHAR *short_name;
} roots[] = {
        { HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE", u"HKEY_LOCAL_MACHINE", u"HKLM" },
        { HKEY_CURRENT_USER, "HKEY_CURRENT_USER", u"HKEY_CURRENT_USER", u"HKCU" },
        { HKEY_CLASSES_ROOT, "HKEY_CLASSES_ROOT", u"HKEY_CLASSES_ROOT", u"HKCR" },
        { HKEY_USERS, "HKEY_USERS", u"HKEY_USERS", u"HKU" },
};

static bool root_matches(const WCHAR *path, size_t len, const WCHAR *name) {
        size_t n = dcom_utf16_len(name);

        return len >= n && dcom_utf16_casecmp(path, n, name, n) == 0 &&
               (len == n || path[n] == '\\');
}

int regfile_split_path(const WCHAR *path, size_t len, HKEY *ret_root, const WCHAR **ret_subkey) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                const WCHAR *names[2] = { roots[i].long_name, roots[i].short_name };
                for (size_t k = 0; k < 2; k++) {
                        if (!root_matches(path, len, names[k]))
                                continue;
                        size_t n = dcom_utf16_len(names[k]);
                        *ret_root = roots[i].key;
                        *ret_subkey = path + (n < len ? n + 1 : n);
                        return 0;
                }
        }
        return -EINVAL;
}

const char *regfile_root_name(HKEY root) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                if (roots[i].key == root)
                        return roots[i].name;
        return NULL;
}

int regfile_check_subkey(const WCHAR *subkey, size_t len, const char **ret_problem) {
        size_t depth = 0, start = 0;

        if (len == 0)
                return 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && subkey[i] != '\\')
                        continue;
                if (i == start) {
                        *ret_problem = "empty key name in the path (doubled or trailing backslash)";
                        return -EINVAL;
                }
                if (i - start > DCOM_REG_MAX_KEY_NAME) {
                        *ret_problem = "key name longer than 255 characters";
                        return -EINVAL;
                }
                if (++depth > DCOM_REG_MAX_DEPTH) {
                        *ret_problem = "key path deeper than 512 levels";
                        return -EINVAL;
                }
                start = i + 1;
        }
        return 0;
}

/* ---- Small helpers ------------------------------------------------------------------- */

static bool is_blank(WCHAR c) {
        return c == ' ' || c == '\t';
}

static uint16_t get_u16le(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

/*
 * s[0..n) as a quoted, printable UTF-8 string for messages, truncated to fit buf.
 * Control characters become '?', unpaired surrogates U+FFFD.
 */
static const char *quoted(char *buf, size_t size, const WCHAR *s, size_t n) {
        size_t o = 0;

        buf[o++] = '"';
        for (size_t i = 0; i < n;) {
                int32_t c = dcom_utf16_decode(s, n, &i);
                uint32_t cp = c < 0 ? 0xFFFD : (uint32_t)c;
                if (cp < 0x20 || cp == 0x7F)
                        cp = '?';
                if (o + 4 + 5 >= size) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                o += dcom_utf8_encode(cp, (uint8_t *)buf + o);
        }
        buf[o++] = '"';
        buf[o] = 0;
        return buf;
}

/* "value \"Foo\"" or "the default value (@)", for messages. */
static const char *value_desc(char *buf, size_t size, const WCHAR *name, size_t n) {
        char q[96];

        if (n == 0)
                snprintf(buf, size, "the default value (@)");
        else
                snprintf(buf, size, "value %s", quoted(q, sizeof q, name, n));
        return buf;
}

/* dcom_malloc()ed printf; NULL on out of memory. */
static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
        va_list ap;
        int n;
        char *s;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return NULL;
        s = dcom_malloc((size_t)n + 1);
        if (!s)
                return NULL;
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return s;
}

static const char *status_text(LSTATUS st) {
        const struct dcom_status_info *info = dcom_status_lookup(DCOM_STATUS_WIN32, (uint32_t)st);

        return info ? info->text : "unknown error";
}

/* ---- Operation lists ----------------------------------------------------------------- */

static void op_done(struct regfile_op *op) {
        if (op->kind == REGFILE_KEY || op->kind == REGFILE_DELETE_KEY)
                dcom_free(op->path);
        dcom_free(op->name);
        dcom_free(op->data);
}

void regfile_free(struct regfile *f) {
        if (!f)
                return;
        for (size_t i = 0; i < f->n_ops; i++)
                op_done(&f->ops[i]);
        dcom_free(f->ops);
        dcom_free(f->filename);
        dcom_free(f);
}

/* ---- Decoding the file to UTF-16 ----------------------------------------------------- */

struct parser {
        const char *filename;
        WCHAR *text;
        size_t len;
        size_t pos;             /* start of the next physical line */
        unsigned lineno;        /* number of the current line (1-based) */
        const WCHAR *line;      /* current physical line, without its terminator */
        size_t line_len;
        struct regfile *f;
        size_t cap;
        /* The key that value lines apply to: none yet, a [KEY], or a [-KEY]. */
        enum { CUR_NONE, CUR_KEY, CUR_DELETED } cur;
        HKEY cur_root;
        WCHAR *cur_path;
        size_t cur_path_len;
        char *error;
};

/* Records "file:line: message" (first error wins).  Returns -EBADMSG, or -ENOMEM. */
static int fail(struct parser *p, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, unsigned line, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (p->error)
                return -EBADMSG;
        p->error = xprintf("%s:%u: %s", p->filename, line, msg);
        return p->error ? -EBADMSG : -ENOMEM;
}

/* Line number of byte offset off in an 8-bit or UTF-16LE buffer. */
static unsigned line_at(const uint8_t *data, size_t off, size_t unit) {
        unsigned line = 1;

        for (size_t i = 0; i + unit <= off; i += unit)
                if (data[i] == '\n' && (unit == 1 || data[i + 1] == 0))
                        line++;
        return line;
}

static int decode_utf16le(struct parser *p, const uint8_t *d, size_t size) {
        size_t n = size / 2;
        WCHAR *w;

        if (size % 2)
                return fail(p, line_at(d, size, 2),
                            "UTF-16 file with an odd number of bytes (truncated?)");
        w = dcom_malloc((n + 1) * sizeof(WCHAR));
        if (!w)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                w[i] = get_u16le(d + 2 * i);
        w[n] = 0;
        p->text = w;
        p->len = n;
        return 0;
}

static int decode_utf8(struct parser *p, const uint8_t *d, size_t size) {
        int r = dcom_utf8_to_utf16((const char *)d, size, &p->text, &p->len);

        if (r != -EILSEQ)
                return r;
        /* Find the line to blame: convert line by line up to the bad one. */
        unsigned line = 1;
        for (size_t s = 0; s < size;) {
                size_t e = s;
                WCHAR *w;
                while (e < size && d[e] != '\n')
                        e++;
                r = dcom_utf8_to_utf16((const char *)d + s, e - s, &w, NULL);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        break;
                dcom_free(w);
                s = e + 1;
                line++;
        }
        return fail(p, line, "invalid UTF-8 text (REGEDIT4 and BOM-less files are read as UTF-8)");
}

/* Fills p->text from the raw bytes: UTF-16LE (with BOM, or detected), else UTF-8. */
static int decode(struct parser *p, const uint8_t *d, size_t size) {
        unsigned line = 1;
        int r;

        if (size >= 2 && d[0] == 0xFF && d[1] == 0xFE)
                r = decode_utf16le(p, d + 2, size - 2);
        else if (size >= 2 && d[0] == 0xFE && d[1] == 0xFF)
                return fail(p, 1, "UTF-16 big-endian files are not supported; save as UTF-16LE");
        else if (size >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
                r = decode_utf8(p, d + 3, size - 3);
        else if (size >= 2 && d[0] != 0 && d[1] == 0)
                r = decode_utf16le(p, d, size);         /* UTF-16LE without its BOM */
        else
                r = decode_utf8(p, d, size);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->len;) {
                int32_t c = dcom_utf16_decode(p->text, p->len, &i);
                if (c == '\n')
                        line++;
                else if (c == 0)
                        return fail(p, line, "NUL character in the text");
                else if (c < 0)
                        return fail(p, line, "invalid UTF-16 text (unpaired surrogate)");
        }
        return 0;
}

/* ---- Parsing ------------------------------------------------------------------------- */

/* Moves to the next physical line (LF, CRLF or CR ends one).  False at the end. */
static bool next_line(struct parser *p) {
        size_t s = p->pos, e = s;

        if (s >= p->len)
                return false;
        while (e < p->len && p->text[e] != '\n' && p->text[e] != '\r')
                e++;
        p->line = p->text + s;
        p->line_len = e - s;
        if (e < p->len)
                e += (p->text[e] == '\r' && e + 1 < p->len && p->text[e + 1] == '\n') ? 2 : 1;
        p->pos = e;
        p->lineno++;
        return true;
}

static size_t skip_blanks(const WCHAR *s, size_t n, size_t i) {
        while (i < n && is_blank(s[i]))
                i++;
        return i;
}

/* Nothing but blanks and perhaps a ";" comment from i on. */
static bool rest_empty(const WCHAR *s, size_t n, size_t i) {
        i = skip_blanks(s, n, i);
        return i == n || s[i] == ';';
}

static bool ascii_prefix_ci(const WCHAR *s, size_t n, size_t i, const char *prefix) {
        for (; *prefix; prefix++, i++) {
                WCHAR c = i < n ? s[i] : 0;
                if (c >= 'A' && c <= 'Z')
                        c = (WCHAR)(c - 'A' + 'a');
                if (c != (unsigned char)*prefix)
                        return false;
        }
        return true;
}

static int add_op(struct parser *p, struct regfile_op **ret) {
        struct regfile *f = p->f;

        if (f->n_ops == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 16;
                struct regfile_op *ops = dcom_reallocarray(f->ops, cap, sizeof *ops);
                if (!ops)
                        return -ENOMEM;
                f->ops = ops;
                p->cap = cap;
        }
        *ret = &f->ops[f->n_ops++];
        **ret = (struct regfile_op){ .line = p->lineno };
        return 0;
}

/*
 * A quoted string at s[*i] == '"': appends its units to out (a buffer of WCHARs) and
 * leaves *i after the closing quote.  what names it in messages.
 */
static int parse_quoted(struct parser *p, const WCHAR *s, size_t n, size_t *i, struct buf *out,
                        const char *what) {
        size_t k = *i + 1;

        for (;;) {
                if (k >= n)
                        return fail(p, p->lineno, "unterminated %s (no closing '\"')", what);
                WCHAR c = s[k];
                if (c == '"')
                        break;
                if (c == '\\') {
                        if (k + 1 >= n)
                                return fail(p, p->lineno, "unterminated %s (no closing '\"')",
                                            what);
                        c = s[k + 1];
                        if (c != '\\' && c != '"') {
                                char q[96];
                                return fail(p, p->lineno,
                                            "unknown escape sequence \"\\%s in %s (only \\\\ and \\\" are allowed)",
                                            quoted(q, sizeof q, &c, 1) + 1 /* c" */, what);
                        }
                        k++;
                }
                buf_append(out, &c, sizeof c);
                k++;
        }
        *i = k + 1;
        return out->error;
}

/* Parses comma-separated hex bytes from s[i] on, following "\" continuations. */
static int parse_hex(struct parser *p, const WCHAR *s, size_t n, size_t i, const char *vdesc,
                     struct buf *out) {
        bool expect_byte = true;        /* at the start, or after a comma */

        for (;;) {
                i = skip_blanks(s, n, i);
                if (i == n || s[i] == ';')
                        return out->error;
                if (s[i] == '\\') {
                        if (!expect_byte)
                                return fail(p, p->lineno,
                                            "missing ',' before the '\\' continuing the data of %s",
                                            vdesc);
                        if (!rest_empty(s, n, i + 1))
                                return fail(p, p->lineno,
                                            "unexpected text after the '\\' continuing the data of %s",
                                            vdesc);
                        unsigned from = p->lineno;
                        do {
                                if (!next_line(p))
                                        return fail(p, from,
                                                    "the file ends inside the continued data of %s",
                                                    vdesc);
                                s = p->line;
                                n = p->line_len;
                                i = skip_blanks(s, n, 0);
                        } while (i == n || s[i] == ';');
                        if (s[i] == '[' || s[i] == '"' || s[i] == '@')
                                return fail(p, p->lineno,
                                            "the data of %s is continued with '\\' but this line is not hex data",
                                            vdesc);
                        continue;
                }
                if (!expect_byte)
                        return fail(p, p->lineno, "missing ',' between the hex bytes of %s", vdesc);

                size_t j = i;
                while (j < n && s[j] != ',' && !is_blank(s[j]) && s[j] != '\\' && s[j] != ';')
                        j++;
                int hi = j - i >= 1 ? hex_digit(s[i]) : -1;
                int lo = j - i == 2 ? hex_digit(s[i + 1]) : 0;
                if (j - i == 0 || j - i > 2 || hi < 0 || lo < 0) {
                        char q[96];
                        if (j == i)
                                return fail(p, p->lineno, "empty hex byte in the data of %s", vdesc);
                        return fail(p, p->lineno, "invalid hex byte %s in the data of %s",
                                    quoted(q, sizeof q, s + i, j - i), vdesc);
                }
                uint8_t b = (uint8_t)(j - i == 2 ? hi << 4 | lo : hi);
                if (out->len >= DCOM_REG_MAX_VALUE_SIZE)
                        return fail(p, p->lineno, "the data of %s is larger than 16 MiB", vdesc);
                buf_append(out, &b, 1);
                i = skip_blanks(s, n, j);
                expect_byte = i < n && s[i] == ',';
                if (expect_byte)
                        i++;
        }
}

/* REGEDIT4 string data (hex(1), hex(2), hex(7)): 8-bit bytes, read as UTF-8. */
static bool v4_text_type(DWORD type) {
        return type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ;
}

static int parse_value(struct parser *p, size_t i0) {
        const WCHAR *s = p->line;
        size_t n = p->line_len, i = i0;
        unsigned line = p->lineno;
        struct buf name, data;
        enum regfile_op_kind kind = REGFILE_SET_VALUE;
        DWORD type = REG_NONE;
        bool from_hex = false;
        char vdesc[160];
        int r;

        buf_init(&name, 0);
        buf_init(&data, 0);

        if (s[i] == '@')
                i++;
        else {
                r = parse_quoted(p, s, n, &i, &name, "value name");
                if (r < 0)
                        goto out;
        }
        size_t name_len = name.len / sizeof(WCHAR);
        value_desc(vdesc, sizeof vdesc, (const WCHAR *)name.data, name_len);
        if (name_len > DCOM_REG_MAX_VALUE_NAME) {
                r = fail(p, line, "value name longer than 16383 characters");
                goto out;
        }

        i = skip_blanks(s, n, i);
        if (i == n || s[i] != '=') {
                r = fail(p, line, "expected '=' after the name of %s", vdesc);
                goto out;
        }
        i = skip_blanks(s, n, i + 1);

        if (i < n && s[i] == '-') {
                kind = REGFILE_DELETE_VALUE;
                if (!rest_empty(s, n, i + 1)) {
                        r = fail(p, line, "unexpected text after '-' deleting %s", vdesc);
                        goto out;
                }
        } else if (i < n && s[i] == '"') {
                WCHAR nul = 0;
                type = REG_SZ;
                r = parse_quoted(p, s, n, &i, &data, "string");
                if (r < 0)
                        goto out;
                buf_append(&data, &nul, sizeof nul);
                if (!rest_empty(s, n, i)) {
                        r = fail(p, line, "unexpected text after the string data of %s", vdesc);
                        goto out;
                }
        } else if (ascii_prefix_ci(s, n, i, "dword:")) {
                size_t j = i + 6, k = j;
                uint32_t v = 0;
                while (k < n && hex_digit(s[k]) >= 0)
                        k++;
                if (k == j || k - j > 8 || !rest_empty(s, n, k)) {
                        char q[96];
                        size_t e = k;
                        while (e < n && !is_blank(s[e]) && s[e] != ';')
                                e++;
                        r = fail(p, line, "invalid dword data %s in %s (expected 1 to 8 hex digits)",
                                 quoted(q, sizeof q, s + j, (e > j ? e : k) - j), vdesc);
                        goto out;
                }
                for (size_t m = j; m < k; m++)
                        v = v << 4 | (uint32_t)hex_digit(s[m]);
                type = REG_DWORD;
                uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                                  (uint8_t)(v >> 24) };
                buf_append(&data, le, sizeof le);
        } else if (ascii_prefix_ci(s, n, i, "hex:") || ascii_prefix_ci(s, n, i, "hex(")) {
                if (s[i + 3] == ':') {
                        type = REG_BINARY;
                        i += 4;
                } else {
                        size_t j = i + 4, k = j;
                        type = 0;
                        while (k < n && hex_digit(s[k]) >= 0 && k - j < 9)
                                type = type << 4 | (DWORD)hex_digit(s[k++]);
                        if (k == j || k - j > 8 || k + 1 >= n || s[k] != ')' || s[k + 1] != ':') {
                                r = fail(p, line,
                                         "invalid type in hex(...) of %s (expected hex(0) to hex(ffffffff) followed by ':')",
                                         vdesc);
                                goto out;
                        }
                        i = k + 2;
                }
                from_hex = true;
                r = parse_hex(p, s, n, i, vdesc, &data);
                if (r < 0)
                        goto out;
        } else {
                char q[96];
                size_t e = i;
                while (e < n && e - i < 16 && s[e] != ':' && !is_blank(s[e]))
                        e++;
                if (i == n)
                        r = fail(p, line, "missing data after '=' in %s", vdesc);
                else
                        r = fail(p, line,
                                 "unknown data %s in %s (expected \"string\", dword:, hex:, hex(N): or -)",
                                 quoted(q, sizeof q, s + i, e - i), vdesc);
                goto out;
        }

        if (p->cur == CUR_NONE) {
                r = fail(p, line, "%s comes before any [KEY] line", vdesc);
                goto out;
        }
        if (p->cur == CUR_DELETED) {
                r = fail(p, line, "%s follows a key deletion [-...]; values belong under a [KEY] line",
                         vdesc);
                goto out;
        }
        if (data.error || name.error) {
                r = -ENOMEM;
                goto out;
        }

        uint8_t *bytes;
        size_t size;
        if (from_hex && p->f->format == REGFILE_V4 && v4_text_type(type)) {
                /* REGEDIT4: the bytes are 8-bit text (UTF-8 here); the registry holds UTF-16LE. */
                WCHAR *w;
                size_t units;
                r = dcom_utf8_to_utf16((const char *)data.data, data.len, &w, &units);
                if (r == -EILSEQ)
                        r = fail(p, p->lineno,
                                 "the hex(%x) data of %s is not valid UTF-8 (REGEDIT4 text is read as UTF-8)",
                                 (unsigned)type, vdesc);
                if (r < 0)
                        goto out;
                size = units * 2;
                bytes = dcom_malloc(size ? size : 1);
                if (!bytes) {
                        dcom_free(w);
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t k = 0; k < units; k++) {
                        bytes[2 * k] = (uint8_t)w[k];
                        bytes[2 * k + 1] = (uint8_t)(w[k] >> 8);
                }
                dcom_free(w);
        } else
                bytes = buf_steal(&data, &size);
        if (size > DCOM_REG_MAX_VALUE_SIZE) {
                dcom_free(bytes);
                r = fail(p, line, "the data of %s is larger than 16 MiB", vdesc);
                goto out;
        }

        struct regfile_op *op;
        r = add_op(p, &op);
        if (r < 0) {
                dcom_free(bytes);
                goto out;
        }
        op->line = line;
        op->kind = kind;
        op->root = p->cur_root;
        op->path = p->cur_path;
        op->path_len = p->cur_path_len;
        op->type = type;
        op->data = bytes;
        op->size = size;
        if (name.len == 0) {
                op->name = dcom_calloc(1, sizeof(WCHAR));
                if (!op->name) {
                        r = -ENOMEM;
                        goto out;
                }
        } else {
                WCHAR nul = 0;
                buf_append(&name, &nul, sizeof nul);
                if (name.error) {
                        r = -ENOMEM;
                        goto out;
                }
                op->name = (WCHAR *)buf_steal(&name, NULL);
        }
        op->name_len = name_len;
        r = 0;
out:
        buf_free(&name);
        buf_free(&data);
        return r;
}

static int parse_key(struct parser *p, size_t i) {
        const WCHAR *s = p->line;
        size_t n = p->line_len;
        bool del = false;
        HKEY root;
        const WCHAR *sub;
        const char *problem;
        char q[96];

        i++;                            /* '[' */
        if (i < n && s[i] == '-') {
                del = true;
                i++;
        }
        while (n > i && is_blank(s[n - 1]))
                n--;
        if (n <= i || s[n - 1] != ']')
                return fail(p, p->lineno, "missing ']' at the end of the key line");
        n--;
        const WCHAR *path = s + i;
        size_t len = n - i;
        if (len == 0)
                return fail(p, p->lineno, "empty key name in []");
        if (regfile_split_path(path, len, &root, &sub) < 0) {
                size_t e = 0;
                while (e < len && path[e] != '\\')
                        e++;
                return fail(p, p->lineno,
                            "unknown root key %s (expected HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT or HKEY_USERS)",
                            quoted(q, sizeof q, path, e));
        }
        size_t sub_len = (size_t)(path + len - sub);
        if (path[len - 1] == '\\')
                return fail(p, p->lineno, "key path %s ends with a backslash",
                            quoted(q, sizeof q, path, len));
        if (regfile_check_subkey(sub, sub_len, &problem) < 0)
                return fail(p, p->lineno, "%s: %s", problem, quoted(q, sizeof q, path, len));
        if (del && sub_len == 0)
                return fail(p, p->lineno, "cannot delete the root key %s",
                            quoted(q, sizeof q, path, len));

        WCHAR *copy = dcom_malloc((sub_len + 1) * sizeof(WCHAR));
        if (!copy)
                return -ENOMEM;
        memcpy(copy, sub, sub_len * sizeof(WCHAR));
        copy[sub_len] = 0;

        struct regfile_op *op;
        int r = add_op(p, &op);
        if (r < 0) {
                dcom_free(copy);
                return r;
        }
        op->kind = del ? REGFILE_DELETE_KEY : REGFILE_KEY;
        op->root = root;
        op->path = copy;
        op->path_len = sub_len;
        p->cur = del ? CUR_DELETED : CUR_KEY;
        p->cur_root = root;
        p->cur_path = copy;
        p->cur_path_len = sub_len;
        return 0;
}

static bool line_is(const WCHAR *s, size_t n, const char *text) {
        size_t i = skip_blanks(s, n, 0), len = strlen(text);

        while (n > i && is_blank(s[n - 1]))
                n--;
        if (n - i != len)
                return false;
        for (size_t k = 0; k < len; k++)
                if (s[i + k] != (unsigned char)text[k])
                        return false;
        return true;
}

int regfile_parse(const uint8_t *data, size_t size, const char *filename, struct regfile **ret,
                  char **ret_error) {
        struct parser p = { .filename = filename ? filename : "(input)" };
        int r;

        p.f = dcom_calloc(1, sizeof *p.f);
        if (!p.f)
                return -ENOMEM;
        p.f->filename = dcom_strdup(p.filename);
        if (!p.f->filename) {
                r = -ENOMEM;
                goto fail;
        }

        r = decode(&p, data, size);
        if (r < 0)
                goto fail;

        if (next_line(&p) && line_is(p.line, p.line_len, header_v5))
                p.f->format = REGFILE_V5;
        else if (p.lineno == 1 && line_is(p.line, p.line_len, header_v4))
                p.f->format = REGFILE_V4;
        else {
                r = fail(&p, 1, "missing header: the first line must be \"%s\" or \"%s\"",
                         header_v5, header_v4);
                goto fail;
        }

        while (next_line(&p)) {
                size_t i = skip_blanks(p.line, p.line_len, 0);
                if (i == p.line_len || p.line[i] == ';' || p.line[i] == '#')
                        continue;
                switch (p.line[i]) {
                case '[':
                        r = parse_key(&p, i);
                        break;
                case '"':
                case '@':
                        r = parse_value(&p, i);
                        break;
                default: {
                        char q[96];
                        size_t e = i;
                        while (e < p.line_len && e - i < 24)
                                e++;
                        r = fail(&p, p.lineno,
                                 "unexpected text %s (expected [KEY], \"name\"=data, @=data or a ; comment)",
                                 quoted(q, sizeof q, p.line + i, e - i));
                        break;
                }
                }
                if (r < 0)
                        goto fail;
        }

        dcom_free(p.text);
        log_debug(registry, "%s: %zu operations", p.filename, p.f->n_ops);
        *ret = p.f;
        if (ret_error)
                *ret_error = NULL;
        return 0;

fail:
        dcom_free(p.text);
        regfile_free(p.f);
        if (ret_error)
                *ret_error = p.error;
        else
                dcom_free(p.error);
        return r;
}

/* ---- Writing ------------------------------------------------------------------------- */

/* Output is built as UTF-16 units, then encoded for the format in one go. */
static void put_units(struct buf *w, const WCHAR *s, size_t n) {
        buf_append(w, s, n * sizeof(WCHAR));
}

static void put_ascii(struct buf *w, const char *s) {
        for (; *s; s++) {
                WCHAR c = (unsigned char)*s;
                buf_append(w, &c, sizeof c);
        }
}

/* Writes s with \\ and \" escaped; returns the units written. */
static size_t put_escaped(struct buf *w, const WCHAR *s, size_t n) {
        size_t count = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' || s[i] == '"') {
                        put_ascii(w, "\\");
                        count++;
                }
                put_units(w, &s[i], 1);
                count++;
        }
        return count;
}

/* A name or key path can be written: no line break or NUL, valid UTF-16. */
static bool writable_text(const WCHAR *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] == '\r' || s[i] == '\n' || s[i] == 0)
                        return false;
        return dcom_utf16_valid(s, n);
}

/*
 * REG_SZ data that reads back identically from "...": whole UTF-16 units ending in
 * exactly one NUL, with no other NUL, no CR or LF, and no unpaired surrogate.
 */
static bool clean_string(const uint8_t *data, size_t size) {
        size_t n = size / 2;
        WCHAR unit[2];

        if (size < 2 || size % 2 || get_u16le(data + size - 2) != 0)
                return false;
        for (size_t i = 0; i + 1 < n; i++) {
                WCHAR c = get_u16le(data + 2 * i);
                if (c == 0 || c == '\r' || c == '\n')
                        return false;
                /* a surrogate pairs with the next unit (not the final NUL) */
                size_t k = 0;
                unit[0] = c;
                unit[1] = i + 2 < n ? get_u16le(data + 2 * (i + 1)) : 0;
                if (dcom_utf16_decode(unit, 2, &k) < 0)
                        return false;
                i += k - 1;
        }
        return true;
}

/* UTF-16LE bytes to UTF-8 (REGEDIT4 text types); -EILSEQ if they are not UTF-16. */
static int v4_bytes(const uint8_t *data, size_t size, char **ret, size_t *ret_len) {
        WCHAR *w;
        int r;

        if (size % 2)
                return -EILSEQ;
        w = dcom_malloc(size ? size : 1);
        if (!w)
                return -ENOMEM;
        for (size_t i = 0; i < size / 2; i++)
                w[i] = get_u16le(data + 2 * i);
        r = dcom_utf16_to_utf8(w, size / 2, ret, ret_len);
        dcom_free(w);
        return r;
}

#define MAX_HEX_COLUMN 77       /* regedit wraps once a line reaches this many characters */

/*
 * One value line.  where describes the key for messages.  Returns 0, -ENOMEM, or
 * -EINVAL with *ret_error.
 */
static int put_value(struct buf *w, enum regfile_format fmt, const WCHAR *name, size_t name_len,
                     DWORD type, const uint8_t *data, size_t size, const char *where,
                     char **ret_error) {
        size_t col;
        char tmp[32], vdesc[160];

        if (name_len == 0) {
                put_ascii(w, "@=");
                col = 2;
        } else {
                if (!writable_text(name, name_len)) {
                        value_desc(vdesc, sizeof vdesc, name, name_len);
                        *ret_error = xprintf("%s in %s: the name has a line break or invalid UTF-16, which a .reg file cannot hold",
                                             vdesc, where);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                put_ascii(w, "\"");
                col = 3 + put_escaped(w, name, name_len);
                put_ascii(w, "\"=");
        }

        if (type == REG_SZ && clean_string(data, size)) {
                put_ascii(w, "\"");
                for (size_t i = 0; i + 1 < size / 2; i++) {
                        WCHAR c = get_u16le(data + 2 * i);
                        put_escaped(w, &c, 1);
                }
                put_ascii(w, "\"\r\n");
                return w->error;
        }
        if (type == REG_DWORD && size == 4) {
                snprintf(tmp, sizeof tmp, "dword:%08x", (unsigned)(data[0] | data[1] << 8 |
                                                                   data[2] << 16 |
                                                                   (uint32_t)data[3] << 24));
                put_ascii(w, tmp);
                put_ascii(w, "\r\n");
                return w->error;
        }

        char *converted = NULL;
        if (fmt == REGFILE_V4 && v4_text_type(type)) {
                size_t n;
                int r = v4_bytes(data, size, &converted, &n);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        value_desc(vdesc, sizeof vdesc, name, name_len);
                        *ret_error = xprintf("%s in %s: its data is not UTF-16 text, which REGEDIT4 cannot hold; export in version 5 format",
                                             vdesc, where);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                data = (const uint8_t *)converted;
                size = n;
        }
        if (type == REG_BINARY)
                snprintf(tmp, sizeof tmp, "hex:");
        else
                snprintf(tmp, sizeof tmp, "hex(%x):", (unsigned)type);
        put_ascii(w, tmp);
        col += strlen(tmp);
        for (size_t i = 0; i < size; i++) {
                snprintf(tmp, sizeof tmp, "%02x", data[i]);
                put_ascii(w, tmp);
                if (i + 1 == size)
                        break;
                put_ascii(w, ",");
                col += 3;
                if (col >= MAX_HEX_COLUMN) {
                        put_ascii(w, "\\\r\n  ");
                        col = 2;
                }
        }
        put_ascii(w, "\r\n");
        dcom_free(converted);
        return w->error;
}

/* "\r\n[ROOT\path]\r\n" (or [-...]); root NULL when path already starts with it. */
static int put_key(struct buf *w, bool del, const char *root, const WCHAR *path, size_t len,
                   char **ret_error) {
        if (!writable_text(path, len)) {
                char q[200];
                quoted(q, sizeof q, path, len);
                q[strlen(q) - 1] = 0;
                *ret_error = xprintf("key %s%s%s: the name has a line break or invalid UTF-16, which a .reg file cannot hold",
                                     root ? root : "", root ? "\\" : "", q + 1);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        put_ascii(w, del ? "\r\n[-" : "\r\n[");
        if (root) {
                put_ascii(w, root);
                if (len)
                        put_ascii(w, "\\");
        }
        put_units(w, path, len);
        put_ascii(w, "]\r\n");
        return w->error;
}

/* Encodes the UTF-16 units in w for fmt and appends them to out. */
static int finish(struct buf *w, enum regfile_format fmt, struct buf *out) {
        const WCHAR *u = (const WCHAR *)w->data;
        size_t n = w->len / sizeof(WCHAR);

        if (w->error)
                return w->error;
        if (fmt == REGFILE_V5) {
                uint8_t *o = buf_extend(out, 2 + 2 * n);
                if (!o)
                        return out->error;
                o[0] = 0xFF;
                o[1] = 0xFE;
                for (size_t i = 0; i < n; i++) {
                        o[2 + 2 * i] = (uint8_t)u[i];
                        o[3 + 2 * i] = (uint8_t)(u[i] >> 8);
                }
                return 0;
        }
        char *s;
        size_t len;
        int r = dcom_utf16_to_utf8(u, n, &s, &len);
        if (r < 0)
                return r == -EILSEQ ? -EINVAL : r;      /* checked before; cannot happen */
        buf_append(out, s, len);
        dcom_free(s);
        return out->error;
}

static void put_header(struct buf *w, enum regfile_format fmt) {
        put_ascii(w, fmt == REGFILE_V5 ? header_v5 : header_v4);
        put_ascii(w, "\r\n");
}

static char *key_where(HKEY root, const WCHAR *path, size_t len) {
        char q[200];
        const char *rn = regfile_root_name(root);

        if (!len)
                return xprintf("%s", rn ? rn : "?");
        quoted(q, sizeof q, path, len);
        q[strlen(q) - 1] = 0;
        return xprintf("%s\\%s", rn ? rn : "?", q + 1);
}

int regfile_write(const struct regfile *f, enum regfile_format fmt, struct buf *out,
                  char **ret_error) {
        struct buf w;
        char *where = NULL;
        int r = 0;

        *ret_error = NULL;
        buf_init(&w, 0);
        put_header(&w, fmt);
        for (size_t i = 0; i < f->n_ops && r >= 0; i++) {
                const struct regfile_op *op = &f->ops[i];
                switch (op->kind) {
                case REGFILE_KEY:
                case REGFILE_DELETE_KEY:
                        r = put_key(&w, op->kind == REGFILE_DELETE_KEY, regfile_root_name(op->root),
                                    op->path, op->path_len, ret_error);
                        break;
                case REGFILE_SET_VALUE:
                        where = key_where(op->root, op->path, op->path_len);
                        if (!where) {
                                r = -ENOMEM;
                                break;
                        }
                        r = put_value(&w, fmt, op->name, op->name_len, op->type, op->data,
                                      op->size, where, ret_error);
                        dcom_free(where);
                        break;
                case REGFILE_DELETE_VALUE:
                        if (!writable_text(op->name, op->name_len)) {
                                *ret_error = xprintf("a value name with a line break cannot be written");
                                r = *ret_error ? -EINVAL : -ENOMEM;
                                break;
                        }
                        if (op->name_len == 0)
                                put_ascii(&w, "@");
                        else {
                                put_ascii(&w, "\"");
                                put_escaped(&w, op->name, op->name_len);
                                put_ascii(&w, "\"");
                        }
                        put_ascii(&w, "=-\r\n");
                        r = w.error;
                        break;
                }
        }
        if (r >= 0) {
                put_ascii(&w, "\r\n");
                r = finish(&w, fmt, out);
        }
        buf_free(&w);
        return r;
}

/* ---- Export -------------------------------------------------------------------------- */

struct exporter {
        struct buf w;
        enum regfile_format fmt;
        char **ret_error;
};

static int export_fail(struct exporter *e, LSTATUS st, const char *what, const WCHAR *path,
                       size_t len) {
        char q[200];

        quoted(q, sizeof q, path, len);
        *e->ret_error = xprintf("cannot %s %s: %s", what, q, status_text(st));
        return *e->ret_error ? -EIO : -ENOMEM;
}

/* path: the key's full name (root included), len units. */
static int export_tree(struct exporter *e, HKEY key, const WCHAR *path, size_t len,
                       unsigned depth) {
        DWORD n_sub = 0, max_sub = 0, n_val = 0, max_name = 0, max_data = 0;
        WCHAR *name = NULL, *child = NULL;
        uint8_t *data = NULL;
        char *where = NULL;
        LSTATUS st;
        int r;

        r = put_key(&e->w, false, NULL, path, len, e->ret_error);
        if (r < 0)
                return r;
        st = RegQueryInfoKeyW(key, NULL, NULL, NULL, &n_sub, &max_sub, NULL, &n_val, &max_name,
                              &max_data, NULL, NULL);
        if (st != ERROR_SUCCESS)
                return export_fail(e, st, "read key", path, len);

        size_t name_cap = (size_t)max_name + 1, data_cap = max_data ? max_data : 1;
        char q[200];
        quoted(q, sizeof q, path, len);
        q[strlen(q) - 1] = 0;
        where = xprintf("%s", q + 1);           /* the path for messages, unquoted */
        name = dcom_malloc(name_cap * sizeof(WCHAR));
        data = dcom_malloc(data_cap);
        if (!name || !data || !where) {
                r = -ENOMEM;
                goto out;
        }

        for (DWORD i = 0;;) {
                DWORD nl = (DWORD)name_cap, ds = (DWORD)data_cap, type;
                st = RegEnumValueW(key, i, name, &nl, NULL, &type, data, &ds);
                if (st == ERROR_NO_MORE_ITEMS)
                        break;
                if (st == ERROR_MORE_DATA) {
                        /* Changed under us, or the maxima were low: grow and retry. */
                        size_t nc = name_cap * 2, dc = ds > data_cap ? ds : data_cap * 2;
                        WCHAR *nn = dcom_reallocarray(name, nc, sizeof(WCHAR));
                        if (!nn) {
                                r = -ENOMEM;
                                goto out;
                        }
                        name = nn;
                        name_cap = nc;
                        uint8_t *nd = dcom_realloc(data, dc);
                        if (!nd) {
                                r = -ENOMEM;
                                goto out;
                        }
                        data = nd;
                        data_cap = dc;
                        continue;
                }
                if (st != ERROR_SUCCESS) {
                        r = export_fail(e, st, "read the values of", path, len);
                        goto out;
                }
                r = put_value(&e->w, e->fmt, name, nl, type, data, ds, where, e->ret_error);
                if (r < 0)
                        goto out;
                i++;
        }

        if (depth >= DCOM_REG_MAX_DEPTH) {
                r = 0;
                goto out;
        }
        size_t sub_cap = (size_t)max_sub + 1;
        child = dcom_malloc((len + 1 + sub_cap + 1) * sizeof(WCHAR));
        if (!child) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(child, path, len * sizeof(WCHAR));
        child[len] = '\\';
        for (DWORD i = 0;;) {
                DWORD nl = (DWORD)sub_cap;
                HKEY sub;
                st = RegEnumKeyExW(key, i, child + len + 1, &nl, NULL, NULL, NULL, NULL);
                if (st == ERROR_NO_MORE_ITEMS)
                        break;
                if (st == ERROR_MORE_DATA) {
                        size_t nc = sub_cap * 2;
                        WCHAR *c = dcom_reallocarray(child, len + 1 + nc + 1, sizeof(WCHAR));
                        if (!c) {
                                r = -ENOMEM;
                                goto out;
                        }
                        child = c;
                        sub_cap = nc;
                        continue;
                }
                if (st != ERROR_SUCCESS) {
                        r = export_fail(e, st, "list the subkeys of", path, len);
                        goto out;
                }
                st = RegOpenKeyExW(key, child + len + 1, 0, KEY_READ, &sub);
                if (st != ERROR_SUCCESS) {
                        r = export_fail(e, st, "open", child, len + 1 + nl);
                        goto out;
                }
                r = export_tree(e, sub, child, len + 1 + nl, depth + 1);
                RegCloseKey(sub);
                if (r < 0)
                        goto out;
                i++;
        }
        r = 0;
out:
        dcom_free(where);
        dcom_free(name);
        dcom_free(data);
        dcom_free(child);
        return r;
}

int regfile_export(HKEY key, const WCHAR *subkey, enum regfile_format fmt, struct buf *out,
                   char **ret_error) {
        struct exporter e = { .fmt = fmt, .ret_error = ret_error };
        HKEY h;
        WCHAR *path = NULL;
        LSTATUS st;
        int r;

        *ret_error = NULL;
        st = RegOpenKeyExW(key, subkey && *subkey ? subkey : NULL, 0, KEY_READ, &h);
        if (st == ERROR_FILE_NOT_FOUND)
                return -ENOENT;
        if (st != ERROR_SUCCESS) {
                *ret_error = xprintf("cannot open the key: %s", status_text(st));
                return *ret_error ? -EIO : -ENOMEM;
        }
        st = dcom_reg_key_path(h, &path);
        if (st != ERROR_SUCCESS) {
                RegCloseKey(h);
                *ret_error = xprintf("cannot get the key's name: %s", status_text(st));
                return *ret_error ? -EIO : -ENOMEM;
        }
        buf_init(&e.w, 0);
        put_header(&e.w, fmt);
        r = export_tree(&e, h, path, dcom_utf16_len(path), 0);
        if (r >= 0) {
                put_ascii(&e.w, "\r\n");
                r = finish(&e.w, fmt, out);
        }
        buf_free(&e.w);
        free(path);
        RegCloseKey(h);
        return r;
}

/* ---- Import -------------------------------------------------------------------------- */

static LSTATUS apply_fail(const struct regfile *f, const struct regfile_op *op, LSTATUS st,
                          const char *what, char **ret_error) {
        char *where = key_where(op->root, op->path, op->path_len);
        char vdesc[160];

        if (op->kind == REGFILE_SET_VALUE || op->kind == REGFILE_DELETE_VALUE)
                value_desc(vdesc, sizeof vdesc, op->name, op->name_len);
        else
                vdesc[0] = 0;
        if (ret_error) {
                if (vdesc[0])
                        *ret_error = xprintf("%s:%u: cannot %s %s in %s: %s", f->filename, op->line,
                                             what, vdesc, where ? where : "?", status_text(st));
                else
                        *ret_error = xprintf("%s:%u: cannot %s %s: %s", f->filename, op->line, what,
                                             where ? where : "?", status_text(st));
        }
        dcom_free(where);
        return st;
}

LSTATUS regfile_apply(const struct regfile *f, char **ret_error) {
        HKEY cur = NULL;
        bool opened = false;
        LSTATUS st;

        if (ret_error)
                *ret_error = NULL;
        st = dcom_reg_begin();
        if (st != ERROR_SUCCESS) {
                if (ret_error)
                        *ret_error = xprintf("%s: cannot start a registry transaction: %s",
                                             f->filename, status_text(st));
                return st;
        }
        for (size_t i = 0; i < f->n_ops; i++) {
                const struct regfile_op *op = &f->ops[i];
                const WCHAR *name = op->name_len ? op->name : NULL;

                switch (op->kind) {
                case REGFILE_KEY:
                        if (opened)
                                RegCloseKey(cur);
                        opened = false;
                        cur = op->root;
                        if (op->path_len) {
                                st = RegCreateKeyExW(op->root, op->path, 0, NULL,
                                                     REG_OPTION_NON_VOLATILE, KEY_ALL_ACCESS, NULL,
                                                     &cur, NULL);
                                if (st != ERROR_SUCCESS) {
                                        apply_fail(f, op, st, "create key", ret_error);
                                        goto fail;
                                }
                                opened = true;
                        }
                        break;
                case REGFILE_DELETE_KEY:
                        /*
                         * [-KEY] means the key is gone afterwards.  Under HKEY_CLASSES_ROOT a
                         * delete removes the user's key first, which uncovers the machine's:
                         * delete again until the merged view no longer has it.
                         */
                        for (int side = 0; side < 2; side++) {
                                st = RegDeleteTreeW(op->root, op->path);
                                if (st != ERROR_SUCCESS || op->root != HKEY_CLASSES_ROOT)
                                        break;
                        }
                        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND) {
                                apply_fail(f, op, st, "delete key", ret_error);
                                goto fail;
                        }
                        break;
                case REGFILE_SET_VALUE:
                        st = RegSetValueExW(cur, name, 0, op->type, op->data, (DWORD)op->size);
                        if (st != ERROR_SUCCESS) {
                                apply_fail(f, op, st, "set", ret_error);
                                goto fail;
                        }
                        break;
                case REGFILE_DELETE_VALUE:
                        st = RegDeleteValueW(cur, name);
                        if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND) {
                                apply_fail(f, op, st, "delete", ret_error);
                                goto fail;
                        }
                        break;
                }
        }
        if (opened)
                RegCloseKey(cur);
        st = dcom_reg_commit();
        if (st != ERROR_SUCCESS && ret_error)
                *ret_error = xprintf("%s: cannot commit the registry transaction: %s", f->filename,
                                     status_text(st));
        log_debug(registry, "%s: %zu operations applied: %d", f->filename, f->n_ops, (int)st);
        return st;

fail:
        if (opened)
                RegCloseKey(cur);
        dcom_reg_rollback();
        log_debug(registry, "%s: import rolled back: %d", f->filename, (int)st);
        return st;
}
