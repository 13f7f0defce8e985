/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlaunch, the DCOM Server Process Launcher: the small privileged process that
 * starts local servers.  rpcss, unprivileged and facing the network, asks it over the
 * Unix socket /run/opendcom/dcomlaunch (OPENDCOM_ROOT/run/dcomlaunch in a private
 * instance) to start the server of a CLSID for a launching user (launch-proto.h);
 * dcomlaunch trusts it for those two things only.
 * The program, its arguments and the identity it runs as come from the registry, read
 * here:
 *
 *   HKCR\CLSID\{clsid}\LocalServer32   (default)  the command line (REG_SZ/REG_EXPAND_SZ)
 *   HKCR\CLSID\{clsid}                 AppID      -> HKCR\AppID\{appid}  RunAs:
 *        absent               the launching user
 *        "Interactive User"   the user of the active local login session
 *        NAME                 that Unix user
 *
 * The server runs with "-Embedding" appended, in its own session, stdin on /dev/null,
 * stdout and stderr shared with dcomlaunch's log, no other descriptor, a clean
 * environment, and -- when dcomlaunch is root -- that identity's uid, gid and groups.
 * dcomlaunch answers STARTED with its pid, and if the server exits while rpcss still
 * holds the connection (it has not registered its class yet), EXITED with the status.
 *
 *      dcomlaunch [--client-user NAME] [--foreground]
 *
 * One thread, one poll() loop: signals through a signalfd, at most MAX_CONNS
 * connections, a request due within REQUEST_TIMEOUT_MS of the connection, every write
 * non-blocking -- no client can stall the launcher for the others.  One log line per
 * launch, failure, refusal, early exit, start and stop (stderr, the journal with
 * priorities under systemd, or syslog with DCOM_LOG=syslog: say() below).
 *
 * Surrogates (Windows' dllhost): a class with no LocalServer32 but an InprocServer32,
 * whose AppID has a DllSurrogate value, runs in a surrogate host --
 *
 *   HKCR\AppID\{appid}  DllSurrogate  ""     dcomsurrogate, beside dcomlaunch
 *                                      PATH   that program (a command line, checked
 *                                             as LocalServer32's)
 *
 * started as `program -Embedding {clsid}`, with the same identity, environment and
 * checks as a local server.
 *
 * LocalService: rpcss, which may not start units, asks dcomlaunch to start the
 * LocalService of an AppID (or to tell its MainPID, for its registration check); the
 * unit is HKCR\AppID\{appid}\LocalService, read here, and only a unit name passes to
 * the service manager (systemctl, or OPENDCOM_SERVICE_MANAGER).  See "LocalService"
 * below.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <utmpx.h>

#include <dcom/winreg.h>

#include "base/base-internal.h"
#include "base/paths.h"
#include "base/version.h"
#include "service-socket.h"
#include "cmdline.h"
#include "launch-client.h"

static LOG_CHANNEL(dcomlaunch);

#define MAX_CONNS 64
#define REQUEST_TIMEOUT_MS 3000
#define MAX_GROUPS 256

/* ---- the log ------------------------------------------------------------------------------ */

/*
 * One line per event (log_service): stderr -- the journal under systemd, with the
 * syslog priority first -- or syslog with DCOM_LOG=syslog.  Failed launches are LOG_ERR,
 * refused requests and connections LOG_WARNING, starts and stops LOG_INFO.
 */
#define say(priority, ...) log_service(priority, __VA_ARGS__)

/* ---- the registry ------------------------------------------------------------------------- */

/* An ASCII string as a WCHAR one (registry paths made of GUIDs and fixed names). */
static void ascii_w(WCHAR *out, size_t n, const char *s) {
        size_t i;

        for (i = 0; s[i] && i + 1 < n; i++)
                out[i] = (WCHAR)(unsigned char)s[i];
        out[i] = 0;
}

/*
 * HKCR\key's string value (NULL: the default value), REG_SZ or REG_EXPAND_SZ (expanded),
 * as UTF-8 in *ret.  Returns ERROR_SUCCESS, ERROR_FILE_NOT_FOUND (no key or no value),
 * or another error (wrong type, too long, not UTF-16, no memory).
 */
static LSTATUS reg_string(const char *key, const char *value, char **ret) {
        WCHAR wkey[128], wvalue[32], *data = NULL;
        DWORD size = 0;
        size_t n;
        LSTATUS s;

        ascii_w(wkey, ELEMENTSOF(wkey), key);
        if (value)
                ascii_w(wvalue, ELEMENTSOF(wvalue), value);
        s = RegGetValueW(HKEY_CLASSES_ROOT, wkey, value ? wvalue : NULL, RRF_RT_REG_SZ, NULL,
                         NULL, &size);
        if (s != ERROR_SUCCESS)
                return s;
        if (size > 2 * (CMDLINE_MAX_LEN + 1))
                return ERROR_INVALID_DATA;
        data = dcom_malloc(size + sizeof(WCHAR));
        if (!data)
                return ERROR_OUTOFMEMORY;
        s = RegGetValueW(HKEY_CLASSES_ROOT, wkey, value ? wvalue : NULL, RRF_RT_REG_SZ, NULL,
                         data, &size);
        if (s == ERROR_SUCCESS) {
                data[size / 2] = 0;
                if (dcom_utf16_to_utf8(data, dcom_utf16_len(data), ret, &n) < 0)
                        s = ERROR_INVALID_DATA;
        }
        dcom_free(data);
        return s;
}

/* ---- who the server runs as ----------------------------------------------------------------- */

struct identity {
        uid_t uid;
        gid_t gid;
        char *name, *home, *shell;
        gid_t groups[MAX_GROUPS];
        int n_groups;
};

static void identity_clear(struct identity *id) {
        dcom_free(id->name);
        dcom_free(id->home);
        dcom_free(id->shell);
        memset(id, 0, sizeof *id);
}

static HRESULT identity_from_passwd(const struct passwd *pw, struct identity *id) {
        id->uid = pw->pw_uid;
        id->gid = pw->pw_gid;
        id->name = dcom_strdup(pw->pw_name);
        id->home = dcom_strdup(pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
        id->shell = dcom_strdup(pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
        if (!id->name || !id->home || !id->shell) {
                identity_clear(id);
                return E_OUTOFMEMORY;
        }
        id->n_groups = MAX_GROUPS;
        if (getgrouplist(pw->pw_name, pw->pw_gid, id->groups, &id->n_groups) < 0) {
                /* more than MAX_GROUPS: the primary group and the first ones */
                id->n_groups = MAX_GROUPS;
        }
        return S_OK;
}

/* "KEY=value" lines of a logind state file: the value of key, or NULL. */
static const char *state_field(const char *text, const char *key, char *buf, size_t size) {
        size_t kl = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
                        size_t vl = strcspn(l + kl + 1, "\n");
                        if (vl >= size)
                                return NULL;
                        memcpy(buf, l + kl + 1, vl);
                        buf[vl] = 0;
                        return buf;
                }
        }
        return NULL;
}

static size_t read_small(const char *path, char *buf, size_t size) {
        FILE *f = fopen(path, "re");
        size_t n = 0;

        if (f) {
                n = fread(buf, 1, size - 1, f);
                fclose(f);
        }
        buf[n] = 0;
        return n;
}

/*
 * The user of the active local login session: systemd-logind's seat0 (its ACTIVE_UID,
 * when that session is a user's, not a greeter's or a lock screen's), else the newest
 * utmp USER_PROCESS entry of a local login (no remote host) whose process still runs.
 * 0 and *ret_uid, or -ENOENT.
 */
static int interactive_uid(uid_t *ret_uid) {
        char text[4096], val[64], path[128];

        if (access("/run/systemd/seats/seat0", F_OK) == 0) {
                read_small("/run/systemd/seats/seat0", text, sizeof text);
                if (!state_field(text, "ACTIVE", val, sizeof val) || strchr(val, '/') ||
                    val[0] == '.')
                        return -ENOENT;         /* logind runs the seat: no one is on it */
                snprintf(path, sizeof path, "/run/systemd/sessions/%s", val);
                if (!state_field(text, "ACTIVE_UID", val, sizeof val))
                        return -ENOENT;
                char *end;
                unsigned long u = strtoul(val, &end, 10);
                read_small(path, text, sizeof text);
                if (end == val || *end || u >= UINT32_MAX ||
                    !state_field(text, "CLASS", val, sizeof val) || strcmp(val, "user") != 0)
                        return -ENOENT;
                *ret_uid = (uid_t)u;
                return 0;
        }

        struct utmpx *ut;
        struct timeval best = { 0, 0 };
        char user[sizeof ut->ut_user + 1] = "";

        setutxent();
        while ((ut = getutxent())) {
                if (ut->ut_type != USER_PROCESS || ut->ut_host[0] || ut->ut_pid <= 0)
                        continue;
                if (kill(ut->ut_pid, 0) < 0 && errno == ESRCH)
                        continue;
                if (ut->ut_tv.tv_sec > best.tv_sec ||
                    (ut->ut_tv.tv_sec == best.tv_sec && ut->ut_tv.tv_usec >= best.tv_usec)) {
                        best.tv_sec = ut->ut_tv.tv_sec;
                        best.tv_usec = ut->ut_tv.tv_usec;
                        memcpy(user, ut->ut_user, sizeof ut->ut_user);
                        user[sizeof ut->ut_user] = 0;
                }
        }
        endutxent();
        struct passwd *pw = user[0] ? getpwnam(user) : NULL;
        if (!pw)
                return -ENOENT;
        *ret_uid = pw->pw_uid;
        return 0;
}

/*
 * The identity the class's server runs as (see the top of the file).  S_OK, or
 * CO_E_RUNAS_LOGON_FAILURE / REGDB_E_INVALIDVALUE / E_OUTOFMEMORY with a log line.
 */
static HRESULT resolve_identity(const char *clsid, uid_t launching_uid, struct identity *id) {
        char key[80], *appid = NULL, *runas = NULL, appid_s[DCOM_GUID_STRING_REG];
        struct passwd *pw;
        GUID g;
        LSTATUS s;
        HRESULT hr;

        snprintf(key, sizeof key, "CLSID\\%s", clsid);
        s = reg_string(key, "AppID", &appid);
        if (s == ERROR_SUCCESS) {
                if (dcom_guid_parse(appid, &g) < 0) {
                        say(LOG_ERR, "%s: AppID value '%.80s' is not a GUID", clsid, appid);
                        dcom_free(appid);
                        return REGDB_E_INVALIDVALUE;
                }
                dcom_free(appid);
                dcom_guid_format(&g, DCOM_GUID_FORMAT_REGISTRY, appid_s);
                snprintf(key, sizeof key, "AppID\\%s", appid_s);
                s = reg_string(key, "RunAs", &runas);
                if (s != ERROR_SUCCESS && s != ERROR_FILE_NOT_FOUND) {
                        say(LOG_ERR, "%s: cannot read RunAs of AppID %s (error %ld)", clsid, appid_s,
                            (long)s);
                        return CO_E_RUNAS_LOGON_FAILURE;
                }
        } else if (s != ERROR_FILE_NOT_FOUND) {
                say(LOG_ERR, "%s: cannot read its AppID value (error %ld)", clsid, (long)s);
                return REGDB_E_INVALIDVALUE;
        }

        if (!runas) {
                pw = getpwuid(launching_uid);
                if (!pw) {
                        say(LOG_ERR, "%s: the launching user, uid %u, has no account here", clsid,
                            (unsigned)launching_uid);
                        return CO_E_RUNAS_LOGON_FAILURE;
                }
        } else if (strcasecmp(runas, "Interactive User") == 0) {
                uid_t u;
                pw = interactive_uid(&u) == 0 ? getpwuid(u) : NULL;
                if (!pw) {
                        say(LOG_ERR, "%s: RunAs Interactive User, but no one is logged in at this machine",
                            clsid);
                        dcom_free(runas);
                        return CO_E_RUNAS_LOGON_FAILURE;
                }
        } else {
                pw = runas[0] ? getpwnam(runas) : NULL;
                if (!pw) {
                        say(LOG_ERR, "%s: RunAs user '%.80s' (AppID %s) does not exist", clsid, runas,
                            appid_s);
                        dcom_free(runas);
                        return CO_E_RUNAS_LOGON_FAILURE;
                }
        }
        dcom_free(runas);
        hr = identity_from_passwd(pw, id);
        if (FAILED(hr))
                say(LOG_ERR, "%s: out of memory", clsid);
        return hr;
}

/* ---- what to run ---------------------------------------------------------------------------- */

struct launch_plan {
        char **argv;            /* the program (absolute), its arguments, "-Embedding" */
        size_t argc;
        struct identity id;
};

static void plan_clear(struct launch_plan *p) {
        dcom_free(p->argv);
        identity_clear(&p->id);
        memset(p, 0, sizeof *p);
}

/* The program must be an absolute path to an executable regular file.  what names the
   value it came from. */
static HRESULT check_program(const char *clsid, const char *what, const char *path) {
        struct stat st;

        if (path[0] != '/') {
                say(LOG_ERR, "%s: %s program '%.200s' is not an absolute path", clsid, what, path);
                return CO_E_APPNOTFOUND;
        }
        if (stat(path, &st) < 0) {
                say(LOG_ERR, "%s: %s program %.200s: %s", clsid, what, path, strerror(errno));
                return CO_E_APPNOTFOUND;
        }
        if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111) ||
            (geteuid() != 0 && faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)) {
                say(LOG_ERR, "%s: %s program %.200s: %s", clsid, what, path,
                    S_ISREG(st.st_mode) ? "not executable" : "not a regular file");
                return CO_E_APPNOTFOUND;
        }
        return S_OK;
}

