/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The endpoint mapper's client side: ept_map ([C706] appendix O) through the generated
 * client stub, to find where an interface listens.  The tower sent is the one Windows
 * and impacket send ([C706] appendix L): interface, NDR 2.0, RPC connection-oriented,
 * then the transport's endpoint floor (TCP port 0 / ncalrpc name) and, for TCP, the
 * host floor (0.0.0.0).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "epm_stub.h"
#include "rpc/tower.h"
#include "rpc/rpc-internal.h"

int rpc_epm_map(struct rpc_binding *epm, const struct ndr_interface *iface, const GUID *object,
                enum rpc_protseq protseq, char *ret, size_t size) {
        const struct rpc_tower_syntax want = { iface->uuid, iface->ver_major, iface->ver_minor };
        uint8_t *oct = NULL;
        size_t len = 0;
        twr_t *tower;
        twr_p_t towers[4] = { NULL };
        ept_lookup_handle_t entry = NULL;
        unsigned32 n = 0;
        error_status_t st = 0;
        int r;

        r = rpc_tower_build(&want, protseq, NULL, NULL, &oct, &len);
        if (r < 0)
                return r;
        tower = dcom_malloc(sizeof *tower + len);
        if (!tower) {
                dcom_free(oct);
                return -ENOMEM;
        }
        tower->tower_length = (unsigned32)len;
        memcpy(tower->tower_octet_string, oct, len);
        dcom_free(oct);
        r = epm_ept_map((handle_t)epm, (uuid_p_t)object, tower, &entry, 4, &n, towers, &st);
        dcom_free(tower);
        if (r < 0)
                return r;
        r = -ENODATA;   /* EPT_S_NOT_REGISTERED: nothing registered */
        for (unsigned32 i = 0; i < n && i < 4; i++) {
                struct rpc_tower t;
                struct rpc_tower_info info;
                if (r == -ENODATA && st == 0 && towers[i] &&
                    rpc_tower_parse(towers[i]->tower_octet_string, towers[i]->tower_length, &t) >= 0 &&
                    rpc_tower_decode(&t, &info) >= 0 && info.protseq == protseq &&
                    rpc_tower_endpoint_string(&info, ret, size) >= 0 && ret[0])
                        r = 0;
        }
        for (unsigned i = 0; i < 4; i++)
                midl_user_free(towers[i]);
        /* a paging handle the mapper left open goes back to it */
        if (entry) {
                error_status_t st2;
                epm_ept_lookup_handle_free((handle_t)epm, &entry, &st2);
                midl_user_free(entry);
        }
        return r;
}
