/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Self-relative security descriptors ([MS-DTYP] 2.4.6) as Windows keeps them in
 * REG_BINARY values: validation (every offset, size and count checked against the bytes
 * there are before it is used), the generic access check ([MS-DTYP] 2.5.3.2) and COM's
 * launch/access permission semantics ("Access Control Lists for COM").
 */
#include <errno.h>
#include <string.h>

#include "security/security-internal.h"

/* --- reading ---------------------------------------------------------------------------- */

static bool ace_is_object(uint8_t type) {
        switch (type) {
        case SEC_ACE_ALLOWED_OBJECT:
        case SEC_ACE_DENIED_OBJECT:
        case SEC_ACE_AUDIT_OBJECT:
        case SEC_ACE_ALARM_OBJECT:
        case SEC_ACE_ALLOWED_CALLBACK_OBJECT:
        case SEC_ACE_DENIED_CALLBACK_OBJECT:
        case SEC_ACE_AUDIT_CALLBACK_OBJECT:
        case SEC_ACE_ALARM_CALLBACK_OBJECT:
                return true;
        default:
                return false;
        }
}

/* Types laid out as header, mask, SID (and, for callbacks, application data after it). */
static bool ace_is_simple(uint8_t type) {
        switch (type) {
        case SEC_ACE_ALLOWED:
        case SEC_ACE_DENIED:
        case SEC_ACE_AUDIT:
        case SEC_ACE_ALARM:
        case SEC_ACE_ALLOWED_CALLBACK:
        case SEC_ACE_DENIED_CALLBACK:
        case SEC_ACE_AUDIT_CALLBACK:
        case SEC_ACE_ALARM_CALLBACK:
        case SEC_ACE_MANDATORY_LABEL:
        case SEC_ACE_RESOURCE_ATTRIBUTE:
        case SEC_ACE_SCOPED_POLICY_ID:
                return true;
        default:
                return false;
        }
}

int sec_acl_next(const struct sec_acl_ref *acl, size_t *off, struct sec_ace *ret) {
        const uint8_t *p;
        struct sec_ace a;
        size_t o = *off, body, len;
        int r;

        /* [MS-DTYP] 2.4.4.1: the header, then AceSize bytes in all, inside AclSize */
        if (o > acl->size || acl->size - o < 4) {
                log_debug(security, "ACL: an ACE header at %zu passes AclSize %u", o, acl->size);
                return -EBADMSG;
        }
        p = acl->p + o;
        memset(&a, 0, sizeof a);
        a.type = p[0];
        a.flags = p[1];
        a.size = le16(p + 2);
        if (a.size < 4 || a.size % 4 || a.size > acl->size - o) {
                log_debug(security, "ACL: ACE at %zu: AceSize %u (AclSize %u: %zu left; a "
                          "multiple of 4 of at least 4)", o, a.size, acl->size, acl->size - o);
                return -EBADMSG;
        }
        body = 4;
        if (ace_is_simple(a.type) || ace_is_object(a.type)) {
                if (a.size < body + 4) {
                        log_debug(security, "ACE type %u: %u bytes, no room for its mask",
                                  a.type, a.size);
                        return -EBADMSG;
                }
                a.mask = le32(p + body);
                body += 4;
                if (ace_is_object(a.type)) {
                        /* [MS-DTYP] 2.4.4.3: Flags, then the GUIDs the flags say are there */
                        a.object = true;
                        if (a.size < body + 4) {
                                log_debug(security, "object ACE: %u bytes, no room for its "
                                          "flags", a.size);
                                return -EBADMSG;
                        }
                        a.obj_flags = le32(p + body);
                        body += 4;
                        if (a.obj_flags & ~(uint32_t)3) {
                                log_debug(security, "object ACE: unknown flags 0x%x",
                                          a.obj_flags);
                                return -EBADMSG;
                        }
                        if (a.obj_flags & SEC_ACE_OBJECT_TYPE_PRESENT) {
                                if (a.size < body + 16) {
                                        log_debug(security, "object ACE: no room for ObjectType");
                                        return -EBADMSG;
                                }
                                memcpy(a.object_type, p + body, 16);
                                body += 16;
                        }
                        if (a.obj_flags & SEC_ACE_INHERITED_OBJECT_TYPE_PRESENT) {
                                if (a.size < body + 16) {
                                        log_debug(security, "object ACE: no room for "
                                                  "InheritedObjectType");
                                        return -EBADMSG;
                                }
                                memcpy(a.inherited_type, p + body, 16);
                                body += 16;
                        }
                }
                r = sec_sid_pull(p + body, a.size - body, &a.sid, &len);
                if (r < 0) {
                        log_debug(security, "ACE at %zu (type %u): its SID is malformed", o,
                                  a.type);
                        return r;
                }
                a.extra = a.size - body - len;
                a.known = true;
        }
        /* other types (compound, unknown): opaque, their size alone checked */
        *off = o + a.size;
        *ret = a;
        return 0;
}

