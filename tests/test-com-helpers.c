/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The COM helpers: task memory (and that it mixes with the base allocator the NDR
 * stubs use), CoCreateGuid, GUID strings both ways with Windows' edge cases (taken from
 * what Wine's conformance tests record of Windows), ProgIDs with CurVer, and TreatAs.
 * The registry is this run's private OPENDCOM_ROOT (tests/test.c).
 */
#include <dcom/com.h>
#include <dcom/guid.h>
#include <dcom/winreg.h>

#include "base/base-internal.h"
#include "test.h"

#define ASSERT_WIN32(expr, want) ASSERT_EQ((LSTATUS)(expr), (LSTATUS)(want))
#define ASSERT_GUID_EQ(a, b) ASSERT_MEM_EQ((a), (b), sizeof(GUID))

/* Length-checked comparison of a UTF-16 string with an ASCII/UTF-16 literal. */
#define ASSERT_WSTR_EQ(a, b)                                                            \
        do {                                                                            \
                const WCHAR *wa_ = (a), *wb_ = (b);                                     \
                ASSERT_NOT_NULL(wa_);                                                   \
                ASSERT_EQ(dcom_utf16_len(wa_), dcom_utf16_len(wb_));                    \
                ASSERT_MEM_EQ(wa_, wb_, dcom_utf16_len(wb_) * sizeof(WCHAR));           \
        } while (0)

static const CLSID CLSID_StdFont = { 0x0be35203, 0x8f91, 0x11ce,
                                     { 0x9d, 0xe3, 0x00, 0xaa, 0x00, 0x4b, 0xb8, 0x51 } };
static const IID IID_IClassFactory = { 0x00000001, 0x0000, 0x0000,
                                       { 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 } };
static const CLSID CLSID_deadbeef = { 0xdeadbeef, 0xdead, 0xbeef,
                                      { 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef } };
static const CLSID CLSID_other = { 0x12345678, 0x1234, 0x1234,
                                   { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 } };
static const CLSID CLSID_v2 = { 0xa1b2c3d4, 0x0001, 0x0002,
                                { 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a } };

static const WCHAR stdfont_lower[] = u"{0be35203-8f91-11ce-9de3-00aa004bb851}";
static const WCHAR stdfont_upper[] = u"{0BE35203-8F91-11CE-9DE3-00AA004BB851}";

static void set_default_sz(const WCHAR *path, const WCHAR *v) {
        ASSERT_WIN32(RegSetKeyValueW(HKEY_CLASSES_ROOT, path, NULL, REG_SZ, v,
                                     (DWORD)((dcom_utf16_len(v) + 1) * sizeof(WCHAR))),
                     ERROR_SUCCESS);
}

static void create_key(const WCHAR *path) {
        HKEY k;

        ASSERT_WIN32(RegCreateKeyExW(HKEY_CLASSES_ROOT, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                                     &k, NULL), ERROR_SUCCESS);
        RegCloseKey(k);
}

