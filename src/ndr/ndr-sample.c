/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Generated-style marshaling of the sample types in ndr-sample.h: what dcomidl will
 * emit, written by hand so the engine can be tested, fuzzed and measured on
 * composite types before the compiler exists.  NDR_CHECK returns on the first error,
 * as generated code will.
 */
#include <errno.h>
#include <string.h>

#include "ndr/ndr-sample.h"

#define NDR_CHECK(x)                                    \
        do {                                            \
                int r_ = (x);                           \
                if (r_ < 0)                             \
                        return r_;                      \
        } while (0)

/* --- ITEM: [C706] 14.3.12.3, the embedded pointee after the structure's scalars ----- */

int ndr_push_sample_item(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_item *r) {
        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_push_align(ndr, 4));
                NDR_CHECK(ndr_push_uint32(ndr, r->id));
                NDR_CHECK(ndr_push_unique_ptr(ndr, r->name));
        }
        if (ndr_flags & NDR_BUFFERS)
                if (r->name)
                        NDR_CHECK(ndr_push_wstring(ndr, r->name));
        return ndr_push_error(ndr);
}

int ndr_pull_sample_item(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_item *r) {
        uint32_t id;

        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_pull_align(ndr, 4));
                NDR_CHECK(ndr_pull_uint32(ndr, &r->id));
                NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
                r->name = id ? NDR_PTR_PENDING : NULL;
        }
        if (ndr_flags & NDR_BUFFERS)
                if (r->name)
                        NDR_CHECK(ndr_pull_wstring(ndr, &r->name, NULL));
        return 0;
}

/* --- ITEM_LIST: a conformant array of structures with embedded pointers --------------- */

int ndr_push_sample_list(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_list *r) {
        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_push_align(ndr, 4));
                NDR_CHECK(ndr_push_uint32(ndr, r->count));
                NDR_CHECK(ndr_push_unique_ptr(ndr, r->items));
        }
        if ((ndr_flags & NDR_BUFFERS) && r->items) {
                NDR_CHECK(ndr_push_conformance(ndr, r->count));
                /* [C706] 14.3.12.3: every element's scalars, then every element's pointees. */
                for (uint32_t i = 0; i < r->count; i++)
                        NDR_CHECK(ndr_push_sample_item(ndr, NDR_SCALARS, &r->items[i]));
                for (uint32_t i = 0; i < r->count; i++)
                        NDR_CHECK(ndr_push_sample_item(ndr, NDR_BUFFERS, &r->items[i]));
        }
        return ndr_push_error(ndr);
}

int ndr_pull_sample_list(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_list *r) {
        uint32_t id, max;

        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_pull_align(ndr, 4));
                NDR_CHECK(ndr_pull_uint32(ndr, &r->count));
                NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
                r->items = id ? NDR_PTR_PENDING : NULL;
        }
        if ((ndr_flags & NDR_BUFFERS) && r->items) {
                NDR_CHECK(ndr_pull_conformance(ndr, &max));
                NDR_CHECK(ndr_check_size_is(max, r->count));
                /* Each ITEM takes at least 8 bytes on the wire: check before allocating. */
                NDR_CHECK(ndr_pull_check_count(ndr, max, 8, 4));
                r->items = ndr_pull_alloc(ndr, max ? max : 1, sizeof *r->items);
                if (!r->items)
                        return ndr->error;
                for (uint32_t i = 0; i < max; i++)
                        NDR_CHECK(ndr_pull_sample_item(ndr, NDR_SCALARS, &r->items[i]));
                for (uint32_t i = 0; i < max; i++)
                        NDR_CHECK(ndr_pull_sample_item(ndr, NDR_BUFFERS, &r->items[i]));
        }
        return 0;
}

/* --- NODE: a linked list through unique pointers, depth-capped ------------------------ */

