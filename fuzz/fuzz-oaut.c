/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OLE Automation's wire on hostile bytes.  Byte 0 picks a target, the rest is a stub:
 *   0-3  IDispatch's stub, opnum 3 + (byte 0): GetTypeInfoCount, GetTypeInfo,
 *        GetIDsOfNames, RemoteInvoke -- ORPCTHIS first, as impacket or Windows send
 *        them -- into the automation object of tests/disp-tester.h, which reads its
 *        arguments, coerces them (VariantChangeType), writes through references and
 *        returns BSTRs, objects and exceptions, so that the response is pushed too;
 *   4    one VARIANT pulled as a client's [out] (user memory), then committed and freed,
 *        or rolled back when the pull failed;
 *   5    one VARIANT pulled as a server's [in], pushed back, pulled again, and coerced to
 *        every type VariantChangeType knows (arrays among them: VT_ARRAY, VT_BYREF);
 *   6    one LPSAFEARRAY (wireSAFEARRAY, [MS-OAUT] 2.2.30) pulled, pushed back and pulled
 *        again, copied (SafeArrayCopy), read by index and resized;
 *   7    a response's ORPCTHAT read for its error extension ([MS-DCOM] 2.2.21.1), and the
 *        bytes as an error object's data (2.2.21.2);
 *   8-10 ITypeInfo's, ITypeLib's and ITypeComp's stubs ([MS-OAUT] 3.7, 3.11, 3.5) over
 *        fuzz/data/tmtest.tlb loaded in process: byte 1 the opnum, byte 2 which type
 *        (its interface view with bit 7), then the stub -- descriptions pushed and
 *        released after, names, documentation with any refPtrFlags, IsName/FindName,
 *        Bind; every reference to the library must come back;
 *   11   the same interfaces' proxies given a hostile server's answers: byte 1 the
 *        method, byte 2 the type, byte 3 bit 0 whether the rest is the answer itself or
 *        bytes XORed over what our stub answers to that call (a well-formed TYPEATTR,
 *        FUNCDESC, VARDESC, TLIBATTR... bent); what the proxy returns is freed with its
 *        Release* (LeakSanitizer sees what it misses);
 *   12   IEnumVARIANT's stub ([MS-OAUT] 3.3), opnum 3 + (byte 1) % 4: RemoteNext, Skip,
 *        Reset, Clone, into an enumerator of strings, numbers and the automation object
 *        (byte 2 where it starts): what it hands out is cleared after it is pushed.
 * Interface pointers inside VARIANTs unmarshal (through a stand-in for the COM layer's
 * hooks) to a counted object: after each input every reference must have come back, and
 * LeakSanitizer sees any BSTR, referent or array left behind.  Records (VT_RECORD,
 * SF_RECORD) name their types in fuzz/data/records.tlb (dcomidl --tlb --win64 of
 * tests/typelib/records.idl), registered in a private OPENDCOM_ROOT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>

#include "com/remote-internal.h"
#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"
#include "../tests/disp-tester.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct ndr_interface IDispatch_p_interface;
extern const struct ndr_interface ITypeInfo_p_interface;
extern const struct ndr_interface ITypeLib_p_interface;
extern const struct ndr_interface ITypeComp_p_interface;
extern const struct ndr_interface IEnumVARIANT_p_interface;
extern const ITypeInfoVtbl ITypeInfo_ProxyVtbl;
extern const ITypeLibVtbl ITypeLib_ProxyVtbl;
extern const ITypeCompVtbl ITypeComp_ProxyVtbl;

static struct tester object;

/* The COM layer's interface pointer hooks, standing in: any OBJREF is our object. */
static int fake_marshal(const GUID *iid, void *obj, struct arena *a, uint8_t **ret, uint32_t *len) {
        uint8_t *p = arena_alloc(a, 8);
        if (!p)
                return -ENOMEM;
        memcpy(p, "MEOWfake", 8);
        *ret = p;
        *len = 8;
        return 0;
}

