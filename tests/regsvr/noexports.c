/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A shared library with no registration entry points (tests/test-regsvr.sh): its
 * DllRegisterServer has hidden visibility, so dlsym cannot find it.
 */
#include <dcom/com.h>

HRESULT DllRegisterServer(void);

HRESULT DllRegisterServer(void) {
        return S_OK;
}
