/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The security layer's interface (OpenDCOM-internal, not installed): SIDs, self-relative
 * security descriptors as Windows keeps them in REG_BINARY values ([MS-DTYP] 2.4), SDDL
 * ([MS-DTYP] 2.5.1), a caller's token, the generic access check ([MS-DTYP] 2.5.3.2) and
 * COM's launch/access permission semantics, and names <-> SIDs for people and log lines.
 *
 * Conventions: 0 (or >= 0) on success, a negative errno on failure; output parameters are
 * written only on success.  Every parser is bounds-checked and answers -EBADMSG (binary)
 * or -EINVAL (text) for malformed input, with a line on the "security" debug channel
 * (DCOM_DEBUG=security) saying what was wrong.  Memory returned to the caller is the
 * project allocator's (malloc underneath): free() or dcom_free() it.
 */
#ifndef DCOM_SECURITY_SECURITY_H
#define DCOM_SECURITY_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* COM's rights in LaunchPermission, AccessPermission and the Machine*Restriction values
   (objbase.h on Windows; "Access Control Lists for COM"). */
#ifndef COM_RIGHTS_EXECUTE
#define COM_RIGHTS_EXECUTE 1
#define COM_RIGHTS_EXECUTE_LOCAL 2
#define COM_RIGHTS_EXECUTE_REMOTE 4
#define COM_RIGHTS_ACTIVATE_LOCAL 8
#define COM_RIGHTS_ACTIVATE_REMOTE 16
#endif

/* The longest SID string: "S-1-" 0x + 12 hex digits, 15 sub-authorities of 10 digits. */
#define SEC_SID_STRING_MAX 200
/* [MS-DTYP] 2.4.2.2: at most 15 sub-authorities. */
#define SEC_SID_MAX_SUB 15

/* A SID, unpacked ([MS-DTYP] 2.4.2). */
struct sec_sid {
        uint8_t revision;               /* 1 */
        uint8_t n;                      /* sub-authority count, <= 15 */
        uint8_t authority[6];           /* big-endian */
        uint32_t sub[SEC_SID_MAX_SUB];
};

/* "S-1-5-32-544" (or an SDDL alias such as "BA" when aliases is set) into *ret. */
int sec_sid_parse(const char *s, bool aliases, struct sec_sid *ret);
/* "S-1-..." into buf; -ERANGE when it does not fit. */
int sec_sid_format(const struct sec_sid *sid, char *buf, size_t n);
/* A binary SID ([MS-DTYP] 2.4.2.2) at p, of at most size bytes: *ret and its length. */
int sec_sid_pull(const void *p, size_t size, struct sec_sid *ret, size_t *ret_len);
/* Bytes of its binary form (8 + 4n), and writing it (buf must hold that many). */
size_t sec_sid_size(const struct sec_sid *sid);
void sec_sid_push(const struct sec_sid *sid, uint8_t *buf);
bool sec_sid_equal(const struct sec_sid *a, const struct sec_sid *b);

/* A caller's token: its user SID and group SIDs ([MS-DTYP] 2.5.2 in spirit). */
struct sec_token;
struct sec_token_info {
        const char *user_sid;   /* "S-1-5-21-A-B-C-RID" (an NTLM account), "S-1-22-1-UID", "S-1-5-7"; NULL: from uid */
        bool has_uid;           /* the caller is (also) this Unix user: adds S-1-22-1-uid and its Unix groups S-1-22-2-gid (getgrouplist) */
        uid_t uid;
        bool remote;            /* NETWORK (S-1-5-2); else INTERACTIVE (S-1-5-4) and LOCAL (S-1-2-0) */
        bool anonymous;         /* ANONYMOUS LOGON (S-1-5-7) and not Authenticated Users */
};
/*
 * Groups: Everyone S-1-1-0 (an anonymous caller only with HKLM\SYSTEM\CurrentControlSet\
 * Control\Lsa EveryoneIncludesAnonymous = 1, as on Windows since XP); Authenticated Users S-1-5-11 (and, as on Windows,
 * BUILTIN\Users S-1-5-32-545) unless anonymous; uid 0: BUILTIN\Administrators
 * S-1-5-32-544 and SYSTEM S-1-5-18; members of the administrators' Unix group
 * (HKLM\Software\OpenDCOM value AdministratorsGroup, REG_SZ, a Unix group name; absent:
 * none besides root) are BUILTIN\Administrators too; members of the Unix group named by
 * HKLM\Software\OpenDCOM DistributedComUsersGroup are BUILTIN\Distributed COM Users
 * S-1-5-32-562.  -EINVAL: no user SID and no uid, or a malformed SID.
 */
