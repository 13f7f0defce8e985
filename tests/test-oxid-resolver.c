/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OXID resolver with the real rpcss in this test's own OPENDCOM_ROOT, on loopback
 * and a free port, with a 200 ms ping period (OPENDCOM_PING_PERIOD_MS): OXIDs registered
 * through src/com/resolver.c and resolved over TCP with the generated IObjectExporter
 * client stubs (filtered by protocol sequence; an unknown OXID is OR_INVALID_OXID);
 * ServerAlive2's bindings; ComplexPing and SimplePing; rundown -- an OID never pinged is
 * due after three periods, one kept pinged is not, and its set expires once the pings
 * stop; another process (nobody, when run as root) can neither revoke nor run down our
 * OXID, and its own goes when it exits; oxidreg refused over TCP; the bounds; and our
 * registrations made again when rpcss restarts.
 */
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "com/resolver.h"
#include "orpc_stub.h"
#include "oxidreg_stub.h"
#include "rpc/rpc-internal.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

#define NOBODY 65534
#define PERIOD_MS 200
#define TOWER_TCP 7
#define TOWER_NP 15                     /* ncacn_np: filtered out when only 7 is asked */
#define ST_ACCESS_DENIED 5u
#define ST_INVALID_OXID 1910u
#define ST_INVALID_OID 1911u
#define ST_INVALID_SET 1912u
#define ST_OUT_OF_RESOURCES 1721u

static char tcp_binding[64];

/* rpcss on a port of its own (kept across restarts), and the TCP binding to it */
static void pick_port(void) {
        rpcss_pick_port();
        snprintf(tcp_binding, sizeof tcp_binding, "ncacn_ip_tcp:127.0.0.1[%s]", rpcss_port);
}

/* --- DUALSTRINGARRAY ------------------------------------------------------------------------ */

/* "7:addr,15:addr|10:,9:princ": towers and strings, then security bindings. */
static DUALSTRINGARRAY *dsa_make(const char *spec) {
        DUALSTRINGARRAY *d = calloc(1, sizeof *d + 2 * 1024);
        uint16_t *a = d->aStringArray;
        size_t k = 0;
        bool sec = false;
        const char *p = spec;

        ASSERT_NOT_NULL(d);
        for (;;) {
                if (*p == '|' || !*p) {
                        if (k == 0 || (sec && k == d->wSecurityOffset))
                                a[k++] = 0;     /* an empty list: two zeros */
                        a[k++] = 0;
                        if (sec || !*p) {
                                if (!sec) {
                                        d->wSecurityOffset = (unsigned short)k;
                                        a[k++] = 0;
                                        a[k++] = 0;
                                }
                                break;
                        }
                        d->wSecurityOffset = (unsigned short)k;
                        sec = true;
                        p++;
                        continue;
                }
                char *end;
                a[k++] = (uint16_t)strtoul(p, &end, 10);
                ASSERT_EQ(*end, ':');
                if (sec)
                        a[k++] = 0xffff;
                for (p = end + 1; *p && *p != ',' && *p != '|'; p++)
                        a[k++] = (uint8_t)*p;
                a[k++] = 0;
                if (*p == ',')
                        p++;
        }
        d->wNumEntries = (unsigned short)k;
        return d;
}

/* The inverse of dsa_make(), checking the layout as a strict reader would. */
static void dsa_text(const DUALSTRINGARRAY *d, char *out, size_t size) {
        const uint16_t *a = d->aStringArray;
        size_t n = d->wNumEntries, sec = d->wSecurityOffset, i = 0, o = 0;

        ASSERT_LE(sec, n);
        out[0] = 0;
        while (a[i]) {
                o += (size_t)snprintf(out + o, size - o, "%s%u:", o ? "," : "", a[i]);
                for (i++; i < sec && a[i]; i++)
                        out[o++] = (char)a[i];
                ASSERT_LT(i, sec);
                i++;
                ASSERT_LT(i, sec);
        }
        /* wSecurityOffset points past the double NUL ending the string bindings */
        ASSERT_TRUE(i + 1 == sec || (i == 0 && sec == 2 && a[1] == 0));
        o += (size_t)snprintf(out + o, size - o, "|");
        bool first = true;
        for (i = sec; a[i];) {
                ASSERT_LT(i + 2, n);
                o += (size_t)snprintf(out + o, size - o, "%s%u:", first ? "" : ",", a[i]);
                ASSERT_EQ(a[i + 1], 0xffff);
                for (i += 2; i < n && a[i]; i++)
                        out[o++] = (char)a[i];
                ASSERT_LT(i, n);
                i++;
                first = false;
        }
        ASSERT_EQ(i + 1, n);
        out[o] = 0;
}

