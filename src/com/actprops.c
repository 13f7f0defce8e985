/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation property blobs ([MS-DCOM] 2.2.22), both directions: actprops.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "com/actprops.h"
#include "com/objref.h"
#include "dcom/guid.h"
#include "ndr/ndr-internal.h"

#define COM_GUID(d1) { d1, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } }

/* [MS-DCOM] 1.9 */
const CLSID CLSID_ActivationPropertiesIn = COM_GUID(0x00000338);
const CLSID CLSID_ActivationPropertiesOut = COM_GUID(0x00000339);
const IID IID_IActivationPropertiesIn = COM_GUID(0x000001a2);
const IID IID_IActivationPropertiesOut = COM_GUID(0x000001a3);
static const CLSID CLSID_ActivationContextInfo = COM_GUID(0x000001a5);
static const CLSID CLSID_InstanceInfo = COM_GUID(0x000001ad);
static const CLSID CLSID_InstantiationInfo = COM_GUID(0x000001ab);
static const CLSID CLSID_PropsOutInfo = COM_GUID(0x00000339);
static const CLSID CLSID_ScmReplyInfo = COM_GUID(0x000001b6);
static const CLSID CLSID_ScmRequestInfo = COM_GUID(0x000001aa);
static const CLSID CLSID_SecurityInfo = COM_GUID(0x000001a6);
static const CLSID CLSID_ServerLocationInfo = COM_GUID(0x000001a4);
static const CLSID CLSID_SpecialSystemProperties = COM_GUID(0x000001b9);

#define MAX_BLOB (OBJREF_MAX_CUSTOM)
#define MAX_PROPS 10                    /* MAX_ACTPROP_LIMIT */

/* --- reading ------------------------------------------------------------------------------- */

/*
 * The OBJREF_CUSTOM of the expected class, its blob's header, and each property's bytes
 * (*props[i], *sizes[i]) by the header's sizes.
 */
struct blob {
        struct objref o;
        CustomHeader h;
        const uint8_t *prop[MAX_PROPS];
        size_t size[MAX_PROPS];
};

