/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .reg files (src/registry/regfile.c): the parser on both formats and encodings, every
 * class of malformed input with its exact message, line numbers, the writer's output
 * (regedit's layout and wrapping) and its round trip through the parser, the golden
 * files in tests/data, out-of-memory loops, and import/export against a scratch
 * registry (OPENDCOM_ROOT of our own): all or nothing, export -> import identity.
 */
#include <dcom/utf16.h>
#include <dcom/winreg.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "registry/regfile.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------------------- */

/* UTF-8 text with \n line ends -> UTF-16LE with BOM and CRLF, as regedit writes. */
static uint8_t *to_v5_bytes(const char *text, size_t *ret_size) {
        struct buf b;
        WCHAR *w;
        size_t n;

        ASSERT_OK(dcom_utf8_to_utf16(text, strlen(text), &w, &n));
        buf_init(&b, 0);
        buf_put_u8(&b, 0xFF);
        buf_put_u8(&b, 0xFE);
        for (size_t i = 0; i < n; i++) {
                if (w[i] == '\n')
                        buf_put_u16le(&b, '\r');
                buf_put_u16le(&b, w[i]);
        }
        dcom_free(w);
        ASSERT_EQ(b.error, 0);
        return buf_steal(&b, ret_size);
}

static struct regfile *parse_bytes(const uint8_t *d, size_t n) {
        struct regfile *f = NULL;
        char *err = NULL;
        int r = regfile_parse(d, n, "t.reg", &f, &err);

        if (r < 0)
                test_fail(__FILE__, __LINE__, "parse failed (%d): %s", r, err ? err : "(no message)");
        ASSERT_NULL(err);
        ASSERT_NOT_NULL(f);
        return f;
}

/* Parses UTF-8 text as is. */
static struct regfile *parse8(const char *text) {
        return parse_bytes((const uint8_t *)text, strlen(text));
}

/* Parses text converted to a regedit-style UTF-16 file. */
static struct regfile *parse16(const char *text) {
        size_t n;
        uint8_t *d = to_v5_bytes(text, &n);
        struct regfile *f = parse_bytes(d, n);

        dcom_free(d);
        return f;
}

/* The message a malformed input gets (caller frees with dcom_free). */
static char *parse_error_bytes(const uint8_t *d, size_t n) {
        struct regfile *f = NULL;
        char *err = NULL;
        int r = regfile_parse(d, n, "t.reg", &f, &err);

        ASSERT_ERRNO(r, -EBADMSG);
        ASSERT_NULL(f);
        ASSERT_NOT_NULL(err);
        ASSERT_NULL(strchr(err, '\n'));
        return err;
}

#define ASSERT_PARSE_ERROR(text, msg)                                                   \
        do {                                                                            \
                char *e_ = parse_error_bytes((const uint8_t *)(text), strlen(text));    \
                ASSERT_STR_EQ(e_, msg);                                                 \
                dcom_free(e_);                                                          \
        } while (0)

#define V5 "Windows Registry Editor Version 5.00\n\n"
#define KEY "[HKEY_CURRENT_USER\\Software\\T]\n"

static bool wstr_eq(const WCHAR *w, size_t n, const WCHAR *s) {
        return n == dcom_utf16_len(s) && memcmp(w, s, n * sizeof(WCHAR)) == 0;
}

static void assert_op(const struct regfile_op *op, enum regfile_op_kind kind, HKEY root,
                      const WCHAR *path) {
        ASSERT_EQ(op->kind, kind);
        ASSERT_TRUE(op->root == root);
        ASSERT_TRUE(wstr_eq(op->path, op->path_len, path));
        ASSERT_EQ(op->path[op->path_len], 0);
}

static void assert_value(const struct regfile_op *op, const WCHAR *name, DWORD type,
                         const void *data, size_t size) {
        ASSERT_EQ(op->kind, REGFILE_SET_VALUE);
        ASSERT_TRUE(wstr_eq(op->name, op->name_len, name));
        ASSERT_EQ(op->name[op->name_len], 0);
        ASSERT_EQ(op->type, type);
        ASSERT_EQ(op->size, size);
        if (size)
                ASSERT_MEM_EQ(op->data, data, size);
}

/* Two operation lists are the same (lines and format aside). */
static bool same_ops(const struct regfile *a, const struct regfile *b) {
        if (a->n_ops != b->n_ops)
                return false;
        for (size_t i = 0; i < a->n_ops; i++) {
                const struct regfile_op *x = &a->ops[i], *y = &b->ops[i];
                if (x->kind != y->kind || x->root != y->root || x->path_len != y->path_len ||
                    memcmp(x->path, y->path, x->path_len * sizeof(WCHAR)) != 0)
                        return false;
                if (x->kind == REGFILE_KEY || x->kind == REGFILE_DELETE_KEY)
                        continue;
                if (x->name_len != y->name_len ||
                    memcmp(x->name, y->name, x->name_len * sizeof(WCHAR)) != 0)
                        return false;
                if (x->kind == REGFILE_SET_VALUE &&
                    (x->type != y->type || x->size != y->size ||
                     (x->size && memcmp(x->data, y->data, x->size) != 0)))
                        return false;
        }
        return true;
}

/* Writes f in fmt and parses it back: same operations.  Returns the text (dcom_free). */
static uint8_t *round_trip(const struct regfile *f, enum regfile_format fmt, size_t *ret_len) {
        struct buf out;
        char *err = NULL;
        struct regfile *g;

        buf_init(&out, 0);
        ASSERT_OK(regfile_write(f, fmt, &out, &err));
        ASSERT_NULL(err);
        g = parse_bytes(out.data, out.len);
        ASSERT_EQ(g->format, fmt);
        ASSERT_TRUE(same_ops(f, g));
        regfile_free(g);
        return buf_steal(&out, ret_len);
}

static uint8_t *read_data_file(const char *name, size_t *ret_size) {
        char path[1024];
        FILE *f;
        uint8_t *d;
        long n;

        snprintf(path, sizeof path, "%s/%s", test_data_dir(), name);
        f = fopen(path, "rb");
        if (!f)
                test_fail(__FILE__, __LINE__, "cannot open %s", path);
        ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        ASSERT_GE(n, 0);
        rewind(f);
        d = malloc((size_t)n + 1);
        ASSERT_NOT_NULL(d);
        ASSERT_EQ(fread(d, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *ret_size = (size_t)n;
        return d;
}

/* ---- roots and paths ----------------------------------------------------------------- */

TEST(split_path) {
        static const struct {
                const WCHAR *path;
                HKEY root;
                size_t sub_at;
        } ok[] = {
                { u"HKEY_LOCAL_MACHINE\\Software", HKEY_LOCAL_MACHINE, 19 },
                { u"HKLM\\Software", HKEY_LOCAL_MACHINE, 5 },
                { u"hklm", HKEY_LOCAL_MACHINE, 4 },
                { u"HKEY_CURRENT_USER", HKEY_CURRENT_USER, 17 },
                { u"hkcu\\a\\b", HKEY_CURRENT_USER, 5 },
                { u"HkEy_ClAsSeS_rOoT\\.txt", HKEY_CLASSES_ROOT, 18 },
                { u"HKCR\\CLSID", HKEY_CLASSES_ROOT, 5 },
                { u"HKEY_USERS\\.DEFAULT", HKEY_USERS, 11 },
                { u"HKU", HKEY_USERS, 3 },
        };
        static const WCHAR *bad[] = {
                u"", u"HKLMX", u"HKEY_LOCAL_MACHINES\\x", u"HKCC", u"HKEY_CURRENT_CONFIG",
                u"\\HKLM", u"Software", u"HK", u"HKEY_DYN_DATA",
        };
        HKEY root;
        const WCHAR *sub;

        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
                size_t len = dcom_utf16_len(ok[i].path);
                ASSERT_OK(regfile_split_path(ok[i].path, len, &root, &sub));
                ASSERT_TRUE(root == ok[i].root);
                ASSERT_EQ(sub - ok[i].path, (ptrdiff_t)ok[i].sub_at);
        }
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                ASSERT_ERRNO(regfile_split_path(bad[i], dcom_utf16_len(bad[i]), &root, &sub),
                             -EINVAL);
        ASSERT_STR_EQ(regfile_root_name(HKEY_LOCAL_MACHINE), "HKEY_LOCAL_MACHINE");
        ASSERT_STR_EQ(regfile_root_name(HKEY_USERS), "HKEY_USERS");
        ASSERT_NULL(regfile_root_name((HKEY)(uintptr_t)0x1234));
}

TEST(check_subkey) {
        const char *problem = NULL;
        WCHAR name[300];

        ASSERT_OK(regfile_check_subkey(u"", 0, &problem));
        ASSERT_OK(regfile_check_subkey(u"a\\b c\\d", 7, &problem));
        ASSERT_ERRNO(regfile_check_subkey(u"a\\\\b", 4, &problem), -EINVAL);
        ASSERT_STR_EQ(problem, "empty key name in the path (doubled or trailing backslash)");
        ASSERT_ERRNO(regfile_check_subkey(u"a\\", 2, &problem), -EINVAL);
        ASSERT_ERRNO(regfile_check_subkey(u"\\a", 2, &problem), -EINVAL);

        for (size_t i = 0; i < 300; i++)
                name[i] = 'k';
        ASSERT_OK(regfile_check_subkey(name, DCOM_REG_MAX_KEY_NAME, &problem));
        ASSERT_ERRNO(regfile_check_subkey(name, DCOM_REG_MAX_KEY_NAME + 1, &problem), -EINVAL);
        ASSERT_STR_EQ(problem, "key name longer than 255 characters");

        WCHAR deep[2 * 600];
        for (size_t i = 0; i < 600; i++) {
                deep[2 * i] = 'x';
                deep[2 * i + 1] = '\\';
        }
        ASSERT_OK(regfile_check_subkey(deep, 2 * DCOM_REG_MAX_DEPTH - 1, &problem));
        ASSERT_ERRNO(regfile_check_subkey(deep, 2 * DCOM_REG_MAX_DEPTH + 1, &problem), -EINVAL);
        ASSERT_STR_EQ(problem, "key path deeper than 512 levels");
}

/* ---- parsing: what is accepted ------------------------------------------------------- */

TEST(parse_every_value_kind_utf16) {
        struct regfile *f = parse16(
                V5
                "; comment\n"
                "# hash comment\n"
                "[HKEY_LOCAL_MACHINE\\Software\\Foo]\n"
                "@=\"default\"\n"
                "\"str\"=\"a \\\"b\\\" c\\\\d\"\n"
                "\"empty\"=\"\"\n"
                "\"dw\"=dword:0000abcd\n"
                "\"bin\"=hex:de,ad,BE,ef\n"
                "\"none\"=hex(0):\n"
                "\"exp\"=hex(2):41,00,00,00\n"
                "\"multi\"=hex(7):41,00,00,00,42,00,00,00,00,00\n"
                "\"q\"=hex(b):01,02,03,04,05,06,07,08\n"
                "\"custom\"=hex(ffffffff):1\n"
                "\"gone\"=-\n"
                "@=-\n"
                "\n"
                "[HKCU]\n"
                "[-hkcr\\.foo]\n");

        ASSERT_EQ(f->format, REGFILE_V5);
        ASSERT_EQ(f->n_ops, 15);
        assert_op(&f->ops[0], REGFILE_KEY, HKEY_LOCAL_MACHINE, u"Software\\Foo");
        ASSERT_EQ(f->ops[0].line, 5);
        assert_value(&f->ops[1], u"", REG_SZ, u"default", 16);
        assert_op(&f->ops[1], REGFILE_SET_VALUE, HKEY_LOCAL_MACHINE, u"Software\\Foo");
        assert_value(&f->ops[2], u"str", REG_SZ, u"a \"b\" c\\d", 20);
        assert_value(&f->ops[3], u"empty", REG_SZ, u"", 2);
        assert_value(&f->ops[4], u"dw", REG_DWORD, "\xcd\xab\0\0", 4);
        assert_value(&f->ops[5], u"bin", REG_BINARY, "\xde\xad\xbe\xef", 4);
        assert_value(&f->ops[6], u"none", REG_NONE, NULL, 0);
        assert_value(&f->ops[7], u"exp", REG_EXPAND_SZ, u"A", 4);
        assert_value(&f->ops[8], u"multi", REG_MULTI_SZ, u"A\0B\0", 10);
        assert_value(&f->ops[9], u"q", REG_QWORD, "\1\2\3\4\5\6\7\x08", 8);
        assert_value(&f->ops[10], u"custom", 0xffffffff, "\1", 1);
        ASSERT_EQ(f->ops[11].kind, REGFILE_DELETE_VALUE);
        ASSERT_TRUE(wstr_eq(f->ops[11].name, f->ops[11].name_len, u"gone"));
        ASSERT_EQ(f->ops[12].kind, REGFILE_DELETE_VALUE);
        ASSERT_EQ(f->ops[12].name_len, 0);
        assert_op(&f->ops[13], REGFILE_KEY, HKEY_CURRENT_USER, u"");
        assert_op(&f->ops[14], REGFILE_DELETE_KEY, HKEY_CLASSES_ROOT, u".foo");
        ASSERT_EQ(f->ops[14].line, 20);
        regfile_free(f);
}

TEST(parse_encodings_and_line_ends) {
        static const char text[] = V5 KEY "\"a\"=\"\xc3\xa9\"\n";
        struct regfile *f;

        /* UTF-8 without BOM, UTF-8 with BOM, UTF-16LE with and without BOM. */
        f = parse8(text);
        assert_value(&f->ops[1], u"a", REG_SZ, u"\u00e9", 4);
        regfile_free(f);

        char bom8[sizeof text + 3] = "\xef\xbb\xbf";
        memcpy(bom8 + 3, text, sizeof text);
        f = parse8(bom8);
        assert_value(&f->ops[1], u"a", REG_SZ, u"\u00e9", 4);
        regfile_free(f);

        size_t n;
        uint8_t *d = to_v5_bytes(text, &n);
        f = parse_bytes(d + 2, n - 2);
        assert_value(&f->ops[1], u"a", REG_SZ, u"\u00e9", 4);
        ASSERT_EQ(f->ops[1].line, 4);
        regfile_free(f);
        dcom_free(d);

        /* CR-only and mixed line ends count lines the same way. */
        f = parse8("REGEDIT4\r\r[HKCU\\x]\r\"v\"=dword:1\r\n\n\"w\"=dword:2");
        ASSERT_EQ(f->format, REGFILE_V4);
        ASSERT_EQ(f->n_ops, 3);
        ASSERT_EQ(f->ops[1].line, 4);
        ASSERT_EQ(f->ops[2].line, 6);
        regfile_free(f);

        /* Leading and trailing blanks around the header. */
        f = parse8("  REGEDIT4 \t\n");
        ASSERT_EQ(f->n_ops, 0);
        regfile_free(f);
        f = parse8("Windows Registry Editor Version 5.00");
        ASSERT_EQ(f->n_ops, 0);
        regfile_free(f);
}

TEST(parse_regedit4_text_types_are_utf8) {
        struct regfile *f = parse8("REGEDIT4\n\n[HKCU\\x]\n"
                                   "\"e\"=hex(2):25,50,41,54,48,25,00\n"
                                   "\"m\"=hex(7):c3,a9,00,62,00,00\n"
                                   "\"s\"=hex(1):41,42,00\n"
                                   "\"b\"=hex:c3,a9\n"
                                   "\"n\"=hex(0):c3\n"
                                   "\"empty\"=hex(2):\n");

        assert_value(&f->ops[1], u"e", REG_EXPAND_SZ, u"%PATH%", 14);
        assert_value(&f->ops[2], u"m", REG_MULTI_SZ, u"\u00e9\0b\0", 10);
        assert_value(&f->ops[3], u"s", REG_SZ, u"AB", 6);
        assert_value(&f->ops[4], u"b", REG_BINARY, "\xc3\xa9", 2);     /* bytes stay bytes */
        assert_value(&f->ops[5], u"n", REG_NONE, "\xc3", 1);
        assert_value(&f->ops[6], u"empty", REG_EXPAND_SZ, NULL, 0);
        regfile_free(f);
}

TEST(parse_dword_forms) {
        struct regfile *f = parse8(V5 KEY
                                   "\"a\"=dword:1\n"
                                   "\"b\"=DWORD:FFFFFFFF\n"
                                   "\"c\"=dword:00000008 ; comment\n"
                                   "\"d\" = dword:12\t\n");

        assert_value(&f->ops[1], u"a", REG_DWORD, "\1\0\0\0", 4);
        assert_value(&f->ops[2], u"b", REG_DWORD, "\xff\xff\xff\xff", 4);
        assert_value(&f->ops[3], u"c", REG_DWORD, "\x08\0\0\0", 4);
        assert_value(&f->ops[4], u"d", REG_DWORD, "\x12\0\0\0", 4);
        regfile_free(f);
}

TEST(parse_hex_continuations) {
        struct regfile *f = parse16(V5 KEY
                                    "\"a\"=hex:01,02,\\\n"
                                    "  03,04\n"
                                    "\"b\"=hex(7):41,00,\\ ; comment after the backslash\n"
                                    "\n"
                                    "; a comment line in between\n"
                                    "\t00,00,\\\n"
                                    "    00,00\n"
                                    "\"c\"=hex:\\\n"
                                    "  ff\n"
                                    "\"d\"=hex:0a,0b,\n"
                                    "\"e\"=hex:1, 2 ,3\n"
                                    "\"f\"=hex:01,02,  \\\t\n"
                                    "05\n"
                                    "\"g\"=hex:01 ; comment\n");

        assert_value(&f->ops[1], u"a", REG_BINARY, "\1\2\3\4", 4);
        ASSERT_EQ(f->ops[1].line, 4);
        assert_value(&f->ops[2], u"b", REG_MULTI_SZ, u"A\0", 6);
        assert_value(&f->ops[3], u"c", REG_BINARY, "\xff", 1);
        assert_value(&f->ops[4], u"d", REG_BINARY, "\x0a\x0b", 2);
        assert_value(&f->ops[5], u"e", REG_BINARY, "\1\2\3", 3);
        assert_value(&f->ops[6], u"f", REG_BINARY, "\1\2\5", 3);
        assert_value(&f->ops[7], u"g", REG_BINARY, "\1", 1);
        ASSERT_EQ(f->ops[7].line, 17);
        regfile_free(f);
}

TEST(parse_names) {
        struct regfile *f = parse8(V5
                                   "[HKCU\\Software\\a]b[c] \t\n"
                                   "\"\"=\"empty name is the default\"\n"
                                   "\"x=y;z#\"=\"v\"\n"
                                   "\"back\\\\slash\\\"q\"=\"v\"\n"
                                   "[HKCU\\trailing space ]\n");

        assert_op(&f->ops[0], REGFILE_KEY, HKEY_CURRENT_USER, u"Software\\a]b[c");
        assert_value(&f->ops[1], u"", REG_SZ, u"empty name is the default", 52);
        assert_value(&f->ops[2], u"x=y;z#", REG_SZ, u"v", 4);
        assert_value(&f->ops[3], u"back\\slash\"q", REG_SZ, u"v", 4);
        assert_op(&f->ops[4], REGFILE_KEY, HKEY_CURRENT_USER, u"trailing space ");
        regfile_free(f);
}

TEST(parse_limits) {
        /* A 255-character key name and 512 levels are fine, as is a 16383-character value name. */
        struct buf b;
        buf_init(&b, 0);
        buf_append(&b, V5 "[HKCU\\", strlen(V5 "[HKCU\\"));
        for (int i = 0; i < 255; i++)
                buf_put_u8(&b, 'k');
        for (int i = 1; i < DCOM_REG_MAX_DEPTH; i++)
                buf_append(&b, "\\d", 2);
        buf_append(&b, "]\n\"", 3);
        for (int i = 0; i < DCOM_REG_MAX_VALUE_NAME; i++)
                buf_put_u8(&b, 'v');
        buf_append(&b, "\"=dword:1\n", 10);
        ASSERT_EQ(b.error, 0);
        struct regfile *f = parse_bytes(b.data, b.len);
        ASSERT_EQ(f->ops[0].path_len, 255 + 2 * (DCOM_REG_MAX_DEPTH - 1));
        ASSERT_EQ(f->ops[1].name_len, DCOM_REG_MAX_VALUE_NAME);
        regfile_free(f);
        buf_free(&b);
}

/* ---- parsing: what is refused, and how it is said ------------------------------------ */

TEST(reject_header) {
        ASSERT_PARSE_ERROR("", "t.reg:1: missing header: the first line must be \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"");
        ASSERT_PARSE_ERROR("[HKCU\\x]\n", "t.reg:1: missing header: the first line must be \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"");
        ASSERT_PARSE_ERROR("regedit4\n", "t.reg:1: missing header: the first line must be \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"");
        ASSERT_PARSE_ERROR("\nREGEDIT4\n", "t.reg:1: missing header: the first line must be \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"");
        ASSERT_PARSE_ERROR("Windows Registry Editor Version 4.00\n", "t.reg:1: missing header: the first line must be \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"");
}

TEST(reject_encoding) {
        char *e;

        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\"\xff\"\n",
                           "t.reg:4: invalid UTF-8 text (REGEDIT4 and BOM-less files are read as UTF-8)");
        ASSERT_PARSE_ERROR("REGEDIT4\n[HKCU\\x]\n\"a\"=hex(2):e9,00\n",
                           "t.reg:3: the hex(2) data of value \"a\" is not valid UTF-8 (REGEDIT4 text is read as UTF-8)");

        static const uint8_t be[] = { 0xFE, 0xFF, 0, 'W' };
        e = parse_error_bytes(be, sizeof be);
        ASSERT_STR_EQ(e, "t.reg:1: UTF-16 big-endian files are not supported; save as UTF-16LE");
        dcom_free(e);

        static const uint8_t odd[] = { 0xFF, 0xFE, 'W', 0, '\n', 0, 'x' };
        e = parse_error_bytes(odd, sizeof odd);
        ASSERT_STR_EQ(e, "t.reg:2: UTF-16 file with an odd number of bytes (truncated?)");
        dcom_free(e);

        size_t n;
        uint8_t *d = to_v5_bytes(V5 KEY "\"a\"=\"x\"\n", &n);
        d[n - 6] = 0x00;        /* the 'x' becomes a lone high surrogate */
        d[n - 5] = 0xD8;
        e = parse_error_bytes(d, n);
        ASSERT_STR_EQ(e, "t.reg:4: invalid UTF-16 text (unpaired surrogate)");
        dcom_free(e);
        dcom_free(d);

        static const char nul[] = V5 KEY "\"a\"=\"x\0y\"\n";
        e = parse_error_bytes((const uint8_t *)nul, sizeof nul - 1);
        ASSERT_STR_EQ(e, "t.reg:4: NUL character in the text");
        dcom_free(e);
}

TEST(reject_keys) {
        ASSERT_PARSE_ERROR(V5 "[HKEY_FOO\\Software]\n",
                           "t.reg:3: unknown root key \"HKEY_FOO\" (expected HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT or HKEY_USERS)");
        ASSERT_PARSE_ERROR(V5 "[ HKCU\\x]\n",
                           "t.reg:3: unknown root key \" HKCU\" (expected HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT or HKEY_USERS)");
        ASSERT_PARSE_ERROR(V5 "[HKCU\\x\n", "t.reg:3: missing ']' at the end of the key line");
        ASSERT_PARSE_ERROR(V5 "[HKCU\\x] ; comment\n", "t.reg:3: missing ']' at the end of the key line");
        ASSERT_PARSE_ERROR(V5 "[]\n", "t.reg:3: empty key name in []");
        ASSERT_PARSE_ERROR(V5 "[HKCU\\x\\]\n", "t.reg:3: key path \"HKCU\\x\\\" ends with a backslash");
        ASSERT_PARSE_ERROR(V5 "[HKCU\\]\n", "t.reg:3: key path \"HKCU\\\" ends with a backslash");
        ASSERT_PARSE_ERROR(V5 "[HKCU\\a\\\\b]\n",
                           "t.reg:3: empty key name in the path (doubled or trailing backslash): \"HKCU\\a\\\\b\"");
        ASSERT_PARSE_ERROR(V5 "[-HKEY_LOCAL_MACHINE]\n",
                           "t.reg:3: cannot delete the root key \"HKEY_LOCAL_MACHINE\"");

        char *e;
        struct buf b;
        buf_init(&b, 0);
        buf_append(&b, V5 "[HKCU\\", strlen(V5 "[HKCU\\"));
        for (int i = 0; i < 256; i++)
                buf_put_u8(&b, 'k');
        buf_append(&b, "]\n", 2);
        e = parse_error_bytes(b.data, b.len);
        ASSERT_EQ(strncmp(e, "t.reg:3: key name longer than 255 characters: \"HKCU\\kkk", 55), 0);
        dcom_free(e);

        buf_clear(&b);
        buf_append(&b, V5 "[HKCU", strlen(V5 "[HKCU"));
        for (int i = 0; i < DCOM_REG_MAX_DEPTH + 1; i++)
                buf_append(&b, "\\d", 2);
        buf_append(&b, "]\n", 2);
        e = parse_error_bytes(b.data, b.len);
        ASSERT_EQ(strncmp(e, "t.reg:3: key path deeper than 512 levels: ", 42), 0);
        dcom_free(e);
        buf_free(&b);
}

TEST(reject_values) {
        ASSERT_PARSE_ERROR(V5 KEY "\"Foo\"=hex:01,zz,02\n",
                           "t.reg:4: invalid hex byte \"zz\" in the data of value \"Foo\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"Foo\"=hex:123\n",
                           "t.reg:4: invalid hex byte \"123\" in the data of value \"Foo\"");
        ASSERT_PARSE_ERROR(V5 KEY "@=hex:01,,02\n",
                           "t.reg:4: empty hex byte in the data of the default value (@)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex:01 02\n",
                           "t.reg:4: missing ',' between the hex bytes of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex:01\\\n  02\n",
                           "t.reg:4: missing ',' before the '\\' continuing the data of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex:01,\\ x\n  02\n",
                           "t.reg:4: unexpected text after the '\\' continuing the data of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex:01,\\\n\n",
                           "t.reg:4: the file ends inside the continued data of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex:01,\\\n\"b\"=dword:1\n",
                           "t.reg:5: the data of value \"a\" is continued with '\\' but this line is not hex data");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex:01,\\\n  02,zz\n",
                           "t.reg:5: invalid hex byte \"zz\" in the data of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex(x2):01\n",
                           "t.reg:4: invalid type in hex(...) of value \"a\" (expected hex(0) to hex(ffffffff) followed by ':')");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex(100000000):01\n",
                           "t.reg:4: invalid type in hex(...) of value \"a\" (expected hex(0) to hex(ffffffff) followed by ':')");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=hex(2)01\n",
                           "t.reg:4: invalid type in hex(...) of value \"a\" (expected hex(0) to hex(ffffffff) followed by ':')");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=dword:\n",
                           "t.reg:4: invalid dword data \"\" in value \"a\" (expected 1 to 8 hex digits)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=dword:123456789\n",
                           "t.reg:4: invalid dword data \"123456789\" in value \"a\" (expected 1 to 8 hex digits)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=dword:0x12\n",
                           "t.reg:4: invalid dword data \"0x12\" in value \"a\" (expected 1 to 8 hex digits)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=dword:12 34\n",
                           "t.reg:4: invalid dword data \"12\" in value \"a\" (expected 1 to 8 hex digits)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=qword:1\n",
                           "t.reg:4: unknown data \"qword\" in value \"a\" (expected \"string\", dword:, hex:, hex(N): or -)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\n",
                           "t.reg:4: missing data after '=' in value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"\n", "t.reg:4: expected '=' after the name of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "@\"x\"\n",
                           "t.reg:4: expected '=' after the name of the default value (@)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\"unterminated\n",
                           "t.reg:4: unterminated string (no closing '\"')");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\"ends in a backslash\\\n",
                           "t.reg:4: unterminated string (no closing '\"')");
        ASSERT_PARSE_ERROR(V5 KEY "\"unterminated=\"x\"\n",
                           "t.reg:4: expected '=' after the name of value \"unterminated=\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"no end\n", "t.reg:4: unterminated value name (no closing '\"')");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\"x\\ty\"\n",
                           "t.reg:4: unknown escape sequence \"\\t\" in string (only \\\\ and \\\" are allowed)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\\n\"=\"x\"\n",
                           "t.reg:4: unknown escape sequence \"\\n\" in value name (only \\\\ and \\\" are allowed)");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\"x\" y\n",
                           "t.reg:4: unexpected text after the string data of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=\"x\" #comment\n",
                           "t.reg:4: unexpected text after the string data of value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "\"a\"=-x\n", "t.reg:4: unexpected text after '-' deleting value \"a\"");
        ASSERT_PARSE_ERROR(V5 KEY "name=\"x\"\n",
                           "t.reg:4: unexpected text \"name=\"x\"\" (expected [KEY], \"name\"=data, @=data or a ; comment)");
}

