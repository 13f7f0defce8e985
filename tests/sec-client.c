/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A COM client running as another local user, for the launch and access permission tests
 * (test-com-activation): `sec-client UID CLSID` takes that identity (the test runs as
 * root), activates CLSID with CLSCTX_LOCAL_SERVER, calls IObjTest2::Add and Greet (which
 * act-server answers with what CoQueryClientBlanket and CoImpersonateClient say), and
 * prints one line per step:
 *   create 0x........
 *   add 0x........ SUM
 *   greet 0x........ TEXT
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>

#include "com/remote-internal.h"
#include "dcom/guid.h"
#include "dcom/utf16.h"
#include "obj_stub.h"

int main(int argc, char **argv) {
        IObjTest2 *p = NULL;
        CLSID clsid;
        HRESULT hr;

        if (argc != 3 || dcom_guid_parse(argv[2], &clsid) < 0) {
                fprintf(stderr, "usage: sec-client UID CLSID\n");
                return 2;
        }
        uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
        if (uid != geteuid() && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)) {
                perror("sec-client: taking the user's identity");
                return 2;
        }
        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
        if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED))) {
                printf("init 0x%08x\n", (unsigned)hr);
                return 1;
        }
        hr = CoCreateInstance(&clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IObjTest2, (void **)&p);
        printf("create 0x%08x\n", (unsigned)hr);
        if (SUCCEEDED(hr)) {
                LONG sum = 0;
                WCHAR *g = NULL;
                char *u8 = NULL;

                hr = IObjTest2_Add(p, 20, 22, &sum);
                printf("add 0x%08x %d\n", (unsigned)hr, (int)sum);
                hr = IObjTest2_Greet(p, u"who", &g);
                if (g && dcom_utf16_to_utf8(g, dcom_utf16_len(g), &u8, NULL) < 0)
                        u8 = NULL;
                printf("greet 0x%08x %s\n", (unsigned)hr, u8 ? u8 : "");
                free(u8);
                CoTaskMemFree(g);
                IObjTest2_Release(p);
        }
        fflush(stdout);
        CoUninitialize();
        return 0;
}