static bool key_exists(const WCHAR *path) {
        HKEY k;

        if (RegOpenKeyExW(HKEY_CLASSES_ROOT, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
                return false;
        RegCloseKey(k);
        return true;
}

/* --- memory --------------------------------------------------------------------------- */

TEST(task_memory) {
        uint8_t *p, *q, *r;

        /* Zero bytes still give distinct, freeable blocks, as on Windows. */
        p = CoTaskMemAlloc(0);
        q = CoTaskMemAlloc(0);
        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(q);
        ASSERT_TRUE(p != q);
        CoTaskMemFree(q);

        /* Realloc keeps the contents up to the smaller size. */
        p = CoTaskMemRealloc(p, 16);
        ASSERT_NOT_NULL(p);
        for (int i = 0; i < 16; i++)
                p[i] = (uint8_t)i;
        p = CoTaskMemRealloc(p, 100000);
        ASSERT_NOT_NULL(p);
        for (int i = 0; i < 16; i++)
                ASSERT_EQ(p[i], i);
        p = CoTaskMemRealloc(p, 4);
        ASSERT_NOT_NULL(p);
        ASSERT_EQ(p[3], 3);

        /* A non-NULL block reallocated to 0 bytes is freed and NULL comes back (ASan
           would report the leak otherwise). */
        ASSERT_NULL(CoTaskMemRealloc(p, 0));

        /* NULL reallocates like CoTaskMemAlloc, even to 0 bytes. */
        r = CoTaskMemRealloc(NULL, 0);
        ASSERT_NOT_NULL(r);
        CoTaskMemFree(r);
        r = CoTaskMemRealloc(NULL, 8);
        ASSERT_NOT_NULL(r);
        CoTaskMemFree(r);

        CoTaskMemFree(NULL);
}

TEST(task_memory_is_the_base_allocator) {
        /* What midl_user_allocate() (= dcom_malloc outside server calls) hands out,
           CoTaskMemFree frees, and the other way round. */
        void *p = dcom_malloc(24);
        ASSERT_NOT_NULL(p);
        p = CoTaskMemRealloc(p, 48);
        ASSERT_NOT_NULL(p);
        CoTaskMemFree(p);

        p = CoTaskMemAlloc(24);
        ASSERT_NOT_NULL(p);
        p = dcom_realloc(p, 48);
        ASSERT_NOT_NULL(p);
        dcom_free(p);
}

TEST(task_memory_out_of_memory) {
        uint8_t *p = CoTaskMemAlloc(8), *q;

        ASSERT_NOT_NULL(p);
        memcpy(p, "abcdefgh", 8);

        alloc_fail_at(1, false);
        ASSERT_NULL(CoTaskMemAlloc(8));
        ASSERT_TRUE(alloc_fail_fired());

        /* A failed realloc leaves the block as it was. */
        alloc_fail_at(1, false);
        q = CoTaskMemRealloc(p, 1 << 20);
        ASSERT_TRUE(alloc_fail_fired());
        alloc_fail_at(0, false);
        ASSERT_NULL(q);
        ASSERT_MEM_EQ(p, "abcdefgh", 8);
        CoTaskMemFree(p);
}

/* --- GUIDs and strings ---------------------------------------------------------------- */

TEST(co_create_guid) {
        GUID a, b;

        ASSERT_HR_EQ(CoCreateGuid(NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CoCreateGuid(&a), S_OK);
        ASSERT_HR_EQ(CoCreateGuid(&b), S_OK);
        ASSERT_FALSE(dcom_guid_equal(&a, &b));
        ASSERT_FALSE(dcom_guid_is_null(&a));
        /* RFC 4122 version 4, variant 10xx. */
        ASSERT_EQ(a.Data3 >> 12, 4);
        ASSERT_EQ(a.Data4[0] & 0xc0, 0x80);
}

TEST(string_from_guid2) {
        WCHAR buf[50];

        memset(buf, 0xaa, sizeof(buf));
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, buf, 50), 39);
        ASSERT_WSTR_EQ(buf, stdfont_upper);     /* upper case, as ole32 writes it */
        ASSERT_EQ(buf[39], 0xaaaa);             /* nothing past the NUL */

        memset(buf, 0, sizeof(buf));
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, buf, 39), 39);
        ASSERT_WSTR_EQ(buf, stdfont_upper);

        /* Too small: 0, and the buffer is left alone. */
        memset(buf, 0, sizeof(buf));
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, buf, 38), 0);
        ASSERT_EQ(buf[0], 0);
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, buf, 30), 0);
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, buf, 0), 0);
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, buf, -1), 0);

        /* NULL GUID or buffer. */
        ASSERT_EQ(StringFromGUID2(NULL, buf, 50), 0);
        ASSERT_EQ(StringFromGUID2(&CLSID_StdFont, NULL, 50), 0);

        ASSERT_EQ(StringFromGUID2(&GUID_NULL, buf, 39), 39);
        ASSERT_WSTR_EQ(buf, u"{00000000-0000-0000-0000-000000000000}");
}