/* --- helpers --------------------------------------------------------------------------------- */

static struct rpc_binding *tcp(uint8_t level) {
        struct rpc_binding *b;
        struct rpc_auth_identity anon = { .user = "", .domain = "", .password = "" };

        ASSERT_OK(rpc_binding_from_string(tcp_binding, &b));
        rpc_binding_set_timeout(b, 10000);
        if (level > RPC_AUTHN_LEVEL_NONE)
                ASSERT_OK(rpc_binding_set_auth(b, level, RPC_AUTHN_WINNT, &anon));
        return b;
}

static OXID random_id(void) {
        GUID g;
        OXID x;

        dcom_guid_generate(&g);
        memcpy(&x, &g, sizeof x);
        return x | 1;
}

/* ResolveOxid2 over TCP: its status, and the bindings as text. */
static error_status_t resolve2(OXID oxid, unsigned short n, unsigned short *protseqs, char *text,
                               size_t size, IPID *ret_ipid, DWORD *ret_hint) {
        struct rpc_binding *b = tcp(RPC_AUTHN_LEVEL_NONE);
        DUALSTRINGARRAY *d = NULL;
        IPID ipid;
        DWORD hint = 0;
        COMVERSION v = { 0, 0 };
        error_status_t st = 99;
        unsigned short none = 0;

        ASSERT_OK(IObjectExporter_ResolveOxid2((handle_t)b, &oxid, n, n ? protseqs : &none, &d,
                                               &ipid, &hint, &v, &st));
        if (st == 0) {
                ASSERT_NOT_NULL(d);
                ASSERT_EQ(v.MajorVersion, 5);
                ASSERT_EQ(v.MinorVersion, 7);
                if (text)
                        dsa_text(d, text, size);
                if (ret_ipid)
                        *ret_ipid = ipid;
                if (ret_hint)
                        *ret_hint = hint;
        }
        midl_user_free(d);
        rpc_binding_free(b);
        return st;
}

static bool has_oid(const OID *v, unsigned n, OID x) {
        for (unsigned i = 0; i < n; i++)
                if (v[i] == x)
                        return true;
        return false;
}

/* --- tests ------------------------------------------------------------------------------------ */

TEST(setup) {
        setenv("OPENDCOM_PING_PERIOD_MS", "200", 1);
        ASSERT_EQ(com_ping_period_ms(), PERIOD_MS);
        pick_port();
        setenv("OPENDCOM_EPM_PORT", rpcss_port, 1);
        atexit(rpcss_stop);
        rpcss_start();
}

