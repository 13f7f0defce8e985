/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The remote management interface every server answers ([C706] appendix Q; [MS-RPCE]
 * 3.1.3, idl/mgmt.idl): the interfaces it serves, its counters, whether it listens, its
 * principal name; stopping it remotely is refused.
 */
#include <errno.h>
#include <string.h>

#include "mgmt_stub.h"
#include "rpc/rpc-server.h"

static struct rpc_server *server_of(handle_t h) {
        const struct ndr_server_call *call = h;
        const struct rpc_call_info *i = call ? call->runtime : NULL;
        return i && i->conn ? i->conn->srv : NULL;
}

static void mgmt_inq_if_ids(handle_t h, rpc_if_id_vector_p_t *ret, error_status_t *st) {
        struct rpc_server *srv = server_of(h);
        const struct ndr_interface *ifs[RPC_SERVER_MAX_IFS];
        unsigned n = srv ? rpc_server_interfaces(srv, ifs, RPC_SERVER_MAX_IFS) : 0;
        rpc_if_id_vector_t *v = midl_user_allocate(sizeof *v + n * sizeof v->if_id[0]);

        *ret = NULL;
        if (!v) {
                *st = RPC_S_OUT_OF_MEMORY;
                return;
        }
        v->count = n;
        for (unsigned i = 0; i < n; i++) {
                rpc_if_id_t *id = midl_user_allocate(sizeof *id);
                if (!id) {
                        *st = RPC_S_OUT_OF_MEMORY;
                        return;
                }
                id->uuid = ifs[i]->uuid;
                id->vers_major = ifs[i]->ver_major;
                id->vers_minor = ifs[i]->ver_minor;
                v->if_id[i] = id;
        }
        *ret = v;
        *st = 0;
}

/* [C706] rpc_c_stats_*: calls in, calls out, packets in, packets out */
static void mgmt_inq_stats(handle_t h, unsigned32 *count, unsigned32 *stats, error_status_t *st) {
        struct rpc_server *srv = server_of(h);
        struct rpc_stats s = { 0 };
        uint64_t v[4];

        if (srv)
                rpc_server_get_stats(srv, &s);
        v[0] = s.calls_in;
        v[1] = s.calls_out;
        v[2] = s.pkts_in;
        v[3] = s.pkts_out;
        if (*count > 4)
                *count = 4;
        for (unsigned32 i = 0; i < *count; i++)
                stats[i] = (unsigned32)v[i];
        *st = 0;
}

static boolean32 mgmt_is_listening(handle_t h, error_status_t *st) {
        *st = 0;
        return 1;
}

static void mgmt_stop_listening(handle_t h, error_status_t *st) {
        *st = ERROR_ACCESS_DENIED;      /* never remotely */
}

static void mgmt_inq_princ_name(handle_t h, unsigned32 authn, unsigned32 size, char *name,
                                error_status_t *st) {
        if (size)
                name[0] = 0;
        /* no security providers yet: no principal for any of them */
        *st = authn == 0 ? 0 : RPC_S_UNKNOWN_AUTHN_SERVICE;
}

static const struct mgmt_v1_0_epv mgmt_epv = {
        mgmt_inq_if_ids, mgmt_inq_stats, mgmt_is_listening, mgmt_stop_listening,
        mgmt_inq_princ_name,
};

int rpc_mgmt_register(struct rpc_server *srv) {
        return rpc_server_register_if(srv, &mgmt_v1_0_s_interface, &mgmt_epv);
}

/* --- a client of another server's management interface (RpcMgmt* with a binding) --------- */

int rpc_mgmt_remote_stop(struct rpc_binding *b, uint32_t *ret_status) {
        error_status_t st = 0;
        int r = mgmt_rpc__mgmt_stop_server_listening((handle_t)b, &st);

        *ret_status = st;
        return r;
}

int rpc_mgmt_remote_is_listening(struct rpc_binding *b, uint32_t *ret_status, bool *ret_yes) {
        error_status_t st = 0;
        boolean32 yes = 0;
        int r = mgmt_rpc__mgmt_is_server_listening((handle_t)b, &st, &yes);

        *ret_status = st;
        *ret_yes = yes != 0;
        return r;
}

int rpc_mgmt_remote_if_ids(struct rpc_binding *b, uint32_t *ret_status,
                           struct rpc_syntax_id **ret, unsigned *ret_n) {
        rpc_if_id_vector_p_t v = NULL;
        error_status_t st = 0;
        int r = mgmt_rpc__mgmt_inq_if_ids((handle_t)b, &v, &st);

        *ret = NULL;
        *ret_n = 0;
        *ret_status = st;
        if (r >= 0 && !st && v && v->count) {
                *ret = dcom_calloc(v->count, sizeof **ret);
                if (!*ret)
                        r = -ENOMEM;
        }
        for (unsigned i = 0; v && i < v->count; i++) {
                if (*ret && v->if_id[i])
                        (*ret)[(*ret_n)++] = (struct rpc_syntax_id){ v->if_id[i]->uuid,
                                                                     v->if_id[i]->vers_major,
                                                                     v->if_id[i]->vers_minor };
                midl_user_free(v->if_id[i]);
        }
        midl_user_free(v);
        return r;
}
