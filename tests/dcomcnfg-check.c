/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The settings model's launch and access decisions on the command line, for
 * test-dcomcnfg.sh: it checks whether a Unix user may launch, activate or call an
 * application, and prints the model's one line when it may not -- the line that ends with
 * the dcomcnfg command granting it, which the test then runs.  That the commands
 * settings.c prints are ones dcomcnfg accepts, and that they grant what was refused, is
 * the contract between the two.
 *
 *     dcomcnfg-check launch|activate|access local|remote UID {APPID}
 *
 * Prints "allowed" (exit 0) or "refused: WHY" (exit 1); 2 on a bad command line or error.
 * The server process of an access check runs as root (its SELF).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcom/guid.h"
#include "security/security.h"
#include "security/settings.h"

int main(int argc, char **argv) {
        struct sec_machine m;
        struct sec_appid app;
        struct sec_perm access = { 0 };
        struct sec_token *t = NULL;
        bool have_app, remote;
        char why[2048] = "";
        GUID g;
        int r;

        if (argc != 5 || (strcmp(argv[2], "local") && strcmp(argv[2], "remote")) ||
            dcom_guid_parse(argv[4], &g) < 0) {
                fputs("usage: dcomcnfg-check launch|activate|access local|remote UID {APPID}\n",
                      stderr);
                return 2;
        }
        remote = strcmp(argv[2], "remote") == 0;
        if (sec_machine_load(&m) < 0) {
                fputs("dcomcnfg-check: cannot load the machine settings\n", stderr);
                return 2;
        }
        have_app = sec_appid_load(&g, &app) == 0;
        struct sec_token_info info = {
                .has_uid = true,
                .uid = (uid_t)strtoul(argv[3], NULL, 10),
                .remote = remote,
        };
        if (sec_token_new(&info, &t) < 0) {
                fputs("dcomcnfg-check: cannot build the token\n", stderr);
                return 2;
        }
        if (strcmp(argv[1], "access") == 0) {
                const struct sec_perm *p = &access;
                if (have_app && app.access.sd)
                        p = &app.access;
                else if (sec_default_access(&m, "S-1-22-1-0", &access) < 0) {
                        fputs("dcomcnfg-check: no default access permission\n", stderr);
                        return 2;
                }
                r = sec_check_access(&m, p, have_app ? &app : NULL, t, remote, why, sizeof why);
        } else {
                r = sec_check_launch(&m, have_app ? &app : NULL, t, remote,
                                     strcmp(argv[1], "launch") == 0 ? SEC_LAUNCH : SEC_ACTIVATE,
                                     why, sizeof why);
        }
        if (r > 0)
                printf("allowed\n");
        else if (r == 0)
                printf("refused: %s\n", why);
        else
                fprintf(stderr, "dcomcnfg-check: %s\n", strerror(-r));
        free(access.sd);
        if (have_app)
                sec_appid_clear(&app);
        sec_machine_clear(&m);
        sec_token_free(t);
        return r > 0 ? 0 : r == 0 ? 1 : 2;
}
