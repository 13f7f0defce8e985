/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SDDL ([MS-DTYP] 2.5.1) to self-relative descriptors and back.  Parsing builds the
 * descriptor as Windows' ConvertStringSecurityDescriptorToSecurityDescriptor lays it out
 * (header, SACL, DACL, owner, group; ACL revision 2, or 4 with object ACEs); formatting
 * writes what ConvertSecurityDescriptorToStringSecurityDescriptor writes: O:, G:, D:, S:,
 * SIDs by their alias when they have one, rights by name when every bit has one.
 * Conditional (callback) and resource-attribute ACEs are not supported either way.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/security-internal.h"

/* [MS-DTYP] 2.5.1: ace-type */
static const struct {
        const char *name;
        uint8_t type;
} ace_types[] = {
        { "A", SEC_ACE_ALLOWED },          { "D", SEC_ACE_DENIED },
        { "AU", SEC_ACE_AUDIT },           { "AL", SEC_ACE_ALARM },
        { "OA", SEC_ACE_ALLOWED_OBJECT },  { "OD", SEC_ACE_DENIED_OBJECT },
        { "OU", SEC_ACE_AUDIT_OBJECT },    { "OL", SEC_ACE_ALARM_OBJECT },
        { "ML", SEC_ACE_MANDATORY_LABEL }, { "SP", SEC_ACE_SCOPED_POLICY_ID },
};

/* [MS-DTYP] 2.5.1: ace-flag-string, in the order Windows writes them */
static const struct {
        const char *name;
        uint8_t flag;
} ace_flags[] = {
        { "OI", SEC_ACE_OBJECT_INHERIT }, { "CI", SEC_ACE_CONTAINER_INHERIT },
        { "NP", SEC_ACE_NO_PROPAGATE },   { "IO", SEC_ACE_INHERIT_ONLY },
        { "ID", SEC_ACE_INHERITED },      { "SA", SEC_ACE_SUCCESSFUL_ACCESS },
        { "FA", SEC_ACE_FAILED_ACCESS },
};

/* [MS-DTYP] 2.5.1: text-rights-string; composite ones first (they are written whole) */
static const struct {
        const char *name;
        uint32_t mask;
} composite_rights[] = {
        { "FA", 0x001F01FF }, { "FR", 0x00120089 }, { "FW", 0x00120116 }, { "FX", 0x001200A0 },
        { "KA", 0x000F003F }, { "KR", 0x00020019 }, { "KW", 0x00020006 }, { "KX", 0x00020019 },
}, single_rights[] = {
        /* ascending bits, Windows' order ("CCDCLCSWRPWPDTLOCRSDRCWDWO") */
        { "CC", 0x00000001 }, { "DC", 0x00000002 }, { "LC", 0x00000004 }, { "SW", 0x00000008 },
        { "RP", 0x00000010 }, { "WP", 0x00000020 }, { "DT", 0x00000040 }, { "LO", 0x00000080 },
        { "CR", 0x00000100 }, { "SD", 0x00010000 }, { "RC", 0x00020000 }, { "WD", 0x00040000 },
        { "WO", 0x00080000 }, { "GA", 0x10000000 }, { "GX", 0x20000000 }, { "GW", 0x40000000 },
        { "GR", 0x80000000 },
}, label_rights[] = {
        /* SYSTEM_MANDATORY_LABEL_ACE's policy ([MS-DTYP] 2.4.4.13) */
        { "NW", 0x1 }, { "NR", 0x2 }, { "NX", 0x4 },
};

/* --- building a descriptor -------------------------------------------------------------- */

struct acl_build {
        bool present, null;
        uint16_t control;               /* P, AR, AI as this ACL's control bits */
        uint8_t *buf;                   /* the ACEs */
        size_t size, count;
        bool object;
};

static void acl_build_done(struct acl_build *a) {
        dcom_free(a->buf);
}

