/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <pshpack2.h>: structures after it are packed to 2 bytes, until <poppack.h>. */
#pragma pack(push, 2)
