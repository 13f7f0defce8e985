/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error objects (src/oleaut/errorinfo.c) as Windows has them (Wine's
 * dlls/oleaut32/tests/errorinfo.c records the results): CreateErrorInfo's object and its
 * interfaces, SetErrorInfo/GetErrorInfo per thread (GetErrorInfo takes it, S_FALSE when
 * none, E_INVALIDARG for a reserved value or NULL), the object released when its thread
 * ends; its [MS-DCOM] 2.2.21.2 data both ways and refused when malformed; and the
 * ORPCTHAT error extension (src/com/errorext.c) put into a response after its 8-byte
 * ORPCTHAT, the rest kept in place and aligned, and read back on the caller's side.
 */
#define COBJMACROS

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "oleaut/oleaut-internal.h"
#include "test.h"

static const OLECHAR src[] = { 'S', 'r', 'c', '.', 'O', 'b', 'j', 0 };
static const OLECHAR desc[] = { 'i', 't', ' ', 'b', 'r', 'o', 'k', 'e', 0 };

static IErrorInfo *make(void) {
        ICreateErrorInfo *cei;
        IErrorInfo *ei;

        ASSERT_HR_EQ(CreateErrorInfo(&cei), S_OK);
        ASSERT_HR_EQ(ICreateErrorInfo_SetSource(cei, (LPOLESTR)src), S_OK);
        ASSERT_HR_EQ(ICreateErrorInfo_SetDescription(cei, (LPOLESTR)desc), S_OK);
        ASSERT_HR_EQ(ICreateErrorInfo_SetGUID(cei, &IID_IStream), S_OK);
        ASSERT_HR_EQ(ICreateErrorInfo_SetHelpContext(cei, 7), S_OK);
        ASSERT_HR_EQ(ICreateErrorInfo_QueryInterface(cei, &IID_IErrorInfo, (void **)&ei), S_OK);
        ICreateErrorInfo_Release(cei);
        return ei;
}

