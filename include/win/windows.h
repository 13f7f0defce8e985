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

#ifndef WINAPI
#define WINAPI
#endif
#ifndef STDMETHODCALLTYPE
#define STDMETHODCALLTYPE
#endif
#ifndef STDAPICALLTYPE
#define STDAPICALLTYPE
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef EXTERN_C
#ifdef __cplusplus
#define EXTERN_C extern "C"
#else
#define EXTERN_C extern
#endif
#endif

#ifndef DCOM_HANDLE_DEFINED
#define DCOM_HANDLE_DEFINED
typedef void *HANDLE;
#endif
typedef void *HMODULE;
typedef void *HINSTANCE;
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef WCHAR TCHAR;

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

/* As on Windows, <windows.h> brings in COM and OLE Automation (there through <ole2.h>:
   <objbase.h>, <oleauto.h>) unless the program asks for less with WIN32_LEAN_AND_MEAN. */
#include <winnt.h>
#include <securitybaseapi.h>
#ifndef WIN32_LEAN_AND_MEAN
#include <objbase.h>
#endif

#endif /* DCOM_WIN_WINDOWS_H */
