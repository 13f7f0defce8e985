/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CoInitializeEx / CoUninitialize and apartments.  A thread enters the multithreaded
 * apartment (one per process, alive while some thread is in it) or its own
 * single-threaded apartment; the first STA of the process is the main STA.  Calls nest
 * and count per thread: the same mode again is S_FALSE, the other mode
 * RPC_E_CHANGED_MODE (and does not count).  A thread that never initialized is in the
 * implicit MTA while an MTA exists.
 *
 * An STA owns a queue of work (later: incoming calls delivered by remoting) and an
 * eventfd; the work runs on the STA's thread only when that thread pumps:
 * CoWaitForMultipleHandles (Windows' modal wait that keeps an STA responsive) or
 * com_pump().  Events for that wait: CreateEventW/SetEvent/ResetEvent/CloseHandle on
 * eventfds.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <ole2.h>

#include "com/com-internal.h"

static LOG_CHANNEL(com);

static _Thread_local struct {
        unsigned inits;
        struct com_apartment *apt;
} tls;

static pthread_mutex_t mta_lock = PTHREAD_MUTEX_INITIALIZER;
static struct com_apartment *mta;
static bool main_sta_taken;

static struct com_apartment *apartment_new(APTTYPE type) {
        struct com_apartment *a = dcom_calloc(1, sizeof *a);

        if (!a)
                return NULL;
        a->type = type;
        a->owner = pthread_self();
        a->refs = 1;
        atomic_init(&a->ref, 1);
        a->tail = &a->head;
        com_context_init(a);
        pthread_mutex_init(&a->lock, NULL);
        a->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (a->wake < 0) {
                pthread_mutex_destroy(&a->lock);
                dcom_free(a);
                return NULL;
        }
        return a;
}

/* Runs what was posted (the apartment's own thread). */
static void run_tasks(struct com_apartment *a) {
        for (;;) {
                pthread_mutex_lock(&a->lock);
                struct com_task *t = a->head;
                if (t) {
                        a->head = t->next;
                        if (!a->head)
                                a->tail = &a->head;
                }
                pthread_mutex_unlock(&a->lock);
                if (!t)
                        return;
                t->fn(t->ctx);
                dcom_free(t);
        }
}

/* The apartment ends: what was accepted still runs; the memory goes with the last hold. */
static void apartment_free(struct com_apartment *a) {
        pthread_mutex_lock(&a->lock);
        a->closing = true;
        pthread_mutex_unlock(&a->lock);
        run_tasks(a);
        com_apartment_release(a);
}

void com_apartment_release(struct com_apartment *a) {
        if (!a || atomic_fetch_sub(&a->ref, 1) != 1)
                return;
        close(a->wake);         /* nothing is queued after the end: posts get -ESHUTDOWN */
        pthread_mutex_destroy(&a->lock);
        dcom_free(a);
}

HRESULT WINAPI CoInitializeEx(void *reserved, DWORD coinit) {
        bool sta = coinit & COINIT_APARTMENTTHREADED;

        if (reserved || (coinit & ~(DWORD)(COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE |
                                           COINIT_SPEED_OVER_MEMORY)))
                return E_INVALIDARG;
        if (tls.inits) {
                bool in_sta = tls.apt->type != APTTYPE_MTA;
                if (in_sta != sta)
                        return RPC_E_CHANGED_MODE;
                tls.inits++;
                return S_FALSE;
        }
        if (sta) {
                pthread_mutex_lock(&mta_lock);
                bool main_sta = !main_sta_taken;
                main_sta_taken = true;
                pthread_mutex_unlock(&mta_lock);
                tls.apt = apartment_new(main_sta ? APTTYPE_MAINSTA : APTTYPE_STA);
                if (!tls.apt) {
                        if (main_sta) {
                                pthread_mutex_lock(&mta_lock);
                                main_sta_taken = false;
                                pthread_mutex_unlock(&mta_lock);
                        }
                        return E_OUTOFMEMORY;
                }
        } else {
                pthread_mutex_lock(&mta_lock);
                if (mta)
                        mta->refs++;
                else
                        mta = apartment_new(APTTYPE_MTA);
                tls.apt = mta;
                pthread_mutex_unlock(&mta_lock);
                if (!tls.apt)
                        return E_OUTOFMEMORY;
        }
        tls.inits = 1;
        log_debug(com, "thread entered %s", sta ? "an STA" : "the MTA");
        return S_OK;
}

/* OleInitialize's successes on this thread: OleUninitialize undoes those only */
static _Thread_local unsigned ole_inits;

HRESULT WINAPI OleInitialize(LPVOID reserved) {
        HRESULT hr;

        /* OLE's clipboard, drag and drop and compound documents are not part of OpenDCOM:
           what remains is the thread's single-threaded apartment */
        if (reserved)
                return E_INVALIDARG;
        if (SUCCEEDED(hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED)))
                ole_inits++;
        return hr;
}

