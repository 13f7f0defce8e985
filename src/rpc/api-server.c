/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The public RPC API, server side (<rpcdce.h>): the process's one server, as on Windows --
 * RpcServerUseProtseq(Ep) opens endpoints, RpcServerRegisterIf* serves interfaces with
 * their manager EPVs, security callbacks and flags, RpcServerListen waits until
 * RpcMgmtStopServerListening; RpcEp* registers with the local endpoint mapper; in a
 * manager routine RpcBindingInqAuthClient, RpcServerInqCallAttributes and
 * RpcImpersonateClient say who called and act as them.  Over the runtime's server
 * (server.c); every call of an interface registered here goes through invoke() below.
 *
 * Not listening (before RpcServerListen, after it returned): calls of interfaces without
 * RPC_IF_AUTOLISTEN are refused with RPC_S_SERVER_TOO_BUSY (a client may try again);
 * endpoints stay open until the process exits.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rpc.h>
#include <rpcndr.h>

#include "base/errno-status.h"
#include "rpc/rpc-api.h"

static LOG_CHANNEL(rpc);

#define MAX_ENDPOINTS 16
#define MAX_IFS 256

/* An interface registered here: what invoke() needs for its calls. */
struct api_if {
        struct api_if *next;
        const struct ndr_interface *iface;
        const void *epv;
        unsigned flags;
        unsigned max_rpc_size;                  /* 0: none */
        unsigned max_calls;                     /* an auto-listen interface's MaxCalls; 0: none */
        RPC_IF_CALLBACK_FN *callback;
        unsigned active;                        /* calls in its manager (lock) */
        bool removed;
};

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;                    /* listening ended; a call left a manager */
        struct rpc_server *srv;
        struct {
                enum rpc_protseq protseq;
                char endpoint[64];
        } eps[MAX_ENDPOINTS];
        unsigned n_eps;
        struct api_if *ifs;                     /* kept for the process's life: calls in flight */
        unsigned active;                        /* calls in managers, every interface */
        unsigned max_calls;                     /* RpcServerListen's MaxCalls; 0: none */
        unsigned unanswered;                    /* threads whose calls' answers are unsent */
        bool listening, stop;
} api = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static atomic_bool serving;                     /* listening, read by every call */

/* The call a thread is in (a manager routine's, or its security callback's). */
struct api_call {
        struct api_call *prev;
        struct ndr_server_call *call;
        struct api_if *reg;
        uint16_t opnum;
};
static _Thread_local struct api_call *current;
static _Thread_local bool answer_due;           /* counted in api.unanswered */

/* rpc_answered_hook: this worker's answers are out (see wait_stop_locked). */
static void answered(void) {
        if (!answer_due)
                return;
        answer_due = false;
        pthread_mutex_lock(&api.lock);
        api.unanswered--;
        pthread_cond_broadcast(&api.cond);
        pthread_mutex_unlock(&api.lock);
}

static struct rpc_server *server_locked(void) {
        if (!api.srv)
                api.srv = rpc_server_new();
        return api.srv;
}

/* The call h stands for: NULL (the thread's current call) or the current call itself. */
static struct api_call *call_of(RPC_BINDING_HANDLE h) {
        if (!current)
                return NULL;
        if (!h || h == current->call)
                return current;
        for (struct api_call *c = current->prev; c; c = c->prev)
                if (h == c->call)
                        return c;
        return NULL;
}

/* --- impersonation ---------------------------------------------------------------------- */

/*
 * Per thread, as a Windows thread impersonates: the raw system calls change only the
 * calling thread's credentials (glibc's setresuid() would change every thread's).  The
 * saved set-user-ID stays the server's, so RpcRevertToSelf can take it back.
 */
#define MAX_GROUPS 256

static _Thread_local struct {
        bool active;                    /* impersonating */
        bool switched;                  /* the credentials were changed (not the same user) */
        uid_t euid;
        gid_t egid;
        int n_groups;
        gid_t groups[MAX_GROUPS];
} imp;

static RPC_STATUS revert(void) {
        if (!imp.active)
                return RPC_S_OK;
        if (imp.switched) {
                /* back to the server: user first (it regains the right to set the rest) */
                if (syscall(SYS_setresuid, (uid_t)-1, imp.euid, (uid_t)-1) < 0 ||
                    syscall(SYS_setgroups, (size_t)imp.n_groups, imp.groups) < 0 ||
                    syscall(SYS_setresgid, (gid_t)-1, imp.egid, (gid_t)-1) < 0) {
                        /* never run on as someone else: the thread cannot be trusted */
                        fprintf(stderr, "opendcom: RpcRevertToSelf: cannot restore the server's "
                                        "identity: %s\n", strerror(errno));
                        abort();
                }
        }
        imp.active = imp.switched = false;
        rpc_call_undelegate();
        return RPC_S_OK;
}

/* The caller's Unix identity: the kernel's over ncalrpc, else an authenticated Unix user. */
static int caller_uid(struct ndr_server_call *call, uid_t *ret_uid, gid_t *ret_gid,
                      char *name, size_t size) {
        struct rpc_identity id;
        struct rpc_peer peer;

        name[0] = 0;
        if (rpc_call_identity(call, &id) >= 0 && id.imp_level == RPC_IMP_LEVEL_IDENTIFY) {
                /* [MS-RPCE] 2.2.1.1.9: the client allowed identification only; taking its
                   identity would act as it */
                snprintf(name, size, "%s", id.user);
                return -EPERM;
        }
        if (rpc_call_identity(call, &id) >= 0 && id.has_uid && !id.anonymous) {
                *ret_uid = id.uid;
                *ret_gid = (gid_t)-1;
                snprintf(name, size, "%s", id.user);
                return 0;
        }
        if (rpc_call_protseq(call) == RPC_PROTSEQ_LRPC && rpc_call_peer(call, &peer) >= 0 &&
            peer.has_cred) {
                *ret_uid = peer.uid;
                *ret_gid = peer.gid;
                return 0;
        }
        return -ENODATA;
}

