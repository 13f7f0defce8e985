/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss's activator: scm.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "com/actprops.h"
#include "com/objref.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "launch-client.h"
#include "oxid.h"
#include "rpc/rpc-internal.h"
#include "scm.h"
#include "security/caller.h"
#include "security/settings.h"

static LOG_CHANNEL(com);

/* One line in rpcss's log: an activation that failed, and why (log_service, LOG_ERR). */
#define say(...) log_service(LOG_ERR, __VA_ARGS__)

#define LAUNCH_TIMEOUT_DEFAULT_MS 30000u
#define LAUNCH_REQUEST_MS 5000          /* dcomlaunch's answer (not the server's start) */
#define OBJACT_TIMEOUT_MS 30000u        /* the server's CreateInstance */
#define ANY_UID ((uid_t)-1)

#ifndef REGCLS_MULTIPLEUSE      /* enumerators in com.h: not seen by #ifndef */
#define REGCLS_MULTIPLEUSE 1
#define REGCLS_MULTI_SEPARATE 2
#endif
#define MODE_GET_CLASS_OBJECT 0xffffffffu       /* [MS-DCOM] 3.1.2.5.2.3.1 */
#define CLSCTX_LOCAL_SERVER_ 0x4u
#define CLSCTX_REMOTE_SERVER_ 0x10u

struct class_ent {
        struct class_ent *next;
        GUID clsid;
        uint32_t cookie, flags;
        uint64_t owner;                 /* the association that registered it */
        uid_t uid;                      /* the server's user (the kernel's word) */
        pid_t pid;
        char ep[64];                    /* the server's ncalrpc endpoint */
        bool launched;                  /* by a process dcomlaunch started for this class */
};

/* A server being started, so that activations meanwhile wait for it instead of
   starting another. */
struct launch {
        struct launch *next;
        GUID clsid;
        uid_t uid;
        pid_t pid;                      /* the server dcomlaunch started (0: not yet) */
};

static struct {
        pthread_mutex_t lock;
        pthread_cond_t changed;         /* a registration came or went, a launch ended */
        struct class_ent *classes;
        unsigned n_classes;
        struct launch *launches;
        unsigned n_launches;
        unsigned launch_timeout_ms;
        bool require_integrity;
} tab = { .lock = PTHREAD_MUTEX_INITIALIZER, .launch_timeout_ms = LAUNCH_TIMEOUT_DEFAULT_MS,
          .require_integrity = true };

static void clsid_str(const GUID *g, char out[DCOM_GUID_STRING_REG]) {
        dcom_guid_format(g, DCOM_GUID_FORMAT_REGISTRY, out);
}

/* A string value under HKEY_CLASSES_ROOT (or HKLM), UTF-8 into out; false if absent. */
static bool reg_string(HKEY root, const char *path, const char *value, char *out, size_t size) {
        WCHAR *wpath = NULL, *wvalue = NULL, data[512];
        DWORD n = sizeof data;
        char *u8 = NULL;
        bool ok = false;

        if (dcom_utf8_to_utf16(path, strlen(path), &wpath, NULL) < 0 ||
            (value && dcom_utf8_to_utf16(value, strlen(value), &wvalue, NULL) < 0))
                goto out;
        if (RegGetValueW(root, wpath, wvalue, RRF_RT_REG_SZ, NULL, data, &n) != ERROR_SUCCESS)
                goto out;
        if (dcom_utf16_to_utf8(data, dcom_utf16_len(data), &u8, NULL) < 0)
                goto out;
        snprintf(out, size, "%s", u8);
        ok = true;
out:
        free(u8);
        free(wpath);
        free(wvalue);
        return ok;
}

static bool reg_dword(HKEY root, const WCHAR *path, const WCHAR *value, DWORD *ret) {
        DWORD size = sizeof *ret;
        return RegGetValueW(root, path, value, RRF_RT_REG_DWORD, NULL, ret, &size) == ERROR_SUCCESS;
}

void scm_init(void) {
        const char *s = getenv("OPENDCOM_LAUNCH_TIMEOUT_MS");
        DWORD v;

        if (s && *s) {
                char *end;
                unsigned long ms = strtoul(s, &end, 10);
                if (!*end && ms >= 100 && ms <= 600000)
                        tab.launch_timeout_ms = (unsigned)ms;
        }
        /* the 2022 hardening (KB5004442): activation below PKT_INTEGRITY is refused */
        if (reg_dword(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole",
                      u"RequireIntegrityActivationAuthenticationLevel", &v))
                tab.require_integrity = v != 0;
}

/* --- LocalService: classes served by a systemd unit ------------------------------------------ */

/*
 * HKCR\AppID\{appid}\LocalService names the service that serves the AppID's classes
 * (Windows: a Win32 service; here a systemd unit, NAME.service).  Activating such a class
 * starts the unit instead of a LocalServer32, and rpcss takes the class's registration
 * only from the unit's main process (its MainPID) or a process in the unit's own cgroup
 * -- which only the service manager puts processes into -- so that no other local
 * process can register the class and catch its activations.
 *
 * rpcss, unprivileged, does not run the service manager: it asks dcomlaunch (root) to
 * start the LocalService of the AppID, or to tell the unit's MainPID
 * (launch_service()), and dcomlaunch reads the unit's name from the registry itself.
 * The name is read here too, for the cgroup check and the log lines only.
 */
#define SERVICE_REQUEST_MS 6000         /* dcomlaunch runs the service manager for 5 s at most */

