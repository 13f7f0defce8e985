/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <ole2.h>: what an OLE program includes -- the COM library and its interfaces
 * (<objbase.h>), OLE Automation (<oleauto.h>), and OleInitialize.  OLE's compound documents and drag and
 * drop (oleidl.h) are not part of OpenDCOM.
 */
#ifndef _OLE2_H_
#define _OLE2_H_

#include <objbase.h>
#include <oleauto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OLE's start and end on a thread: it enters (or leaves) a single-threaded apartment,
   as CoInitializeEx with COINIT_APARTMENTTHREADED does; reserved must be NULL. */
DCOM_EXPORT HRESULT WINAPI OleInitialize(LPVOID reserved);
DCOM_EXPORT void WINAPI OleUninitialize(void);

#ifdef __cplusplus
}
#endif

#endif /* _OLE2_H_ */
