/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DCOM settings model (settings.h): HKLM\Software\Microsoft\Ole and HKCR\AppID with
 * Windows' defaults, and the launch and access decisions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base-internal.h"
#include "base/log.h"
#include "dcom/utf16.h"
#include "security/settings.h"

static LOG_CHANNEL(security);

#define OLE_KEY "Software\\Microsoft\\Ole"

/*
 * Windows' defaults when the values are absent (learn.microsoft.com, "MachineLaunchRestriction",
 * "MachineAccessRestriction", "DefaultLaunchPermission", "DefaultAccessPermission"): the
 * COM rights are CC execute, DC execute local / local launch, LC execute remote / remote
 * launch, SW local activation, RP remote activation.
 *   launch restriction: Administrators everything, Everyone local launch and activation,
 *     Distributed COM Users everything;
 *   access restriction: Everyone local and remote access, ANONYMOUS LOGON local access,
 *     Distributed COM Users local and remote access;
 *   default launch: Administrators, SYSTEM, INTERACTIVE everything;
 *   default access: SELF, SYSTEM (and Administrators), built with the process's user.
 */
const char sec_default_launch_restriction[] =
        "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;WD)(A;;CCDCLCSWRP;;;S-1-5-32-562)";
const char sec_default_access_restriction[] =
        "O:BAG:BAD:(A;;CCDCLC;;;WD)(A;;CCDC;;;AN)(A;;CCDCLC;;;S-1-5-32-562)";
const char sec_default_launch_permission[] =
        "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCLCSWRP;;;SY)(A;;CCDCLCSWRP;;;IU)";

/* --- the registry in UTF-8 ------------------------------------------------------------------ */

static int wide(const char *s, WCHAR **ret) {
        *ret = NULL;
        return s ? dcom_utf8_to_utf16(s, strlen(s), ret, NULL) : 0;
}

/* RegGetValueW with a malloc'd buffer of the value's size; ERROR_* */
static LSTATUS get_value(HKEY root, const char *path, const char *value, DWORD flags,
                         DWORD *ret_type, void **ret, DWORD *ret_size) {
        WCHAR *wpath = NULL, *wvalue = NULL;
        DWORD size = 0;
        void *data = NULL;
        LSTATUS st;

        *ret = NULL;
        if (wide(path, &wpath) < 0 || wide(value, &wvalue) < 0) {
                st = ERROR_NOT_ENOUGH_MEMORY;
                goto out;
        }
        st = RegGetValueW(root, wpath, wvalue, flags, ret_type, NULL, &size);
        for (int tries = 0; st == ERROR_SUCCESS && tries < 4; tries++) {
                free(data);
                if (!(data = malloc(size ? size : 1))) {
                        st = ERROR_NOT_ENOUGH_MEMORY;
                        break;
                }
                DWORD got = size;
                st = RegGetValueW(root, wpath, wvalue, flags, ret_type, data, &got);
                if (st == ERROR_MORE_DATA) {    /* it grew meanwhile */
                        size = got;
                        st = ERROR_SUCCESS;
                        continue;
                }
                if (st == ERROR_SUCCESS) {
                        *ret = data;
                        *ret_size = got;
                        data = NULL;
                }
                break;
        }
out:
        free(data);
        free(wpath);
        free(wvalue);
        return st;
}

bool sec_reg_string(HKEY root, const char *path, const char *value, char *out, size_t size) {
        void *data;
        DWORD n;
        char *u8 = NULL;
        bool ok = false;

        if (get_value(root, path, value, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND,
                      NULL, &data, &n) != ERROR_SUCCESS)
                return false;
        const WCHAR *w = data;
        size_t len = n / sizeof(WCHAR);
        while (len && w[len - 1] == 0)
                len--;
        if (dcom_utf16_to_utf8(w, len, &u8, NULL) >= 0 && strlen(u8) < size) {
                memcpy(out, u8, strlen(u8) + 1);
                ok = true;
        }
        free(u8);
        free(data);
        return ok;
}

bool sec_reg_dword(HKEY root, const char *path, const char *value, uint32_t *ret) {
        void *data;
        DWORD n;

        if (get_value(root, path, value, RRF_RT_REG_DWORD, NULL, &data, &n) != ERROR_SUCCESS)
                return false;
        bool ok = n == sizeof(uint32_t);
        if (ok)
                memcpy(ret, data, sizeof *ret);
        free(data);
        return ok;
}