/* The unit serving clsid ("NAME.service") and its AppID, if its AppID has a LocalService. */
static bool local_service(const GUID *clsid, char *unit, size_t size, GUID *ret_appid) {
        char id[DCOM_GUID_STRING_REG], path[128], appid[64], name[256];
        GUID g;

        clsid_str(clsid, id);
        snprintf(path, sizeof path, "CLSID\\%s", id);
        if (!reg_string(HKEY_CLASSES_ROOT, path, "AppID", appid, sizeof appid) ||
            dcom_guid_parse(appid, &g) < 0)
                return false;
        snprintf(path, sizeof path, "AppID\\%s", appid);
        if (!reg_string(HKEY_CLASSES_ROOT, path, "LocalService", name, sizeof name) || !*name)
                return false;
        if (!launch_unit_name_ok(name)) {
                say("activation of %s: LocalService '%s' of AppID %s is not a unit name", id,
                    name, appid);
                return false;
        }
        size_t n = strlen(name);
        int k = snprintf(unit, size, "%s%s", name,
                         n > 8 && strcmp(name + n - 8, ".service") == 0 ? "" : ".service");
        if (k < 0 || (size_t)k >= size)
                return false;
        if (ret_appid)
                *ret_appid = g;
        return true;
}

/* Whether pid is the unit's: its MainPID (dcomlaunch asks the service manager), or in its
   cgroup (/proc/PID/cgroup).  When the MainPID could not be learnt, why says so. */
static bool pid_of_unit(pid_t pid, const GUID *appid, const char *unit, char *why, size_t size) {
        char line[512], path[64];
        pid_t main_pid = 0;
        HRESULT hr = E_FAIL;

        why[0] = 0;
        if (pid <= 0)
                return false;
        int r = launch_service(appid, LAUNCH_FLAG_SERVICE_PID, SERVICE_REQUEST_MS, &main_pid, &hr);
        if (r == 0 && SUCCEEDED(hr) && main_pid == pid)
                return true;
        if (r < 0)
                snprintf(why, size, " (its MainPID unknown: dcomlaunch, which asks the service "
                         "manager, is not reachable: %s)", strerror(-r));
        else if (FAILED(hr))
                snprintf(why, size, " (its MainPID unknown: dcomlaunch answered 0x%08x)",
                         (unsigned)hr);
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        FILE *f = fopen(path, "re");
        bool in = false;
        size_t ul = strlen(unit);
        while (f && !in && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                size_t n = strlen(line);
                /* "0::/system.slice/NAME.service": the unit's own cgroup, not a
                   sub-cgroup a delegated unit could create */
                in = n > ul && line[n - ul - 1] == '/' && strcmp(line + n - ul, unit) == 0;
        }
        if (f)
                fclose(f);
        return in;
}

/* --- the class table ------------------------------------------------------------------------ */

error_status_t scm_register_class(handle_t h, OXID oxid, GUID *clsid, ULONG cookie, ULONG flags) {
        struct rpc_peer who;
        uint64_t owner = rpc_call_owner(h);
        char ep[64], id[DCOM_GUID_STRING_REG];
        error_status_t st;
        unsigned mine = 0;

        if (!clsid)
                return ERROR_INVALID_PARAMETER;
        if (rpc_call_protseq(h) != RPC_PROTSEQ_LRPC || rpc_call_peer(h, &who) < 0 || !who.has_cred ||
            owner == 0)
                return ERROR_ACCESS_DENIED;
        /* the OXID must be the caller's own: that is where its activations go */
        st = oxid_caller_endpoint(h, oxid, ep, sizeof ep);
        if (st)
                return st;
        /* a LocalService class: only its unit registers it */
        char unit[256];
        GUID appid;
        bool service = local_service(clsid, unit, sizeof unit, &appid);
        char why[160];
        if (service && !pid_of_unit(who.pid, &appid, unit, why, sizeof why)) {
                clsid_str(clsid, id);
                rpc_audit("registration of class %s refused to pid %d (uid %u): the class is "
                          "served by %s (its AppID's LocalService), and pid %d is not that "
                          "unit's main process or in its cgroup%s", id, (int)who.pid,
                          (unsigned)who.uid, unit, (int)who.pid, why);
                return ERROR_ACCESS_DENIED;
        }
        pthread_mutex_lock(&tab.lock);
        for (struct class_ent *c = tab.classes; c; c = c->next) {
                if (c->owner != owner)
                        continue;
                mine++;
                if (c->cookie == cookie)
                        st = ERROR_ALREADY_EXISTS;
        }
        if (!st && (tab.n_classes >= SCM_MAX_CLASSES || mine >= SCM_MAX_CLASSES_PER_OWNER))
                st = RPC_S_OUT_OF_RESOURCES;
        struct class_ent *c = st ? NULL : dcom_calloc(1, sizeof *c);
        if (!st && !c)
                st = ERROR_OUTOFMEMORY;
        if (c) {
                c->clsid = *clsid;
                c->cookie = cookie;
                c->flags = flags;
                c->owner = owner;
                c->uid = who.uid;
                c->pid = who.pid;
                c->launched = service;          /* the unit's, whatever its user */
                for (struct launch *l = tab.launches; l; l = l->next)
                        if (l->pid == who.pid && dcom_guid_equal(&l->clsid, clsid))
                                c->launched = true;
                snprintf(c->ep, sizeof c->ep, "%s", ep);
                c->next = tab.classes;
                tab.classes = c;
                tab.n_classes++;
                pthread_cond_broadcast(&tab.changed);
        }
        pthread_mutex_unlock(&tab.lock);
        clsid_str(clsid, id);
        log_debug(com, "RegisterClass %s cookie %u by uid %u pid %d: %u", id, (unsigned)cookie,
                  (unsigned)who.uid, (int)who.pid, (unsigned)st);
        return st;
}

