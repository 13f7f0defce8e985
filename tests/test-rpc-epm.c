/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The endpoint mapper (services/rpcss/epm-server.c) through dcomidl's generated client and server stubs
 * over a loopback binding with a real context-handle table, as impacket and rpcdump use
 * it: ept_map for impacket's own tower, lookup paging until the handle comes back null,
 * every inquiry type and version option, insert/delete/mgmt_delete and their refusal to
 * remote callers, owners forgotten, the bounds, hostile towers, threads, out of memory,
 * and lookup handles: opened only while entries remain, bounded per client.
 */
#include <pthread.h>
#include <stdio.h>

#include "epm_stub.h"
#include "mgmt_stub.h"
#include "epm-server.h"
#include "test.h"

/* hept_map's tower: mgmt 1.0, NDR 2.0, RPC v5, TCP port 0, IP 0.0.0.0 (impacket 0.10) */
static const uint8_t tower0[75] = {
        0x05, 0x00, 0x13, 0x00, 0x0d, 0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9, 0x11, 0xbe, 0xf4,
        0x08, 0x00, 0x2b, 0x10, 0x29, 0x89, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0d,
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
};

#define PORT_OFF 64
#define IP_OFF 71
#define NOT_REGISTERED 0x16c9a0d6u

static twr_t *twr_from(const uint8_t *b, size_t len) {
        twr_t *t = malloc(sizeof *t + len);
        ASSERT_NOT_NULL(t);
        t->tower_length = (unsigned32)len;
        memcpy(t->tower_octet_string, b, len);
        return t;
}

/* tower0 with another port, host and interface version */
static twr_t *tcp_tower(uint16_t port, const char *ip, uint16_t major, uint16_t minor) {
        twr_t *t = twr_from(tower0, sizeof tower0);

        t->tower_octet_string[PORT_OFF] = (uint8_t)(port >> 8);
        t->tower_octet_string[PORT_OFF + 1] = (uint8_t)port;
        if (ip)
                memcpy(t->tower_octet_string + IP_OFF, ip, 4);
        t->tower_octet_string[21] = (uint8_t)major;
        t->tower_octet_string[22] = (uint8_t)(major >> 8);
        t->tower_octet_string[25] = (uint8_t)minor;
        t->tower_octet_string[26] = (uint8_t)(minor >> 8);
        return t;
}

static uint16_t tower_port(const twr_t *t) {
        const uint8_t *b = t->tower_octet_string;
        return (uint16_t)(b[PORT_OFF] << 8 | b[PORT_OFF + 1]);
}

static GUID guid_n(uint32_t n) {
        GUID g = { n, 0x1111, 0x2222, { 1, 2, 3, 4, 5, 6, 7, 8 } };
        return g;
}

/* An interface like mgmt's, with another uuid (Data1 = n) and version. */
static struct ndr_interface iface_n(uint32_t n, uint16_t major, uint16_t minor) {
        struct ndr_interface i = { guid_n(n), major, minor, 0, NULL, "test", NULL };
        return i;
}

/* --- the runtime's context handle table, in small ------------------------------------------ */

#define MAX_CTX 64
static struct {
        bool used;
        struct ndr_context_handle wire;
        void *ctx;
        void (*rundown)(void *);
} ctx_tab[MAX_CTX];
static uint32_t ctx_serial;

static int tab_lookup(struct ndr_context_table *t, const struct ndr_context_handle *w, void **ret) {
        for (int i = 0; i < MAX_CTX; i++)
                if (ctx_tab[i].used && memcmp(&ctx_tab[i].wire.uuid, &w->uuid, sizeof(GUID)) == 0) {
                        *ret = ctx_tab[i].ctx;
                        return 0;
                }
        return -ESRCH;                  /* nca_s_fault_context_mismatch */
}

static int tab_store(struct ndr_context_table *t, void *ctx, struct ndr_context_handle *w,
                     void (*rundown)(void *)) {
        int free_slot = -1;

        for (int i = 0; i < MAX_CTX; i++) {
                if (ctx_tab[i].used && !ndr_context_handle_is_null(w) &&
                    memcmp(&ctx_tab[i].wire.uuid, &w->uuid, sizeof(GUID)) == 0) {
                        if (!ctx) {
                                ctx_tab[i].used = false;
                                memset(w, 0, sizeof *w);
                        } else
                                ctx_tab[i].ctx = ctx;
                        return 0;
                }
                if (!ctx_tab[i].used && free_slot < 0)
                        free_slot = i;
        }
        if (!ctx) {
                memset(w, 0, sizeof *w);
                return 0;
        }
        ASSERT_GE(free_slot, 0);
        ctx_tab[free_slot].used = true;
        ctx_tab[free_slot].ctx = ctx;
        ctx_tab[free_slot].rundown = rundown;
        memset(w, 0, sizeof *w);
        w->uuid = guid_n(++ctx_serial);
        ctx_tab[free_slot].wire = *w;
        return 0;
}

/* The association ended: the runtime runs down what is still open. */
static void association_end(void) {
        for (int i = 0; i < MAX_CTX; i++)
                if (ctx_tab[i].used) {
                        ctx_tab[i].rundown(ctx_tab[i].ctx);
                        ctx_tab[i].used = false;
                }
}

static struct ndr_context_table contexts = { tab_lookup, tab_store };

/* --- loopback ---------------------------------------------------------------------------- */

static int loop_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct ndr_push o;
        struct ndr_pull pin;
        struct arena a;
        int r;

        ASSERT_OK(ndr_push_error(in));
        arena_init(&a, 1 << 20);
        ASSERT_OK(ndr_pull_init(&pin, in->buf.data, in->buf.len, NULL, &a));
        ndr_push_init(&o, 0);
        struct ndr_server_call call = {
                .in = &pin, .out = &o, .arena = &a, .contexts = &contexts,
                .impl = &epm_server_epv,
        };
        r = epm_v3_0_dispatch(&call, opnum);
        if (r >= 0) {
                uint8_t *p = arena_alloc(arena, o.buf.len ? o.buf.len : 1);
                ASSERT_NOT_NULL(p);
                memcpy(p, o.buf.data, o.buf.len);
                r = ndr_pull_init(out, p, o.buf.len, NULL, arena);
        }
        ndr_push_free(&o);
        arena_reset(&a);
        return r;
}

static struct ndr_binding binding = { .call = loop_call, .ctx = NULL };

