/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <rpcdce.h>: the DCE/RPC API with Windows' names, types and statuses (RpcBinding*,
 * RpcServer*, RpcMgmt*, RpcEp*, Uuid*; src/rpc/api.c and api-server.c), and the security
 * constants and credentials structure COM code uses with CoSetProxyBlanket.  Functions
 * taking strings come in an A form (UTF-8 here) and a W form (16-bit WCHAR); the
 * unsuffixed name is the W form when UNICODE is defined, the A form otherwise, as on
 * Windows.  Programs include <rpc.h> (or a generated header, which does).
 */
#ifndef DCOM_WIN_RPCDCE_H
#define DCOM_WIN_RPCDCE_H

#include <dcom/types.h>
#include <dcom/winerror.h>

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
typedef void *RPC_AUTH_IDENTITY_HANDLE;


/* --- types ---------------------------------------------------------------------------------- */

#ifndef RPC_ENTRY
#define RPC_ENTRY
#endif
#ifndef __RPC_FAR
#define __RPC_FAR
#endif
#ifndef __RPC_API
#define __RPC_API
#endif
#ifndef __RPC_USER
#define __RPC_USER
#endif
#ifndef __RPC_STUB
#define __RPC_STUB
#endif
#ifndef RPC_VAR_ENTRY
#define RPC_VAR_ENTRY
#endif

/* The same three as a dcomidl-generated header's (whichever comes first defines them). */
#ifndef DCOM_IDL_RPC_TYPES_DEFINED
#define DCOM_IDL_RPC_TYPES_DEFINED
typedef void *RPC_IF_HANDLE;
typedef void *handle_t;
typedef uint32_t error_status_t;
#endif

/* A binding handle: a client's (RpcBindingFromStringBinding) or, in a manager routine, the
   call's own (its handle_t parameter). */
typedef handle_t RPC_BINDING_HANDLE;
typedef RPC_BINDING_HANDLE rpc_binding_handle_t;
typedef void *I_RPC_HANDLE;
typedef unsigned char *RPC_CSTR;
typedef WCHAR *RPC_WSTR;
typedef const unsigned char *RPC_CCSTR;
typedef const WCHAR *RPC_CWSTR;
typedef void *RPC_AUTHZ_HANDLE;
typedef void RPC_MGR_EPV;

typedef struct _RPC_BINDING_VECTOR {
        ULONG Count;
        RPC_BINDING_HANDLE BindingH[1];
} RPC_BINDING_VECTOR;

typedef struct _UUID_VECTOR {
        ULONG Count;
        UUID *Uuid[1];
} UUID_VECTOR;

typedef struct _RPC_IF_ID {
        UUID Uuid;
        unsigned short VersMajor;
        unsigned short VersMinor;
} RPC_IF_ID;

typedef struct {
        ULONG Count;
        RPC_IF_ID *IfId[1];
} RPC_IF_ID_VECTOR;

/* A server's security callback (RpcServerRegisterIfEx/2/3): RPC_S_OK lets the call run;
   anything else refuses it with access denied.  Context is the call's binding handle. */
typedef RPC_STATUS RPC_ENTRY RPC_IF_CALLBACK_FN(RPC_IF_HANDLE InterfaceUuid, void *Context);

typedef struct _RPC_SECURITY_QOS {
        ULONG Version;
        ULONG Capabilities;
        ULONG IdentityTracking;
        ULONG ImpersonationType;
} RPC_SECURITY_QOS, *PRPC_SECURITY_QOS;

/* Credentials in 8-bit strings (Flags SEC_WINNT_AUTH_IDENTITY_ANSI): UTF-8 here. */
typedef struct _SEC_WINNT_AUTH_IDENTITY_A {
        unsigned char *User;
        ULONG UserLength;
        unsigned char *Domain;
        ULONG DomainLength;
        unsigned char *Password;
        ULONG PasswordLength;
        ULONG Flags;
} SEC_WINNT_AUTH_IDENTITY_A, *PSEC_WINNT_AUTH_IDENTITY_A;