static void unlink_locked(struct class_ent **pp) {
        struct class_ent *c = *pp;

        *pp = c->next;
        tab.n_classes--;
        dcom_free(c);
}

error_status_t scm_revoke_class(handle_t h, ULONG cookie) {
        uint64_t owner = rpc_call_owner(h);

        if (rpc_call_protseq(h) != RPC_PROTSEQ_LRPC || owner == 0)
                return ERROR_ACCESS_DENIED;
        pthread_mutex_lock(&tab.lock);
        for (struct class_ent **pp = &tab.classes; *pp; pp = &(*pp)->next)
                if ((*pp)->owner == owner && (*pp)->cookie == cookie) {
                        unlink_locked(pp);
                        break;
                }
        pthread_mutex_unlock(&tab.lock);
        return 0;
}

void scm_forget_owner(uint64_t owner) {
        unsigned n = 0;

        if (owner == 0)
                return;
        pthread_mutex_lock(&tab.lock);
        for (struct class_ent **pp = &tab.classes; *pp;) {
                if ((*pp)->owner == owner) {
                        unlink_locked(pp);
                        n++;
                } else {
                        pp = &(*pp)->next;
                }
        }
        if (n)
                pthread_cond_broadcast(&tab.changed);
        pthread_mutex_unlock(&tab.lock);
        if (n)
                log_debug(com, "owner %llu gone: %u class registrations revoked",
                          (unsigned long long)owner, n);
}

/* --- who activates, as whom the class runs -------------------------------------------------- */

struct caller {
        bool local;
        uid_t uid;                      /* the Unix user (ANY_UID: none) */
        char name[520];                 /* for log lines */
};

/* The caller, and whether it may activate at all (E_ACCESSDENIED with an audit line). */
static HRESULT who_calls(handle_t h, struct caller *c) {
        struct rpc_peer peer;
        struct rpc_identity id;
        uint8_t type = 0, level = 0;
        void *ctx = NULL;

        memset(c, 0, sizeof *c);
        c->uid = ANY_UID;
        if (rpc_call_protseq(h) == RPC_PROTSEQ_LRPC) {
                if (rpc_call_peer(h, &peer) < 0 || !peer.has_cred)
                        return E_ACCESSDENIED;
                c->local = true;
                c->uid = peer.uid;
                snprintf(c->name, sizeof c->name, "local uid %u", (unsigned)peer.uid);
                return S_OK;
        }
        if (rpc_call_auth(h, &type, &level, &ctx) < 0 || rpc_call_identity(h, &id) < 0 ||
            id.anonymous) {
                rpc_audit("activation refused: an unauthenticated caller");
                return E_ACCESSDENIED;
        }
        snprintf(c->name, sizeof c->name, "%s\\%s", id.domain, id.user);
        /* [MS-DCOM] 3.1.2.5.2.3: RequireIntegrityActivationAuthenticationLevel */
        if (tab.require_integrity && level < RPC_AUTHN_LEVEL_PKT_INTEGRITY) {
                rpc_audit("activation refused to %s: authentication level %u is below "
                          "packet integrity", c->name, (unsigned)level);
                return E_ACCESSDENIED;
        }
        if (id.has_uid)
                c->uid = id.uid;
        return S_OK;
}

/*
 * The AppID's launch and activation permissions ([MS-DCOM] 3.1.2.5.2.3 in spirit; the
 * rules are src/security/settings.c's): EnableDCOM, MachineLaunchRestriction, then the
 * class's AppID LaunchPermission or DefaultLaunchPermission, for a launch (a new server
 * process) and for an activation (in a running one).  E_ACCESSDENIED when neither is
 * allowed, with the audit line saying why and what would grant it.
 */
struct permits {
        bool launch, activate;
        char why_launch[1024], why_activate[1024];
};

static HRESULT scm_check_launch(handle_t h, const GUID *clsid, const struct caller *c,
                                struct permits *p) {
        struct sec_machine m;
        struct sec_appid app;
        struct sec_token *t = NULL;
        bool has_app = false, remote = false;
        GUID appid;
        int r;

        memset(p, 0, sizeof *p);
        if ((r = sec_token_from_call(h, &t, NULL, &remote)) < 0) {
                rpc_audit("activation refused to %s: the caller cannot be named", c->name);
                return E_ACCESSDENIED;
        }
        if ((r = sec_machine_load(&m)) < 0) {
                sec_token_free(t);
                return E_OUTOFMEMORY;
        }
        if (sec_appid_of_clsid(clsid, &appid) >= 0 && sec_appid_load(&appid, &app) >= 0)
                has_app = true;
        r = sec_check_launch(&m, has_app ? &app : NULL, t, remote, SEC_LAUNCH, p->why_launch,
                             sizeof p->why_launch);
        p->launch = r > 0;
        r = sec_check_launch(&m, has_app ? &app : NULL, t, remote, SEC_ACTIVATE, p->why_activate,
                             sizeof p->why_activate);
        p->activate = r > 0;
        if (has_app)
                sec_appid_clear(&app);
        sec_machine_clear(&m);
        sec_token_free(t);
        if (!p->launch && !p->activate) {
                /* the reason that applies: activation if a server runs, else launch */
                bool running = false;
                pthread_mutex_lock(&tab.lock);
                for (struct class_ent *x = tab.classes; x && !running; x = x->next)
                        running = dcom_guid_equal(&x->clsid, clsid);
                pthread_mutex_unlock(&tab.lock);
                rpc_audit("activation refused: %s", running ? p->why_activate : p->why_launch);
                return E_ACCESSDENIED;
        }
        return S_OK;
}

