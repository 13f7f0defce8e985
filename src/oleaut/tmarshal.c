/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The type-library ("universal") marshaler: proxies and stubs for interfaces a type
 * library describes, built at run time from their ITypeInfo, as Windows' oleaut32 does
 * for interfaces RegisterTypeLib registered with ProxyStubClsid32 =
 * {00020424-0000-0000-C000-000000000046} (PSOAInterface: [oleautomation] and [dual]
 * ones) -- no proxy/stub library needed.  Dispinterfaces ({00020420-...}, PSDispatch)
 * travel as IDispatch.
 *
 * The COM library meets such an IID in psfactory.c and calls oleaut_tm_load(): the
 * interface's HKCR\Interface\{iid}\TypeLib key (the library and its version, regtlb.c)
 * leads to LoadRegTypeLib and GetTypeInfoOfGuid; the interface's FUNCDESCs, its bases'
 * included, become a table of methods and parameters, and from it
 *   - a proxy vtable: IUnknown's slots go to the proxy manager (as a generated proxy's
 *     do), IDispatch's four to the IDispatch proxy of oaidl.idl, every other slot to a
 *     thunk (tmthunk-x86_64.S) that captures the argument registers and the caller's
 *     stack and calls oa_tm_proxy_call() with its slot number; that reads the arguments
 *     as the C calling convention placed them (callframe.c) and marshals them;
 *   - a stub table (struct ndr_interface) whose methods all go to one dispatcher: it
 *     pulls the [in] arguments, calls the object's vtable slot through callframe.c (as
 *     ITypeInfo::Invoke does) and pushes the [out] ones and the return value;
 * both registered with the COM layer as a generated interface's are (com_ps_register).
 *
 * The wire is what MIDL (and dcomidl) generate for the same method signature
 * ([MS-DCOM] 2.2.13: ORPCTHIS, the [in] arguments in order; ORPCTHAT, the [out] ones in
 * order, then the return value), each argument in the NDR of its type ([C706] 14,
 * [MS-RPCE] 2.2.5):
 *   VT_I1, VT_UI1                     small (1 byte)
 *   VT_I2, VT_UI2, VT_BOOL            short
 *   VT_I4, VT_UI4, VT_INT, VT_UINT,
 *   VT_ERROR, VT_HRESULT              long
 *   VT_I8, VT_UI8                     hyper
 *   VT_R4, VT_R8, VT_DATE             float, double
 *   VT_CY                             struct { hyper } ([MS-OAUT] 2.2.24)
 *   VT_DECIMAL                        struct { ushort, small, small, long, hyper } (2.2.26)
 *   VT_BSTR                           wireBSTR: FLAGGED_WORD_BLOB ([MS-OAUT] 2.2.23)
 *   VT_VARIANT                        wireVARIANT ([MS-OAUT] 2.2.29)
 *   SAFEARRAY(T)                      wireSAFEARRAY ([MS-OAUT] 2.2.30)
 *   IUnknown *, IDispatch *, IFoo *   [unique] MInterfacePointer ([MS-DCOM] 2.2.14), the
 *                                     OBJREF made for the parameter's IID
 *   TKIND_ENUM                        long: type libraries' enums are 32-bit, and Windows'
 *                                     typelib marshaler sends them so (FC_ENUM32) -- a
 *                                     MIDL proxy does the same only for [v1_enum] enums
 *   TKIND_ALIAS                       its type
 * and a pointer to any of these (VT_PTR) for [out] and [in, out] parameters: a top-level
 * [ref] pointer, which has no wire form.  Refused (the interface then has no proxy/stub:
 * the caller gets E_NOINTERFACE, the reason on DCOM_DEBUG=typelib): records and unions
 * (a record parameter is the NDR of its struct, which is not written here yet: VARIANTs
 * and SAFEARRAYs carry records), VT_LPSTR/VT_LPWSTR, C arrays, pointers to pointers other
 * than interface ones, return types other than HRESULT, void and integers, more than
 * TM_MAX_PARAMS parameters or TM_MAX_METHODS methods, and any machine but x86-64 (the
 * thunks are x86-64 System V assembly; AArch64's calling convention is in callframe.c,
 * its thunks are not written yet).
 *
 * Memory follows COM's rules: a proxy's [out] values are the caller's (SysAllocString,
 * CoTaskMem, AddRef'd proxies); an [in, out] value the caller passed is freed once the
 * new one is in (restored if the response was malformed).  A stub's [in] values die
 * with the call (the call's arena), [out] values are freed once pushed, interface
 * pointers released once marshaled (the runtime's release_ifaces).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "com/orpc-stub.h"
#include "dcom/guid.h"
#include "dcom/winreg.h"
#include "oaidl_stub.h"
#include "oleaut/typelib-internal.h"

static LOG_CHANNEL(typelib);

int com_ps_register(const void *proxy_vtbl, const struct ndr_interface *iface);

#define TM_MAX_METHODS 1024 /* the thunks there are */
#define TM_MAX_PARAMS  64
#define TM_THUNK_SIZE  16
#define TM_MAGIC       0x544d4946u /* "TMIF" */

#define NDR_CHECK(x)                                                                               \
        do {                                                                                       \
                int r_ = (x);                                                                      \
                if (r_ < 0)                                                                        \
                        return r_;                                                                 \
        } while (0)

/* What a parameter is on the wire. */
enum tm_kind {
        TM_I1 = 1, /* small: VT_I1, VT_UI1 */
        TM_I2,     /* short: VT_I2, VT_UI2, VT_BOOL */
        TM_I4,     /* long */
        TM_I8,     /* hyper */
        TM_ENUM,   /* v1_enum */
        TM_R4,
        TM_R8,
        TM_CY,
        TM_DECIMAL,
        TM_BSTR,
        TM_VARIANT,
        TM_SAFEARRAY,
        TM_IFACE,
};

/* A method's return value. */
enum tm_ret {
        TM_RET_HRESULT = 1,
        TM_RET_VOID,
        TM_RET_INT, /* an integer of ret_kind (TM_I1..TM_I8, TM_ENUM) */
};

struct tm_param {
        uint8_t kind; /* enum tm_kind */
        bool byref;   /* a pointer to the value (IFoo ** for interfaces) */
        bool in, out;
        bool is_signed; /* integers widened for the callee */
        IID iid;        /* TM_IFACE; TM_SAFEARRAY of interfaces: the element's */
        /* TM_SAFEARRAY: what an array of the declared element type has (FADF_BSTR,
           FADF_VARIANT, FADF_UNKNOWN, FADF_DISPATCH; its element size) */
        USHORT sa_features;
        ULONG sa_elem_size;
};

struct tm_method {
        bool ours;   /* marshaled here (IUnknown's and IDispatch's are not) */
        uint8_t ret; /* enum tm_ret */
        uint8_t ret_kind;
        uint16_t n;
        struct tm_param *ps;
        char *name;
};

struct tm_iface {
        uint32_t magic;
        IID iid;
        unsigned n_methods;
        struct tm_method *m;
        struct ndr_interface ndr; /* the stub table; proxies bind to it */
        struct ndr_op *ops;
        void **vtbl_block; /* [0]: this, then the proxy vtable's slots */
};

/* A parameter's value, wherever it lives (the largest is a VARIANT). */
union tm_val {
        uint8_t u1;
        uint16_t u2;
        uint32_t u4;
        uint64_t u8;
        float r4;
        double r8;
        DECIMAL dec;
        VARIANT var;
        BSTR bstr;
        SAFEARRAY *sa;
        IUnknown *unk;
        void *ptr;
};

/* --- the ORPC headers ([MS-DCOM] 2.2.13) --------------------------------------------------- */

/* ORPCTHIS of a new call: no extensions (what generated proxies send). */
static void push_orpcthis(struct ndr_push *ndr, const ORPCTHIS *t) {
        ndr_push_align(ndr, 4);
        ndr_push_uint16(ndr, t->version.MajorVersion);
        ndr_push_uint16(ndr, t->version.MinorVersion);
        ndr_push_uint32(ndr, t->flags);
        ndr_push_uint32(ndr, t->reserved1);
        ndr_push_guid(ndr, &t->cid);
        ndr_push_unique_ptr(ndr, NULL);
}

/*
 * [MS-DCOM] 2.2.13.1, 2.2.13.2: an ORPC_EXTENT_ARRAY behind a non-NULL pointer, read and
 * dropped (the COM layer reads the error extension from the raw response: errorext.c).
 */
static int skip_extents(struct ndr_pull *ndr) {
        uint32_t size, reserved, id, conf, n, ext_size;
        GUID g;

        NDR_CHECK(ndr_pull_enter(ndr));
        NDR_CHECK(ndr_pull_align(ndr, 4));
        NDR_CHECK(ndr_pull_uint32(ndr, &size));
        NDR_CHECK(ndr_pull_uint32(ndr, &reserved));
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (id) {
                NDR_CHECK(ndr_pull_conformance(ndr, &conf));
                if (size > UINT32_MAX - 1)
                        return -EBADMSG;
                NDR_CHECK(ndr_check_size_is(conf, (size + 1) & ~1u));
                NDR_CHECK(ndr_pull_check_count(ndr, conf, 4, 4));
                n = 0;
                for (uint32_t i = 0; i < conf; i++) {
                        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
                        n += id != 0;
                }
                for (uint32_t i = 0; i < n; i++) {
                        NDR_CHECK(ndr_pull_conformance(ndr, &conf));
                        NDR_CHECK(ndr_pull_align(ndr, 4));
                        NDR_CHECK(ndr_pull_guid(ndr, &g));
                        NDR_CHECK(ndr_pull_uint32(ndr, &ext_size));
                        if (ext_size > UINT32_MAX - 7)
                                return -EBADMSG;
                        NDR_CHECK(ndr_check_size_is(conf, (ext_size + 7) & ~7u));
                        NDR_CHECK(ndr_pull_skip(ndr, conf));
                }
        }
        ndr_pull_leave(ndr);
        return 0;
}

static int pull_orpcthis(struct ndr_pull *ndr, ORPCTHIS *t) {
        uint32_t id;

        memset(t, 0, sizeof *t);
        NDR_CHECK(ndr_pull_align(ndr, 4));
        NDR_CHECK(ndr_pull_uint16(ndr, &t->version.MajorVersion));
        NDR_CHECK(ndr_pull_uint16(ndr, &t->version.MinorVersion));
        NDR_CHECK(ndr_pull_uint32(ndr, &t->flags));
        NDR_CHECK(ndr_pull_uint32(ndr, &t->reserved1));
        NDR_CHECK(ndr_pull_guid(ndr, &t->cid));
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (id)
                NDR_CHECK(skip_extents(ndr));
        return 0;
}

static int pull_orpcthat(struct ndr_pull *ndr) {
        uint32_t flags, id;

        NDR_CHECK(ndr_pull_align(ndr, 4));
        NDR_CHECK(ndr_pull_uint32(ndr, &flags));
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (id)
                NDR_CHECK(skip_extents(ndr));
        return 0;
}

/* ORPCTHAT of a response: no flags, no extensions (errorext.c adds the error one). */
static void push_orpcthat(struct ndr_push *ndr) {
        ndr_push_align(ndr, 4);
        ndr_push_uint32(ndr, 0);
        ndr_push_unique_ptr(ndr, NULL);
}

/* An array's kind of cells, as fFeatures says. */
#define SA_KIND_MASK (FADF_BSTR | FADF_UNKNOWN | FADF_DISPATCH | FADF_VARIANT | FADF_RECORD)

/* --- values on the wire ------------------------------------------------------------------ */

static const struct ndr_user_marshal *um_bstr, *um_variant, *um_sa;

static void um_init(void) {
        oleaut_user_marshal_register();
        um_bstr = ndr_user_marshal_find("BSTR");
        um_variant = ndr_user_marshal_find("VARIANT");
        um_sa = ndr_user_marshal_find("LPSAFEARRAY");
}

/* BSTR's, VARIANT's and LPSAFEARRAY's wire routines (usrmarshal.c), found once. */
static const struct ndr_user_marshal *um_of(uint8_t kind) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, um_init);
        return kind == TM_BSTR ? um_bstr : kind == TM_VARIANT ? um_variant : um_sa;
}

