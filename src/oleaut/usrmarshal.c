/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BSTR and VARIANT on the wire ([MS-OAUT] 2.2.23 and 2.2.29): the [wire_marshal]
 * routines idl/oaidl.idl names, registered with the NDR runtime as "BSTR" and
 * "VARIANT" (ndr_user_marshal_register), so generated stubs call them wherever those
 * types appear -- DISPPARAMS, EXCEPINFO, RemoteInvoke's parameters.
 *
 * Both wire types are [unique] pointers: the referent ID is the inline part
 * (NDR_SCALARS), the referent the deferred one (NDR_BUFFERS):
 *   wireBSTR     -> FLAGGED_WORD_BLOB {conformance, cBytes, clSize, asData[clSize]},
 *                   always sent (a NULL BSTR is cBytes 0xFFFFFFFF, clSize 0); its
 *                   characters little-endian whatever the data representation says;
 *   wireVARIANT  -> wireVARIANTStr {clSize, rpcReserved, vt, wReserved1-3, the union
 *                   switched on vt as a 32-bit discriminant}, 8-aligned; clSize is the
 *                   whole, deferred parts included, in 8-byte units.
 * The union's arms: nothing for EMPTY and NULL, the value for numbers, BOOL and ERROR,
 * a wireBSTR, an MInterfacePointer behind a [unique] pointer, a DECIMAL; with VT_BYREF
 * a [unique] pointer to the by-value arm (to a wireVARIANT for VT_VARIANT).
 * VT_ARRAY: a [unique] pointer to a wireSAFEARRAY (the discriminant is VT_ARRAY, the vt
 * field says the element type), itself a [unique] pointer to _wireSAFEARRAY
 * ([MS-OAUT] 2.2.30.10, registered alone as "LPSAFEARRAY"): cDims (as the conformance of
 * the bounds, then as a USHORT), fFeatures, the element's wire size, cLocks with the
 * VARTYPE in its high word (as Windows sends it), SAFEARRAYUNION (sfType, the count, a
 * pointer to the elements; SF_HAVEIID's IID), the bounds first dimension first, then the
 * elements: little-endian values (SF_I1..SF_I8) or pointer IDs and their BSTRs,
 * wireVARIANTs (none VT_BYREF: SafeArrayDestroy could not free its referent) or
 * OBJREFs, or (SF_RECORD) a wireBRECORD per element.  SF_ERROR and counts that disagree
 * with the bounds are -EBADMSG.
 * VT_RECORD ([MS-OAUT] 2.2.28.2): a wireBRECORD, by value and by reference alike -- the
 * record's type as an OBJREF_CUSTOM of CLSID_RecordInfo whose RecordInfoData names the
 * library and the record (the receiver finds it with GetRecordInfoFromGuids: an unknown
 * type is -ENOENT), the record as the NDR of its fields; only an IRecordInfo of ours
 * (recinfo.c) can be sent.
 *
 * An unmarshaled VARIANT's by-reference referent is memory of ours: oleaut_variant_user_free()
 * frees it (the registered free routine), where VariantClear would leave it.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ndr/ndr-internal.h"
#include "oleaut/oleaut-internal.h"

/* An unmarshaled VARIANT whose referent is still to come (between the two passes). */
#define VT_PENDING VT_ILLEGAL

#define BSTR_NULL_BYTES 0xffffffffu

/* --- BSTR ------------------------------------------------------------------------------- */

static int push_blob(struct ndr_push *ndr, BSTR s) {
        UINT bytes = SysStringByteLen(s);
        uint32_t cl = (bytes + 1) / 2;

        ndr_push_conformance(ndr, s ? cl : 0);
        ndr_push_uint32(ndr, s ? bytes : BSTR_NULL_BYTES);
        ndr_push_uint32(ndr, s ? cl : 0);
        if (s) {
                /* [MS-OAUT] 2.2.23.1: little-endian, which is what we send anyway */
                ndr_push_bytes(ndr, s, bytes);
                if (bytes & 1)
                        ndr_push_zeros(ndr, 1);
        }
        return ndr_push_error(ndr);
}

static int push_bstr(struct ndr_push *ndr, int flags, const BSTR *s) {
        if (flags & NDR_SCALARS)
                ndr_push_unique_ptr(ndr, s);    /* never NULL: a NULL BSTR has a blob too */
        if (flags & NDR_BUFFERS)
                push_blob(ndr, *s);
        return ndr_push_error(ndr);
}

static int pull_blob(struct ndr_pull *ndr, BSTR *ret) {
        uint32_t max, bytes, cl;
        const uint8_t *p;
        int r;

        if ((r = ndr_pull_conformance(ndr, &max)) < 0 || (r = ndr_pull_uint32(ndr, &bytes)) < 0 ||
            (r = ndr_pull_uint32(ndr, &cl)) < 0)
                return r;
        if (cl != max)
                return -EBADMSG;
        if (bytes == BSTR_NULL_BYTES) {
                if (cl)
                        return -EBADMSG;
                *ret = NULL;
                return 0;
        }
        if (bytes > (uint64_t)cl * 2 || (uint64_t)bytes + 1 < (uint64_t)cl * 2)
                return -EBADMSG;
        if ((r = ndr_pull_check_count(ndr, cl, 2, 2)) < 0 ||
            (r = ndr_pull_bytes_ref(ndr, (size_t)cl * 2, &p)) < 0)
                return r;
        BSTR s = SysAllocStringByteLen((LPCSTR)p, bytes);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int pull_bstr(struct ndr_pull *ndr, int flags, BSTR *s) {
        uint32_t id;
        int r;

        if (flags & NDR_SCALARS) {
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return r;
                *s = id ? NDR_PTR_PENDING : NULL;
        }
        if ((flags & NDR_BUFFERS) && *s == NDR_PTR_PENDING) {
                *s = NULL;
                return pull_blob(ndr, s);
        }
        return 0;
}

static int bstr_push(struct ndr_push *ndr, int flags, const void *obj) {
        return push_bstr(ndr, flags, obj);
}

static int bstr_pull(struct ndr_pull *ndr, int flags, void *obj) {
        return pull_bstr(ndr, flags, obj);
}

static void bstr_free(void *obj) {
        BSTR *s = obj;

        if (*s != NDR_PTR_PENDING)
                SysFreeString(*s);
        *s = NULL;
}

/* --- values -------------------------------------------------------------------------------- */

/* A by-value arm's wire size (its alignment too, DECIMAL's 8 aside), 0 for none. */
static size_t value_size(VARTYPE base) {
        switch (base) {
        case VT_I1: case VT_UI1:
                return 1;
        case VT_I2: case VT_UI2: case VT_BOOL:
                return 2;
        case VT_I4: case VT_UI4: case VT_INT: case VT_UINT: case VT_ERROR: case VT_R4:
                return 4;
        case VT_I8: case VT_UI8: case VT_R8: case VT_DATE: case VT_CY:
                return 8;
        case VT_DECIMAL:
                return 16;
        default:
                return 0;
        }
}

/* p: the value in memory (DECIMAL: the DECIMAL). */
static int push_value(struct ndr_push *ndr, VARTYPE base, const void *p) {
        switch (value_size(base)) {
        case 1:
                return ndr_push_uint8(ndr, *(const uint8_t *)p);
        case 2: {
                uint16_t v;
                memcpy(&v, p, 2);
                return ndr_push_uint16(ndr, v);
        }
        case 4: {
                uint32_t v;
                memcpy(&v, p, 4);
                return ndr_push_uint32(ndr, v);
        }
        case 8: {
                uint64_t v;
                memcpy(&v, p, 8);
                return ndr_push_hyper(ndr, v);
        }
        case 16: {      /* [MS-OAUT] 2.2.26 */
                const DECIMAL *d = p;
                ndr_push_align(ndr, 8);
                ndr_push_uint16(ndr, 0);
                ndr_push_uint8(ndr, d->scale);
                ndr_push_uint8(ndr, d->sign);
                ndr_push_uint32(ndr, d->Hi32);
                return ndr_push_hyper(ndr, d->Lo64);
        }
        }
        return ndr_push_fail(ndr, -EOPNOTSUPP);
}

static int pull_value(struct ndr_pull *ndr, VARTYPE base, void *p) {
        int r;

        switch (value_size(base)) {
        case 1:
                return ndr_pull_uint8(ndr, p);
        case 2: {
                uint16_t v;
                if ((r = ndr_pull_uint16(ndr, &v)) < 0)
                        return r;
                memcpy(p, &v, 2);
                return 0;
        }
        case 4: {
                uint32_t v;
                if ((r = ndr_pull_uint32(ndr, &v)) < 0)
                        return r;
                memcpy(p, &v, 4);
                return 0;
        }
        case 8: {
                uint64_t v;
                if ((r = ndr_pull_hyper(ndr, &v)) < 0)
                        return r;
                memcpy(p, &v, 8);
                return 0;
        }
        case 16: {
                DECIMAL d;
                uint16_t reserved;
                uint32_t hi;
                uint64_t lo;
                if ((r = ndr_pull_align(ndr, 8)) < 0 || (r = ndr_pull_uint16(ndr, &reserved)) < 0 ||
                    (r = ndr_pull_uint8(ndr, &d.scale)) < 0 || (r = ndr_pull_uint8(ndr, &d.sign)) < 0 ||
                    (r = ndr_pull_uint32(ndr, &hi)) < 0 || (r = ndr_pull_hyper(ndr, &lo)) < 0)
                        return r;
                d.Hi32 = hi;
                d.Lo64 = lo;
                d.wReserved = 0;
                memcpy(p, &d, sizeof d);
                return 0;
        }
        }
        return -EOPNOTSUPP;
}

/* --- interface pointers ------------------------------------------------------------------- */

static const IID *iface_iid(VARTYPE base) {
        return base == VT_DISPATCH ? &IID_IDispatch : &IID_IUnknown;
}

/* A [unique] MInterfacePointer: the ID, then the OBJREF. */
static int push_iface(struct ndr_push *ndr, VARTYPE base, IUnknown *u) {
        ndr_push_unique_ptr(ndr, u);
        if (!u)
                return ndr_push_error(ndr);
        /* a server's response gives up what it marshals: the VARIANT keeps its own */
        if (ndr->release_ifaces)
                u->lpVtbl->AddRef(u);
        return ndr_push_iface(ndr, iface_iid(base), u);
}

static int pull_iface(struct ndr_pull *ndr, VARTYPE base, IUnknown **ret) {
        uint32_t id;
        int r;

        *ret = NULL;
        if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0 || !id)
                return r;
        /* kept: the VARIANT owns the reference, its free releases it */
        return ndr_pull_iface_kept(ndr, iface_iid(base), (void **)ret);
}

/* --- SAFEARRAY ([MS-OAUT] 2.2.30) --------------------------------------------------------- */

static int push_variant(struct ndr_push *ndr, int flags, const VARIANT *v);
static int pull_variant(struct ndr_pull *ndr, int flags, VARIANT *v);

/* --- records ([MS-OAUT] 2.2.28.2) ----------------------------------------------------------- */

static int push_lpsafearray(struct ndr_push *ndr, int flags, SAFEARRAY *const *ppsa);
static int pull_lpsafearray(struct ndr_pull *ndr, int flags, SAFEARRAY **ppsa);

#define MAX_RECORD_DEPTH 16

/* [MS-OAUT] 1.9: CLSID_RecordInfo (the same GUID as IID_IRecordInfo) */
static const GUID CLSID_RecordInfo = { 0x0000002f, 0, 0,
                                       { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
#define OBJREF_SIGNATURE 0x574f454du    /* "MEOW" */
#define OBJREF_CUSTOM_FLAG 4u
#define RECINFO_DATA_SIZE 44u           /* [MS-OAUT] 2.2.31 RecordInfoData */
/* signature, flags, iid, clsid, cbExtension, size, pObjectData ([MS-DCOM] 2.2.18.6) */
#define RECINFO_OBJREF_SIZE (4 + 4 + 16 + 16 + 4 + 4 + RECINFO_DATA_SIZE)

/*
 * A record's fields as MIDL would marshal the struct ([C706] 14.3.6): the scalars in
 * order (pointers as referent IDs, nested records inline), then, in the same order, what
 * the pointers point to.
 */
static int push_record(struct ndr_push *ndr, IRecordInfo *ri, const uint8_t *p, int pass,
                       int depth) {
        const struct oleaut_field *f;
        ULONG n, size, align;

        if (depth > MAX_RECORD_DEPTH || !(f = oleaut_recinfo_fields(ri, &n, &size, &align)))
                return ndr_push_fail(ndr, -EOPNOTSUPP);
        if (pass == NDR_SCALARS)
                ndr_push_align(ndr, align);
        for (ULONG i = 0; i < n && !ndr_push_error(ndr); i++) {
                for (ULONG k = 0; k < f[i].count && !ndr_push_error(ndr); k++) {
                        const uint8_t *c = p + f[i].offset + (size_t)k * f[i].size;
                        switch (f[i].kind) {
                        case OA_FK_PLAIN:
                                if (pass == NDR_SCALARS)
                                        push_value(ndr, f[i].vt, c);
                                break;
                        case OA_FK_BSTR:
                                push_bstr(ndr, pass, (const BSTR *)c);
                                break;
                        case OA_FK_VARIANT:
                                if (V_VT((const VARIANT *)c) & VT_BYREF)
                                        return ndr_push_fail(ndr, -EOPNOTSUPP);
                                push_variant(ndr, pass, (const VARIANT *)c);
                                break;
                        case OA_FK_ARRAY:
                                push_lpsafearray(ndr, pass, (SAFEARRAY *const *)c);
                                break;
                        case OA_FK_UNKNOWN: {
                                IUnknown *u = *(IUnknown *const *)c;
                                if (pass == NDR_SCALARS) {
                                        ndr_push_unique_ptr(ndr, u);
                                } else if (u) {
                                        if (ndr->release_ifaces)
                                                u->lpVtbl->AddRef(u);
                                        ndr_push_iface(ndr, iface_iid(f[i].vt), u);
                                }
                                break;
                        }
                        case OA_FK_RECORD:
                                push_record(ndr, f[i].rec, c, pass, depth + 1);
                                break;
                        default:
                                return ndr_push_fail(ndr, -EOPNOTSUPP); /* an opaque pointer */
                        }
                }
        }
        return ndr_push_error(ndr);
}

/* Puts a little-endian 32-bit value over the 4 bytes pushed at stub offset at. */
static void patch_u32(struct ndr_push *ndr, size_t at, uint32_t v) {
        uint8_t *q = ndr->buf.data + ndr->base + at;

        q[0] = (uint8_t)v;
        q[1] = (uint8_t)(v >> 8);
        q[2] = (uint8_t)(v >> 16);
        q[3] = (uint8_t)(v >> 24);
}

/*
 * [MS-OAUT] 2.2.28.2.1 _wireBRECORD, the referent of a wireBRECORD: fFlags, clSize, the
 * IRecordInfo as an OBJREF_CUSTOM of CLSID_RecordInfo carrying the RecordInfoData that
 * names the type (2.2.31), and the record as NDR prefixed by clSize.  The record's NDR
 * aligns from the start of pRecord's bytes (where the prefix is).
 */
static int push_brecord(struct ndr_push *ndr, IRecordInfo *ri, const void *rec) {
        struct oleaut_recinfo_data d;
        size_t cl_at, conf_at, prefix_at;
        int r;

        if (!ri || oleaut_recinfo_data(ri, &d) < 0)
                return ndr_push_fail(ndr, -EOPNOTSUPP);    /* no type we can name */
        if ((r = ndr_push_enter(ndr)) < 0)
                return ndr_push_fail(ndr, r);
        ndr_push_align(ndr, 4);
        ndr_push_uint32(ndr, rec ? 1 : 0);              /* fFlags */
        cl_at = ndr_push_offset(ndr);
        ndr_push_uint32(ndr, 0);                        /* clSize, below */
        ndr_push_unique_ptr(ndr, ri);                   /* pRecInfo */
        ndr_push_unique_ptr(ndr, rec);                  /* pRecord */
        /* pRecInfo: an MInterfacePointer ([MS-DCOM] 2.2.14) */
        ndr_push_conformance(ndr, RECINFO_OBJREF_SIZE);
        ndr_push_uint32(ndr, RECINFO_OBJREF_SIZE);
        ndr_push_uint32(ndr, OBJREF_SIGNATURE);
        ndr_push_uint32(ndr, OBJREF_CUSTOM_FLAG);
        ndr_push_guid(ndr, &IID_IRecordInfo);
        ndr_push_guid(ndr, &CLSID_RecordInfo);
        ndr_push_uint32(ndr, 0);                        /* cbExtension */
        ndr_push_uint32(ndr, RECINFO_DATA_SIZE);        /* reserved: the size, as Windows */
        ndr_push_guid(ndr, &d.lib_guid);
        ndr_push_uint32(ndr, d.major);
        ndr_push_guid(ndr, &d.rec_guid);
        ndr_push_uint32(ndr, d.minor);
        ndr_push_uint32(ndr, d.lcid);
        if (rec && !ndr_push_error(ndr)) {
                ndr_push_conformance(ndr, 0);           /* clSize again, below */
                conf_at = ndr_push_offset(ndr) - 4;
                size_t base = ndr->base;
                ndr->base = ndr->buf.len;               /* pRecord's bytes: alignment from here */
                prefix_at = ndr_push_offset(ndr);
                ndr_push_uint32(ndr, 0);                /* the size prefix, below */
                push_record(ndr, ri, rec, NDR_SCALARS, 0);
                push_record(ndr, ri, rec, NDR_BUFFERS, 0);
                size_t len = ndr_push_offset(ndr);
                if (!ndr_push_error(ndr) && len > UINT32_MAX)
                        ndr_push_fail(ndr, -E2BIG);
                if (!ndr_push_error(ndr))
                        patch_u32(ndr, prefix_at, (uint32_t)len);
                ndr->base = base;
                if (!ndr_push_error(ndr)) {
                        patch_u32(ndr, conf_at, (uint32_t)len);
                        patch_u32(ndr, cl_at, (uint32_t)len);
                }
        }
        ndr_push_leave(ndr);
        return ndr_push_error(ndr);
}

/* A wireBRECORD ([unique] pointer) and its referent: never NULL, a record names its type. */
static int push_wire_brecord(struct ndr_push *ndr, IRecordInfo *ri, const void *rec) {
        if (!ri)
                return ndr_push_fail(ndr, -EINVAL);
        ndr_push_unique_ptr(ndr, ri);
        return push_brecord(ndr, ri, rec);
}

/* Undoes what a failed pull left in a record: markers of referents still to come. */
static void scrub_record(IRecordInfo *ri, uint8_t *p, int depth) {
        const struct oleaut_field *f;
        ULONG n, size, align;

        if (depth > MAX_RECORD_DEPTH || !(f = oleaut_recinfo_fields(ri, &n, &size, &align)))
                return;
        for (ULONG i = 0; i < n; i++) {
                for (ULONG k = 0; k < f[i].count; k++) {
                        uint8_t *c = p + f[i].offset + (size_t)k * f[i].size;
                        switch (f[i].kind) {
                        case OA_FK_BSTR: case OA_FK_ARRAY: case OA_FK_UNKNOWN:
                                if (*(void **)c == NDR_PTR_PENDING)
                                        *(void **)c = NULL;
                                break;
                        case OA_FK_VARIANT:
                                if (V_VT((VARIANT *)c) == VT_PENDING)
                                        V_VT((VARIANT *)c) = VT_EMPTY;
                                break;
                        case OA_FK_RECORD:
                                scrub_record(f[i].rec, c, depth + 1);
                                break;
                        default:
                                break;
                        }
                }
        }
}

/* push_record's reverse, into zeroed memory; on failure the caller scrubs and clears. */
static int pull_record(struct ndr_pull *ndr, IRecordInfo *ri, uint8_t *p, int pass, int depth) {
        const struct oleaut_field *f;
        ULONG n, size, align;
        int r = 0;

        if (depth > MAX_RECORD_DEPTH || !(f = oleaut_recinfo_fields(ri, &n, &size, &align)))
                return -EOPNOTSUPP;
        if (pass == NDR_SCALARS && (r = ndr_pull_align(ndr, align)) < 0)
                return r;
        for (ULONG i = 0; i < n; i++) {
                for (ULONG k = 0; k < f[i].count; k++) {
                        uint8_t *c = p + f[i].offset + (size_t)k * f[i].size;
                        switch (f[i].kind) {
                        case OA_FK_PLAIN:
                                if (pass == NDR_SCALARS)
                                        r = pull_value(ndr, f[i].vt, c);
                                break;
                        case OA_FK_BSTR:
                                r = pull_bstr(ndr, pass, (BSTR *)c);
                                break;
                        case OA_FK_VARIANT:
                                r = pull_variant(ndr, pass, (VARIANT *)c);
                                /* a reference would be memory VariantClear never frees */
                                if (V_VT((VARIANT *)c) & VT_BYREF && V_VT((VARIANT *)c) != VT_PENDING) {
                                        oleaut_variant_user_free((VARIANT *)c);
                                        if (r >= 0)
                                                r = -EBADMSG;
                                }
                                break;
                        case OA_FK_ARRAY: {
                                SAFEARRAY **ppsa = (SAFEARRAY **)c;
                                VARTYPE vt;
                                r = pull_lpsafearray(ndr, pass, ppsa);
                                /* the array the field declares, not another */
                                if (r >= 0 && pass == NDR_BUFFERS && *ppsa &&
                                    (FAILED(SafeArrayGetVartype(*ppsa, &vt)) ||
                                     vt != (f[i].vt & VT_TYPEMASK)))
                                        r = -EBADMSG;
                                break;
                        }
                        case OA_FK_UNKNOWN: {
                                void **slot = (void **)c;
                                uint32_t id;
                                if (pass == NDR_SCALARS) {
                                        if ((r = ndr_pull_unique_ptr(ndr, &id)) >= 0)
                                                *slot = id ? NDR_PTR_PENDING : NULL;
                                } else if (*slot == NDR_PTR_PENDING) {
                                        *slot = NULL;
                                        r = ndr_pull_iface_kept(ndr, iface_iid(f[i].vt), slot);
                                }
                                break;
                        }
                        case OA_FK_RECORD:
                                r = pull_record(ndr, f[i].rec, c, pass, depth + 1);
                                break;
                        default:
                                r = -EOPNOTSUPP;
                                break;
                        }
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The IRecordInfo an MInterfacePointer names: an OBJREF_CUSTOM of CLSID_RecordInfo. */
static int pull_recinfo(struct ndr_pull *ndr, IRecordInfo **ret) {
        uint8_t *o;
        uint32_t len, sig, flags, data_size;
        GUID iid, clsid, lib, rec;
        int r;

        if ((r = ndr_pull_interface_pointer(ndr, NDR_OBJREF_MAX, &o, &len)) < 0)
                return r;
        if (len < RECINFO_OBJREF_SIZE)
                return -EBADMSG;
        memcpy(&sig, o, 4);
        memcpy(&flags, o + 4, 4);
        sig = le32toh(sig);
        flags = le32toh(flags);
        memcpy(&iid, o + 8, 16);
        memcpy(&clsid, o + 24, 16);
        memcpy(&data_size, o + 44, 4);
        (void)data_size;        /* reserved: ignored, as [MS-DCOM] says */
        if (sig != OBJREF_SIGNATURE || flags != OBJREF_CUSTOM_FLAG ||
            !IsEqualGUID(&clsid, &CLSID_RecordInfo))
                return -EBADMSG;
        const uint8_t *dp = o + 48;     /* RecordInfoData, little-endian */
        uint32_t major, minor, lcid;
        memcpy(&lib, dp, 16);
        memcpy(&major, dp + 16, 4);
        memcpy(&rec, dp + 20, 16);
        memcpy(&minor, dp + 36, 4);
        memcpy(&lcid, dp + 40, 4);
        /* GUIDs are little-endian in their first three fields: as in memory here */
        if (FAILED(GetRecordInfoFromGuids(&lib, le32toh(major), le32toh(minor), le32toh(lcid),
                                          &rec, ret)))
                return -ENOENT;         /* a type this process does not know */
        return 0;
}

/*
 * A _wireBRECORD into a new record of ours: *ret_ri (held) and *ret_rec (CoTaskMem, NULL
 * when the sender had none).  clSize must be what the record's NDR took (up to 7 bytes
 * of padding after it), within what the message holds.
 */
static int pull_brecord(struct ndr_pull *ndr, IRecordInfo **ret_ri, void **ret_rec) {
        uint32_t flags, cl, ri_id, rec_id, conf, prefix;
        IRecordInfo *ri = NULL;
        uint8_t *rec = NULL;
        int r;

        if ((r = ndr_pull_enter(ndr)) < 0)
                return r;
        if ((r = ndr_pull_align(ndr, 4)) < 0 || (r = ndr_pull_uint32(ndr, &flags)) < 0 ||
            (r = ndr_pull_uint32(ndr, &cl)) < 0 || (r = ndr_pull_unique_ptr(ndr, &ri_id)) < 0 ||
            (r = ndr_pull_unique_ptr(ndr, &rec_id)) < 0)
                goto out;
        /* [MS-OAUT] 2.2.28.2.1: fFlags 1 and clSize with a record, 0 and 0 without; the
           type is always named */
        if (!ri_id || flags != (rec_id ? 1u : 0u) || (!rec_id && cl) || (rec_id && cl < 4)) {
                r = -EBADMSG;
                goto out;
        }
        if ((r = pull_recinfo(ndr, &ri)) < 0)
                goto out;
        if (rec_id) {
                ULONG n, size, align;
                if (!oleaut_recinfo_fields(ri, &n, &size, &align)) {
                        r = -EOPNOTSUPP;
                        goto out;
                }
                if ((r = ndr_pull_conformance(ndr, &conf)) < 0)
                        goto out;
                if (conf != cl || ndr_pull_remaining(ndr) < cl) {
                        r = -EBADMSG;
                        goto out;
                }
                /* pRecord's bytes as a stream of their own: alignment from their start,
                   no read past clSize */
                const uint8_t *data = ndr->data;
                size_t all = ndr->size, at = ndr->offset;
                ndr->data += at;
                ndr->size = cl;
                ndr->offset = 0;
                if (!(rec = CoTaskMemAlloc(size ? size : 1))) {
                        r = -ENOMEM;
                } else {
                        memset(rec, 0, size);
                        if ((r = ndr_pull_uint32(ndr, &prefix)) >= 0 && prefix != cl)
                                r = -EBADMSG;
                        if (r >= 0)
                                r = pull_record(ndr, ri, rec, NDR_SCALARS, 0);
                        if (r >= 0)
                                r = pull_record(ndr, ri, rec, NDR_BUFFERS, 0);
                        if (r >= 0 && ndr_pull_remaining(ndr) >= 8)
                                r = -EBADMSG;   /* clSize says more than the record took */
                        if (r < 0) {
                                scrub_record(ri, rec, 0);
                                ri->lpVtbl->RecordClear(ri, rec);
                                CoTaskMemFree(rec);
                                rec = NULL;
                        }
                }
                ndr->data = data;
                ndr->size = all;
                ndr->offset = at + cl;
                if (r < 0)
                        goto out;
        }
        *ret_ri = ri;
        *ret_rec = rec;
        ri = NULL;
        r = 0;
out:
        if (ri)
                ri->lpVtbl->Release(ri);
        ndr_pull_leave(ndr);
        return r;
}

/* A wireBRECORD: never NULL (a record always names its type). */
static int pull_wire_brecord(struct ndr_pull *ndr, IRecordInfo **ret_ri, void **ret_rec) {
        uint32_t id;
        int r;

        if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                return r;
        if (!id)
                return -EBADMSG;
        return pull_brecord(ndr, ret_ri, ret_rec);
}


/* [MS-OAUT] 2.2.8 */
enum {
        SF_ERROR = VT_ERROR, SF_I1 = VT_I1, SF_I2 = VT_I2, SF_I4 = VT_I4, SF_I8 = VT_I8,
        SF_BSTR = VT_BSTR, SF_UNKNOWN = VT_UNKNOWN, SF_DISPATCH = VT_DISPATCH,
        SF_VARIANT = VT_VARIANT, SF_RECORD = VT_RECORD, SF_HAVEIID = VT_UNKNOWN | 0x8000,
};

/* The union arm an array of vt travels in (Windows' choice; SF_ERROR: none). */
static uint32_t sf_of_vt(VARTYPE vt) {
        switch (vt) {
        case VT_I1: case VT_UI1:
                return SF_I1;
        case VT_I2: case VT_UI2: case VT_BOOL:
                return SF_I2;
        case VT_I4: case VT_UI4: case VT_INT: case VT_UINT: case VT_R4: case VT_ERROR:
                return SF_I4;
        case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE:
                return SF_I8;
        case VT_INT_PTR: case VT_UINT_PTR:
                return sizeof(void *) == 4 ? SF_I4 : SF_I8;
        case VT_BSTR:
                return SF_BSTR;
        case VT_VARIANT:
                return SF_VARIANT;
        case VT_UNKNOWN:
                return SF_UNKNOWN;
        case VT_DISPATCH:
                return SF_DISPATCH;
        case VT_RECORD:
                return SF_RECORD;
        default:
                return SF_ERROR;
        }
}

/* An array's arm: from its VARTYPE, else (no FADF_HAVEVARTYPE) from its features or size. */
static uint32_t sf_of_array(SAFEARRAY *psa, VARTYPE *ret_vt) {
        VARTYPE vt;

        if (FAILED(SafeArrayGetVartype(psa, &vt))) {
                vt = 0;
                *ret_vt = 0;
                /* what the elements are, from the features first: pointers are never sent as
                   integers (Windows guesses from the size alone, after FADF_VARIANT) */
                if (psa->fFeatures & FADF_VARIANT)
                        return SF_VARIANT;
                if (psa->fFeatures & FADF_BSTR)
                        return SF_BSTR;
                if (psa->fFeatures & FADF_UNKNOWN)
                        return SF_UNKNOWN;
                if (psa->fFeatures & FADF_DISPATCH)
                        return SF_DISPATCH;
                switch (psa->cbElements) {
                case 1: return SF_I1;
                case 2: return SF_I2;
                case 4: return SF_I4;
                case 8: return SF_I8;
                default: return SF_ERROR;
                }
        }
        *ret_vt = vt;
        if (psa->fFeatures & FADF_HAVEIID)
                return SF_HAVEIID;
        return sf_of_vt(vt);
}

static size_t sf_scalar_size(uint32_t sf) {
        return sf == SF_I1 ? 1 : sf == SF_I2 ? 2 : sf == SF_I4 ? 4 : sf == SF_I8 ? 8 : 0;
}

/* The element count, SIZE_MAX when it does not fit (a descriptor filled in by hand). */
static size_t cells_of(const SAFEARRAY *psa) {
        size_t n = 1;

        for (USHORT i = 0; i < psa->cDims; i++) {
                size_t c = psa->rgsabound[i].cElements;
                if (c && n > SIZE_MAX / c)
                        return SIZE_MAX;
                n *= c;
        }
        return n;
}

/* The elements: conformance, then values, or pointer IDs and their referents. */
static int push_cells(struct ndr_push *ndr, SAFEARRAY *psa, uint32_t sf, const IID *iid) {
        size_t n = cells_of(psa);
        uint8_t *p = psa->pvData;

        ndr_push_conformance(ndr, (uint32_t)n);
        if (sf_scalar_size(sf)) {
                /* [MS-OAUT] 2.2.30.8: little-endian whatever the data representation */
                if (sf == SF_I8)
                        ndr_push_align(ndr, 8);
                for (size_t i = 0; i < n; i++) {
                        const uint8_t *c = p + i * psa->cbElements;
                        uint16_t x16;
                        uint32_t x32;
                        uint64_t x64;
                        switch (sf) {
                        case SF_I1:
                                ndr_push_uint8(ndr, c[0]);
                                break;
                        case SF_I2:
                                memcpy(&x16, c, 2);
                                ndr_push_uint16(ndr, x16);
                                break;
                        case SF_I4:
                                memcpy(&x32, c, 4);
                                ndr_push_uint32(ndr, x32);
                                break;
                        default:
                                memcpy(&x64, c, 8);
                                ndr_push_uint64(ndr, x64);
                                break;
                        }
                }
                return ndr_push_error(ndr);
        }
        IRecordInfo *ri = NULL;
        if (sf == SF_RECORD) {
                if (FAILED(SafeArrayGetRecordInfo(psa, &ri)) || !ri)
                        return ndr_push_fail(ndr, -EOPNOTSUPP);
                ri->lpVtbl->Release(ri);        /* the array holds it */
        }
        for (int pass = NDR_SCALARS; pass <= NDR_BUFFERS; pass <<= 1) {
                for (size_t i = 0; i < n && !ndr_push_error(ndr); i++) {
                        void *c = p + i * psa->cbElements;
                        if (sf == SF_RECORD) {
                                /* [MS-OAUT] 2.2.30.6: a wireBRECORD per element */
                                if (pass == NDR_SCALARS)
                                        ndr_push_unique_ptr(ndr, c);
                                else
                                        push_brecord(ndr, ri, c);
                        } else if (sf == SF_BSTR) {
                                push_bstr(ndr, pass, c);
                        } else if (sf == SF_VARIANT) {
                                if (V_VT((VARIANT *)c) & VT_BYREF)
                                        return ndr_push_fail(ndr, -EOPNOTSUPP); /* not taken back */
                                push_variant(ndr, pass, c);
                        } else {
                                IUnknown *u = *(IUnknown **)c;
                                if (pass == NDR_SCALARS) {
                                        ndr_push_unique_ptr(ndr, u);
                                } else if (u) {
                                        if (ndr->release_ifaces)
                                                u->lpVtbl->AddRef(u);
                                        ndr_push_iface(ndr, iid, u);
                                }
                        }
                }
        }
        return ndr_push_error(ndr);
}

/* [MS-OAUT] 2.2.30.10 _wireSAFEARRAY, the referent of a wireSAFEARRAY. */
static int push_sa_body(struct ndr_push *ndr, SAFEARRAY *psa) {
        VARTYPE vt;
        IID iid;
        uint32_t sf = sf_of_array(psa, &vt);
        int r;

        if (sf == SF_ERROR || !psa->cDims)
                return ndr_push_fail(ndr, -EOPNOTSUPP);
        if (psa->pvData == NULL && cells_of(psa))
                return ndr_push_fail(ndr, -EINVAL);
        if ((uint64_t)cells_of(psa) > UINT32_MAX)
                return ndr_push_fail(ndr, -E2BIG);      /* Size is a ULONG */
        if (sf == SF_HAVEIID)
                SafeArrayGetIID(psa, &iid);
        else
                iid = sf == SF_DISPATCH ? IID_IDispatch : IID_IUnknown;
        if ((r = ndr_push_enter(ndr)) < 0)
                return ndr_push_fail(ndr, r);
        ndr_push_conformance(ndr, psa->cDims);          /* rgsabound's, hoisted */
        ndr_push_uint16(ndr, psa->cDims);
        ndr_push_uint16(ndr, psa->fFeatures);
        /* the wire size of an element: a BSTR's pointer, a 32-bit VARIANT */
        ndr_push_uint32(ndr, sf == SF_BSTR ? 4 : sf == SF_VARIANT ? 16 : psa->cbElements);
        /* Windows sends the VARTYPE in cLocks' high word */
        ndr_push_uint32(ndr, (uint32_t)(uint16_t)psa->cLocks | (uint32_t)vt << 16);
        ndr_push_uint32(ndr, sf);                       /* the union's discriminant */
        ndr_push_uint32(ndr, (uint32_t)cells_of(psa));  /* Size / clSize */
        ndr_push_unique_ptr(ndr, psa->pvData);
        if (sf == SF_HAVEIID)
                ndr_push_guid(ndr, &iid);
        for (USHORT i = 0; i < psa->cDims; i++) {       /* first dimension first */
                const SAFEARRAYBOUND *b = &psa->rgsabound[psa->cDims - 1 - i];
                ndr_push_uint32(ndr, b->cElements);
                ndr_push_uint32(ndr, (uint32_t)b->lLbound);
        }
        if (psa->pvData)
                push_cells(ndr, psa, sf, &iid);
        ndr_push_leave(ndr);
        return ndr_push_error(ndr);
}

/* LPSAFEARRAY as a wireSAFEARRAY: the ID inline, the array deferred. */
static int push_lpsafearray(struct ndr_push *ndr, int flags, SAFEARRAY *const *ppsa) {
        if (flags & NDR_SCALARS)
                ndr_push_unique_ptr(ndr, *ppsa);
        if ((flags & NDR_BUFFERS) && *ppsa)
                push_sa_body(ndr, *ppsa);
        return ndr_push_error(ndr);
}

/* The deferred part of a wireVARIANT whose ID was not 0. */
static int pull_variant_referent(struct ndr_pull *ndr, VARIANT *v) {
        V_VT(v) = VT_PENDING;
        return pull_variant(ndr, NDR_BUFFERS, v);
}

/* Element IDs, then the referents of the non-NULL ones; cells start zeroed (empty). */
static int pull_cells(struct ndr_pull *ndr, SAFEARRAY *psa, uint32_t sf, size_t n, const IID *iid) {
        uint8_t *p = psa->pvData, *present;
        uint32_t count, id;
        int r;

        if ((r = ndr_pull_conformance(ndr, &count)) < 0)
                return r;
        if (count != n)
                return -EBADMSG;
        size_t size = sf_scalar_size(sf);
        if (size) {
                const uint8_t *src;
                if ((sf == SF_I8 && (r = ndr_pull_align(ndr, 8)) < 0) ||
                    (r = ndr_pull_bytes_ref(ndr, n * size, &src)) < 0)
                        return r;
                /* [MS-OAUT] 2.2.30.8: little-endian whatever the data representation */
                for (size_t i = 0; i < n; i++) {
                        uint64_t x = 0;
                        for (size_t b = 0; b < size; b++)
                                x |= (uint64_t)src[i * size + b] << (8 * b);
                        uint8_t *c = p + i * psa->cbElements;
                        switch (size) {
                        case 1: c[0] = (uint8_t)x; break;
                        case 2: { uint16_t v = (uint16_t)x; memcpy(c, &v, 2); break; }
                        case 4: { uint32_t v = (uint32_t)x; memcpy(c, &v, 4); break; }
                        default: memcpy(c, &x, 8); break;
                        }
                }
                return 0;
        }
        if (!n)
                return 0;
        if (!(present = dcom_malloc(n)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        goto out_free;
                present[i] = id != 0;
        }
        for (size_t i = 0; i < n; i++) {
                void *c = p + i * psa->cbElements;
                if (!present[i])
                        continue;
                if (sf == SF_BSTR)
                        r = pull_blob(ndr, c);
                else if (sf == SF_VARIANT) {
                        r = pull_variant_referent(ndr, c);
                        /* a reference in an array would be memory of ours that
                           SafeArrayDestroy (VariantClear) never frees: refused, and
                           freed here however far its pull got */
                        if (V_VT((VARIANT *)c) & VT_BYREF) {
                                oleaut_variant_user_free(c);
                                if (r >= 0)
                                        r = -EBADMSG;
                        }
                }
                else
                        r = ndr_pull_iface_kept(ndr, iid, c);
                if (r < 0)
                        goto out_free;
        }
        r = 0;
out_free:
        dcom_free(present);
        return r;
}

/* The descriptor an array read off the wire lives in: Windows' for its VARTYPE. */
static int new_array(VARTYPE vt, uint32_t sf, USHORT wire_features, USHORT dims,
                     const SAFEARRAYBOUND *bounds, const IID *iid, SAFEARRAY **ret) {
        SAFEARRAY *psa;

        if (vt) {
                /* the VARTYPE must be one that travels in this arm */
                if (sf == SF_HAVEIID ? vt != VT_UNKNOWN && vt != VT_DISPATCH : sf_of_vt(vt) != sf)
                        return -EBADMSG;
                if (!(psa = SafeArrayCreateEx(vt, dims, (SAFEARRAYBOUND *)bounds, (PVOID)iid)))
                        return -ENOMEM;
        } else {
                /* no VARTYPE: features and element size from the arm, as Windows does */
                if (FAILED(SafeArrayAllocDescriptor(dims, &psa)))
                        return -ENOMEM;
                for (USHORT i = 0; i < dims; i++)
                        psa->rgsabound[dims - 1 - i] = bounds[i];
                switch (sf) {
                case SF_BSTR:
                        psa->fFeatures = FADF_BSTR;
                        psa->cbElements = sizeof(BSTR);
                        break;
                case SF_VARIANT:
                        psa->fFeatures = FADF_VARIANT;
                        psa->cbElements = sizeof(VARIANT);
                        break;
                case SF_UNKNOWN:
                case SF_DISPATCH:
                case SF_HAVEIID:
                        if (sf == SF_UNKNOWN)
                                psa->fFeatures = FADF_UNKNOWN;
                        else if (sf == SF_DISPATCH)
                                psa->fFeatures = FADF_DISPATCH;
                        else    /* SF_HAVEIID: which of the two the sender's flags say */
                                psa->fFeatures = FADF_HAVEIID | (wire_features & FADF_DISPATCH ?
                                                                 FADF_DISPATCH : FADF_UNKNOWN);
                        psa->cbElements = sizeof(IUnknown *);
                        if (sf == SF_HAVEIID)
                                SafeArraySetIID(psa, iid);
                        break;
                default:
                        psa->cbElements = (ULONG)sf_scalar_size(sf);
                        break;
                }
                if (FAILED(SafeArrayAllocData(psa))) {
                        SafeArrayDestroyDescriptor(psa);
                        return -ENOMEM;
                }
        }
        /* of the sender's flags only FADF_FIXEDSIZE: the others say whose memory it is */
        psa->fFeatures |= wire_features & FADF_FIXEDSIZE;
        *ret = psa;
        return 0;
}

/*
 * An array of records ([MS-OAUT] 2.2.30.6 SAFEARR_BRECORD): the element IDs, then a
 * _wireBRECORD each.  The first element says the type (the array takes its IRecordInfo),
 * the others must be of it; cb must be the record's size.  A NULL element stays zeroed;
 * elements there are but none to say their type are refused; an empty array says no
 * type and gets none (cbElements 0, until SafeArraySetRecordInfo).
 */
static int pull_record_array(struct ndr_pull *ndr, VARTYPE vt, USHORT wire_features, uint32_t cb,
                             USHORT dims, const SAFEARRAYBOUND *bounds, bool data, size_t n,
                             SAFEARRAY **ret) {
        SAFEARRAY *psa;
        uint8_t *present = NULL;
        uint32_t count, id;
        int r;

        if (vt && vt != VT_RECORD)
                return -EBADMSG;
        if (FAILED(SafeArrayAllocDescriptorEx(VT_RECORD, dims, &psa)))
                return -ENOMEM;
        for (USHORT i = 0; i < dims; i++)
                psa->rgsabound[dims - 1 - i] = bounds[i];
        psa->fFeatures |= wire_features & FADF_FIXEDSIZE;
        if (!data)
                n = 0;
        if (data) {
                if ((r = ndr_pull_conformance(ndr, &count)) < 0)
                        goto out_destroy;
                if (count != n || !(present = dcom_malloc(n ? n : 1))) {
                        r = count != n ? -EBADMSG : -ENOMEM;
                        goto out_destroy;
                }
                for (size_t i = 0; i < n; i++) {
                        if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                                goto out_destroy;
                        present[i] = id != 0;
                }
        }
        for (size_t i = 0; i < n; i++) {
                IRecordInfo *ri, *have = NULL;
                void *rec;
                if (!present[i])
                        continue;
                if ((r = pull_brecord(ndr, &ri, &rec)) < 0)
                        goto out_destroy;
                SafeArrayGetRecordInfo(psa, &have);
                if (!have) {
                        /* the first: the array's type and element size */
                        SafeArraySetRecordInfo(psa, ri);
                        if (psa->cbElements != cb || FAILED(SafeArrayAllocData(psa)))
                                r = psa->cbElements != cb ? -EBADMSG : -ENOMEM;
                } else {
                        if (!have->lpVtbl->IsMatchingType(have, ri))
                                r = -EBADMSG;
                        have->lpVtbl->Release(have);
                }
                if (r >= 0 && !rec)
                        r = -EBADMSG;   /* an element is a record, not a type alone */
                if (r < 0) {
                        if (rec) {
                                ri->lpVtbl->RecordClear(ri, rec);
                                CoTaskMemFree(rec);
                        }
                        ri->lpVtbl->Release(ri);
                        goto out_destroy;
                }
                /* the values move into the cell, the block goes */
                memcpy((uint8_t *)psa->pvData + i * psa->cbElements, rec, psa->cbElements);
                CoTaskMemFree(rec);
                ri->lpVtbl->Release(ri);
        }
        if (!psa->pvData) {
                if (n) {
                        r = -EBADMSG;   /* elements, but nothing says what they are */
                        goto out_destroy;
                }
                /* no element names the type: an empty array of records of no known size
                   (the sender's cb is not believed: resizing would allocate by it) */
                psa->cbElements = 0;
                if (FAILED(SafeArrayAllocData(psa))) {
                        r = -ENOMEM;
                        goto out_destroy;
                }
        }
        dcom_free(present);
        *ret = psa;
        return 0;
out_destroy:
        dcom_free(present);
        SafeArrayDestroy(psa);
        return r;
}

static int pull_sa_body(struct ndr_pull *ndr, SAFEARRAY **ret) {
        uint32_t conf, cb, locks, sf, size, data_id;
        uint16_t dims, features;
        SAFEARRAYBOUND *bounds = NULL;
        SAFEARRAY *psa = NULL;
        IID iid = IID_IUnknown;
        size_t n = 1;
        int r;

        if ((r = ndr_pull_conformance(ndr, &conf)) < 0 || (r = ndr_pull_uint16(ndr, &dims)) < 0 ||
            (r = ndr_pull_uint16(ndr, &features)) < 0 || (r = ndr_pull_uint32(ndr, &cb)) < 0 ||
            (r = ndr_pull_uint32(ndr, &locks)) < 0 || (r = ndr_pull_uint32(ndr, &sf)) < 0)
                return r;
        if (conf != dims || !dims)
                return -EBADMSG;
        switch (sf) {
        case SF_I1: case SF_I2: case SF_I4: case SF_I8:
                if (cb != sf_scalar_size(sf))
                        return -EBADMSG;
                break;
        case SF_BSTR: case SF_VARIANT: case SF_UNKNOWN: case SF_DISPATCH: case SF_HAVEIID:
                break;
        case SF_RECORD:
                if (!cb)
                        return -EBADMSG;
                break;
        default:
                return -EBADMSG;        /* [MS-OAUT] 2.2.8: SF_ERROR is refused too */
        }
        if ((r = ndr_pull_uint32(ndr, &size)) < 0 || (r = ndr_pull_unique_ptr(ndr, &data_id)) < 0)
                return r;
        if (sf == SF_HAVEIID && (r = ndr_pull_guid(ndr, &iid)) < 0)
                return r;
        if ((r = ndr_pull_check_count(ndr, dims, 8, 4)) < 0)
                return r;
        if (!(bounds = dcom_malloc(dims * sizeof *bounds)))
                return -ENOMEM;
        for (USHORT i = 0; i < dims; i++) {
                uint32_t lb;
                if ((r = ndr_pull_uint32(ndr, &bounds[i].cElements)) < 0 ||
                    (r = ndr_pull_uint32(ndr, &lb)) < 0)
                        goto out_free;
                bounds[i].lLbound = (LONG)lb;
                if (bounds[i].cElements && n > UINT32_MAX / bounds[i].cElements) {
                        r = -EBADMSG;           /* more elements than Size can say */
                        goto out_free;
                }
                n *= bounds[i].cElements;
        }
        /* Size is the element count; elements need their data, and the bytes to be there */
        if (size != n || (n && !data_id)) {
                r = -EBADMSG;
                goto out_free;
        }
        if (data_id && (r = ndr_pull_check_count(ndr, (uint32_t)n, sf_scalar_size(sf) ?
                                                 sf_scalar_size(sf) : 4, 4)) < 0)
                goto out_free;
        if (sf == SF_RECORD) {
                r = pull_record_array(ndr, (VARTYPE)(locks >> 16), features, cb, dims, bounds,
                                      data_id != 0, n, ret);
                goto out_free;
        }
        if ((r = new_array((VARTYPE)(locks >> 16), sf, features, dims, bounds, &iid, &psa)) < 0)
                goto out_free;
        if (data_id && (r = pull_cells(ndr, psa, sf, n, &iid)) < 0) {
                SafeArrayDestroy(psa);  /* what was pulled so far is the array's */
                goto out_free;
        }
        *ret = psa;
        r = 0;
out_free:
        dcom_free(bounds);
        return r;
}

/* A wireSAFEARRAY: ID, then (deferred) the array; *ppsa owns it. */
static int pull_lpsafearray(struct ndr_pull *ndr, int flags, SAFEARRAY **ppsa) {
        uint32_t id;
        int r;

        if (flags & NDR_SCALARS) {
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return r;
                *ppsa = id ? NDR_PTR_PENDING : NULL;
        }
        if ((flags & NDR_BUFFERS) && *ppsa == NDR_PTR_PENDING) {
                *ppsa = NULL;
                if ((r = ndr_pull_enter(ndr)) < 0)
                        return r;
                r = pull_sa_body(ndr, ppsa);
                ndr_pull_leave(ndr);
                return r;
        }
        return 0;
}

static int push_arm(struct ndr_push *ndr, const VARIANT *v) {
        VARTYPE vt = V_VT(v), base = vt & VT_TYPEMASK;

        if (vt & (VT_VECTOR | VT_RESERVED))
                return ndr_push_fail(ndr, -EOPNOTSUPP);
        /* [MS-OAUT] 2.2.29.2: a record travels as a wireBRECORD by value and by reference */
        if (base == VT_RECORD && !(vt & VT_ARRAY))
                return push_wire_brecord(ndr, V_RECORDINFO(v), V_RECORD(v));
        if ((vt & VT_ARRAY) && !(vt & VT_BYREF)) {
                /* [MS-OAUT] 2.2.29.1: a wirePSAFEARRAY, a pointer to a wireSAFEARRAY */
                ndr_push_unique_ptr(ndr, &V_ARRAY(v));
                return push_lpsafearray(ndr, NDR_SCALARS | NDR_BUFFERS, &V_ARRAY(v));
        }
        if (vt & VT_BYREF) {
                const void *p = V_BYREF(v);
                if (!p)
                        return ndr_push_fail(ndr, -EINVAL);
                ndr_push_unique_ptr(ndr, p);
                if (vt & VT_ARRAY) {
                        ndr_push_unique_ptr(ndr, p);
                        return push_lpsafearray(ndr, NDR_SCALARS | NDR_BUFFERS, p);
                }
                switch (base) {
                case VT_BSTR:
                        return push_bstr(ndr, NDR_SCALARS | NDR_BUFFERS, p);
                case VT_VARIANT:
                        return push_variant(ndr, NDR_SCALARS | NDR_BUFFERS, p);
                case VT_UNKNOWN:
                case VT_DISPATCH:
                        return push_iface(ndr, base, *(IUnknown *const *)p);
                default:
                        return push_value(ndr, base, p);
                }
        }
        switch (base) {
        case VT_EMPTY:
        case VT_NULL:
                return ndr_push_error(ndr);
        case VT_BSTR:
                return push_bstr(ndr, NDR_SCALARS | NDR_BUFFERS, &V_BSTR(v));
        case VT_UNKNOWN:
        case VT_DISPATCH:
                return push_iface(ndr, base, V_UNKNOWN(v));
        case VT_DECIMAL:
                return push_value(ndr, base, &V_DECIMAL(v));
        default:
                return push_value(ndr, base, &V_I8(v));
        }
}

/* wireVARIANTStr, with clSize filled in once its size is known. */
static int push_body(struct ndr_push *ndr, const VARIANT *v) {
        size_t start;
        int r;

        if ((r = ndr_push_enter(ndr)) < 0)
                return ndr_push_fail(ndr, r);
        ndr_push_align(ndr, 8);
        start = ndr_push_offset(ndr);
        /* where clSize lies in buf (before it, the stub may hold referenced arrays) */
        size_t at = ndr->buf.len;
        ndr_push_uint32(ndr, 0);                /* clSize, below */
        ndr_push_uint32(ndr, 0);                /* rpcReserved */
        ndr_push_uint16(ndr, V_VT(v));
        ndr_push_uint16(ndr, 0);
        ndr_push_uint16(ndr, 0);
        ndr_push_uint16(ndr, 0);
        /* the union's discriminant: vt, an array's without its element type */
        ndr_push_uint32(ndr, V_VT(v) & VT_ARRAY ? V_VT(v) & ~VT_TYPEMASK : V_VT(v));
        push_arm(ndr, v);
        ndr_push_leave(ndr);
        if (ndr_push_error(ndr))
                return ndr_push_error(ndr);
        uint32_t cl = (uint32_t)((ndr_push_offset(ndr) - start + 7) / 8);
        uint8_t *q = ndr->buf.data + at;
        q[0] = (uint8_t)cl;
        q[1] = (uint8_t)(cl >> 8);
        q[2] = (uint8_t)(cl >> 16);
        q[3] = (uint8_t)(cl >> 24);
        return 0;
}

static int push_variant(struct ndr_push *ndr, int flags, const VARIANT *v) {
        if (flags & NDR_SCALARS)
                ndr_push_unique_ptr(ndr, v);    /* a VARIANT is never a NULL wireVARIANT */
        if (flags & NDR_BUFFERS)
                push_body(ndr, v);
        return ndr_push_error(ndr);
}

/* A VT_BYREF referent of ours: zeroed memory the VARIANT points at from the start. */
static int pull_byref(struct ndr_pull *ndr, VARIANT *v, VARTYPE vt) {
        VARTYPE base = vt & VT_TYPEMASK;
        size_t size = vt & VT_ARRAY ? sizeof(SAFEARRAY *) :
                      base == VT_VARIANT ? sizeof(VARIANT) :
                      base == VT_BSTR || base == VT_UNKNOWN || base == VT_DISPATCH ? sizeof(void *) :
                      base == VT_DECIMAL ? sizeof(DECIMAL) : value_size(base);
        uint32_t id;
        int r;

        if (!size || base == VT_EMPTY || base == VT_NULL)
                return -EOPNOTSUPP;
        if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                return r;
        if (!id)
                return -EBADMSG;        /* [MS-OAUT] 2.2.29.2: a reference is never NULL */
        void *p = dcom_calloc(1, size);
        if (!p)
                return -ENOMEM;
        V_BYREF(v) = p;
        V_VT(v) = vt;                   /* from here oleaut_variant_user_free frees p */
        if (vt & VT_ARRAY) {
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return r;
                if (!id)
                        return -EBADMSG;
                return pull_lpsafearray(ndr, NDR_SCALARS | NDR_BUFFERS, p);
        }
        switch (base) {
        case VT_BSTR:
                return pull_bstr(ndr, NDR_SCALARS | NDR_BUFFERS, p);
        case VT_VARIANT:
                V_VT((VARIANT *)p) = VT_EMPTY;
                return pull_variant(ndr, NDR_SCALARS | NDR_BUFFERS, p);
        case VT_UNKNOWN:
        case VT_DISPATCH:
                return pull_iface(ndr, base, p);
        default:
                return pull_value(ndr, base, p);
        }
}

static int pull_body(struct ndr_pull *ndr, VARIANT *v) {
        uint32_t cl, reserved, disc;
        uint16_t vt, w[3];
        int r;

        V_VT(v) = VT_EMPTY;
        if ((r = ndr_pull_align(ndr, 8)) < 0 || (r = ndr_pull_uint32(ndr, &cl)) < 0 ||
            (r = ndr_pull_uint32(ndr, &reserved)) < 0 || (r = ndr_pull_uint16(ndr, &vt)) < 0 ||
            (r = ndr_pull_uint16(ndr, &w[0])) < 0 || (r = ndr_pull_uint16(ndr, &w[1])) < 0 ||
            (r = ndr_pull_uint16(ndr, &w[2])) < 0 || (r = ndr_pull_uint32(ndr, &disc)) < 0)
                return r;
        /* clSize is not checked: impacket sends its own idea of it */
        if (disc != (vt & VT_ARRAY ? vt & ~VT_TYPEMASK : vt))
                return -EBADMSG;
        VARTYPE base = vt & VT_TYPEMASK;
        if (vt & (VT_VECTOR | VT_RESERVED))
                return -EOPNOTSUPP;
        if ((vt & VT_ARRAY) && (base <= VT_NULL || base == 15 ||
                                (base > VT_UINT && base != VT_RECORD)))
                return -EBADMSG;        /* an array of no type */
        if (base == VT_RECORD && !(vt & VT_ARRAY)) {
                IRecordInfo *ri;
                void *rec;
                if ((r = pull_wire_brecord(ndr, &ri, &rec)) < 0)
                        return r;
                V_RECORD(v) = rec;
                V_RECORDINFO(v) = ri;
                V_VT(v) = vt;   /* a reference too owns both: oleaut_variant_user_free */
                return 0;
        }
        if (vt & VT_BYREF)
                return pull_byref(ndr, v, vt);
        if (vt & VT_ARRAY) {
                uint32_t id;
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return r;
                if (!id)
                        return -EBADMSG;
                V_ARRAY(v) = NULL;
                V_VT(v) = vt;           /* from here VariantClear destroys what is pulled */
                return pull_lpsafearray(ndr, NDR_SCALARS | NDR_BUFFERS, &V_ARRAY(v));
        }
        switch (base) {
        case VT_EMPTY:
        case VT_NULL:
                V_VT(v) = vt;
                return 0;
        case VT_BSTR:
                V_BSTR(v) = NULL;
                V_VT(v) = VT_BSTR;
                return pull_bstr(ndr, NDR_SCALARS | NDR_BUFFERS, &V_BSTR(v));
        case VT_UNKNOWN:
        case VT_DISPATCH:
                V_UNKNOWN(v) = NULL;
                V_VT(v) = vt;
                return pull_iface(ndr, base, &V_UNKNOWN(v));
        case VT_DECIMAL:
                if ((r = pull_value(ndr, base, &V_DECIMAL(v))) < 0)
                        return r;
                V_VT(v) = VT_DECIMAL;   /* over DECIMAL's wReserved */
                return 0;
        default:
                if (!value_size(base))
                        return -EOPNOTSUPP;
                if ((r = pull_value(ndr, base, &V_I8(v))) < 0)
                        return r;
                V_VT(v) = vt;
                return 0;
        }
}

static int pull_variant(struct ndr_pull *ndr, int flags, VARIANT *v) {
        uint32_t id;
        int r;

        if (flags & NDR_SCALARS) {
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return r;
                V_VT(v) = id ? VT_PENDING : VT_EMPTY;
        }
        if ((flags & NDR_BUFFERS) && V_VT(v) == VT_PENDING) {
                V_VT(v) = VT_EMPTY;
                if ((r = ndr_pull_enter(ndr)) < 0)
                        return r;
                r = pull_body(ndr, v);
                ndr_pull_leave(ndr);
                return r;
        }
        return 0;
}

void oleaut_variant_user_free(VARIANT *v) {
        VARTYPE vt = V_VT(v), base = vt & VT_TYPEMASK;

        if (vt == VT_PENDING) {
                V_VT(v) = VT_EMPTY;
                return;
        }
        if (!(vt & VT_BYREF)) {
                VariantClear(v);
                return;
        }
        if (vt == (VT_RECORD | VT_BYREF)) {     /* what pull_body made: as VariantClear */
                V_VT(v) = VT_RECORD;
                VariantClear(v);
                return;
        }
        void *p = V_BYREF(v);
        if (p) {
                if (vt & VT_ARRAY)
                        SafeArrayDestroy(*(SAFEARRAY **)p);
                else if (base == VT_BSTR)
                        bstr_free(p);
                else if ((base == VT_UNKNOWN || base == VT_DISPATCH) && *(IUnknown **)p)
                        (*(IUnknown **)p)->lpVtbl->Release(*(IUnknown **)p);
                else if (base == VT_VARIANT)
                        oleaut_variant_user_free(p);
                dcom_free(p);
        }
        V_VT(v) = VT_EMPTY;
}

static int variant_push(struct ndr_push *ndr, int flags, const void *obj) {
        return push_variant(ndr, flags, obj);
}

static int variant_pull(struct ndr_pull *ndr, int flags, void *obj) {
        return pull_variant(ndr, flags, obj);
}

static void variant_free(void *obj) {
        oleaut_variant_user_free(obj);
}

static const struct ndr_user_marshal bstr_um = {
        .name = "BSTR", .mem_size = sizeof(BSTR),
        .push = bstr_push, .pull = bstr_pull, .free = bstr_free,
};

static const struct ndr_user_marshal variant_um = {
        .name = "VARIANT", .mem_size = sizeof(VARIANT),
        .push = variant_push, .pull = variant_pull, .free = variant_free,
};

static int lpsafearray_push(struct ndr_push *ndr, int flags, const void *obj) {
        return push_lpsafearray(ndr, flags, obj);
}

static int lpsafearray_pull(struct ndr_pull *ndr, int flags, void *obj) {
        return pull_lpsafearray(ndr, flags, obj);
}

static void lpsafearray_free(void *obj) {
        SAFEARRAY **ppsa = obj;

        if (*ppsa != NDR_PTR_PENDING)
                SafeArrayDestroy(*ppsa);
        *ppsa = NULL;
}

static const struct ndr_user_marshal lpsafearray_um = {
        .name = "LPSAFEARRAY", .mem_size = sizeof(SAFEARRAY *),
        .push = lpsafearray_push, .pull = lpsafearray_pull, .free = lpsafearray_free,
};

/*
 * [MS-OAUT] 2.2.28: CLEANLOCALSTORAGE travels as a DWORD the sender sets to 0 and the
 * receiver ignores.  The object's side releases what it described through the call's
 * arena (typeinfo-ps.c), so the local value means nothing on either side.
 */
static int cls_push(struct ndr_push *ndr, int flags, const void *obj) {
        (void)obj;
        if (flags & NDR_SCALARS) {
                ndr_push_align(ndr, 4);
                ndr_push_uint32(ndr, 0);
        }
        return ndr_push_error(ndr);
}

static int cls_pull(struct ndr_pull *ndr, int flags, void *obj) {
        uint32_t v;

        memset(obj, 0, sizeof(CLEANLOCALSTORAGE));
        if (flags & NDR_SCALARS) {
                int rc = ndr_pull_align(ndr, 4);
                if (rc < 0 || (rc = ndr_pull_uint32(ndr, &v)) < 0)
                        return rc;
        }
        return 0;
}

static const struct ndr_user_marshal cls_um = {
        .name = "CLEANLOCALSTORAGE", .mem_size = sizeof(CLEANLOCALSTORAGE),
        .push = cls_push, .pull = cls_pull,
};

static void register_once(void) {
        ndr_user_marshal_register(&bstr_um);
        ndr_user_marshal_register(&variant_um);
        ndr_user_marshal_register(&lpsafearray_um);
        ndr_user_marshal_register(&cls_um);
}

void oleaut_user_marshal_register(void) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, register_once);
}