RPC_STATUS RpcImpersonateClient(RPC_BINDING_HANDLE BindingHandle) {
        struct api_call *c = call_of(BindingHandle);
        uid_t uid;
        gid_t gid;
        char name[257];

        if (!c)
                return BindingHandle ? RPC_S_INVALID_BINDING : RPC_S_NO_CALL_ACTIVE;
        int r = caller_uid(c->call, &uid, &gid, name, sizeof name);
        if (r == -EPERM) {
                log_debug(rpc, "RpcImpersonateClient: %s allowed identification only", name);
                return ERROR_CANNOT_IMPERSONATE;
        }
        if (r < 0) {
                log_debug(rpc, "RpcImpersonateClient: the caller has no Unix identity");
                return RPC_S_NO_CONTEXT_AVAILABLE;
        }
        revert();
        struct passwd pw, *p = NULL;
        char pwbuf[4096];
        if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &p) != 0)
                p = NULL;
        if (gid == (gid_t)-1) {
                if (!p)
                        return ERROR_CANNOT_IMPERSONATE;
                gid = p->pw_gid;
        }
        imp.euid = geteuid();
        imp.egid = getegid();
        if (uid == imp.euid) {
                /* the caller is the server's own user: nothing to change */
                imp.active = true;
                (void)rpc_call_delegate(c->call);
                return RPC_S_OK;
        }
        if (imp.euid != 0) {
                log_debug(rpc, "RpcImpersonateClient: uid %u may not become uid %u",
                          (unsigned)imp.euid, (unsigned)uid);
                return ERROR_CANNOT_IMPERSONATE;
        }
        imp.n_groups = getgroups(MAX_GROUPS, imp.groups);
        if (imp.n_groups < 0)
                return ERROR_CANNOT_IMPERSONATE;
        gid_t groups[MAX_GROUPS];
        int n = MAX_GROUPS;
        if (!p || getgrouplist(p->pw_name, gid, groups, &n) < 0) {
                groups[0] = gid;
                n = 1;
        }
        imp.active = imp.switched = true;
        if (syscall(SYS_setgroups, (size_t)n, groups) < 0 ||
            syscall(SYS_setresgid, (gid_t)-1, gid, (gid_t)-1) < 0 ||
            syscall(SYS_setresuid, (uid_t)-1, uid, (uid_t)-1) < 0) {
                int e = errno;
                revert();
                log_debug(rpc, "RpcImpersonateClient: uid %u: %s", (unsigned)uid, strerror(e));
                return ERROR_CANNOT_IMPERSONATE;
        }
        log_debug(rpc, "impersonating uid %u gid %u%s%s", (unsigned)uid, (unsigned)gid,
                  name[0] ? " as " : "", name);
        /* a caller who delegated (Kerberos, RPC_C_IMP_LEVEL_DELEGATE): this thread's
           outgoing calls are its, as Windows' impersonation makes them */
        (void)rpc_call_delegate(c->call);
        return RPC_S_OK;
}

RPC_STATUS RpcRevertToSelfEx(RPC_BINDING_HANDLE BindingHandle) {
        if (!call_of(BindingHandle))
                return BindingHandle ? RPC_S_INVALID_BINDING : RPC_S_NO_CALL_ACTIVE;
        return revert();
}

RPC_STATUS RpcRevertToSelf(void) {
        return RpcRevertToSelfEx(NULL);
}

/* --- calls --------------------------------------------------------------------------------- */

static void deny(struct api_if *reg, struct ndr_server_call *call, uint32_t *ret_fault,
                 const char *why) {
        rpc_audit("access denied to a call of %s: %s", reg->iface->name, why);
        *ret_fault = ERROR_ACCESS_DENIED;
        (void)call;
}

/*
 * Every call of an interface registered here: the listening state, the interface's flags
 * and security callback, then the generated stub with the manager EPV.  A manager routine
 * that raises (RpcRaiseException) ends the call with that status as its fault, as MIDL's
 * server stubs do.  Impersonation never outlives the call.
 */
static int invoke(struct ndr_server_call *call, uint16_t opnum, void *ctx, uint32_t *ret_fault) {
        struct api_if *reg = ctx;
        enum rpc_protseq ps = rpc_call_protseq(call);
        struct api_call me = { .prev = current, .call = call, .reg = reg, .opnum = opnum };
        volatile int r = 0;

        if (reg->removed) {
                *ret_fault = NCA_S_UNK_IF;
                return 0;
        }
        if (!(reg->flags & RPC_IF_AUTOLISTEN) && !atomic_load(&serving)) {
                *ret_fault = RPC_S_SERVER_TOO_BUSY;
                return 0;
        }
        if ((reg->flags & RPC_IF_ALLOW_LOCAL_ONLY) && ps != RPC_PROTSEQ_LRPC) {
                deny(reg, call, ret_fault, "RPC_IF_ALLOW_LOCAL_ONLY and a remote caller");
                return 0;
        }
        if (reg->max_rpc_size && call->in->size > reg->max_rpc_size) {
                deny(reg, call, ret_fault, "request larger than the interface's MaxRpcSize");
                return 0;
        }
        if (!reg->iface->ops[opnum].dispatch)
                return -EOPNOTSUPP;
        current = &me;
        if (reg->callback) {
                uint8_t type = 0, level = 0;
                void *actx = NULL;
                rpc_call_auth(call, &type, &level, &actx);
                if (!type && ps != RPC_PROTSEQ_LRPC &&
                    !(reg->flags & RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH)) {
                        deny(reg, call, ret_fault, "unauthenticated (the interface has a security "
                                                   "callback, without RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH)");
                        goto out;
                }
                RPC_STATUS st = reg->callback((RPC_IF_HANDLE)reg->iface, call);
                revert();
                if (st != RPC_S_OK) {
                        char why[64];
                        snprintf(why, sizeof why, "the security callback said %d", (int)st);
                        deny(reg, call, ret_fault, why);
                        goto out;
                }
        }
        pthread_mutex_lock(&api.lock);
        /* MaxCalls -- RpcServerListen's, or an auto-listen interface's own: a call beyond
           it waits in line until one leaves its manager; a call nested in one of this
           thread's own (a callback) does not, it would wait for itself */
        while (!me.prev &&
               ((api.max_calls && !(reg->flags & RPC_IF_AUTOLISTEN) &&
                 api.active >= api.max_calls) ||
                (reg->max_calls && reg->active >= reg->max_calls))) {
                pthread_cond_wait(&api.cond, &api.lock);
                /* while it waited in line the server may have stopped listening or the
                   interface gone (their waits do not count a call not yet in a manager) */
                if (reg->removed ||
                    (!(reg->flags & RPC_IF_AUTOLISTEN) && !atomic_load(&serving))) {
                        pthread_mutex_unlock(&api.lock);
                        *ret_fault = reg->removed ? NCA_S_UNK_IF : RPC_S_SERVER_TOO_BUSY;
                        goto out;
                }
        }
        reg->active++;
        api.active++;
        if (!answer_due && !me.prev)
                api.unanswered++;
        pthread_mutex_unlock(&api.lock);
        if (!me.prev)
                answer_due = true;
        unsigned depth = rpc_api_try_depth();
        struct arena *saved = ndr_call_arena();
        if (setjmp(*dcom_rpc_try_enter()) == 0) {
                call->impl = reg->epv;
                r = reg->iface->ops[opnum].dispatch(call);
                dcom_rpc_try_leave();
        } else {
                /* [MS-RPCE] 3.1.1.5.5: the manager's exception is the call's fault */
                ndr_call_arena_set(saved);
                RPC_STATUS st = dcom_rpc_exception_code();
                log_debug(rpc, "%s opnum %u raised %d", reg->iface->name, opnum, (int)st);
                *ret_fault = dcom_fault_from_status(st);
                r = 0;
        }
        rpc_api_try_unwind(depth);     /* try blocks the manager left by return */
        pthread_mutex_lock(&api.lock);
        reg->active--;
        api.active--;
        pthread_cond_broadcast(&api.cond);
        pthread_mutex_unlock(&api.lock);
out:
        revert();
        current = me.prev;
        return r;
}

