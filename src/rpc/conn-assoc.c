/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's association groups ([C706] 12.4) and the context handles they own:
 * shared by the group's connections, held by one call at a time, run down with the
 * group's last connection.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "conn-internal.h"

/* --- association groups and their context handles ([C706] 12.4, ndr_context_handle) ------ */

/*
 * A context handle is shared by every connection of its association group, and those
 * connections' calls run on pool threads at once: a handle is reference counted (one
 * for the group's table, one per call holding it) and a call holds it "busy" from the
 * lookup of its [in] value to the end of the call, so that calls on one handle run one
 * after the other (as Windows serializes them) and no call frees an object another one
 * is using.
 */
struct ctx_handle {
        struct ctx_handle *next;
        GUID uuid;
        void *obj;
        void (*rundown)(void *obj);
        const struct ndr_interface *iface;      /* the interface whose call made it */
        unsigned refs;                          /* the table's + the calls' (a->lock) */
        bool busy;                              /* a call holds it */
};

static struct call_contexts *call_contexts_of(struct ndr_context_table *t) {
        return CONTAINING_RECORD(t, struct call_contexts, table);
}

static struct ctx_handle *handle_find_locked(struct rpc_assoc *a, const GUID *uuid,
                                             struct ctx_handle ***ret_pp) {
        struct ctx_handle **pp;

        for (pp = &a->handles; *pp; pp = &(*pp)->next)
                if (dcom_guid_equal(&(*pp)->uuid, uuid))
                        break;
        if (ret_pp)
                *ret_pp = pp;
        return *pp;
}

static bool call_holds(const struct call_contexts *cc, const struct ctx_handle *h) {
        for (unsigned i = 0; i < cc->n_held; i++)
                if (cc->held[i] == h)
                        return true;
        return false;
}

/*
 * An [in] handle: -ESTALE (nca_s_fault_context_mismatch) for one the group does not
 * have, or that another interface made; a handle busy in another call is waited for,
 * unless this call already holds one (two calls each waiting for the other's handle
 * would never end), which is a context mismatch too.
 */
int conn_call_lookup(struct ndr_context_table *t, const struct ndr_context_handle *wire,
                void **ret) {
        struct call_contexts *cc = call_contexts_of(t);
        struct rpc_assoc *a = cc->assoc;
        int r;

        pthread_mutex_lock(&a->lock);
        for (;;) {
                struct ctx_handle *h = handle_find_locked(a, &wire->uuid, NULL);

                r = -ESTALE;
                if (!h || h->iface != cc->iface)
                        break;
                if (call_holds(cc, h)) {
                        *ret = h->obj;
                        r = 0;
                        break;
                }
                if (!h->busy) {
                        if (cc->n_held >= CALL_MAX_HANDLES)
                                break;
                        h->busy = true;
                        h->refs++;
                        cc->held[cc->n_held++] = h;
                        *ret = h->obj;
                        r = 0;
                        break;
                }
                if (cc->n_held)
                        break;
                /* h may be closed meanwhile: it is looked up again when woken */
                pthread_cond_wait(&a->released, &a->lock);
        }
        pthread_mutex_unlock(&a->lock);
        return r;
}

static void handle_unref_locked(struct ctx_handle *h) {
        if (--h->refs == 0)
                dcom_free(h);
}

int conn_call_store(struct ndr_context_table *t, void *obj, struct ndr_context_handle *wire,
               void (*rundown)(void *)) {
        struct call_contexts *cc = call_contexts_of(t);
        struct rpc_assoc *a = cc->assoc;
        struct ctx_handle **pp, *h = NULL;
        bool fresh = false;
        int r = 0;

        pthread_mutex_lock(&a->lock);
        if (!ndr_context_handle_is_null(wire))
                h = handle_find_locked(a, &wire->uuid, &pp);
        if (h) {
                if (h->iface != cc->iface) {
                        r = -ESTALE;
                } else if (obj) {
                        h->obj = obj;
                } else {        /* closed: out of the table; freed when no call holds it */
                        *pp = h->next;
                        h->next = NULL;
                        a->n_handles--;
                        handle_unref_locked(h);
                        memset(wire, 0, sizeof *wire);
                }
        } else if (!obj) {
                memset(wire, 0, sizeof *wire);
        } else if (!ndr_context_handle_is_null(wire)) {
                r = -ESTALE;
        } else {
                fresh = true;
                if (a->n_handles >= MAX_HANDLES_PER_ASSOC) {
                        r = -ENOSPC;
                } else if (!(h = dcom_calloc(1, sizeof *h))) {
                        r = -ENOMEM;
                } else if ((r = dcom_guid_generate(&h->uuid)) < 0) {
                        dcom_free(h);
                } else {
                        h->obj = obj;
                        h->rundown = rundown;
                        h->iface = cc->iface;
                        h->refs = 1;
                        h->next = a->handles;
                        a->handles = h;
                        a->n_handles++;
                        wire->attributes = 0;
                        wire->uuid = h->uuid;
                }
        }
        pthread_mutex_unlock(&a->lock);
        /* a new object the table cannot keep would leak: it is run down at once */
        if (r < 0 && fresh && rundown)
                rundown(obj);
        return r;
}