TEST(string_from_clsid_and_iid) {
        LPOLESTR s = (LPOLESTR)(uintptr_t)0xdeadbeef;

        ASSERT_HR_EQ(StringFromCLSID(&CLSID_StdFont, &s), S_OK);
        ASSERT_WSTR_EQ(s, stdfont_upper);
        CoTaskMemFree(s);

        ASSERT_HR_EQ(StringFromIID(&IID_IClassFactory, &s), S_OK);
        ASSERT_WSTR_EQ(s, u"{00000001-0000-0000-C000-000000000046}");
        CoTaskMemFree(s);

        ASSERT_HR_EQ(StringFromCLSID(&CLSID_StdFont, NULL), E_INVALIDARG);
        ASSERT_HR_EQ(StringFromIID(NULL, &s), E_INVALIDARG);
        ASSERT_NULL(s);

        /* Out of memory: E_OUTOFMEMORY and a NULL string. */
        s = (LPOLESTR)(uintptr_t)0xdeadbeef;
        alloc_fail_at(1, false);
        ASSERT_HR_EQ(StringFromCLSID(&CLSID_StdFont, &s), E_OUTOFMEMORY);
        alloc_fail_at(0, false);
        ASSERT_NULL(s);
}

TEST(clsid_from_string) {
        WCHAR broken[50];
        CLSID clsid;
        size_t n = dcom_utf16_len(stdfont_lower);

        ASSERT_HR_EQ(CLSIDFromString(stdfont_lower, &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(stdfont_upper, &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);

        /* NULL is GUID_NULL. */
        memset(&clsid, 0xab, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(NULL, &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &GUID_NULL);

        ASSERT_HR_EQ(CLSIDFromString(stdfont_lower, NULL), E_INVALIDARG);

        /* A valid GUID with more after it: CO_E_CLASSSTRING, the GUID already stored. */
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(u"{00000001-0000-0000-c000-000000000046}a", &clsid),
                     CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &IID_IClassFactory);

        memcpy(broken, stdfont_lower, n * sizeof(WCHAR));
        for (size_t i = n; i < 49; i++)
                broken[i] = 'A';
        broken[49] = 0;
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);

        /* No closing brace. */
        broken[n - 1] = 'A';
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);
        broken[n] = 0;
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        broken[n - 1] = 0;
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);

        /* No opening brace: the result is zeroed. */
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(broken + 1, &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &GUID_NULL);

        /* A bad separator after Data1: Data1 stored, Data2 untouched. */
        broken[9] = '*';
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        ASSERT_EQ(clsid.Data1, CLSID_StdFont.Data1);
        ASSERT_EQ(clsid.Data2, 0xcccc);

        /* A bad digit inside Data1: the digits before it. */
        broken[3] = '*';
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        ASSERT_EQ(clsid.Data1, 0xb);
        ASSERT_EQ(clsid.Data2, 0xcccc);
        broken[3] = 0;
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(broken, &clsid), CO_E_CLASSSTRING);
        ASSERT_EQ(clsid.Data1, 0xb);

        /* The separator between Data4's two groups is checked too. */
        ASSERT_HR_EQ(CLSIDFromString(u"{0be35203-8f91-11ce-9de3x00aa004bb851}", &clsid),
                     CO_E_CLASSSTRING);
        ASSERT_HR_EQ(CLSIDFromString(u"", &clsid), CO_E_CLASSSTRING);
        ASSERT_HR_EQ(CLSIDFromString(u"NonExistent", &clsid), CO_E_CLASSSTRING);
}

