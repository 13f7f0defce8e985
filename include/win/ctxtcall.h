/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <ctxtcall.h>: IContextCallback, ComCallData and PFNCONTEXTCALL, which OpenDCOM's
 * <objidl.h> declares (CoGetObjectContext, src/com/context.c).
 */
#ifndef __ctxtcall_h__
#define __ctxtcall_h__

#include <objbase.h>

#endif /* __ctxtcall_h__ */
