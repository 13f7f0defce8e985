/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomcnfg: Windows' DCOMCNFG as a command line.  Shows and edits what the settings model
 * (src/security/settings.h) reads: an application's HKCR\AppID\{appid} values and the
 * machine's HKLM\Software\Microsoft\Ole values.
 *
 *   dcomcnfg list                      applications, and legacy servers without an AppID
 *   dcomcnfg show APP                  every setting, its effective value and its source
 *   dcomcnfg set APP OPTION...         edits an application
 *   dcomcnfg machine [OPTION...]       shows or edits the machine-wide settings
 *
 * APP is an AppID, an application's name, an executable name (HKCR\AppID\<exe>, or the
 * program of a LocalServer32) or a CLSID.  Seed 003 (KB Q246054, "DCOMCNFG, APPID\.exe
 * Mapping and Implications") gives the rules DCOMCNFG follows and this tool keeps:
 *   - for a legacy server (no AppID anywhere) an AppID is synthesized from the first
 *     CLSID it serves, and the HKCR\AppID\<exe> mapping added -- only when none of
 *     HKCR\CLSID\{clsid} AppID, HKCR\AppID\{clsid}, HKCR\AppID\<exe> exists;
 *   - without the mapping, the application's own settings (custom access permission,
 *     endpoints, authentication level) are not applied to its server process: `show`
 *     says so;
 *   - the executable name is the one LocalServer32 starts (GetModuleFileName's name on
 *     Windows; here the basename of LocalServer32's program as written);
 *   - a custom access permission is written only when it is actually edited.
 * Every edit of one invocation happens in one registry transaction: it all takes effect,
 * or (an invalid option, a name that does not resolve) none of it does; an edit that
 * changes nothing writes nothing.
 *
 * Exit status: 0 done (or nothing to change), 1 failed (nothing was changed), 2 bad
 * command line (nothing was changed).
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "cmdline.h"
#include "base/alloc.h"
#include "base/version.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "security/security.h"
#include "security/settings.h"

enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
};

#define OLE_KEY "Software\\Microsoft\\Ole"

/* When DefaultAccessPermission is absent each server process admits its own user, SYSTEM
   and Administrators ("DefaultAccessPermission", learn.microsoft.com); as a descriptor to
   edit from, the process's own user is PRINCIPAL_SELF (PS), as DCOMCNFG shows it. */
static const char default_access_self[] =
        "O:BAG:BAD:(A;;CCDCLC;;;PS)(A;;CCDCLC;;;SY)(A;;CCDCLC;;;BA)";

static const char *const authn_names[] = {
        "default", "none", "connect", "call", "pkt", "integrity", "privacy",
};
static const char *const imp_names[] = {
        "default", "anonymous", "identify", "impersonate", "delegate",
};

/* ---- messages ---------------------------------------------------------------------------- */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("dcomcnfg: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'dcomcnfg --help' for more information.\n", stderr);
        return EXIT_USAGE;
}