static int acl_ref(const uint8_t *b, size_t len, uint32_t off, bool present, const char *what,
                   struct sec_acl_ref *ret) {
        struct sec_acl_ref acl = { .present = present };
        size_t o = SEC_ACL_HEADER;
        struct sec_ace a;
        int r;

        if (!present) {
                *ret = acl;
                return 0;
        }
        if (off == 0) {
                acl.null = true;        /* [MS-DTYP] 2.4.6: present, no ACL: a NULL ACL */
                *ret = acl;
                return 0;
        }
        if (off < SEC_SD_HEADER || off % 4 || off > len || len - off < SEC_ACL_HEADER) {
                log_debug(security, "%s: offset %u out of range (descriptor of %zu bytes; "
                          "4-aligned after the header)", what, off, len);
                return -EBADMSG;
        }
        /* [MS-DTYP] 2.4.5: AclRevision 2 (ACL_REVISION) or 4 (ACL_REVISION_DS) */
        acl.p = b + off;
        acl.revision = acl.p[0];
        acl.size = le16(acl.p + 2);
        acl.count = le16(acl.p + 4);
        if (acl.revision != 2 && acl.revision != 3 && acl.revision != 4) {
                log_debug(security, "%s: AclRevision %u (2, 3 or 4)", what, acl.revision);
                return -EBADMSG;
        }
        if (acl.size < SEC_ACL_HEADER || acl.size % 4 || acl.size > len - off) {
                log_debug(security, "%s: AclSize %u at offset %u: %zu bytes there (at least 8, "
                          "a multiple of 4)", what, acl.size, off, len - off);
                return -EBADMSG;
        }
        /* AceCount ACEs must fit in AclSize */
        for (unsigned i = 0; i < acl.count; i++) {
                r = sec_acl_next(&acl, &o, &a);
                if (r < 0) {
                        log_debug(security, "%s: ACE %u of %u does not fit", what, i + 1,
                                  acl.count);
                        return r;
                }
        }
        *ret = acl;
        return 0;
}

static int sid_at(const uint8_t *b, size_t len, uint32_t off, const char *what,
                  struct sec_sid *ret, size_t *ret_end) {
        size_t n;
        int r;

        if (off < SEC_SD_HEADER || off % 4 || off >= len) {
                log_debug(security, "%s SID: offset %u out of range (descriptor of %zu bytes)",
                          what, off, len);
                return -EBADMSG;
        }
        r = sec_sid_pull(b + off, len - off, ret, &n);
        if (r < 0) {
                log_debug(security, "%s SID at %u is malformed", what, off);
                return r;
        }
        *ret_end = off + n;
        return 0;
}

