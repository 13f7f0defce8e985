/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * COM remoting inside the library ([MS-DCOM] 3.1.1 the object exporter, 3.2 the client):
 * the proxy/stub registry, the exporter (stub managers, IPIDs, IRemUnknown2, the
 * listener whose ORPC calls it dispatches), and the proxy manager (one proxy object per
 * remote object identity, the channel its calls go through).  marshal.c holds the
 * public API (CoMarshalInterface & co.) on top of both.
 */
#ifndef DCOM_COM_REMOTE_INTERNAL_H
#define DCOM_COM_REMOTE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <objbase.h>

#include "com/com-internal.h"
#include "com/objref.h"
#include "com/orpc-stub.h"
#include "orpc.h"
#include "rpc/rpc-internal.h"

/* --- proxies and stubs, by IID ---------------------------------------------------------------- */

struct com_ps {
        IID iid;
        const void *proxy_vtbl;                 /* IFoo_ProxyVtbl */
        const struct ndr_interface *iface;      /* IFoo_p_interface: the stubs' ops, and what
                                                   proxies bind to (IID, version 0.0) */
};
/* Registers a generated interface's proxy and stub (built in: IRemUnknown, IRemUnknown2). */
int com_ps_register(const void *proxy_vtbl, const struct ndr_interface *iface);
/* iid's proxy and stub: built in, registered, or from its proxy/stub library; NULL if none. */
const struct com_ps *com_ps_find(const IID *iid);
/*
 * Loads iid's proxy/stub library as Windows finds it (HKCR\Interface\{iid}\
 * ProxyStubClsid32 -> HKCR\CLSID\{clsid}\InprocServer32, its IPSFactoryBuffer) and
 * registers the interface's proxy and stub from it (psfactory.c).  0, or a negative errno
 * with the reason on the "com" debug channel: -ENOENT (not registered), -ENOEXEC (no such
 * library, no DllGetClassObject, not a dcomidl/MIDL proxy/stub factory, iid not in it),
 * -EAGAIN (another thread is inside a registry transaction, which would hold the lookup up
 * -- and may be waiting for this thread).
 */
int com_ps_load(const IID *iid);
/* Whether vtbl is a registered interface's proxy vtable. */
bool com_ps_is_proxy_vtbl(const void *vtbl);
/*
 * IPSFactoryBuffer::CreateProxy / CreateStub of a proxy/stub library (psbuffer.c): the
 * library's interface proxy or stub for riid on an IRpcChannelBuffer, holding factory
 * (the library stays loaded while they live).  The caller has checked its arguments.
 */
struct tagCInterfaceProxyVtbl;
struct tagCInterfaceStubVtbl;
HRESULT com_ps_create_proxy(IPSFactoryBuffer *factory, const struct tagCInterfaceProxyVtbl *pv,
                            const struct tagCInterfaceStubVtbl *sv, IUnknown *outer, REFIID riid,
                            IRpcProxyBuffer **ppProxy, void **ppv);
HRESULT com_ps_create_stub(IPSFactoryBuffer *factory, const struct tagCInterfaceStubVtbl *sv,
                           REFIID riid, IUnknown *server, IRpcStubBuffer **ppStub);

/* --- the exporter (exporter.c) ---------------------------------------------------------------- */

#define COM_MARSHAL_REFS 5              /* public references an OBJREF carries ([MS-DCOM] 3.1.1.5.2) */

/*
 * Exports (the caller's apartment's exporter, made and listening on first use) the
 * object unk as iid for a marshal of mshlflags (MSHLFLAGS_*) and fills o as an
 * OBJREF_STANDARD for dest (MSHCTX_*).  unk is the object's identity (its IUnknown);
 * E_NOINTERFACE when it does not have iid, RPC_S_SERVER_UNAVAILABLE (as HRESULT) when a
 * reference for another process cannot be registered with rpcss.
 */
HRESULT com_export(IUnknown *unk, const IID *iid, DWORD dest, DWORD mshlflags, struct objref *o);
/* CoUnmarshalInterface of what a peer sent (marshal.c): an OBJREF_CUSTOM in it, at any
   depth, only through a class this process chose as a marshaler (E_ACCESSDENIED). */
HRESULT com_unmarshal_from_peer(IStream *stm, REFIID riid, void **ppv);
/* Whether oxid is one of this process's exporters. */
bool com_exporter_is_local(OXID oxid);
/* One of this process's OXIDs: its IRemUnknown's IPID and authentication hint. */
bool com_exporter_oxid_info(OXID oxid, IPID *ret_ipid_remunk, uint32_t *ret_hint);
/*
 * An OBJREF of this process's: the object's interface iid (AddRef'd) if the caller is in
 * the object's apartment (or either is the MTA); otherwise *ret NULL and S_FALSE (the
 * caller needs a proxy).  refs: the OBJREF's public references, given back to the
 * IPID (release true) or kept (a table marshal's).  CO_E_OBJNOTCONNECTED for an IPID we
 * do not have.
 */
