/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Type libraries and the registry, as Windows keeps them:
 *
 *   HKCR\TypeLib\{libid}\<major>.<minor>          (hex)  = the library's doc string (or name)
 *                                   \FLAGS               = wLibFlags (decimal)
 *                                   \HELPDIR             = the help directory
 *                                   \<lcid>\<platform>   = the file's full path
 *   HKCR\Interface\{iid}                                 = the interface's name
 *                       \ProxyStubClsid, \ProxyStubClsid32 = {00020424-...} (PSOAInterface)
 *                                                     for [oleautomation] and [dual]
 *                                                     interfaces, {00020420-...}
 *                                                     (PSDispatch) for dispinterfaces
 *                       \TypeLib = {libid}, value Version = "<major>.<minor>"
 *
 * The platform key: "win32" or "win64" after the library's SYSKIND, as Windows writes it
 * (widl and midl write 64-bit libraries as SYS_WIN64 on 64-bit hosts).  Linux uses the
 * same keys -- a registry filled by Windows tools, or the other way round, stays
 * meaningful -- and a lookup tries the key of this process's pointer size first
 * ("win64" on LP64 Linux) and then the other one.
 *
 * QueryPathOfRegTypeLib (and LoadRegTypeLib) find the registered version with the asked
 * major version and the highest minor version at least the asked one; the LCID asked,
 * else its primary language, else LANG_NEUTRAL (0).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <objbase.h>

#include "oleaut/typelib-internal.h"

#define KEY_MAX 200

static void guid_str(const GUID *g, char *buf, size_t n) {
        snprintf(buf, n, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", g->Data1, g->Data2,
                 g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
                 g->Data4[5], g->Data4[6], g->Data4[7]);
}

/* An ASCII key path as UTF-16 (buf: KEY_MAX characters). */
__attribute__((format(printf, 2, 3)))
static void wkey(WCHAR *buf, const char *fmt, ...) {
        char a[KEY_MAX];
        va_list ap;
        size_t i;

        va_start(ap, fmt);
        vsnprintf(a, sizeof a, fmt, ap);
        va_end(ap);
        for (i = 0; a[i]; i++)
                buf[i] = (WCHAR)(unsigned char)a[i];
        buf[i] = 0;
}

static LSTATUS set_sz(HKEY root, const WCHAR *subkey, const WCHAR *name, const WCHAR *value) {
        HKEY k;
        LSTATUS st = RegCreateKeyExW(root, subkey, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL);

        if (st != ERROR_SUCCESS)
                return st;
        st = RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)value,
                            (DWORD)((dcom_utf16_len(value) + 1) * sizeof(WCHAR)));
        RegCloseKey(k);
        return st;
}

static LSTATUS set_sz_ascii(HKEY root, const WCHAR *subkey, const WCHAR *name, const char *value) {
        WCHAR w[KEY_MAX];

        wkey(w, "%s", value);
        return set_sz(root, subkey, name, w);
}

static const char *platform_key(SYSKIND sk) {
        return sk == SYS_WIN64 ? "win64" : sk == SYS_WIN32 ? "win32" : sk == SYS_WIN16 ? "win16" : "mac";
}

/* A directory of path (what HELPDIR defaults to). */
static BSTR dir_of(const OLECHAR *path) {
        size_t n = dcom_utf16_len(path);

        while (n && path[n - 1] != '/' && path[n - 1] != '\\')
                n--;
        if (n > 1)
                n--;    /* no trailing separator, except for the root */
        return SysAllocStringLen(path, (UINT)n);
}