TEST(iid_from_string) {
        IID iid;

        ASSERT_HR_EQ(IIDFromString(stdfont_lower, &iid), S_OK);
        ASSERT_GUID_EQ(&iid, &CLSID_StdFont);

        memset(&iid, 0xab, sizeof(iid));
        ASSERT_HR_EQ(IIDFromString(NULL, &iid), S_OK);
        ASSERT_GUID_EQ(&iid, &GUID_NULL);

        ASSERT_HR_EQ(IIDFromString(u"{00000001-0000-0000-c000-000000000046}", &iid), S_OK);
        ASSERT_GUID_EQ(&iid, &IID_IClassFactory);

        /* Longer than a GUID: E_INVALIDARG, untouched. */
        memset(&iid, 0xab, sizeof(iid));
        ASSERT_HR_EQ(IIDFromString(u"{00000001-0000-0000-c000-000000000046}a", &iid), E_INVALIDARG);
        ASSERT_EQ(iid.Data1, 0xabababab);

        /* The right length but a bad character: CO_E_IIDSTRING, fields so far stored. */
        memset(&iid, 0xab, sizeof(iid));
        ASSERT_HR_EQ(IIDFromString(u"{00000001-0000-0000-g000-000000000046}", &iid),
                     CO_E_IIDSTRING);
        ASSERT_EQ(iid.Data1, 1);
        memset(&iid, 0xab, sizeof(iid));
        ASSERT_HR_EQ(IIDFromString(u"{00000001=0000-0000-g000-000000000046}", &iid),
                     CO_E_IIDSTRING);
        ASSERT_EQ(iid.Data1, 1);

        /* The right length, no brace: CO_E_IIDSTRING, untouched. */
        memset(&iid, 0xab, sizeof(iid));
        ASSERT_HR_EQ(IIDFromString(u"broken001=0000-0000-g000-000000000046}", &iid),
                     CO_E_IIDSTRING);
        ASSERT_EQ(iid.Data1, 0xabababab);

        /* Never a ProgID, even a registered one. */
        set_default_sz(u"Test.IIDProgID\\CLSID", stdfont_upper);
        memset(&iid, 0xab, sizeof(iid));
        ASSERT_HR_EQ(IIDFromString(u"Test.IIDProgID", &iid), E_INVALIDARG);
        ASSERT_EQ(iid.Data1, 0xabababab);
        ASSERT_HR_EQ(IIDFromString(u"", &iid), E_INVALIDARG);

        ASSERT_HR_EQ(IIDFromString(stdfont_lower, NULL), E_INVALIDARG);
}

TEST(guid_string_round_trip) {
        for (int i = 0; i < 64; i++) {
                WCHAR buf[39];
                GUID g, back;
                ASSERT_HR_EQ(CoCreateGuid(&g), S_OK);
                ASSERT_EQ(StringFromGUID2(&g, buf, 39), 39);
                ASSERT_HR_EQ(CLSIDFromString(buf, &back), S_OK);
                ASSERT_GUID_EQ(&back, &g);
                ASSERT_HR_EQ(IIDFromString(buf, &back), S_OK);
                ASSERT_GUID_EQ(&back, &g);
        }
}

/* --- ProgIDs -------------------------------------------------------------------------- */

