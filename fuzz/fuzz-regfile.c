/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The .reg parser (src/registry/regfile.c), no registry involved: any input either
 * parses or is refused with one "fuzz.reg:LINE: problem" line.  What parses is written
 * back (version 5 always works; REGEDIT4 may refuse data it cannot hold) and must parse
 * to the same operations, and writing that again must give the same bytes.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "registry/regfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_ops(const struct regfile *a, const struct regfile *b) {
        if (a->n_ops != b->n_ops)
                return false;
        for (size_t i = 0; i < a->n_ops; i++) {
                const struct regfile_op *x = &a->ops[i], *y = &b->ops[i];
                if (x->kind != y->kind || x->root != y->root || x->path_len != y->path_len ||
                    memcmp(x->path, y->path, x->path_len * sizeof(WCHAR)) != 0)
                        return false;
                if (x->kind == REGFILE_KEY || x->kind == REGFILE_DELETE_KEY)
                        continue;
                if (x->name_len != y->name_len ||
                    memcmp(x->name, y->name, x->name_len * sizeof(WCHAR)) != 0)
                        return false;
                if (x->kind == REGFILE_SET_VALUE &&
                    (x->type != y->type || x->size != y->size ||
                     (x->size && memcmp(x->data, y->data, x->size) != 0)))
                        return false;
        }
        return true;
}

static void check_error(const char *err) {
        assert(err);
        assert(strncmp(err, "fuzz.reg:", 9) == 0);
        assert(!strchr(err, '\n'));
}

static void round_trip(const struct regfile *f, enum regfile_format fmt) {
        struct buf out, again;
        struct regfile *g = NULL;
        char *err = NULL;
        int r;

        buf_init(&out, 0);
        buf_init(&again, 0);
        r = regfile_write(f, fmt, &out, &err);
        if (r == -EINVAL && fmt == REGFILE_V4) {
                assert(err);
                dcom_free(err);
                goto out;
        }
        if (r < 0)
                fprintf(stderr, "write failed: %d %s\n", r, err ? err : "");
        assert(r == 0);
        r = regfile_parse(out.data, out.len, "fuzz.reg", &g, &err);
        if (r < 0)
                fprintf(stderr, "re-parse failed: %s\n", err ? err : "");
        assert(r == 0);
        assert(g->format == fmt);
        assert(same_ops(f, g));
        r = regfile_write(g, fmt, &again, &err);
        assert(r == 0);
        assert(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
        regfile_free(g);
out:
        buf_free(&out);
        buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct regfile *f = NULL;
        char *err = NULL;
        int r;

        r = regfile_parse(data, size, "fuzz.reg", &f, &err);
        if (r < 0) {
                assert(r == -EBADMSG);
                assert(!f);
                check_error(err);
                dcom_free(err);
                return 0;
        }
        assert(!err);
        round_trip(f, REGFILE_V5);
        round_trip(f, REGFILE_V4);
        regfile_free(f);
        return 0;
}
