/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Windows COM code as written there (<objbase.h>, COBJMACROS, the IIDs from the
   library), built by tests/check-install.sh with pkg-config flags only. */
#define COBJMACROS
#include <objbase.h>
#include <stdio.h>

int main(void) {
        IMalloc *m;
        IUnknown *u;
        OLECHAR buf[39];
        GUID g;
        CLSID c;

        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 1;
        if (FAILED(CoCreateGuid(&g)) || StringFromGUID2(&g, buf, 39) != 39)
                return 2;
        if (FAILED(CLSIDFromString(buf, &c)) || !IsEqualGUID(&c, &g))
                return 3;
        if (FAILED(CoGetMalloc(MEMCTX_TASK, &m)))
                return 4;
        if (FAILED(IMalloc_QueryInterface(m, &IID_IUnknown, (void **)&u)))
                return 5;
        IUnknown_Release(u);
        CoTaskMemFree(IMalloc_Alloc(m, 16));
        IMalloc_Release(m);
        CoUninitialize();
        puts("ok");
        return 0;
}