/* The call ended: its handles are free for the next call (and freed if closed). */
void conn_call_contexts_release(struct call_contexts *cc) {
        struct rpc_assoc *a = cc->assoc;

        if (!cc->n_held)
                return;
        pthread_mutex_lock(&a->lock);
        for (unsigned i = 0; i < cc->n_held; i++) {
                cc->held[i]->busy = false;
                handle_unref_locked(cc->held[i]);
        }
        cc->n_held = 0;
        pthread_cond_broadcast(&a->released);
        pthread_mutex_unlock(&a->lock);
}

/*
 * A fresh group id: random, so that a peer cannot guess another client's group and join
 * it (ids were sequential), never 0 and not in use.  srv->lock held.
 */
static int assoc_new_id_locked(struct rpc_server *srv, uint32_t *ret) {
        for (int tries = 0; tries < 16; tries++) {
                uint32_t id;
                struct rpc_assoc *a;

                if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
                        return -EIO;
                id &= 0x7fffffff;       /* positive: some peers keep it in an int */
                for (a = srv->assocs; a && a->id != id; a = a->next)
                        ;
                if (id && !a) {
                        *ret = id;
                        return 0;
                }
        }
        return -EAGAIN;
}

bool rpc_peer_same(const struct rpc_peer *a, const struct rpc_peer *b) {
        if (a->has_cred || b->has_cred)
                return a->has_cred && b->has_cred && a->uid == b->uid;
        return a->family == b->family && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/*
 * Joins group id (0: a new one); NULL if the id is unknown, belongs to another
 * transport or another peer (a TCP peer must not join a local client's group, nor
 * another local user join it: the group owns the local client's endpoint
 * registrations), or memory is short.
 */
struct rpc_assoc *conn_assoc_join(struct rpc_server *srv, uint32_t id, enum rpc_protseq protseq,
                             const struct rpc_peer *who) {
        struct rpc_assoc *a = NULL;

        pthread_mutex_lock(&srv->lock);
        if (id) {
                for (a = srv->assocs; a && a->id != id; a = a->next)
                        ;
                if (a && (a->protseq != protseq || !rpc_peer_same(&a->who, who)))
                        a = NULL;
                if (a)
                        a->refs++;
        } else if (srv->n_assocs < RPC_SERVER_MAX_ASSOCS && (a = dcom_calloc(1, sizeof *a))) {
                if (assoc_new_id_locked(srv, &a->id) < 0) {
                        dcom_free(a);
                        a = NULL;
                } else {
                        a->refs = 1;
                        a->srv = srv;
                        a->protseq = protseq;
                        a->who = *who;
                        pthread_mutex_init(&a->lock, NULL);
                        pthread_cond_init(&a->released, NULL);
                        a->next = srv->assocs;
                        srv->assocs = a;
                        srv->n_assocs++;
                }
        }
        pthread_mutex_unlock(&srv->lock);
        return a;
}

/*
 * The last connection of a group gone: its open context handles are run down.  No call
 * of the group is in flight then (a connection is freed by the thread that ran its last
 * call, and this is the last one, ending), so no handle is held.
 */
void conn_assoc_leave(struct rpc_assoc *a) {
        struct rpc_server *srv = a->srv;
        bool last;

        pthread_mutex_lock(&srv->lock);
        last = --a->refs == 0;
        if (last) {
                struct rpc_assoc **pp;
                for (pp = &srv->assocs; *pp && *pp != a; pp = &(*pp)->next)
                        ;
                if (*pp)
                        *pp = a->next;
                srv->n_assocs--;
        }
        pthread_mutex_unlock(&srv->lock);
        if (!last)
                return;
        while (a->handles) {
                struct ctx_handle *h = a->handles;
                a->handles = h->next;
                assert(h->refs == 1 && !h->busy);
                if (h->rundown)
                        h->rundown(h->obj);
                dcom_free(h);
        }
        rpc_owner_ended(a->id);
        pthread_cond_destroy(&a->released);
        pthread_mutex_destroy(&a->lock);
        dcom_free(a);
}
