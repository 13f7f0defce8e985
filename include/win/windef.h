/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <windef.h> (with <minwindef.h>'s part): the calling-convention macros, all empty on
 * Linux; handles; the string pointer types; MAX_PATH and the small geometry structures
 * COM interfaces pass (RECT, POINT, SIZE).  The integer types are <dcom/types.h>'s and
 * <basetsd.h>'s, the security types <winnt.h>'s.
 */
#ifndef _WINDEF_
#define _WINDEF_
#define _MINWINDEF_

#include <dcom/types.h>
#include <basetsd.h>
#include <winnt.h>

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
#ifndef __cdecl
#define __cdecl
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef WINAPIV
#define WINAPIV
#endif
#ifndef EXTERN_C
#ifdef __cplusplus
#define EXTERN_C extern "C"
#else
#define EXTERN_C extern
#endif
#endif
#ifndef CONST
#define CONST const
#endif

/* The longest path the ANSI and the non-\\?\ wide functions take, in characters with
   the terminator (Linux' PATH_MAX is larger: GetModuleFileNameW truncates to what is given). */
#define MAX_PATH 260

#ifndef DCOM_HANDLE_DEFINED
#define DCOM_HANDLE_DEFINED
typedef void *HANDLE;
#endif
typedef HANDLE *PHANDLE, *LPHANDLE;
typedef void *HMODULE;
typedef void *HINSTANCE;
typedef void *HWND;
typedef void *HDC;
typedef void *HMENU;
typedef void *HICON;
typedef void *HBITMAP;
typedef void *HFONT;
typedef void *HBRUSH;
typedef void *HPALETTE;
typedef void *HRGN;
typedef void *HACCEL;
typedef void *HTASK;
typedef HICON HCURSOR;
typedef void *HENHMETAFILE;
typedef void *HMETAFILE;
typedef void *HMONITOR;
typedef void *HKL;
typedef void *HGDIOBJ;
typedef void *HCOLORSPACE;
typedef void *HGLRC;
typedef DWORD COLORREF, *LPCOLORREF;

typedef char *LPSTR, *PSTR;
typedef const char *LPCSTR, *PCSTR;
typedef WCHAR TCHAR;
typedef float FLOAT, *PFLOAT;
typedef BYTE *PBYTE;
typedef BOOL *PBOOL, *LPBOOL;
typedef int *PINT, *LPINT;
typedef WORD *PWORD, *LPWORD;
typedef LONG *LPLONG;
typedef UINT *PUINT, *LPUINT;
typedef ULONG *PULONG;
typedef USHORT *PUSHORT;
typedef SHORT *PSHORT;
typedef UCHAR *PUCHAR;
typedef CHAR *PCHAR;
typedef WCHAR *PWCHAR;
typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM;
typedef LONG_PTR LRESULT;
typedef WORD ATOM;

typedef struct tagRECT {
        LONG left;
        LONG top;
        LONG right;
        LONG bottom;
} RECT, *PRECT, *LPRECT;
typedef const RECT *LPCRECT;
typedef struct _RECTL {
        LONG left;
        LONG top;
        LONG right;
        LONG bottom;
} RECTL, *PRECTL, *LPRECTL;
typedef const RECTL *LPCRECTL;
typedef struct tagPOINT {
        LONG x;
        LONG y;
} POINT, *PPOINT, *LPPOINT;
typedef struct _POINTL {
        LONG x;
        LONG y;
} POINTL, *PPOINTL;
typedef struct tagSIZE {
        LONG cx;
        LONG cy;
} SIZE, *PSIZE, *LPSIZE;
typedef SIZE SIZEL, *PSIZEL, *LPSIZEL;

#define MAKEWORD(lo, hi) ((WORD)(((BYTE)((lo) & 0xff)) | ((WORD)((BYTE)((hi) & 0xff))) << 8))
#define MAKELONG(lo, hi) ((LONG)(((WORD)((lo) & 0xffff)) | ((DWORD)((WORD)((hi) & 0xffff))) << 16))
#define LOWORD(l) ((WORD)((DWORD_PTR)(l) & 0xffff))
#define HIWORD(l) ((WORD)((DWORD_PTR)(l) >> 16))
#define LOBYTE(w) ((BYTE)((DWORD_PTR)(w) & 0xff))
#define HIBYTE(w) ((BYTE)((DWORD_PTR)(w) >> 8))

#endif /* _WINDEF_ */
