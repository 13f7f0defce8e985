/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MSFT-format type libraries (what midl /tlb, widl -t and ICreateTypeLib2 write) read
 * into memory (typelib-internal.h), from a .tlb file or a PE image's TYPELIB resource
 * ("x.dll" is resource 1, "x.dll\\2" resource 2), as LoadTypeLib(Ex) takes them.
 *
 * The file: a header (0x54 bytes; one more word when a help DLL is named), one word
 * per type description, then a directory of 15 segments {offset, length, -1, 0x0f}:
 * type descriptions (0x64 bytes each), imported types, imported files, references,
 * a GUID hash, GUIDs (24 bytes each), a name hash, names, strings, types, array
 * descriptions, custom data.  A type description's members sit at its "memoffset":
 * a length, the records (functions, then variables), then their MEMBERIDs, their name
 * offsets and their record offsets.  Every offset and count read from the file is
 * checked against the segment it points into before it is used; a file that does
 * not hold together is refused with TYPE_E_CANTLOADLIBRARY (TYPE_E_INVDATAREAD for a
 * file that is not MSFT at all), never read past.  Names and strings are 8-bit
 * (Latin-1 here) in the file and become BSTRs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "oleaut/msft.h"
#include "oleaut/typelib-internal.h"

static LOG_CHANNEL(typelib);

#define MAX_TD_DEPTH 16
#define MAX_FILE (64u << 20)

struct seg {
        const uint8_t *p;
        uint32_t len;
};

struct msft {
        const uint8_t *data;
        size_t len;
        struct seg seg[MSFT_SEG_COUNT];
        unsigned ptr_size;      /* of the file's platform: 4 (SYS_WIN32) or 8 (SYS_WIN64) */
        struct tlib *lib;
};

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

/* Reads the 32-bit word at off in s; false when it is not all inside. */
static bool seg_u32(const struct seg *s, int64_t off, uint32_t *ret) {
        if (off < 0 || (uint64_t)off + 4 > s->len)
                return false;
        *ret = le32(s->p + off);
        return true;
}

static bool seg_has(const struct seg *s, int64_t off, uint64_t n) {
        return off >= 0 && (uint64_t)off <= s->len && n <= s->len - (uint64_t)off;
}

void *tl_alloc(struct tlib *lib, size_t size) {
        void **blocks = dcom_reallocarray(lib->blocks, lib->n_blocks + 1, sizeof *blocks);
        void *p;

        if (!blocks)
                return NULL;
        lib->blocks = blocks;
        p = dcom_calloc(1, size ? size : 1);
        if (p)
                lib->blocks[lib->n_blocks++] = p;
        return p;
}

/* A BSTR from n 8-bit characters (Latin-1). */
static HRESULT bstr_8bit(const uint8_t *s, size_t n, BSTR *ret) {
        BSTR b = SysAllocStringLen(NULL, (UINT)n);

        if (!b)
                return E_OUTOFMEMORY;
        for (size_t i = 0; i < n; i++)
                b[i] = s[i];
        *ret = b;
        return S_OK;
}

/* The name at off in the name table: a 12-byte introduction, then its characters. */
static HRESULT read_name(struct msft *m, int32_t off, BSTR *ret) {
        const struct seg *s = &m->seg[MSFT_SEG_NAMETAB];
        uint32_t intro;

        *ret = NULL;
        if (off == -1)
                return S_OK;
        if (!seg_u32(s, (int64_t)off + 8, &intro) || !seg_has(s, (int64_t)off + 12, intro & 0xff))
                return TYPE_E_CANTLOADLIBRARY;
        return bstr_8bit(s->p + off + 12, intro & 0xff, ret);
}

/* The string at off in the string table: a 16-bit length, then its characters. */
static HRESULT read_string(struct msft *m, int32_t off, BSTR *ret) {
        const struct seg *s = &m->seg[MSFT_SEG_STRINGTAB];
        uint16_t n;

        *ret = NULL;
        if (off == -1)
                return S_OK;
        if (!seg_has(s, off, 2))
                return TYPE_E_CANTLOADLIBRARY;
        n = le16(s->p + off);
        if (!seg_has(s, (int64_t)off + 2, n))
                return TYPE_E_CANTLOADLIBRARY;
        return bstr_8bit(s->p + off + 2, n, ret);
}

static void guid_from(const uint8_t *p, GUID *g) {
        g->Data1 = le32(p);
        g->Data2 = le16(p + 4);
        g->Data3 = le16(p + 6);
        memcpy(g->Data4, p + 8, 8);
}

