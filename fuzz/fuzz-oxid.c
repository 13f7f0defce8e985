/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss's OXID resolver (services/rpcss/oxid.c) behind its generated server stubs, on
 * hostile bytes: a sequence of calls, each "which (bit 0: IObjectExporter or oxidreg),
 * opnum, 16-bit little-endian length, request stub", made as the local exporter
 * oxid_set_foreign_call_owner() names -- so that registrations with hostile
 * DUALSTRINGARRAYs, OIDs, ping sets and resolutions meet in the tables, and what the
 * implementation hands back (filtered bindings, run-down OIDs) is marshaled by the stub.
 * The tables start empty for every input.
 */
#include <string.h>

#include "orpc_stub.h"
#include "oxidreg_stub.h"
#include "rpc/rpc-internal.h"
#include "../services/rpcss/oxid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CALLS 32

static int no_lookup(struct ndr_context_table *t, const struct ndr_context_handle *w, void **ret) {
        return -EBADMSG;
}

static int null_store(struct ndr_context_table *t, void *ctx, struct ndr_context_handle *w,
                      void (*rundown)(void *)) {
        memset(w, 0, sizeof *w);
        return 0;
}

static struct ndr_context_table contexts = { no_lookup, null_store };

static void serve(bool reg, uint16_t opnum, const uint8_t *data, size_t size) {
        struct ndr_pull in;
        struct ndr_push out;
        struct arena a;

        arena_init(&a, 16 << 20);       /* the runtime's per-call cap */
        ndr_push_init(&out, 16 << 20);
        if (ndr_pull_init(&in, data, size, NULL, &a) == 0) {
                struct ndr_server_call call = { .in = &in, .out = &out, .arena = &a,
                                                .contexts = &contexts };
                if (reg) {
                        call.impl = &oxid_registry_epv;
                        oxidreg_v1_0_dispatch(&call, opnum);
                } else {
                        call.impl = &oxid_exporter_epv;
                        IObjectExporter_v0_0_dispatch(&call, opnum);
                }
        }
        ndr_push_free(&out);
        arena_reset(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool init;
        static const char *const addrs[] = { "127.0.0.1" };

        if (!init) {
                oxid_init(135, addrs, 1, 10);
                oxid_set_foreign_call_owner(1);
                init = true;
        }
        for (int i = 0; i < MAX_CALLS && size >= 4; i++) {
                size_t len = (size_t)data[2] | (size_t)data[3] << 8;
                bool reg = data[0] & 1;
                uint16_t opnum = data[1];

                data += 4;
                size -= 4;
                if (len > size)
                        len = size;
                serve(reg, opnum, data, len);
                data += len;
                size -= len;
        }
        oxid_reset();
        return 0;
}
