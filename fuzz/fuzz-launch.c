/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlaunch's two parsers of outside text: the request record rpcss sends
 * (launch-proto.h) and the LocalServer32 command line (services/dcomlaunch/cmdline.c).
 * Whatever decodes must encode back to the same bytes; whatever splits must give a
 * non-empty program, at most CMDLINE_MAX_ARGS words, no more bytes than came in, and
 * the NULLs promised after them.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cmdline.h"
#include "launch-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct launch_msg_request req;
        struct launch_msg_reply rep;
        uint8_t again[LAUNCH_REQUEST_SIZE];

        if (launch_request_decode(data, size, &req) == 0) {
                assert(req.version == LAUNCH_PROTO_VERSION);
                assert(!(req.flags & ~LAUNCH_FLAGS_KNOWN));
                launch_request_encode(&req, again);
                assert(memcmp(again, data, sizeof again) == 0);
        }
        if (launch_reply_decode(data, size, &rep) == 0) {
                launch_reply_encode(&rep, again);
                assert(memcmp(again, data, LAUNCH_REPLY_SIZE) == 0);
        }

        /* the bytes as a registry string (up to the first NUL) */
        char *line = malloc(size + 1);
        char **argv;
        size_t argc, total = 0;
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = 0;
        if (cmdline_split(line, 1, &argv, &argc) == 0) {
                assert(argc >= 1 && argc <= CMDLINE_MAX_ARGS);
                assert(argv[0][0]);
                for (size_t i = 0; i < argc; i++)
                        total += strlen(argv[i]);
                assert(total <= strlen(line));
                assert(!argv[argc] && !argv[argc + 1]);
                dcom_free(argv);
        }
        free(line);
        return 0;
}
