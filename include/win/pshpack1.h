/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <pshpack1.h>: structures after it are packed to 1 bytes, until <poppack.h>. */
#pragma pack(push, 1)
