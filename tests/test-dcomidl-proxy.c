/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's proxies and stubs for object interfaces (tests/dcomidl/obj.idl through
 * dcomidl_proxy_gen): a real object implementing IObjTest2 in C sits behind the
 * generated stub dispatch; a proxy object whose lpVtbl is the generated
 * IObjTest2_ProxyVtbl calls it through COBJMACROS over a loopback channel.  Checked:
 * ORPCTHIS opens every request and ORPCTHAT every response ([MS-DCOM] 2.2.13.3/4; the
 * encodings impacket 0.10's dcomrt.ORPCTHIS/ORPCTHAT produce, captured offline), the
 * opnums (IUnknown's three first, inherited methods keep theirs), [propget]/[propput],
 * IUnknown's methods going to the proxy manager, HRESULTs and [retval], failures as
 * HRESULTs, a foreign major version refused, and interface pointers with [iid_is].
 */
#define COBJMACROS
#include "obj_stub.h"
#include "test.h"

/* --- the object ------------------------------------------------------------------------ */

struct obj {
        IObjTest2 iface;
        LONG value;
        unsigned calls;
};

static struct obj *impl(IObjTest2 *This) {
        return (struct obj *)This;
}

static HRESULT STDMETHODCALLTYPE o_qi(IObjTest2 *This, REFIID riid, void **ppv) {
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE o_addref(IObjTest2 *This) {
        return 2;
}

static ULONG STDMETHODCALLTYPE o_release(IObjTest2 *This) {
        return 1;
}

static HRESULT STDMETHODCALLTYPE o_add(IObjTest2 *This, LONG a, LONG b, LONG *sum) {
        impl(This)->calls++;
        *sum = a + b;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_greet(IObjTest2 *This, const WCHAR *name, WCHAR **greeting) {
        size_t n = 0;
        impl(This)->calls++;
        while (name[n])
                n++;
        *greeting = midl_user_allocate((n + 2) * sizeof(WCHAR));
        if (!*greeting)
                return E_OUTOFMEMORY;
        (*greeting)[0] = '>';
        memcpy(*greeting + 1, name, (n + 1) * sizeof(WCHAR));
        return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE o_sum(IObjTest2 *This, ULONG n, const LONG *v, LONG *ret) {
        LONG s = 0;
        impl(This)->calls++;
        for (ULONG i = 0; i < n; i++)
                s += v[i];
        *ret = s;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_get_value(IObjTest2 *This, LONG *v) {
        *v = impl(This)->value;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_put_value(IObjTest2 *This, LONG v) {
        impl(This)->value = v;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_pair(IObjTest2 *This, OBJ_PAIR *p) {
        p->a *= 2;
        p->label = midl_user_allocate(3 * sizeof(WCHAR));
        if (!p->label)
                return E_OUTOFMEMORY;
        p->label[0] = 'o';
        p->label[1] = 'k';
        p->label[2] = 0;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_fail(IObjTest2 *This, HRESULT hr) {
        return hr;
}

static HRESULT STDMETHODCALLTYPE o_twice(IObjTest2 *This, LONG x, LONG *y) {
        *y = 2 * x;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_peer(IObjTest2 *This, REFIID riid, void **ppv) {
        *ppv = (void *)(uintptr_t)0x42;
        return S_OK;
}

static const IObjTest2Vtbl obj_vtbl = {
        o_qi, o_addref, o_release, o_add, o_greet, o_sum, o_get_value, o_put_value, o_pair, o_fail,
        o_twice, o_peer,
};

static struct obj object = { { &obj_vtbl }, 0, 0 };

/* --- the channel: loopback into the stub ----------------------------------------------- */

static uint8_t req[4096], resp[4096];
static size_t req_len, resp_len;
static uint16_t last_opnum;
static const struct ndr_interface *last_iface;
static size_t resp_cut;
static bool bump_version;

static int chan_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct ndr_pull sin;
        struct ndr_push sout;
        struct arena sa;
        int r;

        ASSERT_OK(ndr_push_error(in));
        req_len = in->buf.len;
        ASSERT_LE(req_len, sizeof req);
        memcpy(req, in->buf.data, req_len);
        if (bump_version)
                req[0] = 6;
        last_opnum = opnum;
        last_iface = iface;
        arena_init(&sa, 1 << 20);
        ndr_push_init(&sout, 0);
        ASSERT_OK(ndr_pull_init(&sin, req, req_len, NULL, &sa));
        struct ndr_server_call call = { .in = &sin, .out = &sout, .arena = &sa, .impl = &object };
        r = IObjTest2_stub_dispatch(&call, opnum);
        if (r >= 0) {
                resp_len = sout.buf.len;
                ASSERT_LE(resp_len, sizeof resp);
                memcpy(resp, sout.buf.data, resp_len);
        }
        ndr_push_free(&sout);
        arena_reset(&sa);
        if (r < 0)
                return r;
        size_t n = resp_cut ? resp_cut : resp_len;
        uint8_t *p = arena_alloc(arena, n ? n : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, resp, n);
        return ndr_pull_init(out, p, n, NULL, arena);
}

static struct ndr_binding channel = { .call = chan_call, .ctx = NULL };

/* --- the proxy manager's IUnknown ------------------------------------------------------ */

static unsigned refs, qis;

static HRESULT pm_qi(struct com_proxy *px, const IID *riid, void **ppv) {
        qis++;
        *ppv = px;
        refs++;
        return S_OK;
}

static ULONG pm_addref(struct com_proxy *px) {
        return ++refs;
}

static ULONG pm_release(struct com_proxy *px) {
        return --refs;
}

static const struct com_proxy_unknown pm = { pm_qi, pm_addref, pm_release };

static struct com_proxy proxy = { &IObjTest2_ProxyVtbl, &channel, &IObjTest2_p_interface, &pm, NULL };

/* The proxy as its callers see it: an IObjTest2 * (its lpVtbl is the proxy vtable). */
static IObjTest2 *P;

static void __attribute__((constructor)) make_proxy(void) {
        P = (IObjTest2 *)(void *)&proxy;
}

/* ORPCTHIS as impacket encodes it (cid 01..10), and ORPCTHAT */
static const uint8_t impacket_this_head[] = { 0x05, 0x00, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t impacket_that[] = { 0, 0, 0, 0, 0, 0, 0, 0 };

TEST(add_through_proxy) {
        static const uint8_t args[] = { 0x28, 0, 0, 0, 0x02, 0, 0, 0 };
        static const uint8_t out[] = { 0x2a, 0, 0, 0, 0, 0, 0, 0 };    /* sum, S_OK */
        LONG sum = 0;

        object.calls = 0;
        ASSERT_HR_EQ(IObjTest2_Add(P, 40, 2, &sum), S_OK);
        ASSERT_EQ(sum, 42);
        ASSERT_EQ(object.calls, 1);
        ASSERT_EQ(last_opnum, 3);               /* after IUnknown's three */
        ASSERT_TRUE(last_iface == &IObjTest2_p_interface);     /* the derived interface's */
        /* ORPCTHIS: version 5.7, flags 0, reserved 0, a random cid, no extensions */
        ASSERT_EQ(req_len, 32 + sizeof args);
        ASSERT_MEM_EQ(req, impacket_this_head, sizeof impacket_this_head);
        ASSERT_EQ(req[19] & 0xf0, 0x40);        /* a version 4 GUID (Data3, little-endian) */
        ASSERT_MEM_EQ(req + 28, "\0\0\0\0", 4); /* extensions: NULL */
        ASSERT_MEM_EQ(req + 32, args, sizeof args);
        ASSERT_EQ(resp_len, 8 + sizeof out);
        ASSERT_MEM_EQ(resp, impacket_that, 8);
        ASSERT_MEM_EQ(resp + 8, out, sizeof out);
        /* two calls, two causality IDs */
        uint8_t cid[16];
        memcpy(cid, req + 12, 16);
        ASSERT_HR_EQ(IObjTest2_Add(P, 1, 1, &sum), S_OK);
        ASSERT_TRUE(memcmp(cid, req + 12, 16) != 0);
        /* NULL [out]: the caller's error, as Windows reports it */
        ASSERT_HR_EQ(IObjTest2_Add(P, 1, 1, NULL), 0x800706F4);        /* RPC_X_NULL_REF_POINTER */
}

TEST(strings_retval_properties) {
        static const WCHAR bob[] = { 'b', 'o', 'b', 0 };
        WCHAR *g = NULL;
        const LONG v[] = { 1, 2, 3 };
        LONG ret = 0;

        ASSERT_HR_EQ(IObjTest2_Greet(P, bob, &g), S_FALSE);
        ASSERT_NOT_NULL(g);
        ASSERT_EQ(g[0], '>');
        ASSERT_EQ(g[3], 'b');
        ASSERT_EQ(g[4], 0);
        midl_user_free(g);
        ASSERT_EQ(last_opnum, 4);
        ASSERT_HR_EQ(IObjTest2_Sum(P, 3, v, &ret), S_OK);
        ASSERT_EQ(ret, 6);
        ASSERT_HR_EQ(IObjTest2_put_Value(P, 77), S_OK);
        ASSERT_EQ(last_opnum, 7);
        ASSERT_HR_EQ(IObjTest2_get_Value(P, &ret), S_OK);
        ASSERT_EQ(last_opnum, 6);
        ASSERT_EQ(ret, 77);
        OBJ_PAIR pair = { 21, NULL };
        ASSERT_HR_EQ(IObjTest2_Pair(P, &pair), S_OK);
        ASSERT_EQ(pair.a, 42);
        ASSERT_NOT_NULL(pair.label);
        ASSERT_EQ(pair.label[1], 'k');
        midl_user_free(pair.label);
        /* the derived interface's own methods */
        ASSERT_HR_EQ(IObjTest2_Twice(P, 5, &ret), S_OK);
        ASSERT_EQ(ret, 10);
        ASSERT_EQ(last_opnum, 10);
}

TEST(hresults_and_failures) {
        LONG sum = 0;
        WCHAR *g = (WCHAR *)1;
        static const WCHAR x[] = { 'x', 0 };

        /* the object's HRESULT travels back as is */
        ASSERT_HR_EQ(IObjTest2_Fail(P, E_ACCESSDENIED), E_ACCESSDENIED);
        ASSERT_HR_EQ(IObjTest2_Fail(P, 0x8001010E), 0x8001010E);
        /* a truncated response: RPC_X_BAD_STUB_DATA, no [out] memory left */
        ASSERT_HR_EQ(IObjTest2_Greet(P, x, &g), S_FALSE);
        midl_user_free(g);
        size_t full = resp_len;
        for (size_t cut = 1; cut < full; cut++) {
                resp_cut = cut;
                g = (WCHAR *)1;
                ASSERT_HR_EQ(IObjTest2_Greet(P, x, &g), 0x800706F7);
                ASSERT_NULL(g);
        }
        resp_cut = 0;
        /* another DCOM major version: refused by the stub before the object runs */
        object.calls = 0;
        bump_version = true;
        ASSERT_HR_EQ(IObjTest2_Add(P, 1, 2, &sum), dcom_hresult_from_errno(-EPROTONOSUPPORT));
        bump_version = false;
        ASSERT_EQ(object.calls, 0);
}

TEST(unknown_goes_to_proxy_manager) {
        void *pv = NULL;

        refs = 1;
        qis = 0;
        ASSERT_EQ(IObjTest2_AddRef(P), 2);
        ASSERT_HR_EQ(IObjTest2_QueryInterface(P, &IObjTest2_p_interface.uuid, &pv), S_OK);
        ASSERT_TRUE(pv == (void *)&proxy);
        ASSERT_EQ(qis, 1);
        ASSERT_EQ(IObjTest2_Release(P), 2);
        ASSERT_EQ(IObjTest2_Release(P), 1);
}

TEST(stub_dispatch_table) {
        struct ndr_server_call call = { 0 };

        ASSERT_EQ(IObjTest2_p_interface.n_ops, 12);
        ASSERT_EQ(IObjTest_p_interface.n_ops, 10);
        ASSERT_STR_EQ(IObjTest2_p_interface.ops[6].name, "get_Value");
        ASSERT_STR_EQ(IObjTest2_p_interface.ops[7].name, "put_Value");
        ASSERT_STR_EQ(IObjTest2_p_interface.ops[10].name, "Twice");
        /* IUnknown's opnums and those out of range are not dispatched to the object */
        for (uint32_t op = 0; op < 3; op++)
                ASSERT_ERRNO(IObjTest2_stub_dispatch(&call, op), -EOPNOTSUPP);
        ASSERT_ERRNO(IObjTest2_stub_dispatch(&call, 12), -EOPNOTSUPP);
        ASSERT_ERRNO(IObjTest_stub_dispatch(&call, 10), -EOPNOTSUPP);
}

TEST(truncated_requests) {
        LONG sum = 0;
        uint8_t full[4096];
        size_t n;

        ASSERT_HR_EQ(IObjTest2_Add(P, 1, 2, &sum), S_OK);
        n = req_len;
        memcpy(full, req, n);
        object.calls = 0;
        for (size_t i = 0; i < n; i++) {
                uint8_t *cut = malloc(i ? i : 1);
                struct ndr_pull sin;
                struct ndr_push sout;
                struct arena sa;
                memcpy(cut, full, i);
                arena_init(&sa, 0);
                ndr_push_init(&sout, 0);
                ASSERT_OK(ndr_pull_init(&sin, cut, i, NULL, &sa));
                struct ndr_server_call call = { .in = &sin, .out = &sout, .arena = &sa, .impl = &object };
                ASSERT_ERRNO(IObjTest2_stub_dispatch(&call, 3), -EBADMSG);
                ndr_push_free(&sout);
                arena_reset(&sa);
                free(cut);
        }
        ASSERT_EQ(object.calls, 0);
}

/* Interface pointers: the COM layer's hooks turn objects into OBJREF bytes and back. */
static int fake_marshal(const GUID *iid, void *obj, struct arena *a, uint8_t **ret, uint32_t *len) {
        uint8_t *p = arena_alloc(a, 4);
        p[0] = 'M';
        p[1] = 'E';
        p[2] = 'O';
        p[3] = (uint8_t)(uintptr_t)obj;
        *ret = p;
        *len = 4;
        return 0;
}

static int fake_unmarshal(const GUID *iid, const uint8_t *objref, uint32_t len, void **ret) {
        if (len != 4 || memcmp(objref, "MEO", 3) != 0)
                return -EBADMSG;
        *ret = (void *)(uintptr_t)(objref[3] + 0x100);
        return 0;
}

static const struct ndr_iface_hooks hooks = { .marshal = fake_marshal, .unmarshal = fake_unmarshal };

TEST(iid_is_out) {
        void *pv = NULL;

        ndr_set_iface_hooks(&hooks);
        ASSERT_HR_EQ(IObjTest2_Peer(P, &IObjTest_p_interface.uuid, &pv), S_OK);
        ASSERT_EQ((uintptr_t)pv, 0x142);
        /* ORPCTHAT, [unique] ID, MInterfacePointer (conformance, ulCntData, "MEO\x42"), S_OK */
        static const uint8_t want[] = {
                0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 4, 0, 0, 0, 4, 0, 0, 0,
                'M', 'E', 'O', 0x42, 0, 0, 0, 0,
        };
        ASSERT_EQ(resp_len, sizeof want);
        ASSERT_MEM_EQ(resp, want, sizeof want);
        ndr_set_iface_hooks(NULL);
        pv = (void *)1;
        ASSERT_HR_EQ(IObjTest2_Peer(P, &IObjTest_p_interface.uuid, &pv), E_NOTIMPL);
        ASSERT_NULL(pv);
}

/* --- IDispatch::GetIDsOfNames against impacket ------------------------------------------ */

/*
 * impacket 0.10's IDispatch_GetIDsOfNames().getData() (test-ndr.c's vector): cid
 * 11223344-..., riid IID_NULL, names "Go" and "Bar", lcid 0x409.  Ours differs in the
 * cid (a new one per call), its referent IDs (0xa6, 0x4bd0; ours 0x20000, 0x20004) and
 * its pad bytes (0xab; ours 0).
 */
static const uint8_t getidsofnames_impacket[] = {
        0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x88, 0x77, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
        0x00, 0x00, 0x00, 0x00,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x02, 0x00, 0x00, 0x00, 0xa6, 0x00, 0x00, 0x00, 0xd0, 0x4b, 0x00, 0x00,
        0x03, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 'G', 0, 'o', 0, 0, 0, 0xab, 0xab,
        0x04, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 'B', 0, 'a', 0, 'r', 0, 0, 0,
        0x02, 0x00, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00,
};

static HRESULT STDMETHODCALLTYPE d_qi(IDispLike *This, REFIID riid, void **ppv) {
        return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE d_ref(IDispLike *This) {
        return 1;
}
static HRESULT STDMETHODCALLTYPE d_count(IDispLike *This, UINT *n) {
        *n = 1;
        return S_OK;
}
static HRESULT STDMETHODCALLTYPE d_info(IDispLike *This, UINT i, LCID lcid, IUnknown **ti) {
        *ti = NULL;
        return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE d_ids(IDispLike *This, REFIID riid, LPOLESTR *names, UINT n,
                                       LCID lcid, DISPID *ids) {
        for (UINT i = 0; i < n; i++)
                ids[i] = (DISPID)(lcid + 100 * i + names[i][0]);
        return S_OK;
}
static const IDispLikeVtbl disp_vtbl = { d_qi, d_ref, d_ref, d_count, d_info, d_ids };
static struct { IDispLike iface; } disp_obj = { { &disp_vtbl } };

static int disp_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct ndr_pull sin;
        struct ndr_push sout;
        struct arena sa;
        int r;

        req_len = in->buf.len;
        ASSERT_LE(req_len, sizeof req);
        memcpy(req, in->buf.data, req_len);
        last_opnum = opnum;
        arena_init(&sa, 1 << 20);
        ndr_push_init(&sout, 0);
        ASSERT_OK(ndr_pull_init(&sin, req, req_len, NULL, &sa));
        struct ndr_server_call call = { .in = &sin, .out = &sout, .arena = &sa, .impl = &disp_obj };
        r = IDispLike_stub_dispatch(&call, opnum);
        if (r >= 0) {
                resp_len = sout.buf.len;
                memcpy(resp, sout.buf.data, resp_len);
        }
        ndr_push_free(&sout);
        arena_reset(&sa);
        if (r < 0)
                return r;
        uint8_t *p = arena_alloc(arena, resp_len);
        memcpy(p, resp, resp_len);
        return ndr_pull_init(out, p, resp_len, NULL, arena);
}

static struct ndr_binding disp_channel = { .call = disp_call, .ctx = NULL };
static struct com_proxy disp_proxy = { &IDispLike_ProxyVtbl, &disp_channel, NULL, &pm, NULL };

TEST(getidsofnames_as_impacket) {
        static const GUID iid_null;
        WCHAR go[] = { 'G', 'o', 0 }, bar[] = { 'B', 'a', 'r', 0 };
        LPOLESTR names[] = { go, bar };
        DISPID ids[2] = { 0 };
        IDispLike *d = (IDispLike *)(void *)&disp_proxy;
        uint8_t want[sizeof getidsofnames_impacket];

        ASSERT_HR_EQ(IDispLike_GetIDsOfNames(d, &iid_null, names, 2, 0x409, ids), S_OK);
        ASSERT_EQ(last_opnum, 5);       /* [MS-OAUT] 3.1.4.3 */
        ASSERT_EQ(ids[0], 0x409 + 'G');
        ASSERT_EQ(ids[1], 0x409 + 100 + 'B');
        memcpy(want, getidsofnames_impacket, sizeof want);
        memcpy(want + 12, req + 12, 16);                        /* our cid */
        memcpy(want + 52, "\x00\x00\x02\x00\x04\x00\x02\x00", 8);  /* our referent IDs */
        want[78] = want[79] = 0;                                /* our pad */
        ASSERT_EQ(req_len, sizeof want);
        ASSERT_MEM_EQ(req, want, sizeof want);
        /* the stub pulls impacket's own bytes too */
        struct ndr_pull sin;
        struct ndr_push sout;
        struct arena sa;
        arena_init(&sa, 0);
        ndr_push_init(&sout, 0);
        ASSERT_OK(ndr_pull_init(&sin, getidsofnames_impacket, sizeof getidsofnames_impacket, NULL, &sa));
        struct ndr_server_call call = { .in = &sin, .out = &sout, .arena = &sa, .impl = &disp_obj };
        ASSERT_OK(IDispLike_stub_dispatch(&call, 5));
        /* ORPCTHAT, rgDispId (conformance 2, two DISPIDs), S_OK */
        static const uint8_t out[] = { 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x50, 0x04, 0, 0,
                                       0xaf, 0x04, 0, 0, 0, 0, 0, 0 };
        ASSERT_EQ(sout.buf.len, sizeof out);
        ASSERT_MEM_EQ(sout.buf.data, out, sizeof out);
        ndr_push_free(&sout);
        arena_reset(&sa);
}
