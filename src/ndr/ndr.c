/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What push and pull share: the full-pointer map, the attribute checks generated code
 * runs after pulling counts (size_is, length_is, first_is, last_is, max_is, range),
 * and the process-wide table of [user_marshal] types.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ndr/ndr-internal.h"
#include "ndr/ndr-stub.h"

const uint8_t ndr_drep_le[4] = {
        NDR_DREP_INT_LITTLE | NDR_DREP_CHAR_ASCII, NDR_DREP_FLOAT_IEEE, 0, 0,
};
const uint8_t ndr_ptr_pending_;

/* --- pointer map ---------------------------------------------------------------------- */

static size_t hash_key(uintptr_t k, size_t cap) {
        uint64_t h = (uint64_t)k * UINT64_C(0x9E3779B97F4A7C15);

        return (size_t)(h >> 32) & (cap - 1);
}

/* The value slot for key, or NULL. */
uintptr_t *ndr_map_find_(struct ndr_ptr_map *m, uintptr_t key) {
        if (!m->cap)
                return NULL;
        for (size_t i = hash_key(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->keys[i] == key)
                        return &m->vals[i];
                if (!m->keys[i])
                        return NULL;
        }
}

static void place(uintptr_t *keys, uintptr_t *vals, size_t cap, uintptr_t key, uintptr_t val) {
        size_t i = hash_key(key, cap);

        while (keys[i])
                i = (i + 1) & (cap - 1);
        keys[i] = key;
        vals[i] = val;
}

/*
 * Inserts a key known to be absent.  With an arena (pull) the tables come from it and
 * old ones are abandoned there (at most as much again); without, from the heap (push).
 */
int ndr_map_insert_(struct ndr_ptr_map *m, struct arena *a, uintptr_t key, uintptr_t val) {
        if (m->n + 1 > m->cap / 2) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                uintptr_t *keys, *vals;

                if (cap > SIZE_MAX / (2 * sizeof(uintptr_t)))
                        return -ENOMEM;
                if (a) {
                        bool over = a->over_limit;
                        a->over_limit = false;
                        keys = arena_alloc(a, 2 * cap * sizeof(uintptr_t));
                        bool capped = a->over_limit;
                        a->over_limit |= over;
                        if (!keys)
                                return capped ? -E2BIG : -ENOMEM;
                } else {
                        keys = dcom_malloc(2 * cap * sizeof(uintptr_t));
                        if (!keys)
                                return -ENOMEM;
                }
                memset(keys, 0, 2 * cap * sizeof(uintptr_t));
                vals = keys + cap;
                for (size_t i = 0; i < m->cap; i++)
                        if (m->keys[i])
                                place(keys, vals, cap, m->keys[i], m->vals[i]);
                if (!a)
                        dcom_free(m->keys);
                m->keys = keys;
                m->vals = vals;
                m->cap = cap;
        }
        place(m->keys, m->vals, m->cap, key, val);
        m->n++;
        return 0;
}

void ndr_map_free_(struct ndr_ptr_map *m) {
        dcom_free(m->keys);
        *m = (struct ndr_ptr_map){ 0 };
}

/* --- attribute checks ------------------------------------------------------------------ */

/* [C706] 14.3.3.2: the conformance is the size_is value. */
int ndr_check_size_is(uint32_t max_count, uint64_t size_is) {
        return max_count == size_is ? 0 : -EBADMSG;
}

/* [C706] 4.2.18: max_is names the highest index, so the size is one more. */
int ndr_check_max_is(uint32_t max_count, uint64_t max_is) {
        return max_is < UINT32_MAX && max_count == max_is + 1 ? 0 : -EBADMSG;
}

/* [C706] 14.3.3.3: offset is first_is, actual_count is length_is. */
int ndr_check_length_is(uint32_t offset, uint32_t actual, uint64_t first_is, uint64_t length_is) {
        return offset == first_is && actual == length_is ? 0 : -EBADMSG;
}

int ndr_check_last_is(uint32_t offset, uint32_t actual, uint64_t first_is, uint64_t last_is) {
        if (offset != first_is)
                return -EBADMSG;
        /*
         * last_is is the inclusive last index, so last_is = first_is - 1 transmits nothing;
         * for first_is 0 that is -1, which arrives as all ones in the attribute's width.
         */
        int64_t first = (int64_t)(uint32_t)first_is;
        int64_t last = last_is == UINT64_MAX || last_is == UINT32_MAX ? -1 : (int64_t)(uint32_t)last_is;
        int64_t count = last - first + 1;
        if (last_is > UINT32_MAX && last_is != UINT64_MAX)
                return -EBADMSG;
        if (count < 0)
                return -EBADMSG;
        return (int64_t)actual == count ? 0 : -EBADMSG;
}