static void reset(void) {
        association_end();
        epm_reset();
        ASSERT_EQ(epm_count(), 0);
        ASSERT_EQ(epm_open_handles(), 0);
}

/* ept_map over the loopback: the ports of the towers returned, up to max. */
static unsigned map_ports(const GUID *obj, const twr_t *req, ept_lookup_handle_t *h, unsigned32 max,
                          uint16_t *ports, error_status_t *st) {
        twr_p_t towers[16] = { NULL };
        unsigned32 num = 99;

        ASSERT_LE(max, 16);
        ASSERT_OK(epm_ept_map(&binding, (uuid_p_t)obj, (twr_p_t)req, h, max, &num, towers, st));
        ASSERT_LE(num, max);
        for (unsigned32 i = 0; i < num; i++) {
                ASSERT_NOT_NULL(towers[i]);
                ASSERT_EQ(towers[i]->tower_length, sizeof tower0);
                if (ports)
                        ports[i] = tower_port(towers[i]);
                midl_user_free(towers[i]);
        }
        return num;
}

/* --- ept_map -------------------------------------------------------------------------------- */

TEST(map_impacket_tower) {
        twr_t *req = twr_from(tower0, sizeof tower0);
        twr_p_t towers[4] = { NULL };
        ept_lookup_handle_t h = NULL;
        unsigned32 num = 0;
        error_status_t st = 1;
        uint8_t want[sizeof tower0];

        reset();
        /* nothing registered */
        ASSERT_OK(epm_ept_map(&binding, NULL, req, &h, 4, &num, towers, &st));
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_EQ(num, 0);
        ASSERT_NULL(h);

        ASSERT_OK(epm_register(&mgmt_v1_0_s_interface, NULL, RPC_PROTSEQ_TCP, "49152", "mgmt", 0));
        ASSERT_OK(epm_register(&mgmt_v1_0_s_interface, NULL, RPC_PROTSEQ_LRPC, "mgmt-sock", "mgmt",
                               0));
        ASSERT_OK(epm_ept_map(&binding, NULL, req, &h, 4, &num, towers, &st));
        ASSERT_EQ(st, 0);
        ASSERT_EQ(num, 1);
        ASSERT_NULL(h);
        /* the registered endpoint; the host floor as the request had it */
        memcpy(want, tower0, sizeof want);
        want[PORT_OFF] = 0xc0;
        ASSERT_EQ(towers[0]->tower_length, sizeof want);
        ASSERT_MEM_EQ(towers[0]->tower_octet_string, want, sizeof want);
        midl_user_free(towers[0]);
        free(req);

        /* the client's host address comes back */
        req = tcp_tower(0, "\x0a\x01\x02\x03", 1, 0);
        ASSERT_OK(epm_ept_map(&binding, NULL, req, &h, 4, &num, towers, &st));
        ASSERT_EQ(num, 1);
        ASSERT_MEM_EQ(towers[0]->tower_octet_string + IP_OFF, "\x0a\x01\x02\x03", 4);
        ASSERT_EQ(tower_port(towers[0]), 49152);
        midl_user_free(towers[0]);
        free(req);

        /* ncalrpc: the LRPC entry */
        {
                struct rpc_tower_syntax s = { mgmt_v1_0_s_interface.uuid, 1, 0 };
                uint8_t *b;
                size_t len;
                struct rpc_tower t;
                struct rpc_tower_info info;
                char ep[64];

                ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_LRPC, "", NULL, &b, &len));
                req = twr_from(b, len);
                dcom_free(b);
                ASSERT_OK(epm_ept_map(&binding, NULL, req, &h, 4, &num, towers, &st));
                ASSERT_EQ(st, 0);
                ASSERT_EQ(num, 1);
                ASSERT_OK(rpc_tower_parse(towers[0]->tower_octet_string, towers[0]->tower_length,
                                          &t));
                ASSERT_OK(rpc_tower_decode(&t, &info));
                ASSERT_EQ(info.protseq, RPC_PROTSEQ_LRPC);
                ASSERT_OK(rpc_tower_endpoint_string(&info, ep, sizeof ep));
                ASSERT_STR_EQ(ep, "mgmt-sock");
                midl_user_free(towers[0]);
                free(req);
        }
        reset();
}

TEST(map_versions_and_objects) {
        struct ndr_interface i12 = iface_n(0x100, 1, 2);
        GUID a = guid_n(0xa), b = guid_n(0xb), nil = GUID_NULL;
        error_status_t st;
        ept_lookup_handle_t h = NULL;
        uint16_t ports[16];
        twr_t *req;

        reset();
        ASSERT_OK(epm_register(&i12, NULL, RPC_PROTSEQ_TCP, "1000", NULL, 0));
        ASSERT_OK(epm_register(&i12, &a, RPC_PROTSEQ_TCP, "1001", NULL, 0));
        req = tcp_tower(0, NULL, 1, 0);
        req->tower_octet_string[5] = 0x00;      /* Data1 = 0x100 in the wire form */
        req->tower_octet_string[6] = 0x01;
        req->tower_octet_string[7] = 0x00;
        req->tower_octet_string[8] = 0x00;
        memcpy(req->tower_octet_string + 9, "\x11\x11\x22\x22\x01\x02\x03\x04\x05\x06\x07\x08", 12);

        /* object a: its own entry first, then the nil-object one ([MS-RPCE] 2.2.1.2.5) */
        ASSERT_EQ(map_ports(&a, req, &h, 4, ports, &st), 2);
        ASSERT_EQ(st, 0);
        ASSERT_EQ(ports[0], 1001);
        ASSERT_EQ(ports[1], 1000);
        /* another object, the nil one, no object: only the nil-object entry */
        ASSERT_EQ(map_ports(&b, req, &h, 4, ports, &st), 1);
        ASSERT_EQ(ports[0], 1000);
        ASSERT_EQ(map_ports(&nil, req, &h, 4, ports, &st), 1);
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 1);
        ASSERT_EQ(ports[0], 1000);
        /* compatible versions: 1.0-1.2 match the 1.2 entry, 1.3 and 2.0 do not */
        req->tower_octet_string[25] = 2;
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 1);
        req->tower_octet_string[25] = 3;
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 0);
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        req->tower_octet_string[25] = 0;
        req->tower_octet_string[21] = 2;
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 0);
        req->tower_octet_string[21] = 1;
        /* another transfer syntax (NDR64) or protocol: no */
        req->tower_octet_string[30] ^= 0xff;
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 0);
        req->tower_octet_string[30] ^= 0xff;
        req->tower_octet_string[61] = 0x08;     /* UDP */
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 0);
        req->tower_octet_string[61] = 0x07;
        ASSERT_EQ(map_ports(NULL, req, &h, 4, ports, &st), 1);
        ASSERT_NULL(h);
        free(req);
        reset();
}