/* The GUID at off in the GUID table (-1: none, GUID_NULL). */
static HRESULT read_guid(struct msft *m, int32_t off, GUID *ret) {
        const struct seg *s = &m->seg[MSFT_SEG_GUIDTAB];

        memset(ret, 0, sizeof *ret);
        if (off == -1)
                return S_OK;
        if (!seg_has(s, off, 24))
                return TYPE_E_CANTLOADLIBRARY;
        guid_from(s->p + off, ret);
        return S_OK;
}

/*
 * A type as the file encodes it: negative, a base type in the low bits (VT_*); else an
 * offset in the type table, whose 8-byte entry is a VARTYPE and, for VT_PTR and
 * VT_SAFEARRAY, the pointee's encoding, for VT_CARRAY an offset in the array table,
 * for VT_USERDEFINED an hreftype.
 */
static HRESULT decode_type(struct msft *m, int32_t enc, TYPEDESC *td, int depth) {
        const struct seg *s = &m->seg[MSFT_SEG_TYPDESC];
        uint32_t w0, w1;

        memset(td, 0, sizeof *td);
        if (enc < 0) {
                td->vt = (VARTYPE)(enc & VT_TYPEMASK);
                /* a base type: those that name another type need a table entry */
                if (td->vt == VT_PTR || td->vt == VT_SAFEARRAY || td->vt == VT_CARRAY ||
                    td->vt == VT_USERDEFINED)
                        return TYPE_E_CANTLOADLIBRARY;
                return S_OK;
        }
        if (depth >= MAX_TD_DEPTH || !seg_u32(s, enc, &w0) || !seg_u32(s, (int64_t)enc + 4, &w1))
                return TYPE_E_CANTLOADLIBRARY;
        td->vt = (VARTYPE)(w0 & VT_TYPEMASK);
        switch (td->vt) {
        case VT_PTR:
        case VT_SAFEARRAY:
                td->lptdesc = tl_alloc(m->lib, sizeof *td->lptdesc);
                if (!td->lptdesc)
                        return E_OUTOFMEMORY;
                return decode_type(m, (int32_t)w1, td->lptdesc, depth + 1);
        case VT_CARRAY: {
                const struct seg *a = &m->seg[MSFT_SEG_ARRAYDESC];
                uint32_t elem, dims;
                ARRAYDESC *ad;

                if (!seg_u32(a, w1, &elem) || !seg_u32(a, (int64_t)w1 + 4, &dims))
                        return TYPE_E_CANTLOADLIBRARY;
                dims &= 0xffff;
                if (!seg_has(a, (int64_t)w1 + 8, (uint64_t)dims * 8))
                        return TYPE_E_CANTLOADLIBRARY;
                ad = tl_alloc(m->lib, sizeof *ad + (dims ? dims - 1 : 0) * sizeof(SAFEARRAYBOUND));
                if (!ad)
                        return E_OUTOFMEMORY;
                ad->cDims = (USHORT)dims;
                for (uint32_t i = 0; i < dims; i++) {
                        ad->rgbounds[i].cElements = le32(a->p + w1 + 8 + 8 * i);
                        ad->rgbounds[i].lLbound = (LONG)le32(a->p + w1 + 12 + 8 * i);
                }
                td->lpadesc = ad;
                return decode_type(m, (int32_t)elem, &ad->tdescElem, depth + 1);
        }
        case VT_USERDEFINED:
                td->hreftype = w1;
                return S_OK;
        default:
                return S_OK;
        }
}

/*
 * A constant or default value: negative, the value itself in the low 26 bits with its
 * VARTYPE above them; else an offset in the custom data table where a VARTYPE (16
 * bits) precedes the value (a BSTR: a 32-bit length, then 8-bit characters).
 */
