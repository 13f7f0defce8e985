/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Windows COM code in C++ (references for REFCLSID/REFIID, operator== on GUIDs), built by
   tests/check-install.sh with pkg-config flags only. */
#include <objbase.h>
#include <stdio.h>
struct Obj : public IUnknown {};
int main() {
        CLSID c;
        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED))) return 1;
        if (FAILED(CLSIDFromString(OLESTR("{00000000-0000-0000-C000-000000000046}"), &c))) return 2;
        if (!IsEqualCLSID(c, IID_IUnknown) || c != IID_IUnknown) return 3;
        IUnknown *u = NULL;
        HRESULT hr = CoCreateInstance(c, NULL, CLSCTX_INPROC_SERVER, IID_IUnknown, (void **)&u);
        if (hr != REGDB_E_CLASSNOTREG) return 4;
        IComThreadingInfo *ti = NULL;
        if (FAILED(CoGetObjectContext(IID_IComThreadingInfo, (void **)&ti))) return 5;
        THDTYPE t;
        if (FAILED(ti->GetCurrentThreadType(&t)) || t != THDTYPE_BLOCKMESSAGES) return 6;
        ti->Release();
        CoUninitialize();
        return 0;
}