/*
 * The user the class's server runs as: its AppID's RunAs (a user name; "Interactive
 * User": whoever runs it, ANY_UID), else the launching user.  E_ACCESSDENIED for a
 * remote caller whose account is no Unix user when the class has no RunAs.
 */
static HRESULT run_as(const GUID *clsid, const struct caller *c, uid_t *ret, bool *interactive) {
        char id[DCOM_GUID_STRING_REG], path[128], appid[64], user[256];

        *interactive = false;
        if (local_service(clsid, user, sizeof user, NULL)) {
                *ret = ANY_UID;         /* the unit's own user: the unit says */
                return S_OK;
        }
        clsid_str(clsid, id);
        snprintf(path, sizeof path, "CLSID\\%s", id);
        if (reg_string(HKEY_CLASSES_ROOT, path, "AppID", appid, sizeof appid)) {
                snprintf(path, sizeof path, "AppID\\%s", appid);
                if (reg_string(HKEY_CLASSES_ROOT, path, "RunAs", user, sizeof user) && *user) {
                        if (strcasecmp(user, "Interactive User") == 0) {
                                *interactive = true;
                                *ret = ANY_UID;
                                return S_OK;
                        }
                        struct passwd pw, *res = NULL;
                        char buf[1024];
                        if (getpwnam_r(user, &pw, buf, sizeof buf, &res) != 0 || !res) {
                                say("activation of %s: RunAs user '%s' does not exist",
                                         id, user);
                                return CO_E_RUNAS_LOGON_FAILURE;
                        }
                        *ret = res->pw_uid;
                        return S_OK;
                }
        }
        if (c->uid == ANY_UID) {
                rpc_audit("activation of %s refused to %s: the account is not a user of this "
                          "machine and the class has no RunAs", id, c->name);
                return E_ACCESSDENIED;
        }
        *ret = c->uid;
        return S_OK;
}

/* Whether dcomlaunch can start a server for the class: a LocalServer32, or an
   InprocServer32 whose AppID has a DllSurrogate (run in a surrogate host). */
static bool has_local_server(const GUID *clsid) {
        char id[DCOM_GUID_STRING_REG], path[128], cmd[8], appid[64];

        char unit[256];
        if (local_service(clsid, unit, sizeof unit, NULL))
                return true;
        clsid_str(clsid, id);
        snprintf(path, sizeof path, "CLSID\\%s\\LocalServer32", id);
        if (reg_string(HKEY_CLASSES_ROOT, path, NULL, cmd, sizeof cmd))
                return true;
        snprintf(path, sizeof path, "CLSID\\%s\\InprocServer32", id);
        if (!reg_string(HKEY_CLASSES_ROOT, path, NULL, cmd, sizeof cmd))
                return false;
        snprintf(path, sizeof path, "CLSID\\%s", id);
        if (!reg_string(HKEY_CLASSES_ROOT, path, "AppID", appid, sizeof appid))
                return false;
        snprintf(path, sizeof path, "AppID\\%s", appid);
        return reg_string(HKEY_CLASSES_ROOT, path, "DllSurrogate", cmd, sizeof cmd);
}

/* A registration of clsid for uid (any for ANY_UID), taken: a single-use one leaves the
   table.  false if none. */
/* The first registration that serves clsid as uid; with take, a single-use one is
   consumed.  out may be NULL (a look only). */
static bool find_locked(const GUID *clsid, uid_t uid, struct class_ent *out, bool take) {
        for (struct class_ent **pp = &tab.classes; *pp; pp = &(*pp)->next) {
                struct class_ent *c = *pp;
                if (!dcom_guid_equal(&c->clsid, clsid))
                        continue;
                /* "Interactive User" (ANY_UID): whoever runs it, as long as dcomlaunch
                   started it (or root registered it) -- not a class object any local user
                   could register to catch the activations */
                if (uid == ANY_UID ? !c->launched && c->uid != 0 : c->uid != uid)
                        continue;
                if (out)
                        *out = *c;
                if (take && !(c->flags & (REGCLS_MULTIPLEUSE | REGCLS_MULTI_SEPARATE)))
                        unlink_locked(pp);      /* REGCLS_SINGLEUSE: one activation */
                return true;
        }
        return false;
}

static bool take_locked(const GUID *clsid, uid_t uid, struct class_ent *out) {
        return find_locked(clsid, uid, out, true);
}

static struct launch *launch_find_locked(const GUID *clsid, uid_t uid) {
        for (struct launch *l = tab.launches; l; l = l->next)
                if (dcom_guid_equal(&l->clsid, clsid) && l->uid == uid)
                        return l;
        return NULL;
}

static void deadline_in(struct timespec *ts, unsigned ms) {
        clock_gettime(CLOCK_MONOTONIC, ts);
        ts->tv_sec += ms / 1000;
        ts->tv_nsec += (long)(ms % 1000) * 1000000;
        if (ts->tv_nsec >= 1000000000) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000;
        }
}

