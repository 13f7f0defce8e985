/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl --tlb: the main file's `library` block written as an MSFT type library, what
 * midl /tlb and widl -t write and LoadTypeLib reads (src/oleaut/typelib.c reads it back;
 * the layout constants are shared through src/oleaut/msft.h).
 *
 * Type descriptions are made in the order widl makes them: the library's statements in
 * turn, a type another one refers to as soon as it is referred to (an interface's parent
 * before it, unless the parent is a root).  Each has its fixed 0x64-byte part in the
 * type description segment and a member block (function and variable records, then
 * their MEMBERIDs, name offsets and record offsets) written after the segments.  Names
 * are shared case-insensitively, as midl and widl share them (the first spelling wins),
 * and hashed as LHashValOfNameSys hashes them; strings, GUIDs and type table entries
 * are shared too.
 *
 * IUnknown and IDispatch are stdole2.tlb's (an imported type found by GUID); every
 * other imported type, importlib of another library, unions, custom data and what else
 * a type library cannot say the way the IDL says it are refused with an error naming
 * the construct: never a type library that says something else.
 *
 * The Automation numbers below are [MS-OAUT]'s (2.2.7 VARENUM, 2.2.17 TYPEKIND, 2.2.16
 * TYPEFLAGS, 2.2.11 FUNCFLAGS, 2.2.18 VARFLAGS, 2.2.12 PARAMFLAG, 2.2.10 IMPLTYPEFLAGS):
 * dcomidl makes the headers that define them, so it cannot include them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idl.h"
#include "oleaut/msft.h"

enum {
        VT_EMPTY = 0, VT_I2 = 2, VT_I4 = 3, VT_R4 = 4, VT_R8 = 5, VT_CY = 6, VT_DATE = 7,
        VT_BSTR = 8, VT_DISPATCH = 9, VT_ERROR = 10, VT_BOOL = 11, VT_VARIANT = 12,
        VT_UNKNOWN = 13, VT_DECIMAL = 14, VT_I1 = 16, VT_UI1 = 17, VT_UI2 = 18, VT_UI4 = 19,
        VT_I8 = 20, VT_UI8 = 21, VT_INT = 22, VT_UINT = 23, VT_VOID = 24, VT_HRESULT = 25,
        VT_PTR = 26, VT_SAFEARRAY = 27, VT_CARRAY = 28, VT_USERDEFINED = 29, VT_LPSTR = 30,
        VT_LPWSTR = 31, VT_ARRAY = 0x2000, VT_BYREF = 0x4000, VT_TYPEMASK = 0xfff,
};
enum { TKIND_ENUM, TKIND_RECORD, TKIND_MODULE, TKIND_INTERFACE, TKIND_DISPATCH, TKIND_COCLASS,
       TKIND_ALIAS };
enum { FUNC_PUREVIRTUAL = 1, FUNC_STATIC = 3, FUNC_DISPATCH = 4 };
enum { INVOKE_FUNC = 1, INVOKE_PROPERTYGET = 2, INVOKE_PROPERTYPUT = 4,
       INVOKE_PROPERTYPUTREF = 8 };
enum { CC_STDCALL = 4 };
enum { VAR_PERINSTANCE = 0, VAR_CONST = 2, VAR_DISPATCH = 3 };
enum { SYS_WIN32 = 1, SYS_WIN64 = 3 };
#define TYPEFLAG_FCANCREATE 0x2u
#define TYPEFLAG_FDUAL 0x40u
#define TYPEFLAG_FOLEAUTOMATION 0x100u
#define TYPEFLAG_FDISPATCHABLE 0x1000u
#define PARAMFLAG_FIN 0x1u
#define PARAMFLAG_FOUT 0x2u
#define PARAMFLAG_FLCID 0x4u
#define PARAMFLAG_FRETVAL 0x8u
#define PARAMFLAG_FOPT 0x10u
#define PARAMFLAG_FHASDEFAULT 0x20u
#define IMPLTYPEFLAG_FDEFAULT 0x1u
#define IMPLTYPEFLAG_FSOURCE 0x2u
#define IMPLTYPEFLAG_FRESTRICTED 0x4u

/* the sizes of the in-memory descriptions, 32-bit, as the records count them */
#define SIZEOF_FUNCDESC 52u
#define SIZEOF_VARDESC 36u
#define SIZEOF_ELEMDESC 16u
#define SIZEOF_PARAMDESCEX 24u
#define SIZEOF_TYPEDESC 8u
#define SIZEOF_ARRAYDESC 20u
#define SIZEOF_VARIANT 16u

#define PAD_BYTE 0x57           /* what midl and widl fill padding with */

static const struct idl_guid LIBID_stdole2 = {
        0x00020430, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const struct idl_guid IID_IUnknown = {
        0x00000000, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const struct idl_guid IID_IDispatch = {
        0x00020400, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };

/* --- growable byte buffers (a tool: out of memory aborts) ------------------------------ */

struct buf {
        uint8_t *p;
        size_t len, cap;
};

static size_t buf_grow(struct buf *b, size_t n, int fill) {
        size_t off = b->len;
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + n)
                        cap *= 2;
                b->p = realloc(b->p, cap);
                if (!b->p)
                        abort();
                b->cap = cap;
        }
        memset(b->p + off, fill, n);
        b->len += n;
        return off;
}

