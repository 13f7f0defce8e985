/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM library's functions and constants, with Windows' names and C shapes
 * (objbase.h / combaseapi.h): initialization and apartments, activation, the class
 * table, memory, GUID strings and ProgIDs.  Portable code includes <objbase.h>, which
 * includes this; the interfaces themselves (IUnknown, IClassFactory, IMalloc, ...) come
 * from the dcomidl-generated unknwn.h and objidl.h.
 */
#ifndef DCOM_COM_H
#define DCOM_COM_H

#include <stddef.h>

#include <dcom/types.h>
#include <dcom/winerror.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef DCOM_EXPORT
#define DCOM_EXPORT __attribute__((visibility("default")))
#endif

#ifndef STDMETHODCALLTYPE
#define STDMETHODCALLTYPE
#endif
#ifndef STDAPICALLTYPE
#define STDAPICALLTYPE
#endif
#ifndef WINAPI
#define WINAPI
#endif
/* extern "C" in C++, as Windows' (DllGetClassObject and friends keep their C names) */
#ifdef __cplusplus
#define STDAPI extern "C" HRESULT STDAPICALLTYPE
#define STDAPI_(type) extern "C" type STDAPICALLTYPE
#else
#define STDAPI HRESULT STDAPICALLTYPE
#define STDAPI_(type) type STDAPICALLTYPE
#endif


/* 16-bit string literals (OLESTR is <dcom/types.h>'s: WCHAR is 16 bits, wchar_t is not). */
#ifndef TEXT
#define TEXT(s) OLESTR(s)
#endif

/* --- initialization and apartments ---------------------------------------------------- */

typedef enum tagCOINIT {
        COINIT_APARTMENTTHREADED = 0x2,
        COINIT_MULTITHREADED = 0x0,
        COINIT_DISABLE_OLE1DDE = 0x4,
        COINIT_SPEED_OVER_MEMORY = 0x8,
} COINIT;

typedef enum _APTTYPE {
        APTTYPE_CURRENT = -1,
        APTTYPE_STA = 0,
        APTTYPE_MTA = 1,
        APTTYPE_NA = 2,
        APTTYPE_MAINSTA = 3,
} APTTYPE;

typedef enum _APTTYPEQUALIFIER {
        APTTYPEQUALIFIER_NONE = 0,
        APTTYPEQUALIFIER_IMPLICIT_MTA = 1,
        APTTYPEQUALIFIER_NA_ON_MTA = 2,
        APTTYPEQUALIFIER_NA_ON_STA = 3,
        APTTYPEQUALIFIER_NA_ON_IMPLICIT_MTA = 4,
        APTTYPEQUALIFIER_NA_ON_MAINSTA = 5,
        APTTYPEQUALIFIER_APPLICATION_STA = 6,
} APTTYPEQUALIFIER;

DCOM_EXPORT HRESULT WINAPI CoInitializeEx(void *reserved, DWORD coinit);
DCOM_EXPORT HRESULT WINAPI CoInitialize(void *reserved);
DCOM_EXPORT void WINAPI CoUninitialize(void);
DCOM_EXPORT HRESULT WINAPI CoGetApartmentType(APTTYPE *type, APTTYPEQUALIFIER *qualifier);
/* The calling thread's logical thread ID: the causality ID ([MS-DCOM] 1.3.5) of the incoming
   call it runs, which the calls it makes meanwhile carry; else an ID of its own. */
DCOM_EXPORT HRESULT WINAPI CoGetCurrentLogicalThreadId(GUID *id);
/* The calling apartment's object context (IComThreadingInfo, IContextCallback), and a
   token naming it: the context's IUnknown, not referenced. */
DCOM_EXPORT HRESULT WINAPI CoGetObjectContext(REFIID riid, void **ppv);
DCOM_EXPORT HRESULT WINAPI CoGetContextToken(ULONG_PTR *token);
/* Each apartment is one default context, which cannot be disconnected: CO_E_NOT_SUPPORTED
   (CO_E_NOTINITIALIZED without an apartment), as Windows answers for a default context. */
DCOM_EXPORT HRESULT WINAPI CoDisconnectContext(DWORD dwTimeout);
/*
 * Keeps the MTA (making it if there is none) while no thread of it may be initialized:
 * threads not initialized then run in it, implicitly.  Each cookie is given back once.
 */
