/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <accctrl.h>: the trustees and access lists (TRUSTEE_W, ACTRL_ACCESSW) that
 * IAccessControl takes; they are declared with it in the generated <iaccess.h>.
 */
#ifndef DCOM_WIN_ACCCTRL_H
#define DCOM_WIN_ACCCTRL_H
#include "iaccess.h"
#endif