bool sec_reg_binary(HKEY root, const char *path, const char *value, void **ret, size_t *ret_len) {
        void *data;
        DWORD n;

        if (get_value(root, path, value, RRF_RT_REG_BINARY, NULL, &data, &n) != ERROR_SUCCESS)
                return false;
        *ret = data;
        *ret_len = n;
        return true;
}

/* "Y"/"N" values (EnableDCOM...): def when absent or neither */
static bool reg_yes(const char *value, bool def) {
        char s[8];

        if (!sec_reg_string(HKEY_LOCAL_MACHINE, OLE_KEY, value, s, sizeof s))
                return def;
        if (strcasecmp(s, "Y") == 0)
                return true;
        if (strcasecmp(s, "N") == 0)
                return false;
        return def;
}

/* --- permissions ------------------------------------------------------------------------------- */

static void perm_clear(struct sec_perm *p) {
        free(p->sd);
        memset(p, 0, sizeof *p);
}

static int perm_from_sddl(struct sec_perm *p, const char *sddl, const char *source) {
        perm_clear(p);
        int r = sec_sddl_parse(sddl, &p->sd, &p->len);
        if (r < 0)
                return r;
        snprintf(p->source, sizeof p->source, "%s", source);
        return 0;
}

/* A REG_BINARY descriptor: 1 read, 0 absent, -EBADMSG malformed (logged). */
static int perm_from_registry(struct sec_perm *p, HKEY root, const char *path, const char *value,
                              const char *source) {
        void *sd;
        size_t len;

        perm_clear(p);
        if (!sec_reg_binary(root, path, value, &sd, &len))
                return 0;
        if (sec_sd_validate(sd, len) < 0) {
                log_debug(security, "%s is not a valid security descriptor (%zu bytes)", source, len);
                free(sd);
                return -EBADMSG;
        }
        p->sd = sd;
        p->len = len;
        p->set = true;
        snprintf(p->source, sizeof p->source, "%s", source);
        return 1;
}

/* A machine-wide value: the registry's, else the default (sddl; NULL: none). A malformed
   restriction admits no one; a malformed default permission falls back to Windows'. */
static int machine_perm(struct sec_perm *p, const char *value, const char *def, bool restriction) {
        char source[96];

        snprintf(source, sizeof source, "HKLM\\" OLE_KEY " %s", value);
        int r = perm_from_registry(p, HKEY_LOCAL_MACHINE, OLE_KEY, value, source);
        if (r > 0)
                return 0;
        if (r < 0 && restriction) {
                /* an empty DACL: nobody */
                r = perm_from_sddl(p, "O:BAG:BAD:", source);
                if (r >= 0)
                        p->set = true;
                return r;
        }
        if (!def)
                return 0;
        snprintf(source, sizeof source, "%s (Windows' default; HKLM\\" OLE_KEY " has none)", value);
        return perm_from_sddl(p, def, source);
}

int sec_machine_load(struct sec_machine *m) {
        uint32_t v;
        int r;

        memset(m, 0, sizeof *m);
        m->enable_dcom = reg_yes("EnableDCOM", true);
        m->enable_remote_connect = reg_yes("EnableRemoteConnect", true);
        m->legacy_secure_refs = reg_yes("LegacySecureReferences", false);
        /* seed 000: LegacyAuthenticationLevel 2 = RPC_C_AUTHN_LEVEL_CONNECT,
           LegacyImpersonationLevel 2 = RPC_C_IMP_LEVEL_IDENTIFY; both the defaults */
        m->legacy_authn_level = 2;
        if (sec_reg_dword(HKEY_LOCAL_MACHINE, OLE_KEY, "LegacyAuthenticationLevel", &v) &&
            v >= 1 && v <= 6)
                m->legacy_authn_level = (uint8_t)v;
        m->legacy_imp_level = 2;
        if (sec_reg_dword(HKEY_LOCAL_MACHINE, OLE_KEY, "LegacyImpersonationLevel", &v) &&
            v >= 1 && v <= 4)
                m->legacy_imp_level = (uint8_t)v;
        /* [MS-DCOM] 3.1.2.5.2.3 (the 2022 hardening, KB5004442): on unless 0 */
        m->require_integrity = true;
        if (sec_reg_dword(HKEY_LOCAL_MACHINE, OLE_KEY, "RequireIntegrityActivationAuthenticationLevel", &v))
                m->require_integrity = v != 0;

        if ((r = machine_perm(&m->launch_restriction, "MachineLaunchRestriction",
                              sec_default_launch_restriction, true)) < 0 ||
            (r = machine_perm(&m->access_restriction, "MachineAccessRestriction",
                              sec_default_access_restriction, true)) < 0 ||
            (r = machine_perm(&m->default_launch, "DefaultLaunchPermission",
                              sec_default_launch_permission, false)) < 0 ||
            (r = machine_perm(&m->default_access, "DefaultAccessPermission", NULL, false)) < 0) {
                sec_machine_clear(m);
                return r;
        }
        return 0;
}

