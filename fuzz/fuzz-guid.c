/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GUID parser: any bytes in; whatever parses must format back to the same text (up
 * to letter case and braces) and survive the wire round trip.
 */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <dcom/guid.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char reg[DCOM_GUID_STRING_REG], bare[DCOM_GUID_STRING_REG];
        uint8_t wire[DCOM_GUID_WIRE_SIZE];
        GUID g, h;

        if (dcom_guid_parse_n((const char *)data, size, &g) < 0)
                return 0;
        assert(size == 36 || size == 38);

        dcom_guid_format(&g, DCOM_GUID_FORMAT_REGISTRY, reg);
        dcom_guid_format(&g, DCOM_GUID_FORMAT_BARE, bare);
        const char *text = (const char *)data + (size == 38);
        assert(strncasecmp(bare, text, 36) == 0);
        assert(strncasecmp(reg + 1, text, 36) == 0);

        assert(dcom_guid_parse(reg, &h) == 0 && dcom_guid_equal(&g, &h));
        assert(dcom_guid_parse(bare, &h) == 0 && dcom_guid_compare(&g, &h) == 0);
        assert(dcom_guid_hash(&g) == dcom_guid_hash(&h));

        dcom_guid_to_wire(&g, wire);
        dcom_guid_from_wire(wire, &h);
        assert(dcom_guid_equal(&g, &h));
        return 0;
}