static void push_value(struct ndr_push *ndr, const struct tm_param *p, const union tm_val *v) {
        switch (p->kind) {
        case TM_I1:
                ndr_push_uint8(ndr, v->u1);
                break;
        case TM_I2:
                ndr_push_uint16(ndr, v->u2);
                break;
        case TM_I4:
                ndr_push_uint32(ndr, v->u4);
                break;
        case TM_ENUM:
                ndr_push_v1_enum(ndr, v->u4);
                break;
        case TM_I8:
                ndr_push_hyper(ndr, v->u8);
                break;
        case TM_R4:
                ndr_push_float(ndr, v->r4);
                break;
        case TM_R8:
                ndr_push_double(ndr, v->r8);
                break;
        case TM_CY:
                ndr_push_align(ndr, 8);
                ndr_push_hyper(ndr, v->u8);
                break;
        case TM_DECIMAL:
                ndr_push_align(ndr, 8);
                ndr_push_uint16(ndr, v->dec.wReserved);
                ndr_push_uint8(ndr, v->dec.scale);
                ndr_push_uint8(ndr, v->dec.sign);
                ndr_push_uint32(ndr, v->dec.Hi32);
                ndr_push_hyper(ndr, v->dec.Lo64);
                break;
        case TM_BSTR:
        case TM_VARIANT:
        case TM_SAFEARRAY:
                ndr_push_user_marshal(ndr, um_of(p->kind), NDR_SCALARS | NDR_BUFFERS, v);
                break;
        case TM_IFACE:
                ndr_push_unique_ptr(ndr, v->unk);
                if (v->unk)
                        ndr_push_iface(ndr, &p->iid, v->unk);
                break;
        default:
                ndr_push_fail(ndr, -EINVAL);
                break;
        }
}