typedef struct CO_MTA_USAGE_COOKIE__ *CO_MTA_USAGE_COOKIE;
DCOM_EXPORT HRESULT WINAPI CoIncrementMTAUsage(CO_MTA_USAGE_COOKIE *cookie);
DCOM_EXPORT HRESULT WINAPI CoDecrementMTAUsage(CO_MTA_USAGE_COOKIE cookie);

/*
 * Waiting without blocking an STA: the work posted to the caller's STA (later, the
 * calls remoting delivers to it) runs while it waits.  Handles are events.
 */
#ifndef DCOM_HANDLE_DEFINED
#define DCOM_HANDLE_DEFINED
typedef void *HANDLE;
#endif
#define INFINITE 0xFFFFFFFFu
#define COWAIT_WAITALL 1
#define COWAIT_ALERTABLE 2
#define COWAIT_INPUTAVAILABLE 4
DCOM_EXPORT HRESULT WINAPI CoWaitForMultipleHandles(DWORD flags, DWORD timeout_ms, ULONG n,
                                                    HANDLE *handles, DWORD *index);
/* The newer wait: for any one handle; an STA runs the calls for it meanwhile only with
   CWMO_DISPATCH_CALLS (there are no window messages to dispatch here). */
typedef enum CWMO_FLAGS {
        CWMO_DEFAULT = 0,
        CWMO_DISPATCH_CALLS = 1,
        CWMO_DISPATCH_WINDOW_MESSAGES = 2,
} CWMO_FLAGS;
#define CWMO_MAX_HANDLES 56
DCOM_EXPORT HRESULT WINAPI CoWaitForMultipleObjects(DWORD flags, DWORD timeout_ms, ULONG n,
                                                    const HANDLE *handles, DWORD *index);
/* Events (kernel32's names): unnamed, manual- or auto-reset. */
DCOM_EXPORT HANDLE WINAPI CreateEventW(void *attributes, BOOL manual_reset, BOOL initial,
                                       LPCWSTR name);
DCOM_EXPORT BOOL WINAPI SetEvent(HANDLE h);
DCOM_EXPORT BOOL WINAPI ResetEvent(HANDLE h);
DCOM_EXPORT BOOL WINAPI CloseHandle(HANDLE h);
/* The calling thread's ID (its Linux thread ID, gettid()): what CoCancelCall takes. */
DCOM_EXPORT DWORD WINAPI GetCurrentThreadId(void);

/* --- activation ------------------------------------------------------------------------ */

typedef enum tagCLSCTX {
        CLSCTX_INPROC_SERVER = 0x1,
        CLSCTX_INPROC_HANDLER = 0x2,
        CLSCTX_LOCAL_SERVER = 0x4,
        CLSCTX_INPROC_SERVER16 = 0x8,
        CLSCTX_REMOTE_SERVER = 0x10,
        CLSCTX_INPROC_HANDLER16 = 0x20,
        CLSCTX_NO_CODE_DOWNLOAD = 0x400,
        CLSCTX_NO_CUSTOM_MARSHAL = 0x1000,
        CLSCTX_ENABLE_CODE_DOWNLOAD = 0x2000,
        CLSCTX_NO_FAILURE_LOG = 0x4000,
        CLSCTX_DISABLE_AAA = 0x8000,
        CLSCTX_ENABLE_AAA = 0x10000,
        CLSCTX_FROM_DEFAULT_CONTEXT = 0x20000,
        CLSCTX_ACTIVATE_32_BIT_SERVER = 0x40000,
        CLSCTX_ACTIVATE_64_BIT_SERVER = 0x80000,
} CLSCTX;
#define CLSCTX_INPROC (CLSCTX_INPROC_SERVER | CLSCTX_INPROC_HANDLER)
#define CLSCTX_ALL (CLSCTX_INPROC_SERVER | CLSCTX_INPROC_HANDLER | CLSCTX_LOCAL_SERVER | \
                    CLSCTX_REMOTE_SERVER)
#define CLSCTX_SERVER (CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER)

/* Credentials for another host (wtypes.h): the layout of <rpcdce.h>'s
   SEC_WINNT_AUTH_IDENTITY_W, which RPC takes it as (Flags SEC_WINNT_AUTH_IDENTITY_UNICODE). */
