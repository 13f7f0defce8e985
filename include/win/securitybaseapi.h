/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <securitybaseapi.h>: checking and measuring SIDs and self-relative security
 * descriptors, as Windows code calls them (implemented in libdcom, src/security).  A
 * self-relative descriptor carries no length: IsValidSecurityDescriptor and
 * GetSecurityDescriptorLength walk its parts from its header, as Windows does, so pass
 * only descriptors whose buffer holds them (ConvertStringSecurityDescriptorTo-
 * SecurityDescriptor's, or a REG_BINARY value checked by size).  Failures set
 * GetLastError().
 */
#ifndef DCOM_WIN_SECURITYBASEAPI_H
#define DCOM_WIN_SECURITYBASEAPI_H

#include <winnt.h>

#ifndef WINAPI
#define WINAPI
#endif

#ifdef __cplusplus
extern "C" {
#endif
DCOM_EXPORT BOOL WINAPI IsValidSid(PSID sid);
DCOM_EXPORT DWORD WINAPI GetLengthSid(PSID sid);
DCOM_EXPORT BOOL WINAPI EqualSid(PSID sid1, PSID sid2);
/* Self-relative descriptors only (absolute ones hold pointers, meaningless across ABIs). */
DCOM_EXPORT BOOL WINAPI IsValidSecurityDescriptor(PSECURITY_DESCRIPTOR sd);
DCOM_EXPORT DWORD WINAPI GetSecurityDescriptorLength(PSECURITY_DESCRIPTOR sd);
#ifdef __cplusplus
}
#endif

#endif /* DCOM_WIN_SECURITYBASEAPI_H */
