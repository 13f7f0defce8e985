/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlsa, the local security authority, for real: the account store is root's (this
 * test's OPENDCOM_ROOT, private/ 0700), dcomlsa runs as root, and an RPC server runs as
 * nobody -- it cannot read the store, so its NTLM logons go through dcomlsa.  A client
 * (this process) calls it over TCP at PKT_PRIVACY as alice: the server sees alice with
 * her account SID; a wrong password is refused and the server keeps serving; with
 * dcomlsa stopped logons fail and come back with it; account lockout; a squatter on
 * dcomlsa's socket is not believed; a response replayed against a new challenge is
 * refused; a local user's idle connections and garbage do not stop the others' logons.
 * Needs root (to run processes as nobody); skipped otherwise.
 */
#include <arpa/inet.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc/auth/accounts.h"
#include "rpc/auth/lsa-client.h"
#include "rpc/auth/lsa-proto.h"
#include "rpc/auth/ntlm.h"
#include "rpc/rpc-internal.h"
#include "rpctest_stub.h"
#include "rpctest-calls.h"
#include "test.h"

#define NOBODY 65534
#define STRANGER 12345                  /* a local user with no account anywhere */
#define WHO "WHO?"
#define SHARE 4096                      /* dcomlsa's logons in flight per local user */

static pid_t lsa_pid, server_pid;
static char binding[64];

/* ---- the server, as nobody --------------------------------------------------------------- */

static LONG rt_null(handle_t h, LONG x, LONG *y) {
        *y = x + 1;
        return 0;
}

/* n bytes back: XORed, or for a request starting "WHO?" who called and who serves */
static LONG rt_echo(handle_t h, ULONG n, const BYTE *data, BYTE *back) {
        if (n >= 4 && memcmp(data, WHO, 4) == 0) {
                struct rpc_identity id;
                uint8_t type = 0, level = 0;
                void *ctx;
                int r = rpc_call_identity(h, &id);
                rpc_call_auth(h, &type, &level, &ctx);
                memset(back, 0, n);
                snprintf((char *)back, n, "%d|%s|%s|%s|%u|%u", r, r == 0 ? id.user : "",
                         r == 0 ? id.domain : "", r == 0 ? id.sid : "", level,
                         (unsigned)geteuid());
                return (LONG)n;
        }
        for (ULONG i = 0; i < n; i++)
                back[i] = (BYTE)(data[i] ^ 0x5a);
        return (LONG)n;
}

static LONG rt_owner(handle_t h, int64_t *owner, ULONG *protseq) {
        *owner = 0;
        *protseq = 0;
        return 0;
}

static const struct RpcTest_v1_1_epv rt_epv = { rt_null, rt_echo, rt_owner };

static void become(uid_t uid) {
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(99);
}

static void stop(pid_t *pid) {
        if (*pid > 0) {
                kill(*pid, SIGTERM);
                waitpid(*pid, NULL, 0);
                *pid = 0;
        }
}

static void stop_all(void) {
        stop(&server_pid);
        stop(&lsa_pid);
}

static void lsa_start(const char *threshold, const char *seconds) {
        char exe[512], path[108];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(exe, sizeof exe, "%s/services/dcomlsa", getenv("TEST_BUILD_DIR"));
        lsa_pid = fork();
        ASSERT_GE(lsa_pid, 0);
        if (lsa_pid == 0) {
                execl(exe, "dcomlsa", "--foreground", "--lockout-threshold", threshold,
                      "--lockout-seconds", seconds, (char *)NULL);
                _exit(127);
        }
        ASSERT_OK(lsa_socket_path(path, sizeof path));
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        for (int i = 0;; i++) {
                int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                bool up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
                close(fd);
                if (up)
                        break;
                ASSERT_LT(i, 500);
                ASSERT_EQ(waitpid(lsa_pid, NULL, WNOHANG), 0);
                usleep(10000);
        }
}

