/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error information across processes ([MS-DCOM] 2.2.21.1): a method of an exported
 * object that fails with an error object set on its thread (SetErrorInfo) has that
 * object sent back in the response's ORPCTHAT, as an ORPC_EXTENT whose id is
 * CLSID_ERROR_EXTENSION and whose data is an OBJREF_CUSTOM of CLSID_ErrorObject
 * carrying [MS-DCOM] 2.2.21.2's error data (src/oleaut/errorinfo.c); the proxy turns it
 * back into the calling thread's error object (GetErrorInfo).
 *
 * The exporter calls com_errorext_begin() before an object's method runs (a stale error
 * object is not sent) and com_errorext_response() after, on the same thread.  The
 * generated stub has written ORPCTHAT with no extensions (flags, a NULL pointer) at the
 * response's start and the HRESULT last; the extension array goes in after those 8
 * bytes, its size a multiple of 8 so that everything after keeps its NDR alignment.
 * The proxy's channel calls com_errorext_reply() on the caller's thread with the
 * response before the generated proxy pulls it.
 */
#include <errno.h>
#include <string.h>

#include "com/objref.h"
#include "com/remote-internal.h"
#include "oleaut/oleaut-internal.h"

/* [MS-DCOM] 1.9 */
static const GUID CLSID_ERROR_EXTENSION = {
        0x0000031c, 0x0000, 0x0000, { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 }
};
static const CLSID CLSID_ErrorObject = {
        0x0000031b, 0x0000, 0x0000, { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 }
};

/* Extents we look through in a response, and the OBJREF we take from one. */
#define MAX_EXTENTS 64u

static void put_guid(struct buf *b, const GUID *g) {
        buf_put_u32le(b, g->Data1);
        buf_put_u16le(b, g->Data2);
        buf_put_u16le(b, g->Data3);
        buf_append(b, g->Data4, 8);
}

static void get_guid(const uint8_t *p, GUID *g) {
        g->Data1 = dcom_get_le32(p);
        g->Data2 = (uint16_t)(p[4] | p[5] << 8);
        g->Data3 = (uint16_t)(p[6] | p[7] << 8);
        memcpy(g->Data4, p + 8, 8);
}

void com_errorext_clear(void) {
        SetErrorInfo(0, NULL);
}

/* The OBJREF_CUSTOM of the error object ([MS-DCOM] 2.2.21.2), appended to b. */
static int error_objref(IErrorInfo *ei, struct buf *b) {
        struct objref o = { .flags = OBJREF_CUSTOM, .iid = IID_IErrorInfo,
                            .clsid = CLSID_ErrorObject };
        struct buf data;
        int r;

        buf_init(&data, OBJREF_MAX_CUSTOM);
        if ((r = oleaut_errorinfo_write(ei, &data)) >= 0) {
                o.data = data.data;
                o.data_len = (uint32_t)data.len;
                r = objref_write(b, &o);
        }
        buf_free(&data);
        return r < 0 ? r : b->error;
}

/* [MS-DCOM] 2.2.13.1, 2.2.13.2: the ORPC_EXTENT_ARRAY referent holding one extent. */
static int extension_bytes(IErrorInfo *ei, struct buf *x) {
        struct buf ref;
        int r;

        buf_init(&ref, OBJREF_MAX_CUSTOM + 4096);
        if ((r = error_objref(ei, &ref)) < 0) {
                buf_free(&ref);
                return r;
        }
        uint32_t n = (uint32_t)ref.len, n8 = (n + 7) & ~7u;
        buf_put_u32le(x, 1);                    /* size: one extent */
        buf_put_u32le(x, 0);                    /* reserved */
        buf_put_u32le(x, 0x00020004);           /* extent: [unique] */
        buf_put_u32le(x, 2);                    /* its conformance: (size + 1) & ~1 */
        buf_put_u32le(x, 0x00020008);           /* extent[0] */
        buf_put_u32le(x, 0);                    /* extent[1]: NULL, the padding slot */
        buf_put_u32le(x, n8);                   /* ORPC_EXTENT's conformance: (size + 7) & ~7 */
        put_guid(x, &CLSID_ERROR_EXTENSION);
        buf_put_u32le(x, n);
        buf_append(x, ref.data, n);
        for (uint32_t i = n; i < n8; i++)
                buf_put_u8(x, 0);
        buf_free(&ref);
        return x->error;                        /* 48 + n8 bytes: a multiple of 8 */
}

