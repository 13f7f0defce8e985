/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of activation ([MS-DCOM] 3.2.4.1.1): CoCreateInstanceEx and
 * CoGetClassObject for CLSCTX_LOCAL_SERVER and CLSCTX_REMOTE_SERVER.  One call of
 * IRemoteSCMActivator on rpcss -- this machine's over ncalrpc:[epmapper], another's over
 * TCP port 135 (OPENDCOM_EPM_PORT) at PKT_INTEGRITY at least -- with the activation
 * properties (actprops.c); the interfaces in the reply are unmarshaled as any OBJREF is
 * (proxy.c), their OXID entered in the proxy manager's table from the reply first (it
 * carries the OXID's bindings, IRemUnknown's IPID and authentication hint), so that no
 * ResolveOxid2 follows: an activation is the SCM's round trip, then the object's.
 *
 * The host: COSERVERINFO's pwszName, else the class's AppID RemoteServerName (Windows'
 * way of sending a class elsewhere without changing the client), else this machine.
 * Credentials for another host: COSERVERINFO's COAUTHINFO, else the process's defaults
 * (com_proxy_set_default_auth until CoInitializeSecurity lands).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "com/actprops.h"
#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "remact_stub.h"
#include "rpc/rpc-internal.h"

static LOG_CHANNEL(com);

#define SCM_TIMEOUT_MS 60000u           /* a launch may take a while (rpcss waits 30 s) */
#define MAX_HOST 256

/* A UTF-16 string (len characters, or NUL-terminated when len is 0) as UTF-8 into out. */
static bool narrow(const WCHAR *s, size_t len, char *out, size_t size) {
        char *u8 = NULL;

        if (!s)
                return false;
        if (dcom_utf16_to_utf8(s, len ? len : dcom_utf16_len(s), &u8, NULL) < 0)
                return false;
        snprintf(out, size, "%s", u8);
        free(u8);
        return true;
}

/* The class's AppID RemoteServerName, if it has one. */
static bool remote_server_name(const CLSID *clsid, char *out, size_t size) {
        WCHAR key[96], appid[40], name[MAX_HOST];
        DWORD n = sizeof appid;

        memcpy(key, u"CLSID\\", 6 * sizeof(WCHAR));
        StringFromGUID2(clsid, key + 6, 39);
        if (RegGetValueW(HKEY_CLASSES_ROOT, key, u"AppID", RRF_RT_REG_SZ, NULL, appid, &n) !=
            ERROR_SUCCESS)
                return false;
        memcpy(key, u"AppID\\", 6 * sizeof(WCHAR));
        memcpy(key + 6, appid, sizeof appid);
        key[6 + 39] = 0;
        n = sizeof name;
        if (RegGetValueW(HKEY_CLASSES_ROOT, key, u"RemoteServerName", RRF_RT_REG_SZ, NULL, name,
                         &n) != ERROR_SUCCESS)
                return false;
        return narrow(name, 0, out, size) && *out;
}

/* Whether the class has a local server here (HKCR\CLSID\{clsid}\LocalServer32). */
static bool class_key_exists(const CLSID *clsid) {
        WCHAR key[64];
        HKEY h;

        memcpy(key, u"CLSID\\", 6 * sizeof(WCHAR));
        StringFromGUID2(clsid, key + 6, 39);
        memcpy(key + 6 + 38, u"\\LocalServer32", 15 * sizeof(WCHAR));
        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &h) != ERROR_SUCCESS)
                return false;
        RegCloseKey(h);
        return true;
}

/* Whether host names this machine (then activation is local, as on Windows). */
static bool is_this_machine(const char *host) {
        char me[MAX_HOST];

        if (!*host || strcasecmp(host, "localhost") == 0)
                return true;
        if (gethostname(me, sizeof me) == 0) {
                me[sizeof me - 1] = 0;
                char *dot = strchr(me, '.');
                size_t n = dot ? (size_t)(dot - me) : strlen(me);
                if (strcasecmp(host, me) == 0 ||
                    (strlen(host) == n && strncasecmp(host, me, n) == 0))
                        return true;
        }
        return false;
}

/* The security of calls to another host: COSERVERINFO's COAUTHINFO, else the process's
   defaults -- at PKT_INTEGRITY at least ([MS-DCOM] 3.2.4.1.1.2, and Windows' 2022
   hardening). */
struct scm_auth {
        uint8_t level, svc, imp;        /* imp: RPC_C_IMP_LEVEL_* (COAUTHINFO's, else the process's) */
        char user[257], domain[257], password[257], princ[257];
        bool have, given;               /* credentials; given in COAUTHINFO */
};

