/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The STA's queue (src/com/apartment.c), where remoting will deliver incoming calls:
 * work posted from other threads runs on the apartment's own thread, in order, and only
 * while that thread pumps (com_pump or CoWaitForMultipleHandles).  And an apartment's
 * object context (CoGetObjectContext): its threading information, the logical thread ID,
 * and callbacks run in an STA, in the MTA from an STA, and refused once it ended.
 */
#define COBJMACROS
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <ole2.h>

#include "com/com-internal.h"
#include "test.h"

struct work {
        pthread_t ran_on;
        atomic_int runs;
        int order[8];
        atomic_int n;
};

struct item {
        struct work *w;
        int id;
};

static void do_work(void *ctx) {
        struct item *it = ctx;
        it->w->ran_on = pthread_self();
        it->w->order[atomic_fetch_add(&it->w->n, 1)] = it->id;
        atomic_fetch_add(&it->w->runs, 1);
}

struct poster {
        struct com_apartment *apt;
        struct item items[4];
        HANDLE done;
        int r;
};

static void *post_from_elsewhere(void *arg) {
        struct poster *p = arg;
        for (int i = 0; i < 4; i++) {
                p->r = com_apartment_post(p->apt, do_work, &p->items[i]);
                if (p->r < 0)
                        break;
        }
        if (p->done)
                SetEvent(p->done);
        return NULL;
}

TEST(sta_runs_posted_work_only_while_pumping) {
        struct work w = { 0 };
        struct poster p = { 0 };
        pthread_t t;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED), S_OK);
        p.apt = com_current_apartment();
        ASSERT_NOT_NULL(p.apt);
        for (int i = 0; i < 4; i++)
                p.items[i] = (struct item){ &w, i };
        ASSERT_EQ(pthread_create(&t, NULL, post_from_elsewhere, &p), 0);
        pthread_join(t, NULL);
        ASSERT_EQ(p.r, 0);
        usleep(20 * 1000);      /* the behaviour under test: nothing happens in this time */
        ASSERT_EQ(atomic_load(&w.runs), 0);             /* nothing runs behind our back */
        ASSERT_GT(com_pump(1000), 0);
        ASSERT_EQ(atomic_load(&w.runs), 4);
        ASSERT_TRUE(pthread_equal(w.ran_on, pthread_self()));
        for (int i = 0; i < 4; i++)
                ASSERT_EQ(w.order[i], i);               /* first posted, first run */
        ASSERT_EQ(com_pump(0), 0);                      /* nothing left */
        CoUninitialize();
}

TEST(modal_wait_runs_posted_work) {
        struct work w = { 0 };
        struct poster p = { 0 };
        pthread_t t;
        DWORD index;

        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);
        p.apt = com_current_apartment();
        p.done = CreateEventW(NULL, TRUE, FALSE, NULL);
        for (int i = 0; i < 4; i++)
                p.items[i] = (struct item){ &w, i };
        ASSERT_EQ(pthread_create(&t, NULL, post_from_elsewhere, &p), 0);
        /* waiting for the poster's event: the posted work runs here meanwhile */
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 5000, 1, &p.done, &index), S_OK);
        pthread_join(t, NULL);
        while (atomic_load(&w.runs) < 4)
                ASSERT_GE(com_pump(1000), 0);   /* the event may win the race with the last */
        ASSERT_TRUE(pthread_equal(w.ran_on, pthread_self()));
        CloseHandle(p.done);
        CoUninitialize();
}

TEST(mta_has_no_queue) {
        struct work w = { 0 };
        struct item it = { &w, 0 };

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_EQ(com_pump(0), -EINVAL);
        struct com_apartment *mta = com_apartment_get();
        ASSERT_NOT_NULL(mta);
        ASSERT_EQ(com_apartment_post(mta, do_work, &it), -EINVAL);     /* no thread to run it */
        com_apartment_release(mta);
        CoUninitialize();
        ASSERT_EQ(com_pump(0), -EINVAL);                /* not initialized */
}