/* keep: an interface pointer stays with the caller (a client's, a stub's [in, out]). */
/* Every cell of an interface array as iid (or -EBADMSG: one is not). */
static int cells_as(SAFEARRAY *sa, const IID *iid) {
        IUnknown **cell;
        uint64_t n = 1;
        int r = 0;

        for (USHORT d = 0; d < sa->cDims; d++)
                n *= sa->rgsabound[d].cElements;
        if (!n)
                return 0;
        if (FAILED(SafeArrayAccessData(sa, (void **)&cell)))
                return -EBADMSG;
        for (uint64_t i = 0; i < n && !r; i++) {
                IUnknown *as = NULL;
                if (!cell[i])
                        continue;
                if (FAILED(cell[i]->lpVtbl->QueryInterface(cell[i], iid, (void **)&as)) || !as) {
                        r = -EBADMSG;
                        break;
                }
                cell[i]->lpVtbl->Release(cell[i]);
                cell[i] = as;
        }
        SafeArrayUnaccessData(sa);
        return r;
}

static int pull_value(struct ndr_pull *ndr, const struct tm_param *p, union tm_val *v, bool keep) {
        uint32_t id;

        switch (p->kind) {
        case TM_I1:
                return ndr_pull_uint8(ndr, &v->u1);
        case TM_I2:
                return ndr_pull_uint16(ndr, &v->u2);
        case TM_I4:
                return ndr_pull_uint32(ndr, &v->u4);
        case TM_ENUM:
                return ndr_pull_v1_enum(ndr, &v->u4);
        case TM_I8:
                return ndr_pull_hyper(ndr, &v->u8);
        case TM_R4:
                return ndr_pull_float(ndr, &v->r4);
        case TM_R8:
                return ndr_pull_double(ndr, &v->r8);
        case TM_CY:
                NDR_CHECK(ndr_pull_align(ndr, 8));
                return ndr_pull_hyper(ndr, &v->u8);
        case TM_DECIMAL: {
                uint64_t lo;
                NDR_CHECK(ndr_pull_align(ndr, 8));
                NDR_CHECK(ndr_pull_uint16(ndr, &v->dec.wReserved));
                NDR_CHECK(ndr_pull_uint8(ndr, &v->dec.scale));
                NDR_CHECK(ndr_pull_uint8(ndr, &v->dec.sign));
                NDR_CHECK(ndr_pull_uint32(ndr, &v->dec.Hi32));
                NDR_CHECK(ndr_pull_hyper(ndr, &lo));
                v->dec.Lo64 = lo;
                return 0;
        }
        case TM_BSTR:
        case TM_VARIANT:
                return ndr_pull_user_marshal(ndr, um_of(p->kind), NDR_SCALARS | NDR_BUFFERS, v);
        case TM_SAFEARRAY:
                NDR_CHECK(ndr_pull_user_marshal(ndr, um_of(p->kind), NDR_SCALARS | NDR_BUFFERS, v));
                /* the wire says what the array holds: it must be what the method takes
                   (its code indexes the cells as the declared type) */
                if (v->sa && ((v->sa->fFeatures & SA_KIND_MASK) != p->sa_features ||
                              v->sa->cbElements != p->sa_elem_size))
                        return -EBADMSG;
                /* an array of interfaces: the cells were unmarshaled with the IID the wire
                   named, which need not be the declared one -- each cell becomes the
                   declared interface (QueryInterface) or the array is refused, never a
                   narrower proxy the method would call past its vtable */
                if (v->sa && (p->sa_features == FADF_UNKNOWN || p->sa_features == FADF_DISPATCH) &&
                    !IsEqualGUID(&p->iid, &IID_IUnknown))
                        return cells_as(v->sa, &p->iid);
                return 0;
        case TM_IFACE:
                v->unk = NULL;
                NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
                if (!id)
                        return 0;
                return keep ? ndr_pull_iface_kept(ndr, &p->iid, (void **)&v->unk)
                            : ndr_pull_iface(ndr, &p->iid, (void **)&v->unk);
        default:
                return -EINVAL;
        }
}

/* Whether a value owns memory or a reference. */
static bool owns(uint8_t kind) {
        return kind == TM_BSTR || kind == TM_VARIANT || kind == TM_SAFEARRAY || kind == TM_IFACE;
}

/* Frees what a value of ours owns (COM's rules), leaving it empty. */
static void value_free(uint8_t kind, union tm_val *v) {
        switch (kind) {
        case TM_BSTR:
                SysFreeString(v->bstr);
                v->bstr = NULL;
                break;
        case TM_VARIANT:
                VariantClear(&v->var);
                break;
        case TM_SAFEARRAY:
                SafeArrayDestroy(v->sa);
                v->sa = NULL;
                break;
        case TM_IFACE:
                if (v->unk)
                        v->unk->lpVtbl->Release(v->unk);
                v->unk = NULL;
                break;
        default:
                break;
        }
}

static size_t value_size(uint8_t kind) {
        switch (kind) {
        case TM_I1:
                return 1;
        case TM_I2:
                return 2;
        case TM_I4:
        case TM_ENUM:
        case TM_R4:
                return 4;
        case TM_DECIMAL:
                return sizeof(DECIMAL);
        case TM_VARIANT:
                return sizeof(VARIANT);
        default:
                return 8;
        }
}

/* --- the proxy ------------------------------------------------------------------------------ */

/* One argument from the captured frame: a pointer, or the value itself. */
static void frame_arg(struct oa_frame *f, const struct tm_param *p, union tm_val *v) {
        memset(v, 0, sizeof *v);
        if (p->byref) {
                v->ptr = (void *)(uintptr_t)oa_frame_int(f);
                return;
        }
        switch (p->kind) {
        case TM_R4: {
                uint64_t bits = oa_frame_fp(f);
                memcpy(&v->r4, &bits, sizeof v->r4);
                break;
        }
        case TM_R8:
                v->u8 = oa_frame_fp(f);
                break;
        case TM_DECIMAL:
                oa_frame_pair(f, &v->dec);
                break;
        case TM_VARIANT:
                memcpy(&v->var, oa_frame_variant(f), sizeof(VARIANT));
                break;
        default:
                v->u8 = oa_frame_int(f); /* little-endian: the low bytes are the value */
                break;
        }
}