int ndr_push_sample_node(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_node *r) {
        NDR_CHECK(ndr_push_enter(ndr));
        if (ndr_flags & NDR_SCALARS) {
                ndr_push_align(ndr, 4);
                ndr_push_uint32(ndr, r->value);
                ndr_push_unique_ptr(ndr, r->next);
        }
        if ((ndr_flags & NDR_BUFFERS) && r->next)
                ndr_push_sample_node(ndr, NDR_SCALARS | NDR_BUFFERS, r->next);
        ndr_push_leave(ndr);
        return ndr_push_error(ndr);
}

int ndr_pull_sample_node(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_node *r) {
        uint32_t id;
        int ret = 0;

        NDR_CHECK(ndr_pull_enter(ndr));
        if (ndr_flags & NDR_SCALARS) {
                if ((ret = ndr_pull_align(ndr, 4)) < 0 ||
                    (ret = ndr_pull_uint32(ndr, &r->value)) < 0 ||
                    (ret = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        goto out;
                r->next = NULL;
                if (id && !(r->next = ndr_pull_alloc(ndr, 1, sizeof *r->next))) {
                        ret = ndr->error;
                        goto out;
                }
        }
        if ((ndr_flags & NDR_BUFFERS) && r->next)
                ret = ndr_pull_sample_node(ndr, NDR_SCALARS | NDR_BUFFERS, r->next);
out:
        ndr_pull_leave(ndr);
        return ret;
}

/* --- SAMPLE_UNION: [C706] 14.3.8 -------------------------------------------------------- */

int ndr_push_sample_arm(struct ndr_push *ndr, int ndr_flags, uint32_t level,
                        const union ndr_sample_arm *r) {
        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_push_align(ndr, 4));      /* the arms' largest alignment */
                switch (level) {
                case 1:
                        NDR_CHECK(ndr_push_uint32(ndr, r->num));
                        break;
                case 2:
                        NDR_CHECK(ndr_push_unique_ptr(ndr, r->str));
                        break;
                case 3:
                        NDR_CHECK(ndr_push_guid(ndr, &r->guid));
                        break;
                default:
                        return ndr_push_bad_arm(ndr, level);
                }
        }
        if ((ndr_flags & NDR_BUFFERS) && level == 2 && r->str)
                NDR_CHECK(ndr_push_wstring(ndr, r->str));
        return ndr_push_error(ndr);
}

int ndr_pull_sample_arm(struct ndr_pull *ndr, int ndr_flags, uint32_t level,
                        union ndr_sample_arm *r) {
        uint32_t id;

        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_pull_align(ndr, 4));
                switch (level) {
                case 1:
                        NDR_CHECK(ndr_pull_uint32(ndr, &r->num));
                        break;
                case 2:
                        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
                        r->str = id ? NDR_PTR_PENDING : NULL;
                        break;
                case 3:
                        NDR_CHECK(ndr_pull_guid(ndr, &r->guid));
                        break;
                default:
                        return ndr_pull_bad_arm(ndr, level);
                }
        }
        if ((ndr_flags & NDR_BUFFERS) && level == 2 && r->str)
                NDR_CHECK(ndr_pull_wstring(ndr, &r->str, NULL));
        return 0;
}

int ndr_push_sample_union(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_union *r) {
        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_push_align(ndr, 4));
                NDR_CHECK(ndr_push_union_level(ndr, 2, r->level));
        }
        return ndr_push_sample_arm(ndr, ndr_flags, r->level, &r->u);
}

int ndr_pull_sample_union(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_union *r) {
        uint32_t level;

        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_pull_align(ndr, 4));
                NDR_CHECK(ndr_pull_union_level(ndr, 2, &level));
                r->level = (uint16_t)level;
        }
        return ndr_pull_sample_arm(ndr, ndr_flags, r->level, &r->u);
}

/* --- FULL: [ptr] pointers that may alias, [C706] 14.3.10.2 ----------------------------- */

static int push_pair(struct ndr_push *ndr, const struct ndr_sample_pair *p) {
        ndr_push_align(ndr, 4);
        ndr_push_uint32(ndr, p->x);
        return ndr_push_uint32(ndr, p->y);
}

