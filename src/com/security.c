/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's COM security (issue 15): CoInitializeSecurity, the defaults a process gets
 * when it never calls it (its AppID's, else the machine's), the access check every
 * incoming ORPC call passes, and the server's view of its caller (CoGetCallContext,
 * CoQueryClientBlanket, CoImpersonateClient, CoRevertToSelf).
 *
 * Windows' order (learn.microsoft.com, "Setting Processwide Security"): CoInitializeSecurity
 * if the process calls it before it marshals or unmarshals anything; else COM calls it with
 * the process's AppID settings -- found through HKCR\AppID\<executable name> (seed 003) --
 * and, for what the AppID does not say, the machine's: DefaultAccessPermission,
 * LegacyAuthenticationLevel, LegacyImpersonationLevel (seed 000).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <iaccess.h>

#include "base/log.h"
#include "com/accesscontrol.h"
#include "com/com-internal.h"
#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "rpc/auth/providers.h"
#include "rpc/rpc-internal.h"
#include "registry/registry-internal.h"
#include "security/caller.h"
#include "security/impersonate.h"
#include "security/settings.h"

static LOG_CHANNEL(com);

#define MAX_AUTH_SVCS 16                /* entries of asAuthSvc kept (more: refused) */

static struct {
        pthread_mutex_t lock;
        bool done;                      /* initialized, explicitly or by default */
        bool explicit_call;             /* by CoInitializeSecurity */
        struct sec_machine machine;
        bool has_app;
        struct sec_appid app;
        bool check_access;              /* false: CoInitializeSecurity(NULL) admits everyone */
        struct sec_perm access;
        IAccessControl *acl;            /* EOAC_ACCESS_CONTROL: it decides, call by call */
        uint8_t authn_level, imp_level;
        DWORD caps;
        /* CoInitializeSecurity's asAuthSvc: the authentication services a caller may use
           (n_svc -1: any this library has) */
        LONG n_svc;
        SOLE_AUTHENTICATION_SERVICE svcs[MAX_AUTH_SVCS];
        char how[400];                  /* for the debug line and tests */
} ps = { .lock = PTHREAD_MUTEX_INITIALIZER, .n_svc = -1 };

static void self_sid(char *out, size_t n) {
        snprintf(out, n, "S-1-22-1-%u", (unsigned)geteuid());
}

/* This process's AppID through its executable's name (seed 003: the name it was
   started with, as LocalServer32 named it). */
static bool find_own_appid(GUID *ret, char *exe, size_t n) {
        snprintf(exe, n, "%s", program_invocation_short_name);
        return sec_appid_of_exe(exe, ret) >= 0;
}

static void describe_locked(const char *from) {
        snprintf(ps.how, sizeof ps.how, "%s; access: %s; authentication level %u, impersonation "
                 "level %u", from, ps.acl ? "the IAccessControl object given to "
                 "CoInitializeSecurity" : ps.check_access ? ps.access.source :
                 "anyone (no descriptor)",
                 (unsigned)ps.authn_level, (unsigned)ps.imp_level);
        log_debug(com, "process security: %s", ps.how);
}

/* Loads the AppID's settings: access permission and level, where it has them. */
static int apply_appid_locked(const GUID *appid, const char *from) {
        char self[64], buf[200];
        int r;

        if (sec_appid_load(appid, &ps.app) < 0) {
                snprintf(buf, sizeof buf, "%s names an AppID that does not exist; machine "
                         "defaults", from);
                ps.has_app = false;
        } else {
                ps.has_app = true;
                snprintf(buf, sizeof buf, "AppID %s (%s)", ps.app.id, from);
        }
        ps.check_access = true;
        if (ps.has_app && ps.app.access.sd) {
                ps.access = ps.app.access;      /* moved: the AppID's copy is not freed twice */
                memset(&ps.app.access, 0, sizeof ps.app.access);
        } else {
                self_sid(self, sizeof self);
                if ((r = sec_default_access(&ps.machine, self, &ps.access)) < 0)
                        return r;
        }
        ps.authn_level = ps.has_app && ps.app.authn_level ? (uint8_t)ps.app.authn_level
                                                          : ps.machine.legacy_authn_level;
        ps.imp_level = ps.machine.legacy_imp_level;
        describe_locked(buf);
        return 0;
}

static int init_default_locked(void) {
        char exe[256], self[64], buf[320];
        GUID appid;
        int r;

        if (ps.done)
                return 0;
        if ((r = sec_machine_load(&ps.machine)) < 0)
                return r;
        if (find_own_appid(&appid, exe, sizeof exe)) {
                snprintf(buf, sizeof buf, "through HKCR\\AppID\\%s", exe);
                r = apply_appid_locked(&appid, buf);
        } else {
                /* seed 003: without the mapping, the application's own settings are not used */
                self_sid(self, sizeof self);
                r = sec_default_access(&ps.machine, self, &ps.access);
                ps.check_access = true;
                ps.authn_level = ps.machine.legacy_authn_level;
                ps.imp_level = ps.machine.legacy_imp_level;
                if (r >= 0) {
                        snprintf(buf, sizeof buf, "no AppID (HKCR\\AppID\\%s does not exist): the "
                                 "machine's defaults", exe);
                        describe_locked(buf);
                }
        }
        if (r < 0) {
                sec_machine_clear(&ps.machine);
                return r;
        }
        ps.done = true;
        return 0;
}

/* Whether CoInitializeSecurity asked for cloaking (static or dynamic): read without the
   lock on every proxy call (com_security_cloaks), so an atomic of its own. */
static atomic_bool process_cloaks;

static void admit_forget(void);

/* A child of fork() is another process: its security is settled again, from its own
   registry view, as a process started afresh would. */
static void atfork_child(void) {
        pthread_mutex_init(&ps.lock, NULL);
        ps.done = false;
        ps.explicit_call = false;
        atomic_store(&process_cloaks, false);
        sec_machine_clear(&ps.machine);
        sec_appid_clear(&ps.app);
        ps.has_app = false;
        free(ps.access.sd);
        memset(&ps.access, 0, sizeof ps.access);
        ps.how[0] = 0;
        ps.n_svc = -1;
        ps.acl = NULL;          /* the parent's reference; the child settles its own */
        admit_forget();
}

__attribute__((constructor)) static void security_atfork(void) {
        pthread_atfork(NULL, NULL, atfork_child);
}

int com_security_init(void) {
        pthread_mutex_lock(&ps.lock);
        int r = init_default_locked();
        pthread_mutex_unlock(&ps.lock);
        return r;
}