TEST(map_paging) {
        twr_t *req = twr_from(tower0, sizeof tower0);
        ept_lookup_handle_t h = NULL;
        error_status_t st;
        uint16_t ports[16];

        reset();
        for (unsigned i = 0; i < 5; i++) {
                twr_t *t = tcp_tower((uint16_t)(2000 + i), NULL, 1, 0);
                ASSERT_OK(epm_insert_tower(NULL, t->tower_octet_string, t->tower_length, NULL, 0,
                                           false));
                free(t);
        }
        ASSERT_EQ(epm_count(), 5);
        ASSERT_EQ(map_ports(NULL, req, &h, 2, ports, &st), 2);
        ASSERT_EQ(st, 0);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(ports[0], 2000);
        ASSERT_EQ(ports[1], 2001);
        ASSERT_EQ(epm_open_handles(), 1);
        ASSERT_EQ(map_ports(NULL, req, &h, 2, ports, &st), 2);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(ports[0], 2002);
        ASSERT_EQ(ports[1], 2003);
        ASSERT_EQ(map_ports(NULL, req, &h, 2, ports, &st), 1);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h);
        ASSERT_EQ(ports[0], 2004);
        ASSERT_EQ(epm_open_handles(), 0);

        /* exactly max_towers: done in one call, handle null */
        ASSERT_EQ(map_ports(NULL, req, &h, 5, ports, &st), 5);
        ASSERT_NULL(h);
        /* abandoned midway: ept_lookup_handle_free */
        ASSERT_EQ(map_ports(NULL, req, &h, 1, ports, &st), 1);
        ASSERT_NOT_NULL(h);
        ASSERT_OK(epm_ept_lookup_handle_free(&binding, &h, &st));
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 0);
        /* or left open when the association ends: rundown */
        ASSERT_EQ(map_ports(NULL, req, &h, 1, ports, &st), 1);
        ASSERT_EQ(epm_open_handles(), 1);
        association_end();
        ASSERT_EQ(epm_open_handles(), 0);
        midl_user_free(h);
        h = NULL;
        /* entries removed between pages are not returned; none is returned twice */
        ASSERT_EQ(map_ports(NULL, req, &h, 2, ports, &st), 2);
        {
                struct ndr_interface m = mgmt_v1_0_s_interface;
                ASSERT_OK(epm_unregister(&m, NULL, RPC_PROTSEQ_TCP, "2002"));
                GUID seven_obj = guid_n(7);
                ASSERT_OK(epm_register(&m, &seven_obj, RPC_PROTSEQ_TCP, "3000", NULL, 0));
        }
        ASSERT_EQ(map_ports(NULL, req, &h, 8, ports, &st), 2);
        ASSERT_NULL(h);
        ASSERT_EQ(ports[0], 2003);
        ASSERT_EQ(ports[1], 2004);
        free(req);
        reset();
}

TEST(map_hostile_towers) {
        ept_lookup_handle_t h = NULL;
        twr_p_t towers[4] = { NULL };
        unsigned32 num;
        error_status_t st;

        reset();
        ASSERT_OK(epm_register(&mgmt_v1_0_s_interface, NULL, RPC_PROTSEQ_TCP, "135", NULL, 0));
        /* every prefix, directly through the EPV (the stub would copy the twr_t as is) */
        for (size_t i = 0; i < sizeof tower0; i++) {
                twr_t *t = twr_from(tower0, i);
                epm_server_epv.ept_map(NULL, NULL, t, &h, 4, &num, towers, &st);
                ASSERT_EQ(num, 0);
                ASSERT_NULL(h);
                ASSERT_NE(st, 0);
                free(t);
        }
        /* no tower at all */
        epm_server_epv.ept_map(NULL, NULL, NULL, &h, 4, &num, towers, &st);
        ASSERT_EQ(num, 0);
        ASSERT_NE(st, 0);
        ASSERT_OK(epm_ept_map(&binding, NULL, NULL, &h, 4, &num, towers, &st));
        ASSERT_EQ(num, 0);
        ASSERT_NE(st, 0);
        ASSERT_NULL(h);
        /* random mutations: no crash, no leak, no handle left */
        uint32_t s = 0xdeadbeef;
        for (unsigned iter = 0; iter < 20000; iter++) {
                twr_t *t = twr_from(tower0, sizeof tower0);
                for (unsigned k = 0; k < 3; k++) {
                        s ^= s << 13;
                        s ^= s >> 17;
                        s ^= s << 5;
                        t->tower_octet_string[s % sizeof tower0] = (uint8_t)(s >> 8);
                }
                epm_server_epv.ept_map(NULL, NULL, t, &h, 4, &num, towers, &st);
                ASSERT_LE(num, 1);
                for (unsigned32 i = 0; i < num; i++)
                        dcom_free(towers[i]);
                ASSERT_NULL(h);
                free(t);
        }
        reset();
}

/* --- ept_lookup ----------------------------------------------------------------------------- */

/* impacket's hept_lookup: call until the handle comes back null; returns the count. */
static unsigned lookup_all(unsigned32 inquiry, const GUID *obj, const rpc_if_id_t *ifid,
                           unsigned32 vers, unsigned32 max, uint16_t *ports, size_t n_ports,
                           unsigned *calls) {
        ept_lookup_handle_t h = NULL;
        unsigned total = 0;

        *calls = 0;
        do {
                ept_entry_t entries[8];
                unsigned32 num = 99;
                error_status_t st = 1;

                ASSERT_LE(max, 8);
                memset(entries, 0, sizeof entries);
                ASSERT_OK(epm_ept_lookup(&binding, inquiry, (uuid_p_t)obj, (rpc_if_id_p_t)ifid,
                                         vers, &h, max, &num, entries, &st));
                (*calls)++;
                ASSERT_LE(num, max);
                if (num == 0) {
                        ASSERT_HR_EQ(st, NOT_REGISTERED);
                        ASSERT_NULL(h);
                } else
                        ASSERT_EQ(st, 0);
                for (unsigned32 i = 0; i < num; i++) {
                        ASSERT_NOT_NULL(entries[i].tower);
                        if (total < n_ports)
                                ports[total] = tower_port(entries[i].tower);
                        total++;
                        midl_user_free(entries[i].tower);
                }
                ASSERT_LE(*calls, EPM_MAX_ENTRIES + 1);
        } while (h);
        return total;
}