TEST(reject_structure) {
        ASSERT_PARSE_ERROR(V5 "\"a\"=\"x\"\n", "t.reg:3: value \"a\" comes before any [KEY] line");
        ASSERT_PARSE_ERROR(V5 "@=-\n", "t.reg:3: the default value (@) comes before any [KEY] line");
        ASSERT_PARSE_ERROR(V5 "[-HKCU\\x]\n\"a\"=\"x\"\n",
                           "t.reg:4: value \"a\" follows a key deletion [-...]; values belong under a [KEY] line");

        char *e;
        struct buf b;
        buf_init(&b, 0);
        buf_append(&b, V5 KEY "\"", strlen(V5 KEY "\""));
        for (int i = 0; i < DCOM_REG_MAX_VALUE_NAME + 1; i++)
                buf_put_u8(&b, 'v');
        buf_append(&b, "\"=\"x\"\n", 6);
        e = parse_error_bytes(b.data, b.len);
        ASSERT_STR_EQ(e, "t.reg:4: value name longer than 16383 characters");
        dcom_free(e);
        buf_free(&b);

        /* Messages quote names printably and cut long ones. */
        ASSERT_PARSE_ERROR(V5 KEY "\"tab\there\"=hex:zz\n",
                           "t.reg:4: invalid hex byte \"zz\" in the data of value \"tab?here\"");
        buf_init(&b, 0);
        buf_append(&b, V5 KEY "\"", strlen(V5 KEY "\""));
        for (int i = 0; i < 200; i++)
                buf_put_u8(&b, 'n');
        buf_append(&b, "\"=hex:zz\n", 9);
        e = parse_error_bytes(b.data, b.len);
        ASSERT_NOT_NULL(strstr(e, "nnn...\""));
        ASSERT_LT(strlen(e), 200);
        dcom_free(e);
        buf_free(&b);
}