uint8_t com_security_authn_level(void) {
        uint8_t level = RPC_AUTHN_LEVEL_CONNECT;

        pthread_mutex_lock(&ps.lock);
        if (init_default_locked() >= 0)
                level = ps.authn_level;
        pthread_mutex_unlock(&ps.lock);
        return level;
}

uint8_t com_security_imp_level(void) {
        uint8_t level = RPC_C_IMP_LEVEL_IDENTIFY;

        pthread_mutex_lock(&ps.lock);
        if (init_default_locked() >= 0)
                level = ps.imp_level;
        pthread_mutex_unlock(&ps.lock);
        return level;
}

uint16_t com_security_tcp_port(void) {
        uint16_t port = 0;

        pthread_mutex_lock(&ps.lock);
        if (init_default_locked() >= 0 && ps.has_app)
                port = ps.app.tcp_port;
        pthread_mutex_unlock(&ps.lock);
        return port;
}

/*
 * Secure references ([MS-DCOM] 1.3.6): CoInitializeSecurity's EOAC_SECURE_REFS, or for a
 * process that never called it HKLM\Software\Microsoft\Ole LegacySecureReferences "Y".
 * Our proxies then hold private references, which only their own identity may release.
 */
bool com_security_secure_refs(void) {
        bool on = false;

        pthread_mutex_lock(&ps.lock);
        if (init_default_locked() >= 0)
                on = ps.explicit_call ? (ps.caps & EOAC_SECURE_REFS) != 0 : ps.machine.legacy_secure_refs;
        pthread_mutex_unlock(&ps.lock);
        return on;
}

bool com_security_cloaks(void) {
        return atomic_load_explicit(&process_cloaks, memory_order_acquire);
}

/* The process's EOAC_* capabilities: CoInitializeSecurity's, none by default. */
uint32_t com_security_caps(void) {
        uint32_t caps = 0;

        pthread_mutex_lock(&ps.lock);
        if (init_default_locked() >= 0 && ps.explicit_call)
                caps = ps.caps;
        pthread_mutex_unlock(&ps.lock);
        return caps;
}

const char *com_security_describe(void) {
        return ps.how;
}

/* --- CoInitializeSecurity ----------------------------------------------------------------------- */

HRESULT WINAPI CoInitializeSecurity(PSECURITY_DESCRIPTOR sd, LONG n_svc,
                                    SOLE_AUTHENTICATION_SERVICE *svcs, void *reserved1,
                                    DWORD authn_level, DWORD imp_level, void *auth_list,
                                    DWORD caps, void *reserved3) {
        HRESULT hr = S_OK;
        int r;

        /* EOAC_APPID: the AppID says everything, the other arguments are ignored */
        if (caps & EOAC_APPID) {
                n_svc = -1;
                svcs = NULL;
        }
        if (reserved1 || reserved3 || n_svc < -1 || (n_svc > 0 && !svcs))
                return E_INVALIDARG;
        /* each listed service registered or not (its hr, an output), the distinct ones
           kept; none of them usable: nothing could authenticate a caller */
        uint8_t kept[MAX_AUTH_SVCS];
        LONG n_kept = 0, usable = 0;
        (void)rpc_auth_register_defaults();     /* the built-in providers, as a server has */
        for (LONG i = 0; i < n_svc; i++) {
                DWORD v = svcs[i].dwAuthnSvc;
                bool ok = v == RPC_C_AUTHN_DEFAULT || v == RPC_C_AUTHN_NONE ||
                          (v < 256 && rpc_auth_find((uint8_t)v));
                svcs[i].hr = ok ? S_OK : HRESULT_FROM_WIN32(RPC_S_UNKNOWN_AUTHN_SERVICE);
                if (!ok)
                        continue;
                usable++;
                uint8_t k = v == RPC_C_AUTHN_DEFAULT ? 0xff : (uint8_t)v;
                bool dup = false;
                for (LONG j = 0; j < n_kept; j++)
                        dup |= kept[j] == k;
                if (!dup && n_kept < MAX_AUTH_SVCS)
                        kept[n_kept++] = k;
        }
        if (n_svc > 0 && !usable)
                return RPC_E_NO_GOOD_SECURITY_PACKAGES;
        if (authn_level > RPC_C_AUTHN_LEVEL_PKT_PRIVACY ||
            imp_level > RPC_C_IMP_LEVEL_DELEGATE)
                return E_INVALIDARG;
        if ((caps & EOAC_APPID) && (caps & EOAC_ACCESS_CONTROL))
                return E_INVALIDARG;
        /* EOAC_ACCESS_CONTROL: pSecDesc is an IAccessControl that COM asks about each call
           (CoInitializeSecurity, "pSecDesc"); kept, with a reference, for the process */
        IAccessControl *acl = NULL;
        if (caps & EOAC_ACCESS_CONTROL) {
                IUnknown *unk = sd;
                if (!unk || FAILED(unk->lpVtbl->QueryInterface(unk, &IID_IAccessControl,
                                                                (void **)&acl)) || !acl)
                        return E_INVALIDARG;
        }
        /* the client side: our proxies' default level and credentials -- checked before
           anything is settled, so a bad list changes nothing */
        const char *user = NULL, *domain = NULL, *password = NULL;
        char ubuf[257], dbuf[257], pbuf[257];
        uint8_t svc = RPC_C_AUTHN_WINNT;
        const SOLE_AUTHENTICATION_LIST *list = auth_list;
        if (list && list != COLE_DEFAULT_AUTHINFO) {
                for (DWORD i = 0; i < list->cAuthInfo && list->aAuthInfo; i++) {
                        const SOLE_AUTHENTICATION_INFO *ai = &list->aAuthInfo[i];
                        const SEC_WINNT_AUTH_IDENTITY_W *id = ai->pAuthInfo;
                        if (!id || (ai->dwAuthnSvc != RPC_C_AUTHN_WINNT &&
                                    ai->dwAuthnSvc != RPC_C_AUTHN_GSS_NEGOTIATE))
                                continue;
                        if (com_auth_identity_utf8(id, ubuf, dbuf, pbuf) < 0)
                                return E_INVALIDARG;
                        user = ubuf;
                        domain = dbuf;
                        password = pbuf;
                        svc = (uint8_t)ai->dwAuthnSvc;
                        break;
                }
        }

        pthread_mutex_lock(&ps.lock);
        if (ps.done) {
                /* once, before anything is marshaled or unmarshaled */
                pthread_mutex_unlock(&ps.lock);
                if (acl)
                        acl->lpVtbl->Release(acl);
                return RPC_E_TOO_LATE;
        }
        if ((r = sec_machine_load(&ps.machine)) < 0) {
                pthread_mutex_unlock(&ps.lock);
                if (acl)
                        acl->lpVtbl->Release(acl);
                return dcom_hresult_from_errno(r);
        }
        if (caps & EOAC_APPID) {
                /* the descriptor argument is an AppID, or NULL for the executable's */
                GUID appid;
                char exe[256], from[400];
                if (sd) {
                        appid = *(const GUID *)sd;
                        snprintf(from, sizeof from, "CoInitializeSecurity(EOAC_APPID)");
                } else if (!find_own_appid(&appid, exe, sizeof exe)) {
                        snprintf(from, sizeof from, "CoInitializeSecurity(EOAC_APPID): "
                                 "HKCR\\AppID\\%s does not exist", exe);
                        appid = GUID_NULL;
                } else {
                        snprintf(from, sizeof from, "CoInitializeSecurity(EOAC_APPID) through "
                                 "HKCR\\AppID\\%s", exe);
                }
                r = apply_appid_locked(&appid, from);
                if (r < 0)
                        hr = dcom_hresult_from_errno(r);
        } else if (acl) {
                ps.check_access = false;        /* the object decides */
                ps.acl = acl;
                ps.authn_level = authn_level ? (uint8_t)authn_level : ps.machine.legacy_authn_level;
                ps.imp_level = imp_level ? (uint8_t)imp_level : ps.machine.legacy_imp_level;
                describe_locked("CoInitializeSecurity(EOAC_ACCESS_CONTROL)");
        } else {
                ps.check_access = sd != NULL;
                if (sd) {
                        size_t len = GetSecurityDescriptorLength(sd);
                        if (!len || sec_sd_validate(sd, len) < 0 || !(ps.access.sd = malloc(len))) {
                                hr = E_INVALIDARG;
                        } else {
                                memcpy(ps.access.sd, sd, len);
                                ps.access.len = len;
                                ps.access.set = true;
                                snprintf(ps.access.source, sizeof ps.access.source,
                                         "the descriptor given to CoInitializeSecurity");
                        }
                }
                /* RPC_C_AUTHN_LEVEL_DEFAULT: the machine's legacy level */
                ps.authn_level = authn_level ? (uint8_t)authn_level : ps.machine.legacy_authn_level;
                ps.imp_level = imp_level ? (uint8_t)imp_level : ps.machine.legacy_imp_level;
                if (SUCCEEDED(hr))
                        describe_locked("CoInitializeSecurity");
        }
        if (FAILED(hr)) {
                sec_machine_clear(&ps.machine);
                free(ps.access.sd);
                memset(&ps.access, 0, sizeof ps.access);
                sec_appid_clear(&ps.app);
                ps.has_app = false;
                pthread_mutex_unlock(&ps.lock);
                return hr;
        }
        ps.caps = caps;
        /* the services the server takes calls with (learn.microsoft.com,
           CoInitializeSecurity: cAuthSvc 0 registers none, -1 lets COM choose) */
        ps.n_svc = n_svc < 0 ? -1 : n_kept;
        for (LONG i = 0; i < n_kept; i++)
                ps.svcs[i] = (SOLE_AUTHENTICATION_SERVICE){
                        kept[i] == 0xff ? RPC_C_AUTHN_DEFAULT : kept[i], RPC_C_AUTHZ_NONE, NULL, S_OK };
        ps.explicit_call = true;
        admit_forget();         /* what was let in under the defaults, if anything was */
        atomic_store_explicit(&process_cloaks,
                              (caps & (EOAC_STATIC_CLOAKING | EOAC_DYNAMIC_CLOAKING)) != 0,
                              memory_order_release);
        ps.done = true;
        pthread_mutex_unlock(&ps.lock);

        if (user || authn_level)
                com_proxy_set_default_auth(authn_level ? (uint8_t)authn_level : 0, svc, user ? user : "",
                                           domain, password);
        return S_OK;
}