TEST(progids) {
        CLSID clsid;
        LPOLESTR progid;

        /* HKCR\StdFont\CLSID and HKCR\CLSID\{StdFont}\ProgID, as Windows registers them. */
        set_default_sz(u"StdFont\\CLSID", stdfont_upper);
        set_default_sz(u"CLSID\\{0BE35203-8F91-11CE-9DE3-00AA004BB851}\\ProgID", u"StdFont");

        ASSERT_HR_EQ(CLSIDFromProgID(u"StdFont", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromProgID(u"STDFONT", &clsid), S_OK);      /* keys ignore case */
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromProgIDEx(u"StdFont", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);
        ASSERT_HR_EQ(CLSIDFromProgIDEx(u"NonExistent", &clsid), CO_E_CLASSSTRING);
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(u"StdFont", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_StdFont);

        ASSERT_HR_EQ(ProgIDFromCLSID(&CLSID_StdFont, &progid), S_OK);
        ASSERT_WSTR_EQ(progid, u"StdFont");
        CoTaskMemFree(progid);

        /* Failures. */
        ASSERT_HR_EQ(CLSIDFromProgID(u"NonExistent", NULL), E_INVALIDARG);
        ASSERT_HR_EQ(CLSIDFromProgID(NULL, &clsid), E_INVALIDARG);
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromProgID(u"NonExistent", &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &GUID_NULL);
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(u"NonExistent", &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &GUID_NULL);
        ASSERT_HR_EQ(CLSIDFromProgID(u"", &clsid), CO_E_CLASSSTRING);

        /* A ProgID key without CLSID, or with a value that is no GUID. */
        create_key(u"Test.NoClsid");
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.NoClsid", &clsid), CO_E_CLASSSTRING);
        set_default_sz(u"Test.BadClsid\\CLSID", u"{not-a-guid}");
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.BadClsid", &clsid), CO_E_CLASSSTRING);
        set_default_sz(u"Test.LongClsid\\CLSID", u"{0BE35203-8F91-11CE-9DE3-00AA004BB851}x");
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.LongClsid", &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &GUID_NULL);

        progid = (LPOLESTR)(uintptr_t)0xdeadbeef;
        ASSERT_HR_EQ(ProgIDFromCLSID(&CLSID_other, &progid), REGDB_E_CLASSNOTREG);
        ASSERT_NULL(progid);
        ASSERT_HR_EQ(ProgIDFromCLSID(&CLSID_StdFont, NULL), E_INVALIDARG);

        /* A class key without a ProgID subkey is not registered either. */
        create_key(u"CLSID\\{12345678-1234-1234-1234-56789ABCDEF0}");
        progid = (LPOLESTR)(uintptr_t)0xdeadbeef;
        ASSERT_HR_EQ(ProgIDFromCLSID(&CLSID_other, &progid), REGDB_E_CLASSNOTREG);
        ASSERT_NULL(progid);
        create_key(u"CLSID\\{12345678-1234-1234-1234-56789ABCDEF0}\\ProgID");
        ASSERT_HR_EQ(ProgIDFromCLSID(&CLSID_other, &progid), REGDB_E_CLASSNOTREG);
        ASSERT_NULL(progid);
}

TEST(progid_long) {
        WCHAR name[201];
        LPOLESTR progid;

        for (int i = 0; i < 200; i++)
                name[i] = (WCHAR)('a' + i % 26);
        name[200] = 0;
        set_default_sz(u"CLSID\\{A1B2C3D4-0001-0002-0304-05060708090A}\\ProgID", name);
        ASSERT_HR_EQ(ProgIDFromCLSID(&CLSID_v2, &progid), S_OK);
        ASSERT_WSTR_EQ(progid, name);
        CoTaskMemFree(progid);
        ASSERT_WIN32(RegDeleteTreeW(HKEY_CLASSES_ROOT,
                                    u"CLSID\\{A1B2C3D4-0001-0002-0304-05060708090A}"),
                     ERROR_SUCCESS);
}

TEST(progid_curver) {
        CLSID clsid;

        /* Version-independent "Test.Widget" (CLSID_other) whose CurVer is
           "Test.Widget.2" (CLSID_v2): the current version wins. */
        set_default_sz(u"Test.Widget\\CLSID", u"{12345678-1234-1234-1234-56789ABCDEF0}");
        set_default_sz(u"Test.Widget\\CurVer", u"Test.Widget.2");
        set_default_sz(u"Test.Widget.2\\CLSID", u"{A1B2C3D4-0001-0002-0304-05060708090A}");
        set_default_sz(u"Test.Widget.1\\CLSID", u"{12345678-1234-1234-1234-56789ABCDEF0}");

        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.Widget", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_v2);
        memset(&clsid, 0, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromString(u"Test.Widget", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_v2);
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.Widget.1", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_other);

        /* A CurVer naming a ProgID that is not registered: the key's own CLSID. */
        set_default_sz(u"Test.Widget\\CurVer", u"Test.Widget.9");
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.Widget", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_other);

        /* A CurVer naming itself. */
        set_default_sz(u"Test.Widget\\CurVer", u"test.widget");
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.Widget", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_other);

        /* Only CurVer, no CLSID of its own. */
        set_default_sz(u"Test.Gadget\\CurVer", u"Test.Widget.2");
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.Gadget", &clsid), S_OK);
        ASSERT_GUID_EQ(&clsid, &CLSID_v2);
        set_default_sz(u"Test.Gadget\\CurVer", u"Test.Gadget.7");
        memset(&clsid, 0xcc, sizeof(clsid));
        ASSERT_HR_EQ(CLSIDFromProgID(u"Test.Gadget", &clsid), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&clsid, &GUID_NULL);
}

/* ASSERT_OOM_LOOP wants a negative errno when a call fails. */
static int hr_to_int(HRESULT hr) {
        if (hr == E_OUTOFMEMORY)
                return -ENOMEM;
        return FAILED(hr) ? -EIO : 0;
}

static int oom_clsid_from_progid(void *ctx) {
        CLSID clsid;
        HRESULT hr = CLSIDFromProgID(u"Test.Widget", &clsid);

        if (SUCCEEDED(hr))
                ASSERT_GUID_EQ(&clsid, &CLSID_v2);
        return hr_to_int(hr);
}

static int oom_progid_from_clsid(void *ctx) {
        LPOLESTR progid;
        HRESULT hr = ProgIDFromCLSID(&CLSID_StdFont, &progid);

        if (SUCCEEDED(hr)) {
                ASSERT_WSTR_EQ(progid, u"StdFont");
                CoTaskMemFree(progid);
        } else {
                ASSERT_NULL(progid);
        }
        return hr_to_int(hr);
}

TEST(progid_out_of_memory) {
        set_default_sz(u"StdFont\\CLSID", stdfont_upper);
        set_default_sz(u"CLSID\\{0BE35203-8F91-11CE-9DE3-00AA004BB851}\\ProgID", u"StdFont");
        set_default_sz(u"Test.Widget\\CLSID", u"{12345678-1234-1234-1234-56789ABCDEF0}");
        set_default_sz(u"Test.Widget\\CurVer", u"Test.Widget.2");
        set_default_sz(u"Test.Widget.2\\CLSID", u"{A1B2C3D4-0001-0002-0304-05060708090A}");
        ASSERT_GT(ASSERT_OOM_LOOP(oom_clsid_from_progid, NULL, NULL), 0);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_progid_from_clsid, NULL, NULL), 0);
}

