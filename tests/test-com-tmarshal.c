/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The type-library marshaler (src/oleaut/tmarshal.c) against dcomidl's generated proxy
 * and stub for the same interface (tests/tmarshal/tmtest.idl: compiled by dcomidl for
 * the generated code, by widl -t for the type library, registered with RegisterTypeLib
 * in this run's OPENDCOM_ROOT):
 *   - wire: every method called through the four pairs (generated or typelib proxy
 *     against generated or typelib stub) on an in-process loopback channel; each pair's
 *     results are right, and the request bytes (the ORPCTHIS causality ID aside) and
 *     response bytes of the typelib marshaler equal the generated code's, call by call;
 *   - across processes: a server child exports the object (its stub the typelib
 *     marshaler's, found through HKCR\Interface\{iid}\ProxyStubClsid32 = PSOAInterface),
 *     the test unmarshals it (its proxy the typelib marshaler's) and calls every method,
 *     interface pointers going both ways (callbacks into the test); and the mixed pairs
 *     across processes, either side using dcomidl's code instead;
 *   - refusals: an interface that is not registered, not in its library, or with a
 *     record parameter has no proxy (E_NOINTERFACE); a dispinterface is marshaled as IDispatch; an
 * array whose cells are not the declared type's is refused by the stub;
 *   - the cost of a typelib-marshaled call against a generated one (printed).
 */
#define COBJMACROS

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"
#include "tmtest.h"
#include "tmtest_stub.h"
#include "tmarshal/tm-object.h"

/* --- the calls ---------------------------------------------------------------------------- */

/*
 * Every method through p, results checked.  peer and other are objects of the caller's
 * (passed as [in] interface pointers); want_other is what *ou should be when they come
 * back.  inout_kept: the proxy leaves a replaced [in, out] value to the caller to free
 * (dcomidl's does; COM's rule and the typelib marshaler free it).
 */
static void run_calls(ITmTest *p, ITmTest *peer, bool inout_kept) {
        LONGLONG sum = 0;
        ASSERT_HR_EQ(ITmTest_Ints(p, 200, -3, 60000, -100000, 4000000000u, -(1LL << 40), 1ULL << 50,
                                  -7, 9, -5, &sum),
                     S_OK);
        ASSERT_EQ(sum, 200LL - 3 + 60000 - 100000 + 4000000000LL - (1LL << 40) + (1LL << 50) - 7 +
                               9 - 5);

        float of = 0;
        double r8 = 0;
        TMCY cy = {25000};
        ASSERT_HR_EQ(ITmTest_Floats(p, 1.5f, 2.25, 3.0, cy, &of, &r8), S_OK);
        ASSERT_TRUE(of == 3.0f);
        ASSERT_TRUE(r8 == 1.5 + 2.25 + 3.0 + 2.5);

        VARIANT_BOOL nb = 0;
        SCODE sc = 0;
        ASSERT_HR_EQ(ITmTest_Bools(p, VARIANT_TRUE, 41, &nb, &sc), S_OK);
        ASSERT_EQ(nb, VARIANT_FALSE);
        ASSERT_EQ(sc, 42);

        TMDEC d = {0, 2, 0x80, 5, 1000}, io = {0, 0, 0, 1, 1};
        ASSERT_HR_EQ(ITmTest_Dec(p, d, &io, &cy), S_OK);
        ASSERT_EQ(io.Lo64, 1001u);
        ASSERT_EQ(io.Hi32, 6u);
        ASSERT_EQ(io.scale, 2);
        ASSERT_EQ(io.sign, 0x80);
        ASSERT_EQ(cy.int64, 10000);

        BSTR a = SysAllocString(W("ab")), s_io = SysAllocString(W("cde")), s_r = NULL;
        BSTR s_old = s_io;
        ASSERT_HR_EQ(ITmTest_Str(p, a, &s_io, &s_r), S_OK);
        ASSERT_TRUE(bstr_is(s_r, "abcde"));
        ASSERT_TRUE(bstr_is(s_io, "ab"));
        if (inout_kept)
                SysFreeString(s_old);
        SysFreeString(s_io);
        SysFreeString(s_r);
        /* a NULL BSTR travels as one */
        s_io = NULL;
        ASSERT_HR_EQ(ITmTest_Str(p, NULL, &s_io, &s_r), S_OK);
        ASSERT_NULL(s_io);
        ASSERT_EQ(SysStringLen(s_r), 0u);
        SysFreeString(s_r);
        SysFreeString(a);

        VARIANT v, v_io, v_r;
        V_VT(&v) = VT_R8;
        V_R8(&v) = 6.5;
        V_VT(&v_io) = VT_BSTR;
        V_BSTR(&v_io) = SysAllocString(W("old"));
        BSTR v_old = V_BSTR(&v_io);
        VariantInit(&v_r);
        ASSERT_HR_EQ(ITmTest_Var(p, v, &v_io, &v_r), S_OK);
        ASSERT_EQ(V_VT(&v_r), VT_R8);
        ASSERT_TRUE(V_R8(&v_r) == 6.5);
        ASSERT_EQ(V_VT(&v_io), VT_BSTR);
        ASSERT_TRUE(bstr_is(V_BSTR(&v_io), "var"));
        if (inout_kept)
                SysFreeString(v_old);
        VariantClear(&v_io);
        VariantClear(&v_r);

        SAFEARRAY *sa = SafeArrayCreateVector(VT_I4, 0, 3), *sa_io, *sa_r = NULL;
        for (LONG k = 0; k < 3; k++) {
                LONG x = (k + 1) * 10;
                ASSERT_HR_EQ(SafeArrayPutElement(sa, &k, &x), S_OK);
        }
        sa_io = SafeArrayCreateVector(VT_BSTR, 0, 1);
        SAFEARRAY *sa_old = sa_io;
        ASSERT_HR_EQ(ITmTest_Arr(p, sa, &sa_io, &sa_r), S_OK);
        ASSERT_NOT_NULL(sa_io);
        ASSERT_NOT_NULL(sa_r);
        BSTR e = NULL;
        LONG k1 = 1;
        ASSERT_HR_EQ(SafeArrayGetElement(sa_io, &k1, &e), S_OK);
        ASSERT_TRUE(bstr_is(e, "yz"));
        SysFreeString(e);
        LONG k0 = 0;
        ASSERT_HR_EQ(SafeArrayGetElement(sa_r, &k0, &v), S_OK);
        ASSERT_EQ(V_VT(&v), VT_I4);
        ASSERT_EQ(V_I4(&v), 60);
        if (inout_kept)
                SafeArrayDestroy(sa_old);
        SafeArrayDestroy(sa);
        SafeArrayDestroy(sa_io);
        SafeArrayDestroy(sa_r);

        IUnknown *ou = NULL;
        IDispatch *od = NULL;
        ASSERT_HR_EQ(ITmTest_Itf(p, (IUnknown *)peer, (IDispatch *)peer, &ou, &od), S_OK);
        ASSERT_NOT_NULL(ou);
        ASSERT_NOT_NULL(od);
        /* the peer's own interfaces come back (COM identity) */
        ASSERT_TRUE(ou == (IUnknown *)peer);
        ASSERT_TRUE(od == (IDispatch *)peer);
        IUnknown_Release(ou);
        IDispatch_Release(od);
        ASSERT_HR_EQ(ITmTest_Itf(p, NULL, NULL, &ou, &od), S_OK);
        ASSERT_NULL(ou);
        ASSERT_NULL(od);

        ITmTest *back = NULL;
        LONG pv = 0;
        ASSERT_HR_EQ(ITmTest_put_Value(peer, 99), S_OK);
        ASSERT_HR_EQ(ITmTest_Peer(p, peer, &back, &pv), S_OK);
        ASSERT_EQ(pv, 99);
        ASSERT_NOT_NULL(back);
        ASSERT_HR_EQ(ITmTest_put_Value(back, 5), S_OK);
        ITmTest_Release(back);

        TmColor col = TmRed;
        TmHandle hh = 0;
        ASSERT_HR_EQ(ITmTest_Enum(p, TmBlue, 7, &col, &hh), S_OK);
        ASSERT_EQ(hh, 40007);
        ASSERT_EQ(col, TmBlue);

        LONG val = 0;
        ASSERT_HR_EQ(ITmTest_put_Value(p, -12345), S_OK);
        ASSERT_HR_EQ(ITmTest_get_Value(p, &val), S_OK);
        ASSERT_EQ(val, -12345);

        ASSERT_HR_EQ(ITmTest_Fail(p, (LONG)0x80004005), E_FAIL);
        ASSERT_HR_EQ(ITmTest_Fail(p, 1), S_FALSE);

        ASSERT_HR_EQ(ITmTest_Many(p, 1, 0.5, 2, 0.25, 3, 0.125, 4, 1.0, 5, 2.0, 6, 3.0, 7, 4.0, 8,
                                  5.0, 1.5f, 6.0, 9, 1, &r8),
                     S_OK);
        ASSERT_TRUE(r8 == 1 + 20.0 + 300.0 + 4000.0 + 5e4 + 6e5 + 7e6 + 8e7 + 9e8 + 1e9 + 0.5 +
                                  0.5 + 0.375 + 4.0 + 10.0 + 18.0 + 28.0 + 40.0 + 13.5 + 60.0);

        LONG ra = 41;
        double rd = 1.25;
        SHORT rs = 0;
        VARIANT_BOOL rb = VARIANT_FALSE;
        BYTE ry = 254;
        ASSERT_HR_EQ(ITmTest_Refs(p, &ra, &rd, &rs, &rb, &ry), S_OK);
        ASSERT_EQ(ra, 42);
        ASSERT_TRUE(rd == 2.5);
        ASSERT_EQ(rs, 7);
        ASSERT_EQ(rb, VARIANT_TRUE);
        ASSERT_EQ(ry, 1);

        ASSERT_HR_EQ(ITmTest_Nothing(p), S_OK);
}

/* --- the loopback channel: a proxy's request straight into a stub ----------------------------- */

#define MAX_REC 64

struct rec {
        uint8_t *req, *resp;
        size_t req_len, resp_len;
        uint16_t opnum;
};

struct loop {
        const struct ndr_interface *tm_stub; /* NULL: the generated stub */
        int (*gen_dispatch)(struct ndr_server_call *call, uint32_t opnum); /* NULL: ITmTest's */
        ITmTest *obj;
        struct rec recs[MAX_REC];
        unsigned n;
        bool may_fail; /* the stub's failure is the call's */
};

static uint8_t *dup_bytes(const void *p, size_t n) {
        uint8_t *d = malloc(n ? n : 1);
        ASSERT_NOT_NULL(d);
        memcpy(d, p, n);
        return d;
}

static int loop_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct loop *L = b->ctx;
        struct ndr_pull sin;
        struct ndr_push sout;
        struct arena sa;
        int r;

        ASSERT_OK(ndr_push_error(in));
        ASSERT_LT(L->n, MAX_REC);
        struct rec *rc = &L->recs[L->n++];
        rc->opnum = opnum;
        rc->req_len = in->buf.len;
        rc->req = dup_bytes(in->buf.data, in->buf.len);
        ASSERT_GE(rc->req_len, 32u);
        memset(rc->req + 12, 0, 16); /* ORPCTHIS.cid: new for every call */
        arena_init(&sa, 1 << 20);
        ndr_push_init(&sout, 0);
        ASSERT_OK(ndr_pull_init(&sin, in->buf.data, in->buf.len, NULL, &sa));
        /* a server's call owns the interface pointers it handles, as the runtime's does */
        sin.release_ifaces = true;
        sout.release_ifaces = true;
        struct ndr_server_call call = {.in = &sin,
                                       .out = &sout,
                                       .arena = &sa,
                                       .impl = L->obj,
                                       .iface = L->tm_stub,
                                       .opnum = opnum};
        if (L->tm_stub) {
                ASSERT_LT(opnum, L->tm_stub->n_ops);
                ASSERT_NOT_NULL(L->tm_stub->ops[opnum].dispatch);
                r = L->tm_stub->ops[opnum].dispatch(&call);
        } else {
                r = (L->gen_dispatch ? L->gen_dispatch : ITmTest_stub_dispatch)(&call, opnum);
        }
        if (r < 0 && L->may_fail) {
                ndr_push_free(&sout);
                arena_reset(&sa);
                L->n--;
                free(rc->req);
                return r;
        }
        ASSERT_OK(r);
        rc->resp_len = sout.buf.len;
        rc->resp = dup_bytes(sout.buf.data, sout.buf.len);
        ndr_push_free(&sout);
        arena_reset(&sa);
        uint8_t *p = arena_alloc(arena, rc->resp_len ? rc->resp_len : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, rc->resp, rc->resp_len);
        return ndr_pull_init(out, p, rc->resp_len, NULL, arena);
}

static void loop_free(struct loop *L) {
        for (unsigned i = 0; i < L->n; i++) {
                free(L->recs[i].req);
                free(L->recs[i].resp);
        }
        L->n = 0;
}

/* The proxy manager's IUnknown for a loopback proxy: the test owns the proxy. */
static HRESULT lp_qi(struct com_proxy *px, const IID *riid, void **ppv) {
        *ppv = px;
        return S_OK;
}

static ULONG lp_ref(struct com_proxy *px) {
        return 1;
}

static const struct com_proxy_unknown lp_unk = {lp_qi, lp_ref, lp_ref};

/* Interface pointers in-process: an OBJREF naming one of these objects (and back). */
static IUnknown *iface_table[8];
static unsigned n_ifaces;

static int fake_marshal(const GUID *iid, void *obj, struct arena *a, uint8_t **ret, uint32_t *len) {
        unsigned i;
        for (i = 0; i < n_ifaces && iface_table[i] != obj; i++)
                ;
        if (i == n_ifaces) {
                ASSERT_LT(n_ifaces, 8u);
                iface_table[n_ifaces++] = obj;
        }
        uint8_t *p = arena_alloc(a, 4 + sizeof(GUID));
        p[0] = 'M';
        p[1] = 'E';
        p[2] = 'O';
        p[3] = (uint8_t)i;
        memcpy(p + 4, iid, sizeof(GUID));
        *ret = p;
        *len = 4 + sizeof(GUID);
        return 0;
}

static int fake_unmarshal(const GUID *iid, const uint8_t *objref, uint32_t len, void **ret) {
        if (len != 4 + sizeof(GUID) || memcmp(objref, "MEO", 3) != 0 || objref[3] >= n_ifaces ||
            memcmp(objref + 4, iid, sizeof(GUID)) != 0)
                return -EBADMSG;
        *ret = iface_table[objref[3]];
        IUnknown_AddRef((IUnknown *)*ret);
        return 0;
}

static void fake_release(void *obj) {
        IUnknown_Release((IUnknown *)obj);
}

static const struct ndr_iface_hooks fake_hooks = { .marshal = fake_marshal, .unmarshal = fake_unmarshal, .release = fake_release };

static void register_tlb(void) {
        const char *tlb = getenv("TMTEST_TLB");
        ITypeLib *tl = NULL;

        if (!tlb || access(tlb, R_OK) != 0)
                SKIP("no widl-made type library (Debian package wine64-tools)");
        ASSERT_HR_EQ(LoadTypeLibEx(W(tlb), REGKIND_REGISTER, &tl), S_OK);
        ITypeLib_Release(tl);
}

static const struct com_ps *tm_ps(void) {
        const struct com_ps *ps = com_ps_find(&IID_ITmTest);
        ASSERT_NOT_NULL(ps);
        /* the typelib marshaler's, not the generated code linked in here */
        ASSERT_TRUE(ps->proxy_vtbl != (const void *)&ITmTest_ProxyVtbl);
        ASSERT_TRUE(ps->iface != &ITmTest_p_interface);
        ASSERT_EQ(ps->iface->n_ops, ITmTest_p_interface.n_ops);
        return ps;
}

TEST(wire_equals_generated) {
        struct tmobj obj = {{&obj_vtbl}, 1, 0, 0}, peer = {{&obj_vtbl}, 1, 0, 0};
        static struct loop loops[4];
        struct ndr_binding chans[4];

        register_tlb();
        const struct com_ps *ps = tm_ps();
        ndr_set_iface_hooks(&fake_hooks);
        /* [0] gen/gen, [1] tm proxy/gen stub, [2] gen proxy/tm stub, [3] tm/tm */
        for (int i = 0; i < 4; i++) {
                bool tm_proxy = i & 1, tm_stub = i & 2;
                struct com_proxy px = {
                        .lpVtbl = tm_proxy ? ps->proxy_vtbl : (const void *)&ITmTest_ProxyVtbl,
                        .channel = &chans[i],
                        .iface = tm_proxy ? ps->iface : &ITmTest_p_interface,
                        .unk = &lp_unk,
                };
                loops[i] = (struct loop){.tm_stub = tm_stub ? ps->iface : NULL,
                                         .obj = &obj.ITmTest_iface};
                chans[i] = (struct ndr_binding){.call = loop_call, .ctx = &loops[i]};
                void *pv = &px;
                printf("# pair %d\n", i);
                run_calls(pv, &peer.ITmTest_iface, !tm_proxy);
                printf("# pair %d (%s proxy, %s stub): %u calls\n", i,
                       tm_proxy ? "typelib" : "generated", tm_stub ? "typelib" : "generated",
                       loops[i].n);
        }
        /* every reference given back: the objects hold only their own */
        ASSERT_EQ(obj.refs, 1);
        ASSERT_EQ(peer.refs, 1);
        ASSERT_EQ(obj.nothing_calls, 4u);
        for (int i = 1; i < 4; i++) {
                ASSERT_EQ(loops[i].n, loops[0].n);
                for (unsigned c = 0; c < loops[0].n; c++) {
                        const struct rec *g = &loops[0].recs[c], *t = &loops[i].recs[c];
                        ASSERT_EQ(t->opnum, g->opnum);
                        /* requests depend on the proxy, responses on the stub */
                        ASSERT_EQ(t->req_len, g->req_len);
                        ASSERT_MEM_EQ(t->req, g->req, g->req_len);
                        ASSERT_EQ(t->resp_len, g->resp_len);
                        ASSERT_MEM_EQ(t->resp, g->resp, g->resp_len);
                }
        }
        /* fuzz-tmarshal's seeds: each request (byte 0 its opnum) and response (0x80 |
           opnum), written where TMTEST_CORPUS_DIR says */
        const char *dir = getenv("TMTEST_CORPUS_DIR");
        for (unsigned c = 0; dir && c < loops[0].n; c++) {
                for (int side = 0; side < 2; side++) {
                        const struct rec *g = &loops[0].recs[c];
                        char path[512];
                        snprintf(path, sizeof path, "%s/%s-%02u", dir, side ? "resp" : "req", c);
                        FILE *f = fopen(path, "wb");
                        ASSERT_NOT_NULL(f);
                        fputc((side ? 0x80 : 0) | g->opnum, f);
                        fwrite(side ? g->resp : g->req, 1, side ? g->resp_len : g->req_len, f);
                        fclose(f);
                }
        }
        for (int i = 0; i < 4; i++)
                loop_free(&loops[i]);
        ndr_set_iface_hooks(NULL);
        n_ifaces = 0;
}

/* A typelib-marshaled call's cost against a generated one's, on the loopback. */
TEST(cost) {
        struct tmobj obj = {{&obj_vtbl}, 1, 0, 0};
        static struct loop loop;
        struct ndr_binding chan = { .call = loop_call, .ctx = &loop };
        struct timespec t0, t1;
        double best[2][2] = {{1e30, 1e30}, {1e30, 1e30}};
        const int N = 5000, ROUNDS = 5;
        BSTR a = SysAllocString(W("some text"));

        register_tlb();
        const struct com_ps *ps = tm_ps();
        /* rounds alternate the two, and the best of each is kept: the machine is shared */
        for (int round = 0; round < ROUNDS; round++)
                for (int i = 0; i < 2; i++)
                        for (int what = 0; what < 2; what++) {
                                struct com_proxy px = {
                                        .lpVtbl = i ? ps->proxy_vtbl
                                                    : (const void *)&ITmTest_ProxyVtbl,
                                        .channel = &chan,
                                        .iface = i ? ps->iface : &ITmTest_p_interface,
                                        .unk = &lp_unk,
                                };
                                loop = (struct loop){.tm_stub = i ? ps->iface : NULL,
                                                     .obj = &obj.ITmTest_iface};
                                void *pv = &px;
                                ITmTest *P = pv;
                                clock_gettime(CLOCK_MONOTONIC, &t0);
                                for (int k = 0; k < N; k++) {
                                        if (what == 0) {
                                                LONG ra = 1;
                                                double rd = 1;
                                                SHORT rs;
                                                VARIANT_BOOL rb = 0;
                                                BYTE ry = 0;
                                                ASSERT_HR_EQ(
                                                        ITmTest_Refs(P, &ra, &rd, &rs, &rb, &ry),
                                                        S_OK);
                                        } else {
                                                BSTR io = SysAllocString(W("io")), r = NULL;
                                                BSTR old = io;
                                                ASSERT_HR_EQ(ITmTest_Str(P, a, &io, &r), S_OK);
                                                if (!i) /* dcomidl's proxy keeps it */
                                                        SysFreeString(old);
                                                SysFreeString(io);
                                                SysFreeString(r);
                                        }
                                        loop_free(&loop);
                                }
                                clock_gettime(CLOCK_MONOTONIC, &t1);
                                double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
                                             (double)(t1.tv_nsec - t0.tv_nsec)) /
                                            N;
                                if (ns < best[what][i])
                                        best[what][i] = ns;
                        }
        SysFreeString(a);
        printf("# on the loopback, proxy + stub, best of %d rounds of %d calls:\n", ROUNDS, N);
        printf("#   Refs (5 [in, out] scalars): generated %.0f ns, typelib %.0f ns (%.2fx)\n",
               best[0][0], best[0][1], best[0][1] / best[0][0]);
        printf("#   Str (BSTR in, [in, out], [out]): generated %.0f ns, typelib %.0f ns (%.2fx)\n",
               best[1][0], best[1][1], best[1][1] / best[1][0]);
}

/* --- an [oleautomation] interface on IUnknown, and one deriving from it -------------------- */

struct derived {
        ITmDerived ITmDerived_iface;
        LONG refs;
};

static HRESULT STDMETHODCALLTYPE d_QueryInterface(ITmDerived *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ITmPlain) ||
            IsEqualIID(riid, &IID_ITmDerived)) {
                *ppv = This;
                ITmDerived_AddRef(This);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE d_AddRef(ITmDerived *This) {
        return (ULONG)++((struct derived *)This)->refs;
}

static ULONG STDMETHODCALLTYPE d_Release(ITmDerived *This) {
        return (ULONG)--((struct derived *)This)->refs;
}

static HRESULT STDMETHODCALLTYPE d_Add(ITmDerived *This, LONG a, LONG b, LONG *r) {
        *r = a + b;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE d_Name(ITmDerived *This, LONG n, BSTR *s) {
        char buf[32];
        snprintf(buf, sizeof buf, "n=%d", (int)n);
        *s = SysAllocString(W(buf));
        return n < 0 ? E_INVALIDARG : S_OK;
}

static HRESULT STDMETHODCALLTYPE d_Twice(ITmDerived *This, double x, double *r) {
        *r = 2 * x;
        return S_OK;
}

static const ITmDerivedVtbl derived_vtbl = {
        d_QueryInterface, d_AddRef, d_Release, d_Add, d_Name, d_Twice,
};

/* Both through the typelib marshaler and through dcomidl's code: the same bytes. */
TEST(bases) {
        struct derived obj = {{&derived_vtbl}, 1};
        static struct loop loops[2];
        struct ndr_binding chans[2];

        register_tlb();
        const struct com_ps *plain = com_ps_find(&IID_ITmPlain);
        const struct com_ps *derived = com_ps_find(&IID_ITmDerived);
        ASSERT_NOT_NULL(plain);
        ASSERT_NOT_NULL(derived);
        ASSERT_TRUE(plain->proxy_vtbl != (const void *)&ITmPlain_ProxyVtbl);
        ASSERT_TRUE(derived->proxy_vtbl != (const void *)&ITmDerived_ProxyVtbl);
        ASSERT_EQ(plain->iface->n_ops, 5u);
        ASSERT_EQ(derived->iface->n_ops, 6u);
        for (int i = 0; i < 2; i++) {
                bool tm = i == 1;
                struct com_proxy px = {
                        .lpVtbl = tm ? derived->proxy_vtbl : (const void *)&ITmDerived_ProxyVtbl,
                        .channel = &chans[i],
                        .iface = tm ? derived->iface : &ITmDerived_p_interface,
                        .unk = &lp_unk,
                };
                loops[i] = (struct loop){.tm_stub = tm ? derived->iface : NULL,
                                         .gen_dispatch = ITmDerived_stub_dispatch,
                                         .obj = (ITmTest *)(void *)&obj.ITmDerived_iface};
                chans[i] = (struct ndr_binding){.call = loop_call, .ctx = &loops[i]};
                void *pv = &px;
                ITmDerived *P = pv;
                LONG r = 0;
                double d = 0;
                BSTR s = NULL;
                ASSERT_HR_EQ(ITmDerived_Add(P, 40, 2, &r), S_OK);
                ASSERT_EQ(r, 42);
                ASSERT_HR_EQ(ITmDerived_Name(P, 7, &s), S_OK);
                ASSERT_TRUE(bstr_is(s, "n=7"));
                SysFreeString(s);
                ASSERT_HR_EQ(ITmDerived_Name(P, -1, &s), E_INVALIDARG);
                ASSERT_TRUE(bstr_is(s, "n=-1"));
                SysFreeString(s);
                ASSERT_HR_EQ(ITmDerived_Twice(P, 1.25, &d), S_OK);
                ASSERT_TRUE(d == 2.5);
        }
        ASSERT_EQ(loops[1].n, loops[0].n);
        for (unsigned c = 0; c < loops[0].n; c++) {
                ASSERT_EQ(loops[1].recs[c].req_len, loops[0].recs[c].req_len);
                ASSERT_MEM_EQ(loops[1].recs[c].req, loops[0].recs[c].req, loops[0].recs[c].req_len);
                ASSERT_EQ(loops[1].recs[c].resp_len, loops[0].recs[c].resp_len);
                ASSERT_MEM_EQ(loops[1].recs[c].resp, loops[0].recs[c].resp,
                              loops[0].recs[c].resp_len);
        }
        loop_free(&loops[0]);
        loop_free(&loops[1]);
        ASSERT_EQ(obj.refs, 1);
}

/* --- methods that return no HRESULT (only the type library describes ITmRet) -------------- */

static const IID IID_ITmRet_ = {
        0x5a7d2c10, 0x9e0b, 0x4c7f, {0x8b, 0x1e, 0x2f, 0x6a, 0x3d, 0x4c, 0x5b, 0x23}};

typedef struct ITmRet ITmRet;
typedef struct {
        HRESULT(STDMETHODCALLTYPE *QueryInterface)(ITmRet *This, REFIID riid, void **ppv);
        ULONG(STDMETHODCALLTYPE *AddRef)(ITmRet *This);
        ULONG(STDMETHODCALLTYPE *Release)(ITmRet *This);
        LONG(STDMETHODCALLTYPE *Sum2)(ITmRet *This, LONG a, SHORT b);
        void(STDMETHODCALLTYPE *Poke)(ITmRet *This, LONG v);
        LONGLONG(STDMETHODCALLTYPE *Big)(ITmRet *This, double x);
} ITmRetVtbl;
struct ITmRet {
        const ITmRetVtbl *lpVtbl;
};

struct retobj {
        ITmRet ITmRet_iface;
        LONG refs, poked;
};

static HRESULT STDMETHODCALLTYPE r_QueryInterface(ITmRet *This, REFIID riid, void **ppv) {
        *ppv = This;
        return S_OK;
}

static ULONG STDMETHODCALLTYPE r_AddRef(ITmRet *This) {
        return 2;
}

static LONG STDMETHODCALLTYPE r_Sum2(ITmRet *This, LONG a, SHORT b) {
        return a + b;
}

static void STDMETHODCALLTYPE r_Poke(ITmRet *This, LONG v) {
        ((struct retobj *)This)->poked = v;
}

static LONGLONG STDMETHODCALLTYPE r_Big(ITmRet *This, double x) {
        return (LONGLONG)(x * 4294967296.0);
}

static const ITmRetVtbl ret_vtbl = {r_QueryInterface, r_AddRef, r_AddRef, r_Sum2, r_Poke, r_Big};

/* The value comes back as the method's return value; a void method is called. */
TEST(non_hresult_returns) {
        struct retobj obj = {{&ret_vtbl}, 1, 0};
        static struct loop loop;
        struct ndr_binding chan = { .call = loop_call, .ctx = &loop };

        register_tlb();
        const struct com_ps *ps = com_ps_find(&IID_ITmRet_);
        ASSERT_NOT_NULL(ps);
        struct com_proxy px = {
                .lpVtbl = ps->proxy_vtbl, .channel = &chan, .iface = ps->iface, .unk = &lp_unk};
        loop = (struct loop){.tm_stub = ps->iface, .obj = (ITmTest *)(void *)&obj.ITmRet_iface};
        void *pv = &px;
        ITmRet *P = pv;
        ASSERT_EQ(P->lpVtbl->Sum2(P, 40000, -2), 39998);
        P->lpVtbl->Poke(P, 77);
        ASSERT_EQ(obj.poked, 77);
        ASSERT_EQ(P->lpVtbl->Big(P, -2.5), -(5LL << 31));
        /* the wire: ORPCTHAT, then the value as MIDL sends a LONG (4 bytes) / nothing */
        ASSERT_EQ(loop.n, 3u);
        ASSERT_EQ(loop.recs[0].resp_len, 8u + 4u);
        ASSERT_EQ(loop.recs[1].resp_len, 8u);
        ASSERT_EQ(loop.recs[2].resp_len, 8u + 8u);
        loop_free(&loop);
}

/* A SAFEARRAY(LONG) parameter that comes as an array of BSTRs: the stub refuses it. */
TEST(array_type_checked) {
        struct tmobj obj = {{&obj_vtbl}, 1, 0, 0};
        static struct loop loop;
        struct ndr_binding chan = { .call = loop_call, .ctx = &loop };

        register_tlb();
        const struct com_ps *ps = tm_ps();
        struct com_proxy px = {.lpVtbl = &ITmTest_ProxyVtbl,
                               .channel = &chan,
                               .iface = &ITmTest_p_interface,
                               .unk = &lp_unk};
        loop = (struct loop){.tm_stub = ps->iface, .obj = &obj.ITmTest_iface, .may_fail = true};
        void *pv = &px;
        ITmTest *P = pv;
        SAFEARRAY *a = SafeArrayCreateVector(VT_BSTR, 0, 2), *io = NULL, *r = NULL;
        ASSERT_TRUE(FAILED(ITmTest_Arr(P, a, &io, &r)));
        ASSERT_NULL(r);
        SafeArrayDestroy(a);
        SafeArrayDestroy(io);
        /* the right type goes through */
        a = SafeArrayCreateVector(VT_I4, 0, 2);
        ASSERT_HR_EQ(ITmTest_Arr(P, a, &io, &r), S_OK);
        SafeArrayDestroy(a);
        SafeArrayDestroy(io);
        SafeArrayDestroy(r);
        loop_free(&loop);
        ASSERT_EQ(obj.refs, 1);
}

TEST(refusals) {
        static const IID unregistered = {
                0x5a7d2c10, 0x9e0b, 0x4c7f, {0x8b, 0x1e, 0x2f, 0x6a, 0x3d, 0x4c, 0x5b, 0x99}};
        WCHAR key[128];

        register_tlb();
        ASSERT_NULL(com_ps_find(&unregistered));
        /* registered (RegisterTypeLib did), but a record parameter: not marshaled */
        ASSERT_NULL(com_ps_find(&IID_ITmRecord));
        /* registered as typelib-marshaled, but its library does not describe it */
        const char *k = "Interface\\{5A7D2C10-9E0B-4C7F-8B1E-2F6A3D4C5B98}";
        size_t i;
        for (i = 0; k[i]; i++)
                key[i] = (WCHAR)(unsigned char)k[i];
        key[i] = 0;
        static const IID missing = {
                0x5a7d2c10, 0x9e0b, 0x4c7f, {0x8b, 0x1e, 0x2f, 0x6a, 0x3d, 0x4c, 0x5b, 0x98}};
        WCHAR sub[160];
        memcpy(sub, key, (i + 1) * sizeof(WCHAR));
        const char *ps = "\\ProxyStubClsid32";
        size_t j;
        for (j = 0; ps[j]; j++)
                sub[i + j] = (WCHAR)(unsigned char)ps[j];
        sub[i + j] = 0;
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, sub, NULL, REG_SZ,
                                  W("{00020424-0000-0000-C000-000000000046}"), 39 * sizeof(WCHAR)),
                  ERROR_SUCCESS);
        const char *tl = "\\TypeLib";
        for (j = 0; tl[j]; j++)
                sub[i + j] = (WCHAR)(unsigned char)tl[j];
        sub[i + j] = 0;
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, sub, NULL, REG_SZ,
                                  W("{5A7D2C10-9E0B-4C7F-8B1E-2F6A3D4C5B00}"), 39 * sizeof(WCHAR)),
                  ERROR_SUCCESS);
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, sub, W("Version"), REG_SZ, W("1.0"),
                                  4 * sizeof(WCHAR)),
                  ERROR_SUCCESS);
        ASSERT_NULL(com_ps_find(&missing));
        /* a dispinterface: IDispatch's proxy and stub under its IID */
        static const IID dispif = {
                0x5a7d2c10, 0x9e0b, 0x4c7f, {0x8b, 0x1e, 0x2f, 0x6a, 0x3d, 0x4c, 0x5b, 0x97}};
        const char *dk = "Interface\\{5A7D2C10-9E0B-4C7F-8B1E-2F6A3D4C5B97}\\ProxyStubClsid32";
        for (i = 0; dk[i]; i++)
                key[i] = (WCHAR)(unsigned char)dk[i];
        key[i] = 0;
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, key, NULL, REG_SZ,
                                  W("{00020420-0000-0000-C000-000000000046}"), 39 * sizeof(WCHAR)),
                  ERROR_SUCCESS);
        const struct com_ps *d = com_ps_find(&dispif);
        ASSERT_NOT_NULL(d);
        ASSERT_TRUE(d->proxy_vtbl == com_ps_find(&IID_IDispatch)->proxy_vtbl);
        ASSERT_EQ(d->iface->n_ops, 7u);
}