static int fake_unmarshal(const GUID *iid, const uint8_t *objref, uint32_t len, void **ret) {
        if (len < 4 || memcmp(objref, "MEOW", 4) != 0)
                return -EBADMSG;
        tester_addref(&object.IDispatch_iface);
        *ret = &object.IDispatch_iface;
        return 0;
}

/* what a server stub gives up: the tester, or a type library's ITypeInfo/ITypeComp */
static void fake_release(void *obj) {
        IUnknown *u = obj;
        u->lpVtbl->Release(u);
}

static const struct ndr_iface_hooks hooks = { .marshal = fake_marshal, .unmarshal = fake_unmarshal, .release = fake_release };

static OLECHAR *W(const char *s) {
        static OLECHAR b[4096];
        size_t i;

        for (i = 0; s[i] && i < sizeof b / sizeof *b - 1; i++)
                b[i] = (OLECHAR)(unsigned char)s[i];
        b[i] = 0;
        return b;
}

static ITypeLib *tlib;
static ULONG tlib_refs;

static ULONG lib_refs(void) {
        ITypeLib_AddRef(tlib);
        return ITypeLib_Release(tlib);
}

static void init_once(void) {
        static bool done;
        char root[] = "/tmp/fuzz-oaut-XXXXXX";
        ITypeLib *tl = NULL;
        static const char path[] = TMTEST_TLB;
        OLECHAR w[sizeof path];

        if (done)
                return;
        done = true;
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                abort();
        }
        setenv("OPENDCOM_ROOT", root, 1);
        if (LoadTypeLibEx(W(RECORDS_TLB), REGKIND_REGISTER, &tl) != S_OK) {
                fprintf(stderr, "cannot register %s\n", RECORDS_TLB);
                abort();
        }
        tl->lpVtbl->Release(tl);
        tester_init(&object);
        oleaut_user_marshal_register();
        ndr_set_iface_hooks(&hooks);
        for (size_t i = 0; i < sizeof path; i++)
                w[i] = (OLECHAR)(unsigned char)path[i];
        if (LoadTypeLibEx(w, REGKIND_NONE, &tlib) != S_OK)
                abort();
        tlib_refs = lib_refs();
}

static void check_refs(void) {
        if (atomic_load(&object.refs) != 1)
                abort();        /* a reference leaked or was released twice */
        if (lib_refs() != tlib_refs)
                abort();        /* the same for the type library's */
}

static void serve_iface(const struct ndr_interface *ifc, unsigned opnum, void *impl,
                        const uint8_t *data, size_t size);

/* serve_iface's answer, kept when set (target 11) */
static uint8_t *answer;
static size_t answer_len;

/* 8-10: the type description's stubs, each over one object of tmtest.tlb */
static void serve_type(unsigned which, const uint8_t *data, size_t size) {
        UINT n = ITypeLib_GetTypeInfoCount(tlib);
        ITypeInfo *ti = NULL;
        ITypeComp *tc = NULL;
        TYPEKIND kind = TKIND_MAX;

        if (size < 2 || n == 0)
                return;
        if (FAILED(ITypeLib_GetTypeInfo(tlib, data[1] % n, &ti)))
                return;
        if (data[1] & 0x80) {
                HREFTYPE h;
                ITypeInfo *view;
                if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &h)) &&
                    SUCCEEDED(ITypeInfo_GetRefTypeInfo(ti, h, &view))) {
                        ITypeInfo_Release(ti);
                        ti = view;
                }
        }
        (void)ITypeLib_GetTypeInfoType(tlib, data[1] % n, &kind);
        switch (which) {
        case 0: {
                unsigned opnum = 3u + data[0] % 19u;
                if (opnum == 16 && kind == TKIND_COCLASS)
                        break;          /* CreateInstance would activate the class */
                serve_iface(&ITypeInfo_p_interface, opnum, ti, data + 2, size - 2);
                break;
        }
        case 1:
                serve_iface(&ITypeLib_p_interface, 3u + data[0] % 10u, tlib, data + 2, size - 2);
                break;
        default:
                if (data[0] & 0x80 ? SUCCEEDED(ITypeLib_GetTypeComp(tlib, &tc))
                                   : SUCCEEDED(ITypeInfo_GetTypeComp(ti, &tc))) {
                        serve_iface(&ITypeComp_p_interface, 3u + data[0] % 2u, tc, data + 2,
                                    size - 2);
                        ITypeComp_Release(tc);
                }
                break;
        }
        ITypeInfo_Release(ti);
}

