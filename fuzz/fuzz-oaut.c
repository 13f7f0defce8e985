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
 *        Bind; every reference to the library must come back.
 * Interface pointers inside VARIANTs unmarshal (through a stand-in for the COM layer's
 * hooks) to a counted object: after each input every reference must have come back, and
 * LeakSanitizer sees any BSTR, referent or array left behind.
 */
#include <stdlib.h>
#include <string.h>

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

static const struct ndr_iface_hooks hooks = { fake_marshal, fake_unmarshal, fake_release };

static ITypeLib *tlib;
static ULONG tlib_refs;

static ULONG lib_refs(void) {
        ITypeLib_AddRef(tlib);
        return ITypeLib_Release(tlib);
}

static void init_once(void) {
        static bool done;
        static const char path[] = TMTEST_TLB;
        OLECHAR w[sizeof path];

        if (done)
                return;
        done = true;
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
                VT_DISPATCH, VT_CY, VT_DATE, VT_DECIMAL, VT_VARIANT,
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
                uint8_t cell[32];
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
                        } else {
                                (void)SafeArrayGetElement(copy, idx, cell);
                        }
                }
                SAFEARRAYBOUND nb = { 1, 0 };
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
        check_refs();
        return 0;
}
