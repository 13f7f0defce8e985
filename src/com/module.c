/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Modules (<windows.h>'s GetModuleHandleW, GetModuleHandleExW, GetModuleFileNameW): an
 * HMODULE is where the module is mapped, as on Windows, found with dladdr(); the
 * executable's is the one holding its entry point (the auxiliary vector's AT_ENTRY) and
 * its file is /proc/self/exe.  A shared library's DllRegisterServer writes its own path
 * into InprocServer32 this way, with no DllMain to hand it its HINSTANCE.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "com/com-internal.h"
#include <windows.h>

static HMODULE module_of(const void *addr) {
        Dl_info info;
        if (!addr || !dladdr(addr, &info) || !info.dli_fbase)
                return NULL;
        return (HMODULE)info.dli_fbase;
}

static HMODULE exe_module(void) {
        return module_of((const void *)getauxval(AT_ENTRY));
}

DCOM_EXPORT HMODULE WINAPI GetModuleHandleW(LPCWSTR name) {
        if (name) {
                /* by name would need the loader's list: not kept */
                SetLastError(ERROR_MOD_NOT_FOUND);
                return NULL;
        }
        return exe_module();
}

DCOM_EXPORT BOOL WINAPI GetModuleHandleExW(DWORD flags, LPCWSTR name, HMODULE *ret) {
        if (!ret) {
                SetLastError(ERROR_INVALID_PARAMETER);
                return FALSE;
        }
        *ret = NULL;
        if (flags & ~(DWORD)(GET_MODULE_HANDLE_EX_FLAG_PIN |
                             GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT |
                             GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS)) {
                SetLastError(ERROR_INVALID_PARAMETER);
                return FALSE;
        }
        HMODULE m = flags & GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS ? module_of(name) :
                    GetModuleHandleW(name);
        if (!m) {
                SetLastError(ERROR_MOD_NOT_FOUND);
                return FALSE;
        }
        *ret = m;
        return TRUE;
}

DCOM_EXPORT DWORD WINAPI GetModuleFileNameW(HMODULE module, LPWSTR buf, DWORD size) {
        char exe[PATH_MAX + 1];
        const char *path = NULL;
        Dl_info info;

        if (!buf && size) {
                SetLastError(ERROR_INVALID_PARAMETER);
                return 0;
        }
        if (!module || module == exe_module()) {
                ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
                if (n > 0) {
                        exe[n] = 0;
                        path = exe;
                }
        } else if (dladdr(module, &info) && info.dli_fbase == module && info.dli_fname &&
                   info.dli_fname[0]) {
                /* as dlopen() was given it: absolute, as Windows answers, if we can */
                path = info.dli_fname;
                if (path[0] != '/' && realpath(path, exe))
                        path = exe;
        }
        if (!path) {
                SetLastError(ERROR_MOD_NOT_FOUND);
                return 0;
        }
        WCHAR *w = NULL;
        size_t len = 0;
        if (dcom_utf8_to_utf16(path, strlen(path), &w, &len) < 0) {
                SetLastError(ERROR_NOT_ENOUGH_MEMORY);
                return 0;
        }
        DWORD r;
        if (len < size) {
                memcpy(buf, w, (len + 1) * sizeof(WCHAR));
                r = (DWORD)len;
        } else {
                if (size) {
                        memcpy(buf, w, (size - 1) * sizeof(WCHAR));
                        buf[size - 1] = 0;
                }
                r = size;
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
        }
        free(w);
        return r;
}
