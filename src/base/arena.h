/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-call arena: public (<dcom/arena.h>) since generated stubs keep one on their stack. */
#ifndef DCOM_BASE_ARENA_H
#define DCOM_BASE_ARENA_H
#include <dcom/arena.h>
#endif