static HRESULT proxy_call(struct com_proxy *px, const struct tm_iface *tm, unsigned slot,
                          struct oa_frame *f, uint64_t *ret_int) {
        const struct tm_method *m = &tm->m[slot];
        union tm_val args[TM_MAX_PARAMS], old[TM_MAX_PARAMS];
        union tm_val *where[TM_MAX_PARAMS];
        struct ndr_push in;
        struct ndr_pull out;
        struct arena arena;
        ORPCTHIS this_;
        HRESULT hr = E_UNEXPECTED;
        int r;

        for (unsigned k = 0; k < m->n; k++) {
                frame_arg(f, &m->ps[k], &args[k]);
                where[k] = m->ps[k].byref ? args[k].ptr : &args[k];
                if (!where[k])
                        return com_stub_hresult(-EINVAL); /* a NULL [ref] pointer */
        }
        /* [out]-only values start empty (a failed call leaves them so) */
        for (unsigned k = 0; k < m->n; k++)
                if (m->ps[k].out && !m->ps[k].in)
                        memset(where[k], 0, value_size(m->ps[k].kind));
        if ((r = com_orpc_this_init(&this_)) < 0)
                return com_stub_hresult(r);
        ndr_push_init(&in, 0);
        arena_init(&arena, NDR_CLIENT_CALL_MAX);
        push_orpcthis(&in, &this_);
        for (unsigned k = 0; k < m->n; k++)
                if (m->ps[k].in)
                        push_value(&in, &m->ps[k], where[k]);
        r = ndr_push_error(&in);
        if (r >= 0)
                r = ndr_client_call(px->channel, px->iface ? px->iface : &tm->ndr, (uint16_t)slot,
                                    &in, &out, &arena);
        if (r >= 0) {
                uint32_t v = 0;
                /* an [in, out] value the caller gave: replaced, freed if the reply is good */
                for (unsigned k = 0; k < m->n; k++)
                        if (m->ps[k].in && m->ps[k].out && owns(m->ps[k].kind))
                                memcpy(&old[k], where[k], value_size(m->ps[k].kind));
                unsigned pulled = 0; /* the [out] values before the one that failed */
                r = pull_orpcthat(&out);
                ndr_pull_user_memory(&out);
                for (unsigned k = 0; k < m->n && r >= 0; k++, pulled = k)
                        if (m->ps[k].out)
                                r = pull_value(&out, &m->ps[k], where[k], true);
                if (r >= 0 && m->ret == TM_RET_HRESULT) {
                        r = ndr_pull_uint32(&out, &v);
                        hr = (HRESULT)v;
                } else if (r >= 0 && m->ret == TM_RET_INT) {
                        union tm_val rv = {0};
                        struct tm_param rp = {.kind = m->ret_kind};
                        r = pull_value(&out, &rp, &rv, true);
                        *ret_int = rv.u8;
                        hr = S_OK;
                } else if (r >= 0) {
                        hr = S_OK;
                }
                if (r < 0) {
                        ndr_pull_user_rollback(&out);
                        for (unsigned k = 0; k < m->n; k++) {
                                if (!m->ps[k].out)
                                        continue;
                                /* interfaces are no user memory: the ones unmarshaled
                                   before the failure are given back here */
                                if (k < pulled && m->ps[k].kind == TM_IFACE)
                                        value_free(TM_IFACE, where[k]);
                                if (m->ps[k].in && owns(m->ps[k].kind))
                                        memcpy(where[k], &old[k], value_size(m->ps[k].kind));
                                else if (!m->ps[k].in)
                                        memset(where[k], 0, value_size(m->ps[k].kind));
                        }
                } else {
                        ndr_pull_user_commit(&out);
                        for (unsigned k = 0; k < m->n; k++)
                                if (m->ps[k].in && m->ps[k].out && owns(m->ps[k].kind))
                                        value_free(m->ps[k].kind, &old[k]);
                }
        }
        arena_reset(&arena);
        ndr_push_free(&in);
        return r < 0 ? com_stub_hresult(r) : hr;
}

/* What every thunk calls (tmthunk-x86_64.S): regs is the integer argument registers, then
   the vector ones; stack the caller's stack arguments.  Returns what goes in rax. */
uint64_t oa_tm_proxy_call(const uint64_t *regs, uint32_t slot, const uint64_t *stack);

uint64_t oa_tm_proxy_call(const uint64_t *regs, uint32_t slot, const uint64_t *stack) {
        struct oa_frame f = {.stack = stack};
        uint64_t ret_int = 0;

        memcpy(f.ints, regs, OA_INT_REGS * sizeof(uint64_t));
        memcpy(f.fps, regs + OA_INT_REGS, OA_FP_REGS * sizeof(uint64_t));
        struct com_proxy *px = (struct com_proxy *)(uintptr_t)oa_frame_int(&f);
        const void *const *vtbl = px->lpVtbl;
        const struct tm_iface *tm = vtbl[-1];

        if (tm->magic != TM_MAGIC || slot >= tm->n_methods || !tm->m[slot].ours)
                return (uint32_t)E_UNEXPECTED;
        HRESULT hr = proxy_call(px, tm, slot, &f, &ret_int);
        switch (tm->m[slot].ret) {
        case TM_RET_HRESULT:
                return (uint64_t)(uint32_t)hr;
        case TM_RET_INT:
                return ret_int;
        default:
                return 0;
        }
}

/* --- the stub ------------------------------------------------------------------------------- */

static void free_thunk(void *p) {
        struct {
                uint8_t kind;
                union tm_val *v;
        } *d = p;
        value_free(d->kind, d->v);
}

/* A value freed when the call's arena is reset: after the response is pushed. */
static int free_with_call(struct arena *a, uint8_t kind, union tm_val *v) {
        struct {
                uint8_t kind;
                union tm_val *v;
        } *d = arena_alloc(a, sizeof *d);

        if (!d)
                return -ENOMEM;
        d->kind = kind;
        d->v = v;
        return arena_defer(a, free_thunk, d);
}

static int push_arg(struct oa_call *c, const struct tm_param *p, union tm_val *v) {
        if (p->byref) {
                oa_call_push_int(c, (uint64_t)(uintptr_t)v);
                return 0;
        }
        switch (p->kind) {
        case TM_I1:
                oa_call_push_int(c, p->is_signed ? (uint64_t)(int64_t)(int8_t)v->u1 : v->u1);
                break;
        case TM_I2:
                oa_call_push_int(c, p->is_signed ? (uint64_t)(int64_t)(int16_t)v->u2 : v->u2);
                break;
        case TM_I4:
        case TM_ENUM:
                oa_call_push_int(c, p->is_signed ? (uint64_t)(int64_t)(int32_t)v->u4 : v->u4);
                break;
        case TM_I8:
        case TM_CY:
                oa_call_push_int(c, v->u8);
                break;
        case TM_R4: {
                uint64_t bits = 0;
                memcpy(&bits, &v->r4, sizeof v->r4);
                oa_call_push_fp(c, bits);
                break;
        }
        case TM_R8:
                oa_call_push_fp(c, v->u8);
                break;
        case TM_DECIMAL:
                oa_call_push_pair(c, &v->dec);
                break;
        case TM_VARIANT: {
#if OA_VARIANT_BY_REFERENCE
                oa_call_push_int(c, (uint64_t)(uintptr_t)&v->var);
#else
                uint64_t w[sizeof(VARIANT) / 8];
                memcpy(w, &v->var, sizeof w);
                for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
                        oa_call_push_stack(c, w[i]);
#endif
                break;
        }
        default:
                oa_call_push_int(c, (uint64_t)(uintptr_t)v->ptr);
                break;
        }
        return 0;
}

