/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Call cancellation: a client thread cancels another's call in progress (RpcCancelThread,
 * RpcCancelThreadEx), and a server routine asks whether its caller cancelled
 * (RpcTestCancel, RpcServerTestCancel).
 *
 * Client ([C706] 12.4.4 "Cancels", 12.6.4.1 co_cancel, 12.6.4.8 orphaned): the cancelled
 * call's server is told with a co_cancel PDU, and the caller then waits for the answer
 * as long as the cancel's timeout allows -- by default for ever (RpcCancelThread; Windows'
 * default), else the seconds given to RpcCancelThreadEx or set by the calling thread with
 * RpcMgmtSetCancelTimeout.  An answer in time is the call's result (a server that gave
 * up answers nca_s_fault_cancel: RPC_S_CALL_CANCELLED); past the timeout the call is
 * abandoned: an orphaned PDU tells the server, the connection is closed (its late answer
 * must not meet the next call), and the call fails with RPC_S_CALL_CANCELLED, its
 * resources freed as for any failed call.
 *
 * Who writes on the connection: only the calling thread while its request goes out;
 * while it waits for the answer the canceller may write the co_cancel itself.  Each
 * calling thread has a slot (registered on its first call, gone with the thread) whose
 * state moves by compare-and-swap: IDLE -> SENDING -> WAITING -> IDLE for the call, and
 * WAITING -> BUSY -> WAITING for a canceller holding the socket -- the caller does not
 * leave WAITING (nor close the socket) while BUSY.  A call costs two atomic stores and
 * one compare-and-swap; the process-wide lock is taken only to register a thread and to
 * cancel.
 *
 * Server: the event-driven server reads no further on a connection while its call runs
 * (calls of one connection answer in order), so a co_cancel sent after the request waits
 * in the connection's buffer or socket.  RpcTestCancel looks there without consuming
 * anything: the bytes already read behind the request, then the socket's next PDU header
 * (MSG_PEEK).  The PDU itself is consumed after the call as before (co_cancel: nothing to
 * do; orphaned: a call still being reassembled is dropped).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "rpc/rpc-server.h"

static LOG_CHANNEL(rpc);

enum { SLOT_IDLE, SLOT_SENDING, SLOT_WAITING, SLOT_BUSY };

struct cancel_slot {
        struct cancel_slot *next;       /* slots.list (slots.lock) */
        pthread_t thread;
        _Atomic int state;
        atomic_bool requested;          /* a cancel came for the current call */
        atomic_bool abandoned;          /* ... and its timeout ran out */
        atomic_bool told;               /* the server has its co_cancel */
        _Atomic long timeout_s;         /* the pending cancel's timeout; -1: none */
        _Atomic uint64_t seq;           /* calls begun: a timer tells one from the next */
        int fd;                         /* the current call's connection (not IDLE) */
        uint32_t call_id;
        struct rpc_cancel_token *token; /* the current call's, from the layer above */
        _Atomic long own_timeout_s;     /* RpcMgmtSetCancelTimeout (this thread's) */
};

static struct {
        pthread_mutex_t lock;
        struct cancel_slot *list;
        pthread_key_t key;
        pthread_once_t once;
} slots = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

static _Thread_local struct cancel_slot *mine;
/* Slots numbered process-wide, in the high half of their call numbers: a timer never
   mistakes a call of a slot reallocated at the same address for the one it was set for,
   and a call only counts on its own thread's slot (no shared counter on the hot path). */
static _Atomic uint64_t slot_count;


static void slot_gone(void *p) {
        struct cancel_slot *s = p;

        mine = NULL;    /* a destructor of another key may still make a call: a new slot */
        pthread_mutex_lock(&slots.lock);
        for (struct cancel_slot **pp = &slots.list; *pp; pp = &(*pp)->next)
                if (*pp == s) {
                        *pp = s->next;
                        break;
                }
        pthread_mutex_unlock(&slots.lock);
        free(s);
}

static void slots_init(void) {
        pthread_key_create(&slots.key, slot_gone);
}

