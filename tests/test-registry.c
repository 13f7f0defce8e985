/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry API: every value type round trip, Windows' buffer-size protocol, the
 * merged HKEY_CLASSES_ROOT view, enumeration order, limits, handles to deleted keys,
 * access rights, transactions, schema versioning.  Each run gets its own OPENDCOM_ROOT.
 */
#include <dcom/winreg.h>
#include <sqlite3.h>

#include "registry/registry-internal.h"
#include "test.h"

#define ASSERT_WIN32(expr, want) ASSERT_EQ((LSTATUS)(expr), (LSTATUS)(want))

static HKEY create(HKEY root, const WCHAR *path) {
        HKEY k = NULL;
        DWORD disp = 0;

        ASSERT_WIN32(RegCreateKeyExW(root, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, &disp),
                     ERROR_SUCCESS);
        ASSERT_TRUE(disp == REG_CREATED_NEW_KEY || disp == REG_OPENED_EXISTING_KEY);
        return k;
}

static void set_sz(HKEY k, const WCHAR *name, const WCHAR *v) {
        ASSERT_WIN32(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)v,
                                    (DWORD)((dcom_utf16_len(v) + 1) * 2)), ERROR_SUCCESS);
}

TEST(setup) {
        test_state_dir();
}

TEST(create_open_disposition) {
        HKEY k, o;
        DWORD disp;

        ASSERT_WIN32(RegCreateKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Test", 0, NULL, 0,
                                     KEY_ALL_ACCESS, NULL, &k, &disp), ERROR_SUCCESS);
        ASSERT_EQ(disp, REG_CREATED_NEW_KEY);
        RegCloseKey(k);
        ASSERT_WIN32(RegCreateKeyExW(HKEY_LOCAL_MACHINE, u"SOFTWARE\\opendcom\\TEST", 0, NULL, 0,
                                     KEY_ALL_ACCESS, NULL, &k, &disp), ERROR_SUCCESS);
        ASSERT_EQ(disp, REG_OPENED_EXISTING_KEY);
        RegCloseKey(k);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"software\\OPENDCOM\\test\\", 0, KEY_READ, &o),
                     ERROR_SUCCESS);
        /* The name keeps the case it was created with. */
        WCHAR name[64];
        DWORD cch = 64;
        HKEY parent;
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM", 0, KEY_READ, &parent),
                     ERROR_SUCCESS);
        ASSERT_WIN32(RegEnumKeyExW(parent, 0, name, &cch, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
        ASSERT_EQ(cch, 4);
        ASSERT_MEM_EQ(name, u"Test", 10);
        RegCloseKey(parent);
        RegCloseKey(o);

        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Missing", 0, KEY_READ, &o),
                     ERROR_FILE_NOT_FOUND);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"\\Software", 0, KEY_READ, &o),
                     ERROR_BAD_PATHNAME);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\\\x", 0, KEY_READ, &o),
                     ERROR_BAD_PATHNAME);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software", 0, KEY_READ, NULL),
                     ERROR_INVALID_PARAMETER);
        ASSERT_WIN32(RegOpenKeyExW((HKEY)(uintptr_t)0x1234, u"x", 0, KEY_READ, &o), ERROR_INVALID_HANDLE);
        ASSERT_WIN32(RegCloseKey(HKEY_LOCAL_MACHINE), ERROR_SUCCESS);
}

