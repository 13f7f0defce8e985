/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a generated object stub frees of the [out] data an object returns (MIDL's
 * NdrPointerFree, COM's CoTaskMemFree): the pointers embedded in [out] structures --
 * IStorage::Stat's shape, IEnumSTATSTG::Next's array of them (also when the object says
 * more than fit: the push refuses it, the stub frees the elements inside the array), a
 * structure by value in a structure, an array of structures behind a pointer -- and of
 * an [in, out] structure only what the object put there, never what the stub pulled
 * from the request.  ASan is the judge: LeakSanitizer reports what the stub left, a bad
 * or double free what it should not have freed.
 * tests/free-out.idl's IFreeTest, its dcomidl proxy and stub (linked in), through the
 * proxy file's IPSFactoryBuffer on a channel of the test's that hands each message to
 * the stub buffer (IRpcStubBuffer::Invoke), as test-com-leak.
 */
#define COBJMACROS
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>
#include <rpcproxy.h>

#include "free-out.h"
#include "loop-channel.h"
#include "test.h"

extern const ProxyFileInfo free_out_ProxyFileInfo;
static const ProxyFileInfo *const proxy_files[] = {&free_out_ProxyFileInfo, NULL};
static CStdPSFactoryBuffer ps_factory;

/* --- IFreeTest: every [out] pointer CoTaskMemAlloc'd ----------------------------------- */

struct obj {
        IFreeTest IFreeTest_iface;
        atomic_int refs;
        ULONG have;             /* what Next has left to give */
        bool lie;               /* Next says one more than celt */
        bool cycle;             /* Chain closes its chain into a cycle */
        FREE_NODE *loop;        /* the cycle's node: the test frees it (a walk may not) */
        const WCHAR *seen_name; /* what Rename got from the stub */
        const LONG *seen_value;
};

static struct obj *impl_from_IFreeTest(IFreeTest *iface) {
        return (struct obj *)iface;
}

static WCHAR *str_dup(const char *s) {
        size_t n = strlen(s);
        WCHAR *w = CoTaskMemAlloc((n + 1) * sizeof *w);

        if (w) {
                for (size_t i = 0; i <= n; i++)
                        w[i] = (WCHAR)s[i];
        }
        return w;
}

static bool str_is(const WCHAR *w, const char *s) {
        if (!w)
                return false;
        for (size_t i = 0;; i++) {
                if (w[i] != (WCHAR)s[i])
                        return false;
                if (!s[i])
                        return true;
        }
}

static HRESULT item_fill(FREE_ITEM *it, const char *name, LONG id, bool value) {
        it->id = id;
        it->name = str_dup(name);
        it->value = NULL;
        if (value && (it->value = CoTaskMemAlloc(sizeof *it->value)))
                *it->value = id * 10;
        return it->name && (!value || it->value) ? S_OK : E_OUTOFMEMORY;
}

/* what the client got: its to free */
static void item_clear(FREE_ITEM *it) {
        CoTaskMemFree(it->name);
        CoTaskMemFree(it->value);
        it->name = NULL;
        it->value = NULL;
}

static HRESULT STDMETHODCALLTYPE ft_qi(IFreeTest *This, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IFreeTest)) {
                *ppv = This;
                IFreeTest_AddRef(This);
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ft_addref(IFreeTest *This) {
        return (ULONG)atomic_fetch_add(&impl_from_IFreeTest(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE ft_release(IFreeTest *This) {
        return (ULONG)atomic_fetch_sub(&impl_from_IFreeTest(This)->refs, 1) - 1;
}

static HRESULT STDMETHODCALLTYPE ft_stat(IFreeTest *This, FREE_ITEM *item) {
        (void)This;
        return item_fill(item, "stat", 7, true);
}

static HRESULT STDMETHODCALLTYPE ft_next(IFreeTest *This, ULONG celt, FREE_ITEM *items,
                                         ULONG *fetched) {
        struct obj *o = impl_from_IFreeTest(This);
        ULONG k = 0;

        for (; k < celt && o->have; k++, o->have--) {
                char name[16];
                snprintf(name, sizeof name, "item %u", (unsigned)k);
                /* every other one without a value: a NULL [unique] pointer */
                if (FAILED(item_fill(&items[k], name, (LONG)k, k % 2 == 0)))
                        return E_OUTOFMEMORY;
        }
        *fetched = o->lie ? celt + 1 : k;
        return k == celt ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE ft_nested(IFreeTest *This, FREE_OUTER *outer) {
        (void)This;
        outer->tag = 99;
        return item_fill(&outer->inner, "inner", 3, true);
}

static HRESULT STDMETHODCALLTYPE ft_rename(IFreeTest *This, FREE_OUTER *outer) {
        struct obj *o = impl_from_IFreeTest(This);

        /* the request's: the stub's to drop with the call */
        o->seen_name = outer->inner.name;
        o->seen_value = outer->inner.value;
        if (!str_is(outer->inner.name, "old") || !outer->inner.value)
                return E_INVALIDARG;
        /* COM's rule for an [in, out] pointer: the object replaces, the stub frees */
        if (!(outer->inner.name = str_dup("a new name")))
                return E_OUTOFMEMORY;
        *outer->inner.value += 1;
        outer->tag += 1;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ft_list(IFreeTest *This, FREE_LIST **list) {
        (void)This;
        if (!(*list = CoTaskMemAlloc(sizeof **list)))
                return E_OUTOFMEMORY;
        (*list)->count = 3;
        if (!((*list)->items = CoTaskMemAlloc(3 * sizeof *(*list)->items)))
                return E_OUTOFMEMORY;
        for (ULONG i = 0; i < 3; i++)
                if (FAILED(item_fill(&(*list)->items[i], i == 1 ? "one" : "other", (LONG)i, i != 2)))
                        return E_OUTOFMEMORY;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ft_names(IFreeTest *This, ULONG celt, LPOLESTR *names,
                                          ULONG *fetched) {
        struct obj *o = impl_from_IFreeTest(This);

        for (ULONG k = 0; k < celt; k++)
                if (!(names[k] = str_dup(k ? "name" : "first")))
                        return E_OUTOFMEMORY;
        *fetched = o->lie ? celt + 1 : celt;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ft_bag(IFreeTest *This, FREE_BAG *bag) {
        (void)This;
        if (!(bag->pn = CoTaskMemAlloc(sizeof *bag->pn)))
                return E_OUTOFMEMORY;
        *bag->pn = 2;
        if (!(bag->items = CoTaskMemAlloc(2 * sizeof *bag->items)))
                return E_OUTOFMEMORY;
        for (ULONG i = 0; i < 2; i++)
                if (FAILED(item_fill(&bag->items[i], i ? "second" : "first", (LONG)i, true)))
                        return E_OUTOFMEMORY;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ft_chain(IFreeTest *This, FREE_NODE *head) {
        struct obj *o = impl_from_IFreeTest(This);
        FREE_NODE *n;

        head->v = 1;
        if (!(n = head->next = CoTaskMemAlloc(sizeof *n)))
                return E_OUTOFMEMORY;
        n->v = 2;
        if (o->cycle) {
                n->next = n;
                o->loop = n;
                return S_OK;
        }
        if (!(n->next = CoTaskMemAlloc(sizeof *n)))
                return E_OUTOFMEMORY;
        n->next->v = 3;
        n->next->next = NULL;
        return S_OK;
}

/* n items, their count in a ULONG of its own behind *ppn */
static HRESULT counted_fill(ULONG **ppn, FREE_ITEM **items, ULONG n) {
        if (!(*ppn = CoTaskMemAlloc(sizeof **ppn)))
                return E_OUTOFMEMORY;
        **ppn = n;
        if (!(*items = CoTaskMemAlloc(n * sizeof **items)))
                return E_OUTOFMEMORY;
        for (ULONG i = 0; i < n; i++)
                if (FAILED(item_fill(&(*items)[i], i ? "later" : "first", (LONG)i, i != 1)))
                        return E_OUTOFMEMORY;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE ft_counted(IFreeTest *This, ULONG **ppn, FREE_ITEM **items) {
        (void)This;
        return counted_fill(ppn, items, 3);
}

static HRESULT STDMETHODCALLTYPE ft_deep(IFreeTest *This, FREE_DEEP *deep) {
        (void)This;
        if (!(deep->ppn = CoTaskMemAlloc(sizeof *deep->ppn)))
                return E_OUTOFMEMORY;
        *deep->ppn = NULL;
        return counted_fill(deep->ppn, &deep->items, 2);
}

static HRESULT STDMETHODCALLTYPE ft_deep2(IFreeTest *This, FREE_DEEP2 *deep) {
        (void)This;
        if (!(deep->ppc = CoTaskMemAlloc(sizeof *deep->ppc)))
                return E_OUTOFMEMORY;
        deep->ppc[0] = NULL;
        return counted_fill(&deep->ppc[0], &deep->items, 2);
}

static HRESULT STDMETHODCALLTYPE ft_strings(IFreeTest *This, ULONG *pn, LPOLESTR **strs) {
        (void)This;
        *pn = 3;
        if (!(*strs = CoTaskMemAlloc(3 * sizeof **strs)))
                return E_OUTOFMEMORY;
        for (ULONG i = 0; i < 3; i++)
                if (!((*strs)[i] = str_dup(i == 2 ? "last" : "string")))
                        return E_OUTOFMEMORY;
        return S_OK;
}

static const IFreeTestVtbl ft_vtbl = {
        ft_qi, ft_addref, ft_release, ft_stat, ft_next, ft_nested, ft_rename, ft_list, ft_names,
        ft_bag, ft_chain, ft_counted, ft_deep, ft_deep2, ft_strings,
};

/* An object behind a stub behind a channel behind a proxy. */
struct wired {
        struct obj obj;
        struct loop_chan chan;
        IRpcStubBuffer *stub;
        IRpcProxyBuffer *pb;
        IFreeTest *px;
};

static void wire(struct wired *w) {
        IPSFactoryBuffer *psf = NULL;

        ASSERT_HR_EQ(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK);
        ASSERT_HR_EQ(NdrDllGetClassObject(&IID_IFreeTest, &IID_IPSFactoryBuffer, (void **)&psf,
                                          (const ProxyFileInfo **)proxy_files, NULL, &ps_factory),
                     S_OK);
        w->obj = (struct obj){.IFreeTest_iface = {&ft_vtbl}, .refs = 1};
        loop_chan_init(&w->chan, NULL);
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateStub(psf, &IID_IFreeTest,
                                                 (IUnknown *)&w->obj.IFreeTest_iface, &w->stub),
                     S_OK);
        w->chan.stub = w->stub;
        ASSERT_HR_EQ(IPSFactoryBuffer_CreateProxy(psf, NULL, &IID_IFreeTest, &w->pb, (void **)&w->px),
                     S_OK);
        ASSERT_HR_EQ(IRpcProxyBuffer_Connect(w->pb, &w->chan.IRpcChannelBuffer_iface), S_OK);
        IPSFactoryBuffer_Release(psf);
}

static void unwire(struct wired *w) {
        IFreeTest_Release(w->px);
        ASSERT_EQ(IRpcProxyBuffer_Release(w->pb), 0);
        ASSERT_EQ(IRpcStubBuffer_Release(w->stub), 0);
        ASSERT_EQ(atomic_load(&w->chan.refs), 1);
        ASSERT_EQ(atomic_load(&w->obj.refs), 1);
        CoUninitialize();
}

/* IStorage::Stat's shape: the string and the value inside the [out] structure. */
TEST(out_struct_pointers_freed) {
        struct wired w;
        FREE_ITEM it = {0};

        wire(&w);
        for (int round = 0; round < 3; round++) {
                ASSERT_HR_EQ(IFreeTest_Stat(w.px, &it), S_OK);
                ASSERT_TRUE(str_is(it.name, "stat"));
                ASSERT_NOT_NULL(it.value);
                ASSERT_EQ(*it.value, 70);
                ASSERT_EQ(it.id, 7);
                item_clear(&it);
        }
        unwire(&w);
}

/* IEnumSTATSTG::Next's: the elements fetched, NULL [unique] values among them. */
TEST(out_array_of_structs_freed) {
        struct wired w;
        FREE_ITEM items[4];
        ULONG fetched = 0;

        wire(&w);
        w.obj.have = 6;
        memset(items, 0, sizeof items);
        ASSERT_HR_EQ(IFreeTest_Next(w.px, 4, items, &fetched), S_OK);
        ASSERT_EQ(fetched, 4);
        for (ULONG i = 0; i < 4; i++) {
                char name[16];
                snprintf(name, sizeof name, "item %u", (unsigned)i);
                ASSERT_TRUE(str_is(items[i].name, name));
                ASSERT_EQ(items[i].id, (LONG)i);
                if (i % 2 == 0) {
                        ASSERT_NOT_NULL(items[i].value);
                        ASSERT_EQ(*items[i].value, (LONG)i * 10);
                } else {
                        ASSERT_NULL(items[i].value);
                }
                item_clear(&items[i]);
        }
        /* the last two: fewer than asked, the rest of the stub's array never touched */
        ASSERT_HR_EQ(IFreeTest_Next(w.px, 4, items, &fetched), S_FALSE);
        ASSERT_EQ(fetched, 2);
        ASSERT_TRUE(str_is(items[1].name, "item 1"));
        item_clear(&items[0]);
        item_clear(&items[1]);
        ASSERT_HR_EQ(IFreeTest_Next(w.px, 4, items, &fetched), S_FALSE);
        ASSERT_EQ(fetched, 0);
        unwire(&w);
}

/*
 * The object says it fetched one more than the array holds: the push refuses the
 * response, and the stub still frees the elements inside the array (never one past it).
 */
TEST(out_array_past_its_size_freed_within_it) {
        struct wired w;
        FREE_ITEM items[3];
        ULONG fetched = 0;

        wire(&w);
        w.obj.have = 3;
        w.obj.lie = true;
        memset(items, 0, sizeof items);
        ASSERT_TRUE(FAILED(IFreeTest_Next(w.px, 3, items, &fetched)));
        for (ULONG i = 0; i < 3; i++) {
                ASSERT_NULL(items[i].name);
                ASSERT_NULL(items[i].value);
        }
        unwire(&w);
}

/* A structure by value in the [out] structure, the pointers in the inner one. */
TEST(nested_struct_pointers_freed) {
        struct wired w;
        FREE_OUTER o = {0};

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_Nested(w.px, &o), S_OK);
        ASSERT_EQ(o.tag, 99);
        ASSERT_TRUE(str_is(o.inner.name, "inner"));
        ASSERT_NOT_NULL(o.inner.value);
        ASSERT_EQ(*o.inner.value, 30);
        item_clear(&o.inner);
        unwire(&w);
}

/*
 * [in, out]: the string the object put in place of the request's is freed, the
 * request's string and value (the call's arena's, the value written through) are not.
 */
TEST(in_out_struct_frees_only_the_objects) {
        static const WCHAR old[] = u"old";
        struct wired w;
        LONG value = 41;
        FREE_OUTER o = {.tag = 1, .inner = {.name = (WCHAR *)old, .value = &value, .id = 5}};

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_Rename(w.px, &o), S_OK);
        ASSERT_NOT_NULL(w.obj.seen_name);
        ASSERT_TRUE(w.obj.seen_name != old);    /* the stub's copy, not ours */
        ASSERT_NOT_NULL(w.obj.seen_value);
        ASSERT_EQ(o.tag, 2);
        ASSERT_EQ(o.inner.id, 5);
        ASSERT_TRUE(str_is(o.inner.name, "a new name"));
        ASSERT_NOT_NULL(o.inner.value);
        ASSERT_EQ(*o.inner.value, 42);
        /* what the proxy allocated for us is ours to free; our own is not */
        if (o.inner.name != old)
                CoTaskMemFree(o.inner.name);
        if (o.inner.value != &value)
                CoTaskMemFree(o.inner.value);
        unwire(&w);
}

/* An array of structures behind a pointer in the structure behind the [out] pointer. */
TEST(out_list_of_structs_freed) {
        struct wired w;
        FREE_LIST *l = NULL;

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_List(w.px, &l), S_OK);
        ASSERT_NOT_NULL(l);
        ASSERT_EQ(l->count, 3);
        ASSERT_NOT_NULL(l->items);
        ASSERT_TRUE(str_is(l->items[1].name, "one"));
        ASSERT_EQ(*l->items[1].value, 10);
        ASSERT_NULL(l->items[2].value);
        for (ULONG i = 0; i < l->count; i++)
                item_clear(&l->items[i]);
        CoTaskMemFree(l->items);
        CoTaskMemFree(l);
        unwire(&w);
}

/*
 * IEnumString::Next's shape, the object saying one string more than the array holds:
 * the push refuses it, and the stub frees the strings inside the array without reading
 * the element past it (the review found the loop trusting the length).
 */
TEST(out_string_array_past_its_size_freed_within_it) {
        struct wired w;
        LPOLESTR names[3] = {NULL, NULL, NULL};
        ULONG fetched = 0;

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_Names(w.px, 3, names, &fetched), S_OK);
        ASSERT_EQ(fetched, 3);
        ASSERT_TRUE(str_is(names[0], "first"));
        ASSERT_TRUE(str_is(names[2], "name"));
        for (int i = 0; i < 3; i++)
                CoTaskMemFree(names[i]);
        w.obj.lie = true;
        ASSERT_TRUE(FAILED(IFreeTest_Names(w.px, 3, names, &fetched)));
        unwire(&w);
}

/*
 * The array's count read through a pointer member declared before it ([size_is(*pn)]):
 * the walk reads it before any member is freed (the review found pn freed first and
 * then read).
 */
TEST(out_struct_count_behind_a_pointer_member) {
        struct wired w;
        FREE_BAG bag = {0};

        wire(&w);
        for (int round = 0; round < 2; round++) {
                ASSERT_HR_EQ(IFreeTest_Bag(w.px, &bag), S_OK);
                ASSERT_NOT_NULL(bag.pn);
                ASSERT_EQ(*bag.pn, 2);
                ASSERT_TRUE(str_is(bag.items[1].name, "second"));
                ASSERT_EQ(*bag.items[1].value, 10);
                for (ULONG i = 0; i < 2; i++)
                        item_clear(&bag.items[i]);
                CoTaskMemFree(bag.items);
                CoTaskMemFree(bag.pn);
                memset(&bag, 0, sizeof bag);
        }
        unwire(&w);
}

/*
 * A chain through [unique] pointers is freed node by node; closed into a cycle, the push
 * refuses it (-ELOOP) and the walk stops at the depth cap without freeing anything it
 * reached -- the node leaks to the object (which frees it here), never freed once per
 * lap (the review found the cap turning into a repeated free).
 */
TEST(out_chain_freed_and_cycle_left) {
        struct wired w;
        FREE_NODE head = {0};

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_Chain(w.px, &head), S_OK);
        ASSERT_EQ(head.v, 1);
        ASSERT_NOT_NULL(head.next);
        ASSERT_EQ(head.next->v, 2);
        ASSERT_NOT_NULL(head.next->next);
        ASSERT_EQ(head.next->next->v, 3);
        ASSERT_NULL(head.next->next->next);
        CoTaskMemFree(head.next->next);
        CoTaskMemFree(head.next);

        w.obj.cycle = true;
        memset(&head, 0, sizeof head);
        ASSERT_TRUE(FAILED(IFreeTest_Chain(w.px, &head)));
        ASSERT_NOT_NULL(w.obj.loop);
        CoTaskMemFree(w.obj.loop);
        unwire(&w);
}

/*
 * The array's count behind two pointers (size_is(, **ppn) on a parameter, size_is(**ppn)
 * on a member): dcomidl printed the inner dereference widened to a number and the outer
 * one of that, which did not compile.  The count travels, the items' pointers are freed.
 */
TEST(out_count_behind_two_pointers) {
        struct wired w;
        ULONG *pn = NULL;
        FREE_ITEM *items = NULL;
        FREE_DEEP deep = {0};

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_Counted(w.px, &pn, &items), S_OK);
        ASSERT_NOT_NULL(pn);
        ASSERT_EQ(*pn, 3);
        ASSERT_NOT_NULL(items);
        ASSERT_TRUE(str_is(items[0].name, "first"));
        ASSERT_TRUE(str_is(items[2].name, "later"));
        ASSERT_NULL(items[1].value);
        ASSERT_EQ(*items[2].value, 20);
        for (ULONG i = 0; i < *pn; i++)
                item_clear(&items[i]);
        CoTaskMemFree(items);
        CoTaskMemFree(pn);

        ASSERT_HR_EQ(IFreeTest_Deep(w.px, &deep), S_OK);
        ASSERT_NOT_NULL(deep.ppn);
        ASSERT_NOT_NULL(*deep.ppn);
        ASSERT_EQ(**deep.ppn, 2);
        ASSERT_TRUE(str_is(deep.items[1].name, "later"));
        ASSERT_NULL(deep.items[1].value);
        for (ULONG i = 0; i < 2; i++)
                item_clear(&deep.items[i]);
        CoTaskMemFree(deep.items);
        CoTaskMemFree(*deep.ppn);
        CoTaskMemFree(deep.ppn);

        /* the count's member is an array too: walked after the array it sizes (the
           review found declaration order freeing ppc[0] before the count was read) */
        FREE_DEEP2 d2 = {0};
        ASSERT_HR_EQ(IFreeTest_Deep2(w.px, &d2), S_OK);
        ASSERT_NOT_NULL(d2.ppc);
        ASSERT_NOT_NULL(d2.ppc[0]);
        ASSERT_EQ(*d2.ppc[0], 2);
        ASSERT_TRUE(str_is(d2.items[0].name, "first"));
        for (ULONG i = 0; i < 2; i++)
                item_clear(&d2.items[i]);
        CoTaskMemFree(d2.items);
        CoTaskMemFree(d2.ppc[0]);
        CoTaskMemFree(d2.ppc);
        unwire(&w);
}

/* An array of strings behind an [out] pointer (size_is(, *pn)): the stub frees the
   strings in it, not only the array (the review found them leaked). */
TEST(out_strings_behind_a_pointer_freed) {
        struct wired w;
        LPOLESTR *strs = NULL;
        ULONG n = 0;

        wire(&w);
        ASSERT_HR_EQ(IFreeTest_Strings(w.px, &n, &strs), S_OK);
        ASSERT_EQ(n, 3);
        ASSERT_NOT_NULL(strs);
        ASSERT_TRUE(str_is(strs[0], "string"));
        ASSERT_TRUE(str_is(strs[2], "last"));
        for (ULONG i = 0; i < n; i++)
                CoTaskMemFree(strs[i]);
        CoTaskMemFree(strs);
        unwire(&w);
}
