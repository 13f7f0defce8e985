/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who is calling: the token of an RPC call's caller, for the launch and access checks
 * of rpcss and of every exporter.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rpc/rpc-internal.h"
#include "security/caller.h"

int sec_caller_of_call(void *call, struct sec_caller *ret) {
        struct sec_caller c = { .level = RPC_AUTHN_LEVEL_NONE };
        struct rpc_identity id;
        struct rpc_peer peer;
        uint8_t type = 0;
        void *ctx = NULL;

        if (rpc_call_protseq(call) == RPC_PROTSEQ_LRPC) {
                /* the kernel names a local caller; its calls cross no wire (as Windows
                   treats ncalrpc: privacy) */
                if (rpc_call_peer(call, &peer) < 0 || !peer.has_cred)
                        return -EPERM;
                c.info.has_uid = true;
                c.info.uid = peer.uid;
                c.level = RPC_AUTHN_LEVEL_PKT_PRIVACY;
        } else {
                c.info.remote = true;
                if (rpc_call_auth(call, &type, &c.level, &ctx) < 0 ||
                    rpc_call_identity(call, &id) < 0 || id.anonymous) {
                        c.info.anonymous = true;
                        snprintf(c.sid, sizeof c.sid, "S-1-5-7");
                } else {
                        snprintf(c.sid, sizeof c.sid, "%s", id.sid);
                        c.info.has_uid = id.has_uid;
                        c.info.uid = id.uid;
                        if (!c.sid[0] && !c.info.has_uid)
                                return -EPERM;  /* an identity with nothing to name it */
                }
        }
        *ret = c;
        ret->info.user_sid = ret->sid[0] ? ret->sid : NULL;
        return 0;
}

int sec_token_from_call(void *call, struct sec_token **ret, uint8_t *ret_level, bool *ret_remote) {
        struct sec_caller c;
        int r = sec_caller_of_call(call, &c);

        if (r < 0)
                return r;
        if ((r = sec_token_new(&c.info, ret)) < 0)
                return r;
        if (ret_level)
                *ret_level = c.level;
        if (ret_remote)
                *ret_remote = c.info.remote;
        return 0;
}
