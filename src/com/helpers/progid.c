/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Classes in the registry: ProgIDs both ways (ProgIDFromCLSID, CLSIDFromProgID) and
 * emulation (CoGetTreatAsClass, CoTreatAsClass).  All of it reads and writes the merged
 * HKEY_CLASSES_ROOT view through the registry API, with the keys Windows uses:
 *
 *      HKCR\CLSID\{clsid}\ProgID         (default)  the class's ProgID
 *      HKCR\CLSID\{clsid}\TreatAs        (default)  "{clsid}" emulating it
 *      HKCR\CLSID\{clsid}\AutoTreatAs    (default)  the TreatAs to restore on "reset"
 *      HKCR\<ProgID>\CLSID               (default)  "{clsid}"
 *      HKCR\<ProgID>\CurVer              (default)  the current versioned ProgID
 *
 * Return codes follow the functions' documentation, and where it is silent, Windows'
 * behaviour as Wine's conformance tests (dlls/ole32/tests/compobj.c) record it.
 */
#include <string.h>

#include "com/helpers/helpers-internal.h"

static LOG_CHANNEL(com);

/* A registry failure while reading, as the COM functions report it. */
static HRESULT read_error(LSTATUS s) {
        if (s == ERROR_OUTOFMEMORY || s == ERROR_NOT_ENOUGH_MEMORY)
                return E_OUTOFMEMORY;
        return REGDB_E_READREGDB;
}

/*
 * The default value of key\path as a string of fewer than cch units.  ERROR_MORE_DATA
 * when it is longer, ERROR_UNSUPPORTED_TYPE when it is not a string.
 */
static LSTATUS get_default_sz(HKEY key, const WCHAR *path, WCHAR *buf, size_t cch) {
        DWORD cb = (DWORD)(cch * sizeof(WCHAR));

        return RegGetValueW(key, path, NULL, RRF_RT_REG_SZ, NULL, buf, &cb);
}

/* "<base>\<sub>" in dcom_malloc'd memory, or NULL. */
static WCHAR *path_join(const WCHAR *base, const WCHAR *sub) {
        size_t a = dcom_utf16_len(base), b = dcom_utf16_len(sub);
        WCHAR *p = dcom_reallocarray(NULL, a + b + 2, sizeof(WCHAR));

        if (!p)
                return NULL;
        memcpy(p, base, a * sizeof(WCHAR));
        p[a] = '\\';
        memcpy(p + a + 1, sub, (b + 1) * sizeof(WCHAR));
        return p;
}

/* --- ProgID -> CLSID ------------------------------------------------------------------ */

/* HKCR\<progid>\CLSID's braced GUID.  CO_E_CLASSSTRING for anything missing or malformed. */
static HRESULT clsid_of_progid(const WCHAR *progid, CLSID *ret) {
        WCHAR buf[COM_GUID_CHARS + 1], *path;
        CLSID tmp;
        LSTATUS s;

        path = path_join(progid, u"CLSID");
        if (!path)
                return E_OUTOFMEMORY;
        s = get_default_sz(HKEY_CLASSES_ROOT, path, buf, ELEMENTSOF(buf));
        dcom_free(path);
        if (s == ERROR_OUTOFMEMORY || s == ERROR_NOT_ENOUGH_MEMORY)
                return E_OUTOFMEMORY;
        if (s != ERROR_SUCCESS || !com_guid_from_wstr(buf, &tmp)) {
                log_debug(com, "no CLSID for a ProgID (registry error %ld)", (long)s);
                return CO_E_CLASSSTRING;
        }
        *ret = tmp;
        return S_OK;
}

/*
 * combaseapi.h CLSIDFromProgID: E_INVALIDARG for NULL arguments; CO_E_CLASSSTRING for
 * a ProgID that is not registered, with *ret zeroed (Windows clears it on failure).
 * Windows' fallback of inventing an OLE 1 CLSID for unknown ProgIDs (the source of the
 * documented REGDB_E_WRITEREGDB) is not done: there are no OLE 1 servers here.
 *
 * A version-independent ProgID names its current version in HKCR\<ProgID>\CurVer; that
 * version's CLSID key wins when it exists (one step: a versioned ProgID has no CurVer
 * of its own), else the version-independent ProgID's own CLSID key answers.
 */
