/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local NTLM account file's parser (src/rpc/auth/accounts.c) on any bytes: a file
 * damaged on disk, or written by hand, is refused as a whole (-EBADMSG), never read out
 * of bounds, never half taken.
 */
#include <errno.h>
#include <stdlib.h>

#include "rpc/auth/accounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t n = 0;
        int r = accounts_parse((const char *)data, size, &n);

        if (r != 0 && r != -EBADMSG && r != -ENOMEM)
                abort();
        if (r == 0 && n > size)
                abort();                /* an account needs a line of its own */
        return 0;
}
