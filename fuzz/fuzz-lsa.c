/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlsa's protocol (src/rpc/auth/lsa-proto.h), both ends: a request as dcomlsa reads it
 * (and the user name it takes from an AUTHENTICATE for the lockout check), and a reply as
 * a server process reads it -- a NEGOTIATE reply, an AUTHENTICATE result, a refusal.  A
 * result that decodes must encode back to the same bytes, its strings NUL-terminated in
 * bounds; the claimed user fits its buffer.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "rpc/auth/lsa-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *msg;
        size_t msg_len;
        uint32_t kind;
        char user[NTLM_NAME_MAX + 1], reason[512];
        struct lsa_result res;
        static uint8_t again[LSA_MAX_PACKET];

        if (lsa_request_decode(data, size, &kind, &msg, &msg_len) == 0) {
                assert(msg == data + LSA_REQUEST_HEADER && msg_len <= NTLM_MAX_MESSAGE);
                lsa_claimed_user(msg, msg_len, user);
                assert(strlen(user) <= NTLM_NAME_MAX);
        }
        lsa_claimed_user(data, size, user);
        assert(strlen(user) <= NTLM_NAME_MAX);

        int r = lsa_reply_decode(data, size, LSA_KIND_NEGOTIATE, &msg, &msg_len, NULL, reason,
                                 sizeof reason);
        if (r == 0)
                assert(msg_len > 0 && msg_len <= NTLM_MAX_MESSAGE && msg + msg_len == data + size);
        else
                assert(strlen(reason) < sizeof reason);
        r = lsa_reply_decode(data, size, LSA_KIND_AUTHENTICATE, NULL, NULL, &res, reason,
                             sizeof reason);
        if (r == 0) {
                size_t n = lsa_result_encode(&res, again);
                assert(n == size && memcmp(again, data, n) == 0);
        }
        assert(r == 0 || r < 0);
        return 0;
}