static HRESULT read_value(struct msft *m, int32_t enc, VARIANT *v) {
        const struct seg *s = &m->seg[MSFT_SEG_CUSTDATA];
        uint16_t vt;
        uint32_t n;
        size_t size;

        VariantInit(v);
        if (enc < 0) {
                /*
                 * 26 bits of value under a 5-bit VARTYPE, the bits as they are (widl and
                 * midl write a small R4 default's integer value so; Windows reads it so)
                 */
                vt = (uint16_t)((uint32_t)enc >> 26 & 0x1f);
                uint32_t val = (uint32_t)enc & 0x03ffffff;
                if ((vt == VT_BSTR || vt == VT_UNKNOWN || vt == VT_DISPATCH || vt == VT_VARIANT) &&
                    val)
                        return TYPE_E_CANTLOADLIBRARY;  /* no pointer is a constant */
                if (vt == VT_VARIANT)
                        vt = VT_EMPTY;  /* a VARIANT parameter's default 0: nothing */
                V_VT(v) = vt;
                V_UI4(v) = val;
                return S_OK;
        }
        if (!seg_has(s, enc, 2))
                return TYPE_E_CANTLOADLIBRARY;
        vt = le16(s->p + enc);
        switch (vt) {
        case VT_BSTR:
                if (!seg_u32(s, (int64_t)enc + 2, &n))
                        return TYPE_E_CANTLOADLIBRARY;
                if (n == 0xffffffffu) {         /* a NULL BSTR */
                        V_VT(v) = VT_BSTR;
                        V_BSTR(v) = NULL;
                        return S_OK;
                }
                if (!seg_has(s, (int64_t)enc + 6, n))
                        return TYPE_E_CANTLOADLIBRARY;
                V_VT(v) = VT_BSTR;
                return bstr_8bit(s->p + enc + 6, n, &V_BSTR(v));
        case VT_I1: case VT_UI1: size = 1; break;
        case VT_I2: case VT_UI2: case VT_BOOL: size = 2; break;
        case VT_I4: case VT_UI4: case VT_INT: case VT_UINT: case VT_R4: case VT_ERROR:
        case VT_HRESULT: size = 4; break;
        case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE: size = 8; break;
        case VT_DECIMAL: size = sizeof(DECIMAL); break;
        case VT_EMPTY: case VT_NULL: size = 0; break;
        default:
                return TYPE_E_CANTLOADLIBRARY;
        }
        if (!seg_has(s, (int64_t)enc + 2, size))
                return TYPE_E_CANTLOADLIBRARY;
        if (vt == VT_DECIMAL)
                memcpy(&V_DECIMAL(v), s->p + enc + 2, size);
        else
                memcpy(&V_UI1(v), s->p + enc + 2, size);
        V_VT(v) = vt;
        return S_OK;
}

/* A function record (rec, n bytes, inside the member block). */
static HRESULT read_func(struct msft *m, struct tl_info *ti, const uint8_t *rec, uint32_t n,
                         MEMBERID memid, int32_t name_off, struct tl_func *f) {
        FUNCDESC *fd = &f->desc;
        uint32_t fkccic, nargs, fixed, opt_words;
        HRESULT hr;

        if (n < 24)
                return TYPE_E_CANTLOADLIBRARY;
        fkccic = le32(rec + 16);
        nargs = le16(rec + 20);
        fixed = 24 + nargs * 12 + ((fkccic & 0x1000) ? nargs * 4 : 0);
        if (fixed > n)
                return TYPE_E_CANTLOADLIBRARY;
        opt_words = (n - fixed) / 4;
        fd->memid = memid;
        fd->funckind = (FUNCKIND)(fkccic & 7);
        fd->invkind = (INVOKEKIND)(fkccic >> 3 & 0xf);
        fd->callconv = (CALLCONV)(fkccic >> 8 & 0xf);
        fd->cParams = (SHORT)nargs;
        fd->cParamsOpt = (SHORT)le16(rec + 22);
        fd->oVft = (SHORT)((le16(rec + 12) & ~1u) * sizeof(void *) / m->ptr_size);
        fd->wFuncFlags = (WORD)le32(rec + 8);
        if (fd->funckind > FUNC_DISPATCH || fd->callconv >= CC_MAX ||
            (fd->invkind != INVOKE_FUNC && fd->invkind != INVOKE_PROPERTYGET &&
             fd->invkind != INVOKE_PROPERTYPUT && fd->invkind != INVOKE_PROPERTYPUTREF) ||
            (fd->cParamsOpt < 0 ? -fd->cParamsOpt : fd->cParamsOpt) > fd->cParams)
                return TYPE_E_CANTLOADLIBRARY;
        if ((hr = decode_type(m, (int32_t)le32(rec + 4), &fd->elemdescFunc.tdesc, 0)) < 0)
                return hr;
        if (opt_words > 0)
                f->help_ctx = le32(rec + 24);
        if (opt_words > 1 && (hr = read_string(m, (int32_t)le32(rec + 28), &f->doc)) < 0)
                return hr;
        if ((hr = read_name(m, name_off, &f->name)) < 0)
                return hr;
        if (!nargs)
                return S_OK;
        fd->lprgelemdescParam = tl_alloc(m->lib, nargs * sizeof(ELEMDESC));
        f->param_names = tl_alloc(m->lib, nargs * sizeof(BSTR));
        if (!fd->lprgelemdescParam || !f->param_names)
                return E_OUTOFMEMORY;
        const uint8_t *params = rec + n - nargs * 12;
        const uint8_t *defaults = params - nargs * 4;
        for (uint32_t i = 0; i < nargs; i++) {
                ELEMDESC *ed = &fd->lprgelemdescParam[i];
                const uint8_t *p = params + 12 * i;

                if ((hr = decode_type(m, (int32_t)le32(p), &ed->tdesc, 0)) < 0 ||
                    (hr = read_name(m, (int32_t)le32(p + 4), &f->param_names[i])) < 0)
                        return hr;
                ed->paramdesc.wParamFlags = (USHORT)le32(p + 8);
                /* -1: this parameter has no default, though others of the function do */
                if ((fkccic & 0x1000) && (ed->paramdesc.wParamFlags & PARAMFLAG_FHASDEFAULT) &&
                    (int32_t)le32(defaults + 4 * i) != -1) {
                        PARAMDESCEX *ex = tl_alloc(m->lib, sizeof *ex);
                        if (!ex)
                                return E_OUTOFMEMORY;
                        ex->cBytes = sizeof *ex;
                        if ((hr = read_value(m, (int32_t)le32(defaults + 4 * i),
                                             &ex->varDefaultValue)) < 0)
                                return hr;
                        ed->paramdesc.pparamdescex = ex;
                } else {
                        ed->paramdesc.wParamFlags &= (USHORT)~PARAMFLAG_FHASDEFAULT;
                }
        }
        (void)ti;
        return S_OK;
}

