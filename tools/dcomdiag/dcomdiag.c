/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomdiag: why DCOM does not connect to a host.  It walks the path a DCOM client takes
 * -- the host's name, TCP to its endpoint mapper's port (135), the endpoint mapper, a bind
 * with each security provider at the level asked and a call at that level, the OXID
 * resolver's ServerAlive2 and the addresses it advertises (can this machine reach them:
 * the NAT case), the activation of a class (CoCreateInstanceEx with COAUTHINFO, as any
 * client) and the first call on the object (RemQueryInterface for IDispatch) -- one step
 * after the other, and stops at the first that fails, with the reason and what fixes it.
 * Every step goes through the library's own client code (src/rpc, src/com): nothing of
 * the protocols is written again here.
 *
 * Output: one line per step for people, or one JSON object (--json) for scripts.
 * Exit status: 0 every step run passed, 1 a step failed, 2 bad usage, 3 dcomdiag itself
 * could not run (out of memory, COM would not start).
 */
#define COBJMACROS
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <objbase.h>
#include <oleauto.h>

#include "base/version.h"
#include "dcom/guid.h"
#include "dcom/status.h"
#include "dcom/utf16.h"
#include "orpc_stub.h"
#include "rpc/rpc-internal.h"

#ifdef DCOM_HAVE_GSSAPI
#include <gssapi/gssapi.h>
#endif

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

#define MAX_STEPS 16
#define MAX_HOST 256
#define MAX_ADDRS 16
#define PASSWORD_MAX 256
#define TOWER_TCP 7                     /* ncacn_ip_tcp ([C706] appendix I) */

static const char *const level_names[] = {
        [RPC_AUTHN_LEVEL_CONNECT] = "connect",
        [RPC_AUTHN_LEVEL_PKT_INTEGRITY] = "integrity",
        [RPC_AUTHN_LEVEL_PKT_PRIVACY] = "privacy",
};

/* --- options -------------------------------------------------------------------------------- */

enum provider { PROV_NTLM, PROV_NEGOTIATE, PROV_KERBEROS, N_PROV };
static const struct {
        const char *name, *step, *label;
        uint8_t svc;
} providers[N_PROV] = {
        [PROV_NTLM] = { "ntlm", "auth-ntlm", "NTLM", RPC_AUTHN_WINNT },
        [PROV_NEGOTIATE] = { "negotiate", "auth-negotiate", "Negotiate", RPC_AUTHN_GSS_NEGOTIATE },
        [PROV_KERBEROS] = { "kerberos", "auth-kerberos", "Kerberos", RPC_AUTHN_GSS_KERBEROS },
};

static struct {
        const char *host;
        bool has_clsid;
        CLSID clsid;
        char clsid_s[DCOM_GUID_STRING_REG];
        char user[257], domain[257], password[PASSWORD_MAX + 1];
        bool has_user;
        const char *password_file;
        const char *spn;
        uint8_t level;
        bool asked[N_PROV], auth_given;
        bool json;
        unsigned timeout_ms;
        const char *port;               /* the endpoint mapper's: 135 or OPENDCOM_EPM_PORT */
} opt = { .level = RPC_AUTHN_LEVEL_PKT_PRIVACY, .timeout_ms = 5000 };

/* --- steps and their report ----------------------------------------------------------------- */

enum result { STEP_OK, STEP_FAIL, STEP_SKIP };
static const char *const result_names[] = { "OK", "FAIL", "SKIP" };

struct step {
        const char *name;
        enum result result;
        char detail[1024];
        char fix[1024];
        double ms;
};

static struct step steps[MAX_STEPS];
static unsigned n_steps;
static struct step *failed;

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct step *step_begin(const char *name) {
        struct step *s = &steps[n_steps++];     /* MAX_STEPS is more than the steps there are */
        *s = (struct step){ .name = name, .ms = now_ms() };
        return s;
}

static void step_print(const struct step *s) {
        if (opt.json)
                return;
        printf("%-4s  %-14s %s\n", result_names[s->result], s->name, s->detail);
        if (s->fix[0])
                printf("      fix: %s\n", s->fix);
        fflush(stdout);
}

