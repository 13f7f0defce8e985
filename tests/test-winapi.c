/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <windows.h>'s formatting and module functions against libdcom.so, with Windows'
 * answers: wsprintfW's conversions, flags, (null), unknown conversions and its
 * 1024-WCHAR cap; GetModuleHandleW by file name (any case, ".so" added to a name
 * without an extension), by path, and for what is not loaded.
 */
#include <gnu/libc-version.h>
#include <stdio.h>
#include <windows.h>

#include "test.h"

/* buf (WCHARs) as UTF-8 for the comparisons below (ASCII only) */
static const char *narrow(const WCHAR *w) {
        static char s[2048];
        size_t i = 0;
        for (; w[i] && i < sizeof s - 1; i++)
                s[i] = w[i] < 0x80 ? (char)w[i] : '?';
        s[i] = 0;
        return s;
}

#define FMT(want, ...)                                                                  \
        do {                                                                            \
                WCHAR fb_[1100];                                                         \
                int fn_ = wsprintfW(fb_, __VA_ARGS__);                                    \
                ASSERT_STR_EQ(narrow(fb_), want);                                        \
                ASSERT_EQ(fn_, (int)strlen(want));                                       \
        } while (0)

TEST(wsprintf_conversions) {
        FMT("CLSID\\{x}\\InprocServer32", u"CLSID\\%s\\InprocServer32", u"{x}");
        FMT("42 -7 4294967289 ff FF", u"%d %i %u %x %X", 42, -7, -7, 255, 255);
        FMT("[   42][42   ][00042][-0042][  -42]", u"[%5d][%-5d][%05d][%05d][%5d]", 42, 42, 42, -42,
            -42);
        FMT("[0x1f][0X1F][0]", u"[%#x][%#X][%#x]", 31, 31, 0);
        FMT("[007][][  ab]", u"[%.3d][%.0d][%4.2s]", 7, 0, u"abc");
        FMT("narrow wide C w", u"%S %ls %C %c", "narrow", u"wide", 'C', (int)u'w');
        FMT("h: -1 65535 ab", u"h: %hd %hu %hs", 0xffff, 0xffff, "ab");
        FMT("big: 1234567890123 -5 ffffffffff", u"big: %I64d %I64d %I64x", 1234567890123LL, -5LL,
            0xffffffffffLL);
        FMT("(null) (null)", u"%s %S", (WCHAR *)NULL, (char *)NULL);
        FMT("100% q", u"100%% %q");             /* an unknown conversion: its letter */
        WCHAR b[32];
        wsprintfW(b, u"%p", (void *)0x1234);
        ASSERT_EQ(lstrlenW(b), (int)(2 * sizeof(void *)));
        ASSERT_STR_EQ(narrow(b) + 2 * sizeof(void *) - 4, "1234");
        ASSERT_EQ(wsprintfW(b, NULL), 0);
        ASSERT_EQ(b[0], 0);
}

TEST(wsprintf_cap) {
        /* Windows writes at most 1024 WCHARs, the terminator one of them */
        WCHAR big[2000], out[2100];
        for (int i = 0; i < 1999; i++)
                big[i] = 'a';
        big[1999] = 0;
        for (int i = 0; i < 2100; i++)
                out[i] = 0x7777;
        ASSERT_EQ(wsprintfW(out, u"%s", big), 1023);
        ASSERT_EQ(out[1023], 0);
        ASSERT_EQ(out[1024], 0x7777);
}

/* a function's address as GetModuleHandleExW's FROM_ADDRESS takes it */
#define FN_ADDR(f, ret)                                                                 \
        do {                                                                            \
                void *p_;                                                               \
                __typeof__(&f) fp_ = &f;                                                \
                memcpy(&p_, &fp_, sizeof p_);                                           \
                (ret) = (LPCWSTR)p_;                                                    \
        } while (0)

TEST(module_handle_by_name) {
        LPCWSTR in_libc, in_dcom;
        FN_ADDR(gnu_get_libc_version, in_libc);     /* not one ASan intercepts */
        FN_ADDR(wsprintfW, in_dcom);
        HMODULE libc = NULL, self = GetModuleHandleW(NULL);
        ASSERT_TRUE(GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                               GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                       in_libc, &libc));
        ASSERT_TRUE(libc != NULL && libc != self);
        ASSERT_TRUE(GetModuleHandleW(u"libc.so.6") == libc);
        ASSERT_TRUE(GetModuleHandleW(u"LIBC.SO.6") == libc);           /* any case */
        HMODULE dcom = NULL;
        ASSERT_TRUE(GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                                       in_dcom, &dcom));
        ASSERT_TRUE(GetModuleHandleW(u"libdcom.so.0") == dcom);
        /* by the path GetModuleFileNameW gives */
        WCHAR path[MAX_PATH];
        ASSERT_GT(GetModuleFileNameW(dcom, path, MAX_PATH), 0);
        ASSERT_TRUE(GetModuleHandleW(path) == dcom);
        /* the executable by its own file name */
        ASSERT_GT(GetModuleFileNameW(NULL, path, MAX_PATH), 0);
        const WCHAR *base = path;
        for (const WCHAR *p = path; *p; p++)
                if (*p == '/')
                        base = p + 1;
        ASSERT_TRUE(GetModuleHandleW(base) == self);
        /* not loaded */
        SetLastError(0);
        ASSERT_NULL(GetModuleHandleW(u"nosuch.so"));
        ASSERT_EQ(GetLastError(), ERROR_MOD_NOT_FOUND);
        ASSERT_NULL(GetModuleHandleW(u"libc"));         /* "libc.so" is not loaded, libc.so.6 is */
        ASSERT_NULL(GetModuleHandleW(u""));
}