unsigned com_security_advertised_svcs(uint8_t *out, unsigned max) {
        static const uint8_t dflt[] = { RPC_C_AUTHN_WINNT, RPC_C_AUTHN_GSS_NEGOTIATE };
        unsigned n = 0;

        pthread_mutex_lock(&ps.lock);
        for (LONG i = 0; ps.n_svc >= 0 && i < ps.n_svc; i++) {
                DWORD v = ps.svcs[i].dwAuthnSvc;
                if (v == RPC_C_AUTHN_DEFAULT) {
                        for (size_t k = 0; k < sizeof dflt && n < max; k++)
                                out[n++] = dflt[k];
                } else if (v != RPC_C_AUTHN_NONE && n < max) {
                        out[n++] = (uint8_t)v;
                }
        }
        if (ps.n_svc < 0)
                for (size_t k = 0; k < sizeof dflt && n < max; k++)
                        out[n++] = dflt[k];
        pthread_mutex_unlock(&ps.lock);
        return n;
}

/*
 * The authentication services the process takes calls with (learn.microsoft.com,
 * CoQueryAuthenticationServices): CoInitializeSecurity's list, or -- when it let COM
 * choose, or was not called -- those this library has (NTLM, Negotiate, Kerberos).
 * The array is the caller's (CoTaskMemFree); principal names are not kept.
 */
HRESULT WINAPI CoQueryAuthenticationServices(DWORD *n, SOLE_AUTHENTICATION_SERVICE **svcs) {
        static const DWORD builtin[] = { RPC_C_AUTHN_WINNT, RPC_C_AUTHN_GSS_NEGOTIATE,
                                         RPC_C_AUTHN_GSS_KERBEROS };
        SOLE_AUTHENTICATION_SERVICE list[MAX_AUTH_SVCS];
        LONG count = 0;
        bool listed;

        if (!n || !svcs)
                return E_INVALIDARG;
        *n = 0;
        *svcs = NULL;
        pthread_mutex_lock(&ps.lock);
        if ((listed = ps.n_svc >= 0)) {
                count = ps.n_svc;
                memcpy(list, ps.svcs, (size_t)count * sizeof *list);
        }
        pthread_mutex_unlock(&ps.lock);
        if (!listed) {
                (void)rpc_auth_register_defaults();
                for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
                        if (rpc_auth_find((uint8_t)builtin[i]))
                                list[count++] = (SOLE_AUTHENTICATION_SERVICE){
                                        builtin[i], RPC_C_AUTHZ_NONE, NULL, S_OK };
        }
        if (!count)
                return S_OK;
        if (!(*svcs = CoTaskMemAlloc((size_t)count * sizeof **svcs)))
                return E_OUTOFMEMORY;
        memcpy(*svcs, list, (size_t)count * sizeof *list);
        *n = (DWORD)count;
        return S_OK;
}

