/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LocalService (HKCR\AppID\{appid}\LocalService): activating the class starts the named
 * unit through the service manager -- here a script of the test's standing in for
 * systemctl (OPENDCOM_SERVICE_MANAGER: `start --no-block NAME.service` starts
 * tests/act-server and remembers its pid, and like systemctl refuses anyone but root;
 * `show -p MainPID --value NAME.service` says the pid) -- instead of a LocalServer32.
 * As in production rpcss runs unprivileged (as nobody, when the test is root) and
 * dcomlaunch (root, --client-user nobody) runs the service manager for it, reading the
 * unit's name from the AppID itself.  rpcss takes the class's registration only from the
 * unit's main process: the same server started by anyone else, first, does not get the
 * activations; a unit that never registers fails the activation with
 * CO_E_SERVER_EXEC_FAILURE.  dcomlaunch refuses a service request for an AppID without a
 * LocalService or with one that is not a unit name, a unit name sent after the record is
 * never used, and a user other than rpcss's cannot ask.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>

#include "base/base-internal.h"
#include "com/remote-internal.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "launch-client.h"
#include "obj_stub.h"
#include "rpcss-run.h"
#include "test.h"

#define CLSID_SVC "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a61}"
#define CLSID_BROKEN "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a62}"
#define APPID_SVC "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a71}"
#define APPID_BROKEN "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a72}"
#define APPID_PLAIN "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a73}"        /* no LocalService */
#define APPID_BADNAME "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a74}"      /* not a unit name */
#define APPID_HANG "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a75}"         /* systemctl hangs */
#define RPCSS_USER "nobody"

static void set_named(const char *key, const char *name, const char *value) {
        WCHAR *wk = NULL, *wn = NULL, *wv = NULL;

        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        if (name)
                ASSERT_OK(dcom_utf8_to_utf16(name, strlen(name), &wn, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(value, strlen(value), &wv, NULL));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, wk, wn, REG_SZ, wv,
                                  (DWORD)((dcom_utf16_len(wv) + 1) * sizeof(WCHAR))), ERROR_SUCCESS);
        free(wk);
        free(wn);
        free(wv);
}

static char dir[256];

static const char script[] =
        "#!/bin/sh\n"
        "d=$(dirname \"$0\")\n"
        "case \"$1\" in\n"
        "start)\n"
        /* systemctl asks polkit: for an unprivileged user, no */
        "        [ \"$(id -u)\" = 0 ] || exit 4\n"
        "        echo \"$3\" >> \"$d/starts\"\n"
        "        [ \"$3\" = dcomtest-hang.service ] && exec sleep 30\n"
        "        if [ \"$3\" = dcomtest-svc.service ]; then\n"
        /* the pid is written before the server can register: it is the shell's, which
           becomes the server */
        "                sh -c 'echo $$ > \"$1\"; exec \"$ACT_SERVER\" \"$SVC_CLSID\" multi' \\\n"
        "                        sh \"$d/$3.pid\" </dev/null >/dev/null 2>&1 &\n"
        "        fi;;\n"
        "show)\n"
        "        cat \"$d/$5.pid\" 2>/dev/null || echo 0;;\n"
        "*)\n"
        "        exit 2;;\n"
        "esac\n";

static pid_t launch_pid;
static bool unprivileged;       /* rpcss runs as RPCSS_USER */

static void launcher_stop(void) {
        if (launch_pid > 0) {
                kill(launch_pid, SIGTERM);
                waitpid(launch_pid, NULL, 0);
                launch_pid = 0;
        }
}

/* dcomlaunch --foreground [--client-user RPCSS_USER], up when its socket is there. */
static void launcher_start(void) {
        char exe[512], path[400];

        snprintf(exe, sizeof exe, "%s/services/dcomlaunch", test_build_dir());
        launch_pid = fork();
        ASSERT_GE(launch_pid, 0);
        if (launch_pid == 0) {
                if (unprivileged)
                        execl(exe, "dcomlaunch", "--foreground", "--client-user", RPCSS_USER,
                              (char *)NULL);
                else
                        execl(exe, "dcomlaunch", "--foreground", (char *)NULL);
                _exit(127);
        }
        atexit(launcher_stop);
        snprintf(path, sizeof path, "%s/run/dcomlaunch", dir);
        for (int i = 0; access(path, F_OK) != 0; i++) {
                ASSERT_LT(i, 500);
                ASSERT_EQ(waitpid(launch_pid, NULL, WNOHANG), 0);
                usleep(10000);
        }
}

