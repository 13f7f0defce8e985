/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlaunch, the real service, in this test's own OPENDCOM_ROOT, driven through rpcss's
 * client (services/dcomlaunch/launch-client.h) and raw sockets.  Classes registered in
 * the test's registry run tests/launch-helper, which writes what it was given to a file:
 * "-Embedding", a clean environment (the test's own variables do not reach it,
 * OPENDCOM_ROOT does), its own session, /dev/null on stdin, no other descriptor.  The
 * pid returned is the server's; EXITED carries its status; registry mistakes give
 * Windows' codes and one log line; malformed requests and idle peers do not stop the
 * service; a class with only an InprocServer32 runs in its AppID's DllSurrogate.
 * As root: RunAs a named user (nobody) and a peer of another uid refused
 * unless it is the --client-user.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dcom/guid.h>
#include <dcom/status.h>
#include <dcom/winreg.h>

#include "launch-client.h"
#include "test.h"

#define NOBODY 65534

static const CLSID CLSID_Stay = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                  { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x01 } };
static const CLSID CLSID_Exit3 = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                   { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x02 } };
static const CLSID CLSID_None = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                  { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x03 } };
static const CLSID CLSID_Bad = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                 { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x04 } };
static const CLSID CLSID_RunAs = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                   { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x05 } };
static const CLSID CLSID_Spaces = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                    { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x06 } };
static const CLSID CLSID_Surr = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                  { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xd5, 0x07 } };
static const GUID APPID_Surr = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                 { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xa0, 0x02 } };
static const GUID APPID_RunAs = { 0x3c0b6a10, 0x52d1, 0x4e7a,
                                  { 0x9f, 0x10, 0x6e, 0x2a, 0x41, 0x07, 0xa0, 0x01 } };

/* ---- helpers ---------------------------------------------------------------------------- */

static pid_t dl_pid;
static char log_path[256], helper[256], outdir[256];

static void dl_stop(void) {
        int st;

        if (dl_pid > 0) {
                kill(dl_pid, SIGTERM);
                ASSERT_EQ(waitpid(dl_pid, &st, 0), dl_pid);
                dl_pid = 0;
                ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
}

static void dl_kill_at_exit(void) {
        if (dl_pid > 0) {
                kill(dl_pid, SIGKILL);
                waitpid(dl_pid, NULL, 0);
        }
}

/* Runs in dcomlaunch's process before exec (NULL: nothing). */
static void (*dl_prepare)(void);

/* dcomlaunch --foreground [extra], its log in log_path; returns when it accepts. */
static void dl_start(const char *extra, const char *extra_arg) {
        static bool registered;
        char exe[512], sock[108];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(exe, sizeof exe, "%s/services/dcomlaunch", test_build_dir());
        dl_pid = fork();
        ASSERT_GE(dl_pid, 0);
        if (dl_pid == 0) {
                int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(126);
                if (dl_prepare)
                        dl_prepare();
                execl(exe, "dcomlaunch", "--foreground", extra, extra_arg, (char *)NULL);
                _exit(127);
        }
        if (!registered)
                registered = atexit(dl_kill_at_exit) == 0;
        ASSERT_OK(launch_socket_path(sock, sizeof sock));
        memcpy(sa.sun_path, sock, sizeof sock);
        for (int i = 0;; i++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                bool up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
                close(fd);
                if (up)
                        break;
                ASSERT_LT(i, 500);              /* 5 s */
                ASSERT_EQ(waitpid(dl_pid, NULL, WNOHANG), 0);
                usleep(10000);
        }
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *slurp(const char *path) {
        FILE *f = fopen(path, "r");
        static char buf[65536];
        size_t n;

        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        return buf;
}

/* Waits (up to 5 s) for the log to hold needle. */
static void expect_log(const char *needle) {
        for (int i = 0; i < 500; i++) {
                const char *l = slurp(log_path);
                if (l && strstr(l, needle))
                        return;
                usleep(10000);
        }
        test_fail(__FILE__, __LINE__, "log %s lacks \"%s\":\n%s", log_path, needle,
                  slurp(log_path) ? slurp(log_path) : "(none)");
}

/* The helper's report (up to 5 s), or a failure. */
static const char *wait_report(const char *name) {
        char path[600];

        snprintf(path, sizeof path, "%s/%s", outdir, name);
        for (int i = 0; i < 500; i++) {
                if (access(path, F_OK) == 0)
                        return slurp(path);
                usleep(10000);
        }
        test_fail(__FILE__, __LINE__, "no report %s; log:\n%s", path, slurp(log_path));
}

static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

static void copy_file(const char *from, const char *to, mode_t mode) {
        int in = open(from, O_RDONLY | O_CLOEXEC), out;
        char buf[65536];
        ssize_t n;

        ASSERT_GE(in, 0);
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        ASSERT_GE(out, 0);
        while ((n = read(in, buf, sizeof buf)) > 0)
                ASSERT_EQ(write(out, buf, (size_t)n), n);
        ASSERT_EQ(n, 0);
        close(in);
        ASSERT_OK(close(out));
        ASSERT_OK(chmod(to, mode));
}

static void wstr(const char *s, WCHAR *out, size_t n) {
        size_t i;
        for (i = 0; s[i] && i + 1 < n; i++)
                out[i] = (WCHAR)(unsigned char)s[i];
        out[i] = 0;
}

static void reg_set(const char *key, const char *value, DWORD type, const char *data) {
        WCHAR k[256], v[64], d[2048];

        wstr(key, k, 256);
        wstr(value ? value : "", v, 64);
        wstr(data, d, 2048);
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, k, value ? v : NULL, type, d,
                                  (DWORD)(2 * (strlen(data) + 1))), ERROR_SUCCESS);
}

