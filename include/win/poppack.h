/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <poppack.h>: the packing before the last <pshpackN.h> again. */
#pragma pack(pop)
