/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The connection-oriented DCE/RPC runtime ([C706] chapter 12, [MS-RPCE] 2.2.2 and
 * 3.3.1): PDUs (pdu.c), the server's per-connection protocol engine (conn.c), the
 * server (server.c: listeners, registered interfaces, the event loop and its thread
 * pool), the client (client.c: binding handles, connections, calls), string bindings
 * (binding.c), protocol towers (tower.c), the endpoint mapper's client (epm-client.c), the
 * management interface (mgmt.c).  The endpoint mapper's server is rpcss's
 * (services/rpcss/epm-server.c).
 *
 * Internal errors are negative errno; src/base/status.c's errno -> status table
 * (base/errno-status.h) gives the RPC_S_* a caller sees (rpc_binding_status(): a binding's
 * call) and the nca_s_* a fault carries.
 */
#ifndef DCOM_RPC_INTERNAL_H
#define DCOM_RPC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "base/base-internal.h"
#include "ndr/ndr-stub.h"

/* --- PDUs ([C706] 12.6, [MS-RPCE] 2.2.2) ------------------------------------------------- */

enum rpc_ptype {
        RPC_PTYPE_REQUEST = 0,
        RPC_PTYPE_PING = 1,             /* connectionless only */
        RPC_PTYPE_RESPONSE = 2,
        RPC_PTYPE_FAULT = 3,
        RPC_PTYPE_WORKING = 4,
        RPC_PTYPE_NOCALL = 5,
        RPC_PTYPE_REJECT = 6,
        RPC_PTYPE_ACK = 7,
        RPC_PTYPE_CL_CANCEL = 8,
        RPC_PTYPE_FACK = 9,
        RPC_PTYPE_CANCEL_ACK = 10,
        RPC_PTYPE_BIND = 11,
        RPC_PTYPE_BIND_ACK = 12,
        RPC_PTYPE_BIND_NAK = 13,
        RPC_PTYPE_ALTER_CONTEXT = 14,
        RPC_PTYPE_ALTER_CONTEXT_RESP = 15,
        RPC_PTYPE_AUTH3 = 16,
        RPC_PTYPE_SHUTDOWN = 17,
        RPC_PTYPE_CO_CANCEL = 18,
        RPC_PTYPE_ORPHANED = 19,
};

/* pfc_flags */
#define RPC_PFC_FIRST_FRAG 0x01
#define RPC_PFC_LAST_FRAG 0x02
#define RPC_PFC_PENDING_CANCEL 0x04     /* request: cancel was pending; also SUPPORT_HEADER_SIGN
                                           in bind/bind_ack ([MS-RPCE] 2.2.2.3) */
#define RPC_PFC_SUPPORT_HEADER_SIGN 0x04
#define RPC_PFC_RESERVED_1 0x08
#define RPC_PFC_CONC_MPX 0x10
#define RPC_PFC_DID_NOT_EXECUTE 0x20
#define RPC_PFC_MAYBE 0x40
#define RPC_PFC_OBJECT_UUID 0x80

#define RPC_CO_HEADER_SIZE 16
#define RPC_SEC_TRAILER_SIZE 8

/* The common header of every connection-oriented PDU ([C706] 12.6.3.1). */
struct rpc_hdr {
        uint8_t rpc_vers, rpc_vers_minor;       /* 5.0 (or 5.1) */
        uint8_t ptype, pfc_flags;
        uint8_t drep[4];
        uint16_t frag_length, auth_length;
        uint32_t call_id;
};

/* [MS-RPCE] 2.2.2.11 sec_trailer: where an auth verifier starts. */
struct rpc_sec_trailer {
        uint8_t auth_type, auth_level, auth_pad_length, auth_reserved;
        uint32_t auth_context_id;
};

/* An abstract or transfer syntax: interface uuid and version ([C706] p_syntax_id_t). */
struct rpc_syntax_id {
        GUID uuid;
        uint16_t ver_major, ver_minor;
};

extern const struct rpc_syntax_id rpc_syntax_ndr20;    /* 8a885d04-... v2.0 */
extern const struct rpc_syntax_id rpc_syntax_ndr64;    /* 71710533-... v1.0 (declined) */
/* [MS-RPCE] 3.3.1.5.3 bind time feature negotiation: 6cb71c2c-9812-4540-XXXX-0... */
bool rpc_syntax_is_btfn(const struct rpc_syntax_id *s, uint16_t *ret_bitmask);

#define RPC_MAX_CONTEXTS_PER_BIND 32
#define RPC_MAX_TRANSFER_SYNTAXES 4

struct rpc_pres_context {
        uint16_t context_id;
        struct rpc_syntax_id abstract;
        struct rpc_syntax_id transfer[RPC_MAX_TRANSFER_SYNTAXES];
        unsigned n_transfer;            /* those kept (more are read and ignored) */
};

/* bind / alter_context */
struct rpc_bind {
        uint16_t max_xmit_frag, max_recv_frag;
        uint32_t assoc_group_id;
        struct rpc_pres_context contexts[RPC_MAX_CONTEXTS_PER_BIND];
        unsigned n_contexts;
};