/* HKCR\CLSID\{clsid}\LocalServer32 = line (REG_SZ). */
static void register_server(const CLSID *clsid, const char *line, DWORD type) {
        char key[128], id[DCOM_GUID_STRING_REG];

        snprintf(key, sizeof key, "CLSID\\%s\\LocalServer32",
                 dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id));
        reg_set(key, NULL, type, line);
}

/* clsid's AppID, whose RunAs is runas. */
static void register_runas(const CLSID *clsid, const GUID *appid, const char *runas) {
        char key[128], id[DCOM_GUID_STRING_REG], app[DCOM_GUID_STRING_REG];

        dcom_guid_format(appid, DCOM_GUID_FORMAT_REGISTRY, app);
        snprintf(key, sizeof key, "CLSID\\%s", dcom_guid_format(clsid, DCOM_GUID_FORMAT_REGISTRY, id));
        reg_set(key, "AppID", REG_SZ, app);
        snprintf(key, sizeof key, "AppID\\%s", app);
        reg_set(key, "RunAs", REG_SZ, runas);
}

/* Polls conn for the EXITED notice (up to 5 s). */
static int wait_exited(int fd) {
        HRESULT hr = 0;
        int st = -1, r;
        struct pollfd p = { .fd = fd, .events = POLLIN };

        ASSERT_EQ(poll(&p, 1, 5000), 1);
        r = launch_read_exited(fd, &hr, &st);
        ASSERT_EQ(r, 1);
        ASSERT_HR_EQ(hr, CO_E_SERVER_EXEC_FAILURE);
        return st;
}

/* A process gone and reaped (not a zombie) within 5 s. */
static void expect_reaped(pid_t pid) {
        char path[64], *s;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        for (int i = 0; i < 500; i++) {
                s = slurp(path);
                if (!s)
                        return;
                usleep(10000);
        }
        test_fail(__FILE__, __LINE__, "pid %d still there: %s", (int)pid, s);
}

/* A raw connection to dcomlaunch. */
static int raw_connect(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ASSERT_GE(fd, 0);
        ASSERT_OK(launch_socket_path(sa.sun_path, sizeof sa.sun_path));
        ASSERT_OK(connect(fd, (struct sockaddr *)&sa, sizeof sa));
        return fd;
}

/* Reads one 12-byte reply (5 s): 1, or 0 at end of file. */
static int raw_reply(int fd, struct launch_msg_reply *m) {
        uint8_t b[LAUNCH_REPLY_SIZE];
        size_t have = 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };

        while (have < sizeof b) {
                ASSERT_EQ(poll(&p, 1, 5000), 1);
                ssize_t n = read(fd, b + have, sizeof b - have);
                /* a Unix socket closed with our bytes unread reports ECONNRESET */
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return 0;
                ASSERT_GT(n, 0);
                have += (size_t)n;
        }
        ASSERT_OK(launch_reply_decode(b, sizeof b, m));
        return 1;
}

static void request_bytes(uint8_t out[LAUNCH_REQUEST_SIZE], uint32_t version, uint32_t flags,
                          const CLSID *clsid) {
        const struct launch_msg_request m = { version, flags, *clsid, (uint32_t)getuid() };
        launch_request_encode(&m, out);
}

/* launch_request for this process's user, expecting S_OK: the pid, *fd open. */
static pid_t launch_ok(const CLSID *clsid, int *fd) {
        HRESULT hr = E_FAIL;
        pid_t pid = 0;

        ASSERT_EQ(launch_request(clsid, getuid(), 0, 5000, fd, &pid, &hr), 0);
        if (FAILED(hr))
                test_fail(__FILE__, __LINE__, "launch: 0x%08x; log:\n%s", (unsigned)hr,
                          slurp(log_path));
        ASSERT_GT(pid, 0);
        ASSERT_GE(*fd, 0);
        return pid;
}