static int acl_add(struct acl_build *a, const struct sec_ace *ace) {
        size_t need = 8 + (ace->object ? 4 + 32 : 0) + sec_sid_size(&ace->sid);
        uint8_t *p, *nb;

        if (a->count == UINT16_MAX || a->size + need > UINT16_MAX - SEC_ACL_HEADER)
                return -EINVAL;
        nb = dcom_realloc(a->buf, a->size + need);
        if (!nb)
                return -ENOMEM;
        a->buf = nb;
        p = nb + a->size;
        p[0] = ace->type;
        p[1] = ace->flags;
        put_le32(p + 4, ace->mask);
        need = 8;
        if (ace->object) {
                put_le32(p + 8, ace->obj_flags);
                need += 4;
                if (ace->obj_flags & SEC_ACE_OBJECT_TYPE_PRESENT) {
                        memcpy(p + need, ace->object_type, 16);
                        need += 16;
                }
                if (ace->obj_flags & SEC_ACE_INHERITED_OBJECT_TYPE_PRESENT) {
                        memcpy(p + need, ace->inherited_type, 16);
                        need += 16;
                }
                a->object = true;
        }
        sec_sid_push(&ace->sid, p + need);
        need += sec_sid_size(&ace->sid);
        put_le16(p + 2, (uint16_t)need);
        a->size += need;
        a->count++;
        return 0;
}

static size_t acl_push(const struct acl_build *a, uint8_t *p) {
        /* [MS-DTYP] 2.4.5: ACL_REVISION_DS when it holds object ACEs */
        p[0] = a->object ? 4 : 2;
        p[1] = 0;
        put_le16(p + 2, (uint16_t)(SEC_ACL_HEADER + a->size));
        put_le16(p + 4, (uint16_t)a->count);
        put_le16(p + 6, 0);
        if (a->size)
                memcpy(p + SEC_ACL_HEADER, a->buf, a->size);
        return SEC_ACL_HEADER + a->size;
}

/* --- parsing ---------------------------------------------------------------------------- */

