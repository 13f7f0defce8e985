/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An object exporter's side of the OXID resolver, for the interop tests
 * (tests/interop/test-interop-oxid.py): registers an OXID with rpcss through
 * src/com/resolver.c -- bindings "127.0.0.1[PORT]" (ncacn_ip_tcp) and NTLM, authnHint 2
 * -- and two OIDs, prints them on one line, then answers commands from stdin:
 *
 *      rundown         prints "rundown OID..." (the OIDs rpcss ran down, in hex)
 *      quit, or EOF    exits (rpcss forgets the OXID)
 *
 *      oxid-helper PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "com/resolver.h"
#include "dcom/guid.h"

static uint64_t random_id(void) {
        GUID g;
        uint64_t x;

        if (dcom_guid_generate(&g) < 0)
                exit(1);
        memcpy(&x, &g, sizeof x);
        return x | 1;
}

static void put(DUALSTRINGARRAY *d, size_t *k, const char *s) {
        while (*s)
                d->aStringArray[(*k)++] = (uint8_t)*s++;
        d->aStringArray[(*k)++] = 0;
}

int main(int argc, char **argv) {
        DUALSTRINGARRAY *d = calloc(1, sizeof *d + 256);
        char addr[64], line[64], ipid_s[DCOM_GUID_STRING_REG];
        OID oids[2] = { random_id(), random_id() };
        OXID oxid = random_id();
        IPID ipid;
        size_t k = 0;
        int r;

        if (argc != 2 || !d) {
                fprintf(stderr, "usage: oxid-helper PORT\n");
                return 2;
        }
        snprintf(addr, sizeof addr, "127.0.0.1[%s]", argv[1]);
        d->aStringArray[k++] = 7;
        put(d, &k, addr);
        d->aStringArray[k++] = 0;
        d->wSecurityOffset = (unsigned short)k;
        d->aStringArray[k++] = 10;
        d->aStringArray[k++] = 0xffff;
        d->aStringArray[k++] = 0;
        d->aStringArray[k++] = 0;
        d->wNumEntries = (unsigned short)k;
        if (dcom_guid_generate(&ipid) < 0)
                return 1;
        r = com_resolver_register_oxid(oxid, &ipid, 2, d, NULL);
        if (r >= 0)
                r = com_resolver_add_oids(oxid, oids, 2);
        if (r < 0) {
                fprintf(stderr, "oxid-helper: registering with rpcss: %s\n", strerror(-r));
                return 1;
        }
        dcom_guid_format(&ipid, DCOM_GUID_FORMAT_BARE, ipid_s);
        printf("oxid %016llx ipid %s oids %016llx %016llx\n", (unsigned long long)oxid, ipid_s,
               (unsigned long long)oids[0], (unsigned long long)oids[1]);
        fflush(stdout);
        while (fgets(line, sizeof line, stdin)) {
                if (strncmp(line, "rundown", 7) == 0) {
                        OID *v = NULL;
                        unsigned n = 0;
                        r = com_resolver_rundown(oxid, &v, &n);
                        printf("rundown");
                        for (unsigned i = 0; r >= 0 && i < n; i++)
                                printf(" %016llx", (unsigned long long)v[i]);
                        printf(r < 0 ? " error %d\n" : "\n", r);
                        fflush(stdout);
                        free(v);
                } else if (strncmp(line, "quit", 4) == 0) {
                        break;
                }
        }
        com_resolver_revoke_oxid(oxid);
        com_resolver_disconnect();
        free(d);
        return 0;
}
