/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A client for the cross-host ORPC test (test-orpc-netns.py): unmarshals the OBJREF
 * given in hex as argv[1] -- an IObjTest2 of another host -- and calls it over TCP with
 * NTLM at PKT_PRIVACY as ORPC_USER / ORPC_PASSWORD: Add, Greet, remote QueryInterface
 * and COM identity, then releases everything.  Prints one line per step; exit 0 when
 * every step did what it should.
 */
#define COBJMACROS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <objbase.h>

#include "com/remote-internal.h"
#include "obj_stub.h"

static int failures;

static void step(const char *what, HRESULT hr, bool ok) {
        printf("%s %s (0x%08x)\n", ok && SUCCEEDED(hr) ? "ok" : "FAIL", what, (unsigned)hr);
        if (!ok || FAILED(hr))
                failures++;
}

int main(int argc, char **argv) {
        const char *hex = argc > 1 ? argv[1] : "";
        size_t n = strlen(hex) / 2;
        uint8_t *bytes = malloc(n ? n : 1);
        IStream *stm;
        IObjTest2 *p = NULL;
        IObjTest *base = NULL;
        IUnknown *u1 = NULL, *u2 = NULL;
        LONG v = 0;
        WCHAR *g = NULL;
        HRESULT hr;

        for (size_t i = 0; i < n; i++) {
                unsigned b;
                if (sscanf(hex + 2 * i, "%2x", &b) != 1)
                        return 2;
                bytes[i] = (uint8_t)b;
        }
        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
        if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
                return 2;
        com_proxy_set_default_auth(RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_WINNT,
                                   getenv("ORPC_USER"), "", getenv("ORPC_PASSWORD"));
        LARGE_INTEGER zero = { 0 };
        if (FAILED(CreateStreamOnHGlobal(NULL, TRUE, &stm)) ||
            FAILED(IStream_Write(stm, bytes, (ULONG)n, NULL)) ||
            FAILED(IStream_Seek(stm, zero, STREAM_SEEK_SET, NULL)))
                return 2;
        hr = CoUnmarshalInterface(stm, &IID_IObjTest2, (void **)&p);
        IStream_Release(stm);
        step("unmarshal (ResolveOxid2 at the other host's rpcss)", hr, p != NULL);
        if (!p)
                return 1;
        hr = IObjTest2_Add(p, 40, 2, &v);
        step("Add(40, 2) = 42", hr, v == 42);
        hr = IObjTest2_Greet(p, u"netns", &g);
        step("Greet", hr, g && g[0] == '>' && g[1] == 'n');
        midl_user_free(g);
        hr = IObjTest2_QueryInterface(p, &IID_IObjTest, (void **)&base);
        step("RemQueryInterface(IObjTest)", hr, base != NULL);
        if (base) {
                IObjTest2_QueryInterface(p, &IID_IUnknown, (void **)&u1);
                IObjTest_QueryInterface(base, &IID_IUnknown, (void **)&u2);
                step("one identity", S_OK, u1 && u1 == u2);
                if (u1)
                        IUnknown_Release(u1);
                if (u2)
                        IUnknown_Release(u2);
                IObjTest_Release(base);
        }
        IObjTest2_Release(p);
        CoUninitialize();
        free(bytes);
        printf("%d failed\n", failures);
        return failures ? 1 : 0;
}