/* Ends a step: its detail (and, for a failure, the fix) from printf formats. */
static bool step_end(struct step *s, enum result r, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static bool step_end(struct step *s, enum result r, const char *fix, const char *fmt, ...) {
        va_list ap;

        s->result = r;
        s->ms = now_ms() - s->ms;
        va_start(ap, fmt);
        vsnprintf(s->detail, sizeof s->detail, fmt, ap);
        va_end(ap);
        if (fix)
                snprintf(s->fix, sizeof s->fix, "%s", fix);
        if (r == STEP_FAIL && !failed)
                failed = s;
        step_print(s);
        return r != STEP_FAIL;
}

static void json_string(const char *s) {
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c == '\n')
                        fputs("\\n", stdout);
                else if (c < 0x20 || c == 0x7f)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

static void report_json(int status) {
        printf("{\"host\": ");
        json_string(opt.host);
        printf(", \"port\": ");
        json_string(opt.port);
        printf(", \"level\": \"%s\", \"ok\": %s, \"exit\": %d, \"failed_step\": ",
               level_names[opt.level], status == EXIT_OK ? "true" : "false", status);
        if (failed)
                json_string(failed->name);
        else
                fputs("null", stdout);
        printf(", \"steps\": [");
        for (unsigned i = 0; i < n_steps; i++) {
                const struct step *s = &steps[i];
                printf("%s\n  {\"step\": ", i ? "," : "");
                json_string(s->name);
                printf(", \"result\": \"%s\", \"ms\": %.1f, \"detail\": ",
                       s->result == STEP_OK ? "ok" : s->result == STEP_FAIL ? "fail" : "skip", s->ms);
                json_string(s->detail);
                printf(", \"fix\": ");
                if (s->fix[0])
                        json_string(s->fix);
                else
                        fputs("null", stdout);
                putchar('}');
        }
        printf("\n]}\n");
}

/* --- small helpers ---------------------------------------------------------------------------- */

/* "DOMAIN\user" (the domain may be empty) as one string, for messages and grants. */
static const char *user_display(void) {
        static char buf[520];
        if (!opt.has_user)
                return "(anonymous)";
        if (opt.domain[0])
                snprintf(buf, sizeof buf, "%s\\%s", opt.domain, opt.user);
        else
                snprintf(buf, sizeof buf, "%s", opt.user);
        return buf;
}

/* The account as a grant on the host names it: NTLM's "any domain" forms (none, ".",
   WORKGROUP) are the host's own accounts, named without a domain there. */
static const char *grantee(void) {
        if (!opt.domain[0] || strcmp(opt.domain, ".") == 0 || strcasecmp(opt.domain, "WORKGROUP") == 0)
                return opt.user;
        return user_display();
}

static const char *hr_text(HRESULT hr) {
        const char *m = dcom_hresult_message(hr);
        return m ? m : "unknown status";
}

/* A string binding to addr (numeric) and port: IPv6 literals bracketed as scm.c does. */
static void tcp_binding(char *out, size_t size, const char *addr, const char *port) {
        bool v6 = strchr(addr, ':') != NULL;
        snprintf(out, size, "ncacn_ip_tcp:%s%s%s[%s]", v6 ? "[" : "", addr, v6 ? "]" : "", port);
}

/*
 * A TCP connection to ai within timeout_ms: 0, or the errno of the failure (ETIMEDOUT
 * when nothing answered: the SYN dropped somewhere).
 */
static int tcp_probe(const struct sockaddr *sa, socklen_t len, unsigned timeout_ms) {
        int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
        socklen_t elen = sizeof err;

        if (fd < 0)
                return errno;
        if (connect(fd, sa, len) == 0)
                goto out;
        if (errno != EINPROGRESS) {
                err = errno;
                goto out;
        }
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int n;
        do
                n = poll(&p, 1, (int)timeout_ms);
        while (n < 0 && errno == EINTR);
        if (n == 0)
                err = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                err = errno;
out:
        close(fd);
        return err;
}

static void addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t size) {
        if (getnameinfo(sa, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
                snprintf(out, size, "?");
}

/* --- 1. name resolution ------------------------------------------------------------------------ */

static struct addrinfo *addrs;
static char addr_connected[INET6_ADDRSTRLEN];   /* the address every later step talks to */

static bool step_resolve(void) {
        struct step *s = step_begin("resolve");
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_NUMERICSERV };
        char list[512] = "", a[INET6_ADDRSTRLEN];
        size_t o = 0;
        int r = getaddrinfo(opt.host, opt.port, &hints, &addrs);

        if (r == EAI_NONAME || r == EAI_NODATA
#ifdef EAI_ADDRFAMILY
            || r == EAI_ADDRFAMILY
#endif
        )
                return step_end(s, STEP_FAIL,
                                "check the name: add it to DNS or /etc/hosts on this machine, or "
                                "give the host's IP address instead",
                                "%s does not resolve: %s", opt.host, gai_strerror(r));
        if (r == EAI_AGAIN)
                return step_end(s, STEP_FAIL,
                                "no DNS server answered: check /etc/resolv.conf and this machine's "
                                "network, or give the host's IP address (or add it to /etc/hosts)",
                                "%s could not be looked up: %s", opt.host, gai_strerror(r));
        if (r != 0)
                return step_end(s, STEP_FAIL, "give the host's IP address instead",
                                "%s could not be looked up: %s", opt.host,
                                r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
        for (struct addrinfo *ai = addrs; ai && o < sizeof list - 64; ai = ai->ai_next) {
                addr_text(ai->ai_addr, ai->ai_addrlen, a, sizeof a);
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", a);
        }
        return step_end(s, STEP_OK, NULL, "%s -> %s", opt.host, list);
}

/* --- 2. TCP to the endpoint mapper's port ------------------------------------------------------ */

static bool step_tcp(void) {
        struct step *s = step_begin("tcp");
        char a[INET6_ADDRSTRLEN], why[512] = "", fix[768];
        size_t o = 0;
        bool timed_out = false, refused = false, unreachable = false;

        for (struct addrinfo *ai = addrs; ai; ai = ai->ai_next) {
                double t0 = now_ms();
                int err = tcp_probe(ai->ai_addr, ai->ai_addrlen, opt.timeout_ms);
                addr_text(ai->ai_addr, ai->ai_addrlen, a, sizeof a);
                if (err == 0) {
                        snprintf(addr_connected, sizeof addr_connected, "%s", a);
                        return step_end(s, STEP_OK, NULL, "%s port %s accepted the connection "
                                        "(%.1f ms)%s%s", a, opt.port, now_ms() - t0,
                                        o ? "; not on " : "", why);
                }
                timed_out |= err == ETIMEDOUT;
                refused |= err == ECONNREFUSED;
                unreachable |= err == EHOSTUNREACH || err == ENETUNREACH || err == EACCES ||
                               err == EPERM;
                if (o < sizeof why - 64)
                        o += (size_t)snprintf(why + o, sizeof why - o, "%s%s: %s", o ? "; " : "", a,
                                              err == ETIMEDOUT ? "no answer" : strerror(err));
        }
        if (timed_out) {
                snprintf(fix, sizeof fix,
                         "a firewall drops TCP port %s on the way to %s (or on it): open it -- "
                         "on Linux e.g. `nft add rule inet filter input tcp dport %s accept`, on "
                         "Windows the rule \"COM+ Network Access (DCOM-In)\" / RPC Endpoint Mapper "
                         "-- and check that the host is up (--timeout waits longer)",
                         opt.port, opt.host, opt.port);
                return step_end(s, STEP_FAIL, fix, "port %s: no answer within %u ms, the "
                                "connection was neither accepted nor refused (%s)", opt.port,
                                opt.timeout_ms, why);
        }
        if (refused) {
                snprintf(fix, sizeof fix,
                         "nothing listens on port %s of %s: start its endpoint mapper -- on "
                         "OpenDCOM `systemctl start rpcss` (rpcss(8); --listen names the "
                         "addresses it takes), on Windows the RPCSS service", opt.port, opt.host);
                return step_end(s, STEP_FAIL, fix, "port %s: connection refused (%s)", opt.port,
                                why);
        }
        if (unreachable)
                return step_end(s, STEP_FAIL,
                                "no route to the host, or a firewall rejects the connection: "
                                "check this machine's routes and the firewalls in between",
                                "port %s: %s", opt.port, why);
        return step_end(s, STEP_FAIL, "check the network between this machine and the host",
                        "port %s: %s", opt.port, why);
}

/* --- 3. the endpoint mapper --------------------------------------------------------------------- */

static bool step_epm(void) {
        struct step *s = step_begin("epmapper");
        char sb[MAX_HOST + 64], ep[64], fix[512];
        struct rpc_binding *b = NULL;
        int r;

        tcp_binding(sb, sizeof sb, addr_connected, opt.port);
        if (rpc_binding_from_string(sb, &b) < 0)
                return step_end(s, STEP_FAIL, "give a host name or address", "%s: not a binding",
                                sb);
        rpc_binding_set_timeout(b, opt.timeout_ms);
        /* ept_map of the OXID resolver: answered with an endpoint or "not registered" --
           DCOM's own interfaces are served on port 135 itself, unregistered, on Windows too */
        r = rpc_epm_map(b, &IObjectExporter_v0_0_s_interface, NULL, RPC_PROTSEQ_TCP, ep, sizeof ep);
        RPC_STATUS st = rpc_binding_status(b, r);
        rpc_binding_free(b);
        if (r >= 0 || r == -ENODATA)
                return step_end(s, STEP_OK, NULL, "ept_map answered (%s)",
                                r >= 0 ? "IObjectExporter registered" :
                                "IObjectExporter not registered: served on the mapper's port");
        snprintf(fix, sizeof fix,
                 "port %s of %s accepts connections but does not answer as an endpoint mapper: "
                 "another program has the port, or a proxy or inspecting firewall is in the way "
                 "-- on the host, `ss -ltnp 'sport = :%s'` names the program", opt.port,
                 opt.host, opt.port);
        return step_end(s, STEP_FAIL, fix, "ept_map: %s (%u: %s)", strerror(-r), (unsigned)st,
                        hr_text(HRESULT_FROM_WIN32(st)));
}

/* --- 4. authentication, per provider ------------------------------------------------------------ */

/* Whether this machine holds Kerberos tickets (a credential cache with a live TGT). */
static bool have_tickets(void) {
#ifdef DCOM_HAVE_GSSAPI
        OM_uint32 minor, lifetime = 0;
        gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
        bool ok = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                   GSS_C_INITIATE, &cred, NULL, NULL) == GSS_S_COMPLETE &&
                  gss_inquire_cred(&minor, cred, NULL, &lifetime, NULL, NULL) == GSS_S_COMPLETE &&
                  lifetime > 0;
        if (cred != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&minor, &cred);
        return ok;
#else
        return false;
#endif
}

static bool built_with_gss(void) {
#ifdef DCOM_HAVE_GSSAPI
        return true;
#else
        return false;
#endif
}

/* Provider p's credentials: --user's, except for Negotiate and Kerberos tested because
   tickets are held (not named by --auth), which use those tickets -- --user may well be
   an NTLM-only account of the host's. */
static struct rpc_auth_identity identity(enum provider p) {
        bool mine = opt.has_user && (p == PROV_NTLM || opt.auth_given);
        struct rpc_auth_identity id = {
                .user = mine ? opt.user : "",
                .domain = mine ? opt.domain : "",
                .password = mine ? opt.password : "",
                .target = opt.spn ? opt.spn : opt.host,
                .imp_level = RPC_IMP_LEVEL_IDENTIFY,
        };
        return id;
}

static int auth_passed = -1;            /* the first provider that passed (activation uses it) */

/* An authenticated bind to the OXID resolver at the level, then a call (ServerAlive). */
static bool step_auth(enum provider p) {
        struct step *s = step_begin(providers[p].step);
        char sb[MAX_HOST + 64], fix[1024];
        struct rpc_binding *b = NULL;
        struct rpc_auth_identity id = identity(p);
        error_status_t st = 0;
        const char *lvl = level_names[opt.level];
        int r;

        if (p != PROV_NTLM && !built_with_gss())
                return step_end(s, STEP_SKIP, NULL, "this dcomdiag was built without GSSAPI "
                                "(libkrb5-dev): Kerberos cannot be tested");
        if (!opt.asked[p]) {
                if (p == PROV_NTLM)
                        return step_end(s, STEP_SKIP, NULL, "no --user: NTLM not tested (and the "
                                        "activation below goes unauthenticated)");
                return step_end(s, STEP_SKIP, NULL, "no Kerberos tickets here (kinit), and not "
                                "asked for with --auth %s", providers[p].name);
        }
        tcp_binding(sb, sizeof sb, addr_connected, opt.port);
        r = rpc_binding_from_string(sb, &b);
        if (r >= 0) {
                rpc_binding_set_timeout(b, opt.timeout_ms);
                r = rpc_binding_set_auth(b, opt.level, providers[p].svc, &id);
        }
        if (r == -EPROTONOSUPPORT) {
                rpc_binding_free(b);
                return step_end(s, STEP_SKIP, NULL, "%s has no client side in this build",
                                providers[p].label);
        }
        if (r >= 0)
                r = IObjectExporter_ServerAlive((handle_t)b, &st);
        RPC_STATUS rs = r < 0 ? rpc_binding_status(b, r) : (RPC_STATUS)st;
        rpc_binding_free(b);
        const char *who = id.user[0] ? user_display() : "the tickets' principal (klist)";
        if (r >= 0 && st == 0) {
                if (auth_passed < 0)
                        auth_passed = (int)p;
                return step_end(s, STEP_OK, NULL, "%s as %s at %s: bound, and ServerAlive "
                                "answered at that level", providers[p].label, who, lvl);
        }
        /* the port accepted connections a step ago: a refused connection now is the
           bind's refusal (a bind_nak -- how a server answers a ticket it cannot read),
           an access denied the failed handshake or call */
        bool nak = r == -ECONNREFUSED;
        if (r == -EACCES || rs == RPC_S_ACCESS_DENIED || nak) {
                if (p == PROV_NTLM)
                        snprintf(fix, sizeof fix,
                                 "%s refused the credentials of %s: a wrong password, or an "
                                 "account it does not know or has disabled -- on OpenDCOM "
                                 "`dcompasswd` lists the accounts and `dcompasswd -a USER` sets "
                                 "a password; for a domain account give DOMAIN\\USER (rpcss's log "
                                 "on the host names the reason)", opt.host, user_display());
                else
                        snprintf(fix, sizeof fix,
                                 "Kerberos failed: check the tickets (klist), that the host's "
                                 "principal (--spn, now %s) is in its keytab, and that both "
                                 "clocks agree; rpcss's log on the host names the reason",
                                 id.target);
                return step_end(s, STEP_FAIL, fix, "%s as %s at %s: %s", providers[p].label,
                                who, lvl,
                                nak ? "the bind was refused (bind_nak)" : "access denied");
        }
        snprintf(fix, sizeof fix, "`dcomerr %u` explains the status; rerun with DCOM_DEBUG=rpc "
                 "for the exchange", (unsigned)rs);
        return step_end(s, STEP_FAIL, fix, "%s at %s: %s (%u: %s)", providers[p].label, lvl,
                        strerror(-r), (unsigned)rs, hr_text(HRESULT_FROM_WIN32(rs)));
}

/* --- 5. ServerAlive2 and the addresses the host advertises -------------------------------------- */

struct advertised {
        char host[MAX_HOST];
        char port[16];
};
static struct advertised adv[MAX_ADDRS];
static unsigned n_adv, n_other_towers;
static char adv_security[128];

/* The string bindings of a DUALSTRINGARRAY ([MS-DCOM] 2.2.19.1), bounds-checked: TCP
   ones into adv[], the security bindings' providers into adv_security.  -EBADMSG for
   one that is malformed. */
static int parse_dsa(const DUALSTRINGARRAY *d) {
        size_t n = d->wNumEntries, sec = d->wSecurityOffset, i = 0;
        const unsigned short *a = d->aStringArray;

        if (sec > n || n < 4)
                return -EBADMSG;
        while (i < sec && a[i]) {
                unsigned tower = a[i++];
                char s[MAX_HOST + 32];
                size_t k = 0;
                for (; i < sec && a[i]; i++)
                        if (k < sizeof s - 1)
                                s[k++] = a[i] < 0x80 ? (char)a[i] : '?';
                if (i >= sec)
                        return -EBADMSG;
                i++;                                    /* the string's NUL */
                s[k] = 0;
                if (tower != TOWER_TCP) {
                        n_other_towers++;
                        continue;
                }
                if (n_adv == MAX_ADDRS)
                        continue;
                struct advertised *v = &adv[n_adv];
                char *br = strrchr(s, '[');
                if (br && s[k - 1] == ']') {
                        *br = 0;
                        s[k - 1] = 0;
                        snprintf(v->port, sizeof v->port, "%.15s", br + 1);
                } else {
                        snprintf(v->port, sizeof v->port, "%s", opt.port);
                }
                snprintf(v->host, sizeof v->host, "%.*s", (int)sizeof v->host - 1, s);
                if (v->host[0])
                        n_adv++;
        }
        size_t o = 0;
        for (i = sec; i + 1 < n && a[i];) {
                unsigned svc = a[i];
                const char *name = svc == RPC_AUTHN_WINNT ? "NTLM" :
                                   svc == RPC_AUTHN_GSS_NEGOTIATE ? "Negotiate" :
                                   svc == RPC_AUTHN_GSS_KERBEROS ? "Kerberos" : NULL;
                if (o < sizeof adv_security - 24)
                        o += name ? (size_t)snprintf(adv_security + o, sizeof adv_security - o,
                                                     "%s%s", o ? ", " : "", name)
                                  : (size_t)snprintf(adv_security + o, sizeof adv_security - o,
                                                     "%sauthn %u", o ? ", " : "", svc);
                for (i += 2; i < n && a[i]; i++)        /* authz, then the principal */
                        ;
                i++;
        }
        return 0;
}

static bool step_server_alive2(void) {
        struct step *s = step_begin("serveralive2");
        char sb[MAX_HOST + 64], list[768] = "";
        struct rpc_binding *b = NULL;
        struct rpc_auth_identity id = identity(auth_passed >= 0 ? (enum provider)auth_passed
                                                                : PROV_NTLM);
        DUALSTRINGARRAY *d = NULL;
        COMVERSION v = { 0, 0 };
        DWORD reserved = 0;
        error_status_t st = 0;
        size_t o = 0;
        int r;

        tcp_binding(sb, sizeof sb, addr_connected, opt.port);
        r = rpc_binding_from_string(sb, &b);
        if (r >= 0) {
                rpc_binding_set_timeout(b, opt.timeout_ms);
                /* with the security that passed, else unauthenticated (Windows answers both) */
                if (auth_passed >= 0)
                        r = rpc_binding_set_auth(b, opt.level, providers[auth_passed].svc, &id);
        }
        if (r >= 0)
                r = IObjectExporter_ServerAlive2((handle_t)b, &v, &d, &reserved, &st);
        RPC_STATUS rs = r < 0 ? rpc_binding_status(b, r) : (RPC_STATUS)st;
        rpc_binding_free(b);
        if (r < 0 || st != 0 || !d) {
                midl_user_free(d);
                if (rs == RPC_S_PROCNUM_OUT_OF_RANGE || rs == RPC_S_UNKNOWN_IF)
                        return step_end(s, STEP_FAIL, "the host's RPC service is too old for "
                                        "DCOM 5.6+ or is not a DCOM host (Windows: enable DCOM, "
                                        "HKLM\\Software\\Microsoft\\Ole EnableDCOM = Y)",
                                        "ServerAlive2 not served: %u (%s)", (unsigned)rs,
                                        hr_text(HRESULT_FROM_WIN32(rs)));
                return step_end(s, STEP_FAIL, "`dcomerr` explains the status; rerun with "
                                "DCOM_DEBUG=rpc for the exchange", "ServerAlive2: %s (%u: %s)",
                                r < 0 ? strerror(-r) : "refused", (unsigned)rs,
                                hr_text(HRESULT_FROM_WIN32(rs)));
        }
        r = parse_dsa(d);
        midl_user_free(d);
        if (r < 0)
                return step_end(s, STEP_FAIL, "the host's OXID resolver is broken: report it to "
                                "its vendor", "ServerAlive2 answered a malformed DUALSTRINGARRAY");
        for (unsigned i = 0; i < n_adv && o < sizeof list - 64; i++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s[%s]", i ? ", " : "",
                                      adv[i].host, adv[i].port);
        return step_end(s, STEP_OK, NULL, "COM version %u.%u; TCP bindings: %s%s; security: %s",
                        v.MajorVersion, v.MinorVersion, n_adv ? list : "none",
                        n_other_towers ? " (and others)" : "",
                        adv_security[0] ? adv_security : "none");
}

static bool step_addresses(void) {
        struct step *s = step_begin("addresses");
        char ok[512] = "", bad[768] = "", fix[1024];
        size_t o_ok = 0, o_bad = 0;
        unsigned n_ok = 0;

        if (n_adv == 0)
                return step_end(s, STEP_FAIL, "the host advertises no TCP address: its OXID "
                                "resolver has no TCP listener (OpenDCOM: rpcss --listen)",
                                "no ncacn_ip_tcp binding in ServerAlive2's answer");
        for (unsigned i = 0; i < n_adv; i++) {
                struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                          .ai_flags = AI_NUMERICSERV };
                struct addrinfo *res = NULL;
                const char *why = NULL;
                char whybuf[64];
                int r = getaddrinfo(adv[i].host, adv[i].port, &hints, &res);
                if (r != 0) {
                        why = "does not resolve here";
                } else {
                        int err = ETIMEDOUT;
                        for (struct addrinfo *ai = res; ai && err; ai = ai->ai_next)
                                err = tcp_probe(ai->ai_addr, ai->ai_addrlen, opt.timeout_ms);
                        if (err) {
                                snprintf(whybuf, sizeof whybuf, "%s",
                                         err == ETIMEDOUT ? "no answer" : strerror(err));
                                why = whybuf;
                        }
                        freeaddrinfo(res);
                }
                if (!why) {
                        n_ok++;
                        if (o_ok < sizeof ok - 64)
                                o_ok += (size_t)snprintf(ok + o_ok, sizeof ok - o_ok, "%s%s[%s]",
                                                         o_ok ? ", " : "", adv[i].host, adv[i].port);
                } else if (o_bad < sizeof bad - 96) {
                        o_bad += (size_t)snprintf(bad + o_bad, sizeof bad - o_bad, "%s%s[%s] %s",
                                                  o_bad ? ", " : "", adv[i].host, adv[i].port, why);
                }
        }
        if (n_ok == 0) {
                snprintf(fix, sizeof fix,
                         "%s is reached here as %s but advertises only addresses this machine "
                         "cannot reach (NAT, or a firewall): object calls go to an advertised "
                         "address, so make one reachable -- on OpenDCOM list it with rpcss "
                         "--listen ADDR and OPENDCOM_ORPC_LISTEN for servers; or map the "
                         "advertised name to a reachable address in /etc/hosts here", opt.host,
                         addr_connected);
                return step_end(s, STEP_FAIL, fix, "none of the %u advertised addresses is "
                                "reachable: %s", n_adv, bad);
        }
        if (bad[0])
                return step_end(s, STEP_OK, NULL, "reachable: %s; not reachable: %s (calls may "
                                "stall on them first)", ok, bad);
        return step_end(s, STEP_OK, NULL, "reachable: %s", ok);
}

