/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SDDL (src/security/sddl.c) on any text: refused with -EINVAL, or parsed into a
 * descriptor that validates, formats, and parses back to the very same bytes, whose SDDL
 * formats to the same text again (parse -> format -> parse agree).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "security/security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *s = NULL, *s2 = NULL;
        void *sd = NULL, *sd2 = NULL;
        size_t len, len2;
        int r;

        if (size > 65536)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        r = sec_sddl_parse(text, &sd, &len);
        if (r == -EINVAL || r == -ENOMEM)
                goto out;
        if (r != 0 || sec_sd_validate(sd, len) != 0)
                abort();
        if (sec_sddl_format(sd, len, &s) != 0)
                abort();
        if (sec_sddl_parse(s, &sd2, &len2) != 0)
                abort();
        if (len2 != len || memcmp(sd, sd2, len) != 0)
                abort();
        if (sec_sddl_format(sd2, len2, &s2) != 0 || strcmp(s, s2) != 0)
                abort();
out:
        free(s);
        free(s2);
        free(sd);
        free(sd2);
        free(text);
        return 0;
}
