/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SPNEGO's tokens and the Kerberos GSS framing on hostile bytes (src/rpc/auth/spnego.c):
 * the input is read as a NegTokenInit, as a NegTokenResp and as a framed AP-REQ.  What
 * parses must be written back and parse again to the same fields (the server rewrites
 * impacket's NegTokenInit that way), with the mechanism list kept whole or rebuilt from
 * its OIDs; what does not parse is an error, never a crash, a read out of bounds or a
 * leak.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc/auth/spnego.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct spnego_bytes *a, const struct spnego_bytes *b) {
        if (!a->p || !b->p)
                return !a->p && !b->p;
        return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

#define CHECK(x)                                                                        \
        do {                                                                            \
                if (!(x))                                                               \
                        abort();                                                        \
        } while (0)

static bool inside(const struct spnego_bytes *b, const uint8_t *data, size_t size) {
        return !b->p || (b->p >= data && b->len <= size && (size_t)(b->p - data) <= size - b->len);
}

static void init_round_trip(const uint8_t *data, size_t size) {
        struct spnego_init a, b;
        struct buf out;

        if (spnego_parse_init(data, size, &a) < 0)
                return;
        CHECK(a.n_mechs >= 1 && a.n_mechs <= SPNEGO_MAX_MECHS);
        CHECK(inside(&a.mech_types, data, size) && inside(&a.mech_token, data, size) &&
              inside(&a.mech_list_mic, data, size) && inside(&a.req_flags, data, size));
        for (int rebuild = 0; rebuild < 2; rebuild++) {
                struct spnego_init w = a;
                if (rebuild)
                        w.mech_types = (struct spnego_bytes){ NULL, 0 };
                buf_init(&out, 0);
                spnego_write_init(&out, &w);
                if (!out.error) {
                        CHECK(spnego_parse_init(out.data, out.len, &b) == 0);
                        CHECK(b.n_mechs == a.n_mechs);
                        for (unsigned i = 0; i < a.n_mechs; i++)
                                CHECK(same(&a.mechs[i], &b.mechs[i]));
                        CHECK(same(&a.req_flags, &b.req_flags));
                        CHECK(same(&a.mech_token, &b.mech_token));
                        CHECK(same(&a.mech_list_mic, &b.mech_list_mic));
                        if (!rebuild)
                                CHECK(same(&a.mech_types, &b.mech_types));
                }
                buf_free(&out);
        }
        /* what the server does with impacket's token: the framed AP-REQ made raw */
        struct spnego_bytes raw;
        if (a.mech_token.p && spnego_krb5_unframe(a.mech_token.p, a.mech_token.len, &raw) == 0) {
                a.mech_token = raw;
                buf_init(&out, 0);
                spnego_write_init(&out, &a);
                if (!out.error)
                        CHECK(spnego_parse_init(out.data, out.len, &b) == 0 &&
                              same(&b.mech_token, &raw));
                buf_free(&out);
        }
}

static void resp_round_trip(const uint8_t *data, size_t size) {
        struct spnego_resp a, b;
        struct buf out;

        if (spnego_parse_resp(data, size, &a) < 0)
                return;
        CHECK(a.neg_state >= SPNEGO_NO_STATE && a.neg_state <= SPNEGO_REQUEST_MIC);
        CHECK(inside(&a.supported_mech, data, size) && inside(&a.response_token, data, size) &&
              inside(&a.mech_list_mic, data, size));
        buf_init(&out, 0);
        spnego_write_resp(&out, &a);
        if (!out.error) {
                CHECK(spnego_parse_resp(out.data, out.len, &b) == 0);
                CHECK(b.neg_state == a.neg_state);
                CHECK(same(&a.supported_mech, &b.supported_mech));
                CHECK(same(&a.response_token, &b.response_token));
                CHECK(same(&a.mech_list_mic, &b.mech_list_mic));
        }
        buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct spnego_bytes raw;

        init_round_trip(data, size);
        resp_round_trip(data, size);
        if (spnego_krb5_unframe(data, size, &raw) == 0)
                CHECK(inside(&raw, data, size) && raw.len >= 2 && raw.p[0] == 0x6e);
        return 0;
}
