/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of remoting ([MS-DCOM] 3.2): one proxy manager per remote object
 * (OXID + OID: unmarshaling the same object twice gives the same IUnknown, as COM
 * identity requires), one interface proxy per IID with the IPID and the public
 * references we hold on it, remote QueryInterface through the exporter's IRemUnknown
 * (results cached), references released in one RemRelease when the last local one goes.
 * OXIDs are resolved through the resolver named in the OBJREF (IObjectExporter::
 * ResolveOxid2 on rpcss) and cached with their connection -- or, for the objects an
 * activation returns, taken from its reply, which carries what ResolveOxid2 would have
 * answered; an OXID of this process (an object in another apartment) is reached over our
 * own ncalrpc endpoint.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "com/remote-internal.h"
#include "com/resolver.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "orpc_stub.h"
#include "rpc/rpc-internal.h"
#include "security/impersonate.h"

static LOG_CHANNEL(com);

/* CoSetProxyBlanket's settings for one interface proxy's calls. */
struct blanket {
        bool set;
        uint8_t level, svc, imp;
        uint32_t caps;
        char user[257], domain[257], password[257];
        bool has_identity;
        bool svc_default;               /* RPC_C_AUTHN_DEFAULT: the connection's service */
        /* EOAC_STATIC_CLOAKING: the identity fixed when the blanket was set, or at the
           proxy's first call (kept even while set is false: the process's capability) */
        bool has_static;
        uid_t static_uid;
};

#define CLOAK_CONNS 16

/* struct chan's flags, what its blanket holds, readable without the lock */
#define CHAN_BLANKET_SET 0x1u           /* CoSetProxyBlanket was called (blanket->set) */
#define CHAN_BLANKET_CLOAKS 0x2u        /* ... with EOAC_STATIC_CLOAKING or _DYNAMIC_ */

/* A channel: calls of one interface pointer (IPID) over its OXID's connection. */
struct chan {
        struct ndr_binding nb;          /* first: what the generated proxies call through */
        struct oxid_entry *ox;
        IPID ipid;
        struct blanket *blanket;        /* NULL: the connection's security */
        atomic_uint flags;              /* CHAN_*, stored under the lock with the blanket */
};

static unsigned blanket_flags(const struct blanket *b) {
        if (!b->set)
                return 0;
        return CHAN_BLANKET_SET |
               ((b->caps & (EOAC_STATIC_CLOAKING | EOAC_DYNAMIC_CLOAKING)) ? CHAN_BLANKET_CLOAKS : 0);
}

struct oxid_entry {
        struct oxid_entry *next;
        char resolver[320];             /* the resolver that told us ("": ours, in-process) */
        OXID oxid;
        IPID ipid_remunk;
        uint32_t authn_hint;
        struct rpc_binding *b;
        uint8_t iface_ctx;              /* enum ndr_iface_ctx: this process, this machine, another */
        unsigned refs;                  /* proxy managers on it */
        struct chan remunk_chan;
        /* cloaked calls over ncalrpc: a connection of each identity they were made as,
           opened by a thread with that identity (the server learns it by SO_PEERCRED) */
        struct {
                uid_t uid;
                struct rpc_binding *b;
        } as[CLOAK_CONNS];
        unsigned n_as;
};

struct ifproxy {
        struct com_proxy px;            /* first: the interface pointer handed out */
        struct ifproxy *next;
        struct proxymgr *mgr;
        IID iid;
        struct chan chan;
        uint32_t refs;                  /* public references we hold on the IPID */
        uint32_t priv;                  /* private ones (secure references) */
        bool priv_pending;              /* a thread is taking the private one */
        struct blanket blanket;
        atomic_uint copy_refs;          /* a CoCopyProxy copy's own count (0: not a copy) */
};