TEST(every_value_type_round_trips) {
        static const uint8_t bin[] = { 0, 1, 2, 0xfe, 0xff };
        static const WCHAR multi[] = u"one\0two\0";     /* "one\0two\0\0" */
        const DWORD dw = 0x12345678;
        const uint8_t dwbe[4] = { 0x12, 0x34, 0x56, 0x78 };
        const ULONGLONG qw = 0x0123456789abcdefULL;
        const struct {
                const WCHAR *name;
                DWORD type;
                const void *data;
                DWORD size;
        } v[] = {
                { u"", REG_SZ, u"default value", 28 },
                { u"Sz", REG_SZ, u"h\u00e9llo \u20ac", 16 },
                { u"Expand", REG_EXPAND_SZ, u"%HOME%\\x", 18 },
                { u"Multi", REG_MULTI_SZ, multi, sizeof multi },
                { u"Dword", REG_DWORD, &dw, 4 },
                { u"DwordBE", REG_DWORD_BIG_ENDIAN, dwbe, 4 },
                { u"Qword", REG_QWORD, &qw, 8 },
                { u"Binary", REG_BINARY, bin, sizeof bin },
                { u"None", REG_NONE, NULL, 0 },
                { u"Empty", REG_BINARY, NULL, 0 },
        };
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Types");

        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                ASSERT_WIN32(RegSetValueExW(k, v[i].name, 0, v[i].type, v[i].data, v[i].size),
                             ERROR_SUCCESS);
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                uint8_t buf[64];
                DWORD type = 99, size = sizeof buf;
                ASSERT_WIN32(RegQueryValueExW(k, v[i].name, NULL, &type, buf, &size), ERROR_SUCCESS);
                ASSERT_EQ(type, v[i].type);
                ASSERT_EQ(size, v[i].size);
                if (size)
                        ASSERT_MEM_EQ(buf, v[i].data, size);
        }
        /* The default value is also reachable with a NULL name. */
        DWORD size = 0;
        ASSERT_WIN32(RegQueryValueExW(k, NULL, NULL, NULL, NULL, &size), ERROR_SUCCESS);
        ASSERT_EQ(size, 28);
        /* Names are case-insensitive. */
        DWORD got;
        size = 4;
        ASSERT_WIN32(RegQueryValueExW(k, u"DWORD", NULL, NULL, (BYTE *)&got, &size), ERROR_SUCCESS);
        ASSERT_EQ(got, dw);
        RegCloseKey(k);
}

TEST(query_buffer_protocol) {
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Types");
        uint8_t small[4];
        DWORD size = sizeof small, type;

        ASSERT_WIN32(RegQueryValueExW(k, u"Sz", NULL, &type, small, &size), ERROR_MORE_DATA);
        ASSERT_EQ(size, 16);                    /* the size needed */
        ASSERT_EQ(type, REG_SZ);
        size = 0;
        ASSERT_WIN32(RegQueryValueExW(k, u"Sz", NULL, NULL, NULL, &size), ERROR_SUCCESS);
        ASSERT_EQ(size, 16);
        ASSERT_WIN32(RegQueryValueExW(k, u"Sz", NULL, NULL, small, NULL), ERROR_INVALID_PARAMETER);
        ASSERT_WIN32(RegQueryValueExW(k, u"Nope", NULL, NULL, NULL, &size), ERROR_FILE_NOT_FOUND);
        RegCloseKey(k);
}