/*
 * The default surrogate: dcomsurrogate in dcomlaunch's own directory (both are installed
 * in sbindir; in the build tree both are in services/), as a quoted command line.
 */
static char *default_surrogate(void) {
        char self[PATH_MAX], *line;
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

        if (n <= 0)
                return NULL;
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (!slash)
                return NULL;
        *slash = 0;
        n = (ssize_t)strlen(self) + 32;
        line = dcom_malloc((size_t)n);
        if (line)
                snprintf(line, (size_t)n, "\"%s/dcomsurrogate\"", self);
        return line;
}

/*
 * A class with no LocalServer32: its surrogate's command line (the AppID's DllSurrogate,
 * or the default surrogate when that is empty) in *ret, or REGDB_E_CLASSNOTREG with a log
 * line saying what is missing.
 */
static HRESULT surrogate_line(const char *clsid, char **ret) {
        char key[80], *v = NULL, appid_s[DCOM_GUID_STRING_REG];
        GUID g;
        LSTATUS s;

        snprintf(key, sizeof key, "CLSID\\%s\\InprocServer32", clsid);
        s = reg_string(key, NULL, &v);
        dcom_free(v);
        v = NULL;
        if (s != ERROR_SUCCESS) {
                say(LOG_ERR, "%s: class not registered (no LocalServer32, no InprocServer32)", clsid);
                return REGDB_E_CLASSNOTREG;
        }
        snprintf(key, sizeof key, "CLSID\\%s", clsid);
        s = reg_string(key, "AppID", &v);
        if (s == ERROR_SUCCESS && dcom_guid_parse(v, &g) == 0) {
                dcom_guid_format(&g, DCOM_GUID_FORMAT_REGISTRY, appid_s);
                dcom_free(v);
                v = NULL;
                snprintf(key, sizeof key, "AppID\\%s", appid_s);
                s = reg_string(key, "DllSurrogate", &v);
        } else {
                s = ERROR_FILE_NOT_FOUND;
        }
        if (s != ERROR_SUCCESS) {
                dcom_free(v);
                say(LOG_ERR, "%s: class not registered for local activation (no LocalServer32; an "
                    "InprocServer32 but no AppID with DllSurrogate)", clsid);
                return REGDB_E_CLASSNOTREG;
        }
        if (!v[0]) {
                dcom_free(v);
                v = default_surrogate();
                if (!v) {
                        say(LOG_ERR, "%s: cannot find the default surrogate beside dcomlaunch", clsid);
                        return CO_E_APPNOTFOUND;
                }
        }
        *ret = v;
        return S_OK;
}