static void scm_auth_of(const COSERVERINFO *server, struct scm_auth *a) {
        const COAUTHINFO *ai = server ? server->pAuthInfo : NULL;

        *a = (struct scm_auth){ .level = RPC_AUTHN_LEVEL_PKT_INTEGRITY, .svc = RPC_AUTHN_WINNT,
                                .imp = com_security_imp_level() };
        if (ai && ai != COLE_DEFAULT_AUTHINFO) {
                if (ai->dwImpersonationLevel >= RPC_C_IMP_LEVEL_ANONYMOUS &&
                    ai->dwImpersonationLevel <= RPC_C_IMP_LEVEL_DELEGATE)
                        a->imp = (uint8_t)ai->dwImpersonationLevel;
                if (ai->dwAuthnLevel > a->level && ai->dwAuthnLevel <= RPC_AUTHN_LEVEL_PKT_PRIVACY)
                        a->level = (uint8_t)ai->dwAuthnLevel;
                if (ai->dwAuthnSvc == RPC_C_AUTHN_GSS_NEGOTIATE ||
                    ai->dwAuthnSvc == RPC_C_AUTHN_GSS_KERBEROS)
                        a->svc = (uint8_t)ai->dwAuthnSvc;
                if (ai->pwszServerPrincName && ai->pwszServerPrincName != COLE_DEFAULT_PRINCIPAL)
                        narrow(ai->pwszServerPrincName, 0, a->princ, sizeof a->princ);
                const COAUTHIDENTITY *id = ai->pAuthIdentityData;
                if (id && id->Flags == SEC_WINNT_AUTH_IDENTITY_UNICODE) {
                        narrow(id->User, id->UserLength, a->user, sizeof a->user);
                        narrow(id->Domain, id->DomainLength, a->domain, sizeof a->domain);
                        narrow(id->Password, id->PasswordLength, a->password, sizeof a->password);
                        a->have = a->given = true;
                }
        }
        if (!a->have)
                a->have = com_proxy_default_auth(&a->level, &a->svc, a->user, a->domain, a->password);
}

/*
 * learn.microsoft.com, CoInvalidateRemoteMachineBindings: the SCM bindings cached for a
 * machine are flushed.  Every activation here opens its own binding to the machine's
 * SCM (scm_binding) and closes it after, so none is ever cached: no machine is found.
 */
HRESULT WINAPI CoInvalidateRemoteMachineBindings(LPOLESTR machine) {
        if (!machine)
                return E_INVALIDARG;
        return CO_S_MACHINENAMENOTFOUND;
}

/* The binding to the SCM that activates: rpcss here or on host, authenticated for host. */
static HRESULT scm_binding(const char *host, const struct scm_auth *auth, struct rpc_binding **ret) {
        char sb[MAX_HOST + 64];
        struct rpc_binding *b = NULL;
        int r;

        *ret = NULL;
        if (!host) {
                r = rpc_binding_from_string("ncalrpc:[epmapper]", &b);
        } else {
                bool v6 = strchr(host, ':') != NULL;
                snprintf(sb, sizeof sb, "ncacn_ip_tcp:%s%s%s[%s]", v6 ? "[" : "", host,
                         v6 ? "]" : "", rpc_epm_port());
                r = rpc_binding_from_string(sb, &b);
        }
        if (r < 0)
                return r == -ENOMEM ? E_OUTOFMEMORY : E_INVALIDARG;
        rpc_binding_set_timeout(b, SCM_TIMEOUT_MS);
        if (host) {
                struct rpc_auth_identity ident = { auth->user, auth->domain, auth->password,
                                                   *auth->princ ? auth->princ : NULL, auth->imp };
                r = rpc_binding_set_auth(b, auth->level, auth->svc, auth->have ? &ident : NULL);
                if (r < 0) {
                        rpc_binding_free(b);
                        return E_INVALIDARG;
                }
        }
        *ret = b;
        return S_OK;
}

/*
 * The reply's OXID into the proxy manager's table ([MS-DCOM] 3.2.4.1.1), from the first
 * OBJREF naming it: the reply carries what a ResolveOxid2 would answer, so unmarshaling
 * asks no resolver.  NULL when nothing was seeded -- the OBJREFs are then resolved as any
 * other's.
 */
