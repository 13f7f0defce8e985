/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJREF and DUALSTRINGARRAY, both directions ([MS-DCOM] 2.2.18, 2.2.19).  Everything a
 * peer sent is checked against the bytes that are there before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "com/objref.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"

/* --- DUALSTRINGARRAY ([MS-DCOM] 2.2.19) ------------------------------------------------------ */

size_t dsa_size(const DUALSTRINGARRAY *d) {
        return 4 + 2 * (size_t)d->wNumEntries;
}

/* One part [start, end): entries, each NUL-terminated, ended by an empty entry (or, for an
   empty part, by one or two NULs). */
static int check_part(const uint16_t *a, size_t start, size_t end, size_t head) {
        size_t i = start;

        if (start >= end)
                return -EBADMSG;
        if (a[i] == 0)                  /* empty: 0 (and possibly another 0) */
                return 0;
        while (i < end) {
                if (a[i] == 0)
                        return 0;       /* the empty entry that ends the part */
                if (end - i < head + 1)
                        return -EBADMSG;
                i += head;              /* tower id / authn + authz */
                while (i < end && a[i])
                        i++;
                if (i >= end)
                        return -EBADMSG;
                i++;                    /* the entry's NUL */
        }
        return -EBADMSG;
}

/* [MS-DCOM] 2.2.19.1: string bindings up to wSecurityOffset, security bindings after */
int dsa_check(const DUALSTRINGARRAY *d) {
        size_t n = d->wNumEntries;

        if (n > OBJREF_MAX_DSA_ENTRIES || d->wSecurityOffset >= n)
                return -EBADMSG;
        if (d->wSecurityOffset == 0 || d->aStringArray[d->wSecurityOffset - 1] != 0)
                return -EBADMSG;
        if (check_part(d->aStringArray, 0, d->wSecurityOffset, 1) < 0)
                return -EBADMSG;
        return check_part(d->aStringArray, d->wSecurityOffset, n, 2);
}

DUALSTRINGARRAY *dsa_dup(const DUALSTRINGARRAY *d) {
        size_t size = dsa_size(d);
        DUALSTRINGARRAY *c = malloc(size < sizeof *c ? sizeof *c : size);

        if (c)
                memcpy(c, d, size);
        return c;
}

void dsa_builder_init(struct dsa_builder *b) {
        buf_init(&b->strings, 2 * OBJREF_MAX_DSA_ENTRIES);
        buf_init(&b->security, 2 * OBJREF_MAX_DSA_ENTRIES);
}

static int put_entry(struct buf *out, const uint16_t *head, size_t n_head, const char *s) {
        WCHAR *w;
        size_t len;
        int r = dcom_utf8_to_utf16(s, strlen(s), &w, &len);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n_head; i++)
                buf_put_u16le(out, head[i]);
        for (size_t i = 0; i <= len; i++)
                buf_put_u16le(out, w[i]);
        free(w);
        return out->error;
}

int dsa_builder_add_string(struct dsa_builder *b, uint16_t tower, const char *addr) {
        if (!tower || !*addr)
                return -EINVAL;
        return put_entry(&b->strings, &tower, 1, addr);
}

int dsa_builder_add_security(struct dsa_builder *b, uint16_t authn_svc, const char *principal) {
        /* [MS-DCOM] 2.2.19.4: wAuthzSvc is reserved, 0xffff */
        uint16_t head[2] = { authn_svc, 0xffff };

        if (!authn_svc)
                return -EINVAL;
        return put_entry(&b->security, head, 2, principal);
}