static int failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failure(const char *fmt, ...) {
        va_list ap;

        fputs("dcomcnfg: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAIL;
}

static const char *reg_error(LSTATUS s) {
        switch (s) {
        case ERROR_ACCESS_DENIED:
                return "access denied (the machine's registry is root's)";
        case ERROR_FILE_NOT_FOUND:
                return "not found";
        case ERROR_NOT_ENOUGH_MEMORY:
                return "out of memory";
        default:
                return "registry error";
        }
}

/* A string from the registry as printed: control characters as '?', so that a value cannot
   drive the terminal.  Four rotating buffers, for up to four in one printf. */
static const char *shown(const char *str) {
        static char bufs[4][2048];
        static unsigned next;
        char *b = bufs[next++ % 4];
        size_t i;

        for (i = 0; str[i] && i < sizeof bufs[0] - 1; i++)
                b[i] = (unsigned char)str[i] < 0x20 || str[i] == 0x7f ? '?' : str[i];
        b[i] = 0;
        return b;
}

static void usage(void) {
        fputs("Usage: dcomcnfg list\n"
              "       dcomcnfg show APP\n"
              "       dcomcnfg set APP OPTION...\n"
              "       dcomcnfg machine [OPTION...]\n"
              "Show and edit DCOM's security and activation settings, as Windows' DCOMCNFG does:\n"
              "an application's (HKCR\\AppID\\{appid}) and the machine's (HKLM\\Software\\Microsoft\\Ole).\n"
              "\n"
              "Commands:\n"
              "  list           the applications (AppIDs and their names), and legacy local\n"
              "                 servers (a LocalServer32 and no AppID), marked as such\n"
              "  show APP       every setting of APP: its effective value, and whether it is the\n"
              "                 application's own or the machine default it falls back to\n"
              "  set APP ...    change APP's settings (options below); all or nothing\n"
              "  machine        show the machine-wide settings, or change them with options\n"
              "\n"
              "APP is an AppID ({...}), an application's name, an executable name (as\n"
              "HKCR\\AppID\\<exe> maps it, or as a LocalServer32 starts it) or a CLSID.  Setting\n"
              "anything on a legacy server first gives it an AppID made from the first CLSID it\n"
              "serves, and adds HKCR\\AppID\\<exe> (KB Q246054).\n"
              "\n"
              "Permissions: NAME is a user or group (alice, HOST\\alice, 'Unix Group\\staff',\n"
              "Everyone, BUILTIN\\Administrators, an SDDL alias such as BA, or S-1-...); RIGHTS\n"
              "is a comma-separated list, all of the kind when left out:\n"
              "  launch permissions:  local-launch, remote-launch, local-activation, remote-activation\n"
              "  access permissions:  local-access, remote-access\n"
              "Granting starts from the effective permission (the application's, else the\n"
              "machine default), so it never takes away what the default gave; denials are\n"
              "placed before grants.\n"
              "\n", stdout);
        fputs("set options:\n"
              "  --grant-launch NAME[:RIGHTS]   allow NAME to launch/activate (clears its denials)\n"
              "  --deny-launch NAME[:RIGHTS]    deny NAME those rights (clears its grants of them)\n"
              "  --revoke-launch NAME[:RIGHTS]  remove NAME's entries (or just those rights)\n"
              "  --launch-sddl SDDL             set LaunchPermission to this descriptor\n"
              "  --default-launch               remove LaunchPermission: DefaultLaunchPermission applies\n"
              "  --grant-access, --deny-access, --revoke-access, --access-sddl, --default-access\n"
              "                                 the same for AccessPermission (who may call in)\n"
              "  --authn-level LEVEL            none, connect, call, pkt, integrity, privacy or 1-6;\n"
              "                                 default removes it (LegacyAuthenticationLevel applies)\n"
              "  --run-as USER                  run the server as USER, or as 'Interactive User'\n"
              "  --run-as-launching-user        remove RunAs: the server runs as whoever launches it\n"
              "  --surrogate[=PATH]             run in-process classes in a surrogate (dcomsurrogate,\n"
              "                                 or the absolute PATH)\n"
              "  --no-surrogate                 remove DllSurrogate\n"
              "  --remote-server HOST           activate on HOST (RemoteServerName)\n"
              "  --no-remote-server             remove RemoteServerName\n"
              "  --name NAME                    the application's name\n"
              "\n", stdout);
        fputs("machine options:\n"
              "  --enable-dcom Y|N              EnableDCOM: N refuses every remote caller\n"
              "  --enable-remote-connect Y|N    EnableRemoteConnect: N refuses remote launches\n"
              "  --legacy-authn-level LEVEL     LegacyAuthenticationLevel (as --authn-level)\n"
              "  --legacy-imp-level LEVEL       LegacyImpersonationLevel: anonymous, identify,\n"
              "                                 impersonate, delegate, 1-4 or default\n"
              "  --legacy-secure-refs Y|N       LegacySecureReferences\n"
              "  --require-integrity-activation 0|1\n"
              "                                 RequireIntegrityActivationAuthenticationLevel\n"
              "  --grant-launch-restriction NAME[:RIGHTS], --deny-launch-restriction,\n"
              "  --revoke-launch-restriction, --launch-restriction-sddl SDDL,\n"
              "  --reset-launch-restriction     MachineLaunchRestriction (reset: Windows' default)\n"
              "  --grant-access-restriction ... MachineAccessRestriction, the same five forms\n"
              "  --grant-default-launch ...     DefaultLaunchPermission, the same five forms\n"
              "  --grant-default-access ...     DefaultAccessPermission, the same five forms\n"
              "\n", stdout);
        fputs(
              "  -h, --help     show this help\n"
              "      --version  show the version\n"
              "\n"
              "Examples:\n"
              "  dcomcnfg show counter-server\n"
              "  dcomcnfg set {C0FFEE00-1234-4321-8765-0123456789AB} --grant-launch 'alice:local-launch,local-activation'\n"
              "  dcomcnfg set Counter --deny-access 'Unix Group\\guests' --authn-level privacy\n"
              "  dcomcnfg machine --grant-access-restriction 'bob:remote-access'\n"
              "  dcomcnfg machine --legacy-authn-level connect --legacy-imp-level identify\n"
              "\n"
              "Exit status: 0 done (or nothing to change), 1 failed (nothing was changed),\n"
              "2 bad command line (nothing was changed).\n",
              stdout);
}

/* ---- the registry in UTF-8 --------------------------------------------------------------- */

static WCHAR *wide(const char *s) {
        WCHAR *w = NULL;

        if (s && dcom_utf8_to_utf16(s, strlen(s), &w, NULL) < 0) {
                fputs("dcomcnfg: out of memory\n", stderr);
                exit(EXIT_FAIL);
        }
        return w;
}

static bool key_exists(HKEY root, const char *path) {
        WCHAR *w = wide(path);
        HKEY k;
        LSTATUS s = RegOpenKeyExW(root, w, 0, KEY_READ, &k);

        free(w);
        if (s == ERROR_SUCCESS)
                RegCloseKey(k);
        return s == ERROR_SUCCESS;
}

/* A value as stored: type and bytes (malloc'd); ERROR_FILE_NOT_FOUND when absent. */
static LSTATUS get_raw(HKEY root, const char *path, const char *name, DWORD *ret_type,
                       uint8_t **ret, size_t *ret_size) {
        WCHAR *wp = wide(path), *wn = wide(name);
        DWORD size = 0, type;
        uint8_t *data = NULL;
        LSTATUS s = RegGetValueW(root, wp, wn, RRF_RT_ANY | RRF_NOEXPAND, &type, NULL, &size);

        if (s == ERROR_SUCCESS) {
                data = malloc(size ? size : 1);
                DWORD got = size;
                s = data ? RegGetValueW(root, wp, wn, RRF_RT_ANY | RRF_NOEXPAND, &type, data, &got)
                         : ERROR_NOT_ENOUGH_MEMORY;
                size = got;
        }
        free(wp);
        free(wn);
        if (s != ERROR_SUCCESS) {
                free(data);
                return s;
        }
        *ret_type = type;
        *ret = data;
        *ret_size = size;
        return ERROR_SUCCESS;
}

static LSTATUS set_raw(HKEY root, const char *path, const char *name, DWORD type,
                       const void *data, size_t size) {
        WCHAR *wp = wide(path), *wn = wide(name);
        HKEY k;
        LSTATUS s = RegCreateKeyExW(root, wp, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL);

        if (s == ERROR_SUCCESS) {
                s = RegSetValueExW(k, wn, 0, type, data, (DWORD)size);
                RegCloseKey(k);
        }
        free(wp);
        free(wn);
        return s;
}

static LSTATUS set_string(HKEY root, const char *path, const char *name, const char *value) {
        size_t n;
        WCHAR *w = NULL;

        if (dcom_utf8_to_utf16(value, strlen(value), &w, &n) < 0)
                return ERROR_NOT_ENOUGH_MEMORY;
        LSTATUS s = set_raw(root, path, name, REG_SZ, w, (n + 1) * sizeof(WCHAR));
        free(w);
        return s;
}

static LSTATUS delete_value(HKEY root, const char *path, const char *name) {
        WCHAR *wp = wide(path), *wn = wide(name);
        HKEY k;
        LSTATUS s = RegOpenKeyExW(root, wp, 0, KEY_ALL_ACCESS, &k);

        if (s == ERROR_SUCCESS) {
                s = RegDeleteValueW(k, wn);
                RegCloseKey(k);
        }
        free(wp);
        free(wn);
        return s == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : s;
}

static LSTATUS create_key(HKEY root, const char *path) {
        WCHAR *wp = wide(path);
        HKEY k;
        LSTATUS s = RegCreateKeyExW(root, wp, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL);

        if (s == ERROR_SUCCESS)
                RegCloseKey(k);
        free(wp);
        return s;
}

/* The subkeys of root\path, UTF-8, in the registry's order; n_ret entries (free_names). */
static char **subkeys(HKEY root, const char *path, size_t *n_ret) {
        WCHAR *wp = wide(path), name[DCOM_REG_MAX_KEY_NAME + 1];
        char **names = NULL;
        size_t n = 0;
        HKEY k;

        *n_ret = 0;
        LSTATUS s = RegOpenKeyExW(root, wp, 0, KEY_READ, &k);
        free(wp);
        if (s != ERROR_SUCCESS)
                return NULL;
        for (DWORD i = 0;; i++) {
                DWORD len = DCOM_REG_MAX_KEY_NAME + 1;
                char *u8;
                if (RegEnumKeyExW(k, i, name, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
                        break;
                if (dcom_utf16_to_utf8(name, len, &u8, NULL) < 0)
                        continue;
                char **grown = realloc(names, (n + 1) * sizeof *names);
                if (!grown) {
                        free(u8);
                        break;
                }
                names = grown;
                names[n++] = u8;
        }
        RegCloseKey(k);
        *n_ret = n;
        return names;
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* ---- classes and applications ------------------------------------------------------------ */

struct cls {
        GUID clsid;
        char id[DCOM_GUID_STRING_REG];
        char name[256];                 /* the class key's default value */
        char server[1024];              /* LocalServer32 as written; "" none */
        char program[1024];             /* its program (arguments and quotes gone) */
        const char *exe;                /* the program's basename, in program */
        bool has_appid;                 /* an AppID value */
        GUID appid;
        bool appid_bad;                 /* an AppID value that is not a GUID */
};

static struct cls *classes;
static size_t n_classes;

/* The program LocalServer32 starts, split as dcomlaunch splits it (Windows' rules). */
static void class_program(struct cls *c) {
        char **argv;
        size_t argc;

        if (!c->server[0] || cmdline_split(c->server, 0, &argv, &argc) < 0)
                return;
        snprintf(c->program, sizeof c->program, "%s", argv[0]);
        dcom_free(argv);
        /* seed 003: the name as LocalServer32 writes it -- no link resolved, no case folded */
        const char *slash = strrchr(c->program, '/'), *back = strrchr(c->program, '\\');
        if (back && (!slash || back > slash))
                slash = back;
        c->exe = slash ? slash + 1 : c->program;
}

static void load_classes(void) {
        size_t n;
        char **names = subkeys(HKEY_CLASSES_ROOT, "CLSID", &n), path[128], s[64];

        classes = calloc(n ? n : 1, sizeof *classes);
        if (!classes) {
                fputs("dcomcnfg: out of memory\n", stderr);
                exit(EXIT_FAIL);
        }
        for (size_t i = 0; i < n; i++) {
                struct cls *c = &classes[n_classes];
                if (dcom_guid_parse(names[i], &c->clsid) < 0)
                        continue;
                dcom_guid_format(&c->clsid, DCOM_GUID_FORMAT_REGISTRY, c->id);
                snprintf(path, sizeof path, "CLSID\\%s", names[i]);
                sec_reg_string(HKEY_CLASSES_ROOT, path, NULL, c->name, sizeof c->name);
                if (sec_reg_string(HKEY_CLASSES_ROOT, path, "AppID", s, sizeof s)) {
                        c->has_appid = true;
                        c->appid_bad = dcom_guid_parse(s, &c->appid) < 0;
                }
                snprintf(path, sizeof path, "CLSID\\%s\\LocalServer32", names[i]);
                sec_reg_string(HKEY_CLASSES_ROOT, path, NULL, c->server, sizeof c->server);
                class_program(c);
                n_classes++;
        }
        free_names(names, n);
}

static struct cls *find_class(const GUID *g) {
        for (size_t i = 0; i < n_classes; i++)
                if (dcom_guid_equal(&classes[i].clsid, g))
                        return &classes[i];
        return NULL;
}

/* HKCR\AppID\<exe> AppID: 1 a GUID, 0 no such key, -1 a key that names no valid AppID. */
static int exe_mapping(const char *exe, GUID *ret) {
        char path[300];

        if (!exe || !*exe || strchr(exe, '\\') || strlen(exe) > 255)
                return 0;
        snprintf(path, sizeof path, "AppID\\%s", exe);
        if (!key_exists(HKEY_CLASSES_ROOT, path))
                return 0;
        return sec_appid_of_exe(exe, ret) == 0 ? 1 : -1;
}

static bool appid_key_exists(const GUID *g) {
        char path[64], id[DCOM_GUID_STRING_REG];

        snprintf(path, sizeof path, "AppID\\%s", dcom_guid_format(g, DCOM_GUID_FORMAT_REGISTRY, id));
        return key_exists(HKEY_CLASSES_ROOT, path);
}

struct app {
        GUID appid;
        char id[DCOM_GUID_STRING_REG];
        char path[64];                  /* "AppID\{...}" under HKCR */
        bool key_exists;
        /* a legacy server: nothing names an AppID; set synthesizes one (seed 003) */
        bool synthesize;
        const struct cls *server;       /* legacy: the first class it serves */
        char how[1600];                  /* how APP was found */
};

static void app_init(struct app *a, const GUID *g) {
        a->appid = *g;
        dcom_guid_format(g, DCOM_GUID_FORMAT_REGISTRY, a->id);
        snprintf(a->path, sizeof a->path, "AppID\\%s", a->id);
        a->key_exists = key_exists(HKEY_CLASSES_ROOT, a->path);
}

static bool same_server(const struct cls *a, const struct cls *b) {
        return a->program[0] && strcmp(a->program, b->program) == 0;
}

/* A class's application.  Seed 003 (KB Q246054): a server with no AppID value, no
   HKCR\AppID\{its first CLSID} and no HKCR\AppID\<exe> is a legacy server. */
static int resolve_class(const char *arg, const struct cls *c, struct app *a) {
        GUID g;

        if (c->has_appid) {
                if (c->appid_bad)
                        return failure("class %s: its AppID value is not a GUID -- fix it with "
                                       "reg add HKCR\\CLSID\\%s /v AppID /d {APPID} /f", c->id, c->id);
                app_init(a, &c->appid);
                snprintf(a->how, sizeof a->how, "class %s names AppID %s", c->id, a->id);
                return 0;
        }
        if (!c->program[0])
                return failure("'%s': class %s has no AppID value and no LocalServer32, so it "
                               "is no application -- give it one with reg add HKCR\\CLSID\\%s "
                               "/v AppID /d {APPID}", arg, c->id, c->id);
        const struct cls *first = NULL;
        for (size_t i = 0; i < n_classes; i++) {
                const struct cls *o = &classes[i];
                if (!same_server(o, c))
                        continue;
                if (!first)
                        first = o;
                if (o->has_appid && !o->appid_bad) {
                        app_init(a, &o->appid);
                        snprintf(a->how, sizeof a->how, "class %s serves from %s, whose class %s "
                                 "names AppID %s", c->id, c->program, o->id, a->id);
                        return 0;
                }
        }
        if (appid_key_exists(&first->clsid)) {
                app_init(a, &first->clsid);
                snprintf(a->how, sizeof a->how, "class %s serves from %s, whose first class "
                         "has an AppID key of its GUID", c->id, c->program);
                return 0;
        }
        int m = exe_mapping(first->exe, &g);
        if (m < 0)
                return failure("HKCR\\AppID\\%s exists but names no AppID -- fix it (reg add "
                               "HKCR\\AppID\\%s /v AppID /d {APPID} /f) or delete it",
                               first->exe, first->exe);
        if (m > 0) {
                app_init(a, &g);
                snprintf(a->how, sizeof a->how, "class %s serves from %s, which "
                         "HKCR\\AppID\\%s maps to AppID %s", c->id, c->program, first->exe, a->id);
                return 0;
        }
        app_init(a, &first->clsid);
        a->synthesize = true;
        a->server = first;
        snprintf(a->how, sizeof a->how, "class %s serves from %s, a legacy server with no AppID",
                 c->id, c->program);
        return 0;
}

static int resolve(const char *arg, struct app *a) {
        GUID g;
        char name[256];
        size_t n;

        memset(a, 0, sizeof *a);
        if (!*arg)
                return usage_error("APP is empty");
        if (dcom_guid_parse(arg, &g) == 0) {
                if (appid_key_exists(&g)) {
                        app_init(a, &g);
                        snprintf(a->how, sizeof a->how, "AppID %s", a->id);
                        return 0;
                }
                const struct cls *c = find_class(&g);
                if (c)
                        return resolve_class(arg, c, a);
                return failure("'%s': no application (HKCR\\AppID) and no class (HKCR\\CLSID) "
                               "has this GUID -- dcomcnfg list shows them", arg);
        }
        int m = exe_mapping(arg, &g);
        if (m < 0)
                return failure("'%s': HKCR\\AppID\\%s exists but names no AppID -- fix it (reg add "
                               "HKCR\\AppID\\%s /v AppID /d {APPID} /f) or delete it", arg, arg, arg);
        if (m > 0) {
                app_init(a, &g);
                snprintf(a->how, sizeof a->how, "executable mapping HKCR\\AppID\\%s names AppID %s",
                         arg, a->id);
                return 0;
        }
        /* an application's name: the default value of HKCR\AppID\{appid} */
        char **keys = subkeys(HKEY_CLASSES_ROOT, "AppID", &n), found[4096] = "";
        int hits = 0;
        for (size_t i = 0; i < n; i++) {
                char path[300];
                GUID k;
                if (dcom_guid_parse(keys[i], &k) < 0)
                        continue;
                snprintf(path, sizeof path, "AppID\\%s", keys[i]);
                if (!sec_reg_string(HKEY_CLASSES_ROOT, path, NULL, name, sizeof name) ||
                    strcasecmp(name, arg) != 0)
                        continue;
                if (!hits++)
                        g = k;
                size_t used = strlen(found);
                snprintf(found + used, sizeof found - used, " %s", keys[i]);
        }
        free_names(keys, n);
        if (hits > 1)
                return failure("'%s' names more than one application:%s -- give its AppID", arg,
                               found);
        if (hits == 1) {
                app_init(a, &g);
                snprintf(a->how, sizeof a->how, "application name '%s'", arg);
                return 0;
        }
        /* a LocalServer32's executable, then a class's name */
        for (size_t i = 0; i < n_classes; i++)
                if (classes[i].exe && strcmp(classes[i].exe, arg) == 0)
                        return resolve_class(arg, &classes[i], a);
        for (size_t i = 0; i < n_classes; i++)
                if (classes[i].name[0] && strcasecmp(classes[i].name, arg) == 0)
                        return resolve_class(arg, &classes[i], a);
        return failure("'%s' is no AppID, application name, executable or CLSID known here -- "
                       "dcomcnfg list shows the applications", arg);
}

/* ---- showing permissions ------------------------------------------------------------------ */

static const struct right {
        const char *name;
        uint32_t bit;
} launch_rights[] = {
        { "local-launch", COM_RIGHTS_EXECUTE_LOCAL },
        { "remote-launch", COM_RIGHTS_EXECUTE_REMOTE },
        { "local-activation", COM_RIGHTS_ACTIVATE_LOCAL },
        { "remote-activation", COM_RIGHTS_ACTIVATE_REMOTE },
        { NULL, 0 },
}, access_rights[] = {
        { "local-access", COM_RIGHTS_EXECUTE_LOCAL },
        { "remote-access", COM_RIGHTS_EXECUTE_REMOTE },
        { NULL, 0 },
};

static void print_rights(uint32_t mask, const struct right *rights) {
        const char *sep = "";
        uint32_t known = COM_RIGHTS_EXECUTE;

        for (const struct right *r = rights; r->name; r++) {
                known |= r->bit;
                if (mask & r->bit) {
                        printf("%s%s", sep, r->name);
                        sep = ", ";
                }
        }
        if (mask & ~known)
                printf("%sother rights 0x%x", sep, (unsigned)(mask & ~known));
        else if (!*sep)
                printf("nothing");
}

/* The descriptor as SDDL, then one line per entry: allow/deny NAME (SID): rights. */
static void print_perm(const void *sd, size_t len, bool launch) {
        char *sddl = NULL;
        struct acl_sd acl;
        const struct right *rights = launch ? launch_rights : access_rights;
        uint32_t all = launch ? ACL_LAUNCH_ALL : ACL_ACCESS_ALL;

        if (sec_sddl_format(sd, len, &sddl) == 0)
                printf("    SDDL: %s\n", sddl);
        else
                printf("    SDDL: (cannot be written as SDDL)\n");
        free(sddl);
        if (acl_sd_load(sd, len, all, &acl) < 0) {
                printf("    (not a valid security descriptor: COM admits no one)\n");
                return;
        }
        if (!acl.has_dacl)
                printf("    allow  everyone: every right (no DACL)\n");
        else if (!acl.n)
                printf("    (empty: no one)\n");
        for (size_t i = 0; i < acl.n; i++) {
                const struct acl_ace *a = &acl.aces[i];
                char sid[SEC_SID_STRING_MAX], name[512];
                if (a->raw) {
                        printf("    (an entry of type %u, kept as it is)\n", a->type);
                        continue;
                }
                if (sec_sid_format(&a->sid, sid, sizeof sid) < 0)
                        snprintf(sid, sizeof sid, "?");
                if (sec_lookup_sid(sid, name, sizeof name) < 0)
                        snprintf(name, sizeof name, "%s", sid);
                printf("    %-5s  %s", a->type == ACL_ACE_DENIED ? "deny" : "allow", shown(name));
                if (strcmp(name, sid) != 0)
                        printf(" (%s)", sid);
                printf(": ");
                print_rights(a->mask, rights);
                if (a->flags & (ACL_FLAG_INHERIT_ONLY | ACL_FLAG_INHERITED))
                        printf(" (inherited or inherit-only: not used for COM)");
                if (!(a->mask & COM_RIGHTS_EXECUTE))
                        printf(" (no COM_RIGHTS_EXECUTE: COM holds the descriptor invalid)");
                printf("\n");
        }
        acl_sd_clear(&acl);
}

static void print_sddl_perm(const char *sddl, bool launch) {
        void *sd;
        size_t len;

        if (sec_sddl_parse(sddl, &sd, &len) < 0) {
                printf("    SDDL: %s\n", sddl);
                return;
        }
        print_perm(sd, len, launch);
        free(sd);
}

static const char *level_name(const char *const *names, size_t n, uint32_t v) {
        return v < n ? names[v] : "?";
}

/* Where a machine value comes from: "set in HKLM\...", or "not set: Windows' default". */
static const char *origin(const char *value) {
        uint8_t *data;
        size_t size;
        DWORD type;

        if (get_raw(HKEY_LOCAL_MACHINE, OLE_KEY, value, &type, &data, &size) != ERROR_SUCCESS)
                return "not set: Windows' default";
        free(data);
        return "set in HKLM\\" OLE_KEY;
}

/* The same for a descriptor, which the settings model replaces when it is malformed: a
   restriction by an empty DACL (no one), a default by Windows' default. */
static const char *perm_origin(HKEY root, const char *path, const char *value, bool restriction) {
        uint8_t *data;
        size_t size;
        DWORD type;

        if (get_raw(root, path, value, &type, &data, &size) != ERROR_SUCCESS)
                return NULL;
        bool valid = type == REG_BINARY && sec_sd_validate(data, size) == 0;
        free(data);
        if (valid)
                return "set";
        return restriction ? "set, but not a valid security descriptor: no one is admitted"
                           : "set, but not a valid security descriptor: the default applies";
}

/* Seed 003 (KB Q246054): a server is legacy -- set synthesizes its AppID -- when none of
   HKCR\CLSID\{clsid} AppID (for any class it serves), HKCR\AppID\{its first CLSID} and
   HKCR\AppID\<exe> exists. */
static bool is_legacy(const struct cls *c) {
        const struct cls *first = NULL;
        GUID g;

        if (c->has_appid || !c->program[0])
                return false;
        for (size_t i = 0; i < n_classes; i++) {
                if (!same_server(&classes[i], c))
                        continue;
                if (classes[i].has_appid)
                        return false;
                if (!first)
                        first = &classes[i];
        }
        return !appid_key_exists(&first->clsid) && exe_mapping(first->exe, &g) == 0;
}

/* ---- list ---------------------------------------------------------------------------------- */

static int cmd_list(int argc, char **argv) {
        size_t n;
        char **keys, path[300], name[256];

        if (argc > 0)
                return usage_error("list takes no arguments ('%s')", argv[0]);
        load_classes();
        keys = subkeys(HKEY_CLASSES_ROOT, "AppID", &n);
        for (size_t i = 0; i < n; i++) {
                GUID g;
                char id[DCOM_GUID_STRING_REG];
                if (dcom_guid_parse(keys[i], &g) < 0)
                        continue;       /* an executable mapping */
                snprintf(path, sizeof path, "AppID\\%s", keys[i]);
                if (!sec_reg_string(HKEY_CLASSES_ROOT, path, NULL, name, sizeof name))
                        name[0] = 0;
                printf("%s  %s\n", dcom_guid_format(&g, DCOM_GUID_FORMAT_REGISTRY, id),
                       name[0] ? shown(name) : "(no name)");
        }
        free_names(keys, n);
        /* legacy servers, once each: seed 003's conditions, as set would find them */
        for (size_t i = 0; i < n_classes; i++) {
                const struct cls *c = &classes[i];
                bool seen = false;
                if (c->has_appid || !c->program[0])
                        continue;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = same_server(&classes[j], c);
                if (seen)
                        continue;
                if (!is_legacy(c))
                        continue;
                printf("%s  %s  (legacy server %s: no AppID)\n", c->id,
                       shown(c->name[0] ? c->name : c->exe), shown(c->program));
        }
        return EXIT_OK;
}

/* ---- show ---------------------------------------------------------------------------------- */

static void show_mapping(const struct app *a, bool *ret_applied) {
        bool any = false, applied = true;

        printf("Executable mapping (KB Q246054):\n");
        for (size_t i = 0; i < n_classes; i++) {
                const struct cls *c = &classes[i];
                bool mine = a->synthesize ? same_server(c, a->server)
                                          : c->has_appid && dcom_guid_equal(&c->appid, &a->appid);
                bool seen = false;
                GUID g;
                char id[DCOM_GUID_STRING_REG];
                if (!mine || !c->program[0])
                        continue;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = same_server(&classes[j], c) &&
                               (a->synthesize || (classes[j].has_appid &&
                                                  dcom_guid_equal(&classes[j].appid, &a->appid)));
                if (seen)
                        continue;
                any = true;
                int m = exe_mapping(c->exe, &g);
                if (m > 0 && dcom_guid_equal(&g, &a->appid)) {
                        printf("    HKCR\\AppID\\%s -> %s: the server process %s finds these "
                               "settings\n", shown(c->exe), a->id, shown(c->program));
                        continue;
                }
                applied = false;
                if (m > 0)
                        printf("    HKCR\\AppID\\%s names another AppID, %s: the server process "
                               "%s takes that application's settings, not these\n", shown(c->exe),
                               dcom_guid_format(&g, DCOM_GUID_FORMAT_REGISTRY, id), shown(c->program));
                else
                        printf("    none for %s: HKCR\\AppID\\%s does not %s\n", shown(c->program), shown(c->exe),
                               m < 0 ? "name a valid AppID" : "exist");
        }
        if (!any) {
                printf("    no class of this application has a LocalServer32 (nothing to map)\n");
                *ret_applied = true;
                return;
        }
        /* mappings to this AppID under other names: seed 003's long and short names */
        size_t n;
        char **keys = subkeys(HKEY_CLASSES_ROOT, "AppID", &n);
        for (size_t i = 0; i < n; i++) {
                GUID g;
                bool used = false;
                if (dcom_guid_parse(keys[i], &g) == 0 || exe_mapping(keys[i], &g) <= 0 ||
                    !dcom_guid_equal(&g, &a->appid))
                        continue;
                for (size_t j = 0; j < n_classes && !used; j++)
                        used = classes[j].exe && strcmp(classes[j].exe, keys[i]) == 0;
                if (!used)
                        printf("    HKCR\\AppID\\%s -> %s, but no LocalServer32 starts a program "
                               "of that name: the mapping must use the name as LocalServer32 "
                               "writes it\n", shown(keys[i]), a->id);
        }
        free_names(keys, n);
        if (!applied)
                printf("    Without the mapping the server process cannot find its AppID: this "
                       "application's own settings (custom access permission, endpoints, "
                       "authentication level) are NOT applied to the server process; the "
                       "machine defaults are.  To map it: reg add HKCR\\AppID\\NAME /v AppID "
                       "/d %s, with NAME the program's name as LocalServer32 writes it.\n", a->id);
        *ret_applied = applied;
}

/* Endpoints (REG_MULTI_SZ, "protseq,flags,endpoint" each): the application's static
   endpoints, one of the settings seed 003 names as unused without the executable mapping. */
static void show_endpoints(const struct app *a, const char *unapplied) {
        uint8_t *data;
        size_t size;
        DWORD type;

        if (!a->key_exists || get_raw(HKEY_CLASSES_ROOT, a->path, "Endpoints", &type, &data, &size) !=
                                      ERROR_SUCCESS) {
                printf("Endpoints: not set; dynamic endpoints\n");
                return;
        }
        printf("Endpoints:");
        if (type != REG_MULTI_SZ) {
                printf(" (not REG_MULTI_SZ: not used)");
        } else {
                const WCHAR *w = (const WCHAR *)data;
                size_t n = size / sizeof(WCHAR), i = 0;
                const char *sep = " ";
                while (i < n && w[i]) {
                        size_t len = 0;
                        char *u8 = NULL;
                        while (i + len < n && w[i + len])
                                len++;
                        if (dcom_utf16_to_utf8(w + i, len, &u8, NULL) >= 0)
                                printf("%s%s", sep, shown(u8));
                        free(u8);
                        sep = "; ";
                        i += len + 1;
                }
        }
        printf(" (set in HKCR\\%s)%s\n", a->path, unapplied);
        free(data);
}

static int cmd_show(int argc, char **argv) {
        struct app a;
        struct sec_machine m;
        struct sec_appid s;
        bool applied;
        int r;

        if (argc < 1)
                return usage_error("show needs an APP");
        if (argc > 1)
                return usage_error("show takes one APP ('%s' is extra)", argv[1]);
        load_classes();
        if ((r = resolve(argv[0], &a)) != 0)
                return r;
        if ((r = sec_machine_load(&m)) < 0)
                return failure("cannot read HKLM\\" OLE_KEY ": %s", strerror(-r));
        if (!a.key_exists || sec_appid_load(&a.appid, &s) < 0) {
                memset(&s, 0, sizeof s);
                s.appid = a.appid;
                snprintf(s.id, sizeof s.id, "%s", a.id);
        }
        printf("AppID: %s\n", a.id);
        printf("Found by: %s\n", shown(a.how));
        printf("Name: %s\n", s.name[0] ? shown(s.name) : "(none)");
        if (a.synthesize)
                printf("Key: HKCR\\%s does not exist: this is a legacy server.  `dcomcnfg set` "
                       "gives it this AppID, made from the first class it serves, writes its "
                       "classes' AppID values and HKCR\\AppID\\%s (KB Q246054); until then the "
                       "machine defaults below apply.\n", a.path, shown(a.server->exe));
        else
                printf("Key: HKCR\\%s%s\n", a.path, a.key_exists ? "" : " (does not exist yet: "
                       "every setting is the machine default)");
        printf("Classes:\n");
        bool any = false;
        for (size_t i = 0; i < n_classes; i++) {
                const struct cls *c = &classes[i];
                bool mine = a.synthesize ? same_server(c, a.server)
                                         : c->has_appid && dcom_guid_equal(&c->appid, &a.appid);
                if (!mine)
                        continue;
                any = true;
                printf("    %s %s%s%s\n", c->id, c->name[0] ? shown(c->name) : "(no name)",
                       c->server[0] ? "; LocalServer32: " : "", shown(c->server));
        }
        if (!any)
                printf("    none: no class names this AppID (HKCR\\CLSID\\{clsid} AppID)\n");
        show_mapping(&a, &applied);
        const char *unapplied = applied ? "" : " -- NOT applied to the server process (no "
                                               "executable mapping)";

        const char *o = perm_origin(HKEY_CLASSES_ROOT, a.path, "LaunchPermission", false);
        if (o) {
                if (strcmp(o, "set") == 0)
                        printf("LaunchPermission: set in HKCR\\%s\n", a.path);
                else
                        printf("LaunchPermission: set in HKCR\\%s, but not a valid security "
                               "descriptor: no one is admitted\n", a.path);
                print_perm(s.launch.sd, s.launch.len, true);
        } else {
                o = perm_origin(HKEY_LOCAL_MACHINE, OLE_KEY, "DefaultLaunchPermission", false);
                printf("LaunchPermission: not set; the machine's DefaultLaunchPermission applies "
                       "(%s)\n", o ? "set in HKLM\\" OLE_KEY : "not set there either: Windows' default");
                print_perm(m.default_launch.sd, m.default_launch.len, true);
        }
        o = perm_origin(HKEY_CLASSES_ROOT, a.path, "AccessPermission", false);
        if (o) {
                if (strcmp(o, "set") == 0)
                        printf("AccessPermission: set in HKCR\\%s%s\n", a.path, unapplied);
                else
                        printf("AccessPermission: set in HKCR\\%s, but not a valid security "
                               "descriptor: no one is admitted%s\n", a.path, unapplied);
                print_perm(s.access.sd, s.access.len, false);
        } else if (m.default_access.sd) {
                printf("AccessPermission: not set; the machine's DefaultAccessPermission applies "
                       "(set in HKLM\\" OLE_KEY ")\n");
                print_perm(m.default_access.sd, m.default_access.len, false);
        } else {
                printf("AccessPermission: not set; the machine's DefaultAccessPermission applies "
                       "(not set there either: Windows' default, the server process's own user "
                       "(SELF), SYSTEM and Administrators)\n");
                print_sddl_perm(default_access_self, false);
        }
        if (s.authn_level)
                printf("AuthenticationLevel: %s (%u) (set in HKCR\\%s)%s\n",
                       level_name(authn_names, 7, s.authn_level), (unsigned)s.authn_level, a.path,
                       unapplied);
        else
                printf("AuthenticationLevel: not set; the machine's LegacyAuthenticationLevel "
                       "applies: %s (%u) (%s)\n", level_name(authn_names, 7, m.legacy_authn_level),
                       m.legacy_authn_level, origin("LegacyAuthenticationLevel"));
        if (s.run_as[0])
                printf("RunAs: %s\n", shown(s.run_as));
        else
                printf("RunAs: not set; the server runs as the user who launches it\n");
        if (s.has_surrogate)
                printf("DllSurrogate: %s\n", s.dll_surrogate[0] ? shown(s.dll_surrogate)
                       : "\"\" (the default surrogate, dcomsurrogate)");
        else
                printf("DllSurrogate: not set; in-process classes are not run in a surrogate\n");
        if (s.remote_server[0])
                printf("RemoteServerName: %s (activations go to that machine)\n", shown(s.remote_server));
        else
                printf("RemoteServerName: not set; the application runs on this machine\n");
        if (s.local_service[0])
                printf("LocalService: %s\n", shown(s.local_service));
        show_endpoints(&a, unapplied);
        sec_appid_clear(&s);
        sec_machine_clear(&m);
        return EXIT_OK;
}

/* ---- edits: values in one transaction ------------------------------------------------------- */

/* One registry value as it is and as the edits leave it. */
struct value {
        const char *name;
        bool perm;                      /* a security descriptor (compared by meaning) */
        bool launch;                    /* perm: a launch permission (else access) */
        const char *sddl_default;       /* perm: what applies when it is absent (NULL: below) */
        const void *def_sd;
        size_t def_len;
        bool was, is;                   /* present */
        DWORD was_type, type;
        uint8_t *old, *data;
        size_t old_size, size;
};

static void value_load(struct value *v, HKEY root, const char *path) {
        v->was = get_raw(root, path, v->name, &v->was_type, &v->old, &v->old_size) == ERROR_SUCCESS;
        v->is = v->was;
        v->type = v->was_type;
        if (v->was) {
                v->data = malloc(v->old_size ? v->old_size : 1);
                if (!v->data) {
                        fputs("dcomcnfg: out of memory\n", stderr);
                        exit(EXIT_FAIL);
                }
                memcpy(v->data, v->old, v->old_size);
                v->size = v->old_size;
        }
}

static void value_put(struct value *v, DWORD type, const void *data, size_t size) {
        free(v->data);
        v->data = malloc(size ? size : 1);
        if (!v->data) {
                fputs("dcomcnfg: out of memory\n", stderr);
                exit(EXIT_FAIL);
        }
        memcpy(v->data, data, size);
        v->size = size;
        v->type = type;
        v->is = true;
}

static void value_put_string(struct value *v, const char *s) {
        WCHAR *w = NULL;
        size_t n;

        if (dcom_utf8_to_utf16(s, strlen(s), &w, &n) < 0) {
                fputs("dcomcnfg: out of memory\n", stderr);
                exit(EXIT_FAIL);
        }
        value_put(v, REG_SZ, w, (n + 1) * sizeof(WCHAR));
        free(w);
}

static void value_put_dword(struct value *v, uint32_t d) {
        uint8_t b[4] = { (uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16), (uint8_t)(d >> 24) };

        value_put(v, REG_DWORD, b, sizeof b);
}

static void value_clear(struct value *v) {
        free(v->old);
        free(v->data);
        v->old = v->data = NULL;
}

/* A descriptor in the form edits produce, for comparing two by meaning. */
static int normalized(const void *sd, size_t len, uint32_t all, void **ret, size_t *ret_len) {
        struct acl_sd acl;
        int r = acl_sd_load(sd, len, all, &acl);

        if (r < 0)
                return r;
        r = acl_sd_store(&acl, ret, ret_len);
        acl_sd_clear(&acl);
        return r;
}

static bool same_perm(const void *a, size_t alen, const void *b, size_t blen, uint32_t all) {
        void *na = NULL, *nb = NULL;
        size_t nalen, nblen;
        bool same = false;

        if (normalized(a, alen, all, &na, &nalen) == 0 && normalized(b, blen, all, &nb, &nblen) == 0)
                same = nalen == nblen && memcmp(na, nb, nalen) == 0;
        free(na);
        free(nb);
        return same;
}

static bool value_changed(const struct value *v) {
        if (v->is != v->was)
                return true;
        if (!v->is)
                return false;
        if (v->perm && v->type == REG_BINARY && v->was_type == REG_BINARY &&
            sec_sd_validate(v->old, v->old_size) == 0 && sec_sd_validate(v->data, v->size) == 0)
                return !same_perm(v->old, v->old_size, v->data, v->size,
                                  v->launch ? ACL_LAUNCH_ALL : ACL_ACCESS_ALL);
        return v->type != v->was_type || v->size != v->old_size ||
               memcmp(v->data, v->old, v->size) != 0;
}

/* ---- permission edits -------------------------------------------------------------------- */

enum perm_op { PERM_GRANT, PERM_DENY, PERM_REVOKE, PERM_SDDL, PERM_RESET };

/* The RIGHTS of "NAME[:RIGHTS]", with COM_RIGHTS_EXECUTE (0 for a revoke of everything);
   a usage error when it names no right of the kind. */
static int parse_rights(const char *opt, const char *arg, bool launch, bool revoke,
                        uint32_t *ret_rights) {
        const struct right *table = launch ? launch_rights : access_rights;
        const char *colon = strrchr(arg, ':');
        uint32_t rights = 0;

        if (!colon) {
                *ret_rights = revoke ? 0 : launch ? ACL_LAUNCH_ALL : ACL_ACCESS_ALL;
                return 0;
        }
        if (colon == arg)
                return usage_error("%s '%s': no user or group name before the ':'", opt, arg);
        if (!colon[1])
                return usage_error("%s '%s': no right after the ':' -- leave out the ':' for "
                                   "every %s right", opt, arg, launch ? "launch" : "access");
        for (const char *p = colon + 1;;) {
                size_t len = strcspn(p, ",");
                const struct right *r;
                for (r = table; r->name; r++)
                        if (strlen(r->name) == len && strncasecmp(p, r->name, len) == 0)
                                break;
                if (!r->name)
                        return usage_error("%s '%s': '%.*s' is not a%s right (%s)", opt, arg,
                                           (int)len, p, launch ? " launch" : "n access",
                                           launch ? "local-launch, remote-launch, "
                                                    "local-activation, remote-activation"
                                                  : "local-access, remote-access");
                rights |= r->bit;
                p += len;
                if (!*p++)
                        break;
        }
        *ret_rights = rights | COM_RIGHTS_EXECUTE;
        return 0;
}

/* "NAME[:RIGHTS]": the principal's SID and the rights.  Names are looked up by the
   security layer (sec_lookup_name); a name that does not resolve is an error naming it. */
static int parse_grantee(const char *opt, const char *arg, bool launch, bool revoke,
                         struct sec_sid *ret_sid, uint32_t *ret_rights) {
        const char *colon = strrchr(arg, ':');
        char name[512], sid[SEC_SID_STRING_MAX];
        int r = parse_rights(opt, arg, launch, revoke, ret_rights);

        if (r != 0)
                return r;
        size_t nlen = colon ? (size_t)(colon - arg) : strlen(arg);
        if (!nlen || nlen >= sizeof name)
                return usage_error("%s '%s': no user or group name", opt, arg);
        memcpy(name, arg, nlen);
        name[nlen] = 0;
        r = sec_lookup_name(name, sid, sizeof sid);
        if (r < 0 || sec_sid_parse(sid, false, ret_sid) < 0)
                return failure("%s '%s': '%s' names no user, group or SID known here (a Unix user "
                               "or group, an OpenDCOM account -- see dcompasswd(8) --, a "
                               "well-known name such as Everyone, an SDDL alias or S-1-...)",
                               opt, arg, name);
        return 0;
}

/* Every allowed and denied entry of a COM permission carries COM_RIGHTS_EXECUTE, and
   legacy (bare execute) masks are not mixed with the others ("Access Control Lists for
   COM"): COM holds any other descriptor invalid and refuses everyone. */
static int check_com_sd(const char *opt, const char *arg, const void *sd, size_t len) {
        struct acl_sd acl;
        bool legacy = false, modern = false;
        int bad = -1;

        /* a bare COM_RIGHTS_EXECUTE is widened to the marker ~0, to be told apart */
        if (acl_sd_load(sd, len, UINT32_MAX, &acl) < 0)
                return failure("%s '%s': not a descriptor dcomcnfg can edit", opt, arg);
        if (!acl.has_dacl)
                printf("note: %s '%s' has no DACL: everyone gets every right\n", opt, arg);
        for (size_t i = 0; i < acl.n && bad < 0; i++) {
                if (acl.aces[i].raw)
                        continue;
                if (acl.aces[i].mask == UINT32_MAX)
                        legacy = true;
                else if (!(acl.aces[i].mask & COM_RIGHTS_EXECUTE))
                        bad = (int)i;
                else
                        modern = true;
        }
        acl_sd_clear(&acl);
        if (bad >= 0)
                return failure("%s '%s': entry %d has no CC (COM_RIGHTS_EXECUTE), which every "
                               "entry of a COM permission needs -- COM would refuse everyone", opt,
                               arg, bad + 1);
        if (legacy && modern)
                return failure("%s '%s': mixes bare CC entries (the pre-XP SP2 form) with entries "
                               "naming rights -- COM would refuse everyone", opt, arg);
        return 0;
}

static int perm_apply(struct value *v, const char *where, const char *opt, enum perm_op op,
                      const char *arg) {
        uint32_t all = v->launch ? ACL_LAUNCH_ALL : ACL_ACCESS_ALL;
        void *sd = NULL, *out = NULL;
        size_t len, out_len;
        struct acl_sd acl;
        struct sec_sid sid;
        uint32_t rights;
        int r;

        if (op == PERM_RESET) {
                v->is = false;
                return 0;
        }
        if (op == PERM_SDDL) {
                if ((r = sec_sddl_parse(arg, &sd, &len)) < 0)
                        return failure("%s '%s': not valid SDDL (DCOM_DEBUG=security says where)",
                                       opt, arg);
                if ((r = check_com_sd(opt, arg, sd, len)) != 0) {
                        free(sd);
                        return r;
                }
                value_put(v, REG_BINARY, sd, len);
                free(sd);
                return 0;
        }
        if ((r = parse_grantee(opt, arg, v->launch, op == PERM_REVOKE, &sid, &rights)) != 0)
                return r;
        /* from the effective descriptor: the value's, else what applies without it */
        const void *base = v->def_sd;
        size_t base_len = v->def_len;
        if (v->is) {
                if (v->type != REG_BINARY || sec_sd_validate(v->data, v->size) < 0)
                        return failure("%s: %s %s is not a valid security descriptor -- replace it "
                                       "(an SDDL option) or remove it (a default/reset option) "
                                       "first", opt, where, v->name);
                base = v->data;
                base_len = v->size;
        }
        if ((r = acl_sd_load(base, base_len, all, &acl)) < 0)
                return failure("%s: cannot read %s %s: %s", opt, where, v->name, strerror(-r));
        r = op == PERM_GRANT ? acl_grant(&acl, &sid, rights, all)
          : op == PERM_DENY ? acl_deny(&acl, &sid, rights, all)
          : acl_revoke(&acl, &sid, rights);
        if (r >= 0)
                r = acl_sd_store(&acl, &out, &out_len);
        acl_sd_clear(&acl);
        if (r < 0)
                return failure("%s '%s': %s", opt, arg, strerror(-r));
        /* nothing changed: leave the value as it is -- absent stays absent (seed 003: a
           permission is written only when it is actually edited) */
        if (!same_perm(base, base_len, out, out_len, all))
                value_put(v, REG_BINARY, out, out_len);
        free(out);
        return 0;
}

/* ---- options ----------------------------------------------------------------------------- */

enum arg_kind { ARG_NONE, ARG_REQUIRED, ARG_PATH /* optional: =PATH, or a next word starting with / */ };

struct option_def {
        const char *name;
        enum arg_kind arg;
        int value;                      /* index into the command's values */
        int op;                         /* enum perm_op, or a scalar op below */
};

enum scalar_op {
        OP_AUTHN = 100, OP_IMP, OP_YN, OP_BOOL01, OP_RUN_AS, OP_REMOVE, OP_SURROGATE, OP_STRING,
};

struct op {
        const struct option_def *def;
        const char *opt;                /* as given, for messages */
        const char *arg;
};

/* Reads options into ops; usage errors here (an unknown option, a missing value). */
static int parse_options(int argc, char **argv, const struct option_def *defs, struct op **ret,
                         size_t *ret_n, char ***ret_owned) {
        struct op *ops = calloc((size_t)argc + 1, sizeof *ops);
        char **owned = calloc((size_t)argc + 1, sizeof *owned);
        size_t n = 0;

        if (!ops || !owned) {
                fputs("dcomcnfg: out of memory\n", stderr);
                exit(EXIT_FAIL);
        }
        *ret = ops;
        *ret_owned = owned;
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i], *eq;
                const struct option_def *d;
                if (strncmp(a, "--", 2) != 0)
                        return usage_error("'%s' is not an option (options start with --)", a);
                eq = strchr(a, '=');
                size_t len = eq ? (size_t)(eq - a) : strlen(a);
                for (d = defs; d->name; d++)
                        if (strlen(d->name) == len - 2 && strncmp(a + 2, d->name, len - 2) == 0)
                                break;
                if (!d->name)
                        return usage_error("unknown option '%.*s'", (int)len, a);
                owned[n] = strndup(a, len);
                ops[n].def = d;
                ops[n].opt = owned[n];
                if (d->arg == ARG_NONE && eq)
                        return usage_error("%s takes no value", ops[n].opt);
                if (eq)
                        ops[n].arg = eq + 1;
                else if (d->arg == ARG_REQUIRED) {
                        if (i + 1 >= argc)
                                return usage_error("%s needs a value", ops[n].opt);
                        ops[n].arg = argv[++i];
                } else if (d->arg == ARG_PATH && i + 1 < argc && argv[i + 1][0] == '/')
                        ops[n].arg = argv[++i];
                n++;
        }
        *ret_n = n;
        return 0;
}

static int parse_level(const char *opt, const char *arg, const char *const *names, size_t n,
                       uint32_t *ret) {
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(arg, names[i]) == 0) {
                        *ret = (uint32_t)i;
                        return 0;
                }
        if (strcmp(arg, "pkt_integrity") == 0 || strcmp(arg, "pkt-integrity") == 0) {
                *ret = 5;
                return 0;
        }
        if (strcmp(arg, "pkt_privacy") == 0 || strcmp(arg, "pkt-privacy") == 0) {
                *ret = 6;
                return 0;
        }
        if (arg[0] >= '1' && arg[0] < '0' + (int)n && !arg[1]) {
                *ret = (uint32_t)(arg[0] - '0');
                return 0;
        }
        fprintf(stderr, "dcomcnfg: %s '%s': not a level (", opt, arg);
        for (size_t i = 1; i < n; i++)
                fprintf(stderr, "%s, ", names[i]);
        fprintf(stderr, "1-%zu or default)\nTry 'dcomcnfg --help' for more information.\n", n - 1);
        return EXIT_USAGE;
}

/* Checks what can be checked without the registry, so that a bad value is a usage error. */
static int check_syntax(const struct op *o, const struct value *values) {
        uint32_t l;

        switch (o->def->op) {
        case PERM_SDDL:
                if (!*o->arg)
                        return usage_error("%s: the value is empty (an empty descriptor has no "
                                           "DACL and admits everyone; say O:BAG:BAD: for no one)",
                                           o->opt);
                return 0;
        case PERM_GRANT:
        case PERM_DENY:
        case PERM_REVOKE:
                if (!*o->arg)
                        return usage_error("%s: the value is empty", o->opt);
                return parse_rights(o->opt, o->arg, values[o->def->value].launch,
                                    o->def->op == PERM_REVOKE, &l);
        case OP_AUTHN:
                return parse_level(o->opt, o->arg, authn_names, 7, &l);
        case OP_IMP:
                return parse_level(o->opt, o->arg, imp_names, 5, &l);
        case OP_YN:
                if (strcasecmp(o->arg, "Y") && strcasecmp(o->arg, "N"))
                        return usage_error("%s '%s': Y or N", o->opt, o->arg);
                return 0;
        case OP_BOOL01:
                if (strcmp(o->arg, "0") && strcmp(o->arg, "1"))
                        return usage_error("%s '%s': 0 or 1", o->opt, o->arg);
                return 0;
        case OP_SURROGATE:
                if (o->arg && o->arg[0] != '/')
                        return usage_error("%s '%s': the surrogate must be an absolute path", o->opt,
                                           o->arg);
                return 0;
        case OP_RUN_AS:
        case OP_STRING:
                if (o->arg && !o->arg[0])
                        return usage_error("%s: the value is empty", o->opt);
                return 0;
        default:
                return 0;
        }
}

/* Applies one option to its value; failures here roll everything back. */
static int apply(const struct op *o, struct value *values, const char *where) {
        struct value *v = &values[o->def->value];
        uint32_t l = 0;

        if (o->def->op < OP_AUTHN)
                return perm_apply(v, where, o->opt, (enum perm_op)o->def->op, o->arg);
        switch (o->def->op) {
        case OP_AUTHN:
                parse_level(o->opt, o->arg, authn_names, 7, &l);
                if (l)
                        value_put_dword(v, l);
                else
                        v->is = false;
                return 0;
        case OP_IMP:
                parse_level(o->opt, o->arg, imp_names, 5, &l);
                if (l)
                        value_put_dword(v, l);
                else
                        v->is = false;
                return 0;
        case OP_YN:
                value_put_string(v, strcasecmp(o->arg, "Y") == 0 ? "Y" : "N");
                return 0;
        case OP_BOOL01:
                value_put_dword(v, o->arg[0] == '1');
                return 0;
        case OP_RUN_AS:
                /* as dcomlaunch reads it: "Interactive User", or a Unix user */
                if (strcasecmp(o->arg, "Interactive User") == 0) {
                        value_put_string(v, "Interactive User");
                        return 0;
                }
                if (!getpwnam(o->arg))
                        return failure("%s '%s': no such user on this machine (a Unix user, or "
                                       "'Interactive User')", o->opt, o->arg);
                value_put_string(v, o->arg);
                return 0;
        case OP_REMOVE:
                v->is = false;
                return 0;
        case OP_SURROGATE:
                value_put_string(v, o->arg ? o->arg : "");
                return 0;
        case OP_STRING:
                value_put_string(v, o->arg);
                return 0;
        default:
                return failure("%s: not implemented", o->opt);
        }
}

/* Writes what changed (in the caller's transaction) and says so; -1 on a registry error. */
static int write_values(HKEY root, const char *root_name, const char *path, struct value *values,
                        size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct value *v = &values[i];
                LSTATUS s;
                if (!value_changed(v))
                        continue;
                s = v->is ? set_raw(root, path, v->name, v->type, v->data, v->size)
                          : delete_value(root, path, v->name);
                if (s != ERROR_SUCCESS) {
                        failure("cannot %s %s\\%s %s: %s", v->is ? "write" : "remove", root_name,
                                path, v->name[0] ? v->name : "(default)", reg_error(s));
                        return -1;
                }
                printf("%s %s\\%s %s\n", v->is ? "set" : "removed", root_name, path,
                       v->name[0] ? v->name : "(default)");
        }
        return 0;
}