/* [C706] 12.6.3.1 p_cont_def_result_t and provider reasons */
enum {
        RPC_RESULT_ACCEPTANCE = 0,
        RPC_RESULT_USER_REJECTION = 1,
        RPC_RESULT_PROVIDER_REJECTION = 2,
        RPC_RESULT_NEGOTIATE_ACK = 3,           /* [MS-RPCE] 2.2.2.4 */
};
enum {
        RPC_REASON_NOT_SPECIFIED = 0,
        RPC_REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED = 1,
        RPC_REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED = 2,
        RPC_REASON_LOCAL_LIMIT_EXCEEDED = 3,
};
/* bind_nak reject reasons ([C706] 12.6.3.1 p_reject_reason_t) */
enum {
        RPC_BIND_NAK_REASON_NOT_SPECIFIED = 0,
        RPC_BIND_NAK_TEMPORARY_CONGESTION = 1,
        RPC_BIND_NAK_LOCAL_LIMIT_EXCEEDED = 2,
        RPC_BIND_NAK_PROTOCOL_VERSION_NOT_SUPPORTED = 4,
        RPC_BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED = 8,
        RPC_BIND_NAK_INVALID_CHECKSUM = 9,
};

/* A parsed PDU; pointers into the caller's bytes. */
struct rpc_pdu {
        struct rpc_hdr hdr;
        const uint8_t *raw;             /* the whole PDU, frag_length bytes */
        const uint8_t *body;            /* after the header, before the auth padding/trailer */
        size_t body_len;
        bool has_auth;
        struct rpc_sec_trailer sec;
        const uint8_t *auth;            /* the auth verifier's credentials */
        size_t auth_len;
        /* request, response, fault */
        uint32_t alloc_hint;
        uint16_t context_id, opnum;
        bool has_object;
        GUID object;
        const uint8_t *stub;
        size_t stub_len;
        uint32_t status;                /* fault */
};

/*
 * Framing ([C706] 12.6.1), for both sides (src/rpc/reader.c): received bytes go into
 * rpc_reader_room() (which may move what is pending, so a PDU from rpc_reader_next() is
 * valid until the next call to it), rpc_reader_filled() says how many came, and
 * rpc_reader_next() gives each whole PDU in place: 1 with it, 0 when more bytes are
 * needed, -EPROTO / -EPROTONOSUPPORT for a bad header.  since_ms: when the bytes of the
 * PDU being received began to arrive (its deadline).  rpc_reader_trim() gives a grown
 * buffer back when nothing is pending.
 */
struct rpc_reader {
        uint8_t *buf;
        size_t cap, len, off;
        uint64_t since_ms;
};
int rpc_reader_room(struct rpc_reader *r, uint8_t **ret, size_t *ret_n);
void rpc_reader_filled(struct rpc_reader *r, size_t n);
int rpc_reader_next(struct rpc_reader *r, const uint8_t **ret, size_t *ret_len);
size_t rpc_reader_pending(const struct rpc_reader *r);
void rpc_reader_trim(struct rpc_reader *r);
/* A stream of large PDUs is coming (a fragmented call): grows the buffer to 64 KiB so
   that one read takes several fragments; rpc_reader_trim gives it back. */
void rpc_reader_bulk(struct rpc_reader *r);
/* The first n pending bytes were taken elsewhere (fragments received in place). */
void rpc_reader_drop(struct rpc_reader *r, size_t n);
void rpc_reader_free(struct rpc_reader *r);

/* 0, -EAGAIN (fewer than 16 bytes), -EPROTO / -EPROTONOSUPPORT (bad header). */
int rpc_hdr_parse(const uint8_t *p, size_t len, struct rpc_hdr *ret);
static inline void rpc_hdr_write(uint8_t *p, uint8_t ptype, uint8_t flags, uint16_t frag_length,
                                 uint16_t auth_length, uint32_t call_id) {
        /* two 8-byte little-endian words: version 5.0, ptype, flags and the data
           representation (ndr_drep_le: 0x10 0 0 0); frag_length, auth_length, call_id */
        dcom_put_le64(p, 5 | (uint64_t)ptype << 16 | (uint64_t)flags << 24 | (uint64_t)0x10 << 32);
        dcom_put_le64(p + 8, frag_length | (uint64_t)auth_length << 16 | (uint64_t)call_id << 32);
}
/* A whole PDU (len must be its frag_length). */
int rpc_pdu_parse(const uint8_t *p, size_t len, struct rpc_pdu *ret);
int rpc_request_parse(struct rpc_pdu *pdu);
int rpc_response_parse(struct rpc_pdu *pdu);
int rpc_fault_parse(struct rpc_pdu *pdu);
int rpc_stub_of(struct rpc_pdu *pdu, const void *reader);
/* -E2BIG for more than RPC_MAX_CONTEXTS_PER_BIND contexts (answered with a bind_nak). */
int rpc_bind_parse(const struct rpc_pdu *pdu, struct rpc_bind *ret);

/* Writing (always little-endian): begin writes a header, end patches frag_length. */
size_t rpc_pdu_begin(struct buf *b, uint8_t ptype, uint8_t flags, uint32_t call_id);
int rpc_pdu_end(struct buf *b, size_t start);
void rpc_put_u16(struct buf *b, uint16_t v);
void rpc_put_u32(struct buf *b, uint32_t v);
void rpc_put_syntax(struct buf *b, const struct rpc_syntax_id *s);
void rpc_put_align(struct buf *b, size_t start, size_t a);

/* --- security providers ([MS-RPCE] 2.2.1.1.7, 2.2.2.11, 3.3.1.5.2) ------------------------ */

/* auth_level */
enum {
        RPC_AUTHN_LEVEL_NONE = 1,
        RPC_AUTHN_LEVEL_CONNECT = 2,
        RPC_AUTHN_LEVEL_CALL = 3,
        RPC_AUTHN_LEVEL_PKT = 4,
        RPC_AUTHN_LEVEL_PKT_INTEGRITY = 5,
        RPC_AUTHN_LEVEL_PKT_PRIVACY = 6,
};