TEST(get_value_types_and_expansion) {
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Get");
        WCHAR buf[256];
        DWORD type, size, dw = 7;
        const WCHAR raw[3] = { 'a', 'b', 'c' };         /* stored without a terminator */

        setenv("DCOM_TEST_DIR", "/opt/x", 1);
        ASSERT_WIN32(RegSetValueExW(k, u"E", 0, REG_EXPAND_SZ, (const BYTE *)u"%DCOM_TEST_DIR%\\bin;%NOPE%",
                                    2 * 27), ERROR_SUCCESS);
        ASSERT_WIN32(RegSetValueExW(k, u"Raw", 0, REG_SZ, (const BYTE *)raw, sizeof raw), ERROR_SUCCESS);
        ASSERT_WIN32(RegSetValueExW(k, u"D", 0, REG_DWORD, (const BYTE *)&dw, 4), ERROR_SUCCESS);

        size = sizeof buf;
        ASSERT_WIN32(RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Get", u"E", RRF_RT_REG_SZ,
                                  &type, buf, &size), ERROR_SUCCESS);
        ASSERT_EQ(type, REG_SZ);
        ASSERT_MEM_EQ(buf, u"/opt/x\\bin;%NOPE%", 36);
        ASSERT_EQ(size, 36);

        size = sizeof buf;
        ASSERT_WIN32(RegGetValueW(k, NULL, u"E", RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, &type, buf, &size),
                     ERROR_SUCCESS);
        ASSERT_EQ(type, REG_EXPAND_SZ);
        ASSERT_WIN32(RegGetValueW(k, NULL, u"E", RRF_RT_REG_EXPAND_SZ, &type, buf, &size),
                     ERROR_INVALID_PARAMETER);

        size = sizeof buf;                      /* terminated on the way out */
        ASSERT_WIN32(RegGetValueW(k, NULL, u"Raw", RRF_RT_REG_SZ, NULL, buf, &size), ERROR_SUCCESS);
        ASSERT_EQ(size, 8);
        ASSERT_MEM_EQ(buf, u"abc", 8);

        size = sizeof buf;
        ASSERT_WIN32(RegGetValueW(k, NULL, u"D", RRF_RT_REG_SZ, NULL, buf, &size), ERROR_UNSUPPORTED_TYPE);
        size = 4;
        DWORD got = 0;
        ASSERT_WIN32(RegGetValueW(k, NULL, u"D", RRF_RT_DWORD, &type, &got, &size), ERROR_SUCCESS);
        ASSERT_EQ(got, 7);
        size = 2;
        buf[0] = 0xffff;
        ASSERT_WIN32(RegGetValueW(k, NULL, u"D", RRF_RT_ANY | RRF_ZEROONFAILURE, NULL, buf, &size),
                     ERROR_MORE_DATA);
        ASSERT_EQ(size, 4);
        ASSERT_EQ(buf[0], 0);
        ASSERT_WIN32(RegGetValueW(k, u"No\\Such", u"D", RRF_RT_ANY, NULL, NULL, &size), ERROR_FILE_NOT_FOUND);
        RegCloseKey(k);
}

TEST(enumeration_order) {
        static const WCHAR *const keys[] = { u"delta", u"Alpha", u"charlie", u"Bravo", u"\u00e9cho", u"_x" };
        static const WCHAR *const sorted[] = { u"Alpha", u"Bravo", u"charlie", u"delta", u"_x", u"\u00e9cho" };
        static const WCHAR *const vals[] = { u"z", u"A", u"m", u"B" };
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Enum");

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                RegCloseKey(create(k, keys[i]));
        for (size_t i = 0; i < ELEMENTSOF(vals); i++)
                set_sz(k, vals[i], u"x");
        set_sz(k, u"z", u"updated");            /* an update keeps the position */

        /* Subkeys: sorted by upper-cased UTF-16 units, as Windows does ('Z' < '_' < 'a'). */
        for (DWORD i = 0;; i++) {
                WCHAR name[300];
                DWORD cch = 300;
                FILETIME ft;
                LSTATUS s = RegEnumKeyExW(k, i, name, &cch, NULL, NULL, NULL, &ft);
                if (i == ELEMENTSOF(sorted)) {
                        ASSERT_WIN32(s, ERROR_NO_MORE_ITEMS);
                        break;
                }
                ASSERT_WIN32(s, ERROR_SUCCESS);
                ASSERT_EQ(cch, dcom_utf16_len(sorted[i]));
                ASSERT_MEM_EQ(name, sorted[i], (cch + 1) * 2);
                ASSERT_GT(ft.dwHighDateTime, 0x01d00000u);      /* after ~2014 */
        }
        /* Values: in creation order. */
        for (DWORD i = 0; i < ELEMENTSOF(vals); i++) {
                WCHAR name[300];
                DWORD cch = 300, type, size = 0;
                ASSERT_WIN32(RegEnumValueW(k, i, name, &cch, NULL, &type, NULL, &size), ERROR_SUCCESS);
                ASSERT_MEM_EQ(name, vals[i], (cch + 1) * 2);
                ASSERT_EQ(type, REG_SZ);
                ASSERT_EQ(size, i == 0 ? 16 : 4);
        }
        WCHAR tiny[2];
        DWORD cch = 2;
        ASSERT_WIN32(RegEnumKeyExW(k, 1, tiny, &cch, NULL, NULL, NULL, NULL), ERROR_MORE_DATA);

        DWORD nkeys, maxkey, nvals, maxvname, maxvlen;
        ASSERT_WIN32(RegQueryInfoKeyW(k, NULL, NULL, NULL, &nkeys, &maxkey, NULL, &nvals, &maxvname,
                                      &maxvlen, NULL, NULL), ERROR_SUCCESS);
        ASSERT_EQ(nkeys, 6);
        ASSERT_EQ(maxkey, 7);
        ASSERT_EQ(nvals, 4);
        ASSERT_EQ(maxvname, 1);
        ASSERT_EQ(maxvlen, 16);
        RegCloseKey(k);
}

