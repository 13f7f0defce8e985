/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "security/security.h"

/*
 * The token of the caller of a server-side RPC call (its handle_t): over ncalrpc the
 * process the kernel names (SO_PEERCRED; level PKT_PRIVACY), over TCP the authenticated
 * identity (its SID, its Unix user if it has one), or ANONYMOUS LOGON for an anonymous or
 * unauthenticated caller.  *ret_level is the call's authentication level, *ret_remote
 * whether it came over the network.  -EPERM when the caller cannot be named.
 */
int sec_token_from_call(void *call, struct sec_token **ret, uint8_t *ret_level, bool *ret_remote);

/* What names the caller, without the token (its groups cost NSS and registry reads):
   for caches keyed by who calls.  info.user_sid points into sid. */
struct sec_caller {
        struct sec_token_info info;
        char sid[80];
        uint8_t level;
};
int sec_caller_of_call(void *call, struct sec_caller *ret);
