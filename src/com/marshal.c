/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Marshaling interface pointers: CoMarshalInterface and friends over an IStream.  What
 * goes in the stream is an OBJREF ([MS-DCOM] 2.2.18): OBJREF_STANDARD for objects this
 * process exports (exporter.c) and for proxies marshaled on (proxy.c), OBJREF_HANDLER for
 * objects naming a handler (IStdMarshalInfo), OBJREF_CUSTOM for objects with their own
 * IMarshal, whose unmarshaler class reads its part back.  Generated stubs' interface
 * pointers go the same way (the hooks at the end).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "com/remote-internal.h"
#include "ndr/ndr-internal.h"
#include "dcom/winreg.h"

static LOG_CHANNEL(com);

/* A header (24 bytes) plus what the largest standard form holds. */
#define OBJREF_STD_MAX (24 + 40 + 16 + 4 + 2 * OBJREF_MAX_DSA_ENTRIES + 64)

static HRESULT stream_write(IStream *stm, const void *p, size_t n) {
        ULONG done = 0;
        HRESULT hr = stm->lpVtbl->Write(stm, p, (ULONG)n, &done);

        if (SUCCEEDED(hr) && done != n)
                hr = STG_E_MEDIUMFULL;
        return hr;
}

static HRESULT stream_read(IStream *stm, struct buf *b, size_t n) {
        ULONG done = 0;
        void *p = buf_extend(b, n);
        HRESULT hr;

        if (!p)
                return E_OUTOFMEMORY;
        hr = stm->lpVtbl->Read(stm, p, (ULONG)n, &done);
        if (SUCCEEDED(hr) && done != n)
                hr = STG_E_READFAULT;
        return hr;
}

/* A DUALSTRINGARRAY's head, then its entries. */
static HRESULT read_dsa(IStream *stm, struct buf *b) {
        HRESULT hr = stream_read(stm, b, 4);
        if (FAILED(hr))
                return hr;
        size_t n = b->data[b->len - 4] | b->data[b->len - 3] << 8;
        if (n > OBJREF_MAX_DSA_ENTRIES)
                return RPC_E_INVALID_OBJREF;
        return n ? stream_read(stm, b, 2 * n) : S_OK;
}

/*
 * Reads a whole OBJREF of a standard form from the stream (a CUSTOM one: its header, the
 * clsid and the two words; the rest is its unmarshaler's) and parses it.
 */
static HRESULT read_objref(IStream *stm, struct objref *o) {
        struct buf b;
        HRESULT hr;
        int r;

        buf_init(&b, OBJREF_STD_MAX + OBJREF_MAX_CUSTOM);
        if (FAILED(hr = stream_read(stm, &b, 24)))
                goto out;
        if (dcom_get_le32(b.data) != OBJREF_SIGNATURE) {
                hr = RPC_E_INVALID_OBJREF;
                goto out;
        }
        switch (dcom_get_le32(b.data + 4)) {
        case OBJREF_STANDARD:
                if (FAILED(hr = stream_read(stm, &b, 40)) || FAILED(hr = read_dsa(stm, &b)))
                        goto out;
                break;
        case OBJREF_HANDLER:
                if (FAILED(hr = stream_read(stm, &b, 56)) || FAILED(hr = read_dsa(stm, &b)))
                        goto out;
                break;
        case OBJREF_CUSTOM:
                if (FAILED(hr = stream_read(stm, &b, 24)))
                        goto out;
                break;
        case OBJREF_EXTENDED: {
                if (FAILED(hr = stream_read(stm, &b, 44)) || FAILED(hr = read_dsa(stm, &b)) ||
                    FAILED(hr = stream_read(stm, &b, 32)))
                        goto out;
                uint32_t rounded = dcom_get_le32(b.data + b.len - 4);
                if (rounded > OBJREF_MAX_CUSTOM) {
                        hr = RPC_E_INVALID_OBJREF;
                        goto out;
                }
                if (rounded && FAILED(hr = stream_read(stm, &b, rounded)))
                        goto out;
                break;
        }
        default:
                hr = RPC_E_INVALID_OBJREF;
                goto out;
        }
        r = objref_parse(b.data, b.len, o, NULL);
        hr = r == -ENOMEM ? E_OUTOFMEMORY : r < 0 ? RPC_E_INVALID_OBJREF : S_OK;
out:
        buf_free(&b);
        return hr;
}

