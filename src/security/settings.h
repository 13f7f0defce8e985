/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The DCOM settings model: the machine's (HKLM\Software\Microsoft\Ole) and an
 * application's (HKCR\AppID\{appid}), read with Windows' meanings and defaults, and the
 * launch and access decisions they make.  rpcss (launch and activation), the exporter
 * of every process (access) and dcomcnfg (showing and editing) all go through here, so
 * a rule exists once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcom/guid.h"
#include "security/security.h"

/* A permission value: a self-relative security descriptor and where it came from. */
struct sec_perm {
        void *sd;                       /* malloc'd; NULL: nothing (no check) */
        size_t len;
        bool set;                       /* from the registry (else Windows' default) */
        char source[96];                /* "HKLM\Software\Microsoft\Ole MachineLaunchRestriction" */
};

/* What HKLM\Software\Microsoft\Ole says, defaults filled in for what is absent. */
struct sec_machine {
        bool enable_dcom;               /* EnableDCOM "Y" (default) / "N" */
        bool enable_remote_connect;     /* EnableRemoteConnect: "N" refuses remote launches */
        uint8_t legacy_authn_level;     /* LegacyAuthenticationLevel: 2 (connect) */
        uint8_t legacy_imp_level;       /* LegacyImpersonationLevel: 2 (identify) */
        bool legacy_secure_refs;        /* LegacySecureReferences "N" */
        bool require_integrity;         /* RequireIntegrityActivationAuthenticationLevel: 1 */
        struct sec_perm launch_restriction, access_restriction;
        struct sec_perm default_launch, default_access;
};
/* 0, or a negative errno (-ENOMEM); a malformed descriptor in the registry is not used:
   the value's default takes its place except for the restrictions, which then admit
   no one (an administrator's restriction must never fail open), with a log line. */
int sec_machine_load(struct sec_machine *ret);
void sec_machine_clear(struct sec_machine *m);

/* An application: HKCR\AppID\{appid}. */
struct sec_appid {
        GUID appid;
        char id[40];                    /* "{...}" */
        char name[256];                 /* the key's default value */
        struct sec_perm launch, access; /* LaunchPermission, AccessPermission (sd NULL: absent) */
        uint32_t authn_level;           /* AuthenticationLevel; 0: absent */
        char run_as[257];               /* RunAs; "" absent */
        bool has_surrogate;
        char dll_surrogate[1024];       /* DllSurrogate ("" = the default surrogate) */
        char remote_server[256];        /* RemoteServerName */
        char local_service[256];        /* LocalService */
        uint16_t tcp_port;              /* Endpoints' "ncacn_ip_tcp,0,PORT"; 0: dynamic */
};
/* HKCR\CLSID\{clsid} AppID; -ENOENT when the class names none. */
int sec_appid_of_clsid(const GUID *clsid, GUID *ret);
/* HKCR\AppID\<exe> AppID (seed 003: how a server process finds its settings, by the
   name it was started with); -ENOENT without a mapping. */
int sec_appid_of_exe(const char *exe, GUID *ret);
/* -ENOENT when HKCR\AppID\{appid} does not exist. */
int sec_appid_load(const GUID *appid, struct sec_appid *ret);
void sec_appid_clear(struct sec_appid *a);

/* Windows' defaults as SDDL: for showing them and for tests. */
extern const char sec_default_launch_restriction[];
extern const char sec_default_access_restriction[];
extern const char sec_default_launch_permission[];

/*
 * The access permission a server process applies when neither CoInitializeSecurity nor
 * its AppID says one: DefaultAccessPermission, or Windows' default -- the process's own
 * user (SELF), SYSTEM and Administrators -- with self_sid the process's user.
 */
int sec_default_access(const struct sec_machine *m, const char *self_sid, struct sec_perm *ret);

/* Whether a caller may launch (a new server process) or activate (in a running one) an
 * application, locally or remotely ([MS-DCOM] 3.1.2.5.2.3 in spirit; Windows' order):
 * EnableDCOM and EnableRemoteConnect for remote callers, MachineLaunchRestriction, then
 * the AppID's LaunchPermission, else DefaultLaunchPermission.  1 allowed, 0 refused
 * (why: one line naming the descriptor that refused and the command that grants it),
 * or a negative errno. */
enum sec_launch_what { SEC_LAUNCH, SEC_ACTIVATE };
int sec_check_launch(const struct sec_machine *m, const struct sec_appid *app,
                     const struct sec_token *t, bool remote, enum sec_launch_what what,
                     char *why, size_t why_size);

/* Whether a caller may call into a process: MachineAccessRestriction, then the process's
   access permission (NULL: none -- CoInitializeSecurity with no descriptor admits all).
   Same returns as sec_check_launch; app names the application for the line (or NULL). */
int sec_check_access(const struct sec_machine *m, const struct sec_perm *access,
                     const struct sec_appid *app, const struct sec_token *t, bool remote,
                     char *why, size_t why_size);

/* Registry helpers in UTF-8 (HKEY is <dcom/winreg.h>'s): false when absent. */
#include "dcom/winreg.h"
bool sec_reg_string(HKEY root, const char *path, const char *value, char *out, size_t size);
bool sec_reg_dword(HKEY root, const char *path, const char *value, uint32_t *ret);
/* a REG_BINARY value, malloc'd */
bool sec_reg_binary(HKEY root, const char *path, const char *value, void **ret, size_t *ret_len);
