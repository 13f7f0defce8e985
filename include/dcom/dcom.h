/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenDCOM: everything public in one include. */
#ifndef DCOM_DCOM_H
#define DCOM_DCOM_H

#include <dcom/types.h>
#include <dcom/guid.h>
#include <dcom/status.h>
#include <dcom/utf16.h>
#include <dcom/winreg.h>

#endif /* DCOM_DCOM_H */