/* The object's own marshaler, if it has one (a proxy of ours marshals the standard way). */
static IMarshal *custom_marshaler(IUnknown *unk) {
        IMarshal *m = NULL;

        if (com_proxy_is_proxy(unk))
                return NULL;
        if (FAILED(unk->lpVtbl->QueryInterface(unk, &IID_IMarshal, (void **)&m)))
                return NULL;
        return m;
}

static HRESULT marshal_custom(IStream *stm, REFIID riid, IUnknown *unk, IMarshal *m, DWORD dest,
                              void *dest_data, DWORD mshlflags) {
        struct objref o;
        struct buf b;
        DWORD size = 0;
        HRESULT hr;

        memset(&o, 0, sizeof o);
        o.flags = OBJREF_CUSTOM;
        o.iid = *riid;
        if (FAILED(hr = m->lpVtbl->GetUnmarshalClass(m, riid, unk, dest, dest_data, mshlflags, &o.clsid)))
                return hr;
        m->lpVtbl->GetMarshalSizeMax(m, riid, unk, dest, dest_data, mshlflags, &size);
        o.data_len = 0;
        buf_init(&b, 0);
        objref_write(&b, &o);
        /* the reserved word: the size of what the marshaler writes, as Windows puts it */
        if (b.len >= 4 && !b.error)
                dcom_put_le32(b.data + b.len - 4, size);
        hr = b.error ? E_OUTOFMEMORY : stream_write(stm, b.data, b.len);
        buf_free(&b);
        if (SUCCEEDED(hr))
                hr = m->lpVtbl->MarshalInterface(m, stm, riid, unk, dest, dest_data, mshlflags);
        return hr;
}

/* 00000017-0000-0000-C000-000000000046 */
DCOM_EXPORT const CLSID CLSID_StdMarshal = {
        0x00000017, 0x0000, 0x0000, { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 }
};

/* Whether the object's own marshaler only hands it to the standard one. */
static bool is_standard(IMarshal *m, REFIID riid, IUnknown *unk, DWORD dest, void *dest_data,
                        DWORD mshlflags) {
        CLSID clsid;
        return SUCCEEDED(m->lpVtbl->GetUnmarshalClass(m, riid, unk, dest, dest_data, mshlflags,
                                                      &clsid)) &&
               IsEqualCLSID(&clsid, &CLSID_StdMarshal);
}

static HRESULT marshal_standard(IStream *stm, REFIID riid, IUnknown *unk, DWORD dest,
                                void *dest_data, DWORD mshlflags);

HRESULT WINAPI CoMarshalInterface(IStream *stm, REFIID riid, IUnknown *unk, DWORD dest,
                                  void *dest_data, DWORD mshlflags) {
        IMarshal *m;
        HRESULT hr;

        if (!stm || !unk || !riid)
                return E_INVALIDARG;
        if (dest > MSHCTX_CROSSCTX || (mshlflags & ~(DWORD)(MSHLFLAGS_TABLESTRONG | MSHLFLAGS_TABLEWEAK |
                                                          MSHLFLAGS_NOPING)))
                return E_INVALIDARG;
        if ((m = custom_marshaler(unk))) {
                if (is_standard(m, riid, unk, dest, dest_data, mshlflags))
                        hr = marshal_standard(stm, riid, unk, dest, dest_data, mshlflags);
                else
                        hr = marshal_custom(stm, riid, unk, m, dest, dest_data, mshlflags);
                m->lpVtbl->Release(m);
                return hr;
        }
        return marshal_standard(stm, riid, unk, dest, dest_data, mshlflags);
}

/*
 * The standard forms: a proxy's own OBJREF, or the object exported -- an OBJREF_STANDARD,
 * or an OBJREF_HANDLER when the object names a handler class through IStdMarshalInfo
 * ([MS-DCOM] 2.2.18.5: the client creates that class in-process around the proxy).
 */
static HRESULT standard_objref(IUnknown *unk, REFIID riid, DWORD dest, void *dest_data,
                               DWORD mshlflags, struct objref *o) {
        IStdMarshalInfo *info = NULL;
        CLSID handler;
        HRESULT hr;

        if (com_proxy_is_proxy(unk))
                return com_proxy_marshal(unk, riid, o);
        if (FAILED(hr = com_export(unk, riid, dest, mshlflags, o)))
                return hr;
        if (SUCCEEDED(unk->lpVtbl->QueryInterface(unk, &IID_IStdMarshalInfo, (void **)&info))) {
                if (info->lpVtbl->GetClassForHandler(info, dest, dest_data, &handler) == S_OK &&
                    o->flags == OBJREF_STANDARD) {
                        o->flags = OBJREF_HANDLER;
                        o->clsid = handler;
                }
                info->lpVtbl->Release(info);
        }
        return S_OK;
}