TEST(register_and_resolve) {
        DUALSTRINGARRAY *b = dsa_make("7:127.0.0.1[4444],15:\\\\pipe\\\\x|10:,9:host/x");
        DUALSTRINGARRAY *res = NULL;
        OXID oxid = random_id();
        IPID ipid, got;
        DWORD hint = 0;
        char text[512], want[128];
        unsigned short p7 = TOWER_TCP, p15 = TOWER_NP, both[2] = { TOWER_NP, TOWER_TCP };

        dsa_text(b, text, sizeof text);
        ASSERT_STR_EQ(text, "7:127.0.0.1[4444],15:\\\\pipe\\\\x|10:,9:host/x");
        dcom_guid_generate(&ipid);
        ASSERT_OK(com_resolver_register_oxid(oxid, &ipid, RPC_AUTHN_LEVEL_PKT_INTEGRITY, b, &res));
        /* the resolver's own bindings, for OBJREFs: its address and port, NTLM */
        ASSERT_NOT_NULL(res);
        dsa_text(res, text, sizeof text);
        snprintf(want, sizeof want, "7:127.0.0.1[%s]|", rpcss_port);
        ASSERT_EQ(strncmp(text, want, strlen(want)), 0);
        ASSERT_NOT_NULL(strstr(text, "10:"));
        free(res);
        ASSERT_ERRNO(com_resolver_register_oxid(oxid, &ipid, 1, b, NULL), -EEXIST);

        /* over TCP, as a remote client: the bindings of the protocols asked for */
        ASSERT_EQ(resolve2(oxid, 1, &p7, text, sizeof text, &got, &hint), 0);
        ASSERT_STR_EQ(text, "7:127.0.0.1[4444]|10:,9:host/x");
        ASSERT_TRUE(dcom_guid_equal(&got, &ipid));
        ASSERT_EQ(hint, RPC_AUTHN_LEVEL_PKT_INTEGRITY);
        ASSERT_EQ(resolve2(oxid, 1, &p15, text, sizeof text, NULL, NULL), 0);
        ASSERT_STR_EQ(text, "15:\\\\pipe\\\\x|10:,9:host/x");
        ASSERT_EQ(resolve2(oxid, 2, both, text, sizeof text, NULL, NULL), 0);
        ASSERT_STR_EQ(text, "7:127.0.0.1[4444],15:\\\\pipe\\\\x|10:,9:host/x");
        ASSERT_EQ(resolve2(oxid, 0, NULL, text, sizeof text, NULL, NULL), 0);
        ASSERT_STR_EQ(text, "7:127.0.0.1[4444],15:\\\\pipe\\\\x|10:,9:host/x");
        unsigned short p99 = 99;
        ASSERT_EQ(resolve2(oxid, 1, &p99, text, sizeof text, NULL, NULL), 0);
        ASSERT_STR_EQ(text, "|10:,9:host/x");
        /* an OXID nobody registered */
        ASSERT_EQ(resolve2(oxid ^ 2, 1, &p7, NULL, 0, NULL, NULL), ST_INVALID_OXID);

        /* ResolveOxid (opnum 0) too */
        struct rpc_binding *t = tcp(RPC_AUTHN_LEVEL_NONE);
        DUALSTRINGARRAY *d = NULL;
        error_status_t st = 99;
        ASSERT_OK(IObjectExporter_ResolveOxid((handle_t)t, &oxid, 1, &p7, &d, &got, &hint, &st));
        ASSERT_EQ(st, 0);
        dsa_text(d, text, sizeof text);
        ASSERT_STR_EQ(text, "7:127.0.0.1[4444]|10:,9:host/x");
        midl_user_free(d);
        d = NULL;
        OXID other = oxid ^ 2;
        ASSERT_OK(IObjectExporter_ResolveOxid((handle_t)t, &other, 1, &p7, &d, &got, &hint, &st));
        ASSERT_EQ(st, ST_INVALID_OXID);
        ASSERT_NULL(d);
        rpc_binding_free(t);

        ASSERT_OK(com_resolver_revoke_oxid(oxid));
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), ST_INVALID_OXID);
        ASSERT_ERRNO(com_resolver_revoke_oxid(oxid), -ENOENT);
        free(b);
}

TEST(server_alive) {
        /* unauthenticated, anonymous NTLM, NTLM sealed: the resolver answers every level */
        uint8_t levels[] = { RPC_AUTHN_LEVEL_NONE, RPC_AUTHN_LEVEL_CONNECT,
                             RPC_AUTHN_LEVEL_PKT_PRIVACY };
        char text[512], want[128];

        for (unsigned i = 0; i < sizeof levels; i++) {
                struct rpc_binding *b = tcp(levels[i]);
                DUALSTRINGARRAY *d = NULL;
                COMVERSION v = { 0, 0 };
                DWORD reserved = 99;
                error_status_t st = 99;

                ASSERT_OK(IObjectExporter_ServerAlive((handle_t)b, &st));
                ASSERT_EQ(st, 0);
                ASSERT_OK(IObjectExporter_ServerAlive2((handle_t)b, &v, &d, &reserved, &st));
                ASSERT_EQ(st, 0);
                ASSERT_EQ(v.MajorVersion, 5);
                ASSERT_EQ(v.MinorVersion, 7);
                ASSERT_EQ(reserved, 0);
                ASSERT_NOT_NULL(d);
                dsa_text(d, text, sizeof text);
                /* --listen 127.0.0.1: that address, with the port (not 135); NTLM, and
                   Negotiate and Kerberos only with a keytab */
                snprintf(want, sizeof want, "7:127.0.0.1[%s]|", rpcss_port);
                ASSERT_EQ(strncmp(text, want, strlen(want)), 0);
                const char *sec = text + strlen(want);
                ASSERT_TRUE(strcmp(sec, "10:") == 0 || strcmp(sec, "9:,16:,10:") == 0);
                midl_user_free(d);
                rpc_binding_free(b);
        }
}