WINOLEAUTAPI RegisterTypeLib(ITypeLib *ptlib, const OLECHAR *szFullPath, const OLECHAR *szHelpDir) {
        WCHAR key[KEY_MAX], sub[KEY_MAX];
        char libid[40], vers[16];
        TLIBATTR *la;
        BSTR name = NULL, doc = NULL, dir = NULL;
        HRESULT hr;

        if (!ptlib || !szFullPath)
                return E_INVALIDARG;
        if ((hr = ptlib->lpVtbl->GetLibAttr(ptlib, &la)) < 0)
                return hr;
        guid_str(&la->guid, libid, sizeof libid);
        snprintf(vers, sizeof vers, "%x.%x", la->wMajorVerNum, la->wMinorVerNum);
        hr = TYPE_E_REGISTRYACCESS;
        if (ptlib->lpVtbl->GetDocumentation(ptlib, -1, &name, &doc, NULL, NULL) < 0)
                goto out;
        wkey(key, "TypeLib\\%s\\%s", libid, vers);
        if (set_sz(HKEY_CLASSES_ROOT, key, NULL, doc ? doc : name ? name : (const WCHAR *)u"") != 0)
                goto out;
        wkey(sub, "TypeLib\\%s\\%s\\%x\\%s", libid, vers, (unsigned)la->lcid,
             platform_key(la->syskind));
        if (set_sz(HKEY_CLASSES_ROOT, sub, NULL, szFullPath) != 0)
                goto out;
        char flags[16];
        snprintf(flags, sizeof flags, "%u", la->wLibFlags);
        wkey(sub, "TypeLib\\%s\\%s\\FLAGS", libid, vers);
        if (set_sz_ascii(HKEY_CLASSES_ROOT, sub, NULL, flags) != 0)
                goto out;
        if (!szHelpDir && !(szHelpDir = dir = dir_of(szFullPath))) {
                hr = E_OUTOFMEMORY;
                goto out;
        }
        wkey(sub, "TypeLib\\%s\\%s\\HELPDIR", libid, vers);
        if (set_sz(HKEY_CLASSES_ROOT, sub, NULL, szHelpDir) != 0)
                goto out;
        /* the interfaces the universal marshaler (or IDispatch's) carries */
        for (UINT i = 0, n = ptlib->lpVtbl->GetTypeInfoCount(ptlib); i < n; i++) {
                ITypeInfo *ti;
                TYPEATTR *ta;
                BSTR tname = NULL;
                char iid[40];
                const char *ps;

                if (ptlib->lpVtbl->GetTypeInfo(ptlib, i, &ti) < 0)
                        continue;
                if (ti->lpVtbl->GetTypeAttr(ti, &ta) < 0) {
                        ti->lpVtbl->Release(ti);
                        continue;
                }
                if (ta->typekind == TKIND_DISPATCH && !(ta->wTypeFlags & TYPEFLAG_FDUAL))
                        ps = "{00020420-0000-0000-C000-000000000046}";
                else if ((ta->typekind == TKIND_DISPATCH || ta->typekind == TKIND_INTERFACE) &&
                         (ta->wTypeFlags & (TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION)))
                        ps = "{00020424-0000-0000-C000-000000000046}";
                else
                        ps = NULL;
                if (ps) {
                        guid_str(&ta->guid, iid, sizeof iid);
                        ti->lpVtbl->GetDocumentation(ti, -1, &tname, NULL, NULL, NULL);
                        wkey(key, "Interface\\%s", iid);
                        LSTATUS st = set_sz(HKEY_CLASSES_ROOT, key, NULL,
                                            tname ? tname : (const WCHAR *)u"");
                        wkey(sub, "Interface\\%s\\ProxyStubClsid", iid);
                        st = st ? st : set_sz_ascii(HKEY_CLASSES_ROOT, sub, NULL, ps);
                        wkey(sub, "Interface\\%s\\ProxyStubClsid32", iid);
                        st = st ? st : set_sz_ascii(HKEY_CLASSES_ROOT, sub, NULL, ps);
                        wkey(sub, "Interface\\%s\\TypeLib", iid);
                        st = st ? st : set_sz_ascii(HKEY_CLASSES_ROOT, sub, NULL, libid);
                        WCHAR vname[8];
                        wkey(vname, "Version");
                        char v2[16];
                        snprintf(v2, sizeof v2, "%x.%x", la->wMajorVerNum, la->wMinorVerNum);
                        st = st ? st : set_sz_ascii(HKEY_CLASSES_ROOT, sub, vname, v2);
                        SysFreeString(tname);
                        if (st) {
                                ti->lpVtbl->ReleaseTypeAttr(ti, ta);
                                ti->lpVtbl->Release(ti);
                                goto out;
                        }
                }
                ti->lpVtbl->ReleaseTypeAttr(ti, ta);
                ti->lpVtbl->Release(ti);
        }
        hr = S_OK;
out:
        SysFreeString(name);
        SysFreeString(doc);
        SysFreeString(dir);
        ptlib->lpVtbl->ReleaseTLibAttr(ptlib, la);
        return hr;
}