/* --- the access check of every incoming call ------------------------------------------------------ */

/*
 * A refusal in a server process: the debug channel's audit line, and the system log
 * (authpriv, notice) where an administrator looks -- Windows' event 10016, but saying
 * what to do.  At most 10 lines a second: a caller hammering a refused server cannot
 * flood the log (the lines held back are counted in the next one).
 */
static void audit(const char *line) {
        static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        static time_t second;
        static unsigned in_second, held;
        time_t now = time(NULL);
        bool say;
        unsigned dropped = 0;

        rpc_audit("%s", line);
        pthread_mutex_lock(&m);
        if (now != second) {
                second = now;
                in_second = 0;
        }
        say = in_second < 10;
        if (say) {
                in_second++;
                dropped = held;
                held = 0;
        } else {
                held++;
        }
        pthread_mutex_unlock(&m);
        if (!say)
                return;
        char clean[1400];
        snprintf(clean, sizeof clean, "%s", line);
        for (char *p = clean; *p; p++)          /* names a peer chose cannot forge lines */
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        if (dropped)
                syslog(LOG_AUTHPRIV | LOG_NOTICE, "DCOM: %s (and %u more refusals not logged)",
                       clean, dropped);
        else
                syslog(LOG_AUTHPRIV | LOG_NOTICE, "DCOM: %s", clean);
}

/*
 * The callers recently let in: a caller's token costs NSS lookups (its Unix groups) and
 * registry reads, too much for every call, so an admission is kept for a second for the
 * same caller (its user, SID, transport and level) while this process writes nothing to
 * the registry (hive_generation).  Another process's change to the permissions, or to a
 * Unix group, shows within that second.  Refusals are never kept: each is checked and said.
 */
#define ADMIT_CACHE 32
#define ADMIT_MS 1000

struct admitted {
        bool used, remote, anonymous, has_uid;
        uid_t uid;
        uint8_t level, authn_svc;
        char sid[80];
        uint64_t gen, until_ms;
};
static struct admitted admit_cache[ADMIT_CACHE];
static unsigned admit_next;

/*
 * And before it, each thread's last admission, by the RPC runtime's key for the caller
 * (rpc_call_caller_key: one connection under one security context): a thread serving a
 * busy client lets its next call in without naming the caller, a lock or the table.  The
 * same generation and second bound it; admit_forget's epoch ends every thread's at once.
 */
static _Thread_local struct {
        uint64_t key, gen, until_ms, epoch;
} last_admit;
static uint64_t admit_epoch;

