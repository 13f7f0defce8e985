/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The public RPC API, client side (<rpcdce.h>, <rpc.h>): string bindings, binding
 * handles, their security, endpoint resolution, UUIDs, and the exceptions MIDL-shaped
 * stubs raise -- Windows' names, types and statuses over the runtime's binding handles
 * (client.c).  The server side is api-server.c.  Every entry point returns an RPC_STATUS
 * (a Win32 code); errno values never reach the caller.
 *
 * String forms: the A functions take UTF-8, the W functions UTF-16 (WCHAR), converted
 * here and handed to the A ones.  Strings we return come from malloc (RpcStringFree).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpc.h>
#include <rpcndr.h>

#include "base/errno-status.h"
#include "rpc/rpc-api.h"

static LOG_CHANNEL(rpc);

/* --- RPC exceptions ---------------------------------------------------------------------- */

/*
 * RpcTryExcept pushes a jump buffer on this thread's stack; RpcExcept's entry (no
 * exception) pops it; RpcRaiseException pops the innermost and jumps there.  No SEH:
 * see <rpc.h> for what that asks of programs.
 */
#define MAX_TRY_DEPTH 64

static _Thread_local struct {
        jmp_buf frames[MAX_TRY_DEPTH];
        unsigned depth;
        RPC_STATUS code;                /* the exception being handled */
} try_stack;

jmp_buf *dcom_rpc_try_enter(void) {
        if (try_stack.depth >= MAX_TRY_DEPTH) {
                /* the process is ending: one line says why (no caller to return to) */
                fprintf(stderr, "opendcom: RpcTryExcept nested more than %d deep\n", MAX_TRY_DEPTH);
                abort();
        }
        return &try_stack.frames[try_stack.depth++];
}

void dcom_rpc_try_leave(void) {
        if (try_stack.depth)
                try_stack.depth--;
}

unsigned rpc_api_try_depth(void) {
        return try_stack.depth;
}

void rpc_api_try_unwind(unsigned depth) {
        if (try_stack.depth > depth)
                try_stack.depth = depth;
}

RPC_STATUS dcom_rpc_exception_code(void) {
        return try_stack.code;
}

/* EXCEPTION_CONTINUE_SEARCH (0): on to the enclosing block; anything else: handled here. */
int dcom_rpc_exception_filter(int filter) {
        if (filter == EXCEPTION_CONTINUE_SEARCH)
                RpcRaiseException(try_stack.code);
        return 1;
}

void RpcRaiseException(RPC_STATUS exception) {
        try_stack.code = exception;
        if (!try_stack.depth) {
                /* Windows ends a process whose exception nobody handles; so do we, saying
                   which status it was (the only output of the library: the process dies) */
                const struct dcom_status_info *i =
                        dcom_status_lookup(DCOM_STATUS_WIN32, (uint32_t)exception);
                fprintf(stderr, "opendcom: unhandled RPC exception %d (%s): %s\n", (int)exception,
                        i ? i->name : "?", i ? i->text : "unknown status");
                abort();
        }
        log_debug(rpc, "RpcRaiseException(%d)", (int)exception);
        longjmp(try_stack.frames[--try_stack.depth], 1);
}

/*
 * A failed call's status as Windows reports it: the fault the server sent, or what the
 * transport met.  Generated MIDL-shaped stubs raise it.
 */
RPC_STATUS dcom_rpc_call_status(handle_t h, int err) {
        if (!h)
                return RPC_S_INVALID_BINDING;
        if (err == -EINVAL)     /* the binding was checked: a NULL [ref] argument */
                return RPC_X_NULL_REF_POINTER;
        if (rpc_binding_is(h))
                return rpc_binding_status(h, err);
        return rpc_binding_status(NULL, err);
}

/* --- strings ------------------------------------------------------------------------------ */

RPC_STATUS rpc_api_status(int err) {
        return dcom_string_binding_status_from_errno(err);
}

