/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <pshpack4.h>: structures after it are packed to 4 bytes, until <poppack.h>. */
#pragma pack(push, 4)
