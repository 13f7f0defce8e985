/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kerberos (auth_type 16, RPC_C_AUTHN_GSS_KERBEROS) and Kerberos inside SPNEGO (auth_type
 * 9, RPC_C_AUTHN_GSS_NEGOTIATE, when Negotiate -- negotiate.c -- chooses Kerberos) as
 * DCE/RPC security providers, both sides, through MIT Kerberos' GSSAPI -- no Kerberos,
 * ASN.1 or cipher of our own.
 *
 * Handshake, DCE style ([MS-RPCE] 3.3.1.5.2, [MS-KILE] 3.2.5.x/3.4.5.x): the client asks
 * GSS_C_DCE_STYLE | MUTUAL | INTEG | CONF | SEQUENCE | REPLAY; bind carries its AP-REQ,
 * bind_ack the server's AP-REP, and AUTH3 the client's own AP-REP, after which both
 * sides are established.  Through SPNEGO each token is wrapped (NegTokenInit/Resp) and
 * the acceptor has a fourth one, NegTokenResp accept-completed (with a mechListMIC when
 * the client sent one): impacket and Samba carry the third leg in an alter_context and
 * get it in the alter_context_resp; after an AUTH3 it is simply not sent.
 *
 * Per PDU ([MS-KILE] 3.4.5.4, as Windows and Samba's gssapi_helper.c do it): at
 * PKT_PRIVACY the stub and its padding are sealed in place by gss_wrap_iov with the
 * verifier as the token's HEADER buffer (DCE style: no padding or trailer buffer, the
 * token rotated into the header -- 76 bytes with AES); at PKT_INTEGRITY the verifier is a
 * MIC (gss_get_mic_iov, 28 bytes with AES) of the stub and padding.
 *
 * Header signing ([MS-RPCE] 3.3.1.5.2.2): once both sides set PFC_SUPPORT_HEADER_SIGN in
 * bind and bind_ack (the runtime says so through ops->header_signing), the token also
 * covers the PDU's header and its sec_trailer (SIGN_ONLY buffers around the sealed DATA;
 * the whole PDU but the verifier in the MIC), else the stub and padding alone.  What the
 * peers do: Samba's client always offers the flag and signs the header when the
 * bind_ack echoes it (ours does), otherwise it protects the stub alone and sends a
 * HEADER2 command in its verification trailer instead; impacket never offers it and
 * never signs the header (its GSS_Wrap and GSS_GetMIC take the stub).
 *
 * The server accepts any principal of its keytab (KRB5_KTNAME, else the system keytab):
 * host/FQDN and RPCSS/FQDN as Windows names them.  The caller is "user@REALM"; it is a
 * Unix user when MIT's auth_to_local rules map it to one (by default: principals of the
 * default realm, by their first component), with the SID S-1-22-1-UID as Samba does.
 *
 * The client takes its tickets from the credential cache (KRB5CCNAME; kinit), or asks
 * the KDC for new ones when given a password; it needs the server's principal
 * (rpc_gss_set_target, gss-rpc.h).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "rpc/auth/gss-rpc.h"
#include "rpc/auth/spnego.h"
#include "rpc/rpc-internal.h"

static LOG_CHANNEL(rpc);