/* Seven entries: interface 0x100 in versions 1.0 1.1 1.2 2.0 0.9, 0x200 v1.0, objects. */
static void seven(void) {
        static const struct { uint32_t n; uint16_t major, minor; uint32_t obj; } e[] = {
                { 0x100, 1, 0, 0 }, { 0x100, 1, 1, 0 }, { 0x100, 1, 2, 0xa }, { 0x100, 2, 0, 0 },
                { 0x100, 0, 9, 0 }, { 0x200, 1, 0, 0xa }, { 0x200, 1, 0, 0xb },
        };
        for (unsigned i = 0; i < ELEMENTSOF(e); i++) {
                struct rpc_tower_syntax s = { guid_n(e[i].n), e[i].major, e[i].minor };
                GUID obj = guid_n(e[i].obj);
                char port[8];
                uint8_t *b;
                size_t len;

                /* not epm_register(): 1.1 would replace 1.0 (same major, object, protseq) */
                snprintf(port, sizeof port, "%u", 4000 + i);
                ASSERT_OK(rpc_tower_build(&s, RPC_PROTSEQ_TCP, port, NULL, &b, &len));
                ASSERT_OK(epm_insert_tower(e[i].obj ? &obj : NULL, b, len, "seven", 0, false));
                dcom_free(b);
        }
        ASSERT_EQ(epm_count(), 7);
}

TEST(lookup_paging) {
        uint16_t ports[16];
        unsigned calls;

        reset();
        ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 3, ports, 16, &calls), 0);
        ASSERT_EQ(calls, 1);
        seven();
        ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 3, ports, 16, &calls), 7);
        ASSERT_EQ(calls, 3);
        for (unsigned i = 0; i < 7; i++)
                ASSERT_EQ(ports[i], 4000 + i);
        ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 7, ports, 16, &calls), 7);
        ASSERT_EQ(calls, 1);
        ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 1, ports, 16, &calls), 7);
        ASSERT_EQ(calls, 7);
        ASSERT_EQ(epm_open_handles(), 0);

        /* the entry's annotation and object travel */
        {
                ept_lookup_handle_t h = NULL;
                ept_entry_t entries[8];
                unsigned32 num;
                error_status_t st;
                GUID a = guid_n(0xa);

                memset(entries, 0, sizeof entries);
                ASSERT_OK(epm_ept_lookup(&binding, rpc_c_ep_match_by_obj, &a, NULL, 0, &h, 8, &num,
                                         entries, &st));
                ASSERT_EQ(num, 2);
                ASSERT_NULL(h);
                ASSERT_STR_EQ(entries[0].annotation, "seven");
                ASSERT_TRUE(dcom_guid_equal(&entries[1].object, &a));
                midl_user_free(entries[0].tower);
                midl_user_free(entries[1].tower);
                /* bad inquiry type or version option: refused */
                ASSERT_OK(epm_ept_lookup(&binding, 4, NULL, NULL, 0, &h, 8, &num, entries, &st));
                ASSERT_EQ(num, 0);
                ASSERT_HR_EQ(st, 0x16c9a0cd);
                rpc_if_id_t ifid = { guid_n(0x100), 1, 0 };
                ASSERT_OK(epm_ept_lookup(&binding, rpc_c_ep_match_by_if, NULL, &ifid, 6, &h, 8,
                                         &num, entries, &st));
                ASSERT_HR_EQ(st, 0x16c9a0cd);
                ASSERT_NULL(h);
        }
        reset();
}

TEST(lookup_inquiry_types) {
        rpc_if_id_t ifid = { guid_n(0x100), 1, 1 };
        GUID a = guid_n(0xa), b = guid_n(0xb);
        uint16_t p[16];
        unsigned calls;

        reset();
        seven();
        /* [MS-RPCE] 2.2.1.2.4 vers_option over 1.0 1.1 1.2 2.0 0.9, asking 1.1 */
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_if, NULL, &ifid, rpc_c_vers_all, 8, p, 16, &calls),
                  5);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_if, NULL, &ifid, rpc_c_vers_compatible, 8, p, 16,
                             &calls), 2);
        ASSERT_EQ(p[0], 4001);
        ASSERT_EQ(p[1], 4002);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_if, NULL, &ifid, rpc_c_vers_exact, 8, p, 16, &calls),
                  1);
        ASSERT_EQ(p[0], 4001);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_if, NULL, &ifid, rpc_c_vers_major_only, 8, p, 16,
                             &calls), 3);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_if, NULL, &ifid, rpc_c_vers_upto, 8, p, 16, &calls),
                  3);
        ASSERT_EQ(p[0], 4000);
        ASSERT_EQ(p[1], 4001);
        ASSERT_EQ(p[2], 4004);
        /* by object; by both; the interface ignored for by-object, the object for by-if */
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_obj, &a, &ifid, 99, 8, p, 16, &calls), 2);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_obj, &b, NULL, 0, 8, p, 16, &calls), 1);
        ASSERT_EQ(p[0], 4006);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_obj, NULL, NULL, 0, 8, p, 16, &calls), 4);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_both, &a, &ifid, rpc_c_vers_all, 8, p, 16,
                             &calls), 1);
        ASSERT_EQ(p[0], 4002);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_both, &b, &ifid, rpc_c_vers_all, 8, p, 16,
                             &calls), 0);
        ASSERT_EQ(lookup_all(rpc_c_ep_match_by_if, &b, &ifid, rpc_c_vers_all, 2, p, 16, &calls), 5);
        ASSERT_EQ(calls, 3);
        ASSERT_EQ(epm_open_handles(), 0);
        reset();
}