/* ComplexPing over TCP; its status. */
static error_status_t complex_ping(struct rpc_binding *b, SETID *set, unsigned short seq,
                                   unsigned short n_add, OID *add, unsigned short n_del,
                                   OID *del) {
        unsigned short backoff = 99;
        error_status_t st = 99;

        ASSERT_OK(IObjectExporter_ComplexPing((handle_t)b, set, seq, n_add, n_del,
                                              n_add ? add : NULL, n_del ? del : NULL, &backoff,
                                              &st));
        ASSERT_EQ(backoff, 0);
        return st;
}

static error_status_t simple_ping(struct rpc_binding *b, SETID set) {
        error_status_t st = 99;

        ASSERT_OK(IObjectExporter_SimplePing((handle_t)b, &set, &st));
        return st;
}

TEST(pings_and_rundown) {
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[4444]|10:");
        OXID oxid = random_id();
        OID a = random_id(), bo = random_id(), c = random_id(), unknown = random_id();
        OID v[3] = { a, bo, c };
        IPID ipid;
        SETID set = 0, other;
        OID *got = NULL;
        unsigned n = 0;

        dcom_guid_generate(&ipid);
        ASSERT_OK(com_resolver_register_oxid(oxid, &ipid, 1, bind, NULL));
        ASSERT_OK(com_resolver_add_oids(oxid, v, 3));
        uint64_t t0 = dcom_monotonic_ms();
        struct rpc_binding *b = tcp(RPC_AUTHN_LEVEL_PKT_PRIVACY);      /* anonymous NTLM */

        /* a new set (impacket's first ComplexPing: SETID 0, sequence 0); an OID nobody
           registered is left out of a new set, as [MS-DCOM] 3.1.2.5.1.3 says */
        OID add[3] = { a, bo, unknown };
        ASSERT_EQ(complex_ping(b, &set, 0, 3, add, 0, NULL), 0);
        ASSERT_NE(set, 0);
        ASSERT_EQ(simple_ping(b, set), 0);
        ASSERT_EQ(simple_ping(b, set ^ 1), ST_INVALID_SET);
        ASSERT_EQ(simple_ping(b, 0), ST_INVALID_SET);
        /* in an existing set it is OR_INVALID_OID */
        ASSERT_EQ(complex_ping(b, &set, 1, 1, &unknown, 0, NULL), ST_INVALID_OID);
        other = set ^ 1;
        ASSERT_EQ(complex_ping(b, &other, 1, 0, NULL, 0, NULL), ST_INVALID_SET);
        ASSERT_EQ(other, set ^ 1);
        /* bo leaves the set (its grace starts again); an old sequence number changes
           nothing */
        SETID s2 = set;
        ASSERT_EQ(complex_ping(b, &s2, 2, 0, NULL, 1, &bo), 0);
        ASSERT_EQ(s2, set);
        ASSERT_EQ(complex_ping(b, &s2, 1, 1, &bo, 0, NULL), 0);
        uint64_t t_bo = dcom_monotonic_ms();

        /* c (never pinged) and bo (let go) run down after three periods; a, pinged, not */
        bool c_gone = false, bo_gone = false;
        while (!c_gone || !bo_gone) {
                uint64_t now = dcom_monotonic_ms();
                ASSERT_LT(now - t0, 3000);
                ASSERT_EQ(simple_ping(b, set), 0);
                ASSERT_OK(com_resolver_rundown(oxid, &got, &n));
                ASSERT_FALSE(has_oid(got, n, a));
                if (has_oid(got, n, c)) {
                        ASSERT_GE(dcom_monotonic_ms() - t0, 3 * PERIOD_MS - 20);
                        c_gone = true;
                }
                if (has_oid(got, n, bo)) {
                        ASSERT_GE(dcom_monotonic_ms() - t_bo, 3 * PERIOD_MS - 20);
                        bo_gone = true;
                }
                free(got);
                got = NULL;
                usleep(50000);
        }
        /* a stays while pinged */
        uint64_t t_last = 0;
        for (int i = 0; i < 10; i++) {
                ASSERT_EQ(simple_ping(b, set), 0);
                t_last = dcom_monotonic_ms();
                ASSERT_OK(com_resolver_rundown(oxid, &got, &n));
                ASSERT_EQ(n, 0);
                free(got);
                usleep(PERIOD_MS * 1000 / 2);
        }
        /* the pings stop: the set expires after three periods, and a runs down */
        for (;;) {
                ASSERT_LT(dcom_monotonic_ms() - t_last, 3000);
                ASSERT_OK(com_resolver_rundown(oxid, &got, &n));
                bool gone = has_oid(got, n, a);
                free(got);
                if (gone)
                        break;
                usleep(50000);
        }
        ASSERT_GE(dcom_monotonic_ms() - t_last, 3 * PERIOD_MS - 20);
        ASSERT_EQ(simple_ping(b, set), ST_INVALID_SET);
        /* a was forgotten with its rundown: a new set leaves it out, an old one refuses */
        set = 0;
        ASSERT_EQ(complex_ping(b, &set, 0, 1, &a, 0, NULL), 0);
        ASSERT_EQ(complex_ping(b, &set, 1, 1, &a, 0, NULL), ST_INVALID_OID);
        /* an OID removed by the exporter goes at once */
        OID d = random_id();
        ASSERT_OK(com_resolver_add_oids(oxid, &d, 1));
        ASSERT_EQ(complex_ping(b, &set, 2, 1, &d, 0, NULL), 0);
        ASSERT_OK(com_resolver_remove_oids(oxid, &d, 1));
        ASSERT_EQ(complex_ping(b, &set, 3, 0, NULL, 1, &d), 0);
        ASSERT_OK(com_resolver_rundown(oxid, &got, &n));
        ASSERT_EQ(n, 0);
        free(got);
        rpc_binding_free(b);
        ASSERT_OK(com_resolver_revoke_oxid(oxid));
        free(bind);
}