/*
 * [MS-RPCE] 2.2.1.1.8: a level a provider cannot give is upgraded to the next it can.  Ours
 * (NTLM, Kerberos, SPNEGO) have no replay-only protection: PKT is given as PKT_INTEGRITY
 * (every PDU signed, the level on the wire staying 4, as Windows and Samba do), and CALL,
 * which connection-oriented RPC takes as PKT, goes on the wire as PKT (a Windows server
 * refuses a bind at CALL).
 */
static inline uint8_t rpc_authn_level_client(uint8_t level) {
        return level == RPC_AUTHN_LEVEL_CALL ? RPC_AUTHN_LEVEL_PKT : level;
}

/* impersonation levels (RPC_C_IMP_LEVEL_* in <rpcdce.h>) */
enum {
        RPC_IMP_LEVEL_IDENTIFY = 2,
        RPC_IMP_LEVEL_IMPERSONATE = 3,
        RPC_IMP_LEVEL_DELEGATE = 4,     /* Kerberos only: the client forwards its ticket */
};

/* auth_type ([MS-RPCE] 2.2.1.1.7) */
enum {
        RPC_AUTHN_NONE = 0,
        RPC_AUTHN_GSS_NEGOTIATE = 9,
        RPC_AUTHN_WINNT = 10,
        RPC_AUTHN_GSS_KERBEROS = 16,
};

/*
 * A security provider, as the security layer registers one per auth_type (NTLM = 10,
 * SPNEGO = 9, Kerberos = 16).  The runtime keeps one context per auth_context_id on a
 * connection (several per connection: [MS-RPCE] 3.3.1.5.2, impacket's alter_context
 * with a new id; Samba re-sending a token under the same id continues that context).
 *
 *  accept  a new server context from the first token of a bind/alter_context;
 *  step    every later token (alter_context, AUTH3);
 *          both may append a token for the peer to out (bind_ack/alter_context_resp;
 *          none is sent for AUTH3) and set *done once the context is established.
 *  verify  a request PDU at auth_level >= PKT_INTEGRITY: pdu/len is the whole PDU (the
 *          stub plaintext after unsealing, in place, at PKT_PRIVACY), stub the part
 *          sealed, verifier the auth_value; 0 or -EACCES.
 *  sign    a response PDU built with a zeroed verifier of verifier_size(): fill it (and
 *          seal the stub in place at PKT_PRIVACY).
 * Errors are negative errno; -EACCES means "access denied" on the wire.
 */
/* Who an authenticated peer is (RpcServerInqCallAttributes in spirit). */
struct rpc_identity {
        char user[257];                 /* the account's name; "ANONYMOUS LOGON" */
        char domain[257];               /* its authority: our NetBIOS domain, "NT AUTHORITY" */
        char sid[80];                   /* S-1-5-21-...-RID, S-1-22-1-UID, S-1-5-7 */
        bool anonymous;
        bool has_uid;                   /* the name is also a Unix user */
        uid_t uid;
        /* what the client allows ([MS-RPCE] 2.2.1.1.9 levels): RPC_IMP_LEVEL_IDENTIFY
           when it asked for an identification-only token (NTLM's NEGOTIATE_IDENTIFY),
           else RPC_IMP_LEVEL_IMPERSONATE */
        uint8_t imp_level;
};

/* A client's credentials (SEC_WINNT_AUTH_IDENTITY in spirit); user "" is anonymous. */
struct rpc_auth_identity {
        const char *user;
        const char *domain;
        const char *password;
        /* Kerberos and Negotiate: the server's principal (RpcBindingSetAuthInfoEx's
           ServerPrincName), as rpc_gss_set_target() takes it; NULL: the process's */
        const char *target;
        /* RPC_C_IMP_LEVEL_*: IDENTIFY asks the server for an identification-only token
           (the server may query who calls, not act as it); 0 and the others: impersonate */
        uint8_t imp_level;
};

struct rpc_auth_ops {
        uint8_t auth_type;
        const char *name;
        int (*accept)(void **ret_ctx, const uint8_t *in, size_t in_len, struct buf *out,
                      bool *done);
        /* the next leg; out is NULL for an AUTH3's token, which has no answer */
        int (*step)(void *ctx, const uint8_t *in, size_t in_len, struct buf *out, bool *done);
        int (*verify)(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                      size_t stub_len, const uint8_t *verifier, size_t verifier_len);
        int (*sign)(void *ctx, uint8_t level, uint8_t *pdu, size_t len, uint8_t *stub,
                    size_t stub_len, uint8_t *verifier, size_t verifier_len);
        size_t (*verifier_size)(void *ctx, uint8_t level);
        void (*free)(void *ctx);
        /* the client's side (optional): the first token for an identity, then each
           answer of the server's to the next token; *done once established */
        int (*init)(void **ret_ctx, const struct rpc_auth_identity *id, struct buf *out,
                    bool *done);
        int (*init_step)(void *ctx, const uint8_t *in, size_t in_len, struct buf *out,
                         bool *done);
        /* optional: who the peer is, once the context is established */
        int (*inq_identity)(void *ctx, struct rpc_identity *ret);
        /* optional: why the last accept/step failed, naming the user if known (the
           audit line's text); NULL if nothing to say */
        const char *(*failure)(void *ctx);
        /* optional: whether header signing ([MS-RPCE] 3.3.1.5.2.2: both sides set
           PFC_SUPPORT_HEADER_SIGN in bind/bind_ack) applies to the context's PDUs, for
           providers whose verifier covers the header only then (Kerberos: gss-rpc.c;
           NTLM's always does) -- for the runtime to call once the bind is answered */
        void (*header_signing)(void *ctx, bool on);
        /* optional, server side: the credential the client delegated (Kerberos with
           RPC_C_IMP_LEVEL_DELEGATE), as an opaque handle this thread's outgoing calls
           may use (rpc_call_delegate); -ENOKEY when the client delegated none */
        int (*delegated)(void *ctx, void **ret_cred);
};

