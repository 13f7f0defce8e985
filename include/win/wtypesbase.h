/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <wtypesbase.h>: the base types COM's IDL builds on -- integers (<dcom/types.h>,
 * <basetsd.h>), GUIDs (<guiddef.h>), OLECHAR/LPOLESTR and OLESTR() (<dcom/types.h>), the
 * handles and small structures of <windef.h>.
 */
#ifndef __wtypesbase_h__
#define __wtypesbase_h__

#include <dcom/types.h>
#include <basetsd.h>
#include <guiddef.h>
#include <windef.h>

#endif /* __wtypesbase_h__ */
