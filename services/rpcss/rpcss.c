/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss: the endpoint mapper (e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0), the management
 * interface, the OXID resolver (IObjectExporter, oxid.c) and activation
 * (IRemoteSCMActivator and IActivation, scm.c; servers started by dcomlaunch) on port 135
 * and on ncalrpc:[epmapper], where local servers register their endpoints (the runtime's
 * rpc_server_register_ep) and object exporters their OXIDs (src/com/resolver.c), and
 * lose them when they exit.  Windows' RPCSS answers remote requests with low privilege:
 * run it as an unprivileged user with CAP_NET_BIND_SERVICE, or on another port (--port).
 *
 *      rpcss [--port N] [--listen ADDR]... [--foreground]
 *
 * One log line per start, stop, error and refusal (log_service: stderr with the syslog
 * priority first when stderr is the journal, or syslog with DCOM_LOG=syslog).
 * SIGTERM and SIGINT stop it cleanly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/version.h"
#include "com/resolver.h"
#include "dcom/utf16.h"
#include "dcom/winreg.h"
#include "epm_stub.h"
#include "oxid.h"
#include "scm.h"
#include "ntlm-settings.h"
#include "rpc/auth/ntlm.h"
#include "epm-server.h"
#include "rpc/rpc-internal.h"

#define MAX_LISTEN 16

static void usage(FILE *f) {
        fputs("Usage: rpcss [--port N] [--listen ADDR]... [--foreground]\n"
              "Serves the DCE/RPC endpoint mapper and management interface and the\n"
              "DCOM OXID resolver.\n\n"
              "  --port N        TCP port (default 135)\n"
              "  --listen ADDR   listen on this address (repeatable; default: all)\n"
              "  --foreground    stay attached to the terminal (the default under a\n"
              "                  service manager; without it rpcss detaches)\n"
              "  --help          show this help\n"
              "  --version       show the version\n\n"
              "Clients find a private rpcss on another port with OPENDCOM_EPM_PORT=N.\n"
              "OPENDCOM_PING_PERIOD_MS: the DCOM ping period (default 120000); a ping set\n"
              "not pinged for three periods is deleted.\n"
              "Local accounts for NTLM: dcompasswd(8).  Settings: rpcss(8).\n\n"
              "Example: rpcss --port 135 --listen 127.0.0.1 --foreground\n\n"
              "Exit status: 0 stopped by SIGTERM or SIGINT, 1 could not start (the log line\n"
              "says why), 2 bad command line.\n", f);
}

/* One line per security refusal: who, which provider, why. */
static void audit(const char *line) {
        log_service(LOG_WARNING, "%s", line);
}

/*
 * ncalrpc:[epmapper], in the machine's runtime directory (0755, this service's account's or
 * root's; tmpfiles.d/opendcom.conf makes it), and every process's endpoint directory
 * rpc/ made 1777 (src/rpc/server.c tells why).  A stale socket of ours (a previous
 * rpcss's) is replaced, and said so; anyone else's is left alone.
 */
static int listen_epmapper(struct rpc_server *srv) {
        char path[108], dir[108];
        struct stat st;
        int r;

        r = rpc_lrpc_path("epmapper", path, sizeof path);
        if (r < 0) {
                log_service(LOG_ERR, "no runtime directory: %s", strerror(-r));
                return r;
        }
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = 0;
        r = rpc_lrpc_prepare();
        if (r >= 0)
                r = rpc_server_listen_lrpc(srv, "epmapper", 0666);
        if (r == -EACCES || r == -EPERM) {
                log_service(LOG_ERR, "cannot listen on ncalrpc:[epmapper] (%s): %s -- %s must "
                        "belong to the user rpcss runs as (uid %u) or rpcss must run as root "
                        "(systemd-tmpfiles --create opendcom.conf)", path, strerror(-r), dir,
                        (unsigned)geteuid());
                return r;
        }
        if (r == -EADDRINUSE && lstat(path, &st) == 0 && st.st_uid != geteuid()) {
                log_service(LOG_ERR, "cannot listen on ncalrpc:[epmapper]: %s belongs to uid "
                        "%u, not to rpcss's (%u): remove it if no rpcss of that user runs",
                        path, (unsigned)st.st_uid, (unsigned)geteuid());
                return r;
        }
        if (r == -EADDRINUSE) {
                log_service(LOG_ERR, "cannot listen on ncalrpc:[epmapper] (%s): another rpcss "
                        "serves it", path);
                return r;
        }
        if (r < 0) {
                log_service(LOG_ERR, "cannot listen on ncalrpc:[epmapper] (%s): %s", path,
                        strerror(-r));
                return r;
        }
        if (r == 1)
                log_service(LOG_INFO, "removed the stale socket %s (a previous rpcss's)", path);
        snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/rpc");
        if (lstat(dir, &st) == 0 && (st.st_mode & 07777) != 01777)
                log_service(LOG_WARNING, "warning: %s is mode %o, not 1777: other users' servers "
                        "cannot create their endpoints there", dir, (unsigned)(st.st_mode & 07777));
        return 0;
}

