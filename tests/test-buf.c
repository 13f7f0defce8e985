/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The growable buffer and its sticky error. */
#include "base/alloc.h"
#include "base/buf.h"
#include "test.h"

TEST(little_endian_puts) {
        static const uint8_t expect[] = {
                0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x00,         /* 7 bytes + pad */
                0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
        };
        struct buf b;

        buf_init(&b, 0);
        buf_put_u8(&b, 1);
        buf_put_u16le(&b, 0x1234);
        buf_put_u32le(&b, 0x12345678);
        buf_pad(&b, 8);
        buf_put_u64le(&b, 0x0123456789abcdefULL);
        buf_pad(&b, 8);
        ASSERT_EQ(b.error, 0);
        ASSERT_EQ(b.len, sizeof expect);
        ASSERT_MEM_EQ(b.data, expect, sizeof expect);
        buf_free(&b);
}

TEST(growth) {
        struct buf b;

        buf_init(&b, 0);
        for (uint32_t i = 0; i < 100000; i++)
                buf_put_u32le(&b, i);
        ASSERT_EQ(b.error, 0);
        ASSERT_EQ(b.len, 400000);
        ASSERT_EQ(b.data[4 * 99999], (uint8_t)99999);
        size_t len;
        uint8_t *p = buf_steal(&b, &len);
        ASSERT_EQ(len, 400000);
        ASSERT_EQ(b.len, 0);
        ASSERT_NULL(b.data);
        dcom_free(p);
        buf_free(&b);
}

TEST(sticky_error_on_oom) {
        struct buf b;

        buf_init(&b, 0);
        buf_put_u32le(&b, 1);
        alloc_fail_at(1, false);
        buf_append(&b, "x", 1);                 /* fits: no allocation */
        uint8_t big[1024] = { 0 };
        buf_append(&b, big, sizeof big);        /* needs to grow: fails */
        alloc_fail_at(0, false);
        ASSERT_ERRNO(b.error, -ENOMEM);
        size_t len = b.len;
        buf_put_u8(&b, 9);                      /* ignored after the error */
        buf_append(&b, "abc", 3);
        ASSERT_NULL(buf_extend(&b, 1));
        ASSERT_EQ(b.len, len);
        ASSERT_ERRNO(b.error, -ENOMEM);
        buf_clear(&b);
        ASSERT_EQ(b.error, 0);
        buf_put_u8(&b, 9);
        ASSERT_EQ(b.len, 1);
        buf_free(&b);
}

TEST(max_size) {
        struct buf b;
        uint8_t chunk[100] = { 0 };

        buf_init(&b, 250);
        buf_append(&b, chunk, 100);
        buf_append(&b, chunk, 100);
        ASSERT_EQ(b.error, 0);
        buf_append(&b, chunk, 100);
        ASSERT_ERRNO(b.error, -E2BIG);
        ASSERT_EQ(b.len, 200);
        buf_free(&b);

        buf_init(&b, 0);
        ASSERT_ERRNO(buf_reserve(&b, SIZE_MAX - 10), -E2BIG);
        buf_free(&b);
}

TEST(zero_length_on_empty) {
        struct buf b;

        buf_init(&b, 0);
        ASSERT_NOT_NULL(buf_extend(&b, 0));     /* success, and no NULL + 0 (UBSan) */
        buf_append(&b, "", 0);
        buf_pad(&b, 8);
        ASSERT_EQ(b.len, 0);
        ASSERT_EQ(b.error, 0);
        buf_free(&b);
}
