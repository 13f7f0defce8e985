/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local NTLM account store, what Samba's smbpasswd file is to Samba: user names
 * with the NT hash of their password (NTOWFv1, [MS-NLMP] 3.3.1), a relative id and a
 * disabled flag, plus the machine SID that makes the RID a SID (S-1-5-21-a-b-c-RID).
 * The NTLM server provider looks accounts up here; dcompasswd(8) administers it.
 *
 * One text file, <machine state dir>/private/ntlm-accounts (paths.h), in a directory
 * created 0700, the file itself 0600, so root alone reads it when the state is the
 * system's.  It never holds a password, only hashes -- but an NT hash is a password
 * equivalent for NTLM, so the file is as secret as the passwords.
 *
 * Readers take no lock: writers replace the file atomically (a temporary file in the
 * same directory, fsync, rename), so a reader sees the old file or the new one.
 * Writers serialise among processes with an flock on private/ntlm-accounts.lock and
 * read, change and write the file under it.  The parser refuses the whole file with
 * -EBADMSG at the first malformed line (logged to the "auth" debug channel); a write
 * never replaces a file it could not parse.
 *
 * Names are compared as Windows compares user names: case-insensitively by the simple
 * upper-case map of dcom_utf16_toupper (so "ALICE", "alice" and "Alice" are one
 * account); the name keeps the case it was added with.
 *
 * Every function returns 0 or a negative errno: -EINVAL a name that is empty, longer
 * than ACCOUNT_NAME_MAX bytes, not UTF-8, or holding ':' or a control character;
 * -ENOENT no such account; -EACCES the file or its directory may not be read or
 * written (not root); -EBADMSG a corrupt file; -ENOMEM; other errnos from the file
 * system.  Output parameters are written only on success.
 */
#ifndef DCOM_RPC_AUTH_ACCOUNTS_H
#define DCOM_RPC_AUTH_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCOUNT_NAME_MAX 256            /* UTF-8 bytes */
#define ACCOUNT_RID_FIRST 1000          /* the first RID handed out */
/* "S-1-5-21-" and three 32-bit decimals: the longest machine SID, with its NUL. */
#define ACCOUNT_MACHINE_SID_MAX (sizeof "S-1-5-21-4294967295-4294967295-4294967295")

struct account {
        char name[ACCOUNT_NAME_MAX + 1];        /* as added (case preserved) */
        uint32_t rid;           /* 1000 and up, unique, never reused while the file lives */
        uint8_t nt_hash[16];    /* MD4(UTF-16LE(password)) */
        bool disabled;
};

/* The file's path (malloc()ed; dcom_free it).  Nothing is created. */
/* The parser alone, over a file's bytes (fuzz-accounts): 0 and the number of accounts,
   -EBADMSG for anything malformed, -ENOMEM. */
int accounts_parse(const char *data, size_t size, size_t *ret_n);
int accounts_path(char **ret);

/* The account whose name equals name case-insensitively. */
int accounts_lookup(const char *name, struct account *ret);

/*
 * Adds the account (with the next RID) or changes its password, keeping its RID, the
 * case of its name and its disabled flag.  The NT hash is computed here; the password
 * is not kept.
 */
int accounts_set_password(const char *name, const char *password_utf8);
/* The same with the NT hash given, for accounts migrated from another store. */
int accounts_set_hash(const char *name, const uint8_t nt_hash[16]);

int accounts_delete(const char *name);
int accounts_set_disabled(const char *name, bool disabled);

/* Every account, in the file's order (order of addition).  *ret is NULL when n is 0. */
int accounts_list(struct account **ret, size_t *ret_n);

/*
 * The machine SID, "S-1-5-21-a-b-c" with three random sub-authorities, created when
 * first needed (which writes the file, so needs root for the system's store) and kept
 * in the file's header for as long as the file lives.  size >= ACCOUNT_MACHINE_SID_MAX
 * always suffices; -ERANGE when buf is too small.
 */
int accounts_machine_sid(char *buf, size_t size);

/* NTOWFv1: MD4 of the password's UTF-16LE bytes.  -EILSEQ when it is not UTF-8. */
int accounts_nt_hash(const char *password_utf8, uint8_t ret[16]);

#endif /* DCOM_RPC_AUTH_ACCOUNTS_H */
