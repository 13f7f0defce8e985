/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SPNEGO's NegTokenInit and NegTokenResp, and a Kerberos AP-REQ's GSS framing, read and
 * written (spnego.h).  The reader is one bounds check: der_next() takes an element off
 * the front of a window and refuses any length that leaves it; everything else is
 * walking windows in order.
 */
#include <errno.h>
#include <string.h>

#include "rpc/auth/spnego.h"

const uint8_t spnego_oid_spnego[6] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
const uint8_t spnego_oid_krb5[9] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
const uint8_t spnego_oid_ms_krb5[9] = { 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02 };
const uint8_t spnego_oid_ntlm[10] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };

#define MAX_TOKEN (64 * 1024)

enum {
        DER_BIT_STRING = 0x03,
        DER_OCTET_STRING = 0x04,
        DER_OID = 0x06,
        DER_ENUMERATED = 0x0a,
        DER_SEQUENCE = 0x30,
        DER_APPLICATION_0 = 0x60,       /* the GSS InitialContextToken */
        DER_AP_REQ = 0x6e,              /* [APPLICATION 14] */
        DER_CONTEXT_0 = 0xa0,           /* [n] constructed: 0xa0 + n */
        DER_CONTEXT_1 = 0xa1,
};

/* A window of DER: elements are taken off its front. */
struct der {
        const uint8_t *p, *end;
};

static struct der window(const struct spnego_bytes *b) {
        return (struct der){ b->p, b->p + b->len };
}

/* The next element: its (one-byte) tag and contents; -EBADMSG if it does not fit. */
static int der_next(struct der *d, uint8_t *ret_tag, struct spnego_bytes *ret) {
        size_t len;

        if (d->end - d->p < 2)
                return -EBADMSG;
        uint8_t tag = *d->p++, l0 = *d->p++;
        if ((tag & 0x1f) == 0x1f)       /* a high tag number: nothing here uses one */
                return -EBADMSG;
        if (l0 < 0x80) {
                len = l0;
        } else {
                unsigned n = l0 & 0x7f;
                if (n == 0 || n > 4 || (size_t)(d->end - d->p) < n)
                        return -EBADMSG;        /* indefinite, absurd, or cut short */
                len = 0;
                while (n--)
                        len = len << 8 | *d->p++;
        }
        if ((size_t)(d->end - d->p) < len)
                return -EBADMSG;
        *ret_tag = tag;
        ret->p = d->p;
        ret->len = len;
        d->p += len;
        return 0;
}

/* The only element of a window, with the tag wanted. */
static int der_only(const struct spnego_bytes *in, uint8_t want, struct spnego_bytes *ret) {
        struct der d = window(in);
        uint8_t tag;

        if (der_next(&d, &tag, ret) < 0 || tag != want || d.p != d.end)
                return -EBADMSG;
        return 0;
}

bool spnego_oid_is(const struct spnego_bytes *oid, const uint8_t *want, size_t want_len) {
        return oid->p && oid->len == want_len && memcmp(oid->p, want, want_len) == 0;
}

/*
 * The fields of a SEQUENCE of context-tagged ones ([0] ... [max]), in increasing tag
 * order, each at most once: fields[n] is [n]'s contents (p NULL when absent).
 */
static int der_fields(const struct spnego_bytes *seq, struct spnego_bytes *fields, unsigned max) {
        struct der d = window(seq);
        int last = -1;

        for (unsigned i = 0; i <= max; i++)
                fields[i] = (struct spnego_bytes){ NULL, 0 };
        while (d.p < d.end) {
                struct spnego_bytes v;
                uint8_t tag;
                if (der_next(&d, &tag, &v) < 0)
                        return -EBADMSG;
                int n = tag - DER_CONTEXT_0;
                if (tag < DER_CONTEXT_0 || n > (int)max || n <= last)
                        return -EBADMSG;
                fields[n] = v;
                last = n;
        }
        return 0;
}

