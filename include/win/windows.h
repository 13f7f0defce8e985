/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal <windows.h> for portable COM code: the base types (32-bit LONG/DWORD,
 * 16-bit WCHAR), status codes, the registry API and the calling-convention macros,
 * all empty or fixed-width on Linux.  Not the Win32 API.
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

#endif /* DCOM_WIN_WINDOWS_H */