char *rpc_api_from_w(const WCHAR *s, RPC_STATUS *st) {
        char *r = NULL;

        *st = RPC_S_OK;
        if (!s)
                return NULL;
        if (dcom_utf16_to_utf8(s, dcom_utf16_len(s), &r, NULL) < 0) {
                *st = RPC_S_INVALID_ARG;
                return NULL;
        }
        return r;
}

WCHAR *rpc_api_to_w(const char *s, RPC_STATUS *st) {
        WCHAR *r = NULL;

        *st = RPC_S_OK;
        if (!s)
                return NULL;
        if (dcom_utf8_to_utf16(s, strlen(s), &r, NULL) < 0) {
                *st = RPC_S_OUT_OF_MEMORY;
                return NULL;
        }
        return r;
}

/* *out (when out is not NULL) becomes a W copy of a, which is freed. */
static RPC_STATUS give_w(char *a, RPC_WSTR *out) {
        RPC_STATUS st = RPC_S_OK;

        if (out) {
                *out = a ? rpc_api_to_w(a, &st) : NULL;
        }
        free(a);
        return st;
}

RPC_STATUS RpcStringFreeA(RPC_CSTR *String) {
        if (!String)
                return RPC_S_INVALID_ARG;
        free(*String);
        *String = NULL;
        return RPC_S_OK;
}

RPC_STATUS RpcStringFreeW(RPC_WSTR *String) {
        if (!String)
                return RPC_S_INVALID_ARG;
        free(*String);
        *String = NULL;
        return RPC_S_OK;
}

/* [ObjUuid@]ProtSeq:NetworkAddr[Endpoint,Options] -- the parts that are given. */
RPC_STATUS RpcStringBindingComposeA(RPC_CSTR ObjUuid, RPC_CSTR ProtSeq, RPC_CSTR NetworkAddr,
                                    RPC_CSTR Endpoint, RPC_CSTR Options, RPC_CSTR *StringBinding) {
        const char *obj = (const char *)ObjUuid, *ps = (const char *)ProtSeq;
        const char *addr = (const char *)NetworkAddr, *ep = (const char *)Endpoint;
        const char *opt = (const char *)Options;
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        if (!StringBinding)
                return RPC_S_INVALID_ARG;
        f = open_memstream(&out, &len);
        if (!f)
                return RPC_S_OUT_OF_MEMORY;
        if (obj && *obj)
                fprintf(f, "%s@", obj);
        if (ps && *ps)
                fprintf(f, "%s:", ps);
        if (addr)
                fputs(addr, f);
        if ((ep && *ep) || (opt && *opt)) {
                fprintf(f, "[%s", ep ? ep : "");
                if (opt && *opt)
                        fprintf(f, ",%s", opt);
                fputc(']', f);
        }
        if (fclose(f) != 0) {
                free(out);
                return RPC_S_OUT_OF_MEMORY;
        }
        *StringBinding = (RPC_CSTR)out;
        return RPC_S_OK;
}

RPC_STATUS RpcStringBindingComposeW(RPC_WSTR ObjUuid, RPC_WSTR ProtSeq, RPC_WSTR NetworkAddr,
                                    RPC_WSTR Endpoint, RPC_WSTR Options, RPC_WSTR *StringBinding) {
        RPC_STATUS st = RPC_S_OK, s1, s2, s3, s4, s5;
        char *o = rpc_api_from_w(ObjUuid, &s1), *p = rpc_api_from_w(ProtSeq, &s2);
        char *n = rpc_api_from_w(NetworkAddr, &s3), *e = rpc_api_from_w(Endpoint, &s4);
        char *op = rpc_api_from_w(Options, &s5);
        RPC_CSTR a = NULL;

        if (!StringBinding)
                st = RPC_S_INVALID_ARG;
        else if (s1 || s2 || s3 || s4 || s5)
                st = RPC_S_INVALID_ARG;
        else
                st = RpcStringBindingComposeA((RPC_CSTR)o, (RPC_CSTR)p, (RPC_CSTR)n, (RPC_CSTR)e,
                                              (RPC_CSTR)op, &a);
        if (st == RPC_S_OK)
                st = give_w((char *)a, StringBinding);
        free(o);
        free(p);
        free(n);
        free(e);
        free(op);
        return st;
}

