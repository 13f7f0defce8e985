/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <winerror.h>: Windows' status codes, from OpenDCOM's one table. */
#include <dcom/winerror.h>