TEST(reject_oversized_value) {
        /* 16 MiB + 1 bytes of hex data. */
        size_t n = DCOM_REG_MAX_VALUE_SIZE + 1;
        struct buf b;
        buf_init(&b, 0);
        buf_append(&b, V5 KEY "\"big\"=hex:", strlen(V5 KEY "\"big\"=hex:"));
        uint8_t *p = buf_extend(&b, 3 * n);
        ASSERT_NOT_NULL(p);
        for (size_t i = 0; i < n; i++)
                memcpy(p + 3 * i, "00,", 3);
        char *e = parse_error_bytes(b.data, b.len);
        ASSERT_STR_EQ(e, "t.reg:4: the data of value \"big\" is larger than 16 MiB");
        dcom_free(e);
        buf_free(&b);
}

/* ---- writing ------------------------------------------------------------------------- */

/* ASCII text as the UTF-16LE bytes of a version 5 file (BOM first). */
static void ascii_to_v5(struct buf *b, const char *text) {
        buf_put_u8(b, 0xFF);
        buf_put_u8(b, 0xFE);
        for (const char *c = text; *c; c++)
                buf_put_u16le(b, (uint8_t)*c);
}

TEST(write_layout) {
        /* Wine's reg.exe export tests, which pass on Windows, pin this layout. */
        static const char expected[] =
                "Windows Registry Editor Version 5.00\r\n"
                "\r\n"
                "[HKEY_CURRENT_USER\\Software\\Wine\\Subkey2a\\Subkey2b]\r\n"
                "@=\"Default value name\"\r\n"
                "\"Multiple strings\"=hex(7):4c,00,69,00,6e,00,65,00,31,00,00,00,4c,00,69,00,6e,\\\r\n"
                "  00,65,00,32,00,00,00,4c,00,69,00,6e,00,65,00,33,00,00,00,00,00\r\n"
                "\"DWORD\"=dword:00000100\r\n"
                "\"double\\\"quote\"=\"\\\"Hello, World!\\\"\"\r\n"
                "\"Undefined hex\"=hex(100):25,50,41,54,48,25,00\r\n"
                "\"Empty\"=hex(2):\r\n"
                "\r\n"
                "[-HKEY_LOCAL_MACHINE\\Software\\Old]\r\n"
                "\r\n"
                "[HKEY_LOCAL_MACHINE\\x]\r\n"
                "\"gone\"=-\r\n"
                "@=-\r\n"
                "\r\n";
        struct regfile *f = parse16(
                V5
                "[HKEY_CURRENT_USER\\Software\\Wine\\Subkey2a\\Subkey2b]\n"
                "@=\"Default value name\"\n"
                "\"Multiple strings\"=hex(7):4c,00,69,00,6e,00,65,00,31,00,00,00,4c,00,69,00,6e,00,65,00,32,00,00,00,4c,00,69,00,6e,00,65,00,33,00,00,00,00,00\n"
                "\"DWORD\"=dword:100\n"
                "\"double\\\"quote\"=\"\\\"Hello, World!\\\"\"\n"
                "\"Undefined hex\"=hex(100):25,50,41,54,48,25,00\n"
                "\"Empty\"=hex(2):\n"
                "[-HKEY_LOCAL_MACHINE\\Software\\Old]\n"
                "[HKLM\\x]\n"
                "\"gone\"=-\n"
                "@=-\n");
        struct buf out, want;
        char *err = NULL;

        buf_init(&out, 0);
        buf_init(&want, 0);
        ASSERT_OK(regfile_write(f, REGFILE_V5, &out, &err));
        ascii_to_v5(&want, expected);
        ASSERT_EQ(out.len, want.len);
        ASSERT_MEM_EQ(out.data, want.data, want.len);

        /* REGEDIT4: the same in UTF-8, hex(7) as 8-bit text, wrapped the same way. */
        buf_clear(&out);
        ASSERT_OK(regfile_write(f, REGFILE_V4, &out, &err));
        buf_put_u8(&out, 0);
        static const char v4_head[] =
                "REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\Wine\\Subkey2a\\Subkey2b]\r\n";
        ASSERT_EQ(strncmp((const char *)out.data, v4_head, sizeof v4_head - 1), 0);
        ASSERT_NOT_NULL(strstr((const char *)out.data,
                               "\"Multiple strings\"=hex(7):4c,69,6e,65,31,00,4c,69,6e,65,32,00,4c,69,6e,65,33,\\\r\n  00,00\r\n"));
        buf_free(&want);
        buf_free(&out);
        regfile_free(f);
}