static int begin(void) {
        LSTATUS s = dcom_reg_begin();

        if (s != ERROR_SUCCESS)
                return failure("cannot start a registry transaction: %s", reg_error(s));
        return 0;
}

static int commit(void) {
        LSTATUS s = dcom_reg_commit();

        if (s != ERROR_SUCCESS)
                return failure("cannot commit the registry transaction: %s; nothing was changed",
                               reg_error(s));
        return 0;
}

/* ---- set ------------------------------------------------------------------------------------ */

enum app_value { V_NAME, V_LAUNCH, V_ACCESS, V_AUTHN, V_RUN_AS, V_SURROGATE, V_REMOTE, N_APP_VALUES };

static const struct option_def set_options[] = {
        { "grant-launch", ARG_REQUIRED, V_LAUNCH, PERM_GRANT },
        { "deny-launch", ARG_REQUIRED, V_LAUNCH, PERM_DENY },
        { "revoke-launch", ARG_REQUIRED, V_LAUNCH, PERM_REVOKE },
        { "launch-sddl", ARG_REQUIRED, V_LAUNCH, PERM_SDDL },
        { "default-launch", ARG_NONE, V_LAUNCH, PERM_RESET },
        { "grant-access", ARG_REQUIRED, V_ACCESS, PERM_GRANT },
        { "deny-access", ARG_REQUIRED, V_ACCESS, PERM_DENY },
        { "revoke-access", ARG_REQUIRED, V_ACCESS, PERM_REVOKE },
        { "access-sddl", ARG_REQUIRED, V_ACCESS, PERM_SDDL },
        { "default-access", ARG_NONE, V_ACCESS, PERM_RESET },
        { "authn-level", ARG_REQUIRED, V_AUTHN, OP_AUTHN },
        { "run-as", ARG_REQUIRED, V_RUN_AS, OP_RUN_AS },
        { "run-as-launching-user", ARG_NONE, V_RUN_AS, OP_REMOVE },
        { "surrogate", ARG_PATH, V_SURROGATE, OP_SURROGATE },
        { "no-surrogate", ARG_NONE, V_SURROGATE, OP_REMOVE },
        { "remote-server", ARG_REQUIRED, V_REMOTE, OP_STRING },
        { "no-remote-server", ARG_NONE, V_REMOTE, OP_REMOVE },
        { "name", ARG_REQUIRED, V_NAME, OP_STRING },
        { NULL, 0, 0, 0 },
};