/* --- 6. activation, 7. the first call ----------------------------------------------------------- */

/* The fix for an activation that failed with hr. */
static bool activation_failed(struct step *s, HRESULT hr) {
        char fix[1024];
        const char *u = user_display();

        switch ((uint32_t)hr) {
        case (uint32_t)REGDB_E_CLASSNOTREG:
                snprintf(fix, sizeof fix,
                         "%s has no class %s: register its server there (a local server: "
                         "`SERVER -RegServer`; a .so: `regsvr FILE`; `reg query "
                         "HKCR\\CLSID\\%s` shows it), or check the CLSID", opt.host, opt.clsid_s,
                         opt.clsid_s);
                break;
        case (uint32_t)E_ACCESSDENIED:
                if (!opt.has_user)
                        snprintf(fix, sizeof fix, "the activation went unauthenticated: give "
                                 "--user DOMAIN\\USER (remote activation needs an account with "
                                 "launch and activation permission)");
                else
                        snprintf(fix, sizeof fix,
                                 "on %s, grant %s launch and activation: `dcomcnfg set %s "
                                 "--grant-launch '%s:remote-launch,remote-activation'` and, if the "
                                 "machine-wide restriction refuses, `dcomcnfg machine "
                                 "--grant-launch-restriction '%s:remote-launch,remote-activation'` "
                                 "(rpcss's log line on the host names the one that refused; on "
                                 "Windows: Component Services, the application's Launch and "
                                 "Activation Permissions)",
                                 opt.host, u, opt.clsid_s, grantee(), grantee());
                break;
        case (uint32_t)CO_E_SERVER_EXEC_FAILURE:
                snprintf(fix, sizeof fix,
                         "%s could not start the class's server, or it exited without "
                         "registering the class object: check its LocalServer32 command and the "
                         "AppID's RunAs user (`dcomcnfg show %s`); rpcss's and dcomlaunch's logs "
                         "on the host say why (journalctl -u rpcss -u dcomlaunch)",
                         opt.host, opt.clsid_s);
                break;
        case (uint32_t)CO_E_SERVER_START_TIMEOUT:
                snprintf(fix, sizeof fix, "the server started but did not register its class "
                         "object in time: see its own log; `dcomcnfg show %s` names it",
                         opt.clsid_s);
                break;
        case 0x800706BAu:       /* HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) */
                snprintf(fix, sizeof fix,
                         "%s's SCM could not start or reach the class's server: on OpenDCOM "
                         "dcomlaunch is not running (`systemctl start dcomlaunch`), or the "
                         "server's port is blocked between here and there", opt.host);
                break;
        default:
                snprintf(fix, sizeof fix, "`dcomerr 0x%08X` explains the status; rerun with "
                         "DCOM_DEBUG=com,rpc for the exchange", (unsigned)hr);
                break;
        }
        return step_end(s, STEP_FAIL, fix, "CoCreateInstanceEx(%s) as %s: 0x%08X (%s)",
                        opt.clsid_s, u, (unsigned)hr, hr_text(hr));
}