typedef struct _COAUTHIDENTITY {
        USHORT *User;
        ULONG UserLength;
        USHORT *Domain;
        ULONG DomainLength;
        USHORT *Password;
        ULONG PasswordLength;
        ULONG Flags;
} COAUTHIDENTITY;

/* The security of an activation on another host: authentication service (RPC_C_AUTHN_*),
   level, the credentials; NULL members: the defaults. */
typedef struct _COAUTHINFO {
        DWORD dwAuthnSvc;
        DWORD dwAuthzSvc;
        LPWSTR pwszServerPrincName;
        DWORD dwAuthnLevel;
        DWORD dwImpersonationLevel;
        COAUTHIDENTITY *pAuthIdentityData;
        DWORD dwCapabilities;
} COAUTHINFO;

typedef struct _COSERVERINFO {
        DWORD dwReserved1;
        LPWSTR pwszName;                /* the host: a name or an address */
        COAUTHINFO *pAuthInfo;
        DWORD dwReserved2;
} COSERVERINFO;

struct IUnknown;

typedef struct tagMULTI_QI {
        const IID *pIID;
        struct IUnknown *pItf;
        HRESULT hr;
} MULTI_QI;

DCOM_EXPORT HRESULT WINAPI CoCreateInstance(REFCLSID rclsid, struct IUnknown *outer, DWORD clsctx,
                                            REFIID riid, void **ppv);
/* The SCM bindings cached for a machine flushed: none is (each activation opens its
   own), so CO_S_MACHINENAMENOTFOUND. */
DCOM_EXPORT HRESULT WINAPI CoInvalidateRemoteMachineBindings(OLECHAR *machine);
DCOM_EXPORT HRESULT WINAPI CoCreateInstanceEx(REFCLSID rclsid, struct IUnknown *outer,
                                              DWORD clsctx, COSERVERINFO *server, DWORD count,
                                              MULTI_QI *results);
DCOM_EXPORT HRESULT WINAPI CoGetClassObject(REFCLSID rclsid, DWORD clsctx, COSERVERINFO *server,
                                            REFIID riid, void **ppv);
DCOM_EXPORT void WINAPI CoFreeUnusedLibraries(void);
DCOM_EXPORT void WINAPI CoFreeUnusedLibrariesEx(DWORD delay_ms, DWORD reserved);

/* --- marshaling interface pointers ([MS-DCOM] 2.2.18, objbase.h) ----------------------------- */

struct IStream;

typedef enum tagMSHCTX {
        MSHCTX_LOCAL = 0,               /* another process on this machine */
        MSHCTX_NOSHAREDMEM = 1,
        MSHCTX_DIFFERENTMACHINE = 2,
        MSHCTX_INPROC = 3,              /* another apartment of this process */
        MSHCTX_CROSSCTX = 4,
} MSHCTX;

typedef enum tagMSHLFLAGS {
        MSHLFLAGS_NORMAL = 0,           /* unmarshaled once */
        MSHLFLAGS_TABLESTRONG = 1,      /* any number of times, until CoReleaseMarshalData */
        MSHLFLAGS_TABLEWEAK = 2,
        MSHLFLAGS_NOPING = 4,           /* clients do not ping: no garbage collection */
} MSHLFLAGS;

DCOM_EXPORT HRESULT WINAPI CoMarshalInterface(struct IStream *stm, REFIID riid,
                                              struct IUnknown *unk, DWORD dest_ctx,
                                              void *dest_ctx_data, DWORD mshlflags);
DCOM_EXPORT HRESULT WINAPI CoUnmarshalInterface(struct IStream *stm, REFIID riid, void **ppv);
DCOM_EXPORT HRESULT WINAPI CoReleaseMarshalData(struct IStream *stm);
DCOM_EXPORT HRESULT WINAPI CoGetMarshalSizeMax(ULONG *size, REFIID riid, struct IUnknown *unk,
                                               DWORD dest_ctx, void *dest_ctx_data,
                                               DWORD mshlflags);
DCOM_EXPORT HRESULT WINAPI CoDisconnectObject(struct IUnknown *unk, DWORD reserved);
/* TRUE: unk is not a proxy, or no call through it was answered that its object is
   disconnected (no round trip; a server that stops answering is not counted) */
