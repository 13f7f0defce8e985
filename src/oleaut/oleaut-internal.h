/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OLE Automation's internals (src/oleaut): BSTR (bstr.c), VARIANT (variant.c), their
 * wire forms for the NDR runtime (usrmarshal.c) and IDispatch's proxy and stub
 * (dispatch.c, with the dcomidl-generated oaidl_p.c).  The COM layer's exporter calls
 * oleaut_ps_register() with its built-in proxies and stubs.
 */
#ifndef DCOM_OLEAUT_INTERNAL_H
#define DCOM_OLEAUT_INTERNAL_H

#include <stdbool.h>

#include <objbase.h>

#include "base/base-internal.h"

/*
 * Registers "BSTR" and "VARIANT" with the NDR runtime and IDispatch's proxy and stub
 * with the COM layer (com_ps_register); once per process, idempotent.
 */
void oleaut_ps_register(void);

/*
 * The type-library marshaler (tmarshal.c): registers with the COM layer a proxy and stub
 * for iid built from the type library HKCR\Interface\{iid}\TypeLib names -- or, for a
 * dispinterface (ProxyStubClsid32 PSDispatch), IDispatch's under iid.  0, or -ENOENT
 * (no TypeLib key), -ENOEXEC (the library or the interface cannot be loaded, a type it
 * uses is not marshaled, no thunks for this machine), -ENOMEM; the reason on
 * DCOM_DEBUG=typelib.
 */
int oleaut_tm_load(const IID *iid, bool dispinterface);

/* Registers only the wire routines of BSTR and VARIANT (tests, fuzz targets). */
void oleaut_user_marshal_register(void);

/*
 * Frees what an unmarshaled VARIANT owns: its value (VariantClear) and, for a
 * VT_BYREF one, the memory the unmarshaler allocated for the referent and what that
 * holds.  Leaves VT_EMPTY.
 */
void oleaut_variant_user_free(VARIANT *v);

/*
 * An error object's data as [MS-DCOM] 2.2.21.2 lays it out (the pObjectData of an
 * OBJREF_CUSTOM of CLSID_ErrorObject): appended to b (its sticky error returned), and
 * read back into a new error object (-EBADMSG for malformed data, -ENOMEM).
 */
int oleaut_errorinfo_write(IErrorInfo *ei, struct buf *b);
int oleaut_errorinfo_read(const uint8_t *p, size_t len, IErrorInfo **ret);
/* The thread's SetErrorInfo slot as errorinfo.c mirrors it (NULL: empty) */
extern _Thread_local IErrorInfo *oleaut_error_slot;

/*
 * A type library from memory (the fuzz target's way in) or from a file (LoadTypeLibEx);
 * TYPE_E_CANTLOADLIBRARY / TYPE_E_INVDATAREAD for what is not a sound MSFT file.
 */
HRESULT oleaut_load_typelib_mem(const void *data, size_t len, ITypeLib **ret);
HRESULT oleaut_load_typelib_file(const OLECHAR *path, ITypeLib **ret);

/*
 * Where a record's type is described ([MS-OAUT] 2.2.31 RecordInfoData): what an
 * IRecordInfo of ours says of itself (-EOPNOTSUPP for another implementation or a type
 * outside any library); GetRecordInfoFromGuids goes the other way.
 */
struct oleaut_recinfo_data {
        GUID lib_guid;
        WORD major, minor;
        LCID lcid;
        GUID rec_guid;
};
int oleaut_recinfo_data(IRecordInfo *ri, struct oleaut_recinfo_data *ret);

/* A record's field (recinfo.c): what it holds and where, one element or a fixed array's. */
enum oleaut_fkind {
        OA_FK_PLAIN,    /* bytes: no resources */
        OA_FK_BSTR,
        OA_FK_UNKNOWN,  /* IUnknown * or IDispatch * (vt says which) */
        OA_FK_VARIANT,
        OA_FK_ARRAY,    /* SAFEARRAY * (vt: VT_ARRAY | the element's) */
        OA_FK_RECORD,   /* a nested record, inline (rec) */
        OA_FK_OPAQUE,   /* a pointer not owned or described */
};
struct oleaut_field {
        enum oleaut_fkind kind;
        VARTYPE vt;
        ULONG size;             /* of one element in memory */
        ULONG offset, count;    /* count: 1, or a fixed array's elements */
        IRecordInfo *rec;
};
/*
 * The fields of an IRecordInfo of ours, in order, the record's size and its NDR alignment
 * (its largest member's, pointers 4 bytes; NULL: not ours).
 */
const struct oleaut_field *oleaut_recinfo_fields(IRecordInfo *ri, ULONG *ret_n, ULONG *ret_size,
                                                 ULONG *ret_ndr_align);

#endif /* DCOM_OLEAUT_INTERNAL_H */
