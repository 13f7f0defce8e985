/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DCOM settings model and the process's security (issue 15), in a private registry:
 * the machine's values with Windows' defaults when nothing is configured and seed 000's
 * Legacy levels when they are; launch and access decisions for local and remote callers
 * (machine restrictions first, deny before allow, the AppID's descriptor over the default,
 * a malformed restriction admitting no one) with denial lines an administrator can act on;
 * CoInitializeSecurity's rules (once, before marshaling; RPC_E_TOO_LATE after; EOAC_APPID;
 * defaults from the executable's AppID, else the machine's) and the call context outside a
 * call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define COBJMACROS
#include <objbase.h>
#include <sddl.h>

#include "com/remote-internal.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "security/settings.h"
#include "test.h"

static void set_value(HKEY root, const char *key, const char *name, DWORD type, const void *data,
                      DWORD size) {
        WCHAR *wk = NULL, *wn = NULL;

        ASSERT_OK(dcom_utf8_to_utf16(key, strlen(key), &wk, NULL));
        if (name)       /* NULL: the key's default value */
                ASSERT_OK(dcom_utf8_to_utf16(name, strlen(name), &wn, NULL));
        ASSERT_EQ(RegSetKeyValueW(root, wk, wn, type, data, size), ERROR_SUCCESS);
        free(wk);
        free(wn);
}

static void set_sz(HKEY root, const char *key, const char *name, const char *value) {
        WCHAR *w = NULL;
        size_t n = 0;

        ASSERT_OK(dcom_utf8_to_utf16(value, strlen(value), &w, &n));
        set_value(root, key, name, REG_SZ, w, (DWORD)((n + 1) * sizeof(WCHAR)));
        free(w);
}

static void set_dword(HKEY root, const char *key, const char *name, DWORD v) {
        set_value(root, key, name, REG_DWORD, &v, sizeof v);
}

static void set_sddl(HKEY root, const char *key, const char *name, const char *sddl) {
        void *sd = NULL;
        size_t len = 0;

        ASSERT_OK(sec_sddl_parse(sddl, &sd, &len));
        set_value(root, key, name, REG_BINARY, sd, (DWORD)len);
        free(sd);
}

static void delete_tree(HKEY root, const WCHAR *key) {
        LSTATUS st = RegDeleteTreeW(root, key);
        ASSERT_TRUE(st == ERROR_SUCCESS || st == ERROR_FILE_NOT_FOUND);
}

static struct sec_token *token(const char *sid, bool has_uid, uid_t uid, bool remote, bool anon) {
        struct sec_token_info i = { .user_sid = sid, .has_uid = has_uid, .uid = uid,
                                    .remote = remote, .anonymous = anon };
        struct sec_token *t = NULL;

        ASSERT_OK(sec_token_new(&i, &t));
        return t;
}

#define REMOTE_USER "S-1-5-21-1-2-3-1001"
#define APPID "{1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809}"