/*
 * The program and arguments of clsid's server: its LocalServer32 command line, else its
 * AppID's surrogate with the CLSID as argument.
 */
static HRESULT plan_program(const char *clsid, struct launch_plan *p) {
        char key[80], *line = NULL;
        const char *what = "LocalServer32";
        bool surrogate = false;
        LSTATUS s;
        HRESULT hr;
        int r;

        snprintf(key, sizeof key, "CLSID\\%s\\LocalServer32", clsid);
        s = reg_string(key, NULL, &line);
        if (s == ERROR_FILE_NOT_FOUND) {
                hr = surrogate_line(clsid, &line);
                if (FAILED(hr))
                        return hr;
                what = "DllSurrogate";
                surrogate = true;
                s = ERROR_SUCCESS;
        }
        if (s != ERROR_SUCCESS) {
                say(LOG_ERR, "%s: LocalServer32 unreadable (error %ld: not a string, or too long)", clsid,
                    (long)s);
                return REGDB_E_CLASSNOTREG;
        }
        r = cmdline_split(line, 2, &p->argv, &p->argc);
        if (r < 0) {
                say(LOG_ERR, "%s: %s '%.200s': %s", clsid, what, line,
                    r == -EINVAL ? "no program (or an unclosed quote)" : strerror(-r));
                dcom_free(line);
                return r == -ENOMEM ? E_OUTOFMEMORY : CO_E_APPNOTFOUND;
        }
        dcom_free(line);
        hr = check_program(clsid, what, p->argv[0]);
        if (FAILED(hr))
                return hr;
        p->argv[p->argc++] = (char *)"-Embedding";      /* Windows' convention */
        if (surrogate)
                p->argv[p->argc++] = (char *)clsid;     /* the surrogate's class */
        return S_OK;
}