struct proxymgr {
        IUnknown IUnknown_iface;        /* the identity */
        IClientSecurity IClientSecurity_iface;  /* the manager's own interfaces */
        IMultiQI IMultiQI_iface;
        struct proxymgr *next;
        atomic_uint refs;
        struct oxid_entry *ox;
        OXID oxid;
        OID oid;
        bool noping;
        DUALSTRINGARRAY *res;           /* the resolver's bindings, for marshaling it on */
        struct ifproxy *ifs;
        char pinged_at[320];            /* the resolver that pings for it ("": none) */
        atomic_bool gone;               /* a call was told the object or its server is gone */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct oxid_entry *oxids;
static struct proxymgr *managers;

static bool tcp_only;

void com_proxy_set_tcp_only(bool on) {
        tcp_only = on;
}

static struct {
        uint8_t level, svc;
        char user[257], domain[257], password[257];
        bool set;
} def_auth;

void com_proxy_set_default_auth(uint8_t level, uint8_t authn_svc, const char *user,
                                const char *domain, const char *password) {
        pthread_mutex_lock(&lock);
        def_auth.level = level;
        def_auth.svc = authn_svc;
        snprintf(def_auth.user, sizeof def_auth.user, "%s", user ? user : "");
        snprintf(def_auth.domain, sizeof def_auth.domain, "%s", domain ? domain : "");
        snprintf(def_auth.password, sizeof def_auth.password, "%s", password ? password : "");
        def_auth.set = user != NULL;
        pthread_mutex_unlock(&lock);
}

bool com_proxy_default_auth(uint8_t *level, uint8_t *svc, char *user, char *domain, char *password) {
        bool set;

        pthread_mutex_lock(&lock);
        set = def_auth.set;
        if (set) {
                if (def_auth.level > *level)
                        *level = def_auth.level;
                if (def_auth.svc)
                        *svc = def_auth.svc;
                memcpy(user, def_auth.user, sizeof def_auth.user);
                memcpy(domain, def_auth.domain, sizeof def_auth.domain);
                memcpy(password, def_auth.password, sizeof def_auth.password);
        }
        pthread_mutex_unlock(&lock);
        return set;
}

/* A child of fork() does not share the parent's connections: its proxies start afresh. */
static struct pingset *pingsets;
static bool ping_started;

static void atfork_child(void) {
        pthread_mutex_init(&lock, NULL);
        oxids = NULL;
        managers = NULL;
        pingsets = NULL;
        ping_started = false;
}

static void atfork_register(void) {
        pthread_atfork(NULL, NULL, atfork_child);
}

/* --- the channel ------------------------------------------------------------------------------ */

/* One call on the wire; *ret_fault: a fault's status; *ret_sent: whether its request may
   have reached the server. */
static int chan_send(struct chan *c, struct rpc_binding *b, const struct ndr_interface *iface,
                     uint16_t opnum, struct ndr_push *in, struct ndr_pull *out,
                     struct arena *arena, struct rpc_cancel_token *cancel, uint32_t *ret_fault,
                     bool *ret_sent) {
        struct rpc_call_handle h;
        int r;

        /* [MS-DCOM] 3.2.4.2: the IPID goes in the request's object UUID */
        rpc_call_handle_init(&h, b, &c->ipid);
        h.cancel = cancel;      /* CoCancelCall's (cancel.c) */
        /* the common call has no blanket: only then is one (with its strings, some 800
           bytes) copied -- or even cleared */
        struct blanket bl;
        bool has_blanket = false;
        if (c->blanket && (atomic_load_explicit(&c->flags, memory_order_acquire) & CHAN_BLANKET_SET)) {
                pthread_mutex_lock(&lock);
                if ((has_blanket = c->blanket->set))
                        bl = *c->blanket;
                pthread_mutex_unlock(&lock);
        }
        uint8_t conn_level = 0, conn_svc = 0;
        if (has_blanket && !bl.has_identity) {
                rpc_binding_auth_info(b, &conn_level, &conn_svc);
                if (bl.svc_default && conn_svc)
                        bl.svc = conn_svc;
        }
        /* a blanket without an identity (CoSetProxyBlanket's auth info NULL: the process's
           own, as the connection has it) at no more than the connection's level and of its
           service: the connection's security as it is.  Otherwise the blanket's own
           security context on the OXID's connection (CALL is sent as PKT), with the
           connection's credentials when the blanket names none */
        if (has_blanket && bl.level >= RPC_AUTHN_LEVEL_CALL &&
            !(!bl.has_identity && conn_svc == bl.svc &&
              rpc_authn_level_client(conn_level) >= rpc_authn_level_client(bl.level))) {
                if (!bl.has_identity && rpc_binding_auth_identity(b, bl.user, bl.domain, bl.password,
                                                                  sizeof bl.user) == 0)
                        bl.has_identity = true;
                struct rpc_auth_identity id = { bl.user, bl.domain, bl.password, NULL,
                                                bl.imp ? bl.imp : com_security_imp_level() };
                r = rpc_call_handle_set_auth(&h, bl.level, bl.svc,
                                             bl.has_identity ? &id : NULL);
                if (r < 0) {
                        *ret_fault = 0;
                        return r;
                }
        }
        r = h.nb.call(&h.nb, iface, opnum, in, out, arena);
        *ret_fault = r == -EREMOTEIO ? h.fault : 0;
        *ret_sent = h.sent;
        return r;
}

/*
 * Cloaking (learn.microsoft.com, "Cloaking" and "Cloaking and Client Identity"): the
 * identity a call presents.  Without cloaking, the process's -- even from a thread that
 * impersonates its caller; with EOAC_DYNAMIC_CLOAKING, the thread's at each call (its
 * impersonated caller's, else the process's); with EOAC_STATIC_CLOAKING, the thread's
 * when CoSetProxyBlanket set it, or at the proxy's first call when the capability is the
 * process's (CoInitializeSecurity) -- the same for every later call.  An identity set
 * with CoSetProxyBlanket (pAuthInfo) is the proxy's, unless dynamic cloaking finds the
 * thread impersonating.
 *
 * On Linux a thread's identity while it impersonates is its per-thread Unix credentials;
 * over ncalrpc the server learns its caller from SO_PEERCRED, which the kernel takes from
 * the connecting thread at connect().  So a call travels on a connection opened under the
 * identity it presents: the OXID's own connection for the process's (opened, and
 * reopened, only with the process's identity: an impersonating thread returns to it for
 * the call), a connection of its own for each cloaked identity.
 *
 * Over TCP the identity is the authentication's: the process's credentials (or the
 * blanket's).  An impersonated caller's credentials are not available there -- NTLM never
 * gives them to the server, and Kerberos only with a delegated credential, which MIT's
 * acceptor never returns for RPC's DCE-style contexts (src/rpc/auth/gss-rpc.c).  Windows
 * then cannot present the caller either (the "double hop"); we refuse the cloaked call
 * with SEC_E_NO_CREDENTIALS rather than let it go out as the process.
 */
struct route {
        struct rpc_binding *b;
        uid_t want;                     /* the identity the call is made with */
};

static HRESULT cloak_binding(struct oxid_entry *ox, uid_t uid, struct rpc_binding **ret) {
        struct rpc_binding *nb = NULL;

        pthread_mutex_lock(&lock);
        for (unsigned i = 0; i < ox->n_as; i++)
                if (ox->as[i].uid == uid) {
                        *ret = ox->as[i].b;
                        pthread_mutex_unlock(&lock);
                        return S_OK;
                }
        pthread_mutex_unlock(&lock);
        /* copied outside the lock: the OXID's binding is held for its calls' length */
        int r = rpc_binding_copy(ox->b, &nb);
        if (r < 0)
                return dcom_hresult_from_errno(r);
        pthread_mutex_lock(&lock);
        for (unsigned i = 0; i < ox->n_as; i++)
                if (ox->as[i].uid == uid) {     /* another thread was quicker */
                        *ret = ox->as[i].b;
                        pthread_mutex_unlock(&lock);
                        rpc_binding_free(nb);
                        return S_OK;
                }
        if (ox->n_as == CLOAK_CONNS) {
                pthread_mutex_unlock(&lock);
                rpc_binding_free(nb);
                log_debug(com, "cloaked call as uid %u refused: %u identities already have a "
                          "connection to this server", (unsigned)uid, CLOAK_CONNS);
                return E_OUTOFMEMORY;
        }
        ox->as[ox->n_as].uid = uid;
        ox->as[ox->n_as].b = nb;
        ox->n_as++;
        pthread_mutex_unlock(&lock);
        *ret = nb;
        return S_OK;
}

/*
 * Whether a call can skip route_call and ident_enter -- no geteuid(), no lock: a thread
 * not impersonating, a proxy whose blanket asks no cloaking (none set: the common call)
 * and a process without the capability present the thread's identity, which it has, on
 * the OXID's own connection.  (Static cloaking is the one case where a thread not
 * impersonating presents another identity: the one fixed earlier.)
 */
static bool route_fast(struct chan *c) {
        uid_t self;

        return !com_impersonation_self(&self) &&
               !(atomic_load_explicit(&c->flags, memory_order_acquire) & CHAN_BLANKET_CLOAKS) &&
               !com_security_cloaks();
}

static HRESULT route_call(struct chan *c, struct route *ret) {
        uid_t thread = geteuid(), self = thread;
        bool impersonating = com_impersonation_self(&self);
        uint32_t caps;
        bool has_identity = false, stat_set = false;
        uid_t stat_uid = 0;

        ret->b = c->ox->b;
        ret->want = self;
        pthread_mutex_lock(&lock);
        if (c->blanket && c->blanket->set) {
                caps = c->blanket->caps;
                has_identity = c->blanket->has_identity;
        } else {
                caps = (uint32_t)-1;
        }
        if (c->blanket && (c->blanket->set ? (caps & EOAC_STATIC_CLOAKING) != 0 : true)) {
                if (!c->blanket->has_static) {
                        /* the first call fixes it, unless CoSetProxyBlanket did */
                        c->blanket->has_static = true;
                        c->blanket->static_uid = thread;
                }
                stat_set = true;
                stat_uid = c->blanket->static_uid;
        }
        pthread_mutex_unlock(&lock);
        if (caps == (uint32_t)-1)
                caps = com_security_caps();
        if (caps & EOAC_DYNAMIC_CLOAKING) {
                if (!(has_identity && !impersonating))
                        ret->want = thread;
        } else if ((caps & EOAC_STATIC_CLOAKING) && !has_identity) {
                ret->want = stat_set ? stat_uid : thread;
        }
        if (ret->want == self)
                return S_OK;
        if (rpc_binding_string(c->ox->b)->protseq != RPC_PROTSEQ_LRPC) {
                log_debug(com, "cloaked call as uid %u refused: over the network a caller's "
                          "credentials are not available to present (no delegated Kerberos "
                          "credential); the process (uid %u) does not call in its place",
                          (unsigned)ret->want, (unsigned)self);
                return SEC_E_NO_CREDENTIALS;
        }
        return cloak_binding(c->ox, ret->want, &ret->b);
}

/* The thread made ret->want for a call (and any connection it opens), and back. */
struct ident {
        bool paused, switched;
        struct sec_saved_creds saved;
};

static HRESULT ident_enter(uid_t want, struct ident *s) {
        s->paused = s->switched = false;        /* saved: sec_impersonate_uid's to fill */
        if (geteuid() == want)
                return S_OK;
        s->paused = com_impersonation_pause();  /* back to the process's identity */
        if (geteuid() == want)
                return S_OK;
        int r = sec_impersonate_uid(want, &s->saved);
        if (r < 0) {
                com_impersonation_resume(s->paused);
                s->paused = false;
                log_debug(com, "a call as uid %u cannot be made: this thread (uid %u) cannot take "
                          "that identity (%s)", (unsigned)want, (unsigned)geteuid(), strerror(-r));
                return HRESULT_FROM_WIN32(ERROR_CANNOT_IMPERSONATE);
        }
        s->switched = true;
        return S_OK;
}

static void ident_leave(struct ident *s) {
        if (s->switched && sec_revert(&s->saved) < 0) {
                /* a thread that cannot return to itself must not run anything else */
                fprintf(stderr, "opendcom: cannot revert a cloaked call's identity\n");
                abort();
        }
        if (s->paused)          /* (nothing to resume otherwise: the common call) */
                com_impersonation_resume(true);
}

/* An STA's outgoing call, made by another thread while the STA pumps. */
struct outcall {
        struct chan *c;
        struct rpc_binding *b;
        const struct ndr_interface *iface;
        uint16_t opnum;
        struct ndr_push *in;
        struct ndr_pull *out;
        struct arena *arena;
        struct rpc_cancel_token *cancel;
        struct com_cancel_call *cc;     /* with cancel: the STA's frame */
        pthread_t sta;
        uint32_t fault;
        bool sent;
        int r;
        HANDLE done;
};

static void *outcall_main(void *arg) {
        struct outcall *o = arg;

        /* a cancel from now on goes to this thread's call (and one that came before is
           the token's, seen once the request is out); back to the STA before the end */
        if (o->cancel)
                com_cancel_set_rpc_thread(o->cc, pthread_self());
        o->r = chan_send(o->c, o->b, o->iface, o->opnum, o->in, o->out, o->arena, o->cancel,
                         &o->fault, &o->sent);
        if (o->cancel)
                com_cancel_set_rpc_thread(o->cc, o->sta);
        SetEvent(o->done);
        return NULL;
}

/* cc: the call's cancel frame (cancel.c), or NULL; *sent: whether the request may have
   reached the server (false when the call failed before it went) */
static int chan_call_framed(struct chan *c, const struct ndr_interface *iface, uint16_t opnum,
                            struct ndr_push *in, struct ndr_pull *out, struct arena *arena,
                            struct com_cancel_call *cc, bool *sent) {
        struct rpc_cancel_token *cancel = cc && cc->cancellable ? &cc->token : NULL;
        struct com_apartment *apt = com_current_apartment();
        uint32_t fault = 0;
        struct route rt;
        struct ident id;
        HRESULT hr;
        int r;