void WINAPI OleUninitialize(void) {
        if (!ole_inits)
                return;         /* unbalanced, or its OleInitialize failed: ignored */
        ole_inits--;
        CoUninitialize();
}

DWORD WINAPI CoGetCurrentProcess(void) {
        static atomic_uint next;
        static _Thread_local DWORD mine;

        /* (after 2^32 threads a number would come again; 0 is never one) */
        while (!mine)
                mine = atomic_fetch_add(&next, 1) + 1;
        return mine;
}

HRESULT WINAPI CoInitialize(void *reserved) {
        return CoInitializeEx(reserved, COINIT_APARTMENTTHREADED);
}

/* One hold on the MTA less (a thread leaving it, or an exporter's usage); the last ends it. */
static void mta_put(struct com_apartment *a) {
        pthread_mutex_lock(&mta_lock);
        bool last = --a->refs == 0;
        if (last)
                mta = NULL;     /* a thread initializing from now on makes a new one */
        pthread_mutex_unlock(&mta_lock);
        if (last) {
                com_class_table_apartment_gone(a);
                com_exporter_apartment_gone(a);
                apartment_free(a);
        }
}

void com_mta_usage(struct com_apartment *a, bool add) {
        if (a->type != APTTYPE_MTA)
                return;
        if (!add) {
                mta_put(a);
                return;
        }
        pthread_mutex_lock(&mta_lock);
        a->refs++;
        pthread_mutex_unlock(&mta_lock);
}

/* CoIncrementMTAUsage's holds on the MTA, each its own cookie (mta_lock): one given
   back is forgotten, so that a second time, or a cookie never given, is refused. */
struct mta_usage {
        struct mta_usage *next;
        struct com_apartment *apt;
};
static struct mta_usage *mta_usages;

HRESULT WINAPI CoIncrementMTAUsage(CO_MTA_USAGE_COOKIE *cookie) {
        struct mta_usage *u;

        if (!cookie)
                return E_INVALIDARG;
        *cookie = NULL;
        if (!(u = dcom_malloc(sizeof *u)))
                return E_OUTOFMEMORY;
        pthread_mutex_lock(&mta_lock);
        if (mta)
                mta->refs++;
        else
                mta = apartment_new(APTTYPE_MTA);
        if ((u->apt = mta)) {
                u->next = mta_usages;
                mta_usages = u;
        }
        pthread_mutex_unlock(&mta_lock);
        if (!u->apt) {
                dcom_free(u);
                return E_OUTOFMEMORY;
        }
        *cookie = (CO_MTA_USAGE_COOKIE)u;
        return S_OK;
}

HRESULT WINAPI CoDecrementMTAUsage(CO_MTA_USAGE_COOKIE cookie) {
        struct mta_usage *u = NULL;

        pthread_mutex_lock(&mta_lock);
        for (struct mta_usage **pp = &mta_usages; *pp; pp = &(*pp)->next)
                if (*pp == (struct mta_usage *)cookie) {
                        u = *pp;
                        *pp = u->next;
                        break;
                }
        pthread_mutex_unlock(&mta_lock);
        if (!u)
                return E_INVALIDARG;
        mta_put(u->apt);
        dcom_free(u);
        return S_OK;
}

void WINAPI CoUninitialize(void) {
        struct com_apartment *a = tls.apt;

        if (!tls.inits || --tls.inits)
                return;         /* unbalanced calls are ignored, as on Windows */
        tls.apt = NULL;
        com_cancel_uninitialized();     /* learn.microsoft.com, CoDisableCallCancellation */
        if (a->type == APTTYPE_MTA) {
                mta_put(a);
                return;
        }
        com_class_table_apartment_gone(a);
        com_exporter_apartment_gone(a);
        com_filter_apartment_gone(a);
        if (a->type == APTTYPE_MAINSTA) {
                pthread_mutex_lock(&mta_lock);
                main_sta_taken = false;
                pthread_mutex_unlock(&mta_lock);
        }
        apartment_free(a);
}

