/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM as a DCE/RPC security provider (auth_type 10, RPC_C_AUTHN_WINNT; [MS-RPCE]
 * 2.2.1.1.7): the server's legs (bind: NEGOTIATE -> CHALLENGE; AUTH3 or alter_context:
 * AUTHENTICATE), and the per-PDU verifier of [MS-RPCE] 2.2.2.11 -- with NTLM the whole
 * PDU is signed, header included, from its first byte through the sec_trailer, with the
 * stub in plaintext; at PKT_PRIVACY the stub and its padding are sealed.
 *
 * Accounts come from the local store (dcompasswd, src/rpc/auth/accounts.c).  A process
 * that may not read it -- the store is root's and the process runs as another user --
 * has dcomlsa verify the logon instead (lsa-client.h), as Windows processes have LSASS.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "rpc/auth/accounts.h"
#include "rpc/auth/lsa-client.h"
#include "rpc/auth/ntlm.h"
#include "rpc/auth/providers.h"
#include "rpc/rpc-internal.h"

static LOG_CHANNEL(auth);

struct ntlm_rpc {
        struct ntlm_ctx *ntlm;
        struct lsa_logon *lsa;          /* dcomlsa verifies this logon (until it ends) */
        char failure[512];
};

/* The local account store as NTLM's lookup. */
static int store_lookup(const char *user, struct ntlm_account_info *ret) {
        struct account a;
        int r = accounts_lookup(user, &a);

        if (r < 0)
                return r;
        memcpy(ret->nt_hash, a.nt_hash, 16);
        ret->rid = a.rid;
        ret->disabled = a.disabled;
        snprintf(ret->name, sizeof ret->name, "%s", a.name);
        explicit_bzero(&a, sizeof a);
        return 0;
}

static void fail(struct ntlm_rpc *n, const char *why) {
        const struct ntlm_identity *id = n->ntlm ? ntlm_identity(n->ntlm) : NULL;

        if (id && id->user[0])
                snprintf(n->failure, sizeof n->failure, "NTLM user '%.100s\\%.100s' (workstation '%.64s'): %.200s",
                         id->client_domain, id->user, id->workstation, why);
        else
                snprintf(n->failure, sizeof n->failure, "NTLM: %.200s", why);
}

/* Whether dcomlsa must verify logons: the store is the lookup and not ours to read. */
static bool use_lsa(void) {
        struct ntlm_settings s;

        ntlm_get_settings(&s);
        return s.lookup == store_lookup && lsa_needed();
}

static int rpc_ntlm_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct ntlm_rpc *n = dcom_calloc(1, sizeof *n);
        int r;

        if (!n)
                return -ENOMEM;
        if (use_lsa()) {
                r = lsa_logon_start(in, len, out, &n->lsa, n->failure, sizeof n->failure);
                if (r < 0)
                        log_debug(auth, "NTLM through dcomlsa: %s", n->failure);
        } else {
                r = ntlm_server_start(in, len, out, &n->ntlm);
        }
        if (r < 0) {
                dcom_free(n);
                return r == -ENOMEM ? r : -EACCES;
        }
        *done = false;
        *ret = n;
        return 0;
}

static int rpc_ntlm_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct ntlm_rpc *n = ctx;
        const char *why = NULL;
        int r;

        if (n->lsa) {
                r = lsa_logon_finish(n->lsa, in, len, &n->ntlm, n->failure, sizeof n->failure);
                lsa_logon_free(n->lsa);
                n->lsa = NULL;
                if (r < 0)
                        return r == -ENOMEM ? r : -EACCES;
                *done = true;
                return 0;
        }
        if (!n->ntlm)
                return -EACCES;
        r = ntlm_server_finish(n->ntlm, in, len, &why);
        if (r == -EALREADY)             /* Samba's AUTHENTICATE again on alter_context */
                r = 0;
        if (r < 0) {
                fail(n, why ? why : strerror(-r));
                return r == -ENOMEM ? r : -EACCES;
        }
        *done = true;
        return 0;
}

static int rpc_ntlm_init(void **ret, const struct rpc_auth_identity *id, struct buf *out,
                         bool *done) {
        struct ntlm_rpc *n = dcom_calloc(1, sizeof *n);
        int r;

        if (!n)
                return -ENOMEM;
        r = ntlm_client_start_ex(id && id->user ? id->user : "", id ? id->domain : NULL,
                                 id ? id->password : NULL, NULL,
                                 id && id->imp_level == RPC_IMP_LEVEL_IDENTIFY ?
                                         NTLMSSP_NEGOTIATE_IDENTIFY : 0,
                                 out, &n->ntlm);
        if (r < 0) {
                dcom_free(n);
                return r;
        }
        *done = false;
        *ret = n;
        return 0;
}