TEST(handles_of_the_wrong_kind) {
        ept_lookup_handle_t h = NULL;
        ept_entry_t entries[1];
        twr_p_t towers[1];
        unsigned32 num;
        error_status_t st;
        twr_t *req = twr_from(tower0, sizeof tower0);

        reset();
        seven();
        epm_server_epv.ept_lookup(NULL, rpc_c_ep_all_elts, NULL, NULL, 0, &h, 1, &num, entries,
                                  &st);
        ASSERT_EQ(num, 1);
        ASSERT_NOT_NULL(h);
        dcom_free(entries[0].tower);
        epm_server_epv.ept_map(NULL, NULL, req, &h, 1, &num, towers, &st);
        ASSERT_HR_EQ(st, 0x16c9a0cd);
        ASSERT_EQ(num, 0);
        ASSERT_NOT_NULL(h);
        ept_lookup_handle_t_rundown(h);
        ASSERT_EQ(epm_open_handles(), 0);
        /* max_ents 0 with matches: nothing returned, and no handle to hold (Samba's answer) */
        h = NULL;
        epm_server_epv.ept_lookup(NULL, rpc_c_ep_all_elts, NULL, NULL, 0, &h, 0, &num, entries,
                                  &st);
        ASSERT_EQ(num, 0);
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 0);
        uuid_t obj = guid_n(1);
        ASSERT_OK(epm_ept_inq_object(&binding, &obj, &st));
        ASSERT_EQ(st, 0);
        ASSERT_TRUE(dcom_guid_is_null(&obj));
        free(req);
        reset();
}

/* --- lookup handles: when one is opened, and how many -------------------------------------- */

/* One ept_lookup of everything over the loopback, on *h; the number of entries returned. */
static unsigned32 lookup_some(ept_lookup_handle_t *h, unsigned32 max, error_status_t *st) {
        ept_entry_t entries[16];
        unsigned32 num = 99;

        ASSERT_LE(max, 16);
        memset(entries, 0, sizeof entries);
        *st = 1;
        ASSERT_OK(epm_ept_lookup(&binding, rpc_c_ep_all_elts, NULL, NULL, 0, h, max, &num,
                                 entries, st));
        ASSERT_LE(num, max);
        for (unsigned32 i = 0; i < num; i++) {
                ASSERT_NOT_NULL(entries[i].tower);
                midl_user_free(entries[i].tower);
        }
        return num;
}

/* Three of impacket's towers (mgmt 1.0 over TCP, ports 2000-2002), for ept_map. */
static void three_mgmt(void) {
        for (unsigned i = 0; i < 3; i++) {
                twr_t *t = tcp_tower((uint16_t)(2000 + i), NULL, 1, 0);
                ASSERT_OK(epm_insert_tower(NULL, t->tower_octet_string, t->tower_length, NULL, 0,
                                           false));
                free(t);
        }
}

/* The association ended: its handles were run down; the client forgets its own. */
static void forget_client_handles(ept_lookup_handle_t *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                midl_user_free(v[i]);
                v[i] = NULL;
        }
}

/*
 * [MS-RPCE] 2.2.1.2.4: the last batch comes with a null handle.  A reply with every
 * match, or with none, or to max_ents 0 (the review's attack: each such lookup left a
 * handle behind until the association ended) holds nothing open.
 */
TEST(lookup_handle_only_while_more_remain) {
        twr_t *req = twr_from(tower0, sizeof tower0);
        ept_lookup_handle_t h = NULL;
        error_status_t st;

        reset();
        /* an empty map: nothing, no handle, whatever max_ents */
        ASSERT_EQ(lookup_some(&h, 0, &st), 0);
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_NULL(h);
        ASSERT_EQ(lookup_some(&h, 8, &st), 0);
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_NULL(h);
        seven();
        /* everything in one reply, exactly or with room to spare: no handle */
        ASSERT_EQ(lookup_some(&h, 7, &st), 7);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h);
        ASSERT_EQ(lookup_some(&h, 16, &st), 7);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 0);
        /* max_ents 0 with seven matches, many times over: no entries, no handle */
        for (unsigned i = 0; i < 1000; i++) {
                ASSERT_EQ(lookup_some(&h, 0, &st), 0);
                ASSERT_HR_EQ(st, NOT_REGISTERED);
                ASSERT_NULL(h);
        }
        ASSERT_EQ(epm_open_handles(), 0);
        /* max_ents 0 on an open handle: the lookup ends there, the handle closed */
        ASSERT_EQ(lookup_some(&h, 3, &st), 3);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 1);
        ASSERT_EQ(lookup_some(&h, 0, &st), 0);
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 0);
        /* the last page, exactly full: the handle comes back null with it */
        ASSERT_EQ(lookup_some(&h, 4, &st), 4);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(lookup_some(&h, 3, &st), 3);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 0);

        /* ept_map the same way: max_towers 0 holds nothing, on a new or an open handle */
        three_mgmt();
        for (unsigned i = 0; i < 100; i++) {
                ASSERT_EQ(map_ports(NULL, req, &h, 0, NULL, &st), 0);
                ASSERT_HR_EQ(st, NOT_REGISTERED);
                ASSERT_NULL(h);
        }
        ASSERT_EQ(epm_open_handles(), 0);
        ASSERT_EQ(map_ports(NULL, req, &h, 3, NULL, &st), 3);
        ASSERT_NULL(h);
        ASSERT_EQ(map_ports(NULL, req, &h, 1, NULL, &st), 1);
        ASSERT_NOT_NULL(h);
        ASSERT_EQ(map_ports(NULL, req, &h, 0, NULL, &st), 0);
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_NULL(h);
        ASSERT_EQ(epm_open_handles(), 0);
        free(req);
        reset();
}

/*
 * Each client (owner: its association) holds at most EPM_MAX_HANDLES_PER_OWNER handles.
 * One opening more gets ept_s_no_memory for new lookups and maps, while its open handles
 * and every other client keep paging; the total stays bounded whatever the number of
 * clients.  This test's calls come from outside the runtime: epm_set_foreign_call_owner()
 * makes them one client's or another's.
 */
