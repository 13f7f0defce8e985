/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomidl's NDR stubs, part 2: tests/dcomidl/stub2.idl (conformant structures, full
 * pointers, linked lists, arrays of pointers, first_is/length_is/max_is, counts through
 * [in, out] pointers, sized [out] strings, pointers to counted arrays, interface
 * pointers, a [wire_marshal] type, two interfaces in one file) through client stub ->
 * bytes -> server dispatch -> implementation -> bytes -> client stub.  Requests are
 * checked against NDR 2.0 vectors computed by hand ([C706] chapter 14: conformant
 * structures carry their conformance first, full pointers repeat an ID instead of the
 * referent, embedded referents follow all of a structure's scalars); every truncated
 * request and response fails cleanly and leaves nothing allocated (LeakSanitizer
 * checks the client's all-or-nothing [out] memory).
 */
#include "stub2_stub.h"
#include "test.h"

/* --- the server ------------------------------------------------------------------------ */

static unsigned calls;

static LONG impl_tower(S2_TWR *in, S2_TWR **out) {
        calls++;
        if (!in)
                return -1;
        S2_TWR *t = midl_user_allocate(sizeof *t + in->tower_length);
        if (!t)
                return -2;
        t->tower_length = in->tower_length;
        for (ULONG i = 0; i < in->tower_length; i++)
                t->tower_octet_string[i] = (BYTE)(in->tower_octet_string[i] ^ 0xff);
        *out = t;
        return (LONG)in->tower_length;
}

static LONG impl_list(S2_NODE *head, S2_NODE **reversed) {
        S2_NODE *r = NULL;
        LONG n = 0;
        calls++;
        for (S2_NODE *p = head; p; p = p->next) {
                S2_NODE *c = midl_user_allocate(sizeof *c);
                if (!c)
                        return -1;
                c->value = p->value * 10;
                c->next = r;
                r = c;
                n++;
        }
        *reversed = r;
        return n;
}

static LONG impl_alias(S2_PT *a, S2_PT *b) {
        calls++;
        if (a && a == b)
                return 1000 + a->x;
        return (a ? a->x : 0) + (b ? b->y : 0);
}

static LONG impl_named(S2_NAMED *n, S2_NAMED *back) {
        calls++;
        *back = *n;
        back->when.dwLowDateTime++;
        back->label[0] = 'L';
        for (int i = n->first; i < n->first + n->n; i++)
                back->window[i] = (short)(n->window[i] * 2);
        return n->n;
}

static LONG impl_table(S2_TABLE *t) {
        LONG s = 0;
        calls++;
        for (ULONG i = 0; i < t->count; i++)
                s += t->rows[i] ? t->rows[i]->x * 10 + t->rows[i]->y : -1;
        return s;
}

static ULONG grow_by;

static void impl_grow(ULONG *pn, BYTE *buf) {
        calls++;
        for (ULONG i = 0; i < *pn; i++)
                buf[i] = (BYTE)i;
        *pn += grow_by;         /* a buggy server: more than the stub allocated */
}

static LONG impl_window(ULONG max, ULONG first, ULONG len, LONG *v) {
        LONG s = 0;
        calls++;
        for (ULONG i = first; i < first + len; i++)
                s += v[i];
        return s;
}

static LONG impl_maxis(ULONG last, short *v) {
        LONG s = 0;
        calls++;
        for (ULONG i = 0; i <= last; i++)
                s += v[i];
        return s;
}

static void impl_sized(ULONG n, char *buf) {
        calls++;
        if (n)
                snprintf(buf, n, "hello");
}

static void impl_inner(ULONG n, ULONG *got, BYTE **data) {
        calls++;
        *got = n;
        *data = n ? midl_user_allocate(n) : NULL;
        for (ULONG i = 0; *data && i < n; i++)
                (*data)[i] = (BYTE)(0xa0 + i);
}

static LONG impl_strings(ULONG n, S2_USTR *names, S2_USTR *joined) {
        size_t total = 0;
        calls++;
        for (ULONG i = 0; i < n; i++)
                total += names[i].Length / 2;
        joined->Buffer = midl_user_allocate(total * 2 + 2);
        if (!joined->Buffer)
                return -1;
        joined->Length = (USHORT)(total * 2);
        joined->MaximumLength = (USHORT)(total * 2 + 2);
        size_t k = 0;
        for (ULONG i = 0; i < n; i++)
                for (size_t j = 0; j < names[i].Length / 2u; j++)
                        joined->Buffer[k++] = names[i].Buffer[j];
        return (LONG)total;
}

/* Interface pointers: the "objects" are small integers, OBJREFs "OBJ" + the value. */
static int fake_marshal(const GUID *iid, void *obj, struct arena *a, uint8_t **ret, uint32_t *len) {
        uint8_t *p = arena_alloc(a, 8);
        if (!p)
                return -ENOMEM;
        memcpy(p, "OBJ", 3);
        p[3] = (uint8_t)(uintptr_t)obj;
        memcpy(p + 4, &iid->Data1, 4);
        *ret = p;
        *len = 8;
        return 0;
}

static int fake_unmarshal(const GUID *iid, const uint8_t *objref, uint32_t len, void **ret) {
        uint32_t d1;
        if (len != 8 || memcmp(objref, "OBJ", 3) != 0)
                return -EBADMSG;
        memcpy(&d1, objref + 4, 4);
        if (d1 != iid->Data1)
                return -EBADMSG;        /* marshaled as another interface */
        *ret = (void *)(uintptr_t)objref[3];
        return 0;
}

static const struct ndr_iface_hooks hooks = { .marshal = fake_marshal, .unmarshal = fake_unmarshal };

static LONG impl_iface(const GUID *riid, void *obj, void **back) {
        calls++;
        *back = (void *)((uintptr_t)obj + 1);
        return (LONG)riid->Data1;
}

/* S2_BLOB on the wire: a ULONG, here the pointer's value. */
static int blob_push(struct ndr_push *ndr, int flags, const void *obj) {
        if (flags & NDR_SCALARS)
                return ndr_push_uint32(ndr, (uint32_t)*(const uintptr_t *)obj);
        return ndr_push_error(ndr);
}

static int blob_pull(struct ndr_pull *ndr, int flags, void *obj) {
        uint32_t v = 0;
        if (flags & NDR_SCALARS) {
                int r = ndr_pull_uint32(ndr, &v);
                if (r < 0)
                        return r;
                *(uintptr_t *)obj = v;
        }
        return 0;
}

static const struct ndr_user_marshal blob_um = {
        .name = "S2_BLOB", .mem_size = sizeof(S2_BLOB), .push = blob_push, .pull = blob_pull,
};

static LONG impl_blob(S2_BLOB b, S2_BLOB *back) {
        calls++;
        *back = (S2_BLOB)((uintptr_t)b * 2);
        return 7;
}

static LONG impl_ignore(S2_IGN *in, S2_IGN *back) {
        calls++;
        /* whatever the peer sent in an [ignore] slot, the member arrives NULL */
        if (in->reserved || in->callback)
                return -1;
        back->a = (short)(in->a + 1);
        back->b = (short)(in->b + 1);
        back->reserved = back;          /* and leaves as a NULL pointer's zeros */
        return 0;
}

/* S2_UPT: its wire type is a [unique] pointer, so a holder is 4-aligned: the ID, then an S2_PT */
static int upt_push(struct ndr_push *ndr, int flags, const void *obj) {
        const S2_PT *p = *(void *const *)obj;
        if (flags & NDR_SCALARS)
                ndr_push_unique_ptr(ndr, p);
        if ((flags & NDR_BUFFERS) && p) {
                ndr_push_int32(ndr, p->x);
                ndr_push_int32(ndr, p->y);
        }
        return ndr_push_error(ndr);
}

static int upt_pull(struct ndr_pull *ndr, int flags, void *obj) {
        uint32_t id;
        int r;
        if (flags & NDR_SCALARS) {
                if ((r = ndr_pull_unique_ptr(ndr, &id)) < 0)
                        return r;
                *(void **)obj = id ? NDR_PTR_PENDING : NULL;
        }
        if ((flags & NDR_BUFFERS) && *(void **)obj) {
                S2_PT *p = ndr_pull_alloc(ndr, 1, sizeof *p);
                if (!p)
                        return ndr->error;
                if ((r = ndr_pull_int32(ndr, &p->x)) < 0 || (r = ndr_pull_int32(ndr, &p->y)) < 0)
                        return r;
                *(void **)obj = p;
        }
        return 0;
}

static const struct ndr_user_marshal upt_um = {
        .name = "S2_UPT", .mem_size = sizeof(S2_UPT), .push = upt_push, .pull = upt_pull,
};

static LONG impl_holder(S2_HOLDER *h) {
        const S2_PT *p = h->p;
        calls++;
        return p ? h->s + p->x + p->y : -1;
}

static LONG impl_ping(LONG x) {
        calls++;
        return -x;
}

/* The chain's depth; back is the same chain (the request's memory, sent before it dies). */
static LONG impl_td(S2_TD *td, S2_TD *back) {
        LONG n = 1;
        calls++;
        *back = *td;
        for (S2_TD *p = td; (p->vt == 26 || p->vt == 27) && p->inner; p = p->inner)
                n++;
        return n;
}

static LONG impl_inout_conf(LONG grow, S2_TWR *t) {
        calls++;
        if (grow >= 0 || (ULONG)-grow > t->tower_length)
                t->tower_length += (ULONG)grow;     /* past the end: the stub refuses it */
        else
                t->tower_length -= (ULONG)-grow;
        for (ULONG i = 0; i < t->tower_length && grow <= 0; i++)
                t->tower_octet_string[i] ^= 0xff;
        return (LONG)t->tower_length;
}

static const struct Stub2_v1_0_epv epv = {
        impl_tower, impl_list, impl_alias, impl_named, impl_table, impl_grow, impl_window,
        impl_maxis, impl_sized, impl_inner, impl_strings, impl_iface, impl_blob, impl_ignore,
        impl_holder, impl_td, impl_inout_conf,
};
static const struct Stub2b_v2_0_epv epv_b = { impl_ping };

/* --- the loopback binding ------------------------------------------------------------------ */

struct loop {
        uint8_t req[4096], resp[4096];
        size_t req_len, resp_len;
        size_t resp_cut;
        int server_r;
        const uint8_t *fake;            /* the client gets these bytes, not the server's */
        size_t fake_len;
};

static struct loop lp;

static int dispatch(const struct ndr_interface *iface, uint16_t opnum, const uint8_t *req,
                    size_t len, struct ndr_push *out) {
        struct ndr_pull sin;
        struct arena sarena;
        int r;

        arena_init(&sarena, 1 << 20);
        ASSERT_OK(ndr_pull_init(&sin, req, len, NULL, &sarena));
        bool b = memcmp(&iface->uuid, &Stub2b_v2_0_s_interface.uuid, sizeof(GUID)) == 0;
        struct ndr_server_call call = {
                .in = &sin, .out = out, .arena = &sarena, .impl = b ? (const void *)&epv_b : &epv,
        };
        r = b ? Stub2b_v2_0_dispatch(&call, opnum) : Stub2_v1_0_dispatch(&call, opnum);
        arena_reset(&sarena);
        return r;
}

static int loop_call(struct ndr_binding *bd, const struct ndr_interface *iface, uint16_t opnum,
                     struct ndr_push *in, struct ndr_pull *out, struct arena *arena) {
        /* the request whole (a generated stub references its large [in] arrays) */
        if (ndr_push_flatten(in) < 0)
                return -ENOMEM;
        struct loop *l = bd->ctx;
        struct ndr_push sout;
        int r;

        ASSERT_OK(ndr_push_error(in));
        ASSERT_LE(in->buf.len, sizeof l->req);
        l->req_len = in->buf.len;
        if (in->buf.len)
                memcpy(l->req, in->buf.data, in->buf.len);
        ndr_push_init(&sout, 0);
        r = l->server_r = dispatch(iface, opnum, l->req, l->req_len, &sout);
        if (r >= 0) {
                ASSERT_LE(sout.buf.len, sizeof l->resp);
                l->resp_len = sout.buf.len;
                if (sout.buf.len)
                        memcpy(l->resp, sout.buf.data, sout.buf.len);
        }
        ndr_push_free(&sout);
        if (r < 0)
                return r;
        size_t n = l->fake ? l->fake_len : l->resp_cut ? l->resp_cut : l->resp_len;
        uint8_t *p = arena_alloc(arena, n ? n : 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, l->fake ? l->fake : l->resp, n);
        return ndr_pull_init(out, p, n, NULL, arena);
}

static struct ndr_binding binding = { .call = loop_call, .ctx = &lp };

#define EXPECT_BYTES(buf, len, want)                                                    \
        do {                                                                            \
                ASSERT_EQ((len), sizeof(want));                                         \
                ASSERT_MEM_EQ((buf), want, sizeof(want));                               \
        } while (0)

/* Every proper prefix of the last request is refused, and the implementation never runs. */
static void truncations(uint32_t opnum) {
        uint8_t full[4096];
        size_t n = lp.req_len;
        struct ndr_push out;

        memcpy(full, lp.req, n);
        calls = 0;
        for (size_t i = 0; i < n; i++) {
                /* an exact-size copy: ASan sees any read past the end */
                uint8_t *cut = malloc(i ? i : 1);
                ASSERT_NOT_NULL(cut);
                memcpy(cut, full, i);
                ndr_push_init(&out, 0);
                ASSERT_ERRNO(dispatch(&Stub2_v1_0_s_interface, (uint16_t)opnum, cut, i, &out),
                             -EBADMSG);
                ndr_push_free(&out);
                free(cut);
        }
        ASSERT_EQ(calls, 0);
}

/* --- conformant structures and full pointers --------------------------------------------- */

TEST(conformant_struct_bytes) {
        static const uint8_t req[] = {
                0x00, 0x00, 0x02, 0x00,         /* [ptr] referent ID */
                0x03, 0, 0, 0,                  /* the hoisted conformance */
                0x03, 0, 0, 0,                  /* tower_length */
                0x01, 0x02, 0x03,               /* the octets (no trailing pad in NDR 2.0) */
        };
        static const uint8_t resp[] = {
                0x00, 0x00, 0x02, 0x00,         /* *out_tower: [unique] referent */
                0x03, 0, 0, 0, 0x03, 0, 0, 0, 0xfe, 0xfd, 0xfc, 0x00,
                0x03, 0, 0, 0,                  /* return */
        };
        S2_TWR *in = malloc(sizeof *in + 3);    /* the header declares octets[1], as MIDL */
        S2_TWR *out = NULL;
        LONG ret = 0;

        ASSERT_NOT_NULL(in);
        in->tower_length = 3;
        memcpy(in->tower_octet_string, "\1\2\3", 3);
        ASSERT_OK(Stub2_S2Tower(&binding, in, &out, &ret));
        free(in);
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 3);
        ASSERT_NOT_NULL(out);
        ASSERT_EQ(out->tower_length, 3);
        ASSERT_EQ(out->tower_octet_string[2], 0xfc);
        midl_user_free(out);
        truncations(0);

        /* NULL full pointer */
        ASSERT_OK(Stub2_S2Tower(&binding, NULL, &out, &ret));
        ASSERT_EQ(ret, -1);
        ASSERT_NULL(out);

        /* a conformance larger than the stub: refused before allocating */
        static const uint8_t huge[] = { 0, 0, 2, 0, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f, 1 };
        struct ndr_push o;
        ndr_push_init(&o, 0);
        ASSERT_ERRNO(dispatch(&Stub2_v1_0_s_interface, 0, huge, sizeof huge, &o), -EBADMSG);
        /* tower_length disagreeing with the conformance */
        static const uint8_t liar[] = { 0, 0, 2, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 2, 0, 0 };
        ASSERT_ERRNO(dispatch(&Stub2_v1_0_s_interface, 0, liar, sizeof liar, &o), -EBADMSG);
        ndr_push_free(&o);
}

TEST(full_pointer_aliasing) {
        static const uint8_t same[] = {
                0x00, 0x00, 0x02, 0x00, 0x05, 0, 0, 0, 0x06, 0, 0, 0,
                0x00, 0x00, 0x02, 0x00,         /* the same ID again, no referent */
        };
        static const uint8_t two[] = {
                0x00, 0x00, 0x02, 0x00, 0x05, 0, 0, 0, 0x06, 0, 0, 0,
                0x04, 0x00, 0x02, 0x00, 0x07, 0, 0, 0, 0x08, 0, 0, 0,
        };
        S2_PT p = { 5, 6 }, q = { 7, 8 };
        LONG ret = 0;

        ASSERT_OK(Stub2_S2Alias(&binding, &p, &p, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, same);
        ASSERT_EQ(ret, 1005);           /* the server sees one object */
        truncations(2);
        ASSERT_OK(Stub2_S2Alias(&binding, &p, &q, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, two);
        ASSERT_EQ(ret, 5 + 8);
        ASSERT_OK(Stub2_S2Alias(&binding, NULL, &q, &ret));
        ASSERT_EQ(ret, 8);
        ASSERT_EQ(lp.req_len, 16);
}

TEST(full_pointer_var_alias_refused) {
        /* one ID for a variable-size referent twice cannot be honoured: refused */
        static const uint8_t twice[] = {
                0x00, 0x00, 0x02, 0x00, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0x09, 0, 0, 0,
                0x00, 0x00, 0x02, 0x00,
        };
        (void)twice;    /* S2Tower has one [ptr]; a second one is what S2Alias is for */
        struct ndr_pull pl;
        struct arena a;
        uint32_t id;
        arena_init(&a, 0);
        ASSERT_OK(ndr_pull_init(&pl, twice, sizeof twice, NULL, &a));
        ASSERT_OK(ndr_pull_full_var_ptr(&pl, &id));
        ASSERT_EQ(id, 0x20000);
        pl.offset = 16;
        ASSERT_ERRNO(ndr_pull_full_var_ptr(&pl, &id), -EBADMSG);
        arena_reset(&a);
}

/* --- linked lists, arrays of pointers ------------------------------------------------------ */

TEST(linked_list) {
        static const uint8_t req[] = {
                0x00, 0x00, 0x02, 0x00,         /* head */
                0x01, 0, 0, 0, 0x04, 0x00, 0x02, 0x00,  /* {1, next} */
                0x02, 0, 0, 0, 0x00, 0, 0, 0,           /* {2, NULL} */
        };
        S2_NODE b = { 2, NULL }, a = { 1, &b };
        S2_NODE *rev = NULL;
        LONG ret = 0;

        ASSERT_OK(Stub2_S2List(&binding, &a, &rev, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 2);
        ASSERT_NOT_NULL(rev);
        ASSERT_EQ(rev->value, 20);
        ASSERT_NOT_NULL(rev->next);
        ASSERT_EQ(rev->next->value, 10);
        ASSERT_NULL(rev->next->next);
        midl_user_free(rev->next);
        midl_user_free(rev);
        truncations(1);

        /* deeper than the pull's nesting cap: refused, nothing leaks */
        S2_NODE nodes[80];
        for (int i = 0; i < 80; i++)
                nodes[i] = (S2_NODE){ i, i < 79 ? &nodes[i + 1] : NULL };
        ASSERT_ERRNO(Stub2_S2List(&binding, nodes, &rev, &ret), -ELOOP);
        ASSERT_NULL(rev);
        /* truncated responses: all or nothing */
        ASSERT_OK(Stub2_S2List(&binding, &a, &rev, &ret));
        midl_user_free(rev->next);
        midl_user_free(rev);
        size_t full = lp.resp_len;
        for (size_t cut = 1; cut < full; cut++) {
                lp.resp_cut = cut;
                rev = (S2_NODE *)&a;
                ASSERT_ERRNO(Stub2_S2List(&binding, &a, &rev, &ret), -EBADMSG);
                ASSERT_NULL(rev);
        }
        lp.resp_cut = 0;
}

TEST(array_of_pointers_bytes) {
        static const uint8_t req[] = {
                0x02, 0, 0, 0,                  /* count */
                0x00, 0x00, 0x02, 0x00,         /* rows */
                0x02, 0, 0, 0,                  /* conformance */
                0x04, 0x00, 0x02, 0x00,         /* rows[0] */
                0x00, 0x00, 0x00, 0x00,         /* rows[1]: NULL */
                0x03, 0, 0, 0, 0x04, 0, 0, 0,   /* *rows[0] */
        };
        S2_PT p = { 3, 4 };
        S2_PT *rows[2] = { &p, NULL };
        S2_TABLE t = { 2, rows };
        LONG ret = 0;

        ASSERT_OK(Stub2_S2Table(&binding, &t, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 34 - 1);
        truncations(4);
}

/* --- varying arrays, counts -------------------------------------------------------------- */

TEST(first_is_length_is_bytes) {
        static const uint8_t req[] = {
                0x05, 0, 0, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0,    /* max, first, len */
                0x05, 0, 0, 0,                  /* max_count */
                0x01, 0, 0, 0, 0x02, 0, 0, 0,   /* offset, actual_count */
                0x14, 0, 0, 0, 0x1e, 0, 0, 0,   /* v[1], v[2] */
        };
        LONG v[5] = { 10, 20, 30, 40, 50 }, ret = 0;

        ASSERT_OK(Stub2_S2Window(&binding, 5, 1, 2, v, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 50);
        truncations(6);
        /* offset disagreeing with first */
        uint8_t bad[sizeof req];
        memcpy(bad, req, sizeof req);
        bad[16] = 0;
        struct ndr_push o;
        ndr_push_init(&o, 0);
        ASSERT_ERRNO(dispatch(&Stub2_v1_0_s_interface, 6, bad, sizeof bad, &o), -EBADMSG);
        /* first + length past the size: the client refuses to send it */
        ASSERT_ERRNO(Stub2_S2Window(&binding, 5, 4, 2, v, &ret), -EINVAL);
        ndr_push_free(&o);
}

TEST(max_is_bytes) {
        static const uint8_t req[] = {
                0x02, 0, 0, 0, 0x03, 0, 0, 0, 0x01, 0, 0x02, 0, 0x03, 0,
        };
        short v[3] = { 1, 2, 3 };
        LONG ret = 0;

        ASSERT_OK(Stub2_S2MaxIs(&binding, 2, v, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        ASSERT_EQ(ret, 6);
        truncations(7);
}

/*
 * An [in, out] conformant structure by one [ref] pointer (MIDL takes it): the same bytes
 * both ways, the conformance first.  The implementation may shrink the structure in
 * place, not grow it (the server stub allocated what came, the client's memory holds what
 * it sent): a larger count is refused on the server, and a response larger than the
 * request on the client, before anything is written to the caller's memory.
 */
TEST(inout_conformant_struct) {
        static const uint8_t req[] = {
                0xfe, 0xff, 0xff, 0xff,         /* grow = -2 */
                0x04, 0, 0, 0,                  /* the hoisted conformance */
                0x04, 0, 0, 0,                  /* tower_length */
                0x01, 0x02, 0x03, 0x04,
        };
        static const uint8_t resp[] = {
                0x02, 0, 0, 0, 0x02, 0, 0, 0, 0xfe, 0xfd, 0x00, 0x00,
                0x02, 0, 0, 0,                  /* return */
        };
        /* exactly FIELD_OFFSET(S2_TWR, tower_octet_string[5]): ASan sees a byte past it */
        S2_TWR *t = malloc(offsetof(S2_TWR, tower_octet_string) + 5);
        LONG ret = 0;

        ASSERT_NOT_NULL(t);
        t->tower_length = 4;
        memcpy(t->tower_octet_string, "\1\2\3\4\x55", 5);
        ASSERT_OK(Stub2_S2InOutConf(&binding, -2, t, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 2);
        ASSERT_EQ(t->tower_length, 2);
        ASSERT_EQ(t->tower_octet_string[1], 0xfd);
        ASSERT_EQ(t->tower_octet_string[4], 0x55);      /* past what came back: untouched */
        truncations(16);

        /* the implementation grows it: the server refuses to send past its memory */
        t->tower_length = 2;
        ASSERT_ERRNO(Stub2_S2InOutConf(&binding, 3, t, &ret), -EINVAL);
        ASSERT_ERRNO(lp.server_r, -EINVAL);

        /* a server sending back more than the client sent: refused, nothing written */
        static const uint8_t larger[] = {
                0x05, 0, 0, 0, 0x05, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x00, 0x00, 0x00,
                0x05, 0, 0, 0,
        };
        t->tower_length = 2;
        memcpy(t->tower_octet_string, "\1\2\3\4\x55", 5);
        lp.fake = larger;
        lp.fake_len = sizeof larger;
        ASSERT_ERRNO(Stub2_S2InOutConf(&binding, 0, t, &ret), -EBADMSG);
        ASSERT_EQ(t->tower_length, 2);
        ASSERT_EQ(t->tower_octet_string[0], 1);
        ASSERT_EQ(t->tower_octet_string[2], 3);
        /* a response whose structure came but not what follows it: the caller's structure
           is copied into only when all of the response came */
        static const uint8_t cut[] = { 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0xaa, 0x00, 0x00, 0x00 };
        lp.fake = cut;
        lp.fake_len = sizeof cut;
        ASSERT_ERRNO(Stub2_S2InOutConf(&binding, 0, t, &ret), -EBADMSG);
        lp.fake = NULL;
        ASSERT_EQ(t->tower_length, 2);
        ASSERT_EQ(t->tower_octet_string[0], 1);
        free(t);
}

TEST(count_through_inout_pointer) {
        static const uint8_t resp[] = {
                0x03, 0, 0, 0,                  /* *pn */
                0x03, 0, 0, 0, 0x00, 0x01, 0x02,        /* buf */
        };
        ULONG n = 3;
        BYTE buf[3];

        grow_by = 0;
        ASSERT_OK(Stub2_S2Grow(&binding, &n, buf));
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(n, 3);
        ASSERT_EQ(buf[2], 2);
        /* the implementation grows the count past what the stub allocated: refused */
        grow_by = 100;
        ASSERT_ERRNO(Stub2_S2Grow(&binding, &n, buf), -EINVAL);
        ASSERT_ERRNO(lp.server_r, -EINVAL);
        grow_by = 0;
}

TEST(sized_string_out) {
        static const uint8_t resp[] = {
                0x08, 0, 0, 0,                  /* max_count = n */
                0x00, 0, 0, 0, 0x06, 0, 0, 0,   /* offset, actual_count */
                'h', 'e', 'l', 'l', 'o', 0,
        };
        char buf[8];

        ASSERT_OK(Stub2_S2Sized(&binding, 8, buf));
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_STR_EQ(buf, "hello");
        ASSERT_OK(Stub2_S2Sized(&binding, 3, buf));
        ASSERT_STR_EQ(buf, "he");
}

TEST(pointer_to_counted_array) {
        static const uint8_t resp[] = {
                0x03, 0, 0, 0,                  /* *got */
                0x00, 0x00, 0x02, 0x00,         /* *data */
                0x03, 0, 0, 0, 0xa0, 0xa1, 0xa2,
        };
        ULONG got = 0;
        BYTE *data = NULL;

        ASSERT_OK(Stub2_S2Inner(&binding, 3, &got, &data));
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(got, 3);
        ASSERT_EQ(data[2], 0xa2);
        midl_user_free(data);
        ASSERT_OK(Stub2_S2Inner(&binding, 0, &got, &data));
        ASSERT_NULL(data);
        for (size_t cut = 1; cut < sizeof resp; cut++) {
                ASSERT_OK(Stub2_S2Inner(&binding, 3, &got, &data));
                midl_user_free(data);
                lp.resp_cut = cut;
                ASSERT_ERRNO(Stub2_S2Inner(&binding, 3, &got, &data), -EBADMSG);
                ASSERT_NULL(data);
                lp.resp_cut = 0;
        }
}

TEST(counted_strings) {
        WCHAR ab[] = { 'a', 'b' }, cde[] = { 'c', 'd', 'e', 'x' };
        S2_USTR names[2] = { { 4, 4, ab }, { 6, 8, cde } };
        S2_USTR joined = { 0 };
        LONG ret = 0;

        ASSERT_OK(Stub2_S2Strings(&binding, 2, names, &joined, &ret));
        ASSERT_EQ(ret, 5);
        ASSERT_EQ(joined.Length, 10);
        ASSERT_EQ(joined.MaximumLength, 12);
        ASSERT_EQ(joined.Buffer[0], 'a');
        ASSERT_EQ(joined.Buffer[4], 'e');
        midl_user_free(joined.Buffer);
        truncations(10);
        /* Length beyond MaximumLength: the client refuses to send it */
        names[0].Length = 6;
        ASSERT_ERRNO(Stub2_S2Strings(&binding, 2, names, &joined, &ret), -EINVAL);
}

TEST(named_fixed_members) {
        S2_NAMED n = { .id = { 1, 2, 3, { 4, 5, 6, 7, 8, 9, 10, 11 } },
                       .when = { 0x10, 0x20 },
                       .label = "abc",
                       .first = 2, .n = 3,
                       .window = { 0, 0, 7, 8, 9, 0 } };
        S2_NAMED back;
        LONG ret = 0;

        memset(&back, 0, sizeof back);
        ASSERT_OK(Stub2_S2Named(&binding, &n, &back, &ret));
        ASSERT_EQ(ret, 3);
        ASSERT_TRUE(memcmp(&back.id, &n.id, sizeof n.id) == 0);
        ASSERT_EQ(back.when.dwLowDateTime, 0x11);
        ASSERT_EQ(back.when.dwHighDateTime, 0x20);
        ASSERT_STR_EQ(back.label, "Lbc");
        ASSERT_EQ(back.window[2], 14);
        ASSERT_EQ(back.window[4], 18);
        ASSERT_EQ(back.window[5], 0);
        truncations(3);
        /* a label without room for its NUL is the caller's error */
        memcpy(n.label, "12345678", 8);
        ASSERT_ERRNO(Stub2_S2Named(&binding, &n, &back, &ret), -EINVAL);
}

/* --- interface pointers, [wire_marshal], the second interface ----------------------------- */

TEST(interface_pointers) {
        static const GUID iid = { 0x11223344, 0, 0, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
        void *back = NULL;
        LONG ret = 0;

        /* without the COM layer's hooks, interface pointers cannot travel */
        ndr_set_iface_hooks(NULL);
        ASSERT_ERRNO(Stub2_S2Iface(&binding, &iid, (void *)5, &back, &ret), -EOPNOTSUPP);
        ndr_set_iface_hooks(&hooks);
        ASSERT_OK(Stub2_S2Iface(&binding, &iid, (void *)5, &back, &ret));
        ASSERT_EQ(ret, 0x11223344);
        ASSERT_EQ((uintptr_t)back, 6);
        /* MInterfacePointer: [unique] ID, conformance, ulCntData, the OBJREF bytes */
        static const uint8_t tail[] = {
                0x00, 0x00, 0x02, 0x00, 0x08, 0, 0, 0, 0x08, 0, 0, 0, 'O', 'B', 'J', 5,
                0x44, 0x33, 0x22, 0x11,
        };
        ASSERT_GE(lp.req_len, sizeof tail);
        ASSERT_MEM_EQ(lp.req + lp.req_len - sizeof tail, tail, sizeof tail);
        ASSERT_OK(Stub2_S2Iface(&binding, &iid, NULL, &back, &ret));
        ASSERT_EQ((uintptr_t)back, 1);
        truncations(11);
        ndr_set_iface_hooks(NULL);
}

TEST(wire_marshal) {
        S2_BLOB back = NULL;
        LONG ret = 0;

        ASSERT_ERRNO(Stub2_S2Blob(&binding, (S2_BLOB)21, &back, &ret), -EOPNOTSUPP);
        ASSERT_OK(ndr_user_marshal_register(&blob_um));
        ASSERT_OK(Stub2_S2Blob(&binding, (S2_BLOB)21, &back, &ret));
        ASSERT_EQ((uintptr_t)back, 42);
        ASSERT_EQ(ret, 7);
        static const uint8_t req[] = { 21, 0, 0, 0 };
        EXPECT_BYTES(lp.req, lp.req_len, req);
}

TEST(ignore_members) {
        S2_IGN in = { 5, &in, NULL, -3 }, back;
        LONG ret = -9;

        memset(&back, 0xcc, sizeof back);
        ASSERT_OK(Stub2_S2Ignore(&binding, &in, &back, &ret));
        ASSERT_EQ(ret, 0);
        ASSERT_EQ(back.a, 6);
        ASSERT_EQ(back.b, -2);
        ASSERT_NULL(back.reserved);
        ASSERT_TRUE(back.callback == NULL);
        /* a short, two zero slots (4-aligned), a short */
        static const uint8_t req[] = { 5, 0, 0xbf, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0xff };
        ASSERT_EQ(lp.req_len, sizeof req);
        ASSERT_MEM_EQ(lp.req, req, 2);
        ASSERT_MEM_EQ(lp.req + 4, req + 4, sizeof req - 4);
        truncations(13);
}

TEST(wire_marshal_pointer_alignment) {
        S2_PT pt = { 10, 20 };
        S2_HOLDER h = { 3, &pt };
        LONG ret = 0;

        ASSERT_OK(ndr_user_marshal_register(&upt_um));
        ASSERT_OK(Stub2_S2Holder(&binding, &h, &ret));
        ASSERT_EQ(ret, 33);
        /* the holder 4-aligned as its pointer (not 8): short, pad, ID, then x and y */
        ASSERT_EQ(lp.req_len, 16);
        ASSERT_EQ(lp.req[8], 10);
        ASSERT_EQ(lp.req[12], 20);
        h.p = NULL;
        ASSERT_OK(Stub2_S2Holder(&binding, &h, &ret));
        ASSERT_EQ(ret, -1);
        ASSERT_EQ(lp.req_len, 8);
}

/*
 * A nameless union switched by the member after it (TYPEDESC's): on the wire the
 * discriminant leads the union ([C706] 14.3.8), so the receiver takes the arm from it
 * and checks vt once vt is pulled; the arm's pointer is a referent deferred past vt.
 */
TEST(nameless_union_switched_later) {
        static const uint8_t req[] = {
                0x1a, 0x00, 0x00, 0x00,         /* discriminant 26 (VT_PTR), pad */
                0x00, 0x00, 0x02, 0x00,         /* inner: [unique] referent ID */
                0x1a, 0x00,                     /* vt */
                0x00, 0x00,                     /* pad to the referent's 4 */
                0x1d, 0x00, 0x00, 0x00,         /* discriminant 29 (VT_USERDEFINED), pad */
                0x34, 0x12, 0x00, 0x00,         /* href */
                0x1d, 0x00,                     /* vt */
        };
        static const uint8_t resp[] = {
                0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x1a, 0x00, 0x00, 0x00,
                0x1d, 0x00, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00, 0x1d, 0x00,
                0x00, 0x00, 0x02, 0x00, 0x00, 0x00,     /* pad, return 2 */
        };
        S2_TD leaf = { .href = 0x1234, .vt = 29 }, top = { .inner = &leaf, .vt = 26 }, back;
        LONG ret = 0;

        memset(&back, 0, sizeof back);
        ASSERT_OK(Stub2_S2Td(&binding, &top, &back, &ret));
        EXPECT_BYTES(lp.req, lp.req_len, req);
        EXPECT_BYTES(lp.resp, lp.resp_len, resp);
        ASSERT_EQ(ret, 2);
        ASSERT_EQ(back.vt, 26);
        ASSERT_NOT_NULL(back.inner);
        ASSERT_EQ(back.inner->vt, 29);
        ASSERT_EQ(back.inner->href, 0x1234u);
        midl_user_free(back.inner);
        truncations(15);

        /* the default arm: no more than the discriminant and vt */
        S2_TD plain = { .vt = 3 };
        ASSERT_OK(Stub2_S2Td(&binding, &plain, &back, &ret));
        static const uint8_t req_plain[] = { 0x03, 0x00, 0x03, 0x00 };
        EXPECT_BYTES(lp.req, lp.req_len, req_plain);
        ASSERT_EQ(ret, 1);
        ASSERT_EQ(back.vt, 3);

        /* a discriminant vt then contradicts: refused, the implementation never runs */
        struct ndr_push o;
        static const uint8_t liar[] = { 0x1d, 0x00, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00,
                                        0x1a, 0x00 };
        calls = 0;
        ndr_push_init(&o, 0);
        ASSERT_ERRNO(dispatch(&Stub2_v1_0_s_interface, 15, liar, sizeof liar, &o), -EBADMSG);
        ndr_push_free(&o);
        ASSERT_EQ(calls, 0);
        /* a chain deeper than the pull's nesting guard: refused */
        uint8_t deep[12 * 80 + 4], *w = deep;
        for (int i = 0; i < 80; i++) {
                static const uint8_t link[] = { 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
                                                0x1a, 0x00, 0x00, 0x00 };
                memcpy(w, link, sizeof link);
                w[6] = (uint8_t)(2 + i);        /* distinct referent IDs */
                w += sizeof link;
        }
        memcpy(w, "\x03\x00\x03\x00", 4);
        ndr_push_init(&o, 0);
        ASSERT_TRUE(dispatch(&Stub2_v1_0_s_interface, 15, deep, sizeof deep, &o) < 0);
        ndr_push_free(&o);
        ASSERT_EQ(calls, 0);
}

TEST(second_interface) {
        LONG ret = 0;

        ASSERT_OK(Stub2b_S2bPing(&binding, 9, &ret));
        ASSERT_EQ(ret, -9);
        ASSERT_EQ(Stub2b_v2_0_s_interface.n_ops, 1);
        ASSERT_EQ(Stub2_v1_0_s_interface.n_ops, 17);
        ASSERT_STR_EQ(Stub2_v1_0_s_interface.ops[12].name, "S2Blob");
        struct ndr_push o;
        ndr_push_init(&o, 0);
        ASSERT_ERRNO(dispatch(&Stub2b_v2_0_s_interface, 1, NULL, 0, &o), -EOPNOTSUPP);
        ndr_push_free(&o);
}

/* --- out of memory --------------------------------------------------------------------- */

static int list_and_tower_once(void *ctx) {
        S2_NODE c = { 3, NULL }, b = { 2, &c }, a = { 1, &b };
        S2_NODE *rev = NULL;
        S2_TWR in = { 1, { 7 } }, *out = NULL;
        LONG ret;
        int r = Stub2_S2List(&binding, &a, &rev, &ret);

        (void)ctx;
        if (r < 0) {
                ASSERT_NULL(rev);
                return r;
        }
        while (rev) {
                S2_NODE *n = rev->next;
                midl_user_free(rev);
                rev = n;
        }
        r = Stub2_S2Tower(&binding, &in, &out, &ret);
        if (r < 0) {
                ASSERT_NULL(out);
                return r;
        }
        midl_user_free(out);
        return 0;
}

TEST(out_of_memory) {
        unsigned points = ASSERT_OOM_LOOP(list_and_tower_once, NULL, NULL);
        ASSERT_GT(points, 5);
}
