/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a call's handle_t tells a server routine: the caller's identity, protocol
 * sequence, addresses, object UUID and security.
 */
#include <errno.h>

#ifdef DCOM_HAVE_GSSAPI
#include "rpc/auth/gss-rpc.h"
#endif

#include "conn-internal.h"

/* --- what a call's handle_t tells ------------------------------------------------------------ */

static const struct rpc_call_info *info_of(void *h) {
        const struct ndr_server_call *call = h;
        return call ? call->runtime : NULL;
}

uint64_t rpc_call_owner(void *h) {
        const struct rpc_call_info *i = info_of(h);
        return i && i->conn && i->conn->assoc ? i->conn->assoc->id : 0;
}

enum rpc_protseq rpc_call_protseq(void *h) {
        const struct rpc_call_info *i = info_of(h);
        return i && i->conn ? i->conn->protseq : RPC_PROTSEQ_NONE;
}

int rpc_call_local_addr(void *h, struct sockaddr_storage *ret, socklen_t *ret_len) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->conn || !i->conn->local_len)
                return -EINVAL;
        *ret = i->conn->local;
        *ret_len = i->conn->local_len;
        return 0;
}

int rpc_call_identity(void *h, struct rpc_identity *ret) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->sec || !i->sec->done || !i->sec->ops->inq_identity)
                return -ENODATA;
        return i->sec->ops->inq_identity(i->sec->ctx, ret);
}

int rpc_call_delegate(void *h) {
        const struct rpc_call_info *i = info_of(h);
        void *cred = NULL;
        int r;

        if (!i || !i->sec || !i->sec->done || !i->sec->ops->delegated)
                return -ENOKEY;
        r = i->sec->ops->delegated(i->sec->ctx, &cred);
        if (r < 0)
                return r;
#ifdef DCOM_HAVE_GSSAPI
        rpc_gss_thread_delegate(cred);
        return 0;
#else
        return -ENOKEY;
#endif
}

void rpc_call_undelegate(void) {
#ifdef DCOM_HAVE_GSSAPI
        rpc_gss_thread_delegate(NULL);
#endif
}

int rpc_call_peer(void *h, struct rpc_peer *ret) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->conn)
                return -EINVAL;
        *ret = i->conn->who;
        return 0;
}

const GUID *rpc_call_object(void *h) {
        const struct rpc_call_info *i = info_of(h);
        return i && i->has_object ? &i->object : NULL;
}

int rpc_call_auth(void *h, uint8_t *ret_type, uint8_t *ret_level, void **ret_ctx) {
        const struct rpc_call_info *i = info_of(h);

        if (!i)
                return -EINVAL;
        *ret_type = i->sec ? i->sec->type : 0;
        *ret_level = i->sec ? i->sec->level : RPC_AUTHN_LEVEL_NONE;
        *ret_ctx = i->sec ? i->sec->ctx : NULL;
        return 0;
}

uint64_t rpc_call_caller_key(void *h) {
        const struct rpc_call_info *i = info_of(h);

        if (!i || !i->conn)
                return 0;
        return i->sec ? i->sec->serial : i->conn->serial;
}

int rpc_call_cancelled(void *h) {
        const struct rpc_call_info *i = info_of(h);
        if (!i || !i->conn)
                return -EINVAL;
        return rpc_conn_cancelled(i->conn, i->call_id);
}
