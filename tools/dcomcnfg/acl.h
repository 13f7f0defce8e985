/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Editing a COM permission -- a self-relative security descriptor as Windows keeps it in
 * LaunchPermission, AccessPermission and the machine-wide values ([MS-DTYP] 2.4.6) -- the
 * way DCOMCNFG's permission editor does: allowing a right for a principal clears that right
 * from the principal's deny entries and the other way round, deny entries go before allow
 * entries ([MS-DTYP] 2.4.5, "Order of ACEs in a DACL": explicit deny, explicit allow, then
 * inherited ones), the owner, group, SACL and any ACE that is neither access-allowed nor
 * access-denied are kept byte for byte.  Pure data: no registry, no names.
 */
#ifndef OPENDCOM_DCOMCNFG_ACL_H
#define OPENDCOM_DCOMCNFG_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "security/security.h"

/* [MS-DTYP] 2.4.4.1 ACE_HEADER AceType / AceFlags */
#define ACL_ACE_ALLOWED         0x00
#define ACL_ACE_DENIED          0x01
#define ACL_FLAG_INHERIT_ONLY   0x08
#define ACL_FLAG_INHERITED      0x10

/* The rights of each kind of COM permission ("Access Control Lists for COM"). */
#define ACL_LAUNCH_ALL (COM_RIGHTS_EXECUTE | COM_RIGHTS_EXECUTE_LOCAL | COM_RIGHTS_EXECUTE_REMOTE | \
                        COM_RIGHTS_ACTIVATE_LOCAL | COM_RIGHTS_ACTIVATE_REMOTE)
#define ACL_ACCESS_ALL (COM_RIGHTS_EXECUTE | COM_RIGHTS_EXECUTE_LOCAL | COM_RIGHTS_EXECUTE_REMOTE)

struct acl_ace {
        uint8_t type;
        uint8_t flags;
        uint32_t mask;
        struct sec_sid sid;     /* allowed and denied ACEs */
        uint8_t *raw;           /* any other ACE type: its bytes, kept as they are */
        size_t raw_len;
};

struct acl_sd {
        uint16_t control;
        uint8_t *owner, *group, *sacl;  /* raw parts, NULL when absent */
        size_t owner_len, group_len, sacl_len;
        bool has_dacl;                  /* false: a NULL DACL (everyone, everything) */
        uint8_t dacl_revision;
        struct acl_ace *aces;
        size_t n;
};

/* Reads a descriptor (which must pass sec_sd_validate); ACEs whose mask is the bare
   COM_RIGHTS_EXECUTE of pre-XP SP2 descriptors are widened to `all` (the rights of the
   kind: ACL_LAUNCH_ALL or ACL_ACCESS_ALL), which is what Windows reads them as, so
   that edits never mix the two forms.  -EBADMSG, -ENOMEM. */
int acl_sd_load(const void *sd, size_t len, uint32_t all, struct acl_sd *ret);
void acl_sd_clear(struct acl_sd *sd);
/* The self-relative form (malloc'd): SACL, DACL, owner, group, as Windows lays them out. */
int acl_sd_store(const struct acl_sd *sd, void **ret, size_t *ret_len);

/* rights includes COM_RIGHTS_EXECUTE; all is the kind's full set (for a NULL DACL). */
int acl_grant(struct acl_sd *sd, const struct sec_sid *sid, uint32_t rights, uint32_t all);
int acl_deny(struct acl_sd *sd, const struct sec_sid *sid, uint32_t rights, uint32_t all);
/* Removes rights (0: every entry) from the principal's allowed and denied entries. */
int acl_revoke(struct acl_sd *sd, const struct sec_sid *sid, uint32_t rights);

#endif /* OPENDCOM_DCOMCNFG_ACL_H */