        *sent = false;
        if (route_fast(c)) {
                rt.b = c->ox->b;
                id.paused = id.switched = false;        /* ident_leave: nothing to undo */
        } else if (FAILED(hr = route_call(c, &rt)) || FAILED(hr = ident_enter(rt.want, &id))) {
                com_set_call_fault((uint32_t)hr);
                return -EREMOTEIO;
        }
        if (apt && apt->type != APTTYPE_MTA) {
                /*
                 * The COM modal loop: an STA waiting for its call's answer keeps running
                 * the calls that arrive for its objects meanwhile -- a callback from the
                 * object it called, in particular, which would otherwise wait for the STA
                 * while the STA waits for it.
                 */
                struct outcall o = { c, rt.b, iface, opnum, in, out, arena, cancel, cc,
                                     pthread_self(), 0, false, 0, NULL };
                struct com_filter_wait fw;
                pthread_t t;
                DWORD idx;

                /* the request as it is now: a call the STA runs meanwhile may change
                   what its referenced arrays point at */
                if ((r = ndr_push_flatten(in)) < 0) {
                        ident_leave(&id);
                        return r;
                }
                if ((o.done = CreateEventW(NULL, TRUE, FALSE, NULL))) {
                        /* its message filter tells the calls that come in meanwhile by
                           this one's causality (read before the request is the helper
                           thread's, which may append to it) */
                        com_filter_wait_begin(apt, in->buf.data + in->base,
                                              in->buf.len - in->base, &fw);
                        /* the thread is born with the call's identity; the STA goes back
                           to its own while it pumps */
                        if (pthread_create(&t, NULL, outcall_main, &o) == 0) {
                                ident_leave(&id);
                                CoWaitForMultipleHandles(0, INFINITE, 1, &o.done, &idx);
                                com_filter_wait_end(apt, &fw);
                                pthread_join(t, NULL);
                                CloseHandle(o.done);
                                *sent = o.sent;
                                if (o.r == -EREMOTEIO)
                                        com_set_call_fault(o.fault);
                                else if (o.r >= 0)
                                        com_errorext_reply(out);        /* on this thread */
                                return o.r;
                        }
                        com_filter_wait_end(apt, &fw);
                        CloseHandle(o.done);
                }
                /* no thread to spare: the call is made here, without the loop */
        }
        r = chan_send(c, rt.b, iface, opnum, in, out, arena, cancel, &fault, sent);
        ident_leave(&id);
        if (r == -EREMOTEIO)
                com_set_call_fault(fault);
        else if (r >= 0)
                com_errorext_reply(out);        /* [MS-DCOM] 2.2.21.1 */
        return r;
}

static struct proxymgr *chan_mgr(struct chan *c);

/*
 * The answers that say an object is no more (its exporter disconnected it, or answers
 * for a process that is not the one it was in), which its proxy manager remembers for
 * CoIsHandlerConnected.  Only those: a server that does not answer now
 * (RPC_S_SERVER_UNAVAILABLE, a timeout) may answer later, so a killed server is not
 * told apart from an unreachable one.
 */
static bool hr_says_gone(HRESULT hr) {
        return hr == RPC_E_DISCONNECTED || hr == CO_E_OBJNOTCONNECTED ||
               hr == RPC_E_INVALID_OBJECT || hr == RPC_E_SERVER_DIED ||
               hr == RPC_E_SERVER_DIED_DNE;
}

static void chan_note_gone(struct chan *c, int r) {
        HRESULT hr = r == -EREMOTEIO ? (HRESULT)com_call_fault_peek() : com_stub_hresult(r);
        struct proxymgr *m;

        if (hr_says_gone(hr) && (m = chan_mgr(c)))
                atomic_store(&m->gone, true);
}

static int chan_call(struct ndr_binding *nb, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        uint64_t first_ms = 0;
        bool sent = false, ever_sent = false;
        struct com_cancel_call cc;
        /* one cancel frame for all its attempts: a CoCancelCall while it waits to go again
           ends it; no thread of the process ever enabled call cancellation: one load (and
           one call site below, so that the call is inlined here) */
        bool framed = com_cancel_enter(&cc);
        struct com_apartment *apt = com_current_apartment();
        int r;

        /* RetryRejectedCall's dwTickCount: the time "since the call was made", its first
           attempt included -- noted for an STA with a message filter only (no other
           caller is asked, and the common call reads no clock) */
        if (apt && apt->type != APTTYPE_MTA && apt->filter.filter)
                first_ms = dcom_monotonic_ms();
        /* a call the callee rejected or deferred goes again while an STA's message filter
           says so (msgfilter.c) */
        while ((r = chan_call_framed((struct chan *)nb, iface, opnum, in, out, arena,
                                     framed ? &cc : NULL, &sent)) == -EREMOTEIO &&
               com_filter_retry(com_call_fault_peek(), &first_ms,
                                framed && cc.cancellable ? &cc.token : NULL))
                ever_sent = true;
        if (framed)
                com_cancel_leave(&cc);
        ever_sent |= sent;
        if (r >= 0)
                return r;
        chan_note_gone((struct chan *)nb, r);
        /* a call that failed before its request went (no connection): the interface
           pointers marshaled into it are given back now -- nobody can hold them -- rather
           than at their rundown; one that may have reached the server keeps them, but for
           what it marshaled for another of our apartments and was not taken (the
           free-threaded marshaler's data has no rundown) */
        if (!ever_sent)
                ndr_push_iface_unsend(in);
        else
                ndr_push_iface_failed_(in);
        return r;
}

/* Where a proxy's calls go (ndr_binding_iface_ctx): its OXID's process. */
static enum ndr_iface_ctx chan_iface_ctx(const struct ndr_binding *nb) {
        const struct chan *c = nb->ctx;

