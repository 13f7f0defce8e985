/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tests' loopback channel (loop-channel.h): each message a proxy sends is handed to
 * a stub buffer of this process (IRpcStubBuffer::Invoke), whose reply comes back as the
 * proxy's response -- a generated proxy and stub back to back, with no RPC between.
 */
#define COBJMACROS
#include <stdlib.h>

#include "loop-channel.h"

static struct loop_chan *chan_from(IRpcChannelBuffer *iface) {
        return (struct loop_chan *)iface;
}

static HRESULT STDMETHODCALLTYPE ch_qi(IRpcChannelBuffer *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRpcChannelBuffer)) {
                *ppv = This;
                atomic_fetch_add(&chan_from(This)->refs, 1);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ch_addref(IRpcChannelBuffer *This) {
        return (ULONG)atomic_fetch_add(&chan_from(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ch_release(IRpcChannelBuffer *This) {
        return (ULONG)atomic_fetch_sub(&chan_from(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE ch_getbuffer(IRpcChannelBuffer *This, RPCOLEMESSAGE *msg,
                                              REFIID riid) {
        (void)This, (void)riid;
        msg->Buffer = malloc(msg->cbBuffer ? msg->cbBuffer : 1);
        return msg->Buffer ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE ch_sendreceive(IRpcChannelBuffer *This, RPCOLEMESSAGE *msg,
                                                ULONG *status) {
        void *req = msg->Buffer;
        HRESULT hr;

        *status = 0;
        hr = IRpcStubBuffer_Invoke(chan_from(This)->stub, msg, This);   /* the reply replaces it */
        if (FAILED(hr)) {
                msg->Buffer = req;      /* the caller frees it (FreeBuffer) */
                return hr;
        }
        free(req);
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ch_freebuffer(IRpcChannelBuffer *This, RPCOLEMESSAGE *msg) {
        (void)This;
        free(msg->Buffer);
        msg->Buffer = NULL;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ch_getdestctx(IRpcChannelBuffer *This, DWORD *ctx, void **data) {
        (void)This;
        *ctx = MSHCTX_DIFFERENTMACHINE;
        *data = NULL;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ch_isconnected(IRpcChannelBuffer *This) {
        (void)This;
        return S_OK;
}

static const IRpcChannelBufferVtbl loop_chan_vtbl = {
        ch_qi, ch_addref, ch_release, ch_getbuffer, ch_sendreceive, ch_freebuffer, ch_getdestctx,
        ch_isconnected,
};

void loop_chan_init(struct loop_chan *c, IRpcStubBuffer *stub) {
        c->IRpcChannelBuffer_iface.lpVtbl = &loop_chan_vtbl;
        atomic_init(&c->refs, 1);
        c->stub = stub;
}