static HRESULT launch_fails(const CLSID *clsid) {
        HRESULT hr = S_OK;
        pid_t pid = -1;
        int fd = -2;

        ASSERT_EQ(launch_request(clsid, getuid(), 0, 5000, &fd, &pid, &hr), 0);
        ASSERT_TRUE(FAILED(hr));
        ASSERT_EQ(pid, 0);
        ASSERT_EQ(fd, -1);
        return hr;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* After EXITED: dcomlaunch closes the connection, a moment later on a busy machine. */
static int read_closed(int fd) {
        int r = 0;

        for (int i = 0; i < 500 && (r = launch_read_exited(fd, NULL, NULL)) == 0; i++)
                usleep(10000);
        return r;
}

TEST(setup) {
        const char *root = test_state_dir();
        char bin[200];

        /* nobody must reach the helper and its output directory in the root tests */
        ASSERT_OK(chmod(root, 0755));
        snprintf(log_path, sizeof log_path, "%s/dcomlaunch.log", root);
        snprintf(outdir, sizeof outdir, "%s/out", root);
        ASSERT_OK(mkdir(outdir, 0777));
        ASSERT_OK(chmod(outdir, 0777));
        snprintf(bin, sizeof bin, "%s/bin", root);
        ASSERT_OK(mkdir(bin, 0755));
        snprintf(helper, sizeof helper, "%s/launch-helper", bin);
        snprintf(bin, sizeof bin, "%s/tests/launch-helper", test_build_dir());
        copy_file(bin, helper, 0755);

        char line[2048];
        snprintf(line, sizeof line, "%s %s/stay", helper, outdir);
        register_server(&CLSID_Stay, line, REG_SZ);
        snprintf(line, sizeof line, "\"%s\" %s/exit3 exit 3", helper, outdir);
        register_server(&CLSID_Exit3, line, REG_SZ);
}

TEST(not_running) {
        HRESULT hr = 0;
        pid_t pid = 0;
        int fd = -1;
        uint64_t t0 = now_ms();

        /* no socket at all */
        ASSERT_ERRNO(launch_request(&CLSID_Stay, getuid(), 0, 5000, &fd, &pid, &hr), -ENOENT);
        /* a stale socket: nobody listens */
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[600];
        ASSERT_OK(launch_socket_path(sa.sun_path, sizeof sa.sun_path));
        snprintf(dir, sizeof dir, "%s/run", test_state_dir());
        ASSERT_OK(mkdir(dir, 0755));
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        ASSERT_OK(bind(s, (struct sockaddr *)&sa, sizeof sa));
        close(s);
        ASSERT_ERRNO(launch_request(&CLSID_Stay, getuid(), 0, 5000, &fd, &pid, &hr),
                     -ECONNREFUSED);
        ASSERT_LT(now_ms() - t0, 1000);
        ASSERT_EQ(fd, -1);
        ASSERT_ERRNO(launch_request(NULL, getuid(), 0, 5000, &fd, &pid, &hr), -EINVAL);
        ASSERT_ERRNO(launch_request(&CLSID_Stay, getuid(), 0, 0, &fd, &pid, &hr), -EINVAL);
}

TEST(starts_a_server) {
        char want[600], id[DCOM_GUID_STRING_REG];
        int fd;

        /* the service replaces the stale socket; this variable must not reach servers */
        setenv("DCOMLAUNCH_TEST_SECRET", "leak", 1);
        dl_start(NULL, NULL);
        unsetenv("DCOMLAUNCH_TEST_SECRET");
        pid_t pid = launch_ok(&CLSID_Stay, &fd);
        const char *r = wait_report("stay");

        snprintf(want, sizeof want, "pid %d", (int)pid);
        ASSERT_TRUE(has_line(r, want));
        ASSERT_TRUE(has_line(r, "argc 3"));
        snprintf(want, sizeof want, "argv[0]=%s", helper);
        ASSERT_TRUE(has_line(r, want));
        snprintf(want, sizeof want, "argv[1]=%s/stay", outdir);
        ASSERT_TRUE(has_line(r, want));
        ASSERT_TRUE(has_line(r, "argv[2]=-Embedding"));
        snprintf(want, sizeof want, "uid %u", (unsigned)getuid());
        ASSERT_TRUE(has_line(r, want));
        ASSERT_TRUE(has_line(r, "session-leader 1"));
        ASSERT_TRUE(has_line(r, "stdin /dev/null"));
        ASSERT_TRUE(has_line(r, "fds 0 1 2"));
        /* the environment: clean, but the instance's own root */
        snprintf(want, sizeof want, "env OPENDCOM_ROOT=%s", test_state_dir());
        ASSERT_TRUE(has_line(r, want));
        ASSERT_TRUE(has_line(r, "env PATH=/usr/local/bin:/usr/bin:/bin"));
        ASSERT_TRUE(has_line(r, "env LANG=C.UTF-8"));
        struct passwd *pw = getpwuid(getuid());
        ASSERT_NOT_NULL(pw);
        snprintf(want, sizeof want, "env USER=%s", pw->pw_name);
        ASSERT_TRUE(has_line(r, want));
        snprintf(want, sizeof want, "env LOGNAME=%s", pw->pw_name);
        ASSERT_TRUE(has_line(r, want));
        snprintf(want, sizeof want, "env HOME=%s", pw->pw_dir);
        ASSERT_TRUE(has_line(r, want));
        ASSERT_NULL(strstr(r, "DCOMLAUNCH_TEST_SECRET"));
        ASSERT_NULL(strstr(r, "TEST_BUILD_DIR"));
        ASSERT_NULL(strstr(r, "ASAN_OPTIONS"));

        snprintf(want, sizeof want, "started %s as %s (pid %d): %s",
                 dcom_guid_format(&CLSID_Stay, DCOM_GUID_FORMAT_REGISTRY, id), pw->pw_name,
                 (int)pid, helper);
        expect_log(want);

        /* nothing yet; then the server dies before registering: EXITED with its status */
        ASSERT_EQ(launch_read_exited(fd, NULL, NULL), 0);
        ASSERT_OK(kill(pid, SIGTERM));
        int st = wait_exited(fd);
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), SIGTERM);
        ASSERT_ERRNO(read_closed(fd), -ECONNRESET);
        close(fd);
        snprintf(want, sizeof want, "%s server (pid %d) exited with signal 15", id, (int)pid);
        expect_log(want);
        expect_reaped(pid);
}