static void start(void) {
        static bool started;
        int p[2];

        if (started)
                return;
        started = true;
        if (geteuid() != 0)
                SKIP("needs root to run the server as nobody");
        /* nobody must reach the runtime directory, never the store */
        ASSERT_OK(chmod(getenv("OPENDCOM_ROOT"), 0755));
        ASSERT_OK(accounts_set_password("alice", "Secret-1"));
        atexit(stop_all);
        lsa_start("3", "2");

        ASSERT_OK(pipe(p));
        server_pid = fork();
        ASSERT_GE(server_pid, 0);
        if (server_pid == 0) {
                uint16_t port = 0;
                close(p[0]);
                become(NOBODY);
                struct rpc_server *srv = rpc_server_new();
                if (!srv || rpc_server_register_if(srv, &RpcTest_v1_1_s_interface, &rt_epv) < 0 ||
                    rpc_server_listen_tcp(srv, "127.0.0.1", 0, &port) < 0)
                        _exit(98);
                (void)!write(p[1], &port, sizeof port);
                for (;;)
                        pause();
        }
        close(p[1]);
        uint16_t port = 0;
        ASSERT_EQ(read(p[0], &port, sizeof port), (ssize_t)sizeof port);
        close(p[0]);
        snprintf(binding, sizeof binding, "ncacn_ip_tcp:127.0.0.1[%u]", port);
}

static struct rpc_binding *bind_as(const char *user, const char *password) {
        struct rpc_binding *b;
        struct rpc_auth_identity id = { .user = user, .domain = "WORKGROUP", .password = password };

        ASSERT_OK(rpc_binding_from_string(binding, &b));
        rpc_binding_set_timeout(b, 10000);
        ASSERT_OK(rpc_binding_set_auth(b, RPC_AUTHN_LEVEL_PKT_PRIVACY, RPC_AUTHN_WINNT, &id));
        return b;
}

/* A call as user: 0, or the call's (negative) error. */
static int call_as(const char *user, const char *password, char *who, size_t who_size) {
        struct rpc_binding *b = bind_as(user, password);
        BYTE in[200] = WHO, out[200];
        LONG y = 0, ret = -1;
        int r = RpcTest_RtNull((handle_t)b, 1, &y, &ret);

        if (r == 0) {
                ASSERT_EQ(y, 2);
                ASSERT_OK(RpcTest_RtEcho((handle_t)b, sizeof in, in, out, &ret));
                out[sizeof out - 1] = 0;
                if (who)
                        snprintf(who, who_size, "%s", (char *)out);
                rpctest_echo((handle_t)b, 100 * 1024);  /* sealed both ways with the key */
        }
        rpc_binding_free(b);
        return r;
}

static void expected_who(char *buf, size_t size) {
        char msid[ACCOUNT_MACHINE_SID_MAX];
        struct account a;
        struct ntlm_settings s;

        ASSERT_OK(accounts_machine_sid(msid, sizeof msid));
        ASSERT_OK(accounts_lookup("alice", &a));
        ntlm_get_settings(&s);
        snprintf(buf, size, "0|alice|%s|%s-%u|%u|%u", s.domain, msid, a.rid,
                 RPC_AUTHN_LEVEL_PKT_PRIVACY, NOBODY);
}

TEST(logon_through_dcomlsa) {
        char who[200], want[200];

        start();
        expected_who(want, sizeof want);
        ASSERT_OK(call_as("ALICE", "Secret-1", who, sizeof who));
        ASSERT_STR_EQ(who, want);
        /* a wrong password and an unknown user: refused, the server serves on */
        ASSERT_LT(call_as("alice", "wrong", NULL, 0), 0);
        ASSERT_LT(call_as("mallory", "x", NULL, 0), 0);
        ASSERT_OK(call_as("alice", "Secret-1", who, sizeof who));
        ASSERT_STR_EQ(who, want);
}

TEST(no_dcomlsa_no_logon) {
        start();
        stop(&lsa_pid);
        ASSERT_LT(call_as("alice", "Secret-1", NULL, 0), 0);
        lsa_start("3", "2");
        ASSERT_OK(call_as("alice", "Secret-1", NULL, 0));
}