/* --- endpoints ---------------------------------------------------------------------------- */

/* Protocol sequences Windows knows and we do not serve. */
static bool protseq_known(const char *ps) {
        static const char *const known[] = { "ncacn_np", "ncadg_ip_udp", "ncacn_http",
                                             "ncacn_nb_tcp", "ncacn_spx", "ncadg_ipx",
                                             "ncacn_hvsocket", "ncadg_mq", "ncacn_at_dsp",
                                             "ncacn_vns_spp", "ncacn_nb_nb", "ncacn_nb_ipx" };
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strcmp(ps, known[i]) == 0)
                        return true;
        return false;
}

/*
 * ncacn_ip_tcp (Endpoint: a port; none: a dynamic one) on every address, or on those of
 * OPENDCOM_RPC_LISTEN (one address); ncalrpc (Endpoint: a name; none: one made up).  A
 * security descriptor is refused (RPC_S_CANNOT_SUPPORT): none would be applied.
 */
RPC_STATUS RpcServerUseProtseqEpA(RPC_CSTR Protseq, unsigned int MaxCalls, RPC_CSTR Endpoint,
                                  void *SecurityDescriptor) {
        const char *ps = (const char *)Protseq, *ep = (const char *)Endpoint;
        RPC_STATUS st = RPC_S_OK;
        char name[64];
        int r;

        if (!ps)
                return RPC_S_INVALID_ARG;
        if (SecurityDescriptor)
                return RPC_S_CANNOT_SUPPORT;
        bool tcp = strcmp(ps, "ncacn_ip_tcp") == 0, lrpc = strcmp(ps, "ncalrpc") == 0;
        if (!tcp && !lrpc)
                return protseq_known(ps) ? RPC_S_PROTSEQ_NOT_SUPPORTED : RPC_S_INVALID_RPC_PROTSEQ;
        pthread_mutex_lock(&api.lock);
        struct rpc_server *srv = server_locked();
        if (!srv) {
                st = RPC_S_OUT_OF_MEMORY;
                goto out;
        }
        if (api.n_eps >= MAX_ENDPOINTS) {
                st = RPC_S_OUT_OF_RESOURCES;
                goto out;
        }
        if (tcp) {
                unsigned long port = 0;
                if (ep && *ep) {
                        char *end;
                        port = strtoul(ep, &end, 10);
                        if (*end || port > 65535) {
                                st = RPC_S_INVALID_ENDPOINT_FORMAT;
                                goto out;
                        }
                }
                const char *addr = getenv("OPENDCOM_RPC_LISTEN");
                uint16_t bound = 0;
                r = rpc_server_listen_tcp(srv, addr && *addr ? addr : NULL, (uint16_t)port, &bound);
                if (r < 0) {
                        log_debug(rpc, "RpcServerUseProtseqEp(ncacn_ip_tcp, %s): %s", ep ? ep : "",
                                  strerror(-r));
                        st = dcom_endpoint_status_from_errno(r);
                        goto out;
                }
                snprintf(name, sizeof name, "%u", bound);
        } else {
                static atomic_uint next;
                if (ep && *ep) {
                        if (strlen(ep) >= sizeof name || strchr(ep, '/')) {
                                st = RPC_S_INVALID_ENDPOINT_FORMAT;
                                goto out;
                        }
                        snprintf(name, sizeof name, "%s", ep);
                } else {
                        snprintf(name, sizeof name, "LRPC-%d-%u", (int)getpid(),
                                 atomic_fetch_add(&next, 1));
                }
                r = rpc_server_listen_lrpc(srv, name, 0666);
                if (r < 0) {
                        log_debug(rpc, "RpcServerUseProtseqEp(ncalrpc, %s): %s", name, strerror(-r));
                        st = dcom_endpoint_status_from_errno(r);
                        goto out;
                }
        }
        api.eps[api.n_eps].protseq = tcp ? RPC_PROTSEQ_TCP : RPC_PROTSEQ_LRPC;
        snprintf(api.eps[api.n_eps].endpoint, sizeof api.eps[0].endpoint, "%s", name);
        api.n_eps++;
out:
        pthread_mutex_unlock(&api.lock);
        return st;
}

RPC_STATUS RpcServerUseProtseqA(RPC_CSTR Protseq, unsigned int MaxCalls, void *SecurityDescriptor) {
        return RpcServerUseProtseqEpA(Protseq, MaxCalls, NULL, SecurityDescriptor);
}

