/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GUIDs as COM strings: CoCreateGuid, StringFromGUID2 / StringFromCLSID /
 * StringFromIID (the registry form, braces and upper case, as ole32 writes it), and
 * the parsers CLSIDFromString (a braced GUID or else a ProgID) and IIDFromString
 * (braced only).  Return codes and the odd corners -- NULL strings meaning GUID_NULL,
 * partially filled results -- follow Windows as Wine's conformance tests record it.
 */
#include <string.h>

#include "com/helpers/helpers-internal.h"

static LOG_CHANNEL(com);

bool com_guid_from_wstr(const WCHAR *s, GUID *g) {
        int d;

        if (!s || s[0] != '{') {
                memset(g, 0, sizeof(*g));
                return !s;
        }
        /*
         * Each field is accumulated in place, one digit at a time: a bad character stops
         * the parse with the digits before it already stored ("{0b*..." leaves Data1 = 0xb).
         * Every test below fails on the NUL, so nothing past the terminator is read.
         */
        g->Data1 = 0;
        for (int i = 1; i < 9; i++) {
                if ((d = hex_digit(s[i])) < 0)
                        return false;
                g->Data1 = g->Data1 << 4 | (uint32_t)d;
        }
        if (s[9] != '-')
                return false;
        g->Data2 = 0;
        for (int i = 10; i < 14; i++) {
                if ((d = hex_digit(s[i])) < 0)
                        return false;
                g->Data2 = (uint16_t)(g->Data2 << 4 | d);
        }
        if (s[14] != '-')
                return false;
        g->Data3 = 0;
        for (int i = 15; i < 19; i++) {
                if ((d = hex_digit(s[i])) < 0)
                        return false;
                g->Data3 = (uint16_t)(g->Data3 << 4 | d);
        }
        if (s[19] != '-')
                return false;
        for (int i = 20, b = 0; b < 8; b++) {
                int hi, lo;
                if (i == 24 && s[i++] != '-')
                        return false;
                if ((hi = hex_digit(s[i])) < 0 || (lo = hex_digit(s[i + 1])) < 0)
                        return false;
                g->Data4[b] = (uint8_t)(hi << 4 | lo);
                i += 2;
        }
        return s[37] == '}' && s[38] == 0;
}

void com_guid_to_wstr(const GUID *g, WCHAR buf[COM_GUID_CHARS + 1]) {
        char a[DCOM_GUID_STRING_REG];

        dcom_guid_format(g, DCOM_GUID_FORMAT_REGISTRY, a);
        for (size_t i = 0; i < DCOM_GUID_STRING_REG; i++)
                buf[i] = (WCHAR)(unsigned char)a[i];
}

void com_clsid_path(const CLSID *clsid, WCHAR buf[COM_CLSID_PATH_CHARS]) {
        memcpy(buf, u"CLSID\\", 6 * sizeof(WCHAR));
        com_guid_to_wstr(clsid, buf + 6);
}

/* combaseapi.h: E_INVALIDARG for a NULL pointer (ole32 checks it, Wine's tests agree). */
DCOM_EXPORT HRESULT WINAPI CoCreateGuid(GUID *ret) {
        int r;

        if (!ret)
                return E_INVALIDARG;
        r = dcom_guid_generate(ret);
        if (r < 0) {
                log_debug(com, "getrandom failed: %d", r);
                return dcom_hresult_from_errno(r);
        }
        return S_OK;
}

/*
 * The characters written including the NUL (always 39), or 0 when buf holds fewer than
 * 39 -- then nothing is written.  A NULL GUID or buffer also gives 0, as on Windows.
 */
DCOM_EXPORT int WINAPI StringFromGUID2(REFGUID rguid, LPOLESTR buf, int cch) {
        if (!rguid || !buf || cch < COM_GUID_CHARS + 1)
                return 0;
        com_guid_to_wstr(rguid, buf);
        return COM_GUID_CHARS + 1;
}

/*
 * The string in CoTaskMemAlloc'd memory for the caller to CoTaskMemFree.  E_OUTOFMEMORY
 * (with *ret NULL) when that fails; NULL pointers, which Windows does not check, give
 * E_INVALIDARG here.
 */
DCOM_EXPORT HRESULT WINAPI StringFromCLSID(REFCLSID rclsid, LPOLESTR *ret) {
        WCHAR *s;

        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (!rclsid)
                return E_INVALIDARG;
        s = CoTaskMemAlloc((COM_GUID_CHARS + 1) * sizeof(WCHAR));
        if (!s)
                return E_OUTOFMEMORY;
        com_guid_to_wstr(rclsid, s);
        *ret = s;
        return S_OK;
}

/* "The function converts the interface identifier" exactly as StringFromCLSID does. */
DCOM_EXPORT HRESULT WINAPI StringFromIID(REFIID riid, LPOLESTR *ret) {
        return StringFromCLSID(riid, ret);
}

/*
 * combaseapi.h: "The CLSID format is {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}.  Passing
 * the ProgID results in saving associated CLSID in pclsid.  Passing NULL results in
 * GUID_NULL."  A string that is neither a braced GUID nor a registered ProgID gives
 * CO_E_CLASSSTRING (not the REGDB_E_WRITEREGDB of Windows CE's documentation: Windows
 * itself answers CO_E_CLASSSTRING).  A malformed GUID keeps whatever fields were parsed
 * before the error; the ProgID lookup only writes *ret when it succeeds.
 */
DCOM_EXPORT HRESULT WINAPI CLSIDFromString(LPCOLESTR s, LPCLSID ret) {
        CLSID tmp;
        HRESULT hr;

        if (!ret)
                return E_INVALIDARG;
        if (com_guid_from_wstr(s, ret))
                return S_OK;
        hr = CLSIDFromProgID(s, &tmp);
        if (SUCCEEDED(hr))
                *ret = tmp;
        return hr;
}

/* Units in s, counting no further than max + 1. */
static size_t wcslen_max(const WCHAR *s, size_t max) {
        size_t n = 0;

        while (n <= max && s[n])
                n++;
        return n;
}

/*
 * combaseapi.h: braced GUIDs only, never a ProgID; NULL gives GUID_NULL.  As on
 * Windows, a string of the wrong length is E_INVALIDARG with *ret untouched, one of
 * the right length not starting with '{' is CO_E_IIDSTRING with *ret untouched, and a
 * bad character further in is CO_E_IIDSTRING with the fields before it stored.
 */
DCOM_EXPORT HRESULT WINAPI IIDFromString(LPCOLESTR s, IID *ret) {
        if (!ret)
                return E_INVALIDARG;
        if (!s) {
                *ret = GUID_NULL;
                return S_OK;
        }
        if (wcslen_max(s, COM_GUID_CHARS) != COM_GUID_CHARS)
                return E_INVALIDARG;
        if (s[0] != '{')
                return CO_E_IIDSTRING;
        return com_guid_from_wstr(s, ret) ? S_OK : CO_E_IIDSTRING;
}
