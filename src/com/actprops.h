/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation properties ([MS-DCOM] 2.2.22): the ActivationPropertiesIn a client sends
 * with IRemoteSCMActivator::RemoteCreateInstance/RemoteGetClassObject and the
 * ActivationPropertiesOut rpcss answers with.  Each is an OBJREF_CUSTOM whose object
 * data is an activation blob: dwSize, dwReserved, a pickled CustomHeader naming the
 * properties and their sizes, then each property pickled and padded to 8 bytes
 * ([MS-DCOM] 2.2.22.1).  Both sides (rpcss, CoCreateInstanceEx) read and write them
 * here, with the generated encoders of idl/activation.idl.
 *
 * Reading walks the properties by the header's sizes (impacket's own sizes leave its
 * padding out of the pickles' length fields, so the header is what counts), accepts
 * them in any order, skips a property it does not know, and refuses what does not fit:
 * -EBADMSG for anything malformed or truncated, -EPROTO for a blob without the
 * properties an activation needs (InstantiationInfo; for the reply PropsOutInfo and
 * ScmReplyInfo), -ENOMEM.
 */
#ifndef DCOM_COM_ACTPROPS_H
#define DCOM_COM_ACTPROPS_H

#include <stddef.h>
#include <stdint.h>

#include "activation_stub.h"
#include "base/arena.h"

/* [MS-DCOM] 1.9 */
extern const CLSID CLSID_ActivationPropertiesIn;        /* 00000338-... */
extern const CLSID CLSID_ActivationPropertiesOut;       /* 00000339-... */
extern const IID IID_IActivationPropertiesIn;           /* 000001A2-... */
extern const IID IID_IActivationPropertiesOut;          /* 000001A3-... */

#define ACTPROPS_MAX_IIDS 32768u        /* MAX_REQUESTED_INTERFACES */

/* What a request asks, as rpcss needs it (pointers into the parse's arena). */
struct actprops_in {
        CLSID clsid;
        DWORD clsctx;
        DWORD dest_ctx;                 /* the CustomHeader's: MSHCTX_* the reply's OBJREFs are for */
        DWORD n_iids;
        const IID *iids;
        COMVERSION client_version;
        DWORD imp_level;                /* ScmRequestInfo's ClientImpLevel */
        uint16_t n_protseqs;            /* the towers the client can use (0: any) */
        const uint16_t *protseqs;
        const WCHAR *server_name;       /* SecurityInfo's, or NULL */
        DWORD session_id;               /* SpecialProperties', or 0xFFFFFFFF */
        DWORD authn_level;              /* SpecialProperties' dwDefaultAuthnLvl, or 0 */
};

/* Parses an ActivationPropertiesIn (the OBJREF_CUSTOM's bytes) into *ret. */
int actprops_in_parse(const uint8_t *p, size_t len, struct arena *a, struct actprops_in *ret);
/* Writes one (the OBJREF_CUSTOM's bytes, malloc'd into *ret, *ret_len). */
int actprops_in_build(const struct actprops_in *in, uint8_t **ret, size_t *ret_len);

/* The reply: the interfaces (each an OBJREF in an MInterfacePointer, or NULL with a
   failed HRESULT) and where their object exporter is reached. */
struct actprops_out {
        DWORD n;
        const IID *iids;
        const HRESULT *hrs;
        MInterfacePointer *const *ifaces;
        OXID oxid;
        const DUALSTRINGARRAY *bindings;        /* NULL when no interface was returned */
        IPID ipid_remunk;
        DWORD authn_hint;
        COMVERSION server_version;
};

int actprops_out_build(const struct actprops_out *out, uint8_t **ret, size_t *ret_len);
int actprops_out_parse(const uint8_t *p, size_t len, struct arena *a, struct actprops_out *ret);

#endif /* DCOM_COM_ACTPROPS_H */