static HRESULT read_var(struct msft *m, const uint8_t *rec, uint32_t n, MEMBERID memid,
                        int32_t name_off, struct tl_var *v) {
        VARDESC *vd = &v->desc;
        uint32_t opt_words;
        HRESULT hr;

        if (n < 20)
                return TYPE_E_CANTLOADLIBRARY;
        opt_words = (n - 20) / 4;
        vd->memid = memid;
        vd->wVarFlags = (WORD)le32(rec + 8);
        vd->varkind = (VARKIND)le16(rec + 12);
        if (vd->varkind > VAR_DISPATCH)
                return TYPE_E_CANTLOADLIBRARY;
        if ((hr = decode_type(m, (int32_t)le32(rec + 4), &vd->elemdescVar.tdesc, 0)) < 0)
                return hr;
        if (vd->varkind == VAR_CONST) {
                if ((hr = read_value(m, (int32_t)le32(rec + 16), &v->value)) < 0)
                        return hr;
                vd->lpvarValue = &v->value;
        } else {
                vd->oInst = le32(rec + 16);
        }
        if (opt_words > 0)
                v->help_ctx = le32(rec + 20);
        if (opt_words > 1 && (hr = read_string(m, (int32_t)le32(rec + 24), &v->doc)) < 0)
                return hr;
        return read_name(m, name_off, &v->name);
}

/* The functions and variables at memoffset (see the file's comment). */
static HRESULT read_members(struct msft *m, struct tl_info *ti, int32_t memoffset) {
        uint32_t nf = ti->attr.cFuncs, nv = ti->attr.cVars, total = nf + nv, infolen;
        struct seg all = { m->data, (uint32_t)m->len }, recs;
        HRESULT hr;

        if (!total)
                return S_OK;
        if (!seg_u32(&all, memoffset, &infolen) ||
            !seg_has(&all, (int64_t)memoffset + 4, (uint64_t)infolen + (uint64_t)total * 12))
                return TYPE_E_CANTLOADLIBRARY;
        recs.p = m->data + memoffset + 4;
        recs.len = infolen;
        const uint8_t *ids = recs.p + infolen, *names = ids + 4 * total, *offs = names + 4 * total;
        if (nf && !(ti->funcs = tl_alloc(m->lib, nf * sizeof *ti->funcs)))
                return E_OUTOFMEMORY;
        if (nv && !(ti->vars = tl_alloc(m->lib, nv * sizeof *ti->vars)))
                return E_OUTOFMEMORY;
        for (uint32_t i = 0; i < total; i++) {
                uint32_t off = le32(offs + 4 * i), info;

                if (!seg_u32(&recs, off, &info) || (info & 0xffff) < 4 ||
                    !seg_has(&recs, off, info & 0xffff))
                        return TYPE_E_CANTLOADLIBRARY;
                if (i < nf)
                        hr = read_func(m, ti, recs.p + off, info & 0xffff, (MEMBERID)le32(ids + 4 * i),
                                       (int32_t)le32(names + 4 * i), &ti->funcs[i]);
                else
                        hr = read_var(m, recs.p + off, info & 0xffff,
                                      (MEMBERID)le32(ids + 4 * i), (int32_t)le32(names + 4 * i),
                                      &ti->vars[i - nf]);
                if (hr < 0)
                        return hr;
        }
        return S_OK;
}