        return (enum ndr_iface_ctx)c->ox->iface_ctx;
}

__attribute__((constructor)) static void chan_kind_register(void) {
        ndr_binding_kind_register(chan_call, chan_iface_ctx);
}

static void chan_init(struct chan *c, struct oxid_entry *ox, const IPID *ipid) {
        c->nb.call = chan_call;
        c->nb.ctx = c;
        c->ox = ox;
        c->ipid = *ipid;
        c->blanket = NULL;
        atomic_init(&c->flags, 0);
}

/* A stack proxy for the OXID's IRemUnknown (its IUnknown methods are never called). */
static HRESULT remunk_qi(struct com_proxy *px, const IID *riid, void **ppv) {
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG remunk_ref(struct com_proxy *px) {
        return 1;
}

static const struct com_proxy_unknown remunk_unk = { remunk_qi, remunk_ref, remunk_ref };

static IRemUnknown *remunk_proxy(struct oxid_entry *ox, struct com_proxy *px) {
        px->lpVtbl = &IRemUnknown_ProxyVtbl;
        px->channel = &ox->remunk_chan.nb;
        px->iface = &IRemUnknown_p_interface;
        px->unk = &remunk_unk;
        px->ctx = NULL;
        return (IRemUnknown *)px;
}

/* --- OXID resolution ([MS-DCOM] 3.2.4.1.2) --------------------------------------------------- */

static bool host_is_loopback(const char *h) {
        return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 || strcasecmp(h, "localhost") == 0;
}

/* "host[port]" or "host" from a tower 7 binding, as a string binding (port: 135's default) */
static void tcp_binding(const char *addr, const char *default_port, char *out, size_t size,
                        char *host, size_t host_size) {
        const char *br = strchr(addr, '[');
        size_t hl = br ? (size_t)(br - addr) : strlen(addr);

        snprintf(host, host_size, "%.*s", (int)hl, addr);
        if (br)
                snprintf(out, size, "ncacn_ip_tcp:%s", addr);
        else
                snprintf(out, size, "ncacn_ip_tcp:%s[%s]", addr, default_port);
}

/* The exporter's connection; over TCP authenticated as auth says, else with the
   process's defaults when set. */
static int connect_exporter(struct oxid_entry *ox, const char *sb, bool tcp,
                            const struct com_conn_auth *auth) {
        int r = rpc_binding_from_string(sb, &ox->b);

        if (r < 0)
                return r;
        pthread_mutex_lock(&lock);
        uint8_t level = def_auth.level ? def_auth.level : (uint8_t)ox->authn_hint;
        if (tcp && auth) {
                r = rpc_binding_set_auth(ox->b, auth->level, auth->svc, &auth->id);
        } else if (tcp && def_auth.set && level > RPC_AUTHN_LEVEL_NONE) {
                struct rpc_auth_identity id = { def_auth.user, def_auth.domain, def_auth.password,
                                                NULL, com_security_imp_level() };
                r = rpc_binding_set_auth(ox->b, level, def_auth.svc ? def_auth.svc : RPC_AUTHN_WINNT,
                                         &id);
        }
        pthread_mutex_unlock(&lock);
        if (r < 0) {
                rpc_binding_free(ox->b);
                ox->b = NULL;
        }
        return r;
}

/* The resolver an OBJREF names: its first TCP binding as a string binding (port: the
   endpoint mapper's), the host alone in host; false when it names none. */
static bool resolver_binding(const struct objref *o, char *sb, size_t size, char *host,
                             size_t host_size) {
        char addr[256];
        uint16_t tower;

        for (unsigned i = 0; dsa_string_binding(o->res, i, &tower, addr, sizeof addr) >= 0; i++)
                if (tower == DSA_TOWER_TCP) {
                        tcp_binding(addr, rpc_epm_port(), sb, size, host, host_size);
                        return true;
                }
        return false;
}

/* Whether an OXID its resolver at host tells us of is reached over ncalrpc when it can be
   (this machine's) rather than TCP. */
static bool resolver_is_local(const char *host) {
        return host_is_loopback(host) && !tcp_only;
}

/*
 * Connects ox to its exporter at the bindings its resolver gave (ResolveOxid2's, or an
 * activation reply's): this machine's exporters over ncalrpc when local, others over TCP.
 */
static int oxid_connect(struct oxid_entry *ox, const DUALSTRINGARRAY *dsa, bool local,
                        const struct com_conn_auth *auth) {
        char addr[256], host[256], sb[320];
        uint16_t tower;
        int r = -ENOENT;

        if (!dsa || dsa_check(dsa) < 0)
                return -EBADMSG;
        for (unsigned i = 0; r < 0 && dsa_string_binding(dsa, i, &tower, addr, sizeof addr) >= 0; i++)
                if (tower == DSA_TOWER_LRPC && local) {
                        snprintf(sb, sizeof sb, "ncalrpc:[%s]", addr);
                        r = connect_exporter(ox, sb, false, NULL);
                }
        for (unsigned i = 0; r < 0 && dsa_string_binding(dsa, i, &tower, addr, sizeof addr) >= 0; i++)
                if (tower == DSA_TOWER_TCP) {
                        tcp_binding(addr, "135", sb, sizeof sb, host, sizeof host);
                        r = connect_exporter(ox, sb, true, auth);
                }
        if (r >= 0)
                log_debug(com, "OXID %016llx is at %s", (unsigned long long)ox->oxid, sb);
        return r;
}

/* Asks the OBJREF's resolver where its OXID is; fills ox. */
static HRESULT resolve_remote(const struct objref *o, struct oxid_entry *ox) {
        char host[256], sb[320];
        struct rpc_binding *rb = NULL;

        if (!resolver_binding(o, sb, sizeof sb, host, sizeof host) ||
            rpc_binding_from_string(sb, &rb) < 0) {
                log_debug(com, "OXID %016llx: no usable resolver binding", (unsigned long long)ox->oxid);
                return RPC_E_INVALID_OBJREF;
        }
        bool local = resolver_is_local(host);
        unsigned short protseqs[2] = { DSA_TOWER_LRPC, DSA_TOWER_TCP };
        DUALSTRINGARRAY *dsa = NULL;
        DWORD hint = 0;
        COMVERSION ver = { 0, 0 };
        error_status_t st = 0;
        OXID oxid = ox->oxid;

        rpc_binding_set_timeout(rb, 10000);
        int r = IObjectExporter_ResolveOxid2(rb, &oxid, local ? 2 : 1, local ? protseqs : protseqs + 1,
                                             &dsa, &ox->ipid_remunk, &hint, &ver, &st);
        rpc_binding_free(rb);
        if (r < 0 || st) {
                log_debug(com, "ResolveOxid2 %016llx at %s: %s", (unsigned long long)oxid, sb,
                          r < 0 ? strerror(-r) : "refused");
                midl_user_free(dsa);
                return r < 0 ? dcom_hresult_from_errno(r) : HRESULT_FROM_WIN32(st);
        }
        ox->authn_hint = hint;
        r = oxid_connect(ox, dsa, local, NULL);
        midl_user_free(dsa);
        return r < 0 ? RPC_E_INVALID_OBJREF : S_OK;
}

static void oxid_put(struct oxid_entry *ox) {
        bool last;

        pthread_mutex_lock(&lock);
        last = --ox->refs == 0;
        if (last)
                for (struct oxid_entry **p = &oxids; *p; p = &(*p)->next)
                        if (*p == ox) {
                                *p = ox->next;
                                break;
                        }
        pthread_mutex_unlock(&lock);
        if (last) {
                for (unsigned i = 0; i < ox->n_as; i++)
                        rpc_binding_free(ox->as[i].b);
                rpc_binding_free(ox->b);
                free(ox);
        }
}

/* The resolver an OBJREF names (its first TCP binding), "" for one of this process's. */
static void resolver_of(const struct objref *o, char *sb, size_t size) {
        char host[256];

        sb[0] = 0;
        if (!com_exporter_is_local(o->std.oxid))
                resolver_binding(o, sb, size, host, sizeof host);     /* else "" */
}

/* The entry of oxid at resolver res, referenced, or NULL; under the lock. */
static struct oxid_entry *oxid_find_locked(OXID oxid, const char *res) {
        for (struct oxid_entry *ox = oxids; ox; ox = ox->next)
                if (ox->oxid == oxid && strcmp(ox->resolver, res) == 0) {
                        ox->refs++;
                        return ox;
                }
        return NULL;
}

/* A new entry, connected, into the table -- or, when another thread was quicker, that
   thread's (referenced) and ours freed. */
static struct oxid_entry *oxid_publish(struct oxid_entry *ox) {
        struct oxid_entry *x;

        rpc_binding_set_timeout(ox->b, 30000);
        /* where its calls' interface pointers go: one of our own apartments (an object
           there may hand over its very pointer: the free-threaded marshaler), another
           process here, or another machine */
        ox->iface_ctx = com_exporter_is_local(ox->oxid) ? NDR_IFACE_INPROC
                        : rpc_binding_string(ox->b)->protseq == RPC_PROTSEQ_LRPC ? NDR_IFACE_LOCAL
                                                                                : NDR_IFACE_REMOTE;
        chan_init(&ox->remunk_chan, ox, &ox->ipid_remunk);
        pthread_mutex_lock(&lock);
        if ((x = oxid_find_locked(ox->oxid, ox->resolver))) {
                pthread_mutex_unlock(&lock);
                rpc_binding_free(ox->b);
                free(ox);
                return x;
        }
        ox->next = oxids;
        oxids = ox;
        pthread_mutex_unlock(&lock);
        return ox;
}

/* The entry of oxid at resolver res: a known one (referenced; *ret_known), else a new
   one for the caller to connect and publish (not in the table yet).  NULL without memory. */
static struct oxid_entry *oxid_find_or_new(OXID oxid, const char *res, bool *ret_known) {
        struct oxid_entry *ox;

        pthread_mutex_lock(&lock);
        ox = oxid_find_locked(oxid, res);
        pthread_mutex_unlock(&lock);
        *ret_known = ox != NULL;
        if (!ox && (ox = calloc(1, sizeof *ox))) {
                ox->oxid = oxid;
                ox->refs = 1;
                snprintf(ox->resolver, sizeof ox->resolver, "%s", res);
        }
        return ox;
}

static HRESULT oxid_get(const struct objref *o, struct oxid_entry **ret) {
        struct oxid_entry *ox;
        HRESULT hr = S_OK;
        char res[320];
        bool known;

        /* an OXID is known by the resolver that vouches for it too: an OBJREF naming a
           known OXID at another resolver cannot redirect that OXID's later proxies */
        resolver_of(o, res, sizeof res);
        if (!(ox = oxid_find_or_new(o->std.oxid, res, &known)))
                return E_OUTOFMEMORY;
        if (known) {
                *ret = ox;
                return S_OK;
        }
        if (com_exporter_oxid_info(o->std.oxid, &ox->ipid_remunk, &ox->authn_hint)) {
                char sb[64];
                int r = com_exporter_local_binding(sb, sizeof sb);
                if (r >= 0)
                        r = connect_exporter(ox, sb, false, NULL);
                if (r < 0)
                        hr = dcom_hresult_from_errno(r);
        } else {
                hr = resolve_remote(o, ox);
        }
        if (FAILED(hr)) {
                free(ox);
                return hr;
        }
        *ret = oxid_publish(ox);
        return S_OK;
}

HRESULT com_proxy_oxid_seed(const struct objref *o, const DUALSTRINGARRAY *bindings,
                            const IPID *ipid_remunk, uint32_t authn_hint,
                            const struct com_conn_auth *auth, struct oxid_entry **ret) {
        char host[256], res[320];
        struct oxid_entry *ox;
        bool known;

        *ret = NULL;
        /* this process's OXIDs need no resolver; an OBJREF naming none is refused later */
        if (com_exporter_is_local(o->std.oxid) || !resolver_binding(o, res, sizeof res, host, sizeof host))
                return S_OK;
        if (!(ox = oxid_find_or_new(o->std.oxid, res, &known)))
                return E_OUTOFMEMORY;
        /* an OXID known already keeps what we know: the reply cannot redirect it */
        if (!known) {
                ox->ipid_remunk = *ipid_remunk;
                ox->authn_hint = authn_hint;
                int r = oxid_connect(ox, bindings, resolver_is_local(host), auth);
                if (r < 0) {
                        log_debug(com, "OXID %016llx: the activation reply's bindings are unusable (%s)",
                                  (unsigned long long)ox->oxid, strerror(-r));
                        free(ox);
                        return r == -ENOMEM ? E_OUTOFMEMORY : RPC_E_INVALID_OBJREF;
                }
                ox = oxid_publish(ox);
        }
        *ret = ox;
        return S_OK;
}

void com_proxy_oxid_release(struct oxid_entry *ox) {
        if (ox)
                oxid_put(ox);
}

/* --- pinging ([MS-DCOM] 3.2.6): the OIDs we hold, per resolver, kept alive ------------------- */

/*
 * One ping set per resolver: ComplexPing when its membership changed (the set made on the
 * first), SimplePing otherwise, every ping period, so that the exporters do not run our
 * objects down.  A resolver that forgot the set (restarted: OR_INVALID_SET) gets it
 * again in full.
 */
struct pingset {
        struct pingset *next;
        char binding[320];
        struct rpc_binding *b;
        SETID setid;
        uint16_t seq;
        OID *members, *add, *del;
        unsigned n_members, n_add, n_del;
        unsigned cap_members, cap_add, cap_del;
};

static pthread_t ping_thread;
static pthread_cond_t ping_wake = PTHREAD_COND_INITIALIZER;

static int oid_push(OID **v, unsigned *n, unsigned *cap, OID oid) {
        if (*n == *cap) {
                unsigned nc = *cap ? *cap * 2 : 16;
                OID *nv = realloc(*v, nc * sizeof *nv);
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = nc;
        }
        (*v)[(*n)++] = oid;
        return 0;
}

static bool oid_take(OID *v, unsigned *n, OID oid) {
        for (unsigned i = 0; i < *n; i++)
                if (v[i] == oid) {
                        v[i] = v[--*n];
                        return true;
                }
        return false;
}

static void *ping_main(void *arg);

static void ping_add_locked(const char *binding, OID oid) {
        struct pingset *ps;

        for (ps = pingsets; ps && strcmp(ps->binding, binding); ps = ps->next)
                ;
        if (!ps) {
                if (!(ps = calloc(1, sizeof *ps)))
                        return;
                snprintf(ps->binding, sizeof ps->binding, "%s", binding);
                ps->next = pingsets;
                pingsets = ps;
        }
        if (!oid_take(ps->del, &ps->n_del, oid))
                oid_push(&ps->add, &ps->n_add, &ps->cap_add, oid);
        /* a new OID is pinged at once: the exporter's grace for it is three periods */
        pthread_cond_signal(&ping_wake);
        bool paused = com_impersonation_pause();        /* the pinger is the process's */
        bool made = !ping_started && pthread_create(&ping_thread, NULL, ping_main, NULL) == 0;
        com_impersonation_resume(paused);
        if (made) {
                pthread_detach(ping_thread);
                ping_started = true;
        }
}

static void ping_del_locked(const char *binding, OID oid) {
        for (struct pingset *ps = pingsets; ps; ps = ps->next)
                if (strcmp(ps->binding, binding) == 0) {
                        if (!oid_take(ps->add, &ps->n_add, oid))
                                oid_push(&ps->del, &ps->n_del, &ps->cap_del, oid);
                        return;
                }
}

/* One set's ping; the lock is dropped around the call. */
static void ping_one(struct pingset *ps) {
        unsigned n_add = ps->n_add, n_del = ps->n_del;
        OID *add = n_add ? malloc(n_add * sizeof *add) : NULL;
        OID *del = n_del ? malloc(n_del * sizeof *del) : NULL;
        SETID setid = ps->setid;
        uint16_t seq = ps->seq;
        struct rpc_binding *b = ps->b;
        error_status_t st = 0;
        unsigned short backoff = 0;
        int r;

        if ((n_add && !add) || (n_del && !del)) {
                free(add);
                free(del);
                return;
        }
        if (n_add)
                memcpy(add, ps->add, n_add * sizeof *add);
        if (n_del)
                memcpy(del, ps->del, n_del * sizeof *del);
        ps->b = NULL;           /* ours while the lock is dropped */
        pthread_mutex_unlock(&lock);
        r = b ? 0 : rpc_binding_from_string(ps->binding, &b);
        if (r >= 0) {
                rpc_binding_set_timeout(b, 10000);
                if (n_add || n_del || !setid)
                        /* [MS-DCOM] 3.2.6.1: the set's changes, with the next sequence number */
                        r = IObjectExporter_ComplexPing(b, &setid, (unsigned short)(seq + 1),
                                                        (unsigned short)n_add, (unsigned short)n_del,
                                                        add, del, &backoff, &st);
                else
                        r = IObjectExporter_SimplePing(b, &setid, &st);
        }
        pthread_mutex_lock(&lock);
        ps->b = b;
        if (r < 0) {
                log_debug(com, "ping %s: %s", ps->binding, strerror(-r));
        } else if (st == OR_INVALID_SET) {
                /* the resolver forgot the set: everything again, in a new one */
                ps->setid = 0;
                for (unsigned i = 0; i < ps->n_members; i++)
                        oid_push(&ps->add, &ps->n_add, &ps->cap_add, ps->members[i]);
                ps->n_members = 0;
        } else if (st && st != OR_INVALID_OID) {
                log_debug(com, "ping %s: status %u", ps->binding, (unsigned)st);
        } else if (n_add || n_del || !setid || ps->setid != setid) {
                ps->setid = setid;
                ps->seq = (uint16_t)(seq + 1);
                /* what was sent is in the set now; later changes stay pending */
                for (unsigned i = 0; i < n_add; i++)
                        if (oid_take(ps->add, &ps->n_add, add[i]))
                                oid_push(&ps->members, &ps->n_members, &ps->cap_members, add[i]);
                for (unsigned i = 0; i < n_del; i++)
                        if (oid_take(ps->del, &ps->n_del, del[i]))
                                oid_take(ps->members, &ps->n_members, del[i]);
        }
        free(add);
        free(del);
}

static void *ping_main(void *arg) {
        (void)arg;
        pthread_mutex_lock(&lock);
        for (;;) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)com_ping_period_ms() * 1000000u;
                ts.tv_sec += (time_t)(ns / 1000000000u);
                ts.tv_nsec = (long)(ns % 1000000000u);
                pthread_cond_timedwait(&ping_wake, &lock, &ts);
                for (struct pingset *ps = pingsets, *next; ps; ps = next) {
                        next = ps->next;
                        if (!ps->n_members && !ps->n_add && !ps->n_del)
                                continue;       /* nothing to keep alive */
                        ping_one(ps);
                }
        }
        return NULL;
}