/* The full-pointer type tag of ndr_sample_pair (generated code emits one per type). */
static const char pair_type;

static int pull_pair(struct ndr_pull *ndr, struct ndr_sample_pair *p) {
        NDR_CHECK(ndr_pull_align(ndr, 4));
        NDR_CHECK(ndr_pull_uint32(ndr, &p->x));
        return ndr_pull_uint32(ndr, &p->y);
}

int ndr_push_sample_full(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_full *r) {
        int pending;

        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_push_align(ndr, 4));
                NDR_CHECK(ndr_push_full_ptr(ndr, r->a));
                NDR_CHECK(ndr_push_full_ptr(ndr, r->b));
        }
        if (ndr_flags & NDR_BUFFERS) {
                NDR_CHECK(pending = ndr_push_full_ptr_pending(ndr, r->a));
                if (pending)
                        NDR_CHECK(push_pair(ndr, r->a));
                NDR_CHECK(pending = ndr_push_full_ptr_pending(ndr, r->b));
                if (pending)
                        NDR_CHECK(push_pair(ndr, r->b));
        }
        return ndr_push_error(ndr);
}

int ndr_pull_sample_full(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_full *r) {
        void *p;

        if (ndr_flags & NDR_SCALARS) {
                NDR_CHECK(ndr_pull_align(ndr, 4));
                NDR_CHECK(ndr_pull_full_ptr(ndr, &pair_type, sizeof *r->a, &p));
                r->a = p;
                NDR_CHECK(ndr_pull_full_ptr(ndr, &pair_type, sizeof *r->b, &p));
                r->b = p;
        }
        if (ndr_flags & NDR_BUFFERS) {
                if (ndr_pull_full_ptr_pending(ndr, r->a))
                        NDR_CHECK(pull_pair(ndr, r->a));
                if (ndr_pull_full_ptr_pending(ndr, r->b))
                        NDR_CHECK(pull_pair(ndr, r->b));
        }
        return 0;
}

/* --- CVS: conformant-varying structure, the conformance hoisted ([C706] 14.3.7.2) ----- */

int ndr_push_sample_cvs(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_cvs *r) {
        if (!(ndr_flags & NDR_SCALARS))
                return ndr_push_error(ndr);
        if (r->length > r->size)
                return ndr_push_fail(ndr, -EINVAL);
        NDR_CHECK(ndr_push_conformance(ndr, r->size));
        NDR_CHECK(ndr_push_align(ndr, 4));
        NDR_CHECK(ndr_push_uint32(ndr, r->size));
        NDR_CHECK(ndr_push_uint32(ndr, r->length));
        NDR_CHECK(ndr_push_variance(ndr, 0, r->length));
        return ndr_push_uint16_array(ndr, r->buf, r->length);
}

int ndr_pull_sample_cvs(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_cvs *r) {
        uint32_t max, offset, actual;
        void *p;

        if (!(ndr_flags & NDR_SCALARS))
                return 0;
        NDR_CHECK(ndr_pull_conformance(ndr, &max));
        NDR_CHECK(ndr_pull_align(ndr, 4));
        NDR_CHECK(ndr_pull_uint32(ndr, &r->size));
        NDR_CHECK(ndr_pull_uint32(ndr, &r->length));
        NDR_CHECK(ndr_pull_variance(ndr, max, &offset, &actual));
        NDR_CHECK(ndr_check_size_is(max, r->size));
        NDR_CHECK(ndr_check_length_is(offset, actual, 0, r->length));
        /* Only the transmitted elements are allocated: max_count alone costs no wire bytes. */
        NDR_CHECK(ndr_pull_array_alloc(ndr, actual ? actual : 1, actual ? 2 : 0, 2, 2, &p));
        r->buf = p;
        return ndr_pull_uint16_array(ndr, r->buf, actual);
}

/* --- DWORD ** [unique][unique] --------------------------------------------------------- */

