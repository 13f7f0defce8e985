/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The growable buffer: public (<dcom/buf.h>) since an NDR push holds one. */
#ifndef DCOM_BASE_BUF_H
#define DCOM_BASE_BUF_H
#include <dcom/buf.h>
#endif