/* --- constants -------------------------------------------------------------------------- */

#define RPC_C_LISTEN_MAX_CALLS_DEFAULT 1234
#define RPC_C_PROTSEQ_MAX_REQS_DEFAULT 10
#define RPC_C_BIND_TO_ALL_NICS 1
#define RPC_C_USE_INTERNET_PORT 0x1
#define RPC_C_USE_INTRANET_PORT 0x2
#define RPC_C_DONT_FAIL 0x4

#define RPC_C_MGMT_INQ_IF_IDS 0
#define RPC_C_MGMT_INQ_PRINC_NAME 1
#define RPC_C_MGMT_INQ_STATS 2
#define RPC_C_MGMT_IS_SERVER_LISTEN 3
#define RPC_C_MGMT_STOP_SERVER_LISTEN 4

#define RPC_C_EP_ALL_ELTS 0
#define RPC_C_EP_MATCH_BY_IF 1
#define RPC_C_EP_MATCH_BY_OBJ 2
#define RPC_C_EP_MATCH_BY_BOTH 3

#define RPC_C_VERS_ALL 1
#define RPC_C_VERS_COMPATIBLE 2
#define RPC_C_VERS_EXACT 3
#define RPC_C_VERS_MAJOR_ONLY 4
#define RPC_C_VERS_UPTO 5

/* RpcServerRegisterIfEx/2/3 flags (Windows' values) */
#define RPC_IF_AUTOLISTEN 0x0001
#define RPC_IF_OLE 0x0002
#define RPC_IF_ALLOW_UNKNOWN_AUTHORITY 0x0004
#define RPC_IF_ALLOW_SECURE_ONLY 0x0008
#define RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH 0x0010
#define RPC_IF_ALLOW_LOCAL_ONLY 0x0020
#define RPC_IF_SEC_NO_CACHE 0x0040
#define RPC_IF_SEC_CACHE_PER_PROC 0x0080
#define RPC_IF_ASYNC_CALLBACK 0x0100
#define RPC_C_MAX_RPC_SIZE_DEFAULT 0                    /* OpenDCOM: no cap of the interface's */

#define RPC_C_SECURITY_QOS_VERSION 1
#define RPC_C_SECURITY_QOS_VERSION_1 1
#define RPC_C_QOS_CAPABILITIES_DEFAULT 0x0
#define RPC_C_QOS_CAPABILITIES_MUTUAL_AUTH 0x1
#define RPC_C_QOS_IDENTITY_STATIC 0
#define RPC_C_QOS_IDENTITY_DYNAMIC 1

#define RPC_C_AUTHN_DCE_PRIVATE 1
#define RPC_C_AUTHN_DCE_PUBLIC 2
#define RPC_C_AUTHN_DEC_PUBLIC 4
#define RPC_C_AUTHN_GSS_SCHANNEL 14
#define RPC_C_AUTHN_DPA 17
#define RPC_C_AUTHN_MSN 18
#define RPC_C_AUTHN_DIGEST 21
#define RPC_C_AUTHN_NEGO_EXTENDER 30
#define RPC_C_AUTHN_MQ 100

#define RPC_C_NO_CREDENTIALS ((RPC_AUTH_IDENTITY_HANDLE)(uintptr_t)-1)

/* RpcServerInqCallAttributes ([MS-RPCE] does not define it: Windows' rpcdce.h layout) */
#define RPC_QUERY_SERVER_PRINCIPAL_NAME 0x02
#define RPC_QUERY_CLIENT_PRINCIPAL_NAME 0x04
#define RPC_QUERY_CALL_LOCAL_ADDRESS 0x08
#define RPC_QUERY_CLIENT_PID 0x10
#define RPC_QUERY_IS_CLIENT_LOCAL 0x20
#define RPC_QUERY_NO_AUTH_REQUIRED 0x40
#define RPC_CALL_ATTRIBUTES_VERSION 2