/* Pings every set now (tests: no waiting for the period). */
void com_proxy_ping_now(void) {
        pthread_mutex_lock(&lock);
        pthread_cond_signal(&ping_wake);
        pthread_mutex_unlock(&lock);
}

/* --- the proxy manager ---------------------------------------------------------------------- */

static struct proxymgr *impl_from_IUnknown(IUnknown *iface) {
        return (struct proxymgr *)iface;
}

static ULONG mgr_addref(struct proxymgr *m) {
        return atomic_fetch_add(&m->refs, 1) + 1;
}

/* References we got and cannot use go back at once. */
static void give_back(struct oxid_entry *ox, const IPID *ipid, uint32_t refs) {
        REMINTERFACEREF ref = { *ipid, refs, 0 };
        struct com_proxy rpx;

        if (refs)
                IRemUnknown_RemRelease_Proxy(remunk_proxy(ox, &rpx), 1, &ref);
}

/* [MS-DCOM] 3.2.4.4.2: the references we hold go back in one RemRelease */
static void mgr_free(struct proxymgr *m) {
        REMINTERFACEREF refs[64];
        unsigned n = 0;
        struct com_proxy rpx;

        for (struct ifproxy *i = m->ifs; i; i = i->next)
                if ((i->refs || i->priv) && n < 64)
                        refs[n++] = (REMINTERFACEREF){ i->chan.ipid, i->refs, i->priv };
        if (n) {
                HRESULT hr = IRemUnknown_RemRelease_Proxy(remunk_proxy(m->ox, &rpx), (unsigned short)n, refs);
                if (FAILED(hr))
                        log_debug(com, "RemRelease on OID %016llx: 0x%08x", (unsigned long long)m->oid,
                                  (unsigned)hr);
        }
        if (m->pinged_at[0]) {
                pthread_mutex_lock(&lock);
                ping_del_locked(m->pinged_at, m->oid);
                pthread_mutex_unlock(&lock);
        }
        if (!m->ox->resolver[0])
                com_export_local_proxy(m->oxid, m->oid, false);
        for (struct ifproxy *i = m->ifs, *next; i; i = next) {
                next = i->next;
                free(i);
        }
        oxid_put(m->ox);
        free(m->res);
        free(m);
}

static ULONG mgr_release(struct proxymgr *m) {
        unsigned cur = atomic_load(&m->refs);

        /* above one: a plain decrement.  The one that may reach zero is made under the
           lock that unmarshals look managers up under, so that none is found (and used)
           while it goes. */
        while (cur > 1)
                if (atomic_compare_exchange_weak(&m->refs, &cur, cur - 1))
                        return cur - 1;
        pthread_mutex_lock(&lock);
        ULONG r = atomic_fetch_sub(&m->refs, 1) - 1;
        if (r) {
                pthread_mutex_unlock(&lock);
                return r;
        }
        for (struct proxymgr **p = &managers; *p; p = &(*p)->next)
                if (*p == m) {
                        *p = m->next;
                        break;
                }
        pthread_mutex_unlock(&lock);
        mgr_free(m);
        return 0;
}

static HRESULT px_qi(struct com_proxy *px, const IID *riid, void **ppv);

static ULONG px_addref(struct com_proxy *px) {
        return mgr_addref(((struct ifproxy *)px)->mgr);
}

static ULONG px_release(struct com_proxy *px) {
        return mgr_release(((struct ifproxy *)px)->mgr);
}

static const struct com_proxy_unknown px_unk = { px_qi, px_addref, px_release };

/*
 * CoCopyProxy's copies: an interface proxy of its own for the same IPID, outside the
 * manager's list (so its blanket is its own), holding one reference on the manager --
 * the IPID's references stay the original's.  QueryInterface goes to the manager: a copy
 * is one interface's, as Windows' are.
 */
static ULONG copy_addref(struct com_proxy *px) {
        return atomic_fetch_add(&((struct ifproxy *)px)->copy_refs, 1) + 1;
}

static ULONG copy_release(struct com_proxy *px) {
        struct ifproxy *i = (struct ifproxy *)px;
        unsigned left = atomic_fetch_sub(&i->copy_refs, 1) - 1;

        if (left == 0) {
                struct proxymgr *m = i->mgr;
                free(i);
                mgr_release(m);
        }
        return left;
}

static const struct com_proxy_unknown copy_unk = { px_qi, copy_addref, copy_release };

/* The interface proxy of iid, made for the IPID std names (its references added), under the lock. */
/*
 * The interface proxy of iid, made for the IPID std names, under the lock.  The OBJREF's
 * public references go to it; *ret_unused (may be NULL) gets those it could not take --
 * another IPID for an interface we have, no proxy for the interface -- which the caller
 * gives back.
 */