static bool past(const struct timespec *ts) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* A launch in the table, so that activations meanwhile wait for it. */
static HRESULT launch_begin_locked(const GUID *clsid, uid_t uid, struct launch **ret) {
        struct launch *l;

        if (tab.n_launches >= SCM_MAX_LAUNCHES)
                return CO_E_SERVER_EXEC_FAILURE;
        if (!(l = dcom_calloc(1, sizeof *l)))
                return E_OUTOFMEMORY;
        *ret = l;
        l->clsid = *clsid;
        l->uid = uid;
        l->next = tab.launches;
        tab.launches = l;
        tab.n_launches++;
        return S_OK;
}

static void launch_end_locked(struct launch *l) {
        for (struct launch **pp = &tab.launches; *pp; pp = &(*pp)->next)
                if (*pp == l) {
                        *pp = l->next;
                        break;
                }
        tab.n_launches--;
        dcom_free(l);
        pthread_cond_broadcast(&tab.changed);
}

/* Up to 50 ms for a registration (the condition's clock is the realtime one: the
   monotonic deadline is the caller's). */
static void wait_step_locked(void) {
        struct timespec step;
        clock_gettime(CLOCK_REALTIME, &step);
        step.tv_nsec += 50 * 1000000L;
        if (step.tv_nsec >= 1000000000L) {
                step.tv_sec++;
                step.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&tab.changed, &tab.lock, &step);
}

/*
 * Starts the class's server through dcomlaunch and waits (the lock held, released while
 * waiting) until it registers the class, exits, or the timeout passes.
 */
