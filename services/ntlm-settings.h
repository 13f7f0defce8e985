/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NTLM's machine settings from the registry, for the services that verify logons (rpcss
 * for itself, dcomlsa for every other process).
 */
#ifndef OPENDCOM_SERVICES_NTLM_SETTINGS_H
#define OPENDCOM_SERVICES_NTLM_SETTINGS_H

/*
 * The machine's security settings from the registry, as Windows keeps them:
 *   HKLM\SYSTEM\CurrentControlSet\Control\Lsa  LmCompatibilityLevel (REG_DWORD): 0-4
 *     accept NTLMv1 and the NTLM2 session response, 5 (the default when absent here,
 *     unlike Windows' 3) accepts NTLMv2 only;
 *   HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName  ComputerName
 *     (REG_SZ): the NetBIOS name NTLM announces, and the domain of local accounts
 *     (default: the host name's first label, upper case).
 */
/* (one log_service line when LmCompatibilityLevel is set) */
void ntlm_settings_from_registry(void);

#endif