/*
 * One security context as the per-PDU code sees it, on either side ([MS-RPCE] 2.2.2.11):
 * src/rpc/sec.c, shared by the client and the server.
 */
struct rpc_sec_ref {
        const struct rpc_auth_ops *ops;
        void *ctx;
        uint8_t type, level;
        uint32_t id;                    /* auth_context_id */
};
/* Whether PDUs of s carry a verifier (PKT, PKT_INTEGRITY and PKT_PRIVACY: 2.2.1.1.8). */
bool rpc_sec_protects(const struct rpc_sec_ref *s);
/* The most a fragment's verifier adds (padding, sec_trailer, verifier); 0 unprotected. */
size_t rpc_sec_overhead(const struct rpc_sec_ref *s);
/*
 * Appends the padding (to align what follows base), a sec_trailer and the token (len
 * zero bytes when tok is NULL), setting auth_length of the PDU at start; the padding.
 */
size_t rpc_sec_put_trailer(struct buf *out, size_t start, size_t base, size_t align,
                           const struct rpc_sec_ref *s, const uint8_t *tok, size_t len);
/*
 * Ends a request or response fragment begun at start whose stub began stub_off bytes
 * into it: protected, the stub is padded to 16, a sec_trailer and the verifier appended,
 * and the PDU signed (PKT_INTEGRITY) or sealed (PKT_PRIVACY); otherwise it is only
 * ended.  0, -EACCES (the provider failed), -ENOMEM, -E2BIG.
 */
int rpc_sec_end_fragment(struct buf *out, size_t start, size_t stub_off, const struct rpc_sec_ref *s);
/*
 * Verifies (and unseals) a received request or response fragment of a protected
 * context, in raw (a writable copy of pdu->raw, or pdu->raw's own bytes); pdu then
 * points into raw.  -EACCES for a missing or foreign verifier, a bad signature, a
 * replayed or reordered sequence number.
 */
int rpc_sec_open_fragment(struct rpc_pdu *pdu, uint8_t *raw, const struct rpc_sec_ref *s);

/*
 * Writes a request or response stub as fragments ([C706] 12.6.4.9/10), each signed or
 * sealed by sec (NULL or below PKT_INTEGRITY: plain) -- the one fragment writer of both
 * sides.  With emit, out holds one fragment at a time and emit sends it; without, every
 * fragment is appended to out.  0, -EACCES (the provider failed: nothing of this call
 * may go out), -ENOMEM, or emit's error.
 */
struct rpc_frag_spec {
        uint8_t ptype;                  /* RPC_PTYPE_REQUEST or RPC_PTYPE_RESPONSE */
        uint32_t call_id;
        uint16_t context_id, opnum;     /* opnum, object: requests only */
        const GUID *object;
        uint16_t max_xmit;
        const struct rpc_sec_ref *sec;
        int (*emit)(void *ctx, const uint8_t *pdu, size_t len);
        void *emit_ctx;
        /* with emit: 0 hands each fragment over alone; else fragments gather in out and
           go over together once they reach flush_at bytes, and at the last one */
        size_t flush_at;
        /* with flush_at: several unprotected fragments go to emitv instead, their headers
           from out and their stubs from the caller's buffer (no copy), up to 64 fragments
           at a time whatever flush_at says */
        int (*emitv)(void *ctx, struct iovec *iov, int n);
};
int rpc_frag_write(struct buf *out, const struct rpc_frag_spec *f, const uint8_t *stub,
                   size_t len);
/* The stub bytes a fragment of max_xmit bytes holds behind its head and a verifier's
   overhead (at least 16, whatever a peer negotiated): one fragment takes len <= this. */
static inline size_t rpc_frag_room(uint16_t max_xmit, size_t head, size_t overhead) {
        size_t room = max_xmit - head - overhead;

        return room < 16 || room > max_xmit ? 16 : room;
}
/* The same for a stub of len bytes in pieces, in order (a request with referenced arrays,
   ndr_push_stub_iov): gathered, each fragment's slices go out from where they lie. */
int rpc_frag_writev(struct buf *out, const struct rpc_frag_spec *f, const struct iovec *pieces,
                    int n_pieces, size_t len);

/*
 * The verification trailer ([MS-RPCE] 2.2.2.13): what a protected request says about
 * itself at the end of its stub -- the presentation context, its own header, whether the
 * client supports header signing -- so that a man in the middle who changed unsigned
 * parts of the exchange (the bind's syntaxes, the header when it is not signed, the
 * header-signing flag) is caught.  Our client appends one to every request at
 * PKT_INTEGRITY and above; our server checks it when present.
 */
