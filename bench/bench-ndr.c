/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NDR marshaling throughput.  (a) A 1 MiB conformant byte array pushed, pulled (into
 * the arena), and both, each against memcpy of 1 MiB measured in the same run: bulk
 * bytes must move at memcpy speed (one copy per direction), so push or pull alone
 * should be near 1x and push+pull near 2x (near 1x when the pull is zero-copy,
 * ndr_pull_bytes_ref()).  (b) 10,000 small structures, each with a
 * [unique, string] wide-string name (ITEM_LIST of ndr-sample.h), pushed and pulled:
 * the per-element cost of the generated-style code, printed in ns per element, and
 * the ratio against the Unix-socket floor (how many such arrays fit in one local
 * round trip).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ndr-sample.h"

#define BYTES (1024 * 1024)
#define ITEMS 10000

struct ctx {
        struct ndr_push push;
        struct arena arena;
        uint8_t *bytes;
        struct ndr_sample_list list;
        uint8_t *wire;          /* the pushed form, for the pull entries */
        size_t wire_len;
};

static int push_bytes(void *p, uint64_t n) {
        struct ctx *c = p;

        for (uint64_t i = 0; i < n; i++) {
                ndr_push_reset(&c->push);
                if (ndr_push_conformant_bytes(&c->push, c->bytes, BYTES) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int pull_wire(struct ctx *c, bool items) {
        struct ndr_pull pull;
        struct ndr_sample_list out;
        uint8_t *p;
        uint32_t len;
        int r;

        arena_reset(&c->arena);
        r = ndr_pull_init(&pull, c->wire, c->wire_len, NULL, &c->arena);
        if (r < 0)
                return r;
        if (items)
                return ndr_pull_sample_list(&pull, NDR_SCALARS | NDR_BUFFERS, &out);
        return ndr_pull_conformant_bytes(&pull, &p, &len);
}

static int pull_bytes(void *p, uint64_t n) {
        for (uint64_t i = 0; i < n; i++) {
                int r = pull_wire(p, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int push_pull_bytes(void *p, uint64_t n) {
        struct ctx *c = p;
        struct ndr_pull pull;
        uint8_t *out;
        uint32_t len;

        for (uint64_t i = 0; i < n; i++) {
                ndr_push_reset(&c->push);
                if (ndr_push_conformant_bytes(&c->push, c->bytes, BYTES) < 0)
                        return -ENOMEM;
                arena_reset(&c->arena);
                ndr_pull_init(&pull, c->push.buf.data, c->push.buf.len, NULL, &c->arena);
                if (ndr_pull_conformant_bytes(&pull, &out, &len) < 0)
                        return -EBADMSG;
        }
        return 0;
}

/* The same with a zero-copy pull (the bytes stay in the stub buffer): one copy in all. */
static int push_pull_bytes_ref(void *p, uint64_t n) {
        struct ctx *c = p;
        struct ndr_pull pull;
        const uint8_t *out;
        uint32_t len;

        for (uint64_t i = 0; i < n; i++) {
                ndr_push_reset(&c->push);
                if (ndr_push_conformant_bytes(&c->push, c->bytes, BYTES) < 0)
                        return -ENOMEM;
                ndr_pull_init(&pull, c->push.buf.data, c->push.buf.len, NULL, &c->arena);
                if (ndr_pull_conformance(&pull, &len) < 0 || ndr_pull_bytes_ref(&pull, len, &out) < 0)
                        return -EBADMSG;
        }
        return 0;
}

static int push_items(void *p, uint64_t n) {
        struct ctx *c = p;

        for (uint64_t i = 0; i < n; i++) {
                ndr_push_reset(&c->push);
                if (ndr_push_sample_list(&c->push, NDR_SCALARS | NDR_BUFFERS, &c->list) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int pull_items(void *p, uint64_t n) {
        for (uint64_t i = 0; i < n; i++) {
                int r = pull_wire(p, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int snapshot(struct ctx *c) {
        dcom_free(c->wire);
        c->wire = dcom_memdup(c->push.buf.data, c->push.buf.len);
        c->wire_len = c->push.buf.len;
        return c->wire ? 0 : -ENOMEM;
}

static void per_element(const struct bench_result *r) {
        if (r)
                printf("  %-28s %.1f ns per element\n", r->name, r->median_ns / ITEMS);
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv, "NDR 2.0 push/pull: bulk bytes and small structures");
        const struct bench_result *res;
        static uint16_t names[ITEMS][12];
        struct ctx c = { 0 };
        int r = 0;

        bench_floor_unix(b, 64, NULL);
        bench_memcpy(b, BYTES, NULL);

        ndr_push_init(&c.push, 0);
        arena_init(&c.arena, 0);
        c.bytes = dcom_malloc(BYTES);
        c.list.items = dcom_calloc(ITEMS, sizeof *c.list.items);
        if (!c.bytes || !c.list.items) {
                fprintf(stderr, "bench-ndr: out of memory\n");
                return 1;
        }
        for (size_t i = 0; i < BYTES; i++)
                c.bytes[i] = (uint8_t)(i * 7);
        c.list.count = ITEMS;
        for (uint32_t i = 0; i < ITEMS; i++) {
                char s[12];
                snprintf(s, sizeof s, "item-%05u", i);
                for (size_t k = 0; k <= strlen(s); k++)
                        names[i][k] = (uint16_t)s[k];
                c.list.items[i] = (struct ndr_sample_item){ i, names[i] };
        }

        /* (a) 1 MiB of bytes against memcpy-1MiB. */
        if ((r = push_bytes(&c, 1)) < 0 || (r = snapshot(&c)) < 0)
                goto out;
        bench_run(b, &(struct bench_spec){ .name = "ndr-push-bytes-1MiB", .fn = push_bytes, .ctx = &c,
                                           .bytes = BYTES, .baseline = "memcpy-1MiB" }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "ndr-pull-bytes-1MiB", .fn = pull_bytes, .ctx = &c,
                                           .bytes = BYTES, .baseline = "memcpy-1MiB" }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "ndr-pushpull-bytes-1MiB", .fn = push_pull_bytes,
                                           .ctx = &c, .bytes = BYTES, .baseline = "memcpy-1MiB" }, NULL);
        bench_run(b, &(struct bench_spec){ .name = "ndr-pushpull-ref-1MiB", .fn = push_pull_bytes_ref,
                                           .ctx = &c, .bytes = BYTES, .baseline = "memcpy-1MiB" }, NULL);

        /* (b) 10,000 ITEMs with a unique-pointer wide string each. */
        if ((r = push_items(&c, 1)) < 0 || (r = snapshot(&c)) < 0)
                goto out;
        bench_run(b, &(struct bench_spec){ .name = "ndr-push-items-10k", .fn = push_items, .ctx = &c,
                                           .bytes = c.wire_len, .baseline = "floor-unix-64B" }, &res);
        per_element(res);
        bench_run(b, &(struct bench_spec){ .name = "ndr-pull-items-10k", .fn = pull_items, .ctx = &c,
                                           .bytes = c.wire_len, .baseline = "floor-unix-64B" }, &res);
        per_element(res);
out:
        if (r < 0)
                fprintf(stderr, "bench-ndr: setup failed: %s\n", strerror(-r));
        arena_done(&c.arena);
        ndr_push_free(&c.push);
        dcom_free(c.wire);
        dcom_free(c.bytes);
        dcom_free(c.list.items);
        int status = bench_finish(b);
        return r < 0 ? 1 : status;
}
