/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "ntlm-settings.h"
#include "rpc/auth/ntlm.h"

void ntlm_settings_from_registry(void) {
        struct ntlm_settings s;
        DWORD level = 0, size = sizeof level;
        WCHAR name[64];
        char *u8;
        size_t n;

        ntlm_get_settings(&s);
        if (RegGetValueW(HKEY_LOCAL_MACHINE, u"SYSTEM\\CurrentControlSet\\Control\\Lsa",
                         u"LmCompatibilityLevel", RRF_RT_REG_DWORD, NULL, &level,
                         &size) == ERROR_SUCCESS) {
                s.allow_v1 = level <= 4;
                log_service(LOG_INFO, "LmCompatibilityLevel %u: NTLMv1 %s", (unsigned)level,
                            s.allow_v1 ? "accepted" : "refused");
        }
        size = sizeof name;
        if (RegGetValueW(HKEY_LOCAL_MACHINE,
                         u"SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName",
                         u"ComputerName", RRF_RT_REG_SZ, NULL, name, &size) == ERROR_SUCCESS &&
            dcom_utf16_to_utf8(name, dcom_utf16_len(name), &u8, &n) >= 0) {
                size_t i;
                for (i = 0; i < 15 && u8[i]; i++)
                        s.computer[i] = (char)(u8[i] >= 'a' && u8[i] <= 'z' ? u8[i] - 32 : u8[i]);
                s.computer[i] = 0;
                memcpy(s.domain, s.computer, sizeof s.domain);
                free(u8);
        }
        ntlm_set_settings(&s);
}