DCOM_EXPORT BOOL WINAPI CoIsHandlerConnected(struct IUnknown *unk);
struct IMarshal;
DCOM_EXPORT HRESULT WINAPI CoGetStandardMarshal(REFIID riid, struct IUnknown *unk, DWORD dest_ctx,
                                                void *dest_ctx_data, DWORD mshlflags,
                                                struct IMarshal **ret);
typedef enum tagSTDMSHLFLAGS {
        SMEXF_SERVER = 0x01,            /* the standard marshaler in a server object */
        SMEXF_HANDLER = 0x02,           /* in a client's handler: E_NOTIMPL here */
} STDMSHLFLAGS;
/*
 * The standard marshaler aggregated into outer (SMEXF_SERVER): *inner is the aggregate's
 * own IUnknown, whose IMarshal marshals outer; outer's IMarshal hands calls to it.
 */
DCOM_EXPORT HRESULT WINAPI CoGetStdMarshalEx(struct IUnknown *outer, DWORD smexflags,
                                             struct IUnknown **inner);
/*
 * The CLSID of riid's proxy/stub factory: one CoRegisterPSClsid gave this process, else
 * HKCR\Interface\{iid}\ProxyStubClsid32 (REGDB_E_IIDNOTREG without one).  Its
 * IPSFactoryBuffer (CoGetClassObject) makes proxies and stubs on an IRpcChannelBuffer.
 */
DCOM_EXPORT HRESULT WINAPI CoGetPSClsid(REFIID riid, CLSID *clsid);
DCOM_EXPORT HRESULT WINAPI CoRegisterPSClsid(REFIID riid, REFCLSID clsid);
/* An interface pointer for another thread (apartment) of this process, and back. */
DCOM_EXPORT HRESULT WINAPI CoMarshalInterThreadInterfaceInStream(REFIID riid, struct IUnknown *unk,
                                                                 struct IStream **ret);
DCOM_EXPORT HRESULT WINAPI CoGetInterfaceAndReleaseStream(struct IStream *stm, REFIID riid,
                                                          void **ppv);
/* A proxy's security: RPC_C_AUTHN_* service, RPC_C_AUTHN_LEVEL_*, RPC_C_IMP_LEVEL_*,
   a SEC_WINNT_AUTH_IDENTITY_W (<rpcdce.h>) or COLE_DEFAULT_AUTHINFO; levels below
   PKT_INTEGRITY stay those of the connection. */
DCOM_EXPORT HRESULT WINAPI CoSetProxyBlanket(struct IUnknown *proxy, DWORD authn_svc,
                                             DWORD authz_svc, OLECHAR *principal, DWORD level,
                                             DWORD imp, void *auth_info, DWORD caps);
DCOM_EXPORT HRESULT WINAPI CoQueryProxyBlanket(struct IUnknown *proxy, DWORD *authn_svc,
                                               DWORD *authz_svc, OLECHAR **principal,
                                               DWORD *level, DWORD *imp, void **auth_info,
                                               DWORD *caps);
/* A proxy of the same interface with a blanket of its own (CoSetProxyBlanket on the copy
   leaves the original's alone); released on its own.  E_INVALIDARG for what is no proxy. */
DCOM_EXPORT HRESULT WINAPI CoCopyProxy(struct IUnknown *proxy, struct IUnknown **copy);
/* The standard marshaler's class, and the Global Interface Table's (IGlobalInterfaceTable). */
DCOM_EXPORT extern const CLSID CLSID_StdMarshal;
DCOM_EXPORT extern const CLSID CLSID_StdGlobalInterfaceTable;
/*
 * The free-threaded marshaler, for an object to aggregate (outer: its controlling
 * unknown; *ret: the marshaler's own IUnknown, to keep and to QueryInterface for IMarshal
 * when asked): marshaled for another apartment of this process the object's pointer goes
 * as it is (no proxy), for anywhere else the standard way.  CLSID_InProcFreeMarshaler is
 * the class its in-process data names.
 */
DCOM_EXPORT HRESULT WINAPI CoCreateFreeThreadedMarshaler(struct IUnknown *outer,
                                                         struct IUnknown **ret);
