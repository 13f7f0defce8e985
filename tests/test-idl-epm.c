/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * idl/epm.idl and idl/mgmt.idl as dcomidl compiles them for the runtime: client stub ->
 * bytes -> server dispatch -> implementation -> back, checked against independent peers.
 *   - impacket 0.10's ept_map request (hept_map's tower for mgmt over ncacn_ip_tcp,
 *     captured offline from epm.ept_map().getData()) equals our client's bytes except
 *     impacket's random referent ID and pad byte, and our server pulls it as is;
 *   - impacket's ept_map response (max_count 1 where size_is says max_towers: accepted)
 *     pulls into our client;
 *   - Samba's ndrdump --validate decodes our ept_map request and response, ept_lookup's
 *     response and mgmt's inq_if_ids response (skipped without samba-testsuite).
 */
#include <stdio.h>
#include <unistd.h>

#include "epm_stub.h"
#include "mgmt_stub.h"
#include "test.h"

/* The tower floors hept_map builds: mgmt 1.0, NDR 2.0, RPC v5, TCP port 0, IP 0.0.0.0. */
static const uint8_t tower0[75] = {
        0x05, 0x00, 0x13, 0x00, 0x0d, 0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9, 0x11, 0xbe, 0xf4,
        0x08, 0x00, 0x2b, 0x10, 0x29, 0x89, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0d,
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* impacket's ept_map request: obj NULL, map_tower (ID 0xb3a6), null handle, max_towers 4 */
static const uint8_t impacket_map_req[] = {
        0x00, 0x00, 0x00, 0x00, 0xa6, 0xb3, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00,
        0x00, 0x05, 0x00, 0x13, 0x00, 0x0d, 0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9, 0x11, 0xbe,
        0xf4, 0x08, 0x00, 0x2b, 0x10, 0x29, 0x89, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00,
        0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
        0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xab, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
};

/* impacket's ept_map response: null handle, 1 tower (port 49152 on 127.0.0.1), status 0 */
static const uint8_t impacket_map_resp[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xda, 0x90, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x4b,
        0x00, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00, 0x0d, 0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9,
        0x11, 0xbe, 0xf4, 0x08, 0x00, 0x2b, 0x10, 0x29, 0x89, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x13, 0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00,
        0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00, 0xc0, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x7f,
        0x00, 0x00, 0x01, 0xbf, 0x00, 0x00, 0x00, 0x00,
};

static twr_t *make_tower(uint16_t port, const uint8_t ip[4]) {
        twr_t *t = malloc(sizeof *t + sizeof tower0);
        ASSERT_NOT_NULL(t);
        t->tower_length = sizeof tower0;
        memcpy(t->tower_octet_string, tower0, sizeof tower0);
        t->tower_octet_string[sizeof tower0 - 11] = (uint8_t)(port >> 8);      /* big-endian */
        t->tower_octet_string[sizeof tower0 - 10] = (uint8_t)port;
        memcpy(t->tower_octet_string + sizeof tower0 - 4, ip, 4);
        return t;
}

/* --- the server -------------------------------------------------------------------------- */

static unsigned calls;
static twr_t last_tower_hdr;
static uint8_t last_tower[128];
static unsigned32 last_max;
static int map_count = 1;

static void impl_insert(handle_t h, unsigned32 n, ept_entry_t *e, boolean32 replace,
                        error_status_t *st) {
        *st = 0;
}

static void impl_delete(handle_t h, unsigned32 n, ept_entry_t *e, error_status_t *st) {
        *st = 0;
}

static void impl_lookup(handle_t h, unsigned32 inquiry, uuid_p_t object, rpc_if_id_p_t ifid,
                        unsigned32 vers, ept_lookup_handle_t *entry, unsigned32 max,
                        unsigned32 *num, ept_entry_t *entries, error_status_t *st) {
        calls++;
        *num = max < 2 ? max : 2;
        for (unsigned32 i = 0; i < *num; i++) {
                entries[i].object.Data1 = i + 1;
                snprintf(entries[i].annotation, sizeof entries[i].annotation, "entry %u", i);
                twr_t *t = midl_user_allocate(sizeof *t + sizeof tower0);
                t->tower_length = sizeof tower0;
                memcpy(t->tower_octet_string, tower0, sizeof tower0);
                entries[i].tower = t;
        }
        *entry = NULL;
        *st = 0;
}

static void impl_map(handle_t h, uuid_p_t object, twr_p_t tower, ept_lookup_handle_t *entry,
                     unsigned32 max, unsigned32 *num, twr_p_t *towers, error_status_t *st) {
        calls++;
        last_max = max;
        memset(&last_tower_hdr, 0, sizeof last_tower_hdr);
        if (tower && tower->tower_length <= sizeof last_tower) {
                last_tower_hdr = *tower;
                memcpy(last_tower, tower->tower_octet_string, tower->tower_length);
        }
        *num = 0;
        for (int i = 0; i < map_count && (unsigned32)i < max; i++) {
                twr_t *t = midl_user_allocate(sizeof *t + sizeof tower0);
                t->tower_length = sizeof tower0;
                memcpy(t->tower_octet_string, tower0, sizeof tower0);
                t->tower_octet_string[sizeof tower0 - 11] = 0xc0;       /* port 49152 */
                memcpy(t->tower_octet_string + sizeof tower0 - 4, "\x7f\0\0\x01", 4);
                towers[(*num)++] = t;
        }
        *entry = NULL;
        *st = 0;
}

static void impl_handle_free(handle_t h, ept_lookup_handle_t *entry, error_status_t *st) {
        *entry = NULL;
        *st = 0;
}

static void impl_inq_object(handle_t h, uuid_t *obj, error_status_t *st) {
        memset(obj, 0, sizeof *obj);
        obj->Data1 = 0xabcdef;
        *st = 0;
}

static void impl_mgmt_delete(handle_t h, boolean32 speced, uuid_p_t obj, twr_p_t t,
                             error_status_t *st) {
        *st = 0x16c9a0d6;       /* ept_s_not_registered */
}

static const struct epm_v3_0_epv epm_impl = {
        impl_insert, impl_delete, impl_lookup, impl_map, impl_handle_free, impl_inq_object,
        impl_mgmt_delete,
};

static void impl_inq_if_ids(handle_t h, rpc_if_id_vector_p_t *v, error_status_t *st) {
        rpc_if_id_vector_t *vec = midl_user_allocate(sizeof *vec + 2 * sizeof vec->if_id[0]);
        calls++;
        vec->count = 2;
        for (int i = 0; i < 2; i++) {
                rpc_if_id_t *id = midl_user_allocate(sizeof *id);
                id->uuid = i ? epm_v3_0_s_interface.uuid : mgmt_v1_0_s_interface.uuid;
                id->vers_major = i ? 3 : 1;
                id->vers_minor = 0;
                vec->if_id[i] = id;
        }
        *v = vec;
        *st = 0;
}

static void impl_inq_stats(handle_t h, unsigned32 *count, unsigned32 *stats, error_status_t *st) {
        if (*count > 4)
                *count = 4;
        for (unsigned32 i = 0; i < *count; i++)
                stats[i] = 100 + i;
        *st = 0;
}

static boolean32 impl_listening(handle_t h, error_status_t *st) {
        *st = 0;
        return 1;
}

static void impl_stop(handle_t h, error_status_t *st) {
        *st = 5;        /* rpc_s_access_denied-ish: refused */
}

static void impl_princ(handle_t h, unsigned32 authn, unsigned32 size, char *name,
                       error_status_t *st) {
        snprintf(name, size, "opendcom/host");
        *st = 0;
}

static const struct mgmt_v1_0_epv mgmt_impl = {
        impl_inq_if_ids, impl_inq_stats, impl_listening, impl_stop, impl_princ,
};

/* The runtime's context handle table, in small: nothing is ever open. */
static int no_lookup(struct ndr_context_table *t, const struct ndr_context_handle *w, void **ret) {
        return -EBADMSG;
}

static int null_store(struct ndr_context_table *t, void *ctx, struct ndr_context_handle *w,
                       void (*rundown)(void *)) {
        ASSERT_NULL(ctx);
        memset(w, 0, sizeof *w);
        return 0;
}

/* MIDL's rundown convention: the runtime's table would call it at association end */
void ept_lookup_handle_t_rundown(void *ctx) {
        (void)ctx;
}

static struct ndr_context_table contexts = { no_lookup, null_store };

/* --- loopback ---------------------------------------------------------------------------- */

static uint8_t req_buf[8192], resp_buf[8192];
static size_t req_len, resp_len;
static const uint8_t *fake_resp;
static size_t fake_len;

static int dispatch(const struct ndr_interface *iface, uint16_t opnum, const uint8_t *req,
                    size_t len, struct ndr_push *out) {
        struct ndr_pull in;
        struct arena a;
        bool is_epm = memcmp(&iface->uuid, &epm_v3_0_s_interface.uuid, sizeof(GUID)) == 0;
        int r;

        arena_init(&a, 1 << 20);
        ASSERT_OK(ndr_pull_init(&in, req, len, NULL, &a));
        struct ndr_server_call call = {
                .in = &in, .out = out, .arena = &a, .contexts = &contexts,
                .impl = is_epm ? (const void *)&epm_impl : &mgmt_impl,
        };
        r = is_epm ? epm_v3_0_dispatch(&call, opnum) : mgmt_v1_0_dispatch(&call, opnum);
        arena_reset(&a);
        return r;
}

static int loop_call(struct ndr_binding *b, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct ndr_push o;
        int r;

        ASSERT_OK(ndr_push_error(in));
        ASSERT_LE(in->buf.len, sizeof req_buf);
        req_len = in->buf.len;
        if (req_len)
                memcpy(req_buf, in->buf.data, req_len);
        ndr_push_init(&o, 0);
        r = dispatch(iface, opnum, req_buf, req_len, &o);
        if (r >= 0) {
                ASSERT_LE(o.buf.len, sizeof resp_buf);
                resp_len = o.buf.len;
                if (resp_len)
                        memcpy(resp_buf, o.buf.data, resp_len);
        }
        ndr_push_free(&o);
        if (r < 0)
                return r;
        const uint8_t *src = fake_resp ? fake_resp : resp_buf;
        size_t n = fake_resp ? fake_len : resp_len;
        uint8_t *p = arena_alloc(arena, n ? n : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, src, n);
        return ndr_pull_init(out, p, n, NULL, arena);
}

static struct ndr_binding binding = { .call = loop_call, .ctx = NULL };

/* --- ndrdump ----------------------------------------------------------------------------- */

static bool have_ndrdump(void) {
        if (access("/usr/bin/ndrdump", X_OK) == 0)
                return true;
        fprintf(stderr, "note: ndrdump not installed (samba-testsuite): Samba cross-check skipped\n");
        return false;
}

/* ndrdump --validate on data; for "out", the request (req) gives the [in] sizes. */
static void ndrdump(const uint8_t *data, size_t len, const char *pipe, const char *fn,
                    const char *kind, const char *expect) {
        char path[] = "/tmp/test-idl-epm-XXXXXX", ctx[] = "/tmp/test-idl-epm-XXXXXX";
        char cmd[512], out[32768];
        size_t n = 0;
        int fd = mkstemp(path), cfd = mkstemp(ctx);

        ASSERT_GE(fd, 0);
        ASSERT_GE(cfd, 0);
        ASSERT_EQ(write(fd, data, len), (ssize_t)len);
        ASSERT_EQ(write(cfd, req_buf, req_len), (ssize_t)req_len);
        close(fd);
        close(cfd);
        snprintf(cmd, sizeof cmd, "/usr/bin/ndrdump --validate %s %s %s %s%s %s 2>&1", pipe, fn,
                 kind, strcmp(kind, "out") == 0 ? "--context-file=" : "",
                 strcmp(kind, "out") == 0 ? ctx : "", path);
        FILE *f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        while (n < sizeof out - 1) {
                size_t m = fread(out + n, 1, sizeof out - 1 - n, f);
                if (!m)
                        break;
                n += m;
        }
        out[n] = 0;
        int status = pclose(f);
        unlink(path);
        unlink(ctx);
        if (status != 0 || !strstr(out, "dump OK") || (expect && !strstr(out, expect)))
                test_fail(__FILE__, __LINE__, "ndrdump %s %s %s:\n%s", pipe, fn, kind, out);
}

/* --- ept_map ------------------------------------------------------------------------------ */

TEST(ept_map_request_as_impacket) {
        static const uint8_t zero_ip[4] = { 0 };
        twr_t *t = make_tower(0, zero_ip);
        ept_lookup_handle_t entry = NULL;
        unsigned32 num = 0;
        twr_p_t towers[4] = { NULL };
        error_status_t st = 1;
        uint8_t want[sizeof impacket_map_req];

        ASSERT_OK(epm_ept_map(&binding, NULL, t, &entry, 4, &num, towers, &st));
        /* impacket's bytes but for its referent ID (ours: 0x00020000) and pad (ours: 0) */
        memcpy(want, impacket_map_req, sizeof want);
        memcpy(want + 4, "\x00\x00\x02\x00", 4);
        want[91] = 0;
        ASSERT_EQ(req_len, sizeof want);
        ASSERT_MEM_EQ(req_buf, want, sizeof want);
        ASSERT_EQ(st, 0);
        ASSERT_EQ(num, 1);
        ASSERT_NOT_NULL(towers[0]);
        ASSERT_EQ(towers[0]->tower_length, 75);
        ASSERT_EQ(towers[0]->tower_octet_string[64], 0xc0);
        ASSERT_NULL(towers[1]);
        midl_user_free(towers[0]);
        if (have_ndrdump()) {
                ndrdump(req_buf, req_len, "epmapper", "epm_Map", "in", "max_towers               : 0x00000004 (4)");
                ndrdump(resp_buf, resp_len, "epmapper", "epm_Map", "out", "num_towers               : *");
        }
        free(t);
}

TEST(ept_map_server_pulls_impacket) {
        struct ndr_push o;

        calls = 0;
        ndr_push_init(&o, 0);
        ASSERT_OK(dispatch(&epm_v3_0_s_interface, 3, impacket_map_req, sizeof impacket_map_req, &o));
        ASSERT_EQ(calls, 1);
        ASSERT_EQ(last_max, 4);
        ASSERT_EQ(last_tower_hdr.tower_length, 75);
        ASSERT_MEM_EQ(last_tower, tower0, 75);
        /* the response: null handle, num_towers 1, max_count 4, offset 0, actual 1, ... */
        static const uint8_t head[] = {
                0x01, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x4b, 0, 0, 0, 0x4b, 0, 0, 0,
        };
        ASSERT_GE(o.buf.len, 20 + sizeof head);
        ASSERT_MEM_EQ(o.buf.data + 20, head, 20);
        ndr_push_free(&o);
        /* every prefix of impacket's request is refused */
        for (size_t i = 0; i < sizeof impacket_map_req; i++) {
                uint8_t *cut = malloc(i ? i : 1);
                memcpy(cut, impacket_map_req, i);
                ndr_push_init(&o, 0);
                ASSERT_ERRNO(dispatch(&epm_v3_0_s_interface, 3, cut, i, &o), -EBADMSG);
                ndr_push_free(&o);
                free(cut);
        }
        /* opnum 7 is reserved */
        ndr_push_init(&o, 0);
        ASSERT_ERRNO(dispatch(&epm_v3_0_s_interface, 7, NULL, 0, &o), -EOPNOTSUPP);
        ndr_push_free(&o);
}

TEST(ept_map_client_pulls_impacket) {
        static const uint8_t zero_ip[4] = { 0 };
        twr_t *t = make_tower(0, zero_ip);
        ept_lookup_handle_t entry = NULL;
        unsigned32 num = 0;
        twr_p_t towers[4] = { NULL };
        error_status_t st = 1;

        fake_resp = impacket_map_resp;
        fake_len = sizeof impacket_map_resp;
        ASSERT_OK(epm_ept_map(&binding, NULL, t, &entry, 4, &num, towers, &st));
        ASSERT_EQ(num, 1);
        ASSERT_EQ(st, 0);
        ASSERT_NULL(entry);
        ASSERT_NOT_NULL(towers[0]);
        ASSERT_EQ(towers[0]->tower_length, 75);
        ASSERT_MEM_EQ(towers[0]->tower_octet_string + 71, "\x7f\0\0\x01", 4);
        midl_user_free(towers[0]);
        /* more towers than the caller's max_towers: refused, nothing leaks */
        ASSERT_ERRNO(epm_ept_map(&binding, NULL, t, &entry, 0, &num, towers, &st), -EBADMSG);
        /* truncated */
        for (size_t cut = 0; cut < sizeof impacket_map_resp; cut++) {
                fake_len = cut;
                towers[0] = NULL;
                ASSERT_ERRNO(epm_ept_map(&binding, NULL, t, &entry, 4, &num, towers, &st), -EBADMSG);
                ASSERT_NULL(towers[0]);
        }
        fake_resp = NULL;
        free(t);
}

TEST(ept_lookup_and_friends) {
        ept_lookup_handle_t entry = NULL;
        unsigned32 num = 0;
        ept_entry_t entries[3];
        error_status_t st = 1;
        rpc_if_id_t ifid = { mgmt_v1_0_s_interface.uuid, 1, 0 };

        memset(entries, 0, sizeof entries);
        ASSERT_OK(epm_ept_lookup(&binding, 1, NULL, &ifid, 1, &entry, 3, &num, entries, &st));
        ASSERT_EQ(num, 2);
        ASSERT_EQ(entries[1].object.Data1, 2);
        ASSERT_STR_EQ(entries[1].annotation, "entry 1");
        ASSERT_NOT_NULL(entries[1].tower);
        ASSERT_EQ(entries[1].tower->tower_length, 75);
        midl_user_free(entries[0].tower);
        midl_user_free(entries[1].tower);
        if (have_ndrdump()) {
                ndrdump(req_buf, req_len, "epmapper", "epm_Lookup", "in", NULL);
                ndrdump(resp_buf, resp_len, "epmapper", "epm_Lookup", "out", "annotation               : 'entry 1'");
        }
        uuid_t obj;
        ASSERT_OK(epm_ept_inq_object(&binding, &obj, &st));
        ASSERT_EQ(obj.Data1, 0xabcdef);
        ASSERT_OK(epm_ept_mgmt_delete(&binding, 0, NULL, NULL, &st));
        ASSERT_EQ(st, 0x16c9a0d6);
}

/* --- mgmt ---------------------------------------------------------------------------------- */

TEST(mgmt_calls) {
        rpc_if_id_vector_p_t v = NULL;
        error_status_t st = 1;
        boolean32 listening = 0;

        ASSERT_OK(mgmt_rpc__mgmt_inq_if_ids(&binding, &v, &st));
        ASSERT_NOT_NULL(v);
        ASSERT_EQ(v->count, 2);
        ASSERT_EQ(v->if_id[1]->vers_major, 3);
        ASSERT_TRUE(memcmp(&v->if_id[1]->uuid, &epm_v3_0_s_interface.uuid, sizeof(GUID)) == 0);
        midl_user_free(v->if_id[0]);
        midl_user_free(v->if_id[1]);
        midl_user_free(v);
        if (have_ndrdump())
                ndrdump(resp_buf, resp_len, "mgmt", "mgmt_inq_if_ids", "out",
                        "if_id: struct ndr_syntax_id");

        unsigned32 count = 8, stats[8] = { 0 };
        ASSERT_OK(mgmt_rpc__mgmt_inq_stats(&binding, &count, stats, &st));
        ASSERT_EQ(count, 4);
        ASSERT_EQ(stats[3], 103);

        ASSERT_OK(mgmt_rpc__mgmt_is_server_listening(&binding, &st, &listening));
        ASSERT_EQ(listening, 1);
        ASSERT_OK(mgmt_rpc__mgmt_stop_server_listening(&binding, &st));
        ASSERT_EQ(st, 5);

        char name[32];
        ASSERT_OK(mgmt_rpc__mgmt_inq_princ_name(&binding, 9, sizeof name, name, &st));
        ASSERT_STR_EQ(name, "opendcom/host");
        ASSERT_OK(mgmt_rpc__mgmt_inq_princ_name(&binding, 9, 4, name, &st));
        ASSERT_STR_EQ(name, "ope");
}