/* RPC_CALL_ATTRIBUTES_V2's ProtocolSequence values (RPC_PROTSEQ_TCP...) are <rpc.h>'s. */

typedef enum {
        rcclInvalid = 0,
        rcclLocal,
        rcclRemote,
        rcclClientUnknownLocality,
} RpcCallClientLocality;

typedef enum {
        rctInvalid = 0,
        rctNormal,
        rctTraining,
        rctGuaranteed,
} RpcCallType;

typedef enum {
        rcsInvalid = 0,
        rcsPartialPipe,
        rcsPipeBroken,
} RpcCallStatus;

typedef enum {
        rlafInvalid = 0,
        rlafIPv4,
        rlafIPv6,
} RpcLocalAddressFormat;

typedef struct _RPC_CALL_LOCAL_ADDRESS_V1 {
        unsigned int Version;
        void *Buffer;
        ULONG BufferSize;
        RpcLocalAddressFormat AddressFormat;
} RPC_CALL_LOCAL_ADDRESS_V1, *PRPC_CALL_LOCAL_ADDRESS_V1;

/* Principal name buffers: lengths in bytes, the NUL included; too small is ERROR_MORE_DATA
   with the length needed written back. */
typedef struct tagRPC_CALL_ATTRIBUTES_V1_W {
        unsigned int Version;
        ULONG Flags;
        ULONG ServerPrincipalNameBufferLength;
        WCHAR *ServerPrincipalName;
        ULONG ClientPrincipalNameBufferLength;
        WCHAR *ClientPrincipalName;
        ULONG AuthenticationLevel;
        ULONG AuthenticationService;
        BOOL NullSession;
} RPC_CALL_ATTRIBUTES_V1_W;

typedef struct tagRPC_CALL_ATTRIBUTES_V1_A {
        unsigned int Version;
        ULONG Flags;
        ULONG ServerPrincipalNameBufferLength;
        unsigned char *ServerPrincipalName;
        ULONG ClientPrincipalNameBufferLength;
        unsigned char *ClientPrincipalName;
        ULONG AuthenticationLevel;
        ULONG AuthenticationService;
        BOOL NullSession;
} RPC_CALL_ATTRIBUTES_V1_A;

typedef struct tagRPC_CALL_ATTRIBUTES_V2_W {
        unsigned int Version;
        ULONG Flags;
        ULONG ServerPrincipalNameBufferLength;
        WCHAR *ServerPrincipalName;
        ULONG ClientPrincipalNameBufferLength;
        WCHAR *ClientPrincipalName;
        ULONG AuthenticationLevel;
        ULONG AuthenticationService;
        BOOL NullSession;
        BOOL KernelModeCaller;
        ULONG ProtocolSequence;
        RpcCallClientLocality IsClientLocal;
        void *ClientPID;
        ULONG CallStatus;
        RpcCallType CallType;
        RPC_CALL_LOCAL_ADDRESS_V1 *CallLocalAddress;
        unsigned short OpNum;
        UUID InterfaceUuid;
} RPC_CALL_ATTRIBUTES_V2_W;

typedef struct tagRPC_CALL_ATTRIBUTES_V2_A {
        unsigned int Version;
        ULONG Flags;
        ULONG ServerPrincipalNameBufferLength;
        unsigned char *ServerPrincipalName;
        ULONG ClientPrincipalNameBufferLength;
        unsigned char *ClientPrincipalName;
        ULONG AuthenticationLevel;
        ULONG AuthenticationService;
        BOOL NullSession;
        BOOL KernelModeCaller;
        ULONG ProtocolSequence;
        RpcCallClientLocality IsClientLocal;
        void *ClientPID;
        ULONG CallStatus;
        RpcCallType CallType;
        RPC_CALL_LOCAL_ADDRESS_V1 *CallLocalAddress;
        unsigned short OpNum;
        UUID InterfaceUuid;
} RPC_CALL_ATTRIBUTES_V2_A;

