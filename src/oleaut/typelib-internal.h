/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Type libraries in memory (src/oleaut/typelib.c reads MSFT files into them,
 * typeinfo.c answers ITypeLib/ITypeInfo/ITypeComp from them, dispinvoke.c calls through
 * them, and CreateDispTypeInfo builds one from an INTERFACEDATA).  Everything a type
 * library describes is decoded and checked once, when it is loaded: the FUNCDESCs,
 * VARDESCs and TYPEATTRs handed out point into it and live as long as the library (the
 * Release* methods have nothing to free).
 */
#ifndef DCOM_OLEAUT_TYPELIB_INTERNAL_H
#define DCOM_OLEAUT_TYPELIB_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "oleaut/oleaut-internal.h"

struct tl_func {
        FUNCDESC desc;
        BSTR name;
        BSTR *param_names;      /* desc.cParams of them, each may be NULL */
        BSTR doc;
        DWORD help_ctx;
};

struct tl_var {
        VARDESC desc;
        VARIANT value;          /* VAR_CONST: what desc.lpvarValue points at */
        BSTR name;
        BSTR doc;
        DWORD help_ctx;
};

struct tl_impl {
        HREFTYPE href;
        INT flags;
};

struct tlib;

struct tl_info {
        ITypeInfo ITypeInfo_iface;
        ITypeComp ITypeComp_iface;
        struct tlib *lib;
        UINT index;             /* in lib->infos; a dual's interface view shares its index */
        TYPEATTR attr;
        BSTR name, doc;
        DWORD help_ctx;
        struct tl_func *funcs;  /* attr.cFuncs */
        struct tl_var *vars;    /* attr.cVars */
        struct tl_impl *impls;  /* attr.cImplTypes */
        struct tl_info *iface_view;     /* a dual dispinterface's TKIND_INTERFACE view */
        bool is_iface_view;
};

/* An imported type: a type library (by LIBID and version) and the type in it. */
struct tl_import {
        GUID lib_guid;
        WORD major, minor;
        LCID lcid;
        BSTR file;
        bool by_guid;
        GUID guid;              /* by_guid */
        UINT index;             /* !by_guid */
        _Atomic(ITypeLib *) loaded;     /* once found: held for the importer's life */
};

struct tlib {
        ITypeLib ITypeLib_iface;
        ITypeComp ITypeComp_iface;
        atomic_uint refs;
        TLIBATTR attr;
        BSTR name, doc, help_file;
        DWORD help_ctx;
        struct tl_info **infos;
        UINT n_infos;
        struct tl_import *imports;      /* indexed by hreftype's offset / 12 */
        UINT n_imports;
        HREFTYPE dispatch_href;         /* the header's IDispatch reference, or -1 */
        void **blocks;                  /* what the decoded descriptions own */
        size_t n_blocks;
        BSTR path;                      /* the file it was loaded from, or NULL */
        ITypeInfo **held;               /* other libraries' types it borrows from */
        size_t n_held;
};

/* The hreftype of a dual dispinterface's TKIND_INTERFACE view. */
#define TL_HREF_IFACE_VIEW 0x2u

/* A zeroed block owned by lib, freed with it (NULL when out of memory). */
void *tl_alloc(struct tlib *lib, size_t size);

/* An empty library with its interfaces' vtables in place (refs 1). */
struct tlib *tl_lib_new(void);
/* A type description of lib, its vtables in place; lib owns it. */
struct tl_info *tl_info_new(struct tlib *lib);
/*
 * A dual dispinterface's two views: tl_dual_views() when it is read (the interface view
 * takes the members), tl_dual_dispatch_funcs() once every type of lib is (the
 * dispinterface's functions: its parents' and its own).
 */
HRESULT tl_dual_views(struct tlib *lib, struct tl_info *ti);
HRESULT tl_dual_dispatch_funcs(struct tlib *lib, struct tl_info *ti);

/* ITypeInfo::Invoke (dispinvoke.c). */
HRESULT tl_invoke(struct tl_info *ti, void *instance, MEMBERID memid, WORD flags,
                  DISPPARAMS *params, VARIANT *result, EXCEPINFO *excep, UINT *arg_err);

/* Reads an MSFT type library; TYPE_E_CANTLOADLIBRARY or TYPE_E_INVDATAREAD if malformed. */
HRESULT tl_load_msft(const uint8_t *data, size_t len, struct tlib **ret);

/* The type a reference names, found in lib or the library it imports from (a reference). */
HRESULT tl_ref_info(struct tlib *lib, HREFTYPE href, ITypeInfo **ret);

struct tl_info *tl_info_from_iface(ITypeInfo *iface);
bool tl_is_ours(ITypeInfo *iface);

/* The description IUnknown's and IDispatch's seven methods have in stdole2.tlb. */
HRESULT tl_stdole_dispatch(struct tlib **ret);

/* --- the machine's calling convention (callframe.c) -------------------------------------- */

#if defined(__x86_64__)
#define OA_INT_REGS 6
#define OA_VARIANT_BY_REFERENCE 0       /* a 24-byte struct is passed in memory, by value */
#define OA_HAVE_CALL 1
#elif defined(__aarch64__)
#define OA_INT_REGS 8
#define OA_VARIANT_BY_REFERENCE 1       /* composites over 16 bytes: a pointer to a copy */
#define OA_HAVE_CALL 1
#else
#define OA_INT_REGS 8
#define OA_VARIANT_BY_REFERENCE 0
#define OA_HAVE_CALL 0
#endif
#define OA_FP_REGS 8
#define OA_CALL_STACK 32        /* stack words a call made here may take */

/* A call's arguments as the callee's prototype places them. */
struct oa_call {
        uint64_t ints[8];
        double fps[OA_FP_REGS];
        uint64_t stack[OA_CALL_STACK];
        int ni, nf, ns;
        bool overflow;          /* more than OA_CALL_STACK stack words: not callable */
};
void oa_call_push_int(struct oa_call *c, uint64_t w);
void oa_call_push_fp(struct oa_call *c, uint64_t bits);        /* a float: the low 32 bits */
void oa_call_push_pair(struct oa_call *c, const void *p16);   /* a 16-byte struct of ints */
void oa_call_push_stack(struct oa_call *c, uint64_t w);
/* Calls fn with c's arguments; its return value into *ret as ret_vt (VT_R4, VT_R8, VT_DATE
   from the vector register, VT_DECIMAL from the first two integer ones, anything else the
   64-bit integer one). */
void oa_call_run(void *fn, struct oa_call *c, VARTYPE ret_vt, VARIANT *ret);

/* What a thunk captured of a call: the argument registers and where its stack words are. */
struct oa_frame {
        uint64_t ints[8];
        uint64_t fps[OA_FP_REGS];       /* each vector register's low 64 bits */
        const uint64_t *stack;
        int ni, nf;
        size_t ns;
};
uint64_t oa_frame_int(struct oa_frame *f);             /* the next integer or pointer */
uint64_t oa_frame_fp(struct oa_frame *f);              /* the next float or double's bits */
void oa_frame_pair(struct oa_frame *f, void *dst16);   /* the next 16-byte struct of ints */
const VARIANT *oa_frame_variant(struct oa_frame *f);   /* the next VARIANT passed by value */

#endif /* DCOM_OLEAUT_TYPELIB_INTERNAL_H */
