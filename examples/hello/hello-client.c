/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An RPC client written as on Windows (RpcBindingFromStringBinding, an explicit binding
 * handle, RpcTryExcept), built against an installed OpenDCOM: given a string binding
 * without an endpoint (ncacn_ip_tcp:127.0.0.1 or ncalrpc:), it finds examples/hello's
 * server through the endpoint mapper (ept_map) and calls it.
 *
 *      hello-client [--user [DOMAIN\]USER [--level LEVEL]] STRING-BINDING [NAME]
 *
 * With --user it authenticates with NTLM, reading the password as one line from
 * standard input, at LEVEL (connect, integrity or privacy; default privacy).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* POSIX and glibc beyond C11: signals, setenv, explicit_bzero */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"

void *__RPC_USER midl_user_allocate(size_t size) {
        return malloc(size);
}

void __RPC_USER midl_user_free(void *p) {
        free(p);
}

/* One line for a status: its name when it is one a user of this example meets. */
static void print_status(const char *what, RPC_STATUS st) {
        const char *name = st == RPC_S_SERVER_UNAVAILABLE     ? "RPC_S_SERVER_UNAVAILABLE"
                           : st == EPT_S_NOT_REGISTERED       ? "EPT_S_NOT_REGISTERED"
                           : st == ERROR_ACCESS_DENIED        ? "ERROR_ACCESS_DENIED"
                           : st == RPC_S_CALL_FAILED          ? "RPC_S_CALL_FAILED"
                           : st == RPC_S_CALL_FAILED_DNE      ? "RPC_S_CALL_FAILED_DNE"
                           : st == RPC_S_SERVER_TOO_BUSY      ? "RPC_S_SERVER_TOO_BUSY"
                           : st == RPC_S_UNKNOWN_IF           ? "RPC_S_UNKNOWN_IF"
                           : st == ERROR_ARITHMETIC_OVERFLOW  ? "ERROR_ARITHMETIC_OVERFLOW"
                           : st == ERROR_OUTOFMEMORY          ? "ERROR_OUTOFMEMORY"
                           : st == RPC_S_INVALID_STRING_BINDING ? "RPC_S_INVALID_STRING_BINDING"
                           : st == RPC_S_PROTSEQ_NOT_SUPPORTED ? "RPC_S_PROTSEQ_NOT_SUPPORTED"
                                                               : "status";
        fprintf(stderr, "hello-client: %s%s (%ld)\n", what, name, (long)st);
}

static int usage(void) {
        fprintf(stderr, "usage: hello-client [--user [DOMAIN\\]USER [--level connect|integrity|"
                        "privacy]] STRING-BINDING [NAME]\n");
        return 2;
}

int main(int argc, char **argv) {
        RPC_BINDING_HANDLE b = NULL;
        char *user = NULL, password[512];
        const char *domain = "";
        ULONG level = RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
        RPC_STATUS st;
        int i = 1;

        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
                        user = argv[++i];
                } else if (strcmp(argv[i], "--level") == 0 && i + 1 < argc) {
                        const char *l = argv[++i];
                        level = strcmp(l, "connect") == 0     ? RPC_C_AUTHN_LEVEL_CONNECT
                                : strcmp(l, "integrity") == 0 ? RPC_C_AUTHN_LEVEL_PKT_INTEGRITY
                                : strcmp(l, "privacy") == 0   ? RPC_C_AUTHN_LEVEL_PKT_PRIVACY
                                                              : 0;
                        if (!level)
                                return usage();
                } else {
                        return usage();
                }
        }
        if (argc - i < 1 || argc - i > 2)
                return usage();
        st = RpcBindingFromStringBindingA((RPC_CSTR)argv[i], &b);
        if (st != RPC_S_OK) {
                fprintf(stderr, "hello-client: bad binding '%s': ", argv[i]);
                print_status("", st);
                return 2;
        }
        if (user) {
                /* DOMAIN\USER, the password on standard input (one line) */
                char *slash = strchr(user, '\\');
                if (slash) {
                        *slash = 0;
                        domain = user;
                        user = slash + 1;
                }
                if (!fgets(password, sizeof password, stdin)) {
                        fprintf(stderr, "hello-client: no password on standard input\n");
                        RpcBindingFree(&b);
                        return 2;
                }
                password[strcspn(password, "\r\n")] = 0;
                SEC_WINNT_AUTH_IDENTITY_A id = {
                        .User = (unsigned char *)user, .UserLength = (ULONG)strlen(user),
                        .Domain = (unsigned char *)domain, .DomainLength = (ULONG)strlen(domain),
                        .Password = (unsigned char *)password,
                        .PasswordLength = (ULONG)strlen(password),
                        .Flags = SEC_WINNT_AUTH_IDENTITY_ANSI,
                };
                st = RpcBindingSetAuthInfoA(b, NULL, level, RPC_C_AUTHN_WINNT, &id, RPC_C_AUTHZ_NONE);
                explicit_bzero(password, sizeof password);
                if (st != RPC_S_OK) {
                        print_status("cannot use NTLM: ", st);
                        RpcBindingFree(&b);
                        return 1;
                }
        }
        const char *name = i + 1 < argc ? argv[i + 1] : "world";
        char *greeting = NULL;
        LONG sum = 0;
        /* changed in the try block and read after an exception: volatile (see <rpc.h>) */
        volatile LONG say_ret = 0, add_ret = 0;
        volatile RPC_STATUS failed = RPC_S_OK;
        RpcTryExcept {
                say_ret = HelloSay(b, name, &greeting);
                if (say_ret == 0)
                        add_ret = HelloAdd(b, 40, 2, &sum);
        }
        RpcExcept(EXCEPTION_EXECUTE_HANDLER) {
                failed = RpcExceptionCode();
        }
        RpcEndExcept;
        int rc = 1;
        if (failed != RPC_S_OK)
                print_status("", failed);       /* no [out] data: the stub allocates none */
        else if (say_ret != 0)
                print_status("HelloSay: ", say_ret);
        else if (add_ret != 0)
                print_status("HelloAdd: ", add_ret);
        else
                rc = 0;
        if (failed == RPC_S_OK) {
                if (rc == 0)
                        printf("%s\n40 + 2 = %d\n", greeting, (int)sum);
                midl_user_free(greeting);
        }
        RpcBindingFree(&b);
        return rc;
}