TEST(work_posted_before_the_end_still_runs) {
        struct work w = { 0 };
        struct item it = { &w, 0 };

        ASSERT_HR_EQ(CoInitialize(NULL), S_OK);
        ASSERT_EQ(com_apartment_post(com_current_apartment(), do_work, &it), 0);
        CoUninitialize();                               /* the apartment drains as it goes */
        ASSERT_EQ(atomic_load(&w.runs), 1);
}

struct holder {
        struct com_apartment *apt;
        HANDLE held, ended;
};

static void *sta_that_ends(void *arg) {
        struct holder *h = arg;
        DWORD index;
        CoInitialize(NULL);
        h->apt = com_apartment_get();           /* a hold, as remoting will keep one */
        SetEvent(h->held);
        CoWaitForMultipleHandles(0, 5000, 1, &h->ended, &index);
        CoUninitialize();
        return NULL;
}

/* An apartment held by another thread outlives its end: posting then says so. */
TEST(held_apartment_outlives_its_end) {
        struct holder h = { NULL, CreateEventW(NULL, TRUE, FALSE, NULL),
                            CreateEventW(NULL, TRUE, FALSE, NULL) };
        struct work w = { 0 };
        struct item it = { &w, 0 };
        pthread_t t;
        DWORD index;

        ASSERT_EQ(pthread_create(&t, NULL, sta_that_ends, &h), 0);
        ASSERT_HR_EQ(CoWaitForMultipleHandles(0, 5000, 1, &h.held, &index), S_OK);
        SetEvent(h.ended);
        pthread_join(t, NULL);                  /* the STA is over ... */
        ASSERT_EQ(com_apartment_post(h.apt, do_work, &it), -ESHUTDOWN);   /* ... not freed */
        ASSERT_EQ(atomic_load(&w.runs), 0);
        com_apartment_release(h.apt);           /* now it is */
        CloseHandle(h.held);
        CloseHandle(h.ended);
}

/* CoWaitForMultipleObjects: an STA runs its posted work meanwhile only when asked. */
TEST(wait_for_objects_dispatches_when_asked) {
        struct work w = { 0 };
        struct poster p = { 0 };
        pthread_t t;
        DWORD index = 7;
        HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED), S_OK);
        p.apt = com_current_apartment();
        for (int i = 0; i < 4; i++)
                p.items[i] = (struct item){ &w, i };
        ASSERT_EQ(pthread_create(&t, NULL, post_from_elsewhere, &p), 0);
        pthread_join(t, NULL);
        /* CWMO_DEFAULT: nothing dispatched while waiting */
        ASSERT_HR_EQ(CoWaitForMultipleObjects(CWMO_DEFAULT, 30, 1, &never, &index), RPC_S_CALLPENDING);
        ASSERT_EQ(atomic_load(&w.runs), 0);
        /* CWMO_DISPATCH_CALLS: the posted work runs while it waits */
        ASSERT_HR_EQ(CoWaitForMultipleObjects(CWMO_DISPATCH_CALLS, 200, 1, &never, &index),
                     RPC_S_CALLPENDING);
        ASSERT_EQ(atomic_load(&w.runs), 4);
        /* a signaled handle: its index */
        HANDLE two[2] = { never, CreateEventW(NULL, FALSE, TRUE, NULL) };
        ASSERT_HR_EQ(CoWaitForMultipleObjects(CWMO_DEFAULT, 1000, 2, two, &index), S_OK);
        ASSERT_EQ(index, 1u);
        /* refused: unknown flags, too many handles, no index */
        ASSERT_HR_EQ(CoWaitForMultipleObjects(8, 0, 1, &never, &index), E_INVALIDARG);
        ASSERT_HR_EQ(CoWaitForMultipleObjects(0, 0, CWMO_MAX_HANDLES + 1, two, &index), E_INVALIDARG);
        ASSERT_HR_EQ(CoWaitForMultipleObjects(0, 0, 1, &never, NULL), E_INVALIDARG);
        CloseHandle(two[1]);
        CloseHandle(never);
        CoUninitialize();
}

