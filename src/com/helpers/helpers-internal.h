/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the COM helpers (task memory, GUID strings, ProgIDs, TreatAs) share among
 * themselves: the braced-GUID parser with Windows' partial-result behaviour and the
 * "CLSID\{...}" registry path of a class.
 */
#ifndef DCOM_COM_HELPERS_INTERNAL_H
#define DCOM_COM_HELPERS_INTERNAL_H

#include <stdbool.h>

#include <dcom/com.h>
#include <dcom/winreg.h>

#include "base/base-internal.h"

/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" without its NUL. */
#define COM_GUID_CHARS 38

/*
 * Parses exactly "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (hex digits in either case,
 * nothing after the brace).  Like ole32 it fills *g field by field as it goes, so a
 * string that goes wrong half-way leaves the fields read so far (Wine's conformance
 * tests pin this down on Windows); a NULL string is GUID_NULL and succeeds, and one
 * not starting with '{' zeroes *g and fails.
 */
bool com_guid_from_wstr(const WCHAR *s, GUID *g);

/* Writes g as "{...}" upper case plus a NUL into buf (COM_GUID_CHARS + 1 units). */
void com_guid_to_wstr(const GUID *g, WCHAR buf[COM_GUID_CHARS + 1]);

/* "CLSID\{...}" plus a NUL. */
#define COM_CLSID_PATH_CHARS (6 + COM_GUID_CHARS + 1)
void com_clsid_path(const CLSID *clsid, WCHAR buf[COM_CLSID_PATH_CHARS]);

#endif /* DCOM_COM_HELPERS_INTERNAL_H */