TEST(account_lockout) {
        start();
        /* names the store does not have cost the lockout table nothing, and lock nobody */
        char name[32];
        for (int i = 0; i < 8; i++) {
                snprintf(name, sizeof name, "nosuch%d", i);
                ASSERT_LT(call_as(name, "guess", NULL, 0), 0);
        }
        ASSERT_OK(call_as("alice", "Secret-1", NULL, 0));
        for (int i = 0; i < 3; i++)
                ASSERT_LT(call_as("alice", "guess", NULL, 0), 0);
        /* locked: the right password too */
        ASSERT_LT(call_as("alice", "Secret-1", NULL, 0), 0);
        sleep(3);       /* the behaviour under test: the lockout runs out */
        ASSERT_OK(call_as("alice", "Secret-1", NULL, 0));
}

/* NEGOTIATE and AUTHENTICATE of alice's client through dcomlsa directly (this process is
   root, which dcomlsa serves like anyone); the AUTHENTICATE bytes kept in *auth. */
static char last_reason[512];

static int logon_direct(const char *password, struct buf *auth_out, const struct buf *replay) {
        struct buf neg, chal, auth;
        struct ntlm_ctx *cli = NULL, *srv = NULL;
        struct lsa_logon *l = NULL;
        char reason[512];
        int r;

        buf_init(&neg, 0);
        buf_init(&chal, 0);
        buf_init(&auth, 0);
        ASSERT_OK(ntlm_client_start("alice", "WORKGROUP", password, NULL, &neg, &cli));
        ASSERT_OK(lsa_logon_start(neg.data, neg.len, &chal, &l, reason, sizeof reason));
        ASSERT_OK(ntlm_client_finish(cli, chal.data, chal.len, &auth));
        if (replay)
                r = lsa_logon_finish(l, replay->data, replay->len, &srv, reason, sizeof reason);
        else
                r = lsa_logon_finish(l, auth.data, auth.len, &srv, reason, sizeof reason);
        if (r == 0) {
                uint8_t k1[16], k2[16];
                ASSERT_OK(ntlm_session_key(cli, k1));
                ASSERT_OK(ntlm_session_key(srv, k2));
                ASSERT_MEM_EQ(k1, k2, 16);
                ASSERT_STR_EQ(ntlm_identity(srv)->user, "alice");
        } else {
                ASSERT_TRUE(reason[0] != 0);
                snprintf(last_reason, sizeof last_reason, "%s", reason);
        }
        if (auth_out)
                buf_append(auth_out, auth.data, auth.len);
        lsa_logon_free(l);
        ntlm_free(cli);
        ntlm_free(srv);
        buf_free(&neg);
        buf_free(&chal);
        buf_free(&auth);
        return r;
}

TEST(replayed_response_refused) {
        struct buf captured;

        start();
        buf_init(&captured, 0);
        ASSERT_OK(logon_direct("Secret-1", &captured, NULL));
        /* the same response against dcomlsa's next challenge: no session key for it */
        ASSERT_ERRNO(logon_direct("Secret-1", NULL, &captured), -EACCES);
        /* the peer learns that it failed, not why (that would list the accounts) */
        ASSERT_NOT_NULL(strstr(last_reason, "logon failure"));
        ASSERT_NULL(strstr(last_reason, "wrong password"));
        buf_free(&captured);
}

/* Another local user: idle connections beyond its share and garbage, while the server's
   logons go on. */
