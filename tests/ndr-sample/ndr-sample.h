/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NDR engine's composite test types (sample.idl), marshaled by the code dcomidl
 * generates for them: test-ndr, test-ndr-reject, fuzz-ndr and bench-ndr exercise the
 * engine through it.  dcomidl's type functions are static to the stub files, so
 * ndr-sample-client.c and ndr-sample-server.c include the generated client and server
 * stubs (built as sample_c.inc / sample_s.inc) and export them under these names:
 *
 *   - the type functions (ITEM, ITEM_LIST, NODE, FNODE, SAMPLE_UNION, SAMPLE_ARM, FULL,
 *     CVS) come from the client stubs;
 *   - Request's and PP's [in] side is pushed by the client stubs' request writers and
 *     pulled by the server stubs themselves, through a server call whose manager
 *     routines capture the arguments.
 */
#ifndef DCOM_TEST_NDR_SAMPLE_H
#define DCOM_TEST_NDR_SAMPLE_H

#include <stdbool.h>

#include "ndr/ndr-internal.h"
#include "sample.h"

/* The [in] arguments of Sample::Request, as its server stub pulls them. */
struct ndr_sample_request {
        struct ndr_context_handle handle;
        ITEM_LIST list;
        NODE *head;                     /* [unique] */
        SAMPLE_UNION u;
        DWORD **pp;                     /* [unique][unique] */
        FULL full;
        CVS *cvs;                       /* [unique] */
        SAMPLE_IP *obj;                 /* [unique], at most 4096 bytes */
        double d;
        int64_t h64;
        bool b;
        uint32_t e;                     /* SAMPLE_ENUM: a 16-bit enum on the wire */
        uint32_t n;                     /* [range(1, 100)] */
};

int ndr_push_sample_item(struct ndr_push *ndr, int ndr_flags, const ITEM *r);
int ndr_pull_sample_item(struct ndr_pull *ndr, int ndr_flags, ITEM *r);
int ndr_push_sample_list(struct ndr_push *ndr, int ndr_flags, const ITEM_LIST *r);
int ndr_pull_sample_list(struct ndr_pull *ndr, int ndr_flags, ITEM_LIST *r);
int ndr_push_sample_node(struct ndr_push *ndr, int ndr_flags, const NODE *r);
int ndr_pull_sample_node(struct ndr_pull *ndr, int ndr_flags, NODE *r);
int ndr_push_sample_fnode(struct ndr_push *ndr, int ndr_flags, const FNODE *r);
int ndr_pull_sample_fnode(struct ndr_pull *ndr, int ndr_flags, FNODE *r);
/* Non-encapsulated: the discriminant (switch_type unsigned short) leads the arm. */
int ndr_push_sample_arm(struct ndr_push *ndr, int ndr_flags, uint32_t level, const SAMPLE_ARM *r);
int ndr_pull_sample_arm(struct ndr_pull *ndr, int ndr_flags, uint32_t level, SAMPLE_ARM *r);
int ndr_push_sample_union(struct ndr_push *ndr, int ndr_flags, const SAMPLE_UNION *r);
int ndr_pull_sample_union(struct ndr_pull *ndr, int ndr_flags, SAMPLE_UNION *r);
int ndr_push_sample_full(struct ndr_push *ndr, int ndr_flags, const FULL *r);
int ndr_pull_sample_full(struct ndr_pull *ndr, int ndr_flags, FULL *r);
/* CVS holds its array inline: the pull allocates it (from the pull's arena) by the
 * conformance it peeks, as a server stub does for a pointer to one. */
int ndr_push_sample_cvs(struct ndr_push *ndr, int ndr_flags, const CVS *r);
int ndr_pull_sample_cvs(struct ndr_pull *ndr, int ndr_flags, CVS **r);

/* PP's and Request's [in] sides. */
int ndr_push_sample_pp(struct ndr_push *ndr, DWORD **pp);
int ndr_pull_sample_pp(struct ndr_pull *ndr, DWORD ***ret);
int ndr_push_sample_request(struct ndr_push *ndr, const struct ndr_sample_request *r);
int ndr_pull_sample_request(struct ndr_pull *ndr, struct ndr_sample_request *r);

/* malloc'd CVS / SAMPLE_IP with their arrays inline; free() them. */
CVS *ndr_sample_cvs_new(uint32_t size, uint32_t length, const uint16_t *buf);
SAMPLE_IP *ndr_sample_ip_new(const void *data, uint32_t len);

/* Deep equality (aliasing of FULL included), for round-trip checks. */
bool ndr_sample_request_equal(const struct ndr_sample_request *a,
                              const struct ndr_sample_request *b);
bool ndr_sample_list_equal(const ITEM_LIST *a, const ITEM_LIST *b);
bool ndr_sample_node_equal(const NODE *a, const NODE *b);
bool ndr_sample_cvs_equal(const CVS *a, const CVS *b);

#endif /* DCOM_TEST_NDR_SAMPLE_H */