TEST(exit_status_reported) {
        char want[256], id[DCOM_GUID_STRING_REG];
        int fd;
        pid_t pid = launch_ok(&CLSID_Exit3, &fd);
        int st = wait_exited(fd);

        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 3);
        close(fd);
        const char *r = wait_report("exit3");
        ASSERT_TRUE(has_line(r, "argv[2]=exit"));
        ASSERT_TRUE(has_line(r, "argv[4]=-Embedding"));
        snprintf(want, sizeof want, "%s server (pid %d) exited with status 3 before registering",
                 dcom_guid_format(&CLSID_Exit3, DCOM_GUID_FORMAT_REGISTRY, id), (int)pid);
        expect_log(want);
        expect_reaped(pid);
}

TEST(client_gone_server_stays) {
        int fd;
        char path[600];

        snprintf(path, sizeof path, "%s/stay", outdir);
        unlink(path);
        pid_t pid = launch_ok(&CLSID_Stay, &fd);
        wait_report("stay");
        close(fd);                      /* "registered": the client no longer cares */
        usleep(100000);         /* the behaviour under test: it is not killed meanwhile */
        ASSERT_OK(kill(pid, 0));
        ASSERT_OK(kill(pid, SIGKILL));
        expect_reaped(pid);             /* reaped without a client, no zombie */
}

TEST(class_not_registered) {
        ASSERT_HR_EQ(launch_fails(&CLSID_None), REGDB_E_CLASSNOTREG);
        expect_log("{3C0B6A10-52D1-4E7A-9F10-6E2A4107D503}: class not registered");
}

/* DllSurrogate: a class with only an InprocServer32 runs in its AppID's surrogate, given
   -Embedding and the CLSID; none, or a missing program, is refused with a log line. */
TEST(dll_surrogate) {
        char key[128], id[DCOM_GUID_STRING_REG], app[DCOM_GUID_STRING_REG], line[1024];
        int fd;

        dcom_guid_format(&CLSID_Surr, DCOM_GUID_FORMAT_REGISTRY, id);
        dcom_guid_format(&APPID_Surr, DCOM_GUID_FORMAT_REGISTRY, app);
        snprintf(key, sizeof key, "CLSID\\%s\\InprocServer32", id);
        reg_set(key, NULL, REG_SZ, "/nonexistent/component.so");     /* not dcomlaunch's to load */
        ASSERT_HR_EQ(launch_fails(&CLSID_Surr), REGDB_E_CLASSNOTREG);
        snprintf(line, sizeof line, "%s: class not registered for local activation (no "
                 "LocalServer32; an InprocServer32 but no AppID with DllSurrogate)", id);
        expect_log(line);

        snprintf(key, sizeof key, "CLSID\\%s", id);
        reg_set(key, "AppID", REG_SZ, app);
        snprintf(key, sizeof key, "AppID\\%s", app);
        reg_set(key, "DllSurrogate", REG_SZ, "/nonexistent/surrogate");
        ASSERT_HR_EQ(launch_fails(&CLSID_Surr), CO_E_APPNOTFOUND);
        expect_log("DllSurrogate program /nonexistent/surrogate: No such file or directory");

        snprintf(line, sizeof line, "\"%s\" %s/surr", helper, outdir);
        reg_set(key, "DllSurrogate", REG_SZ, line);
        pid_t pid = launch_ok(&CLSID_Surr, &fd);
        const char *r = wait_report("surr");
        ASSERT_TRUE(has_line(r, "argc 4"));
        ASSERT_TRUE(has_line(r, "argv[2]=-Embedding"));
        snprintf(line, sizeof line, "argv[3]=%s", id);
        ASSERT_TRUE(has_line(r, line));
        ASSERT_OK(kill(pid, SIGTERM));
        wait_exited(fd);
        close(fd);
        expect_reaped(pid);
}