int dsa_builder_finish(struct dsa_builder *b, DUALSTRINGARRAY **ret) {
        size_t ns, nsec, n;
        DUALSTRINGARRAY *d = NULL;
        int r = b->strings.error ? b->strings.error : b->security.error;

        if (r < 0)
                goto out;
        /* each part ends with an empty entry; an empty part is two NULs */
        ns = b->strings.len / 2 + (b->strings.len ? 1 : 2);
        nsec = b->security.len / 2 + (b->security.len ? 1 : 2);
        n = ns + nsec;
        if (n > OBJREF_MAX_DSA_ENTRIES) {
                r = -E2BIG;
                goto out;
        }
        d = calloc(1, 4 + 2 * n);
        if (!d) {
                r = -ENOMEM;
                goto out;
        }
        d->wNumEntries = (uint16_t)n;
        d->wSecurityOffset = (uint16_t)ns;
        for (size_t i = 0; i < b->strings.len / 2; i++)
                d->aStringArray[i] = (uint16_t)(b->strings.data[2 * i] | b->strings.data[2 * i + 1] << 8);
        for (size_t i = 0; i < b->security.len / 2; i++)
                d->aStringArray[ns + i] =
                        (uint16_t)(b->security.data[2 * i] | b->security.data[2 * i + 1] << 8);
        *ret = d;
        r = 0;
out:
        buf_free(&b->strings);
        buf_free(&b->security);
        return r;
}

/* The i-th entry of a part: its head units and its string. */
static int part_entry(const DUALSTRINGARRAY *d, bool security, unsigned want, uint16_t *head,
                      size_t n_head, char *s, size_t size) {
        const uint16_t *a = d->aStringArray;
        size_t i = security ? d->wSecurityOffset : 0;
        size_t end = security ? d->wNumEntries : d->wSecurityOffset;

        for (unsigned k = 0; i < end && a[i]; k++) {
                if (end - i < n_head + 1)
                        return -ENOENT;
                size_t start = i + n_head, j = start;
                while (j < end && a[j])
                        j++;
                if (j >= end)
                        return -ENOENT;
                if (k == want) {
                        char *u;
                        int r;
                        for (size_t h = 0; h < n_head; h++)
                                head[h] = a[i + h];
                        r = dcom_utf16_to_utf8(a + start, j - start, &u, NULL);
                        if (r < 0)
                                return r;
                        if (size) {
                                size_t l = strlen(u);
                                if (l >= size)
                                        l = size - 1;
                                memcpy(s, u, l);
                                s[l] = 0;
                        }
                        free(u);
                        return 0;
                }
                i = j + 1;
        }
        return -ENOENT;
}

int dsa_string_binding(const DUALSTRINGARRAY *d, unsigned i, uint16_t *ret_tower, char *addr,
                       size_t size) {
        return part_entry(d, false, i, ret_tower, 1, addr, size);
}

int dsa_security_binding(const DUALSTRINGARRAY *d, unsigned i, uint16_t *ret_authn, char *princ,
                         size_t size) {
        uint16_t head[2];
        int r = part_entry(d, true, i, head, 2, princ, size);

        if (r >= 0)
                *ret_authn = head[0];
        return r;
}

/* --- OBJREF ([MS-DCOM] 2.2.18) ---------------------------------------------------------------- */

struct rd {
        const uint8_t *p;
        size_t len, off;
};

static int get(struct rd *r, void *out, size_t n) {
        if (r->len - r->off < n)
                return -EBADMSG;
        memcpy(out, r->p + r->off, n);
        r->off += n;
        return 0;
}

static int get_u16(struct rd *r, uint16_t *v) {
        uint8_t b[2];
        int e = get(r, b, 2);
        if (e >= 0)
                *v = (uint16_t)(b[0] | b[1] << 8);
        return e;
}

static int get_u32(struct rd *r, uint32_t *v) {
        uint8_t b[4];
        int e = get(r, b, 4);
        if (e >= 0)
                *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        return e;
}

static int get_u64(struct rd *r, uint64_t *v) {
        uint32_t lo, hi;
        int e = get_u32(r, &lo);
        if (e >= 0 && (e = get_u32(r, &hi)) >= 0)
                *v = (uint64_t)hi << 32 | lo;
        return e;
}

