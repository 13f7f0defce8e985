/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of security providers (struct rpc_auth_ops, rpc-internal.h): the security
 * layer registers NTLM, SPNEGO, Kerberos here; the connection engine looks them up by
 * the auth_type of a sec_trailer ([MS-RPCE] 2.2.1.1.7).
 */
#include <errno.h>
#include <pthread.h>

#include "rpc/rpc-internal.h"

#define MAX_PROVIDERS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct rpc_auth_ops *providers[MAX_PROVIDERS];

int rpc_auth_register(const struct rpc_auth_ops *ops) {
        int r = -ENOSPC;

        if (!ops || !ops->auth_type || !ops->accept || !ops->step || !ops->free)
                return -EINVAL;
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < MAX_PROVIDERS; i++)
                if (providers[i] && providers[i]->auth_type == ops->auth_type) {
                        r = providers[i] == ops ? 0 : -EEXIST;
                        goto out;
                }
        for (size_t i = 0; i < MAX_PROVIDERS; i++)
                if (!providers[i]) {
                        providers[i] = ops;
                        r = 0;
                        break;
                }
out:
        pthread_mutex_unlock(&lock);
        return r;
}

void rpc_auth_unregister(const struct rpc_auth_ops *ops) {
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < MAX_PROVIDERS; i++)
                if (providers[i] == ops)
                        providers[i] = NULL;
        pthread_mutex_unlock(&lock);
}

const struct rpc_auth_ops *rpc_auth_find(uint8_t auth_type) {
        const struct rpc_auth_ops *r = NULL;

        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < MAX_PROVIDERS && !r; i++)
                if (providers[i] && providers[i]->auth_type == auth_type)
                        r = providers[i];
        pthread_mutex_unlock(&lock);
        return r;
}