static HRESULT read_typeinfo(struct msft *m, UINT index, struct tl_info *ti) {
        const uint8_t *b = m->seg[MSFT_SEG_TYPEINFO].p + index * MSFT_TYPEINFO_SIZE;
        TYPEATTR *ta = &ti->attr;
        uint32_t kind = le32(b), elems = le32(b + 0x18), impl_vft = le32(b + 0x4c);
        int32_t datatype1 = (int32_t)le32(b + 0x54);
        HRESULT hr;

        ti->index = index;
        if ((kind & 0xf) >= TKIND_MAX)
                return TYPE_E_CANTLOADLIBRARY;
        ta->typekind = (TYPEKIND)(kind & 0xf);
        ta->cbAlignment = (WORD)(kind >> 11 & 0x1f);
        ta->lcid = m->lib->attr.lcid;
        ta->memidConstructor = ta->memidDestructor = -1;        /* MEMBERID_NIL */
        ta->cFuncs = (WORD)(elems & 0xffff);
        ta->cVars = (WORD)(elems >> 16);
        ta->wTypeFlags = (WORD)le32(b + 0x30);
        ta->wMajorVerNum = le16(b + 0x38);
        ta->wMinorVerNum = le16(b + 0x3a);
        ta->cImplTypes = (WORD)(impl_vft & 0xffff);
        ta->cbSizeVft = (WORD)((impl_vft >> 16) * sizeof(void *) / m->ptr_size);
        /* a dispinterface's vtable is IDispatch's, whatever the file says (a dual's: its
           interface view keeps the file's, tl_dual_dispatch_funcs sets the other) */
        if (ta->typekind == TKIND_DISPATCH && !(ta->wTypeFlags & TYPEFLAG_FDUAL))
                ta->cbSizeVft = 7 * sizeof(void *);
        ta->cbSizeInstance = le32(b + 0x50);
        if (ta->typekind == TKIND_INTERFACE || ta->typekind == TKIND_DISPATCH ||
            ta->typekind == TKIND_COCLASS)
                ta->cbSizeInstance = sizeof(void *);
        ti->help_ctx = le32(b + 0x44);
        if ((hr = read_guid(m, (int32_t)le32(b + 0x2c), &ta->guid)) < 0 ||
            (hr = read_name(m, (int32_t)le32(b + 0x34), &ti->name)) < 0 ||
            (hr = read_string(m, (int32_t)le32(b + 0x3c), &ti->doc)) < 0)
                return hr;
        if (ta->typekind == TKIND_ALIAS &&
            (hr = decode_type(m, datatype1, &ta->tdescAlias, 0)) < 0)
                return hr;
        if (ta->cImplTypes) {
                if (!(ti->impls = tl_alloc(m->lib, ta->cImplTypes * sizeof *ti->impls)))
                        return E_OUTOFMEMORY;
                if (ta->typekind == TKIND_COCLASS) {
                        /* a chain of 16-byte references: hreftype, flags, custom data, next */
                        const struct seg *r = &m->seg[MSFT_SEG_REFTAB];
                        int32_t off = datatype1;
                        for (UINT i = 0; i < ta->cImplTypes; i++) {
                                uint32_t next;
                                if (!seg_has(r, off, 16))
                                        return TYPE_E_CANTLOADLIBRARY;
                                ti->impls[i].href = le32(r->p + off);
                                ti->impls[i].flags = (INT)le32(r->p + off + 4);
                                next = le32(r->p + off + 12);
                                if (i + 1 < ta->cImplTypes && (int32_t)next == -1)
                                        return TYPE_E_CANTLOADLIBRARY;
                                off = (int32_t)next;
                        }
                } else if (ta->cImplTypes == 1 && (ta->typekind == TKIND_INTERFACE ||
                                                   ta->typekind == TKIND_DISPATCH)) {
                        ti->impls[0].href = (HREFTYPE)datatype1;
                } else {
                        return TYPE_E_CANTLOADLIBRARY;
                }
        }
        return read_members(m, ti, (int32_t)le32(b + 4));
}

