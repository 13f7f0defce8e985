/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows base types with their wire sizes.  DCOM's IDL speaks in ULONG, DWORD,
 * WCHAR and GUID; on Linux `long` is 64-bit and `wchar_t` is 32-bit, so each type is
 * pinned to a fixed-width integer here (tests/test-types.c asserts every size).
 * Lower-case names are OpenDCOM's own; Windows-case names are ABI.
 */
#ifndef DCOM_TYPES_H
#define DCOM_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DCOM_EXPORT __attribute__((visibility("default")))

typedef uint8_t BYTE;
typedef uint8_t UCHAR;
typedef char CHAR;
typedef uint16_t WORD;
typedef uint16_t USHORT;
typedef int16_t SHORT;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef uint32_t UINT;
typedef int32_t LONG;
typedef int32_t INT;
typedef int32_t BOOL;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uint64_t DWORD64;
typedef uint16_t WCHAR;
typedef WCHAR OLECHAR;
typedef int32_t HRESULT;
typedef int32_t RPC_STATUS;     /* Windows: long, 32 bits there */
typedef int32_t SCODE;

typedef LONG LSTATUS;           /* Win32 error code returned by the registry API */
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef BYTE *LPBYTE;
typedef DWORD *LPDWORD;
typedef DWORD *PDWORD;
typedef LONG *PLONG;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
typedef uintptr_t ULONG_PTR;
typedef size_t SIZE_T;
typedef WCHAR *LPOLESTR;
typedef const WCHAR *LPCOLESTR;

/* [MS-DTYP] 2.3.3: 100-ns intervals since 1601-01-01 UTC, in two halves. */
typedef struct _FILETIME {
        DWORD dwLowDateTime;
        DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

/* [MS-DTYP] 2.3.4: Data1..Data3 are little-endian on the wire (see dcom_guid_to_wire). */
typedef struct _GUID {
        uint32_t Data1;
        uint16_t Data2;
        uint16_t Data3;
        uint8_t Data4[8];
} GUID;

typedef GUID IID;
typedef GUID CLSID;
typedef GUID UUID;

#ifdef __cplusplus
#define REFGUID const GUID &
#define REFIID const IID &
#define REFCLSID const CLSID &
#else
#define REFGUID const GUID *
#define REFIID const IID *
#define REFCLSID const CLSID *
#endif

#ifdef __cplusplus
}
#endif

#endif /* DCOM_TYPES_H */
