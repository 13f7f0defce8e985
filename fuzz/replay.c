/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stand-in for libFuzzer's driver: feeds every file named on the command line (or in
 * a directory named there) to LLVMFuzzerTestOneInput once.  Crashes and sanitizer
 * reports fail the test as they would fail the fuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        FILE *f = fopen(path, "rb");
        uint8_t *data = NULL;
        size_t size = 0, cap = 0;

        if (!f) {
                fprintf(stderr, "replay: cannot open %s\n", path);
                return -1;
        }
        for (;;) {
                if (size == cap) {
                        cap = cap ? cap * 2 : 4096;
                        uint8_t *p = realloc(data, cap);
                        if (!p) {
                                fclose(f);
                                free(data);
                                return -1;
                        }
                        data = p;
                }
                size_t n = fread(data + size, 1, cap - size, f);
                if (n == 0)
                        break;
                size += n;
        }
        fclose(f);
        /* An exact-size copy, so ASan catches reads one past the input. */
        uint8_t *exact = malloc(size ? size : 1);
        if (!exact) {
                free(data);
                return -1;
        }
        memcpy(exact, data, size);
        free(data);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
        return 0;
}

int main(int argc, char **argv) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: not found\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        n++;
                        continue;
                }
                struct dirent **list;
                int m = scandir(argv[i], &list, NULL, alphasort);
                if (m < 0) {
                        fprintf(stderr, "replay: cannot read %s\n", argv[i]);
                        return 1;
                }
                for (int k = 0; k < m; k++) {
                        char path[4096];
                        if (list[k]->d_name[0] != '.') {
                                snprintf(path, sizeof path, "%s/%s", argv[i], list[k]->d_name);
                                if (run_file(path) < 0)
                                        return 1;
                                n++;
                        }
                        free(list[k]);
                }
                free(list);
        }
        printf("replayed %u inputs\n", n);
        if (n == 0) {
                fprintf(stderr, "replay: no inputs\n");
                return 1;
        }
        return 0;
}