static struct oxid_entry *seed_oxid(const struct actprops_out *rep, const char *id,
                                    const struct com_conn_auth *auth) {
        struct oxid_entry *ox = NULL;

        for (DWORD i = 0; rep->bindings && i < rep->n; i++) {
                struct objref o;
                if (FAILED(rep->hrs[i]) || !rep->ifaces[i] ||
                    objref_parse(rep->ifaces[i]->abData, rep->ifaces[i]->ulCntData, &o, NULL) < 0)
                        continue;
                bool std = o.flags == OBJREF_STANDARD || o.flags == OBJREF_HANDLER ||
                           o.flags == OBJREF_EXTENDED;
                if (std && o.std.oxid == rep->oxid) {
                        HRESULT hr = com_proxy_oxid_seed(&o, rep->bindings, &rep->ipid_remunk,
                                                         rep->authn_hint, auth, &ox);
                        if (FAILED(hr))
                                log_debug(com, "activation of %s: OXID %016llx from the reply: "
                                          "0x%08x, resolving it instead", id,
                                          (unsigned long long)rep->oxid, (unsigned)hr);
                        objref_clear(&o);
                        break;
                }
                objref_clear(&o);
        }
        return ox;
}

/* ORPCTHAT's extensions, as the client stub unmarshaled them (malloc'd: no call arena). */
static void free_extensions(ORPC_EXTENT_ARRAY *x) {
        if (!x)
                return;
        if (x->extent)
                for (uint32_t i = 0; i < ((x->size + 1) & ~1u); i++)
                        midl_user_free(x->extent[i]);
        midl_user_free(x->extent);
        midl_user_free(x);
}

