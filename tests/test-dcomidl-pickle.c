/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's type serialization ([MS-RPCE] 2.2.6, tests/pickle.idl): a DCOM
 * activation property pickled byte for byte as impacket 0.10 pickles it (its
 * InstantiationInfoData under a TypeSerialization1 header; only the pointer's referent
 * ID, the private header's filler and the padding's value may differ), impacket's own
 * bytes decoded, and every truncation or bad header refused.
 */
#include "pickle_stub.h"
#include "test.h"

/* impacket: common header, private header (length 0x48, filler 0xcccccccc), the NDR
   data of 68 bytes, 4 bytes of padding */
static const char impacket_hex[] =
        "01100800cccccccc48000000cccccccc"
        "1a79b249aeb1904c9b8ee860ba07f889"
        "0000000000000000000000000100000000000000"
        "87b00000"
        "00000000"
        "05000700"
        "01000000"
        "0004020000000000c000000000000046"
        "fafafafa";

static size_t unhex(const char *h, uint8_t *out) {
        size_t n = 0;
        for (; h[0] && h[1]; h += 2) {
                unsigned v;
                sscanf(h, "%2x", &v);
                out[n++] = (uint8_t)v;
        }
        return n;
}

static const GUID clsid = { 0x49b2791a, 0xb1ae, 0x4c90, { 0x9b, 0x8e, 0xe8, 0x60, 0xba, 0x07, 0xf8, 0x89 } };
static const GUID iid_dispatch = { 0x00020400, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };

TEST(encode_like_impacket) {
        uint8_t want[256];
        size_t n = unhex(impacket_hex, want);
        IID iids[1] = { iid_dispatch };
        InstantiationInfoData d = {
                .classId = clsid, .cIID = 1, .pIID = iids,
                .clientCOMVersion = { 5, 7 },
        };
        struct ndr_push p;

        ndr_push_init(&p, 0);
        ASSERT_OK(InstantiationInfoData_Encode(&p, &d));
        ASSERT_EQ(p.buf.len, n);
        ASSERT_EQ(memcmp(p.buf.data, want, 8), 0);              /* common header */
        ASSERT_EQ(memcmp(p.buf.data + 8, want + 8, 4), 0);      /* ObjectBufferLength 72 */
        ASSERT_EQ(memcmp(p.buf.data + 12, "\0\0\0\0", 4), 0);   /* filler: 0, as 2.2.6.2 says */
        /* the NDR data: the same but for the pointer's referent ID */
        ASSERT_EQ(memcmp(p.buf.data + 16, want + 16, 36), 0);
        ASSERT_TRUE(p.buf.data[52] | p.buf.data[53] | p.buf.data[54] | p.buf.data[55]);
        ASSERT_EQ(memcmp(p.buf.data + 56, want + 56, 28), 0);
        ASSERT_EQ(memcmp(p.buf.data + 84, "\0\0\0\0", 4), 0);      /* padding: ours is zeros */
        ndr_push_free(&p);
}

TEST(decode_impacket) {
        uint8_t in[256];
        size_t n = unhex(impacket_hex, in), used = 0;
        struct arena a;
        InstantiationInfoData d;

        arena_init(&a, 1 << 20);
        ASSERT_OK(InstantiationInfoData_Decode(in, n, &a, &d, &used));
        ASSERT_EQ(used, n);
        ASSERT_TRUE(dcom_guid_equal(&d.classId, &clsid));
        ASSERT_EQ(d.cIID, 1u);
        ASSERT_NOT_NULL(d.pIID);
        ASSERT_TRUE(dcom_guid_equal(&d.pIID[0], &iid_dispatch));
        ASSERT_EQ(d.clientCOMVersion.MajorVersion, 5);
        ASSERT_EQ(d.clientCOMVersion.MinorVersion, 7);
        /* truncated anywhere, or headers that lie: refused, nothing read past the end */
        for (size_t k = 0; k < n; k++) {
                uint8_t *cut = malloc(k ? k : 1);
                memcpy(cut, in, k);
                ASSERT_LT(InstantiationInfoData_Decode(cut, k, &a, &d, NULL), 0);
                free(cut);
        }
        in[0] = 2;                                              /* version 2 */
        ASSERT_EQ(InstantiationInfoData_Decode(in, n, &a, &d, NULL), -EBADMSG);
        in[0] = 1;
        in[8] = 0xf0;                                           /* longer than the data */
        ASSERT_EQ(InstantiationInfoData_Decode(in, n, &a, &d, NULL), -EBADMSG);
        in[8] = 0x48;
        in[16 + 16 + 12] = 0;                                   /* cIID 0: [range(1, ...)] */
        ASSERT_LT(InstantiationInfoData_Decode(in, n, &a, &d, NULL), 0);
        arena_reset(&a);
}