static WCHAR *wide(const char *s) {
        WCHAR *w = NULL;
        return dcom_utf8_to_utf16(s, strlen(s), &w, NULL) < 0 ? NULL : w;
}

/* The host as COSERVERINFO names it: a name that means this machine would make the library
   activate locally over ncalrpc, so the address connected to is named instead. */
static const char *activation_host(void) {
        char me[MAX_HOST];

        if (strcasecmp(opt.host, "localhost") == 0)
                return addr_connected;
        if (gethostname(me, sizeof me) == 0) {
                me[sizeof me - 1] = 0;
                char *dot = strchr(me, '.');
                size_t n = dot ? (size_t)(dot - me) : strlen(me);
                if (strcasecmp(opt.host, me) == 0 ||
                    (strlen(opt.host) == n && strncasecmp(opt.host, me, n) == 0))
                        return addr_connected;
        }
        return opt.host;
}

static int step_activation_and_call(void) {
        struct step *s;
        COAUTHIDENTITY cid = { 0 };
        COAUTHINFO ai = { 0 };
        COSERVERINFO si = { 0 };
        MULTI_QI qi = { &IID_IUnknown, NULL, S_OK };
        const char *host = activation_host();
        WCHAR *whost = wide(host), *wuser = wide(opt.user), *wdom = wide(opt.domain),
              *wpass = wide(opt.password), *wspn = opt.spn ? wide(opt.spn) : NULL;
        IUnknown *unk = NULL;
        IDispatch *disp = NULL;
        HRESULT hr;
        int status = EXIT_FAILED;

        if (!whost || !wuser || !wdom || !wpass || (opt.spn && !wspn)) {
                status = EXIT_INTERNAL;
                goto out;
        }
        s = step_begin("activation");
        if (auth_passed >= 0) {
                cid.User = wuser;
                cid.UserLength = (ULONG)dcom_utf16_len(wuser);
                cid.Domain = wdom;
                cid.DomainLength = (ULONG)dcom_utf16_len(wdom);
                cid.Password = wpass;
                cid.PasswordLength = (ULONG)dcom_utf16_len(wpass);
                cid.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
                ai.dwAuthnSvc = providers[auth_passed].svc;
                ai.dwAuthnLevel = opt.level;
                ai.dwImpersonationLevel = RPC_C_IMP_LEVEL_IDENTIFY;
                ai.pwszServerPrincName = wspn;
                ai.pAuthIdentityData = opt.has_user ? &cid : NULL;
                si.pAuthInfo = &ai;
        }
        si.pwszName = whost;
        /* [MS-DCOM] 3.2.4.1.1: the library's activation, as any client's */
        hr = CoCreateInstanceEx(&opt.clsid, NULL, CLSCTX_REMOTE_SERVER, &si, 1, &qi);
        if (FAILED(hr) || FAILED(qi.hr) || !qi.pItf) {
                activation_failed(s, FAILED(hr) ? hr : qi.hr);
                goto out;
        }
        unk = qi.pItf;
        /* the library activates at PKT_INTEGRITY at least ([MS-DCOM] 3.2.4.1.1.2) */
        step_end(s, STEP_OK, NULL, "%s created on %s as %s (%s at %s)", opt.clsid_s, host,
                 opt.has_user || auth_passed < 0 ? user_display() : "the tickets' principal",
                 auth_passed >= 0 ? providers[auth_passed].label : "unauthenticated",
                 level_names[opt.level > RPC_AUTHN_LEVEL_PKT_INTEGRITY ? opt.level
                                                                       : RPC_AUTHN_LEVEL_PKT_INTEGRITY]);

        /* the first call: RemQueryInterface on the object's exporter, at the level */
        s = step_begin("first-call");
        hr = IUnknown_QueryInterface(unk, &IID_IDispatch, (void **)&disp);
        if (SUCCEEDED(hr)) {
                step_end(s, STEP_OK, NULL, "RemQueryInterface(IDispatch) answered: the object "
                         "is scriptable (IDispatch)");
                status = EXIT_OK;
        } else if (hr == E_NOINTERFACE) {
                step_end(s, STEP_OK, NULL, "RemQueryInterface(IDispatch) answered: E_NOINTERFACE "
                         "(the object has no IDispatch; the call path works)");
                status = EXIT_OK;
        } else if (hr == E_ACCESSDENIED) {
                char fix[1024];
                /* the same call at privacy tells a level too low from a missing permission:
                   a new activation, since RemQueryInterface goes at the level of the OXID's
                   connection (its blanket is not the interface's), once the first object's
                   OXID is released */
                bool level_low = false;
                if (opt.level < RPC_AUTHN_LEVEL_PKT_PRIVACY && auth_passed >= 0) {
                        MULTI_QI q2 = { &IID_IUnknown, NULL, S_OK };
                        IUnknown_Release(unk);
                        unk = NULL;
                        ai.dwAuthnLevel = RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
                        if (SUCCEEDED(CoCreateInstanceEx(&opt.clsid, NULL, CLSCTX_REMOTE_SERVER, &si,
                                                         1, &q2)) && q2.pItf) {
                                unk = q2.pItf;
                                HRESULT h2 = IUnknown_QueryInterface(unk, &IID_IDispatch,
                                                                     (void **)&disp);
                                level_low = SUCCEEDED(h2) || h2 == E_NOINTERFACE;
                        }
                }
                if (level_low)
                        snprintf(fix, sizeof fix, "the server requires a higher authentication "
                                 "level than %s (it answered at privacy): run the client at "
                                 "--level privacy (its CoInitializeSecurity or COAUTHINFO), or "
                                 "lower the application's with `dcomcnfg set %s --authn-level "
                                 "%s` on %s", level_names[opt.level], opt.clsid_s,
                                 level_names[opt.level], opt.host);
                else
                        snprintf(fix, sizeof fix, "the server process refused %s: grant access "
                                 "on %s -- `dcomcnfg set %s --grant-access '%s:remote-access'` "
                                 "(and `dcomcnfg machine --grant-access-restriction "
                                 "'%s:remote-access'` if the machine-wide restriction refuses)",
                                 user_display(), opt.host, opt.clsid_s, grantee(), grantee());
                step_end(s, STEP_FAIL, fix, "RemQueryInterface(IDispatch) at %s: access denied%s",
                         level_names[opt.level], level_low ? " (allowed at privacy)" : "");
        } else {
                char fix[256];
                snprintf(fix, sizeof fix, "`dcomerr 0x%08X` explains the status; rerun with "
                         "DCOM_DEBUG=com,rpc for the exchange", (unsigned)hr);
                step_end(s, STEP_FAIL, fix, "RemQueryInterface(IDispatch): 0x%08X (%s)",
                         (unsigned)hr, hr_text(hr));
        }
out:
        if (disp)
                IDispatch_Release(disp);
        if (unk)
                IUnknown_Release(unk);
        if (wpass)
                explicit_bzero(wpass, dcom_utf16_len(wpass) * sizeof(WCHAR));
        free(whost);
        free(wuser);
        free(wdom);
        free(wpass);
        free(wspn);
        return status;
}

