/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registers the built-in security providers once per process, as Windows' are always
 * there: rpc_server_new() and rpc_binding_set_auth() call it.
 */
#include <pthread.h>

#include "rpc/auth/providers.h"
#ifdef DCOM_HAVE_GSSAPI
#include "rpc/auth/gss-rpc.h"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int result;

static void register_all(void) {
        rpc_ntlm_use_account_store();
        result = rpc_auth_register(&rpc_ntlm_ops);
        /* an application's own provider of the type registered first wins (-EEXIST) */
#ifdef DCOM_HAVE_GSSAPI
        (void)rpc_auth_register(&rpc_krb5_ops);         /* Kerberos, 16 (gss-rpc.c) */
#endif
        /* Negotiate, 9 (negotiate.c): Kerberos through gss-rpc.c when built, NTLM always */
        (void)rpc_auth_register(&rpc_negotiate_ops);
}

int rpc_auth_register_defaults(void) {
        pthread_once(&once, register_all);
        return result;
}