TEST(limits) {
        WCHAR name[DCOM_REG_MAX_VALUE_NAME + 2];
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Limits"), o;

        for (size_t i = 0; i < ELEMENTSOF(name); i++)
                name[i] = 'k';
        name[255] = 0;                          /* 255 characters: allowed */
        RegCloseKey(create(k, name));
        name[255] = 'k';
        name[256] = 0;                          /* 256: refused */
        ASSERT_WIN32(RegCreateKeyExW(k, name, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &o, NULL),
                     ERROR_INVALID_PARAMETER);
        ASSERT_WIN32(RegOpenKeyExW(k, name, 0, KEY_READ, &o), ERROR_INVALID_PARAMETER);

        name[256] = 'k';
        name[DCOM_REG_MAX_VALUE_NAME] = 0;      /* 16383 characters: allowed */
        set_sz(k, name, u"long name");
        name[DCOM_REG_MAX_VALUE_NAME] = 'k';
        name[DCOM_REG_MAX_VALUE_NAME + 1] = 0;
        ASSERT_WIN32(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)u"", 2), ERROR_INVALID_PARAMETER);

        /* Depth: 512 levels below the root.  HKLM\Software\OpenDCOM\Limits is 3 deep. */
        static WCHAR deep[2 * 600];
        size_t n = 0;
        for (unsigned i = 0; i < DCOM_REG_MAX_DEPTH - 3; i++) {
                deep[n++] = 'd';
                deep[n++] = '\\';
        }
        deep[n - 1] = 0;
        RegCloseKey(create(k, deep));
        deep[n - 1] = '\\';
        deep[n] = 'd';
        deep[n + 1] = 0;
        ASSERT_WIN32(RegCreateKeyExW(k, deep, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &o, NULL),
                     ERROR_INVALID_PARAMETER);
        RegCloseKey(k);
        /* Deleting the deep tree works (cascades through 509 levels). */
        ASSERT_WIN32(RegDeleteTreeW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Limits\\d"), ERROR_SUCCESS);
}