RPC_STATUS RpcServerUseProtseqEpW(RPC_WSTR Protseq, unsigned int MaxCalls, RPC_WSTR Endpoint,
                                  void *SecurityDescriptor) {
        RPC_STATUS s1, s2, st;
        char *p = rpc_api_from_w(Protseq, &s1), *e = rpc_api_from_w(Endpoint, &s2);

        st = s1 != RPC_S_OK ? RPC_S_INVALID_RPC_PROTSEQ
             : s2 != RPC_S_OK ? RPC_S_INVALID_ENDPOINT_FORMAT
                              : RpcServerUseProtseqEpA((RPC_CSTR)p, MaxCalls, (RPC_CSTR)e,
                                                       SecurityDescriptor);
        free(p);
        free(e);
        return st;
}

RPC_STATUS RpcServerUseProtseqW(RPC_WSTR Protseq, unsigned int MaxCalls, void *SecurityDescriptor) {
        return RpcServerUseProtseqEpW(Protseq, MaxCalls, NULL, SecurityDescriptor);
}

/* The endpoints in use, as binding handles (client handles naming this host). */
RPC_STATUS RpcServerInqBindings(RPC_BINDING_VECTOR **BindingVector) {
        RPC_STATUS st = RPC_S_OK;
        char host[256] = "127.0.0.1";
        const char *listen = getenv("OPENDCOM_RPC_LISTEN");

        if (!BindingVector)
                return RPC_S_INVALID_ARG;
        if (listen && *listen)
                snprintf(host, sizeof host, "%s", listen);
        else if (gethostname(host, sizeof host) < 0)
                snprintf(host, sizeof host, "127.0.0.1");
        pthread_mutex_lock(&api.lock);
        unsigned n = api.n_eps;
        RPC_BINDING_VECTOR *v = n ? calloc(1, sizeof *v + n * sizeof v->BindingH[0]) : NULL;
        if (!n)
                st = RPC_S_NO_BINDINGS;
        else if (!v)
                st = RPC_S_OUT_OF_MEMORY;
        for (unsigned i = 0; v && i < n; i++) {
                char s[400];
                bool tcp = api.eps[i].protseq == RPC_PROTSEQ_TCP;
                snprintf(s, sizeof s, "%s:%s[%s]", tcp ? "ncacn_ip_tcp" : "ncalrpc",
                         tcp ? host : "", api.eps[i].endpoint);
                struct rpc_binding *b;
                if (rpc_binding_from_string(s, &b) < 0) {
                        st = RPC_S_OUT_OF_MEMORY;
                        break;
                }
                v->BindingH[v->Count++] = b;
        }
        pthread_mutex_unlock(&api.lock);
        if (st != RPC_S_OK) {
                RpcBindingVectorFree(&v);
                return st;
        }
        *BindingVector = v;
        return RPC_S_OK;
}

RPC_STATUS RpcBindingVectorFree(RPC_BINDING_VECTOR **BindingVector) {
        if (!BindingVector)
                return RPC_S_INVALID_ARG;
        if (*BindingVector) {
                for (ULONG i = 0; i < (*BindingVector)->Count; i++)
                        rpc_binding_free((*BindingVector)->BindingH[i]);
                free(*BindingVector);
                *BindingVector = NULL;
        }
        return RPC_S_OK;
}

/* A manager routine's binding handle (its call): the endpoint it came to. */
RPC_STATUS rpc_api_server_binding_string(RPC_BINDING_HANDLE h, RPC_CSTR *ret) {
        struct api_call *c = call_of(h);
        char s[128];

        if (!c || !h)
                return RPC_S_INVALID_BINDING;
        if (!ret)
                return RPC_S_INVALID_ARG;
        snprintf(s, sizeof s, "%s:", rpc_call_protseq(c->call) == RPC_PROTSEQ_TCP ? "ncacn_ip_tcp"
                                                                                 : "ncalrpc");
        *ret = (RPC_CSTR)strdup(s);
        return *ret ? RPC_S_OK : RPC_S_OUT_OF_MEMORY;
}

RPC_STATUS rpc_api_server_object(RPC_BINDING_HANDLE h, UUID *ret) {
        struct api_call *c = call_of(h);

        if (!c || !h)
                return RPC_S_INVALID_BINDING;
        const GUID *o = rpc_call_object(c->call);
        *ret = o ? *o : (GUID){ 0 };
        return RPC_S_OK;
}

/* --- interfaces ---------------------------------------------------------------------------- */

#define FLAGS_HONOURED (RPC_IF_AUTOLISTEN | RPC_IF_ALLOW_SECURE_ONLY | \
                        RPC_IF_ALLOW_CALLBACKS_WITH_NO_AUTH | RPC_IF_ALLOW_LOCAL_ONLY | \
                        RPC_IF_SEC_NO_CACHE | RPC_IF_SEC_CACHE_PER_PROC)

/*
 * MgrEpv NULL: the interface's default EPV (the program's functions named as the methods,
 * which a dcomidl-generated server stub collects); a manager type UUID, RPC_IF_OLE,
 * RPC_IF_ALLOW_UNKNOWN_AUTHORITY, RPC_IF_ASYNC_CALLBACK and a security descriptor are
 * refused with RPC_S_CANNOT_SUPPORT (one manager per interface; no SD would be applied).
 * The callback runs for every call (RPC_IF_SEC_NO_CACHE or not: the strictest reading);
 * MaxCalls counts for an RPC_IF_AUTOLISTEN interface (the calls in its manager at once;
 * others wait in line), as on Windows; the others share RpcServerListen's.
 */