struct rpc_vt_call {
        struct rpc_syntax_id abstract, transfer;
        uint8_t drep[4];
        uint32_t call_id;
        uint16_t context_id, opnum;
        bool header_signing;            /* negotiated (server) / offered (client) */
};
/* Appends the trailer to b, whose stub began at stub_start. */
void rpc_sec_vt_append(struct buf *b, size_t stub_start, const struct rpc_vt_call *v);
/*
 * Finds and checks the trailer at the end of a request's stub (little-endian whatever
 * v->drep says, as Samba's big-endian client writes it): 0 (none, or one that
 * matches: *ret_len is then the stub's length without it), -EACCES for a mismatch or a
 * must-process command we do not know, -EBADMSG for a malformed one.
 */
int rpc_sec_vt_check(const uint8_t *stub, size_t len, const struct rpc_vt_call *v,
                     size_t *ret_len);

/*
 * Security failures (wrong password, unknown user, a level below an interface's
 * minimum, a bad signature) are audited: one line each, to the hook a daemon sets (rpcss
 * prints them), or to the "rpc" debug channel without one.
 */
void rpc_set_audit_hook(void (*hook)(const char *line));
void rpc_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The built-in providers (NTLM; src/rpc/auth), registered once; 0 or negative errno. */
int rpc_auth_register_defaults(void);

/* Process-wide; -EEXIST for an auth_type taken, -ENOSPC when full. */
int rpc_auth_register(const struct rpc_auth_ops *ops);
void rpc_auth_unregister(const struct rpc_auth_ops *ops);
const struct rpc_auth_ops *rpc_auth_find(uint8_t auth_type);

/* --- server calls ------------------------------------------------------------------------ */

/*
 * What an implementation learns from its handle_t (the struct ndr_server_call * that the
 * generated stub passes): an owner key of the association the call came on (the same
 * for every connection of an association group; endpoints a server registers with the
 * endpoint mapper are removed when their owner's association ends), the transport and
 * addresses.  NULL or a call from outside the runtime gives 0 / -EINVAL.
 */
uint64_t rpc_call_owner(void *h);
enum rpc_protseq {
        RPC_PROTSEQ_NONE = 0,
        RPC_PROTSEQ_TCP,                /* ncacn_ip_tcp */
        RPC_PROTSEQ_LRPC,               /* ncalrpc: a Unix socket under the state directory */
};
enum rpc_protseq rpc_call_protseq(void *h);
int rpc_call_local_addr(void *h, struct sockaddr_storage *ret, socklen_t *ret_len);

/*
 * Who is at the other end of a call's connection, as the kernel tells it, not as the
 * peer claims: over ncalrpc the process's credentials at connect time (SO_PEERCRED);
 * over TCP the peer's address without its port.  An association group belongs to its
 * first connection's peer: a connection from another user or another address cannot
 * join it (and so cannot act as the owner of what the group registered).
 */
struct rpc_peer {
        bool has_cred;                  /* ncalrpc: uid, gid and pid are the kernel's */
        uid_t uid;
        gid_t gid;
        pid_t pid;
        int family;                     /* TCP: AF_INET or AF_INET6, addr in network order */
        uint8_t addr[16];
};
/* Who authenticated the call's security context; -ENODATA for an unauthenticated call. */
int rpc_call_identity(void *h, struct rpc_identity *ret);
/*
 * Acting for the caller: this thread's outgoing Kerberos/Negotiate calls that bring no
 * credentials of their own use the one the caller delegated (RPC_C_IMP_LEVEL_DELEGATE),
 * until rpc_call_undelegate().  -ENOKEY: the caller delegated none.
 * RpcImpersonateClient and CoImpersonateClient call it.
 */
int rpc_call_delegate(void *h);
void rpc_call_undelegate(void);
/* The peer of a call's connection; -EINVAL for a call from outside the runtime. */
int rpc_call_peer(void *h, struct rpc_peer *ret);
/* The same peer: the same user (ncalrpc) or the same address (TCP). */
bool rpc_peer_same(const struct rpc_peer *a, const struct rpc_peer *b);

const GUID *rpc_call_object(void *h);      /* PFC_OBJECT_UUID's object, or NULL */
/* Whether the call's client cancelled it (a co_cancel or orphaned PDU for it has come in
   behind the request); -EINVAL for a call from outside the runtime. */
int rpc_call_cancelled(void *h);
/* The call's security: auth_type and auth_level (RPC_AUTHN_LEVEL_NONE, type 0, ctx NULL
   for an unauthenticated call) and the provider's context (for the client's identity). */
int rpc_call_auth(void *h, uint8_t *ret_type, uint8_t *ret_level, void **ret_ctx);
/*
 * Who is calling, as a number: the same for every call over one connection under one
 * security context (or none) as long as nothing about that context changes, and never
 * the same for two callers in the life of the process -- a cache of what was decided
 * about a caller (COM's access check) may be keyed on it.  0 for a call from outside the
 * runtime.
 */
uint64_t rpc_call_caller_key(void *h);
/* The next of the process's serial numbers (from 1; rpc_call_caller_key's). */
uint64_t rpc_serial_next(void);

/* An owner's association ended: the hooks of the services keeping what owners registered
   (rpcss: the endpoint mapper's, the OXID resolver's), called in the order added.  Adding
   one again is a no-op; 0, or -ENOSPC past 4. */
int rpc_set_owner_end_hook(void (*hook)(uint64_t owner));

/* --- the server ---------------------------------------------------------------------------- */

struct rpc_server;