TEST(delete_rules_and_stale_handles) {
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Del"), sub, o;
        DWORD size;

        sub = create(k, u"Child\\Grandchild");
        set_sz(sub, u"v", u"x");
        ASSERT_WIN32(RegDeleteKeyW(k, u"Child"), ERROR_ACCESS_DENIED);          /* has subkeys */
        ASSERT_WIN32(RegDeleteValueW(sub, u"v"), ERROR_SUCCESS);
        ASSERT_WIN32(RegDeleteValueW(sub, u"v"), ERROR_FILE_NOT_FOUND);
        ASSERT_WIN32(RegDeleteKeyW(k, u"Child\\Grandchild"), ERROR_SUCCESS);
        /* The handle now names a deleted key. */
        ASSERT_WIN32(RegQueryValueExW(sub, u"v", NULL, NULL, NULL, &size), ERROR_KEY_DELETED);
        ASSERT_WIN32(RegSetValueExW(sub, u"v", 0, REG_SZ, (const BYTE *)u"", 2), ERROR_KEY_DELETED);
        RegCloseKey(sub);
        ASSERT_WIN32(RegDeleteKeyW(k, u"Child"), ERROR_SUCCESS);
        ASSERT_WIN32(RegDeleteKeyW(k, u"Child"), ERROR_FILE_NOT_FOUND);

        /* RegDeleteTreeW: with a subkey deletes it whole; with NULL empties the key. */
        RegCloseKey(create(k, u"T\\a\\b"));
        RegCloseKey(create(k, u"T\\c"));
        set_sz(k, u"kept?", u"no");
        ASSERT_WIN32(RegDeleteTreeW(k, u"T"), ERROR_SUCCESS);
        ASSERT_WIN32(RegOpenKeyExW(k, u"T", 0, KEY_READ, &o), ERROR_FILE_NOT_FOUND);
        RegCloseKey(create(k, u"U\\a"));
        ASSERT_WIN32(RegDeleteTreeW(k, NULL), ERROR_SUCCESS);
        DWORD nk, nv;
        ASSERT_WIN32(RegQueryInfoKeyW(k, NULL, NULL, NULL, &nk, NULL, NULL, &nv, NULL, NULL, NULL, NULL),
                     ERROR_SUCCESS);
        ASSERT_EQ(nk, 0);
        ASSERT_EQ(nv, 0);
        /* A key deletes itself with an empty subkey name. */
        ASSERT_WIN32(RegDeleteKeyW(k, u""), ERROR_SUCCESS);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Del", 0, KEY_READ, &o),
                     ERROR_FILE_NOT_FOUND);
        RegCloseKey(k);
        ASSERT_WIN32(RegDeleteKeyW(HKEY_LOCAL_MACHINE, u""), ERROR_ACCESS_DENIED);
}

TEST(access_rights) {
        HKEY k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Access"), r, o;
        DWORD size;

        RegCloseKey(k);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Access", 0, KEY_READ, &r),
                     ERROR_SUCCESS);
        ASSERT_WIN32(RegSetValueExW(r, u"x", 0, REG_SZ, (const BYTE *)u"", 2), ERROR_ACCESS_DENIED);
        ASSERT_WIN32(RegCreateKeyExW(r, u"sub", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &o, NULL),
                     ERROR_ACCESS_DENIED);
        ASSERT_WIN32(RegQueryValueExW(r, u"x", NULL, NULL, NULL, &size), ERROR_FILE_NOT_FOUND);
        RegCloseKey(r);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Access", 0, KEY_SET_VALUE, &r),
                     ERROR_SUCCESS);
        ASSERT_WIN32(RegQueryValueExW(r, u"x", NULL, NULL, NULL, &size), ERROR_ACCESS_DENIED);
        RegCloseKey(r);
}

static void expect_sz(HKEY root, const WCHAR *path, const WCHAR *name, const WCHAR *want) {
        WCHAR buf[128];
        DWORD size = sizeof buf;

        ASSERT_WIN32(RegGetValueW(root, path, name, RRF_RT_REG_SZ, NULL, buf, &size), ERROR_SUCCESS);
        ASSERT_MEM_EQ(buf, want, (dcom_utf16_len(want) + 1) * 2);
}

