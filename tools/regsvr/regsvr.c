/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * regsvr: Windows' regsvr32 for COM components built as shared libraries.
 *
 *   regsvr [/u] [/s] [/n] [/i[:cmdline]] LIBRARY.so...
 *
 * Like regsvr32 it initializes COM (an STA, as OleInitialize does), loads each library
 * (dlopen RTLD_NOW | RTLD_LOCAL), looks up the conventional entry points and calls
 * them:
 *
 *   (none)        DllRegisterServer()
 *   /u            DllUnregisterServer()
 *   /i[:cmdline]  DllRegisterServer(), then DllInstall(TRUE, cmdline)
 *   /u /i         DllInstall(FALSE, cmdline), then DllUnregisterServer()
 *   /n /i         DllInstall only (/n is refused without /i)
 *   /s            silent: no messages at all, only the exit code
 *
 * cmdline reaches DllInstall as UTF-16; "/i" without a colon passes NULL.  Switches
 * start with '/' or '-' and ignore case; "--" ends them.  On Linux a library path may
 * start with '/': an argument is a switch only when it is one of the above (anything
 * else starting with '-', or a '/' word with no further '/' that names no file, is an
 * unknown switch).  A bare file name in the current directory is loaded from there, as
 * regsvr32 does, rather than from the linker's search path.
 *
 * Exit codes are regsvr32's (FAIL_ARGS .. FAIL_REG in its source, and Raymond Chen's
 * "What do the various regsvr32 exit codes mean?"): 0 success, 1 bad command line,
 * 2 COM initialization failed, 3 the library failed to load, 4 an entry point is
 * missing, 5 the entry point returned a failure HRESULT.  Processing stops at the first
 * failing library.  Messages follow regsvr32's wording, with success on stdout and
 * errors on stderr (regsvr32 shows message boxes); where regsvr32 names DLL files we
 * name shared libraries, and failed calls also give the HRESULT's message text.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <dcom/com.h>
#include <dcom/status.h>
#include <dcom/utf16.h>

#include "base/version.h"      /* OPENDCOM_VERSION only: a macro, no internal API */

enum {
        EXIT_OK = 0,
        FAIL_ARGS = 1,          /* invalid argument */
        FAIL_OLE = 2,           /* OleInitialize failed */
        FAIL_LOAD = 3,          /* LoadLibrary failed */
        FAIL_ENTRY = 4,         /* GetProcAddress failed */
        FAIL_REG = 5,           /* DllRegisterServer, DllUnregisterServer or DllInstall failed */
};

typedef HRESULT (*dll_register_fn)(void);
typedef HRESULT (*dll_install_fn)(BOOL install, const WCHAR *cmdline);

static bool silent;

static void usage(FILE *f) {
        fputs("Usage: regsvr [/u] [/s] [/n] [/i[:cmdline]] LIBRARY.so...\n"
              "Registers COM components built as shared libraries, like Windows' regsvr32:\n"
              "loads each library and calls its DllRegisterServer (or DllUnregisterServer).\n\n"
              "/u - Unregister server\n"
              "/s - Silent; display no messages\n"
              "/i - Call DllInstall passing it an optional [cmdline]; when it is used with /u,"
              " it calls dll uninstall\n"
              "/n - do not call DllRegisterServer; this option must be used with /i\n"
              "/?, -h, --help  show this help;  --version  show the version\n"
              "Switches start with '/' or '-'; \"--\" ends them.\n\n"
              "Examples:\n"
              "  regsvr ./calc.so\n"
              "  regsvr /u /s /usr/lib/x86_64-linux-gnu/widget.so\n\n"
              "Exit status (regsvr32's): 0 success, 1 bad command line, 2 COM initialization\n"
              "failed, 3 the library failed to load, 4 an entry point is missing, 5 the entry\n"
              "point returned a failure.  See regsvr(1).\n", f);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...) {
        va_list ap;

        if (silent)
                return;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) complain(const char *fmt, ...) {
        va_list ap;

        if (silent)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
}