TEST(lookup_handles_bounded_per_owner) {
        enum { MAX = EPM_MAX_HANDLES_PER_OWNER };
        ept_lookup_handle_t h[MAX + 1] = { NULL }, o[3] = { NULL };
        twr_t *req = twr_from(tower0, sizeof tower0);
        error_status_t st;
        uint16_t p[16];
        unsigned calls;

        ASSERT_LE(MAX + 3, MAX_CTX);            /* the harness's handle table holds them */
        reset();
        seven();
        three_mgmt();                           /* ten entries */

        /* client 7 opens lookups until refused */
        epm_set_foreign_call_owner(7);
        for (unsigned i = 0; i < MAX; i++) {
                ASSERT_EQ(lookup_some(&h[i], 1, &st), 1);
                ASSERT_EQ(st, 0);
                ASSERT_NOT_NULL(h[i]);
        }
        ASSERT_EQ(epm_open_handles_of(7), MAX);
        ASSERT_EQ(lookup_some(&h[MAX], 1, &st), 0);
        ASSERT_HR_EQ(st, EPT_S_NO_MEMORY_DCE);
        ASSERT_NULL(h[MAX]);
        ASSERT_EQ(map_ports(NULL, req, &h[MAX], 1, NULL, &st), 0);     /* ept_map too */
        ASSERT_HR_EQ(st, EPT_S_NO_MEMORY_DCE);
        ASSERT_NULL(h[MAX]);
        ASSERT_EQ(epm_open_handles(), MAX);
        /* what needs no handle it still gets: a lookup answered in one reply */
        ASSERT_EQ(lookup_some(&h[MAX], 16, &st), 10);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h[MAX]);
        ASSERT_EQ(map_ports(NULL, req, &h[MAX], 3, NULL, &st), 3);
        ASSERT_NULL(h[MAX]);
        /* its open handles keep paging; one finished makes room for another */
        ASSERT_EQ(lookup_some(&h[0], 16, &st), 9);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(h[0]);
        ASSERT_EQ(epm_open_handles_of(7), MAX - 1);
        ASSERT_EQ(lookup_some(&h[0], 2, &st), 2);
        ASSERT_NOT_NULL(h[0]);
        ASSERT_EQ(epm_open_handles_of(7), MAX);

        /* client 8 pages as if nobody else were there */
        epm_set_foreign_call_owner(8);
        ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 3, p, 16, &calls), 10);
        ASSERT_EQ(calls, 4);
        ASSERT_EQ(lookup_some(&o[0], 1, &st), 1);
        ASSERT_NOT_NULL(o[0]);
        ASSERT_EQ(epm_open_handles_of(8), 1);
        ASSERT_EQ(epm_open_handles_of(7), MAX);

        /* the total: with room for one more handle, client 9 gets it and client 10 not */
        epm_set_max_handles(MAX + 2);
        epm_set_foreign_call_owner(9);
        ASSERT_EQ(lookup_some(&o[1], 1, &st), 1);
        ASSERT_NOT_NULL(o[1]);
        epm_set_foreign_call_owner(10);
        ASSERT_EQ(lookup_some(&o[2], 1, &st), 0);
        ASSERT_HR_EQ(st, EPT_S_NO_MEMORY_DCE);
        ASSERT_NULL(o[2]);
        ASSERT_EQ(epm_open_handles(), MAX + 2);

        /* the associations end: every handle is run down, every count back to 0 */
        association_end();
        forget_client_handles(h, ELEMENTSOF(h));
        forget_client_handles(o, ELEMENTSOF(o));
        ASSERT_EQ(epm_open_handles(), 0);
        ASSERT_EQ(epm_open_handles_of(7), 0);
        ASSERT_EQ(epm_open_handles_of(8), 0);
        ASSERT_EQ(epm_open_handles_of(9), 0);
        /* ...and client 7 may page again */
        epm_set_foreign_call_owner(7);
        ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 1, p, 16, &calls), 10);
        ASSERT_EQ(calls, 10);
        free(req);
        reset();
}

/* Many clients, each opening lookups in bulk: the total is clients * the share, no more. */
TEST(lookup_handles_many_clients) {
        enum { MAX = EPM_MAX_HANDLES_PER_OWNER, CLIENTS = MAX_CTX / MAX - 1, TRIES = 50 };
        ept_lookup_handle_t h[CLIENTS][TRIES];
        error_status_t st;

        memset(h, 0, sizeof h);
        reset();
        seven();
        for (unsigned c = 0; c < CLIENTS; c++) {
                unsigned refused = 0;

                epm_set_foreign_call_owner(100 + c);
                for (unsigned i = 0; i < TRIES; i++) {
                        unsigned32 n = lookup_some(&h[c][i], 1, &st);

                        if (st == EPT_S_NO_MEMORY_DCE) {
                                ASSERT_EQ(n, 0);
                                ASSERT_NULL(h[c][i]);
                                refused++;
                        } else {
                                ASSERT_EQ(st, 0);
                                ASSERT_NOT_NULL(h[c][i]);
                        }
                }
                ASSERT_EQ(refused, TRIES - MAX);
                ASSERT_EQ(epm_open_handles_of(100 + c), MAX);
        }
        ASSERT_EQ(epm_open_handles(), CLIENTS * MAX);
        association_end();
        for (unsigned c = 0; c < CLIENTS; c++)
                forget_client_handles(h[c], TRIES);
        ASSERT_EQ(epm_open_handles(), 0);
        reset();
}

/* --- changing the map ------------------------------------------------------------------------ */