static int get_guid(struct rd *r, GUID *g) {
        uint8_t b[DCOM_GUID_WIRE_SIZE];
        int e = get(r, b, sizeof b);
        if (e >= 0)
                dcom_guid_from_wire(b, g);
        return e;
}

/* [MS-DCOM] 2.2.18.2 */
static int get_std(struct rd *r, STDOBJREF *s) {
        int e;
        if ((e = get_u32(r, &s->flags)) < 0 || (e = get_u32(r, &s->cPublicRefs)) < 0 ||
            (e = get_u64(r, &s->oxid)) < 0 || (e = get_u64(r, &s->oid)) < 0)
                return e;
        return get_guid(r, &s->ipid);
}

static int get_dsa(struct rd *r, DUALSTRINGARRAY **ret) {
        uint16_t n, sec;
        DUALSTRINGARRAY *d;
        int e;

        if ((e = get_u16(r, &n)) < 0 || (e = get_u16(r, &sec)) < 0)
                return e;
        if (n > OBJREF_MAX_DSA_ENTRIES || r->len - r->off < 2 * (size_t)n)
                return -EBADMSG;
        d = malloc(4 + 2 * (size_t)n + 2);
        if (!d)
                return -ENOMEM;
        d->wNumEntries = n;
        d->wSecurityOffset = sec;
        for (size_t i = 0; i < n; i++)
                get_u16(r, &d->aStringArray[i]);
        if (dsa_check(d) < 0) {
                free(d);
                return -EBADMSG;
        }
        *ret = d;
        return 0;
}

int objref_parse(const uint8_t *p, size_t len, struct objref *ret, size_t *ret_used) {
        struct rd r = { p, len, 0 };
        struct objref o;
        uint32_t sig, u;
        int e;

        memset(&o, 0, sizeof o);
        if ((e = get_u32(&r, &sig)) < 0 || (e = get_u32(&r, &o.flags)) < 0 ||
            (e = get_guid(&r, &o.iid)) < 0)
                return e;
        if (sig != OBJREF_SIGNATURE || dcom_guid_is_null(&o.iid))
                return -EBADMSG;
        switch (o.flags) {
        case OBJREF_STANDARD:           /* [MS-DCOM] 2.2.18.4 */
                if ((e = get_std(&r, &o.std)) < 0 || (e = get_dsa(&r, &o.res)) < 0)
                        goto fail;
                break;
        case OBJREF_HANDLER:            /* [MS-DCOM] 2.2.18.5 */
                if ((e = get_std(&r, &o.std)) < 0 || (e = get_guid(&r, &o.clsid)) < 0 ||
                    (e = get_dsa(&r, &o.res)) < 0)
                        goto fail;
                break;
        case OBJREF_CUSTOM:             /* [MS-DCOM] 2.2.18.6: the data runs to the end */
                if ((e = get_guid(&r, &o.clsid)) < 0 || (e = get_u32(&r, &u)) < 0 ||
                    (e = get_u32(&r, &u)) < 0)
                        goto fail;
                if (len - r.off > OBJREF_MAX_CUSTOM) {
                        e = -EBADMSG;
                        goto fail;
                }
                o.data_len = (uint32_t)(len - r.off);
                o.data = malloc(o.data_len ? o.data_len : 1);
                if (!o.data) {
                        e = -ENOMEM;
                        goto fail;
                }
                get(&r, o.data, o.data_len);
                break;
        case OBJREF_EXTENDED: {         /* [MS-DCOM] 2.2.18.7, 2.2.18.8 */
                uint32_t sig1, n_elms, sig2, cb, cb_rounded;
                if ((e = get_std(&r, &o.std)) < 0 || (e = get_u32(&r, &sig1)) < 0 ||
                    (e = get_dsa(&r, &o.res)) < 0 || (e = get_u32(&r, &n_elms)) < 0 ||
                    (e = get_u32(&r, &sig2)) < 0)
                        goto fail;
                if (sig1 != OBJREF_EXT_SIGNATURE || sig2 != OBJREF_EXT_SIGNATURE || n_elms != 1) {
                        e = -EBADMSG;
                        goto fail;
                }
                if ((e = get_guid(&r, &o.ext_id)) < 0 || (e = get_u32(&r, &cb)) < 0 ||
                    (e = get_u32(&r, &cb_rounded)) < 0)
                        goto fail;
                if (cb > cb_rounded || cb_rounded > OBJREF_MAX_CUSTOM ||
                    len - r.off < cb_rounded) {
                        e = -EBADMSG;
                        goto fail;
                }
                o.data_len = cb;
                o.data = malloc(cb ? cb : 1);
                if (!o.data) {
                        e = -ENOMEM;
                        goto fail;
                }
                memcpy(o.data, p + r.off, cb);
                r.off += cb_rounded;
                break;
        }
        default:
                return -EPROTONOSUPPORT;
        }
        *ret = o;
        if (ret_used)
                *ret_used = r.off;
        return 0;
fail:
        objref_clear(&o);
        return e;
}