TEST(classes_root_merged_view) {
        HKEY k, m;
        DWORD disp;

        /* Machine-wide registration. */
        k = create(HKEY_LOCAL_MACHINE, u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000001}\\LocalServer32");
        set_sz(k, NULL, u"/usr/bin/machine-server");
        RegCloseKey(k);
        k = create(HKEY_LOCAL_MACHINE, u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000002}");
        set_sz(k, NULL, u"machine two");
        RegCloseKey(k);
        expect_sz(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000001}\\LocalServer32", NULL,
                  u"/usr/bin/machine-server");

        /* A per-user registration of the same class hides the machine one. */
        k = create(HKEY_CURRENT_USER, u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000001}\\LocalServer32");
        set_sz(k, NULL, u"/home/u/user-server");
        RegCloseKey(k);
        expect_sz(HKEY_CLASSES_ROOT, u"clsid\\{11111111-0000-0000-0000-000000000001}\\LocalServer32", NULL,
                  u"/home/u/user-server");
        expect_sz(HKEY_LOCAL_MACHINE,
                  u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000001}\\LocalServer32", NULL,
                  u"/usr/bin/machine-server");

        /* Enumeration is the union, each name once, sorted. */
        k = create(HKEY_CURRENT_USER, u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000000}");
        RegCloseKey(k);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_CLASSES_ROOT, u"CLSID", 0, KEY_READ, &m), ERROR_SUCCESS);
        static const WCHAR *const want[] = {
                u"{11111111-0000-0000-0000-000000000000}",      /* user only */
                u"{11111111-0000-0000-0000-000000000001}",      /* both */
                u"{11111111-0000-0000-0000-000000000002}",      /* machine only */
        };
        DWORD i;
        for (i = 0;; i++) {
                WCHAR name[64];
                DWORD cch = 64;
                if (RegEnumKeyExW(m, i, name, &cch, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
                        break;
                ASSERT_LT(i, 3);
                ASSERT_MEM_EQ(name, want[i], 78);
        }
        ASSERT_EQ(i, 3);

        /* Writes: a value on a key that exists for the user goes to HKCU ... */
        ASSERT_WIN32(RegCreateKeyExW(m, u"{11111111-0000-0000-0000-000000000001}", 0, NULL, 0,
                                     KEY_ALL_ACCESS, NULL, &k, &disp), ERROR_SUCCESS);
        ASSERT_EQ(disp, REG_OPENED_EXISTING_KEY);
        set_sz(k, u"AppID", u"user-appid");
        RegCloseKey(k);
        expect_sz(HKEY_CURRENT_USER, u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000001}",
                  u"AppID", u"user-appid");
        /* ... on a machine-only key to HKLM ... */
        ASSERT_WIN32(RegSetKeyValueW(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000002}",
                                     u"AppID", REG_SZ, u"m", 4), ERROR_SUCCESS);
        expect_sz(HKEY_LOCAL_MACHINE, u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000002}",
                  u"AppID", u"m");
        /* RegDeleteKeyValueW: a subkey's value, no subkey opened by the caller */
        ASSERT_WIN32(RegDeleteKeyValueW(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000002}",
                                        u"AppID"), ERROR_SUCCESS);
        ASSERT_WIN32(RegDeleteKeyValueW(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000002}",
                                        u"AppID"), ERROR_FILE_NOT_FOUND);
        ASSERT_WIN32(RegDeleteKeyValueW(HKEY_CLASSES_ROOT, u"CLSID\\{no-such-key}", u"AppID"),
                     ERROR_FILE_NOT_FOUND);
        ASSERT_WIN32(RegSetKeyValueW(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000002}",
                                     u"AppID", REG_SZ, u"m", 4), ERROR_SUCCESS);
        /* ... and new keys under a user-side parent go to HKCU, under the root to HKLM. */
        RegCloseKey(create(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000000}\\InprocServer32"));
        ASSERT_WIN32(RegOpenKeyExW(HKEY_CURRENT_USER,
                                   u"Software\\Classes\\CLSID\\{11111111-0000-0000-0000-000000000000}\\InprocServer32",
                                   0, KEY_READ, &k), ERROR_SUCCESS);
        RegCloseKey(k);
        RegCloseKey(create(HKEY_CLASSES_ROOT, u"AppID\\{22222222-0000-0000-0000-000000000000}"));
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\Classes\\AppID\\{22222222-0000-0000-0000-000000000000}",
                                   0, KEY_READ, &k), ERROR_SUCCESS);
        RegCloseKey(k);

        /* Deleting through HKCR removes the user's key first, uncovering the machine's. */
        ASSERT_WIN32(RegDeleteTreeW(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000001}"),
                     ERROR_SUCCESS);
        expect_sz(HKEY_CLASSES_ROOT, u"CLSID\\{11111111-0000-0000-0000-000000000001}\\LocalServer32", NULL,
                  u"/usr/bin/machine-server");
        RegCloseKey(m);
}

