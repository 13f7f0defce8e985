/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client stubs dcomidl wrote for sample.idl, and their type functions, exported. */
#include <stdlib.h>
#include <string.h>

#include "ndr-sample.h"

#include "sample_c.inc"

int ndr_push_sample_item(struct ndr_push *ndr, int ndr_flags, const ITEM *r) {
        return ndr_push__ITEM(ndr, ndr_flags, r);
}

int ndr_pull_sample_item(struct ndr_pull *ndr, int ndr_flags, ITEM *r) {
        return ndr_pull__ITEM(ndr, ndr_flags, r);
}

int ndr_push_sample_list(struct ndr_push *ndr, int ndr_flags, const ITEM_LIST *r) {
        return ndr_push__ITEM_LIST(ndr, ndr_flags, r);
}

int ndr_pull_sample_list(struct ndr_pull *ndr, int ndr_flags, ITEM_LIST *r) {
        return ndr_pull__ITEM_LIST(ndr, ndr_flags, r);
}

int ndr_push_sample_node(struct ndr_push *ndr, int ndr_flags, const NODE *r) {
        return ndr_push__NODE(ndr, ndr_flags, r);
}

int ndr_pull_sample_node(struct ndr_pull *ndr, int ndr_flags, NODE *r) {
        return ndr_pull__NODE(ndr, ndr_flags, r);
}

int ndr_push_sample_fnode(struct ndr_push *ndr, int ndr_flags, const FNODE *r) {
        return ndr_push__FNODE(ndr, ndr_flags, r);
}

int ndr_pull_sample_fnode(struct ndr_pull *ndr, int ndr_flags, FNODE *r) {
        return ndr_pull__FNODE(ndr, ndr_flags, r);
}

int ndr_push_sample_arm(struct ndr_push *ndr, int ndr_flags, uint32_t level, const SAMPLE_ARM *r) {
        return ndr_push__SAMPLE_ARM(ndr, ndr_flags, level, r);
}

int ndr_pull_sample_arm(struct ndr_pull *ndr, int ndr_flags, uint32_t level, SAMPLE_ARM *r) {
        return ndr_pull__SAMPLE_ARM(ndr, ndr_flags, level, r);
}

int ndr_push_sample_union(struct ndr_push *ndr, int ndr_flags, const SAMPLE_UNION *r) {
        return ndr_push__SAMPLE_UNION(ndr, ndr_flags, r);
}

int ndr_pull_sample_union(struct ndr_pull *ndr, int ndr_flags, SAMPLE_UNION *r) {
        return ndr_pull__SAMPLE_UNION(ndr, ndr_flags, r);
}

int ndr_push_sample_full(struct ndr_push *ndr, int ndr_flags, const FULL *r) {
        return ndr_push__FULL(ndr, ndr_flags, r);
}

int ndr_pull_sample_full(struct ndr_pull *ndr, int ndr_flags, FULL *r) {
        return ndr_pull__FULL(ndr, ndr_flags, r);
}

int ndr_push_sample_cvs(struct ndr_push *ndr, int ndr_flags, const CVS *r) {
        return ndr_push__CVS(ndr, ndr_flags, r);
}

int ndr_pull_sample_cvs(struct ndr_pull *ndr, int ndr_flags, CVS **r) {
        void *p;
        int ret;

        /* What the server stub does for a [unique] CVS *: size by the peeked conformance. */
        ret = ndr_pull_conformant_alloc(ndr, sizeof **r, sizeof (*r)->buf[0], 0, &p);
        if (ret < 0)
                return ret;
        *r = p;
        return ndr_pull__CVS(ndr, ndr_flags, *r);
}

int ndr_push_sample_pp(struct ndr_push *ndr, DWORD **pp) {
        return Sample_PP_push(ndr, pp);
}

int ndr_push_sample_request(struct ndr_push *ndr, const struct ndr_sample_request *r) {
        struct ndr_client_context ctx = { .wire = r->handle };

        return Sample_Request_push(ndr, &ctx, r->list, r->head, r->u, r->pp, r->full, r->cvs,
                                   r->obj, r->d, r->h64, r->b, (SAMPLE_ENUM)r->e, r->n);
}

CVS *ndr_sample_cvs_new(uint32_t size, uint32_t length, const uint16_t *buf) {
        CVS *c = calloc(1, sizeof *c + (size_t)(size > length ? size : length) * sizeof c->buf[0]);

        if (!c)
                abort();
        c->size = size;
        c->length = length;
        if (length)
                memcpy(c->buf, buf, length * sizeof c->buf[0]);
        return c;
}

SAMPLE_IP *ndr_sample_ip_new(const void *data, uint32_t len) {
        SAMPLE_IP *ip = calloc(1, sizeof *ip + len);

        if (!ip)
                abort();
        ip->ulCntData = len;
        if (len)
                memcpy(ip->abData, data, len);
        return ip;
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

bool ndr_sample_list_equal(const ITEM_LIST *a, const ITEM_LIST *b) {
        if (a->count != b->count || !a->items != !b->items)
                return false;
        for (uint32_t i = 0; a->items && i < a->count; i++)
                if (a->items[i].id != b->items[i].id || !wstr_equal(a->items[i].name, b->items[i].name))
                        return false;
        return true;
}

bool ndr_sample_node_equal(const NODE *a, const NODE *b) {
        for (; a && b; a = a->next, b = b->next)
                if (a->value != b->value)
                        return false;
        return !a && !b;
}

bool ndr_sample_cvs_equal(const CVS *a, const CVS *b) {
        if (!a || !b)
                return a == b;
        return a->size == b->size && a->length == b->length &&
               (!a->length || !memcmp(a->buf, b->buf, a->length * sizeof a->buf[0]));
}

static bool pair_equal(const PAIR *a, const PAIR *b) {
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
        if (!ndr_sample_cvs_equal(a->cvs, b->cvs))
                return false;
        if (!a->obj != !b->obj ||
            (a->obj && (a->obj->ulCntData != b->obj->ulCntData ||
                        memcmp(a->obj->abData, b->obj->abData, a->obj->ulCntData))))
                return false;
        return memcmp(&a->d, &b->d, sizeof a->d) == 0 && a->h64 == b->h64 && a->b == b->b &&
               a->e == b->e && a->n == b->n;
}
