/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal <windows.h> for portable COM code: the base types (32-bit LONG/DWORD,
 * 16-bit WCHAR), status codes, the registry API and the calling-convention macros,
 * all empty or fixed-width on Linux, and (unless WIN32_LEAN_AND_MEAN) COM and OLE
 * Automation, as Windows' <windows.h> includes them.  Not the Win32 API.
 */
#ifndef DCOM_WIN_WINDOWS_H
#define DCOM_WIN_WINDOWS_H

#include <dcom/types.h>
#include <dcom/winerror.h>
#include <dcom/winreg.h>
#include <dcom/utf16.h>

#include <windef.h>

/*
 * Global memory (winbase.h): the handle-based blocks Windows APIs pass around, such as
 * CreateStreamOnHGlobal's.  A GMEM_FIXED block's handle is its address; a GMEM_MOVEABLE
 * block's is not, and GlobalLock turns it into one.  No GetLastError: failures return
 * NULL (0 from GlobalSize).  Implemented in libdcom (src/com/hglobal.c).
 */
typedef HANDLE HGLOBAL;
typedef HANDLE HLOCAL;

#define GMEM_FIXED 0x0000
#define GMEM_MOVEABLE 0x0002
#define GMEM_NOCOMPACT 0x0010
#define GMEM_NODISCARD 0x0020
#define GMEM_ZEROINIT 0x0040
#define GMEM_MODIFY 0x0080
#define GMEM_DISCARDABLE 0x0100
#define GMEM_NOT_BANKED 0x1000
#define GMEM_SHARE 0x2000
#define GMEM_DDESHARE 0x2000
#define GMEM_NOTIFY 0x4000
#define GMEM_LOWER GMEM_NOT_BANKED
#define GMEM_VALID_FLAGS 0x7F72
#define GMEM_INVALID_HANDLE 0x8000
#define GHND (GMEM_MOVEABLE | GMEM_ZEROINIT)
#define GPTR (GMEM_FIXED | GMEM_ZEROINIT)

#ifdef __cplusplus
extern "C" {
#endif
DCOM_EXPORT HGLOBAL WINAPI GlobalAlloc(UINT flags, SIZE_T bytes);
DCOM_EXPORT HGLOBAL WINAPI GlobalReAlloc(HGLOBAL mem, SIZE_T bytes, UINT flags);
DCOM_EXPORT HGLOBAL WINAPI GlobalFree(HGLOBAL mem);
DCOM_EXPORT LPVOID WINAPI GlobalLock(HGLOBAL mem);
DCOM_EXPORT BOOL WINAPI GlobalUnlock(HGLOBAL mem);
DCOM_EXPORT SIZE_T WINAPI GlobalSize(HGLOBAL mem);
DCOM_EXPORT HGLOBAL WINAPI GlobalHandle(LPCVOID mem);
/* Local memory (winbase.h), what <sddl.h>'s conversions return: LMEM_FIXED blocks only,
   their handle their address; LocalFree returns NULL, or the handle it could not free. */
#define LMEM_FIXED 0x0000
#define LMEM_ZEROINIT 0x0040
#define LPTR (LMEM_FIXED | LMEM_ZEROINIT)
DCOM_EXPORT HLOCAL WINAPI LocalAlloc(UINT flags, SIZE_T bytes);
DCOM_EXPORT HLOCAL WINAPI LocalFree(HLOCAL mem);
/* The calling thread's last error (Win32 ERROR_* codes), as the <sddl.h> and
   <securitybaseapi.h> functions set it. */
DCOM_EXPORT DWORD WINAPI GetLastError(void);
DCOM_EXPORT void WINAPI SetLastError(DWORD err);
#ifdef __cplusplus
}
#endif

/*
 * Modules (libloaderapi.h).  An HMODULE is the address the module is mapped at, as on
 * Windows: GetModuleHandleW(NULL) is the executable's, GetModuleHandleW(L"calc.so") (or
 * "calc": Windows adds ".dll", here ".so" is tried) a loaded module by file name or path,
 * case-insensitively, GetModuleHandleExW with
 * GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS the one holding an address -- how a shared
 * library's DllRegisterServer finds its own file here, where no DllMain hands it its
 * HINSTANCE.  GetModuleFileNameW(NULL, ...) is the executable's path.  A path longer than
 * the buffer is cut, still terminated: the return value is then size and the last error
 * ERROR_INSUFFICIENT_BUFFER.  Implemented in libdcom (src/com/module.c).
 */
#define GET_MODULE_HANDLE_EX_FLAG_PIN 0x00000001
#define GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT 0x00000002
#define GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS 0x00000004