/* --- the command line -------------------------------------------------------------------------- */

static void usage(FILE *f) {
        fputs("Usage: dcomdiag HOST [--clsid CLSID] [--user DOMAIN\\USER] [--password-file F]\n"
              "                [--level connect|integrity|privacy] [--auth LIST] [--spn NAME]\n"
              "                [--json] [--timeout S]\n"
              "Follow the path a DCOM client takes to HOST, step by step, and stop at the first\n"
              "step that fails with the reason and the fix: name resolution, TCP to the endpoint\n"
              "mapper's port (135), the endpoint mapper, authentication per provider at the\n"
              "level, ServerAlive2 and the addresses HOST advertises (reachable from here?),\n"
              "the activation of CLSID and the first call on the object.\n"
              "\n"
              "  --clsid CLSID         also activate this class and call the object\n"
              "  --user DOMAIN\\USER    authenticate as this account (NTLM; Kerberos too with --auth)\n"
              "  --password-file F     the password: the first line of F (- for standard input);\n"
              "                        without it the password is asked on the terminal\n"
              "  --level LEVEL         connect, integrity or privacy (default privacy)\n"
              "  --auth LIST           providers to test, comma-separated: ntlm, negotiate,\n"
              "                        kerberos (default: ntlm with --user, negotiate and\n"
              "                        kerberos when this machine holds Kerberos tickets)\n"
              "  --spn NAME            the host's Kerberos principal (default: HOST)\n"
              "  --json                one JSON object with every step, for scripts\n"
              "  --timeout S           seconds to wait for a connection or an answer (default 5)\n"
              "  -h, --help            show this help\n"
              "      --version         show the version\n"
              "\n"
              "Example: dcomdiag server1 --clsid {5E2D9C41-8B3A-4F6E-A1D7-0C9B8E7F6A51} \\\n"
              "             --user WORKGROUP\\alice --password-file ~/.alice-pw\n"
              "\n"
              "The endpoint mapper's port is OPENDCOM_EPM_PORT when set, else 135.\n"
              "Exit status: 0 every step run passed, 1 a step failed, 2 bad usage,\n"
              "3 dcomdiag could not run (out of memory, COM would not start).\n",
              f);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "dcomdiag: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'dcomdiag --help'.\n");
        return EXIT_USAGE;
}