/* Seed 003 (KB Q246054): a legacy server's AppID is its first class's GUID; every class it
   serves names it, and HKCR\AppID\<exe> maps the server process to it. */
static int synthesize(const struct app *a) {
        const struct cls *first = a->server;
        char path[300];
        LSTATUS s;

        snprintf(path, sizeof path, "AppID\\%s", first->exe);
        if ((s = create_key(HKEY_CLASSES_ROOT, a->path)) != ERROR_SUCCESS ||
            (s = set_string(HKEY_CLASSES_ROOT, a->path, "",
                            first->name[0] ? first->name : first->exe)) != ERROR_SUCCESS)
                return failure("cannot create HKCR\\%s: %s", a->path, reg_error(s));
        printf("created HKCR\\%s for the legacy server %s (from its first class, KB Q246054)\n",
               a->path, shown(first->program));
        for (size_t i = 0; i < n_classes; i++) {
                char cpath[64];
                if (!same_server(&classes[i], first))
                        continue;
                snprintf(cpath, sizeof cpath, "CLSID\\%s", classes[i].id);
                if ((s = set_string(HKEY_CLASSES_ROOT, cpath, "AppID", a->id)) != ERROR_SUCCESS)
                        return failure("cannot write HKCR\\%s AppID: %s", cpath, reg_error(s));
                printf("set HKCR\\%s AppID\n", cpath);
        }
        if ((s = set_string(HKEY_CLASSES_ROOT, path, "AppID", a->id)) != ERROR_SUCCESS)
                return failure("cannot write HKCR\\%s AppID: %s", path, reg_error(s));
        printf("set HKCR\\%s AppID (the executable mapping)\n", shown(path));
        return 0;
}