/* ---- the launch ----------------------------------------------------------------------------- */

static uid_t my_uid;
static bool privileged;

/* What the server's environment holds: its identity's, and the instance's own settings
   (a private instance -- tests, OPENDCOM_ROOT -- must stay private).  JOURNAL_STREAM: the
   server's stderr is dcomlaunch's, so under systemd the same journal stream. */
static const char *const instance_env[] = {
        "OPENDCOM_ROOT", "OPENDCOM_EPM_PORT", "OPENDCOM_ORPC_LISTEN", "OPENDCOM_ORPC_ADVERTISE",
        "OPENDCOM_PING_PERIOD_MS", "DCOM_DEBUG", "DCOM_LOG", "JOURNAL_STREAM",
};
#define MAX_ENV (6 + ELEMENTSOF(instance_env) + 1)

static char *env_entry(const char *name, const char *value) {
        size_t n = strlen(name) + strlen(value) + 2;
        char *e = dcom_malloc(n);

        if (e)
                snprintf(e, n, "%s=%s", name, value);
        return e;
}

static void env_free(char **env) {
        for (size_t i = 0; env[i]; i++)
                dcom_free(env[i]);
}

static int env_build(const struct identity *id, char *env[MAX_ENV]) {
        size_t n = 0;

        memset(env, 0, MAX_ENV * sizeof *env);
        env[n++] = env_entry("PATH", "/usr/local/bin:/usr/bin:/bin");
        env[n++] = env_entry("HOME", id->home);
        env[n++] = env_entry("USER", id->name);
        env[n++] = env_entry("LOGNAME", id->name);
        env[n++] = env_entry("SHELL", id->shell);
        env[n++] = env_entry("LANG", "C.UTF-8");
        for (size_t i = 0; i < ELEMENTSOF(instance_env); i++) {
                const char *v = getenv(instance_env[i]);
                if (v)
                        env[n++] = env_entry(instance_env[i], v);
        }
        for (size_t i = 0; i < n; i++)
                if (!env[i]) {
                        for (size_t j = 0; j < n; j++)
                                dcom_free(env[j]);
                        memset(env, 0, MAX_ENV * sizeof *env);
                        return -ENOMEM;
                }
        return 0;
}

static void close_fds_from(int lowest) {
        if (close_range((unsigned)lowest, ~0U, 0) == 0)
                return;
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = lowest; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
                close(fd);
}

/* The child between fork() and exec(): everything was prepared by the parent. */
static _Noreturn void child_exec(const struct launch_plan *p, char *const env[]) {
        sigset_t none;
        int fd;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setsid();
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
                dprintf(STDERR_FILENO, "dcomlaunch: %s: cannot open /dev/null\n", p->argv[0]);
                _exit(127);
        }
        close_fds_from(3);
        if (privileged) {
                if (setgroups((size_t)p->id.n_groups, p->id.groups) < 0 ||
                    setresgid(p->id.gid, p->id.gid, p->id.gid) < 0 ||
                    setresuid(p->id.uid, p->id.uid, p->id.uid) < 0 || getuid() != p->id.uid ||
                    geteuid() != p->id.uid || getgid() != p->id.gid || getegid() != p->id.gid ||
                    (p->id.uid != 0 && setuid(0) == 0)) {
                        dprintf(STDERR_FILENO, "dcomlaunch: %s: cannot become %s: %s\n",
                                p->argv[0], p->id.name, strerror(errno));
                        _exit(127);
                }
        }
        if (chdir(p->id.home) < 0 && chdir("/") < 0)
                _exit(127);
        execve(p->argv[0], p->argv, env);
        dprintf(STDERR_FILENO, "dcomlaunch: cannot execute %s: %s\n", p->argv[0],
                strerror(errno));
        _exit(127);
}