int spnego_parse_init(const uint8_t *p, size_t len, struct spnego_init *ret) {
        struct spnego_bytes in = { p, len }, app, oid, ctx, seq, f[4], list;
        struct der d;
        uint8_t tag;

        memset(ret, 0, sizeof *ret);
        if (!p || len > MAX_TOKEN)
                return -EBADMSG;
        /* InitialContextToken: [APPLICATION 0] { thisMech OID, [0] NegTokenInit } */
        if (der_only(&in, DER_APPLICATION_0, &app) < 0)
                return -EBADMSG;
        d = window(&app);
        if (der_next(&d, &tag, &oid) < 0 || tag != DER_OID ||
            !SPNEGO_OID_IS(&oid, spnego_oid_spnego) || der_next(&d, &tag, &ctx) < 0 ||
            tag != DER_CONTEXT_0 || d.p != d.end)
                return -EBADMSG;
        if (der_only(&ctx, DER_SEQUENCE, &seq) < 0 || der_fields(&seq, f, 3) < 0)
                return -EBADMSG;
        /* [0] mechTypes: a SEQUENCE OF OID, at least one */
        if (!f[0].p || der_only(&f[0], DER_SEQUENCE, &list) < 0)
                return -EBADMSG;
        ret->mech_types = f[0];         /* the SEQUENCE element itself (30 len ...) */
        d = window(&list);
        while (d.p < d.end) {
                struct spnego_bytes m;
                if (der_next(&d, &tag, &m) < 0 || tag != DER_OID || m.len == 0 ||
                    ret->n_mechs >= SPNEGO_MAX_MECHS)
                        return -EBADMSG;
                ret->mechs[ret->n_mechs++] = m;
        }
        if (ret->n_mechs == 0)
                return -EBADMSG;
        /* [1] reqFlags: a BIT STRING, kept whole */
        if (f[1].p) {
                struct spnego_bytes bits;
                if (der_only(&f[1], DER_BIT_STRING, &bits) < 0)
                        return -EBADMSG;
                ret->req_flags = f[1];
        }
        /* [2] mechToken, [3] mechListMIC: OCTET STRINGs */
        if (f[2].p && der_only(&f[2], DER_OCTET_STRING, &ret->mech_token) < 0)
                return -EBADMSG;
        if (f[3].p && der_only(&f[3], DER_OCTET_STRING, &ret->mech_list_mic) < 0)
                return -EBADMSG;
        return 0;
}

int spnego_parse_resp(const uint8_t *p, size_t len, struct spnego_resp *ret) {
        struct spnego_bytes in = { p, len }, ctx, seq, f[4];

        memset(ret, 0, sizeof *ret);
        ret->neg_state = SPNEGO_NO_STATE;
        if (!p || len > MAX_TOKEN)
                return -EBADMSG;
        /* [1] NegTokenResp: a SEQUENCE of [0] negState ... [3] mechListMIC */
        if (der_only(&in, DER_CONTEXT_1, &ctx) < 0 || der_only(&ctx, DER_SEQUENCE, &seq) < 0 ||
            der_fields(&seq, f, 3) < 0)
                return -EBADMSG;
        if (f[0].p) {
                struct spnego_bytes e;
                if (der_only(&f[0], DER_ENUMERATED, &e) < 0 || e.len != 1 || e.p[0] > 3)
                        return -EBADMSG;
                ret->neg_state = e.p[0];
        }
        if (f[1].p && (der_only(&f[1], DER_OID, &ret->supported_mech) < 0 ||
                       ret->supported_mech.len == 0))
                return -EBADMSG;
        if (f[2].p && der_only(&f[2], DER_OCTET_STRING, &ret->response_token) < 0)
                return -EBADMSG;
        if (f[3].p && der_only(&f[3], DER_OCTET_STRING, &ret->mech_list_mic) < 0)
                return -EBADMSG;
        return 0;
}

/* --- writing --------------------------------------------------------------------------------- */

static void put_tlv(struct buf *b, uint8_t tag, const void *v, size_t len) {
        buf_put_u8(b, tag);
        if (len < 0x80) {
                buf_put_u8(b, (uint8_t)len);
        } else if (len <= 0xff) {
                buf_put_u8(b, 0x81);
                buf_put_u8(b, (uint8_t)len);
        } else if (len <= 0xffff) {
                buf_put_u8(b, 0x82);
                buf_put_u8(b, (uint8_t)(len >> 8));
                buf_put_u8(b, (uint8_t)len);
        } else {
                buf_poison(b, -E2BIG);
                return;
        }
        buf_append(b, v, len);
}

/* tag { in } onto out; in's error carries over. */
static void wrap(struct buf *out, uint8_t tag, const struct buf *in) {
        if (in->error)
                buf_poison(out, in->error);
        else
                put_tlv(out, tag, in->data, in->len);
}

/* An OCTET STRING inside a context tag. */
static void put_octets(struct buf *b, uint8_t ctx_tag, const struct spnego_bytes *v) {
        struct buf t;

        if (!v->p)
                return;
        buf_init(&t, MAX_TOKEN + 16);
        put_tlv(&t, DER_OCTET_STRING, v->p, v->len);
        wrap(b, ctx_tag, &t);
        buf_free(&t);
}

