/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A proxy/stub library's proxies and stubs on a caller's IRpcChannelBuffer: what
 * IPSFactoryBuffer::CreateProxy and CreateStub make (psfactory.c), as Windows' proxy
 * manager and stub manager -- or a program with a channel of its own -- use them
 * (learn.microsoft.com, "IPSFactoryBuffer", "IRpcProxyBuffer", "IRpcStubBuffer",
 * "IRpcChannelBuffer").  The COM library's own proxies and stubs do not come this way:
 * it takes them from the library's ProxyFileInfo and runs them on its own channel.
 *
 * The message on such a channel is the method's NDR alone, as in Windows: the channel
 * puts the ORPC framing around it.  dcomidl's proxies and stubs marshal ORPCTHIS and
 * ORPCTHAT themselves, so the request loses its ORPCTHIS (32 bytes: version, flags,
 * reserved, causality ID, no extensions) on the way to GetBuffer and the stub's request
 * gets one; the response gains an ORPCTHAT (8 bytes: no flags, no extensions) on the way
 * to the proxy's pull and the stub's response loses it.  Both are multiples of 8 bytes:
 * the NDR alignment of what follows is unchanged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rpcproxy.h>

#include "com/com-internal.h"
#include "com/orpc-stub.h"
#include "com/remote-internal.h"
#include "ndr/ndr-internal.h"

static LOG_CHANNEL(com);

#define ORPCTHIS_NULL_SIZE 32   /* [MS-DCOM] 2.2.13.1 with extensions NULL */
#define ORPCTHAT_NULL_SIZE 8    /* [MS-DCOM] 2.2.13.2 with extensions NULL */
#define NDR_LOCAL_DREP 0x10     /* little-endian, ASCII, IEEE */

/* --- the proxy ----------------------------------------------------------------------------- */

struct chanproxy {
        IRpcProxyBuffer IRpcProxyBuffer_iface;
        struct com_proxy px;            /* the interface: px.lpVtbl is the library's proxy vtable */
        struct ndr_binding nb;          /* px.channel: calls go to chan */
        IUnknown *outer;                /* the controlling unknown (not held: aggregation) */
        IID iid;
        LONG ref;
        pthread_mutex_t lock;
        IRpcChannelBuffer *chan;        /* Connect's; NULL: not connected */
        _Atomic uint8_t iface_ctx;      /* enum ndr_iface_ctx: chan's GetDestCtx */
        IPSFactoryBuffer *factory;      /* held: its library stays loaded */
};

static struct chanproxy *proxy_from_iface(IRpcProxyBuffer *iface) {
        return CONTAINING_RECORD(iface, struct chanproxy, IRpcProxyBuffer_iface);
}

static struct chanproxy *proxy_from_px(struct com_proxy *px) {
        return CONTAINING_RECORD(px, struct chanproxy, px);
}

static ULONG px_add_ref(struct com_proxy *px);

static HRESULT STDMETHODCALLTYPE cp_QueryInterface(IRpcProxyBuffer *iface, REFIID riid, void **ppv) {
        struct chanproxy *p = proxy_from_iface(iface);

        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRpcProxyBuffer)) {
                *ppv = iface;
                __atomic_add_fetch(&p->ref, 1, __ATOMIC_SEQ_CST);
        } else if (IsEqualIID(riid, &p->iid)) {
                /* the interface, counted where its Release will go (the outer object) */
                *ppv = &p->px;
                px_add_ref(&p->px);
        } else {
                *ppv = NULL;
                return E_NOINTERFACE;
        }
        return S_OK;
}