/*
 * The references a standard OBJREF carries, given back when it was never written: the
 * exporter's, or -- a proxy marshaled on -- taken into the proxy manager (as
 * CoReleaseMarshalData does), which returns them to the server with its own.
 */
static void unwritten_objref(IUnknown *unk, struct objref *o) {
        IUnknown *back = NULL;

        if (!com_proxy_is_proxy(unk)) {
                com_export_release(&o->std, o->std.cPublicRefs, true);
                return;
        }
        if (o->std.cPublicRefs && SUCCEEDED(com_proxy_unmarshal(o, &IID_IUnknown, (void **)&back)))
                back->lpVtbl->Release(back);
}

/* An OBJREF_STANDARD (or _HANDLER) for the object, or the proxy marshaled on. */
static HRESULT marshal_standard(IStream *stm, REFIID riid, IUnknown *unk, DWORD dest,
                                void *dest_data, DWORD mshlflags) {
        struct objref o;
        struct buf b;
        HRESULT hr;

        if (FAILED(hr = standard_objref(unk, riid, dest, dest_data, mshlflags, &o)))
                return hr;
        buf_init(&b, OBJREF_STD_MAX);
        hr = objref_write(&b, &o) < 0 ? E_OUTOFMEMORY : stream_write(stm, b.data, b.len);
        if (FAILED(hr))
                unwritten_objref(unk, &o);
        buf_free(&b);
        objref_clear(&o);
        return hr;
}

HRESULT WINAPI CoGetMarshalSizeMax(ULONG *size, REFIID riid, IUnknown *unk, DWORD dest,
                                   void *dest_data, DWORD mshlflags) {
        IMarshal *m;

        if (!size || !unk || !riid)
                return E_INVALIDARG;
        if ((m = custom_marshaler(unk))) {
                DWORD n = 0;
                HRESULT hr = m->lpVtbl->GetMarshalSizeMax(m, riid, unk, dest, dest_data, mshlflags, &n);
                m->lpVtbl->Release(m);
                *size = n + 24 + 24;    /* the OBJREF_CUSTOM around it */
                return hr;
        }
        *size = OBJREF_STD_MAX;
        return S_OK;
}

/*
 * An OBJREF_CUSTOM from a peer makes this process create the class it names and hand the
 * peer's bytes to that class's IMarshal::UnmarshalInterface: from a peer (a call's
 * interface pointers, an activation's answer, and whatever their unmarshalers unmarshal
 * in turn), only a class that is a marshaler by someone's choice -- one this process
 * registered itself for in-process use (CoRegisterClassObject with
 * CLSCTX_INPROC_SERVER), or one registered in the COM marshalers' category
 * (HKCR\CLSID\{clsid}\Implemented Categories\{00000003-0000-0000-C000-000000000046},
 * CATID_Marshaler).  Any other registered in-process server a peer names is refused:
 * a remote caller does not get to load components into a server.
 */
static bool custom_unmarshaler_allowed(const CLSID *clsid) {
        WCHAR key[128];
        HKEY h;

        if (com_class_table_registered_inproc(clsid))
                return true;
        com_guid_key(key, "CLSID\\", clsid,
                     "\\Implemented Categories\\{00000003-0000-0000-C000-000000000046}");
        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &h) != ERROR_SUCCESS) {
                char id[DCOM_GUID_STRING_REG];
                log_debug(com, "an OBJREF_CUSTOM from a peer names %s, which is no marshaler "
                          "(not registered in-process by this process nor in CATID_Marshaler): "
                          "refused", dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id));
                return false;
        }
        RegCloseKey(h);
        return true;
}

/* Set while unmarshaling what a peer sent (com_unmarshal_from_peer, the stubs' hook):
   every OBJREF_CUSTOM met, at any depth, passes custom_unmarshaler_allowed -- and the
   free-threaded marshaler's data is refused unless the peer is this very process
   (from_self: another apartment's call, as the runtime knows its peer). */
static _Thread_local unsigned from_peer, from_self;

HRESULT com_unmarshal_from_peer(IStream *stm, REFIID riid, void **ppv) {
        from_peer++;
        HRESULT hr = CoUnmarshalInterface(stm, riid, ppv);
        from_peer--;
        return hr;
}

