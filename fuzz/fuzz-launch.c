/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomlaunch's parsers of outside text: the request record rpcss sends (launch-proto.h),
 * launch requests and LocalService requests alike, the LocalServer32 command line
 * (services/dcomlaunch/cmdline.c), and the unit-name check a LocalService value passes
 * before it reaches the service manager.  Whatever decodes must encode back to the same
 * bytes, a service request never with both service flags or a launching uid; whatever
 * splits must give a non-empty program, at most CMDLINE_MAX_ARGS words, no more bytes
 * than came in, and the NULLs promised after them; a unit name accepted is 1 to
 * LAUNCH_UNIT_NAME_MAX characters of the unit alphabet, never starting with '-'.
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
                if (req.flags & LAUNCH_FLAGS_SERVICE) {
                        assert((req.flags & LAUNCH_FLAGS_SERVICE) != LAUNCH_FLAGS_SERVICE);
                        assert(req.launching_uid == 0);
                }
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
        if (launch_unit_name_ok(line)) {
                size_t n = strlen(line);
                assert(n >= 1 && n <= LAUNCH_UNIT_NAME_MAX && line[0] != '-');
                for (size_t i = 0; i < n; i++)
                        assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789:_.@-", line[i]));
        }
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
