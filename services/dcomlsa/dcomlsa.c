/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlsa, the local security authority: verifies NTLM logons for server processes that
 * may not read the account store (src/rpc/auth/accounts.c, root's), as LSASS does for
 * every Windows process.  A process that a remote caller authenticates to -- a server
 * started as its AppID's RunAs user, rpcss under an account of its own -- hands the
 * caller's NEGOTIATE and AUTHENTICATE messages over the socket /run/opendcom/dcomlsa
 * (OPENDCOM_ROOT/run/dcomlsa in a private instance) and gets the CHALLENGE, then the
 * negotiated flags, the session key and the caller's name and SID (lsa-proto.h).  The NT
 * hashes never leave this process, and the challenge is made here and used once, so a
 * response captured on the network cannot be replayed through dcomlsa for its key.
 *
 *      dcomlsa [--foreground] [--lockout-threshold N] [--lockout-seconds S]
 *
 * Bounds, so that no local user or remote guesser holds it: one thread, one poll() loop,
 * at most MAX_CONNS (16384) logons in flight and a quarter of them per local user
 * (SO_PEERCRED), the NEGOTIATE due within NEGOTIATE_TIMEOUT_MS of the connection and the
 * AUTHENTICATE within LOGON_TIMEOUT_MS (a remote client's round trip), every packet
 * bounded.  An account
 * that fails --lockout-threshold logons (default 10) within --lockout-seconds (default
 * 60) is locked out for that long -- every logon refused, the right password included --
 * as Windows' account lockout policy; 0 turns it off.  One log line per failed logon
 * (at most LOG_BURST a second), lockout, start and stop (stderr, or syslog with
 * DCOM_LOG=syslog).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "base/base-internal.h"
#include "base/paths.h"
#include "base/version.h"
#include "service-socket.h"
#include "ntlm-settings.h"
#include "rpc/auth/accounts.h"
#include "rpc/auth/lsa-client.h"
#include "rpc/auth/lsa-proto.h"
#include "rpc/auth/ntlm.h"
#include "rpc/auth/providers.h"

/*
 * Pending logons are cheap here (a descriptor and an NTLM context), and every one of a
 * server's NTLM binds holds one until its AUTHENTICATE: rpcss alone may have 1024
 * connections with 8 contexts each.  A local user holds at most a quarter.
 */
#define MAX_CONNS 16384
#define MAX_PER_UID (MAX_CONNS / 4)
#define UID_TABLE (2 * MAX_CONNS)
#define NEGOTIATE_TIMEOUT_MS 5000
#define LOGON_TIMEOUT_MS 60000
#define LOCKOUT_TABLE 4096
#define LOG_BURST 20

/* ---- the log ------------------------------------------------------------------------------ */

/*
 * One line per event (log_service): stderr -- the journal under systemd, with the syslog
 * priority first -- or syslog (authpriv) with DCOM_LOG=syslog.  Failed and refused
 * logons and lockouts are warnings, what stops dcomlsa errors, start and stop info.
 */
#define say(priority, ...) log_service(LOG_AUTHPRIV | (priority), __VA_ARGS__)
static uint64_t log_second;
static unsigned log_count, log_dropped;

/* A failed logon's line: at most LOG_BURST a second, the rest counted. */
static void say_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say_failure(const char *fmt, ...) {
        uint64_t sec = dcom_monotonic_ms() / 1000;
        char line[1024];
        va_list ap;

        if (sec != log_second) {
                if (log_dropped)
                        say(LOG_WARNING, "%u more failed logons in the last second not logged",
                            log_dropped);
                log_second = sec;
                log_count = log_dropped = 0;
        }
        if (log_count >= LOG_BURST) {
                log_dropped++;
                return;
        }
        log_count++;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        say(LOG_WARNING, "%s", line);
}

/* ---- account lockout ---------------------------------------------------------------------- */

struct lockout {
        char name[ACCOUNT_NAME_MAX + 1];        /* upper-cased ASCII, the rest as sent */
        unsigned failures;
        uint64_t first_ms, locked_until_ms, last_ms;
};

static struct lockout lockouts[LOCKOUT_TABLE];
static unsigned lockout_threshold = 10;
static uint64_t lockout_ms = 60000;

/* Windows compares names case-insensitively; ASCII folding is enough for a key. */
static void lockout_key(const char *user, char out[ACCOUNT_NAME_MAX + 1]) {
        size_t i;

        for (i = 0; user[i] && i < ACCOUNT_NAME_MAX; i++)
                out[i] = (char)(user[i] >= 'a' && user[i] <= 'z' ? user[i] - 32 : user[i]);
        out[i] = 0;
}

static struct lockout *lockout_find(const char *user, bool create, uint64_t now) {
        char key[ACCOUNT_NAME_MAX + 1];
        struct lockout *victim = NULL;

        lockout_key(user, key);
        for (unsigned i = 0; i < LOCKOUT_TABLE; i++) {
                struct lockout *l = &lockouts[i];
                if (l->name[0] && strcmp(l->name, key) == 0)
                        return l;
                /* a free slot, else the one failed longest ago that is not locked */
                if (create && l->locked_until_ms <= now &&
                    (!victim || !l->name[0] || (victim->name[0] && l->last_ms < victim->last_ms)))
                        victim = l;
        }
        if (!victim)
                return NULL;
        memset(victim, 0, sizeof *victim);
        memcpy(victim->name, key, sizeof key);
        return victim;
}

/* Whether the account is locked now: the seconds left, or 0. */
static unsigned lockout_left(const char *user, uint64_t now) {
        struct lockout *l = lockout_threshold ? lockout_find(user, false, now) : NULL;

        return l && l->locked_until_ms > now ? (unsigned)((l->locked_until_ms - now + 999) / 1000) : 0;
}

static void lockout_failed(const char *user, uint64_t now) {
        struct lockout *l;

        if (!lockout_threshold || !user[0])
                return;
        l = lockout_find(user, true, now);
        if (!l)
                return;
        if (l->failures == 0 || now - l->first_ms > lockout_ms) {
                l->failures = 0;
                l->first_ms = now;
        }
        l->last_ms = now;
        if (++l->failures >= lockout_threshold) {
                l->locked_until_ms = now + lockout_ms;
                l->failures = 0;
                say(LOG_WARNING, "account '%s' locked out for %llu s after %u failed logons", user,
                    (unsigned long long)(lockout_ms / 1000), lockout_threshold);
        }
}

static void lockout_succeeded(const char *user, uint64_t now) {
        struct lockout *l = lockout_threshold ? lockout_find(user, false, now) : NULL;

        if (l)
                memset(l, 0, sizeof *l);
}

/* ---- connections -------------------------------------------------------------------------- */

/* Logons in flight per local user: open addressing, slots never emptied (a user with
   none keeps its slot at 0; there are few users). */
static struct uid_count {
        bool used;
        uid_t uid;
        unsigned n;
} uid_counts[UID_TABLE];

static struct uid_count *uid_slot(uid_t uid) {
        size_t h = ((size_t)uid * 2654435761u) % UID_TABLE;

        for (size_t i = 0; i < UID_TABLE; i++) {
                struct uid_count *u = &uid_counts[(h + i) % UID_TABLE];
                if (!u->used) {
                        u->used = true;
                        u->uid = uid;
                        return u;
                }
                if (u->uid == uid)
                        return u;
        }
        return NULL;                    /* full of users, live or gone */
}


struct conn {
        int fd;
        uid_t uid;
        pid_t pid;
        uint64_t deadline;
        struct ntlm_ctx *ntlm;          /* after the NEGOTIATE */
};

static struct conn conns[MAX_CONNS];
static unsigned n_conns, next_free;

/* The table counted afresh from the connections: users with none in flight leave it (a
   user with many subordinate uids must not fill it for good). */
static void uid_table_rebuild(void) {
        memset(uid_counts, 0, sizeof uid_counts);
        for (unsigned i = 0; i < MAX_CONNS; i++)
                if (conns[i].fd >= 0) {
                        struct uid_count *u = uid_slot(conns[i].uid);
                        if (u)
                                u->n++;
                }
}
static char machine_sid[ACCOUNT_MACHINE_SID_MAX];

static void conn_close(struct conn *c) {
        struct uid_count *u = uid_slot(c->uid);

        if (u && u->n)
                u->n--;
        ntlm_free(c->ntlm);
        c->ntlm = NULL;
        close(c->fd);
        c->fd = -1;
        n_conns--;
}

static void send_packet(struct conn *c, const uint8_t *p, size_t len) {
        /* a packet socket takes a whole reply or nothing; a peer that does not read its
           one reply is simply closed afterwards */
        (void)!send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void send_status(struct conn *c, uint32_t kind, int status, const char *reason) {
        uint8_t out[LSA_MAX_PACKET];
        size_t len;

        lsa_put_u32(out, kind);
        lsa_put_u32(out + 4, (uint32_t)status);
        len = lsa_put_string(out, LSA_REPLY_HEADER, sizeof out, reason ? reason : "");
        send_packet(c, out, len ? len : LSA_REPLY_HEADER);
}

static void accept_one(int listener) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct ucred cred;
        socklen_t len = sizeof cred;

        if (fd < 0)
                return;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof cred) {
                close(fd);
                return;
        }
        struct uid_count *u = uid_slot(cred.uid);
        if (!u) {
                uid_table_rebuild();
                u = uid_slot(cred.uid);
        }
        if (!u || u->n >= MAX_PER_UID) {
                say_failure("refused a logon from uid %u (pid %d): it has %d in flight already",
                            (unsigned)cred.uid, (int)cred.pid, MAX_PER_UID);
                close(fd);
                return;
        }
        for (unsigned i = 0; i < MAX_CONNS; i++) {
                unsigned k = (next_free + i) % MAX_CONNS;
                if (conns[k].fd < 0) {
                        conns[k] = (struct conn){ .fd = fd, .uid = cred.uid, .pid = cred.pid,
                                                  .deadline = dcom_monotonic_ms() + NEGOTIATE_TIMEOUT_MS };
                        n_conns++;
                        u->n++;
                        next_free = (k + 1) % MAX_CONNS;
                        return;
                }
        }
        close(fd);
}

static void on_negotiate(struct conn *c, const uint8_t *msg, size_t len) {
        struct buf chal;
        int r;

        buf_init(&chal, NTLM_MAX_MESSAGE);
        r = ntlm_server_start(msg, len, &chal, &c->ntlm);
        if (r < 0) {
                send_status(c, LSA_KIND_NEGOTIATE, r == -ENOMEM ? -ENOMEM : r == -EBADMSG ? -EBADMSG : -EACCES,
                            r == -EBADMSG ? "malformed NEGOTIATE message"
                                          : "NEGOTIATE refused (no Unicode or no extended session security)");
                buf_free(&chal);
                conn_close(c);
                return;
        }
        uint8_t out[LSA_MAX_PACKET];
        if (chal.error || chal.len > NTLM_MAX_MESSAGE) {
                buf_free(&chal);
                conn_close(c);
                return;
        }
        lsa_put_u32(out, LSA_KIND_NEGOTIATE);
        lsa_put_u32(out + 4, 0);
        memcpy(out + LSA_REPLY_HEADER, chal.data, chal.len);
        send_packet(c, out, LSA_REPLY_HEADER + chal.len);
        buf_free(&chal);
        c->deadline = dcom_monotonic_ms() + LOGON_TIMEOUT_MS;
}

static void on_authenticate(struct conn *c, const uint8_t *msg, size_t len) {
        uint64_t now = dcom_monotonic_ms();
        char claimed[NTLM_NAME_MAX + 1], reason[512];
        const char *why = NULL;
        unsigned left = 0;
        int r;

        lsa_claimed_user(msg, len, claimed);
        r = ntlm_server_finish(c->ntlm, msg, len, &why);
        const struct ntlm_identity *id = ntlm_identity(c->ntlm);
        /*
         * Lockout concerns accounts of the store only, under the store's own spelling of
         * the name, which ntlm.c gives once it found the account (a logon, or a wrong
         * password): names nobody has cost the table nothing, and no spelling of a name
         * escapes its account's count.  A locked account is refused whether or not the
         * password was right, so a guess learns nothing.
         */
        bool wrong_password = r == -EACCES && why && strcmp(why, "wrong password") == 0;
        if ((r == 0 && !id->anonymous) || wrong_password)
                left = lockout_left(id->user, now);
        if (left) {
                snprintf(reason, sizeof reason, "user '%s': account locked out for %u more s "
                         "after repeated failed logons", claimed, left);
                say_failure("logon refused for uid %u (pid %d): %s", (unsigned)c->uid, (int)c->pid,
                            reason);
                send_status(c, LSA_KIND_AUTHENTICATE, -EAGAIN, reason);
                conn_close(c);
                return;
        }
        if (r < 0) {
                snprintf(reason, sizeof reason, "NTLM user '%.100s\\%.100s' (workstation '%.64s'): %s",
                         id->client_domain, id->user[0] ? id->user : claimed, id->workstation,
                         why ? why : strerror(-r));
                say_failure("logon failed for uid %u (pid %d): %s", (unsigned)c->uid, (int)c->pid,
                            reason);
                if (wrong_password)
                        lockout_failed(id->user, now);
                /* the peer learns that it failed, not why: "unknown user" against "wrong
                   password" would list the store's accounts to any local user */
                snprintf(reason, sizeof reason, "NTLM user '%.100s\\%.100s': %s",
                         id->client_domain, claimed,
                         r == -EBADMSG ? "malformed AUTHENTICATE message"
                                       : "logon failure (dcomlsa's log says why)");
                send_status(c, LSA_KIND_AUTHENTICATE, r == -EBADMSG ? -EBADMSG : -EACCES, reason);
                conn_close(c);
                return;
        }

        struct lsa_result res;
        uint8_t out[LSA_MAX_PACKET];
        memset(&res, 0, sizeof res);
        res.flags = ntlm_flags(c->ntlm);
        res.mic = ntlm_mic_present(c->ntlm);
        res.id = *ntlm_identity(c->ntlm);
        (void)ntlm_session_key(c->ntlm, res.session_key);
        if (!res.id.anonymous && !machine_sid[0] &&
            accounts_machine_sid(machine_sid, sizeof machine_sid) < 0)
                machine_sid[0] = 0;
        if (!res.id.anonymous && machine_sid[0])
                snprintf(res.id.sid, sizeof res.id.sid, "%s-%u", machine_sid, (unsigned)res.id.rid);
        if (!res.id.anonymous)
                lockout_succeeded(res.id.user, now);
        size_t n = lsa_result_encode(&res, out);
        explicit_bzero(&res, sizeof res);
        if (n)
                send_packet(c, out, n);
        explicit_bzero(out, sizeof out);
        conn_close(c);
}

static void on_readable(struct conn *c) {
        uint8_t in[LSA_MAX_PACKET + 1];
        const uint8_t *msg;
        size_t msg_len;
        uint32_t kind;
        ssize_t k = recv(c->fd, in, sizeof in, MSG_DONTWAIT | MSG_TRUNC);

        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (k <= 0) {
                conn_close(c);
                return;
        }
        int r = (size_t)k > LSA_MAX_PACKET ? -EBADMSG
                                            : lsa_request_decode(in, (size_t)k, &kind, &msg, &msg_len);
        if (r < 0 || (kind == LSA_KIND_NEGOTIATE) != (c->ntlm == NULL)) {
                say_failure("dropped uid %u (pid %d): %s", (unsigned)c->uid, (int)c->pid,
                            r == -EPROTONOSUPPORT ? "another protocol version"
                            : r < 0               ? "a malformed request"
                                                  : "a request out of order");
                send_status(c, r == 0 ? kind : LSA_KIND_NEGOTIATE, r == -EPROTONOSUPPORT ? r : -EBADMSG,
                            "malformed request");
                conn_close(c);
                return;
        }
        if (kind == LSA_KIND_NEGOTIATE)
                on_negotiate(c, msg, msg_len);
        else
                on_authenticate(c, msg, msg_len);
}

/* ---- the socket --------------------------------------------------------------------------- */

static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int listen_socket(void) {
        int r = lsa_socket_path(sock_path, sizeof sock_path);

        return r < 0 ? r : service_listen_unix(sock_path, SOCK_SEQPACKET, 128);
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(FILE *f) {
        fputs("Usage: dcomlsa [--foreground] [--lockout-threshold N] [--lockout-seconds S]\n"
              "The local security authority of OpenDCOM: verifies the NTLM logons of remote\n"
              "callers for server processes that may not read the account store (every\n"
              "process not running as root), over the socket /run/opendcom/dcomlsa.  The\n"
              "NT hashes stay in dcomlsa; a process gets the session key and who logged on.\n"
              "Runs as root (the store's owner).\n\n"
              "  --foreground            stay attached to the terminal (without it dcomlsa\n"
              "                          detaches)\n"
              "  --lockout-threshold N   lock an account out after N failed logons\n"
              "                          (default 10; 0: never)\n"
              "  --lockout-seconds S     ... within S seconds, for S seconds (default 60)\n"
              "  --help                  show this help\n"
              "  --version               show the version\n\n"
              "Exit status: 0 stopped by SIGTERM/SIGINT, 1 cannot start, 2 usage.\n"
              "Example: dcomlsa --foreground --lockout-threshold 5\n"
              "OPENDCOM_ROOT relocates its state and socket (a private instance).\n"
              "Details: dcomlsa(8).\n", f);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        if (!s || !*s || *s == '-')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return false;
        *ret = v;
        return true;
}

int main(int argc, char **argv) {
        bool foreground = false, stop = false;
        static struct pollfd pfd[2 + MAX_CONNS];
        static unsigned map[MAX_CONNS];
        const char *why = "error";
        unsigned long v;
        sigset_t sigs;
        int listener, sfd, r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--foreground") == 0) {
                        foreground = true;
                } else if (strcmp(argv[i], "--lockout-threshold") == 0 && i + 1 < argc) {
                        if (!parse_uint(argv[++i], 1000000, &v)) {
                                fprintf(stderr, "dcomlsa: --lockout-threshold %s: not a number "
                                        "from 0 to 1000000\n", argv[i]);
                                return 2;
                        }
                        lockout_threshold = (unsigned)v;
                } else if (strcmp(argv[i], "--lockout-seconds") == 0 && i + 1 < argc) {
                        if (!parse_uint(argv[++i], 86400, &v) || v == 0) {
                                fprintf(stderr, "dcomlsa: --lockout-seconds %s: not a number "
                                        "from 1 to 86400\n", argv[i]);
                                return 2;
                        }
                        lockout_ms = (uint64_t)v * 1000;
                } else if (strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else if (strcmp(argv[i], "--version") == 0) {
                        printf("dcomlsa (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return 0;
                } else {
                        fprintf(stderr, "dcomlsa: unknown argument '%s'\n", argv[i]);
                        usage(stderr);
                        return 2;
                }
        }
        log_service_init("dcomlsa", false);

        /* the store must be ours to read: a dcomlsa that cannot is no authority */
        char *store = NULL;
        if (accounts_path(&store) < 0) {
                say(LOG_ERR, "no state directory");
                return 1;
        }
        if (access(store, R_OK) < 0 && errno != ENOENT) {
                say(LOG_ERR, "cannot read the account store %s: %s (run dcomlsa as root, or set "
                    "OPENDCOM_ROOT for a private instance)", store, strerror(errno));
                dcom_free(store);
                return 1;
        }
        rpc_ntlm_use_account_store();
        ntlm_settings_from_registry();
        if (accounts_machine_sid(machine_sid, sizeof machine_sid) < 0)
                machine_sid[0] = 0;     /* no store yet: logons fail as unknown users */
        for (unsigned i = 0; i < MAX_CONNS; i++)
                conns[i].fd = -1;
        /* a descriptor per logon in flight: the soft limit up to what they need */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_CONNS + 64) {
                rl.rlim_cur = rl.rlim_max < MAX_CONNS + 64 ? rl.rlim_max : MAX_CONNS + 64;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }

        listener = listen_socket();
        if (listener < 0) {
                say(LOG_ERR, "cannot listen on %s: %s", sock_path[0] ? sock_path : "its socket",
                    listener == -EADDRINUSE ? "another dcomlsa serves it" : strerror(-listener));
                dcom_free(store);
                return 1;
        }
        if (!foreground && daemon(0, 1) < 0) {
                say(LOG_ERR, "cannot detach: %s", strerror(errno));
                unlink(sock_path);
                dcom_free(store);
                return 1;
        }
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGHUP);
        sigprocmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);
        sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0) {
                say(LOG_ERR, "cannot watch signals: %s", strerror(errno));
                unlink(sock_path);
                dcom_free(store);
                return 1;
        }
        say(LOG_INFO, "started (pid %d): %s, accounts %s, lockout %u failures / %llu s",
            (int)getpid(), sock_path, store, lockout_threshold,
            (unsigned long long)(lockout_ms / 1000));
        dcom_free(store);

        while (!stop) {
                uint64_t now = dcom_monotonic_ms(), next = UINT64_MAX;
                unsigned n = 2;

                pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                for (unsigned i = 0; i < MAX_CONNS; i++) {
                        struct conn *c = &conns[i];
                        if (c->fd < 0)
                                continue;
                        if (c->deadline <= now) {
                                say_failure("dropped uid %u (pid %d): no %s in time",
                                            (unsigned)c->uid, (int)c->pid,
                                            c->ntlm ? "AUTHENTICATE" : "NEGOTIATE");
                                conn_close(c);
                                continue;
                        }
                        if (c->deadline < next)
                                next = c->deadline;
                        map[n - 2] = i;
                        pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
                }
                /* while every slot is taken, new peers wait in the backlog */
                pfd[1] = (struct pollfd){ .fd = n_conns < MAX_CONNS ? listener : -1, .events = POLLIN };
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
                }
                for (unsigned k = 2; k < n; k++)
                        if (pfd[k].revents && conns[map[k - 2]].fd == pfd[k].fd)
                                on_readable(&conns[map[k - 2]]);
                if (pfd[1].revents & POLLIN)
                        for (int i = 0; i < 16 && n_conns < MAX_CONNS; i++)
                                accept_one(listener);
        }

        for (unsigned i = 0; i < MAX_CONNS; i++)
                if (conns[i].fd >= 0)
                        conn_close(&conns[i]);
        close(listener);
        unlink(sock_path);
        close(sfd);
        say(LOG_INFO, "stopped (%s)", why);
        return 0;
}