static int cmd_set(int argc, char **argv) {
        struct value values[N_APP_VALUES] = {
                [V_NAME] = { .name = "" },
                [V_LAUNCH] = { .name = "LaunchPermission", .perm = true, .launch = true },
                [V_ACCESS] = { .name = "AccessPermission", .perm = true },
                [V_AUTHN] = { .name = "AuthenticationLevel" },
                [V_RUN_AS] = { .name = "RunAs" },
                [V_SURROGATE] = { .name = "DllSurrogate" },
                [V_REMOTE] = { .name = "RemoteServerName" },
        };
        struct op *ops = NULL;
        char **owned = NULL, where[80];
        struct sec_machine m;
        void *self_sd = NULL;
        size_t n_ops = 0, self_len = 0;
        struct app a;
        bool machine_loaded = false;
        int r;

        if (argc < 1 || strncmp(argv[0], "--", 2) == 0)
                return usage_error("set needs an APP, then options");
        r = parse_options(argc - 1, argv + 1, set_options, &ops, &n_ops, &owned);
        if (r == 0 && !n_ops)
                r = usage_error("set %s: no option says what to change", argv[0]);
        for (size_t i = 0; r == 0 && i < n_ops; i++)
                r = check_syntax(&ops[i], values);
        if (r != 0)
                goto out;
        load_classes();
        if ((r = resolve(argv[0], &a)) != 0)
                goto out;
        if ((r = begin()) != 0)
                goto out;
        if ((r = sec_machine_load(&m)) < 0) {
                r = failure("cannot read HKLM\\" OLE_KEY ": %s", strerror(-r));
                dcom_reg_rollback();
                goto out;
        }
        machine_loaded = true;
        /* what applies without the application's own values */
        values[V_LAUNCH].def_sd = m.default_launch.sd;
        values[V_LAUNCH].def_len = m.default_launch.len;
        if (m.default_access.sd) {
                values[V_ACCESS].def_sd = m.default_access.sd;
                values[V_ACCESS].def_len = m.default_access.len;
        } else if (sec_sddl_parse(default_access_self, &self_sd, &self_len) == 0) {
                values[V_ACCESS].def_sd = self_sd;
                values[V_ACCESS].def_len = self_len;
        } else {
                r = failure("cannot build Windows' default access permission");
                dcom_reg_rollback();
                goto out;
        }
        if (a.key_exists)
                for (size_t i = 0; i < N_APP_VALUES; i++)
                        value_load(&values[i], HKEY_CLASSES_ROOT, a.path);
        snprintf(where, sizeof where, "HKCR\\%s", a.path);
        for (size_t i = 0; i < n_ops; i++)
                if ((r = apply(&ops[i], values, where)) != 0) {
                        dcom_reg_rollback();
                        fprintf(stderr, "dcomcnfg: nothing was changed\n");
                        goto out;
                }
        bool changed = false;
        for (size_t i = 0; i < N_APP_VALUES; i++)
                changed |= value_changed(&values[i]);
        if (!changed) {
                /* seed 003: an edit that changes nothing writes nothing -- not even the AppID
                   of a legacy server */
                dcom_reg_rollback();
                printf("no change: %s already says that\n", a.key_exists ? where : "the machine default");
                r = EXIT_OK;
                goto out;
        }
        if (a.synthesize)
                r = synthesize(&a);
        else if (!a.key_exists) {
                LSTATUS s = create_key(HKEY_CLASSES_ROOT, a.path);
                if (s != ERROR_SUCCESS)
                        r = failure("cannot create HKCR\\%s: %s", a.path, reg_error(s));
        }
        if (r == 0 && write_values(HKEY_CLASSES_ROOT, "HKCR", a.path, values, N_APP_VALUES) < 0)
                r = EXIT_FAIL;
        if (r != 0) {
                dcom_reg_rollback();
                fprintf(stderr, "dcomcnfg: nothing was changed\n");
                goto out;
        }
        r = commit();
out:
        for (size_t i = 0; i < N_APP_VALUES; i++)
                value_clear(&values[i]);
        if (machine_loaded)
                sec_machine_clear(&m);
        free(self_sd);
        for (size_t i = 0; owned && owned[i]; i++)
                free(owned[i]);
        free(owned);
        free(ops);
        return r;
}