static void put_guid(struct buf *b, const GUID *g) {
        uint8_t w[DCOM_GUID_WIRE_SIZE];
        dcom_guid_to_wire(g, w);
        buf_append(b, w, sizeof w);
}

static void put_std(struct buf *b, const STDOBJREF *s) {
        buf_put_u32le(b, s->flags);
        buf_put_u32le(b, s->cPublicRefs);
        buf_put_u64le(b, s->oxid);
        buf_put_u64le(b, s->oid);
        put_guid(b, &s->ipid);
}

static void put_dsa(struct buf *b, const DUALSTRINGARRAY *d) {
        buf_put_u16le(b, d->wNumEntries);
        buf_put_u16le(b, d->wSecurityOffset);
        for (size_t i = 0; i < d->wNumEntries; i++)
                buf_put_u16le(b, d->aStringArray[i]);
}

int objref_write(struct buf *b, const struct objref *o) {
        buf_put_u32le(b, OBJREF_SIGNATURE);
        buf_put_u32le(b, o->flags);
        put_guid(b, &o->iid);
        switch (o->flags) {
        case OBJREF_STANDARD:
        case OBJREF_HANDLER:
                if (!o->res)
                        return -EINVAL;
                put_std(b, &o->std);
                if (o->flags == OBJREF_HANDLER)
                        put_guid(b, &o->clsid);
                put_dsa(b, o->res);
                break;
        case OBJREF_CUSTOM:
                put_guid(b, &o->clsid);
                buf_put_u32le(b, 0);                    /* cbExtension */
                buf_put_u32le(b, o->data_len);          /* reserved: the size, as Windows */
                if (o->data_len)
                        buf_append(b, o->data, o->data_len);
                break;
        case OBJREF_EXTENDED: {
                uint32_t rounded = (o->data_len + 7) & ~7u;
                if (!o->res)
                        return -EINVAL;
                put_std(b, &o->std);
                buf_put_u32le(b, OBJREF_EXT_SIGNATURE);
                put_dsa(b, o->res);
                buf_put_u32le(b, 1);                    /* nElms */
                buf_put_u32le(b, OBJREF_EXT_SIGNATURE);
                put_guid(b, &o->ext_id);
                buf_put_u32le(b, o->data_len);
                buf_put_u32le(b, rounded);
                if (o->data_len)
                        buf_append(b, o->data, o->data_len);
                for (uint32_t i = o->data_len; i < rounded; i++)
                        buf_put_u8(b, 0);
                break;
        }
        default:
                return -EINVAL;
        }
        return b->error;
}

void objref_clear(struct objref *o) {
        free(o->res);
        free(o->data);
        o->res = NULL;
        o->data = NULL;
}