struct options {
        bool unregister;
        bool no_register;               /* /n */
        bool install;                   /* /i */
        const char *cmdline;            /* /i:cmdline, or NULL */
        char **libs;
        int n_libs;
};

/* One switch (without its '/' or '-'), or false when it is none of ours. */
static bool parse_switch(const char *s, struct options *o) {
        if (!strcasecmp(s, "u"))
                o->unregister = true;
        else if (!strcasecmp(s, "s"))
                silent = true;
        else if (!strcasecmp(s, "n"))
                o->no_register = true;
        else if (!strcasecmp(s, "i"))
                o->install = true;
        else if ((s[0] == 'i' || s[0] == 'I') && s[1] == ':') {
                o->install = true;
                o->cmdline = s + 2;
        } else
                return false;
        return true;
}

static int parse_args(int argc, char **argv, struct options *o) {
        bool switches = true;

        o->libs = calloc((size_t)argc, sizeof(char *));
        if (!o->libs) {
                complain("regsvr: out of memory\n");
                return FAIL_ARGS;
        }
        /* Switches first (silence applies to every message, wherever /s stands). */
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--"))
                        break;
                if ((a[0] == '/' || a[0] == '-') && a[1])
                        parse_switch(a + 1, o);
        }
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (switches && !strcmp(a, "--")) {
                        switches = false;
                        continue;
                }
                if (switches && (!strcmp(a, "/?") || !strcmp(a, "-?") || !strcmp(a, "-h") ||
                                 !strcmp(a, "--help"))) {
                        usage(stdout);
                        exit(EXIT_OK);
                }
                if (switches && !strcmp(a, "--version")) {
                        printf("regsvr (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        exit(EXIT_OK);
                }
                if (switches && (a[0] == '/' || a[0] == '-') && a[1]) {
                        if (parse_switch(a + 1, o))
                                continue;
                        /* A path such as /usr/lib/x.so, or an unknown switch? */
                        if (a[0] == '-' || (!strchr(a + 1, '/') && access(a, F_OK) != 0)) {
                                complain("Unrecognized flag: %s\n\n", a);
                                if (!silent)
                                        usage(stderr);
                                return FAIL_ARGS;
                        }
                }
                o->libs[o->n_libs++] = argv[i];
        }
        if (o->n_libs == 0) {
                complain("To register a module, you must provide a binary name.\n\n");
                if (!silent)
                        usage(stderr);
                return FAIL_ARGS;
        }
        if (o->no_register && !o->install) {
                complain("regsvr: /n must be used with /i (there would be nothing to call).\n\n");
                if (!silent)
                        usage(stderr);
                return FAIL_ARGS;
        }
        return EXIT_OK;
}

/* dlsym into a function pointer without the object-to-function pointer cast. */
static void *lookup(void *lib, const char *name) {
        dlerror();
        return dlsym(lib, name);
}

static int report_call_failure(const char *lib, const char *entry, HRESULT hr) {
        const char *text = dcom_hresult_message(hr);

        complain("The module \"%s\" was loaded but the call to %s failed with error code "
                 "0x%08X%s%s%s.\n\n"
                 "For more information about this problem, run: dcomerr 0x%08X\n",
                 lib, entry, (unsigned)hr, text ? " (" : "", text ? text : "", text ? ")" : "",
                 (unsigned)hr);
        return FAIL_REG;
}

static int missing_entry(const char *lib, const char *entry) {
        complain("The module \"%s\" was loaded but the entry-point %s was not found.\n\n"
                 "Make sure that \"%s\" is a valid COM component and then try again.\n",
                 lib, entry, lib);
        return FAIL_ENTRY;
}

static int call_register(void *handle, const char *lib, const char *entry) {
        void *sym = lookup(handle, entry);
        dll_register_fn fn;
        HRESULT hr;

        if (!sym)
                return missing_entry(lib, entry);
        memcpy(&fn, &sym, sizeof(fn));
        hr = fn();
        if (FAILED(hr))
                return report_call_failure(lib, entry, hr);
        return EXIT_OK;
}

