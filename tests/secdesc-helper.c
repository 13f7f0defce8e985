/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The security layer on the command line, for tests/interop/test-interop-secdesc.py:
 *     secdesc-helper parse SDDL      prints the self-relative descriptor in hex
 *     secdesc-helper format HEX      prints its SDDL (exit 1 if refused)
 *     secdesc-helper check HEX TOKEN WANT
 *                                    COM check: TOKEN a user SID, ",remote", ",anonymous"
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/security.h"

static int unhex(const char *s, uint8_t **ret, size_t *ret_len) {
        size_t n = strlen(s) / 2;
        uint8_t *b = malloc(n ? n : 1);

        if (!b || strlen(s) % 2)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                b[i] = (uint8_t)v;
        }
        *ret = b;
        *ret_len = n;
        return 0;
}

int main(int argc, char **argv) {
        uint8_t *b;
        size_t len;
        int r;

        if (argc == 3 && strcmp(argv[1], "parse") == 0) {
                void *sd;

                r = sec_sddl_parse(argv[2], &sd, &len);
                if (r < 0) {
                        fprintf(stderr, "secdesc-helper: parse: %s\n", strerror(-r));
                        return 1;
                }
                for (size_t i = 0; i < len; i++)
                        printf("%02x", ((uint8_t *)sd)[i]);
                printf("\n");
                free(sd);
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "format") == 0) {
                char *s;

                if (unhex(argv[2], &b, &len) < 0)
                        return 2;
                r = sec_sddl_format(b, len, &s);
                free(b);
                if (r < 0) {
                        fprintf(stderr, "secdesc-helper: format: %s\n", strerror(-r));
                        return 1;
                }
                printf("%s\n", s);
                free(s);
                return 0;
        }
        if (argc == 5 && strcmp(argv[1], "check") == 0) {
                struct sec_token_info info = { 0 };
                struct sec_token *t;
                char sid[SEC_SID_STRING_MAX];
                bool allowed;

                snprintf(sid, sizeof sid, "%s", argv[3]);
                info.remote = strstr(sid, ",remote") != NULL;
                info.anonymous = strstr(sid, ",anonymous") != NULL;
                *strchrnul(sid, ',') = 0;
                info.user_sid = sid;
                if (unhex(argv[2], &b, &len) < 0 || sec_token_new(&info, &t) < 0)
                        return 2;
                r = sec_com_check(b, len, t, (uint32_t)strtoul(argv[4], NULL, 0), &allowed);
                free(b);
                sec_token_free(t);
                if (r < 0)
                        return 2;
                printf("%s\n", allowed ? "allowed" : "denied");
                return 0;
        }
        fprintf(stderr, "usage: secdesc-helper parse SDDL | format HEX | check HEX TOKEN WANT\n");
        return 2;
}