static int parse_guid(const char *s, size_t n, uint8_t out[16]) {
        /* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, Data1..3 little-endian on the wire */
        static const int dash[] = { 8, 13, 18, 23 };
        uint8_t raw[16];
        size_t k = 0;

        if (n != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36;) {
                if (i == (size_t)dash[0] || i == (size_t)dash[1] || i == (size_t)dash[2] ||
                    i == (size_t)dash[3]) {
                        if (s[i] != '-')
                                return -EINVAL;
                        i++;
                        continue;
                }
                int hi = hex_digit((unsigned char)s[i]), lo = hex_digit((unsigned char)s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                raw[k++] = (uint8_t)(hi << 4 | lo);
                i += 2;
        }
        out[0] = raw[3], out[1] = raw[2], out[2] = raw[1], out[3] = raw[0];
        out[4] = raw[5], out[5] = raw[4], out[6] = raw[7], out[7] = raw[6];
        memcpy(out + 8, raw + 8, 8);
        return 0;
}

/* The field up to the next ';' (or ')' for the last); *p moves past the separator. */
static int field(const char **p, char sep, const char **ret, size_t *ret_n) {
        const char *s = *p, *e = s;

        while (*e && *e != sep && *e != ';' && *e != ')' && *e != '(')
                e++;
        if (*e != sep)
                return -EINVAL;
        *ret = s;
        *ret_n = (size_t)(e - s);
        *p = e + 1;
        return 0;
}

static int parse_rights(const char *s, size_t n, uint8_t type, uint32_t *ret) {
        uint32_t mask = 0;

        if (n == 0)
                return -EINVAL;
        if (isdigit((unsigned char)s[0])) {
                /* hexadecimal (0x), octal (0) or decimal, 32 bits */
                char tmp[24], *end;
                unsigned long long v;

                if (n >= sizeof tmp)
                        return -EINVAL;
                memcpy(tmp, s, n);
                tmp[n] = 0;
                errno = 0;
                v = strtoull(tmp, &end, 0);
                if (*end || errno || v > UINT32_MAX || tmp[0] == '-')
                        return -EINVAL;
                *ret = (uint32_t)v;
                return 0;
        }
        for (size_t i = 0; i < n; i += 2) {
                bool found = false;

                if (i + 1 >= n)
                        return -EINVAL;
                if (type == SEC_ACE_MANDATORY_LABEL)
                        for (size_t k = 0; k < ELEMENTSOF(label_rights) && !found; k++)
                                if (memcmp(s + i, label_rights[k].name, 2) == 0) {
                                        mask |= label_rights[k].mask;
                                        found = true;
                                }
                for (size_t k = 0; k < ELEMENTSOF(composite_rights) && !found; k++)
                        if (memcmp(s + i, composite_rights[k].name, 2) == 0) {
                                mask |= composite_rights[k].mask;
                                found = true;
                        }
                for (size_t k = 0; k < ELEMENTSOF(single_rights) && !found; k++)
                        if (memcmp(s + i, single_rights[k].name, 2) == 0) {
                                mask |= single_rights[k].mask;
                                found = true;
                        }
                if (!found)
                        return -EINVAL;
        }
        *ret = mask;
        return 0;
}

static int parse_ace(const char **p, struct sec_ace *ret) {
        struct sec_ace a;
        const char *f, *end;
        size_t n;
        bool found = false;

        memset(&a, 0, sizeof a);
        /* ace-type */
        if (field(p, ';', &f, &n) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(ace_types); i++)
                if (strlen(ace_types[i].name) == n && memcmp(f, ace_types[i].name, n) == 0) {
                        a.type = ace_types[i].type;
                        found = true;
                }
        if (!found) {
                log_debug(security, "SDDL: ACE type \"%.*s\" unknown or unsupported", (int)n, f);
                return -EINVAL;
        }
        a.object = a.type >= SEC_ACE_ALLOWED_OBJECT && a.type <= SEC_ACE_ALARM_OBJECT;
        /* ace-flag-string */
        if (field(p, ';', &f, &n) < 0 || n % 2)
                return -EINVAL;
        for (size_t i = 0; i < n; i += 2) {
                found = false;
                for (size_t k = 0; k < ELEMENTSOF(ace_flags); k++)
                        if (memcmp(f + i, ace_flags[k].name, 2) == 0) {
                                a.flags |= ace_flags[k].flag;
                                found = true;
                        }
                if (!found) {
                        log_debug(security, "SDDL: ACE flag \"%.2s\" unknown", f + i);
                        return -EINVAL;
                }
        }
        /* rights */
        if (field(p, ';', &f, &n) < 0 || parse_rights(f, n, a.type, &a.mask) < 0) {
                log_debug(security, "SDDL: bad rights in an ACE");
                return -EINVAL;
        }
        /* object-guid, inherit-object-guid: only object ACEs may have them */
        if (field(p, ';', &f, &n) < 0)
                return -EINVAL;
        if (n) {
                if (!a.object || parse_guid(f, n, a.object_type) < 0)
                        return -EINVAL;
                a.obj_flags |= SEC_ACE_OBJECT_TYPE_PRESENT;
        }
        if (field(p, ';', &f, &n) < 0)
                return -EINVAL;
        if (n) {
                if (!a.object || parse_guid(f, n, a.inherited_type) < 0)
                        return -EINVAL;
                a.obj_flags |= SEC_ACE_INHERITED_OBJECT_TYPE_PRESENT;
        }
        /* account-sid, then ')' (resource attributes are not supported) */
        if (sec_sid_parse_prefix(*p, true, &a.sid, &end) < 0 || *end != ')') {
                log_debug(security, "SDDL: bad SID in an ACE: \"%.40s\"", *p);
                return -EINVAL;
        }
        *p = end + 1;
        *ret = a;
        return 0;
}

static int parse_acl(const char **p, bool sacl, struct acl_build *acl) {
        const char *s = *p;
        struct sec_ace a;
        int r;

        acl->present = true;
        /* acl-flag-string: P, AR, AI, NO_ACCESS_CONTROL in any order */
        for (;;) {
                if (strncmp(s, "NO_ACCESS_CONTROL", 17) == 0) {
                        acl->null = true;
                        s += 17;
                } else if (s[0] == 'P' && s[1] != ':') {
                        acl->control |= sacl ? SEC_SE_SACL_PROTECTED : SEC_SE_DACL_PROTECTED;
                        s++;
                } else if (s[0] == 'A' && s[1] == 'R') {
                        acl->control |= sacl ? SEC_SE_SACL_AUTO_INHERIT_REQ
                                             : SEC_SE_DACL_AUTO_INHERIT_REQ;
                        s += 2;
                } else if (s[0] == 'A' && s[1] == 'I') {
                        acl->control |= sacl ? SEC_SE_SACL_AUTO_INHERITED
                                             : SEC_SE_DACL_AUTO_INHERITED;
                        s += 2;
                } else
                        break;
        }
        while (*s == '(') {
                s++;
                r = parse_ace(&s, &a);
                if (r < 0)
                        return r;
                if (acl->null) {
                        log_debug(security, "SDDL: ACEs in a NO_ACCESS_CONTROL ACL");
                        return -EINVAL;
                }
                r = acl_add(acl, &a);
                if (r < 0)
                        return r;
        }
        *p = s;
        return 0;
}

int sec_sddl_parse(const char *sddl, void **ret_sd, size_t *ret_len) {
        struct acl_build dacl = { 0 }, sacl = { 0 };
        struct sec_sid owner, group;
        bool has_owner = false, has_group = false;
        const char *p = sddl;
        uint16_t control = SEC_SE_SELF_RELATIVE;
        uint8_t *sd;
        size_t len, o;
        int r = -EINVAL;

        if (!sddl || !ret_sd || !ret_len)
                return -EINVAL;
        /* [MS-DTYP] 2.5.1: owner, group, DACL, SACL, each at most once, in any order */
        while (*p) {
                char c = p[0];
                const char *end;

                if (p[1] != ':')
                        goto bad;
                p += 2;
                if (c == 'O' || c == 'G') {
                        struct sec_sid *sid = c == 'O' ? &owner : &group;
                        bool *has = c == 'O' ? &has_owner : &has_group;

                        if (*has || sec_sid_parse_prefix(p, true, sid, &end) < 0)
                                goto bad;
                        *has = true;
                        p = end;
                } else if (c == 'D' || c == 'S') {
                        struct acl_build *acl = c == 'D' ? &dacl : &sacl;

                        if (acl->present)
                                goto bad;
                        r = parse_acl(&p, c == 'S', acl);
                        if (r < 0)
                                goto out;
                        r = -EINVAL;
                } else
                        goto bad;
        }

        len = SEC_SD_HEADER;
        if (sacl.present && !sacl.null)
                len += SEC_ACL_HEADER + sacl.size;
        if (dacl.present && !dacl.null)
                len += SEC_ACL_HEADER + dacl.size;
        if (has_owner)
                len += sec_sid_size(&owner);
        if (has_group)
                len += sec_sid_size(&group);
        sd = dcom_calloc(1, len);
        if (!sd) {
                r = -ENOMEM;
                goto out;
        }
        o = SEC_SD_HEADER;
        sd[0] = 1;
        if (sacl.present) {
                control |= SEC_SE_SACL_PRESENT | sacl.control;
                if (!sacl.null) {
                        put_le32(sd + 12, (uint32_t)o);
                        o += acl_push(&sacl, sd + o);
                }
        }
        if (dacl.present) {
                control |= SEC_SE_DACL_PRESENT | dacl.control;
                if (!dacl.null) {
                        put_le32(sd + 16, (uint32_t)o);
                        o += acl_push(&dacl, sd + o);
                }
        }
        if (has_owner) {
                put_le32(sd + 4, (uint32_t)o);
                sec_sid_push(&owner, sd + o);
                o += sec_sid_size(&owner);
        }
        if (has_group) {
                put_le32(sd + 8, (uint32_t)o);
                sec_sid_push(&group, sd + o);
                o += sec_sid_size(&group);
        }
        put_le16(sd + 2, control);
        assert(o == len);
        *ret_sd = sd;
        *ret_len = len;
        r = 0;
        goto out;
bad:
        log_debug(security, "SDDL: malformed at offset %zu: \"%.40s\"", (size_t)(p - sddl), p);
        r = -EINVAL;
out:
        acl_build_done(&dacl);
        acl_build_done(&sacl);
        return r;
}

/* --- formatting ------------------------------------------------------------------------- */

static void buf_puts(struct buf *b, const char *s) {
        buf_append(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...) {
        char tmp[128];
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (k < 0 || (size_t)k >= sizeof tmp)
                buf_poison(b, -EINVAL);
        else
                buf_append(b, tmp, (size_t)k);
}

static void put_sid(struct buf *b, const struct sec_sid *sid) {
        const char *alias = sec_sid_alias(sid);
        char s[SEC_SID_STRING_MAX];

        if (alias)
                buf_puts(b, alias);
        else {
                sec_sid_format(sid, s, sizeof s);
                buf_puts(b, s);
        }
}

static void put_guid(struct buf *b, const uint8_t g[16]) {
        buf_printf(b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                   g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11],
                   g[12], g[13], g[14], g[15]);
}

static void put_rights(struct buf *b, uint8_t type, uint32_t mask) {
        uint32_t left = mask;

        if (type == SEC_ACE_MANDATORY_LABEL) {
                if (mask && !(mask & ~(uint32_t)7)) {
                        for (size_t k = 0; k < ELEMENTSOF(label_rights); k++)
                                if (mask & label_rights[k].mask)
                                        buf_puts(b, label_rights[k].name);
                        return;
                }
                buf_printf(b, "0x%" PRIx32, mask);
                return;
        }
        for (size_t k = 0; k < ELEMENTSOF(composite_rights); k++)
                if (mask == composite_rights[k].mask) {
                        buf_puts(b, composite_rights[k].name);
                        return;
                }
        for (size_t k = 0; k < ELEMENTSOF(single_rights); k++)
                left &= ~single_rights[k].mask;
        if (left || !mask) {
                buf_printf(b, "0x%" PRIx32, mask);
                return;
        }
        for (size_t k = 0; k < ELEMENTSOF(single_rights); k++)
                if (mask & single_rights[k].mask)
                        buf_puts(b, single_rights[k].name);
}

static int put_acl(struct buf *b, const struct sec_acl_ref *acl, uint16_t control, bool sacl,
                   bool labels_only, bool others_only) {
        size_t off = SEC_ACL_HEADER;
        int r;

        if (control & (sacl ? SEC_SE_SACL_PROTECTED : SEC_SE_DACL_PROTECTED))
                buf_puts(b, "P");
        if (control & (sacl ? SEC_SE_SACL_AUTO_INHERIT_REQ : SEC_SE_DACL_AUTO_INHERIT_REQ))
                buf_puts(b, "AR");
        if (control & (sacl ? SEC_SE_SACL_AUTO_INHERITED : SEC_SE_DACL_AUTO_INHERITED))
                buf_puts(b, "AI");
        if (acl->null) {
                buf_puts(b, "NO_ACCESS_CONTROL");
                return 0;
        }
        for (unsigned i = 0; i < acl->count; i++) {
                struct sec_ace a;
                const char *type = NULL;

                r = sec_acl_next(acl, &off, &a);
                if (r < 0)
                        return r;
                if ((labels_only && a.type != SEC_ACE_MANDATORY_LABEL) ||
                    (others_only && a.type == SEC_ACE_MANDATORY_LABEL))
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(ace_types); k++)
                        if (ace_types[k].type == a.type)
                                type = ace_types[k].name;
                if (!type || !a.known || (a.flags & 0x20)) {
                        log_debug(security, "SDDL: ACE type %u (flags 0x%02x) has no SDDL here",
                                  a.type, a.flags);
                        return -EOPNOTSUPP;
                }
                buf_printf(b, "(%s;", type);
                for (size_t k = 0; k < ELEMENTSOF(ace_flags); k++)
                        if (a.flags & ace_flags[k].flag)
                                buf_puts(b, ace_flags[k].name);
                buf_puts(b, ";");
                put_rights(b, a.type, a.mask);
                buf_puts(b, ";");
                if (a.obj_flags & SEC_ACE_OBJECT_TYPE_PRESENT)
                        put_guid(b, a.object_type);
                buf_puts(b, ";");
                if (a.obj_flags & SEC_ACE_INHERITED_OBJECT_TYPE_PRESENT)
                        put_guid(b, a.inherited_type);
                buf_puts(b, ";");
                put_sid(b, &a.sid);
                buf_puts(b, ")");
        }
        return 0;
}