/* Up to one of stops, a malloc'd copy; a backslash escapes the string binding's own
   punctuation ("\\@:[],") and stays before anything else (named pipes' \pipe\name). */
static char *part(const char **sp, const char *stops) {
        const char *s = *sp;
        char *out = malloc(strlen(s) + 1);
        size_t n = 0;

        if (!out)
                return NULL;
        while (*s && !strchr(stops, *s)) {
                if (*s == '\\' && s[1] && strchr("\\@:[],", s[1]))
                        s++;
                out[n++] = *s++;
        }
        out[n] = 0;
        *sp = s;
        return out;
}

static void give(char *v, RPC_CSTR *out) {
        if (out)
                *out = (RPC_CSTR)v;
        else
                free(v);
}

/*
 * The parts as written (any protocol sequence: parsing does not ask whether we speak it);
 * RPC_S_INVALID_STRING_BINDING when the syntax is wrong: no ':' after the protocol
 * sequence, an object UUID that is not one, an unclosed '[' or text after ']'.
 */
RPC_STATUS RpcStringBindingParseA(RPC_CSTR StringBinding, RPC_CSTR *ObjUuid, RPC_CSTR *Protseq,
                                  RPC_CSTR *NetworkAddr, RPC_CSTR *Endpoint,
                                  RPC_CSTR *NetworkOptions) {
        const char *s = (const char *)StringBinding;
        char *obj = NULL, *ps = NULL, *addr = NULL, *ep = NULL, *opt = NULL;
        RPC_STATUS st = RPC_S_INVALID_STRING_BINDING;
        GUID g;

        if (!s)
                return RPC_S_INVALID_ARG;
        const char *at = strchr(s, '@'), *colon = strchr(s, ':');
        if (at && (!colon || at < colon)) {
                obj = part(&s, "@");
                if (!obj)
                        goto oom;
                if (dcom_guid_parse(obj, &g) < 0)
                        goto out;
                s++;
        }
        ps = part(&s, ":");
        if (!ps)
                goto oom;
        if (*s != ':' || !*ps)
                goto out;
        s++;
        addr = part(&s, "[");
        if (!addr)
                goto oom;
        if (*s == '[') {
                s++;
                ep = part(&s, ",]");
                if (!ep)
                        goto oom;
                if (*s == ',') {
                        s++;
                        opt = part(&s, "]");
                        if (!opt)
                                goto oom;
                }
                if (*s != ']')
                        goto out;
                s++;
        }
        if (*s)
                goto out;
        /* absent parts come back as empty strings (RpcStringBindingParse, Windows API doc) */
        if (!obj && !(obj = strdup("")))
                goto oom;
        if (!ep && !(ep = strdup("")))
                goto oom;
        if (!opt && !(opt = strdup("")))
                goto oom;
        give(obj, ObjUuid);
        give(ps, Protseq);
        give(addr, NetworkAddr);
        give(ep, Endpoint);
        give(opt, NetworkOptions);
        return RPC_S_OK;
oom:
        st = RPC_S_OUT_OF_MEMORY;
out:
        free(obj);
        free(ps);
        free(addr);
        free(ep);
        free(opt);
        return st;
}

RPC_STATUS RpcStringBindingParseW(RPC_WSTR StringBinding, RPC_WSTR *ObjUuid, RPC_WSTR *Protseq,
                                  RPC_WSTR *NetworkAddr, RPC_WSTR *Endpoint,
                                  RPC_WSTR *NetworkOptions) {
        RPC_STATUS st;
        char *s = rpc_api_from_w(StringBinding, &st);
        RPC_CSTR parts[5] = { NULL };
        RPC_WSTR *outs[5] = { ObjUuid, Protseq, NetworkAddr, Endpoint, NetworkOptions };

        if (!StringBinding)
                return RPC_S_INVALID_ARG;
        if (st != RPC_S_OK)
                return RPC_S_INVALID_STRING_BINDING;
        st = RpcStringBindingParseA((RPC_CSTR)s, &parts[0], &parts[1], &parts[2], &parts[3],
                                    &parts[4]);
        free(s);
        if (st != RPC_S_OK)
                return st;
        for (int i = 0; i < 5; i++) {
                RPC_STATUS s2 = give_w((char *)parts[i], outs[i]);
                if (s2 != RPC_S_OK)
                        st = s2;
        }
        return st;
}