/* --- another process ------------------------------------------------------------------------ */

struct report {
        int revoke, rundown, add, remove, register_same, register_own;
        OXID own;
};

/* The other process: tries our OXID, registers its own, waits to be told to exit. */
static _Noreturn void intruder(OXID victim, int in, int out, bool drop) {
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[5555]|10:");
        struct report rep = { 0 };
        OID *got = NULL;
        unsigned n = 0;
        OID oid = random_id();
        IPID ipid;
        char c;

        rpcss_pid = 0;                  /* the parent's to stop */
        if (drop) {
                ASSERT_OK(setgroups(0, NULL));
                ASSERT_OK(setresgid(NOBODY, NOBODY, NOBODY));
                ASSERT_OK(setresuid(NOBODY, NOBODY, NOBODY));
        }
        dcom_guid_generate(&ipid);
        rep.revoke = com_resolver_revoke_oxid(victim);
        rep.rundown = com_resolver_rundown(victim, &got, &n);
        rep.add = com_resolver_add_oids(victim, &oid, 1);
        rep.remove = com_resolver_remove_oids(victim, &oid, 1);
        rep.register_same = com_resolver_register_oxid(victim, &ipid, 1, bind, NULL);
        rep.own = random_id();
        rep.register_own = com_resolver_register_oxid(rep.own, &ipid, 1, bind, NULL);
        xwrite(out, &rep, sizeof rep);
        if (read(in, &c, 1) < 0)
                _exit(1);
        _exit(0);
}