static void serve(unsigned opnum, const uint8_t *data, size_t size) {
        serve_iface(&IDispatch_p_interface, opnum, &object.IDispatch_iface, data, size);
}

static void serve_iface(const struct ndr_interface *ifc, unsigned opnum, void *impl,
                        const uint8_t *data, size_t size) {
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        struct ndr_server_call call;

        arena_init(&a, 1u << 24);
        if (ndr_pull_init(&in, data, size, NULL, &a) < 0) {
                arena_reset(&a);
                return;
        }
        in.release_ifaces = true;
        ndr_push_init(&out, 1u << 24);
        out.release_ifaces = true;
        memset(&call, 0, sizeof call);
        call.in = &in;
        call.out = &out;
        call.arena = &a;
        call.impl = impl;
        if (opnum < ifc->n_ops)
                (void)ifc->ops[opnum].dispatch(&call);
        if (answer && out.buf.len <= answer_len && ndr_push_error(&out) >= 0) {
                memcpy(answer, out.buf.data, out.buf.len);
                answer_len = out.buf.len;
        } else if (answer) {
                answer_len = 0;
        }
        ndr_push_free(&out);
        arena_reset(&a);
}

static void pull_client(const uint8_t *data, size_t size) {
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct arena a;
        struct ndr_pull in;
        VARIANT v;

        arena_init(&a, 1u << 24);
        if (ndr_pull_init(&in, data, size, NULL, &a) < 0) {
                arena_reset(&a);
                return;
        }
        ndr_pull_user_memory(&in);
        if (ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &v) < 0) {
                ndr_pull_user_rollback(&in);
        } else {
                ndr_pull_user_commit(&in);
                oleaut_variant_user_free(&v);
        }
        arena_reset(&a);
}

static void round_trip(const uint8_t *data, size_t size) {
        static const VARTYPE types[] = {
                VT_EMPTY, VT_NULL, VT_I1, VT_I2, VT_I4, VT_I8, VT_UI1, VT_UI2, VT_UI4, VT_UI8,
                VT_INT, VT_UINT, VT_R4, VT_R8, VT_BOOL, VT_BSTR, VT_ERROR, VT_UNKNOWN,
                VT_DISPATCH, VT_CY, VT_DATE, VT_DECIMAL, VT_VARIANT, VT_RECORD,
        };
        const struct ndr_user_marshal *um = ndr_user_marshal_find("VARIANT");
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        VARIANT v, again;

        arena_init(&a, 1u << 24);
        if (ndr_pull_init(&in, data, size, NULL, &a) < 0 ||
            ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &v) < 0) {
                arena_reset(&a);
                return;
        }
        ndr_push_init(&out, 1u << 24);
        if (ndr_push_user_marshal(&out, um, NDR_SCALARS | NDR_BUFFERS, &v) >= 0) {
                /* what we write, we read back */
                if (ndr_pull_init(&in, out.buf.data, out.buf.len, NULL, &a) < 0 ||
                    ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &again) < 0)
                        abort();
        }
        ndr_push_free(&out);
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                VARIANT c;
                VariantInit(&c);
                if (SUCCEEDED(VariantChangeTypeEx(&c, &v, 0, VARIANT_ALPHABOOL, types[i])))
                        VariantClear(&c);
        }
        arena_reset(&a);
}