static uid_t uid_of(pid_t pid) {
        char path[64], line[256];
        unsigned long r = (unsigned long)-1, e = (unsigned long)-1;
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
                        break;
        if (f)
                fclose(f);
        return (uid_t)e;
}

static void setup(void) {
        static bool done;
        char path[400], exe[400];

        if (done)
                return;
        done = true;
        snprintf(dir, sizeof dir, "%s", test_state_dir());
        /* as root: rpcss as a user of its own, its runtime directory its (tmpfiles.d's job
           on a system), the state directory readable to it */
        unprivileged = geteuid() == 0 && getpwnam(RPCSS_USER);
        if (unprivileged) {
                struct passwd *pw = getpwnam(RPCSS_USER);
                snprintf(path, sizeof path, "%s/run", dir);
                ASSERT_OK(chmod(dir, 0755));
                ASSERT_TRUE(mkdir(path, 0755) == 0 || errno == EEXIST);
                ASSERT_OK(chown(path, pw->pw_uid, (gid_t)-1));
                rpcss_user = RPCSS_USER;
        }
        snprintf(path, sizeof path, "%s/fake-systemctl", dir);
        FILE *f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        fputs(script, f);
        fclose(f);
        ASSERT_OK(chmod(path, 0755));
        setenv("OPENDCOM_SERVICE_MANAGER", path, 1);
        snprintf(exe, sizeof exe, "%s/tests/act-server", test_build_dir());
        setenv("ACT_SERVER", exe, 1);
        setenv("SVC_CLSID", CLSID_SVC, 1);
        setenv("OPENDCOM_LAUNCH_TIMEOUT_MS", "3000", 1);
        set_named("CLSID\\" CLSID_SVC, "AppID", APPID_SVC);
        set_named("AppID\\" APPID_SVC, "LocalService", "dcomtest-svc");
        set_named("CLSID\\" CLSID_BROKEN, "AppID", APPID_BROKEN);
        set_named("AppID\\" APPID_BROKEN, "LocalService", "dcomtest-broken");
        set_named("AppID\\" APPID_PLAIN, "RunAs", "nobody");
        set_named("AppID\\" APPID_BADNAME, "LocalService", "x.service --root=/tmp");
        set_named("AppID\\" APPID_HANG, "LocalService", "dcomtest-hang");
        launcher_start();
        rpcss_start();
        if (unprivileged)
                ASSERT_EQ(uid_of(rpcss_pid), getpwnam(RPCSS_USER)->pw_uid);
        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
}

static unsigned starts(const char *unit) {
        char path[400], line[256];
        unsigned n = 0;
        snprintf(path, sizeof path, "%s/starts", dir);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                n += strcmp(line, unit) == 0;
        }
        if (f)
                fclose(f);
        return n;
}

static pid_t main_pid(void) {
        char path[400];
        long pid = 0;
        snprintf(path, sizeof path, "%s/dcomtest-svc.service.pid", dir);
        FILE *f = fopen(path, "r");
        if (f) {
                if (fscanf(f, "%ld", &pid) != 1)
                        pid = 0;
                fclose(f);
        }
        return (pid_t)pid;
}

static HRESULT create(const char *clsid_s, IObjTest2 **ret) {
        WCHAR w[40];
        CLSID c;
        for (size_t i = 0; i < 39; i++)
                w[i] = (WCHAR)(unsigned char)clsid_s[i];
        w[38] = 0;
        ASSERT_OK(CLSIDFromString(w, &c));
        *ret = NULL;
        return CoCreateInstance(&c, NULL, CLSCTX_LOCAL_SERVER, &IID_IObjTest2, (void **)ret);
}

