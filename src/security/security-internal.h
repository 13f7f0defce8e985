/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The security layer's private helpers: little-endian access, the parsed view of a
 * validated self-relative descriptor and its ACEs (sd.c), shared by SDDL (sddl.c), the
 * access checks (sd.c) and the Windows API (winapi.c).
 */
#ifndef DCOM_SECURITY_INTERNAL_H
#define DCOM_SECURITY_INTERNAL_H

#include "base/base-internal.h"
#include "security/security.h"

extern struct log_channel log_channel_security;

static inline uint16_t le16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

/* [MS-DTYP] 2.4.6: SECURITY_DESCRIPTOR's Control bits */
#define SEC_SE_OWNER_DEFAULTED 0x0001
#define SEC_SE_GROUP_DEFAULTED 0x0002
#define SEC_SE_DACL_PRESENT 0x0004
#define SEC_SE_DACL_DEFAULTED 0x0008
#define SEC_SE_SACL_PRESENT 0x0010
#define SEC_SE_SACL_DEFAULTED 0x0020
#define SEC_SE_DACL_AUTO_INHERIT_REQ 0x0100
#define SEC_SE_SACL_AUTO_INHERIT_REQ 0x0200
#define SEC_SE_DACL_AUTO_INHERITED 0x0400
#define SEC_SE_SACL_AUTO_INHERITED 0x0800
#define SEC_SE_DACL_PROTECTED 0x1000
#define SEC_SE_SACL_PROTECTED 0x2000
#define SEC_SE_SELF_RELATIVE 0x8000

#define SEC_SD_HEADER 20
#define SEC_ACL_HEADER 8

/* [MS-DTYP] 2.4.4.1: ACE types and flags */
enum {
        SEC_ACE_ALLOWED = 0x00,
        SEC_ACE_DENIED = 0x01,
        SEC_ACE_AUDIT = 0x02,
        SEC_ACE_ALARM = 0x03,
        SEC_ACE_ALLOWED_COMPOUND = 0x04,
        SEC_ACE_ALLOWED_OBJECT = 0x05,
        SEC_ACE_DENIED_OBJECT = 0x06,
        SEC_ACE_AUDIT_OBJECT = 0x07,
        SEC_ACE_ALARM_OBJECT = 0x08,
        SEC_ACE_ALLOWED_CALLBACK = 0x09,
        SEC_ACE_DENIED_CALLBACK = 0x0A,
        SEC_ACE_ALLOWED_CALLBACK_OBJECT = 0x0B,
        SEC_ACE_DENIED_CALLBACK_OBJECT = 0x0C,
        SEC_ACE_AUDIT_CALLBACK = 0x0D,
        SEC_ACE_ALARM_CALLBACK = 0x0E,
        SEC_ACE_AUDIT_CALLBACK_OBJECT = 0x0F,
        SEC_ACE_ALARM_CALLBACK_OBJECT = 0x10,
        SEC_ACE_MANDATORY_LABEL = 0x11,
        SEC_ACE_RESOURCE_ATTRIBUTE = 0x12,
        SEC_ACE_SCOPED_POLICY_ID = 0x13,
};
#define SEC_ACE_OBJECT_INHERIT 0x01
#define SEC_ACE_CONTAINER_INHERIT 0x02
#define SEC_ACE_NO_PROPAGATE 0x04
#define SEC_ACE_INHERIT_ONLY 0x08
#define SEC_ACE_INHERITED 0x10
#define SEC_ACE_SUCCESSFUL_ACCESS 0x40
#define SEC_ACE_FAILED_ACCESS 0x80
/* [MS-DTYP] 2.4.4.3: which GUIDs an object ACE carries */
#define SEC_ACE_OBJECT_TYPE_PRESENT 0x1
#define SEC_ACE_INHERITED_OBJECT_TYPE_PRESENT 0x2

/* One ACE as read from an ACL. */
struct sec_ace {
        uint8_t type, flags;
        uint16_t size;
        bool known;                     /* a layout we read: mask and SID below are set */
        bool object;                    /* an object ACE: obj_flags and the GUIDs */
        uint32_t mask;
        uint32_t obj_flags;
        uint8_t object_type[16], inherited_type[16];    /* wire order */
        struct sec_sid sid;
        size_t extra;                   /* bytes after the SID (callback data, padding) */
};

/* An ACL's place in the descriptor. */
struct sec_acl_ref {
        bool present;                   /* *_PRESENT set */
        bool null;                      /* present with offset 0: a NULL ACL */
        const uint8_t *p;               /* else: its bytes */
        uint8_t revision;
        uint16_t size, count;
};

struct sec_sd_view {
        uint8_t sbz1;
        uint16_t control;
        bool has_owner, has_group;
        struct sec_sid owner, group;
        struct sec_acl_ref dacl, sacl;
        size_t extent;                  /* end of the farthest part */
};

/* Validates and reads a self-relative descriptor. */
int sec_sd_view(const void *sd, size_t len, struct sec_sd_view *ret);
/* The i-th ACE; *off is its offset (start with 8, the ACL header). */
int sec_acl_next(const struct sec_acl_ref *acl, size_t *off, struct sec_ace *ret);
const char *sec_sid_alias(const struct sec_sid *sid);
int sec_sid_parse_prefix(const char *s, bool aliases, struct sec_sid *ret, const char **end);

#endif /* DCOM_SECURITY_INTERNAL_H */