/* --- across processes ------------------------------------------------------------------------ */

/* generated: the process uses dcomidl's proxy and stub for ITmTest, not the typelib's */
static _Noreturn void server_main(int in, int out, bool generated) {
        static struct tmobj obj = {{&obj_vtbl}, 1, 0, 0};

        if (generated)
                ASSERT_OK(com_ps_register(&ITmTest_ProxyVtbl, &ITmTest_p_interface));
        IStream *stm;
        HGLOBAL h;
        STATSTG st;
        uint8_t cmd;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(CoMarshalInterface(stm, &IID_ITmTest, (IUnknown *)&obj.ITmTest_iface,
                                     MSHCTX_LOCAL, NULL, MSHLFLAGS_NORMAL));
        ASSERT_OK(GetHGlobalFromStream(stm, &h));
        ASSERT_OK(IStream_Stat(stm, &st, STATFLAG_NONAME));
        uint32_t len = (uint32_t)st.cbSize.QuadPart;
        xwrite(out, &len, sizeof len);
        xwrite(out, GlobalLock(h), len);
        GlobalUnlock(h);
        IStream_Release(stm);
        while (read(in, &cmd, 1) == 1)
                ;
        uint32_t calls = obj.nothing_calls;
        xwrite(out, &calls, sizeof calls);
        CoUninitialize();
        _exit(0);
}