/* The imported types: 12 bytes each (flags, file offset, GUID offset or index). */
static HRESULT read_imports(struct msft *m) {
        const struct seg *s = &m->seg[MSFT_SEG_IMPINFO], *files = &m->seg[MSFT_SEG_IMPFILES];
        struct tlib *lib = m->lib;
        HRESULT hr;

        lib->n_imports = s->len / 12;
        if (!lib->n_imports)
                return S_OK;
        if (!(lib->imports = tl_alloc(lib, lib->n_imports * sizeof *lib->imports)))
                return E_OUTOFMEMORY;
        for (UINT i = 0; i < lib->n_imports; i++) {
                struct tl_import *imp = &lib->imports[i];
                const uint8_t *p = s->p + 12 * i;
                int32_t file = (int32_t)le32(p + 4), target = (int32_t)le32(p + 8);
                uint32_t gofs, ver;

                /* the file: its LIBID's offset, LCID, version, then a name 4x its length */
                if (!seg_u32(files, file, &gofs) || !seg_u32(files, (int64_t)file + 4, &imp->lcid) ||
                    !seg_u32(files, (int64_t)file + 8, &ver) || !seg_has(files, (int64_t)file + 12, 2))
                        return TYPE_E_CANTLOADLIBRARY;
                imp->major = (WORD)(ver & 0xffff);
                imp->minor = (WORD)(ver >> 16);
                uint32_t n = le16(files->p + file + 12) >> 2;
                if (!seg_has(files, (int64_t)file + 14, n))
                        return TYPE_E_CANTLOADLIBRARY;
                if ((hr = bstr_8bit(files->p + file + 14, n, &imp->file)) < 0 ||
                    (hr = read_guid(m, (int32_t)gofs, &imp->lib_guid)) < 0)
                        return hr;
                /*
                 * The type: by GUID when flagged so, or when the GUID table has an
                 * imported type's GUID there (widl leaves the flag clear); by index else.
                 */
                uint32_t href = 0;
                const struct seg *g = &m->seg[MSFT_SEG_GUIDTAB];
                if ((le32(p) & 0x10000) ||
                    (seg_u32(g, (int64_t)target + 16, &href) && (href & 3) == 1)) {
                        imp->by_guid = true;
                        if ((hr = read_guid(m, target, &imp->guid)) < 0)
                                return hr;
                } else {
                        imp->index = (UINT)target;
                }
        }
        return S_OK;
}

static void lib_put_blocks_after_fail(struct tlib *lib) {
        ITypeLib *tl = &lib->ITypeLib_iface;
        tl->lpVtbl->Release(tl);
}

HRESULT tl_load_msft(const uint8_t *data, size_t len, struct tlib **ret) {
        struct msft m = { .data = data, .len = len };
        struct seg all = { data, (uint32_t)len };
        uint32_t n_infos, varflags, dir, v;
        struct tlib *lib;
        HRESULT hr;

        if (len < MSFT_HEADER_SIZE || len > MAX_FILE || le32(data) != MSFT_MAGIC)
                return TYPE_E_INVDATAREAD;
        n_infos = le32(data + 0x20);
        varflags = le32(data + 0x14);
        if (n_infos > 0xffff)
                return TYPE_E_CANTLOADLIBRARY;
        dir = MSFT_HEADER_SIZE + ((varflags & MSFT_VARFLAG_HELPDLL) ? 4 : 0) + 4 * n_infos;
        if (!seg_has(&all, dir, MSFT_SEG_COUNT * 16))
                return TYPE_E_CANTLOADLIBRARY;
        for (unsigned i = 0; i < MSFT_SEG_COUNT; i++) {
                int32_t off = (int32_t)le32(data + dir + 16 * i);
                int32_t n = (int32_t)le32(data + dir + 16 * i + 4);
                if (off == -1)
                        continue;       /* absent: empty */
                if (n < 0 || !seg_has(&all, off, (uint64_t)n))
                        return TYPE_E_CANTLOADLIBRARY;
                m.seg[i].p = data + off;
                m.seg[i].len = (uint32_t)n;
        }
        if (m.seg[MSFT_SEG_TYPEINFO].len / MSFT_TYPEINFO_SIZE < n_infos)
                return TYPE_E_CANTLOADLIBRARY;
        switch (varflags & 0xf) {
        case SYS_WIN32: m.ptr_size = 4; break;
        case SYS_WIN64: m.ptr_size = 8; break;
        default: return TYPE_E_CANTLOADLIBRARY;
        }
        if (!(lib = tl_lib_new()))
                return E_OUTOFMEMORY;
        m.lib = lib;
        /* [MS-OAUT] 2.2.45 TLIBATTR: what the header says of the library */
        /* the LCID the library was made for (the header's second; the first is widl's 0x409) */
        lib->attr.lcid = le32(data + 0x10);
        lib->attr.syskind = (SYSKIND)(varflags & 0xf);
        v = le32(data + 0x18);
        lib->attr.wMajorVerNum = (WORD)(v & 0xffff);
        lib->attr.wMinorVerNum = (WORD)(v >> 16);
        lib->attr.wLibFlags = (WORD)le32(data + 0x1c);
        lib->help_ctx = le32(data + 0x2c);
        lib->dispatch_href = le32(data + 0x4c);
        log_debug(typelib, "MSFT: %u types, syskind %u", n_infos, varflags & 0xf);
        if ((hr = read_guid(&m, (int32_t)le32(data + 0x08), &lib->attr.guid)) < 0 ||
            (hr = read_name(&m, (int32_t)le32(data + 0x38), &lib->name)) < 0 ||
            (hr = read_string(&m, (int32_t)le32(data + 0x24), &lib->doc)) < 0 ||
            (hr = read_string(&m, (int32_t)le32(data + 0x3c), &lib->help_file)) < 0 ||
            (hr = read_imports(&m)) < 0)
                goto fail;
        if (n_infos && !(lib->infos = tl_alloc(lib, n_infos * sizeof *lib->infos))) {
                hr = E_OUTOFMEMORY;
                goto fail;
        }
        for (UINT i = 0; i < n_infos; i++) {
                struct tl_info *ti = tl_info_new(lib);
                if (!ti) {
                        hr = E_OUTOFMEMORY;
                        goto fail;
                }
                lib->infos[i] = ti;
                lib->n_infos = i + 1;
                if ((hr = read_typeinfo(&m, i, ti)) < 0) {
                        log_debug(typelib, "type %u of %u: malformed (0x%08x)", i, n_infos,
                                  (unsigned)hr);
                        goto fail;
                }
                if (ti->attr.typekind == TKIND_DISPATCH && (ti->attr.wTypeFlags & TYPEFLAG_FDUAL) &&
                    (hr = tl_dual_views(lib, ti)) < 0)
                        goto fail;
        }
        for (UINT i = 0; i < n_infos; i++)
                if (lib->infos[i]->iface_view &&
                    (hr = tl_dual_dispatch_funcs(lib, lib->infos[i])) < 0) {
                        log_debug(typelib, "dual type %u: no dispatch view (0x%08x)", i,
                                  (unsigned)hr);
                        goto fail;
                }
        *ret = lib;
        return S_OK;
fail:
        lib_put_blocks_after_fail(lib);
        return hr == E_OUTOFMEMORY ? hr : TYPE_E_CANTLOADLIBRARY;
}