TEST(write_strings_that_do_not_survive_quotes) {
        /* Built by hand: data no "..." can hold goes out as hex(1) (or hex(4)). */
        static const struct {
                DWORD type;
                const char *data;
                size_t size;
                const char *line;
        } cases[] = {
                { REG_SZ, "a\0b\0\0\0", 6, "\"v\"=\"ab\"\r\n" },
                { REG_SZ, "", 0, "\"v\"=hex(1):\r\n" },
                { REG_SZ, "a\0b\0", 4, "\"v\"=hex(1):61,00,62,00\r\n" },              /* no NUL */
                { REG_SZ, "a\0\0\0\0\0", 6, "\"v\"=hex(1):61,00,00,00,00,00\r\n" },   /* two */
                { REG_SZ, "a\0\0\0b\0\0\0", 8, "\"v\"=hex(1):61,00,00,00,62,00,00,00\r\n" },
                { REG_SZ, "a\0\n\0\0\0", 6, "\"v\"=hex(1):61,00,0a,00,00,00\r\n" },   /* LF */
                { REG_SZ, "\r\0\0\0", 4, "\"v\"=hex(1):0d,00,00,00\r\n" },            /* CR */
                { REG_SZ, "a\0\0", 3, "\"v\"=hex(1):61,00,00\r\n" },                   /* odd size */
                { REG_SZ, "\0\xd8\0\0", 4, "\"v\"=hex(1):00,d8,00,00\r\n" },           /* lone surrogate */
                { REG_DWORD, "\1\2", 2, "\"v\"=hex(4):01,02\r\n" },
                { REG_DWORD, "\1\2\3\4\5", 5, "\"v\"=hex(4):01,02,03,04,05\r\n" },
                { REG_DWORD, "\4\3\2\1", 4, "\"v\"=dword:01020304\r\n" },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct regfile f = { 0 };
                struct regfile_op ops[2] = {
                        { .kind = REGFILE_KEY, .root = HKEY_CURRENT_USER, .path = (WCHAR *)u"k",
                          .path_len = 1 },
                        { .kind = REGFILE_SET_VALUE, .root = HKEY_CURRENT_USER, .path = (WCHAR *)u"k",
                          .path_len = 1, .name = (WCHAR *)u"v", .name_len = 1,
                          .type = cases[i].type, .data = (uint8_t *)cases[i].data,
                          .size = cases[i].size },
                };
                f.ops = ops;
                f.n_ops = 2;
                size_t n;
                uint8_t *text = round_trip(&f, REGFILE_V5, &n);
                struct buf want;
                buf_init(&want, 0);
                for (const char *c = cases[i].line; *c; c++)
                        buf_put_u16le(&want, (uint8_t)*c);
                /* BOM, header (38 units), blank line, "[HKEY_CURRENT_USER\k]\r\n" (23). */
                size_t at = 2 + 2 * (38 + 2 + 23);
                ASSERT_GE(n, at + want.len);
                if (memcmp(text + at, want.data, want.len) != 0)
                        test_fail(__FILE__, __LINE__, "case %zu: expected %s", i, cases[i].line);
                buf_free(&want);
                dcom_free(text);
        }
}