static void safearray(const uint8_t *data, size_t size) {
        const struct ndr_user_marshal *um = ndr_user_marshal_find("LPSAFEARRAY");
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;
        SAFEARRAY *sa = NULL, *again = NULL, *copy = NULL;

        arena_init(&a, 1u << 24);
        if (ndr_pull_init(&in, data, size, NULL, &a) < 0 ||
            ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &sa) < 0 || !sa) {
                arena_reset(&a);
                return;
        }
        ndr_push_init(&out, 1u << 24);
        if (ndr_push_user_marshal(&out, um, NDR_SCALARS | NDR_BUFFERS, &sa) >= 0) {
                /* what we write, we read back */
                if (ndr_pull_init(&in, out.buf.data, out.buf.len, NULL, &a) < 0 ||
                    ndr_pull_user_marshal(&in, um, NDR_SCALARS | NDR_BUFFERS, &again) < 0 ||
                    !again || again->cDims != sa->cDims || again->cbElements != sa->cbElements)
                        abort();
        }
        ndr_push_free(&out);
        if (SUCCEEDED(SafeArrayCopy(sa, &copy))) {
                LONG idx[4] = { 0, 0, 0, 0 }, lb;
                uint8_t cell[1024];
                IRecordInfo *ri = NULL;
                VARIANT v;
                UINT dims = SafeArrayGetDim(copy);
                for (UINT d = 1; d <= dims && d <= 4; d++)
                        if (SUCCEEDED(SafeArrayGetLBound(copy, d, &lb)))
                                idx[d - 1] = lb;
                if (dims <= 4 && copy->cbElements <= sizeof cell) {
                        if (copy->fFeatures & FADF_VARIANT) {
                                if (SUCCEEDED(SafeArrayGetElement(copy, idx, &v)))
                                        VariantClear(&v);
                        } else if (copy->fFeatures & FADF_BSTR) {
                                BSTR s;
                                if (SUCCEEDED(SafeArrayGetElement(copy, idx, &s)))
                                        SysFreeString(s);
                        } else if (copy->fFeatures & (FADF_UNKNOWN | FADF_DISPATCH)) {
                                IUnknown *u;
                                if (SUCCEEDED(SafeArrayGetElement(copy, idx, &u)) && u)
                                        u->lpVtbl->Release(u);
                        } else if (copy->fFeatures & FADF_RECORD) {
                                /* into an initialized record, then its values freed */
                                memset(cell, 0, sizeof cell);
                                if (SUCCEEDED(SafeArrayGetRecordInfo(copy, &ri)) && ri &&
                                    SUCCEEDED(SafeArrayGetElement(copy, idx, cell)))
                                        ri->lpVtbl->RecordClear(ri, cell);
                                if (ri)
                                        ri->lpVtbl->Release(ri);
                        } else {
                                (void)SafeArrayGetElement(copy, idx, cell);
                        }
                }
                /* resized to one cell in the last dimension: as many cells as the other
                   dimensions make, so only when that is small (an empty array may say
                   10752 x 63488 x 0, and the resize would then allocate 1.3 GB) */
                SAFEARRAYBOUND nb = { 1, 0 };
                uint64_t cells = 1;
                for (USHORT d = 1; d < copy->cDims && cells <= (1u << 20); d++)
                        cells *= copy->rgsabound[d].cElements;
                if (cells * copy->cbElements <= (1u << 20))
                        (void)SafeArrayRedim(copy, &nb);
                SafeArrayDestroy(copy);
        }
        arena_reset(&a);                /* destroys sa and again */
}

static void error_extension(const uint8_t *data, size_t size) {
        struct ndr_pull in;
        IErrorInfo *ei;

        if (ndr_pull_init(&in, data, size, NULL, NULL) >= 0)
                com_errorext_reply(&in);
        if (GetErrorInfo(0, &ei) == S_OK)
                ei->lpVtbl->Release(ei);
        if (oleaut_errorinfo_read(data, size, &ei) >= 0)
                ei->lpVtbl->Release(ei);
}

/* --- 11: the proxies on a hostile server's answers ------------------------------------- */

static const uint8_t *resp_data;
static size_t resp_size;

static int chan_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        uint8_t *p = arena_alloc(arena, resp_size ? resp_size : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, resp_data, resp_size);
        return ndr_pull_init(out, p, resp_size, NULL, arena);
}