TEST(insert_delete_over_the_wire) {
        ept_entry_t e[2];
        error_status_t st;
        twr_t *t1 = tcp_tower(5000, NULL, 1, 0), *t2 = tcp_tower(5001, NULL, 1, 0);
        twr_t *bad = twr_from(tower0, 40);
        GUID a = guid_n(0xa);

        reset();
        memset(e, 0, sizeof e);
        e[0].tower = t1;
        strcpy(e[0].annotation, "first");
        e[1].tower = t2;
        e[1].object = a;
        /* a call from the network (not ncalrpc): refused, as Windows does */
        ASSERT_OK(epm_ept_insert(&binding, 2, e, 0, &st));
        ASSERT_HR_EQ(st, 0x16c9a0cd);
        ASSERT_EQ(epm_count(), 0);
        ASSERT_OK(epm_ept_mgmt_delete(&binding, 0, NULL, t1, &st));
        ASSERT_EQ(st, 5);

        epm_set_remote_management(true);
        ASSERT_OK(epm_ept_insert(&binding, 2, e, 0, &st));
        ASSERT_EQ(st, 0);
        ASSERT_EQ(epm_count(), 2);
        /* the same again: no duplicates, the annotation updated */
        strcpy(e[0].annotation, "again");
        ASSERT_OK(epm_ept_insert(&binding, 2, e, 0, &st));
        ASSERT_EQ(epm_count(), 2);
        {
                struct epm_entry_info *v;
                size_t n;
                ASSERT_OK(epm_list(&v, &n));
                ASSERT_EQ(n, 2);
                ASSERT_STR_EQ(v[0].annotation, "again");
                ASSERT_STR_EQ(v[0].protseq, "ncacn_ip_tcp");
                ASSERT_STR_EQ(v[0].endpoint, "5000");
                ASSERT_TRUE(dcom_guid_equal(&v[1].object, &a));
                ASSERT_EQ(v[1].tower_len, sizeof tower0);
                epm_list_free(v, n);
        }
        /* a batch with one bad tower: nothing inserted */
        e[1].tower = bad;
        e[0].tower = tcp_tower(5002, NULL, 1, 0);
        ASSERT_OK(epm_ept_insert(&binding, 2, e, 0, &st));
        ASSERT_HR_EQ(st, 0x16c9a0d3);
        ASSERT_EQ(epm_count(), 2);
        /* replace: same interface, object and protocols, another port */
        ASSERT_OK(epm_ept_insert(&binding, 1, e, 1, &st));
        ASSERT_EQ(st, 0);
        ASSERT_EQ(epm_count(), 2);
        free(e[0].tower);

        /* delete: all or none */
        e[0].tower = t1;                        /* replaced: gone */
        e[1].tower = t2;
        e[1].object = a;
        ASSERT_OK(epm_ept_delete(&binding, 2, e, &st));
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_EQ(epm_count(), 2);
        ASSERT_OK(epm_ept_delete(&binding, 1, e + 1, &st));
        ASSERT_EQ(st, 0);
        ASSERT_EQ(epm_count(), 1);
        /* mgmt_delete: by tower (the host floor does not matter) and object if given */
        twr_t *t3 = tcp_tower(5002, "\x01\x02\x03\x04", 1, 0);
        ASSERT_OK(epm_ept_mgmt_delete(&binding, 1, &a, t3, &st));
        ASSERT_HR_EQ(st, NOT_REGISTERED);
        ASSERT_OK(epm_ept_mgmt_delete(&binding, 0, NULL, bad, &st));
        ASSERT_HR_EQ(st, 0x16c9a0d3);
        ASSERT_OK(epm_ept_mgmt_delete(&binding, 0, &a, t3, &st));
        ASSERT_EQ(st, 0);
        ASSERT_EQ(epm_count(), 0);
        free(t1);
        free(t2);
        free(t3);
        free(bad);
        reset();
}

TEST(owners_and_bounds) {
        struct ndr_interface itf = iface_n(0x300, 1, 0);
        char port[8];
        int r = 0;
        unsigned i;

        reset();
        /* a local server's entries go with its association */
        ASSERT_OK(epm_register(&itf, NULL, RPC_PROTSEQ_TCP, "1", NULL, 42));
        ASSERT_OK(epm_register(&itf, NULL, RPC_PROTSEQ_LRPC, "x", NULL, 42));
        ASSERT_OK(epm_register(&itf, NULL, RPC_PROTSEQ_LRPC, "y", NULL, 43));
        ASSERT_EQ(epm_count(), 3);              /* y does not replace another owner's x */
        ASSERT_OK(epm_register(&itf, NULL, RPC_PROTSEQ_LRPC, "z", NULL, 42));
        ASSERT_EQ(epm_count(), 3);              /* z replaces x: same owner, interface, protseq */
        epm_forget_owner(42);
        ASSERT_EQ(epm_count(), 1);
        epm_forget_owner(0);
        ASSERT_EQ(epm_count(), 1);
        epm_forget_owner(43);
        ASSERT_EQ(epm_count(), 0);

        /* one owner's share */
        for (i = 0; i < EPM_MAX_ENTRIES_PER_OWNER + 1 && r >= 0; i++) {
                struct ndr_interface x = iface_n(0x1000 + i, 1, 0);
                r = epm_register(&x, NULL, RPC_PROTSEQ_TCP, "7", NULL, 7);
        }
        ASSERT_ERRNO(r, -ENOSPC);
        ASSERT_EQ(i, EPM_MAX_ENTRIES_PER_OWNER + 1);
        ASSERT_EQ(epm_count(), EPM_MAX_ENTRIES_PER_OWNER);
        epm_forget_owner(7);
        ASSERT_EQ(epm_count(), 0);
        /* the whole map */
        r = 0;
        for (i = 0; i < EPM_MAX_ENTRIES + 1 && r >= 0; i++) {
                struct ndr_interface x = iface_n(0x1000 + i, 1, 0);
                r = epm_register(&x, NULL, RPC_PROTSEQ_TCP, "7", NULL, 0);
        }
        ASSERT_ERRNO(r, -ENOSPC);
        ASSERT_EQ(epm_count(), EPM_MAX_ENTRIES);
        {
                ept_entry_t e;
                error_status_t st;
                memset(&e, 0, sizeof e);
                e.tower = tcp_tower(9, NULL, 1, 0);
                ASSERT_OK(epm_ept_insert(&binding, 1, &e, 0, &st));  /* remote mgmt: none yet */
                ASSERT_HR_EQ(st, 0x16c9a0cd);
                epm_set_remote_management(true);
                ASSERT_OK(epm_ept_insert(&binding, 1, &e, 0, &st));
                ASSERT_HR_EQ(st, 0x16c9a0ce);
                free(e.tower);
        }
        /* a full map still pages in bounded steps */
        {
                uint16_t p[1];
                unsigned calls;
                ASSERT_EQ(lookup_all(rpc_c_ep_all_elts, NULL, NULL, 0, 8, p, 0, &calls),
                          EPM_MAX_ENTRIES);
                ASSERT_EQ(calls, EPM_MAX_ENTRIES / 8);
        }
        /* bad arguments */
        snprintf(port, sizeof port, "x");
        ASSERT_ERRNO(epm_register(&itf, NULL, RPC_PROTSEQ_TCP, port, NULL, 0), -EINVAL);
        ASSERT_ERRNO(epm_register(NULL, NULL, RPC_PROTSEQ_TCP, "1", NULL, 0), -EINVAL);
        ASSERT_ERRNO(epm_register(&itf, NULL, RPC_PROTSEQ_NONE, "1", NULL, 0), -EINVAL);
        ASSERT_ERRNO(epm_unregister(&itf, NULL, RPC_PROTSEQ_TCP, "1"), -ENOENT);
        ASSERT_ERRNO(epm_insert_tower(NULL, tower0, 40, NULL, 0, false), -EBADMSG);
        ASSERT_ERRNO(epm_insert_tower(NULL, NULL, 0, NULL, 0, false), -EBADMSG);
        reset();
}