static void admit_forget(void) {
        memset(admit_cache, 0, sizeof admit_cache);
        __atomic_add_fetch(&admit_epoch, 1, __ATOMIC_RELEASE);
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool same_caller(const struct admitted *a, const struct sec_caller *c, uint8_t svc) {
        return a->used && a->remote == c->info.remote && a->anonymous == c->info.anonymous &&
               a->has_uid == c->info.has_uid && (!a->has_uid || a->uid == c->info.uid) &&
               a->level == c->level && a->authn_svc == svc && strcmp(a->sid, c->sid) == 0;
}

/* Whether the process takes calls authenticated with svc (ps.lock held): any, unless
   CoInitializeSecurity listed the services; an unauthenticated call (0) is the level's
   to judge. */
static bool svc_accepted_locked(uint8_t svc) {
        if (!svc || ps.n_svc < 0)
                return true;
        for (LONG i = 0; i < ps.n_svc; i++)
                if (ps.svcs[i].dwAuthnSvc == svc || ps.svcs[i].dwAuthnSvc == RPC_C_AUTHN_DEFAULT)
                        return true;
        return false;
}

/* The caller's name as COM gives it to IAccessControl and CoQueryClientBlanket:
   "DOMAIN\user" (a local caller: its Unix user's account name). */
static void caller_name(void *call, const struct sec_caller *who, char *out, size_t size) {
        struct rpc_identity id;
        char sid[64];

        if (!who->info.remote) {
                snprintf(sid, sizeof sid, "S-1-22-1-%u", (unsigned)who->info.uid);
                if (sec_lookup_sid(sid, out, size) < 0)
                        snprintf(out, size, "%s", sid);
        } else if (who->info.anonymous || rpc_call_identity(call, &id) < 0) {
                snprintf(out, size, "NT AUTHORITY\\ANONYMOUS LOGON");
        } else {
                snprintf(out, size, "%s\\%s", id.domain, id.user);
        }
}

/* The caller being checked on this thread (EOAC_ACCESS_CONTROL's IsAccessAllowed). */
static _Thread_local struct {
        bool on;
        struct sec_caller who;
        char name[512];
} checking;

struct call_ctx;
static _Thread_local struct call_ctx *current;

/* CoSwitchCallContext's object on this thread (below): a call coming in puts it aside
   for its own length, so that a nested call sees its own caller */
struct switched_ctx {
        bool on;
        IUnknown *obj;
};
static _Thread_local struct switched_ctx switched;
static void *call_of(struct call_ctx *c);

int com_security_caller_token(struct sec_token **ret, char *name, size_t name_size) {
        struct sec_caller who;
        void *call;

        if (checking.on) {
                who = checking.who;
                snprintf(name, name_size, "%s", checking.name);
        } else if (current && (call = call_of(current)) && sec_caller_of_call(call, &who) >= 0) {
                caller_name(call, &who, name, name_size);
        } else {
                return -ENOENT;
        }
        who.info.user_sid = who.sid[0] ? who.sid : NULL;
        return sec_token_new(&who.info, ret);
}

/*
 * EOAC_ACCESS_CONTROL: the object is asked on every call, never through the admission
 * cache -- it may change its mind between two calls, and the next call follows it.  It
 * gets the caller's name (TRUSTEE_IS_NAME, "DOMAIN\user": "the only valid trustee name is
 * the name of the client", IAccessControl::IsAccessAllowed) and COM_RIGHTS_EXECUTE.  Only
 * S_OK with TRUE admits: a failure, another success code or a BOOL that is neither TRUE
 * nor FALSE refuses.
 */
static bool ask_access_control(IAccessControl *acl, void *call, const struct sec_caller *who,
                               char *why, size_t why_size) {
        WCHAR *w = NULL;
        BOOL allowed = FALSE;
        HRESULT hr = E_FAIL;

        checking.on = true;
        checking.who = *who;
        checking.who.info.user_sid = checking.who.sid[0] ? checking.who.sid : NULL;
        caller_name(call, who, checking.name, sizeof checking.name);
        if (dcom_utf8_to_utf16(checking.name, strlen(checking.name), &w, NULL) >= 0) {
                TRUSTEE_W tr = { .pMultipleTrustee = NULL,
                                 .MultipleTrusteeOperation = NO_MULTIPLE_TRUSTEE,
                                 .TrusteeForm = TRUSTEE_IS_NAME, .TrusteeType = TRUSTEE_IS_USER,
                                 .ptstrName = w };
                hr = acl->lpVtbl->IsAccessAllowed(acl, &tr, NULL, COM_RIGHTS_EXECUTE, &allowed);
        }
        free(w);
        checking.on = false;
        if (hr == S_OK && allowed == TRUE)
                return true;
        if (hr != S_OK)
                snprintf(why, why_size, "%s-access refused to %s: the process's IAccessControl "
                         "did not answer S_OK (0x%08x)", who->info.remote ? "remote" : "local",
                         checking.name, (unsigned)hr);
        else
                snprintf(why, why_size, "%s-access refused to %s by the process's "
                         "IAccessControl (CoInitializeSecurity with EOAC_ACCESS_CONTROL)%s",
                         who->info.remote ? "remote" : "local", checking.name,
                         allowed == FALSE ? "" : " (an answer neither TRUE nor FALSE)");
        return false;
}

bool com_security_check_call(void *call) {
        struct sec_caller who;
        struct sec_token *t = NULL;
        IAccessControl *acl = NULL;
        bool ok = false;
        char why[1024];
        uint64_t key = rpc_call_caller_key(call), gen = hive_generation(), now = now_ms();
        uint64_t epoch = __atomic_load_n(&admit_epoch, __ATOMIC_ACQUIRE);

        /* (an IAccessControl is asked every time: it never gets into last_admit) */
        if (key && last_admit.key == key && last_admit.gen == gen && now < last_admit.until_ms &&
            last_admit.epoch == epoch)
                return true;
        if (sec_caller_of_call(call, &who) < 0) {
                audit("ORPC call refused: the caller cannot be named");
                return false;
        }
        /* the authentication service the call came with (0: none; local calls have none
           to choose, the kernel names them) */
        uint8_t svc = 0, svc_level;
        void *svc_ctx;
        if (!who.info.remote || rpc_call_auth(call, &svc, &svc_level, &svc_ctx) < 0)
                svc = 0;
        pthread_mutex_lock(&ps.lock);
        if (ps.acl) {
                acl = ps.acl;
                acl->lpVtbl->AddRef(acl);
        }
        for (unsigned i = 0; !acl && i < ADMIT_CACHE; i++)
                if (same_caller(&admit_cache[i], &who, svc) && admit_cache[i].gen == gen &&
                    now < admit_cache[i].until_ms) {
                        pthread_mutex_unlock(&ps.lock);
                        last_admit.key = key;
                        last_admit.gen = gen;
                        last_admit.until_ms = admit_cache[i].until_ms;
                        last_admit.epoch = epoch;
                        return true;
                }
        pthread_mutex_unlock(&ps.lock);

        if (sec_token_new(&who.info, &t) < 0) {
                audit("ORPC call refused: the caller's token cannot be made");
                goto refuse;
        }
        /* PRINCIPAL SELF in a descriptor means the server's own user ([MS-DTYP] 2.5.3.2's
           PrincipalSelfSubstitute): a caller who is that user holds it */
        char self[64];
        self_sid(self, sizeof self);
        if (sec_token_has_sid(t, self) && sec_token_add_sid(t, "S-1-5-10") < 0) {
                sec_token_free(t);
                goto refuse;
        }
        bool remote = who.info.remote;
        uint8_t level = who.level;
        pthread_mutex_lock(&ps.lock);
        if (init_default_locked() < 0) {
                pthread_mutex_unlock(&ps.lock);
                sec_token_free(t);
                audit("ORPC call refused: the process's security settings cannot be read");
                goto refuse;
        }
        /* calls below the process's level: refused before anything else (local calls are
           privacy) -- RPC_C_AUTHN_LEVEL_NONE admits unauthenticated callers */
        if (remote && level < ps.authn_level && ps.authn_level > RPC_C_AUTHN_LEVEL_NONE) {
                char whom[320];
                sec_token_describe(t, whom, sizeof whom);
                snprintf(why, sizeof why, "remote-access refused to %s: authentication level %u is "
                         "below this process's %u (%s)", whom, (unsigned)level,
                         (unsigned)ps.authn_level, ps.how);
        } else if (!svc_accepted_locked(svc)) {
                char whom[320];
                sec_token_describe(t, whom, sizeof whom);
                snprintf(why, sizeof why, "remote-access refused to %s: authentication service %u "
                         "is not among the %ld this process takes calls with "
                         "(CoInitializeSecurity's asAuthSvc)", whom, (unsigned)svc,
                         (long)ps.n_svc);
        } else {
                /* the machine's restriction first, then the process's permission (or,
                   with EOAC_ACCESS_CONTROL, its object: below, without the lock) */
                int r = sec_check_access(&ps.machine,
                                         ps.check_access && !acl ? &ps.access : NULL,
                                         ps.has_app ? &ps.app : NULL, t, remote, why, sizeof why);
                ok = r > 0;
        }
        if (ok && !acl) {
                struct admitted *a = &admit_cache[admit_next++ % ADMIT_CACHE];
                *a = (struct admitted){ .used = true, .remote = remote,
                                        .anonymous = who.info.anonymous,
                                        .has_uid = who.info.has_uid, .uid = who.info.uid,
                                        .level = level, .authn_svc = svc, .gen = gen,
                                        .until_ms = now + ADMIT_MS };
                snprintf(a->sid, sizeof a->sid, "%s", who.sid);
                last_admit.key = key;
                last_admit.gen = gen;
                last_admit.until_ms = a->until_ms;
                last_admit.epoch = epoch;
        }
        pthread_mutex_unlock(&ps.lock);
        if (ok && acl)
                ok = ask_access_control(acl, call, &who, why, sizeof why);
        if (acl)
                acl->lpVtbl->Release(acl);
        if (!ok) {
                char line[1100];
                snprintf(line, sizeof line, "ORPC call into %s (pid %d) refused: %s",
                         program_invocation_short_name, (int)getpid(), why);
                audit(line);
        }
        sec_token_free(t);
        return ok;
refuse:
        if (acl)
                acl->lpVtbl->Release(acl);
        return false;
}

/* --- the server's view of its caller -------------------------------------------------------------- */

struct call_ctx {
        IServerSecurity IServerSecurity_iface;
        ICancelMethodCalls ICancelMethodCalls_iface;    /* CoTestCancel's */
        atomic_uint refs;               /* the call's, and each AddRef kept past it */
        void *call;                     /* the RPC call; NULL once it returned */
        pthread_t thread;               /* the one it runs on: impersonation is that thread's */
        struct call_ctx *prev;          /* a call nested in another on this thread (STA) */
        bool impersonating;
        bool paused_outer;              /* it paused prev's impersonation while it runs */
        uid_t uid;                      /* whom it impersonates */
        struct switched_ctx outer_switch;       /* the thread's switched context, put aside */
        struct sec_saved_creds saved;
};

static void *call_of(struct call_ctx *c) {
        return c->call;
}

static struct call_ctx *impl_from_IServerSecurity(IServerSecurity *iface) {
        return (struct call_ctx *)((char *)iface - offsetof(struct call_ctx, IServerSecurity_iface));
}

static ULONG STDMETHODCALLTYPE ss_addref(IServerSecurity *iface);

static HRESULT STDMETHODCALLTYPE ss_qi(IServerSecurity *iface, REFIID riid, void **ppv) {
        if (!ppv)
                return E_POINTER;
        if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IServerSecurity)) {
                ss_addref(iface);
                *ppv = iface;
                return S_OK;
        }
        if (IsEqualGUID(riid, &IID_ICancelMethodCalls)) {
                ss_addref(iface);
                *ppv = &impl_from_IServerSecurity(iface)->ICancelMethodCalls_iface;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

/* Counted: a context kept past its call answers RPC_E_CALL_COMPLETE, never freed memory.
   CoGetCallContext's pointer is the call's own reference's until AddRef'd, as on Windows. */
static ULONG STDMETHODCALLTYPE ss_addref(IServerSecurity *iface) {
        return atomic_fetch_add(&impl_from_IServerSecurity(iface)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ss_release(IServerSecurity *iface) {
        struct call_ctx *c = impl_from_IServerSecurity(iface);
        unsigned left = atomic_fetch_sub(&c->refs, 1) - 1;
        if (left == 0 && !dcom_spare_keep(DCOM_SPARE_CALL, c, sizeof *c))
                free(c);
        return left;
}

static HRESULT query_blanket(struct call_ctx *c, DWORD *authn_svc, DWORD *authz_svc,
                             OLECHAR **server_princ, DWORD *authn_level, DWORD *imp_level,
                             void **privs, DWORD *caps) {
        uint8_t type = 0, level = 0;
        void *ctx = NULL;
        struct rpc_identity id;

        if (!c->call)
                return RPC_E_CALL_COMPLETE;
        if (rpc_call_protseq(c->call) == RPC_PROTSEQ_LRPC) {
                type = RPC_C_AUTHN_WINNT;       /* Windows reports ncalrpc as NTLM, privacy */
                level = RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
        } else {
                rpc_call_auth(c->call, &type, &level, &ctx);
        }
        if (authn_svc)
                *authn_svc = type;
        if (authz_svc)
                *authz_svc = RPC_C_AUTHZ_NONE;
        if (server_princ)
                *server_princ = NULL;
        if (authn_level)
                *authn_level = level;
        if (imp_level) {
                /* what the client allowed: over the network its security context says
                   (NTLM's NEGOTIATE_IDENTIFY); a local caller's process can be taken */
                *imp_level = RPC_C_IMP_LEVEL_IMPERSONATE;
                if (rpc_call_protseq(c->call) != RPC_PROTSEQ_LRPC &&
                    rpc_call_identity(c->call, &id) >= 0 && id.imp_level)
                        *imp_level = id.imp_level;
        }
        if (caps)
                *caps = EOAC_NONE;
        if (privs) {
                /* the client's name, "DOMAIN\user", as a string owned by the call context */
                static _Thread_local WCHAR name[520];
                char u8[520];
                struct rpc_peer peer;
                *privs = NULL;
                if (rpc_call_protseq(c->call) == RPC_PROTSEQ_LRPC) {
                        char sid[64];
                        if (rpc_call_peer(c->call, &peer) < 0)
                                return S_OK;
                        snprintf(sid, sizeof sid, "S-1-22-1-%u", (unsigned)peer.uid);
                        if (sec_lookup_sid(sid, u8, sizeof u8) < 0)
                                snprintf(u8, sizeof u8, "%s", sid);
                } else if (rpc_call_identity(c->call, &id) >= 0) {
                        snprintf(u8, sizeof u8, "%s\\%s", id.domain, id.user);
                } else {
                        return S_OK;
                }
                WCHAR *w = NULL;
                size_t n = 0;
                if (dcom_utf8_to_utf16(u8, strlen(u8), &w, &n) >= 0 && n < 520) {
                        memcpy(name, w, (n + 1) * sizeof(WCHAR));
                        *privs = name;
                }
                free(w);
        }
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ss_query_blanket(IServerSecurity *iface, DWORD *authn_svc,
                                                  DWORD *authz_svc, OLECHAR **server_princ,
                                                  DWORD *authn_level, DWORD *imp_level, void **privs,
                                                  DWORD *caps) {
        return query_blanket(impl_from_IServerSecurity(iface), authn_svc, authz_svc, server_princ,
                             authn_level, imp_level, privs, caps);
}

/* The caller's Unix user: the kernel's over ncalrpc, the account's over the network. */
static HRESULT caller_uid(struct call_ctx *c, uid_t *ret) {
        struct rpc_peer peer;
        struct rpc_identity id;

        if (!c->call)
                return RPC_E_CALL_COMPLETE;
        if (rpc_call_protseq(c->call) == RPC_PROTSEQ_LRPC) {
                if (rpc_call_peer(c->call, &peer) < 0 || !peer.has_cred)
                        return HRESULT_FROM_WIN32(ERROR_CANNOT_IMPERSONATE);
                *ret = peer.uid;
                return S_OK;
        }
        if (rpc_call_identity(c->call, &id) < 0 || id.anonymous) {
                /* an unauthenticated or anonymous caller has no one to be */
                return HRESULT_FROM_WIN32(ERROR_CANNOT_IMPERSONATE);
        }
        if (id.imp_level == RPC_IMP_LEVEL_IDENTIFY) {
                /* the client allowed identification only (RPC_C_IMP_LEVEL_IDENTIFY): the
                   server may ask who calls (CoQueryClientBlanket), not act as it */
                return HRESULT_FROM_WIN32(ERROR_BAD_IMPERSONATION_LEVEL);
        }
        if (!id.has_uid) {
                rpc_audit("impersonation of %s\\%s refused: the account is no user of this machine",
                          id.domain, id.user);
                return HRESULT_FROM_WIN32(ERROR_CANNOT_IMPERSONATE);
        }
        *ret = id.uid;
        return S_OK;
}

static HRESULT impersonate(struct call_ctx *c) {
        uid_t uid;
        if (!c->call)
                return RPC_E_CALL_COMPLETE;
        if (!pthread_equal(c->thread, pthread_self()))
                return RPC_E_WRONG_THREAD;      /* the identity is the call's thread's */
        HRESULT hr = caller_uid(c, &uid);
        if (FAILED(hr))
                return hr;
        if (c->impersonating)
                return S_OK;
        int r = sec_impersonate_uid(uid, &c->saved);
        if (r < 0) {
                rpc_audit("impersonation of uid %u refused: this server (uid %u) may not take "
                          "another user's identity (%s)", (unsigned)uid, (unsigned)geteuid(),
                          strerror(-r));
                return HRESULT_FROM_WIN32(ERROR_CANNOT_IMPERSONATE);
        }
        c->impersonating = true;
        c->uid = uid;
        (void)rpc_call_delegate(c->call);       /* and the caller's delegated credential */
        return S_OK;
}

static HRESULT revert(struct call_ctx *c) {
        if (!c->impersonating)
                return S_OK;
        if (!pthread_equal(c->thread, pthread_self()))
                return RPC_E_WRONG_THREAD;
        int r = sec_revert(&c->saved);
        if (r < 0) {
                /* a thread that cannot return to itself must not run anything else */
                fprintf(stderr, "opendcom: cannot revert an impersonation: %s\n", strerror(-r));
                abort();
        }
        c->impersonating = false;
        rpc_call_undelegate();
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ss_impersonate(IServerSecurity *iface) {
        return impersonate(impl_from_IServerSecurity(iface));
}

static HRESULT STDMETHODCALLTYPE ss_revert(IServerSecurity *iface) {
        return revert(impl_from_IServerSecurity(iface));
}

static BOOL STDMETHODCALLTYPE ss_is_impersonating(IServerSecurity *iface) {
        return impl_from_IServerSecurity(iface)->impersonating;
}

static const IServerSecurityVtbl ss_vtbl = {
        ss_qi, ss_addref, ss_release, ss_query_blanket, ss_impersonate, ss_revert,
        ss_is_impersonating,
};

/*
 * The call's cancel object as its callee sees it (CoGetCallContext(IID_ICancelMethodCalls),
 * CoTestCancel): whether the caller cancelled -- a co_cancel or orphaned PDU for the call
 * behind its request (src/rpc/cancel.c rpc_conn_cancelled).  The callee cancels nothing.
 */
static struct call_ctx *impl_from_ICancelMethodCalls(ICancelMethodCalls *iface) {
        return (struct call_ctx *)((char *)iface - offsetof(struct call_ctx, ICancelMethodCalls_iface));
}

static HRESULT STDMETHODCALLTYPE scm_qi(ICancelMethodCalls *iface, REFIID riid, void **ppv) {
        return ss_qi(&impl_from_ICancelMethodCalls(iface)->IServerSecurity_iface, riid, ppv);
}

static ULONG STDMETHODCALLTYPE scm_addref(ICancelMethodCalls *iface) {
        return ss_addref(&impl_from_ICancelMethodCalls(iface)->IServerSecurity_iface);
}

static ULONG STDMETHODCALLTYPE scm_release(ICancelMethodCalls *iface) {
        return ss_release(&impl_from_ICancelMethodCalls(iface)->IServerSecurity_iface);
}

static HRESULT STDMETHODCALLTYPE scm_cancel(ICancelMethodCalls *iface, ULONG seconds) {
        (void)iface;
        (void)seconds;
        return E_UNEXPECTED;    /* a call is cancelled by its caller, not its callee */
}

static HRESULT STDMETHODCALLTYPE scm_test(ICancelMethodCalls *iface) {
        struct call_ctx *c = impl_from_ICancelMethodCalls(iface);

        if (!c->call)
                return RPC_E_CALL_COMPLETE;
        return rpc_call_cancelled(c->call) > 0 ? RPC_E_CALL_CANCELED : RPC_S_CALLPENDING;
}

static const ICancelMethodCallsVtbl scm_vtbl = {
        scm_qi, scm_addref, scm_release, scm_cancel, scm_test,
};

/* Back to the process's identity while something else runs on this thread (a nested
   call, a thread started from here): true if there was an impersonation to pause. */
static bool pause_locked_thread(struct call_ctx *c) {
        if (!c || !c->impersonating)
                return false;
        revert(c);
        return true;
}

static void resume_thread(struct call_ctx *c, bool paused) {
        if (!paused)
                return;
        if (sec_impersonate_uid(c->uid, &c->saved) < 0) {
                /* the outer method believes it still acts as its caller: it must not go on
                   as the server instead */
                fprintf(stderr, "opendcom: cannot resume an impersonation\n");
                abort();
        }
        c->impersonating = true;
        (void)rpc_call_delegate(c->call);       /* and its delegated credential again */
}

/*
 * Who the current incoming call is, as a key for references it holds: over ncalrpc the
 * local user the kernel names ("uid:N"), else the authenticated account's SID (or
 * DOMAIN\user), "anonymous" for an unauthenticated or anonymous caller.  "" when no
 * call is in progress on this thread.
 */
void com_call_principal(char *out, size_t size) {
        struct rpc_peer peer;
        struct rpc_identity id;

        out[0] = 0;
        if (!current || !current->call)
                return;
        if (rpc_call_protseq(current->call) == RPC_PROTSEQ_LRPC) {
                if (rpc_call_peer(current->call, &peer) == 0 && peer.has_cred)
                        snprintf(out, size, "uid:%u", (unsigned)peer.uid);
                else
                        snprintf(out, size, "anonymous");
                return;
        }
        if (rpc_call_identity(current->call, &id) < 0 || id.anonymous)
                snprintf(out, size, "anonymous");
        else if (id.sid[0])
                snprintf(out, size, "%s", id.sid);
        else
                snprintf(out, size, "%s\\%s", id.domain, id.user);
}

static bool call_causality(GUID *ret);

void *com_call_enter(void *call) {
        /* the thread's spare (the last call's, given back by ss_release) or malloc --
           not calloc: glibc's calloc bypasses its per-thread cache, and this is one
           allocation per incoming call */
        struct call_ctx *c = dcom_spare_take(DCOM_SPARE_CALL, NULL);

        if (!c)
                c = malloc(sizeof *c);

        if (!c)
                return NULL;
        /* saved (some 270 bytes) is sec_impersonate_uid's to fill, read only while
           impersonating: not cleared on every call */
        c->impersonating = false;
        c->uid = 0;
        c->saved.changed = false;
        c->IServerSecurity_iface.lpVtbl = &ss_vtbl;
        c->ICancelMethodCalls_iface.lpVtbl = &scm_vtbl;
        atomic_init(&c->refs, 1);
        c->call = call;
        /* from the process's first incoming call on, its outgoing calls ask whether they
           are made inside one (a process that only calls out never pays for it) */
        if (!__atomic_load_n(&com_orpc_causality_hook, __ATOMIC_RELAXED))
                __atomic_store_n(&com_orpc_causality_hook, call_causality, __ATOMIC_RELAXED);
        c->thread = pthread_self();
        c->prev = current;
        /* a call nested in an impersonating one (an STA's modal loop) runs as the
           process, not as the outer call's caller; the outer resumes after it */
        c->paused_outer = pause_locked_thread(c->prev);
        c->outer_switch = switched;
        switched = (struct switched_ctx){ 0 };
        current = c;
        return c;
}

void com_call_leave(void *cookie) {
        struct call_ctx *c = cookie;

        if (!c)
                return;
        /* a method that returns while impersonating is reverted, as Windows does */
        revert(c);
        current = c->prev;
        switched = c->outer_switch;     /* (a switch the method left in place ends here) */
        resume_thread(c->prev, c->paused_outer);
        c->call = NULL;                 /* kept references answer RPC_E_CALL_COMPLETE */
        ss_release(&c->IServerSecurity_iface);
}

/* [MS-DCOM] 1.3.5: the innermost incoming call's (com_orpc_causality_hook) */
static bool call_causality(GUID *ret) {
        struct call_ctx *c = current;
        const struct ndr_pull *in;

        /* read from the request itself, when a call needs it (not on every call): the
           calls the method makes -- and those the stub makes around it, unmarshaling and
           marshaling interface pointers -- carry it; the request outlives the call */
        if (!c || !c->call || !(in = ((const struct ndr_server_call *)c->call)->in))
                return false;
        return com_orpc_cid_of(in->data, in->size, in->big_endian, ret);
}

bool com_impersonation_self(uid_t *ret) {
        if (!current || !current->impersonating || !current->saved.changed)
                return false;
        *ret = current->saved.euid;
        return true;
}

bool com_impersonation_pause(void) {
        return pause_locked_thread(current);
}

void com_impersonation_resume(bool paused) {
        resume_thread(current, paused);
}

/*
 * CoSwitchCallContext's object (learn.microsoft.com): a custom marshaler that calls an
 * object on a caller's behalf puts its own call context in place of the thread's, not
 * referenced, and puts the old one back after.  `switched` says one is in place (NULL:
 * none at all).
 */

HRESULT WINAPI CoSwitchCallContext(IUnknown *new_ctx, IUnknown **old_ctx) {
        IUnknown *own = current ? (IUnknown *)&current->IServerSecurity_iface : NULL;

        if (!old_ctx)
                return E_INVALIDARG;
        *old_ctx = switched.on ? switched.obj : own;
        /* the thread's own context back: nothing switched any more */
        switched.on = new_ctx != own;
        switched.obj = new_ctx;
        return S_OK;
}

HRESULT WINAPI CoGetCallContext(REFIID riid, void **ppv) {
        if (!ppv)
                return E_INVALIDARG;
        *ppv = NULL;
        if (switched.on)
                return switched.obj ? switched.obj->lpVtbl->QueryInterface(switched.obj, riid, ppv)
                                    : RPC_E_CALL_COMPLETE;
        if (!current)
                return RPC_E_CALL_COMPLETE;
        return ss_qi(&current->IServerSecurity_iface, riid, ppv);
}

/* A switched-in call context's IServerSecurity (referenced), or NULL with *hr. */
static IServerSecurity *switched_security(HRESULT *hr) {
        IServerSecurity *ss = NULL;

        *hr = CoGetCallContext(&IID_IServerSecurity, (void **)&ss);
        return SUCCEEDED(*hr) ? ss : NULL;
}

HRESULT WINAPI CoTestCancel(void) {
        if (switched.on) {
                ICancelMethodCalls *cm = NULL;
                if (FAILED(CoGetCallContext(&IID_ICancelMethodCalls, (void **)&cm)) || !cm)
                        return RPC_E_CALL_COMPLETE;
                HRESULT hr = cm->lpVtbl->TestCancel(cm);
                cm->lpVtbl->Release(cm);
                return hr;
        }
        if (!current)
                return RPC_E_CALL_COMPLETE;
        return scm_test(&current->ICancelMethodCalls_iface);
}

HRESULT WINAPI CoQueryClientBlanket(DWORD *authn_svc, DWORD *authz_svc, OLECHAR **server_princ,
                                    DWORD *authn_level, DWORD *imp_level, RPC_AUTHZ_HANDLE *privs,
                                    DWORD *caps) {
        if (switched.on) {
                HRESULT hr;
                IServerSecurity *ss = switched_security(&hr);
                if (!ss)
                        return hr;
                if (caps)
                        *caps = 0;      /* (IServerSecurity's is [in, out]) */
                hr = ss->lpVtbl->QueryBlanket(ss, authn_svc, authz_svc, server_princ, authn_level,
                                              imp_level, privs, caps);
                ss->lpVtbl->Release(ss);
                return hr;
        }
        if (!current)
                return RPC_E_CALL_COMPLETE;
        return query_blanket(current, authn_svc, authz_svc, server_princ, authn_level, imp_level,
                             privs, caps);
}

HRESULT WINAPI CoImpersonateClient(void) {
        if (switched.on) {
                HRESULT hr;
                IServerSecurity *ss = switched_security(&hr);
                if (!ss)
                        return hr;
                hr = ss->lpVtbl->ImpersonateClient(ss);
                ss->lpVtbl->Release(ss);
                return hr;
        }
        if (!current)
                return RPC_E_CALL_COMPLETE;
        return impersonate(current);
}

HRESULT WINAPI CoRevertToSelf(void) {
        if (switched.on) {
                HRESULT hr;
                IServerSecurity *ss = switched_security(&hr);
                if (!ss)
                        return hr;
                hr = ss->lpVtbl->RevertToSelf(ss);
                ss->lpVtbl->Release(ss);
                return hr;
        }
        if (!current)
                return RPC_E_CALL_COMPLETE;
        return revert(current);
}