static int call_install(void *handle, const char *lib, bool install, const WCHAR *cmdline) {
        void *sym = lookup(handle, "DllInstall");
        dll_install_fn fn;
        HRESULT hr;

        if (!sym)
                return missing_entry(lib, "DllInstall");
        memcpy(&fn, &sym, sizeof(fn));
        hr = fn(install ? TRUE : FALSE, cmdline);
        if (FAILED(hr))
                return report_call_failure(lib, "DllInstall", hr);
        return EXIT_OK;
}

static int process(const struct options *o, const char *lib, const WCHAR *cmdline) {
        const char *done[2];
        char *path = NULL;
        void *handle;
        int n = 0, r = EXIT_OK;

        /* "foo.so" means the file in the current directory, as LoadLibrary would find it,
           not a search of the linker's path. */
        if (!strchr(lib, '/') && access(lib, F_OK) == 0) {
                path = malloc(strlen(lib) + 3);
                if (!path) {
                        complain("regsvr: out of memory\n");
                        return FAIL_LOAD;
                }
                strcpy(path, "./");
                strcat(path, lib);
        }
        handle = dlopen(path ? path : lib, RTLD_NOW | RTLD_LOCAL);
        free(path);
        if (!handle) {
                const char *err = dlerror();
                complain("The module \"%s\" failed to load.\n\n"
                         "Make sure the binary is stored at the specified path or debug it to "
                         "check for problems with the binary or dependent .so files.\n\n%s\n",
                         lib, err ? err : "unknown error");
                return FAIL_LOAD;
        }

        if (!o->unregister) {
                if (!o->no_register) {
                        r = call_register(handle, lib, "DllRegisterServer");
                        if (r == EXIT_OK)
                                done[n++] = "DllRegisterServer";
                }
                if (r == EXIT_OK && o->install) {
                        r = call_install(handle, lib, true, cmdline);
                        if (r == EXIT_OK)
                                done[n++] = "DllInstall";
                }
        } else {
                if (o->install) {
                        r = call_install(handle, lib, false, cmdline);
                        if (r == EXIT_OK)
                                done[n++] = "DllInstall";
                }
                if (r == EXIT_OK && !o->no_register) {
                        r = call_register(handle, lib, "DllUnregisterServer");
                        if (r == EXIT_OK)
                                done[n++] = "DllUnregisterServer";
                }
        }
        if (r == EXIT_OK) {
                if (n == 2)
                        say("%s and %s in %s succeeded.\n", done[0], done[1], lib);
                else
                        say("%s in %s succeeded.\n", done[0], lib);
        }
        dlclose(handle);
        return r;
}

int main(int argc, char **argv) {
        struct options o = { 0 };
        WCHAR *cmdline = NULL;
        HRESULT hr;
        int r;

        r = parse_args(argc, argv, &o);
        if (r != EXIT_OK)
                goto out;
        if (o.cmdline && dcom_utf8_to_utf16(o.cmdline, strlen(o.cmdline), &cmdline, NULL) < 0) {
                complain("regsvr: the /i command line is not valid UTF-8: %s\n", o.cmdline);
                r = FAIL_ARGS;
                goto out;
        }

        /* regsvr32 calls OleInitialize: the thread enters a single-threaded apartment. */
        hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
        if (FAILED(hr)) {
                const char *text = dcom_hresult_message(hr);
                complain("regsvr: COM initialization (OleInitialize) failed with error code "
                         "0x%08X%s%s%s\n", (unsigned)hr, text ? " (" : "", text ? text : "",
                         text ? ")" : "");
                r = FAIL_OLE;
                goto out;
        }
        for (int i = 0; i < o.n_libs && r == EXIT_OK; i++)
                r = process(&o, o.libs[i], cmdline);
        CoUninitialize();
out:
        free(cmdline);
        free(o.libs);
        fflush(stdout);
        return r;
}
