/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .reg files, as regedit and reg.exe read and write them.  Two formats:
 *
 *   "Windows Registry Editor Version 5.00"  regedit's own: UTF-16LE with a BOM and CRLF.
 *       hex(1)/hex(2)/hex(7) data are UTF-16LE bytes.  We also read it as UTF-8 (with
 *       or without BOM), as regedit reads a hand-written file.
 *   "REGEDIT4"  the Windows 95/NT4 format: 8-bit text.  We read and write it as UTF-8
 *       (Windows used the ANSI code page), and hex(1)/hex(2)/hex(7) data are UTF-8
 *       bytes converted to and from the registry's UTF-16.
 *
 * Reading is in two steps so that an import is all or nothing: regfile_parse() turns
 * the text into a list of operations without touching the registry, refusing the
 * whole file with one "file:line: problem" message at the first malformed line (the
 * grammar is stricter than regedit's, which skips lines it cannot read); then
 * regfile_apply() performs the list in one registry transaction, rolled back at the
 * first failure.  Writing (regfile_write, regfile_export) produces what regedit
 * writes, except where regedit's output would not read back to the same data (see
 * regfile.c): an export imports to an identical tree.
 */
#ifndef DCOM_REGISTRY_REGFILE_H
#define DCOM_REGISTRY_REGFILE_H

#include <stddef.h>
#include <stdint.h>

#include <dcom/winreg.h>
#include "base/buf.h"

enum regfile_format {
        REGFILE_V5,             /* Windows Registry Editor Version 5.00 */
        REGFILE_V4,             /* REGEDIT4 */
};

enum regfile_op_kind {
        REGFILE_KEY,            /* [KEY]: create or open KEY; the value ops after it apply to it */
        REGFILE_DELETE_KEY,     /* [-KEY]: delete KEY and everything under it (absent: fine) */
        REGFILE_SET_VALUE,      /* "name"=data, @=data */
        REGFILE_DELETE_VALUE,   /* "name"=-, @=- (absent: fine) */
};

struct regfile_op {
        enum regfile_op_kind kind;
        unsigned line;          /* line of the file it comes from (first line if continued) */
        HKEY root;              /* HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, ... */
        /*
         * The key below root, NUL-terminated, "" for the root itself.  Key ops own it;
         * value ops point at their key op's copy.
         */
        WCHAR *path;
        size_t path_len;
        WCHAR *name;            /* value ops: NUL-terminated, "" is the default value (@) */
        size_t name_len;
        DWORD type;             /* REGFILE_SET_VALUE */
        uint8_t *data;
        size_t size;
};

struct regfile {
        enum regfile_format format;
        char *filename;         /* for apply's messages */
        struct regfile_op *ops;
        size_t n_ops;
};

/*
 * Parses a .reg file: BOM (UTF-16LE or UTF-8) or none, header line, then key lines,
 * value lines, comments and blank lines.  Returns 0 and *ret (free with
 * regfile_free), or -EBADMSG with *ret_error = "FILENAME:LINE: problem" (malloc()ed
 * through dcom_malloc, free with dcom_free), or -ENOMEM (*ret_error may be NULL).
 * ret_error may be NULL.
 */
int regfile_parse(const uint8_t *data, size_t size, const char *filename, struct regfile **ret,
                  char **ret_error);
void regfile_free(struct regfile *f);

/*
 * Performs the operations in order in one transaction (dcom_reg_begin ... commit);
 * the first failing operation rolls everything back.  Returns ERROR_SUCCESS, or the
 * failing call's status with *ret_error = "FILENAME:LINE: what failed: why".
 */
LSTATUS regfile_apply(const struct regfile *f, char **ret_error);

/*
 * Writes the operation list back as .reg text in format fmt (appended to out, BOM
 * included for REGFILE_V5), such that regfile_parse() gives the same list.  Returns 0,
 * -ENOMEM, or -EINVAL with *ret_error when something has no .reg spelling (a name with
 * a line break or an unpaired surrogate; in REGEDIT4, string data that is not UTF-16).
 */
int regfile_write(const struct regfile *f, enum regfile_format fmt, struct buf *out,
                  char **ret_error);

/*
 * Exports key\subkey (subkey may be NULL or "") and everything under it, as regedit
 * does, appending the file's bytes to out.  Returns 0; -ENOENT if the key does not
 * exist; -EINVAL with *ret_error when something cannot be written in that format (see
 * regfile_write); -EIO with *ret_error when a registry call fails; -ENOMEM.
 */
int regfile_export(HKEY key, const WCHAR *subkey, enum regfile_format fmt, struct buf *out,
                   char **ret_error);

/*
 * Splits "HKLM\Software\Foo" (len units, no terminator needed) into its root key and
 * the rest: *ret_subkey points after the root name and its backslash ("Software\Foo"),
 * or at path + len when the path is only a root.  Root names: HKEY_LOCAL_MACHINE/HKLM,
 * HKEY_CURRENT_USER/HKCU, HKEY_CLASSES_ROOT/HKCR, HKEY_USERS/HKU, in any case.
 * Returns 0 or -EINVAL (unknown root).
 */
int regfile_split_path(const WCHAR *path, size_t len, HKEY *ret_root, const WCHAR **ret_subkey);

/* "HKEY_LOCAL_MACHINE" etc. for a root key; NULL for anything else. */
const char *regfile_root_name(HKEY root);

/*
 * Checks a key path below a root against the registry's rules: components separated by
 * single backslashes, none empty, none longer than DCOM_REG_MAX_KEY_NAME, at most
 * DCOM_REG_MAX_DEPTH of them.  Returns 0, or -EINVAL with *ret_problem (static text).
 */
int regfile_check_subkey(const WCHAR *subkey, size_t len, const char **ret_problem);

#endif /* DCOM_REGISTRY_REGFILE_H */