HRESULT com_export_unmarshal_local(const STDOBJREF *std, const IID *iid, bool release,
                                   void **ret);
/* Gives back refs public references of std's IPID (CoReleaseMarshalData), or a table
   marshal's hold (refs 0); rollback: a marshal that failed after all, which does not tell
   the object's IExternalConnection to close. */
HRESULT com_export_release(const STDOBJREF *std, unsigned refs, bool rollback);
/* A proxy manager of this process for one of its own objects came (add) or went: such
   proxies do not ping, so the object is not run down while they exist. */
void com_export_local_proxy(OXID oxid, OID oid, bool add);
/* Disconnects the object unk from every remote client (CoDisconnectObject). */
HRESULT com_export_disconnect(IUnknown *unk);
/* CoLockObjectExternal: holds (or lets go of) an external lock on the stub manager. */
HRESULT com_export_lock(IUnknown *unk, bool lock, bool last_unlock_releases);
/* This process's ncalrpc endpoint for its exporters (listening), for in-process proxies. */
int com_exporter_local_binding(char *buf, size_t size);

/* --- the process's security (security.c) -------------------------------------------------- */

/* Settles the process's security if CoInitializeSecurity did not: its AppID's settings
   (HKCR\AppID\<executable>), else the machine's defaults.  0 or a negative errno. */
int com_security_init(void);
/* The level ORPC calls into this process must have at least (RPC_AUTHN_LEVEL_*). */
uint8_t com_security_authn_level(void);
/* The impersonation level this process's calls give servers (RPC_C_IMP_LEVEL_*):
   CoInitializeSecurity's, else LegacyImpersonationLevel (identify). */
uint8_t com_security_imp_level(void);
/* The TCP port the process's AppID Endpoints names for its exporter (0: dynamic). */
uint16_t com_security_tcp_port(void);
/* Where the process's settings come from, in words (the DCOM_DEBUG=com line). */
const char *com_security_describe(void);
/* EOAC_SECURE_REFS / LegacySecureReferences: our proxies take private references. */
bool com_security_secure_refs(void);
/* The authentication services the exporter advertises in its bindings: those
   CoInitializeSecurity listed (RPC_C_AUTHN_DEFAULT: NTLM and Negotiate), else NTLM and
   Negotiate; at most max, none for a list of none. */
unsigned com_security_advertised_svcs(uint8_t *out, unsigned max);
/* The current incoming call's identity as a reference-holder key ("" outside a call). */
void com_call_principal(char *out, size_t size);
/* Whether an incoming ORPC call may run: the machine's access restriction, the process's
   access permission and level; a refusal is audited with what would grant it. */
bool com_security_check_call(void *call);
/* The call context (CoGetCallContext) of a call about to run on this thread; leave it
   when the call returns (an impersonation still on is reverted). */
void *com_call_enter(void *call);
void com_call_leave(void *cookie);
/* Whether this thread acts as its COM caller under another identity (CoImpersonateClient),
   and then the process's own user, which it returns to (cloaking: proxy.c). */
bool com_impersonation_self(uid_t *ret);
/* The process's EOAC_* capabilities (CoInitializeSecurity's; 0 when it was not called). */
uint32_t com_security_caps(void);
/* Whether those capabilities include EOAC_STATIC_CLOAKING or EOAC_DYNAMIC_CLOAKING: one
   atomic load, no lock (the proxy's fast path). */
bool com_security_cloaks(void);
/* A thread started while this one impersonates a caller would keep the caller's
   identity for its whole life (Linux threads inherit their creator's credentials): pause
   around pthread_create of the library's long-lived threads. */
bool com_impersonation_pause(void);
void com_impersonation_resume(bool paused);
/*
 * The apartment's exporter, listening and registered with rpcss (its OXID in *ret): what
 * a class object offered to activation is called through.  RPC_S_SERVER_UNAVAILABLE
 * without rpcss.
 */
HRESULT com_exporter_offer(struct com_apartment *apt, OXID *ret);
/*
 * rpcss's activation request (objact), classtable.c: an instance of the class object
 * registered as cookie (or the class object itself), in its apartment, marshaled for
 * dest as each of iids into blobs[i] (malloc'd OBJREF bytes, lens[i]) with results[i].
 */
