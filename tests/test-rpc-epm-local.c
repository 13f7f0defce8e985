/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The endpoint mapper against local users, with the real rpcss in this test's own
 * OPENDCOM_ROOT: a server (this process, root) registers over ncalrpc:[epmapper]; an
 * attacker process running as nobody then tries what the adversarial review did --
 * ept_insert with replace for the server's interface pointing at its own endpoints,
 * ept_mgmt_delete and ept_delete of the server's entries, and a bind that joins the
 * server's association group (whose entries the group owns).  The server's entries
 * must survive all of it and the attacker's own go when it leaves.  A second instance
 * of the server registering the same interface and exiting must not take the first
 * one's entries with it.  Root may delete anyone's entries.  A server registers again
 * by itself when rpcss restarts.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "base/paths.h"
#include "epm_stub.h"
#include "rpc/tower.h"
#include "rpc/rpc-server.h"
#include "rpcss-run.h"
#include "test.h"
#include "test-pipe.h"

#define NOBODY 65534
#define ACCESS_DENIED 5u
#define NOT_REGISTERED 0x16c9a0d6u

/* The victim's interface (no methods are called: only its registrations matter). */
static const struct ndr_interface victim_if = {
        { 0x7e57e9a1, 0x1234, 0x5678, { 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78 } },
        1, 0, 0, NULL, "victim", NULL,
};

static twr_t *tower_for(const struct ndr_interface *itf, enum rpc_protseq ps, const char *ep) {
        const struct rpc_tower_syntax syn = { itf->uuid, itf->ver_major, itf->ver_minor };
        uint8_t *oct;
        size_t len;

        ASSERT_OK(rpc_tower_build(&syn, ps, ep, NULL, &oct, &len));
        twr_t *t = malloc(sizeof *t + len);
        ASSERT_NOT_NULL(t);
        t->tower_length = (unsigned32)len;
        memcpy(t->tower_octet_string, oct, len);
        dcom_free(oct);
        return t;
}

/* The endpoints the map holds for the victim's interface, in its order, "a,b,c". */
static void victim_endpoints(char *out, size_t size) {
        struct rpc_binding *b;
        ept_lookup_handle_t h = NULL;
        rpc_if_id_t id = { victim_if.uuid, victim_if.ver_major, victim_if.ver_minor };
        unsigned calls = 0;

        out[0] = 0;
        ASSERT_OK(rpc_binding_from_string("ncalrpc:[epmapper]", &b));
        do {
                ept_entry_t e[4];
                unsigned32 n = 0;
                error_status_t st = 1;

                memset(e, 0, sizeof e);
                ASSERT_OK(epm_ept_lookup((handle_t)b, rpc_c_ep_match_by_if, NULL, &id,
                                         rpc_c_vers_all, &h, 4, &n, e, &st));
                ASSERT_TRUE(st == 0 || (st == NOT_REGISTERED && n == 0));
                for (unsigned32 i = 0; i < n; i++) {
                        struct rpc_tower t;
                        struct rpc_tower_info info;
                        char ep[128];

                        ASSERT_OK(rpc_tower_parse(e[i].tower->tower_octet_string,
                                                  e[i].tower->tower_length, &t));
                        ASSERT_OK(rpc_tower_decode(&t, &info));
                        ASSERT_OK(rpc_tower_endpoint_string(&info, ep, sizeof ep));
                        size_t l = strlen(out);
                        snprintf(out + l, size - l, "%s%s", l ? "," : "", ep);
                        midl_user_free(e[i].tower);
                }
                ASSERT_LT(++calls, 100);
        } while (h);
        rpc_binding_free(b);
}

/* A server of the victim's interface on a dynamic port and ncalrpc:[name], registered. */
static struct rpc_server *victim_start(const char *name, uint16_t *ret_port) {
        struct rpc_server *s = rpc_server_new();

        ASSERT_NOT_NULL(s);
        ASSERT_OK(rpc_server_listen_tcp(s, "127.0.0.1", 0, ret_port));
        ASSERT_OK(rpc_server_listen_lrpc(s, name, 0666));
        ASSERT_OK(rpc_server_register_ep(s, &victim_if, "victim"));
        return s;
}

/* --- the attacker: a child process running as nobody ------------------------------------ */

struct orders {
        uint16_t victim_port;
        uint32_t victim_group;
        char victim_lrpc[32];
};

struct report {
        uint32_t insert_st, mgmt_delete_st, delete_st, delete_own_st;
        uint8_t join_ptype;             /* the answer to a bind into the victim's group */
};

