/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The STA's queue (src/com/apartment.c), where remoting will deliver incoming calls:
 * work posted from other threads runs on the apartment's own thread, in order, and only
 * while that thread pumps (com_pump or CoWaitForMultipleHandles).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

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
