/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-8 -> UTF-16: whatever converts must convert back to the identical bytes, and
 * our verdict on validity must agree with glibc's iconv, an independent decoder.
 */
#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dcom/utf16.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static iconv_t cd = (iconv_t)-1;

/* 1 valid, 0 invalid, per iconv. */
static int iconv_valid(const uint8_t *data, size_t size) {
        char out[4096];
        char *in = (char *)data;
        size_t inleft = size;

        if (cd == (iconv_t)-1) {
                cd = iconv_open("UTF-16LE", "UTF-8");
                assert(cd != (iconv_t)-1);
        }
        iconv(cd, NULL, NULL, NULL, NULL);
        while (inleft > 0) {
                char *o = out;
                size_t oleft = sizeof out;
                if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1 && errno != E2BIG)
                        return 0;
        }
        return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        WCHAR *w = NULL;
        char *back = NULL;
        size_t wlen, blen;
        int r;

        r = dcom_utf8_to_utf16((const char *)data, size, &w, &wlen);
        if (r == -ENOMEM)
                return 0;
        assert(r == 0 || r == -EILSEQ);
        assert((r == 0) == iconv_valid(data, size));
        if (r < 0)
                return 0;

        assert(wlen <= size);
        assert(w[wlen] == 0);
        r = dcom_utf16_to_utf8(w, wlen, &back, &blen);
        assert(r == 0);
        assert(blen == size && memcmp(back, data, size) == 0);
        free(back);
        free(w);
        return 0;
}