/*
 * Everything a request asks: S_OK and *ret_pid, or the failure (each with its log
 * line).  clsid is the class in registry form.
 */
static HRESULT launch(const struct launch_msg_request *req, const char *clsid, pid_t *ret_pid) {
        struct launch_plan p = { 0 };
        char *env[MAX_ENV];
        HRESULT hr;
        pid_t pid;

        hr = plan_program(clsid, &p);
        if (SUCCEEDED(hr))
                hr = resolve_identity(clsid, (uid_t)req->launching_uid, &p.id);
        if (FAILED(hr))
                goto out;
        if (!privileged && p.id.uid != my_uid) {
                say(LOG_ERR, "%s: cannot start a server as %s (uid %u): dcomlaunch runs as uid %u, not root",
                    clsid, p.id.name, (unsigned)p.id.uid, (unsigned)my_uid);
                hr = CO_E_RUNAS_LOGON_FAILURE;
                goto out;
        }
        if (env_build(&p.id, env) < 0) {
                say(LOG_ERR, "%s: out of memory", clsid);
                hr = E_OUTOFMEMORY;
                goto out;
        }
        pid = fork();
        if (pid == 0)
                child_exec(&p, env);
        env_free(env);
        if (pid < 0) {
                say(LOG_ERR, "%s: cannot start %s: fork: %s", clsid, p.argv[0], strerror(errno));
                hr = CO_E_SERVER_EXEC_FAILURE;
                goto out;
        }
        say(LOG_INFO, "started %s as %s (pid %d): %s", clsid, p.id.name, (int)pid, p.argv[0]);
        log_debug(dcomlaunch, "%s: launching uid %u%s, %zu arguments", clsid,
                  (unsigned)req->launching_uid, req->flags & LAUNCH_FLAG_REMOTE ? " (remote)" : "",
                  p.argc - 1);
        *ret_pid = pid;
out:
        plan_clear(&p);
        return hr;
}

/* ---- LocalService: a unit of the service manager -------------------------------------------- */

/*
 * A service request (LAUNCH_FLAG_SERVICE_*) names an AppID; the unit is its
 * HKCR\AppID\{appid}\LocalService, read here, never taken from rpcss: rpcss can have a
 * registered service started, not any unit.  The service manager is systemctl, or the
 * program OPENDCOM_SERVICE_MANAGER names (tests), run with
 *
 *   start --no-block NAME.service          start it (the unit registers its classes)
 *   show -p MainPID --value NAME.service   its main process, for rpcss's registration check
 *
 * with a clean signal mask, stdin on /dev/null, stdout read here and no other descriptor,
 * for SERVICE_MANAGER_MS at most (then it is killed and the request fails).  The loop
 * does not wait for it: the connection waits, and the answer goes when it exits
 * (reap_children).
 */
#define SERVICE_MANAGER_MS 5000

/* The unit of appid ("NAME.service") into unit, or CO_E_APPNOTFOUND with a log line. */
static HRESULT service_unit(const char *appid, uid_t peer_uid, pid_t peer_pid, char *unit,
                            size_t size) {
        char key[80], *name = NULL;
        LSTATUS s;

        snprintf(key, sizeof key, "AppID\\%s", appid);
        s = reg_string(key, "LocalService", &name);
        if (s != ERROR_SUCCESS || !name[0]) {
                say(LOG_WARNING, "service request from uid %u (pid %d) refused: AppID %s has no "
                    "LocalService%s", (unsigned)peer_uid, (int)peer_pid, appid,
                    s == ERROR_SUCCESS || s == ERROR_FILE_NOT_FOUND ? "" : " (unreadable)");
                dcom_free(name);
                return CO_E_APPNOTFOUND;
        }
        if (!launch_unit_name_ok(name)) {
                say(LOG_ERR, "service request from uid %u (pid %d) refused: LocalService '%.80s' "
                    "of AppID %s is not a unit name", (unsigned)peer_uid, (int)peer_pid, name,
                    appid);
                dcom_free(name);
                return CO_E_APPNOTFOUND;
        }
        size_t n = strlen(name);
        snprintf(unit, size, "%s%s", name,
                 n > 8 && strcmp(name + n - 8, ".service") == 0 ? "" : ".service");
        dcom_free(name);
        return S_OK;
}

/*
 * Starts the service manager with args (stdout into a pipe, whose non-blocking read end
 * is *ret_out), without waiting: the loop goes on, and reap_children() finishes the
 * request when it exits.  0, or a negative errno.
 */
static int service_spawn(const char *const *args, pid_t *ret_pid, int *ret_out) {
        const char *prog = getenv("OPENDCOM_SERVICE_MANAGER");
        const char *argv[8];
        int p[2];
        size_t n = 0;

        if (!prog || !*prog)
                prog = "systemctl";
        argv[n++] = prog;
        for (; args[n - 1] && n < ELEMENTSOF(argv) - 1; n++)
                argv[n] = args[n - 1];
        argv[n] = NULL;
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return -e;
        }
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
                        _exit(127);
                /* a blocking stdout: the pipe's O_NONBLOCK is the file's, shared */
                fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) & ~O_NONBLOCK);
                close_fds_from(3);
                execvp(prog, (char *const *)argv);
                _exit(127);
        }
        close(p[1]);
        *ret_pid = pid;
        *ret_out = p[0];
        return 0;
}