/*
 * The class's server started by someone other than the unit registers first and is
 * refused (rpcss says so in its log); activation starts the unit once, and the unit's
 * main process -- not the impostor -- serves both objects.
 */
TEST(activation_starts_the_unit_and_only_it_registers) {
        IObjTest2 *a = NULL, *b = NULL;
        LONG pa = 0, pb = 0, sum = 0;
        char exe[400];

        setup();
        snprintf(exe, sizeof exe, "%s/tests/act-server", test_build_dir());
        pid_t impostor = fork();
        ASSERT_GE(impostor, 0);
        if (impostor == 0) {
                execl(exe, "act-server", CLSID_SVC, "multi", (char *)NULL);
                _exit(127);
        }
        usleep(1500 * 1000);            /* its registration reaches rpcss first */
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_HR_EQ(create(CLSID_SVC, &a), S_OK);
        ASSERT_EQ(starts("dcomtest-svc.service"), 1u);     /* as root: by dcomlaunch */
        ASSERT_OK(IObjTest2_get_Value(a, &pa));
        ASSERT_EQ((pid_t)pa, main_pid());
        ASSERT_NE((pid_t)pa, impostor);
        ASSERT_OK(IObjTest2_Add(a, 2, 40, &sum));
        ASSERT_EQ(sum, 42);
        ASSERT_HR_EQ(create(CLSID_SVC, &b), S_OK);
        ASSERT_OK(IObjTest2_get_Value(b, &pb));
        ASSERT_EQ(pb, pa);
        ASSERT_EQ(starts("dcomtest-svc.service"), 1u);      /* running: not started again */
        IObjTest2_Release(b);
        IObjTest2_Release(a);
        CoUninitialize();
        kill(impostor, SIGTERM);
        ASSERT_EQ(waitpid(impostor, NULL, 0), impostor);
        kill((pid_t)pa, SIGTERM);
}

/* What a service request as user got: launch_service()'s return, its verdict and pid. */
struct answer {
        int r;
        HRESULT hr;
        pid_t pid;
};

/* launch_service() from a child process running as user (root: this process's own). */
static struct answer service_request_as(const char *user, const char *appid_s, uint32_t what) {
        struct answer a = { -1000, E_FAIL, -1 };
        int p[2];
        GUID appid;

        ASSERT_OK(dcom_guid_parse(appid_s, &appid));
        ASSERT_OK(pipe(p));
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                struct passwd *pw = getpwnam(user);
                struct answer mine = { -1000, E_FAIL, -1 };
                close(p[0]);
                if (pw && pw->pw_uid != geteuid() &&
                    (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                     setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0))
                        _exit(1);
                mine.r = launch_service(&appid, what, 8000, &mine.pid, &mine.hr);
                _exit(write(p[1], &mine, sizeof mine) == (ssize_t)sizeof mine ? 0 : 1);
        }
        close(p[1]);
        ASSERT_EQ(read(p[0], &a, sizeof a), (ssize_t)sizeof a);
        close(p[0]);
        ASSERT_EQ(waitpid(child, NULL, 0), child);
        return a;
}

/* Lines of the fake service manager's log containing needle. */
static unsigned starts_matching(const char *needle) {
        char path[400], line[256];
        unsigned n = 0;
        snprintf(path, sizeof path, "%s/starts", dir);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
                n += strstr(line, needle) != NULL;
        if (f)
                fclose(f);
        return n;
}

/*
 * rpcss's user asks dcomlaunch about the unit: its MainPID (the registration check's
 * source) comes back; the service manager itself refuses rpcss's user, as systemctl would.
 */
TEST(rpcss_user_asks_dcomlaunch_not_the_service_manager) {
        setup();
        if (!unprivileged) {
                printf("# not root: rpcss runs as this user, dcomlaunch as well\n");
                return;
        }
        struct answer a = service_request_as(RPCSS_USER, APPID_SVC, LAUNCH_FLAG_SERVICE_PID);
        ASSERT_EQ(a.r, 0);
        ASSERT_HR_EQ(a.hr, S_OK);
        ASSERT_EQ(a.pid, main_pid());
        /* the same script run by rpcss's user: refused (so the start above was root's) */
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                struct passwd *pw = getpwnam(RPCSS_USER);
                char path[400];
                snprintf(path, sizeof path, "%s/fake-systemctl", dir);
                if (!pw || setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                        _exit(0);
                execl(path, path, "start", "--no-block", "dcomtest-direct.service", (char *)NULL);
                _exit(0);
        }
        int st;
        ASSERT_EQ(waitpid(child, &st, 0), child);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 4);
        ASSERT_EQ(starts("dcomtest-direct.service"), 0u);
}