struct rpc_stats {
        uint64_t calls_in, calls_out, pkts_in, pkts_out;
        uint64_t stub_in_place;                 /* request stub bytes received in place */
        uint64_t calls_guessed;                 /* ... from the call's first byte, its first
                                                   fragment as the last call's predicted */
        uint64_t guesses_missed;                /* a guess whose first fragment did not come
                                                   (other bytes came, or not whole in time) */
        unsigned lingering;                     /* now: threads waiting in their connection's
                                                   read for its next bytes */
};

/* A server answering the management interface; NULL without memory. */
struct rpc_server *rpc_server_new(void);
/* Stops it (see rpc_server_stop) and frees it. */
void rpc_server_free(struct rpc_server *srv);
/* Serves a generated interface (Foo_vX_Y_s_interface) with its implementation. */
int rpc_server_register_if(struct rpc_server *srv, const struct ndr_interface *iface,
                           const void *epv);
/* The same with a minimum auth_level: calls below it get access denied (and an audit
   line); RPC_AUTHN_LEVEL_NONE admits everyone, as rpc_server_register_if().  PKT's
   PDUs are signed as PKT_INTEGRITY's ([MS-RPCE] 2.2.1.1.8), CALL is PKT.  A level says
   how the PDUs are protected, not who the caller is: anonymous NTLM at PKT_PRIVACY
   passes it (as Windows' RPC_IF_ALLOW_SECURE_ONLY); who may call is
   rpc_call_identity()'s to tell. */
int rpc_server_register_if2(struct rpc_server *srv, const struct ndr_interface *iface,
                            const void *epv, uint8_t min_level);
/*
 * An object (ORPC) interface ([MS-DCOM] 3.1.1.5.4): its calls, whose object UUID names
 * the interface pointer (the IPID), go to invoke(call, opnum, ctx) -- the COM layer's,
 * which finds the object, runs the generated stub where the object lives (call->impl
 * the interface pointer) and returns what the stub returned; or it sets *ret_fault to a
 * fault status to send as it is (RPC_E_DISCONNECTED for an IPID it does not know).  Registering the
 * same interface with the same invoke and ctx again is a no-op.
 */
int rpc_server_register_object_if(struct rpc_server *srv, const struct ndr_interface *iface,
                                  uint8_t min_level,
                                  int (*invoke)(struct ndr_server_call *call, uint16_t opnum,
                                                void *ctx, uint32_t *ret_fault),
                                  void *ctx);
/* Stops serving iface (registered with either call above): new calls to it get
   nca_s_unk_if; -ENOENT when it was not registered. */
int rpc_server_unregister_if(struct rpc_server *srv, const struct ndr_interface *iface);
/* ncacn_ip_tcp on addr (NULL: every address, IPv4 and IPv6) and port (0: dynamic). */
int rpc_server_listen_tcp(struct rpc_server *srv, const char *addr, uint16_t port,
                          uint16_t *ret_port);
/*
 * ncalrpc endpoint name: a file name; the socket is rpc/NAME in the runtime directory
 * (machine-wide, mode 1777), or NAME there for a system service's well-known endpoint
 * (epmapper; that directory is 0755, the service's).  0, or 1 when a stale socket of
 * ours was replaced; -EADDRINUSE when the name is served, or is another user's.
 */
int rpc_server_listen_lrpc(struct rpc_server *srv, const char *endpoint, mode_t mode);
int rpc_lrpc_path(const char *endpoint, char *buf, size_t size);
bool rpc_lrpc_well_known(const char *endpoint);
/* Creates the runtime directory (0755) and its rpc/ (1777) if missing, and makes rpc/
   1777 when it is ours (or we are root).  0 or a negative errno. */
int rpc_lrpc_prepare(void);
/* Closes the listeners, ends every connection (after the calls running), stops the
   pool.  Not from a call of this server: it waits for that call. */
void rpc_server_stop(struct rpc_server *srv);
unsigned rpc_server_interfaces(struct rpc_server *srv, const struct ndr_interface **ret,
                               unsigned max);
void rpc_server_get_stats(struct rpc_server *srv, struct rpc_stats *ret);
/* At most max TCP connections at once (0: the default, 1024); more get a bind_nak
   "temporary congestion" (RPC_S_SERVER_TOO_BUSY).  ncalrpc connections have a budget
   of their own (the same default), so that remote peers cannot lock local clients out. */
void rpc_server_set_max_connections(struct rpc_server *srv, unsigned max);
void rpc_server_set_max_local_connections(struct rpc_server *srv, unsigned max);
/* A connection that has not bound within bind_ms of its accept is closed (0: the
   default, 5 s), and so is a bound TCP connection idle for idle_ms between PDUs (0: the
   default, 5 min); bound ncalrpc connections stay (they hold endpoint registrations). */
void rpc_server_set_timeouts(struct rpc_server *srv, unsigned bind_ms, unsigned idle_ms);
/*
 * Bounds on what peers may hold (0 in a field: its default).  A PDU must be whole within
 * pdu_timeout_ms of its first byte (10 s) and a fragmented request within
 * call_timeout_ms of its first fragment (60 s), however the bytes trickle; one address
 * (TCP) or one local user (ncalrpc) has at most max_per_peer connections (256);
 * requests being reassembled hold at most max_partial_bytes in all (256 MiB).  At a
 * connection bound the connection idle longest is closed for the newcomer (see
 * server.c make_room_locked).  The pool runs at most max_threads calls at once (256):
 * past it, ready connections wait in the event loop until a call ends.
 */