static HRESULT launch_locked(const GUID *clsid, uid_t uid, uid_t launching_uid, bool remote) {
        char id[DCOM_GUID_STRING_REG];
        struct launch *l;
        struct timespec until;
        HRESULT hr = S_OK;
        pid_t pid = 0;
        int fd = -1, r;

        clsid_str(clsid, id);
        if (FAILED(hr = launch_begin_locked(clsid, uid, &l)))
                return hr;
        pthread_mutex_unlock(&tab.lock);

        r = launch_request(clsid, launching_uid, remote ? LAUNCH_FLAG_REMOTE : 0, LAUNCH_REQUEST_MS,
                           &fd, &pid, &hr);
        pthread_mutex_lock(&tab.lock);
        l->pid = r >= 0 && SUCCEEDED(hr) ? pid : 0;
        /* a registration quicker than dcomlaunch's answer */
        for (struct class_ent *c = tab.classes; c && l->pid; c = c->next)
                if (c->pid == l->pid && dcom_guid_equal(&c->clsid, clsid))
                        c->launched = true;
        pthread_mutex_unlock(&tab.lock);
        if (r < 0) {
                say("activation of %s: the DCOM server process launcher (dcomlaunch) "
                               "is not reachable: %s", id, strerror(-r));
                hr = HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
        } else if (FAILED(hr)) {
                say("activation of %s: dcomlaunch could not start its server: 0x%08x",
                         id, (unsigned)hr);
        }

        pthread_mutex_lock(&tab.lock);
        deadline_in(&until, tab.launch_timeout_ms);
        while (SUCCEEDED(hr)) {
                struct class_ent *found = NULL;
                for (struct class_ent *c = tab.classes; c && !found; c = c->next)
                        if (dcom_guid_equal(&c->clsid, clsid) &&
                            (c->pid == pid || (uid != ANY_UID && c->uid == uid)))
                                found = c;
                if (found)
                        break;
                int status = 0;
                HRESULT why = CO_E_SERVER_EXEC_FAILURE;
                int e = launch_read_exited(fd, &why, &status);
                if (e == 1) {
                        say("activation of %s: its server (pid %d) exited with status "
                                       "%d before registering the class", id, (int)pid,
                                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                        hr = CO_E_SERVER_EXEC_FAILURE;
                        break;
                }
                if (past(&until)) {
                        say("activation of %s: its server (pid %d) did not register "
                                       "the class within %u ms", id, (int)pid, tab.launch_timeout_ms);
                        hr = CO_E_SERVER_EXEC_FAILURE;
                        break;
                }
                /* the exit notice comes on the socket, registrations on the condition */
                wait_step_locked();
        }
        if (fd >= 0)
                close(fd);
        launch_end_locked(l);
        return hr;
}

/*
 * Starts a LocalService class's unit and waits (the lock held, released while waiting)
 * until the unit registers the class or the timeout passes.
 */
static HRESULT service_launch_locked(const GUID *clsid, const GUID *appid, const char *unit) {
        char id[DCOM_GUID_STRING_REG];
        struct launch *l;
        struct timespec until;
        HRESULT hr = S_OK;
        pid_t main_pid = 0;
        int r;

        clsid_str(clsid, id);
        if (FAILED(hr = launch_begin_locked(clsid, ANY_UID, &l)))
                return hr;
        pthread_mutex_unlock(&tab.lock);
        r = launch_service(appid, LAUNCH_FLAG_SERVICE_START, SERVICE_REQUEST_MS, &main_pid, &hr);
        if (r < 0) {
                say("activation of %s: the DCOM server process launcher (dcomlaunch), which "
                    "starts its service %s, is not reachable: %s", id, unit, strerror(-r));
                hr = HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
        } else if (FAILED(hr)) {
                say("activation of %s: dcomlaunch could not start its service %s: 0x%08x (its "
                    "log says why; `systemctl status %s`)", id, unit, (unsigned)hr, unit);
        }
        pthread_mutex_lock(&tab.lock);
        deadline_in(&until, tab.launch_timeout_ms);
        while (SUCCEEDED(hr) && !find_locked(clsid, ANY_UID, NULL, false)) {
                if (past(&until)) {
                        say("activation of %s: its service %s did not register the class "
                            "within %u ms", id, unit, tab.launch_timeout_ms);
                        hr = CO_E_SERVER_EXEC_FAILURE;
                        break;
                }
                wait_step_locked();
        }
        launch_end_locked(l);
        return hr;
}

/* --- the activation ------------------------------------------------------------------------- */

struct result {
        HRESULT hr;                     /* the activation's */
        DWORD n;
        HRESULT *hrs;                   /* per interface (the call's arena) */
        MInterfacePointer **ifaces;
        OXID oxid;
        DUALSTRINGARRAY *bindings;
        IPID ipid_remunk;
        DWORD hint;
};

/* Asks the server (its objact interface) for the object. */
static int objact_call(const struct class_ent *c, bool class_object, DWORD dest_ctx, DWORD n,
                       const IID *iids, struct result *res) {
        struct rpc_binding *b = NULL;
        char sb[96];
        HRESULT hr = E_UNEXPECTED;
        GUID clsid = c->clsid;
        int r;

        snprintf(sb, sizeof sb, "ncalrpc:[%s]", c->ep);
        r = rpc_binding_from_string(sb, &b);
        if (r < 0)
                return r;
        rpc_binding_set_timeout(b, OBJACT_TIMEOUT_MS);
        /* [out] arrays of the server call's arena; the interface pointers in them are ours,
           from the heap (a client's [out] data): they go with that arena, once our reply
           has carried them */
        r = objact_ObjactCreate((handle_t)b, c->cookie, &clsid, class_object, dest_ctx, n,
                                (IID *)iids, res->hrs, res->ifaces, &hr);
        rpc_binding_free(b);
        if (r < 0)
                return r;
        res->hr = hr;
        struct arena *a = ndr_call_arena();
        for (DWORD i = 0; a && i < n; i++)
                if (res->ifaces[i] && arena_defer(a, dcom_free, res->ifaces[i]) < 0) {
                        res->ifaces[i] = NULL;          /* freed at once */
                        res->hrs[i] = E_OUTOFMEMORY;
                }
        return r;
}

/*
 * [MS-DCOM] 3.1.2.5.2.3: an activation of clsid asking for iids, for a client that can
 * use the towers protseqs; res filled (its arrays from the call's arena).
 */
static void activate(handle_t h, const GUID *clsid, bool class_object, DWORD dest_ctx, DWORD n,
                     const IID *iids, uint16_t n_protseqs, const uint16_t *protseqs,
                     struct result *res) {
        char id[DCOM_GUID_STRING_REG];
        struct caller who;
        struct class_ent c;
        struct permits permit;
        bool interactive = false;
        uid_t uid = ANY_UID;
        HRESULT hr;

        clsid_str(clsid, id);
        memset(res, 0, sizeof *res);
        res->n = n;
        res->hrs = midl_user_allocate(n * sizeof *res->hrs);
        res->ifaces = midl_user_allocate(n * sizeof *res->ifaces);
        if (!res->hrs || !res->ifaces) {
                res->hr = E_OUTOFMEMORY;
                return;
        }
        for (DWORD i = 0; i < n; i++) {
                res->hrs[i] = E_NOINTERFACE;
                res->ifaces[i] = NULL;
        }
        hr = who_calls(h, &who);
        /* a class nobody runs and nothing can start: said before anything else */
        if (SUCCEEDED(hr) && !has_local_server(clsid)) {
                bool running = false;
                pthread_mutex_lock(&tab.lock);
                for (struct class_ent *x = tab.classes; x && !running; x = x->next)
                        running = dcom_guid_equal(&x->clsid, clsid);
                pthread_mutex_unlock(&tab.lock);
                if (!running)
                        hr = REGDB_E_CLASSNOTREG;
        }
        if (SUCCEEDED(hr))
                hr = scm_check_launch(h, clsid, &who, &permit);
        if (SUCCEEDED(hr))
                hr = run_as(clsid, &who, &uid, &interactive);
        if (FAILED(hr)) {
                res->hr = hr;
                return;
        }
        log_debug(com, "activation of %s for %s (%u interfaces)", id, who.name, (unsigned)n);

        /* a registration, or the server started; a server gone meanwhile is started again */
        res->hr = CO_E_SERVER_EXEC_FAILURE;     /* until a server answers */
        for (int attempt = 0; attempt < 3; attempt++) {
                bool got;

                pthread_mutex_lock(&tab.lock);
                for (;;) {
                        /* a running server needs activation permission, a new one
                           launch permission: looked at before anything is taken */
                        if (find_locked(clsid, uid, NULL, false) && !permit.activate) {
                                got = true;
                                break;
                        }
                        got = take_locked(clsid, uid, &c);
                        if (got || !launch_find_locked(clsid, uid))
                                break;
                        pthread_cond_wait(&tab.changed, &tab.lock);     /* another's launch */
                }
                if (got && !permit.activate) {
                        pthread_mutex_unlock(&tab.lock);
                        rpc_audit("activation refused: %s", permit.why_activate);
                        res->hr = E_ACCESSDENIED;
                        return;
                }
                if (!got && !permit.launch && has_local_server(clsid)) {
                        pthread_mutex_unlock(&tab.lock);
                        rpc_audit("activation refused: %s", permit.why_launch);
                        res->hr = E_ACCESSDENIED;
                        return;
                }
                if (!got) {
                        if (!has_local_server(clsid)) {
                                pthread_mutex_unlock(&tab.lock);
                                log_debug(com, "activation of %s: class not registered", id);
                                res->hr = REGDB_E_CLASSNOTREG;
                                return;
                        }
                        char unit[256];
                        GUID appid;
                        if (local_service(clsid, unit, sizeof unit, &appid))
                                hr = service_launch_locked(clsid, &appid, unit);
                        else
                                hr = launch_locked(clsid, uid, uid == ANY_UID ? who.uid : uid,
                                                   !who.local);
                        got = SUCCEEDED(hr) && take_locked(clsid, uid, &c);
                }
                pthread_mutex_unlock(&tab.lock);
                if (FAILED(hr)) {
                        res->hr = hr;
                        return;
                }
                if (!got)
                        continue;       /* taken by another activation meanwhile */
                int r = objact_call(&c, class_object, dest_ctx, n, iids, res);
                if (r >= 0)
                        break;
                /* the server went away: forget it, try another or a new one */
                log_debug(com, "activation of %s: server pid %d did not answer: %s", id,
                          (int)c.pid, strerror(-r));
                pthread_mutex_lock(&tab.lock);
                for (struct class_ent **pp = &tab.classes; *pp; pp = &(*pp)->next)
                        if ((*pp)->owner == c.owner && (*pp)->cookie == c.cookie) {
                                unlink_locked(pp);
                                break;
                        }
                pthread_mutex_unlock(&tab.lock);
                res->hr = CO_E_SERVER_EXEC_FAILURE;
        }
        if (FAILED(res->hr))
                return;

        /* where the object lives: the first interface's OBJREF names its OXID */
        for (DWORD i = 0; i < n; i++) {
                struct objref o;
                if (FAILED(res->hrs[i]) || !res->ifaces[i])
                        continue;
                if (objref_parse(res->ifaces[i]->abData, res->ifaces[i]->ulCntData, &o, NULL) < 0) {
                        res->hr = RPC_E_INVALID_OBJREF;
                        return;
                }
                bool std = o.flags == OBJREF_STANDARD || o.flags == OBJREF_HANDLER ||
                           o.flags == OBJREF_EXTENDED;
                OXID oxid = o.std.oxid;
                objref_clear(&o);
                if (!std)
                        continue;       /* custom-marshaled: no OXID to name */
                res->oxid = oxid;
                if (oxid_resolve(oxid, n_protseqs, protseqs, &res->bindings, &res->ipid_remunk,
                                 &res->hint)) {
                        res->hr = CO_E_SERVER_EXEC_FAILURE;
                        return;
                }
                break;
        }
        if (!res->bindings) {
                /* no standard OBJREF: an empty binding list, as Windows sends */
                res->bindings = midl_user_allocate(sizeof *res->bindings + 8);
                if (!res->bindings) {
                        res->hr = E_OUTOFMEMORY;
                        return;
                }
                memset(res->bindings, 0, sizeof *res->bindings + 8);
                res->bindings->wNumEntries = 4;
                res->bindings->wSecurityOffset = 2;
        }
        log_debug(com, "activation of %s: 0x%08x", id, (unsigned)res->hr);
}

static void orpcthat_init(ORPCTHAT *t) {
        t->flags = 0;
        t->extensions = NULL;
}

/* [MS-DCOM] 3.1.2.5.2.3.2 and .3 */
static HRESULT remote_activate(handle_t h, ORPCTHIS *orpcthis, ORPCTHAT *orpcthat,
                               MInterfacePointer *pUnkOuter, MInterfacePointer *in,
                               MInterfacePointer **out, bool class_object) {
        struct actprops_in req;
        struct result res;
        struct arena *a = h ? ((struct ndr_server_call *)h)->arena : NULL;
        uint8_t *blob = NULL;
        size_t len = 0;
        int r;

        orpcthat_init(orpcthat);
        *out = NULL;
        if (!orpcthis || orpcthis->version.MajorVersion != 5)
                return RPC_E_VERSION_MISMATCH;
        if (pUnkOuter)
                return CLASS_E_NOAGGREGATION;
        if (!in || !a)
                return E_INVALIDARG;
        r = actprops_in_parse(in->abData, in->ulCntData, a, &req);
        if (r < 0) {
                rpc_audit("activation refused: malformed activation properties (%s)", strerror(-r));
                return r == -ENOMEM ? E_OUTOFMEMORY : E_INVALIDARG;
        }
        if (req.client_version.MajorVersion && req.client_version.MajorVersion != 5)
                return RPC_E_VERSION_MISMATCH;
        if (class_object && req.n_iids != 1)
                return E_INVALIDARG;
        /* the object is marshaled for where the caller is, not where it says it is: a
           peer asking MSHCTX_INPROC would get the free-threaded marshaler's address (and
           an export that is never pinged); [MS-DCOM] 2.2.22.2.5's destCtx is the client's
           word, MSHCTX_LOCAL or MSHCTX_DIFFERENTMACHINE */
        DWORD dest = rpc_call_protseq(h) == RPC_PROTSEQ_LRPC && req.dest_ctx != 2
                             ? 0 /* MSHCTX_LOCAL */
                             : 2 /* MSHCTX_DIFFERENTMACHINE */;
        activate(h, &req.clsid, class_object, dest, req.n_iids, req.iids, req.n_protseqs,
                 req.protseqs, &res);
        if (FAILED(res.hr))
                return res.hr;
        struct actprops_out o = {
                .n = req.n_iids, .iids = req.iids, .hrs = res.hrs, .ifaces = res.ifaces,
                .oxid = res.oxid, .bindings = res.bindings, .ipid_remunk = res.ipid_remunk,
                .authn_hint = res.hint, .server_version = { 5, 7 },
        };
        r = actprops_out_build(&o, &blob, &len);
        if (r < 0)
                return E_OUTOFMEMORY;
        MInterfacePointer *mip = midl_user_allocate(sizeof *mip + len);
        if (!mip) {
                dcom_free(blob);
                return E_OUTOFMEMORY;
        }
        mip->ulCntData = (ULONG)len;
        memcpy(mip->abData, blob, len);
        dcom_free(blob);
        *out = mip;
        return res.hr;
}

static HRESULT scm_get_class_object(handle_t h, ORPCTHIS *orpcthis, ORPCTHAT *orpcthat,
                                    MInterfacePointer *in, MInterfacePointer **out) {
        return remote_activate(h, orpcthis, orpcthat, NULL, in, out, true);
}

static HRESULT scm_create_instance(handle_t h, ORPCTHIS *orpcthis, ORPCTHAT *orpcthat,
                                   MInterfacePointer *outer, MInterfacePointer *in,
                                   MInterfacePointer **out) {
        return remote_activate(h, orpcthis, orpcthat, outer, in, out, false);
}

static HRESULT scm_not_used(handle_t h) {
        (void)h;
        return E_NOTIMPL;               /* not reached: the dispatch refuses opnums 0-2 */
}

const struct IRemoteSCMActivator_v0_0_epv scm_remote_activator_epv = {
        .Opnum0NotUsedOnWire = scm_not_used,
        .Opnum1NotUsedOnWire = scm_not_used,
        .Opnum2NotUsedOnWire = scm_not_used,
        .RemoteGetClassObject = scm_get_class_object,
        .RemoteCreateInstance = scm_create_instance,
};

static struct ndr_interface activator_iface;
static struct ndr_op activator_ops[8];

static void activator_init(void) {
        const struct ndr_interface *gen = &IRemoteSCMActivator_v0_0_s_interface;

        activator_iface = *gen;
        for (uint32_t i = 0; i < gen->n_ops && i < 8; i++)
                activator_ops[i] = gen->ops[i];
        /* [MS-DCOM] 3.1.2.5.2.2: opnums 0-2 are not used on the wire (nca_op_rng_error) */
        for (uint32_t i = 0; i < 3; i++)
                activator_ops[i].dispatch = NULL;
        activator_iface.ops = activator_ops;
}

const struct ndr_interface *scm_remote_activator_interface(void) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, activator_init);
        return &activator_iface;
}

