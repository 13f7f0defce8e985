/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The calculator's client, written as Windows COM code: finds the class by ProgID,
 * creates an object in-process and calls it through its interfaces.
 *
 *      calc-client [A B]       prints A+B, A/B, a running total and the object's name
 */
#define COBJMACROS
#include <stdio.h>
#include <stdlib.h>

#include <objbase.h>
#include <dcom/status.h>
#include <dcom/utf16.h>

#include "calc.h"

static int fail(const char *what, HRESULT hr) {
        fprintf(stderr, "calc-client: %s: 0x%08X %s\n", what, (unsigned)hr,
                dcom_hresult_message(hr));
        return 1;
}

int main(int argc, char **argv) {
        LONG a = argc > 2 ? atol(argv[1]) : 40, b = argc > 2 ? atol(argv[2]) : 2, r;
        ICalc *calc = NULL;
        ICalcInfo *info = NULL;
        LPOLESTR name = NULL;
        CLSID clsid;
        HRESULT hr;
        int rc = 1;

        hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
        if (FAILED(hr))
                return fail("CoInitializeEx", hr);
        hr = CLSIDFromProgID(OLESTR("OpenDCOM.Calculator"), &clsid);
        if (FAILED(hr)) {
                fail("CLSIDFromProgID(OpenDCOM.Calculator) (run `regsvr calc.so` first)", hr);
                goto out;
        }
        hr = CoCreateInstance(&clsid, NULL, CLSCTX_INPROC_SERVER, &IID_ICalc, (void **)&calc);
        if (FAILED(hr)) {
                fail("CoCreateInstance", hr);
                goto out;
        }
        hr = ICalc_Add(calc, a, b, &r);
        if (FAILED(hr)) {
                fail("ICalc::Add", hr);
                goto out;
        }
        printf("%d + %d = %d\n", (int)a, (int)b, (int)r);
        hr = ICalc_Divide(calc, a, b, &r);
        if (SUCCEEDED(hr))
                printf("%d / %d = %d\n", (int)a, (int)b, (int)r);
        else
                printf("%d / %d: 0x%08X %s\n", (int)a, (int)b, (unsigned)hr,
                       dcom_hresult_message(hr));
        for (LONG i = 1; i <= 3; i++)
                if (SUCCEEDED(ICalc_Accumulate(calc, i, &r)))
                        printf("total after adding %d: %d\n", (int)i, (int)r);

        hr = ICalc_QueryInterface(calc, &IID_ICalcInfo, (void **)&info);
        if (FAILED(hr)) {
                fail("QueryInterface(ICalcInfo)", hr);
                goto out;
        }
        if (SUCCEEDED(ICalcInfo_GetName(info, &name))) {
                char *utf8 = NULL;
                if (dcom_utf16_to_utf8(name, dcom_utf16_len(name), &utf8, NULL) == 0)
                        printf("object: %s\n", utf8);
                free(utf8);
                CoTaskMemFree(name);
        }
        rc = 0;
out:
        if (info)
                ICalcInfo_Release(info);
        if (calc)
                ICalc_Release(calc);
        CoUninitialize();
        return rc;
}