static int stub_dispatch(struct ndr_server_call *call) {
        const struct tm_iface *tm;
        const struct tm_method *m;
        struct ndr_pull *ndr = call->in;
        struct ndr_push *out = call->out;
        struct oa_call c = {0};
        union tm_val *vals;
        VARIANT *orig;
        ORPCTHIS this_;
        VARIANT ret;
        int r;

        if (!call->iface)
                return -EOPNOTSUPP;
        tm = (const struct tm_iface *)((const char *)call->iface - offsetof(struct tm_iface, ndr));
        if (tm->magic != TM_MAGIC || call->opnum >= tm->n_methods || !tm->m[call->opnum].ours)
                return -EOPNOTSUPP;
        m = &tm->m[call->opnum];
        NDR_CHECK(pull_orpcthis(ndr, &this_));
        NDR_CHECK(com_orpc_this_check(&this_));
        if (!(vals = ndr_pull_alloc(ndr, m->n ? m->n : 1, sizeof *vals)))
                return ndr->error;
        r = 0;
        for (unsigned k = 0; k < m->n && r >= 0; k++) {
                const struct tm_param *p = &m->ps[k];
                if (p->in)
                        r = pull_value(ndr, p, &vals[k], p->out);
                else if (owns(p->kind) && p->kind != TM_IFACE)
                        r = free_with_call(call->arena, p->kind, &vals[k]);
        }
        if (r < 0) {
                /* [in, out] interfaces pulled so far were kept for the call: given back */
                for (unsigned k = 0; k < m->n; k++)
                        if (m->ps[k].in && m->ps[k].out && m->ps[k].kind == TM_IFACE)
                                value_free(TM_IFACE, &vals[k]);
                return r;
        }
        /* a by-reference VARIANT's referent is the unmarshaler's memory: if the object
           makes the VARIANT something else, the referent is freed here (below) */
        if (!(orig = ndr_pull_alloc(ndr, m->n ? m->n : 1, sizeof *orig))) {
                for (unsigned k = 0; k < m->n; k++)
                        if (m->ps[k].in && m->ps[k].out && m->ps[k].kind == TM_IFACE)
                                value_free(TM_IFACE, &vals[k]);
                return ndr->error;
        }
        for (unsigned k = 0; k < m->n; k++)
                if (m->ps[k].in && m->ps[k].kind == TM_VARIANT)
                        orig[k] = vals[k].var;
        oa_call_push_int(&c, (uint64_t)(uintptr_t)call->impl);
        for (unsigned k = 0; k < m->n; k++)
                push_arg(&c, &m->ps[k], &vals[k]);
        if (c.overflow) {
                for (unsigned k = 0; k < m->n; k++)
                        if (m->ps[k].in && m->ps[k].out && m->ps[k].kind == TM_IFACE)
                                value_free(TM_IFACE, &vals[k]);
                return -E2BIG;
        }
        void *const *vtbl = *(void *const *const *)call->impl;
        call->orpc_this = &this_;
        ndr_server_call_enter(call);
        oa_call_run(vtbl[call->opnum], &c, VT_UI8, &ret);
        ndr_server_call_leave(call);
        call->orpc_this = NULL;
        push_orpcthat(out);
        /* every [out] value is pushed, even after an error: an interface is released so */
        for (unsigned k = 0; k < m->n; k++)
                if (m->ps[k].out)
                        push_value(out, &m->ps[k], &vals[k]);
        if (m->ret == TM_RET_HRESULT) {
                ndr_push_uint32(out, (uint32_t)V_UI8(&ret));
        } else if (m->ret == TM_RET_INT) {
                struct tm_param rp = {.kind = m->ret_kind};
                union tm_val rv = {.u8 = V_UI8(&ret)};
                push_value(out, &rp, &rv);
        }
        for (unsigned k = 0; k < m->n; k++)
                /* the referent the object no longer points at (one it still points at
                   is freed with the call's value: not twice) */
                if (m->ps[k].in && m->ps[k].kind == TM_VARIANT && (V_VT(&orig[k]) & VT_BYREF) &&
                    (!(V_VT(&vals[k].var) & VT_BYREF) ||
                     V_BYREF(&vals[k].var) != V_BYREF(&orig[k])))
                        oleaut_variant_user_free(&orig[k]);
        return ndr_push_error(out);
}

/* --- building it from the type description ---------------------------------------------------- */

struct build {
        const IID *iid;
        char id[40];
        unsigned ptr_size;
};

static HRESULT refuse(const struct build *b, const char *what, const char *name) {
        log_debug(typelib, "typelib marshaler: %s%s%s: not marshaled: %s", b->id,
                  name ? ", method " : "", name ? name : "", what);
        return E_NOTIMPL;
}

static HRESULT kind_of(const struct build *b, ITypeInfo *ti, const TYPEDESC *td, struct tm_param *p,
                       int depth);

/* struct tagCY { LONGLONG int64; }: CY as widl's type libraries describe it. */
static bool is_cy_record(ITypeInfo *ti, const TYPEATTR *ta) {
        BSTR name = NULL;
        VARDESC *vd;
        bool cy = false;

        if (ta->cbSizeInstance != 8 || ta->cVars != 1 ||
            ti->lpVtbl->GetDocumentation(ti, -1, &name, NULL, NULL, NULL) < 0 || !name)
                return false;
        static const OLECHAR cy_name[] = u"tagCY";
        cy = (SysStringLen(name) == 5 && memcmp(name, cy_name, 10) == 0) ||
             (SysStringLen(name) == 2 && memcmp(name, cy_name + 3, 4) == 0);
        SysFreeString(name);
        if (cy && ti->lpVtbl->GetVarDesc(ti, 0, &vd) >= 0) {
                cy = vd->elemdescVar.tdesc.vt == VT_I8 || vd->elemdescVar.tdesc.vt == VT_UI8;
                ti->lpVtbl->ReleaseVarDesc(ti, vd);
        } else {
                cy = false;
        }
        return cy;
}