/* What another apartment of this process sent in a call: a peer's checks, except that
   the free-threaded marshaler's pointer is taken (its own table still vets it). */
static HRESULT unmarshal_from_self(IStream *stm, REFIID riid, void **ppv) {
        unsigned outer = from_self;

        from_self = from_peer + 1;      /* this depth of from_peer only */
        HRESULT hr = com_unmarshal_from_peer(stm, riid, ppv);
        from_self = outer;
        return hr;
}

static HRESULT unmarshal(IStream *stm, REFIID riid, void **ppv);

static HRESULT unmarshal_custom(IStream *stm, const struct objref *o, REFIID riid, void **ppv) {
        IMarshal *m;
        HRESULT hr = CoCreateInstance(&o->clsid, NULL, CLSCTX_INPROC_SERVER, &IID_IMarshal, (void **)&m);

        if (FAILED(hr))
                return hr;
        hr = m->lpVtbl->UnmarshalInterface(m, stm, riid, ppv);
        m->lpVtbl->Release(m);
        return hr;
}

/*
 * OBJREF_CUSTOM naming the standard marshaler wraps one OBJREF (its data); nesting is
 * bounded (8 deep, counting unmarshals a custom unmarshaler or a call run meanwhile
 * makes), so that a hostile stream cannot nest wrappers until the stack ends.
 */
static _Thread_local unsigned unmarshal_depth;

HRESULT WINAPI CoUnmarshalInterface(IStream *stm, REFIID riid, void **ppv) {
        HRESULT hr;

        if (!stm || !ppv)
                return E_INVALIDARG;
        *ppv = NULL;
        if (unmarshal_depth >= 8)
                return RPC_E_INVALID_OBJREF;
        unmarshal_depth++;
        hr = unmarshal(stm, riid, ppv);
        unmarshal_depth--;
        return hr;
}

static HRESULT unmarshal(IStream *stm, REFIID riid, void **ppv) {
        struct objref o;
        HRESULT hr;

        if (FAILED(hr = read_objref(stm, &o)))
                return hr;
        const IID *want = riid && !IsEqualIID(riid, &GUID_NULL) ? riid : &o.iid;
        if (o.flags == OBJREF_CUSTOM && IsEqualCLSID(&o.clsid, &CLSID_StdMarshal)) {
                /* the standard marshaler's data follows: an OBJREF of its own */
                objref_clear(&o);
                return CoUnmarshalInterface(stm, riid, ppv);
        }
        if (o.flags == OBJREF_CUSTOM) {
                /* the free-threaded marshaler's data is an address in this process: never
                   taken from a peer, whatever the registry says (ftm.c) */
                hr = from_peer && (IsEqualCLSID(&o.clsid, &CLSID_InProcFreeMarshaler)
                                           ? from_self != from_peer
                                           : !custom_unmarshaler_allowed(&o.clsid))
                             ? E_ACCESSDENIED
                             : unmarshal_custom(stm, &o, want, ppv);
        } else {
                hr = com_exporter_is_local(o.std.oxid)
                             ? com_export_unmarshal_local(&o.std, want, true, ppv)
                             : S_FALSE;
                if (hr == S_FALSE)
                        hr = com_proxy_unmarshal(&o, want, ppv);
        }
        objref_clear(&o);
        return hr;
}

static HRESULT release_data(IStream *stm);

/* learn.microsoft.com, CoMarshalHresult: the HRESULT as its 4 bytes, little-endian. */
HRESULT WINAPI CoMarshalHresult(IStream *stm, HRESULT hr) {
        uint8_t b[4] = { (uint8_t)hr, (uint8_t)((uint32_t)hr >> 8), (uint8_t)((uint32_t)hr >> 16),
                         (uint8_t)((uint32_t)hr >> 24) };

        if (!stm)
                return E_INVALIDARG;
        return stream_write(stm, b, sizeof b);
}

HRESULT WINAPI CoUnmarshalHresult(IStream *stm, HRESULT *hr) {
        uint8_t b[4];
        ULONG n = 0;
        HRESULT r;

        if (!stm || !hr)
                return E_INVALIDARG;
        r = stm->lpVtbl->Read(stm, b, sizeof b, &n);
        if (FAILED(r))
                return r;
        if (n != sizeof b)
                return STG_E_READFAULT;
        *hr = (HRESULT)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                        (uint32_t)b[3] << 24);
        return S_OK;
}

BOOL WINAPI CoIsOle1Class(REFCLSID clsid) {
        (void)clsid;
        return FALSE;
}

