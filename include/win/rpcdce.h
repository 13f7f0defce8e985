/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <rpcdce.h>'s security constants and the credentials structure, as COM code uses them
 * with CoSetProxyBlanket (the rest of the RPC API comes with <rpc.h>).
 */
#ifndef DCOM_WIN_RPCDCE_H
#define DCOM_WIN_RPCDCE_H

#include <dcom/types.h>

#define RPC_C_AUTHN_LEVEL_DEFAULT 0
#define RPC_C_AUTHN_LEVEL_NONE 1
#define RPC_C_AUTHN_LEVEL_CONNECT 2
#define RPC_C_AUTHN_LEVEL_CALL 3
#define RPC_C_AUTHN_LEVEL_PKT 4
#define RPC_C_AUTHN_LEVEL_PKT_INTEGRITY 5
#define RPC_C_AUTHN_LEVEL_PKT_PRIVACY 6

#define RPC_C_IMP_LEVEL_DEFAULT 0
#define RPC_C_IMP_LEVEL_ANONYMOUS 1
#define RPC_C_IMP_LEVEL_IDENTIFY 2
#define RPC_C_IMP_LEVEL_IMPERSONATE 3
#define RPC_C_IMP_LEVEL_DELEGATE 4

#define RPC_C_AUTHN_NONE 0
#define RPC_C_AUTHN_GSS_NEGOTIATE 9
#define RPC_C_AUTHN_WINNT 10
#define RPC_C_AUTHN_GSS_KERBEROS 16
#define RPC_C_AUTHN_DEFAULT 0xFFFFFFFFu

#define RPC_C_AUTHZ_NONE 0
#define RPC_C_AUTHZ_NAME 1
#define RPC_C_AUTHZ_DCE 2
#define RPC_C_AUTHZ_DEFAULT 0xFFFFFFFFu

#define COLE_DEFAULT_PRINCIPAL ((OLECHAR *)(intptr_t)-1)
#define COLE_DEFAULT_AUTHINFO ((void *)(intptr_t)-1)

#define SEC_WINNT_AUTH_IDENTITY_ANSI 1
#define SEC_WINNT_AUTH_IDENTITY_UNICODE 2

/* Credentials for a call's security: lengths in characters, without the NUL. */
typedef struct _SEC_WINNT_AUTH_IDENTITY_W {
        unsigned short *User;
        ULONG UserLength;
        unsigned short *Domain;
        ULONG DomainLength;
        unsigned short *Password;
        ULONG PasswordLength;
        ULONG Flags;
} SEC_WINNT_AUTH_IDENTITY_W, *PSEC_WINNT_AUTH_IDENTITY_W;
typedef SEC_WINNT_AUTH_IDENTITY_W SEC_WINNT_AUTH_IDENTITY;
typedef SEC_WINNT_AUTH_IDENTITY_W COAUTHIDENTITY;
typedef void *RPC_AUTH_IDENTITY_HANDLE;

#endif /* DCOM_WIN_RPCDCE_H */