TEST(two_in_a_row) {
        IID iids[2] = { iid_dispatch, clsid };
        InstantiationInfoData d = { .classId = clsid, .cIID = 2, .pIID = iids };
        InstantiationInfoData back;
        struct ndr_push p;
        struct arena a;
        size_t used = 0, used2 = 0;

        /* pickles one after the other (an activation blob's properties): each 8-aligned */
        ndr_push_init(&p, 0);
        ASSERT_OK(InstantiationInfoData_Encode(&p, &d));
        size_t first = p.buf.len;
        ASSERT_EQ(first % 8, 0u);
        d.cIID = 1;
        ASSERT_OK(InstantiationInfoData_Encode(&p, &d));
        arena_init(&a, 1 << 20);
        ASSERT_OK(InstantiationInfoData_Decode(p.buf.data, p.buf.len, &a, &back, &used));
        ASSERT_EQ(used, first);
        ASSERT_EQ(back.cIID, 2u);
        ASSERT_TRUE(dcom_guid_equal(&back.pIID[1], &clsid));
        ASSERT_OK(InstantiationInfoData_Decode(p.buf.data + used, p.buf.len - used, &a, &back, &used2));
        ASSERT_EQ(used + used2, p.buf.len);
        ASSERT_EQ(back.cIID, 1u);
        arena_reset(&a);
        ndr_push_free(&p);
}

/* A run of fixed-size members with pad bytes inside, pushed over a dirty buffer: the
   pads are zeros ([C706] 14.2.2, as every push makes them), and it decodes back. */
TEST(run_pads_are_zeros) {
        static const uint8_t want[] = {
                0x5a, 0, 0, 0, 0, 0, 0, 0,                              /* b, pad to 8 */
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,         /* h */
                0x22, 0x11, 0x01, 0x00,                                 /* s, f, pad */
                0xfe, 0xff, 0xff, 0xff,                                 /* l */
                0x33,                                                   /* tail */
        };
        PADDED_PK d = { .b = 0x5a, .h = 0x0102030405060708ull, .s = 0x1122, .f = 1,
                        .l = -2, .tail = 0x33 }, back;
        struct ndr_push p;
        struct arena a;
        size_t used = 0;

        ndr_push_init(&p, 0);
        for (int i = 0; i < 64; i++)
                ndr_push_uint8(&p, 0xff);
        ndr_push_reset(&p);             /* keeps the memory, 0xff all over */
        ASSERT_OK(PADDED_PK_Encode(&p, &d));
        ASSERT_GE(p.buf.len, NDR_PICKLE_HEADER + sizeof want);
        ASSERT_MEM_EQ(p.buf.data + NDR_PICKLE_HEADER, want, sizeof want);
        arena_init(&a, 1 << 20);
        ASSERT_OK(PADDED_PK_Decode(p.buf.data, p.buf.len, &a, &back, &used));
        ASSERT_EQ(used, p.buf.len);
        ASSERT_TRUE(back.b == d.b && back.h == d.h && back.s == d.s && back.f == 1 &&
                    back.l == d.l && back.tail == d.tail);
        arena_reset(&a);
        ndr_push_free(&p);
}