TEST(bad_program) {
        char line[1024], path[600];

        register_server(&CLSID_Bad, "launch-helper -x", REG_SZ);
        ASSERT_HR_EQ(launch_fails(&CLSID_Bad), CO_E_APPNOTFOUND);
        expect_log("program 'launch-helper' is not an absolute path");

        register_server(&CLSID_Bad, "/nonexistent/dir/server -x", REG_SZ);
        ASSERT_HR_EQ(launch_fails(&CLSID_Bad), CO_E_APPNOTFOUND);
        expect_log("program /nonexistent/dir/server: No such file or directory");

        snprintf(path, sizeof path, "%s/not-executable", test_state_dir());
        copy_file(helper, path, 0644);
        register_server(&CLSID_Bad, path, REG_SZ);
        ASSERT_HR_EQ(launch_fails(&CLSID_Bad), CO_E_APPNOTFOUND);
        snprintf(line, sizeof line, "program %s: not executable", path);
        expect_log(line);

        register_server(&CLSID_Bad, "\"/unclosed quote -x", REG_SZ);
        ASSERT_HR_EQ(launch_fails(&CLSID_Bad), CO_E_APPNOTFOUND);
        register_server(&CLSID_Bad, "   ", REG_SZ);
        ASSERT_HR_EQ(launch_fails(&CLSID_Bad), CO_E_APPNOTFOUND);
}

/* A quoted path with spaces, Windows' argument quoting, and REG_EXPAND_SZ. */
TEST(command_lines) {
        char dir[600], prog[700], line[2048];
        int fd;

        snprintf(dir, sizeof dir, "%s/with space", test_state_dir());
        ASSERT_OK(mkdir(dir, 0755));
        snprintf(prog, sizeof prog, "%s/launch helper", dir);
        copy_file(helper, prog, 0755);
        snprintf(line, sizeof line, "\"%s\" %s/spaces \"a b\" c\\\"d \"e \"\"f\"\" g\" h\\\\i",
                 prog, outdir);
        register_server(&CLSID_Spaces, line, REG_SZ);
        pid_t pid = launch_ok(&CLSID_Spaces, &fd);
        const char *r = wait_report("spaces");
        snprintf(line, sizeof line, "argv[0]=%s", prog);
        ASSERT_TRUE(has_line(r, line));
        ASSERT_TRUE(has_line(r, "argv[2]=a b"));
        ASSERT_TRUE(has_line(r, "argv[3]=c\"d"));
        ASSERT_TRUE(has_line(r, "argv[4]=e \"f\" g"));
        ASSERT_TRUE(has_line(r, "argv[5]=h\\\\i"));
        ASSERT_TRUE(has_line(r, "argv[6]=-Embedding"));
        ASSERT_TRUE(has_line(r, "argc 7"));
        ASSERT_OK(kill(pid, SIGKILL));
        wait_exited(fd);
        close(fd);

        /* REG_EXPAND_SZ: expanded in dcomlaunch's environment */
        register_server(&CLSID_Spaces, "%OPENDCOM_ROOT%/bin/launch-helper %OPENDCOM_ROOT%/out/expand",
                        REG_EXPAND_SZ);
        pid = launch_ok(&CLSID_Spaces, &fd);
        r = wait_report("expand");
        snprintf(line, sizeof line, "argv[0]=%s", helper);
        ASSERT_TRUE(has_line(r, line));
        ASSERT_OK(kill(pid, SIGKILL));
        wait_exited(fd);
        close(fd);
}