/* [MS-DTYP] 2.4.6 */
int sec_sd_view(const void *sd, size_t len, struct sec_sd_view *ret) {
        const uint8_t *b = sd;
        struct sec_sd_view v;
        uint32_t o_owner, o_group, o_sacl, o_dacl;
        size_t end;
        int r;

        if (!sd || len < SEC_SD_HEADER) {
                log_debug(security, "descriptor of %zu bytes: shorter than its 20-byte header",
                          sd ? len : 0);
                return -EBADMSG;
        }
        memset(&v, 0, sizeof v);
        if (b[0] != 1) {
                log_debug(security, "descriptor: Revision %u, not 1", b[0]);
                return -EBADMSG;
        }
        v.sbz1 = b[1];
        v.control = le16(b + 2);
        if (!(v.control & SEC_SE_SELF_RELATIVE)) {
                log_debug(security, "descriptor: not self-relative (Control 0x%04x)", v.control);
                return -EBADMSG;
        }
        o_owner = le32(b + 4);
        o_group = le32(b + 8);
        o_sacl = le32(b + 12);
        o_dacl = le32(b + 16);
        v.extent = SEC_SD_HEADER;
        if (o_owner) {
                r = sid_at(b, len, o_owner, "owner", &v.owner, &end);
                if (r < 0)
                        return r;
                v.has_owner = true;
                v.extent = end > v.extent ? end : v.extent;
        }
        if (o_group) {
                r = sid_at(b, len, o_group, "group", &v.group, &end);
                if (r < 0)
                        return r;
                v.has_group = true;
                v.extent = end > v.extent ? end : v.extent;
        }
        /* an ACL whose *_PRESENT bit is clear is not there, whatever its offset says */
        r = acl_ref(b, len, o_dacl, v.control & SEC_SE_DACL_PRESENT, "DACL", &v.dacl);
        if (r < 0)
                return r;
        if (v.dacl.p && o_dacl + (size_t)v.dacl.size > v.extent)
                v.extent = o_dacl + (size_t)v.dacl.size;
        r = acl_ref(b, len, o_sacl, v.control & SEC_SE_SACL_PRESENT, "SACL", &v.sacl);
        if (r < 0)
                return r;
        if (v.sacl.p && o_sacl + (size_t)v.sacl.size > v.extent)
                v.extent = o_sacl + (size_t)v.sacl.size;
        *ret = v;
        return 0;
}

int sec_sd_validate(const void *sd, size_t len) {
        struct sec_sd_view v;

        return sec_sd_view(sd, len, &v);
}

int sec_sd_length(const void *sd, size_t len, size_t *ret_len) {
        struct sec_sd_view v;
        int r = sec_sd_view(sd, len, &v);

        if (r < 0)
                return r;
        *ret_len = v.extent;
        return 0;
}

/* --- the access check ([MS-DTYP] 2.5.3.2) ----------------------------------------------- */

int sec_access_check(const void *sd, size_t len, const struct sec_token *t, uint32_t desired,
                     uint32_t *ret_granted) {
        struct sec_sd_view v;
        uint32_t remaining = desired, granted = 0;
        size_t off = SEC_ACL_HEADER;
        int r;

        if (!t || !ret_granted)
                return -EINVAL;
        r = sec_sd_view(sd, len, &v);
        if (r < 0)
                return r;
        /* no DACL, or a NULL one: everything is granted */
        if (!v.dacl.present || v.dacl.null) {
                *ret_granted = desired;
                return 0;
        }
        /* Each ACE in order decides the bits still undecided: an allow ACE grants them, a
           deny ACE refuses them -- so deny before allow as the ACL orders them. */
        for (unsigned i = 0; i < v.dacl.count && remaining; i++) {
                struct sec_ace a;

                r = sec_acl_next(&v.dacl, &off, &a);
                if (r < 0)
                        return r;
                bool allow;

                if (a.flags & SEC_ACE_INHERIT_ONLY)
                        continue;       /* applies to children only */
                switch (a.type) {
                case SEC_ACE_ALLOWED:
                        allow = true;
                        break;
                case SEC_ACE_DENIED:
                        allow = false;
                        break;
                case SEC_ACE_ALLOWED_OBJECT:
                case SEC_ACE_DENIED_OBJECT:
                        /* [MS-DTYP] 2.5.3.2: one without an ObjectType is for the object
                           itself; one for a property or set is not (no object tree here) */
                        if (a.obj_flags & SEC_ACE_OBJECT_TYPE_PRESENT)
                                continue;
                        allow = a.type == SEC_ACE_ALLOWED_OBJECT;
                        break;
                case SEC_ACE_DENIED_CALLBACK:
                case SEC_ACE_DENIED_CALLBACK_OBJECT:
                        /* a condition we do not evaluate is UNKNOWN, and [MS-DTYP] 2.5.3.2
                           applies a deny ACE whose condition is not FALSE */
                        if (a.type == SEC_ACE_DENIED_CALLBACK_OBJECT &&
                            (a.obj_flags & SEC_ACE_OBJECT_TYPE_PRESENT))
                                continue;
                        allow = false;
                        break;
                default:
                        continue;       /* allow callbacks (UNKNOWN: not applied), audit... */
                }
                if (!sec_token_has(t, &a.sid))
                        continue;
                if (allow)
                        granted |= a.mask & remaining;
                remaining &= ~a.mask;
        }
        *ret_granted = granted;
        return 0;
}

