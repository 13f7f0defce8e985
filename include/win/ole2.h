/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <ole2.h>: what an OLE program includes -- the COM library and its interfaces
 * (<objbase.h>) and OLE Automation (<oleauto.h>).  OLE's compound documents and drag and
 * drop (oleidl.h) are not part of OpenDCOM.
 */
#ifndef _OLE2_H_
#define _OLE2_H_

#include <objbase.h>
#include <oleauto.h>

#endif /* _OLE2_H_ */
