/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Self-relative security descriptors (src/security/sd.c) on any bytes, as a REG_BINARY
 * value may hold them: refused with -EBADMSG, or read -- then the access checks answer
 * without reading out of bounds, and the descriptor's SDDL (when SDDL can say it) parses
 * into a descriptor whose SDDL is the same text (parse -> format -> parse agree).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "security/security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sec_token *tokens[3];

static void make_tokens(void) {
        static const struct sec_token_info infos[3] = {
                { .user_sid = "S-1-5-21-1-2-3-1001", .remote = true },
                { .user_sid = "S-1-5-7", .anonymous = true, .remote = true },
                { .user_sid = "S-1-5-18" },
        };

        for (int i = 0; i < 3; i++)
                if (!tokens[i] && sec_token_new(&infos[i], &tokens[i]) < 0)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = NULL, *s2 = NULL;
        void *sd2 = NULL;
        size_t len2, extent;
        uint32_t granted;
        bool allowed;
        int r;

        make_tokens();
        r = sec_sd_validate(data, size);
        if (r == -EBADMSG)
                return 0;
        if (r != 0)
                abort();
        if (sec_sd_length(data, size, &extent) != 0 || extent > size || extent < 20)
                abort();
        for (int i = 0; i < 3; i++) {
                if (sec_access_check(data, size, tokens[i], 0x1f, &granted) != 0 ||
                    (granted & ~0x1fu))
                        abort();
                r = sec_com_check(data, size, tokens[i], 0x1f, &allowed);
                if (r != 0 && r != -EBADMSG)
                        abort();
        }
        r = sec_sddl_format(data, size, &s);
        if (r == -EOPNOTSUPP || r == -ENOMEM)
                return 0;
        if (r != 0)
                abort();
        if (sec_sddl_parse(s, &sd2, &len2) != 0)
                abort();
        if (sec_sddl_format(sd2, len2, &s2) != 0 || strcmp(s, s2) != 0)
                abort();
        free(s);
        free(s2);
        free(sd2);
        return 0;
}