TEST(hostile_local_user) {
        char path[108];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int p[2];

        start();
        ASSERT_OK(lsa_socket_path(path, sizeof path));
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        ASSERT_OK(pipe(p));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                static int fds[SHARE + 16];
                int open_ok = 0, closed = 0;
                struct rlimit rl = { SHARE + 256, SHARE + 256 };
                close(p[0]);
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        _exit(94);
                become(STRANGER);
                /* garbage first: a wrong version, a short packet, an AUTHENTICATE first */
                uint8_t junk[64] = { 9, 0, 0, 0, 1, 0, 0, 0 };
                uint8_t reply[LSA_MAX_PACKET];
                int answered = 0;
                for (int k = 0; k < 3; k++) {
                        int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                                _exit(95);
                        if (k == 1) {
                                (void)!send(fd, junk, 3, 0);
                        } else {
                                junk[0] = k == 0 ? 9 : 1;
                                junk[4] = k == 2 ? 2 : 1;
                                (void)!send(fd, junk, sizeof junk, 0);
                        }
                        /* refused with a status, then closed */
                        ssize_t n = recv(fd, reply, sizeof reply, 0);
                        if (n >= 8 && (int32_t)lsa_get_u32(reply + 4) < 0 &&
                            recv(fd, reply, sizeof reply, 0) == 0)
                                answered++;
                        close(fd);
                }
                /* then more idle connections than one user's share */
                for (int i = 0; i < SHARE + 16; i++) {
                        fds[i] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                        if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) == 0)
                                open_ok++;
                }
                /* those beyond the share are closed at once: count until as many are (5 s at
                   most) */
                for (int t = 0; t < 500; t++) {
                        closed = 0;
                        for (int i = 0; i < SHARE + 16; i++) {
                                char c;
                                if (recv(fds[i], &c, 1, MSG_DONTWAIT) == 0)
                                        closed++;
                        }
                        if (closed >= 16)
                                break;
                        usleep(10000);
                }
                int out[3] = { open_ok, closed, answered };
                (void)!write(p[1], out, sizeof out);
                /* keep the idle ones while the parent logs on */
                for (;;)
                        pause();
        }
        close(p[1]);
        int got[3];
        ASSERT_EQ(read(p[0], got, sizeof got), (ssize_t)sizeof got);
        ASSERT_EQ(got[0], SHARE + 16);          /* connect() itself succeeds (backlog) */
        ASSERT_EQ(got[1], 16);                  /* all but the share were closed */
        ASSERT_EQ(got[2], 3);                   /* every bad request refused */
        /* the server's logons (another user) go on meanwhile */
        ASSERT_OK(call_as("alice", "Secret-1", NULL, 0));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(p[0]);
}

/* A process of another user listening on dcomlsa's socket is no authority. */
TEST(squatter_not_believed) {
        char path[108];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int p[2];

        start();
        stop(&lsa_pid);
        ASSERT_OK(lsa_socket_path(path, sizeof path));
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        unlink(path);
        ASSERT_OK(pipe(p));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                /* bound by root into the root-owned directory, listening as a stranger:
                   what a socket left behind and taken over would look like */
                int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                        _exit(97);
                chmod(path, 0666);
                become(STRANGER);
                if (listen(fd, 16) < 0)
                        _exit(96);
                (void)!write(p[1], "x", 1);
                for (;;) {
                        /* answer every NEGOTIATE with a challenge and every AUTHENTICATE
                           with "alice, logged on" -- a lie dcomlsa's clients must not take */
                        int c = accept(fd, NULL, NULL);
                        if (c >= 0)
                                close(c);
                }
        }
        close(p[1]);
        char c;
        ASSERT_EQ(read(p[0], &c, 1), 1);
        close(p[0]);
        char reason[512];
        struct buf neg, chal;
        struct ntlm_ctx *cli = NULL;
        struct lsa_logon *l = NULL;
        buf_init(&neg, 0);
        buf_init(&chal, 0);
        ASSERT_OK(ntlm_client_start("alice", "WORKGROUP", "Secret-1", NULL, &neg, &cli));
        /* the test (root) trusts root only; the server as nobody refuses the same way */
        ASSERT_ERRNO(lsa_logon_start(neg.data, neg.len, &chal, &l, reason, sizeof reason), -EACCES);
        ASSERT_NOT_NULL(strstr(reason, "does not own the account store"));
        ASSERT_LT(call_as("alice", "Secret-1", NULL, 0), 0);
        ntlm_free(cli);
        buf_free(&neg);
        buf_free(&chal);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(path);
        lsa_start("3", "2");
        ASSERT_OK(call_as("alice", "Secret-1", NULL, 0));
}