static RPC_STATUS register_if(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                              unsigned flags, unsigned max_calls, unsigned max_rpc_size,
                              RPC_IF_CALLBACK_FN *cb, void *sd) {
        const struct ndr_interface *iface = IfSpec;
        RPC_STATUS st = RPC_S_OK;

        if (!iface)
                return RPC_S_INVALID_ARG;
        if (!iface->ops)
                return RPC_S_UNKNOWN_IF;        /* a client's ifspec */
        if ((MgrTypeUuid && !dcom_guid_is_null(MgrTypeUuid)) || sd || (flags & ~FLAGS_HONOURED)) {
                log_debug(rpc, "RpcServerRegisterIf(%s): %s not supported", iface->name,
                          sd ? "a security descriptor" : MgrTypeUuid ? "a manager type" : "flags");
                return RPC_S_CANNOT_SUPPORT;
        }
        const void *epv = MgrEpv ? MgrEpv : iface->default_epv;
        if (!epv)
                return RPC_S_UNKNOWN_MGR_TYPE;
        struct api_if *reg = calloc(1, sizeof *reg);
        if (!reg)
                return RPC_S_OUT_OF_MEMORY;
        *reg = (struct api_if){ .iface = iface, .epv = epv, .flags = flags,
                                .max_rpc_size = max_rpc_size, .callback = cb };
        if ((flags & RPC_IF_AUTOLISTEN) && max_calls != RPC_C_LISTEN_MAX_CALLS_DEFAULT)
                reg->max_calls = max_calls ? max_calls : 1;
        pthread_mutex_lock(&api.lock);
        struct rpc_server *srv = server_locked();
        for (struct api_if *i = api.ifs; i; i = i->next)
                if (i->iface == iface && !i->removed)
                        st = RPC_S_ALREADY_REGISTERED;
        if (!srv)
                st = RPC_S_OUT_OF_MEMORY;
        if (st == RPC_S_OK) {
                uint8_t level = flags & RPC_IF_ALLOW_SECURE_ONLY ? RPC_AUTHN_LEVEL_CONNECT
                                                                 : RPC_AUTHN_LEVEL_NONE;
                __atomic_store_n(&rpc_answered_hook, answered, __ATOMIC_RELEASE);
                int r = rpc_server_register_object_if(srv, iface, level, invoke, reg);
                st = r == -EEXIST ? RPC_S_ALREADY_REGISTERED : rpc_api_status(r);
        }
        if (st == RPC_S_OK) {
                reg->next = api.ifs;
                api.ifs = reg;
        }
        pthread_mutex_unlock(&api.lock);
        if (st != RPC_S_OK)
                free(reg);
        return st;
}

RPC_STATUS RpcServerRegisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv) {
        return register_if(IfSpec, MgrTypeUuid, MgrEpv, 0, RPC_C_LISTEN_MAX_CALLS_DEFAULT, 0, NULL,
                           NULL);
}

RPC_STATUS RpcServerRegisterIfEx(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                 unsigned int Flags, unsigned int MaxCalls,
                                 RPC_IF_CALLBACK_FN *IfCallback) {
        return register_if(IfSpec, MgrTypeUuid, MgrEpv, Flags, MaxCalls, 0, IfCallback, NULL);
}

RPC_STATUS RpcServerRegisterIf2(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                unsigned int Flags, unsigned int MaxCalls, unsigned int MaxRpcSize,
                                RPC_IF_CALLBACK_FN *IfCallbackFn) {
        return register_if(IfSpec, MgrTypeUuid, MgrEpv, Flags, MaxCalls,
                           MaxRpcSize == (unsigned)-1 ? 0 : MaxRpcSize, IfCallbackFn, NULL);
}

RPC_STATUS RpcServerRegisterIf3(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid, RPC_MGR_EPV *MgrEpv,
                                unsigned int Flags, unsigned int MaxCalls, unsigned int MaxRpcSize,
                                RPC_IF_CALLBACK_FN *IfCallback, void *SecurityDescriptor) {
        return register_if(IfSpec, MgrTypeUuid, MgrEpv, Flags, MaxCalls,
                           MaxRpcSize == (unsigned)-1 ? 0 : MaxRpcSize, IfCallback,
                           SecurityDescriptor);
}

/* IfSpec NULL: every interface.  Waiting, it returns once the calls in their managers have
   left (but for the caller's own, when a manager routine unregisters its interface). */
RPC_STATUS RpcServerUnregisterIf(RPC_IF_HANDLE IfSpec, UUID *MgrTypeUuid,
                                 unsigned int WaitForCallsToComplete) {
        RPC_STATUS st = IfSpec ? RPC_S_UNKNOWN_IF : RPC_S_OK;

        pthread_mutex_lock(&api.lock);
        for (struct api_if *i = api.ifs; i; i = i->next) {
                if (i->removed || (IfSpec && i->iface != IfSpec))
                        continue;
                i->removed = true;
                rpc_server_unregister_if(api.srv, i->iface);
                st = RPC_S_OK;
                while (WaitForCallsToComplete &&
                       i->active > (current && current->reg == i ? 1u : 0u))
                        pthread_cond_wait(&api.cond, &api.lock);
        }
        pthread_mutex_unlock(&api.lock);
        return st;
}

/* The built-in providers serve every server: registering names one we have, or not. */
RPC_STATUS RpcServerRegisterAuthInfoA(RPC_CSTR ServerPrincName, ULONG AuthnSvc, void *GetKeyFn,
                                      void *Arg) {
        if (GetKeyFn)
                return RPC_S_CANNOT_SUPPORT;
        if (AuthnSvc == RPC_C_AUTHN_DEFAULT)
                AuthnSvc = RPC_C_AUTHN_WINNT;
        rpc_auth_register_defaults();
        if (AuthnSvc > 255 || !rpc_auth_find((uint8_t)AuthnSvc))
                return RPC_S_UNKNOWN_AUTHN_SERVICE;
        return RPC_S_OK;
}

RPC_STATUS RpcServerRegisterAuthInfoW(RPC_WSTR ServerPrincName, ULONG AuthnSvc, void *GetKeyFn,
                                      void *Arg) {
        return RpcServerRegisterAuthInfoA(NULL, AuthnSvc, GetKeyFn, Arg);
}

/* --- listening ------------------------------------------------------------------------------ */

/*
 * Until RpcMgmtStopServerListening, then until the calls in manager routines have
 * completed, their responses written (Windows' RpcServerListen returns once they
 * completed: a program exits right after it, and the Shutdown call that stopped it must
 * still get its answer).  The thread of a manager routine waiting here
 * (RpcMgmtWaitServerListen in a call) does not wait for itself.
 */