/*
 * A type library inside a PE image (a DLL or EXE, as Windows' LoadTypeLib takes them):
 * the resource of type "TYPELIB" and ID index, any language.  Walks the image's
 * headers, its section table and three levels of resource directory, each offset
 * checked; NULL when there is none.
 */
static const uint8_t *pe_typelib(const uint8_t *data, size_t len, uint32_t index,
                                 size_t *ret_len) {
        struct seg f = { data, (uint32_t)len };
        uint32_t pe, opt, nsect, optsize, magic, ndirs, rva, size, sect;
        uint16_t w;

        if (!seg_u32(&f, 0x3c, &pe) || !seg_u32(&f, pe, &magic) || magic != 0x00004550 ||
            !seg_has(&f, (int64_t)pe + 4, 20))
                return NULL;
        nsect = le16(data + pe + 6);
        optsize = le16(data + pe + 20);
        opt = pe + 24;
        if (!seg_has(&f, opt, optsize) || optsize < 2)
                return NULL;
        w = le16(data + opt);
        uint32_t dirs = w == 0x20b ? 112 : w == 0x10b ? 96 : 0;
        if (!dirs || optsize < dirs || !seg_u32(&f, (int64_t)opt + dirs - 4, &ndirs) ||
            ndirs < 3 || optsize < dirs + 3 * 8)
                return NULL;
        rva = le32(data + opt + dirs + 16);     /* IMAGE_DIRECTORY_ENTRY_RESOURCE */
        sect = opt + optsize;
        if (!seg_has(&f, sect, (uint64_t)nsect * 40))
                return NULL;
        /* the resource section's bytes, and how RVAs in it map to the file */
        const uint8_t *rsrc = NULL;
        uint32_t rsrc_len = 0, rsrc_rva = 0;
        for (uint32_t i = 0; i < nsect; i++) {
                const uint8_t *s = data + sect + 40 * i;
                uint32_t va = le32(s + 12), raw = le32(s + 16), ptr = le32(s + 20);
                if (rva < va || rva - va >= raw || !seg_has(&f, ptr, raw))
                        continue;
                rsrc = data + ptr + (rva - va);
                rsrc_len = raw - (rva - va);
                rsrc_rva = rva;
                break;
        }
        if (!rsrc)
                return NULL;
        struct seg r = { rsrc, rsrc_len };
        uint32_t dir = 0;
        static const char type_name[] = "TYPELIB";
        for (int level = 0; level < 3; level++) {
                uint32_t found = 0;
                bool hit = false;
                if (!seg_has(&r, dir, 16))
                        return NULL;
                uint32_t n = (uint32_t)le16(rsrc + dir + 12) + le16(rsrc + dir + 14);
                if (!seg_has(&r, (int64_t)dir + 16, (uint64_t)n * 8))
                        return NULL;
                for (uint32_t i = 0; i < n && !hit; i++) {
                        uint32_t name = le32(rsrc + dir + 16 + 8 * i);
                        found = le32(rsrc + dir + 20 + 8 * i);
                        if (level == 0) {
                                /* by name: a 16-bit length, then UTF-16 */
                                uint32_t o = name & 0x7fffffff;
                                if (!(name & 0x80000000u) || !seg_has(&r, o, 2))
                                        continue;
                                uint16_t nl = le16(rsrc + o);
                                if (nl != sizeof type_name - 1 || !seg_has(&r, (int64_t)o + 2, 2u * nl))
                                        continue;
                                hit = true;
                                for (uint16_t k = 0; k < nl; k++)
                                        if (le16(rsrc + o + 2 + 2 * k) != (uint8_t)type_name[k])
                                                hit = false;
                        } else if (level == 1) {
                                hit = !(name & 0x80000000u) && name == index;
                        } else {
                                hit = true;     /* any language */
                        }
                }
                if (!hit || (level < 2) != !!(found & 0x80000000u))
                        return NULL;
                dir = found & 0x7fffffff;
        }
        /* the data entry: RVA and size */
        if (!seg_u32(&r, dir, &rva) || !seg_u32(&r, (int64_t)dir + 4, &size) || rva < rsrc_rva ||
            !seg_has(&r, rva - rsrc_rva, size))
                return NULL;
        *ret_len = size;
        return rsrc + (rva - rsrc_rva);
}