int ndr_push_sample_pp(struct ndr_push *ndr, uint32_t *const *pp) {
        NDR_CHECK(ndr_push_unique_ptr(ndr, pp));
        if (!pp)
                return 0;
        NDR_CHECK(ndr_push_unique_ptr(ndr, *pp));
        if (!*pp)
                return 0;
        return ndr_push_uint32(ndr, **pp);
}

int ndr_pull_sample_pp(struct ndr_pull *ndr, uint32_t ***ret) {
        uint32_t **outer;
        uint32_t id;

        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        *ret = NULL;
        if (!id)
                return 0;
        if (!(outer = ndr_pull_alloc(ndr, 1, sizeof *outer)))
                return ndr->error;
        *ret = outer;
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (!id)
                return 0;
        if (!(*outer = ndr_pull_alloc(ndr, 1, sizeof **outer)))
                return ndr->error;
        return ndr_pull_uint32(ndr, *outer);
}

/* --- Request: [in] parameters in order, each followed by its pointees ------------------ */

int ndr_push_sample_request(struct ndr_push *ndr, const struct ndr_sample_request *r) {
        NDR_CHECK(ndr_push_context_handle(ndr, &r->handle));
        NDR_CHECK(ndr_push_sample_list(ndr, NDR_SCALARS | NDR_BUFFERS, &r->list));
        NDR_CHECK(ndr_push_unique_ptr(ndr, r->head));
        if (r->head)
                NDR_CHECK(ndr_push_sample_node(ndr, NDR_SCALARS | NDR_BUFFERS, r->head));
        NDR_CHECK(ndr_push_sample_union(ndr, NDR_SCALARS | NDR_BUFFERS, &r->u));
        NDR_CHECK(ndr_push_sample_pp(ndr, r->pp));
        NDR_CHECK(ndr_push_sample_full(ndr, NDR_SCALARS | NDR_BUFFERS, &r->full));
        NDR_CHECK(ndr_push_unique_ptr(ndr, r->cvs));
        if (r->cvs)
                NDR_CHECK(ndr_push_sample_cvs(ndr, NDR_SCALARS | NDR_BUFFERS, r->cvs));
        NDR_CHECK(ndr_push_unique_ptr(ndr, r->has_obj ? r : NULL));
        if (r->has_obj)
                NDR_CHECK(ndr_push_interface_pointer(ndr, r->obj, r->obj_len));
        NDR_CHECK(ndr_push_double(ndr, r->d));
        NDR_CHECK(ndr_push_hyper(ndr, r->h64));
        NDR_CHECK(ndr_push_boolean(ndr, r->b));
        NDR_CHECK(ndr_push_enum16(ndr, r->e));
        if (ndr_check_range(r->n, 1, 100) < 0)
                return ndr_push_fail(ndr, -ERANGE);
        return ndr_push_uint32(ndr, r->n);
}

int ndr_pull_sample_request(struct ndr_pull *ndr, struct ndr_sample_request *r) {
        uint32_t id;
        void *p;

        memset(r, 0, sizeof *r);
        NDR_CHECK(ndr_pull_context_handle(ndr, &r->handle));
        NDR_CHECK(ndr_pull_sample_list(ndr, NDR_SCALARS | NDR_BUFFERS, &r->list));
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (id) {
                if (!(r->head = ndr_pull_alloc(ndr, 1, sizeof *r->head)))
                        return ndr->error;
                NDR_CHECK(ndr_pull_sample_node(ndr, NDR_SCALARS | NDR_BUFFERS, r->head));
        }
        NDR_CHECK(ndr_pull_sample_union(ndr, NDR_SCALARS | NDR_BUFFERS, &r->u));
        NDR_CHECK(ndr_pull_sample_pp(ndr, &r->pp));
        NDR_CHECK(ndr_pull_sample_full(ndr, NDR_SCALARS | NDR_BUFFERS, &r->full));
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (id) {
                if (!(p = ndr_pull_alloc(ndr, 1, sizeof *r->cvs)))
                        return ndr->error;
                r->cvs = p;
                NDR_CHECK(ndr_pull_sample_cvs(ndr, NDR_SCALARS | NDR_BUFFERS, r->cvs));
        }
        NDR_CHECK(ndr_pull_unique_ptr(ndr, &id));
        if (id) {
                r->has_obj = true;
                NDR_CHECK(ndr_pull_interface_pointer(ndr, NDR_SAMPLE_OBJREF_MAX, &r->obj, &r->obj_len));
        }
        NDR_CHECK(ndr_pull_double(ndr, &r->d));
        NDR_CHECK(ndr_pull_hyper(ndr, &r->h64));
        NDR_CHECK(ndr_pull_boolean(ndr, &r->b));
        NDR_CHECK(ndr_pull_enum16(ndr, &r->e));
        NDR_CHECK(ndr_pull_uint32(ndr, &r->n));
        return ndr_check_range(r->n, 1, 100);
}