static void put32(struct buf *b, size_t off, uint32_t v) {
        b->p[off] = (uint8_t)v;
        b->p[off + 1] = (uint8_t)(v >> 8);
        b->p[off + 2] = (uint8_t)(v >> 16);
        b->p[off + 3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const struct buf *b, size_t off) {
        return (uint32_t)b->p[off] | (uint32_t)b->p[off + 1] << 8 | (uint32_t)b->p[off + 2] << 16 |
               (uint32_t)b->p[off + 3] << 24;
}

static void append(struct buf *b, const void *data, size_t n) {
        size_t off = buf_grow(b, n, 0);
        if (n)
                memcpy(b->p + off, data, n);
}

static size_t add32(struct buf *b, uint32_t v) {
        size_t off = buf_grow(b, 4, 0);
        put32(b, off, v);
        return off;
}

/* --- the library being written ------------------------------------------------------------ */

struct member {
        uint32_t id, name, off;
};

struct tinfo {
        const void *key;                /* the IDL node it describes */
        const char *name;
        int kind;                       /* TKIND_* */
        uint32_t index;
        uint32_t w[MSFT_TYPEINFO_SIZE / 4];
        struct buf fdata, vdata;        /* function and variable records */
        struct member *funcs, *vars;
        size_t n_funcs, n_vars;
        uint32_t datawidth, align;      /* a record's layout so far */
        bool done;                      /* members written (a type in the making is not) */
};

struct tlw {
        struct idl_ctx *ctx;
        unsigned ptr;                   /* pointer size of the target: 4 or 8 */
        uint32_t hdr[MSFT_HEADER_SIZE / 4];
        struct buf seg[MSFT_SEG_COUNT];
        struct tinfo **tis;
        size_t n_tis;
        int32_t stdole_file;            /* offset of stdole2.tlb in IMPFILES, or -1 */
        int32_t unknown_href, dispatch_href;
        /* typedef [attrs] struct tag {...} name: the record tag takes attrs but the uuid */
        const struct idl_type *tag_of_typedef;
        struct idl_attr *typedef_attrs;
};

#define W(off) ((off) / 4)

static uint32_t align_up(uint32_t v, uint32_t a) {
        return a ? (v + a - 1) / a * a : v;
}

/* --- names, strings, GUIDs ------------------------------------------------------------------ */

/*
 * LHashValOfNameSys's low word for the Western European languages' table (LANG_NEUTRAL,
 * LANG_ENGLISH and most others): a multiplicative hash over the characters folded to
 * upper case, except that 'W' counts as 'V', 'Y' as 'U' and '/' as 0.  Identifiers are
 * ASCII, the only characters folded here.
 */
static uint16_t name_hash(const char *s) {
        uint32_t h = 0x0deadbee;

        for (; *s; s++) {
                unsigned c = (unsigned char)*s;
                if (c >= 'a' && c <= 'z')
                        c -= 'a' - 'A';
                if (c == 'W')
                        c = 'V';
                else if (c == 'Y')
                        c = 'U';
                else if (c == '/')
                        c = 0;
                h = 37 * h + c;
        }
        return (uint16_t)(h % 65599);
}

/* The primary languages whose hash table is not the Western one (see name_hash). */
static bool lcid_hash_supported(uint32_t lcid) {
        static const uint16_t other[] = { 0x01, 0x04, 0x05, 0x08, 0x0a, 0x0d, 0x0e, 0x0f, 0x11,
                                          0x12, 0x15, 0x19, 0x1b, 0x1f, 0x29 };
        uint16_t lang = lcid & 0x3ff;

        for (size_t i = 0; i < sizeof other / sizeof *other; i++)
                if (lang == other[i])
                        return false;
        /* Norwegian Nynorsk has its own table too */
        return !(lang == 0x14 && ((lcid & 0xffff) >> 10) == 2);
}

/*
 * A name table entry: {hreftype of its first owner or -1, next in its hash bucket,
 * length | flags << 8 | hash << 16}, then the characters padded to 4.  Names are
 * shared case-insensitively.
 */
static uint32_t alloc_name(struct tlw *w, const char *name) {
        struct buf *n = &w->seg[MSFT_SEG_NAMETAB], *hash = &w->seg[MSFT_SEG_NAMEHASH];
        size_t len = strlen(name);
        uint32_t intro, bucket;

        if (len > 255)
                len = 255;      /* refused by the caller */
        intro = (uint32_t)len | (uint32_t)name_hash(name) << 16;
        bucket = (intro >> 16) & 0x7f;
        for (uint32_t off = get32(hash, 4 * bucket); off != 0xffffffffu; off = get32(n, off + 4))
                if (((get32(n, off + 8) ^ intro) & 0xffff00ffu) == 0 &&
                    strncasecmp((const char *)n->p + off + 12, name, len) == 0)
                        return off;
        size_t off = buf_grow(n, 12 + align_up((uint32_t)len, 4), PAD_BYTE);
        put32(n, off, 0xffffffffu);
        put32(n, off + 4, get32(hash, 4 * bucket));
        put32(n, off + 8, intro);
        memcpy(n->p + off + 12, name, len);
        put32(hash, 4 * bucket, (uint32_t)off);
        w->hdr[W(MSFT_H_NAMECOUNT)]++;
        w->hdr[W(MSFT_H_NAMECHARS)] += (uint32_t)len;
        return (uint32_t)off;
}

/* A string table entry: a 16-bit length and the characters, at least 8 bytes in all. */
static uint32_t alloc_string(struct tlw *w, const char *s, size_t len) {
        struct buf *b = &w->seg[MSFT_SEG_STRINGTAB];
        size_t size = len < 3 ? 8 : (len + 5) & ~(size_t)3;

        for (size_t off = 0; off < b->len;) {
                size_t n = b->p[off] | (size_t)b->p[off + 1] << 8;
                if (n == len && memcmp(b->p + off + 2, s, len) == 0)
                        return (uint32_t)off;
                off += n < 3 ? 8 : (n + 5) & ~(size_t)3;
        }
        size_t off = buf_grow(b, size, PAD_BYTE);
        b->p[off] = (uint8_t)len;
        b->p[off + 1] = (uint8_t)(len >> 8);
        memcpy(b->p + off + 2, s, len);
        return (uint32_t)off;
}

static void guid_bytes(const struct idl_guid *g, uint8_t out[16]) {
        out[0] = (uint8_t)g->d1;
        out[1] = (uint8_t)(g->d1 >> 8);
        out[2] = (uint8_t)(g->d1 >> 16);
        out[3] = (uint8_t)(g->d1 >> 24);
        out[4] = (uint8_t)g->d2;
        out[5] = (uint8_t)(g->d2 >> 8);
        out[6] = (uint8_t)g->d3;
        out[7] = (uint8_t)(g->d3 >> 8);
        memcpy(out + 8, g->d4, 8);
}

/* A GUID table entry {GUID, hreftype, next in its hash bucket}; an existing one is kept. */
static uint32_t alloc_guid(struct tlw *w, const struct idl_guid *g, int32_t href) {
        struct buf *t = &w->seg[MSFT_SEG_GUIDTAB], *hash = &w->seg[MSFT_SEG_GUIDHASH];
        uint8_t bytes[16];
        uint16_t x = 0;

        guid_bytes(g, bytes);
        for (int i = 0; i < 16; i += 2)
                x ^= (uint16_t)(bytes[i] | bytes[i + 1] << 8);
        uint32_t bucket = x & 0x1f;
        for (uint32_t off = get32(hash, 4 * bucket); off != 0xffffffffu; off = get32(t, off + 20))
                if (memcmp(t->p + off, bytes, 16) == 0)
                        return off;
        size_t off = buf_grow(t, 24, 0);
        memcpy(t->p + off, bytes, 16);
        put32(t, off + 16, (uint32_t)href);
        put32(t, off + 20, get32(hash, 4 * bucket));
        put32(hash, 4 * bucket, (uint32_t)off);
        return (uint32_t)off;
}

/* --- attributes -------------------------------------------------------------------------------- */

static bool has_attr(struct idl_attr *attrs, const char *name) {
        return idl_attr_find(attrs, name) != NULL;
}

/* An attribute's one numeric argument; false (with an error) when it is not a constant. */
static bool attr_num(struct tlw *w, struct idl_attr *a, int64_t *ret) {
        if (a->n_args != 1 || !idl_eval(w->ctx, a->args[0], ret)) {
                idl_error(w->ctx, &a->loc, "[%s] needs a constant argument", a->name);
                return false;
        }
        return true;
}

/*
 * A string literal as written (escapes kept by the lexer) turned into its bytes: the C
 * escapes \n \t \r \\ \" \' \0; anything else is refused.  The bytes go to the file as
 * they are (an 8-bit string table).
 */
static char *unescape(struct tlw *w, const struct idl_expr *e, size_t *ret_len) {
        const char *s = e->str;
        char *out = idl_alloc(w->ctx, strlen(s) + 1);
        size_t n = 0;

        for (; *s; s++) {
                if (*s != '\\') {
                        out[n++] = *s;
                        continue;
                }
                switch (*++s) {
                case 'n': out[n++] = '\n'; break;
                case 't': out[n++] = '\t'; break;
                case 'r': out[n++] = '\r'; break;
                case '\\': out[n++] = '\\'; break;
                case '"': out[n++] = '"'; break;
                case '\'': out[n++] = '\''; break;
                case '0': out[n++] = 0; break;
                default:
                        idl_error(w->ctx, &e->loc, "escape '\\%c' in a string for a type library "
                                  "is not supported", *s ? *s : ' ');
                        return NULL;
                }
        }
        out[n] = 0;
        if (n > 0xffff) {
                idl_error(w->ctx, &e->loc, "string of %zu bytes is too long for a type library", n);
                return NULL;
        }
        *ret_len = n;
        return out;
}

/* The offset of an attribute's string argument in the string table, or -1 without one. */
static bool attr_string(struct tlw *w, struct idl_attr *attrs, const char *name, int32_t *ret) {
        struct idl_attr *a = idl_attr_find(attrs, name);
        size_t len;
        char *s;

        *ret = -1;
        if (!a)
                return true;
        if (a->n_args != 1 || (a->args[0]->kind != EXPR_STRING && a->args[0]->kind != EXPR_WSTRING)) {
                idl_error(w->ctx, &a->loc, "[%s] needs a string", name);
                return false;
        }
        if (!(s = unescape(w, a->args[0], &len)))
                return false;
        *ret = (int32_t)alloc_string(w, s, len);
        return true;
}

/* version(major.minor): major | minor << 16. */
static bool attr_version(struct tlw *w, struct idl_attr *attrs, uint32_t *ret) {
        struct idl_attr *a = idl_attr_find(attrs, "version");
        char *end;

        *ret = 0;
        if (!a)
                return true;
        if (a->n_args != 1 || !a->args[0]->str) {
                idl_error(w->ctx, &a->loc, "malformed version attribute");
                return false;
        }
        unsigned long major = strtoul(a->args[0]->str, &end, 10), minor = 0;
        if (*end == '.')
                minor = strtoul(end + 1, &end, 10);
        if (*end || major > 0xffff || minor > 0xffff) {
                idl_error(w->ctx, &a->loc, "malformed version '%s'", a->args[0]->str);
                return false;
        }
        *ret = (uint32_t)major | (uint32_t)minor << 16;
        return true;
}

/* Attributes a type library has no place for here: refused rather than dropped. */
static bool refuse_attrs(struct tlw *w, struct idl_attr *attrs, const char *what,
                         const char *name) {
        static const char *const refused[] = { "custom", "helpstringdll" };
        bool ok = true;

        for (struct idl_attr *a = attrs; a; a = a->next)
                for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
                        if (strcmp(a->name, refused[i]) == 0) {
                                idl_error(w->ctx, &a->loc, "[%s] on %s '%s': dcomidl --tlb does not "
                                          "write it yet", a->name, what, name ? name : "?");
                                ok = false;
                        }
        return ok;
}

struct flag_attr {
        const char *name;
        uint32_t flag;
};

static uint32_t attr_flags(struct idl_attr *attrs, const struct flag_attr *map, size_t n) {
        uint32_t f = 0;
        for (struct idl_attr *a = attrs; a; a = a->next)
                for (size_t i = 0; i < n; i++)
                        if (strcmp(a->name, map[i].name) == 0)
                                f |= map[i].flag;
        return f;
}

/* [MS-OAUT] 2.2.16 TYPEFLAGS */
static const struct flag_attr type_flag_attrs[] = {
        { "appobject", 0x1 }, { "licensed", 0x4 }, { "hidden", 0x10 }, { "control", 0x20 },
        { "nonextensible", 0x80 }, { "oleautomation", 0x100 }, { "restricted", 0x200 },
        { "aggregatable", 0x400 }, { "proxy", 0x4000 },
};
/* [MS-OAUT] 2.2.11 FUNCFLAGS */
static const struct flag_attr func_flag_attrs[] = {
        { "restricted", 0x1 }, { "source", 0x2 }, { "bindable", 0x4 }, { "requestedit", 0x8 },
        { "displaybind", 0x10 }, { "defaultbind", 0x20 }, { "hidden", 0x40 },
        { "usesgetlasterror", 0x80 }, { "defaultcollelem", 0x100 }, { "uidefault", 0x200 },
        { "nonbrowsable", 0x400 }, { "immediatebind", 0x1000 },
};
/* [MS-OAUT] 2.2.18 VARFLAGS */
static const struct flag_attr var_flag_attrs[] = {
        { "readonly", 0x1 }, { "source", 0x2 }, { "bindable", 0x4 }, { "requestedit", 0x8 },
        { "displaybind", 0x10 }, { "defaultbind", 0x20 }, { "hidden", 0x40 },
        { "restricted", 0x80 }, { "defaultcollelem", 0x100 }, { "uidefault", 0x200 },
        { "nonbrowsable", 0x400 }, { "immediatebind", 0x1000 },
};

#define N(a) (sizeof a / sizeof *a)

/* --- type descriptions ------------------------------------------------------------------------- */

static struct tinfo *find_ti(struct tlw *w, const void *key) {
        for (size_t i = 0; i < w->n_tis; i++)
                if (w->tis[i]->key == key)
                        return w->tis[i];
        return NULL;
}

static uint32_t ti_href(const struct tinfo *ti) {
        return ti->index * MSFT_TYPEINFO_SIZE;
}

/* A new type description named name, with the attributes every kind takes. */
static struct tinfo *new_ti(struct tlw *w, const void *key, int kind, const char *name,
                            struct idl_attr *attrs, const struct idl_loc *loc) {
        struct tinfo *ti = calloc(1, sizeof *ti);
        struct tinfo **v = realloc(w->tis, (w->n_tis + 1) * sizeof *v);
        int32_t doc;
        int64_t n;

        if (!ti || !v)
                abort();
        w->tis = v;
        w->tis[w->n_tis] = ti;
        ti->index = (uint32_t)w->n_tis++;
        ti->key = key;
        ti->kind = kind;
        ti->name = name;
        ti->align = 1;
        if (strlen(name) > 255)
                idl_error(w->ctx, loc, "name '%s' is longer than a type library's 255 "
                          "characters", name);
        uint32_t name_off = alloc_name(w, name);
        struct buf *names = &w->seg[MSFT_SEG_NAMETAB];
        put32(names, name_off, ti_href(ti));
        names->p[name_off + 9] = 0x38;
        ti->w[W(MSFT_TI_KIND)] = ti->index << 16 | MSFT_TI_KIND_DEFAULT | (uint32_t)kind;
        ti->w[W(MSFT_TI_MEMOFFSET)] = 0xffffffffu;
        ti->w[W(MSFT_TI_RES3)] = 0xffffffffu;
        ti->w[W(MSFT_TI_RES4)] = 3;
        ti->w[W(MSFT_TI_GUID)] = 0xffffffffu;
        ti->w[W(MSFT_TI_NAME)] = name_off;
        ti->w[W(MSFT_TI_DOC)] = 0xffffffffu;
        ti->w[W(MSFT_TI_CUSTDATA)] = 0xffffffffu;
        ti->w[W(MSFT_TI_DATATYPE1)] = 0xffffffffu;
        ti->w[W(MSFT_TI_RES19)] = 0xffffffffu;
        if (kind == TKIND_COCLASS)
                ti->w[W(MSFT_TI_FLAGS)] |= TYPEFLAG_FCANCREATE;
        ti->w[W(MSFT_TI_FLAGS)] |= attr_flags(attrs, type_flag_attrs, N(type_flag_attrs));
        if (kind == TKIND_COCLASS && has_attr(attrs, "noncreatable"))
                ti->w[W(MSFT_TI_FLAGS)] &= ~TYPEFLAG_FCANCREATE;
        refuse_attrs(w, attrs, "type", name);
        struct idl_attr *a = idl_attr_find(attrs, "uuid");
        if (a) {
                struct idl_guid g;
                if (a->n_args != 1 || !a->args[0]->str || !idl_parse_guid(a->args[0]->str, &g))
                        idl_error(w->ctx, &a->loc, "malformed uuid");
                else
                        ti->w[W(MSFT_TI_GUID)] = alloc_guid(w, &g, (int32_t)ti_href(ti));
        }
        if (attr_string(w, attrs, "helpstring", &doc))
                ti->w[W(MSFT_TI_DOC)] = (uint32_t)doc;
        if ((a = idl_attr_find(attrs, "helpcontext")) && attr_num(w, a, &n))
                ti->w[W(MSFT_TI_HELPCTX)] = (uint32_t)n;
        if ((a = idl_attr_find(attrs, "helpstringcontext")) && attr_num(w, a, &n))
                ti->w[W(MSFT_TI_HELPSTRINGCTX)] = (uint32_t)n;
        attr_version(w, attrs, &ti->w[W(MSFT_TI_VERSION)]);
        return ti;
}

static void set_align(struct tinfo *ti, uint32_t align) {
        ti->align = align;
        ti->w[W(MSFT_TI_KIND)] &= ~0xffc0u;
        ti->w[W(MSFT_TI_KIND)] |= align << MSFT_TI_KIND_ALIGN_SHIFT | align << 6;
}

/* --- imported types: stdole2.tlb's IUnknown and IDispatch --------------------------------- */

static int32_t import_stdole(struct tlw *w, const struct idl_guid *iid, const char *name) {
        struct buf *files = &w->seg[MSFT_SEG_IMPFILES], *infos = &w->seg[MSFT_SEG_IMPINFO];
        static const char file[] = "stdole2.tlb";
        int32_t *href = strcmp(name, "IDispatch") == 0 ? &w->dispatch_href : &w->unknown_href;

        if (*href != -1)
                return *href;
        if (w->stdole_file < 0) {
                /* {LIBID offset, LCID, version, (length << 2 | 1) and the name} */
                uint32_t g = alloc_guid(w, &LIBID_stdole2, 2);
                size_t len = sizeof file - 1, size = len < 3 ? 8 : (len + 5) & ~(size_t)3;
                size_t off = buf_grow(files, 12 + size, PAD_BYTE);
                put32(files, off, g);
                put32(files, off + 4, w->hdr[W(MSFT_H_LCID2)]);
                put32(files, off + 8, 2);       /* 2.0 */
                files->p[off + 12] = (uint8_t)(len << 2 | 1);
                files->p[off + 13] = (uint8_t)(len >> 6);
                memcpy(files->p + off + 14, file, len);
                w->stdole_file = (int32_t)off;
        }
        /* {TKIND << 24 | by GUID | import number, file offset, GUID offset} */
        size_t off = infos->len;
        uint32_t g = alloc_guid(w, iid, (int32_t)off + 1);
        add32(infos, (uint32_t)TKIND_INTERFACE << 24 | MSFT_IMPINFO_BY_GUID |
                     w->hdr[W(MSFT_H_NIMPINFOS)]++);
        add32(infos, (uint32_t)w->stdole_file);
        add32(infos, g);
        *href = (int32_t)off + 1;
        if (href == &w->dispatch_href)
                w->hdr[W(MSFT_H_DISPATCH)] = (uint32_t)*href;
        return *href;
}

static bool is_stdole_iface(const struct idl_iface *i) {
        return i && i->name && (strcmp(i->name, "IUnknown") == 0 || strcmp(i->name, "IDispatch") == 0);
}

/* --- types ------------------------------------------------------------------------------------ */

struct enc {
        uint32_t enc;                   /* negative: a base type; else a TYPDESC offset */
        uint32_t width, align;          /* as a member of a record */
        uint32_t decoded;               /* the TYPEDESCs' size in memory (32-bit) */
        bool implicit_ptr;              /* IUnknown/IDispatch: a pointer to it is the VT */
};

static struct idl_type *strip_ref(struct idl_type *t) {
        for (int n = 0; t && t->kind == TYPE_NAMEREF && t->ref && n < 100; n++)
                t = t->ref;
        return t;
}

static void base_enc(struct tlw *w, unsigned vt, struct enc *e) {
        memset(e, 0, sizeof *e);
        e->enc = MSFT_BASE_TYPE | (uint32_t)vt << 16 | vt;
        switch (vt) {
        case VT_I1: case VT_UI1: e->width = e->align = 1; break;
        case VT_I2: case VT_UI2: case VT_BOOL: e->width = e->align = 2; break;
        case VT_INT: e->enc = MSFT_BASE_TYPE | VT_I4 << 16 | VT_INT; e->width = e->align = 4; break;
        case VT_UINT: e->enc = MSFT_BASE_TYPE | VT_UI4 << 16 | VT_UINT; e->width = e->align = 4; break;
        case VT_I4: case VT_UI4: case VT_R4: case VT_ERROR: case VT_HRESULT:
                e->width = e->align = 4;
                break;
        case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE:
                e->width = e->align = 8;
                break;
        case VT_DECIMAL: e->width = 16; e->align = 8; break;
        case VT_VARIANT: e->width = w->ptr == 8 ? 24 : 16; e->align = 8; break;
        case VT_VOID: e->enc = MSFT_BASE_TYPE | VT_EMPTY << 16 | VT_VOID; e->align = 1; break;
        case VT_LPSTR: case VT_LPWSTR:
                e->enc = 0xfffe0000u | vt;
                e->width = e->align = w->ptr;
                break;
        default:        /* VT_BSTR, VT_UNKNOWN, VT_DISPATCH */
                e->width = e->align = w->ptr;
                break;
        }
}

/* A type table entry {mix << 16 | vt, target}, shared when one is there already. */
static uint32_t alloc_typedesc(struct tlw *w, uint32_t w0, uint32_t w1, bool share) {
        struct buf *t = &w->seg[MSFT_SEG_TYPDESC];
        if (share)
                for (size_t off = 0; off < t->len; off += 8)
                        if (get32(t, off) == w0 && get32(t, off + 4) == w1)
                                return (uint32_t)off;
        size_t off = add32(t, w0);
        add32(t, w1);
        return (uint32_t)off;
}

/* What a VT_PTR or VT_SAFEARRAY entry says of its target in its upper 16 bits. */
static uint32_t mix_of(struct tlw *w, uint32_t target, uint32_t flag) {
        if (target & MSFT_BASE_TYPE)
                return ((target >> 16) & (flag == VT_BYREF ? 0x3fffu : VT_TYPEMASK)) | flag;
        uint32_t hi = get32(&w->seg[MSFT_SEG_TYPDESC], target) >> 16;
        if (hi == MSFT_TD_NAMED)
                return MSFT_TD_NAMED;
        if (hi == MSFT_TD_COMPOUND || (hi & VT_BYREF) || flag == VT_ARRAY)
                return MSFT_TD_COMPOUND;
        return hi | flag;
}

static bool add_type(struct tlw *w, struct idl_type *t, struct tinfo **ret);
static bool add_record(struct tlw *w, struct idl_type *t, const char *name,
                       struct idl_attr *attrs, struct tinfo **ret);

static int encode(struct tlw *w, struct idl_type *t, const struct idl_loc *loc, struct enc *e,
                  int depth);

/* The named (USERDEFINED) type t whose description is ti. */
static void named_enc(struct tlw *w, struct tinfo *ti, struct enc *e) {
        memset(e, 0, sizeof *e);
        e->enc = alloc_typedesc(w, MSFT_TD_NAMED << 16 | VT_USERDEFINED, ti_href(ti), true);
        e->width = ti->w[W(MSFT_TI_SIZE)];
        e->align = ti->align;
}

static const struct {
        const char *name;
        unsigned vt;
} named_vts[] = {
        { "BSTR", VT_BSTR }, { "VARIANT", VT_VARIANT }, { "VARIANTARG", VT_VARIANT },
        { "VARIANT_BOOL", VT_BOOL }, { "DATE", VT_DATE }, { "CY", VT_CY },
        { "CURRENCY", VT_CY }, { "DECIMAL", VT_DECIMAL }, { "HRESULT", VT_HRESULT },
        { "SCODE", VT_ERROR }, { "LPSTR", VT_LPSTR }, { "LPCSTR", VT_LPSTR },
        { "LPWSTR", VT_LPWSTR }, { "LPCWSTR", VT_LPWSTR }, { "LPOLESTR", VT_LPWSTR },
        { "LPCOLESTR", VT_LPWSTR },
};

static int encode_basic(struct tlw *w, struct idl_type *t, const struct idl_loc *loc,
                        struct enc *e) {
        bool u = t->sign == SIGN_UNSIGNED;
        unsigned vt;

        switch (t->basic) {
        case BASIC_BOOLEAN: case BASIC_BYTE: vt = VT_UI1; break;
        case BASIC_CHAR: case BASIC_SMALL: vt = u ? VT_UI1 : VT_I1; break;
        case BASIC_SHORT: vt = u ? VT_UI2 : VT_I2; break;
        case BASIC_INT: vt = u ? VT_UINT : VT_INT; break;
        case BASIC_LONG: vt = u ? VT_UI4 : VT_I4; break;
        case BASIC_HYPER: case BASIC_INT64: vt = u ? VT_UI8 : VT_I8; break;
        case BASIC_FLOAT: vt = VT_R4; break;
        case BASIC_DOUBLE: vt = VT_R8; break;
        case BASIC_WCHAR: vt = VT_UI2; break;
        default:
                idl_error(w->ctx, loc, "%s has no Automation type: dcomidl --tlb cannot write it",
                          t->basic == BASIC_HANDLE ? "handle_t" :
                          t->basic == BASIC_ERROR_STATUS ? "error_status_t" : "__int3264");
                return -1;
        }
        base_enc(w, vt, e);
        return 0;
}

static int encode(struct tlw *w, struct idl_type *t, const struct idl_loc *loc, struct enc *e,
                  int depth) {
        struct tinfo *ti;

        t = strip_ref(t);
        if (!t || depth > 50) {
                idl_error(w->ctx, loc, "type nested too deeply for a type library");
                return -1;
        }
        switch (t->kind) {
        case TYPE_VOID:
                base_enc(w, VT_VOID, e);
                return 0;
        case TYPE_BASIC:
                return encode_basic(w, t, loc, e);
        case TYPE_ALIAS:
                for (size_t i = 0; t->name && i < N(named_vts); i++)
                        if (strcmp(t->name, named_vts[i].name) == 0) {
                                base_enc(w, named_vts[i].vt, e);
                                return 0;
                        }
                if ((ti = find_ti(w, t))) {
                        named_enc(w, ti, e);
                        return 0;
                }
                /* typedef struct X {...} X (or an anonymous one): the record is the name */
                struct idl_type *target = strip_ref(t->ref);
                if (target && (target->kind == TYPE_STRUCT || target->kind == TYPE_ENUM) &&
                    target->defined && (!target->name || strcmp(target->name, t->name) == 0)) {
                        if (!target->imported && !(ti = find_ti(w, target)) &&
                            !add_record(w, target, t->name, t->attrs, &ti))
                                return -1;
                        return encode(w, target, loc, e, depth + 1);
                }
                if (!t->imported && !t->builtin && (has_attr(t->attrs, "public") ||
                                                     has_attr(t->attrs, "uuid"))) {
                        if (!add_type(w, t, &ti))
                                return -1;
                        named_enc(w, ti, e);
                        return 0;
                }
                return encode(w, t->ref, loc, e, depth + 1);
        case TYPE_ENUM:
        case TYPE_STRUCT:
                if (!t->defined && t->ref)
                        return encode(w, t->ref, loc, e, depth + 1);
                if (t->imported || t->builtin) {
                        idl_error(w->ctx, loc, "%s '%s' is declared outside the library's file: "
                                  "dcomidl --tlb imports only IUnknown and IDispatch (stdole2.tlb)",
                                  t->kind == TYPE_ENUM ? "enum" : "struct", t->name ? t->name : "?");
                        return -1;
                }
                if (!(ti = find_ti(w, t)) && !add_type(w, t, &ti))
                        return -1;
                if (!ti->done && t->kind == TYPE_STRUCT && depth == 0) {
                        idl_error(w->ctx, loc, "struct '%s' contains itself", ti->name);
                        return -1;
                }
                named_enc(w, ti, e);
                return 0;
        case TYPE_INTERFACE:
                if (t->iface && t->iface->name && strcmp(t->iface->name, "IUnknown") == 0) {
                        base_enc(w, VT_UNKNOWN, e);
                        e->implicit_ptr = true;
                        return 0;
                }
                if (t->iface && t->iface->name && strcmp(t->iface->name, "IDispatch") == 0) {
                        base_enc(w, VT_DISPATCH, e);
                        e->implicit_ptr = true;
                        return 0;
                }
                if (!t->iface || t->imported || t->iface->imported || !t->iface->defined) {
                        idl_error(w->ctx, loc, "interface '%s' is not defined in the library's "
                                  "file: dcomidl --tlb imports only IUnknown and IDispatch "
                                  "(stdole2.tlb)", t->name ? t->name : "?");
                        return -1;
                }
                if (!(ti = find_ti(w, t->iface)) && !add_type(w, t, &ti))
                        return -1;
                named_enc(w, ti, e);
                e->width = e->align = w->ptr;
                return 0;
        case TYPE_POINTER: {
                struct enc child;
                uint32_t vt = VT_PTR, flag = VT_BYREF;
                if (t->sa_elem) {
                        if (encode(w, t->sa_elem, loc, &child, depth + 1) < 0)
                                return -1;
                        if (child.implicit_ptr)
                                child.implicit_ptr = false;
                        vt = VT_SAFEARRAY;
                        flag = VT_ARRAY;
                } else {
                        struct idl_type *r = strip_ref(t->ref);
                        if (r && r->kind == TYPE_ALIAS && r->name && strcmp(r->name, "SAFEARRAY") == 0) {
                                idl_error(w->ctx, loc, "a SAFEARRAY pointer without its element "
                                          "type: write SAFEARRAY(TYPE) for a type library");
                                return -1;
                        }
                        if (encode(w, t->ref, loc, &child, depth + 1) < 0)
                                return -1;
                        if (child.implicit_ptr) {
                                /* IUnknown * is VT_UNKNOWN: the pointer is implied */
                                *e = child;
                                e->implicit_ptr = false;
                                return 0;
                        }
                }
                memset(e, 0, sizeof *e);
                e->enc = alloc_typedesc(w, mix_of(w, child.enc, flag) << 16 | vt, child.enc, true);
                e->width = e->align = w->ptr;
                e->decoded = SIZEOF_TYPEDESC + child.decoded;
                return 0;
        }
        case TYPE_ARRAY: {
                struct idl_type *a = t;
                uint32_t dims[32], n = 0, count = 1;
                struct enc elem;
                for (; a && a->kind == TYPE_ARRAY; a = strip_ref(a->ref)) {
                        int64_t v;
                        if (!a->size || !idl_eval(w->ctx, a->size, &v) || v <= 0 || v > 0x7fffffff) {
                                idl_error(w->ctx, loc, "a conformant or varying array has no place "
                                          "in a type library: give it a constant size");
                                return -1;
                        }
                        if (n == 32) {
                                idl_error(w->ctx, loc, "array of more than 32 dimensions");
                                return -1;
                        }
                        dims[n++] = (uint32_t)v;
                        if ((uint64_t)count * (uint64_t)v > 0x7fffffff) {
                                idl_error(w->ctx, loc, "an array of more than 2^31 elements "
                                          "has no place in a type library");
                                return -1;
                        }
                        count *= (uint32_t)v;
                }
                if (encode(w, a, loc, &elem, depth + 1) < 0)
                        return -1;
                if ((uint64_t)elem.width * count > 0x7fffffff) {
                        idl_error(w->ctx, loc, "an array larger than 2 GiB has no place in a "
                                  "type library");
                        return -1;
                }
                struct buf *ad = &w->seg[MSFT_SEG_ARRAYDESC];
                size_t off = add32(ad, elem.enc);
                add32(ad, n | (n * 8) << 16);
                for (uint32_t i = 0; i < n; i++) {
                        add32(ad, dims[i]);
                        add32(ad, 0);
                }
                memset(e, 0, sizeof *e);
                e->enc = alloc_typedesc(w, MSFT_TD_COMPOUND << 16 | VT_CARRAY, (uint32_t)off, false);
                e->width = elem.width * count;
                e->align = elem.align;
                e->decoded = SIZEOF_ARRAYDESC + (n - 1) * 8;
                return 0;
        }
        case TYPE_UNION:
        case TYPE_ENCAP_UNION:
                idl_error(w->ctx, loc, "union '%s': dcomidl --tlb does not write unions",
                          t->name ? t->name : "(anonymous)");
                return -1;
        default:
                idl_error(w->ctx, loc, "this type has no place in a type library");
                return -1;
        }
}

/* --- values (constants, default values) -------------------------------------------------- */

/*
 * Negative: the value in 26 bits under its VARTYPE (bits 26-30); else an offset in the
 * custom data segment where {VARTYPE, value} is.
 */
static uint32_t write_int_value(struct tlw *w, unsigned vt, uint32_t v) {
        struct buf *cd = &w->seg[MSFT_SEG_CUSTDATA];

        if (vt == VT_I1 || vt == VT_UI1)
                v &= 0xff;
        else if (vt == VT_I2 || vt == VT_UI2 || vt == VT_BOOL)
                v &= 0xffff;
        if ((v & 0x3ffffff) == v)
                return 0x80000000u | (uint32_t)vt << 26 | v;
        size_t off = buf_grow(cd, 8, PAD_BYTE);
        cd->p[off] = (uint8_t)vt;
        cd->p[off + 1] = 0;
        cd->p[off + 2] = (uint8_t)v;
        cd->p[off + 3] = (uint8_t)(v >> 8);
        cd->p[off + 4] = (uint8_t)(v >> 16);
        cd->p[off + 5] = (uint8_t)(v >> 24);
        return (uint32_t)off;
}

static uint32_t write_bytes_value(struct tlw *w, unsigned vt, const void *data, size_t n,
                                  bool counted) {
        struct buf *cd = &w->seg[MSFT_SEG_CUSTDATA];
        size_t head = counted ? 6 : 2;
        size_t off = buf_grow(cd, (head + n + 3) & ~(size_t)3, PAD_BYTE);

        cd->p[off] = (uint8_t)vt;
        cd->p[off + 1] = 0;
        if (counted)
                for (int i = 0; i < 4; i++)
                        cd->p[off + 2 + i] = (uint8_t)(n >> (8 * i));
        memcpy(cd->p + off + head, data, n);
        return (uint32_t)off;
}

/* A [defaultvalue] for a parameter of type t. */
static bool default_value(struct tlw *w, struct idl_type *t, struct idl_attr *a, uint32_t *ret) {
        struct idl_expr *x = a->n_args == 1 ? a->args[0] : NULL;
        struct idl_type *r = idl_type_resolve(strip_ref(t));
        struct enc e;
        int64_t v;

        if (!x) {
                idl_error(w->ctx, &a->loc, "[defaultvalue] needs one value");
                return false;
        }
        /* the parameter's own VARTYPE; an enum's: INT when named by its tag, I4 by its
           typedef (widl's choice) */
        unsigned vt;
        if (r && r->kind == TYPE_ENUM) {
                vt = strip_ref(t)->kind == TYPE_ENUM ? VT_INT : VT_I4;
        } else {
                if (encode(w, t, &a->loc, &e, 0) < 0)
                        return false;
                vt = (e.enc & MSFT_BASE_TYPE) ? (e.enc & 0xffff) : VT_USERDEFINED;
                if (vt == VT_USERDEFINED && r && r->kind == TYPE_BASIC &&
                    encode_basic(w, r, &a->loc, &e) == 0)
                        vt = e.enc & 0xffff;    /* a [public] alias of a number */
        }
        if (x->kind == EXPR_STRING || x->kind == EXPR_WSTRING) {
                size_t len;
                char *s = unescape(w, x, &len);
                if (!s)
                        return false;
                if (vt != VT_BSTR && vt != VT_VARIANT) {
                        idl_error(w->ctx, &a->loc, "a string default value for a parameter "
                                  "that is not a BSTR or VARIANT");
                        return false;
                }
                *ret = write_bytes_value(w, VT_BSTR, s, len, true);
                return true;
        }
        if (vt == VT_R4 || vt == VT_R8) {
                double d;
                if (x->kind == EXPR_FLOAT)
                        d = strtod(x->str, NULL);
                else if (idl_eval(w->ctx, x, &v))
                        d = (double)v;
                else
                        goto not_constant;
                if (vt == VT_R4) {
                        float f = (float)d;
                        *ret = write_bytes_value(w, VT_R4, &f, sizeof f, false);
                } else {
                        *ret = write_bytes_value(w, VT_R8, &d, sizeof d, false);
                }
                return true;
        }
        if (!idl_eval(w->ctx, x, &v))
                goto not_constant;
        switch (vt) {
        case VT_VARIANT:
                vt = VT_I4;     /* midl's choice for a number given to a VARIANT */
                /* fall through */
        case VT_I1: case VT_UI1: case VT_I2: case VT_UI2: case VT_I4: case VT_UI4:
        case VT_INT: case VT_UINT: case VT_BOOL: case VT_ERROR: case VT_HRESULT:
                *ret = write_int_value(w, vt, (uint32_t)v);
                return true;
        case VT_I8: case VT_UI8: case VT_CY: {
                uint8_t b[8];
                for (int i = 0; i < 8; i++)
                        b[i] = (uint8_t)((uint64_t)v >> (8 * i));
                *ret = write_bytes_value(w, vt, b, 8, false);
                return true;
        }
        default:
                idl_error(w->ctx, &a->loc, "[defaultvalue] for a parameter of this type: "
                          "dcomidl --tlb writes numbers and strings only");
                return false;
        }
not_constant:
        idl_error(w->ctx, &a->loc, "[defaultvalue] is not a constant");
        return false;
}

/* --- members ---------------------------------------------------------------------------------- */

static struct member *add_member(struct member **v, size_t *n) {
        struct member *nv = realloc(*v, (*n + 1) * sizeof *nv);
        if (!nv)
                abort();
        *v = nv;
        memset(&nv[*n], 0, sizeof *nv);
        return &nv[(*n)++];
}

/* The name entry of a member: its first owner's hreftype; 0x10 unless shared, 0x20 const. */
static void member_name(struct tlw *w, struct tinfo *ti, uint32_t off, bool mark, bool konst) {
        struct buf *names = &w->seg[MSFT_SEG_NAMETAB];
        if (get32(names, off) == 0xffffffffu) {
                put32(names, off, ti_href(ti));
                if (mark)
                        names->p[off + 9] |= 0x10;
        } else {
                names->p[off + 9] &= (uint8_t)~0x10;
        }
        if (konst)
                names->p[off + 9] |= 0x20;
}

/*
 * A function record: {size | index << 16, return type, FUNCFLAGS, memory size << 16 |
 * vtable offset, funckind | invkind << 3 | callconv << 8 | flags | next of the same
 * MEMBERID << 16, parameters | optional << 16}, help context and string, a default value
 * per parameter when any has one, then per parameter {type, name, PARAMFLAGs}.
 */
static bool add_func(struct tlw *w, struct tinfo *ti, struct idl_func *fn, uint32_t index,
                     unsigned funckind) {
        struct idl_field *params = fn->type ? fn->type->fields : NULL;
        uint32_t nparams = 0, nopt = 0, ndefaults = 0, extra = 0, lcid_retval = 0;
        unsigned invkind = INVOKE_FUNC;
        struct idl_attr *a;
        int64_t v;
        bool ok = true;

        if (!fn->name || strlen(fn->name) > 255) {
                idl_error(w->ctx, &fn->loc, "method name too long for a type library");
                return false;
        }
        for (struct idl_field *p = params; p; p = p->next) {
                nparams++;
                if (has_attr(p->attrs, "defaultvalue"))
                        ndefaults++;
                else if (has_attr(p->attrs, "optional"))
                        nopt++;
        }
        /* a record's size, its memory size and the counts are 16-bit in the file */
        if (nparams > 0xffff || (ti->w[W(MSFT_TI_ELEMS)] & 0xffff) == 0xffff ||
            (ti->w[W(MSFT_TI_IMPL_VFT)] >> 16) + (uint32_t)w->ptr > 0xffff) {
                idl_error(w->ctx, &fn->loc, "too many parameters or methods for a type library");
                return false;
        }
        uint32_t name_off = alloc_name(w, fn->name);
        uint32_t id = (0x6000u | (ti->w[W(MSFT_TI_DATATYPE2)] & 0xffff)) << 16 | index;
        uint32_t funcflags = attr_flags(fn->attrs, func_flag_attrs, N(func_flag_attrs));
        uint32_t help_ctx = 0;
        int32_t help_string = -1;
        ok &= refuse_attrs(w, fn->attrs, "method", fn->name);
        if ((a = idl_attr_find(fn->attrs, "helpcontext"))) {
                extra = 1;
                ok &= attr_num(w, a, &v);
                help_ctx = (uint32_t)v;
        }
        if (idl_attr_find(fn->attrs, "helpstring")) {
                extra = 2;
                ok &= attr_string(w, fn->attrs, "helpstring", &help_string);
        }
        /* a module function's DLL entry point: a name, or an ordinal */
        uint32_t entry = 0xffffffffu;
        bool entry_ord = false;
        if ((a = idl_attr_find(fn->attrs, "entry"))) {
                if (funckind != FUNC_STATIC) {
                        idl_error(w->ctx, &a->loc, "[entry] on '%s', which is not a module's "
                                  "function", fn->name);
                        ok = false;
                } else if (a->n_args == 1 && (a->args[0]->kind == EXPR_STRING ||
                                              a->args[0]->kind == EXPR_WSTRING)) {
                        size_t len;
                        char *e = unescape(w, a->args[0], &len);
                        if (e)
                                entry = alloc_string(w, e, len);
                        else
                                ok = false;
                } else if (attr_num(w, a, &v)) {
                        entry = (uint32_t)v;
                        entry_ord = true;
                } else {
                        ok = false;
                }
                if (extra < 3)
                        extra = 3;
        }
        uint32_t help_string_ctx = 0;
        if ((a = idl_attr_find(fn->attrs, "helpstringcontext"))) {
                extra = 6;      /* after the entry and two reserved words */
                ok &= attr_num(w, a, &v);
                help_string_ctx = (uint32_t)v;
        }
        if ((a = idl_attr_find(fn->attrs, "id"))) {
                ok &= attr_num(w, a, &v);
                id = (uint32_t)v;
        }
        if (has_attr(fn->attrs, "propget"))
                invkind = INVOKE_PROPERTYGET;
        if (has_attr(fn->attrs, "propput"))
                invkind = INVOKE_PROPERTYPUT;
        if (has_attr(fn->attrs, "propputref"))
                invkind = INVOKE_PROPERTYPUTREF;
        if (has_attr(fn->attrs, "vararg")) {
                if (nopt || ndefaults)
                        idl_error(w->ctx, &fn->loc, "[vararg] method '%s' with [optional] or "
                                  "[defaultvalue] parameters", fn->name);
                nopt = 0xffff;  /* cParamsOpt -1 */
        }
        /* the accessors of one property share its MEMBERID (midl's rule) */
        for (size_t i = 0; i < ti->n_funcs; i++)
                if (ti->funcs[i].name == name_off) {
                        id = ti->funcs[i].id;
                        break;
                }
        /* the functions of one MEMBERID are chained in a ring through the kind word */
        uint32_t next = index;
        for (size_t i = 0; i < ti->n_funcs; i++)
                if (ti->funcs[i].id == id) {
                        size_t k = ti->funcs[i].off + 16;
                        uint32_t kw = get32(&ti->fdata, k);
                        next = kw >> 16;
                        put32(&ti->fdata, k, (kw & 0xffff) | index << 16);
                        break;
                }

        uint32_t size = 24 + extra * 4 + nparams * (ndefaults ? 16 : 12);
        size_t rec = buf_grow(&ti->fdata, size, 0);
        struct enc ret;
        if (encode(w, fn->type ? fn->type->ref : NULL, &fn->loc, &ret, 0) < 0)
                return false;
        uint32_t memsize = SIZEOF_FUNCDESC + ret.decoded + SIZEOF_ELEMDESC * nparams +
                           SIZEOF_PARAMDESCEX * ndefaults;
        if (size > 0xffff || memsize > 0xffff) {
                idl_error(w->ctx, &fn->loc, "too many parameters for a type library");
                return false;
        }
        size_t pbase = rec + 24 + extra * 4 + (ndefaults ? nparams * 4 : 0);
        uint32_t i = 0;
        for (struct idl_field *p = params; p; p = p->next, i++) {
                size_t pd = pbase + 12 * i;
                uint32_t flags = 0, dv = 0xffffffffu;
                struct enc pe;
                if (encode(w, p->type, &p->loc, &pe, 0) < 0) {
                        ok = false;
                        continue;
                }
                for (struct idl_attr *pa = p->attrs; pa; pa = pa->next) {
                        if (strcmp(pa->name, "in") == 0)
                                flags |= PARAMFLAG_FIN;
                        else if (strcmp(pa->name, "out") == 0)
                                flags |= PARAMFLAG_FOUT;
                        else if (strcmp(pa->name, "lcid") == 0)
                                flags |= PARAMFLAG_FLCID, lcid_retval++;
                        else if (strcmp(pa->name, "retval") == 0)
                                flags |= PARAMFLAG_FRETVAL, lcid_retval++;
                        else if (strcmp(pa->name, "optional") == 0)
                                flags |= PARAMFLAG_FOPT;
                        else if (strcmp(pa->name, "defaultvalue") == 0) {
                                flags |= PARAMFLAG_FOPT | PARAMFLAG_FHASDEFAULT;
                                ok &= default_value(w, p->type, pa, &dv);
                        } else if (strcmp(pa->name, "custom") == 0) {
                                idl_error(w->ctx, &pa->loc, "[custom] on parameter '%s': "
                                          "dcomidl --tlb does not write custom data yet",
                                          p->name ? p->name : "?");
                                ok = false;
                        }
                }
                put32(&ti->fdata, pd, pe.enc);
                put32(&ti->fdata, pd + 4, 0xffffffffu);
                put32(&ti->fdata, pd + 8, flags);
                if (ndefaults)
                        put32(&ti->fdata, rec + 24 + extra * 4 + 4 * i, dv);
                memsize += pe.decoded;
        }
        uint32_t kind = funckind | invkind << 3 | CC_STDCALL << 8 | next << 16;
        if (ndefaults)
                kind |= MSFT_FKCCIC_DEFAULTS;
        if (entry_ord)
                kind |= MSFT_FKCCIC_ENTRY_ORD;
        if (lcid_retval == 1)
                kind |= MSFT_FKCCIC_ONE_LCID_RETVAL;
        else if (lcid_retval >= 2)
                kind |= MSFT_FKCCIC_TWO_LCID_RETVAL;
        uint32_t vft = ti->w[W(MSFT_TI_IMPL_VFT)] >> 16;
        put32(&ti->fdata, rec, size | index << 16);
        put32(&ti->fdata, rec + 4, ret.enc);
        put32(&ti->fdata, rec + 8, funcflags);
        put32(&ti->fdata, rec + 12, (memsize & 0xffff) << 16 | vft);
        put32(&ti->fdata, rec + 16, kind);
        put32(&ti->fdata, rec + 20, nparams | nopt << 16);
        if (extra >= 1)
                put32(&ti->fdata, rec + 24, help_ctx);
        if (extra >= 2)
                put32(&ti->fdata, rec + 28, (uint32_t)help_string);
        if (extra >= 3)
                put32(&ti->fdata, rec + 32, entry);
        if (extra >= 6) {
                put32(&ti->fdata, rec + 36, 0xffffffffu);
                put32(&ti->fdata, rec + 40, 0xffffffffu);
                put32(&ti->fdata, rec + 44, help_string_ctx);
        }

        struct member *m = add_member(&ti->funcs, &ti->n_funcs);
        m->id = id;
        m->name = name_off;
        m->off = (uint32_t)rec;
        /* bookkeeping midl and widl keep (readers ignore it) */
        if (!ti->w[W(MSFT_TI_RES2)])
                ti->w[W(MSFT_TI_RES2)] = 0x20;
        ti->w[W(MSFT_TI_RES2)] <<= 1;
        if (index < 2)
                ti->w[W(MSFT_TI_RES2)] += nparams << 4;
        if (ti->w[W(MSFT_TI_RES3)] == 0xffffffffu)
                ti->w[W(MSFT_TI_RES3)] = 0;
        ti->w[W(MSFT_TI_RES3)] += 0x38 + nparams * 0x10 + (ndefaults ? nparams * 4 : 0);
        if (funckind != FUNC_STATIC)
                ti->w[W(MSFT_TI_IMPL_VFT)] += (uint32_t)w->ptr << 16;
        ti->w[W(MSFT_TI_ELEMS)] += 1;
        member_name(w, ti, name_off, funckind == FUNC_STATIC, funckind == FUNC_STATIC);
        /* a property put's value has no name */
        i = 0;
        for (struct idl_field *p = params; p; p = p->next, i++) {
                if (i == nparams - 1 &&
                    (invkind == INVOKE_PROPERTYPUT || invkind == INVOKE_PROPERTYPUTREF))
                        continue;
                if (!p->name || strlen(p->name) > 255) {
                        idl_error(w->ctx, &p->loc, "parameter %u of '%s' has no name, or one "
                                  "longer than 255 characters", i + 1, fn->name);
                        ok = false;
                        continue;
                }
                put32(&ti->fdata, pbase + 12 * i + 4, alloc_name(w, p->name));
        }
        return ok;
}

/*
 * A variable record: {size | index << 16, type, VARFLAGS, memory size << 16 | varkind,
 * offset in the record, or the constant's value}.
 */
static bool add_var(struct tlw *w, struct tinfo *ti, struct idl_field *f, uint32_t index) {
        uint32_t id = 0x40000000u + index, varkind = VAR_PERINSTANCE;
        struct idl_attr *a;
        struct enc e;
        int64_t v;
        bool ok = true;

        if (!f->name || strlen(f->name) > 255) {
                idl_error(w->ctx, &f->loc, "a member without a name, or with one longer than 255 "
                          "characters, has no place in a type library");
                return false;
        }
        if ((ti->w[W(MSFT_TI_ELEMS)] >> 16) == 0xffff) {
                idl_error(w->ctx, &f->loc, "too many members for a type library");
                return false;
        }
        if (f->bits) {
                idl_error(w->ctx, &f->loc, "bit-field '%s' has no place in a type library", f->name);
                return false;
        }
        ok &= refuse_attrs(w, f->attrs, "member", f->name);
        if ((a = idl_attr_find(f->attrs, "id")) && attr_num(w, a, &v))
                id = (uint32_t)v;
        size_t rec = buf_grow(&ti->vdata, 20, 0);
        if (ti->kind == TKIND_ENUM)
                base_enc(w, VT_INT, &e);
        else if (encode(w, f->type, &f->loc, &e, 0) < 0)
                return false;
        uint32_t memsize = SIZEOF_VARDESC + e.decoded, value = 0;
        uint32_t align = e.align ? e.align : 1;
        switch (ti->kind) {
        case TKIND_ENUM:
                varkind = VAR_CONST;
                value = write_int_value(w, VT_I4, (uint32_t)f->ival);
                memsize += SIZEOF_VARIANT;
                ti->datawidth = e.width;
                break;
        case TKIND_RECORD:
                ti->datawidth = align_up(ti->datawidth, align);
                value = ti->datawidth;
                ti->datawidth += e.width;
                break;
        default:        /* TKIND_DISPATCH: its size a pointer's, aligned as its members */
                varkind = VAR_DISPATCH;
                ti->datawidth = w->ptr;
                break;
        }
        put32(&ti->vdata, rec, 20 | index << 16);
        put32(&ti->vdata, rec + 4, e.enc);
        put32(&ti->vdata, rec + 8, attr_flags(f->attrs, var_flag_attrs, N(var_flag_attrs)));
        put32(&ti->vdata, rec + 12, memsize << 16 | varkind);
        put32(&ti->vdata, rec + 16, value);
        if (ti->align < align)
                set_align(ti, align);
        if (!ti->w[W(MSFT_TI_RES2)])
                ti->w[W(MSFT_TI_RES2)] = 0x1a;
        if (index == 0 || index == 1 || index == 2 || index == 4 || index == 9)
                ti->w[W(MSFT_TI_RES2)] <<= 1;
        if (ti->w[W(MSFT_TI_RES3)] == 0xffffffffu)
                ti->w[W(MSFT_TI_RES3)] = 0;
        ti->w[W(MSFT_TI_RES3)] += 0x2c;
        ti->w[W(MSFT_TI_ELEMS)] += 0x10000;
        ti->w[W(MSFT_TI_SIZE)] = align_up(ti->datawidth, ti->align);
        uint32_t name_off = alloc_name(w, f->name);
        member_name(w, ti, name_off, ti->kind != TKIND_DISPATCH, ti->kind == TKIND_ENUM);
        struct member *m = add_member(&ti->vars, &ti->n_vars);
        m->id = id;
        m->name = name_off;
        m->off = (uint32_t)rec;
        return ok;
}

/* --- the kinds of type ------------------------------------------------------------------------- */

static bool add_iface(struct tlw *w, struct idl_iface *i, struct tinfo **ret);

/* An interface's implemented parent: stdole2's, or one of the library's. */
static bool parent_href(struct tlw *w, struct idl_iface *base, const struct idl_loc *loc,
                        uint32_t *ret) {
        struct tinfo *pt;
        if (is_stdole_iface(base)) {
                *ret = (uint32_t)import_stdole(w, strcmp(base->name, "IDispatch") == 0 ?
                                                  &IID_IDispatch : &IID_IUnknown, base->name);
                return true;
        }
        if (base->imported || !base->defined) {
                idl_error(w->ctx, loc, "base interface '%s' is not defined in the library's file: "
                          "dcomidl --tlb imports only IUnknown and IDispatch (stdole2.tlb)",
                          base->name);
                return false;
        }
        if (!(pt = find_ti(w, base)) && !add_iface(w, base, &pt))
                return false;
        *ret = ti_href(pt);
        return true;
}

static bool add_iface(struct tlw *w, struct idl_iface *i, struct tinfo **ret) {
        bool dispatchable = false, ok = true;
        uint32_t inherited = 0, parents = 0, href;
        struct tinfo *ti;

        if ((*ret = find_ti(w, i)))
                return true;
        /* midl makes the parent first, unless the parent is a root */
        if (i->base && !is_stdole_iface(i->base) && i->base->base && !find_ti(w, i->base) &&
            !parent_href(w, i->base, &i->loc, &href))
                return false;
        for (struct idl_iface *b = i->base; b; b = b->base) {
                if (++parents > 64) {
                        idl_error(w->ctx, &i->loc, "interface '%s' inherits in a loop", i->name);
                        return false;
                }
                if (b->name && strcmp(b->name, "IDispatch") == 0)
                        dispatchable = true;
                if (is_stdole_iface(b)) {
                        /* IDispatch: IUnknown's 3 methods and its own 4 */
                        bool disp = strcmp(b->name, "IDispatch") == 0;
                        inherited += disp ? 7 : 3;
                        parents += disp;
                        break;
                }
                for (struct idl_stmt *s = b->stmts; s; s = s->next)
                        if (s->kind == STMT_FUNC && !has_attr(s->func->attrs, "local"))
                                inherited++;
        }
        bool dual = has_attr(i->attrs, "dual");
        if (dual && !dispatchable) {
                idl_error(w->ctx, &i->loc, "[dual] interface '%s' does not derive from IDispatch",
                          i->name);
                return false;
        }
        ti = new_ti(w, i, dual ? TKIND_DISPATCH : TKIND_INTERFACE, i->name, i->attrs, &i->loc);
        *ret = ti;
        ti->w[W(MSFT_TI_SIZE)] = w->ptr;
        set_align(ti, w->ptr);
        /* the second alignment word of an interface says 8 on either platform (widl) */
        ti->w[W(MSFT_TI_KIND)] = (ti->w[W(MSFT_TI_KIND)] & ~(0x1fu << 6)) | 8u << 6;
        if (dual) {
                ti->w[W(MSFT_TI_KIND)] |= MSFT_TI_KIND_DUAL;
                ti->w[W(MSFT_TI_FLAGS)] |= TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION;
        }
        if (dispatchable)
                ti->w[W(MSFT_TI_FLAGS)] |= TYPEFLAG_FDISPATCHABLE;
        if (i->base) {
                if (!parent_href(w, i->base, &i->loc, &href))
                        return false;
                ti->w[W(MSFT_TI_DATATYPE1)] = href;
                ti->w[W(MSFT_TI_IMPL_VFT)] = 1;
        }
        ti->w[W(MSFT_TI_DATATYPE2)] = inherited << 16 | parents;
        ti->w[W(MSFT_TI_IMPL_VFT)] |= (inherited * w->ptr) << 16;
        uint32_t index = 0;
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                if (s->kind == STMT_FUNC) {
                        if (has_attr(s->func->attrs, "local"))
                                continue;
                        ok &= add_func(w, ti, s->func, index++, FUNC_PUREVIRTUAL);
                } else if (s->kind != STMT_CPP_QUOTE && s->kind != STMT_PRAGMA) {
                        idl_error(w->ctx, &s->loc, "a declaration inside interface '%s': "
                                  "dcomidl --tlb writes only its methods", i->name);
                        ok = false;
                }
        }
        ti->done = true;
        return ok;
}