void sec_machine_clear(struct sec_machine *m) {
        if (!m)
                return;
        perm_clear(&m->launch_restriction);
        perm_clear(&m->access_restriction);
        perm_clear(&m->default_launch);
        perm_clear(&m->default_access);
}

int sec_default_access(const struct sec_machine *m, const char *self_sid, struct sec_perm *ret) {
        char sddl[256];

        memset(ret, 0, sizeof *ret);
        if (m->default_access.sd) {
                if (!(ret->sd = malloc(m->default_access.len)))
                        return -ENOMEM;
                memcpy(ret->sd, m->default_access.sd, m->default_access.len);
                ret->len = m->default_access.len;
                ret->set = true;
                snprintf(ret->source, sizeof ret->source, "%s", m->default_access.source);
                return 0;
        }
        snprintf(sddl, sizeof sddl, "O:BAG:BAD:(A;;CCDCLC;;;%s)(A;;CCDCLC;;;SY)(A;;CCDCLC;;;BA)",
                 self_sid);
        return perm_from_sddl(ret, sddl, "DefaultAccessPermission (Windows' default: SELF, "
                              "SYSTEM, Administrators)");
}

/* --- applications ------------------------------------------------------------------------------ */

static int guid_value(const char *path, const char *value, GUID *ret) {
        char s[64];

        if (!sec_reg_string(HKEY_CLASSES_ROOT, path, value, s, sizeof s))
                return -ENOENT;
        return dcom_guid_parse(s, ret) < 0 ? -EBADMSG : 0;
}

int sec_appid_of_clsid(const GUID *clsid, GUID *ret) {
        char id[DCOM_GUID_STRING_REG], path[64];

        dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id);
        snprintf(path, sizeof path, "CLSID\\%s", id);
        return guid_value(path, "AppID", ret);
}

int sec_appid_of_exe(const char *exe, GUID *ret) {
        char path[300];

        /* a name with a backslash would name another key */
        if (!exe || !*exe || strchr(exe, '\\') || strlen(exe) > 255)
                return -ENOENT;
        snprintf(path, sizeof path, "AppID\\%s", exe);
        return guid_value(path, "AppID", ret);
}

/*
 * Endpoints (REG_MULTI_SZ): the static endpoints of the application's server, each
 * "protseq,flags,endpoint" -- "ncacn_ip_tcp,0,5000" puts its object exporter on TCP
 * port 5000 (for a firewall) instead of a dynamic one.  Other protocol sequences are not
 * served here and are said so.
 */
static void read_endpoints(const char *path, struct sec_appid *a) {
        void *data;
        DWORD n;

        if (get_value(HKEY_CLASSES_ROOT, path, "Endpoints", RRF_RT_REG_MULTI_SZ, NULL, &data,
                      &n) != ERROR_SUCCESS)
                return;
        const WCHAR *w = data;
        size_t len = n / sizeof(WCHAR);
        for (size_t i = 0; i < len && w[i];) {
                size_t k = i;
                while (k < len && w[k])
                        k++;
                char *u8 = NULL;
                if (dcom_utf16_to_utf8(w + i, k - i, &u8, NULL) >= 0) {
                        char proto[32];
                        unsigned flags, port;
                        char end;
                        if (sscanf(u8, "%31[^,],%u,%u%c", proto, &flags, &port, &end) == 3 &&
                            strcmp(proto, "ncacn_ip_tcp") == 0 && port > 0 && port < 65536)
                                a->tcp_port = (uint16_t)port;
                        else
                                log_debug(security, "HKCR\\%s Endpoints: '%s' is not served "
                                          "(only ncacn_ip_tcp,0,PORT)", path, u8);
                }
                free(u8);
                i = k + 1;
        }
        free(data);
}

