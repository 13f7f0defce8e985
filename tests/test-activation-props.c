/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DCOM activation's property blobs (idl/activation.idl, [MS-DCOM] 2.2.22) against an
 * independent client's bytes: the ActivationPropertiesIn impacket 0.10 sends in
 * RemoteCreateInstance (tests/data/impacket-activation-in.hex: an OBJREF_CUSTOM holding
 * the blob, a CustomHeader naming four properties, each pickled), read with the
 * generated decoders, every size checked against the header's (impacket's private
 * headers leave the padding out of ObjectBufferLength, which [MS-RPCE] 2.2.6.2 counts:
 * the blob's own sizes are the ones to walk by); and the reply's properties encoded and
 * read back.
 */
#include <stdio.h>

#include "activation_stub.h"
#include "com/objref.h"
#include "test.h"

/* [MS-DCOM] 1.9 */
static const CLSID CLSID_ActivationPropertiesIn = {
        0x00000338, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const CLSID CLSID_InstantiationInfo = {
        0x000001ab, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const CLSID CLSID_ScmRequestInfo = {
        0x000001aa, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const GUID target = { 0x49b2791a, 0xb1ae, 0x4c90, { 0x9b, 0x8e, 0xe8, 0x60, 0xba, 0x07, 0xf8, 0x89 } };

static size_t load(uint8_t *out, size_t size) {
        char path[512], hex[8192];
        FILE *f;
        size_t n = 0;

        snprintf(path, sizeof path, "%s/impacket-activation-in.hex", test_data_dir());
        f = fopen(path, "r");
        ASSERT_NOT_NULL(f);
        ASSERT_NOT_NULL(fgets(hex, sizeof hex, f));
        fclose(f);
        for (const char *h = hex; h[0] && h[1] && h[0] != '\n' && n < size; h += 2) {
                unsigned v;
                sscanf(h, "%2x", &v);
                out[n++] = (uint8_t)v;
        }
        return n;
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

TEST(impacket_activation_properties_in) {
        uint8_t buf[4096];
        size_t n = load(buf, sizeof buf), used;
        struct objref o;
        struct arena a;
        CustomHeader h;

        arena_init(&a, 1 << 20);
        ASSERT_OK(objref_parse(buf, n, &o, NULL));
        ASSERT_EQ(o.flags, OBJREF_CUSTOM);
        ASSERT_TRUE(dcom_guid_equal(&o.clsid, &CLSID_ActivationPropertiesIn));
        /* [MS-DCOM] 2.2.22.1: dwSize, dwReserved, then the pickled CustomHeader */
        const uint8_t *blob = o.data;
        size_t len = o.data_len;
        ASSERT_GE(len, 8u);
        ASSERT_EQ(le32(blob), len - 8);
        ASSERT_OK(CustomHeader_Decode(blob + 8, len - 8, &a, &h, &used));
        ASSERT_EQ(h.cIfs, 4u);
        ASSERT_EQ(h.destCtx, 2u);
        ASSERT_EQ(h.headerSize, used);
        ASSERT_EQ(h.totalSize, len - 8);
        ASSERT_TRUE(dcom_guid_equal(&h.pclsid[0], &CLSID_InstantiationInfo));
        ASSERT_TRUE(dcom_guid_equal(&h.pclsid[3], &CLSID_ScmRequestInfo));

        size_t off = 8 + used;
        InstantiationInfoData inst;
        ASSERT_OK(InstantiationInfoData_Decode(blob + off, len - off, &a, &inst, &used));
        ASSERT_TRUE(used <= h.pSizes[0] && h.pSizes[0] - used < 8);  /* impacket leaves its padding out */
        ASSERT_TRUE(dcom_guid_equal(&inst.classId, &target));
        ASSERT_EQ(inst.cIID, 1u);
        off += h.pSizes[0];
        ActivationContextInfoData ctx;
        ASSERT_OK(ActivationContextInfoData_Decode(blob + off, len - off, &a, &ctx, &used));
        ASSERT_TRUE(used <= h.pSizes[1] && h.pSizes[1] - used < 8);  /* impacket leaves its padding out */
        ASSERT_TRUE(!ctx.pIFDClientCtx && !ctx.pIFDPrototypeCtx);
        off += h.pSizes[1];
        LocationInfoData loc;
        ASSERT_OK(LocationInfoData_Decode(blob + off, len - off, &a, &loc, &used));
        ASSERT_TRUE(used <= h.pSizes[2] && h.pSizes[2] - used < 8);  /* impacket leaves its padding out */
        ASSERT_TRUE(loc.machineName == NULL);
        off += h.pSizes[2];
        ScmRequestInfoData scm;
        ASSERT_OK(ScmRequestInfoData_Decode(blob + off, len - off, &a, &scm, &used));
        ASSERT_TRUE(used <= h.pSizes[3] && h.pSizes[3] - used < 8);  /* impacket leaves its padding out */
        ASSERT_NOT_NULL(scm.remoteRequest);
        ASSERT_EQ(scm.remoteRequest->cRequestedProtseqs, 1);
        ASSERT_EQ(scm.remoteRequest->pRequestedProtseqs[0], 7);        /* ncacn_ip_tcp */
        ASSERT_EQ(off + h.pSizes[3], len);
        objref_clear(&o);
        arena_reset(&a);
}

/* What rpcss will answer: PropsOutInfo and ScmReplyInfoData, encoded and read back. */
TEST(reply_properties_round_trip) {
        IID iids[1] = { target };
        HRESULT hrs[1] = { S_OK };
        uint8_t objref[8] = { 'M', 'E', 'O', 'W', 1, 0, 0, 0 };
        MInterfacePointer *mip = malloc(sizeof *mip + sizeof objref);
        MInterfacePointer *mips[1] = { mip };
        PropsOutInfo out = { .cIfs = 1, .piid = iids, .phresults = hrs, .ppIntfData = mips };
        customREMOTE_REPLY_SCM_INFO rr = {
                .Oxid = 0x1122334455667788ull, .authnHint = 6, .serverVersion = { 5, 7 },
        };
        ScmReplyInfoData reply = { .remoteReply = &rr };
        struct ndr_push p;
        struct arena a;
        PropsOutInfo out2;
        ScmReplyInfoData reply2;
        size_t used, used2;

        mip->ulCntData = sizeof objref;
        memcpy(mip->abData, objref, sizeof objref);
        ndr_push_init(&p, 0);
        ASSERT_OK(PropsOutInfo_Encode(&p, &out));
        ASSERT_OK(ScmReplyInfoData_Encode(&p, &reply));
        arena_init(&a, 1 << 20);
        ASSERT_OK(PropsOutInfo_Decode(p.buf.data, p.buf.len, &a, &out2, &used));
        ASSERT_EQ(out2.cIfs, 1u);
        ASSERT_NOT_NULL(out2.ppIntfData[0]);
        ASSERT_EQ(out2.ppIntfData[0]->ulCntData, sizeof objref);
        ASSERT_EQ(memcmp(out2.ppIntfData[0]->abData, objref, sizeof objref), 0);
        ASSERT_OK(ScmReplyInfoData_Decode(p.buf.data + used, p.buf.len - used, &a, &reply2, &used2));
        ASSERT_EQ(used + used2, p.buf.len);
        ASSERT_NOT_NULL(reply2.remoteReply);
        ASSERT_EQ(reply2.remoteReply->Oxid, rr.Oxid);
        ASSERT_EQ(reply2.remoteReply->authnHint, 6u);
        arena_reset(&a);
        ndr_push_free(&p);
        free(mip);
}