/* --- binding handles ---------------------------------------------------------------------- */

/* A client binding handle of ours, or NULL. */
static struct rpc_binding *client_binding(RPC_BINDING_HANDLE h) {
        return rpc_binding_is(h) ? (struct rpc_binding *)h : NULL;
}

/*
 * Malformed: RPC_S_INVALID_STRING_BINDING, here and not at the first call; a protocol
 * sequence we do not speak: RPC_S_PROTSEQ_NOT_SUPPORTED.  Nothing is connected or
 * resolved yet (a host name is looked up at the first call, as on Windows).
 */
RPC_STATUS RpcBindingFromStringBindingA(RPC_CSTR StringBinding, RPC_BINDING_HANDLE *Binding) {
        struct rpc_binding *b;
        int r;

        if (!StringBinding || !Binding)
                return RPC_S_INVALID_ARG;
        /* the syntax first, so that a malformed binding is that whatever its protseq */
        RPC_STATUS st = RpcStringBindingParseA(StringBinding, NULL, NULL, NULL, NULL, NULL);
        if (st != RPC_S_OK)
                return st;
        r = rpc_binding_from_string((const char *)StringBinding, &b);
        if (r < 0) {
                log_debug(rpc, "RpcBindingFromStringBinding(\"%s\"): %s", (const char *)StringBinding,
                          r == -EPROTONOSUPPORT ? "protocol sequence not supported" : strerror(-r));
                return rpc_api_status(r);
        }
        *Binding = b;
        return RPC_S_OK;
}

RPC_STATUS RpcBindingFromStringBindingW(RPC_WSTR StringBinding, RPC_BINDING_HANDLE *Binding) {
        RPC_STATUS st;
        char *s = rpc_api_from_w(StringBinding, &st);

        if (!StringBinding || !Binding)
                return RPC_S_INVALID_ARG;
        if (st != RPC_S_OK)
                return RPC_S_INVALID_STRING_BINDING;
        st = RpcBindingFromStringBindingA((RPC_CSTR)s, Binding);
        free(s);
        return st;
}

RPC_STATUS RpcBindingToStringBindingA(RPC_BINDING_HANDLE Binding, RPC_CSTR *StringBinding) {
        struct rpc_binding *b = client_binding(Binding);
        char *s;

        if (!b)
                return rpc_api_server_binding_string(Binding, StringBinding);
        if (!StringBinding)
                return RPC_S_INVALID_ARG;
        s = rpc_string_binding_compose(rpc_binding_string(b));
        if (!s)
                return RPC_S_OUT_OF_MEMORY;
        *StringBinding = (RPC_CSTR)s;
        return RPC_S_OK;
}

RPC_STATUS RpcBindingToStringBindingW(RPC_BINDING_HANDLE Binding, RPC_WSTR *StringBinding) {
        RPC_CSTR a = NULL;
        RPC_STATUS st;

        if (!StringBinding)
                return RPC_S_INVALID_ARG;
        st = RpcBindingToStringBindingA(Binding, &a);
        if (st == RPC_S_OK)
                st = give_w((char *)a, StringBinding);
        return st;
}

RPC_STATUS RpcBindingFree(RPC_BINDING_HANDLE *Binding) {
        if (!Binding)
                return RPC_S_INVALID_ARG;
        if (!client_binding(*Binding))
                return RPC_S_INVALID_BINDING;
        rpc_binding_free(*Binding);
        *Binding = NULL;
        return RPC_S_OK;
}