/* --- equality ----------------------------------------------------------------------------- */

static bool wstr_equal(const uint16_t *a, const uint16_t *b) {
        if (!a || !b)
                return a == b;
        for (size_t i = 0;; i++) {
                if (a[i] != b[i])
                        return false;
                if (!a[i])
                        return true;
        }
}

bool ndr_sample_list_equal(const struct ndr_sample_list *a, const struct ndr_sample_list *b) {
        if (a->count != b->count || !a->items != !b->items)
                return false;
        for (uint32_t i = 0; a->items && i < a->count; i++)
                if (a->items[i].id != b->items[i].id || !wstr_equal(a->items[i].name, b->items[i].name))
                        return false;
        return true;
}

bool ndr_sample_node_equal(const struct ndr_sample_node *a, const struct ndr_sample_node *b) {
        for (; a && b; a = a->next, b = b->next)
                if (a->value != b->value)
                        return false;
        return !a && !b;
}

static bool pair_equal(const struct ndr_sample_pair *a, const struct ndr_sample_pair *b) {
        if (!a || !b)
                return a == b;
        return a->x == b->x && a->y == b->y;
}

bool ndr_sample_request_equal(const struct ndr_sample_request *a, const struct ndr_sample_request *b) {
        if (a->handle.attributes != b->handle.attributes ||
            !dcom_guid_equal(&a->handle.uuid, &b->handle.uuid))
                return false;
        if (!ndr_sample_list_equal(&a->list, &b->list) || !ndr_sample_node_equal(a->head, b->head))
                return false;
        if (a->u.level != b->u.level)
                return false;
        switch (a->u.level) {
        case 1:
                if (a->u.u.num != b->u.u.num)
                        return false;
                break;
        case 2:
                if (!wstr_equal(a->u.u.str, b->u.u.str))
                        return false;
                break;
        case 3:
                if (!dcom_guid_equal(&a->u.u.guid, &b->u.u.guid))
                        return false;
                break;
        }
        if (!a->pp != !b->pp || (a->pp && (!*a->pp != !*b->pp || (*a->pp && **a->pp != **b->pp))))
                return false;
        if (!pair_equal(a->full.a, b->full.a) || !pair_equal(a->full.b, b->full.b) ||
            (a->full.a == a->full.b) != (b->full.a == b->full.b))
                return false;
        if (!a->cvs != !b->cvs)
                return false;
        if (a->cvs && (a->cvs->size != b->cvs->size || a->cvs->length != b->cvs->length ||
                       (a->cvs->length &&
                        memcmp(a->cvs->buf, b->cvs->buf, a->cvs->length * sizeof(uint16_t)))))
                return false;
        if (a->has_obj != b->has_obj || a->obj_len != b->obj_len ||
            (a->obj_len && memcmp(a->obj, b->obj, a->obj_len)))
                return false;
        return memcmp(&a->d, &b->d, sizeof a->d) == 0 && a->h64 == b->h64 && a->b == b->b &&
               a->e == b->e && a->n == b->n;
}