#ifdef __cplusplus
extern "C" {
#endif
DCOM_EXPORT HMODULE WINAPI GetModuleHandleW(LPCWSTR name);
DCOM_EXPORT BOOL WINAPI GetModuleHandleExW(DWORD flags, LPCWSTR name, HMODULE *ret);
DCOM_EXPORT DWORD WINAPI GetModuleFileNameW(HMODULE module, LPWSTR buf, DWORD size);
#ifdef __cplusplus
}
#endif

/*
 * Interlocked* (winnt.h/winbase.h): full-barrier atomics on 32-bit LONGs (and 64-bit and
 * pointer variants), as COM objects count their references.  Increment, Decrement and Add
 * return the new value, Exchange and ExchangeAdd the old, CompareExchange the initial.
 */
static inline LONG InterlockedIncrement(LONG volatile *p) {
        return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedDecrement(LONG volatile *p) {
        return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedAdd(LONG volatile *p, LONG v) {
        return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchangeAdd(LONG volatile *p, LONG v) {
        return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchange(LONG volatile *p, LONG v) {
        return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedCompareExchange(LONG volatile *p, LONG exchange, LONG comparand) {
        __atomic_compare_exchange_n(p, &comparand, exchange, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
        return comparand;
}
static inline LONGLONG InterlockedIncrement64(LONGLONG volatile *p) {
        return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONGLONG InterlockedDecrement64(LONGLONG volatile *p) {
        return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONGLONG InterlockedExchange64(LONGLONG volatile *p, LONGLONG v) {
        return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline LONGLONG InterlockedCompareExchange64(LONGLONG volatile *p, LONGLONG exchange,
                                                    LONGLONG comparand) {
        __atomic_compare_exchange_n(p, &comparand, exchange, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
        return comparand;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v) {
        return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID exchange,
                                                      PVOID comparand) {
        __atomic_compare_exchange_n(p, &comparand, exchange, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
        return comparand;
}

/*
 * lstr*W (winbase.h) on WCHAR strings; NULL counts as empty in lstrlenW as on Windows.
 * lstrcmpiW compares <dcom/utf16.h>'s simple upper-casing (locale-independent), where
 * Windows uses the user's locale: equal results for the identifiers COM compares.
 */
static inline int lstrlenW(LPCWSTR s) {
        int n = 0;
        if (s)
                while (s[n])
                        n++;
        return n;
}
static inline int lstrcmpW(LPCWSTR a, LPCWSTR b) {
        while (*a && *a == *b)
                a++, b++;
        return *a < *b ? -1 : *a > *b;
}
static inline int lstrcmpiW(LPCWSTR a, LPCWSTR b) {
        int r = dcom_utf16_casecmp(a, (size_t)lstrlenW(a), b, (size_t)lstrlenW(b));
        return r < 0 ? -1 : r > 0;
}
static inline LPWSTR lstrcpyW(LPWSTR dst, LPCWSTR src) {
        LPWSTR d = dst;
        while ((*d++ = *src++) != 0)
                ;
        return dst;
}
static inline LPWSTR lstrcpynW(LPWSTR dst, LPCWSTR src, int n) {
        int i = 0;
        if (n <= 0)
                return dst;
        for (; i < n - 1 && src[i]; i++)
                dst[i] = src[i];
        dst[i] = 0;
        return dst;
}
static inline LPWSTR lstrcatW(LPWSTR dst, LPCWSTR src) {
        lstrcpyW(dst + lstrlenW(dst), src);
        return dst;
}

/*
 * wsprintfW / wvsprintfW (winuser.h): printf into a WCHAR buffer of at least 1024 WCHARs
 * with Windows' conversions -- c C d i u x X p s S, h/l/I64 prefixes, %s a WCHAR string
 * and %S a char (UTF-8) one, flags - 0 #, width and precision, no floating point -- and
 * Windows' cap of 1024 WCHARs with the terminator.  Returns the WCHARs written without it.
 */
#include <stdarg.h>
#ifdef __cplusplus
extern "C" {
#endif
DCOM_EXPORT int WINAPIV wsprintfW(LPWSTR buf, LPCWSTR fmt, ...);
DCOM_EXPORT int WINAPI wvsprintfW(LPWSTR buf, LPCWSTR fmt, va_list args);
#ifdef __cplusplus
}
#endif

/* As on Windows, <windows.h> brings in COM and OLE Automation (there through <ole2.h>:
   <objbase.h>, <oleauto.h>) unless the program asks for less with WIN32_LEAN_AND_MEAN. */
#include <winnt.h>
#include <securitybaseapi.h>
#ifndef WIN32_LEAN_AND_MEAN
#include <objbase.h>
#endif

#endif /* DCOM_WIN_WINDOWS_H */
