/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <olectl.h>: what COM servers and controls include for self-registration and
 * connection points -- <ocidl.h>'s interfaces and the status codes DllRegisterServer
 * (SELFREG_E_*, in OpenDCOM's status table) and IConnectionPoint (CONNECT_E_*) return.
 */
#ifndef _OLECTL_H_
#define _OLECTL_H_

#include <ole2.h>
#include <ocidl.h>

/* IConnectionPoint's codes share their values with SELFREG_E_* (FACILITY_ITF, 0x200+). */
#define CONNECT_E_FIRST ((HRESULT)0x80040200)
#define CONNECT_E_NOCONNECTION (CONNECT_E_FIRST + 0)
#define CONNECT_E_ADVISELIMIT (CONNECT_E_FIRST + 1)
#define CONNECT_E_CANNOTCONNECT (CONNECT_E_FIRST + 2)
#define CONNECT_E_OVERRIDDEN (CONNECT_E_FIRST + 3)
#define CONNECT_E_LAST ((HRESULT)0x8004020F)
#define CONNECT_S_FIRST ((HRESULT)0x00040200)
#define CONNECT_S_LAST ((HRESULT)0x0004020F)
#define SELFREG_E_FIRST ((HRESULT)0x80040200)
#define SELFREG_E_LAST ((HRESULT)0x8004020F)
#define SELFREG_S_FIRST ((HRESULT)0x00040200)
#define SELFREG_S_LAST ((HRESULT)0x0004020F)

#ifndef OLECTLAPI
#define OLECTLAPI DCOM_EXPORT HRESULT STDAPICALLTYPE
#endif

#endif /* _OLECTL_H_ */