RPC_STATUS RpcBindingCopy(RPC_BINDING_HANDLE SourceBinding, RPC_BINDING_HANDLE *DestinationBinding) {
        struct rpc_binding *b = client_binding(SourceBinding), *c;
        int r;

        if (!DestinationBinding)
                return RPC_S_INVALID_ARG;
        if (!b)
                return RPC_S_INVALID_BINDING;
        r = rpc_binding_copy(b, &c);
        if (r < 0)
                return rpc_api_status(r);
        *DestinationBinding = c;
        return RPC_S_OK;
}

/* Forgets a dynamic endpoint: the next call asks the endpoint mapper again. */
RPC_STATUS RpcBindingReset(RPC_BINDING_HANDLE Binding) {
        struct rpc_binding *b = client_binding(Binding);

        if (!b)
                return RPC_S_INVALID_BINDING;
        rpc_binding_reset_endpoint(b);
        return RPC_S_OK;
}

RPC_STATUS RpcBindingSetObject(RPC_BINDING_HANDLE Binding, UUID *ObjectUuid) {
        struct rpc_binding *b = client_binding(Binding);

        if (!b)
                return RPC_S_INVALID_BINDING;
        rpc_binding_set_object(b, ObjectUuid);
        return RPC_S_OK;
}

RPC_STATUS RpcBindingInqObject(RPC_BINDING_HANDLE Binding, UUID *ObjectUuid) {
        struct rpc_binding *b = client_binding(Binding);

        if (!ObjectUuid)
                return RPC_S_INVALID_ARG;
        if (!b)
                return rpc_api_server_object(Binding, ObjectUuid);
        const struct rpc_string_binding *sb = rpc_binding_string(b);
        *ObjectUuid = sb->has_object ? sb->object : (GUID){ 0 };
        return RPC_S_OK;
}

/* The identity's strings in UTF-8: the A or W form as its Flags say. */
static RPC_STATUS identity_of(RPC_AUTH_IDENTITY_HANDLE handle, char **user, char **domain,
                              char **password) {
        *user = *domain = *password = NULL;
        if (!handle || handle == RPC_C_NO_CREDENTIALS)
                return RPC_S_OK;
        const SEC_WINNT_AUTH_IDENTITY_W *w = handle;
        if (w->Flags == SEC_WINNT_AUTH_IDENTITY_UNICODE) {
                const WCHAR *src[3] = { w->User, w->Domain, w->Password };
                ULONG len[3] = { w->UserLength, w->DomainLength, w->PasswordLength };
                char **dst[3] = { user, domain, password };
                for (int i = 0; i < 3; i++)
                        if (dcom_utf16_to_utf8(src[i] ? src[i] : (const WCHAR *)u"",
                                               src[i] ? len[i] : 0, dst[i], NULL) < 0)
                                return RPC_S_INVALID_AUTH_IDENTITY;
                return RPC_S_OK;
        }
        if (w->Flags == SEC_WINNT_AUTH_IDENTITY_ANSI) {
                const SEC_WINNT_AUTH_IDENTITY_A *a = handle;
                *user = strndup(a->User ? (const char *)a->User : "", a->User ? a->UserLength : 0);
                *domain = strndup(a->Domain ? (const char *)a->Domain : "",
                                  a->Domain ? a->DomainLength : 0);
                *password = strndup(a->Password ? (const char *)a->Password : "",
                                    a->Password ? a->PasswordLength : 0);
                return *user && *domain && *password ? RPC_S_OK : RPC_S_OUT_OF_MEMORY;
        }
        return RPC_S_INVALID_AUTH_IDENTITY;
}