static void wait_stop_locked(void) {
        while (!api.stop || api.active > (current ? 1u : 0u) ||
               api.unanswered > (answer_due ? 1u : 0u))
                pthread_cond_wait(&api.cond, &api.lock);
        api.listening = false;
        atomic_store(&serving, false);
        pthread_cond_broadcast(&api.cond);
}

RPC_STATUS RpcServerListen(unsigned int MinimumCallThreads, unsigned int MaxCalls,
                           unsigned int DontWait) {
        RPC_STATUS st = RPC_S_OK;

        if (!MaxCalls || MaxCalls < MinimumCallThreads)
                return RPC_S_MAX_CALLS_TOO_SMALL;
        pthread_mutex_lock(&api.lock);
        if (!api.n_eps)
                st = RPC_S_NO_PROTSEQS_REGISTERED;
        else if (api.listening)
                st = RPC_S_ALREADY_LISTENING;
        if (st == RPC_S_OK) {
                /* MaxCalls: calls in managers at once (beyond it they wait in line) */
                api.max_calls = MaxCalls == RPC_C_LISTEN_MAX_CALLS_DEFAULT ? 0 : MaxCalls;
                api.listening = true;
                api.stop = false;
                atomic_store(&serving, true);
                if (!DontWait)
                        wait_stop_locked();
        }
        pthread_mutex_unlock(&api.lock);
        return st;
}

RPC_STATUS RpcMgmtWaitServerListen(void) {
        RPC_STATUS st = RPC_S_OK;

        pthread_mutex_lock(&api.lock);
        if (!api.listening)
                st = RPC_S_NOT_LISTENING;
        else
                wait_stop_locked();
        pthread_mutex_unlock(&api.lock);
        return st;
}

/* Remote management ([C706] appendix Q) through a client binding: what its server says. */
static RPC_STATUS remote_status(RPC_BINDING_HANDLE h, int r, uint32_t st) {
        if (r < 0)
                return rpc_binding_status(h, r);
        return (RPC_STATUS)st;
}

RPC_STATUS RpcMgmtStopServerListening(RPC_BINDING_HANDLE Binding) {
        RPC_STATUS st = RPC_S_OK;

        if (Binding) {
                uint32_t est = 0;
                if (!rpc_binding_is(Binding))
                        return RPC_S_WRONG_KIND_OF_BINDING;
                int r = rpc_mgmt_remote_stop(Binding, &est);
                return remote_status(Binding, r, est);
        }
        pthread_mutex_lock(&api.lock);
        if (!api.listening) {
                st = RPC_S_NOT_LISTENING;
        } else {
                api.stop = true;
                atomic_store(&serving, false);
                pthread_cond_broadcast(&api.cond);
        }
        pthread_mutex_unlock(&api.lock);
        return st;
}

RPC_STATUS RpcMgmtIsServerListening(RPC_BINDING_HANDLE Binding) {
        if (Binding) {
                uint32_t est = 0;
                bool yes = false;
                if (!rpc_binding_is(Binding))
                        return RPC_S_WRONG_KIND_OF_BINDING;
                int r = rpc_mgmt_remote_is_listening(Binding, &est, &yes);
                if (r < 0 || est)
                        return remote_status(Binding, r, est);
                return yes ? RPC_S_OK : RPC_S_NOT_LISTENING;
        }
        return atomic_load(&serving) ? RPC_S_OK : RPC_S_NOT_LISTENING;
}

RPC_STATUS RpcIfIdVectorFree(RPC_IF_ID_VECTOR **IfIdVector) {
        if (!IfIdVector)
                return RPC_S_INVALID_ARG;
        if (*IfIdVector) {
                for (ULONG i = 0; i < (*IfIdVector)->Count; i++)
                        free((*IfIdVector)->IfId[i]);
                free(*IfIdVector);
                *IfIdVector = NULL;
        }
        return RPC_S_OK;
}

static RPC_IF_ID_VECTOR *if_vector(unsigned n) {
        return calloc(1, sizeof(RPC_IF_ID_VECTOR) + n * sizeof(RPC_IF_ID *));
}

/* This server's interfaces (Binding NULL), or another's through its management interface. */
RPC_STATUS RpcMgmtInqIfIds(RPC_BINDING_HANDLE Binding, RPC_IF_ID_VECTOR **IfIdVector) {
        RPC_IF_ID_VECTOR *v;

        if (!IfIdVector)
                return RPC_S_INVALID_ARG;
        if (Binding) {
                struct rpc_syntax_id *ids = NULL;
                unsigned n = 0;
                uint32_t est = 0;
                if (!rpc_binding_is(Binding))
                        return RPC_S_WRONG_KIND_OF_BINDING;
                int r = rpc_mgmt_remote_if_ids(Binding, &est, &ids, &n);
                if (r < 0 || est) {
                        dcom_free(ids);
                        return remote_status(Binding, r, est);
                }
                v = if_vector(n);
                for (unsigned i = 0; v && i < n; i++) {
                        RPC_IF_ID *id = malloc(sizeof *id);
                        if (!id) {
                                RpcIfIdVectorFree(&v);
                                break;
                        }
                        id->Uuid = ids[i].uuid;
                        id->VersMajor = ids[i].ver_major;
                        id->VersMinor = ids[i].ver_minor;
                        v->IfId[v->Count++] = id;
                }
                dcom_free(ids);
        } else {
                const struct ndr_interface *ifs[MAX_IFS];
                unsigned n;
                pthread_mutex_lock(&api.lock);
                n = api.srv ? rpc_server_interfaces(api.srv, ifs, MAX_IFS) : 0;
                pthread_mutex_unlock(&api.lock);
                if (!api.srv)
                        return RPC_S_NOT_LISTENING;
                v = if_vector(n);
                for (unsigned i = 0; v && i < n; i++) {
                        RPC_IF_ID *id = malloc(sizeof *id);
                        if (!id) {
                                RpcIfIdVectorFree(&v);
                                break;
                        }
                        id->Uuid = ifs[i]->uuid;
                        id->VersMajor = ifs[i]->ver_major;
                        id->VersMinor = ifs[i]->ver_minor;
                        v->IfId[v->Count++] = id;
                }
        }
        if (!v)
                return RPC_S_OUT_OF_MEMORY;
        *IfIdVector = v;
        return RPC_S_OK;
}

