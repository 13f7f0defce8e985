/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-8 <-> UTF-16 conversion.  Both directions make two passes: one to validate and
 * measure, one to write into an exactly sized buffer, so malformed input is rejected
 * before anything is allocated.  UTF-8 is decoded per RFC 3629 (the table of
 * well-formed byte sequences in its section 4), which rules out overlong forms,
 * encoded surrogates and anything above U+10FFFF.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <dcom/utf16.h>
#include "base/alloc.h"
#include "base/utf16.h"

size_t dcom_utf16_len(const WCHAR *s) {
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

/*
 * Decodes one code point at s[*i] (i < len).  Returns it and advances *i, or returns
 * -1 for an ill-formed or truncated sequence.
 */
static int32_t utf8_decode(const uint8_t *s, size_t len, size_t *i) {
        size_t p = *i, need;
        uint8_t b0 = s[p];
        uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
        int32_t cp;

        if (b0 < 0x80) {
                *i = p + 1;
                return b0;
        } else if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0)
                        lo = 0xA0;      /* no overlong 3-byte forms */
                else if (b0 == 0xED)
                        hi = 0x9F;      /* no surrogates U+D800..U+DFFF */
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0)
                        lo = 0x90;      /* no overlong 4-byte forms */
                else if (b0 == 0xF4)
                        hi = 0x8F;      /* nothing above U+10FFFF */
        } else
                return -1;              /* 0x80..0xC1 (continuation, overlong lead), 0xF5.. */

        if (len - p - 1 < need)
                return -1;
        for (size_t k = 1; k <= need; k++) {
                uint8_t b = s[p + k];
                if (b < lo || b > hi)
                        return -1;
                lo = 0x80;
                hi = 0xBF;
                cp = (cp << 6) | (b & 0x3F);
        }
        *i = p + 1 + need;
        return cp;
}

/* One pass: measure (out == NULL) or write.  Returns units or -EILSEQ. */
static ssize_t utf8_to_utf16_pass(const uint8_t *s, size_t len, WCHAR *out) {
        size_t i = 0, n = 0;

        while (i < len) {
                int32_t cp = utf8_decode(s, len, &i);

                if (cp < 0)
                        return -EILSEQ;
                if (cp >= 0x10000) {
                        if (out) {
                                cp -= 0x10000;  /* a surrogate pair: 10 bits each */
                                out[n] = (WCHAR)(0xD800 | (cp >> 10));
                                out[n + 1] = (WCHAR)(0xDC00 | (cp & 0x3FF));
                        }
                        n += 2;
                } else {
                        if (out)
                                out[n] = (WCHAR)cp;
                        n++;
                }
        }
        return (ssize_t)n;
}

int dcom_utf8_to_utf16(const char *s, size_t len, WCHAR **ret, size_t *ret_len) {
        ssize_t n;
        WCHAR *w;

        if (!s && len)
                return -EINVAL;
        n = utf8_to_utf16_pass((const uint8_t *)s, len, NULL);
        if (n < 0)
                return (int)n;
        /* n <= len, so n + 1 units cannot overflow. */
        w = dcom_malloc(((size_t)n + 1) * sizeof(WCHAR));
        if (!w)
                return -ENOMEM;
        utf8_to_utf16_pass((const uint8_t *)s, len, w);
        w[n] = 0;
        *ret = w;
        if (ret_len)
                *ret_len = (size_t)n;
        return 0;
}

/*
 * Surrogates ([Unicode] 3.8, 3.9 D91): a high one (D800-DBFF) followed by a low one
 * (DC00-DFFF) is one code point above U+FFFF; either alone is ill-formed.  This file is
 * the only place that knows it: the registry's .reg files and the reg tool go through
 * dcom_utf16_decode() and dcom_utf8_encode().
 */
static bool is_high(uint32_t c) {
        return c >= 0xD800 && c <= 0xDBFF;
}

static bool is_low(uint32_t c) {
        return c >= 0xDC00 && c <= 0xDFFF;
}

int32_t dcom_utf16_decode(const WCHAR *s, size_t len, size_t *i) {
        uint32_t cp = s[*i];

        if (is_high(cp) && *i + 1 < len && is_low(s[*i + 1])) {
                *i += 2;
                return (int32_t)(0x10000 + ((cp - 0xD800) << 10) + (s[*i - 1] - 0xDC00u));
        }
        (*i)++;
        return is_high(cp) || is_low(cp) ? -1 : (int32_t)cp;
}

bool dcom_utf16_valid(const WCHAR *s, size_t len) {
        for (size_t i = 0; i < len;)
                if (dcom_utf16_decode(s, len, &i) < 0)
                        return false;
        return true;
}

size_t dcom_utf8_encode(uint32_t cp, uint8_t out[static 4]) {
        if (cp < 0x80) {
                out[0] = (uint8_t)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (uint8_t)(0xC0 | (cp >> 6));
                out[1] = (uint8_t)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (uint8_t)(0xE0 | (cp >> 12));
                out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (uint8_t)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (uint8_t)(0xF0 | (cp >> 18));
        out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (uint8_t)(0x80 | (cp & 0x3F));
        return 4;
}

/* One pass: measure (out == NULL) or write.  Returns bytes or -EILSEQ. */
static ssize_t utf16_to_utf8_pass(const WCHAR *s, size_t len, uint8_t *out) {
        size_t n = 0;

        for (size_t i = 0; i < len;) {
                int32_t cp = dcom_utf16_decode(s, len, &i);
                uint8_t o[4];

                if (cp < 0)
                        return -EILSEQ;         /* an unpaired surrogate */
                size_t k = dcom_utf8_encode((uint32_t)cp, o);
                if (out)
                        memcpy(out + n, o, k);
                n += k;
        }
        return (ssize_t)n;
}

int dcom_utf16_to_utf8(const WCHAR *s, size_t len, char **ret, size_t *ret_len) {
        ssize_t n;
        char *u;

        if (!s && len)
                return -EINVAL;
        if (len > SIZE_MAX / 4)
                return -ENOMEM;
        n = utf16_to_utf8_pass(s, len, NULL);
        if (n < 0)
                return (int)n;
        u = dcom_malloc((size_t)n + 1);
        if (!u)
                return -ENOMEM;
        utf16_to_utf8_pass(s, len, (uint8_t *)u);
        u[n] = 0;
        *ret = u;
        if (ret_len)
                *ret_len = (size_t)n;
        return 0;
}

int dcom_utf16_casecmp(const WCHAR *a, size_t alen, const WCHAR *b, size_t blen) {
        size_t n = alen < blen ? alen : blen;

        for (size_t i = 0; i < n; i++) {
                WCHAR x = dcom_utf16_toupper(a[i]), y = dcom_utf16_toupper(b[i]);
                if (x != y)
                        return x < y ? -1 : 1;
        }
        return alen < blen ? -1 : alen > blen ? 1 : 0;
}