struct rpc_server_limits {
        unsigned pdu_timeout_ms, call_timeout_ms;
        unsigned max_per_peer;
        size_t max_partial_bytes;
        unsigned max_threads;
};
void rpc_server_set_limits(struct rpc_server *srv, const struct rpc_server_limits *l);
/* Connections being served and association groups alive. */
void rpc_server_counts(struct rpc_server *srv, unsigned *ret_conns, unsigned *ret_assocs);
/* The pool's threads now, and the most it has had. */
void rpc_server_threads(struct rpc_server *srv, unsigned *ret_threads, unsigned *ret_peak);
int rpc_mgmt_register(struct rpc_server *srv);
/* Registers iface at every listener with the local endpoint mapper (ncalrpc:[epmapper]);
   the entries live as long as this server (RpcEpRegister's role). */
int rpc_server_register_ep(struct rpc_server *srv, const struct ndr_interface *iface,
                           const char *annotation);

/* Called on the thread that ran a connection's calls once their responses have been
   written (or handed to the event loop because the peer had no room, or never will be:
   the connection closed) -- the public API's RpcServerListen waits for them
   (api-server.c).  Set once, atomically. */
extern void (*rpc_answered_hook)(void);

/* The reverse (RpcEpUnregister): ept_delete of iface's entries; -ENOENT when this server
   did not register it. */
int rpc_server_unregister_ep(struct rpc_server *srv, const struct ndr_interface *iface);

/* --- string bindings (binding.c) ------------------------------------------------------- */

#define RPC_MAX_BINDING_OPTIONS 8

struct rpc_string_binding {
        bool has_object;
        GUID object;
        enum rpc_protseq protseq;
        char host[256];
        char endpoint[64];
        char options[RPC_MAX_BINDING_OPTIONS][96];
        unsigned n_options;
};

/* [ObjectUuid@]ProtSeq:[NetworkAddr][[Endpoint][,Option]...]: -EINVAL for a malformed
   one, -EPROTONOSUPPORT for a protocol sequence we do not speak. */
int rpc_string_binding_parse(const char *s, struct rpc_string_binding *ret);
/* malloc'd, or NULL */
char *rpc_string_binding_compose(const struct rpc_string_binding *b);
const char *rpc_protseq_name(enum rpc_protseq p);
/* The endpoint mapper's TCP port clients ask: OPENDCOM_EPM_PORT, else "135". */
const char *rpc_epm_port(void);

/* --- the client (client.c) ------------------------------------------------------------- */

/* A binding handle; as handle_t it goes to generated client stubs (its first member is
   their struct ndr_binding). */
struct rpc_binding;

int rpc_binding_from_string(const char *s, struct rpc_binding **ret);
void rpc_binding_free(struct rpc_binding *b);
/*
 * A per-call view of a binding, passed to a generated stub as its handle_t: the call
 * goes over the binding's connection (and security context) with this handle's object
 * UUID in PFC_OBJECT_UUID -- ORPC's IPID, different for each interface pointer sharing
 * one connection -- instead of the binding's.  Nothing process-wide: each call says
 * what it is.  After the call, fault holds the server's fault status (0: none) and
 * last_error the call's result.  On the caller's stack; nothing to free.
 */
struct rpc_call_handle {
        struct ndr_binding nb;          /* first: what the stub calls through */
        struct rpc_binding *b;
        bool has_object;
        /* after a call: whether its request may have reached the server -- false when
           it failed before a byte was sent (no connection, say); in has_object's
           padding, so that the handle is no larger to clear on every call */
        bool sent;
        GUID object;
        uint8_t auth_level, auth_type;  /* auth_level 0: the binding's security */
        struct rpc_auth_identity auth;  /* its strings are the caller's, kept alive */
        uint32_t fault;
        int last_error;
        struct rpc_cancel_token *cancel;        /* NULL: none (cancel.c) */
};
void rpc_call_handle_init(struct rpc_call_handle *h, struct rpc_binding *b, const GUID *object);
/*
 * The handle's calls with their own security, at PKT_INTEGRITY or PKT_PRIVACY: on the
 * binding's connection, a security context of their own, opened once by an
 * alter_context under a new auth_context_id and kept with the connection (at most 4
 * besides the binding's).  RPC_AUTHN_LEVEL_NONE: the binding's security again.  -EINVAL
 * (a level without per-PDU verifiers, which could not tell the contexts apart),
 * -EPROTONOSUPPORT.
 */
int rpc_call_handle_set_auth(struct rpc_call_handle *h, uint8_t level, uint8_t authn_svc,
                             const struct rpc_auth_identity *id);

/*
 * Binding handles to one endpoint with the same security share an association group
 * (each with its own connection), so that context handles pass between them -- unless
 * the handle is unique (RPC_C_OPT_UNIQUE_BINDING): an association of its own, as a
 * server's registrations with the endpoint mapper need (they live as long as it).
 */
void rpc_binding_set_unique(struct rpc_binding *b, bool unique);
/* Whether the binding has no live connection (never made, or the server closed it). */
bool rpc_binding_connection_lost(struct rpc_binding *b);
/* The association group the server gave this binding's connection (0: not bound). */
uint32_t rpc_binding_assoc_group(struct rpc_binding *b);
/* Per-call timeout (ms; 0: none; default 30 s). */
void rpc_binding_set_timeout(struct rpc_binding *b, unsigned ms);
/*
 * RpcBindingSetAuthInfoEx in spirit: the binding's calls authenticate with provider
 * authn_svc (RPC_AUTHN_WINNT, RPC_AUTHN_GSS_NEGOTIATE -- Kerberos when a ticket can be
 * had, NTLM otherwise -- and RPC_AUTHN_GSS_KERBEROS when built with GSSAPI; see
 * src/rpc/auth/gss-rpc.h for their credentials and the server's name)
 * at level (RPC_AUTHN_LEVEL_CONNECT ... _PKT_PRIVACY) as id (copied); RPC_AUTHN_LEVEL_NONE
 * turns it off.  The current connection is closed: the next call binds again with the
 * new security.  -EINVAL, -EPROTONOSUPPORT (no such provider, or one with no client
 * side), -ENOMEM.
 */