TEST(error_object) {
        ICreateErrorInfo *cei;
        IErrorInfo *ei;
        ISupportErrorInfo *sei;
        IUnknown *unk;
        BSTR s = (BSTR)1;
        GUID g;
        DWORD ctx = 5;

        ASSERT_HR_EQ(CreateErrorInfo(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CreateErrorInfo(&cei), S_OK);
        ASSERT_HR_EQ(ICreateErrorInfo_QueryInterface(cei, &IID_IErrorInfo, (void **)&ei), S_OK);
        /* a new one: no strings, GUID_NULL, context 0 */
        ASSERT_HR_EQ(IErrorInfo_GetSource(ei, &s), S_OK);
        ASSERT_NULL(s);
        ASSERT_HR_EQ(IErrorInfo_GetGUID(ei, &g), S_OK);
        ASSERT_TRUE(IsEqualGUID(&g, &GUID_NULL));
        ASSERT_HR_EQ(IErrorInfo_GetHelpContext(ei, &ctx), S_OK);
        ASSERT_EQ(ctx, 0);
        ASSERT_HR_EQ(IErrorInfo_GetSource(ei, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IErrorInfo_GetGUID(ei, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(IErrorInfo_GetHelpContext(ei, NULL), E_INVALIDARG);
        /* set, read back (copies), reset to none */
        ASSERT_HR_EQ(ICreateErrorInfo_SetDescription(cei, (LPOLESTR)desc), S_OK);
        ASSERT_HR_EQ(IErrorInfo_GetDescription(ei, &s), S_OK);
        ASSERT_MEM_EQ(s, desc, sizeof desc);
        SysFreeString(s);
        ASSERT_HR_EQ(ICreateErrorInfo_SetDescription(cei, NULL), S_OK);
        ASSERT_HR_EQ(IErrorInfo_GetDescription(ei, &s), S_OK);
        ASSERT_NULL(s);
        ASSERT_HR_EQ(ICreateErrorInfo_SetGUID(cei, &IID_IDispatch), S_OK);
        /* one object: the same identity from each interface; ISupportErrorInfo for its GUID */
        ASSERT_HR_EQ(IErrorInfo_QueryInterface(ei, &IID_ISupportErrorInfo, (void **)&sei), S_OK);
        ASSERT_HR_EQ(ISupportErrorInfo_InterfaceSupportsErrorInfo(sei, &IID_IDispatch), S_OK);
        ASSERT_HR_EQ(ISupportErrorInfo_InterfaceSupportsErrorInfo(sei, &IID_IStream), S_FALSE);
        ASSERT_HR_EQ(ISupportErrorInfo_QueryInterface(sei, &IID_IUnknown, (void **)&unk), S_OK);
        ASSERT_TRUE(unk == (IUnknown *)ei);
        void *none = (void *)1;
        ASSERT_HR_EQ(IErrorInfo_QueryInterface(ei, &IID_IStream, &none), E_NOINTERFACE);
        ASSERT_NULL(none);
        IUnknown_Release(unk);
        ISupportErrorInfo_Release(sei);
        ICreateErrorInfo_Release(cei);
        ASSERT_EQ(IErrorInfo_Release(ei), 0);
}

static void *other_thread(void *arg) {
        IErrorInfo *ei = (IErrorInfo *)1;

        /* the slot is the thread's: nothing of the main thread's here */
        *(HRESULT *)arg = GetErrorInfo(0, &ei);
        /* left set when the thread ends: released then (ASan sees no leak) */
        IErrorInfo *mine = make();
        SetErrorInfo(0, mine);
        IErrorInfo_Release(mine);
        return NULL;
}

TEST(thread_slot) {
        IErrorInfo *ei = make(), *got = (IErrorInfo *)1;
        pthread_t t;
        HRESULT other = E_FAIL;

        ASSERT_HR_EQ(GetErrorInfo(0, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(GetErrorInfo(1, &got), E_INVALIDARG);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_FALSE);
        ASSERT_NULL(got);
        ASSERT_HR_EQ(SetErrorInfo(1, ei), E_INVALIDARG);
        ASSERT_HR_EQ(SetErrorInfo(0, ei), S_OK);
        ASSERT_OK(pthread_create(&t, NULL, other_thread, &other));
        ASSERT_OK(pthread_join(t, NULL));
        ASSERT_HR_EQ(other, S_FALSE);
        /* GetErrorInfo hands it over and empties the slot */
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_OK);
        ASSERT_TRUE(got == ei);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_FALSE);
        ASSERT_EQ(IErrorInfo_Release(ei), 1);           /* the one GetErrorInfo gave */
        /* SetErrorInfo(0, NULL) clears; a second Set releases the first */
        ASSERT_HR_EQ(SetErrorInfo(0, ei), S_OK);
        ASSERT_HR_EQ(SetErrorInfo(0, NULL), S_OK);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_FALSE);
        ASSERT_EQ(IErrorInfo_Release(ei), 0);
}

TEST(wire_data) {
        IErrorInfo *ei = make(), *back;
        struct buf b;
        BSTR s;
        GUID g;
        DWORD ctx;

        buf_init(&b, 0);
        ASSERT_OK(oleaut_errorinfo_write(ei, &b));
        /* dwVersion 0, dwHelpContext, iid, then each string: signature, max, 0, max, chars */
        ASSERT_EQ(b.data[0] | b.data[1] | b.data[2] | b.data[3], 0);
        ASSERT_EQ(b.data[4], 7);
        ASSERT_EQ(b.data[24], 0xff);                    /* Source present */
        ASSERT_EQ(b.data[28], 8);                       /* 7 characters and the NUL */
        ASSERT_EQ(b.data[36], 8);
        ASSERT_EQ(b.data[40], 'S');
        size_t desc_at = 40 + 16;
        ASSERT_EQ(b.data[desc_at], 0xff);               /* Description, 4-aligned already */
        size_t help_at = desc_at + 16 + 18 + 2;         /* 9 characters: padded */
        ASSERT_EQ(b.len, help_at + 4);
        ASSERT_EQ(b.data[help_at], 0);                  /* no HelpFile */
        ASSERT_OK(oleaut_errorinfo_read(b.data, b.len, &back));
        ASSERT_HR_EQ(IErrorInfo_GetSource(back, &s), S_OK);
        ASSERT_MEM_EQ(s, src, sizeof src);
        SysFreeString(s);
        ASSERT_HR_EQ(IErrorInfo_GetDescription(back, &s), S_OK);
        ASSERT_MEM_EQ(s, desc, sizeof desc);
        SysFreeString(s);
        ASSERT_HR_EQ(IErrorInfo_GetHelpFile(back, &s), S_OK);
        ASSERT_NULL(s);
        ASSERT_HR_EQ(IErrorInfo_GetGUID(back, &g), S_OK);
        ASSERT_TRUE(IsEqualGUID(&g, &IID_IStream));
        ASSERT_HR_EQ(IErrorInfo_GetHelpContext(back, &ctx), S_OK);
        ASSERT_EQ(ctx, 7);
        IErrorInfo_Release(back);
        /* every truncation is refused, except the last string's padding and beyond */
        for (size_t n = 0; n < b.len; n++) {
                int r = oleaut_errorinfo_read(b.data, n, &back);
                if (r >= 0) {
                        ASSERT_GE(n, help_at);
                        IErrorInfo_Release(back);
                } else {
                        ASSERT_ERRNO(r, -EBADMSG);
                }
        }
        /* a string not NUL-terminated, a bad signature, dwOffSet not 0, a huge dwMax */
        static const struct { size_t at; uint8_t v; } spoil[] = {
                { 40 + 14, 'x' }, { 24, 0x7f }, { 32, 1 }, { 31, 0x10 }, { 0, 1 },
        };
        for (size_t i = 0; i < sizeof spoil / sizeof spoil[0]; i++) {
                uint8_t copy[256];
                memcpy(copy, b.data, b.len);
                copy[spoil[i].at] = spoil[i].v;
                ASSERT_ERRNO(oleaut_errorinfo_read(copy, b.len, &back), -EBADMSG);
        }
        buf_free(&b);
        IErrorInfo_Release(ei);
}

/* A response as a generated stub writes it: ORPCTHAT (no extensions), values, the HRESULT. */
static void fake_response(struct ndr_push *out, HRESULT hr) {
        ndr_push_init(out, 0);
        ndr_push_uint32(out, 0);                /* ORPCTHAT.flags */
        ndr_push_uint32(out, 0);                /* ORPCTHAT.extensions: NULL */
        ndr_push_uint32(out, 0x11111111);
        ndr_push_hyper(out, 0x2222222233333333ull);     /* 8-aligned at 16 */
        ndr_push_int32(out, (int32_t)hr);
}

TEST(orpcthat_extension) {
        struct ndr_push out;
        struct ndr_pull in;
        IErrorInfo *ei, *got;
        BSTR s;

        /* a failure with an error object: the extension goes in after ORPCTHAT's 8 bytes */
        fake_response(&out, E_FAIL);
        size_t before = out.buf.len;
        com_errorext_begin();
        ei = make();
        SetErrorInfo(0, ei);
        com_errorext_response(&out);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_FALSE);  /* taken by the response */
        size_t added = out.buf.len - before;
        ASSERT_GT(added, 48);
        ASSERT_EQ(added % 8, 0);                        /* what follows keeps its alignment */
        const uint8_t *p = out.buf.data;
        ASSERT_NE(p[4] | p[5] | p[6], 0);               /* extensions no longer NULL */
        ASSERT_EQ(p[8], 1);                             /* one extent */
        ASSERT_EQ(p[20], 2);                            /* conformance (size + 1) & ~1 */
        ASSERT_EQ(p[36] | p[37] << 8, 0x031c);          /* CLSID_ERROR_EXTENSION */
        ASSERT_MEM_EQ(p + 56, "MEOW", 4);               /* the OBJREF */
        ASSERT_EQ(p[60], 4);                            /* OBJREF_CUSTOM */
        ASSERT_EQ(p[80] | p[81] << 8, 0x031b);          /* CLSID_ErrorObject */
        ASSERT_EQ(p[8 + added], 0x11);                  /* the rest, moved whole */
        ASSERT_EQ(p[16 + added], 0x33);
        /* the caller's side takes it */
        ndr_pull_init(&in, out.buf.data, out.buf.len, NULL, NULL);
        com_errorext_reply(&in);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_OK);
        ASSERT_HR_EQ(IErrorInfo_GetDescription(got, &s), S_OK);
        ASSERT_MEM_EQ(s, desc, sizeof desc);
        SysFreeString(s);
        IErrorInfo_Release(got);
        /* every truncation of that response is read without effect or harm */
        for (size_t n = 0; n < out.buf.len - 4; n++) {
                ndr_pull_init(&in, out.buf.data, n, NULL, NULL);
                com_errorext_reply(&in);
                if (GetErrorInfo(0, &got) == S_OK)
                        IErrorInfo_Release(got);
        }
        ndr_push_free(&out);

        /* success: nothing added, and the error object is dropped all the same */
        fake_response(&out, S_OK);
        SetErrorInfo(0, ei);
        com_errorext_response(&out);
        ASSERT_EQ(out.buf.len, before);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_FALSE);
        ndr_push_free(&out);
        /* a failure without one: nothing added */
        fake_response(&out, E_FAIL);
        com_errorext_response(&out);
        ASSERT_EQ(out.buf.len, before);
        ndr_pull_init(&in, out.buf.data, out.buf.len, NULL, NULL);
        com_errorext_reply(&in);
        ASSERT_HR_EQ(GetErrorInfo(0, &got), S_FALSE);
        ndr_push_free(&out);
        IErrorInfo_Release(ei);
}
