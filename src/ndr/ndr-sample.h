/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hand-written "generated-style" marshaling for a few IDL types, written the way
 * dcomidl emits them (straight-line calls into src/ndr with the NDR_SCALARS /
 * NDR_BUFFERS passes).  Not part of libdcom: tests, the fuzz target and the benchmark
 * link it (libndr-sample) to exercise the engine on composite types.  The IDL:
 *
 *      typedef struct { DWORD id; [unique, string] wchar_t *name; } ITEM;
 *      typedef struct { DWORD count; [unique, size_is(count)] ITEM *items; } ITEM_LIST;
 *      typedef struct _NODE { DWORD value; [unique] struct _NODE *next; } NODE;
 *      typedef union switch (unsigned short level) u {
 *              case 1: DWORD num;
 *              case 2: [unique, string] wchar_t *str;
 *              case 3: GUID guid;
 *      } SAMPLE_UNION;         (encapsulated; its arms alone are SAMPLE_ARM, non-encapsulated)
 *      typedef struct { DWORD x; DWORD y; } PAIR;
 *      typedef struct { [ptr] PAIR *a; [ptr] PAIR *b; } FULL;  (may alias)
 *      typedef struct { DWORD size; DWORD length;
 *                       [size_is(size), length_is(length)] WCHAR buf[]; } CVS;
 *      HRESULT Request([in] context_handle h, [in] ITEM_LIST list, [in, unique] NODE *head,
 *                      [in] SAMPLE_UNION u, [in, unique] DWORD **pp, [in] FULL full,
 *                      [in, unique] CVS *cvs, [in, unique] MInterfacePointer *obj,
 *                      [in] double d, [in] hyper h64, [in] boolean b, [in] SAMPLE_ENUM e,
 *                      [in, range(1, 100)] DWORD n);
 */
#ifndef DCOM_NDR_SAMPLE_H
#define DCOM_NDR_SAMPLE_H

#include "ndr/ndr-internal.h"

struct ndr_sample_item {
        uint32_t id;
        uint16_t *name;         /* [unique, string] */
};

struct ndr_sample_list {
        uint32_t count;
        struct ndr_sample_item *items;  /* [unique, size_is(count)] */
};

struct ndr_sample_node {
        uint32_t value;
        struct ndr_sample_node *next;   /* [unique] */
};

/* The arms; as [switch_is(level)] of a parameter or member, a non-encapsulated union. */
union ndr_sample_arm {
        uint32_t num;
        uint16_t *str;
        GUID guid;
};

/* The encapsulated form: the discriminant travels inside. */
struct ndr_sample_union {
        uint16_t level;
        union ndr_sample_arm u;
};

struct ndr_sample_pair {
        uint32_t x, y;
};

struct ndr_sample_full {
        struct ndr_sample_pair *a;      /* [ptr] */
        struct ndr_sample_pair *b;      /* [ptr] */
};

struct ndr_sample_cvs {
        uint32_t size;
        uint32_t length;
        uint16_t *buf;                  /* [size_is(size), length_is(length)], inline */
};

struct ndr_sample_request {
        struct ndr_context_handle handle;
        struct ndr_sample_list list;
        struct ndr_sample_node *head;
        struct ndr_sample_union u;
        uint32_t **pp;
        struct ndr_sample_full full;
        struct ndr_sample_cvs *cvs;
        uint8_t *obj;                   /* [unique] MInterfacePointer: NULL or obj_len bytes */
        uint32_t obj_len;
        bool has_obj;
        double d;
        uint64_t h64;
        bool b;
        uint32_t e;                     /* 16-bit enum */
        uint32_t n;                     /* [range(1, 100)] */
};

#define NDR_SAMPLE_OBJREF_MAX 4096

int ndr_push_sample_item(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_item *r);
int ndr_pull_sample_item(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_item *r);
int ndr_push_sample_list(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_list *r);
int ndr_pull_sample_list(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_list *r);
int ndr_push_sample_node(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_node *r);
int ndr_pull_sample_node(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_node *r);
/* Non-encapsulated: the caller pulled/pushed level already. */
int ndr_push_sample_arm(struct ndr_push *ndr, int ndr_flags, uint32_t level,
                        const union ndr_sample_arm *r);
int ndr_pull_sample_arm(struct ndr_pull *ndr, int ndr_flags, uint32_t level,
                        union ndr_sample_arm *r);
int ndr_push_sample_union(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_union *r);
int ndr_pull_sample_union(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_union *r);
int ndr_push_sample_full(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_full *r);
int ndr_pull_sample_full(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_full *r);
int ndr_push_sample_cvs(struct ndr_push *ndr, int ndr_flags, const struct ndr_sample_cvs *r);
int ndr_pull_sample_cvs(struct ndr_pull *ndr, int ndr_flags, struct ndr_sample_cvs *r);
/* A DWORD ** [unique][unique] top-level parameter. */
int ndr_push_sample_pp(struct ndr_push *ndr, uint32_t *const *pp);
int ndr_pull_sample_pp(struct ndr_pull *ndr, uint32_t ***ret);
/* The whole [in] side of Request, as a server stub pulls it. */
int ndr_push_sample_request(struct ndr_push *ndr, const struct ndr_sample_request *r);
int ndr_pull_sample_request(struct ndr_pull *ndr, struct ndr_sample_request *r);

/* Deep equality (aliasing of FULL included), for round-trip checks. */
bool ndr_sample_request_equal(const struct ndr_sample_request *a,
                              const struct ndr_sample_request *b);
bool ndr_sample_list_equal(const struct ndr_sample_list *a, const struct ndr_sample_list *b);
bool ndr_sample_node_equal(const struct ndr_sample_node *a, const struct ndr_sample_node *b);

#endif /* DCOM_NDR_SAMPLE_H */