/* An AppID without a LocalService, or with one that is not a unit name: refused, and the
   service manager never runs for it. */
TEST(appid_without_localservice_is_refused) {
        setup();
        const char *user = unprivileged ? RPCSS_USER : "root";
        unsigned before = starts_matching("");

        struct answer a = service_request_as(user, APPID_PLAIN, LAUNCH_FLAG_SERVICE_START);
        ASSERT_EQ(a.r, 0);
        ASSERT_HR_EQ(a.hr, CO_E_APPNOTFOUND);
        ASSERT_EQ(a.pid, 0);
        a = service_request_as(user, APPID_PLAIN, LAUNCH_FLAG_SERVICE_PID);
        ASSERT_EQ(a.r, 0);
        ASSERT_HR_EQ(a.hr, CO_E_APPNOTFOUND);
        a = service_request_as(user, APPID_BADNAME, LAUNCH_FLAG_SERVICE_START);
        ASSERT_EQ(a.r, 0);
        ASSERT_HR_EQ(a.hr, CO_E_APPNOTFOUND);
        /* an AppID that is not registered at all */
        a = service_request_as(user, "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5aff}", LAUNCH_FLAG_SERVICE_START);
        ASSERT_EQ(a.r, 0);
        ASSERT_HR_EQ(a.hr, CO_E_APPNOTFOUND);
        ASSERT_EQ(starts_matching(""), before);
}

/* A raw connection to dcomlaunch as rpcss's user: sends n bytes, returns the answer's
   HRESULT (E_UNEXPECTED: none). */
static HRESULT raw_request_as(const char *user, const uint8_t *bytes, size_t n) {
        int p[2];
        HRESULT hr = E_UNEXPECTED;

        ASSERT_OK(pipe(p));
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                struct passwd *pw = getpwnam(user);
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                struct launch_msg_reply rep = { 0, E_UNEXPECTED, 0 };
                uint8_t in[LAUNCH_REPLY_SIZE];
                size_t have = 0;
                close(p[0]);
                if (pw && pw->pw_uid != geteuid() &&
                    (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                     setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0))
                        _exit(1);
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                if (fd < 0 || launch_socket_path(sa.sun_path, sizeof sa.sun_path) < 0 ||
                    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
                    send(fd, bytes, n, MSG_NOSIGNAL) != (ssize_t)n)
                        _exit(1);
                while (have < sizeof in) {
                        ssize_t k = recv(fd, in + have, sizeof in - have, 0);
                        if (k <= 0)
                                break;
                        have += (size_t)k;
                }
                if (launch_reply_decode(in, have, &rep) < 0)
                        rep.hresult = E_UNEXPECTED;
                _exit(write(p[1], &rep.hresult, sizeof rep.hresult) == (ssize_t)sizeof rep.hresult ? 0 : 1);
        }
        close(p[1]);
        ASSERT_EQ(read(p[0], &hr, sizeof hr), (ssize_t)sizeof hr);
        close(p[0]);
        ASSERT_EQ(waitpid(child, NULL, 0), child);
        return hr;
}

/*
 * The record has no room for a unit name: one sent after it, for an AppID with no
 * LocalService, is never run; a service request that also carries a launching uid, or
 * asks for both a start and a MainPID, is malformed.
 */