HRESULT WINAPI CoGetApartmentType(APTTYPE *type, APTTYPEQUALIFIER *qualifier) {
        if (!type || !qualifier)
                return E_INVALIDARG;
        *type = APTTYPE_CURRENT;
        *qualifier = APTTYPEQUALIFIER_NONE;
        if (tls.apt) {
                *type = tls.apt->type;
                return S_OK;
        }
        pthread_mutex_lock(&mta_lock);
        bool implicit = mta != NULL;
        pthread_mutex_unlock(&mta_lock);
        if (!implicit)
                return CO_E_NOTINITIALIZED;
        *type = APTTYPE_MTA;
        *qualifier = APTTYPEQUALIFIER_IMPLICIT_MTA;
        return S_OK;
}

struct com_apartment *com_current_apartment(void) {
        return tls.apt;
}

struct com_apartment *com_apartment_get(void) {
        struct com_apartment *a = tls.apt;

        if (a) {
                atomic_fetch_add(&a->ref, 1);
                return a;
        }
        pthread_mutex_lock(&mta_lock);
        if ((a = mta))
                atomic_fetch_add(&a->ref, 1);
        pthread_mutex_unlock(&mta_lock);
        return a;
}

/* --- the STA's queue ------------------------------------------------------------------------- */

int com_apartment_post(struct com_apartment *a, void (*fn)(void *), void *ctx) {
        struct com_task *t;
        uint64_t one = 1;
        int r = 0;

        if (a->type == APTTYPE_MTA)
                return -EINVAL;
        t = dcom_malloc(sizeof *t);
        if (!t)
                return -ENOMEM;
        t->next = NULL;
        t->fn = fn;
        t->ctx = ctx;
        pthread_mutex_lock(&a->lock);
        if (a->closing) {
                r = -ESHUTDOWN;
        } else {
                *a->tail = t;
                a->tail = &t->next;
                /* only EAGAIN can fail here (the counter is full: it is awake anyway) */
                (void)!write(a->wake, &one, sizeof one);
        }
        pthread_mutex_unlock(&a->lock);
        if (r < 0)
                dcom_free(t);
        return r;
}

static void drain_wake(struct com_apartment *a) {
        uint64_t n;
        while (read(a->wake, &n, sizeof n) == sizeof n)
                ;
}

int com_pump(int timeout_ms) {
        struct com_apartment *a = tls.apt;
        struct pollfd p;

        if (!a || a->type == APTTYPE_MTA)
                return -EINVAL;
        p.fd = a->wake;
        p.events = POLLIN;
        int r = poll(&p, 1, timeout_ms);
        if (r < 0)
                return -errno;
        if (r > 0)
                drain_wake(a);
        run_tasks(a);
        return r;
}

/* --- events and the modal wait ------------------------------------------------------------ */

struct com_event {
        int fd;
        bool manual;
};

