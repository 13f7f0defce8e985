/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcomerr: what a status code means, like Windows' err.exe.  Each argument is a code --
 * hex (0x800706BA, or bare hex digits with a letter in them), decimal (1722), negative
 * decimal as HRESULTs are often printed (-2147023174) -- or a name (RPC_S_SERVER_UNAVAILABLE,
 * nca_s_op_rng_error, HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)).  Every reading of a code
 * is printed, one line each: as an HRESULT, as a Win32 code together with its HRESULT
 * form, and as a DCE fault status.  Uses only libdcom's public API.
 *
 * Exit status: 0 all arguments known, 1 some unknown, 2 bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dcom/status.h>

#include "base/version.h"      /* OPENDCOM_VERSION only: a macro, no internal API */

#define HRESULT_FROM_WIN32_PREFIX "HRESULT_FROM_WIN32("

static void usage(FILE *f) {
        fputs("Usage: dcomerr CODE|NAME...\n"
              "Print the name and message of HRESULTs, Win32 error codes and DCE RPC fault\n"
              "statuses, like Windows' err.exe.\n"
              "\n"
              "  CODE   0x800706BA (hex), 800706ba (hex digits with a letter), 1722 (decimal),\n"
              "         -2147023174 (an HRESULT as a signed decimal)\n"
              "  NAME   RPC_S_SERVER_UNAVAILABLE, E_ACCESSDENIED, nca_s_op_rng_error,\n"
              "         HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND); exact case first, then any case\n"
              "\n"
              "  -h, --help     show this help\n"
              "      --version  show the version\n"
              "  --             what follows is a code or name, even if it starts with '-'\n"
              "\n"
              "Examples:\n"
              "  dcomerr 0x800706BA\n"
              "  dcomerr RPC_S_SERVER_UNAVAILABLE 5 -- -2147024891\n"
              "\n"
              "Exit status: 0 all known, 1 some code or name unknown, 2 bad usage.\n"
              "See dcomerr(1).\n",
              f);
}

static bool all_hex(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isxdigit((unsigned char)*s))
                        return false;
        return true;
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return false;
        return true;
}

enum parse_result { PARSE_NAME, PARSE_NUMBER, PARSE_BAD };

/* Reads a numeric argument into a 32-bit code.  Anything that is not number-shaped is a
 * name; number-shaped but out of 32-bit range (or "-0x...") is bad usage. */
static enum parse_result parse_code(const char *arg, uint32_t *ret) {
        unsigned long long v;
        char *end;

        if ((arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))) {
                if (!all_hex(arg + 2))
                        return PARSE_BAD;
                errno = 0;
                v = strtoull(arg + 2, &end, 16);
                if (errno || v > UINT32_MAX)
                        return PARSE_BAD;
                *ret = (uint32_t)v;
                return PARSE_NUMBER;
        }
        if ((arg[0] == '-' || arg[0] == '+') && arg[1]) {
                bool neg = arg[0] == '-';

                if (!all_digits(arg + 1))
                        return PARSE_BAD;
                errno = 0;
                v = strtoull(arg + 1, &end, 10);
                if (errno)
                        return PARSE_BAD;
                /* -2147483648 .. 4294967295: signed HRESULTs and unsigned codes alike. */
                if (neg ? v > (unsigned long long)INT32_MAX + 1 : v > UINT32_MAX)
                        return PARSE_BAD;
                *ret = neg ? (uint32_t)(0 - v) : (uint32_t)v;
                return PARSE_NUMBER;
        }
        if (all_digits(arg)) {
                errno = 0;
                v = strtoull(arg, &end, 10);
                if (errno || v > UINT32_MAX)
                        return PARSE_BAD;
                *ret = (uint32_t)v;
                return PARSE_NUMBER;
        }
        /* err.exe-style bare hex: 800706ba.  Needs a letter, or it would be decimal. */
        if (all_hex(arg)) {
                if (strlen(arg) > 8)
                        return PARSE_BAD;
                *ret = (uint32_t)strtoul(arg, &end, 16);
                return PARSE_NUMBER;
        }
        return PARSE_NAME;
}

/* Tracks HRESULT values already printed for one argument, so that one code reached two
 * ways (1 as S_FALSE, and HRESULT_FROM_WIN32 of ERROR_SUCCESS = S_OK) prints once. */
struct seen {
        uint32_t hr[4];
        size_t n;
};

static bool seen_hr(struct seen *s, uint32_t hr) {
        for (size_t i = 0; i < s->n; i++)
                if (s->hr[i] == hr)
                        return true;
        if (s->n < sizeof(s->hr) / sizeof(s->hr[0]))
                s->hr[s->n++] = hr;
        return false;
}

static void print_entry(const struct dcom_status_info *e, struct seen *s) {
        switch (e->kind) {
        case DCOM_STATUS_HRESULT:
                if (seen_hr(s, e->code))
                        return;
                printf("0x%08" PRIX32 "  %s  %s\n", e->code, e->name, e->text);
                break;
        case DCOM_STATUS_WIN32:
                printf("%" PRIu32 "  %s  %s\n", e->code, e->name, e->text);
                break;
        case DCOM_STATUS_NCA:
                printf("0x%08" PRIX32 "  %s  %s\n", e->code, e->name, e->text);
                break;
        }
}

