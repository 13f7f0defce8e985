/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Modules (<windows.h>'s GetModuleHandleW, GetModuleHandleExW, GetModuleFileNameW): an
 * HMODULE is where the module is mapped, as on Windows, found with dladdr(); the
 * executable's is the one holding its entry point (the auxiliary vector's AT_ENTRY) and
 * its file is /proc/self/exe.  A shared library's DllRegisterServer writes its own path
 * into InprocServer32 this way, with no DllMain to hand it its HINSTANCE.
 */
#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "com/com-internal.h"
#include "dcom/utf16.h"
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

/* ASCII case folding, as Windows compares module names (the names are file names). */
static bool name_equal(const char *a, const char *b) {
        for (; *a && *b; a++, b++) {
                char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
                char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
                if (x != y)
                        return false;
        }
        return !*a && !*b;
}

struct find_module {
        const char *name;       /* as asked: a file name, or a path */
        bool path;
        bool add_so;            /* no extension: ".so" may follow, as Windows adds ".dll" */
        const void *found;      /* an address inside the module's first segment */
};

static int find_module_cb(struct dl_phdr_info *info, size_t size, void *data) {
        struct find_module *f = data;
        const char *full = info->dlpi_name;
        char exe[PATH_MAX + 1];

        (void)size;
        if (!full || !full[0]) {
                /* the executable: the loader gives it no name */
                ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
                if (n <= 0)
                        return 0;
                exe[n] = 0;
                full = exe;
        }
        const char *base = strrchr(full, '/');
        const char *cand = f->path ? full : base ? base + 1 : full;
        bool match = name_equal(cand, f->name);
        if (!match && f->add_so) {
                size_t n = strlen(f->name);
                match = strlen(cand) == n + 3 && strncasecmp(cand, f->name, n) == 0 &&
                        strcmp(cand + n, ".so") == 0;
        }
        if (!match)
                return 0;
        for (int i = 0; i < info->dlpi_phnum; i++)
                if (info->dlpi_phdr[i].p_type == PT_LOAD) {
                        f->found = (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
                        return 1;
                }
        return 0;
}

/*
 * By name: a module mapped in the process whose file name (or, for a name with a '/',
 * whose path as the loader has it) is name, case-insensitively -- "calc.so" or, without
 * an extension, "calc" (Windows adds ".dll"; here ".so" is tried).  No reference is taken.
 */
DCOM_EXPORT HMODULE WINAPI GetModuleHandleW(LPCWSTR name) {
        if (!name)
                return exe_module();
        char *u8 = NULL;
        if (dcom_utf16_to_utf8(name, dcom_utf16_len(name), &u8, NULL) < 0 || !u8[0]) {
                free(u8);
                SetLastError(ERROR_MOD_NOT_FOUND);
                return NULL;
        }
        /* Windows' "name." means "no extension, add none" */
        size_t n = strlen(u8);
        bool dot_end = u8[n - 1] == '.';
        if (dot_end)
                u8[n - 1] = 0;
        const char *base = strrchr(u8, '/');
        struct find_module f = {
                .name = u8,
                .path = base != NULL,
                .add_so = !dot_end && !strchr(base ? base + 1 : u8, '.'),
        };
        dl_iterate_phdr(find_module_cb, &f);
        free(u8);
        HMODULE m = module_of(f.found);
        if (!m)
                SetLastError(ERROR_MOD_NOT_FOUND);
        return m;
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
