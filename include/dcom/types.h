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
/*
 * WCHAR, OLECHAR: 16-bit UTF-16 code units.  In C they are uint16_t, and u"..." literals
 * (C11's char16_t, uint_least16_t) are arrays of them.  In C++ char16_t is a type of its
 * own, distinct from uint16_t: WCHAR is char16_t there, so u"..." literals, OLESTR() and
 * TEXT() are WCHAR strings without casts.  A C++ program built with -fshort-wchar (a
 * 16-bit wchar_t, as on Windows) gets WCHAR = wchar_t instead, and L"..." works as it does
 * with MSVC -- at the price of glibc's wcs*() and %ls, which expect a 32-bit wchar_t, so
 * dcom.pc does not ask for it.  Both are 16-bit unsigned code units: the C ABI is the same
 * in every case, and every API is extern "C" (no C++ mangling sees the type).
 */
#if defined(__cplusplus) && defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
typedef wchar_t WCHAR;
#define OLESTR(str) L##str
#elif defined(__cplusplus)
typedef char16_t WCHAR;
#define OLESTR(str) u##str
#else
typedef uint16_t WCHAR;
#define OLESTR(str) u##str
#endif
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

/* [MS-DTYP] 2.3.3: 100-ns intervals since 1601-01-01 UTC, in two halves.  (_FILETIME_
   is the SDK's guard: <wtypes.h> generated from other IDL then skips its own.) */
#ifndef _FILETIME_
#define _FILETIME_
typedef struct _FILETIME {
        DWORD dwLowDateTime;
        DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
#endif

/* winnt.h's 64-bit integers in halves (little-endian: LowPart first). */
#ifndef _LARGE_INTEGER_DEFINED
#define _LARGE_INTEGER_DEFINED
typedef union _LARGE_INTEGER {
        __extension__ struct {
                DWORD LowPart;
                LONG HighPart;
        };
        struct {
                DWORD LowPart;
                LONG HighPart;
        } u;
        LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;
typedef union _ULARGE_INTEGER {
        __extension__ struct {
                DWORD LowPart;
                DWORD HighPart;
        };
        struct {
                DWORD LowPart;
                DWORD HighPart;
        } u;
        ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;
#endif

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
typedef CLSID *LPCLSID;

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

/*
 * The C++ side of generated headers (MIDL's shape): interfaces are abstract classes,
 * `MIDL_INTERFACE("iid") IFoo : public IBar {...}`.  GCC and Clang have no
 * __declspec(uuid): each generated header names its interfaces' and coclasses' GUIDs
 * with DCOM_UUID_DECL (MinGW's __CRT_UUID_DECL is the same), a trait __uuidof() reads,
 * whether given a type, a pointer or an expression: __uuidof(IFoo), __uuidof(p),
 * __uuidof(**pp).  IID_PPV_ARGS(&p) gives QueryInterface/CoCreateInstance both arguments.
 */
#ifndef DECLSPEC_UUID
#define DECLSPEC_UUID(x)
#endif
#ifndef DECLSPEC_ALIGN
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#endif
#ifndef DECLSPEC_NOVTABLE
#define DECLSPEC_NOVTABLE
#endif
#ifndef MIDL_INTERFACE
#define MIDL_INTERFACE(x) struct
#endif
#ifdef __cplusplus
extern "C++" {
template <typename T> struct dcom_uuid_traits;          /* specialised by DCOM_UUID_DECL */
template <typename T> struct dcom_uuid_base { typedef T type; };
template <typename T> struct dcom_uuid_base<T *> : dcom_uuid_base<T> {};
template <typename T> struct dcom_uuid_base<T &> : dcom_uuid_base<T> {};
template <typename T> struct dcom_uuid_base<const T> : dcom_uuid_base<T> {};
template <typename T> struct dcom_uuid_base<volatile T> : dcom_uuid_base<T> {};
template <typename T> inline void **IID_PPV_ARGS_Helper(T **pp) {
        return reinterpret_cast<void **>(pp);
}
}
#define DCOM_UUID_DECL(type, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
        extern "C++" { \
        template <> struct dcom_uuid_traits<type> { \
                static const GUID &uuid() { \
                        static const GUID g = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}; \
                        return g; \
                } \
        }; \
        }
#ifndef __CRT_UUID_DECL
#define __CRT_UUID_DECL(type, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
        DCOM_UUID_DECL(type, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)
#endif
#define __uuidof(x) (dcom_uuid_traits<dcom_uuid_base<__typeof__(x)>::type>::uuid())
#define IID_PPV_ARGS(pp) __uuidof(**(pp)), IID_PPV_ARGS_Helper(pp)
#else
#define DCOM_UUID_DECL(type, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)
#endif

#endif /* DCOM_TYPES_H */
