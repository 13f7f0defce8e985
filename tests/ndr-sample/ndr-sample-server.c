/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server stubs dcomidl wrote for sample.idl pull Request's and PP's [in] arguments:
 * a server call over the caller's pull, whose manager routines capture what the stub
 * pulled (it stays in the pull's arena) and whose context table hands back the wire
 * handle itself.
 */
#include <string.h>

#include "ndr-sample.h"

#include "sample_s.inc"

static _Thread_local struct ndr_sample_request *captured_request;
static _Thread_local DWORD ***captured_pp;
static _Thread_local struct ndr_context_handle captured_handle;

static HRESULT capture_request(SAMPLE_HANDLE h, ITEM_LIST list, NODE *head, SAMPLE_UNION u,
                               DWORD **pp, FULL full, CVS *cvs, SAMPLE_IP *obj, double d,
                               int64_t h64, unsigned char b, SAMPLE_ENUM e, DWORD n) {
        struct ndr_sample_request *r = captured_request;

        r->handle = *(const struct ndr_context_handle *)h;
        r->list = list;
        r->head = head;
        r->u = u;
        r->pp = pp;
        r->full = full;
        r->cvs = cvs;
        r->obj = obj;
        r->d = d;
        r->h64 = h64;
        r->b = b;
        r->e = (uint32_t)e;
        r->n = n;
        return S_OK;
}

static HRESULT capture_pp(DWORD **pp) {
        *captured_pp = pp;
        return S_OK;
}

static const Sample_v1_0_epv_t capture_epv = {
        .Request = capture_request,
        .PP = capture_pp,
};

static int lookup_wire(struct ndr_context_table *t, const struct ndr_context_handle *wire,
                       void **ret) {
        (void)t;
        captured_handle = *wire;
        *ret = &captured_handle;
        return 0;
}

static struct ndr_context_table wire_contexts = { .lookup = lookup_wire };

static int run_stub(struct ndr_pull *ndr, int (*stub)(struct ndr_server_call *)) {
        struct ndr_push out;
        struct ndr_server_call call = {
                .in = ndr,
                .out = &out,
                .arena = ndr->arena,
                .impl = &capture_epv,
                .contexts = &wire_contexts,
        };
        int ret;

        ndr_push_init(&out, 0);
        ret = stub(&call);
        ndr_push_free(&out);
        return ret;
}

int ndr_pull_sample_request(struct ndr_pull *ndr, struct ndr_sample_request *r) {
        memset(r, 0, sizeof *r);
        captured_request = r;
        return run_stub(ndr, Sample_Request_stub);
}

int ndr_pull_sample_pp(struct ndr_pull *ndr, DWORD ***ret) {
        *ret = NULL;
        captured_pp = ret;
        return run_stub(ndr, Sample_PP_stub);
}
