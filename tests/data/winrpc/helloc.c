// SPDX-License-Identifier: LGPL-2.1-or-later
// helloc.c: the client of the Windows SDK's RPC "Hello" sample, written as it is for
// Windows (MIDL's hello.h and hello_c.c; here dcomidl's), binding through the ACF's
// implicit handle hello_IfHandle.  Usage: helloc HOST PORT
#include <stdlib.h>
#include <stdio.h>
#include <ctype.h>
#include <windows.h>
#include <rpc.h>
#include "hello.h"

int main(int argc, char * argv[])
{
    RPC_STATUS status;
    unsigned char * pszUuid             = NULL;
    unsigned char * pszProtocolSequence = "ncacn_ip_tcp";
    unsigned char * pszNetworkAddress   = (unsigned char *)(argc > 1 ? argv[1] : NULL);
    unsigned char * pszEndpoint         = (unsigned char *)(argc > 2 ? argv[2] : "4747");
    unsigned char * pszOptions          = NULL;
    unsigned char * pszStringBinding    = NULL;
    unsigned char * pszString           = "hello, world";
    unsigned long ulCode;

    status = RpcStringBindingCompose(pszUuid,
                                     pszProtocolSequence,
                                     pszNetworkAddress,
                                     pszEndpoint,
                                     pszOptions,
                                     &pszStringBinding);
    if (status) exit(status);

    status = RpcBindingFromStringBinding(pszStringBinding, &hello_IfHandle);

    if (status) exit(status);

    RpcTryExcept
    {
        HelloProc(pszString);
        Shutdown();
    }
    RpcExcept(1)
    {
        ulCode = RpcExceptionCode();
        printf("Runtime reported exception 0x%lx = %ld\n", ulCode, ulCode);
        exit(2);
    }
    RpcEndExcept

    status = RpcStringFree(&pszStringBinding);

    if (status) exit(status);

    status = RpcBindingFree(&hello_IfHandle);

    if (status) exit(status);

    exit(0);
}

/******************************************************/
/*         MIDL allocate and free                     */
/******************************************************/

void __RPC_FAR * __RPC_USER midl_user_allocate(size_t len)
{
    return(malloc(len));
}

void __RPC_USER midl_user_free(void __RPC_FAR * ptr)
{
    free(ptr);
}
