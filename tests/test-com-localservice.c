/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LocalService (HKCR\AppID\{appid}\LocalService): activating the class starts the named
 * unit through the service manager -- here a script of the test's standing in for
 * systemctl (OPENDCOM_SERVICE_MANAGER: `start --no-block NAME.service` starts
 * tests/act-server and remembers its pid; `show -p MainPID --value NAME.service` says
 * it) -- instead of a LocalServer32; rpcss takes the class's registration only from the
 * unit's main process: the same server started by anyone else, first, does not get the
 * activations; a unit that never registers fails the activation with
 * CO_E_SERVER_EXEC_FAILURE.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>

#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "obj_stub.h"
#include "rpcss-run.h"
#include "test.h"

#define CLSID_SVC "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a61}"
#define CLSID_BROKEN "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a62}"
#define APPID_SVC "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a71}"
#define APPID_BROKEN "{5b1e2f30-6c7d-4e8f-9a0b-1c2d3e4f5a72}"

static void set_named(const char *key, const char *name, const char *value) {
        WCHAR *wk = NULL, *wn = NULL, *wv = NULL;

        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        if (name)
                ASSERT_OK(dcom_utf8_to_utf16(name, strlen(name), &wn, NULL));
        ASSERT_OK(dcom_utf8_to_utf16(value, strlen(value), &wv, NULL));
        ASSERT_EQ(RegSetKeyValueW(HKEY_CLASSES_ROOT, wk, wn, REG_SZ, wv,
                                  (DWORD)((dcom_utf16_len(wv) + 1) * sizeof(WCHAR))), ERROR_SUCCESS);
        free(wk);
        free(wn);
        free(wv);
}

static char dir[256];

static const char script[] =
        "#!/bin/sh\n"
        "d=$(dirname \"$0\")\n"
        "case \"$1\" in\n"
        "start)\n"
        "        echo \"$3\" >> \"$d/starts\"\n"
        "        if [ \"$3\" = dcomtest-svc.service ]; then\n"
        /* the pid is written before the server can register: it is the shell's, which
           becomes the server */
        "                sh -c 'echo $$ > \"$1\"; exec \"$ACT_SERVER\" \"$SVC_CLSID\" multi' \\\n"
        "                        sh \"$d/$3.pid\" </dev/null >/dev/null 2>&1 &\n"
        "        fi;;\n"
        "show)\n"
        "        cat \"$d/$5.pid\" 2>/dev/null || echo 0;;\n"
        "*)\n"
        "        exit 2;;\n"
        "esac\n";

static void setup(void) {
        static bool done;
        char path[400], exe[400];

        if (done)
                return;
        done = true;
        snprintf(dir, sizeof dir, "%s", test_state_dir());
        snprintf(path, sizeof path, "%s/fake-systemctl", dir);
        FILE *f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        fputs(script, f);
        fclose(f);
        ASSERT_OK(chmod(path, 0755));
        setenv("OPENDCOM_SERVICE_MANAGER", path, 1);
        snprintf(exe, sizeof exe, "%s/tests/act-server", test_build_dir());
        setenv("ACT_SERVER", exe, 1);
        setenv("SVC_CLSID", CLSID_SVC, 1);
        setenv("OPENDCOM_LAUNCH_TIMEOUT_MS", "3000", 1);
        set_named("CLSID\\" CLSID_SVC, "AppID", APPID_SVC);
        set_named("AppID\\" APPID_SVC, "LocalService", "dcomtest-svc");
        set_named("CLSID\\" CLSID_BROKEN, "AppID", APPID_BROKEN);
        set_named("AppID\\" APPID_BROKEN, "LocalService", "dcomtest-broken");
        rpcss_start();
        com_ps_register(&IObjTest_ProxyVtbl, &IObjTest_p_interface);
        com_ps_register(&IObjTest2_ProxyVtbl, &IObjTest2_p_interface);
}

static unsigned starts(const char *unit) {
        char path[400], line[256];
        unsigned n = 0;
        snprintf(path, sizeof path, "%s/starts", dir);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                n += strcmp(line, unit) == 0;
        }
        if (f)
                fclose(f);
        return n;
}

static pid_t main_pid(void) {
        char path[400];
        long pid = 0;
        snprintf(path, sizeof path, "%s/dcomtest-svc.service.pid", dir);
        FILE *f = fopen(path, "r");
        if (f) {
                if (fscanf(f, "%ld", &pid) != 1)
                        pid = 0;
                fclose(f);
        }
        return (pid_t)pid;
}

static HRESULT create(const char *clsid_s, IObjTest2 **ret) {
        WCHAR w[40];
        CLSID c;
        for (size_t i = 0; i < 39; i++)
                w[i] = (WCHAR)(unsigned char)clsid_s[i];
        w[38] = 0;
        ASSERT_OK(CLSIDFromString(w, &c));
        *ret = NULL;
        return CoCreateInstance(&c, NULL, CLSCTX_LOCAL_SERVER, &IID_IObjTest2, (void **)ret);
}

/*
 * The class's server started by someone other than the unit registers first and is
 * refused (rpcss says so in its log); activation starts the unit once, and the unit's
 * main process -- not the impostor -- serves both objects.
 */
TEST(activation_starts_the_unit_and_only_it_registers) {
        IObjTest2 *a = NULL, *b = NULL;
        LONG pa = 0, pb = 0, sum = 0;
        char exe[400];

        setup();
        snprintf(exe, sizeof exe, "%s/tests/act-server", test_build_dir());
        pid_t impostor = fork();
        ASSERT_GE(impostor, 0);
        if (impostor == 0) {
                execl(exe, "act-server", CLSID_SVC, "multi", (char *)NULL);
                _exit(127);
        }
        usleep(1500 * 1000);            /* its registration reaches rpcss first */
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_HR_EQ(create(CLSID_SVC, &a), S_OK);
        ASSERT_EQ(starts("dcomtest-svc.service"), 1u);
        ASSERT_OK(IObjTest2_get_Value(a, &pa));
        ASSERT_EQ((pid_t)pa, main_pid());
        ASSERT_NE((pid_t)pa, impostor);
        ASSERT_OK(IObjTest2_Add(a, 2, 40, &sum));
        ASSERT_EQ(sum, 42);
        ASSERT_HR_EQ(create(CLSID_SVC, &b), S_OK);
        ASSERT_OK(IObjTest2_get_Value(b, &pb));
        ASSERT_EQ(pb, pa);
        ASSERT_EQ(starts("dcomtest-svc.service"), 1u);      /* running: not started again */
        IObjTest2_Release(b);
        IObjTest2_Release(a);
        CoUninitialize();
        kill(impostor, SIGTERM);
        ASSERT_EQ(waitpid(impostor, NULL, 0), impostor);
        kill((pid_t)pa, SIGTERM);
}

/* A unit that never registers the class: the activation fails after the timeout. */
TEST(unit_that_never_registers) {
        IObjTest2 *p = NULL;

        setup();
        ASSERT_OK(CoInitializeEx(NULL, COINIT_MULTITHREADED));
        ASSERT_HR_EQ(create(CLSID_BROKEN, &p), CO_E_SERVER_EXEC_FAILURE);
        ASSERT_EQ(starts("dcomtest-broken.service"), 1u);
        CoUninitialize();
        rpcss_stop();
}
