/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CoFileTimeNow: the time as COM's FILETIMEs give it. */
#include <time.h>

#include "com/helpers/helpers-internal.h"

/* FILETIME: 100-ns intervals since 1601-01-01 UTC, 11644473600 s before the Unix epoch. */
DCOM_EXPORT HRESULT WINAPI CoFileTimeNow(FILETIME *ret) {
        struct timespec ts;

        if (!ret)
                return E_INVALIDARG;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t t = ((uint64_t)ts.tv_sec + 11644473600u) * 10000000u + (uint64_t)ts.tv_nsec / 100;
        ret->dwLowDateTime = (DWORD)t;
        ret->dwHighDateTime = (DWORD)(t >> 32);
        return S_OK;
}
