/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Editing a COM permission's DACL (acl.h).  The layouts are [MS-DTYP]'s: 2.4.6
 * SECURITY_DESCRIPTOR (self-relative), 2.4.5 ACL, 2.4.4.1 ACE_HEADER, 2.4.4.2
 * ACCESS_ALLOWED_ACE and 2.4.4.4 ACCESS_DENIED_ACE; all little-endian.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

#define SE_DACL_PRESENT 0x0004          /* [MS-DTYP] 2.4.6 Control */
#define SE_SACL_PRESENT 0x0010
#define SE_SELF_RELATIVE 0x8000
#define ACL_REVISION 2
#define SD_HEADER 20

static uint16_t le16(const uint8_t *p) {
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *dup(const uint8_t *p, size_t n) {
        uint8_t *d = malloc(n ? n : 1);
        if (d)
                memcpy(d, p, n);
        return d;
}

/* A SID part at offset off (0: absent): its raw bytes. */
static int load_sid_part(const uint8_t *p, size_t len, uint32_t off, uint8_t **ret, size_t *ret_len) {
        struct sec_sid sid;
        size_t n;

        *ret = NULL;
        *ret_len = 0;
        if (!off)
                return 0;
        if (off < SD_HEADER || off >= len || sec_sid_pull(p + off, len - off, &sid, &n) < 0)
                return -EBADMSG;
        if (!(*ret = dup(p + off, n)))
                return -ENOMEM;
        *ret_len = n;
        return 0;
}

int acl_sd_load(const void *data, size_t len, uint32_t all, struct acl_sd *ret) {
        const uint8_t *p = data;
        struct acl_sd sd = { 0 };
        int r = -EBADMSG;

        if (len < SD_HEADER || p[0] != 1 || !(le16(p + 2) & SE_SELF_RELATIVE))
                return -EBADMSG;
        sd.control = le16(p + 2);
        uint32_t off_sacl = le32(p + 12), off_dacl = le32(p + 16);
        if ((r = load_sid_part(p, len, le32(p + 4), &sd.owner, &sd.owner_len)) < 0 ||
            (r = load_sid_part(p, len, le32(p + 8), &sd.group, &sd.group_len)) < 0)
                goto fail;
        r = -EBADMSG;
        if ((sd.control & SE_SACL_PRESENT) && off_sacl) {
                if (off_sacl < SD_HEADER || off_sacl > len || len - off_sacl < 8 ||
                    le16(p + off_sacl + 2) > len - off_sacl || le16(p + off_sacl + 2) < 8)
                        goto fail;
                sd.sacl_len = le16(p + off_sacl + 2);
                r = -ENOMEM;
                if (!(sd.sacl = dup(p + off_sacl, sd.sacl_len)))
                        goto fail;
                r = -EBADMSG;
        }
        if ((sd.control & SE_DACL_PRESENT) && off_dacl) {
                if (off_dacl < SD_HEADER || off_dacl > len || len - off_dacl < 8)
                        goto fail;
                const uint8_t *acl = p + off_dacl;
                size_t size = le16(acl + 2), count = le16(acl + 4), at = 8;
                if (size < 8 || size > len - off_dacl)
                        goto fail;
                sd.has_dacl = true;
                sd.dacl_revision = acl[0];
                if (count && !(sd.aces = calloc(count, sizeof *sd.aces))) {
                        r = -ENOMEM;
                        goto fail;
                }
                for (size_t i = 0; i < count; i++) {
                        struct acl_ace *a = &sd.aces[i];
                        if (size - at < 4)
                                goto fail;
                        size_t ace_size = le16(acl + at + 2);
                        if (ace_size < 4 || ace_size > size - at)
                                goto fail;
                        a->type = acl[at];
                        a->flags = acl[at + 1];
                        sd.n++;
                        if (a->type == ACL_ACE_ALLOWED || a->type == ACL_ACE_DENIED) {
                                size_t sid_len;
                                if (ace_size < 8 ||
                                    sec_sid_pull(acl + at + 8, ace_size - 8, &a->sid, &sid_len) < 0)
                                        goto fail;
                                a->mask = le32(acl + at + 4);
                                /* pre-XP SP2 descriptors: the bare execute right is all of them */
                                if (a->mask == COM_RIGHTS_EXECUTE)
                                        a->mask = all;
                        } else if (!(a->raw = dup(acl + at, ace_size))) {
                                r = -ENOMEM;
                                goto fail;
                        } else {
                                a->raw_len = ace_size;
                        }
                        at += ace_size;
                }
        }
        *ret = sd;
        return 0;
fail:
        acl_sd_clear(&sd);
        return r;
}

void acl_sd_clear(struct acl_sd *sd) {
        if (!sd)
                return;
        for (size_t i = 0; i < sd->n; i++)
                free(sd->aces[i].raw);
        free(sd->aces);
        free(sd->owner);
        free(sd->group);
        free(sd->sacl);
        memset(sd, 0, sizeof *sd);
}

static size_t ace_size(const struct acl_ace *a) {
        return a->raw ? a->raw_len : 8 + sec_sid_size(&a->sid);
}

int acl_sd_store(const struct acl_sd *sd, void **ret, size_t *ret_len) {
        size_t dacl_len = 0;

        if (sd->has_dacl) {
                dacl_len = 8;
                for (size_t i = 0; i < sd->n; i++)
                        dacl_len += ace_size(&sd->aces[i]);
                if (dacl_len > 0xffff || sd->n > 0xffff)
                        return -E2BIG;
        }
        size_t len = SD_HEADER + sd->sacl_len + dacl_len + sd->owner_len + sd->group_len;
        uint8_t *p = calloc(1, len), *at = p + SD_HEADER;
        if (!p)
                return -ENOMEM;
        uint16_t control = sd->control | SE_SELF_RELATIVE;
        p[0] = 1;
        if (sd->sacl) {
                put32(p + 12, (uint32_t)(at - p));
                memcpy(at, sd->sacl, sd->sacl_len);
                at += sd->sacl_len;
        }
        if (sd->has_dacl) {
                control |= SE_DACL_PRESENT;
                put32(p + 16, (uint32_t)(at - p));
                at[0] = sd->dacl_revision ? sd->dacl_revision : ACL_REVISION;
                put16(at + 2, (uint16_t)dacl_len);
                put16(at + 4, (uint16_t)sd->n);
                at += 8;
                for (size_t i = 0; i < sd->n; i++) {
                        const struct acl_ace *a = &sd->aces[i];
                        if (a->raw) {
                                memcpy(at, a->raw, a->raw_len);
                        } else {
                                at[0] = a->type;
                                at[1] = a->flags;
                                put16(at + 2, (uint16_t)ace_size(a));
                                put32(at + 4, a->mask);
                                sec_sid_push(&a->sid, at + 8);
                        }
                        at += ace_size(a);
                }
        }
        if (sd->owner) {
                put32(p + 4, (uint32_t)(at - p));
                memcpy(at, sd->owner, sd->owner_len);
                at += sd->owner_len;
        }
        if (sd->group) {
                put32(p + 8, (uint32_t)(at - p));
                memcpy(at, sd->group, sd->group_len);
        }
        put16(p + 2, control);
        *ret = p;
        *ret_len = len;
        return 0;
}

/* An explicit entry of this type for this principal (inherited ones are not ours to edit). */
static bool explicit_for(const struct acl_ace *a, const struct sec_sid *sid, uint8_t type) {
        return !a->raw && a->type == type && !(a->flags & (ACL_FLAG_INHERIT_ONLY | ACL_FLAG_INHERITED)) &&
               sec_sid_equal(&a->sid, sid);
}

static void remove_at(struct acl_sd *sd, size_t i) {
        memmove(&sd->aces[i], &sd->aces[i + 1], (sd->n - i - 1) * sizeof *sd->aces);
        sd->n--;
}

static int insert_at(struct acl_sd *sd, size_t i, uint8_t type, const struct sec_sid *sid,
                     uint32_t mask) {
        struct acl_ace *aces = realloc(sd->aces, (sd->n + 1) * sizeof *aces);

        if (!aces)
                return -ENOMEM;
        sd->aces = aces;
        memmove(&aces[i + 1], &aces[i], (sd->n - i) * sizeof *aces);
        memset(&aces[i], 0, sizeof aces[i]);
        aces[i].type = type;
        aces[i].mask = mask;
        aces[i].sid = *sid;
        sd->n++;
        return 0;
}

/* Takes rights (0: everything) away from the principal's explicit entries of one type; an
   entry left with no right beyond COM_RIGHTS_EXECUTE goes. */
static void take_away(struct acl_sd *sd, const struct sec_sid *sid, uint8_t type, uint32_t rights) {
        uint32_t specific = rights & ~(uint32_t)COM_RIGHTS_EXECUTE;

        for (size_t i = 0; i < sd->n;) {
                struct acl_ace *a = &sd->aces[i];
                if (explicit_for(a, sid, type)) {
                        a->mask &= rights ? ~specific : 0;
                        if (!(a->mask & ~(uint32_t)COM_RIGHTS_EXECUTE)) {
                                remove_at(sd, i);
                                continue;
                        }
                }
                i++;
        }
}

/* Adds rights to the principal's first explicit entry of the type, or a new entry where
   canonical order puts it: a deny after the leading explicit denies, an allow before the
   first inherited entry. */
static int add(struct acl_sd *sd, const struct sec_sid *sid, uint8_t type, uint32_t rights) {
        size_t at;

        for (size_t i = 0; i < sd->n; i++)
                if (explicit_for(&sd->aces[i], sid, type)) {
                        sd->aces[i].mask |= rights;
                        return 0;
                }
        if (type == ACL_ACE_DENIED) {
                for (at = 0; at < sd->n; at++)
                        if (sd->aces[at].raw || sd->aces[at].type != ACL_ACE_DENIED ||
                            (sd->aces[at].flags & ACL_FLAG_INHERITED))
                                break;
        } else {
                for (at = 0; at < sd->n; at++)
                        if (sd->aces[at].flags & ACL_FLAG_INHERITED)
                                break;
        }
        return insert_at(sd, at, type, sid, rights);
}

int acl_grant(struct acl_sd *sd, const struct sec_sid *sid, uint32_t rights, uint32_t all) {
        if (!sd->has_dacl)
                return 0;       /* a NULL DACL already grants everyone everything */
        take_away(sd, sid, ACL_ACE_DENIED, rights);
        return add(sd, sid, ACL_ACE_ALLOWED, rights | COM_RIGHTS_EXECUTE);
}

int acl_deny(struct acl_sd *sd, const struct sec_sid *sid, uint32_t rights, uint32_t all) {
        if (!sd->has_dacl) {
                /* a NULL DACL made explicit: Everyone keeps every right but these */
                struct sec_sid everyone = { .revision = 1, .n = 1, .authority = { 0, 0, 0, 0, 0, 1 } };
                sd->has_dacl = true;
                sd->dacl_revision = ACL_REVISION;
                int r = insert_at(sd, 0, ACL_ACE_ALLOWED, &everyone, all);
                if (r < 0)
                        return r;
        }
        take_away(sd, sid, ACL_ACE_ALLOWED, rights);
        return add(sd, sid, ACL_ACE_DENIED, rights | COM_RIGHTS_EXECUTE);
}

int acl_revoke(struct acl_sd *sd, const struct sec_sid *sid, uint32_t rights) {
        if (!sd->has_dacl)
                return 0;
        take_away(sd, sid, ACL_ACE_ALLOWED, rights);
        take_away(sd, sid, ACL_ACE_DENIED, rights);
        return 0;
}