HRESULT com_class_table_activate(DWORD cookie, const CLSID *clsid, bool class_object, DWORD dest,
                                 DWORD n, const IID *iids, HRESULT *results, uint8_t **blobs,
                                 size_t *lens);
/* Runs down OIDs rpcss says nobody pings (called by the exporter's timer; tests). */
void com_exporter_rundown_now(void);

/* --- the proxy manager (proxy.c) ------------------------------------------------------------- */

/*
 * A proxy for a STANDARD (or HANDLER/EXTENDED) OBJREF of another process or apartment:
 * the object's proxy manager (made, or found by OID: COM identity holds), its interface
 * o->iid, then riid.  The OBJREF's public references go to the proxy manager.
 */
HRESULT com_proxy_unmarshal(const struct objref *o, const IID *riid, void **ret);
/*
 * What an activation reply says of the OXID of its OBJREF o (ScmReplyInfoData's bindings
 * -- the towers the client asked for --, ipidRemUnknown and authnHint) enters the OXID
 * table, as [MS-DCOM] 3.2.4.1.1 has the client do, the way a ResolveOxid2 at o's
 * resolver would have made it, connection included: unmarshaling the reply's OBJREFs
 * asks no resolver.  An OXID known already keeps what we know.  *ret (a reference, for com_proxy_oxid_release
 * once the OBJREFs are unmarshaled) is NULL when there is nothing to seed: an OXID of
 * this process, an OBJREF naming no resolver.  RPC_E_INVALID_OBJREF for bindings with no
 * usable exporter address (the caller may resolve as usual), E_OUTOFMEMORY.  auth (may be
 * NULL: the process's defaults) is the security of a TCP connection to the exporter --
 * the activation's credentials, so that IRemUnknown's calls (RemRelease, remote
 * QueryInterface) carry them too and proxies with the same blanket need no context of
 * their own.
 */
struct oxid_entry;
struct com_conn_auth {
        uint8_t level, svc;             /* RPC_AUTHN_LEVEL_*, RPC_AUTHN_* */
        struct rpc_auth_identity id;    /* its strings the caller's, for the call */
};
HRESULT com_proxy_oxid_seed(const struct objref *o, const DUALSTRINGARRAY *bindings,
                            const IPID *ipid_remunk, uint32_t authn_hint,
                            const struct com_conn_auth *auth, struct oxid_entry **ret);
void com_proxy_oxid_release(struct oxid_entry *ox);
/* Whether p is one of our proxies (a proxy marshaled again passes its OBJREF on). */
bool com_proxy_is_proxy(IUnknown *unk);
/* A proxy's interface marshaled for another client ([MS-DCOM] 3.2.4.3): *o filled. */
HRESULT com_proxy_marshal(IUnknown *unk, const IID *iid, struct objref *o);
/* The credentials and level our proxies' connections use over TCP (tests, until
   CoInitializeSecurity/CoSetProxyBlanket): level 0 uses the OXID's authnHint. */
/* Pings every ping set now instead of at the next period (tests). */
void com_proxy_ping_now(void);
/* Tests: reach this machine's exporters over TCP too (not ncalrpc). */
void com_proxy_set_tcp_only(bool on);
/* Tests: a RemRelease of any counts on a proxy's IPID, as a hostile client would send. */
HRESULT com_proxy_rem_release(IUnknown *proxy, uint32_t public_refs, uint32_t private_refs);
void com_proxy_set_default_auth(uint8_t level, uint8_t authn_svc, const char *user,
                                const char *domain, const char *password);
/* A SEC_WINNT_AUTH_IDENTITY_W's strings in UTF-8 (-EINVAL unless UNICODE). */
int com_auth_identity_utf8(const SEC_WINNT_AUTH_IDENTITY_W *id, char user[257], char domain[257],
                           char password[257]);
/* The defaults set (true, buffers of 257 filled; *level raised to the default's if
   higher), or false. */
bool com_proxy_default_auth(uint8_t *level, uint8_t *svc, char *user, char *domain, char *password);

/* --- activation through rpcss (scm.c) ------------------------------------------------------- */

/*
 * CoCreateInstanceEx (class_object false) or CoGetClassObject (true, n 1) of clsid on
 * this machine's rpcss (CLSCTX_LOCAL_SERVER) or another host's (COSERVERINFO, AppID
 * RemoteServerName): results[i] filled.  S_OK, CO_S_NOTALLINTERFACES, or the failure:
 * REGDB_E_CLASSNOTREG, CO_E_SERVER_EXEC_FAILURE, E_ACCESSDENIED,
 * HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) for an rpcss that does not answer.
 */