int ndr_check_range(uint64_t v, uint64_t min, uint64_t max) {
        return v >= min && v <= max ? 0 : -ERANGE;
}

int ndr_check_range_signed(int64_t v, int64_t min, int64_t max) {
        return v >= min && v <= max ? 0 : -ERANGE;
}

/* --- midl_user_allocate, the server call's arena ------------------------------------ */

static _Thread_local struct arena *call_arena;

struct arena *ndr_call_arena(void) {
        return call_arena;
}

struct arena *ndr_call_arena_set(struct arena *a) {
        struct arena *old = call_arena;

        call_arena = a;
        return old;
}

void *midl_user_allocate(size_t size) {
        if (call_arena)
                return arena_zalloc(call_arena, size ? size : 1);
        return dcom_malloc(size ? size : 1);
}

void midl_user_free(void *p) {
        if (!p || (call_arena && arena_owns(call_arena, p)))
                return;
        dcom_free(p);
}

/* --- interface pointers ([MS-DCOM] 2.2.14) ---------------------------------------------- */

static const struct ndr_iface_hooks *_Atomic iface_hooks;

/* Used only while the public hooks are the COM layer's own (a program that installs
   its own gets exactly what it installed). */
static const struct ndr_iface_ctx_hooks *_Atomic ctx_hooks;
static const struct ndr_iface_hooks *_Atomic ctx_hooks_for;
#define iface_ctx_hooks (iface_hooks == ctx_hooks_for ? ctx_hooks : NULL)

void ndr_set_iface_ctx_hooks(const struct ndr_iface_ctx_hooks *hooks) {
        ctx_hooks = hooks;
        ctx_hooks_for = iface_hooks;
}

static struct {
        int (*call)(struct ndr_binding *, const struct ndr_interface *, uint16_t,
                    struct ndr_push *, struct ndr_pull *, struct arena *);
        enum ndr_iface_ctx (*ctx)(const struct ndr_binding *b);
} binding_kinds[NDR_BINDING_KINDS];
static _Atomic unsigned n_binding_kinds;

void ndr_binding_kind_register(int (*call)(struct ndr_binding *, const struct ndr_interface *,
                                           uint16_t, struct ndr_push *, struct ndr_pull *,
                                           struct arena *),
                               enum ndr_iface_ctx (*ctx)(const struct ndr_binding *b)) {
        unsigned n = n_binding_kinds;

        if (n < NDR_BINDING_KINDS) {
                binding_kinds[n].call = call;
                binding_kinds[n].ctx = ctx;
                n_binding_kinds = n + 1;
        }
}

enum ndr_iface_ctx ndr_binding_iface_ctx(const void *binding) {
        const struct ndr_binding *b = binding;
        unsigned n = n_binding_kinds;

        if (!b)
                return NDR_IFACE_REMOTE;
        /* only a binding of ours is taken at its word: any other's peer is another
           machine, whatever its memory holds */
        for (unsigned i = 0; i < n; i++)
                if (binding_kinds[i].call == b->call)
                        return binding_kinds[i].ctx(b);
        return NDR_IFACE_REMOTE;
}

void ndr_push_to(struct ndr_push *in, const void *binding) {
        in->iface_dest = (uint8_t)ndr_binding_iface_ctx(binding);
}

void ndr_pull_from(struct ndr_pull *out, const void *binding) {
        out->iface_src = (uint8_t)ndr_binding_iface_ctx(binding);
}

void ndr_set_iface_hooks(const struct ndr_iface_hooks *hooks) {
        iface_hooks = hooks;
}

/* An interface pointer marshaled into a server's response: its OBJREF, kept until the
   response is sent (forgotten) or not (released). */
struct ndr_marshaled {
        struct ndr_marshaled *next;
        uint32_t len;
        uint8_t objref[];
};

static int marshaled_add(struct ndr_push *ndr, const uint8_t *objref, uint32_t len) {
        struct ndr_marshaled *m = dcom_malloc(sizeof *m + len);

        if (!m)
                return -ENOMEM;
        m->next = ndr->marshaled;
        m->len = len;
        memcpy(m->objref, objref, len);
        ndr->marshaled = m;
        return 0;
}

