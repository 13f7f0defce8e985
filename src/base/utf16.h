/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-16 one code point at a time, for the code that walks UTF-16 itself instead of
 * converting a whole string (<dcom/utf16.h>): the registry's .reg files, the reg tool.
 * Surrogate pairs are decoded here only (utf16.c).
 */
#ifndef DCOM_BASE_UTF16_H
#define DCOM_BASE_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dcom/types.h>

/*
 * The code point at s[*i] (*i < len): a surrogate pair is one (U+10000..U+10FFFF) and
 * moves *i past both units; anything else moves it one unit.  -1 for an unpaired
 * surrogate (a high one without a low one next, the last unit before len included, or a
 * low one alone).
 */
int32_t dcom_utf16_decode(const WCHAR *s, size_t len, size_t *i);
/* True if s[0..len) is well-formed UTF-16: every surrogate paired. */
bool dcom_utf16_valid(const WCHAR *s, size_t len);
/* Writes cp (at most U+10FFFF, not a surrogate) as UTF-8 into out; returns its bytes, 1-4. */
size_t dcom_utf8_encode(uint32_t cp, uint8_t out[static 4]);

#endif /* DCOM_BASE_UTF16_H */
