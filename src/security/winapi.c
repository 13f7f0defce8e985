/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Windows API on the security layer: <sddl.h>'s conversions, <securitybaseapi.h>'s
 * SID and descriptor checks, LocalAlloc/LocalFree for what they return, and the
 * thread's last error they set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* the Win32 side only: COM's headers (generated) are not needed here */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <sddl.h>

#include "security/security-internal.h"

static _Thread_local DWORD last_error;

DCOM_EXPORT DWORD WINAPI GetLastError(void) {
        return last_error;
}

DCOM_EXPORT void WINAPI SetLastError(DWORD err) {
        last_error = err;
}

static BOOL fail(DWORD err) {
        last_error = err;
        return FALSE;
}

static DWORD error_of(int r) {
        switch (r) {
        case -ENOMEM:
                return ERROR_NOT_ENOUGH_MEMORY;
        case -EBADMSG:
                return ERROR_INVALID_SECURITY_DESCR;
        default:
                return ERROR_INVALID_PARAMETER;
        }
}

DCOM_EXPORT HLOCAL WINAPI LocalAlloc(UINT flags, SIZE_T bytes) {
        if (flags & ~(UINT)LMEM_ZEROINIT) {
                last_error = ERROR_INVALID_PARAMETER;   /* moveable blocks: not here */
                return NULL;
        }
        void *p = flags & LMEM_ZEROINIT ? dcom_calloc(1, bytes ? bytes : 1)
                                        : dcom_malloc(bytes ? bytes : 1);
        if (!p)
                last_error = ERROR_NOT_ENOUGH_MEMORY;
        return p;
}

DCOM_EXPORT HLOCAL WINAPI LocalFree(HLOCAL mem) {
        dcom_free(mem);
        return NULL;
}

/* --- SIDs ------------------------------------------------------------------------------- */

/* A binary SID has no length of its own: its header says how long it is. */
static bool sid_of(PSID p, struct sec_sid *ret) {
        const uint8_t *b = p;

        if (!b || b[0] != 1 || b[1] > SEC_SID_MAX_SUB)
                return false;
        return sec_sid_pull(b, 8 + 4 * (size_t)b[1], ret, NULL) == 0;
}

DCOM_EXPORT BOOL WINAPI IsValidSid(PSID sid) {
        struct sec_sid s;

        return sid_of(sid, &s) ? TRUE : fail(ERROR_INVALID_SID);
}

DCOM_EXPORT DWORD WINAPI GetLengthSid(PSID sid) {
        struct sec_sid s;

        /* Windows does not check; a NULL here would crash there, 0 is kinder */
        if (!sid_of(sid, &s)) {
                last_error = ERROR_INVALID_SID;
                return 0;
        }
        return (DWORD)sec_sid_size(&s);
}

DCOM_EXPORT BOOL WINAPI EqualSid(PSID sid1, PSID sid2) {
        struct sec_sid a, b;

        if (!sid_of(sid1, &a) || !sid_of(sid2, &b))
                return fail(ERROR_INVALID_SID);
        last_error = ERROR_SUCCESS;
        return sec_sid_equal(&a, &b) ? TRUE : FALSE;
}