/* ---- connections ---------------------------------------------------------------------------- */

struct conn {
        int fd;                         /* -1: a free slot */
        bool watching;                  /* STARTED sent: waiting for the server or the close */
        size_t have;
        uint8_t buf[LAUNCH_REQUEST_SIZE];
        uint64_t deadline;              /* for the request */
        pid_t child;
        char clsid[DCOM_GUID_STRING_REG];
        uid_t peer_uid;
        pid_t peer_pid;
        /* a service request while the service manager runs for it */
        pid_t svc_child;                /* 0: none */
        int svc_out;                    /* its stdout (-1: none) */
        bool svc_query;                 /* LAUNCH_FLAG_SERVICE_PID */
        char unit[LAUNCH_UNIT_NAME_MAX + 16];
};

static struct conn conns[MAX_CONNS];
static unsigned n_conns;
static uid_t client_uid = (uid_t)-1;

static void conn_close(struct conn *c) {
        close(c->fd);
        if (c->svc_out >= 0)
                close(c->svc_out);
        memset(c, 0, sizeof *c);
        c->fd = -1;
        c->svc_out = -1;
        n_conns--;
}

/* One record, never blocking: false if it could not go whole (the client is gone or
   stuck; the caller drops it). */
static bool send_reply(struct conn *c, uint32_t kind, HRESULT hr, uint32_t value) {
        const struct launch_msg_reply m = { kind, hr, value };
        uint8_t out[LAUNCH_REPLY_SIZE];

        launch_reply_encode(&m, out);
        return send(c->fd, out, sizeof out, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof out;
}

static void accept_one(int listener) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0)
                return;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                close(fd);
                return;
        }
        if (cred.uid != 0 && cred.uid != my_uid && cred.uid != client_uid) {
                say(LOG_WARNING, "refused a connection from uid %u (pid %d): only root, uid %u and the "
                    "--client-user may ask", (unsigned)cred.uid, (int)cred.pid, (unsigned)my_uid);
                close(fd);
                return;
        }
        for (unsigned i = 0; i < MAX_CONNS; i++) {
                if (conns[i].fd >= 0)
                        continue;
                conns[i].fd = fd;
                conns[i].deadline = dcom_monotonic_ms() + REQUEST_TIMEOUT_MS;
                conns[i].peer_uid = cred.uid;
                conns[i].peer_pid = cred.pid;
                n_conns++;
                return;
        }
        close(fd);              /* not reached: the listener is not polled while full */
}

static const char *decode_error(int r) {
        switch (r) {
        case -EPROTONOSUPPORT:
                return "unknown protocol version";
        case -EINVAL:
                return "unknown flags, or fields that do not go together";
        default:
                return "malformed";
        }
}

static void describe_status(int st, char *buf, size_t size);

/*
 * A service request (c->clsid holds the AppID): its unit from the registry, and the
 * service manager started for it; or the refusal answered at once.
 */
static void service_begin(struct conn *c, const struct launch_msg_request *req) {
        HRESULT hr = service_unit(c->clsid, c->peer_uid, c->peer_pid, c->unit, sizeof c->unit);
        int r;

        if (SUCCEEDED(hr)) {
                const char *start[] = { "start", "--no-block", c->unit, NULL };
                const char *show[] = { "show", "-p", "MainPID", "--value", c->unit, NULL };
                c->svc_query = (req->flags & LAUNCH_FLAG_SERVICE_PID) != 0;
                r = service_spawn(c->svc_query ? show : start, &c->svc_child, &c->svc_out);
                if (r == 0) {
                        c->deadline = dcom_monotonic_ms() + SERVICE_MANAGER_MS;
                        return;
                }
                say(LOG_ERR, "AppID %s: cannot run the service manager for %s: %s", c->clsid,
                    c->unit, strerror(-r));
                hr = CO_E_SERVER_EXEC_FAILURE;
        }
        send_reply(c, LAUNCH_REPLY_STARTED, hr, 0);
        conn_close(c);
}

/* The service manager ran for c and exited with wait status st (or was killed at the
   deadline, st -1): the answer, and the connection ends. */