/* client_gen, server_gen: which side uses dcomidl's code instead of the typelib's */
static void across(bool client_gen, bool server_gen) {
        struct tmobj peer = {{&obj_vtbl}, 1, 0, 0};
        int a[2], b[2], status;
        uint8_t buf[4096];
        uint32_t len, calls = 0;
        ITmTest *p = NULL;
        IStream *stm;
        LARGE_INTEGER zero = {.QuadPart = 0};

        register_tlb();
        rpcss_start();
        ASSERT_OK(pipe(a));
        ASSERT_OK(pipe(b));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(a[1]);
                close(b[0]);
                server_main(a[0], b[1], server_gen);
        }
        close(a[0]);
        close(b[1]);
        if (client_gen)
                ASSERT_OK(com_ps_register(&ITmTest_ProxyVtbl, &ITmTest_p_interface));
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        xread(b[0], &len, sizeof len);
        ASSERT_LE(len, sizeof buf);
        xread(b[0], buf, len);
        ASSERT_OK(CreateStreamOnHGlobal(NULL, TRUE, &stm));
        ASSERT_OK(IStream_Write(stm, buf, len, NULL));
        ASSERT_OK(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL));
        ASSERT_HR_EQ(CoUnmarshalInterface(stm, &IID_ITmTest, (void **)&p), S_OK);
        IStream_Release(stm);
        ASSERT_NOT_NULL(p);
        /* the proxy is the typelib marshaler's (or the generated one asked for) */
        const struct com_ps *ps = com_ps_find(&IID_ITmTest);
        ASSERT_NOT_NULL(ps);
        ASSERT_TRUE(*(const void **)p == ps->proxy_vtbl);
        ASSERT_TRUE((ps->proxy_vtbl == (const void *)&ITmTest_ProxyVtbl) == client_gen);

        run_calls(p, &peer.ITmTest_iface, client_gen);
        run_calls(p, &peer.ITmTest_iface, client_gen);

        /* a dual interface's IDispatch part goes through the IDispatch proxy */
        UINT n = 7;
        ASSERT_HR_EQ(ITmTest_GetTypeInfoCount(p, &n), S_OK);
        ASSERT_EQ(n, 0u);
        ITmTest_Release(p);
        close(a[1]);
        xread(b[0], &calls, sizeof calls);
        close(b[0]);
        ASSERT_EQ(calls, 2u);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CoUninitialize();
        ASSERT_EQ(peer.refs, 1);
        rpcss_stop();
}

TEST(across_processes) {
        across(false, false);
}

/* the mixed pairs across processes: the typelib marshaler's proxy against dcomidl's stub,
   and dcomidl's proxy against the typelib marshaler's stub */
TEST(across_processes_generated_stub) {
        across(false, true);
}

TEST(across_processes_generated_proxy) {
        across(true, false);
}
