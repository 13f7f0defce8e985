/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <guiddef.h>: GUID (<dcom/types.h>'s, [MS-DTYP] 2.3.4), its pointer and reference types,
 * DEFINE_GUID, and IsEqualGUID -- pointers in C, references in C++, as REFGUID is.
 */
#ifndef GUID_DEFINED
#define GUID_DEFINED
#define __GUIDDEF_H__

#include <string.h>
#include <dcom/types.h>

typedef GUID *LPGUID;
typedef const GUID *LPCGUID;
typedef IID *LPIID;
typedef GUID FMTID;
#ifdef __cplusplus
#define REFFMTID const FMTID &
#else
#define REFFMTID const FMTID *
#endif

/* DEFINE_GUID declares the GUID; in the one file that defines INITGUID first, it defines it. */
#undef DEFINE_GUID
#ifdef INITGUID
#ifdef __cplusplus
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
        extern "C" const GUID name; \
        extern "C" const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
        const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#endif
#else
#ifdef __cplusplus
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern "C" const GUID name
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif
#endif

#ifdef __cplusplus
inline bool IsEqualGUID(REFGUID a, REFGUID b) {
        return memcmp(&a, &b, sizeof(GUID)) == 0;
}
inline bool operator==(REFGUID a, REFGUID b) {
        return IsEqualGUID(a, b);
}
inline bool operator!=(REFGUID a, REFGUID b) {
        return !IsEqualGUID(a, b);
}
#else
#define IsEqualGUID(a, b) (memcmp((a), (b), sizeof(GUID)) == 0)
#endif
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)
#define IsEqualFMTID(a, b) IsEqualGUID(a, b)

#endif /* GUID_DEFINED */
