/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IRecordInfo ([MS-OAUT] 2.2.28.2 and oleaut32's GetRecordInfoFromTypeInfo /
 * GetRecordInfoFromGuids): a user-defined type described by a TKIND_RECORD type
 * description, read once through ITypeInfo into a field table -- name, offset, type --
 * from which records are initialized, cleared, copied and read or written field by field.
 *
 * Field types: the integers, R4, R8, CY, DATE, BOOL, ERROR, DECIMAL (plain bytes), BSTR,
 * VARIANT, IUnknown/IDispatch (and pointers to interfaces of the library), SAFEARRAY(T),
 * nested records (VT_USERDEFINED of a TKIND_RECORD, through aliases), enums (as VT_I4) and
 * fixed arrays (VT_CARRAY) of any of those.  Other pointers are kept as opaque bytes:
 * copied shallowly, never freed, not readable by GetField (DISP_E_BADVARTYPE).  Every
 * field is checked when the description is read: it lies inside the record
 * (cbSizeInstance), is naturally aligned, and nesting is at most MAX_NESTING deep -- a
 * library describing something else (a 32-bit one, a damaged one) is refused; a nested
 * record type is read once per record that holds it, and at most MAX_TOTAL_FIELDS fields
 * in all, so that no library makes the reading exponential.
 *
 * Records live in CoTaskMem (RecordCreate, and VariantCopy/VariantClear in variant.c).
 * As on Windows (Wine's tests record it) RecordCopy releases what the destination held
 * first, so it wants an initialized (at least zeroed) destination; GetField and
 * GetFieldNoCopy clear the VARIANT they fill.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "oleaut/oleaut-internal.h"

static LOG_CHANNEL(typelib);

#define MAX_NESTING 16
#define MAX_FIELDS 4096
/* fields read for one description, nested records' included: what a hostile library
   (records of records, thousands wide) may cost before it is refused (TYPE_E_SIZETOOBIG) */
#define MAX_TOTAL_FIELDS 65536

/* A field's type (a fixed array's: its element's). */
struct rtype {
        enum oleaut_fkind kind;
        VARTYPE vt;             /* what a VARIANT holding it says (VT_ARRAY|T for OA_FK_ARRAY) */
        ULONG size, align;
        IRecordInfo *rec;       /* OA_FK_RECORD, and OA_FK_ARRAY of VT_RECORD */
};

struct rfield {
        BSTR name;
        ULONG offset;
        ULONG count;            /* 1, or a fixed array's element count */
        bool carray;
        USHORT dims;            /* a fixed array's */
        const SAFEARRAYBOUND *bounds;   /* a fixed array's, as the ARRAYDESC keeps them */
        struct rtype t;
};

struct recinfo {
        IRecordInfo IRecordInfo_iface;
        atomic_uint refs;
        ITypeInfo *ti;
        GUID guid;
        BSTR name;
        ULONG size, align;
        ULONG ndr_align;        /* on the wire: its largest member's (pointers 4 bytes) */
        ULONG n_fields;
        struct rfield *fields;
        VARDESC **vds;          /* n_fields of them, released with ti (bounds point into them) */
        struct oleaut_field *wire;      /* the fields as usrmarshal.c walks them */
        bool have_lib;          /* where the type comes from, for the wire ([MS-OAUT] 2.2.31) */
        GUID lib_guid;
        WORD major, minor;
        LCID lcid;
};

static const IRecordInfoVtbl recinfo_vtbl;

static struct recinfo *impl(IRecordInfo *iface) {
        return (struct recinfo *)((char *)iface - offsetof(struct recinfo, IRecordInfo_iface));
}

static bool is_ours(IRecordInfo *iface) {
        return iface && iface->lpVtbl == &recinfo_vtbl;
}

/* --- reading the description -------------------------------------------------------- */

static HRESULT recinfo_new(ITypeInfo *ti, int depth, unsigned *budget, struct recinfo **ret);

/* A nested record's IRecordInfo an earlier field of parent already has (held), or NULL. */
static IRecordInfo *sibling_of(struct recinfo *parent, ITypeInfo *ti) {
        for (ULONG i = 0; parent && i < parent->n_fields; i++) {
                IRecordInfo *r = parent->fields[i].t.rec;
                if (r && impl(r)->ti == ti) {
                        r->lpVtbl->AddRef(r);
                        return r;
                }
        }
        return NULL;
}

static void plain(struct rtype *t, VARTYPE vt, ULONG size) {
        t->kind = OA_FK_PLAIN;
        t->vt = vt;
        t->size = size;
        t->align = size > 8 ? 8 : size;
}

/* The type td of ti describes, as a field (or a fixed array's or SAFEARRAY's element) holds it. */
static HRESULT rtype_from_tdesc(ITypeInfo *ti, const TYPEDESC *td, int depth, unsigned *budget,
                                struct recinfo *parent, struct rtype *t) {
        ITypeInfo *ref = NULL;
        TYPEATTR *attr = NULL;
        HRESULT hr = S_OK;

        memset(t, 0, sizeof *t);
        switch (td->vt) {
        case VT_I1: case VT_UI1:
                plain(t, td->vt, 1);
                return S_OK;
        case VT_I2: case VT_UI2: case VT_BOOL:
                plain(t, td->vt, 2);
                return S_OK;
        case VT_I4: case VT_UI4: case VT_INT: case VT_UINT: case VT_R4: case VT_ERROR:
                plain(t, td->vt, 4);
                return S_OK;
        case VT_HRESULT:
                plain(t, VT_ERROR, 4);
                return S_OK;
        case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE:
                plain(t, td->vt, 8);
                return S_OK;
        case VT_INT_PTR:
                plain(t, VT_I8, sizeof(void *));
                return S_OK;
        case VT_UINT_PTR:
                plain(t, VT_UI8, sizeof(void *));
                return S_OK;
        case VT_DECIMAL:
                plain(t, VT_DECIMAL, sizeof(DECIMAL));
                return S_OK;
        case VT_BSTR:
                t->kind = OA_FK_BSTR;
                break;
        case VT_UNKNOWN: case VT_DISPATCH:
                t->kind = OA_FK_UNKNOWN;
                break;
        case VT_VARIANT:
                t->kind = OA_FK_VARIANT;
                t->vt = VT_VARIANT;
                t->size = sizeof(VARIANT);
                t->align = 8;
                return S_OK;
        case VT_SAFEARRAY: {
                struct rtype elem;
                if (depth >= MAX_NESTING || !td->lptdesc)
                        return TYPE_E_TYPEMISMATCH;
                if (FAILED(hr = rtype_from_tdesc(ti, td->lptdesc, depth + 1, budget, parent,
                                                 &elem)))
                        return hr;
                if (elem.kind == OA_FK_OPAQUE || elem.kind == OA_FK_ARRAY) {
                        if (elem.rec)
                                elem.rec->lpVtbl->Release(elem.rec);
                        return DISP_E_BADVARTYPE;
                }
                t->kind = OA_FK_ARRAY;
                t->vt = VT_ARRAY | elem.vt;
                t->rec = elem.rec;
                t->size = t->align = sizeof(SAFEARRAY *);
                return S_OK;
        }
        case VT_PTR:
                /* a pointer to an interface of the library is that interface */
                if (td->lptdesc && td->lptdesc->vt == VT_USERDEFINED &&
                    SUCCEEDED(ti->lpVtbl->GetRefTypeInfo(ti, td->lptdesc->hreftype, &ref)) &&
                    SUCCEEDED(ref->lpVtbl->GetTypeAttr(ref, &attr)) &&
                    (attr->typekind == TKIND_INTERFACE || attr->typekind == TKIND_DISPATCH)) {
                        t->kind = OA_FK_UNKNOWN;
                        t->vt = attr->typekind == TKIND_DISPATCH ||
                                (attr->wTypeFlags & TYPEFLAG_FDUAL) ? VT_DISPATCH : VT_UNKNOWN;
                } else {
                        t->kind = OA_FK_OPAQUE;
                        t->vt = VT_PTR;
                }
                if (attr)
                        ref->lpVtbl->ReleaseTypeAttr(ref, attr);
                if (ref)
                        ref->lpVtbl->Release(ref);
                t->size = t->align = sizeof(void *);
                return S_OK;
        case VT_LPSTR: case VT_LPWSTR:
                t->kind = OA_FK_OPAQUE;
                t->vt = VT_PTR;
                t->size = t->align = sizeof(void *);
                return S_OK;
        case VT_USERDEFINED:
                if (depth >= MAX_NESTING)
                        return TYPE_E_TYPEMISMATCH;
                if (FAILED(hr = ti->lpVtbl->GetRefTypeInfo(ti, td->hreftype, &ref)))
                        return hr;
                if (FAILED(hr = ref->lpVtbl->GetTypeAttr(ref, &attr))) {
                        ref->lpVtbl->Release(ref);
                        return hr;
                }
                if (attr->typekind == TKIND_ENUM) {
                        plain(t, VT_I4, 4);
                } else if (attr->typekind == TKIND_ALIAS) {
                        hr = rtype_from_tdesc(ref, &attr->tdescAlias, depth + 1, budget, parent, t);
                } else if (attr->typekind == TKIND_RECORD) {
                        /* read once per record: its siblings of the same type share it */
                        IRecordInfo *known = sibling_of(parent, ref);
                        struct recinfo *sub = known ? impl(known) : NULL;
                        if (known || SUCCEEDED(hr = recinfo_new(ref, depth + 1, budget, &sub))) {
                                t->kind = OA_FK_RECORD;
                                t->vt = VT_RECORD;
                                t->size = sub->size;
                                t->align = sub->align;
                                t->rec = &sub->IRecordInfo_iface;
                        }
                } else {
                        hr = DISP_E_BADVARTYPE;         /* an interface by value, a union */
                }
                ref->lpVtbl->ReleaseTypeAttr(ref, attr);
                ref->lpVtbl->Release(ref);
                return hr;
        default:
                return DISP_E_BADVARTYPE;
        }
        /* BSTR and interfaces */
        if (!t->vt)
                t->vt = td->vt;
        t->size = t->align = sizeof(void *);
        return S_OK;
}

static HRESULT read_field(struct recinfo *ri, UINT i, int depth, unsigned *budget) {
        struct rfield *f = &ri->fields[i];
        const VARDESC *vd = ri->vds[i];
        const TYPEDESC *td = &vd->elemdescVar.tdesc;
        UINT n_names = 0;
        HRESULT hr;

        if (!*budget)
                return TYPE_E_SIZETOOBIG;
        --*budget;
        if (vd->varkind != VAR_PERINSTANCE)
                return TYPE_E_TYPEMISMATCH;
        f->offset = vd->oInst;
        f->count = 1;
        if (td->vt == VT_CARRAY) {
                const ARRAYDESC *ad = td->lpadesc;
                uint64_t n = 1;
                if (!ad || !ad->cDims)
                        return TYPE_E_TYPEMISMATCH;
                for (USHORT d = 0; d < ad->cDims; d++) {
                        n *= ad->rgbounds[d].cElements;
                        if (n > UINT32_MAX)
                                return TYPE_E_TYPEMISMATCH;
                }
                f->carray = true;
                f->dims = ad->cDims;
                f->bounds = ad->rgbounds;
                f->count = (ULONG)n;
                td = &ad->tdescElem;
        }
        if (FAILED(hr = rtype_from_tdesc(ri->ti, td, depth, budget, ri, &f->t)))
                return hr;
        /* inside the record, naturally aligned */
        uint64_t end = (uint64_t)f->offset + (uint64_t)f->count * f->t.size;
        if (end > ri->size || (f->t.align && f->offset % f->t.align) ||
            (f->t.align && f->t.size % f->t.align))
                return TYPE_E_TYPEMISMATCH;
        if (f->t.align > ri->align)
                ri->align = f->t.align;
        if (FAILED(hr = ri->ti->lpVtbl->GetNames(ri->ti, vd->memid, &f->name, 1, &n_names)))
                return hr;
        if (!n_names || !f->name)
                return TYPE_E_TYPEMISMATCH;
        return S_OK;
}

static void recinfo_free(struct recinfo *ri) {
        for (ULONG i = 0; i < ri->n_fields; i++) {
                SysFreeString(ri->fields[i].name);
                if (ri->fields[i].t.rec)
                        ri->fields[i].t.rec->lpVtbl->Release(ri->fields[i].t.rec);
                if (ri->vds[i])
                        ri->ti->lpVtbl->ReleaseVarDesc(ri->ti, ri->vds[i]);
        }
        dcom_free(ri->fields);
        dcom_free(ri->vds);
        dcom_free(ri->wire);
        SysFreeString(ri->name);
        ri->ti->lpVtbl->Release(ri->ti);
        dcom_free(ri);
}

static HRESULT recinfo_new(ITypeInfo *ti, int depth, unsigned *budget, struct recinfo **ret) {
        TYPEATTR *attr;
        ITypeLib *tl;
        UINT index;
        HRESULT hr;

        if (FAILED(hr = ti->lpVtbl->GetTypeAttr(ti, &attr)))
                return hr;
        if (attr->typekind != TKIND_RECORD || attr->cVars > MAX_FIELDS) {
                ti->lpVtbl->ReleaseTypeAttr(ti, attr);
                return E_INVALIDARG;
        }
        struct recinfo *ri = dcom_calloc(1, sizeof *ri);
        if (!ri) {
                ti->lpVtbl->ReleaseTypeAttr(ti, attr);
                return E_OUTOFMEMORY;
        }
        ri->IRecordInfo_iface.lpVtbl = &recinfo_vtbl;
        atomic_init(&ri->refs, 1);
        ti->lpVtbl->AddRef(ti);
        ri->ti = ti;
        ri->guid = attr->guid;
        ri->size = attr->cbSizeInstance;
        ri->align = 1;
        UINT n = attr->cVars;
        ti->lpVtbl->ReleaseTypeAttr(ti, attr);
        ri->fields = dcom_calloc(n ? n : 1, sizeof *ri->fields);
        ri->vds = dcom_calloc(n ? n : 1, sizeof *ri->vds);
        if (!ri->fields || !ri->vds) {
                hr = E_OUTOFMEMORY;
                goto out_free;
        }
        for (UINT i = 0; i < n; i++) {
                if (FAILED(hr = ti->lpVtbl->GetVarDesc(ti, i, &ri->vds[i])))
                        goto out_free;
                ri->n_fields = i + 1;
                if (FAILED(hr = read_field(ri, i, depth, budget)))
                        goto out_free;
        }
        if (FAILED(hr = ti->lpVtbl->GetDocumentation(ti, MEMBERID_NIL, &ri->name, NULL, NULL, NULL)))
                goto out_free;
        if (!(ri->wire = dcom_calloc(n ? n : 1, sizeof *ri->wire))) {
                hr = E_OUTOFMEMORY;
                goto out_free;
        }
        ri->ndr_align = 1;
        for (UINT i = 0; i < n; i++) {
                const struct rfield *f = &ri->fields[i];
                ULONG a = f->t.kind == OA_FK_PLAIN ? f->t.align :
                          f->t.kind == OA_FK_RECORD ? impl(f->t.rec)->ndr_align : 4;
                if (a > ri->ndr_align)
                        ri->ndr_align = a;
                ri->wire[i] = (struct oleaut_field){ f->t.kind, f->t.vt, f->t.size, f->offset,
                                                     f->count, f->t.rec };
        }
        if (SUCCEEDED(ti->lpVtbl->GetContainingTypeLib(ti, &tl, &index))) {
                TLIBATTR *la;
                if (SUCCEEDED(tl->lpVtbl->GetLibAttr(tl, &la))) {
                        ri->have_lib = true;
                        ri->lib_guid = la->guid;
                        ri->major = la->wMajorVerNum;
                        ri->minor = la->wMinorVerNum;
                        ri->lcid = la->lcid;
                        tl->lpVtbl->ReleaseTLibAttr(tl, la);
                }
                tl->lpVtbl->Release(tl);
        }
        *ret = ri;
        return S_OK;
out_free:
        log_debug(typelib, "record: field %u of %u not usable: 0x%08x", ri->n_fields, n,
                  (unsigned)hr);
        recinfo_free(ri);
        return hr;
}

/* --- values ------------------------------------------------------------------------- */

static void clear_value(const struct rtype *t, void *p) {
        switch (t->kind) {
        case OA_FK_BSTR:
                SysFreeString(*(BSTR *)p);
                *(BSTR *)p = NULL;
                break;
        case OA_FK_UNKNOWN:
                if (*(IUnknown **)p)
                        (*(IUnknown **)p)->lpVtbl->Release(*(IUnknown **)p);
                *(IUnknown **)p = NULL;
                break;
        case OA_FK_VARIANT:
                VariantClear(p);
                break;
        case OA_FK_ARRAY:
                SafeArrayDestroy(*(SAFEARRAY **)p);
                *(SAFEARRAY **)p = NULL;
                break;
        case OA_FK_RECORD:
                t->rec->lpVtbl->RecordClear(t->rec, p);
                break;
        default:
                break;
        }
}

/* Copies one value into dst, which holds nothing (zeroed, or just cleared). */
static HRESULT copy_value(const struct rtype *t, const void *src, void *dst) {
        switch (t->kind) {
        case OA_FK_BSTR: {
                BSTR s = *(BSTR const *)src;
                *(BSTR *)dst = NULL;
                if (s && !(*(BSTR *)dst = SysAllocStringByteLen((LPCSTR)s, SysStringByteLen(s))))
                        return E_OUTOFMEMORY;
                return S_OK;
        }
        case OA_FK_UNKNOWN: {
                IUnknown *u = *(IUnknown *const *)src;
                if (u)
                        u->lpVtbl->AddRef(u);
                *(IUnknown **)dst = u;
                return S_OK;
        }
        case OA_FK_VARIANT:
                V_VT((VARIANT *)dst) = VT_EMPTY;
                return VariantCopy(dst, src);
        case OA_FK_ARRAY:
                return SafeArrayCopy(*(SAFEARRAY *const *)src, (SAFEARRAY **)dst);
        case OA_FK_RECORD:
                memset(dst, 0, t->size);
                return t->rec->lpVtbl->RecordCopy(t->rec, (void *)src, dst);
        default:
                memcpy(dst, src, t->size);
                return S_OK;
        }
}

static HRESULT STDMETHODCALLTYPE ri_RecordClear(IRecordInfo *iface, PVOID pvExisting) {
        struct recinfo *ri = impl(iface);

        if (!pvExisting)
                return E_INVALIDARG;
        for (ULONG i = 0; i < ri->n_fields; i++) {
                const struct rfield *f = &ri->fields[i];
                if (f->t.kind == OA_FK_PLAIN || f->t.kind == OA_FK_OPAQUE)
                        continue;
                for (ULONG k = 0; k < f->count; k++)
                        clear_value(&f->t, (uint8_t *)pvExisting + f->offset + k * f->t.size);
        }
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_RecordCopy(IRecordInfo *iface, PVOID pvExisting, PVOID pvNew) {
        struct recinfo *ri = impl(iface);
        HRESULT hr;

        if (!pvExisting || !pvNew)
                return E_INVALIDARG;
        if (pvExisting == pvNew)
                return S_OK;
        ri_RecordClear(iface, pvNew);
        /* the bytes (padding and plain fields included), then each owned value afresh */
        memcpy(pvNew, pvExisting, ri->size);
        for (ULONG i = 0; i < ri->n_fields; i++) {
                const struct rfield *f = &ri->fields[i];
                if (f->t.kind != OA_FK_PLAIN && f->t.kind != OA_FK_OPAQUE)
                        memset((uint8_t *)pvNew + f->offset, 0, (size_t)f->count * f->t.size);
        }
        for (ULONG i = 0; i < ri->n_fields; i++) {
                const struct rfield *f = &ri->fields[i];
                if (f->t.kind == OA_FK_PLAIN || f->t.kind == OA_FK_OPAQUE)
                        continue;
                for (ULONG k = 0; k < f->count; k++) {
                        size_t off = f->offset + (size_t)k * f->t.size;
                        if (FAILED(hr = copy_value(&f->t, (uint8_t *)pvExisting + off,
                                                   (uint8_t *)pvNew + off))) {
                                ri_RecordClear(iface, pvNew);
                                return hr;
                        }
                }
        }
        return S_OK;
}

/* --- IUnknown ------------------------------------------------------------------------ */

static HRESULT STDMETHODCALLTYPE ri_QueryInterface(IRecordInfo *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRecordInfo)) {
                *ppv = iface;
                iface->lpVtbl->AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ri_AddRef(IRecordInfo *iface) {
        return atomic_fetch_add(&impl(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ri_Release(IRecordInfo *iface) {
        struct recinfo *ri = impl(iface);
        ULONG n = atomic_fetch_sub(&ri->refs, 1) - 1;

        if (!n)
                recinfo_free(ri);
        return n;
}

/* --- the rest of IRecordInfo --------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE ri_RecordInit(IRecordInfo *iface, PVOID pvNew) {
        if (!pvNew)
                return E_INVALIDARG;
        memset(pvNew, 0, impl(iface)->size);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetGuid(IRecordInfo *iface, GUID *pguid) {
        if (!pguid)
                return E_INVALIDARG;
        *pguid = impl(iface)->guid;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetName(IRecordInfo *iface, BSTR *pbstrName) {
        struct recinfo *ri = impl(iface);

        if (!pbstrName)
                return E_INVALIDARG;
        if (!(*pbstrName = SysAllocStringByteLen((LPCSTR)ri->name, SysStringByteLen(ri->name))))
                return E_OUTOFMEMORY;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetSize(IRecordInfo *iface, ULONG *pcbSize) {
        if (!pcbSize)
                return E_INVALIDARG;
        *pcbSize = impl(iface)->size;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetTypeInfo(IRecordInfo *iface, ITypeInfo **ppTypeInfo) {
        struct recinfo *ri = impl(iface);

        if (!ppTypeInfo)
                return E_INVALIDARG;
        ri->ti->lpVtbl->AddRef(ri->ti);
        *ppTypeInfo = ri->ti;
        return S_OK;
}

static const struct rfield *find_field(struct recinfo *ri, LPCOLESTR name) {
        size_t len = 0;

        while (name[len])
                len++;
        for (ULONG i = 0; i < ri->n_fields; i++)
                if (SysStringLen(ri->fields[i].name) == len &&
                    !memcmp(ri->fields[i].name, name, len * sizeof(OLECHAR)))
                        return &ri->fields[i];
        return NULL;
}

/* A fixed array's elements as a new SAFEARRAY (GetField). */
static HRESULT carray_to_safearray(const struct rfield *f, const uint8_t *p, SAFEARRAY **ret) {
        SAFEARRAYBOUND b[MAX_NESTING];
        SAFEARRAY *psa;
        HRESULT hr = S_OK;

        if (f->dims > MAX_NESTING || f->t.kind == OA_FK_OPAQUE || f->t.kind == OA_FK_ARRAY)
                return DISP_E_BADVARTYPE;
        memcpy(b, f->bounds, f->dims * sizeof *b);
        if (f->t.kind == OA_FK_RECORD)
                psa = SafeArrayCreateEx(VT_RECORD, f->dims, b, f->t.rec);
        else
                psa = SafeArrayCreate(f->t.vt, f->dims, b);
        if (!psa)
                return E_OUTOFMEMORY;
        if (psa->cbElements != f->t.size) {
                SafeArrayDestroy(psa);
                return DISP_E_BADVARTYPE;
        }
        for (ULONG k = 0; k < f->count && SUCCEEDED(hr); k++)
                hr = copy_value(&f->t, p + (size_t)k * f->t.size,
                                (uint8_t *)psa->pvData + (size_t)k * f->t.size);
        if (FAILED(hr)) {
                SafeArrayDestroy(psa);
                return hr;
        }
        *ret = psa;
        return S_OK;
}

static HRESULT field_lookup(IRecordInfo *iface, PVOID pvData, LPCOLESTR szFieldName,
                            VARIANT *pvarField, const struct rfield **ret) {
        if (!pvData || !szFieldName || !pvarField)
                return E_INVALIDARG;
        if (!(*ret = find_field(impl(iface), szFieldName)))
                return DISP_E_UNKNOWNNAME;
        if ((*ret)->t.kind == OA_FK_OPAQUE)
                return DISP_E_BADVARTYPE;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetField(IRecordInfo *iface, PVOID pvData,
                                             LPCOLESTR szFieldName, VARIANT *pvarField) {
        const struct rfield *f;
        VARIANT v;
        HRESULT hr;

        if (FAILED(hr = field_lookup(iface, pvData, szFieldName, pvarField, &f)))
                return hr;
        const uint8_t *p = (const uint8_t *)pvData + f->offset;
        memset(&v, 0, sizeof v);
        if (f->carray) {
                if (FAILED(hr = carray_to_safearray(f, p, &V_ARRAY(&v))))
                        return hr;
                V_VT(&v) = VT_ARRAY | (f->t.kind == OA_FK_RECORD ? VT_RECORD : f->t.vt);
        } else if (f->t.kind == OA_FK_VARIANT) {
                if (FAILED(hr = VariantCopy(&v, (const VARIANT *)p)))
                        return hr;
        } else if (f->t.kind == OA_FK_RECORD) {
                V_RECORDINFO(&v) = f->t.rec;
                if (FAILED(hr = f->t.rec->lpVtbl->RecordCreateCopy(f->t.rec, (void *)p,
                                                                    &V_RECORD(&v))))
                        return hr;
                f->t.rec->lpVtbl->AddRef(f->t.rec);
                V_VT(&v) = VT_RECORD;
        } else {
                void *slot = f->t.kind == OA_FK_PLAIN && f->t.vt == VT_DECIMAL ?
                             (void *)&V_DECIMAL(&v) : (void *)&V_BYREF(&v);
                if (FAILED(hr = copy_value(&f->t, p, slot)))
                        return hr;
                V_VT(&v) = f->t.vt;
        }
        VariantClear(pvarField);
        *pvarField = v;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetFieldNoCopy(IRecordInfo *iface, PVOID pvData,
                                                   LPCOLESTR szFieldName, VARIANT *pvarField,
                                                   PVOID *ppvDataCArray) {
        const struct rfield *f;
        HRESULT hr;

        if (!ppvDataCArray)
                return E_INVALIDARG;
        if (FAILED(hr = field_lookup(iface, pvData, szFieldName, pvarField, &f)))
                return hr;
        if (f->carray)
                return E_NOTIMPL;       /* Windows describes them with an embedded SAFEARRAY */
        VariantClear(pvarField);
        void *p = (uint8_t *)pvData + f->offset;
        if (f->t.kind == OA_FK_RECORD) {
                V_VT(pvarField) = VT_RECORD | VT_BYREF;
                V_RECORD(pvarField) = p;
                V_RECORDINFO(pvarField) = f->t.rec;     /* not held: nothing by reference is */
        } else {
                V_VT(pvarField) = f->t.vt | VT_BYREF;
                V_BYREF(pvarField) = p;
        }
        *ppvDataCArray = NULL;
        return S_OK;
}

/* The value pvarField gives a field, in the field's type, owned by *ret. */
static HRESULT value_for_field(const struct rfield *f, VARIANT *pvarField, VARIANT *ret) {
        HRESULT hr;

        V_VT(ret) = VT_EMPTY;
        if (f->t.kind == OA_FK_VARIANT)
                return VariantCopyInd(ret, pvarField);
        if (f->t.kind == OA_FK_RECORD) {
                VARIANT src;
                V_VT(&src) = VT_EMPTY;
                if (FAILED(hr = VariantCopyInd(&src, pvarField)))
                        return hr;
                if (V_VT(&src) != VT_RECORD || !V_RECORDINFO(&src) || !V_RECORD(&src) ||
                    !f->t.rec->lpVtbl->IsMatchingType(f->t.rec, V_RECORDINFO(&src))) {
                        VariantClear(&src);
                        return DISP_E_TYPEMISMATCH;
                }
                *ret = src;
                return S_OK;
        }
        return VariantChangeType(ret, pvarField, 0, f->t.vt);
}

/* Stores v (which the field now owns) into the field at p, releasing what it held. */
static void store(const struct rfield *f, void *p, VARIANT *v) {
        clear_value(&f->t, p);
        if (f->t.kind == OA_FK_VARIANT) {
                *(VARIANT *)p = *v;
        } else if (f->t.kind == OA_FK_RECORD) {
                memcpy(p, V_RECORD(v), f->t.size);      /* the values move, the block goes */
                CoTaskMemFree(V_RECORD(v));
                V_RECORDINFO(v)->lpVtbl->Release(V_RECORDINFO(v));
        } else if (f->t.vt == VT_DECIMAL) {
                memcpy(p, &V_DECIMAL(v), sizeof(DECIMAL));
                ((DECIMAL *)p)->wReserved = 0;          /* the VARIANT's vt, not a value */
        } else {
                memcpy(p, &V_BYREF(v), f->t.size);
        }
        V_VT(v) = VT_EMPTY;
}

static bool put_flags_ok(ULONG wFlags) {
        return wFlags & (INVOKE_PROPERTYPUT | INVOKE_PROPERTYPUTREF);
}

static HRESULT STDMETHODCALLTYPE ri_PutField(IRecordInfo *iface, ULONG wFlags, PVOID pvData,
                                             LPCOLESTR szFieldName, VARIANT *pvarField) {
        const struct rfield *f;
        VARIANT v;
        HRESULT hr;

        if (!put_flags_ok(wFlags))
                return E_INVALIDARG;
        if (FAILED(hr = field_lookup(iface, pvData, szFieldName, pvarField, &f)))
                return hr;
        if (f->carray)
                return E_NOTIMPL;
        if (FAILED(hr = value_for_field(f, pvarField, &v)))
                return hr;
        store(f, (uint8_t *)pvData + f->offset, &v);
        return S_OK;
}

/*
 * The field takes pvarField's value as it is (no copy): its type must be the field's.
 * The VARIANT is left as it was; the caller no longer owns what it names.
 */
static HRESULT STDMETHODCALLTYPE ri_PutFieldNoCopy(IRecordInfo *iface, ULONG wFlags, PVOID pvData,
                                                   LPCOLESTR szFieldName, VARIANT *pvarField) {
        const struct rfield *f;
        HRESULT hr;

        if (!put_flags_ok(wFlags))
                return E_INVALIDARG;
        if (FAILED(hr = field_lookup(iface, pvData, szFieldName, pvarField, &f)))
                return hr;
        if (f->carray)
                return E_NOTIMPL;
        void *p = (uint8_t *)pvData + f->offset;
        if (f->t.kind == OA_FK_VARIANT) {
                clear_value(&f->t, p);
                *(VARIANT *)p = *pvarField;
                return S_OK;
        }
        if (V_VT(pvarField) != (f->t.kind == OA_FK_RECORD ? VT_RECORD : f->t.vt))
                return DISP_E_TYPEMISMATCH;
        if (f->t.kind == OA_FK_RECORD) {
                if (!V_RECORD(pvarField) || !V_RECORDINFO(pvarField) ||
                    !f->t.rec->lpVtbl->IsMatchingType(f->t.rec, V_RECORDINFO(pvarField)))
                        return DISP_E_TYPEMISMATCH;
                clear_value(&f->t, p);
                memcpy(p, V_RECORD(pvarField), f->t.size);
                return S_OK;
        }
        clear_value(&f->t, p);
        if (f->t.vt == VT_DECIMAL) {
                memcpy(p, &V_DECIMAL(pvarField), sizeof(DECIMAL));
                ((DECIMAL *)p)->wReserved = 0;
        } else
                memcpy(p, &V_BYREF(pvarField), f->t.size);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_GetFieldNames(IRecordInfo *iface, ULONG *pcNames,
                                                  BSTR *rgBstrNames) {
        struct recinfo *ri = impl(iface);

        if (!pcNames)
                return E_INVALIDARG;
        if (!rgBstrNames) {
                *pcNames = ri->n_fields;
                return S_OK;
        }
        ULONG n = *pcNames < ri->n_fields ? *pcNames : ri->n_fields;
        for (ULONG i = 0; i < n; i++) {
                BSTR s = ri->fields[i].name;
                if (!(rgBstrNames[i] = SysAllocStringByteLen((LPCSTR)s, SysStringByteLen(s)))) {
                        while (i--) {
                                SysFreeString(rgBstrNames[i]);
                                rgBstrNames[i] = NULL;
                        }
                        return E_OUTOFMEMORY;
                }
        }
        *pcNames = n;
        return S_OK;
}

/* The same type: the same GUID, or (either has none) the same name and size. */
static BOOL STDMETHODCALLTYPE ri_IsMatchingType(IRecordInfo *iface, IRecordInfo *pRecordInfo) {
        struct recinfo *ri = impl(iface);
        GUID guid;
        ULONG size;
        BSTR name;
        BOOL same;

        if (!pRecordInfo)
                return FALSE;
        if (pRecordInfo == iface)
                return TRUE;
        if (FAILED(pRecordInfo->lpVtbl->GetGuid(pRecordInfo, &guid)))
                return FALSE;
        if (!IsEqualGUID(&guid, &GUID_NULL) && !IsEqualGUID(&ri->guid, &GUID_NULL))
                return IsEqualGUID(&guid, &ri->guid);
        if (FAILED(pRecordInfo->lpVtbl->GetSize(pRecordInfo, &size)) || size != ri->size ||
            FAILED(pRecordInfo->lpVtbl->GetName(pRecordInfo, &name)))
                return FALSE;
        same = SysStringLen(name) == SysStringLen(ri->name) &&
               !memcmp(name, ri->name, SysStringByteLen(name));
        SysFreeString(name);
        return same;
}

static PVOID STDMETHODCALLTYPE ri_RecordCreate(IRecordInfo *iface) {
        struct recinfo *ri = impl(iface);
        void *p = CoTaskMemAlloc(ri->size ? ri->size : 1);

        if (p)
                memset(p, 0, ri->size);
        return p;
}

static HRESULT STDMETHODCALLTYPE ri_RecordCreateCopy(IRecordInfo *iface, PVOID pvSource,
                                                     PVOID *ppvDest) {
        HRESULT hr;

        if (!pvSource || !ppvDest)
                return E_INVALIDARG;
        void *p = ri_RecordCreate(iface);
        if (!p)
                return E_OUTOFMEMORY;
        if (FAILED(hr = ri_RecordCopy(iface, pvSource, p))) {
                CoTaskMemFree(p);
                return hr;
        }
        *ppvDest = p;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ri_RecordDestroy(IRecordInfo *iface, PVOID pvRecord) {
        HRESULT hr;

        if (!pvRecord)
                return S_OK;
        hr = ri_RecordClear(iface, pvRecord);
        CoTaskMemFree(pvRecord);
        return hr;
}

static const IRecordInfoVtbl recinfo_vtbl = {
        ri_QueryInterface, ri_AddRef, ri_Release, ri_RecordInit, ri_RecordClear, ri_RecordCopy,
        ri_GetGuid, ri_GetName, ri_GetSize, ri_GetTypeInfo, ri_GetField, ri_GetFieldNoCopy,
        ri_PutField, ri_PutFieldNoCopy, ri_GetFieldNames, ri_IsMatchingType, ri_RecordCreate,
        ri_RecordCreateCopy, ri_RecordDestroy,
};

/* --- entry points ---------------------------------------------------------------------- */

WINOLEAUTAPI GetRecordInfoFromTypeInfo(ITypeInfo *pTypeInfo, IRecordInfo **ppRecInfo) {
        unsigned budget = MAX_TOTAL_FIELDS;
        struct recinfo *ri;
        TYPEATTR *attr;
        HRESULT hr;

        if (!pTypeInfo || !ppRecInfo)
                return E_INVALIDARG;
        if (FAILED(hr = pTypeInfo->lpVtbl->GetTypeAttr(pTypeInfo, &attr)))
                return hr;
        /* an alias of a record stands for the record */
        if (attr->typekind == TKIND_ALIAS && attr->tdescAlias.vt == VT_USERDEFINED) {
                ITypeInfo *ref;
                HREFTYPE href = attr->tdescAlias.hreftype;
                pTypeInfo->lpVtbl->ReleaseTypeAttr(pTypeInfo, attr);
                if (FAILED(hr = pTypeInfo->lpVtbl->GetRefTypeInfo(pTypeInfo, href, &ref)))
                        return hr;
                hr = recinfo_new(ref, 0, &budget, &ri);
                ref->lpVtbl->Release(ref);
        } else {
                pTypeInfo->lpVtbl->ReleaseTypeAttr(pTypeInfo, attr);
                hr = recinfo_new(pTypeInfo, 0, &budget, &ri);
        }
        if (FAILED(hr))
                return hr;
        *ppRecInfo = &ri->IRecordInfo_iface;
        return S_OK;
}

WINOLEAUTAPI GetRecordInfoFromGuids(REFGUID rGuidTypeLib, ULONG uVerMajor, ULONG uVerMinor,
                                    LCID lcid, REFGUID rGuidTypeInfo, IRecordInfo **ppRecInfo) {
        ITypeLib *tl;
        ITypeInfo *ti;
        HRESULT hr;

        if (!rGuidTypeLib || !rGuidTypeInfo || !ppRecInfo || uVerMajor > 0xffff ||
            uVerMinor > 0xffff)
                return E_INVALIDARG;
        if (FAILED(hr = LoadRegTypeLib(rGuidTypeLib, (WORD)uVerMajor, (WORD)uVerMinor, lcid, &tl)))
                return hr;
        hr = tl->lpVtbl->GetTypeInfoOfGuid(tl, rGuidTypeInfo, &ti);
        tl->lpVtbl->Release(tl);
        if (FAILED(hr))
                return hr;
        hr = GetRecordInfoFromTypeInfo(ti, ppRecInfo);
        ti->lpVtbl->Release(ti);
        return hr;
}

/* --- for the wire (usrmarshal.c) ------------------------------------------------------- */

const struct oleaut_field *oleaut_recinfo_fields(IRecordInfo *ri, ULONG *ret_n, ULONG *ret_size,
                                                 ULONG *ret_ndr_align) {
        if (!is_ours(ri))
                return NULL;
        *ret_n = impl(ri)->n_fields;
        *ret_size = impl(ri)->size;
        *ret_ndr_align = impl(ri)->ndr_align;
        return impl(ri)->wire;
}

int oleaut_recinfo_data(IRecordInfo *ri, struct oleaut_recinfo_data *ret) {
        if (!is_ours(ri) || !impl(ri)->have_lib)
                return -EOPNOTSUPP;
        struct recinfo *r = impl(ri);
        ret->lib_guid = r->lib_guid;
        ret->major = r->major;
        ret->minor = r->minor;
        ret->lcid = r->lcid;
        ret->rec_guid = r->guid;
        return 0;
}