/* [MS-DCOM] 3.1.2.5.2.3.1: the old activation, answered directly */
static error_status_t scm_remote_activation(handle_t h, ORPCTHIS *orpcthis, ORPCTHAT *orpcthat,
                                            GUID *clsid, WCHAR *object_name,
                                            MInterfacePointer *storage, DWORD imp_level,
                                            DWORD mode, DWORD n, IID *iids, unsigned short n_protseqs,
                                            unsigned short *protseqs, OXID *oxid,
                                            DUALSTRINGARRAY **bindings, IPID *ipid_remunk,
                                            DWORD *hint, COMVERSION *version, HRESULT *phr,
                                            PMInterfacePointer *ifaces, HRESULT *results) {
        struct result res;

        (void)imp_level;
        orpcthat_init(orpcthat);
        *oxid = 0;
        *bindings = NULL;
        memset(ipid_remunk, 0, sizeof *ipid_remunk);
        *hint = 0;
        version->MajorVersion = 5;
        version->MinorVersion = 7;
        for (DWORD i = 0; i < n; i++) {
                ifaces[i] = NULL;
                results[i] = E_NOINTERFACE;
        }
        if (!orpcthis || orpcthis->version.MajorVersion != 5) {
                *phr = RPC_E_VERSION_MISMATCH;
                return 0;
        }
        if (object_name || storage || !clsid || !iids) {
                /* persistent activation (CoGetInstanceFromFile) is not served */
                *phr = object_name || storage ? E_NOTIMPL : E_INVALIDARG;
                return 0;
        }
        bool class_object = mode == MODE_GET_CLASS_OBJECT;
        if (class_object && n != 1) {
                *phr = E_INVALIDARG;
                return 0;
        }
        activate(h, clsid, class_object, 2 /* MSHCTX_DIFFERENTMACHINE */, n, iids, n_protseqs,
                 protseqs, &res);
        *phr = res.hr;
        if (FAILED(res.hr))
                return 0;
        *oxid = res.oxid;
        *bindings = res.bindings;
        *ipid_remunk = res.ipid_remunk;
        *hint = res.hint;
        for (DWORD i = 0; i < n; i++) {
                ifaces[i] = res.ifaces[i];
                results[i] = res.hrs[i];
        }
        return 0;
}

const struct IActivation_v0_0_epv scm_activation_epv = {
        .RemoteActivation = scm_remote_activation,
};
