/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <winuser.h>: only what COM interfaces' signatures name from the window manager -- the
 * message structure (IOleInPlaceActiveObject::TranslateAccelerator's MSG) and the
 * handles of <windef.h>.  There are no windows on OpenDCOM.
 */
#ifndef _WINUSER_
#define _WINUSER_

#include <windef.h>

typedef struct tagMSG {
        HWND hwnd;
        UINT message;
        WPARAM wParam;
        LPARAM lParam;
        DWORD time;
        POINT pt;
} MSG, *PMSG, *NPMSG, *LPMSG;

typedef struct tagACCEL {
        BYTE fVirt;
        WORD key;
        WORD cmd;
} ACCEL, *LPACCEL;

#endif /* _WINUSER_ */