int sec_appid_load(const GUID *appid, struct sec_appid *a) {
        /* source as long as the sec_perm field it is copied to ("HKCR\AppID\{...} Name"
           fits): gcc -O3 warns of a truncation otherwise */
        char path[64], source[sizeof a->launch.source], s[16];
        HKEY k;
        WCHAR *wpath = NULL;

        memset(a, 0, sizeof *a);
        a->appid = *appid;
        dcom_guid_format(appid, DCOM_GUID_FORMAT_REGISTRY, a->id);
        snprintf(path, sizeof path, "AppID\\%s", a->id);
        if (wide(path, &wpath) < 0)
                return -ENOMEM;
        LSTATUS st = RegOpenKeyExW(HKEY_CLASSES_ROOT, wpath, 0, KEY_READ, &k);
        free(wpath);
        if (st != ERROR_SUCCESS)
                return -ENOENT;
        RegCloseKey(k);

        sec_reg_string(HKEY_CLASSES_ROOT, path, NULL, a->name, sizeof a->name);
        snprintf(source, sizeof source, "HKCR\\%s LaunchPermission", path);
        /* a malformed per-application descriptor admits no one, rather than the default */
        if (perm_from_registry(&a->launch, HKEY_CLASSES_ROOT, path, "LaunchPermission", source) < 0 &&
            perm_from_sddl(&a->launch, "O:BAG:BAD:", source) >= 0)
                a->launch.set = true;
        snprintf(source, sizeof source, "HKCR\\%s AccessPermission", path);
        if (perm_from_registry(&a->access, HKEY_CLASSES_ROOT, path, "AccessPermission", source) < 0 &&
            perm_from_sddl(&a->access, "O:BAG:BAD:", source) >= 0)
                a->access.set = true;
        if (!sec_reg_dword(HKEY_CLASSES_ROOT, path, "AuthenticationLevel", &a->authn_level) ||
            a->authn_level > 6)
                a->authn_level = 0;
        sec_reg_string(HKEY_CLASSES_ROOT, path, "RunAs", a->run_as, sizeof a->run_as);
        a->has_surrogate = sec_reg_string(HKEY_CLASSES_ROOT, path, "DllSurrogate", a->dll_surrogate,
                                          sizeof a->dll_surrogate);
        sec_reg_string(HKEY_CLASSES_ROOT, path, "RemoteServerName", a->remote_server,
                       sizeof a->remote_server);
        sec_reg_string(HKEY_CLASSES_ROOT, path, "LocalService", a->local_service,
                       sizeof a->local_service);
        read_endpoints(path, a);
        (void)s;
        return 0;
}

void sec_appid_clear(struct sec_appid *a) {
        if (!a)
                return;
        perm_clear(&a->launch);
        perm_clear(&a->access);
}

/* --- decisions --------------------------------------------------------------------------------- */

/* The caller's name as dcomcnfg takes it: the account's name, else its SID. */
static void grantee(const struct sec_token *t, char *out, size_t n) {
        const char *sid = sec_token_user_sid(t);

        if (!sid || sec_lookup_sid(sid, out, n) < 0)
                snprintf(out, n, "%s", sid ? sid : "?");
}

static void app_name(const struct sec_appid *app, char *out, size_t n) {
        if (!app)
                snprintf(out, n, "an application with no AppID");
        else if (app->name[0])
                snprintf(out, n, "AppID %s \"%s\"", app->id, app->name);
        else
                snprintf(out, n, "AppID %s", app->id);
}

/* One check against one descriptor: 1 allowed, 0 refused, <0 a malformed descriptor (refused). */
static int check(const struct sec_perm *p, const struct sec_token *t, uint32_t want) {
        bool ok = false;

        if (!p->sd)
                return 1;
        int r = sec_com_check(p->sd, p->len, t, want, &ok);
        if (r < 0) {
                log_debug(security, "%s could not be checked: %s", p->source, strerror(-r));
                return 0;
        }
        return ok;
}

