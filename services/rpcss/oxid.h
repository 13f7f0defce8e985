/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rpcss's OXID resolver ([MS-DCOM] 3.1.2): IObjectExporter (99fcfec4-5260-101b-bbcb-
 * 00aa0021347a v0.0) for everyone, on port 135 and ncalrpc:[epmapper], and the private
 * oxidreg interface (idl/oxidreg.idl) through which this machine's exporters register
 * their OXIDs and OIDs, over ncalrpc only.
 *
 * The tables ([MS-DCOM] 3.1.2.1): OXIDs with their bindings, each owned by the
 * association that registered it (rpc_call_owner); OIDs, each of one OXID; ping sets
 * holding OIDs.  A set not pinged for three ping periods is deleted; an OID is due for
 * rundown when no set holds it and three periods passed since a pinged set last held it
 * or, never held, since it was added -- the grace a freshly marshaled reference needs
 * to reach its client and be pinged.  Rundown() hands the due OIDs to their exporter.
 *
 * Everything a peer can make rpcss hold is bounded (below).  Local registrations count
 * per association and per local user (the kernel's uid), ping sets per peer (a remote
 * address, or a local user).
 */
#ifndef DCOM_RPCSS_OXID_H
#define DCOM_RPCSS_OXID_H

#include <stdint.h>

#include "orpc_stub.h"
#include "oxidreg_stub.h"

#define OXID_MAX_OXIDS 16384                    /* registered, all users together */
#define OXID_MAX_OXIDS_PER_OWNER 64             /* one association (process) */
#define OXID_MAX_OXIDS_PER_USER 1024
#define OXID_MAX_OIDS (1u << 21)                /* registered, all users together */
#define OXID_MAX_OIDS_PER_OXID 65536u
#define OXID_MAX_OIDS_PER_USER (1u << 20)
#define OXID_MAX_BINDINGS 4096u                 /* a DUALSTRINGARRAY's 16-bit units */
#define OXID_MAX_SETS 65536u                    /* ping sets, all peers together */
#define OXID_MAX_SETS_PER_PEER 1024u
#define OXID_MAX_SET_OIDS 65536u                /* OIDs in one ping set */
#define OXID_MAX_HELD (1u << 22)                /* OIDs in sets, all sets together */
#define OXID_MAX_HELD_PER_PEER (1u << 20)

/* The implementations for the generated server stubs. */
extern const struct IObjectExporter_v0_0_epv oxid_exporter_epv;
extern const struct oxidreg_v1_0_epv oxid_registry_epv;

/*
 * Where rpcss listens, for its own bindings (ServerAlive2, RegisterOxid's reply): port,
 * and the --listen addresses (none, or a wildcard among them: every address of the host,
 * enumerated again at most every 30 s).  ping_period_ms: com_ping_period_ms().
 * Copies what it needs; 0 or -ENOMEM.
 */
int oxid_init(uint16_t port, const char *const *addrs, unsigned n_addrs, unsigned ping_period_ms);

/* The owner-end hook (rpc_set_owner_end_hook): the owner's OXIDs and their OIDs go. */
void oxid_forget_owner(uint64_t owner);

/* For the activator: an OXID's bindings of the wanted towers (from midl_user_allocate),
   its IRemUnknown's IPID and authentication hint; OR_INVALID_OXID. */
error_status_t oxid_resolve(OXID oxid, unsigned short n_want, const unsigned short *want,
                            DUALSTRINGARRAY **ppdsa, IPID *ipid, DWORD *hint);
/* The ncalrpc endpoint name of an OXID the caller registered (ERROR_ACCESS_DENIED for
   another's, OR_INVALID_OXID for an unknown one or one without ncalrpc). */
#define DSA_TOWER_LRPC_ID 0x10
error_status_t oxid_caller_endpoint(handle_t h, OXID oxid, char *ep, size_t size);

/* Forgets every OXID, OID and set (tests). */
void oxid_reset(void);

/*
 * Tests and fuzzing: calls from outside the runtime (a struct ndr_server_call of the
 * caller's own, whose runtime is NULL) count as local calls of owner (0, the default:
 * oxidreg refuses them), so that one process can play an exporter.
 */
void oxid_set_foreign_call_owner(uint64_t owner);

#endif /* DCOM_RPCSS_OXID_H */