/* --- threads and out of memory -------------------------------------------------------------- */

static void *worker(void *arg) {
        unsigned id = (unsigned)(uintptr_t)arg;

        for (unsigned i = 0; i < 300; i++) {
                struct ndr_interface x = iface_n(0x5000 + id * 1000 + i % 20, 1, 0);
                ept_lookup_handle_t h = NULL;
                ept_entry_t entries[4];
                unsigned32 num;
                error_status_t st;

                if (epm_register(&x, NULL, RPC_PROTSEQ_TCP, "1", NULL, id + 1) < 0)
                        return (void *)1;
                do {
                        epm_server_epv.ept_lookup(NULL, rpc_c_ep_all_elts, NULL, NULL, 0, &h, 4,
                                                  &num, entries, &st);
                        for (unsigned32 k = 0; k < num; k++)
                                dcom_free(entries[k].tower);
                } while (h);
                if (i % 3 == 0)
                        (void)epm_unregister(&x, NULL, RPC_PROTSEQ_TCP, "1");
        }
        epm_forget_owner(id + 1);
        return NULL;
}

TEST(threads) {
        pthread_t t[6];

        reset();
        for (uintptr_t i = 0; i < 6; i++)
                ASSERT_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0);
        for (int i = 0; i < 6; i++) {
                void *ret;
                ASSERT_EQ(pthread_join(t[i], &ret), 0);
                ASSERT_NULL(ret);
        }
        ASSERT_EQ(epm_count(), 0);
        ASSERT_EQ(epm_open_handles(), 0);
}

static int oom_register(void *ctx) {
        (void)ctx;
        return epm_register(&mgmt_v1_0_s_interface, NULL, RPC_PROTSEQ_TCP, "135", "oom", 0);
}

static int oom_lookup(void *ctx) {
        ept_lookup_handle_t h = NULL;
        ept_entry_t entries[2];
        unsigned32 num;
        error_status_t st;

        (void)ctx;
        epm_server_epv.ept_lookup(NULL, rpc_c_ep_all_elts, NULL, NULL, 0, &h, 2, &num, entries,
                                  &st);
        for (unsigned32 k = 0; k < num; k++)
                dcom_free(entries[k].tower);
        if (h)
                ept_lookup_handle_t_rundown(h);
        return st == 0 ? 0 : -ENOMEM;
}

static int oom_map(void *ctx) {
        twr_t *req = ctx;
        ept_lookup_handle_t h = NULL;
        twr_p_t towers[1];
        unsigned32 num;
        error_status_t st;

        epm_server_epv.ept_map(NULL, NULL, req, &h, 1, &num, towers, &st);
        for (unsigned32 k = 0; k < num; k++)
                dcom_free(towers[k]);
        if (h)
                ept_lookup_handle_t_rundown(h);
        return st == 0 ? 0 : -ENOMEM;
}

static void oom_reset(void *ctx) {
        (void)ctx;
        epm_reset();
}

TEST(out_of_memory) {
        twr_t *req = twr_from(tower0, sizeof tower0);

        reset();
        ASSERT_GT(ASSERT_OOM_LOOP(oom_register, oom_reset, NULL), 1);
        for (unsigned i = 0; i < 3; i++) {
                twr_t *t = tcp_tower((uint16_t)(100 + i), NULL, 1, 0);
                ASSERT_OK(epm_insert_tower(NULL, t->tower_octet_string, t->tower_length, NULL, 0,
                                           false));
                free(t);
        }
        ASSERT_GT(ASSERT_OOM_LOOP(oom_lookup, NULL, NULL), 1);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_map, NULL, req), 1);
        ASSERT_EQ(epm_count(), 3);
        ASSERT_EQ(epm_open_handles(), 0);
        free(req);
        reset();
}

/*
 * Over TCP, a tower registered on every address (host 0.0.0.0) is listed with the
 * address the client reached the endpoint mapper at, as Windows lists its own.
 */
TEST(lookup_names_the_address_reached) {
        struct rpc_server *s = rpc_server_new();
        struct rpc_binding *b;
        ept_lookup_handle_t h = NULL;
        ept_entry_t entries[4];
        unsigned32 num = 0;
        error_status_t st = 1;
        struct rpc_tower t;
        uint16_t port;
        char sb[64];

        reset();
        ASSERT_NOT_NULL(s);
        ASSERT_OK(rpc_server_register_if(s, &epm_v3_0_s_interface, &epm_server_epv));
        ASSERT_OK(rpc_server_listen_tcp(s, "127.0.0.1", 0, &port));
        ASSERT_OK(epm_register(&mgmt_v1_0_s_interface, NULL, RPC_PROTSEQ_TCP, "4242", "any", 0));
        snprintf(sb, sizeof sb, "ncacn_ip_tcp:127.0.0.1[%u]", (unsigned)port);
        ASSERT_OK(rpc_binding_from_string(sb, &b));
        memset(entries, 0, sizeof entries);
        ASSERT_OK(epm_ept_lookup((handle_t)b, rpc_c_ep_all_elts, NULL, NULL, 0, &h, 4, &num,
                                 entries, &st));
        ASSERT_EQ(st, 0);
        ASSERT_EQ(num, 1);
        ASSERT_OK(rpc_tower_parse(entries[0].tower->tower_octet_string,
                                  entries[0].tower->tower_length, &t));
        ASSERT_EQ(t.n_floors, 5);
        ASSERT_EQ(t.floors[4].lhs[0], RPC_TOWER_PROTO_IP);
        ASSERT_MEM_EQ(t.floors[4].rhs, "\x7f\x00\x00\x01", 4);
        ASSERT_EQ(tower_port(entries[0].tower), 4242);
        midl_user_free(entries[0].tower);
        /* the map itself is unchanged: the stored tower keeps its wildcard */
        {
                struct epm_entry_info *v;
                size_t n;
                ASSERT_OK(epm_list(&v, &n));
                ASSERT_EQ(n, 1);
                ASSERT_OK(rpc_tower_parse(v[0].tower, v[0].tower_len, &t));
                ASSERT_MEM_EQ(t.floors[4].rhs, "\x00\x00\x00\x00", 4);
                epm_list_free(v, n);
        }
        rpc_binding_free(b);
        rpc_server_free(s);
        reset();
}
