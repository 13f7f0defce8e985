/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GUIDs: the registry form "{6B29FC40-CA47-1067-B31D-00DD010662DA}", the bare form
 * without braces, the 16-byte wire layout, comparison, hashing and generation.
 */
#ifndef DCOM_GUID_H
#define DCOM_GUID_H

#include <stdbool.h>
#include <dcom/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Buffer sizes including the terminating NUL. */
#define DCOM_GUID_STRING_BARE 37        /* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx */
#define DCOM_GUID_STRING_REG 39         /* {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} */
#define DCOM_GUID_WIRE_SIZE 16

enum dcom_guid_format {
        DCOM_GUID_FORMAT_REGISTRY,      /* braces, upper case: what Windows writes */
        DCOM_GUID_FORMAT_BARE,          /* no braces, lower case: DCE/RPC string bindings */
};

DCOM_EXPORT extern const GUID GUID_NULL;

/* Parses either form (hex digits in any case).  Returns 0 or -EINVAL; *ret only on success. */
DCOM_EXPORT int dcom_guid_parse(const char *s, GUID *ret);
/* Like dcom_guid_parse but over exactly len bytes (no NUL needed). */
DCOM_EXPORT int dcom_guid_parse_n(const char *s, size_t len, GUID *ret);
/* Writes the string form and a NUL; buf must hold DCOM_GUID_STRING_REG bytes. Returns buf. */
DCOM_EXPORT char *dcom_guid_format(const GUID *g, enum dcom_guid_format fmt,
                                   char buf[DCOM_GUID_STRING_REG]);

/* The wire/NDR layout: Data1..Data3 little-endian, Data4 as bytes. */
DCOM_EXPORT void dcom_guid_to_wire(const GUID *g, uint8_t out[DCOM_GUID_WIRE_SIZE]);
DCOM_EXPORT void dcom_guid_from_wire(const uint8_t in[DCOM_GUID_WIRE_SIZE], GUID *ret);

DCOM_EXPORT int dcom_guid_compare(const GUID *a, const GUID *b);
DCOM_EXPORT bool dcom_guid_equal(const GUID *a, const GUID *b);
DCOM_EXPORT bool dcom_guid_is_null(const GUID *g);
DCOM_EXPORT uint64_t dcom_guid_hash(const GUID *g);

/* A random (version 4, RFC 4122 variant) GUID from getrandom(). Returns 0 or -errno. */
DCOM_EXPORT int dcom_guid_generate(GUID *ret);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_GUID_H */