/* ---- machine -------------------------------------------------------------------------------- */

enum machine_value {
        M_ENABLE_DCOM, M_REMOTE_CONNECT, M_AUTHN, M_IMP, M_SECURE_REFS, M_INTEGRITY,
        M_LAUNCH_RESTRICTION, M_ACCESS_RESTRICTION, M_DEFAULT_LAUNCH, M_DEFAULT_ACCESS,
        N_MACHINE_VALUES
};

#define PERM_OPTIONS(stem, value) \
        { "grant-" stem, ARG_REQUIRED, value, PERM_GRANT }, \
        { "deny-" stem, ARG_REQUIRED, value, PERM_DENY }, \
        { "revoke-" stem, ARG_REQUIRED, value, PERM_REVOKE }, \
        { stem "-sddl", ARG_REQUIRED, value, PERM_SDDL }, \
        { "reset-" stem, ARG_NONE, value, PERM_RESET }

static const struct option_def machine_options[] = {
        { "enable-dcom", ARG_REQUIRED, M_ENABLE_DCOM, OP_YN },
        { "enable-remote-connect", ARG_REQUIRED, M_REMOTE_CONNECT, OP_YN },
        { "legacy-authn-level", ARG_REQUIRED, M_AUTHN, OP_AUTHN },
        { "legacy-imp-level", ARG_REQUIRED, M_IMP, OP_IMP },
        { "legacy-secure-refs", ARG_REQUIRED, M_SECURE_REFS, OP_YN },
        { "require-integrity-activation", ARG_REQUIRED, M_INTEGRITY, OP_BOOL01 },
        PERM_OPTIONS("launch-restriction", M_LAUNCH_RESTRICTION),
        PERM_OPTIONS("access-restriction", M_ACCESS_RESTRICTION),
        PERM_OPTIONS("default-launch", M_DEFAULT_LAUNCH),
        PERM_OPTIONS("default-access", M_DEFAULT_ACCESS),
        { NULL, 0, 0, 0 },
};

