/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-16LE strings (WCHAR = uint16_t, as on Windows and on the wire) and their
 * conversion to and from UTF-8.  Conversions are strict: overlong forms, surrogates
 * encoded in UTF-8, code points above U+10FFFF, truncated sequences and unpaired
 * surrogates in UTF-16 are all rejected with -EILSEQ; nothing is silently replaced.
 * Lengths are in code units and never include a terminator; embedded U+0000 is data.
 */
#ifndef DCOM_UTF16_H
#define DCOM_UTF16_H

#include <dcom/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Units before the first 0 (like wcslen). */
DCOM_EXPORT size_t dcom_utf16_len(const WCHAR *s);

/*
 * Converts len bytes of UTF-8.  *ret gets a malloc()ed, NUL-terminated string (free()
 * it) and *ret_len (may be NULL) its length in units.  Returns 0, -EILSEQ on invalid
 * input, -ENOMEM.
 */
DCOM_EXPORT int dcom_utf8_to_utf16(const char *s, size_t len, WCHAR **ret, size_t *ret_len);
/* The reverse: len units of UTF-16 to a malloc()ed NUL-terminated UTF-8 string. */
DCOM_EXPORT int dcom_utf16_to_utf8(const WCHAR *s, size_t len, char **ret, size_t *ret_len);

/*
 * Case folding as the Windows registry and object manager do it: each UTF-16 unit is
 * upper-cased on its own by a fixed, locale-independent one-to-one table (so "ß" stays
 * "ß", and no Turkish dotted-I rule).  See src/base/casemap.c for the table's origin.
 */
DCOM_EXPORT WCHAR dcom_utf16_toupper(WCHAR c);
/* <0, 0, >0 comparing the upper-cased units, then length. */
DCOM_EXPORT int dcom_utf16_casecmp(const WCHAR *a, size_t alen, const WCHAR *b, size_t blen);

#ifdef __cplusplus
}
#endif

#endif /* DCOM_UTF16_H */