/* A thread's first call (or RpcMgmtSetCancelTimeout): its slot, made and registered.  Out
   of line, as are the other rare paths below: a call's own steps then save no registers. */
__attribute__((noinline)) static struct cancel_slot *slot_new(void) {
        pthread_once(&slots.once, slots_init);
        struct cancel_slot *s = calloc(1, sizeof *s);
        if (!s)
                return NULL;    /* the call goes on, only not cancellable */
        s->thread = pthread_self();
        s->fd = -1;
        atomic_init(&s->own_timeout_s, RPC_CANCEL_INFINITE);
        atomic_init(&s->seq, (atomic_fetch_add(&slot_count, 1) + 1) << 32);
        atomic_init(&s->timeout_s, RPC_CANCEL_INFINITE);
        pthread_mutex_lock(&slots.lock);
        s->next = slots.list;
        slots.list = s;
        pthread_mutex_unlock(&slots.lock);
        pthread_setspecific(slots.key, s);
        mine = s;
        return s;
}

static struct cancel_slot *slot_get(void) {
        return mine ? mine : slot_new();
}

/* A PDU with no body: co_cancel or orphaned, on the caller's connection. */
static void send_bare(int fd, uint8_t ptype, uint32_t call_id) {
        uint8_t pdu[RPC_CO_HEADER_SIZE];

        rpc_hdr_write(pdu, ptype, RPC_PFC_FIRST_FRAG | RPC_PFC_LAST_FRAG, sizeof pdu, 0, call_id);
        /* best effort, never blocking: a peer that does not read learns it from the close */
        (void)!send(fd, pdu, sizeof pdu, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Abandons the waiting call of s (the socket is held: BUSY, or the caller's own). */
static void abandon(struct cancel_slot *s) {
        log_debug(rpc, "call %u cancelled: abandoned (orphaned)", s->call_id);
        send_bare(s->fd, RPC_PTYPE_ORPHANED, s->call_id);
        atomic_store(&s->abandoned, true);
        shutdown(s->fd, SHUT_RDWR);     /* the caller's recv returns now */
}

/* The co_cancel, once per call (the socket is held). */
static void tell(struct cancel_slot *s) {
        if (!atomic_exchange(&s->told, true)) {
                log_debug(rpc, "call %u cancelled: co_cancel sent", s->call_id);
                send_bare(s->fd, RPC_PTYPE_CO_CANCEL, s->call_id);
        }
}

/* The thread's first call: its slot made, then begun as any other. */
__attribute__((noinline)) static struct cancel_slot *begin_first(int fd, uint32_t call_id,
                                                                  struct rpc_cancel_token *token) {
        if (!slot_new())
                return NULL;    /* the call goes on, only not cancellable */
        return rpc_cancel_begin(fd, call_id, token);
}

struct cancel_slot *rpc_cancel_begin(int fd, uint32_t call_id, struct rpc_cancel_token *token) {
        struct cancel_slot *s = mine;

        if (!s)
                return begin_first(fd, call_id, token);
        s->fd = fd;
        s->call_id = call_id;
        s->token = token;
        atomic_store_explicit(&s->requested, false, memory_order_relaxed);
        atomic_store_explicit(&s->abandoned, false, memory_order_relaxed);
        atomic_store_explicit(&s->told, false, memory_order_relaxed);
        atomic_store_explicit(&s->seq, atomic_load_explicit(&s->seq, memory_order_relaxed) + 1,
                              memory_order_relaxed);      /* only this thread writes it */
        atomic_store_explicit(&s->state, SLOT_SENDING, memory_order_release);
        return s;
}

/* Cancelled while the request went out: the caller tells the server itself. */
__attribute__((noinline)) static int sent_cancelled(struct cancel_slot *s, uint64_t *deadline_ms) {
        int expect = SLOT_WAITING;
        while (!atomic_compare_exchange_weak(&s->state, &expect, SLOT_BUSY)) {
                expect = SLOT_WAITING;
                sched_yield();          /* a canceller holds the socket for a moment */
        }
        tell(s);
        long t = atomic_load(&s->timeout_s);
        if (t == 0)
                abandon(s);
        else if (t > 0) {
                uint64_t at = dcom_monotonic_ms() + (uint64_t)t * 1000;
                if (!*deadline_ms || at < *deadline_ms)
                        *deadline_ms = at;
        }
        atomic_store(&s->state, SLOT_WAITING);
        return atomic_load(&s->abandoned) ? -ECANCELED : 0;
}

/* Cancelled through the layer above's token (before the call began, maybe): as if the
   cancel had come while the request went out. */
__attribute__((noinline)) static int token_cancelled(struct cancel_slot *s, uint64_t *deadline_ms) {
        atomic_store(&s->timeout_s, atomic_load(&s->token->timeout_s));
        atomic_store(&s->requested, true);
        return sent_cancelled(s, deadline_ms);
}

int rpc_cancel_sent(struct cancel_slot *s, uint64_t *deadline_ms) {
        if (!s)
                return 0;
        /* sequentially consistent, both: with the canceller's store of `requested` then its
           compare-and-swap, one of the two sides sees the other (release/acquire would let
           the load pass the store, and the cancel be lost); the token's the same way, with
           its canceller's store then rpc_cancel_thread's load of the state */
        atomic_store(&s->state, SLOT_WAITING);
        if (!atomic_load(&s->requested)) {
                if (!s->token || !atomic_load(&s->token->requested))
                        return 0;
                return token_cancelled(s, deadline_ms);
        }
        return sent_cancelled(s, deadline_ms);
}

/* Back to IDLE once no canceller holds the socket (BUSY: it is writing on it). */
__attribute__((noinline)) static void idle_after_busy(struct cancel_slot *s) {
        for (;;) {
                int st = atomic_load_explicit(&s->state, memory_order_acquire);
                if (st == SLOT_BUSY) {
                        sched_yield();
                        continue;
                }
                if (atomic_compare_exchange_weak(&s->state, &st, SLOT_IDLE))
                        break;
        }
}

/* The end of a call that timed out or was cancelled (s is IDLE again). */
__attribute__((noinline)) static int end_cancelled(struct cancel_slot *s, int r) {
        if (r == -ETIMEDOUT && atomic_load(&s->requested) && !atomic_load(&s->abandoned))
                send_bare(s->fd, RPC_PTYPE_ORPHANED, s->call_id);  /* the cancel's time ran out */
        s->fd = -1;
        /* abandoned: cancelled, however it ended -- its connection is shut down even if the
           answer came in just before (the caller must not keep it) */
        if (atomic_load(&s->abandoned))
                return -ECANCELED;
        /* a call whose cancel's time ran out while it waited failed as cancelled */
        if (r == -ETIMEDOUT && atomic_load(&s->requested))
                return -ECANCELED;
        return r;
}

int rpc_cancel_end(struct cancel_slot *s, int r) {
        if (!s)
                return r;
        /* the common end: WAITING (or SENDING, after a failed send) to IDLE at once */
        int st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (st == SLOT_BUSY || !atomic_compare_exchange_strong(&s->state, &st, SLOT_IDLE))
                idle_after_busy(s);
        if (r == -ETIMEDOUT || atomic_load(&s->abandoned))
                return end_cancelled(s, r);
        s->fd = -1;
        return r;
}

/* --- timers for finite cancel timeouts ------------------------------------------------------ */

struct cancel_timer {
        struct cancel_slot *s;
        uint64_t seq;
        long seconds;
};

static bool slot_listed_locked(const struct cancel_slot *s) {
        for (const struct cancel_slot *x = slots.list; x; x = x->next)
                if (x == s)
                        return true;
        return false;
}

static void *timer_main(void *p) {
        struct cancel_timer t = *(struct cancel_timer *)p;
        struct timespec ts = { .tv_sec = t.seconds };

        free(p);
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        pthread_mutex_lock(&slots.lock);
        if (slot_listed_locked(t.s)) {
                int expect = SLOT_WAITING;
                /* the same call still waiting: abandon it; a later call is not ours */
                if (atomic_load(&t.s->seq) == t.seq &&
                    atomic_compare_exchange_strong(&t.s->state, &expect, SLOT_BUSY)) {
                        if (atomic_load(&t.s->seq) == t.seq)
                                abandon(t.s);
                        atomic_store(&t.s->state, SLOT_WAITING);
                }
        }
        pthread_mutex_unlock(&slots.lock);
        return NULL;
}

/* --- the canceller's side --------------------------------------------------------------------- */

void rpc_cancel_thread(pthread_t thread, long timeout_s) {

        pthread_once(&slots.once, slots_init);
        pthread_mutex_lock(&slots.lock);
        struct cancel_slot *s = slots.list;
        while (s && !pthread_equal(s->thread, thread))
                s = s->next;
        if (!s || atomic_load(&s->state) == SLOT_IDLE) {
                /* not in a call: nothing to cancel (a cancel is not kept for a later one) */
                pthread_mutex_unlock(&slots.lock);
                return;
        }
        if (timeout_s == RPC_CANCEL_DEFAULT)
                timeout_s = atomic_load(&s->own_timeout_s);
        atomic_store(&s->timeout_s, timeout_s);
        atomic_store(&s->requested, true);
        int expect = SLOT_WAITING;
        if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_BUSY)) {
                /* the caller waits for its answer: tell the server from here */
                tell(s);
                if (timeout_s == 0)
                        abandon(s);
                else if (timeout_s > 0) {
                        struct cancel_timer *t = malloc(sizeof *t);
                        bool timed = false;
                        pthread_t th;
                        pthread_attr_t a;
                        if (t) {
                                *t = (struct cancel_timer){ s, atomic_load(&s->seq), timeout_s };
                                pthread_attr_init(&a);
                                pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
                                timed = pthread_create(&th, &a, timer_main, t) == 0;
                                pthread_attr_destroy(&a);
                                if (!timed)
                                        free(t);
                        }
                        if (!timed)
                                abandon(s);     /* no timer: abandon now, not never */
                }
                atomic_store(&s->state, SLOT_WAITING);
        }
        /* SENDING: the caller sees `requested` once its request is out (rpc_cancel_sent) */
        pthread_mutex_unlock(&slots.lock);
}

void rpc_cancel_set_timeout(long timeout_s) {
        struct cancel_slot *s = slot_get();
        if (s)
                atomic_store(&s->own_timeout_s, timeout_s);
}

/* --- the server's side ---------------------------------------------------------------------------- */

static bool cancels(const uint8_t *p, uint32_t call_id) {
        struct rpc_hdr h;
        return rpc_hdr_parse(p, RPC_CO_HEADER_SIZE, &h) == 0 &&
               (h.ptype == RPC_PTYPE_CO_CANCEL || h.ptype == RPC_PTYPE_ORPHANED) &&
               h.call_id == call_id;
}

bool rpc_conn_cancelled(const struct rpc_conn *c, uint32_t call_id) {
        const struct rpc_reader *rd = &c->rd;
        size_t off = rd->off;

        /* what was read behind the request, PDU by PDU */
        while (rd->len - off >= RPC_CO_HEADER_SIZE) {
                struct rpc_hdr h;
                int e = rpc_hdr_parse(rd->buf + off, rd->len - off, &h);
                if (e < 0 && e != -EAGAIN)
                        return false;   /* garbage: the engine closes the connection after */
                if (cancels(rd->buf + off, call_id))
                        return true;
                if (h.frag_length < RPC_CO_HEADER_SIZE || rd->len - off < h.frag_length)
                        return false;   /* a PDU begun: the socket holds its middle */
                off += h.frag_length;
        }
        if (off != rd->len || c->fd < 0)
                return false;
        /* the socket's next PDU, left where it is */
        uint8_t hdr[RPC_CO_HEADER_SIZE];
        ssize_t n = recv(c->fd, hdr, sizeof hdr, MSG_PEEK | MSG_DONTWAIT);
        return n == (ssize_t)sizeof hdr && cancels(hdr, call_id);
}
