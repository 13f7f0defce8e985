/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ncalrpc is machine-wide, as on a real machine: no OPENDCOM_ROOT, the real paths
 * (/run/opendcom, /var/lib/opendcom) on tmpfs in a mount namespace of the test's own,
 * rpcss running as a user of its own (RPCSS_UID, owner of /run/opendcom as
 * tmpfiles.d/opendcom.conf makes it) and servers and clients as nobody, whose
 * XDG_RUNTIME_DIR points elsewhere.  nobody registers and looks up an endpoint with
 * rpcss; rpcss activates a class of a server of nobody's (it calls the server's object
 * exporter over its ncalrpc endpoint, which lets rpcss's user in); nobody can neither
 * take ncalrpc:[epmapper] (not even with rpcss stopped) nor serve it through the sticky
 * directory, and a client refuses an epmapper that is not rpcss's (a directory made
 * writable by mistake) with a debug line saying so; rpcss replaces a stale socket of its
 * own and says so, and leaves another user's; nobody can remove either root's live
 * socket or its stale one, and a symbolic link in the sticky directory is left alone.
 * Root only (it skips otherwise).
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#define COBJMACROS
#include <objbase.h>

#include "base/log.h"
#include "com/remote-internal.h"
#include "epm_stub.h"
#include "obj_stub.h"
#include "rpc/tower.h"
#include "rpc/rpc-internal.h"
#include "test.h"

#define NOBODY 65534
#define RPCSS_UID 61234
#define RUN "/run/opendcom"
#define EPMAPPER RUN "/epmapper"
#define RPCDIR RUN "/rpc"
#define CLSID_S "{7a3d2c10-5b6e-4f81-9c2d-0e1f2a3b4c99}"

static const struct ndr_interface test_if = {
        { 0x7e57e9a1, 0x4321, 0x5678, { 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x99 } },
        1, 0, 0, NULL, "lrpc-machine", NULL,
};

static pid_t rpcss_pid;
static char rpcss_port[16];
static char rpcss_log[64] = RUN "-rpcss.log";          /* under /run: the namespace's */

/* In a child: dies with the test, runs as uid. */
static void as_user(uid_t uid) {
        ASSERT_OK(prctl(PR_SET_PDEATHSIG, SIGKILL));
        ASSERT_OK(setgroups(0, NULL));
        ASSERT_OK(setresgid(uid, uid, uid));
        ASSERT_OK(setresuid(uid, uid, uid));
}

static int wait_child(pid_t pid) {
        int st;

        ASSERT_EQ(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool connects(const char *path) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
        ok = connect(fd, (struct sockaddr *)&un, sizeof un) == 0;
        close(fd);
        return ok;
}

/* A socket bound at path, listening; the descriptor (closed: a stale socket). */
static int plant(const char *path) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
        if (bind(fd, (struct sockaddr *)&un, sizeof un) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        ASSERT_OK(chmod(path, 0666));          /* anyone may connect: only the owner matters */
        ASSERT_OK(listen(fd, 8));
        return fd;
}

/* rpcss as RPCSS_UID, its stderr into rpcss_log; 0 once epmapper answers, or its exit
   status if it stopped. */
static int rpcss_start(void) {
        char exe[512];
        int fd;

        snprintf(exe, sizeof exe, "%s/services/rpcss", test_build_dir());
        rpcss_pid = fork();
        ASSERT_GE(rpcss_pid, 0);
        if (rpcss_pid == 0) {
                fd = open(rpcss_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, 2) < 0)
                        _exit(126);
                as_user(RPCSS_UID);
                execl(exe, "rpcss", "--port", rpcss_port, "--listen", "127.0.0.1", "--foreground",
                      (char *)NULL);
                _exit(127);
        }
        for (int i = 0; !connects(EPMAPPER); i++) {
                int st;
                ASSERT_LT(i, 500);
                if (waitpid(rpcss_pid, &st, WNOHANG) == rpcss_pid) {
                        rpcss_pid = 0;
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
                }
                usleep(10000);
        }
        return 0;
}

static void rpcss_stop(void) {
        if (rpcss_pid > 0) {
                kill(rpcss_pid, SIGTERM);
                waitpid(rpcss_pid, NULL, 0);
                rpcss_pid = 0;
        }
}

static bool log_has(const char *path, const char *what) {
        char text[8192];
        FILE *f = fopen(path, "r");
        size_t n;

        ASSERT_NOT_NULL(f);
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = 0;
        if (!strstr(text, what)) {
                fprintf(stderr, "%s lacks '%s':\n%s\n", path, what, text);
                return false;
        }
        return true;
}

/* What a running rpcss says once it says it: the listener answers as soon as it listens,
   and the main thread's line may follow a moment later (a loaded machine). */