void ndr_push_marshaled_forget_(struct ndr_push *ndr) {
        while (ndr->marshaled) {
                struct ndr_marshaled *m = ndr->marshaled;
                ndr->marshaled = m->next;
                dcom_free(m);
        }
}

void ndr_push_iface_failed_(struct ndr_push *ndr) {
        const struct ndr_iface_ctx_hooks *ch = iface_ctx_hooks;
        struct ndr_marshaled *list = ndr->marshaled;

        ndr->marshaled = NULL;
        while (list) {
                struct ndr_marshaled *m = list;
                list = m->next;
                if (ch && ch->release_untaken)
                        ch->release_untaken(m->objref, m->len);
                dcom_free(m);
        }
}

void ndr_push_iface_unsend(struct ndr_push *ndr) {
        const struct ndr_iface_hooks *h = iface_hooks;

        /* taken off first: what a release does cannot find the record again */
        struct ndr_marshaled *list = ndr->marshaled;
        ndr->marshaled = NULL;
        while (list) {
                struct ndr_marshaled *m = list;
                list = m->next;
                if (h && h->release_marshaled)
                        h->release_marshaled(m->objref, m->len);
                dcom_free(m);
        }
}

int ndr_push_iface(struct ndr_push *ndr, const GUID *iid, void *obj) {
        const struct ndr_iface_hooks *h = iface_hooks;
        struct arena a;
        uint8_t *objref = NULL;
        uint32_t len = 0;
        bool recorded = false;
        int r;

        if (!h || !h->marshal)
                return ndr_push_fail(ndr, -EOPNOTSUPP);
        if (!iid)
                return ndr_push_fail(ndr, -EINVAL);
        if (ndr->buf.error) {
                /* a response that will not be sent: nothing to export for it */
                if (ndr->release_ifaces && obj && h->release)
                        h->release(obj);
                return ndr->buf.error;
        }
        arena_init(&a, NDR_OBJREF_MAX * 2);
        const struct ndr_iface_ctx_hooks *ch = iface_ctx_hooks;
        r = ch && ch->marshal_to ? ch->marshal_to(iid, obj, (enum ndr_iface_ctx)ndr->iface_dest,
                                                  &a, &objref, &len)
                                 : h->marshal(iid, obj, &a, &objref, &len);
        if (r >= 0) {
                if (len > NDR_OBJREF_MAX)
                        r = -E2BIG;
                /* a server's response: released if it is not sent after all */
                else if (ndr->release_ifaces && (r = marshaled_add(ndr, objref, len)) >= 0)
                        recorded = true;
                /* a client's request: kept, for a call that fails -- never sent
                   (ndr_push_iface_unsend), or sent to this process
                   (ndr_push_iface_failed_); without memory for the record, sent anyway */
                else if (!ndr->release_ifaces)
                        (void)marshaled_add(ndr, objref, len);
                if (r >= 0)
                        r = ndr_push_interface_pointer(ndr, objref, len);
                else
                        ndr_push_fail(ndr, r);
                /* marshaled for nothing, and no record to undo it later: undone now */
                if (r < 0 && !recorded && h->release_marshaled)
                        h->release_marshaled(objref, len);
        } else {
                ndr_push_fail(ndr, r);
        }
        arena_reset(&a);
        /* a server gives up the implementation's reference once marshaled (or not) */
        if (ndr->release_ifaces && obj && h->release)
                h->release(obj);
        return r;
}

static int pull_iface(struct ndr_pull *ndr, const GUID *iid, void **ret_obj, bool keep) {
        const struct ndr_iface_hooks *h = iface_hooks;
        uint8_t *objref;
        uint32_t len;
        int r;

        *ret_obj = NULL;
        if (!iid)
                return -EBADMSG;
        r = ndr_pull_interface_pointer(ndr, NDR_OBJREF_MAX, &objref, &len);
        if (r < 0)
                return r;
        if (!h || !h->unmarshal)
                return -EOPNOTSUPP;
        const struct ndr_iface_ctx_hooks *ch = iface_ctx_hooks;
        r = ch && ch->unmarshal_from ? ch->unmarshal_from(iid, objref, len,
                                                          (enum ndr_iface_ctx)ndr->iface_src, ret_obj)
                                     : h->unmarshal(iid, objref, len, ret_obj);
        /* a server's [in] interface: released with the call, whatever happens next */
        if (r >= 0 && *ret_obj && !keep && ndr->release_ifaces && !ndr->user_mode && h->release)
                r = arena_defer(ndr->arena, h->release, *ret_obj);
        return r;
}