static void service_end(struct conn *c, int st) {
        char line[64] = "";
        size_t got = 0;
        ssize_t k;
        unsigned long v = 0;
        HRESULT hr = S_OK;

        /* its output is in the pipe already (it exited); more than a line is not read */
        while (c->svc_out >= 0 && got + 1 < sizeof line &&
               (k = read(c->svc_out, line + got, sizeof line - 1 - got)) > 0)
                got += (size_t)k;
        line[got] = 0;
        line[strcspn(line, "\n")] = 0;
        if (st == -1) {
                say(LOG_ERR, "AppID %s: the service manager did not answer for %s within %d ms",
                    c->clsid, c->unit, SERVICE_MANAGER_MS);
                hr = CO_E_SERVER_EXEC_FAILURE;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                char what[64];
                describe_status(st, what, sizeof what);
                if (c->svc_query)
                        say(LOG_ERR, "AppID %s: cannot learn the MainPID of its LocalService %s: the "
                            "service manager exited with %s", c->clsid, c->unit, what);
                else
                        say(LOG_ERR, "AppID %s: starting its LocalService %s failed: the service "
                            "manager exited with %s (see `systemctl status %s`)", c->clsid, c->unit,
                            what, c->unit);
                hr = CO_E_SERVER_EXEC_FAILURE;
        } else if (c->svc_query) {
                char *end;
                v = strtoul(line, &end, 10);
                if (end == line || *end || v > INT32_MAX) {
                        say(LOG_ERR, "AppID %s: the MainPID of %s is not a number: '%.40s'", c->clsid,
                            c->unit, line);
                        hr = CO_E_SERVER_EXEC_FAILURE;
                        v = 0;
                } else {
                        log_debug(dcomlaunch, "AppID %s: %s has MainPID %lu", c->clsid, c->unit, v);
                }
        } else {
                say(LOG_INFO, "started the LocalService %s of AppID %s for uid %u (pid %d)", c->unit,
                    c->clsid, (unsigned)c->peer_uid, (int)c->peer_pid);
        }
        send_reply(c, LAUNCH_REPLY_STARTED, hr, (uint32_t)v);
        conn_close(c);
}

static void on_request(struct conn *c) {
        struct launch_msg_request req;
        pid_t pid = 0;
        HRESULT hr;
        int r = launch_request_decode(c->buf, c->have, &req);

        if (r < 0) {
                say(LOG_WARNING, "request from uid %u (pid %d) refused: %s", (unsigned)c->peer_uid,
                    (int)c->peer_pid, decode_error(r));
                send_reply(c, LAUNCH_REPLY_STARTED, E_INVALIDARG, 0);
                conn_close(c);
                return;
        }
        dcom_guid_format(&req.clsid, DCOM_GUID_FORMAT_REGISTRY, c->clsid);
        if (req.flags & LAUNCH_FLAGS_SERVICE) {
                service_begin(c, &req);
                return;
        }
        hr = launch(&req, c->clsid, &pid);
        if (!send_reply(c, LAUNCH_REPLY_STARTED, hr, SUCCEEDED(hr) ? (uint32_t)pid : 0) ||
            FAILED(hr)) {
                conn_close(c);
                return;
        }
        c->watching = true;
        c->child = pid;
}

static void on_readable(struct conn *c) {
        if (c->watching) {
                /* the client sends nothing more: end of file (or anything else) ends it */
                uint8_t b[16];
                ssize_t k = recv(c->fd, b, sizeof b, MSG_DONTWAIT);
                if (k < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (k > 0)
                        log_debug(dcomlaunch, "uid %u sent bytes after its request: dropped",
                                  (unsigned)c->peer_uid);
                conn_close(c);
                return;
        }
        ssize_t k = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, MSG_DONTWAIT);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (k <= 0) {
                if (c->have)
                        say(LOG_WARNING, "request from uid %u (pid %d) refused: short (%zu bytes)",
                            (unsigned)c->peer_uid, (int)c->peer_pid, c->have);
                conn_close(c);
                return;
        }
        c->have += (size_t)k;
        if (c->have == sizeof c->buf)
                on_request(c);
}