static bool add_dispiface(struct tlw *w, struct idl_iface *i, struct tinfo **ret) {
        struct tinfo *ti;
        bool ok = true;
        uint32_t nmethods = 0, index = 0;

        if ((*ret = find_ti(w, i)))
                return true;
        ti = new_ti(w, i, TKIND_DISPATCH, i->name, i->attrs, &i->loc);
        *ret = ti;
        ti->w[W(MSFT_TI_SIZE)] = w->ptr;
        set_align(ti, w->ptr);
        ti->w[W(MSFT_TI_FLAGS)] |= TYPEFLAG_FDISPATCHABLE;
        ti->w[W(MSFT_TI_DATATYPE1)] = (uint32_t)import_stdole(w, &IID_IDispatch, "IDispatch");
        ti->w[W(MSFT_TI_IMPL_VFT)] = 1;
        for (struct idl_stmt *s = i->stmts; s; s = s->next)
                if (s->kind == STMT_FUNC)
                        nmethods++;
        /* properties are numbered after the methods */
        index = nmethods;
        for (struct idl_field *f = i->type->fields; f; f = f->next)
                ok &= add_var(w, ti, f, index++);
        index = 0;
        for (struct idl_stmt *s = i->stmts; s; s = s->next) {
                if (s->kind == STMT_FUNC) {
                        ok &= add_func(w, ti, s->func, index++, FUNC_DISPATCH);
                } else if (s->kind != STMT_CPP_QUOTE && s->kind != STMT_PRAGMA) {
                        idl_error(w->ctx, &s->loc, "dispinterface '%s': dcomidl --tlb writes "
                                  "only properties and methods (not an interface's)", i->name);
                        ok = false;
                }
        }
        ti->done = true;
        return ok;
}