static HRESULT userdefined(const struct build *b, ITypeInfo *ti, HREFTYPE href, struct tm_param *p,
                           bool behind_ptr, int depth) {
        ITypeInfo *ref = NULL;
        TYPEATTR *ta = NULL;
        HRESULT hr;

        if (depth > 16)
                return E_NOTIMPL;
        if ((hr = ti->lpVtbl->GetRefTypeInfo(ti, href, &ref)) < 0)
                return hr;
        if ((hr = ref->lpVtbl->GetTypeAttr(ref, &ta)) < 0)
                goto out;
        switch (ta->typekind) {
        case TKIND_ENUM:
                hr = behind_ptr ? E_FAIL : S_OK;
                p->kind = TM_ENUM;
                p->is_signed = true;
                break;
        case TKIND_ALIAS:
                hr = behind_ptr ? E_FAIL : kind_of(b, ref, &ta->tdescAlias, p, depth + 1);
                break;
        case TKIND_INTERFACE:
        case TKIND_DISPATCH:
                /* IFoo * (only behind its pointer: an interface is never passed by value) */
                hr = behind_ptr ? S_OK : E_NOTIMPL;
                p->kind = TM_IFACE;
                p->iid = ta->guid;
                break;
        case TKIND_COCLASS:
                /* a coclass pointer: its default interface... Windows marshals IUnknown */
                hr = behind_ptr ? S_OK : E_NOTIMPL;
                p->kind = TM_IFACE;
                p->iid = IID_IUnknown;
                break;
        case TKIND_RECORD:
                /* widl writes CY as the record wtypes.idl declares (MIDL as VT_CY) */
                hr = !behind_ptr && is_cy_record(ref, ta) ? S_OK : E_NOTIMPL;
                p->kind = TM_CY;
                break;
        default:
                hr = E_NOTIMPL; /* records, unions: their NDR is not written here yet */
                break;
        }
        ref->lpVtbl->ReleaseTypeAttr(ref, ta);
out:
        ref->lpVtbl->Release(ref);
        return hr;
}

/* The kind of a type at its value level (no pointer but an interface's own). */
static HRESULT kind_of(const struct build *b, ITypeInfo *ti, const TYPEDESC *td, struct tm_param *p,
                       int depth) {
        (void)b;
        if (depth > 16)
                return E_NOTIMPL;
        switch (td->vt) {
        case VT_I1:
                p->kind = TM_I1;
                p->is_signed = true;
                return S_OK;
        case VT_UI1:
                p->kind = TM_I1;
                return S_OK;
        case VT_I2:
        case VT_BOOL:
                p->kind = TM_I2;
                p->is_signed = true;
                return S_OK;
        case VT_UI2:
                p->kind = TM_I2;
                return S_OK;
        case VT_I4:
        case VT_INT:
        case VT_ERROR:
        case VT_HRESULT:
                p->kind = TM_I4;
                p->is_signed = true;
                return S_OK;
        case VT_UI4:
        case VT_UINT:
                p->kind = TM_I4;
                return S_OK;
        case VT_I8:
        case VT_UI8:
                p->kind = TM_I8;
                return S_OK;
        case VT_R4:
                p->kind = TM_R4;
                return S_OK;
        case VT_R8:
        case VT_DATE:
                p->kind = TM_R8;
                return S_OK;
        case VT_CY:
                p->kind = TM_CY;
                return S_OK;
        case VT_DECIMAL:
                p->kind = TM_DECIMAL;
                return S_OK;
        case VT_BSTR:
                p->kind = TM_BSTR;
                return S_OK;
        case VT_VARIANT:
                p->kind = TM_VARIANT;
                return S_OK;
        case VT_SAFEARRAY: {
                struct tm_param e = {0};
                if (!td->lptdesc || kind_of(b, ti, td->lptdesc, &e, depth + 1) < 0)
                        return E_NOTIMPL;
                p->kind = TM_SAFEARRAY;
                switch (e.kind) {
                case TM_BSTR:
                        p->sa_features = FADF_BSTR;
                        p->sa_elem_size = sizeof(BSTR);
                        break;
                case TM_VARIANT:
                        p->sa_features = FADF_VARIANT;
                        p->sa_elem_size = sizeof(VARIANT);
                        break;
                case TM_IFACE:
                        p->sa_features =
                                IsEqualGUID(&e.iid, &IID_IDispatch) ? FADF_DISPATCH : FADF_UNKNOWN;
                        p->sa_elem_size = sizeof(void *);
                        p->iid = e.iid;         /* checked against the wire's (pull_value) */
                        break;
                case TM_SAFEARRAY:
                        return E_NOTIMPL;
                default:
                        p->sa_elem_size = (ULONG)value_size(e.kind);
                        break;
                }
                return S_OK;
        }
        case VT_UNKNOWN:
                p->kind = TM_IFACE;
                p->iid = IID_IUnknown;
                return S_OK;
        case VT_DISPATCH:
                p->kind = TM_IFACE;
                p->iid = IID_IDispatch;
                return S_OK;
        case VT_USERDEFINED:
                return userdefined(b, ti, td->hreftype, p, false, depth + 1);
        case VT_PTR:
                /* only an interface's own pointer is part of its value */
                if (td->lptdesc && td->lptdesc->vt == VT_USERDEFINED)
                        return userdefined(b, ti, td->lptdesc->hreftype, p, true, depth + 1);
                return E_NOTIMPL;
        default:
                return E_NOTIMPL; /* VT_LPSTR, VT_LPWSTR, VT_CARRAY, VT_VOID... */
        }
}

/* A parameter: its value's kind and whether a pointer to it is passed. */
static HRESULT param_of(const struct build *b, ITypeInfo *ti, const ELEMDESC *ed,
                        struct tm_param *p) {
        const TYPEDESC *td = &ed->tdesc;
        USHORT fl = ed->paramdesc.wParamFlags;
        HRESULT hr;

        memset(p, 0, sizeof *p);
        p->in = (fl & PARAMFLAG_FIN) || !(fl & PARAMFLAG_FOUT);
        p->out = (fl & PARAMFLAG_FOUT) != 0;
        if (fl & PARAMFLAG_FLCID)
                p->in = true;
        hr = kind_of(b, ti, td, p, 0);
        if (hr >= 0 && !p->out)
                return S_OK;
        if (hr >= 0 && p->out)
                return E_NOTIMPL; /* an [out] value is a pointer */
        if (td->vt != VT_PTR || !td->lptdesc)
                return E_NOTIMPL;
        memset(p, 0, sizeof *p);
        p->in = (fl & PARAMFLAG_FIN) || !(fl & PARAMFLAG_FOUT);
        p->out = (fl & PARAMFLAG_FOUT) != 0;
        if ((hr = kind_of(b, ti, td->lptdesc, p, 0)) < 0)
                return hr;
        p->byref = true;
        return S_OK;
}