DCOM_EXPORT extern const CLSID CLSID_InProcFreeMarshaler;
DCOM_EXPORT HRESULT WINAPI CoLockObjectExternal(struct IUnknown *unk, BOOL lock,
                                                BOOL last_unlock_releases);

/* --- the class table (local servers) -------------------------------------------------- */

typedef enum tagREGCLS {
        REGCLS_SINGLEUSE = 0,
        REGCLS_MULTIPLEUSE = 1,
        REGCLS_MULTI_SEPARATE = 2,
        REGCLS_SUSPENDED = 4,
        REGCLS_SURROGATE = 8,
        REGCLS_AGILE = 0x10,
} REGCLS;

DCOM_EXPORT HRESULT WINAPI CoRegisterClassObject(REFCLSID rclsid, struct IUnknown *unk,
                                                 DWORD clsctx, DWORD flags, DWORD *cookie);
DCOM_EXPORT HRESULT WINAPI CoRevokeClassObject(DWORD cookie);
DCOM_EXPORT HRESULT WINAPI CoResumeClassObjects(void);
DCOM_EXPORT HRESULT WINAPI CoSuspendClassObjects(void);
DCOM_EXPORT ULONG WINAPI CoAddRefServerProcess(void);
DCOM_EXPORT ULONG WINAPI CoReleaseServerProcess(void);

/* --- memory ----------------------------------------------------------------------------- */

DCOM_EXPORT void *WINAPI CoTaskMemAlloc(SIZE_T size);
DCOM_EXPORT void *WINAPI CoTaskMemRealloc(void *p, SIZE_T size);
DCOM_EXPORT void WINAPI CoTaskMemFree(void *p);
struct IMalloc;
#define MEMCTX_TASK 1
DCOM_EXPORT HRESULT WINAPI CoGetMalloc(DWORD context, struct IMalloc **ret);

/* --- GUIDs, strings, ProgIDs ----------------------------------------------------------- */

DCOM_EXPORT HRESULT WINAPI CoCreateGuid(GUID *ret);
/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" in CoTaskMemAlloc'd memory */
DCOM_EXPORT HRESULT WINAPI StringFromCLSID(REFCLSID rclsid, LPOLESTR *ret);
DCOM_EXPORT HRESULT WINAPI StringFromIID(REFIID riid, LPOLESTR *ret);
/* Writes into buf (cch >= 39 characters with the NUL); returns the characters written
   including the NUL, 0 when buf is too small. */
DCOM_EXPORT int WINAPI StringFromGUID2(REFGUID rguid, LPOLESTR buf, int cch);
/* "{...}", or a ProgID looked up in HKCR; CO_E_CLASSSTRING for neither. */
DCOM_EXPORT HRESULT WINAPI CLSIDFromString(LPCOLESTR s, LPCLSID ret);
DCOM_EXPORT HRESULT WINAPI IIDFromString(LPCOLESTR s, IID *ret);
DCOM_EXPORT HRESULT WINAPI ProgIDFromCLSID(REFCLSID rclsid, LPOLESTR *ret);
/* HKCR\ProgID\CLSID, following HKCR\ProgID\CurVer to the current version. */
DCOM_EXPORT HRESULT WINAPI CLSIDFromProgID(LPCOLESTR progid, LPCLSID ret);
/* CLSIDFromProgID (Windows' also offers to install the class: nothing installs here). */
DCOM_EXPORT HRESULT WINAPI CLSIDFromProgIDEx(LPCOLESTR progid, LPCLSID ret);
/* Now, in 100-ns units since 1601-01-01 UTC. */
DCOM_EXPORT HRESULT WINAPI CoFileTimeNow(FILETIME *ret);
DCOM_EXPORT HRESULT WINAPI CoGetTreatAsClass(REFCLSID old, LPCLSID ret);
DCOM_EXPORT HRESULT WINAPI CoTreatAsClass(REFCLSID old, REFCLSID newclsid);

/* --- in-process servers' exports ------------------------------------------------------ */

typedef HRESULT(STDAPICALLTYPE *LPFNGETCLASSOBJECT)(REFCLSID, REFIID, void **);
typedef HRESULT(STDAPICALLTYPE *LPFNCANUNLOADNOW)(void);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_COM_H */