HRESULT WINAPI CoReleaseMarshalData(IStream *stm) {
        HRESULT hr;

        if (!stm)
                return E_INVALIDARG;
        if (unmarshal_depth >= 8)
                return RPC_E_INVALID_OBJREF;    /* wrappers in wrappers, as above */
        unmarshal_depth++;
        hr = release_data(stm);
        unmarshal_depth--;
        return hr;
}

static HRESULT release_data(IStream *stm) {
        struct objref o;
        HRESULT hr;

        if (FAILED(hr = read_objref(stm, &o)))
                return hr;
        if (o.flags == OBJREF_CUSTOM) {
                IMarshal *m;
                hr = CoCreateInstance(&o.clsid, NULL, CLSCTX_INPROC_SERVER, &IID_IMarshal, (void **)&m);
                if (SUCCEEDED(hr)) {
                        hr = m->lpVtbl->ReleaseMarshalData(m, stm);
                        m->lpVtbl->Release(m);
                }
        } else if (com_exporter_is_local(o.std.oxid)) {
                hr = com_export_release(&o.std, o.std.cPublicRefs, false);
        } else {
                /* another process's object: its references go back through a proxy */
                IUnknown *unk = NULL;
                hr = com_proxy_unmarshal(&o, &IID_IUnknown, (void **)&unk);
                if (unk)
                        unk->lpVtbl->Release(unk);
        }
        objref_clear(&o);
        return hr;
}

HRESULT WINAPI CoDisconnectObject(IUnknown *unk, DWORD reserved) {
        IMarshal *m;
        HRESULT hr;

        if (!unk)
                return E_INVALIDARG;
        if ((m = custom_marshaler(unk))) {
                hr = m->lpVtbl->DisconnectObject(m, reserved);
                m->lpVtbl->Release(m);
                return hr;
        }
        return com_export_disconnect(unk);
}

HRESULT WINAPI CoLockObjectExternal(IUnknown *unk, BOOL lock, BOOL last_unlock_releases) {
        if (!unk)
                return E_INVALIDARG;
        return com_export_lock(unk, lock, last_unlock_releases);
}

/* --- the standard marshaler as an object (CoGetStandardMarshal, CLSID_StdMarshal) ---------- */

struct std_marshal {
        IMarshal IMarshal_iface;
        atomic_uint refs;
        IUnknown *obj;                  /* the object it marshals (NULL: an unmarshaler) */
};

static struct std_marshal *impl_from_IMarshal(IMarshal *iface) {
        return (struct std_marshal *)iface;
}