HANDLE WINAPI CreateEventW(void *attrs, BOOL manual_reset, BOOL initial, LPCWSTR name) {
        struct com_event *e;

        if (name)
                return NULL;    /* named events: not in this library */
        e = dcom_malloc(sizeof *e);
        if (!e)
                return NULL;
        e->fd = eventfd(initial ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
        e->manual = manual_reset;
        if (e->fd < 0) {
                dcom_free(e);
                return NULL;
        }
        return e;
}

BOOL WINAPI SetEvent(HANDLE h) {
        struct com_event *e = h;
        uint64_t one = 1, n;
        if (!e)
                return FALSE;
        /* an event is signaled or not: keep the counter at 1 */
        while (read(e->fd, &n, sizeof n) == sizeof n)
                ;
        return write(e->fd, &one, sizeof one) == sizeof one;
}

BOOL WINAPI ResetEvent(HANDLE h) {
        struct com_event *e = h;
        uint64_t n;
        if (!e)
                return FALSE;
        while (read(e->fd, &n, sizeof n) == sizeof n)
                ;
        return TRUE;
}

BOOL WINAPI CloseHandle(HANDLE h) {
        struct com_event *e = h;
        if (!e)
                return FALSE;
        close(e->fd);
        dcom_free(e);
        return TRUE;
}

/*
 * Waits for any of the events, or with COWAIT_WAITALL for all of them; in an STA, work
 * posted to the apartment runs meanwhile if pump says so (CoWaitForMultipleHandles
 * always, CoWaitForMultipleObjects when asked).  S_OK with *index (0 for COWAIT_WAITALL),
 * RPC_S_CALLPENDING on timeout, RPC_E_NO_SYNC with no handles.  COWAIT_WAITALL takes the
 * auto-reset events once all are signaled; it is not atomic across them as Windows' is:
 * if another waiter takes one first, the wait goes on for it.
 */
static HRESULT wait_handles(bool pump, DWORD flags, DWORD timeout_ms, ULONG n, HANDLE *handles,
                            DWORD *index) {
        struct com_apartment *a = tls.apt;
        bool sta = pump && a && a->type != APTTYPE_MTA;
        bool all = flags & COWAIT_WAITALL;
        struct pollfd p[64];
        bool seen[64] = { false };
        uint64_t start = dcom_monotonic_ms();

        if (!index)
                return E_INVALIDARG;
        *index = 0;                     /* as combase does, whatever the outcome */
        if (n == 0)
                return RPC_E_NO_SYNC;   /* nothing to wait on (Wine's conformance tests) */
        if (!handles || n > 63)
                return E_INVALIDARG;
        for (ULONG i = 0; i < n; i++) {
                struct com_event *e = handles[i];
                if (!e)
                        return E_INVALIDARG;
                p[i] = (struct pollfd){ .fd = e->fd, .events = POLLIN };
        }
        if (sta)
                p[n] = (struct pollfd){ .fd = a->wake, .events = POLLIN };
        for (;;) {
                int wait = -1;
                if (timeout_ms != INFINITE) {
                        uint64_t now = dcom_monotonic_ms();
                        wait = now - start >= timeout_ms ? 0 : (int)(timeout_ms - (now - start));
                }
                /* waiting for all: the ones already seen signaled are not polled again */
                for (ULONG i = 0; i < n; i++)
                        p[i].events = all && seen[i] ? 0 : POLLIN;
                int r = poll(p, n + (sta ? 1 : 0), wait);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE);
                if (r == 0)
                        return RPC_S_CALLPENDING;
                if (sta && p[n].revents) {
                        drain_wake(a);
                        run_tasks(a);
                }
                if (!all) {
                        for (ULONG i = 0; i < n; i++) {
                                struct com_event *e = handles[i];
                                uint64_t v;
                                if (!p[i].revents)
                                        continue;
                                if (e->manual) {
                                        *index = i;
                                        return S_OK;
                                }
                                /* auto-reset: the one waiter that consumes it wins */
                                if (read(e->fd, &v, sizeof v) == sizeof v) {
                                        *index = i;
                                        return S_OK;
                                }
                        }
                        continue;
                }
                bool every = true;
                for (ULONG i = 0; i < n; i++) {
                        if (p[i].revents & POLLIN)
                                seen[i] = true;
                        every &= seen[i];
                }
                if (!every)
                        continue;
                /* all were seen: still so now?  Then take the auto-reset ones. */
                for (ULONG i = 0; i < n; i++) {
                        struct pollfd q = { .fd = p[i].fd, .events = POLLIN };
                        if (poll(&q, 1, 0) != 1)
                                seen[i] = every = false;
                }
                if (!every)
                        continue;
                for (ULONG i = 0; i < n; i++) {
                        struct com_event *e = handles[i];
                        uint64_t v;
                        if (!e->manual && read(e->fd, &v, sizeof v) != sizeof v)
                                seen[i] = every = false;        /* another waiter took it */
                }
                if (every)
                        return S_OK;
        }
}

HRESULT WINAPI CoWaitForMultipleHandles(DWORD flags, DWORD timeout_ms, ULONG n, HANDLE *handles,
                                        DWORD *index) {
        return wait_handles(true, flags, timeout_ms, n, handles, index);
}

/* learn.microsoft.com, "CoWaitForMultipleObjects": any one handle, at most 56 of them;
   calls dispatched only when asked (CWMO_DISPATCH_CALLS). */
HRESULT WINAPI CoWaitForMultipleObjects(DWORD flags, DWORD timeout_ms, ULONG n,
                                        const HANDLE *handles, DWORD *index) {
        if (index)
                *index = 0;
        if (flags & ~(DWORD)(CWMO_DISPATCH_CALLS | CWMO_DISPATCH_WINDOW_MESSAGES))
                return E_INVALIDARG;
        if (n > CWMO_MAX_HANDLES)
                return E_INVALIDARG;
        return wait_handles(flags & CWMO_DISPATCH_CALLS, 0, timeout_ms, n, (HANDLE *)handles, index);
}
