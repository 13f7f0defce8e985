/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <basetsd.h>: the sized and pointer-precision integer types (LP64 here, as Win64 is
 * LLP64: LONG_PTR and ULONG_PTR are pointer-sized, LONG stays 32 bits).
 */
#ifndef _BASETSD_H_
#define _BASETSD_H_

#include <dcom/types.h>

typedef int8_t INT8, *PINT8;
typedef uint8_t UINT8, *PUINT8;
typedef int16_t INT16, *PINT16;
typedef uint16_t UINT16, *PUINT16;
typedef int32_t INT32, *PINT32;
typedef uint32_t UINT32, *PUINT32;
typedef int64_t INT64, *PINT64;
typedef uint64_t UINT64, *PUINT64;
typedef int32_t LONG32, *PLONG32;
typedef uint32_t ULONG32, *PULONG32;
typedef uint32_t DWORD32, *PDWORD32;
typedef int64_t LONG64, *PLONG64;
typedef uint64_t ULONG64, *PULONG64;
typedef DWORD64 *PDWORD64;

typedef intptr_t INT_PTR, *PINT_PTR;
typedef uintptr_t UINT_PTR, *PUINT_PTR;
typedef intptr_t LONG_PTR, *PLONG_PTR;
typedef ULONG_PTR *PULONG_PTR;
typedef ULONG_PTR DWORD_PTR, *PDWORD_PTR;
typedef LONG_PTR SSIZE_T, *PSSIZE_T;
typedef SIZE_T *PSIZE_T;
typedef ULONG_PTR HANDLE_PTR;
typedef LONG_PTR SHANDLE_PTR;

#endif /* _BASETSD_H_ */
