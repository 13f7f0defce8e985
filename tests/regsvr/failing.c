/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A component whose registration functions fail with E_FAIL (tests/test-regsvr.sh). */
#include <dcom/com.h>

DCOM_EXPORT HRESULT DllRegisterServer(void);
DCOM_EXPORT HRESULT DllUnregisterServer(void);

HRESULT DllRegisterServer(void) {
        return E_FAIL;
}

HRESULT DllUnregisterServer(void) {
        return E_FAIL;
}
