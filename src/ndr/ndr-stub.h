/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seam between generated stubs and the runtime: installed as <dcom/ndr-stub.h>. */
#ifndef DCOM_NDR_STUB_INTERNAL_H
#define DCOM_NDR_STUB_INTERNAL_H
#include <dcom/ndr-stub.h>

#include "ndr/ndr-internal.h"
#endif