/* --- TreatAs -------------------------------------------------------------------------- */

#define DEADBEEF_KEY u"CLSID\\{DEADBEEF-DEAD-BEEF-DEAD-BEEFDEADBEEF}"

TEST(treat_as) {
        LPOLESTR s;
        CLSID out;

        /* Nothing registered: S_FALSE and the class itself. */
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_FALSE);
        ASSERT_GUID_EQ(&out, &CLSID_deadbeef);
        ASSERT_HR_EQ(CoGetTreatAsClass(NULL, &out), E_INVALIDARG);
        ASSERT_GUID_EQ(&out, &CLSID_deadbeef);
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, NULL), E_INVALIDARG);

        /* CoTreatAsClass needs the class key. */
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_other), REGDB_E_CLASSNOTREG);
        ASSERT_HR_EQ(CoTreatAsClass(NULL, &CLSID_other), E_INVALIDARG);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, NULL), E_INVALIDARG);

        create_key(DEADBEEF_KEY);

        /* Resetting an emulation that does not exist fails, as on Windows. */
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_deadbeef), REGDB_E_WRITEREGDB);

        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_other), S_OK);
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_OK);
        ASSERT_GUID_EQ(&out, &CLSID_other);
        /* Stored as Windows stores it: TreatAs key, braced upper-case default value. */
        {
                WCHAR buf[64];
                DWORD cb = sizeof(buf), type = 0;
                ASSERT_WIN32(RegGetValueW(HKEY_CLASSES_ROOT, DEADBEEF_KEY u"\\TreatAs", NULL,
                                          RRF_RT_ANY, &type, buf, &cb), ERROR_SUCCESS);
                ASSERT_EQ(type, REG_SZ);
                ASSERT_WSTR_EQ(buf, u"{12345678-1234-1234-1234-56789ABCDEF0}");
        }

        /* Replace, then remove with CLSID_NULL. */
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_v2), S_OK);
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_OK);
        ASSERT_GUID_EQ(&out, &CLSID_v2);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &GUID_NULL), S_OK);
        ASSERT_FALSE(key_exists(DEADBEEF_KEY u"\\TreatAs"));
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_FALSE);
        ASSERT_GUID_EQ(&out, &CLSID_deadbeef);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &GUID_NULL), S_OK);

        /* old == new removes the emulation... */
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_other), S_OK);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_deadbeef), S_OK);
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_FALSE);

        /* ...or puts AutoTreatAs back when the class has one. */
        set_default_sz(DEADBEEF_KEY u"\\AutoTreatAs", u"{a1b2c3d4-0001-0002-0304-05060708090a}");
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_other), S_OK);
        ASSERT_HR_EQ(CoTreatAsClass(&CLSID_deadbeef, &CLSID_deadbeef), S_OK);
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_OK);
        ASSERT_GUID_EQ(&out, &CLSID_v2);

        /* A TreatAs value that is a ProgID resolves through CLSIDFromString. */
        set_default_sz(u"StdFont\\CLSID", stdfont_upper);
        set_default_sz(DEADBEEF_KEY u"\\TreatAs", u"StdFont");
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), S_OK);
        ASSERT_GUID_EQ(&out, &CLSID_StdFont);

        /* A bad one: CLSIDFromString's error, *ret = old. */
        set_default_sz(DEADBEEF_KEY u"\\TreatAs", u"{garbage}");
        ASSERT_HR_EQ(CoGetTreatAsClass(&CLSID_deadbeef, &out), CO_E_CLASSSTRING);
        ASSERT_GUID_EQ(&out, &CLSID_deadbeef);

        ASSERT_HR_EQ(StringFromCLSID(&CLSID_deadbeef, &s), S_OK);
        ASSERT_WSTR_EQ(s, u"{DEADBEEF-DEAD-BEEF-DEAD-BEEFDEADBEEF}");
        CoTaskMemFree(s);
        ASSERT_WIN32(RegDeleteTreeW(HKEY_CLASSES_ROOT, DEADBEEF_KEY), ERROR_SUCCESS);
}