static HRESULT unk_qi(struct com_proxy *px, const IID *riid, void **ppv) {
        *ppv = px;
        return S_OK;
}

static ULONG unk_ref(struct com_proxy *px) {
        return 1;
}

static const struct com_proxy_unknown proxy_unk = { unk_qi, unk_ref, unk_ref };

/* An ORPCTHIS ([MS-DCOM] 2.2.13.1, version 5.7) then a method's [in] arguments. */
static size_t request(uint8_t *buf, const void *args, size_t n) {
        static const uint8_t orpcthis[32] = { 5, 0, 7, 0 };
        memcpy(buf, orpcthis, sizeof orpcthis);
        memcpy(buf + sizeof orpcthis, args, n);
        return sizeof orpcthis + n;
}

static void put32(uint8_t *p, uint32_t v) {
        memcpy(p, &v, 4);
}

/* A [string] wide name as the wire carries it: max, offset, count, characters, NUL. */
static size_t wire_name(uint8_t *p, const char *s) {
        uint32_t n = (uint32_t)strlen(s) + 1;
        put32(p, n);
        put32(p + 4, 0);
        put32(p + 8, n);
        for (uint32_t i = 0; i < n; i++) {
                p[12 + 2 * i] = (uint8_t)s[i];
                p[13 + 2 * i] = 0;
        }
        return 12 + 2 * n + (n & 1 ? 2 : 0);   /* then 4-aligned */
}

enum pmethod {
        P_TYPEATTR, P_FUNCDESC, P_VARDESC, P_NAMES, P_DOC, P_DLLENTRY, P_CONTAINING,
        P_REFTYPEINFO, P_LIBATTR, P_LIBDOC, P_ISNAME, P_FINDNAME, P_BIND, P_BINDTYPE,
        P_COUNT, P_MAX
};

