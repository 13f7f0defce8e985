/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Object references on the wire ([MS-DCOM] 2.2.18, 2.2.19): the OBJREF in all four forms
 * and the DUALSTRINGARRAY of string and security bindings inside it.  An OBJREF is not
 * NDR: a flat little-endian layout that travels as an MInterfacePointer's bytes (or in
 * an IStream).  Both directions, every length checked against what is there.
 */
#ifndef DCOM_COM_OBJREF_H
#define DCOM_COM_OBJREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "orpc.h"

/* [MS-DCOM] 2.2.18.7: OBJREF_EXTENDED's signatures */
#define OBJREF_EXT_SIGNATURE 0x4e535956

/* Bounds on what we accept (an OBJREF from a peer is hostile until checked). */
#define OBJREF_MAX_DSA_ENTRIES 8192      /* 16-bit units of a DUALSTRINGARRAY */
#define OBJREF_MAX_CUSTOM (64u << 10)   /* an OBJREF_CUSTOM's object data */

/* [MS-DCOM] 2.2.19.3: wTowerId values */
#define DSA_TOWER_TCP 0x07              /* ncacn_ip_tcp: "host[port]" */
#define DSA_TOWER_LRPC 0x10             /* ncalrpc (local only): "[endpoint]" */

struct objref {
        uint32_t flags;                 /* OBJREF_STANDARD, _HANDLER, _CUSTOM, _EXTENDED */
        IID iid;
        STDOBJREF std;                  /* STANDARD, HANDLER, EXTENDED */
        CLSID clsid;                    /* HANDLER (the handler), CUSTOM (the unmarshaler) */
        DUALSTRINGARRAY *res;           /* STANDARD, HANDLER, EXTENDED: malloc'd */
        uint8_t *data;                  /* CUSTOM: the object data; EXTENDED: the element's */
        uint32_t data_len;
        GUID ext_id;                    /* EXTENDED: the data element's dataID */
};

/* The bytes of a DUALSTRINGARRAY (4 + 2 * wNumEntries). */
size_t dsa_size(const DUALSTRINGARRAY *d);
/*
 * Checks a DUALSTRINGARRAY of n 16-bit units: the security offset inside it, every
 * binding NUL-terminated inside its part, both parts ended by an empty entry.
 * -EBADMSG otherwise.
 */
int dsa_check(const DUALSTRINGARRAY *d);
/* A copy (malloc'd) or NULL. */
DUALSTRINGARRAY *dsa_dup(const DUALSTRINGARRAY *d);

/*
 * Building one: string bindings (tower id + UTF-8 address) and security bindings
 * (authentication service + UTF-8 principal, "" for none).
 */
struct dsa_builder {
        struct buf strings, security;   /* UTF-16 units, little-endian */
};
void dsa_builder_init(struct dsa_builder *b);
int dsa_builder_add_string(struct dsa_builder *b, uint16_t tower, const char *addr);
int dsa_builder_add_security(struct dsa_builder *b, uint16_t authn_svc, const char *principal);
/* The array (malloc'd); the builder is freed either way.  -ENOMEM, -E2BIG. */
int dsa_builder_finish(struct dsa_builder *b, DUALSTRINGARRAY **ret);

/*
 * The i-th string binding (0-based): its tower id and address in UTF-8 (NUL-terminated,
 * truncated to size - 1).  -ENOENT past the last.
 */
int dsa_string_binding(const DUALSTRINGARRAY *d, unsigned i, uint16_t *ret_tower, char *addr,
                       size_t size);
/* The i-th security binding: authentication service and principal.  -ENOENT past the last. */
int dsa_security_binding(const DUALSTRINGARRAY *d, unsigned i, uint16_t *ret_authn, char *princ,
                         size_t size);

/*
 * An OBJREF from len bytes: *ret filled (its res and data malloc'd: objref_clear), and
 * *ret_used (may be NULL) the bytes it took.  -EBADMSG for a malformed or truncated one
 * (RPC_E_INVALID_OBJREF), -EPROTONOSUPPORT for an unknown form, -ENOMEM.
 */
int objref_parse(const uint8_t *p, size_t len, struct objref *ret, size_t *ret_used);
/* Appends its wire form to b; -EINVAL for a form missing its parts, -ENOMEM. */
int objref_write(struct buf *b, const struct objref *o);
void objref_clear(struct objref *o);

#endif /* DCOM_COM_OBJREF_H */