/* --- the endpoint mapper --------------------------------------------------------------------- */

/*
 * ept_insert of IfSpec at every endpoint in use, with the local endpoint mapper (rpcss, over
 * ncalrpc:[epmapper]); the entries live as long as this process (or RpcEpUnregister), and
 * come back after an rpcss restart.  The binding vector names our endpoints, so all of
 * them are registered; object UUIDs are refused (RPC_S_CANNOT_SUPPORT).
 */
static RPC_STATUS ep_register(RPC_IF_HANDLE IfSpec, UUID_VECTOR *UuidVector, const char *ann) {
        int r;

        if (!IfSpec)
                return RPC_S_INVALID_ARG;
        if (UuidVector)
                for (ULONG i = 0; i < UuidVector->Count; i++)
                        if (UuidVector->Uuid[i] && !dcom_guid_is_null(UuidVector->Uuid[i]))
                                return RPC_S_CANNOT_SUPPORT;
        pthread_mutex_lock(&api.lock);
        struct rpc_server *srv = api.n_eps ? api.srv : NULL;
        pthread_mutex_unlock(&api.lock);
        if (!srv)
                return RPC_S_NO_BINDINGS;
        r = rpc_server_register_ep(srv, IfSpec, ann);
        if (r < 0)
                log_debug(rpc, "RpcEpRegister(%s): %s", ((const struct ndr_interface *)IfSpec)->name,
                          strerror(-r));
        return r == -EACCES ? RPC_S_ACCESS_DENIED : r < 0 ? EPT_S_CANT_PERFORM_OP : RPC_S_OK;
}

RPC_STATUS RpcEpRegisterA(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                          UUID_VECTOR *UuidVector, RPC_CSTR Annotation) {
        return ep_register(IfSpec, UuidVector, (const char *)Annotation);
}

RPC_STATUS RpcEpRegisterNoReplaceA(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                                   UUID_VECTOR *UuidVector, RPC_CSTR Annotation) {
        return ep_register(IfSpec, UuidVector, (const char *)Annotation);
}

RPC_STATUS RpcEpRegisterW(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                          UUID_VECTOR *UuidVector, RPC_WSTR Annotation) {
        RPC_STATUS st;
        char *a = rpc_api_from_w(Annotation, &st);

        if (st == RPC_S_OK)
                st = ep_register(IfSpec, UuidVector, a);
        free(a);
        return st;
}

RPC_STATUS RpcEpRegisterNoReplaceW(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                                   UUID_VECTOR *UuidVector, RPC_WSTR Annotation) {
        return RpcEpRegisterW(IfSpec, BindingVector, UuidVector, Annotation);
}

RPC_STATUS RpcEpUnregister(RPC_IF_HANDLE IfSpec, RPC_BINDING_VECTOR *BindingVector,
                           UUID_VECTOR *UuidVector) {
        if (!IfSpec)
                return RPC_S_INVALID_ARG;
        pthread_mutex_lock(&api.lock);
        struct rpc_server *srv = api.srv;
        pthread_mutex_unlock(&api.lock);
        if (!srv)
                return EPT_S_NOT_REGISTERED;
        int r = rpc_server_unregister_ep(srv, IfSpec);
        return r == -ENOENT ? EPT_S_NOT_REGISTERED : r < 0 ? EPT_S_CANT_PERFORM_OP : RPC_S_OK;
}

/* --- who called ---------------------------------------------------------------------------- */

/* "DOMAIN\user" of an authenticated call, in the call's arena; NULL without one. */
static char *client_name(struct ndr_server_call *call) {
        struct rpc_identity id;

        if (rpc_call_identity(call, &id) < 0)
                return NULL;
        size_t n = strlen(id.domain) + strlen(id.user) + 2;
        char *s = arena_alloc(call->arena, n);
        if (s)
                snprintf(s, n, "%s%s%s", id.domain, id.domain[0] ? "\\" : "", id.user);
        return s;
}

RPC_STATUS RpcBindingInqAuthClientA(RPC_BINDING_HANDLE ClientBinding, RPC_AUTHZ_HANDLE *Privs,
                                    RPC_CSTR *ServerPrincName, ULONG *AuthnLevel, ULONG *AuthnSvc,
                                    ULONG *AuthzSvc) {
        struct api_call *c = call_of(ClientBinding);
        uint8_t type = 0, level = 0;
        void *ctx = NULL;

        if (!c)
                return ClientBinding ? RPC_S_INVALID_BINDING : RPC_S_NO_CALL_ACTIVE;
        if (rpc_call_auth(c->call, &type, &level, &ctx) < 0 || !type)
                return RPC_S_BINDING_HAS_NO_AUTH;
        if (Privs)
                *Privs = client_name(c->call);
        if (ServerPrincName)
                *ServerPrincName = (RPC_CSTR)strdup("");
        if (AuthnLevel)
                *AuthnLevel = level;
        if (AuthnSvc)
                *AuthnSvc = type;
        if (AuthzSvc)
                *AuthzSvc = RPC_C_AUTHZ_NONE;
        return RPC_S_OK;
}

RPC_STATUS RpcBindingInqAuthClientW(RPC_BINDING_HANDLE ClientBinding, RPC_AUTHZ_HANDLE *Privs,
                                    RPC_WSTR *ServerPrincName, ULONG *AuthnLevel, ULONG *AuthnSvc,
                                    ULONG *AuthzSvc) {
        RPC_AUTHZ_HANDLE p = NULL;
        RPC_STATUS st = RpcBindingInqAuthClientA(ClientBinding, &p, NULL, AuthnLevel, AuthnSvc,
                                                 AuthzSvc);
        struct api_call *c = call_of(ClientBinding);

        if (st != RPC_S_OK)
                return st;
        if (ServerPrincName) {
                *ServerPrincName = calloc(1, sizeof(WCHAR));
                if (!*ServerPrincName)
                        return RPC_S_OUT_OF_MEMORY;
        }
        if (Privs) {
                /* the name as WCHARs, in the call's arena too */
                WCHAR *w = NULL, *copy = NULL;
                size_t n = 0;
                if (p && dcom_utf8_to_utf16(p, strlen(p), &w, &n) >= 0) {
                        copy = arena_memdup(c->call->arena, w, (n + 1) * sizeof(WCHAR));
                        free(w);
                }
                *Privs = copy;
        }
        return RPC_S_OK;
}

