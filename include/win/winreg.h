/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <winreg.h>: the registry API (OpenDCOM's SQLite-backed registry). */
#include <dcom/winreg.h>