void com_errorext_take(struct ndr_push *out) {
        IErrorInfo *ei = NULL;
        struct buf x;

        /* taken either way: what a call left on its thread goes with it */
        if (GetErrorInfo(0, &ei) != S_OK)
                return;
        size_t n = out->buf.len - out->base;
        const uint8_t *stub = out->buf.data + out->base;
        if (out->buf.error || out->syntax != NDR_SYNTAX_NDR20 || n < 12 || dcom_get_le32(stub + 4) ||
            !FAILED((HRESULT)dcom_get_le32(stub + n - 4)))
                goto out_release;
        buf_init(&x, 0);
        if (extension_bytes(ei, &x) >= 0 && buf_reserve(&out->buf, x.len) >= 0) {
                uint8_t *s = out->buf.data + out->base;
                memmove(s + 8 + x.len, s + 8, n - 8);
                memcpy(s + 8, x.data, x.len);
                dcom_put_le32(s + 4, 0x00020000);    /* ORPCTHAT.extensions, no longer NULL */
                out->buf.len += x.len;
        }
        buf_free(&x);
out_release:
        ei->lpVtbl->Release(ei);
}

/* The error object in one ORPC_EXTENT's data, made the caller's. */
static void take_error(const uint8_t *p, size_t len) {
        struct objref o;
        IErrorInfo *ei;

        if (objref_parse(p, len, &o, NULL) < 0)
                return;
        if (o.flags == OBJREF_CUSTOM && IsEqualGUID(&o.clsid, &CLSID_ErrorObject) &&
            oleaut_errorinfo_read(o.data, o.data_len, &ei) >= 0) {
                SetErrorInfo(0, ei);
                ei->lpVtbl->Release(ei);
        }
        objref_clear(&o);
}

void com_errorext_reply(const struct ndr_pull *in) {
        const uint8_t *p = in->data;
        size_t len = in->size, off = 8;

        /* ORPCTHAT: flags, then the extensions' pointer; a big-endian peer is not read */
        if (in->big_endian || in->syntax != NDR_SYNTAX_NDR20 || len < 8 || !dcom_get_le32(p + 4))
                return;
        if (len - off < 12 || !dcom_get_le32(p + off + 8))
                return;
        uint32_t size = dcom_get_le32(p + off), count = (size + 1) & ~1u;
        off += 12;
        if (size > MAX_EXTENTS || len - off < 4 + 4 * (size_t)count || dcom_get_le32(p + off) != count)
                return;
        uint32_t ids[MAX_EXTENTS];
        for (uint32_t i = 0; i < count; i++)
                ids[i] = dcom_get_le32(p + off + 4 + 4 * i);
        off += 4 + 4 * (size_t)count;
        for (uint32_t i = 0; i < count; i++) {
                if (!ids[i])
                        continue;
                /* ORPC_EXTENT: conformance, id, size, data[(size + 7) & ~7] */
                if (len - off < 24)
                        return;
                uint32_t conf = dcom_get_le32(p + off), n = dcom_get_le32(p + off + 20);
                GUID id;
                get_guid(p + off + 4, &id);
                if (conf != ((n + 7) & ~7u) || conf < n || len - off - 24 < conf)
                        return;
                if (IsEqualGUID(&id, &CLSID_ERROR_EXTENSION)) {
                        take_error(p + off + 24, n);
                        return;
                }
                off += 24 + conf;
        }
}