TEST(write_refuses_what_has_no_spelling) {
        struct regfile f = { 0 };
        struct regfile_op ops[2] = {
                { .kind = REGFILE_KEY, .root = HKEY_CURRENT_USER, .path = (WCHAR *)u"k", .path_len = 1 },
                { .kind = REGFILE_SET_VALUE, .root = HKEY_CURRENT_USER, .path = (WCHAR *)u"k",
                  .path_len = 1, .name = (WCHAR *)u"a\nb", .name_len = 3, .type = REG_BINARY },
        };
        struct buf out;
        char *err = NULL;

        f.ops = ops;
        f.n_ops = 2;
        buf_init(&out, 0);
        ASSERT_ERRNO(regfile_write(&f, REGFILE_V5, &out, &err), -EINVAL);
        ASSERT_STR_EQ(err, "value \"a?b\" in HKEY_CURRENT_USER\\k: the name has a line break or invalid UTF-16, which a .reg file cannot hold");
        dcom_free(err);

        ops[0].path = (WCHAR *)u"a\rb";
        ops[0].path_len = 3;
        ASSERT_ERRNO(regfile_write(&f, REGFILE_V5, &out, &err), -EINVAL);
        ASSERT_NOT_NULL(strstr(err, "the name has a line break"));
        dcom_free(err);

        /* REGEDIT4 holds text types as UTF-8: odd-sized or non-UTF-16 data cannot go. */
        ops[0].path = (WCHAR *)u"k";
        ops[0].path_len = 1;
        ops[1].name = (WCHAR *)u"v";
        ops[1].name_len = 1;
        ops[1].type = REG_EXPAND_SZ;
        ops[1].data = (uint8_t *)"abc";
        ops[1].size = 3;
        ASSERT_OK(regfile_write(&f, REGFILE_V5, &out, &err));
        ASSERT_ERRNO(regfile_write(&f, REGFILE_V4, &out, &err), -EINVAL);
        ASSERT_STR_EQ(err, "value \"v\" in HKEY_CURRENT_USER\\k: its data is not UTF-16 text, which REGEDIT4 cannot hold; export in version 5 format");
        dcom_free(err);
        buf_free(&out);
}