/* Nothing configured: Windows' values (seed 000's levels are Windows' defaults too). */
TEST(machine_defaults) {
        struct sec_machine m;

        test_state_dir();
        delete_tree(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole");
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_TRUE(m.enable_dcom);
        ASSERT_TRUE(m.enable_remote_connect);
        ASSERT_EQ(m.legacy_authn_level, 2);     /* RPC_C_AUTHN_LEVEL_CONNECT */
        ASSERT_EQ(m.legacy_imp_level, 2);       /* RPC_C_IMP_LEVEL_IDENTIFY */
        ASSERT_FALSE(m.legacy_secure_refs);
        ASSERT_TRUE(m.require_integrity);
        ASSERT_FALSE(m.launch_restriction.set);
        ASSERT_NOT_NULL(m.launch_restriction.sd);
        ASSERT_NOT_NULL(strstr(m.launch_restriction.source, "Windows' default"));
        ASSERT_NULL(m.default_access.sd);       /* built per process, with its SELF */
        char *s = NULL;
        ASSERT_OK(sec_sddl_format(m.launch_restriction.sd, m.launch_restriction.len, &s));
        ASSERT_NOT_NULL(strstr(s, "(A;;CCDCSW;;;WD)"));
        free(s);
        sec_machine_clear(&m);
}

/* Seed 000: reg add HKLM\Software\Microsoft\Ole /v LegacyAuthenticationLevel /t REG_DWORD
   /d 2 (and LegacyImpersonationLevel); other values; out-of-range values ignored. */
TEST(machine_values) {
        struct sec_machine m;

        test_state_dir();
        set_dword(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "LegacyAuthenticationLevel", 2);
        set_dword(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "LegacyImpersonationLevel", 2);
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_EQ(m.legacy_authn_level, 2);
        ASSERT_EQ(m.legacy_imp_level, 2);
        sec_machine_clear(&m);
        set_dword(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "LegacyAuthenticationLevel", 6);
        set_dword(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "LegacyImpersonationLevel", 3);
        set_sz(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "EnableDCOM", "n");
        set_sz(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "LegacySecureReferences", "Y");
        set_dword(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole",
                  "RequireIntegrityActivationAuthenticationLevel", 0);
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_EQ(m.legacy_authn_level, 6);
        ASSERT_EQ(m.legacy_imp_level, 3);
        ASSERT_FALSE(m.enable_dcom);
        ASSERT_TRUE(m.legacy_secure_refs);
        ASSERT_FALSE(m.require_integrity);
        sec_machine_clear(&m);
        set_dword(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "LegacyAuthenticationLevel", 9);
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_EQ(m.legacy_authn_level, 2);     /* out of range: the default */
        sec_machine_clear(&m);
        delete_tree(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole");
}

/* Launch and activation, local and remote, with Windows' defaults and an AppID's. */
TEST(launch_decisions) {
        struct sec_machine m;
        struct sec_appid app;
        char why[1024];
        GUID appid;

        test_state_dir();
        delete_tree(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole");
        ASSERT_OK(sec_machine_load(&m));
        struct sec_token *root = token(NULL, true, 0, false, false);
        struct sec_token *local = token(NULL, true, 65534, false, false);
        struct sec_token *remote = token(REMOTE_USER, false, 0, true, false);
        struct sec_token *remote_root = token(REMOTE_USER, true, 0, true, false);

        /* defaults: Administrators everything, INTERACTIVE (a local user) launches locally,
           a remote non-administrator nothing -- the machine's restriction says so first */
        ASSERT_EQ(sec_check_launch(&m, NULL, root, false, SEC_LAUNCH, why, sizeof why), 1);
        ASSERT_EQ(sec_check_launch(&m, NULL, local, false, SEC_LAUNCH, why, sizeof why), 1);
        ASSERT_EQ(sec_check_launch(&m, NULL, local, false, SEC_ACTIVATE, why, sizeof why), 1);
        ASSERT_EQ(sec_check_launch(&m, NULL, remote, true, SEC_LAUNCH, why, sizeof why), 0);
        ASSERT_NOT_NULL(strstr(why, "remote-launch refused to "));
        ASSERT_NOT_NULL(strstr(why, REMOTE_USER));
        ASSERT_NOT_NULL(strstr(why, "MachineLaunchRestriction"));
        ASSERT_NOT_NULL(strstr(why, "dcomcnfg machine --grant-launch-restriction '"));
        ASSERT_EQ(sec_check_launch(&m, NULL, remote_root, true, SEC_LAUNCH, why, sizeof why), 1);

        /* the restriction opened to authenticated users: DefaultLaunchPermission refuses next */
        set_sddl(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "MachineLaunchRestriction",
                 "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCDCSW;;;WD)(A;;CCDCLCSWRP;;;AU)");
        sec_machine_clear(&m);
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_TRUE(m.launch_restriction.set);
        ASSERT_EQ(sec_check_launch(&m, NULL, remote, true, SEC_LAUNCH, why, sizeof why), 0);
        ASSERT_NOT_NULL(strstr(why, "DefaultLaunchPermission"));
        ASSERT_NOT_NULL(strstr(why, "--grant-default-launch"));

        /* an AppID granting the account remote activation only */
        set_sz(HKEY_CLASSES_ROOT, "AppID\\" APPID, NULL, "Settings test");
        set_sddl(HKEY_CLASSES_ROOT, "AppID\\" APPID, "LaunchPermission",
                 "O:BAG:BAD:(A;;CCDCLCSWRP;;;BA)(A;;CCRP;;;" REMOTE_USER ")");
        ASSERT_OK(dcom_guid_parse(APPID, &appid));
        ASSERT_OK(sec_appid_load(&appid, &app));
        ASSERT_STR_EQ(app.name, "Settings test");
        ASSERT_TRUE(app.launch.set);
        ASSERT_EQ(sec_check_launch(&m, &app, remote, true, SEC_ACTIVATE, why, sizeof why), 1);
        ASSERT_EQ(sec_check_launch(&m, &app, remote, true, SEC_LAUNCH, why, sizeof why), 0);
        ASSERT_NOT_NULL(strstr(why, "AppID " "{1B2C3D4E-5F60-4718-92A3-B4C5D6E7F809}" " \"Settings test\""));
        ASSERT_NOT_NULL(strstr(why, "LaunchPermission"));
        ASSERT_NOT_NULL(strstr(why, "dcomcnfg set {1B2C3D4E-5F60-4718-92A3-B4C5D6E7F809} --grant-launch '"));
        ASSERT_NOT_NULL(strstr(why, ":remote-launch'"));
        /* the AppID's descriptor replaces the default: INTERACTIVE is not in it */
        ASSERT_EQ(sec_check_launch(&m, &app, local, false, SEC_LAUNCH, why, sizeof why), 0);
        sec_appid_clear(&app);

        /* deny before allow */
        set_sddl(HKEY_CLASSES_ROOT, "AppID\\" APPID, "LaunchPermission",
                 "O:BAG:BAD:(D;;CCDCLCSWRP;;;" REMOTE_USER ")(A;;CCDCLCSWRP;;;AU)");
        ASSERT_OK(sec_appid_load(&appid, &app));
        ASSERT_EQ(sec_check_launch(&m, &app, remote, true, SEC_ACTIVATE, why, sizeof why), 0);
        ASSERT_EQ(sec_check_launch(&m, &app, remote_root, true, SEC_ACTIVATE, why, sizeof why), 0);
        sec_appid_clear(&app);

        /* a malformed LaunchPermission admits no one, not even an administrator */
        set_value(HKEY_CLASSES_ROOT, "AppID\\" APPID, "LaunchPermission", REG_BINARY, "\x01\x00", 2);
        ASSERT_OK(sec_appid_load(&appid, &app));
        ASSERT_EQ(sec_check_launch(&m, &app, root, false, SEC_LAUNCH, why, sizeof why), 0);
        sec_appid_clear(&app);

        /* EnableDCOM N: nothing remote, local as before */
        set_sz(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "EnableDCOM", "N");
        sec_machine_clear(&m);
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_EQ(sec_check_launch(&m, NULL, remote_root, true, SEC_ACTIVATE, why, sizeof why), 0);
        ASSERT_NOT_NULL(strstr(why, "EnableDCOM"));
        ASSERT_EQ(sec_check_launch(&m, NULL, root, false, SEC_LAUNCH, why, sizeof why), 1);
        /* a malformed machine restriction: no one, rather than open */
        set_sz(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "EnableDCOM", "Y");
        set_value(HKEY_LOCAL_MACHINE, "Software\\Microsoft\\Ole", "MachineLaunchRestriction",
                  REG_BINARY, "\x01\x00\x04\x80", 4);
        sec_machine_clear(&m);
        ASSERT_OK(sec_machine_load(&m));
        ASSERT_EQ(sec_check_launch(&m, NULL, root, false, SEC_LAUNCH, why, sizeof why), 0);

        sec_machine_clear(&m);
        sec_token_free(root);
        sec_token_free(local);
        sec_token_free(remote);
        sec_token_free(remote_root);
        delete_tree(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole");
        delete_tree(HKEY_CLASSES_ROOT, u"AppID\\" u"{1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809}");
}

/* Access: MachineAccessRestriction first (ANONYMOUS LOGON local only), then the process's. */
TEST(access_decisions) {
        struct sec_machine m;
        struct sec_perm def;
        char why[1024], self[64];

        test_state_dir();
        delete_tree(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole");
        ASSERT_OK(sec_machine_load(&m));
        snprintf(self, sizeof self, "S-1-22-1-%u", 4242u);
        ASSERT_OK(sec_default_access(&m, self, &def));
        struct sec_token *me = token(NULL, true, 4242, false, false);
        struct sec_token *other = token(NULL, true, 4343, false, false);
        struct sec_token *root = token(NULL, true, 0, false, false);
        struct sec_token *remote = token(REMOTE_USER, false, 0, true, false);
        struct sec_token *anon = token("S-1-5-7", false, 0, true, true);
        struct sec_token *anon_local = token("S-1-5-7", false, 0, false, true);

        ASSERT_EQ(sec_check_access(&m, &def, NULL, me, false, why, sizeof why), 1);
        ASSERT_EQ(sec_check_access(&m, &def, NULL, root, false, why, sizeof why), 1);
        ASSERT_EQ(sec_check_access(&m, &def, NULL, other, false, why, sizeof why), 0);
        ASSERT_NOT_NULL(strstr(why, "local-access refused to "));
        ASSERT_NOT_NULL(strstr(why, "DefaultAccessPermission"));
        ASSERT_EQ(sec_check_access(&m, &def, NULL, remote, true, why, sizeof why), 0);
        /* no descriptor (CoInitializeSecurity(NULL, ...)): the machine's restriction only --
           which gives ANONYMOUS LOGON local access, not remote */
        ASSERT_EQ(sec_check_access(&m, NULL, NULL, remote, true, why, sizeof why), 1);
        ASSERT_EQ(sec_check_access(&m, NULL, NULL, anon_local, false, why, sizeof why), 1);
        ASSERT_EQ(sec_check_access(&m, NULL, NULL, anon, true, why, sizeof why), 0);
        ASSERT_NOT_NULL(strstr(why, "MachineAccessRestriction"));
        ASSERT_NOT_NULL(strstr(why, "--grant-access-restriction"));

        /* PRINCIPAL SELF in a descriptor: the server's own user, once the exporter adds
           S-1-5-10 to that caller's token (com_security_check_call) */
        struct sec_perm ps = { .set = true };
        snprintf(ps.source, sizeof ps.source, "a descriptor naming SELF");
        ASSERT_OK(sec_sddl_parse("O:BAG:BAD:(A;;CCDCLC;;;PS)", &ps.sd, &ps.len));
        ASSERT_EQ(sec_check_access(&m, &ps, NULL, me, false, why, sizeof why), 0);
        ASSERT_OK(sec_token_add_sid(me, "S-1-5-10"));
        ASSERT_EQ(sec_check_access(&m, &ps, NULL, me, false, why, sizeof why), 1);
        free(ps.sd);

        free(def.sd);
        sec_machine_clear(&m);
        sec_token_free(me);
        sec_token_free(other);
        sec_token_free(root);
        sec_token_free(remote);
        sec_token_free(anon);
        sec_token_free(anon_local);
}

/* Runs fn in a child (a process's security is settled once) and returns its exit status. */
static int in_child(void (*fn)(void)) {
        int status;
        pid_t pid = fork();

        ASSERT_GE(pid, 0);
        if (pid == 0) {
                fn();
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define CHILD_CHECK(x) do { if (!(x)) { fprintf(stderr, "child: %s failed (line %d)\n", #x, __LINE__); _exit(1); } } while (0)

static void explicit_then_too_late(void) {
        CHILD_CHECK(CoInitializeEx(NULL, COINIT_MULTITHREADED) == S_OK);
        /* arguments checked first */
        CHILD_CHECK(CoInitializeSecurity(NULL, -1, NULL, NULL, 7, 0, NULL, 0, NULL) == E_INVALIDARG);
        CHILD_CHECK(CoInitializeSecurity(NULL, -1, NULL, NULL, 0, 0, NULL,
                                         EOAC_APPID | EOAC_ACCESS_CONTROL, NULL) == E_INVALIDARG);
        CHILD_CHECK(CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                         RPC_C_IMP_LEVEL_IDENTIFY, NULL, EOAC_NONE, NULL) == S_OK);
        CHILD_CHECK(com_security_authn_level() == RPC_C_AUTHN_LEVEL_PKT_INTEGRITY);
        CHILD_CHECK(strstr(com_security_describe(), "CoInitializeSecurity") != NULL);
        CHILD_CHECK(strstr(com_security_describe(), "anyone (no descriptor)") != NULL);
        CHILD_CHECK(CoInitializeSecurity(NULL, -1, NULL, NULL, 0, 0, NULL, 0, NULL) == RPC_E_TOO_LATE);
        CoUninitialize();
}

static void default_settled_then_too_late(void) {
        CHILD_CHECK(CoInitializeEx(NULL, COINIT_MULTITHREADED) == S_OK);
        /* the first marshal settles the defaults */
        CHILD_CHECK(com_security_init() == 0);
        CHILD_CHECK(CoInitializeSecurity(NULL, -1, NULL, NULL, 0, 0, NULL, 0, NULL) == RPC_E_TOO_LATE);
        CoUninitialize();
}

static void from_executable_appid(void) {
        CHILD_CHECK(com_security_authn_level() == RPC_C_AUTHN_LEVEL_PKT_PRIVACY);
        CHILD_CHECK(strstr(com_security_describe(), "HKCR\\AppID\\test-com-security") != NULL);
        CHILD_CHECK(strstr(com_security_describe(), "AccessPermission") != NULL);
}

static void without_mapping(void) {
        CHILD_CHECK(com_security_authn_level() == RPC_C_AUTHN_LEVEL_CONNECT);
        CHILD_CHECK(strstr(com_security_describe(), "no AppID") != NULL);
        CHILD_CHECK(strstr(com_security_describe(), "SELF") != NULL);
}

static void eoac_appid(void) {
        GUID appid;
        CHILD_CHECK(dcom_guid_parse(APPID, &appid) == 0);
        CHILD_CHECK(CoInitializeSecurity(&appid, -1, NULL, NULL, 0, 0, NULL, EOAC_APPID, NULL) == S_OK);
        CHILD_CHECK(com_security_authn_level() == RPC_C_AUTHN_LEVEL_PKT_PRIVACY);
        CHILD_CHECK(strstr(com_security_describe(), "EOAC_APPID") != NULL);
}

static void explicit_descriptor(void) {
        PSECURITY_DESCRIPTOR sd = NULL;
        ULONG len = 0;
        CHILD_CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA(
                "O:BAG:BAD:(A;;CCDCLC;;;AU)", SDDL_REVISION_1, &sd, &len));
        CHILD_CHECK(CoInitializeSecurity(sd, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_PKT, 0, NULL, 0,
                                         NULL) == S_OK);
        LocalFree(sd);
        CHILD_CHECK(com_security_authn_level() == RPC_C_AUTHN_LEVEL_PKT);
        CHILD_CHECK(strstr(com_security_describe(), "the descriptor given to CoInitializeSecurity"));
}

static void no_call_context(void) {
        IServerSecurity *ss = (IServerSecurity *)1;
        DWORD level = 0;
        CHILD_CHECK(CoGetCallContext(&IID_IServerSecurity, (void **)&ss) == RPC_E_CALL_COMPLETE);
        CHILD_CHECK(ss == NULL);
        CHILD_CHECK(CoQueryClientBlanket(NULL, NULL, NULL, &level, NULL, NULL, NULL) ==
                    RPC_E_CALL_COMPLETE);
        CHILD_CHECK(CoImpersonateClient() == RPC_E_CALL_COMPLETE);
        CHILD_CHECK(CoRevertToSelf() == RPC_E_CALL_COMPLETE);
}

static uint16_t static_port;

/* The AppID's Endpoints: the exporter listens on that TCP port once something is marshaled. */
static void static_endpoint(void) {
        IStream *stm = NULL, *obj = NULL;
        CHILD_CHECK(com_security_tcp_port() == static_port);
        CHILD_CHECK(CoInitializeEx(NULL, COINIT_MULTITHREADED) == S_OK);
        CHILD_CHECK(CreateStreamOnHGlobal(NULL, TRUE, &stm) == S_OK);
        CHILD_CHECK(CreateStreamOnHGlobal(NULL, TRUE, &obj) == S_OK);
        HRESULT hr = CoMarshalInterface(stm, &IID_IUnknown, (IUnknown *)obj, MSHCTX_DIFFERENTMACHINE,
                                        NULL, MSHLFLAGS_TABLESTRONG);
        /* no rpcss in this test: the OXID cannot be registered (RPC_S_SERVER_UNAVAILABLE),
           but the exporter listens first */
        CHILD_CHECK(hr == S_OK || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE));
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(static_port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        CHILD_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        close(fd);
        _exit(0);       /* the objects go with the process */
}

static uint16_t free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
        ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
        close(fd);
        return ntohs(sa.sin_port);
}

TEST(process_security) {
        test_state_dir();
        delete_tree(HKEY_LOCAL_MACHINE, u"Software\\Microsoft\\Ole");
        ASSERT_EQ(in_child(explicit_then_too_late), 0);
        ASSERT_EQ(in_child(default_settled_then_too_late), 0);
        ASSERT_EQ(in_child(without_mapping), 0);
        ASSERT_EQ(in_child(explicit_descriptor), 0);
        ASSERT_EQ(in_child(no_call_context), 0);
        /* the executable's AppID (seed 003), its AuthenticationLevel and AccessPermission */
        set_sz(HKEY_CLASSES_ROOT, "AppID\\test-com-security", "AppID", APPID);
        set_dword(HKEY_CLASSES_ROOT, "AppID\\" APPID, "AuthenticationLevel", 6);
        set_sddl(HKEY_CLASSES_ROOT, "AppID\\" APPID, "AccessPermission", "O:BAG:BAD:(A;;CCDCLC;;;AU)");
        ASSERT_EQ(in_child(from_executable_appid), 0);
        ASSERT_EQ(in_child(eoac_appid), 0);
        /* Endpoints: a static TCP port for the application's exporter */
        char ep[64];
        static_port = free_port();
        int n = snprintf(ep, sizeof ep, "ncacn_ip_tcp,0,%u", (unsigned)static_port);
        WCHAR wep[64] = { 0 };
        for (int i = 0; i < n; i++)
                wep[i] = (WCHAR)ep[i];
        set_value(HKEY_CLASSES_ROOT, "AppID\\" APPID, "Endpoints", REG_MULTI_SZ, wep,
                  (DWORD)((n + 2) * sizeof(WCHAR)));
        setenv("OPENDCOM_ORPC_LISTEN", "127.0.0.1", 1);
        ASSERT_EQ(in_child(static_endpoint), 0);
        delete_tree(HKEY_CLASSES_ROOT, u"AppID\\test-com-security");
        ASSERT_EQ(in_child(without_mapping), 0);
        delete_tree(HKEY_CLASSES_ROOT, u"AppID\\" u"{1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809}");
}


/* A custom marshaler's call context (CoSwitchCallContext): what CoGetCallContext and the
   Co* helpers of the server's view use until the old one is put back. */
struct fake_ss {
        IServerSecurity IServerSecurity_iface;
        int refs, impersonations, reverts;
};

static HRESULT STDMETHODCALLTYPE fss_qi(IServerSecurity *i, REFIID riid, void **ppv) {
        if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IServerSecurity)) {
                *ppv = i;
                ((struct fake_ss *)i)->refs++;
                return S_OK;
        }
        *ppv = NULL;
        return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE fss_addref(IServerSecurity *i) {
        return (ULONG)++((struct fake_ss *)i)->refs;
}

static ULONG STDMETHODCALLTYPE fss_release(IServerSecurity *i) {
        return (ULONG)--((struct fake_ss *)i)->refs;
}

static HRESULT STDMETHODCALLTYPE fss_query(IServerSecurity *i, DWORD *svc, DWORD *authz,
                                           OLECHAR **princ, DWORD *level, DWORD *imp,
                                           void **privs, DWORD *caps) {
        if (svc)
                *svc = RPC_C_AUTHN_WINNT;
        if (level)
                *level = RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE fss_impersonate(IServerSecurity *i) {
        ((struct fake_ss *)i)->impersonations++;
        return S_OK;
}

static HRESULT STDMETHODCALLTYPE fss_revert(IServerSecurity *i) {
        ((struct fake_ss *)i)->reverts++;
        return S_OK;
}

static BOOL STDMETHODCALLTYPE fss_is_impersonating(IServerSecurity *i) {
        return FALSE;
}

static const IServerSecurityVtbl fss_vtbl = { fss_qi, fss_addref, fss_release, fss_query,
                                              fss_impersonate, fss_revert, fss_is_impersonating };

TEST(switch_call_context) {
        struct fake_ss f = { { &fss_vtbl }, 1, 0, 0 };
        IUnknown *old = (IUnknown *)1, *back = NULL;
        IServerSecurity *ss = NULL;
        DWORD level = 0, svc = 0;

        ASSERT_HR_EQ(CoGetCallContext(&IID_IServerSecurity, (void **)&ss), RPC_E_CALL_COMPLETE);
        ASSERT_HR_EQ(CoSwitchCallContext(NULL, NULL), E_INVALIDARG);
        ASSERT_OK(CoSwitchCallContext((IUnknown *)&f.IServerSecurity_iface, &old));
        ASSERT_TRUE(old == NULL);               /* no call: no context before */
        ASSERT_OK(CoGetCallContext(&IID_IServerSecurity, (void **)&ss));
        ASSERT_TRUE(ss == &f.IServerSecurity_iface);
        IServerSecurity_Release(ss);
        ASSERT_EQ(f.refs, 1);                   /* switching in took no reference */
        ASSERT_OK(CoQueryClientBlanket(&svc, NULL, NULL, &level, NULL, NULL, NULL));
        ASSERT_EQ(level, RPC_C_AUTHN_LEVEL_PKT_PRIVACY);
        ASSERT_EQ(svc, RPC_C_AUTHN_WINNT);
        ASSERT_OK(CoImpersonateClient());
        ASSERT_OK(CoRevertToSelf());
        ASSERT_EQ(f.impersonations, 1);
        ASSERT_EQ(f.reverts, 1);
        ASSERT_EQ(f.refs, 1);
        /* a call that comes in meanwhile (an STA's modal loop) sees its own context, and
           the switched one is back after it */
        struct ndr_server_call nested;
        memset(&nested, 0, sizeof nested);
        void *cc = com_call_enter(&nested);
        ASSERT_NOT_NULL(cc);
        ASSERT_OK(CoGetCallContext(&IID_IServerSecurity, (void **)&ss));
        ASSERT_TRUE(ss != &f.IServerSecurity_iface);
        IServerSecurity_Release(ss);
        com_call_leave(cc);
        ASSERT_OK(CoGetCallContext(&IID_IServerSecurity, (void **)&ss));
        ASSERT_TRUE(ss == &f.IServerSecurity_iface);
        IServerSecurity_Release(ss);
        /* the old one back */
        ASSERT_OK(CoSwitchCallContext(old, &back));
        ASSERT_TRUE(back == (IUnknown *)&f.IServerSecurity_iface);
        ASSERT_HR_EQ(CoGetCallContext(&IID_IServerSecurity, (void **)&ss), RPC_E_CALL_COMPLETE);
        ASSERT_HR_EQ(CoImpersonateClient(), RPC_E_CALL_COMPLETE);
}
