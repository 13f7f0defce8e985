/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's ACF reader on arbitrary text: a fixed IDL (an RPC interface with a typedef,
 * handle and handle-less methods) is parsed, the bytes are applied to it as its ACF,
 * and what is accepted goes through the checks and every back end into /dev/null.
 * Nothing may crash, hang or leak whatever the input.
 */
#include <stdint.h>
#include <stdio.h>

#include "idl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char idl[] =
        "[uuid(5b6f3a10-2c4d-4e8f-9a01-7d2e3c4b5a61), version(1.0), pointer_default(unique)]\n"
        "interface Ping {\n"
        "  typedef struct { long id; short flags; } PingRecord;\n"
        "  long Echo([in] long v);\n"
        "  long Count(void);\n"
        "  long Direct([in] handle_t h, [in] long v);\n"
        "}\n";

static FILE *devnull(void) {
        static FILE *f;
        if (!f)
                f = fopen("/dev/null", "w");
        return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct idl_ctx ctx;
        FILE *null = devnull();

        if (!null || size > 64 * 1024)
                return 0;
        idl_ctx_init(&ctx);
        ctx.err = null;
        ctx.no_cpp_imports = true;
        idl_add_builtins(&ctx);
        if (idl_parse_buffer(&ctx, idl, sizeof idl - 1, "ping.idl", false) == 0 &&
            idl_apply_acf_buffer(&ctx, (const char *)data, size, "fuzz.acf") == 0 &&
            idl_check(&ctx) == 0) {
                idl_write_header(&ctx, null, "ping.idl", "__ping_h__");
                if (idl_check_stubs(&ctx) == 0) {
                        idl_write_stubs(&ctx, null, IDL_STUB_HEADER, "ping.idl", "ping.h", "p.h");
                        idl_write_stubs(&ctx, null, IDL_STUB_CLIENT, "ping.idl", "ping.h", "p.h");
                        idl_write_stubs(&ctx, null, IDL_STUB_SERVER, "ping.idl", "ping.h", "p.h");
                }
        }
        idl_ctx_free(&ctx);
        return 0;
}