TEST(hkey_users_and_key_path) {
        HKEY k;
        WCHAR *path;

        ASSERT_WIN32(RegOpenKeyExW(HKEY_USERS, u".DEFAULT", 0, KEY_READ, &k), ERROR_SUCCESS);
        ASSERT_WIN32(dcom_reg_key_path(k, &path), ERROR_SUCCESS);
        ASSERT_MEM_EQ(path, u"HKEY_USERS\\.DEFAULT", 40);
        free(path);
        RegCloseKey(k);
}

TEST(transactions) {
        HKEY k;
        DWORD size;

        ASSERT_WIN32(dcom_reg_begin(), ERROR_SUCCESS);
        ASSERT_WIN32(dcom_reg_begin(), ERROR_INVALID_FUNCTION);  /* not nestable */
        k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Tx");
        set_sz(k, u"a", u"1");
        /* A failing call inside the transaction leaves nothing, the rest stays. */
        ASSERT_WIN32(RegDeleteValueW(k, u"missing"), ERROR_FILE_NOT_FOUND);
        RegCloseKey(k);
        ASSERT_WIN32(dcom_reg_rollback(), ERROR_SUCCESS);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Tx", 0, KEY_READ, &k),
                     ERROR_FILE_NOT_FOUND);

        ASSERT_WIN32(dcom_reg_begin(), ERROR_SUCCESS);
        k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Tx");
        set_sz(k, u"a", u"1");
        RegCloseKey(k);
        k = create(HKEY_CURRENT_USER, u"Software\\OpenDCOM\\Tx");
        set_sz(k, u"b", u"2");
        RegCloseKey(k);
        ASSERT_WIN32(dcom_reg_commit(), ERROR_SUCCESS);
        ASSERT_WIN32(dcom_reg_commit(), ERROR_INVALID_FUNCTION);
        ASSERT_WIN32(RegGetValueW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Tx", u"a", RRF_RT_ANY, NULL,
                                  NULL, &size), ERROR_SUCCESS);
        ASSERT_WIN32(RegGetValueW(HKEY_CURRENT_USER, u"Software\\OpenDCOM\\Tx", u"b", RRF_RT_ANY, NULL,
                                  NULL, &size), ERROR_SUCCESS);
}

TEST(schema_is_versioned) {
        char path[256];
        sqlite3 *db;
        sqlite3_stmt *st;

        snprintf(path, sizeof path, "%s/registry.db", test_state_dir());
        ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
        ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
        ASSERT_EQ(sqlite3_column_int(st, 0), HIVE_SCHEMA_VERSION);
        sqlite3_finalize(st);
        ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
        ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
        ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        /* A file from a newer build is refused rather than misread. */
        ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        hive_close_all();
        HKEY k;
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software", 0, KEY_READ, &k), ERROR_BADDB);
        ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        hive_close_all();
        ASSERT_WIN32(RegOpenKeyExW(HKEY_LOCAL_MACHINE, u"Software", 0, KEY_READ, &k), ERROR_SUCCESS);
        RegCloseKey(k);
}