static void proxies(const uint8_t *data, size_t size) {
        enum pmethod m;
        uint8_t req[128], *resp = NULL;
        size_t len = 0;
        UINT n = ITypeLib_GetTypeInfoCount(tlib);
        ITypeInfo *ti = NULL;
        ITypeComp *tc = NULL;
        const struct ndr_interface *ifc;
        unsigned opnum;
        void *impl;

        if (size < 3 || n == 0)
                return;
        m = (enum pmethod)(data[0] % P_MAX);
        if (FAILED(ITypeLib_GetTypeInfo(tlib, data[1] % n, &ti)))
                return;
        if (data[1] & 0x80) {
                HREFTYPE h;
                ITypeInfo *view;
                if (SUCCEEDED(ITypeInfo_GetRefTypeOfImplType(ti, (UINT)-1, &h)) &&
                    SUCCEEDED(ITypeInfo_GetRefTypeInfo(ti, h, &view))) {
                        ITypeInfo_Release(ti);
                        ti = view;
                }
        }
        /* the call our stub answers, for the well-formed answer to bend */
        uint8_t args[64] = { 0 };
        size_t na = 0;
        uint32_t index = data[1] & 3, memid = 0x60000000u + (data[1] & 7);
        ifc = &ITypeInfo_p_interface;
        impl = ti;
        switch (m) {
        case P_TYPEATTR: opnum = 3; break;
        case P_FUNCDESC: opnum = 5; put32(args, index); na = 4; break;
        case P_VARDESC: opnum = 6; put32(args, index); na = 4; break;
        case P_NAMES: opnum = 7; put32(args, memid); put32(args + 4, 16); na = 8; break;
        case P_DOC: opnum = 12; put32(args, data[1] & 8 ? 0xffffffffu : memid); put32(args + 4, 15); na = 8; break;
        case P_DLLENTRY: opnum = 13; put32(args, memid); put32(args + 4, 1); put32(args + 8, 7); na = 12; break;
        case P_CONTAINING: opnum = 18; break;
        case P_REFTYPEINFO: opnum = 14; put32(args, 1); na = 4; break;
        case P_LIBATTR: ifc = &ITypeLib_p_interface; impl = tlib; opnum = 7; break;
        case P_LIBDOC: ifc = &ITypeLib_p_interface; impl = tlib; opnum = 9; put32(args, -1); put32(args + 4, 15); na = 8; break;
        case P_ISNAME: ifc = &ITypeLib_p_interface; impl = tlib; opnum = 10; na = wire_name(args, "value"); put32(args + na, 0); na += 4; break;
        case P_FINDNAME: ifc = &ITypeLib_p_interface; impl = tlib; opnum = 11; na = wire_name(args, "Value"); put32(args + na, 0); args[na + 4] = 4; na += 6; break;
        case P_BIND: opnum = 3; na = wire_name(args, "Value"); put32(args + na, 0); args[na + 4] = 2; na += 6; break;
        case P_BINDTYPE: opnum = 4; na = wire_name(args, "TmColor"); put32(args + na, 0); na += 4; break;
        default: ifc = &ITypeLib_p_interface; impl = tlib; opnum = 3; break;
        }
        if (m == P_BIND || m == P_BINDTYPE) {
                /* a member binds in its type's ITypeComp, a type in the library's */
                if (FAILED(m == P_BIND ? ITypeInfo_GetTypeComp(ti, &tc)
                                       : ITypeLib_GetTypeComp(tlib, &tc)))
                        goto out;
                ifc = &ITypeComp_p_interface;
                impl = tc;
        }
        if (!(data[2] & 1)) {
                answer_len = 1u << 16;
                if (!(answer = malloc(answer_len)))
                        goto out;
                serve_iface(ifc, opnum, impl, req, request(req, args, na));
                resp = answer;
                len = answer_len;
                answer = NULL;
                for (size_t i = 3; i < size && i - 3 < len; i++)
                        resp[i - 3] ^= data[i];
                if (data[2] & 2 && size > 3 && len)
                        len = data[3] % len;    /* and cut short */
                resp_data = resp;
                resp_size = len;
        } else {
                resp_data = data + 3;
                resp_size = size - 3;
        }

        struct ndr_binding chan = { .call = chan_call, .ctx = NULL };
        const void *vtbl = ifc == &ITypeInfo_p_interface ? (const void *)&ITypeInfo_ProxyVtbl
                           : ifc == &ITypeLib_p_interface ? (const void *)&ITypeLib_ProxyVtbl
                                                          : (const void *)&ITypeComp_ProxyVtbl;
        struct com_proxy px = { .lpVtbl = vtbl, .channel = &chan, .iface = ifc, .unk = &proxy_unk };
        void *pv = &px;
        ITypeInfo *pti = pv;
        ITypeLib *ptl = pv;
        ITypeComp *ptc = pv;
        BSTR b[16] = { NULL }, s1 = NULL, s2 = NULL, s3 = NULL;
        DWORD ctx;
        UINT got = 0;
        WORD ord;
        switch (m) {
        case P_TYPEATTR: {
                TYPEATTR *a;
                if (SUCCEEDED(ITypeInfo_GetTypeAttr(pti, &a)))
                        ITypeInfo_ReleaseTypeAttr(pti, a);
                break;
        }
        case P_FUNCDESC: {
                FUNCDESC *f;
                if (SUCCEEDED(ITypeInfo_GetFuncDesc(pti, index, &f)))
                        ITypeInfo_ReleaseFuncDesc(pti, f);
                break;
        }
        case P_VARDESC: {
                VARDESC *v;
                if (SUCCEEDED(ITypeInfo_GetVarDesc(pti, index, &v)))
                        ITypeInfo_ReleaseVarDesc(pti, v);
                break;
        }
        case P_NAMES:
                (void)ITypeInfo_GetNames(pti, (MEMBERID)memid, b, 16, &got);
                for (UINT i = 0; i < got && i < 16; i++)
                        SysFreeString(b[i]);
                break;
        case P_DOC:
                (void)ITypeInfo_GetDocumentation(pti, (MEMBERID)memid, &s1, &s2, &ctx, &s3);
                break;
        case P_DLLENTRY:
                (void)ITypeInfo_GetDllEntry(pti, (MEMBERID)memid, INVOKE_FUNC, &s1, &s2, &ord);
                break;
        case P_CONTAINING: {
                ITypeLib *l = NULL;
                UINT i;
                (void)ITypeInfo_GetContainingTypeLib(pti, &l, &i);
                if (l)
                        ITypeLib_Release(l);
                break;
        }
        case P_REFTYPEINFO: {
                ITypeInfo *r = NULL;
                /* generated: a failing peer's pointer comes through too */
                (void)ITypeInfo_GetRefTypeInfo(pti, 1, &r);
                if (r)
                        ITypeInfo_Release(r);
                break;
        }
        case P_LIBATTR: {
                TLIBATTR *a;
                if (SUCCEEDED(ITypeLib_GetLibAttr(ptl, &a)))
                        ITypeLib_ReleaseTLibAttr(ptl, a);
                break;
        }
        case P_LIBDOC:
                (void)ITypeLib_GetDocumentation(ptl, -1, &s1, &s2, &ctx, &s3);
                break;
        case P_ISNAME: {
                OLECHAR name[] = { 'v', 'a', 'l', 'u', 'e', 0 };
                BOOL f;
                (void)ITypeLib_IsName(ptl, name, 0, &f);
                break;
        }
        case P_FINDNAME: {
                OLECHAR name[] = { 'V', 'a', 'l', 'u', 'e', 0 };
                ITypeInfo *tis[4] = { NULL };
                MEMBERID ids[4];
                USHORT found = 4;
                if (SUCCEEDED(ITypeLib_FindName(ptl, name, 0, tis, ids, &found)))
                        for (USHORT i = 0; i < found && i < 4; i++)
                                if (tis[i])
                                        ITypeInfo_Release(tis[i]);
                break;
        }
        case P_BIND: {
                OLECHAR name[] = { 'V', 'a', 'l', 'u', 'e', 0 };
                ITypeInfo *bt = NULL;
                DESCKIND k = DESCKIND_NONE;
                BINDPTR bp = { NULL };
                if (SUCCEEDED(ITypeComp_Bind(ptc, name, 0, INVOKE_PROPERTYGET, &bt, &k, &bp))) {
                        /* the descriptions are the proxy's: an ITypeInfo proxy's Release* */
                        struct com_proxy tpx = { .lpVtbl = &ITypeInfo_ProxyVtbl, .channel = &chan,
                                                 .iface = &ITypeInfo_p_interface,
                                                 .unk = &proxy_unk };
                        void *tpv = &tpx;
                        if (k == DESCKIND_FUNCDESC)
                                ITypeInfo_ReleaseFuncDesc((ITypeInfo *)tpv, bp.lpfuncdesc);
                        else if (k == DESCKIND_VARDESC || k == DESCKIND_IMPLICITAPPOBJ)
                                ITypeInfo_ReleaseVarDesc((ITypeInfo *)tpv, bp.lpvardesc);
                        else if (k == DESCKIND_TYPECOMP && bp.lptcomp)
                                ITypeComp_Release(bp.lptcomp);
                }
                if (bt)
                        ITypeInfo_Release(bt);
                break;
        }
        case P_BINDTYPE: {
                OLECHAR name[] = { 'T', 'm', 'C', 'o', 'l', 'o', 'r', 0 };
                ITypeInfo *bt = NULL;
                ITypeComp *bc = NULL;
                (void)ITypeComp_BindType(ptc, name, 0, &bt, &bc);
                if (bt)
                        ITypeInfo_Release(bt);
                break;
        }
        default:
                (void)ITypeLib_GetTypeInfoCount(ptl);
                break;
        }
        SysFreeString(s1);
        SysFreeString(s2);
        SysFreeString(s3);
out:
        free(resp);
        if (tc)
                ITypeComp_Release(tc);
        ITypeInfo_Release(ti);
}