/* CoIncrementMTAUsage: the MTA lives (implicitly) while no thread of it is initialized. */
TEST(mta_usage_keeps_the_mta) {
        CO_MTA_USAGE_COOKIE c1, c2;
        APTTYPE type;
        APTTYPEQUALIFIER q;

        ASSERT_HR_EQ(CoGetApartmentType(&type, &q), CO_E_NOTINITIALIZED);
        ASSERT_HR_EQ(CoIncrementMTAUsage(&c1), S_OK);
        ASSERT_NOT_NULL(c1);
        ASSERT_HR_EQ(CoGetApartmentType(&type, &q), S_OK);
        ASSERT_EQ(type, APTTYPE_MTA);
        ASSERT_EQ(q, APTTYPEQUALIFIER_IMPLICIT_MTA);
        /* a thread that joins and leaves the MTA does not end it */
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        struct com_apartment *a = com_current_apartment();
        CoUninitialize();
        ASSERT_HR_EQ(CoIncrementMTAUsage(&c2), S_OK);
        ASSERT_TRUE(c2 != c1);
        ASSERT_HR_EQ(CoDecrementMTAUsage(c2), S_OK);
        /* given back twice while another is out: refused, the other still good */
        ASSERT_HR_EQ(CoDecrementMTAUsage(c2), E_INVALIDARG);
        ASSERT_HR_EQ(CoGetApartmentType(&type, &q), S_OK);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_TRUE(com_current_apartment() == a);     /* still the same MTA */
        CoUninitialize();
        ASSERT_HR_EQ(CoDecrementMTAUsage(c1), S_OK);
        /* the last one ended it; a cookie given back twice is refused */
        ASSERT_HR_EQ(CoGetApartmentType(&type, &q), CO_E_NOTINITIALIZED);
        ASSERT_HR_EQ(CoDecrementMTAUsage(c1), E_INVALIDARG);
        ASSERT_HR_EQ(CoDecrementMTAUsage(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CoIncrementMTAUsage(NULL), E_INVALIDARG);
}

/* --- the object context (src/com/context.c) -------------------------------------------------- */

struct ctx_run {
        pthread_t thread;
        atomic_int runs;
};

static HRESULT STDMETHODCALLTYPE record_thread(ComCallData *d) {
        struct ctx_run *r = d->pUserDefined;

        r->thread = pthread_self();
        atomic_fetch_add(&r->runs, 1);
        return (HRESULT)d->dwDispid;    /* what the callback answers is the call's */
}

struct sta_ctx {
        IContextCallback *cb;
        ULONG_PTR token;
        pthread_t thread;
        HANDLE ready, stop;
};

/* An STA that hands out its context, then pumps until told to stop. */
static void *context_sta(void *arg) {
        struct sta_ctx *s = arg;
        IComThreadingInfo *ti = NULL;
        APTTYPE type;
        THDTYPE thd;
        DWORD idx;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        s->thread = pthread_self();
        ASSERT_OK(CoGetObjectContext(&IID_IContextCallback, (void **)&s->cb));
        ASSERT_OK(CoGetContextToken(&s->token));
        ASSERT_OK(IContextCallback_QueryInterface(s->cb, &IID_IComThreadingInfo, (void **)&ti));
        ASSERT_OK(IComThreadingInfo_GetCurrentApartmentType(ti, &type));
        ASSERT_TRUE(type == APTTYPE_MAINSTA || type == APTTYPE_STA);
        ASSERT_OK(IComThreadingInfo_GetCurrentThreadType(ti, &thd));
        ASSERT_EQ(thd, THDTYPE_PROCESSMESSAGES);
        /* the token is the context's IUnknown */
        IUnknown *unk = NULL;
        ASSERT_OK(IComThreadingInfo_QueryInterface(ti, &IID_IUnknown, (void **)&unk));
        ASSERT_TRUE((ULONG_PTR)unk == s->token);
        IUnknown_Release(unk);
        IComThreadingInfo_Release(ti);
        SetEvent(s->ready);
        CoWaitForMultipleHandles(0, INFINITE, 1, &s->stop, &idx);
        CoUninitialize();
        return NULL;
}

TEST(object_context) {
        struct sta_ctx s = { 0 };
        struct ctx_run run = { 0 };
        ComCallData d = { .dwDispid = (DWORD)S_FALSE, .pUserDefined = &run };
        IComThreadingInfo *ti = NULL;
        IContextCallback *mta_cb = NULL;
        ULONG_PTR token = 0;
        pthread_t t;
        DWORD idx;
        GUID g1, g2, mine = { 0x12345678, 0x1234, 0x5678, { 1, 2, 3, 4, 5, 6, 7, 8 } };
        void *p = (void *)1;

        ASSERT_HR_EQ(CoGetObjectContext(&IID_IComThreadingInfo, &p), CO_E_NOTINITIALIZED);
        ASSERT_TRUE(p == NULL);
        ASSERT_HR_EQ(CoGetContextToken(&token), CO_E_NOTINITIALIZED);
        ASSERT_HR_EQ(CoDisconnectContext(INFINITE), CO_E_NOTINITIALIZED);
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        /* the apartment's context is a default one: it cannot be disconnected */
        ASSERT_HR_EQ(CoDisconnectContext(1000), CO_E_NOT_SUPPORTED);
        ASSERT_HR_EQ(CoGetObjectContext(&IID_IStream, &p), E_NOINTERFACE);
        ASSERT_OK(CoGetObjectContext(&IID_IComThreadingInfo, (void **)&ti));
        APTTYPE type;
        THDTYPE thd;
        ASSERT_OK(IComThreadingInfo_GetCurrentApartmentType(ti, &type));
        ASSERT_EQ(type, APTTYPE_MTA);
        ASSERT_OK(IComThreadingInfo_GetCurrentThreadType(ti, &thd));
        ASSERT_EQ(thd, THDTYPE_BLOCKMESSAGES);
        /* the logical thread ID: the thread's own, stable, and settable */
        ASSERT_OK(IComThreadingInfo_GetCurrentLogicalThreadId(ti, &g1));
        ASSERT_OK(CoGetCurrentLogicalThreadId(&g2));
        ASSERT_TRUE(IsEqualGUID(&g1, &g2));
        ASSERT_OK(IComThreadingInfo_SetCurrentLogicalThreadId(ti, &mine));
        ASSERT_OK(CoGetCurrentLogicalThreadId(&g2));
        ASSERT_TRUE(IsEqualGUID(&g2, &mine));
        ASSERT_HR_EQ(CoGetCurrentLogicalThreadId(NULL), E_INVALIDARG);
        IComThreadingInfo_Release(ti);

        /* an STA's context: its callback runs there, and answers what the function did */
        s.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
        s.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
        ASSERT_OK(pthread_create(&t, NULL, context_sta, &s));
        CoWaitForMultipleHandles(0, INFINITE, 1, &s.ready, &idx);
        ASSERT_OK(CoGetContextToken(&token));
        ASSERT_TRUE(token != s.token);          /* the MTA's is another */
        ASSERT_HR_EQ(IContextCallback_ContextCallback(s.cb, record_thread, &d, &IID_IUnknown, 0,
                                                      NULL), S_FALSE);
        ASSERT_EQ(atomic_load(&run.runs), 1);
        ASSERT_TRUE(pthread_equal(run.thread, s.thread));
        ASSERT_HR_EQ(IContextCallback_ContextCallback(s.cb, NULL, &d, &IID_IUnknown, 0, NULL),
                     E_INVALIDARG);
        /* the MTA's context, called from the MTA: at once, on this thread */
        ASSERT_OK(CoGetObjectContext(&IID_IContextCallback, (void **)&mta_cb));
        d.dwDispid = S_OK;
        ASSERT_OK(IContextCallback_ContextCallback(mta_cb, record_thread, &d, &IID_IUnknown, 0, NULL));
        ASSERT_TRUE(pthread_equal(run.thread, pthread_self()));
        /* the STA ends: its context's memory stays while referenced, its callbacks fail */
        SetEvent(s.stop);
        pthread_join(t, NULL);
        ASSERT_HR_EQ(IContextCallback_ContextCallback(s.cb, record_thread, &d, &IID_IUnknown, 0,
                                                      NULL), RPC_E_DISCONNECTED);
        ASSERT_EQ(atomic_load(&run.runs), 2);
        IContextCallback_Release(s.cb);
        CloseHandle(s.ready);
        CloseHandle(s.stop);
        CoUninitialize();
        /* the MTA ended with this thread: its context's callbacks fail too */
        ASSERT_HR_EQ(IContextCallback_ContextCallback(mta_cb, record_thread, &d, &IID_IUnknown, 0,
                                                      NULL), RPC_E_DISCONNECTED);
        IContextCallback_Release(mta_cb);
}

/* An STA calls into the MTA's context: on an MTA thread, while the STA waits. */
struct sta_into_mta {
        IContextCallback *mta_cb;
        struct ctx_run run;
        pthread_t sta;
        HRESULT hr;
};

static void *sta_calls_mta(void *arg) {
        struct sta_into_mta *c = arg;
        ComCallData d = { .dwDispid = S_OK, .pUserDefined = &c->run };

        ASSERT_OK(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED));
        c->sta = pthread_self();
        c->hr = IContextCallback_ContextCallback(c->mta_cb, record_thread, &d, &IID_IUnknown, 0, NULL);
        CoUninitialize();
        return NULL;
}