/* ---- golden files -------------------------------------------------------------------- */

TEST(golden_v5) {
        size_t n;
        uint8_t *d = read_data_file("regfile-v5.reg", &n);
        struct regfile *f;

        /* As regedit writes: BOM, UTF-16LE, CRLF. */
        ASSERT_GE(n, 4);
        ASSERT_EQ(d[0], 0xFF);
        ASSERT_EQ(d[1], 0xFE);
        ASSERT_EQ(n % 2, 0);
        for (size_t i = 2; i + 1 < n; i += 2)
                if (d[i] == '\n' && d[i + 1] == 0)
                        ASSERT_TRUE(d[i - 2] == '\r' && d[i - 1] == 0);

        f = parse_bytes(d, n);
        ASSERT_EQ(f->format, REGFILE_V5);
        ASSERT_EQ(f->n_ops, 31);
        assert_op(&f->ops[0], REGFILE_KEY, HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden");
        assert_value(&f->ops[1], u"", REG_SZ, u"Default value", 28);
        assert_value(&f->ops[3], u"Escapes", REG_SZ, u"back\\slash and \"quotes\"", 48);
        assert_value(&f->ops[4], u"Empty", REG_SZ, u"", 2);
        assert_value(&f->ops[5], u"Unicode", REG_SZ, u"Grüße – ☃ 𝄞", 26);
        assert_value(&f->ops[6], u"Dword", REG_DWORD, "\xcd\xab\0\0", 4);
        assert_value(&f->ops[11], u"Expand", REG_EXPAND_SZ, u"%HOME%\\bin", 22);
        assert_value(&f->ops[12], u"Multi", REG_MULTI_SZ, u"Line1\0Line2\0", 26);
        assert_value(&f->ops[13], u"Qword", REG_QWORD, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8);
        assert_value(&f->ops[15], u"Custom", 0x100, "%PATH%", 7);
        assert_value(&f->ops[16], u"ShortDword", REG_DWORD, "\1\2", 2);
        assert_value(&f->ops[18], u"name with \"quotes\" and \\", REG_SZ, u"value", 12);
        ASSERT_EQ(f->ops[20].kind, REGFILE_DELETE_VALUE);
        assert_op(&f->ops[21], REGFILE_KEY, HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden\\Sub Key");
        ASSERT_EQ(f->ops[23].kind, REGFILE_DELETE_VALUE);
        assert_value(&f->ops[24], u"Wrapped", REG_BINARY, "\1\2\3\4\5", 5);
        assert_value(&f->ops[25], u"Indented", REG_SZ, u"leading blanks are fine", 48);
        assert_op(&f->ops[30], REGFILE_DELETE_KEY, HKEY_CURRENT_USER,
                  u"Software\\OpenDCOM-Golden\\Gone");

        dcom_free(round_trip(f, REGFILE_V5, &n));
        dcom_free(round_trip(f, REGFILE_V4, &n));
        regfile_free(f);
        free(d);
}

TEST(golden_v4) {
        size_t n;
        uint8_t *d = read_data_file("regfile-v4.reg", &n);
        struct regfile *f = parse_bytes(d, n);

        ASSERT_EQ(f->format, REGFILE_V4);
        ASSERT_EQ(f->n_ops, 11);
        assert_value(&f->ops[2], u"String", REG_SZ, u"Grüße", 12);
        assert_value(&f->ops[4], u"Expand", REG_EXPAND_SZ, u"%HOME%", 14);
        assert_value(&f->ops[5], u"Multi", REG_MULTI_SZ, u"é\0b\0", 10);
        assert_value(&f->ops[7], u"SzHex", REG_SZ, u"AB", 6);
        assert_value(&f->ops[10], u"Quote", REG_SZ, u"say \"hi\"", 18);

        /* Written back as REGEDIT4, the file reads the same; so does version 5. */
        uint8_t *text = round_trip(f, REGFILE_V4, &n);
        ASSERT_NOT_NULL(memmem(text, n, "\"Multi\"=hex(7):c3,a9,00,62,00,00\r\n", 34));
        dcom_free(text);
        dcom_free(round_trip(f, REGFILE_V5, &n));
        regfile_free(f);
        free(d);
}

/* ---- out of memory ------------------------------------------------------------------- */

struct oom_ctx {
        uint8_t *data;
        size_t size;
        struct regfile *f;
};

static int oom_parse(void *p) {
        struct oom_ctx *c = p;
        struct regfile *f = NULL;
        char *err = NULL;
        int r = regfile_parse(c->data, c->size, "t.reg", &f, &err);

        if (r >= 0)
                regfile_free(f);
        else
                ASSERT_ERRNO(r, -ENOMEM);
        dcom_free(err);
        return r;
}

static int oom_write(void *p) {
        struct oom_ctx *c = p;
        struct buf out;
        char *err = NULL;
        int r;

        buf_init(&out, 0);
        r = regfile_write(c->f, REGFILE_V4, &out, &err);
        if (r >= 0)
                r = regfile_write(c->f, REGFILE_V5, &out, &err);
        if (r < 0)
                ASSERT_ERRNO(r, -ENOMEM);
        buf_free(&out);
        dcom_free(err);
        return r;
}

TEST(oom_parse_and_write) {
        struct oom_ctx c;

        c.data = read_data_file("regfile-v5.reg", &c.size);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_parse, NULL, &c), 10);
        free(c.data);
        c.data = read_data_file("regfile-v4.reg", &c.size);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_parse, NULL, &c), 5);

        c.f = parse_bytes(c.data, c.size);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_write, NULL, &c), 3);
        regfile_free(c.f);
        free(c.data);

        /* Malformed input under OOM: the error message itself may fail to allocate. */
        static const char bad[] = V5 KEY "\"a\"=\"x\"\n\"b\"=hex:zz\n";
        c.data = (uint8_t *)bad;
        c.size = sizeof bad - 1;
        for (unsigned long k = 1; k < 40; k++) {
                struct regfile *f = NULL;
                char *err = NULL;
                alloc_fail_at(k, false);
                int r = regfile_parse(c.data, c.size, "t.reg", &f, &err);
                alloc_fail_at(0, false);
                ASSERT_TRUE(r == -ENOMEM || r == -EBADMSG);
                ASSERT_NULL(f);
                if (r == -EBADMSG)
                        ASSERT_STR_EQ(err, "t.reg:5: invalid hex byte \"zz\" in the data of value \"b\"");
                dcom_free(err);
        }
}

