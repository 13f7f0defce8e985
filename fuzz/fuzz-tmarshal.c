/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The type-library marshaler on hostile bytes (src/oleaut/tmarshal.c), for
 * tests/tmarshal/tmtest.idl's ITmTest as its type library describes it
 * (fuzz/data/tmtest.tlb, made by widl -t; registered in a private OPENDCOM_ROOT and
 * found as COM finds it).  Byte 0 picks an opnum (its low 7 bits; out of ITmTest's own
 * range, one inside it) and a side:
 *   0x00-0x7f  the rest is a request into the typelib stub, which pulls the [in]
 *              arguments, calls tests/tmarshal/tm-object.h's object through the
 *              machine's calling convention and pushes the response;
 *   0x80-0xff  the rest is the response to a call made through the typelib proxy, which
 *              pulls the [out] values and the HRESULT into the caller's variables; what
 *              it returns is freed as a caller would.
 * Interface pointers unmarshal (a stand-in for the COM layer's hooks) to a counted
 * object: after each input every reference must have come back, and LeakSanitizer sees
 * any BSTR, VARIANT or array left behind.  test-com-tmarshal writes the seeds (a
 * generated proxy's requests and a generated stub's responses, TMTEST_CORPUS_DIR).
 */
#define COBJMACROS

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "ndr/ndr-stub.h"
#include "oleaut/oleaut-internal.h"
#include "tmtest.h"
#include "../tests/tmarshal/tm-object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tmobj object = {{&obj_vtbl}, 1, 0, 0};
static struct tmobj peer = {{&obj_vtbl}, 1, 0, 0};
static const struct com_ps *ps;

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "fuzz-tmarshal: %s\n", what);
                abort();
        }
}

/* The COM layer's interface pointer hooks, standing in: any OBJREF is the peer. */
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
        ITmTest_AddRef(&peer.ITmTest_iface);
        *ret = &peer.ITmTest_iface;
        return 0;
}

static void fake_release(void *obj) {
        IUnknown_Release((IUnknown *)obj);
}

static const struct ndr_iface_hooks hooks = { .marshal = fake_marshal, .unmarshal = fake_unmarshal, .release = fake_release };

static void init_once(void) {
        static bool done;
        char root[] = "/tmp/fuzz-tmarshal-XXXXXX";
        ITypeLib *tl = NULL;

        if (done)
                return;
        done = true;
        check(mkdtemp(root) != NULL, "mkdtemp");
        setenv("OPENDCOM_ROOT", root, 1);
        check(LoadTypeLibEx(W(TMTEST_TLB), REGKIND_REGISTER, &tl) == S_OK,
              "cannot register " TMTEST_TLB);
        ITypeLib_Release(tl);
        ps = com_ps_find(&IID_ITmTest);
        check(ps != NULL, "no typelib proxy/stub for ITmTest");
        ndr_set_iface_hooks(&hooks);
}

static void check_refs(void) {
        check(object.refs == 1 && peer.refs == 1, "a reference leaked or was released twice");
}

static void serve(uint16_t opnum, const uint8_t *data, size_t size) {
        struct arena a;
        struct ndr_pull in;
        struct ndr_push out;

        arena_init(&a, 1u << 24);
        if (ndr_pull_init(&in, data, size, NULL, &a) < 0) {
                arena_reset(&a);
                return;
        }
        in.release_ifaces = true;
        ndr_push_init(&out, 1u << 24);
        out.release_ifaces = true;
        struct ndr_server_call call = {.in = &in,
                                       .out = &out,
                                       .arena = &a,
                                       .impl = &object.ITmTest_iface,
                                       .iface = ps->iface,
                                       .opnum = opnum};
        (void)ps->iface->ops[opnum].dispatch(&call);
        ndr_push_free(&out);
        arena_reset(&a);
}

/* The proxy's channel: every call's response is the input. */
static const uint8_t *resp_data;
static size_t resp_size;

static int chan_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
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

static const struct com_proxy_unknown lp_unk = {unk_qi, unk_ref, unk_ref};