static HRESULT STDMETHODCALLTYPE sm_QueryInterface(IMarshal *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMarshal)) {
                *ppv = iface;
                iface->lpVtbl->AddRef(iface);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sm_AddRef(IMarshal *iface) {
        return atomic_fetch_add(&impl_from_IMarshal(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE sm_Release(IMarshal *iface) {
        struct std_marshal *m = impl_from_IMarshal(iface);
        ULONG r = atomic_fetch_sub(&m->refs, 1) - 1;

        if (!r) {
                if (m->obj)
                        m->obj->lpVtbl->Release(m->obj);
                free(m);
        }
        return r;
}

static HRESULT STDMETHODCALLTYPE sm_GetUnmarshalClass(IMarshal *iface, REFIID riid, void *pv,
                                                      DWORD dest, void *dest_data, DWORD mshlflags,
                                                      CLSID *clsid) {
        if (!clsid)
                return E_POINTER;
        *clsid = CLSID_StdMarshal;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE sm_GetMarshalSizeMax(IMarshal *iface, REFIID riid, void *pv,
                                                      DWORD dest, void *dest_data, DWORD mshlflags,
                                                      DWORD *size) {
        if (!size)
                return E_POINTER;
        *size = OBJREF_STD_MAX;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE sm_MarshalInterface(IMarshal *iface, IStream *stm, REFIID riid,
                                                     void *pv, DWORD dest, void *dest_data,
                                                     DWORD mshlflags) {
        struct std_marshal *m = impl_from_IMarshal(iface);
        IUnknown *unk = pv ? pv : m->obj;

        if (!stm || !unk || !riid)
                return E_INVALIDARG;
        return marshal_standard(stm, riid, unk, dest, dest_data, mshlflags);
}

static HRESULT STDMETHODCALLTYPE sm_UnmarshalInterface(IMarshal *iface, IStream *stm, REFIID riid,
                                                       void **ppv) {
        return CoUnmarshalInterface(stm, riid, ppv);
}

static HRESULT STDMETHODCALLTYPE sm_ReleaseMarshalData(IMarshal *iface, IStream *stm) {
        return CoReleaseMarshalData(stm);
}

static HRESULT STDMETHODCALLTYPE sm_DisconnectObject(IMarshal *iface, DWORD reserved) {
        struct std_marshal *m = impl_from_IMarshal(iface);
        return m->obj ? com_export_disconnect(m->obj) : S_OK;
}

static const IMarshalVtbl std_marshal_vtbl = {
        sm_QueryInterface, sm_AddRef, sm_Release, sm_GetUnmarshalClass, sm_GetMarshalSizeMax,
        sm_MarshalInterface, sm_UnmarshalInterface, sm_ReleaseMarshalData, sm_DisconnectObject,
};

static HRESULT std_marshal_new(IUnknown *obj, IMarshal **ret) {
        struct std_marshal *m = calloc(1, sizeof *m);

        if (!m)
                return E_OUTOFMEMORY;
        m->IMarshal_iface.lpVtbl = &std_marshal_vtbl;
        atomic_init(&m->refs, 1);
        if ((m->obj = obj))
                obj->lpVtbl->AddRef(obj);
        *ret = &m->IMarshal_iface;
        return S_OK;
}

HRESULT WINAPI CoGetStandardMarshal(REFIID riid, IUnknown *unk, DWORD dest, void *dest_data,
                                    DWORD mshlflags, IMarshal **ret) {
        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        return std_marshal_new(unk, ret);
}

/*
 * CoGetStdMarshalEx(outer, SMEXF_SERVER): the standard marshaler aggregated into a server
 * object that implements IMarshal by handing some or all of its calls to it (a handler's
 * server side, an object marshaling itself by value only in some contexts).  The inner
 * IUnknown is the aggregate's own; IMarshal's IUnknown is the outer object's, and the
 * object marshaled is the outer one (or the interface pointer a call names).  As COM's
 * aggregation rules say, the inner object holds no reference on the outer.
 */
static HRESULT STDMETHODCALLTYPE smx_MarshalInterface(IMarshal *iface, IStream *stm, REFIID riid,
                                                      void *pv, DWORD dest, void *dest_data,
                                                      DWORD mshlflags) {
        IUnknown *unk = pv ? pv : com_marshal_agg_of(iface)->outer;

        if (!stm || !riid)
                return E_INVALIDARG;
        return marshal_standard(stm, riid, unk, dest, dest_data, mshlflags);
}

static HRESULT STDMETHODCALLTYPE smx_DisconnectObject(IMarshal *iface, DWORD reserved) {
        return com_export_disconnect(com_marshal_agg_of(iface)->outer);
}

static const IMarshalVtbl std_marshal_ex_vtbl = {
        com_marshal_agg_QueryInterface, com_marshal_agg_AddRef, com_marshal_agg_Release,
        sm_GetUnmarshalClass, sm_GetMarshalSizeMax,
        smx_MarshalInterface, sm_UnmarshalInterface, sm_ReleaseMarshalData, smx_DisconnectObject,
};

HRESULT WINAPI CoGetStdMarshalEx(IUnknown *outer, DWORD smexflags, IUnknown **inner) {
        struct com_apartment *apt;

        if (!inner)
                return E_INVALIDARG;
        *inner = NULL;
        if (!outer || (smexflags != SMEXF_SERVER && smexflags != SMEXF_HANDLER))
                return E_INVALIDARG;
        if (!(apt = com_apartment_get()))
                return CO_E_NOTINITIALIZED;
        com_apartment_release(apt);
        /* the client side of a handler (the standard marshaler a handler aggregates to
           reach its proxy) needs the proxy manager as an aggregatable object: not here */
        if (smexflags == SMEXF_HANDLER)
                return E_NOTIMPL;
        return com_marshal_agg_new(&std_marshal_ex_vtbl, outer, inner);
}

/* An instance of CLSID_StdMarshal (the built-in factory's, git.c): an unmarshaler. */
HRESULT com_std_marshal_create(const IID *riid, void **ppv) {
        IMarshal *m;
        HRESULT hr;

        if (FAILED(hr = std_marshal_new(NULL, &m)))
                return hr;
        hr = m->lpVtbl->QueryInterface(m, riid, ppv);
        m->lpVtbl->Release(m);
        return hr;
}

/* --- interface pointers in generated stubs ([MS-DCOM] 2.2.14: an MInterfacePointer) -------- */

static int hr_errno(HRESULT hr) {
        return hr == E_OUTOFMEMORY ? -ENOMEM : hr == E_NOINTERFACE || hr == REGDB_E_IIDNOTREG ? -ENOENT
                                                                                           : -EIO;
}

/* The bytes of a stream written from its start, into the call's arena. */
static int stream_to_arena(IStream *stm, struct arena *a, uint8_t **ret, uint32_t *ret_len) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        ULARGE_INTEGER end;
        ULONG got = 0;
        uint8_t *p;

        if (FAILED(stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_CUR, &end)) || end.QuadPart > NDR_OBJREF_MAX)
                return -E2BIG;
        if (!(p = arena_alloc(a, end.QuadPart ? (size_t)end.QuadPart : 1)))
                return -ENOMEM;
        if (FAILED(stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL)) ||
            FAILED(stm->lpVtbl->Read(stm, p, (ULONG)end.QuadPart, &got)) || got != end.QuadPart)
                return -EIO;
        *ret = p;
        *ret_len = got;
        return 0;
}

/* An object with a marshaler of its own in a call: its OBJREF_CUSTOM, through a stream
   as CoMarshalInterface writes it (undone if it cannot be sent). */
static int hook_marshal_custom(const GUID *iid, IUnknown *unk, IMarshal *m, DWORD dest,
                               struct arena *a, uint8_t **ret, uint32_t *ret_len) {
        IStream *stm;
        HRESULT hr;
        int r;

        if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &stm)))
                return hr_errno(hr);
        hr = marshal_custom(stm, iid, unk, m, dest, NULL, MSHLFLAGS_NORMAL);
        r = FAILED(hr) ? hr_errno(hr) : stream_to_arena(stm, a, ret, ret_len);
        if (SUCCEEDED(hr) && r < 0) {
                LARGE_INTEGER zero = { .QuadPart = 0 };
                stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL);
                CoReleaseMarshalData(stm);
        }
        stm->lpVtbl->Release(stm);
        return r;
}