int sec_sddl_format_parts(const void *sd, size_t len, uint32_t parts, char **ret_sddl) {
        struct sec_sd_view v;
        struct buf b;
        char *s;
        int r;

        if (!ret_sddl)
                return -EINVAL;
        r = sec_sd_view(sd, len, &v);
        if (r < 0)
                return r;
        buf_init(&b, 0);
        if ((parts & 1) && v.has_owner) {
                buf_puts(&b, "O:");
                put_sid(&b, &v.owner);
        }
        if ((parts & 2) && v.has_group) {
                buf_puts(&b, "G:");
                put_sid(&b, &v.group);
        }
        if ((parts & 4) && v.dacl.present) {
                buf_puts(&b, "D:");
                r = put_acl(&b, &v.dacl, v.control, false, false, false);
                if (r < 0)
                        goto fail;
        }
        /* the SACL whole (8), or only its mandatory labels (0x10, LABEL_SECURITY_INFORMATION) */
        if ((parts & 0x18) && v.sacl.present) {
                buf_puts(&b, "S:");
                r = put_acl(&b, &v.sacl, v.control, true, !(parts & 8), false);
                if (r < 0)
                        goto fail;
        }
        buf_put_u8(&b, 0);
        if (b.error) {
                r = b.error;
                goto fail;
        }
        s = (char *)buf_steal(&b, NULL);
        *ret_sddl = s;
        return 0;
fail:
        buf_free(&b);
        return r;
}

int sec_sddl_format(const void *sd, size_t len, char **ret_sddl) {
        return sec_sddl_format_parts(sd, len, 0xF, ret_sddl);
}