/* One line of f (without its line end) into the password; false when unreadable. */
static bool read_password_file(const char *path) {
        FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
        char line[PASSWORD_MAX + 2];
        bool ok = false;

        if (!f) {
                fprintf(stderr, "dcomdiag: cannot read the password file %s: %s\n", path,
                        strerror(errno));
                return false;
        }
        if (fgets(line, sizeof line, f)) {
                size_t n = strcspn(line, "\r\n");
                if (n > PASSWORD_MAX || (line[n] == 0 && !feof(f)))
                        fprintf(stderr, "dcomdiag: the password in %s is longer than %d bytes\n",
                                path, PASSWORD_MAX);
                else {
                        memcpy(opt.password, line, n);
                        opt.password[n] = 0;
                        ok = true;
                }
        } else {
                fprintf(stderr, "dcomdiag: the password file %s is empty\n", path);
        }
        explicit_bzero(line, sizeof line);
        if (f != stdin)
                fclose(f);
        return ok;
}

/* Asks the terminal, without echo; false with no terminal (nothing interactive then). */
static bool ask_password(void) {
        FILE *tty = fopen("/dev/tty", "r+");
        struct termios old, quiet;
        char line[PASSWORD_MAX + 2];
        bool ok = false;

        if (!tty || !isatty(fileno(tty))) {
                if (tty)
                        fclose(tty);
                fprintf(stderr, "dcomdiag: --user %s needs a password: give --password-file "
                        "(there is no terminal to ask on)\n", user_display());
                return false;
        }
        fprintf(tty, "Password for %s: ", user_display());
        fflush(tty);
        bool echo_off = tcgetattr(fileno(tty), &old) == 0;
        if (echo_off) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t)ECHO;
                tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
        }
        if (fgets(line, sizeof line, tty)) {
                size_t n = strcspn(line, "\r\n");
                if (n <= PASSWORD_MAX) {
                        memcpy(opt.password, line, n);
                        opt.password[n] = 0;
                        ok = true;
                }
        }
        if (echo_off)
                tcsetattr(fileno(tty), TCSAFLUSH, &old);
        fputc('\n', tty);
        explicit_bzero(line, sizeof line);
        fclose(tty);
        if (!ok)
                fprintf(stderr, "dcomdiag: no password read\n");
        return ok;
}