static bool key_empty(HKEY root, const WCHAR *path) {
        HKEY k;
        DWORD subkeys = 0, values = 0;

        if (RegOpenKeyExW(root, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
                return false;
        RegQueryInfoKeyW(k, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL, NULL, NULL, NULL);
        RegCloseKey(k);
        return subkeys == 0;
}

/* Whether the version key still has an LCID subkey (hex digits only). */
static bool has_lcid_keys(const WCHAR *path) {
        HKEY k;
        WCHAR name[KEY_MAX];
        bool found = false;

        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
                return false;
        for (DWORD i = 0;; i++) {
                DWORD n = KEY_MAX;
                if (RegEnumKeyExW(k, i, name, &n, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
                        break;
                bool hex = n > 0;
                for (DWORD j = 0; j < n; j++)
                        if (hex_digit(name[j]) < 0)
                                hex = false;
                if (hex)
                        found = true;
        }
        RegCloseKey(k);
        return found;
}

WINOLEAUTAPI UnRegisterTypeLib(REFGUID libID, WORD wVerMajor, WORD wVerMinor, LCID lcid,
                               SYSKIND syskind) {
        WCHAR key[KEY_MAX], vkey[KEY_MAX];
        char libid[40];
        BSTR path = NULL;
        ITypeLib *tl = NULL;

        if (!libID)
                return E_INVALIDARG;
        guid_str(libID, libid, sizeof libid);
        wkey(key, "TypeLib\\%s\\%x.%x\\%x\\%s", libid, wVerMajor, wVerMinor, (unsigned)lcid,
             platform_key(syskind));
        {
                HKEY k;
                if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &k) != ERROR_SUCCESS)
                        return TYPE_E_REGISTRYACCESS;
                WCHAR buf[4096];
                DWORD type, n = sizeof buf - sizeof(WCHAR);
                if (RegQueryValueExW(k, NULL, NULL, &type, (BYTE *)buf, &n) == ERROR_SUCCESS &&
                    type == REG_SZ) {
                        buf[n / sizeof(WCHAR)] = 0;
                        path = SysAllocString(buf);
                }
                RegCloseKey(k);
        }
        /* the interfaces it registered: those whose TypeLib is this library */
        if (path && LoadTypeLibEx(path, REGKIND_NONE, &tl) >= 0) {
                for (UINT i = 0, n = tl->lpVtbl->GetTypeInfoCount(tl); i < n; i++) {
                        ITypeInfo *ti;
                        TYPEATTR *ta;
                        char iid[40];
                        if (tl->lpVtbl->GetTypeInfo(tl, i, &ti) < 0)
                                continue;
                        if (ti->lpVtbl->GetTypeAttr(ti, &ta) >= 0) {
                                if (ta->typekind == TKIND_DISPATCH ||
                                    (ta->typekind == TKIND_INTERFACE &&
                                     (ta->wTypeFlags & (TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION)))) {
                                        WCHAR sub[KEY_MAX], val[64];
                                        DWORD type, nb = sizeof val - sizeof(WCHAR);
                                        HKEY k;
                                        guid_str(&ta->guid, iid, sizeof iid);
                                        wkey(sub, "Interface\\%s\\TypeLib", iid);
                                        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, sub, 0, KEY_READ, &k) ==
                                            ERROR_SUCCESS) {
                                                bool mine = RegQueryValueExW(k, NULL, NULL, &type,
                                                                             (BYTE *)val, &nb) ==
                                                                    ERROR_SUCCESS;
                                                RegCloseKey(k);
                                                char cur[40] = "";
                                                for (DWORD j = 0; mine && j < nb / 2 && j < 39; j++)
                                                        cur[j] = (char)val[j];
                                                /* and registered by this version */
                                                WCHAR ver[16], vn[8];
                                                char vcur[16] = "", vwant[16];
                                                DWORD nv = sizeof ver - sizeof(WCHAR);
                                                wkey(vn, "Version");
                                                snprintf(vwant, sizeof vwant, "%x.%x", wVerMajor,
                                                         wVerMinor);
                                                if (mine && RegGetValueW(HKEY_CLASSES_ROOT, sub, vn,
                                                                         RRF_RT_REG_SZ, NULL, ver,
                                                                         &nv) == ERROR_SUCCESS)
                                                        for (DWORD j = 0; j < nv / 2 && ver[j] &&
                                                                          j < 15; j++)
                                                                vcur[j] = (char)ver[j];
                                                if (mine && strcasecmp(cur, libid) == 0 &&
                                                    strcmp(vcur, vwant) == 0) {
                                                        wkey(sub, "Interface\\%s", iid);
                                                        RegDeleteTreeW(HKEY_CLASSES_ROOT, sub);
                                                }
                                        }
                                }
                                ti->lpVtbl->ReleaseTypeAttr(ti, ta);
                        }
                        ti->lpVtbl->Release(ti);
                }
                tl->lpVtbl->Release(tl);
        }
        SysFreeString(path);
        RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
        wkey(key, "TypeLib\\%s\\%x.%x\\%x", libid, wVerMajor, wVerMinor, (unsigned)lcid);
        if (key_empty(HKEY_CLASSES_ROOT, key))
                RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
        wkey(vkey, "TypeLib\\%s\\%x.%x", libid, wVerMajor, wVerMinor);
        if (!has_lcid_keys(vkey))
                RegDeleteTreeW(HKEY_CLASSES_ROOT, vkey);
        wkey(key, "TypeLib\\%s", libid);
        if (key_empty(HKEY_CLASSES_ROOT, key))
                RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
        return S_OK;
}