static int rpc_ntlm_init_step(void *ctx, const uint8_t *in, size_t len, struct buf *out,
                              bool *done) {
        struct ntlm_rpc *n = ctx;
        int r = ntlm_client_finish(n->ntlm, in, len, out);

        if (r < 0) {
                fail(n, r == -EACCES ? "the server offers no NTLMv2 with extended session security"
                                     : "malformed CHALLENGE message");
                return r == -ENOMEM ? r : -EACCES;
        }
        *done = true;
        return 0;
}

static int rpc_ntlm_verify(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                           size_t stub_len, const uint8_t *verifier, size_t verifier_len) {
        struct ntlm_rpc *n = ctx;
        int r;

        if (verifier_len != NTLM_SIGNATURE_SIZE || len < verifier_len)
                return -EACCES;
        if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                r = ntlm_unseal(n->ntlm, stub, stub_len, pdu, len - verifier_len, verifier);
        else
                r = ntlm_verify(n->ntlm, pdu, len - verifier_len, verifier);
        if (r < 0)
                fail(n, "bad signature or sequence number");
        return r;
}

static int rpc_ntlm_sign(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                         size_t stub_len, uint8_t *verifier, size_t verifier_len) {
        struct ntlm_rpc *n = ctx;

        if (verifier_len != NTLM_SIGNATURE_SIZE || len < verifier_len)
                return -EINVAL;
        if (level == RPC_AUTHN_LEVEL_PKT_PRIVACY)
                return ntlm_seal(n->ntlm, stub, stub_len, pdu, len - verifier_len, verifier);
        return ntlm_sign(n->ntlm, pdu, len - verifier_len, verifier);
}

static size_t rpc_ntlm_verifier_size(void *ctx, uint8_t level) {
        return NTLM_SIGNATURE_SIZE;
}

static void rpc_ntlm_free(void *ctx) {
        struct ntlm_rpc *n = ctx;

        if (!n)
                return;
        ntlm_free(n->ntlm);
        lsa_logon_free(n->lsa);
        dcom_free(n);
}

static int rpc_ntlm_identity(void *ctx, struct rpc_identity *ret) {
        struct ntlm_rpc *n = ctx;
        const struct ntlm_identity *id;
        struct passwd pw, *pp = NULL;
        char pwbuf[1024];

        if (!ntlm_established(n->ntlm))
                return -ENOTCONN;
        id = ntlm_identity(n->ntlm);
        memset(ret, 0, sizeof *ret);
        snprintf(ret->user, sizeof ret->user, "%s", id->user);
        snprintf(ret->domain, sizeof ret->domain, "%s", id->domain);
        ret->imp_level = id->identify ? RPC_IMP_LEVEL_IDENTIFY : RPC_IMP_LEVEL_IMPERSONATE;
        if (id->anonymous) {
                ret->anonymous = true;
                snprintf(ret->sid, sizeof ret->sid, "S-1-5-7");
                return 0;
        }
        if (getpwnam_r(id->user, &pw, pwbuf, sizeof pwbuf, &pp) == 0 && pp) {
                ret->has_uid = true;
                ret->uid = pp->pw_uid;
        }
        char msid[64];
        if (id->sid[0])                 /* dcomlsa named it */
                snprintf(ret->sid, sizeof ret->sid, "%s", id->sid);
        else if (accounts_machine_sid(msid, sizeof msid) >= 0)
                snprintf(ret->sid, sizeof ret->sid, "%s-%u", msid, id->rid);
        else if (ret->has_uid)
                snprintf(ret->sid, sizeof ret->sid, "S-1-22-1-%u", (unsigned)ret->uid);
        return 0;
}

static const char *rpc_ntlm_failure(void *ctx) {
        struct ntlm_rpc *n = ctx;
        return n && n->failure[0] ? n->failure : NULL;
}

const struct rpc_auth_ops rpc_ntlm_ops = {
        .auth_type = RPC_AUTHN_WINNT,
        .name = "NTLM",
        .accept = rpc_ntlm_accept,
        .step = rpc_ntlm_step,
        .verify = rpc_ntlm_verify,
        .sign = rpc_ntlm_sign,
        .verifier_size = rpc_ntlm_verifier_size,
        .free = rpc_ntlm_free,
        .init = rpc_ntlm_init,
        .init_step = rpc_ntlm_init_step,
        .inq_identity = rpc_ntlm_identity,
        .failure = rpc_ntlm_failure,
};

struct ntlm_ctx *rpc_ntlm_context(void *ctx) {
        struct ntlm_rpc *n = ctx;

        return n ? n->ntlm : NULL;
}

/* Sets the local account store as NTLM's lookup unless one is set (providers.c). */
void rpc_ntlm_use_account_store(void) {
        struct ntlm_settings s;

        ntlm_get_settings(&s);
        if (!s.lookup) {
                s.lookup = store_lookup;
                ntlm_set_settings(&s);
        }
}