DCOM_EXPORT HRESULT WINAPI CLSIDFromProgID(LPCOLESTR progid, LPCLSID ret) {
        WCHAR cur[DCOM_REG_MAX_KEY_NAME + 1], *path;
        size_t len;
        HRESULT hr;
        LSTATUS s;

        if (!progid || !ret)
                return E_INVALIDARG;
        *ret = GUID_NULL;

        path = path_join(progid, u"CurVer");
        if (!path)
                return E_OUTOFMEMORY;
        s = get_default_sz(HKEY_CLASSES_ROOT, path, cur, ELEMENTSOF(cur));
        dcom_free(path);
        if (s == ERROR_OUTOFMEMORY || s == ERROR_NOT_ENOUGH_MEMORY)
                return E_OUTOFMEMORY;   /* never answer for the wrong version */
        len = dcom_utf16_len(progid);
        if (s == ERROR_SUCCESS && cur[0] &&
            dcom_utf16_casecmp(cur, dcom_utf16_len(cur), progid, len) != 0) {
                hr = clsid_of_progid(cur, ret);
                if (hr != CO_E_CLASSSTRING)
                        return hr;
        }
        return clsid_of_progid(progid, ret);
}

/* Windows' also offers the class to be installed on demand; nothing installs here. */
DCOM_EXPORT HRESULT WINAPI CLSIDFromProgIDEx(LPCOLESTR progid, LPCLSID ret) {
        return CLSIDFromProgID(progid, ret);
}

/* --- CLSID -> ProgID ------------------------------------------------------------------ */

/*
 * combaseapi.h ProgIDFromCLSID: the ProgID in CoTaskMemAlloc'd memory; E_INVALIDARG
 * for a NULL result pointer; REGDB_E_CLASSNOTREG, with *ret NULL, when the class has
 * no ProgID (whether its key or only the ProgID subkey is missing); REGDB_E_READREGDB
 * for other registry errors.
 */
DCOM_EXPORT HRESULT WINAPI ProgIDFromCLSID(REFCLSID rclsid, LPOLESTR *ret) {
        WCHAR path[COM_CLSID_PATH_CHARS + 7];
        LSTATUS s;

        if (!ret)
                return E_INVALIDARG;
        *ret = NULL;
        if (!rclsid)
                return E_INVALIDARG;
        com_clsid_path(rclsid, path);
        memcpy(path + COM_CLSID_PATH_CHARS - 1, u"\\ProgID", 8 * sizeof(WCHAR));

        /* Size, then data; another writer may change the value in between, so retry. */
        for (int attempt = 0; attempt < 8; attempt++) {
                DWORD cb = 0;
                WCHAR *buf;

                s = RegGetValueW(HKEY_CLASSES_ROOT, path, NULL, RRF_RT_REG_SZ, NULL, NULL, &cb);
                if (s != ERROR_SUCCESS)
                        break;
                buf = CoTaskMemAlloc(cb);
                if (!buf)
                        return E_OUTOFMEMORY;
                s = RegGetValueW(HKEY_CLASSES_ROOT, path, NULL, RRF_RT_REG_SZ, NULL, buf, &cb);
                if (s == ERROR_SUCCESS) {
                        *ret = buf;
                        return S_OK;
                }
                CoTaskMemFree(buf);
                if (s != ERROR_MORE_DATA)
                        break;
        }
        if (s == ERROR_FILE_NOT_FOUND || s == ERROR_UNSUPPORTED_TYPE || s == ERROR_KEY_DELETED)
                return REGDB_E_CLASSNOTREG;
        return read_error(s);
}

/* --- TreatAs -------------------------------------------------------------------------- */

/*
 * combaseapi.h CoGetTreatAsClass: S_OK with the emulating class in *ret; S_FALSE with
 * *ret = old when there is no emulation; REGDB_E_READREGDB when the registry cannot be
 * read; or what CLSIDFromString says of a bad TreatAs value.  NULL arguments give
 * E_INVALIDARG with *ret unchanged (Windows, per Wine's tests).
 */
