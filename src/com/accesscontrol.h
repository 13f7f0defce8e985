/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * CLSID_DCOMAccessControl's list (accesscontrol.c): its entries, and the saved form its
 * IPersistStream writes and reads -- exposed for the fuzz target and the tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <iaccess.h>

#include "security/security.h"

#define ACL_MAX_ENTRIES 1024
#define ACL_MAX_BYTES (12 + ACL_MAX_ENTRIES * (5 + 8 + 4 * SEC_SID_MAX_SUB))

struct com_acl_entry {
        bool deny;
        uint32_t access;                /* COM_RIGHTS_EXECUTE */
        struct sec_sid sid;
};

/* The saved form after its length prefix: -EBADMSG for anything we would not write. */
int com_acl_parse(const uint8_t *p, size_t n, struct com_acl_entry **ret, size_t *ret_n);
int com_acl_format(const struct com_acl_entry *v, size_t n, uint8_t **ret, size_t *ret_size);

/* An instance of CLSID_DCOMAccessControl, riid of it (its class object is the built-in
   factory's: com_builtin_class_object). */
HRESULT com_access_control_create(const IID *riid, void **ppv);

/*
 * The token and name ("DOMAIN\user") of the caller whose call this thread is checking
 * (EOAC_ACCESS_CONTROL) or running (security.c): -ENOENT outside both.  The token is the
 * caller's, free it with sec_token_free().
 */
int com_security_caller_token(struct sec_token **ret, char *name, size_t name_size);