static void free_secret(char *s) {
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

/*
 * [MS-RPCE] 2.2.1.1.7, 2.2.1.1.8: AuthnSvc RPC_C_AUTHN_WINNT (NTLM), _GSS_NEGOTIATE,
 * _GSS_KERBEROS (RPC_C_AUTHN_DEFAULT: NTLM, as Windows), RPC_C_AUTHN_NONE turns security
 * off; AuthnLevel RPC_C_AUTHN_LEVEL_DEFAULT is CONNECT.  The QOS's ImpersonationType is
 * the level the server gets (RPC_C_IMP_LEVEL_IDENTIFY: identification only); mutual
 * authentication is what Kerberos does anyway; identity tracking is static.
 */
RPC_STATUS RpcBindingSetAuthInfoExA(RPC_BINDING_HANDLE Binding, RPC_CSTR ServerPrincName,
                                    ULONG AuthnLevel, ULONG AuthnSvc,
                                    RPC_AUTH_IDENTITY_HANDLE AuthIdentity, ULONG AuthzSvc,
                                    RPC_SECURITY_QOS *SecurityQos) {
        struct rpc_binding *b = client_binding(Binding);
        char *user, *domain, *password;
        RPC_STATUS st;
        int r;

        if (!b)
                return RPC_S_INVALID_BINDING;
        if (SecurityQos && SecurityQos->Version != RPC_C_SECURITY_QOS_VERSION)
                return RPC_S_INVALID_ARG;
        if (AuthzSvc != RPC_C_AUTHZ_NONE && AuthzSvc != RPC_C_AUTHZ_DEFAULT &&
            AuthzSvc != RPC_C_AUTHZ_NAME)
                return RPC_S_UNKNOWN_AUTHZ_SERVICE;
        if (AuthnLevel == RPC_C_AUTHN_LEVEL_DEFAULT)
                AuthnLevel = RPC_C_AUTHN_LEVEL_CONNECT;
        if (AuthnLevel > RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
                return RPC_S_UNKNOWN_AUTHN_LEVEL;
        if (AuthnSvc == RPC_C_AUTHN_DEFAULT)
                AuthnSvc = RPC_C_AUTHN_WINNT;
        if (AuthnSvc == RPC_C_AUTHN_NONE || AuthnLevel == RPC_C_AUTHN_LEVEL_NONE)
                return rpc_binding_set_auth(b, RPC_AUTHN_LEVEL_NONE, 0, NULL) < 0 ? RPC_S_INVALID_ARG
                                                                                 : RPC_S_OK;
        if (AuthnSvc != RPC_C_AUTHN_WINNT && AuthnSvc != RPC_C_AUTHN_GSS_NEGOTIATE &&
            AuthnSvc != RPC_C_AUTHN_GSS_KERBEROS)
                return RPC_S_UNKNOWN_AUTHN_SERVICE;
        st = identity_of(AuthIdentity, &user, &domain, &password);
        if (st == RPC_S_OK) {
                /* the QOS's impersonation level: IDENTIFY gives the server an
                   identification-only token */
                struct rpc_auth_identity id = {
                        user, domain, password, (const char *)ServerPrincName,
                        SecurityQos ? (uint8_t)SecurityQos->ImpersonationType : 0,
                };
                r = rpc_binding_set_auth(b, (uint8_t)AuthnLevel, (uint8_t)AuthnSvc, &id);
                st = r == -EPROTONOSUPPORT ? RPC_S_UNKNOWN_AUTHN_SERVICE : rpc_api_status(r);
        }
        free(user);
        free(domain);
        free_secret(password);
        return st;
}

RPC_STATUS RpcBindingSetAuthInfoA(RPC_BINDING_HANDLE Binding, RPC_CSTR ServerPrincName,
                                  ULONG AuthnLevel, ULONG AuthnSvc,
                                  RPC_AUTH_IDENTITY_HANDLE AuthIdentity, ULONG AuthzSvc) {
        return RpcBindingSetAuthInfoExA(Binding, ServerPrincName, AuthnLevel, AuthnSvc, AuthIdentity,
                                        AuthzSvc, NULL);
}

RPC_STATUS RpcBindingSetAuthInfoExW(RPC_BINDING_HANDLE Binding, RPC_WSTR ServerPrincName,
                                    ULONG AuthnLevel, ULONG AuthnSvc,
                                    RPC_AUTH_IDENTITY_HANDLE AuthIdentity, ULONG AuthzSvc,
                                    RPC_SECURITY_QOS *SecurityQos) {
        RPC_STATUS st;
        char *p = rpc_api_from_w(ServerPrincName, &st);

        if (st != RPC_S_OK)
                return st;
        st = RpcBindingSetAuthInfoExA(Binding, (RPC_CSTR)p, AuthnLevel, AuthnSvc, AuthIdentity,
                                      AuthzSvc, SecurityQos);
        free(p);
        return st;
}

RPC_STATUS RpcBindingSetAuthInfoW(RPC_BINDING_HANDLE Binding, RPC_WSTR ServerPrincName,
                                  ULONG AuthnLevel, ULONG AuthnSvc,
                                  RPC_AUTH_IDENTITY_HANDLE AuthIdentity, ULONG AuthzSvc) {
        return RpcBindingSetAuthInfoExW(Binding, ServerPrincName, AuthnLevel, AuthnSvc, AuthIdentity,
                                        AuthzSvc, NULL);
}

RPC_STATUS RpcBindingInqAuthInfoA(RPC_BINDING_HANDLE Binding, RPC_CSTR *ServerPrincName,
                                  ULONG *AuthnLevel, ULONG *AuthnSvc,
                                  RPC_AUTH_IDENTITY_HANDLE *AuthIdentity, ULONG *AuthzSvc) {
        struct rpc_binding *b = client_binding(Binding);
        uint8_t level, type;

        if (!b)
                return RPC_S_INVALID_BINDING;
        rpc_binding_auth_info(b, &level, &type);
        if (!level)
                return RPC_S_BINDING_HAS_NO_AUTH;
        if (ServerPrincName)
                *ServerPrincName = NULL;
        if (AuthnLevel)
                *AuthnLevel = level;
        if (AuthnSvc)
                *AuthnSvc = type;
        if (AuthIdentity)
                *AuthIdentity = NULL;
        if (AuthzSvc)
                *AuthzSvc = RPC_C_AUTHZ_NONE;
        return RPC_S_OK;
}

/*
 * [C706] ept_map through the binding's host's endpoint mapper (port 135, or
 * OPENDCOM_EPM_PORT; ncalrpc:[epmapper] locally): EPT_S_NOT_REGISTERED when it knows no
 * such interface, RPC_S_SERVER_UNAVAILABLE when the host does not resolve or answer.  A
 * binding with an endpoint is left as it is.
 */
RPC_STATUS RpcEpResolveBinding(RPC_BINDING_HANDLE Binding, RPC_IF_HANDLE IfSpec) {
        struct rpc_binding *b = client_binding(Binding);
        int r;

        if (!b)
                return RPC_S_INVALID_BINDING;
        if (!IfSpec)
                return RPC_S_INVALID_ARG;
        r = rpc_binding_resolve(b, IfSpec);
        return r < 0 ? rpc_binding_status(b, r) : RPC_S_OK;
}

RPC_STATUS RpcMgmtSetComTimeout(RPC_BINDING_HANDLE Binding, unsigned int Timeout) {
        struct rpc_binding *b = client_binding(Binding);
        static const unsigned ms[11] = { 1000, 2000, 4000, 8000, 15000, 30000,
                                         60000, 120000, 240000, 480000, 0 };

        if (!b)
                return RPC_S_INVALID_BINDING;
        if (Timeout > 10)
                return RPC_S_INVALID_TIMEOUT;
        /* RPC_C_BINDING_MIN_TIMEOUT 0 ... RPC_C_BINDING_INFINITE_TIMEOUT 10 */
        rpc_binding_set_timeout(b, ms[Timeout]);
        return RPC_S_OK;
}

/* --- cancellation (cancel.c) -------------------------------------------------------------- */

RPC_STATUS RpcCancelThreadEx(void *Thread, long Timeout) {
        if (Timeout < RPC_C_CANCEL_INFINITE_TIMEOUT)
                return RPC_S_INVALID_TIMEOUT;
        rpc_cancel_thread((pthread_t)(uintptr_t)Thread, Timeout);
        return RPC_S_OK;
}

RPC_STATUS RpcCancelThread(void *Thread) {
        rpc_cancel_thread((pthread_t)(uintptr_t)Thread, RPC_CANCEL_DEFAULT);
        return RPC_S_OK;
}

RPC_STATUS RpcMgmtSetCancelTimeout(long Timeout) {
        if (Timeout < RPC_C_CANCEL_INFINITE_TIMEOUT)
                return RPC_S_INVALID_TIMEOUT;
        rpc_cancel_set_timeout(Timeout);
        return RPC_S_OK;
}

RPC_STATUS RpcIfInqId(RPC_IF_HANDLE RpcIfHandle, RPC_IF_ID *RpcIfId) {
        const struct ndr_interface *i = RpcIfHandle;

        if (!i || !RpcIfId)
                return RPC_S_INVALID_ARG;
        RpcIfId->Uuid = i->uuid;
        RpcIfId->VersMajor = i->ver_major;
        RpcIfId->VersMinor = i->ver_minor;
        return RPC_S_OK;
}

/* --- UUIDs --------------------------------------------------------------------------------- */

RPC_STATUS UuidCreate(UUID *Uuid) {
        if (!Uuid)
                return RPC_S_INVALID_ARG;
        return dcom_guid_generate(Uuid) < 0 ? RPC_S_UUID_NO_ADDRESS : RPC_S_OK;
}

RPC_STATUS UuidCreateNil(UUID *NilUuid) {
        if (!NilUuid)
                return RPC_S_INVALID_ARG;
        memset(NilUuid, 0, sizeof *NilUuid);
        return RPC_S_OK;
}

RPC_STATUS UuidToStringA(const UUID *Uuid, RPC_CSTR *StringUuid) {
        char buf[DCOM_GUID_STRING_REG];
        GUID nil = { 0 };

        if (!StringUuid)
                return RPC_S_INVALID_ARG;
        dcom_guid_format(Uuid ? Uuid : &nil, DCOM_GUID_FORMAT_BARE, buf);
        *StringUuid = (RPC_CSTR)strdup(buf);
        return *StringUuid ? RPC_S_OK : RPC_S_OUT_OF_MEMORY;
}

RPC_STATUS UuidToStringW(const UUID *Uuid, RPC_WSTR *StringUuid) {
        RPC_CSTR a = NULL;
        RPC_STATUS st;

        if (!StringUuid)
                return RPC_S_INVALID_ARG;
        st = UuidToStringA(Uuid, &a);
        if (st == RPC_S_OK)
                st = give_w((char *)a, StringUuid);
        return st;
}

/* NULL or "" is the nil UUID, as on Windows. */
RPC_STATUS UuidFromStringA(RPC_CSTR StringUuid, UUID *Uuid) {
        if (!Uuid)
                return RPC_S_INVALID_ARG;
        if (!StringUuid || !*StringUuid)
                return UuidCreateNil(Uuid);
        if (strlen((const char *)StringUuid) != DCOM_GUID_STRING_BARE - 1 ||
            dcom_guid_parse((const char *)StringUuid, Uuid) < 0)
                return RPC_S_INVALID_STRING_UUID;
        return RPC_S_OK;
}

RPC_STATUS UuidFromStringW(RPC_WSTR StringUuid, UUID *Uuid) {
        RPC_STATUS st;
        char *s = rpc_api_from_w(StringUuid, &st);

        if (st != RPC_S_OK)
                return RPC_S_INVALID_STRING_UUID;
        st = UuidFromStringA((RPC_CSTR)s, Uuid);
        free(s);
        return st;
}

int UuidEqual(UUID *Uuid1, UUID *Uuid2, RPC_STATUS *Status) {
        GUID nil = { 0 };

        if (Status)
                *Status = RPC_S_OK;
        return dcom_guid_equal(Uuid1 ? Uuid1 : &nil, Uuid2 ? Uuid2 : &nil);
}

int UuidIsNil(UUID *Uuid, RPC_STATUS *Status) {
        if (Status)
                *Status = RPC_S_OK;
        return !Uuid || dcom_guid_is_null(Uuid);
}