static HRESULT method_of(const struct build *b, ITypeInfo *ti, const FUNCDESC *fd,
                         struct tm_method *m, const char *name) {
        struct tm_param rp = {0};

        if (fd->funckind != FUNC_PUREVIRTUAL && fd->funckind != FUNC_VIRTUAL)
                return refuse(b, "not a vtable method", name);
        if (fd->callconv != CC_STDCALL && fd->callconv != CC_CDECL)
                return refuse(b, "calling convention", name);
        if (fd->cParams < 0 || fd->cParams > TM_MAX_PARAMS || fd->cParamsOpt < 0)
                return refuse(b, "too many parameters", name);
        switch (fd->elemdescFunc.tdesc.vt) {
        case VT_HRESULT:
                m->ret = TM_RET_HRESULT;
                break;
        case VT_VOID:
                m->ret = TM_RET_VOID;
                break;
        default:
                if (kind_of(b, ti, &fd->elemdescFunc.tdesc, &rp, 0) < 0 ||
                    !(rp.kind == TM_I1 || rp.kind == TM_I2 || rp.kind == TM_I4 ||
                      rp.kind == TM_I8 || rp.kind == TM_ENUM))
                        return refuse(b, "return type", name);
                m->ret = TM_RET_INT;
                m->ret_kind = rp.kind;
                break;
        }
        m->n = (uint16_t)fd->cParams;
        m->ps = calloc(m->n ? m->n : 1, sizeof *m->ps);
        if (!m->ps)
                return E_OUTOFMEMORY;
        for (unsigned k = 0; k < m->n; k++)
                if (param_of(b, ti, &fd->lprgelemdescParam[k], &m->ps[k]) < 0) {
                        const TYPEDESC *td = &fd->lprgelemdescParam[k].tdesc;
                        char what[80];
                        snprintf(what, sizeof what, "parameter %u's type (vt %u, to vt %u)", k + 1,
                                 td->vt, td->vt == VT_PTR && td->lptdesc ? td->lptdesc->vt : 0);
                        return refuse(b, what, name);
                }
        m->ours = true;
        return S_OK;
}

static char *name_of(ITypeInfo *ti, MEMBERID id) {
        BSTR n = NULL;
        char *s = NULL;

        if (ti->lpVtbl->GetDocumentation(ti, id, &n, NULL, NULL, NULL) >= 0 && n) {
                UINT len = SysStringLen(n);
                if ((s = malloc(len + 1))) {
                        for (UINT i = 0; i < len; i++)
                                s[i] = n[i] < 0x80 ? (char)n[i] : '?';
                        s[len] = 0;
                }
        }
        SysFreeString(n);
        return s;
}

static bool guid_is(const GUID *g, const GUID *h) {
        return memcmp(g, h, sizeof *g) == 0;
}

/* The interface's own methods, then its base's (recursively, up to IUnknown/IDispatch). */
static HRESULT collect(const struct build *b, ITypeInfo *ti, struct tm_iface *tm,
                       bool *ret_dispatch, int depth) {
        TYPEATTR *ta;
        HRESULT hr;

        if (depth > 32)
                return refuse(b, "bases nested too deep", NULL);
        if ((hr = ti->lpVtbl->GetTypeAttr(ti, &ta)) < 0)
                return hr;
        if (guid_is(&ta->guid, &IID_IUnknown)) {
                ti->lpVtbl->ReleaseTypeAttr(ti, ta);
                return S_OK;
        }
        if (guid_is(&ta->guid, &IID_IDispatch)) {
                *ret_dispatch = true;
                ti->lpVtbl->ReleaseTypeAttr(ti, ta);
                return S_OK;
        }
        if (ta->typekind != TKIND_INTERFACE) {
                ti->lpVtbl->ReleaseTypeAttr(ti, ta);
                return refuse(b, "a base is not an interface", NULL);
        }
        WORD n_funcs = ta->cFuncs, n_impl = ta->cImplTypes;
        ti->lpVtbl->ReleaseTypeAttr(ti, ta);
        for (UINT i = 0; i < n_funcs && hr >= 0; i++) {
                FUNCDESC *fd;
                if ((hr = ti->lpVtbl->GetFuncDesc(ti, i, &fd)) < 0)
                        break;
                unsigned slot = fd->oVft >= 0 ? (unsigned)fd->oVft / b->ptr_size : UINT32_MAX;
                if (slot < 3 || slot >= tm->n_methods || tm->m[slot].ours) {
                        hr = refuse(b, "a method's vtable slot", NULL);
                } else {
                        struct tm_method *m = &tm->m[slot];
                        m->name = name_of(ti, fd->memid);
                        hr = method_of(b, ti, fd, m, m->name);
                }
                ti->lpVtbl->ReleaseFuncDesc(ti, fd);
        }
        if (hr >= 0 && n_impl) {
                HREFTYPE href;
                ITypeInfo *base;
                if ((hr = ti->lpVtbl->GetRefTypeOfImplType(ti, 0, &href)) >= 0 &&
                    (hr = ti->lpVtbl->GetRefTypeInfo(ti, href, &base)) >= 0) {
                        hr = collect(b, base, tm, ret_dispatch, depth + 1);
                        base->lpVtbl->Release(base);
                }
        }
        return hr;
}

static void tm_free(struct tm_iface *tm) {
        if (!tm)
                return;
        for (unsigned i = 0; tm->m && i < tm->n_methods; i++) {
                free(tm->m[i].ps);
                free(tm->m[i].name);
        }
        free(tm->m);
        free(tm->ops);
        free(tm->vtbl_block);
        free(tm);
}

#if defined(__x86_64__)
extern const char oa_tm_thunks[];
#define HAVE_THUNKS 1
#else
#define HAVE_THUNKS 0
#endif

/* The proxy vtable and stub table of the interface ti describes (its TKIND_INTERFACE view). */
static HRESULT build(const struct build *b, ITypeInfo *ti, struct tm_iface **ret) {
        const IDispatchVtbl *dv = &IDispatch_ProxyVtbl;
        void *const *dslots = (void *const *)dv;
        struct tm_iface *tm;
        TYPEATTR *ta;
        bool dispatch = false;
        HRESULT hr;

        if ((hr = ti->lpVtbl->GetTypeAttr(ti, &ta)) < 0)
                return hr;
        unsigned n = ta->cbSizeVft / b->ptr_size;
        ti->lpVtbl->ReleaseTypeAttr(ti, ta);
        if (n < 3 || n > TM_MAX_METHODS)
                return refuse(b, "method count", NULL);
        if (!(tm = calloc(1, sizeof *tm)))
                return E_OUTOFMEMORY;
        tm->magic = TM_MAGIC;
        tm->iid = *b->iid;
        tm->n_methods = n;
        tm->m = calloc(n, sizeof *tm->m);
        tm->ops = calloc(n, sizeof *tm->ops);
        tm->vtbl_block = calloc(n + 1, sizeof *tm->vtbl_block);
        if (!tm->m || !tm->ops || !tm->vtbl_block) {
                hr = E_OUTOFMEMORY;
                goto fail;
        }
        if ((hr = collect(b, ti, tm, &dispatch, 0)) < 0)
                goto fail;
        unsigned first = dispatch ? 7 : 3;
        for (unsigned i = first; i < n; i++)
                if (!tm->m[i].ours) {
                        hr = refuse(b, "a vtable slot no method describes", NULL);
                        goto fail;
                }
        for (unsigned i = 3; i < first; i++)
                if (tm->m[i].ours) {
                        hr = refuse(b, "a method in IDispatch's slots", NULL);
                        goto fail;
                }
        tm->vtbl_block[0] = tm;
        void **slots = tm->vtbl_block + 1;
        for (unsigned i = 0; i < n; i++) {
                if (i < first) {
                        /* IUnknown's go to the proxy manager, IDispatch's to its proxy */
                        slots[i] = dslots[i];
                        tm->ops[i] = i < 3 ? (struct ndr_op){"IUnknown", NULL}
                                           : IDispatch_p_interface.ops[i];
                } else {
#if HAVE_THUNKS
                        slots[i] = (void *)(oa_tm_thunks + (size_t)i * TM_THUNK_SIZE);
#endif
                        tm->ops[i] =
                                (struct ndr_op){tm->m[i].name ? tm->m[i].name : "?", stub_dispatch};
                }
        }
        tm->ndr = (struct ndr_interface){
                .uuid = *b->iid,
                .n_ops = n,
                .ops = tm->ops,
                .name = "typelib-marshaled interface",
        };
        *ret = tm;
        return S_OK;
fail:
        tm_free(tm);
        return hr;
}