DCOM_EXPORT HRESULT WINAPI CoGetTreatAsClass(REFCLSID old, LPCLSID ret) {
        WCHAR path[COM_CLSID_PATH_CHARS + 8], buf[DCOM_REG_MAX_KEY_NAME + 1];
        CLSID tmp;
        HRESULT hr;
        LSTATUS s;

        if (!old || !ret)
                return E_INVALIDARG;
        *ret = *old;
        com_clsid_path(old, path);
        memcpy(path + COM_CLSID_PATH_CHARS - 1, u"\\TreatAs", 9 * sizeof(WCHAR));
        s = get_default_sz(HKEY_CLASSES_ROOT, path, buf, ELEMENTSOF(buf));
        if (s == ERROR_FILE_NOT_FOUND || s == ERROR_UNSUPPORTED_TYPE || s == ERROR_KEY_DELETED)
                return S_FALSE;
        if (s == ERROR_MORE_DATA)
                return CO_E_CLASSSTRING;
        if (s != ERROR_SUCCESS)
                return read_error(s);
        hr = CLSIDFromString(buf, &tmp);
        if (FAILED(hr)) {
                log_debug(com, "TreatAs is not a CLSID: 0x%08x", (unsigned)hr);
                return hr;
        }
        *ret = tmp;
        return S_OK;
}

/*
 * objbase.h CoTreatAsClass: sets HKCR\CLSID\{old}\TreatAs to new; CLSID_NULL removes
 * the emulation.  old == new also removes it, but restores the class's AutoTreatAs
 * when it has one, and -- as Windows does -- fails with REGDB_E_WRITEREGDB when there
 * was no TreatAs key to remove.  REGDB_E_CLASSNOTREG when HKCR\CLSID\{old} does not
 * exist, REGDB_E_WRITEREGDB when the registry refuses the write.
 */
DCOM_EXPORT HRESULT WINAPI CoTreatAsClass(REFCLSID old, REFCLSID newclsid) {
        WCHAR path[COM_CLSID_PATH_CHARS], str[COM_GUID_CHARS + 1];
        HRESULT hr = S_OK;
        LSTATUS s;
        HKEY key;

        if (!old || !newclsid)
                return E_INVALIDARG;
        com_clsid_path(old, path);
        s = RegOpenKeyExW(HKEY_CLASSES_ROOT, path, 0, KEY_READ | KEY_WRITE, &key);
        if (s == ERROR_FILE_NOT_FOUND)
                return REGDB_E_CLASSNOTREG;
        if (s == ERROR_ACCESS_DENIED)
                return REGDB_E_WRITEREGDB;
        if (s != ERROR_SUCCESS)
                return read_error(s);

        if (dcom_guid_equal(old, newclsid)) {
                WCHAR autobuf[COM_GUID_CHARS + 1];
                CLSID autoclsid;

                s = get_default_sz(key, u"AutoTreatAs", autobuf, ELEMENTSOF(autobuf));
                if (s == ERROR_SUCCESS && com_guid_from_wstr(autobuf, &autoclsid)) {
                        com_guid_to_wstr(&autoclsid, str);
                        s = RegSetKeyValueW(key, u"TreatAs", NULL, REG_SZ, str, sizeof(str));
                } else {
                        s = RegDeleteKeyW(key, u"TreatAs");
                }
                if (s != ERROR_SUCCESS)
                        hr = REGDB_E_WRITEREGDB;
        } else if (dcom_guid_is_null(newclsid)) {
                /* Nothing to remove is fine here: the emulation is gone either way. */
                s = RegDeleteKeyW(key, u"TreatAs");
                if (s != ERROR_SUCCESS && s != ERROR_FILE_NOT_FOUND)
                        hr = REGDB_E_WRITEREGDB;
        } else {
                com_guid_to_wstr(newclsid, str);
                s = RegSetKeyValueW(key, u"TreatAs", NULL, REG_SZ, str, sizeof(str));
                if (s != ERROR_SUCCESS)
                        hr = REGDB_E_WRITEREGDB;
        }
        if (FAILED(hr))
                log_debug(com, "TreatAs write failed: registry error %ld", (long)s);
        RegCloseKey(key);
        return hr;
}