/*
 * A module: TKIND_MODULE, its functions static ([entry] names them in the DLL that
 * [dllname] names); its constants are not described (as midl and widl).
 */
static bool add_module(struct tlw *w, struct idl_iface *m) {
        struct tinfo *ti = new_ti(w, m, TKIND_MODULE, m->name, m->attrs, &m->loc);
        uint32_t index = 0;
        int32_t dll;
        bool ok = attr_string(w, m->attrs, "dllname", &dll);

        ti->w[W(MSFT_TI_DATATYPE1)] = (uint32_t)dll;
        /* the alignment words say 1 and 8 (widl's) */
        ti->w[W(MSFT_TI_KIND)] |= 1u << MSFT_TI_KIND_ALIGN_SHIFT | 8u << 6;
        for (struct idl_stmt *s = m->stmts; s; s = s->next) {
                if (s->kind == STMT_FUNC) {
                        if (has_attr(s->func->attrs, "local"))
                                continue;
                        ok &= add_func(w, ti, s->func, index++, FUNC_STATIC);
                } else if (s->kind != STMT_CONST && s->kind != STMT_CPP_QUOTE &&
                           s->kind != STMT_PRAGMA) {
                        idl_error(w->ctx, &s->loc, "a declaration inside module '%s': "
                                  "dcomidl --tlb writes only its functions", m->name);
                        ok = false;
                }
        }
        ti->w[W(MSFT_TI_SIZE)] = index;         /* the number of functions (widl's) */
        ti->done = true;
        return ok;
}