void spnego_write_mech_types(struct buf *out, const struct spnego_bytes *mechs, unsigned n) {
        struct buf oids;

        buf_init(&oids, MAX_TOKEN);
        for (unsigned i = 0; i < n && i < SPNEGO_MAX_MECHS; i++)
                put_tlv(&oids, DER_OID, mechs[i].p, mechs[i].len);
        wrap(out, DER_SEQUENCE, &oids);
        buf_free(&oids);
}

int spnego_mech_index(const struct spnego_init *v, const uint8_t *oid, size_t oid_len) {
        for (unsigned i = 0; i < v->n_mechs && i < SPNEGO_MAX_MECHS; i++)
                if (spnego_oid_is(&v->mechs[i], oid, oid_len))
                        return (int)i;
        return -1;
}

void spnego_write_init(struct buf *out, const struct spnego_init *v) {
        struct buf list, seq, ctx, app;

        buf_init(&list, MAX_TOKEN);
        buf_init(&seq, MAX_TOKEN);
        buf_init(&ctx, MAX_TOKEN);
        buf_init(&app, MAX_TOKEN);
        if (v->mech_types.p)
                buf_append(&list, v->mech_types.p, v->mech_types.len);
        else
                spnego_write_mech_types(&list, v->mechs, v->n_mechs);
        wrap(&seq, DER_CONTEXT_0, &list);
        if (v->req_flags.p)
                put_tlv(&seq, DER_CONTEXT_0 + 1, v->req_flags.p, v->req_flags.len);
        put_octets(&seq, DER_CONTEXT_0 + 2, &v->mech_token);
        put_octets(&seq, DER_CONTEXT_0 + 3, &v->mech_list_mic);
        wrap(&ctx, DER_SEQUENCE, &seq);
        put_tlv(&app, DER_OID, spnego_oid_spnego, sizeof spnego_oid_spnego);
        wrap(&app, DER_CONTEXT_0, &ctx);
        wrap(out, DER_APPLICATION_0, &app);
        buf_free(&list);
        buf_free(&seq);
        buf_free(&ctx);
        buf_free(&app);
}

void spnego_write_resp(struct buf *out, const struct spnego_resp *v) {
        struct buf seq, ctx;

        buf_init(&seq, MAX_TOKEN);
        buf_init(&ctx, MAX_TOKEN);
        if (v->neg_state >= 0 && v->neg_state <= 3) {
                uint8_t e[3] = { DER_ENUMERATED, 1, (uint8_t)v->neg_state };
                put_tlv(&seq, DER_CONTEXT_0, e, sizeof e);
        }
        if (v->supported_mech.p) {
                struct buf t;
                buf_init(&t, MAX_TOKEN);
                put_tlv(&t, DER_OID, v->supported_mech.p, v->supported_mech.len);
                wrap(&seq, DER_CONTEXT_0 + 1, &t);
                buf_free(&t);
        }
        put_octets(&seq, DER_CONTEXT_0 + 2, &v->response_token);
        put_octets(&seq, DER_CONTEXT_0 + 3, &v->mech_list_mic);
        wrap(&ctx, DER_SEQUENCE, &seq);
        wrap(out, DER_CONTEXT_1, &ctx);
        buf_free(&seq);
        buf_free(&ctx);
}

/* --- Kerberos' GSS framing ------------------------------------------------------------------- */

int spnego_krb5_unframe(const uint8_t *p, size_t len, struct spnego_bytes *ret) {
        struct spnego_bytes in = { p, len }, app, oid, req;
        struct der d;
        uint8_t tag;

        if (!p || len > MAX_TOKEN || der_only(&in, DER_APPLICATION_0, &app) < 0)
                return -EBADMSG;
        d = window(&app);
        if (der_next(&d, &tag, &oid) < 0 || tag != DER_OID ||
            !(SPNEGO_OID_IS(&oid, spnego_oid_krb5) || SPNEGO_OID_IS(&oid, spnego_oid_ms_krb5)))
                return -EBADMSG;
        /* TOK_ID 01 00 (KRB_AP_REQ), then the AP-REQ filling the rest */
        if (d.end - d.p < 2 || d.p[0] != 0x01 || d.p[1] != 0x00)
                return -EBADMSG;
        d.p += 2;
        struct spnego_bytes rest = { d.p, (size_t)(d.end - d.p) };
        if (der_only(&rest, DER_AP_REQ, &req) < 0)
                return -EBADMSG;
        *ret = rest;
        return 0;
}