static void show_machine_perm(const char *label, const struct sec_perm *p, bool launch,
                              bool restriction) {
        const char *o = perm_origin(HKEY_LOCAL_MACHINE, OLE_KEY, label, restriction);

        if (o)
                printf("%s: %s in HKLM\\" OLE_KEY "\n", label, o);
        else
                printf("%s: not set: Windows' default\n", label);
        print_perm(p->sd, p->len, launch);
}

static int show_machine(void) {
        struct sec_machine m;
        int r = sec_machine_load(&m);

        if (r < 0)
                return failure("cannot read HKLM\\" OLE_KEY ": %s", strerror(-r));
        printf("EnableDCOM: %s (%s)\n", m.enable_dcom ? "Y" : "N", origin("EnableDCOM"));
        printf("EnableRemoteConnect: %s (%s)\n", m.enable_remote_connect ? "Y" : "N",
               origin("EnableRemoteConnect"));
        /* seed 000: LegacyAuthenticationLevel 2 is RPC_C_AUTHN_LEVEL_CONNECT,
           LegacyImpersonationLevel 2 is RPC_C_IMP_LEVEL_IDENTIFY */
        printf("LegacyAuthenticationLevel: %s (%u) (%s)\n",
               level_name(authn_names, 7, m.legacy_authn_level), m.legacy_authn_level,
               origin("LegacyAuthenticationLevel"));
        printf("LegacyImpersonationLevel: %s (%u) (%s)\n",
               level_name(imp_names, 5, m.legacy_imp_level), m.legacy_imp_level,
               origin("LegacyImpersonationLevel"));
        printf("LegacySecureReferences: %s (%s)\n", m.legacy_secure_refs ? "Y" : "N",
               origin("LegacySecureReferences"));
        printf("RequireIntegrityActivationAuthenticationLevel: %d (%s)\n", m.require_integrity,
               origin("RequireIntegrityActivationAuthenticationLevel"));
        show_machine_perm("MachineLaunchRestriction", &m.launch_restriction, true, true);
        show_machine_perm("MachineAccessRestriction", &m.access_restriction, false, true);
        show_machine_perm("DefaultLaunchPermission", &m.default_launch, true, false);
        if (m.default_access.sd) {
                show_machine_perm("DefaultAccessPermission", &m.default_access, false, false);
        } else {
                printf("DefaultAccessPermission: not set: Windows' default, each server "
                       "process's own user (SELF), SYSTEM and Administrators\n");
                print_sddl_perm(default_access_self, false);
        }
        sec_machine_clear(&m);
        return EXIT_OK;
}