/* A struct or enum (t), named by its tag, else name; attrs are its typedef's. */
static bool add_record(struct tlw *w, struct idl_type *t, const char *name,
                       struct idl_attr *attrs, struct tinfo **ret) {
        struct tinfo *ti;
        bool ok = true;
        uint32_t index = 0;

        if ((*ret = find_ti(w, t)))
                return true;
        if (!t->name && !name) {
                idl_error(w->ctx, &t->loc, "an anonymous %s has no name for a type library",
                          t->kind == TYPE_ENUM ? "enum" : "struct");
                return false;
        }
        if (t->kind == TYPE_STRUCT && !t->defined) {
                idl_error(w->ctx, &t->loc, "struct '%s' is declared but not defined", t->name);
                return false;
        }
        if (!attrs && t == w->tag_of_typedef) {
                /* the typedef's attributes but its uuid (the alias's), as widl gives them */
                struct idl_attr **tail = &attrs;
                for (struct idl_attr *a = w->typedef_attrs; a; a = a->next) {
                        if (strcmp(a->name, "uuid") == 0 || strcmp(a->name, "public") == 0)
                                continue;
                        *tail = idl_alloc(w->ctx, sizeof **tail);
                        **tail = *a;
                        (*tail)->next = NULL;
                        tail = &(*tail)->next;
                }
        }
        ti = new_ti(w, t, t->kind == TYPE_ENUM ? TKIND_ENUM : TKIND_RECORD,
                    t->name ? t->name : name, attrs, &t->loc);
        *ret = ti;
        for (struct idl_field *f = t->fields; f; f = f->next)
                ok &= add_var(w, ti, f, index++);
        if (t->kind == TYPE_ENUM && !t->fields) {
                ti->w[W(MSFT_TI_SIZE)] = 4;
                set_align(ti, 4);
        }
        ti->done = true;
        return ok;
}

