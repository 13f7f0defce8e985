/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <wtypes.h>: the data types of COM and OLE Automation -- <wtypesbase.h>'s, CLSCTX,
 * COAUTHINFO and COSERVERINFO (<dcom/com.h>), BSTR, VARIANT_BOOL, VARTYPE, CY, DECIMAL,
 * DATE (OpenDCOM's idl/oaidl.idl, <oaidl.h>, with the interfaces there).
 */
#ifndef __wtypes_h__
#define __wtypes_h__

#include <wtypesbase.h>
#include <dcom/com.h>
#include <oaidl.h>

#endif /* __wtypes_h__ */