int sec_token_new(const struct sec_token_info *info, struct sec_token **ret);
struct sec_token *sec_token_free(struct sec_token *t);     /* NULL ok, returns NULL */
/* One more group (a SID string or SDDL alias): PRINCIPAL SELF (S-1-5-10) for a caller who
   is the server's own user, as Windows substitutes it in access checks. */
int sec_token_add_sid(struct sec_token *t, const char *sid);
bool sec_token_has_sid(const struct sec_token *t, const char *sid);
bool sec_token_has(const struct sec_token *t, const struct sec_sid *sid);
const char *sec_token_user_sid(const struct sec_token *t);
/* "HOST\alice (S-1-5-21-...-1001)" for log lines; snprintf's return. */
int sec_token_describe(const struct sec_token *t, char *buf, size_t n);
/* The token's SIDs one by one (i < count), for log lines and tests. */
size_t sec_token_count(const struct sec_token *t);
const char *sec_token_sid_at(const struct sec_token *t, size_t i);

/* Self-relative security descriptors as Windows stores them in REG_BINARY ([MS-DTYP] 2.4.6), SDDL ([MS-DTYP] 2.5.1). */
int sec_sd_validate(const void *sd, size_t len);                        /* 0, or -EBADMSG with a debug line saying what */
int sec_sddl_parse(const char *sddl, void **ret_sd, size_t *ret_len);  /* self-relative, free() it; -EINVAL on bad SDDL */
/* free() it; -EBADMSG a malformed descriptor, -EOPNOTSUPP an ACE SDDL cannot say here
   (callback, compound or unknown ACE types). */
int sec_sddl_format(const void *sd, size_t len, char **ret_sddl);
/* The same, limited to the parts selected by *_SECURITY_INFORMATION bits (1 owner,
   2 group, 4 DACL, 8 SACL; 0x10 label: the SACL's mandatory label ACEs). */
int sec_sddl_format_parts(const void *sd, size_t len, uint32_t parts, char **ret_sddl);
/* The extent of a valid self-relative descriptor: the end of its farthest part. */
int sec_sd_length(const void *sd, size_t len, size_t *ret_len);

/* Generic access check: deny ACEs before allow as ordered, inherit-only ACEs skipped, NULL DACL = all, empty DACL = none, owner rights ignored. */
int sec_access_check(const void *sd, size_t len, const struct sec_token *t, uint32_t desired, uint32_t *ret_granted);
/* COM permission semantics (LaunchPermission / AccessPermission / Machine*Restriction values): rights are COM_RIGHTS_EXECUTE 1, EXECUTE_LOCAL 2, EXECUTE_REMOTE 4, ACTIVATE_LOCAL 8, ACTIVATE_REMOTE 16.
   want = e.g. COM_RIGHTS_EXECUTE|COM_RIGHTS_EXECUTE_REMOTE|COM_RIGHTS_ACTIVATE_REMOTE for a remote launch.  Legacy descriptors whose ACE masks have only COM_RIGHTS_EXECUTE (pre-XP SP2) grant all the local/remote rights, as Windows treats them.
   -EBADMSG: a malformed descriptor, or one COM holds invalid (an ACE without
   COM_RIGHTS_EXECUTE, legacy and new masks mixed): callers refuse and say so. */
int sec_com_check(const void *sd, size_t len, const struct sec_token *t, uint32_t want, bool *ret_allowed);

/* Names <-> SIDs: "alice" and "HOST\alice" (a Unix user -> S-1-22-1-uid, unless an NTLM
   account of that name exists in OpenDCOM's account store and the caller can read it),
   "Unix User\alice", "Unix Group\staff" -> S-1-22-2-gid, well-known names, the SDDL
   aliases and "S-1-..." itself.  -ENOENT: no such name; -ERANGE: n too small. */
int sec_lookup_name(const char *name, char *ret_sid, size_t n);
int sec_lookup_sid(const char *sid, char *ret_name, size_t n);   /* best name for log lines; the SID string when unknown */

/* This machine's name as local accounts' domain: NTLM's NetBIOS name ("HOST"). */
void sec_host_name(char *buf, size_t n);

#endif /* DCOM_SECURITY_SECURITY_H */