/* A [public] (or [uuid]) typedef: TKIND_ALIAS. */
static bool add_alias(struct tlw *w, struct idl_type *a, struct tinfo **ret) {
        struct tinfo *ti;
        struct enc e;

        if ((*ret = find_ti(w, a)))
                return true;
        ti = new_ti(w, a, TKIND_ALIAS, a->name, a->attrs, &a->loc);
        *ret = ti;
        if (encode(w, a->ref, &a->loc, &e, 0) < 0)
                return false;
        ti->w[W(MSFT_TI_DATATYPE1)] = e.enc;
        ti->w[W(MSFT_TI_DATATYPE2)] = e.decoded;
        ti->w[W(MSFT_TI_SIZE)] = e.width;
        set_align(ti, e.align ? e.align : 1);
        ti->done = true;
        return true;
}

/* A type referred to: the description it gets. */
static bool add_type(struct tlw *w, struct idl_type *t, struct tinfo **ret) {
        switch (t->kind) {
        case TYPE_STRUCT:
        case TYPE_ENUM:
                return add_record(w, t, NULL, NULL, ret);
        case TYPE_ALIAS:
                return add_alias(w, t, ret);
        case TYPE_INTERFACE:
                if (t->iface->kind == IFACE_DISPINTERFACE)
                        return add_dispiface(w, t->iface, ret);
                return add_iface(w, t->iface, ret);
        default:
                idl_error(w->ctx, &t->loc, "this type has no place in a type library");
                return false;
        }
}