/* The attacker's read: the test gone (end of file) ends it quietly. */
static void child_read(int fd, void *p, size_t n) {
        ssize_t r = read(fd, p, n);
        if (r == 0)
                _exit(0);
        ASSERT_EQ(r, (ssize_t)n);
}

/* A bind for the endpoint mapper into association group `group` over ncalrpc. */
static uint8_t bind_into_group(uint32_t group) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        struct timeval tv = { 5, 0 };
        struct buf b;
        uint8_t rd[256];
        size_t got = 0;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        ASSERT_OK(rpc_lrpc_path("epmapper", un.sun_path, sizeof un.sun_path));
        ASSERT_OK(connect(fd, (struct sockaddr *)&un, sizeof un));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        buf_init(&b, 0);
        size_t start = rpc_pdu_begin(&b, RPC_PTYPE_BIND, 3, 1);
        rpc_put_u16(&b, 4280);
        rpc_put_u16(&b, 4280);
        rpc_put_u32(&b, group);
        buf_put_u8(&b, 1);
        buf_put_u8(&b, 0);
        rpc_put_u16(&b, 0);
        rpc_put_u16(&b, 0);
        buf_put_u8(&b, 1);
        buf_put_u8(&b, 0);
        /* the endpoint mapper's interface, e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0 */
        struct rpc_syntax_id as = {
                { 0xe1af8308, 0x5d1f, 0x11c9, { 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa } },
                3, 0 };
        rpc_put_syntax(&b, &as);
        rpc_put_syntax(&b, &rpc_syntax_ndr20);
        rpc_pdu_end(&b, start);
        ASSERT_EQ(send(fd, b.data, b.len, 0), (ssize_t)b.len);
        buf_free(&b);
        while (got < 16) {
                ssize_t n = recv(fd, rd + got, sizeof rd - got, 0);
                ASSERT_GT(n, 0);
                got += (size_t)n;
        }
        close(fd);
        return rd[2];
}

static _Noreturn void attacker(int in, int out) {
        struct orders o;
        struct report rep = { 0 };
        struct rpc_binding *b;
        ept_entry_t e[2];
        char c;

        ASSERT_OK(setgroups(0, NULL));
        ASSERT_OK(setresgid(NOBODY, NOBODY, NOBODY));
        ASSERT_OK(setresuid(NOBODY, NOBODY, NOBODY));
        child_read(in, &o, sizeof o);

        char port[8];
        snprintf(port, sizeof port, "%u", o.victim_port);
        twr_t *victim_tcp = tower_for(&victim_if, RPC_PROTSEQ_TCP, port);
        twr_t *victim_lrpc = tower_for(&victim_if, RPC_PROTSEQ_LRPC, o.victim_lrpc);

        ASSERT_OK(rpc_binding_from_string("ncalrpc:[epmapper]", &b));
        /* redirect the victim's clients: replace its entries with ours */
        memset(e, 0, sizeof e);
        e[0].tower = tower_for(&victim_if, RPC_PROTSEQ_TCP, "4444");
        e[1].tower = tower_for(&victim_if, RPC_PROTSEQ_LRPC, "evil");
        strcpy(e[0].annotation, "evil");
        ASSERT_OK(epm_ept_insert((handle_t)b, 2, e, 1, &rep.insert_st));
        /* delete the victim's entries */
        ASSERT_OK(epm_ept_mgmt_delete((handle_t)b, 0, NULL, victim_tcp, &rep.mgmt_delete_st));
        ept_entry_t v[1];
        memset(v, 0, sizeof v);
        v[0].tower = victim_lrpc;
        ASSERT_OK(epm_ept_delete((handle_t)b, 1, v, &rep.delete_st));
        /* its own entries it may delete: the LRPC one (re-added below) */
        ASSERT_OK(epm_ept_delete((handle_t)b, 1, e + 1, &rep.delete_own_st));
        ASSERT_OK(epm_ept_insert((handle_t)b, 1, e + 1, 1, &rep.insert_st));
        /* join the victim's association group (that owns its entries) */
        rep.join_ptype = bind_into_group(o.victim_group);

        xwrite(out, &rep, sizeof rep);
        child_read(in, &c, 1);                  /* hold the connection until told */
        rpc_binding_free(b);
        free(e[0].tower);
        free(e[1].tower);
        free(victim_tcp);
        free(victim_lrpc);
        exit(0);
}

