/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <pshpack8.h>: structures after it are packed to 8 bytes, until <poppack.h>. */
#pragma pack(push, 8)