int rpc_binding_set_auth(struct rpc_binding *b, uint8_t level, uint8_t authn_svc,
                         const struct rpc_auth_identity *id);
/* The status of the last fault (after a call returned -EREMOTEIO). */
uint32_t rpc_binding_fault(const struct rpc_binding *b);
const struct rpc_string_binding *rpc_binding_string(const struct rpc_binding *b);
/* What a Windows caller would see for a call's result: RPC_S_SERVER_UNAVAILABLE for a
   refused connection, RPC_S_CALL_FAILED when the peer closed mid-call, a fault's status. */
RPC_STATUS rpc_binding_status(const struct rpc_binding *b, int err);

/*
 * For the public API (api.c): whether h is a binding handle of ours (struct rpc_binding);
 * ept_map now, keeping the endpoint found in the binding (RpcEpResolveBinding); the object
 * UUID its calls carry (RpcBindingSetObject; NULL or GUID_NULL: none); the endpoint
 * forgotten (RpcBindingReset); a copy with the same string binding, timeout and security
 * (RpcBindingCopy); its authentication level and service (0, 0: none).
 */
bool rpc_binding_is(const void *h);
int rpc_binding_resolve(struct rpc_binding *b, const struct ndr_interface *iface);
void rpc_binding_set_object(struct rpc_binding *b, const GUID *object);
void rpc_binding_reset_endpoint(struct rpc_binding *b);
int rpc_binding_copy(struct rpc_binding *b, struct rpc_binding **ret);
void rpc_binding_auth_info(struct rpc_binding *b, uint8_t *ret_level, uint8_t *ret_type);
/* The credentials b authenticates with, copied (each under size bytes); -ENOENT when it
   has none. */
int rpc_binding_auth_identity(struct rpc_binding *b, char *user, char *domain, char *password,
                              size_t size);

/*
 * What this thread has asked of servers as a client, by transport -- tests and benchmarks
 * count a protocol's round trips with it: connections opened, binds and alter_contexts
 * (each handshake leg that waits for an answer; AUTH3 waits for none) and requests.  Per
 * thread, so that the runtime's own threads (pings) do not blur a caller's count.
 */
struct rpc_trips {
        uint64_t connects, binds, requests;
};
void rpc_client_trips(enum rpc_protseq protseq, struct rpc_trips *ret);

/*
 * Call cancellation (cancel.c).  The calling side, around one call on connection fd:
 * rpc_cancel_begin before its request goes out, rpc_cancel_sent once it is out (it may
 * lower *deadline_ms to the cancel's timeout, or answer -ECANCELED: abandoned at once),
 * rpc_cancel_end with the call's result (-ECANCELED for a call abandoned by its cancel).
 * NULL slots (no memory) make a call that cannot be cancelled.  rpc_cancel_thread cancels
 * thread's call in progress, if any, waiting timeout_s seconds (RPC_CANCEL_INFINITE: for
 * ever; RPC_CANCEL_DEFAULT: the thread's own, rpc_cancel_set_timeout) before abandoning
 * it.
 *
 * A layer above that cancels its own calls (COM's CoCancelCall) gives the call a token
 * (rpc_call_handle's `cancel`): the canceller stores the token's timeout_s, then
 * `requested`, then calls rpc_cancel_thread on the thread making the call.  A call sees
 * the token once its request is out, so the cancel holds whenever it came -- before the
 * call began (on another thread, or before it connected), while its request went out, or
 * while it waits.
 */
#define RPC_CANCEL_INFINITE (-1L)
#define RPC_CANCEL_DEFAULT (-2L)
struct rpc_cancel_token {
        _Atomic long timeout_s;
        _Atomic bool requested;
};
struct cancel_slot;
struct cancel_slot *rpc_cancel_begin(int fd, uint32_t call_id, struct rpc_cancel_token *token);
int rpc_cancel_sent(struct cancel_slot *s, uint64_t *deadline_ms);
int rpc_cancel_end(struct cancel_slot *s, int r);
void rpc_cancel_thread(pthread_t thread, long timeout_s);
void rpc_cancel_set_timeout(long timeout_s);

/* ept_map on epm's mapper: the endpoint (port or ncalrpc name) of iface; -ENODATA
   (EPT_S_NOT_REGISTERED) when the mapper knows none. */
int rpc_epm_map(struct rpc_binding *epm, const struct ndr_interface *iface, const GUID *object,
                enum rpc_protseq protseq, char *ret, size_t size);

/* The management interface of the server at b ([C706] appendix Q): 0 and *ret_status its
   answer, or the call's negative errno.  if_ids: a dcom_malloc'd array. */
int rpc_mgmt_remote_stop(struct rpc_binding *b, uint32_t *ret_status);
int rpc_mgmt_remote_is_listening(struct rpc_binding *b, uint32_t *ret_status, bool *ret_yes);
int rpc_mgmt_remote_if_ids(struct rpc_binding *b, uint32_t *ret_status,
                           struct rpc_syntax_id **ret, unsigned *ret_n);

#endif /* DCOM_RPC_INTERNAL_H */