static bool log_says(const char *path, const char *what) {
        for (int i = 0; i < 500; i++) {                 /* 5 s */
                char text[8192];
                FILE *f = fopen(path, "r");
                size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
                if (f)
                        fclose(f);
                text[n] = 0;
                if (strstr(text, what))
                        return true;
                usleep(10000);
        }
        return log_has(path, what);
}

/*
 * The machine of the test: /run and /var/lib of its own, /run/opendcom as tmpfiles.d
 * makes it (rpcss's, 0755, no rpc/ yet: rpcss makes it), rpcss running.
 */
static void setup(void) {
        static bool done;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd;

        if (done)
                return;
        if (geteuid() != 0)
                SKIP("needs root (setuid to nobody and rpcss's own user, a mount namespace)");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
            mount("tmpfs", "/var/lib", "tmpfs", 0, "mode=0755") < 0)
                SKIP("cannot mount in a mount namespace of its own");
        done = true;
        /* the real paths, whoever runs: not the harness's OPENDCOM_ROOT, not XDG's */
        unsetenv("OPENDCOM_ROOT");
        unsetenv("OPENDCOM_EPM_PORT");
        setenv("XDG_RUNTIME_DIR", "/run/user/65534", 1);
        setenv("XDG_STATE_HOME", "/run/state", 1);
        ASSERT_OK(mkdir("/run/state", 01777));
        ASSERT_OK(chmod("/run/state", 01777));
        ASSERT_OK(mkdir(RUN, 0755));
        ASSERT_OK(chown(RUN, RPCSS_UID, RPCSS_UID));

        fd = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
        close(fd);
        snprintf(rpcss_port, sizeof rpcss_port, "%u", ntohs(sa.sin_port));
        setenv("OPENDCOM_EPM_PORT", rpcss_port, 1);
        atexit(rpcss_stop);
        ASSERT_EQ(rpcss_start(), 0);
}

/* The ncalrpc endpoints the map holds for test_if, "a,b". */
static void lookup(char *out, size_t size) {
        struct rpc_binding *b;
        ept_lookup_handle_t h = NULL;
        rpc_if_id_t id = { test_if.uuid, test_if.ver_major, test_if.ver_minor };
        ept_entry_t e[4];
        unsigned32 n = 0;
        error_status_t st = 1;

        out[0] = 0;
        memset(e, 0, sizeof e);
        ASSERT_OK(rpc_binding_from_string("ncalrpc:[epmapper]", &b));
        ASSERT_OK(epm_ept_lookup((handle_t)b, rpc_c_ep_match_by_if, NULL, &id, rpc_c_vers_all, &h,
                                 4, &n, e, &st));
        for (unsigned32 i = 0; i < n; i++) {
                struct rpc_tower t;
                struct rpc_tower_info info;
                char ep[128];
                size_t l = strlen(out);

                ASSERT_OK(rpc_tower_parse(e[i].tower->tower_octet_string, e[i].tower->tower_length,
                                          &t));
                ASSERT_OK(rpc_tower_decode(&t, &info));
                ASSERT_OK(rpc_tower_endpoint_string(&info, ep, sizeof ep));
                snprintf(out + l, size - l, "%s%s", l ? "," : "", ep);
                midl_user_free(e[i].tower);
        }
        rpc_binding_free(b);
}