static ULONG STDMETHODCALLTYPE cp_AddRef(IRpcProxyBuffer *iface) {
        return (ULONG)__atomic_add_fetch(&proxy_from_iface(iface)->ref, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE cp_Release(IRpcProxyBuffer *iface) {
        struct chanproxy *p = proxy_from_iface(iface);
        LONG r = __atomic_sub_fetch(&p->ref, 1, __ATOMIC_SEQ_CST);

        if (r == 0) {
                if (p->chan)
                        p->chan->lpVtbl->Release(p->chan);
                IPSFactoryBuffer *f = p->factory;
                pthread_mutex_destroy(&p->lock);
                free(p);
                f->lpVtbl->Release(f);  /* last: the library may go with it */
        }
        return (ULONG)r;
}

/* Where a channel's calls go, as its GetDestCtx says (NdrProxyInitialize and
   NdrStubInitialize ask it too): the marshaling context of their interface pointers. */
static uint8_t chan_iface_ctx(IRpcChannelBuffer *chan) {
        DWORD ctx = MSHCTX_DIFFERENTMACHINE;
        void *data = NULL;

        if (FAILED(chan->lpVtbl->GetDestCtx(chan, &ctx, &data)))
                return NDR_IFACE_REMOTE;
        return ctx == MSHCTX_INPROC || ctx == MSHCTX_CROSSCTX ? NDR_IFACE_INPROC
               : ctx == MSHCTX_LOCAL || ctx == MSHCTX_NOSHAREDMEM ? NDR_IFACE_LOCAL
                                                                  : NDR_IFACE_REMOTE;
}

static HRESULT STDMETHODCALLTYPE cp_Connect(IRpcProxyBuffer *iface, IRpcChannelBuffer *chan) {
        struct chanproxy *p = proxy_from_iface(iface);
        IRpcChannelBuffer *old;
        uint8_t ctx;

        if (!chan)
                return E_INVALIDARG;
        chan->lpVtbl->AddRef(chan);
        ctx = chan_iface_ctx(chan);
        pthread_mutex_lock(&p->lock);
        old = p->chan;
        p->chan = chan;
        p->iface_ctx = ctx;
        pthread_mutex_unlock(&p->lock);
        if (old)
                old->lpVtbl->Release(old);
        return S_OK;
}

static void STDMETHODCALLTYPE cp_Disconnect(IRpcProxyBuffer *iface) {
        struct chanproxy *p = proxy_from_iface(iface);
        IRpcChannelBuffer *old;

        pthread_mutex_lock(&p->lock);
        old = p->chan;
        p->chan = NULL;
        pthread_mutex_unlock(&p->lock);
        if (old)
                old->lpVtbl->Release(old);
}

static const IRpcProxyBufferVtbl chanproxy_vtbl = {
        cp_QueryInterface, cp_AddRef, cp_Release, cp_Connect, cp_Disconnect,
};

/* The interface's IUnknown: the controlling unknown's, or without one the proxy buffer's. */
static HRESULT px_query_interface(struct com_proxy *px, const IID *riid, void **ppv) {
        struct chanproxy *p = proxy_from_px(px);

        if (p->outer)
                return p->outer->lpVtbl->QueryInterface(p->outer, riid, ppv);
        return cp_QueryInterface(&p->IRpcProxyBuffer_iface, riid, ppv);
}

static ULONG px_add_ref(struct com_proxy *px) {
        struct chanproxy *p = proxy_from_px(px);

        if (p->outer)
                return p->outer->lpVtbl->AddRef(p->outer);
        return cp_AddRef(&p->IRpcProxyBuffer_iface);
}

static ULONG px_release(struct com_proxy *px) {
        struct chanproxy *p = proxy_from_px(px);

        if (p->outer)
                return p->outer->lpVtbl->Release(p->outer);
        return cp_Release(&p->IRpcProxyBuffer_iface);
}

static const struct com_proxy_unknown chanproxy_unknown = {
        px_query_interface, px_add_ref, px_release,
};

/* A failure as the proxy returns it: an HRESULT through the fault the channel reports. */
static int call_failed(HRESULT hr) {
        com_set_call_fault((uint32_t)hr);
        return -EREMOTEIO;
}

/*
 * A call of the generated proxy: its request without ORPCTHIS into the channel's buffer,
 * SendReceive, the response (with an ORPCTHAT before it) copied into the call's arena for
 * the proxy's pull, the channel's buffer freed.
 */
static int chanproxy_call(struct ndr_binding *nb, const struct ndr_interface *iface,
                          uint16_t opnum, struct ndr_push *in, struct ndr_pull *out,
                          struct arena *arena) {
        struct chanproxy *p = nb->ctx;
        IRpcChannelBuffer *chan;
        RPCOLEMESSAGE msg;
        ULONG status = 0;
        HRESULT hr;
        int r;

        (void)iface;
        pthread_mutex_lock(&p->lock);
        if ((chan = p->chan))
                chan->lpVtbl->AddRef(chan);
        pthread_mutex_unlock(&p->lock);
        if (!chan)
                return call_failed(CO_E_OBJNOTCONNECTED);
        if ((r = ndr_push_flatten(in)) < 0)
                goto out;
        const uint8_t *stub = in->buf.data + in->base;
        size_t len = in->buf.len - in->base;
        /* the ORPCTHIS our proxies make: no extensions (its pointer NULL) */
        if (len < ORPCTHIS_NULL_SIZE || stub[28] | stub[29] | stub[30] | stub[31] ||
            len - ORPCTHIS_NULL_SIZE > UINT32_MAX) {
                r = -EPROTO;
                goto out;
        }
        memset(&msg, 0, sizeof msg);
        msg.dataRepresentation = NDR_LOCAL_DREP;
        msg.cbBuffer = (ULONG)(len - ORPCTHIS_NULL_SIZE);
        msg.iMethod = opnum;
        hr = chan->lpVtbl->GetBuffer(chan, &msg, &p->iid);
        if (FAILED(hr)) {
                r = call_failed(hr);
                goto out;
        }
        if (msg.cbBuffer && !msg.Buffer) {
                chan->lpVtbl->FreeBuffer(chan, &msg);
                r = call_failed(E_OUTOFMEMORY);
                goto out;
        }
        if (msg.cbBuffer)
                memcpy(msg.Buffer, stub + ORPCTHIS_NULL_SIZE, msg.cbBuffer);
        hr = chan->lpVtbl->SendReceive(chan, &msg, &status);
        if (FAILED(hr)) {
                /* the buffer is still the caller's to free (learn.microsoft.com,
                   IRpcChannelBuffer::SendReceive); a server fault is its status (an
                   HRESULT, or a Win32 code made one) */
                chan->lpVtbl->FreeBuffer(chan, &msg);
                if (hr == RPC_E_FAULT && status)
                        hr = status & 0x80000000u ? (HRESULT)status : HRESULT_FROM_WIN32(status);
                r = call_failed(hr);
                goto out;
        }
        uint8_t *resp = arena_alloc(arena, (size_t)ORPCTHAT_NULL_SIZE + msg.cbBuffer);
        /* the answer in our data representation (little-endian: what our pulls read) */
        if (!resp || (msg.cbBuffer && !msg.Buffer) ||
            (msg.dataRepresentation & 0xffff) != NDR_LOCAL_DREP) {
                chan->lpVtbl->FreeBuffer(chan, &msg);
                r = call_failed(resp ? RPC_E_INVALID_DATAPACKET : E_OUTOFMEMORY);
                goto out;
        }
        memset(resp, 0, ORPCTHAT_NULL_SIZE);
        if (msg.cbBuffer)
                memcpy(resp + ORPCTHAT_NULL_SIZE, msg.Buffer, msg.cbBuffer);
        size_t n = (size_t)ORPCTHAT_NULL_SIZE + msg.cbBuffer;
        chan->lpVtbl->FreeBuffer(chan, &msg);
        r = ndr_pull_init(out, resp, n, NULL, arena);
out:
        chan->lpVtbl->Release(chan);
        return r;
}

/* Where a proxy's calls go (ndr_binding_iface_ctx): as its channel's GetDestCtx said. */
static enum ndr_iface_ctx chanproxy_iface_ctx(const struct ndr_binding *nb) {
        const struct chanproxy *p = nb->ctx;

        return (enum ndr_iface_ctx)p->iface_ctx;
}

__attribute__((constructor)) static void chanproxy_kind_register(void) {
        ndr_binding_kind_register(chanproxy_call, chanproxy_iface_ctx);
}

HRESULT com_ps_create_proxy(IPSFactoryBuffer *factory, const CInterfaceProxyVtbl *pv,
                            const CInterfaceStubVtbl *sv, IUnknown *outer, REFIID riid,
                            IRpcProxyBuffer **ppProxy, void **ppv) {
        struct chanproxy *p = calloc(1, sizeof *p);

        if (!p)
                return E_OUTOFMEMORY;
        p->factory = factory;
        factory->lpVtbl->AddRef(factory);
        p->IRpcProxyBuffer_iface.lpVtbl = &chanproxy_vtbl;
        p->px.lpVtbl = pv->pProxyVtbl;
        p->px.channel = &p->nb;
        p->px.iface = sv->header.pServerInfo;
        p->px.unk = &chanproxy_unknown;
        p->nb.call = chanproxy_call;
        p->nb.ctx = p;
        p->outer = outer;
        p->iid = *riid;
        p->ref = 1;                     /* *ppProxy's */
        pthread_mutex_init(&p->lock, NULL);
        *ppProxy = &p->IRpcProxyBuffer_iface;
        *ppv = &p->px;
        px_add_ref(&p->px);             /* *ppv's: the controlling unknown's */
        return S_OK;
}

/* --- the stub ------------------------------------------------------------------------------ */

struct chanstub {
        IRpcStubBuffer IRpcStubBuffer_iface;
        const struct ndr_interface *iface;      /* the library's stubs for iid */
        ULONG methods;                          /* IUnknown's included */
        IID iid;
        LONG ref;
        pthread_mutex_t lock;
        IUnknown *server;                       /* the object's iid; NULL: not connected */
        IPSFactoryBuffer *factory;              /* held: its library stays loaded */
};

static struct chanstub *stub_from_iface(IRpcStubBuffer *iface) {
        return CONTAINING_RECORD(iface, struct chanstub, IRpcStubBuffer_iface);
}

static HRESULT STDMETHODCALLTYPE cs_QueryInterface(IRpcStubBuffer *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRpcStubBuffer)) {
                *ppv = iface;
                iface->lpVtbl->AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cs_AddRef(IRpcStubBuffer *iface) {
        return (ULONG)__atomic_add_fetch(&stub_from_iface(iface)->ref, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE cs_Release(IRpcStubBuffer *iface) {
        struct chanstub *s = stub_from_iface(iface);
        LONG r = __atomic_sub_fetch(&s->ref, 1, __ATOMIC_SEQ_CST);

        if (r == 0) {
                if (s->server)
                        s->server->lpVtbl->Release(s->server);
                IPSFactoryBuffer *f = s->factory;
                pthread_mutex_destroy(&s->lock);
                free(s);
                f->lpVtbl->Release(f);  /* last: the library may go with it */
        }
        return (ULONG)r;
}

/* The object's interface for the stub (a reference of its own), replacing any before. */
static HRESULT STDMETHODCALLTYPE cs_Connect(IRpcStubBuffer *iface, IUnknown *server) {
        struct chanstub *s = stub_from_iface(iface);
        IUnknown *itf = NULL, *old;
        HRESULT hr;

        if (!server)
                return E_INVALIDARG;
        hr = server->lpVtbl->QueryInterface(server, &s->iid, (void **)&itf);
        if (FAILED(hr))
                return hr;
        if (!itf)
                return E_NOINTERFACE;
        pthread_mutex_lock(&s->lock);
        old = s->server;
        s->server = itf;
        pthread_mutex_unlock(&s->lock);
        if (old)
                old->lpVtbl->Release(old);
        return S_OK;
}

static void STDMETHODCALLTYPE cs_Disconnect(IRpcStubBuffer *iface) {
        struct chanstub *s = stub_from_iface(iface);
        IUnknown *old;

        pthread_mutex_lock(&s->lock);
        old = s->server;
        s->server = NULL;
        pthread_mutex_unlock(&s->lock);
        if (old)
                old->lpVtbl->Release(old);
}

/* A stub's failure as Invoke returns it. */
static HRESULT invoke_hresult(int r) {
        switch (-r) {
        case ENOMEM:
                return E_OUTOFMEMORY;
        case EPROTONOSUPPORT:
                return RPC_E_VERSION_MISMATCH;
        default:
                return HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA);
        }
}

/*
 * The method msg->iMethod run on the message's request (with an ORPCTHIS before it); its
 * response (without the ORPCTHAT) goes into a buffer from chan's GetBuffer, in msg.
 */
static HRESULT STDMETHODCALLTYPE cs_Invoke(IRpcStubBuffer *iface, RPCOLEMESSAGE *msg,
                                           IRpcChannelBuffer *chan) {
        struct chanstub *s = stub_from_iface(iface);
        struct ndr_server_call call;
        struct ndr_pull in;
        struct ndr_push out;
        struct arena arena;
        IUnknown *itf;
        HRESULT hr;
        int r;

        if (!msg || !chan)
                return E_INVALIDARG;
        if (msg->cbBuffer && !msg->Buffer)
                return E_INVALIDARG;
        /* IUnknown's methods are the stub manager's, not the interface stub's */
        if (msg->iMethod < 3 || msg->iMethod >= s->methods || msg->iMethod >= s->iface->n_ops ||
            !s->iface->ops[msg->iMethod].dispatch)
                return RPC_E_INVALIDMETHOD;
        /* NDR's data representation: ours, little-endian, is the only one our stubs read */
        if ((msg->dataRepresentation & 0xffff) != NDR_LOCAL_DREP)
                return RPC_E_INVALID_DATAPACKET;
        pthread_mutex_lock(&s->lock);
        if ((itf = s->server))
                itf->lpVtbl->AddRef(itf);
        pthread_mutex_unlock(&s->lock);
        if (!itf)
                return CO_E_OBJNOTCONNECTED;

        arena_init(&arena, NDR_CLIENT_CALL_MAX);
        size_t n = (size_t)ORPCTHIS_NULL_SIZE + msg->cbBuffer;
        uint8_t *req = arena_alloc(&arena, n);
        if (!req) {
                hr = E_OUTOFMEMORY;
                goto out;
        }
        /* [MS-DCOM] 2.2.13.1: version 5.7, no flags, a null causality ID, no extensions */
        memset(req, 0, ORPCTHIS_NULL_SIZE);
        req[0] = COM_MAJOR_VERSION;
        req[2] = COM_MINOR_VERSION;
        if (msg->cbBuffer)
                memcpy(req + ORPCTHIS_NULL_SIZE, msg->Buffer, msg->cbBuffer);
        if ((r = ndr_pull_init(&in, req, n, NULL, &arena)) < 0) {
                hr = invoke_hresult(r);
                goto out;
        }
        ndr_push_init(&out, 0);
        /* as the server runtime's: pulled interface pointers are the call's (released at
           its end), pushed ones given up with the answer */
        in.release_ifaces = true;
        out.release_ifaces = true;
        in.iface_src = out.iface_dest = chan ? chan_iface_ctx(chan) : NDR_IFACE_REMOTE;
        memset(&call, 0, sizeof call);
        call.in = &in;
        call.out = &out;
        call.arena = &arena;
        call.impl = itf;
        call.iface = s->iface;
        call.opnum = (uint16_t)msg->iMethod;
        r = s->iface->ops[msg->iMethod].dispatch(&call);
        if (r >= 0 && (r = ndr_push_flatten(&out)) >= 0 &&
            out.buf.len - out.base < ORPCTHAT_NULL_SIZE)
                r = -EPROTO;
        if (r < 0) {
                log_debug(com, "IRpcStubBuffer::Invoke: method %u: %s", (unsigned)msg->iMethod,
                          strerror(-r));
                hr = invoke_hresult(r);
                goto out_unsend;
        }
        size_t len = out.buf.len - out.base - ORPCTHAT_NULL_SIZE;
        if (len > UINT32_MAX) {
                hr = E_OUTOFMEMORY;
                goto out_unsend;
        }
        /* the response into the channel's buffer (it replaces the request's) */
        msg->cbBuffer = (ULONG)len;
        hr = chan->lpVtbl->GetBuffer(chan, msg, &s->iid);
        if (SUCCEEDED(hr) && len && !msg->Buffer)
                hr = E_OUTOFMEMORY;
        if (SUCCEEDED(hr) && len)
                memcpy(msg->Buffer, out.buf.data + out.base + ORPCTHAT_NULL_SIZE, len);
        if (SUCCEEDED(hr)) {
                /* the answer is the channel's: its interface pointers go with it */
                ndr_push_free(&out);
                goto out;
        }
out_unsend:
        /* no answer: what the stub marshaled into it is given back (CoReleaseMarshalData) */
        ndr_push_iface_unsend(&out);
        ndr_push_free(&out);
out:
        arena_done(&arena);
        itf->lpVtbl->Release(itf);
        return hr;
}

static IRpcStubBuffer *STDMETHODCALLTYPE cs_IsIIDSupported(IRpcStubBuffer *iface, REFIID riid) {
        struct chanstub *s = stub_from_iface(iface);

        if (!riid || !IsEqualIID(riid, &s->iid))
                return NULL;
        iface->lpVtbl->AddRef(iface);
        return iface;
}

/* The references the stub holds on its object: one while connected. */
static ULONG STDMETHODCALLTYPE cs_CountRefs(IRpcStubBuffer *iface) {
        struct chanstub *s = stub_from_iface(iface);
        ULONG n;

        pthread_mutex_lock(&s->lock);
        n = s->server ? 1 : 0;
        pthread_mutex_unlock(&s->lock);
        return n;
}

static HRESULT STDMETHODCALLTYPE cs_DebugServerQueryInterface(IRpcStubBuffer *iface, void **ppv) {
        struct chanstub *s = stub_from_iface(iface);

        if (!ppv)
                return E_POINTER;
        pthread_mutex_lock(&s->lock);
        *ppv = s->server;               /* not AddRef'd, as Windows' */
        pthread_mutex_unlock(&s->lock);
        return *ppv ? S_OK : E_UNEXPECTED;
}

static void STDMETHODCALLTYPE cs_DebugServerRelease(IRpcStubBuffer *iface, void *pv) {
        (void)iface;
        (void)pv;
}

static const IRpcStubBufferVtbl chanstub_vtbl = {
        cs_QueryInterface, cs_AddRef, cs_Release, cs_Connect, cs_Disconnect, cs_Invoke,
        cs_IsIIDSupported, cs_CountRefs, cs_DebugServerQueryInterface, cs_DebugServerRelease,
};

HRESULT com_ps_create_stub(IPSFactoryBuffer *factory, const CInterfaceStubVtbl *sv, REFIID riid,
                           IUnknown *server, IRpcStubBuffer **ppStub) {
        struct chanstub *s = calloc(1, sizeof *s);
        HRESULT hr;

        if (!s)
                return E_OUTOFMEMORY;
        s->factory = factory;
        factory->lpVtbl->AddRef(factory);
        s->IRpcStubBuffer_iface.lpVtbl = &chanstub_vtbl;
        s->iface = sv->header.pServerInfo;
        s->methods = sv->header.DispatchTableCount;
        s->iid = *riid;
        s->ref = 1;
        pthread_mutex_init(&s->lock, NULL);
        /* with an object: connected to it now (Windows' CreateStub does the same) */
        if (server && FAILED(hr = cs_Connect(&s->IRpcStubBuffer_iface, server))) {
                cs_Release(&s->IRpcStubBuffer_iface);
                return hr;
        }
        *ppStub = &s->IRpcStubBuffer_iface;
        return S_OK;
}