TEST(another_process) {
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[4444]|10:");
        OXID oxid = random_id();
        OID oid = random_id();
        IPID ipid;
        int to[2], from[2], status;
        struct report rep;
        bool drop = geteuid() == 0;
        unsigned short p7 = TOWER_TCP;

        if (drop) {
                /* nobody must reach the socket under our private root */
                ASSERT_OK(chmod(getenv("OPENDCOM_ROOT"), 0755));
        }
        dcom_guid_generate(&ipid);
        ASSERT_OK(com_resolver_register_oxid(oxid, &ipid, 1, bind, NULL));
        ASSERT_OK(com_resolver_add_oids(oxid, &oid, 1));
        ASSERT_OK(pipe(to));
        ASSERT_OK(pipe(from));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(to[1]);
                close(from[0]);
                intruder(oxid, to[0], from[1], drop);
        }
        close(to[0]);
        close(from[1]);
        xread(from[0], &rep, sizeof rep);
        if (!drop)
                printf("# not root: the other process runs as the same user\n");
        ASSERT_ERRNO(rep.revoke, -EACCES);
        ASSERT_ERRNO(rep.rundown, -EACCES);
        ASSERT_ERRNO(rep.add, -EACCES);
        ASSERT_ERRNO(rep.remove, -EACCES);
        ASSERT_ERRNO(rep.register_same, -EEXIST);
        ASSERT_OK(rep.register_own);
        /* ours is intact, with its OID; the other's resolves while it lives */
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), 0);
        ASSERT_EQ(resolve2(rep.own, 1, &p7, NULL, 0, NULL, NULL), 0);
        struct rpc_binding *b = tcp(RPC_AUTHN_LEVEL_NONE);
        SETID set = 0;
        ASSERT_EQ(complex_ping(b, &set, 0, 0, NULL, 0, NULL), 0);
        ASSERT_EQ(complex_ping(b, &set, 1, 1, &oid, 0, NULL), 0);
        rpc_binding_free(b);
        /* it exits: its OXID goes */
        xwrite(to[1], "x", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        for (int i = 0;; i++) {
                if (resolve2(rep.own, 1, &p7, NULL, 0, NULL, NULL) == ST_INVALID_OXID)
                        break;
                ASSERT_LT(i, 200);
                usleep(10000);
        }
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), 0);
        ASSERT_OK(com_resolver_revoke_oxid(oxid));
        close(to[1]);
        close(from[0]);
        free(bind);
}

/* oxidreg is for local exporters: over TCP, access denied. */
TEST(registration_refused_over_tcp) {
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[4444]|10:");
        struct rpc_binding *b = tcp(RPC_AUTHN_LEVEL_NONE);
        DUALSTRINGARRAY *res = NULL;
        OID *v = NULL;
        ULONG n = 0;
        IPID ipid;
        OXID oxid = random_id();
        error_status_t st = 99;

        dcom_guid_generate(&ipid);
        ASSERT_OK(oxidreg_RegisterOxid((handle_t)b, oxid, &ipid, 1, bind, &res, &st));
        ASSERT_EQ(st, ST_ACCESS_DENIED);
        ASSERT_NULL(res);
        ASSERT_OK(oxidreg_Rundown((handle_t)b, oxid, &n, &v, &st));
        ASSERT_EQ(st, ST_ACCESS_DENIED);
        midl_user_free(v);
        rpc_binding_free(b);
        unsigned short p7 = TOWER_TCP;
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), ST_INVALID_OXID);
        free(bind);
}

/* --- bounds (in a child: an association of its own) -------------------------------------- */

static _Noreturn void bounds_child(int out) {
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[4444]|10:");
        OXID first = 0;
        IPID ipid;
        int r, n = 0;
        int res[8];

        rpcss_pid = 0;
        dcom_guid_generate(&ipid);
        /* OXIDs per process */
        for (;;) {
                OXID x = random_id();
                r = com_resolver_register_oxid(x, &ipid, 1, bind, NULL);
                if (r < 0)
                        break;
                if (!first)
                        first = x;
                n++;
                if (n > 100)
                        break;
        }
        res[0] = n;
        res[1] = r;
        /* OIDs per OXID: 65536, then no more */
        OID *v = malloc(65537 * sizeof *v);
        for (unsigned i = 0; i < 65537; i++)
                v[i] = random_id();
        res[2] = com_resolver_add_oids(first, v, 65536);
        res[3] = com_resolver_add_oids(first, v + 65536, 1);
        /* the same OIDs again are no new ones */
        res[4] = com_resolver_add_oids(first, v, 16);
        res[5] = res[6] = res[7] = 0;
        free(v);
        free(bind);
        xwrite(out, res, sizeof res);
        _exit(0);
}