int ndr_pull_iface(struct ndr_pull *ndr, const GUID *iid, void **ret_obj) {
        return pull_iface(ndr, iid, ret_obj, false);
}

int ndr_pull_iface_kept(struct ndr_pull *ndr, const GUID *iid, void **ret_obj) {
        return pull_iface(ndr, iid, ret_obj, true);
}

int ndr_pull_iface_out(struct ndr_pull *ndr, const GUID *iid, void **ret_obj) {
        const struct ndr_iface_hooks *h = iface_hooks;
        int r = pull_iface(ndr, iid, ret_obj, true);

        /* a client's: the caller's once the pull commits, released if a later part of
           the response fails (ndr_pull_user_rollback) */
        if (r >= 0 && *ret_obj && ndr->user_mode && h && h->release &&
            (r = ndr_pull_user_on_rollback_(ndr, h->release, *ret_obj)) < 0)
                *ret_obj = NULL;
        return r;
}

/* --- ORPC ([MS-DCOM] 2.2.13) --------------------------------------------------------- */



/* --- [user_marshal] table -------------------------------------------------------------- */

#define USER_MARSHAL_MAX 32

static pthread_mutex_t um_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct ndr_user_marshal *um_table[USER_MARSHAL_MAX];

int ndr_user_marshal_register(const struct ndr_user_marshal *um) {
        int r = -ENOSPC;

        if (!um || !um->name || !um->push || !um->pull)
                return -EINVAL;
        pthread_mutex_lock(&um_lock);
        for (size_t i = 0; i < USER_MARSHAL_MAX; i++) {
                if (um_table[i] && strcmp(um_table[i]->name, um->name) == 0) {
                        r = um_table[i] == um ? 0 : -EEXIST;
                        break;
                }
                if (!um_table[i]) {
                        um_table[i] = um;
                        r = 0;
                        break;
                }
        }
        pthread_mutex_unlock(&um_lock);
        return r;
}

const struct ndr_user_marshal *ndr_user_marshal_find(const char *name) {
        const struct ndr_user_marshal *um = NULL;

        pthread_mutex_lock(&um_lock);
        for (size_t i = 0; i < USER_MARSHAL_MAX && um_table[i]; i++)
                if (strcmp(um_table[i]->name, name) == 0) {
                        um = um_table[i];
                        break;
                }
        pthread_mutex_unlock(&um_lock);
        return um;
}

/* --- type serialization ([MS-RPCE] 2.2.6) ------------------------------------------------ */

size_t ndr_pickle_begin(struct ndr_push *ndr) {
        size_t start = ndr->buf.len;
        /* [MS-RPCE] 2.2.6.1 common type header: version 1, little-endian, 8, filler */
        static const uint8_t common[8] = { 0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc };

        buf_append(&ndr->buf, common, sizeof common);
        /* [MS-RPCE] 2.2.6.2 private header: ObjectBufferLength (below), filler */
        buf_put_u32le(&ndr->buf, 0);
        buf_put_u32le(&ndr->buf, 0);
        ndr->base = start;
        return start;
}

int ndr_pickle_end(struct ndr_push *ndr, size_t start, size_t base) {
        while ((ndr->buf.len - start) % 8)
                buf_put_u8(&ndr->buf, 0);
        ndr->base = base;
        if (ndr->buf.error)
                return ndr->buf.error;
        size_t n = ndr->buf.len - start - NDR_PICKLE_HEADER;
        if (n > UINT32_MAX)
                return -E2BIG;
        uint8_t *p = ndr->buf.data + start + 8;
        p[0] = (uint8_t)n;
        p[1] = (uint8_t)(n >> 8);
        p[2] = (uint8_t)(n >> 16);
        p[3] = (uint8_t)(n >> 24);
        return 0;
}

int ndr_pickle_open(const void *data, size_t len, uint8_t drep[4], size_t *ret_body) {
        const uint8_t *p = data;
        uint32_t n;

        if (len < NDR_PICKLE_HEADER || p[0] != 1 || p[2] != 8 || p[3] != 0)
                return -EBADMSG;
        if (p[1] != 0x10)
                return -EPROTONOSUPPORT;        /* big-endian pickles: not taken */
        n = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
        if (n > len - NDR_PICKLE_HEADER)
                return -EBADMSG;
        drep[0] = 0x10;
        drep[1] = drep[2] = drep[3] = 0;
        *ret_body = n;
        return 0;
}