/*
 * An interface pointer in a call, for where the call goes: an object's own marshaler is
 * asked for that context (MSHCTX_INPROC to another apartment of this process: the
 * free-threaded marshaler hands over the pointer itself, as Windows' does in a
 * cross-apartment call); the standard marshal is the same for every destination (an
 * OBJREF that names our resolver, whoever it reaches next).
 */
static int hook_marshal_to(const GUID *iid, void *obj, enum ndr_iface_ctx to, struct arena *a,
                           uint8_t **ret, uint32_t *ret_len) {
        DWORD dest = to == NDR_IFACE_INPROC ? MSHCTX_INPROC
                     : to == NDR_IFACE_LOCAL ? MSHCTX_LOCAL : MSHCTX_DIFFERENTMACHINE;
        IUnknown *unk = obj;
        struct objref o;
        struct buf b;
        IMarshal *m;
        HRESULT hr;
        int r;

        /* the object's own marshaler, as CoMarshalInterface honours it */
        if ((m = custom_marshaler(unk))) {
                bool std = is_standard(m, iid, unk, dest, NULL, MSHLFLAGS_NORMAL);
                r = std ? 0 : hook_marshal_custom(iid, unk, m, dest, a, ret, ret_len);
                m->lpVtbl->Release(m);
                if (!std)
                        return r;
        }
        hr = standard_objref(unk, iid, MSHCTX_DIFFERENTMACHINE, NULL, MSHLFLAGS_NORMAL, &o);
        if (FAILED(hr))
                return hr_errno(hr);
        buf_init(&b, NDR_OBJREF_MAX);
        r = objref_write(&b, &o);
        if (r >= 0) {
                uint8_t *p = arena_alloc(a, b.len);
                if (p) {
                        memcpy(p, b.data, b.len);
                        *ret = p;
                        *ret_len = (uint32_t)b.len;
                } else {
                        r = -ENOMEM;
                }
        }
        if (r < 0)
                unwritten_objref(unk, &o);
        buf_free(&b);
        objref_clear(&o);
        return r;
}

static int hook_marshal(const GUID *iid, void *obj, struct arena *a, uint8_t **ret, uint32_t *ret_len) {
        return hook_marshal_to(iid, obj, NDR_IFACE_REMOTE, a, ret, ret_len);
}