/* 1.2.840.113554.1.2.2 (RFC 1964) and 1.3.6.1.5.5.2 (RFC 4178) */
static uint8_t krb5_oid_bytes[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static uint8_t spnego_oid_bytes[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static gss_OID_desc krb5_oid = { sizeof krb5_oid_bytes, krb5_oid_bytes };
static gss_OID_desc spnego_oid = { sizeof spnego_oid_bytes, spnego_oid_bytes };
static gss_OID_set_desc krb5_set = { 1, &krb5_oid };
static gss_OID_set_desc spnego_set = { 1, &spnego_oid };

/* What the client asks for ([MS-RPCE] 3.3.1.5.2: DCE style, mutual authentication). */
#define WANT_FLAGS                                                                       \
        (GSS_C_DCE_STYLE | GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG |      \
         GSS_C_SEQUENCE_FLAG | GSS_C_REPLAY_FLAG)

/* A verifier is the size of a token header (76 bytes with AES); more is not ours. */
#define MAX_VERIFIER 1024
/* Tokens: an AP-REQ with a PAC from a domain controller is a few KiB. */
#define MAX_TOKEN (64 * 1024)

struct gss_rpc {
        bool spnego;                    /* auth_type 9 (else 16) */
        bool initiator;
        bool established;               /* the mechanism is complete (a SPNEGO client may
                                           still expect the acceptor's last token) */
        bool hdr_signing;               /* negotiated (ops->header_signing) */
        gss_ctx_id_t ctx;
        gss_cred_id_t cred;
        gss_name_t target;              /* client: the server's principal */
        gss_name_t peer;                /* server: the client's principal, once established */
        OM_uint32 flags;                /* what the context got */
        size_t size[2];                 /* verifier sizes: [0] MIC, [1] wrap; 0 = not known */
        uint8_t *last_in;               /* the token that completed the context */
        size_t last_in_len;
        struct rpc_identity who;        /* server: the caller, once established */
        char principal[256];            /* the peer (server) or ourselves (client) */
        char failure[512];
        OM_uint32 last_major, last_minor;       /* of the last failure (fail()) */
        bool no_target;                 /* client: no server principal to ask a ticket for */
        bool want_deleg;                /* client: RPC_C_IMP_LEVEL_DELEGATE */
        gss_cred_id_t deleg;            /* server: the credential the client delegated */
};

/*
 * Delegation (RPC_C_IMP_LEVEL_DELEGATE; RFC 4121 GSS_C_DELEG_FLAG): a client asks for it
 * and forwards its TGT in the AP-REQ.  A server thread that acts for its caller
 * (rpc_call_delegate, from RpcImpersonateClient or CoImpersonateClient) has the caller's
 * delegated credential here, and a Kerberos client context it begins with no credentials
 * of its own uses it -- the outgoing call is the caller's, as Windows' impersonation
 * does.  MIT's acceptor (1.20) does not return a credential delegated in a DCE-style
 * context (kg_accept_dce: "we don't support DCE credential delegation yet"), which RPC's
 * Kerberos always is: with MIT our server side sees no delegation, and a Windows or
 * Heimdal acceptor does.
 */
static _Thread_local gss_cred_id_t thread_deleg = GSS_C_NO_CREDENTIAL;

/* Whether the GSSAPI library returns credentials delegated in DCE-style contexts: MIT
   (the one we build with) does not. */
#define GSS_DCE_DELEGATION_SUPPORTED 0

static const char *provider_name(const struct gss_rpc *g) {
        return g->spnego ? "Negotiate" : "Kerberos";
}

/*
 * "major text; minor text" of a GSSAPI status: the mechanism's word (minor) is the one
 * that says what went wrong ("Request ticket server cifs/... not found in keytab");
 * GSS_S_FAILURE's own text only says to look there, and a minor code no mechanism claims
 * reads "Success".
 */
static void status_text(OM_uint32 major, OM_uint32 minor, char *buf, size_t size) {
        size_t off = 0;

        buf[0] = 0;
        for (int pass = 0; pass < 2; pass++) {
                OM_uint32 code = pass ? minor : major, more = 0, min;
                int type = pass ? GSS_C_MECH_CODE : GSS_C_GSS_CODE;
                if (pass ? !minor : GSS_ROUTINE_ERROR(major) == GSS_S_FAILURE && minor)
                        continue;
                do {
                        gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
                        if (GSS_ERROR(gss_display_status(&min, code, type, GSS_C_NO_OID, &more,
                                                         &msg)))
                                break;
                        if (pass && msg.length == 7 && memcmp(msg.value, "Success", 7) == 0) {
                                gss_release_buffer(&min, &msg);
                                break;
                        }
                        if (off < size) {
                                int n = snprintf(buf + off, size - off, "%s%.*s", off ? "; " : "",
                                                 (int)msg.length, (const char *)msg.value);
                                off += n > 0 ? (size_t)n : 0;
                        }
                        gss_release_buffer(&min, &msg);
                } while (more);
        }
        if (!buf[0])
                snprintf(buf, size, "GSSAPI major 0x%x, minor %u", (unsigned)major, (unsigned)minor);
}

static void fail(struct gss_rpc *g, const char *what, OM_uint32 major, OM_uint32 minor) {
        char text[384];

        g->last_major = major;
        g->last_minor = minor;
        status_text(major, minor, text, sizeof text);
        if (g->principal[0])
                snprintf(g->failure, sizeof g->failure, "%s principal '%.200s': %s: %s",
                         provider_name(g), g->principal, what, text);
        else
                snprintf(g->failure, sizeof g->failure, "%s: %s: %s", provider_name(g), what, text);
}

static void fail_text(struct gss_rpc *g, const char *why) {
        if (g->principal[0])
                snprintf(g->failure, sizeof g->failure, "%s principal '%.200s': %s",
                         provider_name(g), g->principal, why);
        else
                snprintf(g->failure, sizeof g->failure, "%s: %s", provider_name(g), why);
}

static int errno_of(OM_uint32 minor) {
        return minor == ENOMEM ? -ENOMEM : -EACCES;
}

static void display_name(gss_name_t name, char *buf, size_t size) {
        gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
        OM_uint32 min;

        buf[0] = 0;
        if (name != GSS_C_NO_NAME && !GSS_ERROR(gss_display_name(&min, name, &b, NULL))) {
                snprintf(buf, size, "%.*s", (int)b.length, (const char *)b.value);
                gss_release_buffer(&min, &b);
        }
}

static struct gss_rpc *rpc_gss_new(bool spnego, bool initiator) {
        struct gss_rpc *g = dcom_calloc(1, sizeof *g);

        if (g) {
                g->spnego = spnego;
                g->initiator = initiator;
                g->ctx = GSS_C_NO_CONTEXT;
                g->cred = GSS_C_NO_CREDENTIAL;
                g->deleg = GSS_C_NO_CREDENTIAL;
                g->target = g->peer = GSS_C_NO_NAME;
        }
        return g;
}

static void rpc_gss_free(void *ctx) {
        struct gss_rpc *g = ctx;
        OM_uint32 min;

        if (!g)
                return;
        if (g->ctx != GSS_C_NO_CONTEXT)
                gss_delete_sec_context(&min, &g->ctx, GSS_C_NO_BUFFER);
        if (g->cred != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&min, &g->cred);
        if (g->deleg != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&min, &g->deleg);
        if (g->target != GSS_C_NO_NAME)
                gss_release_name(&min, &g->target);
        if (g->peer != GSS_C_NO_NAME)
                gss_release_name(&min, &g->peer);
        dcom_free(g->last_in);
        dcom_free(g);
}

/* Keeps the token that completed the context: the same one again is a peer re-sending
   it on alter_context (as Samba does with NTLM), not a new handshake. */
static int keep_last(struct gss_rpc *g, const uint8_t *in, size_t len) {
        dcom_free(g->last_in);
        g->last_in = NULL;
        g->last_in_len = 0;
        if (!len)
                return 0;
        g->last_in = dcom_malloc(len);
        if (!g->last_in)
                return -ENOMEM;
        memcpy(g->last_in, in, len);
        g->last_in_len = len;
        return 0;
}

static int resent(struct gss_rpc *g, const uint8_t *in, size_t len, bool *done) {
        if (g->last_in && len == g->last_in_len && memcmp(in, g->last_in, len) == 0) {
                *done = true;
                return 0;
        }
        fail_text(g, "a new token for an established context");
        return -EACCES;
}

/* --- the server ---------------------------------------------------------------------------- */

/* Who the caller is, worked out once when the context is established (auth_to_local
   reads krb5.conf: not something to do on every call). */
static void find_identity(struct gss_rpc *g, OM_uint32 flags) {
        struct rpc_identity *ret = &g->who;
        gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
        OM_uint32 min;

        memset(ret, 0, sizeof *ret);
        if (flags & GSS_C_ANON_FLAG) {
                /* RFC 8062 anonymous PKINIT: WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS */
                ret->anonymous = true;
                snprintf(ret->user, sizeof ret->user, "ANONYMOUS LOGON");
                snprintf(ret->domain, sizeof ret->domain, "NT AUTHORITY");
                snprintf(ret->sid, sizeof ret->sid, "S-1-5-7");
                return;
        }
        /* "user@REALM" (the last '@': an escaped one may sit in the name) */
        const char *at = strrchr(g->principal, '@');
        size_t ulen = at ? (size_t)(at - g->principal) : strlen(g->principal);
        snprintf(ret->user, sizeof ret->user, "%.*s", (int)ulen, g->principal);
        snprintf(ret->domain, sizeof ret->domain, "%s", at ? at + 1 : "");
        /* a Unix user by the realm's auth_to_local rules, not by the bare name: alice of
           another realm is not our alice */
        if (!GSS_ERROR(gss_localname(&min, g->peer, GSS_C_NO_OID, &local))) {
                char name[257], pwbuf[1024];
                struct passwd pw, *pp = NULL;
                snprintf(name, sizeof name, "%.*s", (int)local.length, (const char *)local.value);
                gss_release_buffer(&min, &local);
                if (getpwnam_r(name, &pw, pwbuf, sizeof pwbuf, &pp) == 0 && pp) {
                        ret->has_uid = true;
                        ret->uid = pp->pw_uid;
                        snprintf(ret->sid, sizeof ret->sid, "S-1-22-1-%u", (unsigned)pp->pw_uid);
                }
        }
}

/*
 * impacket frames its AP-REQ for GSS (0x60, the Kerberos OID, TOK_ID 01 00) although it
 * asks for DCE style, and MIT accepts a DCE-style AP-REQ only raw, as Windows and Samba
 * send it ("only DCE_STYLE clients are allowed to send raw AP-REQs", and the converse);
 * Windows takes either.  The framing is no part of what the AP-REQ authenticates, so
 * the first token's AP-REQ -- alone (Kerberos) or as NegTokenInit's mechToken
 * (Negotiate) -- goes to GSSAPI raw.  out is left empty when there is nothing to change.
 */
static void unframe_ap_req(bool spnego, const uint8_t *in, size_t len, struct buf *out) {
        struct spnego_init init;
        struct spnego_bytes raw;

        if (!spnego) {
                if (spnego_krb5_unframe(in, len, &raw) == 0)
                        buf_append(out, raw.p, raw.len);
                return;
        }
        if (spnego_parse_init(in, len, &init) < 0 || !init.mech_token.p ||
            spnego_krb5_unframe(init.mech_token.p, init.mech_token.len, &raw) < 0)
                return;
        init.mech_token = raw;
        spnego_write_init(out, &init);
}

static int server_token(struct gss_rpc *g, const uint8_t *in, size_t len, struct buf *out,
                        bool *done) {
        gss_buffer_desc itok = { len, (void *)in }, otok = GSS_C_EMPTY_BUFFER;
        gss_name_t src = GSS_C_NO_NAME;
        OM_uint32 major, minor = 0, min, flags = 0;
        struct buf raw;
        int r = 0;

        if (g->established)
                return resent(g, in, len, done);
        if (len == 0 || len > MAX_TOKEN) {
                fail_text(g, "no token, or one too large");
                return -EACCES;
        }
        buf_init(&raw, MAX_TOKEN);
        if (g->ctx == GSS_C_NO_CONTEXT) {
                unframe_ap_req(g->spnego, in, len, &raw);
                if (raw.len && !raw.error)
                        itok = (gss_buffer_desc){ raw.len, raw.data };
        }
        gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;
        /* No handle for a delegated credential: MIT's acceptor never returns one for a
           DCE-style context, and when asked for it keeps (and leaks) what a client
           forwarded -- memory any client could make us lose, bind after bind.  Not
           asked, it reads and drops it.  An acceptor that returns one is used. */
        major = gss_accept_sec_context(&minor, &g->ctx, g->cred, &itok, GSS_C_NO_CHANNEL_BINDINGS,
                                       &src, NULL, &otok, &flags, NULL,
                                       GSS_DCE_DELEGATION_SUPPORTED ? &deleg : NULL);
        if (deleg != GSS_C_NO_CREDENTIAL) {
                if (g->deleg != GSS_C_NO_CREDENTIAL)
                        gss_release_cred(&min, &g->deleg);
                g->deleg = deleg;
        }
        buf_free(&raw);
        if (src != GSS_C_NO_NAME)
                display_name(src, g->principal, sizeof g->principal);
        if (GSS_ERROR(major)) {
                /* an error token (KRB-ERROR) is not sent: the refusal is a bind_nak or fault */
                fail(g, "security context refused", major, minor);
                r = errno_of(minor);
                goto out;
        }
        if (otok.length && out)         /* out NULL: nothing goes back (AUTH3) */
                buf_append(out, otok.value, otok.length);
        *done = major == GSS_S_COMPLETE;
        if (*done) {
                if (!(flags & GSS_C_DCE_STYLE)) {
                        /* [MS-RPCE] 3.3.1.5.2: RPC's Kerberos is DCE style (three legs,
                           per-PDU tokens without padding or trailer) */
                        fail_text(g, "the client did not ask for DCE style (GSS_C_DCE_STYLE)");
                        r = -EACCES;
                        goto out;
                }
                g->flags = flags;
                g->peer = src;
                src = GSS_C_NO_NAME;
                find_identity(g, flags);
                /* what the client allows the server ([MS-RPCE] 2.2.1.1.9's levels) */
                /* (DCE style: the delegated credential came with the AP-REQ, the first
                   leg; the last leg's flags need not say so again) */
                g->who.imp_level = g->deleg != GSS_C_NO_CREDENTIAL ? RPC_IMP_LEVEL_DELEGATE
                                   : (flags & GSS_C_IDENTIFY_FLAG) ? RPC_IMP_LEVEL_IDENTIFY
                                                                    : RPC_IMP_LEVEL_IMPERSONATE;
                g->established = true;
                r = keep_last(g, in, len);
        }
out:
        gss_release_buffer(&min, &otok);
        if (src != GSS_C_NO_NAME)
                gss_release_name(&min, &src);
        return r;
}

static int server_accept(bool spnego, void **ret, const uint8_t *in, size_t len, struct buf *out,
                         bool *done) {
        struct gss_rpc *g = rpc_gss_new(spnego, false);
        OM_uint32 major, minor = 0;
        int r;

        if (!g)
                return -ENOMEM;
        /* any principal of the keytab, for this mechanism only; SPNEGO offers Kerberos
           alone (never IAKERB or whatever else the system has) */
        major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
                                 spnego ? &spnego_set : &krb5_set, GSS_C_ACCEPT, &g->cred, NULL,
                                 NULL);
        if (!GSS_ERROR(major) && spnego)
                major = gss_set_neg_mechs(&minor, g->cred, &krb5_set);
        if (GSS_ERROR(major)) {
                fail(g, "no service key (KRB5_KTNAME, the keytab)", major, minor);
                r = errno_of(minor);
        } else {
                r = server_token(g, in, len, out, done);
        }
        if (r < 0) {
                /* the runtime's audit line cannot ask a context it never kept why: this
                   one names the principal (when the ticket could be read) and the reason */
                rpc_audit("access denied: %s", g->failure);
                rpc_gss_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

bool rpc_gss_have_keys(void) {
        gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
        OM_uint32 major, minor = 0, min;

        /* MIT refuses a keytab that is missing or holds no key (krb5_kt_have_content) */
        major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &krb5_set, GSS_C_ACCEPT,
                                 &cred, NULL, NULL);
        if (GSS_ERROR(major))
                return false;
        gss_release_cred(&min, &cred);
        return true;
}

static int krb5_accept(void **ret, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        return server_accept(false, ret, in, len, out, done);
}

static int negotiate_accept(void **ret, const uint8_t *in, size_t len, struct buf *out,
                            bool *done) {
        return server_accept(true, ret, in, len, out, done);
}

static int rpc_gss_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct gss_rpc *g = ctx;

        if (g->initiator)
                return -EINVAL;
        return server_token(g, in, len, out, done);
}

/* --- the client ---------------------------------------------------------------------------- */

static pthread_mutex_t target_lock = PTHREAD_MUTEX_INITIALIZER;
static char *target_name;

int rpc_gss_set_target(const char *target) {
        char *copy = NULL, *old;

        if (target && !(copy = dcom_strdup(target)))
                return -ENOMEM;
        pthread_mutex_lock(&target_lock);
        old = target_name;
        target_name = copy;
        pthread_mutex_unlock(&target_lock);
        dcom_free(old);
        return 0;
}

/* The server's name: "svc/host@REALM" or "svc/host" (a Kerberos principal), "svc@host"
   (host-based), or a bare host name ("host@NAME"). */
static int import_target(struct gss_rpc *g, const struct rpc_auth_identity *id) {
        gss_buffer_desc b;
        gss_OID type = GSS_C_NT_HOSTBASED_SERVICE;
        char target[300];
        OM_uint32 major, minor = 0;

        /* the binding's own (rpc_auth_identity.target), else the process's */
        if (id && id->target && id->target[0]) {
                snprintf(target, sizeof target, "%s", id->target);
        } else {
                pthread_mutex_lock(&target_lock);
                snprintf(target, sizeof target, "%s", target_name ? target_name : "");
                pthread_mutex_unlock(&target_lock);
        }
        if (!target[0]) {
                fail_text(g, "no target: name the server's principal (rpc_auth_identity.target or rpc_gss_set_target)");
                g->no_target = true;
                return -EINVAL;
        }
        if (strchr(target, '/'))
                type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
        else if (!strchr(target, '@')) {
                char host[sizeof target];
                snprintf(host, sizeof host, "%s", target);
                snprintf(target, sizeof target, "host@%.256s", host);
        }
        b.value = (void *)target;
        b.length = strlen(target);
        major = gss_import_name(&minor, &b, type, &g->target);
        if (GSS_ERROR(major)) {
                fail(g, "the target's name", major, minor);
                return -EINVAL;
        }
        return 0;
}

/* Credentials: the credential cache's default principal (no user, no password), a
   principal's tickets from the cache collection (a user), or new tickets from the KDC
   (a user and a password).  user may be "name@REALM"; otherwise domain is the realm. */
/* A credential of our own with the same content (export and import: handles are not
   reference counted, and the original belongs to the server's context). */
static OM_uint32 copy_cred(OM_uint32 *minor, gss_cred_id_t from, gss_cred_id_t *ret) {
        gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
        OM_uint32 major, min;

        major = gss_export_cred(minor, from, &b);
        if (GSS_ERROR(major))
                return major;
        major = gss_import_cred(minor, &b, ret);
        gss_release_buffer(&min, &b);
        return major;
}

static int client_cred(struct gss_rpc *g, const struct rpc_auth_identity *id) {
        const char *user = id && id->user ? id->user : "";
        const char *domain = id && id->domain ? id->domain : "";
        const char *password = id && id->password ? id->password : "";
        gss_OID_set mechs = g->spnego ? &spnego_set : &krb5_set;
        gss_name_t name = GSS_C_NO_NAME;
        OM_uint32 major = GSS_S_COMPLETE, minor = 0, min;
        char principal[sizeof g->principal];

        if (user[0]) {
                if (strchr(user, '@') || !domain[0])
                        snprintf(principal, sizeof principal, "%s", user);
                else {
                        /* realms are upper case by convention ("example.com" is the
                           realm EXAMPLE.COM, as Windows and Samba read a domain) */
                        int n = snprintf(principal, sizeof principal, "%s@", user);
                        for (size_t i = 0; domain[i] && n > 0 && (size_t)n + 1 < sizeof principal; i++)
                                principal[n++] = (char)toupper((unsigned char)domain[i]);
                        if (n > 0 && (size_t)n < sizeof principal)
                                principal[n] = 0;
                }
                snprintf(g->principal, sizeof g->principal, "%s", principal);
                gss_buffer_desc b = { strlen(principal), principal };
                major = gss_import_name(&minor, &b, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &name);
                if (GSS_ERROR(major)) {
                        fail(g, "the user's name", major, minor);
                        return -EINVAL;
                }
        }
        if (password[0]) {
                gss_buffer_desc pw = { strlen(password), (void *)password };
                if (name == GSS_C_NO_NAME) {
                        fail_text(g, "a password without a user");
                        return -EINVAL;
                }
                major = gss_acquire_cred_with_password(&minor, name, &pw, GSS_C_INDEFINITE, mechs,
                                                       GSS_C_INITIATE, &g->cred, NULL, NULL);
        } else if (name == GSS_C_NO_NAME && thread_deleg != GSS_C_NO_CREDENTIAL) {
                /* acting for a caller who delegated: its credential, our own copy */
                major = copy_cred(&minor, thread_deleg, &g->cred);
                if (!GSS_ERROR(major) && g->spnego)
                        major = gss_set_neg_mechs(&minor, g->cred, &krb5_set);
                if (GSS_ERROR(major)) {
                        fail(g, "the caller's delegated credential", major, minor);
                        return errno_of(minor);
                }
                return 0;
        } else if (name != GSS_C_NO_NAME || g->spnego) {
                major = gss_acquire_cred(&minor, name, GSS_C_INDEFINITE, mechs, GSS_C_INITIATE,
                                         &g->cred, NULL, NULL);
        }
        if (name != GSS_C_NO_NAME)
                gss_release_name(&min, &name);
        if (!GSS_ERROR(major) && g->spnego)
                major = gss_set_neg_mechs(&minor, g->cred, &krb5_set);
        if (GSS_ERROR(major)) {
                fail(g, password[0] ? "no ticket from the KDC" : "no ticket in the credential cache",
                     major, minor);
                return errno_of(minor);
        }
        return 0;
}

static int client_token(struct gss_rpc *g, const uint8_t *in, size_t len, struct buf *out,
                        bool *done) {
        gss_buffer_desc itok = { len, (void *)in }, otok = GSS_C_EMPTY_BUFFER;
        OM_uint32 major, minor = 0, min, flags = 0;
        int r = 0;

        if (g->established && len == 0) {
                *done = true;
                return 0;
        }
        if (len > MAX_TOKEN) {
                fail_text(g, "the server's token is too large");
                return -EACCES;
        }
        major = gss_init_sec_context(&minor, g->cred, &g->ctx, g->target,
                                     g->spnego ? &spnego_oid : &krb5_oid,
                                     WANT_FLAGS | (g->want_deleg ? GSS_C_DELEG_FLAG : 0), 0,
                                     GSS_C_NO_CHANNEL_BINDINGS, in ? &itok : GSS_C_NO_BUFFER, NULL,
                                     &otok, &flags, NULL);
        if (GSS_ERROR(major)) {
                fail(g, in ? "the server's answer" : "a ticket for the server", major, minor);
                r = errno_of(minor);
                goto out;
        }
        if (otok.length)
                buf_append(out, otok.value, otok.length);
        *done = major == GSS_S_COMPLETE;
        /* the mechanism is done once it answered the server's AP-REP: Kerberos then, and a
           SPNEGO client too, although it would still take the acceptor's last token */
        if (in && (*done || g->spnego)) {
                if (!(flags & GSS_C_DCE_STYLE)) {
                        fail_text(g, "the context is not DCE style");
                        r = -EACCES;
                        goto out;
                }
                g->flags = flags;
                g->established = true;
        }
out:
        gss_release_buffer(&min, &otok);
        return r;
}

/* The first line of a minor status' text, as its mechanism (mech) gives it. */
static bool minor_text(OM_uint32 minor, gss_OID mech, char *buf, size_t size) {
        gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
        OM_uint32 min, more = 0;

        if (GSS_ERROR(gss_display_status(&min, minor, GSS_C_MECH_CODE, mech, &more, &msg)))
                return false;
        snprintf(buf, size, "%.*s", (int)msg.length, (const char *)msg.value);
        gss_release_buffer(&min, &msg);
        return true;
}

/*
 * Whether a client context failed because Kerberos cannot be had here -- no server named,
 * no realm or KDC to ask, no tickets, a server or user the KDC does not know (Windows'
 * Negotiate falls back to NTLM for a server without an SPN) -- rather than because the
 * KDC refused us (a wrong password, an expired or locked account, clock skew), which is
 * an answer, not an absence.
 */
static bool kerberos_unavailable(const struct gss_rpc *g) {
        static const krb5_error_code absent[] = {
                KRB5_KDC_UNREACH,       KRB5_REALM_UNKNOWN, KRB5_REALM_CANT_RESOLVE,
                KRB5_CONFIG_NODEFREALM, KRB5_FCC_NOFILE,    KRB5_CC_NOTFOUND,
                KRB5_CC_END,            KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN,
                KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN,
        };
        char got[512], want[512];

        if (g->no_target)
                return true;
        for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
                if (g->last_minor == (OM_uint32)absent[i])
                        return true;
        /*
         * Through SPNEGO MIT's mechanism glue hands the Kerberos code out renumbered (a
         * code already claimed by the Kerberos mechanism gets a number of its own under
         * SPNEGO) and has no public way back; both numbers display as the same Kerberos
         * error, with the same text (krb5's message for that code, or the extended one
         * it kept for the failure just seen), so the text says which code it was.
         */
        if (!g->last_minor || !minor_text(g->last_minor, GSS_C_NO_OID, got, sizeof got))
                return false;
        for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
                if (minor_text((OM_uint32)absent[i], &krb5_oid, want, sizeof want) &&
                    strcmp(got, want) == 0)
                        return true;
        return false;
}

static int client_init(bool spnego, void **ret, const struct rpc_auth_identity *id,
                       struct buf *out, bool *done, bool *ret_unavailable) {
        struct gss_rpc *g = rpc_gss_new(spnego, true);
        int r;

        if (ret_unavailable)
                *ret_unavailable = false;
        if (!g)
                return -ENOMEM;
        g->want_deleg = id && id->imp_level == RPC_IMP_LEVEL_DELEGATE;
        r = import_target(g, id);
        if (r >= 0)
                r = client_cred(g, id);
        if (r >= 0)
                r = client_token(g, NULL, 0, out, done);
        if (r < 0) {
                /* the runtime logs the provider's failure only for a context it keeps */
                log_debug(rpc, "%s", g->failure);
                if (ret_unavailable && r != -ENOMEM)
                        *ret_unavailable = kerberos_unavailable(g);
                rpc_gss_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

static int krb5_init(void **ret, const struct rpc_auth_identity *id, struct buf *out, bool *done) {
        return client_init(false, ret, id, out, done, NULL);
}

static int negotiate_init(void **ret, const struct rpc_auth_identity *id, struct buf *out,
                          bool *done) {
        return client_init(true, ret, id, out, done, NULL);
}

int rpc_gss_spnego_init(void **ret, const struct rpc_auth_identity *id, struct buf *out,
                        bool *done, bool *ret_unavailable) {
        return client_init(true, ret, id, out, done, ret_unavailable);
}

static int rpc_gss_init_step(void *ctx, const uint8_t *in, size_t len, struct buf *out, bool *done) {
        struct gss_rpc *g = ctx;

        if (!g->initiator)
                return -EINVAL;
        return client_token(g, in, len, out, done);
}

/* --- per PDU ------------------------------------------------------------------------------- */

static void rpc_gss_header_signing(void *ctx, bool on) {
        struct gss_rpc *g = ctx;

        g->hdr_signing = on;
}

static size_t rpc_gss_verifier_size(void *ctx, uint8_t level) {
        struct gss_rpc *g = ctx;
        bool seal = level == RPC_AUTHN_LEVEL_PKT_PRIVACY;
        OM_uint32 major, minor;

        if (!g->established || g->ctx == GSS_C_NO_CONTEXT)
                return 0;
        if (g->size[seal])
                return g->size[seal];
        /* constant for a context (with AES: 76 and 28 bytes); Samba asks the same way */
        if (seal) {
                int conf = 0;
                gss_iov_buffer_desc iov[2] = {
                        { GSS_IOV_BUFFER_TYPE_HEADER, { 0, NULL } },
                        { GSS_IOV_BUFFER_TYPE_DATA, { 16, NULL } },
                };
                major = gss_wrap_iov_length(&minor, g->ctx, 1, GSS_C_QOP_DEFAULT, &conf, iov, 2);
                if (!GSS_ERROR(major) && iov[0].buffer.length <= MAX_VERIFIER)
                        g->size[1] = iov[0].buffer.length;
        } else {
                gss_iov_buffer_desc iov[2] = {
                        { GSS_IOV_BUFFER_TYPE_DATA, { 16, NULL } },
                        { GSS_IOV_BUFFER_TYPE_MIC_TOKEN, { 0, NULL } },
                };
                major = gss_get_mic_iov_length(&minor, g->ctx, GSS_C_QOP_DEFAULT, iov, 2);
                if (!GSS_ERROR(major) && iov[1].buffer.length <= MAX_VERIFIER)
                        g->size[0] = iov[1].buffer.length;
        }
        return g->size[seal];
}

/*
 * The buffers of one PDU: the stub (and padding) as DATA; with header signing also the
 * header before it and the sec_trailer after it (SIGN_ONLY when sealing; DATA for a MIC,
 * which covers its DATA buffers as one message).  iov[0] is left for the token.
 */
static int pdu_iov(bool hdr, bool seal, uint8_t *pdu, size_t len, uint8_t *stub,
                   size_t stub_len, size_t verifier_len, gss_iov_buffer_desc *iov) {
        int n = 1;

        if (verifier_len > len || stub < pdu || (size_t)(stub - pdu) > len - verifier_len ||
            stub_len > len - verifier_len - (size_t)(stub - pdu))
                return -EINVAL;
        OM_uint32 side = seal ? GSS_IOV_BUFFER_TYPE_SIGN_ONLY : GSS_IOV_BUFFER_TYPE_DATA;
        if (hdr)
                iov[n++] = (gss_iov_buffer_desc){ side, { (size_t)(stub - pdu), pdu } };
        iov[n++] = (gss_iov_buffer_desc){ GSS_IOV_BUFFER_TYPE_DATA, { stub_len, stub } };
        if (hdr) {
                uint8_t *after = stub + stub_len;
                iov[n++] = (gss_iov_buffer_desc){
                        side, { (size_t)(pdu + len - verifier_len - after), after } };
        }
        return n;
}

static int rpc_gss_sign(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                    size_t stub_len, uint8_t *verifier, size_t verifier_len) {
        struct gss_rpc *g = ctx;
        bool seal = level == RPC_AUTHN_LEVEL_PKT_PRIVACY;
        gss_iov_buffer_desc iov[4];
        OM_uint32 major, minor = 0;
        int n, conf = 0;

        if (!g->established || verifier_len != rpc_gss_verifier_size(g, level) || verifier_len == 0)
                return -EINVAL;
        n = pdu_iov(g->hdr_signing, seal, pdu, len, stub, stub_len, verifier_len, iov);
        if (n < 0)
                return n;
        if (seal) {
                iov[0] = (gss_iov_buffer_desc){ GSS_IOV_BUFFER_TYPE_HEADER, { verifier_len, verifier } };
                major = gss_wrap_iov(&minor, g->ctx, 1, GSS_C_QOP_DEFAULT, &conf, iov, n);
                if (!GSS_ERROR(major) && !conf) {
                        fail_text(g, "gss_wrap_iov did not seal");
                        return -EACCES;
                }
        } else {
                /* the MIC token goes last, after the message's DATA buffers */
                memmove(iov, iov + 1, (size_t)(n - 1) * sizeof *iov);
                iov[n - 1] = (gss_iov_buffer_desc){ GSS_IOV_BUFFER_TYPE_MIC_TOKEN,
                                                    { verifier_len, verifier } };
                major = gss_get_mic_iov(&minor, g->ctx, GSS_C_QOP_DEFAULT, iov, n);
        }
        if (GSS_ERROR(major)) {
                fail(g, seal ? "sealing a PDU" : "signing a PDU", major, minor);
                return errno_of(minor);
        }
        return 0;
}

static int rpc_gss_verify(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                          size_t stub_len, const uint8_t *verifier, size_t verifier_len) {
        struct gss_rpc *g = ctx;
        bool seal = level == RPC_AUTHN_LEVEL_PKT_PRIVACY;
        gss_iov_buffer_desc iov[4];
        uint8_t token[MAX_VERIFIER];
        OM_uint32 major, minor = 0;
        gss_qop_t qop = 0;
        int n, conf = 0;

        if (!g->established || verifier_len == 0 || verifier_len > sizeof token)
                return -EACCES;
        n = pdu_iov(g->hdr_signing, seal, pdu, len, stub, stub_len, verifier_len, iov);
        if (n < 0)
                return -EACCES;
        /* GSSAPI may rotate the token in place: the verifier in the PDU stays as it came */
        memcpy(token, verifier, verifier_len);
        if (seal) {
                /* the stub unsealed in place */
                iov[0] = (gss_iov_buffer_desc){ GSS_IOV_BUFFER_TYPE_HEADER, { verifier_len, token } };
                major = gss_unwrap_iov(&minor, g->ctx, &conf, &qop, iov, n);
        } else {
                memmove(iov, iov + 1, (size_t)(n - 1) * sizeof *iov);
                iov[n - 1] = (gss_iov_buffer_desc){ GSS_IOV_BUFFER_TYPE_MIC_TOKEN,
                                                    { verifier_len, token } };
                major = gss_verify_mic_iov(&minor, g->ctx, &qop, iov, n);
        }
        /* GSS_S_DUPLICATE_TOKEN, GSS_S_OLD_TOKEN, GSS_S_UNSEQ_TOKEN, GSS_S_GAP_TOKEN are
           supplementary bits, not errors: a replayed, reordered or dropped PDU is refused
           too (TCP loses nothing: a gap is someone's doing) */
        if (GSS_ERROR(major) || GSS_SUPPLEMENTARY_INFO(major)) {
                fail(g, "bad signature or sequence number", major, minor);
                return -EACCES;
        }
        if (seal && !conf) {
                fail_text(g, "a PDU of a sealed context came signed only");
                return -EACCES;
        }
        return 0;
}

/* --- who the peer is ------------------------------------------------------------------------- */

static int rpc_gss_identity(void *ctx, struct rpc_identity *ret) {
        struct gss_rpc *g = ctx;

        if (g->initiator || !g->established)
                return -ENOTCONN;
        *ret = g->who;
        return 0;
}

static int rpc_gss_delegated(void *ctx, void **ret_cred) {
        struct gss_rpc *g = ctx;

        if (g->initiator || !g->established || g->deleg == GSS_C_NO_CREDENTIAL)
                return -ENOKEY;
        *ret_cred = g->deleg;
        return 0;
}

void rpc_gss_thread_delegate(void *cred) {
        thread_deleg = cred ? (gss_cred_id_t)cred : GSS_C_NO_CREDENTIAL;
}

static const char *rpc_gss_failure(void *ctx) {
        struct gss_rpc *g = ctx;

        return g && g->failure[0] ? g->failure : NULL;
}

const struct rpc_auth_ops rpc_krb5_ops = {
        .auth_type = RPC_AUTHN_GSS_KERBEROS,
        .name = "Kerberos",
        .accept = krb5_accept,
        .step = rpc_gss_step,
        .verify = rpc_gss_verify,
        .sign = rpc_gss_sign,
        .verifier_size = rpc_gss_verifier_size,
        .free = rpc_gss_free,
        .init = krb5_init,
        .init_step = rpc_gss_init_step,
        .inq_identity = rpc_gss_identity,
        .failure = rpc_gss_failure,
        .header_signing = rpc_gss_header_signing,
        .delegated = rpc_gss_delegated,
};

const struct rpc_auth_ops rpc_gss_spnego_ops = {
        .auth_type = RPC_AUTHN_GSS_NEGOTIATE,
        .name = "Negotiate",
        .accept = negotiate_accept,
        .step = rpc_gss_step,
        .verify = rpc_gss_verify,
        .sign = rpc_gss_sign,
        .verifier_size = rpc_gss_verifier_size,
        .free = rpc_gss_free,
        .init = negotiate_init,
        .init_step = rpc_gss_init_step,
        .inq_identity = rpc_gss_identity,
        .failure = rpc_gss_failure,
        .header_signing = rpc_gss_header_signing,
        .delegated = rpc_gss_delegated,
};