static int oom_treat_as(void *ctx) {
        CLSID out;
        HRESULT hr = CoTreatAsClass(&CLSID_deadbeef, &CLSID_other);

        if (FAILED(hr))
                return hr_to_int(hr);
        hr = CoGetTreatAsClass(&CLSID_deadbeef, &out);
        if (hr == S_OK)
                ASSERT_GUID_EQ(&out, &CLSID_other);
        else
                ASSERT_GUID_EQ(&out, &CLSID_deadbeef);
        return hr == S_OK ? 0 : hr_to_int(hr);
}

static void oom_treat_as_reset(void *ctx) {
        LSTATUS s = RegDeleteKeyW(HKEY_CLASSES_ROOT, DEADBEEF_KEY u"\\TreatAs");

        ASSERT_TRUE(s == ERROR_SUCCESS || s == ERROR_FILE_NOT_FOUND);
}

TEST(treat_as_out_of_memory) {
        create_key(DEADBEEF_KEY);
        ASSERT_GT(ASSERT_OOM_LOOP(oom_treat_as, oom_treat_as_reset, NULL), 0);
        ASSERT_WIN32(RegDeleteTreeW(HKEY_CLASSES_ROOT, DEADBEEF_KEY), ERROR_SUCCESS);
}

/* FILETIME: 100-ns units since 1601; now, as the clock says. */
TEST(file_time_now) {
        FILETIME ft;
        struct timespec ts;

        ASSERT_HR_EQ(CoFileTimeNow(NULL), E_INVALIDARG);
        clock_gettime(CLOCK_REALTIME, &ts);
        ASSERT_HR_EQ(CoFileTimeNow(&ft), S_OK);
        uint64_t t = (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
        uint64_t unix_s = t / 10000000u - 11644473600u;
        ASSERT_GE(unix_s + 1, (uint64_t)ts.tv_sec);
        ASSERT_LE(unix_s, (uint64_t)ts.tv_sec + 5);
}
