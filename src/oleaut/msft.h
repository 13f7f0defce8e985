/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MSFT type library format's layout constants, shared by its reader
 * (src/oleaut/typelib.c, typeinfo.c) and its writer (tools/dcomidl/typelib.c, which
 * cannot include the Automation headers: dcomidl generates them).  Only numbers of the
 * file format live here; the in-memory description is typelib-internal.h's.
 *
 * The file: a header of MSFT_HEADER_SIZE bytes (one more word when
 * MSFT_VARFLAG_HELPDLL is set), one word per type description (its offset in the
 * type description segment), a directory of MSFT_SEG_COUNT segments of 16 bytes
 * {offset, length, -1, 0x0f} (offset -1: absent), the segments, then each type
 * description's member block at its "memoffset".
 */
#ifndef DCOM_OLEAUT_MSFT_H
#define DCOM_OLEAUT_MSFT_H

#define MSFT_MAGIC 0x5446534du          /* "MSFT" */
#define MSFT_MAGIC2 0x00010002u
#define MSFT_HEADER_SIZE 0x54u
#define MSFT_TYPEINFO_SIZE 0x64u        /* a type description's fixed part */
#define MSFT_SEG_COUNT 15u
#define MSFT_GUIDHASH_SIZE 0x80u        /* 32 buckets */
#define MSFT_NAMEHASH_SIZE 0x200u       /* 128 buckets */

/* the header's words, by byte offset */
enum {
        MSFT_H_MAGIC = 0x00, MSFT_H_MAGIC2 = 0x04, MSFT_H_GUID = 0x08, MSFT_H_LCID = 0x0c,
        MSFT_H_LCID2 = 0x10, MSFT_H_VARFLAGS = 0x14, MSFT_H_VERSION = 0x18, MSFT_H_FLAGS = 0x1c,
        MSFT_H_NTYPEINFOS = 0x20, MSFT_H_HELPSTRING = 0x24, MSFT_H_HELPSTRINGCTX = 0x28,
        MSFT_H_HELPCTX = 0x2c, MSFT_H_NAMECOUNT = 0x30, MSFT_H_NAMECHARS = 0x34,
        MSFT_H_NAME = 0x38, MSFT_H_HELPFILE = 0x3c, MSFT_H_CUSTDATA = 0x40, MSFT_H_RES44 = 0x44,
        MSFT_H_RES48 = 0x48, MSFT_H_DISPATCH = 0x4c, MSFT_H_NIMPINFOS = 0x50,
};

/* varflags: the SYSKIND in the low nibble, and */
#define MSFT_VARFLAG_HELPFILE 0x10u
#define MSFT_VARFLAG_DEFAULT 0x40u
#define MSFT_VARFLAG_HELPDLL 0x100u

/* the segments, in the directory's order */
enum {
        MSFT_SEG_TYPEINFO, MSFT_SEG_IMPINFO, MSFT_SEG_IMPFILES, MSFT_SEG_REFTAB,
        MSFT_SEG_GUIDHASH, MSFT_SEG_GUIDTAB, MSFT_SEG_NAMEHASH, MSFT_SEG_NAMETAB,
        MSFT_SEG_STRINGTAB, MSFT_SEG_TYPDESC, MSFT_SEG_ARRAYDESC, MSFT_SEG_CUSTDATA,
        MSFT_SEG_CDGUIDS, MSFT_SEG_RES0E, MSFT_SEG_RES0F,
};

/* a type description's words, by byte offset */
enum {
        MSFT_TI_KIND = 0x00, MSFT_TI_MEMOFFSET = 0x04, MSFT_TI_RES2 = 0x08, MSFT_TI_RES3 = 0x0c,
        MSFT_TI_RES4 = 0x10, MSFT_TI_ELEMS = 0x18, MSFT_TI_GUID = 0x2c, MSFT_TI_FLAGS = 0x30,
        MSFT_TI_NAME = 0x34, MSFT_TI_VERSION = 0x38, MSFT_TI_DOC = 0x3c,
        MSFT_TI_HELPSTRINGCTX = 0x40, MSFT_TI_HELPCTX = 0x44, MSFT_TI_CUSTDATA = 0x48,
        MSFT_TI_IMPL_VFT = 0x4c, MSFT_TI_SIZE = 0x50, MSFT_TI_DATATYPE1 = 0x54,
        MSFT_TI_DATATYPE2 = 0x58, MSFT_TI_RES18 = 0x5c, MSFT_TI_RES19 = 0x60,
};
/* MSFT_TI_KIND: the TYPEKIND in the low nibble, then */
#define MSFT_TI_KIND_DEFAULT 0x20u
#define MSFT_TI_KIND_DUAL 0x10u
#define MSFT_TI_KIND_ALIGN_SHIFT 11     /* 5 bits of alignment (and again at bit 6) */

/* a function record's kind word (funckind, invkind << 3, callconv << 8) flags */
#define MSFT_FKCCIC_DEFAULTS 0x1000u    /* a default value word per parameter */
#define MSFT_FKCCIC_ENTRY_ORD 0x2000u
#define MSFT_FKCCIC_ONE_LCID_RETVAL 0x4000u
#define MSFT_FKCCIC_TWO_LCID_RETVAL 0x8000u

/* an imported type found by GUID (else by index) */
#define MSFT_IMPINFO_BY_GUID 0x10000u

/* a type encoding that is a base type: 0x80000000 | vt << 16 | vt */
#define MSFT_BASE_TYPE 0x80000000u
/* the VARTYPE word of a type table entry that names a type (VT_USERDEFINED) */
#define MSFT_TD_NAMED 0x7fffu
#define MSFT_TD_COMPOUND 0x7ffeu

#endif /* DCOM_OLEAUT_MSFT_H */
