/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wsprintfW / wvsprintfW (<windows.h>, user32 on Windows): printf into a WCHAR buffer
 * with Windows' rules, as registration code formats its keys ("CLSID\\%s\\InprocServer32").
 *
 *   - the conversions c C d i u x X p s S, with the h and l size prefixes (hs/hS/hc: a
 *     char string/char, ls/lS/lc: a WCHAR one; in the W form %s and %c are WCHAR, %S and
 *     %C char -- UTF-8 here), the flags - 0 # (and + ' ' which Windows ignores), a width
 *     and a precision, * for neither (Windows takes none from the arguments);
 *   - integers are 32-bit (%d takes an int) unless I64 prefixes them (%I64d, %I64x);
 *   - no floating point: an unknown conversion prints its letter, as Windows does;
 *   - a NULL string prints "(null)";
 *   - at most 1024 WCHARs are written, the terminator included, whatever the buffer --
 *     Windows' limit: the result is cut there.  Returns the WCHARs written without it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "com/com-internal.h"
#include "dcom/utf16.h"
#include <windows.h>

#define WSPRINTF_MAX 1024

struct out {
        WCHAR *buf;
        size_t len;     /* written, without the terminator */
};

static void put(struct out *o, WCHAR c) {
        if (o->len < WSPRINTF_MAX - 1)
                o->buf[o->len++] = c;
}

static void pad(struct out *o, int n, WCHAR c) {
        for (; n > 0; n--)
                put(o, c);
}

/* A string of n WCHARs, in a field of width (left-aligned with '-'). */
static void field(struct out *o, const WCHAR *s, size_t n, int width, bool left, WCHAR fill) {
        int gap = width > (int)n ? width - (int)n : 0;

        if (!left)
                pad(o, gap, fill);
        for (size_t i = 0; i < n; i++)
                put(o, s[i]);
        if (left)
                pad(o, gap, ' ');
}

DCOM_EXPORT int WINAPI wvsprintfW(LPWSTR buf, LPCWSTR fmt, va_list ap) {
        struct out o = { buf, 0 };

        if (!buf)
                return -1;
        if (!fmt) {
                buf[0] = 0;
                return 0;
        }
        for (const WCHAR *p = fmt; *p; p++) {
                if (*p != '%') {
                        put(&o, *p);
                        continue;
                }
                if (*++p == '%') {
                        put(&o, '%');
                        continue;
                }
                bool left = false, zero = false, alt = false;
                int width = 0, prec = -1;
                for (;; p++) {
                        if (*p == '-')
                                left = true;
                        else if (*p == '0')
                                zero = true;
                        else if (*p == '#')
                                alt = true;
                        else if (*p != '+' && *p != ' ')
                                break;
                }
                for (; *p >= '0' && *p <= '9'; p++)
                        width = width < 10000 ? width * 10 + (*p - '0') : width;
                if (*p == '.') {
                        prec = 0;
                        for (p++; *p >= '0' && *p <= '9'; p++)
                                prec = prec < 10000 ? prec * 10 + (*p - '0') : prec;
                }
                enum { SZ_DEF, SZ_SHORT, SZ_LONG, SZ_I64 } size = SZ_DEF;
                if (*p == 'h') {
                        size = SZ_SHORT;
                        p++;
                } else if (*p == 'l' || *p == 'w') {
                        size = SZ_LONG;
                        p++;
                } else if (p[0] == 'I' && p[1] == '6' && p[2] == '4') {
                        size = SZ_I64;
                        p += 3;
                }
                if (!*p)
                        break;
                WCHAR fill = zero && !left ? '0' : ' ';
                switch (*p) {
                case 'c':
                case 'C': {
                        /* the W form's %c is a WCHAR, %C a char; h and l say which */
                        bool wide = size == SZ_LONG || (size == SZ_DEF && *p == 'c');
                        int v = va_arg(ap, int);
                        WCHAR c = wide ? (WCHAR)v : (WCHAR)(unsigned char)v;
                        field(&o, &c, 1, width, left, ' ');
                        break;
                }
                case 's':
                case 'S': {
                        bool wide = size == SZ_LONG || (size == SZ_DEF && *p == 's');
                        const void *arg = va_arg(ap, const void *);
                        WCHAR *conv = NULL;
                        const WCHAR *s;
                        size_t n;
                        if (!arg) {
                                s = u"(null)";
                                n = 6;
                        } else if (wide) {
                                s = arg;
                                n = dcom_utf16_len(s);
                        } else {
                                const char *a = arg;
                                if (dcom_utf8_to_utf16(a, strlen(a), &conv, &n) < 0) {
                                        conv = NULL;
                                        n = 0;
                                }
                                s = conv;
                        }
                        if (prec >= 0 && (size_t)prec < n)
                                n = (size_t)prec;
                        field(&o, s, n, width, left, ' ');
                        free(conv);
                        break;
                }
                case 'd':
                case 'i':
                case 'u':
                case 'x':
                case 'X':
                case 'p': {
                        bool sgn = *p == 'd' || *p == 'i', hex = *p == 'x' || *p == 'X' || *p == 'p';
                        const char *digits = *p == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
                        unsigned long long mag;
                        bool neg = false;
                        if (*p == 'p') {
                                /* a pointer: upper-case hex, as wide as a pointer */
                                mag = (uintptr_t)va_arg(ap, void *);
                                prec = (int)(2 * sizeof(void *));
                                alt = false;
                        } else if (size == SZ_I64) {
                                long long v = va_arg(ap, long long);
                                neg = sgn && v < 0;
                                mag = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
                        } else {
                                int v = va_arg(ap, int);
                                if (size == SZ_SHORT)
                                        v = sgn ? (short)v : (unsigned short)v;
                                neg = sgn && v < 0;
                                mag = sgn ? (neg ? 0ULL - (unsigned long long)(long long)v
                                                 : (unsigned long long)v)
                                          : (unsigned long long)(unsigned)v;
                        }
                        /* the digits, backwards; at least prec of them ("%.0d" of 0: none) */
                        WCHAR w[72];
                        int n = 0, min = prec < 0 ? 1 : prec > 64 ? 64 : prec;
                        for (unsigned long long m = mag; m && n < 64; m /= hex ? 16 : 10)
                                w[n++] = (WCHAR)digits[m % (hex ? 16 : 10)];
                        while (n < min)
                                w[n++] = '0';
                        if (alt && hex && mag) {
                                w[n++] = (WCHAR)*p;     /* 0x / 0X */
                                w[n++] = '0';
                        }
                        if (neg)
                                w[n++] = '-';
                        for (int i = 0; i < n / 2; i++) {
                                WCHAR t = w[i];
                                w[i] = w[n - 1 - i];
                                w[n - 1 - i] = t;
                        }
                        /* zero padding goes after the sign and 0x, as printf puts it */
                        int lead = neg ? 1 : alt && hex && mag ? 2 : 0;
                        if (fill == '0' && prec < 0 && lead) {
                                for (int i = 0; i < lead; i++)
                                        put(&o, w[i]);
                                width = width > lead ? width - lead : 0;
                        } else {
                                lead = 0;
                        }
                        field(&o, w + lead, (size_t)(n - lead), width, left, prec < 0 ? fill : ' ');
                        break;
                }
                default:
                        /* what Windows does not know it prints as is */
                        put(&o, *p);
                        break;
                }
        }
        buf[o.len] = 0;
        return (int)o.len;
}

DCOM_EXPORT int WINAPIV wsprintfW(LPWSTR buf, LPCWSTR fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = wvsprintfW(buf, fmt, ap);
        va_end(ap);
        return r;
}
