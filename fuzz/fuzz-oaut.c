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
 *        bytes as an error object's data (2.2.21.2).
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

#include <objbase.h>

#include "com/remote-internal.h"
#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"
#include "../tests/disp-tester.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct ndr_interface IDispatch_p_interface;

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

static void fake_release(void *obj) {
        tester_release(obj);
}

static const struct ndr_iface_hooks hooks = { fake_marshal, fake_unmarshal, fake_release };

static OLECHAR *W(const char *s) {
        static OLECHAR b[4096];
        size_t i;

        for (i = 0; s[i] && i < sizeof b / sizeof *b - 1; i++)
                b[i] = (OLECHAR)(unsigned char)s[i];
        b[i] = 0;
        return b;
}

static void init_once(void) {
        static bool done;
        char root[] = "/tmp/fuzz-oaut-XXXXXX";
        ITypeLib *tl = NULL;

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
}

static void check_refs(void) {
        if (atomic_load(&object.refs) != 1)
                abort();        /* a reference leaked or was released twice */
}

static void serve(unsigned opnum, const uint8_t *data, size_t size) {
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
        call.impl = &object.IDispatch_iface;
        (void)IDispatch_p_interface.ops[opnum].dispatch(&call);
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
        check_refs();
        return 0;
}