static int oom_round_trip(void *ctx) {
        HKEY k;
        WCHAR name[32];
        DWORD cch = 32;
        LSTATUS s;

        (void)ctx;
        s = RegCreateKeyExW(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Oom", 0, NULL, 0, KEY_ALL_ACCESS,
                            NULL, &k, NULL);
        if (s == ERROR_SUCCESS) {
                s = RegSetValueExW(k, u"v", 0, REG_SZ, (const BYTE *)u"x", 4);
                if (s == ERROR_SUCCESS)
                        s = RegEnumValueW(k, 0, name, &cch, NULL, NULL, NULL, NULL);
                RegCloseKey(k);
        }
        if (s == ERROR_OUTOFMEMORY)
                return -ENOMEM;
        return s == ERROR_SUCCESS ? 0 : -EIO;
}

TEST(out_of_memory) {
        /* Our own allocations fail one by one; SQLite's allocator is not hooked. */
        ASSERT_GE(ASSERT_OOM_LOOP(oom_round_trip, NULL, NULL), 3);
}

/* Regressions found in review. */
TEST(review_regressions) {
        HKEY cls, k, a;
        DWORD disp, size;
        uint8_t eight[8] = { 0 };
        WCHAR name[8];
        DWORD cch = 8;

        /* A key under an HKCR handle goes to the side that has its parent. */
        RegCloseKey(create(HKEY_CURRENT_USER, u"Software\\Classes\\.useronly"));
        ASSERT_WIN32(RegOpenKeyExW(HKEY_CLASSES_ROOT, u".useronly", 0, KEY_ALL_ACCESS, &cls), ERROR_SUCCESS);
        ASSERT_WIN32(RegCreateKeyExW(cls, u"kid", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, &disp), ERROR_SUCCESS);
        ASSERT_EQ(disp, REG_CREATED_NEW_KEY);
        RegCloseKey(k);
        RegCloseKey(cls);
        ASSERT_WIN32(RegOpenKeyExW(HKEY_CURRENT_USER, u"Software\\Classes\\.useronly\\kid", 0, KEY_READ, &k),
                     ERROR_SUCCESS);
        RegCloseKey(k);

        /* A rolled-back key's id is never handed to the next key. */
        ASSERT_WIN32(dcom_reg_begin(), ERROR_SUCCESS);
        a = create(HKEY_CURRENT_USER, u"Software\\RolledBack");
        ASSERT_WIN32(dcom_reg_rollback(), ERROR_SUCCESS);
        RegCloseKey(create(HKEY_CURRENT_USER, u"Software\\AfterRollback"));
        ASSERT_WIN32(RegSetValueExW(a, u"x", 0, REG_SZ, (const BYTE *)u"", 2), ERROR_KEY_DELETED);
        RegCloseKey(a);

        /* Invalid handles are refused by every entry point. */
        ASSERT_WIN32(RegEnumKeyExW((HKEY)(uintptr_t)0x1000, 0, name, &cch, NULL, NULL, NULL, NULL),
                     ERROR_INVALID_HANDLE);
        ASSERT_WIN32(RegCloseKey((HKEY)(uintptr_t)0x1000), ERROR_INVALID_HANDLE);

        /* RRF_RT_DWORD on a REG_BINARY of the wrong size: a mismatch, not a wrong type. */
        k = create(HKEY_LOCAL_MACHINE, u"Software\\OpenDCOM\\Mismatch");
        ASSERT_WIN32(RegSetValueExW(k, u"b", 0, REG_BINARY, eight, 8), ERROR_SUCCESS);
        size = 4;
        ASSERT_WIN32(RegGetValueW(k, NULL, u"b", RRF_RT_DWORD, NULL, eight, &size), ERROR_DATATYPE_MISMATCH);
        size = 8;
        ASSERT_WIN32(RegGetValueW(k, NULL, u"b", RRF_RT_QWORD, NULL, eight, &size), ERROR_SUCCESS);
        RegCloseKey(k);
}
