/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss's activator ([MS-DCOM] 3.1.2.5.2): IRemoteSCMActivator (RemoteGetClassObject,
 * RemoteCreateInstance) and IActivation (RemoteActivation) on port 135 and
 * ncalrpc:[epmapper], and the class table behind them.
 *
 * Servers register their class objects over ncalrpc (oxidreg's RegisterClass, from
 * CoRegisterClassObject); an activation finds a registration of the class running as
 * the identity the class runs as (for "Interactive User": one dcomlaunch started, or
 * root's -- never one any local user registered), or asks dcomlaunch to start the server (its
 * LocalServer32) and waits for the registration.  The instance is made by the server
 * (objact over its ncalrpc endpoint) and marshaled for the client; rpcss answers with
 * it and the OXID's bindings.  Registrations belong to the association that made them
 * and go when it ends; a single-use one is used once.
 *
 * Who may activate: a local caller (the kernel names it), or a remote one authenticated
 * at PKT_INTEGRITY at least and not anonymous (RequireIntegrityActivationAuthenticationLevel,
 * Windows' hardening since 2022, on by default: HKLM\Software\Microsoft\Ole value 0
 * turns it off).  Launch and access permissions (AppID LaunchPermission) are checked in
 * scm_check_launch, the hook the AppID security work fills in.
 */
#ifndef DCOM_RPCSS_SCM_H
#define DCOM_RPCSS_SCM_H

#include <stdint.h>

#include "oxidreg_stub.h"
#include "remact_stub.h"

#define SCM_MAX_CLASSES 4096u                   /* registrations, all processes together */
#define SCM_MAX_CLASSES_PER_OWNER 256u          /* one process */
#define SCM_MAX_LAUNCHES 64u                    /* launches waiting for their server at once */

extern const struct IRemoteSCMActivator_v0_0_epv scm_remote_activator_epv;
extern const struct IActivation_v0_0_epv scm_activation_epv;
/* IRemoteSCMActivator's server interface with opnums 0-2 answered nca_op_rng_error. */
extern const struct ndr_interface *scm_remote_activator_interface(void);

/* oxidreg's RegisterClass and RevokeClass (oxid.c's epv calls these). */
error_status_t scm_register_class(handle_t h, OXID oxid, GUID *clsid, ULONG cookie, ULONG flags);
error_status_t scm_revoke_class(handle_t h, ULONG cookie);

/* The owner-end hook: the owner's registrations go. */
void scm_forget_owner(uint64_t owner);

/* Settings read at start: the launch timeout (OPENDCOM_LAUNCH_TIMEOUT_MS, default 30 s). */
void scm_init(void);

#endif /* DCOM_RPCSS_SCM_H */