static int blob_open(const uint8_t *p, size_t len, const CLSID *clsid, struct arena *a,
                     struct blob *b) {
        size_t used, off;
        int r;

        memset(b, 0, sizeof *b);
        r = objref_parse(p, len, &b->o, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (b->o.flags != OBJREF_CUSTOM || !dcom_guid_equal(&b->o.clsid, clsid) ||
            b->o.data_len < 8)
                return -EBADMSG;
        const uint8_t *d = b->o.data;
        size_t n = b->o.data_len;
        /* [MS-DCOM] 2.2.22.1: dwSize counts what follows dwReserved */
        if (dcom_get_le32(d) > n - 8)
                return -EBADMSG;
        n = 8 + dcom_get_le32(d);
        r = CustomHeader_Decode(d + 8, n - 8, a, &b->h, &used);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (b->h.cIfs < 1 || b->h.cIfs > MAX_PROPS || !b->h.pclsid || !b->h.pSizes)
                return -EBADMSG;
        /* [MS-DCOM] 2.2.22.1.1: headerSize is the pickled header's, padded to 8 */
        off = 8 + (b->h.headerSize >= used && b->h.headerSize - used < 8 ? b->h.headerSize : used);
        for (DWORD i = 0; i < b->h.cIfs; i++) {
                if (off > n || b->h.pSizes[i] > n - off)
                        return -EBADMSG;
                b->prop[i] = d + off;
                b->size[i] = b->h.pSizes[i];
                off += b->h.pSizes[i];
        }
        return 0;
}

static const uint8_t *blob_find(const struct blob *b, const CLSID *clsid, size_t *size) {
        for (DWORD i = 0; i < b->h.cIfs; i++)
                if (dcom_guid_equal(&b->h.pclsid[i], clsid)) {
                        *size = b->size[i];
                        return b->prop[i];
                }
        return NULL;
}

/* get_TYPE: the property of clsid decoded into *out, if the blob has it (*found). */
#define DEFINE_GET(type)                                                                            \
        static int get_##type(const struct blob *b, const CLSID *clsid, struct arena *a,           \
                              type *out, bool *found) {                                            \
                size_t size, used;                                                                 \
                const uint8_t *p = blob_find(b, clsid, &size);                                     \
                int r = 0;                                                                         \
                *found = p != NULL;                                                                \
                if (p && (r = type##_Decode(p, size, a, out, &used)) < 0 && r != -ENOMEM)         \
                        r = -EBADMSG;                                                              \
                return r;                                                                          \
        }

DEFINE_GET(InstantiationInfoData)
DEFINE_GET(ScmRequestInfoData)
DEFINE_GET(SecurityInfoData)
DEFINE_GET(SpecialPropertiesData)
DEFINE_GET(ActivationContextInfoData)
DEFINE_GET(LocationInfoData)
DEFINE_GET(InstanceInfoData)
DEFINE_GET(PropsOutInfo)
DEFINE_GET(ScmReplyInfoData)

int actprops_in_parse(const uint8_t *p, size_t len, struct arena *a, struct actprops_in *ret) {
        struct blob b;
        bool found;
        int r;

        memset(ret, 0, sizeof *ret);
        ret->session_id = 0xFFFFFFFF;
        r = blob_open(p, len, &CLSID_ActivationPropertiesIn, a, &b);
        if (r < 0)
                goto out;
        ret->dest_ctx = b.h.destCtx;

        InstantiationInfoData inst;
        if ((r = get_InstantiationInfoData(&b, &CLSID_InstantiationInfo, a, &inst, &found)) < 0)
                goto out;
        if (!found) {
                r = -EPROTO;
                goto out;
        }
        if (inst.cIID < 1 || inst.cIID > ACTPROPS_MAX_IIDS || !inst.pIID) {
                r = -EBADMSG;
                goto out;
        }
        ret->clsid = inst.classId;
        ret->clsctx = inst.classCtx;
        ret->n_iids = inst.cIID;
        ret->iids = inst.pIID;
        ret->client_version = inst.clientCOMVersion;

        ScmRequestInfoData scm;
        if ((r = get_ScmRequestInfoData(&b, &CLSID_ScmRequestInfo, a, &scm, &found)) < 0)
                goto out;
        if (found && scm.remoteRequest) {
                ret->imp_level = scm.remoteRequest->ClientImpLevel;
                ret->n_protseqs = scm.remoteRequest->pRequestedProtseqs
                                          ? scm.remoteRequest->cRequestedProtseqs : 0;
                ret->protseqs = scm.remoteRequest->pRequestedProtseqs;
        }
        SecurityInfoData sec;
        if ((r = get_SecurityInfoData(&b, &CLSID_SecurityInfo, a, &sec, &found)) < 0)
                goto out;
        if (found && sec.pServerInfo)
                ret->server_name = sec.pServerInfo->pwszName;
        SpecialPropertiesData sp;
        if ((r = get_SpecialPropertiesData(&b, &CLSID_SpecialSystemProperties, a, &sp,
                        &found)) < 0)
                goto out;
        if (found) {
                ret->session_id = sp.dwSessionId;
                ret->authn_level = sp.dwDefaultAuthnLvl;
        }
        /* ActivationContextInfo, ServerLocationInfo, InstanceInfo: checked, not used (no
           contexts, no persistent-object activation: CoGetInstanceFromFile is not served) */
        ActivationContextInfoData ctx;
        LocationInfoData loc;
        InstanceInfoData ii;
        if ((r = get_ActivationContextInfoData(&b, &CLSID_ActivationContextInfo, a, &ctx,
                        &found)) < 0 ||
            (r = get_LocationInfoData(&b, &CLSID_ServerLocationInfo, a, &loc, &found)) < 0 ||
            (r = get_InstanceInfoData(&b, &CLSID_InstanceInfo, a, &ii, &found)) < 0)
                goto out;
        r = 0;
out:
        objref_clear(&b.o);
        return r;
}

int actprops_out_parse(const uint8_t *p, size_t len, struct arena *a, struct actprops_out *ret) {
        struct blob b;
        bool found;
        int r;

        memset(ret, 0, sizeof *ret);
        r = blob_open(p, len, &CLSID_ActivationPropertiesOut, a, &b);
        if (r < 0)
                goto out;
        PropsOutInfo po;
        if ((r = get_PropsOutInfo(&b, &CLSID_PropsOutInfo, a, &po, &found)) < 0)
                goto out;
        if (!found || !po.piid || !po.phresults || !po.ppIntfData) {
                r = found ? -EBADMSG : -EPROTO;
                goto out;
        }
        ScmReplyInfoData scm;
        if ((r = get_ScmReplyInfoData(&b, &CLSID_ScmReplyInfo, a, &scm, &found)) < 0)
                goto out;
        if (!found || !scm.remoteReply) {
                r = found ? -EBADMSG : -EPROTO;
                goto out;
        }
        ret->n = po.cIfs;
        ret->iids = po.piid;
        ret->hrs = po.phresults;
        ret->ifaces = po.ppIntfData;
        ret->oxid = scm.remoteReply->Oxid;
        ret->bindings = scm.remoteReply->pdsaOxidBindings;
        ret->ipid_remunk = scm.remoteReply->ipidRemUnknown;
        ret->authn_hint = scm.remoteReply->authnHint;
        ret->server_version = scm.remoteReply->serverVersion;
        if (ret->bindings && dsa_check(ret->bindings) < 0)
                r = -EBADMSG;
out:
        objref_clear(&b.o);
        return r;
}

/* --- writing ------------------------------------------------------------------------------- */

/* put_TYPE: one property pickled onto props, padded to 8 (with zeros), *size its bytes. */
#define DEFINE_PUT(type)                                                                            \
        static int put_##type(struct ndr_push *props, const type *v, DWORD *size) {                \
                size_t before = props->buf.len;                                                    \
                int r = type##_Encode(props, v);                                                   \
                if (r < 0)                                                                         \
                        return r;                                                                  \
                buf_pad(&props->buf, 8);                                                           \
                *size = (DWORD)(props->buf.len - before);                                          \
                return props->buf.error;                                                           \
        }

DEFINE_PUT(InstantiationInfoData)
DEFINE_PUT(ActivationContextInfoData)
DEFINE_PUT(SecurityInfoData)
DEFINE_PUT(LocationInfoData)
DEFINE_PUT(ScmRequestInfoData)
DEFINE_PUT(PropsOutInfo)
DEFINE_PUT(ScmReplyInfoData)

/* The blob around the properties, in an OBJREF_CUSTOM of clsid for iid. */
static int blob_write(const CLSID *clsid, const IID *iid, DWORD dest_ctx, DWORD n,
                      const CLSID *prop_clsids, DWORD *sizes, struct ndr_push *props,
                      uint8_t **ret, size_t *ret_len) {
        CustomHeader h = {
                .destCtx = dest_ctx, .cIfs = n, .pclsid = (CLSID *)prop_clsids, .pSizes = sizes,
        };
        struct ndr_push hp;
        struct buf blob, out;
        struct objref o = { .flags = OBJREF_CUSTOM, .iid = *iid, .clsid = *clsid };
        int r;

        /* the header's size fields are its own length: encode once to learn it */
        ndr_push_init(&hp, MAX_BLOB);
        r = CustomHeader_Encode(&hp, &h);
        if (r >= 0) {
                buf_pad(&hp.buf, 8);
                h.headerSize = (DWORD)hp.buf.len;
                h.totalSize = (DWORD)(hp.buf.len + props->buf.len);
                buf_clear(&hp.buf);
                hp.base = 0;
                r = CustomHeader_Encode(&hp, &h);
                buf_pad(&hp.buf, 8);
                if (r >= 0 && (r = hp.buf.error) >= 0 && hp.buf.len != h.headerSize)
                        r = -EINVAL;
        }
        if (r < 0) {
                ndr_push_free(&hp);
                return r;
        }
        buf_init(&blob, MAX_BLOB);
        buf_put_u32le(&blob, h.totalSize);      /* dwSize */
        buf_put_u32le(&blob, 0);                /* dwReserved */
        buf_append(&blob, hp.buf.data, hp.buf.len);
        buf_append(&blob, props->buf.data, props->buf.len);
        ndr_push_free(&hp);
        if ((r = blob.error) < 0) {
                buf_free(&blob);
                return r;
        }
        o.data = blob.data;
        o.data_len = (uint32_t)blob.len;
        buf_init(&out, 0);
        r = objref_write(&out, &o);
        if (r >= 0)
                r = out.error;
        buf_free(&blob);
        if (r < 0) {
                buf_free(&out);
                return r;
        }
        *ret = buf_steal(&out, ret_len);
        return *ret ? 0 : -ENOMEM;
}

int actprops_in_build(const struct actprops_in *in, uint8_t **ret, size_t *ret_len) {
        CLSID clsids[5];
        DWORD sizes[5];
        DWORD n = 0;
        struct ndr_push props;
        int r;

        if (in->n_iids < 1 || in->n_iids > ACTPROPS_MAX_IIDS)
                return -EINVAL;
        ndr_push_init(&props, MAX_BLOB);
        InstantiationInfoData inst = {
                .classId = in->clsid, .classCtx = in->clsctx, .cIID = in->n_iids,
                .pIID = (IID *)in->iids, .clientCOMVersion = in->client_version,
        };
        /* thisSize is the property's own size: encode, then again with it */
        clsids[n] = CLSID_InstantiationInfo;
        r = put_InstantiationInfoData(&props, &inst, &sizes[n]);
        if (r >= 0) {
                inst.thisSize = sizes[n];
                buf_clear(&props.buf);
                props.base = 0;
                r = put_InstantiationInfoData(&props, &inst, &sizes[n]);
        }
        n++;
        ActivationContextInfoData ctx = { 0 };
        clsids[n] = CLSID_ActivationContextInfo;
        if (r >= 0)
                r = put_ActivationContextInfoData(&props, &ctx, &sizes[n]);
        n++;
        if (in->server_name) {
                ACT_COSERVERINFO si = { .pwszName = (WCHAR *)in->server_name };
                SecurityInfoData sec = { .pServerInfo = &si };
                clsids[n] = CLSID_SecurityInfo;
                if (r >= 0)
                        r = put_SecurityInfoData(&props, &sec, &sizes[n]);
                n++;
        }
        LocationInfoData loc = { 0 };
        clsids[n] = CLSID_ServerLocationInfo;
        if (r >= 0)
                r = put_LocationInfoData(&props, &loc, &sizes[n]);
        n++;
        customREMOTE_REQUEST_SCM_INFO rr = {
                .ClientImpLevel = in->imp_level, .cRequestedProtseqs = in->n_protseqs,
                .pRequestedProtseqs = (unsigned short *)in->protseqs,
        };
        ScmRequestInfoData scm = { .remoteRequest = &rr };
        clsids[n] = CLSID_ScmRequestInfo;
        if (r >= 0)
                r = put_ScmRequestInfoData(&props, &scm, &sizes[n]);
        n++;
        if (r >= 0)
                r = blob_write(&CLSID_ActivationPropertiesIn, &IID_IActivationPropertiesIn,
                               in->dest_ctx, n, clsids, sizes, &props, ret, ret_len);
        ndr_push_free(&props);
        return r;
}

int actprops_out_build(const struct actprops_out *out, uint8_t **ret, size_t *ret_len) {
        static const CLSID clsids[2] = { COM_GUID(0x00000339), COM_GUID(0x000001b6) };
        DWORD sizes[2];
        struct ndr_push props;
        int r;

        if (out->n < 1 || out->n > ACTPROPS_MAX_IIDS)
                return -EINVAL;
        ndr_push_init(&props, MAX_BLOB);
        /* [MS-DCOM] 2.2.22.2.9, 2.2.22.2.8: PropsOutInfo first -- impacket reads them in
           this order whatever the header says */
        PropsOutInfo po = {
                .cIfs = out->n, .piid = (IID *)out->iids, .phresults = (HRESULT *)out->hrs,
                .ppIntfData = (MInterfacePointer **)out->ifaces,
        };
        customREMOTE_REPLY_SCM_INFO rr = {
                .Oxid = out->oxid, .pdsaOxidBindings = (DUALSTRINGARRAY *)out->bindings,
                .ipidRemUnknown = out->ipid_remunk, .authnHint = out->authn_hint,
                .serverVersion = out->server_version,
        };
        ScmReplyInfoData scm = { .remoteReply = &rr };
        r = put_PropsOutInfo(&props, &po, &sizes[0]);
        if (r >= 0)
                r = put_ScmReplyInfoData(&props, &scm, &sizes[1]);
        if (r >= 0)
                r = blob_write(&CLSID_ActivationPropertiesOut, &IID_IActivationPropertiesOut,
                               2 /* MSHCTX_DIFFERENTMACHINE */, 2, clsids, sizes, &props, ret, ret_len);
        ndr_push_free(&props);
        return r;
}
