/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Samba side of bench-idl.c (see bench-idl-pidl.h): samr_EnumDomainUsers' NDR_OUT
 * pushed and pulled with the functions pidl generated into libndr-standard, reached
 * through the public interface table (ndr_table_samr.calls[opnum]), with talloc memory,
 * the way Samba's own RPC client and server use them.  Compiled only when Debian's
 * samba-dev is installed (bench/meson.build).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>
#include <ndr.h>
#include <charset.h>
#include <gen_ndr/ndr_samr.h>

#include "bench-idl-pidl.h"

/* A talloc context itself: the source data and the stored stub are its children. */
struct pidl_bench {
        const struct ndr_interface_call *call;
        uint32_t resume, num_entries;
        struct samr_SamArray array;
        struct samr_SamArray *sam;
        struct samr_EnumDomainUsers r;  /* its out part points at the fields above */
        DATA_BLOB wire;
};

/* Pushes p->r as NDR_OUT into a new ndr_push under mem; *ret_blob lives there too. */
static int push_out(struct pidl_bench *p, TALLOC_CTX *mem, DATA_BLOB *ret_blob) {
        struct ndr_push *push = ndr_push_init_ctx(mem);

        if (!push)
                return -ENOMEM;
        if (!NDR_ERR_CODE_IS_SUCCESS(p->call->ndr_push(push, NDR_OUT, &p->r)))
                return -EBADMSG;
        *ret_blob = ndr_push_blob(push);
        return 0;
}

/* Pulls blob as NDR_OUT into a new structure under mem (the [ref] pointers allocated). */
static int pull_out(struct pidl_bench *p, TALLOC_CTX *mem, const DATA_BLOB *blob,
                    struct samr_EnumDomainUsers **ret) {
        struct samr_EnumDomainUsers *r = talloc_zero(mem, struct samr_EnumDomainUsers);
        struct ndr_pull *pull = ndr_pull_init_blob(blob, mem);

        if (!r || !pull)
                return -ENOMEM;
        pull->flags |= LIBNDR_FLAG_REF_ALLOC;
        if (!NDR_ERR_CODE_IS_SUCCESS(p->call->ndr_pull(pull, NDR_OUT, r)))
                return -EBADMSG;
        if (pull->offset != blob->length)
                return -EBADMSG;
        *ret = r;
        return 0;
}

struct pidl_bench *pidl_bench_new(uint32_t n, const uint32_t *rids, const char *const *names) {
        struct pidl_bench *p = talloc_zero(NULL, struct pidl_bench);

        if (!p)
                return NULL;
        p->call = &ndr_table_samr.calls[NDR_SAMR_ENUMDOMAINUSERS];
        p->array.count = n;
        p->array.entries = talloc_zero_array(p, struct samr_SamEntry, n ? n : 1);
        if (!p->array.entries)
                goto fail;
        for (uint32_t i = 0; i < n; i++) {
                size_t len = strlen(names[i]);

                p->array.entries[i].idx = rids[i];
                p->array.entries[i].name.string = talloc_strdup(p, names[i]);
                /* [value(2*strlen_m(string))]: pidl recomputes both on push anyway */
                p->array.entries[i].name.length = (uint16_t)(2 * len);
                p->array.entries[i].name.size = (uint16_t)(2 * len);
                if (!p->array.entries[i].name.string)
                        goto fail;
        }
        p->num_entries = n;
        p->sam = &p->array;
        p->r.out.resume_handle = &p->resume;
        p->r.out.sam = &p->sam;
        p->r.out.num_entries = &p->num_entries;
        p->r.out.result = NT_STATUS_OK;
        if (push_out(p, p, &p->wire) < 0)
                goto fail;
        return p;
fail:
        talloc_free(p);
        return NULL;
}

void pidl_bench_free(struct pidl_bench *p) {
        talloc_free(p);
}

void pidl_bench_wire(const struct pidl_bench *p, const uint8_t **ret_data, size_t *ret_len) {
        *ret_data = p->wire.data;
        *ret_len = p->wire.length;
}

int pidl_bench_push(struct pidl_bench *p) {
        TALLOC_CTX *mem = talloc_new(NULL);
        DATA_BLOB blob;
        int r;

        if (!mem)
                return -ENOMEM;
        r = push_out(p, mem, &blob);
        talloc_free(mem);
        return r;
}

int pidl_bench_pull(struct pidl_bench *p) {
        TALLOC_CTX *mem = talloc_new(NULL);
        struct samr_EnumDomainUsers *out;
        int r;

        if (!mem)
                return -ENOMEM;
        r = pull_out(p, mem, &p->wire, &out);
        talloc_free(mem);
        return r;
}

int pidl_bench_pushpull(struct pidl_bench *p) {
        TALLOC_CTX *mem = talloc_new(NULL);
        struct samr_EnumDomainUsers *out;
        DATA_BLOB blob;
        int r;

        if (!mem)
                return -ENOMEM;
        r = push_out(p, mem, &blob);
        if (r >= 0)
                r = pull_out(p, mem, &blob, &out);
        talloc_free(mem);
        return r;
}

int pidl_bench_check(struct pidl_bench *p) {
        TALLOC_CTX *mem = talloc_new(NULL);
        struct samr_EnumDomainUsers *out;
        const struct samr_SamArray *a;
        int r;

        if (!mem)
                return -ENOMEM;
        r = pull_out(p, mem, &p->wire, &out);
        if (r < 0)
                goto out;
        r = -EPROTO;
        a = *out->out.sam;
        if (!a || a->count != p->array.count || *out->out.num_entries != p->num_entries ||
            *out->out.resume_handle != p->resume || !NT_STATUS_IS_OK(out->out.result))
                goto out;
        for (uint32_t i = 0; i < a->count; i++) {
                const struct samr_SamEntry *e = &a->entries[i], *want = &p->array.entries[i];

                if (e->idx != want->idx || e->name.length != want->name.length ||
                    e->name.size != want->name.size || !e->name.string ||
                    strcmp(e->name.string, want->name.string) != 0)
                        goto out;
        }
        r = 0;
out:
        talloc_free(mem);
        return r;
}

int pidl_bench_charset(struct pidl_bench *p) {
        TALLOC_CTX *mem = talloc_new(NULL);
        int r = 0;

        if (!mem)
                return -ENOMEM;
        for (uint32_t i = 0; i < p->array.count; i++) {
                const char *s = p->array.entries[i].name.string;
                uint16_t utf16[256];
                size_t n16, n8;
                char *back;

                if (!convert_string(CH_UTF8, CH_UTF16LE, s, strlen(s), utf16, sizeof utf16, &n16) ||
                    !convert_string_talloc(mem, CH_UTF16LE, CH_UTF8, utf16, n16, &back, &n8)) {
                        r = -EBADMSG;
                        break;
                }
        }
        talloc_free(mem);
        return r;
}
