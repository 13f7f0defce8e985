/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Calls the authenticated-RPC tests (test-rpc-ntlm, -krb5, -negotiate) all make through a
 * binding to a server of tests/dcomidl/rpctest.idl: n bytes echoed back (many fragments
 * each way: every one signed or sealed at PKT_INTEGRITY and above), and a second
 * interface (the management one) on the same connection, bound by alter_context.
 */
#ifndef DCOM_TESTS_RPCTEST_CALLS_H
#define DCOM_TESTS_RPCTEST_CALLS_H

#include "mgmt_stub.h"
#include "rpctest_stub.h"
#include "test.h"

static inline void rpctest_echo(handle_t b, ULONG n) {
        BYTE *in = malloc(n), *out = calloc(1, n);
        LONG ret = -1;

        ASSERT_NOT_NULL(in);
        ASSERT_NOT_NULL(out);
        for (ULONG i = 0; i < n; i++)
                in[i] = (BYTE)(i * 13);
        ASSERT_OK(RpcTest_RtEcho(b, n, in, out, &ret));
        ASSERT_EQ(ret, (LONG)n);
        for (ULONG i = 0; i < n; i++)
                if (out[i] != (BYTE)((i * 13) ^ 0x5a))
                        ASSERT_EQ(out[i], (BYTE)((i * 13) ^ 0x5a));
        free(in);
        free(out);
}

static inline void rpctest_second_interface(handle_t b) {
        rpc_if_id_vector_p_t v = NULL;
        error_status_t st = 1;

        ASSERT_OK(mgmt_rpc__mgmt_inq_if_ids(b, &v, &st));
        ASSERT_EQ(st, 0);
        ASSERT_NOT_NULL(v);
        for (unsigned i = 0; i < v->count; i++)
                midl_user_free(v->if_id[i]);
        midl_user_free(v);
}

#endif /* DCOM_TESTS_RPCTEST_CALLS_H */