TEST(machine_wide_directories) {
        struct stat st;

        setup();
        /* rpcss made every process's endpoint directory sticky and world-writable */
        ASSERT_OK(lstat(RPCDIR, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 01777);
        ASSERT_OK(lstat(EPMAPPER, &st));
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        ASSERT_EQ(st.st_uid, RPCSS_UID);

        char path[108];
        ASSERT_OK(rpc_lrpc_path("epmapper", path, sizeof path));
        ASSERT_STR_EQ(path, EPMAPPER);
        ASSERT_OK(rpc_lrpc_path("OLE0123", path, sizeof path));
        ASSERT_STR_EQ(path, RPCDIR "/OLE0123");
}

/* nobody's server: its endpoint in the sticky directory, registered with rpcss (another
   user) over ncalrpc:[epmapper], found there by nobody and by root. */
TEST(nobody_registers_with_rpcss) {
        char eps[256];
        struct stat st;
        int out[2];
        pid_t c;

        setup();
        ASSERT_OK(pipe(out));
        c = fork();
        ASSERT_GE(c, 0);
        if (c == 0) {
                close(out[0]);
                as_user(NOBODY);
                struct rpc_server *s = rpc_server_new();
                ASSERT_NOT_NULL(s);
                ASSERT_EQ(rpc_server_listen_lrpc(s, "nobody-ep", 0666), 0);
                ASSERT_OK(rpc_server_register_ep(s, &test_if, "nobody's"));
                lookup(eps, sizeof eps);
                ASSERT_STR_EQ(eps, "nobody-ep");
                ASSERT_EQ(write(out[1], "r", 1), 1);
                pause();        /* registered while it lives: until the test is done */
                _exit(0);
        }
        close(out[1]);
        char r = 0;
        ASSERT_EQ(read(out[0], &r, 1), 1);
        ASSERT_OK(lstat(RPCDIR "/nobody-ep", &st));
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        ASSERT_EQ(st.st_uid, NOBODY);
        lookup(eps, sizeof eps);
        ASSERT_STR_EQ(eps, "nobody-ep");
        kill(c, SIGKILL);
        wait_child(c);
        close(out[0]);
}

/* rpcss (RPCSS_UID) activates a class of nobody's server for a nobody client: it calls
   the server's object exporter on its ncalrpc endpoint, which lets rpcss's user in. */
TEST(rpcss_reaches_nobody_server) {
        char exe[512];
        pid_t srv, cli;

        setup();
        snprintf(exe, sizeof exe, "%s/tests/act-server", test_build_dir());
        srv = fork();
        ASSERT_GE(srv, 0);
        if (srv == 0) {
                as_user(NOBODY);
                execl(exe, "act-server", CLSID_S, "multi", (char *)NULL);
                _exit(127);
        }
        cli = fork();
        ASSERT_GE(cli, 0);
        if (cli == 0) {
                WCHAR w[40];
                CLSID clsid;
                IObjTest2 *p = NULL;
                HRESULT hr = E_FAIL;
                LONG v = 0;

                as_user(NOBODY);
                for (size_t i = 0; i < 39; i++)
                        w[i] = (WCHAR)(unsigned char)CLSID_S[i];
                w[38] = 0;
                ASSERT_OK(CLSIDFromString(w, &clsid));
                com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
                com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
                ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
                /* until the server has registered its class */
                for (int i = 0; i < 500; i++) {
                        hr = CoCreateInstance(&clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IObjTest2,
                                              (void **)&p);
                        if (hr != REGDB_E_CLASSNOTREG)
                                break;
                        usleep(10000);
                }
                ASSERT_HR_EQ(hr, S_OK);
                ASSERT_HR_EQ(IObjTest2_get_Value(p, &v), S_OK);
                ASSERT_EQ(v, srv);
                IObjTest2_Release(p);
                CoUninitialize();
                _exit(0);
        }
        ASSERT_EQ(wait_child(cli), 0);
        kill(srv, SIGTERM);
        wait_child(srv);
}

/* A client of ncalrpc:[epmapper] as uid, its rpc log into path: 0 if the lookup worked,
   else 1 (and 2 for anything unexpected). */
static int client_lookup(uid_t uid, const char *logpath) {
        pid_t c = fork();

        ASSERT_GE(c, 0);
        if (c == 0) {
                int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, 2) < 0)
                        _exit(2);
                as_user(uid);
                setenv("DCOM_DEBUG", "rpc", 1);
                log_reload();
                struct rpc_binding *b;
                ept_lookup_handle_t h = NULL;
                rpc_if_id_t id = { test_if.uuid, test_if.ver_major, test_if.ver_minor };
                ept_entry_t e[4];
                unsigned32 n = 0;
                error_status_t st = 1;
                if (rpc_binding_from_string("ncalrpc:[epmapper]", &b) < 0)
                        _exit(2);
                rpc_binding_set_timeout(b, 2000);
                int r = epm_ept_lookup((handle_t)b, rpc_c_ep_match_by_if, NULL, &id,
                                       rpc_c_vers_all, &h, 4, &n, e, &st);
                _exit(r < 0 ? 1 : 0);
        }
        return wait_child(c);
}