/* An enumerator over 7 elements: a number, a string, the automation object, in turns. */
struct fenum {
        IEnumVARIANT IEnumVARIANT_iface;
        int refs;
        ULONG pos;
};

static const IEnumVARIANTVtbl fenum_vtbl;

static struct fenum *fenum_new(ULONG pos) {
        struct fenum *e = calloc(1, sizeof *e);

        if (e) {
                e->IEnumVARIANT_iface.lpVtbl = &fenum_vtbl;
                e->refs = 1;
                e->pos = pos;
        }
        return e;
}

static HRESULT STDMETHODCALLTYPE fe_qi(IEnumVARIANT *e, REFIID riid, void **ppv) {
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE fe_addref(IEnumVARIANT *e) {
        return (ULONG)++((struct fenum *)e)->refs;
}

static ULONG STDMETHODCALLTYPE fe_release(IEnumVARIANT *e) {
        struct fenum *x = (struct fenum *)e;
        int r = --x->refs;

        if (!r)
                free(x);
        return (ULONG)r;
}

static HRESULT STDMETHODCALLTYPE fe_next(IEnumVARIANT *e, ULONG celt, VARIANT *v, ULONG *got) {
        struct fenum *x = (struct fenum *)e;
        ULONG k = 0;

        for (; k < celt && x->pos < 7; k++, x->pos++) {
                VariantInit(&v[k]);
                if (x->pos % 3 == 0) {
                        V_VT(&v[k]) = VT_I4;
                        V_I4(&v[k]) = (LONG)x->pos;
                } else if (x->pos % 3 == 1) {
                        V_VT(&v[k]) = VT_BSTR;
                        V_BSTR(&v[k]) = SysAllocString(W("element"));
                } else {
                        V_VT(&v[k]) = VT_DISPATCH;
                        V_DISPATCH(&v[k]) = &object.IDispatch_iface;
                        tester_addref(&object.IDispatch_iface);
                }
        }
        if (got)
                *got = k;
        return k == celt ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE fe_skip(IEnumVARIANT *e, ULONG celt) {
        struct fenum *x = (struct fenum *)e;

        x->pos = celt > 7 - x->pos ? 7 : x->pos + celt;
        return x->pos == 7 ? S_FALSE : S_OK;
}

static HRESULT STDMETHODCALLTYPE fe_reset(IEnumVARIANT *e) {
        ((struct fenum *)e)->pos = 0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE fe_clone(IEnumVARIANT *e, IEnumVARIANT **ret) {
        struct fenum *c = fenum_new(((struct fenum *)e)->pos);

        *ret = c ? &c->IEnumVARIANT_iface : NULL;
        return c ? S_OK : E_OUTOFMEMORY;
}

static const IEnumVARIANTVtbl fenum_vtbl = { fe_qi, fe_addref, fe_release, fe_next, fe_skip,
                                             fe_reset, fe_clone };

static void serve_enum(const uint8_t *data, size_t size) {
        struct fenum *e;

        if (size < 2 || !(e = fenum_new(data[1] % 8u)))
                return;
        /* (Clone's [out] goes through the stand-in marshaler, which releases it) */
        serve_iface(&IEnumVARIANT_p_interface, 3u + data[0] % 4u, &e->IEnumVARIANT_iface, data + 2,
                    size - 2);
        if (e->refs != 1)
                abort();        /* the enumerator's reference leaked or went twice */
        fe_release(&e->IEnumVARIANT_iface);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        init_once();
        if (data[0] < 4)
                serve(3u + data[0], data + 1, size - 1);
        else if (data[0] == 4)
                pull_client(data + 1, size - 1);
        else if (data[0] == 5)
                round_trip(data + 1, size - 1);
        else if (data[0] == 6)
                safearray(data + 1, size - 1);
        else if (data[0] == 7)
                error_extension(data + 1, size - 1);
        else if (data[0] <= 10)
                serve_type(data[0] - 8u, data + 1, size - 1);
        else if (data[0] == 11)
                proxies(data + 1, size - 1);
        else if (data[0] == 12)
                serve_enum(data + 1, size - 1);
        check_refs();
        return 0;
}