static bool add_coclass(struct tlw *w, struct idl_iface *c) {
        struct tinfo *ti = new_ti(w, c, TKIND_COCLASS, c->name, c->attrs, &c->loc);
        struct buf *refs = &w->seg[MSFT_SEG_REFTAB];
        size_t first = SIZE_MAX, first_source = SIZE_MAX, prev = SIZE_MAX, start = SIZE_MAX;
        bool have_default = false, have_default_source = false, ok = true;
        uint32_t n = 0;

        ti->w[W(MSFT_TI_SIZE)] = w->ptr;
        /* a coclass's alignment words say 4 and 8 whatever the platform (widl's choice) */
        ti->w[W(MSFT_TI_KIND)] |= 4u << MSFT_TI_KIND_ALIGN_SHIFT | 8u << 6;
        ti->align = 4;
        for (struct idl_stmt *s = c->stmts; s; s = s->next) {
                struct tinfo *it;
                if (s->kind != STMT_IFACE_FWD) {
                        idl_error(w->ctx, &s->loc, "coclass '%s' lists something that is not an "
                                  "interface", c->name);
                        ok = false;
                        continue;
                }
                struct idl_sym *sym = idl_sym_find(w->ctx, s->name, 0);
                struct idl_type *t = sym ? sym->type : NULL;
                uint32_t href;
                if (!t || t->kind != TYPE_INTERFACE || !t->iface) {
                        idl_error(w->ctx, &s->loc, "unknown interface '%s'", s->name);
                        ok = false;
                        continue;
                }
                if (is_stdole_iface(t->iface)) {
                        href = (uint32_t)import_stdole(w, strcmp(t->iface->name, "IDispatch") == 0 ?
                                                          &IID_IDispatch : &IID_IUnknown,
                                                       t->iface->name);
                } else {
                        if (t->iface->imported || !t->iface->defined) {
                                idl_error(w->ctx, &s->loc, "interface '%s' is not defined in the "
                                          "library's file: dcomidl --tlb imports only IUnknown "
                                          "and IDispatch (stdole2.tlb)", s->name);
                                ok = false;
                                continue;
                        }
                        if (!add_type(w, t, &it)) {
                                ok = false;
                                continue;
                        }
                        href = ti_href(it);
                }
                /* a reference record: {hreftype, IMPLTYPEFLAGS, custom data, next} */
                size_t off = add32(refs, href);
                uint32_t flags = 0;
                if (has_attr(s->attrs, "default"))
                        flags |= IMPLTYPEFLAG_FDEFAULT;
                if (has_attr(s->attrs, "source"))
                        flags |= IMPLTYPEFLAG_FSOURCE;
                if (has_attr(s->attrs, "restricted"))
                        flags |= IMPLTYPEFLAG_FRESTRICTED;
                if (has_attr(s->attrs, "defaultvtable"))
                        flags |= 0x8;
                add32(refs, flags);
                add32(refs, 0xffffffffu);
                add32(refs, 0xffffffffu);
                if (prev != SIZE_MAX)
                        put32(refs, prev + 12, (uint32_t)off);
                else
                        start = off;
                prev = off;
                n++;
                if (flags & IMPLTYPEFLAG_FDEFAULT) {
                        if (flags & IMPLTYPEFLAG_FSOURCE)
                                have_default_source = true;
                        else
                                have_default = true;
                }
                if (!(flags & IMPLTYPEFLAG_FRESTRICTED)) {
                        if ((flags & IMPLTYPEFLAG_FSOURCE) && first_source == SIZE_MAX)
                                first_source = off;
                        else if (!(flags & IMPLTYPEFLAG_FSOURCE) && first == SIZE_MAX)
                                first = off;
                }
        }
        /* without a [default], the first of each kind is */
        if (!have_default && first != SIZE_MAX)
                put32(refs, first + 4, get32(refs, first + 4) | IMPLTYPEFLAG_FDEFAULT);
        if (!have_default_source && first_source != SIZE_MAX)
                put32(refs, first_source + 4, get32(refs, first_source + 4) | IMPLTYPEFLAG_FDEFAULT);
        if (n > 0xffff) {
                idl_error(w->ctx, &c->loc, "coclass '%s' has too many interfaces", c->name);
                return false;
        }
        ti->w[W(MSFT_TI_DATATYPE1)] = n ? (uint32_t)start : 0xffffffffu;
        ti->w[W(MSFT_TI_IMPL_VFT)] = n;
        ti->done = true;
        return ok;
}

/* A typedef statement of the library: what it declares. */
static bool add_typedef(struct tlw *w, struct idl_stmt *s) {
        bool ok = true;
        struct tinfo *ti;

        for (size_t k = 0; k < s->n_decls; k++) {
                struct idl_type *a = s->decls[k], *r = strip_ref(a->ref);
                if (!a->name || !r)
                        continue;
                bool named = has_attr(a->attrs, "public") || has_attr(a->attrs, "uuid");
                if ((r->kind == TYPE_STRUCT || r->kind == TYPE_ENUM) && r->defined &&
                    (!r->name || strcmp(r->name, a->name) == 0)) {
                        /* typedef struct X {...} X: the record takes the typedef's name and
                           attributes */
                        ok &= add_record(w, r, a->name, a->attrs, &ti);
                } else if (named) {
                        w->tag_of_typedef = r;
                        w->typedef_attrs = a->attrs;
                        ok &= add_alias(w, a, &ti);
                        w->tag_of_typedef = NULL;
                } else if (r->kind == TYPE_STRUCT || r->kind == TYPE_ENUM) {
                        if (r->defined && !r->imported)
                                ok &= add_record(w, r, NULL, NULL, &ti);
                } else if (r->kind == TYPE_UNION || r->kind == TYPE_ENCAP_UNION) {
                        idl_error(w->ctx, &a->loc, "union '%s': dcomidl --tlb does not write "
                                  "unions", a->name);
                        ok = false;
                }
                /* a typedef of anything else names nothing in a type library */
        }
        return ok;
}

static bool add_library_stmts(struct tlw *w, struct idl_iface *lib) {
        bool ok = true;
        struct tinfo *ti;

        for (struct idl_stmt *s = lib->stmts; s; s = s->next) {
                switch (s->kind) {
                case STMT_IMPORTLIB: {
                        const char *f = s->text ? s->text : "";
                        const char *base = strrchr(f, '\\');
                        base = base ? base + 1 : f;
                        if (strrchr(base, '/'))
                                base = strrchr(base, '/') + 1;
                        if (strcasecmp(base, "stdole2.tlb") != 0) {
                                idl_error(w->ctx, &s->loc, "importlib(\"%s\"): dcomidl --tlb "
                                          "imports only stdole2.tlb", f);
                                ok = false;
                        }
                        break;
                }
                case STMT_TYPEDEF:
                        ok &= add_typedef(w, s);
                        break;
                case STMT_TYPE:
                        if (s->type && (s->type->kind == TYPE_STRUCT || s->type->kind == TYPE_ENUM)) {
                                ok &= add_record(w, s->type, NULL, s->attrs, &ti);
                        } else if (s->type && (s->type->kind == TYPE_UNION ||
                                               s->type->kind == TYPE_ENCAP_UNION)) {
                                idl_error(w->ctx, &s->loc, "union '%s': dcomidl --tlb does not "
                                          "write unions", s->type->name ? s->type->name : "?");
                                ok = false;
                        }
                        break;
                case STMT_INTERFACE:
                        switch (s->iface->kind) {
                        case IFACE_INTERFACE:
                                ok &= add_iface(w, s->iface, &ti);
                                break;
                        case IFACE_DISPINTERFACE:
                                ok &= add_dispiface(w, s->iface, &ti);
                                break;
                        case IFACE_COCLASS:
                                ok &= add_coclass(w, s->iface);
                                break;
                        case IFACE_MODULE:
                                ok &= add_module(w, s->iface);
                                break;
                        default:
                                idl_error(w->ctx, &s->loc, "a library inside library '%s'",
                                          lib->name);
                                ok = false;
                                break;
                        }
                        break;
                case STMT_IFACE_FWD: {
                        /* interface X; in a library: X's description (defined elsewhere) */
                        struct idl_sym *sym = s->text && strcmp(s->text, "coclass") == 0 ? NULL :
                                              idl_sym_find(w->ctx, s->name, 0);
                        struct idl_type *t = sym ? sym->type : NULL;
                        if (s->text && strcmp(s->text, "coclass") == 0)
                                break;
                        if (!t || t->kind != TYPE_INTERFACE || !t->iface || !t->iface->defined ||
                            t->iface->imported) {
                                if (t && t->iface && is_stdole_iface(t->iface))
                                        break;
                                idl_error(w->ctx, &s->loc, "interface '%s' is not defined in the "
                                          "library's file", s->name);
                                ok = false;
                                break;
                        }
                        ok &= add_type(w, t, &ti);
                        break;
                }
                case STMT_CONST:
                case STMT_CPP_QUOTE:
                case STMT_PRAGMA:
                case STMT_IMPORT:
                        break;  /* nothing in a type library (as midl) */
                default:
                        idl_error(w->ctx, &s->loc, "a declaration in library '%s' that dcomidl "
                                  "--tlb cannot write", lib->name);
                        ok = false;
                        break;
                }
        }
        return ok;
}