/* --- the registry's side ---------------------------------------------------------------------- */

static HRESULT typelib_of(const struct build *b, GUID *ret_lib, WORD *ret_major, WORD *ret_minor) {
        char key[80];
        WCHAR wkey[80], val[64];
        DWORD size = sizeof val;
        unsigned maj = 0, min = 0;
        char v[16];
        size_t i;

        snprintf(key, sizeof key, "Interface\\%s\\TypeLib", b->id);
        for (i = 0; key[i]; i++)
                wkey[i] = (WCHAR)(unsigned char)key[i];
        wkey[i] = 0;
        if (RegGetValueW(HKEY_CLASSES_ROOT, wkey, NULL, RRF_RT_REG_SZ, NULL, val, &size) !=
                    ERROR_SUCCESS ||
            FAILED(CLSIDFromString(val, ret_lib))) {
                log_debug(typelib, "typelib marshaler: %s: no HKCR\\%s (RegisterTypeLib writes it)",
                          b->id, key);
                return REGDB_E_IIDNOTREG;
        }
        size = sizeof val;
        if (RegGetValueW(HKEY_CLASSES_ROOT, wkey, u"Version", RRF_RT_REG_SZ, NULL, val, &size) !=
            ERROR_SUCCESS) {
                log_debug(typelib, "typelib marshaler: %s: no Version under HKCR\\%s", b->id, key);
                return REGDB_E_IIDNOTREG;
        }
        for (i = 0; i < sizeof v - 1 && val[i]; i++)
                v[i] = val[i] < 0x80 ? (char)val[i] : '?';
        v[i] = 0;
        if (sscanf(v, "%x.%x", &maj, &min) != 2 || maj > 0xffff || min > 0xffff) {
                log_debug(typelib, "typelib marshaler: %s: Version '%s' is not major.minor", b->id,
                          v);
                return REGDB_E_IIDNOTREG;
        }
        *ret_major = (WORD)maj;
        *ret_minor = (WORD)min;
        return S_OK;
}

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int oleaut_tm_load(const IID *iid, bool dispinterface) {
        struct build b = {.iid = iid};
        ITypeLib *tl = NULL;
        ITypeInfo *ti = NULL, *view = NULL;
        TYPEATTR *ta = NULL;
        TLIBATTR *la = NULL;
        struct tm_iface *tm = NULL;
        GUID lib;
        WORD maj, min;
        HRESULT hr;
        int r = -ENOEXEC;

        dcom_guid_format(iid, DCOM_GUID_FORMAT_REGISTRY, b.id);
        oleaut_ps_register();
        if (dispinterface) {
                /* [MS-OAUT] 3.1.4: a dispinterface is called through IDispatch alone */
                struct ndr_interface *ni = malloc(sizeof *ni);
                if (!ni)
                        return -ENOMEM;
                *ni = IDispatch_p_interface;
                ni->uuid = *iid;
                r = com_ps_register(&IDispatch_ProxyVtbl, ni);
                if (r < 0)
                        free(ni); /* -EEXIST: another thread's came first */
                log_debug(typelib, "typelib marshaler: %s: a dispinterface, as IDispatch", b.id);
                return r == -EEXIST ? 0 : r;
        }
        if (!HAVE_THUNKS) {
                log_debug(typelib,
                          "typelib marshaler: %s: no proxy thunks for this machine "
                          "(x86-64 only)",
                          b.id);
                return -ENOEXEC;
        }
        if (typelib_of(&b, &lib, &maj, &min) < 0)
                return -ENOENT;
        if ((hr = LoadRegTypeLib(&lib, maj, min, 0, &tl)) < 0) {
                log_debug(typelib, "typelib marshaler: %s: LoadRegTypeLib: 0x%08x", b.id,
                          (unsigned)hr);
                return -ENOEXEC;
        }
        if ((hr = tl->lpVtbl->GetLibAttr(tl, &la)) < 0)
                goto out;
        b.ptr_size = la->syskind == SYS_WIN64 ? 8 : 4;
        tl->lpVtbl->ReleaseTLibAttr(tl, la);
        if ((hr = tl->lpVtbl->GetTypeInfoOfGuid(tl, iid, &ti)) < 0) {
                log_debug(typelib, "typelib marshaler: %s: not in its type library", b.id);
                goto out;
        }
        if ((hr = ti->lpVtbl->GetTypeAttr(ti, &ta)) < 0)
                goto out;
        if (ta->typekind == TKIND_DISPATCH && (ta->wTypeFlags & TYPEFLAG_FDUAL)) {
                HREFTYPE href;
                if ((hr = ti->lpVtbl->GetRefTypeOfImplType(ti, -1, &href)) >= 0)
                        hr = ti->lpVtbl->GetRefTypeInfo(ti, href, &view);
        } else if (ta->typekind == TKIND_INTERFACE) {
                view = ti;
                ti->lpVtbl->AddRef(ti);
        } else {
                hr = refuse(&b, "not an interface", NULL);
        }
        ti->lpVtbl->ReleaseTypeAttr(ti, ta);
        if (hr < 0)
                goto out;
        pthread_mutex_lock(&load_lock);
        hr = build(&b, view, &tm);
        if (hr >= 0) {
                r = com_ps_register(tm->vtbl_block + 1, &tm->ndr);
                if (r < 0)
                        tm_free(tm); /* -EEXIST: registered meanwhile */
                else
                        log_debug(typelib, "typelib marshaler: %s: %u methods", b.id,
                                  tm->n_methods);
                /* a registered table lives as long as the process (as a loaded library's) */
                r = r == -EEXIST ? 0 : r;
        }
        pthread_mutex_unlock(&load_lock);
out:
        if (hr < 0 && r == -ENOEXEC)
                log_debug(typelib, "typelib marshaler: %s: 0x%08x", b.id, (unsigned)hr);
        if (view)
                view->lpVtbl->Release(view);
        if (ti)
                ti->lpVtbl->Release(ti);
        tl->lpVtbl->Release(tl);
        return hr < 0 ? -ENOEXEC : r;
}