static struct ifproxy *ifproxy_add_locked(struct proxymgr *m, const IID *iid, const STDOBJREF *std,
                                          HRESULT *ret_hr, uint32_t *ret_unused) {
        const struct com_ps *ps = NULL;
        struct ifproxy *i;

        if (ret_unused)
                *ret_unused = std->cPublicRefs;
        for (i = m->ifs; i; i = i->next)
                if (dcom_guid_equal(&i->iid, iid)) {
                        /* the same interface again: more references on the IPID we hold */
                        if (dcom_guid_equal(&std->ipid, &i->chan.ipid) &&
                            std->cPublicRefs <= UINT32_MAX - i->refs) {
                                i->refs += std->cPublicRefs;
                                if (ret_unused)
                                        *ret_unused = 0;
                        }
                        *ret_hr = S_OK;
                        return i;
                }
        if (!IsEqualIID(iid, &IID_IUnknown) && !(ps = com_ps_find(iid))) {
                *ret_hr = E_NOINTERFACE;        /* no proxy for it here */
                return NULL;
        }
        if (!(i = calloc(1, sizeof *i))) {
                *ret_hr = E_OUTOFMEMORY;
                return NULL;
        }
        i->px.lpVtbl = ps ? ps->proxy_vtbl : NULL;
        i->px.channel = &i->chan.nb;
        i->px.iface = ps ? ps->iface : NULL;
        i->px.unk = &px_unk;
        i->px.ctx = i;
        i->mgr = m;
        i->iid = *iid;
        i->refs = std->cPublicRefs;
        if (ret_unused)
                *ret_unused = 0;
        chan_init(&i->chan, m->ox, &std->ipid);
        i->chan.blanket = &i->blanket;
        i->next = m->ifs;
        m->ifs = i;
        *ret_hr = S_OK;
        return i;
}

static void secure_refs(struct proxymgr *m, struct ifproxy *i);

#define MULTI_QI_MAX 256                /* one RemQueryInterface's (the exporter's MAX_QI_IIDS) */

/* What the manager answers without a round trip: its own interfaces and those it has
   proxies for (referenced); false when riid needs asking. */
static bool mgr_qi_local(struct proxymgr *m, const IID *riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClientSecurity) ||
            IsEqualIID(riid, &IID_IMultiQI)) {
                mgr_addref(m);
                *ppv = IsEqualIID(riid, &IID_IUnknown) ? (void *)&m->IUnknown_iface
                       : IsEqualIID(riid, &IID_IMultiQI) ? (void *)&m->IMultiQI_iface
                                                         : (void *)&m->IClientSecurity_iface;
                return true;
        }
        pthread_mutex_lock(&lock);
        for (struct ifproxy *i = m->ifs; i; i = i->next)
                if (dcom_guid_equal(&i->iid, riid)) {
                        pthread_mutex_unlock(&lock);
                        mgr_addref(m);
                        *ppv = &i->px;
                        return true;
                }
        pthread_mutex_unlock(&lock);
        return false;
}

/*
 * [MS-DCOM] 3.2.4.4.3: the interfaces not answered locally, asked for in one
 * RemQueryInterface (n <= MULTI_QI_MAX, each with a proxy/stub here); hrs[k] and ppv[k]
 * get each one's answer.  Fails as a whole only when the call does.
 */
static HRESULT mgr_qi_remote(struct proxymgr *m, unsigned n, IID *iids, void **ppv, HRESULT *hrs) {
        struct com_proxy rpx;
        REMQIRESULT *res = NULL;
        IPID via;
        HRESULT hr;

        pthread_mutex_lock(&lock);
        via = m->ifs->chan.ipid;
        pthread_mutex_unlock(&lock);
        hr = IRemUnknown_RemQueryInterface_Proxy(remunk_proxy(m->ox, &rpx), &via, COM_MARSHAL_REFS,
                                                 (unsigned short)n, iids, &res);
        if (FAILED(hr) || !res) {
                midl_user_free(res);
                if (hr_says_gone(hr))   /* (the object's IPID unknown to its exporter) */
                        atomic_store(&m->gone, true);
                return FAILED(hr) ? hr : E_UNEXPECTED;
        }
        for (unsigned k = 0; k < n; k++) {
                ppv[k] = NULL;
                hrs[k] = res[k].hResult;
                if (hrs[k] == CO_E_OBJNOTCONNECTED)     /* disconnected while it asked */
                        atomic_store(&m->gone, true);
                if (FAILED(hrs[k]))
                        continue;
                STDOBJREF std = res[k].std;
                struct ifproxy *i;
                uint32_t unused = 0;
                pthread_mutex_lock(&lock);
                i = ifproxy_add_locked(m, &iids[k], &std, &hrs[k], &unused);
                pthread_mutex_unlock(&lock);
                if (unused)
                        give_back(m->ox, &std.ipid, unused);
                if (i && com_security_secure_refs())
                        secure_refs(m, i);
                if (i) {
                        mgr_addref(m);
                        ppv[k] = &i->px;
                }
        }
        midl_user_free(res);
        return S_OK;
}

/* [MS-DCOM] 3.2.4.4.3: QueryInterface not answered locally goes to RemQueryInterface */
static HRESULT mgr_qi(struct proxymgr *m, const IID *riid, void **ppv) {
        IID iid;
        HRESULT hr, one;

        if (!ppv)
                return E_POINTER;
        *ppv = NULL;
        if (mgr_qi_local(m, riid, ppv))
                return S_OK;
        if (!com_ps_find(riid))
                return E_NOINTERFACE;
        iid = *riid;
        hr = mgr_qi_remote(m, 1, &iid, ppv, &one);
        return FAILED(hr) ? hr : one;
}

static HRESULT px_qi(struct com_proxy *px, const IID *riid, void **ppv) {
        return mgr_qi(((struct ifproxy *)px)->mgr, riid, ppv);
}