int main(int argc, char **argv) {
        const char *addrs[MAX_LISTEN];
        unsigned n_addrs = 0, port = 135;
        bool foreground = false;
        struct rpc_server *srv;
        sigset_t sigs;
        int sig, r;

        log_service_init("rpcss", false);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
                        char *end;
                        unsigned long p = strtoul(argv[++i], &end, 10);
                        if (*end || p == 0 || p > 65535) {
                                fprintf(stderr, "rpcss: bad port '%s'\n", argv[i]);
                                return 2;
                        }
                        port = (unsigned)p;
                } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
                        if (n_addrs >= MAX_LISTEN) {
                                fprintf(stderr, "rpcss: at most %d --listen\n", MAX_LISTEN);
                                return 2;
                        }
                        addrs[n_addrs++] = argv[++i];
                } else if (strcmp(argv[i], "--foreground") == 0) {
                        foreground = true;
                } else if (strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else if (strcmp(argv[i], "--version") == 0) {
                        printf("rpcss (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return 0;
                } else {
                        fprintf(stderr, "rpcss: %s: %s (try --help)\n", argv[i],
                                strcmp(argv[i], "--port") == 0 || strcmp(argv[i], "--listen") == 0
                                        ? "needs a value" : "unknown option");
                        return 2;
                }
        }

        /* signals go to sigwait() below, in every thread */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        srv = rpc_server_new();
        if (!srv) {
                log_service(LOG_ERR, "out of memory");
                return 1;
        }
        rpc_set_owner_end_hook(epm_forget_owner);
        rpc_set_owner_end_hook(oxid_forget_owner);
        rpc_set_owner_end_hook(scm_forget_owner);
        rpc_set_audit_hook(audit);
        ntlm_settings_from_registry();
        r = rpc_server_register_if(srv, &epm_v3_0_s_interface, &epm_server_epv);
        if (r < 0) {
                log_service(LOG_ERR, "cannot serve the endpoint mapper: %s", strerror(-r));
                return 1;
        }
        /* the OXID resolver: IObjectExporter at every authentication level, and the local
           exporters' registrations (over ncalrpc only: oxid.c refuses the rest) */
        r = oxid_init((uint16_t)port, addrs, n_addrs, com_ping_period_ms());
        if (r >= 0)
                r = rpc_server_register_if(srv, &IObjectExporter_v0_0_s_interface,
                                           &oxid_exporter_epv);
        if (r >= 0)
                r = rpc_server_register_if(srv, &oxidreg_v1_0_s_interface, &oxid_registry_epv);
        if (r < 0) {
                log_service(LOG_ERR, "cannot serve the OXID resolver: %s", strerror(-r));
                return 1;
        }
        /* activation ([MS-DCOM] 3.1.2.5.2): who may activate is checked per call (scm.c) */
        scm_init();
        r = rpc_server_register_if(srv, scm_remote_activator_interface(), &scm_remote_activator_epv);
        if (r >= 0)
                r = rpc_server_register_if(srv, &IActivation_v0_0_s_interface, &scm_activation_epv);
        if (r < 0) {
                log_service(LOG_ERR, "cannot serve activation: %s", strerror(-r));
                return 1;
        }
        for (unsigned i = 0; i < (n_addrs ? n_addrs : 1); i++) {
                const char *a = n_addrs ? addrs[i] : NULL;
                r = rpc_server_listen_tcp(srv, a, (uint16_t)port, NULL);
                if (r < 0) {
                        log_service(LOG_ERR, "cannot listen on %s port %u: %s", a ? a : "*",
                                port, strerror(-r));
                        rpc_server_free(srv);
                        return 1;
                }
        }
        /* local servers register here; any local user may */
        if (listen_epmapper(srv) < 0) {
                rpc_server_free(srv);
                return 1;
        }
        if (!foreground && daemon(0, 1) < 0) {
                log_service(LOG_ERR, "cannot detach: %s", strerror(errno));
                rpc_server_free(srv);
                return 1;
        }
        log_service(LOG_INFO, "started (pid %d): port %u on %s, ncalrpc:[epmapper]",
                (int)getpid(), port, n_addrs ? addrs[0] : "all addresses");
        do
                r = sigwait(&sigs, &sig);
        while (r == 0 && sig == SIGHUP);
        rpc_server_free(srv);
        log_service(LOG_INFO, "stopped (%s)", r == 0 ? strsignal(sig) : "error");
        return 0;
}