TEST(bounds) {
        int from[2], status, res[8];
        unsigned short p7 = TOWER_TCP;

        ASSERT_OK(pipe(from));
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(from[0]);
                bounds_child(from[1]);
        }
        close(from[1]);
        xread(from[0], res, sizeof res);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_EQ(res[0], 64);
        ASSERT_ERRNO(res[1], -ENOSPC);
        ASSERT_OK(res[2]);
        ASSERT_ERRNO(res[3], -ENOSPC);
        ASSERT_OK(res[4]);
        close(from[0]);

        /* malformed and oversized bindings */
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[4444]|10:");
        IPID ipid;
        OXID oxid = random_id();
        dcom_guid_generate(&ipid);
        bind->wNumEntries--;            /* no final terminator */
        ASSERT_ERRNO(com_resolver_register_oxid(oxid, &ipid, 1, bind, NULL), -EINVAL);
        bind->wNumEntries++;
        bind->aStringArray[bind->wSecurityOffset - 1] = 'x';   /* strings unterminated */
        ASSERT_ERRNO(com_resolver_register_oxid(oxid, &ipid, 1, bind, NULL), -EINVAL);
        free(bind);
        DUALSTRINGARRAY *big = calloc(1, sizeof *big + 2 * 5000);
        big->wNumEntries = 5000;
        big->wSecurityOffset = 2;
        ASSERT_ERRNO(com_resolver_register_oxid(oxid, &ipid, 1, big, NULL), -EINVAL);
        free(big);
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), ST_INVALID_OXID);

        /* an OID of another OXID is refused */
        bind = dsa_make("7:127.0.0.1[4444]|10:");
        OXID o1 = random_id(), o2 = random_id();
        OID shared = random_id();
        ASSERT_OK(com_resolver_register_oxid(o1, &ipid, 1, bind, NULL));
        ASSERT_OK(com_resolver_register_oxid(o2, &ipid, 1, bind, NULL));
        ASSERT_OK(com_resolver_add_oids(o1, &shared, 1));
        ASSERT_ERRNO(com_resolver_add_oids(o2, &shared, 1), -EEXIST);
        ASSERT_OK(com_resolver_revoke_oxid(o1));
        ASSERT_OK(com_resolver_add_oids(o2, &shared, 1));
        ASSERT_OK(com_resolver_revoke_oxid(o2));
        free(bind);

        /* ping sets per peer (the earlier tests' sets expired first) */
        usleep(4 * PERIOD_MS * 1000);
        struct rpc_binding *b = tcp(RPC_AUTHN_LEVEL_NONE);
        unsigned made = 0;
        error_status_t st = 0;
        for (; made <= 1024; made++) {
                SETID set = 0;
                if ((st = complex_ping(b, &set, 0, 0, NULL, 0, NULL)) != 0)
                        break;
        }
        ASSERT_EQ(made, 1024);
        ASSERT_EQ(st, ST_OUT_OF_RESOURCES);
        rpc_binding_free(b);
}

/* rpcss restarts: our OXIDs and OIDs are registered again by the next call. */
TEST(rpcss_restart) {
        DUALSTRINGARRAY *bind = dsa_make("7:127.0.0.1[4444]|10:");
        OXID oxid = random_id();
        OID oids[2] = { random_id(), random_id() };
        OID *got = NULL;
        unsigned n = 0;
        IPID ipid;
        unsigned short p7 = TOWER_TCP;
        char text[256];

        dcom_guid_generate(&ipid);
        ASSERT_OK(com_resolver_register_oxid(oxid, &ipid, 1, bind, NULL));
        ASSERT_OK(com_resolver_add_oids(oxid, oids, 2));
        rpcss_stop();
        ASSERT_ERRNO(com_resolver_rundown(oxid, &got, &n), -ECONNREFUSED);
        rpcss_start();
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), ST_INVALID_OXID);
        ASSERT_OK(com_resolver_rundown(oxid, &got, &n));       /* registers everything again */
        ASSERT_EQ(n, 0);
        free(got);
        ASSERT_EQ(resolve2(oxid, 1, &p7, text, sizeof text, NULL, NULL), 0);
        ASSERT_STR_EQ(text, "7:127.0.0.1[4444]|10:");
        /* the OIDs came back too: a client can ping them */
        struct rpc_binding *b = tcp(RPC_AUTHN_LEVEL_NONE);
        SETID set = 0;
        ASSERT_EQ(complex_ping(b, &set, 0, 0, NULL, 0, NULL), 0);
        ASSERT_EQ(complex_ping(b, &set, 1, 2, oids, 0, NULL), 0);
        rpc_binding_free(b);
        /* the same after our connection drops */
        com_resolver_disconnect();
        for (int i = 0;; i++) {
                if (resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL) == ST_INVALID_OXID)
                        break;
                ASSERT_LT(i, 200);
                usleep(10000);
        }
        ASSERT_OK(com_resolver_add_oids(oxid, oids, 1));
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), 0);
        ASSERT_OK(com_resolver_revoke_oxid(oxid));
        ASSERT_EQ(resolve2(oxid, 1, &p7, NULL, 0, NULL, NULL), ST_INVALID_OXID);
        free(bind);
        rpcss_stop();
}