HRESULT com_scm_activate(const CLSID *clsid, DWORD clsctx, COSERVERINFO *server, bool class_object,
                         DWORD n, MULTI_QI *results) {
        char host[MAX_HOST] = "", id[DCOM_GUID_STRING_REG];
        static const uint16_t local_towers[] = { 0x10 /* ncalrpc */, 0x07 /* ncacn_ip_tcp */ };
        static const uint16_t remote_towers[] = { 0x07 };
        struct rpc_binding *b = NULL;
        IID *iids = NULL;
        uint8_t *blob = NULL;
        size_t len = 0;
        MInterfacePointer *in = NULL, *out = NULL;
        ORPCTHIS this_;
        ORPCTHAT that_ = { 0 };
        HRESULT hr, call_hr = E_UNEXPECTED;
        WCHAR *wname = NULL;
        struct scm_auth auth = { .have = false };
        bool remote;
        int r;

        dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id);
        if (server && server->pwszName && (clsctx & CLSCTX_REMOTE_SERVER))
                narrow(server->pwszName, 0, host, sizeof host);
        else if (clsctx & CLSCTX_REMOTE_SERVER)
                remote_server_name(clsid, host, sizeof host);
        remote = *host && !is_this_machine(host);
        /* a host naming this machine is a local activation, as on Windows */
        if (!remote && !(clsctx & CLSCTX_LOCAL_SERVER) && !*host)
                return REGDB_E_CLASSNOTREG;
        if (n == 0 || n > ACTPROPS_MAX_IIDS)
                return E_INVALIDARG;
        if (!(iids = calloc(n, sizeof *iids)))
                return E_OUTOFMEMORY;
        for (DWORD i = 0; i < n; i++)
                iids[i] = *results[i].pIID;
        struct actprops_in req = {
                .clsid = *clsid, .clsctx = remote ? CLSCTX_REMOTE_SERVER : CLSCTX_LOCAL_SERVER,
                .dest_ctx = remote ? MSHCTX_DIFFERENTMACHINE : MSHCTX_LOCAL, .n_iids = n,
                .iids = iids, .client_version = { 5, 7 }, .imp_level = RPC_C_IMP_LEVEL_IDENTIFY,
                .n_protseqs = remote ? 1 : 2, .protseqs = remote ? remote_towers : local_towers,
        };
        if (remote && dcom_utf8_to_utf16(host, strlen(host), &wname, NULL) >= 0)
                req.server_name = wname;
        r = actprops_in_build(&req, &blob, &len);
        free(wname);
        if (r < 0 || !(in = malloc(sizeof *in + len))) {
                hr = E_OUTOFMEMORY;
                goto out;
        }
        in->ulCntData = (ULONG)len;
        memcpy(in->abData, blob, len);
        scm_auth_of(server, &auth);
        hr = scm_binding(remote ? host : NULL, &auth, &b);
        if (FAILED(hr))
                goto out;
        if (com_orpc_this_init(&this_) < 0) {
                hr = E_UNEXPECTED;
                goto out;
        }
        /* [out] data from malloc, whatever the thread is doing */
        struct arena *saved = ndr_call_arena_set(NULL);
        if (class_object)
                r = IRemoteSCMActivator_RemoteGetClassObject((handle_t)b, &this_, &that_, in, &out,
                                                              &call_hr);
        else
                r = IRemoteSCMActivator_RemoteCreateInstance((handle_t)b, &this_, &that_, NULL, in,
                                                              &out, &call_hr);
        ndr_call_arena_set(saved);
        if (r < 0) {
                hr = HRESULT_FROM_WIN32(rpc_binding_status(b, r));
                log_debug(com, "activation of %s: rpcss %s%s%s%s did not answer: %s (0x%08x)", id,
                          remote ? "at " : "(ncalrpc:[epmapper])", remote ? host : "",
                          remote ? " port " : "", remote ? rpc_epm_port() : "", strerror(-r),
                          (unsigned)hr);
                /* no rpcss here, and no local server registered for the class either: say that */
                if (!remote && !class_key_exists(clsid))
                        hr = REGDB_E_CLASSNOTREG;
                goto out;
        }
        hr = call_hr;
        log_debug(com, "activation of %s %s%s: 0x%08x", id, remote ? "on " : "on this machine",
                  remote ? host : "", (unsigned)hr);
        if (FAILED(hr))
                goto out;
        if (!out) {
                hr = RPC_E_INVALID_DATA;
                goto out;
        }
        struct arena a;
        struct actprops_out rep;
        arena_init(&a, 16u << 20);
        r = actprops_out_parse(out->abData, out->ulCntData, &a, &rep);
        if (r < 0 || rep.n != n) {
                log_debug(com, "activation of %s: a malformed reply (%s)", id,
                          r < 0 ? strerror(-r) : "interface count");
                hr = RPC_E_INVALID_DATA;
                arena_reset(&a);
                goto out;
        }
        /* another host's exporter is called with the activation's credentials: its
           IRemUnknown calls too, and the proxies' blanket below is the connection's */
        const COAUTHINFO *ai = server ? server->pAuthInfo : NULL;
        bool explicit = remote && ai && ai != COLE_DEFAULT_AUTHINFO && ai->pAuthIdentityData;
        struct com_conn_auth ca = {
                auth.level,
                explicit && ai->dwAuthnSvc != RPC_C_AUTHN_DEFAULT ? (uint8_t)ai->dwAuthnSvc
                                                                   : RPC_AUTHN_WINNT,
                { auth.user, auth.domain, auth.password, NULL, auth.imp },
        };
        struct oxid_entry *seeded = seed_oxid(&rep, id, explicit && auth.given ? &ca : NULL);
        DWORD got = 0;
        for (DWORD i = 0; i < n; i++) {
                IStream *stm = NULL;
                results[i].pItf = NULL;
                results[i].hr = rep.hrs[i];
                if (FAILED(rep.hrs[i]))
                        continue;
                if (!rep.ifaces[i]) {
                        results[i].hr = RPC_E_INVALID_DATA;
                        continue;
                }
                HRESULT h = CreateStreamOnHGlobal(NULL, TRUE, &stm);
                if (SUCCEEDED(h))
                        h = stm->lpVtbl->Write(stm, rep.ifaces[i]->abData, rep.ifaces[i]->ulCntData,
                                               NULL);
                if (SUCCEEDED(h)) {
                        LARGE_INTEGER zero = { .QuadPart = 0 };
                        h = stm->lpVtbl->Seek(stm, zero, STREAM_SEEK_SET, NULL);
                }
                if (SUCCEEDED(h))
                        h = com_unmarshal_from_peer(stm, &iids[i], (void **)&results[i].pItf);
                if (stm)
                        stm->lpVtbl->Release(stm);
                /* [MS-DCOM] 3.2.4.1.1: the proxies of another host's object call with
                   COAUTHINFO's security, as the activation did */
                if (SUCCEEDED(h) && explicit)
                        CoSetProxyBlanket(results[i].pItf, ai->dwAuthnSvc, RPC_C_AUTHZ_NONE, NULL,
                                          ai->dwAuthnLevel > RPC_C_AUTHN_LEVEL_PKT_INTEGRITY
                                                  ? ai->dwAuthnLevel : RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                          RPC_C_IMP_LEVEL_IDENTIFY, ai->pAuthIdentityData, 0);
                results[i].hr = h;
                got += SUCCEEDED(h);
        }
        com_proxy_oxid_release(seeded);         /* the proxy managers hold it now */
        arena_reset(&a);
        hr = got == n ? S_OK : got ? CO_S_NOTALLINTERFACES : results[0].hr;
out:
        explicit_bzero(auth.password, sizeof auth.password);
        midl_user_free(out);
        free_extensions(that_.extensions);
        free(in);
        free(blob);
        free(iids);
        rpc_binding_free(b);
        return hr;
}