/*
 * An interface pointer a call brought passes com_unmarshal_from_peer's checks (no
 * address-carrying marshaler, registered marshalers only) -- except that what this very
 * process sent from another apartment (the runtime knows: NDR_IFACE_INPROC) may be the
 * free-threaded marshaler's pointer, which its own table still vets.  A forked child
 * holding its parent's connection is this process to the parent's server: it can name
 * no class the parent did not register, and no pointer the parent did not hand out.
 */
static int hook_unmarshal_from(const GUID *iid, const uint8_t *bytes, uint32_t len,
                               enum ndr_iface_ctx from, void **ret) {
        struct objref o;
        HRESULT hr;
        int r = objref_parse(bytes, len, &o, NULL);

        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (o.flags == OBJREF_CUSTOM) {
                /* its unmarshaler reads from a stream: the bytes in one (which class
                   may unmarshal a peer's data: custom_unmarshaler_allowed) */
                IStream *stm;
                objref_clear(&o);
                if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &stm)))
                        return hr_errno(hr);
                LARGE_INTEGER zero = { .QuadPart = 0 };
                if (SUCCEEDED(hr = stm->lpVtbl->Write(stm, bytes, len, NULL)) &&
                    SUCCEEDED(hr = stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL)))
                        hr = from == NDR_IFACE_INPROC ? unmarshal_from_self(stm, iid, ret)
                                                      : com_unmarshal_from_peer(stm, iid, ret);
                stm->lpVtbl->Release(stm);
                return hr == E_ACCESSDENIED ? -EACCES : FAILED(hr) ? hr_errno(hr) : 0;
        }
        hr = com_exporter_is_local(o.std.oxid) ? com_export_unmarshal_local(&o.std, iid, true, ret)
                                               : S_FALSE;
        if (hr == S_FALSE)
                hr = com_proxy_unmarshal(&o, iid, ret);
        objref_clear(&o);
        return FAILED(hr) ? hr_errno(hr) : 0;
}

static int hook_unmarshal(const GUID *iid, const uint8_t *bytes, uint32_t len, void **ret) {
        return hook_unmarshal_from(iid, bytes, len, NDR_IFACE_REMOTE, ret);
}

static void hook_release(void *obj) {
        ((IUnknown *)obj)->lpVtbl->Release((IUnknown *)obj);
}

/* An OBJREF marshaled into a response that is not sent: as CoReleaseMarshalData (the
   exporter's public references, a custom marshaler's ReleaseMarshalData). */
static void hook_release_marshaled(const uint8_t *objref, uint32_t len) {
        LARGE_INTEGER zero = { .QuadPart = 0 };
        IStream *stm;
        HRESULT hr;

        if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &stm))) {
                log_debug(com, "an unsent OBJREF kept: no stream (0x%08x)", (unsigned)hr);
                return;
        }
        /* the runtime's thread (a response it could not write) is in no apartment: the
           MTA's for the while, so that a custom marshaler's class can be made */
        bool entered = !com_current_apartment() &&
                       SUCCEEDED(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        if (SUCCEEDED(hr = stm->lpVtbl->Write(stm, objref, len, NULL)) &&
            SUCCEEDED(hr = stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL)))
                hr = CoReleaseMarshalData(stm);
        if (entered)
                CoUninitialize();
        if (FAILED(hr))
                log_debug(com, "releasing an unsent OBJREF: 0x%08x", (unsigned)hr);
        stm->lpVtbl->Release(stm);
}

static const struct ndr_iface_hooks hooks = {
        hook_marshal, hook_unmarshal, hook_release, hook_release_marshaled,
};
/* A failed call's request to another apartment: the free-threaded marshaler's data
   the callee did not take is given back (its table knows: data taken is refused);
   anything else may be the callee's by now, and is left to it (or to the rundown). */
static void hook_release_untaken(const uint8_t *objref, uint32_t len) {
        struct objref o;

        if (objref_parse(objref, len, &o, NULL) < 0)
                return;
        bool ftm = o.flags == OBJREF_CUSTOM && IsEqualCLSID(&o.clsid, &CLSID_InProcFreeMarshaler);
        objref_clear(&o);
        if (ftm)
                hook_release_marshaled(objref, len);
}

static const struct ndr_iface_ctx_hooks ctx_hooks = {
        hook_marshal_to, hook_unmarshal_from, hook_release_untaken,
};

/* Generated stubs marshal interface pointers through us as soon as the library is loaded. */
__attribute__((constructor)) static void install_hooks(void) {
        ndr_set_iface_hooks(&hooks);
        ndr_set_iface_ctx_hooks(&ctx_hooks);
}
