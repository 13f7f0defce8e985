/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who is calling: the token of an RPC call's caller, for the launch and access checks
 * of rpcss and of every exporter.
 */
#include <errno.h>
#include <string.h>

#include "rpc/rpc-internal.h"
#include "security/caller.h"

int sec_token_from_call(void *call, struct sec_token **ret, uint8_t *ret_level, bool *ret_remote) {
        struct sec_token_info info = { 0 };
        struct rpc_identity id;
        struct rpc_peer peer;
        uint8_t type = 0, level = RPC_AUTHN_LEVEL_NONE;
        void *ctx = NULL;

        if (rpc_call_protseq(call) == RPC_PROTSEQ_LRPC) {
                /* the kernel names a local caller; its calls cross no wire (as Windows
                   treats ncalrpc: privacy) */
                if (rpc_call_peer(call, &peer) < 0 || !peer.has_cred)
                        return -EPERM;
                info.has_uid = true;
                info.uid = peer.uid;
                level = RPC_AUTHN_LEVEL_PKT_PRIVACY;
        } else {
                info.remote = true;
                if (rpc_call_auth(call, &type, &level, &ctx) < 0 || rpc_call_identity(call, &id) < 0 ||
                    id.anonymous) {
                        info.anonymous = true;
                        info.user_sid = "S-1-5-7";
                } else {
                        info.user_sid = id.sid[0] ? id.sid : NULL;
                        info.has_uid = id.has_uid;
                        info.uid = id.uid;
                        if (!info.user_sid && !info.has_uid)
                                return -EPERM;  /* an identity with nothing to name it */
                }
        }
        int r = sec_token_new(&info, ret);
        if (r < 0)
                return r;
        if (ret_level)
                *ret_level = level;
        if (ret_remote)
                *ret_remote = info.remote;
        return 0;
}