/* --- functions (src/rpc/api.c: clients, bindings, UUIDs; api-server.c: servers) ----------- */

#ifdef __cplusplus
extern "C" {
#endif

/* String bindings: [ObjectUuid@]ProtSeq:[NetworkAddr][Endpoint[,Option=Value...]]; strings
   returned are freed with RpcStringFree. */
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcStringBindingComposeA(RPC_CSTR ObjUuid, RPC_CSTR ProtSeq,
                                                          RPC_CSTR NetworkAddr, RPC_CSTR Endpoint,
                                                          RPC_CSTR Options, RPC_CSTR *StringBinding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcStringBindingComposeW(RPC_WSTR ObjUuid, RPC_WSTR ProtSeq,
                                                          RPC_WSTR NetworkAddr, RPC_WSTR Endpoint,
                                                          RPC_WSTR Options, RPC_WSTR *StringBinding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcStringBindingParseA(RPC_CSTR StringBinding, RPC_CSTR *ObjUuid,
                                                        RPC_CSTR *Protseq, RPC_CSTR *NetworkAddr,
                                                        RPC_CSTR *Endpoint, RPC_CSTR *NetworkOptions);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcStringBindingParseW(RPC_WSTR StringBinding, RPC_WSTR *ObjUuid,
                                                        RPC_WSTR *Protseq, RPC_WSTR *NetworkAddr,
                                                        RPC_WSTR *Endpoint, RPC_WSTR *NetworkOptions);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcStringFreeA(RPC_CSTR *String);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcStringFreeW(RPC_WSTR *String);

DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingFromStringBindingA(RPC_CSTR StringBinding,
                                                              RPC_BINDING_HANDLE *Binding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingFromStringBindingW(RPC_WSTR StringBinding,
                                                              RPC_BINDING_HANDLE *Binding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingToStringBindingA(RPC_BINDING_HANDLE Binding,
                                                            RPC_CSTR *StringBinding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingToStringBindingW(RPC_BINDING_HANDLE Binding,
                                                            RPC_WSTR *StringBinding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingFree(RPC_BINDING_HANDLE *Binding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingCopy(RPC_BINDING_HANDLE SourceBinding,
                                                RPC_BINDING_HANDLE *DestinationBinding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingReset(RPC_BINDING_HANDLE Binding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingSetObject(RPC_BINDING_HANDLE Binding, UUID *ObjectUuid);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingInqObject(RPC_BINDING_HANDLE Binding, UUID *ObjectUuid);
/* AuthIdentity: a SEC_WINNT_AUTH_IDENTITY_A or _W (its Flags say which), or NULL: the
   process's own credentials (Kerberos: the credential cache; NTLM: anonymous). */
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingSetAuthInfoA(RPC_BINDING_HANDLE Binding,
                                                        RPC_CSTR ServerPrincName, ULONG AuthnLevel,
                                                        ULONG AuthnSvc,
                                                        RPC_AUTH_IDENTITY_HANDLE AuthIdentity,
                                                        ULONG AuthzSvc);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingSetAuthInfoW(RPC_BINDING_HANDLE Binding,
                                                        RPC_WSTR ServerPrincName, ULONG AuthnLevel,
                                                        ULONG AuthnSvc,
                                                        RPC_AUTH_IDENTITY_HANDLE AuthIdentity,
                                                        ULONG AuthzSvc);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingSetAuthInfoExA(RPC_BINDING_HANDLE Binding,
                                                          RPC_CSTR ServerPrincName, ULONG AuthnLevel,
                                                          ULONG AuthnSvc,
                                                          RPC_AUTH_IDENTITY_HANDLE AuthIdentity,
                                                          ULONG AuthzSvc, RPC_SECURITY_QOS *SecurityQos);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingSetAuthInfoExW(RPC_BINDING_HANDLE Binding,
                                                          RPC_WSTR ServerPrincName, ULONG AuthnLevel,
                                                          ULONG AuthnSvc,
                                                          RPC_AUTH_IDENTITY_HANDLE AuthIdentity,
                                                          ULONG AuthzSvc, RPC_SECURITY_QOS *SecurityQos);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingInqAuthInfoA(RPC_BINDING_HANDLE Binding,
                                                        RPC_CSTR *ServerPrincName, ULONG *AuthnLevel,
                                                        ULONG *AuthnSvc,
                                                        RPC_AUTH_IDENTITY_HANDLE *AuthIdentity,
                                                        ULONG *AuthzSvc);
/* In a manager routine: the caller's security.  *Privs is "DOMAIN\user" (the call's memory:
   valid until the routine returns), as Windows gives NTLM and Kerberos callers. */
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingInqAuthClientA(RPC_BINDING_HANDLE ClientBinding,
                                                          RPC_AUTHZ_HANDLE *Privs,
                                                          RPC_CSTR *ServerPrincName,
                                                          ULONG *AuthnLevel, ULONG *AuthnSvc,
                                                          ULONG *AuthzSvc);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingInqAuthClientW(RPC_BINDING_HANDLE ClientBinding,
                                                          RPC_AUTHZ_HANDLE *Privs,
                                                          RPC_WSTR *ServerPrincName,
                                                          ULONG *AuthnLevel, ULONG *AuthnSvc,
                                                          ULONG *AuthzSvc);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcEpResolveBinding(RPC_BINDING_HANDLE Binding, RPC_IF_HANDLE IfSpec);

/* Servers: one per process, as on Windows. */
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerUseProtseqA(RPC_CSTR Protseq, unsigned int MaxCalls,
                                                      void *SecurityDescriptor);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerUseProtseqW(RPC_WSTR Protseq, unsigned int MaxCalls,
                                                      void *SecurityDescriptor);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerUseProtseqEpA(RPC_CSTR Protseq, unsigned int MaxCalls,
                                                        RPC_CSTR Endpoint, void *SecurityDescriptor);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerUseProtseqEpW(RPC_WSTR Protseq, unsigned int MaxCalls,
                                                        RPC_WSTR Endpoint, void *SecurityDescriptor);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerInqBindings(RPC_BINDING_VECTOR **BindingVector);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcBindingVectorFree(RPC_BINDING_VECTOR **BindingVector);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerRegisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                                     RPC_MGR_EPV *MgrEpv);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerRegisterIfEx(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                                       RPC_MGR_EPV *MgrEpv, unsigned int Flags,
                                                       unsigned int MaxCalls,
                                                       RPC_IF_CALLBACK_FN *IfCallback);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerRegisterIf2(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                                      RPC_MGR_EPV *MgrEpv, unsigned int Flags,
                                                      unsigned int MaxCalls, unsigned int MaxRpcSize,
                                                      RPC_IF_CALLBACK_FN *IfCallbackFn);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerRegisterIf3(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                                      RPC_MGR_EPV *MgrEpv, unsigned int Flags,
                                                      unsigned int MaxCalls, unsigned int MaxRpcSize,
                                                      RPC_IF_CALLBACK_FN *IfCallback,
                                                      void *SecurityDescriptor);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerUnregisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                                       unsigned int WaitForCallsToComplete);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerRegisterAuthInfoA(RPC_CSTR ServerPrincName, ULONG AuthnSvc,
                                                            void *GetKeyFn, void *Arg);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerRegisterAuthInfoW(RPC_WSTR ServerPrincName, ULONG AuthnSvc,
                                                            void *GetKeyFn, void *Arg);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerListen(unsigned int MinimumCallThreads,
                                                 unsigned int MaxCalls, unsigned int DontWait);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcMgmtStopServerListening(RPC_BINDING_HANDLE Binding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcMgmtWaitServerListen(void);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcMgmtIsServerListening(RPC_BINDING_HANDLE Binding);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcMgmtInqIfIds(RPC_BINDING_HANDLE Binding,
                                                 RPC_IF_ID_VECTOR **IfIdVector);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcIfIdVectorFree(RPC_IF_ID_VECTOR **IfIdVector);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcIfInqId(RPC_IF_HANDLE RpcIfHandle, RPC_IF_ID *RpcIfId);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcMgmtSetComTimeout(RPC_BINDING_HANDLE Binding, unsigned int Timeout);

/*
 * Call cancellation.  Thread names the thread whose call to cancel: on Linux its pthread_t
 * (`(void *)(uintptr_t)pthread_self()` taken by that thread), where Windows has a thread
 * HANDLE.  The server is told (co_cancel) and the call waits for its answer Timeout
 * seconds (RpcCancelThread: the thread's RpcMgmtSetCancelTimeout, by default for ever),
 * then fails with RPC_S_CALL_CANCELLED.  A thread in no call: nothing happens.
 */
#define RPC_C_CANCEL_INFINITE_TIMEOUT (-1)
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcCancelThread(void *Thread);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcCancelThreadEx(void *Thread, long Timeout);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcMgmtSetCancelTimeout(long Timeout);
/* In a server routine: RPC_S_OK when its client cancelled the call, else
   RPC_S_CALL_IN_PROGRESS (RpcTestCancel: ERROR_ACCESS_DENIED), RPC_S_NO_CALL_ACTIVE
   outside a call. */
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcTestCancel(void);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerTestCancel(RPC_BINDING_HANDLE BindingHandle);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcEpRegisterA(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                                                UUID_VECTOR *UuidVector, RPC_CSTR Annotation);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcEpRegisterW(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                                                UUID_VECTOR *UuidVector, RPC_WSTR Annotation);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcEpRegisterNoReplaceA(RPC_IF_HANDLE IfSpec,
                                                         RPC_BINDING_VECTOR *BindingVector,
                                                         UUID_VECTOR *UuidVector, RPC_CSTR Annotation);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcEpRegisterNoReplaceW(RPC_IF_HANDLE IfSpec,
                                                         RPC_BINDING_VECTOR *BindingVector,
                                                         UUID_VECTOR *UuidVector, RPC_WSTR Annotation);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcEpUnregister(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                                                 UUID_VECTOR *UuidVector);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerInqCallAttributesA(RPC_BINDING_HANDLE ClientBinding,
                                                             void *RpcCallAttributes);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcServerInqCallAttributesW(RPC_BINDING_HANDLE ClientBinding,
                                                             void *RpcCallAttributes);
/*
 * The calling thread takes the caller's identity until RpcRevertToSelf (or the call's end):
 * its Unix user, group and groups, per thread (the raw setresuid/setresgid/setgroups
 * system calls, not glibc's process-wide wrappers).  The caller's uid comes from the kernel
 * over ncalrpc (SO_PEERCRED) or from an authenticated name that is a Unix user.  No such
 * identity: RPC_S_NO_CONTEXT_AVAILABLE; one this process may not take (it is not root and
 * the caller is another user): ERROR_CANNOT_IMPERSONATE -- the thread never goes on as the
 * server while the caller believes otherwise.  A client that allowed identification only
 * (RPC_C_IMP_LEVEL_IDENTIFY) is not impersonated either: ERROR_CANNOT_IMPERSONATE.
 */
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcImpersonateClient(RPC_BINDING_HANDLE BindingHandle);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcRevertToSelfEx(RPC_BINDING_HANDLE BindingHandle);
DCOM_EXPORT RPC_STATUS RPC_ENTRY RpcRevertToSelf(void);

DCOM_EXPORT RPC_STATUS RPC_ENTRY UuidCreate(UUID *Uuid);
DCOM_EXPORT RPC_STATUS RPC_ENTRY UuidCreateNil(UUID *NilUuid);
DCOM_EXPORT RPC_STATUS RPC_ENTRY UuidToStringA(const UUID *Uuid, RPC_CSTR *StringUuid);
DCOM_EXPORT RPC_STATUS RPC_ENTRY UuidToStringW(const UUID *Uuid, RPC_WSTR *StringUuid);
DCOM_EXPORT RPC_STATUS RPC_ENTRY UuidFromStringA(RPC_CSTR StringUuid, UUID *Uuid);
DCOM_EXPORT RPC_STATUS RPC_ENTRY UuidFromStringW(RPC_WSTR StringUuid, UUID *Uuid);
DCOM_EXPORT int RPC_ENTRY UuidEqual(UUID *Uuid1, UUID *Uuid2, RPC_STATUS *Status);
DCOM_EXPORT int RPC_ENTRY UuidIsNil(UUID *Uuid, RPC_STATUS *Status);

#ifdef __cplusplus
}
#endif

#ifdef UNICODE
#define RpcStringBindingCompose RpcStringBindingComposeW
#define RpcStringBindingParse RpcStringBindingParseW
#define RpcStringFree RpcStringFreeW
#define RpcBindingFromStringBinding RpcBindingFromStringBindingW
#define RpcBindingToStringBinding RpcBindingToStringBindingW
#define RpcBindingSetAuthInfo RpcBindingSetAuthInfoW
#define RpcBindingSetAuthInfoEx RpcBindingSetAuthInfoExW
#define RpcBindingInqAuthClient RpcBindingInqAuthClientW
#define RpcServerUseProtseq RpcServerUseProtseqW
#define RpcServerUseProtseqEp RpcServerUseProtseqEpW
#define RpcServerRegisterAuthInfo RpcServerRegisterAuthInfoW
#define RpcEpRegister RpcEpRegisterW
#define RpcEpRegisterNoReplace RpcEpRegisterNoReplaceW
#define RpcServerInqCallAttributes RpcServerInqCallAttributesW
#define UuidToString UuidToStringW
#define UuidFromString UuidFromStringW
#define RPC_CALL_ATTRIBUTES_V1 RPC_CALL_ATTRIBUTES_V1_W
#define RPC_CALL_ATTRIBUTES_V2 RPC_CALL_ATTRIBUTES_V2_W
#else
#define RpcStringBindingCompose RpcStringBindingComposeA
#define RpcStringBindingParse RpcStringBindingParseA
#define RpcStringFree RpcStringFreeA
#define RpcBindingFromStringBinding RpcBindingFromStringBindingA
#define RpcBindingToStringBinding RpcBindingToStringBindingA
#define RpcBindingSetAuthInfo RpcBindingSetAuthInfoA
#define RpcBindingSetAuthInfoEx RpcBindingSetAuthInfoExA
#define RpcBindingInqAuthClient RpcBindingInqAuthClientA
#define RpcServerUseProtseq RpcServerUseProtseqA
#define RpcServerUseProtseqEp RpcServerUseProtseqEpA
#define RpcServerRegisterAuthInfo RpcServerRegisterAuthInfoA
#define RpcEpRegister RpcEpRegisterA
#define RpcEpRegisterNoReplace RpcEpRegisterNoReplaceA
#define RpcServerInqCallAttributes RpcServerInqCallAttributesA
#define UuidToString UuidToStringA
#define UuidFromString UuidFromStringA
#define RPC_CALL_ATTRIBUTES_V1 RPC_CALL_ATTRIBUTES_V1_A
#define RPC_CALL_ATTRIBUTES_V2 RPC_CALL_ATTRIBUTES_V2_A
#endif
#define RPC_CALL_ATTRIBUTES RPC_CALL_ATTRIBUTES_V2

#endif /* DCOM_WIN_RPCDCE_H */
