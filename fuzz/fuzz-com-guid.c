/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM GUID-string parser (IIDFromString, and CLSIDFromString's braced form): any
 * UTF-16 in, read only up to its terminator; what parses formats back (StringFromGUID2)
 * to the same text up to letter case, and a failure says so without reading further.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static WCHAR upper(WCHAR c) {
        return c >= 'a' && c <= 'z' ? (WCHAR)(c - 'a' + 'A') : c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t n = size / 2;
        WCHAR *s = malloc((n + 1) * sizeof *s);
        WCHAR out[39];
        IID iid;

        if (!s)
                return 0;
        memcpy(s, data, n * sizeof *s);
        s[n] = 0;       /* exactly n + 1 units: ASan catches any read past the NUL */
        HRESULT hr = IIDFromString(s, &iid);
        if (SUCCEEDED(hr)) {
                assert(StringFromGUID2(&iid, out, 39) == 39);
                for (int i = 0; i < 39; i++)
                        assert(upper(s[i]) == out[i]);
        } else {
                assert(hr == E_INVALIDARG || hr == CO_E_IIDSTRING);
        }
        assert(StringFromGUID2(&iid, out, 38) == 0);    /* too small: nothing */
        free(s);
        return 0;
}