/* An MSFT file, or a PE image holding one as resource index. */
static HRESULT load_any(const uint8_t *data, size_t len, uint32_t index, struct tlib **ret) {
        if (len >= 2 && data[0] == 'M' && data[1] == 'Z') {
                size_t n;
                const uint8_t *tl = pe_typelib(data, len, index, &n);
                if (!tl)
                        return TYPE_E_CANTLOADLIBRARY;
                data = tl;
                len = n;
        }
        return tl_load_msft(data, len, ret);
}

/* Reads a whole file (at most MAX_FILE bytes). */
static HRESULT read_file(const char *path, uint8_t **ret, size_t *ret_len) {
        struct stat st;
        uint8_t *buf;
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return TYPE_E_CANTLOADLIBRARY;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_FILE) {
                close(fd);
                return TYPE_E_CANTLOADLIBRARY;
        }
        if (!(buf = dcom_malloc((size_t)st.st_size + 1))) {
                close(fd);
                return E_OUTOFMEMORY;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        *ret = buf;
        *ret_len = got;
        return S_OK;
}

HRESULT oleaut_load_typelib_mem(const void *data, size_t len, ITypeLib **ret) {
        struct tlib *lib;
        HRESULT hr = load_any(data, len, 1, &lib);

        if (hr >= 0)
                *ret = &lib->ITypeLib_iface;
        return hr;
}

HRESULT oleaut_load_typelib_file(const OLECHAR *path, ITypeLib **ret) {
        char *p8 = NULL;
        uint8_t *data;
        size_t len;
        struct tlib *lib;
        HRESULT hr;

        uint32_t index = 1;

        if (dcom_utf16_to_utf8(path, dcom_utf16_len(path), &p8, NULL) < 0)
                return E_OUTOFMEMORY;
        hr = read_file(p8, &data, &len);
        if (hr == TYPE_E_CANTLOADLIBRARY) {
                /* "file\\N": the image's type library resource N */
                char *bs = strrchr(p8, '\\');
                char *end = NULL;
                unsigned long n = bs && bs[1] ? strtoul(bs + 1, &end, 10) : 0;
                if (end && !*end && n && n <= 0xffff) {
                        *bs = 0;
                        index = (uint32_t)n;
                        hr = read_file(p8, &data, &len);
                }
        }
        dcom_free(p8);
        if (hr < 0)
                return hr;
        hr = load_any(data, len, index, &lib);
        dcom_free(data);
        if (hr < 0)
                return hr;
        if (!(lib->path = SysAllocString(path))) {
                lib->ITypeLib_iface.lpVtbl->Release(&lib->ITypeLib_iface);
                return E_OUTOFMEMORY;
        }
        *ret = &lib->ITypeLib_iface;
        return S_OK;
}