TEST(runas_unknown_user) {
        char line[1024];

        snprintf(line, sizeof line, "%s %s/runas", helper, outdir);
        register_server(&CLSID_RunAs, line, REG_SZ);
        register_runas(&CLSID_RunAs, &APPID_RunAs, "no-such-user-dcomlaunch");
        ASSERT_HR_EQ(launch_fails(&CLSID_RunAs), CO_E_RUNAS_LOGON_FAILURE);
        expect_log("RunAs user 'no-such-user-dcomlaunch' (AppID {3C0B6A10-52D1-4E7A-9F10-6E2A4107A001}) does not exist");

        /* the launching user must exist too */
        HRESULT hr = S_OK;
        pid_t pid = -1;
        int fd = -2;
        WCHAR key[128];
        HKEY k;
        wstr("AppID\\{3C0B6A10-52D1-4E7A-9F10-6E2A4107A001}", key, 128);
        ASSERT_EQ(RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
        ASSERT_EQ(RegDeleteValueW(k, u"RunAs"), ERROR_SUCCESS);
        RegCloseKey(k);
        ASSERT_EQ(launch_request(&CLSID_RunAs, 3999999, 0, 5000, &fd, &pid, &hr), 0);
        ASSERT_HR_EQ(hr, CO_E_RUNAS_LOGON_FAILURE);
        expect_log("the launching user, uid 3999999, has no account here");
}

/* "Interactive User" (any case): the console's user, or CO_E_RUNAS_LOGON_FAILURE when no
   one is logged in -- which of the two depends on the machine. */
TEST(runas_interactive_user) {
        HRESULT hr = E_FAIL;
        pid_t pid = 0;
        int fd = -1;

        register_runas(&CLSID_RunAs, &APPID_RunAs, "interactive USER");
        ASSERT_EQ(launch_request(&CLSID_RunAs, getuid(), 0, 5000, &fd, &pid, &hr), 0);
        if (SUCCEEDED(hr)) {
                ASSERT_GT(pid, 0);
                wait_report("runas");
                kill(pid, SIGKILL);
                close(fd);
        } else {
                ASSERT_HR_EQ(hr, CO_E_RUNAS_LOGON_FAILURE);
                const char *l = slurp(log_path);
                ASSERT_TRUE(strstr(l, "no one is logged in at this machine") ||
                            strstr(l, "dcomlaunch runs as uid"));
        }
}

TEST(malformed_requests) {
        uint8_t req[LAUNCH_REQUEST_SIZE];
        struct launch_msg_reply m;
        int fd;

        /* short, then closed */
        fd = raw_connect();
        request_bytes(req, 1, 0, &CLSID_Stay);
        ASSERT_EQ(write(fd, req, 10), 10);
        shutdown(fd, SHUT_WR);
        ASSERT_EQ(raw_reply(fd, &m), 0);
        close(fd);
        expect_log("refused: short (10 bytes)");

        /* wrong version */
        fd = raw_connect();
        request_bytes(req, 2, 0, &CLSID_Stay);
        ASSERT_EQ(write(fd, req, sizeof req), (ssize_t)sizeof req);
        ASSERT_EQ(raw_reply(fd, &m), 1);
        ASSERT_EQ(m.kind, LAUNCH_REPLY_STARTED);
        ASSERT_HR_EQ(m.hresult, E_INVALIDARG);
        ASSERT_EQ(m.value, 0);
        ASSERT_EQ(raw_reply(fd, &m), 0);
        close(fd);
        expect_log("refused: unknown protocol version");

        /* unknown flags, sent a byte at a time */
        fd = raw_connect();
        request_bytes(req, 1, 0x80, &CLSID_Stay);
        for (size_t i = 0; i < sizeof req; i++)
                ASSERT_EQ(write(fd, req + i, 1), 1);
        ASSERT_EQ(raw_reply(fd, &m), 1);
        ASSERT_HR_EQ(m.hresult, E_INVALIDARG);
        close(fd);
        expect_log("refused: unknown flags");

        /* garbage after a good request: the reply comes, then the connection ends */
        fd = raw_connect();
        uint8_t twice[2 * LAUNCH_REQUEST_SIZE];
        request_bytes(twice, 1, LAUNCH_FLAG_REMOTE, &CLSID_None);
        request_bytes(twice + LAUNCH_REQUEST_SIZE, 1, 0, &CLSID_None);
        ASSERT_EQ(write(fd, twice, sizeof twice), (ssize_t)sizeof twice);
        ASSERT_EQ(raw_reply(fd, &m), 1);
        ASSERT_HR_EQ(m.hresult, REGDB_E_CLASSNOTREG);
        ASSERT_EQ(raw_reply(fd, &m), 0);
        close(fd);

        /* and the service still serves */
        char path[600];
        snprintf(path, sizeof path, "%s/stay", outdir);
        unlink(path);
        pid_t pid = launch_ok(&CLSID_Stay, &fd);
        wait_report("stay");
        ASSERT_OK(kill(pid, SIGKILL));
        wait_exited(fd);
        close(fd);
}

/* 64 connections that never send fill every slot; they go after the deadline (3 s) and
   a real request waiting in the backlog is served then. */
TEST(idle_peers_dropped) {
        enum { IDLE = 64 };
        int idle[IDLE], fd;
        HRESULT hr = E_FAIL;
        pid_t pid = 0;
        uint64_t t0 = now_ms();

        for (int i = 0; i < IDLE; i++)
                idle[i] = raw_connect();
        usleep(200000);                 /* accepted, all of them */
        ASSERT_EQ(launch_request(&CLSID_Stay, getuid(), 0, 10000, &fd, &pid, &hr), 0);
        ASSERT_HR_EQ(hr, S_OK);
        uint64_t waited = now_ms() - t0;
        ASSERT_GE(waited, 2500);
        ASSERT_LT(waited, 8000);
        for (int i = 0; i < IDLE; i++) {
                char b;
                struct pollfd p = { .fd = idle[i], .events = POLLIN };
                ASSERT_EQ(poll(&p, 1, 1000), 1);
                ASSERT_EQ(read(idle[i], &b, 1), 0);
                close(idle[i]);
        }
        expect_log("no request within 3000 ms");
        kill(pid, SIGKILL);
        wait_exited(fd);
        close(fd);
}

/*
 * An unprivileged dcomlaunch (a private instance) starts servers as itself only: RunAs
 * another user, or another launching user, is CO_E_RUNAS_LOGON_FAILURE with a log line.
 * As root this case runs again as nobody, in a root of its own.
 */
TEST(unprivileged_cannot_switch) {
        char line[1024];

        if (geteuid() == 0) {
                int st;
                pid_t c = fork();
                ASSERT_GE(c, 0);
                if (c == 0) {
                        int nul = open("/dev/null", O_WRONLY);
                        if (nul < 0 || dup2(nul, STDOUT_FILENO) < 0 || setgroups(0, NULL) < 0 ||
                            setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                                _exit(3);
                        execl("/proc/self/exe", "test-dcomlaunch", "setup",
                              "unprivileged_cannot_switch", (char *)NULL);
                        _exit(4);
                }
                ASSERT_EQ(waitpid(c, &st, 0), c);
                ASSERT_TRUE(WIFEXITED(st));
                ASSERT_EQ(WEXITSTATUS(st), 0);
                return;
        }
        if (!dl_pid)
                dl_start(NULL, NULL);
        snprintf(line, sizeof line, "%s %s/runas", helper, outdir);
        register_server(&CLSID_RunAs, line, REG_SZ);
        register_runas(&CLSID_RunAs, &APPID_RunAs, "root");
        ASSERT_HR_EQ(launch_fails(&CLSID_RunAs), CO_E_RUNAS_LOGON_FAILURE);
        snprintf(line, sizeof line, "cannot start a server as root (uid 0): dcomlaunch runs as "
                 "uid %u, not root", (unsigned)geteuid());
        expect_log(line);

        /* the launching user, when it is not dcomlaunch's */
        HRESULT hr = S_OK;
        pid_t pid = -1;
        int fd = -2;
        ASSERT_EQ(launch_request(&CLSID_Stay, 0, 0, 5000, &fd, &pid, &hr), 0);
        ASSERT_HR_EQ(hr, CO_E_RUNAS_LOGON_FAILURE);
        dl_stop();
}

/* Stopping dcomlaunch leaves the servers it started running. */
TEST(stop_leaves_servers) {
        char path[600];
        int fd;

        snprintf(path, sizeof path, "%s/stay", outdir);
        unlink(path);
        if (!dl_pid)
                dl_start(NULL, NULL);
        pid_t pid = launch_ok(&CLSID_Stay, &fd);
        wait_report("stay");
        dl_stop();
        expect_log("stopped (Terminated)");
        ASSERT_ERRNO(read_closed(fd), -ECONNRESET);
        close(fd);
        ASSERT_OK(kill(pid, 0));
        ASSERT_OK(kill(pid, SIGKILL));
}

/* ---- as root ------------------------------------------------------------------------------ */

TEST(root_runas_nobody) {
        char line[1024];
        int fd;

        if (geteuid() != 0)
                SKIP("needs root to start a server as nobody");
        dl_start(NULL, NULL);
        struct passwd *pw = getpwuid(NOBODY);
        if (!pw)
                SKIP("no user nobody");
        snprintf(line, sizeof line, "%s %s/nobody", helper, outdir);
        register_server(&CLSID_RunAs, line, REG_SZ);
        register_runas(&CLSID_RunAs, &APPID_RunAs, pw->pw_name);
        pid_t pid = launch_ok(&CLSID_RunAs, &fd);
        const char *r = wait_report("nobody");
        ASSERT_TRUE(has_line(r, "uid 65534"));
        ASSERT_TRUE(has_line(r, "euid 65534"));
        snprintf(line, sizeof line, "gid %u", (unsigned)pw->pw_gid);
        ASSERT_TRUE(has_line(r, line));
        snprintf(line, sizeof line, "env USER=%s", pw->pw_name);
        ASSERT_TRUE(has_line(r, line));
        ASSERT_TRUE(strstr(r, "\ncwd /"));
        snprintf(line, sizeof line, "as %s (pid %d)", pw->pw_name, (int)pid);
        expect_log(line);
        ASSERT_OK(kill(pid, SIGKILL));
        wait_exited(fd);
        close(fd);
}

/* A child running as nobody asks: 1 = answered, 0 = closed without an answer. */
static int ask_as_nobody(void) {
        int st;
        pid_t c = fork();

        ASSERT_GE(c, 0);
        if (c == 0) {
                HRESULT hr;
                pid_t pid;
                int fd;
                if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                        _exit(3);
                int r = launch_request(&CLSID_None, NOBODY, 0, 5000, &fd, &pid, &hr);
                _exit(r == 0 && hr == REGDB_E_CLASSNOTREG ? 1 : r == -ECONNRESET ? 0 : 2);
        }
        ASSERT_EQ(waitpid(c, &st, 0), c);
        ASSERT_TRUE(WIFEXITED(st));
        return WEXITSTATUS(st);
}

TEST(root_other_users_refused) {
        if (geteuid() != 0)
                SKIP("needs root to connect as nobody");
        ASSERT_EQ(ask_as_nobody(), 0);
        expect_log("refused a connection from uid 65534");

        /* the --client-user may ask */
        struct passwd *pw = getpwuid(NOBODY);
        ASSERT_NOT_NULL(pw);
        char name[64];
        snprintf(name, sizeof name, "%s", pw->pw_name);
        dl_stop();
        dl_start("--client-user", name);
        ASSERT_EQ(ask_as_nobody(), 1);
}

/* ---- Interactive User through systemd-logind's state, in a mount namespace -------------- */

static const char *fake_class;

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                _exit(125);
}

/* In dcomlaunch's process: a /run of its own where seat0's active session is c7, a
   session of nobody's of class fake_class. */
static void fake_logind(void) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
            mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/seats", 0755) < 0 ||
            mkdir("/run/systemd/sessions", 0755) < 0)
                _exit(124);
        write_text("/run/systemd/seats/seat0", "# This is private data. Do not parse.\n"
                   "IS_SEAT0=1\nCAN_MULTI_SESSION=1\nACTIVE=c7\nACTIVE_UID=65534\n"
                   "SESSIONS=c7\nUIDS=65534\n");
        char text[256];
        snprintf(text, sizeof text, "UID=65534\nUSER=nobody\nACTIVE=1\nSTATE=active\n"
                 "REMOTE=0\nTYPE=x11\nCLASS=%s\nSEAT=seat0\n", fake_class);
        write_text("/run/systemd/sessions/c7", text);
}

