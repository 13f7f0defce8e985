/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The endpoint mapper's database and implementation ([C706] appendix O, [MS-RPCE]
 * 2.2.1.2 and 3.1.2): what the server of e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0
 * (epm_server_epv) and rpcss's own registrations and the tests (epm_register ...) call.
 * It is rpcss's (libdcom has only the client side, src/rpc/epm-client.c); tests and fuzz
 * targets that drive it in process link it as services/meson.build's epm_server_dep.
 *
 * One process-wide database, guarded by a mutex, bounded: EPM_MAX_ENTRIES entries in all,
 * EPM_MAX_ENTRIES_PER_OWNER for one owner other than 0, towers of at most
 * RPC_TOWER_MAX_SIZE bytes, EPM_MAX_OPEN_HANDLES lookup/map handles open in all and
 * EPM_MAX_HANDLES_PER_OWNER for one owner other than 0.  Each entry and each handle has
 * an owner: the association that inserted or opened it (rpc_call_owner() of the call),
 * 0 for what is registered or looked up directly in process.  Whoever serves the
 * endpoint mapper hooks epm_forget_owner() to the end of an owner's association
 * (rpc_set_owner_end_hook), so that a local server's endpoints go when it exits.
 *
 * Who may change what: an entry belongs to its owner.  ept_insert's replace replaces only
 * the caller's own entries, and ept_delete / ept_mgmt_delete remove another owner's
 * entries only for an administrator: this process, root, or the user the endpoint mapper
 * runs as, identified by the kernel over ncalrpc (SO_PEERCRED).  Anyone else gets access
 * denied (5) for entries it does not own.  epm_register() and epm_insert_tower() replace
 * only entries of the owner they are given.
 *
 * Local and remote callers: ept_insert, ept_delete and ept_mgmt_delete change the map;
 * they are served only to local callers (ncalrpc, or a direct call with h == NULL) unless
 * epm_set_remote_management(true).  Remote callers get ept_s_cant_perform_op for
 * insert/delete and access denied (5) for mgmt_delete, as Windows refuses them.
 *
 * Call details (owner, transport) come from the runtime's rpc_call_owner() and
 * rpc_call_protseq(); a call from outside the runtime (h NULL, or a test's own
 * ndr_server_call) has owner 0 (or, for the latter, epm_set_foreign_call_owner()'s), and
 * counts as local only when h is NULL.
 *
 * Lookup/map handles ([MS-RPCE] 2.2.1.2.4-6): one is opened only for a reply that has
 * entries and leaves more behind; a reply with every remaining match, or with none (and
 * any reply to max_ents 0), comes with a null handle.  Handles are the runtime's context
 * handles: one left open is run down (ept_lookup_handle_t_rundown) when its
 * association ends.
 */
#ifndef DCOM_RPCSS_EPM_SERVER_H
#define DCOM_RPCSS_EPM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/errno-status.h"
#include "epm_stub.h"
#include "rpc/tower.h"
#include "rpc/rpc-internal.h"

#define EPM_MAX_ENTRIES 4096
#define EPM_MAX_ENTRIES_PER_OWNER 1024
#define EPM_MAX_OPEN_HANDLES 16384      /* lookup/map handles, all clients together */
/*
 * Lookup/map handles one association holds open.  A client pages one lookup at a time
 * (rpcdump, impacket, RpcMgmtEpEltInq*): 8 leaves room for a few at once.  And every owner
 * holding handles holds a connection, so with the runtime's default connection budgets
 * (1024 TCP + 1024 ncalrpc) 2048 * 8 = EPM_MAX_OPEN_HANDLES: exhausting the handles
 * takes every connection the server accepts, a denial of service the handles add nothing
 * to.  (At 64 each, 256 connections would do.)
 */
#define EPM_MAX_HANDLES_PER_OWNER 8
#define EPM_ANNOTATION_SIZE 64          /* ept_max_annotation_size, with the NUL */


/* The implementation for the generated server stub (epm_v3_0_s_interface). */
extern const struct epm_v3_0_epv epm_server_epv;

/*
 * Registers iface over protseq at endpoint (TCP: the port in decimal; LRPC: the socket
 * name) for object (NULL: nil), owned by owner (0: until unregistered).  Like
 * RpcEpRegister it replaces the entries with the same interface (uuid, major version),
 * object and protocol sequence.  0, -EINVAL, -ENOSPC (the database or the owner's share
 * of it is full), -ENOMEM.
 */
int epm_register(const struct ndr_interface *iface, const GUID *object, enum rpc_protseq protseq,
                 const char *endpoint, const char *annotation, uint64_t owner);

/* Removes what epm_register() added (any owner).  0 or -ENOENT, -EINVAL. */
int epm_unregister(const struct ndr_interface *iface, const GUID *object,
                   enum rpc_protseq protseq, const char *endpoint);

/*
 * The general form (ept_insert's): one entry for a tower of len bytes.  replace as
 * ept_insert's flag; without it an entry with the same object and tower only gets the
 * new annotation.  -EBADMSG for a tower that is not a valid interface tower, -E2BIG past
 * RPC_TOWER_MAX_SIZE, -ENOSPC, -ENOMEM.
 */
int epm_insert_tower(const GUID *object, const uint8_t *tower, size_t len,
                     const char *annotation, uint64_t owner, bool replace);

/* Removes every entry of owner (its association ended).  owner 0 is never forgotten. */
void epm_forget_owner(uint64_t owner);

/* Removes every entry and forgets the settings (tests). */
void epm_reset(void);

/* Lets remote callers insert and delete (off by default). */
void epm_set_remote_management(bool allow);

/* One entry of the map, as epm_list() copies it. */
struct epm_entry_info {
        GUID object;
        struct rpc_tower_syntax iface;
        const char *protseq;            /* "ncacn_ip_tcp", "ncalrpc", ...; NULL if unknown */
        char endpoint[128];             /* rpc_tower_endpoint_string(); "" if unreadable */
        char annotation[EPM_ANNOTATION_SIZE];
        uint64_t owner;
        uid_t uid;                      /* who registered it: the kernel's word (ncalrpc) */
        pid_t pid;                      /* or this process; (uid_t)-1 for a remote caller */
        uint8_t *tower;                 /* the tower as registered */
        size_t tower_len;
};

/* A snapshot of the map in registration order; free with epm_list_free().  0 or -ENOMEM. */
int epm_list(struct epm_entry_info **ret, size_t *ret_n);
void epm_list_free(struct epm_entry_info *v, size_t n);

/* Entries in the map; lookup/map handles open (allocated and not yet freed or run down),
   in all and those of one owner (other than 0). */
size_t epm_count(void);
unsigned epm_open_handles(void);
unsigned epm_open_handles_of(uint64_t owner);
/* At most max handles open at once (0: EPM_MAX_OPEN_HANDLES); more get ept_s_no_memory. */
void epm_set_max_handles(unsigned max);
/* At most max handles open for one owner other than 0 (0: EPM_MAX_HANDLES_PER_OWNER);
   more get ept_s_no_memory (tests; epm_reset() restores the default). */
void epm_set_max_handles_per_owner(unsigned max);
/*
 * Tests: calls from outside the runtime (an ndr_server_call of the test's own, whose
 * runtime is NULL) act as owner instead of 0 -- for inserts and for the handles they
 * open -- so that one process can play several clients.  epm_reset() restores 0.
 */
void epm_set_foreign_call_owner(uint64_t owner);

#endif /* DCOM_RPCSS_EPM_SERVER_H */
