/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registry lookups, as COM activation does them: the default value of
 * HKCR\CLSID\{clsid}\LocalServer32 through the merged HKEY_CLASSES_ROOT view (a user
 * hive and the machine hive, 500 registered classes).  "warm": hives already open;
 * "cold": hives closed before each lookup, so every sample opens both databases,
 * checks the schema and reads the value -- what a freshly started process pays.
 * Ratios are against the Unix-socket floor measured in the same run: a warm lookup
 * should cost a fraction of one local round trip.  State lives in a private
 * OPENDCOM_ROOT that is removed at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dcom/winreg.h>

#include "bench.h"
#include "registry/registry-internal.h"

#define CLASSES 500

static const WCHAR target[] = u"CLSID\\{0000BEEF-0000-0000-C000-000000000250}\\LocalServer32";

static int lookup(void *ctx, uint64_t n) {
        WCHAR buf[128];

        (void)ctx;
        for (uint64_t i = 0; i < n; i++) {
                DWORD size = sizeof buf;
                if (RegGetValueW(HKEY_CLASSES_ROOT, target, NULL, RRF_RT_REG_SZ, NULL, buf, &size))
                        return -EIO;
        }
        return 0;
}

static int cold_lookup(void *ctx, uint64_t n) {
        for (uint64_t i = 0; i < n; i++) {
                hive_close_all();
                if (lookup(ctx, 1) < 0)
                        return -EIO;
        }
        return 0;
}

static int populate(void) {
        WCHAR path[128];
        static const WCHAR fmt[] = u"Software\\Classes\\CLSID\\{0000BEEF-0000-0000-C000-000000000000}\\LocalServer32";
        static const WCHAR exe[] = u"/usr/lib/opendcom/server --activate";

        if (dcom_reg_begin())
                return -EIO;
        for (unsigned i = 0; i < CLASSES; i++) {
                HKEY k;
                memcpy(path, fmt, sizeof fmt);
                path[57] = (WCHAR)('0' + i / 100);
                path[58] = (WCHAR)('0' + i / 10 % 10);
                path[59] = (WCHAR)('0' + i % 10);
                if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL) ||
                    RegSetValueExW(k, NULL, 0, REG_SZ, (const BYTE *)exe, sizeof exe)) {
                        dcom_reg_rollback();
                        return -EIO;
                }
                RegCloseKey(k);
        }
        return dcom_reg_commit() ? -EIO : 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(p);
}

int main(int argc, char **argv) {
        struct bench *b = bench_new(argc, argv, "registry: HKCR\\CLSID\\{clsid}\\LocalServer32 lookups");
        char root[] = "/tmp/dcom-bench-reg-XXXXXX";
        int r;

        bench_floor_unix(b, 64, NULL);
        if (!mkdtemp(root)) {
                perror("bench-registry: mkdtemp");
                return 1;
        }
        setenv("OPENDCOM_ROOT", root, 1);
        r = populate();
        if (r < 0)
                fprintf(stderr, "bench-registry: cannot populate the registry in %s\n", root);
        else {
                bench_run(b, &(struct bench_spec){ .name = "reg-hkcr-warm", .fn = lookup,
                                                   .baseline = "floor-unix-64B" }, NULL);
                bench_run(b, &(struct bench_spec){ .name = "reg-hkcr-cold", .fn = cold_lookup,
                                                   .batch = 1, .baseline = "floor-unix-64B" }, NULL);
        }
        hive_close_all();
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return r < 0 ? 1 : bench_finish(b);
}