static bool can_unshare_mounts(void) {
        int st;
        pid_t c = fork();

        ASSERT_GE(c, 0);
        if (c == 0)
                _exit(unshare(CLONE_NEWNS) == 0 &&
                      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
                      mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") == 0 ? 0 : 1);
        ASSERT_EQ(waitpid(c, &st, 0), c);
        return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST(root_interactive_user) {
        char line[1024];
        int fd;

        if (geteuid() != 0)
                SKIP("needs root to start a server as nobody");
        if (!can_unshare_mounts())
                SKIP("no mount namespaces here (CAP_SYS_ADMIN)");
        snprintf(line, sizeof line, "%s %s/interactive", helper, outdir);
        register_server(&CLSID_RunAs, line, REG_SZ);
        register_runas(&CLSID_RunAs, &APPID_RunAs, "Interactive User");

        /* a user's session on seat0: its user */
        dl_stop();
        dl_prepare = fake_logind;
        fake_class = "user";
        dl_start(NULL, NULL);
        pid_t pid = launch_ok(&CLSID_RunAs, &fd);
        const char *r = wait_report("interactive");
        ASSERT_TRUE(has_line(r, "uid 65534"));
        ASSERT_OK(kill(pid, SIGKILL));
        wait_exited(fd);
        close(fd);

        /* the login screen's session is no one's */
        dl_stop();
        fake_class = "greeter";
        dl_start(NULL, NULL);
        ASSERT_HR_EQ(launch_fails(&CLSID_RunAs), CO_E_RUNAS_LOGON_FAILURE);
        expect_log("RunAs Interactive User, but no one is logged in at this machine");
        dl_stop();
        dl_prepare = NULL;
}
