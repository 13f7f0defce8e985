/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's front end on arbitrary text: the bytes go straight to the parser (no cpp,
 * imports are not followed), then, if they parse, through the semantic checks and
 * every back end -- header, GUIDs, the stub generator's four outputs and the type
 * library -- into /dev/null.  Nothing may crash, hang or leak whatever the input.
 */
#include <stdint.h>
#include <stdio.h>

#include "idl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull(void) {
        static FILE *f;
        if (!f)
                f = fopen("/dev/null", "w");
        return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct idl_ctx ctx;
        FILE *null = devnull();

        if (!null || size > 256 * 1024)
                return 0;
        idl_ctx_init(&ctx);
        ctx.err = null;
        ctx.no_cpp_imports = true;
        idl_add_builtins(&ctx);
        if (idl_parse_buffer(&ctx, (const char *)data, size, "fuzz.idl", false) == 0 &&
            idl_check(&ctx) == 0) {
                idl_write_header(&ctx, null, "fuzz.idl", "__fuzz_h__");
                idl_write_iid(&ctx, null, "fuzz.idl");
                if (idl_check_stubs(&ctx) == 0) {
                        static const enum idl_stub_output outs[] = {
                                IDL_STUB_HEADER, IDL_STUB_CLIENT, IDL_STUB_SERVER, IDL_STUB_PROXY,
                        };
                        for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
                                idl_write_stubs(&ctx, null, outs[i], "fuzz.idl", "fuzz.h",
                                                "fuzz_stub.h");
                }
                /* the type library, 64- and 32-bit (an error without a library block) */
                struct idl_tlb_opts o64 = { .win32 = false }, o32 = { .win32 = true };
                idl_write_typelib(&ctx, null, &o64);
                idl_write_typelib(&ctx, null, &o32);
        }
        idl_ctx_free(&ctx);
        return 0;
}