/* --- COM's permissions ------------------------------------------------------------------ */

#define COM_RIGHTS_SPECIFIC (COM_RIGHTS_EXECUTE_LOCAL | COM_RIGHTS_EXECUTE_REMOTE | \
                             COM_RIGHTS_ACTIVATE_LOCAL | COM_RIGHTS_ACTIVATE_REMOTE)

int sec_com_check(const void *sd, size_t len, const struct sec_token *t, uint32_t want,
                  bool *ret_allowed) {
        struct sec_sd_view v;
        size_t off = SEC_ACL_HEADER;
        unsigned legacy = 0, modern = 0;
        uint32_t desired, granted;
        int r;

        if (!t || !ret_allowed)
                return -EINVAL;
        r = sec_sd_view(sd, len, &v);
        if (r < 0)
                return r;
        if (!v.dacl.present || v.dacl.null) {
                *ret_allowed = true;
                return 0;
        }
        /*
         * [MS-DCOM] leaves these masks to the implementation; Microsoft's "Access Control
         * Lists for COM" (learn.microsoft.com, win32/com/access-control-lists-for-com, the
         * XP SP2 / Server 2003 SP1 enhancements) gives the rule: an ACL is either
         * in the old format, every ACE granting COM_RIGHTS_EXECUTE alone -- which stands for
         * every local and remote launch, activation and call right -- or in the new one,
         * every ACE carrying COM_RIGHTS_EXECUTE with a combination of the four specific
         * rights.  COM_RIGHTS_EXECUTE must always be present; mixing the formats, or leaving
         * it out, makes the descriptor invalid.
         */
        for (unsigned i = 0; i < v.dacl.count; i++) {
                struct sec_ace a;

                r = sec_acl_next(&v.dacl, &off, &a);
                if (r < 0)
                        return r;
                if ((a.type != SEC_ACE_ALLOWED && a.type != SEC_ACE_DENIED) ||
                    (a.flags & SEC_ACE_INHERIT_ONLY))
                        continue;
                if (!(a.mask & COM_RIGHTS_EXECUTE)) {
                        log_debug(security, "COM descriptor: ACE %u (mask 0x%x) lacks "
                                  "COM_RIGHTS_EXECUTE: invalid", i + 1, a.mask);
                        return -EBADMSG;
                }
                if (a.mask & COM_RIGHTS_SPECIFIC)
                        modern++;
                else
                        legacy++;
        }
        if (legacy && modern) {
                log_debug(security, "COM descriptor mixes %u pre-XP SP2 ACEs (COM_RIGHTS_EXECUTE "
                          "only) with %u of the newer format: invalid", legacy, modern);
                return -EBADMSG;
        }
        /* The old format asks for COM_RIGHTS_EXECUTE, the new one for the specific rights
           (COM_RIGHTS_EXECUTE marks the format there; a deny ACE refusing remote launch
           carries it too, and must not refuse local launch). */
        if (!modern || !(want & COM_RIGHTS_SPECIFIC))
                desired = COM_RIGHTS_EXECUTE;
        else
                desired = want & COM_RIGHTS_SPECIFIC;
        r = sec_access_check(sd, len, t, desired, &granted);
        if (r < 0)
                return r;
        *ret_allowed = granted == desired;
        return 0;
}