TEST(context_callback_into_the_mta) {
        struct sta_into_mta c = { 0 };
        pthread_t t;
        APTTYPE type;
        APTTYPEQUALIFIER q;

        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_OK(CoGetObjectContext(&IID_IContextCallback, (void **)&c.mta_cb));
        ASSERT_OK(pthread_create(&t, NULL, sta_calls_mta, &c));
        pthread_join(t, NULL);
        ASSERT_OK(c.hr);
        ASSERT_EQ(atomic_load(&c.run.runs), 1);
        ASSERT_FALSE(pthread_equal(c.run.thread, c.sta));
        ASSERT_FALSE(pthread_equal(c.run.thread, pthread_self()));
        IContextCallback_Release(c.mta_cb);
        CoUninitialize();
        ASSERT_HR_EQ(CoGetApartmentType(&type, &q), CO_E_NOTINITIALIZED);
}

static void *process_number(void *arg) {
        *(DWORD *)arg = CoGetCurrentProcess();
        return NULL;
}

/* OleInitialize is an STA; CoGetCurrentProcess a number per thread. */
TEST(ole_initialize_and_thread_numbers) {
        APTTYPE type;
        APTTYPEQUALIFIER q;
        DWORD other = 0;
        pthread_t t;

        ASSERT_HR_EQ(OleInitialize((void *)1), E_INVALIDARG);
        ASSERT_HR_EQ(OleInitialize(NULL), S_OK);
        ASSERT_OK(CoGetApartmentType(&type, &q));
        ASSERT_TRUE(type == APTTYPE_MAINSTA || type == APTTYPE_STA);
        ASSERT_HR_EQ(OleInitialize(NULL), S_FALSE);
        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), RPC_E_CHANGED_MODE);
        OleUninitialize();
        OleUninitialize();
        ASSERT_HR_EQ(CoGetApartmentType(&type, &q), CO_E_NOTINITIALIZED);
        /* in the MTA, OleInitialize is a change of mode */
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_HR_EQ(OleInitialize(NULL), RPC_E_CHANGED_MODE);
        OleUninitialize();              /* (its OleInitialize failed: nothing to undo) */
        ASSERT_OK(CoGetApartmentType(&type, &q));
        ASSERT_EQ(type, APTTYPE_MTA);
        CoUninitialize();

        /* no SCM binding is cached for any machine */
        OLECHAR host[] = { 'h', 'o', 's', 't', 0 };
        ASSERT_HR_EQ(CoInvalidateRemoteMachineBindings(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CoInvalidateRemoteMachineBindings(host), CO_S_MACHINENAMENOTFOUND);

        DWORD mine = CoGetCurrentProcess();
        ASSERT_TRUE(mine != 0);
        ASSERT_EQ(CoGetCurrentProcess(), mine);
        ASSERT_OK(pthread_create(&t, NULL, process_number, &other));
        pthread_join(t, NULL);
        ASSERT_TRUE(other != 0 && other != mine);
}
