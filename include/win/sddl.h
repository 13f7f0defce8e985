/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <sddl.h>: SDDL ([MS-DTYP] 2.5.1) to self-relative security descriptors and back, and
 * SID strings, as Windows code calls them (implemented in libdcom, src/security).  What
 * these return is LocalAlloc'd: release it with LocalFree.  Failures return FALSE and set
 * GetLastError(): ERROR_INVALID_PARAMETER (bad SDDL or SID string, NULL arguments),
 * ERROR_UNKNOWN_REVISION (a revision other than SDDL_REVISION_1), ERROR_INVALID_SID,
 * ERROR_INVALID_SECURITY_DESCR, ERROR_NOT_ENOUGH_MEMORY.  Not supported: conditional and
 * resource-attribute ACEs, SIDs relative to a domain (DA, DU, LA, ...).
 */
#ifndef DCOM_WIN_SDDL_H
#define DCOM_WIN_SDDL_H

#include <windows.h>
#include <winnt.h>
#include <securitybaseapi.h>

#define SDDL_REVISION_1 1
#define SDDL_REVISION SDDL_REVISION_1

#ifdef __cplusplus
extern "C" {
#endif
DCOM_EXPORT BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorW(
        LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision,
        PSECURITY_DESCRIPTOR *SecurityDescriptor, ULONG *SecurityDescriptorSize);
DCOM_EXPORT BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorA(
        LPCSTR StringSecurityDescriptor, DWORD StringSDRevision,
        PSECURITY_DESCRIPTOR *SecurityDescriptor, ULONG *SecurityDescriptorSize);
/* StringSecurityDescriptorLen (optional): the length in characters, with the NUL. */
DCOM_EXPORT BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorW(
        PSECURITY_DESCRIPTOR SecurityDescriptor, DWORD RequestedStringSDRevision,
        SECURITY_INFORMATION SecurityInformation, LPWSTR *StringSecurityDescriptor,
        ULONG *StringSecurityDescriptorLen);
DCOM_EXPORT BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorA(
        PSECURITY_DESCRIPTOR SecurityDescriptor, DWORD RequestedStringSDRevision,
        SECURITY_INFORMATION SecurityInformation, LPSTR *StringSecurityDescriptor,
        ULONG *StringSecurityDescriptorLen);
/* "S-1-5-32-544" or an SDDL alias ("BA"), as Windows takes them. */
DCOM_EXPORT BOOL WINAPI ConvertStringSidToSidW(LPCWSTR StringSid, PSID *Sid);
DCOM_EXPORT BOOL WINAPI ConvertStringSidToSidA(LPCSTR StringSid, PSID *Sid);
DCOM_EXPORT BOOL WINAPI ConvertSidToStringSidW(PSID Sid, LPWSTR *StringSid);
DCOM_EXPORT BOOL WINAPI ConvertSidToStringSidA(PSID Sid, LPSTR *StringSid);
#ifdef __cplusplus
}
#endif

/* The unsuffixed names, as Windows maps them: W with UNICODE, else A. */
#ifdef UNICODE
#define ConvertStringSecurityDescriptorToSecurityDescriptor \
        ConvertStringSecurityDescriptorToSecurityDescriptorW
#define ConvertSecurityDescriptorToStringSecurityDescriptor \
        ConvertSecurityDescriptorToStringSecurityDescriptorW
#define ConvertStringSidToSid ConvertStringSidToSidW
#define ConvertSidToStringSid ConvertSidToStringSidW
#else
#define ConvertStringSecurityDescriptorToSecurityDescriptor \
        ConvertStringSecurityDescriptorToSecurityDescriptorA
#define ConvertSecurityDescriptorToStringSecurityDescriptor \
        ConvertSecurityDescriptorToStringSecurityDescriptorA
#define ConvertStringSidToSid ConvertStringSidToSidA
#define ConvertSidToStringSid ConvertSidToStringSidA
#endif

#endif /* DCOM_WIN_SDDL_H */