HRESULT com_scm_activate(const CLSID *clsid, DWORD clsctx, COSERVERINFO *server, bool class_object,
                         DWORD n, MULTI_QI *results);

/* --- built-in classes (git.c, marshal.c) -------------------------------------------------- */

/* The library's own classes' class objects, for CoGetClassObject (git.c): the Global
   Interface Table, the standard and free-threaded marshalers, DCOMAccessControl;
   REGDB_E_CLASSNOTREG for any other class.  Their instances: */
HRESULT com_builtin_class_object(const CLSID *clsid, const IID *riid, void **ppv);
HRESULT com_std_marshal_create(const IID *riid, void **ppv);
HRESULT com_ftm_create(const IID *riid, void **ppv);

/*
 * ftm.c: an IMarshal aggregated into an object (the free-threaded marshaler,
 * CoGetStdMarshalEx's): com_marshal_agg_new gives the non-delegating IUnknown with one
 * reference; IMarshal_iface has `vtbl`, whose IUnknown methods are com_marshal_agg_*
 * (the outer object's).  The outer object is not held; NULL makes the aggregate its own.
 */
struct com_marshal_agg {
        IUnknown inner;
        IMarshal IMarshal_iface;
        atomic_uint refs;
        IUnknown *outer;
};

HRESULT com_marshal_agg_new(const IMarshalVtbl *vtbl, IUnknown *outer, IUnknown **ret);
struct com_marshal_agg *com_marshal_agg_of(IMarshal *iface);
HRESULT STDMETHODCALLTYPE com_marshal_agg_QueryInterface(IMarshal *iface, REFIID riid, void **ppv);
ULONG STDMETHODCALLTYPE com_marshal_agg_AddRef(IMarshal *iface);
ULONG STDMETHODCALLTYPE com_marshal_agg_Release(IMarshal *iface);

/*
 * cancel.c: an outgoing call on the wire of a thread that enabled call cancellation at
 * some point (CoEnableCallCancellation) -- a frame on the caller's stack from
 * com_cancel_enter to com_cancel_leave, the call made with `token` when `cancellable`.
 * rpc_thread: the thread making the call on the wire (an STA's helper once it runs).
 */
struct com_cancel_call {
        struct com_cancel_call *prev;   /* the call this one is nested in (STA) */
        uint64_t number;
        pthread_t rpc_thread;
        bool cancellable, cancelled;
        struct rpc_cancel_token token;
};
struct cancel_thread;
extern _Thread_local struct cancel_thread *com_cancel_self_ __attribute__((visibility("hidden")));
/* Set once a thread of the process has an entry.  Until then a call costs one load of it:
   the thread-local is reached through __tls_get_addr in libdcom.so (initial-exec would
   take a slot of the static TLS block, and libdcom.so is also dlopen'ed -- an
   InprocServer32 linked against it -- where none may be left). */
extern int com_cancel_used_ __attribute__((visibility("hidden")));
bool com_cancel_enter_(struct com_cancel_call *cc);
/* false: the thread never enabled cancellation (no frame, nothing to leave) */
static inline bool com_cancel_enter(struct com_cancel_call *cc) {
        return __atomic_load_n(&com_cancel_used_, __ATOMIC_RELAXED) && com_cancel_self_ &&
               com_cancel_enter_(cc);
}
void com_cancel_leave(struct com_cancel_call *cc);
void com_cancel_set_rpc_thread(struct com_cancel_call *cc, pthread_t thread);

/* --- error information in ORPCTHAT ([MS-DCOM] 2.2.21.1, errorext.c) ----------------------- */

/* The thread's SetErrorInfo slot (errorinfo.c): NULL when empty, as it nearly always is
   before and after a call (looked at here, inline, on every call an exporter runs). */
extern _Thread_local IErrorInfo *oleaut_error_slot;

/* Before an exported object's method runs, on its thread: no stale error object is sent. */
void com_errorext_clear(void);
static inline void com_errorext_begin(void) {
        if (oleaut_error_slot)
                com_errorext_clear();
}
/*
 * After it ran, on the same thread, with the response the stub wrote: the thread's error
 * object (taken either way) goes into ORPCTHAT when the HRESULT is a failure.
 */
void com_errorext_take(struct ndr_push *out);
static inline void com_errorext_response(struct ndr_push *out) {
        if (oleaut_error_slot)
                com_errorext_take(out);
}
/* A proxy's response, on the caller's thread: an error object in it becomes the caller's. */
void com_errorext_reply(const struct ndr_pull *in);

#endif /* DCOM_COM_REMOTE_INTERNAL_H */