/* The path under TypeLib\{libid}\<ver>\<lcid>\<platform>, trying this process's first. */
static bool path_at(const char *libid, const char *ver, LCID lcid, BSTR *ret) {
        static const char *const order[] = {
                sizeof(void *) == 8 ? "win64" : "win32",
                sizeof(void *) == 8 ? "win32" : "win64",
        };
        for (size_t i = 0; i < 2; i++) {
                WCHAR key[KEY_MAX], buf[4096];
                DWORD type, n = sizeof buf - sizeof(WCHAR);
                HKEY k;

                wkey(key, "TypeLib\\%s\\%s\\%x\\%s", libid, ver, (unsigned)lcid, order[i]);
                if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &k) != ERROR_SUCCESS)
                        continue;
                LSTATUS st = RegQueryValueExW(k, NULL, NULL, &type, (BYTE *)buf, &n);
                RegCloseKey(k);
                if (st != ERROR_SUCCESS || type != REG_SZ)
                        continue;
                buf[n / sizeof(WCHAR)] = 0;
                while (n >= sizeof(WCHAR) && !buf[n / sizeof(WCHAR) - 1])
                        n -= sizeof(WCHAR);
                *ret = SysAllocStringLen(buf, n / sizeof(WCHAR));
                return *ret != NULL;
        }
        return false;
}

WINOLEAUTAPI QueryPathOfRegTypeLib(REFGUID guid, USHORT wMaj, USHORT wMin, LCID lcid,
                                   BSTR *lpbstrPathName) {
        WCHAR key[KEY_MAX], name[KEY_MAX];
        char libid[40], best[16] = "";
        long best_minor = -1;
        HKEY k;

        if (!guid || !lpbstrPathName)
                return E_INVALIDARG;
        *lpbstrPathName = NULL;
        guid_str(guid, libid, sizeof libid);
        wkey(key, "TypeLib\\%s", libid);
        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &k) != ERROR_SUCCESS)
                return TYPE_E_LIBNOTREGISTERED;
        for (DWORD i = 0;; i++) {
                DWORD n = KEY_MAX;
                char a[KEY_MAX];
                unsigned maj, min;
                int used = 0;

                if (RegEnumKeyExW(k, i, name, &n, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
                        break;
                for (DWORD j = 0; j <= n && j < sizeof a; j++)
                        a[j] = name[j] < 0x80 ? (char)name[j] : '?';
                a[sizeof a - 1] = 0;
                if (sscanf(a, "%x.%x%n", &maj, &min, &used) != 2 || a[used] || maj != wMaj ||
                    min < wMin || (long)min <= best_minor)
                        continue;
                best_minor = min;
                snprintf(best, sizeof best, "%x.%x", maj, min);
        }
        RegCloseKey(k);
        if (best_minor < 0)
                return TYPE_E_LIBNOTREGISTERED;
        if (path_at(libid, best, lcid, lpbstrPathName) ||
            path_at(libid, best, lcid & 0x3ff, lpbstrPathName) ||
            path_at(libid, best, 0, lpbstrPathName))
                return S_OK;
        return TYPE_E_LIBNOTREGISTERED;
}

WINOLEAUTAPI LoadTypeLibEx(LPCOLESTR szFile, REGKIND regkind, ITypeLib **pptlib) {
        HRESULT hr;

        if (!szFile || !pptlib)
                return E_INVALIDARG;
        *pptlib = NULL;
        if ((hr = oleaut_load_typelib_file(szFile, pptlib)) < 0)
                return hr;
        if (regkind == REGKIND_REGISTER && (hr = RegisterTypeLib(*pptlib, szFile, NULL)) < 0) {
                (*pptlib)->lpVtbl->Release(*pptlib);
                *pptlib = NULL;
        }
        return hr;
}

WINOLEAUTAPI LoadTypeLib(LPCOLESTR szFile, ITypeLib **pptlib) {
        return LoadTypeLibEx(szFile, REGKIND_NONE, pptlib);
}

WINOLEAUTAPI LoadRegTypeLib(REFGUID rguid, WORD wVerMajor, WORD wVerMinor, LCID lcid,
                            ITypeLib **pptlib) {
        BSTR path;
        HRESULT hr;

        if (!pptlib)
                return E_INVALIDARG;
        *pptlib = NULL;
        if ((hr = QueryPathOfRegTypeLib(rguid, wVerMajor, wVerMinor, lcid, &path)) < 0)
                return hr;
        hr = LoadTypeLibEx(path, REGKIND_NONE, pptlib);
        SysFreeString(path);
        return hr;
}
