/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C++ example's client: CoCreateInstance with __uuidof and IID_PPV_ARGS, calls through
 * the interface class, OLESTR() literals and a BSTR result.  Also finds the class by its
 * ProgID (CLSIDFromProgID).  Prints one greeting a name given, then the object's count.
 *      greeter-client NAME...
 */
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dcom/utf16.h>

#include "greeter.h"

static int fail(const char *what, HRESULT hr) {
        fprintf(stderr, "greeter-client: %s failed: 0x%08x\n", what, (unsigned)hr);
        return 1;
}

int main(int argc, char **argv) {
        HRESULT hr = CoInitializeEx(nullptr, COINIT_MULTITHREADED);
        if (FAILED(hr))
                return fail("CoInitializeEx", hr);
        CLSID clsid;
        hr = CLSIDFromProgID(OLESTR("OpenDCOM.Greeter.1"), &clsid);
        if (FAILED(hr))
                return fail("CLSIDFromProgID", hr);
        if (clsid != __uuidof(Greeter))
                return fail("CLSIDFromProgID's CLSID", E_UNEXPECTED);
        IGreeter *greeter = nullptr;
        hr = CoCreateInstance(__uuidof(Greeter), nullptr, CLSCTX_INPROC_SERVER,
                              IID_PPV_ARGS(&greeter));
        if (FAILED(hr))
                return fail("CoCreateInstance", hr);
        for (int i = 1; i < argc; i++) {
                WCHAR *name = nullptr;
                if (dcom_utf8_to_utf16(argv[i], strlen(argv[i]), &name, nullptr) < 0)
                        return fail("dcom_utf8_to_utf16", E_OUTOFMEMORY);
                BSTR s = nullptr;
                hr = greeter->Greet(name, &s);
                free(name);
                if (FAILED(hr))
                        return fail("IGreeter::Greet", hr);
                char *text = nullptr;
                if (dcom_utf16_to_utf8(s, SysStringLen(s), &text, nullptr) < 0)
                        return fail("dcom_utf16_to_utf8", E_OUTOFMEMORY);
                printf("%s\n", text);
                free(text);
                SysFreeString(s);
        }
        LONG count = 0;
        hr = greeter->get_Count(&count);
        if (FAILED(hr))
                return fail("IGreeter::get_Count", hr);
        printf("%d greeting(s)\n", (int)count);
        greeter->Release();
        CoUninitialize();
        return 0;
}
