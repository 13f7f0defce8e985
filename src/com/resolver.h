/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local OXID resolver (rpcss) as this process's object exporters use it: an
 * exporter registers its OXID -- the bindings at which its objects are called, the IPID
 * of its IRemUnknown, the authentication hint -- so that remote clients resolve it with
 * IObjectExporter::ResolveOxid2 on port 135 ([MS-DCOM] 3.1.2.5.1.1), and the OIDs it
 * hands out in OBJREFs, so that rpcss collects the clients' pings for them ([MS-DCOM]
 * 3.1.2.5.1.2-3) and tells the exporter which ones nobody pings any more (rundown).
 *
 * Over ncalrpc:[epmapper] only (idl/oxidreg.idl); what a process registers belongs to it
 * (its association) and goes when it exits.  Thread-safe, one connection per process;
 * the first call after rpcss restarted (or after com_resolver_disconnect) connects again
 * and registers again everything this process registered and did not revoke, with its
 * OIDs.  Errors: -ECONNREFUSED when rpcss is not running (-ETIMEDOUT when it does not
 * answer within 5 s), -ENOENT for an OXID rpcss does not know, -EACCES for another
 * process's OXID, -EEXIST for an OXID registered twice or an OID another OXID holds,
 * -ENOSPC past rpcss's bounds (services/rpcss/oxid.h: 64 OXIDs per process, 65536 OIDs
 * per OXID...), -ENOMEM, -EINVAL (a malformed DUALSTRINGARRAY).
 */
#ifndef DCOM_COM_RESOLVER_H
#define DCOM_COM_RESOLVER_H

#include <stdint.h>

#include "orpc.h"

/*
 * bindings: the exporter's string bindings and security bindings (DUALSTRINGARRAY as
 * on the wire, [MS-DCOM] 2.2.19).  On success *ret_resolver (may be NULL) gets the
 * resolver's own bindings, to put in OBJREFs' saResAddr (malloc'd, free()).
 */
int com_resolver_register_oxid(OXID oxid, const IPID *ipid_remunknown, uint32_t authn_hint,
                               const DUALSTRINGARRAY *bindings, DUALSTRINGARRAY **ret_resolver);
/* 0 also when rpcss is unreachable or restarted: the registration went with it. */
int com_resolver_revoke_oxid(OXID oxid);
/* OIDs clients will ping (those marshaled without SORF_NOPING). */
int com_resolver_add_oids(OXID oxid, const OID *oids, unsigned n);
int com_resolver_remove_oids(OXID oxid, const OID *oids, unsigned n);
/*
 * The OIDs of oxid whose rundown is due: no ping set holding them was pinged for three
 * ping periods (and, for an OID never pinged, three periods passed since it was added).
 * They are forgotten by rpcss once returned.  *ret is malloc'd (free()); *ret_n may be 0.
 */
int com_resolver_rundown(OXID oxid, OID **ret, unsigned *ret_n);
/*
 * A class object of this process's (CoRegisterClassObject with CLSCTX_LOCAL_SERVER) is
 * offered to activation: rpcss sends activations of clsid to this process's objact
 * interface at the OXID's ncalrpc binding, naming cookie.  Registered again after an
 * rpcss restart like the OXIDs.  -ENOENT for an OXID not registered, -EEXIST for a
 * cookie registered twice.
 */
int com_resolver_register_class(OXID oxid, const GUID *clsid, uint32_t cookie, uint32_t flags);
/* 0 also when rpcss is unreachable (the registration went with it). */
int com_resolver_revoke_class(uint32_t cookie);
/* The ping period in ms: OPENDCOM_PING_PERIOD_MS (10 to 120000; more is 120000), else
   120000 ([MS-DCOM] 3.1.2.2, 3.2.6).  rpcss reads the same variable. */
unsigned com_ping_period_ms(void);
/* Drops the process's connection to rpcss, which forgets its registrations until the
   next call reconnects and makes them again (tests). */
void com_resolver_disconnect(void);

#endif /* DCOM_COM_RESOLVER_H */