/* --- the library ------------------------------------------------------------------------------ */

static bool set_library(struct tlw *w, struct idl_iface *lib) {
        struct idl_attr *a;
        int32_t off;
        int64_t v;
        bool ok = true;

        uint32_t *h = w->hdr;
        h[W(MSFT_H_MAGIC)] = MSFT_MAGIC;
        h[W(MSFT_H_MAGIC2)] = MSFT_MAGIC2;
        h[W(MSFT_H_LCID)] = 0x409;
        h[W(MSFT_H_VARFLAGS)] = MSFT_VARFLAG_DEFAULT | (w->ptr == 8 ? SYS_WIN64 : SYS_WIN32);
        h[W(MSFT_H_HELPSTRING)] = h[W(MSFT_H_NAME)] = h[W(MSFT_H_HELPFILE)] = 0xffffffffu;
        h[W(MSFT_H_CUSTDATA)] = h[W(MSFT_H_DISPATCH)] = 0xffffffffu;
        h[W(MSFT_H_RES44)] = 0x20;
        h[W(MSFT_H_RES48)] = 0x80;
        ok &= refuse_attrs(w, lib->attrs, "library", lib->name);
        /* [MS-OAUT] 2.2.45 TLIBATTR: the header's LCID (the second word) and flags */
        if ((a = idl_attr_find(lib->attrs, "lcid")) && attr_num(w, a, &v)) {
                if (!lcid_hash_supported((uint32_t)v)) {
                        idl_error(w->ctx, &a->loc, "lcid(0x%x): dcomidl --tlb hashes names for "
                                  "the Western European languages' LCIDs only", (unsigned)v);
                        ok = false;
                }
                h[W(MSFT_H_LCID)] = h[W(MSFT_H_LCID2)] = (uint32_t)v;
        }
        if (has_attr(lib->attrs, "restricted"))
                h[W(MSFT_H_FLAGS)] |= 0x1;
        if (has_attr(lib->attrs, "control"))
                h[W(MSFT_H_FLAGS)] |= 0x2;
        if (has_attr(lib->attrs, "hidden"))
                h[W(MSFT_H_FLAGS)] |= 0x4;
        ok &= attr_string(w, lib->attrs, "helpfile", &off);
        if (off != -1) {
                h[W(MSFT_H_HELPFILE)] = (uint32_t)off;
                h[W(MSFT_H_VARFLAGS)] |= MSFT_VARFLAG_HELPFILE;
        }
        ok &= attr_string(w, lib->attrs, "helpstring", &off);
        h[W(MSFT_H_HELPSTRING)] = (uint32_t)off;
        struct idl_guid g = { 0 };
        if (!lib->has_uuid) {
                idl_error(w->ctx, &lib->loc, "library '%s' has no uuid", lib->name);
                ok = false;
        }
        g = lib->uuid;
        h[W(MSFT_H_GUID)] = alloc_guid(w, &g, -2);
        ok &= attr_version(w, lib->attrs, &h[W(MSFT_H_VERSION)]);
        if (strlen(lib->name) > 255) {
                idl_error(w->ctx, &lib->loc, "library name too long");
                ok = false;
        }
        h[W(MSFT_H_NAME)] = alloc_name(w, lib->name);
        if ((a = idl_attr_find(lib->attrs, "helpcontext")) && attr_num(w, a, &v))
                h[W(MSFT_H_HELPCTX)] = (uint32_t)v;
        if ((a = idl_attr_find(lib->attrs, "helpstringcontext")) && attr_num(w, a, &v))
                h[W(MSFT_H_HELPSTRINGCTX)] = (uint32_t)v;
        return ok;
}

static int write_all(struct tlw *w, FILE *f) {
        static const int order[] = { MSFT_SEG_TYPEINFO, MSFT_SEG_GUIDHASH, MSFT_SEG_GUIDTAB,
                                     MSFT_SEG_REFTAB, MSFT_SEG_IMPINFO, MSFT_SEG_IMPFILES,
                                     MSFT_SEG_NAMEHASH, MSFT_SEG_NAMETAB, MSFT_SEG_STRINGTAB,
                                     MSFT_SEG_TYPDESC, MSFT_SEG_ARRAYDESC, MSFT_SEG_CUSTDATA,
                                     MSFT_SEG_CDGUIDS };
        struct buf out = { 0 };
        uint32_t pos, dir[MSFT_SEG_COUNT][4];

        w->hdr[W(MSFT_H_NTYPEINFOS)] = (uint32_t)w->n_tis;
        if (w->n_tis)
                buf_grow(&w->seg[MSFT_SEG_TYPEINFO], MSFT_TYPEINFO_SIZE * w->n_tis, 0);
        pos = MSFT_HEADER_SIZE + 4 * (uint32_t)w->n_tis + MSFT_SEG_COUNT * 16;
        for (unsigned i = 0; i < MSFT_SEG_COUNT; i++) {
                dir[i][0] = 0xffffffffu;
                dir[i][1] = 0;
                dir[i][2] = 0xffffffffu;
                dir[i][3] = 0x0f;
        }
        for (size_t k = 0; k < N(order); k++) {
                struct buf *b = &w->seg[order[k]];
                if (!b->len)
                        continue;
                dir[order[k]][0] = pos;
                dir[order[k]][1] = (uint32_t)b->len;
                pos += (uint32_t)b->len;
        }
        /* the member blocks follow the segments */
        for (size_t i = 0; i < w->n_tis; i++) {
                struct tinfo *ti = w->tis[i];
                ti->w[W(MSFT_TI_MEMOFFSET)] = pos;
                if (ti->n_funcs || ti->n_vars)
                        pos += 4 + (uint32_t)(ti->fdata.len + ti->vdata.len) +
                               12 * (uint32_t)(ti->n_funcs + ti->n_vars);
                for (unsigned k = 0; k < MSFT_TYPEINFO_SIZE / 4; k++)
                        put32(&w->seg[MSFT_SEG_TYPEINFO], MSFT_TYPEINFO_SIZE * i + 4 * k, ti->w[k]);
        }
        for (unsigned k = 0; k < MSFT_HEADER_SIZE / 4; k++)
                add32(&out, w->hdr[k]);
        for (size_t i = 0; i < w->n_tis; i++)
                add32(&out, (uint32_t)(MSFT_TYPEINFO_SIZE * i));
        for (unsigned i = 0; i < MSFT_SEG_COUNT; i++)
                for (unsigned k = 0; k < 4; k++)
                        add32(&out, dir[i][k]);
        for (size_t k = 0; k < N(order); k++) {
                struct buf *b = &w->seg[order[k]];
                if (b->len)
                        append(&out, b->p, b->len);
        }
        for (size_t i = 0; i < w->n_tis; i++) {
                struct tinfo *ti = w->tis[i];
                if (!ti->n_funcs && !ti->n_vars)
                        continue;
                add32(&out, (uint32_t)(ti->fdata.len + ti->vdata.len));
                if (ti->fdata.len)
                        append(&out, ti->fdata.p, ti->fdata.len);
                if (ti->vdata.len)
                        append(&out, ti->vdata.p, ti->vdata.len);
                for (size_t k = 0; k < ti->n_funcs; k++)
                        add32(&out, ti->funcs[k].id);
                for (size_t k = 0; k < ti->n_vars; k++)
                        add32(&out, ti->vars[k].id);
                for (size_t k = 0; k < ti->n_funcs; k++)
                        add32(&out, ti->funcs[k].name);
                for (size_t k = 0; k < ti->n_vars; k++)
                        add32(&out, ti->vars[k].name);
                for (size_t k = 0; k < ti->n_funcs; k++)
                        add32(&out, ti->funcs[k].off);
                for (size_t k = 0; k < ti->n_vars; k++)
                        add32(&out, ti->vars[k].off + (uint32_t)ti->fdata.len);
        }
        int r = fwrite(out.p, 1, out.len, f) == out.len ? 0 : -EIO;
        free(out.p);
        return r;
}

int idl_write_typelib(struct idl_ctx *ctx, FILE *f, const struct idl_tlb_opts *opts) {
        struct tlw w = { .ctx = ctx, .ptr = opts && opts->win32 ? 4 : 8, .stdole_file = -1,
                         .unknown_href = -1, .dispatch_href = -1 };
        struct idl_iface *lib = NULL;
        int errors = ctx->errors, r = -EINVAL;

        for (struct idl_stmt *s = ctx->stmts; s; s = s->next) {
                if (s->kind != STMT_INTERFACE || s->imported || s->iface->kind != IFACE_LIBRARY)
                        continue;
                if (lib) {
                        idl_error(ctx, &s->loc, "a second library block ('%s'): a type library "
                                  "describes one", s->iface->name);
                        return -EINVAL;
                }
                lib = s->iface;
        }
        if (!lib) {
                fprintf(ctx->err, "dcomidl: --tlb: the file has no library block\n");
                ctx->errors++;
                return -EINVAL;
        }
        buf_grow(&w.seg[MSFT_SEG_GUIDHASH], MSFT_GUIDHASH_SIZE, 0xff);
        buf_grow(&w.seg[MSFT_SEG_NAMEHASH], MSFT_NAMEHASH_SIZE, 0xff);
        bool ok = set_library(&w, lib);
        ok &= add_library_stmts(&w, lib);
        if (w.n_tis > 0xffff) {
                idl_error(ctx, &lib->loc, "library '%s' has too many types", lib->name);
                ok = false;
        }
        if (ok && ctx->errors == errors)
                r = write_all(&w, f);
        for (unsigned i = 0; i < MSFT_SEG_COUNT; i++)
                free(w.seg[i].p);
        for (size_t i = 0; i < w.n_tis; i++) {
                free(w.tis[i]->fdata.p);
                free(w.tis[i]->vdata.p);
                free(w.tis[i]->funcs);
                free(w.tis[i]->vars);
                free(w.tis[i]);
        }
        free(w.tis);
        return r;
}