static HRESULT STDMETHODCALLTYPE id_qi(IUnknown *iface, REFIID riid, void **ppv) {
        return mgr_qi(impl_from_IUnknown(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE id_addref(IUnknown *iface) {
        return mgr_addref(impl_from_IUnknown(iface));
}

static ULONG STDMETHODCALLTYPE id_release(IUnknown *iface) {
        return mgr_release(impl_from_IUnknown(iface));
}

static const IUnknownVtbl identity_vtbl = { id_qi, id_addref, id_release };

/* The proxy manager whose interface proxy c is the channel of (NULL: an OXID's
   IRemUnknown channel, no object's). */
static struct proxymgr *chan_mgr(struct chan *c) {
        if (c == &c->ox->remunk_chan)
                return NULL;
        return ((struct ifproxy *)((char *)c - offsetof(struct ifproxy, chan)))->mgr;
}

/*
 * learn.microsoft.com, CoIsHandlerConnected: TRUE for an object that is not remote, and
 * for a proxy whose object is still connected; FALSE for a proxy one of whose calls (or
 * remote QueryInterface) was answered that the object is disconnected (hr_says_gone).
 * Nothing goes on the wire: what the calls so far learned.  A server that stopped
 * answering is not "disconnected" here (it may answer again).  Once gone, always gone:
 * an exporter never gives a disconnected object's OID to another object.
 */
BOOL WINAPI CoIsHandlerConnected(IUnknown *unk) {
        IUnknown *id = NULL;
        BOOL connected = TRUE;

        if (!unk)
                return FALSE;
        if (FAILED(unk->lpVtbl->QueryInterface(unk, &IID_IUnknown, (void **)&id)) || !id)
                return TRUE;    /* (not a proxy: every proxy answers IUnknown) */
        if (id->lpVtbl == &identity_vtbl)
                connected = !atomic_load(&impl_from_IUnknown(id)->gone);
        id->lpVtbl->Release(id);
        return connected;
}

/*
 * IClientSecurity: the proxy manager's answer to CoQueryProxyBlanket, CoSetProxyBlanket
 * and CoCopyProxy, which these are (learn.microsoft.com, IClientSecurity): pProxy is any
 * interface proxy -- of this object or another.
 */
static struct proxymgr *impl_from_IClientSecurity(IClientSecurity *iface) {
        return (struct proxymgr *)((char *)iface - offsetof(struct proxymgr, IClientSecurity_iface));
}

static HRESULT STDMETHODCALLTYPE csec_qi(IClientSecurity *iface, REFIID riid, void **ppv) {
        return mgr_qi(impl_from_IClientSecurity(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE csec_addref(IClientSecurity *iface) {
        return mgr_addref(impl_from_IClientSecurity(iface));
}

static ULONG STDMETHODCALLTYPE csec_release(IClientSecurity *iface) {
        return mgr_release(impl_from_IClientSecurity(iface));
}

static HRESULT STDMETHODCALLTYPE csec_query(IClientSecurity *iface, IUnknown *proxy, DWORD *authn_svc,
                                            DWORD *authz_svc, OLECHAR **principal, DWORD *level,
                                            DWORD *imp, void **auth_info, DWORD *caps) {
        return CoQueryProxyBlanket(proxy, authn_svc, authz_svc, principal, level, imp, auth_info, caps);
}

static HRESULT STDMETHODCALLTYPE csec_set(IClientSecurity *iface, IUnknown *proxy, DWORD authn_svc,
                                          DWORD authz_svc, OLECHAR *principal, DWORD level,
                                          DWORD imp, void *auth_info, DWORD caps) {
        return CoSetProxyBlanket(proxy, authn_svc, authz_svc, principal, level, imp, auth_info, caps);
}

static HRESULT STDMETHODCALLTYPE csec_copy(IClientSecurity *iface, IUnknown *proxy, IUnknown **ret) {
        return CoCopyProxy(proxy, ret);
}

static const IClientSecurityVtbl csec_vtbl = {
        csec_qi, csec_addref, csec_release, csec_query, csec_set, csec_copy,
};

/*
 * IMultiQI (learn.microsoft.com, IMultiQI::QueryMultipleInterfaces): several interfaces
 * in one round trip -- those the manager has are answered at once, the rest go in one
 * RemQueryInterface (a batch per MULTI_QI_MAX).  S_OK when every one was found,
 * CO_S_NOTALLINTERFACES when some were, E_NOINTERFACE when none.
 */
static struct proxymgr *impl_from_IMultiQI(IMultiQI *iface) {
        return (struct proxymgr *)((char *)iface - offsetof(struct proxymgr, IMultiQI_iface));
}

static HRESULT STDMETHODCALLTYPE mqi_qi(IMultiQI *iface, REFIID riid, void **ppv) {
        return mgr_qi(impl_from_IMultiQI(iface), riid, ppv);
}

static ULONG STDMETHODCALLTYPE mqi_addref(IMultiQI *iface) {
        return mgr_addref(impl_from_IMultiQI(iface));
}

static ULONG STDMETHODCALLTYPE mqi_release(IMultiQI *iface) {
        return mgr_release(impl_from_IMultiQI(iface));
}

static HRESULT STDMETHODCALLTYPE mqi_query(IMultiQI *iface, ULONG n, MULTI_QI *mqi) {
        struct proxymgr *m = impl_from_IMultiQI(iface);
        IID *iids = NULL;
        unsigned *slot = NULL, asked = 0;
        ULONG found = 0;
        void **got = NULL;
        HRESULT *hrs = NULL, hr = S_OK;

        if (!n || !mqi)
                return E_INVALIDARG;
        for (ULONG k = 0; k < n; k++)
                if (!mqi[k].pIID)
                        return E_INVALIDARG;
        for (ULONG k = 0; k < n; k++) {
                mqi[k].pItf = NULL;
                if (mgr_qi_local(m, mqi[k].pIID, (void **)&mqi[k].pItf)) {
                        mqi[k].hr = S_OK;
                        continue;
                }
                /* S_FALSE for now: to be asked */
                mqi[k].hr = com_ps_find(mqi[k].pIID) ? S_FALSE : E_NOINTERFACE;
                if (mqi[k].hr == S_FALSE)
                        asked++;
        }
        if (asked) {
                unsigned cap = asked < MULTI_QI_MAX ? asked : MULTI_QI_MAX;
                iids = calloc(cap, sizeof *iids);
                slot = calloc(cap, sizeof *slot);
                got = calloc(cap, sizeof *got);
                hrs = calloc(cap, sizeof *hrs);
                if (!iids || !slot || !got || !hrs)
                        hr = E_OUTOFMEMORY;
        }
        for (ULONG k = 0; asked && k < n;) {
                unsigned b = 0;
                for (; k < n && b < MULTI_QI_MAX; k++) {
                        if (mqi[k].hr != S_FALSE)
                                continue;
                        if (FAILED(hr)) {
                                mqi[k].hr = hr;
                                continue;
                        }
                        iids[b] = *mqi[k].pIID;
                        slot[b++] = (unsigned)k;
                }
                if (!b)
                        continue;
                HRESULT r = mgr_qi_remote(m, b, iids, got, hrs);
                for (unsigned j = 0; j < b; j++) {
                        mqi[slot[j]].hr = FAILED(r) ? r : hrs[j];
                        mqi[slot[j]].pItf = FAILED(r) ? NULL : got[j];
                }
        }
        free(iids);
        free(slot);
        free(got);
        free(hrs);
        for (ULONG k = 0; k < n; k++)
                if (SUCCEEDED(mqi[k].hr))
                        found++;
        return found == n ? S_OK : found ? CO_S_NOTALLINTERFACES : E_NOINTERFACE;
}

static const IMultiQIVtbl mqi_vtbl = { mqi_qi, mqi_addref, mqi_release, mqi_query };

/* The manager an interface of its own belongs to (identity, IClientSecurity, IMultiQI),
   or NULL for any other pointer. */
static struct proxymgr *mgr_of_own(IUnknown *unk) {
        if (unk->lpVtbl == &identity_vtbl)
                return impl_from_IUnknown(unk);
        if (unk->lpVtbl == (const void *)&csec_vtbl)
                return impl_from_IClientSecurity((IClientSecurity *)unk);
        if (unk->lpVtbl == (const void *)&mqi_vtbl)
                return impl_from_IMultiQI((IMultiQI *)unk);
        return NULL;
}

/*
 * [MS-DCOM] 1.3.6, secure references (EOAC_SECURE_REFS, LegacySecureReferences): the
 * proxy holds one private reference -- which no other client may release -- and gives
 * the public ones it got back.  The private one is taken first, so the object never
 * drops to none meanwhile.
 */
static void secure_refs(struct proxymgr *m, struct ifproxy *i) {
        REMINTERFACEREF ref;
        struct com_proxy rpx;
        HRESULT res = S_OK;
        uint32_t pub;

        pthread_mutex_lock(&lock);
        /* one thread takes it; another meanwhile only gives its public ones back */
        bool need = i->priv == 0 && !i->priv_pending;
        if (need)
                i->priv_pending = true;
        pub = i->refs;
        i->refs = 0;
        ref = (REMINTERFACEREF){ i->chan.ipid, 0, 1 };
        pthread_mutex_unlock(&lock);
        if (need) {
                bool ok = SUCCEEDED(IRemUnknown_RemAddRef_Proxy(remunk_proxy(m->ox, &rpx), 1, &ref,
                                                                &res)) && SUCCEEDED(res);
                pthread_mutex_lock(&lock);
                i->priv_pending = false;
                if (ok)
                        i->priv = 1;
                else
                        i->refs += pub;
                pthread_mutex_unlock(&lock);
                if (!ok) {
                        /* the public references stay ours: an insecure proxy beats none */
                        log_debug(com, "no private reference on OID %016llx: 0x%08x",
                                  (unsigned long long)m->oid, (unsigned)res);
                        return;
                }
        }
        if (pub)
                give_back(m->ox, &i->chan.ipid, pub);
}

/*
 * A proxy from a table marshal carries no references of its own: it takes some, so that
 * releasing the table's data (CoReleaseMarshalData, RevokeInterfaceFromGlobal) does not
 * disconnect it.  With secure references, a private one.
 */
static void take_refs(struct proxymgr *m, struct ifproxy *i) {
        REMINTERFACEREF ref;
        struct com_proxy rpx;
        HRESULT res = S_OK;

        if (com_security_secure_refs()) {
                secure_refs(m, i);
                return;
        }
        pthread_mutex_lock(&lock);
        bool need = i->refs == 0 && i->priv == 0;
        ref = (REMINTERFACEREF){ i->chan.ipid, COM_MARSHAL_REFS, 0 };
        pthread_mutex_unlock(&lock);
        if (!need)
                return;
        if (SUCCEEDED(IRemUnknown_RemAddRef_Proxy(remunk_proxy(m->ox, &rpx), 1, &ref, &res)) &&
            SUCCEEDED(res)) {
                pthread_mutex_lock(&lock);
                i->refs += COM_MARSHAL_REFS;
                pthread_mutex_unlock(&lock);
        }
}

/* The part of an existing manager: the OBJREF's references join it. */
static HRESULT unmarshal_into(struct proxymgr *m, const struct objref *o, const IID *riid, void **ret) {
        uint32_t unused = 0;
        HRESULT hr;
        struct ifproxy *i = ifproxy_add_locked(m, &o->iid, &o->std, &hr, &unused);

        pthread_mutex_unlock(&lock);
        if (unused)
                give_back(m->ox, &o->std.ipid, unused);
        if (i) {
                take_refs(m, i);
                hr = mgr_qi(m, riid, ret);
        }
        mgr_release(m);
        return hr;
}

HRESULT com_proxy_unmarshal(const struct objref *o, const IID *riid, void **ret) {
        struct proxymgr *m;
        struct ifproxy *i;
        struct oxid_entry *ox;
        uint32_t unused = 0;
        HRESULT hr;

        static pthread_once_t once = PTHREAD_ONCE_INIT;

        *ret = NULL;
        pthread_once(&once, atfork_register);
        com_ps_find(&o->iid);           /* a proxy/stub library is loaded without the lock */
        pthread_mutex_lock(&lock);
        for (m = managers; m; m = m->next)
                if (m->oxid == o->std.oxid && m->oid == o->std.oid) {
                        /* the same object: its proxy manager (COM identity) */
                        mgr_addref(m);
                        return unmarshal_into(m, o, riid, ret);         /* unlocks */
                }
        pthread_mutex_unlock(&lock);

        if (FAILED(hr = oxid_get(o, &ox)))
                return hr;
        if (!(m = calloc(1, sizeof *m)) || !(m->res = dsa_dup(o->res))) {
                free(m);
                oxid_put(ox);
                return E_OUTOFMEMORY;
        }
        m->IUnknown_iface.lpVtbl = &identity_vtbl;
        m->IClientSecurity_iface.lpVtbl = &csec_vtbl;
        m->IMultiQI_iface.lpVtbl = &mqi_vtbl;
        atomic_init(&m->refs, 1);
        m->ox = ox;
        m->oxid = o->std.oxid;
        m->oid = o->std.oid;
        m->noping = o->std.flags & SORF_NOPING;
        pthread_mutex_lock(&lock);
        for (struct proxymgr *x = managers; x; x = x->next)
                if (x->oxid == m->oxid && x->oid == m->oid) {
                        /* made by another thread meanwhile: the references join that one,
                           ours goes without a word to the exporter */
                        mgr_addref(x);
                        hr = unmarshal_into(x, o, riid, ret);           /* unlocks */
                        oxid_put(ox);
                        free(m->res);
                        free(m);
                        return hr;
                }
        i = ifproxy_add_locked(m, &o->iid, &o->std, &hr, &unused);
        if (i) {
                m->next = managers;
                managers = m;
                /* [MS-DCOM] 3.2.4.4.1: OIDs without SORF_NOPING are pinged */
                if (!m->noping && ox->resolver[0]) {
                        snprintf(m->pinged_at, sizeof m->pinged_at, "%s", ox->resolver);
                        ping_add_locked(m->pinged_at, m->oid);
                }
        }
        pthread_mutex_unlock(&lock);
        if (i && !ox->resolver[0])
                com_export_local_proxy(m->oxid, m->oid, true);
        if (!i) {
                /* no proxy for the OBJREF's interface: its references go back */
                give_back(ox, &o->std.ipid, o->std.cPublicRefs);
                oxid_put(ox);
                free(m->res);
                free(m);
                return hr;
        }
        take_refs(m, i);
        hr = mgr_qi(m, riid, ret);
        mgr_release(m);
        return hr;
}

HRESULT com_proxy_rem_release(IUnknown *proxy, uint32_t public_refs, uint32_t private_refs) {
        if (!com_proxy_is_proxy(proxy) || mgr_of_own(proxy) ||
            ((struct com_proxy *)proxy)->unk != &px_unk)
                return E_INVALIDARG;
        struct ifproxy *i = (struct ifproxy *)proxy;
        REMINTERFACEREF ref = { i->chan.ipid, public_refs, private_refs };
        struct com_proxy rpx;

        return IRemUnknown_RemRelease_Proxy(remunk_proxy(i->mgr->ox, &rpx), 1, &ref);
}

bool com_proxy_is_proxy(IUnknown *unk) {
        /* an interface proxy's vtable is a generated one, and its manager ours */
        return mgr_of_own(unk) ||
               (com_ps_is_proxy_vtbl(unk->lpVtbl) && (((struct com_proxy *)unk)->unk == &px_unk ||
                                                      ((struct com_proxy *)unk)->unk == &copy_unk));
}

/* [MS-DCOM] 3.2.4.3: a proxy marshaled on carries references of its own */
HRESULT com_proxy_marshal(IUnknown *unk, const IID *iid, struct objref *o) {
        struct proxymgr *m = mgr_of_own(unk) ? mgr_of_own(unk) : ((struct ifproxy *)unk)->mgr;
        struct com_proxy rpx;
        struct ifproxy *i;
        void *itf;
        HRESULT hr = mgr_qi(m, iid, &itf);

        memset(o, 0, sizeof *o);
        if (FAILED(hr))
                return hr;
        pthread_mutex_lock(&lock);
        for (i = m->ifs; i && !dcom_guid_equal(&i->iid, iid); i = i->next)
                ;
        uint32_t give = 0;
        if (i && i->refs > 1) {
                give = 1;
                i->refs--;
        }
        IPID ipid = i ? i->chan.ipid : GUID_NULL;
        pthread_mutex_unlock(&lock);
        if (!i) {
                mgr_release(m);
                return E_NOINTERFACE;
        }
        if (!give) {
                REMINTERFACEREF ref = { ipid, COM_MARSHAL_REFS, 0 };
                HRESULT res = S_OK;
                hr = IRemUnknown_RemAddRef_Proxy(remunk_proxy(m->ox, &rpx), 1, &ref, &res);
                if (FAILED(hr) || FAILED(res)) {
                        mgr_release(m);
                        return FAILED(hr) ? hr : res;
                }
                give = COM_MARSHAL_REFS;
        }
        o->flags = OBJREF_STANDARD;
        o->iid = *iid;
        o->std.flags = m->noping ? SORF_NOPING : 0;
        o->std.cPublicRefs = give;
        o->std.oxid = m->oxid;
        o->std.oid = m->oid;
        o->std.ipid = ipid;
        o->res = dsa_dup(m->res);
        mgr_release(m);
        return o->res ? S_OK : E_OUTOFMEMORY;
}

/* --- CoSetProxyBlanket / CoQueryProxyBlanket (IClientSecurity in spirit) ------------------- */

static struct ifproxy *ifproxy_of(IUnknown *unk) {
        if (!unk || mgr_of_own(unk) || !com_proxy_is_proxy(unk))
                return NULL;
        return (struct ifproxy *)unk;
}

static void utf16_field(const unsigned short *s, ULONG len, char *out, size_t size) {
        char *u = NULL;

        out[0] = 0;
        if (s && dcom_utf16_to_utf8(s, len, &u, NULL) >= 0) {
                snprintf(out, size, "%s", u);
                free(u);
        }
}

int com_auth_identity_utf8(const SEC_WINNT_AUTH_IDENTITY_W *id, char user[257], char domain[257],
                           char password[257]) {
        if (id->Flags != SEC_WINNT_AUTH_IDENTITY_UNICODE)
                return -EINVAL;
        utf16_field(id->User, id->UserLength, user, 257);
        utf16_field(id->Domain, id->DomainLength, domain, 257);
        utf16_field(id->Password, id->PasswordLength, password, 257);
        return 0;
}

HRESULT WINAPI CoSetProxyBlanket(IUnknown *proxy, DWORD authn_svc, DWORD authz_svc,
                                 OLECHAR *principal, DWORD level, DWORD imp,
                                 RPC_AUTH_IDENTITY_HANDLE auth_info, DWORD caps) {
        struct ifproxy *i = ifproxy_of(proxy);
        struct blanket b = { .set = true };

        if (!proxy)
                return E_INVALIDARG;
        if (!i)
                return mgr_of_own(proxy) ? S_OK : E_NOINTERFACE;
        if (level > RPC_AUTHN_LEVEL_PKT_PRIVACY || imp > RPC_C_IMP_LEVEL_DELEGATE)
                return E_INVALIDARG;
        pthread_mutex_lock(&lock);
        b.level = (uint8_t)(level ? level : (def_auth.level ? def_auth.level : i->mgr->ox->authn_hint));
        b.svc = (uint8_t)(authn_svc == RPC_C_AUTHN_DEFAULT ? RPC_AUTHN_WINNT : authn_svc);
        b.svc_default = authn_svc == RPC_C_AUTHN_DEFAULT;
        b.imp = (uint8_t)imp;
        b.caps = caps;
        if (caps & EOAC_STATIC_CLOAKING) {
                /* static cloaking: the thread's identity now, for every later call */
                b.has_static = true;
                b.static_uid = geteuid();
        }
        if (auth_info == COLE_DEFAULT_AUTHINFO) {
                b.has_identity = def_auth.set;
                memcpy(b.user, def_auth.user, sizeof b.user);
                memcpy(b.domain, def_auth.domain, sizeof b.domain);
                memcpy(b.password, def_auth.password, sizeof b.password);
        } else if (auth_info) {
                if (com_auth_identity_utf8(auth_info, b.user, b.domain, b.password) < 0) {
                        pthread_mutex_unlock(&lock);
                        return E_INVALIDARG;
                }
                b.has_identity = true;
        }
        (void)authz_svc;
        (void)principal;
        i->blanket = b;
        atomic_store_explicit(&i->chan.flags, blanket_flags(&b), memory_order_release);
        pthread_mutex_unlock(&lock);
        return S_OK;
}

HRESULT WINAPI CoQueryProxyBlanket(IUnknown *proxy, DWORD *authn_svc, DWORD *authz_svc,
                                   OLECHAR **principal, DWORD *level, DWORD *imp,
                                   RPC_AUTH_IDENTITY_HANDLE *auth_info, DWORD *caps) {
        struct ifproxy *i = ifproxy_of(proxy);

        if (!proxy)
                return E_INVALIDARG;
        if (!i)
                return E_NOINTERFACE;
        pthread_mutex_lock(&lock);
        struct blanket b = i->blanket;
        uint8_t conn_level = def_auth.level ? def_auth.level : (uint8_t)i->mgr->ox->authn_hint;
        pthread_mutex_unlock(&lock);
        if (authn_svc)
                *authn_svc = b.set ? b.svc : (conn_level > RPC_AUTHN_LEVEL_NONE ? RPC_AUTHN_WINNT : 0);
        if (authz_svc)
                *authz_svc = RPC_C_AUTHZ_NONE;
        if (principal)
                *principal = NULL;
        if (level)
                *level = b.set ? b.level : conn_level;
        if (imp)
                *imp = b.set ? b.imp : RPC_C_IMP_LEVEL_IDENTIFY;
        if (auth_info)
                *auth_info = NULL;      /* the credentials are not handed back */
        if (caps)
                *caps = b.set ? b.caps : 0;
        return S_OK;
}

HRESULT WINAPI CoCopyProxy(IUnknown *proxy, IUnknown **ret) {
        struct ifproxy *i, *c;

        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (!proxy)
                return E_INVALIDARG;
        if (!(i = ifproxy_of(proxy)))
                return mgr_of_own(proxy) ? E_NOINTERFACE : E_INVALIDARG;
        if (!(c = calloc(1, sizeof *c)))
                return E_OUTOFMEMORY;
        pthread_mutex_lock(&lock);
        c->px = i->px;
        c->px.unk = &copy_unk;
        c->px.ctx = c;
        c->mgr = i->mgr;
        c->iid = i->iid;
        c->blanket = i->blanket;        /* the original's, until CoSetProxyBlanket on the copy */
        chan_init(&c->chan, i->chan.ox, &i->chan.ipid);
        c->px.channel = &c->chan.nb;
        c->chan.blanket = &c->blanket;
        atomic_store_explicit(&c->chan.flags, blanket_flags(&c->blanket), memory_order_release);
        atomic_init(&c->copy_refs, 1);
        pthread_mutex_unlock(&lock);
        mgr_addref(c->mgr);
        *ret = (IUnknown *)&c->px;
        return S_OK;
}
