/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A GUID's round trip through every form OpenDCOM handles: generated, written in
 * registry and bare form, put on the wire (little-endian Data1..Data3) and read back;
 * then a well-known interface ID and a UTF-16 name compared the registry's way.
 * Uses only the public API of libdcom.so.
 */
#include <stdio.h>
#include <stdlib.h>

#include <dcom/dcom.h>

static void print_wire(const uint8_t w[DCOM_GUID_WIRE_SIZE]) {
        for (size_t i = 0; i < DCOM_GUID_WIRE_SIZE; i++)
                printf("%02x%s", w[i], i == 3 || i == 5 || i == 7 ? " | " : i < 15 ? " " : "\n");
}

static int show(const char *label, const GUID *g) {
        char reg[DCOM_GUID_STRING_REG], bare[DCOM_GUID_STRING_REG];
        uint8_t wire[DCOM_GUID_WIRE_SIZE];
        GUID back;

        printf("%s\n", label);
        printf("  registry form: %s\n", dcom_guid_format(g, DCOM_GUID_FORMAT_REGISTRY, reg));
        printf("  bare form:     %s\n", dcom_guid_format(g, DCOM_GUID_FORMAT_BARE, bare));
        dcom_guid_to_wire(g, wire);
        printf("  wire bytes:    ");
        print_wire(wire);
        dcom_guid_from_wire(wire, &back);
        if (!dcom_guid_equal(g, &back) || dcom_guid_parse(reg, &back) < 0 ||
            !dcom_guid_equal(g, &back)) {
                fprintf(stderr, "guid-demo: round trip of %s failed\n", reg);
                return -1;
        }
        printf("  round trip:    ok (parse, wire, compare)\n");
        return 0;
}

int main(void) {
        static const char key_a[] = "Software\\Microsoft\\OLE";
        static const char key_b[] = "SOFTWARE\\microsoft\\Ole";
        WCHAR *a = NULL, *b = NULL;
        size_t alen, blen;
        GUID g;
        int r;

        r = dcom_guid_generate(&g);
        if (r < 0) {
                fprintf(stderr, "guid-demo: cannot generate a GUID: %s\n",
                        dcom_hresult_message(dcom_hresult_from_errno(r)));
                return 1;
        }
        if (show("A new GUID (random, version 4):", &g) < 0)
                return 1;
        if (dcom_guid_parse("{000001A0-0000-0000-C000-000000000046}", &g) < 0 ||
            show("IID_IRemoteSCMActivator:", &g) < 0)
                return 1;
        if (dcom_guid_parse("{not-a-guid}", &g) == 0)
                return 1;
        printf("\"{not-a-guid}\" is rejected, as it should be\n\n");

        if (dcom_utf8_to_utf16(key_a, sizeof key_a - 1, &a, &alen) < 0 ||
            dcom_utf8_to_utf16(key_b, sizeof key_b - 1, &b, &blen) < 0) {
                fprintf(stderr, "guid-demo: UTF-16 conversion failed\n");
                free(a);
                return 1;
        }
        printf("UTF-16 registry names \"%s\" and \"%s\": %s\n", key_a, key_b,
               dcom_utf16_casecmp(a, alen, b, blen) == 0 ? "same key" : "different keys");
        free(a);
        free(b);
        return 0;
}