int sec_check_launch(const struct sec_machine *m, const struct sec_appid *app,
                     const struct sec_token *t, bool remote, enum sec_launch_what what,
                     char *why, size_t why_size) {
        const char *right = what == SEC_LAUNCH ? (remote ? "remote-launch" : "local-launch")
                                               : (remote ? "remote-activation" : "local-activation");
        uint32_t want = COM_RIGHTS_EXECUTE |
                (what == SEC_LAUNCH ? (remote ? COM_RIGHTS_EXECUTE_REMOTE : COM_RIGHTS_EXECUTE_LOCAL)
                                    : (remote ? COM_RIGHTS_ACTIVATE_REMOTE : COM_RIGHTS_ACTIVATE_LOCAL));
        char who[320], user[256], appn[320];

        sec_token_describe(t, who, sizeof who);
        grantee(t, user, sizeof user);
        app_name(app, appn, sizeof appn);
        if (remote && !m->enable_dcom) {
                snprintf(why, why_size, "%s refused to %s for %s: DCOM is off for this machine "
                         "(HKLM\\" OLE_KEY " EnableDCOM is N); to allow: dcomcnfg machine "
                         "--enable-dcom Y", right, who, appn);
                return 0;
        }
        if (remote && what == SEC_LAUNCH && !m->enable_remote_connect) {
                snprintf(why, why_size, "%s refused to %s for %s: remote launches are off "
                         "(HKLM\\" OLE_KEY " EnableRemoteConnect is N); to allow: dcomcnfg "
                         "machine --enable-remote-connect Y", right, who, appn);
                return 0;
        }
        /* the machine-wide restriction first: nothing below can grant what it refuses */
        if (!check(&m->launch_restriction, t, want)) {
                snprintf(why, why_size, "%s refused to %s for %s by the machine's launch "
                         "restriction (%s); to allow: dcomcnfg machine "
                         "--grant-launch-restriction '%s:%s'", right, who, appn,
                         m->launch_restriction.source, user, right);
                return 0;
        }
        const struct sec_perm *p = app && app->launch.sd ? &app->launch : &m->default_launch;
        if (!check(p, t, want)) {
                if (app)
                        snprintf(why, why_size, "%s refused to %s for %s by %s; to allow: "
                                 "dcomcnfg set %s --grant-launch '%s:%s'", right, who, appn,
                                 p->source, app->id, user, right);
                else
                        snprintf(why, why_size, "%s refused to %s for %s by %s; to allow: "
                                 "give the class an AppID (dcomcnfg) or dcomcnfg machine "
                                 "--grant-default-launch '%s:%s'", right, who, appn, p->source,
                                 user, right);
                return 0;
        }
        return 1;
}

int sec_check_access(const struct sec_machine *m, const struct sec_perm *access,
                     const struct sec_appid *app, const struct sec_token *t, bool remote,
                     char *why, size_t why_size) {
        const char *right = remote ? "remote-access" : "local-access";
        uint32_t want = COM_RIGHTS_EXECUTE | (remote ? COM_RIGHTS_EXECUTE_REMOTE : COM_RIGHTS_EXECUTE_LOCAL);
        char who[320], user[256], appn[320];

        if (remote && !m->enable_dcom) {
                snprintf(why, why_size, "%s refused: DCOM is off for this machine "
                         "(HKLM\\" OLE_KEY " EnableDCOM is N)", right);
                return 0;
        }
        if (check(&m->access_restriction, t, want) &&
            (!access || check(access, t, want)))
                return 1;
        sec_token_describe(t, who, sizeof who);
        grantee(t, user, sizeof user);
        app_name(app, appn, sizeof appn);
        if (!check(&m->access_restriction, t, want))
                snprintf(why, why_size, "%s refused to %s for %s by the machine's access "
                         "restriction (%s); to allow: dcomcnfg machine "
                         "--grant-access-restriction '%s:%s'", right, who, appn,
                         m->access_restriction.source, user, right);
        else if (app)
                snprintf(why, why_size, "%s refused to %s for %s by %s; to allow: dcomcnfg set "
                         "%s --grant-access '%s:%s'", right, who, appn, access->source, app->id,
                         user, right);
        else
                snprintf(why, why_size, "%s refused to %s for %s by %s; to allow: give the "
                         "process an AppID (HKCR\\AppID\\<its name> AppID, see dcomcnfg(8)) "
                         "with an access permission, or call CoInitializeSecurity", right, who,
                         appn, access->source);
        return 0;
}