TEST(epmapper_not_squatted) {
        int fd, c;

        setup();
        /* nobody can neither take the name from rpcss, nor take it with rpcss stopped */
        rpcss_stop();
        ASSERT_EQ(access(EPMAPPER, F_OK), -1);          /* rpcss removed its socket */
        c = fork();
        ASSERT_GE(c, 0);
        if (c == 0) {
                as_user(NOBODY);
                struct rpc_server *s = rpc_server_new();
                ASSERT_ERRNO(rpc_server_listen_lrpc(s, "epmapper", 0666), -EACCES);
                /* the sticky directory: a socket by that name there is nobody's to make... */
                fd = plant(RPCDIR "/epmapper");
                ASSERT_GE(fd, 0);
                pause();
                _exit(0);
        }
        for (int i = 0; !connects(RPCDIR "/epmapper"); i++) {
                ASSERT_LT(i, 500);
                usleep(10000);
        }
        /* ...and no client's to consult: ncalrpc:[epmapper] is not there */
        ASSERT_EQ(client_lookup(0, RUN "-client.log"), 1);
        ASSERT_EQ(client_lookup(NOBODY, RUN "-client.log"), 1);
        kill(c, SIGKILL);
        wait_child(c);
        ASSERT_OK(unlink(RPCDIR "/epmapper"));

        /* an administrator's mistake makes rpcss's directory writable: nobody's epmapper
           there is refused by every client but nobody's own */
        ASSERT_OK(chmod(RUN, 0777));
        c = fork();
        ASSERT_GE(c, 0);
        if (c == 0) {
                as_user(NOBODY);
                fd = plant(EPMAPPER);
                ASSERT_GE(fd, 0);
                pause();
                _exit(0);
        }
        for (int i = 0; !connects(EPMAPPER); i++) {
                ASSERT_LT(i, 500);
                usleep(10000);
        }
        ASSERT_EQ(client_lookup(0, RUN "-client.log"), 1);
        ASSERT_TRUE(log_has(RUN "-client.log", "is served by uid 65534, neither root nor the "
                                               "owner of " RUN ": refused"));
        ASSERT_EQ(client_lookup(RPCSS_UID + 1, RUN "-client.log"), 1);
        ASSERT_TRUE(log_has(RUN "-client.log", "refused"));
        kill(c, SIGKILL);
        wait_child(c);
        ASSERT_OK(chmod(RUN, 0755));

        /* what it left, a stale socket of another user's: rpcss leaves it and says so */
        ASSERT_EQ(access(EPMAPPER, F_OK), 0);
        ASSERT_EQ(rpcss_start(), 1);
        ASSERT_TRUE(log_has(rpcss_log, "belongs to uid 65534, not to rpcss's (61234)"));
        ASSERT_EQ(access(EPMAPPER, F_OK), 0);
        ASSERT_OK(unlink(EPMAPPER));

        /* a stale socket of its own (it was killed): replaced, and said so */
        c = fork();
        ASSERT_GE(c, 0);
        if (c == 0) {
                as_user(RPCSS_UID);
                _exit(plant(EPMAPPER) >= 0 ? 0 : 1);
        }
        ASSERT_EQ(wait_child(c), 0);
        ASSERT_EQ(rpcss_start(), 0);
        ASSERT_TRUE(log_says(rpcss_log, "removed the stale socket " EPMAPPER));
        ASSERT_EQ(client_lookup(NOBODY, RUN "-client.log"), 0);
}

/* Root's sockets in the sticky directory, live or stale, are not nobody's to remove or
   replace; a link nobody planted is not followed, and not removed. */
TEST(sticky_directory) {
        struct rpc_server *s;
        struct stat st;
        pid_t c;
        int fd;

        setup();
        s = rpc_server_new();
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(rpc_server_listen_lrpc(s, "root-live", 0666), 0);
        fd = plant(RPCDIR "/root-stale");
        ASSERT_GE(fd, 0);
        close(fd);

        c = fork();
        ASSERT_GE(c, 0);
        if (c == 0) {
                as_user(NOBODY);
                ASSERT_EQ(unlink(RPCDIR "/root-live"), -1);
                ASSERT_EQ(errno, EPERM);
                ASSERT_EQ(rename(RPCDIR "/root-live", RPCDIR "/mine"), -1);
                ASSERT_EQ(errno, EPERM);
                ASSERT_EQ(unlink(RPCDIR "/root-stale"), -1);
                ASSERT_EQ(errno, EPERM);
                struct rpc_server *n = rpc_server_new();
                ASSERT_ERRNO(rpc_server_listen_lrpc(n, "root-live", 0666), -EADDRINUSE);
                ASSERT_ERRNO(rpc_server_listen_lrpc(n, "root-stale", 0666), -EADDRINUSE);
                /* a link to a file of root's: whoever binds the name does not follow it */
                ASSERT_OK(symlink(RUN "/victim", RPCDIR "/trap"));
                _exit(0);
        }
        ASSERT_EQ(wait_child(c), 0);
        ASSERT_TRUE(connects(RPCDIR "/root-live"));
        ASSERT_OK(lstat(RPCDIR "/root-stale", &st));
        ASSERT_TRUE(S_ISSOCK(st.st_mode));

        fd = open(RUN "/victim", O_WRONLY | O_CREAT | O_EXCL, 0600);
        ASSERT_GE(fd, 0);
        close(fd);
        ASSERT_ERRNO(rpc_server_listen_lrpc(s, "trap", 0666), -EADDRINUSE);
        ASSERT_OK(lstat(RPCDIR "/trap", &st));
        ASSERT_TRUE(S_ISLNK(st.st_mode));                /* left alone */
        ASSERT_OK(stat(RUN "/victim", &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0600);             /* not chmod()ed through the link */
        /* root's own stale socket: root takes the name back */
        ASSERT_EQ(rpc_server_listen_lrpc(s, "root-stale", 0666), 1);
        ASSERT_TRUE(connects(RPCDIR "/root-stale"));
        rpc_server_free(s);
}