TEST(forged_unit_name_cannot_be_passed) {
        setup();
        const char *user = unprivileged ? RPCSS_USER : "root";
        struct launch_msg_request req = { .version = LAUNCH_PROTO_VERSION,
                                          .flags = LAUNCH_FLAG_SERVICE_START };
        uint8_t buf[LAUNCH_REQUEST_SIZE + 64];
        static const char forged[] = "dcomtest-forged.service";

        ASSERT_OK(dcom_guid_parse(APPID_PLAIN, &req.clsid));
        launch_request_encode(&req, buf);
        memcpy(buf + LAUNCH_REQUEST_SIZE, forged, sizeof forged);
        ASSERT_HR_EQ(raw_request_as(user, buf, LAUNCH_REQUEST_SIZE + sizeof forged), CO_E_APPNOTFOUND);
        /* the same unit name after a record for the real service's AppID: its own unit */
        ASSERT_OK(dcom_guid_parse(APPID_SVC, &req.clsid));
        req.flags = LAUNCH_FLAG_SERVICE_PID;
        launch_request_encode(&req, buf);
        memcpy(buf + LAUNCH_REQUEST_SIZE, forged, sizeof forged);
        ASSERT_HR_EQ(raw_request_as(user, buf, LAUNCH_REQUEST_SIZE + sizeof forged), S_OK);
        ASSERT_EQ(starts_matching("forged"), 0u);

        req.flags = LAUNCH_FLAG_SERVICE_START;
        req.launching_uid = 1;
        launch_request_encode(&req, buf);
        ASSERT_HR_EQ(raw_request_as(user, buf, LAUNCH_REQUEST_SIZE), E_INVALIDARG);
        req.flags = LAUNCH_FLAG_SERVICE_START | LAUNCH_FLAG_SERVICE_PID;
        req.launching_uid = 0;
        launch_request_encode(&req, buf);
        ASSERT_HR_EQ(raw_request_as(user, buf, LAUNCH_REQUEST_SIZE), E_INVALIDARG);
}

/* A user other than rpcss's (and root) is not answered at all (SO_PEERCRED). */
TEST(other_users_cannot_ask) {
        setup();
        if (!unprivileged || !getpwnam("daemon")) {
                printf("# not root (or no user daemon): skipped\n");
                return;
        }
        struct answer a = service_request_as("daemon", APPID_SVC, LAUNCH_FLAG_SERVICE_START);
        ASSERT_EQ(a.r, -ECONNRESET);
        ASSERT_EQ(starts("dcomtest-svc.service"), 1u);
}

/*
 * A service manager that hangs does not stall dcomlaunch: another request is answered
 * meanwhile, and the hung one fails with CO_E_SERVER_EXEC_FAILURE after 5 s (the
 * service manager killed).
 */
TEST(hung_service_manager_does_not_stall_dcomlaunch) {
        setup();
        const char *user = unprivileged ? RPCSS_USER : "root";
        uint64_t t0 = dcom_monotonic_ms();
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
                GUID appid;
                pid_t pid = -1;
                HRESULT hr = S_OK;
                if (dcom_guid_parse(APPID_HANG, &appid) < 0)
                        _exit(2);
                int r = launch_service(&appid, LAUNCH_FLAG_SERVICE_START, 8000, &pid, &hr);
                _exit(r == 0 && hr == CO_E_SERVER_EXEC_FAILURE && pid == 0 ? 0 : 1);
        }
        while (starts("dcomtest-hang.service") == 0) {
                ASSERT_LT(dcom_monotonic_ms() - t0, 3000u);
                usleep(10000);
        }
        uint64_t t1 = dcom_monotonic_ms();
        struct answer a = service_request_as(user, APPID_SVC, LAUNCH_FLAG_SERVICE_PID);
        ASSERT_EQ(a.r, 0);
        ASSERT_HR_EQ(a.hr, S_OK);
        ASSERT_LT(dcom_monotonic_ms() - t1, 2500u);
        int st;
        ASSERT_EQ(waitpid(child, &st, 0), child);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ASSERT_GE(dcom_monotonic_ms() - t0, 4900u);
}

/* A unit that never registers the class: the activation fails after the timeout. */
TEST(unit_that_never_registers) {
        IObjTest2 *p = NULL;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_HR_EQ(create(CLSID_BROKEN, &p), CO_E_SERVER_EXEC_FAILURE);
        ASSERT_EQ(starts("dcomtest-broken.service"), 1u);
        CoUninitialize();
}