static int cmd_machine(int argc, char **argv) {
        struct value values[N_MACHINE_VALUES] = {
                [M_ENABLE_DCOM] = { .name = "EnableDCOM" },
                [M_REMOTE_CONNECT] = { .name = "EnableRemoteConnect" },
                [M_AUTHN] = { .name = "LegacyAuthenticationLevel" },
                [M_IMP] = { .name = "LegacyImpersonationLevel" },
                [M_SECURE_REFS] = { .name = "LegacySecureReferences" },
                [M_INTEGRITY] = { .name = "RequireIntegrityActivationAuthenticationLevel" },
                [M_LAUNCH_RESTRICTION] = { .name = "MachineLaunchRestriction", .perm = true,
                                           .launch = true, .sddl_default = sec_default_launch_restriction },
                [M_ACCESS_RESTRICTION] = { .name = "MachineAccessRestriction", .perm = true,
                                           .sddl_default = sec_default_access_restriction },
                [M_DEFAULT_LAUNCH] = { .name = "DefaultLaunchPermission", .perm = true,
                                       .launch = true, .sddl_default = sec_default_launch_permission },
                [M_DEFAULT_ACCESS] = { .name = "DefaultAccessPermission", .perm = true,
                                       .sddl_default = default_access_self },
        };
        void *defaults[N_MACHINE_VALUES] = { 0 };
        struct op *ops = NULL;
        char **owned = NULL;
        size_t n_ops = 0;
        int r;

        if (argc == 0)
                return show_machine();
        r = parse_options(argc, argv, machine_options, &ops, &n_ops, &owned);
        for (size_t i = 0; r == 0 && i < n_ops; i++)
                r = check_syntax(&ops[i], values);
        if (r != 0)
                goto out;
        for (size_t i = 0; i < N_MACHINE_VALUES; i++) {
                struct value *v = &values[i];
                if (v->sddl_default && sec_sddl_parse(v->sddl_default, &defaults[i], &v->def_len) < 0) {
                        r = failure("cannot build Windows' default %s", v->name);
                        goto out;
                }
                v->def_sd = defaults[i];
        }
        if ((r = begin()) != 0)
                goto out;
        for (size_t i = 0; i < N_MACHINE_VALUES; i++)
                value_load(&values[i], HKEY_LOCAL_MACHINE, OLE_KEY);
        for (size_t i = 0; i < n_ops; i++)
                if ((r = apply(&ops[i], values, "HKLM\\" OLE_KEY)) != 0) {
                        dcom_reg_rollback();
                        fprintf(stderr, "dcomcnfg: nothing was changed\n");
                        goto out;
                }
        bool changed = false;
        for (size_t i = 0; i < N_MACHINE_VALUES; i++)
                changed |= value_changed(&values[i]);
        if (!changed) {
                dcom_reg_rollback();
                printf("no change: HKLM\\" OLE_KEY " already says that\n");
                goto out;
        }
        if (write_values(HKEY_LOCAL_MACHINE, "HKLM", OLE_KEY, values, N_MACHINE_VALUES) < 0) {
                dcom_reg_rollback();
                fprintf(stderr, "dcomcnfg: nothing was changed\n");
                r = EXIT_FAIL;
                goto out;
        }
        r = commit();
out:
        for (size_t i = 0; i < N_MACHINE_VALUES; i++) {
                value_clear(&values[i]);
                free(defaults[i]);
        }
        for (size_t i = 0; owned && owned[i]; i++)
                free(owned[i]);
        free(owned);
        free(ops);
        return r;
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
        } commands[] = {
                { "list", cmd_list },
                { "show", cmd_show },
                { "set", cmd_set },
                { "machine", cmd_machine },
        };
        int r = EXIT_USAGE;

        if (argc < 2)
                return usage_error("a command is needed: list, show, set or machine");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage();
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("dcomcnfg (OpenDCOM) %s\n", OPENDCOM_VERSION);
                return EXIT_OK;
        }
        bool found = false;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[1], commands[i].name) == 0) {
                        found = true;
                        r = commands[i].run(argc - 2, argv + 2);
                }
        if (!found)
                r = usage_error("unknown command '%s' (list, show, set or machine)", argv[1]);
        free(classes);
        return r;
}
