/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NTLM logon of a caller verified by dcomlsa (services/dcomlsa, lsa-proto.h), for a
 * server process that may not read the account store -- any process not running as the
 * store's owner.  ntlm-rpc.c uses it in place of ntlm_server_start/finish when
 * lsa_needed() says so; the context it gives is an ordinary established NTLM server
 * context (ntlm_server_import).
 *
 * Every function returns 0 or a negative errno, and on failure writes a sentence for the
 * log line to reason: -EACCES refused (or dcomlsa not running, or not trusted),
 * -EBADMSG a malformed NTLM message, -ENOMEM.
 */
#ifndef DCOM_RPC_AUTH_LSA_CLIENT_H
#define DCOM_RPC_AUTH_LSA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "rpc/auth/ntlm.h"

struct lsa_logon;

/* The socket's path: paths_runtime()/dcomlsa. */
int lsa_socket_path(char *buf, size_t size);

/* Whether this process must ask dcomlsa: the account store exists and is not ours to read. */
bool lsa_needed(void);

/* The NEGOTIATE_MESSAGE to dcomlsa, its CHALLENGE_MESSAGE appended to challenge. */
int lsa_logon_start(const uint8_t *negotiate, size_t len, struct buf *challenge,
                    struct lsa_logon **ret, char *reason, size_t reason_size);
/* The AUTHENTICATE_MESSAGE to dcomlsa; the established context on success. */
int lsa_logon_finish(struct lsa_logon *l, const uint8_t *auth, size_t len, struct ntlm_ctx **ret,
                     char *reason, size_t reason_size);
void lsa_logon_free(struct lsa_logon *l);

#endif /* DCOM_RPC_AUTH_LSA_CLIENT_H */
