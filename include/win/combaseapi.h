/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <combaseapi.h>: the COM library, as <objbase.h> gives it. */
#include <objbase.h>