/* The HRESULT a Win32 code becomes: its own entry if it has a name (E_ACCESSDENIED),
 * else HRESULT_FROM_WIN32(NAME) with the Win32 message. */
static void print_hresult_form(const struct dcom_status_info *w, struct seen *s) {
        uint32_t hr = (uint32_t)dcom_hresult_from_win32(w->code);
        const struct dcom_status_info *own = dcom_status_lookup(DCOM_STATUS_HRESULT, hr);

        if (own) {
                print_entry(own, s);
                return;
        }
        if (seen_hr(s, hr))
                return;
        printf("0x%08" PRIX32 "  HRESULT_FROM_WIN32(%s)  %s\n", hr, w->name, w->text);
}

/* One known entry, and for a Win32 code its HRESULT form too. */
static void print_with_forms(const struct dcom_status_info *e, struct seen *s) {
        print_entry(e, s);
        if (e->kind == DCOM_STATUS_WIN32)
                print_hresult_form(e, s);
}

static bool explain_code(uint32_t code) {
        const struct dcom_status_info *e;
        struct seen s = { .n = 0 };
        bool found = false;

        e = dcom_status_lookup(DCOM_STATUS_HRESULT, code);
        if (e) {
                print_entry(e, &s);
                found = true;
        } else if ((code >> 16) == (0x8000u | FACILITY_WIN32)) {
                e = dcom_status_lookup(DCOM_STATUS_WIN32, code & 0xFFFFu);
                if (e) {
                        print_hresult_form(e, &s);
                        found = true;
                }
        }
        e = dcom_status_lookup(DCOM_STATUS_WIN32, code);
        if (e) {
                print_with_forms(e, &s);
                found = true;
        }
        e = dcom_status_lookup(DCOM_STATUS_NCA, code);
        if (e) {
                print_entry(e, &s);
                found = true;
        }
        return found;
}

static const struct dcom_status_info *find_name(const char *name) {
        const struct dcom_status_info *e = dcom_status_by_name(name);
        const struct dcom_status_info *table;
        size_t n;

        if (e)
                return e;
        /* A convenience for typed names: nca_s_* are lower case, the rest upper. */
        table = dcom_status_table(&n);
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(table[i].name, name) == 0)
                        return &table[i];
        return NULL;
}

static bool explain_name(const char *arg) {
        const struct dcom_status_info *e;
        size_t plen = strlen(HRESULT_FROM_WIN32_PREFIX);
        size_t len = strlen(arg);
        struct seen s = { .n = 0 };

        if (len > plen + 1 && strncasecmp(arg, HRESULT_FROM_WIN32_PREFIX, plen) == 0 &&
            arg[len - 1] == ')') {
                char *inner = strndup(arg + plen, len - plen - 1);

                if (!inner) {
                        fprintf(stderr, "dcomerr: out of memory\n");
                        exit(EXIT_FAILURE);
                }
                e = find_name(inner);
                free(inner);
                if (!e || e->kind != DCOM_STATUS_WIN32)
                        return false;
                print_hresult_form(e, &s);
                return true;
        }
        e = find_name(arg);
        if (!e)
                return false;
        print_with_forms(e, &s);
        return true;
}

int main(int argc, char **argv) {
        int ret = EXIT_SUCCESS;
        bool options_done = false;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        /* Check every argument before printing anything: bad usage prints no results. */
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                uint32_t code;

                if (!options_done && strcmp(a, "--") == 0) {
                        options_done = true;
                        continue;
                }
                if (!options_done && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
                        usage(stdout);
                        return EXIT_SUCCESS;
                }
                if (!options_done && strcmp(a, "--version") == 0) {
                        printf("dcomerr (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return EXIT_SUCCESS;
                }
                if (!options_done && a[0] == '-' && !isdigit((unsigned char)a[1])) {
                        fprintf(stderr, "dcomerr: unknown option %s (try --help)\n", a);
                        return 2;
                }
                if (!*a || parse_code(a, &code) == PARSE_BAD) {
                        fprintf(stderr, "dcomerr: %s%s%s is not a 32-bit status code or a name "
                                "(try --help)\n", *a ? "" : "\"", a, *a ? "" : "\"");
                        return 2;
                }
        }

        options_done = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                uint32_t code;
                bool known;

                if (!options_done && strcmp(a, "--") == 0) {
                        options_done = true;
                        continue;
                }
                if (parse_code(a, &code) == PARSE_NUMBER)
                        known = explain_code(code);
                else
                        known = explain_name(a);
                if (!known) {
                        /* Keep stdout's lines in order with stderr's when both are a tty. */
                        fflush(stdout);
                        fprintf(stderr, "dcomerr: no status code %s is known\n", a);
                        ret = 1;
                }
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "dcomerr: cannot write the output: %s\n", strerror(errno));
                return 2;
        }
        return ret;
}
