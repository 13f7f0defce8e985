/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DCOM example's client, written as on Windows: CoCreateInstanceEx of
 * OpenDCOM.Counter on this machine (CLSCTX_LOCAL_SERVER: rpcss has dcomlaunch start
 * counter-server if it is not running) or on another host (CLSCTX_REMOTE_SERVER with
 * COSERVERINFO and NTLM credentials), then late-bound calls through IDispatch.
 *
 *      counter-client                          this machine
 *      counter-client HOST USER PASSWORD       another host (its rpcss on port 135, or
 *                                              OPENDCOM_EPM_PORT), NTLM at PKT_PRIVACY
 *      counter-client - USER PASSWORD          the host the class's AppID names
 *                                              (RemoteServerName), else this machine
 */
#define COBJMACROS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dcom/utf16.h>
#include <objbase.h>
#include <oleauto.h>

#include "counter.h"

static WCHAR *wide(const char *s) {
        WCHAR *w = NULL;
        return dcom_utf8_to_utf16(s, strlen(s), &w, NULL) < 0 ? NULL : w;
}

/* obj.name(args...) through IDispatch; args are given first to last. */
static HRESULT call(IDispatch *obj, const WCHAR *name, WORD flags, VARIANT *args, UINT n,
                    VARIANT *result) {
        DISPID id;
        LPOLESTR names[1] = { (LPOLESTR)name };
        VARIANT rev[4];
        DISPPARAMS p = { rev, NULL, n, 0 };
        EXCEPINFO ex;
        UINT bad = 0;
        HRESULT hr;

        hr = IDispatch_GetIDsOfNames(obj, &IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id);
        if (FAILED(hr))
                return hr;
        for (UINT i = 0; i < n; i++)
                rev[n - 1 - i] = args[i];       /* DISPPARAMS holds them last first */
        VariantInit(result);
        memset(&ex, 0, sizeof ex);
        return IDispatch_Invoke(obj, id, &IID_NULL, LOCALE_USER_DEFAULT, flags, &p, result, &ex,
                                &bad);
}

static void print_bstr(const char *label, BSTR s) {
        char *u8 = NULL;
        dcom_utf16_to_utf8(s, SysStringLen(s), &u8, NULL);
        printf("%s%s\n", label, u8 ? u8 : "?");
        free(u8);
}

int main(int argc, char **argv) {
        COAUTHIDENTITY id = { 0 };
        COAUTHINFO ai = { 0 };
        COSERVERINFO si = { 0 };
        MULTI_QI qi = { &IID_IDispatch, NULL, S_OK };
        WCHAR *host = NULL, *user = NULL, *password = NULL;
        VARIANT args[2], r;
        IDispatch *obj;
        HRESULT hr;
        int status = 1;

        if (argc != 1 && argc != 4) {
                fprintf(stderr, "Usage: counter-client [HOST|- USER PASSWORD]\n");
                return 2;
        }
        hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
        if (FAILED(hr))
                return 1;
        if (argc == 4) {
                host = strcmp(argv[1], "-") ? wide(argv[1]) : NULL;
                user = wide(argv[2]);
                password = wide(argv[3]);
                if ((!host && strcmp(argv[1], "-")) || !user || !password) {
                        fprintf(stderr, "counter-client: out of memory\n");
                        goto out;
                }
                id.User = (unsigned short *)user;
                id.UserLength = (ULONG)dcom_utf16_len(user);
                id.Domain = (unsigned short *)u"";
                id.Password = (unsigned short *)password;
                id.PasswordLength = (ULONG)dcom_utf16_len(password);
                id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
                ai.dwAuthnSvc = RPC_C_AUTHN_WINNT;
                ai.dwAuthnLevel = RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
                ai.dwImpersonationLevel = RPC_C_IMP_LEVEL_IDENTIFY;
                ai.pAuthIdentityData = &id;
                si.pwszName = host;
                si.pAuthInfo = &ai;
        }
        hr = CoCreateInstanceEx(&CLSID_Counter, NULL,
                                host ? CLSCTX_REMOTE_SERVER : CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER,
                                argc == 4 ? &si : NULL, 1, &qi);
        if (FAILED(hr)) {
                fprintf(stderr, "counter-client: CoCreateInstanceEx: 0x%08x (dcomerr %08x says why)\n",
                        (unsigned)hr, (unsigned)hr);
                goto out;
        }
        obj = (IDispatch *)qi.pItf;

        V_VT(&args[0]) = VT_I4;
        V_I4(&args[0]) = 40;
        V_VT(&args[1]) = VT_I4;
        V_I4(&args[1]) = 2;
        if (SUCCEEDED(hr = call(obj, u"Add", DISPATCH_METHOD, args, 2, &r)))
                printf("Add(40, 2) = %d\n", (int)V_I4(&r));
        V_VT(&args[0]) = VT_BSTR;
        V_BSTR(&args[0]) = SysAllocString(u"hello");
        if (SUCCEEDED(hr) && SUCCEEDED(hr = call(obj, u"Echo", DISPATCH_METHOD, args, 1, &r))) {
                print_bstr("Echo(\"hello\") = ", V_BSTR(&r));
                VariantClear(&r);
        }
        VariantClear(&args[0]);
        if (SUCCEEDED(hr) && SUCCEEDED(hr = call(obj, u"WhoAmI", DISPATCH_PROPERTYGET, NULL, 0, &r))) {
                print_bstr("WhoAmI = ", V_BSTR(&r));
                VariantClear(&r);
        }
        if (FAILED(hr))
                fprintf(stderr, "counter-client: call failed: 0x%08x\n", (unsigned)hr);
        else
                status = 0;
        IDispatch_Release(obj);
out:
        free(host);
        free(user);
        free(password);
        CoUninitialize();
        return status;
}
