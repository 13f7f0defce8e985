/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who owns what crosses a generated object stub or proxy when things go wrong (ASan's
 * leak checker is the judge, with reference counts and marshal counts besides):
 *  - a stub whose response cannot be built still gives up every [out] value the object
 *    returned (BSTR, VARIANT, interface pointers), exactly once;
 *  - interface pointers marshaled into a response that is not sent have their marshal
 *    data released (a custom marshaler's ReleaseMarshalData, the exporter's public
 *    references for a standard OBJREF);
 *  - a proxy's [out] data belongs to its caller even when the call is made from inside
 *    another call (not to that call's arena).
 * tests/leak.idl's ILeakTest, its dcomidl proxy and stub (linked in), through the proxy
 * file's IPSFactoryBuffer (NdrDllGetClassObject) on a channel of the test's that hands
 * each message to a stub buffer (IRpcStubBuffer::Invoke); rpcss for the standard export.
 */
#define COBJMACROS
#include <stdatomic.h>

#include <objbase.h>
#include <oleauto.h>
#include <rpcproxy.h>

#include "leak.h"
#include "rpcss-run.h"
#include "loop-channel.h"
#include "test.h"

extern const ProxyFileInfo leak_ProxyFileInfo;
static const ProxyFileInfo *const proxy_files[] = {&leak_ProxyFileInfo, NULL};
static CStdPSFactoryBuffer ps_factory;

/* {5d0c6a2e-8f41-4b7a-9e3d-1c2b3a4d5e62}: the custom marshaler's unmarshal class */
static const CLSID CLSID_LeakUnmarshaler = {
        0x5d0c6a2e, 0x8f41, 0x4b7a, {0x9e, 0x3d, 0x1c, 0x2b, 0x3a, 0x4d, 0x5e, 0x62}};

/* --- a plain counted object (standard marshaling) ------------------------------------- */

struct plain {
        IUnknown IUnknown_iface;
        atomic_int refs;
};

static HRESULT STDMETHODCALLTYPE plain_qi(IUnknown *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown)) {
                *ppv = This;
                IUnknown_AddRef(This);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE plain_addref(IUnknown *This) {
        return (ULONG)atomic_fetch_add(&((struct plain *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE plain_release(IUnknown *This) {
        return (ULONG)atomic_fetch_sub(&((struct plain *)This)->refs, 1) - 1;
}

static const IUnknownVtbl plain_vtbl = {plain_qi, plain_addref, plain_release};

/* --- an object with its own IMarshal, counting what COM asks of it ---------------------- */

static struct custom {
        IUnknown IUnknown_iface;
        IMarshal IMarshal_iface;
        atomic_int refs;
        atomic_int marshals, unmarshals, releases;
} cm;

static HRESULT STDMETHODCALLTYPE cm_unk_qi(IUnknown *This, REFIID riid, void **ppv) {
        (void)This;
        if (IsEqualIID(riid, &IID_IUnknown))
                *ppv = &cm.IUnknown_iface;
        else if (IsEqualIID(riid, &IID_IMarshal))
                *ppv = &cm.IMarshal_iface;
        else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        atomic_fetch_add(&cm.refs, 1);
        return S_OK;
}

static ULONG STDMETHODCALLTYPE cm_unk_addref(IUnknown *This) {
        (void)This;
        return (ULONG)atomic_fetch_add(&cm.refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE cm_unk_release(IUnknown *This) {
        (void)This;
        return (ULONG)atomic_fetch_sub(&cm.refs, 1) - 1;
}

static const IUnknownVtbl cm_unk_vtbl = {cm_unk_qi, cm_unk_addref, cm_unk_release};

static HRESULT STDMETHODCALLTYPE cm_qi(IMarshal *This, REFIID riid, void **ppv) {
        (void)This;
        return cm_unk_qi(NULL, riid, ppv);
}

static ULONG STDMETHODCALLTYPE cm_addref(IMarshal *This) {
        (void)This;
        return cm_unk_addref(NULL);
}

static ULONG STDMETHODCALLTYPE cm_release(IMarshal *This) {
        (void)This;
        return cm_unk_release(NULL);
}

static HRESULT STDMETHODCALLTYPE cm_class(IMarshal *This, REFIID riid, void *pv, DWORD dest,
                                          void *dest_data, DWORD flags, CLSID *clsid) {
        (void)This, (void)riid, (void)pv, (void)dest, (void)dest_data, (void)flags;
        *clsid = CLSID_LeakUnmarshaler;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE cm_size(IMarshal *This, REFIID riid, void *pv, DWORD dest,
                                         void *dest_data, DWORD flags, DWORD *size) {
        (void)This, (void)riid, (void)pv, (void)dest, (void)dest_data, (void)flags;
        *size = 4;
        return S_OK;
}

static const uint8_t cm_token[4] = {'l', 'e', 'a', 'k'};

static HRESULT STDMETHODCALLTYPE cm_marshal(IMarshal *This, IStream *stm, REFIID riid, void *pv,
                                            DWORD dest, void *dest_data, DWORD flags) {
        (void)This, (void)riid, (void)pv, (void)dest, (void)dest_data, (void)flags;
        atomic_fetch_add(&cm.marshals, 1);
        return IStream_Write(stm, cm_token, sizeof cm_token, NULL);
}

static HRESULT read_token(IStream *stm) {
        uint8_t b[4];
        ULONG got = 0;
        HRESULT hr = IStream_Read(stm, b, sizeof b, &got);

        if (FAILED(hr))
                return hr;
        return got == sizeof b && memcmp(b, cm_token, sizeof b) == 0 ? S_OK : E_FAIL;
}

static HRESULT STDMETHODCALLTYPE cm_unmarshal(IMarshal *This, IStream *stm, REFIID riid,
                                              void **ppv) {
        HRESULT hr = read_token(stm);

        (void)This;
        *ppv = NULL;
        if (FAILED(hr))
                return hr;
        atomic_fetch_add(&cm.unmarshals, 1);
        return cm_unk_qi(NULL, riid, ppv);
}

static HRESULT STDMETHODCALLTYPE cm_release_data(IMarshal *This, IStream *stm) {
        HRESULT hr = read_token(stm);

        (void)This;
        if (SUCCEEDED(hr))
                atomic_fetch_add(&cm.releases, 1);
        return hr;
}

static HRESULT STDMETHODCALLTYPE cm_disconnect(IMarshal *This, DWORD reserved) {
        (void)This, (void)reserved;
        return S_OK;
}

static const IMarshalVtbl cm_vtbl = {
        cm_qi, cm_addref, cm_release, cm_class, cm_size, cm_marshal, cm_unmarshal,
        cm_release_data, cm_disconnect,
};

/* The unmarshal class's factory: its instances are the object's IMarshal. */
static HRESULT STDMETHODCALLTYPE cf_qi(IClassFactory *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
                *ppv = This;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cf_addref(IClassFactory *This) {
        (void)This;
        return 2;
}

static ULONG STDMETHODCALLTYPE cf_release(IClassFactory *This) {
        (void)This;
        return 1;
}

static HRESULT STDMETHODCALLTYPE cf_create(IClassFactory *This, IUnknown *outer, REFIID riid,
                                           void **ppv) {
        (void)This;
        *ppv = NULL;
        if (outer)
                return CLASS_E_NOAGGREGATION;
        return cm_unk_qi(NULL, riid, ppv);
}

static HRESULT STDMETHODCALLTYPE cf_lock(IClassFactory *This, BOOL lock) {
        (void)This, (void)lock;
        return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = {cf_qi, cf_addref, cf_release, cf_create, cf_lock};
static IClassFactory unmarshaler_factory = {&cf_vtbl};

/* --- ILeakTest ---------------------------------------------------------------------------- */

struct leak {
        ILeakTest ILeakTest_iface;
        atomic_int refs;
        IUnknown *hand_out;     /* what Outs and ObjThenFail return as obj */
        bool grow;              /* *n grown past the stub's array */
        ILeakTest *peer;        /* Relay calls its Name */
        WCHAR *kept;            /* what Relay got from it */
};

static struct leak *impl_from_ILeakTest(ILeakTest *iface) {
        return (struct leak *)iface;
}

static HRESULT STDMETHODCALLTYPE lk_qi(ILeakTest *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ILeakTest)) {
                *ppv = This;
                ILeakTest_AddRef(This);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE lk_addref(ILeakTest *This) {
        return (ULONG)atomic_fetch_add(&impl_from_ILeakTest(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE lk_release(ILeakTest *This) {
        return (ULONG)atomic_fetch_sub(&impl_from_ILeakTest(This)->refs, 1) - 1;
}

static void fill(struct leak *lk, ULONG *n, LONG *arr) {
        for (ULONG i = 0; i < *n; i++)
                arr[i] = (LONG)i;
        if (lk->grow)
                *n += 1;        /* the stub allocated the old *n */
}

static HRESULT STDMETHODCALLTYPE lk_outs(ILeakTest *This, ULONG *n, LONG *arr, BSTR *s,
                                         VARIANT *v, IUnknown **obj) {
        struct leak *lk = impl_from_ILeakTest(This);

        fill(lk, n, arr);
        *s = SysAllocString(u"an [out] BSTR");
        V_VT(v) = VT_BSTR;
        V_BSTR(v) = SysAllocString(u"a BSTR in an [out] VARIANT");
        *obj = lk->hand_out;
        if (*obj)
                IUnknown_AddRef(*obj);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE lk_obj_then_fail(ILeakTest *This, IUnknown **obj, ULONG *n,
                                                  LONG *arr) {
        struct leak *lk = impl_from_ILeakTest(This);

        *obj = lk->hand_out;
        if (*obj)
                IUnknown_AddRef(*obj);
        fill(lk, n, arr);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE lk_name(ILeakTest *This, WCHAR **name) {
        static const WCHAR peer[] = u"the peer's name";

        (void)This;
        if (!(*name = CoTaskMemAlloc(sizeof peer)))
                return E_OUTOFMEMORY;
        memcpy(*name, peer, sizeof peer);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE lk_relay(ILeakTest *This, ULONG *len) {
        struct leak *lk = impl_from_ILeakTest(This);
        HRESULT hr = ILeakTest_Name(lk->peer, &lk->kept);

        *len = 0;
        while (SUCCEEDED(hr) && lk->kept[*len])
                (*len)++;
        return hr;
}

static HRESULT STDMETHODCALLTYPE lk_window(ILeakTest *This, ULONG max, LONG *arr, ULONG *len,
                                           BSTR *s, IUnknown **obj) {
        struct leak *lk = impl_from_ILeakTest(This);

        for (ULONG i = 0; i < max; i++)
                arr[i] = (LONG)i;
        *len = lk->grow ? max + 1 : max;
        *s = SysAllocString(u"an [out] BSTR after a varying array");
        *obj = lk->hand_out;
        if (*obj)
                IUnknown_AddRef(*obj);
        return S_OK;
}

static const ILeakTestVtbl leak_vtbl = {
        lk_qi, lk_addref, lk_release, lk_outs, lk_obj_then_fail, lk_name, lk_relay, lk_window,
};

/* An object behind a stub behind a channel behind a proxy. */
struct wired {
        struct leak obj;
        struct loop_chan chan;
        IRpcStubBuffer *stub;
        IRpcProxyBuffer *pb;
        ILeakTest *px;
};

static IPSFactoryBuffer *factory(void) {
        IPSFactoryBuffer *psf = NULL;

        ASSERT_HR_EQ(NdrDllGetClassObject(&IID_ILeakTest, &IID_IPSFactoryBuffer, (void **)&psf,
                                          (const ProxyFileInfo **)proxy_files, NULL, &ps_factory),
                     S_OK);
        return psf;
}

static void wire(struct wired *w) {
        IPSFactoryBuffer *psf = factory();

        w->obj = (struct leak){.ILeakTest_iface = {&leak_vtbl}, .refs = 1};
        loop_chan_init(&w->chan, NULL);
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateStub(psf, &IID_ILeakTest,
                                                 (IUnknown *)&w->obj.ILeakTest_iface, &w->stub),
                     S_OK);
        w->chan.stub = w->stub;
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateProxy(psf, NULL, &IID_ILeakTest, &w->pb, (void **)&w->px),
                     S_OK);
        ASSERT_HR_EQ(IRpcProxyBuffer_Connect(w->pb, &w->chan.IRpcChannelBuffer_iface), S_OK);
        IPSFactoryBuffer_Release(psf);
}

static void unwire(struct wired *w) {
        ILeakTest_Release(w->px);
        ASSERT_EQ(IRpcProxyBuffer_Release(w->pb), 0);
        ASSERT_EQ(IRpcStubBuffer_Release(w->stub), 0);
        ASSERT_EQ(atomic_load(&w->chan.refs), 1);
        ASSERT_EQ(atomic_load(&w->obj.refs), 1);
}

/*
 * The response cannot be built (the object grew *n past the array the stub gave it):
 * the BSTR, the VARIANT and the interface pointer it returned after that parameter are
 * given up all the same -- LeakSanitizer would report the strings, the count the
 * reference.
 */
TEST(out_values_given_up_when_the_response_fails) {
        struct plain p = {{&plain_vtbl}, 1};
        struct wired w;
        LONG arr[4];
        ULONG n = 4;
        BSTR s = NULL;
        VARIANT v;
        IUnknown *obj = NULL;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        wire(&w);
        VariantInit(&v);
        w.obj.hand_out = &p.IUnknown_iface;
        w.obj.grow = true;
        ASSERT_TRUE(FAILED(ILeakTest_Outs(w.px, &n, arr, &s, &v, &obj)));
        ASSERT_NULL(s);
        ASSERT_EQ(V_VT(&v), VT_EMPTY);
        ASSERT_NULL(obj);
        ASSERT_EQ(atomic_load(&p.refs), 1);

        /* a response without an interface pointer that fails: the same */
        w.obj.hand_out = NULL;
        n = 4;
        ASSERT_TRUE(FAILED(ILeakTest_Outs(w.px, &n, arr, &s, &v, &obj)));

        /* and one that goes: the caller gets them all */
        w.obj.grow = false;
        n = 4;
        ASSERT_HR_EQ(ILeakTest_Outs(w.px, &n, arr, &s, &v, &obj), S_OK);
        ASSERT_EQ(n, 4);
        ASSERT_EQ(arr[3], 3);
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(SysStringLen(s), 13);
        ASSERT_EQ(V_VT(&v), VT_BSTR);
        ASSERT_NULL(obj);
        SysFreeString(s);
        VariantClear(&v);
        unwire(&w);
        CoUninitialize();
}

/*
 * A varying [out] array whose length the object set past its size: the stub reads no
 * element past the array, and gives up the BSTR and the reference that follow (the
 * review found the stub returning there, before them).
 */
TEST(out_values_given_up_after_a_bad_length) {
        struct plain p = {{&plain_vtbl}, 1};
        struct wired w;
        LONG arr[4];
        ULONG len = 0;
        BSTR s = NULL;
        IUnknown *obj = NULL;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        wire(&w);
        w.obj.hand_out = &p.IUnknown_iface;
        w.obj.grow = true;
        ASSERT_TRUE(FAILED(ILeakTest_Window(w.px, 4, arr, &len, &s, &obj)));
        ASSERT_NULL(s);
        ASSERT_NULL(obj);
        ASSERT_EQ(atomic_load(&p.refs), 1);

        /* and one that goes (no interface pointer: this channel has no exporter behind
           it, as in the case above) */
        w.obj.grow = false;
        w.obj.hand_out = NULL;
        ASSERT_HR_EQ(ILeakTest_Window(w.px, 4, arr, &len, &s, &obj), S_OK);
        ASSERT_EQ(len, 4);
        ASSERT_EQ(arr[3], 3);
        ASSERT_NOT_NULL(s);
        ASSERT_NULL(obj);
        SysFreeString(s);
        unwire(&w);
        CoUninitialize();
}

/*
 * An interface pointer marshaled into a response that then fails: its marshal data is
 * released -- the custom marshaler's ReleaseMarshalData once, the exporter's stub of a
 * standard OBJREF gone with its references -- and nothing when the response goes.
 */
TEST(marshaled_out_pointers_released_when_the_response_fails) {
        struct plain p = {{&plain_vtbl}, 1};
        struct wired w;
        DWORD cookie = 0;
        LONG arr[2];
        ULONG n = 2;
        IUnknown *obj = NULL;

        rpcss_start();
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        cm = (struct custom){{&cm_unk_vtbl}, {&cm_vtbl}, 1, 0, 0, 0};
        ASSERT_HR_EQ(CoRegisterClassObject(&CLSID_LeakUnmarshaler, (IUnknown *)&unmarshaler_factory,
                                           CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie),
                     S_OK);
        wire(&w);

        /* custom: marshaled once, released once */
        w.obj.hand_out = &cm.IUnknown_iface;
        w.obj.grow = true;
        ASSERT_TRUE(FAILED(ILeakTest_ObjThenFail(w.px, &obj, &n, arr)));
        ASSERT_NULL(obj);
        ASSERT_EQ(atomic_load(&cm.marshals), 1);
        ASSERT_EQ(atomic_load(&cm.releases), 1);
        ASSERT_EQ(atomic_load(&cm.unmarshals), 0);
        ASSERT_EQ(atomic_load(&cm.refs), 1);

        /* sent: the peer's to unmarshal, never released here */
        w.obj.grow = false;
        n = 2;
        ASSERT_HR_EQ(ILeakTest_ObjThenFail(w.px, &obj, &n, arr), S_OK);
        ASSERT_TRUE(obj == &cm.IUnknown_iface);
        IUnknown_Release(obj);
        obj = NULL;
        ASSERT_EQ(atomic_load(&cm.marshals), 2);
        ASSERT_EQ(atomic_load(&cm.unmarshals), 1);
        ASSERT_EQ(atomic_load(&cm.releases), 1);
        ASSERT_EQ(atomic_load(&cm.refs), 1);

        /* standard: the object exported for the response, let go with it */
        w.obj.hand_out = &p.IUnknown_iface;
        w.obj.grow = true;
        n = 2;
        ASSERT_TRUE(FAILED(ILeakTest_ObjThenFail(w.px, &obj, &n, arr)));
        ASSERT_NULL(obj);
        ASSERT_EQ(atomic_load(&p.refs), 1);
        /* sent: the caller unmarshals it (here: the object itself, its own process) */
        w.obj.grow = false;
        n = 2;
        ASSERT_HR_EQ(ILeakTest_ObjThenFail(w.px, &obj, &n, arr), S_OK);
        ASSERT_TRUE(obj == &p.IUnknown_iface);
        IUnknown_Release(obj);
        ASSERT_HR_EQ(CoDisconnectObject(&p.IUnknown_iface, 0), S_OK);
        ASSERT_EQ(atomic_load(&p.refs), 1);

        unwire(&w);
        ASSERT_HR_EQ(CoRevokeClassObject(cookie), S_OK);
        CoUninitialize();
}

/*
 * A method that calls another object's proxy from inside its own call and keeps the
 * string it gets: the caller's memory (CoTaskMemFree), alive after the outer call's
 * arena is gone.
 */
TEST(nested_call_out_data_is_the_callers) {
        static const WCHAR want[] = u"the peer's name";
        struct wired outer, peer;
        ULONG len = 0;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        wire(&outer);
        wire(&peer);
        outer.obj.peer = peer.px;
        ASSERT_HR_EQ(ILeakTest_Relay(outer.px, &len), S_OK);
        ASSERT_EQ(len, sizeof want / sizeof *want - 1);
        ASSERT_NOT_NULL(outer.obj.kept);
        ASSERT_MEM_EQ(outer.obj.kept, want, sizeof want);
        CoTaskMemFree(outer.obj.kept);
        unwire(&peer);
        unwire(&outer);
        CoUninitialize();
}
