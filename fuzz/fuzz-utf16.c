/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-16 -> UTF-8 and the registry's case-insensitive comparison.  The input is read
 * as little-endian units; whatever converts must come back identical, and the
 * comparison must be reflexive, antisymmetric and blind to case.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dcom/utf16.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int x) {
        return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t n = size / 2, half;
        WCHAR *w, *up, *back = NULL;
        char *u8 = NULL;
        size_t ulen, blen;
        int r;

        w = malloc((n ? n : 1) * sizeof(WCHAR));
        up = malloc((n ? n : 1) * sizeof(WCHAR));
        if (!w || !up)
                goto out;
        for (size_t i = 0; i < n; i++) {
                w[i] = (WCHAR)(data[2 * i] | data[2 * i + 1] << 8);
                up[i] = dcom_utf16_toupper(w[i]);
                assert(dcom_utf16_toupper(up[i]) == up[i]);
        }

        assert(dcom_utf16_casecmp(w, n, w, n) == 0);
        assert(dcom_utf16_casecmp(w, n, up, n) == 0);
        half = n / 2;
        assert(sign(dcom_utf16_casecmp(w, half, w + half, n - half)) ==
               -sign(dcom_utf16_casecmp(w + half, n - half, w, half)));

        r = dcom_utf16_to_utf8(w, n, &u8, &ulen);
        if (r == -ENOMEM)
                goto out;
        assert(r == 0 || r == -EILSEQ);
        if (r == 0) {
                assert(u8[ulen] == 0);
                r = dcom_utf8_to_utf16(u8, ulen, &back, &blen);
                assert(r == 0);
                assert(blen == n && memcmp(back, w, n * sizeof(WCHAR)) == 0);
        }
out:
        free(back);
        free(u8);
        free(up);
        free(w);
        return 0;
}