TEST(local_users_cannot_touch_others_entries) {
        int to_child[2], from_child[2];
        struct orders o = { 0 };
        struct report rep;
        char eps[512], want[512];
        uint16_t port1, port2;
        pid_t pid;
        int status;

        if (geteuid() != 0)
                SKIP("needs root to run the attacker as nobody");
        /* nobody must reach the sockets under our private root */
        const char *root = getenv("OPENDCOM_ROOT");
        ASSERT_NOT_NULL(root);
        ASSERT_OK(chmod(root, 0755));

        /* the attacker first, while this process has no threads */
        ASSERT_OK(pipe(to_child));
        ASSERT_OK(pipe(from_child));
        pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
                close(to_child[1]);
                close(from_child[0]);
                attacker(to_child[0], from_child[1]);
        }
        close(to_child[0]);
        close(from_child[1]);

        rpcss_start();
        struct rpc_server *victim = victim_start("victim", &port1);
        snprintf(want, sizeof want, "victim,%u", port1);
        victim_endpoints(eps, sizeof eps);
        ASSERT_STR_EQ(eps, want);

        /* the victim's association group (the owner of its entries), as if guessed */
        o.victim_port = port1;
        snprintf(o.victim_lrpc, sizeof o.victim_lrpc, "victim");
        o.victim_group = rpc_binding_assoc_group(victim->epm);
        ASSERT_NE(o.victim_group, 0);
        xwrite(to_child[1], &o, sizeof o);
        xread(from_child[0], &rep, sizeof rep);

        ASSERT_EQ(rep.insert_st, 0);                    /* its own entries: allowed */
        ASSERT_EQ(rep.mgmt_delete_st, ACCESS_DENIED);
        ASSERT_EQ(rep.delete_st, ACCESS_DENIED);
        ASSERT_EQ(rep.delete_own_st, 0);
        ASSERT_EQ(rep.join_ptype, RPC_PTYPE_BIND_NAK);
        /* the victim's entries first and intact; the attacker's beside them */
        victim_endpoints(eps, sizeof eps);
        snprintf(want, sizeof want, "victim,%u,4444,evil", port1);
        ASSERT_STR_EQ(eps, want);

        /* the attacker leaves: its entries go, the victim's stay */
        xwrite(to_child[1], "x", 1);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        for (int i = 0;; i++) {
                victim_endpoints(eps, sizeof eps);
                snprintf(want, sizeof want, "victim,%u", port1);
                if (strcmp(eps, want) == 0)
                        break;
                ASSERT_LT(i, 200);
                usleep(10000);
        }

        /* a second instance registers the same interface (replace) and exits */
        struct rpc_server *second = victim_start("victim2", &port2);
        victim_endpoints(eps, sizeof eps);
        snprintf(want, sizeof want, "victim,%u,victim2,%u", port1, port2);
        ASSERT_STR_EQ(eps, want);
        rpc_server_free(second);
        for (int i = 0;; i++) {
                victim_endpoints(eps, sizeof eps);
                snprintf(want, sizeof want, "victim,%u", port1);
                if (strcmp(eps, want) == 0)
                        break;
                ASSERT_LT(i, 200);
                usleep(10000);
        }

        /* root (the administrator) may delete anyone's entries */
        {
                struct rpc_binding *b;
                error_status_t st = 1;
                char p[8];
                snprintf(p, sizeof p, "%u", port1);
                twr_t *t = tower_for(&victim_if, RPC_PROTSEQ_TCP, p);
                ASSERT_OK(rpc_binding_from_string("ncalrpc:[epmapper]", &b));
                ASSERT_OK(epm_ept_mgmt_delete((handle_t)b, 0, NULL, t, &st));
                ASSERT_EQ(st, 0);
                ASSERT_OK(epm_ept_mgmt_delete((handle_t)b, 0, NULL, t, &st));
                ASSERT_HR_EQ(st, NOT_REGISTERED);
                rpc_binding_free(b);
                free(t);
        }
        victim_endpoints(eps, sizeof eps);
        ASSERT_STR_EQ(eps, "victim");

        rpc_server_free(victim);
        close(to_child[1]);
        close(from_child[0]);
        rpcss_stop();
}

/* rpcss restarts (its map empty): a server notices and registers its endpoints again. */
TEST(rpcss_restart) {
        char eps[512], want[512];
        uint16_t port1;

        rpcss_start();
        struct rpc_server *s = victim_start("again", &port1);
        snprintf(want, sizeof want, "again,%u", port1);
        victim_endpoints(eps, sizeof eps);
        ASSERT_STR_EQ(eps, want);
        rpcss_stop();
        rpcss_start();
        for (int i = 0;; i++) {
                victim_endpoints(eps, sizeof eps);
                if (strcmp(eps, want) == 0)
                        break;
                ASSERT_LT(i, 50);               /* 5 s; the server looks once a second */
                usleep(100000);
        }
        rpc_server_free(s);
        rpcss_stop();
}
