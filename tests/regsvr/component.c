/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal self-registering COM component for tests/test-regsvr.sh: its
 * DllRegisterServer writes what an in-process server registers --
 * HKCR\CLSID\{clsid}\InprocServer32 (the library's path, ThreadingModel), ProgID, and
 * HKCR\<ProgID>\CLSID -- through the registry API, DllUnregisterServer removes it, and
 * DllInstall records the command line it was given under HKCR\OpenDCOM.RegsvrTest.Install.
 */
#include <dlfcn.h>

#include <dcom/com.h>
#include <dcom/utf16.h>
#include <dcom/winreg.h>

#include <stdlib.h>
#include <string.h>

#define CLSID_KEY u"CLSID\\{6F1C0A5E-2B7D-4E3A-9C61-0D5E8F7A1B2C}"
#define CLSID_STR u"{6F1C0A5E-2B7D-4E3A-9C61-0D5E8F7A1B2C}"
#define PROGID u"OpenDCOM.RegsvrTest"
#define INSTALL_KEY u"OpenDCOM.RegsvrTest.Install"

static LSTATUS set_sz(const WCHAR *key, const WCHAR *name, const WCHAR *v) {
        return RegSetKeyValueW(HKEY_CLASSES_ROOT, key, name, REG_SZ, v,
                               (DWORD)((dcom_utf16_len(v) + 1) * sizeof(WCHAR)));
}

static HRESULT from_win32(LSTATUS s) {
        return s == ERROR_SUCCESS ? S_OK : (HRESULT)(((uint32_t)s & 0xffff) | 0x80070000u);
}

DCOM_EXPORT HRESULT DllRegisterServer(void);
DCOM_EXPORT HRESULT DllUnregisterServer(void);
DCOM_EXPORT HRESULT DllInstall(BOOL install, const WCHAR *cmdline);

HRESULT DllRegisterServer(void) {
        Dl_info info;
        WCHAR *path;
        char *real;
        LSTATUS s;
        int r;

        /* InprocServer32 holds the library's absolute path, whatever dlopen was given. */
        if (!dladdr((void *)(uintptr_t)&set_sz, &info) || !info.dli_fname)
                return E_FAIL;
        real = realpath(info.dli_fname, NULL);
        if (!real)
                return E_FAIL;
        r = dcom_utf8_to_utf16(real, strlen(real), &path, NULL);
        free(real);
        if (r < 0)
                return E_OUTOFMEMORY;
        s = set_sz(CLSID_KEY u"\\InprocServer32", NULL, path);
        free(path);
        if (s == ERROR_SUCCESS)
                s = set_sz(CLSID_KEY u"\\InprocServer32", u"ThreadingModel", u"Both");
        if (s == ERROR_SUCCESS)
                s = set_sz(CLSID_KEY u"\\ProgID", NULL, PROGID);
        if (s == ERROR_SUCCESS)
                s = set_sz(PROGID u"\\CLSID", NULL, CLSID_STR);
        return from_win32(s);
}

HRESULT DllUnregisterServer(void) {
        LSTATUS s = RegDeleteTreeW(HKEY_CLASSES_ROOT, CLSID_KEY);

        if (s == ERROR_SUCCESS || s == ERROR_FILE_NOT_FOUND)
                s = RegDeleteTreeW(HKEY_CLASSES_ROOT, PROGID);
        if (s == ERROR_FILE_NOT_FOUND)
                s = ERROR_SUCCESS;      /* unregistering twice is fine */
        return from_win32(s);
}

HRESULT DllInstall(BOOL install, const WCHAR *cmdline) {
        if (!install) {
                LSTATUS s = RegDeleteTreeW(HKEY_CLASSES_ROOT, INSTALL_KEY);
                return s == ERROR_FILE_NOT_FOUND ? S_OK : from_win32(s);
        }
        return from_win32(set_sz(INSTALL_KEY, NULL, cmdline ? cmdline : u"(null)"));
}
