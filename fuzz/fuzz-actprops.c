/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation on hostile bytes: the first byte picks what reads the rest --
 *   0  an ActivationPropertiesIn blob (src/com/actprops.c, what rpcss parses),
 *   1  an ActivationPropertiesOut blob (what CoCreateInstanceEx parses),
 *   2  an IRemoteSCMActivator request stub (the second byte: the opnum) into rpcss's
 *      activator (services/rpcss/scm.c) behind its generated stub,
 *   3  an IActivation::RemoteActivation request stub likewise.
 * The calls come from outside the runtime: the activator refuses them after parsing
 * (no caller identity), so nothing is launched.
 */
#include <string.h>

#include "com/actprops.h"
#include "remact_stub.h"
#include "rpc/rpc-internal.h"
#include "../services/rpcss/scm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void serve(bool scm, uint16_t opnum, const uint8_t *data, size_t size) {
        struct ndr_pull in;
        struct ndr_push out;
        struct arena a;

        arena_init(&a, 16 << 20);
        ndr_push_init(&out, 16 << 20);
        if (ndr_pull_init(&in, data, size, NULL, &a) == 0) {
                struct ndr_server_call call = { .in = &in, .out = &out, .arena = &a };
                if (scm) {
                        call.impl = &scm_remote_activator_epv;
                        const struct ndr_interface *i = scm_remote_activator_interface();
                        if (opnum < i->n_ops && i->ops[opnum].dispatch)
                                i->ops[opnum].dispatch(&call);
                } else {
                        call.impl = &scm_activation_epv;
                        IActivation_v0_0_dispatch(&call, opnum);
                }
        }
        ndr_push_free(&out);
        arena_reset(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct arena a;

        if (size < 2)
                return 0;
        arena_init(&a, 16 << 20);
        switch (data[0] & 3) {
        case 0: {
                struct actprops_in in;
                actprops_in_parse(data + 1, size - 1, &a, &in);
                break;
        }
        case 1: {
                struct actprops_out out;
                actprops_out_parse(data + 1, size - 1, &a, &out);
                break;
        }
        case 2:
                serve(true, data[1], data + 2, size - 2);
                break;
        default:
                serve(false, 0, data + 2, size - 2);
                break;
        }
        arena_reset(&a);
        return 0;
}