static void call_proxy(uint16_t opnum, const uint8_t *data, size_t size) {
        struct ndr_binding chan = { .call = chan_call, .ctx = NULL };
        struct com_proxy px = {
                .lpVtbl = ps->proxy_vtbl, .channel = &chan, .iface = ps->iface, .unk = &lp_unk};
        void *pv = &px;
        ITmTest *p = pv;

        resp_data = data;
        resp_size = size;
        switch (opnum) {
        case 7: {
                LONGLONG sum;
                (void)ITmTest_Ints(p, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, &sum);
                break;
        }
        case 8: {
                TMCY cy = {1};
                float of;
                double r;
                (void)ITmTest_Floats(p, 1.5f, 2.0, 3.0, cy, &of, &r);
                break;
        }
        case 9: {
                VARIANT_BOOL nb;
                SCODE sc;
                (void)ITmTest_Bools(p, VARIANT_TRUE, 5, &nb, &sc);
                break;
        }
        case 10: {
                TMDEC d = {0}, io = {0};
                TMCY cy;
                (void)ITmTest_Dec(p, d, &io, &cy);
                break;
        }
        case 11: {
                BSTR a = SysAllocString(W("a")), io = SysAllocString(W("io")), r = NULL;
                (void)ITmTest_Str(p, a, &io, &r);
                SysFreeString(a);
                SysFreeString(io);
                SysFreeString(r);
                break;
        }
        case 12: {
                VARIANT v, io, r;
                V_VT(&v) = VT_I4;
                V_I4(&v) = 1;
                V_VT(&io) = VT_BSTR;
                V_BSTR(&io) = SysAllocString(W("io"));
                VariantInit(&r);
                (void)ITmTest_Var(p, v, &io, &r);
                /* what the proxy unmarshaled: its by-reference referents are its own */
                oleaut_variant_user_free(&io);
                oleaut_variant_user_free(&r);
                break;
        }
        case 13: {
                SAFEARRAY *a = SafeArrayCreateVector(VT_I4, 0, 1), *io = NULL, *r = NULL;
                (void)ITmTest_Arr(p, a, &io, &r);
                SafeArrayDestroy(a);
                SafeArrayDestroy(io);
                SafeArrayDestroy(r);
                break;
        }
        case 14: {
                IUnknown *ou = NULL;
                IDispatch *od = NULL;
                (void)ITmTest_Itf(p, NULL, NULL, &ou, &od);
                if (ou)
                        IUnknown_Release(ou);
                if (od)
                        IDispatch_Release(od);
                break;
        }
        case 15: {
                ITmTest *o = NULL;
                LONG r;
                (void)ITmTest_Peer(p, NULL, &o, &r);
                if (o)
                        ITmTest_Release(o);
                break;
        }
        case 16: {
                TmColor io = TmRed;
                TmHandle r;
                (void)ITmTest_Enum(p, TmGreen, 1, &io, &r);
                break;
        }
        case 17: {
                LONG v;
                (void)ITmTest_get_Value(p, &v);
                break;
        }
        case 18:
                (void)ITmTest_put_Value(p, 1);
                break;
        case 19:
                (void)ITmTest_Fail(p, 1);
                break;
        case 20: {
                double r;
                (void)ITmTest_Many(p, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 11, 12,
                                   &r);
                break;
        }
        case 21: {
                LONG a = 1;
                double d = 1;
                SHORT s;
                VARIANT_BOOL b = 0;
                BYTE y = 0;
                (void)ITmTest_Refs(p, &a, &d, &s, &b, &y);
                break;
        }
        default:
                (void)ITmTest_Nothing(p);
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        init_once();
        if (size < 1)
                return 0;
        uint16_t opnum = data[0] & 0x7f;
        uint16_t n = (uint16_t)ps->iface->n_ops;
        if (opnum < 7 || opnum >= n)
                opnum = (uint16_t)(7 + opnum % (n - 7));
        if (data[0] & 0x80)
                call_proxy(opnum, data + 1, size - 1);
        else
                serve(opnum, data + 1, size - 1);
        check_refs();
        return 0;
}
