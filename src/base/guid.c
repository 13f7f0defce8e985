/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GUIDs.  The text forms are fixed-width (8-4-4-4-12 hex digits), so parsing checks
 * every position instead of scanning: "{...}" or bare, nothing before or after, no
 * sign, no whitespace.  The wire layout ([MS-DTYP] 2.3.4.2) stores Data1..Data3
 * little-endian and Data4 as bytes, independent of the host.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <dcom/guid.h>
#include "base/base-internal.h"

const GUID GUID_NULL;

/* Reads 2*n hex digits at s into an n-byte big-endian value. */
static int hex_bytes(const char *s, uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int hi = hex_digit((unsigned char)s[2 * i]);
                int lo = hex_digit((unsigned char)s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

int dcom_guid_parse_n(const char *s, size_t len, GUID *ret) {
        uint8_t b[16];
        GUID g;

        if (!s || !ret)
                return -EINVAL;
        if (len == 38) {
                if (s[0] != '{' || s[37] != '}')
                        return -EINVAL;
                s++;
                len -= 2;
        }
        if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
                return -EINVAL;
        if (hex_bytes(s, b, 4) < 0 || hex_bytes(s + 9, b + 4, 2) < 0 ||
            hex_bytes(s + 14, b + 6, 2) < 0 || hex_bytes(s + 19, b + 8, 2) < 0 ||
            hex_bytes(s + 24, b + 10, 6) < 0)
                return -EINVAL;

        g.Data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        g.Data2 = (uint16_t)(b[4] << 8 | b[5]);
        g.Data3 = (uint16_t)(b[6] << 8 | b[7]);
        memcpy(g.Data4, b + 8, 8);
        *ret = g;
        return 0;
}

int dcom_guid_parse(const char *s, GUID *ret) {
        if (!s)
                return -EINVAL;
        return dcom_guid_parse_n(s, strnlen(s, 39), ret);
}

char *dcom_guid_format(const GUID *g, enum dcom_guid_format fmt, char buf[DCOM_GUID_STRING_REG]) {
        static const char upper[] = "0123456789ABCDEF", lower[] = "0123456789abcdef";
        const char *hex = fmt == DCOM_GUID_FORMAT_REGISTRY ? upper : lower;
        uint8_t b[16];
        char *p = buf;

        b[0] = (uint8_t)(g->Data1 >> 24);
        b[1] = (uint8_t)(g->Data1 >> 16);
        b[2] = (uint8_t)(g->Data1 >> 8);
        b[3] = (uint8_t)g->Data1;
        b[4] = (uint8_t)(g->Data2 >> 8);
        b[5] = (uint8_t)g->Data2;
        b[6] = (uint8_t)(g->Data3 >> 8);
        b[7] = (uint8_t)g->Data3;
        memcpy(b + 8, g->Data4, 8);

        if (fmt == DCOM_GUID_FORMAT_REGISTRY)
                *p++ = '{';
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        *p++ = '-';
                *p++ = hex[b[i] >> 4];
                *p++ = hex[b[i] & 0xF];
        }
        if (fmt == DCOM_GUID_FORMAT_REGISTRY)
                *p++ = '}';
        *p = 0;
        return buf;
}

void dcom_guid_to_wire(const GUID *g, uint8_t out[DCOM_GUID_WIRE_SIZE]) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        _Static_assert(sizeof *g == DCOM_GUID_WIRE_SIZE, "a GUID has no padding");
        memcpy(out, g, DCOM_GUID_WIRE_SIZE);    /* a little-endian GUID is its wire form */
        return;
#endif
        out[0] = (uint8_t)g->Data1;
        out[1] = (uint8_t)(g->Data1 >> 8);
        out[2] = (uint8_t)(g->Data1 >> 16);
        out[3] = (uint8_t)(g->Data1 >> 24);
        out[4] = (uint8_t)g->Data2;
        out[5] = (uint8_t)(g->Data2 >> 8);
        out[6] = (uint8_t)g->Data3;
        out[7] = (uint8_t)(g->Data3 >> 8);
        memcpy(out + 8, g->Data4, 8);
}

void dcom_guid_from_wire(const uint8_t in[DCOM_GUID_WIRE_SIZE], GUID *ret) {
        ret->Data1 = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
                     (uint32_t)in[3] << 24;
        ret->Data2 = (uint16_t)(in[4] | in[5] << 8);
        ret->Data3 = (uint16_t)(in[6] | in[7] << 8);
        memcpy(ret->Data4, in + 8, 8);
}

/* Orders as the registry form sorts: Data1, Data2, Data3, then Data4 bytes. */
int dcom_guid_compare(const GUID *a, const GUID *b) {
        if (a->Data1 != b->Data1)
                return a->Data1 < b->Data1 ? -1 : 1;
        if (a->Data2 != b->Data2)
                return a->Data2 < b->Data2 ? -1 : 1;
        if (a->Data3 != b->Data3)
                return a->Data3 < b->Data3 ? -1 : 1;
        return memcmp(a->Data4, b->Data4, 8);
}

bool dcom_guid_equal(const GUID *a, const GUID *b) {
        return a->Data1 == b->Data1 && a->Data2 == b->Data2 && a->Data3 == b->Data3 &&
               memcmp(a->Data4, b->Data4, 8) == 0;
}

bool dcom_guid_is_null(const GUID *g) {
        return dcom_guid_equal(g, &GUID_NULL);
}

/*
 * GUIDs from getrandom() are uniformly random already, but well-known ones (IIDs) are
 * not, and hash tables keyed by them see many sharing Data2..Data4
 * ("-0000-0000-C000-000000000046").  Mixing all 128 bits (splitmix64 finaliser) keeps
 * such keys spread.
 */
static uint64_t mix64(uint64_t x) {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}

uint64_t dcom_guid_hash(const GUID *g) {
        uint8_t w[16];
        uint64_t lo, hi;

        dcom_guid_to_wire(g, w);
        memcpy(&lo, w, 8);
        memcpy(&hi, w + 8, 8);
        return mix64(lo ^ mix64(hi));
}

int dcom_guid_generate(GUID *ret) {
        uint8_t b[16];
        size_t got = 0;

        while (got < sizeof b) {
                ssize_t n = getrandom(b + got, sizeof b - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t)n;
        }
        /* RFC 4122 4.4: version 4 in the high nibble of Data3, variant 10x in Data4[0]. */
        b[7] = (uint8_t)((b[7] & 0x0F) | 0x40);
        b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
        dcom_guid_from_wire(b, ret);
        return 0;
}
