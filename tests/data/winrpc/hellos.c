// SPDX-License-Identifier: LGPL-2.1-or-later
// hellos.c: the server of the Windows SDK's RPC "Hello" sample, written as it is for
// Windows (MIDL's hello.h and hello_s.c; here dcomidl's).  Usage: hellos PORT
#include <stdlib.h>
#include <stdio.h>
#include <ctype.h>
#include <windows.h>
#include <rpc.h>
#include "hello.h"

int main(int argc, char * argv[])
{
    RPC_STATUS status;
    unsigned char * pszProtocolSequence = "ncacn_ip_tcp";
    unsigned char * pszSecurity         = NULL;
    unsigned char * pszEndpoint         = (unsigned char *)(argc > 1 ? argv[1] : "4747");
    unsigned int    cMinCalls = 1;
    unsigned int    fDontWait = FALSE;

    status = RpcServerUseProtseqEp(pszProtocolSequence,
                                   RPC_C_LISTEN_MAX_CALLS_DEFAULT,
                                   pszEndpoint,
                                   pszSecurity);

    if (status) exit(status);

    status = RpcServerRegisterIf(hello_v1_0_s_ifspec,
                                 NULL,
                                 NULL);

    if (status) exit(status);

    printf("listening on %s\n", pszEndpoint);
    fflush(stdout);

    status = RpcServerListen(cMinCalls,
                             RPC_C_LISTEN_MAX_CALLS_DEFAULT,
                             fDontWait);

    if (status) exit(status);

    return 0;
}

void HelloProc(unsigned char * pszString)
{
    printf("%s\n", pszString);
    fflush(stdout);
}

void Shutdown(void)
{
    RPC_STATUS status;

    status = RpcMgmtStopServerListening(NULL);

    if (status) exit(status);

    status = RpcServerUnregisterIf(NULL, NULL, FALSE);

    if (status) exit(status);
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