/* A principal name into the caller's buffer (bytes, NUL included). */
static RPC_STATUS put_name(const char *name, bool wide, void *buf, ULONG *len) {
        WCHAR *w = NULL;
        size_t n = strlen(name), bytes;

        if (wide) {
                if (dcom_utf8_to_utf16(name, n, &w, &n) < 0)
                        return RPC_S_OUT_OF_MEMORY;
                bytes = (n + 1) * sizeof(WCHAR);
        } else {
                bytes = n + 1;
        }
        RPC_STATUS st = RPC_S_OK;
        if (!buf || *len < bytes)
                st = ERROR_MORE_DATA;
        else
                memcpy(buf, wide ? (const void *)w : (const void *)name, bytes);
        *len = (ULONG)bytes;
        free(w);
        return st;
}

static RPC_STATUS inq_call_attributes(RPC_BINDING_HANDLE ClientBinding, void *attrs, bool wide) {
        struct api_call *c = call_of(ClientBinding);
        RPC_CALL_ATTRIBUTES_V2_A *a = attrs;    /* the W layout is the same but for char widths */
        uint8_t type = 0, level = 0;
        void *ctx = NULL;
        RPC_STATUS st = RPC_S_OK;

        if (!c)
                return ClientBinding ? RPC_S_INVALID_BINDING : RPC_S_NO_CALL_ACTIVE;
        if (!a || (a->Version != 1 && a->Version != 2))
                return RPC_S_INVALID_ARG;
        rpc_call_auth(c->call, &type, &level, &ctx);
        enum rpc_protseq ps = rpc_call_protseq(c->call);
        if (!type && !(a->Flags & RPC_QUERY_NO_AUTH_REQUIRED) && ps != RPC_PROTSEQ_LRPC)
                return RPC_S_BINDING_HAS_NO_AUTH;
        a->AuthenticationLevel = type ? level : ps == RPC_PROTSEQ_LRPC ? RPC_C_AUTHN_LEVEL_PKT_PRIVACY
                                                                        : RPC_C_AUTHN_LEVEL_NONE;
        a->AuthenticationService = type;
        struct rpc_identity id;
        bool known = rpc_call_identity(c->call, &id) >= 0;
        a->NullSession = known && id.anonymous;
        if (a->Flags & RPC_QUERY_SERVER_PRINCIPAL_NAME)
                st = put_name("", wide, a->ServerPrincipalName, &a->ServerPrincipalNameBufferLength);
        if (a->Flags & RPC_QUERY_CLIENT_PRINCIPAL_NAME) {
                char *name = client_name(c->call);
                RPC_STATUS s2 = put_name(name ? name : "", wide, a->ClientPrincipalName,
                                         &a->ClientPrincipalNameBufferLength);
                if (s2 != RPC_S_OK)
                        st = s2;
        }
        if (a->Version < 2)
                return st;
        struct rpc_peer peer;
        bool has_peer = rpc_call_peer(c->call, &peer) >= 0;
        a->KernelModeCaller = FALSE;
        a->ProtocolSequence = ps == RPC_PROTSEQ_TCP ? WIN_RPC_PROTSEQ_TCP : WIN_RPC_PROTSEQ_LRPC;
        a->IsClientLocal = ps == RPC_PROTSEQ_LRPC ? rcclLocal : rcclRemote;
        a->ClientPID = has_peer && peer.has_cred ? (void *)(intptr_t)peer.pid : NULL;
        a->CallStatus = rcsInvalid;
        a->CallType = rctNormal;
        a->OpNum = c->opnum;
        a->InterfaceUuid = c->reg->iface->uuid;
        if ((a->Flags & RPC_QUERY_CALL_LOCAL_ADDRESS) && a->CallLocalAddress) {
                RPC_CALL_LOCAL_ADDRESS_V1 *la = a->CallLocalAddress;
                struct sockaddr_storage ss;
                socklen_t len = sizeof ss;
                la->AddressFormat = rlafInvalid;
                if (ps == RPC_PROTSEQ_TCP && rpc_call_local_addr(c->call, &ss, &len) >= 0) {
                        if (!la->Buffer || la->BufferSize < len) {
                                la->BufferSize = len;
                                st = ERROR_MORE_DATA;
                        } else {
                                memcpy(la->Buffer, &ss, len);
                                la->BufferSize = len;
                                la->AddressFormat = ss.ss_family == AF_INET6 ? rlafIPv6 : rlafIPv4;
                        }
                }
        }
        return st;
}

RPC_STATUS RpcServerInqCallAttributesA(RPC_BINDING_HANDLE ClientBinding, void *RpcCallAttributes) {
        return inq_call_attributes(ClientBinding, RpcCallAttributes, false);
}

RPC_STATUS RpcServerInqCallAttributesW(RPC_BINDING_HANDLE ClientBinding, void *RpcCallAttributes) {
        return inq_call_attributes(ClientBinding, RpcCallAttributes, true);
}

/* --- cancellation ------------------------------------------------------------------------------ */

RPC_STATUS RpcServerTestCancel(RPC_BINDING_HANDLE BindingHandle) {
        struct api_call *c = call_of(BindingHandle);
        if (!c)
                return BindingHandle ? RPC_S_INVALID_BINDING : RPC_S_NO_CALL_ACTIVE;
        int r = rpc_call_cancelled(c->call);
        return r > 0 ? RPC_S_OK : RPC_S_CALL_IN_PROGRESS;
}

RPC_STATUS RpcTestCancel(void) {
        RPC_STATUS st = RpcServerTestCancel(NULL);
        /* Windows answers "not cancelled" with ERROR_ACCESS_DENIED more often than not */
        return st == RPC_S_CALL_IN_PROGRESS ? ERROR_ACCESS_DENIED : st;
}
