/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM's parsers on hostile messages (src/rpc/auth/ntlm.c).  Byte 0 picks what the rest
 * is:
 *   0  an AUTHENTICATE for a server that answered impacket's NEGOTIATE (AV pairs, MIC,
 *      NTLMv1 and v2 responses, names, key exchange)
 *   1  a NEGOTIATE for the server
 *   2  a CHALLENGE for our client (AV pairs, timestamp, target info)
 *   3  a signed message for an established server context: the last 16 bytes are the
 *      signature, the rest the message -- and the same again sealed
 *   4  a request stub ending (or not) in a verification trailer ([MS-RPCE] 2.2.2.13)
 * Whatever it is, the answer is an error or an established context, never a crash, a
 * read out of bounds or a leak.
 */
#include <errno.h>
#include <string.h>

#include "rpc/auth/ntlm.h"
#include "rpc/rpc-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t impacket_negotiate[32] = {
        'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x35, 0x82, 0x88, 0xe0,
};

static uint8_t hash[16];

static int lookup(const char *user, struct ntlm_account_info *ret) {
        if (strcmp(user, "User") != 0 && strcmp(user, "user") != 0)
                return -ENOENT;
        memset(ret, 0, sizeof *ret);
        memcpy(ret->nt_hash, hash, 16);
        ret->rid = 1000;
        strcpy(ret->name, "User");
        return 0;
}

static void setup(bool allow_v1) {
        static bool done;
        struct ntlm_settings s;

        if (!done) {
                ntlm_nt_hash("Password", hash);
                done = true;
        }
        ntlm_get_settings(&s);
        s.lookup = lookup;
        s.allow_v1 = allow_v1;
        ntlm_set_settings(&s);
}

/* A real established pair (client and server), for the signature paths. */
static void established(struct ntlm_ctx **cli, struct ntlm_ctx **srv) {
        struct buf neg, chal, auth;
        const char *why;

        buf_init(&neg, 0);
        buf_init(&chal, 0);
        buf_init(&auth, 0);
        *cli = *srv = NULL;
        if (ntlm_client_start("User", "", "Password", NULL, &neg, cli) < 0 ||
            ntlm_server_start(neg.data, neg.len, &chal, srv) < 0 ||
            ntlm_client_finish(*cli, chal.data, chal.len, &auth) < 0 ||
            ntlm_server_finish(*srv, auth.data, auth.len, &why) < 0)
                __builtin_trap();       /* the handshake itself must work */
        buf_free(&neg);
        buf_free(&chal);
        buf_free(&auth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ntlm_ctx *c = NULL, *cli = NULL;
        struct buf out;
        const char *why;

        if (size < 1)
                return 0;
        setup(data[0] & 0x80);
        buf_init(&out, 0);
        switch (data[0] & 7) {
        case 0:
                if (ntlm_server_start(impacket_negotiate, sizeof impacket_negotiate, &out, &c) == 0) {
                        uint8_t k[16];
                        if (ntlm_server_finish(c, data + 1, size - 1, &why) == 0) {
                                ntlm_session_key(c, k);
                                (void)ntlm_identity(c);
                        }
                }
                break;
        case 1:
                ntlm_server_start(data + 1, size - 1, &out, &c);
                break;
        case 2: {
                struct buf neg;
                buf_init(&neg, 0);
                if (ntlm_client_start("User", "Domain", "Password", NULL, &neg, &c) == 0)
                        ntlm_client_finish(c, data + 1, size - 1, &out);
                buf_free(&neg);
                break;
        }
        case 3:
                if (size >= 1 + 16) {
                        uint8_t copy[4096];
                        size_t n = size - 1 - 16 < sizeof copy ? size - 1 - 16 : sizeof copy;
                        established(&cli, &c);
                        memcpy(copy, data + 1, n);
                        ntlm_verify(c, copy, n, data + size - 16);
                        ntlm_unseal(c, copy, n / 2, copy, n, data + size - 16);
                }
                break;
        case 4: {
                /* a big-endian drep too (the top bit of the selector): the trailer names it */
                struct rpc_vt_call v = { .abstract = rpc_syntax_ndr20, .transfer = rpc_syntax_ndr20,
                                         .drep = { data[0] & 0x80 ? 0x00 : 0x10 }, .call_id = 1,
                                         .header_signing = true };
                size_t n;
                if (rpc_sec_vt_check(data + 1, size - 1, &v, &n) == 0 && n > size - 1)
                        __builtin_trap();
                break;
        }
        }
        ntlm_free(c);
        ntlm_free(cli);
        buf_free(&out);
        return 0;
}
