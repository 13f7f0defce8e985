/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BSTR ([MS-OAUT] 2.2.23, oleaut32's Sys* API): a block holding the string's byte
 * length (32 bits), the characters, and a UTF-16 NUL that the length does not count.
 * The BSTR points just past the length, so it reads as a NUL-terminated OLECHAR string
 * while it may hold NULs of its own.  NULL stands for the empty string everywhere.
 */
#include <stdlib.h>
#include <string.h>

#include "oleaut/oleaut-internal.h"

/* Largest byte length: the prefix is 32 bits and Windows keeps it below 2^31. */
#define BSTR_MAX_BYTES 0x7ffffff0u

static uint32_t *header(BSTR s) {
        return (uint32_t *)(void *)((char *)s - sizeof(uint32_t));
}

/* A block for len bytes, the length set and the two NUL bytes after them written. */
static BSTR bstr_alloc(UINT len) {
        char *p;

        if (len > BSTR_MAX_BYTES)
                return NULL;
        p = dcom_malloc(sizeof(uint32_t) + (size_t)len + sizeof(OLECHAR) + 1);
        if (!p)
                return NULL;
        memcpy(p, &(uint32_t){ len }, sizeof(uint32_t));
        memset(p + sizeof(uint32_t) + len, 0, sizeof(OLECHAR) + 1);
        return (BSTR)(void *)(p + sizeof(uint32_t));
}

BSTR SysAllocStringByteLen(LPCSTR psz, UINT len) {
        BSTR s = bstr_alloc(len);

        if (!s)
                return NULL;
        if (psz)
                memcpy(s, psz, len);
        else
                memset(s, 0, len);
        return s;
}

BSTR SysAllocStringLen(const OLECHAR *str, UINT cch) {
        if (cch > BSTR_MAX_BYTES / sizeof(OLECHAR))
                return NULL;
        return SysAllocStringByteLen((LPCSTR)str, cch * (UINT)sizeof(OLECHAR));
}

static UINT wlen(const OLECHAR *s) {
        size_t n = 0;

        while (s[n])
                n++;
        return n > BSTR_MAX_BYTES / sizeof(OLECHAR) ? UINT32_MAX : (UINT)n;
}

BSTR SysAllocString(const OLECHAR *psz) {
        if (!psz)
                return NULL;
        return SysAllocStringLen(psz, wlen(psz));
}

void SysFreeString(BSTR bstrString) {
        if (bstrString)
                dcom_free(header(bstrString));
}

UINT SysStringByteLen(BSTR bstr) {
        return bstr ? *header(bstr) : 0;
}

UINT SysStringLen(BSTR pbstr) {
        return SysStringByteLen(pbstr) / sizeof(OLECHAR);
}

INT SysReAllocStringLen(BSTR *pbstr, const OLECHAR *psz, UINT len) {
        if (!pbstr || len > BSTR_MAX_BYTES / sizeof(OLECHAR))
                return FALSE;
        size_t bytes = (size_t)len * sizeof(OLECHAR);
        uintptr_t base = (uintptr_t)*pbstr, at = (uintptr_t)psz;
        if (!*pbstr || (psz && at >= base && at <= base + SysStringByteLen(*pbstr))) {
                /* new, or psz points into the string replaced: copy first, then free */
                BSTR s = SysAllocStringLen(psz, len);
                if (!s)
                        return FALSE;
                SysFreeString(*pbstr);
                *pbstr = s;
                return TRUE;
        }
        UINT old = SysStringByteLen(*pbstr);
        char *p = dcom_realloc(header(*pbstr), sizeof(uint32_t) + bytes + sizeof(OLECHAR) + 1);
        if (!p)
                return FALSE;
        BSTR s = (BSTR)(void *)(p + sizeof(uint32_t));
        if (psz)
                memcpy(s, psz, bytes);
        else if (bytes > old)   /* psz NULL: the old characters stay, as on Windows */
                memset((char *)s + old, 0, bytes - old);
        memcpy(p, &(uint32_t){ (uint32_t)bytes }, sizeof(uint32_t));
        memset((char *)s + bytes, 0, sizeof(OLECHAR) + 1);
        *pbstr = s;
        return TRUE;
}

INT SysReAllocString(BSTR *pbstr, const OLECHAR *psz) {
        if (!pbstr)
                return FALSE;
        if (*pbstr && psz == *pbstr)
                return TRUE;
        BSTR s = NULL;
        if (psz && !(s = SysAllocString(psz)))
                return FALSE;
        SysFreeString(*pbstr);
        *pbstr = s;
        return TRUE;
}