DCOM_EXPORT BOOL WINAPI ConvertStringSidToSidA(LPCSTR s, PSID *ret) {
        struct sec_sid sid;
        uint8_t *p;

        if (!s || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        if (sec_sid_parse(s, true, &sid) < 0)
                return fail(ERROR_INVALID_SID);
        p = LocalAlloc(LMEM_FIXED, sec_sid_size(&sid));
        if (!p)
                return FALSE;
        sec_sid_push(&sid, p);
        *ret = p;
        return TRUE;
}

/* UTF-16 in, UTF-8 for the core, and back. */
static int to_utf8(LPCWSTR w, char **ret) {
        size_t n;

        return dcom_utf16_to_utf8(w, dcom_utf16_len(w), ret, &n);
}

static BOOL to_utf16(const char *s, LPWSTR *ret, ULONG *ret_len) {
        WCHAR *w, *out;
        size_t n;

        if (dcom_utf8_to_utf16(s, strlen(s), &w, &n) < 0)
                return fail(ERROR_NOT_ENOUGH_MEMORY);
        out = LocalAlloc(LMEM_FIXED, (n + 1) * sizeof(WCHAR));
        if (!out) {
                dcom_free(w);
                return FALSE;
        }
        memcpy(out, w, n * sizeof(WCHAR));
        out[n] = 0;
        dcom_free(w);
        *ret = out;
        if (ret_len)
                *ret_len = (ULONG)(n + 1);
        return TRUE;
}

static BOOL to_local(const char *s, LPSTR *ret, ULONG *ret_len) {
        size_t n = strlen(s);
        char *out = LocalAlloc(LMEM_FIXED, n + 1);

        if (!out)
                return FALSE;
        memcpy(out, s, n + 1);
        *ret = out;
        if (ret_len)
                *ret_len = (ULONG)(n + 1);
        return TRUE;
}

DCOM_EXPORT BOOL WINAPI ConvertStringSidToSidW(LPCWSTR s, PSID *ret) {
        char *u8;
        BOOL ok;

        if (!s || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        if (to_utf8(s, &u8) < 0)
                return fail(ERROR_INVALID_SID);
        ok = ConvertStringSidToSidA(u8, ret);
        dcom_free(u8);
        return ok;
}

DCOM_EXPORT BOOL WINAPI ConvertSidToStringSidA(PSID sid, LPSTR *ret) {
        char s[SEC_SID_STRING_MAX];
        struct sec_sid v;

        if (!sid || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        if (!sid_of(sid, &v))
                return fail(ERROR_INVALID_SID);
        sec_sid_format(&v, s, sizeof s);
        return to_local(s, ret, NULL);
}

DCOM_EXPORT BOOL WINAPI ConvertSidToStringSidW(PSID sid, LPWSTR *ret) {
        char s[SEC_SID_STRING_MAX];
        struct sec_sid v;

        if (!sid || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        if (!sid_of(sid, &v))
                return fail(ERROR_INVALID_SID);
        sec_sid_format(&v, s, sizeof s);
        return to_utf16(s, ret, NULL);
}

/* --- descriptors ------------------------------------------------------------------------ */

/*
 * The bytes a self-relative descriptor spans, read from its own offsets and sizes (the
 * API gives no length).  Each part's header is read only once the parts before it are
 * known to be in place, so a valid descriptor is never read past its end.
 */
static int sd_span(PSECURITY_DESCRIPTOR sd, size_t *ret) {
        const uint8_t *b = sd;
        size_t end = SEC_SD_HEADER;
        uint16_t control;

        if (!b || b[0] != 1)
                return -EBADMSG;
        control = le16(b + 2);
        if (!(control & SEC_SE_SELF_RELATIVE))
                return -EBADMSG;
        for (int i = 0; i < 4; i++) {
                uint32_t off = le32(b + 4 + 4 * i);
                size_t e;

                if (!off || (i == 2 && !(control & SEC_SE_SACL_PRESENT)) ||
                    (i == 3 && !(control & SEC_SE_DACL_PRESENT)))
                        continue;
                if (off < SEC_SD_HEADER || off % 4 || off > (1u << 20))
                        return -EBADMSG;
                if (i < 2)
                        e = off + 8 + 4 * (size_t)(b[off + 1] > SEC_SID_MAX_SUB ? 0 : b[off + 1]);
                else
                        e = off + le16(b + off + 2);
                end = e > end ? e : end;
        }
        *ret = end;
        return 0;
}

DCOM_EXPORT BOOL WINAPI IsValidSecurityDescriptor(PSECURITY_DESCRIPTOR sd) {
        size_t n;

        if (sd_span(sd, &n) < 0 || sec_sd_validate(sd, n) < 0)
                return fail(ERROR_INVALID_SECURITY_DESCR);
        return TRUE;
}

DCOM_EXPORT DWORD WINAPI GetSecurityDescriptorLength(PSECURITY_DESCRIPTOR sd) {
        size_t n;

        if (sd_span(sd, &n) < 0 || sec_sd_length(sd, n, &n) < 0) {
                last_error = ERROR_INVALID_SECURITY_DESCR;
                return 0;
        }
        return (DWORD)n;
}

DCOM_EXPORT BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorA(
        LPCSTR s, DWORD revision, PSECURITY_DESCRIPTOR *ret, ULONG *ret_len) {
        void *sd, *out;
        size_t len;
        int r;

        if (!s || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        if (revision != SDDL_REVISION_1)
                return fail(ERROR_UNKNOWN_REVISION);
        r = sec_sddl_parse(s, &sd, &len);
        if (r < 0)
                return fail(error_of(r == -EBADMSG ? -EINVAL : r));
        out = LocalAlloc(LMEM_FIXED, len);
        if (!out) {
                dcom_free(sd);
                return FALSE;
        }
        memcpy(out, sd, len);
        dcom_free(sd);
        *ret = out;
        if (ret_len)
                *ret_len = (ULONG)len;
        return TRUE;
}

DCOM_EXPORT BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorW(
        LPCWSTR s, DWORD revision, PSECURITY_DESCRIPTOR *ret, ULONG *ret_len) {
        char *u8;
        BOOL ok;

        if (!s || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        if (to_utf8(s, &u8) < 0)
                return fail(ERROR_INVALID_PARAMETER);
        ok = ConvertStringSecurityDescriptorToSecurityDescriptorA(u8, revision, ret, ret_len);
        dcom_free(u8);
        return ok;
}

static int sd_to_string(PSECURITY_DESCRIPTOR sd, DWORD revision, SECURITY_INFORMATION info,
                        char **ret) {
        size_t n;
        int r;

        if (revision != SDDL_REVISION_1)
                return -EPROTO;
        r = sd_span(sd, &n);
        if (r < 0)
                return r;
        return sec_sddl_format_parts(sd, n, info & 0x1F, ret);
}

static DWORD to_error(int r) {
        return r == -EPROTO ? ERROR_UNKNOWN_REVISION : r == -EOPNOTSUPP ? ERROR_INVALID_PARAMETER
                                                                        : error_of(r);
}

DCOM_EXPORT BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorA(
        PSECURITY_DESCRIPTOR sd, DWORD revision, SECURITY_INFORMATION info, LPSTR *ret,
        ULONG *ret_len) {
        char *s;
        BOOL ok;
        int r;

        if (!sd || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        r = sd_to_string(sd, revision, info, &s);
        if (r < 0)
                return fail(to_error(r));
        ok = to_local(s, ret, ret_len);
        dcom_free(s);
        return ok;
}

DCOM_EXPORT BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorW(
        PSECURITY_DESCRIPTOR sd, DWORD revision, SECURITY_INFORMATION info, LPWSTR *ret,
        ULONG *ret_len) {
        char *s;
        BOOL ok;
        int r;

        if (!sd || !ret)
                return fail(ERROR_INVALID_PARAMETER);
        r = sd_to_string(sd, revision, info, &s);
        if (r < 0)
                return fail(to_error(r));
        ok = to_utf16(s, ret, ret_len);
        dcom_free(s);
        return ok;
}