/* ---- against a scratch registry ------------------------------------------------------ */

static struct regfile *parse_file(const char *name) {
        size_t n;
        uint8_t *d = read_data_file(name, &n);
        struct regfile *f = parse_bytes(d, n);

        free(d);
        return f;
}

static void apply_ok(const struct regfile *f) {
        char *err = NULL;
        LSTATUS st = regfile_apply(f, &err);

        if (st != ERROR_SUCCESS)
                test_fail(__FILE__, __LINE__, "apply: %d: %s", (int)st, err ? err : "");
        ASSERT_NULL(err);
}

static uint8_t *export_ok(HKEY root, const WCHAR *sub, enum regfile_format fmt, size_t *n) {
        struct buf out;
        char *err = NULL;
        int r;

        buf_init(&out, 0);
        r = regfile_export(root, sub, fmt, &out, &err);
        if (r < 0)
                test_fail(__FILE__, __LINE__, "export: %d: %s", r, err ? err : "");
        return buf_steal(&out, n);
}

TEST(import_export_identity) {
        test_state_dir();
        struct regfile *f = parse_file("regfile-v5.reg");
        HKEY k;
        DWORD type, size;
        BYTE data[64];

        apply_ok(f);
        regfile_free(f);
        ASSERT_EQ(RegOpenKeyExW(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden", 0, KEY_READ, &k),
                  ERROR_SUCCESS);
        size = sizeof data;
        ASSERT_EQ(RegQueryValueExW(k, u"Custom", NULL, &type, data, &size), ERROR_SUCCESS);
        ASSERT_EQ(type, 0x100);
        ASSERT_EQ(size, 7);
        ASSERT_EQ(RegQueryValueExW(k, u"Deleted", NULL, NULL, NULL, NULL), ERROR_FILE_NOT_FOUND);
        RegCloseKey(k);
        ASSERT_EQ(RegOpenKeyExW(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden\\Gone", 0, KEY_READ,
                                &k), ERROR_FILE_NOT_FOUND);

        /* export -> delete -> import -> export gives the same bytes, in both formats. */
        for (int fmt = REGFILE_V5; fmt <= REGFILE_V4; fmt++) {
                size_t n1, n2;
                uint8_t *e1 = export_ok(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden", fmt, &n1);
                struct regfile *g = parse_bytes(e1, n1);
                ASSERT_EQ(RegDeleteTreeW(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden"),
                          ERROR_SUCCESS);
                apply_ok(g);
                regfile_free(g);
                uint8_t *e2 = export_ok(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Golden", fmt, &n2);
                ASSERT_EQ(n1, n2);
                ASSERT_MEM_EQ(e1, e2, n1);
                dcom_free(e1);
                dcom_free(e2);
        }

        /* The values regedit would mangle come back byte for byte. */
        ASSERT_EQ(RegCreateKeyExW(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Odd", 0, NULL, 0,
                                  KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
        ASSERT_EQ(RegSetValueExW(k, u"nul", 0, REG_SZ, (const BYTE *)"a\0\0\0b\0\0\0", 8), 0);
        ASSERT_EQ(RegSetValueExW(k, u"lf", 0, REG_SZ, (const BYTE *)"a\0\n\0\0\0", 6), 0);
        ASSERT_EQ(RegSetValueExW(k, u"empty", 0, REG_SZ, NULL, 0), 0);
        ASSERT_EQ(RegSetValueExW(k, u"odd", 0, REG_SZ, (const BYTE *)"abc", 3), 0);
        ASSERT_EQ(RegSetValueExW(k, u"short", 0, REG_DWORD, (const BYTE *)"ab", 2), 0);
        RegCloseKey(k);
        size_t n1, n2;
        uint8_t *e1 = export_ok(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Odd", REGFILE_V5, &n1);
        struct regfile *g = parse_bytes(e1, n1);
        ASSERT_EQ(RegDeleteTreeW(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Odd"), ERROR_SUCCESS);
        apply_ok(g);
        regfile_free(g);
        ASSERT_EQ(RegOpenKeyExW(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Odd", 0, KEY_READ, &k), 0);
        size = sizeof data;
        ASSERT_EQ(RegQueryValueExW(k, u"nul", NULL, &type, data, &size), 0);
        ASSERT_EQ(size, 8);
        ASSERT_MEM_EQ(data, "a\0\0\0b\0\0\0", 8);
        size = sizeof data;
        ASSERT_EQ(RegQueryValueExW(k, u"odd", NULL, &type, data, &size), 0);
        ASSERT_EQ(type, REG_SZ);
        ASSERT_EQ(size, 3);
        size = sizeof data;
        ASSERT_EQ(RegQueryValueExW(k, u"empty", NULL, &type, data, &size), 0);
        ASSERT_EQ(size, 0);
        RegCloseKey(k);
        uint8_t *e2 = export_ok(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Odd", REGFILE_V5, &n2);
        ASSERT_EQ(n1, n2);
        ASSERT_MEM_EQ(e1, e2, n1);
        dcom_free(e1);
        dcom_free(e2);

        /* REGEDIT4 cannot hold an odd-sized REG_SZ: the export says so. */
        struct buf out;
        char *err = NULL;
        buf_init(&out, 0);
        ASSERT_ERRNO(regfile_export(HKEY_CURRENT_USER, u"Software\\OpenDCOM-Odd", REGFILE_V4, &out,
                                    &err), -EINVAL);
        ASSERT_NOT_NULL(strstr(err, "REGEDIT4 cannot hold"));
        dcom_free(err);
        ASSERT_ERRNO(regfile_export(HKEY_CURRENT_USER, u"Software\\Missing", REGFILE_V5, &out,
                                    &err), -ENOENT);
        buf_free(&out);
}

TEST(import_is_all_or_nothing) {
        test_state_dir();
        HKEY k;

        /* The second key's name is too long for the registry: nothing of the file stays. */
        struct regfile *f = parse8(V5 "[HKCU\\Software\\Atomic]\n\"a\"=\"1\"\n[HKCU\\Software\\Atomic2]\n");
        WCHAR *long_name = dcom_malloc(300 * sizeof(WCHAR));
        ASSERT_NOT_NULL(long_name);
        for (int i = 0; i < 299; i++)
                long_name[i] = 'x';
        long_name[299] = 0;
        dcom_free(f->ops[2].path);
        f->ops[2].path = long_name;
        f->ops[2].path_len = 299;

        char *err = NULL;
        LSTATUS st = regfile_apply(f, &err);
        ASSERT_NE(st, ERROR_SUCCESS);
        ASSERT_NOT_NULL(err);
        ASSERT_EQ(strncmp(err, "t.reg:5: cannot create key HKEY_CURRENT_USER\\xxx", 48), 0);
        dcom_free(err);
        regfile_free(f);
        ASSERT_EQ(RegOpenKeyExW(HKEY_CURRENT_USER, u"Software\\Atomic", 0, KEY_READ, &k),
                  ERROR_FILE_NOT_FOUND);

        /* Deleting what is not there is fine, as in regedit. */
        f = parse8(V5 "[-HKCU\\Software\\NotThere]\n[HKCU\\Software\\Atomic]\n\"nope\"=-\n@=-\n");
        apply_ok(f);
        regfile_free(f);
        ASSERT_EQ(RegOpenKeyExW(HKEY_CURRENT_USER, u"Software\\Atomic", 0, KEY_READ, &k), 0);
        RegCloseKey(k);
}