static int parse_user(const char *s) {
        const char *bs = strchr(s, '\\');
        const char *name = bs ? bs + 1 : s;
        size_t dl = bs ? (size_t)(bs - s) : 0;

        if (!*name || strlen(name) >= sizeof opt.user || dl >= sizeof opt.domain)
                return bad_usage("--user %s: expected DOMAIN\\USER or USER", s);
        memcpy(opt.domain, s, dl);
        opt.domain[dl] = 0;
        snprintf(opt.user, sizeof opt.user, "%s", name);
        opt.has_user = true;
        return 0;
}

static int parse_auth(const char *s) {
        char buf[64];
        char *save = NULL;

        if (strlen(s) >= sizeof buf)
                return bad_usage("--auth %s: expected ntlm, negotiate, kerberos", s);
        snprintf(buf, sizeof buf, "%s", s);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int p = -1;
                for (int i = 0; i < N_PROV; i++)
                        if (strcasecmp(t, providers[i].name) == 0)
                                p = i;
                if (p < 0)
                        return bad_usage("--auth: unknown provider %s (ntlm, negotiate, kerberos)",
                                         t);
                opt.asked[p] = true;
        }
        opt.auth_given = true;
        return 0;
}

int main(int argc, char **argv) {
        enum { OPT_VERSION = 256, OPT_CLSID, OPT_USER, OPT_PASSWORD_FILE, OPT_LEVEL, OPT_JSON,
               OPT_TIMEOUT, OPT_AUTH, OPT_SPN };
        static const struct option options[] = {
                { "clsid", required_argument, NULL, OPT_CLSID },
                { "user", required_argument, NULL, OPT_USER },
                { "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
                { "level", required_argument, NULL, OPT_LEVEL },
                { "auth", required_argument, NULL, OPT_AUTH },
                { "spn", required_argument, NULL, OPT_SPN },
                { "json", no_argument, NULL, OPT_JSON },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { 0 },
        };
        int c, status;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (c) {
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case OPT_VERSION:
                        printf("dcomdiag (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return EXIT_OK;
                case OPT_CLSID: {
                        char g[40];
                        const char *a = optarg;
                        /* with or without braces */
                        if (strlen(a) == 36)
                                snprintf(g, sizeof g, "{%s}", a);
                        else
                                snprintf(g, sizeof g, "%.39s", a);
                        if (dcom_guid_parse(g, &opt.clsid) < 0 && dcom_guid_parse(a, &opt.clsid) < 0)
                                return bad_usage("--clsid %s: not a CLSID ({xxxxxxxx-xxxx-xxxx-"
                                                 "xxxx-xxxxxxxxxxxx})", optarg);
                        opt.has_clsid = true;
                        dcom_guid_format(&opt.clsid, DCOM_GUID_FORMAT_REGISTRY, opt.clsid_s);
                        break;
                }
                case OPT_USER:
                        if (parse_user(optarg))
                                return EXIT_USAGE;
                        break;
                case OPT_PASSWORD_FILE:
                        opt.password_file = optarg;
                        break;
                case OPT_LEVEL:
                        if (strcasecmp(optarg, "connect") == 0)
                                opt.level = RPC_AUTHN_LEVEL_CONNECT;
                        else if (strcasecmp(optarg, "integrity") == 0)
                                opt.level = RPC_AUTHN_LEVEL_PKT_INTEGRITY;
                        else if (strcasecmp(optarg, "privacy") == 0)
                                opt.level = RPC_AUTHN_LEVEL_PKT_PRIVACY;
                        else
                                return bad_usage("--level %s: expected connect, integrity or "
                                                 "privacy", optarg);
                        break;
                case OPT_AUTH:
                        if (parse_auth(optarg))
                                return EXIT_USAGE;
                        break;
                case OPT_SPN:
                        opt.spn = optarg;
                        break;
                case OPT_JSON:
                        opt.json = true;
                        break;
                case OPT_TIMEOUT: {
                        char *end;
                        errno = 0;
                        double t = strtod(optarg, &end);
                        if (errno || end == optarg || *end || !(t >= 0.1 && t <= 600))
                                return bad_usage("--timeout %s: expected seconds, 0.1 to 600",
                                                 optarg);
                        opt.timeout_ms = (unsigned)(t * 1000);
                        break;
                }
                default:
                        fprintf(stderr, "Try 'dcomdiag --help'.\n");
                        return EXIT_USAGE;
                }
        }
        if (optind != argc - 1)
                return bad_usage("%s", optind < argc ? "one HOST only" : "which HOST?");
        opt.host = argv[optind];
        if (!*opt.host || strlen(opt.host) >= MAX_HOST)
                return bad_usage("%s: not a host name", opt.host);
        if (opt.password_file && !opt.has_user)
                return bad_usage("%s", "--password-file without --user");
        if (opt.has_user && !(opt.password_file ? read_password_file(opt.password_file)
                                                : ask_password()))
                return EXIT_USAGE;
        if (!opt.auth_given) {
                opt.asked[PROV_NTLM] = opt.has_user;
                opt.asked[PROV_NEGOTIATE] = opt.asked[PROV_KERBEROS] = have_tickets();
        }
        if (opt.asked[PROV_NTLM] && !opt.has_user)
                return bad_usage("%s", "--auth ntlm needs --user");
        opt.port = rpc_epm_port();

        if (!opt.json)
                printf("dcomdiag: %s port %s%s%s, %s, level %s\n", opt.host, opt.port,
                       opt.has_clsid ? ", class " : "", opt.has_clsid ? opt.clsid_s : "",
                       user_display(), level_names[opt.level]);
        bool ok = step_resolve() && step_tcp() && step_epm();
        for (int p = 0; ok && p < N_PROV; p++)
                ok = step_auth((enum provider)p);
        ok = ok && step_server_alive2() && step_addresses();
        status = ok ? EXIT_OK : EXIT_FAILED;
        if (ok && opt.has_clsid) {
                HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
                if (FAILED(hr)) {
                        fprintf(stderr, "dcomdiag: COM would not start: 0x%08X (%s)\n",
                                (unsigned)hr, hr_text(hr));
                        status = EXIT_INTERNAL;
                } else {
                        status = step_activation_and_call();
                        CoUninitialize();
                }
        } else if (ok) {
                struct step *s = step_begin("activation");
                step_end(s, STEP_SKIP, NULL, "no --clsid: no class activated, no object called");
        }
        explicit_bzero(opt.password, sizeof opt.password);
        if (addrs)
                freeaddrinfo(addrs);
        if (status == EXIT_INTERNAL && !failed)
                fprintf(stderr, "dcomdiag: out of memory\n");
        if (opt.json)
                report_json(status);
        else if (failed)
                printf("dcomdiag: stopped at step %s (%s)\n", failed->name,
                       "the steps after it were not run");
        else if (status == EXIT_OK)
                printf("dcomdiag: every step passed\n");
        return status;
}