static void describe_status(int st, char *buf, size_t size) {
        if (WIFEXITED(st))
                snprintf(buf, size, "status %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
                snprintf(buf, size, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
        else
                snprintf(buf, size, "wait status 0x%x", (unsigned)st);
}

/* Every exited child is reaped; the one a client still waits on is reported to it. */
static void reap_children(void) {
        int st;
        pid_t pid;

        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
                char what[64];
                bool told = false;

                describe_status(st, what, sizeof what);
                for (unsigned i = 0; i < MAX_CONNS && !told; i++) {
                        struct conn *c = &conns[i];
                        if (c->fd >= 0 && c->svc_child == pid) {
                                service_end(c, st);
                                told = true;
                                break;
                        }
                        if (c->fd < 0 || !c->watching || c->child != pid)
                                continue;
                        say(LOG_ERR, "%s server (pid %d) exited with %s before registering", c->clsid,
                            (int)pid, what);
                        send_reply(c, LAUNCH_REPLY_EXITED, CO_E_SERVER_EXEC_FAILURE, (uint32_t)st);
                        conn_close(c);
                        told = true;
                }
                if (!told)
                        log_debug(dcomlaunch, "server pid %d exited with %s", (int)pid, what);
        }
}

/* ---- the socket ------------------------------------------------------------------------------ */

static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int listen_socket(void) {
        int r = launch_socket_path(sock_path, sizeof sock_path);

        return r < 0 ? r : service_listen_unix(sock_path, SOCK_STREAM, MAX_CONNS);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f) {
        fputs("Usage: dcomlaunch [--client-user NAME] [--foreground]\n"
              "The DCOM Server Process Launcher: starts the local server of a COM class\n"
              "when rpcss asks (over the socket /run/opendcom/dcomlaunch),\n"
              "as the identity the class's AppID names (RunAs), with \"-Embedding\".\n"
              "The program comes from HKCR\\CLSID\\{clsid}\\LocalServer32, never from\n"
              "the caller.  Runs as root to start servers as other users, and the\n"
              "systemd unit an AppID names as its LocalService (systemctl start).\n\n"
              "  --client-user NAME  the user rpcss runs as: it may ask too (besides root\n"
              "                      and dcomlaunch's own user)\n"
              "  --foreground        stay attached to the terminal (the default under a\n"
              "                      service manager; without it dcomlaunch detaches)\n"
              "  --help              show this help\n"
              "  --version           show the version\n\n"
              "Example: dcomlaunch --client-user rpcss --foreground\n"
              "OPENDCOM_ROOT relocates its state and socket (a private instance);\n"
              "servers it starts inherit it.  OPENDCOM_SERVICE_MANAGER: the program run\n"
              "instead of systemctl.  Details: dcomlaunch(8).\n\n"
              "Exit status: 0 stopped by SIGTERM or SIGINT, 1 could not start (the log line\n"
              "says why), 2 bad command line.\n", f);
}

int main(int argc, char **argv) {
        const char *client_user = NULL;
        bool foreground = false, stop = false;
        struct pollfd pfd[2 + MAX_CONNS];
        sigset_t sigs;
        int listener, sfd, r;
        const char *why = "error";

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--client-user") == 0 && i + 1 < argc) {
                        client_user = argv[++i];
                } else if (strcmp(argv[i], "--foreground") == 0) {
                        foreground = true;
                } else if (strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else if (strcmp(argv[i], "--version") == 0) {
                        printf("dcomlaunch (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return 0;
                } else {
                        fprintf(stderr, "dcomlaunch: %s: %s (try --help)\n", argv[i],
                                strcmp(argv[i], "--client-user") == 0 ? "needs a value"
                                                                      : "unknown option");
                        return 2;
                }
        }
        log_service_init("dcomlaunch", false);
        my_uid = geteuid();
        privileged = my_uid == 0;
        if (client_user) {
                struct passwd *pw = getpwnam(client_user);
                if (!pw) {
                        say(LOG_ERR, "--client-user %s: no such user", client_user);
                        return 1;
                }
                client_uid = pw->pw_uid;
        }
        for (unsigned i = 0; i < MAX_CONNS; i++) {
                conns[i].fd = -1;
                conns[i].svc_out = -1;
        }

        listener = listen_socket();
        if (listener < 0) {
                say(LOG_ERR, "cannot listen on %s: %s%s", sock_path[0] ? sock_path : "its socket",
                    listener == -EADDRINUSE ? "another dcomlaunch serves it" : strerror(-listener),
                    listener == -EACCES && !getenv("OPENDCOM_ROOT") ?
                            " (run it as root, or set OPENDCOM_ROOT for a private instance)" : "");
                return 1;
        }
        if (!foreground && daemon(0, 1) < 0) {
                say(LOG_ERR, "cannot detach: %s", strerror(errno));
                unlink(sock_path);
                return 1;
        }
        /* signals arrive as reads: SIGCHLD reaps, SIGTERM/SIGINT stop, SIGHUP is ignored */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGCHLD);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGHUP);
        sigprocmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);
        sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0) {
                say(LOG_ERR, "cannot watch signals: %s", strerror(errno));
                unlink(sock_path);
                return 1;
        }
        say(LOG_INFO, "started (pid %d): %s%s%s", (int)getpid(), sock_path,
            client_user ? ", client user " : "", client_user ? client_user : "");

        while (!stop) {
                uint64_t now = dcom_monotonic_ms(), next = UINT64_MAX;
                unsigned map[MAX_CONNS], n = 2;

                pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                for (unsigned i = 0; i < MAX_CONNS; i++) {
                        struct conn *c = &conns[i];
                        if (c->fd < 0)
                                continue;
                        if (c->svc_child) {
                                /* no reading meanwhile: its answer comes when the child exits */
                                if (c->deadline <= now) {
                                        kill(c->svc_child, SIGKILL);    /* reaped as any child */
                                        service_end(c, -1);
                                } else if (c->deadline < next) {
                                        next = c->deadline;
                                }
                                continue;
                        }
                        if (!c->watching && c->deadline <= now) {
                                say(LOG_WARNING, "dropped a connection from uid %u (pid %d): no request "
                                    "within %d ms", (unsigned)c->peer_uid, (int)c->peer_pid,
                                    REQUEST_TIMEOUT_MS);
                                conn_close(c);
                                continue;
                        }
                        if (!c->watching && c->deadline < next)
                                next = c->deadline;
                        map[n - 2] = i;
                        pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
                }
                /* while every slot is taken, new peers wait in the backlog */
                pfd[1] = (struct pollfd){ .fd = n_conns < MAX_CONNS ? listener : -1,
                                          .events = POLLIN };
                int timeout = next == UINT64_MAX ? -1 : (int)(next - now) + 1;
                r = poll(pfd, n, timeout);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        say(LOG_ERR, "poll: %s", strerror(errno));
                        break;
                }
                if (pfd[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                                        stop = true;
                                        why = strsignal((int)si.ssi_signo);
                                }
                        }
                        reap_children();
                }
                for (unsigned k = 2; k < n; k++)
                        if (pfd[k].revents && conns[map[k - 2]].fd == pfd[k].fd)
                                on_readable(&conns[map[k - 2]]);
                if (pfd[1].revents & POLLIN)
                        accept_one(listener);
        }

        /* the servers started are independent processes: they stay */
        for (unsigned i = 0; i < MAX_CONNS; i++)
                if (conns[i].fd >= 0)
                        conn_close(&conns[i]);
        close(listener);
        unlink(sock_path);
        close(sfd);
        say(LOG_INFO, "stopped (%s)", why);
        return 0;
}
