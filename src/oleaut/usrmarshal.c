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
 * VT_ARRAY (wireSAFEARRAY) and VT_RECORD are refused (-EOPNOTSUPP) until SAFEARRAY and
 * IRecordInfo are in.
 *
 * An unmarshaled VARIANT's by-reference referent is memory of ours: oleaut_variant_user_free()
 * frees it (the registered free routine), where VariantClear would leave it.
 */
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

/* --- VARIANT --------------------------------------------------------------------------------- */

static int push_variant(struct ndr_push *ndr, int flags, const VARIANT *v);
static int pull_variant(struct ndr_pull *ndr, int flags, VARIANT *v);

static int push_arm(struct ndr_push *ndr, const VARIANT *v) {
        VARTYPE vt = V_VT(v), base = vt & VT_TYPEMASK;

        if (vt & (VT_ARRAY | VT_VECTOR | VT_RESERVED))
                return ndr_push_fail(ndr, -EOPNOTSUPP);
        if (vt & VT_BYREF) {
                const void *p = V_BYREF(v);
                if (!p)
                        return ndr_push_fail(ndr, -EINVAL);
                ndr_push_unique_ptr(ndr, p);
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
        ndr_push_uint32(ndr, 0);                /* clSize, below */
        ndr_push_uint32(ndr, 0);                /* rpcReserved */
        ndr_push_uint16(ndr, V_VT(v));
        ndr_push_uint16(ndr, 0);
        ndr_push_uint16(ndr, 0);
        ndr_push_uint16(ndr, 0);
        ndr_push_uint32(ndr, V_VT(v));          /* the union's discriminant */
        push_arm(ndr, v);
        ndr_push_leave(ndr);
        if (ndr_push_error(ndr))
                return ndr_push_error(ndr);
        uint32_t cl = (uint32_t)((ndr_push_offset(ndr) - start + 7) / 8);
        uint8_t *at = ndr->buf.data + ndr->base + start;
        at[0] = (uint8_t)cl;
        at[1] = (uint8_t)(cl >> 8);
        at[2] = (uint8_t)(cl >> 16);
        at[3] = (uint8_t)(cl >> 24);
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
        size_t size = base == VT_VARIANT ? sizeof(VARIANT) :
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
        if (disc != vt)
                return -EBADMSG;
        VARTYPE base = vt & VT_TYPEMASK;
        if (vt & (VT_ARRAY | VT_VECTOR | VT_RESERVED) || base == VT_RECORD)
                return -EOPNOTSUPP;
        if (vt & VT_BYREF)
                return pull_byref(ndr, v, vt);
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
        void *p = V_BYREF(v);
        if (p) {
                if (base == VT_BSTR)
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

static void register_once(void) {
        ndr_user_marshal_register(&bstr_um);
        ndr_user_marshal_register(&variant_um);
}

void oleaut_user_marshal_register(void) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, register_once);
}
